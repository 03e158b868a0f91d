/* oneliner-gui: OlGuiRecordBar, the streams pane's header with its Record
 * button. */
#include "ol-gui-record-bar.h"

#include <oneliner/oneliner.h>
#include <string.h>

#include "ol-gui-connection.h"

/* How often the figures are sampled while recording. */
#define STATS_INTERVAL_MS 500
#define KB 1e3
#define MB 1e6

struct _OlGuiRecordBar {
  GtkBox parent_instance;

  GtkLabel *title_label;
  GtkStack *stack;
  GtkMenuButton *record_button;
  GtkButton *stop_button;
  GtkBox *checks_box;          /* the popover's check buttons */
  GtkButton *choose_button;    /* "Record to file…" */
  GtkRevealer *status_revealer;
  GtkLabel *file_label;
  GtkLabel *figures_label;

  OlGuiRecordBarStreamsFunc streams_func;
  gpointer streams_data;
  char *rpc_endpoint;          /* (owned) (nullable) */
  char *stream_endpoint;       /* (owned) (nullable) */

  OlGuiRecordState state;
  OlRecorder *recorder;        /* (owned) (nullable) while RECORDING; moved to the
                                  stop thread when stopping */
  char *path;                  /* (owned) (nullable) the file of the recording */
  gboolean stop_requested;     /* Stop was asked while STARTING */
  char **chosen;               /* (owned) (nullable) streams checked, while the
                                  file dialog is open */
  GtkNativeDialog *dialog;     /* (owned) (nullable) the file dialog */
  guint stats_id;
  OlRecorderStats last;        /* the latest sample */
  gint64 last_us;              /* its time, 0 before the first */
  guint64 shown_messages;
  char *figures;               /* (owned) the figures as shown */
};

G_DEFINE_FINAL_TYPE (OlGuiRecordBar, ol_gui_record_bar, GTK_TYPE_BOX)

enum { STATE_CHANGED, ERROR, N_SIGNALS };
static guint signals[N_SIGNALS];

enum { PROP_0, PROP_TITLE, N_PROPS };
static GParamSpec *properties[N_PROPS];

/* Start and stop threads not back on the main loop (main thread only). */
static guint s_busy;

guint
ol_gui_record_bar_count_busy (void)
{
  return s_busy;
}

/* The first line of text, for a one-line message. (transfer full) */
static char *
s_first_line (const char *text)
{
  const char *end = strchr (text, '\n');

  return end ? g_strndup (text, end - text) : g_strdup (text);
}

static void
s_set_figures (OlGuiRecordBar *self, const char *text)
{
  g_free (self->figures);
  self->figures = g_strdup (text);
  gtk_label_set_text (self->figures_label, text);
}

static void
s_set_state (OlGuiRecordBar *self, OlGuiRecordState state)
{
  gboolean busy = state != OL_GUI_RECORD_IDLE;

  self->state = state;
  gtk_stack_set_visible_child_name (self->stack, busy ? "stop" : "record");
  gtk_widget_set_sensitive (GTK_WIDGET (self->stop_button), state != OL_GUI_RECORD_STOPPING);
  gtk_widget_set_sensitive (GTK_WIDGET (self->record_button), self->rpc_endpoint != NULL);
  if (busy)
    gtk_widget_add_css_class (GTK_WIDGET (self->file_label), "ol-recording");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->file_label), "ol-recording");
  g_signal_emit (self, signals[STATE_CHANGED], 0);
}

static void
s_show_file (OlGuiRecordBar *self, const char *what, gboolean busy)
{
  g_autofree char *base = g_path_get_basename (self->path);
  g_autofree char *text = g_strdup_printf ("%s%s %s",
                                           busy ? "● " : "",
                                           what, base);

  gtk_label_set_text (self->file_label, text);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->file_label), self->path);
  gtk_revealer_set_reveal_child (self->status_revealer, TRUE);
}

static void
s_emit_error (OlGuiRecordBar *self, const char *format, ...) G_GNUC_PRINTF (2, 3);

static void
s_emit_error (OlGuiRecordBar *self, const char *format, ...)
{
  va_list ap;
  g_autofree char *text = NULL;
  g_autofree char *line = NULL;

  va_start (ap, format);
  text = g_strdup_vprintf (format, ap);
  va_end (ap);
  line = s_first_line (text);
  g_signal_emit (self, signals[ERROR], 0, line);
}

