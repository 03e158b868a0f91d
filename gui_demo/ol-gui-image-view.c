/* oneliner-gui: OlGuiImageView, the live picture of an image stream. */
#include "ol-gui-image-view.h"

struct _OlGuiImageView {
  GtkWidget parent_instance;

  char *name;               /* (owned) */
  GBytes *pending;          /* (owned) (nullable) the latest frame not shown yet */
  OlImageInfo pending_info;
  GdkTexture *texture;      /* (owned) (nullable) the frame on screen */
  OlImageInfo shown_info;
  char *error;              /* (owned) (nullable) */
  guint tick_id;
  guint64 received;
  guint64 shown;
  guint64 dropped;
  guint64 invalid;
  /* frames shown per second, over the last second */
  gint64 fps_since_us;
  guint64 fps_shown;
  double fps;
};

G_DEFINE_FINAL_TYPE (OlGuiImageView, ol_gui_image_view, GTK_TYPE_WIDGET)

static const char *
s_format_name (OlPixelFormat format)
{
  switch (format)
    {
    case OL_PIXEL_GRAY8: return "gray8";
    case OL_PIXEL_GRAY16: return "gray16";
    case OL_PIXEL_RGB8: return "rgb8";
    case OL_PIXEL_NONE:
    default: return "?";
    }
}

/* A texture of the frame, or NULL if its format or size is not an image. */
static GdkTexture *
s_texture (GBytes *pixels, const OlImageInfo *info)
{
  gsize size;
  const guint8 *src = g_bytes_get_data (pixels, &size);
  gsize n = (gsize) info->width * info->height;
  g_autoptr (GBytes) rgb = NULL;

  if (info->width == 0 || info->height == 0 || size != n * ol_pixel_format_size (info->format))
    return NULL;
  switch (info->format)
    {
    case OL_PIXEL_RGB8:
      return gdk_memory_texture_new (info->width, info->height, GDK_MEMORY_R8G8B8, pixels,
                                     (gsize) info->width * 3);
    case OL_PIXEL_GRAY8:
      {
        guint8 *dst = g_malloc (n * 3);
        for (gsize i = 0; i < n; i++)
          dst[3 * i] = dst[3 * i + 1] = dst[3 * i + 2] = src[i];
        rgb = g_bytes_new_take (dst, n * 3);
        return gdk_memory_texture_new (info->width, info->height, GDK_MEMORY_R8G8B8, rgb,
                                       (gsize) info->width * 3);
      }
    case OL_PIXEL_GRAY16:
      {
        guint16 *dst = g_malloc (n * 6);
        for (gsize i = 0; i < n; i++)
          {
            guint16 v = (guint16) (src[2 * i] | (src[2 * i + 1] << 8)); /* little-endian */
            dst[3 * i] = dst[3 * i + 1] = dst[3 * i + 2] = v;
          }
        rgb = g_bytes_new_take (dst, n * 6);
        return gdk_memory_texture_new (info->width, info->height, GDK_MEMORY_R16G16B16, rgb,
                                       (gsize) info->width * 6);
      }
    case OL_PIXEL_NONE:
    default:
      return NULL;
    }
}

/* At most one new picture per frame clock tick: the latest frame. */
static gboolean
s_tick (GtkWidget *widget, GdkFrameClock *clock, gpointer data)
{
  OlGuiImageView *self = OL_GUI_IMAGE_VIEW (widget);
  g_autoptr (GBytes) pixels = g_steal_pointer (&self->pending);
  gint64 now = gdk_frame_clock_get_frame_time (clock);
  GdkTexture *texture;

  (void) data;
  self->tick_id = 0;
  if (pixels == NULL)
    return G_SOURCE_REMOVE;
  texture = s_texture (pixels, &self->pending_info);
  if (texture == NULL)
    {
      self->invalid++;
      return G_SOURCE_REMOVE;
    }
  g_set_object (&self->texture, texture);
  g_object_unref (texture);
  self->shown_info = self->pending_info;
  self->shown++;
  self->fps_shown++;
  if (self->fps_since_us == 0)
    self->fps_since_us = now;
  else if (now - self->fps_since_us >= G_USEC_PER_SEC)
    {
      self->fps = (double) self->fps_shown * G_USEC_PER_SEC / (double) (now - self->fps_since_us);
      self->fps_shown = 0;
      self->fps_since_us = now;
    }
  gtk_widget_queue_draw (widget);
  return G_SOURCE_REMOVE;
}

