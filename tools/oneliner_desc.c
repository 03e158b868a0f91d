/* oneliner: stream descriptions as the command reads them. */
#include <math.h>
#include <string.h>

#include "oneliner_cli.h"
#include "oneliner_desc.h"

static const char *const s_limit_names[N_LIMITS] = { "warning_low", "warning_high",
                                                     "alarm_low", "alarm_high" };

static void
s_desc_value_clear (DescValue *v)
{
  g_clear_pointer (&v->key, g_free);
  g_clear_pointer (&v->name, g_free);
  g_clear_pointer (&v->unit, g_free);
}

static void
s_desc_field_free (gpointer data)
{
  s_desc_value_clear (data);
  g_free (data);
}

void
cli_desc_free (Desc *d)
{
  if (d == NULL)
    return;
  s_desc_value_clear (&d->value);
  g_clear_pointer (&d->fields, g_ptr_array_unref);
  g_free (d);
}


/* A string member of 1 to max bytes: *out gets it (NULL if absent) and
 * *safe, if safe is not NULL, the same made safe for a terminal (a NUL in it
 * too). FALSE if it is there but not such a string. */
static gboolean
s_desc_string (json_t *object, const char *member, gsize max, const char **out, char **safe)
{
  json_t *v = json_object_get (object, member);

  *out = NULL;
  if (v == NULL)
    return TRUE;
  if (!json_is_string (v) || json_string_length (v) < 1 || json_string_length (v) > max)
    return FALSE;
  *out = json_string_value (v);
  if (safe != NULL)
    *safe = cli_safe (*out, (gssize) json_string_length (v), FALSE);
  return TRUE;
}

static Form
s_form_from_name (const char *name, gboolean field)
{
  static const struct { const char *name; Form form; gboolean field; } forms[] = {
    { "number", FORM_NUMBER, TRUE }, { "array", FORM_ARRAY, FALSE },
    { "object", FORM_OBJECT, FALSE }, { "image", FORM_IMAGE, FALSE },
    { "string", FORM_STRING, TRUE }, { "boolean", FORM_BOOLEAN, TRUE },
  };

  for (gsize i = 0; name != NULL && i < G_N_ELEMENTS (forms); i++)
    if (strcmp (name, forms[i].name) == 0 && (field ? forms[i].field : forms[i].form <= FORM_IMAGE))
      return forms[i].form;
  return FORM_NONE;
}

/* Reads the members a stream and a field share: "unit", "precision",
 * "limits", and "form" (a field's, "number" if not given). On failure *why
 * names the member, with no value from the input in it. */
static gboolean
s_desc_value_parse (json_t *object, gboolean field, DescValue *out, const char **why)
{
  const char *unit, *form;
  json_t *precision = json_object_get (object, "precision");
  json_t *limits = json_object_get (object, "limits");

  if (!s_desc_string (object, "unit", DESC_UNIT_MAX, &unit, &out->unit))
    return *why = "\"unit\" is not a string of 1 to 32 bytes", FALSE;
  if (!s_desc_string (object, "form", 32, &form, NULL))
    return *why = "\"form\" is not a short string", FALSE;
  if (precision != NULL
      && (!json_is_integer (precision) || json_integer_value (precision) < 0
          || json_integer_value (precision) > DESC_PRECISION_MAX))
    return *why = "\"precision\" is not an integer from 0 to 15", FALSE;
  if (limits != NULL && !json_is_object (limits))
    return *why = "\"limits\" is not an object", FALSE;
  for (int i = 0; i < N_LIMITS && limits != NULL; i++)
    {
      json_t *l = json_object_get (limits, s_limit_names[i]);

      if (l == NULL)
        continue;
      if (!json_is_number (l) || !isfinite (json_number_value (l)))
        return *why = "a member of \"limits\" is not a number", FALSE;
      out->has_limit[i] = TRUE;
      out->limit[i] = json_number_value (l);
    }
  out->precision = precision != NULL ? (int) json_integer_value (precision) : -1;
  out->form = form == NULL && field ? FORM_NUMBER : s_form_from_name (form, field);
  return TRUE;
}

/* The description of a stream's entry of op "streams"; NULL if it has none
 * or a malformed one (then *why, if why is not NULL, says what is wrong, or
 * is NULL when there is no description). (transfer full) */
