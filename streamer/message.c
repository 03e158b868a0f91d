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

/* Blocks of 64 KiB << c, at most BLOCKS_KEPT of each size and BLOCKS_BYTES
 * in a class. */
#define BLOCK_CLASSES 15
#define BLOCKS_KEPT 32
#define BLOCKS_BYTES (G_GUINT64_CONSTANT (64) << 20)

struct BlockPool {
  gatomicrefcount ref;       /* the subscriber, and each block lent out */
  OlMutex lock;              /* guards free and n */
  GSList *free[BLOCK_CLASSES]; /* (owned) blocks not lent */
  guint n[BLOCK_CLASSES];
};

static guint
s_block_class (gsize size, gsize *block_size)
{
  guint c = 0;

  while (c + 1 < BLOCK_CLASSES && (G_GUINT64_CONSTANT (65536) << c) < size)
    c++;
  *block_size = MAX ((gsize) (G_GUINT64_CONSTANT (65536) << c), size);
  return c;
}

BlockPool *
ol__block_pool_new (void)
{
  BlockPool *pool = g_new0 (BlockPool, 1);

  g_atomic_ref_count_init (&pool->ref);
  ol__mutex_init (&pool->lock);
  return pool;
}

void
ol__block_pool_unref (BlockPool *pool)
{
  if (pool == NULL || !g_atomic_ref_count_dec (&pool->ref))
    return;
  for (guint c = 0; c < BLOCK_CLASSES; c++)
    g_slist_free_full (pool->free[c], g_free);
  ol__mutex_clear (&pool->lock);
  g_free (pool);
}

static guint8 *
s_block_take (BlockPool *pool, gsize size)
{
  gsize block_size;
  guint c = s_block_class (size, &block_size);
  guint8 *block = NULL;

  ol__mutex_lock (&pool->lock);
  if (pool->free[c] != NULL && block_size == (G_GUINT64_CONSTANT (65536) << c))
    {
      block = pool->free[c]->data;
      pool->free[c] = g_slist_delete_link (pool->free[c], pool->free[c]);
      pool->n[c]--;
    }
  ol__mutex_unlock (&pool->lock);
  g_atomic_ref_count_inc (&pool->ref);
  return block != NULL ? block : g_malloc (block_size);
}

static void
s_block_give (BlockPool *pool, guint8 *block, gsize size)
{
  gsize block_size;
  guint c = s_block_class (size, &block_size);
  gboolean kept = FALSE;

  ol__mutex_lock (&pool->lock);
  if (block_size == (G_GUINT64_CONSTANT (65536) << c) && pool->n[c] < BLOCKS_KEPT
      && (pool->n[c] + 1) * block_size <= BLOCKS_BYTES)
    {
      pool->free[c] = g_slist_prepend (pool->free[c], block);
      pool->n[c]++;
      kept = TRUE;
    }
  ol__mutex_unlock (&pool->lock);
  if (!kept)
    g_free (block);
  ol__block_pool_unref (pool);
}

static void
s_message_unref (gpointer data)
{
  Message *msg = data;

  if (!g_atomic_ref_count_dec (&msg->ref))
    return;
  if (msg->has_frame)
    zmq_msg_close (&msg->frame);
  if (msg->block != NULL)
    s_block_give (msg->pool, msg->block, msg->block_len);
  if (msg->lease != NULL)
    ol__shm_lease_release (msg->lease);
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
  msg->pool = NULL;
  msg->block = NULL;
  msg->lease = NULL;
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
ol__message_new_pooled (const char *name, const OlHeader *h, gsize size, BlockPool *pool,
                        guint8 **data)
{
  Message *msg = s_message_alloc (name, h, 0);

  msg->has_frame = FALSE;
  msg->pool = pool;
  msg->block = s_block_take (pool, size);
  msg->block_len = size;
  g_atomic_ref_count_inc (&msg->ref);
  msg->pub.payload = g_bytes_new_with_free_func (msg->block, size, s_message_unref, msg);
  *data = msg->block;
  return msg;
}

Message *
ol__message_new_leased (const char *name, const OlHeader *h, const guint8 *data, gsize size,
                        OlShmLease *lease)
{
  Message *msg = s_message_alloc (name, h, 0);

  msg->has_frame = FALSE;
  msg->lease = lease;
  g_atomic_ref_count_inc (&msg->ref);
  msg->pub.payload = g_bytes_new_with_free_func (data, size, s_message_unref, msg);
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
