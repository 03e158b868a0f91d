/* bench-rpc: oneliner remote calls against raw libzmq, measured in one run
 * over tcp loopback.
 *
 *   1. blocking ol_client_call() latency and rate;
 *   2. raw REQ/REP round trip with the same request and reply bytes;
 *   3. raw DEALER/ROUTER blocking round trip with the same bytes;
 *   4. pipelined ol_client_call_async() with W calls in flight, against raw
 *      pipelined DEALER/ROUTER with the same window and bytes.
 *
 * Every measurement is preceded by a warm-up and repeated; the median of the
 * repetitions is printed with the ratio oneliner / raw.
 *
 * Every ZeroMQ socket here is created, used and closed by one thread. Every
 * wait is bounded by BENCH_WAIT_MS; a reply that does not come aborts the
 * run.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>

#include <glib.h>
#include <jansson.h>
#include <zmq.h>

#include "oneliner/client.h"
#include "oneliner/error.h"
#include "oneliner/server.h"

#include "bench_util.h"

#define N_WINDOWS 2

static const int s_windows[N_WINDOWS] = { 16, 256 };

/* ------------------------------------------------------------------------ */
/* Results */

typedef struct {
  double calls_per_s;
  double p50_us;
  double p99_us;
} Latency;

/* Sorts samples (ns) and fills the percentiles; total_ns is the wall time of
 * all n calls. */
static Latency
s_latency (gint64 *samples, guint n, gint64 total_ns)
{
  Latency l;

  bench_sort_i64 (samples, n);
  l.calls_per_s = (double) n * 1e9 / (double) total_ns;
  l.p50_us = (double) bench_percentile_i64 (samples, n, 50) / 1e3;
  l.p99_us = (double) bench_percentile_i64 (samples, n, 99) / 1e3;
  return l;
}

static Latency
s_latency_median (const Latency *reps, int n)
{
  Latency m;

  m.calls_per_s = BENCH_MEDIAN_FIELD (reps, n, Latency, calls_per_s);
  m.p50_us = BENCH_MEDIAN_FIELD (reps, n, Latency, p50_us);
  m.p99_us = BENCH_MEDIAN_FIELD (reps, n, Latency, p99_us);
  return m;
}

/* ------------------------------------------------------------------------ */
/* Raw libzmq helpers */

/* Receives one whole message (all its frames), not waiting; returns FALSE if
 * none was there. The size of its last frame goes to *last_size. */
static gboolean
s_recv_message (void *socket, size_t *last_size, const char *what)
{
  gboolean first = TRUE;
  int more = 1;

  while (more)
    {
      zmq_msg_t msg;

      if (!bench_recv_frame (socket, &msg, first, what))
        return FALSE;
      more = zmq_msg_more (&msg);
      if (last_size)
        *last_size = zmq_msg_size (&msg);
      zmq_msg_close (&msg);
      first = FALSE; /* the rest of a message is there once its first frame is */
    }
  return TRUE;
}

/* Waits for and receives one message. */
static void
s_recv_one (void *socket, const char *what)
{
  size_t size = 0;

  while (!s_recv_message (socket, &size, what))
    bench_wait_readable (socket, BENCH_WAIT_MS, "no reply", what);
  if (size == 0)
    bench_die ("%s: empty reply", what);
}

static void
s_connect (void *socket, const char *endpoint)
{
  bench_connect (socket, endpoint, NULL, "connect to");
}

/* ------------------------------------------------------------------------ */
/* Raw servers: a thread that owns a REP or ROUTER socket and answers every
 * request with the fixed reply. */

static void
s_raw_serve_one_rep (BenchRawThread *s, void *socket)
{
  bench_send_payload (socket, &s->reply, 0, "raw REP server");
}

static void
s_raw_serve_one_router (BenchRawThread *s, void *socket, zmq_msg_t *identity)
{
  if (zmq_msg_send (identity, socket, ZMQ_SNDMORE) < 0)
    bench_die ("raw ROUTER server: cannot send identity: %s", zmq_strerror (errno));
  bench_send_payload (socket, &s->reply, 0, "raw ROUTER server");
}

