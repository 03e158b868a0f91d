/* The stream proxy thread: XSUB/XPUB, the relayed streams' and the plug's
 * SUB sockets. */
#include "streamer/proxy.h"

#include <errno.h>
#include <string.h>
#include <stdatomic.h>
#include <unistd.h>
#include <zmq.h>

#include "oneliner/error.h"
#include "core/startup.h"
#include "core/wakeup.h"
#include "core/lock.h"
#include "core/socket.h"
#include "core/tsan.h"
#include "streamer/header.h"
#include "streamer/shm.h"

#define PROXY_POLL_MS 100
#define PROXY_BATCH 1024
#define PROXY_HWM 100000

/* What the XPUB's subscribers asked for of one stream: its exact topic
 * "NAME\0", its shared-memory topic "\x01NAME\0" (docs/PROTOCOL.md,
 * "Same-host frames"). */
#define SUB_PLAIN 1u
#define SUB_SHM 2u

struct OlProxy {
  char *inproc;          /* (owned) */
  char *bind;            /* (owned) */
  char *endpoint;        /* (owned) resolved public endpoint; set before ready */
  const OlZapDomain *zap; /* (nullable) borrowed */
  OlRelayed *relayed;    /* borrowed; its sockets are this thread's */
  const OlProxyPlug *plug; /* (nullable) its sockets are this thread's */
  gpointer plug_data;
  GThread *thread;       /* (owned) */
  OlWakeup wake;
  atomic_bool stop;
  atomic_uint_fast64_t forwarded;
  atomic_uint_fast64_t shm_frames; /* frames written into the ring */

  /* The proxy thread only: same-host frames (streamer/shm.h). */
  OlShmServer *shm;      /* (owned) (nullable) NULL when ONELINER_SHM=0 */
  GHashTable *subs;      /* (owned) stream name -> SUB_PLAIN | SUB_SHM;
                            written by the proxy thread under subs_lock,
                            read by it without, by others under subs_lock */
  OlMutex subs_lock;
  guint n_shm;           /* names with SUB_SHM */
  void *feeder;          /* PUB to the XSUB: relayed and mounted messages
                            go through it while n_shm > 0 */

  OlStartup startup;
};

void
ol__proxy_set_feeder_options (void *pub)
{
  int hwm = PROXY_HWM;
  int nodrop = 1;
  int linger = 0;

  zmq_setsockopt (pub, ZMQ_SNDHWM, &hwm, sizeof hwm);
  zmq_setsockopt (pub, ZMQ_XPUB_NODROP, &nodrop, sizeof nodrop);
  zmq_setsockopt (pub, ZMQ_LINGER, &linger, sizeof linger);
}

static void
s_send (zmq_msg_t *msg, void *dst, int flags)
{
  /* XPUB never blocks: a subscriber whose queue is full misses the
   * message, which it sees as a gap in the stream's sequence numbers. */
  if (zmq_msg_send (msg, dst, flags | ZMQ_DONTWAIT) < 0)
    {
      zmq_msg_close (msg);
      zmq_msg_init (msg);
    }
}

/* Whether a same-host subscriber asked for the stream of this topic frame. */
static gboolean
s_shm_wanted (OlProxy *p, zmq_msg_t *topic)
{
  gsize len;

  if (!ol__topic_check (zmq_msg_data (topic), zmq_msg_size (topic), &len))
    return FALSE;
  return (GPOINTER_TO_UINT (g_hash_table_lookup (p->subs, zmq_msg_data (topic))) & SUB_SHM) != 0;
}

/* Publishes a stream message whose topic frame is in msg both on its topic
 * (for plain subscribers; dropped by the XPUB at no cost when there are
 * none) and on its shared-memory topic: a large payload through the ring
 * and a descriptor, anything else inline. The rest of the message is
 * received from src. */
