/* OlRecording (oneliner/record.h): reads an MCAP recording back.
 *
 * The file is not trusted: every length and offset is checked against the
 * file's size and the record that holds it, chunk CRCs are checked, records
 * of unknown opcodes are skipped. With a sound summary (footer, summary CRC)
 * the chunks are found through their Chunk Index records; otherwise the data
 * section is scanned record by record from the start, up to where it is cut.
 * Messages come out in log-time order: a chunk is sorted when it is loaded,
 * and the chunks whose time ranges overlap are merged.
 *
 * Include direction: record/ is above streamer/; it builds messages with
 * streamer's own message block (streamer/subscriber_private.h), so that
 * ol_stream_message_free() frees them as any received message.
 *
 * Thread rules: an OlRecording belongs to the thread that uses it.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zstd.h>

#include "oneliner/error.h"
#include "oneliner/record.h"
#include "core/json.h"
#include "core/names.h"
#include "record/format.h"
#include "record/mcap.h"
#include "record/recording_private.h"
#include "streamer/stream.h"
#include "streamer/subscriber_private.h"

/* Bounds of what is read from a file at once. */
#define SUMMARY_MAX (256u * 1024 * 1024)
#define RECORD_MAX (16u * 1024 * 1024)   /* a Channel or Metadata record */
#define STRING_MAX (1024u * 1024)

/* The largest chunk (compressed or not) the reader loads. */
static guint64 s_chunk_max = G_GUINT64_CONSTANT (1) << 30;

void
ol__recording_set_chunk_max (guint64 bytes)
{
  s_chunk_max = bytes;
}

typedef struct {
  guint16 id;
  const char *topic;        /* interned */
  OlEncoding encoding;
  guint32 status;
  guint32 high;             /* the sequence's high 32 bits */
  OlImageInfo image;
  char *description;        /* (owned) (nullable) JSON text */
} RChannel;

typedef struct {
  guint64 offset;           /* of the Chunk record */
  guint64 length;           /* the whole record */
  guint64 start;            /* message log times */
  guint64 end;
} RChunk;

typedef struct {
  guint64 log_time;
  guint32 order;            /* its place in the chunk */
  guint32 size;             /* payload bytes */
  const guint8 *record;     /* the Message content, in Loaded.data */
  RChannel *channel;
} Entry;

typedef struct {
  GBytes *data;             /* (owned) the chunk's records */
  GArray *entries;          /* (owned) Entry, sorted */
  guint pos;
  const char *compression;  /* "none" or "zstd" */
} Loaded;

struct OlRecording {
  int fd;
  char *quoted;             /* (owned) the path, for messages */
  guint64 size;
  GHashTable *channels;     /* (owned) id -> RChannel */
  GArray *chunks;           /* (owned) RChunk, by start time */
  gboolean complete;        /* footer and magic at the end */
  gboolean summary;         /* the chunks came from a sound summary */
  char *library;            /* (owned) (nullable) the Header's */
  GHashTable *meta;         /* (owned) (nullable) "oneliner.recording" */
  GPtrArray *problems;      /* (owned) texts */
  GHashTable *said;         /* (owned) keys of problems already said */
  guint next_chunk;         /* reading */
  GPtrArray *loaded;        /* (owned) Loaded */
  json_t *survey;           /* (owned) (nullable) describe's, once made */
};

static void G_GNUC_PRINTF (3, 4)
s_problem (OlRecording *rec, const char *key, const char *format, ...)
{
  va_list ap;

  if (g_hash_table_contains (rec->said, key))
    return;
  g_hash_table_add (rec->said, g_strdup (key));
  if (rec->problems->len >= 1000)
    return;
  va_start (ap, format);
  g_ptr_array_add (rec->problems, g_strdup_vprintf (format, ap));
  va_end (ap);
}

static void
s_channel_free (gpointer data)
{
  RChannel *ch = data;

  g_free (ch->description);
  g_free (ch);
}

static void
s_loaded_free (gpointer data)
{
  Loaded *l = data;

  g_bytes_unref (l->data);
  g_array_unref (l->entries);
  g_free (l);
}

/* size bytes at offset, all within the file. */
static gboolean
s_pread (OlRecording *rec, guint64 offset, void *buf, gsize size)
{
  guint8 *p = buf;

  if (offset > rec->size || size > rec->size - offset)
    return FALSE;
  while (size > 0)
    {
      ssize_t n = pread (rec->fd, p, size, (off_t) offset);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return FALSE;
      p += n;
      offset += (guint64) n;
      size -= (gsize) n;
    }
  return TRUE;
}

/* The opcode and content length of the record at offset, which must lie
 * whole within limit. */
static gboolean
s_record_head (OlRecording *rec, guint64 offset, guint64 limit, guint8 *op, guint64 *len)
{
  guint8 head[OL_MCAP_RECORD_HEAD];

  if (offset > limit || limit - offset < OL_MCAP_RECORD_HEAD
      || !s_pread (rec, offset, head, sizeof head))
    return FALSE;
  *op = head[0];
  *len = ol__mcap_le64 (head + 1);
  return *len <= limit - offset - OL_MCAP_RECORD_HEAD;
}

