/* Request dispatch: decodes a request object, runs the operation it names,
 * and builds the reply object (docs/PROTOCOL.md, "Operations"). Runs on the
 * RPC thread, or on the caller's thread for ol_server_call(). */
#include "router/server_private.h"

#include "oneliner/error.h"
#include "oneliner/version.h"

typedef json_t *(*OpFunc) (OlServer *server, json_t *request,
                           GPtrArray *frames_in, GPtrArray *frames_out,
                           GError **error);

json_t *
ol__value_to_result (OlValue *value, GPtrArray *frames_out)
{
  json_t *result;

  if (value->bytes == NULL)
    {
      result = value->json ? value->json : json_null ();
      value->json = NULL;
      return result;
    }
  if (frames_out != NULL)
    {
      result = json_pack ("{s:i}", "$frame", (int) frames_out->len);
      g_ptr_array_add (frames_out, g_steal_pointer (&value->bytes));
    }
  else
    {
      gsize size;
      gconstpointer data = g_bytes_get_data (value->bytes, &size);
      g_autofree char *b64 = g_base64_encode (data, size);
      result = json_pack ("{s:s}", "$base64", b64);
    }
  ol__value_clear (value);
  return result;
}

/* Reads an optional member of the given type; absent and null are "not
 * given". */
static gboolean
s_get_member (json_t *request, const char *key, json_type type,
              json_t **out, GError **error)
{
  json_t *m = json_object_get (request, key);

  *out = NULL;
  if (m == NULL || json_is_null (m))
    return TRUE;
  if (json_typeof (m) != type
      && !(type == JSON_TRUE && json_is_boolean (m)))
    {
      g_autofree char *got = ol__json_describe (m);
      g_set_error (error, OL_ERROR, OL_ERROR_PROTOCOL,
                   "request member \"%s\" must be %s, got %s", key,
                   ol__json_type_phrase (type), got);
      return FALSE;
    }
  *out = m;
  return TRUE;
}

static gboolean
s_get_string (json_t *request, const char *key, gboolean required,
              const char **out, GError **error)
{
  json_t *m;

  if (!s_get_member (request, key, JSON_STRING, &m, error))
    return FALSE;
  if (m == NULL && required)
    {
      g_set_error (error, OL_ERROR, OL_ERROR_PROTOCOL,
                   "request lacks the string member \"%s\"", key);
      return FALSE;
    }
  *out = m ? json_string_value (m) : NULL;
  return TRUE;
}

static gboolean
s_get_args (json_t *request, json_t **args, json_t **kwargs, GError **error)
{
  return s_get_member (request, "args", JSON_ARRAY, args, error)
         && s_get_member (request, "kwargs", JSON_OBJECT, kwargs, error);
}

static json_t *
s_invoke (OlCallable *c, json_t *args, json_t *kwargs, GPtrArray *frames_in,
          GPtrArray *frames_out, GError **error)
{
  OlValue value;

  if (!ol__callable_invoke (c, args, kwargs, frames_in, &value, error))
    return NULL;
  return ol__value_to_result (&value, frames_out);
}

static json_t *
s_op_call (OlServer *server, json_t *request, GPtrArray *frames_in,
           GPtrArray *frames_out, GError **error)
{
  const char *object, *method;
  json_t *args, *kwargs;
  OlCallable *c;

  if (!s_get_string (request, "object", FALSE, &object, error)
      || !s_get_string (request, "method", TRUE, &method, error)
      || !s_get_args (request, &args, &kwargs, error))
    return NULL;
  if ((c = ol__registry_lookup (server->registry, object, method, error)) == NULL)
    return NULL;
  return s_invoke (c, args, kwargs, frames_in, frames_out, error);
}

static json_t *
s_op_call_named (OlServer *server, json_t *request, GPtrArray *frames_in,
                 GPtrArray *frames_out, GError **error)
{
  const char *name;
  json_t *args, *kwargs;
  g_autoptr (json_t) merged_args = NULL;
  g_autoptr (json_t) merged_kwargs = NULL;
  OlCallable *c;

  if (!s_get_string (request, "name", TRUE, &name, error)
      || !s_get_args (request, &args, &kwargs, error))
    return NULL;
  c = ol__registry_resolve_named (server->registry, name, args, kwargs,
                                  &merged_args, &merged_kwargs, error);
  if (c == NULL)
    return NULL;
  return s_invoke (c, merged_args, merged_kwargs, frames_in, frames_out, error);
}

/* Adds each member of every mount's description (prefixed names) to out. */
static void
s_merge_mounts (OlServer *server, json_t *out, json_t *(*get) (OlMount *),
                const char *const *sections)
{
  for (guint i = 0; i < server->mounts->len; i++)
    {
      g_autoptr (json_t) upstream = get (server->mounts->pdata[i]);

      if (upstream == NULL)
        continue;
      if (sections == NULL)
        json_object_update_missing (out, upstream);
      else
        for (int k = 0; sections[k]; k++)
          json_object_update_missing (json_object_get (out, sections[k]),
                                      json_object_get (upstream, sections[k]));
    }
}

