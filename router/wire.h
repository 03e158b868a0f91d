/* The control-plane wire codec shared by server and client
 * (docs/PROTOCOL.md, "Control plane").
 *
 * Thread rules: every function is reentrant; none keeps state.
 */
#pragma once

#include <glib.h>
#include <jansson.h>
#include <zmq.h>

#include "oneliner/version.h"

G_BEGIN_DECLS

/* Most binary frames a request or reply may carry after its JSON frame. */
#define OL_WIRE_MAX_ATTACHMENTS 64

/* Largest JSON frame of a request the server decodes. Decoding runs on the
 * RPC thread and takes time linear in the size; bigger data travels as
 * binary attachments, which are not parsed. */
#define OL_WIRE_MAX_REQUEST_JSON (4 * 1024 * 1024)

/* How every request and reply of this library's protocol version begins
 * (docs/PROTOCOL.md, "Requests" and "Replies"): the version, then the id. */
#define OL_WIRE_HEAD "{\"v\":" G_STRINGIFY (OL_PROTOCOL_VERSION) ",\"id\":"

/* Encodes error as the "error" member of a reply:
 * {"domain": "...", "code": N, "message": "..."} (transfer full). */
json_t *ol__wire_error_to_json (const GError *error);

/* Reads the JSON integer that spans [p, end) exactly, of at most 18 digits
 * (no sign unless negative is allowed, no leading zero) into *out. */
gboolean ol__wire_scan_int (const char *p, const char *end, gboolean negative, gint64 *out);

/* Appends the decimal text of value. */
void ol__wire_append_int (GString *out, gint64 value);

/* Appends the compact JSON text of value (JSON null if NULL). */
void ol__wire_append_json (GString *out, json_t *value);

/* Appends text as a JSON string. Returns FALSE, appending nothing, if text
 * is not valid UTF-8. */
gboolean ol__wire_append_string (GString *out, const char *text);

/* Appends the text of a reply, as ol__wire_encode_reply() returns it. */
void ol__wire_append_reply (GString *out, json_t *id, json_t *result,
                            const GError *error, gint64 ts);
/* The same for an integer id. */
void ol__wire_append_reply_int (GString *out, gint64 id, json_t *result,
                                const GError *error, gint64 ts);

/* Encodes a reply (docs/PROTOCOL.md, "Replies") without building a JSON
 * object: {"v":1,"id":ID,"ok":true,"result":RESULT[,"ts":TS]} or the same
 * with "ok":false,"error":{...}. id and result (nullable: JSON null) are
 * borrowed; ts < 0 leaves "ts" out. Returns (transfer full) text to free()
 * with free(), its length in *len. */
char *ol__wire_encode_reply (json_t *id, json_t *result, const GError *error,
                             gint64 ts, size_t *len);

/* Appends the start of a request: {"v":1,"id":ID,"op":"OP"[,"ts":true]
 * [,"frames":true]. op is a plain identifier of this library, written
 * without escaping; the caller appends the operation's members and the
 * closing brace. */
void ol__wire_append_request_head (GString *out, guint64 id, const char *op, gboolean ts,
                                   gboolean frames);

/* Appends ,"MEMBER":"VALUE" (member a plain identifier). Returns FALSE if
 * value is not valid UTF-8, having appended the member's name. */
gboolean ol__wire_append_member_string (GString *out, const char *member, const char *value);

/* Appends ,"MEMBER":VALUE (member a plain identifier). */
void ol__wire_append_member_json (GString *out, const char *member, json_t *value);

/* Rebuilds a GError from a reply's "error" member. A member that is not of
 * that shape gives OL_ERROR_PROTOCOL. (transfer full) */
GError *ol__wire_error_from_json (json_t *member);

/* {"$base64": "..."} of size bytes at data, as bytes travel inside JSON.
 * (transfer full) */
json_t *ol__wire_base64_json (gconstpointer data, gsize size);

/* Replaces every {"$frame": N} in value (in place, recursively) by
 * {"$base64": "..."} of frames[N]. Returns FALSE if an index is bad. */
gboolean ol__wire_inline_frames (json_t *value, GPtrArray *frames);

G_END_DECLS
