/* OlServer internals shared by the files that make up the server
 * (router/server.c, router/dispatch.c, router/config.c). */
#pragma once

#include <stdatomic.h>

#include "oneliner/server.h"
#include "router/registry.h"
#include "core/startup.h"
#include "core/wakeup.h"
#include "relay/mount.h"
#include "router/wire.h"
#include "streamer/streamer.h"

G_BEGIN_DECLS

struct OlServer {
  char *rpc_bind;           /* (owned) endpoint to bind, set before start */
  char *stream_bind;        /* (owned) */
  char *rpc_endpoint;       /* (owned) resolved after start; read-only then */
  char *stream_endpoint;    /* (owned) */
  OlRegistry *registry;     /* (owned) thread-safe by itself */
  OlStreamer *streamer;     /* (owned) thread-safe by itself */
  GPtrArray *mounts;        /* (owned) OlMount *; fixed once started */

  OlStartup startup;        /* the RPC thread's start handshake */
  OlMutex state_lock;       /* guards started, thread */
  gboolean started;
  GThread *thread;          /* (owned) the RPC thread */

  OlWakeup wake;            /* signalled by ol_server_stop() from any thread */
  gint stop;                /* atomic: non-zero once stop was asked */

  atomic_uint_fast64_t calls_served;          /* requests answered */
  atomic_uint_fast64_t replies_undeliverable; /* client gone or not reading */
};

/* Handles one decoded request and appends the reply text to out.
 * frames_in (nullable) holds the request's binary attachments; when the
 * request asked for frames, *frames_out is set to a new array (transfer
 * full) where bytes results go, else to NULL. */
void ol__server_dispatch (OlServer *server, json_t *request, GPtrArray *frames_in,
                          GPtrArray **frames_out, GString *out);

/* Longest object or method name the fast path of calls takes. */
#define OL_FAST_NAME_MAX 256

/* Handles a "call" request laid out as OlClient writes it
 * ({"v":1,"id":ID,"op":"call"[,"ts":true][,"object":"O"],"method":"M"
 * [,"args":[...]][,"kwargs":{...}]}, names without escapes, no frames)
 * without building the request as JSON values, and appends the reply
 * ol__server_dispatch() would give to out. Returns FALSE, writing nothing,
 * for any other request: it then goes the general way. */
gboolean ol__server_dispatch_call (OlServer *server, const char *text, size_t len,
                                   GString *out);

/* Turns a call's value into its JSON result: bytes become {"$frame": N}
 * (appended to frames_out) when frames_out is not NULL, else
 * {"$base64": "..."}. Consumes value. (transfer full) */
json_t *ol__value_to_result (OlValue *value, GPtrArray *frames_out);

G_END_DECLS
