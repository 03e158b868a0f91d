/* oneliner-gui: OlGuiViews, the live views of the streams a window shows. */
#include "ol-gui-views.h"

#include "oneliner/json.h"

typedef enum { VIEW_UNKNOWN, VIEW_PLOT, VIEW_IMAGE, VIEW_VALUE } ViewKind;

typedef struct {
  ViewKind kind;
  GtkWidget *image;        /* (unowned) child of images_box, VIEW_IMAGE */
  GtkWidget *value_name;   /* (unowned) children of values_grid, VIEW_VALUE */
  GtkWidget *value_label;
} View;

struct _OlGuiViews {
  GtkBox parent_instance;

  OlGuiPlot *plot;          /* (unowned) children */
  GtkWidget *images_box;
  GtkWidget *values_grid;
  GHashTable *views;        /* (owned) name -> View * */
  int value_rows;           /* rows ever attached to values_grid */
};

G_DEFINE_FINAL_TYPE (OlGuiViews, ol_gui_views, GTK_TYPE_BOX)

#define MAX_VALUE_CHARS 240

static void
s_view_free (View *v)
{
  /* The widgets are removed by ol_gui_views_remove_stream or the box. */
  g_free (v);
}

static void
ol_gui_views_finalize (GObject *object)
{
  OlGuiViews *self = OL_GUI_VIEWS (object);

  g_clear_pointer (&self->views, g_hash_table_unref);
  G_OBJECT_CLASS (ol_gui_views_parent_class)->finalize (object);
}

static void
ol_gui_views_class_init (OlGuiViewsClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = ol_gui_views_finalize;
}

static void
s_on_one_axis (GtkCheckButton *check, OlGuiViews *self)
{
  ol_gui_plot_set_lanes (self->plot, !gtk_check_button_get_active (check));
}

static void
s_update_visibility (OlGuiViews *self)
{
  gtk_widget_set_visible (self->images_box,
                          gtk_widget_get_first_child (self->images_box) != NULL);
  gtk_widget_set_visible (self->values_grid,
                          gtk_widget_get_first_child (self->values_grid) != NULL);
}

static void
ol_gui_views_init (OlGuiViews *self)
{
  GtkWidget *header = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 8);
  GtkWidget *w;

  self->views = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                       (GDestroyNotify) s_view_free);
  gtk_orientable_set_orientation (GTK_ORIENTABLE (self), GTK_ORIENTATION_VERTICAL);
  gtk_box_set_spacing (GTK_BOX (self), 6);

  w = gtk_label_new ("Live views");
  gtk_widget_add_css_class (w, "heading");
  gtk_label_set_xalign (GTK_LABEL (w), 0);
  gtk_widget_set_hexpand (w, TRUE);
  gtk_box_append (GTK_BOX (header), w);
  w = gtk_check_button_new_with_label ("One axis for all plots");
  gtk_widget_set_tooltip_text (w, "Plot every numeric stream on one value axis instead of "
                                  "one lane per stream");
  g_signal_connect (w, "toggled", G_CALLBACK (s_on_one_axis), self);
  gtk_box_append (GTK_BOX (header), w);
  gtk_box_append (GTK_BOX (self), header);

  self->plot = OL_GUI_PLOT (ol_gui_plot_new ());
  gtk_box_append (GTK_BOX (self), GTK_WIDGET (self->plot));

  self->images_box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  gtk_box_set_homogeneous (GTK_BOX (self->images_box), TRUE);
  gtk_widget_set_vexpand (self->images_box, TRUE);
  gtk_box_append (GTK_BOX (self), self->images_box);

  self->values_grid = gtk_grid_new ();
  gtk_grid_set_column_spacing (GTK_GRID (self->values_grid), 12);
  gtk_grid_set_row_spacing (GTK_GRID (self->values_grid), 2);
  gtk_box_append (GTK_BOX (self), self->values_grid);
  s_update_visibility (self);
}

GtkWidget *
ol_gui_views_new (void)
{
  return g_object_new (OL_GUI_TYPE_VIEWS, NULL);
}

static void
s_make_value (OlGuiViews *self, const char *name, View *v)
{
  v->kind = VIEW_VALUE;
  v->value_name = gtk_label_new (name);
  gtk_label_set_xalign (GTK_LABEL (v->value_name), 0);
  gtk_widget_add_css_class (v->value_name, "dim-label");
  v->value_label = gtk_label_new ("");
  gtk_label_set_xalign (GTK_LABEL (v->value_label), 0);
  gtk_label_set_selectable (GTK_LABEL (v->value_label), TRUE);
  gtk_label_set_ellipsize (GTK_LABEL (v->value_label), PANGO_ELLIPSIZE_END);
  gtk_widget_set_hexpand (v->value_label, TRUE);
  gtk_widget_add_css_class (v->value_label, "monospace");
  gtk_grid_attach (GTK_GRID (self->values_grid), v->value_name, 0, self->value_rows, 1, 1);
  gtk_grid_attach (GTK_GRID (self->values_grid), v->value_label, 1, self->value_rows, 1, 1);
  self->value_rows++;
  s_update_visibility (self);
}

void
ol_gui_views_add_stream (OlGuiViews *self, const char *name, OlEncoding encoding)
{
  View *v;

  g_return_if_fail (OL_GUI_IS_VIEWS (self));
  g_return_if_fail (name != NULL);
  if (g_hash_table_contains (self->views, name))
    return;
  v = g_new0 (View, 1);
  g_hash_table_insert (self->views, g_strdup (name), v);
  if (encoding == OL_ENCODING_IMAGE)
    {
      v->kind = VIEW_IMAGE;
      v->image = ol_gui_image_view_new (name);
      gtk_box_append (GTK_BOX (self->images_box), v->image);
      s_update_visibility (self);
    }
  else if (encoding == OL_ENCODING_RAW)
    s_make_value (self, name, v);
}

