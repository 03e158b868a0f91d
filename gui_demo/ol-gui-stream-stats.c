/* oneliner-gui: client-side statistics of one subscribed stream. */
#include "ol-gui-stream-stats.h"

void
ol_gui_stream_stats_take (OlGuiStreamStats *stats, gsize payload_size)
{
  g_return_if_fail (stats != NULL);
  stats->bytes_taken += payload_size;
  stats->messages_taken++;
}

void
ol_gui_stream_stats_sample (OlGuiStreamStats *stats, const OlStreamCounters *counters,
                            gint64 now_us)
{
  double seconds;
  guint64 received;

  g_return_if_fail (stats != NULL && counters != NULL);
  if (stats->messages_taken > 0)
    stats->average_size = (double) stats->bytes_taken / (double) stats->messages_taken;
  stats->dropped = counters->missed + counters->overflowed;
  stats->errors = counters->errors;
  if (stats->last_sample_us != 0 && now_us > stats->last_sample_us)
    {
      /* A cache replaces messages nobody took: they were received all the
       * same, at the size of the ones taken. */
      seconds = (double) (now_us - stats->last_sample_us) / G_USEC_PER_SEC;
      received = counters->received >= stats->last_received
        ? counters->received - stats->last_received : counters->received;
      stats->rate = (double) received / seconds;
      stats->kbytes_per_s = stats->rate * stats->average_size / 1000.0;
    }
  stats->last_received = counters->received;
  stats->last_sample_us = now_us;
  stats->bytes_taken = 0;
  stats->messages_taken = 0;
}

char *
ol_gui_stream_stats_format (const OlGuiStreamStats *stats)
{
  g_return_val_if_fail (stats != NULL, NULL);
  if (stats->last_sample_us == 0)
    return g_strdup ("measuring…");
  if (stats->errors > 0)
    return g_strdup_printf ("%.1f msg/s · %.1f kB/s · %" G_GUINT64_FORMAT " dropped · %"
                            G_GUINT64_FORMAT " errors", stats->rate, stats->kbytes_per_s,
                            stats->dropped, stats->errors);
  return g_strdup_printf ("%.1f msg/s · %.1f kB/s · %" G_GUINT64_FORMAT " dropped",
                          stats->rate, stats->kbytes_per_s, stats->dropped);
}
