/* What the pieces of OlSubscriber share: a received message, a configured
 * stream, a subscription command and the subscriber itself, and the calls
 * the pieces make on one another. The pieces, a file each:
 *
 *   streamer/message.c     a received message in one block; the public
 *                          ol_stream_message_free() and _json()
 *   streamer/storage.c     per-stream storage (cache or queue), counters,
 *                          sequence accounting, and the copies peek hands out
 *   streamer/watch.c       watches and their dispatch on the client's
 *                          GMainContext
 *   streamer/receiver.c    the receiver thread, which owns the SUB socket,
 *                          and the subscription commands it applies
 *   streamer/subscriber.c  OlSubscriber's life cycle
 *
 * Include direction: these files include this header, streamer/subscriber.h,
 * core/ and streamer/header.h; never the client (router/client*.h) nor
 * streamer/client_streams.h, which sit above them.
 *
 * Thread rules: each field of OlSubscriber says who may touch it. The
 * receiver thread touches its rx_ fields and the socket; the client's thread
 * everything marked so; both take OlSubscriber.lock for the fields it
 * guards. A function named *_locked is called with that lock held.
 */
#pragma once

#include <stdatomic.h>
#include <zmq.h>

#include "core/lock.h"
#include "core/startup.h"
#include "core/wakeup.h"
#include "streamer/header.h"
#include "streamer/shm.h"
#include "streamer/subscriber.h"

G_BEGIN_DECLS

/* Payloads up to this size are copied into the message's own block, which
 * lets libzmq reuse its receive buffer at once; larger ones keep the frame
 * libzmq received (no copy). */
#define SUB_COPY_MAX 256

/* A received message in one allocation: the public part, its link in its
 * stream's queue and the payload's storage (a copy of a small payload, or
 * the libzmq frame of a large one). The message and its payload GBytes each
 * hold a reference to the block, so the application may keep either one
 * longer than the other. A message belongs to whoever holds it: the
 * receiver until it is stored, then its stream (under the lock), then the
 * reader that took it. */
/* Blocks that held the payloads of ring frames (streamer/message.c), kept
 * for the next ones: a block the kernel has to map afresh for every frame
 * costs more than the copy. Shared by the subscriber and every message
 * whose payload is one of its blocks; any thread. */
typedef struct BlockPool BlockPool;

typedef struct {
  OlStreamMessage pub;       /* first: ol_stream_message_free() gets its address */
  GList link;                /* data is the Message; in Stream.messages */
  gatomicrefcount ref;       /* pub and pub.payload */
  gboolean has_frame;        /* frame holds the payload, else data or block */
  zmq_msg_t frame;
  BlockPool *pool;           /* (nullable) (owned) block's pool */
  guint8 *block;             /* (nullable) the payload, a block of pool */
  gsize block_len;           /* the payload's size in block */
  OlShmLease *lease;         /* (nullable) (owned) the payload is in a ring
                                slot this lease holds */
  guint8 data[];             /* a payload of at most SUB_COPY_MAX bytes */
} Message;

/* A configured stream; guarded by OlSubscriber.lock. */
typedef struct {
  const char *name;          /* interned; also the key in OlSubscriber.streams */
  OlStorage storage;
  guint capacity;            /* 1 for a cache, the depth for a queue */
  GQueue messages;           /* links of Message, oldest first */
  OlStreamCounters counters;
  gboolean has_baseline;     /* counters.last_sequence is meaningful */
  gboolean watched;          /* a watch names this stream */
  gboolean notify_pending;   /* new messages not yet announced to watches */
  guint waiters;             /* readers waiting in ol__subscriber_take() or
                                ol__subscriber_take_range() */
} Stream;

/* A subscription change for the receiver. */
typedef struct {
  gboolean subscribe;        /* else unsubscribe */
  char *name;                /* (owned) */
} Command;

