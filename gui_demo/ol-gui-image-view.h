/* oneliner-gui: OlGuiImageView, the live picture of an image stream.
 *
 * The stream's watch hands every frame it takes to ol_gui_image_view_push();
 * the view keeps only the latest one and turns it into a texture at the next
 * frame clock tick, so the picture follows the stream at its rate while the
 * screen keeps up, and a frame that a newer one replaced before a tick showed
 * it is dropped from display and counted. Nothing queues: memory stays at
 * one pending frame and one texture whatever the stream's rate.
 *
 * Pixel formats: gray8 and gray16 (shown as RGB, GTK 4.8 has no gray
 * textures) and rgb8 (shown without copying).
 */
#pragma once

#include <gtk/gtk.h>
#include <oneliner/oneliner.h>

G_BEGIN_DECLS

#define OL_GUI_TYPE_IMAGE_VIEW (ol_gui_image_view_get_type ())
G_DECLARE_FINAL_TYPE (OlGuiImageView, ol_gui_image_view, OL_GUI, IMAGE_VIEW, GtkWidget)

GtkWidget *ol_gui_image_view_new (const char *name);

/* Takes the frame of message (a reference to its payload; width, height and
 * format from its header). A frame the view cannot show (unknown format,
 * wrong size) is counted as invalid. */
void ol_gui_image_view_push (OlGuiImageView *self, const OlStreamMessage *message);

/* Counts n frames that reached the client but were replaced in its cache
 * by newer ones before the view could take them: not shown either. */
void ol_gui_image_view_count_skipped (OlGuiImageView *self, guint64 n);

/* Shows a stream error under the picture (NULL clears it). */
void ol_gui_image_view_set_error (OlGuiImageView *self, const char *message);

/* Frames that reached the client, were shown, were dropped from display
 * (replaced before the screen showed them, in the view or in the cache). */
guint64 ol_gui_image_view_get_frames_received (OlGuiImageView *self);
guint64 ol_gui_image_view_get_frames_shown (OlGuiImageView *self);
guint64 ol_gui_image_view_get_frames_dropped (OlGuiImageView *self);
/* Restarts the three counters from 0. */
void ol_gui_image_view_reset_counters (OlGuiImageView *self);

G_END_DECLS
