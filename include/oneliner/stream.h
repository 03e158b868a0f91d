/* oneliner: data streams.
 *
 * A server publishes streams on its stream endpoint (a ZeroMQ XPUB socket
 * behind an XSUB/XPUB proxy). Every message is three frames (docs/PROTOCOL.md,
 * "Data plane"): the topic "NAME\0", a fixed 48-byte header (sequence number
 * per stream, wall-clock timestamp, status, encoding, image metadata) and the
 * payload, raw bytes or JSON text.
 *
 * Server side, three kinds of stream:
 *   - periodic: a registered callable called at a fixed rate on absolute
 *     deadlines, one thread per frequency;
 *   - pushed: the application publishes from any of its threads through an
 *     OlStreamWriter;
 *   - relayed: re-published from a plain ZeroMQ PUB socket
 *     (ol_server_add_zmq_stream), or from a mounted server (ol_server_mount).
 * Client side, each stream the client configured is stored either as a cache
 * (latest message only) or a queue (every message, up to a depth); the client
 * counts exactly what it missed.
 */
#pragma once

#include <glib.h>
#include <jansson.h>

#include <oneliner/client.h>
#include <oneliner/server.h>
#include <oneliner/export.h>

G_BEGIN_DECLS

/* How a payload is encoded. Values are on the wire. */
typedef enum {
  OL_ENCODING_RAW = 0,   /* opaque bytes */
  OL_ENCODING_JSON = 1,  /* UTF-8 JSON text */
  OL_ENCODING_IMAGE = 2, /* pixels, described by the header's image fields */
} OlEncoding;

/* Pixel formats of image payloads. Values are on the wire. */
typedef enum {
  OL_PIXEL_NONE = 0,
  OL_PIXEL_GRAY8 = 1,   /* 1 byte per pixel */
  OL_PIXEL_GRAY16 = 2,  /* 2 bytes per pixel, little-endian */
  OL_PIXEL_RGB8 = 3,    /* 3 bytes per pixel, R G B */
} OlPixelFormat;

/* Message status bits. Values are on the wire. */
typedef enum {
  OL_STATUS_OK = 0,
  OL_STATUS_ERROR = 1 << 0,   /* the payload is a JSON error object
                                 {"domain", "code", "message"}: the callable failed */
  OL_STATUS_OVERRUN = 1 << 1, /* this message is late: the stream's thread
                                 missed at least one deadline before it */
  OL_STATUS_WARNING = 1 << 3, /* a value is outside the warning limits of the
                                 stream's description (and inside its alarm
                                 limits) */
  OL_STATUS_ALARM = 1 << 4,   /* a value is outside the alarm limits */
} OlStatus;

typedef struct {
  guint32 width;
  guint32 height;
  OlPixelFormat format;
} OlImageInfo;

/* Bytes per pixel of format, 0 for OL_PIXEL_NONE or an unknown format. */
OL_API
guint ol_pixel_format_size (OlPixelFormat format);

/* "raw", "json", "image"; NULL for an unknown value. (transfer none) */
OL_API
const char *ol_encoding_name (OlEncoding encoding);
/* Parses a name of ol_encoding_name(); FALSE if unknown. */
OL_API
gboolean ol_encoding_from_name (const char *name, OlEncoding *encoding);

/* ------------------------------------------------------------------------ */
/* Server side. Every function may be called from any thread, before or
 * after ol_server_start(). Stream names follow the rules of callable names
 * (printable ASCII, no spaces, at most 255 bytes) and are unique among the
 * server's streams. */

/**
 * ol_server_add_stream:
 * @instance: (nullable): instance of method, NULL for a free function
 * @args, @kwargs: (nullable): the arguments of every call (borrowed)
 * @image: (nullable): required for OL_ENCODING_IMAGE: the frame geometry
 *
 * Adds a periodic stream that calls method hz times per second on absolute
 * deadlines. Streams of the same frequency share one thread. The callable is
 * the same as for remote calls (serialised with them). Its result becomes the
 * payload: with OL_ENCODING_JSON the JSON result (a bytes result as
 * {"$base64": ...}); with OL_ENCODING_RAW and OL_ENCODING_IMAGE a bytes
 * result (an image must have exactly width * height * pixel size bytes). A
 * call that fails, or returns the wrong kind of result, publishes an error
 * message carrying the error; the stream goes on. A disabled stream's
 * callable is not called at all.
 *
 * Fails with OL_ERROR_INVALID_ARGS (hz not in [1e-6, 100000], bad name, image
 * missing), OL_ERROR_NOT_FOUND (no such callable) or OL_ERROR_EXISTS.
 */
