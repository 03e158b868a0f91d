/* Same-host frames through shared memory (docs/PROTOCOL.md, "Same-host
 * frames"), with real processes: this program is also the server
 * (--rpc R --stream S ...) and the client (--client S ...) that the tests
 * start, kill and restart.
 *
 * Every frame is checked byte for byte: frame k of size n holds k, n and a
 * pseudo-random sequence seeded by both. No timing is asserted: waits are
 * for counts and lines, each bounded.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <zmq.h>

#include "oneliner/json.h"
#include "streamer/client_streams.h"
#include "streamer/header.h"
#include "streamer/shm.h"
#include "streamer/subscriber.h"
#include "tests/testutil.h"

#define WAIT_MS 60000
#define STREAM "frames"

/* Sizes on both sides of the 64 KiB threshold, up to 8 MiB. */
static const gsize SIZES[] = {
  16, 17, 4095, 65535, 65536, 65537, 262147, 1 << 20, (3 << 20) + 1, 8 << 20,
};
/* The same around a smaller threshold, for the faster loops. */
static const gsize SMALL_SIZES[] = { 16, 1000, 4096, 4097, 100003, 262144 };

static guint64
s_next (guint64 *x)
{
  *x ^= *x << 13;
  *x ^= *x >> 7;
  *x ^= *x << 17;
  return *x;
}

/* Frame k of size n (n >= 16): k, n, then the sequence of (k, n). */
static void
s_fill (guint8 *p, gsize n, guint64 k)
{
  guint64 x = k * G_GUINT64_CONSTANT (0x9E3779B97F4A7C15) + n + 1;
  guint64 size = n;
  gsize i = 16;

  memcpy (p, &k, 8);
  memcpy (p + 8, &size, 8);
  for (; i + 8 <= n; i += 8)
    {
      guint64 v = s_next (&x);

      memcpy (p + i, &v, 8);
    }
  for (guint64 v = s_next (&x); i < n; i++, v >>= 8)
    p[i] = (guint8) v;
}

/* Whether a payload is a whole frame: its k (in *k) and every byte. */
static gboolean
s_check (GBytes *payload, guint64 *k)
{
  gsize n;
  const guint8 *p = g_bytes_get_data (payload, &n);
  guint64 size;
  g_autofree guint8 *want = NULL;

  if (n < 16)
    return FALSE;
  memcpy (k, p, 8);
  memcpy (&size, p + 8, 8);
  if (size != n)
    return FALSE;
  want = g_malloc (n);
  s_fill (want, n, *k);
  return memcmp (want, p, n) == 0;
}

/* ------------------------------------------------------------------------ */
/* The server: --rpc R --stream S [--small | --size N] [--pause US] [--reserve]
 * (--reserve: each frame written into ol_stream_writer_reserve's room) */

static int
s_server_main (int argc, char **argv)
{
  const char *rpc = argv[2], *stream = argv[4];
  gboolean small = FALSE, reserve = FALSE;
  gsize one_size = 0;
  gulong pause_us = 2000;
  g_autoptr (GError) error = NULL;
  g_autoptr (OlServer) server = NULL;
  g_autoptr (OlStreamWriter) writer = NULL;
  const gsize *sizes = SIZES;
  gsize n_sizes = G_N_ELEMENTS (SIZES);

  for (int i = 5; i < argc; i++)
    if (strcmp (argv[i], "--small") == 0)
      small = TRUE;
    else if (strcmp (argv[i], "--reserve") == 0)
      reserve = TRUE;
    else if (strcmp (argv[i], "--size") == 0 && i + 1 < argc)
      one_size = strtoul (argv[++i], NULL, 10);
    else if (strcmp (argv[i], "--pause") == 0 && i + 1 < argc)
      pause_us = strtoul (argv[++i], NULL, 10);
  if (small)
    {
      sizes = SMALL_SIZES;
      n_sizes = G_N_ELEMENTS (SMALL_SIZES);
    }
  if (one_size > 0)
    {
      sizes = &one_size;
      n_sizes = 1;
    }
  server = ol_server_new (rpc, stream);
  writer = ol_server_add_pushed_stream (server, STREAM, OL_ENCODING_RAW, NULL, &error);
  g_assert_no_error (error);
  if (!ol_server_start (server, &error))
    g_error ("%s", error->message);
  printf ("serving rpc %s stream %s\n", ol_server_get_rpc_endpoint (server),
          ol_server_get_stream_endpoint (server));
  fflush (stdout);
  /* Until killed; a full queue refuses a frame, which is pushed again. */
  for (guint64 k = 1;; k++)
    {
      gsize n = sizes[k % n_sizes];

      if (reserve)
        {
          OlStreamFrame *f;

          do
            {
              f = ol_stream_writer_reserve (writer, n, &error);
              g_assert_no_error (error);
              s_fill (ol_stream_frame_data (f), n, k);
            }
          while (!ol_stream_writer_push_frame (writer, f, NULL) && (g_usleep (1000), TRUE));
        }
      else
        {
          guint8 *p = g_malloc (n);
          g_autoptr (GBytes) b = NULL;

          s_fill (p, n, k);
          b = g_bytes_new_take (p, n);
          while (!ol_stream_writer_push_bytes (writer, b, NULL))
            g_usleep (1000);
        }
      g_usleep (pause_us);
    }
  return 0;
}

/* ------------------------------------------------------------------------ */
/* The client: --client S [--hold H]. Takes every frame, checks it, and prints a line
 * "counts: frames T bad B missed M overflowed O restarts R first F last L
 * received N shm A ringframes G torn X since S copied C" after each 10 frames taken
 * (C of the G copied out of the ring rather than read in place). With
 * --hold, it keeps the first H frames read in place and never frees them,
 * and says "held H" once it has them:
 * T taken, F the sequence number of the first taken (of this server), L the
 * last sequence number the stream's counters know of (a sequence mark
 * included), N the messages its storage received. */

