/* oneliner-gui: OlGuiDescription, what a stream's values mean. */
#include "ol-gui-description.h"

#include <math.h>
#include <oneliner/oneliner.h>
#include <string.h>

/* A string member of 1 to max_bytes bytes of UTF-8 without control
 * characters (and without NUL inside); NULL otherwise. (transfer full) */
static char *
s_text (json_t *value, gsize max_bytes)
{
  const char *s = json_string_value (value);
  gsize n;

  if (s == NULL)
    return NULL;
  n = json_string_length (value);
  if (n == 0 || n > max_bytes || strlen (s) != n || !g_utf8_validate (s, (gssize) n, NULL))
    return NULL;
  for (const char *p = s; *p != '\0'; p = g_utf8_next_char (p))
    if (g_unichar_iscntrl (g_utf8_get_char (p)))
      return NULL;
  return g_strndup (s, n);
}

/* A field name: 1 to 64 bytes of printable ASCII without spaces. */
static char *
s_name (json_t *value)
{
  const char *s = json_string_value (value);
  gsize n;

  if (s == NULL)
    return NULL;
  n = json_string_length (value);
  if (n == 0 || n > OL_GUI_DESCRIPTION_MAX_NAME || strlen (s) != n)
    return NULL;
  for (gsize i = 0; i < n; i++)
    if (s[i] <= 0x20 || s[i] >= 0x7f)
      return NULL;
  return g_strndup (s, n);
}

static gboolean
s_finite (json_t *value, double *out)
{
  double v;

  if (!json_is_number (value))
    return FALSE;
  v = json_number_value (value);
  if (!isfinite (v))
    return FALSE;
  *out = v;
  return TRUE;
}

static int
s_precision (json_t *value)
{
  json_int_t p;

  if (!json_is_integer (value))
    return -1;
  p = json_integer_value (value);
  return p >= 0 && p <= OL_GUI_DESCRIPTION_MAX_PRECISION ? (int) p : -1;
}

static void
s_limits (json_t *value, OlGuiLimits *limits)
{
  static const struct {
    const char *name;
    OlGuiLimitFlags flag;
    gsize offset;
  } members[] = {
    { "warning_low", OL_GUI_LIMIT_WARNING_LOW, G_STRUCT_OFFSET (OlGuiLimits, warning_low) },
    { "warning_high", OL_GUI_LIMIT_WARNING_HIGH, G_STRUCT_OFFSET (OlGuiLimits, warning_high) },
    { "alarm_low", OL_GUI_LIMIT_ALARM_LOW, G_STRUCT_OFFSET (OlGuiLimits, alarm_low) },
    { "alarm_high", OL_GUI_LIMIT_ALARM_HIGH, G_STRUCT_OFFSET (OlGuiLimits, alarm_high) },
  };

  memset (limits, 0, sizeof *limits);
  if (!json_is_object (value))
    return;
  for (gsize i = 0; i < G_N_ELEMENTS (members); i++)
    if (s_finite (json_object_get (value, members[i].name),
                  G_STRUCT_MEMBER_P (limits, members[i].offset)))
      limits->flags |= members[i].flag;
}

static OlGuiForm
s_form (json_t *value, gboolean field)
{
  const char *s = json_string_value (value);

  if (s == NULL)
    return field ? OL_GUI_FORM_NUMBER : OL_GUI_FORM_NONE;
  if (g_str_equal (s, "number"))
    return OL_GUI_FORM_NUMBER;
  if (field)
    return g_str_equal (s, "string") ? OL_GUI_FORM_STRING
         : g_str_equal (s, "boolean") ? OL_GUI_FORM_BOOLEAN : OL_GUI_FORM_NONE;
  return g_str_equal (s, "array") ? OL_GUI_FORM_ARRAY
       : g_str_equal (s, "object") ? OL_GUI_FORM_OBJECT
       : g_str_equal (s, "image") ? OL_GUI_FORM_IMAGE : OL_GUI_FORM_NONE;
}

static void
s_clear (OlGuiDescription *d)
{
  g_free (d->text);
  g_free (d->unit);
  g_free (d->x_unit);
  for (guint i = 0; i < d->n_fields; i++)
    {
      g_free (d->fields[i].name);
      g_free (d->fields[i].text);
      g_free (d->fields[i].unit);
    }
  g_free (d->fields);
}

