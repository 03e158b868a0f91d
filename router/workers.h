/* The server's call workers: a small pool of threads that run the calls the
 * gate (router/gate.c) decoded, checked and routed, so that a slow call
 * holds only the callers of its own instance.
 *
 * Calls are queued per lane: one lane per instance, and one lane for all
 * free functions. A lane runs on at most one worker at a time, its calls in
 * the order they were queued; a worker takes the next lane that has calls
 * and is not running, one call at a time, so lanes take turns and a busy
 * instance holds one worker at most. Workers start when calls are waiting
 * and every worker is busy, up to the pool's bound.
 *
 * A worker runs the call and encodes its reply into the job; finished jobs
 * go back to the RPC thread through a list under the pool's mutex and the
 * RPC thread's wake-up, and the RPC thread sends them.
 *
 * Thread rules: ol__workers_new, _submit, _take_done, _stop and _free from
 * the RPC thread (the owner); jobs from ol__workers_job_new belong to the
 * RPC thread until submitted, to one worker while queued or running, and to
 * the RPC thread again once taken back with ol__workers_take_done.
 */
#pragma once

#include <glib.h>

#include "core/wakeup.h"
#include "router/registry.h"
#include "router/request.h"

G_BEGIN_DECLS

/* The environment variable that bounds the workers of every server. */
#define OL_CALL_THREADS_ENV "ONELINER_CALL_THREADS"
#define OL_CALL_THREADS_DEFAULT 8
#define OL_CALL_THREADS_MAX 64

typedef struct OlWorkers OlWorkers;
typedef struct OlJob OlJob;

/* Longest peer identity ROUTER gives (ZeroMQ routing ids are 1 to 255
 * bytes). */
#define OL_PEER_IDENTITY_MAX 255

struct OlJob {
  OlJob *next;              /* in a lane's queue or the done list */
  OlRequest request;        /* moved in by the gate, frames included */
  OlCallable *callable;     /* looked up by the gate */
  json_t *args;             /* (owned) (nullable) what the callable gets */
  json_t *kwargs;           /* (owned) (nullable) */
  gint64 ts;                /* the reply's "ts", or -1 */
  guint8 identity[OL_PEER_IDENTITY_MAX];
  size_t identity_len;
  gboolean delimited;       /* the peer is a REQ socket */
  GString *reply;           /* (owned) the reply's text, kept across jobs */
  GPtrArray *frames_out;    /* (owned) (nullable) the reply's attachments */
};

/* Runs a job's call and writes its reply into job->reply (and
 * job->frames_out). Called on a worker. */
typedef void (*OlJobRun) (OlJob *job, gpointer data);

/* The bound on workers from OL_CALL_THREADS_ENV: OL_CALL_THREADS_DEFAULT if
 * unset, else an integer from 1 to OL_CALL_THREADS_MAX; FALSE with
 * OL_ERROR_FAILED otherwise. */
gboolean ol__workers_bound_from_env (guint *bound, GError **error);

/* A pool of at most max_threads workers that run jobs with run (data passed
 * along) and signal wake when finished jobs wait to be taken. */
OlWorkers *ol__workers_new (guint max_threads, OlJobRun run, gpointer data, OlWakeup *wake);

/* A clear job: recycled from the jobs taken back, else new. */
OlJob *ol__workers_job_new (OlWorkers *workers);
/* Clears job and keeps it for ol__workers_job_new (or frees it). */
void ol__workers_job_recycle (OlWorkers *workers, OlJob *job);

/* Queues job on the lane of key (the callable's instance, or NULL for the
 * free functions). */
void ol__workers_submit (OlWorkers *workers, gconstpointer key, OlJob *job);

/* The finished jobs, oldest first, linked through next; NULL if none. */
OlJob *ol__workers_take_done (OlWorkers *workers);

/* Lets every worker finish the call it runs and joins them: bounded by the
 * calls in progress. Jobs still queued are dropped; finished ones stay for
 * ol__workers_take_done. */
void ol__workers_stop (OlWorkers *workers);

/* Frees the pool after ol__workers_stop and what it still holds. */
void ol__workers_free (OlWorkers *workers);

G_END_DECLS
