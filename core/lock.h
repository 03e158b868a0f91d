/* Mutexes and condition variables of oneliner.
 *
 * Thin wrappers over POSIX threads rather than GMutex/GCond: GLib implements
 * those with raw futexes on Linux, which ThreadSanitizer cannot see, so
 * every field they guard would be reported as a race and real races would
 * drown in the noise. These have the same shape as GLib's.
 */
#pragma once

#include <glib.h>
#include <pthread.h>
#include <time.h>

typedef struct {
  pthread_mutex_t m;
} OlMutex;

typedef struct {
  pthread_cond_t c;
} OlCond;

static inline void
ol__mutex_init (OlMutex *mutex)
{
  pthread_mutex_init (&mutex->m, NULL);
}

static inline void
ol__mutex_clear (OlMutex *mutex)
{
  pthread_mutex_destroy (&mutex->m);
}

static inline void
ol__mutex_lock (OlMutex *mutex)
{
  pthread_mutex_lock (&mutex->m);
}

static inline void
ol__mutex_unlock (OlMutex *mutex)
{
  pthread_mutex_unlock (&mutex->m);
}

static inline void
ol__cond_init (OlCond *cond)
{
  pthread_condattr_t attr;

  pthread_condattr_init (&attr);
  pthread_condattr_setclock (&attr, CLOCK_MONOTONIC);
  pthread_cond_init (&cond->c, &attr);
  pthread_condattr_destroy (&attr);
}

static inline void
ol__cond_clear (OlCond *cond)
{
  pthread_cond_destroy (&cond->c);
}

static inline void
ol__cond_signal (OlCond *cond)
{
  pthread_cond_signal (&cond->c);
}

static inline void
ol__cond_broadcast (OlCond *cond)
{
  pthread_cond_broadcast (&cond->c);
}

static inline void
ol__cond_wait (OlCond *cond, OlMutex *mutex)
{
  pthread_cond_wait (&cond->c, &mutex->m);
}

/* Waits until end_time (g_get_monotonic_time() units: microseconds on
 * CLOCK_MONOTONIC). Returns FALSE once end_time has passed. */
static inline gboolean
ol__cond_wait_until (OlCond *cond, OlMutex *mutex, gint64 end_time)
{
  struct timespec ts = {
    .tv_sec = end_time / G_USEC_PER_SEC,
    .tv_nsec = (end_time % G_USEC_PER_SEC) * 1000,
  };
  return pthread_cond_timedwait (&cond->c, &mutex->m, &ts) == 0;
}
