/* oneliner: OlClient, the caller side.
 *
 * An OlClient talks to one OlServer through a ZeroMQ DEALER socket. Every
 * request carries an id; a reply is matched to its request by that id, so a
 * reply that arrives after its call timed out is dropped, never given to a
 * later call. The socket reconnects by itself when the server restarts.
 *
 * Thread rules: an OlClient belongs to the thread that created it (its
 * ZeroMQ socket does). Asynchronous replies are dispatched on the
 * GMainContext that was thread-default when the client was created, which
 * must be iterated by that same thread. Use one client per thread.
 */
#pragma once

#include <gio/gio.h>
#include <jansson.h>
#include <oneliner/json.h>
#include <oneliner/export.h>

G_BEGIN_DECLS

typedef struct OlClient OlClient;

#define OL_CLIENT_DEFAULT_TIMEOUT_MS 5000

/**
 * ol_client_new:
 * @rpc_endpoint: (nullable): the server's RPC endpoint; NULL for
 *   OL_DEFAULT_RPC_CONNECT ("tcp://localhost:5555").
 * @stream_endpoint: (nullable): the server's stream endpoint; NULL for
 *   OL_DEFAULT_STREAM_CONNECT.
 *
 * Connects (ZeroMQ connects lazily: a server that is not there yet is not an
 * error here; calls time out until it comes). Returns NULL with
 * OL_ERROR_SOCKET on a malformed endpoint. (transfer full)
 */
OL_API
OlClient *ol_client_new (const char *rpc_endpoint, const char *stream_endpoint,
                         GError **error);

/**
 * ol_client_new_with_keys:
 * @secret_key_file: the client's secret key (Z85, `oneliner keygen`)
 * @server_key_file: the server's public key
 *
 * As ol_client_new(), for a server with keys (ol_server_set_keys()): both
 * the RPC and the stream connection are CURVE clients with these keys. A
 * server that does not know the key, or whose key is not the one given,
 * does not answer: calls time out and streams receive nothing. Fails with
 * OL_ERROR_CONFIG naming the key file at fault. (transfer full)
 */
OL_API
OlClient *ol_client_new_with_keys (const char *rpc_endpoint, const char *stream_endpoint,
                                   const char *secret_key_file, const char *server_key_file,
                                   GError **error);
OL_API
void ol_client_free (OlClient **client);
static inline void
ol__client_autofree (OlClient *p)
{
  ol_client_free (&p);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (OlClient, ol__client_autofree)

/* The default bound of every call of this client, in milliseconds (initially
 * OL_CLIENT_DEFAULT_TIMEOUT_MS). */
OL_API
void ol_client_set_timeout (OlClient *client, int timeout_ms);
OL_API
int ol_client_get_timeout (OlClient *client);

/* (transfer none) */
OL_API
const char *ol_client_get_rpc_endpoint (OlClient *client);
OL_API
const char *ol_client_get_stream_endpoint (OlClient *client);

/**
 * ol_client_call:
 * @instance: (nullable): the instance, or NULL for a free function
 * @args: (nullable): JSON array, borrowed
 * @kwargs: (nullable): JSON object, borrowed
 *
 * Calls method of instance and waits at most the client's timeout. Returns
 * the result (transfer full; a bytes result as {"$base64": "..."}), or NULL
 * with *error set: OL_ERROR_TIMEOUT, OL_ERROR_PROTOCOL, or the remote error
 * with its own domain, code and message.
 */
OL_API
json_t *ol_client_call (OlClient *client, const char *instance,
                        const char *method, json_t *args, json_t *kwargs,
                        GError **error);

/* The same for a named call. */
OL_API
json_t *ol_client_call_named (OlClient *client, const char *name,
                              json_t *args, json_t *kwargs, GError **error);

/* A reply with everything the server sent. */
typedef struct {
  json_t *result;      /* (owned) */
  gint64 server_time;  /* server wall clock, ns since the epoch, or 0 */
  GPtrArray *frames;   /* (owned) GBytes * binary frames; bytes results
                          are {"$frame": N} indexes into it */
} OlReply;
OL_API
void ol_reply_free (OlReply *reply);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (OlReply, ol_reply_free)

typedef enum {
  OL_CALL_NONE = 0,
  OL_CALL_TIMESTAMP = 1 << 0, /* ask for the server's timestamp */
  OL_CALL_FRAMES = 1 << 1,    /* bytes results as binary frames */
} OlCallFlags;

/**
 * ol_client_request:
 * @op: "call", "call_named" or another operation of docs/PROTOCOL.md
 * @body: (transfer full): a JSON object with the request's fields (object,
 *   method, name, args, kwargs...); the client adds "v", "id" and "op" (and
 *   "ts", "frames" from flags), which body must not hold.
 * @frames: (nullable): GBytes * sent as binary frames after the JSON frame,
 *   which args refer to as {"$frame": N}. Borrowed.
 * @timeout_ms: bound of this call; -1 for the client's timeout.
 *
 * The general blocking request. Returns (transfer full) the reply or NULL
 * with *error set.
 */
OL_API
OlReply *ol_client_request (OlClient *client, const char *op, json_t *body,
                            GPtrArray *frames, OlCallFlags flags,
                            int timeout_ms, GError **error);

/**
 * ol_client_request_async:
 *
 * The same, asynchronous: callback runs on the client's GMainContext once the
 * reply arrived, the bound passed or cancellable was cancelled; finish with
 * ol_client_request_finish(). body is taken (transfer full). The callback is
 * always called exactly once, never from inside this function.
 */
OL_API
void ol_client_request_async (OlClient *client, const char *op, json_t *body,
                              GPtrArray *frames, OlCallFlags flags,
                              int timeout_ms, GCancellable *cancellable,
                              GAsyncReadyCallback callback, gpointer user_data);
OL_API
OlReply *ol_client_request_finish (OlClient *client, GAsyncResult *result,
                                   GError **error);

/* Asynchronous ol_client_call(); finish with ol_client_call_finish(), which
 * returns the result (transfer full) or NULL with *error set. */
OL_API
void ol_client_call_async (OlClient *client, const char *instance,
                           const char *method, json_t *args, json_t *kwargs,
                           GCancellable *cancellable,
                           GAsyncReadyCallback callback, gpointer user_data);
OL_API
json_t *ol_client_call_finish (OlClient *client, GAsyncResult *result,
                               GError **error);

/* Introspection (blocking, the client's timeout):
 * list: {"instances": {"stage": {"move_to": {"signature": "...", "params":
 *        [...], "returns": "double", "error": true, "kind": "ffi"}}},
 *        "functions": {...}, "named_calls": {"home_all": {"object": "stage",
 *        "method": "...", "args": [], "kwargs": {}}}}
 * version: {"server": "0.1.0", "protocol": 1, "protocols": [1]}
 * Both return (transfer full) or NULL with *error set. */
OL_API
json_t *ol_client_list (OlClient *client, GError **error);
OL_API
json_t *ol_client_version (OlClient *client, GError **error);

/* Number of replies dropped because their call had already timed out or been
 * cancelled, or because they did not match any call. */
OL_API
guint64 ol_client_get_stale_replies (OlClient *client);

G_END_DECLS
