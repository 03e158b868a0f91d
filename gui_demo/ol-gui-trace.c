/* oneliner-gui: OlGuiTrace, the live trace of a waveform stream. */
#include "ol-gui-trace.h"

#include <math.h>

#include "ol-gui-axis.h"

struct _OlGuiTrace {
  GtkWidget parent_instance;

  char *name;                     /* (owned) */
  OlGuiDescription *description;  /* (owned) (nullable) */
  GBytes *pending;                /* (owned) (nullable) the newest payload, not decoded */
  double *values;                 /* (owned) the trace shown */
  guint n_values;
  guint capacity;
  char *problem;                  /* (owned) (nullable) why no trace is shown */
  OlGuiLevel level;               /* of the newest message */
  guint64 received;
  guint64 painted;
  guint painted_samples;
  gboolean x_unit_painted;
};

G_DEFINE_FINAL_TYPE (OlGuiTrace, ol_gui_trace, GTK_TYPE_WIDGET)

static void
s_set_problem (OlGuiTrace *self, char *problem /* (transfer full) */)
{
  g_free (self->problem);
  self->problem = problem;
}

/* Decodes the newest payload into values. */
static void
s_decode (OlGuiTrace *self)
{
  g_autoptr (GBytes) payload = g_steal_pointer (&self->pending);
  json_error_t jerror;
  json_t *array;
  gsize size, n;
  const char *data = g_bytes_get_data (payload, &size);

  array = json_loadb (data, size, JSON_DECODE_ANY, &jerror);
  if (!json_is_array (array))
    {
      self->n_values = 0;
      s_set_problem (self, g_strdup_printf ("not a JSON array (%s)",
                                            array ? "another value" : "malformed"));
      json_decref (array);
      return;
    }
  n = json_array_size (array);
  if (n > OL_GUI_TRACE_MAX_SAMPLES)
    {
      self->n_values = 0;
      s_set_problem (self, g_strdup_printf ("%" G_GSIZE_FORMAT " samples, more than the %d shown",
                                            n, OL_GUI_TRACE_MAX_SAMPLES));
      json_decref (array);
      return;
    }
  if (n > self->capacity)
    {
      g_free (self->values);
      self->values = g_new (double, n);
      self->capacity = (guint) n;
    }
  for (gsize i = 0; i < n; i++)
    {
      json_t *v = json_array_get (array, i);
      /* A sample that is not a number is a gap. */
      self->values[i] = json_is_number (v) ? json_number_value (v) : NAN;
    }
  self->n_values = (guint) n;
  s_set_problem (self, n == 0 ? g_strdup ("an empty array") : NULL);
  json_decref (array);
}

/* The samples, binned by pixel column (lowest and highest of each), so that
 * drawing costs at most two segments per pixel whatever the size. */
static void
s_draw_trace (OlGuiTrace *self, cairo_t *cr, double x0, double y0, double w, double h,
              double lo, double hi)
{
  guint n = self->n_values;
  gboolean started = FALSE;
  int column = G_MININT;
  double low = 0, high = 0;

  cairo_save (cr);
  cairo_rectangle (cr, x0, y0, w, h);
  cairo_clip (cr);
  ol_gui_axis_rgba (cr, "#1c71d8", 1);
  cairo_set_line_width (cr, 1.2);
  cairo_set_line_join (cr, CAIRO_LINE_JOIN_ROUND);
  for (guint i = 0; i <= n; i++)
    {
      double v = i < n ? self->values[i] : NAN;
      int c = i < n ? (int) floor (x0 + (n > 1 ? w * i / (n - 1.0) : w / 2)) : G_MAXINT;

      if ((c != column || !isfinite (v)) && column != G_MININT)
        {
          double ylo = y0 + h * (1.0 - (low - lo) / (hi - lo));
          double yhi = y0 + h * (1.0 - (high - lo) / (hi - lo));

          if (!started)
            cairo_move_to (cr, column + 0.5, ylo);
          else
            cairo_line_to (cr, column + 0.5, ylo);
          if (yhi != ylo)
            cairo_line_to (cr, column + 0.5, yhi);
          started = TRUE;
          column = G_MININT;
        }
      if (i == n)
        break;
      if (!isfinite (v))
        {
          started = FALSE;
          continue;
        }
      if (column == G_MININT)
        {
          column = c;
          low = high = v;
        }
      low = MIN (low, v);
      high = MAX (high, v);
    }
  cairo_stroke (cr);
  cairo_restore (cr);
}

