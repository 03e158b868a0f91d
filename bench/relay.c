/* bench-relay: what one relay hop of oneliner costs against one proxy hop of
 * raw libzmq, measured in one run over tcp loopback.
 *
 * Three oneliner servers run in this process: the upstream U (an instance
 * "calc" with the method "add", "(int32 a, int32 b) -> int32", and pushed
 * streams), the relay R1 that mounts U as "up" (ol_server_mount) and the
 * relay R2 that mounts R1 as "r1" (for the throughput, built anew for every
 * repetition).
 *
 *   1. Call latency: blocking ol_client_call() of "calc"."add" on U, and of
 *      "up/calc"."add" on R1, which forwards it to U from its RPC thread;
 *      the hop cost is relayed - direct, at p50 and p99. Against raw libzmq
 *      with the request and reply bytes oneliner puts on the wire (captured
 *      once): a DEALER -> a ROUTER echo thread, and a DEALER -> a
 *      ROUTER/DEALER proxy thread -> the same ROUTER echo thread.
 *
 *   2. Stream latency: a producer thread pushes a 64-byte payload at a
 *      moderate, fixed rate (1000 messages/s by default) on absolute
 *      deadlines with ol_stream_writer_push_bytes(), the CLOCK_MONOTONIC time
 *      of the push written into the payload; the main thread takes the
 *      messages with ol_client_get_stream() from U directly ("lat") and
 *      through R1 ("up/lat") and reads the one-way latency; the hop cost is
 *      relayed - direct. Against raw libzmq with the same frames [topic
 *      "lat\0", 48-byte header, payload], the payload written before every
 *      send, at the same rate: PUB thread -> SUB, and PUB thread -> XSUB/XPUB
 *      proxy thread -> SUB.
 *
 *   3. Throughput through two hops for 64 B and 1 MiB payloads: a producer
 *      thread pushes N messages of one pre-written GBytes to U as fast as it
 *      can (OL_ERROR_BUSY is answered with a short back-off and a retry); an
 *      OlClient of R2 keeps "r1/up/NAME" in a queue, so every message goes
 *      U -> R1 -> R2 -> client. Against raw libzmq with the same frames and
 *      the same two hops: PUB thread -> XSUB/XPUB proxy thread -> XSUB/XPUB
 *      proxy thread -> SUB, the publisher and the proxies' XPUB sockets
 *      ZMQ_XPUB_NODROP (a refused send is retried after the same back-off),
 *      so raw libzmq loses nothing. Losses of oneliner are counted (sent -
 *      received, and the client's missed + overflowed counters).
 *
 * Every stream measurement runs on a new subscriber connection (a new
 * OlClient, a new raw SUB socket), and every throughput repetition on a new
 * chain (new relays R1 and R2, new raw proxies), so that the state the
 * kernel keeps per TCP connection (congestion control, windows) starts
 * afresh on every connection of the path. Each waits first for the
 * subscription to be live through the relays: probes are published until
 * the subscriber takes one. Calls through R1 are retried while the mount is still connecting
 * (OL_ERROR_UNREACHABLE). Every measurement is preceded by a warm-up and
 * repeated; the kinds alternate within each repetition so that a slow phase
 * of the machine hits all of them alike, and the median of the repetitions
 * is printed (the hop costs: the median of the per-repetition differences).
 *
 * Every ZeroMQ socket here is created, used and closed by one thread. Every
 * wait is bounded by WAIT_MS; a reply or message that does not come aborts
 * the run.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <glib.h>
#include <jansson.h>
#include <zmq.h>

#include "oneliner/client.h"
#include "oneliner/error.h"
#include "oneliner/server.h"
#include "oneliner/stream.h"

#include "bench_util.h"

/* The bound of every wait for a reply, a message, a thread or a
 * subscription. */
#define WAIT_MS 5000
/* Once the producer is done, a run ends when nothing came for this long:
 * the messages still missing were lost. */
#define QUIET_MS 1000
/* Receive loops look at their deadlines at least this often. */
#define POLL_MS 100
/* Raw threads look at their stop flag at least this often. */
#define RAW_POLL_MS 100
/* The high-water marks of oneliner's sockets, used for the raw ones too. */
#define HWM 100000
/* The back-off of a producer whose send was refused (queue or HWM full). */
#define BACKOFF_US 20
/* Probes go out this often until the subscriber sees one. */
#define PROBE_MS 2
/* Calls through a mount that is still connecting are retried this often. */
#define RETRY_MS 10
/* The data-plane header (docs/PROTOCOL.md, "Data plane"). */
#define HEADER_SIZE 48
/* The most frames of a raw call message: envelopes and the body. */
#define MAX_FRAMES 8
/* The payload of the latency stream. */
#define LAT_SIZE 64

/* The streams of U: the latency stream and the two throughput ones. */
enum { S_LAT, S_SMALL, S_LARGE, N_STREAMS };
#define N_TPUT 2 /* S_SMALL, S_LARGE */

static const char *const s_names[N_STREAMS] = { "lat", "bytes64", "bytes1048576" };
static const gsize s_sizes[N_STREAMS] = { LAT_SIZE, 64, 1024 * 1024 };
static const char *const s_size_names[N_STREAMS] = { "64 B", "64 B", "1 MiB" };
static const guint s_tput_counts[N_STREAMS] = { 0, 100000, 300 };
static const guint s_quick_tput_counts[N_STREAMS] = { 0, 5000, 20 };

/* The prefixes of the mounts. */
#define R1_PREFIX "up"
#define R2_PREFIX "r1"

/* The payload of the latency stream: written anew for every message. */
typedef struct {
  guint32 run;      /* 0 for a probe */
  guint32 index;    /* from 0 within its run */
  gint64 sent_ns;   /* CLOCK_MONOTONIC just before the send */
  guint8 fill[LAT_SIZE - 16];
} Stamp;

G_STATIC_ASSERT (sizeof (Stamp) == LAT_SIZE);

/* A payload of size bytes, every byte written. */
static void *
s_payload_new (gsize size)
{
  guint8 *data = g_malloc (size);

  for (gsize i = 0; i < size; i++)
    data[i] = (guint8) (i * 131 + 7);
  return data;
}

static void
s_stamp_fill (Stamp *st, guint32 run, guint32 index)
{
  st->run = run;
  st->index = index;
  for (gsize i = 0; i < sizeof st->fill; i++)
    st->fill[i] = (guint8) (index + i);
  st->sent_ns = bench_now_ns ();
}

/* ------------------------------------------------------------------------ */
/* Results */

typedef struct {
  double p50_us;
  double p99_us;
  guint64 sent;      /* stream latency: messages sent, warm-up included */
  guint64 received;  /* of them, received */
} Lat;

/* Sorts samples (ns) and fills the percentiles. */
static Lat
s_lat (gint64 *samples, guint n)
{
  Lat l = { 0 };

  if (n == 0)
    bench_die ("a latency run has no sample");
  bench_sort_i64 (samples, n);
  l.p50_us = (double) bench_percentile_i64 (samples, n, 50) / 1e3;
  l.p99_us = (double) bench_percentile_i64 (samples, n, 99) / 1e3;
  return l;
}

/* A direct path and the same through one hop: the medians of both and of
 * the per-repetition hop costs, the message counts summed. */
typedef struct {
  Lat direct;
  Lat via;
  double hop_p50_us;
  double hop_p99_us;
} Hop;

static Hop
s_hop (const Lat *direct, const Lat *via, int n)
{
  Hop h = { 0 };
  double *d50 = g_new (double, n), *d99 = g_new (double, n);

  h.direct.p50_us = BENCH_MEDIAN_FIELD (direct, n, Lat, p50_us);
  h.direct.p99_us = BENCH_MEDIAN_FIELD (direct, n, Lat, p99_us);
  h.via.p50_us = BENCH_MEDIAN_FIELD (via, n, Lat, p50_us);
  h.via.p99_us = BENCH_MEDIAN_FIELD (via, n, Lat, p99_us);
  for (int i = 0; i < n; i++)
    {
      d50[i] = via[i].p50_us - direct[i].p50_us;
      d99[i] = via[i].p99_us - direct[i].p99_us;
      h.direct.sent += direct[i].sent;
      h.direct.received += direct[i].received;
      h.via.sent += via[i].sent;
      h.via.received += via[i].received;
    }
  h.hop_p50_us = bench_median (d50, n);
  h.hop_p99_us = bench_median (d99, n);
  g_free (d50);
  g_free (d99);
  return h;
}

typedef struct {
  double msgs_per_s;
  double mb_per_s;
  guint64 sent;        /* messages the producer published */
  guint64 received;    /* of them, taken by the subscriber */
  guint64 retries;     /* refused sends retried after a back-off */
  guint64 missed;      /* oneliner: client counter, gaps in sequences */
  guint64 overflowed;  /* oneliner: client counter, full queue */
  guint64 server_dropped; /* oneliner: lost in U (BUSY excluded) */
} Tput;

