/* The process-wide ZeroMQ context and the options every socket of oneliner
 * shares.
 *
 * Thread rules: every function may be called from any thread; a socket is
 * still used by one thread for its whole life.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Largest single message a socket accepts (ZMQ_MAXMSGSIZE) by default;
 * bigger frames make libzmq drop the connection of the peer that sent them.
 * ONELINER_MAX_MESSAGE_SIZE overrides it (1 MiB to 4 GiB). */
#define OL_WIRE_MAX_MESSAGE_SIZE (256 * 1024 * 1024)

/* Largest request frame the server's RPC socket accepts by default.
 * ONELINER_MAX_REQUEST_SIZE overrides it (64 KiB to the message limit). */
#define OL_WIRE_MAX_REQUEST_SIZE (64 * 1024 * 1024)

/* The limits in force (the defaults or the environment's, read once). */
gint64 ol__socket_max_message_size (void);
gint64 ol__socket_max_request_size (void);

/* Sets the request limit on the server's RPC socket (after
 * ol__socket_set_common). */
void ol__socket_set_request_limit (void *socket);

/* The process-wide ZeroMQ context, created on first use and never
 * terminated (every socket of oneliner closes with a bounded linger).
 * (transfer none) */
void *ol__zmq_context (void);

/* Sets linger, heartbeats, reconnect and size options common to every
 * socket. */
void ol__socket_set_common (void *socket);

/* Before binding endpoint: an ipc:// endpoint whose path names a file that
 * is not a socket is refused (binding would replace the file), with
 * OL_ERROR_SOCKET naming what (e.g. "RPC endpoint"). Any other endpoint
 * passes. */
gboolean ol__socket_check_bind (const char *endpoint, const char *what, GError **error);

/* Reads the next event of a socket monitor (zmq_socket_monitor) without
 * waiting: TRUE with its kind (ZMQ_EVENT_...), FALSE when none is pending. */
gboolean ol__monitor_next_event (void *monitor, guint16 *kind);

G_END_DECLS
