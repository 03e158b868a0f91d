/* oneliner-gui: OlGuiPlot, a scrolling plot of numeric streams. */
#include "ol-gui-plot.h"

#include "ol-gui-axis.h"

#include <math.h>
#include <string.h>
#include <pango/pangocairo.h>

#define WINDOW_NS ((gint64) OL_GUI_PLOT_SECONDS * G_GINT64_CONSTANT (1000000000))
#define OFFSET_EPOCH_US (5 * G_USEC_PER_SEC)
#define FRAME_INTERVAL_US 33000 /* redraw at most about 30 times a second */
#define GAP_NS G_GINT64_CONSTANT (300000000)

typedef struct {
  gint64 t;  /* server wall clock, ns */
  double v;
} Point;

typedef struct {
  char *name;        /* (owned) */
  Point *points;     /* (owned) ring of OL_GUI_PLOT_MAX_POINTS */
  guint head;        /* index of the oldest point */
  guint len;
  GdkRGBA color;
  char *group;       /* (owned) sorts the series: its stream */
  guint order;       /* within the group */
  char *lane;        /* (owned) series with the same lane share one */
  char *unit;        /* (owned) (nullable) */
  OlGuiLimits limits;
  int precision;     /* -1: not given */
  OlGuiLevel level;  /* of the latest value */
  char *drawn_unit;  /* (owned) (nullable) on its lane's axis at the last paint */
} Series;

struct _OlGuiPlot {
  GtkWidget parent_instance;

  GPtrArray *series;     /* (owned) Series * */
  gboolean lanes;
  guint next_color;
  /* Server clock to local clock: the smallest (local - server) difference
   * seen, over the current and the previous epoch of 5 s (so that a server
   * clock that jumped is followed within 10 s). */
  gint64 offset_now;
  gint64 offset_prev;
  gint64 offset_epoch_us;
  guint tick_id;
  gint64 last_draw_us;
  guint64 paints;
};

G_DEFINE_FINAL_TYPE (OlGuiPlot, ol_gui_plot, GTK_TYPE_WIDGET)

static const char *const s_palette[] = {
  "#1c71d8", "#e01b24", "#2ec27e", "#c64600", "#9141ac", "#865e3c", "#0f8b8d", "#f5c211",
};

static void
s_series_free (Series *s)
{
  g_free (s->name);
  g_free (s->points);
  g_free (s->group);
  g_free (s->lane);
  g_free (s->unit);
  g_free (s->drawn_unit);
  g_free (s);
}

/* Series in the order of their groups (streams), then of the fields of a
 * stream: lanes do not move around. */
static int
s_compare_series (gconstpointer a, gconstpointer b)
{
  const Series *sa = *(Series *const *) a, *sb = *(Series *const *) b;
  int c = g_strcmp0 (sa->group, sb->group);

  if (c != 0)
    return c;
  if (sa->order != sb->order)
    return sa->order < sb->order ? -1 : 1;
  return g_strcmp0 (sa->name, sb->name);
}

static Point *
s_point (Series *s, guint i)
{
  return &s->points[(s->head + i) % OL_GUI_PLOT_MAX_POINTS];
}

static Series *
s_find (OlGuiPlot *self, const char *name)
{
  for (guint i = 0; i < self->series->len; i++)
    {
      Series *s = self->series->pdata[i];
      if (g_strcmp0 (s->name, name) == 0)
        return s;
    }
  return NULL;
}

/* Local wall clock minus server wall clock, in ns. */
static gint64
s_offset (OlGuiPlot *self)
{
  gint64 offset = MIN (self->offset_now, self->offset_prev);
  return offset == G_MAXINT64 ? 0 : offset;
}

static void
s_reset_offset (OlGuiPlot *self)
{
  self->offset_now = self->offset_prev = G_MAXINT64;
  self->offset_epoch_us = g_get_monotonic_time ();
}

static gboolean
s_tick (GtkWidget *widget, GdkFrameClock *clock, gpointer data)
{
  OlGuiPlot *self = OL_GUI_PLOT (widget);
  gint64 now = gdk_frame_clock_get_frame_time (clock);

  (void) data;
  if (now - self->last_draw_us >= FRAME_INTERVAL_US)
    {
      self->last_draw_us = now;
      gtk_widget_queue_draw (widget);
    }
  return G_SOURCE_CONTINUE;
}

