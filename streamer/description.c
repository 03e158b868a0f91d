/* Stream descriptions: reading them, checking values against them. */
#include "streamer/description.h"

#include <math.h>
#include <string.h>

#include "oneliner/error.h"
#include "core/json.h"
#include "core/names.h"

/* Where an error is: 'stream "NAME": description: field "x": '. */
typedef struct {
  const char *where;
  const char *field;  /* (nullable) */
  int code;
} Where;

static gboolean
s_fail (const Where *w, GError **error, const char *format, ...) G_GNUC_PRINTF (3, 4);

static gboolean
s_fail (const Where *w, GError **error, const char *format, ...)
{
  va_list ap;
  g_autofree char *what = NULL;

  va_start (ap, format);
  what = g_strdup_vprintf (format, ap);
  va_end (ap);
  if (w->field != NULL)
    g_set_error (error, OL_ERROR, w->code, "%s: description: field \"%s\": %s", w->where,
                 w->field, what);
  else
    g_set_error (error, OL_ERROR, w->code, "%s: description: %s", w->where, what);
  return FALSE;
}

static const char *const s_form_names[] = {
  [OL_FORM_ANY] = "any", [OL_FORM_NUMBER] = "number", [OL_FORM_ARRAY] = "array",
  [OL_FORM_OBJECT] = "object", [OL_FORM_IMAGE] = "image", [OL_FORM_STRING] = "string",
  [OL_FORM_BOOLEAN] = "boolean",
};

/* Checks that every member of object is one of known (a NULL-terminated list,
 * also written out in the message as known_text). */
static gboolean
s_known_members (const Where *w, json_t *object, const char *const *known,
                 const char *known_text, GError **error)
{
  const char *key;
  json_t *v;

  json_object_foreach (object, key, v)
    if (!g_strv_contains (known, key))
      {
        g_autofree char *quoted = ol__quote (key, -1);
        return s_fail (w, error, "unknown member \"%s\" (known: %s)", quoted, known_text);
      }
  return TRUE;
}

/* A one-line text of 1 to max bytes of UTF-8 without control characters. */
static gboolean
s_line (const Where *w, json_t *parent, const char *member, gsize max, GError **error)
{
  json_t *v = json_object_get (parent, member);
  const char *s;
  gsize len;

  if (v == NULL)
    return TRUE;
  if (!json_is_string (v))
    return s_fail (w, error, "\"%s\" must be a string, not %s", member,
                   ol__json_type_phrase (json_typeof (v)));
  s = json_string_value (v);
  len = json_string_length (v);
  if (len == 0 || len > max)
    return s_fail (w, error, "\"%s\" must be 1 to %" G_GSIZE_FORMAT " bytes, not %"
                   G_GSIZE_FORMAT, member, max, len);
  if (!g_utf8_validate (s, (gssize) len, NULL))
    return s_fail (w, error, "\"%s\" is not UTF-8", member);
  for (const char *p = s; p < s + len; p = g_utf8_next_char (p))
    if (g_unichar_iscntrl (g_utf8_get_char (p)))
      return s_fail (w, error, "\"%s\" has a control character", member);
  return TRUE;
}

/* A finite number member; *out unchanged when absent. */
static gboolean
s_finite (const Where *w, json_t *parent, const char *member, const char *in, double *out,
          GError **error)
{
  json_t *v = json_object_get (parent, member);

  if (v == NULL)
    return TRUE;
  if (!json_is_number (v) || !isfinite (json_number_value (v)))
    return s_fail (w, error, "%s\"%s\" must be a finite number", in, member);
  *out = json_number_value (v);
  return TRUE;
}

static gboolean
s_precision (const Where *w, json_t *parent, GError **error)
{
  json_t *v = json_object_get (parent, "precision");

  if (v != NULL && (!json_is_integer (v) || json_integer_value (v) < 0
                    || json_integer_value (v) > OL_DESCRIPTION_PRECISION_MAX))
    return s_fail (w, error, "\"precision\" must be an integer from 0 to %d",
                   OL_DESCRIPTION_PRECISION_MAX);
  return TRUE;
}

