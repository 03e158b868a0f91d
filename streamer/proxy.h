/* The stream proxy: one thread that owns an XSUB socket bound on an inproc
 * endpoint, where every publishing thread of the server connects its PUB
 * socket, and the XPUB socket bound on the server's public stream endpoint.
 * Messages flow XSUB -> XPUB, subscriptions XPUB -> XSUB.
 *
 * It is a loop of its own rather than zmq_proxy_steerable(), whose control
 * socket never answers with libzmq 4.3.4: stopping is an eventfd write and a
 * join, bounded by the 100 ms poll.
 *
 * Thread rules: ol__proxy_start/stop/free from one controlling thread.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct OlProxy OlProxy;

/* Binds inproc_endpoint and public_endpoint and starts the thread. Returns
 * NULL with OL_ERROR_SOCKET naming the endpoint on failure. */
OlProxy *ol__proxy_start (const char *inproc_endpoint, const char *public_endpoint,
                          GError **error);

/* The public endpoint as bound (port resolved). (transfer none) */
const char *ol__proxy_endpoint (OlProxy *proxy);

/* Messages forwarded and messages XPUB refused (never blocks on a slow
 * subscriber). */
guint64 ol__proxy_forwarded (OlProxy *proxy);

/* Stops the thread and frees the proxy. */
void ol__proxy_free (OlProxy *proxy);

/* Options of every PUB socket that feeds the proxy: a deep queue, and a full
 * queue refuses the message (counted by the sender) instead of dropping it
 * silently. */
void ol__proxy_set_feeder_options (void *pub);

G_END_DECLS
