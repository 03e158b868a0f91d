/* Helpers shared by the benchmark programs: errors, clocks, medians and
 * percentiles, options, the JSON summary and the report, threads,
 * throughput records, oneliner calls and streams, and raw libzmq sockets,
 * proxies and streams. */
#pragma once

#include <stddef.h>

#include <glib.h>
#include <jansson.h>
#include <zmq.h>

#include "oneliner/client.h"
#include "oneliner/server.h"
#include "oneliner/stream.h"

/* ------------------------------------------------------------------------ */
/* The bounds and rates the programs share */

/* The bound of every wait for a reply, a message, a connection, a thread or
 * a subscription. */
#define BENCH_WAIT_MS 5000
/* Once the producer is done, a run ends when nothing came for this long:
 * the messages still missing were lost. */
#define BENCH_QUIET_MS 1000
/* Receive loops look at their deadlines at least this often. */
#define BENCH_POLL_MS 100
/* Raw threads look at their stop flag at least this often. */
#define BENCH_RAW_POLL_MS 100
/* The high-water marks of oneliner's sockets (stream sockets: feeder PUB,
 * proxy XSUB and XPUB, client SUB), used for the raw sockets as well. */
#define BENCH_HWM 100000
/* The back-off of a producer whose send was refused (queue or HWM full). */
#define BENCH_BACKOFF_US 20
/* Probes go out this often until the subscriber sees one. */
#define BENCH_PROBE_MS 2

/* ------------------------------------------------------------------------ */
/* Errors and clocks */

/* The name bench_die() and bench_parse_options() put before their messages,
 * e.g. "bench-rpc". */
void bench_set_program_name (const char *name);

/* Flushes stdout, prints "NAME: message" on stderr and exits with status 1. */
G_GNUC_NORETURN G_GNUC_PRINTF (1, 2) void bench_die (const char *format, ...);

/* CLOCK_MONOTONIC in nanoseconds. */
gint64 bench_now_ns (void);

/* CLOCK_REALTIME in nanoseconds. */
gint64 bench_wall_ns (void);

/* ------------------------------------------------------------------------ */
/* Sorting, medians and percentiles */

void bench_sort_doubles (double *values, gsize n);
void bench_sort_i64 (gint64 *values, gsize n);

/* The median of n values (sorts them). */
double bench_median (double *values, int n);

/* The median of one double field of n structures of stride bytes, the field
 * at offset bytes into each. */
double bench_median_field (const void *items, int n, gsize stride, gsize offset);

/* The median of items[0..n-1].field, items an array of type. */
#define BENCH_MEDIAN_FIELD(items, n, type, field) \
  bench_median_field ((items), (n), sizeof (type), G_STRUCT_OFFSET (type, field))

/* The p-th percentile of n sorted values (nearest rank below); 0 if n is 0. */
double bench_percentile (const double *sorted, guint n, int p);
gint64 bench_percentile_i64 (const gint64 *sorted, guint n, int p);

/* ------------------------------------------------------------------------ */
/* Options and the JSON summary */

/* The options of the benchmarks, as GOptionEntry initialisers (every one
 * has QUICK, JSON, REPS and VERBOSE). */
#define BENCH_OPTION_QUICK(var, description) \
  { "quick", 'q', 0, G_OPTION_ARG_NONE, (var), (description), NULL }
#define BENCH_OPTION_JSON(var) \
  { "json", 'j', 0, G_OPTION_ARG_NONE, (var), \
    "Also print the results as one JSON line at the end", NULL }
#define BENCH_OPTION_REPS(var, description) \
  { "reps", 'r', 0, G_OPTION_ARG_INT, (var), (description), "N" }
#define BENCH_OPTION_VERBOSE(var) \
  { "verbose", 'v', 0, G_OPTION_ARG_NONE, (var), "Print every repetition on stderr", NULL }
#define BENCH_OPTION_CALLS(var, description) \
  { "calls", 'n', 0, G_OPTION_ARG_INT, (var), (description), "N" }
#define BENCH_OPTION_SCALE(var) \
  { "scale", 's', 0, G_OPTION_ARG_DOUBLE, (var), \
    "Multiply the message counts of the throughput runs by F (default 1)", "F" }
#define BENCH_OPTION_SIZE(var, description) \
  { "size", 0, 0, G_OPTION_ARG_INT, (var), (description), "BYTES" }
#define BENCH_OPTION_END { NULL, 0, 0, 0, NULL, NULL, NULL }

/* Parses the command line against entries (parameter_string and summary as
 * for g_option_context_new() and g_option_context_set_summary()). On an
 * error prints "NAME: message" on stderr and exits with status 2. */
void bench_parse_options (int *argc, char ***argv, const char *parameter_string,
                          const char *summary, const GOptionEntry *entries);

