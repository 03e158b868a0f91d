/* Helpers shared by the benchmark programs: errors, clocks, medians and
 * percentiles, options, the JSON summary and raw libzmq sockets. */
#pragma once

#include <stddef.h>

#include <glib.h>
#include <jansson.h>
#include <zmq.h>

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

/* The options every benchmark has, as GOptionEntry initialisers. */
#define BENCH_OPTION_QUICK(var, description) \
  { "quick", 'q', 0, G_OPTION_ARG_NONE, (var), (description), NULL }
#define BENCH_OPTION_JSON(var) \
  { "json", 'j', 0, G_OPTION_ARG_NONE, (var), \
    "Also print the results as one JSON line at the end", NULL }
#define BENCH_OPTION_REPS(var, description) \
  { "reps", 'r', 0, G_OPTION_ARG_INT, (var), (description), "N" }
#define BENCH_OPTION_VERBOSE(var) \
  { "verbose", 'v', 0, G_OPTION_ARG_NONE, (var), "Print every repetition on stderr", NULL }
#define BENCH_OPTION_END { NULL, 0, 0, 0, NULL, NULL, NULL }

/* Parses the command line against entries (parameter_string and summary as
 * for g_option_context_new() and g_option_context_set_summary()). On an
 * error prints "NAME: message" on stderr and exits with status 2. */
void bench_parse_options (int *argc, char ***argv, const char *parameter_string,
                          const char *summary, const GOptionEntry *entries);

/* Prints summary as one compact JSON line and releases it; a NULL summary
 * (json_pack() failed) is fatal. */
void bench_print_json (json_t *summary);

/* ------------------------------------------------------------------------ */
/* Threads */

/* Sets *flag under lock and wakes the waiters on cond. */
void bench_set_flag (GMutex *lock, GCond *cond, gboolean *flag);

/* Waits at most timeout_ms for *flag (set under lock, signalled on cond);
 * FALSE if it was not set in time. */
gboolean bench_wait_flag (GMutex *lock, GCond *cond, const gboolean *flag,
                          int timeout_ms);

/* ------------------------------------------------------------------------ */
/* Raw libzmq */

/* A new ZeroMQ context; failing is fatal. */
void *bench_zmq_ctx_new (void);

/* A new socket with ZMQ_LINGER 0; failing is fatal. */
void *bench_socket (void *ctx, int type);

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
