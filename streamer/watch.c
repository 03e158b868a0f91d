/* Watches of OlSubscriber: callbacks told that a stream received messages,
 * or that the connection state changed, called from one coalesced dispatch
 * (an idle source) on the client's GMainContext.
 *
 * Thread rules: watches are added, removed and called on the client's
 * thread only (OlSubscriber.watches needs no lock). The receiver thread
 * schedules the dispatch, under OlSubscriber.lock, which also guards
 * dispatch, watch_all, watch_connection, connection_pending and each
 * Stream's watched and notify_pending.
 */
#include "streamer/subscriber_private.h"

#include <string.h>

typedef struct {
  grefcount ref;             /* the watch list and running dispatches */
  guint id;
  char *name;                /* (owned) (nullable) NULL: every stream */
  OlStreamWatchFunc func;    /* (nullable) NULL for a connection watch */
  OlStreamConnectionFunc connection_func; /* (nullable) */
  gpointer user_data;
  GDestroyNotify destroy;
  gboolean removed;
} Watch;

static void
s_watch_unref (Watch *w)
{
  if (!g_ref_count_dec (&w->ref))
    return;
  if (w->destroy != NULL)
    w->destroy (w->user_data);
  g_free (w->name);
  g_free (w);
}

gboolean
ol__watch_names (OlSubscriber *s, const char *name)
{
  for (guint i = 0; i < s->watches->len; i++)
    {
      Watch *w = s->watches->pdata[i];
      if (w->func != NULL && w->name != NULL && strcmp (w->name, name) == 0)
        return TRUE;
    }
  return FALSE;
}

/* Runs on the client's thread: calls every connection watch once if the
 * connection state changed, then every stream watch once for each stream
 * that received messages since the last dispatch. A callback may unwatch
 * (any watch), unconfigure streams or free the client. */
static gboolean
s_dispatch (gpointer data)
{
  OlSubscriber *s = data;
  g_autoptr (GPtrArray) names = g_ptr_array_new (); /* interned names */
  g_autoptr (GPtrArray) watches = NULL;
  GHashTableIter iter;
  gpointer value;
  GSource *self;
  gboolean connection_changed;
  OlStreamConnection connection;
  gint64 since;

  ol__mutex_lock (&s->lock);
  /* From here on the receiver schedules a new dispatch for new messages. */
  self = g_steal_pointer (&s->dispatch);
  connection_changed = s->connection_pending;
  s->connection_pending = FALSE;
  connection = s->connection;
  since = s->connection_since;
  g_hash_table_iter_init (&iter, s->streams);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      Stream *st = value;
      if (st->notify_pending)
        {
          st->notify_pending = FALSE;
          g_ptr_array_add (names, (gpointer) st->name);
        }
    }
  ol__mutex_unlock (&s->lock);
  /* The context keeps its own reference while this runs. */
  if (self != NULL)
    g_source_unref (self);

  watches = g_ptr_array_new_full (s->watches->len, (GDestroyNotify) s_watch_unref);
  for (guint i = 0; i < s->watches->len; i++)
    {
      Watch *w = s->watches->pdata[i];
      g_ref_count_inc (&w->ref);
      g_ptr_array_add (watches, w);
    }
  g_ref_count_inc (&s->ref);
  for (guint i = 0; connection_changed && i < watches->len && !s->closed; i++)
    {
      Watch *w = watches->pdata[i];

      if (!w->removed && w->connection_func != NULL)
        w->connection_func (s->client, connection, since, w->user_data);
    }
  for (guint n = 0; n < names->len && !s->closed; n++)
    {
      const char *name = names->pdata[n];

      for (guint i = 0; i < watches->len && !s->closed; i++)
        {
          Watch *w = watches->pdata[i];

          if (w->removed || w->func == NULL
              || (w->name != NULL && strcmp (w->name, name) != 0))
            continue;
          if (!ol__storage_is_configured (s, name))
            break;
          w->func (s->client, name, w->user_data);
        }
    }
  /* Releasing the watches may call their destroy notifies. */
  g_clear_pointer (&watches, g_ptr_array_unref);
  ol__subscriber_unref (s);
  return G_SOURCE_REMOVE;
}