/* ------------------------------------------------------------------------ */
/* Records */

static gboolean
s_parse_uint (GHashTable *map, const char *key, guint64 max, guint64 *value)
{
  const char *s = g_hash_table_lookup (map, key);
  guint64 v;

  if (s == NULL)
    {
      *value = 0;
      return TRUE;
    }
  if (!g_ascii_string_to_unsigned (s, 10, 0, max, &v, NULL))
    return FALSE;
  *value = v;
  return TRUE;
}

/* A Channel record's content. */
static void
s_add_channel (OlRecording *rec, const guint8 *data, gsize size)
{
  OlMcapCursor c;
  g_autofree char *topic = NULL, *encoding = NULL;
  g_autoptr (GHashTable) map = NULL;
  g_autofree char *key = NULL;
  const char *enc_name, *format;
  guint64 status, high, width, height;
  RChannel *ch;
  guint16 id;

  ol__mcap_cursor_init (&c, data, size);
  id = ol__mcap_u16 (&c);
  (void) ol__mcap_u16 (&c);   /* schema */
  topic = ol__mcap_string (&c, STRING_MAX);
  encoding = ol__mcap_string (&c, STRING_MAX);
  map = ol__mcap_string_map (&c, STRING_MAX);
  key = g_strdup_printf ("channel %u", id);
  if (c.bad)
    {
      s_problem (rec, key, "channel %u: a Channel record that does not parse", id);
      return;
    }
  if (g_hash_table_contains (rec->channels, GUINT_TO_POINTER (id)))
    return;   /* repeated */
  if (!ol__name_is_valid (topic))
    {
      g_autofree char *q = ol__quote (topic, -1);

      s_problem (rec, key, "channel %u: topic \"%s\" is not a stream name: skipped", id, q);
      return;
    }
  ch = g_new0 (RChannel, 1);
  ch->id = id;
  ch->topic = g_intern_string (topic);
  enc_name = g_hash_table_lookup (map, OL_REC_KEY_ENCODING);
  if (enc_name == NULL || !ol_encoding_from_name (enc_name, &ch->encoding))
    /* Not ours, or an encoding we do not know: by its message encoding. */
    ch->encoding = g_strcmp0 (encoding, OL_REC_MESSAGE_JSON) == 0 ? OL_ENCODING_JSON
                   : OL_ENCODING_RAW;
  if (!s_parse_uint (map, OL_REC_KEY_STATUS, 255, &status)
      || !s_parse_uint (map, OL_REC_KEY_SEQUENCE_HIGH, G_MAXUINT32, &high))
    {
      s_problem (rec, key, "channel %u (%s): bad %s or %s", id, ch->topic,
                 OL_REC_KEY_STATUS, OL_REC_KEY_SEQUENCE_HIGH);
      status = high = 0;
    }
  ch->status = (guint32) status;
  ch->high = (guint32) high;
  if (ch->encoding == OL_ENCODING_IMAGE)
    {
      format = g_hash_table_lookup (map, OL_REC_KEY_FORMAT);
      if (!s_parse_uint (map, OL_REC_KEY_WIDTH, G_MAXUINT32, &width)
          || !s_parse_uint (map, OL_REC_KEY_HEIGHT, G_MAXUINT32, &height)
          || !ol__pixel_format_from_name (format, &ch->image.format))
        {
          s_problem (rec, key, "channel %u (%s): bad image geometry", id, ch->topic);
          width = height = 0;
          ch->image.format = OL_PIXEL_NONE;
        }
      ch->image.width = (guint32) width;
      ch->image.height = (guint32) height;
    }
  ch->description = g_strdup (g_hash_table_lookup (map, OL_REC_KEY_DESCRIPTION));
  g_hash_table_insert (rec->channels, GUINT_TO_POINTER (id), ch);
}

/* A Metadata record's content: kept if it is the recorder's. */
static void
s_add_metadata (OlRecording *rec, const guint8 *data, gsize size)
{
  OlMcapCursor c;
  g_autofree char *name = NULL;
  GHashTable *map;

  ol__mcap_cursor_init (&c, data, size);
  name = ol__mcap_string (&c, STRING_MAX);
  map = ol__mcap_string_map (&c, STRING_MAX);
  if (c.bad)
    {
      s_problem (rec, "metadata", "a Metadata record that does not parse");
      g_clear_pointer (&map, g_hash_table_unref);
      return;
    }
  if (g_strcmp0 (name, OL_REC_METADATA) == 0 && rec->meta == NULL)
    rec->meta = map;
  else
    g_hash_table_unref (map);
}

/* Reads the whole record at offset of opcode op, at most max bytes of
 * content. (transfer full) or NULL. */