/* Sets *count, if it is 0 (not given), to quick_n or full_n; returns the
 * warm-up for it: a tenth of it, at least min_warmup. */
guint bench_count_default (int *count, gboolean quick, int quick_n, int full_n,
                           guint min_warmup);

/* Prints summary as one compact JSON line and releases it; a NULL summary
 * (json_pack() failed) is fatal. */
void bench_print_json (json_t *summary);

/* ------------------------------------------------------------------------ */
/* CURVE (--curve): the oneliner side with keys, raw libzmq as it is */

#define BENCH_OPTION_CURVE(var) \
  { "curve", 0, 0, G_OPTION_ARG_NONE, (var), \
    "Give the oneliner server CURVE keys and its clients keys of their own " \
    "(raw libzmq stays without)", NULL }

/* Makes a server key pair and a client key pair (zmq_curve_keypair) in a
 * temporary directory, removed at exit, and an authorized keys file with the
 * client's key as control; the servers and clients made with the functions
 * below use them from then on. Failing is fatal. */
void bench_curve_init (void);

/* Whether bench_curve_init() was called. */
gboolean bench_curve_enabled (void);

/* Gives server the server keys, if bench_curve_init() was called; failing
 * is fatal. */
void bench_server_keys (OlServer *server);

/* ol_client_new(), or ol_client_new_with_keys() with the client keys if
 * bench_curve_init() was called. */
OlClient *bench_client_new (const char *rpc_endpoint, const char *stream_endpoint,
                            GError **error);

/* Makes a raw socket that connects to the oneliner server a CURVE client
 * with the client keys, if bench_curve_init() was called. */
void bench_curve_socket (void *socket);

/* ------------------------------------------------------------------------ */
/* The report */

/* "met" or "NOT MET". */
const char *bench_met (gboolean met);

/* The kernel's default TCP congestion control (it shapes loopback
 * throughput: BBR paces a connection at its bandwidth estimate), "unknown"
 * if it cannot be read. (transfer full) */
char *bench_congestion_control (void);

/* TRUE if the payload size is measured: only_size is 0 (all) or size. */
gboolean bench_size_selected (gsize size, int only_size);

/* ------------------------------------------------------------------------ */
/* Throughput records */

/* One throughput run, or the medians and sums of repetitions. */
typedef struct {
  double msgs_per_s;
  double mb_per_s;
  guint64 sent;            /* messages the producer published */
  guint64 received;        /* of them, taken by the subscriber */
  guint64 retries;         /* refused sends retried after a back-off */
  guint64 missed;          /* oneliner: client counter, gaps in sequences */
  guint64 overflowed;      /* oneliner: client counter, full queue */
  guint64 server_dropped;  /* oneliner: lost in the server of the stream (BUSY
                            * excluded) */
} BenchTput;

/* The rates of received messages of size bytes in elapsed_ns; a run that
 * received nothing is fatal. */
BenchTput bench_tput (guint64 sent, guint64 received, gint64 elapsed_ns, gsize size);

/* The medians of the rates and the sums of the counts of n repetitions. */
BenchTput bench_tput_median (const BenchTput *reps, int n);

/* Fills the losses oneliner reports: the client's counters from c0 to c1
 * and, of dropped (the server's "dropped" statistic over the run), what is
 * not a push refused with BUSY (counted in t->retries and retried). */
void bench_tput_set_losses (BenchTput *t, const OlStreamCounters *c0,
                            const OlStreamCounters *c1, guint64 dropped);

/* The record as a JSON object; with oneliner also its client counters and
 * server_dropped under the name dropped_key. */
json_t *bench_tput_json (BenchTput t, gboolean oneliner, const char *dropped_key);

/* Prints repetition rep (from 1) of payload size_name, oneliner o against
 * raw r, on stderr. */
void bench_print_tput_rep (int rep, const char *size_name, const BenchTput *o,
                           const BenchTput *r);

/* Prints "WHO lost L of S" after indent spaces, WHO padded to 8 columns,
 * then detail (NULL: nothing), then the sends retried after
 * BENCH_BACKOFF_US, and a newline. */
void bench_print_losses (int indent, const char *who, const BenchTput *t, const char *detail);

/* A payload of size bytes, every byte written. (transfer full) */
void *bench_payload_new (gsize size);

/* ------------------------------------------------------------------------ */
/* Threads */

/* Sets *flag under lock and wakes the waiters on cond. */
void bench_set_flag (GMutex *lock, GCond *cond, gboolean *flag);

/* Waits at most timeout_ms for *flag (set under lock, signalled on cond);
 * FALSE if it was not set in time. */
gboolean bench_wait_flag (GMutex *lock, GCond *cond, const gboolean *flag,
                          int timeout_ms);

