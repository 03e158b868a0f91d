/* oneliner-gui: OlGuiPlot, a scrolling plot of numeric streams.
 *
 * Each series keeps the points of the last OL_GUI_PLOT_SECONDS seconds in a
 * ring buffer of bounded size (older points, or the oldest beyond
 * OL_GUI_PLOT_MAX_POINTS, fall out). Points carry the server's timestamps,
 * so the plot shows when values were measured, not when they arrived; the
 * time axis scrolls with the frame clock. Several series share the plot:
 * one value axis for all, or one lane with its own scale per series (series
 * given the same lane share one: the fields of an object that have one
 * unit). A series may carry a unit, shown on its lane's axis, and limits,
 * shown as bands (amber beyond the warning limits, red beyond the alarm
 * limits); a series in warning or alarm tints its lane amber or red.
 * Drawn with GtkSnapshot (lines through a cairo node).
 */
#pragma once

#include <gtk/gtk.h>

#include "ol-gui-description.h"

G_BEGIN_DECLS

#define OL_GUI_PLOT_SECONDS 10
#define OL_GUI_PLOT_MAX_POINTS 16384

#define OL_GUI_TYPE_PLOT (ol_gui_plot_get_type ())
G_DECLARE_FINAL_TYPE (OlGuiPlot, ol_gui_plot, OL_GUI, PLOT, GtkWidget)

GtkWidget *ol_gui_plot_new (void);

/* Adds a series (no-op if it exists). */
void ol_gui_plot_add_series (OlGuiPlot *self, const char *name);
void ol_gui_plot_remove_series (OlGuiPlot *self, const char *name);
gboolean ol_gui_plot_has_series (OlGuiPlot *self, const char *name);
guint ol_gui_plot_get_n_series (OlGuiPlot *self);

/* What a series' values mean (all nullable): group and order sort the
 * series (the fields of one stream stay together, in their order), lane
 * names the lane it shares with others (NULL: its own), unit is shown on
 * the axis, limits as bands, precision (-1: not given) in the legend. */
void ol_gui_plot_set_series_info (OlGuiPlot *self, const char *name, const char *group,
                                  guint order, const char *lane, const char *unit,
                                  const OlGuiLimits *limits, int precision);
/* The level of a series' latest value: tints its lane. */
void ol_gui_plot_set_series_level (OlGuiPlot *self, const char *name, OlGuiLevel level);
OlGuiLevel ol_gui_plot_get_series_level (OlGuiPlot *self, const char *name);

/* The unit the last paint showed on the axis of the lane of a series
 * (transfer none) (nullable: no unit, or not painted yet). */
const char *ol_gui_plot_get_drawn_unit (OlGuiPlot *self, const char *name);
/* Paints since the widget was made. */
guint64 ol_gui_plot_get_paints (OlGuiPlot *self);
/* The latest value of a series; FALSE if it has none. */
gboolean ol_gui_plot_get_last_value (OlGuiPlot *self, const char *name, double *value);

/* Appends a point; timestamp_ns is the server's wall clock. */
void ol_gui_plot_append (OlGuiPlot *self, const char *name, gint64 timestamp_ns, double value);

/* TRUE: one lane with its own scale per series; FALSE: one shared axis. */
void ol_gui_plot_set_lanes (OlGuiPlot *self, gboolean lanes);
gboolean ol_gui_plot_get_lanes (OlGuiPlot *self);

G_END_DECLS
