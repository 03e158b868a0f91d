/* OlRecorder (oneliner/record.h): records a server's streams to an MCAP
 * file.
 *
 * Two threads per recorder:
 *   - the receiver ("ol-rec-recv") creates and owns the OlClient, with its
 *     own thread-default GMainContext; it subscribes to the streams (queue
 *     storage, the options' depth), learns of messages through a watch and
 *     takes them into the writer's queue; it never writes to the file;
 *   - the writer ("ol-rec-write") takes messages from that queue and writes
 *     them (record/mcap.c: chunks, compression, write()).
 * The writer's queue is bounded (WRITE_QUEUE_*): when it is full the
 * receiver leaves messages in the client's queues, whose depth is the
 * buffer; a queue that overflows there is counted by the client as
 * overflowed. So compression and disk never stall the receipt of messages.
 *
 * Include direction: record/ is above core/, router/ and streamer/; it
 * reaches the client's subscriber (streamer/client_streams.h) to take error
 * messages whole, which ol_client_get_stream() turns into a GError.
 *
 * Thread rules: public functions from any thread; fields say who touches
 * them.
 */
#include <stdatomic.h>
#include <string.h>

#include <glib/gstdio.h>

#include "oneliner/error.h"
#include "oneliner/record.h"
#include "oneliner/stream.h"
#include "oneliner/version.h"
#include "core/clock.h"
#include "core/json.h"
#include "core/lock.h"
#include "core/names.h"
#include "core/startup.h"
#include "record/format.h"
#include "record/mcap.h"
#include "streamer/client_streams.h"
#include "streamer/stream.h"
#include "streamer/subscriber.h"

/* The writer's queue: at most this many messages or payload bytes. */
#define WRITE_QUEUE_MESSAGES 65536
#define WRITE_QUEUE_BYTES (64 * 1024 * 1024)
/* Default depth of the client's queue of each stream. */
#define DEFAULT_DEPTH 100000
/* The receiver's tick: counters, and streams left behind while the queue
 * was full. */
#define TICK_MS 100
/* The bound of the server's answers at start. */
#define START_TIMEOUT_MS 3000
/* Messages taken from a stream in one go. */
#define TAKE_BATCH 4096

/* What the recorder knows of a stream. */
typedef struct {
  const char *name;            /* interned */
  OlEncoding encoding;         /* as listed at start */
  char *description;           /* (owned) (nullable) JSON text */
  OlStreamCounters counters;   /* the client's, guarded by OlRecorder.lock */
  /* The writer's own (writer thread only): */
  guint16 channel;             /* the current channel, 0 before the first message */
  guint32 ch_status;
  OlEncoding ch_encoding;
  OlImageInfo ch_image;
  guint32 ch_high;
  guint64 messages;
  guint64 errors;
  gint64 first_ns;
  gint64 last_ns;
} RecStream;

struct OlRecorder {
  /* Read-only once started. */
  char *path;                  /* (owned) */
  char *rpc_endpoint;          /* (owned) */
  char *stream_endpoint;       /* (owned) */
  char *secret_key_file;       /* (owned) (nullable) */
  char *server_key_file;       /* (owned) (nullable) */
  char **names;                /* (owned) (nullable) the streams asked for */
  OlCompression compression;
  guint depth;
  GPtrArray *streams;          /* (owned) RecStream; set by the receiver before
                                  its start report */
  GHashTable *by_name;         /* (owned) name -> RecStream */
  gint64 start_ns;
  OlStartup startup;
  GThread *receiver;           /* (owned) */
  GThread *writer;             /* (owned) */
  OlMcapWriter *mcap;          /* (owned) the writer thread's once started */
  GMainContext *context;       /* (owned) the receiver's; set before its report */
  atomic_bool stop;            /* the receiver ends */
  OlMutex stop_lock;           /* guards stopped and stop_error: stop from any thread */
  gboolean stopped;            /* stop ran */
  GError *stop_error;          /* (owned) (nullable) what stop said */

  OlMutex lock;                /* guards what follows */
  OlCond cond;                 /* messages queued, room made, end */
  GQueue queue;                /* OlStreamMessage, for the writer */
  gsize queue_bytes;
  gboolean ended;              /* the receiver queues nothing more */
  gboolean failed;             /* the writer failed: error says why */
  GError *error;               /* (owned) (nullable) */
  OlRecorderStats stats;
};

