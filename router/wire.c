/* The control-plane wire codec shared by server and client. */
#include "router/wire.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

gint64
ol__wall_time_ns (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_REALTIME, &ts);
  return (gint64) ts.tv_sec * G_GINT64_CONSTANT (1000000000) + ts.tv_nsec;
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

void
ol__socket_set_common (void *socket)
{
  static GOnce once = G_ONCE_INIT;
  int linger = 0;
  int hb_ivl = 500;
  int hb_timeout = GPOINTER_TO_INT (g_once (&once, s_heartbeat_timeout, NULL));
  int reconnect = 100;
  int reconnect_max = 1000;
  int64_t maxmsg = OL_WIRE_MAX_MESSAGE_SIZE;

  zmq_setsockopt (socket, ZMQ_LINGER, &linger, sizeof linger);
  zmq_setsockopt (socket, ZMQ_HEARTBEAT_IVL, &hb_ivl, sizeof hb_ivl);
  zmq_setsockopt (socket, ZMQ_HEARTBEAT_TIMEOUT, &hb_timeout, sizeof hb_timeout);
  zmq_setsockopt (socket, ZMQ_RECONNECT_IVL, &reconnect, sizeof reconnect);
  zmq_setsockopt (socket, ZMQ_RECONNECT_IVL_MAX, &reconnect_max, sizeof reconnect_max);
  zmq_setsockopt (socket, ZMQ_MAXMSGSIZE, &maxmsg, sizeof maxmsg);
}

int
ol__wire_recv_multipart (void *socket, zmq_msg_t *frames, int max,
                         gboolean *truncated)
{
  int n = 0;
  int more = 1;

  *truncated = FALSE;
  while (more)
    {
      zmq_msg_t *frame;
      zmq_msg_t spill;
      int flags = n == 0 ? ZMQ_DONTWAIT : 0;

      frame = n < max ? &frames[n] : &spill;
      zmq_msg_init (frame);
      if (zmq_msg_recv (frame, socket, flags) < 0)
        {
          int saved = errno;
          zmq_msg_close (frame);
          ol__wire_close_frames (frames, MIN (n, max));
          errno = saved;
          return -1;
        }
      more = zmq_msg_more (frame);
      if (n < max)
        n++;
      else
        {
          zmq_msg_close (&spill);
          *truncated = TRUE;
        }
    }
  return n;
}

void
ol__wire_close_frames (zmq_msg_t *frames, int n)
{
  for (int i = 0; i < n; i++)
    zmq_msg_close (&frames[i]);
}

static void
s_free_msg (gpointer data)
{
  zmq_msg_t *msg = data;
  zmq_msg_close (msg);
  g_free (msg);
}

GBytes *
ol__wire_frame_to_bytes (zmq_msg_t *frame)
{
  zmq_msg_t *owned = g_new (zmq_msg_t, 1);

  zmq_msg_init (owned);
  zmq_msg_move (owned, frame);
  return g_bytes_new_with_free_func (zmq_msg_data (owned), zmq_msg_size (owned),
                                     s_free_msg, owned);
}

static void
s_free_buf (void *data, void *hint)
{
  (void) hint;
  free (data);
}

int
ol__wire_send_owned (void *socket, char *buf, size_t len, int flags)
{
  zmq_msg_t msg;

  if (zmq_msg_init_data (&msg, buf, len, s_free_buf, NULL) != 0)
    {
      free (buf);
      return -1;
    }
  if (zmq_msg_send (&msg, socket, flags) < 0)
    {
      int saved = errno;
      zmq_msg_close (&msg);
      errno = saved;
      return -1;
    }
  return 0;
}

static void
s_unref_bytes (void *data, void *hint)
{
  (void) data;
  g_bytes_unref (hint);
}

int
ol__wire_send_bytes (void *socket, GBytes *bytes, int flags)
{
  zmq_msg_t msg;
  gsize size;
  gconstpointer data = g_bytes_get_data (bytes, &size);

  if (size == 0)
    zmq_msg_init (&msg);
  else
    zmq_msg_init_data (&msg, (void *) data, size, s_unref_bytes,
                       g_bytes_ref (bytes));
  if (zmq_msg_send (&msg, socket, flags) < 0)
    {
      int saved = errno;
      zmq_msg_close (&msg);
      errno = saved;
      return -1;
    }
  return 0;
}