static void
s_fields (OlGuiDescription *d, json_t *fields)
{
  gsize n;

  if (!json_is_array (fields))
    return;
  /* Never more than the protocol allows, whatever the array holds. */
  n = MIN (json_array_size (fields), (gsize) OL_GUI_DESCRIPTION_MAX_FIELDS);
  d->fields = g_new0 (OlGuiField, MAX (n, 1));
  for (gsize i = 0; i < n; i++)
    {
      json_t *f = json_array_get (fields, i);
      OlGuiField *out = &d->fields[d->n_fields];
      char *name = json_is_object (f) ? s_name (json_object_get (f, "name")) : NULL;
      gboolean duplicate = FALSE;

      if (name == NULL)
        continue;
      for (guint k = 0; k < d->n_fields; k++)
        duplicate = duplicate || g_str_equal (d->fields[k].name, name);
      out->form = s_form (json_object_get (f, "form"), TRUE);
      if (duplicate || out->form == OL_GUI_FORM_NONE)
        {
          g_free (name);
          out->form = OL_GUI_FORM_NONE;
          continue;
        }
      out->name = name;
      out->text = s_text (json_object_get (f, "text"), OL_GUI_DESCRIPTION_MAX_TEXT);
      out->unit = s_text (json_object_get (f, "unit"), OL_GUI_DESCRIPTION_MAX_UNIT);
      out->precision = s_precision (json_object_get (f, "precision"));
      if (out->form == OL_GUI_FORM_NUMBER)
        s_limits (json_object_get (f, "limits"), &out->limits);
      d->n_fields++;
    }
}

OlGuiDescription *
ol_gui_description_parse (json_t *json)
{
  OlGuiDescription *d;
  json_t *length, *x;

  if (!json_is_object (json))
    return NULL;
  d = g_rc_box_new0 (OlGuiDescription);
  d->text = s_text (json_object_get (json, "text"), OL_GUI_DESCRIPTION_MAX_TEXT);
  d->unit = s_text (json_object_get (json, "unit"), OL_GUI_DESCRIPTION_MAX_UNIT);
  d->form = s_form (json_object_get (json, "form"), FALSE);
  d->precision = s_precision (json_object_get (json, "precision"));
  d->x_step = 1;
  if (d->form == OL_GUI_FORM_NUMBER || d->form == OL_GUI_FORM_ARRAY)
    s_limits (json_object_get (json, "limits"), &d->limits);
  if (d->form == OL_GUI_FORM_ARRAY)
    {
      double v;

      length = json_object_get (json, "length");
      if (json_is_integer (length) && json_integer_value (length) >= 1
          && json_integer_value (length) <= OL_GUI_DESCRIPTION_MAX_LENGTH)
        d->length = (guint) json_integer_value (length);
      x = json_object_get (json, "x");
      if (json_is_object (x))
        {
          d->has_x = TRUE;
          d->x_unit = s_text (json_object_get (x, "unit"), OL_GUI_DESCRIPTION_MAX_UNIT);
          if (s_finite (json_object_get (x, "start"), &v))
            d->x_start = v;
          if (s_finite (json_object_get (x, "step"), &v) && v > 0)
            d->x_step = v;
        }
    }
  if (d->form == OL_GUI_FORM_OBJECT)
    s_fields (d, json_object_get (json, "fields"));
  return d;
}

OlGuiDescription *
ol_gui_description_ref (OlGuiDescription *description)
{
  g_return_val_if_fail (description != NULL, NULL);
  return g_rc_box_acquire (description);
}

void
ol_gui_description_unref (OlGuiDescription *description)
{
  if (description != NULL)
    g_rc_box_release_full (description, (GDestroyNotify) s_clear);
}

guint
ol_gui_description_count_number_fields (const OlGuiDescription *description)
{
  guint n = 0;

  g_return_val_if_fail (description != NULL, 0);
  for (guint i = 0; i < description->n_fields; i++)
    n += description->fields[i].form == OL_GUI_FORM_NUMBER;
  return n;
}

gboolean
ol_gui_description_same_units (const OlGuiDescription *description)
{
  const char *first = NULL;
  gboolean seen = FALSE;

  g_return_val_if_fail (description != NULL, FALSE);
  for (guint i = 0; i < description->n_fields; i++)
    {
      const OlGuiField *f = &description->fields[i];

      if (f->form != OL_GUI_FORM_NUMBER)
        continue;
      if (seen && g_strcmp0 (first, f->unit) != 0)
        return FALSE;
      first = f->unit;
      seen = TRUE;
    }
  return TRUE;
}

