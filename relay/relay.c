/* The relay thread: mounted servers' streams and foreign PUB sockets. */
#include "relay/relay.h"

#include <errno.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include <zmq.h>

#include "oneliner/error.h"
#include "relay/mount.h"
#include "router/lock.h"
#include "router/startup.h"
#include "router/wire.h"
#include "streamer/proxy.h"

#define RELAY_POLL_MS 100
#define RELAY_BATCH 1024
#define RELAY_MAX_FRAMES 16

typedef struct {
  OlStream *stream;     /* (owned) reference */
  char *endpoint;       /* (owned) */
  char *topic;          /* (owned) raw subscription prefix, "" for all */
  void *sub;            /* relay thread only */
  gboolean subscribed;  /* relay thread only */
  gboolean removed;     /* guarded by OlRelay.lock */
} Foreign;

struct OlRelay {
  char *inproc;          /* (owned) */
  GPtrArray *mounts;     /* OlMount *, borrowed */
  GThread *thread;       /* (owned) */
  int wake_fd;
  atomic_bool stop;
  OlStartup startup;

  OlMutex lock;          /* guards foreigns (the array, and removed flags) */
  GPtrArray *foreigns;   /* (owned) Foreign * */
};

static void
s_foreign_free (gpointer data)
{
  Foreign *f = data;

  if (f->sub != NULL)
    zmq_close (f->sub);
  ol__stream_unref (f->stream);
  g_free (f->endpoint);
  g_free (f->topic);
  g_free (f);
}

static void
s_wake (OlRelay *r)
{
  uint64_t one = 1;

  if (write (r->wake_fd, &one, sizeof one) < 0 && errno != EAGAIN)
    g_debug ("relay: cannot wake its thread: %s", g_strerror (errno));
}

/* Applies a downstream (un)subscription seen on the feeder to the mounts. */
static void
s_mount_subscription (OlRelay *r, void **subs, const guint8 *data, gsize size)
{
  gboolean subscribe = data[0] == 1;
  const char *topic = (const char *) data + 1;
  gsize topic_len = size - 1;

  for (guint i = 0; i < r->mounts->len; i++)
    {
      const char *prefix = ol__mount_prefix (r->mounts->pdata[i]);
      gsize plen = strlen (prefix);
      const char *upstream = NULL;
      gsize upstream_len = 0;

      if (topic_len > plen && memcmp (topic, prefix, plen) == 0 && topic[plen] == '/')
        {
          upstream = topic + plen + 1;
          upstream_len = topic_len - plen - 1;
        }
      else if (topic_len <= plen + 1
               && memcmp (topic, prefix, MIN (topic_len, plen)) == 0
               && (topic_len <= plen || topic[plen] == '/'))
        {
          /* A shorter prefix ("" for everything) covers all the mount's streams. */
          upstream = "";
          upstream_len = 0;
        }
      if (upstream != NULL)
        zmq_setsockopt (subs[i], subscribe ? ZMQ_SUBSCRIBE : ZMQ_UNSUBSCRIBE, upstream,
                        upstream_len);
    }
}

/* Re-publishes one message of a mounted server under its prefix, header and
 * payload moved, not copied. */
static void
s_relay_mounted (OlMount *m, void *feeder, zmq_msg_t *frames, int n)
{
  gsize name_len;
  g_autofree char *topic = NULL;
  gsize topic_len;

  if (n != 3 || !ol__topic_check (zmq_msg_data (&frames[0]), zmq_msg_size (&frames[0]), &name_len))
    {
      g_debug ("relay: mount %s sent a message that is not a stream message", ol__mount_prefix (m));
      return;
    }
  topic = g_strdup_printf ("%s/%s", ol__mount_prefix (m), (const char *) zmq_msg_data (&frames[0]));
  topic_len = strlen (topic) + 1;
  if (zmq_send (feeder, topic, topic_len, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0)
    return;
  zmq_msg_send (&frames[1], feeder, ZMQ_SNDMORE);
  zmq_msg_send (&frames[2], feeder, 0);
  ol__mount_count_relayed (m);
}

/* Wraps one message of a foreign PUB socket: a single frame is the payload;
 * of several, the first is its topic and the rest, joined, the payload. */
static void
s_relay_foreign (Foreign *f, void *feeder, zmq_msg_t *frames, int n)
{
  OlStream *st = f->stream;
  OlHeader header = { 0 };
  g_autoptr (GBytes) payload = NULL;

  if (!atomic_load (&st->enabled))
    return; /* still in flight after the unsubscription */
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
  ol__stream_send (st, feeder, &header, payload);
}

/* Brings each foreign relay's socket and subscription in line with its
 * stream's state. */
static void
s_sync_foreigns (OlRelay *r)
{
  ol__mutex_lock (&r->lock);
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
      i++;
    }
  ol__mutex_unlock (&r->lock);
}

