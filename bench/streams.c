/* bench-streams: oneliner data streams against raw libzmq, measured in one
 * run over tcp loopback.
 *
 *   1. Throughput of a pushed stream for 64 B, 64 KiB and 1 MiB payloads: a
 *      producer thread pushes N messages of one pre-written GBytes with
 *      ol_stream_writer_push_bytes() (no copy; OL_ERROR_BUSY is answered with
 *      a short back-off and a retry, counted), an OlClient keeps them in a
 *      queue and the main thread takes them with ol_client_get_stream().
 *      Against raw libzmq with the same shape: a PUB thread connected over
 *      inproc to an XSUB/XPUB proxy thread whose XPUB is bound on tcp
 *      loopback, a SUB socket in the main thread, every message three frames
 *      [topic "NAME\0", 48-byte header, payload], the payload written once
 *      before the run and sent without a copy. The raw PUB and the raw
 *      proxy's XPUB are ZMQ_XPUB_NODROP with the same high-water marks as
 *      oneliner's sockets; a refused send is retried after the same back-off,
 *      so raw libzmq loses nothing. A run is timed from the first send to the
 *      last receive; lost messages are counted on both sides (sequence
 *      numbers; for oneliner also the client's counters and the server's
 *      statistics).
 *
 *   2. Rate fidelity of periodic streams at 10, 100, 1000 and 5000 Hz with 0
 *      and 2 ms of work per call (a plain C function "(int32 work_us) ->
 *      int64" that busy-waits): from the tick timestamps of the messages,
 *      the achieved rate, its error against the nominal one, the jitter of
 *      the periods and the overruns (deadlines missed) reported by the
 *      server.
 *
 * Every throughput measurement is repeated, each repetition on a new
 * subscriber connection (a new OlClient, a new raw SUB socket) and after a
 * warm-up run on it; the median of the repetitions is printed with the ratio
 * oneliner / raw. The kernel's TCP congestion control is printed too: with
 * BBR, a loopback connection that once took a (spurious) loss can stay paced
 * at a few GB/s, on either side.
 *
 * Every ZeroMQ socket here is created, used and closed by one thread. Every
 * wait is bounded by BENCH_WAIT_MS; a message that does not come aborts the
 * run.
 */
#include <errno.h>
#include <math.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <jansson.h>
#include <zmq.h>

#include "oneliner/client.h"
#include "oneliner/error.h"
#include "oneliner/server.h"
#include "oneliner/stream.h"

#include "bench_util.h"

#define N_SIZES 3
#define N_RATES 4
#define N_WORKS 2

static const gsize s_sizes[N_SIZES] = { 64, 64 * 1024, 1024 * 1024 };
static const char *const s_size_names[N_SIZES] = { "64 B", "64 KiB", "1 MiB" };
static const guint s_counts[N_SIZES] = { 500000, 20000, 1500 };
static const guint s_quick_counts[N_SIZES] = { 20000, 1000, 100 };

static const double s_rates[N_RATES] = { 10, 100, 1000, 5000 };
static const double s_rate_seconds[N_RATES] = { 8, 4, 3, 3 };
static const double s_quick_rate_seconds[N_RATES] = { 1, 0.5, 0.5, 0.5 };
static const int s_works_us[N_WORKS] = { 0, 2000 };

/* ------------------------------------------------------------------------ */
/* oneliner: a server with one pushed stream per payload size, a client with
 * a queue for each */

typedef struct {
  OlServer *server;
  OlClient *client;
  OlStreamWriter *writers[N_SIZES];
  GBytes *payloads[N_SIZES];
  char names[N_SIZES][32];
} OlSide;

/* One message of a pushed stream: the JSON value json if it is not NULL
 * (serialised by the push), else the bytes of payload (not copied). */
static gboolean
s_push (OlStreamWriter *writer, GBytes *payload, json_t *json, GError **error)
{
  if (json != NULL)
    return ol_stream_writer_push_json (writer, json, error);
  return ol_stream_writer_push_bytes (writer, payload, error);
}

/* Pushes until the subscription is live: the client took one message. The
 * probes left on their way are told from the timed messages by their
 * sequence numbers. Returns the message taken. (transfer full) */
static OlStreamMessage *
s_probe (OlClient *client, const char *name, OlStreamWriter *writer, GBytes *payload,
         json_t *json)
{
  gint64 deadline = g_get_monotonic_time () + BENCH_WAIT_MS * G_TIME_SPAN_MILLISECOND;

  for (;;)
    {
      GError *error = NULL;
      OlStreamMessage *m;

      if (!s_push (writer, payload, json, &error))
        {
          if (!g_error_matches (error, OL_ERROR, OL_ERROR_BUSY))
            bench_die ("oneliner probe of stream \"%s\": %s", name, error->message);
          g_clear_error (&error);
        }
      m = ol_client_get_stream (client, name, BENCH_PROBE_MS, &error);
      if (m != NULL)
        return m;
      if (!g_error_matches (error, OL_ERROR, OL_ERROR_TIMEOUT))
        bench_die ("oneliner probe of stream \"%s\": %s", name, error->message);
      g_clear_error (&error);
      if (g_get_monotonic_time () > deadline)
        bench_die ("oneliner: the subscription to stream \"%s\" was not live within %d ms",
                   name, BENCH_WAIT_MS);
    }
}

static void
s_oneliner_probe (OlSide *o, int k)
{
  ol_stream_message_free (s_probe (o->client, o->names[k], o->writers[k], o->payloads[k],
                                   NULL));
}

/* Servers are stopped when done with but freed only at exit: the library
 * names the inproc endpoint of a server's stream proxy after an address, and
 * a server created right after one was freed can get that address and find
 * the name still bound (libzmq releases a closed socket's endpoint
 * asynchronously). */
static GPtrArray *s_retired_servers;

static void
s_server_retire (OlServer **server)
{
  ol_server_stop (*server);
  g_ptr_array_add (s_retired_servers, g_steal_pointer (server));
}

static void
s_server_free_retired (gpointer server)
{
  OlServer *s = server;

  ol_server_free (&s);
}

static void
s_oneliner_setup (OlSide *o)
{
  GError *error = NULL;

  o->server = ol_server_new ("tcp://127.0.0.1:*", "tcp://127.0.0.1:*");
  bench_server_keys (o->server);
  for (int k = 0; k < N_SIZES; k++)
    {
      g_snprintf (o->names[k], sizeof o->names[k], "bytes%" G_GSIZE_FORMAT, s_sizes[k]);
      o->writers[k] = ol_server_add_pushed_stream (o->server, o->names[k],
                                                   OL_ENCODING_RAW, NULL, &error);
      if (o->writers[k] == NULL)
        bench_die ("oneliner pushed stream \"%s\": %s", o->names[k], error->message);
      o->payloads[k] = g_bytes_new_take (bench_payload_new (s_sizes[k]), s_sizes[k]);
    }
  if (!ol_server_start (o->server, &error))
    bench_die ("oneliner server: %s", error->message);
}

/* A new client, so a new TCP connection, subscribed to stream k with a
 * queue of depth, once its subscription is live. */
static void
s_oneliner_connect (OlSide *o, int k, guint depth)
{
  o->client = bench_stream_client (o->server, o->names[k], depth);
  s_oneliner_probe (o, k);
}

