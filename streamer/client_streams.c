/* The client's public stream API (oneliner/stream.h): configuring streams,
 * taking their messages, their counters and watches. It checks the
 * arguments, makes the client's subscriber on first use and turns what the
 * subscriber answers into results and errors.
 *
 * Include direction: the top of the client's stream side. It uses the
 * OlClient core through router/client_private.h and the subscriber through
 * streamer/subscriber.h; neither includes anything of this file.
 *
 * Thread rules: the client's thread, as for every OlClient function
 * (ol_stream_message_error(): any thread).
 */
#include "streamer/client_streams.h"

#include "oneliner/error.h"
#include "oneliner/stream.h"
#include "core/names.h"
#include "router/client_private.h"
#include "router/wire.h"
#include "streamer/header.h"

/* The client checks stream names with the general rule for names. */
G_STATIC_ASSERT (OL_STREAM_NAME_MAX == OL_NAME_MAX);

/* What the client's stream slot holds. */
typedef struct {
  OlSubscriber *subscriber; /* (owned) (nullable) */
  GError *error;            /* (owned) (nullable) why it could not be created */
  gboolean started;         /* the subscriber was made (or failed) */
  gboolean no_shm;          /* ol_client_set_stream_shm (FALSE) */
} ClientStreams;

static void
s_client_streams_free (gpointer data)
{
  ClientStreams *cs = data;

  g_clear_pointer (&cs->subscriber, ol__subscriber_free);
  g_clear_error (&cs->error);
  g_free (cs);
}

/* The client's stream slot, made if needed. */
static ClientStreams *
s_client_streams (OlClient *client)
{
  ClientStreams *cs = ol__client_get_streams (client);

  if (cs == NULL)
    {
      cs = g_new0 (ClientStreams, 1);
      ol__client_set_streams (client, cs, s_client_streams_free);
    }
  return cs;
}

OlSubscriber *
ol__client_subscriber (OlClient *client, GError **error)
{
  ClientStreams *cs = s_client_streams (client);

  if (!cs->started)
    {
      cs->started = TRUE;
      cs->subscriber = ol__subscriber_new (ol_client_get_stream_endpoint (client),
                                           ol__client_keys (client), !cs->no_shm,
                                           ol__client_context (client), client,
                                           &cs->error);
    }
  if (cs->subscriber == NULL)
    g_propagate_error (error, g_error_copy (cs->error));
  return cs->subscriber;
}

gboolean
ol_client_set_stream_shm (OlClient *client, gboolean enabled)
{
  ClientStreams *cs;

  g_return_val_if_fail (client != NULL, FALSE);
  cs = s_client_streams (client);
  if (cs->started)
    return FALSE;
  cs->no_shm = !enabled;
  return TRUE;
}

gboolean
ol_client_get_stream_shm (OlClient *client, guint64 *frames, guint64 *torn, guint64 *copied)
{
  OlSubscriber *s;

  g_return_val_if_fail (client != NULL, FALSE);
  if (frames != NULL)
    *frames = 0;
  if (torn != NULL)
    *torn = 0;
  if (copied != NULL)
    *copied = 0;
  s = ol__client_peek_subscriber (client);
  return s != NULL && ol__subscriber_shm (s, frames, torn, copied);
}

OlSubscriber *
ol__client_peek_subscriber (OlClient *client)
{
  ClientStreams *cs = ol__client_get_streams (client);

  return cs != NULL ? cs->subscriber : NULL;
}

static void
s_not_configured (const char *name, GError **error)
{
  g_set_error (error, OL_ERROR, OL_ERROR_NOT_FOUND, "stream \"%s\" is not configured",
               name);
}

/* The GError carried by an error message. */
static GError *
s_message_error (const OlStreamMessage *m)
{
  gsize size = 0;
  const char *data = m->payload ? g_bytes_get_data (m->payload, &size) : NULL;
  json_t *json = data ? json_loadb (data, size, 0, NULL) : NULL;
  const char *domain, *text;
  json_int_t code;
  GError *e;

  if (json_unpack (json, "{s:s, s:I, s:s}", "domain", &domain, "code", &code,
                   "message", &text) != 0)
    e = g_error_new (OL_ERROR, OL_ERROR_PROTOCOL,
                     "error message %" G_GUINT64_FORMAT " of stream \"%s\" does not "
                     "carry a JSON error object {\"domain\", \"code\", \"message\"}",
                     m->sequence, m->name);
  else
    e = ol__wire_error_from_json (json);
  json_decref (json);
  return e;
}