/* ------------------------------------------------------------------------ */
/* Figures */

/* 512 B, 12.3 kB, 1.23 MB */
static void
s_append_size (GString *text, double bytes, const char *per)
{
  if (bytes >= MB)
    g_string_append_printf (text, "%.2f MB%s", bytes / MB, per);
  else if (bytes >= KB)
    g_string_append_printf (text, "%.1f kB%s", bytes / KB, per);
  else
    g_string_append_printf (text, "%.0f B%s", bytes, per);
}

static void
s_show_stats (OlGuiRecordBar *self, const OlRecorderStats *s, double bytes_per_s,
              double msgs_per_s, gboolean final)
{
  g_autoptr (GString) text = g_string_new (NULL);

  s_append_size (text, s->bytes, "");
  if (!final)
    {
      g_string_append (text, " · ");
      s_append_size (text, bytes_per_s, "/s");
      g_string_append_printf (text, " · %.0f msg/s", msgs_per_s);
    }
  g_string_append_printf (text, " · %" G_GUINT64_FORMAT " messages · %" G_GUINT64_FORMAT
                          " missed", s->messages, s->missed);
  if (s->overflowed > 0)
    g_string_append_printf (text, " · %" G_GUINT64_FORMAT " dropped (the writer was behind)",
                            s->overflowed);
  if (s->errors > 0)
    g_string_append_printf (text, " · %" G_GUINT64_FORMAT " errors", s->errors);
  self->shown_messages = s->messages;
  s_set_figures (self, text->str);
}

static gboolean
s_sample (gpointer data)
{
  OlGuiRecordBar *self = data;
  OlRecorderStats s;
  gint64 now = g_get_monotonic_time ();
  double bytes_per_s = 0, msgs_per_s = 0;

  if (self->recorder == NULL)
    return G_SOURCE_CONTINUE;
  ol_recorder_get_stats (self->recorder, &s);
  if (self->last_us != 0 && now > self->last_us)
    {
      double dt = (now - self->last_us) / (double) G_USEC_PER_SEC;

      bytes_per_s = (s.bytes - self->last.bytes) / dt;
      msgs_per_s = (s.messages - self->last.messages) / dt;
    }
  self->last = s;
  self->last_us = now;
  s_show_stats (self, &s, bytes_per_s, msgs_per_s, FALSE);
  /* A recording that failed (a full disk) is stopped at once: stopping
   * says why in the banner. */
  if (s.failed)
    {
      self->stats_id = 0;
      ol_gui_record_bar_stop (self);
      return G_SOURCE_REMOVE;
    }
  return G_SOURCE_CONTINUE;
}

/* ------------------------------------------------------------------------ */
/* Stopping, in a thread */

typedef struct {
  GWeakRef bar;                /* (nullable) the bar to tell */
  OlRecorder *recorder;        /* (owned) until the thread frees it */
  char *path;                  /* (owned) */
  OlRecorderStats final;       /* the figures of the complete file */
} StopData;

static void
s_stop_data_free (StopData *data)
{
  g_weak_ref_clear (&data->bar);
  g_clear_pointer (&data->recorder, ol_recorder_free);
  g_free (data->path);
  g_free (data);
}

static void
s_stop_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  StopData *data = task_data;
  GError *error = NULL;
  gboolean ok;

  (void) source;
  (void) cancellable;
  ok = ol_recorder_stop (data->recorder, &error);
  ol_recorder_get_stats (data->recorder, &data->final);
  g_clear_pointer (&data->recorder, ol_recorder_free);
  if (ok)
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static void
s_stop_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  StopData *data = g_task_get_task_data (G_TASK (result));
  g_autoptr (OlGuiRecordBar) self = g_weak_ref_get (&data->bar);
  g_autoptr (GError) error = NULL;
  gboolean ok = g_task_propagate_boolean (G_TASK (result), &error);

  (void) source;
  (void) user_data;
  s_busy--;
  if (!ok && self == NULL)
    g_warning ("the recording to %s failed: %s", data->path, error->message);
  if (self == NULL)
    return;
  s_show_file (self, ok ? "Recorded to" : "Failed:", FALSE);
  s_show_stats (self, &data->final, 0, 0, TRUE);
  /* The error first: the window may close when the bar is idle. */
  if (!ok)
    s_emit_error (self, "The recording to %s failed: %s (the file holds what was written "
                  "before)", data->path, error->message);
  s_set_state (self, OL_GUI_RECORD_IDLE);
}

