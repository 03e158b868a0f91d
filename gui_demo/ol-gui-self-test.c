/* oneliner-gui: --self-test, the program driving its own widgets. */
#include "ol-gui-self-test.h"

#include <glib/gstdio.h>
#include <math.h>
#include <stdio.h>

#include "ol-gui-screenshot.h"
#include "ol-gui-stall-meter.h"

#define CAMERA "camera/frames"
#define POLL_MS 20
#define STEP_BOUND_MS 10000
#define CAMERA_RUN_US (10 * G_USEC_PER_SEC)
#define CAMERA_HZ 30
#define TEMPERATURE "sensor/temperature"
#define TRACE "daq/trace"
#define TRACE_RUN_US (3 * G_USEC_PER_SEC)
#define SINE "sensor/sine"
#define UNKNOWN "no/such-stream"
/* Messages the Record bar must show before the recording is stopped. */
#define RECORD_MESSAGES 20

typedef enum { STEP_WAIT, STEP_DONE, STEP_FAILED } StepResult;

struct OlGuiSelfTest {
  GWeakRef window;
  GApplication *app;         /* (owned) held while the test runs: the last step
                                closes the window */
  char *screenshot;          /* (owned) (nullable) */
  OlGuiSelfTestDone done;
  gpointer user_data;
  guint step;
  gboolean step_started;
  gint64 step_start_us;
  guint poll_id;
  char *reason;              /* (owned) (nullable) why the current step failed */
  OlGuiStallMeter *meter;    /* (owned) (nullable) */
  guint64 shown_before;
  guint64 dropped_before;
  GdkFrameClock *clock;      /* (owned) (nullable) while waiting for a paint */
  gulong after_paint_id;
  gboolean shot_done;        /* the screenshot was attempted after a paint */
  GError *shot_error;        /* (owned) (nullable) its failure */
  guint shot_attempts;
  double heat_kelvin;        /* what the heat steps asked sensor.heat for */
  guint64 alarms_before;     /* the temperature row's alarm count before */
  gint64 trace_start_us;
  guint64 trace_received_before;
  guint64 trace_painted_before;
  char *record_dir;          /* (owned) (nullable) a fresh temporary directory */
  char *record_path;         /* (owned) (nullable) the file of the recording step */
  guint64 record_shown;      /* the count the bar showed when it was stopped */
  gboolean window_may_close; /* the step under way closes the window */
};

typedef struct {
  const char *name;
  /* Acts (may fail at once), then is polled until it is done or its bound
   * passes. */
  StepResult (*run) (OlGuiSelfTest *t, OlGuiWindow *w, gboolean first);
  gint64 bound_us;
} Step;

static StepResult
s_fail (OlGuiSelfTest *t, const char *format, ...) G_GNUC_PRINTF (2, 3);

static StepResult
s_fail (OlGuiSelfTest *t, const char *format, ...)
{
  va_list ap;

  va_start (ap, format);
  g_free (t->reason);
  t->reason = g_strdup_vprintf (format, ap);
  va_end (ap);
  return STEP_FAILED;
}

static StepResult
s_connect (OlGuiSelfTest *t, OlGuiWindow *w, gboolean first)
{
  OlGuiConnection *c = ol_gui_window_get_connection (w);

  (void) first;
  if (c == NULL)
    return s_fail (t, "the window has no connection");
  if (ol_gui_connection_get_state (c) == OL_GUI_CONNECTION_CONNECTED)
    return STEP_DONE;
  g_free (t->reason);
  t->reason = g_strdup_printf ("no answer from %s; the window shows: %s",
                               ol_gui_connection_get_rpc_endpoint (c),
                               ol_gui_window_get_banner_text (w)
                                 ? ol_gui_window_get_banner_text (w) : "(no banner yet)");
  return STEP_WAIT;
}

static StepResult
s_lists (OlGuiSelfTest *t, OlGuiWindow *w, gboolean first)
{
  json_t *callables = ol_gui_connection_get_callables (ol_gui_window_get_connection (w));

  (void) first;
  g_free (t->reason);
  t->reason = g_strdup ("the server's lists did not arrive (stream " CAMERA
                        ", method stage.move_to)");
  if (ol_gui_window_get_stream_row (w, CAMERA) == NULL)
    return STEP_WAIT;
  if (json_object_get (json_object_get (json_object_get (callables, "instances"), "stage"),
                       "move_to") == NULL)
    return STEP_WAIT;
  return STEP_DONE;
}

static StepResult
s_switch (OlGuiSelfTest *t, OlGuiWindow *w, gboolean first, gboolean on, gboolean must_send)
{
  OlGuiStreamRow *row = ol_gui_window_get_stream_row (w, CAMERA);

  if (row == NULL)
    return s_fail (t, "the streams list lost " CAMERA);
  if (first)
    {
      /* Through the widget, as a click would: the row's handler sends the
       * request. */
      gtk_switch_set_active (ol_gui_stream_row_get_switch (row), on);
      if (!ol_gui_stream_row_is_pending (row)
          && (must_send || ol_gui_stream_row_get_server_enabled (row) != on))
        return s_fail (t, "flipping the switch sent no request");
    }
  if (ol_gui_stream_row_is_pending (row))
    {
      g_free (t->reason);
      t->reason = g_strdup ("the server did not answer the switch");
      return STEP_WAIT;
    }
  if (ol_gui_stream_row_get_server_enabled (row) != on
      || gtk_switch_get_state (ol_gui_stream_row_get_switch (row)) != on)
    return s_fail (t, "the server did not switch " CAMERA " %s", on ? "on" : "off");
  return STEP_DONE;
}

/* A camera left on (by another client, or an earlier run) is switched off
 * first, so that switching it on is a real request. */
static StepResult
s_camera_off_first (OlGuiSelfTest *t, OlGuiWindow *w, gboolean first)
{
  return s_switch (t, w, first, FALSE, FALSE);
}

