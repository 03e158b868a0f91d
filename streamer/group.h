/* A frequency group: one thread that publishes every periodic stream of one
 * frequency through its own PUB socket, on absolute deadlines.
 *
 * The thread wakes at t0 + k * period (CLOCK_MONOTONIC, clock_nanosleep with
 * TIMER_ABSTIME), so the period never stretches by the work time. A tick
 * that ends after the next deadline is an overrun, counted for every stream
 * of the group and flagged OL_STATUS_OVERRUN on the next message of each.
 * Less than 10 ms late, the next tick runs at once, so that a scheduler
 * hiccup costs no message; further behind, the missed ticks are skipped
 * (each counted), never bunched up. The thread sleeps with a timer slack
 * of 1 ns and, when asked (ol_server_set_realtime), runs SCHED_FIFO.
 *
 * Thread rules: add/remove from any thread; the streams array is guarded by
 * OlGroup's mutex, which the thread holds for the duration of a tick.
 */
#pragma once

#include <glib.h>

#include "streamer/stream.h"

G_BEGIN_DECLS

typedef struct OlGroup OlGroup;

/* Starts a group for hz whose PUB socket connects to inproc_endpoint, its
 * thread with SCHED_FIFO at priority realtime (0: SCHED_OTHER). Returns
 * NULL with OL_ERROR_SOCKET if the connection fails. */
OlGroup *ol__group_start (double hz, const char *inproc_endpoint, int realtime,
                          GError **error);
/* The thread takes up the new scheduling before its next tick. */
void ol__group_set_realtime (OlGroup *group, int priority);
/* Whether this process may run threads with SCHED_FIFO at priority (1 to
 * 99; 0, for off, always may): OL_ERROR_INVALID_ARGS or
 * OL_ERROR_PERMISSION_DENIED saying what is missing. */
gboolean ol__realtime_check (int priority, GError **error);
double ol__group_hz (OlGroup *group);

/* Adds (a reference to) or removes a stream. */
void ol__group_add (OlGroup *group, OlStream *stream);
void ol__group_remove (OlGroup *group, OlStream *stream);
guint ol__group_size (OlGroup *group);

/* Stops the thread (bounded: it sleeps at most 50 ms at a time and checks
 * its stop flag) and frees the group. */
void ol__group_free (OlGroup *group);

G_END_DECLS
