/* Relayed streams: mounted servers' streams and foreign PUB sockets,
 * re-published by the stream proxy thread. */
#include "relay/relay.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "oneliner/error.h"
#include "relay/mount.h"
#include "core/lock.h"
#include "core/wakeup.h"
#include "router/wire.h"

/* Messages taken from one SUB socket in one poll round, so that a mount
 * that floods the proxy thread does not starve the server's own
 * publishers. */
#define RELAY_BATCH 1024
#define RELAY_MAX_FRAMES 16
#define RELAY_MOUNT_HWM 100000

typedef struct {
  OlStream *stream;     /* (owned) reference */
  char *endpoint;       /* (owned) */
  char *topic;          /* (owned) raw subscription prefix, "" for all */
  void *sub;            /* proxy thread only */
  gboolean subscribed;  /* proxy thread only */
  gboolean removed;     /* guarded by OlRelay.lock */
} Foreign;

/* A mount as the proxy thread sees it. */
typedef struct {
  OlMount *mount;       /* borrowed */
  gsize prefix_len;     /* strlen of the mount's prefix */
  void *sub;            /* proxy thread only */
  /* "PREFIX/" and room for a stream name and its NUL: the topic of a
   * relayed message is built here. (owned) */
  char *topic;
} Mounted;

struct OlRelay {
  OlWakeup wake;
  guint n_mounts;
  Mounted *mounts;       /* (owned) n_mounts of them */

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
s_wake (OlRelay *r)
{
  ol__wakeup_signal (&r->wake, "the stream proxy");
}

OlRelay *
ol__relay_new (GPtrArray *mounts)
{
  OlRelay *r = g_new0 (OlRelay, 1);
  g_autoptr (GError) error = NULL;

  if (!ol__wakeup_init (&r->wake, &error))
    g_error ("%s", error->message);
  r->n_mounts = mounts != NULL ? mounts->len : 0;
  r->mounts = g_new0 (Mounted, MAX (r->n_mounts, 1));
  for (guint i = 0; i < r->n_mounts; i++)
    {
      Mounted *m = &r->mounts[i];
      const char *prefix = ol__mount_prefix (mounts->pdata[i]);

      m->mount = mounts->pdata[i];
      m->prefix_len = strlen (prefix);
      m->topic = g_malloc (m->prefix_len + 1 + OL_STREAM_NAME_MAX + 1);
      memcpy (m->topic, prefix, m->prefix_len);
      m->topic[m->prefix_len] = '/';
    }
  ol__mutex_init (&r->lock);
  r->foreigns = g_ptr_array_new_with_free_func (s_foreign_free);
  r->polled = g_ptr_array_new ();
  return r;
}

void
ol__relay_free (OlRelay *r)
{
  if (r == NULL)
    return;
  for (guint i = 0; i < r->n_mounts; i++)
    {
      g_warn_if_fail (r->mounts[i].sub == NULL);
      g_free (r->mounts[i].topic);
    }
  g_free (r->mounts);
  g_ptr_array_unref (r->polled);
  g_ptr_array_unref (r->foreigns);
  ol__wakeup_clear (&r->wake);
  ol__mutex_clear (&r->lock);
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

/* Proxy thread: brings each foreign relay's socket and subscription in line
 * with its stream's state, and the polled list with the foreign relays. */
static void
s_sync_foreigns (OlRelay *r)
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
ol__relay_open (OlRelay *r, GError **error)
{
  void *ctx = ol__zmq_context ();

  for (guint i = 0; i < r->n_mounts; i++)
    {
      Mounted *m = &r->mounts[i];
      int hwm = RELAY_MOUNT_HWM;

      m->sub = zmq_socket (ctx, ZMQ_SUB);
      ol__socket_set_common (m->sub);
      zmq_setsockopt (m->sub, ZMQ_RCVHWM, &hwm, sizeof hwm);
      if (zmq_connect (m->sub, ol__mount_stream_endpoint (m->mount)) != 0)
        {
          g_set_error (error, OL_ERROR, OL_ERROR_SOCKET, "mount \"%s\": cannot connect to %s: %s",
                       ol__mount_prefix (m->mount), ol__mount_stream_endpoint (m->mount),
                       zmq_strerror (errno));
          return FALSE;
        }
    }
  s_sync_foreigns (r);
  return TRUE;
}

void
ol__relay_close (OlRelay *r)
{
  for (guint i = 0; i < r->n_mounts; i++)
    g_clear_pointer (&r->mounts[i].sub, zmq_close);
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
ol__relay_poll_items (OlRelay *r, GArray *items)
{
  zmq_pollitem_t wake = ol__wakeup_poll_item (&r->wake);

  g_array_append_val (items, wake);
  for (guint i = 0; i < r->n_mounts; i++)
    g_array_append_val (items, ((zmq_pollitem_t) { r->mounts[i].sub, 0, ZMQ_POLLIN, 0 }));
  for (guint i = 0; i < r->polled->len; i++)
    g_array_append_val (items, ((zmq_pollitem_t) {
      ((Foreign *) r->polled->pdata[i])->sub, 0, ZMQ_POLLIN, 0 }));
  return 1 + r->n_mounts + r->polled->len;
}

void
ol__relay_subscription (OlRelay *r, const guint8 *data, gsize size)
{
  gboolean subscribe;
  const char *topic;
  gsize topic_len;

  if (size < 1 || data[0] > 1)
    return;
  subscribe = data[0] == 1;
  topic = (const char *) data + 1;
  topic_len = size - 1;
  for (guint i = 0; i < r->n_mounts; i++)
    {
      const char *prefix = r->mounts[i].topic; /* "PREFIX/" */
      gsize plen = r->mounts[i].prefix_len;
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
        zmq_setsockopt (r->mounts[i].sub, subscribe ? ZMQ_SUBSCRIBE : ZMQ_UNSUBSCRIBE, upstream,
                        upstream_len);
    }
}

/* Re-publishes one message of a mounted server under its prefix, header and
 * payload moved, not copied. */
static gboolean
s_relay_mounted (Mounted *m, void *xpub, zmq_msg_t *frames, int n)
{
  gsize name_len;

  if (n != 3 || !ol__topic_check (zmq_msg_data (&frames[0]), zmq_msg_size (&frames[0]), &name_len))
    {
      g_debug ("relay: mount %s sent a message that is not a stream message",
               ol__mount_prefix (m->mount));
      return FALSE;
    }
  memcpy (m->topic + m->prefix_len + 1, zmq_msg_data (&frames[0]), name_len + 1);
  /* The three frames go together: once the first is accepted, libzmq takes
   * the rest of the message. */
  if (zmq_send (xpub, m->topic, m->prefix_len + 1 + name_len + 1, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0)
    return FALSE;
  zmq_msg_send (&frames[1], xpub, ZMQ_SNDMORE | ZMQ_DONTWAIT);
  zmq_msg_send (&frames[2], xpub, ZMQ_DONTWAIT);
  ol__mount_count_relayed (m->mount);
  return TRUE;
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
ol__relay_service (OlRelay *r, const zmq_pollitem_t *items, void *xpub)
{
  guint n_subs = r->n_mounts + r->polled->len;
  guint sent = 0;

  for (guint i = 0; i < n_subs; i++)
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
          if (i < r->n_mounts)
            sent += s_relay_mounted (&r->mounts[i], xpub, frames, n);
          else if (!truncated)
            sent += s_relay_foreign (r->polled->pdata[i - r->n_mounts], xpub, frames, n);
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