/* A thread that signals once it is ready and looks at its stop flag. */
typedef struct {
  GThread *thread;
  GMutex lock;
  GCond cond;
  gboolean ready;
  gint stop;  /* atomic */
} BenchThread;

/* Starts func (data) in a thread called name (t zero-initialised) and waits
 * at most BENCH_WAIT_MS for it to call bench_thread_ready (t); failing that
 * is fatal ("WHAT did not start within N ms"). */
void bench_thread_start (BenchThread *t, const char *name, GThreadFunc func,
                         gpointer data, const char *what);

void bench_thread_ready (BenchThread *t);

/* TRUE once bench_thread_stop() was called. */
gboolean bench_thread_stopping (BenchThread *t);

/* Sets the stop flag, joins the thread and clears t. */
void bench_thread_stop (BenchThread *t);

/* ------------------------------------------------------------------------ */
/* oneliner */

/* Fatal unless result is the integer expected: "WHAT: call failed: ..." or
 * "WHAT: unexpected result". */
void bench_check_result (json_t *result, GError *error, json_int_t expected,
                         const char *what);

/* A statistic of stream name from ol_server_list_streams() (its stats.key);
 * a missing one is fatal. */
guint64 bench_stream_stat (OlServer *server, const char *name, const char *key);

/* The counters of the configured stream name of client; failing is fatal. */
void bench_stream_counters (OlClient *client, const char *name, OlStreamCounters *c);

/* A new client of server (so a new TCP connection) that keeps stream name
 * in a queue of depth; failing is fatal. (transfer full) */
OlClient *bench_stream_client (OlServer *server, const char *name, guint depth);

/* The next message of stream name, waiting at most timeout_ms; NULL if none
 * came. Any other failure is fatal. (transfer full) */
OlStreamMessage *bench_stream_get (OlClient *client, const char *name, int timeout_ms);

/* ------------------------------------------------------------------------ */
/* Raw libzmq */

/* A new ZeroMQ context; failing is fatal. */
void *bench_zmq_ctx_new (void);

/* A new socket with ZMQ_LINGER 0; failing is fatal. */
void *bench_socket (void *ctx, int type);

/* A new socket with ZMQ_LINGER 0, both high-water marks BENCH_HWM and a
 * send timeout of BENCH_WAIT_MS (it bounds a send that waits for a peer or
 * for room). */
void *bench_socket_bounded (void *ctx, int type);

/* Connects socket to endpoint; failing is fatal: "WHAT: cannot VERB
 * ENDPOINT: error", "WHAT: " left out if what is NULL (verb e.g. "connect
 * to"). */
void bench_connect (void *socket, const char *endpoint, const char *what,
                    const char *verb);

/* Binds a free tcp loopback port and writes the resolved endpoint; failing
 * is fatal, the message prefixed with "what: " unless what is NULL. */
void bench_bind_any (void *socket, char *endpoint, size_t size, const char *what);

/* Initialises msg and receives one frame into it, with ZMQ_DONTWAIT if
 * dontwait. Returns FALSE (msg closed) if dontwait and nothing was there;
 * any other failure is fatal. On TRUE the caller closes msg. */
gboolean bench_recv_frame (void *socket, zmq_msg_t *msg, gboolean dontwait,
                           const char *what);

/* zmq_poll(); returns its result, -1 only if a signal interrupted it. Any
 * other failure is fatal. */
int bench_poll (zmq_pollitem_t *items, int n, long timeout_ms, const char *what);

/* One frame of raw bytes. */
typedef struct {
  const char *data;
  size_t len;
} BenchPayload;

/* A thread that owns raw sockets: a server that answers every request with
 * reply, or a proxy whose back end connects to upstream. It binds endpoint,
 * then calls bench_thread_ready (&t->base), and serves until
 * bench_thread_stopping (&t->base). */
typedef struct {
  BenchThread base;
  void *ctx;
  const char *name;        /* for messages */
  int type;                /* a server's socket type */
  BenchPayload reply;      /* a server's reply to every request */
  char upstream[256];      /* where a proxy's back end connects */
  char endpoint[256];      /* bound, set before ready */
} BenchRawThread;

/* Starts func (t) in a thread called thread_name with the fields above
 * (upstream may be NULL) and waits at most BENCH_WAIT_MS until it is ready;
 * failing that is fatal ("NAME did not start within N ms"). */
BenchRawThread *bench_raw_thread_start (void *ctx, const char *thread_name, const char *name,
                                        GThreadFunc func, int type, const char *upstream,
                                        BenchPayload reply);

/* Stops and joins the thread, and frees t. */
void bench_raw_thread_free (BenchRawThread *t);

/* Sends p as one frame, writing a fresh message buffer first as any sender
 * that serialises its message would; failing is fatal. */
