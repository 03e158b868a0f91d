/* The stream side of OlClient: the receiver thread and its SUB socket, the
 * per-stream storage (cache or queue) and counters, and watches dispatched
 * on the client's GMainContext. */
#include "streamer/subscriber.h"

#include <errno.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

#include "oneliner/error.h"
#include "oneliner/stream.h"
#include "router/client_private.h"
#include "core/lock.h"
#include "core/names.h"
#include "core/startup.h"
#include "core/wakeup.h"
#include "router/wire.h"
#include "streamer/header.h"

/* The receiver polls its stop signal at least this often. */
#define SUB_POLL_MS 100
/* Messages received per wake-up before the stop flag is looked at again
 * (the loop goes on draining right after). */
#define SUB_BATCH 1024
/* Messages stored under one lock. */
#define SUB_STORE_BATCH 64
/* Payloads up to this size are copied into the message's own block, which
 * lets libzmq reuse its receive buffer at once; larger ones keep the frame
 * libzmq received (no copy). */
#define SUB_COPY_MAX 256
/* Messages libzmq queues for this client before it drops the newest. */
#define SUB_RCVHWM 100000
/* Connecting is local (ZeroMQ connects lazily): the start is fast. */
/* Queue depth used when the caller passes 0. */
#define DEFAULT_DEPTH 1024

/* The client checks stream names with the general rule for names. */
G_STATIC_ASSERT (OL_STREAM_NAME_MAX == OL_NAME_MAX);

/* A received message in one allocation: the public part, its link in its
 * stream's queue and the payload's storage (a copy of a small payload, or
 * the libzmq frame of a large one). The message and its payload GBytes each
 * hold a reference to the block, so the application may keep either one
 * longer than the other. */
typedef struct {
  OlStreamMessage pub;       /* first: ol_stream_message_free() gets its address */
  GList link;                /* data is the Message; in Stream.messages */
  gatomicrefcount ref;       /* pub and pub.payload */
  gboolean has_frame;        /* frame holds the payload, else data */
  zmq_msg_t frame;
  guint8 data[];             /* a payload of at most SUB_COPY_MAX bytes */
} Message;

typedef struct {
  const char *name;          /* interned; also the key in OlSubscriber.streams */
  OlStorage storage;
  guint capacity;            /* 1 for a cache, the depth for a queue */
  GQueue messages;           /* links of Message, oldest first */
  OlStreamCounters counters;
  gboolean has_baseline;     /* counters.last_sequence is meaningful */
  gboolean watched;          /* a watch names this stream */
  gboolean notify_pending;   /* new messages not yet announced to watches */
  guint waiters;             /* ol_client_get_stream() calls waiting on it */
} Stream;

typedef struct {
  gboolean subscribe;        /* else unsubscribe */
  char *name;                /* (owned) */
} Command;

typedef struct {
  grefcount ref;             /* the watch list and running dispatches */
  guint id;
  char *name;                /* (owned) (nullable) NULL: every stream */
  OlStreamWatchFunc func;
  gpointer user_data;
  GDestroyNotify destroy;
  gboolean removed;
} Watch;

struct OlSubscriber {
  /* Read-only while the receiver runs. */
  char *endpoint;            /* (owned) */
  /* The receiver thread only: topic -> interned stream name, and the last
   * name it found. */
  GHashTable *rx_names;      /* (owned) interned name -> itself */
  const char *rx_last;       /* (nullable) interned */
  gsize rx_last_size;        /* its topic frame's size: strlen + 1 */
  GMainContext *context;     /* (owned) where watches are called */
  OlClient *client;          /* (unowned) passed to watches */
  GThread *thread;           /* (owned) the receiver */
  OlWakeup wake;             /* signalled when commands are queued or stop is asked */

  gint stop;                 /* atomic */
  _Atomic guint64 malformed; /* messages dropped as malformed */

  OlMutex lock;              /* guards everything down to dispatch */
  OlCond cond;               /* start handshake; messages for waiters */
  OlStartup startup;         /* the receiver's start handshake */
  GHashTable *streams;       /* (owned) name -> Stream * */
  GQueue commands;           /* Command * for the receiver, in order */
  guint watch_all;           /* watches with a NULL name */
  GSource *dispatch;         /* (owned) (nullable) the one scheduled dispatch */

