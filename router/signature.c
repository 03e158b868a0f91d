/* Signatures of plain C functions and their invocation through libffi.
 * See signature.h for the grammar, the type mapping and the binding rules. */
#include "router/signature.h"

#include "oneliner/error.h"

#include <ffi.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

/* Most parameters a signature may have ("error" and self not counted). */
#define OL_SIGNATURE_MAX_PARAMS 32

/* Longest rendering of a received value in an error message, in characters. */
#define OL_VALUE_REPR_MAX 60

/* One C argument value, as libffi reads it from the start of the union. */
typedef union {
  int32_t i32;
  int64_t i64;
  uint32_t u32;
  uint64_t u64;
  double d;
  bool b;
  const char *s;
  GBytes *bytes;
  json_t *json;
  void *p;
} OlSlot;

/* Storage for a return value: libffi widens integral values smaller than a
 * register to ffi_arg. */
typedef union {
  ffi_arg a;
  ffi_sarg sa;
  int64_t i64;
  uint64_t u64;
  double d;
  void *p;
} OlReturn;

typedef struct {
  char *name;
  gsize name_len;
  OlType type;
  json_t *default_json; /* (owned) (nullable): NULL when no default */
  OlSlot default_value; /* converted default: bytes owned, string and json
                         * borrowed from default_json */
} OlParam;

struct OlSignature {
  char *text;
  guint n_params;
  OlType return_type;
  gboolean has_error;
  OlParam params[OL_SIGNATURE_MAX_PARAMS];
  /* [0]: free function, [1]: method (self first) */
  ffi_cif cif[2];
  ffi_type *arg_types[2][OL_SIGNATURE_MAX_PARAMS + 2];
};

/* ------------------------------------------------------------------------ */
/* Types                                                                    */

static const char *const type_names[] = {
  [OL_TYPE_VOID] = "void",
  [OL_TYPE_INT32] = "int32",
  [OL_TYPE_INT64] = "int64",
  [OL_TYPE_UINT32] = "uint32",
  [OL_TYPE_UINT64] = "uint64",
  [OL_TYPE_DOUBLE] = "double",
  [OL_TYPE_BOOL] = "bool",
  [OL_TYPE_STRING] = "string",
  [OL_TYPE_BYTES] = "bytes",
  [OL_TYPE_JSON] = "json",
};

const char *
ol__type_name (OlType type)
{
  if ((guint) type < G_N_ELEMENTS (type_names))
    return type_names[type];
  return "invalid";
}

static gboolean
type_from_name (const char *name, gsize len, OlType *type)
{
  for (guint i = 0; i < G_N_ELEMENTS (type_names); i++)
    if (strlen (type_names[i]) == len && memcmp (type_names[i], name, len) == 0)
      {
        *type = (OlType) i;
        return TRUE;
      }
  return FALSE;
}

static ffi_type *
type_ffi (OlType type)
{
  switch (type)
    {
    case OL_TYPE_VOID: return &ffi_type_void;
    case OL_TYPE_INT32: return &ffi_type_sint32;
    case OL_TYPE_INT64: return &ffi_type_sint64;
    case OL_TYPE_UINT32: return &ffi_type_uint32;
    case OL_TYPE_UINT64: return &ffi_type_uint64;
    case OL_TYPE_DOUBLE: return &ffi_type_double;
    case OL_TYPE_BOOL: return &ffi_type_uint8; /* C11 _Bool */
    case OL_TYPE_STRING:
    case OL_TYPE_BYTES:
    case OL_TYPE_JSON: return &ffi_type_pointer;
    }
  g_assert_not_reached ();
}

G_STATIC_ASSERT (sizeof (bool) == 1);

/* ------------------------------------------------------------------------ */
/* Compact JSON rendering with the shortest round-trip form of reals        */

/* Rendering stops at the first character boundary after out holds more
 * than limit bytes (G_MAXSIZE: no limit): an error message about a received
 * value never renders more of it than its first characters. */
static void
append_json_string (GString *out, const char *s, gsize len, gsize limit)
{
  g_string_append_c (out, '"');
  for (gsize i = 0; i < len; i++)
    {
      guchar c = (guchar) s[i];
      if (out->len > limit && (c < 0x80 || c >= 0xc0))
        return;
      switch (c)
        {
        case '"': g_string_append (out, "\\\""); break;
        case '\\': g_string_append (out, "\\\\"); break;
        case '\b': g_string_append (out, "\\b"); break;
        case '\f': g_string_append (out, "\\f"); break;
        case '\n': g_string_append (out, "\\n"); break;
        case '\r': g_string_append (out, "\\r"); break;
        case '\t': g_string_append (out, "\\t"); break;
        default:
          if (c < 0x20 || c == 0x7f)
            g_string_append_printf (out, "\\u%04x", c);
          else
            g_string_append_c (out, (char) c);
        }
    }
  g_string_append_c (out, '"');
}

