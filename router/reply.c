/* Reading the JSON frame of a reply on the client. */
#include "router/reply.h"

#include <string.h>

#include "oneliner/version.h"
#include "router/wire.h"

gboolean
ol__reply_decode_fast (const char *text, size_t len, guint64 *id, json_t **result,
                       gint64 *ts)
{
  static const char head[] = OL_WIRE_HEAD;
  static const char ok[] = ",\"ok\":true,\"result\":";
  static const char ts_key[] = ",\"ts\":";
  const char *end = text + len;
  const char *p, *comma, *value_end;
  gint64 n;

  if (len < sizeof head - 1 + sizeof ok - 1 + 2 || memcmp (text, head, sizeof head - 1) != 0
      || end[-1] != '}')
    return FALSE;
  p = text + sizeof head - 1;
  if ((comma = memchr (p, ',', (size_t) (end - p))) == NULL
      || !ol__wire_scan_int (p, comma, FALSE, &n)
      || (size_t) (end - comma) < sizeof ok - 1
      || memcmp (comma, ok, sizeof ok - 1) != 0)
    return FALSE;
  *id = (guint64) n;
  p = comma + sizeof ok - 1;
  value_end = end - 1;
  *ts = 0;
  /* A result that ends in a digit is a number: a ,"ts": before its last
   * digits can only be the reply's own member. */
  if (value_end > p && g_ascii_isdigit (value_end[-1]))
    {
      const char *digits = value_end;

      while (digits > p && g_ascii_isdigit (digits[-1]))
        digits--;
      if ((size_t) (digits - p) > sizeof ts_key - 1
          && memcmp (digits - (sizeof ts_key - 1), ts_key, sizeof ts_key - 1) == 0)
        {
          if (!ol__wire_scan_int (digits, value_end, FALSE, ts))
            return FALSE;
          value_end = digits - (sizeof ts_key - 1);
        }
    }
  if (ol__wire_scan_int (p, value_end, TRUE, &n))
    *result = json_integer (n);
  else
    *result = json_loadb (p, (size_t) (value_end - p), JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
  return *result != NULL;
}

gboolean
ol__reply_decode (const char *text, size_t len, guint64 *id, json_t **result, gint64 *ts,
                  GError **error)
{
  json_t *json = json_loadb (text, len, JSON_ALLOW_NUL, NULL);
  json_t *jid = json_object_get (json, "id");
  json_t *ok = json_object_get (json, "ok");

  if (!json_is_object (json) || !json_is_integer (jid) || !json_is_boolean (ok)
      || json_integer_value (json_object_get (json, "v")) != OL_PROTOCOL_VERSION)
    {
      json_decref (json);
      return FALSE;
    }
  *id = (guint64) json_integer_value (jid);
  if (json_is_false (ok))
    {
      *error = ol__wire_error_from_json (json_object_get (json, "error"));
      json_decref (json);
      return TRUE;
    }
  *result = json_object_get (json, "result");
  *result = json_incref (*result ? *result : json_null ());
  jid = json_object_get (json, "ts");
  *ts = json_is_integer (jid) ? json_integer_value (jid) : 0;
  json_decref (json);
  return TRUE;
}
