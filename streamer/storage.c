/* Per-stream storage of OlSubscriber: the table of configured streams, each
 * a cache (the latest message) or a queue (up to a depth), its counters and
 * the accounting of sequence numbers.
 *
 * Thread rules: the receiver thread stores (ol__storage_store_batch); the
 * client's thread configures, takes and reads counters. Both hold
 * OlSubscriber.lock over the table and every Stream; messages that leave a
 * stream are freed after the lock is released. Only the client's thread
 * removes streams, so a Stream it found stays valid while it waits.
 */
#include "streamer/subscriber_private.h"

#include <string.h>

/* Queue depth used when the caller passes 0. */
#define DEFAULT_DEPTH 1024

static void
s_stream_free (gpointer data)
{
  Stream *st = data;

  ol__messages_free (&st->messages);
  g_free (st);
}

void
ol__storage_init (OlSubscriber *s)
{
  s->streams = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, s_stream_free);
}

void
ol__storage_clear (OlSubscriber *s)
{
  s->last_taken = NULL;
  g_clear_pointer (&s->streams, g_hash_table_unref);
}

/* Drops the oldest messages beyond the capacity; each counts as overflowed.
 * They go to garbage, for the caller to free once it released the lock. */
static void
s_trim_locked (Stream *st, GQueue *garbage)
{
  while (st->messages.length > st->capacity)
    {
      g_queue_push_tail_link (garbage, g_queue_pop_head_link (&st->messages));
      st->counters.overflowed++;
    }
}

/* Counts and keeps m (transfer full).
 *
 * Sequence numbers: the first message a stream delivers after it was
 * configured sets the baseline and nothing before it counts as missed, even
 * when its sequence number is above 1: those messages were published before
 * this client subscribed and were never meant for it. After that, a jump
 * from last to seq > last + 1 counts seq - last - 1 missed messages. A
 * sequence number <= last means the stream was re-created or its server
 * restarted: restarts goes up, the baseline restarts from seq, and nothing
 * counts as missed (the new stream's earlier messages were published before
 * this client's subscription reached the new publisher). */
static gboolean
s_store_locked (OlSubscriber *s, Stream *st, Message *msg, GQueue *garbage)
{
  OlStreamCounters *c = &st->counters;
  OlStreamMessage *m = &msg->pub;

  c->received++;
  if (m->status & OL_STATUS_ERROR)
    c->errors++;
  if (m->status & OL_STATUS_WARNING)
    c->warnings++;
  if (m->status & OL_STATUS_ALARM)
    c->alarms++;
  if (st->has_baseline)
    {
      if (m->sequence <= c->last_sequence)
        c->restarts++;
      else if (m->sequence > c->last_sequence + 1)
        c->missed += m->sequence - c->last_sequence - 1;
    }
  c->last_sequence = m->sequence;
  st->has_baseline = TRUE;
  g_queue_push_tail_link (&st->messages, &msg->link);
  s_trim_locked (st, garbage);
  if ((st->watched || s->watch_all > 0) && !st->notify_pending)
    {
      st->notify_pending = TRUE;
      if (s->dispatch == NULL)
        ol__watch_schedule_locked (s);
    }
  /* The caller wakes the waiting readers once for its whole batch. */
  return st->waiters > 0;
}

/* Applies a sequence mark: the publisher had sent up to seq when its burst
 * ended, so the messages after the last one received were lost. Without a
 * baseline there is nothing to compare with; a mark at or below the last
 * number says nothing new. */
static void
s_mark_locked (Stream *st, guint64 seq)
{
  OlStreamCounters *c = &st->counters;

  if (st->has_baseline && seq > c->last_sequence)
    {
      c->missed += seq - c->last_sequence;
      c->last_sequence = seq;
    }
}

/* Under one lock: the reader and the receiver do not contend per message.
 * Messages that had to make room, and the marks once applied, are freed
 * after the lock is released. */