static StepResult
s_camera_on (OlGuiSelfTest *t, OlGuiWindow *w, gboolean first)
{
  return s_switch (t, w, first, TRUE, TRUE);
}

static StepResult
s_frames_shown (OlGuiSelfTest *t, OlGuiWindow *w, gboolean first)
{
  OlGuiImageView *view = ol_gui_views_get_image_view (ol_gui_window_get_views (w), CAMERA);

  (void) first;
  if (view == NULL)
    return s_fail (t, "switching " CAMERA " on opened no live picture");
  g_free (t->reason);
  t->reason = g_strdup_printf ("%" G_GUINT64_FORMAT " frames received, %" G_GUINT64_FORMAT
                               " shown", ol_gui_image_view_get_frames_received (view),
                               ol_gui_image_view_get_frames_shown (view));
  return ol_gui_image_view_get_frames_shown (view) >= 3 ? STEP_DONE : STEP_WAIT;
}

static StepResult
s_camera_run (OlGuiSelfTest *t, OlGuiWindow *w, gboolean first)
{
  OlGuiImageView *view = ol_gui_views_get_image_view (ol_gui_window_get_views (w), CAMERA);
  guint64 shown, dropped;
  double seconds;

  if (view == NULL)
    return s_fail (t, "the live picture of " CAMERA " went away");
  if (first)
    {
      t->meter = ol_gui_stall_meter_start ();
      t->shown_before = ol_gui_image_view_get_frames_shown (view);
      t->dropped_before = ol_gui_image_view_get_frames_dropped (view);
    }
  if (ol_gui_stall_meter_get_elapsed_us (t->meter) < CAMERA_RUN_US)
    return STEP_WAIT;
  ol_gui_stall_meter_stop (t->meter);
  shown = ol_gui_image_view_get_frames_shown (view) - t->shown_before;
  dropped = ol_gui_image_view_get_frames_dropped (view) - t->dropped_before;
  seconds = ol_gui_stall_meter_get_elapsed_us (t->meter) / (double) G_USEC_PER_SEC;
  printf ("main loop longest stall: %.0f ms over %.1f s with " CAMERA " at %d Hz, "
          "frames shown %" G_GUINT64_FORMAT ", dropped from display %" G_GUINT64_FORMAT "\n",
          ol_gui_stall_meter_get_max_us (t->meter) / 1000.0, seconds, CAMERA_HZ, shown, dropped);
  printf ("self-test:   (%u ticks of the 10 ms probe came more than 50 ms late)\n",
          ol_gui_stall_meter_get_long_stalls (t->meter));
  fflush (stdout);
  if (shown < 10)
    return s_fail (t, "only %" G_GUINT64_FORMAT " frames shown in %.1f s (%" G_GUINT64_FORMAT
                   " received in all)", shown, seconds,
                   ol_gui_image_view_get_frames_received (view));
  return STEP_DONE;
}

static StepResult
s_select (OlGuiSelfTest *t, OlGuiWindow *w, gboolean first)
{
  OlGuiCallForm *form = ol_gui_window_get_call_form (w);

  if (first && !ol_gui_window_select_callable (w, "stage", "move_to"))
    return s_fail (t, "the sidebar does not list stage.move_to");
  if (ol_gui_call_form_get_field (form, "axis") == NULL
      || ol_gui_call_form_get_field (form, "mm") == NULL)
    return s_fail (t, "the form of stage.move_to lacks the fields axis and mm");
  return STEP_DONE;
}

static StepResult
s_fill (OlGuiSelfTest *t, OlGuiWindow *w, gboolean first)
{
  OlGuiCallForm *form = ol_gui_window_get_call_form (w);
  GtkWidget *axis = ol_gui_call_form_get_field (form, "axis");
  GtkWidget *mm = ol_gui_call_form_get_field (form, "mm");

  (void) first;
  if (!GTK_IS_SPIN_BUTTON (axis) || !GTK_IS_SPIN_BUTTON (mm))
    return s_fail (t, "axis (int32) and mm (double) are not spin buttons");
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (axis), 1);
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (mm), 12.5);
  if (gtk_spin_button_get_value (GTK_SPIN_BUTTON (axis)) != 1
      || gtk_spin_button_get_value (GTK_SPIN_BUTTON (mm)) != 12.5)
    return s_fail (t, "the form shows axis %g, mm %g",
                   gtk_spin_button_get_value (GTK_SPIN_BUTTON (axis)),
                   gtk_spin_button_get_value (GTK_SPIN_BUTTON (mm)));
  return STEP_DONE;
}

static StepResult
s_call (OlGuiSelfTest *t, OlGuiWindow *w, gboolean first)
{
  OlGuiCallForm *form = ol_gui_window_get_call_form (w);
  const char *result;

  if (first)
    {
      g_signal_emit_by_name (ol_gui_call_form_get_call_button (form), "clicked");
      if (!ol_gui_call_form_is_busy (form))
        return s_fail (t, "pressing Call started no call: %s",
                       ol_gui_call_form_get_result_text (form));
    }
  if (ol_gui_call_form_is_busy (form))
    {
      g_free (t->reason);
      t->reason = g_strdup ("no answer shown");
      return STEP_WAIT;
    }
  result = ol_gui_call_form_get_result_text (form);
  if (g_strcmp0 (result, "12.5") != 0)
    return s_fail (t, "the form shows \"%s\", expected 12.5", result);
  return STEP_DONE;
}

static StepResult
s_camera_off (OlGuiSelfTest *t, OlGuiWindow *w, gboolean first)
{
  StepResult r = s_switch (t, w, first, FALSE, TRUE);
  json_t *streams, *enabled;

  if (r != STEP_DONE)
    return r;
  /* The switch follows the reply; the server's own list must agree. */
  streams = ol_gui_connection_get_streams (ol_gui_window_get_connection (w));
  enabled = json_object_get (json_object_get (streams, CAMERA), "enabled");
  g_free (t->reason);
  t->reason = g_strdup ("the server's streams list still reports " CAMERA " enabled");
  return json_is_false (enabled) ? STEP_DONE : STEP_WAIT;
}