static gboolean
s_limits (const Where *w, json_t *parent, OlForm form, OlLimits *l, GError **error)
{
  static const char *const known[] = { "warning_low", "warning_high", "alarm_low",
                                       "alarm_high", NULL };
  json_t *v = json_object_get (parent, "limits");

  l->warning_low = l->alarm_low = -INFINITY;
  l->warning_high = l->alarm_high = INFINITY;
  l->set = FALSE;
  if (v == NULL)
    return TRUE;
  if (!json_is_object (v))
    return s_fail (w, error, "\"limits\" must be an object");
  if (form != OL_FORM_NUMBER && form != OL_FORM_ARRAY)
    return s_fail (w, error, "\"limits\" need the form \"number\" or \"array\", not \"%s\"",
                   s_form_names[form]);
  if (!s_known_members (w, v, known, "warning_low, warning_high, alarm_low, alarm_high",
                        error)
      || !s_finite (w, v, "warning_low", "\"limits\": ", &l->warning_low, error)
      || !s_finite (w, v, "warning_high", "\"limits\": ", &l->warning_high, error)
      || !s_finite (w, v, "alarm_low", "\"limits\": ", &l->alarm_low, error)
      || !s_finite (w, v, "alarm_high", "\"limits\": ", &l->alarm_high, error))
    return FALSE;
  l->set = json_object_size (v) > 0;
  /* Low under high, and the warning range within the alarm range, where
   * both are given. */
  {
    static const char *const pairs[][2] = {
      { "warning_low", "warning_high" }, { "alarm_low", "alarm_high" },
      { "alarm_low", "warning_low" }, { "warning_high", "alarm_high" },
    };

    for (guint i = 0; i < G_N_ELEMENTS (pairs); i++)
      {
        json_t *a = json_object_get (v, pairs[i][0]);
        json_t *b = json_object_get (v, pairs[i][1]);

        if (a != NULL && b != NULL && json_number_value (a) > json_number_value (b))
          return s_fail (w, error, "\"limits\": \"%s\" (%g) is above \"%s\" (%g)",
                         pairs[i][0], json_number_value (a), pairs[i][1],
                         json_number_value (b));
      }
  }
  return TRUE;
}

static gboolean
s_form (const Where *w, json_t *parent, gboolean field, OlForm *form, GError **error)
{
  json_t *v = json_object_get (parent, "form");
  const char *known = field ? "number, string, boolean" : "number, array, object, image";

  *form = field ? OL_FORM_NUMBER : OL_FORM_ANY;
  if (v == NULL)
    return TRUE;
  if (json_is_string (v))
    for (guint i = 1; i < G_N_ELEMENTS (s_form_names); i++)
      if (strcmp (json_string_value (v), s_form_names[i]) == 0
          && strstr (known, s_form_names[i]) != NULL)
        {
          *form = (OlForm) i;
          return TRUE;
        }
  if (!json_is_string (v))
    return s_fail (w, error, "\"form\" must be a string (%s)", known);
  {
    g_autofree char *quoted = ol__quote (json_string_value (v), -1);
    return s_fail (w, error, "unknown \"form\" \"%s\" (known: %s)", quoted, known);
  }
}

static gboolean
s_field (const Where *outer, json_t *entry, guint index, OlField *f, GHashTable *names,
         GError **error)
{
  static const char *const known[] = { "name", "form", "text", "unit", "precision", "limits",
                                       NULL };
  json_t *name = json_object_get (entry, "name");
  Where w = *outer;

  if (!json_is_object (entry))
    return s_fail (outer, error, "\"fields\"[%u] must be an object", index);
  if (!json_is_string (name) || json_string_length (name) == 0
      || json_string_length (name) > OL_DESCRIPTION_FIELD_NAME_MAX
      || strlen (json_string_value (name)) != json_string_length (name)
      || !ol__name_is_valid (json_string_value (name)))
    return s_fail (outer, error, "\"fields\"[%u]: \"name\" must be 1 to %d bytes of printable "
                   "ASCII without spaces", index, OL_DESCRIPTION_FIELD_NAME_MAX);
  w.field = json_string_value (name);
  if (g_hash_table_contains (names, w.field))
    return s_fail (outer, error, "\"fields\": \"%s\" appears twice", w.field);
  g_hash_table_add (names, (gpointer) w.field);
  f->name = g_strdup (w.field);
  return s_known_members (&w, entry, known, "name, form, text, unit, precision, limits", error)
         && s_form (&w, entry, TRUE, &f->form, error)
         && s_line (&w, entry, "text", OL_DESCRIPTION_TEXT_MAX, error)
         && s_line (&w, entry, "unit", OL_DESCRIPTION_UNIT_MAX, error)
         && s_precision (&w, entry, error)
         && s_limits (&w, entry, f->form, &f->limits, error);
}

