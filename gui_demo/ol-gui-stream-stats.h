/* oneliner-gui: client-side statistics of one subscribed stream.
 *
 * Rate and throughput are measured where the user sees them: in this
 * client, from its stream counters (messages received, missed, dropped from
 * its storage) and the payload sizes of the messages it took. Plain data,
 * main thread only.
 */
#pragma once

#include <oneliner/oneliner.h>

G_BEGIN_DECLS

typedef struct {
  /* accumulated between two samples */
  guint64 bytes_taken;     /* payload bytes of the messages taken */
  guint64 messages_taken;
  /* the last sample */
  guint64 last_received;   /* counters.received */
  gint64 last_sample_us;   /* monotonic; 0 before the first sample */
  double average_size;     /* bytes per message, kept when nothing was taken */
  /* results */
  double rate;             /* messages/s received */
  double kbytes_per_s;     /* payload kB/s received (1 kB = 1000 bytes) */
  guint64 dropped;         /* missed on the way + dropped from the storage */
  guint64 errors;          /* error messages received */
  /* counters.overflowed already reported to the live view */
  guint64 overflowed_seen;
  /* the status bits of the latest message taken (taken_any: there was one),
   * and the messages taken with OL_STATUS_WARNING, OL_STATUS_ALARM */
  gboolean taken_any;
  guint32 last_status;
  guint64 warnings_taken;
  guint64 alarms_taken;
} OlGuiStreamStats;

/* Counts one message taken from the client's storage. */
void ol_gui_stream_stats_take (OlGuiStreamStats *stats, gsize payload_size);

/* Updates the results from the stream's counters at now_us (monotonic). The
 * first sample only sets the baseline. */
void ol_gui_stream_stats_sample (OlGuiStreamStats *stats, const OlStreamCounters *counters,
                                 gint64 now_us);

/* "30.0 msg/s · 9216.0 kB/s · 0 dropped" (transfer full) */
char *ol_gui_stream_stats_format (const OlGuiStreamStats *stats);

G_END_DECLS
