/* The eventfd wake-up of polling threads. */
#include "core/wakeup.h"

#include <errno.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "oneliner/error.h"

gboolean
ol__wakeup_init (OlWakeup *w, GError **error)
{
  w->fd = eventfd (0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (w->fd < 0)
    {
      g_set_error (error, OL_ERROR, OL_ERROR_SOCKET, "cannot create an eventfd: %s",
                   g_strerror (errno));
      return FALSE;
    }
  return TRUE;
}

void
ol__wakeup_clear (OlWakeup *w)
{
  if (w->fd >= 0)
    close (w->fd);
  w->fd = -1;
}

void
ol__wakeup_signal (OlWakeup *w, const char *what)
{
  uint64_t one = 1;

  /* EAGAIN: the counter is full, so the thread is woken anyway. */
  if (write (w->fd, &one, sizeof one) < 0 && errno != EAGAIN)
    g_debug ("cannot wake %s: %s", what, g_strerror (errno));
}

void
ol__wakeup_drain (OlWakeup *w)
{
  uint64_t count;

  if (read (w->fd, &count, sizeof count) < 0 && errno != EAGAIN)
    g_debug ("cannot read an eventfd: %s", g_strerror (errno));
}
