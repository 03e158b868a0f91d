/* Helpers shared by the benchmark programs (bench_util.h). */
#include "bench_util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <glib/gstdio.h>

#include "oneliner/error.h"

static const char *s_program_name = "bench";

void
bench_set_program_name (const char *name)
{
  s_program_name = name;
}

void
bench_die (const char *format, ...)
{
  va_list ap;

  fflush (stdout);
  fprintf (stderr, "%s: ", s_program_name);
  va_start (ap, format);
  vfprintf (stderr, format, ap);
  va_end (ap);
  fprintf (stderr, "\n");
  exit (1);
}

static gint64
s_clock_ns (clockid_t clock)
{
  struct timespec ts;

  clock_gettime (clock, &ts);
  return (gint64) ts.tv_sec * G_GINT64_CONSTANT (1000000000) + ts.tv_nsec;
}

gint64
bench_now_ns (void)
{
  return s_clock_ns (CLOCK_MONOTONIC);
}

gint64
bench_wall_ns (void)
{
  return s_clock_ns (CLOCK_REALTIME);
}

/* ------------------------------------------------------------------------ */
/* Sorting, medians and percentiles */

static int
s_cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return (x > y) - (x < y);
}

static int
s_cmp_i64 (const void *a, const void *b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;
  return (x > y) - (x < y);
}

void
bench_sort_doubles (double *values, gsize n)
{
  qsort (values, n, sizeof *values, s_cmp_double);
}

void
bench_sort_i64 (gint64 *values, gsize n)
{
  qsort (values, n, sizeof *values, s_cmp_i64);
}

double
bench_median (double *values, int n)
{
  bench_sort_doubles (values, n);
  return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

double
bench_median_field (const void *items, int n, gsize stride, gsize offset)
{
  const char *base = items;
  double *v = g_new (double, n);
  double m;

  for (int i = 0; i < n; i++)
    v[i] = *(const double *) (base + (gsize) i * stride + offset);
  m = bench_median (v, n);
  g_free (v);
  return m;
}

double
bench_percentile (const double *sorted, guint n, int p)
{
  return n == 0 ? 0.0 : sorted[(gsize) (n - 1) * p / 100];
}

gint64
bench_percentile_i64 (const gint64 *sorted, guint n, int p)
{
  return n == 0 ? 0 : sorted[(gsize) (n - 1) * p / 100];
}

/* ------------------------------------------------------------------------ */
/* Options and the JSON summary */

/* ------------------------------------------------------------------------ */
/* CURVE */

static char *s_curve_dir;
static char s_curve_server_pub[41], s_curve_server_sec[41];
static char s_curve_client_pub[41], s_curve_client_sec[41];
static const char *const s_curve_files[] = { "server.key", "server.pub", "client.key",
                                             "client.pub", "authorized_keys" };

static char *
s_curve_path (const char *name)
{
  return g_build_filename (s_curve_dir, name, NULL);
}

static void
s_curve_cleanup (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (s_curve_files); i++)
    {
      g_autofree char *path = s_curve_path (s_curve_files[i]);
      g_unlink (path);
    }
  g_rmdir (s_curve_dir);
  g_clear_pointer (&s_curve_dir, g_free);
}

static void
s_curve_write (const char *name, const char *text)
{
  g_autofree char *path = s_curve_path (name);
  GError *error = NULL;

  if (!g_file_set_contents (path, text, -1, &error) || g_chmod (path, 0600) != 0)
    bench_die ("--curve: cannot write %s: %s", path, error ? error->message : g_strerror (errno));
}

void
bench_curve_init (void)
{
  GError *error = NULL;
  g_autofree char *authorized = NULL;

  if (s_curve_dir != NULL)
    return;
  if (!zmq_has ("curve"))
    bench_die ("--curve: libzmq was built without CURVE");
  if (zmq_curve_keypair (s_curve_server_pub, s_curve_server_sec) != 0
      || zmq_curve_keypair (s_curve_client_pub, s_curve_client_sec) != 0)
    bench_die ("--curve: zmq_curve_keypair: %s", zmq_strerror (errno));
  s_curve_dir = g_dir_make_tmp ("oneliner-bench-XXXXXX", &error);
  if (s_curve_dir == NULL)
    bench_die ("--curve: %s", error->message);
  atexit (s_curve_cleanup);
  authorized = g_strdup_printf ("%s control bench\n", s_curve_client_pub);
  s_curve_write ("server.key", s_curve_server_sec);
  s_curve_write ("server.pub", s_curve_server_pub);
  s_curve_write ("client.key", s_curve_client_sec);
  s_curve_write ("client.pub", s_curve_client_pub);
  s_curve_write ("authorized_keys", authorized);
}

