/* oneliner-gui: OlGuiStallMeter, how long the main loop stops answering. */
#include "ol-gui-stall-meter.h"

#define INTERVAL_MS 10
#define LONG_STALL_US 50000

struct OlGuiStallMeter {
  GSource *source;   /* (owned) (nullable) while measuring */
  gint64 started_us;
  gint64 stopped_us;
  gint64 last_us;
  gint64 max_us;
  guint long_stalls;
};

static gboolean
s_tick (gpointer data)
{
  OlGuiStallMeter *m = data;
  gint64 now = g_get_monotonic_time ();
  gint64 stall = now - m->last_us - INTERVAL_MS * 1000;

  if (stall > m->max_us)
    m->max_us = stall;
  if (stall > LONG_STALL_US)
    m->long_stalls++;
  m->last_us = now;
  return G_SOURCE_CONTINUE;
}

OlGuiStallMeter *
ol_gui_stall_meter_start (void)
{
  OlGuiStallMeter *m = g_new0 (OlGuiStallMeter, 1);
  g_autoptr (GMainContext) context = g_main_context_ref_thread_default ();

  m->started_us = m->last_us = g_get_monotonic_time ();
  m->source = g_timeout_source_new (INTERVAL_MS);
  g_source_set_name (m->source, "oneliner-gui stall meter");
  g_source_set_priority (m->source, G_PRIORITY_DEFAULT);
  g_source_set_callback (m->source, s_tick, m, NULL);
  g_source_attach (m->source, context);
  return m;
}

void
ol_gui_stall_meter_stop (OlGuiStallMeter *m)
{
  g_return_if_fail (m != NULL);
  if (m->source == NULL)
    return;
  g_source_destroy (m->source);
  g_clear_pointer (&m->source, g_source_unref);
  m->stopped_us = g_get_monotonic_time ();
}

gint64
ol_gui_stall_meter_get_max_us (OlGuiStallMeter *m)
{
  g_return_val_if_fail (m != NULL, 0);
  return MAX (m->max_us, 0);
}

gint64
ol_gui_stall_meter_get_elapsed_us (OlGuiStallMeter *m)
{
  g_return_val_if_fail (m != NULL, 0);
  return (m->source != NULL ? g_get_monotonic_time () : m->stopped_us) - m->started_us;
}

guint
ol_gui_stall_meter_get_long_stalls (OlGuiStallMeter *m)
{
  g_return_val_if_fail (m != NULL, 0);
  return m->long_stalls;
}

void
ol_gui_stall_meter_free (OlGuiStallMeter *m)
{
  if (m == NULL)
    return;
  ol_gui_stall_meter_stop (m);
  g_free (m);
}