gboolean
ol__storage_store_batch (OlSubscriber *s, Message **batch, guint n, guint *kept)
{
  GQueue garbage = G_QUEUE_INIT;
  gboolean wake = FALSE;
  const char *last_name = NULL;
  Stream *st = NULL;

  *kept = 0;
  ol__mutex_lock (&s->lock);
  for (guint i = 0; i < n; i++)
    {
      /* Names are interned: a run of one stream's messages is looked up
       * once. */
      if (batch[i]->pub.name != last_name)
        {
          last_name = batch[i]->pub.name;
          st = g_hash_table_lookup (s->streams, last_name);
        }
      if (st == NULL)
        continue;
      if (batch[i]->pub.status & OL__STATUS_MARK)
        {
          s_mark_locked (st, batch[i]->pub.sequence);
          g_queue_push_tail_link (&garbage, &batch[i]->link);
          batch[i] = NULL;
          (*kept)++;
          continue;
        }
      wake |= s_store_locked (s, st, batch[i], &garbage);
      batch[i] = NULL;
      (*kept)++;
    }
  ol__mutex_unlock (&s->lock);
  ol__messages_free (&garbage);
  return wake;
}

gboolean
ol__storage_is_configured (OlSubscriber *s, const char *name)
{
  gboolean configured;

  ol__mutex_lock (&s->lock);
  configured = g_hash_table_contains (s->streams, name);
  ol__mutex_unlock (&s->lock);
  return configured;
}

/* ------------------------------------------------------------------------ */
/* The client's thread */

void
ol__subscriber_configure (OlSubscriber *s, const char *name, OlStorage storage,
                          guint depth)
{
  Stream *st;
  gboolean created;
  GQueue garbage = G_QUEUE_INIT;

  ol__mutex_lock (&s->lock);
  st = g_hash_table_lookup (s->streams, name);
  created = st == NULL;
  if (created)
    {
      st = g_new0 (Stream, 1);
      st->name = g_intern_string (name);
      g_queue_init (&st->messages);
      st->watched = ol__watch_names (s, name);
      g_hash_table_insert (s->streams, (gpointer) st->name, st);
      ol__receiver_command_locked (s, TRUE, name);
    }
  st->storage = storage;
  st->capacity = storage == OL_STORAGE_CACHE ? 1 : depth > 0 ? depth : DEFAULT_DEPTH;
  /* A smaller queue, or a queue turned into a cache, keeps its newest
   * messages; the others are dropped before being taken: overflowed. */
  s_trim_locked (st, &garbage);
  ol__mutex_unlock (&s->lock);
  ol__messages_free (&garbage);
  if (created)
    ol__receiver_wake (s);
}

gboolean
ol__subscriber_unconfigure (OlSubscriber *s, const char *name)
{
  gboolean found;

  ol__mutex_lock (&s->lock);
  s->last_taken = NULL;
  found = g_hash_table_remove (s->streams, name);
  if (found)
    ol__receiver_command_locked (s, FALSE, name);
  ol__mutex_unlock (&s->lock);
  if (found)
    ol__receiver_wake (s);
  return found;
}

/* The stream called name, or NULL if it is not configured. A reader takes
 * from one stream in a row: the last one found is tried first. */
static Stream *
s_find_locked (OlSubscriber *s, const char *name)
{
  Stream *st;

  if (s->last_taken != NULL && strcmp (s->last_taken->name, name) == 0)
    return s->last_taken;
  if ((st = g_hash_table_lookup (s->streams, name)) != NULL)
    s->last_taken = st;
  return st;
}

/* Waits until st holds at least count messages, up to timeout_ms (0: no
 * wait). The receiver wakes the waiters of a stream after each batch it
 * stored for it. */
static void
s_wait_locked (OlSubscriber *s, Stream *st, guint count, int timeout_ms)
{
  gint64 deadline;

  if (st->messages.length >= count || timeout_ms <= 0)
    return;
  deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;
  st->waiters++;
  while (st->messages.length < count)
    if (!ol__cond_wait_until (&s->cond, &s->lock, deadline))
      break;
  st->waiters--;
}

