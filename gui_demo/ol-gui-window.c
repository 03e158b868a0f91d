/* oneliner-gui: OlGuiWindow, one window watching one server. */
#include "ol-gui-window.h"
#include "oneliner/json.h"

#include "ol-gui-record-bar.h"
#include "ol-gui-stream-stats.h"

/* At most this many messages are taken per watch call, so that a flood on
 * one stream cannot hold the main loop; the rest waits for the next call. */
#define MAX_TAKE_PER_CALL 2048
/* Queue depth of viewed JSON streams: a plot wants every point. */
#define PLOT_QUEUE_DEPTH 1024

struct _OlGuiWindow {
  GtkApplicationWindow parent_instance;

  /* template children */
  GtkLabel *subtitle_label;
  GtkEntry *rpc_entry;
  GtkEntry *stream_entry;
  GtkLabel *status_label;
  GtkRevealer *banner;
  GtkLabel *banner_label;
  GtkListBox *calls_list;
  OlGuiCallForm *call_form;
  OlGuiViews *views;
  GtkListBox *streams_list;
  OlGuiRecordBar *record_bar;

  OlGuiConnection *connection; /* (owned) (nullable) */
  int timeout_ms;
  GHashTable *rows;            /* (owned) name -> OlGuiStreamRow * (unowned, in streams_list) */
  GHashTable *stats;           /* (owned) name -> OlGuiStreamStats *, viewed streams */
  gboolean streams_seen;       /* the first "streams" result was applied */
  guint stats_id;
  char *selected_kind;         /* (owned) (nullable) the sidebar's selection */
  char *selected_instance;     /* (owned) (nullable) */
  char *selected_name;         /* (owned) (nullable) */
  gboolean rebuilding;         /* the sidebar is being rebuilt */
  gboolean banner_is_record;   /* the banner shows a recording's error */
  gboolean close_when_stopped; /* closing waits for the recording's file */
};

G_DEFINE_FINAL_TYPE (OlGuiWindow, ol_gui_window, GTK_TYPE_APPLICATION_WINDOW)

static void s_disconnect (OlGuiWindow *self);

static void
ol_gui_window_dispose (GObject *object)
{
  OlGuiWindow *self = OL_GUI_WINDOW (object);

  g_clear_handle_id (&self->stats_id, g_source_remove);
  s_disconnect (self);
  gtk_widget_dispose_template (GTK_WIDGET (self), OL_GUI_TYPE_WINDOW);
  G_OBJECT_CLASS (ol_gui_window_parent_class)->dispose (object);
}

static void
ol_gui_window_finalize (GObject *object)
{
  OlGuiWindow *self = OL_GUI_WINDOW (object);

  g_clear_pointer (&self->rows, g_hash_table_unref);
  g_clear_pointer (&self->stats, g_hash_table_unref);
  g_clear_pointer (&self->selected_kind, g_free);
  g_clear_pointer (&self->selected_instance, g_free);
  g_clear_pointer (&self->selected_name, g_free);
  G_OBJECT_CLASS (ol_gui_window_parent_class)->finalize (object);
}

/* ------------------------------------------------------------------------ */
/* The banner */

static void
s_show_banner (OlGuiWindow *self, const char *text, gboolean record)
{
  gtk_label_set_text (self->banner_label, text);
  gtk_revealer_set_reveal_child (self->banner, TRUE);
  self->banner_is_record = record;
}

static void
s_hide_banner (OlGuiWindow *self)
{
  gtk_revealer_set_reveal_child (self->banner, FALSE);
  self->banner_is_record = FALSE;
}

/* ------------------------------------------------------------------------ */
/* Connection state */