gboolean
bench_curve_enabled (void)
{
  return s_curve_dir != NULL;
}

void
bench_server_keys (OlServer *server)
{
  g_autofree char *key = NULL, *authorized = NULL;
  GError *error = NULL;

  if (s_curve_dir == NULL)
    return;
  key = s_curve_path ("server.key");
  authorized = s_curve_path ("authorized_keys");
  if (!ol_server_set_keys (server, key, authorized, &error))
    bench_die ("--curve: oneliner server: %s", error->message);
}

OlClient *
bench_client_new (const char *rpc_endpoint, const char *stream_endpoint, GError **error)
{
  g_autofree char *key = NULL, *pub = NULL;

  if (s_curve_dir == NULL)
    return ol_client_new (rpc_endpoint, stream_endpoint, error);
  key = s_curve_path ("client.key");
  pub = s_curve_path ("server.pub");
  return ol_client_new_with_keys (rpc_endpoint, stream_endpoint, key, pub, error);
}

void
bench_curve_socket (void *socket)
{
  if (s_curve_dir == NULL)
    return;
  if (zmq_setsockopt (socket, ZMQ_CURVE_SERVERKEY, s_curve_server_pub, 41) != 0
      || zmq_setsockopt (socket, ZMQ_CURVE_PUBLICKEY, s_curve_client_pub, 41) != 0
      || zmq_setsockopt (socket, ZMQ_CURVE_SECRETKEY, s_curve_client_sec, 41) != 0)
    bench_die ("--curve: %s", zmq_strerror (errno));
}

void
bench_parse_options (int *argc, char ***argv, const char *parameter_string,
                     const char *summary, const GOptionEntry *entries)
{
  GOptionContext *options = g_option_context_new (parameter_string);
  GError *error = NULL;

  g_option_context_set_summary (options, summary);
  g_option_context_add_main_entries (options, entries, NULL);
  if (!g_option_context_parse (options, argc, argv, &error))
    {
      fprintf (stderr, "%s: %s\n", s_program_name, error->message);
      g_error_free (error);
      g_option_context_free (options);
      exit (2);
    }
  g_option_context_free (options);
}

guint
bench_count_default (int *count, gboolean quick, int quick_n, int full_n, guint min_warmup)
{
  if (*count == 0)
    *count = quick ? quick_n : full_n;
  return MAX ((guint) *count / 10, min_warmup);
}

void
bench_print_json (json_t *summary)
{
  char *text;

  if (summary == NULL)
    bench_die ("cannot build the JSON summary");
  text = json_dumps (summary, JSON_COMPACT | JSON_REAL_PRECISION (6));
  printf ("%s\n", text);
  free (text);
  json_decref (summary);
}

/* ------------------------------------------------------------------------ */
/* The report */

const char *
bench_met (gboolean met)
{
  return met ? "met" : "NOT MET";
}

char *
bench_congestion_control (void)
{
  char *text = NULL;

  if (!g_file_get_contents ("/proc/sys/net/ipv4/tcp_congestion_control", &text, NULL,
                            NULL))
    return g_strdup ("unknown");
  return g_strstrip (text);
}

gboolean
bench_size_selected (gsize size, int only_size)
{
  return only_size == 0 || size == (gsize) only_size;
}

/* ------------------------------------------------------------------------ */
/* Throughput records */

