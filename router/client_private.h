/* OlClient internals for the layers built on it: the client's stream side
 * (streamer/client_streams.c) and the stream control requests
 * (router/client_control.c).
 *
 * Include direction: this header includes only public headers and core/, and
 * router/client.c includes nothing of streamer/. The stream side sits above
 * the OlClient core: it keeps its state in the client's stream slot, which
 * the core frees with the client without knowing what it holds.
 *
 * Thread rules: the client's thread, as for every OlClient function.
 */
#pragma once

#include "oneliner/client.h"
#include "core/keys.h"

G_BEGIN_DECLS

/* The context the client's callbacks run on. (transfer none) */
GMainContext *ol__client_context (OlClient *client);

/* The client's CURVE keys, for its stream socket too. (nullable)
 * (transfer none) */
const OlClientKeys *ol__client_keys (OlClient *client);

/* The stream slot: state of the stream side, made on its first use. The
 * client calls free_func on it when it is freed, after failing its pending
 * requests and before closing its own socket. */
gpointer ol__client_get_streams (OlClient *client);
void ol__client_set_streams (OlClient *client, gpointer streams,
                             GDestroyNotify free_func);

/* Checks a stream name as the client does before using it: 1 to 255 bytes
 * of printable ASCII without spaces. Fails with OL_ERROR_INVALID_ARGS.
 * (router/client_control.c) */
gboolean ol__client_check_stream_name (const char *name, GError **error);

G_END_DECLS
