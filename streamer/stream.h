/* One stream of a server: its configuration, sequence counter and
 * statistics, shared by the threads that publish it and the threads that
 * read its state (RPC thread, application threads).
 *
 * Thread rules: the immutable fields are set before the stream is shared;
 * the mutable ones are atomics, so no lock is needed to read or update them.
 * sequence is advanced only by the one thread that publishes the stream (the
 * group thread of a periodic stream) or under the pusher's lock (a pushed
 * stream).
 */
#pragma once

#include <glib.h>
#include <jansson.h>
#include <stdatomic.h>

#include "oneliner/stream.h"
#include "router/registry.h"
#include "core/lock.h"
#include "streamer/description.h"
#include "streamer/header.h"

G_BEGIN_DECLS

typedef enum {
  OL_STREAM_PERIODIC,
  OL_STREAM_PUSHED,
  OL_STREAM_RELAYED,
} OlStreamKind;

typedef struct {
  atomic_int refcount;
  /* Immutable once shared: */
  char *name;               /* (owned) */
  char *topic;              /* (owned) name followed by its NUL */
  gsize topic_len;          /* strlen (name) + 1 */
  OlStreamKind kind;
  OlEncoding encoding;
  OlImageInfo image;
  double hz;                /* periodic only */
  OlCallable *callable;     /* periodic only; owned by the registry */
  char *instance;           /* (owned) (nullable) periodic only, for describe */
  char *method;             /* (owned) periodic only */
  json_t *args;             /* (owned) periodic only */
  json_t *kwargs;           /* (owned) periodic only */
  char *endpoint;           /* (owned) relayed only: the PUB socket relayed */
  char *upstream_topic;     /* (owned) relayed only: its subscription, "" for all */

  /* Mutable: */
  /* What the values mean. checks_values is read without the lock: a
   * stream whose description checks nothing costs its publishers nothing. */
  OlMutex description_lock;     /* guards description */
  OlDescription *description;   /* (owned) (nullable) */
  atomic_bool checks_values;    /* description declares a form of JSON values */
  atomic_bool enabled;
  atomic_bool removed;
  atomic_uint_fast64_t sequence;   /* last sequence number used; see above */
  atomic_uint_fast64_t sent;       /* messages handed to the proxy */
  atomic_uint_fast64_t errors;     /* error messages among them */
  atomic_uint_fast64_t warnings;   /* messages among them with OL_STATUS_WARNING */
  atomic_uint_fast64_t alarms;     /* messages among them with OL_STATUS_ALARM */
  atomic_uint_fast64_t overruns;   /* deadlines missed by the stream's thread */
  atomic_uint_fast64_t dropped;    /* lost inside the server (queue full, send refused) */
  atomic_uint_fast64_t suppressed; /* pushed while disabled: discarded */
  atomic_int_fast64_t rate_window_start; /* monotonic us of the current 1 s window */
  atomic_uint_fast64_t rate_window_sent; /* sent at rate_window_start */
  atomic_uint_fast64_t rate_milli;       /* messages/s over the last window, x1000 */
} OlStream;

OlStream *ol__stream_new (const char *name, OlStreamKind kind, OlEncoding encoding,
                          const OlImageInfo *image);
OlStream *ol__stream_ref (OlStream *stream);
void ol__stream_unref (OlStream *stream);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (OlStream, ol__stream_unref)

/* Counts one message of that status sent and updates the rate (called by
 * the publishing thread after a successful send). */
void ol__stream_count_sent (OlStream *stream, guint8 status);

/* Messages sent, by status, as a thread that sends batches counts them. */
typedef struct {
  guint64 sent;
  guint64 errors;     /* error messages among them */
  guint64 warnings;   /* with OL_STATUS_WARNING */
  guint64 alarms;     /* with OL_STATUS_ALARM */
} OlSentCount;

static inline void
ol__sent_count_add (OlSentCount *count, guint8 status)
{
  count->sent++;
  count->errors += (status & OL_STATUS_ERROR) != 0;
  count->warnings += (status & OL_STATUS_WARNING) != 0;
  count->alarms += (status & OL_STATUS_ALARM) != 0;
}

/* Counts what count says was sent and updates the rate with now
 * (g_get_monotonic_time()): a thread that sends batches reads the clock
 * once per batch. */
void ol__stream_count_sent_many (OlStream *stream, const OlSentCount *count, gint64 now);

/* Sets the stream's description (json borrowed; NULL removes it) after
 * checking it; the caller holds the streamer's lock. On a bad description
 * nothing changes and error has code. */
gboolean ol__stream_set_description (OlStream *stream, json_t *json, int code,
                                     GError **error);

/* Whether values published on the stream are checked (a form is declared);
 * no lock. */
static inline gboolean
ol__stream_checks_values (OlStream *stream)
{
  return atomic_load_explicit (&stream->checks_values, memory_order_acquire);
}

/* What a value of the stream's declared form is ("a number", ...), NULL if
 * none is declared. (transfer full) */
char *ol__stream_expected (OlStream *stream);

/* Checks a JSON value about to be published against the stream's
 * description: *status gets its WARNING or ALARM bit; FALSE with error
 * (code) for a value of another form. */
gboolean ol__stream_check_value (OlStream *stream, json_t *value, guint8 *status, int code,
                                 GError **error);

/* Configuration and statistics as JSON (docs/PROTOCOL.md, op "streams").
 * (transfer full) */
json_t *ol__stream_describe (OlStream *stream);

/* Builds the payload of a stream message from a call's outcome, following the
 * stream's encoding. On failure of the call (failure set) or a result of the
 * wrong kind, builds an error message instead: *status gets OL_STATUS_ERROR
 * and the payload is the JSON error object. value is consumed. The payload is
 * (transfer full). */
/* The payload of an error message: {"domain", "code", "message"} of
 * failure as JSON text. (transfer full) */
GBytes *ol__stream_error_payload (const GError *failure);

/* Checks that size bytes are one image of the stream's geometry; else sets
 * error (domain OL_ERROR, code) saying what was expected and, after got
 * ("not", say), the size. */
gboolean ol__stream_check_image_size (OlStream *stream, gsize size, int code, const char *got,
                                      GError **error);

GBytes *ol__stream_payload (OlStream *stream, OlValue *value,
                            const GError *failure, guint8 *status,
                            OlEncoding *encoding);

/* Sends one message (topic, header, payload) on a PUB socket without
 * blocking; the payload is not copied. Returns FALSE if the socket refused
 * it (counted as dropped). */
gboolean ol__stream_send (OlStream *stream, void *pub, const OlHeader *header,
                          GBytes *payload);

/* The same, counting nothing. Returns TRUE when the message was sent: then
 * the caller's reference to payload went to libzmq (transfer full), and the
 * caller counts it with ol__stream_count_sent_many(). Returns FALSE with
 * errno set (EAGAIN: the socket is at its high-water mark) when the socket
 * refused it: nothing was sent and payload is still the caller's. */
gboolean ol__stream_try_send (OlStream *stream, void *pub, const OlHeader *header,
                              GBytes *payload);

/* Counts one message lost in the server because the socket refused it with
 * error_code (an errno value). */
void ol__stream_count_dropped (OlStream *stream, int error_code);

/* Pixel format names for JSON: "gray8", "gray16", "rgb8". */
const char *ol__pixel_format_name (OlPixelFormat format);
gboolean ol__pixel_format_from_name (const char *name, OlPixelFormat *format);

G_END_DECLS
