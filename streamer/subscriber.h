/* The stream side of OlClient: a receiver thread that owns the SUB socket
 * and the per-stream storage (cache or queue) that the client's thread reads.
 *
 * Thread rules: ol__subscriber_new/free and every public ol_client_*stream*
 * function run on the client's thread; the receiver thread only receives,
 * stores and schedules watch notifications on the client's GMainContext. The
 * storage is shared between the two and guarded by OlSubscriber's mutex.
 */
#pragma once

#include <glib.h>

#include "oneliner/client.h"

G_BEGIN_DECLS

typedef struct OlSubscriber OlSubscriber;

/* Starts the receiver thread, whose SUB socket connects to endpoint.
 * Watch callbacks run on context and receive client. Returns NULL with
 * OL_ERROR_SOCKET if the endpoint is malformed. (transfer full) */
OlSubscriber *ol__subscriber_new (const char *endpoint, GMainContext *context,
                                  OlClient *client, GError **error);

/* Stops the receiver thread (bounded: it polls its stop signal at least every
 * 100 ms) and frees everything, pending watch notifications included. */
void ol__subscriber_free (OlSubscriber *subscriber);

/* Messages dropped because they were not well-formed stream messages (or
 * arrived for a stream no longer configured). */
guint64 ol__subscriber_malformed (OlSubscriber *subscriber);

G_END_DECLS