  /* The client's thread only. */
  grefcount ref;             /* ol__subscriber_new and running dispatches */
  GPtrArray *watches;        /* (owned) Watch *, in the order they were added */
  Stream *last_taken;        /* (nullable) the stream ol_client_get_stream() found
                                last: a reader takes from one stream in a row
                                (only this thread removes streams; it clears it) */
  guint next_watch_id;
  gboolean closed;           /* ol__subscriber_free() ran */
};

/* ------------------------------------------------------------------------ */
/* Messages */

static void
s_message_unref (gpointer data)
{
  Message *msg = data;

  if (!g_atomic_ref_count_dec (&msg->ref))
    return;
  if (msg->has_frame)
    zmq_msg_close (&msg->frame);
  g_free (msg);
}

/* Makes the message of a header and its payload frame: the frame's data is
 * copied if small, else the frame is moved into the message. name is an
 * interned string. (transfer full) */
static Message *
s_message_new (const char *name, const OlHeader *h, zmq_msg_t *payload)
{
  gsize size = zmq_msg_size (payload);
  gboolean copy = size <= SUB_COPY_MAX;
  Message *msg = g_malloc (sizeof (Message) + (copy ? size : 0));
  const void *data;

  msg->pub.name = name;
  msg->pub.sequence = h->sequence;
  msg->pub.timestamp = h->timestamp;
  msg->pub.status = h->status;
  msg->pub.encoding = h->encoding;
  msg->pub.image = h->image;
  msg->pub.overruns = h->overruns;
  msg->link.data = msg;
  msg->link.prev = msg->link.next = NULL;
  g_atomic_ref_count_init (&msg->ref);
  msg->has_frame = !copy;
  if (copy)
    {
      if (size > 0)
        memcpy (msg->data, zmq_msg_data (payload), size);
      data = msg->data;
    }
  else
    {
      zmq_msg_init (&msg->frame);
      zmq_msg_move (&msg->frame, payload);
      data = zmq_msg_data (&msg->frame);
    }
  g_atomic_ref_count_inc (&msg->ref);
  msg->pub.payload = g_bytes_new_with_free_func (data, size, s_message_unref, msg);
  return msg;
}

void
ol_stream_message_free (OlStreamMessage *message)
{
  if (message == NULL)
    return;
  g_clear_pointer (&message->payload, g_bytes_unref);
  s_message_unref ((Message *) message);
}

