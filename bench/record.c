/* bench-record: recording streams to MCAP files, against the disk and the
 * streams themselves, measured in one run.
 *
 *   1. Throughput of a recording: a server in this process with one pushed
 *      stream (1 MiB image frames of pseudo-random bytes, which no
 *      compression shrinks, or 64 B JSON texts), an OlRecorder over tcp
 *      loopback writing a file in DIR, a producer pushing N messages as fast
 *      as the stream takes them (a push refused with OL_ERROR_BUSY is retried
 *      after a short back-off and counted). Timed from the first push to the
 *      recorder stopped and the file fsync'ed. Against:
 *        (a) the disk: a plain loop of write() of the same payload bytes (1 MiB
 *            a write) to a file in the same directory, fsync at the end;
 *        (b) the stream without a recorder: the same pushes, from a thread,
 *            taken by an OlClient queue in the main thread.
 *      A burst larger than the sockets' high-water marks loses messages at
 *      the server (README, "Performance"): 100000 messages of 64 B stay
 *      below them; the losses are printed.
 *      With chunks compressed by zstd and stored as they are.
 *
 *   2. The acceptance run (--soak-seconds, default 60): 640x480 gray8 frames
 *      at 30 Hz and 64 B JSON at 1 kHz, pushed on absolute deadlines by two
 *      threads, recorded with zstd: the messages missed and overflowed must
 *      be 0.
 *
 * Every repetition uses a new server, recorder and file; the median of the
 * repetitions is printed with the ratios. Every wait is bounded by
 * BENCH_WAIT_MS (a message that does not come ends the run).
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <jansson.h>

#include "oneliner/error.h"
#include "oneliner/record.h"
#include "oneliner/server.h"
#include "oneliner/stream.h"

#include "bench_util.h"

#define N_KINDS 2
#define FRAME_W 1024
#define FRAME_H 1024

static const char *const s_kind_names[N_KINDS] = { "1 MiB", "64 B" };
static const gsize s_kind_sizes[N_KINDS] = { FRAME_W * FRAME_H, 64 };
static const guint s_counts[N_KINDS] = { 400, 100000 };
static const guint s_quick_counts[N_KINDS] = { 40, 20000 };

static char *s_dir;  /* where the files go */

/* The servers' "serving without keys" notes are left out of the report. */
static void
s_quiet_log (const char *domain, GLogLevelFlags level, const char *message, gpointer data)
{
  (void) domain, (void) level, (void) message, (void) data;
}
static int s_file_no;

/* A payload of kind k: pseudo-random bytes, or a 64-byte JSON array. */
static GBytes *
s_payload (int k)
{
  if (k == 0)
    {
      guint8 *p = g_malloc (s_kind_sizes[0]);
      guint32 x = 2463534242u;

      for (gsize i = 0; i < s_kind_sizes[0]; i++)
        {
          x ^= x << 13, x ^= x >> 17, x ^= x << 5;
          p[i] = (guint8) x;
        }
      return g_bytes_new_take (p, s_kind_sizes[0]);
    }
  {
    static const char values[] = "[0.125,1.5,2.75,3,4.0625,5.5,6.25,7.75,8.5,9.125,10.5,11";
    char text[64];

    G_STATIC_ASSERT (sizeof values < sizeof text);
    memset (text, ' ', sizeof text);
    memcpy (text, values, sizeof values - 1);
    text[63] = ']';
    return g_bytes_new (text, sizeof text);
  }
}

typedef struct {
  OlServer *server;
  OlStreamWriter *writer;
} Side;

static Side
s_side_new (int k)
{
  Side s;
  GError *error = NULL;
  OlImageInfo img = { FRAME_W, FRAME_H, OL_PIXEL_GRAY8 };

  s.server = ol_server_new ("tcp://127.0.0.1:*", "tcp://127.0.0.1:*");
  s.writer = ol_server_add_pushed_stream (s.server, "s", k == 0 ? OL_ENCODING_IMAGE
                                                                 : OL_ENCODING_JSON,
                                          k == 0 ? &img : NULL, &error);
  if (s.writer == NULL || !ol_server_start (s.server, &error))
    bench_die ("server: %s", error->message);
  return s;
}

static void
s_side_free (Side *s)
{
  ol_stream_writer_unref (s->writer);
  ol_server_free (&s->server);
}

