/* A request as the server understands it (docs/PROTOCOL.md, "Requests" and
 * "Operations"), decoded and checked before anything runs.
 *
 * Two decoders fill an OlRequest: the general one (router/request.c) reads
 * any JSON layout with jansson; the fast one (router/request_fast.c) reads
 * plain calls laid out as OlClient writes them without building the
 * envelope as JSON values, and gives up on anything else. For every text
 * both give the same request, or the general one refuses it with an error
 * and the fast one gives up (tests/decode_test.c checks it). The gate
 * (router/gate.c) takes the request from either.
 *
 * Thread rules: a request belongs to the thread that decoded it.
 */
#pragma once

#include <glib.h>
#include <jansson.h>

#include "router/wire.h"

G_BEGIN_DECLS

typedef enum {
  OL_OP_CALL,
  OL_OP_CALL_NAMED,
  OL_OP_LIST,
  OL_OP_VERSION,
  OL_OP_STREAMS,
  OL_OP_STREAM_ENABLE,
  OL_OP_STREAM_REMOVE,
  OL_OP_MOUNTS,
  OL_OP_PROCESS,
} OlOp;

/* Longest object or method name the fast decoder takes. */
#define OL_FAST_NAME_MAX 256

typedef struct {
  json_t *doc;          /* (owned) (nullable) the request as parsed by the
                           general decoder; the members below point into it */
  json_t *id;           /* (nullable) the "id" member (in doc); NULL with
                           has_int_id, or when the request has none */
  gboolean has_int_id;  /* the fast decoder read the id as int_id */
  gint64 int_id;
  OlOp op;
  gboolean ts;          /* "ts": true */
  gboolean frames;      /* "frames": true */
  /* Names (nullable): "object" and "method" of a call, "name" of the other
   * operations that take one. Borrowed from doc, or from the buffers. */
  const char *object;
  const char *method;
  const char *name;
  json_t *args;         /* (owned) (nullable) a reference */
  json_t *kwargs;       /* (owned) (nullable) a reference */
  gboolean enabled;     /* stream_enable */
  const char *role;     /* (nullable) "role": the role ceiling a relay passes
                           down, "control" or "read-only" (in doc) */
  GPtrArray *frames_in; /* (owned) (nullable) GBytes * attachments */
  /* The fast decoder's copies of the names. */
  char object_buf[OL_FAST_NAME_MAX];
  char method_buf[OL_FAST_NAME_MAX];
} OlRequest;

/* The operation's name on the wire. (transfer none) */
const char *ol__op_name (OlOp op);

/* Releases what request holds and zeroes it. */
void ol__request_clear (OlRequest *request);

/* Decodes and checks the text of a request's JSON frame with n_attachments
 * binary frames after it (truncated: more than could be received). On
 * failure returns FALSE with the error the reply carries; request->id is
 * set if the text was an object with an id, so that the reply names it. */
gboolean ol__request_decode (OlRequest *request, const char *text, size_t len,
                             int n_attachments, gboolean truncated, GError **error);

/* Decodes a call laid out as OlClient writes it:
 * {"v":1,"id":ID,"op":"call"[,"ts":true][,"object":"O"],"method":"M"
 * [,"args":[...]][,"kwargs":{...}]}, names without escapes and shorter than
 * OL_FAST_NAME_MAX, no attachments. Returns FALSE, request left clear, for
 * any other text: it then goes to ol__request_decode(). */
gboolean ol__request_decode_fast (OlRequest *request, const char *text, size_t len);

/* The name the request routes by and its member: the object of a call (or
 * its method, for a free function), the name of a named call or of a
 * stream operation; NULL for operations that do not route. (transfer none) */
const char *ol__request_route_name (const OlRequest *request, const char **member);

/* Appends the text of request as a oneliner client writes it, with id in
 * place of the caller's id and, if routed_name is not NULL, routed_name in
 * place of the name it routes by (a server forwarding it to a mount).
 * Members the server does not read are left out. */
void ol__request_append (GString *out, const OlRequest *request, guint64 id,
                         const char *routed_name);

G_END_DECLS