static void
s_on_state_changed (OlGuiConnection *connection, OlGuiWindow *self)
{
  const char *rpc = ol_gui_connection_get_rpc_endpoint (connection);
  const char *version = ol_gui_connection_get_server_version (connection);
  g_autofree char *status = NULL;

  switch (ol_gui_connection_get_state (connection))
    {
    case OL_GUI_CONNECTION_CONNECTED:
      status = g_strdup_printf ("connected · server %s", version ? version : "?");
      if (ol_gui_connection_get_stream_lost (connection))
        {
          g_autofree char *text = g_strdup_printf (
            "Stream server %s: connection lost (retrying)",
            ol_gui_connection_get_stream_endpoint (connection));

          s_show_banner (self, text, FALSE);
          gtk_widget_add_css_class (GTK_WIDGET (self->status_label), "error");
          break;
        }
      /* A recording's error stays until it is read or a recording starts. */
      if (!self->banner_is_record)
        s_hide_banner (self);
      gtk_widget_remove_css_class (GTK_WIDGET (self->status_label), "error");
      break;
    case OL_GUI_CONNECTION_NOT_RESPONDING:
      {
        const char *why = ol_gui_connection_get_last_error (connection);
        g_autofree char *text = g_strdup_printf ("Server %s is not responding (retrying)%s%s",
                                                 rpc, why ? ": " : "", why ? why : "");

        s_show_banner (self, text, FALSE);
        status = g_strdup ("not responding");
        gtk_widget_add_css_class (GTK_WIDGET (self->status_label), "error");
      }
      break;
    case OL_GUI_CONNECTION_CONNECTING:
    default:
      status = g_strdup ("connecting…");
      break;
    }
  gtk_label_set_text (self->status_label, status);
}

/* ------------------------------------------------------------------------ */
/* The sidebar of callables */

static void
s_add_header (OlGuiWindow *self, const char *text)
{
  GtkWidget *label = gtk_label_new (text);
  GtkWidget *row = gtk_list_box_row_new ();

  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_widget_add_css_class (label, "caption-heading");
  gtk_widget_add_css_class (label, "dim-label");
  gtk_widget_set_margin_top (label, 6);
  gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row), label);
  gtk_list_box_row_set_selectable (GTK_LIST_BOX_ROW (row), FALSE);
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), FALSE);
  gtk_list_box_append (self->calls_list, row);
}

static GtkListBoxRow *
s_add_callable (OlGuiWindow *self, const char *kind, const char *instance, const char *name,
                const char *detail)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *title = gtk_label_new (name);
  GtkWidget *sub = gtk_label_new (detail);
  GtkWidget *row = gtk_list_box_row_new ();

  gtk_label_set_xalign (GTK_LABEL (title), 0);
  gtk_label_set_xalign (GTK_LABEL (sub), 0);
  gtk_label_set_ellipsize (GTK_LABEL (sub), PANGO_ELLIPSIZE_END);
  gtk_widget_add_css_class (sub, "caption");
  gtk_widget_add_css_class (sub, "dim-label");
  gtk_widget_set_tooltip_text (row, detail);
  gtk_widget_set_margin_start (box, 12);
  gtk_box_append (GTK_BOX (box), title);
  gtk_box_append (GTK_BOX (box), sub);
  gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row), box);
  g_object_set_data_full (G_OBJECT (row), "ol-kind", g_strdup (kind), g_free);
  g_object_set_data_full (G_OBJECT (row), "ol-instance", g_strdup (instance), g_free);
  g_object_set_data_full (G_OBJECT (row), "ol-name", g_strdup (name), g_free);
  gtk_list_box_append (self->calls_list, row);
  return GTK_LIST_BOX_ROW (row);
}

static gboolean
s_is_selected (OlGuiWindow *self, const char *kind, const char *instance, const char *name)
{
  return g_strcmp0 (self->selected_kind, kind) == 0
    && g_strcmp0 (self->selected_instance, instance) == 0
    && g_strcmp0 (self->selected_name, name) == 0;
}

