/* The client's subscriber, for tests: streamer/client_streams.c keeps it in
 * the client's stream slot (router/client_private.h).
 *
 * Include direction: client_streams.c is the top of the client's stream
 * side, above the OlClient core (router/client*.h) and the subscriber
 * (streamer/subscriber.h); no file of the library includes this header.
 *
 * Thread rules: the client's thread.
 */
#pragma once

#include "oneliner/client.h"
#include "streamer/subscriber.h"

G_BEGIN_DECLS

/* The client's subscriber, created on first use (connects the SUB socket to
 * the client's stream endpoint). (transfer none), or NULL with
 * OL_ERROR_SOCKET when the endpoint is malformed; that error is kept and
 * given again on every later use. */
OlSubscriber *ol__client_subscriber (OlClient *client, GError **error);

/* The subscriber if it was created, else NULL. (transfer none) */
OlSubscriber *ol__client_peek_subscriber (OlClient *client);

G_END_DECLS