json_t *
ol_stream_message_json (const OlStreamMessage *message, GError **error)
{
  json_error_t jerr;
  gsize size = 0;
  const char *data;
  json_t *json;

  g_return_val_if_fail (message != NULL, NULL);
  data = message->payload ? g_bytes_get_data (message->payload, &size) : NULL;
  /* Any JSON value: a periodic stream may well publish a bare number. */
  json = data ? json_loadb (data, size, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr) : NULL;
  if (json == NULL)
    g_set_error (error, OL_ERROR, OL_ERROR_PROTOCOL,
                 "payload of stream \"%s\" is not JSON: %s (line %d, column %d)",
                 message->name, data ? jerr.text : "empty payload",
                 data ? jerr.line : 0, data ? jerr.column : 0);
  return json;
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

/* ------------------------------------------------------------------------ */
/* Storage (callers hold the lock) */

/* Frees the messages of a queue of Message links. */
static void
s_messages_free (GQueue *messages)
{
  GList *link;

  while ((link = g_queue_pop_head_link (messages)) != NULL)
    ol_stream_message_free (link->data);
}

static void
s_stream_free (gpointer data)
{
  Stream *st = data;

  s_messages_free (&st->messages);
  g_free (st);
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

static void
s_dispatch_schedule_locked (OlSubscriber *s);

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
        s_dispatch_schedule_locked (s);
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

/* ------------------------------------------------------------------------ */
/* The receiver thread */

static void G_GNUC_PRINTF (2, 3)
s_drop (OlSubscriber *s, const char *format, ...)
{
  va_list ap;
  char *text;

  atomic_fetch_add (&s->malformed, 1);
  va_start (ap, format);
  text = g_strdup_vprintf (format, ap);
  va_end (ap);
  g_debug ("stream subscriber (%s): dropped %s", s->endpoint, text);
  g_free (text);
}

/* The interned name of a topic frame, or NULL if the frame is not a stream
 * name followed by one NUL. The receiver's table answers without a lock;
 * the topic of the previous message needs no check at all. Only subscribed
 * topics arrive, whose names were interned when they were configured. */
static const char *
s_topic_name (OlSubscriber *s, zmq_msg_t *frame)
{
  const char *topic = zmq_msg_data (frame);
  gsize size = zmq_msg_size (frame);
  gsize len;
  const char *name;

  if (s->rx_last != NULL && size == s->rx_last_size
      && memcmp (s->rx_last, topic, size) == 0)
    return s->rx_last;
  if (!ol__topic_check ((const guint8 *) topic, size, &len))
    return NULL;
  name = g_hash_table_lookup (s->rx_names, topic);
  if (name == NULL)
    {
      name = g_intern_string (topic);
      g_hash_table_add (s->rx_names, (gpointer) name);
    }
  s->rx_last_size = len + 1;
  return s->rx_last = name;
}

/* Checks and decodes one received message of n frames. Returns the message
 * (transfer full; a large payload frame is moved into it) or NULL when it
 * was dropped. frames stay the caller's. */
static Message *
s_parse (OlSubscriber *s, zmq_msg_t *frames, int n, gboolean truncated)
{
  GError *error = NULL;
  OlHeader h;
  const char *name;

  if (n != 3 || truncated)
    {
      s_drop (s, "a message of %s%d frames, not 3", truncated ? "more than " : "", n);
      return NULL;
    }
  if ((name = s_topic_name (s, &frames[0])) == NULL)
    {
      s_drop (s, "a message whose topic is not a stream name followed by one NUL");
      return NULL;
    }
  if (!ol__header_decode (zmq_msg_data (&frames[1]), zmq_msg_size (&frames[1]), &h,
                          &error))
    {
      s_drop (s, "a message of stream \"%s\": %s", name, error->message);
      g_error_free (error);
      return NULL;
    }
  /* Readers may trust an image's geometry: its payload has exactly
   * width * height * pixel size bytes. */
  if (h.encoding == OL_ENCODING_IMAGE && !(h.status & (OL_STATUS_ERROR | OL__STATUS_MARK)))
    {
      guint64 expected = (guint64) h.image.width * h.image.height;
      gboolean fits = g_uint64_checked_mul (&expected, expected,
                                            ol_pixel_format_size (h.image.format));

      if (!fits || expected == 0 || zmq_msg_size (&frames[2]) != expected)
        {
          s_drop (s, "an image of stream \"%s\" whose %zu bytes do not match "
                  "%" G_GUINT32_FORMAT "x%" G_GUINT32_FORMAT " pixels of format %d",
                  name, zmq_msg_size (&frames[2]), h.image.width, h.image.height,
                  (int) h.image.format);
          return NULL;
        }
    }
  return s_message_new (name, &h, &frames[2]);
}

/* Stores a batch of parsed messages under one lock: the reader and the
 * receiver do not contend per message. Messages that had to make room are
 * freed after the lock is released. Returns whether readers wait for one of
 * these streams: the caller wakes them (after the lock, and once for all
 * the batches it has ready). */
static gboolean
s_store_batch (OlSubscriber *s, Message **batch, guint n)
{
  GQueue garbage = G_QUEUE_INIT;
  gboolean wake = FALSE;
  guint kept = 0;
  const char *last_name = NULL;
  Stream *st = NULL;

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
          kept++;
          continue;
        }
      wake |= s_store_locked (s, st, batch[i], &garbage);
      batch[i] = NULL;
      kept++;
    }
  ol__mutex_unlock (&s->lock);
  s_messages_free (&garbage);
  for (guint i = 0; kept < n && i < n; i++)
    if (batch[i] != NULL)
      {
        /* Unsubscribed a moment ago: the message was already on its way. */
        s_drop (s, "a message of stream \"%s\", which is not configured",
                batch[i]->pub.name);
        ol_stream_message_free (&batch[i]->pub);
      }
  return wake;
}