static void
s_update_tick (OlGuiPlot *self)
{
  if (self->series->len > 0 && self->tick_id == 0)
    self->tick_id = gtk_widget_add_tick_callback (GTK_WIDGET (self), s_tick, NULL, NULL);
  else if (self->series->len == 0 && self->tick_id != 0)
    {
      gtk_widget_remove_tick_callback (GTK_WIDGET (self), self->tick_id);
      self->tick_id = 0;
    }
  gtk_widget_queue_resize (GTK_WIDGET (self));
}

/* ------------------------------------------------------------------------ */
/* Drawing */

/* The lanes the series are drawn in. */
static guint
s_count_lanes (OlGuiPlot *self)
{
  guint n = 0;

  if (!self->lanes)
    return 1;
  for (guint i = 0; i < self->series->len; i++)
    n += i == 0 || g_strcmp0 (((Series *) self->series->pdata[i])->lane,
                              ((Series *) self->series->pdata[i - 1])->lane) != 0;
  return n;
}

/* The value range of the visible points of the series first to last - 1. */
static void
s_range (OlGuiPlot *self, guint first, guint last, gint64 t_min, double *lo, double *hi)
{
  *lo = INFINITY;
  *hi = -INFINITY;
  for (guint i = first; i < last; i++)
    {
      Series *s = self->series->pdata[i];
      for (guint k = 0; k < s->len; k++)
        {
          Point *p = s_point (s, k);
          if (p->t < t_min)
            continue;
          *lo = MIN (*lo, p->v);
          *hi = MAX (*hi, p->v);
        }
    }
  if (!isfinite (*lo) || !isfinite (*hi))
    {
      *lo = -1;
      *hi = 1;
    }
  else if (*hi - *lo < 1e-9 * MAX (1.0, fabs (*hi)))
    {
      double pad = MAX (fabs (*hi) * 0.01, 1e-3);
      *lo -= pad;
      *hi += pad;
    }
  else
    {
      double pad = (*hi - *lo) * 0.08;
      *lo -= pad;
      *hi += pad;
    }
}

/* Draws the visible points of s into the box, binned by pixel column (the
 * first, lowest, highest and last value of each column), so that drawing
 * costs at most four segments per pixel whatever the rate. */
static void
s_draw_series (cairo_t *cr, Series *s, gint64 t_right, double x0, double y0, double w,
               double h, double lo, double hi)
{
  gboolean started = FALSE;
  int column = G_MININT;
  double first = 0, low = 0, high = 0, last = 0;
  gint64 prev_t = 0, prev_gap = 0;
  gboolean gap = FALSE;

  cairo_save (cr);
  cairo_rectangle (cr, x0, y0, w, h);
  cairo_clip (cr);
  gdk_cairo_set_source_rgba (cr, &s->color);
  cairo_set_line_width (cr, 1.5);
  cairo_set_line_join (cr, CAIRO_LINE_JOIN_ROUND);
  for (guint k = 0; k <= s->len; k++)
    {
      Point *p = k < s->len ? s_point (s, k) : NULL;
      int c = p ? (int) floor (x0 + w * (1.0 - (double) (t_right - p->t) / WINDOW_NS)) : G_MAXINT;

      if (p != NULL && p->t < t_right - WINDOW_NS - WINDOW_NS / 20)
        continue;
      /* No line across a silence (a server that was gone, a paused
       * stream): one that lasts 4 periods and at least GAP_NS. */
      if (p != NULL && prev_t != 0)
        {
          gint64 dt = p->t - prev_t;
          gap = dt > MAX (GAP_NS, 4 * prev_gap);
          prev_gap = dt;
        }
      if (p != NULL)
        prev_t = p->t;
      if ((c != column || gap) && column != G_MININT)
        {
          double ys[4] = { first, low, high, last };
          for (int j = 0; j < 4; j++)
            {
              double y = y0 + h * (1.0 - (ys[j] - lo) / (hi - lo));
              if (!started)
                cairo_move_to (cr, column + 0.5, y);
              else
                cairo_line_to (cr, column + 0.5, y);
              started = TRUE;
            }
          column = G_MININT;
        }
      if (gap)
        {
          started = FALSE;
          gap = FALSE;
        }
      if (p == NULL)
        break;
      if (column == G_MININT)
        {
          column = c;
          first = low = high = p->v;
        }
      low = MIN (low, p->v);
      high = MAX (high, p->v);
      last = p->v;
    }
  cairo_stroke (cr);
  cairo_restore (cr);
}