OlGuiLevel
ol_gui_limits_level (const OlGuiLimits *limits, double v)
{
  guint f = limits->flags;

  if (((f & OL_GUI_LIMIT_ALARM_LOW) && v < limits->alarm_low)
      || ((f & OL_GUI_LIMIT_ALARM_HIGH) && v > limits->alarm_high))
    return OL_GUI_LEVEL_ALARM;
  if (((f & OL_GUI_LIMIT_WARNING_LOW) && v < limits->warning_low)
      || ((f & OL_GUI_LIMIT_WARNING_HIGH) && v > limits->warning_high))
    return OL_GUI_LEVEL_WARNING;
  return OL_GUI_LEVEL_NORMAL;
}

OlGuiLevel
ol_gui_level_from_status (guint32 status)
{
  return (status & OL_STATUS_ALARM) ? OL_GUI_LEVEL_ALARM
       : (status & OL_STATUS_WARNING) ? OL_GUI_LEVEL_WARNING : OL_GUI_LEVEL_NORMAL;
}

static void
s_range (GString *out, const char *what, gboolean has_lo, double lo, gboolean has_hi,
         double hi)
{
  if (!has_lo && !has_hi)
    return;
  if (out->len > 0)
    g_string_append (out, " · ");
  if (has_lo && has_hi)
    g_string_append_printf (out, "%s %g…%g", what, lo, hi);
  else if (has_lo)
    g_string_append_printf (out, "%s ≥ %g", what, lo);
  else
    g_string_append_printf (out, "%s ≤ %g", what, hi);
}

char *
ol_gui_limits_format (const OlGuiLimits *limits)
{
  GString *out = g_string_new (NULL);
  guint f = limits->flags;

  s_range (out, "warning", f & OL_GUI_LIMIT_WARNING_LOW, limits->warning_low,
           f & OL_GUI_LIMIT_WARNING_HIGH, limits->warning_high);
  s_range (out, "alarm", f & OL_GUI_LIMIT_ALARM_LOW, limits->alarm_low,
           f & OL_GUI_LIMIT_ALARM_HIGH, limits->alarm_high);
  return g_string_free (out, FALSE);
}

const char *
ol_gui_form_name (OlGuiForm form)
{
  switch (form)
    {
    case OL_GUI_FORM_NUMBER:
      return "number";
    case OL_GUI_FORM_ARRAY:
      return "array";
    case OL_GUI_FORM_OBJECT:
      return "object";
    case OL_GUI_FORM_IMAGE:
      return "image";
    case OL_GUI_FORM_STRING:
      return "string";
    case OL_GUI_FORM_BOOLEAN:
      return "boolean";
    case OL_GUI_FORM_NONE:
    default:
      return "";
    }
}

char *
ol_gui_description_format (const OlGuiDescription *d)
{
  GString *out = g_string_new (NULL);
  g_autoptr (GString) line = g_string_new (NULL);
  g_autofree char *limits = NULL;

  g_return_val_if_fail (d != NULL, NULL);
  if (d->text != NULL)
    g_string_append (out, d->text);
  if (d->form != OL_GUI_FORM_NONE)
    g_string_append (line, ol_gui_form_name (d->form));
  if (d->length > 0)
    g_string_append_printf (line, " of %u", d->length);
  if (d->unit != NULL)
    g_string_append_printf (line, "%sin %s", line->len > 0 ? " " : "", d->unit);
  if (d->has_x)
    g_string_append_printf (line, "%sx = %g + i × %g%s%s", line->len > 0 ? " · " : "",
                            d->x_start, d->x_step, d->x_unit ? " " : "",
                            d->x_unit ? d->x_unit : "");
  limits = ol_gui_limits_format (&d->limits);
  if (*limits != '\0')
    g_string_append_printf (line, "%s%s", line->len > 0 ? " · " : "", limits);
  if (line->len > 0)
    g_string_append_printf (out, "%s%s", out->len > 0 ? "\n" : "", line->str);
  for (guint i = 0; i < d->n_fields; i++)
    {
      const OlGuiField *f = &d->fields[i];
      g_autofree char *fl = ol_gui_limits_format (&f->limits);

      g_string_append_printf (out, "%s%s: %s", out->len > 0 ? "\n" : "", f->name,
                              ol_gui_form_name (f->form));
      if (f->unit != NULL)
        g_string_append_printf (out, " in %s", f->unit);
      if (*fl != '\0')
        g_string_append_printf (out, " · %s", fl);
      if (f->text != NULL)
        g_string_append_printf (out, " · %s", f->text);
    }
  return g_string_free (out, FALSE);
}
