/* The demo instrument's simulated stage (see tools/demo_stage.c). */
#pragma once

#include <math.h>
#include <oneliner/oneliner.h>

typedef struct DemoStage DemoStage;

/* Called (with the stage's instance lock held) after an axis moved. */
typedef void (*DemoStageMoved) (int axis, double mm, void *user_data);

DemoStage *demo_stage_new (double speed_mm_s, DemoStageMoved moved, void *moved_data);
void demo_stage_free (void *stage);

/* Registers the stage as instance name with move_to, position, home and
 * describe; the server takes ownership of stage. */
gboolean demo_stage_register (OlServer *server, const char *name,
                              DemoStage *stage, GError **error);