OlStreamMessage *
ol__subscriber_take (OlSubscriber *s, const char *name, int timeout_ms,
                     gboolean *configured)
{
  GList *link;
  Stream *st;

  ol__mutex_lock (&s->lock);
  /* Only this thread removes streams: st stays valid while it waits. */
  if ((st = s_find_locked (s, name)) == NULL)
    {
      ol__mutex_unlock (&s->lock);
      *configured = FALSE;
      return NULL;
    }
  *configured = TRUE;
  s_wait_locked (s, st, 1, timeout_ms);
  link = g_queue_pop_head_link (&st->messages);
  ol__mutex_unlock (&s->lock);
  return link != NULL ? &((Message *) link->data)->pub : NULL;
}

/* A message of its own that shares msg's payload (a reference to the same
 * GBytes, so the payload is never copied), for a reader that peeks while
 * msg stays in its stream. It is a Message like any other, without storage
 * of its own: ol_stream_message_free() releases the payload reference and
 * frees the block. msg's fields do not change while it is stored. */
static OlStreamMessage *
s_share_locked (const Message *msg)
{
  Message *copy = g_malloc (sizeof (Message));

  copy->pub = msg->pub;
  copy->pub.payload = g_bytes_ref (msg->pub.payload);
  copy->link.data = copy;
  copy->link.prev = copy->link.next = NULL;
  g_atomic_ref_count_init (&copy->ref);
  copy->has_frame = FALSE;
  copy->pool = NULL;
  copy->block = NULL;
  copy->lease = NULL;
  return &copy->pub;
}

GPtrArray *
ol__subscriber_take_range (OlSubscriber *s, const char *name, int n, gboolean pop,
                           int timeout_ms, OlRangeInfo *info)
{
  /* |n| without overflow for G_MININT. */
  guint count = n > 0 ? (guint) n : (guint) -(gint64) n;
  GPtrArray *taken = NULL;
  GList *link;
  Stream *st;
  guint got;

  g_return_val_if_fail (n != 0, NULL);
  ol__mutex_lock (&s->lock);
  /* Only this thread removes streams or changes their capacity: st and its
   * capacity stay as they are while it waits. */
  if ((st = s_find_locked (s, name)) == NULL)
    {
      ol__mutex_unlock (&s->lock);
      info->configured = FALSE;
      return NULL;
    }
  info->configured = TRUE;
  info->storage = st->storage;
  info->capacity = st->capacity;
  /* Never more than the stream can hold: such a wait could never end
   * early, and the caller makes it an error. */
  if (count > st->capacity)
    {
      ol__mutex_unlock (&s->lock);
      return NULL;
    }
  s_wait_locked (s, st, count, timeout_ms);
  got = MIN (count, st->messages.length);
  if (got > 0)
    {
      taken = g_ptr_array_new_full (got, (GDestroyNotify) ol_stream_message_free);
      /* The earliest start at the head; the latest are the last got, taken
       * oldest first too. Either way the messages not taken keep their
       * order and their place. */
      link = n > 0 ? st->messages.head
                   : g_queue_peek_nth_link (&st->messages, st->messages.length - got);
      for (guint i = 0; i < got; i++)
        {
          GList *next = link->next;
          Message *msg = link->data;

          if (pop)
            {
              g_queue_unlink (&st->messages, link);
              g_ptr_array_add (taken, &msg->pub);
            }
          else
            g_ptr_array_add (taken, s_share_locked (msg));
          link = next;
        }
    }
  ol__mutex_unlock (&s->lock);
  return taken;
}

gboolean
ol__subscriber_counters (OlSubscriber *s, const char *name, OlStreamCounters *counters)
{
  Stream *st;

  ol__mutex_lock (&s->lock);
  if ((st = g_hash_table_lookup (s->streams, name)) != NULL)
    *counters = st->counters;
  ol__mutex_unlock (&s->lock);
  return st != NULL;
}
