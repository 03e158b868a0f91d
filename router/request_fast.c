/* Requests: the fast decoder of plain calls laid out as OlClient writes
 * them, which reads the envelope as text and parses only args and kwargs. */
#include "router/request.h"

#include <string.h>

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

/* Consumes a JSON string without escapes or control characters into buf
 * (NUL-terminated). */
static gboolean
s_take_name (const char **p, const char *end, char *buf, size_t size)
{
  const char *q = *p;
  size_t n;

  if (q >= end || *q++ != '"')
    return FALSE;
  for (n = 0; q < end && *q != '"'; q++, n++)
    if ((guchar) *q < 0x20 || *q == 0x7f || *q == '\\' || n + 1 >= size)
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

/* Whether value holds a value limit deep or deeper, counted as jansson's
 * parser counts (value itself is 1 deep, each member one more). */
static gboolean
s_reaches_depth (json_t *value, int limit)
{
  const char *key;
  json_t *member;
  size_t i;

  if (limit <= 1)
    return TRUE;
  if (json_is_array (value))
    {
      json_array_foreach (value, i, member)
        if (s_reaches_depth (member, limit - 1))
          return TRUE;
    }
  else if (json_is_object (value))
    {
      json_object_foreach (value, key, member)
        if (s_reaches_depth (member, limit - 1))
          return TRUE;
    }
  return FALSE;
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
  if (value == NULL)
    return NULL;
  /* In the whole request the value sits one level deeper, where the general
   * decoder refuses it once it reaches jansson's limit. A value d deep takes
   * at least 2d - 1 bytes. */
  if (jerr.position >= 2 * JSON_PARSER_MAX_DEPTH - 1
      && s_reaches_depth (value, JSON_PARSER_MAX_DEPTH))
    {
      json_decref (value);
      return NULL;
    }
  *p += jerr.position;
  return value;
}

gboolean
ol__request_decode_fast (OlRequest *r, const char *text, size_t len)
{
  static const char head[] = OL_WIRE_HEAD;
  const char *p = text, *end = text + len, *digits;

  /* The general decoder refuses what is too big: give up. A NUL byte never
   * stands in JSON text, and jansson's lexer takes one after a number as
   * the end of the text: leave such a text to the general decoder, which
   * refuses it. */
  if (len > OL_WIRE_MAX_REQUEST_JSON || memchr (text, '\0', len) != NULL)
    return FALSE;
  if (!TAKE (&p, end, head))
    return FALSE;
  for (digits = p; p < end && g_ascii_isdigit (*p); p++)
    ;
  if (!ol__wire_scan_int (digits, p, FALSE, &r->int_id) || !TAKE (&p, end, ",\"op\":\"call\""))
    goto fail;
  r->has_int_id = TRUE;
  r->op = OL_OP_CALL;
  r->ts = TAKE (&p, end, ",\"ts\":true");
  if (TAKE (&p, end, ",\"object\":"))
    {
      if (!s_take_name (&p, end, r->object_buf, sizeof r->object_buf))
        goto fail;
      r->object = r->object_buf;
    }
  if (!TAKE (&p, end, ",\"method\":") || !s_take_name (&p, end, r->method_buf, sizeof r->method_buf))
    goto fail;
  r->method = r->method_buf;
  if (TAKE (&p, end, ",\"args\":") && (r->args = s_take_json (&p, end, '[')) == NULL)
    goto fail;
  if (TAKE (&p, end, ",\"kwargs\":") && (r->kwargs = s_take_json (&p, end, '{')) == NULL)
    goto fail;
  if (p + 1 != end || *p != '}')
    goto fail;
  return TRUE;

fail:
  ol__request_clear (r);
  return FALSE;
}
