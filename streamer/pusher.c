/* Pushed streams: a bounded queue and the thread that sends it. */
#include "streamer/pusher.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

#include "oneliner/error.h"
#include "core/json.h"
#include "core/startup.h"
#include "core/wakeup.h"
#include "streamer/proxy.h"
#include "core/clock.h"
#include "core/socket.h"
#include "core/tsan.h"

#define PUSHER_POLL_MS 100
/* How long the thread waits before it tries again a socket that was full. */
#define PUSHER_FULL_WAIT_MS 1
/* Items a queue keeps room for once a burst is over. */
#define PUSHER_KEEP 4096

typedef struct {
  OlStream *stream;   /* a reference is held by the first item of each run of
                         items of the same stream (owns_ref) for the run */
  GBytes *payload;    /* (owned) */
  OlHeader header;
  gboolean owns_ref;
} PushItem;

/* Items in push order, stored inline: a push allocates nothing once the
 * array has grown to the burst size. */
/* The last sequence number sent of a stream since its last mark. */
typedef struct {
  OlStream *stream;   /* (owned) reference */
  guint64 sequence;
} Mark;

typedef struct {
  PushItem *items;
  guint len;
  guint cap;
} PushQueue;

struct OlPusher {
  atomic_int refcount;
  char *inproc;         /* (owned) set by ol__pusher_start */
  OlWakeup wake;
  GThread *thread;      /* (owned) (nullable) */
  atomic_bool stop;

  OlStartup startup;
  OlMutex lock;         /* guards queue, closed, thread, idle */
  PushQueue queue;      /* waiting to be sent */
  gboolean closed;      /* no more pushes accepted */
  gboolean idle;        /* the thread found the queue empty and waits for
                           wake: the next push signals it */
  OlProxy *proxy;       /* (nullable) borrowed while started and not closed:
                           its rings take reserved frames */
};

struct OlStreamFrame {
  OlStreamWriter *writer; /* (owned) reference: the frame is pushed there */
  guint8 *data;           /* the slot's bytes, or (owned) memory */
  gsize size;
  OlShmServer *shm;       /* (owned) (nullable) set when data is a ring slot */
  OlShmSlot slot;
};

struct OlStreamWriter {
  atomic_int refcount;
  OlPusher *pusher;     /* (owned) reference */
  OlStream *stream;     /* (owned) reference */
};

/* Releases the items of q (their payloads if still there, their stream
 * references) and empties it; the room stays, up to PUSHER_KEEP items. */
static void
s_queue_clear (PushQueue *q)
{
  for (guint i = 0; i < q->len; i++)
    {
      PushItem *item = &q->items[i];

      g_clear_pointer (&item->payload, g_bytes_unref);
      if (item->owns_ref)
        ol__stream_unref (item->stream);
    }
  if (q->cap > PUSHER_KEEP && q->len <= PUSHER_KEEP)
    {
      q->cap = PUSHER_KEEP;
      q->items = g_renew (PushItem, q->items, q->cap);
    }
  q->len = 0;
}

OlPusher *
ol__pusher_new (void)
{
  OlPusher *p = g_new0 (OlPusher, 1);
  g_autoptr (GError) error = NULL;

  atomic_init (&p->refcount, 1);
  if (!ol__wakeup_init (&p->wake, &error))
    g_error ("%s", error->message);
  ol__mutex_init (&p->lock);
  ol__startup_init (&p->startup);
  return p;
}

OlPusher *
ol__pusher_ref (OlPusher *p)
{
  atomic_fetch_add (&p->refcount, 1);
  return p;
}

void
ol__pusher_unref (OlPusher *p)
{
  if (p == NULL || atomic_fetch_sub (&p->refcount, 1) != 1)
    return;
  ol__pusher_close (p);
  s_queue_clear (&p->queue);
  g_free (p->queue.items);
  ol__wakeup_clear (&p->wake);
  g_free (p->inproc);
  ol__startup_clear (&p->startup);
  ol__mutex_clear (&p->lock);
  g_free (p);
}

/* Sends batch->items[*next...] in order and counts them per stream, with
 * one clock reading for the rates. Returns FALSE, *next at the first item
 * not sent, when the socket is full (the proxy is behind) and the pusher is
 * not stopping: the caller waits and sends the rest. Any other refusal
 * drops the item (counted). */
/* Notes that stream sent sequence: its mark is due once the pusher is
 * quiet. */
