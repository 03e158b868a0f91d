/* oneliner-gui: OlGuiApplication, the GtkApplication.
 *
 * Options: --rpc, --stream (the first window's server), --timeout (the
 * bound of every call), --self-test (drive the window against a demo
 * server and exit 0 or 1) and --screenshot FILE (a PNG of the window at the
 * end: after the self-test, or when the window closes); with either of the
 * last two it draws with cairo and without OpenGL. Each run is its own
 * instance (non-unique): a self-test never lands in a GUI already running.
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define OL_GUI_TYPE_APPLICATION (ol_gui_application_get_type ())
G_DECLARE_FINAL_TYPE (OlGuiApplication, ol_gui_application, OL_GUI, APPLICATION,
                      GtkApplication)

OlGuiApplication *ol_gui_application_new (void);

/* The status the process should exit with once g_application_run returned
 * (the self-test's result; 0 otherwise). */
int ol_gui_application_get_exit_status (OlGuiApplication *self);

G_END_DECLS