static const char *const s_compression_names[] = {
  [OL_COMPRESSION_ZSTD] = "zstd", [OL_COMPRESSION_NONE] = "none",
};

const char *
ol_compression_name (OlCompression compression)
{
  return (guint) compression < G_N_ELEMENTS (s_compression_names)
         ? s_compression_names[compression] : NULL;
}

gboolean
ol_compression_from_name (const char *name, OlCompression *compression)
{
  for (guint i = 0; i < G_N_ELEMENTS (s_compression_names); i++)
    if (g_strcmp0 (name, s_compression_names[i]) == 0)
      {
        if (compression != NULL)
          *compression = (OlCompression) i;
        return TRUE;
      }
  return FALSE;
}

static void
s_stream_free (gpointer data)
{
  RecStream *st = data;

  g_free (st->description);
  g_free (st);
}

/* ------------------------------------------------------------------------ */
/* Receiver thread */

typedef struct {
  OlRecorder *rec;
  OlClient *client;
  OlSubscriber *sub;
} Receiver;

/* Moves the messages of st from the client's queue to the writer's, while
 * there is room (final: waits for room, as long as the writer works). */
static void
s_take (Receiver *r, RecStream *st, gboolean final)
{
  OlRecorder *rec = r->rec;

  for (guint n = 0; n < TAKE_BATCH || final; n++)
    {
      OlStreamMessage *m;
      gboolean configured, drop;

      ol__mutex_lock (&rec->lock);
      while (!rec->failed
             && (rec->queue.length >= WRITE_QUEUE_MESSAGES
                 || rec->queue_bytes >= WRITE_QUEUE_BYTES))
        {
          if (!final)
            {
              ol__mutex_unlock (&rec->lock);
              return;
            }
          ol__cond_wait_until (&rec->cond, &rec->lock,
                               g_get_monotonic_time () + G_USEC_PER_SEC / 10);
        }
      drop = rec->failed;
      ol__mutex_unlock (&rec->lock);

      m = ol__subscriber_take (r->sub, st->name, 0, &configured);
      if (m == NULL)
        return;
      if (drop)
        {
          ol_stream_message_free (m);
          continue;
        }
      ol__mutex_lock (&rec->lock);
      rec->queue_bytes += g_bytes_get_size (m->payload);
      g_queue_push_tail (&rec->queue, m);
      ol__cond_broadcast (&rec->cond);
      ol__mutex_unlock (&rec->lock);
    }
}

static void
s_update_counters (Receiver *r)
{
  OlRecorder *rec = r->rec;
  guint64 missed = 0, overflowed = 0;

  for (guint i = 0; i < rec->streams->len; i++)
    {
      RecStream *st = rec->streams->pdata[i];
      OlStreamCounters c;

      if (!ol__subscriber_counters (r->sub, st->name, &c))
        continue;
      missed += c.missed;
      overflowed += c.overflowed;
      ol__mutex_lock (&rec->lock);
      st->counters = c;
      ol__mutex_unlock (&rec->lock);
    }
  ol__mutex_lock (&rec->lock);
  rec->stats.missed = missed;
  rec->stats.overflowed = overflowed;
  ol__mutex_unlock (&rec->lock);
}

static void
s_on_messages (OlClient *client, const char *name, gpointer user_data)
{
  Receiver *r = user_data;
  RecStream *st = g_hash_table_lookup (r->rec->by_name, name);

  (void) client;
  if (st != NULL)
    s_take (r, st, FALSE);
}

static gboolean
s_on_tick (gpointer user_data)
{
  Receiver *r = user_data;

  for (guint i = 0; i < r->rec->streams->len; i++)
    s_take (r, r->rec->streams->pdata[i], FALSE);
  s_update_counters (r);
  return G_SOURCE_CONTINUE;
}

