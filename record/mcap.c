/* The MCAP writer (chunked, indexed, with a summary) and the bounded readers
 * of record fields (record/mcap.h). Written from the MCAP specification,
 * https://mcap.dev/spec: every record is opcode (uint8), content length
 * (uint64) and content, little-endian; String is uint32 length and bytes;
 * Map and Array are a uint32 byte length and their entries.
 */
#include "record/mcap.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <gio/gio.h>
#include <zstd.h>

/* ------------------------------------------------------------------------ */
/* CRC-32, polynomial 0xEDB88320 reflected, as zlib's (and MCAP's). Eight
 * tables: eight bytes per step. */

static guint32 crc_tables[8][256];

static gpointer
s_crc_init (gpointer unused)
{
  (void) unused;
  for (guint32 i = 0; i < 256; i++)
    {
      guint32 c = i;

      for (int k = 0; k < 8; k++)
        c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      crc_tables[0][i] = c;
    }
  for (guint32 i = 0; i < 256; i++)
    for (int t = 1; t < 8; t++)
      crc_tables[t][i] = (crc_tables[t - 1][i] >> 8)
                         ^ crc_tables[0][crc_tables[t - 1][i] & 0xff];
  return NULL;
}

guint32
ol__crc32 (guint32 crc, const void *data, gsize size)
{
  static GOnce once = G_ONCE_INIT;
  const guint8 *p = data;

  g_once (&once, s_crc_init, NULL);
  crc = ~crc;
  while (size >= 8)
    {
      guint32 lo = crc ^ ((guint32) p[0] | (guint32) p[1] << 8
                          | (guint32) p[2] << 16 | (guint32) p[3] << 24);
      crc = crc_tables[7][lo & 0xff] ^ crc_tables[6][(lo >> 8) & 0xff]
            ^ crc_tables[5][(lo >> 16) & 0xff] ^ crc_tables[4][lo >> 24]
            ^ crc_tables[3][p[4]] ^ crc_tables[2][p[5]] ^ crc_tables[1][p[6]]
            ^ crc_tables[0][p[7]];
      p += 8;
      size -= 8;
    }
  while (size-- > 0)
    crc = crc_tables[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
  return ~crc;
}

/* ------------------------------------------------------------------------ */
/* Encoding */

static void
s_put_u8 (GByteArray *b, guint8 v)
{
  g_byte_array_append (b, &v, 1);
}

static void
s_put_u16 (GByteArray *b, guint16 v)
{
  guint8 x[2] = { v & 0xff, v >> 8 };

  g_byte_array_append (b, x, 2);
}

static void
s_put_u32 (GByteArray *b, guint32 v)
{
  guint8 x[4];

  for (int i = 0; i < 4; i++)
    x[i] = (v >> (8 * i)) & 0xff;
  g_byte_array_append (b, x, 4);
}

static void
s_put_u64 (GByteArray *b, guint64 v)
{
  guint8 x[8];

  for (int i = 0; i < 8; i++)
    x[i] = (v >> (8 * i)) & 0xff;
  g_byte_array_append (b, x, 8);
}

static void
s_put_string (GByteArray *b, const char *s)
{
  gsize n = strlen (s);

  s_put_u32 (b, (guint32) n);
  g_byte_array_append (b, (const guint8 *) s, n);
}

/* Starts a record: opcode and a length to patch with s_end_record. Returns
 * where the content starts. */
static guint
s_begin_record (GByteArray *b, guint8 op)
{
  s_put_u8 (b, op);
  s_put_u64 (b, 0);
  return b->len;
}

static void
s_end_record (GByteArray *b, guint start)
{
  guint64 n = b->len - start;

  for (int i = 0; i < 8; i++)
    b->data[start - 8 + i] = (n >> (8 * i)) & 0xff;
}

static void
s_put_map (GByteArray *b, const char *const *kv)
{
  guint at = b->len;
  guint64 n;

  s_put_u32 (b, 0);
  for (guint i = 0; kv != NULL && kv[i] != NULL && kv[i + 1] != NULL; i += 2)
    {
      s_put_string (b, kv[i]);
      s_put_string (b, kv[i + 1]);
    }
  n = b->len - at - 4;
  for (int i = 0; i < 4; i++)
    b->data[at + i] = (n >> (8 * i)) & 0xff;
}

/* ------------------------------------------------------------------------ */
/* Writer */

typedef struct {
  guint64 log_time;
  guint64 offset;
} IndexEntry;

typedef struct {
  guint16 id;
  GByteArray *record;   /* (owned) the Channel record, for the summary */
  guint64 messages;
  GArray *index;        /* (owned) IndexEntry of the open chunk */
} WChannel;

struct OlMcapWriter {
  int fd;                    /* -1 once closed */
  char *path;                /* (owned) */
  OlCompression compression;
  gsize chunk_size;
  guint64 offset;            /* bytes written */
  gboolean in_data;          /* data_crc still runs */
  guint32 data_crc;
  GByteArray *chunk;         /* (owned) records of the open chunk */
  guint64 chunk_start;       /* log times of the open chunk */
  guint64 chunk_end;
  GArray *chunk_channels;    /* (owned) guint16 ids used by the open chunk */
  GHashTable *channels;      /* (owned) id -> WChannel */
  GArray *channel_order;     /* (owned) guint16 ids, in order of creation */
  GByteArray *chunk_indexes; /* (owned) Chunk Index records */
  GByteArray *metadata_indexes; /* (owned) Metadata Index records */
  GByteArray *scratch;       /* (owned) */
  guint64 messages;
  guint64 chunks;
  guint32 metadata_count;
  guint64 start_time;
  guint64 end_time;
  gint64 synced;             /* monotonic time of the last fdatasync() */
  ZSTD_CCtx *zstd;           /* (owned) (nullable) */
};

/* Chunks reach the disk at least this often (a power loss loses no more). */
#define SYNC_US G_USEC_PER_SEC

static void
s_channel_free (gpointer data)
{
  WChannel *ch = data;

  g_byte_array_unref (ch->record);
  g_array_unref (ch->index);
  g_free (ch);
}

static gboolean
s_io_error (OlMcapWriter *w, int errsv, const char *what, GError **error)
{
  g_autofree char *quoted = g_strescape (w->path, NULL);

  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
               "cannot %s recording \"%.200s\": %s", what, quoted, g_strerror (errsv));
  return FALSE;
}

