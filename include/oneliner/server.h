/* oneliner: OlServer, the instrument side.
 *
 * An OlServer exposes registered C callables for remote calls over a ZeroMQ
 * ROUTER socket. One RPC thread owns that socket for its whole life; calls
 * run on a small pool of call workers (README.md, "Calls and threads"), so
 * calls into different instances run at the same time. Many clients may be
 * connected at once and a client that dies mid-call never wedges the server.
 *
 * Callables:
 *   - plain C functions described by a signature string (README.md,
 *     "Signatures"; docs/PROTOCOL.md, "Arguments, types and results"),
 *     invoked through libffi;
 *   - handlers (OlHandler) that take and return jansson values.
 * Methods belong to an instance (a `void *` with a name); free functions
 * stand alone. Calls into one instance are serialised by the instance's
 * mutex, whichever thread makes them, so driver code needs no lock of its
 * own. A free function is its own instance in that respect, but remote
 * calls to the free functions run one at a time.
 *
 * Named calls bind a callable with default args and kwargs: args passed by
 * the caller replace the defaults by position, kwargs passed update the
 * default kwargs.
 *
 * Thread rules: every function here may be called from any thread, except
 * ol_server_free(), which must not be called from inside a callable.
 */
#pragma once

#include <glib.h>
#include <jansson.h>
#include <oneliner/json.h>
#include <oneliner/export.h>

G_BEGIN_DECLS

typedef struct OlServer OlServer;

/* A handler: args is a JSON array, kwargs a JSON object (both borrowed,
 * never NULL). Returns a new reference to the result (NULL with *error set on
 * failure; NULL without an error is JSON null). The error's domain, code and
 * message reach the remote caller. */
typedef json_t *(*OlHandler) (void *instance,
                              json_t *args,
                              json_t *kwargs,
                              void *user_data,
                              GError **error);

/* The C type every registered plain function is cast to. */
typedef void (*OlFunc) (void);
#define OL_FUNC(f) ((OlFunc) (void (*) (void)) (f))

/* Default endpoints: the RPC port 5555, the stream port 5556. */
#define OL_DEFAULT_RPC_BIND "tcp://*:5555"
#define OL_DEFAULT_STREAM_BIND "tcp://*:5556"
#define OL_DEFAULT_RPC_CONNECT "tcp://localhost:5555"
#define OL_DEFAULT_STREAM_CONNECT "tcp://localhost:5556"

/**
 * ol_server_new:
 * @rpc_endpoint: (nullable): where the ROUTER socket binds; NULL for
 *   OL_DEFAULT_RPC_BIND. "tcp://127.0.0.1:*" binds a free port; read it back
 *   with ol_server_get_rpc_endpoint() after ol_server_start().
 * @stream_endpoint: (nullable): where stream data is published; NULL for
 *   OL_DEFAULT_STREAM_BIND.
 *
 * Creates a server that is not yet running: register callables, then call
 * ol_server_start(). Returns (transfer full); free with ol_server_free().
 */
OL_API
OlServer *ol_server_new (const char *rpc_endpoint, const char *stream_endpoint);