static guint8 *
s_read_record (OlRecording *rec, guint64 offset, guint64 limit, guint8 want, guint64 max,
               gsize *size)
{
  guint8 op;
  guint64 len;
  guint8 *buf;

  if (!s_record_head (rec, offset, limit, &op, &len) || op != want || len > max)
    return NULL;
  buf = g_malloc (len > 0 ? len : 1);
  if (!s_pread (rec, offset + OL_MCAP_RECORD_HEAD, buf, len))
    {
      g_free (buf);
      return NULL;
    }
  *size = len;
  return buf;
}

static gint
s_chunk_compare (gconstpointer a, gconstpointer b)
{
  const RChunk *x = a, *y = b;

  if (x->start != y->start)
    return x->start < y->start ? -1 : 1;
  return x->offset < y->offset ? -1 : x->offset > y->offset;
}

/* ------------------------------------------------------------------------ */
/* Finding the chunks */

/* The summary section [start, footer), with the footer's CRC. */
static gboolean
s_read_summary (OlRecording *rec, guint64 start, guint64 footer, guint32 crc)
{
  g_autofree guint8 *buf = NULL;
  guint64 metadata_offset = 0, metadata_length = 0;
  guint64 len = footer - start;
  gsize at = 0;

  if (len > SUMMARY_MAX)
    {
      s_problem (rec, "summary", "the summary section is too large (%" G_GUINT64_FORMAT
                 " bytes): the data section was scanned", len);
      return FALSE;
    }
  /* The CRC covers the summary and the footer up to its summary_crc. */
  buf = g_malloc (len + OL_MCAP_RECORD_HEAD + 16);
  if (!s_pread (rec, start, buf, len + OL_MCAP_RECORD_HEAD + 16))
    return FALSE;
  if (crc != 0 && ol__crc32 (0, buf, len + OL_MCAP_RECORD_HEAD + 16) != crc)
    {
      s_problem (rec, "summary", "the summary's CRC does not match: the data section "
                 "was scanned");
      return FALSE;
    }
  while (at < len)
    {
      OlMcapCursor c;
      guint8 op;
      guint64 rlen;
      const guint8 *content;

      if (len - at < OL_MCAP_RECORD_HEAD)
        break;
      op = buf[at];
      rlen = ol__mcap_le64 (buf + at + 1);
      if (rlen > len - at - OL_MCAP_RECORD_HEAD)
        break;
      content = buf + at + OL_MCAP_RECORD_HEAD;
      ol__mcap_cursor_init (&c, content, rlen);
      if (op == OL_MCAP_OP_CHANNEL)
        s_add_channel (rec, content, rlen);
      else if (op == OL_MCAP_OP_CHUNK_INDEX)
        {
          RChunk ch;
          guint32 map_len;

          ch.start = ol__mcap_u64 (&c);
          ch.end = ol__mcap_u64 (&c);
          ch.offset = ol__mcap_u64 (&c);
          ch.length = ol__mcap_u64 (&c);
          map_len = ol__mcap_u32 (&c);
          (void) ol__mcap_bytes (&c, map_len);
          if (c.bad || ch.offset < OL_MCAP_MAGIC_SIZE || ch.offset > start
              || ch.length > start - ch.offset || ch.length < OL_MCAP_RECORD_HEAD)
            break;
          g_array_append_val (rec->chunks, ch);
        }
      else if (op == OL_MCAP_OP_METADATA_INDEX)
        {
          guint64 offset = ol__mcap_u64 (&c);
          guint64 length = ol__mcap_u64 (&c);
          g_autofree char *name = ol__mcap_string (&c, STRING_MAX);

          if (c.bad)
            break;
          if (g_strcmp0 (name, OL_REC_METADATA) == 0)
            {
              metadata_offset = offset;
              metadata_length = length;
            }
        }
      at += OL_MCAP_RECORD_HEAD + rlen;
    }
  if (at < len)
    {
      s_problem (rec, "summary", "a record of the summary section does not parse: the "
                 "data section was scanned");
      g_array_set_size (rec->chunks, 0);
      return FALSE;
    }
  if (metadata_length > 0)
    {
      gsize size;
      g_autofree guint8 *meta = s_read_record (rec, metadata_offset, start,
                                               OL_MCAP_OP_METADATA, RECORD_MAX, &size);

      if (meta != NULL && metadata_length == size + OL_MCAP_RECORD_HEAD)
        s_add_metadata (rec, meta, size);
      else
        s_problem (rec, "metadata", "the Metadata Index of \"%s\" points to no such "
                   "record", OL_REC_METADATA);
    }
  return TRUE;
}