static gboolean
s_write (OlMcapWriter *w, const void *data, gsize size, GError **error)
{
  const guint8 *p = data;
  gsize left = size;

  if (w->fd < 0)
    return s_io_error (w, EBADF, "write", error);
  while (left > 0)
    {
      ssize_t n = write (w->fd, p, left);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return s_io_error (w, errno, "write", error);
      if (n == 0)
        return s_io_error (w, ENOSPC, "write", error);
      p += n;
      left -= (gsize) n;
    }
  if (w->in_data)
    w->data_crc = ol__crc32 (w->data_crc, data, size);
  w->offset += size;
  return TRUE;
}

OlMcapWriter *
ol__mcap_writer_new (const char *path, OlCompression compression, gsize chunk_size,
                     const char *library, GError **error)
{
  OlMcapWriter *w = g_new0 (OlMcapWriter, 1);
  g_autoptr (GByteArray) b = g_byte_array_new ();
  guint at;

  w->path = g_strdup (path);
  w->compression = compression;
  w->chunk_size = chunk_size > 0 ? chunk_size : 1024 * 1024;
  w->in_data = TRUE;
  w->chunk = g_byte_array_new ();
  w->chunk_channels = g_array_new (FALSE, FALSE, sizeof (guint16));
  w->channels = g_hash_table_new_full (NULL, NULL, NULL, s_channel_free);
  w->channel_order = g_array_new (FALSE, FALSE, sizeof (guint16));
  w->chunk_indexes = g_byte_array_new ();
  w->metadata_indexes = g_byte_array_new ();
  w->scratch = g_byte_array_new ();
  w->start_time = G_MAXUINT64;
  w->synced = g_get_monotonic_time ();
  w->fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (w->fd < 0)
    {
      s_io_error (w, errno, "create", error);
      ol__mcap_writer_free (w);
      return NULL;
    }
  if (compression == OL_COMPRESSION_ZSTD)
    w->zstd = ZSTD_createCCtx ();

  g_byte_array_append (b, (const guint8 *) OL_MCAP_MAGIC, OL_MCAP_MAGIC_SIZE);
  at = s_begin_record (b, OL_MCAP_OP_HEADER);
  s_put_string (b, "");  /* profile */
  s_put_string (b, library);
  s_end_record (b, at);
  if (!s_write (w, b->data, b->len, error))
    {
      ol__mcap_writer_free (w);
      return NULL;
    }
  return w;
}