static void
s_oneliner_teardown (OlSide *o)
{
  for (int k = 0; k < N_SIZES; k++)
    {
      ol_stream_writer_unref (o->writers[k]);
      g_bytes_unref (o->payloads[k]);
    }
  s_server_retire (&o->server);
}

typedef struct {
  OlStreamWriter *writer;
  GBytes *payload;
  json_t *json;        /* (nullable) pushed instead of payload */
  guint n;
  gint64 start_ns;     /* monotonic, just before the first push */
  guint64 retries;     /* pushes refused with OL_ERROR_BUSY and retried */
  GError *error;       /* (owned) (nullable) a failure other than BUSY */
  gint done;           /* atomic */
} Producer;

static gpointer
s_producer_thread (gpointer data)
{
  Producer *p = data;

  p->start_ns = bench_now_ns ();
  for (guint i = 0; i < p->n; i++)
    {
      GError *error = NULL;
      gint64 busy_since = 0;

      while (!s_push (p->writer, p->payload, p->json, &error))
        {
          gint64 now;

          if (!g_error_matches (error, OL_ERROR, OL_ERROR_BUSY))
            {
              p->error = error;
              goto out;
            }
          g_clear_error (&error);
          p->retries++;
          now = bench_now_ns ();
          if (busy_since == 0)
            busy_since = now;
          else if (now - busy_since > (gint64) BENCH_WAIT_MS * 1000000)
            {
              p->error = g_error_new (OL_ERROR, OL_ERROR_TIMEOUT,
                                      "the publishing queue stayed full for %d ms",
                                      BENCH_WAIT_MS);
              goto out;
            }
          g_usleep (BENCH_BACKOFF_US);
        }
    }
out:
  g_atomic_int_set (&p->done, 1);
  return NULL;
}

/* One timed run of n messages of pushed stream name of server, from writer
 * (payload, or json if it is not NULL, every message size bytes) to
 * client. */
static BenchTput
s_pushed_run (OlServer *server, OlClient *client, const char *name, OlStreamWriter *writer,
              GBytes *payload, json_t *json, gsize size, guint n)
{
  guint64 first_seq = bench_stream_stat (server, name, "sequence") + 1;
  guint64 last_seq = first_seq + n - 1;
  guint64 dropped0 = bench_stream_stat (server, name, "dropped");
  OlStreamCounters c0, c1;
  Producer p = { 0 };
  GThread *thread;
  guint64 received = 0;
  gint64 last_rx = 0;
  gint64 last_progress = bench_now_ns (); /* of the last message, or the start */
  BenchTput t;

  bench_stream_counters (client, name, &c0);
  p.writer = writer;
  p.payload = payload;
  p.json = json;
  p.n = n;
  thread = g_thread_new ("bench-producer", s_producer_thread, &p);
  for (;;)
    {
      OlStreamMessage *m = bench_stream_get (client, name, BENCH_POLL_MS);
      guint64 seq;

      if (m == NULL)
        {
          if (bench_run_quiet (last_progress, !g_atomic_int_get (&p.done),
                               "oneliner", name))
            break; /* the rest was lost */
          continue;
        }
      seq = m->sequence;
      if (seq >= first_seq && g_bytes_get_size (m->payload) != size)
        bench_die ("oneliner stream \"%s\": a payload of %" G_GSIZE_FORMAT " bytes", name,
                   g_bytes_get_size (m->payload));
      ol_stream_message_free (m);
      if (seq < first_seq)
        continue; /* a probe or a warm-up message */
      received++;
      last_rx = last_progress = bench_now_ns ();
      if (seq >= last_seq)
        break;
    }
  g_thread_join (thread);
  if (p.error != NULL)
    bench_die ("oneliner producer of stream \"%s\": %s", name, p.error->message);
  bench_stream_counters (client, name, &c1);
  t = bench_tput (n, received, last_rx - p.start_ns, size);
  t.retries = p.retries;
  bench_tput_set_losses (&t, &c0, &c1,
                         bench_stream_stat (server, name, "dropped") - dropped0);
  return t;
}

/* One timed run of n messages of size k. */
static BenchTput
s_oneliner_run (OlSide *o, int k, guint n)
{
  return s_pushed_run (o->server, o->client, o->names[k], o->writers[k], o->payloads[k], NULL,
                       s_sizes[k], n);
}

/* ------------------------------------------------------------------------ */
/* Limit checks: two pushed JSON streams of one server, one described with a
 * form and limits (every value is checked against them), one without a
 * description, the same value pushed with ol_stream_writer_push_json() */

enum { LIMITS_ON, LIMITS_OFF, N_LIMIT_STREAMS };

static const char *const s_limit_names[N_LIMIT_STREAMS] = { "json64-limits", "json64-none" };

/* 8 numbers that jansson writes as they are: 64 bytes of JSON text. Within
 * the limits below, so that the check runs to the last sample. */
static const double s_limit_samples[] = { 0.25, -1.5, 2.375, 3.0625, -4.03125, 5.015625,
                                          6.0078125, -7.00390625 };

typedef struct {
  OlServer *server;
  OlStreamWriter *writers[N_LIMIT_STREAMS];
  json_t *value;      /* (owned) what every timed message carries */
  json_t *warning;    /* (owned) the same with one sample outside the warning limits */
  gsize size;         /* bytes of the JSON text of value */
} LimitSide;

static json_t *
s_limit_value (double last)
{
  json_t *a = json_array ();

  for (gsize i = 0; i < G_N_ELEMENTS (s_limit_samples); i++)
    json_array_append_new (a, json_real (i + 1 < G_N_ELEMENTS (s_limit_samples)
                                         ? s_limit_samples[i] : last));
  return a;
}

static void
s_limits_setup (LimitSide *l)
{
  GError *error = NULL;
  json_t *description = json_pack (
    "{s:s, s:s, s:s, s:i, s:i, s:{s:f, s:f, s:f, s:f}}",
    "text", "bench: 8 samples checked against 4 limits", "unit", "V", "form", "array",
    "length", (int) G_N_ELEMENTS (s_limit_samples), "precision", 3, "limits",
    "warning_low", -8.0, "warning_high", 8.0, "alarm_low", -10.0, "alarm_high", 10.0);
  char *text;

  l->server = ol_server_new ("tcp://127.0.0.1:*", "tcp://127.0.0.1:*");
  bench_server_keys (l->server);
  for (int k = 0; k < N_LIMIT_STREAMS; k++)
    {
      l->writers[k] = ol_server_add_pushed_stream (l->server, s_limit_names[k],
                                                   OL_ENCODING_JSON, NULL, &error);
      if (l->writers[k] == NULL)
        bench_die ("oneliner pushed stream \"%s\": %s", s_limit_names[k], error->message);
    }
  /* Described before the start, so that every message is checked. */
  if (description == NULL
      || !ol_server_describe_stream (l->server, s_limit_names[LIMITS_ON], description, &error))
    bench_die ("oneliner: describing stream \"%s\": %s", s_limit_names[LIMITS_ON],
               error ? error->message : "json_pack failed");
  json_decref (description);
  if (!ol_server_start (l->server, &error))
    bench_die ("oneliner server: %s", error->message);
  l->value = s_limit_value (s_limit_samples[G_N_ELEMENTS (s_limit_samples) - 1]);
  l->warning = s_limit_value (9.0);
  text = json_dumps (l->value, JSON_COMPACT);
  l->size = strlen (text);
  free (text);
}