static void
append_real (GString *out, double d)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];
  char format[8];

  for (int precision = 1; precision <= 17; precision++)
    {
      g_snprintf (format, sizeof format, "%%.%dg", precision);
      g_ascii_formatd (buf, sizeof buf, format, d);
      if (g_ascii_strtod (buf, NULL) == d)
        break;
    }
  g_string_append (out, buf);
  /* keep it a JSON real when read back */
  if (strpbrk (buf, ".eEni") == NULL)
    g_string_append (out, ".0");
}

static void
append_json (GString *out, json_t *value, gsize limit)
{
  if (out->len > limit)
    return;
  switch (json_typeof (value))
    {
    case JSON_NULL: g_string_append (out, "null"); break;
    case JSON_TRUE: g_string_append (out, "true"); break;
    case JSON_FALSE: g_string_append (out, "false"); break;
    case JSON_INTEGER:
      g_string_append_printf (out, "%" JSON_INTEGER_FORMAT, json_integer_value (value));
      break;
    case JSON_REAL:
      append_real (out, json_real_value (value));
      break;
    case JSON_STRING:
      append_json_string (out, json_string_value (value), json_string_length (value),
                          limit);
      break;
    case JSON_ARRAY:
      {
        size_t i;
        json_t *item;

        g_string_append_c (out, '[');
        json_array_foreach (value, i, item)
          {
            if (out->len > limit)
              break;
            if (i > 0)
              g_string_append_c (out, ',');
            append_json (out, item, limit);
          }
        g_string_append_c (out, ']');
        break;
      }
    case JSON_OBJECT:
      {
        const char *key;
        size_t key_len;
        json_t *item;
        gboolean first = TRUE;

        g_string_append_c (out, '{');
        json_object_keylen_foreach (value, key, key_len, item)
          {
            if (out->len > limit)
              break;
            if (!first)
              g_string_append_c (out, ',');
            first = FALSE;
            append_json_string (out, key, key_len, limit);
            g_string_append_c (out, ':');
            append_json (out, item, limit);
          }
        g_string_append_c (out, '}');
        break;
      }
    }
}

/* The received value for an error message, shortened when long. */
static char *
value_repr (json_t *value)
{
  GString *out = g_string_new (NULL);

  /* A character renders to at most 6 bytes ("\u001f"): the bound keeps
   * the first OL_VALUE_REPR_MAX characters and renders no more, however
   * large the value. */
  append_json (out, value, OL_VALUE_REPR_MAX * 6);
  if (g_utf8_strlen (out->str, -1) > OL_VALUE_REPR_MAX)
    {
      const char *cut = g_utf8_offset_to_pointer (out->str, OL_VALUE_REPR_MAX);
      g_string_truncate (out, (gsize) (cut - out->str));
      g_string_append (out, "...");
    }
  return g_string_free (out, FALSE);
}

static const char *
json_kind (json_t *value)
{
  switch (json_typeof (value))
    {
    case JSON_NULL: return "null";
    case JSON_TRUE:
    case JSON_FALSE: return "boolean";
    case JSON_INTEGER: return "integer";
    case JSON_REAL: return "real";
    case JSON_STRING: return "string";
    case JSON_ARRAY: return "array";
    case JSON_OBJECT: return "object";
    }
  return "value";
}

/* ------------------------------------------------------------------------ */
/* Argument conversion                                                      */

/* "parameter 'x' expects int32, got <what><suffix>" */
static void
set_type_error (GError **error, const char *name, OlType type, json_t *value,
                gboolean with_kind, const char *suffix)
{
  g_autofree char *repr = value_repr (value);
  g_autofree char *what = NULL;

  if (json_is_null (value))
    what = g_strdup ("null");
  else if (with_kind)
    what = g_strdup_printf ("%s %s", json_kind (value), repr);
  else
    what = g_steal_pointer (&repr);

  if (name != NULL)
    g_set_error (error, OL_ERROR, OL_ERROR_INVALID_ARGS,
                 "parameter '%s' expects %s, got %s%s",
                 name, ol__type_name (type), what, suffix);
  else
    g_set_error (error, OL_ERROR, OL_ERROR_INVALID_ARGS,
                 "expected %s, got %s%s", ol__type_name (type), what, suffix);
}