gboolean
ol__mcap_writer_add_channel (OlMcapWriter *w, guint16 id, const char *topic,
                             const char *message_encoding, const char *const *metadata,
                             GError **error)
{
  WChannel *ch;
  guint at;

  g_return_val_if_fail (id > 0 && !g_hash_table_contains (w->channels,
                                                          GUINT_TO_POINTER (id)), FALSE);
  ch = g_new0 (WChannel, 1);
  ch->id = id;
  ch->record = g_byte_array_new ();
  ch->index = g_array_new (FALSE, FALSE, sizeof (IndexEntry));
  at = s_begin_record (ch->record, OL_MCAP_OP_CHANNEL);
  s_put_u16 (ch->record, id);
  s_put_u16 (ch->record, 0); /* schema_id: none */
  s_put_string (ch->record, topic);
  s_put_string (ch->record, message_encoding);
  s_put_map (ch->record, metadata);
  s_end_record (ch->record, at);
  g_hash_table_insert (w->channels, GUINT_TO_POINTER (id), ch);
  g_array_append_val (w->channel_order, id);
  /* In the data section at once, before any chunk that uses it: a reader
   * of a file cut off knows the channel without the summary. */
  return s_write (w, ch->record->data, ch->record->len, error);
}

gboolean
ol__mcap_writer_add_message (OlMcapWriter *w, guint16 channel, guint32 sequence,
                             guint64 log_time, guint64 publish_time, const void *data,
                             gsize size, GError **error)
{
  WChannel *ch = g_hash_table_lookup (w->channels, GUINT_TO_POINTER (channel));
  IndexEntry e;
  guint at;

  g_return_val_if_fail (ch != NULL, FALSE);
  if (w->chunk->len == 0)
    {
      w->chunk_start = log_time;
      w->chunk_end = log_time;
    }
  if (ch->index->len == 0)
    g_array_append_val (w->chunk_channels, channel);
  e.log_time = log_time;
  e.offset = w->chunk->len;
  g_array_append_val (ch->index, e);

  at = s_begin_record (w->chunk, OL_MCAP_OP_MESSAGE);
  s_put_u16 (w->chunk, channel);
  s_put_u32 (w->chunk, sequence);
  s_put_u64 (w->chunk, log_time);
  s_put_u64 (w->chunk, publish_time);
  if (size > 0)
    g_byte_array_append (w->chunk, data, (guint) size);
  s_end_record (w->chunk, at);

  w->chunk_start = MIN (w->chunk_start, log_time);
  w->chunk_end = MAX (w->chunk_end, log_time);
  w->start_time = MIN (w->start_time, log_time);
  w->end_time = MAX (w->end_time, log_time);
  ch->messages++;
  w->messages++;
  if (w->chunk->len >= w->chunk_size)
    return ol__mcap_writer_flush (w, error);
  return TRUE;
}

gsize
ol__mcap_writer_pending (OlMcapWriter *w)
{
  return w->chunk->len;
}

