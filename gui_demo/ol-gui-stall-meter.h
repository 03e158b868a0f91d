/* oneliner-gui: OlGuiStallMeter, how long the main loop stops answering.
 *
 * A timeout source every 10 ms at default priority on the main loop records
 * the longest gap between two of its dispatches beyond the 10 ms it asked
 * for: the longest time anything held the loop (a slow callback, a slow
 * frame), which is what a user feels as a frozen window.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct OlGuiStallMeter OlGuiStallMeter;

/* Starts measuring on the thread-default main context. (transfer full) */
OlGuiStallMeter *ol_gui_stall_meter_start (void);
/* Stops measuring (idempotent). */
void ol_gui_stall_meter_stop (OlGuiStallMeter *meter);
/* The longest stall so far, in microseconds. */
gint64 ol_gui_stall_meter_get_max_us (OlGuiStallMeter *meter);
/* Time measured so far (until stop), in microseconds. */
gint64 ol_gui_stall_meter_get_elapsed_us (OlGuiStallMeter *meter);
/* Ticks that came more than 50 ms late. */
guint ol_gui_stall_meter_get_long_stalls (OlGuiStallMeter *meter);
void ol_gui_stall_meter_free (OlGuiStallMeter *meter);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (OlGuiStallMeter, ol_gui_stall_meter_free)

G_END_DECLS