static gboolean
base64_is_valid (const char *s, gsize len)
{
  gsize pad = 0;

  if (len % 4 != 0)
    return FALSE;
  if (len >= 1 && s[len - 1] == '=')
    pad++;
  if (len >= 2 && s[len - 2] == '=')
    pad++;
  for (gsize i = 0; i < len - pad; i++)
    {
      char c = s[i];
      if (!g_ascii_isalnum (c) && c != '+' && c != '/')
        return FALSE;
    }
  return TRUE;
}

/* A base64 string to bytes; slot may be NULL to only check. */
static gboolean
convert_base64 (json_t *string, json_t *shown, const char *name,
                OlSlot *slot, GError **error)
{
  const char *s = json_string_value (string);
  gsize len = json_string_length (string);

  if (!base64_is_valid (s, len))
    {
      set_type_error (error, name, OL_TYPE_BYTES, shown, TRUE, " (not valid base64)");
      return FALSE;
    }
  if (slot != NULL)
    {
      gsize out_len = 0;
      guchar *data = len > 0 ? g_base64_decode (s, &out_len) : NULL;
      slot->bytes = g_bytes_new_take (data, out_len);
    }
  return TRUE;
}

static gboolean
convert_bytes (json_t *value, GPtrArray *frames, const char *name,
               OlSlot *slot, GError **error)
{
  if (json_is_string (value))
    return convert_base64 (value, value, name, slot, error);

  if (json_is_object (value) && json_object_size (value) == 1)
    {
      json_t *b64 = json_object_get (value, "$base64");
      json_t *frame = json_object_get (value, "$frame");

      if (b64 != NULL)
        {
          if (!json_is_string (b64))
            {
              set_type_error (error, name, OL_TYPE_BYTES, value, TRUE,
                              " (\"$base64\" must be a string)");
              return FALSE;
            }
          return convert_base64 (b64, value, name, slot, error);
        }
      if (frame != NULL)
        {
          json_int_t index;
          guint n_frames = frames != NULL ? frames->len : 0;

          if (!json_is_integer (frame) || json_integer_value (frame) < 0)
            {
              set_type_error (error, name, OL_TYPE_BYTES, value, TRUE,
                              " (\"$frame\" must be a non-negative integer)");
              return FALSE;
            }
          index = json_integer_value (frame);
          if ((guint64) index >= n_frames)
            {
              g_autofree char *suffix =
                g_strdup_printf (" (frame index out of range: %u frame%s attached)",
                                 n_frames, n_frames == 1 ? "" : "s");
              set_type_error (error, name, OL_TYPE_BYTES, value, TRUE, suffix);
              return FALSE;
            }
          if (slot != NULL)
            slot->bytes = g_bytes_ref (g_ptr_array_index (frames, (guint) index));
          return TRUE;
        }
    }

  set_type_error (error, name, OL_TYPE_BYTES, value, TRUE,
                  " (bytes are a base64 string, {\"$base64\": \"...\"} or {\"$frame\": N})");
  return FALSE;
}

static gboolean
convert_integer (OlType type, json_t *value, const char *name,
                 OlSlot *slot, GError **error)
{
  OlSlot tmp;

  if (slot == NULL)
    slot = &tmp;

  if (json_is_integer (value))
    {
      json_int_t v = json_integer_value (value);
      gboolean ok = TRUE;

      switch (type)
        {
        case OL_TYPE_INT32:
          ok = v >= INT32_MIN && v <= INT32_MAX;
          slot->i32 = (int32_t) v;
          break;
        case OL_TYPE_INT64:
          slot->i64 = (int64_t) v;
          break;
        case OL_TYPE_UINT32:
          ok = v >= 0 && v <= (json_int_t) UINT32_MAX;
          slot->u32 = (uint32_t) v;
          break;
        case OL_TYPE_UINT64:
          ok = v >= 0;
          slot->u64 = (uint64_t) v;
          break;
        default:
          g_assert_not_reached ();
        }
      if (!ok)
        {
          set_type_error (error, name, type, value, FALSE, " (out of range)");
          return FALSE;
        }
      return TRUE;
    }

  if (json_is_real (value))
    {
      double d = json_real_value (value);
      gboolean ok;

      if (!isfinite (d) || d != floor (d))
        {
          set_type_error (error, name, type, value, FALSE, " (not an integer)");
          return FALSE;
        }
      switch (type)
        {
        case OL_TYPE_INT32:
          ok = d >= -2147483648.0 && d <= 2147483647.0;
          if (ok)
            slot->i32 = (int32_t) d;
          break;
        case OL_TYPE_INT64:
          ok = d >= -9223372036854775808.0 && d < 9223372036854775808.0;
          if (ok)
            slot->i64 = (int64_t) d;
          break;
        case OL_TYPE_UINT32:
          ok = d >= 0.0 && d <= 4294967295.0;
          if (ok)
            slot->u32 = (uint32_t) d;
          break;
        case OL_TYPE_UINT64:
          ok = d >= 0.0 && d < 18446744073709551616.0;
          if (ok)
            slot->u64 = (uint64_t) d;
          break;
        default:
          g_assert_not_reached ();
        }
      if (!ok)
        {
          set_type_error (error, name, type, value, FALSE, " (out of range)");
          return FALSE;
        }
      return TRUE;
    }

  set_type_error (error, name, type, value, TRUE, "");
  return FALSE;
}