static const char *
s_level_name (OlGuiLevel level)
{
  return level == OL_GUI_LEVEL_ALARM ? "alarm" : level == OL_GUI_LEVEL_WARNING ? "warning"
                                                                              : "normal";
}

/* The unit of sensor/temperature as the server describes it. */
static StepResult
s_unit_on_axis (OlGuiSelfTest *t, OlGuiWindow *w, gboolean first)
{
  json_t *streams = ol_gui_connection_get_streams (ol_gui_window_get_connection (w));
  const char *unit = json_string_value (json_object_get (
    json_object_get (json_object_get (streams, TEMPERATURE), "description"), "unit"));
  OlGuiPlot *plot = ol_gui_views_get_plot (ol_gui_window_get_views (w));
  const char *drawn;

  (void) first;
  if (unit == NULL)
    return s_fail (t, "the server's streams list gives " TEMPERATURE " no unit");
  if (!ol_gui_plot_has_series (plot, TEMPERATURE))
    return s_fail (t, "the plot has no series " TEMPERATURE);
  drawn = ol_gui_plot_get_drawn_unit (plot, TEMPERATURE);
  g_free (t->reason);
  t->reason = g_strdup_printf ("the axis of " TEMPERATURE " shows %s%s%s after %"
                               G_GUINT64_FORMAT " paints, expected \"%.32s\"",
                               drawn ? "\"" : "", drawn ? drawn : "no unit", drawn ? "\"" : "",
                               ol_gui_plot_get_paints (plot), unit);
  return g_strcmp0 (drawn, unit) == 0 ? STEP_DONE : STEP_WAIT;
}

/* daq/trace is a live trace: traces of the described length painted, the
 * x unit on the axis; over a few seconds, as many painted as the screen
 * could show, none queued. */
static StepResult
s_trace_painted (OlGuiSelfTest *t, OlGuiWindow *w, gboolean first)
{
  OlGuiStreamRow *row = ol_gui_window_get_stream_row (w, TRACE);
  OlGuiDescription *d = row ? ol_gui_stream_row_get_description (row) : NULL;
  OlGuiTrace *trace = ol_gui_views_get_trace (ol_gui_window_get_views (w), TRACE);
  OlClient *client = ol_gui_connection_get_client (ol_gui_window_get_connection (w));
  OlStreamCounters counters = { 0 };
  guint64 received, painted;
  double seconds;

  if (d == NULL || d->form != OL_GUI_FORM_ARRAY || d->length == 0)
    return s_fail (t, "the server does not describe " TRACE " as an array of a given length");
  if (trace == NULL)
    return s_fail (t, "viewing " TRACE " opened no trace (row viewed: %s)",
                   ol_gui_stream_row_get_viewed (row) ? "yes" : "no");
  if (first || t->trace_start_us == 0)
    {
      g_free (t->reason);
      t->reason = g_strdup_printf ("%" G_GUINT64_FORMAT " traces received, %" G_GUINT64_FORMAT
                                   " painted, the last of %u samples (expected %u)",
                                   ol_gui_trace_get_received (trace),
                                   ol_gui_trace_get_painted (trace),
                                   ol_gui_trace_get_painted_samples (trace), d->length);
      if (ol_gui_trace_get_painted (trace) < 1
          || ol_gui_trace_get_painted_samples (trace) != d->length)
        return STEP_WAIT;
      if (g_strcmp0 (ol_gui_trace_get_painted_x_unit (trace), d->x_unit) != 0)
        return s_fail (t, "the x axis of " TRACE " shows no \"%s\"",
                       d->x_unit ? d->x_unit : "(none)");
      t->trace_start_us = g_get_monotonic_time ();
      t->trace_received_before = ol_gui_trace_get_received (trace);
      t->trace_painted_before = ol_gui_trace_get_painted (trace);
      return STEP_WAIT;
    }
  if (g_get_monotonic_time () - t->trace_start_us < TRACE_RUN_US)
    return STEP_WAIT;
  seconds = (g_get_monotonic_time () - t->trace_start_us) / (double) G_USEC_PER_SEC;
  received = ol_gui_trace_get_received (trace) - t->trace_received_before;
  painted = ol_gui_trace_get_painted (trace) - t->trace_painted_before;
  if (client != NULL)
    ol_client_get_stream_counters (client, TRACE, &counters, NULL);
  printf ("self-test:   " TRACE ": %" G_GUINT64_FORMAT " traces of %u samples taken in %.1f s, %"
          G_GUINT64_FORMAT " painted; %" G_GUINT64_FORMAT " received in all, %" G_GUINT64_FORMAT
          " replaced before they were taken, %" G_GUINT64_FORMAT " missed\n",
          received, ol_gui_trace_get_painted_samples (trace), seconds, painted,
          counters.received, counters.overflowed, counters.missed);
  fflush (stdout);
  if (painted == 0)
    return s_fail (t, "no trace painted in %.1f s (%" G_GUINT64_FORMAT " taken)", seconds,
                   received);
  /* A trace taken just before the count began may be painted just after. */
  if (painted > received + 1)
    return s_fail (t, "%" G_GUINT64_FORMAT " traces painted but %" G_GUINT64_FORMAT " taken",
                   painted, received);
  return STEP_DONE;
}

