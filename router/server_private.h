/* OlServer internals shared by the files that make up the server
 * (router/server.c, router/gate.c, router/dispatch.c), the stream layer's
 * part of it (streamer/server_streams.c) and what plugs into it from above
 * (relay/). */
#pragma once

#include <stdatomic.h>

#include "oneliner/server.h"
#include "router/auth.h"
#include "router/registry.h"
#include "core/keys.h"
#include "core/startup.h"
#include "core/wakeup.h"
#include "router/request.h"
#include "router/wire.h"
#include "router/workers.h"
#include "streamer/streamer.h"

G_BEGIN_DECLS

/* Who sent a request: the identity ROUTER gave the peer's connection, and
 * whether the peer is a REQ socket (its replies carry an empty delimiter). */
typedef struct {
  const void *identity; /* borrowed from the request's first frame */
  size_t identity_len;
  gboolean delimited;
} OlPeer;

/* What a layer above plugs into the server (relay/: mounts). The server
 * calls open, poll_items, service, route and close on its RPC thread only,
 * describe on the RPC thread or the caller's of ol_server_call, free when
 * the server is freed. */
typedef struct {
  /* Creates the plug's sockets once the RPC socket is bound. On failure
   * the server does not start (close is called). */
  gboolean (*open) (gpointer data, GError **error);
  void (*close) (gpointer data);
  /* Appends the plug's poll items to items (a GArray of zmq_pollitem_t)
   * and returns how many. */
  guint (*poll_items) (gpointer data, GArray *items);
  /* Services the plug's sockets after zmq_poll(): items are its poll
   * items. router is the RPC socket, to send replies with
   * ol__server_send_reply(). */
  void (*service) (gpointer data, const zmq_pollitem_t *items, OlServer *server,
                   void *router);
  /* Offered every decoded, checked request before it runs: returns FALSE
   * if the request is not the plug's; else TRUE, having forwarded it (the
   * reply comes later through service) or set error, which the server
   * sends back to the peer. peer is valid during the call only. */
  gboolean (*route) (gpointer data, const OlRequest *request, const OlPeer *peer,
                     GError **error);
  /* Adds what the plug serves to the result of op (list, streams, mounts). */
  void (*describe) (gpointer data, OlOp op, json_t *result);
  void (*free) (gpointer data);
} OlServerPlug;

struct OlServer {
  char *rpc_bind;           /* (owned) endpoint to bind, set before start */
  char *stream_bind;        /* (owned) */
  char *rpc_endpoint;       /* (owned) resolved after start; read-only then */
  char *stream_endpoint;    /* (owned) */
  OlRegistry *registry;     /* (owned) thread-safe by itself */
  OlStreamer *streamer;     /* (owned) thread-safe by itself */
  const OlServerPlug *plug; /* (nullable) set before start */
  gpointer plug_data;       /* (owned by plug->free) */
  OlAuth *auth;             /* (owned) (nullable) authorized keys, set before start */
  OlZapDomain *zap;         /* (owned) (nullable) the CURVE server side, with auth */

  OlStartup startup;        /* the RPC thread's start handshake */
  OlMutex state_lock;       /* guards started, thread */
  gboolean started;
  GThread *thread;          /* (owned) the RPC thread */

  OlWakeup wake;            /* signalled by ol_server_stop() from any thread
                               and by the workers when replies wait */
  OlWorkers *workers;       /* (owned) the call workers; RPC thread only */
  gint stop;                /* atomic: non-zero once stop was asked */

  atomic_uint_fast64_t calls_served;          /* requests answered */
  atomic_uint_fast64_t replies_undeliverable; /* client gone or not reading */
};

/* Plugs plug (data passed to every hook, freed by plug->free with the
 * server) into server. One plug per server, before ol_server_start(). */
void ol__server_set_plug (OlServer *server, const OlServerPlug *plug, gpointer data);
/* The data of the server's plug, or NULL. (transfer none) */
gpointer ol__server_get_plug (OlServer *server, const OlServerPlug *plug);
/* Whether ol_server_start() was called. */
gboolean ol__server_is_started (OlServer *server);
/* The server's streams. (transfer none) */
OlStreamer *ol__server_streamer (OlServer *server);

/* Sends a reply to peer, text (transfer full, freed with free()) and
 * frames (nullable, borrowed) without a copy, never blocking: a peer gone or
 * not reading loses it (counted). RPC thread only. */
void ol__server_send_reply (OlServer *server, void *router, const OlPeer *peer, char *text,
                            size_t len, GPtrArray *frames);

/* The gate (router/gate.c): handles one request received on the RPC
 * thread: frames[0] is the peer's identity, then an empty delimiter if the
 * peer is a REQ socket, the request's JSON frame and its attachments.
 * out is the RPC thread's buffer for the reply text. */
void ol__gate_handle (OlServer *server, void *router, zmq_msg_t *frames, int n,
                      gboolean truncated, GString *out);

/* Sends the replies of the finished calls (router/gate.c). RPC thread only. */
void ol__gate_send_done (OlServer *server, void *router);

/* Runs a decoded, checked request other than a call (router/dispatch.c) and
 * returns its result (transfer full), or NULL with error. RPC thread. */
json_t *ol__server_run (OlServer *server, OlRequest *request, GError **error);

/* Looks up the callable of a call or named call and the args and kwargs it
 * gets (transfer full, nullable); NULL with error if there is none. Runs no
 * user code. */
OlCallable *ol__server_resolve_call (OlServer *server, const OlRequest *request, json_t **args,
                                     json_t **kwargs, GError **error);

/* Runs a job's call and encodes its reply into the job (OlJobRun): bytes
 * results go to job->frames_out (if set) as {"$frame": N}, else inline as
 * {"$base64"}. On a call worker. */
void ol__server_run_job (OlJob *job, gpointer data);

/* Appends the reply to request: result (nullable), or error. */
void ol__server_encode_reply (GString *out, const OlRequest *request, json_t *result,
                              const GError *error, gint64 ts);

/* Turns a call's value into its JSON result: bytes become {"$frame": N}
 * (appended to frames_out) when frames_out is not NULL, else
 * {"$base64": "..."}. Consumes value. (transfer full) */
json_t *ol__value_to_result (OlValue *value, GPtrArray *frames_out);

G_END_DECLS
