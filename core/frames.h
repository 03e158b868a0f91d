/* Multipart messages and frames.
 *
 * Thread rules: reentrant; the socket passed belongs to the calling thread.
 */
#pragma once

#include <glib.h>
#include <zmq.h>

G_BEGIN_DECLS

/* Receives one whole multipart message (non-blocking once the first frame is
 * there) into frames, an array of zmq_msg_t of capacity max. Frames beyond
 * max are received and discarded and *truncated is set. Returns the number
 * of frames kept, or -1 (errno set, nothing kept) when no message was ready. */
int ol__wire_recv_multipart (void *socket, zmq_msg_t *frames, int max,
                             gboolean *truncated);

/* Closes the first n frames. */
void ol__wire_close_frames (zmq_msg_t *frames, int n);

/* Wraps a received frame's data in a GBytes without copying; the zmq_msg_t is
 * moved into the GBytes (frame is left empty). (transfer full) */
GBytes *ol__wire_frame_to_bytes (zmq_msg_t *frame);

/* Sends buf (transfer full, freed with free()) as one frame without copying. */
int ol__wire_send_owned (void *socket, char *buf, size_t len, int flags);

/* Sends a GBytes as one frame without copying (takes a reference). */
int ol__wire_send_bytes (void *socket, GBytes *bytes, int flags);

G_END_DECLS
