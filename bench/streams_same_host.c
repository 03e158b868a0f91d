/* bench-streams, section 4: same-host frames (docs/PROTOCOL.md, "Same-host
 * frames").
 *
 * The server runs in a process of its own (this program started again with
 * SAME_HOST_SERVER_ARG), as on an instrument PC with its GUI beside it: one
 * pushed raw stream per payload size (64 KiB, 1 MiB, 8 MiB), each message
 * the same pre-written payload, and a function burst(k, n, pause_us) that
 * pushes n messages of size k (a full queue is retried after a short
 * back-off). This process reads them with an OlClient, through the server's
 * ring (ol_client_set_stream_shm TRUE) or over tcp loopback as before
 * (FALSE), and touches every byte of every payload it takes. The limit is
 * memcpy of the same bytes in this process.
 *
 *   - throughput: bursts of half a server ring (16 messages of 1 MiB, ...;
 *     the next once the reader has taken the last) while the main thread
 *     takes and reads the messages, from the first call to the last message,
 *     the same on both paths; lost ones (counters) are printed;
 *   - latency: burst(k, m, pause) with a pause between messages, one at a
 *     time in flight: header timestamp (the push, server's wall clock) to
 *     the last byte read here;
 *   - the publisher's CPU time per message: the server process's CPU time
 *     (every thread, /proc/PID/task/TID/schedstat) over the throughput run,
 *     divided by the messages pushed.
 *
 * Medians of the repetitions, each on a new OlClient. Every wait is bounded.
 */
#include "streams_same_host.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "oneliner/client.h"
#include "oneliner/error.h"
#include "oneliner/server.h"
#include "oneliner/stream.h"

#include "bench_util.h"

#define N_SH 3
static const gsize s_sh_sizes[N_SH] = { 64 * 1024, 1024 * 1024, 8 * 1024 * 1024 };
static const char *const s_sh_names[N_SH] = { "64 KiB", "1 MiB", "8 MiB" };
static const guint s_sh_counts[N_SH] = { 20000, 2000, 250 };
static const guint s_sh_quick_counts[N_SH] = { 2000, 200, 30 };
static const int s_sh_pause_us[N_SH] = { 2000, 5000, 30000 };
#define SH_LATENCY_N 60
#define SH_LATENCY_QUICK_N 15

/* ------------------------------------------------------------------------ */
/* The server process */

static OlStreamWriter *s_writers[N_SH];
static GBytes *s_payloads[N_SH];

/* Pushes one message of size k: the pre-written payload (written 0), or a
 * frame from ol_stream_writer_reserve() that the payload is written into
 * first, as a camera reads a frame out into it (written 1). */
static gboolean
s_push_one (int32_t k, int32_t written)
{
  gsize size = s_sh_sizes[k];
  OlStreamFrame *f;

  if (!written)
    return ol_stream_writer_push_bytes (s_writers[k], s_payloads[k], NULL);
  if ((f = ol_stream_writer_reserve (s_writers[k], size, NULL)) == NULL)
    return FALSE;
  memcpy (ol_stream_frame_data (f), g_bytes_get_data (s_payloads[k], NULL), size);
  return ol_stream_writer_push_frame (s_writers[k], f, NULL);
}

/* (int32 k, int32 n, int32 pause_us, int32 written) -> int64: pushes n
 * messages of size k (s_push_one); returns how many were refused and
 * pushed again. */
static int64_t
s_burst (int32_t k, int32_t n, int32_t pause_us, int32_t written)
{
  int64_t retries = 0;

  if (k < 0 || k >= N_SH)
    return -1;
  for (int32_t i = 0; i < n; i++)
    {
      while (!s_push_one (k, written))
        {
          retries++;
          g_usleep (BENCH_BACKOFF_US);
        }
      if (pause_us > 0)
        g_usleep ((gulong) pause_us);
    }
  return retries;
}