/* Pushes payload, retrying a refused push; returns the retries. */
static guint64
s_push (OlStreamWriter *w, GBytes *payload)
{
  guint64 retries = 0;
  gint64 give_up = g_get_monotonic_time () + BENCH_WAIT_MS * 1000;

  for (;;)
    {
      GError *error = NULL;

      if (ol_stream_writer_push_bytes (w, payload, &error))
        return retries;
      if (!g_error_matches (error, OL_ERROR, OL_ERROR_BUSY))
        bench_die ("push: %s", error->message);
      g_error_free (error);
      if (g_get_monotonic_time () > give_up)
        bench_die ("push: refused for %d ms", BENCH_WAIT_MS);
      retries++;
      g_usleep (BENCH_BACKOFF_US);
    }
}

typedef struct {
  double seconds;
  double mb_per_s;     /* payload bytes a second */
  double msgs_per_s;
  guint64 received;    /* messages recorded (or taken) of the timed ones */
  guint64 lost;        /* missed + overflowed */
  guint64 file_bytes;
} Run;

static guint64
s_recorded (OlRecorder *r, guint64 *lost)
{
  OlRecorderStats st;

  ol_recorder_get_stats (r, &st);
  if (lost != NULL)
    *lost = st.missed + st.overflowed;
  return st.messages;
}

/* Waits until count() stops growing for quiet_ms (at most BENCH_WAIT_MS
 * in all). */
static guint64
s_settle (OlRecorder *r, int quiet_ms)
{
  guint64 n = s_recorded (r, NULL);
  gint64 last = g_get_monotonic_time (), end = last + BENCH_WAIT_MS * 1000;

  while (g_get_monotonic_time () - last < quiet_ms * 1000 && g_get_monotonic_time () < end)
    {
      guint64 m;

      g_usleep (1000);
      m = s_recorded (r, NULL);
      if (m != n)
        n = m, last = g_get_monotonic_time ();
    }
  return n;
}

static Run
s_run_recorder (int k, guint n, OlCompression compression, GBytes *payload)
{
  Side side = s_side_new (k);
  g_autofree char *path = g_strdup_printf ("%s/bench-%d.mcap", s_dir, s_file_no++);
  const char *streams[] = { "s", NULL };
  OlRecorderOptions o = { ol_server_get_rpc_endpoint (side.server),
                          ol_server_get_stream_endpoint (side.server), NULL, NULL, streams,
                          compression, n + 1000 };
  GError *error = NULL;
  OlRecorder *r = ol_recorder_start (path, &o, &error);
  gint64 t0, deadline, last_progress;
  guint64 base, done = 0, lost = 0, lost0 = 0;
  Run run = { 0 };
  int fd;

  if (r == NULL)
    bench_die ("recorder: %s", error->message);
  /* Probes until the subscription is live, then quiet: they are not timed. */
  deadline = g_get_monotonic_time () + BENCH_WAIT_MS * 1000;
  while (s_recorded (r, NULL) == 0)
    {
      s_push (side.writer, payload);
      g_usleep (BENCH_PROBE_MS * 1000);
      if (g_get_monotonic_time () > deadline)
        bench_die ("recorder: no probe recorded within %d ms", BENCH_WAIT_MS);
    }
  base = s_settle (r, 200);
  s_recorded (r, &lost0);

  t0 = bench_now_ns ();
  for (guint i = 0; i < n; i++)
    s_push (side.writer, payload);
  last_progress = g_get_monotonic_time ();
  while (done + (lost - lost0) < n)
    {
      guint64 m = s_recorded (r, &lost) - base;

      if (m != done)
        done = m, last_progress = g_get_monotonic_time ();
      else if (g_get_monotonic_time () - last_progress > BENCH_QUIET_MS * 1000)
        break;  /* the rest was lost */
      g_usleep (200);
    }
  if (!ol_recorder_stop (r, &error))
    bench_die ("recorder: %s", error->message);
  fd = open (path, O_RDONLY);
  if (fd < 0 || fsync (fd) != 0)
    bench_die ("%s: %s", path, g_strerror (errno));
  close (fd);
  run.seconds = (double) (bench_now_ns () - t0) / 1e9;
  {
    OlRecorderStats st;

    ol_recorder_get_stats (r, &st);
    run.file_bytes = st.bytes;
    run.lost = st.missed + st.overflowed - lost0;
  }
  ol_recorder_free (r);
  run.received = done;
  run.msgs_per_s = (double) done / run.seconds;
  run.mb_per_s = (double) done * (double) g_bytes_get_size (payload) / 1e6 / run.seconds;
  g_unlink (path);
  s_side_free (&side);
  return run;
}