/* Stops and frees recorder in a thread; bar (nullable) is told the outcome. */
static void
s_stop_in_thread (OlRecorder *recorder, const char *path, OlGuiRecordBar *bar)
{
  StopData *data = g_new0 (StopData, 1);
  g_autoptr (GTask) task = g_task_new (NULL, NULL, s_stop_done, NULL);

  g_weak_ref_init (&data->bar, bar);
  data->recorder = recorder;
  data->path = g_strdup (path);
  g_task_set_task_data (task, data, (GDestroyNotify) s_stop_data_free);
  g_task_set_name (task, "ol-gui-record-stop");
  s_busy++;
  g_task_run_in_thread (task, s_stop_thread);
}

void
ol_gui_record_bar_stop (OlGuiRecordBar *self)
{
  g_return_if_fail (OL_GUI_IS_RECORD_BAR (self));
  if (self->state == OL_GUI_RECORD_STARTING)
    {
      self->stop_requested = TRUE;
      return;
    }
  if (self->state != OL_GUI_RECORD_RECORDING)
    return;
  g_clear_handle_id (&self->stats_id, g_source_remove);
  /* Once in the stop thread, the recorder is that thread's alone. */
  s_stop_in_thread (g_steal_pointer (&self->recorder), self->path, self);
  s_show_file (self, "Finishing", TRUE);
  s_set_state (self, OL_GUI_RECORD_STOPPING);
}

/* ------------------------------------------------------------------------ */
/* Starting, in a thread */

typedef struct {
  GWeakRef bar;
  char *path;                  /* (owned) */
  char **streams;              /* (owned) */
  char *rpc_endpoint;          /* (owned) */
  char *stream_endpoint;       /* (owned) */
  char *secret_key_file;       /* (owned) (nullable) */
  char *server_key_file;       /* (owned) (nullable) */
} StartData;

static void
s_start_data_free (StartData *data)
{
  g_weak_ref_clear (&data->bar);
  g_free (data->path);
  g_strfreev (data->streams);
  g_free (data->rpc_endpoint);
  g_free (data->stream_endpoint);
  g_free (data->secret_key_file);
  g_free (data->server_key_file);
  g_free (data);
}

static void
s_start_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  StartData *data = task_data;
  OlRecorderOptions options = {
    .rpc_endpoint = data->rpc_endpoint,
    .stream_endpoint = data->stream_endpoint,
    .secret_key_file = data->secret_key_file,
    .server_key_file = data->server_key_file,
    .streams = (const char *const *) data->streams,
    .compression = OL_COMPRESSION_ZSTD,
  };
  GError *error = NULL;
  OlRecorder *recorder;

  (void) source;
  (void) cancellable;
  recorder = ol_recorder_start (data->path, &options, &error);
  if (recorder != NULL)
    g_task_return_pointer (task, recorder, (GDestroyNotify) ol_recorder_free);
  else
    g_task_return_error (task, error);
}

static void
s_start_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  StartData *data = g_task_get_task_data (G_TASK (result));
  g_autoptr (OlGuiRecordBar) self = g_weak_ref_get (&data->bar);
  g_autoptr (GError) error = NULL;
  OlRecorder *recorder = g_task_propagate_pointer (G_TASK (result), &error);

  (void) source;
  (void) user_data;
  s_busy--;
  if (self == NULL || self->state != OL_GUI_RECORD_STARTING)
    {
      /* The bar went away meanwhile: the file is finished all the same. */
      if (recorder != NULL)
        s_stop_in_thread (recorder, data->path, NULL);
      return;
    }
  if (recorder == NULL)
    {
      gtk_revealer_set_reveal_child (self->status_revealer, FALSE);
      /* The file's errors name it already. */
      if (strstr (error->message, data->path) != NULL)
        s_emit_error (self, "Cannot record: %s", error->message);
      else
        s_emit_error (self, "Cannot record to %s: %s", data->path, error->message);
      s_set_state (self, OL_GUI_RECORD_IDLE);
      return;
    }
  self->recorder = recorder;
  self->last_us = 0;
  s_show_file (self, "Recording to", TRUE);
  s_set_state (self, OL_GUI_RECORD_RECORDING);
  s_sample (self);
  self->stats_id = g_timeout_add (STATS_INTERVAL_MS, s_sample, self);
  if (self->stop_requested)
    ol_gui_record_bar_stop (self);
}

