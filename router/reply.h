/* Reading the JSON frame of a reply on the client (docs/PROTOCOL.md,
 * "Replies"): a fast scan of the success replies laid out as oneliner
 * servers write them, and the general decoding of any reply.
 *
 * Thread rules: pure functions.
 */
#pragma once

#include <glib.h>
#include <jansson.h>

G_BEGIN_DECLS

/* Reads {"v":1,"id":ID,"ok":true,"result":RESULT} or the same with
 * ,"ts":TS before the closing brace (router/wire.c writes them so) without
 * building the envelope as JSON values. Returns FALSE for anything else,
 * which goes to ol__reply_decode(). On success sets *id, *result (transfer
 * full) and *ts (0 when absent). */
gboolean ol__reply_decode_fast (const char *text, size_t len, guint64 *id,
                                json_t **result, gint64 *ts);

/* Decodes any reply text. Returns FALSE if it is not a reply at all (no
 * JSON object of protocol version 1 with an integer "id" and a boolean
 * "ok"). Otherwise sets *id and either *error (an error reply) or *result
 * (transfer full; JSON null when absent) and *ts (0 when absent). */
gboolean ol__reply_decode (const char *text, size_t len, guint64 *id,
                           json_t **result, gint64 *ts, GError **error);

G_END_DECLS