static void
s_apply_commands (OlSubscriber *s, void *sub)
{
  GQueue commands = G_QUEUE_INIT;
  Command *cmd;

  ol__mutex_lock (&s->lock);
  commands = s->commands;
  g_queue_init (&s->commands);
  ol__mutex_unlock (&s->lock);
  while ((cmd = g_queue_pop_head (&commands)) != NULL)
    {
      /* "NAME\0": with its NUL, so that "frame" never matches "frame_2". */
      if (zmq_setsockopt (sub, cmd->subscribe ? ZMQ_SUBSCRIBE : ZMQ_UNSUBSCRIBE,
                          cmd->name, strlen (cmd->name) + 1) != 0)
        g_warning ("stream subscriber (%s): cannot %s \"%s\": %s", s->endpoint,
                   cmd->subscribe ? "subscribe to" : "unsubscribe from", cmd->name,
                   zmq_strerror (errno));
      g_free (cmd->name);
      g_free (cmd);
    }
}

static void *
s_connect (OlSubscriber *s, GError **error)
{
  void *sub = zmq_socket (ol__zmq_context (), ZMQ_SUB);
  int hwm = SUB_RCVHWM;

  if (sub == NULL)
    {
      g_set_error (error, OL_ERROR, OL_ERROR_SOCKET, "cannot create a SUB socket: %s",
                   zmq_strerror (errno));
      return NULL;
    }
  ol__socket_set_common (sub);
  zmq_setsockopt (sub, ZMQ_RCVHWM, &hwm, sizeof hwm);
  if (zmq_connect (sub, s->endpoint) != 0)
    {
      g_set_error (error, OL_ERROR, OL_ERROR_SOCKET,
                   "cannot connect to stream endpoint %s: %s", s->endpoint,
                   zmq_strerror (errno));
      zmq_close (sub);
      return NULL;
    }
  return sub;
}

/* Receives one whole message without waiting for its first frame. frames
 * are 3 initialised messages that stay so across calls (zmq_msg_recv()
 * replaces their content); frames beyond the third are received into spill
 * and discarded (*truncated). Returns the number of frames kept, or -1 when
 * no message was ready. */
static int
s_recv (void *sub, zmq_msg_t *frames, zmq_msg_t *spill, gboolean *truncated)
{
  int n = 0;

  *truncated = FALSE;
  for (;;)
    {
      zmq_msg_t *frame = n < 3 ? &frames[n] : spill;

      if (zmq_msg_recv (frame, sub, n == 0 ? ZMQ_DONTWAIT : 0) < 0)
        return -1;
      if (n < 3)
        n++;
      else
        *truncated = TRUE;
      if (!zmq_msg_more (frame))
        return n;
    }
}

/* Releases what frames hold (libzmq may then reuse its receive buffer). */
static void
s_frames_empty (zmq_msg_t *frames, int n)
{
  for (int i = 0; i < n; i++)
    {
      zmq_msg_close (&frames[i]);
      zmq_msg_init (&frames[i]);
    }
}

