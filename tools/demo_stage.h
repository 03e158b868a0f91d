/* The demo instrument's simulated stage (see tools/demo_stage.c). */
#pragma once

#include <math.h>
#include <oneliner/oneliner.h>

typedef struct DemoStage DemoStage;

#define DEMO_STAGE_AXES 3

/* Called (with the stage's instance lock held) after an axis moved. */
typedef void (*DemoStageMoved) (int axis, double mm, void *user_data);

DemoStage *demo_stage_new (double speed_mm_s, DemoStageMoved moved, void *moved_data);
void demo_stage_free (void *stage);

/* Where the axes are now, also during a move (any thread). */
void demo_stage_positions (DemoStage *stage, double mm[DEMO_STAGE_AXES]);
/* The travel limits of axis (0 to DEMO_STAGE_AXES - 1). */
void demo_stage_limits (DemoStage *stage, int axis, double *min, double *max);

/* Registers the stage as instance name with move_to, position, home and
 * describe; the server takes ownership of stage. */
gboolean demo_stage_register (OlServer *server, const char *name,
                              DemoStage *stage, GError **error);