OL_API
gboolean ol_server_add_stream (OlServer *server, const char *name, double hz,
                               const char *instance, const char *method,
                               json_t *args, json_t *kwargs, gboolean enabled,
                               OlEncoding encoding, const OlImageInfo *image,
                               GError **error);

typedef struct OlStreamWriter OlStreamWriter;

/**
 * ol_server_add_pushed_stream:
 * @image: (nullable): the geometry of OL_ENCODING_IMAGE messages
 *
 * Adds a stream the application publishes itself. Returns a writer
 * (transfer full: release with ol_stream_writer_unref()) or NULL with
 * OL_ERROR_INVALID_ARGS or OL_ERROR_EXISTS.
 */
OL_API
OlStreamWriter *ol_server_add_pushed_stream (OlServer *server, const char *name,
                                             OlEncoding encoding,
                                             const OlImageInfo *image,
                                             GError **error);

/* Publishes payload (a reference is taken: the bytes are never copied) from
 * any thread, several at once. Messages of one writer keep their order.
 * Fails with OL_ERROR_NOT_FOUND once the stream was removed, OL_ERROR_CLOSED
 * when the server is stopped, OL_ERROR_INVALID_ARGS for an image of the wrong
 * size, and OL_ERROR_BUSY when the publishing queue is full (the message is
 * counted as dropped in the stream's statistics). A disabled stream accepts
 * and discards the message (returns TRUE, counted as suppressed). */
OL_API
gboolean ol_stream_writer_push_bytes (OlStreamWriter *writer, GBytes *payload,
                                      GError **error);
/* The same for a JSON value (borrowed; serialised in the calling thread). */
OL_API
gboolean ol_stream_writer_push_json (OlStreamWriter *writer, json_t *value,
                                     GError **error);
/* The same for a buffer, copied once. */
OL_API
gboolean ol_stream_writer_push_data (OlStreamWriter *writer, const void *data,
                                     gsize size, GError **error);
/* Publishes an error message (the subscriber gets error as a GError). */
OL_API
gboolean ol_stream_writer_push_error (OlStreamWriter *writer,
                                      const GError *failure, GError **error);

/* The same three with the message's timestamp given (ns since the epoch, as
 * the header carries it) instead of the time of the push: for data stamped
 * where it was acquired (a DAQ's clock) or replayed from a recording. Any
 * value is taken as it is; readers order by sequence number, not time. */
OL_API
gboolean ol_stream_writer_push_bytes_at (OlStreamWriter *writer, GBytes *payload,
                                         gint64 timestamp, GError **error);
OL_API
gboolean ol_stream_writer_push_json_at (OlStreamWriter *writer, json_t *value,
                                        gint64 timestamp, GError **error);
OL_API
gboolean ol_stream_writer_push_error_at (OlStreamWriter *writer, const GError *failure,
                                         gint64 timestamp, GError **error);

/**
 * OlStreamFrame:
 *
 * Room for one payload that the application writes in place before it
 * publishes it: a camera's frame read out straight into it, for example.
 * When subscribers on this host take the stream's large payloads from the
 * server's shared-memory ring (docs/PROTOCOL.md, "Same-host frames"), the
 * room is a slot of that ring and the payload is never copied on its way to
 * them; otherwise it is memory of the process, published as
 * ol_stream_writer_push_bytes() would. Either way every subscriber gets the
 * same message.
 */
typedef struct OlStreamFrame OlStreamFrame;

/**
 * ol_stream_writer_reserve:
 * @size: the payload's size in bytes (for an image stream, exactly the
 *   image's)
 *
 * Returns room for a payload of @size bytes (transfer full: give it to
 * ol_stream_writer_push_frame() or ol_stream_frame_free()), or NULL with
 * OL_ERROR_FAILED when there is no memory for it. Any thread; a writer
 * may hold several frames at once. Hold a frame briefly: a ring slot a frame
 * holds is not written again until the frame is pushed (and sent) or freed,
 * and while every slot of the ring is held (by frames, or by messages
 * clients hold), frames come from the process's memory instead.
 */
