/* OlServer: lifecycle, the RPC thread and its call workers, registration. */
#include "router/server_private.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "oneliner/error.h"
#include "oneliner/version.h"
#include "core/frames.h"
#include "core/socket.h"

/* The RPC thread wakes at least this often to check for a stop request,
 * even if the wake-up were lost. */
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
  s->streamer = ol__streamer_new (s->registry);
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
  if (s->plug != NULL)
    s->plug->free (s->plug_data);
  ol__registry_free (s->registry);
  /* The threads that use them are joined. */
  ol__zap_domain_free (s->zap);
  ol__auth_free (s->auth);
  ol__wakeup_clear (&s->wake);
  ol__startup_clear (&s->startup);
  ol__mutex_clear (&s->state_lock);
  g_free (s->rpc_bind);
  g_free (s->stream_bind);
  g_free (s->rpc_endpoint);
  g_free (s->stream_endpoint);
  g_free (s);
}

/* The reply buffer of the RPC thread is kept between requests, unless a
 * big reply made it grow beyond this. */
#define RPC_REPLY_BUFFER_KEEP (1024 * 1024)

static void *
s_bind_router (OlServer *s, GError **error)
{
  void *router = zmq_socket (ol__zmq_context (), ZMQ_ROUTER);
  int mandatory = 1;
  int hwm = 100000;
  char endpoint[1024];
  size_t len = sizeof endpoint;

  ol__socket_set_common (router);
  ol__zap_domain_apply (s->zap, router);
  /* The request limit bounds the work one request can cost the RPC thread
   * before it is answered: libzmq drops a larger frame (and its sender's
   * connection) before it is read, and decoding, checking and rendering an
   * error of an admitted request are linear in its size (error texts render
   * a bounded prefix of any value). */
  ol__socket_set_request_limit (router);
  zmq_setsockopt (router, ZMQ_ROUTER_MANDATORY, &mandatory, sizeof mandatory);
  zmq_setsockopt (router, ZMQ_SNDHWM, &hwm, sizeof hwm);
  zmq_setsockopt (router, ZMQ_RCVHWM, &hwm, sizeof hwm);
  if (!ol__socket_check_bind (s->rpc_bind, "RPC endpoint", error))
    {
      zmq_close (router);
      return NULL;
    }
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
  g_autoptr (GArray) items = g_array_new (FALSE, TRUE, sizeof (zmq_pollitem_t));
  guint n_workers = 0;

  if (router != NULL && !ol__workers_bound_from_env (&n_workers, &error))
    g_clear_pointer (&router, zmq_close);
  if (router != NULL && s->plug != NULL && !s->plug->open (s->plug_data, &error))
    {
      s->plug->close (s->plug_data);
      g_clear_pointer (&router, zmq_close);
    }
  if (router != NULL)
    s->workers = ol__workers_new (n_workers, ol__server_run_job, s, &s->wake);
  ol__startup_report (&s->startup, error);
  if (router == NULL)
    return NULL;

  while (!g_atomic_int_get (&s->stop))
    {
      zmq_pollitem_t *it;

      g_array_set_size (items, 2);
      it = (zmq_pollitem_t *) items->data;
      it[0] = (zmq_pollitem_t) { router, 0, ZMQ_POLLIN, 0 };
      it[1] = ol__wakeup_poll_item (&s->wake);
      if (s->plug != NULL)
        s->plug->poll_items (s->plug_data, items);
      it = (zmq_pollitem_t *) items->data;

      if (zmq_poll (it, (int) items->len, RPC_POLL_MS) < 0)
        {
          if (errno == EINTR)
            continue;
          g_warning ("RPC thread: zmq_poll failed: %s", zmq_strerror (errno));
          break;
        }
      /* Replies of finished calls: drained before they are taken, so a
       * reply handed back after this take signals again. */
      if (it[1].revents & ZMQ_POLLIN)
        {
          ol__wakeup_drain (&s->wake);
          ol__gate_send_done (s, router);
        }
      for (int k = 0; k < RPC_BATCH && !g_atomic_int_get (&s->stop); k++)
        {
          gboolean truncated;
          int n = ol__wire_recv_multipart (router, frames, RPC_MAX_FRAMES, &truncated);

          if (n < 0)
            break;
          ol__gate_handle (s, router, frames, n, truncated, out);
          if (out->allocated_len > RPC_REPLY_BUFFER_KEEP)
            {
              g_string_free (out, TRUE);
              out = g_string_sized_new (256);
            }
          ol__wire_close_frames (frames, n);
        }
      if (s->plug != NULL)
        s->plug->service (s->plug_data, it + 2, s, router);
    }
  /* The calls in progress finish and are answered; those still queued
   * are dropped. */
  ol__workers_stop (s->workers);
  ol__gate_send_done (s, router);
  g_clear_pointer (&s->workers, ol__workers_free);
  if (s->plug != NULL)
    s->plug->close (s->plug_data);
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
  else if (s->auth == NULL)
    g_message ("serving without keys: whoever reaches %s or %s may call and subscribe",
               s->rpc_endpoint, s->stream_endpoint);
  else
    g_message ("serving with CURVE keys: %u authorized keys", ol__auth_count (s->auth));
  return ok;
}

