/* oneliner-gui: OlGuiStreamRow, one stream in the streams list. */
#include "ol-gui-stream-row.h"

struct _OlGuiStreamRow {
  GtkListBoxRow parent_instance;

  char *name;               /* (owned) */
  GtkLabel *name_label;     /* (unowned) children of the row */
  GtkLabel *info_label;
  GtkLabel *stats_label;
  GtkLabel *level_label;
  GtkCheckButton *view_check;
  GtkSwitch *enable_switch;

  gboolean server_enabled;  /* as the server last reported it */
  gboolean pending;         /* a request of the switch waits for its answer */
  gboolean updating;        /* the switch is being set from the server's state */
  gboolean client_stats;    /* the stats label shows client-side statistics */
  char *error;              /* (owned) (nullable) the last failed request */
  OlEncoding encoding;
  OlImageInfo image;
  json_t *description_json;       /* (owned) (nullable) as the server sent it */
  OlGuiDescription *description;  /* (owned) (nullable) parsed from it */
  OlGuiLevel level;
  guint64 warnings;
  guint64 alarms;
};

G_DEFINE_FINAL_TYPE (OlGuiStreamRow, ol_gui_stream_row, GTK_TYPE_LIST_BOX_ROW)

enum { ENABLE_REQUESTED, VIEW_TOGGLED, N_SIGNALS };
static guint signals[N_SIGNALS];

static void
ol_gui_stream_row_finalize (GObject *object)
{
  OlGuiStreamRow *self = OL_GUI_STREAM_ROW (object);

  g_clear_pointer (&self->name, g_free);
  g_clear_pointer (&self->error, g_free);
  g_clear_pointer (&self->description_json, json_decref);
  g_clear_pointer (&self->description, ol_gui_description_unref);
  G_OBJECT_CLASS (ol_gui_stream_row_parent_class)->finalize (object);
}

static void
ol_gui_stream_row_class_init (OlGuiStreamRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = ol_gui_stream_row_finalize;
  signals[ENABLE_REQUESTED] = g_signal_new ("enable-requested", G_TYPE_FROM_CLASS (klass),
                                            G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                            G_TYPE_NONE, 1, G_TYPE_BOOLEAN);
  signals[VIEW_TOGGLED] = g_signal_new ("view-toggled", G_TYPE_FROM_CLASS (klass),
                                        G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                        G_TYPE_NONE, 1, G_TYPE_BOOLEAN);
}

/* The user flipped the switch (or the self-test did, through the widget). */
static gboolean
s_on_state_set (GtkSwitch *sw, gboolean state, OlGuiStreamRow *self)
{
  (void) sw;
  if (self->updating)
    return FALSE;
  self->pending = TRUE;
  g_clear_pointer (&self->error, g_free);
  gtk_widget_add_css_class (GTK_WIDGET (self->enable_switch), "ol-pending");
  g_signal_emit (self, signals[ENABLE_REQUESTED], 0, state);
  /* Keep the switch's state until the server has answered. */
  return TRUE;
}

static void
s_on_view_toggled (GtkCheckButton *check, OlGuiStreamRow *self)
{
  g_signal_emit (self, signals[VIEW_TOGGLED], 0, gtk_check_button_get_active (check));
}

