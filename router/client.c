/* OlClient: requests over a DEALER socket, blocking and asynchronous. */
#include "oneliner/client.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "oneliner/error.h"
#include "oneliner/server.h"
#include "oneliner/version.h"
#include "router/client_private.h"
#include "router/wire.h"

#define CLIENT_MAX_FRAMES (1 + OL_WIRE_MAX_ATTACHMENTS)
/* Replies handled per dispatch of the client's GSource. */
#define CLIENT_BATCH 256

typedef struct Pending Pending;

struct OlClient {
  char *rpc_endpoint;    /* (owned) */
  char *stream_endpoint; /* (owned) */
  void *dealer;          /* owned by the creating thread */
  int timeout_ms;
  guint64 next_id;
  guint64 stale;
  GMainContext *context; /* (owned) where async callbacks run */
  GSource *source;       /* (owned) watches the DEALER socket and deadlines */
  GHashTable *pending;   /* (owned) id -> Pending *, asynchronous calls */
  GQueue deadlines;      /* Pending * sorted by deadline (links embedded) */
  GQueue outbox;         /* Pending * whose request waits for the socket */
  OlSubscriber *subscriber; /* (owned) (nullable) created on first stream use */
  GError *subscriber_error; /* (owned) (nullable) why it could not be created */
};

struct Pending {
  OlClient *client;
  guint64 id;
  gint64 deadline;       /* monotonic, microseconds */
  int timeout_ms;
  GTask *task;           /* (owned) */
  GList deadline_link;
  GList outbox_link;
  gboolean in_outbox;
  char *text;            /* (owned) (nullable) the encoded request while unsent */
  GPtrArray *frames;     /* (owned) (nullable) its attachments while unsent */
  GSource *cancel_source; /* (owned) (nullable) */
};

typedef struct {
  GSource source;
  OlClient *client;
  gpointer fd_tag;       /* the DEALER's ZMQ_FD in the source */
} ClientSource;

void
ol_reply_free (OlReply *reply)
{
  if (reply == NULL)
    return;
  json_decref (reply->result);
  g_clear_pointer (&reply->frames, g_ptr_array_unref);
  g_free (reply);
}

/* ------------------------------------------------------------------------ */
/* Encoding and decoding */

/* Operation names are short lower-case identifiers ("call", "stream_enable"):
 * they go into the request text without escaping. */
static gboolean
s_op_is_valid (const char *op)
{
  if (op == NULL || op[0] == '\0')
    return FALSE;
  for (const char *p = op; *p; p++)
    if (!g_ascii_islower (*p) && *p != '_' && !g_ascii_isdigit (*p))
      return FALSE;
  return TRUE;
}

/* Encodes a request: the envelope members are written as text in front of
 * the body's own members, which saves building them as JSON values on every
 * call. The result is (transfer full) for free(). */
static char *
s_encode (guint64 id, const char *op, json_t *body, OlCallFlags flags, size_t *len)
{
  char *members = json_dumps (body, JSON_COMPACT);
  size_t members_len = strlen (members);
  GString *out = g_string_sized_new (members_len + 96);

  g_string_append_printf (out, "{\"v\":%d,\"id\":%" G_GUINT64_FORMAT ",\"op\":",
                          OL_PROTOCOL_VERSION, id);
  {
    /* op names are plain ASCII identifiers of this library: no escaping. */
    g_string_append_c (out, '"');
    g_string_append (out, op);
    g_string_append_c (out, '"');
  }
  if (flags & OL_CALL_TIMESTAMP)
    g_string_append (out, ",\"ts\":true");
  if (flags & OL_CALL_FRAMES)
    g_string_append (out, ",\"frames\":true");
  /* members is "{}" or "{...}": append its inside after a comma. */
  if (members_len > 2)
    {
      g_string_append_c (out, ',');
      g_string_append_len (out, members + 1, members_len - 1);
    }
  else
    g_string_append_c (out, '}');
  free (members);
  *len = out->len;
  return g_string_free (out, FALSE);
}

/* Sends an encoded request without waiting. Returns 0, or -1 with errno
 * EAGAIN when the socket cannot take it now (no connection yet). text stays
 * the caller's. */
