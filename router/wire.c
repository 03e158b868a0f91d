/* The control-plane wire codec shared by server and client. */
#include "router/wire.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "oneliner/error.h"
#include "core/json.h"

json_t *
ol__wire_error_to_json (const GError *error)
{
  return json_pack ("{s:s, s:i, s:s}",
                    "domain", g_quark_to_string (error->domain),
                    "code", error->code,
                    "message", error->message ? error->message : "");
}

void
ol__wire_append_int (GString *out, gint64 value)
{
  char digits[24];
  int i = sizeof digits;
  /* The magnitude as unsigned, so that G_MININT64 has one too. */
  guint64 mag = value < 0 ? (guint64) 0 - (guint64) value : (guint64) value;

  do
    {
      digits[--i] = (char) ('0' + mag % 10);
      mag /= 10;
    }
  while (mag != 0);
  if (value < 0)
    digits[--i] = '-';
  g_string_append_len (out, digits + i, (gssize) (sizeof digits - (size_t) i));
}

gboolean
ol__wire_scan_int (const char *p, const char *end, gboolean negative, gint64 *out)
{
  gboolean minus = negative && p < end && *p == '-';
  gint64 value = 0;

  if (minus)
    p++;
  if (p >= end || end - p > 18 || (*p == '0' && end - p > 1))
    return FALSE;
  for (; p < end; p++)
    {
      if (!g_ascii_isdigit (*p))
        return FALSE;
      value = value * 10 + (*p - '0');
    }
  *out = minus ? -value : value;
  return TRUE;
}

static int
s_dump_to_gstring (const char *buffer, size_t size, void *data)
{
  g_string_append_len (data, buffer, (gssize) size);
  return 0;
}

void
ol__wire_append_json (GString *out, json_t *value)
{
  if (value == NULL || json_is_null (value))
    g_string_append_len (out, "null", 4);
  else if (json_is_integer (value))
    ol__wire_append_int (out, json_integer_value (value));
  else
    ol_json_dump_callback (value, JSON_ENCODE_ANY | JSON_COMPACT, s_dump_to_gstring, out);
}

gboolean
ol__wire_append_string (GString *out, const char *text)
{
  static const char hex[] = "0123456789abcdef";
  const char *run = text;

  if (!g_utf8_validate (text, -1, NULL))
    return FALSE;
  g_string_append_c (out, '"');
  for (const char *p = text; *p; p++)
    {
      guchar ch = (guchar) *p;

      if (ch >= 0x20 && ch != '"' && ch != '\\')
        continue;
      g_string_append_len (out, run, p - run);
      run = p + 1;
      switch (ch)
        {
        case '"': g_string_append_len (out, "\\\"", 2); break;
        case '\\': g_string_append_len (out, "\\\\", 2); break;
        case '\n': g_string_append_len (out, "\\n", 2); break;
        case '\t': g_string_append_len (out, "\\t", 2); break;
        case '\r': g_string_append_len (out, "\\r", 2); break;
        default:
          {
            char esc[6] = { '\\', 'u', '0', '0', hex[ch >> 4], hex[ch & 15] };
            g_string_append_len (out, esc, 6);
          }
        }
    }
  g_string_append (out, run);
  g_string_append_c (out, '"');
  return TRUE;
}

static void
s_append_reply_rest (GString *out, json_t *result, const GError *error, gint64 ts)
{
  if (error == NULL)
    {
      g_string_append_len (out, ",\"ok\":true,\"result\":", 20);
      ol__wire_append_json (out, result);
    }
  else
    {
      json_t *e = ol__wire_error_to_json (error);
      g_string_append (out, ",\"ok\":false,\"error\":");
      ol__wire_append_json (out, e);
      json_decref (e);
    }
  if (ts >= 0)
    {
      g_string_append_len (out, ",\"ts\":", 6);
      ol__wire_append_int (out, ts);
    }
  g_string_append_c (out, '}');
}

void
ol__wire_append_reply (GString *out, json_t *id, json_t *result, const GError *error,
                       gint64 ts)
{
  g_string_append_len (out, OL_WIRE_HEAD, sizeof OL_WIRE_HEAD - 1);
  ol__wire_append_json (out, id);
  s_append_reply_rest (out, result, error, ts);
}