gboolean
ol__mcap_writer_flush (OlMcapWriter *w, GError **error)
{
  g_autoptr (GByteArray) head = g_byte_array_new ();
  g_autoptr (GByteArray) indexes = g_byte_array_new ();
  const char *compression = w->compression == OL_COMPRESSION_ZSTD ? "zstd" : "";
  const guint8 *records = w->chunk->data;
  gsize records_len = w->chunk->len;
  guint64 chunk_offset = w->offset, chunk_length;
  guint32 crc;
  guint at, map_at;
  guint64 map_len;

  if (w->chunk->len == 0)
    return TRUE;
  crc = ol__crc32 (0, w->chunk->data, w->chunk->len);
  if (w->zstd != NULL)
    {
      gsize bound = ZSTD_compressBound (w->chunk->len);
      gsize n;

      g_byte_array_set_size (w->scratch, (guint) bound);
      n = ZSTD_compressCCtx (w->zstd, w->scratch->data, bound, w->chunk->data,
                             w->chunk->len, 1);
      if (ZSTD_isError (n))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                       "zstd could not compress a chunk: %s", ZSTD_getErrorName (n));
          return FALSE;
        }
      records = w->scratch->data;
      records_len = n;
    }

  /* Chunk: message_start_time, message_end_time, uncompressed_size,
   * uncompressed_crc, compression, records (uint64 length). */
  s_put_u8 (head, OL_MCAP_OP_CHUNK);
  s_put_u64 (head, 8 + 8 + 8 + 4 + 4 + strlen (compression) + 8 + records_len);
  s_put_u64 (head, w->chunk_start);
  s_put_u64 (head, w->chunk_end);
  s_put_u64 (head, w->chunk->len);
  s_put_u32 (head, crc);
  s_put_string (head, compression);
  s_put_u64 (head, records_len);
  chunk_length = head->len + records_len;
  if (!s_write (w, head->data, head->len, error)
      || !s_write (w, records, records_len, error))
    return FALSE;

  /* A Message Index per channel of the chunk; the Chunk Index points to each. */
  at = s_begin_record (w->chunk_indexes, OL_MCAP_OP_CHUNK_INDEX);
  s_put_u64 (w->chunk_indexes, w->chunk_start);
  s_put_u64 (w->chunk_indexes, w->chunk_end);
  s_put_u64 (w->chunk_indexes, chunk_offset);
  s_put_u64 (w->chunk_indexes, chunk_length);
  map_at = w->chunk_indexes->len;
  s_put_u32 (w->chunk_indexes, w->chunk_channels->len * 10);
  for (guint i = 0; i < w->chunk_channels->len; i++)
    {
      guint16 id = g_array_index (w->chunk_channels, guint16, i);
      WChannel *ch = g_hash_table_lookup (w->channels, GUINT_TO_POINTER (id));
      guint mi;

      s_put_u16 (w->chunk_indexes, id);
      /* the file offset of its Message Index: after the chunk (written) */
      s_put_u64 (w->chunk_indexes, w->offset + indexes->len);
      mi = s_begin_record (indexes, OL_MCAP_OP_MESSAGE_INDEX);
      s_put_u16 (indexes, id);
      s_put_u32 (indexes, ch->index->len * 16);
      for (guint k = 0; k < ch->index->len; k++)
        {
          IndexEntry *e = &g_array_index (ch->index, IndexEntry, k);

          s_put_u64 (indexes, e->log_time);
          s_put_u64 (indexes, e->offset);
        }
      s_end_record (indexes, mi);
      g_array_set_size (ch->index, 0);
    }
  map_len = w->chunk_indexes->len - map_at - 4;
  g_assert (map_len == w->chunk_channels->len * 10u);
  s_put_u64 (w->chunk_indexes, indexes->len);
  s_put_string (w->chunk_indexes, compression);
  s_put_u64 (w->chunk_indexes, records_len);
  s_put_u64 (w->chunk_indexes, w->chunk->len);
  s_end_record (w->chunk_indexes, at);
  if (!s_write (w, indexes->data, indexes->len, error))
    return FALSE;

  if (g_get_monotonic_time () >= w->synced + SYNC_US)
    {
      if (fdatasync (w->fd) != 0 && errno != EINVAL && errno != EROFS)
        return s_io_error (w, errno, "sync", error);
      w->synced = g_get_monotonic_time ();
    }
  g_array_set_size (w->chunk_channels, 0);
  g_byte_array_set_size (w->chunk, 0);
  if (w->scratch->len > 4 * w->chunk_size)
    g_byte_array_set_size (w->scratch, 0);
  w->chunks++;
  return TRUE;
}

gboolean
ol__mcap_writer_add_metadata (OlMcapWriter *w, const char *name,
                              const char *const *metadata, GError **error)
{
  g_autoptr (GByteArray) b = g_byte_array_new ();
  guint64 offset;
  guint at;

  if (!ol__mcap_writer_flush (w, error))
    return FALSE;
  offset = w->offset;
  at = s_begin_record (b, OL_MCAP_OP_METADATA);
  s_put_string (b, name);
  s_put_map (b, metadata);
  s_end_record (b, at);
  if (!s_write (w, b->data, b->len, error))
    return FALSE;
  at = s_begin_record (w->metadata_indexes, OL_MCAP_OP_METADATA_INDEX);
  s_put_u64 (w->metadata_indexes, offset);
  s_put_u64 (w->metadata_indexes, b->len);
  s_put_string (w->metadata_indexes, name);
  s_end_record (w->metadata_indexes, at);
  w->metadata_count++;
  return TRUE;
}