static int
s_send (OlClient *c, const char *text, size_t len, GPtrArray *frames)
{
  gboolean more = frames != NULL && frames->len > 0;

  if (zmq_send (c->dealer, text, len, ZMQ_DONTWAIT | (more ? ZMQ_SNDMORE : 0)) < 0)
    return -1;
  for (guint i = 0; more && i < frames->len; i++)
    ol__wire_send_bytes (c->dealer, frames->pdata[i],
                         i + 1 < frames->len ? ZMQ_SNDMORE : 0);
  return 0;
}

/* Decodes a received reply. Returns FALSE if it is not a reply at all (no
 * JSON object with an integer id): it is then dropped. Otherwise sets *id and
 * either *reply or *error. Takes the frames. */
static gboolean
s_decode (zmq_msg_t *frames, int n, guint64 *id, OlReply **reply, GError **error)
{
  json_t *json = json_loadb (zmq_msg_data (&frames[0]), zmq_msg_size (&frames[0]),
                             JSON_ALLOW_NUL, NULL);
  json_t *jid = json_object_get (json, "id");
  json_t *ok = json_object_get (json, "ok");

  if (!json_is_object (json) || !json_is_integer (jid) || !json_is_boolean (ok)
      || json_integer_value (json_object_get (json, "v")) != OL_PROTOCOL_VERSION)
    {
      json_decref (json);
      return FALSE;
    }
  *id = (guint64) json_integer_value (jid);
  if (json_is_true (ok))
    {
      OlReply *r = g_new0 (OlReply, 1);
      json_t *result = json_object_get (json, "result");
      json_t *ts = json_object_get (json, "ts");

      r->result = json_incref (result ? result : json_null ());
      r->server_time = json_is_integer (ts) ? json_integer_value (ts) : 0;
      r->frames = g_ptr_array_new_full (n - 1, (GDestroyNotify) g_bytes_unref);
      for (int i = 1; i < n; i++)
        g_ptr_array_add (r->frames, ol__wire_frame_to_bytes (&frames[i]));
      *reply = r;
    }
  else
    *error = ol__wire_error_from_json (json_object_get (json, "error"));
  json_decref (json);
  return TRUE;
}

/* ------------------------------------------------------------------------ */
/* Asynchronous calls */

static void
s_pending_free (Pending *p)
{
  free (p->text);
  g_clear_pointer (&p->frames, g_ptr_array_unref);
  if (p->cancel_source)
    {
      g_source_destroy (p->cancel_source);
      g_source_unref (p->cancel_source);
    }
  g_clear_object (&p->task);
  g_free (p);
}

/* Removes p from every list and completes its task with reply or error
 * (one of them, both transfer full). */
static void
s_pending_complete (Pending *p, OlReply *reply, GError *error)
{
  OlClient *c = p->client;

  g_hash_table_remove (c->pending, &p->id);
  g_queue_unlink (&c->deadlines, &p->deadline_link);
  if (p->in_outbox)
    g_queue_unlink (&c->outbox, &p->outbox_link);
  if (error != NULL)
    g_task_return_error (p->task, error);
  else
    g_task_return_pointer (p->task, reply, (GDestroyNotify) ol_reply_free);
  s_pending_free (p);
}

static void
s_deliver (OlClient *c, guint64 id, OlReply *reply, GError *error)
{
  Pending *p = g_hash_table_lookup (c->pending, &id);

  if (p == NULL || p->in_outbox)
    {
      c->stale++;
      ol_reply_free (reply);
      g_clear_error (&error);
      return;
    }
  s_pending_complete (p, reply, error);
}

/* Receives one message if one is there. Returns FALSE when none was. A
 * reply for waiting_id (0: none) is returned through *mine; every other is
 * delivered to its asynchronous call or counted as stale. */
static gboolean
s_receive_one (OlClient *c, guint64 waiting_id, gboolean *mine,
               OlReply **reply, GError **error)
{
  zmq_msg_t frames[CLIENT_MAX_FRAMES];
  gboolean truncated;
  int n = ol__wire_recv_multipart (c->dealer, frames, CLIENT_MAX_FRAMES, &truncated);
  guint64 id = 0;
  OlReply *r = NULL;
  GError *e = NULL;

  if (n < 0)
    return FALSE;
  if (!s_decode (frames, n, &id, &r, &e))
    {
      c->stale++;
      g_debug ("dropped a message that is not a reply");
    }
  else if (waiting_id != 0 && id == waiting_id)
    {
      *mine = TRUE;
      *reply = r;
      *error = e;
    }
  else
    s_deliver (c, id, r, e);
  ol__wire_close_frames (frames, n);
  return TRUE;
}

