/* Mounts: another server's calls reachable through this one under a prefix.
 *
 * A request whose object (or free function, named call or stream name) is
 * "PREFIX/rest" is forwarded to the mounted server with "rest" in its place;
 * the reply comes back to the caller with the caller's own id. Mounts nest:
 * "b/a/stage" goes through two relays.
 *
 * Everything here runs on the server's RPC thread, which owns each mount's
 * DEALER socket and its connection monitor: forwarding never blocks it, so
 * an upstream that is slow or dead never stops the relay serving the rest.
 * A request for an upstream that is not connected is answered at once with
 * OL_ERROR_UNREACHABLE; calls in flight when the connection drops (ZeroMQ
 * heartbeats notice within 2 s) are answered with it too. The mount
 * reconnects by itself.
 *
 * Thread rules: ol__mount_new/free and the statistics from any thread (the
 * counters are atomics, the cached upstream descriptions are guarded by the
 * mount's mutex); open/close/poll/service/forward on the RPC thread only.
 */
#pragma once

#include <glib.h>
#include <jansson.h>
#include <zmq.h>

#include "core/keys.h"
#include "router/server_private.h"

G_BEGIN_DECLS

typedef struct OlMount OlMount;

/* keys: (transfer full) (nullable) the keys the mount logs in to an
 * upstream that has keys with, on both its sockets. */
OlMount *ol__mount_new (const char *prefix, const char *rpc_endpoint,
                        const char *stream_endpoint, OlClientKeys *keys);
void ol__mount_free (OlMount *mount);
const char *ol__mount_prefix (OlMount *mount);
const char *ol__mount_stream_endpoint (OlMount *mount);
/* (transfer none) (nullable) */
const OlClientKeys *ol__mount_keys (OlMount *mount);

/* Checks a prefix: a valid name without a trailing '/'. */
gboolean ol__mount_prefix_is_valid (const char *prefix);

/* Whether ol_server_mount() would accept prefix on s now: a valid prefix,
 * the server not started, no mount of that prefix. */
gboolean ol__server_check_mount (OlServer *s, const char *prefix, GError **error);

/* RPC thread: creates the DEALER and its monitor and connects. */
gboolean ol__mount_open (OlMount *mount, GError **error);
void ol__mount_close (OlMount *mount);

/* RPC thread: the poll items of the mount (2). */
#define OL_MOUNT_POLL_ITEMS 2
void ol__mount_poll_items (OlMount *mount, zmq_pollitem_t *items);

/* RPC thread: handles upstream replies and connection events, refreshes the
 * cached upstream descriptions every second (a refresh not answered within
 * 3 s is given up), drops a description not refreshed for 5 s, expires old
 * forwards. */
void ol__mount_service (OlMount *mount, OlServer *server, void *router);

/* RPC thread: forwards request from peer with its attachments, rest in
 * place of the name it routes by (ol__mount_match). Returns FALSE with
 * OL_ERROR_UNREACHABLE if the upstream is not connected: the caller then
 * replies with the error. */
gboolean ol__mount_forward (OlMount *mount, const OlRequest *request, const char *rest,
                            const OlPeer *peer, GError **error);

/* If name is "PREFIX/rest" for one of mounts (the longest prefix wins),
 * returns that mount and sets *rest. (transfer none) */
OlMount *ol__mount_match (GPtrArray *mounts, const char *name, const char **rest);

/* The upstream's last "list" and "streams" results, with every name
 * prefixed, or NULL if none arrived yet or the last one is older than 5 s.
 * (transfer full) */
json_t *ol__mount_list (OlMount *mount);
json_t *ol__mount_streams (OlMount *mount);

/* {"rpc", "stream", "connected", "calls_forwarded", "replies", "unreachable",
 *  "messages_relayed"} (transfer full) */
json_t *ol__mount_describe (OlMount *mount);

/* Counts a stream message relayed from this mount (stream proxy thread). */
void ol__mount_count_relayed (OlMount *mount);

G_END_DECLS