static gpointer
s_thread (gpointer data)
{
  OlSubscriber *s = data;
  GError *error = NULL;
  void *sub = s_connect (s, &error);
  zmq_msg_t frames[4]; /* 3 kept, 1 for the frames beyond */
  gboolean wake;

  ol__startup_report (&s->startup, error);
  if (sub == NULL)
    return NULL;

  for (int i = 0; i < 4; i++)
    zmq_msg_init (&frames[i]);
  while (!g_atomic_int_get (&s->stop))
    {
      zmq_pollitem_t items[2] = {
        { sub, 0, ZMQ_POLLIN, 0 },
        ol__wakeup_poll_item (&s->wake),
      };

      if (zmq_poll (items, 2, SUB_POLL_MS) < 0)
        {
          if (errno == EINTR)
            continue;
          g_warning ("stream subscriber (%s): zmq_poll failed: %s", s->endpoint,
                     zmq_strerror (errno));
          break;
        }
      if (items[1].revents & ZMQ_POLLIN)
        {
          ol__wakeup_drain (&s->wake);
          s_apply_commands (s, sub);
        }
      /* The readers are woken once the receiver has stored what was
       * there (at most SUB_BATCH messages), not for every store: a reader
       * that keeps up takes bigger batches and sleeps less often. */
      wake = FALSE;
      if (items[0].revents & ZMQ_POLLIN)
        for (int k = 0; k < SUB_BATCH; k += SUB_STORE_BATCH)
          {
            Message *batch[SUB_STORE_BATCH];
            guint got = 0;
            gboolean more = TRUE;

            while (got < SUB_STORE_BATCH)
              {
                gboolean truncated;
                int n = s_recv (sub, frames, &frames[3], &truncated);

                if (n < 0)
                  {
                    more = FALSE;
                    break;
                  }
                if ((batch[got] = s_parse (s, frames, n, truncated)) != NULL)
                  got++;
              }
            wake |= s_store_batch (s, batch, got);
            if (!more)
              break;
          }
      if (wake)
        ol__cond_broadcast (&s->cond);
      s_frames_empty (frames, 4);
    }
  s_frames_empty (frames, 4);
  for (int i = 0; i < 4; i++)
    zmq_msg_close (&frames[i]);
  zmq_close (sub);
  return NULL;
}

static void
s_wake (OlSubscriber *s)
{
  ol__wakeup_signal (&s->wake, "the stream subscriber");
}

/* Queues a subscription change for the receiver; the caller holds the lock
 * and calls s_wake() after releasing it. */
static void
s_command_locked (OlSubscriber *s, gboolean subscribe, const char *name)
{
  Command *cmd = g_new (Command, 1);

  cmd->subscribe = subscribe;
  cmd->name = g_strdup (name);
  g_queue_push_tail (&s->commands, cmd);
}

/* ------------------------------------------------------------------------ */
/* Watches */

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

/* Whether a watch names this stream. Client thread. */
static gboolean
s_name_watched (OlSubscriber *s, const char *name)
{
  for (guint i = 0; i < s->watches->len; i++)
    {
      Watch *w = s->watches->pdata[i];
      if (w->name != NULL && strcmp (w->name, name) == 0)
        return TRUE;
    }
  return FALSE;
}

static void
s_unref (OlSubscriber *s)
{
  if (!g_ref_count_dec (&s->ref))
    return;
  ol__mutex_clear (&s->lock);
  ol__cond_clear (&s->cond);
  g_free (s);
}

static gboolean
s_is_configured (OlSubscriber *s, const char *name)
{
  gboolean configured;

  ol__mutex_lock (&s->lock);
  configured = g_hash_table_contains (s->streams, name);
  ol__mutex_unlock (&s->lock);
  return configured;
}

/* Runs on the client's thread: calls every watch once for each stream that
 * received messages since the last dispatch. A callback may unwatch (any
 * watch), unconfigure streams or free the client. */
static gboolean
s_dispatch (gpointer data)
{
  OlSubscriber *s = data;
  g_autoptr (GPtrArray) names = g_ptr_array_new (); /* interned names */
  g_autoptr (GPtrArray) watches = NULL;
  GHashTableIter iter;
  gpointer value;
  GSource *self;

  ol__mutex_lock (&s->lock);
  /* From here on the receiver schedules a new dispatch for new messages. */
  self = g_steal_pointer (&s->dispatch);
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
  for (guint n = 0; n < names->len && !s->closed; n++)
    {
      const char *name = names->pdata[n];

      for (guint i = 0; i < watches->len && !s->closed; i++)
        {
          Watch *w = watches->pdata[i];

          if (w->removed || (w->name != NULL && strcmp (w->name, name) != 0))
            continue;
          if (!s_is_configured (s, name))
            break;
          w->func (s->client, name, w->user_data);
        }
    }
  /* Releasing the watches may call their destroy notifies. */
  g_clear_pointer (&watches, g_ptr_array_unref);
  s_unref (s);
  return G_SOURCE_REMOVE;
}