/* Converts value to a C value of type into slot (NULL: check only). A bytes
 * value stored into slot holds a reference the caller releases. */
static gboolean
convert_value (OlType type, json_t *value, GPtrArray *frames, const char *name,
               OlSlot *slot, GError **error)
{
  switch (type)
    {
    case OL_TYPE_INT32:
    case OL_TYPE_INT64:
    case OL_TYPE_UINT32:
    case OL_TYPE_UINT64:
      return convert_integer (type, value, name, slot, error);

    case OL_TYPE_DOUBLE:
      if (!json_is_number (value))
        break;
      if (slot != NULL)
        slot->d = json_number_value (value);
      return TRUE;

    case OL_TYPE_BOOL:
      if (!json_is_boolean (value))
        break;
      if (slot != NULL)
        slot->b = json_is_true (value);
      return TRUE;

    case OL_TYPE_STRING:
      if (!json_is_string (value))
        break;
      if (strlen (json_string_value (value)) != json_string_length (value))
        {
          set_type_error (error, name, type, value, TRUE, " (contains a NUL character)");
          return FALSE;
        }
      if (slot != NULL)
        slot->s = json_string_value (value);
      return TRUE;

    case OL_TYPE_BYTES:
      return convert_bytes (value, frames, name, slot, error);

    case OL_TYPE_JSON:
      if (slot != NULL)
        slot->json = value;
      return TRUE;

    case OL_TYPE_VOID:
    default:
      g_assert_not_reached ();
    }

  set_type_error (error, name, type, value, TRUE, "");
  return FALSE;
}