/* Calls sensor.heat(kelvin) through its form, as a user would. */
static StepResult
s_heat_call (OlGuiSelfTest *t, OlGuiWindow *w, gboolean first)
{
  OlGuiCallForm *form = ol_gui_window_get_call_form (w);
  const char *result;
  char *end = NULL;

  if (first)
    {
      GtkWidget *field;

      if (!ol_gui_window_select_callable (w, "sensor", "heat"))
        return s_fail (t, "the sidebar does not list sensor.heat");
      field = ol_gui_call_form_get_field (form, "kelvin");
      if (!GTK_IS_SPIN_BUTTON (field))
        return s_fail (t, "the form of sensor.heat has no spin button kelvin");
      gtk_spin_button_set_value (GTK_SPIN_BUTTON (field), t->heat_kelvin);
      g_signal_emit_by_name (ol_gui_call_form_get_call_button (form), "clicked");
      if (!ol_gui_call_form_is_busy (form))
        return s_fail (t, "pressing Call started no call: %s",
                       ol_gui_call_form_get_result_text (form));
    }
  if (ol_gui_call_form_is_busy (form))
    {
      g_free (t->reason);
      t->reason = g_strdup ("no answer shown");
      return STEP_WAIT;
    }
  result = ol_gui_call_form_get_result_text (form);
  g_ascii_strtod (result, &end);
  if (end == result || *end != '\0')
    return s_fail (t, "sensor.heat(%.3f) answered \"%.200s\"", t->heat_kelvin, result);
  return STEP_DONE;
}

/* What the temperature's row, lane and value show now. */
static void
s_temperature_reason (OlGuiSelfTest *t, OlGuiWindow *w, const char *want)
{
  OlGuiStreamRow *row = ol_gui_window_get_stream_row (w, TEMPERATURE);
  OlGuiPlot *plot = ol_gui_views_get_plot (ol_gui_window_get_views (w));
  double v = NAN;

  ol_gui_plot_get_last_value (plot, TEMPERATURE, &v);
  g_free (t->reason);
  t->reason = g_strdup_printf ("want %s; the row shows %s with %" G_GUINT64_FORMAT " in warning, %"
                               G_GUINT64_FORMAT " in alarm (%" G_GUINT64_FORMAT " before), the "
                               "plot's lane %s, the latest value %.3f",
                               want, s_level_name (ol_gui_stream_row_get_level (row)),
                               ol_gui_stream_row_get_warnings (row),
                               ol_gui_stream_row_get_alarms (row), t->alarms_before,
                               s_level_name (ol_gui_plot_get_series_level (plot, TEMPERATURE)), v);
}

/* Heats sensor/temperature beyond its alarm_high limit (read from its
 * description) through a call to sensor.heat. */
static StepResult
s_heat_up (OlGuiSelfTest *t, OlGuiWindow *w, gboolean first)
{
  OlGuiStreamRow *row = ol_gui_window_get_stream_row (w, TEMPERATURE);
  OlGuiDescription *d = row ? ol_gui_stream_row_get_description (row) : NULL;
  OlGuiPlot *plot = ol_gui_views_get_plot (ol_gui_window_get_views (w));
  double now;

  if (first)
    {
      if (d == NULL || !(d->limits.flags & OL_GUI_LIMIT_ALARM_HIGH))
        return s_fail (t, "the description of " TEMPERATURE " has no alarm_high limit");
      if (!ol_gui_plot_get_last_value (plot, TEMPERATURE, &now))
        return s_fail (t, "the plot has no value of " TEMPERATURE);
      t->alarms_before = ol_gui_stream_row_get_alarms (row);
      /* Well beyond the limit: the noise never brings it back. */
      t->heat_kelvin = d->limits.alarm_high - now + MAX (2.0, 0.1 * fabs (d->limits.alarm_high));
      printf ("self-test:   " TEMPERATURE " at %.3f, alarm above %g: heat by %.3f K\n", now,
              d->limits.alarm_high, t->heat_kelvin);
      fflush (stdout);
    }
  return s_heat_call (t, w, first);
}

static StepResult
s_in_alarm (OlGuiSelfTest *t, OlGuiWindow *w, gboolean first)
{
  OlGuiStreamRow *row = ol_gui_window_get_stream_row (w, TEMPERATURE);
  OlGuiPlot *plot = ol_gui_views_get_plot (ol_gui_window_get_views (w));

  (void) first;
  if (row == NULL)
    return s_fail (t, "the streams list lost " TEMPERATURE);
  s_temperature_reason (t, w, "alarm, the alarm count up");
  if (ol_gui_stream_row_get_level (row) == OL_GUI_LEVEL_ALARM
      && ol_gui_stream_row_get_alarms (row) > t->alarms_before
      && gtk_widget_has_css_class (GTK_WIDGET (row), "ol-alarm")
      && ol_gui_plot_get_series_level (plot, TEMPERATURE) == OL_GUI_LEVEL_ALARM)
    return STEP_DONE;
  return STEP_WAIT;
}

/* Cools sensor/temperature back into the middle of its warning range. */
static StepResult
s_cool_down (OlGuiSelfTest *t, OlGuiWindow *w, gboolean first)
{
  OlGuiStreamRow *row = ol_gui_window_get_stream_row (w, TEMPERATURE);
  OlGuiDescription *d = row ? ol_gui_stream_row_get_description (row) : NULL;
  OlGuiPlot *plot = ol_gui_views_get_plot (ol_gui_window_get_views (w));
  double now, lo, hi;

  if (first)
    {
      guint f;

      if (d == NULL)
        return s_fail (t, "the streams list lost the description of " TEMPERATURE);
      f = d->limits.flags;
      lo = (f & OL_GUI_LIMIT_WARNING_LOW) ? d->limits.warning_low
         : (f & OL_GUI_LIMIT_ALARM_LOW) ? d->limits.alarm_low : NAN;
      hi = (f & OL_GUI_LIMIT_WARNING_HIGH) ? d->limits.warning_high : d->limits.alarm_high;
      if (!ol_gui_plot_get_last_value (plot, TEMPERATURE, &now))
        return s_fail (t, "the plot has no value of " TEMPERATURE);
      /* The middle of the range, or well below its top without a low limit. */
      t->heat_kelvin = (isnan (lo) ? hi - MAX (5.0, 0.2 * fabs (hi)) : (lo + hi) / 2) - now;
      printf ("self-test:   " TEMPERATURE " at %.3f: heat by %.3f K\n", now, t->heat_kelvin);
      fflush (stdout);
    }
  return s_heat_call (t, w, first);
}