void bench_send_payload (void *socket, const BenchPayload *p, int flags, const char *what);

/* Waits at most wait_ms for socket to become readable; failing that is
 * fatal: "WHAT: NOTHING within N ms" (nothing e.g. "no reply"). */
void bench_wait_readable (void *socket, int wait_ms, const char *nothing, const char *what);

/* Receives one whole message into frames (at most max), not waiting;
 * returns its number of frames, 0 if none was there. The caller closes
 * them. A longer message is fatal: "WHAT: a message of more than MAX
 * frames", followed by ", not SHAPE" unless shape is NULL. */
int bench_recv_frames (void *socket, zmq_msg_t *frames, int max, const char *what,
                       const char *shape);

void bench_close_frames (zmq_msg_t *frames, int n);

/* Moves one whole message from src to dst; FALSE when src had none. A send
 * that finds no room waits for the send timeout of dst (BENCH_WAIT_MS),
 * then aborts. */
gboolean bench_forward (void *src, void *dst, const char *what);

/* The loop of a proxy between a and b until *stop (atomic) is set: polls at
 * most BENCH_RAW_POLL_MS, then moves at most batch messages from a to b and
 * batch from b to a. */
void bench_proxy_loop (void *a, void *b, int batch, gint *stop, const char *what);

/* The sockets of a raw stream proxy as oneliner's: an XSUB and an XPUB with
 * the high-water marks BENCH_HWM, the XPUB ZMQ_XPUB_NODROP with a send
 * timeout of BENCH_WAIT_MS (a forward waits for room; a subscriber that
 * takes nothing for that long aborts the run). */
void bench_stream_proxy_sockets (void *ctx, void **xsub, void **xpub);

/* A new PUB socket with the send high-water mark BENCH_HWM and
 * ZMQ_XPUB_NODROP (a send finds the socket full instead of dropping). */
void *bench_pub_new (void *ctx);

/* A new SUB socket with the receive high-water mark BENCH_HWM, connected to
 * endpoint (verb as for bench_connect()) and subscribed to topic with its NUL
 * (as oneliner subscribes). */
void *bench_sub_new (void *ctx, const char *endpoint, const char *topic, const char *verb);

/* The data-plane header (docs/PROTOCOL.md, "Data plane"). */
#define BENCH_HEADER_SIZE 48

void bench_header_encode (guint8 out[BENCH_HEADER_SIZE], guint64 sequence, gint64 timestamp);
guint64 bench_header_sequence (const guint8 *header);

/* Sends [topic "TOPIC\0", header with seq, payload of size bytes] on pub,
 * the payload copied if copy, otherwise sent as it is (it must outlive the
 * send). Returns FALSE if the PUB refused the message (at its HWM); any other
 * failure is fatal. */
gboolean bench_pub_send (void *pub, const char *topic, guint64 seq, const void *payload,
                         gsize size, gboolean copy);

/* Receives one whole raw stream message [topic, header, payload] from sub
 * without waiting; FALSE if none was there. Its sequence number goes to
 * *seq, its payload size to *size, and the payload to copy if it is
 * copy_size bytes (copy may be NULL). A message of another shape is fatal;
 * shape (NULL or "[topic, header, payload]") as for bench_recv_frames(). */
gboolean bench_stream_recv (void *sub, const char *shape, guint64 *seq, gsize *size,
                            void *copy, gsize copy_size);

/* ------------------------------------------------------------------------ */
/* Producers and receive loops */

/* Sends the message of stream k with sequence number seq (on pub, for a raw
 * producer); FALSE if it was refused (a full queue or HWM). */
typedef gboolean (*BenchSendFunc) (gpointer data, void *pub, int k, guint64 seq);

/* Sends messages of stream k with sequence 0 every BENCH_PROBE_MS until
 * *live (atomic) is set, for at most BENCH_WAIT_MS. */
void bench_send_probes (BenchSendFunc send, gpointer data, void *pub, int k, gint *live);

/* Sends sequences 1..n of stream k, each refused send retried after
 * BENCH_BACKOFF_US; then stores under lock the time before the first send in
 * *start_ns and the retries in *retries. FALSE if a message was refused for
 * BENCH_WAIT_MS. */
gboolean bench_send_run (BenchSendFunc send, gpointer data, void *pub, int k, guint64 n,
                         GMutex *lock, gint64 *start_ns, guint64 *retries);

/* For a receive loop that found no message: TRUE if the run is over, the
 * producer done (producing FALSE) and nothing came for BENCH_QUIET_MS since
 * last_progress (the rest was lost). Nothing for BENCH_WAIT_MS is fatal:
 * "KIND stream "NAME": no message within N ms". */
gboolean bench_run_quiet (gint64 last_progress, gboolean producing, const char *kind,
                          const char *name);
