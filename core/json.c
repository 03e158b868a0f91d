/* JSON values described for error messages and listed in a stable order. */
#include "core/json.h"

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
      return g_strdup_printf ("%.17g", json_real_value (value));
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