static void
s_publish_shm (OlProxy *p, void *src, void *dst, zmq_msg_t *msg)
{
  zmq_msg_t head, payload, head2, payload2;
  guint8 topic[1 + OL_STREAM_NAME_MAX + 1];
  guint8 desc_buf[OL_SHM_DESC_MAX];
  gsize topic_len = zmq_msg_size (msg), desc_len = 0;
  gboolean ringed = FALSE;

  topic[0] = OL_SHM_TOPIC_BYTE;
  memcpy (topic + 1, zmq_msg_data (msg), topic_len);
  zmq_msg_init (&head);
  zmq_msg_init (&payload);
  /* Not a stream message after all (not 3 frames): passed on as it is. */
  if (zmq_msg_recv (&head, src, 0) < 0 || !zmq_msg_more (&head))
    {
      s_send (msg, dst, ZMQ_SNDMORE);
      s_send (&head, dst, 0);
      zmq_msg_close (&head);
      zmq_msg_close (&payload);
      return;
    }
  if (zmq_msg_recv (&payload, src, 0) < 0 || zmq_msg_more (&payload))
    {
      int more = zmq_msg_more (&payload);

      s_send (msg, dst, ZMQ_SNDMORE);
      s_send (&head, dst, ZMQ_SNDMORE);
      s_send (&payload, dst, more ? ZMQ_SNDMORE : 0);
      while (more && zmq_msg_recv (&payload, src, 0) >= 0)
        {
          more = zmq_msg_more (&payload);
          s_send (&payload, dst, more ? ZMQ_SNDMORE : 0);
        }
      zmq_msg_close (&head);
      zmq_msg_close (&payload);
      return;
    }
  zmq_msg_init (&head2);
  zmq_msg_init (&payload2);
  zmq_msg_copy (&head2, &head);
  if (p->shm != NULL && zmq_msg_size (&payload) >= ol__shm_server_threshold (p->shm)
      && zmq_msg_size (&head) == OL_HEADER_SIZE
      && !(((const guint8 *) zmq_msg_data (&head))[1] & (OL_STATUS_ERROR | OL__STATUS_MARK)))
    {
      OlShmDesc desc;

      OL_TSAN_ACQUIRE (zmq_msg_data (&payload));
      /* Written into a slot by the application (ol_stream_writer_reserve):
       * described as it is; else copied into one. */
      ringed = ol__shm_server_describe (p->shm, zmq_msg_data (&payload),
                                        zmq_msg_size (&payload), &desc)
               || ol__shm_server_write (p->shm, zmq_msg_data (&payload),
                                        zmq_msg_size (&payload), &desc);
      if (ringed)
        {
          desc_len = ol__shm_desc_encode (&desc, desc_buf);
          atomic_fetch_add (&p->shm_frames, 1);
          /* A subscriber that waits for the side channel's answer is not
           * kept waiting for a whole batch of copies. */
          ol__shm_server_serve (p->shm);
        }
    }
  if (!ringed)
    zmq_msg_copy (&payload2, &payload); /* shares the buffer of a large one */
  s_send (msg, dst, ZMQ_SNDMORE);
  s_send (&head, dst, ZMQ_SNDMORE);
  s_send (&payload, dst, 0);
  if (zmq_send (dst, topic, 1 + topic_len, ZMQ_SNDMORE | ZMQ_DONTWAIT) >= 0)
    {
      s_send (&head2, dst, ZMQ_SNDMORE);
      s_send (&payload2, dst, ringed ? ZMQ_SNDMORE : 0);
      if (ringed)
        zmq_send (dst, desc_buf, desc_len, ZMQ_DONTWAIT);
    }
  zmq_msg_close (&head);
  zmq_msg_close (&payload);
  zmq_msg_close (&head2);
  zmq_msg_close (&payload2);
}

/* Moves up to max whole multipart messages from src to dst; returns how
 * many. msg is an initialised message, empty on entry and on return: a
 * message is empty again after zmq_msg_send(), so one serves every frame. */
static guint
s_forward (OlProxy *p, void *src, void *dst, zmq_msg_t *msg, guint max)
{
  guint n;

  for (n = 0; n < max; n++)
    {
      int more;

      if (zmq_msg_recv (msg, src, ZMQ_DONTWAIT) < 0)
        return n;
      more = zmq_msg_more (msg);
      if (more && p->n_shm > 0 && s_shm_wanted (p, msg))
        {
          s_publish_shm (p, src, dst, msg);
          continue;
        }
      for (;;)
        {
          s_send (msg, dst, more ? ZMQ_SNDMORE : 0);
          if (!more || zmq_msg_recv (msg, src, 0) < 0)
            break;
          more = zmq_msg_more (msg);
        }
    }
  return n;
}