static void
s_on_callables_changed (OlGuiConnection *connection, OlGuiWindow *self)
{
  json_t *list = ol_gui_connection_get_callables (connection);
  json_t *instances = json_object_get (list, "instances");
  json_t *functions = json_object_get (list, "functions");
  json_t *named = json_object_get (list, "named_calls");
  GtkListBoxRow *reselect = NULL;
  GtkWidget *child;
  g_autoptr (GPtrArray) keys = NULL;

  /* Rebuilding drops the selection; put it back on the same callable. */
  self->rebuilding = TRUE;
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->calls_list))) != NULL)
    gtk_list_box_remove (self->calls_list, child);

  keys = ol_json_sorted_keys (instances);
  for (guint i = 0; i < keys->len; i++)
    {
      json_t *methods = json_object_get (instances, keys->pdata[i]);
      g_autoptr (GPtrArray) mkeys = ol_json_sorted_keys (methods);

      s_add_header (self, keys->pdata[i]);
      for (guint k = 0; k < mkeys->len; k++)
        {
          json_t *d = json_object_get (methods, mkeys->pdata[k]);
          GtkListBoxRow *row = s_add_callable (self, "method", keys->pdata[i], mkeys->pdata[k],
                                               json_string_value (json_object_get (d, "signature")));
          if (s_is_selected (self, "method", keys->pdata[i], mkeys->pdata[k]))
            reselect = row;
        }
    }
  g_clear_pointer (&keys, g_ptr_array_unref);
  keys = ol_json_sorted_keys (functions);
  if (keys->len > 0)
    s_add_header (self, "Functions");
  for (guint i = 0; i < keys->len; i++)
    {
      json_t *d = json_object_get (functions, keys->pdata[i]);
      GtkListBoxRow *row = s_add_callable (self, "function", NULL, keys->pdata[i],
                                           json_string_value (json_object_get (d, "signature")));
      if (s_is_selected (self, "function", NULL, keys->pdata[i]))
        reselect = row;
    }
  g_clear_pointer (&keys, g_ptr_array_unref);
  keys = ol_json_sorted_keys (named);
  if (keys->len > 0)
    s_add_header (self, "Named calls");
  for (guint i = 0; i < keys->len; i++)
    {
      json_t *n = json_object_get (named, keys->pdata[i]);
      const char *object = json_string_value (json_object_get (n, "object"));
      char *args = ol_json_dumps (json_object_get (n, "args"), JSON_ENCODE_ANY | JSON_COMPACT);
      char *kwargs = ol_json_dumps (json_object_get (n, "kwargs"), JSON_ENCODE_ANY | JSON_COMPACT);
      g_autofree char *detail = g_strdup_printf ("= %s%s%s %s %s", object ? object : "",
                                                 object ? "." : "",
                                                 json_string_value (json_object_get (n, "method")),
                                                 args ? args : "[]", kwargs ? kwargs : "{}");
      GtkListBoxRow *row = s_add_callable (self, "named", NULL, keys->pdata[i], detail);

      free (args);
      free (kwargs);
      if (s_is_selected (self, "named", NULL, keys->pdata[i]))
        reselect = row;
    }
  /* The form of a callable that is still there keeps what the user typed. */
  if (reselect != NULL)
    gtk_list_box_select_row (self->calls_list, reselect);
  self->rebuilding = FALSE;
  if (reselect == NULL && self->selected_kind != NULL)
    {
      /* The callable is gone from the server. */
      g_clear_pointer (&self->selected_kind, g_free);
      ol_gui_call_form_clear (self->call_form);
    }
}

static void
s_on_call_selected (OlGuiWindow *self, GtkListBoxRow *row)
{
  json_t *list;
  const char *kind, *instance, *name;

  if (row == NULL || self->connection == NULL || self->rebuilding)
    return;
  kind = g_object_get_data (G_OBJECT (row), "ol-kind");
  instance = g_object_get_data (G_OBJECT (row), "ol-instance");
  name = g_object_get_data (G_OBJECT (row), "ol-name");
  if (kind == NULL)
    return;
  g_free (self->selected_kind);
  self->selected_kind = g_strdup (kind);
  g_free (self->selected_instance);
  self->selected_instance = g_strdup (instance);
  g_free (self->selected_name);
  self->selected_name = g_strdup (name);

  list = ol_gui_connection_get_callables (self->connection);
  if (g_str_equal (kind, "method"))
    ol_gui_call_form_show_method (self->call_form, instance, name,
                                  json_object_get (json_object_get (json_object_get (list, "instances"),
                                                                    instance), name));
  else if (g_str_equal (kind, "function"))
    ol_gui_call_form_show_method (self->call_form, NULL, name,
                                  json_object_get (json_object_get (list, "functions"), name));
  else
    ol_gui_call_form_show_named (self->call_form, name,
                                 json_object_get (json_object_get (list, "named_calls"), name));
}

