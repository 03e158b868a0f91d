/* OlSubscriber, the stream side of an OlClient: a receiver thread that owns
 * the SUB socket and the per-stream storage (cache or queue) that the
 * client's thread reads, with watches called on the client's GMainContext.
 * streamer/subscriber_private.h lists the files that make it.
 *
 * Include direction: this header is what streamer/client_streams.c, the
 * client's public stream API above it, uses of the subscriber. It includes
 * only public headers; nothing here knows the OlClient beyond the pointer
 * it hands to watches.
 *
 * Thread rules: every function here but ol__subscriber_malformed and
 * ol__subscriber_shm runs on
 * the client's thread; the receiver thread only receives, stores and
 * schedules watch notifications on the client's GMainContext. The storage
 * is shared between the two and guarded by OlSubscriber's mutex.
 */
#pragma once

#include <glib.h>

#include "oneliner/client.h"
#include "oneliner/stream.h"
#include "core/keys.h"

G_BEGIN_DECLS

typedef struct OlSubscriber OlSubscriber;

/* Starts the receiver thread, whose SUB socket connects to endpoint (a
 * CURVE client with a copy of keys, if not NULL); shm: it may take same-host
 * frames (streamer/shm.h) unless ONELINER_SHM=0.
 * Watch callbacks run on context and receive client. Returns NULL with
 * OL_ERROR_SOCKET if the endpoint is malformed. (transfer full) */
OlSubscriber *ol__subscriber_new (const char *endpoint, const OlClientKeys *keys,
                                  gboolean shm, GMainContext *context,
                                  OlClient *client, GError **error);

/* Stops the receiver thread (bounded: it polls its stop signal at least every
 * 100 ms) and frees everything, pending watch notifications included. */
void ol__subscriber_free (OlSubscriber *subscriber);

/* Messages dropped because they were not well-formed stream messages (wrong
 * frame count, bad topic or header, image of the wrong size) or arrived for
 * a stream no longer configured. For tests and diagnostics; any thread. */
guint64 ol__subscriber_malformed (OlSubscriber *subscriber);

/* Whether the receiver takes large frames from the server's shared-memory
 * ring now (streamer/shm.h); *frames (nullable) gets the frames it read
 * there, *torn (nullable) those overwritten before it could read them
 * (each also counts as missed in its stream). Any thread. */
gboolean ol__subscriber_shm (OlSubscriber *subscriber, guint64 *frames, guint64 *torn,
                             guint64 *copied);

/* streamer/storage.c. name is a valid stream name. */

/* Configures name (subscribing to it if it is new) or changes its storage;
 * depth 0 is the default depth of a queue. A smaller capacity drops the
 * oldest messages, counted as overflowed. */
void ol__subscriber_configure (OlSubscriber *subscriber, const char *name,
                               OlStorage storage, guint depth);

/* Forgets name and unsubscribes; FALSE if it was not configured. */
gboolean ol__subscriber_unconfigure (OlSubscriber *subscriber, const char *name);

/* Takes the oldest message of name, waiting up to timeout_ms (0: no wait)
 * for one. (transfer full) (nullable): NULL when none came, or when name is
 * not configured (*configured FALSE). */
OlStreamMessage *ol__subscriber_take (OlSubscriber *subscriber, const char *name,
                                      int timeout_ms, gboolean *configured);

/* What ol__subscriber_take_range() found of the stream it was asked for. */
typedef struct {
  gboolean configured;       /* else the other fields are not set */
  OlStorage storage;
  guint capacity;            /* 1 for a cache, the depth of a queue */
} OlRangeInfo;

/* Takes (pop TRUE) or copies (pop FALSE: the messages stay in the stream)
 * the |n| earliest (n > 0) or latest (n < 0) messages of name, oldest
 * first, waiting up to timeout_ms (0: no wait) until there are |n|; then
 * takes what is there. n is not 0. Returns a GPtrArray of OlStreamMessage
 * that frees them (transfer full), or NULL, having waited for nothing and
 * changed nothing, when name is not configured (info->configured FALSE) or
 * |n| is above the stream's capacity; else NULL when no message came in
 * time. A copy shares the payload of the message it copies. Counters do
 * not change: taking is not counted. */
GPtrArray *ol__subscriber_take_range (OlSubscriber *subscriber, const char *name,
                                      int n, gboolean pop, int timeout_ms,
                                      OlRangeInfo *info);

/* Copies the counters of name; FALSE if it is not configured. */
gboolean ol__subscriber_counters (OlSubscriber *subscriber, const char *name,
                                  OlStreamCounters *counters);

/* streamer/watch.c */

/* Adds a watch of name (NULL: every stream); returns its id, never 0. */
guint ol__subscriber_watch (OlSubscriber *subscriber, const char *name,
                            OlStreamWatchFunc func, gpointer user_data,
                            GDestroyNotify destroy);

/* Adds a watch of the connection state; returns its id, never 0. */
guint ol__subscriber_watch_connection (OlSubscriber *subscriber,
                                       OlStreamConnectionFunc func,
                                       gpointer user_data, GDestroyNotify destroy);

/* The connection state of the SUB socket and when it last changed
 * (monotonic us). Any thread. */
OlStreamConnection ol__subscriber_connection (OlSubscriber *subscriber,
                                              gint64 *since_us);

/* Removes watch id (of a stream or of the connection); FALSE if there is
 * none. Its destroy notify runs now, or once a dispatch running it lets go
 * of it. */
gboolean ol__subscriber_unwatch (OlSubscriber *subscriber, guint id);

G_END_DECLS