Desc *
cli_desc_parse (json_t *entry, const char **why)
{
  json_t *d = json_object_get (entry, "description");
  json_t *fields;
  g_autoptr (Desc) desc = g_new0 (Desc, 1);
  const char *dummy;

  if (why == NULL)
    why = &dummy;
  *why = NULL;
  if (d == NULL || json_is_null (d))
    return NULL;
  if (!json_is_object (d))
    return *why = "it is not an object", NULL;
  if (!s_desc_value_parse (d, FALSE, &desc->value, why))
    return NULL;
  if (desc->value.form != FORM_OBJECT)
    return g_steal_pointer (&desc);
  fields = json_object_get (d, "fields");
  if (!json_is_array (fields) || json_array_size (fields) < 1
      || json_array_size (fields) > DESC_FIELDS_MAX)
    return *why = "\"fields\" is not an array of 1 to 64 fields", NULL;
  desc->fields = g_ptr_array_new_with_free_func (s_desc_field_free);
  for (gsize i = 0; i < json_array_size (fields); i++)
    {
      json_t *f = json_array_get (fields, i);
      DescValue *v = g_new0 (DescValue, 1);
      const char *name = NULL;

      g_ptr_array_add (desc->fields, v);
      if (!json_is_object (f) || !s_desc_string (f, "name", DESC_NAME_MAX, &name, &v->name)
          || name == NULL)
        return *why = "a field has no \"name\" of 1 to 64 bytes", NULL;
      if (!s_desc_value_parse (f, TRUE, v, why))
        return NULL;
      v->key = g_strdup (name);
    }
  return g_steal_pointer (&desc);
}

static gboolean
s_desc_value_limited (const DescValue *v)
{
  for (int i = 0; i < N_LIMITS; i++)
    if (v->has_limit[i])
      return TRUE;
  return FALSE;
}

/* Whether the server compares the stream's values with limits. */
gboolean
cli_desc_limited (const Desc *d)
{
  if (d == NULL)
    return FALSE;
  if (s_desc_value_limited (&d->value))
    return TRUE;
  for (guint i = 0; d->fields != NULL && i < d->fields->len; i++)
    if (s_desc_value_limited (d->fields->pdata[i]))
      return TRUE;
  return FALSE;
}

/* The unit shown for a stream: its own, else its fields' (each once, in
 * order, at most 3), else "-". (transfer full) */
char *
cli_desc_unit (const Desc *d)
{
  GString *units = g_string_new (NULL);
  guint shown = 0;

  if (d != NULL && d->value.unit != NULL)
    g_string_append (units, d->value.unit);
  for (guint i = 0; d != NULL && d->value.unit == NULL && d->fields != NULL
                    && i < d->fields->len; i++)
    {
      const DescValue *f = d->fields->pdata[i];
      gboolean seen = FALSE;

      for (guint j = 0; f->unit != NULL && j < i; j++)
        seen |= g_strcmp0 (((DescValue *) d->fields->pdata[j])->unit, f->unit) == 0;
      if (f->unit == NULL || seen)
        continue;
      if (shown++ == 3)
        {
          g_string_append (units, ",...");
          break;
        }
      g_string_append_printf (units, "%s%s", units->len ? "," : "", f->unit);
    }
  if (units->len == 0)
    g_string_append (units, "-");
  return g_string_free (units, FALSE);
}

/* 0 within the limits, 1 outside the warning limits, 2 outside the alarm
 * limits (docs/PROTOCOL.md, "Limits"). */
int
cli_desc_level (const DescValue *d, double x)
{
  if ((d->has_limit[LIMIT_ALARM_LOW] && x < d->limit[LIMIT_ALARM_LOW])
      || (d->has_limit[LIMIT_ALARM_HIGH] && x > d->limit[LIMIT_ALARM_HIGH]))
    return 2;
  if ((d->has_limit[LIMIT_WARNING_LOW] && x < d->limit[LIMIT_WARNING_LOW])
      || (d->has_limit[LIMIT_WARNING_HIGH] && x > d->limit[LIMIT_WARNING_HIGH]))
    return 1;
  return 0;
}
