/* The receiver thread of OlSubscriber: it owns the SUB socket, applies the
 * subscription commands the client's thread queues, checks and decodes
 * every message and hands them to the storage in batches.
 *
 * It also reads the SUB socket's connection events (a socket monitor) and
 * keeps OlSubscriber.connection: connected from a successful handshake, not
 * connected from a disconnection (the peer closed, or heartbeats went
 * unanswered for 1.5 s) or a failed connect.
 *
 * Thread rules: the SUB socket and its monitor are created, used and closed
 * by the receiver thread only, as are the rx_ fields of OlSubscriber. The client's thread
 * queues commands under OlSubscriber.lock and signals OlSubscriber.wake;
 * it starts and stops the thread. Every wait of the thread is bounded by
 * SUB_POLL_MS, after which it looks at its stop flag.
 */
#include "streamer/subscriber_private.h"

#include <errno.h>
#include <string.h>

#include <stdatomic.h>

#include "oneliner/error.h"
#include "core/socket.h"

/* The receiver polls its stop signal at least this often. */
#define SUB_POLL_MS 100
/* Messages received per wake-up before the stop flag is looked at again
 * (the loop goes on draining right after). */
#define SUB_BATCH 1024
/* Messages stored under one lock. */
#define SUB_STORE_BATCH 64
/* Messages libzmq queues for this client before it drops the newest. */
#define SUB_RCVHWM 100000
/* How long after a connection a same-host subscriber waits for the
 * server's hello before it takes the plain topics. */
#define SUB_HELLO_MS 500

