/* JSON values described for error messages and listed in a stable order. */
#include "core/json.h"

#include <string.h>

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
        const char *s = json_string_value (value);
        size_t len = json_string_length (value);
        g_autofree char *cut = g_strndup (s, MIN (len, 40));
        g_autofree char *esc = g_strescape (cut, NULL);
        return g_strdup_printf ("string \"%s\"%s", esc, len > 40 ? "..." : "");
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