struct OlSubscriber {
  /* Read-only while the receiver runs. */
  char *endpoint;            /* (owned) */
  OlClientKeys *keys;        /* (owned) (nullable) */
  gboolean shm_wanted;       /* same-host frames unless ONELINER_SHM=0 */
  /* The receiver thread only: topic -> interned stream name, and the last
   * name it found. */
  GHashTable *rx_names;      /* (owned) interned name -> itself */
  const char *rx_last;       /* (nullable) interned */
  gsize rx_last_size;        /* its topic frame's size: strlen + 1 */
  void *rx_monitor;          /* (nullable) PAIR reading the SUB socket's
                                connection events */
  /* The receiver thread only: same-host frames (streamer/shm.h). */
  gboolean rx_shm_allowed;   /* ONELINER_SHM is not 0 and the endpoint is local */
  int rx_shm_state;          /* RX_SHM_*: which topics the streams use */
  gboolean rx_shm_failed;    /* the ring failed: plain topics until the next
                                connection */
  gboolean rx_hello;         /* the server answered the hello topic since
                                the last connection */
  gint64 rx_decide_at;       /* monotonic us: plain topics if no hello by
                                then; 0 when not waiting */
  guint8 rx_hello_topic[OL_SHM_HELLO_SIZE];
  OlShmReader *rx_shm;       /* (owned) */
  BlockPool *rx_blocks;      /* (owned) payloads of ring frames */
  GHashTable *rx_subscribed; /* (owned) names subscribed to, interned */
  GMainContext *context;     /* (owned) where watches are called */
  OlClient *client;          /* (unowned) passed to watches */
  GThread *thread;           /* (owned) the receiver */
  OlWakeup wake;             /* signalled when commands are queued or stop is asked */

  gint stop;                 /* atomic */
  _Atomic guint64 malformed; /* messages dropped as malformed */
  _Atomic guint64 shm_frames; /* frames read from a shared-memory ring */
  _Atomic guint64 shm_torn;  /* frames overwritten before they were read */
  _Atomic guint64 shm_copied; /* ring frames copied out, not read in place */
  atomic_bool shm_active;    /* the receiver uses the shared-memory topics */

  OlMutex lock;              /* guards everything down to dispatch */
  OlCond cond;               /* start handshake; messages for waiters */
  OlStartup startup;         /* the receiver's start handshake */
  GHashTable *streams;       /* (owned) name -> Stream * */
  GQueue commands;           /* Command * for the receiver, in order */
  guint watch_all;           /* watches with a NULL name */
  guint watch_connection;    /* connection watches */
  OlStreamConnection connection; /* the SUB socket's connection, set by the receiver */
  gint64 connection_since;   /* monotonic us of its last change */
  gboolean connection_pending; /* a change not yet announced to watches */
  GSource *dispatch;         /* (owned) (nullable) the one scheduled dispatch */

  /* The client's thread only. */
  grefcount ref;             /* ol__subscriber_new and running dispatches */
  GPtrArray *watches;        /* (owned) Watch * (streamer/watch.c), in order added */
  Stream *last_taken;        /* (nullable) the stream ol__subscriber_take() or
                                ol__subscriber_take_range() found last: a
                                reader takes from one stream in a row (only
                                this thread removes streams; it clears it) */
  guint next_watch_id;
  gboolean closed;           /* ol__subscriber_free() ran */
};

/* Drops a reference; the last one frees what is left of s (its lock and
 * condition). Client thread. */
void ol__subscriber_unref (OlSubscriber *s);

/* ------------------------------------------------------------------------ */
/* streamer/message.c */

/* Makes the message of a header and its payload frame: the frame's data is
 * copied if small, else the frame is moved into the message. name is an
 * interned string. (transfer full) */
Message *ol__message_new (const char *name, const OlHeader *h, zmq_msg_t *payload);

/* Makes a message whose payload of size bytes is a block of pool (the
 * message holds a reference to pool until it is freed), at *data, for the
 * caller to fill. (transfer full) */