/* Lists the server's streams and picks those to record. */
static gboolean
s_choose_streams (Receiver *r, GError **error)
{
  OlRecorder *rec = r->rec;
  g_autoptr (json_t) list = ol_client_list_streams (r->client, error);
  g_autoptr (GPtrArray) names = g_ptr_array_new ();
  const char *key;
  json_t *value;

  if (list == NULL)
    return FALSE;
  if (!json_is_object (list))
    {
      g_set_error (error, OL_ERROR, OL_ERROR_PROTOCOL,
                   "the server's list of streams is not a JSON object");
      return FALSE;
    }
  if (rec->names != NULL && rec->names[0] != NULL)
    for (guint i = 0; rec->names[i] != NULL; i++)
      {
        if (json_object_get (list, rec->names[i]) == NULL)
          {
            g_autofree char *q = ol__quote (rec->names[i], -1);

            g_set_error (error, OL_ERROR, OL_ERROR_NOT_FOUND,
                         "the server has no stream \"%s\"", q);
            return FALSE;
          }
        g_ptr_array_add (names, rec->names[i]);
      }
  else
    json_object_foreach (list, key, value)
      g_ptr_array_add (names, (char *) key);

  for (guint i = 0; i < names->len; i++)
    {
      const char *name = names->pdata[i];
      json_t *entry = json_object_get (list, name);
      json_t *desc = json_object_get (entry, "description");
      RecStream *st;

      if (!ol__name_is_valid (name))
        continue;   /* a server's bad name: nothing to subscribe to */
      if (g_hash_table_contains (rec->by_name, g_intern_string (name)))
        continue;
      st = g_new0 (RecStream, 1);
      st->name = g_intern_string (name);
      if (!ol_encoding_from_name (json_string_value (json_object_get (entry, "encoding")),
                                  &st->encoding))
        st->encoding = OL_ENCODING_RAW;
      if (json_is_object (desc))
        st->description = ol_json_dumps (desc, JSON_COMPACT | JSON_SORT_KEYS);
      g_ptr_array_add (rec->streams, st);
      g_hash_table_insert (rec->by_name, (gpointer) st->name, st);
      if (!ol_client_configure_stream (r->client, name, OL_STORAGE_QUEUE, rec->depth,
                                       error))
        return FALSE;
    }
  return TRUE;
}

static gpointer
s_receiver_main (gpointer data)
{
  OlRecorder *rec = data;
  GMainContext *context = g_main_context_new ();
  Receiver r = { .rec = rec };
  GError *error = NULL;
  GSource *tick;

  g_main_context_push_thread_default (context);
  rec->context = g_main_context_ref (context);
  if (rec->secret_key_file != NULL)
    r.client = ol_client_new_with_keys (rec->rpc_endpoint, rec->stream_endpoint,
                                        rec->secret_key_file, rec->server_key_file,
                                        &error);
  else
    r.client = ol_client_new (rec->rpc_endpoint, rec->stream_endpoint, &error);
  if (r.client != NULL)
    {
      ol_client_set_timeout (r.client, START_TIMEOUT_MS);
      /* Every message over the socket, as a remote recorder gets them: its
       * queue holds 100000 where a same-host ring holds a few dozen. */
      ol_client_set_stream_shm (r.client, FALSE);
    }
  if (r.client == NULL || !s_choose_streams (&r, &error)
      || (r.sub = ol__client_subscriber (r.client, &error)) == NULL)
    {
      ol_client_free (&r.client);
      g_main_context_pop_thread_default (context);
      g_main_context_unref (context);
      ol__startup_report (&rec->startup, error);
      return NULL;
    }
  ol_client_watch_stream (r.client, NULL, s_on_messages, &r, NULL);
  tick = g_timeout_source_new (TICK_MS);
  g_source_set_callback (tick, s_on_tick, &r, NULL);
  g_source_attach (tick, context);
  ol__startup_report (&rec->startup, NULL);

  while (!atomic_load (&rec->stop))
    g_main_context_iteration (context, TRUE);

  /* What was received until now goes to the file: bounded by the queues. */
  for (guint i = 0; i < rec->streams->len; i++)
    s_take (&r, rec->streams->pdata[i], TRUE);
  s_update_counters (&r);
  ol__mutex_lock (&rec->lock);
  rec->ended = TRUE;
  ol__cond_broadcast (&rec->cond);
  ol__mutex_unlock (&rec->lock);

  g_source_destroy (tick);
  g_source_unref (tick);
  ol_client_free (&r.client);
  g_main_context_pop_thread_default (context);
  g_main_context_unref (context);
  return NULL;
}

