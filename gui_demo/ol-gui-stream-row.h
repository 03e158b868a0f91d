/* oneliner-gui: OlGuiStreamRow, one stream in the streams list.
 *
 * Shows the stream's configuration, a switch that enables or disables it on
 * the server and its statistics. The switch shows the server's real state:
 * flipping it emits "enable-requested" and the switch keeps its old state
 * (GtkSwitch's delayed state) until ol_gui_stream_row_finish_request()
 * reports the server's answer; the server's state from every "streams" poll
 * (also what another client changed) is shown unless a request is pending.
 * A described stream has its description as the row's tooltip (text, unit,
 * form, limits); a viewed stream whose latest message is in alarm turns
 * the row red, in warning amber, until a message comes without the bit, and
 * the row counts the messages received in warning and in alarm.
 *
 * Signals:
 *   "enable-requested" (gboolean enabled)  the user flipped the switch
 *   "view-toggled" (gboolean viewed)       the user (un)checked "View"
 */
#pragma once

#include <gtk/gtk.h>
#include <oneliner/oneliner.h>

#include "ol-gui-description.h"
#include "ol-gui-stream-stats.h"

G_BEGIN_DECLS

#define OL_GUI_TYPE_STREAM_ROW (ol_gui_stream_row_get_type ())
G_DECLARE_FINAL_TYPE (OlGuiStreamRow, ol_gui_stream_row, OL_GUI, STREAM_ROW, GtkListBoxRow)

OlGuiStreamRow *ol_gui_stream_row_new (const char *name);
/* (transfer none) */
const char *ol_gui_stream_row_get_name (OlGuiStreamRow *self);

/* Applies one entry of the "streams" result (borrowed). TRUE if the
 * stream's description changed (also from none to one, or back). */
gboolean ol_gui_stream_row_update (OlGuiStreamRow *self, json_t *config);

/* (transfer none) (nullable) the description of the latest "streams" entry */
OlGuiDescription *ol_gui_stream_row_get_description (OlGuiStreamRow *self);

/* The level of the latest message received and the counts of messages
 * received in warning and in alarm (a viewed stream); OL_GUI_LEVEL_NORMAL
 * and 0, 0 stop showing them. */
void ol_gui_stream_row_set_level (OlGuiStreamRow *self, OlGuiLevel level, guint64 warnings,
                                  guint64 alarms);
OlGuiLevel ol_gui_stream_row_get_level (OlGuiStreamRow *self);
guint64 ol_gui_stream_row_get_warnings (OlGuiStreamRow *self);
guint64 ol_gui_stream_row_get_alarms (OlGuiStreamRow *self);

gboolean ol_gui_stream_row_get_server_enabled (OlGuiStreamRow *self);
OlEncoding ol_gui_stream_row_get_encoding (OlGuiStreamRow *self);
/* The geometry of an image stream; FALSE for other streams. */
gboolean ol_gui_stream_row_get_image_info (OlGuiStreamRow *self, OlImageInfo *info);
/* Whether a request of the switch waits for the server's answer. */
gboolean ol_gui_stream_row_is_pending (OlGuiStreamRow *self);

/* (transfer none) the switch, for the self-test */
GtkSwitch *ol_gui_stream_row_get_switch (OlGuiStreamRow *self);

/* The server answered the request of the switch: error NULL means the
 * stream is now enabled as asked. */
void ol_gui_stream_row_finish_request (OlGuiStreamRow *self, gboolean enabled,
                                       const GError *error);

/* Checks or unchecks "View" without emitting "view-toggled". */
void ol_gui_stream_row_set_viewed (OlGuiStreamRow *self, gboolean viewed);
gboolean ol_gui_stream_row_get_viewed (OlGuiStreamRow *self);

/* Client-side statistics of a subscribed stream; NULL shows the server's. */
void ol_gui_stream_row_set_client_stats (OlGuiStreamRow *self,
                                         const OlGuiStreamStats *stats);

G_END_DECLS