static void
ol_gui_stream_row_init (OlGuiStreamRow *self)
{
  GtkWidget *grid = gtk_grid_new ();
  GtkWidget *w;

  gtk_grid_set_column_spacing (GTK_GRID (grid), 8);
  gtk_grid_set_row_spacing (GTK_GRID (grid), 2);
  gtk_widget_set_margin_start (grid, 8);
  gtk_widget_set_margin_end (grid, 8);
  gtk_widget_set_margin_top (grid, 6);
  gtk_widget_set_margin_bottom (grid, 6);

  w = gtk_label_new (NULL);
  gtk_label_set_xalign (GTK_LABEL (w), 0);
  gtk_label_set_ellipsize (GTK_LABEL (w), PANGO_ELLIPSIZE_END);
  gtk_widget_set_hexpand (w, TRUE);
  gtk_widget_add_css_class (w, "heading");
  gtk_grid_attach (GTK_GRID (grid), w, 0, 0, 1, 1);
  self->name_label = GTK_LABEL (w);

  w = gtk_check_button_new_with_label ("View");
  gtk_widget_set_tooltip_text (w, "Subscribe to the stream and show it live");
  g_signal_connect (w, "toggled", G_CALLBACK (s_on_view_toggled), self);
  gtk_grid_attach (GTK_GRID (grid), w, 1, 0, 1, 1);
  self->view_check = GTK_CHECK_BUTTON (w);

  w = gtk_switch_new ();
  gtk_widget_set_valign (w, GTK_ALIGN_CENTER);
  gtk_widget_set_tooltip_text (w, "Enabled on the server (for every client)");
  g_signal_connect (w, "state-set", G_CALLBACK (s_on_state_set), self);
  gtk_grid_attach (GTK_GRID (grid), w, 2, 0, 1, 1);
  self->enable_switch = GTK_SWITCH (w);

  w = gtk_label_new (NULL);
  gtk_label_set_xalign (GTK_LABEL (w), 0);
  gtk_label_set_ellipsize (GTK_LABEL (w), PANGO_ELLIPSIZE_END);
  gtk_widget_add_css_class (w, "dim-label");
  gtk_widget_add_css_class (w, "caption");
  gtk_grid_attach (GTK_GRID (grid), w, 0, 1, 3, 1);
  self->info_label = GTK_LABEL (w);

  w = gtk_label_new ("");
  gtk_label_set_xalign (GTK_LABEL (w), 0);
  gtk_label_set_ellipsize (GTK_LABEL (w), PANGO_ELLIPSIZE_END);
  gtk_widget_add_css_class (w, "caption");
  gtk_widget_add_css_class (w, "numeric");
  gtk_grid_attach (GTK_GRID (grid), w, 0, 2, 3, 1);
  self->stats_label = GTK_LABEL (w);

  w = gtk_label_new ("");
  gtk_label_set_xalign (GTK_LABEL (w), 0);
  gtk_label_set_ellipsize (GTK_LABEL (w), PANGO_ELLIPSIZE_END);
  gtk_widget_add_css_class (w, "caption");
  gtk_widget_add_css_class (w, "numeric");
  gtk_widget_add_css_class (w, "ol-level");
  gtk_widget_set_visible (w, FALSE);
  gtk_grid_attach (GTK_GRID (grid), w, 0, 3, 3, 1);
  self->level_label = GTK_LABEL (w);

  gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (self), grid);
  gtk_list_box_row_set_selectable (GTK_LIST_BOX_ROW (self), FALSE);
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (self), FALSE);
}

OlGuiStreamRow *
ol_gui_stream_row_new (const char *name)
{
  OlGuiStreamRow *self;

  g_return_val_if_fail (name != NULL, NULL);
  self = g_object_new (OL_GUI_TYPE_STREAM_ROW, NULL);
  self->name = g_strdup (name);
  gtk_label_set_text (self->name_label, name);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->name_label), name);
  return self;
}

const char *
ol_gui_stream_row_get_name (OlGuiStreamRow *self)
{
  g_return_val_if_fail (OL_GUI_IS_STREAM_ROW (self), NULL);
  return self->name;
}

/* Shows the server's state on the switch without asking the server. */
static void
s_show_server_state (OlGuiStreamRow *self)
{
  self->updating = TRUE;
  gtk_switch_set_active (self->enable_switch, self->server_enabled);
  gtk_switch_set_state (self->enable_switch, self->server_enabled);
  self->updating = FALSE;
  gtk_widget_remove_css_class (GTK_WIDGET (self->enable_switch), "ol-pending");
}

static void
s_show_server_stats (OlGuiStreamRow *self, json_t *stats)
{
  g_autofree char *text = NULL;

  if (self->error != NULL)
    text = g_strdup_printf ("switch failed: %s", self->error);
  else if (self->client_stats)
    return;
  else if (json_is_object (stats))
    {
      gint64 warnings = (gint64) json_integer_value (json_object_get (stats, "warnings"));
      gint64 alarms = (gint64) json_integer_value (json_object_get (stats, "alarms"));

      text = g_strdup_printf ("server: %.1f msg/s · %" G_GINT64_FORMAT " sent · %"
                              G_GINT64_FORMAT " dropped",
                              json_number_value (json_object_get (stats, "rate")),
                              (gint64) json_integer_value (json_object_get (stats, "sent")),
                              (gint64) json_integer_value (json_object_get (stats, "dropped")));
      if (warnings > 0 || alarms > 0)
        {
          char *more = g_strdup_printf ("%s · %" G_GINT64_FORMAT " warnings · %"
                                        G_GINT64_FORMAT " alarms", text, warnings, alarms);
          g_free (text);
          text = more;
        }
    }
  else
    text = g_strdup ("");
  gtk_label_set_text (self->stats_label, text);
}