static StepResult
s_back_to_normal (OlGuiSelfTest *t, OlGuiWindow *w, gboolean first)
{
  OlGuiStreamRow *row = ol_gui_window_get_stream_row (w, TEMPERATURE);
  OlGuiPlot *plot = ol_gui_views_get_plot (ol_gui_window_get_views (w));

  (void) first;
  if (row == NULL)
    return s_fail (t, "the streams list lost " TEMPERATURE);
  s_temperature_reason (t, w, "normal");
  if (ol_gui_stream_row_get_level (row) == OL_GUI_LEVEL_NORMAL
      && !gtk_widget_has_css_class (GTK_WIDGET (row), "ol-alarm")
      && !gtk_widget_has_css_class (GTK_WIDGET (row), "ol-warning")
      && ol_gui_plot_get_series_level (plot, TEMPERATURE) == OL_GUI_LEVEL_NORMAL)
    return STEP_DONE;
  return STEP_WAIT;
}

/* ------------------------------------------------------------------------ */
/* Recording (the file dialog bypassed: ol_gui_record_bar_start takes the
 * path the dialog would give) */

static const char *
s_record_state_name (OlGuiRecordState state)
{
  switch (state)
    {
    case OL_GUI_RECORD_IDLE: return "idle";
    case OL_GUI_RECORD_STARTING: return "starting";
    case OL_GUI_RECORD_RECORDING: return "recording";
    case OL_GUI_RECORD_STOPPING: return "stopping";
    default: return "?";
    }
}

static char *
s_record_file (OlGuiSelfTest *t, const char *name)
{
  if (t->record_dir == NULL)
    {
      g_autoptr (GError) error = NULL;

      t->record_dir = g_dir_make_tmp ("oneliner-gui-rec-XXXXXX", &error);
      if (t->record_dir == NULL)
        {
          s_fail (t, "no temporary directory: %s", error->message);
          return NULL;
        }
    }
  return g_build_filename (t->record_dir, name, NULL);
}

/* The Record popover lists every stream of the window, the viewed ones
 * checked. */
static StepResult
s_record_popover (OlGuiSelfTest *t, OlGuiWindow *w, gboolean first)
{
  OlGuiRecordBar *bar = ol_gui_window_get_record_bar (w);
  GtkMenuButton *button = GTK_MENU_BUTTON (ol_gui_record_bar_get_record_button (bar));
  g_auto (GStrv) listed = NULL;
  g_auto (GStrv) checked = NULL;
  json_t *streams = ol_gui_connection_get_streams (ol_gui_window_get_connection (w));
  const char *name;
  json_t *config;

  (void) first;
  if (!gtk_widget_is_sensitive (GTK_WIDGET (button)))
    return s_fail (t, "the Record button is insensitive");
  gtk_menu_button_popup (button);
  listed = ol_gui_record_bar_get_listed_streams (bar, &checked);
  gtk_menu_button_popdown (button);
  json_object_foreach (streams, name, config)
    {
      OlGuiStreamRow *row = ol_gui_window_get_stream_row (w, name);
      gboolean viewed = row != NULL && ol_gui_stream_row_get_viewed (row);

      (void) config;
      if (!g_strv_contains ((const char *const *) listed, name))
        return s_fail (t, "the Record popover does not list %s (%u listed)", name,
                       g_strv_length (listed));
      if (viewed != g_strv_contains ((const char *const *) checked, name))
        return s_fail (t, "the Record popover has %s %s, but it is %s", name,
                       viewed ? "unchecked" : "checked", viewed ? "viewed" : "not viewed");
    }
  if (g_strv_length (listed) != json_object_size (streams))
    return s_fail (t, "the Record popover lists %u streams, the server %zu",
                   g_strv_length (listed), json_object_size (streams));
  printf ("self-test:   %u streams listed, %u checked\n", g_strv_length (listed),
          g_strv_length (checked));
  fflush (stdout);
  return STEP_DONE;
}

/* A recording that cannot start: the banner says why in one line naming
 * what, no file is left. */
static StepResult
s_record_refused (OlGuiSelfTest *t, OlGuiWindow *w, gboolean first, const char *file,
                  const char *const *streams, const char *named)
{
  OlGuiRecordBar *bar = ol_gui_window_get_record_bar (w);
  const char *banner;

  if (first)
    {
      g_autoptr (GError) error = NULL;

      g_free (t->record_path);
      t->record_path = s_record_file (t, file);
      if (t->record_path == NULL)
        return STEP_FAILED;
      if (!ol_gui_record_bar_start (bar, t->record_path, streams, &error))
        return s_fail (t, "the Record bar refused to start: %s", error->message);
    }
  banner = ol_gui_window_get_banner_text (w);
  g_free (t->reason);
  t->reason = g_strdup_printf ("the bar is %s, the banner shows %s",
                               s_record_state_name (ol_gui_record_bar_get_state (bar)),
                               banner ? banner : "nothing");
  if (ol_gui_record_bar_get_state (bar) != OL_GUI_RECORD_IDLE)
    return STEP_WAIT;
  if (banner == NULL || strstr (banner, named) == NULL || strchr (banner, '\n') != NULL)
    return s_fail (t, "%s; expected one line naming %s", t->reason, named);
  if (g_file_test (t->record_path, G_FILE_TEST_EXISTS))
    return s_fail (t, "the failed recording left %s behind", t->record_path);
  printf ("self-test:   the banner says: %s\n", banner);
  fflush (stdout);
  return STEP_DONE;
}

static StepResult
s_record_unknown (OlGuiSelfTest *t, OlGuiWindow *w, gboolean first)
{
  const char *streams[] = { TEMPERATURE, UNKNOWN, NULL };

  return s_record_refused (t, w, first, "unknown.mcap", streams, UNKNOWN);
}