static void
s_note_sent (GArray *marks, OlStream *stream, guint64 sequence)
{
  Mark mark;

  for (guint i = marks->len; i-- > 0;)
    {
      Mark *m = &g_array_index (marks, Mark, i);

      if (m->stream == stream)
        {
          m->sequence = sequence;
          return;
        }
    }
  mark.stream = ol__stream_ref (stream);
  mark.sequence = sequence;
  g_array_append_val (marks, mark);
}

/* Sends the sequence marks that are due; those the socket refuses stay. */
static void
s_send_marks (void *pub, GArray *marks)
{
  for (guint i = 0; i < marks->len;)
    {
      Mark *m = &g_array_index (marks, Mark, i);
      OlHeader header = {
        .status = OL__STATUS_MARK,
        .encoding = OL_ENCODING_RAW,
        .sequence = m->sequence,
        .timestamp = ol__wall_time_ns (),
      };

      GBytes *empty = g_bytes_new_static ("", 0);

      if (!ol__stream_try_send (m->stream, pub, &header, empty))
        {
          g_bytes_unref (empty);
          i++;
          continue;
        }
      ol__stream_unref (m->stream);
      g_array_remove_index_fast (marks, i);
    }
}

static gboolean
s_send_batch (OlPusher *p, void *pub, PushQueue *batch, GArray *marks, guint *next)
{
  gint64 now = g_get_monotonic_time ();
  OlStream *run = NULL;
  OlSentCount count = { 0 };
  gboolean done = TRUE;
  guint i;

  for (i = *next; i < batch->len; i++)
    {
      PushItem *item = &batch->items[i];

      if (item->stream != run)
        {
          if (count.sent > 0)
            ol__stream_count_sent_many (run, &count, now);
          run = item->stream;
          count = (OlSentCount) { 0 };
        }
      if (ol__stream_try_send (item->stream, pub, &item->header, item->payload))
        {
          item->payload = NULL;
          s_note_sent (marks, item->stream, item->header.sequence);
          ol__sent_count_add (&count, item->header.status);
        }
      else if (errno == EAGAIN && !atomic_load (&p->stop))
        {
          done = FALSE;
          break;
        }
      else
        ol__stream_count_dropped (item->stream, errno);
    }
  if (count.sent > 0)
    ol__stream_count_sent_many (run, &count, now);
  *next = i;
  return done;
}

/* Waits for the wake-up (a push to an idle thread, or close) at most
 * timeout_ms. */
static void
s_wait (OlPusher *p, int timeout_ms)
{
  zmq_pollitem_t item = ol__wakeup_poll_item (&p->wake);

  if (zmq_poll (&item, 1, timeout_ms) < 0 && errno != EINTR)
    g_warning ("pusher: zmq_poll failed: %s", zmq_strerror (errno));
  ol__wakeup_drain (&p->wake);
}

/* Sends the queue until the pusher is stopped. The queue is swapped with
 * the thread's own under the lock and sent outside it, so writers never
 * wait for the socket; they wake the thread only when it ran out of work.
 * When the proxy falls behind and the socket is full, the thread waits
 * rather than dropping: the queue fills up and pushes fail with
 * OL_ERROR_BUSY, which tells the application to slow down. */
static void
s_run (OlPusher *p, void *pub)
{
  PushQueue batch = { 0 };
  guint next = 0;
  GArray *marks = g_array_new (FALSE, FALSE, sizeof (Mark));
  gint64 last_sent = 0;

  for (;;)
    {
      gboolean stop = atomic_load (&p->stop);

      if (batch.len == 0)
        {
          PushQueue swap;

          ol__mutex_lock (&p->lock);
          swap = p->queue;
          p->queue = batch;
          batch = swap;
          p->idle = batch.len == 0;
          ol__mutex_unlock (&p->lock);
          if (batch.len == 0)
            {
              gint64 quiet_ms = (g_get_monotonic_time () - last_sent) / 1000;

              /* Stopped with nothing left: what was pushed before close
               * was sent. */
              if (stop)
                break;
              if (marks->len == 0)
                s_wait (p, PUSHER_POLL_MS);
              else if (quiet_ms >= OL_MARK_QUIET_MS)
                {
                  s_send_marks (pub, marks);
                  if (marks->len > 0)
                    s_wait (p, PUSHER_FULL_WAIT_MS);
                }
              else
                s_wait (p, (int) (OL_MARK_QUIET_MS - quiet_ms));
              continue;
            }
        }
      if (s_send_batch (p, pub, &batch, marks, &next))
        {
          s_queue_clear (&batch);
          next = 0;
        }
      else
        s_wait (p, PUSHER_FULL_WAIT_MS);
      last_sent = g_get_monotonic_time ();
    }
  for (guint i = 0; i < marks->len; i++)
    ol__stream_unref (g_array_index (marks, Mark, i).stream);
  g_array_unref (marks);
  g_free (batch.items);
}

