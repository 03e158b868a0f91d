/* Clocks. Timestamps are wall-clock nanoseconds since the epoch, comparable
 * across lab PCs; rates and deadlines use CLOCK_MONOTONIC directly.
 *
 * Thread rules: reentrant.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Wall-clock time in nanoseconds since the epoch. */
gint64 ol__wall_time_ns (void);

G_END_DECLS