static void
s_limits_teardown (LimitSide *l)
{
  for (int k = 0; k < N_LIMIT_STREAMS; k++)
    ol_stream_writer_unref (l->writers[k]);
  json_decref (l->value);
  json_decref (l->warning);
  s_server_retire (&l->server);
}

/* A new client of stream k, a probe, a warm-up run and a timed run of n
 * messages. On the described stream, the probe carries a sample outside the
 * warning limits and must come with OL_STATUS_WARNING (on the other,
 * without): the check is done, or the comparison means nothing. */
static BenchTput
s_limits_rep (LimitSide *l, int k, guint n, guint warmup)
{
  const char *name = s_limit_names[k];
  OlClient *client = bench_stream_client (l->server, name, n + warmup + 1024);
  OlStreamMessage *m = s_probe (client, name, l->writers[k], NULL, l->warning);
  gboolean warned = (m->status & OL_STATUS_WARNING) != 0;
  BenchTput t;

  ol_stream_message_free (m);
  if (warned != (k == LIMITS_ON))
    bench_die ("oneliner stream \"%s\": a value outside the warning limits came %s "
               "status WARNING", name, warned ? "with" : "without");
  s_pushed_run (l->server, client, name, l->writers[k], NULL, l->value, l->size, warmup);
  t = s_pushed_run (l->server, client, name, l->writers[k], NULL, l->value, l->size, n);
  ol_client_free (&client);
  return t;
}

/* ------------------------------------------------------------------------ */
/* Raw libzmq: PUB thread -> inproc -> XSUB/XPUB proxy thread -> tcp -> SUB
 * in the main thread */

#define RAW_INPROC "inproc://bench-streams-raw"

typedef enum {
  JOB_NONE,
  JOB_PROBE,  /* send probes (sequence 0) until the subscriber saw one */
  JOB_RUN,    /* send sequences 1..n */
  JOB_STOP,
} JobKind;

typedef struct {
  void *ctx;
  GThread *proxy_thread;
  GThread *pub_thread;
  char endpoint[256];       /* the proxy's XPUB, set before proxy_ready */
  void *payloads[N_SIZES];  /* (owned) written once */
  char topics[N_SIZES][32];

  GMutex lock;              /* guards everything below */
  GCond cond;
  gboolean proxy_ready;
  gboolean pub_ready;
  JobKind job;
  int job_size;             /* index into s_sizes */
  guint job_n;
  gboolean job_done;
  gint64 start_ns;          /* of the last run: before its first send */
  guint64 retries;          /* of the last run */

  gint live;                /* atomic: the subscriber saw a probe */
  gint stop;                /* atomic: the proxy stops */
  gint pub_done;            /* atomic: the current job is finished */
} Raw;

static gpointer
s_raw_proxy_thread (gpointer data)
{
  Raw *r = data;
  void *xsub, *xpub;

  bench_stream_proxy_sockets (r->ctx, &xsub, &xpub);
  if (zmq_bind (xsub, RAW_INPROC) != 0)
    bench_die ("raw proxy: cannot bind %s: %s", RAW_INPROC, zmq_strerror (errno));
  bench_bind_any (xpub, r->endpoint, sizeof r->endpoint, "raw proxy");
  bench_set_flag (&r->lock, &r->cond, &r->proxy_ready);

  /* The same loop as oneliner's proxy: poll, then forward in batches. The
   * XPUB is ZMQ_XPUB_NODROP with a send timeout: a send waits for room, and
   * a subscriber that takes nothing for BENCH_WAIT_MS aborts the run. */
  bench_proxy_loop (xsub, xpub, 1024, &r->stop, "raw proxy");
  zmq_close (xsub);
  zmq_close (xpub);
  return NULL;
}

/* A BenchSendFunc for a Raw: [topic, header, payload] of size k with
 * sequence seq; the payload is the pre-written buffer, not copied. */
static gboolean
s_raw_send (gpointer data, void *pub, int k, guint64 seq)
{
  Raw *r = data;

  return bench_pub_send (pub, r->topics[k], seq, r->payloads[k], s_sizes[k], FALSE);
}

static gpointer
s_raw_pub_thread (gpointer data)
{
  Raw *r = data;
  void *pub = bench_pub_new (r->ctx);

  bench_connect (pub, RAW_INPROC, "raw PUB", "connect");
  g_mutex_lock (&r->lock);
  r->pub_ready = TRUE;
  g_cond_broadcast (&r->cond);
  for (;;)
    {
      JobKind job;
      int k;
      guint n;

      while (r->job == JOB_NONE)
        g_cond_wait (&r->cond, &r->lock);
      job = r->job;
      k = r->job_size;
      n = r->job_n;
      g_mutex_unlock (&r->lock);
      if (job == JOB_STOP)
        break;
      if (job == JOB_PROBE)
        bench_send_probes (s_raw_send, r, pub, k, &r->live);
      else if (!bench_send_run (s_raw_send, r, pub, k, n, &r->lock, &r->start_ns,
                                &r->retries))
        bench_die ("raw PUB: the socket refused a message for %d ms", BENCH_WAIT_MS);
      g_atomic_int_set (&r->pub_done, 1);
      g_mutex_lock (&r->lock);
      r->job = JOB_NONE;
      r->job_done = TRUE;
      g_cond_broadcast (&r->cond);
    }
  zmq_close (pub);
  return NULL;
}

static void
s_raw_wait (Raw *r, const gboolean *flag, const char *what)
{
  if (!bench_wait_flag (&r->lock, &r->cond, flag, BENCH_WAIT_MS))
    bench_die ("raw: %s within %d ms", what, BENCH_WAIT_MS);
}

static void
s_raw_post (Raw *r, JobKind job, int k, guint n)
{
  g_mutex_lock (&r->lock);
  r->job = job;
  r->job_size = k;
  r->job_n = n;
  r->job_done = FALSE;
  g_atomic_int_set (&r->pub_done, 0);
  g_cond_broadcast (&r->cond);
  g_mutex_unlock (&r->lock);
}

/* Receives one whole message without waiting; FALSE if none was there. The
 * header's sequence number goes to *seq and the payload size to *size. */
static gboolean
s_raw_recv (void *sub, guint64 *seq, gsize *size)
{
  return bench_stream_recv (sub, "[topic, header, payload]", seq, size, NULL, 0);
}

static void
s_raw_wait_readable (void *sub, int timeout_ms)
{
  zmq_pollitem_t item = { sub, 0, ZMQ_POLLIN, 0 };

  bench_poll (&item, 1, timeout_ms, "raw SUB");
}

static void
s_raw_probe (Raw *r, void *sub, int k)
{
  gint64 deadline = g_get_monotonic_time () + BENCH_WAIT_MS * G_TIME_SPAN_MILLISECOND;
  guint64 seq;
  gsize size;

  g_atomic_int_set (&r->live, 0);
  s_raw_post (r, JOB_PROBE, k, 0);
  while (!s_raw_recv (sub, &seq, &size))
    {
      if (g_get_monotonic_time () > deadline)
        bench_die ("raw: the subscription to \"%s\" was not live within %d ms",
                   r->topics[k], BENCH_WAIT_MS);
      s_raw_wait_readable (sub, BENCH_PROBE_MS);
    }
  g_atomic_int_set (&r->live, 1);
  s_raw_wait (r, &r->job_done, "the PUB thread did not end its probes");
  /* The probes left on their way carry sequence 0 and are skipped. */
}

