/* Relayed streams: the messages of plain ZeroMQ PUB sockets, re-published
 * by the stream proxy thread. */
#include "streamer/relayed.h"
#include "streamer/shm.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "oneliner/error.h"
#include "core/lock.h"
#include "core/wakeup.h"
#include "core/clock.h"
#include "core/frames.h"
#include "core/socket.h"

/* Messages taken from one SUB socket in one poll round, so that a source
 * that floods the proxy thread does not starve the server's own
 * publishers. */
#define RELAY_BATCH 1024
#define RELAY_MAX_FRAMES 16

typedef struct {
  OlStream *stream;     /* (owned) reference */
  char *endpoint;       /* (owned) */
  char *topic;          /* (owned) raw subscription prefix, "" for all */
  void *sub;            /* proxy thread only */
  gboolean subscribed;  /* proxy thread only */
  gboolean removed;     /* guarded by OlRelayed.lock */
} Foreign;

struct OlRelayed {
  OlWakeup wake;

  OlMutex lock;          /* guards foreigns (the array, and removed flags) */
  GPtrArray *foreigns;   /* (owned) Foreign * */

  /* Proxy thread only: the foreign relays polled, in the order of their
   * poll items; borrowed from foreigns, which only that thread shrinks. */
  GPtrArray *polled;
};

static void
s_foreign_free (gpointer data)
{
  Foreign *f = data;

  g_clear_pointer (&f->sub, zmq_close);
  ol__stream_unref (f->stream);
  g_free (f->endpoint);
  g_free (f->topic);
  g_free (f);
}

static void
s_wake (OlRelayed *r)
{
  ol__wakeup_signal (&r->wake, "the stream proxy");
}

OlRelayed *
ol__relayed_new (void)
{
  OlRelayed *r = g_new0 (OlRelayed, 1);
  g_autoptr (GError) error = NULL;

  if (!ol__wakeup_init (&r->wake, &error))
    g_error ("%s", error->message);
  ol__mutex_init (&r->lock);
  r->foreigns = g_ptr_array_new_with_free_func (s_foreign_free);
  r->polled = g_ptr_array_new ();
  return r;
}

void
ol__relayed_free (OlRelayed *r)
{
  if (r == NULL)
    return;
  g_ptr_array_unref (r->polled);
  g_ptr_array_unref (r->foreigns);
  ol__wakeup_clear (&r->wake);
  ol__mutex_clear (&r->lock);
  g_free (r);
}

void
ol__relayed_add (OlRelayed *r, OlStream *stream)
{
  Foreign *f = g_new0 (Foreign, 1);

  f->stream = ol__stream_ref (stream);
  f->endpoint = g_strdup (stream->endpoint);
  f->topic = g_strdup (stream->upstream_topic ? stream->upstream_topic : "");
  ol__mutex_lock (&r->lock);
  g_ptr_array_add (r->foreigns, f);
  ol__mutex_unlock (&r->lock);
  s_wake (r);
}

void
ol__relayed_remove (OlRelayed *r, OlStream *stream)
{
  ol__mutex_lock (&r->lock);
  for (guint i = 0; i < r->foreigns->len; i++)
    if (((Foreign *) r->foreigns->pdata[i])->stream == stream)
      ((Foreign *) r->foreigns->pdata[i])->removed = TRUE;
  ol__mutex_unlock (&r->lock);
  s_wake (r);
}

void
ol__relayed_refresh (OlRelayed *r)
{
  s_wake (r);
}

/* Proxy thread: brings each foreign relay's socket and subscription in line
 * with its stream's state, and the polled list with the foreign relays. */
static void
s_sync_foreigns (OlRelayed *r)
{
  ol__mutex_lock (&r->lock);
  g_ptr_array_set_size (r->polled, 0);
  for (guint i = 0; i < r->foreigns->len;)
    {
      Foreign *f = r->foreigns->pdata[i];
      gboolean want;

      if (f->removed)
        {
          g_ptr_array_remove_index (r->foreigns, i);
          continue;
        }
      if (f->sub == NULL)
        {
          f->sub = zmq_socket (ol__zmq_context (), ZMQ_SUB);
          ol__socket_set_common (f->sub);
          if (zmq_connect (f->sub, f->endpoint) != 0)
            g_warning ("relay %s: cannot connect to %s: %s", f->stream->name, f->endpoint,
                       zmq_strerror (errno));
        }
      want = atomic_load (&f->stream->enabled);
      if (want != f->subscribed)
        {
          zmq_setsockopt (f->sub, want ? ZMQ_SUBSCRIBE : ZMQ_UNSUBSCRIBE, f->topic,
                          strlen (f->topic));
          f->subscribed = want;
        }
      g_ptr_array_add (r->polled, f);
      i++;
    }
  ol__mutex_unlock (&r->lock);
}

