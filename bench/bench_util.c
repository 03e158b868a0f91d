/* Helpers shared by the benchmark programs (bench_util.h). */
#include "bench_util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

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