static json_t *
s_op_list (OlServer *server, json_t *request, GPtrArray *frames_in,
           GPtrArray *frames_out, GError **error)
{
  static const char *const sections[] = { "instances", "functions", "named_calls", NULL };
  json_t *out = ol__registry_describe (server->registry);

  (void) request, (void) frames_in, (void) frames_out, (void) error;
  /* What the mounted servers serve, as they last described it (refreshed
   * every second). */
  s_merge_mounts (server, out, ol__mount_list, sections);
  return out;
}

static json_t *
s_op_mounts (OlServer *server, json_t *request, GPtrArray *frames_in,
             GPtrArray *frames_out, GError **error)
{
  json_t *out = json_object ();

  (void) request, (void) frames_in, (void) frames_out, (void) error;
  for (guint i = 0; i < server->mounts->len; i++)
    json_object_set_new (out, ol__mount_prefix (server->mounts->pdata[i]),
                         ol__mount_describe (server->mounts->pdata[i]));
  return out;
}

static json_t *
s_op_version (OlServer *server, json_t *request, GPtrArray *frames_in,
              GPtrArray *frames_out, GError **error)
{
  (void) server, (void) request, (void) frames_in, (void) frames_out, (void) error;
  return json_pack ("{s:s, s:i, s:[i]}", "server", OL_VERSION_STRING,
                    "protocol", OL_PROTOCOL_VERSION,
                    "protocols", OL_PROTOCOL_VERSION);
}

static json_t *
s_op_streams (OlServer *server, json_t *request, GPtrArray *frames_in,
              GPtrArray *frames_out, GError **error)
{
  json_t *out = ol__streamer_describe (server->streamer);

  (void) request, (void) frames_in, (void) frames_out, (void) error;
  s_merge_mounts (server, out, ol__mount_streams, NULL);
  return out;
}

static json_t *
s_op_stream_enable (OlServer *server, json_t *request, GPtrArray *frames_in,
                    GPtrArray *frames_out, GError **error)
{
  const char *name;
  json_t *enabled;

  (void) frames_in, (void) frames_out;
  if (!s_get_string (request, "name", TRUE, &name, error)
      || !s_get_member (request, "enabled", JSON_TRUE, &enabled, error))
    return NULL;
  if (enabled == NULL)
    {
      g_set_error (error, OL_ERROR, OL_ERROR_PROTOCOL,
                   "request lacks the boolean member \"enabled\"");
      return NULL;
    }
  if (!ol__streamer_set_enabled (server->streamer, name, json_is_true (enabled), error))
    return NULL;
  return json_null ();
}

static json_t *
s_op_stream_remove (OlServer *server, json_t *request, GPtrArray *frames_in,
                    GPtrArray *frames_out, GError **error)
{
  const char *name;

  (void) frames_in, (void) frames_out;
  if (!s_get_string (request, "name", TRUE, &name, error)
      || !ol__streamer_remove (server->streamer, name, error))
    return NULL;
  return json_null ();
}

static const struct {
  const char *name;
  OpFunc func;
} s_ops[] = {
  { "streams", s_op_streams },
  { "mounts", s_op_mounts },
  { "stream_enable", s_op_stream_enable },
  { "stream_remove", s_op_stream_remove },
  { "call", s_op_call },
  { "call_named", s_op_call_named },
  { "list", s_op_list },
  { "version", s_op_version },
};

static json_t *
s_run (OlServer *server, json_t *request, GPtrArray *frames_in,
       GPtrArray *frames_out, GError **error)
{
  json_t *v = json_object_get (request, "v");
  const char *op;

  if (!s_get_string (request, "op", TRUE, &op, error))
    return NULL;
  /* "version" answers whatever version the peer speaks: it is how a peer
   * learns which versions this server speaks. */
  if (strcmp (op, "version") == 0)
    return s_op_version (server, request, frames_in, frames_out, error);
  if (!json_is_integer (v))
    {
      g_set_error (error, OL_ERROR, OL_ERROR_PROTOCOL,
                   "request lacks the integer member \"v\" (protocol version)");
      return NULL;
    }
  if (json_integer_value (v) != OL_PROTOCOL_VERSION)
    {
      g_set_error (error, OL_ERROR, OL_ERROR_UNSUPPORTED_VERSION,
                   "protocol version %" JSON_INTEGER_FORMAT " is not supported; "
                   "this server speaks version %d",
                   json_integer_value (v), OL_PROTOCOL_VERSION);
      return NULL;
    }
  for (gsize i = 0; i < G_N_ELEMENTS (s_ops); i++)
    if (strcmp (op, s_ops[i].name) == 0)
      return s_ops[i].func (server, request, frames_in, frames_out, error);
  g_set_error (error, OL_ERROR, OL_ERROR_PROTOCOL, "unknown operation \"%s\"", op);
  return NULL;
}