/* Scans the data section from the start: channels, chunks, metadata. */
static void
s_scan (OlRecording *rec)
{
  guint64 offset = OL_MCAP_MAGIC_SIZE;

  g_array_set_size (rec->chunks, 0);
  for (;;)
    {
      guint8 op;
      guint64 len;

      if (offset == rec->size)
        {
          s_problem (rec, "cut", "the file ends at %" G_GUINT64_FORMAT " bytes without "
                     "its summary and footer (cut off)", rec->size);
          return;
        }
      if (!s_record_head (rec, offset, rec->size, &op, &len))
        {
          s_problem (rec, "cut", "the file is cut off in a record at offset %"
                     G_GUINT64_FORMAT " (of %" G_GUINT64_FORMAT " bytes): what follows "
                     "is lost", offset, rec->size);
          return;
        }
      if (op == OL_MCAP_OP_CHANNEL || op == OL_MCAP_OP_METADATA)
        {
          gsize size;
          g_autofree guint8 *buf = s_read_record (rec, offset, rec->size, op, RECORD_MAX,
                                                  &size);

          if (buf == NULL)
            s_problem (rec, "large", "a record of %" G_GUINT64_FORMAT " bytes at offset %"
                       G_GUINT64_FORMAT " is too large: skipped", len, offset);
          else if (op == OL_MCAP_OP_CHANNEL)
            s_add_channel (rec, buf, size);
          else
            s_add_metadata (rec, buf, size);
        }
      else if (op == OL_MCAP_OP_CHUNK)
        {
          guint8 head[16];
          RChunk ch;

          if (len >= sizeof head
              && s_pread (rec, offset + OL_MCAP_RECORD_HEAD, head, sizeof head))
            {
              ch.offset = offset;
              ch.length = OL_MCAP_RECORD_HEAD + len;
              ch.start = ol__mcap_le64 (head);
              ch.end = ol__mcap_le64 (head + 8);
              g_array_append_val (rec->chunks, ch);
            }
        }
      else if (op == OL_MCAP_OP_DATA_END || op == OL_MCAP_OP_FOOTER)
        return;
      offset += OL_MCAP_RECORD_HEAD + len;
    }
}

/* Reads the footer: TRUE if the file ends with footer and magic. */
static gboolean
s_read_footer (OlRecording *rec)
{
  guint8 tail[OL_MCAP_RECORD_HEAD + OL_MCAP_FOOTER_CONTENT + OL_MCAP_MAGIC_SIZE];
  guint64 footer, summary_start;
  guint32 crc;

  if (rec->size < OL_MCAP_MAGIC_SIZE + sizeof tail)
    return FALSE;
  footer = rec->size - sizeof tail;
  if (!s_pread (rec, footer, tail, sizeof tail)
      || memcmp (tail + sizeof tail - OL_MCAP_MAGIC_SIZE, OL_MCAP_MAGIC,
                 OL_MCAP_MAGIC_SIZE) != 0
      || tail[0] != OL_MCAP_OP_FOOTER
      || ol__mcap_le64 (tail + 1) != OL_MCAP_FOOTER_CONTENT)
    return FALSE;
  rec->complete = TRUE;
  summary_start = ol__mcap_le64 (tail + OL_MCAP_RECORD_HEAD);
  crc = ol__mcap_le32 (tail + OL_MCAP_RECORD_HEAD + 16);
  if (summary_start == 0)
    return TRUE;   /* no summary */
  if (summary_start < OL_MCAP_MAGIC_SIZE || summary_start > footer)
    {
      s_problem (rec, "summary", "the footer points outside the file: the data section "
                 "was scanned");
      return TRUE;
    }
  rec->summary = s_read_summary (rec, summary_start, footer, crc);
  return TRUE;
}

OlRecording *
ol_recording_open (const char *path, GError **error)
{
  g_autofree char *quoted = NULL;
  OlRecording *rec;
  guint8 magic[OL_MCAP_MAGIC_SIZE];
  struct stat st;
  int fd;

  g_return_val_if_fail (path != NULL, NULL);
  quoted = ol__quote (path, -1);
  fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    {
      int errsv = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
                   "cannot open recording \"%s\": %s", quoted, g_strerror (errsv));
      return NULL;
    }
  if (fstat (fd, &st) != 0 || !S_ISREG (st.st_mode))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_REGULAR_FILE,
                   "recording \"%s\" is not a regular file", quoted);
      close (fd);
      return NULL;
    }
  rec = g_new0 (OlRecording, 1);
  rec->fd = fd;
  rec->size = (guint64) st.st_size;
  rec->quoted = g_steal_pointer (&quoted);
  rec->channels = g_hash_table_new_full (NULL, NULL, NULL, s_channel_free);
  rec->chunks = g_array_new (FALSE, FALSE, sizeof (RChunk));
  rec->problems = g_ptr_array_new_with_free_func (g_free);
  rec->said = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  rec->loaded = g_ptr_array_new_with_free_func (s_loaded_free);
  if (!s_pread (rec, 0, magic, sizeof magic)
      || memcmp (magic, OL_MCAP_MAGIC, OL_MCAP_MAGIC_SIZE) != 0)
    {
      g_set_error (error, OL_ERROR, OL_ERROR_PROTOCOL,
                   "\"%s\" is not an MCAP recording (it does not start with MCAP's "
                   "magic bytes)", rec->quoted);
      ol_recording_close (rec);
      return NULL;
    }
  {
    gsize size;
    g_autofree guint8 *header = s_read_record (rec, OL_MCAP_MAGIC_SIZE, rec->size,
                                               OL_MCAP_OP_HEADER, RECORD_MAX, &size);
    OlMcapCursor c;

    if (header == NULL)
      s_problem (rec, "header", "no Header record after the magic");
    else
      {
        g_autofree char *profile = NULL;

        ol__mcap_cursor_init (&c, header, size);
        profile = ol__mcap_string (&c, STRING_MAX);
        rec->library = ol__mcap_string (&c, STRING_MAX);
      }
  }
  if (!s_read_footer (rec) || !rec->summary)
    s_scan (rec);
  if (!rec->complete)
    s_problem (rec, "cut", "the file ends at %" G_GUINT64_FORMAT " bytes without its "
               "footer (cut off)", rec->size);
  g_array_sort (rec->chunks, s_chunk_compare);
  return rec;
}

