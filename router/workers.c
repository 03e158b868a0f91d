/* The server's call workers: lanes, the pool's threads and the hand-off of
 * finished jobs to the RPC thread. */
#include "router/workers.h"

#include "oneliner/error.h"

/* Jobs kept for reuse by ol__workers_job_new. */
#define JOBS_KEPT 256
/* A recycled job keeps its reply buffer unless a big reply made it grow
 * beyond this. */
#define JOB_REPLY_KEEP (64 * 1024)

/* The calls of one instance (or of the free functions). */
typedef struct Lane {
  OlJob *head;            /* queued, oldest first */
  OlJob *tail;
  gboolean running;       /* a worker runs one of its calls */
  gboolean ready;         /* in the ready list */
  struct Lane *next_ready;
} Lane;

struct OlWorkers {
  OlJobRun run;
  gpointer run_data;
  OlWakeup *wake;         /* the RPC thread's */
  guint max_threads;

  OlMutex lock;           /* guards everything below but free_jobs */
  OlCond cond;            /* a lane became ready, or stopping */
  GHashTable *lanes;      /* (owned) instance -> Lane *, never shrinks */
  Lane free_lane;         /* the free functions' */
  Lane *ready_head;       /* lanes with calls and no worker, in turn */
  Lane *ready_tail;
  guint n_ready;
  guint n_idle;           /* workers waiting on cond */
  GPtrArray *threads;     /* (owned) GThread *, started ones */
  gboolean stopping;
  OlJob *done_head;       /* finished, oldest first */
  OlJob *done_tail;

  OlJob *free_jobs;       /* RPC thread only */
  guint n_free_jobs;
};

gboolean
ol__workers_bound_from_env (guint *bound, GError **error)
{
  const char *text = g_getenv (OL_CALL_THREADS_ENV);
  guint64 n;

  *bound = OL_CALL_THREADS_DEFAULT;
  if (text == NULL)
    return TRUE;
  if (!g_ascii_string_to_unsigned (text, 10, 1, OL_CALL_THREADS_MAX, &n, NULL))
    {
      g_set_error (error, OL_ERROR, OL_ERROR_FAILED,
                   "%s must be an integer from 1 to %d, not \"%s\"", OL_CALL_THREADS_ENV,
                   OL_CALL_THREADS_MAX, text);
      return FALSE;
    }
  *bound = (guint) n;
  return TRUE;
}

OlWorkers *
ol__workers_new (guint max_threads, OlJobRun run, gpointer data, OlWakeup *wake)
{
  OlWorkers *w = g_new0 (OlWorkers, 1);

  g_assert (max_threads > 0);
  w->run = run;
  w->run_data = data;
  w->wake = wake;
  w->max_threads = max_threads;
  ol__mutex_init (&w->lock);
  ol__cond_init (&w->cond);
  w->lanes = g_hash_table_new_full (NULL, NULL, NULL, g_free);
  w->threads = g_ptr_array_new ();
  return w;
}

static void
s_job_clear (OlJob *job)
{
  ol__request_clear (&job->request);
  g_clear_pointer (&job->args, json_decref);
  g_clear_pointer (&job->kwargs, json_decref);
  g_clear_pointer (&job->frames_out, g_ptr_array_unref);
  job->callable = NULL;
  job->next = NULL;
  job->ts = -1;
  job->identity_len = 0;
  job->delimited = FALSE;
}

static void
s_job_free (OlJob *job)
{
  s_job_clear (job);
  g_string_free (job->reply, TRUE);
  g_free (job);
}

OlJob *
ol__workers_job_new (OlWorkers *w)
{
  OlJob *job = w->free_jobs;

  if (job != NULL)
    {
      w->free_jobs = job->next;
      w->n_free_jobs--;
      job->next = NULL;
      return job;
    }
  job = g_new0 (OlJob, 1);
  job->ts = -1;
  job->reply = g_string_sized_new (256);
  return job;
}

void
ol__workers_job_recycle (OlWorkers *w, OlJob *job)
{
  if (w->n_free_jobs >= JOBS_KEPT || job->reply->allocated_len > JOB_REPLY_KEEP)
    {
      s_job_free (job);
      return;
    }
  s_job_clear (job);
  g_string_truncate (job->reply, 0);
  job->next = w->free_jobs;
  w->free_jobs = job;
  w->n_free_jobs++;
}

