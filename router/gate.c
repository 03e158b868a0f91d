/* The gate: the one path of every request through the server. Decode (the
 * fast decoder for plain calls, else the general one), check (done by the
 * decoders: version, operation, members), route (a plug such as a mount may
 * take the request), run, encode and send the reply. Whatever must hold for
 * every request is checked here, once. Runs on the RPC thread.
 *
 * Run: a call is looked up here and handed, request and attachments
 * included, to the call workers (router/workers.c), which run it and encode
 * its reply; the gate sends it when the worker hands it back
 * (ol__gate_send_done). The other operations run here (router/dispatch.c). */
#include "router/server_private.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "oneliner/error.h"
#include "core/clock.h"
#include "core/frames.h"
#include "core/log.h"

/* Sends text (freed with free() if owned, else copied) and frames to
 * peer. */
static void
s_send (OlServer *s, void *router, const OlPeer *peer, char *text, size_t len, gboolean owned,
        GPtrArray *frames)
{
  gboolean more_frames = frames != NULL && frames->len > 0;

  /* The RPC thread never blocks here: a client that is gone or does not
   * read its replies (its queue is full) loses that reply, which is
   * counted. */
  if (zmq_send (router, peer->identity, peer->identity_len, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0)
    {
      if (owned)
        free (text);
      atomic_fetch_add (&s->replies_undeliverable, 1);
      g_debug ("reply not delivered: %s", zmq_strerror (errno));
      return;
    }
  if (peer->delimited)
    zmq_send (router, "", 0, ZMQ_SNDMORE);
  if (owned)
    ol__wire_send_owned (router, text, len, more_frames ? ZMQ_SNDMORE : 0);
  else
    zmq_send (router, text, len, more_frames ? ZMQ_SNDMORE : 0);
  for (guint i = 0; more_frames && i < frames->len; i++)
    ol__wire_send_bytes (router, frames->pdata[i], i + 1 < frames->len ? ZMQ_SNDMORE : 0);
}

void
ol__server_send_reply (OlServer *s, void *router, const OlPeer *peer, char *text, size_t len,
                       GPtrArray *frames)
{
  s_send (s, router, peer, text, len, TRUE, frames);
}

/* Names in a refusal are cut to this many bytes. */
#define GATE_NAME_SHOWN 64

static gboolean
s_needs_control (OlOp op)
{
  return op == OL_OP_CALL || op == OL_OP_CALL_NAMED || op == OL_OP_STREAM_ENABLE
         || op == OL_OP_STREAM_REMOVE;
}

/* Logs a request refused for its key's role (core/log.h), at most a few a
 * second whatever the peer sends. */
static void
s_log_refused (const OlRequest *r, const char *key_name, const char *role, const char *why)
{
  static OlLogLimit limit;
  char more[OL_LOG_LIMIT_SUFFIX];

  if (!ol__log_limit_take (&limit, more))
    return;
  ol__log_event ("request-refused",
                 (const char *const[]) { "ONELINER_KEY_NAME", key_name[0] ? key_name : NULL,
                                         "ONELINER_ROLE", role,
                                         "ONELINER_OP", ol__op_name (r->op), NULL },
                 "request refused: %s%s", why, more);
}

/* Checks the caller's role: the role of its key (CURVE's User-Id on the
 * request frame) in the server's authorized keys, as the table stands now,
 * capped by the request's "role" member (a relay's caller). Sets r->role to
 * the role in force, which a forwarded request carries on. */
static gboolean
s_permitted (OlServer *s, OlRequest *r, zmq_msg_t *frame, GError **error)
{
  OlRole role = OL_ROLE_CONTROL, ceiling;
  char name[OL_AUTH_NAME_MAX + 1] = "";
  const char *what, *dot = "", *member;

  if (s->auth == NULL && r->role == NULL)
    return TRUE;
  if (s->auth != NULL)
    role = ol__auth_lookup (s->auth, zmq_msg_gets (frame, "User-Id"), name);
  if (role == OL_ROLE_NONE)
    {
      g_set_error_literal (error, OL_ERROR, OL_ERROR_PERMISSION_DENIED,
                           "permission denied: the key is not authorized");
      s_log_refused (r, "", "none", (*error)->message);
      return FALSE;
    }
  if (r->role != NULL && ol__role_parse (r->role, &ceiling) && ceiling < role)
    role = ceiling;
  r->role = ol__role_name (role);
  if (role == OL_ROLE_CONTROL || !s_needs_control (r->op))
    return TRUE;
  what = ol__request_route_name (r, &member);
  if (r->op == OL_OP_CALL && r->object != NULL)
    dot = ".";
  g_set_error (error, OL_ERROR, OL_ERROR_PERMISSION_DENIED,
               "permission denied: %s key%s%.*s%s may not %s %.*s%s%.*s",
               ol__role_name (role), name[0] ? " \"" : "", GATE_NAME_SHOWN, name,
               name[0] ? "\"" : "", ol__op_name (r->op),
               GATE_NAME_SHOWN, r->op == OL_OP_CALL && r->object ? r->object : "", dot,
               GATE_NAME_SHOWN, r->op == OL_OP_CALL ? r->method : what);
  s_log_refused (r, name, ol__role_name (role), (*error)->message);
  return FALSE;
}

/* Moves src into dst (both zeroed or cleared before), with the names that
 * point into src's own buffers pointing into dst's. src is left clear. */
static void
s_request_move (OlRequest *dst, OlRequest *src)
{
  *dst = *src;
  if (src->object == src->object_buf)
    dst->object = dst->object_buf;
  if (src->method == src->method_buf)
    dst->method = dst->method_buf;
  src->doc = src->args = src->kwargs = NULL;
  src->frames_in = NULL;
  ol__request_clear (src);
}

/* Hands call r to the workers; FALSE with error (nothing handed) if it has
 * no callable. */
static gboolean
s_submit (OlServer *s, OlRequest *r, const OlPeer *peer, gint64 ts, GError **error)
{
  json_t *args, *kwargs;
  OlCallable *c = ol__server_resolve_call (s, r, &args, &kwargs, error);
  OlJob *job;

  if (c == NULL)
    return FALSE;
  job = ol__workers_job_new (s->workers);
  s_request_move (&job->request, r);
  job->callable = c;
  job->args = args;
  job->kwargs = kwargs;
  job->ts = ts;
  g_assert (peer->identity_len <= sizeof job->identity);
  memcpy (job->identity, peer->identity, peer->identity_len);
  job->identity_len = peer->identity_len;
  job->delimited = peer->delimited;
  if (job->request.frames)
    job->frames_out = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  ol__workers_submit (s->workers, c->instance, job);
  return TRUE;
}

void
ol__gate_send_done (OlServer *s, void *router)
{
  OlJob *next;

  for (OlJob *job = ol__workers_take_done (s->workers); job != NULL; job = next)
    {
      OlPeer peer = { job->identity, job->identity_len, job->delimited };

      next = job->next;
      atomic_fetch_add (&s->calls_served, 1);
      s_send (s, router, &peer, job->reply->str, job->reply->len, FALSE, job->frames_out);
      ol__workers_job_recycle (s->workers, job);
    }
}

void
ol__gate_handle (OlServer *s, void *router, zmq_msg_t *frames, int n, gboolean truncated,
                 GString *out)
{
  OlPeer peer;
  int body;
  OlRequest r = { 0 };
  GError *error = NULL;
  json_t *result = NULL;
  gint64 ts = -1;
  gboolean decoded;

  /* frames[0] is the peer identity ROUTER adds; a REQ peer adds an empty
   * delimiter before the body, which the reply repeats. ROUTER always
   * delivers the identity and at least one frame. */
  peer.delimited = n >= 3 && zmq_msg_size (&frames[1]) == 0;
  peer.identity = zmq_msg_data (&frames[0]);
  peer.identity_len = zmq_msg_size (&frames[0]);
  body = peer.delimited ? 2 : 1;
  g_assert (n > body);
  g_string_truncate (out, 0);

  /* Decode and check. */
  decoded = n == body + 1 && !truncated
            && ol__request_decode_fast (&r, zmq_msg_data (&frames[body]),
                                        zmq_msg_size (&frames[body]));
  if (!decoded)
    decoded = ol__request_decode (&r, zmq_msg_data (&frames[body]),
                                  zmq_msg_size (&frames[body]), n - body - 1, truncated, &error);
  if (decoded && r.ts)
    ts = ol__wall_time_ns ();
  if (decoded && n > body + 1)
    {
      r.frames_in = g_ptr_array_new_full (n - body - 1, (GDestroyNotify) g_bytes_unref);
      for (int i = body + 1; i < n; i++)
        g_ptr_array_add (r.frames_in, ol__wire_frame_to_bytes (&frames[i]));
    }

  /* Check the caller's role. */
  if (decoded && !s_permitted (s, &r, &frames[body], &error))
    decoded = FALSE;

  /* Route: a plug may take the request elsewhere. */
  if (decoded && s->plug != NULL && s->plug->route (s->plug_data, &r, &peer, &error))
    {
      if (error != NULL)
        {
          ol__server_encode_reply (out, &r, NULL, error, -1);
          s_send (s, router, &peer, out->str, out->len, FALSE, NULL);
          g_error_free (error);
        }
      ol__request_clear (&r);
      return;
    }

  /* Run: a call on a worker, which encodes its reply; the rest here. */
  if (decoded && (r.op == OL_OP_CALL || r.op == OL_OP_CALL_NAMED))
    {
      if (s_submit (s, &r, &peer, ts, &error))
        return;
    }
  else if (decoded)
    result = ol__server_run (s, &r, &error);

  /* Encode and send. */
  ol__server_encode_reply (out, &r, result, error, ts);
  json_decref (result);
  g_clear_error (&error);
  atomic_fetch_add (&s->calls_served, 1);
  s_send (s, router, &peer, out->str, out->len, FALSE, NULL);
  ol__request_clear (&r);
}
