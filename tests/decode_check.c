/* The contract between the two request decoders (tests/decode_check.h). */
#include "tests/decode_check.h"

#include <string.h>

/* The general decoder's string member key as bytes (it may hold NULs). */
static const char *
s_member_bytes (const OlRequest *r, const char *key, size_t *len)
{
  json_t *m = r->doc != NULL ? json_object_get (r->doc, key) : NULL;

  *len = json_is_string (m) ? json_string_length (m) : 0;
  return json_is_string (m) ? json_string_value (m) : NULL;
}

static char *
s_name_diff (const char *what, const char *fast, const char *general,
             const OlRequest *g, const char *key)
{
  size_t glen = 0;

  if (fast == NULL && general == NULL)
    return NULL;
  if (fast == NULL || general == NULL)
    return g_strdup_printf ("%s: fast %s, general %s", what, fast ? "set" : "absent",
                            general ? "set" : "absent");
  if (strcmp (fast, general) != 0)
    return g_strdup_printf ("%s: fast \"%s\", general \"%s\"", what, fast, general);
  /* The general decoder's name may go on after a NUL ("\u0000"). */
  if (s_member_bytes (g, key, &glen) == general && glen != strlen (fast))
    return g_strdup_printf ("%s: general has %zu bytes, fast %zu", what, glen, strlen (fast));
  return NULL;
}

static char *
s_json_diff (const char *what, json_t *fast, json_t *general)
{
  if (fast == NULL && general == NULL)
    return NULL;
  if (fast == NULL || general == NULL || !json_equal (fast, general))
    {
      g_autofree char *a = fast ? json_dumps (fast, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
      g_autofree char *b = general ? json_dumps (general, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
      return g_strdup_printf ("%s: fast %s, general %s", what, a ? a : "absent",
                              b ? b : "absent");
    }
  return NULL;
}

char *
dc_request_diff (const OlRequest *f, const OlRequest *g)
{
  char *diff;

  if (!f->has_int_id || f->id != NULL)
    return g_strdup ("id: the fast decoder did not read an int id");
  if (g->has_int_id)
    return g_strdup ("id: the general decoder read an int id");
  if (!json_is_integer (g->id) || json_integer_value (g->id) != f->int_id)
    {
      g_autofree char *b = g->id ? json_dumps (g->id, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
      return g_strdup_printf ("id: fast %" G_GINT64_FORMAT ", general %s", f->int_id,
                              b ? b : "absent");
    }
  if (f->op != g->op)
    return g_strdup_printf ("op: fast %s, general %s", ol__op_name (f->op),
                            ol__op_name (g->op));
  if (f->ts != g->ts)
    return g_strdup_printf ("ts: fast %d, general %d", f->ts, g->ts);
  if (f->frames != g->frames)
    return g_strdup_printf ("frames: fast %d, general %d", f->frames, g->frames);
  if ((diff = s_name_diff ("object", f->object, g->object, g, "object")) != NULL
      || (diff = s_name_diff ("method", f->method, g->method, g, "method")) != NULL
      || (diff = s_name_diff ("name", f->name, g->name, g, "name")) != NULL
      || (diff = s_json_diff ("args", f->args, g->args)) != NULL
      || (diff = s_json_diff ("kwargs", f->kwargs, g->kwargs)) != NULL)
    return diff;
  if (f->enabled != g->enabled)
    return g_strdup_printf ("enabled: fast %d, general %d", f->enabled, g->enabled);
  if (f->frames_in != NULL || g->frames_in != NULL)
    return g_strdup ("frames_in: set by a decoder");
  return NULL;
}

char *
dc_check_text (const char *text, size_t len, gboolean *fast_took, gboolean *general_took)
{
  OlRequest f = { 0 }, g = { 0 };
  g_autoptr (GError) error = NULL;
  gboolean fast, general;
  char *diff = NULL;

  fast = ol__request_decode_fast (&f, text, len);
  general = ol__request_decode (&g, text, len, 0, FALSE, &error);
  if (fast && !general)
    diff = g_strdup_printf ("the fast decoder took a text the general one refuses (%s)",
                            error->message);
  else if (fast)
    {
      g_autofree char *d = dc_request_diff (&f, &g);
      if (d != NULL)
        diff = g_strdup_printf ("the decoders differ: %s", d);
    }
  else if (f.doc != NULL || f.args != NULL || f.kwargs != NULL || f.object != NULL
           || f.method != NULL || f.has_int_id)
    diff = g_strdup ("the fast decoder gave up without clearing the request");
  if (!general && error == NULL)
    diff = diff ? diff : g_strdup ("the general decoder refused without an error");
  ol__request_clear (&f);
  ol__request_clear (&g);
  if (fast_took != NULL)
    *fast_took = fast;
  if (general_took != NULL)
    *general_took = general;
  return diff;
}

char *
dc_show (const char *text, size_t len, size_t max)
{
  GString *out = g_string_new ("\"");

  for (size_t i = 0; i < len && i < max; i++)
    {
      guchar ch = (guchar) text[i];

      if (ch == '"' || ch == '\\')
        g_string_append_printf (out, "\\%c", ch);
      else if (ch >= 0x20 && ch < 0x7f)
        g_string_append_c (out, (char) ch);
      else
        g_string_append_printf (out, "\\x%02x", ch);
    }
  g_string_append_c (out, '"');
  if (len > max)
    g_string_append_printf (out, "... (%zu bytes)", len);
  return g_string_free (out, FALSE);
}