static void
s_flush_outbox (OlClient *c)
{
  while (c->outbox.head != NULL)
    {
      Pending *p = c->outbox.head->data;

      if (s_send (c, p->text, strlen (p->text), p->frames) < 0)
        {
          if (errno != EAGAIN)
            s_pending_complete (p, NULL, g_error_new (OL_ERROR, OL_ERROR_SOCKET,
                                                      "cannot send request: %s",
                                                      zmq_strerror (errno)));
          return;
        }
      g_clear_pointer (&p->text, free);
      g_clear_pointer (&p->frames, g_ptr_array_unref);
      g_queue_unlink (&c->outbox, &p->outbox_link);
      p->in_outbox = FALSE;
    }
}

static void
s_expire (OlClient *c)
{
  gint64 now = g_get_monotonic_time ();

  while (c->deadlines.head != NULL)
    {
      Pending *p = c->deadlines.head->data;

      if (p->deadline > now)
        break;
      s_pending_complete (p, NULL, g_error_new (
        OL_ERROR, OL_ERROR_TIMEOUT, "%s within %d ms (server %s)",
        p->in_outbox ? "no connection to the server" : "no reply",
        p->timeout_ms, c->rpc_endpoint));
    }
}

static int
s_events (OlClient *c)
{
  int events = 0;
  size_t len = sizeof events;

  zmq_getsockopt (c->dealer, ZMQ_EVENTS, &events, &len);
  return events;
}

static gboolean
s_source_ready (OlClient *c, int *timeout)
{
  int events = s_events (c);

  if ((events & ZMQ_POLLIN) || (c->outbox.head && (events & ZMQ_POLLOUT)))
    {
      *timeout = 0;
      return TRUE;
    }
  if (c->deadlines.head != NULL)
    {
      Pending *p = c->deadlines.head->data;
      gint64 left = p->deadline - g_get_monotonic_time ();

      if (left <= 0)
        {
          *timeout = 0;
          return TRUE;
        }
      *timeout = (int) MIN ((left + 999) / 1000, G_MAXINT);
      return FALSE;
    }
  *timeout = -1;
  return FALSE;
}

static gboolean
s_source_prepare (GSource *source, gint *timeout)
{
  return s_source_ready (((ClientSource *) source)->client, timeout);
}

static gboolean
s_source_check (GSource *source)
{
  ClientSource *cs = (ClientSource *) source;
  OlClient *c = cs->client;
  int timeout;

  /* Nothing was sent or received since prepare() looked at the socket, so
   * unless its fd fired, only a deadline can have made us ready. */
  if (!(g_source_query_unix_fd (source, cs->fd_tag) & G_IO_IN) && c->outbox.head == NULL)
    {
      if (c->deadlines.head == NULL)
        return FALSE;
      return ((Pending *) c->deadlines.head->data)->deadline <= g_get_monotonic_time ();
    }
  return s_source_ready (c, &timeout);
}

static gboolean
s_source_dispatch (GSource *source, GSourceFunc callback, gpointer user_data)
{
  OlClient *c = ((ClientSource *) source)->client;

  (void) callback, (void) user_data;
  s_flush_outbox (c);
  for (int k = 0; k < CLIENT_BATCH; k++)
    {
      gboolean mine = FALSE;
      if (!s_receive_one (c, 0, &mine, NULL, NULL))
        break;
    }
  s_expire (c);
  return G_SOURCE_CONTINUE;
}

static GSourceFuncs s_source_funcs = {
  .prepare = s_source_prepare,
  .check = s_source_check,
  .dispatch = s_source_dispatch,
};

static void
s_insert_deadline (OlClient *c, Pending *p)
{
  GList *after = c->deadlines.tail;

  /* Deadlines mostly arrive in order: search from the tail. */
  while (after != NULL && ((Pending *) after->data)->deadline > p->deadline)
    after = after->prev;
  p->deadline_link.data = p;
  if (after == NULL)
    g_queue_push_head_link (&c->deadlines, &p->deadline_link);
  else
    {
      /* g_queue_insert_after_link exists since 2.62 */
      g_queue_insert_after_link (&c->deadlines, after, &p->deadline_link);
    }
}

static gboolean
s_cancelled (GCancellable *cancellable, gpointer data)
{
  Pending *p = data;
  (void) cancellable;

  s_pending_complete (p, NULL, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                                    "call cancelled"));
  return G_SOURCE_REMOVE;
}

