/* The relay thread of a server: re-publishes the streams of mounted servers
 * and of plain ZeroMQ PUB sockets into the server's stream proxy.
 *
 * It owns one SUB socket per mount and per foreign relay, and an XPUB
 * socket connected to the proxy's inproc XSUB. Through that XPUB it sees
 * what downstream subscribers ask for, so a mounted stream crosses the
 * network only while someone downstream subscribes to it: a subscription to
 * "PREFIX/x\0" becomes a subscription to "x\0" upstream. Messages of a
 * mounted server keep their header (sequence numbers, timestamps, status),
 * so a client downstream counts losses exactly; their topic gains the
 * prefix. A foreign PUB socket's frames are wrapped as a raw payload under
 * the relay's own header. A disabled foreign relay unsubscribes upstream.
 *
 * Thread rules: start/free from the controlling thread; add/remove/refresh
 * from any thread (guarded by OlRelay's mutex, applied by the thread).
 */
#pragma once

#include <glib.h>

#include "streamer/stream.h"

G_BEGIN_DECLS

typedef struct OlRelay OlRelay;

/* mounts: OlMount * (borrowed, fixed for the relay's life). */
OlRelay *ol__relay_start (const char *inproc_endpoint, GPtrArray *mounts, GError **error);
void ol__relay_free (OlRelay *relay);

/* A stream of kind OL_STREAM_RELAYED re-published from endpoint, filtered by
 * topic (a raw subscription prefix; NULL or "" for every message). */
void ol__relay_add (OlRelay *relay, OlStream *stream, const char *endpoint, const char *topic);
void ol__relay_remove (OlRelay *relay, OlStream *stream);
/* Makes the thread look at the enabled flags again. */
void ol__relay_refresh (OlRelay *relay);

G_END_DECLS
