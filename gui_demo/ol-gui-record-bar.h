/* oneliner-gui: OlGuiRecordBar, the streams pane's header with its Record
 * button.
 *
 * A title ("Streams") and a "Record…" button whose popover lists the
 * server's streams with checkboxes (preset to the viewed ones); "Record to
 * file…" asks for a file (default oneliner-YYYYmmdd-HHMMSS.mcap) and records
 * the checked streams there with an OlRecorder. While recording the bar
 * shows the file, its size, the rate and the counts of messages written and
 * missed (from ol_recorder_get_stats(), twice a second), and a Stop button.
 *
 * The recorder connects to the server (ol_recorder_start) and finishes its
 * file (ol_recorder_stop) in threads of their own (GTask): the main loop
 * never waits for either; their results come back on the main loop. A bar
 * disposed while recording hands its recorder to a thread that stops it, so
 * that the file is complete: ol_gui_record_bar_count_busy() tells the
 * application, which waits for it before it exits.
 *
 * Signals:
 *   "state-changed" ()             the state changed (after a start or stop)
 *   "error" (const char *message)  a recording could not start, or failed:
 *                                  one line, for the window's banner
 *
 * Thread rules: main thread only.
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

typedef enum {
  OL_GUI_RECORD_IDLE,      /* not recording */
  OL_GUI_RECORD_STARTING,  /* connecting to the server, opening the file */
  OL_GUI_RECORD_RECORDING,
  OL_GUI_RECORD_STOPPING,  /* writing the rest and the file's summary */
} OlGuiRecordState;

#define OL_GUI_TYPE_RECORD_BAR (ol_gui_record_bar_get_type ())
G_DECLARE_FINAL_TYPE (OlGuiRecordBar, ol_gui_record_bar, OL_GUI, RECORD_BAR, GtkBox)

/* The streams the popover lists, sorted, as a (transfer full) NULL-terminated
 * array; *viewed (transfer full) the subset that is preset. */
typedef char **(*OlGuiRecordBarStreamsFunc) (gpointer user_data, char ***viewed);

void ol_gui_record_bar_set_streams_func (OlGuiRecordBar *self, OlGuiRecordBarStreamsFunc func,
                                         gpointer user_data);

/* The server recorded from now on (NULL: none; Record is then insensitive).
 * The keys are those of ol_gui_connection_set_keys(). */
void ol_gui_record_bar_set_server (OlGuiRecordBar *self, const char *rpc_endpoint,
                                   const char *stream_endpoint);

/**
 * ol_gui_record_bar_start:
 * @path: the file to write
 * @streams: NULL-terminated stream names (at least one)
 *
 * What the file dialog does once a file is chosen; also for the self-test.
 * Starts recording without blocking; the outcome comes as "state-changed"
 * (and "error"). FALSE with *error if a recording is under way or the bar has
 * no server.
 */
gboolean ol_gui_record_bar_start (OlGuiRecordBar *self, const char *path,
                                  const char *const *streams, GError **error);

/* As the Stop button: stops the recording (or the start under way) without
 * blocking; the bar is idle again when the file is complete. */
void ol_gui_record_bar_stop (OlGuiRecordBar *self);

OlGuiRecordState ol_gui_record_bar_get_state (OlGuiRecordBar *self);
/* The message count the bar shows (of the recording under way or the last). */
guint64 ol_gui_record_bar_get_shown_messages (OlGuiRecordBar *self);
/* (transfer none) the figures as shown, e.g. "1.20 MB · 0.05 MB/s · 110 msg/s ·
 * 1234 messages · 0 missed" */
const char *ol_gui_record_bar_get_figures_text (OlGuiRecordBar *self);
/* (transfer full) the streams the Record popover lists and, in *checked
 * (transfer full), those checked: for the self-test. */
char **ol_gui_record_bar_get_listed_streams (OlGuiRecordBar *self, char ***checked);
/* (transfer none) the Record menu button and the Stop button */
GtkWidget *ol_gui_record_bar_get_record_button (OlGuiRecordBar *self);
GtkWidget *ol_gui_record_bar_get_stop_button (OlGuiRecordBar *self);

/* Starts and stops of every bar (also disposed ones) whose thread has not
 * come back to the main loop yet: the application waits for them before it
 * exits, so that every recording is complete. */
guint ol_gui_record_bar_count_busy (void);

G_END_DECLS