/* A file that cannot be created: in a directory that does not exist. */
static StepResult
s_record_unwritable (OlGuiSelfTest *t, OlGuiWindow *w, gboolean first)
{
  const char *streams[] = { TEMPERATURE, NULL };

  return s_record_refused (t, w, first, "no-such-dir/run.mcap", streams, "no-such-dir/run.mcap");
}

static StepResult
s_record_start (OlGuiSelfTest *t, OlGuiWindow *w, gboolean first)
{
  OlGuiRecordBar *bar = ol_gui_window_get_record_bar (w);
  const char *streams[] = { TEMPERATURE, SINE, NULL };
  OlGuiRecordState state = ol_gui_record_bar_get_state (bar);

  if (first)
    {
      g_autoptr (GError) error = NULL;

      g_free (t->record_path);
      t->record_path = s_record_file (t, "two-streams.mcap");
      if (t->record_path == NULL)
        return STEP_FAILED;
      if (!ol_gui_record_bar_start (bar, t->record_path, streams, &error))
        return s_fail (t, "the Record bar refused to start: %s", error->message);
      return STEP_WAIT;
    }
  if (state == OL_GUI_RECORD_IDLE)
    return s_fail (t, "the recording did not start; the banner shows %s",
                   ol_gui_window_get_banner_text (w) ? ol_gui_window_get_banner_text (w)
                                                     : "nothing");
  g_free (t->reason);
  t->reason = g_strdup_printf ("the bar is still %s", s_record_state_name (state));
  return state == OL_GUI_RECORD_RECORDING ? STEP_DONE : STEP_WAIT;
}

static StepResult
s_record_count (OlGuiSelfTest *t, OlGuiWindow *w, gboolean first)
{
  OlGuiRecordBar *bar = ol_gui_window_get_record_bar (w);

  (void) first;
  if (ol_gui_record_bar_get_state (bar) != OL_GUI_RECORD_RECORDING)
    return s_fail (t, "the bar is %s, no longer recording; the banner shows %s",
                   s_record_state_name (ol_gui_record_bar_get_state (bar)),
                   ol_gui_window_get_banner_text (w) ? ol_gui_window_get_banner_text (w)
                                                     : "nothing");
  g_free (t->reason);
  t->reason = g_strdup_printf ("the bar shows \"%s\"", ol_gui_record_bar_get_figures_text (bar));
  if (ol_gui_record_bar_get_shown_messages (bar) <= RECORD_MESSAGES)
    return STEP_WAIT;
  printf ("self-test:   the bar shows: %s\n", ol_gui_record_bar_get_figures_text (bar));
  fflush (stdout);
  return STEP_DONE;
}

static StepResult
s_record_stop (OlGuiSelfTest *t, OlGuiWindow *w, gboolean first)
{
  OlGuiRecordBar *bar = ol_gui_window_get_record_bar (w);
  OlGuiRecordState state;

  if (first)
    {
      GtkWidget *stop = ol_gui_record_bar_get_stop_button (bar);

      if (!gtk_widget_is_sensitive (stop) || !gtk_widget_get_mapped (stop))
        return s_fail (t, "the Stop button is not there to press");
      t->record_shown = ol_gui_record_bar_get_shown_messages (bar);
      /* As a click would. */
      g_signal_emit_by_name (stop, "clicked");
      if (ol_gui_record_bar_get_state (bar) != OL_GUI_RECORD_STOPPING)
        return s_fail (t, "pressing Stop left the bar %s",
                       s_record_state_name (ol_gui_record_bar_get_state (bar)));
    }
  state = ol_gui_record_bar_get_state (bar);
  g_free (t->reason);
  t->reason = g_strdup_printf ("the bar is still %s", s_record_state_name (state));
  if (state != OL_GUI_RECORD_IDLE)
    return STEP_WAIT;
  if (ol_gui_window_get_banner_text (w) != NULL)
    return s_fail (t, "the banner shows %s", ol_gui_window_get_banner_text (w));
  printf ("self-test:   after Stop the bar shows: %s\n", ol_gui_record_bar_get_figures_text (bar));
  fflush (stdout);
  return STEP_DONE;
}

/* The file holds messages of both streams, at least as many as the bar
 * showed, and is complete. Removed afterwards. */
static StepResult
s_check_recording (OlGuiSelfTest *t, const char *const *names, guint64 at_least)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (OlRecording) recording = ol_recording_open (t->record_path, &error);
  g_autoptr (json_t) d = NULL;
  json_t *streams;
  guint64 total;
  g_autoptr (GString) each = g_string_new (NULL);

  if (recording == NULL)
    return s_fail (t, "ol_recording_open (%s): %s", t->record_path, error->message);
  d = ol_recording_describe (recording);
  streams = json_object_get (d, "streams");
  total = json_integer_value (json_object_get (d, "messages"));
  for (guint i = 0; names[i] != NULL; i++)
    {
      json_int_t n = json_integer_value (json_object_get (json_object_get (streams, names[i]),
                                                          "messages"));

      if (n <= 0)
        return s_fail (t, "the file holds no message of %s (%" G_GUINT64_FORMAT " in all)",
                       names[i], total);
      g_string_append_printf (each, "%s%s %" JSON_INTEGER_FORMAT, i ? ", " : "", names[i], n);
    }
  if (json_object_size (streams) != g_strv_length ((char **) names))
    return s_fail (t, "the file holds %zu streams, expected %u", json_object_size (streams),
                   g_strv_length ((char **) names));
  if (!json_is_true (json_object_get (d, "complete")))
    return s_fail (t, "the file is not complete (\"complete\": false)");
  if (total < at_least)
    return s_fail (t, "the file holds %" G_GUINT64_FORMAT " messages, the bar showed %"
                   G_GUINT64_FORMAT, total, at_least);
  printf ("self-test:   %s: %" G_GUINT64_FORMAT " messages (%s), %" JSON_INTEGER_FORMAT
          " bytes, complete\n", t->record_path, total, each->str,
          json_integer_value (json_object_get (d, "size")));
  fflush (stdout);
  g_clear_pointer (&recording, ol_recording_close);
  if (g_unlink (t->record_path) != 0)
    return s_fail (t, "cannot remove %s", t->record_path);
  return STEP_DONE;
}

