/* Relayed streams: streams whose messages come from plain ZeroMQ PUB sockets
 * (ol_server_add_relay), re-published by the server's stream proxy thread
 * (streamer/proxy.c) on its public XPUB socket.
 *
 * One SUB socket per relayed stream, created, polled and closed by the
 * proxy thread, which sends its messages straight to the public XPUB: a
 * relayed message costs one thread hand-off, as in a plain XSUB/XPUB proxy.
 * A foreign PUB socket's frames are wrapped as a raw payload under the
 * stream's own header. A disabled relayed stream unsubscribes upstream.
 *
 * Thread rules: ol__relayed_new from the controlling thread, ol__relayed_free
 * from it once the proxy thread that used it has stopped.
 * ol__relayed_add/remove/refresh from any thread: they change the list of
 * streams under OlRelayed's mutex and wake the proxy thread, which applies
 * them. ol__relayed_open, poll_items, service and close from the proxy
 * thread only: it owns every socket here for the socket's whole life.
 */
#pragma once

#include <glib.h>
#include <zmq.h>

#include "streamer/stream.h"

G_BEGIN_DECLS

typedef struct OlRelayed OlRelayed;

/* Creates no socket. (transfer full) */
OlRelayed *ol__relayed_new (void);
/* Frees it; ol__relayed_close must have run (or ol__relayed_open never). */
void ol__relayed_free (OlRelayed *relayed);

/* Relays stream, of kind OL_STREAM_RELAYED, from its endpoint, filtered by
 * its upstream topic (a raw subscription prefix; "" for every message).
 * Takes a reference to stream. */
void ol__relayed_add (OlRelayed *relayed, OlStream *stream);
void ol__relayed_remove (OlRelayed *relayed, OlStream *stream);
/* Makes the proxy thread look at the enabled flags again. */
void ol__relayed_refresh (OlRelayed *relayed);

/* Proxy thread: creates and connects the SUB sockets of the streams added
 * so far. */
gboolean ol__relayed_open (OlRelayed *relayed, GError **error);

/* Proxy thread: appends the poll items (the wake-up, then the SUB sockets)
 * to items, a GArray of zmq_pollitem_t, and returns how many. */
guint ol__relayed_poll_items (OlRelayed *relayed, GArray *items);

/* Proxy thread: items are the poll items after zmq_poll(). Sends up to a
 * batch of messages of each readable SUB socket to xpub, never blocking (a
 * subscriber whose queue is full misses the message and sees a gap in the
 * sequence numbers), and applies changes to the list if woken. Returns the
 * number of messages sent. The poll items of the next round must come from
 * a new ol__relayed_poll_items. */
guint ol__relayed_service (OlRelayed *relayed, const zmq_pollitem_t *items, void *xpub);

/* Proxy thread: closes every socket. */
void ol__relayed_close (OlRelayed *relayed);

G_END_DECLS