/* Records that the subscribers of the stream name want (on) or no longer
 * want (!on) what flag says, and subscribes upstream (the XSUB, the plug)
 * to "NAME\0" while either is wanted. */
static void
s_subscription_change (OlProxy *p, void *xsub, const char *name, guint flag, gboolean on)
{
  guint old = GPOINTER_TO_UINT (g_hash_table_lookup (p->subs, name));
  guint now = on ? old | flag : old & ~flag;
  guint8 buf[1 + OL_STREAM_NAME_MAX + 1];
  gsize len = strlen (name);

  if (old == now)
    return;
  ol__mutex_lock (&p->subs_lock);
  if (now == 0)
    g_hash_table_remove (p->subs, name);
  else
    g_hash_table_insert (p->subs, g_strdup (name), GUINT_TO_POINTER (now));
  ol__mutex_unlock (&p->subs_lock);
  if (flag == SUB_SHM)
    {
      p->n_shm += on ? 1 : -1;
      g_debug ("stream proxy: same-host subscribers %s stream \"%s\"",
               on ? "want" : "no longer want", name);
    }
  if ((old != 0) == (now != 0))
    return;
  buf[0] = on ? 1 : 0;
  memcpy (buf + 1, name, len + 1);
  if (p->plug != NULL)
    p->plug->subscription (p->plug_data, buf, len + 2);
  zmq_send (xsub, buf, len + 2, ZMQ_DONTWAIT);
}

/* Moves up to max subscription messages from the XPUB to the XSUB, and
 * tells the plug of each. The exact topic of a stream and its
 * shared-memory topic are both a subscription to "NAME\0" upstream. msg as
 * in s_forward. */
static void
s_subscriptions (OlProxy *p, void *xpub, void *xsub, zmq_msg_t *msg, guint max)
{
  for (guint n = 0; n < max; n++)
    {
      const guint8 *data;
      gsize size, len;

      if (zmq_msg_recv (msg, xpub, ZMQ_DONTWAIT) < 0)
        return;
      data = zmq_msg_data (msg);
      size = zmq_msg_size (msg);
      /* A same-host subscriber asks whether this server has a ring: one
       * message on its own hello topic says so (none when ONELINER_SHM=0,
       * and the subscriber stays on the plain topics). */
      if (size >= 1 && data[0] <= 1 && ol__shm_hello_check (data + 1, size - 1))
        {
          if (data[0] == 1 && p->shm != NULL)
            {
              g_debug ("stream proxy: hello to a same-host subscriber");
              const char *address = ol__shm_server_address (p->shm);

              if (zmq_send (xpub, data + 1, size - 1, ZMQ_SNDMORE | ZMQ_DONTWAIT) >= 0)
                zmq_send (xpub, address, strlen (address), ZMQ_DONTWAIT);
            }
          zmq_msg_close (msg);
          zmq_msg_init (msg);
          continue;
        }
      if (size >= 2 && data[0] <= 1)
        {
          gboolean shm = data[1] == OL_SHM_TOPIC_BYTE;
          const guint8 *topic = data + 1 + (shm ? 1 : 0);
          gsize topic_size = size - 1 - (shm ? 1 : 0);

          if (ol__topic_check (topic, topic_size, &len))
            {
              s_subscription_change (p, xsub, (const char *) topic, shm ? SUB_SHM : SUB_PLAIN,
                                     data[0] == 1);
              zmq_msg_close (msg);
              zmq_msg_init (msg);
              continue;
            }
        }
      if (p->plug != NULL)
        p->plug->subscription (p->plug_data, zmq_msg_data (msg), zmq_msg_size (msg));
      if (zmq_msg_send (msg, xsub, ZMQ_DONTWAIT) < 0)
        {
          zmq_msg_close (msg);
          zmq_msg_init (msg);
        }
    }
}