OL_API
OlStreamFrame *ol_stream_writer_reserve (OlStreamWriter *writer, gsize size, GError **error);

/* The frame's bytes, to be written by the application. */
OL_API
guint8 *ol_stream_frame_data (OlStreamFrame *frame);
OL_API
gsize ol_stream_frame_size (OlStreamFrame *frame);

/* Whether the frame is a slot of the server's shared-memory ring. */
OL_API
gboolean ol_stream_frame_in_ring (OlStreamFrame *frame);

/**
 * ol_stream_writer_push_frame:
 * @frame: (transfer full): from ol_stream_writer_reserve() on the same writer
 *
 * Publishes the frame's bytes as they are now, as ol_stream_writer_push_bytes()
 * does (the same checks, errors and counters); the frame is freed whatever
 * the outcome and must not be touched again.
 */
OL_API
gboolean ol_stream_writer_push_frame (OlStreamWriter *writer, OlStreamFrame *frame,
                                      GError **error);
/* The same with the message's timestamp given, as ol_stream_writer_push_bytes_at(). */
OL_API
gboolean ol_stream_writer_push_frame_at (OlStreamWriter *writer, OlStreamFrame *frame,
                                         gint64 timestamp, GError **error);

/* Drops a frame that is not to be published. */
OL_API
void ol_stream_frame_free (OlStreamFrame *frame);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (OlStreamFrame, ol_stream_frame_free)

OL_API
OlStreamWriter *ol_stream_writer_ref (OlStreamWriter *writer);
OL_API
void ol_stream_writer_unref (OlStreamWriter *writer);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (OlStreamWriter, ol_stream_writer_unref)

/**
 * ol_server_add_zmq_stream:
 * @endpoint: a ZeroMQ PUB endpoint of any program
 * @topic: (nullable): the subscription prefix there; NULL or "" for every
 *   message
 *
 * Adds a relayed stream: every message of that PUB socket becomes a message
 * of stream name, its frames as a raw payload (a single frame as it is; of
 * several, the first is taken as the publisher's topic and the others,
 * joined, as the payload) under this server's own header and sequence
 * numbers. While the stream is disabled the relay unsubscribes there, so
 * nothing crosses the network for it. (Another oneliner server is mounted
 * with ol_server_mount() instead, which keeps its headers.)
 */
OL_API
gboolean ol_server_add_zmq_stream (OlServer *server, const char *name,
                                   const char *endpoint, const char *topic,
                                   gboolean enabled, GError **error);

/**
 * ol_server_describe_stream:
 * @description: (nullable): a JSON object (borrowed), as in docs/PROTOCOL.md
 *   ("Stream descriptions"): "text", "unit", "form" ("number", "array",
 *   "object", "image"), "length", "x", "fields", "precision", "limits";
 *   NULL removes the description
 *
 * Says what a stream's values mean. The description comes back unchanged in
 * the stream's entry of op "streams". It applies from the next message:
 *   - a JSON stream with a declared form only sends values of that form: a
 *     callable that returns another publishes an error message saying what
 *     was expected, and a push of another is refused (OL_ERROR_INVALID_ARGS);
 *   - numeric values and fields are compared with the limits: a message
 *     outside the warning limits has status OL_STATUS_WARNING, outside the
 *     alarm limits OL_STATUS_ALARM, and the stream's statistics count them.
 * To have every message checked, describe a stream before the server starts
 * (or add it disabled and enable it once described). Called from any
 * thread, any number of times.
 *
 * Fails, changing nothing, with OL_ERROR_NOT_FOUND (no such stream of this
 * server) or OL_ERROR_INVALID_ARGS (a bad description: the message names the
 * member, e.g. an unknown form, a low limit above its high limit, limits on
 * a value that is not numeric, a form the stream's encoding cannot carry).
 */
OL_API
gboolean ol_server_describe_stream (OlServer *server, const char *name,
                                    json_t *description, GError **error);

