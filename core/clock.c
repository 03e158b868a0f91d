/* Clocks: wall-clock time for timestamps. */
#include "core/clock.h"

#include <time.h>

gint64
ol__wall_time_ns (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_REALTIME, &ts);
  return (gint64) ts.tv_sec * G_GINT64_CONSTANT (1000000000) + ts.tv_nsec;
}