void
ol_recording_close (OlRecording *rec)
{
  if (rec == NULL)
    return;
  close (rec->fd);
  g_free (rec->quoted);
  g_free (rec->library);
  g_hash_table_unref (rec->channels);
  g_array_unref (rec->chunks);
  g_clear_pointer (&rec->meta, g_hash_table_unref);
  g_ptr_array_unref (rec->problems);
  g_hash_table_unref (rec->said);
  g_ptr_array_unref (rec->loaded);
  json_decref (rec->survey);
  g_free (rec);
}

/* ------------------------------------------------------------------------ */
/* Chunks */

static gint
s_entry_compare (gconstpointer a, gconstpointer b)
{
  const Entry *x = a, *y = b;

  if (x->log_time != y->log_time)
    return x->log_time < y->log_time ? -1 : 1;
  return x->order < y->order ? -1 : x->order > y->order;
}

/* Loads, checks and sorts a chunk; NULL (the problem said) if it is not
 * sound. (transfer full) */
static Loaded *
s_load (OlRecording *rec, const RChunk *chunk)
{
  g_autofree char *key = g_strdup_printf ("chunk %" G_GUINT64_FORMAT, chunk->offset);
  g_autofree guint8 *buf = NULL;
  g_autofree char *compression = NULL;
  g_autoptr (GBytes) data = NULL;
  OlMcapCursor c;
  guint64 usize, records_len;
  guint32 crc;
  const guint8 *records;
  gsize size;
  Loaded *l;
  guint32 order = 0;

  if (chunk->length - OL_MCAP_RECORD_HEAD > s_chunk_max)
    {
      s_problem (rec, key, "the chunk at offset %" G_GUINT64_FORMAT " is too large (%"
                 G_GUINT64_FORMAT " bytes): skipped", chunk->offset, chunk->length);
      return NULL;
    }
  buf = s_read_record (rec, chunk->offset, rec->size, OL_MCAP_OP_CHUNK, s_chunk_max, &size);
  if (buf == NULL)
    {
      s_problem (rec, key, "no chunk at offset %" G_GUINT64_FORMAT ": skipped",
                 chunk->offset);
      return NULL;
    }
  ol__mcap_cursor_init (&c, buf, size);
  (void) ol__mcap_u64 (&c);
  (void) ol__mcap_u64 (&c);
  usize = ol__mcap_u64 (&c);
  crc = ol__mcap_u32 (&c);
  compression = ol__mcap_string (&c, 64);
  records_len = ol__mcap_u64 (&c);
  records = ol__mcap_bytes (&c, c.bad || records_len > c.left ? G_MAXSIZE : records_len);
  if (c.bad || usize > s_chunk_max)
    {
      s_problem (rec, key, "the chunk at offset %" G_GUINT64_FORMAT " does not parse: "
                 "skipped", chunk->offset);
      return NULL;
    }
  if (compression[0] == '\0')
    {
      if (usize != records_len)
        {
          s_problem (rec, key, "the chunk at offset %" G_GUINT64_FORMAT " has the wrong "
                     "size: skipped", chunk->offset);
          return NULL;
        }
      data = g_bytes_new_take (g_steal_pointer (&buf), size);
      data = g_bytes_new_from_bytes (data, records - (const guint8 *) g_bytes_get_data (data, NULL),
                                     records_len);
    }
  else if (strcmp (compression, "zstd") == 0)
    {
      guint8 *out = g_malloc (usize > 0 ? usize : 1);
      gsize n = ZSTD_decompress (out, usize, records, records_len);

      if (ZSTD_isError (n) || n != usize)
        {
          g_free (out);
          s_problem (rec, key, "the chunk at offset %" G_GUINT64_FORMAT " does not "
                     "decompress: skipped", chunk->offset);
          return NULL;
        }
      data = g_bytes_new_take (out, usize);
    }
  else
    {
      g_autofree char *q = ol__quote (compression, -1);

      s_problem (rec, key, "the chunk at offset %" G_GUINT64_FORMAT " is compressed with "
                 "\"%s\", which this reader does not know: skipped", chunk->offset, q);
      return NULL;
    }
  {
    gsize dsize;
    const guint8 *d = g_bytes_get_data (data, &dsize);

    if (crc != 0 && ol__crc32 (0, d, dsize) != crc)
      {
        s_problem (rec, key, "the chunk at offset %" G_GUINT64_FORMAT " fails its CRC: "
                   "skipped", chunk->offset);
        return NULL;
      }
    l = g_new0 (Loaded, 1);
    l->compression = compression[0] == '\0' ? "none" : "zstd";
    l->data = g_bytes_ref (data);
    l->entries = g_array_new (FALSE, FALSE, sizeof (Entry));
    ol__mcap_cursor_init (&c, d, dsize);
    while (c.left > 0)
      {
        guint8 op = ol__mcap_u8 (&c);
        guint64 len = ol__mcap_u64 (&c);
        const guint8 *content = ol__mcap_bytes (&c, c.bad || len > c.left ? G_MAXSIZE : len);

        if (c.bad)
          {
            s_problem (rec, key, "the chunk at offset %" G_GUINT64_FORMAT " holds a "
                       "record that does not parse: the rest of the chunk is skipped",
                       chunk->offset);
            break;
          }
        if (op == OL_MCAP_OP_CHANNEL)
          s_add_channel (rec, content, len);
        else if (op == OL_MCAP_OP_MESSAGE && len >= 22 && len - 22 <= G_MAXUINT32)
          {
            guint16 id = (guint16) (content[0] | content[1] << 8);
            Entry e;

            e.channel = g_hash_table_lookup (rec->channels, GUINT_TO_POINTER (id));
            if (e.channel == NULL)
              {
                g_autofree char *ck = g_strdup_printf ("unknown channel %u", id);

                s_problem (rec, ck, "messages of channel %u, which no Channel record "
                           "defines: skipped", id);
                continue;
              }
            e.log_time = ol__mcap_le64 (content + 6);
            e.order = order++;
            e.size = (guint32) (len - 22);
            e.record = content;
            g_array_append_val (l->entries, e);
          }
      }
  }
  g_array_sort (l->entries, s_entry_compare);
  return l;
}