static gpointer
s_thread (gpointer data)
{
  OlPusher *p = data;
  void *pub = zmq_socket (ol__zmq_context (), ZMQ_PUB);
  GError *error = NULL;

  ol__proxy_set_feeder_options (pub);
  if (zmq_connect (pub, p->inproc) != 0)
    error = g_error_new (OL_ERROR, OL_ERROR_SOCKET, "cannot connect %s: %s",
                         p->inproc, zmq_strerror (errno));
  ol__startup_report (&p->startup, error);
  if (error != NULL)
    {
      zmq_close (pub);
      return NULL;
    }
  s_run (p, pub);
  zmq_close (pub);
  return NULL;
}

gboolean
ol__pusher_start (OlPusher *p, const char *inproc_endpoint, OlProxy *proxy, GError **error)
{
  GThread *thread;

  g_return_val_if_fail (p->thread == NULL, FALSE);
  p->inproc = g_strdup (inproc_endpoint);
  thread = g_thread_new ("ol-push", s_thread, p);
  ol__mutex_lock (&p->lock);
  p->thread = thread;
  p->proxy = proxy;
  ol__mutex_unlock (&p->lock);
  if (!ol__startup_wait (&p->startup, "the push thread", error))
    {
      ol__pusher_close (p);
      return FALSE;
    }
  return TRUE;
}

void
ol__pusher_close (OlPusher *p)
{
  GThread *thread;

  ol__mutex_lock (&p->lock);
  p->closed = TRUE;
  p->proxy = NULL;
  thread = g_steal_pointer (&p->thread);
  ol__mutex_unlock (&p->lock);
  if (thread == NULL)
    return;
  atomic_store (&p->stop, TRUE);
  ol__wakeup_signal (&p->wake, "the pusher");
  g_thread_join (thread);
}

gboolean
ol__pusher_push (OlPusher *p, OlStream *st, GBytes *payload, guint8 status,
                 OlEncoding encoding, gint64 timestamp, GError **error)
{
  PushItem *item;
  gboolean wake;

  if (atomic_load (&st->removed))
    {
      g_set_error (error, OL_ERROR, OL_ERROR_NOT_FOUND,
                   "stream \"%s\" was removed", st->name);
      return FALSE;
    }
  if (!atomic_load (&st->enabled))
    {
      atomic_fetch_add (&st->suppressed, 1);
      return TRUE;
    }
  ol__mutex_lock (&p->lock);
  if (p->closed || p->thread == NULL)
    {
      ol__mutex_unlock (&p->lock);
      g_set_error (error, OL_ERROR, OL_ERROR_CLOSED,
                   "stream \"%s\": the server is not running", st->name);
      return FALSE;
    }
  if (p->queue.len >= OL_PUSHER_QUEUE_MAX)
    {
      ol__mutex_unlock (&p->lock);
      atomic_fetch_add (&st->dropped, 1);
      g_set_error (error, OL_ERROR, OL_ERROR_BUSY,
                   "stream \"%s\": %d messages already wait to be sent; this one "
                   "was dropped", st->name, OL_PUSHER_QUEUE_MAX);
      return FALSE;
    }
  if (p->queue.len == p->queue.cap)
    {
      p->queue.cap = MAX (64, p->queue.cap * 2);
      p->queue.items = g_renew (PushItem, p->queue.items, p->queue.cap);
    }
  item = &p->queue.items[p->queue.len];
  item->owns_ref = p->queue.len == 0 || item[-1].stream != st;
  item->stream = item->owns_ref ? ol__stream_ref (st) : st;
  item->payload = g_bytes_ref (payload);
  item->header = (OlHeader) {
    .status = status,
    .encoding = encoding,
    .sequence = atomic_fetch_add (&st->sequence, 1) + 1,
    .timestamp = timestamp == OL__PUSH_NOW ? ol__wall_time_ns () : timestamp,
  };
  if (encoding == OL_ENCODING_IMAGE)
    item->header.image = st->image;
  p->queue.len++;
  wake = p->idle;
  p->idle = FALSE;
  ol__mutex_unlock (&p->lock);
  if (wake)
    ol__wakeup_signal (&p->wake, "the pusher");
  return TRUE;
}

/* ------------------------------------------------------------------------ */
/* OlStreamWriter */

OlStreamWriter *
ol__stream_writer_new (OlPusher *p, OlStream *st)
{
  OlStreamWriter *w = g_new0 (OlStreamWriter, 1);

  atomic_init (&w->refcount, 1);
  w->pusher = ol__pusher_ref (p);
  w->stream = ol__stream_ref (st);
  return w;
}

