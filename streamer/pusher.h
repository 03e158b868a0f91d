/* Pushed streams: the application publishes from any of its threads.
 *
 * A ZeroMQ socket belongs to one thread, so writers do not send themselves:
 * they append (stream, header, payload reference) to a bounded queue under
 * the pusher's mutex, and the pusher thread, which owns one PUB socket
 * connected to the proxy, sends them. A payload is never copied: its GBytes
 * is handed to libzmq as is. Sequence numbers are taken under the same
 * mutex, so the messages of one stream keep their order and numbering.
 *
 * Thread rules: ol__pusher_push from any thread; start/free from the
 * controlling thread. An OlPusher is reference counted because writers may
 * outlive the server: after ol__pusher_close, pushes fail with
 * OL_ERROR_CLOSED.
 */
#pragma once

#include <glib.h>

#include "streamer/proxy.h"

#include "streamer/stream.h"

G_BEGIN_DECLS

typedef struct OlPusher OlPusher;

/* Most messages waiting to be sent; beyond it a push fails with
 * OL_ERROR_BUSY and the message is counted as dropped. */
#define OL_PUSHER_QUEUE_MAX 65536

OlPusher *ol__pusher_new (void);
OlPusher *ol__pusher_ref (OlPusher *pusher);
void ol__pusher_unref (OlPusher *pusher);

/* Starts the thread whose PUB socket connects to inproc_endpoint. */
gboolean ol__pusher_start (OlPusher *pusher, const char *inproc_endpoint, OlProxy *proxy,
                           GError **error);

/* Sends what is queued, stops the thread; later pushes fail. Idempotent. */
void ol__pusher_close (OlPusher *pusher);

/* The timestamp argument of ol__pusher_push that means "the time of the
 * push". */
#define OL__PUSH_NOW G_MININT64

/* Queues one message of stream (payload referenced, not copied). status and
 * encoding describe the payload; timestamp (ns since the epoch) is the
 * header's, or OL__PUSH_NOW. */
gboolean ol__pusher_push (OlPusher *pusher, OlStream *stream, GBytes *payload,
                          guint8 status, OlEncoding encoding, gint64 timestamp,
                          GError **error);

/* An OlStreamWriter bound to stream. (transfer full) */
OlStreamWriter *ol__stream_writer_new (OlPusher *pusher, OlStream *stream);

G_END_DECLS