static void
s_free_bytes (void *data, void *hint)
{
  (void) data;
  g_bytes_unref (hint);
}

/* The message of e. (transfer full) */
static OlStreamMessage *
s_message (Loaded *l, const Entry *e)
{
  const RChannel *ch = e->channel;
  const guint8 *payload = e->record + 22;
  OlHeader h = { 0 };
  zmq_msg_t frame;
  Message *msg;

  h.status = (guint8) ch->status;
  h.encoding = ch->encoding;
  if (ch->encoding == OL_ENCODING_IMAGE)
    h.image = ch->image;
  h.sequence = (guint64) ch->high << 32 | ol__mcap_le32 (e->record + 2);
  h.timestamp = (gint64) ol__mcap_le64 (e->record + 14);
  if (e->size <= SUB_COPY_MAX)
    zmq_msg_init_data (&frame, (void *) payload, e->size, NULL, NULL);
  else
    /* Large payloads stay in the chunk's buffer: no copy. */
    zmq_msg_init_data (&frame, (void *) payload, e->size, s_free_bytes,
                       g_bytes_ref (l->data));
  msg = ol__message_new (ch->topic, &h, &frame);
  zmq_msg_close (&frame);
  msg->pub.received = (gint64) e->log_time;
  return &msg->pub;
}

/* ------------------------------------------------------------------------ */
/* Reading */

/* Whether the recording has stream name: a channel of it, or a stream the
 * recorder listed (once surveyed), even one that sent nothing. */
static gboolean
s_known (OlRecording *rec, const char *name)
{
  GHashTableIter it;
  gpointer value;

  g_hash_table_iter_init (&it, rec->channels);
  while (g_hash_table_iter_next (&it, NULL, &value))
    if (strcmp (((RChannel *) value)->topic, name) == 0)
      return TRUE;
  return rec->survey != NULL
         && json_object_get (json_object_get (rec->survey, "streams"), name) != NULL;
}

static gboolean
s_wanted (const char *const *streams, const char *name)
{
  if (streams == NULL)
    return TRUE;
  for (guint i = 0; streams[i] != NULL; i++)
    if (strcmp (streams[i], name) == 0)
      return TRUE;
  return FALSE;
}

static json_t *s_survey (OlRecording *rec);