/**
 * ol_server_set_realtime:
 * @priority: SCHED_FIFO priority from 1 to 99 for the threads of the
 *   periodic streams (OL_REALTIME_DEFAULT_PRIORITY, 20, is below the
 *   kernel's interrupt threads, 50), or 0 for the usual scheduling
 *
 * Makes the periodic streams as punctual as the kernel can: their threads
 * run SCHED_FIFO at priority (each takes it up before its next tick, those
 * started later at once) and the process's memory is locked (mlockall,
 * pages locked as they are first touched). Without it they already sleep
 * with a timer slack of 1 ns. Fails, changing nothing, with
 * OL_ERROR_INVALID_ARGS for a priority out of range or
 * OL_ERROR_PERMISSION_DENIED where the process may not (it needs
 * CAP_SYS_NICE or RLIMIT_RTPRIO, and CAP_IPC_LOCK or RLIMIT_MEMLOCK); the
 * message says what is missing. A stream whose callable never returns then
 * holds its CPU: keep realtime for callables that return in time.
 */
#define OL_REALTIME_DEFAULT_PRIORITY 20
OL_API
gboolean ol_server_set_realtime (OlServer *server, int priority, GError **error);

/* Enables or disables a stream; OL_ERROR_NOT_FOUND for an unknown name. */
OL_API
gboolean ol_server_set_stream_enabled (OlServer *server, const char *name,
                                       gboolean enabled, GError **error);
/* Removes a stream; its writer, if any, then fails with OL_ERROR_NOT_FOUND. */
OL_API
gboolean ol_server_remove_stream (OlServer *server, const char *name,
                                  GError **error);
/* Every stream's configuration and statistics, as op "streams" returns it
 * (docs/PROTOCOL.md). (transfer full) */
OL_API
json_t *ol_server_list_streams (OlServer *server);

/* ------------------------------------------------------------------------ */
/* Client side. Same thread rules as the rest of OlClient: these belong to
 * the client's thread. */

typedef enum {
  OL_STORAGE_CACHE = 0, /* the latest message only */
  OL_STORAGE_QUEUE = 1, /* every message in order, up to depth; the oldest
                           is dropped (and counted) when full */
} OlStorage;

/* A received message, as ol_client_get_stream() returns it; release it with
 * ol_stream_message_free() (its payload may be kept longer with
 * g_bytes_ref()). */
typedef struct {
  const char *name;     /* the stream: an interned string (g_intern_string()),
                           valid for the life of the process; compare with
                           strcmp(), or by address with another interned string */
  guint64 sequence;     /* per stream, from 1, contiguous unless messages were lost */
  gint64 timestamp;     /* server wall clock, ns since the epoch */
  guint32 status;       /* OlStatus bits */
  OlEncoding encoding;
  OlImageInfo image;    /* for OL_ENCODING_IMAGE */
  guint32 overruns;     /* deadlines the stream's thread had missed so far */
  GBytes *payload;      /* (owned) raw payload (JSON text for OL_ENCODING_JSON) */
  gint64 received;      /* this client's wall clock when it received the message,
                           ns since the epoch (a recording: its log time) */
} OlStreamMessage;

OL_API
void ol_stream_message_free (OlStreamMessage *message);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (OlStreamMessage, ol_stream_message_free)

/* Parses a JSON payload. (transfer full) or NULL with OL_ERROR_PROTOCOL. */
OL_API
json_t *ol_stream_message_json (const OlStreamMessage *message, GError **error);

/**
 * ol_client_configure_stream:
 * @depth: queue depth (ignored for a cache); 0 means 1024
 *
 * Subscribes to stream name (messages of other streams never reach this
 * client) and sets how its messages are kept. Configuring a stream again
 * changes its storage and keeps its counters. The client connects to its
 * stream endpoint on the first call.
 */
OL_API
gboolean ol_client_configure_stream (OlClient *client, const char *name,
                                     OlStorage storage, guint depth,
                                     GError **error);

/* Unsubscribes and forgets the stream's messages. */
OL_API
gboolean ol_client_unconfigure_stream (OlClient *client, const char *name,
                                       GError **error);

/**
 * ol_client_get_stream:
 * @timeout_ms: how long to wait for a message; 0 does not wait
 *
 * Takes the next message of a configured stream: for a cache the latest one
 * not taken yet, for a queue the oldest. Returns (transfer full) or NULL
 * with: OL_ERROR_TIMEOUT when none arrived in time, OL_ERROR_NOT_FOUND if the
 * stream is not configured, or the remote error of an error message (its
 * domain, code and message; the message is consumed).
 */
