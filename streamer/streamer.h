/* The streams of one server: the table of streams by name, the frequency
 * groups that publish periodic streams, the pusher of pushed streams, the
 * relayed streams of plain PUB sockets and the proxy that joins them all on
 * the public stream endpoint, with what a layer above plugs into the proxy
 * (relay/: the streams of mounted servers).
 *
 * Thread rules: every function may be called from any thread; the table and
 * the group list are guarded by OlStreamer's mutex. start/stop follow the
 * server's.
 */
#pragma once

#include <glib.h>
#include <jansson.h>

#include "router/registry.h"
#include "core/keys.h"
#include "streamer/proxy.h"
#include "streamer/stream.h"

G_BEGIN_DECLS

typedef struct OlStreamer OlStreamer;

OlStreamer *ol__streamer_new (OlRegistry *registry);
void ol__streamer_free (OlStreamer *streamer);

/* Plugs plug (data passed to its hooks) into the proxy, before start. */
void ol__streamer_set_plug (OlStreamer *streamer, const OlProxyPlug *plug, gpointer data);

/* Makes the public endpoint a CURVE server of domain (borrowed: it must
 * outlive the streamer's start), before start. */
/* SCHED_FIFO at priority (1 to 99) for the periodic streams' threads and
 * the process's memory locked, or neither (0); see ol_server_set_realtime. */
gboolean ol__streamer_set_realtime (OlStreamer *streamer, int priority, GError **error);
int ol__streamer_get_realtime (OlStreamer *streamer);
void ol__streamer_set_zap_domain (OlStreamer *streamer, const OlZapDomain *domain);

/* Binds the public endpoint, starts the proxy, the pusher and a group per
 * frequency of the streams added so far. */
gboolean ol__streamer_start (OlStreamer *streamer, const char *endpoint,
                             GError **error);
/* The bound endpoint, or NULL before start. (transfer none) */
const char *ol__streamer_endpoint (OlStreamer *streamer);
/* Stops every thread; streams stay configured. */
void ol__streamer_stop (OlStreamer *streamer);

gboolean ol__streamer_add_periodic (OlStreamer *streamer, const char *name,
                                    double hz, const char *instance,
                                    const char *method, json_t *args,
                                    json_t *kwargs, gboolean enabled,
                                    OlEncoding encoding,
                                    const OlImageInfo *image, json_t *description,
                                    GError **error);
OlStreamWriter *ol__streamer_add_pushed (OlStreamer *streamer, const char *name,
                                         OlEncoding encoding,
                                         const OlImageInfo *image, GError **error);
gboolean ol__streamer_add_relayed (OlStreamer *streamer, const char *name,
                                   const char *endpoint, const char *topic,
                                   gboolean enabled, GError **error);
gboolean ol__streamer_set_enabled (OlStreamer *streamer, const char *name,
                                   gboolean enabled, GError **error);
gboolean ol__streamer_remove (OlStreamer *streamer, const char *name,
                              GError **error);
/* Sets the description of stream name (json borrowed, NULL removes it);
 * OL_ERROR_NOT_FOUND, or code for a bad description. */
gboolean ol__streamer_describe_stream (OlStreamer *streamer, const char *name, json_t *json,
                                       int code, GError **error);
/* {NAME: {...}, ...} (transfer full) */
json_t *ol__streamer_describe (OlStreamer *streamer);

/* Checks a stream configuration entry of a config file (docs/CONFIG.md)
 * without applying it, then applies it. where names it in errors. */
/* Whether a stream of that name exists. */
gboolean ol__streamer_has (OlStreamer *streamer, const char *name);

gboolean ol__streamer_check_config (OlStreamer *streamer, const char *name,
                                    json_t *entry, GError **error);
gboolean ol__streamer_apply_config (OlStreamer *streamer, const char *name,
                                    json_t *entry, GError **error);

G_END_DECLS
