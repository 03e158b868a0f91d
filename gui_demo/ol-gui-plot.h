/* oneliner-gui: OlGuiPlot, a scrolling plot of numeric streams.
 *
 * Each series keeps the points of the last OL_GUI_PLOT_SECONDS seconds in a
 * ring buffer of bounded size (older points, or the oldest beyond
 * OL_GUI_PLOT_MAX_POINTS, fall out). Points carry the server's timestamps,
 * so the plot shows when values were measured, not when they arrived; the
 * time axis scrolls with the frame clock. Several series share the plot:
 * one value axis for all, or one lane with its own scale per series.
 * Drawn with GtkSnapshot (lines through a cairo node).
 */
#pragma once

#include <gtk/gtk.h>

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

/* Appends a point; timestamp_ns is the server's wall clock. */
void ol_gui_plot_append (OlGuiPlot *self, const char *name, gint64 timestamp_ns, double value);

/* TRUE: one lane with its own scale per series; FALSE: one shared axis. */
void ol_gui_plot_set_lanes (OlGuiPlot *self, gboolean lanes);
gboolean ol_gui_plot_get_lanes (OlGuiPlot *self);

G_END_DECLS