gboolean
ol__relayed_open (OlRelayed *r, GError **error)
{
  (void) error;
  s_sync_foreigns (r);
  return TRUE;
}

void
ol__relayed_close (OlRelayed *r)
{
  g_ptr_array_set_size (r->polled, 0);
  ol__mutex_lock (&r->lock);
  for (guint i = 0; i < r->foreigns->len; i++)
    {
      Foreign *f = r->foreigns->pdata[i];
      g_clear_pointer (&f->sub, zmq_close);
      f->subscribed = FALSE;
    }
  ol__mutex_unlock (&r->lock);
}

guint
ol__relayed_poll_items (OlRelayed *r, GArray *items)
{
  zmq_pollitem_t wake = ol__wakeup_poll_item (&r->wake);

  g_array_append_val (items, wake);
  for (guint i = 0; i < r->polled->len; i++)
    g_array_append_val (items, ((zmq_pollitem_t) {
      ((Foreign *) r->polled->pdata[i])->sub, 0, ZMQ_POLLIN, 0 }));
  return 1 + r->polled->len;
}

/* Wraps one message of a foreign PUB socket: a single frame is the payload;
 * of several, the first is its topic and the rest, joined, the payload. */
static gboolean
s_relay_foreign (Foreign *f, void *xpub, zmq_msg_t *frames, int n)
{
  OlStream *st = f->stream;
  OlHeader header = { 0 };
  g_autoptr (GBytes) payload = NULL;

  if (!atomic_load (&st->enabled))
    return FALSE; /* still in flight after the unsubscription */
  /* A oneliner server's same-host messages (topic 0x01 NAME 0x00) and
   * hellos (0x02 ...) are for the subscribers that asked for them. */
  if (n >= 2 && zmq_msg_size (&frames[0]) > 0
      && (((const guint8 *) zmq_msg_data (&frames[0]))[0] == OL_SHM_TOPIC_BYTE
          || ((const guint8 *) zmq_msg_data (&frames[0]))[0] == OL_SHM_HELLO_BYTE))
    return FALSE;
  /* A oneliner server's sequence mark carries no data. */
  if (n == 3 && zmq_msg_size (&frames[2]) == 0
      && ol__header_decode (zmq_msg_data (&frames[1]), zmq_msg_size (&frames[1]), &header, NULL)
      && (header.status & OL__STATUS_MARK))
    return FALSE;
  header = (OlHeader) { 0 };
  if (n == 1)
    payload = ol__wire_frame_to_bytes (&frames[0]);
  else if (n == 2)
    payload = ol__wire_frame_to_bytes (&frames[1]);
  else
    {
      GByteArray *joined = g_byte_array_new ();
      for (int i = 1; i < n; i++)
        g_byte_array_append (joined, zmq_msg_data (&frames[i]), (guint) zmq_msg_size (&frames[i]));
      payload = g_byte_array_free_to_bytes (joined);
    }
  header.encoding = OL_ENCODING_RAW;
  header.sequence = atomic_fetch_add (&st->sequence, 1) + 1;
  header.timestamp = ol__wall_time_ns ();
  return ol__stream_send (st, xpub, &header, payload);
}

guint
ol__relayed_service (OlRelayed *r, const zmq_pollitem_t *items, void *xpub)
{
  guint sent = 0;

  for (guint i = 0; i < r->polled->len; i++)
    {
      void *sub = items[1 + i].socket;

      if (!(items[1 + i].revents & ZMQ_POLLIN))
        continue;
      for (int k = 0; k < RELAY_BATCH; k++)
        {
          zmq_msg_t frames[RELAY_MAX_FRAMES];
          gboolean truncated;
          int n = ol__wire_recv_multipart (sub, frames, RELAY_MAX_FRAMES, &truncated);

          if (n < 0)
            break;
          if (!truncated)
            sent += s_relay_foreign (r->polled->pdata[i], xpub, frames, n);
          ol__wire_close_frames (frames, n);
        }
    }
  /* Foreign relays added, removed, enabled or disabled: applied after the
   * messages, whose poll items came from the list as it was. */
  if (items[0].revents & ZMQ_POLLIN)
    {
      ol__wakeup_drain (&r->wake);
      s_sync_foreigns (r);
    }
  return sent;
}