BenchTput
bench_tput (guint64 sent, guint64 received, gint64 elapsed_ns, gsize size)
{
  BenchTput t = { 0 };

  if (received == 0 || elapsed_ns <= 0)
    bench_die ("a throughput run received nothing");
  t.sent = sent;
  t.received = received;
  t.msgs_per_s = (double) received * 1e9 / (double) elapsed_ns;
  t.mb_per_s = t.msgs_per_s * (double) size / 1e6;
  return t;
}

BenchTput
bench_tput_median (const BenchTput *reps, int n)
{
  BenchTput m = { 0 };

  m.msgs_per_s = BENCH_MEDIAN_FIELD (reps, n, BenchTput, msgs_per_s);
  m.mb_per_s = BENCH_MEDIAN_FIELD (reps, n, BenchTput, mb_per_s);
  for (int i = 0; i < n; i++)
    {
      m.sent += reps[i].sent;
      m.received += reps[i].received;
      m.retries += reps[i].retries;
      m.missed += reps[i].missed;
      m.overflowed += reps[i].overflowed;
      m.server_dropped += reps[i].server_dropped;
    }
  return m;
}

void
bench_tput_set_losses (BenchTput *t, const OlStreamCounters *c0, const OlStreamCounters *c1,
                       guint64 dropped)
{
  t->missed = c1->missed - c0->missed;
  t->overflowed = c1->overflowed - c0->overflowed;
  /* A push refused with BUSY counts as dropped in the server's statistics;
   * the producer retried it. What remains was lost inside the server. */
  t->server_dropped = dropped - MIN (dropped, t->retries);
}

json_t *
bench_tput_json (BenchTput t, gboolean oneliner, const char *dropped_key)
{
  json_t *j = json_pack ("{s:f, s:f, s:I, s:I, s:I, s:I}",
                         "msgs_per_s", t.msgs_per_s, "mb_per_s", t.mb_per_s,
                         "sent", (json_int_t) t.sent,
                         "received", (json_int_t) t.received,
                         "lost", (json_int_t) (t.sent - t.received),
                         "retries", (json_int_t) t.retries);

  if (oneliner)
    {
      json_object_set_new (j, "client_missed", json_integer ((json_int_t) t.missed));
      json_object_set_new (j, "client_overflowed", json_integer ((json_int_t) t.overflowed));
      json_object_set_new (j, dropped_key, json_integer ((json_int_t) t.server_dropped));
    }
  return j;
}

void
bench_print_tput_rep (int rep, const char *size_name, const BenchTput *o, const BenchTput *r)
{
  fprintf (stderr, "rep %d: %-6s oneliner %10.0f msgs/s %9.1f MB/s lost %"
           G_GUINT64_FORMAT " retries %" G_GUINT64_FORMAT "   raw %10.0f "
           "msgs/s %9.1f MB/s lost %" G_GUINT64_FORMAT " retries %"
           G_GUINT64_FORMAT "\n", rep, size_name, o->msgs_per_s, o->mb_per_s,
           o->sent - o->received, o->retries, r->msgs_per_s, r->mb_per_s,
           r->sent - r->received, r->retries);
}

void
bench_print_losses (int indent, const char *who, const BenchTput *t, const char *detail)
{
  printf ("%*s%-8s lost %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT "%s", indent, "", who,
          t->sent - t->received, t->sent, detail ? detail : "");
  printf ("; sends refused and retried after %d us: %" G_GUINT64_FORMAT "\n",
          BENCH_BACKOFF_US, t->retries);
}

void *
bench_payload_new (gsize size)
{
  guint8 *data = g_malloc (size);

  for (gsize i = 0; i < size; i++)
    data[i] = (guint8) (i * 131 + 7);
  return data;
}

/* ------------------------------------------------------------------------ */
/* Threads */

void
bench_set_flag (GMutex *lock, GCond *cond, gboolean *flag)
{
  g_mutex_lock (lock);
  *flag = TRUE;
  g_cond_broadcast (cond);
  g_mutex_unlock (lock);
}

gboolean
bench_wait_flag (GMutex *lock, GCond *cond, const gboolean *flag, int timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + timeout_ms * G_TIME_SPAN_MILLISECOND;
  gboolean set;

  g_mutex_lock (lock);
  while (!*flag)
    if (!g_cond_wait_until (cond, lock, deadline))
      break;
  set = *flag;
  g_mutex_unlock (lock);
  return set;
}

