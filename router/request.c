/* Requests: the general decoder, which reads any JSON layout and checks every
 * member the operation reads, and the request's text for forwarding. */
#include "router/request.h"

#include <string.h>

#include "oneliner/error.h"
#include "core/json.h"
#include "router/auth.h"

static const char *const s_op_names[] = {
  [OL_OP_CALL] = "call",
  [OL_OP_CALL_NAMED] = "call_named",
  [OL_OP_LIST] = "list",
  [OL_OP_VERSION] = "version",
  [OL_OP_STREAMS] = "streams",
  [OL_OP_STREAM_ENABLE] = "stream_enable",
  [OL_OP_STREAM_REMOVE] = "stream_remove",
  [OL_OP_MOUNTS] = "mounts",
  [OL_OP_PROCESS] = "process",
};

const char *
ol__op_name (OlOp op)
{
  return s_op_names[op];
}

void
ol__request_clear (OlRequest *r)
{
  json_decref (r->args);
  json_decref (r->kwargs);
  json_decref (r->doc);
  g_clear_pointer (&r->frames_in, g_ptr_array_unref);
  memset (r, 0, offsetof (OlRequest, object_buf));
  r->object_buf[0] = r->method_buf[0] = '\0';
}

/* Reads an optional member of the given type; absent and null are "not
 * given". */
static gboolean
s_get_member (json_t *doc, const char *key, json_type type, json_t **out, GError **error)
{
  json_t *m = json_object_get (doc, key);

  *out = NULL;
  if (m == NULL || json_is_null (m))
    return TRUE;
  if (json_typeof (m) != type && !(type == JSON_TRUE && json_is_boolean (m)))
    {
      g_autofree char *got = ol__json_describe (m);
      g_set_error (error, OL_ERROR, OL_ERROR_PROTOCOL, "request member \"%s\" must be %s, got %s",
                   key, ol__json_type_phrase (type), got);
      return FALSE;
    }
  *out = m;
  return TRUE;
}

static gboolean
s_get_string (json_t *doc, const char *key, gboolean required, const char **out,
              GError **error)
{
  json_t *m;

  if (!s_get_member (doc, key, JSON_STRING, &m, error))
    return FALSE;
  if (m == NULL && required)
    {
      g_set_error (error, OL_ERROR, OL_ERROR_PROTOCOL, "request lacks the string member \"%s\"",
                   key);
      return FALSE;
    }
  /* Every string member is a name or an operation: an escaped NUL would cut
   * it short of what the peer sent, a control character matches no name. */
  if (m != NULL)
    {
      const char *v = json_string_value (m);
      size_t len = json_string_length (m);

      for (size_t i = 0; i < len; i++)
        if ((guchar) v[i] < 0x20 || v[i] == 0x7f)
          {
            g_set_error (error, OL_ERROR, OL_ERROR_PROTOCOL,
                         "request member \"%s\" holds a NUL or control character", key);
            return FALSE;
          }
    }
  *out = m ? json_string_value (m) : NULL;
  return TRUE;
}

static gboolean
s_get_args (OlRequest *r, GError **error)
{
  json_t *args, *kwargs;

  if (!s_get_member (r->doc, "args", JSON_ARRAY, &args, error)
      || !s_get_member (r->doc, "kwargs", JSON_OBJECT, &kwargs, error))
    return FALSE;
  r->args = args ? json_incref (args) : NULL;
  r->kwargs = kwargs ? json_incref (kwargs) : NULL;
  return TRUE;
}

/* The members of each operation, checked in the order they are read. */
static gboolean
s_decode_members (OlRequest *r, GError **error)
{
  json_t *enabled;

  switch (r->op)
    {
    case OL_OP_CALL:
      return s_get_string (r->doc, "object", FALSE, &r->object, error)
             && s_get_string (r->doc, "method", TRUE, &r->method, error)
             && s_get_args (r, error);
    case OL_OP_CALL_NAMED:
      return s_get_string (r->doc, "name", TRUE, &r->name, error) && s_get_args (r, error);
    case OL_OP_STREAM_ENABLE:
      if (!s_get_string (r->doc, "name", TRUE, &r->name, error)
          || !s_get_member (r->doc, "enabled", JSON_TRUE, &enabled, error))
        return FALSE;
      if (enabled == NULL)
        {
          g_set_error (error, OL_ERROR, OL_ERROR_PROTOCOL,
                       "request lacks the boolean member \"enabled\"");
          return FALSE;
        }
      r->enabled = json_is_true (enabled);
      return TRUE;
    case OL_OP_STREAM_REMOVE:
      return s_get_string (r->doc, "name", TRUE, &r->name, error);
    case OL_OP_LIST:
    case OL_OP_VERSION:
    case OL_OP_STREAMS:
    case OL_OP_MOUNTS:
    case OL_OP_PROCESS:
      return TRUE;
    }
  g_assert_not_reached ();
}