static gboolean
s_zap_check (gpointer data, const char *public_key)
{
  return ol__auth_lookup (data, public_key, NULL) != OL_ROLE_NONE;
}

gboolean
ol_server_set_keys (OlServer *s, const char *secret_key_file, const char *authorized_keys_file,
                    GError **error)
{
  char secret[OL_KEY_Z85_LEN + 1];
  OlAuth *auth;

  g_return_val_if_fail (s != NULL && secret_key_file != NULL, FALSE);
  g_return_val_if_fail (authorized_keys_file != NULL, FALSE);
  if (ol__server_is_started (s) || s->auth != NULL)
    {
      g_set_error_literal (error, OL_ERROR, OL_ERROR_FAILED,
                           s->auth != NULL ? "the server's keys are set already"
                                           : "keys must be set before the server starts");
      return FALSE;
    }
  if (!ol__key_read_file (secret_key_file, secret, error))
    return FALSE;
  if ((auth = ol__auth_new (authorized_keys_file, error)) == NULL)
    return FALSE;
  s->zap = ol__zap_domain_new (secret, s_zap_check, auth, error);
  memset (secret, 0, sizeof secret);
  if (s->zap == NULL)
    {
      if (error != NULL && *error != NULL && (*error)->code == OL_ERROR_CONFIG)
        g_prefix_error (error, "key file %s: ", secret_key_file);
      ol__auth_free (auth);
      return FALSE;
    }
  s->auth = auth;
  ol__streamer_set_zap_domain (s->streamer, s->zap);
  return TRUE;
}

gboolean
ol_server_reload_keys (OlServer *s, GError **error)
{
  g_return_val_if_fail (s != NULL, FALSE);
  return s->auth == NULL || ol__auth_reload (s->auth, error);
}

gboolean
ol_server_has_keys (OlServer *s)
{
  g_return_val_if_fail (s != NULL, FALSE);
  return s->auth != NULL;
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

void
ol__server_set_plug (OlServer *s, const OlServerPlug *plug, gpointer data)
{
  g_return_if_fail (s->plug == NULL && !ol__server_is_started (s));
  s->plug = plug;
  s->plug_data = data;
}

gpointer
ol__server_get_plug (OlServer *s, const OlServerPlug *plug)
{
  return s->plug == plug ? s->plug_data : NULL;
}

gboolean
ol__server_is_started (OlServer *s)
{
  gboolean started;

  ol__mutex_lock (&s->state_lock);
  started = s->started;
  ol__mutex_unlock (&s->state_lock);
  return started;
}

OlStreamer *
ol__server_streamer (OlServer *s)
{
  return s->streamer;
}