void
ol_gui_views_remove_stream (OlGuiViews *self, const char *name)
{
  View *v;

  g_return_if_fail (OL_GUI_IS_VIEWS (self));
  if ((v = g_hash_table_lookup (self->views, name)) == NULL)
    return;
  if (v->kind == VIEW_PLOT)
    ol_gui_plot_remove_series (self->plot, name);
  if (v->image != NULL)
    gtk_box_remove (GTK_BOX (self->images_box), v->image);
  if (v->value_name != NULL)
    {
      gtk_grid_remove (GTK_GRID (self->values_grid), v->value_name);
      gtk_grid_remove (GTK_GRID (self->values_grid), v->value_label);
    }
  g_hash_table_remove (self->views, name);
  s_update_visibility (self);
}

gboolean
ol_gui_views_has_stream (OlGuiViews *self, const char *name)
{
  g_return_val_if_fail (OL_GUI_IS_VIEWS (self), FALSE);
  return g_hash_table_contains (self->views, name);
}

static void
s_set_value (View *v, const char *text)
{
  g_autofree char *shown = NULL;

  if (g_utf8_strlen (text, -1) > MAX_VALUE_CHARS)
    {
      g_autofree char *cut = g_utf8_substring (text, 0, MAX_VALUE_CHARS);
      shown = g_strconcat (cut, "…", NULL);
    }
  gtk_label_set_text (GTK_LABEL (v->value_label), shown ? shown : text);
}

void
ol_gui_views_push (OlGuiViews *self, const OlStreamMessage *message)
{
  View *v;

  g_return_if_fail (OL_GUI_IS_VIEWS (self));
  g_return_if_fail (message != NULL);
  if ((v = g_hash_table_lookup (self->views, message->name)) == NULL)
    return;
  if (v->kind == VIEW_IMAGE)
    {
      ol_gui_image_view_push (OL_GUI_IMAGE_VIEW (v->image), message);
      return;
    }
  if (message->encoding == OL_ENCODING_JSON)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (json_t) value = ol_stream_message_json (message, &error);
      g_autofree char *text = NULL;

      if (v->kind == VIEW_UNKNOWN)
        {
          if (json_is_number (value))
            {
              v->kind = VIEW_PLOT;
              ol_gui_plot_add_series (self->plot, message->name);
            }
          else
            s_make_value (self, message->name, v);
        }
      if (v->kind == VIEW_PLOT)
        {
          if (json_is_number (value))
            ol_gui_plot_append (self->plot, message->name, message->timestamp,
                                json_number_value (value));
          return;
        }
      if (value == NULL)
        {
          text = g_strdup_printf ("(%s)", error->message);
          s_set_value (v, text);
        }
      else
        {
          char *dumped = json_dumps (value, JSON_ENCODE_ANY | JSON_COMPACT
                                            | JSON_REAL_PRECISION (10));
          s_set_value (v, dumped ? dumped : "?");
          free (dumped);
        }
      return;
    }
  if (v->kind == VIEW_UNKNOWN)
    s_make_value (self, message->name, v);
  if (v->kind == VIEW_VALUE)
    {
      gsize size;
      const guint8 *data = g_bytes_get_data (message->payload, &size);
      g_autoptr (GString) text = g_string_new (NULL);

      g_string_append_printf (text, "%" G_GSIZE_FORMAT " bytes:", size);
      for (gsize i = 0; i < MIN (size, 32); i++)
        g_string_append_printf (text, " %02x", data[i]);
      if (size > 32)
        g_string_append (text, " …");
      s_set_value (v, text->str);
    }
}

void
ol_gui_views_push_error (OlGuiViews *self, const char *name, const GError *error)
{
  View *v;
  g_autofree char *text = NULL;

  g_return_if_fail (OL_GUI_IS_VIEWS (self));
  if ((v = g_hash_table_lookup (self->views, name)) == NULL || error == NULL)
    return;
  if (v->kind == VIEW_IMAGE)
    {
      ol_gui_image_view_set_error (OL_GUI_IMAGE_VIEW (v->image), error->message);
      return;
    }
  if (v->kind == VIEW_UNKNOWN)
    s_make_value (self, name, v);
  if (v->kind == VIEW_VALUE)
    {
      text = g_strdup_printf ("error: %s", error->message);
      s_set_value (v, text);
    }
}

void
ol_gui_views_count_skipped (OlGuiViews *self, const char *name, guint64 n)
{
  OlGuiImageView *view;

  g_return_if_fail (OL_GUI_IS_VIEWS (self));
  if ((view = ol_gui_views_get_image_view (self, name)) != NULL)
    ol_gui_image_view_count_skipped (view, n);
}

OlGuiImageView *
ol_gui_views_get_image_view (OlGuiViews *self, const char *name)
{
  View *v;

  g_return_val_if_fail (OL_GUI_IS_VIEWS (self), NULL);
  v = g_hash_table_lookup (self->views, name);
  return v != NULL && v->kind == VIEW_IMAGE ? OL_GUI_IMAGE_VIEW (v->image) : NULL;
}

OlGuiPlot *
ol_gui_views_get_plot (OlGuiViews *self)
{
  g_return_val_if_fail (OL_GUI_IS_VIEWS (self), NULL);
  return self->plot;
}
