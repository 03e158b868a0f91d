/* oneliner-gui: OlGuiViews, the live views of the streams a window shows.
 *
 * Routes each message to its view: numbers of JSON streams to one scrolling
 * plot shared by all of them (OlGuiPlot), image streams to a live picture
 * each (OlGuiImageView), anything else to a label with the latest value. A
 * JSON stream's view is chosen by its description's form when it has one:
 * "number" a plot series with the stream's unit and limits, "object" one
 * series per number field (each with its unit and limits, one lane for all
 * when their units agree; other fields are not plotted), "array" a live
 * trace (OlGuiTrace); else by its first message, as for a stream without a
 * description. A series in warning or alarm (the status bits of its latest
 * message) tints its lane.
 */
#pragma once

#include <gtk/gtk.h>
#include <oneliner/oneliner.h>

#include "ol-gui-description.h"
#include "ol-gui-image-view.h"
#include "ol-gui-plot.h"
#include "ol-gui-trace.h"

G_BEGIN_DECLS

#define OL_GUI_TYPE_VIEWS (ol_gui_views_get_type ())
G_DECLARE_FINAL_TYPE (OlGuiViews, ol_gui_views, OL_GUI, VIEWS, GtkBox)

GtkWidget *ol_gui_views_new (void);

/* Starts showing a stream of the given encoding and description (nullable,
 * referenced) (no-op if shown). */
void ol_gui_views_add_stream (OlGuiViews *self, const char *name, OlEncoding encoding,
                              OlGuiDescription *description);
void ol_gui_views_remove_stream (OlGuiViews *self, const char *name);
gboolean ol_gui_views_has_stream (OlGuiViews *self, const char *name);

/* Shows a message (borrowed) of a stream added before. */
void ol_gui_views_push (OlGuiViews *self, const OlStreamMessage *message);
/* Shows the error of an error message of a stream. */
void ol_gui_views_push_error (OlGuiViews *self, const char *name, const GError *error);

/* Counts n messages of a stream that its cache replaced before they were
 * taken (a picture did not show them). */
void ol_gui_views_count_skipped (OlGuiViews *self, const char *name, guint64 n);

/* (transfer none) (nullable) */
OlGuiImageView *ol_gui_views_get_image_view (OlGuiViews *self, const char *name);
OlGuiPlot *ol_gui_views_get_plot (OlGuiViews *self);
OlGuiTrace *ol_gui_views_get_trace (OlGuiViews *self, const char *name);
/* The plot series of field of an object stream: "name.field".
 * (transfer full) */
char *ol_gui_views_field_series (const char *name, const char *field);

G_END_DECLS
