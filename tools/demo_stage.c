/* The demo instrument's simulated motorised stage: three axes with travel
 * limits and a finite speed. */
#include "tools/demo_stage.h"

#include <string.h>

#include "oneliner/error.h"

#define STAGE_AXES DEMO_STAGE_AXES

struct DemoStage {
  double position[STAGE_AXES]; /* guarded by the server's instance lock */
  double min[STAGE_AXES];
  double max[STAGE_AXES];
  double speed;                /* mm/s; 0 moves at once */
  DemoStageMoved moved;
  void *moved_data;
  GMutex shown_lock;           /* guards shown */
  double shown[STAGE_AXES];    /* where the axes are, updated during moves:
                                  what demo_stage_positions() returns */
};

DemoStage *
demo_stage_new (double speed_mm_s, DemoStageMoved moved, void *moved_data)
{
  DemoStage *st = g_new0 (DemoStage, 1);
  static const double max[STAGE_AXES] = { 100.0, 100.0, 25.0 };

  for (int i = 0; i < STAGE_AXES; i++)
    st->max[i] = max[i];
  st->speed = speed_mm_s;
  st->moved = moved;
  st->moved_data = moved_data;
  g_mutex_init (&st->shown_lock);
  return st;
}

void
demo_stage_free (void *stage)
{
  DemoStage *st = stage;

  g_mutex_clear (&st->shown_lock);
  g_free (st);
}

void
demo_stage_positions (DemoStage *st, double mm[DEMO_STAGE_AXES])
{
  g_mutex_lock (&st->shown_lock);
  memcpy (mm, st->shown, sizeof st->shown);
  g_mutex_unlock (&st->shown_lock);
}

void
demo_stage_limits (DemoStage *st, int axis, double *min, double *max)
{
  *min = st->min[axis];
  *max = st->max[axis];
}

static void
s_show (DemoStage *st, int i, double mm)
{
  g_mutex_lock (&st->shown_lock);
  st->shown[i] = mm;
  g_mutex_unlock (&st->shown_lock);
}

static gboolean
s_check_axis (int32_t axis, gboolean allow_all, GError **error)
{
  if ((axis >= 1 && axis <= STAGE_AXES) || (allow_all && axis == 0))
    return TRUE;
  g_set_error (error, OL_ERROR, OL_ERROR_INVALID_ARGS,
               "axis %d does not exist: the stage has axes 1 to %d%s", axis,
               STAGE_AXES, allow_all ? " (0 homes them all)" : "");
  return FALSE;
}

static void
s_travel (DemoStage *st, int i, double target)
{
  double start = st->position[i];
  double distance = fabs (target - start);

  /* The move takes distance / speed, shown in 20 ms steps. */
  if (st->speed > 0 && distance > 0)
    {
      gint64 t0 = g_get_monotonic_time ();
      gint64 duration = (gint64) (distance / st->speed * G_USEC_PER_SEC);

      for (gint64 t = 0; t < duration; t = g_get_monotonic_time () - t0)
        {
          s_show (st, i, start + (target - start) * (double) t / (double) duration);
          g_usleep ((gulong) MIN (duration - t, 20000));
        }
    }
  st->position[i] = target;
  s_show (st, i, target);
  if (st->moved)
    st->moved (i + 1, target, st->moved_data);
}

/* (int32 axis, double mm, error) -> double */
static double
s_move_to (DemoStage *st, int32_t axis, double mm, GError **error)
{
  if (!s_check_axis (axis, FALSE, error))
    return 0;
  if (!isfinite (mm) || mm < st->min[axis - 1] || mm > st->max[axis - 1])
    {
      g_set_error (error, OL_ERROR, OL_ERROR_INVALID_ARGS,
                   "axis %d cannot move to %g mm: past its travel limits %g..%g mm",
                   axis, mm, st->min[axis - 1], st->max[axis - 1]);
      return st->position[axis - 1];
    }
  s_travel (st, axis - 1, mm);
  return st->position[axis - 1];
}

/* (int32 axis, error) -> double */
static double
s_position (DemoStage *st, int32_t axis, GError **error)
{
  if (!s_check_axis (axis, FALSE, error))
    return 0;
  return st->position[axis - 1];
}

/* (int32 axis, error) -> void; axis 0 homes every axis. */
static void
s_home (DemoStage *st, int32_t axis, GError **error)
{
  if (!s_check_axis (axis, TRUE, error))
    return;
  for (int i = 0; i < STAGE_AXES; i++)
    if (axis == 0 || axis == i + 1)
      s_travel (st, i, st->min[i]);
}

/* () -> json: every axis with its position and limits. */
static json_t *
s_describe (DemoStage *st)
{
  json_t *axes = json_array ();

  for (int i = 0; i < STAGE_AXES; i++)
    json_array_append_new (axes, json_pack ("{s:i, s:f, s:f, s:f}", "axis", i + 1,
                                            "position", st->position[i],
                                            "min", st->min[i], "max", st->max[i]));
  return axes;
}

gboolean
demo_stage_register (OlServer *server, const char *name, DemoStage *stage,
                     GError **error)
{
  return ol_server_add_instance (server, name, stage, demo_stage_free, error)
    && ol_server_add_method (server, name, "move_to",
                             "(int32 axis, double mm, error) -> double",
                             OL_FUNC (s_move_to), error)
    && ol_server_add_method (server, name, "position",
                             "(int32 axis, error) -> double",
                             OL_FUNC (s_position), error)
    && ol_server_add_method (server, name, "home", "(int32 axis, error)",
                             OL_FUNC (s_home), error)
    && ol_server_add_method (server, name, "describe", "() -> json",
                             OL_FUNC (s_describe), error);
}