gboolean
ol_gui_record_bar_start (OlGuiRecordBar *self, const char *path, const char *const *streams,
                         GError **error)
{
  StartData *data;
  g_autoptr (GTask) task = NULL;
  const char *secret = NULL, *server = NULL;

  g_return_val_if_fail (OL_GUI_IS_RECORD_BAR (self), FALSE);
  g_return_val_if_fail (path != NULL && streams != NULL && streams[0] != NULL, FALSE);
  if (self->state != OL_GUI_RECORD_IDLE)
    {
      g_set_error (error, OL_ERROR, OL_ERROR_INVALID_ARGS,
                   "a recording is under way (to %s)", self->path);
      return FALSE;
    }
  if (self->rpc_endpoint == NULL)
    {
      g_set_error (error, OL_ERROR, OL_ERROR_INVALID_ARGS, "not connected to a server");
      return FALSE;
    }
  ol_gui_connection_get_keys (&secret, &server);
  data = g_new0 (StartData, 1);
  g_weak_ref_init (&data->bar, self);
  data->path = g_strdup (path);
  data->streams = g_strdupv ((char **) streams);
  data->rpc_endpoint = g_strdup (self->rpc_endpoint);
  data->stream_endpoint = g_strdup (self->stream_endpoint);
  data->secret_key_file = g_strdup (secret);
  data->server_key_file = g_strdup (server);

  g_free (self->path);
  self->path = g_strdup (path);
  self->stop_requested = FALSE;
  self->shown_messages = 0;
  s_set_figures (self, "connecting…");
  s_show_file (self, "Starting", TRUE);
  s_set_state (self, OL_GUI_RECORD_STARTING);

  task = g_task_new (NULL, NULL, s_start_done, NULL);
  g_task_set_task_data (task, data, (GDestroyNotify) s_start_data_free);
  g_task_set_name (task, "ol-gui-record-start");
  s_busy++;
  g_task_run_in_thread (task, s_start_thread);
  return TRUE;
}

/* ------------------------------------------------------------------------ */
/* The popover and the file dialog */

static char **
s_checked (OlGuiRecordBar *self)
{
  g_autoptr (GPtrArray) names = g_ptr_array_new ();

  for (GtkWidget *c = gtk_widget_get_first_child (GTK_WIDGET (self->checks_box)); c != NULL;
       c = gtk_widget_get_next_sibling (c))
    if (gtk_check_button_get_active (GTK_CHECK_BUTTON (c)))
      g_ptr_array_add (names, g_strdup (g_object_get_data (G_OBJECT (c), "ol-name")));
  g_ptr_array_add (names, NULL);
  return (char **) g_ptr_array_free (g_steal_pointer (&names), FALSE);
}

static void
s_update_choose (OlGuiRecordBar *self)
{
  g_auto (GStrv) checked = s_checked (self);

  gtk_widget_set_sensitive (GTK_WIDGET (self->choose_button), checked[0] != NULL);
}

static void
s_fill_popover (GtkMenuButton *button, gpointer user_data)
{
  OlGuiRecordBar *self = user_data;
  g_auto (GStrv) names = NULL;
  g_auto (GStrv) viewed = NULL;
  GtkWidget *child;

  (void) button;
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->checks_box))) != NULL)
    gtk_box_remove (self->checks_box, child);
  if (self->streams_func != NULL)
    names = self->streams_func (self->streams_data, &viewed);
  for (guint i = 0; names != NULL && names[i] != NULL; i++)
    {
      GtkWidget *check = gtk_check_button_new_with_label (names[i]);

      g_object_set_data_full (G_OBJECT (check), "ol-name", g_strdup (names[i]), g_free);
      gtk_check_button_set_active (GTK_CHECK_BUTTON (check),
                                   viewed != NULL
                                   && g_strv_contains ((const char *const *) viewed, names[i]));
      g_signal_connect_swapped (check, "toggled", G_CALLBACK (s_update_choose), self);
      gtk_box_append (self->checks_box, check);
    }
  if (names == NULL || names[0] == NULL)
    gtk_box_append (self->checks_box, gtk_label_new ("The server lists no streams yet."));
  s_update_choose (self);
}