static gpointer
s_thread (gpointer data)
{
  OlRelay *r = data;
  void *ctx = ol__zmq_context ();
  void *feeder = zmq_socket (ctx, ZMQ_XPUB);
  g_autofree void **subs = g_new0 (void *, MAX (r->mounts->len, 1));
  g_autoptr (GArray) items = g_array_new (FALSE, TRUE, sizeof (zmq_pollitem_t));
  GError *error = NULL;

  ol__proxy_set_feeder_options (feeder);
  if (zmq_connect (feeder, r->inproc) != 0)
    error = g_error_new (OL_ERROR, OL_ERROR_SOCKET, "relay: cannot connect %s: %s", r->inproc,
                         zmq_strerror (errno));
  for (guint i = 0; error == NULL && i < r->mounts->len; i++)
    {
      OlMount *m = r->mounts->pdata[i];
      int hwm = 100000;

      subs[i] = zmq_socket (ctx, ZMQ_SUB);
      ol__socket_set_common (subs[i]);
      zmq_setsockopt (subs[i], ZMQ_RCVHWM, &hwm, sizeof hwm);
      if (zmq_connect (subs[i], ol__mount_stream_endpoint (m)) != 0)
        error = g_error_new (OL_ERROR, OL_ERROR_SOCKET, "mount \"%s\": cannot connect to %s: %s",
                             ol__mount_prefix (m), ol__mount_stream_endpoint (m),
                             zmq_strerror (errno));
    }
  ol__startup_report (&r->startup, error);

  while (error == NULL && !atomic_load (&r->stop))
    {
      zmq_pollitem_t *it;
      guint n_mounts = r->mounts->len;
      guint n_foreign;

      s_sync_foreigns (r);
      g_array_set_size (items, 0);
      g_array_append_val (items, ((zmq_pollitem_t) { feeder, 0, ZMQ_POLLIN, 0 }));
      g_array_append_val (items, ((zmq_pollitem_t) { NULL, r->wake_fd, ZMQ_POLLIN, 0 }));
      for (guint i = 0; i < n_mounts; i++)
        g_array_append_val (items, ((zmq_pollitem_t) { subs[i], 0, ZMQ_POLLIN, 0 }));
      ol__mutex_lock (&r->lock);
      n_foreign = r->foreigns->len;
      for (guint i = 0; i < n_foreign; i++)
        g_array_append_val (items, ((zmq_pollitem_t) {
          ((Foreign *) r->foreigns->pdata[i])->sub, 0, ZMQ_POLLIN, 0 }));
      ol__mutex_unlock (&r->lock);
      it = (zmq_pollitem_t *) items->data;

      if (zmq_poll (it, (int) items->len, RELAY_POLL_MS) < 0)
        {
          if (errno == EINTR)
            continue;
          g_warning ("relay: zmq_poll failed: %s", zmq_strerror (errno));
          break;
        }
      if (it[1].revents & ZMQ_POLLIN)
        {
          uint64_t count;
          if (read (r->wake_fd, &count, sizeof count) < 0 && errno != EAGAIN)
            g_debug ("relay: cannot read its eventfd: %s", g_strerror (errno));
        }
      /* Downstream subscriptions. */
      for (int k = 0; k < RELAY_BATCH; k++)
        {
          zmq_msg_t msg;

          zmq_msg_init (&msg);
          if (zmq_msg_recv (&msg, feeder, ZMQ_DONTWAIT) < 0)
            {
              zmq_msg_close (&msg);
              break;
            }
          if (zmq_msg_size (&msg) >= 1 && ((guint8 *) zmq_msg_data (&msg))[0] <= 1)
            s_mount_subscription (r, subs, zmq_msg_data (&msg), zmq_msg_size (&msg));
          zmq_msg_close (&msg);
        }
      /* Messages. */
      for (guint i = 0; i < n_mounts + n_foreign; i++)
        {
          void *sub = it[2 + i].socket;
          Foreign *f = NULL;

          if (!(it[2 + i].revents & ZMQ_POLLIN))
            continue;
          if (i >= n_mounts)
            {
              ol__mutex_lock (&r->lock);
              f = r->foreigns->pdata[i - n_mounts];
              ol__mutex_unlock (&r->lock);
            }
          for (int k = 0; k < RELAY_BATCH; k++)
            {
              zmq_msg_t frames[RELAY_MAX_FRAMES];
              gboolean truncated;
              int n = ol__wire_recv_multipart (sub, frames, RELAY_MAX_FRAMES, &truncated);

              if (n < 0)
                break;
              if (f == NULL)
                s_relay_mounted (r->mounts->pdata[i], feeder, frames, n);
              else if (!truncated)
                s_relay_foreign (f, feeder, frames, n);
              ol__wire_close_frames (frames, n);
            }
        }
    }
  for (guint i = 0; i < r->mounts->len; i++)
    if (subs[i] != NULL)
      zmq_close (subs[i]);
  ol__mutex_lock (&r->lock);
  /* The foreign sockets are this thread's: close them here. */
  for (guint i = 0; i < r->foreigns->len; i++)
    {
      Foreign *f = r->foreigns->pdata[i];
      g_clear_pointer (&f->sub, zmq_close);
    }
  ol__mutex_unlock (&r->lock);
  zmq_close (feeder);
  return NULL;
}