int
same_host_server_main (void)
{
  GError *error = NULL;
  OlServer *server = ol_server_new ("tcp://127.0.0.1:*", "tcp://127.0.0.1:*");
  char c;

  bench_set_program_name ("bench-streams server");
  for (int k = 0; k < N_SH; k++)
    {
      char name[32];

      g_snprintf (name, sizeof name, "frames%" G_GSIZE_FORMAT, s_sh_sizes[k]);
      s_writers[k] = ol_server_add_pushed_stream (server, name, OL_ENCODING_RAW, NULL, &error);
      if (s_writers[k] == NULL)
        bench_die ("%s", error->message);
      s_payloads[k] = g_bytes_new_take (bench_payload_new (s_sh_sizes[k]), s_sh_sizes[k]);
    }
  if (!ol_server_add_function (server, "burst", "(int32 k, int32 n, int32 pause_us, int32 written) -> int64",
                               OL_FUNC (s_burst), &error)
      || !ol_server_start (server, &error))
    bench_die ("%s", error->message);
  printf ("serving rpc %s stream %s\n", ol_server_get_rpc_endpoint (server),
          ol_server_get_stream_endpoint (server));
  fflush (stdout);
  /* Until the benchmark closes our stdin (or dies). */
  while (read (STDIN_FILENO, &c, 1) > 0)
    ;
  ol_server_stop (server);
  for (int k = 0; k < N_SH; k++)
    {
      ol_stream_writer_unref (s_writers[k]);
      g_bytes_unref (s_payloads[k]);
    }
  ol_server_free (&server);
  return 0;
}

/* ------------------------------------------------------------------------ */
/* The benchmark's side */

typedef struct {
  GPid pid;
  int in_fd;                 /* its stdin: closed to stop it */
  char *rpc;
  char *stream;
} Peer;

static volatile guint64 s_sink;

/* Reads every byte of a payload, as an application that uses it does. */
static void
s_touch (GBytes *payload)
{
  gsize n;
  const guint8 *p = g_bytes_get_data (payload, &n);
  guint64 sum = 0, v;
  gsize i;

  for (i = 0; i + 8 <= n; i += 8)
    {
      memcpy (&v, p + i, 8);
      sum += v;
    }
  for (; i < n; i++)
    sum += p[i];
  s_sink += sum;
}