static gpointer
s_raw_server_thread (gpointer data)
{
  BenchRawThread *s = data;
  void *socket = bench_socket_bounded (s->ctx, s->type);
  const char *what = s->type == ZMQ_REP ? "raw REP server" : "raw ROUTER server";

  if (s->type == ZMQ_ROUTER)
    {
      int mandatory = 1;
      zmq_setsockopt (socket, ZMQ_ROUTER_MANDATORY, &mandatory, sizeof mandatory);
    }
  bench_bind_any (socket, s->endpoint, sizeof s->endpoint, NULL);
  bench_thread_ready (&s->base);

  while (!bench_thread_stopping (&s->base))
    {
      zmq_pollitem_t item = { socket, 0, ZMQ_POLLIN, 0 };

      if (bench_poll (&item, 1, BENCH_RAW_POLL_MS, what) < 0)
        continue;
      for (;;)
        {
          zmq_msg_t first;
          int more;

          if (!bench_recv_frame (socket, &first, TRUE, what))
            break;
          more = zmq_msg_more (&first);
          if (more && !s_recv_message (socket, NULL, what))
            bench_die ("%s: truncated request", what);
          if (s->type == ZMQ_REP)
            s_raw_serve_one_rep (s, socket);
          else
            s_raw_serve_one_router (s, socket, &first);
          zmq_msg_close (&first);
        }
    }
  zmq_close (socket);
  return NULL;
}

/* A raw server thread of type ZMQ_REP or ZMQ_ROUTER, started. */
static BenchRawThread *
s_raw_server_start (void *ctx, int type, BenchPayload reply)
{
  return bench_raw_thread_start (ctx, "raw-server", "raw server", s_raw_server_thread, type,
                                 NULL, reply);
}

/* ------------------------------------------------------------------------ */
/* Blocking round trips */

static int32_t
s_add (int32_t a, int32_t b)
{
  return a + b;
}

static Latency
s_oneliner_blocking (OlClient *client, json_t *args, gint64 *samples, guint n,
                     guint warmup)
{
  gint64 start = 0;

  for (guint i = 0; i < warmup + n; i++)
    {
      GError *error = NULL;
      gint64 t0 = bench_now_ns ();
      json_t *result;

      if (i == warmup)
        start = t0;
      result = ol_client_call (client, NULL, "add", args, NULL, &error);
      if (i >= warmup)
        samples[i - warmup] = bench_now_ns () - t0;
      bench_check_result (result, error, 3, "oneliner blocking call");
      json_decref (result);
    }
  return s_latency (samples, n, bench_now_ns () - start);
}

/* One raw round trip on a REQ or DEALER socket. */
static Latency
s_raw_blocking (void *socket, const BenchPayload *request, gint64 *samples, guint n,
                guint warmup, const char *what)
{
  gint64 start = 0;

  for (guint i = 0; i < warmup + n; i++)
    {
      gint64 t0 = bench_now_ns ();

      if (i == warmup)
        start = t0;
      bench_send_payload (socket, request, 0, what);
      s_recv_one (socket, what);
      if (i >= warmup)
        samples[i - warmup] = bench_now_ns () - t0;
    }
  return s_latency (samples, n, bench_now_ns () - start);
}

/* ------------------------------------------------------------------------ */
/* Pipelined calls */

typedef struct {
  OlClient *client;
  json_t *args;
  guint issued;
  guint done;
  guint target;
} Pipe;

static void s_pipe_issue (Pipe *p);

static void
s_pipe_reply (GObject *source, GAsyncResult *res, gpointer data)
{
  Pipe *p = data;
  GError *error = NULL;
  json_t *result = ol_client_call_finish (p->client, res, &error);

  (void) source;
  bench_check_result (result, error, 3, "oneliner pipelined call");
  json_decref (result);
  p->done++;
  if (p->issued < p->target)
    s_pipe_issue (p);
}

static void
s_pipe_issue (Pipe *p)
{
  p->issued++;
  ol_client_call_async (p->client, NULL, "add", p->args, NULL, NULL,
                        s_pipe_reply, p);
}

static gboolean
s_watchdog (gpointer data)
{
  (void) data;
  return G_SOURCE_CONTINUE; /* only wakes the loop to check progress */
}