/* Schedules one dispatch on the client's context; the caller holds the lock
 * and checked that none is pending (at most one is, whatever the rate). */
static void
s_dispatch_schedule_locked (OlSubscriber *s)
{
  GSource *source = g_idle_source_new ();

  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_name (source, "OlSubscriber watches");
  g_source_set_callback (source, s_dispatch, s, NULL);
  g_source_attach (source, s->context);
  s->dispatch = source;
}

/* ------------------------------------------------------------------------ */
/* Life cycle */

OlSubscriber *
ol__subscriber_new (const char *endpoint, GMainContext *context, OlClient *client,
                    GError **error)
{
  OlSubscriber *s;

  g_return_val_if_fail (endpoint != NULL && context != NULL, NULL);
  s = g_new0 (OlSubscriber, 1);
  g_ref_count_init (&s->ref);
  s->endpoint = g_strdup (endpoint);
  s->context = g_main_context_ref (context);
  s->client = client;
  s->wake.fd = -1;
  atomic_init (&s->malformed, 0);
  ol__mutex_init (&s->lock);
  ol__cond_init (&s->cond);
  ol__startup_init (&s->startup);
  s->streams = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, s_stream_free);
  s->rx_names = g_hash_table_new (g_str_hash, g_str_equal);
  g_queue_init (&s->commands);
  s->watches = g_ptr_array_new ();
  s->next_watch_id = 1;
  if (!ol__wakeup_init (&s->wake, error))
    {
      ol__subscriber_free (s);
      return NULL;
    }
  s->thread = g_thread_try_new ("ol-subscriber", s_thread, s, error);
  if (s->thread == NULL)
    {
      ol__subscriber_free (s);
      return NULL;
    }

  if (!ol__startup_wait (&s->startup, "the stream subscriber", error))
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
  g_atomic_int_set (&s->stop, 1);
  if (s->thread != NULL)
    {
      s_wake (s);
      g_thread_join (g_steal_pointer (&s->thread));
    }

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
  s->last_taken = NULL;
  g_clear_pointer (&s->streams, g_hash_table_unref);
  g_clear_pointer (&s->rx_names, g_hash_table_unref);
  while (s->commands.head != NULL)
    {
      Command *cmd = g_queue_pop_head (&s->commands);
      g_free (cmd->name);
      g_free (cmd);
    }
  ol__wakeup_clear (&s->wake);
  ol__startup_clear (&s->startup);
  g_main_context_unref (s->context);
  g_free (s->endpoint);
  /* A dispatch running further up this thread's stack frees s last. */
  s_unref (s);
}

/* The count of messages dropped as malformed (wrong frame count, bad topic
 * or header, image of the wrong size, stream not configured). For tests and
 * diagnostics; any thread. */

guint64
ol__subscriber_malformed (OlSubscriber *s)
{
  return atomic_load (&s->malformed);
}

/* ------------------------------------------------------------------------ */
/* The client's stream API */

static void
s_not_configured (const char *name, GError **error)
{
  g_set_error (error, OL_ERROR, OL_ERROR_NOT_FOUND, "stream \"%s\" is not configured",
               name);
}

gboolean
ol_client_configure_stream (OlClient *client, const char *name, OlStorage storage,
                            guint depth, GError **error)
{
  OlSubscriber *s;
  Stream *st;
  gboolean created;
  GQueue garbage = G_QUEUE_INIT;

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

  ol__mutex_lock (&s->lock);
  st = g_hash_table_lookup (s->streams, name);
  created = st == NULL;
  if (created)
    {
      st = g_new0 (Stream, 1);
      st->name = g_intern_string (name);
      g_queue_init (&st->messages);
      st->watched = s_name_watched (s, name);
      g_hash_table_insert (s->streams, (gpointer) st->name, st);
      s_command_locked (s, TRUE, name);
    }
  st->storage = storage;
  st->capacity = storage == OL_STORAGE_CACHE ? 1 : depth > 0 ? depth : DEFAULT_DEPTH;
  /* A smaller queue, or a queue turned into a cache, keeps its newest
   * messages; the others are dropped before being taken: overflowed. */
  s_trim_locked (st, &garbage);
  ol__mutex_unlock (&s->lock);
  s_messages_free (&garbage);
  if (created)
    s_wake (s);
  return TRUE;
}