static void
s_raw_setup (Raw *r)
{
  r->ctx = bench_zmq_ctx_new ();
  g_mutex_init (&r->lock);
  g_cond_init (&r->cond);
  for (int k = 0; k < N_SIZES; k++)
    {
      g_snprintf (r->topics[k], sizeof r->topics[k], "bytes%" G_GSIZE_FORMAT, s_sizes[k]);
      r->payloads[k] = bench_payload_new (s_sizes[k]);
    }
  r->proxy_thread = g_thread_new ("raw-proxy", s_raw_proxy_thread, r);
  s_raw_wait (r, &r->proxy_ready, "the proxy did not start");
  r->pub_thread = g_thread_new ("raw-pub", s_raw_pub_thread, r);
  s_raw_wait (r, &r->pub_ready, "the PUB thread did not start");
}

/* A new SUB socket, so a new TCP connection, subscribed to topic k (with its
 * NUL, as oneliner subscribes), once its subscription is live. */
static void *
s_raw_connect (Raw *r, int k)
{
  void *sub = bench_sub_new (r->ctx, r->endpoint, r->topics[k], "connect");

  s_raw_probe (r, sub, k);
  return sub;
}

static void
s_raw_teardown (Raw *r)
{
  s_raw_post (r, JOB_STOP, 0, 0);
  g_thread_join (r->pub_thread);
  g_atomic_int_set (&r->stop, 1);
  g_thread_join (r->proxy_thread);
  zmq_ctx_term (r->ctx);
  for (int k = 0; k < N_SIZES; k++)
    g_free (r->payloads[k]);
  g_mutex_clear (&r->lock);
  g_cond_clear (&r->cond);
}

static BenchTput
s_raw_run (Raw *r, void *sub, int k, guint n)
{
  guint64 received = 0;
  gint64 last_rx = 0;
  gint64 last_progress = bench_now_ns (); /* of the last message, or the start */
  BenchTput t;

  s_raw_post (r, JOB_RUN, k, n);
  for (;;)
    {
      guint64 seq;
      gsize size;

      if (!s_raw_recv (sub, &seq, &size))
        {
          if (bench_run_quiet (last_progress, !g_atomic_int_get (&r->pub_done), "raw",
                               r->topics[k]))
            break; /* the rest was lost */
          s_raw_wait_readable (sub, BENCH_POLL_MS);
          continue;
        }
      if (seq == 0)
        continue; /* a probe */
      if (size != s_sizes[k])
        bench_die ("raw stream \"%s\": a payload of %" G_GSIZE_FORMAT " bytes",
                   r->topics[k], size);
      received++;
      last_rx = last_progress = bench_now_ns ();
      if (seq >= n)
        break;
    }
  s_raw_wait (r, &r->job_done, "the PUB thread did not finish its run");
  t = bench_tput (n, received, last_rx - r->start_ns, s_sizes[k]);
  t.retries = r->retries;
  return t;
}

/* ------------------------------------------------------------------------ */
/* Rate fidelity of periodic streams */

static atomic_int_fast64_t s_work_calls;

/* The registered "(int32 work_us) -> int64": busy-waits work_us
 * microseconds on CLOCK_MONOTONIC and returns how often it was called. */
static int64_t
s_work (int32_t work_us)
{
  if (work_us > 0)
    {
      gint64 end = bench_now_ns () + (gint64) work_us * 1000;

      while (bench_now_ns () < end)
        ;
    }
  return atomic_fetch_add (&s_work_calls, 1) + 1;
}

typedef struct {
  double hz;
  int work_us;
  double seconds;
  guint64 messages;        /* received in the window */
  guint64 span_ticks;      /* last sequence - first sequence */
  double achieved_hz;
  double error_pct;
  double expected_hz;      /* what absolute deadlines that skip missed ticks give */
  double p50_us, p99_us, max_us; /* |period - nominal| */
  guint64 overruns;        /* deadlines missed within the window (headers) */
  guint64 overruns_total;  /* the server's statistics for the stream's life */
  guint64 late_messages;   /* messages flagged OL_STATUS_OVERRUN */
  guint64 missed;          /* lost on the way (client counter) */
} RateResult;

/* The rate of a thread that wakes on multiples of the period and skips the
 * deadlines its work made it miss: every tick takes floor(work / period) + 1
 * periods. */
static double
s_expected_hz (double hz, int work_us)
{
  double period_us = 1e6 / hz;

  if (work_us < period_us)
    return hz;
  return hz / (floor (work_us / period_us) + 1);
}

/* The SCHED_FIFO priority of the next s_rate_run's stream thread, 0: none. */
static int s_rate_realtime;

static RateResult
s_rate_run (double hz, int work_us, double seconds)
{
  GError *error = NULL;
  OlServer *server = ol_server_new ("tcp://127.0.0.1:*", "tcp://127.0.0.1:*");
  OlClient *client;
  const char *name = "rate";
  json_t *args = json_pack ("[i]", work_us);
  guint capacity = (guint) (hz * seconds * 2) + 1024;
  GArray *ts = g_array_sized_new (FALSE, FALSE, sizeof (gint64), capacity);
  GArray *seqs = g_array_sized_new (FALSE, FALSE, sizeof (guint64), capacity);
  double *jitter;
  guint n_jitter = 0;
  guint32 first_overruns = 0, last_overruns = 0;
  OlStreamCounters c0, c1;
  RateResult res = { 0 };
  gint64 span_ns;

  res.hz = hz;
  res.work_us = work_us;
  res.seconds = seconds;
  res.expected_hz = s_expected_hz (hz, work_us);
  bench_server_keys (server);
  if (!ol_server_add_function (server, "work", "(int32 work_us) -> int64",
                               OL_FUNC (s_work), &error)
      || (s_rate_realtime > 0 && !ol_server_set_realtime (server, s_rate_realtime, &error))
      || !ol_server_start (server, &error))
    bench_die ("oneliner server: %s", error->message);
  client = bench_client_new (ol_server_get_rpc_endpoint (server),
                             ol_server_get_stream_endpoint (server), &error);
  if (client == NULL)
    bench_die ("oneliner client: %s", error->message);
  if (!ol_client_configure_stream (client, name, OL_STORAGE_QUEUE, capacity, &error))
    bench_die ("oneliner client: %s", error->message);
  if (!ol_server_add_stream (server, name, hz, NULL, "work", args, NULL, TRUE,
                             OL_ENCODING_JSON, NULL, &error))
    bench_die ("periodic stream at %g Hz: %s", hz, error->message);

  /* From the first message on (the subscription is live), every message
   * whose tick lies within the window. */
  for (;;)
    {
      OlStreamMessage *m = ol_client_get_stream (client, name, BENCH_WAIT_MS, &error);
      gint64 first;

      if (m == NULL)
        bench_die ("periodic stream at %g Hz with %d us of work: %s", hz, work_us,
                   error->message);
      if (ts->len == 0)
        {
          bench_stream_counters (client, name, &c0);
          first_overruns = m->overruns;
        }
      if (m->status & OL_STATUS_OVERRUN)
        res.late_messages++;
      last_overruns = m->overruns;
      g_array_append_val (ts, m->timestamp);
      g_array_append_val (seqs, m->sequence);
      first = g_array_index (ts, gint64, 0);
      ol_stream_message_free (m);
      if (g_array_index (ts, gint64, ts->len - 1) - first >= (gint64) (seconds * 1e9))
        break;
    }
  bench_stream_counters (client, name, &c1);
  res.overruns_total = bench_stream_stat (server, name, "overruns");
  ol_client_free (&client);
  s_server_retire (&server);
  json_decref (args);

  res.messages = ts->len;
  res.missed = c1.missed - c0.missed;
  res.overruns = last_overruns - first_overruns;
  /* (messages - 1) / (last - first), counted by sequence numbers so that a
   * message lost on the way does not lower the rate the server kept. */
  res.span_ticks = g_array_index (seqs, guint64, seqs->len - 1) - g_array_index (seqs, guint64, 0);
  span_ns = g_array_index (ts, gint64, ts->len - 1) - g_array_index (ts, gint64, 0);
  if (res.span_ticks == 0 || span_ns <= 0)
    bench_die ("periodic stream at %g Hz: too few messages to measure", hz);
  res.achieved_hz = (double) res.span_ticks * 1e9 / (double) span_ns;
  res.error_pct = (res.achieved_hz - hz) / hz * 100.0;

  /* Jitter: every period between two consecutive messages. */
  jitter = g_new (double, ts->len);
  for (guint i = 1; i < ts->len; i++)
    {
      gint64 period;

      if (g_array_index (seqs, guint64, i) != g_array_index (seqs, guint64, i - 1) + 1)
        continue;
      period = g_array_index (ts, gint64, i) - g_array_index (ts, gint64, i - 1);
      jitter[n_jitter++] = fabs ((double) period - 1e9 / hz) / 1e3;
    }
  bench_sort_doubles (jitter, n_jitter);
  res.p50_us = bench_percentile (jitter, n_jitter, 50);
  res.p99_us = bench_percentile (jitter, n_jitter, 99);
  res.max_us = n_jitter ? jitter[n_jitter - 1] : 0.0;
  g_free (jitter);
  g_array_unref (ts);
  g_array_unref (seqs);
  return res;
}