/* Runs n calls, window in flight; returns the wall time in ns. */
static gint64
s_oneliner_pipelined_run (GMainContext *ctx, OlClient *client, json_t *args,
                          guint window, guint n)
{
  Pipe p = { client, args, 0, 0, n };
  guint last_done = 0;
  gint64 last_progress = g_get_monotonic_time ();
  gint64 start = bench_now_ns ();

  for (guint i = 0; i < window && i < n; i++)
    s_pipe_issue (&p);
  while (p.done < n)
    {
      g_main_context_iteration (ctx, TRUE);
      if (p.done != last_done)
        {
          last_done = p.done;
          last_progress = g_get_monotonic_time ();
        }
      else if (g_get_monotonic_time () - last_progress
               > BENCH_WAIT_MS * G_TIME_SPAN_MILLISECOND)
        bench_die ("oneliner pipelined calls: no reply within %d ms", BENCH_WAIT_MS);
    }
  return bench_now_ns () - start;
}

static double
s_oneliner_pipelined (GMainContext *ctx, OlClient *client, json_t *args,
                      guint window, guint n, guint warmup)
{
  s_oneliner_pipelined_run (ctx, client, args, window, warmup);
  return (double) n * 1e9
         / (double) s_oneliner_pipelined_run (ctx, client, args, window, n);
}

static gint64
s_raw_pipelined_run (void *dealer, const BenchPayload *request, guint window, guint n)
{
  const char *what = "raw pipelined DEALER/ROUTER";
  guint sent = 0, received = 0;
  gint64 start = bench_now_ns ();

  for (; sent < window && sent < n; sent++)
    bench_send_payload (dealer, request, 0, what);
  while (received < n)
    {
      size_t size = 0;

      if (!s_recv_message (dealer, &size, what))
        {
          bench_wait_readable (dealer, BENCH_WAIT_MS, "no reply", what);
          continue;
        }
      if (size == 0)
        bench_die ("%s: empty reply", what);
      received++;
      if (sent < n)
        {
          bench_send_payload (dealer, request, 0, what);
          sent++;
        }
    }
  return bench_now_ns () - start;
}

static double
s_raw_pipelined (void *dealer, const BenchPayload *request, guint window, guint n,
                 guint warmup)
{
  s_raw_pipelined_run (dealer, request, window, warmup);
  return (double) n * 1e9 / (double) s_raw_pipelined_run (dealer, request, window, n);
}

/* ------------------------------------------------------------------------ */
/* The exact bytes oneliner puts on the wire for the call */

typedef struct {
  gboolean done;
  json_t *result;
  GError *error;
  OlClient *client;
} Capture;

static void
s_capture_reply (GObject *source, GAsyncResult *res, gpointer data)
{
  Capture *c = data;

  (void) source;
  c->result = ol_client_call_finish (c->client, res, &c->error);
  c->done = TRUE;
}

/* Receives one message on a ROUTER socket: identity and content frame. */
static void
s_router_recv (void *router, zmq_msg_t *identity, zmq_msg_t *body)
{
  zmq_msg_init (identity);
  zmq_msg_init (body);
  if (zmq_msg_recv (identity, router, 0) < 0 || !zmq_msg_more (identity)
      || zmq_msg_recv (body, router, 0) < 0 || zmq_msg_more (body))
    bench_die ("capture: unexpected request framing");
}

/* Sends the call once through a ROUTER of our own to read the request text,
 * passes that text on to the real server to read the reply text, and hands
 * the reply back so that the call completes. */