void
ol__watch_schedule_locked (OlSubscriber *s)
{
  GSource *source = g_idle_source_new ();

  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_name (source, "OlSubscriber watches");
  g_source_set_callback (source, s_dispatch, s, NULL);
  g_source_attach (source, s->context);
  s->dispatch = source;
}

void
ol__watch_clear (OlSubscriber *s)
{
  ol__mutex_lock (&s->lock);
  /* A pending dispatch must never run: it would find s freed. */
  if (s->dispatch != NULL)
    {
      g_source_destroy (s->dispatch);
      g_clear_pointer (&s->dispatch, g_source_unref);
    }
  ol__mutex_unlock (&s->lock);
  s->closed = TRUE;

  for (guint i = 0; i < s->watches->len; i++)
    {
      Watch *w = s->watches->pdata[i];
      w->removed = TRUE;
      s_watch_unref (w);
    }
  g_clear_pointer (&s->watches, g_ptr_array_unref);
}

/* ------------------------------------------------------------------------ */
/* The client's thread */

guint
ol__subscriber_watch (OlSubscriber *s, const char *name, OlStreamWatchFunc func,
                      gpointer user_data, GDestroyNotify destroy)
{
  Watch *w = g_new0 (Watch, 1);
  Stream *st;

  g_ref_count_init (&w->ref);
  w->id = s->next_watch_id++;
  if (s->next_watch_id == 0)
    s->next_watch_id = 1;
  w->name = g_strdup (name);
  w->func = func;
  w->user_data = user_data;
  w->destroy = destroy;
  g_ptr_array_add (s->watches, w);

  ol__mutex_lock (&s->lock);
  if (name == NULL)
    s->watch_all++;
  else if ((st = g_hash_table_lookup (s->streams, name)) != NULL)
    st->watched = TRUE;
  ol__mutex_unlock (&s->lock);
  return w->id;
}

guint
ol__subscriber_watch_connection (OlSubscriber *s, OlStreamConnectionFunc func,
                                 gpointer user_data, GDestroyNotify destroy)
{
  Watch *w = g_new0 (Watch, 1);

  g_ref_count_init (&w->ref);
  w->id = s->next_watch_id++;
  if (s->next_watch_id == 0)
    s->next_watch_id = 1;
  w->connection_func = func;
  w->user_data = user_data;
  w->destroy = destroy;
  g_ptr_array_add (s->watches, w);

  ol__mutex_lock (&s->lock);
  s->watch_connection++;
  /* The new watch learns the current state, whatever changed before. */
  s->connection_pending = TRUE;
  if (s->dispatch == NULL)
    ol__watch_schedule_locked (s);
  ol__mutex_unlock (&s->lock);
  return w->id;
}

gboolean
ol__subscriber_unwatch (OlSubscriber *s, guint id)
{
  Watch *w = NULL;
  Stream *st;

  for (guint i = 0; i < s->watches->len; i++)
    if (((Watch *) s->watches->pdata[i])->id == id)
      {
        w = g_ptr_array_steal_index (s->watches, i);
        break;
      }
  if (w == NULL)
    return FALSE;
  /* A dispatch that runs this callback right now skips it from here on; its
   * user_data is released once that dispatch lets go of it. */
  w->removed = TRUE;
  ol__mutex_lock (&s->lock);
  if (w->connection_func != NULL)
    s->watch_connection--;
  else if (w->name == NULL)
    s->watch_all--;
  else if ((st = g_hash_table_lookup (s->streams, w->name)) != NULL)
    st->watched = ol__watch_names (s, w->name);
  ol__mutex_unlock (&s->lock);
  s_watch_unref (w);
  return TRUE;
}