void
ol_client_request_async (OlClient *c, const char *op, json_t *body,
                         GPtrArray *frames, OlCallFlags flags, int timeout_ms,
                         GCancellable *cancellable, GAsyncReadyCallback callback,
                         gpointer user_data)
{
  Pending *p;
  size_t len;
  GTask *task;

  g_return_if_fail (c != NULL && s_op_is_valid (op) && json_is_object (body));
  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, ol_client_request_async);
  if (frames != NULL && frames->len > OL_WIRE_MAX_ATTACHMENTS)
    {
      g_task_return_new_error (task, OL_ERROR, OL_ERROR_INVALID_ARGS,
                               "a request carries at most %d binary frames, not %u",
                               OL_WIRE_MAX_ATTACHMENTS, frames->len);
      g_object_unref (task);
      json_decref (body);
      return;
    }
  if (timeout_ms < 0)
    timeout_ms = c->timeout_ms;

  p = g_new0 (Pending, 1);
  p->client = c;
  p->id = ++c->next_id;
  p->timeout_ms = timeout_ms;
  p->deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;
  p->task = task;
  p->text = s_encode (p->id, op, body, flags, &len);
  json_decref (body);
  g_hash_table_insert (c->pending, &p->id, p);
  s_insert_deadline (c, p);
  if (cancellable != NULL)
    {
      p->cancel_source = g_cancellable_source_new (cancellable);
      g_source_set_callback (p->cancel_source, G_SOURCE_FUNC (s_cancelled), p, NULL);
      g_source_attach (p->cancel_source, c->context);
    }
  if (c->outbox.head == NULL && s_send (c, p->text, len, frames) == 0)
    g_clear_pointer (&p->text, free);
  else
    {
      p->frames = frames ? g_ptr_array_ref (frames) : NULL;
      p->in_outbox = TRUE;
      p->outbox_link.data = p;
      g_queue_push_tail_link (&c->outbox, &p->outbox_link);
    }
  /* The source's prepare() looks at the socket before every wait of the
   * loop; a loop iterated by another thread than the caller's (a misuse,
   * but cheap to tolerate) needs a wake-up to see the new deadline. */
  if (!g_main_context_is_owner (c->context))
    g_main_context_wakeup (c->context);
}