json_t *
ol__wire_error_to_json (const GError *error)
{
  return json_pack ("{s:s, s:i, s:s}",
                    "domain", g_quark_to_string (error->domain),
                    "code", error->code,
                    "message", error->message ? error->message : "");
}

void
ol__wire_append_int (GString *out, gint64 value)
{
  char digits[24];
  int i = sizeof digits;
  /* The magnitude as unsigned, so that G_MININT64 has one too. */
  guint64 mag = value < 0 ? (guint64) 0 - (guint64) value : (guint64) value;

  do
    {
      digits[--i] = (char) ('0' + mag % 10);
      mag /= 10;
    }
  while (mag != 0);
  if (value < 0)
    digits[--i] = '-';
  g_string_append_len (out, digits + i, (gssize) (sizeof digits - (size_t) i));
}

gboolean
ol__wire_scan_int (const char *p, const char *end, gboolean negative, gint64 *out)
{
  gboolean minus = negative && p < end && *p == '-';
  gint64 value = 0;

  if (minus)
    p++;
  if (p >= end || end - p > 18 || (*p == '0' && end - p > 1))
    return FALSE;
  for (; p < end; p++)
    {
      if (!g_ascii_isdigit (*p))
        return FALSE;
      value = value * 10 + (*p - '0');
    }
  *out = minus ? -value : value;
  return TRUE;
}

static int
s_dump_to_gstring (const char *buffer, size_t size, void *data)
{
  g_string_append_len (data, buffer, (gssize) size);
  return 0;
}

void
ol__wire_append_json (GString *out, json_t *value)
{
  if (value == NULL || json_is_null (value))
    g_string_append_len (out, "null", 4);
  else if (json_is_integer (value))
    ol__wire_append_int (out, json_integer_value (value));
  else
    json_dump_callback (value, s_dump_to_gstring, out, JSON_ENCODE_ANY | JSON_COMPACT);
}

gboolean
ol__wire_append_string (GString *out, const char *text)
{
  static const char hex[] = "0123456789abcdef";
  const char *run = text;

  if (!g_utf8_validate (text, -1, NULL))
    return FALSE;
  g_string_append_c (out, '"');
  for (const char *p = text; *p; p++)
    {
      guchar ch = (guchar) *p;

      if (ch >= 0x20 && ch != '"' && ch != '\\')
        continue;
      g_string_append_len (out, run, p - run);
      run = p + 1;
      switch (ch)
        {
        case '"': g_string_append_len (out, "\\\"", 2); break;
        case '\\': g_string_append_len (out, "\\\\", 2); break;
        case '\n': g_string_append_len (out, "\\n", 2); break;
        case '\t': g_string_append_len (out, "\\t", 2); break;
        case '\r': g_string_append_len (out, "\\r", 2); break;
        default:
          {
            char esc[6] = { '\\', 'u', '0', '0', hex[ch >> 4], hex[ch & 15] };
            g_string_append_len (out, esc, 6);
          }
        }
    }
  g_string_append (out, run);
  g_string_append_c (out, '"');
  return TRUE;
}

static void
s_append_reply_rest (GString *out, json_t *result, const GError *error, gint64 ts)
{
  if (error == NULL)
    {
      g_string_append_len (out, ",\"ok\":true,\"result\":", 20);
      ol__wire_append_json (out, result);
    }
  else
    {
      json_t *e = ol__wire_error_to_json (error);
      g_string_append (out, ",\"ok\":false,\"error\":");
      ol__wire_append_json (out, e);
      json_decref (e);
    }
  if (ts >= 0)
    {
      g_string_append_len (out, ",\"ts\":", 6);
      ol__wire_append_int (out, ts);
    }
  g_string_append_c (out, '}');
}

