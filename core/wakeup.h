/* A wake-up signal for a thread that polls ZeroMQ sockets: an eventfd that
 * any thread writes and the polling thread waits on beside its sockets.
 *
 * Thread rules: ol__wakeup_signal from any thread; ol__wakeup_drain and the
 * poll item from the thread that polls; init/clear from the owner, before
 * and after every other use.
 */
#pragma once

#include <glib.h>
#include <zmq.h>

G_BEGIN_DECLS

typedef struct {
  int fd;
} OlWakeup;

/* Creates the eventfd. Returns FALSE with OL_ERROR_SOCKET if the process
 * has no file descriptor left. */
gboolean ol__wakeup_init (OlWakeup *wakeup, GError **error);
void ol__wakeup_clear (OlWakeup *wakeup);

/* Wakes the polling thread; signals coalesce until drained. what names
 * the thread in the debug message of a failed write. */
void ol__wakeup_signal (OlWakeup *wakeup, const char *what);

/* Consumes the pending signals. */
void ol__wakeup_drain (OlWakeup *wakeup);

/* The poll item that becomes readable when signalled. */
static inline zmq_pollitem_t
ol__wakeup_poll_item (const OlWakeup *wakeup)
{
  return (zmq_pollitem_t) { NULL, wakeup->fd, ZMQ_POLLIN, 0 };
}

G_END_DECLS