gboolean
ol_gui_window_select_callable (OlGuiWindow *self, const char *instance, const char *method)
{
  GtkWidget *child;

  g_return_val_if_fail (OL_GUI_IS_WINDOW (self), FALSE);
  for (child = gtk_widget_get_first_child (GTK_WIDGET (self->calls_list)); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      const char *kind = g_object_get_data (G_OBJECT (child), "ol-kind");

      if (kind != NULL && !g_str_equal (kind, "named")
          && g_strcmp0 (g_object_get_data (G_OBJECT (child), "ol-instance"), instance) == 0
          && g_strcmp0 (g_object_get_data (G_OBJECT (child), "ol-name"), method) == 0)
        {
          gtk_list_box_select_row (self->calls_list, GTK_LIST_BOX_ROW (child));
          /* Focus scrolls the sidebar to it. */
          gtk_widget_grab_focus (child);
          return TRUE;
        }
    }
  return FALSE;
}

/* ------------------------------------------------------------------------ */
/* Streams */

static void
s_view (OlGuiWindow *self, OlGuiStreamRow *row, gboolean view)
{
  const char *name = ol_gui_stream_row_get_name (row);
  OlEncoding encoding = ol_gui_stream_row_get_encoding (row);
  OlGuiDescription *description = ol_gui_stream_row_get_description (row);
  gboolean trace = encoding == OL_ENCODING_JSON && description != NULL
                   && description->form == OL_GUI_FORM_ARRAY;
  g_autoptr (GError) error = NULL;

  ol_gui_stream_row_set_viewed (row, view);
  if (!view)
    {
      ol_gui_connection_unsubscribe (self->connection, name);
      ol_gui_views_remove_stream (self->views, name);
      g_hash_table_remove (self->stats, name);
      ol_gui_stream_row_set_client_stats (row, NULL);
      ol_gui_stream_row_set_level (row, OL_GUI_LEVEL_NORMAL, 0, 0);
      return;
    }
  if (ol_gui_connection_is_subscribed (self->connection, name))
    return;
  /* A live view keeps the latest message (cache): a picture or a trace
   * shows only the newest one anyway. A plot wants every point: a bounded
   * queue, emptied at every watch call. */
  if (!ol_gui_connection_subscribe (self->connection, name,
                                    encoding == OL_ENCODING_JSON && !trace ? OL_STORAGE_QUEUE
                                                                           : OL_STORAGE_CACHE,
                                    PLOT_QUEUE_DEPTH, &error))
    {
      g_warning ("cannot subscribe to %s: %s", name, error->message);
      ol_gui_stream_row_set_viewed (row, FALSE);
      return;
    }
  g_hash_table_insert (self->stats, g_strdup (name), g_new0 (OlGuiStreamStats, 1));
  ol_gui_views_add_stream (self->views, name, encoding, description);
}

static void
s_on_view_toggled (OlGuiStreamRow *row, gboolean viewed, OlGuiWindow *self)
{
  s_view (self, row, viewed);
}

typedef struct {
  GWeakRef row;
  gboolean enabled;
} EnableData;

static void
s_enable_data_free (EnableData *data)
{
  g_weak_ref_clear (&data->row);
  g_free (data);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EnableData, s_enable_data_free)

static void
s_enable_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (EnableData) data = user_data;
  g_autoptr (OlGuiStreamRow) row = g_weak_ref_get (&data->row);
  g_autoptr (GError) error = NULL;

  ol_gui_connection_set_stream_enabled_finish (OL_GUI_CONNECTION (source), result, &error);
  if (row == NULL || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  ol_gui_stream_row_finish_request (row, data->enabled, error);
}

static void
s_on_enable_requested (OlGuiStreamRow *row, gboolean enabled, OlGuiWindow *self)
{
  EnableData *data = g_new0 (EnableData, 1);

  g_weak_ref_init (&data->row, row);
  data->enabled = enabled;
  /* Switching a stream on from here is asking to see it. */
  if (enabled && !ol_gui_stream_row_get_viewed (row))
    s_view (self, row, TRUE);
  ol_gui_connection_set_stream_enabled_async (self->connection,
                                              ol_gui_stream_row_get_name (row), enabled,
                                              s_enable_done, data);
}