/* A thread that pushes n messages as fast as the stream takes them, as the
 * recorder run's main thread does. */
typedef struct {
  BenchThread t;
  OlStreamWriter *writer;
  GBytes *payload;
  guint n;
} Pusher;

static gpointer
s_pusher (gpointer data)
{
  Pusher *p = data;

  bench_thread_ready (&p->t);
  for (guint i = 0; i < p->n && !bench_thread_stopping (&p->t); i++)
    s_push (p->writer, p->payload);
  return NULL;
}

/* The same pushes, from a thread, taken by a client queue in this thread:
 * no recorder. */
static Run
s_run_stream (int k, guint n, GBytes *payload)
{
  Side side = s_side_new (k);
  OlClient *c = bench_stream_client (side.server, "s", n + 1000);
  OlStreamMessage *m;
  gint64 t0, deadline = g_get_monotonic_time () + BENCH_WAIT_MS * 1000;
  guint64 done = 0;
  OlStreamCounters c0, c1;
  Pusher p = { .writer = side.writer, .payload = payload, .n = n };
  Run run = { 0 };

  for (;;)
    {
      s_push (side.writer, payload);
      m = bench_stream_get (c, "s", BENCH_PROBE_MS);
      if (m != NULL)
        break;
      if (g_get_monotonic_time () > deadline)
        bench_die ("stream: no probe within %d ms", BENCH_WAIT_MS);
    }
  ol_stream_message_free (m);
  while ((m = bench_stream_get (c, "s", 200)) != NULL)
    ol_stream_message_free (m);
  bench_stream_counters (c, "s", &c0);
  t0 = bench_now_ns ();
  bench_thread_start (&p.t, "pusher", s_pusher, &p, "pusher");
  while (done < n && (m = bench_stream_get (c, "s", BENCH_QUIET_MS)) != NULL)
    {
      done++;
      ol_stream_message_free (m);
    }
  run.seconds = (double) (bench_now_ns () - t0) / 1e9;
  bench_thread_stop (&p.t);
  bench_stream_counters (c, "s", &c1);
  run.received = done;
  run.lost = (c1.missed - c0.missed) + (c1.overflowed - c0.overflowed);
  run.msgs_per_s = (double) done / run.seconds;
  run.mb_per_s = (double) done * (double) g_bytes_get_size (payload) / 1e6 / run.seconds;
  ol_client_free (&c);
  s_side_free (&side);
  return run;
}

/* write() of the same payload bytes, 1 MiB a write, then fsync. */
static Run
s_run_disk (guint n, GBytes *payload)
{
  g_autofree char *path = g_strdup_printf ("%s/bench-%d.raw", s_dir, s_file_no++);
  gsize size = g_bytes_get_size (payload), total = size * n, chunk = 1024 * 1024;
  g_autofree guint8 *buf = g_malloc (chunk);
  int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  gint64 t0;
  Run run = { 0 };

  if (fd < 0)
    bench_die ("%s: %s", path, g_strerror (errno));
  for (gsize i = 0; i < chunk; i++)
    buf[i] = ((const guint8 *) g_bytes_get_data (payload, NULL))[i % size];
  t0 = bench_now_ns ();
  for (gsize done = 0; done < total;)
    {
      gsize len = MIN (chunk, total - done);
      ssize_t w = write (fd, buf, len);

      if (w < 0 && errno == EINTR)
        continue;
      if (w <= 0)
        bench_die ("%s: %s", path, g_strerror (errno));
      done += (gsize) w;
    }
  if (fsync (fd) != 0)
    bench_die ("%s: %s", path, g_strerror (errno));
  run.seconds = (double) (bench_now_ns () - t0) / 1e9;
  close (fd);
  g_unlink (path);
  run.received = n;
  run.msgs_per_s = n / run.seconds;
  run.mb_per_s = (double) total / 1e6 / run.seconds;
  return run;
}

static int
s_cmp_double (gconstpointer a, gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? -1 : x > y;
}