OlRelay *
ol__relay_start (const char *inproc_endpoint, GPtrArray *mounts, GError **error)
{
  OlRelay *r = g_new0 (OlRelay, 1);

  r->inproc = g_strdup (inproc_endpoint);
  r->mounts = mounts;
  r->wake_fd = eventfd (0, EFD_CLOEXEC | EFD_NONBLOCK);
  ol__mutex_init (&r->lock);
  ol__startup_init (&r->startup);
  r->foreigns = g_ptr_array_new_with_free_func (s_foreign_free);
  r->thread = g_thread_new ("ol-relay", s_thread, r);
  if (!ol__startup_wait (&r->startup, "the relay thread", error))
    {
      ol__relay_free (r);
      return NULL;
    }
  return r;
}

void
ol__relay_free (OlRelay *r)
{
  if (r == NULL)
    return;
  atomic_store (&r->stop, TRUE);
  s_wake (r);
  g_thread_join (r->thread);
  g_ptr_array_unref (r->foreigns);
  close (r->wake_fd);
  ol__startup_clear (&r->startup);
  ol__mutex_clear (&r->lock);
  g_free (r->inproc);
  g_free (r);
}

void
ol__relay_add (OlRelay *r, OlStream *stream, const char *endpoint, const char *topic)
{
  Foreign *f = g_new0 (Foreign, 1);

  f->stream = ol__stream_ref (stream);
  f->endpoint = g_strdup (endpoint);
  f->topic = g_strdup (topic ? topic : "");
  ol__mutex_lock (&r->lock);
  g_ptr_array_add (r->foreigns, f);
  ol__mutex_unlock (&r->lock);
  s_wake (r);
}

void
ol__relay_remove (OlRelay *r, OlStream *stream)
{
  ol__mutex_lock (&r->lock);
  for (guint i = 0; i < r->foreigns->len; i++)
    if (((Foreign *) r->foreigns->pdata[i])->stream == stream)
      ((Foreign *) r->foreigns->pdata[i])->removed = TRUE;
  ol__mutex_unlock (&r->lock);
  s_wake (r);
}

void
ol__relay_refresh (OlRelay *r)
{
  s_wake (r);
}