/* ------------------------------------------------------------------------ */
/* Writer thread */

static void
s_fail (OlRecorder *rec, GError *error)
{
  ol__mutex_lock (&rec->lock);
  if (!rec->failed)
    {
      rec->failed = TRUE;
      rec->error = error;
      error = NULL;
    }
  ol__cond_broadcast (&rec->cond);
  ol__mutex_unlock (&rec->lock);
  g_clear_error (&error);
}

/* The channel of m: a new one when its key (stream, status, encoding, image,
 * high bits of the sequence) is not the stream's current one. 0 with error
 * when every id is used. */
static guint16
s_channel (OlRecorder *rec, RecStream *st, const OlStreamMessage *m, guint16 *next_id,
           GHashTable *keys, GError **error)
{
  guint32 high = (guint32) (m->sequence >> 32);
  gboolean image = m->encoding == OL_ENCODING_IMAGE;
  g_autofree char *key = NULL;
  g_autofree char *status = NULL, *high_s = NULL, *w = NULL, *h = NULL;
  const char *kv[16];
  const char *encoding;
  guint n = 0;
  guint16 id;

  if (st->channel != 0 && st->ch_status == m->status && st->ch_encoding == m->encoding
      && st->ch_high == high
      && (!image || (st->ch_image.width == m->image.width
                     && st->ch_image.height == m->image.height
                     && st->ch_image.format == m->image.format)))
    return st->channel;

  key = g_strdup_printf ("%s %u %d %u %u %u %d", st->name, m->status, m->encoding,
                         high, image ? m->image.width : 0, image ? m->image.height : 0,
                         image ? (int) m->image.format : 0);
  id = GPOINTER_TO_UINT (g_hash_table_lookup (keys, key));
  if (id == 0)
    {
      if (*next_id == 0)
        {
          g_set_error (error, OL_ERROR, OL_ERROR_FAILED,
                       "the recording has used all 65535 MCAP channels");
          return 0;
        }
      id = (*next_id)++;
      encoding = ol_encoding_name (m->encoding);
      status = g_strdup_printf ("%u", m->status);
      high_s = g_strdup_printf ("%u", high);
      kv[n++] = OL_REC_KEY_ENCODING;
      kv[n++] = encoding ? encoding : "raw";
      kv[n++] = OL_REC_KEY_STATUS;
      kv[n++] = status;
      kv[n++] = OL_REC_KEY_SEQUENCE_HIGH;
      kv[n++] = high_s;
      if (st->description != NULL)
        {
          kv[n++] = OL_REC_KEY_DESCRIPTION;
          kv[n++] = st->description;
        }
      if (image)
        {
          w = g_strdup_printf ("%u", m->image.width);
          h = g_strdup_printf ("%u", m->image.height);
          kv[n++] = OL_REC_KEY_WIDTH;
          kv[n++] = w;
          kv[n++] = OL_REC_KEY_HEIGHT;
          kv[n++] = h;
          kv[n++] = OL_REC_KEY_FORMAT;
          kv[n++] = ol__pixel_format_name (m->image.format);
        }
      kv[n] = NULL;
      if (!ol__mcap_writer_add_channel (rec->mcap, id, st->name,
                                        (m->status & OL_STATUS_ERROR) ? OL_REC_MESSAGE_JSON
                                        : m->encoding == OL_ENCODING_JSON ? OL_REC_MESSAGE_JSON
                                        : image ? OL_REC_MESSAGE_IMAGE : OL_REC_MESSAGE_RAW,
                                        kv, error))
        return 0;
      g_hash_table_insert (keys, g_steal_pointer (&key), GUINT_TO_POINTER (id));
    }
  st->channel = id;
  st->ch_status = m->status;
  st->ch_encoding = m->encoding;
  st->ch_high = high;
  st->ch_image = m->image;
  return id;
}