static int
s_sort_rows (GtkListBoxRow *a, GtkListBoxRow *b, gpointer data)
{
  (void) data;
  return g_strcmp0 (ol_gui_stream_row_get_name (OL_GUI_STREAM_ROW (a)),
                    ol_gui_stream_row_get_name (OL_GUI_STREAM_ROW (b)));
}

static void
s_remove_row (OlGuiWindow *self, OlGuiStreamRow *row)
{
  const char *name = ol_gui_stream_row_get_name (row);

  ol_gui_connection_unsubscribe (self->connection, name);
  ol_gui_views_remove_stream (self->views, name);
  g_hash_table_remove (self->stats, name);
  g_hash_table_remove (self->rows, name);
  gtk_list_box_remove (self->streams_list, GTK_WIDGET (row));
}

static void
s_on_streams_changed (OlGuiConnection *connection, OlGuiWindow *self)
{
  json_t *streams = ol_gui_connection_get_streams (connection);
  g_autoptr (GPtrArray) gone = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer name, row;
  const char *key;
  json_t *config;

  g_hash_table_iter_init (&iter, self->rows);
  while (g_hash_table_iter_next (&iter, &name, &row))
    if (json_object_get (streams, name) == NULL)
      g_ptr_array_add (gone, row);
  for (guint i = 0; i < gone->len; i++)
    s_remove_row (self, gone->pdata[i]);

  json_object_foreach (streams, key, config)
    {
      OlGuiStreamRow *r = g_hash_table_lookup (self->rows, key);
      gboolean created = r == NULL;

      if (created)
        {
          r = ol_gui_stream_row_new (key);
          g_signal_connect (r, "enable-requested", G_CALLBACK (s_on_enable_requested), self);
          g_signal_connect (r, "view-toggled", G_CALLBACK (s_on_view_toggled), self);
          g_hash_table_insert (self->rows, g_strdup (key), r);
          gtk_list_box_append (self->streams_list, GTK_WIDGET (r));
        }
      /* A viewed stream whose description changed is shown anew (its view
       * and its storage follow the description). */
      if (ol_gui_stream_row_update (r, config) && !created && ol_gui_stream_row_get_viewed (r))
        {
          s_view (self, r, FALSE);
          s_view (self, r, TRUE);
        }
      /* At first sight, show the JSON streams that run: the window is
       * useful at once; the user unchecks what is not wanted. */
      if (created && !self->streams_seen && ol_gui_stream_row_get_server_enabled (r)
          && ol_gui_stream_row_get_encoding (r) == OL_ENCODING_JSON)
        s_view (self, r, TRUE);
    }
  self->streams_seen = TRUE;
}

static void
s_on_stream_ready (OlGuiConnection *connection, const char *name, OlGuiWindow *self)
{
  OlClient *client = ol_gui_connection_get_client (connection);
  OlGuiStreamStats *stats = g_hash_table_lookup (self->stats, name);
  OlGuiStreamRow *row;
  OlStreamCounters counters;

  if (client == NULL || stats == NULL)
    return;
  for (int n = 0; n < MAX_TAKE_PER_CALL; n++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (OlStreamMessage) m = ol_client_get_stream (client, name, 0, &error);

      if (m == NULL)
        {
          if (g_error_matches (error, OL_ERROR, OL_ERROR_TIMEOUT)
              || g_error_matches (error, OL_ERROR, OL_ERROR_NOT_FOUND))
            break;
          /* An error message: the stream's callable failed this time. */
          ol_gui_views_push_error (self->views, name, error);
          continue;
        }
      ol_gui_stream_stats_take (stats, g_bytes_get_size (m->payload));
      stats->taken_any = TRUE;
      stats->last_status = m->status;
      stats->warnings_taken += (m->status & OL_STATUS_WARNING) != 0;
      stats->alarms_taken += (m->status & OL_STATUS_ALARM) != 0;
      ol_gui_views_push (self->views, m);
    }
  if (!ol_client_get_stream_counters (client, name, &counters, NULL))
    return;
  /* What a cache replaced before it was taken was not shown either. */
  if (counters.overflowed > stats->overflowed_seen)
    {
      ol_gui_views_count_skipped (self->views, name, counters.overflowed - stats->overflowed_seen);
      stats->overflowed_seen = counters.overflowed;
    }
  /* The level of the latest message, and the messages received in warning
   * and alarm: the client counts all it received, also those a cache
   * replaced before they were taken. */
  row = g_hash_table_lookup (self->rows, name);
  if (row != NULL && stats->taken_any)
    ol_gui_stream_row_set_level (row, ol_gui_level_from_status (stats->last_status),
                                 MAX (counters.warnings, stats->warnings_taken),
                                 MAX (counters.alarms, stats->alarms_taken));
}

