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
 * wait is bounded by BENCH_WAIT_MS; a reply or message that does not come
 * aborts the run.
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

/* Calls through a mount that is still connecting are retried this often. */
#define RETRY_MS 10
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

/* ------------------------------------------------------------------------ */
/* Raw libzmq helpers */

static void
s_connect (void *socket, const char *endpoint, const char *what)
{
  bench_connect (socket, endpoint, what, "connect to");
}

/* A raw thread (an echo server or a proxy) named name, started. */
static BenchRawThread *
s_raw_thread_start (void *ctx, const char *name, GThreadFunc func, const char *upstream,
                    BenchPayload reply)
{
  return bench_raw_thread_start (ctx, name, name, func, 0, upstream, reply);
}

/* The body of a proxy thread: connects the socket connected to the
 * upstream, binds the socket bound, signals ready, then polls and forwards
 * in batches of batch, from a to b first, until stopped. */
static void
s_proxy_serve (BenchRawThread *t, void *connected, void *bound, void *a, void *b, int batch)
{
  s_connect (connected, t->upstream, t->name);
  bench_bind_any (bound, t->endpoint, sizeof t->endpoint, t->name);
  bench_thread_ready (&t->base);
  bench_proxy_loop (a, b, batch, &t->base.stop, t->name);
  zmq_close (a);
  zmq_close (b);
}

/* ------------------------------------------------------------------------ */
/* Raw calls: a ROUTER echo thread that answers every request with the
 * reply bytes (its envelope sent back first), and a ROUTER/DEALER proxy
 * thread in front of it. */

static gpointer
s_echo_thread (gpointer data)
{
  BenchRawThread *t = data;
  void *router = bench_socket_bounded (t->ctx, ZMQ_ROUTER);
  int mandatory = 1;

  zmq_setsockopt (router, ZMQ_ROUTER_MANDATORY, &mandatory, sizeof mandatory);
  bench_bind_any (router, t->endpoint, sizeof t->endpoint, t->name);
  bench_thread_ready (&t->base);

  while (!bench_thread_stopping (&t->base))
    {
      zmq_pollitem_t item = { router, 0, ZMQ_POLLIN, 0 };

      if (bench_poll (&item, 1, BENCH_RAW_POLL_MS, t->name) < 0)
        continue;
      for (;;)
        {
          zmq_msg_t frames[MAX_FRAMES];
          int n = bench_recv_frames (router, frames, MAX_FRAMES, t->name, NULL);

          if (n == 0)
            break;
          if (n < 2)
            bench_die ("%s: a request without identity", t->name);
          /* The envelope (the identities) goes back as it came. */
          for (int i = 0; i < n - 1; i++)
            if (zmq_msg_send (&frames[i], router, ZMQ_SNDMORE) < 0)
              bench_die ("%s: cannot send the envelope: %s", t->name, zmq_strerror (errno));
          bench_send_payload (router, &t->reply, 0, t->name);
          zmq_msg_close (&frames[n - 1]);
        }
    }
  zmq_close (router);
  return NULL;
}

static gpointer
s_call_proxy_thread (gpointer data)
{
  BenchRawThread *t = data;
  void *front = bench_socket_bounded (t->ctx, ZMQ_ROUTER);
  void *back = bench_socket_bounded (t->ctx, ZMQ_DEALER);

  /* The loop of oneliner's RPC thread: poll, then forward in batches. */
  s_proxy_serve (t, back, front, front, back, 512);
  return NULL;
}

/* Receives one reply on a DEALER, waiting at most BENCH_WAIT_MS. */
static void
s_recv_reply (void *dealer, const char *what)
{
  zmq_msg_t frames[MAX_FRAMES];
  int n;

  while ((n = bench_recv_frames (dealer, frames, MAX_FRAMES, what, NULL)) == 0)
    bench_wait_readable (dealer, BENCH_WAIT_MS, "nothing", what);
  if (zmq_msg_size (&frames[n - 1]) == 0)
    bench_die ("%s: empty reply", what);
  bench_close_frames (frames, n);
}

