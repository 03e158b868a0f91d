/* oneliner-gui: a PNG of a widget as it is on screen. */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* Renders widget (a mapped window, or any widget inside one) with its
 * window's renderer and writes it to path as PNG. FALSE with *error (G_IO_ERROR)
 * if the widget is not drawn yet or the file cannot be written. */
gboolean ol_gui_screenshot_save (GtkWidget *widget, const char *path, GError **error);

G_END_DECLS