static gboolean
s_sample_stats (gpointer data)
{
  OlGuiWindow *self = data;
  OlClient *client = self->connection ? ol_gui_connection_get_client (self->connection) : NULL;
  gint64 now = g_get_monotonic_time ();
  GHashTableIter iter;
  gpointer name, stats;

  if (client == NULL)
    return G_SOURCE_CONTINUE;
  g_hash_table_iter_init (&iter, self->stats);
  while (g_hash_table_iter_next (&iter, &name, &stats))
    {
      OlStreamCounters counters;
      OlGuiStreamRow *row = g_hash_table_lookup (self->rows, name);

      if (!ol_client_get_stream_counters (client, name, &counters, NULL))
        continue;
      ol_gui_stream_stats_sample (stats, &counters, now);
      if (row != NULL)
        ol_gui_stream_row_set_client_stats (row, stats);
    }
  return G_SOURCE_CONTINUE;
}

/* ------------------------------------------------------------------------ */
/* Recording */

static int
s_compare_names (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (*(const char *const *) a, *(const char *const *) b);
}

/* The streams the Record popover lists, the viewed ones checked. */
static char **
s_record_streams (gpointer data, char ***viewed)
{
  OlGuiWindow *self = data;
  g_autoptr (GPtrArray) names = g_ptr_array_new ();
  g_autoptr (GPtrArray) checked = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer name, row;

  g_hash_table_iter_init (&iter, self->rows);
  while (g_hash_table_iter_next (&iter, &name, &row))
    {
      g_ptr_array_add (names, g_strdup (name));
      if (ol_gui_stream_row_get_viewed (row))
        g_ptr_array_add (checked, g_strdup (name));
    }
  g_ptr_array_sort (names, s_compare_names);
  g_ptr_array_add (names, NULL);
  g_ptr_array_add (checked, NULL);
  *viewed = (char **) g_ptr_array_free (g_steal_pointer (&checked), FALSE);
  return (char **) g_ptr_array_free (g_steal_pointer (&names), FALSE);
}

static void
s_on_record_error (OlGuiRecordBar *bar, const char *message, OlGuiWindow *self)
{
  (void) bar;
  /* A window closing when the recording ends shows nothing for long. */
  if (self->close_when_stopped)
    g_warning ("%s", message);
  s_show_banner (self, message, TRUE);
}

static void
s_on_record_state (OlGuiRecordBar *bar, OlGuiWindow *self)
{
  OlGuiRecordState state = ol_gui_record_bar_get_state (bar);

  if (state == OL_GUI_RECORD_STARTING && self->banner_is_record)
    s_hide_banner (self);
  if (state == OL_GUI_RECORD_IDLE && self->close_when_stopped)
    gtk_window_destroy (GTK_WINDOW (self));
}

/* Closing while recording stops the recording first: the window closes when
 * the file is complete. */
static gboolean
ol_gui_window_close_request (GtkWindow *window)
{
  OlGuiWindow *self = OL_GUI_WINDOW (window);

  if (ol_gui_record_bar_get_state (self->record_bar) == OL_GUI_RECORD_IDLE)
    return GTK_WINDOW_CLASS (ol_gui_window_parent_class)->close_request (window);
  self->close_when_stopped = TRUE;
  ol_gui_record_bar_stop (self->record_bar);
  return TRUE;
}

