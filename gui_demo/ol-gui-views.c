/* oneliner-gui: OlGuiViews, the live views of the streams a window shows. */
#include "ol-gui-views.h"

#include "oneliner/json.h"

typedef enum { VIEW_UNKNOWN, VIEW_PLOT, VIEW_FIELDS, VIEW_TRACE, VIEW_IMAGE, VIEW_VALUE } ViewKind;

typedef struct {
  ViewKind kind;
  OlGuiDescription *description; /* (owned) (nullable) */
  GPtrArray *series;       /* (owned) (nullable) VIEW_FIELDS: series name per field
                              of description->fields, NULL for fields not plotted */
  GtkWidget *trace;        /* (unowned) child of traces_box, VIEW_TRACE */
  GtkWidget *image;        /* (unowned) child of images_box, VIEW_IMAGE */
  GtkWidget *value_name;   /* (unowned) children of values_grid, VIEW_VALUE */
  GtkWidget *value_label;
} View;

struct _OlGuiViews {
  GtkBox parent_instance;

  OlGuiPlot *plot;          /* (unowned) children */
  GtkWidget *traces_box;
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
  g_clear_pointer (&v->description, ol_gui_description_unref);
  g_clear_pointer (&v->series, g_ptr_array_unref);
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
  gtk_widget_set_visible (self->traces_box,
                          gtk_widget_get_first_child (self->traces_box) != NULL);
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

  self->traces_box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  gtk_widget_set_vexpand (self->traces_box, TRUE);
  gtk_box_append (GTK_BOX (self), self->traces_box);

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

char *
ol_gui_views_field_series (const char *name, const char *field)
{
  return g_strconcat (name, ".", field, NULL);
}

/* A plot series for a number stream, with its description's unit and
 * limits. */
static void
s_make_plot (OlGuiViews *self, const char *name, View *v)
{
  OlGuiDescription *d = v->description;

  v->kind = VIEW_PLOT;
  ol_gui_plot_add_series (self->plot, name);
  if (d != NULL)
    ol_gui_plot_set_series_info (self->plot, name, name, 0, NULL, d->unit, &d->limits,
                                 d->precision);
}

/* One series per number field of an object stream: one lane for all of
 * them when their units agree, else a lane each. */
static void
s_make_fields (OlGuiViews *self, const char *name, View *v)
{
  OlGuiDescription *d = v->description;
  gboolean shared = ol_gui_description_same_units (d);

  v->kind = VIEW_FIELDS;
  v->series = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < d->n_fields; i++)
    {
      const OlGuiField *f = &d->fields[i];
      char *series;

      if (f->form != OL_GUI_FORM_NUMBER)
        {
          g_ptr_array_add (v->series, NULL);
          continue;
        }
      series = ol_gui_views_field_series (name, f->name);
      g_ptr_array_add (v->series, series);
      ol_gui_plot_add_series (self->plot, series);
      ol_gui_plot_set_series_info (self->plot, series, name, i, shared ? name : series, f->unit,
                                   &f->limits, f->precision);
    }
}

void
ol_gui_views_add_stream (OlGuiViews *self, const char *name, OlEncoding encoding,
                         OlGuiDescription *description)
{
  View *v;

  g_return_if_fail (OL_GUI_IS_VIEWS (self));
  g_return_if_fail (name != NULL);
  if (g_hash_table_contains (self->views, name))
    return;
  v = g_new0 (View, 1);
  v->description = description ? ol_gui_description_ref (description) : NULL;
  g_hash_table_insert (self->views, g_strdup (name), v);
  if (encoding == OL_ENCODING_JSON && description != NULL
      && description->form == OL_GUI_FORM_NUMBER)
    s_make_plot (self, name, v);
  else if (encoding == OL_ENCODING_JSON && description != NULL
           && description->form == OL_GUI_FORM_OBJECT
           && ol_gui_description_count_number_fields (description) > 0)
    s_make_fields (self, name, v);
  else if (encoding == OL_ENCODING_JSON && description != NULL
           && description->form == OL_GUI_FORM_ARRAY)
    {
      v->kind = VIEW_TRACE;
      v->trace = ol_gui_trace_new (name, description);
      gtk_box_append (GTK_BOX (self->traces_box), v->trace);
      s_update_visibility (self);
    }
  else if (encoding == OL_ENCODING_IMAGE)
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
  for (guint i = 0; v->series != NULL && i < v->series->len; i++)
    if (v->series->pdata[i] != NULL)
      ol_gui_plot_remove_series (self->plot, v->series->pdata[i]);
  if (v->trace != NULL)
    gtk_box_remove (GTK_BOX (self->traces_box), v->trace);
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
  if (v->kind == VIEW_TRACE)
    {
      /* Decoded when painted: only the newest trace of a frame ever is. */
      ol_gui_trace_push (OL_GUI_TRACE (v->trace), message);
      return;
    }
  if (message->encoding == OL_ENCODING_JSON && v->kind == VIEW_FIELDS)
    {
      g_autoptr (json_t) value = ol_stream_message_json (message, NULL);
      OlGuiLevel level = ol_gui_level_from_status (message->status);
      gboolean culprit = FALSE;

      if (!json_is_object (value))
        return;
      /* The fields whose values are beyond their limits carry the
       * message's level; if none is (the server judged otherwise), all do. */
      for (int pass = 0; pass < 2; pass++)
        for (guint i = 0; i < v->series->len; i++)
          {
            const OlGuiField *f = &v->description->fields[i];
            json_t *x = json_object_get (value, f->name);
            const char *series = v->series->pdata[i];
            OlGuiLevel field_level;

            if (series == NULL || !json_is_number (x))
              continue;
            field_level = MIN (level, ol_gui_limits_level (&f->limits, json_number_value (x)));
            if (pass == 0)
              {
                culprit = culprit || field_level != OL_GUI_LEVEL_NORMAL;
                ol_gui_plot_append (self->plot, series, message->timestamp,
                                    json_number_value (x));
              }
            else
              ol_gui_plot_set_series_level (self->plot, series, culprit ? field_level : level);
          }
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
            s_make_plot (self, message->name, v);
          else
            s_make_value (self, message->name, v);
        }
      if (v->kind == VIEW_PLOT)
        {
          if (json_is_number (value))
            {
              ol_gui_plot_append (self->plot, message->name, message->timestamp,
                                  json_number_value (value));
              ol_gui_plot_set_series_level (self->plot, message->name,
                                            ol_gui_level_from_status (message->status));
            }
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
  if (v->kind == VIEW_TRACE)
    {
      ol_gui_trace_set_error (OL_GUI_TRACE (v->trace), error->message);
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

OlGuiTrace *
ol_gui_views_get_trace (OlGuiViews *self, const char *name)
{
  View *v;

  g_return_val_if_fail (OL_GUI_IS_VIEWS (self), NULL);
  v = g_hash_table_lookup (self->views, name);
  return v != NULL && v->kind == VIEW_TRACE ? OL_GUI_TRACE (v->trace) : NULL;
}
