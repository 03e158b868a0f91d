/* Multipart messages and frames: receiving them whole, sending owned
 * buffers and GBytes without a copy. */
#include "core/frames.h"

#include <errno.h>
#include <stdlib.h>

int
ol__wire_recv_multipart (void *socket, zmq_msg_t *frames, int max,
                         gboolean *truncated)
{
  int n = 0;
  int more = 1;

  *truncated = FALSE;
  while (more)
    {
      zmq_msg_t *frame;
      zmq_msg_t spill;
      int flags = n == 0 ? ZMQ_DONTWAIT : 0;

      frame = n < max ? &frames[n] : &spill;
      zmq_msg_init (frame);
      if (zmq_msg_recv (frame, socket, flags) < 0)
        {
          int saved = errno;
          zmq_msg_close (frame);
          ol__wire_close_frames (frames, MIN (n, max));
          errno = saved;
          return -1;
        }
      more = zmq_msg_more (frame);
      if (n < max)
        n++;
      else
        {
          zmq_msg_close (&spill);
          *truncated = TRUE;
        }
    }
  return n;
}

void
ol__wire_close_frames (zmq_msg_t *frames, int n)
{
  for (int i = 0; i < n; i++)
    zmq_msg_close (&frames[i]);
}

static void
s_free_msg (gpointer data)
{
  zmq_msg_t *msg = data;
  zmq_msg_close (msg);
  g_free (msg);
}

GBytes *
ol__wire_frame_to_bytes (zmq_msg_t *frame)
{
  zmq_msg_t *owned = g_new (zmq_msg_t, 1);

  zmq_msg_init (owned);
  zmq_msg_move (owned, frame);
  return g_bytes_new_with_free_func (zmq_msg_data (owned), zmq_msg_size (owned),
                                     s_free_msg, owned);
}

/* Sends msg; on failure closes it, errno kept. */
static int
s_send (zmq_msg_t *msg, void *socket, int flags)
{
  if (zmq_msg_send (msg, socket, flags) < 0)
    {
      int saved = errno;
      zmq_msg_close (msg);
      errno = saved;
      return -1;
    }
  return 0;
}

static void
s_free_buf (void *data, void *hint)
{
  (void) hint;
  free (data);
}

int
ol__wire_send_owned (void *socket, char *buf, size_t len, int flags)
{
  zmq_msg_t msg;

  if (zmq_msg_init_data (&msg, buf, len, s_free_buf, NULL) != 0)
    {
      free (buf);
      return -1;
    }
  return s_send (&msg, socket, flags);
}

static void
s_unref_bytes (void *data, void *hint)
{
  (void) data;
  g_bytes_unref (hint);
}

int
ol__wire_send_bytes (void *socket, GBytes *bytes, int flags)
{
  zmq_msg_t msg;
  gsize size;
  gconstpointer data = g_bytes_get_data (bytes, &size);

  if (size == 0)
    zmq_msg_init (&msg);
  else
    zmq_msg_init_data (&msg, (void *) data, size, s_unref_bytes,
                       g_bytes_ref (bytes));
  return s_send (&msg, socket, flags);
}
