/* oneliner-gui: OlGuiTrace, the live trace of a waveform stream.
 *
 * A stream whose description has the form "array" sends a JSON array of
 * numbers per message: the trace shows the newest one, value against
 * sample index, or against the description's x axis (start + i * step, its
 * unit on the axis), with the stream's unit on the value axis and the bands
 * of its limits. A message only keeps its payload: the newest is decoded
 * and drawn when the screen paints, at most once per frame, so that traces
 * arriving faster than the screen shows them are skipped, never queued.
 * The size of a trace is the size of the array received (never the
 * description's "length"), at most OL_GUI_TRACE_MAX_SAMPLES.
 */
#pragma once

#include <gtk/gtk.h>
#include <oneliner/oneliner.h>

#include "ol-gui-description.h"

G_BEGIN_DECLS

#define OL_GUI_TRACE_MAX_SAMPLES (1 << 24)

#define OL_GUI_TYPE_TRACE (ol_gui_trace_get_type ())
G_DECLARE_FINAL_TYPE (OlGuiTrace, ol_gui_trace, OL_GUI, TRACE, GtkWidget)

/* description: (nullable) (transfer none), referenced */
GtkWidget *ol_gui_trace_new (const char *name, OlGuiDescription *description);

/* Keeps message's payload (borrowed message) as the newest trace. */
void ol_gui_trace_push (OlGuiTrace *self, const OlStreamMessage *message);
/* Shows the error of the stream's last error message. */
void ol_gui_trace_set_error (OlGuiTrace *self, const char *text);

/* Messages pushed; traces decoded and painted; samples in the last trace
 * painted; the x axis unit shown at the last paint (nullable). */
guint64 ol_gui_trace_get_received (OlGuiTrace *self);
guint64 ol_gui_trace_get_painted (OlGuiTrace *self);
guint ol_gui_trace_get_painted_samples (OlGuiTrace *self);
const char *ol_gui_trace_get_painted_x_unit (OlGuiTrace *self);
OlGuiLevel ol_gui_trace_get_level (OlGuiTrace *self);

G_END_DECLS