void
bench_thread_start (BenchThread *t, const char *name, GThreadFunc func, gpointer data,
                    const char *what)
{
  g_mutex_init (&t->lock);
  g_cond_init (&t->cond);
  t->thread = g_thread_new (name, func, data);
  if (!bench_wait_flag (&t->lock, &t->cond, &t->ready, BENCH_WAIT_MS))
    bench_die ("%s did not start within %d ms", what, BENCH_WAIT_MS);
}

void
bench_thread_ready (BenchThread *t)
{
  bench_set_flag (&t->lock, &t->cond, &t->ready);
}

gboolean
bench_thread_stopping (BenchThread *t)
{
  return g_atomic_int_get (&t->stop) != 0;
}

void
bench_thread_stop (BenchThread *t)
{
  g_atomic_int_set (&t->stop, 1);
  g_thread_join (t->thread);
  g_mutex_clear (&t->lock);
  g_cond_clear (&t->cond);
}

/* ------------------------------------------------------------------------ */
/* oneliner */

void
bench_check_result (json_t *result, GError *error, json_int_t expected, const char *what)
{
  if (result == NULL)
    bench_die ("%s: call failed: %s", what, error ? error->message : "no error");
  if (!json_is_integer (result) || json_integer_value (result) != expected)
    bench_die ("%s: unexpected result", what);
}

guint64
bench_stream_stat (OlServer *server, const char *name, const char *key)
{
  json_t *all = ol_server_list_streams (server);
  json_t *v = json_object_get (json_object_get (json_object_get (all, name), "stats"), key);
  guint64 value;

  if (!json_is_integer (v))
    bench_die ("ol_server_list_streams: stream \"%s\" has no integer stats.%s", name, key);
  value = (guint64) json_integer_value (v);
  json_decref (all);
  return value;
}

void
bench_stream_counters (OlClient *client, const char *name, OlStreamCounters *c)
{
  GError *error = NULL;

  if (!ol_client_get_stream_counters (client, name, c, &error))
    bench_die ("stream \"%s\": %s", name, error->message);
}

OlClient *
bench_stream_client (OlServer *server, const char *name, guint depth)
{
  GError *error = NULL;
  OlClient *client = bench_client_new (ol_server_get_rpc_endpoint (server),
                                       ol_server_get_stream_endpoint (server), &error);

  if (client == NULL)
    bench_die ("oneliner client: %s", error->message);
  /* The socket path, as raw libzmq's: bench-streams measures the
   * same-host ring in a section of its own. */
  ol_client_set_stream_shm (client, FALSE);
  if (!ol_client_configure_stream (client, name, OL_STORAGE_QUEUE, depth, &error))
    bench_die ("oneliner client: stream \"%s\": %s", name, error->message);
  return client;
}

OlStreamMessage *
bench_stream_get (OlClient *client, const char *name, int timeout_ms)
{
  GError *error = NULL;
  OlStreamMessage *m = ol_client_get_stream (client, name, timeout_ms, &error);

  if (m == NULL)
    {
      if (!g_error_matches (error, OL_ERROR, OL_ERROR_TIMEOUT))
        bench_die ("oneliner stream \"%s\": %s", name, error->message);
      g_error_free (error);
    }
  return m;
}

/* ------------------------------------------------------------------------ */
/* Raw libzmq */

void *
bench_zmq_ctx_new (void)
{
  void *ctx = zmq_ctx_new ();

  if (ctx == NULL)
    bench_die ("cannot create a ZeroMQ context: %s", zmq_strerror (errno));
  return ctx;
}

void *
bench_socket (void *ctx, int type)
{
  void *socket = zmq_socket (ctx, type);
  int linger = 0;

  if (socket == NULL)
    bench_die ("cannot create a socket: %s", zmq_strerror (errno));
  zmq_setsockopt (socket, ZMQ_LINGER, &linger, sizeof linger);
  return socket;
}

