/* The streams of mounted servers, re-published by the server's stream proxy
 * thread under the mount's prefix.
 *
 * The proxy thread owns one SUB socket per mount, created at open and
 * closed at close, and sends their messages straight to its public XPUB.
 * Every subscription the XPUB receives from downstream reaches this plug, so
 * a mounted stream crosses the network only while someone downstream
 * subscribes to it: a subscription to "PREFIX/x\0" becomes a subscription
 * to "x\0" upstream, and a shorter prefix ("" for everything) one to the
 * whole mount. Messages keep their header (sequence numbers, timestamps,
 * status, sequence marks), so a client downstream counts losses exactly;
 * their topic gains the prefix.
 *
 * Thread rules: new and free from the controlling thread (free once the
 * proxy thread has stopped); the hooks of ol__mount_streams_plug on the
 * proxy thread only.
 */
#pragma once

#include <glib.h>

#include "relay/mount.h"
#include "streamer/proxy.h"

G_BEGIN_DECLS

typedef struct OlMountStreams OlMountStreams;

/* mounts: OlMount * (borrowed; fixed once the proxy runs). (transfer full) */
OlMountStreams *ol__mount_streams_new (GPtrArray *mounts);
void ol__mount_streams_free (OlMountStreams *streams);

/* The hooks to plug into the stream proxy, with an OlMountStreams as data. */
extern const OlProxyPlug ol__mount_streams_plug;

G_END_DECLS