static int
s_client_main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (OlClient) client = NULL;
  guint64 frames = 0, bad = 0, first = 0, last = 0;
  guint hold = 0;
  GPtrArray *held = g_ptr_array_new ();

  for (int i = 3; i + 1 < argc; i++)
    if (strcmp (argv[i], "--hold") == 0)
      hold = (guint) atoi (argv[i + 1]);
  client = ol_client_new ("tcp://127.0.0.1:1", argv[2], &error);
  g_assert_no_error (error);
  ol_client_configure_stream (client, STREAM, OL_STORAGE_QUEUE, 100000, &error);
  g_assert_no_error (error);
  for (;;)
    {
      OlStreamMessage *m = ol_client_get_stream (client, STREAM, 200, NULL);
      OlStreamCounters c;
      guint64 k, ring = 0, torn = 0, copied = 0;
      gint64 since = 0;
      gboolean shm;

      if (m == NULL)
        continue;
      if (!s_check (m->payload, &k))
        bad++;
      if (first == 0 || m->sequence < last)
        first = m->sequence; /* a new server: counted from its first frame */
      last = m->sequence;
      frames++;
      if (held->len < hold)
        {
          guint64 copied = 0;

          /* Read in place: through the ring, and nothing copied out yet. */
          if (ol_client_get_stream_shm (client, NULL, NULL, &copied) && copied == 0
              && g_bytes_get_size (m->payload) >= 4096)
            {
              g_ptr_array_add (held, m);
              if (held->len == hold)
                {
                  printf ("held %u\n", hold);
                  fflush (stdout);
                }
              m = NULL;
            }
        }
      if (m != NULL)
        ol_stream_message_free (m);
      if (frames % 10 != 0)
        continue;
      ol_client_get_stream_counters (client, STREAM, &c, NULL);
      ol_client_get_stream_connection (client, &since);
      shm = ol__subscriber_shm (ol__client_peek_subscriber (client), &ring, &torn, &copied);
      printf ("counts: frames %" G_GUINT64_FORMAT " bad %" G_GUINT64_FORMAT " missed %" G_GUINT64_FORMAT
              " overflowed %" G_GUINT64_FORMAT " restarts %" G_GUINT64_FORMAT " first %"
              G_GUINT64_FORMAT " last %" G_GUINT64_FORMAT " received %" G_GUINT64_FORMAT
              " shm %d ringframes %" G_GUINT64_FORMAT " torn %" G_GUINT64_FORMAT " since %"
              G_GINT64_FORMAT " copied %" G_GUINT64_FORMAT "\n", frames, bad, c.missed,
              c.overflowed, c.restarts, first, c.last_sequence, c.received, shm, ring, torn,
              since, copied);
      fflush (stdout);
    }
  return 0;
}

/* ------------------------------------------------------------------------ */
/* Helpers of the tests */

typedef struct {
  guint64 frames, bad, missed, overflowed, restarts, first, last, received, ringframes, torn;
  gint64 since;
  guint64 copied;
  int shm;
} Line;

static gboolean
s_parse (const char *line, Line *l)
{
  return sscanf (strstr (line, "counts: ") + 8, "frames %" G_GUINT64_FORMAT " bad %" G_GUINT64_FORMAT " missed %"
                 G_GUINT64_FORMAT " overflowed %" G_GUINT64_FORMAT " restarts %" G_GUINT64_FORMAT
                 " first %" G_GUINT64_FORMAT " last %" G_GUINT64_FORMAT " received %"
                 G_GUINT64_FORMAT " shm %d ringframes %" G_GUINT64_FORMAT " torn %"
                 G_GUINT64_FORMAT " since %" G_GINT64_FORMAT " copied %" G_GUINT64_FORMAT,
                 &l->frames, &l->bad, &l->missed, &l->overflowed, &l->restarts, &l->first,
                 &l->last, &l->received, &l->shm, &l->ringframes, &l->torn, &l->since,
                 &l->copied) == 13;
}

/* Reads the client's lines until pred holds for one (within WAIT_MS). */
static void
s_client_until (TuProcess *c, gboolean (*pred) (const Line *, gpointer), gpointer data,
                Line *out)
{
  gint64 deadline = g_get_monotonic_time () + WAIT_MS * 1000;

  while (g_get_monotonic_time () < deadline)
    {
      g_autofree char *line = tu_wait_line (c, "counts: ", WAIT_MS);
      Line l;

      g_assert_nonnull (line);
      g_assert_true (s_parse (line, &l));
      g_assert_cmpuint (l.bad, ==, 0);
      if (pred (&l, data))
        {
          *out = l;
          return;
        }
    }
  g_error ("the client's counts did not come in %d ms:\n%s", WAIT_MS, c->lines->str);
}

static gboolean
s_ring_frames_beyond (const Line *l, gpointer data)
{
  return l->shm && l->ringframes > GPOINTER_TO_SIZE (data);
}

/* Connected again after *data (monotonic us). */
static gboolean
s_connected_after (const Line *l, gpointer data)
{
  return l->since > *(gint64 *) data;
}

static gboolean
s_frames_beyond (const Line *l, gpointer data)
{
  return l->frames > GPOINTER_TO_SIZE (data);
}

/* Mappings in process pid of the rings that process owner made (their
 * memfd names carry the owner's pid); owner 0: of any process. */
static guint
s_ring_mappings (GPid pid, GPid owner)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/maps", (int) pid);
  g_autofree char *maps = NULL;
  g_autofree char *needle = owner != 0 ? g_strdup_printf ("memfd:oneliner-ring-%d ", (int) owner)
                                       : g_strdup ("memfd:oneliner-ring-");
  guint n = 0;

  if (!g_file_get_contents (path, &maps, NULL, NULL))
    return 0;
  for (const char *at = maps; (at = strstr (at, needle)) != NULL; at++)
    n++;
  return n;
}

/* Entries of /dev/shm whose name says oneliner (there must be none, ever). */
static guint
s_dev_shm_files (void)
{
  g_autoptr (GDir) dir = g_dir_open ("/dev/shm", 0, NULL);
  const char *name;
  guint n = 0;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    if (strstr (name, "oneliner") != NULL)
      n++;
  return n;
}

static GPid
s_pid (TuProcess *p)
{
  return (GPid) atoi (g_subprocess_get_identifier (p->proc));
}

static TuProcess *
s_spawn_server (const char *rpc, const char *stream, const char *const *extra, char **rpc_out,
                char **stream_out)
{
  const char *argv[16] = { "tests/shm_test", "--rpc", rpc, "--stream", stream };
  int n = 5;
  TuProcess *p;
  g_autofree char *line = NULL;
  const char *at;

  for (int i = 0; extra != NULL && extra[i] != NULL; i++)
    argv[n++] = extra[i];
  argv[n] = NULL;
  p = tu_spawn (argv);
  line = tu_wait_line (p, "serving", 10000);
  if (line == NULL)
    g_error ("the server did not start:\n%s", p->lines->str);
  at = strstr (line, "rpc ");
  if (rpc_out != NULL)
    *rpc_out = g_strndup (at + 4, strcspn (at + 4, " \n"));
  at = strstr (line, " stream ");
  if (stream_out != NULL)
    *stream_out = g_strndup (at + 8, strcspn (at + 8, " \n"));
  return p;
}