/* ------------------------------------------------------------------------ */
/* Connecting */

static void
s_disconnect (OlGuiWindow *self)
{
  GtkWidget *child;

  if (self->connection == NULL)
    return;
  g_signal_handlers_disconnect_by_data (self->connection, self);
  ol_gui_connection_close (self->connection);
  g_clear_object (&self->connection);
  if (self->call_form != NULL)
    {
      ol_gui_call_form_set_connection (self->call_form, NULL);
      ol_gui_call_form_clear (self->call_form);
    }
  if (self->streams_list != NULL)
    {
      GHashTableIter iter;
      gpointer name;

      g_hash_table_iter_init (&iter, self->rows);
      while (g_hash_table_iter_next (&iter, &name, NULL))
        ol_gui_views_remove_stream (self->views, name);
      while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->streams_list))) != NULL)
        gtk_list_box_remove (self->streams_list, child);
    }
  if (self->calls_list != NULL)
    while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->calls_list))) != NULL)
      gtk_list_box_remove (self->calls_list, child);
  g_hash_table_remove_all (self->rows);
  g_hash_table_remove_all (self->stats);
  self->streams_seen = FALSE;
  g_clear_pointer (&self->selected_kind, g_free);
}

gboolean
ol_gui_window_connect (OlGuiWindow *self, const char *rpc, const char *stream, GError **error)
{
  OlGuiConnection *connection;
  g_autofree char *title = NULL;

  g_return_val_if_fail (OL_GUI_IS_WINDOW (self), FALSE);
  connection = ol_gui_connection_new (rpc, stream, self->timeout_ms, error);
  if (connection == NULL)
    return FALSE;
  s_disconnect (self);
  self->connection = connection;
  gtk_editable_set_text (GTK_EDITABLE (self->rpc_entry),
                         ol_gui_connection_get_rpc_endpoint (connection));
  gtk_editable_set_text (GTK_EDITABLE (self->stream_entry),
                         ol_gui_connection_get_stream_endpoint (connection));
  title = g_strdup_printf ("%s · streams %s", ol_gui_connection_get_rpc_endpoint (connection),
                           ol_gui_connection_get_stream_endpoint (connection));
  gtk_label_set_text (self->subtitle_label, title);
  g_free (title);
  title = g_strdup_printf ("oneliner — %s", ol_gui_connection_get_rpc_endpoint (connection));
  gtk_window_set_title (GTK_WINDOW (self), title);
  if (!self->banner_is_record)
    s_hide_banner (self);
  ol_gui_record_bar_set_server (self->record_bar, ol_gui_connection_get_rpc_endpoint (connection),
                                ol_gui_connection_get_stream_endpoint (connection));
  ol_gui_call_form_set_connection (self->call_form, connection);
  g_signal_connect (connection, "state-changed", G_CALLBACK (s_on_state_changed), self);
  g_signal_connect (connection, "callables-changed", G_CALLBACK (s_on_callables_changed), self);
  g_signal_connect (connection, "streams-changed", G_CALLBACK (s_on_streams_changed), self);
  g_signal_connect (connection, "stream-ready", G_CALLBACK (s_on_stream_ready), self);
  s_on_state_changed (connection, self);
  return TRUE;
}

static void
s_on_connect (OlGuiWindow *self)
{
  g_autoptr (GError) error = NULL;
  const char *rpc = gtk_editable_get_text (GTK_EDITABLE (self->rpc_entry));
  const char *stream = gtk_editable_get_text (GTK_EDITABLE (self->stream_entry));

  if (!ol_gui_window_connect (self, *rpc ? rpc : NULL, *stream ? stream : NULL, &error))
    {
      gtk_label_set_text (self->status_label, error->message);
      gtk_widget_add_css_class (GTK_WIDGET (self->status_label), "error");
    }
}

/* ------------------------------------------------------------------------ */

