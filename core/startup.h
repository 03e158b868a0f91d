/* The start handshake of oneliner's threads: the starting thread waits, at
 * most 5 s, until the new thread has set up its sockets and reported success
 * or the error that stops it (a bind that failed, say).
 *
 * Thread rules: ol__startup_report once from the new thread;
 * ol__startup_wait from the starting thread.
 */
#pragma once

#include <glib.h>

#include "core/lock.h"

G_BEGIN_DECLS

#define OL_STARTUP_TIMEOUT_US (5 * G_TIME_SPAN_SECOND)

typedef struct {
  OlMutex lock;    /* guards ready and error */
  OlCond cond;
  gboolean ready;
  GError *error;   /* (owned) (nullable) */
} OlStartup;

void ol__startup_init (OlStartup *startup);
void ol__startup_clear (OlStartup *startup);

/* Reports the thread's start: error (transfer full) NULL on success. */
void ol__startup_report (OlStartup *startup, GError *error);

/* Waits for the report. Returns FALSE with the thread's error, or with
 * OL_ERROR_SOCKET "WHAT did not start within 5 s". */
gboolean ol__startup_wait (OlStartup *startup, const char *what, GError **error);

G_END_DECLS
