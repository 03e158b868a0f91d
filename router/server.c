/* OlServer: lifecycle, the RPC thread and registration. */
#include "router/server_private.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "oneliner/error.h"
#include "oneliner/version.h"

/* The RPC thread wakes at least this often to check for a stop request,
 * even if the eventfd write were lost. */
#define RPC_POLL_MS 250
/* Messages handled per poll wake-up before polling the stop signal again. */
#define RPC_BATCH 512
/* Identity + delimiter + JSON + attachments. */
#define RPC_MAX_FRAMES (3 + OL_WIRE_MAX_ATTACHMENTS)

OlServer *
ol_server_new (const char *rpc_endpoint, const char *stream_endpoint)
{
  OlServer *s = g_new0 (OlServer, 1);
  g_autoptr (GError) error = NULL;

  s->rpc_bind = g_strdup (rpc_endpoint ? rpc_endpoint : OL_DEFAULT_RPC_BIND);
  s->stream_bind = g_strdup (stream_endpoint ? stream_endpoint : OL_DEFAULT_STREAM_BIND);
  s->registry = ol__registry_new ();
  s->mounts = g_ptr_array_new_with_free_func ((GDestroyNotify) ol__mount_free);
  s->streamer = ol__streamer_new (s->registry, s->mounts);
  ol__mutex_init (&s->state_lock);
  ol__startup_init (&s->startup);
  if (!ol__wakeup_init (&s->wake, &error))
    g_error ("%s", error->message);
  return s;
}

void
ol_server_free (OlServer **server)
{
  OlServer *s;

  g_return_if_fail (server != NULL);
  if ((s = *server) == NULL)
    return;
  *server = NULL;
  ol_server_stop (s);
  /* Streams call into the registry's callables: they go first. */
  ol__streamer_free (s->streamer);
  g_ptr_array_unref (s->mounts);
  ol__registry_free (s->registry);
  ol__wakeup_clear (&s->wake);
  ol__startup_clear (&s->startup);
  ol__mutex_clear (&s->state_lock);
  g_free (s->rpc_bind);
  g_free (s->stream_bind);
  g_free (s->rpc_endpoint);
  g_free (s->stream_endpoint);
  g_free (s);
}

/* Sends the reply to the peer named by the identity frame: text is sent
 * without a copy and freed if owned, else copied. The RPC thread never
 * blocks here: a client that is gone or does not read its replies (its
 * queue is full) loses that reply, which is counted. */