/* The metadata record "oneliner.recording". */
static gboolean
s_write_metadata (OlRecorder *rec, GError **error)
{
  g_autoptr (json_t) streams = json_object ();
  g_autoptr (GPtrArray) kv = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *streams_text = NULL;
  OlRecorderStats stats;

  ol__mutex_lock (&rec->lock);
  stats = rec->stats;
  for (guint i = 0; i < rec->streams->len; i++)
    {
      RecStream *st = rec->streams->pdata[i];
      const OlStreamCounters *c = &st->counters;

      json_t *entry;

      entry = json_pack ("{s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
                   "encoding", ol_encoding_name (st->encoding),
                   "messages", (json_int_t) st->messages,
                   "errors", (json_int_t) st->errors,
                   "missed", (json_int_t) (c->missed + c->overflowed),
                   "gaps", (json_int_t) c->missed,
                   "overflowed", (json_int_t) c->overflowed,
                   "received", (json_int_t) c->received,
                   "restarts", (json_int_t) c->restarts,
                   "first_ns", (json_int_t) st->first_ns,
                   "last_ns", (json_int_t) st->last_ns);
      if (st->description != NULL)
        json_object_set_new (entry, "description", json_string (st->description));
      json_object_set_new (streams, st->name, entry);
    }
  ol__mutex_unlock (&rec->lock);
  streams_text = ol_json_dumps (streams, JSON_COMPACT | JSON_SORT_KEYS);

#define KV(k, ...) (g_ptr_array_add (kv, g_strdup (k)), \
                    g_ptr_array_add (kv, g_strdup_printf (__VA_ARGS__)))
  KV ("library", "%s %s", OL_REC_LIBRARY, OL_VERSION_STRING);
  KV ("rpc_endpoint", "%s", rec->rpc_endpoint);
  KV ("stream_endpoint", "%s", rec->stream_endpoint);
  KV ("compression", "%s", ol_compression_name (rec->compression));
  KV ("start_ns", "%" G_GINT64_FORMAT, rec->start_ns);
  KV ("stop_ns", "%" G_GINT64_FORMAT, ol__wall_time_ns ());
  KV ("messages", "%" G_GUINT64_FORMAT, stats.messages);
  KV ("errors", "%" G_GUINT64_FORMAT, stats.errors);
  KV ("missed", "%" G_GUINT64_FORMAT, stats.missed);
  KV ("overflowed", "%" G_GUINT64_FORMAT, stats.overflowed);
  KV ("chunks", "%" G_GUINT64_FORMAT, ol__mcap_writer_chunks (rec->mcap)
      + (ol__mcap_writer_pending (rec->mcap) > 0 ? 1 : 0));
  KV ("streams", "%s", streams_text);
#undef KV
  g_ptr_array_add (kv, NULL);
  return ol__mcap_writer_add_metadata (rec->mcap, OL_REC_METADATA,
                                       (const char *const *) kv->pdata, error);
}