OL_API
OlStreamMessage *ol_client_get_stream (OlClient *client, const char *name,
                                       int timeout_ms, GError **error);

/**
 * ol_client_peek_stream:
 * @n: how many messages: n > 0 the n earliest, n < 0 the -n latest
 * @timeout_ms: how long to wait until the stream holds |n| messages; 0 does
 *   not wait, a negative value waits up to the client's timeout
 *
 * Returns the |n| earliest or latest messages of a configured stream and
 * leaves them in it: a later peek, pop or ol_client_get_stream() finds them
 * again. The stream's counters do not change.
 *
 * Waits until the stream holds |n| messages or the timeout passes, then
 * returns what is there, at most |n|: fewer than |n| is not an error (check
 * the array's length), none is OL_ERROR_TIMEOUT. For n < 0 with fewer than
 * |n| messages there, that is all of them.
 *
 * Returns (transfer full) a GPtrArray of OlStreamMessage *, oldest first
 * (sequence numbers ascending), that frees its messages (g_ptr_array_unref()
 * frees them all; g_ptr_array_steal_index() takes one out, to free with
 * ol_stream_message_free()). Each one is a message of its own, kept as long
 * as the caller likes, whatever happens to the stream; it shares the
 * payload of the stored message (a reference, never a copy).
 *
 * Error messages (OL_STATUS_ERROR) are returned in their place like the
 * others, with their JSON error payload; ol_stream_message_error() gives
 * the GError one carries. They never make the call fail, and are never
 * skipped.
 *
 * A cache holds one message, the latest not taken yet: n must be 1 or -1
 * (both mean it). Fails, having waited for nothing and changed nothing,
 * with OL_ERROR_INVALID_ARGS when n is 0 or |n| is beyond what the stream
 * can hold (its queue depth, 1 for a cache; the message names the storage
 * and its depth), OL_ERROR_NOT_FOUND if the stream is not configured.
 */
OL_API
GPtrArray *ol_client_peek_stream (OlClient *client, const char *name, int n,
                                  int timeout_ms, GError **error);

/**
 * ol_client_pop_stream:
 *
 * The same as ol_client_peek_stream(), but the messages returned leave the
 * stream (they are the stored messages themselves). Popping the latest
 * messages (n < 0) leaves the older ones in the stream, in order, for the
 * next pop, peek or ol_client_get_stream(): nothing else is dropped, and
 * nothing is counted (the counters count what arrives and what is lost, not
 * what is taken). Popping n = 1 is ol_client_get_stream() except that an
 * error message is returned as a message, not as an error.
 */
OL_API
GPtrArray *ol_client_pop_stream (OlClient *client, const char *name, int n,
                                 int timeout_ms, GError **error);

/* The error an error message (OL_STATUS_ERROR) carries: the remote domain,
 * code and message, as ol_client_get_stream() gives it (OL_ERROR_PROTOCOL if
 * the payload is not a JSON error object). (transfer full) (nullable): NULL
 * for a message without OL_STATUS_ERROR. */
OL_API
GError *ol_stream_message_error (const OlStreamMessage *message);

typedef struct {
  guint64 received;    /* messages that reached this client */
  guint64 missed;      /* lost before reaching it: gaps in sequence numbers */
  guint64 overflowed;  /* dropped from a full queue (or replaced in a cache
                          before being taken) */
  guint64 errors;      /* error messages received */
  guint64 last_sequence;
  guint64 restarts;    /* sequence numbers that went backwards: the stream
                          was re-created or its server restarted */
  guint64 warnings;    /* messages received with OL_STATUS_WARNING */
  guint64 alarms;      /* messages received with OL_STATUS_ALARM */
} OlStreamCounters;

/* The counters of a configured stream; FALSE with OL_ERROR_NOT_FOUND if it is
 * not configured. */
OL_API
gboolean ol_client_get_stream_counters (OlClient *client, const char *name,
                                        OlStreamCounters *counters,
                                        GError **error);

/* Called on the client's GMainContext when a configured stream has new
 * messages (calls are coalesced: take them with ol_client_get_stream (...,
 * 0, ...) until it times out). */