OlStreamMessage *
ol_recording_next (OlRecording *rec, const char *const *streams, GError **error)
{
  g_return_val_if_fail (rec != NULL, NULL);
  for (guint i = 0; streams != NULL && streams[i] != NULL; i++)
    {
      if (!s_known (rec, streams[i]) && rec->survey == NULL)
        s_survey (rec);   /* channels defined inside chunks only */
      if (!s_known (rec, streams[i]))
        {
          g_autofree char *q = ol__quote (streams[i], -1);

          g_set_error (error, OL_ERROR, OL_ERROR_NOT_FOUND,
                       "stream \"%s\" is not in recording \"%s\"", q, rec->quoted);
          return NULL;
        }
    }
  for (;;)
    {
      Loaded *best = NULL;
      const Entry *e;

      /* Drop what is read, then find the earliest next message. */
      for (guint i = 0; i < rec->loaded->len;)
        {
          Loaded *l = rec->loaded->pdata[i];

          if (l->pos >= l->entries->len)
            g_ptr_array_remove_index (rec->loaded, i);
          else
            {
              if (best == NULL || g_array_index (l->entries, Entry, l->pos).log_time
                                  < g_array_index (best->entries, Entry, best->pos).log_time)
                best = l;
              i++;
            }
        }
      /* A chunk that starts before it may hold earlier messages. */
      if (rec->next_chunk < rec->chunks->len
          && (best == NULL
              || g_array_index (rec->chunks, RChunk, rec->next_chunk).start
                 <= g_array_index (best->entries, Entry, best->pos).log_time))
        {
          Loaded *l = s_load (rec, &g_array_index (rec->chunks, RChunk, rec->next_chunk));

          rec->next_chunk++;
          if (l != NULL)
            g_ptr_array_add (rec->loaded, l);
          continue;
        }
      if (best == NULL)
        return NULL;
      e = &g_array_index (best->entries, Entry, best->pos);
      best->pos++;
      if (s_wanted (streams, e->channel->topic))
        return s_message (best, e);
    }
}

void
ol_recording_rewind (OlRecording *rec)
{
  g_return_if_fail (rec != NULL);
  g_ptr_array_set_size (rec->loaded, 0);
  rec->next_chunk = 0;
}

/* ------------------------------------------------------------------------ */
/* Describing */

typedef struct {
  json_t *entry;            /* borrowed, in streams */
  guint64 messages, errors, gaps, last_seq;
  gint64 first, last;
  gboolean seen;
} Survey;

static void
s_survey_free (gpointer data)
{
  g_free (data);
}

