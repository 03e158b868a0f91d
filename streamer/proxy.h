/* The stream proxy: one thread that owns an XSUB socket bound on an inproc
 * endpoint, where every publishing thread of the server connects its PUB
 * socket, the XPUB socket bound on the server's public stream endpoint, the
 * SUB sockets of the relayed streams (streamer/relayed.h) and those of what
 * a layer above plugs in (OlProxyPlug; relay/: one per mounted server).
 * Messages flow XSUB -> XPUB and SUB -> XPUB, each a single hand-off from
 * the socket's I/O to this thread; subscriptions flow XPUB -> XSUB, and
 * XPUB -> the plug, which subscribes upstream to what is asked for
 * downstream. Every poll round takes at most a batch of messages from each
 * socket, so no source starves the others. The XPUB never blocks: a
 * subscriber whose queue is full misses the message and sees a gap in the
 * stream's sequence numbers.
 *
 * Same-host subscribers (docs/PROTOCOL.md, "Same-host frames") subscribe to
 * a stream's shared-memory topic, which the proxy turns into a subscription
 * to the stream upstream; it publishes each message of such a stream on
 * both topics, a large payload copied once into its rings (streamer/shm.h)
 * with a descriptor in its place, and answers their hellos and the side
 * channel. While there are such subscribers, relayed and mounted messages
 * go through a feeder PUB into the XSUB, so that one path publishes them all.
 *
 * It is a loop of its own rather than zmq_proxy_steerable(), whose control
 * socket never answers with libzmq 4.3.4: stopping is a wake-up and a join,
 * bounded by the 100 ms poll.
 *
 * Thread rules: ol__proxy_start/stop/free from one controlling thread.
 */
#pragma once

#include <glib.h>
#include <zmq.h>

#include "core/keys.h"
#include "streamer/relayed.h"
#include "streamer/shm.h"

G_BEGIN_DECLS

typedef struct OlProxy OlProxy;

/* What a layer above plugs into the proxy thread. Every hook runs on the
 * proxy thread, which owns the plug's sockets for their whole life. */
typedef struct {
  /* Creates and connects the plug's sockets. On failure the proxy does not
   * start (close is called). */
  gboolean (*open) (gpointer data, GError **error);
  void (*close) (gpointer data);
  /* Appends the plug's poll items to items (a GArray of zmq_pollitem_t)
   * and returns how many. */
  guint (*poll_items) (gpointer data, GArray *items);
  /* items: the plug's poll items after zmq_poll(). Sends what they hold to
   * xpub, never blocking, and returns how many messages it sent. */
  guint (*service) (gpointer data, const zmq_pollitem_t *items, void *xpub);
  /* Hears a (un)subscription that the public XPUB received from downstream
   * (data[0] 1 or 0, then the topic prefix). */
  void (*subscription) (gpointer data, const guint8 *msg, gsize size);
} OlProxyPlug;

/* Binds inproc_endpoint and public_endpoint (a CURVE server of zap, if not
 * NULL; borrowed until ol__proxy_free()), opens the sockets of relayed
 * (borrowed: it must outlive the proxy, and is used by the proxy thread only
 * between start and free) and of plug (nullable; data passed to its hooks)
 * and starts the thread. Returns NULL with OL_ERROR_SOCKET naming the
 * endpoint on failure. */
OlProxy *ol__proxy_start (const char *inproc_endpoint, const char *public_endpoint,
                          const OlZapDomain *zap,
                          OlRelayed *relayed, const OlProxyPlug *plug, gpointer data,
                          GError **error);

/* The public endpoint as bound (port resolved). (transfer none) */
const char *ol__proxy_endpoint (OlProxy *proxy);

/* Messages forwarded to the XPUB, from the XSUB and from the SUB sockets. */
guint64 ol__proxy_forwarded (OlProxy *proxy);

/* Frames written into the same-host rings (streamer/shm.h). Any thread. */
guint64 ol__proxy_shm_frames (OlProxy *proxy);

/* Whether same-host subscribers take the large payloads of stream name from
 * the server's rings now. Any thread. */
gboolean ol__proxy_shm_wanted (OlProxy *proxy, const char *name);

/* The proxy's shared-memory rings (NULL when ONELINER_SHM=0 or they could
 * not be made), a new reference. Any thread. (transfer full) */
OlShmServer *ol__proxy_shm (OlProxy *proxy);

/* Stops the thread, which closes the relayed streams' and the plug's
 * sockets, and frees the proxy. */
void ol__proxy_free (OlProxy *proxy);

/* Options of every PUB socket that feeds the proxy: a deep queue, and a full
 * queue refuses the message (counted by the sender) instead of dropping it
 * silently. */
void ol__proxy_set_feeder_options (void *pub);

G_END_DECLS