static void
s_legend (OlGuiPlot *self, cairo_t *cr, Series *s, double x, double y)
{
  g_autofree char *text = NULL;

  g_autoptr (PangoLayout) layout = NULL;
  int w, h;

  if (s->len > 0 && s->precision >= 0)
    text = g_strdup_printf ("%s  %.*f%s%s", s->name, s->precision, s_point (s, s->len - 1)->v,
                            s->unit ? " " : "", s->unit ? s->unit : "");
  else if (s->len > 0)
    text = g_strdup_printf ("%s  %.6g%s%s", s->name, s_point (s, s->len - 1)->v,
                            s->unit ? " " : "", s->unit ? s->unit : "");
  else
    text = g_strdup_printf ("%s  (no data)", s->name);
  /* Readable over the lines. */
  layout = gtk_widget_create_pango_layout (GTK_WIDGET (self), text);
  pango_layout_get_pixel_size (layout, &w, &h);
  ol_gui_axis_rgba (cr, "#ffffff", 0.8);
  cairo_rectangle (cr, x - 3, y - h / 2.0 - 1, w + 21, h + 2);
  cairo_fill (cr);
  gdk_cairo_set_source_rgba (cr, &s->color);
  cairo_rectangle (cr, x, y - 4, 10, 8);
  cairo_fill (cr);
  ol_gui_axis_rgba (cr, "#241f31", 1);
  ol_gui_axis_text (GTK_WIDGET (self), cr, x + 15, y, 0, text);
}

/* The unit of a lane: the one of all its series, or their distinct units
 * joined. (transfer full) (nullable) */
static char *
s_lane_unit (OlGuiPlot *self, guint first, guint last)
{
  g_autoptr (GString) units = g_string_new (NULL);

  for (guint i = first; i < last; i++)
    {
      Series *s = self->series->pdata[i];
      gboolean seen = FALSE;

      if (s->unit == NULL)
        continue;
      for (guint k = first; k < i && !seen; k++)
        seen = g_strcmp0 (((Series *) self->series->pdata[k])->unit, s->unit) == 0;
      if (!seen)
        g_string_append_printf (units, "%s%s", units->len > 0 ? ", " : "", s->unit);
    }
  return units->len > 0 ? g_strdup (units->str) : NULL;
}

/* One lane: the series first to last - 1 on one value axis. */
static void
s_draw_lane (OlGuiPlot *self, cairo_t *cr, guint first, guint last, gint64 t_right,
             double left, double y0, double pw, double lane, gboolean separator)
{
  g_autofree char *unit = s_lane_unit (self, first, last);
  OlGuiLevel level = OL_GUI_LEVEL_NORMAL;
  double lo, hi;

  for (guint i = first; i < last; i++)
    level = MAX (level, ((Series *) self->series->pdata[i])->level);
  s_range (self, first, last, t_right - WINDOW_NS, &lo, &hi);
  if (level != OL_GUI_LEVEL_NORMAL)
    {
      ol_gui_axis_rgba (cr, ol_gui_axis_level_color (level), 0.12);
      cairo_rectangle (cr, left, y0, pw, lane);
      cairo_fill (cr);
    }
  /* The bands of each distinct set of limits of the lane. */
  for (guint i = first; i < last; i++)
    {
      Series *s = self->series->pdata[i];
      gboolean seen = FALSE;

      for (guint k = first; k < i && !seen; k++)
        seen = memcmp (&((Series *) self->series->pdata[k])->limits, &s->limits,
                       sizeof s->limits) == 0;
      if (!seen)
        ol_gui_axis_bands (cr, &s->limits, left, y0 + 2, pw, lane - 4, lo, hi);
    }
  if (separator)
    {
      ol_gui_axis_rgba (cr, "#9a9996", 1);
      cairo_set_line_width (cr, 1);
      cairo_move_to (cr, left, floor (y0) + 0.5);
      cairo_line_to (cr, left + pw, floor (y0) + 0.5);
      cairo_stroke (cr);
    }
  if (level != OL_GUI_LEVEL_NORMAL)
    {
      ol_gui_axis_rgba (cr, ol_gui_axis_level_color (level), 1);
      cairo_set_line_width (cr, 2);
      cairo_rectangle (cr, left + 1, y0 + 1, pw - 2, lane - 2);
      cairo_stroke (cr);
    }
  ol_gui_axis_value_labels (GTK_WIDGET (self), cr, left - 6, y0, lane, lo, hi);
  if (unit != NULL)
    ol_gui_axis_unit (GTK_WIDGET (self), cr, 2, y0 + lane / 2, lane - 4, unit);
  for (guint i = first; i < last; i++)
    {
      Series *s = self->series->pdata[i];

      g_free (s->drawn_unit);
      s->drawn_unit = g_strdup (unit);
      s_draw_series (cr, s, t_right, left, y0 + 2, pw, lane - 4, lo, hi);
    }
  for (guint i = first; i < last; i++)
    s_legend (self, cr, self->series->pdata[i], left + 8, y0 + 12 + 18 * (i - first));
}

