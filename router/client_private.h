/* OlClient internals shared with the stream side of the client
 * (streamer/subscriber.c) and the stream control requests
 * (router/client_control.c). */
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

/* Checks a stream name as the client does before using it: 1 to 255 bytes
 * of printable ASCII without spaces. Fails with OL_ERROR_INVALID_ARGS.
 * (router/client_control.c) */
gboolean ol__client_check_stream_name (const char *name, GError **error);

G_END_DECLS