void
ol__wire_append_reply (GString *out, json_t *id, json_t *result, const GError *error,
                       gint64 ts)
{
  g_string_append_len (out, "{\"v\":1,\"id\":", 12);
  ol__wire_append_json (out, id);
  s_append_reply_rest (out, result, error, ts);
}

void
ol__wire_append_reply_int (GString *out, gint64 id, json_t *result, const GError *error,
                           gint64 ts)
{
  g_string_append_len (out, "{\"v\":1,\"id\":", 12);
  ol__wire_append_int (out, id);
  s_append_reply_rest (out, result, error, ts);
}

char *
ol__wire_encode_reply (json_t *id, json_t *result, const GError *error,
                       gint64 ts, size_t *len)
{
  GString *out = g_string_sized_new (128);

  ol__wire_append_reply (out, id, result, error, ts);
  *len = out->len;
  /* GLib allocates with malloc: free() releases the text. */
  return g_string_free (out, FALSE);
}

GError *
ol__wire_error_from_json (json_t *member)
{
  const char *domain = NULL;
  const char *message = NULL;
  json_int_t code = 0;

  if (json_unpack (member, "{s:s, s:I, s:s}", "domain", &domain, "code", &code,
                   "message", &message) != 0
      || domain[0] == '\0' || code < G_MININT || code > G_MAXINT)
    return g_error_new_literal (OL_ERROR, OL_ERROR_PROTOCOL,
                                "reply carries a malformed \"error\" member");
  return g_error_new_literal (g_quark_from_string (domain), (int) code, message);
}

char *
ol__json_describe (json_t *value)
{
  if (value == NULL)
    return g_strdup ("nothing");
  switch (json_typeof (value))
    {
    case JSON_OBJECT: return g_strdup ("object");
    case JSON_ARRAY: return g_strdup ("array");
    case JSON_TRUE: return g_strdup ("true");
    case JSON_FALSE: return g_strdup ("false");
    case JSON_NULL: return g_strdup ("null");
    case JSON_INTEGER:
      return g_strdup_printf ("%" JSON_INTEGER_FORMAT, json_integer_value (value));
    case JSON_REAL:
      return g_strdup_printf ("%.17g", json_real_value (value));
    case JSON_STRING:
      {
        const char *s = json_string_value (value);
        size_t len = json_string_length (value);
        g_autofree char *cut = g_strndup (s, MIN (len, 40));
        g_autofree char *esc = g_strescape (cut, NULL);
        return g_strdup_printf ("string \"%s\"%s", esc, len > 40 ? "..." : "");
      }
    }
  return g_strdup ("unknown");
}

static int
s_compare_keys (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

GPtrArray *
ol_json_sorted_keys (json_t *object)
{
  GPtrArray *keys = g_ptr_array_new ();
  const char *key;
  json_t *value;

  json_object_foreach (object, key, value)
    g_ptr_array_add (keys, (gpointer) key);
  g_ptr_array_sort (keys, s_compare_keys);
  return keys;
}

gboolean
ol__wire_inline_frames (json_t *value, GPtrArray *frames)
{
  if (json_is_object (value))
    {
      json_t *index = json_object_get (value, "$frame");
      const char *key;
      json_t *member;

      if (index != NULL && json_object_size (value) == 1)
        {
          json_int_t i = json_integer_value (index);
          gsize size;
          gconstpointer data;

          if (!json_is_integer (index) || frames == NULL || i < 0
              || i >= (json_int_t) frames->len)
            return FALSE;
          data = g_bytes_get_data (frames->pdata[i], &size);
          g_autofree char *b64 = g_base64_encode (data, size);
          json_object_del (value, "$frame");
          json_object_set_new (value, "$base64", json_string (b64));
          return TRUE;
        }
      json_object_foreach (value, key, member)
        if (!ol__wire_inline_frames (member, frames))
          return FALSE;
    }
  else if (json_is_array (value))
    {
      size_t i;
      json_t *member;
      json_array_foreach (value, i, member)
        if (!ol__wire_inline_frames (member, frames))
          return FALSE;
    }
  return TRUE;
}