static void
ol_gui_trace_snapshot (GtkWidget *widget, GtkSnapshot *snapshot)
{
  OlGuiTrace *self = OL_GUI_TRACE (widget);
  OlGuiDescription *d = self->description;
  double width = gtk_widget_get_width (widget);
  double height = gtk_widget_get_height (widget);
  double left = 76, right = 10, top = 8, bottom = 22;
  double pw = width - left - right, ph = height - top - bottom;
  double lo = INFINITY, hi = -INFINITY, x_start = d ? d->x_start : 0, x_step = d ? d->x_step : 1;
  const char *color = ol_gui_axis_level_color (self->level);
  g_autofree char *legend = NULL;
  cairo_t *cr;

  if (self->pending != NULL)
    {
      s_decode (self);
      if (self->n_values > 0)
        self->painted++;
    }
  if (pw < 20 || ph < 20)
    return;
  cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (0, 0, width, height));
  ol_gui_axis_rgba (cr, "#ffffff", 1);
  cairo_rectangle (cr, left, top, pw, ph);
  cairo_fill (cr);
  if (color != NULL)
    {
      ol_gui_axis_rgba (cr, color, 0.12);
      cairo_rectangle (cr, left, top, pw, ph);
      cairo_fill (cr);
    }

  for (guint i = 0; i < self->n_values; i++)
    if (isfinite (self->values[i]))
      {
        lo = MIN (lo, self->values[i]);
        hi = MAX (hi, self->values[i]);
      }
  if (!isfinite (lo))
    {
      lo = -1;
      hi = 1;
    }
  else if (hi - lo < 1e-9 * MAX (1.0, fabs (hi)))
    {
      double pad = MAX (fabs (hi) * 0.01, 1e-3);
      lo -= pad;
      hi += pad;
    }
  else
    {
      double pad = (hi - lo) * 0.08;
      lo -= pad;
      hi += pad;
    }
  if (d != NULL)
    ol_gui_axis_bands (cr, &d->limits, left, top, pw, ph, lo, hi);

  /* Grid, frame and axes. */
  ol_gui_axis_rgba (cr, "#deddda", 1);
  cairo_set_line_width (cr, 1);
  for (int i = 1; i < 4; i++)
    {
      double x = floor (left + pw * i / 4) + 0.5;
      cairo_move_to (cr, x, top);
      cairo_line_to (cr, x, top + ph);
    }
  cairo_stroke (cr);
  ol_gui_axis_rgba (cr, color ? color : "#9a9996", 1);
  cairo_set_line_width (cr, color ? 2 : 1);
  cairo_rectangle (cr, left + 0.5, top + 0.5, pw - 1, ph - 1);
  cairo_stroke (cr);
  ol_gui_axis_value_labels (GTK_WIDGET (self), cr, left - 6, top, ph, lo, hi);
  if (d != NULL && d->unit != NULL)
    ol_gui_axis_unit (widget, cr, 2, top + ph / 2, ph - 4, d->unit);
  if (self->n_values > 0)
    {
      double x_end = x_start + (self->n_values - 1.0) * x_step;
      const char *x_unit = d ? d->x_unit : NULL;

      ol_gui_axis_rgba (cr, "#5e5c64", 1);
      for (int i = 0; i <= 2; i++)
        {
          char number[32];
          g_autofree char *text = NULL;
          double x = x_start + (x_end - x_start) * i / 2;

          ol_gui_axis_number (number, sizeof number, x, MAX (x_end - x_start, 1e-12));
          text = g_strdup_printf ("%s%s%s", number, x_unit && i == 2 ? " " : "",
                                  x_unit && i == 2 ? x_unit : "");
          ol_gui_axis_text (widget, cr, left + pw * i / 2, top + ph + bottom / 2 + 1, i / 2.0,
                            text);
        }
      self->x_unit_painted = x_unit != NULL;
      s_draw_trace (self, cr, left, top + 2, pw, ph - 4, lo, hi);
      legend = g_strdup_printf ("%s  %u samples%s%s", self->name, self->n_values,
                                self->problem ? " · " : "", self->problem ? self->problem : "");
    }
  else
    legend = g_strdup_printf ("%s  %s", self->name,
                              self->problem ? self->problem : "(no trace yet)");
  self->painted_samples = self->n_values;
  ol_gui_axis_rgba (cr, "#ffffff", 0.8);
  {
    g_autoptr (PangoLayout) layout = gtk_widget_create_pango_layout (widget, legend);
    int w, h;

    pango_layout_get_pixel_size (layout, &w, &h);
    cairo_rectangle (cr, left + 5, top + 12 - h / 2.0 - 1, w + 6, h + 2);
    cairo_fill (cr);
  }
  ol_gui_axis_rgba (cr, "#241f31", 1);
  ol_gui_axis_text (widget, cr, left + 8, top + 12, 0, legend);
  cairo_destroy (cr);
}