void *
bench_socket_bounded (void *ctx, int type)
{
  void *socket = bench_socket (ctx, type);
  int hwm = BENCH_HWM, send_timeout_ms = BENCH_WAIT_MS;

  zmq_setsockopt (socket, ZMQ_SNDHWM, &hwm, sizeof hwm);
  zmq_setsockopt (socket, ZMQ_RCVHWM, &hwm, sizeof hwm);
  zmq_setsockopt (socket, ZMQ_SNDTIMEO, &send_timeout_ms, sizeof send_timeout_ms);
  return socket;
}

void
bench_connect (void *socket, const char *endpoint, const char *what, const char *verb)
{
  if (zmq_connect (socket, endpoint) != 0)
    bench_die ("%s%scannot %s %s: %s", what ? what : "", what ? ": " : "", verb, endpoint,
               zmq_strerror (errno));
}

void
bench_bind_any (void *socket, char *endpoint, size_t size, const char *what)
{
  const char *prefix = what ? what : "";
  const char *sep = what ? ": " : "";

  if (zmq_bind (socket, "tcp://127.0.0.1:*") != 0)
    bench_die ("%s%scannot bind tcp://127.0.0.1:*: %s", prefix, sep,
               zmq_strerror (errno));
  if (zmq_getsockopt (socket, ZMQ_LAST_ENDPOINT, endpoint, &size) != 0)
    bench_die ("%s%scannot read the bound endpoint: %s", prefix, sep,
               zmq_strerror (errno));
}

gboolean
bench_recv_frame (void *socket, zmq_msg_t *msg, gboolean dontwait, const char *what)
{
  int saved;

  zmq_msg_init (msg);
  if (zmq_msg_recv (msg, socket, dontwait ? ZMQ_DONTWAIT : 0) >= 0)
    return TRUE;
  saved = errno;
  zmq_msg_close (msg);
  if (saved == EAGAIN && dontwait)
    return FALSE;
  bench_die ("%s: cannot receive: %s", what, zmq_strerror (saved));
}

int
bench_poll (zmq_pollitem_t *items, int n, long timeout_ms, const char *what)
{
  int rc = zmq_poll (items, n, timeout_ms);

  if (rc < 0 && errno != EINTR)
    bench_die ("%s: zmq_poll failed: %s", what, zmq_strerror (errno));
  return rc;
}

BenchRawThread *
bench_raw_thread_start (void *ctx, const char *thread_name, const char *name,
                        GThreadFunc func, int type, const char *upstream, BenchPayload reply)
{
  BenchRawThread *t = g_new0 (BenchRawThread, 1);

  t->ctx = ctx;
  t->name = name;
  t->type = type;
  t->reply = reply;
  if (upstream != NULL)
    g_strlcpy (t->upstream, upstream, sizeof t->upstream);
  bench_thread_start (&t->base, thread_name, func, t, name);
  return t;
}

void
bench_raw_thread_free (BenchRawThread *t)
{
  bench_thread_stop (&t->base);
  g_free (t);
}

void
bench_send_payload (void *socket, const BenchPayload *p, int flags, const char *what)
{
  zmq_msg_t msg;

  zmq_msg_init_size (&msg, p->len);
  memcpy (zmq_msg_data (&msg), p->data, p->len);
  if (zmq_msg_send (&msg, socket, flags) < 0)
    {
      int saved = errno;
      zmq_msg_close (&msg);
      bench_die ("%s: cannot send: %s", what, zmq_strerror (saved));
    }
}

void
bench_wait_readable (void *socket, int wait_ms, const char *nothing, const char *what)
{
  zmq_pollitem_t item = { socket, 0, ZMQ_POLLIN, 0 };
  int rc;

  do
    rc = bench_poll (&item, 1, wait_ms, what);
  while (rc < 0);
  if (rc == 0)
    bench_die ("%s: %s within %d ms", what, nothing, wait_ms);
}

int
bench_recv_frames (void *socket, zmq_msg_t *frames, int max, const char *what,
                   const char *shape)
{
  int n = 0;
  int more = 1;

  while (more)
    {
      if (n == max)
        bench_die ("%s: a message of more than %d frames%s%s", what, max,
                   shape ? ", not " : "", shape ? shape : "");
      if (!bench_recv_frame (socket, &frames[n], n == 0, what))
        return 0;
      /* The rest of a message is there once its first frame is. */
      more = zmq_msg_more (&frames[n]);
      n++;
    }
  return n;
}