static TuProcess *
s_spawn_client (const char *stream, const char *const *extra)
{
  const char *argv[16] = { "tests/shm_test", "--client", stream };
  int n = 3;

  for (int i = 0; extra != NULL && extra[i] != NULL; i++)
    argv[n++] = extra[i];
  argv[n] = NULL;
  return tu_spawn (argv);
}

/* ------------------------------------------------------------------------ */
/* The tests */

/* Frames of every size, through the ring above the threshold and inline
 * below it, arrive whole; nothing is lost at a rate the reader keeps up with. */
static void
test_sizes (gconstpointer reserve)
{
  g_autofree char *stream = NULL;
  const char *extra[] = { "--pause", "3000", reserve ? "--reserve" : NULL, NULL };
  g_autoptr (TuProcess) server = s_spawn_server ("tcp://127.0.0.1:*", "tcp://127.0.0.1:*", extra,
                                                 NULL, &stream);
  g_autoptr (TuProcess) client = s_spawn_client (stream, NULL);
  Line l;

  /* Three rounds of every size through the ring. */
  s_client_until (client, s_ring_frames_beyond,
                  GSIZE_TO_POINTER (3 * G_N_ELEMENTS (SIZES)), &l);
  g_assert_cmpuint (l.bad, ==, 0);
  g_assert_cmpint (l.shm, ==, 1);
  /* Every frame between the first and the last is received or counted. */
  g_assert_cmpuint (l.received + l.missed + l.overflowed, ==, l.last - l.first + 1);
  g_assert_true (tu_kill_wait (client, SIGKILL, 5000, NULL));
  g_assert_true (tu_kill_wait (server, SIGKILL, 5000, NULL));
}

/* A reader far behind the writer (stopped while the server goes round its
 * ring of 4 slots many times) never gets a torn frame, and counts exactly
 * what it lost. */
static void
test_slow_reader (void)
{
  g_autofree char *stream = NULL, *rpc = NULL;
  const char *extra[] = { "--small", "--pause", "200", "--env", "ONELINER_SHM_SLOTS=4",
                          "--env", "ONELINER_SHM_THRESHOLD=4096", NULL };
  g_autoptr (TuProcess) server = NULL;
  g_autoptr (TuProcess) client = NULL;
  g_autoptr (OlClient) control = NULL;
  g_autoptr (GError) error = NULL;
  Line before, after;
  guint64 sent0 = 0;

  server = s_spawn_server ("tcp://127.0.0.1:*", "tcp://127.0.0.1:*", extra, &rpc, &stream);
  client = s_spawn_client (stream, NULL);
  control = ol_client_new (rpc, NULL, &error);
  g_assert_no_error (error);
  s_client_until (client, s_ring_frames_beyond, GSIZE_TO_POINTER (20), &before);

  /* Stopped until the server has published 200 more frames: 50 times its
   * ring. */
  g_assert_true (tu_stop (s_pid (client), 10000));
  for (int round = 0;; round++)
    {
      g_autoptr (json_t) list = ol_client_list_streams (control, &error);
      guint64 sent;

      g_assert_no_error (error);
      sent = json_integer_value (json_object_get (
        json_object_get (json_object_get (list, STREAM), "stats"), "sent"));
      if (round == 0)
        sent0 = sent;
      else if (sent > sent0 + 200)
        break;
      g_assert_cmpint (round, <, 2000);
      g_usleep (10000);
    }
  g_assert_cmpint (kill (s_pid (client), SIGCONT), ==, 0);
  s_client_until (client, s_frames_beyond, GSIZE_TO_POINTER (before.frames + 300), &after);
  g_assert_cmpuint (after.bad, ==, 0);
  g_assert_cmpuint (after.torn, >, 0);
  g_assert_cmpuint (after.restarts, ==, 0);
  /* Exact: every torn frame is one missed; nothing else is unaccounted. */
  g_assert_cmpuint (after.received + after.missed + after.overflowed, ==,
                    after.last - after.first + 1);
  g_assert_cmpuint (after.missed, >=, after.torn);
  g_assert_true (tu_kill_wait (client, SIGKILL, 5000, NULL));
  g_assert_true (tu_kill_wait (server, SIGKILL, 5000, NULL));
}

/* kill -9 of the server, of the client and of both, three times each: no
 * file anywhere, no mapping left in the survivor, and the client takes
 * frames through the new server's ring once it is back. */
