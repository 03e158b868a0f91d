/* The gate: the one path of every request through the server. Decode (the
 * fast decoder for plain calls, else the general one), check (done by the
 * decoders: version, operation, members), route (a plug such as a mount may
 * take the request), run (router/dispatch.c), encode and send the reply.
 * Whatever must hold for every request is checked here, once. Runs on the
 * RPC thread. */
#include "router/server_private.h"

#include <errno.h>
#include <stdlib.h>

#include "oneliner/error.h"
#include "core/clock.h"
#include "core/frames.h"

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
  return FALSE;
}

/* Appends the reply to r: result, or error. */
static void
s_encode (GString *out, const OlRequest *r, json_t *result, const GError *error, gint64 ts)
{
  if (r->has_int_id)
    ol__wire_append_reply_int (out, r->int_id, result, error, ts);
  else
    ol__wire_append_reply (out, r->id, result, error, ts);
}

void
ol__gate_handle (OlServer *s, void *router, zmq_msg_t *frames, int n, gboolean truncated,
                 GString *out)
{
  OlPeer peer;
  int body;
  OlRequest r = { 0 };
  GError *error = NULL;
  g_autoptr (GPtrArray) frames_out = NULL;
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
          s_encode (out, &r, NULL, error, -1);
          s_send (s, router, &peer, out->str, out->len, FALSE, NULL);
          g_error_free (error);
        }
      ol__request_clear (&r);
      return;
    }

  /* Run. */
  if (decoded)
    {
      if (r.frames)
        frames_out = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
      result = ol__server_run (s, &r, frames_out, &error);
    }

  /* Encode and send. */
  s_encode (out, &r, result, error, ts);
  json_decref (result);
  g_clear_error (&error);
  atomic_fetch_add (&s->calls_served, 1);
  s_send (s, router, &peer, out->str, out->len, FALSE, frames_out);
  ol__request_clear (&r);
}