void
bench_close_frames (zmq_msg_t *frames, int n)
{
  for (int i = 0; i < n; i++)
    zmq_msg_close (&frames[i]);
}

gboolean
bench_forward (void *src, void *dst, const char *what)
{
  int more = 1;
  gboolean first = TRUE;

  while (more)
    {
      zmq_msg_t msg;

      if (!bench_recv_frame (src, &msg, first, what))
        return FALSE;
      first = FALSE;
      more = zmq_msg_more (&msg);
      if (zmq_msg_send (&msg, dst, more ? ZMQ_SNDMORE : 0) < 0)
        bench_die ("%s: cannot forward a message within %d ms: %s", what, BENCH_WAIT_MS,
                   zmq_strerror (errno));
    }
  return TRUE;
}

void
bench_proxy_loop (void *a, void *b, int batch, gint *stop, const char *what)
{
  while (!g_atomic_int_get (stop))
    {
      zmq_pollitem_t items[2] = {
        { a, 0, ZMQ_POLLIN, 0 },
        { b, 0, ZMQ_POLLIN, 0 },
      };

      if (bench_poll (items, 2, BENCH_RAW_POLL_MS, what) < 0)
        continue;
      for (int i = 0; i < batch; i++)
        if (!bench_forward (a, b, what))
          break;
      for (int i = 0; i < batch; i++)
        if (!bench_forward (b, a, what))
          break;
    }
}

void
bench_stream_proxy_sockets (void *ctx, void **xsub, void **xpub)
{
  int hwm = BENCH_HWM, nodrop = 1, send_timeout_ms = BENCH_WAIT_MS;

  *xsub = bench_socket (ctx, ZMQ_XSUB);
  *xpub = bench_socket (ctx, ZMQ_XPUB);
  zmq_setsockopt (*xsub, ZMQ_RCVHWM, &hwm, sizeof hwm);
  zmq_setsockopt (*xpub, ZMQ_SNDHWM, &hwm, sizeof hwm);
  zmq_setsockopt (*xpub, ZMQ_XPUB_NODROP, &nodrop, sizeof nodrop);
  zmq_setsockopt (*xpub, ZMQ_SNDTIMEO, &send_timeout_ms, sizeof send_timeout_ms);
}

void *
bench_pub_new (void *ctx)
{
  void *pub = bench_socket (ctx, ZMQ_PUB);
  int hwm = BENCH_HWM, nodrop = 1;

  zmq_setsockopt (pub, ZMQ_SNDHWM, &hwm, sizeof hwm);
  zmq_setsockopt (pub, ZMQ_XPUB_NODROP, &nodrop, sizeof nodrop);
  return pub;
}

void *
bench_sub_new (void *ctx, const char *endpoint, const char *topic, const char *verb)
{
  void *sub = bench_socket (ctx, ZMQ_SUB);
  int hwm = BENCH_HWM;

  zmq_setsockopt (sub, ZMQ_RCVHWM, &hwm, sizeof hwm);
  bench_connect (sub, endpoint, "raw SUB", verb);
  if (zmq_setsockopt (sub, ZMQ_SUBSCRIBE, topic, strlen (topic) + 1) != 0)
    bench_die ("raw SUB: cannot subscribe: %s", zmq_strerror (errno));
  return sub;
}

void
bench_header_encode (guint8 out[BENCH_HEADER_SIZE], guint64 sequence, gint64 timestamp)
{
  guint64 seq_le = GUINT64_TO_LE (sequence);
  guint64 ts_le = GUINT64_TO_LE ((guint64) timestamp);

  memset (out, 0, BENCH_HEADER_SIZE);
  out[0] = 1; /* data-plane version */
  memcpy (out + 8, &seq_le, 8);
  memcpy (out + 16, &ts_le, 8);
}

guint64
bench_header_sequence (const guint8 *header)
{
  guint64 v;

  memcpy (&v, header + 8, 8);
  return GUINT64_FROM_LE (v);
}

