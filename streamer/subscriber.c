/* OlSubscriber's life cycle: it is made with its storage, watches and
 * receiver (streamer/subscriber_private.h lists the pieces), started, and
 * freed once the receiver has stopped.
 *
 * Thread rules: the client's thread makes and frees it; a dispatch of
 * watches running on that thread holds a reference, so that a callback may
 * free the client and with it the subscriber. The malformed count is read
 * from any thread.
 */
#include "streamer/subscriber_private.h"

OlSubscriber *
ol__subscriber_new (const char *endpoint, const OlClientKeys *keys, gboolean shm,
                    GMainContext *context,
                    OlClient *client,
                    GError **error)
{
  OlSubscriber *s;

  g_return_val_if_fail (endpoint != NULL && context != NULL, NULL);
  s = g_new0 (OlSubscriber, 1);
  g_ref_count_init (&s->ref);
  s->endpoint = g_strdup (endpoint);
  s->keys = keys != NULL ? g_memdup2 (keys, sizeof *keys) : NULL;
  s->shm_wanted = shm;
  s->context = g_main_context_ref (context);
  s->client = client;
  atomic_init (&s->malformed, 0);
  s->connection = OL_STREAM_DISCONNECTED;
  s->connection_since = g_get_monotonic_time ();
  ol__mutex_init (&s->lock);
  ol__cond_init (&s->cond);
  ol__storage_init (s);
  ol__receiver_init (s);
  s->watches = g_ptr_array_new ();
  s->next_watch_id = 1;
  if (!ol__receiver_start (s, error))
    {
      ol__subscriber_free (s);
      return NULL;
    }
  return s;
}

void
ol__subscriber_free (OlSubscriber *s)
{
  if (s == NULL)
    return;
  ol__receiver_stop (s);
  ol__watch_clear (s);
  ol__storage_clear (s);
  ol__receiver_clear (s);
  g_main_context_unref (s->context);
  g_free (s->endpoint);
  g_free (s->keys);
  /* A dispatch running further up this thread's stack frees s last. */
  ol__subscriber_unref (s);
}

void
ol__subscriber_unref (OlSubscriber *s)
{
  if (!g_ref_count_dec (&s->ref))
    return;
  ol__mutex_clear (&s->lock);
  ol__cond_clear (&s->cond);
  g_free (s);
}

OlStreamConnection
ol__subscriber_connection (OlSubscriber *s, gint64 *since_us)
{
  OlStreamConnection state;

  ol__mutex_lock (&s->lock);
  state = s->connection;
  if (since_us != NULL)
    *since_us = s->connection_since;
  ol__mutex_unlock (&s->lock);
  return state;
}

guint64
ol__subscriber_malformed (OlSubscriber *s)
{
  return atomic_load (&s->malformed);
}

gboolean
ol__subscriber_shm (OlSubscriber *s, guint64 *frames, guint64 *torn, guint64 *copied)
{
  if (copied != NULL)
    *copied = atomic_load (&s->shm_copied);
  if (frames != NULL)
    *frames = atomic_load (&s->shm_frames);
  if (torn != NULL)
    *torn = atomic_load (&s->shm_torn);
  return atomic_load (&s->shm_active);
}
