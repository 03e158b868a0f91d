/* A frequency group thread: periodic streams on absolute deadlines. */
#include "streamer/group.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <zmq.h>

#include "oneliner/error.h"
#include "core/startup.h"
#include "streamer/proxy.h"
#include "core/clock.h"
#include "core/socket.h"

/* The thread checks its stop flag at least this often while it waits. */
#define GROUP_MAX_SLEEP_NS (50 * 1000 * 1000)
/* A thread that wakes or finishes late by less than this runs the ticks it
 * missed at once instead of skipping them: a scheduler hiccup of a few
 * milliseconds then costs no message. Beyond it, missed ticks are skipped
 * (never bunched up without bound). */
#define GROUP_CATCH_UP_NS (10 * 1000 * 1000)

struct OlGroup {
  double hz;
  gint64 period_ns;
  char *inproc;           /* (owned) */
  GThread *thread;        /* (owned) */
  atomic_bool stop;

  atomic_int realtime;    /* SCHED_FIFO priority wanted, 0 for SCHED_OTHER */
  int realtime_applied;   /* the thread's own: the priority it runs at */

  OlStartup startup;
  OlMutex lock;           /* guards streams */
  GPtrArray *streams;     /* (owned) OlStream * references */
};

static gint64
s_now_ns (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (gint64) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Sleeps until deadline (monotonic ns), waking at least every 50 ms to check
 * the stop flag. Returns FALSE if asked to stop. */
static gboolean
s_sleep_until (OlGroup *g, gint64 deadline)
{
  for (;;)
    {
      gint64 now = s_now_ns ();
      gint64 target;
      struct timespec ts;

      if (atomic_load (&g->stop))
        return FALSE;
      if (now >= deadline)
        return TRUE;
      target = MIN (deadline, now + GROUP_MAX_SLEEP_NS);
      ts.tv_sec = target / 1000000000;
      ts.tv_nsec = target % 1000000000;
      while (clock_nanosleep (CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
        ;
    }
}

/* Runs the calling thread with SCHED_FIFO at priority, or SCHED_OTHER for 0. */
static int
s_set_scheduling (int priority)
{
  struct sched_param param = { .sched_priority = priority };

  return pthread_setschedparam (pthread_self (), priority > 0 ? SCHED_FIFO : SCHED_OTHER,
                                &param);
}

/* The group thread: takes up the scheduling asked for since the last tick. */
static void
s_apply_realtime (OlGroup *g)
{
  int wanted = atomic_load (&g->realtime), rc;

  if (wanted == g->realtime_applied)
    return;
  rc = s_set_scheduling (wanted);
  if (rc != 0)
    g_warning ("stream thread %g Hz: cannot run with %s priority %d: %s", g->hz,
               wanted > 0 ? "SCHED_FIFO" : "SCHED_OTHER", wanted, g_strerror (rc));
  /* Tried once either way: a refusal is not repeated every tick. */
  g->realtime_applied = wanted;
}

static void
s_publish (OlStream *st, void *pub, gint64 timestamp, gboolean late)
{
  GError *failure = NULL;
  OlValue value = { NULL, NULL };
  OlHeader header = { 0 };
  g_autoptr (GBytes) payload = NULL;

  ol__callable_invoke (st->callable, st->args, st->kwargs, NULL, &value, &failure);
  payload = ol__stream_payload (st, &value, failure, &header.status, &header.encoding);
  g_clear_error (&failure);
  if (late)
    header.status |= OL_STATUS_OVERRUN;
  if (header.encoding == OL_ENCODING_IMAGE)
    header.image = st->image;
  header.overruns = (guint32) MIN (atomic_load (&st->overruns), G_MAXUINT32);
  header.sequence = atomic_fetch_add (&st->sequence, 1) + 1;
  header.timestamp = timestamp;
  ol__stream_send (st, pub, &header, payload);
}

static gpointer
s_thread (gpointer data)
{
  OlGroup *g = data;
  void *pub = zmq_socket (ol__zmq_context (), ZMQ_PUB);
  gint64 next;
  gboolean late = FALSE;

  ol__proxy_set_feeder_options (pub);
  if (zmq_connect (pub, g->inproc) != 0)
    {
      ol__startup_report (&g->startup, g_error_new (OL_ERROR, OL_ERROR_SOCKET, "cannot connect %s: %s",
                               g->inproc, zmq_strerror (errno)));
      zmq_close (pub);
      return NULL;
    }
  /* Woken when asked, not up to 50 us later (the default slack of a
   * thread that is not realtime). */
  prctl (PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
  s_apply_realtime (g);
  ol__startup_report (&g->startup, NULL);

  next = s_now_ns () + g->period_ns;
  while (s_sleep_until (g, next))
    {
      gint64 timestamp = ol__wall_time_ns ();
      gint64 now;

      ol__mutex_lock (&g->lock);
      for (guint i = 0; i < g->streams->len; i++)
        {
          OlStream *st = g->streams->pdata[i];

          /* A disabled stream's callable is not called at all. */
          if (atomic_load (&st->enabled))
            s_publish (st, pub, timestamp, late);
        }
      late = FALSE;
      now = s_now_ns ();
      next += g->period_ns;
      if (now >= next)
        {
          /* The next deadline is already gone: an overrun. A little late,
           * its tick runs at once (counted once); far behind, the missed
           * ticks are skipped, keeping the phase (each counted). */
          gint64 behind = now - next;
          gint64 missed = 1;

          if (behind >= GROUP_CATCH_UP_NS)
            {
              missed = behind / g->period_ns + 1;
              next += missed * g->period_ns;
            }
          for (guint i = 0; i < g->streams->len; i++)
            atomic_fetch_add (&((OlStream *) g->streams->pdata[i])->overruns,
                              (guint64) missed);
          late = TRUE;
        }
      ol__mutex_unlock (&g->lock);
      s_apply_realtime (g);
    }
  zmq_close (pub);
  return NULL;
}

OlGroup *
ol__group_start (double hz, const char *inproc_endpoint, int realtime, GError **error)
{
  OlGroup *g = g_new0 (OlGroup, 1);
  g_autofree char *name = g_strdup_printf ("ol-%gHz", hz);

  g->hz = hz;
  atomic_init (&g->realtime, realtime);
  g->period_ns = (gint64) (1e9 / hz + 0.5);
  g->inproc = g_strdup (inproc_endpoint);
  g->streams = g_ptr_array_new_with_free_func ((GDestroyNotify) ol__stream_unref);
  ol__mutex_init (&g->lock);
  ol__startup_init (&g->startup);
  g->thread = g_thread_new (name, s_thread, g);
  if (!ol__startup_wait (&g->startup, "a stream thread", error))
    {
      ol__group_free (g);
      return NULL;
    }
  return g;
}

void
ol__group_set_realtime (OlGroup *g, int priority)
{
  atomic_store (&g->realtime, priority);
}

gboolean
ol__realtime_check (int priority, GError **error)
{
  struct sched_param saved;
  int policy, rc;

  if (priority < 0 || priority > 99)
    {
      g_set_error (error, OL_ERROR, OL_ERROR_INVALID_ARGS,
                   "realtime: the priority must be from 1 to 99 (0: off), not %d", priority);
      return FALSE;
    }
  if (priority == 0)
    return TRUE;
  /* Tried on the calling thread, which gets its scheduling back at once. */
  if ((rc = pthread_getschedparam (pthread_self (), &policy, &saved)) == 0
      && (rc = s_set_scheduling (priority)) == 0)
    rc = pthread_setschedparam (pthread_self (), policy, &saved);
  if (rc != 0)
    {
      g_set_error (error, OL_ERROR, OL_ERROR_PERMISSION_DENIED,
                   "realtime: this process may not run threads with SCHED_FIFO priority %d "
                   "(%s): it needs CAP_SYS_NICE or an RLIMIT_RTPRIO of %d or more "
                   "(ulimit -r; LimitRTPRIO= in a systemd unit)",
                   priority, g_strerror (rc), priority);
      return FALSE;
    }
  return TRUE;
}

double
ol__group_hz (OlGroup *g)
{
  return g->hz;
}

void
ol__group_add (OlGroup *g, OlStream *st)
{
  ol__mutex_lock (&g->lock);
  g_ptr_array_add (g->streams, ol__stream_ref (st));
  ol__mutex_unlock (&g->lock);
}

void
ol__group_remove (OlGroup *g, OlStream *st)
{
  ol__mutex_lock (&g->lock);
  g_ptr_array_remove (g->streams, st);
  ol__mutex_unlock (&g->lock);
}

guint
ol__group_size (OlGroup *g)
{
  guint n;

  ol__mutex_lock (&g->lock);
  n = g->streams->len;
  ol__mutex_unlock (&g->lock);
  return n;
}

void
ol__group_free (OlGroup *g)
{
  if (g == NULL)
    return;
  atomic_store (&g->stop, TRUE);
  g_thread_join (g->thread);
  g_ptr_array_unref (g->streams);
  ol__startup_clear (&g->startup);
  ol__mutex_clear (&g->lock);
  g_free (g->inproc);
  g_free (g);
}
