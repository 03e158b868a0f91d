/* The relayed streams of a server: the streams of mounted servers and of
 * plain ZeroMQ PUB sockets, re-published by the server's stream proxy
 * thread (streamer/proxy.c) on its public XPUB socket.
 *
 * The relay owns one SUB socket per mount and one per foreign relay
 * (ol__relay_add), all created, polled and closed by the proxy thread, which
 * sends their messages straight to the public XPUB: a relayed message costs
 * one thread hand-off, as in a plain XSUB/XPUB proxy. The proxy hands every
 * subscription its XPUB receives from downstream to
 * ol__relay_subscription, so a mounted stream crosses the network only
 * while someone downstream subscribes to it: a subscription to "PREFIX/x\0"
 * becomes a subscription to "x\0" upstream, and a shorter prefix ("" for
 * everything) one to the whole mount. Messages of a mounted server keep
 * their header (sequence numbers, timestamps, status), so a client
 * downstream counts losses exactly; their topic gains the prefix. A foreign
 * PUB socket's frames are wrapped as a raw payload under the relay's own
 * header. A disabled foreign relay unsubscribes upstream.
 *
 * Thread rules: ol__relay_new from the controlling thread, ol__relay_free
 * from it once the proxy thread that used the relay has stopped.
 * ol__relay_add/remove/refresh from any thread: they change the list of
 * foreign relays under OlRelay's mutex and wake the proxy thread through an
 * eventfd; that thread applies them. ol__relay_open, poll_items, service,
 * subscription and close from the proxy thread only: it owns every socket of
 * the relay for the socket's whole life.
 */
#pragma once

#include <glib.h>
#include <zmq.h>

#include "streamer/stream.h"

G_BEGIN_DECLS

typedef struct OlRelay OlRelay;

/* mounts: OlMount * (borrowed, fixed for the relay's life; NULL for none).
 * Creates no socket. (transfer full) */
OlRelay *ol__relay_new (GPtrArray *mounts);
/* Frees the relay; ol__relay_close must have run (or ol__relay_open never). */
void ol__relay_free (OlRelay *relay);

/* A stream of kind OL_STREAM_RELAYED re-published from endpoint, filtered by
 * topic (a raw subscription prefix; NULL or "" for every message). The relay
 * takes a reference to stream. */
void ol__relay_add (OlRelay *relay, OlStream *stream, const char *endpoint, const char *topic);
void ol__relay_remove (OlRelay *relay, OlStream *stream);
/* Makes the proxy thread look at the enabled flags again. */
void ol__relay_refresh (OlRelay *relay);

/* Proxy thread: creates and connects a SUB socket per mount, and those of
 * the foreign relays added so far. On failure the caller still calls
 * ol__relay_close. */
gboolean ol__relay_open (OlRelay *relay, GError **error);

/* Proxy thread: appends the relay's poll items (its eventfd, then its SUB
 * sockets) to items, a GArray of zmq_pollitem_t, and returns how many. */
guint ol__relay_poll_items (OlRelay *relay, GArray *items);

/* Proxy thread: items are the relay's poll items after zmq_poll(). Sends up
 * to a batch of messages of each readable SUB socket to xpub, never
 * blocking (a subscriber whose queue is full misses the message and sees a
 * gap in the sequence numbers), and applies changes to the foreign relays
 * if woken. Returns the number of messages sent. The poll items of the
 * next round must come from a new ol__relay_poll_items. */
guint ol__relay_service (OlRelay *relay, const zmq_pollitem_t *items, void *xpub);

/* Proxy thread: applies a (un)subscription message that the public XPUB
 * received from downstream (data[0] 1 or 0, then the topic prefix) to the
 * mounts' SUB sockets. */
void ol__relay_subscription (OlRelay *relay, const guint8 *data, gsize size);

/* Proxy thread: closes every socket of the relay. */
void ol__relay_close (OlRelay *relay);

G_END_DECLS