static void
ol_gui_plot_snapshot (GtkWidget *widget, GtkSnapshot *snapshot)
{
  OlGuiPlot *self = OL_GUI_PLOT (widget);
  double width = gtk_widget_get_width (widget);
  double height = gtk_widget_get_height (widget);
  double left = 76, right = 10, top = 8, bottom = 22;
  double pw = width - left - right, ph = height - top - bottom;
  gint64 t_right = g_get_real_time () * 1000 - s_offset (self);
  cairo_t *cr;

  if (pw < 20 || ph < 20)
    return;
  cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (0, 0, width, height));

  /* Frame, grid and time axis. */
  ol_gui_axis_rgba (cr, "#ffffff", 1);
  cairo_rectangle (cr, left, top, pw, ph);
  cairo_fill (cr);
  ol_gui_axis_rgba (cr, "#deddda", 1);
  cairo_set_line_width (cr, 1);
  for (int i = 1; i < OL_GUI_PLOT_SECONDS; i++)
    {
      double x = floor (left + pw * i / OL_GUI_PLOT_SECONDS) + 0.5;
      cairo_move_to (cr, x, top);
      cairo_line_to (cr, x, top + ph);
    }
  cairo_stroke (cr);
  ol_gui_axis_rgba (cr, "#9a9996", 1);
  cairo_rectangle (cr, left + 0.5, top + 0.5, pw - 1, ph - 1);
  cairo_stroke (cr);
  ol_gui_axis_rgba (cr, "#5e5c64", 1);
  for (int i = 0; i <= OL_GUI_PLOT_SECONDS; i += OL_GUI_PLOT_SECONDS / 2)
    {
      char text[16];
      g_snprintf (text, sizeof text, i == OL_GUI_PLOT_SECONDS ? "now" : "−%d s",
                  OL_GUI_PLOT_SECONDS - i);
      ol_gui_axis_text (GTK_WIDGET (self), cr, left + pw * i / OL_GUI_PLOT_SECONDS,
                        top + ph + bottom / 2 + 1,
                        i == 0 ? 0 : i == OL_GUI_PLOT_SECONDS ? 1 : 0.5, text);
    }

  if (self->series->len == 0)
    {
      ol_gui_axis_rgba (cr, "#77767b", 1);
      ol_gui_axis_text (GTK_WIDGET (self), cr, left + pw / 2, top + ph / 2, 0.5,
              "Numeric streams you view are plotted here");
    }
  else if (!self->lanes)
    s_draw_lane (self, cr, 0, self->series->len, t_right, left, top, pw, ph, FALSE);
  else
    {
      guint lane_index = 0;
      double lane = ph / s_count_lanes (self);

      for (guint first = 0, last; first < self->series->len; first = last, lane_index++)
        {
          Series *s = self->series->pdata[first];

          for (last = first + 1; last < self->series->len
                                 && g_strcmp0 (((Series *) self->series->pdata[last])->lane,
                                               s->lane) == 0;
               last++)
            ;
          s_draw_lane (self, cr, first, last, t_right, left, top + lane * lane_index, pw, lane,
                       lane_index > 0);
        }
    }
  self->paints++;
  cairo_destroy (cr);
}