static void
ol_gui_trace_measure (GtkWidget *widget, GtkOrientation orientation, int for_size,
                      int *minimum, int *natural, int *minimum_baseline, int *natural_baseline)
{
  (void) widget;
  (void) for_size;
  *minimum = orientation == GTK_ORIENTATION_HORIZONTAL ? 200 : 100;
  *natural = orientation == GTK_ORIENTATION_HORIZONTAL ? 600 : 160;
  *minimum_baseline = *natural_baseline = -1;
}

static void
ol_gui_trace_finalize (GObject *object)
{
  OlGuiTrace *self = OL_GUI_TRACE (object);

  g_clear_pointer (&self->name, g_free);
  g_clear_pointer (&self->description, ol_gui_description_unref);
  g_clear_pointer (&self->pending, g_bytes_unref);
  g_clear_pointer (&self->values, g_free);
  g_clear_pointer (&self->problem, g_free);
  G_OBJECT_CLASS (ol_gui_trace_parent_class)->finalize (object);
}

static void
ol_gui_trace_class_init (OlGuiTraceClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->finalize = ol_gui_trace_finalize;
  widget_class->snapshot = ol_gui_trace_snapshot;
  widget_class->measure = ol_gui_trace_measure;
  gtk_widget_class_set_css_name (widget_class, "oltrace");
}

static void
ol_gui_trace_init (OlGuiTrace *self)
{
  gtk_widget_set_hexpand (GTK_WIDGET (self), TRUE);
  gtk_widget_set_vexpand (GTK_WIDGET (self), TRUE);
}

GtkWidget *
ol_gui_trace_new (const char *name, OlGuiDescription *description)
{
  OlGuiTrace *self;

  g_return_val_if_fail (name != NULL, NULL);
  self = g_object_new (OL_GUI_TYPE_TRACE, NULL);
  self->name = g_strdup (name);
  self->description = description ? ol_gui_description_ref (description) : NULL;
  return GTK_WIDGET (self);
}

void
ol_gui_trace_push (OlGuiTrace *self, const OlStreamMessage *message)
{
  OlGuiLevel level;

  g_return_if_fail (OL_GUI_IS_TRACE (self));
  g_return_if_fail (message != NULL);
  self->received++;
  level = ol_gui_level_from_status (message->status);
  if (message->encoding != OL_ENCODING_JSON)
    {
      s_set_problem (self, g_strdup ("not a JSON message"));
      return;
    }
  g_clear_pointer (&self->pending, g_bytes_unref);
  self->pending = g_bytes_ref (message->payload);
  self->level = level;
  /* Coalesced by GTK: one paint per frame however many traces came. */
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
ol_gui_trace_set_error (OlGuiTrace *self, const char *text)
{
  g_autofree char *cut = NULL;

  g_return_if_fail (OL_GUI_IS_TRACE (self));
  /* The server's text: shown in a bounded length. */
  if (g_utf8_strlen (text, -1) > 160)
    cut = g_utf8_substring (text, 0, 160);
  s_set_problem (self, g_strdup_printf ("error: %s%s", cut ? cut : text, cut ? "…" : ""));
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

guint64
ol_gui_trace_get_received (OlGuiTrace *self)
{
  g_return_val_if_fail (OL_GUI_IS_TRACE (self), 0);
  return self->received;
}

guint64
ol_gui_trace_get_painted (OlGuiTrace *self)
{
  g_return_val_if_fail (OL_GUI_IS_TRACE (self), 0);
  return self->painted;
}

guint
ol_gui_trace_get_painted_samples (OlGuiTrace *self)
{
  g_return_val_if_fail (OL_GUI_IS_TRACE (self), 0);
  return self->painted_samples;
}

const char *
ol_gui_trace_get_painted_x_unit (OlGuiTrace *self)
{
  g_return_val_if_fail (OL_GUI_IS_TRACE (self), NULL);
  return self->x_unit_painted && self->description ? self->description->x_unit : NULL;
}

OlGuiLevel
ol_gui_trace_get_level (OlGuiTrace *self)
{
  g_return_val_if_fail (OL_GUI_IS_TRACE (self), OL_GUI_LEVEL_NORMAL);
  return self->level;
}