static void
s_capture_payloads (void *ctx, GMainContext *main_ctx, const char *server_endpoint,
                    json_t *args, char **request, size_t *request_len,
                    char **reply, size_t *reply_len)
{
  char endpoint[256];
  void *router = bench_socket_bounded (ctx, ZMQ_ROUTER);
  void *dealer = bench_socket_bounded (ctx, ZMQ_DEALER);
  zmq_pollitem_t item = { router, 0, ZMQ_POLLIN, 0 };
  zmq_msg_t identity, body, answer;
  Capture c = { 0 };
  GError *error = NULL;
  gint64 deadline = g_get_monotonic_time () + BENCH_WAIT_MS * G_TIME_SPAN_MILLISECOND;

  bench_bind_any (router, endpoint, sizeof endpoint, NULL);
  bench_curve_socket (dealer);
  s_connect (dealer, server_endpoint);
  c.client = ol_client_new (endpoint, NULL, &error);
  if (c.client == NULL)
    bench_die ("capture: %s", error->message);
  ol_client_call_async (c.client, NULL, "add", args, NULL, NULL, s_capture_reply, &c);
  for (;;)
    {
      while (g_main_context_iteration (main_ctx, FALSE))
        ;
      if (zmq_poll (&item, 1, 10) > 0)
        break;
      if (g_get_monotonic_time () > deadline)
        bench_die ("capture: the oneliner client sent nothing within %d ms", BENCH_WAIT_MS);
    }
  s_router_recv (router, &identity, &body);
  *request_len = zmq_msg_size (&body);
  *request = g_strndup (zmq_msg_data (&body), *request_len);

  /* The real reply to those very bytes. */
  if (zmq_msg_send (&body, dealer, 0) < 0)
    bench_die ("capture: cannot send to the server: %s", zmq_strerror (errno));
  bench_wait_readable (dealer, BENCH_WAIT_MS, "no reply", "capture");
  zmq_msg_init (&answer);
  if (zmq_msg_recv (&answer, dealer, 0) < 0 || zmq_msg_more (&answer))
    bench_die ("capture: unexpected reply framing");
  *reply_len = zmq_msg_size (&answer);
  *reply = g_strndup (zmq_msg_data (&answer), *reply_len);

  /* Complete the call with it. */
  if (zmq_msg_send (&identity, router, ZMQ_SNDMORE) < 0
      || zmq_msg_send (&answer, router, 0) < 0)
    bench_die ("capture: cannot answer the client: %s", zmq_strerror (errno));
  deadline = g_get_monotonic_time () + BENCH_WAIT_MS * G_TIME_SPAN_MILLISECOND;
  while (!c.done)
    {
      g_main_context_iteration (main_ctx, FALSE);
      if (g_get_monotonic_time () > deadline)
        bench_die ("capture: the call did not complete within %d ms", BENCH_WAIT_MS);
      g_usleep (100);
    }
  bench_check_result (c.result, c.error, 3, "capture");
  json_decref (c.result);
  zmq_msg_close (&identity);
  zmq_msg_close (&body);
  zmq_msg_close (&answer);
  ol_client_free (&c.client);
  zmq_close (dealer);
  zmq_close (router);
}

/* ------------------------------------------------------------------------ */
/* Report */

static const char *
s_blocking_names[3] = { "oneliner", "raw REQ/REP", "raw DEALER/ROUTER" };

static void
s_print_latency_row (const char *raw_name, Latency o, Latency r)
{
  printf ("  blocking call  calls/s %9.0f     %-18s %9.0f     ratio %.2fx\n",
          o.calls_per_s, raw_name, r.calls_per_s, o.calls_per_s / r.calls_per_s);
  printf ("  blocking call  p50     %9.1f us  %-18s %9.1f us  ratio %.2fx raw "
          "(target <= 1.3x)\n",
          o.p50_us, raw_name, r.p50_us, o.p50_us / r.p50_us);
  printf ("  blocking call  p99     %9.1f us  %-18s %9.1f us  ratio %.2fx raw\n",
          o.p99_us, raw_name, r.p99_us, o.p99_us / r.p99_us);
}

static json_t *
s_latency_json (Latency l)
{
  return json_pack ("{s:f, s:f, s:f}", "calls_per_s", l.calls_per_s,
                    "p50_us", l.p50_us, "p99_us", l.p99_us);
}

/* ------------------------------------------------------------------------ */