gboolean
ol__request_decode (OlRequest *r, const char *text, size_t len, int n_attachments,
                    gboolean truncated, GError **error)
{
  json_error_t jerr;
  const char *op;
  json_t *v;
  gsize i;

  if (len > OL_WIRE_MAX_REQUEST_JSON)
    {
      g_set_error (error, OL_ERROR, OL_ERROR_PROTOCOL,
                   "request JSON frame of %" G_GSIZE_FORMAT " bytes is larger than %d bytes "
                   "(send bulk data as binary frames)", (gsize) len, OL_WIRE_MAX_REQUEST_JSON);
      return FALSE;
    }
  r->doc = json_loadb (text, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
  if (r->doc == NULL)
    {
      g_set_error (error, OL_ERROR, OL_ERROR_PROTOCOL,
                   "request is not valid JSON: %s (line %d, column %d)", jerr.text, jerr.line,
                   jerr.column);
      return FALSE;
    }
  if (!json_is_object (r->doc))
    {
      g_set_error_literal (error, OL_ERROR, OL_ERROR_PROTOCOL, "request is not a JSON object");
      return FALSE;
    }
  r->id = json_object_get (r->doc, "id");
  if (truncated || n_attachments > OL_WIRE_MAX_ATTACHMENTS)
    {
      g_set_error (error, OL_ERROR, OL_ERROR_PROTOCOL, "request has more than %d binary frames",
                   OL_WIRE_MAX_ATTACHMENTS);
      return FALSE;
    }
  /* From here on the reply honours the request's flags, errors included. */
  r->ts = json_is_true (json_object_get (r->doc, "ts"));
  r->frames = json_is_true (json_object_get (r->doc, "frames"));
  if (!s_get_string (r->doc, "op", TRUE, &op, error))
    return FALSE;
  /* "version" answers whatever version the peer speaks: it is how a peer
   * learns which versions this server speaks. */
  if (strcmp (op, "version") == 0)
    {
      r->op = OL_OP_VERSION;
      return TRUE;
    }
  v = json_object_get (r->doc, "v");
  if (!json_is_integer (v))
    {
      g_set_error (error, OL_ERROR, OL_ERROR_PROTOCOL,
                   "request lacks the integer member \"v\" (protocol version)");
      return FALSE;
    }
  if (json_integer_value (v) != OL_PROTOCOL_VERSION)
    {
      g_set_error (error, OL_ERROR, OL_ERROR_UNSUPPORTED_VERSION,
                   "protocol version %" JSON_INTEGER_FORMAT " is not supported; "
                   "this server speaks version %d",
                   json_integer_value (v), OL_PROTOCOL_VERSION);
      return FALSE;
    }
  for (i = 0; i < G_N_ELEMENTS (s_op_names); i++)
    if (strcmp (op, s_op_names[i]) == 0)
      break;
  if (i == G_N_ELEMENTS (s_op_names))
    {
      g_autofree char *quoted = ol__quote (op, -1);
      g_set_error (error, OL_ERROR, OL_ERROR_PROTOCOL, "unknown operation \"%s\"", quoted);
      return FALSE;
    }
  r->op = (OlOp) i;
  if (!s_get_string (r->doc, "role", FALSE, &r->role, error))
    return FALSE;
  if (r->role != NULL)
    {
      OlRole role;

      if (!ol__role_parse (r->role, &role))
        {
          g_set_error_literal (error, OL_ERROR, OL_ERROR_PROTOCOL,
                               "request member \"role\" must be \"control\" or \"read-only\"");
          return FALSE;
        }
    }
  return s_decode_members (r, error);
}

const char *
ol__request_route_name (const OlRequest *r, const char **member)
{
  switch (r->op)
    {
    case OL_OP_CALL:
      *member = r->object != NULL ? "object" : "method";
      return r->object != NULL ? r->object : r->method;
    case OL_OP_CALL_NAMED:
    case OL_OP_STREAM_ENABLE:
    case OL_OP_STREAM_REMOVE:
      *member = "name";
      return r->name;
    default:
      *member = NULL;
      return NULL;
    }
}

void
ol__request_append (GString *out, const OlRequest *r, guint64 id, const char *routed_name)
{
  const char *routed_member = NULL;
  const char *object = r->object, *method = r->method, *name = r->name;

  if (routed_name != NULL && ol__request_route_name (r, &routed_member) != NULL)
    {
      if (strcmp (routed_member, "object") == 0)
        object = routed_name;
      else if (strcmp (routed_member, "method") == 0)
        method = routed_name;
      else
        name = routed_name;
    }
  /* Names came from a decoded request: valid UTF-8. */
  ol__wire_append_request_head (out, id, ol__op_name (r->op), r->ts, r->frames);
  if (object != NULL)
    ol__wire_append_member_string (out, "object", object);
  if (method != NULL)
    ol__wire_append_member_string (out, "method", method);
  if (name != NULL)
    ol__wire_append_member_string (out, "name", name);
  if (r->args != NULL)
    ol__wire_append_member_json (out, "args", r->args);
  if (r->kwargs != NULL)
    ol__wire_append_member_json (out, "kwargs", r->kwargs);
  if (r->op == OL_OP_STREAM_ENABLE)
    g_string_append (out, r->enabled ? ",\"enabled\":true" : ",\"enabled\":false");
  if (r->role != NULL)
    ol__wire_append_member_string (out, "role", r->role);
  g_string_append_c (out, '}');
}
