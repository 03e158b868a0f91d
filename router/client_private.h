/* OlClient internals shared with the stream side of the client
 * (streamer/subscriber.c). */
#pragma once

#include "oneliner/client.h"
#include "streamer/subscriber.h"

G_BEGIN_DECLS

/* The client's subscriber, created on first use (connects the SUB socket to
 * the client's stream endpoint). (transfer none), or NULL with
 * OL_ERROR_SOCKET when the endpoint is malformed. */
OlSubscriber *ol__client_subscriber (OlClient *client, GError **error);

/* The subscriber if it was created, else NULL. (transfer none) */
OlSubscriber *ol__client_peek_subscriber (OlClient *client);

G_END_DECLS