int
main (int argc, char **argv)
{
  gboolean quick = FALSE, json_out = FALSE, verbose = FALSE, curve = FALSE;
  int reps = 5, calls = 0, pipelined_calls = 0;
  GOptionEntry entries[] = {
    BENCH_OPTION_QUICK (&quick, "Small counts: a smoke run of a few seconds"),
    BENCH_OPTION_JSON (&json_out),
    BENCH_OPTION_REPS (&reps,
      "Repetitions of each measurement; the median is printed (default 5)"),
    BENCH_OPTION_CALLS (&calls, "Blocking calls per repetition"),
    { "pipelined-calls", 'p', 0, G_OPTION_ARG_INT, &pipelined_calls,
      "Pipelined calls per repetition and window", "N" },
    BENCH_OPTION_VERBOSE (&verbose),
    BENCH_OPTION_CURVE (&curve),
    BENCH_OPTION_END,
  };
  GError *error = NULL;
  void *ctx;
  OlServer *server;
  OlClient *client;
  GMainContext *main_ctx;
  GSource *watchdog;
  json_t *args;
  char *request_text, *reply_text;
  BenchPayload request, reply;
  BenchRawThread *rep_server, *router_server;
  void *req, *dealer;
  gint64 *samples;
  guint warmup, pwarmup;
  Latency *lat[3], med[3];
  double *tput[N_WINDOWS][2], tmed[N_WINDOWS][2];

  bench_set_program_name ("bench-rpc");
  bench_parse_options (&argc, &argv, "- oneliner RPC against raw libzmq",
    "Measures blocking and pipelined oneliner calls over tcp loopback against\n"
    "raw libzmq REQ/REP and DEALER/ROUTER with the same payload bytes, and\n"
    "prints the median of the repetitions with the ratio oneliner / raw.",
    entries);
  if (reps < 1 || calls < 0 || pipelined_calls < 0)
    bench_die ("--reps must be at least 1, counts not negative");
  warmup = bench_count_default (&calls, quick, 1000, 10000, 100);
  pwarmup = bench_count_default (&pipelined_calls, quick, 5000, 50000, 1000);

  /* The oneliner server and the thread-default context of the client. */
  if (curve)
    bench_curve_init ();
  server = ol_server_new ("tcp://127.0.0.1:*", "tcp://127.0.0.1:*");
  bench_server_keys (server);
  if (!ol_server_add_function (server, "add", "(int32 a, int32 b) -> int32",
                               OL_FUNC (s_add), &error)
      || !ol_server_start (server, &error))
    bench_die ("oneliner server: %s", error->message);
  main_ctx = g_main_context_new ();
  g_main_context_push_thread_default (main_ctx);
  watchdog = g_timeout_source_new (1000);
  g_source_set_callback (watchdog, s_watchdog, NULL, NULL);
  g_source_attach (watchdog, main_ctx);
  args = json_pack ("[i, i]", 1, 2);

  ctx = bench_zmq_ctx_new ();
  s_capture_payloads (ctx, main_ctx, ol_server_get_rpc_endpoint (server), args,
                      &request_text, &request.len, &reply_text, &reply.len);
  request.data = request_text;
  reply.data = reply_text;

  client = bench_client_new (ol_server_get_rpc_endpoint (server), NULL, &error);
  if (client == NULL)
    bench_die ("oneliner client: %s", error->message);
  rep_server = s_raw_server_start (ctx, ZMQ_REP, reply);
  router_server = s_raw_server_start (ctx, ZMQ_ROUTER, reply);
  req = bench_socket_bounded (ctx, ZMQ_REQ);
  s_connect (req, rep_server->endpoint);
  dealer = bench_socket_bounded (ctx, ZMQ_DEALER);
  s_connect (dealer, router_server->endpoint);

  printf ("oneliner RPC benchmark: tcp loopback, median of %d repetitions%s\n", reps,
          curve ? "; oneliner with CURVE keys, raw libzmq without" : "");
  printf ("  request  %3zu bytes  %s\n", request.len, request_text);
  printf ("  reply    %3zu bytes  %s\n", reply.len, reply_text);
  printf ("  blocking: %d calls per repetition; pipelined: %d calls per "
          "repetition and window\n\n", calls, pipelined_calls);
  fflush (stdout);

  samples = g_new (gint64, calls);
  for (int k = 0; k < 3; k++)
    lat[k] = g_new (Latency, reps);
  for (int w = 0; w < N_WINDOWS; w++)
    for (int k = 0; k < 2; k++)
      tput[w][k] = g_new (double, reps);

  /* The kinds alternate within each repetition so that a slow phase of the
   * machine hits all of them alike. */
  for (int r = 0; r < reps; r++)
    {
      lat[0][r] = s_oneliner_blocking (client, args, samples, calls, warmup);
      lat[1][r] = s_raw_blocking (req, &request, samples, calls, warmup,
                                  "raw REQ/REP");
      lat[2][r] = s_raw_blocking (dealer, &request, samples, calls, warmup,
                                  "raw DEALER/ROUTER");
      for (int w = 0; w < N_WINDOWS; w++)
        {
          tput[w][0][r] = s_oneliner_pipelined (main_ctx, client, args,
                                                s_windows[w], pipelined_calls,
                                                pwarmup);
          tput[w][1][r] = s_raw_pipelined (dealer, &request, s_windows[w],
                                           pipelined_calls, pwarmup);
        }
      if (verbose)
        {
          for (int k = 0; k < 3; k++)
            fprintf (stderr, "rep %d: blocking %-18s %9.0f calls/s  p50 %7.1f us  "
                     "p99 %7.1f us\n", r + 1, s_blocking_names[k],
                     lat[k][r].calls_per_s, lat[k][r].p50_us, lat[k][r].p99_us);
          for (int w = 0; w < N_WINDOWS; w++)
            fprintf (stderr, "rep %d: pipelined W=%-3d oneliner %9.0f calls/s  "
                     "raw %9.0f calls/s\n", r + 1, s_windows[w],
                     tput[w][0][r], tput[w][1][r]);
        }
    }

  for (int k = 0; k < 3; k++)
    med[k] = s_latency_median (lat[k], reps);
  for (int w = 0; w < N_WINDOWS; w++)
    for (int k = 0; k < 2; k++)
      tmed[w][k] = bench_median (tput[w][k], reps);

  printf ("%-30s %-30s %s\n", "  oneliner", "  raw libzmq", "  ratio oneliner/raw");
  s_print_latency_row (s_blocking_names[1], med[0], med[1]);
  s_print_latency_row (s_blocking_names[2], med[0], med[2]);
  for (int w = 0; w < N_WINDOWS; w++)
    printf ("  pipelined W=%-3d calls/s %9.0f     %-18s %9.0f     ratio %.2fx%s\n",
            s_windows[w], tmed[w][0], "raw DEALER/ROUTER", tmed[w][1],
            tmed[w][0] / tmed[w][1],
            s_windows[w] == 256 ? " (target >= 0.25x)" : "");

  if (json_out)
    {
      json_t *pipelined = json_array ();

      for (int w = 0; w < N_WINDOWS; w++)
        json_array_append_new (pipelined, json_pack (
          "{s:i, s:f, s:f, s:f}", "window", s_windows[w],
          "oneliner_calls_per_s", tmed[w][0], "raw_calls_per_s", tmed[w][1],
          "ratio", tmed[w][0] / tmed[w][1]));
      bench_print_json (json_pack (
        "{s:s, s:b, s:b, s:i, s:i, s:i, s:I, s:I, s:{s:o, s:o, s:o, s:f, s:f}, s:o}",
        "bench", "rpc", "quick", quick, "curve", curve, "reps", reps,
        "calls", calls, "pipelined_calls", pipelined_calls,
        "request_bytes", (json_int_t) request.len,
        "reply_bytes", (json_int_t) reply.len,
        "blocking",
        "oneliner", s_latency_json (med[0]),
        "raw_req_rep", s_latency_json (med[1]),
        "raw_dealer_router", s_latency_json (med[2]),
        "p50_ratio_req_rep", med[0].p50_us / med[1].p50_us,
        "p50_ratio_dealer_router", med[0].p50_us / med[2].p50_us,
        "pipelined", pipelined));
    }

  for (int k = 0; k < 3; k++)
    g_free (lat[k]);
  for (int w = 0; w < N_WINDOWS; w++)
    for (int k = 0; k < 2; k++)
      g_free (tput[w][k]);
  g_free (samples);
  zmq_close (req);
  zmq_close (dealer);
  bench_raw_thread_free (rep_server);
  bench_raw_thread_free (router_server);
  zmq_ctx_term (ctx);
  ol_client_free (&client);
  ol_server_free (&server);
  json_decref (args);
  g_source_destroy (watchdog);
  g_source_unref (watchdog);
  g_main_context_pop_thread_default (main_ctx);
  g_main_context_unref (main_ctx);
  g_free (request_text);
  g_free (reply_text);
  return 0;
}