static void
s_caption (OlGuiImageView *self, GtkSnapshot *snapshot, double width, double height)
{
  g_autofree char *text = NULL;
  g_autoptr (PangoLayout) layout = NULL;
  int w, h;
  GdkRGBA fg = { 1, 1, 1, 1 }, bg = { 0, 0, 0, 0.6 };

  if (self->error != NULL)
    text = g_strdup_printf ("%s: %s", self->name, self->error);
  else if (self->texture == NULL)
    text = g_strdup_printf ("%s: waiting for frames (is the stream enabled?)", self->name);
  else
    text = g_strdup_printf ("%s · %u×%u %s · %.1f fps · shown %" G_GUINT64_FORMAT
                            " · display drops %" G_GUINT64_FORMAT,
                            self->name, self->shown_info.width, self->shown_info.height,
                            s_format_name (self->shown_info.format), self->fps, self->shown,
                            self->dropped);
  layout = gtk_widget_create_pango_layout (GTK_WIDGET (self), text);
  pango_layout_set_width (layout, (int) (width - 12) * PANGO_SCALE);
  pango_layout_set_ellipsize (layout, PANGO_ELLIPSIZE_END);
  pango_layout_get_pixel_size (layout, &w, &h);
  gtk_snapshot_append_color (snapshot, &bg, &GRAPHENE_RECT_INIT (0, height - h - 8, width, h + 8));
  gtk_snapshot_save (snapshot);
  gtk_snapshot_translate (snapshot, &GRAPHENE_POINT_INIT (6, height - h - 4));
  gtk_snapshot_append_layout (snapshot, layout, &fg);
  gtk_snapshot_restore (snapshot);
}

static void
ol_gui_image_view_snapshot (GtkWidget *widget, GtkSnapshot *snapshot)
{
  OlGuiImageView *self = OL_GUI_IMAGE_VIEW (widget);
  double width = gtk_widget_get_width (widget);
  double height = gtk_widget_get_height (widget);
  GdkRGBA black = { 0.1, 0.1, 0.1, 1 };

  gtk_snapshot_append_color (snapshot, &black, &GRAPHENE_RECT_INIT (0, 0, width, height));
  if (self->texture != NULL)
    {
      /* Fit, keeping the aspect ratio, centred. */
      double tw = gdk_texture_get_width (self->texture);
      double th = gdk_texture_get_height (self->texture);
      double scale = MIN (width / tw, height / th);
      double w = tw * scale, h = th * scale;

      gtk_snapshot_append_texture (snapshot, self->texture,
                                   &GRAPHENE_RECT_INIT ((width - w) / 2, (height - h) / 2, w, h));
    }
  s_caption (self, snapshot, width, height);
}

static void
ol_gui_image_view_measure (GtkWidget *widget, GtkOrientation orientation, int for_size,
                           int *minimum, int *natural, int *minimum_baseline,
                           int *natural_baseline)
{
  (void) widget;
  (void) for_size;
  *minimum = orientation == GTK_ORIENTATION_HORIZONTAL ? 160 : 120;
  *natural = orientation == GTK_ORIENTATION_HORIZONTAL ? 480 : 240;
  *minimum_baseline = *natural_baseline = -1;
}

