/* Pushed streams: a bounded queue and the thread that sends it. */
#include "streamer/pusher.h"

#include <errno.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include <zmq.h>

#include "oneliner/error.h"
#include "router/startup.h"
#include "router/wire.h"
#include "streamer/proxy.h"

#define PUSHER_POLL_MS 100

typedef struct {
  OlStream *stream;   /* (owned) reference */
  OlHeader header;
  GBytes *payload;    /* (owned) */
} PushItem;

struct OlPusher {
  atomic_int refcount;
  char *inproc;         /* (owned) set by ol__pusher_start */
  int wake_fd;
  GThread *thread;      /* (owned) (nullable) */
  atomic_bool stop;

  OlStartup startup;
  OlMutex lock;         /* guards queue, closed, thread */
  GQueue queue;         /* PushItem * waiting to be sent */
  gboolean closed;      /* no more pushes accepted */
};

struct OlStreamWriter {
  atomic_int refcount;
  OlPusher *pusher;     /* (owned) reference */
  OlStream *stream;     /* (owned) reference */
};

static void
s_item_free (PushItem *item)
{
  ol__stream_unref (item->stream);
  g_bytes_unref (item->payload);
  g_free (item);
}

OlPusher *
ol__pusher_new (void)
{
  OlPusher *p = g_new0 (OlPusher, 1);

  atomic_init (&p->refcount, 1);
  p->wake_fd = eventfd (0, EFD_CLOEXEC | EFD_NONBLOCK);
  ol__mutex_init (&p->lock);
  ol__startup_init (&p->startup);
  g_queue_init (&p->queue);
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
  g_queue_clear_full (&p->queue, (GDestroyNotify) s_item_free);
  close (p->wake_fd);
  g_free (p->inproc);
  ol__startup_clear (&p->startup);
  ol__mutex_clear (&p->lock);
  g_free (p);
}

/* Sends every queued item. The queue is swapped out under the lock and sent
 * outside it, so writers never wait for the socket. */
static void
s_drain (OlPusher *p, void *pub)
{
  GQueue batch = G_QUEUE_INIT;
  uint64_t count;

  if (read (p->wake_fd, &count, sizeof count) < 0 && errno != EAGAIN)
    g_debug ("pusher: cannot read its eventfd: %s", g_strerror (errno));
  ol__mutex_lock (&p->lock);
  batch = p->queue;
  g_queue_init (&p->queue);
  ol__mutex_unlock (&p->lock);
  for (GList *l = batch.head; l != NULL; l = l->next)
    {
      PushItem *item = l->data;
      ol__stream_send (item->stream, pub, &item->header, item->payload);
    }
  g_queue_clear_full (&batch, (GDestroyNotify) s_item_free);
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

  while (!atomic_load (&p->stop))
    {
      zmq_pollitem_t item = { NULL, p->wake_fd, ZMQ_POLLIN, 0 };

      if (zmq_poll (&item, 1, PUSHER_POLL_MS) < 0 && errno != EINTR)
        {
          g_warning ("pusher: zmq_poll failed: %s", zmq_strerror (errno));
          break;
        }
      s_drain (p, pub);
    }
  s_drain (p, pub); /* what was pushed before close */
  zmq_close (pub);
  return NULL;
}

gboolean
ol__pusher_start (OlPusher *p, const char *inproc_endpoint, GError **error)
{
  GThread *thread;

  g_return_val_if_fail (p->thread == NULL, FALSE);
  p->inproc = g_strdup (inproc_endpoint);
  thread = g_thread_new ("ol-push", s_thread, p);
  ol__mutex_lock (&p->lock);
  p->thread = thread;
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
  uint64_t one = 1;

  ol__mutex_lock (&p->lock);
  p->closed = TRUE;
  thread = g_steal_pointer (&p->thread);
  ol__mutex_unlock (&p->lock);
  if (thread == NULL)
    return;
  atomic_store (&p->stop, TRUE);
  if (write (p->wake_fd, &one, sizeof one) < 0)
    g_debug ("pusher: cannot wake its thread: %s", g_strerror (errno));
  g_thread_join (thread);
}

