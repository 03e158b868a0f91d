/* Helpers shared by the integration tests: processes, endpoints, bounded waits. */
#pragma once

#include <sys/types.h>

#include <gio/gio.h>
#include <oneliner/oneliner.h>

/* Path of a program built in the build tree (OL_BUILD_DIR), e.g.
 * "tools/oneliner-demo-server". (transfer full) */
char *tu_build_path (const char *relative);

/* A unique ipc endpoint in a fresh temporary directory. (transfer full) */
char *tu_ipc_endpoint (const char *name);

/* A process started by tu_spawn. */
typedef struct {
  GSubprocess *proc;          /* (owned) */
  GDataInputStream *out;      /* (owned) its stdout, line by line */
  GString *lines;             /* every stdout line read so far */
} TuProcess;

/* Starts argv (NULL-terminated; argv[0] relative to the build dir) with
 * stdout piped. (transfer full) */
TuProcess *tu_spawn (const char *const *argv);

/* The same with stderr merged into the stdout pipe. (transfer full) */
TuProcess *tu_spawn_merged (const char *const *argv);

/* Reads stdout lines until one contains needle, within timeout_ms. Returns
 * the line (transfer full) or NULL on timeout or end of output. */
char *tu_wait_line (TuProcess *p, const char *needle, int timeout_ms);

/* Starts a server program (oneliner-demo-server, oneliner-relay) on free
 * loopback ports with --rpc and --stream (extra arguments appended) and
 * returns it once it prints its "serving" line; *rpc gets its RPC endpoint
 * and tu_demo_stream_endpoint() its stream endpoint. */
TuProcess *tu_spawn_server (const char *program, char **rpc, const char *const *extra);

/* Starts oneliner-demo-server on a free loopback port (extra arguments
 * appended) and returns it once it serves; *rpc gets its RPC endpoint. */
TuProcess *tu_spawn_demo_server (char **rpc, const char *const *extra);

/* The stream endpoint a demo server printed on its "serving" line.
 * (transfer full) */
char *tu_demo_stream_endpoint (TuProcess *p);

/* A test fixture: oneliner-demo-server with --speed 0 (instant moves), for
 * g_test_add (..., TuDemo, NULL, tu_demo_setup, test, tu_demo_teardown). */
typedef struct {
  TuProcess *server;
  char *rpc;
  char *stream;
} TuDemo;
void tu_demo_setup (TuDemo *d, gconstpointer data);
void tu_demo_teardown (TuDemo *d, gconstpointer data);

/* Sends signal and waits at most timeout_ms for the exit. Returns TRUE if it
 * exited; *status gets the exit status (or 128 + signal). */
gboolean tu_kill_wait (TuProcess *p, int signal, int timeout_ms, int *status);

/* SIGSTOPs pid and waits at most timeout_ms until every one of its threads
 * is stopped (kill() returns once the signal is queued; a thread already
 * awake may still answer until the one that takes it stops the others).
 * Returns TRUE once all are stopped. */
gboolean tu_stop (pid_t pid, int timeout_ms);

/* Waits for exit without signalling. */
gboolean tu_wait (TuProcess *p, int timeout_ms, int *status);

void tu_process_free (TuProcess *p);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TuProcess, tu_process_free)

/* Runs a command to completion within timeout_ms, capturing stdout and stderr.
 * Returns the exit status, or -1 on timeout (the process is killed). */
int tu_run (const char *const *argv, int timeout_ms, char **out, char **err);

/* Polls cond(data) every few milliseconds until it is true or timeout_ms
 * passes, iterating the thread-default main context. */
gboolean tu_wait_until (gboolean (*cond) (gpointer), gpointer data, int timeout_ms);