OlStreamWriter *
ol_stream_writer_ref (OlStreamWriter *w)
{
  g_return_val_if_fail (w != NULL, NULL);
  atomic_fetch_add (&w->refcount, 1);
  return w;
}

void
ol_stream_writer_unref (OlStreamWriter *w)
{
  if (w == NULL || atomic_fetch_sub (&w->refcount, 1) != 1)
    return;
  ol__pusher_unref (w->pusher);
  ol__stream_unref (w->stream);
  g_free (w);
}

gboolean
ol_stream_writer_push_bytes (OlStreamWriter *w, GBytes *payload, GError **error)
{
  return ol_stream_writer_push_bytes_at (w, payload, OL__PUSH_NOW, error);
}

gboolean
ol_stream_writer_push_bytes_at (OlStreamWriter *w, GBytes *payload, gint64 timestamp,
                                GError **error)
{
  OlStream *st;
  guint8 status = OL_STATUS_OK;

  g_return_val_if_fail (w != NULL && payload != NULL, FALSE);
  st = w->stream;
  if (st->encoding == OL_ENCODING_IMAGE
      && !ol__stream_check_image_size (st, g_bytes_get_size (payload), OL_ERROR_INVALID_ARGS,
                                       "not", error))
    return FALSE;
  /* JSON text of a stream with a declared form is read to be checked. */
  if (st->encoding == OL_ENCODING_JSON && ol__stream_checks_values (st))
    {
      gsize size;
      const char *text = g_bytes_get_data (payload, &size);
      json_error_t parse;
      g_autoptr (json_t) value = json_loadb (text, size, JSON_DECODE_ANY, &parse);

      if (value == NULL)
        {
          g_autofree char *why = ol__quote (parse.text, -1);
          g_set_error (error, OL_ERROR, OL_ERROR_INVALID_ARGS,
                       "stream \"%s\" has a declared form: the payload must be JSON text "
                       "(line %d, column %d: %s)", st->name, parse.line, parse.column, why);
          return FALSE;
        }
      if (!ol__stream_check_value (st, value, &status, OL_ERROR_INVALID_ARGS, error))
        return FALSE;
    }
  return ol__pusher_push (w->pusher, st, payload, status, st->encoding, timestamp, error);
}

/* ------------------------------------------------------------------------ */
/* OlStreamFrame */

/* The rings of the writer's server if same-host subscribers take the
 * stream's large payloads from them now. (transfer full) (nullable) */
static OlShmServer *
s_frame_ring (OlStreamWriter *w, gsize size)
{
  OlPusher *p = w->pusher;
  OlShmServer *shm = NULL;

  ol__mutex_lock (&p->lock);
  if (!p->closed && p->proxy != NULL && ol__proxy_shm_wanted (p->proxy, w->stream->name))
    shm = ol__proxy_shm (p->proxy);
  ol__mutex_unlock (&p->lock);
  if (shm != NULL && size < ol__shm_server_threshold (shm))
    g_clear_pointer (&shm, ol__shm_server_free);
  return shm;
}

OlStreamFrame *
ol_stream_writer_reserve (OlStreamWriter *w, gsize size, GError **error)
{
  OlStreamFrame *f;

  g_return_val_if_fail (w != NULL, NULL);
  f = g_new0 (OlStreamFrame, 1);
  f->size = size;
  f->shm = s_frame_ring (w, size);
  if (f->shm != NULL && ol__shm_server_reserve (f->shm, size, &f->slot))
    f->data = f->slot.data;
  else
    {
      g_clear_pointer (&f->shm, ol__shm_server_free);
      f->data = g_try_malloc (MAX (size, 1));
      if (f->data == NULL)
        {
          g_free (f);
          g_set_error (error, OL_ERROR, OL_ERROR_FAILED,
                       "stream \"%s\": no memory for a frame of %" G_GSIZE_FORMAT " bytes",
                       w->stream->name, size);
          return NULL;
        }
    }
  f->writer = ol_stream_writer_ref (w);
  return f;
}

guint8 *
ol_stream_frame_data (OlStreamFrame *f)
{
  g_return_val_if_fail (f != NULL, NULL);
  return f->data;
}

gsize
ol_stream_frame_size (OlStreamFrame *f)
{
  g_return_val_if_fail (f != NULL, 0);
  return f->size;
}

gboolean
ol_stream_frame_in_ring (OlStreamFrame *f)
{
  g_return_val_if_fail (f != NULL, FALSE);
  return f->shm != NULL;
}

/* The free function of a frame's payload: the slot goes back to the ring
 * (or the memory to the system) once every subscriber's copy is sent. */