static gboolean
s_has_limits (const OlGuiDescription *d)
{
  if (d == NULL)
    return FALSE;
  for (guint i = 0; i < d->n_fields; i++)
    if (d->fields[i].limits.flags != 0)
      return TRUE;
  return d->limits.flags != 0;
}

static void
s_show_level (OlGuiStreamRow *self)
{
  g_autofree char *text = NULL;
  gboolean shown = s_has_limits (self->description) || self->warnings > 0 || self->alarms > 0;

  gtk_widget_remove_css_class (GTK_WIDGET (self), "ol-alarm");
  gtk_widget_remove_css_class (GTK_WIDGET (self), "ol-warning");
  if (self->level == OL_GUI_LEVEL_ALARM)
    gtk_widget_add_css_class (GTK_WIDGET (self), "ol-alarm");
  else if (self->level == OL_GUI_LEVEL_WARNING)
    gtk_widget_add_css_class (GTK_WIDGET (self), "ol-warning");
  gtk_widget_set_visible (GTK_WIDGET (self->level_label), shown);
  if (!shown)
    return;
  text = g_strdup_printf ("%s · %" G_GUINT64_FORMAT " in warning · %" G_GUINT64_FORMAT
                          " in alarm",
                          self->level == OL_GUI_LEVEL_ALARM ? "ALARM"
                          : self->level == OL_GUI_LEVEL_WARNING ? "WARNING" : "within limits",
                          self->warnings, self->alarms);
  gtk_label_set_text (self->level_label, text);
}

/* The description of the latest "streams" entry; TRUE if it changed. */
static gboolean
s_update_description (OlGuiStreamRow *self, json_t *json)
{
  g_autofree char *tooltip = NULL;

  if (!json_is_object (json))
    json = NULL;
  if (json == self->description_json
      || (json != NULL && self->description_json != NULL
          && json_equal (json, self->description_json)))
    return FALSE;
  g_clear_pointer (&self->description_json, json_decref);
  g_clear_pointer (&self->description, ol_gui_description_unref);
  if (json != NULL)
    {
      self->description_json = json_incref (json);
      self->description = ol_gui_description_parse (json);
    }
  if (self->description != NULL)
    {
      g_autofree char *text = ol_gui_description_format (self->description);
      tooltip = g_strdup_printf ("%s\n%s", self->name, text);
    }
  gtk_widget_set_tooltip_text (GTK_WIDGET (self), tooltip ? tooltip : self->name);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->name_label), tooltip ? tooltip : self->name);
  s_show_level (self);
  return TRUE;
}

gboolean
ol_gui_stream_row_update (OlGuiStreamRow *self, json_t *config)
{
  gboolean changed;
  g_autoptr (GString) info = g_string_new (NULL);
  const char *kind = json_string_value (json_object_get (config, "kind"));
  const char *encoding = json_string_value (json_object_get (config, "encoding"));
  json_t *hz = json_object_get (config, "hz");
  json_t *image = json_object_get (config, "image");

  g_return_val_if_fail (OL_GUI_IS_STREAM_ROW (self), FALSE);
  changed = s_update_description (self, json_object_get (config, "description"));
  g_string_append (info, kind ? kind : "stream");
  if (json_is_number (hz))
    g_string_append_printf (info, " · %g Hz", json_number_value (hz));
  if (encoding == NULL || !ol_encoding_from_name (encoding, &self->encoding))
    self->encoding = OL_ENCODING_RAW;
  g_string_append_printf (info, " · %s", encoding ? encoding : "?");
  if (json_is_object (image))
    {
      const char *format = json_string_value (json_object_get (image, "format"));

      self->image.width = (guint32) json_integer_value (json_object_get (image, "width"));
      self->image.height = (guint32) json_integer_value (json_object_get (image, "height"));
      self->image.format = g_strcmp0 (format, "gray8") == 0 ? OL_PIXEL_GRAY8
                         : g_strcmp0 (format, "gray16") == 0 ? OL_PIXEL_GRAY16
                         : g_strcmp0 (format, "rgb8") == 0 ? OL_PIXEL_RGB8 : OL_PIXEL_NONE;
      g_string_append_printf (info, " %u×%u %s", self->image.width, self->image.height,
                              format ? format : "?");
    }
  if (self->description != NULL && self->description->form != OL_GUI_FORM_NONE
      && self->description->form != OL_GUI_FORM_IMAGE)
    g_string_append_printf (info, " · %s", ol_gui_form_name (self->description->form));
  if (self->description != NULL && self->description->unit != NULL)
    g_string_append_printf (info, " in %s", self->description->unit);
  gtk_label_set_text (self->info_label, info->str);

  self->server_enabled = json_is_true (json_object_get (config, "enabled"));
  if (!self->pending)
    s_show_server_state (self);
  s_show_server_stats (self, json_object_get (config, "stats"));
  return changed;
}