static gboolean
s_read (OlDescription *d, json_t *json, const Where *w, OlEncoding encoding, GError **error)
{
  static const char *const known[] = { "text", "unit", "form", "length", "x", "fields",
                                       "precision", "limits", NULL };
  json_t *v;

  if (!json_is_object (json))
    return s_fail (w, error, "must be an object, not %s", ol__json_type_phrase (json_typeof (json)));
  if (!s_known_members (w, json, known,
                        "text, unit, form, length, x, fields, precision, limits", error)
      || !s_line (w, json, "text", OL_DESCRIPTION_TEXT_MAX, error)
      || !s_line (w, json, "unit", OL_DESCRIPTION_UNIT_MAX, error)
      || !s_form (w, json, FALSE, &d->form, error)
      || !s_precision (w, json, error))
    return FALSE;
  /* The form must suit the encoding. */
  if (d->form != OL_FORM_ANY
      && (encoding == OL_ENCODING_RAW || (encoding == OL_ENCODING_IMAGE) != (d->form == OL_FORM_IMAGE)))
    return s_fail (w, error, "a stream of encoding %s cannot have the form \"%s\"",
                   ol_encoding_name (encoding), s_form_names[d->form]);
  if ((v = json_object_get (json, "length")) != NULL)
    {
      if (d->form != OL_FORM_ARRAY)
        return s_fail (w, error, "\"length\" goes with the form \"array\" only");
      if (!json_is_integer (v) || json_integer_value (v) < 1
          || json_integer_value (v) > OL_DESCRIPTION_LENGTH_MAX)
        return s_fail (w, error, "\"length\" must be an integer from 1 to %d",
                       OL_DESCRIPTION_LENGTH_MAX);
      d->length = (guint64) json_integer_value (v);
    }
  if ((v = json_object_get (json, "x")) != NULL)
    {
      static const char *const x_known[] = { "unit", "start", "step", NULL };
      double start = 0, step = 1;

      if (d->form != OL_FORM_ARRAY)
        return s_fail (w, error, "\"x\" goes with the form \"array\" only");
      if (!json_is_object (v))
        return s_fail (w, error, "\"x\" must be an object {\"unit\"?, \"start\"?, \"step\"?}");
      if (!s_known_members (w, v, x_known, "unit, start, step", error)
          || !s_line (w, v, "unit", OL_DESCRIPTION_UNIT_MAX, error)
          || !s_finite (w, v, "start", "\"x\": ", &start, error)
          || !s_finite (w, v, "step", "\"x\": ", &step, error))
        return FALSE;
      if (!(step > 0))
        return s_fail (w, error, "\"x\": \"step\" must be above 0");
    }
  v = json_object_get (json, "fields");
  if (v != NULL && d->form != OL_FORM_OBJECT)
    return s_fail (w, error, "\"fields\" go with the form \"object\" only");
  if (d->form == OL_FORM_OBJECT)
    {
      g_autoptr (GHashTable) names = g_hash_table_new (g_str_hash, g_str_equal);

      if (!json_is_array (v) || json_array_size (v) == 0
          || json_array_size (v) > OL_DESCRIPTION_FIELDS_MAX)
        return s_fail (w, error, "the form \"object\" needs \"fields\": an array of 1 to %d "
                       "fields", OL_DESCRIPTION_FIELDS_MAX);
      d->fields = g_new0 (OlField, json_array_size (v));
      for (guint i = 0; i < json_array_size (v); i++)
        {
          d->n_fields = i + 1;
          if (!s_field (w, json_array_get (v, i), i, &d->fields[i], names, error))
            return FALSE;
        }
    }
  return s_limits (w, json, d->form, &d->limits, error);
}

OlDescription *
ol__description_new (json_t *json, const char *where, OlEncoding encoding, int code,
                     GError **error)
{
  OlDescription *d = g_new0 (OlDescription, 1);
  Where w = { where, NULL, code };

  if (!s_read (d, json, &w, encoding, error))
    {
      ol__description_free (d);
      return NULL;
    }
  d->json = json_deep_copy (json);
  return d;
}

void
ol__description_free (OlDescription *d)
{
  if (d == NULL)
    return;
  for (guint i = 0; i < d->n_fields; i++)
    g_free (d->fields[i].name);
  g_free (d->fields);
  json_decref (d->json);
  g_free (d);
}

/* ------------------------------------------------------------------------ */
/* Values */

/* 2 alarm, 1 warning, 0 within the limits. */
static inline int
s_level (const OlLimits *l, double v)
{
  if (v < l->alarm_low || v > l->alarm_high)
    return 2;
  return v < l->warning_low || v > l->warning_high ? 1 : 0;
}

static const char *
s_phrase (json_t *value)
{
  return ol__json_type_phrase (json_typeof (value));
}