/* Which topics the streams are subscribed to (rx_shm_state). */
enum { RX_SHM_UNDECIDED, RX_SHM_OFF, RX_SHM_ON };

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
s_topic_name (OlSubscriber *s, const char *topic, gsize size)
{
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

/* The message of a descriptor (frame 4 of a message on a shared-memory
 * topic): its payload read in place in the ring, the slot leased for as
 * long as the message lives (or, when this client holds half the ring's
 * slots already, copied out: shm_copied). NULL when the frame was overwritten
 * before it could be read (counted in shm_torn; its sequence number counts
 * as missed) or the ring is unusable (rx_shm_failed: the receiver goes back
 * to the plain topics). */
static Message *
s_ring_message (OlSubscriber *s, const char *name, const OlHeader *h, zmq_msg_t *frame)
{
  GError *error = NULL;
  OlShmDesc desc;
  OlShmRead r;
  Message *msg;
  guint8 *data;

  if (!ol__shm_desc_decode (zmq_msg_data (frame), zmq_msg_size (frame), &desc, &error))
    {
      s_drop (s, "a message of stream \"%s\": %s", name, error->message);
      g_error_free (error);
      return NULL;
    }
  /* Failed already: the descriptors still on their way are lost without
   * asking the side channel again (each ask may wait for its bound). */
  if (s->rx_shm_failed)
    {
      atomic_fetch_add (&s->shm_torn, 1);
      return NULL;
    }
  r = ol__shm_reader_prepare (s->rx_shm, &desc, &error);
  if (r == OL_SHM_READ_FAILED)
    {
      g_warning ("stream subscriber (%s): %s; frames go through the socket", s->endpoint,
                 error->message);
      g_error_free (error);
      s->rx_shm_failed = TRUE;
      return NULL;
    }
  if (r == OL_SHM_READ_OK)
    {
      OlShmLease *lease;
      const guint8 *in_place;

      /* Read in place, the slot held while the message lives; copied out
       * only when this client holds half the ring already. */
      r = ol__shm_reader_lease (s->rx_shm, &desc, &lease, &in_place);
      if (r == OL_SHM_READ_OK)
        {
          atomic_fetch_add (&s->shm_frames, 1);
          return ol__message_new_leased (name, h, in_place, (gsize) desc.length, lease);
        }
    }
  if (r == OL_SHM_READ_COPY)
    {
      msg = ol__message_new_pooled (name, h, (gsize) desc.length, s->rx_blocks, &data);
      if (ol__shm_reader_copy (s->rx_shm, &desc, data) == OL_SHM_READ_OK)
        {
          atomic_fetch_add (&s->shm_frames, 1);
          atomic_fetch_add (&s->shm_copied, 1);
          return msg;
        }
      ol_stream_message_free (&msg->pub);
    }
  atomic_fetch_add (&s->shm_torn, 1);
  return NULL;
}

Message *
ol__receiver_parse (OlSubscriber *s, zmq_msg_t *frames, int n, gboolean truncated)
{
  GError *error = NULL;
  OlHeader h;
  const char *name;
  const char *topic = n > 0 ? zmq_msg_data (&frames[0]) : NULL;
  gsize topic_size = n > 0 ? zmq_msg_size (&frames[0]) : 0;
  /* A same-host subscriber's topic: 0x01 NAME 0x00; with a descriptor in
   * a fourth frame, the payload is in the ring. */
  gboolean shm = topic_size > 0 && topic[0] == OL_SHM_TOPIC_BYTE;
  gboolean ringed = shm && n == 4 && s->rx_shm != NULL && zmq_msg_size (&frames[2]) == 0;
  guint64 size;

  if (n == 2 && !truncated && s->rx_shm_allowed && topic_size == OL_SHM_HELLO_SIZE
      && memcmp (topic, s->rx_hello_topic, OL_SHM_HELLO_SIZE) == 0)
    {
      s->rx_hello = TRUE;
      return NULL;
    }
  if ((n != 3 && !ringed) || truncated)
    {
      s_drop (s, "a message of %s%d frames, not 3", truncated ? "more than " : "", n);
      return NULL;
    }
  if ((name = s_topic_name (s, topic + shm, topic_size - shm)) == NULL)
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
  size = zmq_msg_size (&frames[2]);
  if (ringed)
    {
      OlShmDesc desc;

      if (!ol__shm_desc_decode (zmq_msg_data (&frames[3]), zmq_msg_size (&frames[3]), &desc,
                                &error))
        {
          s_drop (s, "a message of stream \"%s\": %s", name, error->message);
          g_error_free (error);
          return NULL;
        }
      size = desc.length;
    }
  /* Readers may trust an image's geometry: its payload has exactly
   * width * height * pixel size bytes. */
  if (h.encoding == OL_ENCODING_IMAGE && !(h.status & (OL_STATUS_ERROR | OL__STATUS_MARK)))
    {
      guint64 expected;

      if (!ol__image_size (&h.image, &expected) || size != expected)
        {
          s_drop (s, "an image of stream \"%s\" whose %" G_GUINT64_FORMAT " bytes do not match "
                  "%" G_GUINT32_FORMAT "x%" G_GUINT32_FORMAT " pixels of format %d",
                  name, size, h.image.width, h.image.height,
                  (int) h.image.format);
          return NULL;
        }
    }
  if (ringed)
    return s_ring_message (s, name, &h, &frames[3]);
  return ol__message_new (name, &h, &frames[2]);
}

/* Stores a batch of parsed messages (streamer/storage.c) and drops those of
 * a stream that is no longer configured. Returns whether readers wait for
 * one of these streams. */
static gboolean
s_store_batch (OlSubscriber *s, Message **batch, guint n)
{
  guint kept;
  gboolean wake = ol__storage_store_batch (s, batch, n, &kept);

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
s_command_free (Command *cmd)
{
  g_free (cmd->name);
  g_free (cmd);
}

/* Subscribes to (or unsubscribes from) the topic of name that the
 * receiver uses: "NAME\0", or "\x01NAME\0" for same-host frames. */
static void
s_subscribe (OlSubscriber *s, void *sub, const char *name, gboolean subscribe, gboolean shm)
{
  char topic[1 + OL_STREAM_NAME_MAX + 1];
  gsize len = strlen (name);

  topic[0] = OL_SHM_TOPIC_BYTE;
  memcpy (topic + 1, name, len + 1);
  /* With its NUL, so that "frame" never matches "frame_2". */
  if (zmq_setsockopt (sub, subscribe ? ZMQ_SUBSCRIBE : ZMQ_UNSUBSCRIBE,
                      shm ? topic : topic + 1, len + 1 + (shm ? 1 : 0)) != 0)
    g_warning ("stream subscriber (%s): cannot %s \"%s\": %s", s->endpoint,
               subscribe ? "subscribe to" : "unsubscribe from", name,
               zmq_strerror (errno));
}

/* Moves every subscription to the topics of state: the shared-memory ones
 * (RX_SHM_ON) or the plain ones. The new topic first: no message comes
 * twice; those in flight on the old one are lost, and counted as missed. */
static void
s_shm_switch (OlSubscriber *s, void *sub, int state)
{
  GHashTableIter iter;
  gpointer name;

  if (s->rx_shm_state == state)
    return;
  g_hash_table_iter_init (&iter, s->rx_subscribed);
  while (g_hash_table_iter_next (&iter, &name, NULL))
    {
      s_subscribe (s, sub, name, TRUE, state == RX_SHM_ON);
      if (s->rx_shm_state != RX_SHM_UNDECIDED)
        s_subscribe (s, sub, name, FALSE, s->rx_shm_state == RX_SHM_ON);
    }
  s->rx_shm_state = state;
  if (state != RX_SHM_ON && s->rx_shm != NULL)
    ol__shm_reader_reset (s->rx_shm);
  atomic_store (&s->shm_active, state == RX_SHM_ON);
  g_debug ("stream subscriber (%s): frames through %s", s->endpoint,
           state == RX_SHM_ON ? "shared memory" : "the socket");
}

/* Same-host frames: on once the server said hello since the connection,
 * unless its ring failed; off when it did not within SUB_HELLO_MS. */
static void
s_shm_decide (OlSubscriber *s, void *sub)
{
  if (!s->rx_shm_allowed)
    return;
  if (s->rx_shm_failed)
    s_shm_switch (s, sub, RX_SHM_OFF);
  else if (s->rx_hello)
    s_shm_switch (s, sub, RX_SHM_ON);
  else if (s->rx_decide_at != 0 && g_get_monotonic_time () >= s->rx_decide_at)
    s_shm_switch (s, sub, RX_SHM_OFF);
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
      /* Undecided: subscribed once the server said hello or did not. */
      if (s->rx_shm_state != RX_SHM_UNDECIDED)
        s_subscribe (s, sub, cmd->name, cmd->subscribe, s->rx_shm_state == RX_SHM_ON);
      if (cmd->subscribe)
        g_hash_table_add (s->rx_subscribed, (gpointer) g_intern_string (cmd->name));
      else
        g_hash_table_remove (s->rx_subscribed, g_intern_string (cmd->name));
      s_command_free (cmd);
    }
}

/* Monitors the connection of sub (before it connects, so that no event is
 * missed); without a monitor the state stays "not connected". */
static void
s_monitor_open (OlSubscriber *s, void *sub)
{
  static atomic_uint next;
  char endpoint[64];

  g_snprintf (endpoint, sizeof endpoint, "inproc://oneliner-subscriber-monitor-%u",
              atomic_fetch_add (&next, 1));
  if (zmq_socket_monitor (sub, endpoint, ZMQ_EVENT_HANDSHAKE_SUCCEEDED
                                         | ZMQ_EVENT_DISCONNECTED
                                         | ZMQ_EVENT_CONNECT_RETRIED) != 0)
    {
      g_warning ("stream subscriber (%s): cannot monitor the connection: %s", s->endpoint,
                 zmq_strerror (errno));
      return;
    }
  s->rx_monitor = zmq_socket (ol__zmq_context (), ZMQ_PAIR);
  if (s->rx_monitor != NULL)
    ol__socket_set_common (s->rx_monitor);
  if (s->rx_monitor == NULL || zmq_connect (s->rx_monitor, endpoint) != 0)
    {
      g_warning ("stream subscriber (%s): cannot monitor the connection: %s", s->endpoint,
                 zmq_strerror (errno));
      g_clear_pointer (&s->rx_monitor, zmq_close);
      zmq_socket_monitor (sub, NULL, 0);
    }
}

static void
s_monitor_close (OlSubscriber *s, void *sub)
{
  if (s->rx_monitor == NULL)
    return;
  zmq_socket_monitor (sub, NULL, 0);
  g_clear_pointer (&s->rx_monitor, zmq_close);
}

/* Sets the connection state and tells the connection watches. */
static void
s_set_connection (OlSubscriber *s, OlStreamConnection state)
{
  gboolean changed;

  ol__mutex_lock (&s->lock);
  changed = s->connection != state;
  if (changed)
    {
      s->connection = state;
      s->connection_since = g_get_monotonic_time ();
      if (s->watch_connection > 0)
        {
          s->connection_pending = TRUE;
          if (s->dispatch == NULL)
            ol__watch_schedule_locked (s);
        }
    }
  ol__mutex_unlock (&s->lock);
  if (changed)
    g_debug ("stream subscriber (%s): %s", s->endpoint,
             state == OL_STREAM_CONNECTED ? "connected" : "connection lost");
}

/* Reads the monitor's pending events. */
static void
s_monitor_service (OlSubscriber *s)
{
  guint16 kind;

  while (ol__monitor_next_event (s->rx_monitor, &kind))
    if (kind != 0)
      {
        s_set_connection (s, kind == ZMQ_EVENT_HANDSHAKE_SUCCEEDED
                               ? OL_STREAM_CONNECTED : OL_STREAM_DISCONNECTED);
        /* A new connection, perhaps a new server: same-host frames are
         * tried again if it says hello. */
        if (kind == ZMQ_EVENT_HANDSHAKE_SUCCEEDED && s->rx_shm_allowed)
          {
            s->rx_shm_failed = FALSE;
            s->rx_hello = FALSE;
            s->rx_decide_at = g_get_monotonic_time () + SUB_HELLO_MS * 1000;
          }
        /* A server gone: its rings are let go of at once (mapped, they
         * would keep its memory alive); a server still there is asked
         * again by the next descriptor. */
        if (kind == ZMQ_EVENT_DISCONNECTED && s->rx_shm != NULL)
          ol__shm_reader_reset (s->rx_shm);
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
  ol__client_keys_apply (s->keys, sub);
  zmq_setsockopt (sub, ZMQ_RCVHWM, &hwm, sizeof hwm);
  s_monitor_open (s, sub);
  if (zmq_connect (sub, s->endpoint) != 0)
    {
      s_monitor_close (s, sub);
      g_set_error (error, OL_ERROR, OL_ERROR_SOCKET,
                   "cannot connect to stream endpoint %s: %s", s->endpoint,
                   zmq_strerror (errno));
      zmq_close (sub);
      return NULL;
    }
  return sub;
}

/* Receives one whole message without waiting for its first frame. frames
 * are 4 initialised messages that stay so across calls (zmq_msg_recv()
 * replaces their content); frames beyond the fourth are received into spill
 * and discarded (*truncated). Returns the number of frames kept, or -1 when
 * no message was ready. */
static int
s_recv (void *sub, zmq_msg_t *frames, zmq_msg_t *spill, gboolean *truncated)
{
  int n = 0;

  *truncated = FALSE;
  for (;;)
    {
      zmq_msg_t *frame = n < 4 ? &frames[n] : spill;

      if (zmq_msg_recv (frame, sub, n == 0 ? ZMQ_DONTWAIT : 0) < 0)
        return -1;
      if (n < 4)
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
  zmq_msg_t frames[5]; /* 4 kept, 1 for the frames beyond */
  gboolean wake;

  ol__startup_report (&s->startup, error);
  if (sub == NULL)
    return NULL;
  /* Same-host frames need the connection's events (to ask each new
   * server for its hello). Until it answers or not, the streams wait. */
  s->rx_shm_allowed = s->shm_wanted && ol__shm_enabled ()
                      && ol__shm_endpoint_is_local (s->endpoint)
                      && s->rx_monitor != NULL;
  s->rx_shm_state = s->rx_shm_allowed ? RX_SHM_UNDECIDED : RX_SHM_OFF;
  if (s->rx_shm_allowed)
    {
      s->rx_shm = ol__shm_reader_new ();
      s->rx_blocks = ol__block_pool_new ();
      g_snprintf ((char *) s->rx_hello_topic, sizeof s->rx_hello_topic, "%c%08x%08x",
                  OL_SHM_HELLO_BYTE, g_random_int (), g_random_int ());
      zmq_setsockopt (sub, ZMQ_SUBSCRIBE, s->rx_hello_topic, OL_SHM_HELLO_SIZE);
    }

  for (int i = 0; i < 5; i++)
    zmq_msg_init (&frames[i]);
  while (!g_atomic_int_get (&s->stop))
    {
      zmq_pollitem_t items[3] = {
        { sub, 0, ZMQ_POLLIN, 0 },
        ol__wakeup_poll_item (&s->wake),
        { s->rx_monitor, 0, ZMQ_POLLIN, 0 },
      };

      if (zmq_poll (items, s->rx_monitor != NULL ? 3 : 2, SUB_POLL_MS) < 0)
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
      if (items[2].revents & ZMQ_POLLIN)
        s_monitor_service (s);
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
                int n = s_recv (sub, frames, &frames[4], &truncated);

                if (n < 0)
                  {
                    more = FALSE;
                    break;
                  }
                if ((batch[got] = ol__receiver_parse (s, frames, n, truncated)) != NULL)
                  got++;
              }
            wake |= s_store_batch (s, batch, got);
            if (!more)
              break;
          }
      if (wake)
        ol__cond_broadcast (&s->cond);
      s_frames_empty (frames, 5);
      s_shm_decide (s, sub);
    }
  s_frames_empty (frames, 5);
  for (int i = 0; i < 5; i++)
    zmq_msg_close (&frames[i]);
  g_clear_pointer (&s->rx_shm, ol__shm_reader_free);
  g_clear_pointer (&s->rx_blocks, ol__block_pool_unref);
  s_monitor_close (s, sub);
  zmq_close (sub);
  return NULL;
}

/* ------------------------------------------------------------------------ */
/* The client's thread */

void
ol__receiver_init (OlSubscriber *s)
{
  s->wake.fd = -1;
  ol__startup_init (&s->startup);
  s->rx_names = g_hash_table_new (g_str_hash, g_str_equal);
  s->rx_subscribed = g_hash_table_new (g_str_hash, g_str_equal);
  g_queue_init (&s->commands);
}

gboolean
ol__receiver_start (OlSubscriber *s, GError **error)
{
  if (!ol__wakeup_init (&s->wake, error))
    return FALSE;
  s->thread = g_thread_try_new ("ol-subscriber", s_thread, s, error);
  if (s->thread == NULL)
    return FALSE;
  return ol__startup_wait (&s->startup, "the stream subscriber", error);
}

void
ol__receiver_stop (OlSubscriber *s)
{
  g_atomic_int_set (&s->stop, 1);
  if (s->thread != NULL)
    {
      ol__receiver_wake (s);
      g_thread_join (g_steal_pointer (&s->thread));
    }
}

void
ol__receiver_clear (OlSubscriber *s)
{
  Command *cmd;

  g_clear_pointer (&s->rx_names, g_hash_table_unref);
  g_clear_pointer (&s->rx_subscribed, g_hash_table_unref);
  while ((cmd = g_queue_pop_head (&s->commands)) != NULL)
    s_command_free (cmd);
  ol__wakeup_clear (&s->wake);
  ol__startup_clear (&s->startup);
}

void
ol__receiver_command_locked (OlSubscriber *s, gboolean subscribe, const char *name)
{
  Command *cmd = g_new (Command, 1);

  cmd->subscribe = subscribe;
  cmd->name = g_strdup (name);
  g_queue_push_tail (&s->commands, cmd);
}

void
ol__receiver_wake (OlSubscriber *s)
{
  ol__wakeup_signal (&s->wake, "the stream subscriber");
}