gboolean
ol_client_configure_stream (OlClient *client, const char *name, OlStorage storage,
                            guint depth, GError **error)
{
  OlSubscriber *s;

  g_return_val_if_fail (client != NULL && name != NULL, FALSE);
  if (!ol__client_check_stream_name (name, error))
    return FALSE;
  if (storage != OL_STORAGE_CACHE && storage != OL_STORAGE_QUEUE)
    {
      g_set_error (error, OL_ERROR, OL_ERROR_INVALID_ARGS,
                   "stream storage %d is neither cache nor queue", (int) storage);
      return FALSE;
    }
  if ((s = ol__client_subscriber (client, error)) == NULL)
    return FALSE;
  ol__subscriber_configure (s, name, storage, depth);
  return TRUE;
}

gboolean
ol_client_unconfigure_stream (OlClient *client, const char *name, GError **error)
{
  OlSubscriber *s;

  g_return_val_if_fail (client != NULL && name != NULL, FALSE);
  if ((s = ol__client_peek_subscriber (client)) == NULL
      || !ol__subscriber_unconfigure (s, name))
    {
      s_not_configured (name, error);
      return FALSE;
    }
  return TRUE;
}

OlStreamMessage *
ol_client_get_stream (OlClient *client, const char *name, int timeout_ms,
                      GError **error)
{
  OlSubscriber *s;
  OlStreamMessage *m;
  gboolean configured;

  g_return_val_if_fail (client != NULL && name != NULL, NULL);
  if ((s = ol__client_peek_subscriber (client)) == NULL)
    {
      s_not_configured (name, error);
      return NULL;
    }
  /* A negative bound means the client's timeout: never wait forever. */
  if (timeout_ms < 0)
    timeout_ms = ol_client_get_timeout (client);

  m = ol__subscriber_take (s, name, timeout_ms, &configured);
  if (!configured)
    {
      s_not_configured (name, error);
      return NULL;
    }
  if (m == NULL)
    {
      g_set_error (error, OL_ERROR, OL_ERROR_TIMEOUT,
                   "no message on stream \"%s\" within %d ms", name, timeout_ms);
      return NULL;
    }
  if (m->status & OL_STATUS_ERROR)
    {
      g_propagate_error (error, s_message_error (m));
      ol_stream_message_free (m);
      return NULL;
    }
  return m;
}

/* ol_client_peek_stream() and ol_client_pop_stream(). */
static GPtrArray *
s_take_range (OlClient *client, const char *name, int n, int timeout_ms, gboolean pop,
              GError **error)
{
  OlSubscriber *s;
  OlRangeInfo info = { 0 };
  GPtrArray *taken;

  g_return_val_if_fail (client != NULL && name != NULL, NULL);
  if (n == 0)
    {
      g_set_error (error, OL_ERROR, OL_ERROR_INVALID_ARGS,
                   "cannot %s 0 messages of stream \"%s\": n > 0 takes the n earliest, "
                   "n < 0 the -n latest", pop ? "pop" : "peek", name);
      return NULL;
    }
  if ((s = ol__client_peek_subscriber (client)) == NULL)
    {
      s_not_configured (name, error);
      return NULL;
    }
  /* A negative bound means the client's timeout: never wait forever. */
  if (timeout_ms < 0)
    timeout_ms = ol_client_get_timeout (client);

  taken = ol__subscriber_take_range (s, name, n, pop, timeout_ms, &info);
  if (taken != NULL)
    return taken;
  if (!info.configured)
    s_not_configured (name, error);
  else if (info.storage == OL_STORAGE_CACHE && n != 1 && n != -1)
    g_set_error (error, OL_ERROR, OL_ERROR_INVALID_ARGS,
                 "cannot %s %d messages of stream \"%s\": it is a cache, which holds "
                 "one message; n must be 1 or -1", pop ? "pop" : "peek", n, name);
  else if (n > (gint64) info.capacity || n < -(gint64) info.capacity)
    g_set_error (error, OL_ERROR, OL_ERROR_INVALID_ARGS,
                 "cannot %s %d messages of stream \"%s\": it is a queue of depth %u",
                 pop ? "pop" : "peek", n, name, info.capacity);
  else
    g_set_error (error, OL_ERROR, OL_ERROR_TIMEOUT,
                 "no message on stream \"%s\" within %d ms", name, timeout_ms);
  return NULL;
}