/* ------------------------------------------------------------------------ */
/* Punctuality: a bare clock_nanosleep loop, as a program of its own would
 * write it (default scheduling and timer slack), on the same absolute
 * deadlines; it stamps every wake with the wall clock as a stream thread
 * stamps its ticks. */

typedef struct {
  double hz;
  double seconds;
  GArray *stamps;          /* gint64 wall-clock ns of every wake */
  guint64 missed;          /* deadlines already gone at a wake */
} BareLoop;

static gpointer
s_bare_thread (gpointer data)
{
  BareLoop *b = data;
  gint64 period = (gint64) (1e9 / b->hz + 0.5);
  gint64 next = bench_now_ns () + period, end = next + (gint64) (b->seconds * 1e9);

  while (next <= end)
    {
      struct timespec ts = { next / 1000000000, next % 1000000000 };
      struct timespec wall;
      gint64 stamp, now;

      while (clock_nanosleep (CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
        ;
      clock_gettime (CLOCK_REALTIME, &wall);
      stamp = (gint64) wall.tv_sec * 1000000000 + wall.tv_nsec;
      g_array_append_val (b->stamps, stamp);
      next += period;
      now = bench_now_ns ();
      if (now >= next)
        {
          /* As the stream thread does: skip what is far behind. */
          gint64 missed = (now - next) / period + 1;

          b->missed += (guint64) missed;
          if (now - next >= 10 * 1000 * 1000)
            next += missed * period;
        }
    }
  return NULL;
}

/* Starts a bare loop for seconds in a thread of its own. */
static GThread *
s_bare_start (BareLoop *b, double hz, double seconds)
{
  b->hz = hz;
  b->seconds = seconds;
  b->missed = 0;
  b->stamps = g_array_sized_new (FALSE, FALSE, sizeof (gint64), (guint) (hz * seconds) + 16);
  return g_thread_new ("bare-loop", s_bare_thread, b);
}

/* Waits for the loop's end: its jitter, the same quantities as s_rate_run's. */
static RateResult
s_bare_finish (BareLoop *b, GThread *thread)
{
  RateResult res = { 0 };
  double *jitter;
  guint n = 0;

  g_thread_join (thread);
  res.hz = b->hz;
  res.seconds = b->seconds;
  res.messages = b->stamps->len;
  res.overruns = b->missed;
  jitter = g_new (double, b->stamps->len);
  for (guint i = 1; i < b->stamps->len; i++)
    {
      gint64 period = g_array_index (b->stamps, gint64, i)
                      - g_array_index (b->stamps, gint64, i - 1);

      jitter[n++] = fabs ((double) period - 1e9 / b->hz) / 1e3;
    }
  bench_sort_doubles (jitter, n);
  res.p50_us = bench_percentile (jitter, n, 50);
  res.p99_us = bench_percentile (jitter, n, 99);
  res.max_us = n ? jitter[n - 1] : 0.0;
  g_free (jitter);
  g_array_unref (b->stamps);
  return res;
}

/* ------------------------------------------------------------------------ */
/* Report */

static void
s_print_losses (const char *who, BenchTput t, gboolean oneliner)
{
  char *detail = NULL;

  if (oneliner)
    detail = g_strdup_printf (" (client: missed %" G_GUINT64_FORMAT ", overflowed %"
                              G_GUINT64_FORMAT "; server: dropped %" G_GUINT64_FORMAT ")",
                              t.missed, t.overflowed, t.server_dropped);
  bench_print_losses (4, who, &t, detail);
  g_free (detail);
}

/* ------------------------------------------------------------------------ */

int
main (int argc, char **argv)
{
  gboolean quick = FALSE, json_out = FALSE, verbose = FALSE, curve = FALSE;
  gboolean no_throughput = FALSE, no_rate = FALSE, no_limits = FALSE, no_punctual = FALSE;
  int reps = 5, punctual_reps = 3;
  double punctual_seconds = 60.0;
  double scale = 1.0, rate_seconds = 0.0;
  int only_size = 0;
  char *side = NULL;
  GOptionEntry entries[] = {
    BENCH_OPTION_QUICK (&quick,
      "Small counts and short rate runs: a smoke run of a few seconds"),
    BENCH_OPTION_JSON (&json_out),
    BENCH_OPTION_REPS (&reps,
      "Repetitions of each throughput measurement; the median is printed (default 5)"),
    BENCH_OPTION_SCALE (&scale),
    { "rate-seconds", 't', 0, G_OPTION_ARG_DOUBLE, &rate_seconds,
      "Duration of every rate run in seconds (default: 8, 4, 3, 3 s for 10, 100, "
      "1000, 5000 Hz)", "S" },
    BENCH_OPTION_SIZE (&only_size,
      "Measure the throughput of this payload size only (64, 65536 or 1048576)"),
    { "side", 0, 0, G_OPTION_ARG_STRING, &side,
      "Measure the throughput of \"oneliner\" or \"raw\" only (for profiling; "
      "default both)", "SIDE" },
    { "no-throughput", 0, 0, G_OPTION_ARG_NONE, &no_throughput,
      "Skip the throughput measurements", NULL },
    { "no-rate", 0, 0, G_OPTION_ARG_NONE, &no_rate,
      "Skip the rate fidelity measurements", NULL },
    { "no-limits", 0, 0, G_OPTION_ARG_NONE, &no_limits,
      "Skip the 64 B JSON stream with limits against one without", NULL },
    { "no-punctual", 0, 0, G_OPTION_ARG_NONE, &no_punctual,
      "Skip the punctuality of periodic streams against a bare clock_nanosleep loop", NULL },
    { "punctual-reps", 0, 0, G_OPTION_ARG_INT, &punctual_reps,
      "Pairs of runs (bare loop, stream) at 100 Hz and 1 kHz; medians printed (default 3)",
      "N" },
    { "punctual-seconds", 0, 0, G_OPTION_ARG_DOUBLE, &punctual_seconds,
      "Length of the runs at 1 kHz that count overruns (default 60; --quick: 5)", "S" },
    BENCH_OPTION_VERBOSE (&verbose),
    BENCH_OPTION_CURVE (&curve),
    BENCH_OPTION_END,
  };
  guint counts[N_SIZES];
  BenchTput med_o[N_SIZES] = { { 0 } }, med_r[N_SIZES] = { { 0 } };
  gboolean run_o, run_r;
  RateResult rates[N_RATES][N_WORKS];
  json_t *jtput = json_array (), *jrate = json_array (), *jlimits = json_null ();
  json_t *jpunctual = json_array ();
  char *cc = bench_congestion_control ();

  bench_set_program_name ("bench-streams");
  s_retired_servers = g_ptr_array_new_with_free_func (s_server_free_retired);

  bench_parse_options (&argc, &argv, "- oneliner streams against raw libzmq",
    "Measures, over tcp loopback in one run:\n"
    "  1. the throughput of a oneliner pushed stream (64 B, 64 KiB, 1 MiB payloads)\n"
    "     against raw libzmq PUB -> inproc XSUB/XPUB proxy -> tcp -> SUB with the\n"
    "     same frames, median of the repetitions, with the ratio oneliner / raw;\n"
    "     and a 64 B JSON pushed stream described with limits against one without,\n"
    "     with the ratio limits / none;\n"
    "  2. the rate fidelity of periodic streams at 10, 100, 1000 and 5000 Hz\n"
    "     with 0 and 2 ms of work per call;\n"
    "  3. the punctuality of periodic streams at 100 Hz and 1 kHz against a bare\n"
    "     clock_nanosleep loop at the same rate in the same run (p99 jitter, ratio),\n"
    "     and the overruns of both in a long run at 1 kHz.",
    entries);
  if (reps < 1 || !(scale > 0) || rate_seconds < 0)
    bench_die ("--reps must be at least 1, --scale positive, --rate-seconds not negative");
  if (punctual_reps < 1 || punctual_reps > 100 || !(punctual_seconds >= 1)
      || punctual_seconds > 3600)
    bench_die ("--punctual-reps must be from 1 to 100, --punctual-seconds from 1 to 3600");
  if (quick && punctual_seconds == 60.0)
    punctual_seconds = 5.0;
  if (curve)
    bench_curve_init ();
  if (only_size != 0 && only_size != 64 && only_size != 65536 && only_size != 1048576)
    bench_die ("--size must be 64, 65536 or 1048576");
  if (side != NULL && g_strcmp0 (side, "oneliner") != 0 && g_strcmp0 (side, "raw") != 0)
    bench_die ("--side must be oneliner or raw");
  run_o = side == NULL || g_strcmp0 (side, "oneliner") == 0;
  run_r = side == NULL || g_strcmp0 (side, "raw") == 0;
  g_free (side);
  for (int k = 0; k < N_SIZES; k++)
    counts[k] = MAX (10u, (guint) ((quick ? s_quick_counts[k] : s_counts[k]) * scale));

  printf ("oneliner streams benchmark: tcp loopback, %d CPUs, TCP congestion control %s%s\n",
          g_get_num_processors (), cc,
          curve ? "; oneliner with CURVE keys, raw libzmq without" : "");

  if (!no_throughput)
    {
      OlSide o = { 0 };
      Raw r = { 0 };

      printf ("\n1. Throughput of a pushed stream, median of %d repetitions\n", reps);
      printf ("   oneliner: producer thread -> ol_stream_writer_push_bytes -> pusher thread"
              " -> inproc proxy -> tcp -> OlClient queue -> ol_client_get_stream\n");
      printf ("   raw:      PUB thread -> inproc XSUB/XPUB proxy thread -> tcp -> SUB"
              " (main thread), [topic, 48-byte header, payload], XPUB_NODROP\n");
      printf ("   messages per repetition:");
      for (int k = 0; k < N_SIZES; k++)
        if (bench_size_selected (s_sizes[k], only_size))
          printf (" %s x %u", s_size_names[k], counts[k]);
      printf ("%s\n", run_o && run_r ? "" : run_o ? " (oneliner only)" : " (raw only)");
      fflush (stdout);

      if (run_o)
        s_oneliner_setup (&o);
      if (run_r)
        s_raw_setup (&r);
      for (int k = 0; k < N_SIZES; k++)
        {
          guint warmup = MAX (10u, counts[k] / 10);
          BenchTput *reps_o, *reps_r;

          if (!bench_size_selected (s_sizes[k], only_size))
            continue;
          reps_o = g_new0 (BenchTput, reps);
          reps_r = g_new0 (BenchTput, reps);
          /* Every repetition has connections of its own, so that the
           * repetitions are independent samples: the state the kernel keeps
           * per TCP connection (congestion control, windows) starts afresh.
           * A warm-up run on the new connection precedes the timed one. The
           * kinds alternate within each repetition so that a slow phase of
           * the machine hits both alike. */
          for (int i = 0; i < reps; i++)
            {
              if (run_o)
                {
                  s_oneliner_connect (&o, k, counts[k] + warmup + 1024);
                  s_oneliner_run (&o, k, warmup);
                  reps_o[i] = s_oneliner_run (&o, k, counts[k]);
                  ol_client_free (&o.client);
                }
              if (run_r)
                {
                  void *sub = s_raw_connect (&r, k);

                  s_raw_run (&r, sub, k, warmup);
                  reps_r[i] = s_raw_run (&r, sub, k, counts[k]);
                  zmq_close (sub);
                }
              if (verbose)
                bench_print_tput_rep (i + 1, s_size_names[k], &reps_o[i], &reps_r[i]);
            }
          med_o[k] = bench_tput_median (reps_o, reps);
          med_r[k] = bench_tput_median (reps_r, reps);
          g_free (reps_o);
          g_free (reps_r);
        }
      if (run_r)
        s_raw_teardown (&r);
      if (run_o)
        s_oneliner_teardown (&o);

      printf ("\n   %-7s %-24s %-24s %s\n", "payload", "oneliner", "raw libzmq",
              "ratio oneliner/raw");
      for (int k = 0; k < N_SIZES; k++)
        {
          double rm, rb;

          if (!bench_size_selected (s_sizes[k], only_size))
            continue;
          rm = run_o && run_r ? med_o[k].msgs_per_s / med_r[k].msgs_per_s : NAN;
          rb = run_o && run_r ? med_o[k].mb_per_s / med_r[k].mb_per_s : NAN;
          printf ("   %-7s %10.0f msgs/s %9s %10.0f msgs/s %9s %5.2fx", s_size_names[k],
                  med_o[k].msgs_per_s, "", med_r[k].msgs_per_s, "", rm);
          if (k == 0 && !isnan (rm))
            printf ("  (target >= 0.8x msgs/s: %s)", bench_met (rm >= 0.8));
          printf ("\n   %-7s %10.1f MB/s %11s %10.1f MB/s %11s %5.2fx", "",
                  med_o[k].mb_per_s, "", med_r[k].mb_per_s, "", rb);
          if (k == N_SIZES - 1 && !isnan (rb))
            printf ("  (target >= 0.9x MB/s: %s)", bench_met (rb >= 0.9));
          printf ("\n");
          if (run_o)
            s_print_losses ("oneliner", med_o[k], TRUE);
          if (run_r)
            s_print_losses ("raw", med_r[k], FALSE);
          json_array_append_new (jtput, json_pack (
            "{s:I, s:i, s:o, s:o, s:f, s:f}", "payload_bytes", (json_int_t) s_sizes[k],
            "messages", (int) counts[k],
            "oneliner", bench_tput_json (med_o[k], TRUE, "server_dropped"),
            "raw", bench_tput_json (med_r[k], FALSE, "server_dropped"),
            "ratio_msgs", isnan (rm) ? 0.0 : rm,
            "ratio_mb", isnan (rb) ? 0.0 : rb));
        }
      printf ("   (losses and retries: sums over the repetitions)\n");
      fflush (stdout);
    }

  if (!no_throughput && !no_limits && run_o && bench_size_selected (64, only_size))
    {
      LimitSide l = { 0 };
      guint n = counts[0], warmup = MAX (10u, n / 10);
      BenchTput *reps_l[N_LIMIT_STREAMS], med[N_LIMIT_STREAMS];
      double ratio;

      s_limits_setup (&l);
      printf ("\n   Limit checks: a pushed JSON stream described with form \"array\", length"
              " %u and 4 limits\n   against one without a description, each message "
              "ol_stream_writer_push_json of %u numbers\n   (%" G_GSIZE_FORMAT " bytes of "
              "JSON), %u messages a round, median of %d rounds alternating the two\n",
              (guint) G_N_ELEMENTS (s_limit_samples), (guint) G_N_ELEMENTS (s_limit_samples),
              l.size, n, reps);
      fflush (stdout);
      for (int k = 0; k < N_LIMIT_STREAMS; k++)
        reps_l[k] = g_new0 (BenchTput, reps);
      for (int i = 0; i < reps; i++)
        {
          /* Which stream goes first changes every round. */
          for (int j = 0; j < N_LIMIT_STREAMS; j++)
            {
              int k = (i + j) % N_LIMIT_STREAMS;

              reps_l[k][i] = s_limits_rep (&l, k, n, warmup);
            }
          if (verbose)
            fprintf (stderr, "limits round %d: with %.0f msgs/s, without %.0f msgs/s\n",
                     i + 1, reps_l[LIMITS_ON][i].msgs_per_s, reps_l[LIMITS_OFF][i].msgs_per_s);
        }
      for (int k = 0; k < N_LIMIT_STREAMS; k++)
        {
          med[k] = bench_tput_median (reps_l[k], reps);
          g_free (reps_l[k]);
        }
      s_limits_teardown (&l);
      ratio = med[LIMITS_ON].msgs_per_s / med[LIMITS_OFF].msgs_per_s;
      printf ("\n   %-7s %-24s %-24s %s\n", "payload", "with limits", "no description",
              "ratio limits/none");
      printf ("   %-7s %10.0f msgs/s %9s %10.0f msgs/s %9s %5.2fx\n", "JSON 64",
              med[LIMITS_ON].msgs_per_s, "", med[LIMITS_OFF].msgs_per_s, "", ratio);
      s_print_losses ("limits", med[LIMITS_ON], TRUE);
      s_print_losses ("none", med[LIMITS_OFF], TRUE);
      fflush (stdout);
      json_decref (jlimits);
      jlimits = json_pack ("{s:I, s:i, s:o, s:o, s:f}", "payload_bytes", (json_int_t) l.size,
                           "messages", (int) n,
                           "limits", bench_tput_json (med[LIMITS_ON], TRUE, "server_dropped"),
                           "none", bench_tput_json (med[LIMITS_OFF], TRUE, "server_dropped"),
                           "ratio_msgs", ratio);
    }

  if (!no_rate)
    {
      printf ("\n2. Rate fidelity of periodic streams: one thread per frequency on "
              "absolute deadlines, JSON result of \"(int32 work_us) -> int64\"\n");
      printf ("   from the tick timestamps of the messages: achieved = (messages-1)/"
              "(last-first); jitter = |period - 1/rate|\n");
      fflush (stdout);
      for (int f = 0; f < N_RATES; f++)
        for (int w = 0; w < N_WORKS; w++)
          {
            double seconds = rate_seconds > 0 ? rate_seconds
                             : quick ? s_quick_rate_seconds[f] : s_rate_seconds[f];

            rates[f][w] = s_rate_run (s_rates[f], s_works_us[w], seconds);
            if (verbose)
              fprintf (stderr, "rate %g Hz work %d us: %.4f Hz\n", s_rates[f],
                       s_works_us[w], rates[f][w].achieved_hz);
          }

      printf ("\n   %7s %7s %5s %7s %12s %9s %11s %9s %9s %9s %9s %7s\n", "rate", "work",
              "secs", "msgs", "achieved Hz", "error %", "expected Hz", "jit p50",
              "jit p99", "jit max", "overruns", "missed");
      for (int f = 0; f < N_RATES; f++)
        for (int w = 0; w < N_WORKS; w++)
          {
            RateResult *x = &rates[f][w];

            printf ("   %4.0f Hz %4d us %5.1f %7" G_GUINT64_FORMAT " %12.3f %+9.3f %11.1f "
                    "%6.1f us %6.1f us %6.0f us %9" G_GUINT64_FORMAT " %7" G_GUINT64_FORMAT,
                    x->hz, x->work_us, x->seconds, x->messages, x->achieved_hz,
                    x->error_pct, x->expected_hz, x->p50_us, x->p99_us, x->max_us,
                    x->overruns, x->missed);
            if (x->hz == 1000 && x->work_us == 0)
              printf ("  (target |error| < 0.1%%: %s)",
                      bench_met (fabs (x->error_pct) < 0.1));
            else if (x->work_us >= 1e6 / x->hz)
              printf ("  (work > period: overruns)");
            printf ("\n");
            json_array_append_new (jrate, json_pack (
              "{s:f, s:i, s:f, s:I, s:f, s:f, s:f, s:f, s:f, s:f, s:I, s:I, s:I, s:I}",
              "hz", x->hz, "work_us", x->work_us, "seconds", x->seconds,
              "messages", (json_int_t) x->messages, "achieved_hz", x->achieved_hz,
              "error_pct", x->error_pct, "expected_hz", x->expected_hz,
              "jitter_p50_us", x->p50_us, "jitter_p99_us", x->p99_us,
              "jitter_max_us", x->max_us, "overruns", (json_int_t) x->overruns,
              "overruns_total", (json_int_t) x->overruns_total,
              "late_messages", (json_int_t) x->late_messages,
              "missed", (json_int_t) x->missed));
          }
      printf ("   overruns: deadlines missed within the window (from the headers); "
              "expected Hz: a thread that\n   skips missed deadlines runs every "
              "floor(work/period)+1 periods when the work does not fit.\n");
    }

  if (!no_punctual)
    {
      static const double hzs[] = { 100, 1000 };
      RateResult long_bare, long_stream, long_rt = { 0 };
      gboolean realtime_ok;

      printf ("\n3. Punctuality: a periodic stream (no work) against a bare clock_nanosleep "
              "loop at the same rate,\n   default scheduling and timer slack, stamping "
              "every wake with the wall clock, both running at\n   the same time; %d pairs "
              "of runs, medians; jitter = |period - 1/rate|\n", punctual_reps);
      {
        /* The realtime column where this process may use it. */
        OlServer *probe = ol_server_new ("tcp://127.0.0.1:*", "tcp://127.0.0.1:*");
        GError *rt_error = NULL;

        realtime_ok = ol_server_set_realtime (probe, OL_REALTIME_DEFAULT_PRIORITY, &rt_error)
                      && ol_server_set_realtime (probe, 0, &rt_error);
        if (!realtime_ok)
          printf ("   (no realtime column: %s)\n", rt_error->message);
        g_clear_error (&rt_error);
        ol_server_free (&probe);
      }
      printf ("\n   %7s %12s %12s %12s %12s %10s %-32s %s\n", "rate", "bare p50", "bare p99",
              "stream p50", "stream p99", "p99 ratio", "(ratios of the pairs: min-max)",
              realtime_ok ? "realtime p99" : "");
      fflush (stdout);
      for (gsize f = 0; f < G_N_ELEMENTS (hzs); f++)
        {
          double seconds = quick ? 0.5 : hzs[f] < 1000 ? 8.0 : 4.0;
          double *b50 = g_new (double, punctual_reps), *b99 = g_new (double, punctual_reps);
          double *s50 = g_new (double, punctual_reps), *s99 = g_new (double, punctual_reps);
          double *ratios = g_new (double, punctual_reps);
          double *r99 = g_new (double, punctual_reps);
          double ratio, lo = INFINITY, hi = 0;

          for (int i = 0; i < punctual_reps; i++)
            {
              RateResult b, st;
              BareLoop loop;
              GThread *t;

              /* At the same time, so that the machine's load hits both alike. */
              t = s_bare_start (&loop, hzs[f], seconds);
              st = s_rate_run (hzs[f], 0, seconds);
              b = s_bare_finish (&loop, t);
              b50[i] = b.p50_us;
              b99[i] = b.p99_us;
              s50[i] = st.p50_us;
              s99[i] = st.p99_us;
              if (realtime_ok)
                {
                  s_rate_realtime = OL_REALTIME_DEFAULT_PRIORITY;
                  r99[i] = s_rate_run (hzs[f], 0, seconds).p99_us;
                  s_rate_realtime = 0;
                }
              ratios[i] = b.p99_us > 0 ? st.p99_us / b.p99_us : NAN;
              lo = MIN (lo, ratios[i]);
              hi = MAX (hi, ratios[i]);
              if (verbose)
                fprintf (stderr, "punctual %g Hz pair %d: p99 bare %.1f us, stream %.1f us\n",
                         hzs[f], i + 1, b.p99_us, st.p99_us);
            }
          ratio = bench_median (s99, punctual_reps) / bench_median (b99, punctual_reps);
          {
            g_autofree char *range = g_strdup_printf ("(%.2f-%.2f; target <= 1.5x: %s)", lo, hi,
                                                      bench_met (ratio <= 1.5));

            printf ("   %4.0f Hz %9.1f us %9.1f us %9.1f us %9.1f us %9.2fx  %-32s", hzs[f],
                    bench_median (b50, punctual_reps), bench_median (b99, punctual_reps),
                    bench_median (s50, punctual_reps), bench_median (s99, punctual_reps), ratio,
                    range);
            if (realtime_ok)
              printf (" %9.1f us", bench_median (r99, punctual_reps));
            printf ("\n");
          }
          json_array_append_new (jpunctual, json_pack (
            "{s:f, s:f, s:f, s:f, s:f, s:f, s:f}", "hz", hzs[f], "seconds", seconds,
            "bare_jitter_p50_us", bench_median (b50, punctual_reps),
            "bare_jitter_p99_us", bench_median (b99, punctual_reps),
            "stream_jitter_p50_us", bench_median (s50, punctual_reps),
            "stream_jitter_p99_us", bench_median (s99, punctual_reps), "ratio_p99", ratio));
          g_free (b50);
          g_free (b99);
          g_free (s50);
          g_free (s99);
          g_free (ratios);
          g_free (r99);
          fflush (stdout);
        }
      {
        BareLoop loop;
        GThread *t = s_bare_start (&loop, 1000, punctual_seconds);

        long_stream = s_rate_run (1000, 0, punctual_seconds);
        long_bare = s_bare_finish (&loop, t);
      }
      if (realtime_ok)
        {
          s_rate_realtime = OL_REALTIME_DEFAULT_PRIORITY;
          long_rt = s_rate_run (1000, 0, punctual_seconds);
          s_rate_realtime = 0;
        }
      printf ("\n   %.0f s at 1 kHz: overruns (deadlines gone at a wake): bare loop %"
              G_GUINT64_FORMAT ", stream %" G_GUINT64_FORMAT "; jitter p99 bare %.1f us, "
              "stream %.1f us; max bare %.0f us, stream %.0f us\n", punctual_seconds,
              long_bare.overruns, long_stream.overruns, long_bare.p99_us, long_stream.p99_us,
              long_bare.max_us, long_stream.max_us);
      if (realtime_ok)
        printf ("   realtime stream (SCHED_FIFO %d): overruns %" G_GUINT64_FORMAT ", jitter p99 "
                "%.1f us, max %.0f us\n", OL_REALTIME_DEFAULT_PRIORITY, long_rt.overruns,
                long_rt.p99_us, long_rt.max_us);
      json_array_append_new (jpunctual, json_pack (
        "{s:f, s:f, s:I, s:I, s:f, s:f}", "hz", 1000.0, "seconds", punctual_seconds,
        "bare_overruns", (json_int_t) long_bare.overruns,
        "stream_overruns", (json_int_t) long_stream.overruns,
        "bare_jitter_p99_us", long_bare.p99_us, "stream_jitter_p99_us", long_stream.p99_us));
    }

  if (json_out)
    {
      bench_print_json (json_pack ("{s:s, s:b, s:b, s:i, s:i, s:s, s:o, s:o, s:o, s:o}",
                                   "bench", "streams", "quick", quick, "curve", curve,
                                   "reps", reps,
                                   "cpus", g_get_num_processors (),
                                   "tcp_congestion_control", cc,
                                   "throughput", jtput, "limits", jlimits,
                                   "rate", jrate, "punctuality", jpunctual));
    }
  else
    {
      json_decref (jtput);
      json_decref (jlimits);
      json_decref (jrate);
      json_decref (jpunctual);
    }
  g_free (cc);
  g_ptr_array_unref (s_retired_servers);
  return 0;
}
