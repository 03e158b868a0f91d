/* oneliner-gui: drawing helpers shared by the plot and the trace views:
 * colours, text, axis numbers, the unit along a value axis and the bands
 * of a stream's warning and alarm limits. Cairo, main thread only.
 */
#pragma once

#include <gtk/gtk.h>

#include "ol-gui-description.h"

G_BEGIN_DECLS

/* Sets the source to a colour spec ("#e01b24") with alpha. */
void ol_gui_axis_rgba (cairo_t *cr, const char *spec, double alpha);

/* Shows text centred vertically on y; align 0 left of x, 1 right of it. */
void ol_gui_axis_text (GtkWidget *widget, cairo_t *cr, double x, double y, double align,
                       const char *text);

/* Writes v with as many decimals as an axis spanning span needs. */
void ol_gui_axis_number (char *text, gsize size, double v, double span);

/* The numbers of a value axis that goes from lo (at y0 + h) to hi (at y0):
 * top, middle and bottom, right-aligned at x. */
void ol_gui_axis_value_labels (GtkWidget *widget, cairo_t *cr, double x, double y0, double h,
                               double lo, double hi);

/* The unit of a value axis, written along it (bottom to top) with its left
 * edge at x, centred on y_centre, cut to length pixels. */
void ol_gui_axis_unit (GtkWidget *widget, cairo_t *cr, double x, double y_centre,
                       double length, const char *unit);

/* The bands of limits over the box whose value axis goes from lo (bottom)
 * to hi (top): amber beyond the warning limits, red beyond the alarm
 * limits. */
void ol_gui_axis_bands (cairo_t *cr, const OlGuiLimits *limits, double x0, double y0, double w,
                        double h, double lo, double hi);

/* The colour of a level ("#e01b24" alarm, "#e5a50a" warning; NULL normal). */
const char *ol_gui_axis_level_color (OlGuiLevel level);

G_END_DECLS