static gpointer
s_thread (gpointer data)
{
  OlProxy *p = data;
  void *ctx = ol__zmq_context ();
  void *xsub = zmq_socket (ctx, ZMQ_XSUB);
  void *xpub = zmq_socket (ctx, ZMQ_XPUB);
  int hwm = PROXY_HWM;
  char endpoint[1024];
  size_t len = sizeof endpoint;
  g_autoptr (GArray) items = g_array_new (FALSE, TRUE, sizeof (zmq_pollitem_t));
  GError *error = NULL;
  zmq_msg_t msg;

  ol__socket_set_common (xsub);
  ol__socket_set_common (xpub);
  zmq_setsockopt (xsub, ZMQ_RCVHWM, &hwm, sizeof hwm);
  zmq_setsockopt (xpub, ZMQ_SNDHWM, &hwm, sizeof hwm);
  ol__zap_domain_apply (p->zap, xpub);
  if (zmq_bind (xsub, p->inproc) != 0)
    {
      ol__startup_report (&p->startup, g_error_new (OL_ERROR, OL_ERROR_SOCKET, "cannot bind %s: %s", p->inproc,
                               zmq_strerror (errno)));
      goto out;
    }
  {
    GError *bind_error = NULL;

    if (!ol__socket_check_bind (p->bind, "stream endpoint", &bind_error))
      {
        ol__startup_report (&p->startup, bind_error);
        goto out;
      }
  }
  if (zmq_bind (xpub, p->bind) != 0)
    {
      ol__startup_report (&p->startup, g_error_new (OL_ERROR, OL_ERROR_SOCKET,
                               "cannot bind stream endpoint %s: %s", p->bind,
                               zmq_strerror (errno)));
      goto out;
    }
  if (!ol__relayed_open (p->relayed, &error)
      || (p->plug != NULL && !p->plug->open (p->plug_data, &error)))
    {
      ol__startup_report (&p->startup, error);
      goto out;
    }
  /* Relayed and mounted messages reach same-host subscribers through the
   * XSUB, like the server's own (s_forward). */
  p->feeder = zmq_socket (ctx, ZMQ_PUB);
  ol__proxy_set_feeder_options (p->feeder);
  if (zmq_connect (p->feeder, p->inproc) != 0)
    {
      ol__startup_report (&p->startup, g_error_new (OL_ERROR, OL_ERROR_SOCKET, "cannot connect %s: %s",
                               p->inproc, zmq_strerror (errno)));
      goto out;
    }
  if (ol__shm_enabled ())
    {
      GError *shm_error = NULL;

      if ((p->shm = ol__shm_server_new (&shm_error)) == NULL)
        {
          g_warning ("stream proxy: %s; same-host frames go through the socket",
                     shm_error->message);
          g_error_free (shm_error);
        }
    }
  zmq_getsockopt (xpub, ZMQ_LAST_ENDPOINT, endpoint, &len);
  p->endpoint = g_strdup (endpoint);
  ol__startup_report (&p->startup, NULL);

  zmq_msg_init (&msg);
  while (!atomic_load (&p->stop))
    {
      zmq_pollitem_t *it;
      guint forwarded = 0, n_relayed, n_plug = 0, sent;
      gboolean via_feeder = p->n_shm > 0;
      void *out = via_feeder ? p->feeder : xpub;

      g_array_set_size (items, 0);
      g_array_append_val (items, ((zmq_pollitem_t) { xsub, 0, ZMQ_POLLIN, 0 }));
      g_array_append_val (items, ((zmq_pollitem_t) { xpub, 0, ZMQ_POLLIN, 0 }));
      {
        zmq_pollitem_t wake = ol__wakeup_poll_item (&p->wake);
        g_array_append_val (items, wake);
      }
      n_relayed = ol__relayed_poll_items (p->relayed, items);
      if (p->plug != NULL)
        n_plug = p->plug->poll_items (p->plug_data, items);
      if (p->shm != NULL)
        g_array_append_val (items, ((zmq_pollitem_t) { NULL, ol__shm_server_fd (p->shm),
                                                       ZMQ_POLLIN, 0 }));
      it = (zmq_pollitem_t *) items->data;

      if (zmq_poll (it, (int) items->len, PROXY_POLL_MS) < 0)
        {
          if (errno == EINTR)
            continue;
          g_warning ("stream proxy: zmq_poll failed: %s", zmq_strerror (errno));
          break;
        }
      /* At most a batch from each socket per round: a flooding mount does
       * not starve the server's own publishers, nor they the mounts. */
      if (it[0].revents & ZMQ_POLLIN)
        forwarded += s_forward (p, xsub, xpub, &msg, PROXY_BATCH);
      /* Through the feeder, they are counted when they leave the XSUB. */
      sent = ol__relayed_service (p->relayed, it + 3, out);
      if (p->plug != NULL)
        sent += p->plug->service (p->plug_data, it + 3 + n_relayed, out);
      if (!via_feeder)
        forwarded += sent;
      if (p->shm != NULL && (it[3 + n_relayed + n_plug].revents & ZMQ_POLLIN))
        ol__shm_server_serve (p->shm);
      /* Subscriptions and unsubscriptions travel upstream. */
      if (it[1].revents & ZMQ_POLLIN)
        {
          s_subscriptions (p, xpub, xsub, &msg, PROXY_BATCH);
          /* Back to the XPUB directly: what the feeder holds goes first, so
           * that no stream's messages change order. */
          if (via_feeder && p->n_shm == 0)
            forwarded += s_forward (p, xsub, xpub, &msg, G_MAXUINT);
        }
      if (forwarded > 0)
        atomic_fetch_add (&p->forwarded, forwarded);
    }
  zmq_msg_close (&msg);
out:
  ol__relayed_close (p->relayed);
  if (p->plug != NULL)
    p->plug->close (p->plug_data);
  if (p->shm != NULL)
    ol__shm_server_close (p->shm);
  g_clear_pointer (&p->shm, ol__shm_server_free);
  if (p->feeder != NULL)
    zmq_close (p->feeder);
  zmq_close (xsub);
  zmq_close (xpub);
  return NULL;
}