static void
ol_gui_image_view_dispose (GObject *object)
{
  OlGuiImageView *self = OL_GUI_IMAGE_VIEW (object);

  if (self->tick_id != 0)
    gtk_widget_remove_tick_callback (GTK_WIDGET (self), self->tick_id);
  self->tick_id = 0;
  g_clear_pointer (&self->pending, g_bytes_unref);
  g_clear_object (&self->texture);
  G_OBJECT_CLASS (ol_gui_image_view_parent_class)->dispose (object);
}

static void
ol_gui_image_view_finalize (GObject *object)
{
  OlGuiImageView *self = OL_GUI_IMAGE_VIEW (object);

  g_clear_pointer (&self->name, g_free);
  g_clear_pointer (&self->error, g_free);
  G_OBJECT_CLASS (ol_gui_image_view_parent_class)->finalize (object);
}

static void
ol_gui_image_view_class_init (OlGuiImageViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = ol_gui_image_view_dispose;
  object_class->finalize = ol_gui_image_view_finalize;
  widget_class->snapshot = ol_gui_image_view_snapshot;
  widget_class->measure = ol_gui_image_view_measure;
  gtk_widget_class_set_css_name (widget_class, "olimageview");
}

static void
ol_gui_image_view_init (OlGuiImageView *self)
{
  gtk_widget_set_hexpand (GTK_WIDGET (self), TRUE);
  gtk_widget_set_vexpand (GTK_WIDGET (self), TRUE);
  gtk_widget_set_overflow (GTK_WIDGET (self), GTK_OVERFLOW_HIDDEN);
}

GtkWidget *
ol_gui_image_view_new (const char *name)
{
  OlGuiImageView *self = g_object_new (OL_GUI_TYPE_IMAGE_VIEW, NULL);

  self->name = g_strdup (name);
  return GTK_WIDGET (self);
}

void
ol_gui_image_view_push (OlGuiImageView *self, const OlStreamMessage *message)
{
  g_return_if_fail (OL_GUI_IS_IMAGE_VIEW (self));
  g_return_if_fail (message != NULL && message->payload != NULL);
  self->received++;
  if (self->pending != NULL)
    self->dropped++;   /* a newer frame came before a tick showed this one */
  g_clear_pointer (&self->pending, g_bytes_unref);
  self->pending = g_bytes_ref (message->payload);
  self->pending_info = message->image;
  if (self->error != NULL)
    {
      g_clear_pointer (&self->error, g_free);
      gtk_widget_queue_draw (GTK_WIDGET (self));
    }
  if (self->tick_id == 0)
    self->tick_id = gtk_widget_add_tick_callback (GTK_WIDGET (self), s_tick, NULL, NULL);
}

void
ol_gui_image_view_count_skipped (OlGuiImageView *self, guint64 n)
{
  g_return_if_fail (OL_GUI_IS_IMAGE_VIEW (self));
  self->received += n;
  self->dropped += n;
}

void
ol_gui_image_view_set_error (OlGuiImageView *self, const char *message)
{
  g_return_if_fail (OL_GUI_IS_IMAGE_VIEW (self));
  g_free (self->error);
  self->error = g_strdup (message);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

guint64
ol_gui_image_view_get_frames_received (OlGuiImageView *self)
{
  g_return_val_if_fail (OL_GUI_IS_IMAGE_VIEW (self), 0);
  return self->received;
}

guint64
ol_gui_image_view_get_frames_shown (OlGuiImageView *self)
{
  g_return_val_if_fail (OL_GUI_IS_IMAGE_VIEW (self), 0);
  return self->shown;
}

guint64
ol_gui_image_view_get_frames_dropped (OlGuiImageView *self)
{
  g_return_val_if_fail (OL_GUI_IS_IMAGE_VIEW (self), 0);
  return self->dropped;
}

void
ol_gui_image_view_reset_counters (OlGuiImageView *self)
{
  g_return_if_fail (OL_GUI_IS_IMAGE_VIEW (self));
  self->received = self->shown = self->dropped = 0;
}