static gpointer
s_writer_main (gpointer data)
{
  OlRecorder *rec = data;
  g_autoptr (GHashTable) keys = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  GError *error = NULL;
  guint16 next_id = 1;
  gint64 chunk_since = 0;   /* monotonic time of the open chunk's first message */
  gboolean failed = FALSE;

  for (;;)
    {
      GQueue batch = G_QUEUE_INIT;
      gboolean ended;
      OlStreamMessage *m;
      guint64 messages = 0, errors = 0;
      gint64 lag = -1;

      ol__mutex_lock (&rec->lock);
      while (rec->queue.length == 0 && !rec->ended)
        {
          gint64 now = g_get_monotonic_time ();

          if (chunk_since > 0 && now >= chunk_since + OL_REC_CHUNK_US)
            break;
          ol__cond_wait_until (&rec->cond, &rec->lock,
                               chunk_since > 0 ? chunk_since + OL_REC_CHUNK_US
                               : now + G_USEC_PER_SEC / 4);
        }
      for (guint i = 0; i < 256 && rec->queue.length > 0; i++)
        {
          m = g_queue_pop_head (&rec->queue);
          rec->queue_bytes -= g_bytes_get_size (m->payload);
          g_queue_push_tail (&batch, m);
        }
      ended = rec->ended && rec->queue.length == 0;
      ol__cond_broadcast (&rec->cond);
      ol__mutex_unlock (&rec->lock);

      while ((m = g_queue_pop_head (&batch)) != NULL)
        {
          RecStream *st = g_hash_table_lookup (rec->by_name, m->name);
          gsize size;
          const void *payload = g_bytes_get_data (m->payload, &size);
          guint16 channel;

          if (!failed && st != NULL)
            {
              if (ol__mcap_writer_pending (rec->mcap) == 0)
                chunk_since = g_get_monotonic_time ();
              if ((channel = s_channel (rec, st, m, &next_id, keys, &error)) == 0
                  || !ol__mcap_writer_add_message (rec->mcap, channel,
                                                   (guint32) m->sequence,
                                                   (guint64) m->received,
                                                   (guint64) m->timestamp,
                                                   payload, size, &error))
                {
                  failed = TRUE;
                  s_fail (rec, g_steal_pointer (&error));
                }
              else
                {
                  messages++;
                  st->messages++;
                  if (m->status & OL_STATUS_ERROR)
                    {
                      errors++;
                      st->errors++;
                    }
                  if (st->messages == 1)
                    st->first_ns = m->received;
                  st->last_ns = m->received;
                  lag = ol__wall_time_ns () / 1000 - m->received / 1000;
                }
            }
          ol_stream_message_free (m);
        }
      if (!failed && ol__mcap_writer_pending (rec->mcap) > 0
          && g_get_monotonic_time () >= chunk_since + OL_REC_CHUNK_US
          && !ol__mcap_writer_flush (rec->mcap, &error))
        {
          failed = TRUE;
          s_fail (rec, g_steal_pointer (&error));
        }
      if (ol__mcap_writer_pending (rec->mcap) == 0)
        chunk_since = 0;

      ol__mutex_lock (&rec->lock);
      rec->stats.messages += messages;
      rec->stats.errors += errors;
      rec->stats.bytes = ol__mcap_writer_bytes (rec->mcap);
      rec->stats.chunks = ol__mcap_writer_chunks (rec->mcap);
      if (lag >= 0)
        rec->stats.lag_us = lag;
      ol__mutex_unlock (&rec->lock);
      if (ended)
        break;
    }

  if (!failed && (!s_write_metadata (rec, &error)
                  || !ol__mcap_writer_finish (rec->mcap, &error)))
    s_fail (rec, g_steal_pointer (&error));
  ol__mutex_lock (&rec->lock);
  rec->stats.bytes = ol__mcap_writer_bytes (rec->mcap);
  rec->stats.chunks = ol__mcap_writer_chunks (rec->mcap);
  ol__mutex_unlock (&rec->lock);
  return NULL;
}

/* ------------------------------------------------------------------------ */
/* Public */

static void
s_recorder_free_fields (OlRecorder *rec)
{
  g_clear_pointer (&rec->mcap, ol__mcap_writer_free);
  if (rec->context != NULL)
    g_main_context_unref (rec->context);
  ol__startup_clear (&rec->startup);
  g_queue_clear_full (&rec->queue, (GDestroyNotify) ol_stream_message_free);
  g_clear_error (&rec->error);
  g_clear_error (&rec->stop_error);
  g_hash_table_unref (rec->by_name);
  g_ptr_array_unref (rec->streams);
  ol__mutex_clear (&rec->lock);
  ol__mutex_clear (&rec->stop_lock);
  ol__cond_clear (&rec->cond);
  g_strfreev (rec->names);
  g_free (rec->path);
  g_free (rec->rpc_endpoint);
  g_free (rec->stream_endpoint);
  g_free (rec->secret_key_file);
  g_free (rec->server_key_file);
  g_free (rec);
}

