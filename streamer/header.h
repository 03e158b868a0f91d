/* The data-plane message header (docs/PROTOCOL.md, "Data plane").
 *
 * A stream message is three frames: topic "NAME\0", this 48-byte header,
 * payload. All integers little-endian:
 *
 *   offset size field
 *    0     1   version        OL_DATA_VERSION (1)
 *    1     1   status         OlStatus bits
 *    2     1   encoding       OlEncoding
 *    3     1   pixel format   OlPixelFormat (0 unless encoding is image)
 *    4     4   overruns       deadlines missed so far by the stream's thread
 *    8     8   sequence       per stream, from 1
 *   16     8   timestamp      wall clock, ns since the epoch (signed)
 *   24     4   width          image width in pixels (0 unless image)
 *   28     4   height         image height in pixels (0 unless image)
 *   32    16   reserved       zero; ignored by readers of version 1
 *
 * Thread rules: pure functions.
 */
#pragma once

#include <glib.h>

#include "core/names.h"
#include "oneliner/stream.h"

G_BEGIN_DECLS

#define OL_DATA_VERSION 1
#define OL_HEADER_SIZE 48
/* Longest stream name; the topic frame is the name plus its NUL. */
#define OL_STREAM_NAME_MAX OL_NAME_MAX

/* Status bit of a sequence mark: not a message but the sequence number of
 * the last message of a burst of a pushed stream, sent once the stream has
 * been quiet for OL_MARK_QUIET_MS, with an empty payload, so that a
 * subscriber learns of messages lost at the very end of a burst
 * (docs/PROTOCOL.md, "Sequence marks"). Clients never deliver marks. */
#define OL__STATUS_MARK (1 << 2)
#define OL_MARK_QUIET_MS 100

typedef struct {
  guint8 status;
  OlEncoding encoding;
  OlImageInfo image;
  guint32 overruns;
  guint64 sequence;
  gint64 timestamp;
} OlHeader;

void ol__header_encode (const OlHeader *header, guint8 out[OL_HEADER_SIZE]);

/* Decodes; FALSE (with OL_ERROR_PROTOCOL) for a wrong size or version. */
gboolean ol__header_decode (const guint8 *data, gsize size, OlHeader *header,
                            GError **error);

/* Checks a topic frame: a valid stream name followed by one NUL. On success
 * *name_len is the name's length. */
gboolean ol__topic_check (const guint8 *data, gsize size, gsize *name_len);

/* The payload size of one image of that geometry: width * height * pixel
 * size. FALSE if it is 0 or does not fit in 64 bits. */
gboolean ol__image_size (const OlImageInfo *image, guint64 *size);

G_END_DECLS