static void
ol_gui_plot_measure (GtkWidget *widget, GtkOrientation orientation, int for_size,
                     int *minimum, int *natural, int *minimum_baseline,
                     int *natural_baseline)
{
  OlGuiPlot *self = OL_GUI_PLOT (widget);

  (void) for_size;
  *minimum = orientation == GTK_ORIENTATION_HORIZONTAL ? 200 : 120;
  /* Room for every lane to show its scale and legend. */
  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    *natural = 600;
  else
    *natural = (int) MAX (240, 30 + 60 * s_count_lanes (self));
  *minimum_baseline = *natural_baseline = -1;
}

static void
ol_gui_plot_dispose (GObject *object)
{
  OlGuiPlot *self = OL_GUI_PLOT (object);

  if (self->tick_id != 0)
    gtk_widget_remove_tick_callback (GTK_WIDGET (self), self->tick_id);
  self->tick_id = 0;
  G_OBJECT_CLASS (ol_gui_plot_parent_class)->dispose (object);
}

static void
ol_gui_plot_finalize (GObject *object)
{
  OlGuiPlot *self = OL_GUI_PLOT (object);

  g_clear_pointer (&self->series, g_ptr_array_unref);
  G_OBJECT_CLASS (ol_gui_plot_parent_class)->finalize (object);
}

static void
ol_gui_plot_class_init (OlGuiPlotClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = ol_gui_plot_dispose;
  object_class->finalize = ol_gui_plot_finalize;
  widget_class->snapshot = ol_gui_plot_snapshot;
  widget_class->measure = ol_gui_plot_measure;
  gtk_widget_class_set_css_name (widget_class, "olplot");
}

static void
ol_gui_plot_init (OlGuiPlot *self)
{
  self->series = g_ptr_array_new_with_free_func ((GDestroyNotify) s_series_free);
  self->lanes = TRUE;
  s_reset_offset (self);
  gtk_widget_set_hexpand (GTK_WIDGET (self), TRUE);
  gtk_widget_set_vexpand (GTK_WIDGET (self), TRUE);
}

GtkWidget *
ol_gui_plot_new (void)
{
  return g_object_new (OL_GUI_TYPE_PLOT, NULL);
}

void
ol_gui_plot_add_series (OlGuiPlot *self, const char *name)
{
  Series *s;

  g_return_if_fail (OL_GUI_IS_PLOT (self));
  g_return_if_fail (name != NULL);
  if (s_find (self, name) != NULL)
    return;
  s = g_new0 (Series, 1);
  s->name = g_strdup (name);
  s->group = g_strdup (name);
  s->lane = g_strdup (name);
  s->precision = -1;
  s->points = g_new (Point, OL_GUI_PLOT_MAX_POINTS);
  gdk_rgba_parse (&s->color, s_palette[self->next_color++ % G_N_ELEMENTS (s_palette)]);
  g_ptr_array_add (self->series, s);
  g_ptr_array_sort (self->series, s_compare_series);
  s_update_tick (self);
}

void
ol_gui_plot_remove_series (OlGuiPlot *self, const char *name)
{
  Series *s;

  g_return_if_fail (OL_GUI_IS_PLOT (self));
  if ((s = s_find (self, name)) == NULL)
    return;
  g_ptr_array_remove (self->series, s);
  if (self->series->len == 0)
    s_reset_offset (self);
  s_update_tick (self);
}

gboolean
ol_gui_plot_has_series (OlGuiPlot *self, const char *name)
{
  g_return_val_if_fail (OL_GUI_IS_PLOT (self), FALSE);
  return s_find (self, name) != NULL;
}

guint
ol_gui_plot_get_n_series (OlGuiPlot *self)
{
  g_return_val_if_fail (OL_GUI_IS_PLOT (self), 0);
  return self->series->len;
}