OlReply *
ol_client_request_finish (OlClient *c, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (c != NULL, NULL);
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static json_t *
s_call_body (const char *instance, const char *method, json_t *args, json_t *kwargs)
{
  json_t *body = json_object ();

  if (instance != NULL)
    json_object_set_new (body, "object", json_string (instance));
  json_object_set_new (body, "method", json_string (method));
  if (args != NULL)
    json_object_set (body, "args", args);
  if (kwargs != NULL)
    json_object_set (body, "kwargs", kwargs);
  return body;
}

void
ol_client_call_async (OlClient *c, const char *instance, const char *method,
                      json_t *args, json_t *kwargs, GCancellable *cancellable,
                      GAsyncReadyCallback callback, gpointer user_data)
{
  g_return_if_fail (c != NULL && method != NULL);
  ol_client_request_async (c, "call", s_call_body (instance, method, args, kwargs),
                           NULL, OL_CALL_NONE, -1, cancellable, callback, user_data);
}

json_t *
ol_client_call_finish (OlClient *c, GAsyncResult *result, GError **error)
{
  OlReply *reply = ol_client_request_finish (c, result, error);
  json_t *out;

  if (reply == NULL)
    return NULL;
  out = g_steal_pointer (&reply->result);
  ol_reply_free (reply);
  return out;
}

/* ------------------------------------------------------------------------ */
/* Blocking calls */

static int
s_remaining_ms (gint64 deadline)
{
  gint64 left = deadline - g_get_monotonic_time ();
  return left <= 0 ? 0 : (int) MIN ((left + 999) / 1000, G_MAXINT);
}

OlReply *
ol_client_request (OlClient *c, const char *op, json_t *body, GPtrArray *frames,
                   OlCallFlags flags, int timeout_ms, GError **error)
{
  guint64 id;
  gint64 deadline;
  size_t len;
  char *text;
  gboolean sent = FALSE;

  g_return_val_if_fail (c != NULL && s_op_is_valid (op) && json_is_object (body), NULL);
  if (frames != NULL && frames->len > OL_WIRE_MAX_ATTACHMENTS)
    {
      g_set_error (error, OL_ERROR, OL_ERROR_INVALID_ARGS,
                   "a request carries at most %d binary frames, not %u",
                   OL_WIRE_MAX_ATTACHMENTS, frames->len);
      json_decref (body);
      return NULL;
    }
  if (timeout_ms < 0)
    timeout_ms = c->timeout_ms;
  deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;
  id = ++c->next_id;
  text = s_encode (id, op, body, flags, &len);
  json_decref (body);

  /* Send, waiting for a connection at most until the deadline. */
  while (!sent)
    {
      zmq_pollitem_t item = { c->dealer, 0, ZMQ_POLLOUT, 0 };
      int left;

      if (s_send (c, text, len, frames) == 0)
        {
          sent = TRUE;
          break;
        }
      if (errno != EAGAIN)
        {
          g_set_error (error, OL_ERROR, OL_ERROR_SOCKET, "cannot send request: %s",
                       zmq_strerror (errno));
          free (text);
          return NULL;
        }
      if ((left = s_remaining_ms (deadline)) == 0)
        break;
      if (zmq_poll (&item, 1, left) < 0 && errno != EINTR)
        break;
    }
  free (text);
  if (!sent)
    {
      g_set_error (error, OL_ERROR, OL_ERROR_TIMEOUT,
                   "no connection to the server within %d ms (server %s)",
                   timeout_ms, c->rpc_endpoint);
      return NULL;
    }

  for (;;)
    {
      zmq_pollitem_t item = { c->dealer, 0, ZMQ_POLLIN, 0 };
      gboolean mine = FALSE;
      OlReply *reply = NULL;
      GError *e = NULL;
      int left;

      while (s_receive_one (c, id, &mine, &reply, &e))
        if (mine)
          {
            if (e != NULL)
              {
                g_propagate_error (error, e);
                return NULL;
              }
            return reply;
          }
      if ((left = s_remaining_ms (deadline)) == 0)
        break;
      if (zmq_poll (&item, 1, left) < 0 && errno != EINTR)
        {
          g_set_error (error, OL_ERROR, OL_ERROR_SOCKET, "cannot wait for the reply: %s",
                       zmq_strerror (errno));
          return NULL;
        }
    }
  g_set_error (error, OL_ERROR, OL_ERROR_TIMEOUT,
               "no reply within %d ms (server %s)", timeout_ms, c->rpc_endpoint);
  return NULL;
}

static json_t *
s_result (OlReply *reply)
{
  json_t *out;

  if (reply == NULL)
    return NULL;
  out = g_steal_pointer (&reply->result);
  ol_reply_free (reply);
  return out;
}

json_t *
ol_client_call (OlClient *c, const char *instance, const char *method,
                json_t *args, json_t *kwargs, GError **error)
{
  g_return_val_if_fail (c != NULL && method != NULL, NULL);
  return s_result (ol_client_request (c, "call",
                                      s_call_body (instance, method, args, kwargs),
                                      NULL, OL_CALL_NONE, -1, error));
}

json_t *
ol_client_call_named (OlClient *c, const char *name, json_t *args,
                      json_t *kwargs, GError **error)
{
  json_t *body;

  g_return_val_if_fail (c != NULL && name != NULL, NULL);
  body = json_pack ("{s:s}", "name", name);
  if (args != NULL)
    json_object_set (body, "args", args);
  if (kwargs != NULL)
    json_object_set (body, "kwargs", kwargs);
  return s_result (ol_client_request (c, "call_named", body, NULL, OL_CALL_NONE,
                                      -1, error));
}

json_t *
ol_client_list (OlClient *c, GError **error)
{
  g_return_val_if_fail (c != NULL, NULL);
  return s_result (ol_client_request (c, "list", json_object (), NULL,
                                      OL_CALL_NONE, -1, error));
}

json_t *
ol_client_version (OlClient *c, GError **error)
{
  g_return_val_if_fail (c != NULL, NULL);
  return s_result (ol_client_request (c, "version", json_object (), NULL,
                                      OL_CALL_NONE, -1, error));
}

/* ------------------------------------------------------------------------ */
/* Life cycle */

OlClient *
ol_client_new (const char *rpc_endpoint, const char *stream_endpoint, GError **error)
{
  OlClient *c;
  void *dealer;
  int immediate = 1;
  int hwm = 100000;
  int fd;
  size_t fd_len = sizeof fd;

  if (rpc_endpoint == NULL)
    rpc_endpoint = OL_DEFAULT_RPC_CONNECT;
  if (stream_endpoint == NULL)
    stream_endpoint = OL_DEFAULT_STREAM_CONNECT;
  dealer = zmq_socket (ol__zmq_context (), ZMQ_DEALER);
  ol__socket_set_common (dealer);
  /* Requests wait for a live connection instead of queueing towards a
   * server that is not there; they then fail within their bound. */
  zmq_setsockopt (dealer, ZMQ_IMMEDIATE, &immediate, sizeof immediate);
  zmq_setsockopt (dealer, ZMQ_SNDHWM, &hwm, sizeof hwm);
  zmq_setsockopt (dealer, ZMQ_RCVHWM, &hwm, sizeof hwm);
  if (zmq_connect (dealer, rpc_endpoint) != 0)
    {
      g_set_error (error, OL_ERROR, OL_ERROR_SOCKET, "cannot connect to %s: %s",
                   rpc_endpoint, zmq_strerror (errno));
      zmq_close (dealer);
      return NULL;
    }

  c = g_new0 (OlClient, 1);
  c->rpc_endpoint = g_strdup (rpc_endpoint);
  c->stream_endpoint = g_strdup (stream_endpoint);
  c->dealer = dealer;
  c->timeout_ms = OL_CLIENT_DEFAULT_TIMEOUT_MS;
  /* Ids start at a random point so that replies meant for an earlier client
   * on the same identity can never match. */
  c->next_id = (guint64) g_random_int () << 16;
  c->pending = g_hash_table_new (g_int64_hash, g_int64_equal);
  g_queue_init (&c->deadlines);
  g_queue_init (&c->outbox);
  c->context = g_main_context_ref_thread_default ();
  c->source = g_source_new (&s_source_funcs, sizeof (ClientSource));
  ((ClientSource *) c->source)->client = c;
  g_source_set_name (c->source, "OlClient");
  zmq_getsockopt (dealer, ZMQ_FD, &fd, &fd_len);
  ((ClientSource *) c->source)->fd_tag = g_source_add_unix_fd (c->source, fd, G_IO_IN);
  g_source_attach (c->source, c->context);
  return c;
}

void
ol_client_free (OlClient **client)
{
  OlClient *c;

  g_return_if_fail (client != NULL);
  if ((c = *client) == NULL)
    return;
  *client = NULL;
  while (c->deadlines.head != NULL)
    s_pending_complete (c->deadlines.head->data, NULL,
                        g_error_new_literal (OL_ERROR, OL_ERROR_CLOSED,
                                             "the client was freed"));
  g_clear_pointer (&c->subscriber, ol__subscriber_free);
  g_clear_error (&c->subscriber_error);
  g_source_destroy (c->source);
  g_source_unref (c->source);
  g_main_context_unref (c->context);
  g_hash_table_unref (c->pending);
  zmq_close (c->dealer);
  g_free (c->rpc_endpoint);
  g_free (c->stream_endpoint);
  g_free (c);
}

void
ol_client_set_timeout (OlClient *c, int timeout_ms)
{
  g_return_if_fail (c != NULL && timeout_ms >= 0);
  c->timeout_ms = timeout_ms;
}

int
ol_client_get_timeout (OlClient *c)
{
  g_return_val_if_fail (c != NULL, -1);
  return c->timeout_ms;
}

const char *
ol_client_get_rpc_endpoint (OlClient *c)
{
  g_return_val_if_fail (c != NULL, NULL);
  return c->rpc_endpoint;
}

const char *
ol_client_get_stream_endpoint (OlClient *c)
{
  g_return_val_if_fail (c != NULL, NULL);
  return c->stream_endpoint;
}

guint64
ol_client_get_stale_replies (OlClient *c)
{
  g_return_val_if_fail (c != NULL, 0);
  return c->stale;
}

OlSubscriber *
ol__client_subscriber (OlClient *c, GError **error)
{
  if (c->subscriber == NULL && c->subscriber_error == NULL)
    c->subscriber = ol__subscriber_new (c->stream_endpoint, c->context, c,
                                        &c->subscriber_error);
  if (c->subscriber == NULL)
    g_propagate_error (error, g_error_copy (c->subscriber_error));
  return c->subscriber;
}

OlSubscriber *
ol__client_peek_subscriber (OlClient *c)
{
  return c->subscriber;
}