static void
s_start_or_say (OlGuiRecordBar *self, const char *path, const char *const *streams)
{
  g_autoptr (GError) error = NULL;

  if (!ol_gui_record_bar_start (self, path, streams, &error))
    s_emit_error (self, "Cannot record to %s: %s", path, error->message);
}

static void
s_on_dialog_response (GtkNativeDialog *dialog, int response, OlGuiRecordBar *self)
{
  g_auto (GStrv) chosen = g_steal_pointer (&self->chosen);
  g_autoptr (GFile) file = NULL;
  g_autofree char *path = NULL;

  if (response == GTK_RESPONSE_ACCEPT)
    file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
  g_clear_object (&self->dialog);
  if (file == NULL)
    return;
  path = g_file_get_path (file);
  if (path == NULL)
    {
      g_autofree char *uri = g_file_get_uri (file);

      s_emit_error (self, "Cannot record to %s: not a local file", uri);
      return;
    }
  s_start_or_say (self, path, (const char *const *) chosen);
}

static void
s_on_choose (OlGuiRecordBar *self)
{
  g_autoptr (GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *name = g_date_time_format (now, "oneliner-%Y%m%d-%H%M%S.mcap");
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  GtkFileChooserNative *native;

  gtk_menu_button_popdown (self->record_button);
  if (self->dialog != NULL || self->state != OL_GUI_RECORD_IDLE)
    return;
  g_strfreev (self->chosen);
  self->chosen = s_checked (self);
  if (self->chosen[0] == NULL)
    return;
  /* GtkFileChooserNative: the GTK this client is pinned to (4.8) has no
   * GtkFileDialog yet. */
  native = gtk_file_chooser_native_new ("Record streams to", GTK_IS_WINDOW (root)
                                                             ? GTK_WINDOW (root) : NULL,
                                        GTK_FILE_CHOOSER_ACTION_SAVE, "_Record", "_Cancel");
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (native), TRUE);
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (native), name);
  {
    g_autoptr (GtkFileFilter) filter = gtk_file_filter_new ();

    gtk_file_filter_set_name (filter, "MCAP recordings");
    gtk_file_filter_add_pattern (filter, "*.mcap");
    gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (native), filter);
  }
  g_signal_connect (native, "response", G_CALLBACK (s_on_dialog_response), self);
  self->dialog = GTK_NATIVE_DIALOG (native);
  gtk_native_dialog_show (self->dialog);
}

/* ------------------------------------------------------------------------ */

void
ol_gui_record_bar_set_streams_func (OlGuiRecordBar *self, OlGuiRecordBarStreamsFunc func,
                                    gpointer user_data)
{
  g_return_if_fail (OL_GUI_IS_RECORD_BAR (self));
  self->streams_func = func;
  self->streams_data = user_data;
}

void
ol_gui_record_bar_set_server (OlGuiRecordBar *self, const char *rpc_endpoint,
                              const char *stream_endpoint)
{
  g_return_if_fail (OL_GUI_IS_RECORD_BAR (self));
  g_free (self->rpc_endpoint);
  g_free (self->stream_endpoint);
  self->rpc_endpoint = rpc_endpoint && stream_endpoint ? g_strdup (rpc_endpoint) : NULL;
  self->stream_endpoint = rpc_endpoint && stream_endpoint ? g_strdup (stream_endpoint) : NULL;
  gtk_widget_set_sensitive (GTK_WIDGET (self->record_button), self->rpc_endpoint != NULL);
}

OlGuiRecordState
ol_gui_record_bar_get_state (OlGuiRecordBar *self)
{
  g_return_val_if_fail (OL_GUI_IS_RECORD_BAR (self), OL_GUI_RECORD_IDLE);
  return self->state;
}

guint64
ol_gui_record_bar_get_shown_messages (OlGuiRecordBar *self)
{
  g_return_val_if_fail (OL_GUI_IS_RECORD_BAR (self), 0);
  return self->shown_messages;
}

const char *
ol_gui_record_bar_get_figures_text (OlGuiRecordBar *self)
{
  g_return_val_if_fail (OL_GUI_IS_RECORD_BAR (self), NULL);
  return self->figures ? self->figures : "";
}