void
ol_gui_plot_append (OlGuiPlot *self, const char *name, gint64 timestamp_ns, double value)
{
  Series *s;
  gint64 now_us = g_get_monotonic_time ();
  gint64 offset;

  g_return_if_fail (OL_GUI_IS_PLOT (self));
  if ((s = s_find (self, name)) == NULL || !isfinite (value))
    return;
  /* A timestamp that went back by more than a second: the server restarted
   * (or its clock was set); start the series afresh. */
  if (s->len > 0 && timestamp_ns < s_point (s, s->len - 1)->t - G_GINT64_CONSTANT (1000000000))
    s->len = 0;
  while (s->len > 0 && (s_point (s, 0)->t < timestamp_ns - WINDOW_NS - WINDOW_NS / 10
                        || s->len == OL_GUI_PLOT_MAX_POINTS))
    {
      s->head = (s->head + 1) % OL_GUI_PLOT_MAX_POINTS;
      s->len--;
    }
  *s_point (s, s->len) = (Point) { timestamp_ns, value };
  s->len++;

  if (now_us - self->offset_epoch_us > OFFSET_EPOCH_US)
    {
      self->offset_prev = self->offset_now;
      self->offset_now = G_MAXINT64;
      self->offset_epoch_us = now_us;
    }
  offset = g_get_real_time () * 1000 - timestamp_ns;
  self->offset_now = MIN (self->offset_now, offset);
}

void
ol_gui_plot_set_lanes (OlGuiPlot *self, gboolean lanes)
{
  g_return_if_fail (OL_GUI_IS_PLOT (self));
  self->lanes = lanes;
  gtk_widget_queue_resize (GTK_WIDGET (self));
}

gboolean
ol_gui_plot_get_lanes (OlGuiPlot *self)
{
  g_return_val_if_fail (OL_GUI_IS_PLOT (self), FALSE);
  return self->lanes;
}

void
ol_gui_plot_set_series_info (OlGuiPlot *self, const char *name, const char *group,
                             guint order, const char *lane, const char *unit,
                             const OlGuiLimits *limits, int precision)
{
  Series *s;

  g_return_if_fail (OL_GUI_IS_PLOT (self));
  if ((s = s_find (self, name)) == NULL)
    return;
  g_free (s->group);
  s->group = g_strdup (group ? group : name);
  s->order = order;
  g_free (s->lane);
  s->lane = g_strdup (lane ? lane : name);
  g_free (s->unit);
  s->unit = g_strdup (unit);
  if (limits != NULL)
    s->limits = *limits;
  else
    memset (&s->limits, 0, sizeof s->limits);
  s->precision = precision;
  g_ptr_array_sort (self->series, s_compare_series);
  gtk_widget_queue_resize (GTK_WIDGET (self));
}

void
ol_gui_plot_set_series_level (OlGuiPlot *self, const char *name, OlGuiLevel level)
{
  Series *s;

  g_return_if_fail (OL_GUI_IS_PLOT (self));
  if ((s = s_find (self, name)) == NULL || s->level == level)
    return;
  s->level = level;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

OlGuiLevel
ol_gui_plot_get_series_level (OlGuiPlot *self, const char *name)
{
  Series *s;

  g_return_val_if_fail (OL_GUI_IS_PLOT (self), OL_GUI_LEVEL_NORMAL);
  return (s = s_find (self, name)) != NULL ? s->level : OL_GUI_LEVEL_NORMAL;
}

const char *
ol_gui_plot_get_drawn_unit (OlGuiPlot *self, const char *name)
{
  Series *s;

  g_return_val_if_fail (OL_GUI_IS_PLOT (self), NULL);
  return (s = s_find (self, name)) != NULL ? s->drawn_unit : NULL;
}

guint64
ol_gui_plot_get_paints (OlGuiPlot *self)
{
  g_return_val_if_fail (OL_GUI_IS_PLOT (self), 0);
  return self->paints;
}

gboolean
ol_gui_plot_get_last_value (OlGuiPlot *self, const char *name, double *value)
{
  Series *s;

  g_return_val_if_fail (OL_GUI_IS_PLOT (self), FALSE);
  if ((s = s_find (self, name)) == NULL || s->len == 0)
    return FALSE;
  *value = s_point (s, s->len - 1)->v;
  return TRUE;
}