static Tput
s_tput (guint64 sent, guint64 received, gint64 elapsed_ns, gsize size)
{
  Tput t = { 0 };

  if (received == 0 || elapsed_ns <= 0)
    bench_die ("a throughput run received nothing");
  t.sent = sent;
  t.received = received;
  t.msgs_per_s = (double) received * 1e9 / (double) elapsed_ns;
  t.mb_per_s = t.msgs_per_s * (double) size / 1e6;
  return t;
}

/* The medians of the rates and the sums of the counts of n repetitions. */
static Tput
s_tput_median (const Tput *reps, int n)
{
  Tput m = { 0 };

  m.msgs_per_s = BENCH_MEDIAN_FIELD (reps, n, Tput, msgs_per_s);
  m.mb_per_s = BENCH_MEDIAN_FIELD (reps, n, Tput, mb_per_s);
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

/* ------------------------------------------------------------------------ */
/* Raw libzmq helpers */

typedef struct {
  const char *data;
  size_t len;
} Payload;

/* A new socket with linger 0, the high-water marks HWM and a send timeout
 * of WAIT_MS. */
static void *
s_socket (void *ctx, int type)
{
  void *socket = bench_socket (ctx, type);
  int hwm = HWM;
  int timeout = WAIT_MS;

  zmq_setsockopt (socket, ZMQ_SNDHWM, &hwm, sizeof hwm);
  zmq_setsockopt (socket, ZMQ_RCVHWM, &hwm, sizeof hwm);
  /* Bounds a send that waits for a peer or for room. */
  zmq_setsockopt (socket, ZMQ_SNDTIMEO, &timeout, sizeof timeout);
  return socket;
}

static void
s_connect (void *socket, const char *endpoint, const char *what)
{
  if (zmq_connect (socket, endpoint) != 0)
    bench_die ("%s: cannot connect to %s: %s", what, endpoint, zmq_strerror (errno));
}

/* Sends payload as one frame, writing a fresh message buffer first as any
 * sender that serialises its message would. */
static void
s_send_payload (void *socket, const Payload *p, int flags, const char *what)
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

/* Waits at most WAIT_MS for socket to become readable. */
static void
s_wait_readable (void *socket, const char *what)
{
  zmq_pollitem_t item = { socket, 0, ZMQ_POLLIN, 0 };
  int rc;

  do
    rc = bench_poll (&item, 1, WAIT_MS, what);
  while (rc < 0);
  if (rc == 0)
    bench_die ("%s: nothing within %d ms", what, WAIT_MS);
}

/* Receives one whole message into frames (at most max), not waiting;
 * returns its number of frames, 0 if none was there. The caller closes
 * them. */
static int
s_recv_frames (void *socket, zmq_msg_t *frames, int max, const char *what)
{
  int n = 0;
  int more = 1;

  while (more)
    {
      if (n == max)
        bench_die ("%s: a message of more than %d frames", what, max);
      if (!bench_recv_frame (socket, &frames[n], n == 0, what))
        return 0;
      /* The rest of a message is there once its first frame is. */
      more = zmq_msg_more (&frames[n]);
      n++;
    }
  return n;
}

static void
s_close_frames (zmq_msg_t *frames, int n)
{
  for (int i = 0; i < n; i++)
    zmq_msg_close (&frames[i]);
}

/* Moves one whole message from src to dst; FALSE when src had none. A send
 * that finds no room waits at most WAIT_MS (ZMQ_SNDTIMEO), then aborts. */
static gboolean
s_forward (void *src, void *dst, const char *what)
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
        bench_die ("%s: cannot forward a message within %d ms: %s", what, WAIT_MS,
                   zmq_strerror (errno));
    }
  return TRUE;
}

/* A raw thread that owns its sockets: started with s_raw_thread_start(),
 * it signals ready once its endpoint is bound and looks at stop at least
 * every RAW_POLL_MS. */
typedef struct {
  void *ctx;
  const char *name;
  Payload reply;           /* echo server: the reply to every request */
  char upstream[256];      /* proxies: where their back end connects */
  char endpoint[256];      /* bound, set before ready */
  GThread *thread;
  GMutex lock;
  GCond cond;
  gboolean ready;
  gint stop;               /* atomic */
} RawThread;

static RawThread *
s_raw_thread_start (void *ctx, const char *name, GThreadFunc func, const char *upstream,
                    Payload reply)
{
  RawThread *t = g_new0 (RawThread, 1);

  t->ctx = ctx;
  t->name = name;
  t->reply = reply;
  if (upstream != NULL)
    g_strlcpy (t->upstream, upstream, sizeof t->upstream);
  g_mutex_init (&t->lock);
  g_cond_init (&t->cond);
  t->thread = g_thread_new (name, func, t);
  if (!bench_wait_flag (&t->lock, &t->cond, &t->ready, WAIT_MS))
    bench_die ("%s did not start within %d ms", name, WAIT_MS);
  return t;
}

static void
s_raw_thread_free (RawThread *t)
{
  g_atomic_int_set (&t->stop, 1);
  g_thread_join (t->thread);
  g_mutex_clear (&t->lock);
  g_cond_clear (&t->cond);
  g_free (t);
}

/* ------------------------------------------------------------------------ */
/* Raw calls: a ROUTER echo thread that answers every request with the
 * reply bytes (its envelope sent back first), and a ROUTER/DEALER proxy
 * thread in front of it. */

static gpointer
s_echo_thread (gpointer data)
{
  RawThread *t = data;
  void *router = s_socket (t->ctx, ZMQ_ROUTER);
  int mandatory = 1;

  zmq_setsockopt (router, ZMQ_ROUTER_MANDATORY, &mandatory, sizeof mandatory);
  bench_bind_any (router, t->endpoint, sizeof t->endpoint, t->name);
  bench_set_flag (&t->lock, &t->cond, &t->ready);

  while (!g_atomic_int_get (&t->stop))
    {
      zmq_pollitem_t item = { router, 0, ZMQ_POLLIN, 0 };

      if (bench_poll (&item, 1, RAW_POLL_MS, t->name) < 0)
        continue;
      for (;;)
        {
          zmq_msg_t frames[MAX_FRAMES];
          int n = s_recv_frames (router, frames, MAX_FRAMES, t->name);

          if (n == 0)
            break;
          if (n < 2)
            bench_die ("%s: a request without identity", t->name);
          /* The envelope (the identities) goes back as it came. */
          for (int i = 0; i < n - 1; i++)
            if (zmq_msg_send (&frames[i], router, ZMQ_SNDMORE) < 0)
              bench_die ("%s: cannot send the envelope: %s", t->name, zmq_strerror (errno));
          s_send_payload (router, &t->reply, 0, t->name);
          zmq_msg_close (&frames[n - 1]);
        }
    }
  zmq_close (router);
  return NULL;
}

static gpointer
s_call_proxy_thread (gpointer data)
{
  RawThread *t = data;
  void *front = s_socket (t->ctx, ZMQ_ROUTER);
  void *back = s_socket (t->ctx, ZMQ_DEALER);

  s_connect (back, t->upstream, t->name);
  bench_bind_any (front, t->endpoint, sizeof t->endpoint, t->name);
  bench_set_flag (&t->lock, &t->cond, &t->ready);

  /* The loop of oneliner's RPC thread: poll, then forward in batches. */
  while (!g_atomic_int_get (&t->stop))
    {
      zmq_pollitem_t items[2] = {
        { front, 0, ZMQ_POLLIN, 0 },
        { back, 0, ZMQ_POLLIN, 0 },
      };

      if (bench_poll (items, 2, RAW_POLL_MS, t->name) < 0)
        continue;
      for (int i = 0; i < 512; i++)
        if (!s_forward (front, back, t->name))
          break;
      for (int i = 0; i < 512; i++)
        if (!s_forward (back, front, t->name))
          break;
    }
  zmq_close (front);
  zmq_close (back);
  return NULL;
}

/* Receives one reply on a DEALER, waiting at most WAIT_MS. */
static void
s_recv_reply (void *dealer, const char *what)
{
  zmq_msg_t frames[MAX_FRAMES];
  int n;

  while ((n = s_recv_frames (dealer, frames, MAX_FRAMES, what)) == 0)
    s_wait_readable (dealer, what);
  if (zmq_msg_size (&frames[n - 1]) == 0)
    bench_die ("%s: empty reply", what);
  s_close_frames (frames, n);
}

static Lat
s_raw_calls (void *dealer, const Payload *request, gint64 *samples, guint n, guint warmup,
             const char *what)
{
  for (guint i = 0; i < warmup + n; i++)
    {
      gint64 t0 = bench_now_ns ();

      s_send_payload (dealer, request, 0, what);
      s_recv_reply (dealer, what);
      if (i >= warmup)
        samples[i - warmup] = bench_now_ns () - t0;
    }
  return s_lat (samples, n);
}

/* ------------------------------------------------------------------------ */
/* oneliner calls */

/* The instance "calc" (its methods need none of its state). */
static int s_calc;

static int32_t
s_add (void *self, int32_t a, int32_t b)
{
  (void) self;
  return a + b;
}