Message *ol__message_new_pooled (const char *name, const OlHeader *h, gsize size,
                                 BlockPool *pool, guint8 **data);

/* Makes a message whose payload is size bytes at data, in a ring slot that
 * lease holds (the message takes it) until the message and its payload are
 * freed. */
Message *ol__message_new_leased (const char *name, const OlHeader *h, const guint8 *data,
                                 gsize size, OlShmLease *lease);

/* A pool of blocks, and a reference dropped; the last frees every block. */
BlockPool *ol__block_pool_new (void);
void ol__block_pool_unref (BlockPool *pool);

/* Frees the messages of a queue of Message links. */
void ol__messages_free (GQueue *messages);

/* ------------------------------------------------------------------------ */
/* streamer/storage.c */

/* The stream table: creates it empty, and frees it with every message it
 * holds. */
void ol__storage_init (OlSubscriber *s);
void ol__storage_clear (OlSubscriber *s);

/* Stores a batch of parsed messages under one lock (receiver thread). Every
 * message of a configured stream is taken (its batch entry set to NULL and
 * counted in *kept); a message of a stream not configured stays in batch,
 * for the caller to drop. Returns whether readers wait for one of these
 * streams: the caller wakes them (after the lock, and once for all the
 * batches it has ready). */
gboolean ol__storage_store_batch (OlSubscriber *s, Message **batch, guint n,
                                  guint *kept);

/* Whether name is configured. Any thread; takes the lock. */
gboolean ol__storage_is_configured (OlSubscriber *s, const char *name);

/* ------------------------------------------------------------------------ */
/* streamer/watch.c */

/* Whether a watch names this stream. Client thread. */
gboolean ol__watch_names (OlSubscriber *s, const char *name);

/* Schedules one dispatch on the client's context; the caller holds the lock
 * and checked that none is pending (at most one is, whatever the rate). */
void ol__watch_schedule_locked (OlSubscriber *s);

/* Cancels a pending dispatch, marks s closed (a dispatch running further up
 * the client's stack stops) and releases every watch. Client thread, once
 * the receiver has stopped. */
void ol__watch_clear (OlSubscriber *s);

/* ------------------------------------------------------------------------ */
/* streamer/receiver.c */

/* Sets up what the receiver keeps: its name table, the command queue, the
 * start handshake; its wake-up signal is made by ol__receiver_start(). */
void ol__receiver_init (OlSubscriber *s);

/* Starts the receiver thread and waits for its SUB socket to connect. */
gboolean ol__receiver_start (OlSubscriber *s, GError **error);

/* Stops the receiver thread and joins it (bounded: it polls its stop signal
 * at least every 100 ms). Nothing happens if it did not start. */
void ol__receiver_stop (OlSubscriber *s);

/* Frees what ol__receiver_init() and ol__receiver_start() made, and the
 * commands the receiver did not apply. After ol__receiver_stop(). */
void ol__receiver_clear (OlSubscriber *s);

/* Queues a subscription change for the receiver; the caller holds the lock
 * and calls ol__receiver_wake() after releasing it. */
void ol__receiver_command_locked (OlSubscriber *s, gboolean subscribe,
                                  const char *name);

/* Wakes the receiver: it applies the queued commands or sees the stop. */
void ol__receiver_wake (OlSubscriber *s);

/* Checks and decodes one received message of n frames (truncated: more
 * than n were received): its shape, topic, header and, for an image, the
 * payload's size. Returns the message (transfer full; a large payload frame
 * is moved into it) or NULL when it was dropped and counted as malformed.
 * frames stay the caller's. Receiver thread (or after ol__receiver_init()
 * in a thread that has not started it). */
Message *ol__receiver_parse (OlSubscriber *s, zmq_msg_t *frames, int n,
                             gboolean truncated);

G_END_DECLS