char **
ol_gui_record_bar_get_listed_streams (OlGuiRecordBar *self, char ***checked)
{
  g_autoptr (GPtrArray) names = g_ptr_array_new ();

  g_return_val_if_fail (OL_GUI_IS_RECORD_BAR (self), NULL);
  for (GtkWidget *c = gtk_widget_get_first_child (GTK_WIDGET (self->checks_box)); c != NULL;
       c = gtk_widget_get_next_sibling (c))
    if (GTK_IS_CHECK_BUTTON (c))
      g_ptr_array_add (names, g_strdup (g_object_get_data (G_OBJECT (c), "ol-name")));
  g_ptr_array_add (names, NULL);
  *checked = s_checked (self);
  return (char **) g_ptr_array_free (g_steal_pointer (&names), FALSE);
}

GtkWidget *
ol_gui_record_bar_get_record_button (OlGuiRecordBar *self)
{
  g_return_val_if_fail (OL_GUI_IS_RECORD_BAR (self), NULL);
  return GTK_WIDGET (self->record_button);
}

GtkWidget *
ol_gui_record_bar_get_stop_button (OlGuiRecordBar *self)
{
  g_return_val_if_fail (OL_GUI_IS_RECORD_BAR (self), NULL);
  return GTK_WIDGET (self->stop_button);
}

static void
ol_gui_record_bar_dispose (GObject *object)
{
  OlGuiRecordBar *self = OL_GUI_RECORD_BAR (object);

  g_clear_handle_id (&self->stats_id, g_source_remove);
  /* A recording under way is finished in a thread: the file is complete. A
   * start under way finishes the same way when it comes back. */
  if (self->recorder != NULL)
    s_stop_in_thread (g_steal_pointer (&self->recorder), self->path, NULL);
  if (self->dialog != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->dialog, self);
      gtk_native_dialog_destroy (self->dialog);
      g_clear_object (&self->dialog);
    }
  if (self->record_button != NULL)
    gtk_menu_button_set_popover (self->record_button, NULL);
  G_OBJECT_CLASS (ol_gui_record_bar_parent_class)->dispose (object);
}

static void
ol_gui_record_bar_finalize (GObject *object)
{
  OlGuiRecordBar *self = OL_GUI_RECORD_BAR (object);

  g_free (self->rpc_endpoint);
  g_free (self->stream_endpoint);
  g_free (self->path);
  g_free (self->figures);
  g_strfreev (self->chosen);
  G_OBJECT_CLASS (ol_gui_record_bar_parent_class)->finalize (object);
}

static void
ol_gui_record_bar_get_property (GObject *object, guint id, GValue *value, GParamSpec *pspec)
{
  OlGuiRecordBar *self = OL_GUI_RECORD_BAR (object);

  switch (id)
    {
    case PROP_TITLE:
      g_value_set_string (value, gtk_label_get_text (self->title_label));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, id, pspec);
    }
}