static Lat
s_raw_calls (void *dealer, const BenchPayload *request, gint64 *samples, guint n,
             guint warmup, const char *what)
{
  for (guint i = 0; i < warmup + n; i++)
    {
      gint64 t0 = bench_now_ns ();

      bench_send_payload (dealer, request, 0, what);
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
      bench_check_result (result, error, 3, what);
      json_decref (result);
    }
  return s_lat (samples, n);
}

/* Calls until the mount answers: a mount connects asynchronously, and a
 * call before that fails at once with OL_ERROR_UNREACHABLE. */
static void
s_wait_reachable (OlClient *client, const char *object, json_t *args)
{
  gint64 deadline = g_get_monotonic_time () + BENCH_WAIT_MS * G_TIME_SPAN_MILLISECOND;

  for (;;)
    {
      GError *error = NULL;
      json_t *result = ol_client_call (client, object, "add", args, NULL, &error);

      if (result != NULL || !g_error_matches (error, OL_ERROR, OL_ERROR_UNREACHABLE))
        {
          bench_check_result (result, error, 3, object);
          json_decref (result);
          return;
        }
      if (g_get_monotonic_time () > deadline)
        bench_die ("\"%s\": the mount did not connect within %d ms: %s", object,
                   BENCH_WAIT_MS, error->message);
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
      ol_client_set_timeout (client, BENCH_WAIT_MS);
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
  void *router = bench_socket_bounded (ctx, ZMQ_ROUTER);
  void *dealer = bench_socket_bounded (ctx, ZMQ_DEALER);
  zmq_msg_t in[MAX_FRAMES], out[MAX_FRAMES];
  int n_in, n_out;
  Capture c = { 0 };
  GThread *thread;

  bench_bind_any (router, c.endpoint, sizeof c.endpoint, what);
  s_connect (dealer, server_endpoint, what);
  thread = g_thread_new ("bench-capture", s_capture_thread, &c);

  while ((n_in = bench_recv_frames (router, in, MAX_FRAMES, what, NULL)) == 0)
    bench_wait_readable (router, BENCH_WAIT_MS, "nothing", "capture: the oneliner client");
  if (n_in != 2)
    bench_die ("capture: a request of %d frames, not [identity, body]", n_in);
  *request_len = zmq_msg_size (&in[1]);
  *request = g_strndup (zmq_msg_data (&in[1]), *request_len);

  /* The real reply to those very bytes. */
  if (zmq_msg_send (&in[1], dealer, 0) < 0)
    bench_die ("capture: cannot send to the server: %s", zmq_strerror (errno));
  while ((n_out = bench_recv_frames (dealer, out, MAX_FRAMES, what, NULL)) == 0)
    bench_wait_readable (dealer, BENCH_WAIT_MS, "nothing", "capture: the oneliner server");
  if (n_out != 1)
    bench_die ("capture: a reply of %d frames, not 1", n_out);
  *reply_len = zmq_msg_size (&out[0]);
  *reply = g_strndup (zmq_msg_data (&out[0]), *reply_len);

  /* Completes the call with it. */
  if (zmq_msg_send (&in[0], router, ZMQ_SNDMORE) < 0
      || zmq_msg_send (&out[0], router, 0) < 0)
    bench_die ("capture: cannot answer the client: %s", zmq_strerror (errno));
  g_thread_join (thread); /* bounded by the client's timeout */
  bench_check_result (c.result, c.error, 3, what);
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

  BenchThread base;                   /* its lock guards everything below */
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
  else if (k == S_LAT)
    {
      Stamp st;

      s_stamp_fill (&st, run, index);
      return bench_pub_send (pub, s_names[k], seq, &st, sizeof st, TRUE);
    }
  else
    return bench_pub_send (pub, s_names[k], seq, s->payloads[k], s_sizes[k], FALSE);
}

/* A BenchSendFunc for a Sender: a message of stream k with sequence seq (for
 * S_LAT a stamp of run 0). */
static gboolean
s_send_seq (gpointer data, void *pub, int k, guint64 seq)
{
  return s_send_one (data, pub, k, 0, 0, seq);
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
  if (!bench_send_run (s_send_seq, s, pub, k, n, &s->base.lock, &s->start_ns, &s->retries))
    bench_die ("%s: sends of stream \"%s\" were refused for %d ms", s->name, s_names[k],
               BENCH_WAIT_MS);
}

static gpointer
s_sender_thread (gpointer data)
{
  Sender *s = data;
  void *pub = NULL;

  if (s->raw)
    {
      pub = bench_pub_new (s->ctx);
      bench_bind_any (pub, s->endpoint, sizeof s->endpoint, "raw PUB");
    }
  g_mutex_lock (&s->base.lock);
  s->base.ready = TRUE;
  g_cond_broadcast (&s->base.cond);
  for (;;)
    {
      JobKind job;
      int k;
      guint n;
      guint32 run;
      double hz;

      while (s->job == JOB_NONE)
        g_cond_wait (&s->base.cond, &s->base.lock);
      job = s->job;
      k = s->job_stream;
      n = s->job_n;
      run = s->job_run;
      hz = s->job_hz;
      g_mutex_unlock (&s->base.lock);
      if (job == JOB_STOP)
        break;
      if (job == JOB_PROBE)
        bench_send_probes (s_send_seq, s, pub, k, &s->live);
      else if (job == JOB_PACED)
        s_sender_paced (s, pub, run, n, hz);
      else
        s_sender_blast (s, pub, k, n);
      g_atomic_int_set (&s->sending, 0);
      g_mutex_lock (&s->base.lock);
      s->job = JOB_NONE;
      s->job_done = TRUE;
      g_cond_broadcast (&s->base.cond);
    }
  if (pub != NULL)
    zmq_close (pub);
  return NULL;
}

static void
s_sender_start (Sender *s)
{
  bench_thread_start (&s->base, s->name, s_sender_thread, s, s->name);
}

static void
s_sender_post (Sender *s, JobKind job, int k, guint n, guint32 run, double hz)
{
  g_mutex_lock (&s->base.lock);
  s->job = job;
  s->job_stream = k;
  s->job_n = n;
  s->job_run = run;
  s->job_hz = hz;
  s->job_done = FALSE;
  g_atomic_int_set (&s->sending, 1);
  g_cond_broadcast (&s->base.cond);
  g_mutex_unlock (&s->base.lock);
}

/* Waits for the end of the current job; a paced job of n messages takes
 * n / hz on top of the bound. */
static void
s_sender_wait (Sender *s, int extra_ms, const char *what)
{
  if (!bench_wait_flag (&s->base.lock, &s->base.cond, &s->job_done,
                        BENCH_WAIT_MS + extra_ms))
    bench_die ("%s: %s within %d ms", s->name, what, BENCH_WAIT_MS + extra_ms);
}

static void
s_sender_stop (Sender *s)
{
  s_sender_post (s, JOB_STOP, 0, 0, 0, 0);
  bench_thread_stop (&s->base);
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

/* "oneliner" or "raw", for messages. */
static const char *
s_kind (const Sub *s)
{
  return s->client ? "oneliner" : "raw";
}

/* Receives one message on the raw SUB of s without waiting; FALSE if none
 * was there. */
static gboolean
s_sub_recv_raw (Sub *s, Rx *rx)
{
  return bench_stream_recv (s->sub, NULL, &rx->sequence, &rx->size, &rx->stamp,
                            sizeof rx->stamp);
}

/* Takes one message, waiting at most timeout_ms; FALSE if none came. */
static gboolean
s_sub_take (Sub *s, int timeout_ms, Rx *rx)
{
  const guint8 *payload;

  memset (rx, 0, sizeof *rx);
  if (s->client != NULL)
    {
      OlStreamMessage *m = bench_stream_get (s->client, s->name, timeout_ms);

      if (m == NULL)
        return FALSE;
      payload = g_bytes_get_data (m->payload, &rx->size);
      rx->sequence = m->sequence;
      if (rx->size == sizeof rx->stamp)
        memcpy (&rx->stamp, payload, sizeof rx->stamp);
      ol_stream_message_free (m);
      return TRUE;
    }
  else
    {
      zmq_pollitem_t item = { s->sub, 0, ZMQ_POLLIN, 0 };

      if (s_sub_recv_raw (s, rx))
        return TRUE;
      if (bench_poll (&item, 1, timeout_ms, "raw SUB") <= 0)
        return FALSE;
      return s_sub_recv_raw (s, rx);
    }
}

/* Has the sender publish probes of stream k until the subscriber takes one,
 * so that the subscription is live through every hop. The probes left on
 * their way are told from the timed messages by their run (latency) or
 * sequence number (throughput). */
static void
s_sub_probe (Sub *s, Sender *snd, int k)
{
  gint64 deadline = g_get_monotonic_time () + BENCH_WAIT_MS * G_TIME_SPAN_MILLISECOND;
  Rx rx;

  g_atomic_int_set (&snd->live, 0);
  s_sender_post (snd, JOB_PROBE, k, 0, 0, 0);
  while (!s_sub_take (s, BENCH_PROBE_MS, &rx))
    if (g_get_monotonic_time () > deadline)
      bench_die ("%s: the subscription to \"%s\" was not live within %d ms", s_kind (s),
                 s->name, BENCH_WAIT_MS);
  g_atomic_int_set (&snd->live, 1);
  s_sender_wait (snd, 0, "the probes did not end");
}

/* A new OlClient of server (a new connection), subscribed to name with a
 * queue of depth, once its subscription is live. */
static Sub
s_sub_oneliner (OlServer *server, const char *name, guint depth, Sender *snd, int k)
{
  Sub s = { 0 };

  g_strlcpy (s.name, name, sizeof s.name);
  s.client = bench_stream_client (server, name, depth);
  s_sub_probe (&s, snd, k);
  return s;
}

/* A new SUB socket connected to endpoint, subscribed to stream k's topic
 * with its NUL (as oneliner subscribes), once its subscription is live. */
static Sub
s_sub_raw (void *ctx, const char *endpoint, Sender *snd, int k)
{
  Sub s = { 0 };

  g_strlcpy (s.name, s_names[k], sizeof s.name);
  s.sub = bench_sub_new (ctx, endpoint, s.name, "connect to");
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

/* For a receive loop of s that found no message: TRUE once snd is done and
 * nothing came for BENCH_QUIET_MS; nothing for BENCH_WAIT_MS is fatal. */
static gboolean
s_run_quiet (const Sub *s, Sender *snd, gint64 last_progress)
{
  return bench_run_quiet (last_progress, g_atomic_int_get (&snd->sending),
                          s_kind (s), s->name);
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

/* The paced runs of the stream latency. */
typedef struct {
  guint n;          /* timed stamps per run */
  guint warmup;     /* stamps before them */
  double hz;
  gint64 *samples;  /* room for n */
  guint32 run;      /* the id of the last run */
} Paced;

/* One paced run of a new run id on the subscriber s (freed when done):
 * warmup + n stamps at hz; the latency of the last n. Messages lost on the
 * way are counted, not waited for. */
static Lat
s_latency_run (Paced *p, Sub sub, Sender *snd)
{
  Sub *s = &sub;
  guint32 run = ++p->run;
  guint n = p->n, warmup = p->warmup;
  double hz = p->hz;
  gint64 *samples = p->samples;
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

      if (!s_sub_take (s, BENCH_POLL_MS, &rx))
        {
          if (s_run_quiet (s, snd, last_progress))
            break; /* the rest was lost */
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
  s_sub_free (s);
  l = s_lat (samples, n_samples);
  l.sent = total;
  l.received = received;
  return l;
}

/* ------------------------------------------------------------------------ */
/* Throughput */

/* One timed run of n messages of stream k whose sequence numbers start at
 * first_seq (those below: probes or a warm-up), until the last came or the
 * rest was lost. */
static BenchTput
s_tput_run (Sub *s, Sender *snd, int k, guint n, guint64 first_seq)
{
  guint64 last_seq = first_seq + n - 1;
  guint64 received = 0;
  gint64 last_rx = 0;
  gint64 last_progress = bench_now_ns ();
  BenchTput t;

  s_sender_post (snd, JOB_BLAST, k, n, 0, 0);
  for (;;)
    {
      Rx rx;

      if (!s_sub_take (s, BENCH_POLL_MS, &rx))
        {
          if (s_run_quiet (s, snd, last_progress))
            break; /* the rest was lost */
          continue;
        }
      if (rx.size != s_sizes[k])
        bench_die ("%s stream \"%s\": a payload of %" G_GSIZE_FORMAT " bytes", s_kind (s),
                   s->name, rx.size);
      if (rx.sequence < first_seq)
        continue; /* a probe or a warm-up message */
      received++;
      last_rx = last_progress = bench_now_ns ();
      if (rx.sequence >= last_seq)
        break;
    }
  s_sender_wait (snd, 0, snd->raw ? "the PUB thread did not finish its run"
                                  : "the producer did not finish its run");
  t = bench_tput (n, received, last_rx - snd->start_ns, s_sizes[k]);
  t.retries = snd->retries;
  return t;
}

/* One timed run of n messages of stream k through oneliner; upstream is the
 * server of the stream, whose sequence numbers the relays keep. */
static BenchTput
s_tput_oneliner (Sub *s, Sender *snd, OlServer *upstream, int k, guint n)
{
  guint64 first_seq = bench_stream_stat (upstream, s_names[k], "sequence") + 1;
  guint64 dropped0 = bench_stream_stat (upstream, s_names[k], "dropped");
  OlStreamCounters c0, c1;
  BenchTput t;

  bench_stream_counters (s->client, s->name, &c0);
  t = s_tput_run (s, snd, k, n, first_seq);
  bench_stream_counters (s->client, s->name, &c1);
  /* What U dropped beyond the refused pushes was lost inside U. */
  bench_tput_set_losses (&t, &c0, &c1,
                         bench_stream_stat (upstream, s_names[k], "dropped") - dropped0);
  return t;
}

/* One timed run of n messages of stream k through raw libzmq: sequences 1..n
 * (0: the probes). */
static BenchTput
s_tput_raw (Sub *s, Sender *snd, int k, guint n)
{
  return s_tput_run (s, snd, k, n, 1);
}

/* ------------------------------------------------------------------------ */
/* Raw stream proxies: an XSUB connected to upstream, an XPUB bound on tcp
 * loopback, ZMQ_XPUB_NODROP with a send timeout (a forward waits for room;
 * a subscriber that takes nothing for BENCH_WAIT_MS aborts the run). */

static gpointer
s_stream_proxy_thread (gpointer data)
{
  BenchRawThread *t = data;
  void *xsub, *xpub;

  bench_stream_proxy_sockets (t->ctx, &xsub, &xpub);
  /* The same loop as oneliner's proxy: poll, then forward in batches (the
   * subscriptions travel upstream). */
  s_proxy_serve (t, xsub, xpub, xsub, xpub, 1024);
  return NULL;
}

/* ------------------------------------------------------------------------ */
/* Report */

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
          isnan (r50) ? "n/a" : bench_met (r50 <= 1.5), r99);
}

/* Adds the hops of oneliner o and raw r and their ratios to j. */
static json_t *
s_hops_json (json_t *j, Hop o, Hop r, gboolean counts)
{
  json_object_set_new (j, "oneliner", s_hop_json (o, counts));
  json_object_set_new (j, "raw", s_hop_json (r, counts));
  json_object_set_new (j, "ratio_hop_p50",
                       s_ratio_json (s_ratio (o.hop_p50_us, r.hop_p50_us)));
  json_object_set_new (j, "ratio_hop_p99",
                       s_ratio_json (s_ratio (o.hop_p99_us, r.hop_p99_us)));
  return j;
}

/* The four kinds of a part: oneliner direct and through one relay, raw
 * direct and through one proxy. */
static void
s_print_rep (int r, const char *part, Lat *const reps[4])
{
  fprintf (stderr, "rep %d: %s p50/p99 us: oneliner direct %.1f/%.1f relayed %.1f/%.1f   "
           "raw direct %.1f/%.1f proxied %.1f/%.1f\n", r + 1, part, reps[0][r].p50_us,
           reps[0][r].p99_us, reps[1][r].p50_us, reps[1][r].p99_us, reps[2][r].p50_us,
           reps[2][r].p99_us, reps[3][r].p50_us, reps[3][r].p99_us);
}

/* The medians of the four kinds of a part (see s_print_rep()) as the hops
 * *o of oneliner and *r of raw, printed with the paths of each. */
static void
s_report_hops (Lat *const reps[4], int n, const char *o_paths, const char *r_paths, Hop *o,
               Hop *r)
{
  *o = s_hop (reps[0], reps[1], n);
  *r = s_hop (reps[2], reps[3], n);
  s_print_hop_header ();
  s_print_hop ("oneliner", *o, o_paths);
  s_print_hop ("raw", *r, r_paths);
  s_print_ratios (*o, *r);
}

static void
s_print_losses (const char *who, BenchTput t, gboolean oneliner)
{
  char *detail = NULL;

  if (oneliner)
    {
      guint64 lost = t.sent - t.received;
      guint64 seen = t.missed + t.overflowed;

      /* A loss is seen as a gap only when a later message arrives: what is
       * missing at the end of a run is not. */
      detail = g_strdup_printf (" (client: missed %" G_GUINT64_FORMAT ", overflowed %"
                                G_GUINT64_FORMAT "; not seen by the client: %"
                                G_GUINT64_FORMAT "; U dropped %" G_GUINT64_FORMAT ")",
                                t.missed, t.overflowed, lost > seen ? lost - seen : 0,
                                t.server_dropped);
    }
  /* Indented past the payload column. */
  bench_print_losses (13, who, &t, detail);
  g_free (detail);
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
    BENCH_OPTION_CALLS (&calls,
      "Blocking calls per repetition and path (default 5000, quick 500)"),
    { "messages", 'm', 0, G_OPTION_ARG_INT, &messages,
      "Stream latency messages per repetition and path (default 1000, quick 100)", "N" },
    { "rate", 0, 0, G_OPTION_ARG_DOUBLE, &rate,
      "Rate of the stream latency messages per second (default 1000)", "HZ" },
    BENCH_OPTION_SCALE (&scale),
    { "only", 0, 0, G_OPTION_ARG_STRING, &only,
      "Measure one part only: \"calls\", \"latency\" or \"throughput\" (for "
      "profiling; default all)", "PART" },
    BENCH_OPTION_SIZE (&only_size,
      "Measure the throughput of this payload size only (64 or 1048576)"),
    BENCH_OPTION_VERBOSE (&verbose),
    BENCH_OPTION_END,
  };
  GError *error = NULL;
  char *cc = bench_congestion_control ();
  double load = s_load_average ();
  gint64 t_start = bench_now_ns ();
  void *ctx;
  OlServer *up, *r1;
  OlClient *c_direct, *c_relay;
  Sender ol_snd = { 0 }, raw_snd = { 0 };
  BenchRawThread *echo, *call_proxy, *proxy;
  void *d_direct, *d_proxied;
  json_t *args;
  char *request_text, *reply_text;
  BenchPayload request, reply;
  char relayed_lat[64], relayed2[N_STREAMS][64];
  guint warmup, lat_warmup, tput_counts[N_STREAMS];
  gint64 *samples;
  Lat *call_reps[4], *lat_reps[4];
  Hop call_o, call_r, lat_o, lat_r;
  BenchTput tput_o[N_STREAMS] = { { 0 } }, tput_r[N_STREAMS] = { { 0 } };
  json_t *jcalls = NULL, *jlat = NULL, *jtput = NULL;
  gboolean run_calls, run_latency, run_tput;
  Paced paced = { 0 };

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
  warmup = bench_count_default (&calls, quick, 500, 5000, 100);
  lat_warmup = bench_count_default (&messages, quick, 100, 1000, 20);
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
        ol_snd.bytes[k] = g_bytes_new_take (bench_payload_new (s_sizes[k]), s_sizes[k]);
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
  d_direct = bench_socket_bounded (ctx, ZMQ_DEALER);
  s_connect (d_direct, echo->endpoint, "raw DEALER");
  d_proxied = bench_socket_bounded (ctx, ZMQ_DEALER);
  s_connect (d_proxied, call_proxy->endpoint, "raw DEALER");
  raw_snd.raw = TRUE;
  raw_snd.name = "bench-raw-pub";
  raw_snd.ctx = ctx;
  for (int k = S_SMALL; k < N_STREAMS; k++)
    raw_snd.payloads[k] = bench_payload_new (s_sizes[k]);
  s_sender_start (&raw_snd);
  proxy = s_raw_thread_start (ctx, "raw proxy", s_stream_proxy_thread, raw_snd.endpoint,
                              reply);

  printf ("oneliner relay benchmark: tcp loopback, %d CPUs, TCP congestion control %s, "
          "load average %.2f at start\n", g_get_num_processors (), cc, load);
  printf ("   oneliner: upstream server U; relay R1 mounts U as \"" R1_PREFIX "\" (and for "
          "throughput, relay R2 mounts R1 as \"" R2_PREFIX "\"); all in this process\n");
  printf ("   median of %d repetitions; hop cost = via one hop - direct, the median of the "
          "per-repetition differences\n", reps);
  fflush (stdout);

  samples = g_new (gint64, MAX ((guint) calls, (guint) messages));
  paced.n = messages;
  paced.warmup = lat_warmup;
  paced.hz = rate;
  paced.samples = samples;
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
            s_print_rep (r, "calls", call_reps);
        }
      s_report_hops (call_reps, reps, "client -> U  |  client -> R1 -> U",
                     "DEALER -> ROUTER  |  DEALER -> ROUTER/DEALER proxy -> ROUTER",
                     &call_o, &call_r);
      fflush (stdout);
      jcalls = s_hops_json (json_pack ("{s:i, s:I, s:I}", "calls", calls,
                                       "request_bytes", (json_int_t) request.len,
                                       "reply_bytes", (json_int_t) reply.len),
                            call_o, call_r, FALSE);
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
          lat_reps[0][r] = s_latency_run (&paced, s, &ol_snd);
          s = s_sub_oneliner (r1, relayed_lat, 0, &ol_snd, S_LAT);
          lat_reps[1][r] = s_latency_run (&paced, s, &ol_snd);
          s = s_sub_raw (ctx, raw_snd.endpoint, &raw_snd, S_LAT);
          lat_reps[2][r] = s_latency_run (&paced, s, &raw_snd);
          s = s_sub_raw (ctx, proxy->endpoint, &raw_snd, S_LAT);
          lat_reps[3][r] = s_latency_run (&paced, s, &raw_snd);
          if (verbose)
            s_print_rep (r, "stream latency", lat_reps);
        }
      s_report_hops (lat_reps, reps,
                     "producer -> U -> client  |  producer -> U -> R1 -> client",
                     "PUB -> SUB  |  PUB -> XSUB/XPUB proxy -> SUB", &lat_o, &lat_r);
      printf ("   lost: oneliner direct %" G_GUINT64_FORMAT ", via R1 %" G_GUINT64_FORMAT
              "; raw direct %" G_GUINT64_FORMAT ", via proxy %" G_GUINT64_FORMAT
              " (of %" G_GUINT64_FORMAT " each)\n", lat_o.direct.sent - lat_o.direct.received,
              lat_o.via.sent - lat_o.via.received, lat_r.direct.sent - lat_r.direct.received,
              lat_r.via.sent - lat_r.via.received, lat_o.direct.sent);
      fflush (stdout);
      jlat = s_hops_json (json_pack ("{s:i, s:f, s:i}", "messages", messages, "rate_hz", rate,
                                     "payload_bytes", LAT_SIZE),
                          lat_o, lat_r, TRUE);
    }

  /* 3. Throughput through two hops */
  if (run_tput)
    {
      printf ("\n3. Throughput through two hops, messages per repetition:");
      for (int k = S_SMALL; k < N_STREAMS; k++)
        if (bench_size_selected (s_sizes[k], only_size))
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
          BenchTput *reps_o, *reps_r;

          if (!bench_size_selected (s_sizes[k], only_size))
            continue;
          reps_o = g_new0 (BenchTput, reps);
          reps_r = g_new0 (BenchTput, reps);

          for (int r = 0; r < reps; r++)
            {
              OlServer *t1, *t2;
              BenchRawThread *p1, *p2;
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
              bench_raw_thread_free (p2);
              bench_raw_thread_free (p1);
              if (verbose)
                bench_print_tput_rep (r + 1, s_size_names[k], &reps_o[r], &reps_r[r]);
            }
          tput_o[k] = bench_tput_median (reps_o, reps);
          tput_r[k] = bench_tput_median (reps_r, reps);
          g_free (reps_o);
          g_free (reps_r);
        }
      printf ("\n   %-7s %-26s %-26s %s\n", "payload", "oneliner (2 relays)",
              "raw (2 proxies)", "ratio oneliner/raw");
      for (int k = S_SMALL; k < N_STREAMS; k++)
        {
          double rm = s_ratio (tput_o[k].msgs_per_s, tput_r[k].msgs_per_s);
          double rb = s_ratio (tput_o[k].mb_per_s, tput_r[k].mb_per_s);

          if (!bench_size_selected (s_sizes[k], only_size))
            continue;

          printf ("   %-7s %12.0f msgs/s %7s %12.0f msgs/s %7s %5.2fx\n", s_size_names[k],
                  tput_o[k].msgs_per_s, "", tput_r[k].msgs_per_s, "", rm);
          printf ("   %-7s %12.1f MB/s %9s %12.1f MB/s %9s %5.2fx\n", "",
                  tput_o[k].mb_per_s, "", tput_r[k].mb_per_s, "", rb);
          s_print_losses ("oneliner", tput_o[k], TRUE);
          s_print_losses ("raw", tput_r[k], FALSE);
          json_array_append_new (jtput, json_pack (
            "{s:I, s:i, s:o, s:o, s:o, s:o}", "payload_bytes", (json_int_t) s_sizes[k],
            "messages", (int) tput_counts[k],
            "oneliner", bench_tput_json (tput_o[k], TRUE, "upstream_dropped"),
            "raw", bench_tput_json (tput_r[k], FALSE, "upstream_dropped"),
            "ratio_msgs", s_ratio_json (rm), "ratio_mb", s_ratio_json (rb)));
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
  bench_raw_thread_free (proxy);
  bench_raw_thread_free (call_proxy);
  bench_raw_thread_free (echo);
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
