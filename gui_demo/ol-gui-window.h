/* oneliner-gui: OlGuiWindow, one window watching one server.
 *
 * A connection bar (RPC and stream endpoints), a banner while the server
 * does not answer, the server's callables in a sidebar with the form of the
 * selected one, the streams with their switches and statistics, and the
 * live views of the streams the user views, and a Record button over the
 * streams (OlGuiRecordBar) that records them to an MCAP file; closing the
 * window while recording completes the file first. Several windows may each watch
 * a server: each owns its connection (OlGuiConnection).
 */
#pragma once

#include <gtk/gtk.h>

#include "ol-gui-call-form.h"
#include "ol-gui-connection.h"
#include "ol-gui-record-bar.h"
#include "ol-gui-stream-row.h"
#include "ol-gui-views.h"

G_BEGIN_DECLS

#define OL_GUI_TYPE_WINDOW (ol_gui_window_get_type ())
G_DECLARE_FINAL_TYPE (OlGuiWindow, ol_gui_window, OL_GUI, WINDOW, GtkApplicationWindow)

/* A window connected to rpc and stream (NULL: the defaults); calls are
 * bounded by timeout_ms. */
OlGuiWindow *ol_gui_window_new (GtkApplication *app, const char *rpc, const char *stream,
                                int timeout_ms);

/* Drops the current connection (its views and subscriptions) and connects
 * to rpc and stream. FALSE with *error for a malformed endpoint. */
gboolean ol_gui_window_connect (OlGuiWindow *self, const char *rpc, const char *stream,
                                GError **error);

/* (transfer none) For the self-test and the application. */
OlGuiConnection *ol_gui_window_get_connection (OlGuiWindow *self);
OlGuiStreamRow *ol_gui_window_get_stream_row (OlGuiWindow *self, const char *name);
OlGuiCallForm *ol_gui_window_get_call_form (OlGuiWindow *self);
OlGuiViews *ol_gui_window_get_views (OlGuiWindow *self);
OlGuiRecordBar *ol_gui_window_get_record_bar (OlGuiWindow *self);
/* (nullable) the banner's text while it is shown */
const char *ol_gui_window_get_banner_text (OlGuiWindow *self);

/* Selects a callable in the sidebar as a click would (instance NULL: a free
 * function). FALSE if the sidebar does not list it. */
gboolean ol_gui_window_select_callable (OlGuiWindow *self, const char *instance,
                                        const char *method);

G_END_DECLS
