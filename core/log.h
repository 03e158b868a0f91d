/* Events a daemon keeps: mounts going down and up, clients refused, streams
 * switched. Each is one line through g_log_structured_array in the
 * "oneliner" domain at the MESSAGE level, with fields that a journal
 * indexes (under systemd the lines land in the journal with them):
 *
 *   ONELINER_EVENT     mount-up, mount-down, client-refused,
 *                      request-refused, stream-enabled, stream-disabled
 *   ONELINER_MOUNT     a mount's prefix
 *   ONELINER_ENDPOINT  the endpoint a mount reaches
 *   ONELINER_PEER      a refused client's address
 *   ONELINER_KEY       a refused client's public key (Z85)
 *   ONELINER_KEY_NAME  a key's name in the authorized keys
 *   ONELINER_ROLE      a key's role
 *   ONELINER_OP        a refused request's operation
 *   ONELINER_STREAM    a stream's name
 *
 * Without a journal they print as GLib's default writer prints messages:
 * "oneliner-Message: TIME: TEXT" on stderr.
 *
 * Thread rules: reentrant; an OlLogLimit is shared safely by threads.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Values of fields are cut to this many bytes. */
#define OL_LOG_FIELD_MAX 256

/* Logs one event: fields is NULL or a NULL-terminated list of field names
 * and values (a NULL value leaves its field out); the message is printf's
 * format and arguments. */
void ol__log_event (const char *event, const char *const *fields, const char *format, ...)
  G_GNUC_PRINTF (3, 4);

/* At most OL_LOG_LIMIT_LINES lines of one kind per OL_LOG_LIMIT_SECONDS: a
 * peer that is refused a thousand times a second cannot fill the log. The
 * first line after a quiet spell says how many were left out. */
#define OL_LOG_LIMIT_LINES 10
#define OL_LOG_LIMIT_SECONDS 10

typedef struct {
  GMutex lock;
  gint64 window_start;   /* monotonic microseconds */
  guint lines;           /* logged in this window */
  guint left_out;        /* not logged since the last line */
} OlLogLimit;

/* Whether a line may be logged now; if so, suffix is "" or, when lines
 * were left out since the last one, " (N more left out before this one)",
 * to end the line with. */
#define OL_LOG_LIMIT_SUFFIX 64
gboolean ol__log_limit_take (OlLogLimit *limit, char suffix[OL_LOG_LIMIT_SUFFIX]);

G_END_DECLS
