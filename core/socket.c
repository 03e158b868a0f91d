/* The process-wide ZeroMQ context and the options every socket shares. */
#include "core/socket.h"

#include <string.h>
#include <sys/stat.h>
#include <zmq.h>

#include "oneliner/error.h"

static void *s_context;

static gpointer
s_context_create (gpointer unused)
{
  (void) unused;
  s_context = zmq_ctx_new ();
  g_assert_nonnull (s_context);
  /* Sockets of a process with many clients and servers: raise libzmq's
   * default limit of 1023. */
  zmq_ctx_set (s_context, ZMQ_MAX_SOCKETS, 8192);
  /* One I/O thread by default: with two, a relay's receive and re-send of a
   * large message run on different threads and its data crosses CPUs (1 MiB
   * through two relays fell to 0.45x raw); a process that publishes and
   * receives small messages at full speed may prefer more
   * (ONELINER_IO_THREADS, 1 to 16). */
  {
    const char *env = g_getenv ("ONELINER_IO_THREADS");
    gint64 n = env ? g_ascii_strtoll (env, NULL, 10) : 1;
    zmq_ctx_set (s_context, ZMQ_IO_THREADS, (int) CLAMP (n, 1, 16));
  }
  return s_context;
}

void *
ol__zmq_context (void)
{
  static GOnce once = G_ONCE_INIT;
  return g_once (&once, s_context_create, NULL);
}

/* How long a silent peer counts as alive: 1500 ms, so that a dead peer is
 * known within 2 s. ONELINER_HEARTBEAT_TIMEOUT_MS overrides it for machines
 * where threads can stall for longer than that (sanitizer builds under load,
 * say): a connection that misses its heartbeats is dropped with the requests
 * in flight on it. */
static gpointer
s_heartbeat_timeout (gpointer unused)
{
  const char *env = g_getenv ("ONELINER_HEARTBEAT_TIMEOUT_MS");
  gint64 ms = env ? g_ascii_strtoll (env, NULL, 10) : 0;

  (void) unused;
  return GINT_TO_POINTER (ms >= 1000 && ms <= 600000 ? (int) ms : 1500);
}

/* A size from the environment variable name within [min, max], else (and
 * with a warning if it was set) fallback. */
static gint64
s_env_size (const char *name, gint64 min, gint64 max, gint64 fallback)
{
  const char *env = g_getenv (name);
  guint64 v;

  if (env == NULL)
    return fallback;
  if (!g_ascii_string_to_unsigned (env, 10, (guint64) min, (guint64) max, &v, NULL))
    {
      g_warning ("%s must be a number of bytes from %" G_GINT64_FORMAT " to %" G_GINT64_FORMAT
                 "; using %" G_GINT64_FORMAT, name, min, max, fallback);
      return fallback;
    }
  return (gint64) v;
}

static gint64 s_max_message, s_max_request;

static gpointer
s_limits (gpointer unused)
{
  (void) unused;
  s_max_message = s_env_size ("ONELINER_MAX_MESSAGE_SIZE", 1 << 20, G_GINT64_CONSTANT (1) << 32,
                              OL_WIRE_MAX_MESSAGE_SIZE);
  s_max_request = s_env_size ("ONELINER_MAX_REQUEST_SIZE", 64 << 10, s_max_message,
                              MIN (OL_WIRE_MAX_REQUEST_SIZE, s_max_message));
  return NULL;
}

gint64
ol__socket_max_message_size (void)
{
  static GOnce once = G_ONCE_INIT;
  g_once (&once, s_limits, NULL);
  return s_max_message;
}

gint64
ol__socket_max_request_size (void)
{
  (void) ol__socket_max_message_size ();
  return s_max_request;
}

void
ol__socket_set_request_limit (void *socket)
{
  int64_t maxmsg = ol__socket_max_request_size ();

  zmq_setsockopt (socket, ZMQ_MAXMSGSIZE, &maxmsg, sizeof maxmsg);
}

void
ol__socket_set_common (void *socket)
{
  static GOnce once = G_ONCE_INIT;
  int linger = 0;
  int hb_ivl = 500;
  int hb_timeout = GPOINTER_TO_INT (g_once (&once, s_heartbeat_timeout, NULL));
  int reconnect = 100;
  int reconnect_max = 1000;
  int64_t maxmsg = ol__socket_max_message_size ();

  zmq_setsockopt (socket, ZMQ_LINGER, &linger, sizeof linger);
  zmq_setsockopt (socket, ZMQ_HEARTBEAT_IVL, &hb_ivl, sizeof hb_ivl);
  zmq_setsockopt (socket, ZMQ_HEARTBEAT_TIMEOUT, &hb_timeout, sizeof hb_timeout);
  zmq_setsockopt (socket, ZMQ_RECONNECT_IVL, &reconnect, sizeof reconnect);
  zmq_setsockopt (socket, ZMQ_RECONNECT_IVL_MAX, &reconnect_max, sizeof reconnect_max);
  zmq_setsockopt (socket, ZMQ_MAXMSGSIZE, &maxmsg, sizeof maxmsg);
}

gboolean
ol__socket_check_bind (const char *endpoint, const char *what, GError **error)
{
  struct stat st;
  const char *path;

  if (endpoint == NULL || !g_str_has_prefix (endpoint, "ipc://"))
    return TRUE;
  path = endpoint + strlen ("ipc://");
  /* "*" asks libzmq for a fresh path; "@" names Linux's abstract namespace. */
  if (path[0] == '\0' || strcmp (path, "*") == 0 || path[0] == '@')
    return TRUE;
  if (lstat (path, &st) == 0 && !S_ISSOCK (st.st_mode))
    {
      g_set_error (error, OL_ERROR, OL_ERROR_SOCKET,
                   "cannot bind %s %s: a file that is not a socket stands at %s", what,
                   endpoint, path);
      return FALSE;
    }
  return TRUE;
}

gboolean
ol__monitor_next_event (void *monitor, guint16 *kind)
{
  zmq_msg_t event, address;
  gboolean whole;

  zmq_msg_init (&event);
  if (zmq_msg_recv (&event, monitor, ZMQ_DONTWAIT) < 0)
    {
      zmq_msg_close (&event);
      return FALSE;
    }
  /* The event (kind and value), then the endpoint. */
  zmq_msg_init (&address);
  if (zmq_msg_more (&event))
    zmq_msg_recv (&address, monitor, 0);
  whole = zmq_msg_size (&event) >= sizeof *kind;
  *kind = 0;
  if (whole)
    memcpy (kind, zmq_msg_data (&event), sizeof *kind);
  zmq_msg_close (&event);
  zmq_msg_close (&address);
  return TRUE;
}
