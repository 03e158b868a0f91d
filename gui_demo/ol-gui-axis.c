/* oneliner-gui: drawing helpers shared by the plot and the trace views. */
#include "ol-gui-axis.h"

#include <math.h>
#include <pango/pangocairo.h>

void
ol_gui_axis_rgba (cairo_t *cr, const char *spec, double alpha)
{
  GdkRGBA c;

  gdk_rgba_parse (&c, spec);
  cairo_set_source_rgba (cr, c.red, c.green, c.blue, alpha);
}

void
ol_gui_axis_text (GtkWidget *widget, cairo_t *cr, double x, double y, double align,
                  const char *text)
{
  g_autoptr (PangoLayout) layout = gtk_widget_create_pango_layout (widget, text);
  int w, h;

  pango_layout_get_pixel_size (layout, &w, &h);
  cairo_move_to (cr, x - align * w, y - h / 2.0);
  pango_cairo_show_layout (cr, layout);
}

void
ol_gui_axis_number (char *text, gsize size, double v, double span)
{
  int decimals = CLAMP (1 - (int) floor (log10 (span)), 0, 9);

  if (fabs (v) >= 1e7 || span < 1e-8)
    g_snprintf (text, size, "%.4g", v);
  else
    g_snprintf (text, size, "%.*f", decimals,
                fabs (v) < 0.5 * pow (10, -decimals) ? 0.0 : v); /* never "-0.0" */
}

void
ol_gui_axis_unit (GtkWidget *widget, cairo_t *cr, double x, double y_centre, double length,
                  const char *unit)
{
  g_autoptr (PangoLayout) layout = gtk_widget_create_pango_layout (widget, unit);
  int w, h;

  if (length < 8)
    return;
  pango_layout_set_width (layout, (int) length * PANGO_SCALE);
  pango_layout_set_ellipsize (layout, PANGO_ELLIPSIZE_END);
  pango_layout_get_pixel_size (layout, &w, &h);
  ol_gui_axis_rgba (cr, "#3d3846", 1);
  cairo_save (cr);
  cairo_move_to (cr, x, y_centre + w / 2.0);
  cairo_rotate (cr, -G_PI / 2);
  pango_cairo_show_layout (cr, layout);
  cairo_restore (cr);
}

/* The band from value a to value b (either may be infinite: to the edge). */
static void
s_band (cairo_t *cr, double x0, double y0, double w, double h, double lo, double hi,
        double a, double b)
{
  double top = y0 + h * (1.0 - (MIN (MAX (a, b), hi) - lo) / (hi - lo));
  double bottom = y0 + h * (1.0 - (MAX (MIN (a, b), lo) - lo) / (hi - lo));

  if (!(bottom - top > 0))
    return;
  cairo_rectangle (cr, x0, top, w, bottom - top);
  cairo_fill (cr);
}

void
ol_gui_axis_bands (cairo_t *cr, const OlGuiLimits *l, double x0, double y0, double w,
                   double h, double lo, double hi)
{
  double al, ah, wl, wh;

  if (l->flags == 0 || !(hi > lo))
    return;
  al = (l->flags & OL_GUI_LIMIT_ALARM_LOW) ? l->alarm_low : -INFINITY;
  ah = (l->flags & OL_GUI_LIMIT_ALARM_HIGH) ? l->alarm_high : INFINITY;
  wl = (l->flags & OL_GUI_LIMIT_WARNING_LOW) ? l->warning_low : al;
  wh = (l->flags & OL_GUI_LIMIT_WARNING_HIGH) ? l->warning_high : ah;
  cairo_save (cr);
  cairo_rectangle (cr, x0, y0, w, h);
  cairo_clip (cr);
  ol_gui_axis_rgba (cr, "#f5c211", 0.22);
  if (isfinite (wl))
    s_band (cr, x0, y0, w, h, lo, hi, wl, isfinite (al) ? al : -HUGE_VAL);
  if (isfinite (wh))
    s_band (cr, x0, y0, w, h, lo, hi, wh, isfinite (ah) ? ah : HUGE_VAL);
  ol_gui_axis_rgba (cr, "#e01b24", 0.22);
  if (isfinite (al))
    s_band (cr, x0, y0, w, h, lo, hi, al, -HUGE_VAL);
  if (isfinite (ah))
    s_band (cr, x0, y0, w, h, lo, hi, ah, HUGE_VAL);
  cairo_restore (cr);
}

const char *
ol_gui_axis_level_color (OlGuiLevel level)
{
  return level == OL_GUI_LEVEL_ALARM ? "#e01b24"
       : level == OL_GUI_LEVEL_WARNING ? "#e5a50a" : NULL;
}

void
ol_gui_axis_value_labels (GtkWidget *widget, cairo_t *cr, double x, double y0, double h,
                          double lo, double hi)
{
  char text[32];

  ol_gui_axis_rgba (cr, "#5e5c64", 1);
  ol_gui_axis_number (text, sizeof text, hi, hi - lo);
  ol_gui_axis_text (widget, cr, x, y0 + 7, 1, text);
  ol_gui_axis_number (text, sizeof text, (lo + hi) / 2, hi - lo);
  ol_gui_axis_text (widget, cr, x, y0 + h / 2, 1, text);
  ol_gui_axis_number (text, sizeof text, lo, hi - lo);
  ol_gui_axis_text (widget, cr, x, y0 + h - 7, 1, text);
}
