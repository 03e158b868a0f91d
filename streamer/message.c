/* A received stream message in one block (streamer/subscriber_private.h,
 * Message), and the public ol_stream_message_free() and
 * ol_stream_message_json().
 *
 * Thread rules: the receiver thread makes messages; whoever holds the last
 * reference frees it, on any thread (the message and its payload GBytes
 * are released independently, the reference count is atomic).
 */
#include "streamer/subscriber_private.h"

#include <string.h>

#include "core/clock.h"

#include "oneliner/error.h"

static void
s_message_unref (gpointer data)
{
  Message *msg = data;

  if (!g_atomic_ref_count_dec (&msg->ref))
    return;
  if (msg->has_frame)
    zmq_msg_close (&msg->frame);
  g_free (msg);
}

static Message *
s_message_alloc (const char *name, const OlHeader *h, gsize extra)
{
  Message *msg = g_malloc (sizeof (Message) + extra);

  msg->pub.name = name;
  msg->pub.sequence = h->sequence;
  msg->pub.timestamp = h->timestamp;
  msg->pub.status = h->status;
  msg->pub.encoding = h->encoding;
  msg->pub.image = h->image;
  msg->pub.overruns = h->overruns;
  msg->pub.received = ol__wall_time_ns ();
  msg->link.data = msg;
  msg->link.prev = msg->link.next = NULL;
  g_atomic_ref_count_init (&msg->ref);
  return msg;
}

Message *
ol__message_new (const char *name, const OlHeader *h, zmq_msg_t *payload)
{
  gsize size = zmq_msg_size (payload);
  gboolean copy = size <= SUB_COPY_MAX;
  Message *msg = s_message_alloc (name, h, copy ? size : 0);
  const void *data;

  msg->has_frame = !copy;
  if (copy)
    {
      if (size > 0)
        memcpy (msg->data, zmq_msg_data (payload), size);
      data = msg->data;
    }
  else
    {
      zmq_msg_init (&msg->frame);
      zmq_msg_move (&msg->frame, payload);
      data = zmq_msg_data (&msg->frame);
    }
  g_atomic_ref_count_inc (&msg->ref);
  msg->pub.payload = g_bytes_new_with_free_func (data, size, s_message_unref, msg);
  return msg;
}

Message *
ol__message_new_sized (const char *name, const OlHeader *h, gsize size, guint8 **data)
{
  Message *msg = s_message_alloc (name, h, size);

  msg->has_frame = FALSE;
  g_atomic_ref_count_inc (&msg->ref);
  msg->pub.payload = g_bytes_new_with_free_func (msg->data, size, s_message_unref, msg);
  *data = msg->data;
  return msg;
}

void
ol__messages_free (GQueue *messages)
{
  GList *link;

  while ((link = g_queue_pop_head_link (messages)) != NULL)
    ol_stream_message_free (link->data);
}

void
ol_stream_message_free (OlStreamMessage *message)
{
  if (message == NULL)
    return;
  g_clear_pointer (&message->payload, g_bytes_unref);
  s_message_unref ((Message *) message);
}

json_t *
ol_stream_message_json (const OlStreamMessage *message, GError **error)
{
  json_error_t jerr;
  gsize size = 0;
  const char *data;
  json_t *json;

  g_return_val_if_fail (message != NULL, NULL);
  data = message->payload ? g_bytes_get_data (message->payload, &size) : NULL;
  /* Any JSON value: a periodic stream may well publish a bare number. */
  json = data ? json_loadb (data, size, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr) : NULL;
  if (json == NULL)
    g_set_error (error, OL_ERROR, OL_ERROR_PROTOCOL,
                 "payload of stream \"%s\" is not JSON: %s (line %d, column %d)",
                 message->name, data ? jerr.text : "empty payload",
                 data ? jerr.line : 0, data ? jerr.column : 0);
  return json;
}