gboolean
ol__type_check_json (OlType type, json_t *value, GPtrArray *frames,
                     const char *param_name, GError **error)
{
  g_return_val_if_fail (type > OL_TYPE_VOID && type <= OL_TYPE_JSON, FALSE);
  g_return_val_if_fail (value != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return convert_value (type, value, frames, param_name, NULL, error);
}

/* ------------------------------------------------------------------------ */
/* Parsing                                                                  */

typedef struct {
  const char *text;
  const char *p;
} Parser;

static void
skip_space (Parser *ps)
{
  while (g_ascii_isspace (*ps->p))
    ps->p++;
}

static gboolean
is_name_start (char c)
{
  return g_ascii_isalpha (c) || c == '_';
}

static gboolean
is_name_char (char c)
{
  return g_ascii_isalnum (c) || c == '_';
}

/* Length of the name at p, 0 if none. */
static gsize
name_length (const char *p)
{
  gsize n = 0;

  if (!is_name_start (p[0]))
    return 0;
  while (is_name_char (p[n]))
    n++;
  return n;
}

/* A description of the token at p for error messages. */
static char *
token_repr (const char *p)
{
  gsize n = name_length (p);

  if (*p == '\0')
    return g_strdup ("end of text");
  if (n > 0)
    return g_strdup_printf ("'%.*s'", (int) n, p);
  if (p[0] == '-' && p[1] == '>')
    return g_strdup ("'->'");
  if (g_ascii_isprint (*p))
    return g_strdup_printf ("'%c'", *p);
  return g_strdup_printf ("byte 0x%02x", (guchar) *p);
}

/* Sets "invalid signature "...": <message> at offset N" for the token at at. */
static void G_GNUC_PRINTF (4, 5)
parse_error (Parser *ps, const char *at, GError **error, const char *format, ...)
{
  g_autofree char *message = NULL;
  g_autofree char *text = g_utf8_make_valid (ps->text, -1);
  va_list ap;

  va_start (ap, format);
  message = g_strdup_vprintf (format, ap);
  va_end (ap);
  g_set_error (error, OL_ERROR, OL_ERROR_SIGNATURE,
               "invalid signature \"%s\": %s at offset %d",
               text, message, (int) (at - ps->text));
}

/* Extent of a default literal: up to the next top-level ',' or ')'. */
static const char *
literal_end (const char *p)
{
  int depth = 0;
  gboolean in_string = FALSE;

  for (; *p != '\0'; p++)
    {
      if (in_string)
        {
          if (*p == '\\' && p[1] != '\0')
            p++;
          else if (*p == '"')
            in_string = FALSE;
          continue;
        }
      switch (*p)
        {
        case '"': in_string = TRUE; break;
        case '[':
        case '{': depth++; break;
        case ']':
        case '}': depth--; break;
        case ',':
        case ')':
          if (depth <= 0)
            return p;
          break;
        default: break;
        }
    }
  return p;
}

static gboolean
parse_default (Parser *ps, OlParam *param, GError **error)
{
  const char *start, *end;
  json_error_t jerr;
  g_autoptr (GError) local = NULL;

  skip_space (ps);
  start = ps->p;
  end = literal_end (start);
  while (end > start && g_ascii_isspace (end[-1]))
    end--;
  if (end == start)
    {
      g_autofree char *tok = token_repr (start);
      parse_error (ps, start, error, "expected a default value for '%s', got %s",
                   param->name, tok);
      return FALSE;
    }

  param->default_json = json_loadb (start, (size_t) (end - start),
                                    JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &jerr);
  if (param->default_json == NULL)
    {
      parse_error (ps, start, error, "invalid default value %.*s for '%s' (%s)",
                   (int) (end - start), start, param->name, jerr.text);
      return FALSE;
    }
  if (!convert_value (param->type, param->default_json, NULL, param->name,
                      &param->default_value, &local))
    {
      parse_error (ps, start, error, "invalid default: %s", local->message);
      return FALSE;
    }
  ps->p = end;
  return TRUE;
}

static gboolean
parse_params (Parser *ps, OlSignature *sig, GError **error)
{
  gboolean seen_default = FALSE;

  skip_space (ps);
  if (*ps->p == ')')
    {
      ps->p++;
      return TRUE;
    }

  for (;;)
    {
      const char *at;
      gsize n;
      OlType type;
      OlParam *param;

      skip_space (ps);
      at = ps->p;
      n = name_length (at);
      if (n == 0)
        {
          g_autofree char *tok = token_repr (at);
          parse_error (ps, at, error, "expected a parameter type or 'error', got %s", tok);
          return FALSE;
        }
      ps->p += n;

      if (n == 5 && memcmp (at, "error", 5) == 0)
        {
          sig->has_error = TRUE;
          skip_space (ps);
          if (*ps->p == ')')
            {
              ps->p++;
              return TRUE;
            }
          if (*ps->p == ',')
            parse_error (ps, at, error, "'error' must be the last parameter");
          else
            {
              g_autofree char *tok = token_repr (ps->p);
              parse_error (ps, ps->p, error,
                           "'error' takes no name or default: expected ')', got %s", tok);
            }
          return FALSE;
        }

      if (!type_from_name (at, n, &type))
        {
          parse_error (ps, at, error, "unknown type '%.*s'", (int) n, at);
          return FALSE;
        }
      if (type == OL_TYPE_VOID)
        {
          parse_error (ps, at, error, "'void' is not a parameter type");
          return FALSE;
        }
      if (sig->n_params == OL_SIGNATURE_MAX_PARAMS)
        {
          parse_error (ps, at, error, "too many parameters (at most %d are supported)",
                       OL_SIGNATURE_MAX_PARAMS);
          return FALSE;
        }

      skip_space (ps);
      at = ps->p;
      n = name_length (at);
      if (n == 0)
        {
          g_autofree char *tok = token_repr (at);
          parse_error (ps, at, error, "expected a parameter name after '%s', got %s",
                       ol__type_name (type), tok);
          return FALSE;
        }
      for (guint i = 0; i < sig->n_params; i++)
        if (sig->params[i].name_len == n && memcmp (sig->params[i].name, at, n) == 0)
          {
            parse_error (ps, at, error, "duplicate parameter name '%.*s'", (int) n, at);
            return FALSE;
          }

      param = &sig->params[sig->n_params++];
      param->name = g_strndup (at, n);
      param->name_len = n;
      param->type = type;
      ps->p += n;

      skip_space (ps);
      if (*ps->p == '=')
        {
          ps->p++;
          if (!parse_default (ps, param, error))
            return FALSE;
          seen_default = TRUE;
        }
      else if (seen_default)
        {
          parse_error (ps, at, error,
                       "parameter '%s' needs a default value because an earlier parameter has one",
                       param->name);
          return FALSE;
        }

      skip_space (ps);
      if (*ps->p == ')')
        {
          ps->p++;
          return TRUE;
        }
      if (*ps->p != ',')
        {
          g_autofree char *tok = token_repr (ps->p);
          parse_error (ps, ps->p, error, "expected ',' or ')', got %s", tok);
          return FALSE;
        }
      ps->p++;
    }
}

static gboolean
parse_return (Parser *ps, OlSignature *sig, GError **error)
{
  const char *at;
  gsize n;

  skip_space (ps);
  if (*ps->p == '\0')
    {
      sig->return_type = OL_TYPE_VOID;
      return TRUE;
    }
  if (ps->p[0] != '-' || ps->p[1] != '>')
    {
      g_autofree char *tok = token_repr (ps->p);
      parse_error (ps, ps->p, error, "expected '->' or end of text, got %s", tok);
      return FALSE;
    }
  ps->p += 2;

  skip_space (ps);
  at = ps->p;
  n = name_length (at);
  if (n == 0)
    {
      g_autofree char *tok = token_repr (at);
      parse_error (ps, at, error, "expected a return type after '->', got %s", tok);
      return FALSE;
    }
  if (!type_from_name (at, n, &sig->return_type))
    {
      parse_error (ps, at, error, "unknown return type '%.*s'", (int) n, at);
      return FALSE;
    }
  ps->p += n;

  skip_space (ps);
  if (*ps->p != '\0')
    {
      g_autofree char *tok = token_repr (ps->p);
      parse_error (ps, ps->p, error, "unexpected %s after the return type", tok);
      return FALSE;
    }
  return TRUE;
}

static char *
canonical_text (const OlSignature *sig)
{
  GString *out = g_string_new ("(");

  for (guint i = 0; i < sig->n_params; i++)
    {
      const OlParam *param = &sig->params[i];

      if (i > 0)
        g_string_append (out, ", ");
      g_string_append_printf (out, "%s %s", ol__type_name (param->type), param->name);
      if (param->default_json != NULL)
        {
          g_string_append (out, " = ");
          append_json (out, param->default_json, G_MAXSIZE);
        }
    }
  if (sig->has_error)
    g_string_append (out, sig->n_params > 0 ? ", error" : "error");
  g_string_append_c (out, ')');
  if (sig->return_type != OL_TYPE_VOID)
    g_string_append_printf (out, " -> %s", ol__type_name (sig->return_type));
  return g_string_free (out, FALSE);
}

static gboolean
prepare_cifs (OlSignature *sig, GError **error)
{
  for (guint with_self = 0; with_self < 2; with_self++)
    {
      ffi_type **types = sig->arg_types[with_self];
      guint n = 0;

      if (with_self)
        types[n++] = &ffi_type_pointer;
      for (guint i = 0; i < sig->n_params; i++)
        types[n++] = type_ffi (sig->params[i].type);
      if (sig->has_error)
        types[n++] = &ffi_type_pointer;

      if (ffi_prep_cif (&sig->cif[with_self], FFI_DEFAULT_ABI, n,
                        type_ffi (sig->return_type), types) != FFI_OK)
        {
          g_set_error (error, OL_ERROR, OL_ERROR_SIGNATURE,
                       "invalid signature \"%s\": libffi cannot prepare the call",
                       sig->text);
          return FALSE;
        }
    }
  return TRUE;
}

OlSignature *
ol__signature_parse (const char *text, GError **error)
{
  g_autoptr (OlSignature) sig = NULL;
  Parser ps = { text, text };

  g_return_val_if_fail (text != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  sig = g_new0 (OlSignature, 1);

  skip_space (&ps);
  if (*ps.p != '(')
    {
      g_autofree char *tok = token_repr (ps.p);
      parse_error (&ps, ps.p, error, "expected '(', got %s", tok);
      return NULL;
    }
  ps.p++;

  if (!parse_params (&ps, sig, error) || !parse_return (&ps, sig, error))
    return NULL;

  sig->text = canonical_text (sig);
  if (!prepare_cifs (sig, error))
    return NULL;
  return g_steal_pointer (&sig);
}

void
ol__signature_free (OlSignature *sig)
{
  if (sig == NULL)
    return;
  for (guint i = 0; i < sig->n_params; i++)
    {
      OlParam *param = &sig->params[i];

      g_free (param->name);
      if (param->type == OL_TYPE_BYTES && param->default_json != NULL)
        g_clear_pointer (&param->default_value.bytes, g_bytes_unref);
      json_decref (param->default_json);
    }
  g_free (sig->text);
  g_free (sig);
}

const char *
ol__signature_text (const OlSignature *sig)
{
  g_return_val_if_fail (sig != NULL, NULL);
  return sig->text;
}

OlType
ol__signature_return_type (const OlSignature *sig)
{
  g_return_val_if_fail (sig != NULL, OL_TYPE_VOID);
  return sig->return_type;
}

json_t *
ol__signature_describe (const OlSignature *sig)
{
  json_t *params;
  json_t *result;

  g_return_val_if_fail (sig != NULL, NULL);

  params = json_array ();
  for (guint i = 0; i < sig->n_params; i++)
    {
      const OlParam *param = &sig->params[i];
      json_t *p = json_object ();

      json_object_set_new (p, "name", json_string (param->name));
      json_object_set_new (p, "type", json_string (ol__type_name (param->type)));
      if (param->default_json != NULL)
        json_object_set_new (p, "default", json_deep_copy (param->default_json));
      json_array_append_new (params, p);
    }

  result = json_object ();
  json_object_set_new (result, "params", params);
  json_object_set_new (result, "returns", json_string (ol__type_name (sig->return_type)));
  json_object_set_new (result, "error", json_boolean (sig->has_error));
  return result;
}

/* ------------------------------------------------------------------------ */
/* Invocation                                                               */

void
ol__value_clear (OlValue *value)
{
  g_return_if_fail (value != NULL);
  g_clear_pointer (&value->json, json_decref);
  g_clear_pointer (&value->bytes, g_bytes_unref);
}

static void
free_return (OlType type, OlReturn *rv)
{
  switch (type)
    {
    case OL_TYPE_STRING: g_free (rv->p); break;
    case OL_TYPE_BYTES: g_clear_pointer ((GBytes **) &rv->p, g_bytes_unref); break;
    case OL_TYPE_JSON: json_decref (rv->p); break;
    default: break;
    }
}

static gboolean
convert_return (OlType type, OlReturn *rv, OlValue *out, GError **error)
{
  switch (type)
    {
    case OL_TYPE_VOID:
      out->json = json_null ();
      return TRUE;
    case OL_TYPE_INT32:
      out->json = json_integer ((int32_t) rv->sa);
      return TRUE;
    case OL_TYPE_UINT32:
      out->json = json_integer ((uint32_t) rv->a);
      return TRUE;
    case OL_TYPE_INT64:
      out->json = json_integer (rv->i64);
      return TRUE;
    case OL_TYPE_UINT64:
      if (rv->u64 > INT64_MAX)
        {
          g_set_error (error, OL_ERROR, OL_ERROR_FAILED,
                       "uint64 return value %" G_GUINT64_FORMAT
                       " exceeds the JSON integer range (at most %" G_GINT64_FORMAT ")",
                       (guint64) rv->u64, (gint64) INT64_MAX);
          return FALSE;
        }
      out->json = json_integer ((json_int_t) rv->u64);
      return TRUE;
    case OL_TYPE_DOUBLE:
      if (!isfinite (rv->d))
        {
          char buf[G_ASCII_DTOSTR_BUF_SIZE];
          g_set_error (error, OL_ERROR, OL_ERROR_FAILED,
                       "function returned the double %s, which JSON cannot represent",
                       g_ascii_dtostr (buf, sizeof buf, rv->d));
          return FALSE;
        }
      out->json = json_real (rv->d);
      return TRUE;
    case OL_TYPE_BOOL:
      out->json = json_boolean ((uint8_t) rv->a != 0);
      return TRUE;
    case OL_TYPE_STRING:
      {
        char *s = rv->p;
        gsize len;

        if (s == NULL)
          {
            out->json = json_null ();
            return TRUE;
          }
        len = strlen (s);
        if (!g_utf8_validate_len (s, len, NULL))
          {
            g_free (s);
            g_set_error_literal (error, OL_ERROR, OL_ERROR_FAILED,
                                 "function returned a string that is not valid UTF-8");
            return FALSE;
          }
        out->json = json_stringn_nocheck (s, len);
        g_free (s);
        return TRUE;
      }
    case OL_TYPE_BYTES:
      if (rv->p == NULL)
        out->json = json_null ();
      else
        out->bytes = rv->p;
      return TRUE;
    case OL_TYPE_JSON:
      out->json = rv->p != NULL ? rv->p : json_null ();
      return TRUE;
    }
  g_assert_not_reached ();
}

static void
set_missing_error (const OlSignature *sig, json_t *const *bound, GError **error)
{
  GString *names = g_string_new (NULL);
  guint n_missing = 0;

  for (guint i = 0; i < sig->n_params; i++)
    if (bound[i] == NULL && sig->params[i].default_json == NULL)
      {
        g_string_append_printf (names, "%s'%s'", n_missing > 0 ? ", " : "",
                                sig->params[i].name);
        n_missing++;
      }
  g_set_error (error, OL_ERROR, OL_ERROR_INVALID_ARGS, "missing argument%s %s",
               n_missing > 1 ? "s" : "", names->str);
  g_string_free (names, TRUE);
}

gboolean
ol__signature_invoke (const OlSignature *sig,
                      void (*fn) (void),
                      gboolean with_self,
                      void *self,
                      json_t *args,
                      json_t *kwargs,
                      GPtrArray *frames,
                      OlValue *out,
                      GError **error)
{
  json_t *bound[OL_SIGNATURE_MAX_PARAMS];
  OlSlot slots[OL_SIGNATURE_MAX_PARAMS];
  void *avalues[OL_SIGNATURE_MAX_PARAMS + 2];
  guint32 owned = 0; /* bit i: slots[i].bytes holds a reference */
  GError *fn_error = NULL;
  GError **fn_error_p = &fn_error;
  OlReturn rv;
  gsize n_args;
  guint n = 0;
  gboolean ok = FALSE;

  G_STATIC_ASSERT (OL_SIGNATURE_MAX_PARAMS <= 32);

  g_return_val_if_fail (sig != NULL, FALSE);
  g_return_val_if_fail (fn != NULL, FALSE);
  g_return_val_if_fail (out != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  out->json = NULL;
  out->bytes = NULL;

  if (args != NULL && !json_is_array (args))
    {
      g_autofree char *repr = value_repr (args);
      g_set_error (error, OL_ERROR, OL_ERROR_INVALID_ARGS,
                   "positional arguments must be a JSON array, got %s %s",
                   json_kind (args), repr);
      return FALSE;
    }
  if (kwargs != NULL && !json_is_object (kwargs))
    {
      g_autofree char *repr = value_repr (kwargs);
      g_set_error (error, OL_ERROR, OL_ERROR_INVALID_ARGS,
                   "keyword arguments must be a JSON object, got %s %s",
                   json_kind (kwargs), repr);
      return FALSE;
    }

  /* Binding */
  n_args = args != NULL ? json_array_size (args) : 0;
  if (n_args > sig->n_params)
    {
      g_set_error (error, OL_ERROR, OL_ERROR_INVALID_ARGS,
                   "too many positional arguments: expected at most %u, got %" G_GSIZE_FORMAT,
                   sig->n_params, n_args);
      return FALSE;
    }
  for (guint i = 0; i < sig->n_params; i++)
    bound[i] = i < n_args ? json_array_get (args, i) : NULL;

  if (kwargs != NULL)
    {
      const char *key;
      size_t key_len;
      json_t *value;

      json_object_keylen_foreach (kwargs, key, key_len, value)
        {
          guint i;

          for (i = 0; i < sig->n_params; i++)
            if (sig->params[i].name_len == key_len
                && memcmp (sig->params[i].name, key, key_len) == 0)
              break;
          if (i == sig->n_params)
            {
              g_set_error (error, OL_ERROR, OL_ERROR_INVALID_ARGS,
                           "unexpected keyword argument '%s'", key);
              return FALSE;
            }
          if (bound[i] != NULL)
            {
              g_set_error (error, OL_ERROR, OL_ERROR_INVALID_ARGS,
                           "parameter '%s' given both by position and by keyword", key);
              return FALSE;
            }
          bound[i] = value;
        }
    }

  for (guint i = 0; i < sig->n_params; i++)
    if (bound[i] == NULL && sig->params[i].default_json == NULL)
      {
        set_missing_error (sig, bound, error);
        return FALSE;
      }

  /* Conversion */
  if (with_self)
    avalues[n++] = &self;
  for (guint i = 0; i < sig->n_params; i++)
    {
      const OlParam *param = &sig->params[i];

      if (bound[i] == NULL)
        slots[i] = param->default_value;
      else
        {
          if (!convert_value (param->type, bound[i], frames, param->name, &slots[i], error))
            goto out;
          if (param->type == OL_TYPE_BYTES)
            owned |= (guint32) 1 << i;
        }
      avalues[n++] = &slots[i];
    }
  if (sig->has_error)
    avalues[n++] = &fn_error_p;

  /* Call. libffi does not modify a prepared cif. */
  memset (&rv, 0, sizeof rv);
  ffi_call ((ffi_cif *) &sig->cif[with_self ? 1 : 0], fn, &rv, avalues);

  if (fn_error != NULL)
    {
      free_return (sig->return_type, &rv);
      g_propagate_error (error, fn_error);
      goto out;
    }
  ok = convert_return (sig->return_type, &rv, out, error);

out:
  for (guint i = 0; owned != 0; i++, owned >>= 1)
    if (owned & 1)
      g_bytes_unref (slots[i].bytes);
  return ok;
}