/* A Summary Offset record for the group of op from start to the end of s. */
static void
s_put_group (GByteArray *s, guint8 op, guint64 base, guint group_start, GByteArray *offsets)
{
  guint at;

  if (s->len == group_start)
    return;
  at = s_begin_record (offsets, OL_MCAP_OP_SUMMARY_OFFSET);
  s_put_u8 (offsets, op);
  s_put_u64 (offsets, base + group_start);
  s_put_u64 (offsets, s->len - group_start);
  s_end_record (offsets, at);
}

gboolean
ol__mcap_writer_finish (OlMcapWriter *w, GError **error)
{
  g_autoptr (GByteArray) b = g_byte_array_new ();
  g_autoptr (GByteArray) offsets = g_byte_array_new ();
  guint64 summary_start, summary_offset_start;
  guint at, group, map_at;
  guint32 crc;

  if (!ol__mcap_writer_flush (w, error))
    return FALSE;
  /* Data End: the CRC of everything before it. */
  at = s_begin_record (b, OL_MCAP_OP_DATA_END);
  s_put_u32 (b, w->data_crc);
  s_end_record (b, at);
  if (!s_write (w, b->data, b->len, error))
    return FALSE;
  w->in_data = FALSE;
  g_byte_array_set_size (b, 0);
  summary_start = w->offset;

  group = b->len;
  for (guint i = 0; i < w->channel_order->len; i++)
    {
      guint16 id = g_array_index (w->channel_order, guint16, i);
      WChannel *ch = g_hash_table_lookup (w->channels, GUINT_TO_POINTER (id));

      g_byte_array_append (b, ch->record->data, ch->record->len);
    }
  s_put_group (b, OL_MCAP_OP_CHANNEL, summary_start, group, offsets);

  group = b->len;
  at = s_begin_record (b, OL_MCAP_OP_STATISTICS);
  s_put_u64 (b, w->messages);
  s_put_u16 (b, 0);                       /* schemas */
  s_put_u32 (b, w->channel_order->len);
  s_put_u32 (b, 0);                       /* attachments */
  s_put_u32 (b, w->metadata_count);
  s_put_u32 (b, (guint32) w->chunks);
  s_put_u64 (b, w->messages > 0 ? w->start_time : 0);
  s_put_u64 (b, w->end_time);
  map_at = b->len;
  s_put_u32 (b, w->channel_order->len * 10);
  for (guint i = 0; i < w->channel_order->len; i++)
    {
      guint16 id = g_array_index (w->channel_order, guint16, i);
      WChannel *ch = g_hash_table_lookup (w->channels, GUINT_TO_POINTER (id));

      s_put_u16 (b, id);
      s_put_u64 (b, ch->messages);
    }
  g_assert (b->len - map_at - 4 == w->channel_order->len * 10u);
  s_end_record (b, at);
  s_put_group (b, OL_MCAP_OP_STATISTICS, summary_start, group, offsets);

  group = b->len;
  g_byte_array_append (b, w->metadata_indexes->data, w->metadata_indexes->len);
  s_put_group (b, OL_MCAP_OP_METADATA_INDEX, summary_start, group, offsets);

  group = b->len;
  g_byte_array_append (b, w->chunk_indexes->data, w->chunk_indexes->len);
  s_put_group (b, OL_MCAP_OP_CHUNK_INDEX, summary_start, group, offsets);

  summary_offset_start = summary_start + b->len;
  g_byte_array_append (b, offsets->data, offsets->len);

  /* Footer: its CRC covers the summary and the footer up to itself. */
  s_put_u8 (b, OL_MCAP_OP_FOOTER);
  s_put_u64 (b, OL_MCAP_FOOTER_CONTENT);
  s_put_u64 (b, summary_start);
  s_put_u64 (b, summary_offset_start);
  crc = ol__crc32 (0, b->data, b->len);
  s_put_u32 (b, crc);
  g_byte_array_append (b, (const guint8 *) OL_MCAP_MAGIC, OL_MCAP_MAGIC_SIZE);
  if (!s_write (w, b->data, b->len, error))
    return FALSE;
  if (fsync (w->fd) != 0 && errno != EINVAL && errno != EROFS)
    return s_io_error (w, errno, "sync", error);
  if (close (w->fd) != 0)
    {
      w->fd = -1;
      return s_io_error (w, errno, "close", error);
    }
  w->fd = -1;
  return TRUE;
}

