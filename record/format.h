/* How oneliner's stream messages map to MCAP records (docs/RECORDING.md):
 * the keys of a channel's metadata, the message encodings, the metadata
 * record's name. The recorder writes them, the reader reads them back.
 *
 * Include direction: record/recorder.c and record/recording.c.
 */
#pragma once

/* The MCAP Header's library field starts with this. */
#define OL_REC_LIBRARY "oneliner"

/* Channel metadata keys (values are decimal numbers unless said). */
#define OL_REC_KEY_ENCODING "oneliner.encoding"       /* "json", "raw", "image" */
#define OL_REC_KEY_STATUS "oneliner.status"           /* OlStatus bits */
#define OL_REC_KEY_SEQUENCE_HIGH "oneliner.sequence_high" /* sequence >> 32 */
#define OL_REC_KEY_DESCRIPTION "oneliner.description" /* JSON text (optional) */
#define OL_REC_KEY_WIDTH "oneliner.image.width"       /* image channels */
#define OL_REC_KEY_HEIGHT "oneliner.image.height"
#define OL_REC_KEY_FORMAT "oneliner.image.format"     /* "gray8", "gray16", "rgb8" */

/* Message encodings of the channels. */
#define OL_REC_MESSAGE_JSON "json"
#define OL_REC_MESSAGE_RAW "oneliner.raw"
#define OL_REC_MESSAGE_IMAGE "oneliner.image"

/* The Metadata record the recorder writes at stop. */
#define OL_REC_METADATA "oneliner.recording"

/* Chunks: closed at this many bytes of records, or this long after their
 * first message. */
#define OL_REC_CHUNK_BYTES (1024 * 1024)
#define OL_REC_CHUNK_US (1 * G_USEC_PER_SEC)
