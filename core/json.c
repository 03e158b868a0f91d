/* JSON values described for error messages and listed in a stable order. */
#include "core/json.h"

#include <float.h>
#include <math.h>
#include <string.h>

char *
ol__quote (const char *s, gssize len)
{
  GString *out;
  gsize n, i = 0;

  if (s == NULL)
    return g_strdup ("(null)");
  n = len < 0 ? strnlen (s, OL_QUOTE_MAX + 4) : (gsize) len;
  out = g_string_sized_new (MIN (n, OL_QUOTE_MAX) + 8);
  while (i < n)
    {
      guchar c = (guchar) s[i];
      gboolean utf8 = FALSE;
      gsize step = 1;

      /* A valid UTF-8 character stays as it is, an invalid byte is escaped. */
      if (c >= 0x80)
        {
          gsize l = (gsize) g_utf8_skip[c];
          if (l > 1 && i + l <= n && g_utf8_validate_len (s + i, l, NULL))
            utf8 = TRUE, step = l;
          /* U+0080 to U+009F are control characters too. */
          if (utf8 && c == 0xc2 && (guchar) s[i + 1] < 0xa0)
            utf8 = FALSE, step = 1;
        }
      if (i + step > OL_QUOTE_MAX)
        break;
      switch (c)
        {
        case '"': g_string_append (out, "\\\""); break;
        case '\\': g_string_append (out, "\\\\"); break;
        case '\n': g_string_append (out, "\\n"); break;
        case '\r': g_string_append (out, "\\r"); break;
        case '\t': g_string_append (out, "\\t"); break;
        default:
          if (utf8)
            g_string_append_len (out, s + i, (gssize) step);
          else if (c < 0x20 || c >= 0x7f)
            g_string_append_printf (out, "\\%03o", c);
          else
            g_string_append_c (out, (char) c);
        }
      i += step;
    }
  if (i < n)
    g_string_append (out, "...");
  return g_string_free (out, FALSE);
}

char *
ol__json_describe (json_t *value)
{
  if (value == NULL)
    return g_strdup ("nothing");
  switch (json_typeof (value))
    {
    case JSON_OBJECT: return g_strdup ("object");
    case JSON_ARRAY: return g_strdup ("array");
    case JSON_TRUE: return g_strdup ("true");
    case JSON_FALSE: return g_strdup ("false");
    case JSON_NULL: return g_strdup ("null");
    case JSON_INTEGER:
      return g_strdup_printf ("%" JSON_INTEGER_FORMAT, json_integer_value (value));
    case JSON_REAL:
      {
        char buf[G_ASCII_DTOSTR_BUF_SIZE + 4];

        ol__json_format_real (buf, sizeof buf, json_real_value (value));
        return g_strdup (buf);
      }
    case JSON_STRING:
      {
        g_autofree char *esc = ol__quote (json_string_value (value),
                                          (gssize) json_string_length (value));
        return g_strdup_printf ("string \"%s\"", esc);
      }
    }
  return g_strdup ("unknown");
}