static gboolean
s_wrong (const char *name, int code, GError **error, const char *format, ...)
  G_GNUC_PRINTF (4, 5);

static gboolean
s_wrong (const char *name, int code, GError **error, const char *format, ...)
{
  va_list ap;
  g_autofree char *what = NULL;

  va_start (ap, format);
  what = g_strdup_vprintf (format, ap);
  va_end (ap);
  g_set_error (error, OL_ERROR, code, "stream \"%s\": expected %s", name, what);
  return FALSE;
}

char *
ol__description_expected (const OlDescription *d)
{
  switch (d->form)
    {
    case OL_FORM_NUMBER:
      return g_strdup ("a number");
    case OL_FORM_ARRAY:
      return d->length ? g_strdup_printf ("an array of %" G_GUINT64_FORMAT " numbers", d->length)
                       : g_strdup ("an array of numbers");
    case OL_FORM_OBJECT:
      return g_strdup_printf ("an object of %u field%s", d->n_fields, d->n_fields == 1 ? "" : "s");
    default:
      return g_strdup_printf ("a value of the form \"%s\"", s_form_names[d->form]);
    }
}

static gboolean
s_check_array (const OlDescription *d, const char *name, json_t *value, int *level, int code,
               GError **error)
{
  gsize n = json_array_size (value);
  g_autofree char *want = ol__description_expected (d);

  if (!json_is_array (value))
    return s_wrong (name, code, error, "%s, got %s", want, s_phrase (value));
  if (d->length != 0 && n != d->length)
    return s_wrong (name, code, error, "%s, got an array of %" G_GSIZE_FORMAT, want, n);
  for (gsize i = 0; i < n; i++)
    {
      json_t *e = json_array_get (value, i);

      if (!json_is_number (e))
        return s_wrong (name, code, error, "%s, got %s at [%" G_GSIZE_FORMAT "]", want,
                        s_phrase (e), i);
      if (d->limits.set && *level < 2)
        *level = MAX (*level, s_level (&d->limits, json_number_value (e)));
    }
  return TRUE;
}

static gboolean
s_check_object (const OlDescription *d, const char *name, json_t *value, int *level, int code,
                GError **error)
{
  if (!json_is_object (value))
    {
      g_autofree char *want = ol__description_expected (d);
      return s_wrong (name, code, error, "%s, got %s", want, s_phrase (value));
    }
  for (guint i = 0; i < d->n_fields; i++)
    {
      const OlField *f = &d->fields[i];
      json_t *v = json_object_get (value, f->name);
      gboolean ok = v != NULL
        && (f->form == OL_FORM_NUMBER ? json_is_number (v)
            : f->form == OL_FORM_STRING ? json_is_string (v) : json_is_boolean (v));

      if (v == NULL)
        return s_wrong (name, code, error, "an object with the field \"%s\", which is missing",
                        f->name);
      if (!ok)
        return s_wrong (name, code, error, "a %s for the field \"%s\", got %s",
                        s_form_names[f->form], f->name, s_phrase (v));
      if (f->form == OL_FORM_NUMBER && f->limits.set)
        *level = MAX (*level, s_level (&f->limits, json_number_value (v)));
    }
  if (json_object_size (value) != d->n_fields)
    {
      const char *key;
      json_t *v;

      json_object_foreach (value, key, v)
        {
          gboolean known = FALSE;

          for (guint i = 0; i < d->n_fields && !known; i++)
            known = strcmp (d->fields[i].name, key) == 0;
          if (!known)
            {
              g_autofree char *quoted = ol__quote (key, -1);
              return s_wrong (name, code, error, "an object of the %u declared fields, got "
                              "the member \"%s\" too", d->n_fields, quoted);
            }
        }
    }
  return TRUE;
}

gboolean
ol__description_check (const OlDescription *d, const char *name, json_t *value,
                       guint8 *status, int code, GError **error)
{
  int level = 0;

  *status = 0;
  switch (d->form)
    {
    case OL_FORM_NUMBER:
      if (!json_is_number (value))
        return s_wrong (name, code, error, "a number, got %s", s_phrase (value));
      if (d->limits.set)
        level = s_level (&d->limits, json_number_value (value));
      break;
    case OL_FORM_ARRAY:
      if (!s_check_array (d, name, value, &level, code, error))
        return FALSE;
      break;
    case OL_FORM_OBJECT:
      if (!s_check_object (d, name, value, &level, code, error))
        return FALSE;
      break;
    default:
      return TRUE;
    }
  *status = level == 2 ? OL_STATUS_ALARM : level == 1 ? OL_STATUS_WARNING : 0;
  return TRUE;
}