guint64
ol__mcap_writer_bytes (OlMcapWriter *w)
{
  return w->offset;
}

guint64
ol__mcap_writer_chunks (OlMcapWriter *w)
{
  return w->chunks;
}

void
ol__mcap_writer_free (OlMcapWriter *w)
{
  if (w == NULL)
    return;
  if (w->fd >= 0)
    close (w->fd);
  if (w->zstd != NULL)
    ZSTD_freeCCtx (w->zstd);
  g_byte_array_unref (w->chunk);
  g_array_unref (w->chunk_channels);
  g_hash_table_unref (w->channels);
  g_array_unref (w->channel_order);
  g_byte_array_unref (w->chunk_indexes);
  g_byte_array_unref (w->metadata_indexes);
  g_byte_array_unref (w->scratch);
  g_free (w->path);
  g_free (w);
}

/* ------------------------------------------------------------------------ */
/* Reading */

guint64
ol__mcap_le64 (const guint8 *p)
{
  guint64 v = 0;

  for (int i = 7; i >= 0; i--)
    v = (v << 8) | p[i];
  return v;
}

guint32
ol__mcap_le32 (const guint8 *p)
{
  return (guint32) p[0] | (guint32) p[1] << 8 | (guint32) p[2] << 16
         | (guint32) p[3] << 24;
}

const guint8 *
ol__mcap_bytes (OlMcapCursor *c, gsize n)
{
  const guint8 *p;

  if (c->bad || n > c->left)
    {
      c->bad = TRUE;
      return NULL;
    }
  p = c->p;
  c->p += n;
  c->left -= n;
  return p;
}

guint8
ol__mcap_u8 (OlMcapCursor *c)
{
  const guint8 *p = ol__mcap_bytes (c, 1);

  return p ? p[0] : 0;
}

guint16
ol__mcap_u16 (OlMcapCursor *c)
{
  const guint8 *p = ol__mcap_bytes (c, 2);

  return p ? (guint16) (p[0] | p[1] << 8) : 0;
}

guint32
ol__mcap_u32 (OlMcapCursor *c)
{
  const guint8 *p = ol__mcap_bytes (c, 4);

  return p ? ol__mcap_le32 (p) : 0;
}

guint64
ol__mcap_u64 (OlMcapCursor *c)
{
  const guint8 *p = ol__mcap_bytes (c, 8);

  return p ? ol__mcap_le64 (p) : 0;
}

char *
ol__mcap_string (OlMcapCursor *c, gsize max)
{
  guint32 n = ol__mcap_u32 (c);
  const guint8 *p;

  if (c->bad || n > max)
    {
      c->bad = TRUE;
      return NULL;
    }
  if ((p = ol__mcap_bytes (c, n)) == NULL)
    return NULL;
  if (memchr (p, '\0', n) != NULL)
    {
      c->bad = TRUE;
      return NULL;
    }
  return g_strndup ((const char *) p, n);
}

GHashTable *
ol__mcap_string_map (OlMcapCursor *c, gsize max)
{
  guint32 n = ol__mcap_u32 (c);
  const guint8 *p = ol__mcap_bytes (c, n);
  g_autoptr (GHashTable) map = NULL;
  OlMcapCursor m;

  if (p == NULL)
    return NULL;
  map = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  ol__mcap_cursor_init (&m, p, n);
  while (m.left > 0)
    {
      char *key = ol__mcap_string (&m, max);
      char *value = ol__mcap_string (&m, max);

      if (m.bad || g_hash_table_contains (map, key))
        {
          g_free (key);
          g_free (value);
          c->bad = TRUE;
          return NULL;
        }
      g_hash_table_insert (map, key, value);
    }
  return g_steal_pointer (&map);
}
