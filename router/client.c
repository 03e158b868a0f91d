/* OlClient: requests over a DEALER socket, blocking and asynchronous. The
 * stream side (streamer/client_streams.c) and the stream control requests
 * (router/client_control.c) build on it through router/client_private.h;
 * it includes nothing of theirs. */
#include "oneliner/client.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "oneliner/error.h"
#include "oneliner/server.h"
#include "oneliner/version.h"
#include "router/client_private.h"
#include "router/reply.h"
#include "router/wire.h"
#include "core/frames.h"
#include "core/socket.h"

#define CLIENT_MAX_FRAMES (1 + OL_WIRE_MAX_ATTACHMENTS)
/* Replies handled per dispatch of the client's GSource. */
#define CLIENT_BATCH 256
/* The request buffer is kept between requests up to this size. */
#define CLIENT_SCRATCH_KEEP (1024 * 1024)

typedef struct Pending Pending;

struct OlClient {
  char *rpc_endpoint;    /* (owned) */
  char *stream_endpoint; /* (owned) */
  OlClientKeys *keys;    /* (owned) (nullable) CURVE keys of both sockets */
  void *dealer;          /* owned by the creating thread */
  int timeout_ms;
  guint64 next_id;
  guint64 stale;
  GMainContext *context; /* (owned) where async callbacks run */
  GSource *source;       /* (owned) watches the DEALER socket and deadlines */
  GHashTable *pending;   /* (owned) id -> Pending *, asynchronous calls */
  GQueue deadlines;      /* Pending * sorted by deadline (links embedded) */
  GQueue outbox;         /* Pending * whose request waits for the socket */
  GString *scratch;      /* (owned) the request being encoded */
  gpointer streams;      /* (owned) (nullable) the stream side's state, made on
                            first stream use (router/client_private.h) */
  GDestroyNotify streams_free;
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

/* Starts the text of a request in c->scratch: the envelope members
 * {"v":1,"id":ID,"op":"OP"[,"ts":true][,"frames":true] are written as text
 * (no JSON values built on every call); the body's members follow, each
 * after a comma, and a closing brace. op is a plain identifier of this
 * library: no escaping. */
static GString *
s_begin (OlClient *c, guint64 id, const char *op, OlCallFlags flags)
{
  GString *out = c->scratch;

  /* A big request made the buffer grow: do not keep that much. */
  if (out->allocated_len > CLIENT_SCRATCH_KEEP)
    {
      g_string_free (out, TRUE);
      out = c->scratch = g_string_sized_new (256);
    }
  g_string_truncate (out, 0);
  ol__wire_append_request_head (out, id, op, (flags & OL_CALL_TIMESTAMP) != 0,
                                (flags & OL_CALL_FRAMES) != 0);
  return out;
}

/* Ends a request with the members of body, an object. */
static void
s_end_with_body (GString *out, json_t *body)
{
  gsize brace = out->len + 1;

  if (json_object_size (body) == 0)
    {
      g_string_append_c (out, '}');
      return;
    }
  g_string_append_c (out, ',');
  ol__wire_append_json (out, body);
  /* The body's own opening brace goes; its closing one ends the request. */
  g_string_erase (out, (gssize) brace, 1);
}

/* Ends a call request: the body members of "call" or "call_named" written
 * directly. name_member is "method" or "name". Returns FALSE if a name is
 * not valid UTF-8. */
static gboolean
s_end_with_call (GString *out, const char *instance, const char *name_member,
                 const char *name, json_t *args, json_t *kwargs, GError **error)
{
  if (instance != NULL && !ol__wire_append_member_string (out, "object", instance))
    {
      g_set_error (error, OL_ERROR, OL_ERROR_INVALID_ARGS, "the object name is not valid UTF-8");
      return FALSE;
    }
  if (!ol__wire_append_member_string (out, name_member, name))
    {
      g_set_error (error, OL_ERROR, OL_ERROR_INVALID_ARGS, "the %s name is not valid UTF-8",
                   name_member);
      return FALSE;
    }
  if (args != NULL)
    ol__wire_append_member_json (out, "args", args);
  if (kwargs != NULL)
    ol__wire_append_member_json (out, "kwargs", kwargs);
  g_string_append_c (out, '}');
  return TRUE;
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
  const char *text = zmq_msg_data (&frames[0]);
  size_t len = zmq_msg_size (&frames[0]);
  json_t *result = NULL;
  gint64 ts = 0;

  if (!ol__reply_decode_fast (text, len, id, &result, &ts))
    {
      if (!ol__reply_decode (text, len, id, &result, &ts, error))
        return FALSE;
      if (result == NULL)
        return TRUE;
    }
  *reply = g_new0 (OlReply, 1);
  (*reply)->result = result;
  (*reply)->server_time = ts;
  (*reply)->frames = g_ptr_array_new_full (n - 1, (GDestroyNotify) g_bytes_unref);
  for (int i = 1; i < n; i++)
    g_ptr_array_add ((*reply)->frames, ol__wire_frame_to_bytes (&frames[i]));
  return TRUE;
}

/* ------------------------------------------------------------------------ */
/* Asynchronous calls */

static void
s_pending_free (Pending *p)
{
  g_free (p->text);
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
      g_clear_pointer (&p->text, g_free);
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

/* Starts the asynchronous request whose text is in c->scratch; task is
 * completed with its reply. */
static void
s_start (OlClient *c, guint64 id, GPtrArray *frames, int timeout_ms,
         GCancellable *cancellable, GTask *task)
{
  Pending *p = g_new0 (Pending, 1);
  GString *text = c->scratch;

  if (timeout_ms < 0)
    timeout_ms = c->timeout_ms;
  p->client = c;
  p->id = id;
  p->timeout_ms = timeout_ms;
  p->deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;
  p->task = task;
  g_hash_table_insert (c->pending, &p->id, p);
  s_insert_deadline (c, p);
  if (cancellable != NULL)
    {
      p->cancel_source = g_cancellable_source_new (cancellable);
      g_source_set_callback (p->cancel_source, G_SOURCE_FUNC (s_cancelled), p, NULL);
      g_source_attach (p->cancel_source, c->context);
    }
  if (c->outbox.head != NULL || s_send (c, text->str, text->len, frames) != 0)
    {
      p->text = g_strndup (text->str, text->len);
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

static gboolean
s_check_frames (GPtrArray *frames, GError **error)
{
  if (frames == NULL || frames->len <= OL_WIRE_MAX_ATTACHMENTS)
    return TRUE;
  g_set_error (error, OL_ERROR, OL_ERROR_INVALID_ARGS,
               "a request carries at most %d binary frames, not %u",
               OL_WIRE_MAX_ATTACHMENTS, frames->len);
  return FALSE;
}

void
ol_client_request_async (OlClient *c, const char *op, json_t *body,
                         GPtrArray *frames, OlCallFlags flags, int timeout_ms,
                         GCancellable *cancellable, GAsyncReadyCallback callback,
                         gpointer user_data)
{
  GTask *task;
  GError *error = NULL;
  guint64 id;

  g_return_if_fail (c != NULL && s_op_is_valid (op) && json_is_object (body));
  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, ol_client_request_async);
  if (!s_check_frames (frames, &error))
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      json_decref (body);
      return;
    }
  id = ++c->next_id;
  s_end_with_body (s_begin (c, id, op, flags), body);
  json_decref (body);
  s_start (c, id, frames, timeout_ms, cancellable, task);
}

OlReply *
ol_client_request_finish (OlClient *c, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (c != NULL, NULL);
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
ol_client_call_async (OlClient *c, const char *instance, const char *method,
                      json_t *args, json_t *kwargs, GCancellable *cancellable,
                      GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task;
  GError *error = NULL;
  guint64 id;

  g_return_if_fail (c != NULL && method != NULL);
  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, ol_client_request_async);
  id = ++c->next_id;
  if (!s_end_with_call (s_begin (c, id, "call", OL_CALL_NONE), instance, "method", method,
                        args, kwargs, &error))
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  s_start (c, id, NULL, -1, cancellable, task);
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

/* Sends the request whose text is in c->scratch and waits for its reply. */
static OlReply *
s_request (OlClient *c, guint64 id, GPtrArray *frames, int timeout_ms, GError **error)
{
  gint64 deadline;
  gboolean sent = FALSE;

  if (timeout_ms < 0)
    timeout_ms = c->timeout_ms;
  deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  /* Send, waiting for a connection at most until the deadline. */
  while (!sent)
    {
      zmq_pollitem_t item = { c->dealer, 0, ZMQ_POLLOUT, 0 };
      int left;

      if (s_send (c, c->scratch->str, c->scratch->len, frames) == 0)
        {
          sent = TRUE;
          break;
        }
      if (errno != EAGAIN)
        {
          g_set_error (error, OL_ERROR, OL_ERROR_SOCKET, "cannot send request: %s",
                       zmq_strerror (errno));
          return NULL;
        }
      if ((left = s_remaining_ms (deadline)) == 0)
        break;
      if (zmq_poll (&item, 1, left) < 0 && errno != EINTR)
        break;
    }
  if (!sent)
    {
      g_set_error (error, OL_ERROR, OL_ERROR_TIMEOUT,
                   "no connection to the server within %d ms (server %s)",
                   timeout_ms, c->rpc_endpoint);
      return NULL;
    }

  /* Replies of asynchronous calls that come first are delivered to their
   * callbacks, which may start other requests: c->scratch is free again. */
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

OlReply *
ol_client_request (OlClient *c, const char *op, json_t *body, GPtrArray *frames,
                   OlCallFlags flags, int timeout_ms, GError **error)
{
  guint64 id;

  g_return_val_if_fail (c != NULL && s_op_is_valid (op) && json_is_object (body), NULL);
  if (!s_check_frames (frames, error))
    {
      json_decref (body);
      return NULL;
    }
  id = ++c->next_id;
  s_end_with_body (s_begin (c, id, op, flags), body);
  json_decref (body);
  return s_request (c, id, frames, timeout_ms, error);
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

/* A blocking "call" or "call_named". */
static json_t *
s_call (OlClient *c, const char *op, const char *instance, const char *name_member,
        const char *name, json_t *args, json_t *kwargs, GError **error)
{
  guint64 id = ++c->next_id;

  if (!s_end_with_call (s_begin (c, id, op, OL_CALL_NONE), instance, name_member, name, args,
                        kwargs, error))
    return NULL;
  return s_result (s_request (c, id, NULL, -1, error));
}

json_t *
ol_client_call (OlClient *c, const char *instance, const char *method,
                json_t *args, json_t *kwargs, GError **error)
{
  g_return_val_if_fail (c != NULL && method != NULL, NULL);
  return s_call (c, "call", instance, "method", method, args, kwargs, error);
}

json_t *
ol_client_call_named (OlClient *c, const char *name, json_t *args,
                      json_t *kwargs, GError **error)
{
  g_return_val_if_fail (c != NULL && name != NULL, NULL);
  return s_call (c, "call_named", NULL, "name", name, args, kwargs, error);
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

static OlClient *s_client_new (const char *rpc_endpoint, const char *stream_endpoint,
                               OlClientKeys *keys, GError **error);

OlClient *
ol_client_new (const char *rpc_endpoint, const char *stream_endpoint, GError **error)
{
  return s_client_new (rpc_endpoint, stream_endpoint, NULL, error);
}

OlClient *
ol_client_new_with_keys (const char *rpc_endpoint, const char *stream_endpoint,
                         const char *secret_key_file, const char *server_key_file,
                         GError **error)
{
  OlClientKeys *keys;

  g_return_val_if_fail (secret_key_file != NULL && server_key_file != NULL, NULL);
  if ((keys = ol__client_keys_load (secret_key_file, server_key_file, error)) == NULL)
    return NULL;
  return s_client_new (rpc_endpoint, stream_endpoint, keys, error);
}

const OlClientKeys *
ol__client_keys (OlClient *c)
{
  return c->keys;
}

/* Takes keys (nullable). */
static OlClient *
s_client_new (const char *rpc_endpoint, const char *stream_endpoint, OlClientKeys *keys,
              GError **error)
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
  ol__client_keys_apply (keys, dealer);
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
      g_free (keys);
      return NULL;
    }

  c = g_new0 (OlClient, 1);
  c->keys = keys;
  c->rpc_endpoint = g_strdup (rpc_endpoint);
  c->stream_endpoint = g_strdup (stream_endpoint);
  c->dealer = dealer;
  c->timeout_ms = OL_CLIENT_DEFAULT_TIMEOUT_MS;
  c->scratch = g_string_sized_new (256);
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
  if (c->streams != NULL)
    c->streams_free (g_steal_pointer (&c->streams));
  g_source_destroy (c->source);
  g_source_unref (c->source);
  g_main_context_unref (c->context);
  g_hash_table_unref (c->pending);
  zmq_close (c->dealer);
  g_free (c->rpc_endpoint);
  g_free (c->stream_endpoint);
  if (c->keys != NULL)
    memset (c->keys, 0, sizeof *c->keys);
  g_free (c->keys);
  g_string_free (c->scratch, TRUE);
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

GMainContext *
ol__client_context (OlClient *c)
{
  return c->context;
}

gpointer
ol__client_get_streams (OlClient *c)
{
  return c->streams;
}

void
ol__client_set_streams (OlClient *c, gpointer streams, GDestroyNotify free_func)
{
  c->streams = streams;
  c->streams_free = free_func;
}
