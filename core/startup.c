/* The start handshake of oneliner's threads. */
#include "core/startup.h"

#include "oneliner/error.h"

void
ol__startup_init (OlStartup *st)
{
  ol__mutex_init (&st->lock);
  ol__cond_init (&st->cond);
  st->ready = FALSE;
  st->error = NULL;
}

void
ol__startup_clear (OlStartup *st)
{
  g_clear_error (&st->error);
  ol__mutex_clear (&st->lock);
  ol__cond_clear (&st->cond);
}

void
ol__startup_report (OlStartup *st, GError *error)
{
  ol__mutex_lock (&st->lock);
  st->error = error;
  st->ready = TRUE;
  ol__cond_broadcast (&st->cond);
  ol__mutex_unlock (&st->lock);
}

gboolean
ol__startup_wait (OlStartup *st, const char *what, GError **error)
{
  gint64 deadline = g_get_monotonic_time () + OL_STARTUP_TIMEOUT_US;
  GError *failure;

  ol__mutex_lock (&st->lock);
  while (!st->ready)
    if (!ol__cond_wait_until (&st->cond, &st->lock, deadline))
      break;
  failure = st->ready ? g_steal_pointer (&st->error)
                      : g_error_new (OL_ERROR, OL_ERROR_SOCKET,
                                     "%s did not start within 5 s", what);
  ol__mutex_unlock (&st->lock);
  if (failure == NULL)
    return TRUE;
  g_propagate_error (error, failure);
  return FALSE;
}