void
ol__server_dispatch (OlServer *server, json_t *request, GPtrArray *frames_in,
                     GPtrArray **frames_out, GString *out)
{
  GError *error = NULL;
  gint64 ts = json_is_true (json_object_get (request, "ts")) ? ol__wall_time_ns () : -1;
  json_t *result;

  *frames_out = json_is_true (json_object_get (request, "frames"))
                  ? g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref)
                  : NULL;
  result = s_run (server, request, frames_in, *frames_out, &error);
  ol__wire_append_reply (out, json_object_get (request, "id"), result, error, ts);
  json_decref (result);
  g_clear_error (&error);
  atomic_fetch_add (&server->calls_served, 1);
}

/* ------------------------------------------------------------------------ */
/* Calls as OlClient writes them */

/* Consumes literal at *p. */
static gboolean
s_take (const char **p, const char *end, const char *literal, size_t len)
{
  if ((size_t) (end - *p) < len || memcmp (*p, literal, len) != 0)
    return FALSE;
  *p += len;
  return TRUE;
}
#define TAKE(p, end, literal) s_take ((p), (end), (literal), sizeof (literal) - 1)

/* Consumes a JSON string without escapes into buf (NUL-terminated). */
static gboolean
s_take_name (const char **p, const char *end, char *buf, size_t size)
{
  const char *q = *p;
  size_t n;

  if (q >= end || *q++ != '"')
    return FALSE;
  for (n = 0; q < end && *q != '"'; q++, n++)
    if ((guchar) *q < 0x20 || *q == '\\' || n + 1 >= size)
      return FALSE;
  if (q >= end)
    return FALSE;
  memcpy (buf, *p + 1, n);
  buf[n] = '\0';
  if (!g_utf8_validate (buf, (gssize) n, NULL))
    return FALSE;
  *p = q + 1;
  return TRUE;
}

/* Consumes a JSON array or object (open is '[' or '{'). (transfer full) */
static json_t *
s_take_json (const char **p, const char *end, char open)
{
  json_error_t jerr;
  json_t *value;

  if (*p >= end || **p != open)
    return NULL;
  value = json_loadb (*p, (size_t) (end - *p),
                      JSON_DISABLE_EOF_CHECK | JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
  if (value != NULL)
    *p += jerr.position;
  return value;
}

gboolean
ol__server_dispatch_call (OlServer *server, const char *text, size_t len, GString *out)
{
  const char *p = text, *end = text + len, *digits;
  char object[OL_FAST_NAME_MAX], method[OL_FAST_NAME_MAX];
  gboolean has_object = FALSE;
  gint64 ts = -1;
  g_autoptr (json_t) args = NULL;
  g_autoptr (json_t) kwargs = NULL;
  gint64 id = 0;
  GError *error = NULL;
  OlCallable *c;
  json_t *result = NULL;

  if (!TAKE (&p, end, "{\"v\":1,\"id\":"))
    return FALSE;
  for (digits = p; p < end && g_ascii_isdigit (*p); p++)
    ;
  if (!ol__wire_scan_int (digits, p, FALSE, &id) || !TAKE (&p, end, ",\"op\":\"call\""))
    return FALSE;
  if (TAKE (&p, end, ",\"ts\":true"))
    ts = ol__wall_time_ns ();
  if (TAKE (&p, end, ",\"object\":"))
    {
      if (!s_take_name (&p, end, object, sizeof object))
        return FALSE;
      has_object = TRUE;
    }
  if (!TAKE (&p, end, ",\"method\":") || !s_take_name (&p, end, method, sizeof method))
    return FALSE;
  if (TAKE (&p, end, ",\"args\":") && (args = s_take_json (&p, end, '[')) == NULL)
    return FALSE;
  if (TAKE (&p, end, ",\"kwargs\":") && (kwargs = s_take_json (&p, end, '{')) == NULL)
    return FALSE;
  if (p + 1 != end || *p != '}')
    return FALSE;

  /* What ol__server_dispatch() does with the same request. */
  if ((c = ol__registry_lookup (server->registry, has_object ? object : NULL, method,
                                &error)) != NULL)
    result = s_invoke (c, args, kwargs, NULL, NULL, &error);
  ol__wire_append_reply_int (out, id, result, error, ts);
  json_decref (result);
  g_clear_error (&error);
  atomic_fetch_add (&server->calls_served, 1);
  return TRUE;
}
