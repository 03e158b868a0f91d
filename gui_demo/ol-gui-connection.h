/* oneliner-gui: OlGuiConnection, one window's link to one server.
 *
 * Owns an OlClient, created on the GTK main thread, whose asynchronous
 * replies and stream watches run on the GTK main loop. It polls the server
 * every second with bounded asynchronous requests: "version" tells whether
 * the server answers, "streams" keeps the streams' configuration and
 * statistics current (also what other clients changed); "list" is asked
 * again whenever the server comes back. Nothing here ever blocks the main
 * loop waiting for the network.
 *
 * Thread rules: main thread only.
 */
#pragma once

#include <gio/gio.h>
#include <oneliner/oneliner.h>

G_BEGIN_DECLS

typedef enum {
  OL_GUI_CONNECTION_CONNECTING,     /* no poll answered yet */
  OL_GUI_CONNECTION_CONNECTED,      /* the last poll was answered */
  OL_GUI_CONNECTION_NOT_RESPONDING, /* the last poll failed; still retrying */
} OlGuiConnectionState;

#define OL_GUI_TYPE_CONNECTION (ol_gui_connection_get_type ())
G_DECLARE_FINAL_TYPE (OlGuiConnection, ol_gui_connection, OL_GUI, CONNECTION, GObject)

/* Signals:
 *   "state-changed" ()      the state or the server version changed
 *   "callables-changed" ()  a new "list" result arrived
 *   "streams-changed" ()    a new "streams" result arrived (every second)
 *   "stream-ready" (const char *name)  a subscribed stream has messages to
 *                           take with ol_client_get_stream (..., 0, ...)
 */

/**
 * ol_gui_connection_new:
 * @rpc, @stream: endpoints (NULL for the defaults)
 * @timeout_ms: the bound of calls made through ol_gui_connection_get_client()
 *
 * Returns (transfer full) a connection that starts polling at once, or NULL
 * with OL_ERROR_SOCKET for a malformed endpoint.
 */
OlGuiConnection *ol_gui_connection_new (const char *rpc, const char *stream,
                                        int timeout_ms, GError **error);

/* The CURVE keys of every connection made after this call: the program's
 * secret key file and the server's public key file (both NULL: no keys).
 * Called once from the main thread at start. */
void ol_gui_connection_set_keys (const char *secret_key_file, const char *server_key_file);
/* (transfer none) (nullable) the keys of ol_gui_connection_set_keys(), for
 * other clients of the same server (the recorder's). Main thread. */
void ol_gui_connection_get_keys (const char **secret_key_file, const char **server_key_file);

/* Stops polling, cancels every pending request and frees the client; the
 * connection is inert afterwards. Also done by dispose. */
void ol_gui_connection_close (OlGuiConnection *self);

/* (transfer none) (nullable: NULL once closed). For asynchronous calls and
 * the non-blocking stream functions only. */
OlClient *ol_gui_connection_get_client (OlGuiConnection *self);

/* (transfer none) Cancelled when the connection closes: pass it to every
 * asynchronous call made on the client. */
GCancellable *ol_gui_connection_get_cancellable (OlGuiConnection *self);

OlGuiConnectionState ol_gui_connection_get_state (OlGuiConnection *self);
/* Whether the stream side lost its connection to the stream server (not
 * back yet); "state-changed" tells when this changes. */
gboolean ol_gui_connection_get_stream_lost (OlGuiConnection *self);
const char *ol_gui_connection_get_rpc_endpoint (OlGuiConnection *self);
const char *ol_gui_connection_get_stream_endpoint (OlGuiConnection *self);
/* (transfer none) (nullable) e.g. "0.1.0" */
const char *ol_gui_connection_get_server_version (OlGuiConnection *self);
/* (transfer none) (nullable) why the last poll failed */
const char *ol_gui_connection_get_last_error (OlGuiConnection *self);

/* (transfer none) (nullable) the latest "list" and "streams" results. */
json_t *ol_gui_connection_get_callables (OlGuiConnection *self);
json_t *ol_gui_connection_get_streams (OlGuiConnection *self);

/* Polls version and streams now instead of at the next second. */
void ol_gui_connection_poll_now (OlGuiConnection *self);

/**
 * ol_gui_connection_set_stream_enabled_async:
 *
 * Switches a stream on the server (op "stream_enable") without blocking;
 * callback runs on the main loop exactly once; finish with
 * ol_gui_connection_set_stream_enabled_finish(). A streams poll follows the
 * reply.
 */
void ol_gui_connection_set_stream_enabled_async (OlGuiConnection *self, const char *name,
                                                 gboolean enabled,
                                                 GAsyncReadyCallback callback,
                                                 gpointer user_data);
gboolean ol_gui_connection_set_stream_enabled_finish (OlGuiConnection *self,
                                                      GAsyncResult *result,
                                                      GError **error);

/* Subscribes to a stream (storage as ol_client_configure_stream) and emits
 * "stream-ready" when it has messages. */
gboolean ol_gui_connection_subscribe (OlGuiConnection *self, const char *name,
                                      OlStorage storage, guint depth, GError **error);
void ol_gui_connection_unsubscribe (OlGuiConnection *self, const char *name);
gboolean ol_gui_connection_is_subscribed (OlGuiConnection *self, const char *name);

/* Connections not finalized yet: closed connections live on until their
 * cancelled requests have completed on the main loop. */
guint ol_gui_connection_count_alive (void);

G_END_DECLS