static void
s_frame_done (gpointer data)
{
  OlStreamFrame *f = data;

  if (f->shm != NULL)
    {
      ol__shm_server_release (f->shm, f->slot.ring, f->slot.slot);
      ol__shm_server_free (f->shm);
    }
  else
    g_free (f->data);
  g_free (f);
}

void
ol_stream_frame_free (OlStreamFrame *f)
{
  if (f == NULL)
    return;
  /* A new generation: whatever was written there is nobody's frame. */
  if (f->shm != NULL)
    ol__shm_server_commit (f->shm, &f->slot);
  ol_stream_writer_unref (f->writer);
  s_frame_done (f);
}

gboolean
ol_stream_writer_push_frame_at (OlStreamWriter *w, OlStreamFrame *f, gint64 timestamp,
                                GError **error)
{
  g_autoptr (GBytes) payload = NULL;
  OlStreamWriter *owner;

  g_return_val_if_fail (w != NULL && f != NULL, FALSE);
  if (f->writer != w)
    {
      g_set_error (error, OL_ERROR, OL_ERROR_INVALID_ARGS,
                   "stream \"%s\": a frame reserved on another writer", w->stream->name);
      ol_stream_frame_free (f);
      return FALSE;
    }
  if (f->shm != NULL)
    ol__shm_server_commit (f->shm, &f->slot);
  owner = g_steal_pointer (&f->writer);
  payload = g_bytes_new_with_free_func (f->data, f->size, s_frame_done, f);
  OL_TSAN_RELEASE (f->data);
  {
    gboolean ok = ol_stream_writer_push_bytes_at (w, payload, timestamp, error);

    ol_stream_writer_unref (owner);
    return ok;
  }
}

gboolean
ol_stream_writer_push_frame (OlStreamWriter *w, OlStreamFrame *f, GError **error)
{
  return ol_stream_writer_push_frame_at (w, f, OL__PUSH_NOW, error);
}

static void
s_free_text (gpointer text)
{
  free (text);
}

gboolean
ol_stream_writer_push_json (OlStreamWriter *w, json_t *value, GError **error)
{
  return ol_stream_writer_push_json_at (w, value, OL__PUSH_NOW, error);
}

gboolean
ol_stream_writer_push_json_at (OlStreamWriter *w, json_t *value, gint64 timestamp,
                               GError **error)
{
  char *text;
  guint8 status;
  g_autoptr (GBytes) payload = NULL;

  g_return_val_if_fail (w != NULL && value != NULL, FALSE);
  if (w->stream->encoding != OL_ENCODING_JSON)
    {
      g_set_error (error, OL_ERROR, OL_ERROR_INVALID_ARGS,
                   "stream \"%s\" has encoding %s: push bytes, not JSON",
                   w->stream->name, ol_encoding_name (w->stream->encoding));
      return FALSE;
    }
  if (!ol__stream_check_value (w->stream, value, &status, OL_ERROR_INVALID_ARGS, error))
    return FALSE;
  text = ol_json_dumps (value, JSON_ENCODE_ANY | JSON_COMPACT);
  if (text == NULL)
    {
      g_set_error (error, OL_ERROR, OL_ERROR_INVALID_ARGS,
                   "stream \"%s\": the value cannot be encoded as JSON", w->stream->name);
      return FALSE;
    }
  payload = g_bytes_new_with_free_func (text, strlen (text), s_free_text, text);
  return ol__pusher_push (w->pusher, w->stream, payload, status, OL_ENCODING_JSON, timestamp,
                          error);
}

gboolean
ol_stream_writer_push_data (OlStreamWriter *w, const void *data, gsize size,
                            GError **error)
{
  g_autoptr (GBytes) payload = NULL;

  g_return_val_if_fail (w != NULL && (data != NULL || size == 0), FALSE);
  payload = g_bytes_new (data, size);
  return ol_stream_writer_push_bytes (w, payload, error);
}

gboolean
ol_stream_writer_push_error (OlStreamWriter *w, const GError *failure, GError **error)
{
  return ol_stream_writer_push_error_at (w, failure, OL__PUSH_NOW, error);
}

gboolean
ol_stream_writer_push_error_at (OlStreamWriter *w, const GError *failure, gint64 timestamp,
                                GError **error)
{
  g_autoptr (GBytes) payload = NULL;

  g_return_val_if_fail (w != NULL && failure != NULL, FALSE);
  payload = ol__stream_error_payload (failure);
  return ol__pusher_push (w->pusher, w->stream, payload, OL_STATUS_ERROR,
                          OL_ENCODING_JSON, timestamp, error);
}