static void
test_kill (void)
{
  g_autofree char *rpc = NULL, *stream = NULL;
  const char *extra[] = { "--small", "--pause", "2000", "--env", "ONELINER_SHM_THRESHOLD=4096",
                          NULL };
  g_autoptr (TuProcess) server = NULL;
  g_autoptr (TuProcess) client = NULL;
  guint shm_files = s_dev_shm_files ();
  Line l;

  server = s_spawn_server ("tcp://127.0.0.1:*", "tcp://127.0.0.1:*", extra, &rpc, &stream);
  client = s_spawn_client (stream, NULL);
  s_client_until (client, s_ring_frames_beyond, GSIZE_TO_POINTER (0), &l);

  for (int round = 0; round < 3; round++)
    {
      guint64 ring;
      gint64 killed = g_get_monotonic_time ();
      GPid old = s_pid (server);
      guint server_maps;

      /* The server. The client lets go of its rings once it sees it gone. */
      g_assert_cmpuint (s_ring_mappings (s_pid (client), old), >=, 1);
      g_assert_true (tu_kill_wait (server, SIGKILL, 5000, NULL));
      g_clear_pointer (&server, tu_process_free);
      g_assert_cmpuint (s_dev_shm_files (), ==, shm_files);
      for (int i = 0; s_ring_mappings (s_pid (client), old) > 0; i++)
        {
          g_assert_cmpint (i, <, WAIT_MS / 10);
          g_usleep (10000);
        }
      server = s_spawn_server (rpc, stream, extra, NULL, NULL);
      /* Frames of the new server through its rings: the client's mappings
       * of the old server's rings are gone. */
      s_client_until (client, s_connected_after, &killed, &l);
      ring = l.ringframes;
      s_client_until (client, s_ring_frames_beyond, GSIZE_TO_POINTER (ring + 20), &l);
      g_assert_cmpuint (s_ring_mappings (s_pid (client), old), ==, 0);
      g_assert_cmpuint (s_ring_mappings (s_pid (client), s_pid (server)), >=, 1);
      server_maps = s_ring_mappings (s_pid (server), s_pid (server));
      g_assert_cmpuint (server_maps, >=, s_ring_mappings (s_pid (client), s_pid (server)));

      /* The client: the server keeps its own rings only. */
      g_assert_true (tu_kill_wait (client, SIGKILL, 5000, NULL));
      g_clear_pointer (&client, tu_process_free);
      g_assert_cmpuint (s_ring_mappings (s_pid (server), 0), ==, server_maps);
      g_assert_cmpuint (s_dev_shm_files (), ==, shm_files);
      client = s_spawn_client (stream, NULL);
      s_client_until (client, s_ring_frames_beyond, GSIZE_TO_POINTER (10), &l);

      /* Both. */
      g_assert_true (tu_kill_wait (client, SIGKILL, 5000, NULL));
      g_assert_true (tu_kill_wait (server, SIGKILL, 5000, NULL));
      g_clear_pointer (&client, tu_process_free);
      g_clear_pointer (&server, tu_process_free);
      g_assert_cmpuint (s_dev_shm_files (), ==, shm_files);
      server = s_spawn_server (rpc, stream, extra, NULL, NULL);
      client = s_spawn_client (stream, NULL);
      s_client_until (client, s_ring_frames_beyond, GSIZE_TO_POINTER (10), &l);
      g_assert_cmpuint (l.bad, ==, 0);
    }
  g_assert_true (tu_kill_wait (client, SIGKILL, 5000, NULL));
  g_assert_true (tu_kill_wait (server, SIGKILL, 5000, NULL));
  g_assert_cmpuint (s_dev_shm_files (), ==, shm_files);
}

/* Takes frames with an OlClient of this process until n came through the
 * ring (want_shm) or the socket; checks each. */
static void
s_take (OlClient *client, guint n, gboolean want_shm)
{
  gint64 deadline = g_get_monotonic_time () + WAIT_MS * 1000;
  guint got = 0;
  guint64 ring = 0;

  while (got < n)
    {
      g_autoptr (GError) error = NULL;
      OlStreamMessage *m = ol_client_get_stream (client, STREAM, 200, &error);
      guint64 k;

      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      if (m == NULL)
        continue;
      g_assert_true (s_check (m->payload, &k));
      ol_stream_message_free (m);
      if (ol__subscriber_shm (ol__client_peek_subscriber (client), &ring, NULL, NULL) == want_shm)
        got++;
    }
  g_assert_cmpint (ring > 0, ==, want_shm);
}

/* A plain SUB socket (a remote-style subscriber, or one that does not know
 * the ring) and a same-host OlClient on the same stream at once: both get
 * every frame whole. */