static void
ol_gui_window_class_init (OlGuiWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = ol_gui_window_dispose;
  object_class->finalize = ol_gui_window_finalize;
  GTK_WINDOW_CLASS (klass)->close_request = ol_gui_window_close_request;

  g_type_ensure (OL_GUI_TYPE_CALL_FORM);
  g_type_ensure (OL_GUI_TYPE_VIEWS);
  g_type_ensure (OL_GUI_TYPE_RECORD_BAR);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/oneliner/Gui/ol-gui-window.ui");
  gtk_widget_class_bind_template_child (widget_class, OlGuiWindow, subtitle_label);
  gtk_widget_class_bind_template_child (widget_class, OlGuiWindow, rpc_entry);
  gtk_widget_class_bind_template_child (widget_class, OlGuiWindow, stream_entry);
  gtk_widget_class_bind_template_child (widget_class, OlGuiWindow, status_label);
  gtk_widget_class_bind_template_child (widget_class, OlGuiWindow, banner);
  gtk_widget_class_bind_template_child (widget_class, OlGuiWindow, banner_label);
  gtk_widget_class_bind_template_child (widget_class, OlGuiWindow, calls_list);
  gtk_widget_class_bind_template_child (widget_class, OlGuiWindow, call_form);
  gtk_widget_class_bind_template_child (widget_class, OlGuiWindow, views);
  gtk_widget_class_bind_template_child (widget_class, OlGuiWindow, streams_list);
  gtk_widget_class_bind_template_child (widget_class, OlGuiWindow, record_bar);
  gtk_widget_class_bind_template_callback (widget_class, s_on_connect);
  gtk_widget_class_bind_template_callback (widget_class, s_on_call_selected);
}

static void
ol_gui_window_init (OlGuiWindow *self)
{
  self->rows = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->stats = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->timeout_ms = OL_CLIENT_DEFAULT_TIMEOUT_MS;
  gtk_widget_init_template (GTK_WIDGET (self));
  gtk_list_box_set_sort_func (self->streams_list, s_sort_rows, NULL, NULL);
  ol_gui_record_bar_set_streams_func (self->record_bar, s_record_streams, self);
  g_signal_connect (self->record_bar, "error", G_CALLBACK (s_on_record_error), self);
  g_signal_connect (self->record_bar, "state-changed", G_CALLBACK (s_on_record_state), self);
  self->stats_id = g_timeout_add_seconds (1, s_sample_stats, self);
}

OlGuiWindow *
ol_gui_window_new (GtkApplication *app, const char *rpc, const char *stream, int timeout_ms)
{
  OlGuiWindow *self = g_object_new (OL_GUI_TYPE_WINDOW, "application", app, NULL);
  g_autoptr (GError) error = NULL;

  self->timeout_ms = timeout_ms;
  if (!ol_gui_window_connect (self, rpc, stream, &error))
    {
      gtk_label_set_text (self->status_label, error->message);
      gtk_widget_add_css_class (GTK_WIDGET (self->status_label), "error");
    }
  return self;
}

OlGuiConnection *
ol_gui_window_get_connection (OlGuiWindow *self)
{
  g_return_val_if_fail (OL_GUI_IS_WINDOW (self), NULL);
  return self->connection;
}

OlGuiStreamRow *
ol_gui_window_get_stream_row (OlGuiWindow *self, const char *name)
{
  g_return_val_if_fail (OL_GUI_IS_WINDOW (self), NULL);
  return g_hash_table_lookup (self->rows, name);
}

OlGuiCallForm *
ol_gui_window_get_call_form (OlGuiWindow *self)
{
  g_return_val_if_fail (OL_GUI_IS_WINDOW (self), NULL);
  return self->call_form;
}

OlGuiRecordBar *
ol_gui_window_get_record_bar (OlGuiWindow *self)
{
  g_return_val_if_fail (OL_GUI_IS_WINDOW (self), NULL);
  return self->record_bar;
}

OlGuiViews *
ol_gui_window_get_views (OlGuiWindow *self)
{
  g_return_val_if_fail (OL_GUI_IS_WINDOW (self), NULL);
  return self->views;
}

const char *
ol_gui_window_get_banner_text (OlGuiWindow *self)
{
  g_return_val_if_fail (OL_GUI_IS_WINDOW (self), NULL);
  return gtk_revealer_get_reveal_child (self->banner) ? gtk_label_get_text (self->banner_label)
                                                      : NULL;
}
