/* MCAP (https://mcap.dev/spec) at the level of records: the writer of a
 * chunked, indexed file, and the bounded readers of record fields that
 * record/recording.c uses on files it does not trust. CRC-32 as zlib's.
 *
 * Include direction: record/ sits above core/, router/ and streamer/; this
 * file uses nothing of the layers below but core/ and the public headers.
 *
 * Thread rules: an OlMcapWriter belongs to one thread (the recorder's
 * writer). The cursor functions and ol__crc32 are pure.
 */
#pragma once

#include <glib.h>

#include "oneliner/record.h"

G_BEGIN_DECLS

#define OL_MCAP_MAGIC "\x89MCAP0\r\n"
#define OL_MCAP_MAGIC_SIZE 8
/* opcode (1 byte) and content length (8 bytes) */
#define OL_MCAP_RECORD_HEAD 9
/* The content of a Footer: summary_start, summary_offset_start, summary_crc. */
#define OL_MCAP_FOOTER_CONTENT 20

typedef enum {
  OL_MCAP_OP_HEADER = 0x01,
  OL_MCAP_OP_FOOTER = 0x02,
  OL_MCAP_OP_SCHEMA = 0x03,
  OL_MCAP_OP_CHANNEL = 0x04,
  OL_MCAP_OP_MESSAGE = 0x05,
  OL_MCAP_OP_CHUNK = 0x06,
  OL_MCAP_OP_MESSAGE_INDEX = 0x07,
  OL_MCAP_OP_CHUNK_INDEX = 0x08,
  OL_MCAP_OP_ATTACHMENT = 0x09,
  OL_MCAP_OP_ATTACHMENT_INDEX = 0x0A,
  OL_MCAP_OP_STATISTICS = 0x0B,
  OL_MCAP_OP_METADATA = 0x0C,
  OL_MCAP_OP_METADATA_INDEX = 0x0D,
  OL_MCAP_OP_SUMMARY_OFFSET = 0x0E,
  OL_MCAP_OP_DATA_END = 0x0F,
} OlMcapOp;

/* CRC-32 (the polynomial and conventions of zlib's crc32()): start with 0
 * and feed the result back to continue. */
guint32 ol__crc32 (guint32 crc, const void *data, gsize size);

/* ------------------------------------------------------------------------ */
/* Writing */

typedef struct OlMcapWriter OlMcapWriter;

/* Creates (or truncates) path and writes the magic and the Header record
 * (profile "", library). A chunk is closed once it holds chunk_size bytes of
 * records (or when the caller flushes it). (transfer full) or NULL with a
 * G_IO_ERROR. */
OlMcapWriter *ol__mcap_writer_new (const char *path, OlCompression compression,
                                   gsize chunk_size, const char *library,
                                   GError **error);

/* Writes a Channel record (schema 0) in the data section, at once; metadata
 * is a NULL-terminated list of key, value, key, value... It goes to the
 * summary too. id > 0 and new. */
gboolean ol__mcap_writer_add_channel (OlMcapWriter *writer, guint16 id,
                                      const char *topic, const char *message_encoding,
                                      const char *const *metadata, GError **error);

/* Adds a Message record to the open chunk (a new one if none), and closes
 * the chunk if it reached the chunk size. */
gboolean ol__mcap_writer_add_message (OlMcapWriter *writer, guint16 channel,
                                      guint32 sequence, guint64 log_time,
                                      guint64 publish_time, const void *data,
                                      gsize size, GError **error);

/* Writes the open chunk, if any, and its Message Index records. */
gboolean ol__mcap_writer_flush (OlMcapWriter *writer, GError **error);

/* Bytes of records in the open chunk; 0 when none is open. */
gsize ol__mcap_writer_pending (OlMcapWriter *writer);

/* Writes a Metadata record (key, value pairs as for channels) in the data
 * section, indexed in the summary. The open chunk is written first. */
gboolean ol__mcap_writer_add_metadata (OlMcapWriter *writer, const char *name,
                                       const char *const *metadata, GError **error);

/* Writes the open chunk, Data End, the summary (channels, statistics,
 * metadata and chunk indexes, summary offsets), the Footer and the magic,
 * then fsyncs and closes the file. FALSE with a G_IO_ERROR. The writer must
 * be freed after, whatever the result. */
gboolean ol__mcap_writer_finish (OlMcapWriter *writer, GError **error);

/* Bytes written to the file so far, and chunks. */
guint64 ol__mcap_writer_bytes (OlMcapWriter *writer);
guint64 ol__mcap_writer_chunks (OlMcapWriter *writer);

/* Closes the file if still open (what was written stays) and frees. */
void ol__mcap_writer_free (OlMcapWriter *writer);

/* ------------------------------------------------------------------------ */
/* Reading: a cursor over bytes that are not trusted. Every read checks the
 * bytes left; once one fails, the cursor is bad and every later read fails
 * too, so a parser checks bad once at the end. */

typedef struct {
  const guint8 *p;
  gsize left;
  gboolean bad;
} OlMcapCursor;

static inline void
ol__mcap_cursor_init (OlMcapCursor *c, const void *data, gsize size)
{
  c->p = data;
  c->left = size;
  c->bad = FALSE;
}

guint8 ol__mcap_u8 (OlMcapCursor *c);
guint16 ol__mcap_u16 (OlMcapCursor *c);
guint32 ol__mcap_u32 (OlMcapCursor *c);
guint64 ol__mcap_u64 (OlMcapCursor *c);
/* n bytes in place (transfer none), NULL if fewer are left. */
const guint8 *ol__mcap_bytes (OlMcapCursor *c, gsize n);
/* A String (uint32 length, bytes): a new NUL-terminated copy, or NULL (bad)
 * if it is longer than max or holds a NUL. (transfer full) */
char *ol__mcap_string (OlMcapCursor *c, gsize max);
/* A Map<string, string> (uint32 byte length, pairs): a table of copies, or
 * NULL (bad) if it does not fit, a key repeats or a string is longer than
 * max. (transfer full) */
GHashTable *ol__mcap_string_map (OlMcapCursor *c, gsize max);

/* Little-endian readers of a buffer known to hold enough bytes. */
guint64 ol__mcap_le64 (const guint8 *p);
guint32 ol__mcap_le32 (const guint8 *p);

G_END_DECLS