static void
s_no_free (void *data, void *hint)
{
  (void) data;
  (void) hint;
}

gboolean
bench_pub_send (void *pub, const char *topic, guint64 seq, const void *payload, gsize size,
                gboolean copy)
{
  guint8 header[BENCH_HEADER_SIZE];
  zmq_msg_t msg;

  if (zmq_send (pub, topic, strlen (topic) + 1, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0)
    {
      if (errno == EAGAIN)
        return FALSE;
      bench_die ("raw PUB: cannot send: %s", zmq_strerror (errno));
    }
  /* Once the first frame is accepted, the rest of the message is. */
  bench_header_encode (header, seq, bench_wall_ns ());
  if (zmq_send (pub, header, sizeof header, ZMQ_SNDMORE) < 0)
    bench_die ("raw PUB: cannot send the header: %s", zmq_strerror (errno));
  if (copy)
    {
      zmq_msg_init_size (&msg, size);
      memcpy (zmq_msg_data (&msg), payload, size);
    }
  else
    zmq_msg_init_data (&msg, (void *) payload, size, s_no_free, NULL);
  if (zmq_msg_send (&msg, pub, 0) < 0)
    bench_die ("raw PUB: cannot send the payload: %s", zmq_strerror (errno));
  return TRUE;
}

gboolean
bench_stream_recv (void *sub, const char *shape, guint64 *seq, gsize *size, void *copy,
                   gsize copy_size)
{
  zmq_msg_t frames[3];
  int n = bench_recv_frames (sub, frames, 3, "raw SUB", shape);

  if (n == 0)
    return FALSE;
  if (n != 3)
    bench_die ("raw SUB: a message of %d frames, not [topic, header, payload]", n);
  if (zmq_msg_size (&frames[1]) != BENCH_HEADER_SIZE)
    bench_die ("raw SUB: a header of %zu bytes, not %d", zmq_msg_size (&frames[1]),
               BENCH_HEADER_SIZE);
  *seq = bench_header_sequence (zmq_msg_data (&frames[1]));
  *size = zmq_msg_size (&frames[2]);
  if (copy != NULL && *size == copy_size)
    memcpy (copy, zmq_msg_data (&frames[2]), copy_size);
  bench_close_frames (frames, 3);
  return TRUE;
}

/* ------------------------------------------------------------------------ */
/* Producers and receive loops */

void
bench_send_probes (BenchSendFunc send, gpointer data, void *pub, int k, gint *live)
{
  gint64 deadline = g_get_monotonic_time () + BENCH_WAIT_MS * G_TIME_SPAN_MILLISECOND;

  while (!g_atomic_int_get (live) && g_get_monotonic_time () < deadline)
    {
      send (data, pub, k, 0);
      g_usleep (BENCH_PROBE_MS * 1000);
    }
}

gboolean
bench_send_run (BenchSendFunc send, gpointer data, void *pub, int k, guint64 n, GMutex *lock,
                gint64 *start_ns, guint64 *retries)
{
  guint64 refused = 0;
  gint64 start = bench_now_ns ();

  for (guint64 seq = 1; seq <= n; seq++)
    {
      gint64 busy_since = 0;

      while (!send (data, pub, k, seq))
        {
          gint64 now = bench_now_ns ();

          refused++;
          if (busy_since == 0)
            busy_since = now;
          else if (now - busy_since > (gint64) BENCH_WAIT_MS * 1000000)
            return FALSE;
          g_usleep (BENCH_BACKOFF_US);
        }
    }
  g_mutex_lock (lock);
  *start_ns = start;
  *retries = refused;
  g_mutex_unlock (lock);
  return TRUE;
}

gboolean
bench_run_quiet (gint64 last_progress, gboolean producing, const char *kind, const char *name)
{
  gint64 idle = bench_now_ns () - last_progress;

  if (!producing && idle > (gint64) BENCH_QUIET_MS * 1000000)
    return TRUE;
  if (idle > (gint64) BENCH_WAIT_MS * 1000000)
    bench_die ("%s stream \"%s\": no message within %d ms", kind, name, BENCH_WAIT_MS);
  return FALSE;
}