/* CPU time of every thread of pid so far, ns. */
static gint64
s_cpu_ns (GPid pid)
{
  g_autofree char *dir = g_strdup_printf ("/proc/%d/task", (int) pid);
  GDir *d = g_dir_open (dir, 0, NULL);
  const char *tid;
  gint64 sum = 0;

  if (d == NULL)
    bench_die ("cannot read %s", dir);
  while ((tid = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_strdup_printf ("%s/%s/schedstat", dir, tid);
      g_autofree char *text = NULL;

      if (g_file_get_contents (path, &text, NULL, NULL))
        sum += g_ascii_strtoll (text, NULL, 10);
    }
  g_dir_close (d);
  return sum;
}

static void
s_peer_start (Peer *peer)
{
  const char *argv[] = { "/proc/self/exe", SAME_HOST_SERVER_ARG, NULL };
  GError *error = NULL;
  int out_fd;
  GIOChannel *ch;
  char *line = NULL;

  if (!g_spawn_async_with_pipes (NULL, (char **) argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD, NULL,
                                 NULL, &peer->pid, &peer->in_fd, &out_fd, NULL, &error))
    bench_die ("cannot start the server process: %s", error->message);
  ch = g_io_channel_unix_new (out_fd);
  g_io_channel_set_close_on_unref (ch, TRUE);
  if (g_io_channel_read_line (ch, &line, NULL, NULL, &error) != G_IO_STATUS_NORMAL
      || line == NULL || sscanf (line, "serving rpc %*s stream %*s") != 0)
    bench_die ("the server process did not start");
  peer->rpc = g_strndup (line + 12, strcspn (line + 12, " "));
  peer->stream = g_strstrip (g_strdup (strstr (line, " stream ") + 8));
  g_free (line);
  g_io_channel_unref (ch);
}

static void
s_peer_stop (Peer *peer)
{
  int status;

  close (peer->in_fd);
  for (int i = 0; i < 100 && waitpid (peer->pid, &status, WNOHANG) == 0; i++)
    g_usleep (50000);
  if (waitpid (peer->pid, &status, WNOHANG) == 0)
    {
      kill (peer->pid, SIGKILL);
      waitpid (peer->pid, &status, 0);
    }
  g_spawn_close_pid (peer->pid);
  g_free (peer->rpc);
  g_free (peer->stream);
}

typedef struct {
  const Peer *peer;
  int k, n, pause_us;
  int written;               /* the payload written into a reserved frame */
  int window;                /* > 0: at most this many messages ahead of the
                                reader (taken) */
  gint taken;                /* atomic: messages the reader took or lost */
  gint done;                 /* atomic */
  char *error;               /* (owned) (nullable) */
} Burst;

static gpointer
s_burst_thread (gpointer data)
{
  Burst *b = data;
  GError *error = NULL;
  OlClient *c = ol_client_new (b->peer->rpc, b->peer->stream, &error);
  int sent = 0;

  if (c != NULL)
    ol_client_set_timeout (c, 600000);
  while (c != NULL && sent < b->n)
    {
      /* Half a window at a time, the next as soon as the reader is within
       * half a window: the writer never waits for an empty pipeline, and
       * never runs more than the window ahead. */
      int chunk = b->window > 0 ? MIN (MAX (1, b->window / 2), b->n - sent) : b->n;
      json_t *r = ol_client_call (c, NULL, "burst",
                                  json_pack ("[iiii]", b->k, chunk, b->pause_us, b->written), NULL, &error);
      gint64 deadline = g_get_monotonic_time () + BENCH_WAIT_MS * 1000;

      if (r == NULL)
        break;
      json_decref (r);
      sent += chunk;
      while (b->window > 0 && sent < b->n
             && g_atomic_int_get (&b->taken) < sent - MAX (1, b->window / 2)
             && g_get_monotonic_time () < deadline)
        g_usleep (20);
    }
  if (c == NULL || error != NULL)
    b->error = g_strdup (error->message);
  g_clear_error (&error);
  ol_client_free (&c);
  g_atomic_int_set (&b->done, 1);
  return NULL;
}

static void
s_burst_join (GThread *thread, Burst *b)
{
  g_thread_join (thread);
  if (b->error != NULL)
    bench_die ("burst: %s", b->error);
}

static OlClient *
s_reader (const Peer *peer, int k, gboolean ring)
{
  GError *error = NULL;
  OlClient *c = ol_client_new (peer->rpc, peer->stream, &error);
  char name[32];
  gint64 deadline = g_get_monotonic_time () + BENCH_WAIT_MS * 1000;
  guint depth = (guint) MAX (8, (64u << 20) / s_sh_sizes[k]);

  if (c == NULL)
    bench_die ("%s", error->message);
  g_snprintf (name, sizeof name, "frames%" G_GSIZE_FORMAT, s_sh_sizes[k]);
  ol_client_set_stream_shm (c, ring);
  if (!ol_client_configure_stream (c, name, OL_STORAGE_QUEUE, depth, &error))
    bench_die ("%s", error->message);
  /* Live (and, for the ring, through it) once a probe came that way. */
  for (;;)
    {
      Burst b = { peer, k, 1, 0, 0, 0, 0, 0, NULL };
      GThread *t = g_thread_new ("bench-burst", s_burst_thread, &b);
      OlStreamMessage *m;
      guint64 frames = 0;

      s_burst_join (t, &b);
      while ((m = ol_client_get_stream (c, name, 100, NULL)) != NULL)
        ol_stream_message_free (m);
      if (ring ? ol_client_get_stream_shm (c, &frames, NULL, NULL) && frames > 0
               : !ol_client_get_stream_shm (c, NULL, NULL, NULL))
        {
          OlStreamCounters cnt;

          if (ol_client_get_stream_counters (c, name, &cnt, NULL) && cnt.received > 0)
            return c;
        }
      if (g_get_monotonic_time () > deadline)
        bench_die ("stream %s was not live %s within %d ms", name,
                   ring ? "through the ring" : "over tcp", BENCH_WAIT_MS);
    }
}

typedef struct {
  double mbps, msgs, lost, p50_us, cpu_us;
} ShRow;

static ShRow
s_measure (const Peer *peer, int k, gboolean ring, int written, guint n, guint n_lat)
{
  OlClient *c = s_reader (peer, k, ring);
  char name[32];
  OlStreamCounters c0, c1;
  guint64 received = 0;
  gint64 t0, t_last, cpu0, quiet;
  gint64 *lat = g_new0 (gint64, n_lat);
  guint n_got = 0;
  ShRow row = { 0 };
  /* Half a ring of the server ahead of the reader at most, on both paths:
   * the lossless rate, not how fast a publisher can overrun a reader. */
  Burst b = { peer, k, (int) n, 0, written,
              (int) CLAMP ((32u << 20) / s_sh_sizes[k] / 2, 2, 64), 0, 0, NULL };
  GThread *t;

  g_snprintf (name, sizeof name, "frames%" G_GSIZE_FORMAT, s_sh_sizes[k]);
  ol_client_get_stream_counters (c, name, &c0, NULL);
  cpu0 = s_cpu_ns (peer->pid);
  t0 = t_last = quiet = bench_now_ns ();
  t = g_thread_new ("bench-burst", s_burst_thread, &b);
  for (;;)
    {
      OlStreamMessage *m = ol_client_get_stream (c, name, BENCH_POLL_MS, NULL);

      if (m != NULL)
        {
          s_touch (m->payload);
          ol_stream_message_free (m);
          received++;
          t_last = quiet = bench_now_ns ();
          ol_client_get_stream_counters (c, name, &c1, NULL);
          g_atomic_int_set (&b.taken, (int) (received + (c1.missed - c0.missed)
                                             + (c1.overflowed - c0.overflowed)));
          if ((guint) g_atomic_int_get (&b.taken) >= n)
            break;
          continue;
        }
      if (g_atomic_int_get (&b.done)
          && bench_now_ns () - quiet > (gint64) BENCH_QUIET_MS * 1000000)
        break;
      if (bench_now_ns () - quiet > (gint64) 60000 * 1000000)
        bench_die ("stream %s: nothing for 60 s", name);
    }
  s_burst_join (t, &b);
  row.cpu_us = (double) (s_cpu_ns (peer->pid) - cpu0) / 1000.0 / n;
  ol_client_get_stream_counters (c, name, &c1, NULL);
  row.lost = (double) (n - MIN (received, n));
  row.msgs = received > 0 ? received / ((t_last - t0) / 1e9) : 0;
  row.mbps = row.msgs * s_sh_sizes[k] / 1e6;

  /* Latency: one message in flight at a time. */
  {
    Burst lb = { peer, k, (int) n_lat, s_sh_pause_us[k], written, 0, 0, 0, NULL };
    GThread *lt = g_thread_new ("bench-burst", s_burst_thread, &lb);

    quiet = bench_now_ns ();
    while (n_got < n_lat)
      {
        OlStreamMessage *m = ol_client_get_stream (c, name, BENCH_POLL_MS, NULL);

        if (m != NULL)
          {
            s_touch (m->payload);
            lat[n_got++] = bench_wall_ns () - m->timestamp;
            ol_stream_message_free (m);
            quiet = bench_now_ns ();
          }
        else if (g_atomic_int_get (&lb.done)
                 && bench_now_ns () - quiet > (gint64) BENCH_QUIET_MS * 1000000)
          break;
      }
    s_burst_join (lt, &lb);
    bench_sort_i64 (lat, n_got);
    row.p50_us = n_got > 0 ? bench_percentile_i64 (lat, n_got, 50) / 1000.0 : 0;
  }
  if (ring && !ol_client_get_stream_shm (c, NULL, NULL, NULL))
    bench_die ("stream %s: the client left the ring", name);
  g_free (lat);
  ol_client_free (&c);
  return row;
}

/* memcpy of n payloads of size bytes: MB/s. span 0: the same source and
 * destination every time (in the caches up to their size); else both go
 * round buffers of span bytes, as a ring's slots do. */
static double
s_memcpy_mbps (gsize size, guint n, gsize span)
{
  guint slots = span > size ? (guint) (span / size) : 1;
  guint8 *src = bench_payload_new (size * slots);
  guint8 *dst = bench_payload_new (size * slots);
  gint64 t0 = bench_now_ns ();
  double mbps;

  for (guint i = 0; i < n; i++)
    {
      gsize at = (gsize) (i % slots) * size;

      memcpy (dst + at, src + at, size);
      s_sink += dst[at + i % size];
    }
  mbps = (double) size * n / ((bench_now_ns () - t0) / 1e9) / 1e6;
  g_free (src);
  g_free (dst);
  return mbps;
}

static double
s_median_of (ShRow *rows, int n, gsize offset)
{
  return bench_median_field (rows, n, sizeof (ShRow), offset);
}

/* The paths measured: how the server publishes, how the client reads. */
#define N_PATHS 4
static const struct {
  const char *label;
  gboolean ring;             /* the client takes the ring */
  int written;               /* the server writes reserved frames */
} s_paths[N_PATHS] = {
  { "ring", TRUE, 1 },       /* written in the slot, read in place */
  { "ring/cp", TRUE, 0 },    /* pushed bytes, copied into the slot by the server */
  { "tcp", FALSE, 0 },       /* pushed bytes over tcp loopback: the path before */
  { "tcp/w", FALSE, 1 },     /* written frames (memory of the process) over tcp */
};

json_t *
same_host_section (gboolean quick, int reps, double scale)
{
  Peer peer = { 0 };
  json_t *out = json_array ();
  ShRow med[N_SH][N_PATHS];
  double mc[N_SH], mc_span[N_SH];

  s_peer_start (&peer);
  printf ("\n4. Same-host frames: the server in a process of its own, the reader touches "
          "every byte; median of %d repetitions\n", reps);
  printf ("   ring: the server writes each frame into a reserved ring slot"
          " (ol_stream_writer_reserve: a memcpy of the payload, as a camera's read-out),\n"
          "         the client reads it in place (docs/PROTOCOL.md \"Same-host frames\");"
          " ring/cp: the server pushes the payload and copies it into a slot;\n"
          "   tcp: the payload pushed as it is, over tcp loopback (ol_client_set_stream_shm"
          " FALSE: the path before); tcp/w: frames written as for ring, over tcp;\n"
          "   memcpy: the same bytes copied in this process. latency: push (server's clock)"
          " to the last byte read; CPU: the server process per message\n");
  printf ("\n   %-7s %-7s %10s %10s %8s %12s %14s\n", "payload", "path", "MB/s", "msgs/s",
          "lost", "p50 latency", "server CPU/msg");
  for (int k = 0; k < N_SH; k++)
    {
      guint n = MAX (10u, (guint) ((quick ? s_sh_quick_counts[k] : s_sh_counts[k]) * scale));
      guint n_lat = quick ? SH_LATENCY_QUICK_N : SH_LATENCY_N;
      double mcs[64];
      json_t *row = json_pack ("{s:I}", "size", (json_int_t) s_sh_sizes[k]);

      for (int path = 0; path < N_PATHS; path++)
        {
          ShRow *rows = g_new0 (ShRow, reps);
          char key[48];

          for (int i = 0; i < reps; i++)
            rows[i] = s_measure (&peer, k, s_paths[path].ring, s_paths[path].written, n, n_lat);
          med[k][path].mbps = s_median_of (rows, reps, G_STRUCT_OFFSET (ShRow, mbps));
          med[k][path].msgs = s_median_of (rows, reps, G_STRUCT_OFFSET (ShRow, msgs));
          med[k][path].lost = s_median_of (rows, reps, G_STRUCT_OFFSET (ShRow, lost));
          med[k][path].p50_us = s_median_of (rows, reps, G_STRUCT_OFFSET (ShRow, p50_us));
          med[k][path].cpu_us = s_median_of (rows, reps, G_STRUCT_OFFSET (ShRow, cpu_us));
          g_free (rows);
          printf ("   %-7s %-7s %10.1f %10.0f %8.0f %9.1f us %11.1f us\n", s_sh_names[k],
                  s_paths[path].label, med[k][path].mbps, med[k][path].msgs,
                  med[k][path].lost, med[k][path].p50_us, med[k][path].cpu_us);
          fflush (stdout);
          g_snprintf (key, sizeof key, "%s", s_paths[path].label);
          g_strdelimit (key, "/", '_');
          json_object_set_new (row, key,
                               json_pack ("{s:f, s:f, s:f, s:f}", "mbps", med[k][path].mbps,
                                          "p50_us", med[k][path].p50_us,
                                          "cpu_us", med[k][path].cpu_us,
                                          "lost", med[k][path].lost));
        }
      for (int i = 0; i < MIN (reps, 64); i++)
        mcs[i] = s_memcpy_mbps (s_sh_sizes[k], n, 0);
      mc[k] = bench_median (mcs, MIN (reps, 64));
      printf ("   %-7s %-7s %10.1f   (the same buffers each time)\n", s_sh_names[k], "memcpy",
              mc[k]);
      for (int i = 0; i < MIN (reps, 64); i++)
        mcs[i] = s_memcpy_mbps (s_sh_sizes[k], n, 32u << 20);
      mc_span[k] = bench_median (mcs, MIN (reps, 64));
      printf ("   %-7s %-7s %10.1f   (round 32 MiB, as a ring's slots)\n", s_sh_names[k],
              "memcpy", mc_span[k]);
      json_object_set_new (row, "memcpy_mbps", json_real (mc[k]));
      json_object_set_new (row, "memcpy_32mib_mbps", json_real (mc_span[k]));
      json_array_append_new (out, row);
    }
  printf ("\n   1 MiB: ring / tcp %.2fx (goal >= 3x: %s), ring / memcpy %.2fx (goal >= 0.5x: %s;"
          " round 32 MiB %.2fx),\n"
          "          p50 latency ring / tcp %.2f (goal <= 0.25: %s), server CPU ring / tcp %.2f"
          " (goal <= 0.33: %s; ring / tcp/w, the same read-out on both, %.2f)\n",
          med[1][0].mbps / med[1][2].mbps, bench_met (med[1][0].mbps >= 3 * med[1][2].mbps),
          med[1][0].mbps / mc[1], bench_met (med[1][0].mbps >= 0.5 * mc[1]),
          med[1][0].mbps / mc_span[1],
          med[1][0].p50_us / med[1][2].p50_us,
          bench_met (med[1][0].p50_us <= 0.25 * med[1][2].p50_us),
          med[1][0].cpu_us / med[1][2].cpu_us,
          bench_met (med[1][0].cpu_us <= med[1][2].cpu_us / 3),
          med[1][0].cpu_us / med[1][3].cpu_us);
  s_peer_stop (&peer);
  return out;
}