/* Every chunk read once: what each stream holds. (transfer none) */
static json_t *
s_survey (OlRecording *rec)
{
  g_autoptr (GHashTable) by_name = g_hash_table_new_full (NULL, NULL, NULL, s_survey_free);
  json_t *streams = json_object ();
  json_t *meta_streams = NULL;
  const char *compression = NULL;
  guint64 messages = 0;
  gint64 start = 0, end = 0;
  GHashTableIter it;
  gpointer key, value;

  if (rec->meta != NULL)
    {
      const char *text = g_hash_table_lookup (rec->meta, "streams");

      meta_streams = text ? json_loads (text, 0, NULL) : NULL;
      if (text != NULL && !json_is_object (meta_streams))
        s_problem (rec, "meta streams", "the \"streams\" of \"%s\" is not a JSON object",
                   OL_REC_METADATA);
    }
  for (guint i = 0; i < rec->chunks->len; i++)
    {
      Loaded *l = s_load (rec, &g_array_index (rec->chunks, RChunk, i));

      if (l == NULL)
        continue;
      compression = compression == NULL || strcmp (compression, l->compression) == 0
                    ? l->compression : "mixed";
      for (guint k = 0; k < l->entries->len; k++)
        {
          const Entry *e = &g_array_index (l->entries, Entry, k);
          const RChannel *ch = e->channel;
          Survey *s = g_hash_table_lookup (by_name, ch->topic);
          guint64 seq = (guint64) ch->high << 32 | ol__mcap_le32 (e->record + 2);

          if (s == NULL)
            {
              s = g_new0 (Survey, 1);
              s->entry = json_object ();
              json_object_set_new (streams, ch->topic, s->entry);
              g_hash_table_insert (by_name, (gpointer) ch->topic, s);
            }
          /* The stream's own encoding, description and geometry: those of
           * its normal messages. */
          if (!(ch->status & OL_STATUS_ERROR)
              && json_object_get (s->entry, "encoding") == NULL)
            {
              json_object_set_new (s->entry, "encoding",
                                   json_string (ol_encoding_name (ch->encoding)));
              if (ch->encoding == OL_ENCODING_IMAGE)
                json_object_set_new (s->entry, "image",
                                     json_pack ("{s:i, s:i, s:s}", "width",
                                                (int) ch->image.width, "height",
                                                (int) ch->image.height, "format",
                                                ol__pixel_format_name (ch->image.format)));
            }
          if (ch->description != NULL && json_object_get (s->entry, "description") == NULL)
            {
              json_t *d = json_loads (ch->description, 0, NULL);

              if (d != NULL)
                json_object_set_new (s->entry, "description", d);
              else
                s_problem (rec, ch->topic, "the description of stream \"%s\" is not JSON",
                           ch->topic);
            }
          if (s->seen && seq > s->last_seq + 1)
            s->gaps += seq - s->last_seq - 1;
          if (!s->seen || seq > s->last_seq)
            s->last_seq = seq;
          if (!s->seen || (gint64) e->log_time < s->first)
            s->first = (gint64) e->log_time;
          if (!s->seen || (gint64) e->log_time > s->last)
            s->last = (gint64) e->log_time;
          if (messages == 0 || (gint64) e->log_time < start)
            start = (gint64) e->log_time;
          if (messages == 0 || (gint64) e->log_time > end)
            end = (gint64) e->log_time;
          s->seen = TRUE;
          s->messages++;
          messages++;
          if (ch->status & OL_STATUS_ERROR)
            s->errors++;
        }
      s_loaded_free (l);
    }
  g_hash_table_iter_init (&it, by_name);
  while (g_hash_table_iter_next (&it, &key, &value))
    {
      Survey *s = value;
      json_t *m = json_object_get (json_object_get (meta_streams, key), "missed");

      if (json_object_get (s->entry, "encoding") == NULL)
        {
          /* Error messages only: the recorder's word, else JSON. */
          json_t *enc = json_object_get (json_object_get (meta_streams, key), "encoding");
          OlEncoding e;

          json_object_set_new (s->entry, "encoding",
                               json_string (ol_encoding_from_name (json_string_value (enc), &e)
                                            ? ol_encoding_name (e) : "json"));
        }
      json_object_set_new (s->entry, "messages", json_integer ((json_int_t) s->messages));
      json_object_set_new (s->entry, "errors", json_integer ((json_int_t) s->errors));
      json_object_set_new (s->entry, "missed",
                           json_is_integer (m) && json_integer_value (m) >= 0
                           ? json_integer (json_integer_value (m))
                           : json_integer ((json_int_t) s->gaps));
      json_object_set_new (s->entry, "first_ns", json_integer (s->first));
      json_object_set_new (s->entry, "last_ns", json_integer (s->last));
    }
  /* Streams recorded without a message: the recorder's metadata lists them. */
  if (json_is_object (meta_streams))
    {
      const char *name;
      json_t *entry;

      json_object_foreach (meta_streams, name, entry)
        {
          json_t *enc = json_object_get (entry, "encoding");
          json_t *m = json_object_get (entry, "missed");
          OlEncoding e;

          if (json_object_get (streams, name) != NULL || !ol__name_is_valid (name))
            continue;
          json_object_set_new (streams, name,
            json_pack ("{s:s, s:i, s:i, s:I, s:i, s:i}", "encoding",
                       ol_encoding_from_name (json_string_value (enc), &e)
                       ? ol_encoding_name (e) : "raw",
                       "messages", 0, "errors", 0, "missed",
                       json_is_integer (m) && json_integer_value (m) >= 0
                       ? json_integer_value (m) : 0,
                       "first_ns", 0, "last_ns", 0));
        }
    }
  json_decref (meta_streams);
  json_decref (rec->survey);
  if (compression == NULL && rec->meta != NULL
      && ol_compression_from_name (g_hash_table_lookup (rec->meta, "compression"), NULL))
    compression = g_hash_table_lookup (rec->meta, "compression");
  rec->survey = json_pack ("{s:o, s:I, s:I, s:I, s:s}", "streams", streams,
                           "messages", (json_int_t) messages, "start_ns", (json_int_t) start,
                           "end_ns", (json_int_t) end, "compression",
                           compression ? compression : "none");
  return rec->survey;
}

json_t *
ol_recording_describe (OlRecording *rec)
{
  json_t *d, *problems, *recorder;

  g_return_val_if_fail (rec != NULL, NULL);
  if (rec->survey == NULL)
    s_survey (rec);
  d = json_deep_copy (rec->survey);
  json_object_set_new (d, "size", json_integer ((json_int_t) rec->size));
  json_object_set_new (d, "chunks", json_integer ((json_int_t) rec->chunks->len));
  json_object_set_new (d, "complete", json_boolean (rec->complete));
  json_object_set_new (d, "summary", json_boolean (rec->summary));
  if (rec->library != NULL)
    json_object_set_new (d, "library", json_string (rec->library));
  if (rec->meta != NULL)
    {
      GHashTableIter it;
      gpointer key, value;

      recorder = json_object ();
      g_hash_table_iter_init (&it, rec->meta);
      while (g_hash_table_iter_next (&it, &key, &value))
        if (g_utf8_validate (key, -1, NULL) && g_utf8_validate (value, -1, NULL)
            && strcmp (key, "streams") != 0)
          json_object_set_new (recorder, key, json_string (value));
      json_object_set_new (d, "recorder", recorder);
    }
  problems = json_array ();
  for (guint i = 0; i < rec->problems->len; i++)
    json_array_append_new (problems, json_string (rec->problems->pdata[i]));
  json_object_set_new (d, "problems", problems);
  return d;
}