gboolean
ol__pusher_push (OlPusher *p, OlStream *st, GBytes *payload, guint8 status,
                 OlEncoding encoding, GError **error)
{
  PushItem *item;
  gboolean was_empty;
  uint64_t one = 1;

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
  if (p->queue.length >= OL_PUSHER_QUEUE_MAX)
    {
      ol__mutex_unlock (&p->lock);
      atomic_fetch_add (&st->dropped, 1);
      g_set_error (error, OL_ERROR, OL_ERROR_BUSY,
                   "stream \"%s\": %d messages already wait to be sent; this one "
                   "was dropped", st->name, OL_PUSHER_QUEUE_MAX);
      return FALSE;
    }
  item = g_new0 (PushItem, 1);
  item->stream = ol__stream_ref (st);
  item->payload = g_bytes_ref (payload);
  item->header.status = status;
  item->header.encoding = encoding;
  if (encoding == OL_ENCODING_IMAGE)
    item->header.image = st->image;
  item->header.sequence = atomic_fetch_add (&st->sequence, 1) + 1;
  item->header.timestamp = ol__wall_time_ns ();
  was_empty = p->queue.length == 0;
  g_queue_push_tail (&p->queue, item);
  ol__mutex_unlock (&p->lock);
  if (was_empty && write (p->wake_fd, &one, sizeof one) < 0 && errno != EAGAIN)
    g_debug ("pusher: cannot wake its thread: %s", g_strerror (errno));
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
  OlStream *st;

  g_return_val_if_fail (w != NULL && payload != NULL, FALSE);
  st = w->stream;
  if (st->encoding == OL_ENCODING_IMAGE
      && g_bytes_get_size (payload)
           != (gsize) st->image.width * st->image.height * ol_pixel_format_size (st->image.format))
    {
      g_set_error (error, OL_ERROR, OL_ERROR_INVALID_ARGS,
                   "stream \"%s\": an image of %ux%u %s needs %" G_GSIZE_FORMAT
                   " bytes, not %" G_GSIZE_FORMAT, st->name, st->image.width,
                   st->image.height, ol__pixel_format_name (st->image.format),
                   (gsize) st->image.width * st->image.height
                     * ol_pixel_format_size (st->image.format),
                   g_bytes_get_size (payload));
      return FALSE;
    }
  return ol__pusher_push (w->pusher, st, payload, OL_STATUS_OK, st->encoding, error);
}

static void
s_free_text (gpointer text)
{
  free (text);
}

gboolean
ol_stream_writer_push_json (OlStreamWriter *w, json_t *value, GError **error)
{
  char *text;
  g_autoptr (GBytes) payload = NULL;

  g_return_val_if_fail (w != NULL && value != NULL, FALSE);
  if (w->stream->encoding != OL_ENCODING_JSON)
    {
      g_set_error (error, OL_ERROR, OL_ERROR_INVALID_ARGS,
                   "stream \"%s\" has encoding %s: push bytes, not JSON",
                   w->stream->name, ol_encoding_name (w->stream->encoding));
      return FALSE;
    }
  text = json_dumps (value, JSON_ENCODE_ANY | JSON_COMPACT);
  if (text == NULL)
    {
      g_set_error (error, OL_ERROR, OL_ERROR_INVALID_ARGS,
                   "stream \"%s\": the value cannot be encoded as JSON", w->stream->name);
      return FALSE;
    }
  payload = g_bytes_new_with_free_func (text, strlen (text), s_free_text, text);
  return ol__pusher_push (w->pusher, w->stream, payload, OL_STATUS_OK,
                          OL_ENCODING_JSON, error);
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
  json_t *e;
  char *text;
  g_autoptr (GBytes) payload = NULL;

  g_return_val_if_fail (w != NULL && failure != NULL, FALSE);
  e = ol__wire_error_to_json (failure);
  text = json_dumps (e, JSON_COMPACT);
  json_decref (e);
  payload = g_bytes_new_with_free_func (text, strlen (text), s_free_text, text);
  return ol__pusher_push (w->pusher, w->stream, payload, OL_STATUS_ERROR,
                          OL_ENCODING_JSON, error);
}