GPtrArray *
ol_client_peek_stream (OlClient *client, const char *name, int n, int timeout_ms,
                       GError **error)
{
  return s_take_range (client, name, n, timeout_ms, FALSE, error);
}

GPtrArray *
ol_client_pop_stream (OlClient *client, const char *name, int n, int timeout_ms,
                      GError **error)
{
  return s_take_range (client, name, n, timeout_ms, TRUE, error);
}

GError *
ol_stream_message_error (const OlStreamMessage *message)
{
  g_return_val_if_fail (message != NULL, NULL);
  return message->status & OL_STATUS_ERROR ? s_message_error (message) : NULL;
}

gboolean
ol_client_get_stream_counters (OlClient *client, const char *name,
                               OlStreamCounters *counters, GError **error)
{
  OlSubscriber *s;

  g_return_val_if_fail (client != NULL && name != NULL && counters != NULL, FALSE);
  if ((s = ol__client_peek_subscriber (client)) == NULL
      || !ol__subscriber_counters (s, name, counters))
    {
      s_not_configured (name, error);
      return FALSE;
    }
  return TRUE;
}

guint
ol_client_watch_stream (OlClient *client, const char *name, OlStreamWatchFunc func,
                        gpointer user_data, GDestroyNotify destroy)
{
  g_autoptr (GError) error = NULL;
  OlSubscriber *s;

  g_return_val_if_fail (client != NULL && func != NULL, 0);
  if ((name != NULL && !ol__client_check_stream_name (name, &error))
      || (s = ol__client_subscriber (client, &error)) == NULL)
    {
      /* user_data was handed over: release it as an unwatch would. */
      g_warning ("cannot watch stream %s%s%s: %s", name ? "\"" : "",
                 name ? name : "(every stream)", name ? "\"" : "", error->message);
      if (destroy != NULL)
        destroy (user_data);
      return 0;
    }
  return ol__subscriber_watch (s, name, func, user_data, destroy);
}

OlStreamConnection
ol_client_get_stream_connection (OlClient *client, gint64 *since_us)
{
  OlSubscriber *s;

  g_return_val_if_fail (client != NULL, OL_STREAM_DISCONNECTED);
  if ((s = ol__client_peek_subscriber (client)) == NULL)
    {
      if (since_us != NULL)
        *since_us = 0;
      return OL_STREAM_DISCONNECTED;
    }
  return ol__subscriber_connection (s, since_us);
}

guint
ol_client_watch_stream_connection (OlClient *client, OlStreamConnectionFunc func,
                                   gpointer user_data, GDestroyNotify destroy)
{
  g_autoptr (GError) error = NULL;
  OlSubscriber *s;

  g_return_val_if_fail (client != NULL && func != NULL, 0);
  if ((s = ol__client_subscriber (client, &error)) == NULL)
    {
      /* user_data was handed over: release it as an unwatch would. */
      g_warning ("cannot watch the stream connection: %s", error->message);
      if (destroy != NULL)
        destroy (user_data);
      return 0;
    }
  return ol__subscriber_watch_connection (s, func, user_data, destroy);
}

void
ol_client_unwatch_stream (OlClient *client, guint id)
{
  OlSubscriber *s;

  g_return_if_fail (client != NULL && id > 0);
  if ((s = ol__client_peek_subscriber (client)) == NULL)
    return;
  if (!ol__subscriber_unwatch (s, id))
    g_debug ("no stream watch with id %u", id);
}