static int
s_compare_keys (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

GPtrArray *
ol_json_sorted_keys (json_t *object)
{
  GPtrArray *keys = g_ptr_array_new ();
  const char *key;
  json_t *value;

  json_object_foreach (object, key, value)
    g_ptr_array_add (keys, (gpointer) key);
  g_ptr_array_sort (keys, s_compare_keys);
  return keys;
}

const char *
ol__json_type_phrase (json_type type)
{
  static const char *const phrases[] = {
    [JSON_OBJECT] = "an object", [JSON_ARRAY] = "an array",
    [JSON_STRING] = "a string", [JSON_INTEGER] = "an integer",
    [JSON_REAL] = "a number", [JSON_TRUE] = "a boolean",
    [JSON_FALSE] = "a boolean", [JSON_NULL] = "null",
  };

  return (guint) type < G_N_ELEMENTS (phrases) ? phrases[type] : "unknown";
}

/* ---- Reals in their shortest form ---------------------------------------- */

/* Whether value holds a real anywhere; stops at the first. */
static gboolean
s_has_real (json_t *value)
{
  const char *key;
  json_t *member;

  switch (json_typeof (value))
    {
    case JSON_REAL:
      return TRUE;
    case JSON_ARRAY:
      for (size_t i = 0; i < json_array_size (value); i++)
        if (s_has_real (json_array_get (value, i)))
          return TRUE;
      return FALSE;
    case JSON_OBJECT:
      json_object_foreach (value, key, member)
        if (s_has_real (member))
          return TRUE;
      return FALSE;
    default:
      return FALSE;
    }
}

gsize
ol__json_format_real (char *buf, gsize size, double x)
{
  static const char *const formats[] = { "%.15g", "%.16g", "%.17g" };
  char tmp[G_ASCII_DTOSTR_BUF_SIZE + 4];
  char *e;
  gsize len;

  /* A double whose shortest form has k <= 15 significant digits prints as
   * exactly those at precision 15 (%g drops the trailing zeros); otherwise
   * the first of 16 and 17 that reads back is the shortest. */
  if (x != 0 && fabs (x) < DBL_MIN)
    {
      /* Subnormals have fewer digits: the first precision that reads back. */
      for (int p = 1; p <= 17; p++)
        {
          char format[8];

          g_snprintf (format, sizeof format, "%%.%dg", p);
          g_ascii_formatd (tmp, G_ASCII_DTOSTR_BUF_SIZE, format, x);
          if (g_ascii_strtod (tmp, NULL) == x)
            break;
        }
    }
  else
    for (gsize i = 0; i < G_N_ELEMENTS (formats); i++)
      {
        g_ascii_formatd (tmp, G_ASCII_DTOSTR_BUF_SIZE, formats[i], x);
        if (g_ascii_strtod (tmp, NULL) == x)
          break;
      }
  len = strlen (tmp);
  /* As jansson writes a real: a '.' or an exponent, so that it reads back as
   * a real, and the exponent without '+' or leading zeros. */
  if (strchr (tmp, '.') == NULL && strchr (tmp, 'e') == NULL)
    {
      memcpy (tmp + len, ".0", 3);
      len += 2;
    }
  e = strchr (tmp, 'e');
  if (e != NULL)
    {
      char *start = e + 1, *end = e + 2;

      if (*start == '-')
        start++;
      while (*end == '0')
        end++;
      if (end != start)
        {
          memmove (start, end, len + 1 - (gsize) (end - tmp));
          len -= (gsize) (end - start);
        }
    }
  g_strlcpy (buf, tmp, size);
  return MIN (len, size > 0 ? size - 1 : 0);
}

typedef struct {
  json_dump_callback_t callback;
  void *data;
  size_t flags;
} Dump;

static int
s_put (Dump *d, const char *text, gsize len)
{
  return d->callback (text, len, d->data);
}

/* Where jansson puts a newline and indentation, or a space. */
static int
s_indent (Dump *d, int depth, gboolean space)
{
  static const char spaces[] = "                                ";
  int n = (int) (d->flags & 0x1F) * depth;

  if ((d->flags & 0x1F) > 0)
    {
      if (s_put (d, "\n", 1) != 0)
        return -1;
      while (n > 0)
        {
          int chunk = MIN (n, (int) sizeof spaces - 1);
          if (s_put (d, spaces, (gsize) chunk) != 0)
            return -1;
          n -= chunk;
        }
      return 0;
    }
  return space && !(d->flags & JSON_COMPACT) ? s_put (d, " ", 1) : 0;
}

/* A leaf other than a real, and object keys: as jansson writes them. */
static int
s_leaf (Dump *d, json_t *value)
{
  return json_dump_callback (value, d->callback, d->data,
                             (d->flags & (JSON_ENSURE_ASCII | JSON_ESCAPE_SLASH))
                             | JSON_ENCODE_ANY);
}

static int
s_dump (Dump *d, json_t *value, int depth)
{
  switch (json_typeof (value))
    {
    case JSON_REAL:
      {
        char buf[G_ASCII_DTOSTR_BUF_SIZE + 4];
        gsize len = ol__json_format_real (buf, sizeof buf, json_real_value (value));
        return s_put (d, buf, len);
      }
    case JSON_ARRAY:
      {
        size_t n = json_array_size (value);

        if (n == 0)
          return s_put (d, "[]", 2);
        if (s_put (d, "[", 1) != 0 || s_indent (d, depth + 1, FALSE) != 0)
          return -1;
        for (size_t i = 0; i < n; i++)
          {
            if (s_dump (d, json_array_get (value, i), depth + 1) != 0)
              return -1;
            if (i + 1 < n ? s_put (d, ",", 1) != 0 || s_indent (d, depth + 1, TRUE) != 0
                          : s_indent (d, depth, FALSE) != 0)
              return -1;
          }
        return s_put (d, "]", 1);
      }
    case JSON_OBJECT:
      {
        g_autoptr (GPtrArray) keys = NULL;
        const char *sep = (d->flags & JSON_COMPACT) ? ":" : ": ";

        if (json_object_size (value) == 0)
          return s_put (d, "{}", 2);
        if (d->flags & JSON_SORT_KEYS)
          keys = ol_json_sorted_keys (value);
        else
          {
            const char *key;
            json_t *member;

            keys = g_ptr_array_new ();
            json_object_foreach (value, key, member)
              g_ptr_array_add (keys, (gpointer) key);
          }
        if (s_put (d, "{", 1) != 0 || s_indent (d, depth + 1, FALSE) != 0)
          return -1;
        for (guint i = 0; i < keys->len; i++)
          {
            json_t *key = json_string_nocheck (keys->pdata[i]);
            int rc = key != NULL ? s_leaf (d, key) : -1;

            json_decref (key);
            if (rc != 0 || s_put (d, sep, strlen (sep)) != 0
                || s_dump (d, json_object_get (value, keys->pdata[i]), depth + 1) != 0)
              return -1;
            if (i + 1 < keys->len ? s_put (d, ",", 1) != 0 || s_indent (d, depth + 1, TRUE) != 0
                                  : s_indent (d, depth, FALSE) != 0)
              return -1;
          }
        return s_put (d, "}", 1);
      }
    default:
      return s_leaf (d, value);
    }
}

int
ol_json_dump_callback (json_t *value, size_t flags, json_dump_callback_t callback, void *data)
{
  Dump d = { callback, data, flags };

  if (value == NULL)
    return -1;
  /* A value without reals is jansson's own dump, at no extra cost but the
   * look for a real. */
  if (!s_has_real (value))
    return json_dump_callback (value, callback, data, flags);
  if (!(flags & JSON_ENCODE_ANY) && !json_is_array (value) && !json_is_object (value))
    return -1;
  return s_dump (&d, value, 0);
}

static int
s_to_gstring (const char *buffer, size_t size, void *data)
{
  g_string_append_len (data, buffer, (gssize) size);
  return 0;
}

char *
ol_json_dumps (json_t *value, size_t flags)
{
  GString *out;

  if (value == NULL || !s_has_real (value))
    return value != NULL ? json_dumps (value, flags) : NULL;
  out = g_string_new (NULL);
  if (ol_json_dump_callback (value, flags, s_to_gstring, out) != 0)
    {
      g_string_free (out, TRUE);
      return NULL;
    }
  return g_string_free (out, FALSE);
}