/* Puts lane at the end of the ready list. Called with lock held. */
static void
s_ready (OlWorkers *w, Lane *lane)
{
  lane->ready = TRUE;
  lane->next_ready = NULL;
  if (w->ready_tail != NULL)
    w->ready_tail->next_ready = lane;
  else
    w->ready_head = lane;
  w->ready_tail = lane;
  w->n_ready++;
}

static gpointer
s_worker (gpointer data)
{
  OlWorkers *w = data;

  ol__mutex_lock (&w->lock);
  for (;;)
    {
      Lane *lane;
      OlJob *job;
      gboolean signal;

      while (!w->stopping && w->ready_head == NULL)
        {
          w->n_idle++;
          ol__cond_wait (&w->cond, &w->lock);
          w->n_idle--;
        }
      if (w->stopping)
        break;
      lane = w->ready_head;
      w->ready_head = lane->next_ready;
      if (w->ready_head == NULL)
        w->ready_tail = NULL;
      w->n_ready--;
      lane->ready = FALSE;
      lane->running = TRUE;
      job = lane->head;
      lane->head = job->next;
      if (lane->head == NULL)
        lane->tail = NULL;
      job->next = NULL;
      ol__mutex_unlock (&w->lock);

      w->run (job, w->run_data);

      ol__mutex_lock (&w->lock);
      signal = w->done_head == NULL;
      if (w->done_tail != NULL)
        w->done_tail->next = job;
      else
        w->done_head = job;
      w->done_tail = job;
      lane->running = FALSE;
      /* Its next call waits for its turn behind the lanes already ready. */
      if (lane->head != NULL)
        s_ready (w, lane);
      if (signal)
        ol__wakeup_signal (w->wake, "the RPC thread");
    }
  ol__mutex_unlock (&w->lock);
  return NULL;
}

void
ol__workers_submit (OlWorkers *w, gconstpointer key, OlJob *job)
{
  Lane *lane;

  job->next = NULL;
  ol__mutex_lock (&w->lock);
  if (key == NULL)
    lane = &w->free_lane;
  else if ((lane = g_hash_table_lookup (w->lanes, key)) == NULL)
    {
      lane = g_new0 (Lane, 1);
      g_hash_table_insert (w->lanes, (gpointer) key, lane);
    }
  if (lane->tail != NULL)
    lane->tail->next = job;
  else
    lane->head = job;
  lane->tail = job;
  if (!lane->running && !lane->ready)
    {
      s_ready (w, lane);
      if (w->n_idle > 0)
        ol__cond_signal (&w->cond);
      if (w->n_ready > w->n_idle && w->threads->len < w->max_threads)
        g_ptr_array_add (w->threads, g_thread_new ("ol-call", s_worker, w));
    }
  ol__mutex_unlock (&w->lock);
}

OlJob *
ol__workers_take_done (OlWorkers *w)
{
  OlJob *done;

  ol__mutex_lock (&w->lock);
  done = w->done_head;
  w->done_head = w->done_tail = NULL;
  ol__mutex_unlock (&w->lock);
  return done;
}

void
ol__workers_stop (OlWorkers *w)
{
  GPtrArray *threads;

  ol__mutex_lock (&w->lock);
  w->stopping = TRUE;
  ol__cond_broadcast (&w->cond);
  threads = g_steal_pointer (&w->threads);
  w->threads = g_ptr_array_new ();
  ol__mutex_unlock (&w->lock);
  for (guint i = 0; i < threads->len; i++)
    g_thread_join (threads->pdata[i]);
  g_ptr_array_unref (threads);
}

static void
s_lane_drop (Lane *lane)
{
  while (lane->head != NULL)
    {
      OlJob *job = lane->head;

      lane->head = job->next;
      s_job_free (job);
    }
  lane->tail = NULL;
}

void
ol__workers_free (OlWorkers *w)
{
  GHashTableIter iter;
  gpointer lane;

  if (w == NULL)
    return;
  g_assert (w->threads->len == 0);
  g_hash_table_iter_init (&iter, w->lanes);
  while (g_hash_table_iter_next (&iter, NULL, &lane))
    s_lane_drop (lane);
  s_lane_drop (&w->free_lane);
  for (OlJob *job = w->done_head, *next; job != NULL; job = next)
    {
      next = job->next;
      s_job_free (job);
    }
  for (OlJob *job = w->free_jobs, *next; job != NULL; job = next)
    {
      next = job->next;
      s_job_free (job);
    }
  g_hash_table_unref (w->lanes);
  g_ptr_array_unref (w->threads);
  ol__cond_clear (&w->cond);
  ol__mutex_clear (&w->lock);
  g_free (w);
}