static void
s_check_result (json_t *result, GError *error, const char *what)
{
  if (result == NULL)
    bench_die ("%s: call failed: %s", what, error ? error->message : "no error");
  if (!json_is_integer (result) || json_integer_value (result) != 3)
    bench_die ("%s: unexpected result", what);
}

static Lat
s_ol_calls (OlClient *client, const char *object, json_t *args, gint64 *samples, guint n,
            guint warmup, const char *what)
{
  for (guint i = 0; i < warmup + n; i++)
    {
      GError *error = NULL;
      gint64 t0 = bench_now_ns ();
      json_t *result = ol_client_call (client, object, "add", args, NULL, &error);

      if (i >= warmup)
        samples[i - warmup] = bench_now_ns () - t0;
      s_check_result (result, error, what);
      json_decref (result);
    }
  return s_lat (samples, n);
}

/* Calls until the mount answers: a mount connects asynchronously, and a
 * call before that fails at once with OL_ERROR_UNREACHABLE. */
static void
s_wait_reachable (OlClient *client, const char *object, json_t *args)
{
  gint64 deadline = g_get_monotonic_time () + WAIT_MS * G_TIME_SPAN_MILLISECOND;

  for (;;)
    {
      GError *error = NULL;
      json_t *result = ol_client_call (client, object, "add", args, NULL, &error);

      if (result != NULL || !g_error_matches (error, OL_ERROR, OL_ERROR_UNREACHABLE))
        {
          s_check_result (result, error, object);
          json_decref (result);
          return;
        }
      if (g_get_monotonic_time () > deadline)
        bench_die ("\"%s\": the mount did not connect within %d ms: %s", object, WAIT_MS,
                   error->message);
      g_error_free (error);
      g_usleep (RETRY_MS * 1000);
    }
}

/* The exact bytes oneliner puts on the wire for the call: a client in a
 * thread of its own calls a ROUTER of ours (main thread), which passes the
 * request on to the real server and the reply back. */
typedef struct {
  char endpoint[256];
  json_t *result;
  GError *error;
} Capture;

static gpointer
s_capture_thread (gpointer data)
{
  Capture *c = data;
  OlClient *client = ol_client_new (c->endpoint, NULL, &c->error);
  json_t *args = json_pack ("[i, i]", 1, 2);

  if (client != NULL)
    {
      ol_client_set_timeout (client, WAIT_MS);
      c->result = ol_client_call (client, "calc", "add", args, NULL, &c->error);
      ol_client_free (&client);
    }
  json_decref (args);
  return NULL;
}

static void
s_capture_payloads (void *ctx, const char *server_endpoint, char **request,
                    size_t *request_len, char **reply, size_t *reply_len)
{
  const char *what = "capture";
  void *router = s_socket (ctx, ZMQ_ROUTER);
  void *dealer = s_socket (ctx, ZMQ_DEALER);
  zmq_msg_t in[MAX_FRAMES], out[MAX_FRAMES];
  int n_in, n_out;
  Capture c = { 0 };
  GThread *thread;

  bench_bind_any (router, c.endpoint, sizeof c.endpoint, what);
  s_connect (dealer, server_endpoint, what);
  thread = g_thread_new ("bench-capture", s_capture_thread, &c);

  while ((n_in = s_recv_frames (router, in, MAX_FRAMES, what)) == 0)
    s_wait_readable (router, "capture: the oneliner client");
  if (n_in != 2)
    bench_die ("capture: a request of %d frames, not [identity, body]", n_in);
  *request_len = zmq_msg_size (&in[1]);
  *request = g_strndup (zmq_msg_data (&in[1]), *request_len);

  /* The real reply to those very bytes. */
  if (zmq_msg_send (&in[1], dealer, 0) < 0)
    bench_die ("capture: cannot send to the server: %s", zmq_strerror (errno));
  while ((n_out = s_recv_frames (dealer, out, MAX_FRAMES, what)) == 0)
    s_wait_readable (dealer, "capture: the oneliner server");
  if (n_out != 1)
    bench_die ("capture: a reply of %d frames, not 1", n_out);
  *reply_len = zmq_msg_size (&out[0]);
  *reply = g_strndup (zmq_msg_data (&out[0]), *reply_len);

  /* Completes the call with it. */
  if (zmq_msg_send (&in[0], router, ZMQ_SNDMORE) < 0
      || zmq_msg_send (&out[0], router, 0) < 0)
    bench_die ("capture: cannot answer the client: %s", zmq_strerror (errno));
  g_thread_join (thread); /* bounded by the client's timeout */
  s_check_result (c.result, c.error, what);
  json_decref (c.result);
  zmq_close (dealer);
  zmq_close (router);
}

/* ------------------------------------------------------------------------ */
/* Stream producers: one thread for oneliner (pushes to U's writers) and one
 * for raw libzmq (owns a PUB socket bound on tcp loopback), driven by
 * jobs. */

typedef enum {
  JOB_NONE,
  JOB_PROBE,  /* send probes until the subscriber saw one */
  JOB_PACED,  /* send n latency stamps at hz on absolute deadlines */
  JOB_BLAST,  /* send n messages as fast as the path takes them */
  JOB_STOP,
} JobKind;

typedef struct {
  gboolean raw;
  const char *name;                   /* of the thread, for messages */
  /* oneliner */
  OlStreamWriter *writers[N_STREAMS]; /* (owned) */
  GBytes *bytes[N_STREAMS];           /* (owned) throughput payloads */
  /* raw libzmq */
  void *ctx;
  void *payloads[N_STREAMS];          /* (owned) throughput payloads */
  char endpoint[256];                 /* the PUB's, set before ready */

  GThread *thread;
  GMutex lock;                        /* guards everything below */
  GCond cond;
  gboolean ready;
  JobKind job;
  int job_stream;
  guint job_n;
  guint32 job_run;
  double job_hz;
  gboolean job_done;
  gint64 start_ns;                    /* of the last job: before its first send */
  guint64 retries;                    /* of the last job */

  gint live;                          /* atomic: the subscriber saw a probe */
  gint sending;                       /* atomic: the current job still sends */
} Sender;

static void
s_header_encode (guint8 out[HEADER_SIZE], guint64 sequence, gint64 timestamp)
{
  guint64 seq_le = GUINT64_TO_LE (sequence);
  guint64 ts_le = GUINT64_TO_LE ((guint64) timestamp);

  memset (out, 0, HEADER_SIZE);
  out[0] = 1; /* data-plane version */
  memcpy (out + 8, &seq_le, 8);
  memcpy (out + 16, &ts_le, 8);
}

static guint64
s_header_sequence (const guint8 *header)
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

/* Sends one message of stream k: for S_LAT a stamp of run and index written
 * now, otherwise the pre-written payload (never copied). The raw header
 * carries seq. Returns FALSE if the message was refused (oneliner:
 * OL_ERROR_BUSY; raw: the PUB at its HWM). */
