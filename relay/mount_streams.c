/* The streams of mounted servers: one SUB socket per mount, plugged into the
 * server's stream proxy thread (streamer/proxy.h), which re-publishes their
 * messages under the mount's prefix and hands them the subscriptions that
 * arrive from downstream. */
#include "relay/mount_streams.h"

#include <errno.h>
#include <string.h>

#include "core/frames.h"
#include "core/socket.h"
#include "oneliner/error.h"
#include "streamer/header.h"
#include "streamer/stream.h"

/* Messages taken from one SUB socket in one poll round, so that a mount
 * that floods the proxy thread does not starve the server's own
 * publishers. */
#define MOUNT_BATCH 1024
#define MOUNT_MAX_FRAMES 16
#define MOUNT_HWM 100000

/* A mount as the proxy thread sees it. */
typedef struct {
  OlMount *mount;       /* borrowed */
  gsize prefix_len;     /* strlen of the mount's prefix */
  void *sub;            /* proxy thread only */
  /* "PREFIX/" and room for a stream name and its NUL: the topic of a
   * relayed message is built here. (owned) */
  char *topic;
} Mounted;

struct OlMountStreams {
  GPtrArray *mounts;     /* OlMount *, borrowed; fixed once the proxy runs */
  /* Proxy thread only, between open and close: */
  guint n_mounts;
  Mounted *mounted;      /* (owned) n_mounts of them */
};

OlMountStreams *
ol__mount_streams_new (GPtrArray *mounts)
{
  OlMountStreams *r = g_new0 (OlMountStreams, 1);

  r->mounts = mounts;
  return r;
}

static void
s_close (gpointer data)
{
  OlMountStreams *r = data;

  for (guint i = 0; i < r->n_mounts; i++)
    {
      g_clear_pointer (&r->mounted[i].sub, zmq_close);
      g_free (r->mounted[i].topic);
    }
  g_clear_pointer (&r->mounted, g_free);
  r->n_mounts = 0;
}

void
ol__mount_streams_free (OlMountStreams *r)
{
  if (r == NULL)
    return;
  g_warn_if_fail (r->mounted == NULL);
  g_free (r);
}

static gboolean
s_open (gpointer data, GError **error)
{
  OlMountStreams *r = data;
  void *ctx = ol__zmq_context ();

  r->n_mounts = r->mounts->len;
  r->mounted = g_new0 (Mounted, MAX (r->n_mounts, 1));
  for (guint i = 0; i < r->n_mounts; i++)
    {
      Mounted *m = &r->mounted[i];
      const char *prefix = ol__mount_prefix (r->mounts->pdata[i]);
      int hwm = MOUNT_HWM;

      m->mount = r->mounts->pdata[i];
      m->prefix_len = strlen (prefix);
      m->topic = g_malloc (m->prefix_len + 1 + OL_STREAM_NAME_MAX + 1);
      memcpy (m->topic, prefix, m->prefix_len);
      m->topic[m->prefix_len] = '/';
      m->sub = zmq_socket (ctx, ZMQ_SUB);
      ol__socket_set_common (m->sub);
      zmq_setsockopt (m->sub, ZMQ_RCVHWM, &hwm, sizeof hwm);
      ol__client_keys_apply (ol__mount_keys (m->mount), m->sub);
      if (zmq_connect (m->sub, ol__mount_stream_endpoint (m->mount)) != 0)
        {
          g_set_error (error, OL_ERROR, OL_ERROR_SOCKET, "mount \"%s\": cannot connect to %s: %s",
                       prefix, ol__mount_stream_endpoint (m->mount), zmq_strerror (errno));
          return FALSE;
        }
    }
  return TRUE;
}

static guint
s_poll_items (gpointer data, GArray *items)
{
  OlMountStreams *r = data;

  for (guint i = 0; i < r->n_mounts; i++)
    g_array_append_val (items, ((zmq_pollitem_t) { r->mounted[i].sub, 0, ZMQ_POLLIN, 0 }));
  return r->n_mounts;
}

static void
s_subscription (gpointer user_data, const guint8 *data, gsize size)
{
  OlMountStreams *r = user_data;
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
      const char *prefix = r->mounted[i].topic; /* "PREFIX/" */
      gsize plen = r->mounted[i].prefix_len;
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
        zmq_setsockopt (r->mounted[i].sub, subscribe ? ZMQ_SUBSCRIBE : ZMQ_UNSUBSCRIBE, upstream,
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

static guint
s_service (gpointer data, const zmq_pollitem_t *items, void *xpub)
{
  OlMountStreams *r = data;
  guint sent = 0;

  for (guint i = 0; i < r->n_mounts; i++)
    {
      if (!(items[i].revents & ZMQ_POLLIN))
        continue;
      for (int k = 0; k < MOUNT_BATCH; k++)
        {
          zmq_msg_t frames[MOUNT_MAX_FRAMES];
          gboolean truncated;
          int n = ol__wire_recv_multipart (items[i].socket, frames, MOUNT_MAX_FRAMES, &truncated);

          if (n < 0)
            break;
          sent += s_relay_mounted (&r->mounted[i], xpub, frames, n);
          ol__wire_close_frames (frames, n);
        }
    }
  return sent;
}

const OlProxyPlug ol__mount_streams_plug = {
  .open = s_open,
  .close = s_close,
  .poll_items = s_poll_items,
  .service = s_service,
  .subscription = s_subscription,
};
