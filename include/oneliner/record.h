/* oneliner: recording streams to MCAP files and reading them back.
 *
 * A recording is an MCAP file (https://mcap.dev, the open indexed container
 * that standard MCAP tools read): one channel per stream (more when its
 * status or encoding changes: docs/RECORDING.md says exactly how a stream
 * message maps to MCAP records), chunks compressed with zstd or not, a
 * summary section with chunk indexes and statistics, and a metadata record
 * "oneliner.recording" with what the recorder missed. A recording cut off by
 * SIGKILL or a power loss stays readable up to its last complete chunk.
 *
 * Thread rules: an OlRecorder runs its own thread with its own client; its
 * functions may be called from any thread. An OlRecording belongs to the
 * thread that uses it.
 */
#pragma once

#include <glib.h>
#include <jansson.h>

#include <oneliner/export.h>
#include <oneliner/stream.h>

G_BEGIN_DECLS

typedef enum {
  OL_COMPRESSION_ZSTD = 0,  /* chunks compressed with zstd (the default) */
  OL_COMPRESSION_NONE = 1,  /* chunks stored as they are */
} OlCompression;

/* "zstd", "none"; NULL for an unknown value. (transfer none) */
OL_API
const char *ol_compression_name (OlCompression compression);
/* Parses a name of ol_compression_name(); FALSE if unknown. */
OL_API
gboolean ol_compression_from_name (const char *name, OlCompression *compression);

/* ------------------------------------------------------------------------ */
/* Recording */

typedef struct {
  const char *rpc_endpoint;        /* the server recorded */
  const char *stream_endpoint;
  const char *secret_key_file;     /* (nullable) with server_key_file: connect with CURVE
                                      keys, as ol_client_new_with_keys() */
  const char *server_key_file;     /* (nullable) */
  const char *const *streams;      /* (nullable) NULL-terminated stream names; NULL or
                                      empty: every stream the server lists at start */
  OlCompression compression;
  guint queue_depth;               /* messages the client keeps per stream while the
                                      writer is behind; 0: 100000 */
} OlRecorderOptions;

typedef struct {
  guint64 messages;     /* messages written to the file */
  guint64 bytes;        /* bytes written to the file so far */
  guint64 missed;       /* messages lost before reaching the recorder: gaps in
                           sequence numbers, over every stream */
  guint64 overflowed;   /* dropped by the recorder's own queues (the writer was
                           too slow) */
  guint64 errors;       /* error messages recorded */
  gint64 lag_us;        /* how long the newest message written had waited since
                           its receipt: the writer's lag */
  guint64 chunks;       /* chunks written */
} OlRecorderStats;

typedef struct OlRecorder OlRecorder;

/**
 * ol_recorder_start:
 * @path: the file to write (created, or truncated)
 *
 * Connects to the server, subscribes to the streams (queue storage: every
 * message) and records every message it receives until ol_recorder_stop().
 * Returns (transfer full) or NULL with: OL_ERROR_INVALID_ARGS (bad options),
 * OL_ERROR_NOT_FOUND (a named stream the server does not have: the message
 * names it), a server that does not answer (its error), or G_IO_ERROR for the
 * file.
 */
OL_API
OlRecorder *ol_recorder_start (const char *path, const OlRecorderOptions *options,
                               GError **error);

/* The recorder's figures so far (any thread). */
OL_API
void ol_recorder_get_stats (OlRecorder *recorder, OlRecorderStats *stats);

/* Writes what was received, the summary and the footer, and closes the file:
 * a complete recording. FALSE with the error that stopped the recording (a
 * full disk...) if it had failed; the file then holds what was written before.
 * Bounded: it waits at most for the messages already received. */
OL_API
gboolean ol_recorder_stop (OlRecorder *recorder, GError **error);

/* Stops if needed and frees. */
OL_API
void ol_recorder_free (OlRecorder *recorder);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (OlRecorder, ol_recorder_free)

/* ------------------------------------------------------------------------ */
/* Reading */

typedef struct OlRecording OlRecording;

/* Opens a recording. NULL with OL_ERROR_PROTOCOL for a file that is not MCAP
 * (its first bytes are not MCAP's magic) or G_IO_ERROR. A file cut off, or
 * with damaged chunks, opens: what is sound is read, and
 * ol_recording_describe() says what is not. */
OL_API
OlRecording *ol_recording_open (const char *path, GError **error);
OL_API
void ol_recording_close (OlRecording *recording);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (OlRecording, ol_recording_close)

/**
 * ol_recording_describe:
 *
 * What the file holds, as JSON (transfer full): {"streams": {NAME:
 * {"encoding", "description"?, "image"?, "messages", "errors", "missed",
 * "first_ns", "last_ns"}}, "messages", "start_ns", "end_ns", "size",
 * "compression" ("zstd", "none" or "mixed"), "chunks", "complete" (false:
 * cut off, no footer), "summary" (the chunks were found through the
 * summary), "library"? (who wrote the file), "recorder"? (the members of
 * the metadata record "oneliner.recording", strings, but its "streams"),
 * "problems": [text, ...] (damaged chunks or records, each said once)}.
 * Reads every chunk once (the first call): every chunk's CRC is checked.
 * A stream's "missed" is the recorder's figure when the file has it, else
 * the gaps in the sequence numbers recorded.
 */
OL_API
json_t *ol_recording_describe (OlRecording *recording);

/**
 * ol_recording_next:
 * @streams: (nullable): NULL-terminated names to read; NULL: every stream
 *
 * The next message in the order of receipt (log time): (transfer full), its
 * received member the time of receipt; NULL at the end (error not set) or
 * with OL_ERROR_NOT_FOUND when a name of streams is not in the file. A
 * damaged chunk is skipped (and said by ol_recording_describe()).
 */
OL_API
OlStreamMessage *ol_recording_next (OlRecording *recording, const char *const *streams,
                                    GError **error);

/* Starts reading from the first message again. */
OL_API
void ol_recording_rewind (OlRecording *recording);

G_END_DECLS