static void
ol_gui_record_bar_set_property (GObject *object, guint id, const GValue *value,
                                GParamSpec *pspec)
{
  OlGuiRecordBar *self = OL_GUI_RECORD_BAR (object);

  switch (id)
    {
    case PROP_TITLE:
      gtk_label_set_text (self->title_label, g_value_get_string (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, id, pspec);
    }
}

static void
ol_gui_record_bar_class_init (OlGuiRecordBarClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = ol_gui_record_bar_dispose;
  object_class->finalize = ol_gui_record_bar_finalize;
  object_class->get_property = ol_gui_record_bar_get_property;
  object_class->set_property = ol_gui_record_bar_set_property;

  properties[PROP_TITLE] = g_param_spec_string ("title", NULL, NULL, NULL,
                                                G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[STATE_CHANGED] = g_signal_new ("state-changed", G_TYPE_FROM_CLASS (klass),
                                         G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                         G_TYPE_NONE, 0);
  signals[ERROR] = g_signal_new ("error", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                 NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
ol_gui_record_bar_init (OlGuiRecordBar *self)
{
  GtkWidget *row = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *status = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *popover = gtk_popover_new ();
  GtkWidget *content = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  GtkWidget *heading = gtk_label_new ("Record to an MCAP file");
  GtkWidget *scrolled = gtk_scrolled_window_new ();
  GtkWidget *record_content = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 4);

  gtk_orientable_set_orientation (GTK_ORIENTABLE (self), GTK_ORIENTATION_VERTICAL);

  /* The title and the buttons. */
  self->title_label = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_xalign (self->title_label, 0);
  gtk_widget_set_hexpand (GTK_WIDGET (self->title_label), TRUE);
  gtk_widget_add_css_class (GTK_WIDGET (self->title_label), "heading");
  gtk_box_append (GTK_BOX (row), GTK_WIDGET (self->title_label));

  self->record_button = GTK_MENU_BUTTON (gtk_menu_button_new ());
  gtk_box_append (GTK_BOX (record_content), gtk_image_new_from_icon_name ("media-record-symbolic"));
  gtk_box_append (GTK_BOX (record_content), gtk_label_new ("Record…"));
  gtk_menu_button_set_child (self->record_button, record_content);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->record_button),
                               "Record streams to an MCAP file");
  gtk_widget_set_sensitive (GTK_WIDGET (self->record_button), FALSE);
  self->stop_button = GTK_BUTTON (gtk_button_new_with_label ("Stop"));
  gtk_widget_add_css_class (GTK_WIDGET (self->stop_button), "destructive-action");
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->stop_button),
                               "Stop recording and complete the file");
  g_signal_connect_swapped (self->stop_button, "clicked", G_CALLBACK (ol_gui_record_bar_stop),
                            self);
  self->stack = GTK_STACK (gtk_stack_new ());
  gtk_stack_set_hhomogeneous (self->stack, FALSE);
  gtk_stack_add_named (self->stack, GTK_WIDGET (self->record_button), "record");
  gtk_stack_add_named (self->stack, GTK_WIDGET (self->stop_button), "stop");
  gtk_stack_set_visible_child_name (self->stack, "record");
  gtk_box_append (GTK_BOX (row), GTK_WIDGET (self->stack));
  gtk_widget_set_margin_start (row, 10);
  gtk_widget_set_margin_end (row, 8);
  gtk_widget_set_margin_top (row, 4);
  gtk_widget_set_margin_bottom (row, 4);
  gtk_box_append (GTK_BOX (self), row);

  /* The popover: a check per stream, then "Record to file…". */
  gtk_widget_add_css_class (heading, "heading");
  gtk_label_set_xalign (GTK_LABEL (heading), 0);
  gtk_box_append (GTK_BOX (content), heading);
  self->checks_box = GTK_BOX (gtk_box_new (GTK_ORIENTATION_VERTICAL, 2));
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scrolled), GTK_POLICY_NEVER,
                                  GTK_POLICY_AUTOMATIC);
  gtk_scrolled_window_set_propagate_natural_height (GTK_SCROLLED_WINDOW (scrolled), TRUE);
  gtk_scrolled_window_set_max_content_height (GTK_SCROLLED_WINDOW (scrolled), 360);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scrolled), GTK_WIDGET (self->checks_box));
  gtk_box_append (GTK_BOX (content), scrolled);
  self->choose_button = GTK_BUTTON (gtk_button_new_with_mnemonic ("_Record to file…"));
  gtk_widget_add_css_class (GTK_WIDGET (self->choose_button), "suggested-action");
  g_signal_connect_swapped (self->choose_button, "clicked", G_CALLBACK (s_on_choose), self);
  gtk_box_append (GTK_BOX (content), GTK_WIDGET (self->choose_button));
  gtk_popover_set_child (GTK_POPOVER (popover), content);
  gtk_menu_button_set_popover (self->record_button, popover);
  gtk_menu_button_set_create_popup_func (self->record_button, s_fill_popover, self, NULL);

  /* The status while recording, and of the last recording. */
  self->file_label = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_xalign (self->file_label, 0);
  gtk_label_set_ellipsize (self->file_label, PANGO_ELLIPSIZE_MIDDLE);
  gtk_widget_add_css_class (GTK_WIDGET (self->file_label), "caption");
  self->figures_label = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_xalign (self->figures_label, 0);
  gtk_label_set_wrap (self->figures_label, TRUE);
  gtk_widget_add_css_class (GTK_WIDGET (self->figures_label), "caption");
  gtk_widget_add_css_class (GTK_WIDGET (self->figures_label), "numeric");
  gtk_box_append (GTK_BOX (status), GTK_WIDGET (self->file_label));
  gtk_box_append (GTK_BOX (status), GTK_WIDGET (self->figures_label));
  gtk_widget_set_margin_start (status, 10);
  gtk_widget_set_margin_end (status, 8);
  gtk_widget_set_margin_bottom (status, 4);
  self->status_revealer = GTK_REVEALER (gtk_revealer_new ());
  gtk_revealer_set_child (self->status_revealer, status);
  gtk_box_append (GTK_BOX (self), GTK_WIDGET (self->status_revealer));
}