/* Frees the server: stops it first if it runs. Sets *server to NULL. */
OL_API
void ol_server_free (OlServer **server);
static inline void
ol__server_autofree (OlServer *p)
{
  ol_server_free (&p);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (OlServer, ol__server_autofree)

/* Binds the sockets and starts the RPC thread; returns once the thread
 * serves (or FALSE with OL_ERROR_SOCKET naming the endpoint on failure, or
 * OL_ERROR_FAILED if ONELINER_CALL_THREADS is not an integer from 1 to
 * 64). */
OL_API
gboolean ol_server_start (OlServer *server, GError **error);

/* Stops the server from any thread (but not from inside a callable): the
 * call workers finish the calls they run, the RPC thread replies to them,
 * drops the calls still queued and closes its socket. Bounded by the
 * duration of the calls in progress. Idempotent. */
OL_API
void ol_server_stop (OlServer *server);

/* The endpoints actually bound, ports resolved (valid after start).
 * (transfer none) */
OL_API
const char *ol_server_get_rpc_endpoint (OlServer *server);
OL_API
const char *ol_server_get_stream_endpoint (OlServer *server);

/* Registers an instance under name (unique among instances and free
 * functions). The server does not own instance; destroy (nullable) is called
 * on it when the server is freed. */
OL_API
gboolean ol_server_add_instance (OlServer *server, const char *name,
                                 void *instance, GDestroyNotify destroy,
                                 GError **error);

/* Registers a plain C function as method of instance. fn receives the
 * instance pointer first, then the parameters of signature, e.g. for
 * "(int32 axis, double mm, error) -> double":
 *   double move_to (void *self, int32_t axis, double mm, GError **error);
 * Fails with OL_ERROR_SIGNATURE, OL_ERROR_NOT_FOUND (no such instance) or
 * OL_ERROR_EXISTS. */
OL_API
gboolean ol_server_add_method (OlServer *server, const char *instance,
                               const char *method, const char *signature,
                               OlFunc fn, GError **error);

/* Registers a handler as method of instance. destroy (nullable) frees
 * user_data when the server is freed. */
OL_API
gboolean ol_server_add_method_handler (OlServer *server, const char *instance,
                                       const char *method, OlHandler handler,
                                       void *user_data, GDestroyNotify destroy,
                                       GError **error);

/* Registers a plain C function without instance (fn gets no self). */
OL_API
gboolean ol_server_add_function (OlServer *server, const char *name,
                                 const char *signature, OlFunc fn,
                                 GError **error);

/* Registers a handler without instance (its instance argument is NULL). */
OL_API
gboolean ol_server_add_function_handler (OlServer *server, const char *name,
                                         OlHandler handler, void *user_data,
                                         GDestroyNotify destroy,
                                         GError **error);

/* Binds a callable under name with default args (JSON array, nullable) and
 * kwargs (JSON object, nullable); both borrowed (the server keeps its own
 * references). instance NULL names a free function. The callable must exist. */
OL_API
gboolean ol_server_add_named_call (OlServer *server, const char *name,
                                   const char *instance, const char *method,
                                   json_t *args, json_t *kwargs,
                                   GError **error);

/* Calls a callable locally, in the calling thread, with the same conversions,
 * checks and serialisation as a remote call. Returns a new reference (a bytes
 * result comes back as {"$base64": "..."}), or NULL with *error set. */
OL_API
json_t *ol_server_call (OlServer *server, const char *instance,
                        const char *method, json_t *args, json_t *kwargs,
                        GError **error);

/* Applies a JSON configuration file (docs/CONFIG.md): endpoints, named
 * calls, periodic streams, mounts and relayed streams. Instances and
 * functions it names must be registered already. Fails with
 * OL_ERROR_CONFIG naming the file, the entry and the problem; the whole
 * file is checked before anything is applied, and a file that fails
 * changes nothing (docs/CONFIG.md lists the checks). */
OL_API
gboolean ol_server_load_config (OlServer *server, const char *path,
                                GError **error);

/* The same from an already parsed JSON object (borrowed). */
OL_API
gboolean ol_server_apply_config (OlServer *server, json_t *config,
                                 GError **error);

/* Reads the JSON text of a configuration file, as ol_server_load_config()
 * does, for a program that changes it before applying it (say, with its
 * command line's options): (transfer full), or NULL with OL_ERROR_CONFIG
 * ("PATH: cannot be read: REASON", or "PATH:LINE:COLUMN: ..." for bad JSON;
 * duplicate keys refused). */
OL_API
json_t *ol_config_read_file (const char *path, GError **error);

/**
 * ol_server_mount:
 * @prefix: the name under which the other server appears here, e.g. "lab1"
 *
 * Mounts another oneliner server: a call of "PREFIX/stage" here calls
 * "stage" there, "PREFIX/sensor/sine" is its stream "sensor/sine", and
 * listing, stream control and introspection pass through. Mounts nest.
 * Calls to an upstream that is not connected fail at once with
 * OL_ERROR_UNREACHABLE; the mount reconnects by itself. Add mounts before
 * ol_server_start(). Fails with OL_ERROR_INVALID_ARGS (bad prefix),
 * OL_ERROR_EXISTS, or OL_ERROR_FAILED after start.
 */
OL_API
gboolean ol_server_mount (OlServer *server, const char *prefix,
                          const char *rpc_endpoint, const char *stream_endpoint,
                          GError **error);

/**
 * ol_server_mount_with_keys:
 * @secret_key_file: (nullable) the key this server logs in to the upstream
 *   with (its public key is in the upstream's authorized keys file, with
 *   the role the mount gets there)
 * @server_key_file: (nullable) the upstream's public key
 *
 * ol_server_mount() to an upstream server that has keys: both the mount's
 * RPC and stream connections are CURVE clients. Both files or neither (then
 * it is ol_server_mount()). Fails also with OL_ERROR_CONFIG naming a file
 * that does not read, or if libzmq has no CURVE.
 */
OL_API
gboolean ol_server_mount_with_keys (OlServer *server, const char *prefix,
                                    const char *rpc_endpoint, const char *stream_endpoint,
                                    const char *secret_key_file, const char *server_key_file,
                                    GError **error);

/**
 * ol_server_set_keys:
 * @secret_key_file: the server's secret key (Z85, as `oneliner keygen`
 *   writes it)
 * @authorized_keys_file: the clients' public keys, one a line with its role
 *   ("control" or "read-only") and an optional name (docs/SECURITY.md)
 *
 * Makes the server a CURVE server on both its endpoints: only the keys of
 * the authorized keys file connect, calls and stream control need the
 * "control" role, and the file is read again when it changes. Call before
 * ol_server_start(). Fails with OL_ERROR_CONFIG naming the file (and its
 * line) at fault, or OL_ERROR_FAILED after start or if keys were set.
 * Without keys a server serves whoever reaches its endpoints.
 */
OL_API
gboolean ol_server_set_keys (OlServer *server, const char *secret_key_file,
                             const char *authorized_keys_file, GError **error);

/* Reads the authorized keys file again now (programs call it on SIGHUP);
 * on failure the keys read before stay in force. TRUE without keys. */
OL_API
gboolean ol_server_reload_keys (OlServer *server, GError **error);

/* Whether ol_server_set_keys() succeeded. */
OL_API
gboolean ol_server_has_keys (OlServer *server);

/* Statistics: number of requests answered since start. */
OL_API
guint64 ol_server_get_calls_served (OlServer *server);

G_END_DECLS