static gboolean
s_send_one (Sender *s, void *pub, int k, guint32 run, guint32 index, guint64 seq)
{
  if (!s->raw)
    {
      GError *error = NULL;
      GBytes *payload;
      gboolean ok;

      if (k == S_LAT)
        {
          Stamp st;

          s_stamp_fill (&st, run, index);
          payload = g_bytes_new (&st, sizeof st);
        }
      else
        payload = g_bytes_ref (s->bytes[k]);
      ok = ol_stream_writer_push_bytes (s->writers[k], payload, &error);
      g_bytes_unref (payload);
      if (!ok && !g_error_matches (error, OL_ERROR, OL_ERROR_BUSY))
        bench_die ("oneliner producer of stream \"%s\": %s", s_names[k], error->message);
      g_clear_error (&error);
      return ok;
    }
  else
    {
      guint8 header[HEADER_SIZE];
      zmq_msg_t msg;
      Stamp st;

      if (k == S_LAT)
        s_stamp_fill (&st, run, index);
      if (zmq_send (pub, s_names[k], strlen (s_names[k]) + 1, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0)
        {
          if (errno == EAGAIN)
            return FALSE;
          bench_die ("raw PUB: cannot send: %s", zmq_strerror (errno));
        }
      /* Once the first frame is accepted, the rest of the message is. */
      s_header_encode (header, seq, bench_wall_ns ());
      if (zmq_send (pub, header, sizeof header, ZMQ_SNDMORE) < 0)
        bench_die ("raw PUB: cannot send the header: %s", zmq_strerror (errno));
      if (k == S_LAT)
        {
          zmq_msg_init_size (&msg, sizeof st);
          memcpy (zmq_msg_data (&msg), &st, sizeof st);
        }
      else
        zmq_msg_init_data (&msg, s->payloads[k], s_sizes[k], s_no_free, NULL);
      if (zmq_msg_send (&msg, pub, 0) < 0)
        bench_die ("raw PUB: cannot send the payload: %s", zmq_strerror (errno));
      return TRUE;
    }
}

static void
s_sender_probe (Sender *s, void *pub, int k)
{
  gint64 deadline = g_get_monotonic_time () + WAIT_MS * G_TIME_SPAN_MILLISECOND;

  while (!g_atomic_int_get (&s->live) && g_get_monotonic_time () < deadline)
    {
      s_send_one (s, pub, k, 0, 0, 0);
      g_usleep (PROBE_MS * 1000);
    }
}

/* Sends n stamps of run at hz, the i-th on the deadline start + i / hz. */
static void
s_sender_paced (Sender *s, void *pub, guint32 run, guint n, double hz)
{
  gint64 period = (gint64) (1e9 / hz);
  gint64 start = bench_now_ns () + period;

  for (guint i = 0; i < n; i++)
    {
      gint64 deadline = start + (gint64) i * period;
      struct timespec ts = { deadline / 1000000000, deadline % 1000000000 };

      while (clock_nanosleep (CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
        ;
      if (!s_send_one (s, pub, S_LAT, run, i, (guint64) i + 1))
        bench_die ("%s: a message was refused at %g messages/s: the path is saturated",
                   s->name, hz);
    }
}

/* Sends n messages of stream k, sequences 1..n, as fast as they are taken. */
static void
s_sender_blast (Sender *s, void *pub, int k, guint n)
{
  guint64 retries = 0;
  gint64 start = bench_now_ns ();

  for (guint64 seq = 1; seq <= n; seq++)
    {
      gint64 busy_since = 0;

      while (!s_send_one (s, pub, k, 0, 0, seq))
        {
          gint64 now = bench_now_ns ();

          retries++;
          if (busy_since == 0)
            busy_since = now;
          else if (now - busy_since > (gint64) WAIT_MS * 1000000)
            bench_die ("%s: sends of stream \"%s\" were refused for %d ms", s->name,
                       s_names[k], WAIT_MS);
          g_usleep (BACKOFF_US);
        }
    }
  g_mutex_lock (&s->lock);
  s->start_ns = start;
  s->retries = retries;
  g_mutex_unlock (&s->lock);
}

static gpointer
s_sender_thread (gpointer data)
{
  Sender *s = data;
  void *pub = NULL;

  if (s->raw)
    {
      int hwm = HWM, nodrop = 1;

      pub = bench_socket (s->ctx, ZMQ_PUB);
      zmq_setsockopt (pub, ZMQ_SNDHWM, &hwm, sizeof hwm);
      zmq_setsockopt (pub, ZMQ_XPUB_NODROP, &nodrop, sizeof nodrop);
      bench_bind_any (pub, s->endpoint, sizeof s->endpoint, "raw PUB");
    }
  g_mutex_lock (&s->lock);
  s->ready = TRUE;
  g_cond_broadcast (&s->cond);
  for (;;)
    {
      JobKind job;
      int k;
      guint n;
      guint32 run;
      double hz;

      while (s->job == JOB_NONE)
        g_cond_wait (&s->cond, &s->lock);
      job = s->job;
      k = s->job_stream;
      n = s->job_n;
      run = s->job_run;
      hz = s->job_hz;
      g_mutex_unlock (&s->lock);
      if (job == JOB_STOP)
        break;
      if (job == JOB_PROBE)
        s_sender_probe (s, pub, k);
      else if (job == JOB_PACED)
        s_sender_paced (s, pub, run, n, hz);
      else
        s_sender_blast (s, pub, k, n);
      g_atomic_int_set (&s->sending, 0);
      g_mutex_lock (&s->lock);
      s->job = JOB_NONE;
      s->job_done = TRUE;
      g_cond_broadcast (&s->cond);
    }
  if (pub != NULL)
    zmq_close (pub);
  return NULL;
}

static void
s_sender_start (Sender *s)
{
  g_mutex_init (&s->lock);
  g_cond_init (&s->cond);
  s->thread = g_thread_new (s->name, s_sender_thread, s);
  if (!bench_wait_flag (&s->lock, &s->cond, &s->ready, WAIT_MS))
    bench_die ("%s did not start within %d ms", s->name, WAIT_MS);
}

static void
s_sender_post (Sender *s, JobKind job, int k, guint n, guint32 run, double hz)
{
  g_mutex_lock (&s->lock);
  s->job = job;
  s->job_stream = k;
  s->job_n = n;
  s->job_run = run;
  s->job_hz = hz;
  s->job_done = FALSE;
  g_atomic_int_set (&s->sending, 1);
  g_cond_broadcast (&s->cond);
  g_mutex_unlock (&s->lock);
}

/* Waits for the end of the current job; a paced job of n messages takes
 * n / hz on top of the bound. */
static void
s_sender_wait (Sender *s, int extra_ms, const char *what)
{
  if (!bench_wait_flag (&s->lock, &s->cond, &s->job_done, WAIT_MS + extra_ms))
    bench_die ("%s: %s within %d ms", s->name, what, WAIT_MS + extra_ms);
}

static void
s_sender_stop (Sender *s)
{
  s_sender_post (s, JOB_STOP, 0, 0, 0, 0);
  g_thread_join (s->thread);
  g_mutex_clear (&s->lock);
  g_cond_clear (&s->cond);
}

/* ------------------------------------------------------------------------ */
/* Subscribers: an OlClient or a raw SUB socket, in the main thread */

typedef struct {
  OlClient *client;  /* oneliner */
  void *sub;         /* raw libzmq */
  char name[64];     /* the stream (oneliner) or topic (raw) subscribed to */
} Sub;

/* One message, as both kinds of subscriber give it. */
typedef struct {
  guint64 sequence;
  gsize size;
  Stamp stamp;       /* for S_LAT; run 0 otherwise */
} Rx;

/* Takes one message, waiting at most timeout_ms; FALSE if none came. */
static gboolean
s_sub_take (Sub *s, int timeout_ms, Rx *rx)
{
  const guint8 *payload;

  memset (rx, 0, sizeof *rx);
  if (s->client != NULL)
    {
      GError *error = NULL;
      OlStreamMessage *m = ol_client_get_stream (s->client, s->name, timeout_ms, &error);

      if (m == NULL)
        {
          if (!g_error_matches (error, OL_ERROR, OL_ERROR_TIMEOUT))
            bench_die ("oneliner stream \"%s\": %s", s->name, error->message);
          g_error_free (error);
          return FALSE;
        }
      payload = g_bytes_get_data (m->payload, &rx->size);
      rx->sequence = m->sequence;
      if (rx->size == sizeof rx->stamp)
        memcpy (&rx->stamp, payload, sizeof rx->stamp);
      ol_stream_message_free (m);
      return TRUE;
    }
  else
    {
      zmq_msg_t frames[3];
      int n = s_recv_frames (s->sub, frames, 3, "raw SUB");

      if (n == 0)
        {
          zmq_pollitem_t item = { s->sub, 0, ZMQ_POLLIN, 0 };

          if (bench_poll (&item, 1, timeout_ms, "raw SUB") <= 0)
            return FALSE;
          if ((n = s_recv_frames (s->sub, frames, 3, "raw SUB")) == 0)
            return FALSE;
        }
      if (n != 3)
        bench_die ("raw SUB: a message of %d frames, not [topic, header, payload]", n);
      if (zmq_msg_size (&frames[1]) != HEADER_SIZE)
        bench_die ("raw SUB: a header of %zu bytes, not %d", zmq_msg_size (&frames[1]),
                   HEADER_SIZE);
      rx->sequence = s_header_sequence (zmq_msg_data (&frames[1]));
      rx->size = zmq_msg_size (&frames[2]);
      if (rx->size == sizeof rx->stamp)
        memcpy (&rx->stamp, zmq_msg_data (&frames[2]), sizeof rx->stamp);
      s_close_frames (frames, 3);
      return TRUE;
    }
}

/* Has the sender publish probes of stream k until the subscriber takes one,
 * so that the subscription is live through every hop. The probes left on
 * their way are told from the timed messages by their run (latency) or
 * sequence number (throughput). */
static void
s_sub_probe (Sub *s, Sender *snd, int k)
{
  gint64 deadline = g_get_monotonic_time () + WAIT_MS * G_TIME_SPAN_MILLISECOND;
  Rx rx;

  g_atomic_int_set (&snd->live, 0);
  s_sender_post (snd, JOB_PROBE, k, 0, 0, 0);
  while (!s_sub_take (s, PROBE_MS, &rx))
    if (g_get_monotonic_time () > deadline)
      bench_die ("%s: the subscription to \"%s\" was not live within %d ms",
                 s->client ? "oneliner" : "raw", s->name, WAIT_MS);
  g_atomic_int_set (&snd->live, 1);
  s_sender_wait (snd, 0, "the probes did not end");
}

/* A new OlClient of server (a new connection), subscribed to name with a
 * queue of depth, once its subscription is live. */
static Sub
s_sub_oneliner (OlServer *server, const char *name, guint depth, Sender *snd, int k)
{
  GError *error = NULL;
  Sub s = { 0 };

  g_strlcpy (s.name, name, sizeof s.name);
  s.client = ol_client_new (ol_server_get_rpc_endpoint (server),
                            ol_server_get_stream_endpoint (server), &error);
  if (s.client == NULL)
    bench_die ("oneliner client: %s", error->message);
  if (!ol_client_configure_stream (s.client, name, OL_STORAGE_QUEUE, depth, &error))
    bench_die ("oneliner client: stream \"%s\": %s", name, error->message);
  s_sub_probe (&s, snd, k);
  return s;
}

/* A new SUB socket connected to endpoint, subscribed to stream k's topic
 * with its NUL (as oneliner subscribes), once its subscription is live. */
static Sub
s_sub_raw (void *ctx, const char *endpoint, Sender *snd, int k)
{
  Sub s = { 0 };
  int hwm = HWM;

  g_strlcpy (s.name, s_names[k], sizeof s.name);
  s.sub = bench_socket (ctx, ZMQ_SUB);
  zmq_setsockopt (s.sub, ZMQ_RCVHWM, &hwm, sizeof hwm);
  s_connect (s.sub, endpoint, "raw SUB");
  if (zmq_setsockopt (s.sub, ZMQ_SUBSCRIBE, s.name, strlen (s.name) + 1) != 0)
    bench_die ("raw SUB: cannot subscribe: %s", zmq_strerror (errno));
  s_sub_probe (&s, snd, k);
  return s;
}

static void
s_sub_free (Sub *s)
{
  if (s->client != NULL)
    ol_client_free (&s->client);
  if (s->sub != NULL)
    zmq_close (s->sub);
  s->sub = NULL;
}

static void
s_counters (OlClient *client, const char *name, OlStreamCounters *c)
{
  GError *error = NULL;

  if (!ol_client_get_stream_counters (client, name, c, &error))
    bench_die ("stream \"%s\": %s", name, error->message);
}

/* A statistic of stream name from ol_server_list_streams(). */
static guint64
s_stream_stat (OlServer *server, const char *name, const char *key)
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

/* ------------------------------------------------------------------------ */
/* Relays */

/* A started server that mounts upstream under prefix. (transfer full) */
static OlServer *
s_relay_new (OlServer *upstream, const char *prefix, const char *what)
{
  GError *error = NULL;
  OlServer *relay = ol_server_new ("tcp://127.0.0.1:*", "tcp://127.0.0.1:*");

  if (!ol_server_mount (relay, prefix, ol_server_get_rpc_endpoint (upstream),
                        ol_server_get_stream_endpoint (upstream), &error)
      || !ol_server_start (relay, &error))
    bench_die ("oneliner relay %s: %s", what, error->message);
  return relay;
}

/* ------------------------------------------------------------------------ */
/* Stream latency */

/* One paced run of run id: warmup + n stamps at hz; the latency of the last
 * n. Messages lost on the way are counted, not waited for. */
static Lat
s_latency_run (Sub *s, Sender *snd, guint32 run, guint n, guint warmup, double hz,
               gint64 *samples)
{
  guint total = warmup + n;
  guint n_samples = 0;
  guint64 received = 0;
  gint64 last_progress = bench_now_ns ();
  int extra_ms = (int) (total * 1000.0 / hz);
  Lat l;

  s_sender_post (snd, JOB_PACED, S_LAT, total, run, hz);
  for (;;)
    {
      Rx rx;
      gint64 now;

      if (!s_sub_take (s, POLL_MS, &rx))
        {
          gint64 idle = bench_now_ns () - last_progress;

          if (!g_atomic_int_get (&snd->sending) && idle > (gint64) QUIET_MS * 1000000)
            break; /* the rest was lost */
          if (idle > (gint64) WAIT_MS * 1000000)
            bench_die ("%s stream \"%s\": no message within %d ms",
                       s->client ? "oneliner" : "raw", s->name, WAIT_MS);
          continue;
        }
      now = bench_now_ns ();
      if (rx.size != LAT_SIZE)
        bench_die ("stream \"%s\": a payload of %" G_GSIZE_FORMAT " bytes", s->name, rx.size);
      if (rx.stamp.run != run)
        continue; /* a probe */
      last_progress = now;
      received++;
      if (rx.stamp.index >= warmup && n_samples < n)
        samples[n_samples++] = now - rx.stamp.sent_ns;
      if (rx.stamp.index + 1 >= total)
        break;
    }
  s_sender_wait (snd, extra_ms, "the paced run did not end");
  l = s_lat (samples, n_samples);
  l.sent = total;
  l.received = received;
  return l;
}

/* ------------------------------------------------------------------------ */
/* Throughput */

/* One timed run of n messages of stream k through oneliner; upstream is the
 * server of the stream, whose sequence numbers the relays keep. */
static Tput
s_tput_oneliner (Sub *s, Sender *snd, OlServer *upstream, int k, guint n)
{
  guint64 first_seq = s_stream_stat (upstream, s_names[k], "sequence") + 1;
  guint64 last_seq = first_seq + n - 1;
  guint64 dropped0 = s_stream_stat (upstream, s_names[k], "dropped");
  guint64 dropped;
  guint64 received = 0;
  gint64 last_rx = 0;
  gint64 last_progress = bench_now_ns ();
  OlStreamCounters c0, c1;
  Tput t;

  s_counters (s->client, s->name, &c0);
  s_sender_post (snd, JOB_BLAST, k, n, 0, 0);
  for (;;)
    {
      Rx rx;

      if (!s_sub_take (s, POLL_MS, &rx))
        {
          gint64 idle = bench_now_ns () - last_progress;

          if (!g_atomic_int_get (&snd->sending) && idle > (gint64) QUIET_MS * 1000000)
            break; /* the rest was lost */
          if (idle > (gint64) WAIT_MS * 1000000)
            bench_die ("oneliner stream \"%s\": no message within %d ms", s->name, WAIT_MS);
          continue;
        }
      if (rx.size != s_sizes[k])
        bench_die ("oneliner stream \"%s\": a payload of %" G_GSIZE_FORMAT " bytes", s->name,
                   rx.size);
      if (rx.sequence < first_seq)
        continue; /* a probe or a warm-up message */
      received++;
      last_rx = last_progress = bench_now_ns ();
      if (rx.sequence >= last_seq)
        break;
    }
  s_sender_wait (snd, 0, "the producer did not finish its run");
  s_counters (s->client, s->name, &c1);
  t = s_tput (n, received, last_rx - snd->start_ns, s_sizes[k]);
  t.retries = snd->retries;
  t.missed = c1.missed - c0.missed;
  t.overflowed = c1.overflowed - c0.overflowed;
  /* A push refused with BUSY counts as dropped in the server's statistics;
   * the producer retried it. What remains was lost inside U. */
  dropped = s_stream_stat (upstream, s_names[k], "dropped") - dropped0;
  t.server_dropped = dropped - MIN (dropped, t.retries);
  return t;
}

static Tput
s_tput_raw (Sub *s, Sender *snd, int k, guint n)
{
  guint64 received = 0;
  gint64 last_rx = 0;
  gint64 last_progress = bench_now_ns ();
  Tput t;

  s_sender_post (snd, JOB_BLAST, k, n, 0, 0);
  for (;;)
    {
      Rx rx;

      if (!s_sub_take (s, POLL_MS, &rx))
        {
          gint64 idle = bench_now_ns () - last_progress;

          if (!g_atomic_int_get (&snd->sending) && idle > (gint64) QUIET_MS * 1000000)
            break; /* the rest was lost */
          if (idle > (gint64) WAIT_MS * 1000000)
            bench_die ("raw stream \"%s\": no message within %d ms", s->name, WAIT_MS);
          continue;
        }
      if (rx.sequence == 0)
        continue; /* a probe */
      if (rx.size != s_sizes[k])
        bench_die ("raw stream \"%s\": a payload of %" G_GSIZE_FORMAT " bytes", s->name,
                   rx.size);
      received++;
      last_rx = last_progress = bench_now_ns ();
      if (rx.sequence >= n)
        break;
    }
  s_sender_wait (snd, 0, "the PUB thread did not finish its run");
  t = s_tput (n, received, last_rx - snd->start_ns, s_sizes[k]);
  t.retries = snd->retries;
  return t;
}

/* ------------------------------------------------------------------------ */
/* Raw stream proxies: an XSUB connected to upstream, an XPUB bound on tcp
 * loopback, ZMQ_XPUB_NODROP with a send timeout (a forward waits for room;
 * a subscriber that takes nothing for WAIT_MS aborts the run). */

static gpointer
s_stream_proxy_thread (gpointer data)
{
  RawThread *t = data;
  void *xsub = bench_socket (t->ctx, ZMQ_XSUB);
  void *xpub = bench_socket (t->ctx, ZMQ_XPUB);
  int hwm = HWM, nodrop = 1, timeout = WAIT_MS;

  zmq_setsockopt (xsub, ZMQ_RCVHWM, &hwm, sizeof hwm);
  zmq_setsockopt (xpub, ZMQ_SNDHWM, &hwm, sizeof hwm);
  zmq_setsockopt (xpub, ZMQ_XPUB_NODROP, &nodrop, sizeof nodrop);
  zmq_setsockopt (xpub, ZMQ_SNDTIMEO, &timeout, sizeof timeout);
  s_connect (xsub, t->upstream, t->name);
  bench_bind_any (xpub, t->endpoint, sizeof t->endpoint, t->name);
  bench_set_flag (&t->lock, &t->cond, &t->ready);

  /* The same loop as oneliner's proxy: poll, then forward in batches. */
  while (!g_atomic_int_get (&t->stop))
    {
      zmq_pollitem_t items[2] = {
        { xsub, 0, ZMQ_POLLIN, 0 },
        { xpub, 0, ZMQ_POLLIN, 0 },
      };

      if (bench_poll (items, 2, RAW_POLL_MS, t->name) < 0)
        continue;
      for (int i = 0; i < 1024; i++)
        if (!s_forward (xsub, xpub, t->name))
          break;
      /* Subscriptions travel upstream. */
      for (int i = 0; i < 1024; i++)
        if (!s_forward (xpub, xsub, t->name))
          break;
    }
  zmq_close (xsub);
  zmq_close (xpub);
  return NULL;
}

/* ------------------------------------------------------------------------ */
/* Report */

static const char *
s_met (gboolean met)
{
  return met ? "met" : "NOT MET";
}

/* The kernel's default TCP congestion control. (transfer full) */
static char *
s_congestion_control (void)
{
  char *text = NULL;

  if (!g_file_get_contents ("/proc/sys/net/ipv4/tcp_congestion_control", &text, NULL,
                            NULL))
    return g_strdup ("unknown");
  return g_strstrip (text);
}

/* The 1-minute load average: other work on the machine shows in latencies. */
static double
s_load_average (void)
{
  char *text = NULL;
  double load = NAN;

  if (g_file_get_contents ("/proc/loadavg", &text, NULL, NULL))
    load = g_ascii_strtod (text, NULL);
  g_free (text);
  return load;
}

static gboolean
s_size_selected (int k, int only_size)
{
  return only_size == 0 || s_sizes[k] == (gsize) only_size;
}

/* a / b, NAN when b is not positive (a raw hop lost in the noise). */
static double
s_ratio (double a, double b)
{
  return b > 0 ? a / b : NAN;
}

static json_t *
s_lat_json (Lat l, gboolean counts)
{
  json_t *j = json_pack ("{s:f, s:f}", "p50_us", l.p50_us, "p99_us", l.p99_us);

  if (counts)
    {
      json_object_set_new (j, "sent", json_integer ((json_int_t) l.sent));
      json_object_set_new (j, "lost", json_integer ((json_int_t) (l.sent - l.received)));
    }
  return j;
}

static json_t *
s_hop_json (Hop h, gboolean counts)
{
  return json_pack ("{s:o, s:o, s:f, s:f}", "direct", s_lat_json (h.direct, counts),
                    "via_hop", s_lat_json (h.via, counts), "hop_p50_us", h.hop_p50_us,
                    "hop_p99_us", h.hop_p99_us);
}

static json_t *
s_ratio_json (double r)
{
  return isnan (r) ? json_null () : json_real (r);
}

static void
s_print_hop_header (void)
{
  printf ("   %-8s %-19s %-19s %-19s\n", "", "   direct", "   via one hop", "   hop cost");
  printf ("   %-8s %8s %8s   %8s %8s   %8s %8s   %s\n", "", "p50", "p99", "p50", "p99", "p50",
          "p99", "paths");
}

static void
s_print_hop (const char *who, Hop h, const char *path)
{
  printf ("   %-8s %8.1f %8.1f   %8.1f %8.1f   %8.1f %8.1f   %s\n", who, h.direct.p50_us,
          h.direct.p99_us, h.via.p50_us, h.via.p99_us, h.hop_p50_us, h.hop_p99_us, path);
}

static void
s_print_ratios (Hop o, Hop r)
{
  double r50 = s_ratio (o.hop_p50_us, r.hop_p50_us);
  double r99 = s_ratio (o.hop_p99_us, r.hop_p99_us);

  printf ("   ratio oneliner hop / raw hop: p50 %.2fx (target <= 1.5x: %s), p99 %.2fx\n", r50,
          isnan (r50) ? "n/a" : s_met (r50 <= 1.5), r99);
}

static json_t *
s_tput_json (Tput t, gboolean oneliner)
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
      json_object_set_new (j, "upstream_dropped", json_integer ((json_int_t) t.server_dropped));
    }
  return j;
}

static void
s_print_losses (const char *who, Tput t, gboolean oneliner)
{
  printf ("   %-7s   %-8s lost %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT, "", who,
          t.sent - t.received, t.sent);
  if (oneliner)
    {
      guint64 lost = t.sent - t.received;
      guint64 seen = t.missed + t.overflowed;

      /* A loss is seen as a gap only when a later message arrives: what is
       * missing at the end of a run is not. */
      printf (" (client: missed %" G_GUINT64_FORMAT ", overflowed %" G_GUINT64_FORMAT
              "; not seen by the client: %" G_GUINT64_FORMAT "; U dropped %"
              G_GUINT64_FORMAT ")", t.missed, t.overflowed, lost > seen ? lost - seen : 0,
              t.server_dropped);
    }
  printf ("; sends refused and retried after %d us: %" G_GUINT64_FORMAT "\n", BACKOFF_US,
          t.retries);
}

/* ------------------------------------------------------------------------ */

int
main (int argc, char **argv)
{
  gboolean quick = FALSE, json_out = FALSE, verbose = FALSE;
  int reps = 5, calls = 0, messages = 0;
  double rate = 1000.0, scale = 1.0;
  char *only = NULL;
  int only_size = 0;
  GOptionEntry entries[] = {
    BENCH_OPTION_QUICK (&quick, "Small counts: a smoke run of a few seconds"),
    BENCH_OPTION_JSON (&json_out),
    BENCH_OPTION_REPS (&reps,
      "Repetitions of each measurement; the median is printed (default 5)"),
    { "calls", 'n', 0, G_OPTION_ARG_INT, &calls,
      "Blocking calls per repetition and path (default 5000, quick 500)", "N" },
    { "messages", 'm', 0, G_OPTION_ARG_INT, &messages,
      "Stream latency messages per repetition and path (default 1000, quick 100)", "N" },
    { "rate", 0, 0, G_OPTION_ARG_DOUBLE, &rate,
      "Rate of the stream latency messages per second (default 1000)", "HZ" },
    { "scale", 's', 0, G_OPTION_ARG_DOUBLE, &scale,
      "Multiply the message counts of the throughput runs by F (default 1)", "F" },
    { "only", 0, 0, G_OPTION_ARG_STRING, &only,
      "Measure one part only: \"calls\", \"latency\" or \"throughput\" (for "
      "profiling; default all)", "PART" },
    { "size", 0, 0, G_OPTION_ARG_INT, &only_size,
      "Measure the throughput of this payload size only (64 or 1048576)", "BYTES" },
    BENCH_OPTION_VERBOSE (&verbose),
    BENCH_OPTION_END,
  };
  GError *error = NULL;
  char *cc = s_congestion_control ();
  double load = s_load_average ();
  gint64 t_start = bench_now_ns ();
  void *ctx;
  OlServer *up, *r1;
  OlClient *c_direct, *c_relay;
  Sender ol_snd = { 0 }, raw_snd = { 0 };
  RawThread *echo, *call_proxy, *proxy;
  void *d_direct, *d_proxied;
  json_t *args;
  char *request_text, *reply_text;
  Payload request, reply;
  char relayed_lat[64], relayed2[N_STREAMS][64];
  guint warmup, lat_warmup, tput_counts[N_STREAMS];
  gint64 *samples;
  Lat *call_reps[4], *lat_reps[4];
  Hop call_o, call_r, lat_o, lat_r;
  Tput tput_o[N_STREAMS] = { { 0 } }, tput_r[N_STREAMS] = { { 0 } };
  json_t *jcalls = NULL, *jlat = NULL, *jtput = NULL;
  gboolean run_calls, run_latency, run_tput;
  guint32 run = 0;

  bench_set_program_name ("bench-relay");
  bench_parse_options (&argc, &argv, "- one oneliner relay hop against one raw libzmq proxy hop",
    "Measures over tcp loopback, in one run, with oneliner servers mounted on\n"
    "each other (ol_server_mount) against raw libzmq proxies:\n"
    "  1. the call latency one relay hop adds (blocking calls, p50 and p99),\n"
    "     against one raw ROUTER/DEALER proxy hop with the same bytes;\n"
    "  2. the stream latency one relay hop adds (one-way, at a fixed rate),\n"
    "     against one raw XSUB/XPUB proxy hop with the same frames;\n"
    "  3. the stream throughput through two relays (64 B and 1 MiB), against\n"
    "     two raw XSUB/XPUB proxies.\n"
    "Prints the median of the repetitions with the ratios oneliner / raw.",
    entries);
  if (reps < 1 || calls < 0 || messages < 0 || !(rate > 0 && rate <= 100000) || !(scale > 0))
    bench_die ("--reps must be at least 1, counts not negative, --rate in (0, 100000], "
               "--scale positive");
  if (only != NULL && g_strcmp0 (only, "calls") != 0 && g_strcmp0 (only, "latency") != 0
      && g_strcmp0 (only, "throughput") != 0)
    bench_die ("--only must be calls, latency or throughput");
  if (only_size != 0 && only_size != 64 && only_size != 1048576)
    bench_die ("--size must be 64 or 1048576");
  run_calls = only == NULL || g_strcmp0 (only, "calls") == 0;
  run_latency = only == NULL || g_strcmp0 (only, "latency") == 0;
  run_tput = only == NULL || g_strcmp0 (only, "throughput") == 0;
  g_free (only);
  if (calls == 0)
    calls = quick ? 500 : 5000;
  if (messages == 0)
    messages = quick ? 100 : 1000;
  warmup = MAX ((guint) calls / 10, 100);
  lat_warmup = MAX ((guint) messages / 10, 20);
  for (int k = S_SMALL; k < N_STREAMS; k++)
    tput_counts[k] = MAX (10u, (guint) ((quick ? s_quick_tput_counts[k] : s_tput_counts[k])
                                        * scale));

  /* oneliner: U, R1 mounting U as "up", R2 mounting R1 as "r1". */
  up = ol_server_new ("tcp://127.0.0.1:*", "tcp://127.0.0.1:*");
  if (!ol_server_add_instance (up, "calc", &s_calc, NULL, &error)
      || !ol_server_add_method (up, "calc", "add", "(int32 a, int32 b) -> int32",
                                OL_FUNC (s_add), &error))
    bench_die ("oneliner upstream server: %s", error->message);
  ol_snd.name = "bench-ol-producer";
  for (int k = 0; k < N_STREAMS; k++)
    {
      ol_snd.writers[k] = ol_server_add_pushed_stream (up, s_names[k], OL_ENCODING_RAW, NULL,
                                                       &error);
      if (ol_snd.writers[k] == NULL)
        bench_die ("oneliner pushed stream \"%s\": %s", s_names[k], error->message);
      if (k != S_LAT)
        ol_snd.bytes[k] = g_bytes_new_take (s_payload_new (s_sizes[k]), s_sizes[k]);
    }
  if (!ol_server_start (up, &error))
    bench_die ("oneliner upstream server: %s", error->message);
  r1 = s_relay_new (up, R1_PREFIX, "R1");
  g_snprintf (relayed_lat, sizeof relayed_lat, R1_PREFIX "/%s", s_names[S_LAT]);
  for (int k = 0; k < N_STREAMS; k++)
    g_snprintf (relayed2[k], sizeof relayed2[k], R2_PREFIX "/" R1_PREFIX "/%s", s_names[k]);
  s_sender_start (&ol_snd);

  args = json_pack ("[i, i]", 1, 2);
  c_direct = ol_client_new (ol_server_get_rpc_endpoint (up), NULL, &error);
  if (c_direct == NULL)
    bench_die ("oneliner client of U: %s", error->message);
  c_relay = ol_client_new (ol_server_get_rpc_endpoint (r1), NULL, &error);
  if (c_relay == NULL)
    bench_die ("oneliner client of R1: %s", error->message);
  s_wait_reachable (c_relay, R1_PREFIX "/calc", args);

  /* raw libzmq, on a context of its own */
  ctx = bench_zmq_ctx_new ();
  s_capture_payloads (ctx, ol_server_get_rpc_endpoint (up), &request_text, &request.len,
                      &reply_text, &reply.len);
  request.data = request_text;
  reply.data = reply_text;
  echo = s_raw_thread_start (ctx, "raw ROUTER echo", s_echo_thread, NULL, reply);
  call_proxy = s_raw_thread_start (ctx, "raw ROUTER/DEALER proxy", s_call_proxy_thread,
                                   echo->endpoint, reply);
  d_direct = s_socket (ctx, ZMQ_DEALER);
  s_connect (d_direct, echo->endpoint, "raw DEALER");
  d_proxied = s_socket (ctx, ZMQ_DEALER);
  s_connect (d_proxied, call_proxy->endpoint, "raw DEALER");
  raw_snd.raw = TRUE;
  raw_snd.name = "bench-raw-pub";
  raw_snd.ctx = ctx;
  for (int k = S_SMALL; k < N_STREAMS; k++)
    raw_snd.payloads[k] = s_payload_new (s_sizes[k]);
  s_sender_start (&raw_snd);
  proxy = s_raw_thread_start (ctx, "raw proxy", s_stream_proxy_thread, raw_snd.endpoint, reply);

  printf ("oneliner relay benchmark: tcp loopback, %d CPUs, TCP congestion control %s, "
          "load average %.2f at start\n", g_get_num_processors (), cc, load);
  printf ("   oneliner: upstream server U; relay R1 mounts U as \"" R1_PREFIX "\" (and for "
          "throughput, relay R2 mounts R1 as \"" R2_PREFIX "\"); all in this process\n");
  printf ("   median of %d repetitions; hop cost = via one hop - direct, the median of the "
          "per-repetition differences\n", reps);
  fflush (stdout);

  samples = g_new (gint64, MAX ((guint) calls, (guint) messages));
  for (int i = 0; i < 4; i++)
    {
      call_reps[i] = g_new0 (Lat, reps);
      lat_reps[i] = g_new0 (Lat, reps);
    }

  /* 1. Calls */
  if (run_calls)
    {
      printf ("\n1. Call latency added by one relay hop: blocking calls, %d per repetition "
              "and path, in us\n", calls);
      printf ("   request %zu bytes %s\n   reply   %zu bytes %s\n", request.len, request_text,
              reply.len, reply_text);
      fflush (stdout);
      for (int r = 0; r < reps; r++)
        {
          call_reps[0][r] = s_ol_calls (c_direct, "calc", args, samples, calls, warmup,
                                        "oneliner call to U");
          call_reps[1][r] = s_ol_calls (c_relay, R1_PREFIX "/calc", args, samples, calls,
                                        warmup, "oneliner call through R1");
          call_reps[2][r] = s_raw_calls (d_direct, &request, samples, calls, warmup,
                                         "raw DEALER -> ROUTER");
          call_reps[3][r] = s_raw_calls (d_proxied, &request, samples, calls, warmup,
                                         "raw DEALER -> proxy -> ROUTER");
          if (verbose)
            fprintf (stderr, "rep %d: calls p50/p99 us: oneliner direct %.1f/%.1f relayed "
                     "%.1f/%.1f   raw direct %.1f/%.1f proxied %.1f/%.1f\n", r + 1,
                     call_reps[0][r].p50_us, call_reps[0][r].p99_us, call_reps[1][r].p50_us,
                     call_reps[1][r].p99_us, call_reps[2][r].p50_us, call_reps[2][r].p99_us,
                     call_reps[3][r].p50_us, call_reps[3][r].p99_us);
        }
      call_o = s_hop (call_reps[0], call_reps[1], reps);
      call_r = s_hop (call_reps[2], call_reps[3], reps);
      s_print_hop_header ();
      s_print_hop ("oneliner", call_o, "client -> U  |  client -> R1 -> U");
      s_print_hop ("raw", call_r,
                   "DEALER -> ROUTER  |  DEALER -> ROUTER/DEALER proxy -> ROUTER");
      s_print_ratios (call_o, call_r);
      fflush (stdout);
      jcalls = json_pack ("{s:i, s:I, s:I, s:o, s:o, s:o, s:o}",
        "calls", calls, "request_bytes", (json_int_t) request.len,
        "reply_bytes", (json_int_t) reply.len,
        "oneliner", s_hop_json (call_o, FALSE), "raw", s_hop_json (call_r, FALSE),
        "ratio_hop_p50", s_ratio_json (s_ratio (call_o.hop_p50_us, call_r.hop_p50_us)),
        "ratio_hop_p99", s_ratio_json (s_ratio (call_o.hop_p99_us, call_r.hop_p99_us)));
    }

  /* 2. Stream latency */
  if (run_latency)
    {
      printf ("\n2. Stream latency added by one relay hop: %d-byte payloads at %g messages/s, "
              "%d (+%u warm-up) per repetition and path,\n   one-way, from the send to the "
              "receive in the main thread, in us\n", LAT_SIZE, rate, messages, lat_warmup);
      fflush (stdout);
      for (int r = 0; r < reps; r++)
        {
          Sub s;

          s = s_sub_oneliner (up, s_names[S_LAT], 0, &ol_snd, S_LAT);
          lat_reps[0][r] = s_latency_run (&s, &ol_snd, ++run, messages, lat_warmup, rate,
                                          samples);
          s_sub_free (&s);
          s = s_sub_oneliner (r1, relayed_lat, 0, &ol_snd, S_LAT);
          lat_reps[1][r] = s_latency_run (&s, &ol_snd, ++run, messages, lat_warmup, rate,
                                          samples);
          s_sub_free (&s);
          s = s_sub_raw (ctx, raw_snd.endpoint, &raw_snd, S_LAT);
          lat_reps[2][r] = s_latency_run (&s, &raw_snd, ++run, messages, lat_warmup, rate,
                                          samples);
          s_sub_free (&s);
          s = s_sub_raw (ctx, proxy->endpoint, &raw_snd, S_LAT);
          lat_reps[3][r] = s_latency_run (&s, &raw_snd, ++run, messages, lat_warmup, rate,
                                          samples);
          s_sub_free (&s);
          if (verbose)
            fprintf (stderr, "rep %d: stream latency p50/p99 us: oneliner direct %.1f/%.1f "
                     "relayed %.1f/%.1f   raw direct %.1f/%.1f proxied %.1f/%.1f\n", r + 1,
                     lat_reps[0][r].p50_us, lat_reps[0][r].p99_us, lat_reps[1][r].p50_us,
                     lat_reps[1][r].p99_us, lat_reps[2][r].p50_us, lat_reps[2][r].p99_us,
                     lat_reps[3][r].p50_us, lat_reps[3][r].p99_us);
        }
      lat_o = s_hop (lat_reps[0], lat_reps[1], reps);
      lat_r = s_hop (lat_reps[2], lat_reps[3], reps);
      s_print_hop_header ();
      s_print_hop ("oneliner", lat_o,
                   "producer -> U -> client  |  producer -> U -> R1 -> client");
      s_print_hop ("raw", lat_r, "PUB -> SUB  |  PUB -> XSUB/XPUB proxy -> SUB");
      s_print_ratios (lat_o, lat_r);
      printf ("   lost: oneliner direct %" G_GUINT64_FORMAT ", via R1 %" G_GUINT64_FORMAT
              "; raw direct %" G_GUINT64_FORMAT ", via proxy %" G_GUINT64_FORMAT
              " (of %" G_GUINT64_FORMAT " each)\n", lat_o.direct.sent - lat_o.direct.received,
              lat_o.via.sent - lat_o.via.received, lat_r.direct.sent - lat_r.direct.received,
              lat_r.via.sent - lat_r.via.received, lat_o.direct.sent);
      fflush (stdout);
      jlat = json_pack ("{s:i, s:f, s:i, s:o, s:o, s:o, s:o}",
        "messages", messages, "rate_hz", rate, "payload_bytes", LAT_SIZE,
        "oneliner", s_hop_json (lat_o, TRUE), "raw", s_hop_json (lat_r, TRUE),
        "ratio_hop_p50", s_ratio_json (s_ratio (lat_o.hop_p50_us, lat_r.hop_p50_us)),
        "ratio_hop_p99", s_ratio_json (s_ratio (lat_o.hop_p99_us, lat_r.hop_p99_us)));
    }

  /* 3. Throughput through two hops */
  if (run_tput)
    {
      printf ("\n3. Throughput through two hops, messages per repetition:");
      for (int k = S_SMALL; k < N_STREAMS; k++)
        if (s_size_selected (k, only_size))
          printf (" %s x %u", s_size_names[k], tput_counts[k]);
      printf ("\n   oneliner: producer -> U -> R1 -> R2 -> OlClient queue (\"%s\")\n"
              "   raw:      PUB -> XSUB/XPUB proxy -> XSUB/XPUB proxy -> SUB, [topic, 48-byte "
              "header, payload], XPUB_NODROP\n", relayed2[S_SMALL]);
      fflush (stdout);
      jtput = json_array ();
      for (int k = S_SMALL; k < N_STREAMS; k++)
        {
          guint n = tput_counts[k];
          guint tw = MAX (10u, n / 10);
          Tput *reps_o, *reps_r;

          if (!s_size_selected (k, only_size))
            continue;
          reps_o = g_new0 (Tput, reps);
          reps_r = g_new0 (Tput, reps);

          for (int r = 0; r < reps; r++)
            {
              OlServer *t1, *t2;
              RawThread *p1, *p2;
              Sub s;

              /* A new chain for every repetition: every TCP connection on the
               * path is new. */
              t1 = s_relay_new (up, R1_PREFIX, "R1");
              t2 = s_relay_new (t1, R2_PREFIX, "R2");
              s = s_sub_oneliner (t2, relayed2[k], n + tw + 1024, &ol_snd, k);
              s_tput_oneliner (&s, &ol_snd, up, k, tw);
              reps_o[r] = s_tput_oneliner (&s, &ol_snd, up, k, n);
              s_sub_free (&s);
              ol_server_free (&t2);
              ol_server_free (&t1);
              p1 = s_raw_thread_start (ctx, "raw proxy 1", s_stream_proxy_thread,
                                       raw_snd.endpoint, reply);
              p2 = s_raw_thread_start (ctx, "raw proxy 2", s_stream_proxy_thread, p1->endpoint,
                                       reply);
              s = s_sub_raw (ctx, p2->endpoint, &raw_snd, k);
              s_tput_raw (&s, &raw_snd, k, tw);
              reps_r[r] = s_tput_raw (&s, &raw_snd, k, n);
              s_sub_free (&s);
              s_raw_thread_free (p2);
              s_raw_thread_free (p1);
              if (verbose)
                fprintf (stderr, "rep %d: %-6s oneliner %10.0f msgs/s %9.1f MB/s lost %"
                         G_GUINT64_FORMAT " retries %" G_GUINT64_FORMAT "   raw %10.0f "
                         "msgs/s %9.1f MB/s lost %" G_GUINT64_FORMAT " retries %"
                         G_GUINT64_FORMAT "\n", r + 1, s_size_names[k],
                         reps_o[r].msgs_per_s, reps_o[r].mb_per_s,
                         reps_o[r].sent - reps_o[r].received, reps_o[r].retries,
                         reps_r[r].msgs_per_s, reps_r[r].mb_per_s,
                         reps_r[r].sent - reps_r[r].received, reps_r[r].retries);
            }
          tput_o[k] = s_tput_median (reps_o, reps);
          tput_r[k] = s_tput_median (reps_r, reps);
          g_free (reps_o);
          g_free (reps_r);
        }
      printf ("\n   %-7s %-26s %-26s %s\n", "payload", "oneliner (2 relays)",
              "raw (2 proxies)", "ratio oneliner/raw");
      for (int k = S_SMALL; k < N_STREAMS; k++)
        {
          double rm = s_ratio (tput_o[k].msgs_per_s, tput_r[k].msgs_per_s);
          double rb = s_ratio (tput_o[k].mb_per_s, tput_r[k].mb_per_s);

          if (!s_size_selected (k, only_size))
            continue;

          printf ("   %-7s %12.0f msgs/s %7s %12.0f msgs/s %7s %5.2fx\n", s_size_names[k],
                  tput_o[k].msgs_per_s, "", tput_r[k].msgs_per_s, "", rm);
          printf ("   %-7s %12.1f MB/s %9s %12.1f MB/s %9s %5.2fx\n", "",
                  tput_o[k].mb_per_s, "", tput_r[k].mb_per_s, "", rb);
          s_print_losses ("oneliner", tput_o[k], TRUE);
          s_print_losses ("raw", tput_r[k], FALSE);
          json_array_append_new (jtput, json_pack (
            "{s:I, s:i, s:o, s:o, s:o, s:o}", "payload_bytes", (json_int_t) s_sizes[k],
            "messages", (int) tput_counts[k], "oneliner", s_tput_json (tput_o[k], TRUE),
            "raw", s_tput_json (tput_r[k], FALSE), "ratio_msgs", s_ratio_json (rm),
            "ratio_mb", s_ratio_json (rb)));
        }
      printf ("   (losses and retries: sums over the repetitions)\n");
    }
  printf ("\n   total time %.1f s\n", (double) (bench_now_ns () - t_start) / 1e9);
  fflush (stdout);

  if (json_out)
    bench_print_json (json_pack (
      "{s:s, s:b, s:i, s:i, s:s, s:f, s:o, s:o, s:o}",
      "bench", "relay", "quick", quick, "reps", reps, "cpus", g_get_num_processors (),
      "tcp_congestion_control", cc, "load_average", isnan (load) ? -1.0 : load,
      "calls", jcalls ? jcalls : json_null (),
      "stream_latency", jlat ? jlat : json_null (),
      "throughput", jtput ? jtput : json_null ()));
  else
    {
      json_decref (jcalls);
      json_decref (jlat);
      json_decref (jtput);
    }

  /* Tear down: raw libzmq, then the oneliner clients and servers,
   * downstream first. */
  for (int i = 0; i < 4; i++)
    {
      g_free (call_reps[i]);
      g_free (lat_reps[i]);
    }
  g_free (samples);
  zmq_close (d_direct);
  zmq_close (d_proxied);
  s_sender_stop (&raw_snd);
  s_raw_thread_free (proxy);
  s_raw_thread_free (call_proxy);
  s_raw_thread_free (echo);
  zmq_ctx_term (ctx);
  for (int k = 0; k < N_STREAMS; k++)
    g_free (raw_snd.payloads[k]);
  ol_client_free (&c_direct);
  ol_client_free (&c_relay);
  s_sender_stop (&ol_snd);
  for (int k = 0; k < N_STREAMS; k++)
    {
      ol_stream_writer_unref (ol_snd.writers[k]);
      if (ol_snd.bytes[k] != NULL)
        g_bytes_unref (ol_snd.bytes[k]);
    }
  ol_server_free (&r1);
  ol_server_free (&up);
  json_decref (args);
  g_free (request_text);
  g_free (reply_text);
  g_free (cc);
  return 0;
}
