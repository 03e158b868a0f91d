/* oneliner-gui: OlGuiCallForm, the form that calls one callable.
 *
 * Built from a callable's descriptor of the "list" result: one typed field
 * per parameter (a spin button for integers within their type's range and
 * for doubles, a switch for bool, an entry for string, bytes (base64) and
 * json), filled with the parameter's default. A handler (no signature) and a
 * named call get JSON entries for args and kwargs. "Call" sends the call
 * asynchronously, bounded by the client's timeout, and shows the result or
 * the error text; the window never waits for it.
 */
#pragma once

#include <gtk/gtk.h>
#include <oneliner/oneliner.h>

#include "ol-gui-connection.h"

G_BEGIN_DECLS

#define OL_GUI_TYPE_CALL_FORM (ol_gui_call_form_get_type ())
G_DECLARE_FINAL_TYPE (OlGuiCallForm, ol_gui_call_form, OL_GUI, CALL_FORM, GtkBox)

GtkWidget *ol_gui_call_form_new (void);

/* The connection calls go through (a reference is taken; NULL: none). */
void ol_gui_call_form_set_connection (OlGuiCallForm *self, OlGuiConnection *connection);

/* Shows the form of method of instance (NULL: a free function) described by
 * descriptor (borrowed, a "list" entry). */
void ol_gui_call_form_show_method (OlGuiCallForm *self, const char *instance,
                                   const char *method, json_t *descriptor);
/* Shows the form of a named call (named: its "list" entry, borrowed). */
void ol_gui_call_form_show_named (OlGuiCallForm *self, const char *name, json_t *named);
/* Shows nothing to call. */
void ol_gui_call_form_clear (OlGuiCallForm *self);

/* For the self-test: (transfer none) (nullable) the field of a parameter
 * ("args"/"kwargs" for handlers and named calls), the Call button, the
 * result text shown ("" before the first answer). */
GtkWidget *ol_gui_call_form_get_field (OlGuiCallForm *self, const char *param);
GtkWidget *ol_gui_call_form_get_call_button (OlGuiCallForm *self);
const char *ol_gui_call_form_get_result_text (OlGuiCallForm *self);
gboolean ol_gui_call_form_is_busy (OlGuiCallForm *self);

G_END_DECLS
