/* The stream proxy thread: XSUB/XPUB, the relayed streams' and the plug's
 * SUB sockets. */
#include "streamer/proxy.h"

#include <errno.h>
#include <stdatomic.h>
#include <unistd.h>
#include <zmq.h>

#include "oneliner/error.h"
#include "core/startup.h"
#include "core/wakeup.h"
#include "core/socket.h"

#define PROXY_POLL_MS 100
#define PROXY_BATCH 1024
#define PROXY_HWM 100000

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

/* Moves up to max whole multipart messages from src to dst; returns how
 * many. msg is an initialised message, empty on entry and on return: a
 * message is empty again after zmq_msg_send(), so one serves every frame. */
static guint
s_forward (void *src, void *dst, zmq_msg_t *msg, guint max)
{
  guint n;

  for (n = 0; n < max; n++)
    {
      int more = 1;
      gboolean first = TRUE;

      while (more)
        {
          if (zmq_msg_recv (msg, src, first ? ZMQ_DONTWAIT : 0) < 0)
            return n;
          first = FALSE;
          more = zmq_msg_more (msg);
          /* XPUB never blocks: a subscriber whose queue is full misses the
           * message, which it sees as a gap in the stream's sequence
           * numbers. */
          if (zmq_msg_send (msg, dst, (more ? ZMQ_SNDMORE : 0) | ZMQ_DONTWAIT) < 0)
            {
              zmq_msg_close (msg);
              zmq_msg_init (msg);
            }
        }
    }
  return n;
}

/* Moves up to max subscription messages from the XPUB to the XSUB, and
 * tells the plug of each. msg as in s_forward. */
static void
s_subscriptions (OlProxy *p, void *xpub, void *xsub, zmq_msg_t *msg, guint max)
{
  for (guint n = 0; n < max; n++)
    {
      if (zmq_msg_recv (msg, xpub, ZMQ_DONTWAIT) < 0)
        return;
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
  zmq_getsockopt (xpub, ZMQ_LAST_ENDPOINT, endpoint, &len);
  p->endpoint = g_strdup (endpoint);
  ol__startup_report (&p->startup, NULL);

  zmq_msg_init (&msg);
  while (!atomic_load (&p->stop))
    {
      zmq_pollitem_t *it;
      guint forwarded = 0, n_relayed;

      g_array_set_size (items, 0);
      g_array_append_val (items, ((zmq_pollitem_t) { xsub, 0, ZMQ_POLLIN, 0 }));
      g_array_append_val (items, ((zmq_pollitem_t) { xpub, 0, ZMQ_POLLIN, 0 }));
      {
        zmq_pollitem_t wake = ol__wakeup_poll_item (&p->wake);
        g_array_append_val (items, wake);
      }
      n_relayed = ol__relayed_poll_items (p->relayed, items);
      if (p->plug != NULL)
        p->plug->poll_items (p->plug_data, items);
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
        forwarded += s_forward (xsub, xpub, &msg, PROXY_BATCH);
      forwarded += ol__relayed_service (p->relayed, it + 3, xpub);
      if (p->plug != NULL)
        forwarded += p->plug->service (p->plug_data, it + 3 + n_relayed, xpub);
      if (forwarded > 0)
        atomic_fetch_add (&p->forwarded, forwarded);
      /* Subscriptions and unsubscriptions travel upstream. */
      if (it[1].revents & ZMQ_POLLIN)
        s_subscriptions (p, xpub, xsub, &msg, PROXY_BATCH);
    }
  zmq_msg_close (&msg);
out:
  ol__relayed_close (p->relayed);
  if (p->plug != NULL)
    p->plug->close (p->plug_data);
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
  g_free (p->inproc);
  g_free (p->bind);
  g_free (p->endpoint);
  g_free (p);
}