static StepResult
s_record_file_ok (OlGuiSelfTest *t, OlGuiWindow *w, gboolean first)
{
  const char *names[] = { TEMPERATURE, SINE, NULL };

  (void) w;
  (void) first;
  return s_check_recording (t, names, t->record_shown);
}

/* Closing the window while recording: the window waits for the file, which
 * is complete. */
static StepResult
s_record_close (OlGuiSelfTest *t, OlGuiWindow *w, gboolean first)
{
  const char *names[] = { SINE, NULL };

  if (first)
    {
      OlGuiRecordBar *bar = ol_gui_window_get_record_bar (w);
      g_autoptr (GError) error = NULL;

      g_free (t->record_path);
      t->record_path = s_record_file (t, "closing.mcap");
      if (t->record_path == NULL)
        return STEP_FAILED;
      if (!ol_gui_record_bar_start (bar, t->record_path, names, &error))
        return s_fail (t, "the Record bar refused to start: %s", error->message);
      t->record_shown = 0;
    }
  if (w != NULL)
    {
      OlGuiRecordBar *bar = ol_gui_window_get_record_bar (w);
      OlGuiRecordState state = ol_gui_record_bar_get_state (bar);

      g_free (t->reason);
      t->reason = g_strdup_printf ("the bar is %s, showing \"%s\"", s_record_state_name (state),
                                   ol_gui_record_bar_get_figures_text (bar));
      if (t->window_may_close)
        return STEP_WAIT;
      if (state == OL_GUI_RECORD_IDLE)
        return s_fail (t, "the recording did not start; the banner shows %s",
                       ol_gui_window_get_banner_text (w) ? ol_gui_window_get_banner_text (w)
                                                         : "nothing");
      if (state != OL_GUI_RECORD_RECORDING || ol_gui_record_bar_get_shown_messages (bar) < 1)
        return STEP_WAIT;
      t->record_shown = ol_gui_record_bar_get_shown_messages (bar);
      t->window_may_close = TRUE;
      gtk_window_close (GTK_WINDOW (w));
      return STEP_WAIT;
    }
  return s_check_recording (t, names, t->record_shown);
}

static void
s_stop_waiting_for_paint (OlGuiSelfTest *t)
{
  if (t->clock != NULL)
    g_signal_handler_disconnect (t->clock, t->after_paint_id);
  t->after_paint_id = 0;
  g_clear_object (&t->clock);
}

/* Right after a paint every widget has its fresh render node. */
static void
s_on_after_paint (GdkFrameClock *clock, OlGuiSelfTest *t)
{
  g_autoptr (OlGuiWindow) w = g_weak_ref_get (&t->window);

  (void) clock;
  s_stop_waiting_for_paint (t);
  g_clear_error (&t->shot_error);
  if (w != NULL)
    ol_gui_screenshot_save (GTK_WIDGET (w), t->screenshot, &t->shot_error);
  t->shot_done = TRUE;
}

static StepResult
s_screenshot (OlGuiSelfTest *t, OlGuiWindow *w, gboolean first)
{
  (void) first;
  if (t->screenshot == NULL)
    return STEP_DONE;
  if (t->shot_done && t->shot_error == NULL)
    {
      printf ("self-test: screenshot written to %s\n", t->screenshot);
      return STEP_DONE;
    }
  if (t->shot_done && (t->shot_attempts >= 10
                       || !g_error_matches (t->shot_error, G_IO_ERROR,
                                            G_IO_ERROR_NOT_INITIALIZED)))
    return s_fail (t, "%s", t->shot_error->message);
  if (t->clock == NULL)
    {
      GdkFrameClock *clock = gtk_widget_get_frame_clock (GTK_WIDGET (w));

      if (clock == NULL)
        return s_fail (t, "the window is not on screen");
      t->shot_done = FALSE;
      t->shot_attempts++;
      t->clock = g_object_ref (clock);
      t->after_paint_id = g_signal_connect (clock, "after-paint",
                                            G_CALLBACK (s_on_after_paint), t);
      gtk_widget_queue_draw (GTK_WIDGET (w));
    }
  g_free (t->reason);
  t->reason = g_strdup ("the window was not painted");
  return STEP_WAIT;
}