void
ol__wire_append_reply_int (GString *out, gint64 id, json_t *result, const GError *error,
                           gint64 ts)
{
  g_string_append_len (out, OL_WIRE_HEAD, sizeof OL_WIRE_HEAD - 1);
  ol__wire_append_int (out, id);
  s_append_reply_rest (out, result, error, ts);
}

char *
ol__wire_encode_reply (json_t *id, json_t *result, const GError *error,
                       gint64 ts, size_t *len)
{
  GString *out = g_string_sized_new (128);

  ol__wire_append_reply (out, id, result, error, ts);
  *len = out->len;
  /* GLib allocates with malloc: free() releases the text. */
  return g_string_free (out, FALSE);
}

GError *
ol__wire_error_from_json (json_t *member)
{
  const char *domain = NULL;
  const char *message = NULL;
  json_int_t code = 0;
  GQuark quark;

  if (json_unpack (member, "{s:s, s:I, s:s}", "domain", &domain, "code", &code,
                   "message", &message) != 0
      || domain[0] == '\0' || code < G_MININT || code > G_MAXINT)
    return g_error_new_literal (OL_ERROR, OL_ERROR_PROTOCOL,
                                "reply carries a malformed \"error\" member");
  /* A domain this process does not know stays a string: interning it would
   * keep every distinct domain a peer sends for the life of the process.
   * OL_ERROR is known in every process that links the library. */
  (void) OL_ERROR;
  quark = g_quark_try_string (domain);
  if (quark == 0)
    {
      g_autofree char *quoted = ol__quote (domain, -1);
      return g_error_new (OL_ERROR, OL_ERROR_FOREIGN_DOMAIN, "%s (domain \"%s\", code %d)",
                          message, quoted, (int) code);
    }
  return g_error_new_literal (quark, (int) code, message);
}

json_t *
ol__wire_base64_json (gconstpointer data, gsize size)
{
  g_autofree char *b64 = g_base64_encode (data, size);

  return json_pack ("{s:s}", "$base64", b64);
}

gboolean
ol__wire_inline_frames (json_t *value, GPtrArray *frames)
{
  if (json_is_object (value))
    {
      json_t *index = json_object_get (value, "$frame");
      const char *key;
      json_t *member;

      if (index != NULL && json_object_size (value) == 1)
        {
          json_int_t i = json_integer_value (index);
          gsize size;
          gconstpointer data;

          if (!json_is_integer (index) || frames == NULL || i < 0
              || i >= (json_int_t) frames->len)
            return FALSE;
          data = g_bytes_get_data (frames->pdata[i], &size);
          json_object_del (value, "$frame");
          json_object_update_new (value, ol__wire_base64_json (data, size));
          return TRUE;
        }
      json_object_foreach (value, key, member)
        if (!ol__wire_inline_frames (member, frames))
          return FALSE;
    }
  else if (json_is_array (value))
    {
      size_t i;
      json_t *member;
      json_array_foreach (value, i, member)
        if (!ol__wire_inline_frames (member, frames))
          return FALSE;
    }
  return TRUE;
}

void
ol__wire_append_request_head (GString *out, guint64 id, const char *op, gboolean ts,
                              gboolean frames)
{
  g_string_append_len (out, OL_WIRE_HEAD, sizeof OL_WIRE_HEAD - 1);
  ol__wire_append_int (out, (gint64) id);
  g_string_append_len (out, ",\"op\":\"", 7);
  g_string_append (out, op);
  g_string_append_c (out, '"');
  if (ts)
    g_string_append_len (out, ",\"ts\":true", 10);
  if (frames)
    g_string_append_len (out, ",\"frames\":true", 14);
}

gboolean
ol__wire_append_member_string (GString *out, const char *member, const char *value)
{
  g_string_append_len (out, ",\"", 2);
  g_string_append (out, member);
  g_string_append_len (out, "\":", 2);
  return ol__wire_append_string (out, value);
}

void
ol__wire_append_member_json (GString *out, const char *member, json_t *value)
{
  g_string_append_len (out, ",\"", 2);
  g_string_append (out, member);
  g_string_append_len (out, "\":", 2);
  ol__wire_append_json (out, value);
}
