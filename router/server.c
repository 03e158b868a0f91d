/* OlServer: lifecycle, the RPC thread and registration. */
#include "router/server_private.h"

#include <errno.h>
#include <string.h>
#include <sys/eventfd.h>
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

  s->rpc_bind = g_strdup (rpc_endpoint ? rpc_endpoint : OL_DEFAULT_RPC_BIND);
  s->stream_bind = g_strdup (stream_endpoint ? stream_endpoint : OL_DEFAULT_STREAM_BIND);
  s->registry = ol__registry_new ();
  s->streamer = ol__streamer_new (s->registry);
  ol__mutex_init (&s->state_lock);
  ol__startup_init (&s->startup);
  s->wake_fd = eventfd (0, EFD_CLOEXEC | EFD_NONBLOCK);
  g_assert (s->wake_fd >= 0);
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
  ol__registry_free (s->registry);
  close (s->wake_fd);
  ol__startup_clear (&s->startup);
  ol__mutex_clear (&s->state_lock);
  g_free (s->rpc_bind);
  g_free (s->stream_bind);
  g_free (s->rpc_endpoint);
  g_free (s->stream_endpoint);
  g_free (s);
}

/* Sends the reply to the peer named by the identity frame. The RPC thread
 * never blocks here: a client that is gone or does not read its replies
 * (its queue is full) loses that reply, which is counted. */
static void
s_send_reply (OlServer *s, void *router, zmq_msg_t *identity, gboolean delimited,
              char *text, size_t len, GPtrArray *frames_out)
{
  gboolean more_frames = frames_out != NULL && frames_out->len > 0;

  if (zmq_msg_send (identity, router, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0)
    {
      free (text);
      atomic_fetch_add (&s->replies_undeliverable, 1);
      g_debug ("reply not delivered: %s", zmq_strerror (errno));
      return;
    }
  if (delimited)
    zmq_send (router, "", 0, ZMQ_SNDMORE);
  ol__wire_send_owned (router, text, len, more_frames ? ZMQ_SNDMORE : 0);
  for (guint i = 0; more_frames && i < frames_out->len; i++)
    ol__wire_send_bytes (router, frames_out->pdata[i],
                         i + 1 < frames_out->len ? ZMQ_SNDMORE : 0);
}

static char *
s_error_reply (json_t *request, OlError code, const char *message, size_t *len)
{
  g_autoptr (GError) error = g_error_new_literal (OL_ERROR, code, message);
  json_t *id = json_is_object (request) ? json_object_get (request, "id") : NULL;

  return ol__wire_encode_reply (id, NULL, error, -1, len);
}

static void
s_handle (OlServer *s, void *router, zmq_msg_t *frames, int n, gboolean truncated)
{
  gboolean delimited;
  int body;
  json_error_t jerr;
  g_autoptr (json_t) request = NULL;
  char *reply = NULL;
  size_t len = 0;
  g_autoptr (GPtrArray) frames_in = NULL;
  g_autoptr (GPtrArray) frames_out = NULL;

  /* frames[0] is the peer identity ROUTER adds; a REQ peer adds an empty
   * delimiter before the body, which the reply repeats. ROUTER always
   * delivers the identity and at least one frame. */
  delimited = n >= 3 && zmq_msg_size (&frames[1]) == 0;
  body = delimited ? 2 : 1;
  g_assert (n > body);
  request = json_loadb (zmq_msg_data (&frames[body]), zmq_msg_size (&frames[body]),
                        JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
  if (request == NULL)
    {
      g_autofree char *msg = g_strdup_printf (
        "request is not valid JSON: %s (line %d, column %d)", jerr.text, jerr.line,
        jerr.column);
      reply = s_error_reply (NULL, OL_ERROR_PROTOCOL, msg, &len);
    }
  else if (!json_is_object (request))
    reply = s_error_reply (NULL, OL_ERROR_PROTOCOL, "request is not a JSON object", &len);
  else if (truncated || n - body - 1 > OL_WIRE_MAX_ATTACHMENTS)
    {
      g_autofree char *msg = g_strdup_printf (
        "request has more than %d binary frames", OL_WIRE_MAX_ATTACHMENTS);
      reply = s_error_reply (request, OL_ERROR_PROTOCOL, msg, &len);
    }
  if (reply == NULL)
    {
      frames_in = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
      for (int i = body + 1; i < n; i++)
        g_ptr_array_add (frames_in, ol__wire_frame_to_bytes (&frames[i]));
      frames_out = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
      reply = ol__server_dispatch (s, request, frames_in, frames_out, &len);
    }
  else
    atomic_fetch_add (&s->calls_served, 1);
  s_send_reply (s, router, &frames[0], delimited, reply, len, frames_out);
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

  ol__startup_report (&s->startup, error);
  if (router == NULL)
    return NULL;

  while (!g_atomic_int_get (&s->stop))
    {
      zmq_pollitem_t items[2] = {
        { router, 0, ZMQ_POLLIN, 0 },
        { NULL, s->wake_fd, ZMQ_POLLIN, 0 },
      };

      if (zmq_poll (items, 2, RPC_POLL_MS) < 0)
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
          s_handle (s, router, frames, n, truncated);
          ol__wire_close_frames (frames, n);
        }
    }
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
  uint64_t one = 1;

  g_return_if_fail (s != NULL);
  g_atomic_int_set (&s->stop, 1);
  if (write (s->wake_fd, &one, sizeof one) < 0 && errno != EAGAIN)
    g_debug ("cannot wake the RPC thread: %s", g_strerror (errno));
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