static void
s_send_reply (OlServer *s, void *router, const void *identity, size_t identity_len,
              gboolean delimited, char *text, size_t len, gboolean owned,
              GPtrArray *frames_out)
{
  gboolean more_frames = frames_out != NULL && frames_out->len > 0;
  int flags = more_frames ? ZMQ_SNDMORE : 0;

  if (zmq_send (router, identity, identity_len, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0)
    {
      if (owned)
        free (text);
      atomic_fetch_add (&s->replies_undeliverable, 1);
      g_debug ("reply not delivered: %s", zmq_strerror (errno));
      return;
    }
  if (delimited)
    zmq_send (router, "", 0, ZMQ_SNDMORE);
  if (owned)
    ol__wire_send_owned (router, text, len, flags);
  else
    zmq_send (router, text, len, flags);
  for (guint i = 0; more_frames && i < frames_out->len; i++)
    ol__wire_send_bytes (router, frames_out->pdata[i],
                         i + 1 < frames_out->len ? ZMQ_SNDMORE : 0);
}

static void
s_error_reply (GString *out, json_t *request, OlError code, const char *message)
{
  g_autoptr (GError) error = g_error_new_literal (OL_ERROR, code, message);
  json_t *id = json_is_object (request) ? json_object_get (request, "id") : NULL;

  ol__wire_append_reply (out, id, NULL, error, -1);
}

/* Sends the reply of a forwarded call (relay/mount.c). */
static void
s_mount_reply (void *router, GBytes *identity, gboolean delimited, char *text, size_t len,
               GPtrArray *frames, gpointer data)
{
  gsize id_len;
  gconstpointer id = g_bytes_get_data (identity, &id_len);

  s_send_reply (data, router, id, id_len, delimited, text, len, TRUE, frames);
}

/* The name a request routes by: the object of a call (or its free
 * function), the name of a named call or of a stream. */
static const char *
s_route_member (json_t *request, const char **member)
{
  const char *op = json_string_value (json_object_get (request, "op"));
  json_t *object;

  if (op == NULL)
    return NULL;
  if (strcmp (op, "call") == 0)
    {
      object = json_object_get (request, "object");
      *member = json_is_string (object) ? "object" : "method";
    }
  else if (strcmp (op, "call_named") == 0 || strcmp (op, "stream_enable") == 0
           || strcmp (op, "stream_remove") == 0)
    *member = "name";
  else
    return NULL;
  return json_string_value (json_object_get (request, *member));
}

/* Forwards request to the mount its name routes to, if any. Returns TRUE
 * when it is taken care of (forwarded, or answered with an error). */
static gboolean
s_route (OlServer *s, void *router, json_t *request, zmq_msg_t *identity, gboolean delimited,
         zmq_msg_t *attachments, int n_attachments)
{
  const char *member = NULL;
  const char *name = s_route_member (request, &member);
  const char *rest = NULL;
  OlMount *mount = ol__mount_match (s->mounts, name, &rest);
  g_autoptr (GBytes) who = NULL;
  g_autoptr (GPtrArray) frames = NULL;
  g_autoptr (GError) error = NULL;

  if (mount == NULL)
    return FALSE;
  json_object_set_new (request, member, json_string (rest));
  who = g_bytes_new (zmq_msg_data (identity), zmq_msg_size (identity));
  frames = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  for (int i = 0; i < n_attachments; i++)
    g_ptr_array_add (frames, ol__wire_frame_to_bytes (&attachments[i]));
  if (!ol__mount_forward (mount, request, who, delimited, frames, &error))
    {
      size_t len;
      char *text = ol__wire_encode_reply (json_object_get (request, "id"), NULL, error, -1, &len);
      s_send_reply (s, router, zmq_msg_data (identity), zmq_msg_size (identity), delimited,
                    text, len, TRUE, NULL);
    }
  return TRUE;
}

/* The reply buffer of the RPC thread is kept between requests, unless a
 * big reply made it grow beyond this. */
#define RPC_REPLY_BUFFER_KEEP (1024 * 1024)

/* Handles one request; out is the RPC thread's buffer for the reply text. */
static void
s_handle (OlServer *s, void *router, zmq_msg_t *frames, int n, gboolean truncated,
          GString *out)
{
  gboolean delimited;
  int body;
  json_error_t jerr;
  g_autoptr (json_t) request = NULL;
  g_autoptr (GPtrArray) frames_in = NULL;
  g_autoptr (GPtrArray) frames_out = NULL;

  /* frames[0] is the peer identity ROUTER adds; a REQ peer adds an empty
   * delimiter before the body, which the reply repeats. ROUTER always
   * delivers the identity and at least one frame. */
  delimited = n >= 3 && zmq_msg_size (&frames[1]) == 0;
  body = delimited ? 2 : 1;
  g_assert (n > body);
  g_string_truncate (out, 0);
  /* Plain calls (no attachments; with mounts, names may route upstream). */
  if (n == body + 1 && !truncated && s->mounts->len == 0
      && ol__server_dispatch_call (s, zmq_msg_data (&frames[body]), zmq_msg_size (&frames[body]),
                                   out))
    {
      s_send_reply (s, router, zmq_msg_data (&frames[0]), zmq_msg_size (&frames[0]), delimited,
                    out->str, out->len, FALSE, NULL);
      return;
    }
  request = json_loadb (zmq_msg_data (&frames[body]), zmq_msg_size (&frames[body]),
                        JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
  if (request == NULL)
    {
      g_autofree char *msg = g_strdup_printf (
        "request is not valid JSON: %s (line %d, column %d)", jerr.text, jerr.line,
        jerr.column);
      s_error_reply (out, NULL, OL_ERROR_PROTOCOL, msg);
    }
  else if (!json_is_object (request))
    s_error_reply (out, NULL, OL_ERROR_PROTOCOL, "request is not a JSON object");
  else if (truncated || n - body - 1 > OL_WIRE_MAX_ATTACHMENTS)
    {
      g_autofree char *msg = g_strdup_printf (
        "request has more than %d binary frames", OL_WIRE_MAX_ATTACHMENTS);
      s_error_reply (out, request, OL_ERROR_PROTOCOL, msg);
    }
  if (out->len == 0 && s->mounts->len > 0
      && s_route (s, router, request, &frames[0], delimited, &frames[body + 1], n - body - 1))
    return;
  if (out->len == 0)
    {
      if (n > body + 1)
        {
          frames_in = g_ptr_array_new_full (n - body - 1, (GDestroyNotify) g_bytes_unref);
          for (int i = body + 1; i < n; i++)
            g_ptr_array_add (frames_in, ol__wire_frame_to_bytes (&frames[i]));
        }
      ol__server_dispatch (s, request, frames_in, &frames_out, out);
    }
  else
    atomic_fetch_add (&s->calls_served, 1);
  s_send_reply (s, router, zmq_msg_data (&frames[0]), zmq_msg_size (&frames[0]), delimited,
                out->str, out->len, FALSE, frames_out);
}

static void *
s_bind_router (OlServer *s, GError **error)
{
  void *router = zmq_socket (ol__zmq_context (), ZMQ_ROUTER);
  int mandatory = 1;
  int hwm = 100000;
  char endpoint[1024];
  size_t len = sizeof endpoint;

  ol__socket_set_common (router);
  zmq_setsockopt (router, ZMQ_ROUTER_MANDATORY, &mandatory, sizeof mandatory);
  zmq_setsockopt (router, ZMQ_SNDHWM, &hwm, sizeof hwm);
  zmq_setsockopt (router, ZMQ_RCVHWM, &hwm, sizeof hwm);
  if (zmq_bind (router, s->rpc_bind) != 0)
    {
      g_set_error (error, OL_ERROR, OL_ERROR_SOCKET, "cannot bind RPC endpoint %s: %s",
                   s->rpc_bind, zmq_strerror (errno));
      zmq_close (router);
      return NULL;
    }
  zmq_getsockopt (router, ZMQ_LAST_ENDPOINT, endpoint, &len);
  s->rpc_endpoint = g_strdup (endpoint);
  return router;
}

static gpointer
s_rpc_thread (gpointer data)
{
  OlServer *s = data;
  GError *error = NULL;
  void *router = s_bind_router (s, &error);
  zmq_msg_t frames[RPC_MAX_FRAMES];
  g_autoptr (GString) out = g_string_sized_new (256);

  guint n_items = 2 + s->mounts->len * OL_MOUNT_POLL_ITEMS;
  g_autofree zmq_pollitem_t *items = g_new0 (zmq_pollitem_t, n_items);

  for (guint i = 0; router != NULL && i < s->mounts->len; i++)
    if (!ol__mount_open (s->mounts->pdata[i], &error))
      {
        for (guint j = 0; j < i; j++)
          ol__mount_close (s->mounts->pdata[j]);
        g_clear_pointer (&router, zmq_close);
      }
  ol__startup_report (&s->startup, error);
  if (router == NULL)
    return NULL;

  while (!g_atomic_int_get (&s->stop))
    {
      items[0] = (zmq_pollitem_t) { router, 0, ZMQ_POLLIN, 0 };
      items[1] = ol__wakeup_poll_item (&s->wake);
      for (guint i = 0; i < s->mounts->len; i++)
        ol__mount_poll_items (s->mounts->pdata[i], &items[2 + i * OL_MOUNT_POLL_ITEMS]);

      if (zmq_poll (items, (int) n_items, RPC_POLL_MS) < 0)
        {
          if (errno == EINTR)
            continue;
          g_warning ("RPC thread: zmq_poll failed: %s", zmq_strerror (errno));
          break;
        }
      for (int k = 0; k < RPC_BATCH && !g_atomic_int_get (&s->stop); k++)
        {
          gboolean truncated;
          int n = ol__wire_recv_multipart (router, frames, RPC_MAX_FRAMES, &truncated);

          if (n < 0)
            break;
          s_handle (s, router, frames, n, truncated, out);
          if (out->allocated_len > RPC_REPLY_BUFFER_KEEP)
            {
              g_string_free (out, TRUE);
              out = g_string_sized_new (256);
            }
          ol__wire_close_frames (frames, n);
        }
      for (guint i = 0; i < s->mounts->len; i++)
        ol__mount_service (s->mounts->pdata[i], router, s_mount_reply, s);
    }
  for (guint i = 0; i < s->mounts->len; i++)
    ol__mount_close (s->mounts->pdata[i]);
  zmq_close (router);
  return NULL;
}

gboolean
ol_server_start (OlServer *s, GError **error)
{
  gboolean ok;

  g_return_val_if_fail (s != NULL, FALSE);
  ol__mutex_lock (&s->state_lock);
  if (s->started)
    {
      ol__mutex_unlock (&s->state_lock);
      g_set_error (error, OL_ERROR, OL_ERROR_FAILED, "server already started");
      return FALSE;
    }
  s->started = TRUE;
  s->thread = g_thread_new ("ol-rpc", s_rpc_thread, s);
  ol__mutex_unlock (&s->state_lock);
  ok = ol__startup_wait (&s->startup, "the RPC thread", error);
  if (ok && (ok = ol__streamer_start (s->streamer, s->stream_bind, error)))
    s->stream_endpoint = g_strdup (ol__streamer_endpoint (s->streamer));
  if (!ok)
    ol_server_stop (s);
  return ok;
}

void
ol_server_stop (OlServer *s)
{
  GThread *thread;

  g_return_if_fail (s != NULL);
  g_atomic_int_set (&s->stop, 1);
  ol__wakeup_signal (&s->wake, "the RPC thread");
  ol__mutex_lock (&s->state_lock);
  thread = g_steal_pointer (&s->thread);
  ol__mutex_unlock (&s->state_lock);
  if (thread != NULL)
    g_thread_join (thread);
  ol__streamer_stop (s->streamer);
}

const char *
ol_server_get_rpc_endpoint (OlServer *s)
{
  g_return_val_if_fail (s != NULL, NULL);
  return s->rpc_endpoint ? s->rpc_endpoint : s->rpc_bind;
}

const char *
ol_server_get_stream_endpoint (OlServer *s)
{
  g_return_val_if_fail (s != NULL, NULL);
  return s->stream_endpoint ? s->stream_endpoint : s->stream_bind;
}

guint64
ol_server_get_calls_served (OlServer *s)
{
  g_return_val_if_fail (s != NULL, 0);
  return atomic_load (&s->calls_served);
}

gboolean
ol_server_add_instance (OlServer *s, const char *name, void *instance,
                        GDestroyNotify destroy, GError **error)
{
  g_return_val_if_fail (s != NULL, FALSE);
  return ol__registry_add_instance (s->registry, name, instance, destroy, error);
}

gboolean
ol_server_add_method (OlServer *s, const char *instance, const char *method,
                      const char *signature, OlFunc fn, GError **error)
{
  g_return_val_if_fail (s != NULL && instance != NULL, FALSE);
  g_return_val_if_fail (signature != NULL && fn != NULL, FALSE);
  return ol__registry_add_callable (s->registry, instance, method, signature,
                                    fn, NULL, NULL, NULL, error);
}

gboolean
ol_server_add_method_handler (OlServer *s, const char *instance,
                              const char *method, OlHandler handler,
                              void *user_data, GDestroyNotify destroy,
                              GError **error)
{
  g_return_val_if_fail (s != NULL && instance != NULL && handler != NULL, FALSE);
  return ol__registry_add_callable (s->registry, instance, method, NULL, NULL,
                                    handler, user_data, destroy, error);
}

gboolean
ol_server_add_function (OlServer *s, const char *name, const char *signature,
                        OlFunc fn, GError **error)
{
  g_return_val_if_fail (s != NULL && signature != NULL && fn != NULL, FALSE);
  return ol__registry_add_callable (s->registry, NULL, name, signature, fn,
                                    NULL, NULL, NULL, error);
}

gboolean
ol_server_add_function_handler (OlServer *s, const char *name,
                                OlHandler handler, void *user_data,
                                GDestroyNotify destroy, GError **error)
{
  g_return_val_if_fail (s != NULL && handler != NULL, FALSE);
  return ol__registry_add_callable (s->registry, NULL, name, NULL, NULL,
                                    handler, user_data, destroy, error);
}

gboolean
ol_server_add_named_call (OlServer *s, const char *name, const char *instance,
                          const char *method, json_t *args, json_t *kwargs,
                          GError **error)
{
  g_return_val_if_fail (s != NULL && method != NULL, FALSE);
  return ol__registry_add_named_call (s->registry, name, instance, method,
                                      args, kwargs, error);
}

json_t *
ol_server_call (OlServer *s, const char *instance, const char *method,
                json_t *args, json_t *kwargs, GError **error)
{
  OlCallable *c;
  OlValue value;

  g_return_val_if_fail (s != NULL && method != NULL, NULL);
  if ((c = ol__registry_lookup (s->registry, instance, method, error)) == NULL)
    return NULL;
  if (!ol__callable_invoke (c, args, kwargs, NULL, &value, error))
    return NULL;
  return ol__value_to_result (&value, NULL);
}

gboolean
ol_server_mount (OlServer *s, const char *prefix, const char *rpc_endpoint,
                 const char *stream_endpoint, GError **error)
{
  gboolean started;

  g_return_val_if_fail (s != NULL && rpc_endpoint != NULL && stream_endpoint != NULL, FALSE);
  if (!ol__mount_prefix_is_valid (prefix))
    {
      g_set_error (error, OL_ERROR, OL_ERROR_INVALID_ARGS,
                   "invalid mount prefix \"%s\": a name of printable ASCII without "
                   "spaces that neither starts nor ends with '/'", prefix ? prefix : "(null)");
      return FALSE;
    }
  ol__mutex_lock (&s->state_lock);
  started = s->started;
  ol__mutex_unlock (&s->state_lock);
  if (started)
    {
      g_set_error (error, OL_ERROR, OL_ERROR_FAILED,
                   "mount \"%s\": mounts are added before ol_server_start()", prefix);
      return FALSE;
    }
  for (guint i = 0; i < s->mounts->len; i++)
    if (strcmp (ol__mount_prefix (s->mounts->pdata[i]), prefix) == 0)
      {
        g_set_error (error, OL_ERROR, OL_ERROR_EXISTS, "mount \"%s\" already exists", prefix);
        return FALSE;
      }
  g_ptr_array_add (s->mounts, ol__mount_new (prefix, rpc_endpoint, stream_endpoint));
  return TRUE;
}