static const Step s_steps[] = {
  { "connect", s_connect, STEP_BOUND_MS * 1000 },
  { "lists (streams and callables)", s_lists, STEP_BOUND_MS * 1000 },
  { CAMERA " off at start", s_camera_off_first, STEP_BOUND_MS * 1000 },
  { "switch " CAMERA " on", s_camera_on, STEP_BOUND_MS * 1000 },
  { "3 frames shown", s_frames_shown, STEP_BOUND_MS * 1000 },
  { "camera running 10 s", s_camera_run, CAMERA_RUN_US + STEP_BOUND_MS * 1000 },
  { "select stage.move_to", s_select, STEP_BOUND_MS * 1000 },
  { "fill axis=1 mm=12.5", s_fill, STEP_BOUND_MS * 1000 },
  { "call stage.move_to", s_call, STEP_BOUND_MS * 1000 },
  { "switch " CAMERA " off", s_camera_off, STEP_BOUND_MS * 1000 },
  { "unit on the axis of " TEMPERATURE, s_unit_on_axis, STEP_BOUND_MS * 1000 },
  { "trace of " TRACE " painted", s_trace_painted, TRACE_RUN_US + STEP_BOUND_MS * 1000 },
  { "heat " TEMPERATURE " beyond its alarm limit", s_heat_up, STEP_BOUND_MS * 1000 },
  { TEMPERATURE " in alarm", s_in_alarm, 2 * STEP_BOUND_MS * 1000 },
  { "the Record popover lists the streams, the viewed ones checked", s_record_popover,
    STEP_BOUND_MS * 1000 },
  { "record an unknown stream", s_record_unknown, STEP_BOUND_MS * 1000 },
  { "record to a directory that does not exist", s_record_unwritable, STEP_BOUND_MS * 1000 },
  { "record " TEMPERATURE " and " SINE, s_record_start, STEP_BOUND_MS * 1000 },
  { "more than 20 messages recorded", s_record_count, STEP_BOUND_MS * 1000 },
  { "screenshot", s_screenshot, STEP_BOUND_MS * 1000 },
  { "stop the recording", s_record_stop, STEP_BOUND_MS * 1000 },
  { "the file holds both streams, complete", s_record_file_ok, STEP_BOUND_MS * 1000 },
  { "cool " TEMPERATURE " back within its limits", s_cool_down, STEP_BOUND_MS * 1000 },
  { TEMPERATURE " back to normal", s_back_to_normal, 2 * STEP_BOUND_MS * 1000 },
  { "close the window while recording " SINE, s_record_close, STEP_BOUND_MS * 1000 },
};

static void
s_finish (OlGuiSelfTest *t, OlGuiWindow *w, int status)
{
  g_autoptr (GError) error = NULL;

  g_clear_handle_id (&t->poll_id, g_source_remove);
  s_stop_waiting_for_paint (t);
  if (status != 0)
    {
      fprintf (stderr, "self-test failed at step: %s: %s\n", s_steps[t->step].name,
               t->reason ? t->reason : "unknown");
      /* The window as the failure left it. */
      if (t->screenshot != NULL && w != NULL
          && !g_str_equal (s_steps[t->step].name, "screenshot"))
        {
          if (ol_gui_screenshot_save (GTK_WIDGET (w), t->screenshot, &error))
            printf ("self-test: screenshot written to %s\n", t->screenshot);
          else
            fprintf (stderr, "self-test: no screenshot: %s\n", error->message);
        }
    }
  else
    printf ("self-test passed\n");
  fflush (stdout);
  fflush (stderr);
  t->done (status, t->user_data);
  if (t->app != NULL)
    g_application_release (t->app);
  g_clear_object (&t->app);
}

static gboolean
s_poll (gpointer data)
{
  OlGuiSelfTest *t = data;
  g_autoptr (OlGuiWindow) w = g_weak_ref_get (&t->window);
  const Step *step;
  StepResult r;
  gint64 now = g_get_monotonic_time ();

  if (w == NULL && !t->window_may_close)
    {
      t->poll_id = 0;
      g_free (t->reason);
      t->reason = g_strdup ("the window was closed");
      s_finish (t, NULL, 1);
      return G_SOURCE_REMOVE;
    }
  while (t->step < G_N_ELEMENTS (s_steps))
    {
      step = &s_steps[t->step];
      if (!t->step_started)
        {
          printf ("self-test: %s\n", step->name);
          fflush (stdout);
          t->step_started = TRUE;
          t->step_start_us = now;
          g_clear_pointer (&t->reason, g_free);
          r = step->run (t, w, TRUE);
        }
      else
        r = step->run (t, w, FALSE);
      if (r == STEP_WAIT && now - t->step_start_us > step->bound_us)
        {
          g_autofree char *why = g_strdup_printf ("not done within %.0f s: %s",
                                                  step->bound_us / 1e6,
                                                  t->reason ? t->reason : "");
          g_free (t->reason);
          t->reason = g_steal_pointer (&why);
          r = STEP_FAILED;
        }
      if (r == STEP_WAIT)
        return G_SOURCE_CONTINUE;
      if (r == STEP_FAILED)
        {
          t->poll_id = 0;
          s_finish (t, w, 1);
          return G_SOURCE_REMOVE;
        }
      printf ("self-test:   ok (%.0f ms)\n", (now - t->step_start_us) / 1000.0);
      t->step++;
      t->step_started = FALSE;
    }
  t->poll_id = 0;
  s_finish (t, w, 0);
  return G_SOURCE_REMOVE;
}

OlGuiSelfTest *
ol_gui_self_test_start (OlGuiWindow *window, const char *screenshot, OlGuiSelfTestDone done,
                        gpointer user_data)
{
  OlGuiSelfTest *t = g_new0 (OlGuiSelfTest, 1);

  g_return_val_if_fail (OL_GUI_IS_WINDOW (window) && done != NULL, NULL);
  g_weak_ref_init (&t->window, window);
  t->screenshot = g_strdup (screenshot);
  t->done = done;
  t->user_data = user_data;
  if (gtk_window_get_application (GTK_WINDOW (window)) != NULL)
    {
      t->app = g_object_ref (G_APPLICATION (gtk_window_get_application (GTK_WINDOW (window))));
      g_application_hold (t->app);
    }
  t->poll_id = g_timeout_add (POLL_MS, s_poll, t);
  return t;
}

void
ol_gui_self_test_free (OlGuiSelfTest *t)
{
  if (t == NULL)
    return;
  g_clear_handle_id (&t->poll_id, g_source_remove);
  g_weak_ref_clear (&t->window);
  g_clear_pointer (&t->meter, ol_gui_stall_meter_free);
  s_stop_waiting_for_paint (t);
  g_clear_error (&t->shot_error);
  if (t->app != NULL)
    g_application_release (t->app);
  g_clear_object (&t->app);
  /* What a failed step left of the recordings. */
  if (t->record_path != NULL)
    g_unlink (t->record_path);
  if (t->record_dir != NULL)
    g_rmdir (t->record_dir);
  g_free (t->record_path);
  g_free (t->record_dir);
  g_free (t->screenshot);
  g_free (t->reason);
  g_free (t);
}