OlProxy *
ol__proxy_start (const char *inproc_endpoint, const char *public_endpoint,
                 const OlZapDomain *zap, OlRelayed *relayed, const OlProxyPlug *plug, gpointer data, GError **error)
{
  OlProxy *p = g_new0 (OlProxy, 1);

  p->zap = zap;
  p->relayed = relayed;
  p->plug = plug;
  p->plug_data = data;
  p->inproc = g_strdup (inproc_endpoint);
  p->subs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  ol__mutex_init (&p->subs_lock);
  p->bind = g_strdup (public_endpoint);
  if (!ol__wakeup_init (&p->wake, error))
    {
      g_free (p);
      return NULL;
    }
  ol__startup_init (&p->startup);
  p->thread = g_thread_new ("ol-proxy", s_thread, p);
  if (!ol__startup_wait (&p->startup, "the stream proxy", error))
    {
      ol__proxy_free (p);
      return NULL;
    }
  return p;
}

const char *
ol__proxy_endpoint (OlProxy *p)
{
  return p->endpoint;
}

guint64
ol__proxy_forwarded (OlProxy *p)
{
  return atomic_load (&p->forwarded);
}

guint64
ol__proxy_shm_frames (OlProxy *p)
{
  return atomic_load (&p->shm_frames);
}

gboolean
ol__proxy_shm_wanted (OlProxy *p, const char *name)
{
  guint flags;

  if (p->shm == NULL)
    return FALSE;
  ol__mutex_lock (&p->subs_lock);
  flags = GPOINTER_TO_UINT (g_hash_table_lookup (p->subs, name));
  ol__mutex_unlock (&p->subs_lock);
  return (flags & SUB_SHM) != 0;
}

OlShmServer *
ol__proxy_shm (OlProxy *p)
{
  return p->shm != NULL ? ol__shm_server_ref (p->shm) : NULL;
}

void
ol__proxy_free (OlProxy *p)
{
  if (p == NULL)
    return;
  atomic_store (&p->stop, TRUE);
  ol__wakeup_signal (&p->wake, "the stream proxy");
  g_thread_join (p->thread);
  ol__wakeup_clear (&p->wake);
  ol__startup_clear (&p->startup);
  g_hash_table_unref (p->subs);
  ol__mutex_clear (&p->subs_lock);
  g_free (p->inproc);
  g_free (p->bind);
  g_free (p->endpoint);
  g_free (p);
}