gboolean
ol_client_unconfigure_stream (OlClient *client, const char *name, GError **error)
{
  OlSubscriber *s;
  gboolean found = FALSE;

  g_return_val_if_fail (client != NULL && name != NULL, FALSE);
  if ((s = ol__client_peek_subscriber (client)) != NULL)
    {
      ol__mutex_lock (&s->lock);
      s->last_taken = NULL;
      found = g_hash_table_remove (s->streams, name);
      if (found)
        s_command_locked (s, FALSE, name);
      ol__mutex_unlock (&s->lock);
    }
  if (!found)
    {
      s_not_configured (name, error);
      return FALSE;
    }
  s_wake (s);
  return TRUE;
}

OlStreamMessage *
ol_client_get_stream (OlClient *client, const char *name, int timeout_ms,
                      GError **error)
{
  OlSubscriber *s;
  OlStreamMessage *m = NULL;
  GList *link;
  Stream *st;

  g_return_val_if_fail (client != NULL && name != NULL, NULL);
  if ((s = ol__client_peek_subscriber (client)) == NULL)
    {
      s_not_configured (name, error);
      return NULL;
    }
  /* A negative bound means the client's timeout: never wait forever. */
  if (timeout_ms < 0)
    timeout_ms = ol_client_get_timeout (client);

  ol__mutex_lock (&s->lock);
  /* Only this thread removes streams: st stays valid while it waits. */
  if (s->last_taken != NULL && strcmp (s->last_taken->name, name) == 0)
    st = s->last_taken;
  else if ((st = g_hash_table_lookup (s->streams, name)) != NULL)
    s->last_taken = st;
  else
    {
      ol__mutex_unlock (&s->lock);
      s_not_configured (name, error);
      return NULL;
    }
  if (st->messages.length == 0 && timeout_ms > 0)
    {
      gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

      st->waiters++;
      while (st->messages.length == 0)
        if (!ol__cond_wait_until (&s->cond, &s->lock, deadline))
          break;
      st->waiters--;
    }
  link = g_queue_pop_head_link (&st->messages);
  ol__mutex_unlock (&s->lock);
  if (link != NULL)
    m = &((Message *) link->data)->pub;

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

gboolean
ol_client_get_stream_counters (OlClient *client, const char *name,
                               OlStreamCounters *counters, GError **error)
{
  OlSubscriber *s;
  Stream *st = NULL;

  g_return_val_if_fail (client != NULL && name != NULL && counters != NULL, FALSE);
  if ((s = ol__client_peek_subscriber (client)) != NULL)
    {
      ol__mutex_lock (&s->lock);
      if ((st = g_hash_table_lookup (s->streams, name)) != NULL)
        *counters = st->counters;
      ol__mutex_unlock (&s->lock);
    }
  if (st == NULL)
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
  Watch *w;
  Stream *st;

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

  w = g_new0 (Watch, 1);
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

void
ol_client_unwatch_stream (OlClient *client, guint id)
{
  OlSubscriber *s;
  Watch *w = NULL;
  Stream *st;

  g_return_if_fail (client != NULL && id > 0);
  if ((s = ol__client_peek_subscriber (client)) == NULL)
    return;
  for (guint i = 0; i < s->watches->len; i++)
    if (((Watch *) s->watches->pdata[i])->id == id)
      {
        w = g_ptr_array_steal_index (s->watches, i);
        break;
      }
  if (w == NULL)
    {
      g_debug ("no stream watch with id %u", id);
      return;
    }
  /* A dispatch that runs this callback right now skips it from here on; its
   * user_data is released once that dispatch lets go of it. */
  w->removed = TRUE;
  ol__mutex_lock (&s->lock);
  if (w->name == NULL)
    s->watch_all--;
  else if ((st = g_hash_table_lookup (s->streams, w->name)) != NULL)
    st->watched = s_name_watched (s, w->name);
  ol__mutex_unlock (&s->lock);
  s_watch_unref (w);
}