static double
s_median (double *v, int n)
{
  qsort (v, (size_t) n, sizeof (double), (int (*) (const void *, const void *)) s_cmp_double);
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* ------------------------------------------------------------------------ */
/* The acceptance run */

typedef struct {
  BenchThread t;
  OlStreamWriter *writer;
  double hz;
  GBytes *payload;     /* the JSON stream's */
  guint64 pushed, refused;
  gboolean image;
} Producer;

static gpointer
s_producer (gpointer data)
{
  Producer *p = data;
  gint64 start = g_get_monotonic_time ();
  guint8 *frame = p->image ? g_malloc (640 * 480) : NULL;

  bench_thread_ready (&p->t);
  for (guint64 i = 0; !bench_thread_stopping (&p->t); i++)
    {
      gint64 deadline = start + (gint64) ((double) i * G_USEC_PER_SEC / p->hz);
      gint64 wait = deadline - g_get_monotonic_time ();
      GError *error = NULL;
      gboolean ok;

      if (wait > 0)
        g_usleep ((gulong) wait);
      if (p->image)
        {
          /* A moving pattern, as a camera's. */
          for (int y = 0; y < 480; y++)
            memset (frame + y * 640, (int) ((y + i) & 0xff), 640);
          ok = ol_stream_writer_push_data (p->writer, frame, 640 * 480, &error);
        }
      else
        ok = ol_stream_writer_push_bytes (p->writer, p->payload, &error);
      if (ok)
        p->pushed++;
      else
        {
          p->refused++;
          g_error_free (error);
        }
    }
  g_free (frame);
  return NULL;
}

static json_t *
s_soak (double seconds)
{
  OlServer *server = ol_server_new ("tcp://127.0.0.1:*", "tcp://127.0.0.1:*");
  OlImageInfo img = { 640, 480, OL_PIXEL_GRAY8 };
  GError *error = NULL;
  Producer cam = { 0 }, json = { 0 };
  const char *streams[] = { "camera", "json", NULL };
  g_autofree char *path = g_strdup_printf ("%s/soak.mcap", s_dir);
  OlRecorderOptions o = { 0 };
  OlRecorder *r;
  OlRecorderStats st;
  gint64 end, next;
  gint64 max_lag = 0;

  cam.writer = ol_server_add_pushed_stream (server, "camera", OL_ENCODING_IMAGE, &img, &error);
  json.writer = cam.writer != NULL
                ? ol_server_add_pushed_stream (server, "json", OL_ENCODING_JSON, NULL, &error)
                : NULL;
  if (json.writer == NULL || !ol_server_start (server, &error))
    bench_die ("soak server: %s", error->message);
  o.rpc_endpoint = ol_server_get_rpc_endpoint (server);
  o.stream_endpoint = ol_server_get_stream_endpoint (server);
  o.streams = streams;
  o.compression = OL_COMPRESSION_ZSTD;
  r = ol_recorder_start (path, &o, &error);
  if (r == NULL)
    bench_die ("soak recorder: %s", error->message);
  /* The subscription reaches the server before the first push. */
  g_usleep (500 * 1000);
  cam.hz = 30, cam.image = TRUE;
  json.hz = 1000, json.payload = s_payload (1);
  bench_thread_start (&cam.t, "camera", s_producer, &cam, "camera producer");
  bench_thread_start (&json.t, "json", s_producer, &json, "json producer");
  end = g_get_monotonic_time () + (gint64) (seconds * G_USEC_PER_SEC);
  next = g_get_monotonic_time () + G_USEC_PER_SEC;
  while (g_get_monotonic_time () < end)
    {
      g_usleep (100 * 1000);
      ol_recorder_get_stats (r, &st);
      max_lag = MAX (max_lag, st.lag_us);
      if (g_get_monotonic_time () >= next && isatty (STDERR_FILENO))
        {
          fprintf (stderr, "\rsoak: %" G_GUINT64_FORMAT " messages, %.1f MB, missed %"
                   G_GUINT64_FORMAT ", overflowed %" G_GUINT64_FORMAT ", lag %.1f ms   ",
                   st.messages, st.bytes / 1e6, st.missed, st.overflowed, st.lag_us / 1000.0);
          next += G_USEC_PER_SEC;
        }
    }
  bench_thread_stop (&cam.t);
  bench_thread_stop (&json.t);
  if (isatty (STDERR_FILENO))
    fprintf (stderr, "\n");
  /* The last pushes on their way. */
  g_usleep (500 * 1000);
  if (!ol_recorder_stop (r, &error))
    bench_die ("soak recorder: %s", error->message);
  ol_recorder_get_stats (r, &st);
  ol_recorder_free (r);
  g_unlink (path);
  printf ("\n2. Acceptance: 640x480 gray8 at 30 Hz and 64 B JSON at 1 kHz recorded for %.0f s "
          "(zstd)\n", seconds);
  printf ("   pushed %" G_GUINT64_FORMAT " frames and %" G_GUINT64_FORMAT " JSON (refused %"
          G_GUINT64_FORMAT "), recorded %" G_GUINT64_FORMAT " messages, %.1f MB file\n",
          cam.pushed, json.pushed, cam.refused + json.refused, st.messages, st.bytes / 1e6);
  printf ("   missed %" G_GUINT64_FORMAT ", overflowed %" G_GUINT64_FORMAT ", errors %"
          G_GUINT64_FORMAT ", writer lag max %.1f ms  (target 0 missed, 0 overflowed: %s)\n",
          st.missed, st.overflowed, st.errors, max_lag / 1000.0,
          bench_met (st.missed == 0 && st.overflowed == 0
                     && st.messages == cam.pushed + json.pushed));
  {
    json_t *j = json_pack ("{s:f, s:I, s:I, s:I, s:I, s:I, s:I}", "seconds", seconds,
                           "frames", (json_int_t) cam.pushed, "json", (json_int_t) json.pushed,
                           "recorded", (json_int_t) st.messages,
                           "missed", (json_int_t) st.missed,
                           "overflowed", (json_int_t) st.overflowed,
                           "bytes", (json_int_t) st.bytes);
    g_bytes_unref (json.payload);
    ol_stream_writer_unref (cam.writer);
    ol_stream_writer_unref (json.writer);
    ol_server_free (&server);
    return j;
  }
}

int
main (int argc, char **argv)
{
  gboolean quick = FALSE, json_out = FALSE, verbose = FALSE, no_throughput = FALSE;
  int reps = 3;
  double soak_seconds = 60;
  char *dir = NULL;
  GOptionEntry entries[] = {
    BENCH_OPTION_QUICK (&quick, "Small counts and a 5 s acceptance run: a smoke run"),
    BENCH_OPTION_JSON (&json_out),
    BENCH_OPTION_REPS (&reps, "Repetitions of each throughput measurement (default 3)"),
    { "soak-seconds", 0, 0, G_OPTION_ARG_DOUBLE, &soak_seconds,
      "Duration of the acceptance run in seconds (default 60; 0 skips it)", "S" },
    { "dir", 'd', 0, G_OPTION_ARG_FILENAME, &dir,
      "Where the files are written (default: the current directory); each run "
      "makes and removes a temporary directory there", "DIR" },
    { "no-throughput", 0, 0, G_OPTION_ARG_NONE, &no_throughput,
      "Skip the throughput measurements", NULL },
    BENCH_OPTION_VERBOSE (&verbose),
    BENCH_OPTION_END,
  };
  json_t *jt = json_array (), *js = json_null ();
  GError *error = NULL;
  g_autofree char *tmpl = NULL;

  bench_set_program_name ("bench-record");
  g_log_set_handler ("oneliner", G_LOG_LEVEL_MESSAGE | G_LOG_LEVEL_INFO, s_quiet_log, NULL);
  bench_parse_options (&argc, &argv, "- recording streams to MCAP files",
    "Measures in one run:\n"
    "  1. the throughput of an OlRecorder writing a pushed stream of 1 MiB frames\n"
    "     and one of 64 B JSON to a file (zstd and uncompressed chunks), against\n"
    "     (a) write() of the same bytes to a file in the same directory, fsync at\n"
    "     the end, and (b) the stream taken by a client without a recorder,\n"
    "     median of the repetitions with the ratios;\n"
    "  2. the acceptance run: 640x480 gray8 frames at 30 Hz and 64 B JSON at\n"
    "     1 kHz recorded for --soak-seconds: 0 missed, 0 overflowed.",
    entries);
  if (reps < 1 || soak_seconds < 0 || soak_seconds > 86400)
    bench_die ("--reps must be at least 1, --soak-seconds from 0 to 86400");
  if (quick && soak_seconds == 60)
    soak_seconds = 5;
  tmpl = g_build_filename (dir != NULL ? dir : ".", "bench-record-XXXXXX", NULL);
  s_dir = g_mkdtemp (tmpl) != NULL ? g_strdup (tmpl) : NULL;
  if (s_dir == NULL)
    bench_die ("cannot make a directory in %s: %s", dir != NULL ? dir : ".", g_strerror (errno));
  (void) error;

  printf ("oneliner recording benchmark: tcp loopback, %d CPUs, files in %s\n",
          g_get_num_processors (), s_dir);
  if (!no_throughput)
    {
      printf ("\n1. Throughput of a recording, median of %d repetitions\n", reps);
      printf ("   recorder: push -> server -> tcp -> OlRecorder -> MCAP file, to stop and fsync\n");
      printf ("   disk:     write() of the same bytes, 1 MiB a call, fsync\n");
      printf ("   stream:   push -> server -> tcp -> OlClient queue, no recorder\n");
      printf ("\n   %-7s %-6s %-24s %-24s %-24s %s\n", "payload", "chunks", "recorder",
              "disk", "stream", "ratio rec/disk  rec/stream");
      for (int k = 0; k < N_KINDS; k++)
        for (int c = 0; c < 2; c++)
          {
            OlCompression comp = c == 0 ? OL_COMPRESSION_ZSTD : OL_COMPRESSION_NONE;
            guint n = quick ? s_quick_counts[k] : s_counts[k];
            g_autoptr (GBytes) payload = s_payload (k);
            double rec_mb[32], rec_msgs[32], disk_mb[32], st_mb[32], st_msgs[32], fb[32];
            guint64 lost = 0, short_of = 0, stream_lost = 0;
            int nr = MIN (reps, 32);
            double rm, dm, sm, rmsg, smsg;

            for (int i = 0; i < nr; i++)
              {
                Run r = s_run_recorder (k, n, comp, payload);
                Run d = s_run_disk (n, payload);
                Run s = s_run_stream (k, n, payload);

                rec_mb[i] = r.mb_per_s, rec_msgs[i] = r.msgs_per_s;
                disk_mb[i] = d.mb_per_s;
                st_mb[i] = s.mb_per_s, st_msgs[i] = s.msgs_per_s;
                fb[i] = (double) r.file_bytes;
                lost += r.lost;
                short_of += n - MIN (n, r.received);
                stream_lost += s.lost;
                if (verbose)
                  fprintf (stderr, "%s %s rep %d: recorder %.1f MB/s %.0f msgs/s (%"
                           G_GUINT64_FORMAT " of %u), disk %.1f MB/s, stream %.1f MB/s "
                           "%.0f msgs/s\n", s_kind_names[k], ol_compression_name (comp),
                           i + 1, r.mb_per_s, r.msgs_per_s, r.received, n, d.mb_per_s,
                           s.mb_per_s, s.msgs_per_s);
              }
            rm = s_median (rec_mb, nr), dm = s_median (disk_mb, nr), sm = s_median (st_mb, nr);
            rmsg = s_median (rec_msgs, nr), smsg = s_median (st_msgs, nr);
            printf ("   %-7s %-6s %8.1f MB/s %7.0f/s  %8.1f MB/s %10s %8.1f MB/s %7.0f/s  "
                    "%5.2fx %11.2fx\n", s_kind_names[k], ol_compression_name (comp), rm, rmsg,
                    dm, "", sm, smsg, rm / dm, rmsg / smsg);
            printf ("   %-14s file %.1f MB for %.1f MB of payloads; not recorded %"
                    G_GUINT64_FORMAT " (recorder's missed + overflowed %" G_GUINT64_FORMAT
                    "), stream lost %" G_GUINT64_FORMAT " (sums)\n", "",
                    s_median (fb, nr) / 1e6, (double) n * s_kind_sizes[k] / 1e6, short_of, lost,
                    stream_lost);
            json_array_append_new (jt, json_pack (
              "{s:s, s:s, s:i, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:I, s:I, s:I}",
              "payload", s_kind_names[k], "compression", ol_compression_name (comp),
              "messages", (int) n, "recorder_mb_s", rm, "recorder_msgs_s", rmsg,
              "disk_mb_s", dm, "stream_mb_s", sm, "stream_msgs_s", smsg,
              "ratio_disk", rm / dm, "ratio_stream", rmsg / smsg,
              "recorder_lost", (json_int_t) short_of, "recorder_counted", (json_int_t) lost,
              "stream_lost", (json_int_t) stream_lost));
            fflush (stdout);
          }
    }
  if (soak_seconds > 0)
    {
      json_decref (js);
      js = s_soak (soak_seconds);
    }
  g_rmdir (s_dir);
  if (json_out)
    bench_print_json (json_pack ("{s:o, s:o}", "throughput", jt, "acceptance", js));
  else
    {
      json_decref (jt);
      json_decref (js);
    }
  g_free (dir);
  g_free (s_dir);
  return 0;
}