OlGuiDescription *
ol_gui_stream_row_get_description (OlGuiStreamRow *self)
{
  g_return_val_if_fail (OL_GUI_IS_STREAM_ROW (self), NULL);
  return self->description;
}

void
ol_gui_stream_row_set_level (OlGuiStreamRow *self, OlGuiLevel level, guint64 warnings,
                             guint64 alarms)
{
  g_return_if_fail (OL_GUI_IS_STREAM_ROW (self));
  if (self->level == level && self->warnings == warnings && self->alarms == alarms)
    return;
  self->level = level;
  self->warnings = warnings;
  self->alarms = alarms;
  s_show_level (self);
}

OlGuiLevel
ol_gui_stream_row_get_level (OlGuiStreamRow *self)
{
  g_return_val_if_fail (OL_GUI_IS_STREAM_ROW (self), OL_GUI_LEVEL_NORMAL);
  return self->level;
}

guint64
ol_gui_stream_row_get_warnings (OlGuiStreamRow *self)
{
  g_return_val_if_fail (OL_GUI_IS_STREAM_ROW (self), 0);
  return self->warnings;
}

guint64
ol_gui_stream_row_get_alarms (OlGuiStreamRow *self)
{
  g_return_val_if_fail (OL_GUI_IS_STREAM_ROW (self), 0);
  return self->alarms;
}

gboolean
ol_gui_stream_row_get_server_enabled (OlGuiStreamRow *self)
{
  g_return_val_if_fail (OL_GUI_IS_STREAM_ROW (self), FALSE);
  return self->server_enabled;
}

OlEncoding
ol_gui_stream_row_get_encoding (OlGuiStreamRow *self)
{
  g_return_val_if_fail (OL_GUI_IS_STREAM_ROW (self), OL_ENCODING_RAW);
  return self->encoding;
}

gboolean
ol_gui_stream_row_get_image_info (OlGuiStreamRow *self, OlImageInfo *info)
{
  g_return_val_if_fail (OL_GUI_IS_STREAM_ROW (self), FALSE);
  if (self->encoding != OL_ENCODING_IMAGE)
    return FALSE;
  if (info != NULL)
    *info = self->image;
  return TRUE;
}

gboolean
ol_gui_stream_row_is_pending (OlGuiStreamRow *self)
{
  g_return_val_if_fail (OL_GUI_IS_STREAM_ROW (self), FALSE);
  return self->pending;
}

GtkSwitch *
ol_gui_stream_row_get_switch (OlGuiStreamRow *self)
{
  g_return_val_if_fail (OL_GUI_IS_STREAM_ROW (self), NULL);
  return self->enable_switch;
}

void
ol_gui_stream_row_finish_request (OlGuiStreamRow *self, gboolean enabled,
                                  const GError *error)
{
  g_return_if_fail (OL_GUI_IS_STREAM_ROW (self));
  self->pending = FALSE;
  if (error == NULL)
    self->server_enabled = enabled;
  else
    {
      g_free (self->error);
      self->error = g_strdup (error->message);
      s_show_server_stats (self, NULL);
    }
  s_show_server_state (self);
}

void
ol_gui_stream_row_set_viewed (OlGuiStreamRow *self, gboolean viewed)
{
  g_return_if_fail (OL_GUI_IS_STREAM_ROW (self));
  g_signal_handlers_block_by_func (self->view_check, s_on_view_toggled, self);
  gtk_check_button_set_active (self->view_check, viewed);
  g_signal_handlers_unblock_by_func (self->view_check, s_on_view_toggled, self);
}

gboolean
ol_gui_stream_row_get_viewed (OlGuiStreamRow *self)
{
  g_return_val_if_fail (OL_GUI_IS_STREAM_ROW (self), FALSE);
  return gtk_check_button_get_active (self->view_check);
}

void
ol_gui_stream_row_set_client_stats (OlGuiStreamRow *self, const OlGuiStreamStats *stats)
{
  g_autofree char *text = NULL;

  g_return_if_fail (OL_GUI_IS_STREAM_ROW (self));
  self->client_stats = stats != NULL;
  if (stats == NULL || self->error != NULL)
    return;
  text = ol_gui_stream_stats_format (stats);
  gtk_label_set_text (self->stats_label, text);
}
