/* The stream proxy: one thread that owns an XSUB socket bound on an inproc
 * endpoint, where every publishing thread of the server connects its PUB
 * socket, the XPUB socket bound on the server's public stream endpoint, and
 * the SUB sockets of the server's relay (relay/relay.h): one per mount and
 * one per foreign relayed stream. Messages flow XSUB -> XPUB and relay
 * SUB -> XPUB, each a single hand-off from the socket's I/O to this thread;
 * subscriptions flow XPUB -> XSUB, and XPUB -> the relay, which subscribes
 * its mounts upstream to what is asked for downstream. Every poll round takes
 * at most a batch of messages from each socket, so no source starves the
 * others. The XPUB never blocks: a subscriber whose queue is full misses the
 * message and sees a gap in the stream's sequence numbers.
 *
 * It is a loop of its own rather than zmq_proxy_steerable(), whose control
 * socket never answers with libzmq 4.3.4: stopping is an eventfd write and a
 * join, bounded by the 100 ms poll.
 *
 * Thread rules: ol__proxy_start/stop/free from one controlling thread.
 */
#pragma once

#include <glib.h>

#include "relay/relay.h"

G_BEGIN_DECLS

typedef struct OlProxy OlProxy;

/* Binds inproc_endpoint and public_endpoint, opens the sockets of relay
 * (nullable, borrowed: it must outlive the proxy, and is used by the proxy
 * thread only between start and free) and starts the thread. Returns NULL
 * with OL_ERROR_SOCKET naming the endpoint on failure. */
OlProxy *ol__proxy_start (const char *inproc_endpoint, const char *public_endpoint,
                          OlRelay *relay, GError **error);

/* The public endpoint as bound (port resolved). (transfer none) */
const char *ol__proxy_endpoint (OlProxy *proxy);

/* Messages forwarded to the XPUB, from the XSUB and from the relay. */
guint64 ol__proxy_forwarded (OlProxy *proxy);

/* Stops the thread, which closes the relay's sockets, and frees the proxy. */
void ol__proxy_free (OlProxy *proxy);

/* Options of every PUB socket that feeds the proxy: a deep queue, and a full
 * queue refuses the message (counted by the sender) instead of dropping it
 * silently. */
void ol__proxy_set_feeder_options (void *pub);

G_END_DECLS