OlRecorder *
ol_recorder_start (const char *path, const OlRecorderOptions *options, GError **error)
{
  OlRecorder *rec;
  g_autofree char *library = NULL;

  g_return_val_if_fail (path != NULL && options != NULL, NULL);
  if (options->rpc_endpoint == NULL || options->stream_endpoint == NULL)
    {
      g_set_error (error, OL_ERROR, OL_ERROR_INVALID_ARGS,
                   "a recording needs the server's RPC and stream endpoints");
      return NULL;
    }
  if ((options->secret_key_file == NULL) != (options->server_key_file == NULL))
    {
      g_set_error (error, OL_ERROR, OL_ERROR_INVALID_ARGS,
                   "CURVE keys need both the secret key file and the server's key file");
      return NULL;
    }
  if (ol_compression_name (options->compression) == NULL)
    {
      g_set_error (error, OL_ERROR, OL_ERROR_INVALID_ARGS,
                   "unknown compression %d", (int) options->compression);
      return NULL;
    }
  for (guint i = 0; options->streams != NULL && options->streams[i] != NULL; i++)
    if (!ol__name_is_valid (options->streams[i]))
      {
        g_autofree char *q = ol__quote (options->streams[i], -1);

        g_set_error (error, OL_ERROR, OL_ERROR_INVALID_ARGS,
                     "\"%s\" is not a valid stream name", q);
        return NULL;
      }

  rec = g_new0 (OlRecorder, 1);
  rec->path = g_strdup (path);
  rec->rpc_endpoint = g_strdup (options->rpc_endpoint);
  rec->stream_endpoint = g_strdup (options->stream_endpoint);
  rec->secret_key_file = g_strdup (options->secret_key_file);
  rec->server_key_file = g_strdup (options->server_key_file);
  rec->names = g_strdupv ((char **) options->streams);
  rec->compression = options->compression;
  rec->depth = options->queue_depth > 0 ? options->queue_depth : DEFAULT_DEPTH;
  rec->streams = g_ptr_array_new_with_free_func (s_stream_free);
  rec->by_name = g_hash_table_new (g_str_hash, g_str_equal);
  rec->start_ns = ol__wall_time_ns ();
  ol__mutex_init (&rec->lock);
  ol__mutex_init (&rec->stop_lock);
  ol__cond_init (&rec->cond);
  ol__startup_init (&rec->startup);
  atomic_init (&rec->stop, FALSE);

  library = g_strdup_printf ("%s %s", OL_REC_LIBRARY, OL_VERSION_STRING);
  rec->mcap = ol__mcap_writer_new (path, options->compression, OL_REC_CHUNK_BYTES,
                                   library, error);
  if (rec->mcap == NULL)
    {
      s_recorder_free_fields (rec);
      return NULL;
    }
  rec->receiver = g_thread_new ("ol-rec-recv", s_receiver_main, rec);
  if (!ol__startup_wait (&rec->startup, "the recorder", error))
    {
      atomic_store (&rec->stop, TRUE);
      if (rec->context != NULL)
        g_main_context_wakeup (rec->context);
      g_thread_join (rec->receiver);
      /* Nothing was recorded: the file goes. */
      g_unlink (path);
      s_recorder_free_fields (rec);
      return NULL;
    }
  rec->writer = g_thread_new ("ol-rec-write", s_writer_main, rec);
  return rec;
}

void
ol_recorder_get_stats (OlRecorder *rec, OlRecorderStats *stats)
{
  g_return_if_fail (rec != NULL && stats != NULL);
  ol__mutex_lock (&rec->lock);
  *stats = rec->stats;
  stats->failed = rec->failed;
  ol__mutex_unlock (&rec->lock);
}

gboolean
ol_recorder_stop (OlRecorder *rec, GError **error)
{
  gboolean ok = TRUE;

  g_return_val_if_fail (rec != NULL, FALSE);
  ol__mutex_lock (&rec->stop_lock);
  if (!rec->stopped)
    {
      rec->stopped = TRUE;
      atomic_store (&rec->stop, TRUE);
      g_main_context_wakeup (rec->context);
      g_thread_join (rec->receiver);
      rec->receiver = NULL;
      g_thread_join (rec->writer);
      rec->writer = NULL;
      ol__mutex_lock (&rec->lock);
      if (rec->error != NULL)
        rec->stop_error = g_error_copy (rec->error);
      ol__mutex_unlock (&rec->lock);
      g_clear_pointer (&rec->mcap, ol__mcap_writer_free);
    }
  if (rec->stop_error != NULL)
    {
      g_propagate_error (error, g_error_copy (rec->stop_error));
      ok = FALSE;
    }
  ol__mutex_unlock (&rec->stop_lock);
  return ok;
}

void
ol_recorder_free (OlRecorder *rec)
{
  if (rec == NULL)
    return;
  ol_recorder_stop (rec, NULL);
  s_recorder_free_fields (rec);
}