static void
test_plain_and_shm (gconstpointer reserve)
{
  g_autofree char *stream = NULL;
  const char *extra[] = { "--small", "--pause", "1000", "--env", "ONELINER_SHM_THRESHOLD=4096",
                          reserve ? "--reserve" : NULL, NULL };
  g_autoptr (TuProcess) server = NULL;
  g_autoptr (OlClient) client = NULL;
  g_autoptr (GError) error = NULL;
  void *ctx = zmq_ctx_new ();
  void *sub = zmq_socket (ctx, ZMQ_SUB);
  int timeout = 200;
  guint plain = 0;
  gint64 deadline;

  server = s_spawn_server ("tcp://127.0.0.1:*", "tcp://127.0.0.1:*", extra, NULL, &stream);
  client = ol_client_new ("tcp://127.0.0.1:1", stream, &error);
  g_assert_no_error (error);
  ol_client_configure_stream (client, STREAM, OL_STORAGE_QUEUE, 10000, &error);
  g_assert_no_error (error);
  zmq_setsockopt (sub, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
  zmq_setsockopt (sub, ZMQ_SUBSCRIBE, STREAM, sizeof STREAM);
  g_assert_cmpint (zmq_connect (sub, stream), ==, 0);

  s_take (client, 30, TRUE);
  deadline = g_get_monotonic_time () + WAIT_MS * 1000;
  while (plain < 30)
    {
      zmq_msg_t f[3];
      int n = 0, more = 1;
      guint64 k;

      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      for (int i = 0; i < 3; i++)
        zmq_msg_init (&f[i]);
      while (more && n < 3 && zmq_msg_recv (&f[n], sub, 0) >= 0)
        more = zmq_msg_more (&f[n++]);
      if (n == 3 && !more && zmq_msg_size (&f[1]) >= 2
          && (((const guint8 *) zmq_msg_data (&f[1]))[1] & OL__STATUS_MARK))
        {
          /* A sequence mark, after 100 ms of quiet on a slow machine. */
          g_assert_cmpmem (zmq_msg_data (&f[0]), zmq_msg_size (&f[0]), STREAM, sizeof STREAM);
          g_assert_cmpuint (zmq_msg_size (&f[2]), ==, 0);
        }
      else if (n == 3 && !more)
        {
          g_autoptr (GBytes) b = g_bytes_new (zmq_msg_data (&f[2]), zmq_msg_size (&f[2]));

          g_assert_cmpmem (zmq_msg_data (&f[0]), zmq_msg_size (&f[0]), STREAM, sizeof STREAM);
          g_assert_true (s_check (b, &k));
          plain++;
        }
      else
        g_assert_cmpint (n, ==, 0); /* only whole stream messages */
      for (int i = 0; i < 3; i++)
        zmq_msg_close (&f[i]);
    }
  /* And the OlClient still through the ring. */
  s_take (client, 30, TRUE);
  zmq_close (sub);
  zmq_ctx_term (ctx);
  g_assert_true (tu_kill_wait (server, SIGKILL, 5000, NULL));
}

/* ONELINER_SHM=0 on the client's side, then on the server's: the frames go
 * through the socket, whole. */
static void
test_off (void)
{
  g_autofree char *stream = NULL;
  const char *extra[] = { "--small", "--pause", "1000", "--env", "ONELINER_SHM_THRESHOLD=4096",
                          NULL };
  const char *extra_off[] = { "--small", "--pause", "1000", "--env", "ONELINER_SHM=0", NULL };
  const char *client_off[] = { "--env", "ONELINER_SHM=0", NULL };
  g_autoptr (TuProcess) server = NULL;
  g_autoptr (TuProcess) client = NULL;
  Line l;

  server = s_spawn_server ("tcp://127.0.0.1:*", "tcp://127.0.0.1:*", extra, NULL, &stream);
  client = s_spawn_client (stream, client_off);
  s_client_until (client, s_frames_beyond, GSIZE_TO_POINTER (100), &l);
  g_assert_cmpint (l.shm, ==, 0);
  g_assert_cmpuint (l.ringframes, ==, 0);
  g_assert_cmpuint (l.received + l.missed + l.overflowed, ==, l.last - l.first + 1);
  g_assert_true (tu_kill_wait (client, SIGKILL, 5000, NULL));
  g_assert_true (tu_kill_wait (server, SIGKILL, 5000, NULL));
  g_clear_pointer (&client, tu_process_free);
  g_clear_pointer (&server, tu_process_free);
  g_clear_pointer (&stream, g_free);

  server = s_spawn_server ("tcp://127.0.0.1:*", "tcp://127.0.0.1:*", extra_off, NULL, &stream);
  client = s_spawn_client (stream, NULL);
  s_client_until (client, s_frames_beyond, GSIZE_TO_POINTER (100), &l);
  g_assert_cmpint (l.shm, ==, 0);
  g_assert_cmpuint (l.ringframes, ==, 0);
  g_assert_cmpuint (s_ring_mappings (s_pid (server), 0), ==, 0);
  g_assert_cmpuint (s_ring_mappings (s_pid (client), 0), ==, 0);
  g_assert_true (tu_kill_wait (client, SIGKILL, 5000, NULL));
  g_assert_true (tu_kill_wait (server, SIGKILL, 5000, NULL));
}

/* ------------------------------------------------------------------------ */
/* A hostile server: a raw XPUB that says hello and sends descriptors, and a
 * side channel of its own that answers each case below. The client drops
 * the frame, says why once, and goes back to the plain topic, where the
 * next message reaches it. */

enum { BAD_UNSEALED, BAD_SMALL, BAD_MAGIC, BAD_NO_FD, BAD_SLOT, BAD_PIPE, BAD_LENGTH, N_BAD };

static void
s_put64le (guint8 *p, guint64 v)
{
  v = GUINT64_TO_LE (v);
  memcpy (p, &v, 8);
}

/* A ring of 4 slots of 64 KiB as the server makes it (docs/PROTOCOL.md),
 * sealed or not. */
static int
s_ring_fd (guint64 id, gboolean sealed, gboolean good_magic, gsize size)
{
  int fd = memfd_create ("shm-test-hostile", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  guint8 head[64] = { 0 };
  guint32 v;

  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (ftruncate (fd, (off_t) size), ==, 0);
  memcpy (head, good_magic ? "OLSHMRNG" : "OLSHMXXX", 8);
  v = GUINT32_TO_LE (1);
  memcpy (head + 8, &v, 4);
  v = GUINT32_TO_LE (4);
  memcpy (head + 12, &v, 4);
  s_put64le (head + 16, 65536);
  s_put64le (head + 24, id);
  s_put64le (head + 32, 4096);
  s_put64le (head + 40, 4096 + 4 * 65536);
  if (size >= sizeof head)
    g_assert_cmpint (pwrite (fd, head, sizeof head, 0), ==, (ssize_t) sizeof head);
  if (sealed)
    g_assert_cmpint (fcntl (fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW), ==, 0);
  return fd;
}

/* Answers one connection of the side channel listen_fd for case bad. */
static void
s_answer_badly (int listen_fd, int bad, guint64 id)
{
  struct pollfd pfd = { listen_fd, POLLIN, 0 };
  guint8 answer[32] = { 0 };
  int fds[2] = { -1, -1 }, peer, fd = -1;
  union {
    char buf[CMSG_SPACE (sizeof (int))];
    struct cmsghdr align;
  } control;
  struct iovec iov = { answer, sizeof answer };
  struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
  guint32 one = GUINT32_TO_LE (1);

  g_assert_cmpint (poll (&pfd, 1, WAIT_MS), ==, 1);
  peer = accept (listen_fd, NULL, NULL);
  g_assert_cmpint (peer, >=, 0);
  memcpy (answer, "OLSHMFD1", 8);
  memcpy (answer + 8, &one, 4);
  s_put64le (answer + 16, id);
  s_put64le (answer + 24, 4096 + 4 * 65536);
  switch (bad)
    {
    case BAD_UNSEALED: fd = s_ring_fd (id, FALSE, TRUE, 4096 + 4 * 65536); break;
    case BAD_SMALL: fd = s_ring_fd (id, TRUE, TRUE, 16); break;
    case BAD_MAGIC: fd = s_ring_fd (id, TRUE, FALSE, 4096 + 4 * 65536); break;
    case BAD_NO_FD: break;
    case BAD_SLOT:
    case BAD_LENGTH: fd = s_ring_fd (id, TRUE, TRUE, 4096 + 4 * 65536); break;
    case BAD_PIPE:
      g_assert_cmpint (pipe (fds), ==, 0);
      fd = fds[0];
      break;
    default: g_assert_not_reached ();
    }
  if (fd >= 0)
    {
      struct cmsghdr *cm;

      memset (&control, 0, sizeof control);
      mh.msg_control = control.buf;
      mh.msg_controllen = sizeof control.buf;
      cm = CMSG_FIRSTHDR (&mh);
      cm->cmsg_level = SOL_SOCKET;
      cm->cmsg_type = SCM_RIGHTS;
      cm->cmsg_len = CMSG_LEN (sizeof (int));
      memcpy (CMSG_DATA (cm), &fd, sizeof (int));
    }
  g_assert_cmpint (sendmsg (peer, &mh, MSG_NOSIGNAL), ==, (ssize_t) sizeof answer);
  close (peer);
  if (fd >= 0)
    close (fd);
  if (fds[1] >= 0)
    close (fds[1]);
}

/* Receives (un)subscriptions on xpub until one is data[0..size). */
static void
s_expect_sub (void *xpub, const void *data, gsize size)
{
  gint64 deadline = g_get_monotonic_time () + WAIT_MS * 1000;

  for (;;)
    {
      guint8 buf[300];
      zmq_pollitem_t item = { xpub, 0, ZMQ_POLLIN, 0 };
      int n;

      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      if (zmq_poll (&item, 1, 100) <= 0)
        continue;
      n = zmq_recv (xpub, buf, sizeof buf, 0);
      if (n == (int) size && memcmp (buf, data, size) == 0)
        return;
    }
}

static void
s_send_message (void *xpub, const void *topic, gsize topic_size, guint64 seq,
                const void *payload, gsize payload_size, const void *desc, gsize desc_size)
{
  OlHeader h = { 0 };
  guint8 head[OL_HEADER_SIZE];

  h.encoding = OL_ENCODING_RAW;
  h.sequence = seq;
  h.timestamp = g_get_real_time () * 1000;
  ol__header_encode (&h, head);
  zmq_send (xpub, topic, topic_size, ZMQ_SNDMORE);
  zmq_send (xpub, head, sizeof head, ZMQ_SNDMORE);
  zmq_send (xpub, payload, payload_size, desc != NULL ? ZMQ_SNDMORE : 0);
  if (desc != NULL)
    zmq_send (xpub, desc, desc_size, 0);
}

/* The one warning of each case. */
static const char *const s_bad_warnings[N_BAD] = {
  "*not a sealed memory file; frames go through the socket",
  "*smaller than its header; frames go through the socket",
  "*header does not match its file; frames go through the socket",
  "*answer is malformed; frames go through the socket",
  "*beyond its ring (4 slots of 65536 bytes); frames go through the socket",
  "*not a sealed memory file; frames go through the socket",
  "*beyond its ring (4 slots of 65536 bytes); frames go through the socket",
};

static void
test_hostile (void)
{
  for (int bad = 0; bad < N_BAD; bad++)
    {
      void *ctx = zmq_ctx_new ();
      void *xpub = zmq_socket (ctx, ZMQ_XPUB);
      int verbose = 1, linger = 0, listen_fd;
      char endpoint[256], address[64];
      size_t len = sizeof endpoint;
      struct sockaddr_un sa = { .sun_family = AF_UNIX };
      g_autoptr (OlClient) client = NULL;
      g_autoptr (GError) error = NULL;
      const guint8 shm_sub[] = "\x01\x01" STREAM;
      const guint8 plain_sub[] = "\x01" STREAM;
      guint8 hello[1 + OL_SHM_HELLO_SIZE];
      guint8 desc[OL_SHM_DESC_MAX];
      OlShmDesc d = { 0 };
      guint64 id = 0x1234567890abcdefULL + (guint64) bad;
      OlStreamMessage *m = NULL;
      gint64 deadline;

      zmq_setsockopt (xpub, ZMQ_XPUB_VERBOSER, &verbose, sizeof verbose);
      zmq_setsockopt (xpub, ZMQ_LINGER, &linger, sizeof linger);
      g_assert_cmpint (zmq_bind (xpub, "tcp://127.0.0.1:*"), ==, 0);
      zmq_getsockopt (xpub, ZMQ_LAST_ENDPOINT, endpoint, &len);
      /* The side channel: a name unique to this test run. */
      g_snprintf (address, sizeof address, "shm-test-%d-%08x", (int) getpid (), g_random_int ());
      memcpy (sa.sun_path + 1, address, strlen (address));
      listen_fd = socket (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
      g_assert_cmpint (bind (listen_fd, (struct sockaddr *) &sa,
                             (socklen_t) (offsetof (struct sockaddr_un, sun_path) + 1
                                          + strlen (address))), ==, 0);
      g_assert_cmpint (listen (listen_fd, 4), ==, 0);

      client = ol_client_new ("tcp://127.0.0.1:1", endpoint, &error);
      g_assert_no_error (error);
      ol_client_configure_stream (client, STREAM, OL_STORAGE_QUEUE, 100, &error);
      g_assert_no_error (error);
      /* Its hello subscription (0x01, then 0x02 and 16 hex digits and NUL). */
      deadline = g_get_monotonic_time () + WAIT_MS * 1000;
      for (;;)
        {
          zmq_pollitem_t item = { xpub, 0, ZMQ_POLLIN, 0 };
          int n;

          g_assert_cmpint (g_get_monotonic_time (), <, deadline);
          if (zmq_poll (&item, 1, 100) <= 0)
            continue;
          n = zmq_recv (xpub, hello, sizeof hello, 0);
          if (n == (int) sizeof hello && hello[0] == 1 && hello[1] == OL_SHM_HELLO_BYTE)
            break;
        }
      zmq_send (xpub, hello + 1, OL_SHM_HELLO_SIZE, ZMQ_SNDMORE);
      zmq_send (xpub, address, strlen (address), 0);
      s_expect_sub (xpub, shm_sub, sizeof shm_sub);

      d.slot = bad == BAD_SLOT ? 99 : 0;
      d.ring = id;
      d.generation = 2;
      d.length = bad == BAD_LENGTH ? 65537 : 100;
      g_strlcpy (d.address, address, sizeof d.address);
      g_test_expect_message ("oneliner", G_LOG_LEVEL_WARNING, s_bad_warnings[bad]);
      s_send_message (xpub, shm_sub + 1, sizeof shm_sub - 1, 1, NULL, 0, desc,
                      ol__shm_desc_encode (&d, desc));
      s_answer_badly (listen_fd, bad, id);
      /* Back to the plain topic, where the next message comes through. */
      s_expect_sub (xpub, plain_sub, sizeof plain_sub);
      deadline = g_get_monotonic_time () + WAIT_MS * 1000;
      for (guint64 seq = 2; m == NULL; seq++)
        {
          g_assert_cmpint (g_get_monotonic_time (), <, deadline);
          s_send_message (xpub, STREAM, sizeof STREAM, seq, "plain", 5, NULL, 0);
          m = ol_client_get_stream (client, STREAM, 50, NULL);
        }
      g_assert_cmpmem (g_bytes_get_data (m->payload, NULL), g_bytes_get_size (m->payload),
                       "plain", 5);
      g_assert_false (ol_client_get_stream_shm (client, NULL, NULL, NULL));
      g_test_assert_expected_messages ();
      ol_stream_message_free (m);
      ol_client_free (&client);
      close (listen_fd);
      zmq_close (xpub);
      zmq_ctx_term (ctx);
    }
}

/* Server and client in one process (a GUI that runs its instrument): the
 * ring written by this process's proxy thread, read by its receiver thread,
 * payload blocks freed by this thread. */
static void
test_in_process (void)
{
  g_autoptr (OlServer) server = ol_server_new ("tcp://127.0.0.1:*", "tcp://127.0.0.1:*");
  g_autoptr (OlStreamWriter) writer = NULL;
  g_autoptr (OlClient) client = NULL;
  g_autoptr (GError) error = NULL;
  guint64 ring = 0, next = 1;
  guint got = 0;
  gint64 deadline = g_get_monotonic_time () + WAIT_MS * 1000;

  writer = ol_server_add_pushed_stream (server, STREAM, OL_ENCODING_RAW, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (ol_server_start (server, &error));
  client = ol_client_new (ol_server_get_rpc_endpoint (server),
                          ol_server_get_stream_endpoint (server), &error);
  g_assert_no_error (error);
  ol_client_configure_stream (client, STREAM, OL_STORAGE_QUEUE, 10000, &error);
  g_assert_no_error (error);
  /* Frames of every small size until 60 came through the ring. */
  while (ring < 60)
    {
      gsize n = SMALL_SIZES[next % G_N_ELEMENTS (SMALL_SIZES)];
      guint8 *p = g_malloc (n);
      g_autoptr (GBytes) b = NULL;
      OlStreamMessage *m;
      guint64 k;

      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      s_fill (p, n, next++);
      b = g_bytes_new_take (p, n);
      g_assert_true (ol_stream_writer_push_bytes (writer, b, NULL));
      while ((m = ol_client_get_stream (client, STREAM, 20, NULL)) != NULL)
        {
          g_assert_true (s_check (m->payload, &k));
          ol_stream_message_free (m);
          got++;
        }
      ol_client_get_stream_shm (client, &ring, NULL, NULL);
    }
  g_assert_cmpuint (got, >, 0);
  /* The server says which path the stream takes. */
  {
    g_autoptr (json_t) list = ol_client_list_streams (client, &error);

    g_assert_no_error (error);
    g_assert_true (json_is_true (json_object_get (
      json_object_get (json_object_get (list, STREAM), "stats"), "shm")));
  }
  ol_client_free (&client);
  {
    g_autoptr (OlClient) other = ol_client_new (ol_server_get_rpc_endpoint (server), NULL,
                                                &error);
    gboolean shm = TRUE;

    g_assert_no_error (error);
    /* Once no same-host subscriber is left (the XPUB hears it at once). */
    for (int i = 0; shm && i < WAIT_MS / 10; i++)
      {
        g_autoptr (json_t) list = ol_client_list_streams (other, &error);

        g_assert_no_error (error);
        shm = json_is_true (json_object_get (
          json_object_get (json_object_get (list, STREAM), "stats"), "shm"));
        if (shm)
          g_usleep (10000);
      }
    g_assert_false (shm);
  }
}

/* Two clients that hold every slot of a 4-slot ring (half each, the most a
 * client holds) are killed with -9: the server forgets their leases and a
 * third client reads frames in place again. While they lived, no slot was
 * free, so nothing went through the ring. */
static void
test_kill_holders (void)
{
  g_autofree char *stream = NULL;
  /* One size: one ring. */
  const char *extra[] = { "--size", "100000", "--pause", "1000", "--env", "ONELINER_SHM_SLOTS=4",
                          NULL };
  const char *hold[] = { "--hold", "2", NULL };
  g_autoptr (TuProcess) server = NULL;
  g_autoptr (TuProcess) a = NULL;
  g_autoptr (TuProcess) b = NULL;
  g_autoptr (TuProcess) third = NULL;
  guint shm_files = s_dev_shm_files ();
  g_autofree char *held_a = NULL, *held_b = NULL;
  Line l;

  server = s_spawn_server ("tcp://127.0.0.1:*", "tcp://127.0.0.1:*", extra, NULL, &stream);
  a = s_spawn_client (stream, hold);
  held_a = tu_wait_line (a, "held 2", WAIT_MS);
  g_assert_nonnull (held_a);
  b = s_spawn_client (stream, hold);
  held_b = tu_wait_line (b, "held 2", WAIT_MS);
  g_assert_nonnull (held_b);
  g_assert_true (tu_kill_wait (a, SIGKILL, 5000, NULL));
  g_assert_true (tu_kill_wait (b, SIGKILL, 5000, NULL));
  g_assert_cmpuint (s_dev_shm_files (), ==, shm_files);
  third = s_spawn_client (stream, NULL);
  s_client_until (third, s_ring_frames_beyond, GSIZE_TO_POINTER (30), &l);
  g_assert_cmpuint (l.copied, <, l.ringframes);
  g_assert_cmpuint (l.bad, ==, 0);
  g_assert_true (tu_kill_wait (third, SIGKILL, 5000, NULL));
  g_assert_true (tu_kill_wait (server, SIGKILL, 5000, NULL));
}

/* Takes the next message of the stream within WAIT_MS. */
static OlStreamMessage *
s_next_message (OlClient *client)
{
  OlStreamMessage *m = ol_client_get_stream (client, STREAM, WAIT_MS, NULL);

  g_assert_nonnull (m);
  return m;
}

/* Pushes frame k of n bytes through ol_stream_writer_reserve; returns
 * whether it was written in a ring slot. */
static gboolean
s_push_reserved (OlStreamWriter *writer, gsize n, guint64 k)
{
  g_autoptr (GError) error = NULL;
  OlStreamFrame *f = ol_stream_writer_reserve (writer, n, &error);
  gboolean in_ring;

  g_assert_no_error (error);
  g_assert_cmpuint (ol_stream_frame_size (f), ==, n);
  s_fill (ol_stream_frame_data (f), n, k);
  in_ring = ol_stream_frame_in_ring (f);
  g_assert_true (ol_stream_writer_push_frame (writer, f, &error));
  g_assert_no_error (error);
  return in_ring;
}

/* Pushes the next reserved frame and takes it, whole. */
static void
s_push_take (OlStreamWriter *writer, OlClient *client, gsize n, guint64 *k)
{
  OlStreamMessage *m;
  guint64 seen;

  s_push_reserved (writer, n, (*k)++);
  m = s_next_message (client);
  g_assert_true (s_check (m->payload, &seen));
  ol_stream_message_free (m);
}

/* A message the application holds keeps its bytes while the server goes
 * round its ring many times: its slot is leased, the writer passes it by.
 * A client that holds half the ring gets the next frames copied out
 * (counted), whole; once it lets go, frames are read in place again. The
 * frame API: room in the ring only while a same-host subscriber takes the
 * stream from it; a frame dropped is never published; a frame of another
 * writer is refused. */
static void
test_held (void)
{
  g_autoptr (OlServer) server = NULL;
  g_autoptr (OlStreamWriter) writer = NULL;
  g_autoptr (OlStreamWriter) other = NULL;
  g_autoptr (OlClient) client = NULL;
  g_autoptr (GError) error = NULL;
  OlStreamMessage *first, *held[4];
  guint64 k = 1, seen, ring = 0, copied = 0, copied_then;
  const gsize n = 100000;
  OlStreamCounters c;

  g_setenv ("ONELINER_SHM_SLOTS", "8", TRUE);
  server = ol_server_new ("tcp://127.0.0.1:*", "tcp://127.0.0.1:*");
  writer = ol_server_add_pushed_stream (server, STREAM, OL_ENCODING_RAW, NULL, &error);
  g_assert_no_error (error);
  other = ol_server_add_pushed_stream (server, "other", OL_ENCODING_RAW, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (ol_server_start (server, &error));
  /* Nobody takes the stream from the ring yet: memory of the process. */
  g_assert_false (s_push_reserved (writer, n, k++));
  client = ol_client_new (ol_server_get_rpc_endpoint (server),
                          ol_server_get_stream_endpoint (server), &error);
  g_assert_no_error (error);
  ol_client_configure_stream (client, STREAM, OL_STORAGE_QUEUE, 10000, &error);
  g_assert_no_error (error);
  /* Until frames come through the ring. */
  for (int i = 0; ring == 0; i++)
    {
      OlStreamMessage *m;

      g_assert_cmpint (i, <, WAIT_MS / 10);
      s_push_reserved (writer, n, k++);
      while ((m = ol_client_get_stream (client, STREAM, 10, NULL)) != NULL)
        {
          g_assert_true (s_check (m->payload, &seen));
          ol_stream_message_free (m);
        }
      ol_client_get_stream_shm (client, &ring, NULL, NULL);
    }
  g_assert_true (s_push_reserved (writer, n, k++));
  first = s_next_message (client);
  g_assert_true (s_check (first->payload, &seen));
  /* Ten times round the ring of 8 slots, the first message held. */
  for (int i = 0; i < 80; i++)
    {
      s_push_take (writer, client, n, &k);
      g_assert_true (s_check (first->payload, &seen));
    }
  ol_client_get_stream_shm (client, &ring, NULL, &copied);
  g_assert_cmpuint (copied, ==, 0);
  /* Half the ring held (the first and three more): the next are copied. */
  for (int i = 0; i < 3; i++)
    {
      s_push_reserved (writer, n, k++);
      held[i] = s_next_message (client);
    }
  for (int i = 0; i < 20; i++)
    s_push_take (writer, client, n, &k);
  ol_client_get_stream_shm (client, NULL, NULL, &copied_then);
  g_assert_cmpuint (copied_then, >=, 20);
  g_assert_true (s_check (first->payload, &seen));
  for (int i = 0; i < 3; i++)
    {
      g_assert_true (s_check (held[i]->payload, &seen));
      ol_stream_message_free (held[i]);
    }
  ol_stream_message_free (first);
  for (int i = 0; i < 20; i++)
    s_push_take (writer, client, n, &k);
  ol_client_get_stream_shm (client, NULL, NULL, &copied);
  g_assert_cmpuint (copied, ==, copied_then);
  /* Nothing lost on the way. */
  g_assert_true (ol_client_get_stream_counters (client, STREAM, &c, NULL));
  g_assert_cmpuint (c.missed, ==, 0);

  /* A frame dropped is not published: the next one follows the last. */
  {
    OlStreamFrame *f = ol_stream_writer_reserve (writer, n, &error);
    OlStreamMessage *m;
    guint64 last = c.last_sequence;

    g_assert_no_error (error);
    ol_stream_frame_free (f);
    s_push_reserved (writer, n, k++);
    m = s_next_message (client);
    g_assert_cmpuint (m->sequence, ==, last + 1);
    g_assert_true (s_check (m->payload, &seen));
    ol_stream_message_free (m);
  }
  /* A frame of another writer: refused, and freed. */
  {
    OlStreamFrame *f = ol_stream_writer_reserve (other, n, &error);

    g_assert_no_error (error);
    g_assert_false (ol_stream_writer_push_frame (writer, f, &error));
    g_assert_error (error, OL_ERROR, OL_ERROR_INVALID_ARGS);
  }
  ol_client_free (&client);
  g_unsetenv ("ONELINER_SHM_SLOTS");
}

/* A child's "--env NAME=VALUE" arguments, set before any thread starts. */
static void
s_child_env (int argc, char **argv)
{
  for (int i = 1; i + 1 < argc; i++)
    if (strcmp (argv[i], "--env") == 0 && strchr (argv[i + 1], '=') != NULL)
      {
        g_autofree char *name = g_strndup (argv[i + 1], strcspn (argv[i + 1], "="));

        g_setenv (name, strchr (argv[i + 1], '=') + 1, TRUE);
      }
}

int
main (int argc, char **argv)
{
  if (argc >= 3 && (strcmp (argv[1], "--rpc") == 0 || strcmp (argv[1], "--client") == 0))
    s_child_env (argc, argv);
  if (argc >= 5 && strcmp (argv[1], "--rpc") == 0)
    return s_server_main (argc, argv);
  if (argc >= 3 && strcmp (argv[1], "--client") == 0)
    return s_client_main (argc, argv);
  g_test_init (&argc, &argv, NULL);
  g_test_add_data_func ("/shm/sizes", NULL, test_sizes);
  g_test_add_data_func ("/shm/sizes-reserved", GINT_TO_POINTER (1), test_sizes);
  g_test_add_func ("/shm/slow-reader", test_slow_reader);
  g_test_add_func ("/shm/kill", test_kill);
  g_test_add_data_func ("/shm/plain-and-shm", NULL, test_plain_and_shm);
  g_test_add_data_func ("/shm/plain-and-shm-reserved", GINT_TO_POINTER (1), test_plain_and_shm);
  g_test_add_func ("/shm/held", test_held);
  g_test_add_func ("/shm/kill-holders", test_kill_holders);
  g_test_add_func ("/shm/off", test_off);
  g_test_add_func ("/shm/hostile", test_hostile);
  g_test_add_func ("/shm/in-process", test_in_process);
  return g_test_run ();
}