typedef void (*OlStreamWatchFunc) (OlClient *client, const char *name,
                                   gpointer user_data);

/* Watches name (NULL: every configured stream). Returns an id > 0 for
 * ol_client_unwatch_stream(). destroy (nullable) frees user_data. */
OL_API
guint ol_client_watch_stream (OlClient *client, const char *name,
                              OlStreamWatchFunc func, gpointer user_data,
                              GDestroyNotify destroy);
OL_API
void ol_client_unwatch_stream (OlClient *client, guint id);

/* Whether the client's stream side (the SUB socket to the stream endpoint)
 * is connected to its server. The connection is watched with ZeroMQ
 * heartbeats (500 ms apart): a server that is gone, killed or unreachable,
 * is seen as disconnected within about 2 s; libzmq reconnects on its own,
 * and the state is connected again once the server answers. */
typedef enum {
  OL_STREAM_DISCONNECTED = 0, /* not connected yet, or the connection was lost */
  OL_STREAM_CONNECTED = 1,    /* connected to the stream endpoint */
} OlStreamConnection;

/**
 * ol_client_get_stream_connection:
 * @since_us: (out) (optional): when the state last changed, in monotonic
 *   time (g_get_monotonic_time()); 0 if the stream side was not started
 *
 * The connection state of the client's stream side. The stream side starts
 * with the first ol_client_configure_stream() or watch; before that this
 * returns OL_STREAM_DISCONNECTED.
 */
OL_API
OlStreamConnection ol_client_get_stream_connection (OlClient *client,
                                                    gint64 *since_us);

/* Called on the client's GMainContext with the current connection state of
 * the stream side soon after the watch is added, then when it changes
 * (calls are coalesced: state and since_us are the latest, as
 * ol_client_get_stream_connection() returns them). */
typedef void (*OlStreamConnectionFunc) (OlClient *client,
                                        OlStreamConnection state,
                                        gint64 since_us, gpointer user_data);

/* Watches the connection state of the stream side, starting it if needed
 * (it then connects to the stream endpoint). Returns an id > 0 for
 * ol_client_unwatch_stream(). destroy (nullable) frees user_data. */
OL_API
guint ol_client_watch_stream_connection (OlClient *client,
                                         OlStreamConnectionFunc func,
                                         gpointer user_data,
                                         GDestroyNotify destroy);

/* Stream control on the server (blocking, the client's timeout). */
OL_API
gboolean ol_client_set_stream_enabled (OlClient *client, const char *name,
                                       gboolean enabled, GError **error);
OL_API
gboolean ol_client_remove_stream (OlClient *client, const char *name,
                                  GError **error);
/**
 * ol_client_set_stream_shm:
 * @enabled: whether the client may take the large payloads of a server on
 *   this host from the server's shared-memory ring (docs/PROTOCOL.md,
 *   "Same-host frames"); TRUE by default (ONELINER_SHM=0 in the
 *   environment turns it off whatever this says)
 *
 * Takes effect when the stream side starts (the first
 * ol_client_configure_stream() or watch): returns FALSE, changing nothing,
 * once it has started. Messages, counters and the API are the same either
 * way.
 */
OL_API
gboolean ol_client_set_stream_shm (OlClient *client, gboolean enabled);

/**
 * ol_client_get_stream_shm:
 * @frames: (out) (optional): payloads taken from the server's ring so far
 * @torn: (out) (optional): payloads overwritten in the ring before the
 *   client could read them (or described after the ring had failed, just
 *   before the client went back to the socket); each also counts as missed
 *   in its stream
 * @copied: (out) (optional): payloads among @frames copied out of the ring
 *   rather than read in place (the client held half the ring's slots
 *   already, or the server gave it no lease table)
 *
 * Whether the stream side takes large payloads from the server's
 * shared-memory ring now; FALSE when every payload comes over the socket
 * (a server on another host, ONELINER_SHM=0, or the stream side not
 * started). The client's thread.
 */
OL_API
gboolean ol_client_get_stream_shm (OlClient *client, guint64 *frames, guint64 *torn,
                                   guint64 *copied);

/* Every stream's configuration and statistics. (transfer full) */
OL_API
json_t *ol_client_list_streams (OlClient *client, GError **error);

G_END_DECLS
