/* The process-wide ZeroMQ context and the options every socket of oneliner
 * shares.
 *
 * Thread rules: every function may be called from any thread; a socket is
 * still used by one thread for its whole life.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Largest single message a socket accepts (ZMQ_MAXMSGSIZE); bigger frames
 * make libzmq drop the connection of the peer that sent them. */
#define OL_WIRE_MAX_MESSAGE_SIZE (256 * 1024 * 1024)

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

G_END_DECLS
