/* oneliner-gui: OlGuiCallForm, the form that calls one callable. */
#include "ol-gui-call-form.h"

#include <math.h>

#include "oneliner/json.h"

typedef enum {
  FORM_NONE,
  FORM_METHOD,   /* a callable with a signature: typed fields */
  FORM_HANDLER,  /* a callable without one: args and kwargs as JSON */
  FORM_NAMED,    /* a named call: args and kwargs as JSON over its defaults */
} FormKind;

typedef struct {
  char *name;        /* (owned) */
  char *type;        /* (owned) a signature type, or "args"/"kwargs" */
  gboolean has_default;
  GtkWidget *widget; /* (unowned) child of the grid */
} Field;

struct _OlGuiCallForm {
  GtkBox parent_instance;

  OlGuiConnection *connection; /* (owned) (nullable) */
  FormKind kind;
  char *instance;              /* (owned) (nullable) */
  char *target;                /* (owned) method, function or named call */
  GPtrArray *fields;           /* (owned) Field * */
  guint serial;                /* changes with every form shown */
  gboolean busy;

  GtkLabel *title;             /* (unowned) children */
  GtkLabel *signature;
  GtkGrid *grid;
  GtkWidget *call_button;
  GtkSpinner *spinner;
  GtkLabel *result;
  GtkLabel *timing;
};

G_DEFINE_FINAL_TYPE (OlGuiCallForm, ol_gui_call_form, GTK_TYPE_BOX)

/* One call in flight. */
typedef struct {
  GWeakRef form;
  OlGuiConnection *connection; /* (owned) keeps client alive until the finish */
  OlClient *client;
  guint serial;
  gint64 started_us;
} CallData;

static void
s_call_data_free (CallData *data)
{
  g_weak_ref_clear (&data->form);
  g_object_unref (data->connection);
  g_free (data);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CallData, s_call_data_free)

static void
s_field_free (Field *f)
{
  g_free (f->name);
  g_free (f->type);
  g_free (f);
}

static void
ol_gui_call_form_dispose (GObject *object)
{
  OlGuiCallForm *self = OL_GUI_CALL_FORM (object);

  g_clear_object (&self->connection);
  G_OBJECT_CLASS (ol_gui_call_form_parent_class)->dispose (object);
}

static void
ol_gui_call_form_finalize (GObject *object)
{
  OlGuiCallForm *self = OL_GUI_CALL_FORM (object);

  g_clear_pointer (&self->instance, g_free);
  g_clear_pointer (&self->target, g_free);
  g_clear_pointer (&self->fields, g_ptr_array_unref);
  G_OBJECT_CLASS (ol_gui_call_form_parent_class)->finalize (object);
}

static void
ol_gui_call_form_class_init (OlGuiCallFormClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = ol_gui_call_form_dispose;
  object_class->finalize = ol_gui_call_form_finalize;
}

static void s_on_call (GtkButton *button, OlGuiCallForm *self);

static GtkLabel *
s_label (GtkBox *box, const char *css)
{
  GtkWidget *w = gtk_label_new (NULL);

  gtk_label_set_xalign (GTK_LABEL (w), 0);
  gtk_label_set_wrap (GTK_LABEL (w), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (w), PANGO_WRAP_WORD_CHAR);
  if (css != NULL)
    gtk_widget_add_css_class (w, css);
  gtk_box_append (box, w);
  return GTK_LABEL (w);
}

static void
ol_gui_call_form_init (OlGuiCallForm *self)
{
  GtkBox *box = GTK_BOX (self);
  GtkWidget *row, *w;

  self->fields = g_ptr_array_new_with_free_func ((GDestroyNotify) s_field_free);
  gtk_orientable_set_orientation (GTK_ORIENTABLE (self), GTK_ORIENTATION_VERTICAL);
  gtk_box_set_spacing (box, 8);

  self->title = s_label (box, "title-4");
  self->signature = s_label (box, "monospace");
  gtk_widget_add_css_class (GTK_WIDGET (self->signature), "dim-label");
  gtk_label_set_selectable (self->signature, TRUE);

  w = gtk_grid_new ();
  gtk_grid_set_column_spacing (GTK_GRID (w), 8);
  gtk_grid_set_row_spacing (GTK_GRID (w), 6);
  gtk_box_append (box, w);
  self->grid = GTK_GRID (w);

  row = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 8);
  w = gtk_button_new_with_mnemonic ("_Call");
  gtk_widget_add_css_class (w, "suggested-action");
  g_signal_connect (w, "clicked", G_CALLBACK (s_on_call), self);
  gtk_box_append (GTK_BOX (row), w);
  self->call_button = w;
  w = gtk_spinner_new ();
  gtk_box_append (GTK_BOX (row), w);
  self->spinner = GTK_SPINNER (w);
  w = gtk_label_new (NULL);
  gtk_widget_add_css_class (w, "dim-label");
  gtk_box_append (GTK_BOX (row), w);
  self->timing = GTK_LABEL (w);
  gtk_box_append (box, row);

  self->result = s_label (box, "monospace");
  gtk_label_set_selectable (self->result, TRUE);

  ol_gui_call_form_clear (self);
}

GtkWidget *
ol_gui_call_form_new (void)
{
  return g_object_new (OL_GUI_TYPE_CALL_FORM, NULL);
}

void
ol_gui_call_form_set_connection (OlGuiCallForm *self, OlGuiConnection *connection)
{
  g_return_if_fail (OL_GUI_IS_CALL_FORM (self));
  g_set_object (&self->connection, connection);
  /* A call in flight on the old connection no longer belongs here. */
  self->serial++;
  self->busy = FALSE;
  gtk_spinner_stop (self->spinner);
}

static void
s_reset (OlGuiCallForm *self, FormKind kind, const char *instance, const char *target)
{
  GtkWidget *child;

  self->serial++;
  self->busy = FALSE;
  self->kind = kind;
  g_free (self->instance);
  self->instance = g_strdup (instance);
  g_free (self->target);
  self->target = g_strdup (target);
  g_ptr_array_set_size (self->fields, 0);
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->grid))) != NULL)
    gtk_grid_remove (self->grid, child);
  gtk_spinner_stop (self->spinner);
  gtk_label_set_text (self->result, "");
  gtk_label_set_text (self->timing, "");
  gtk_widget_remove_css_class (GTK_WIDGET (self->result), "error");
  gtk_widget_set_sensitive (self->call_button, kind != FORM_NONE);
  gtk_widget_set_visible (self->call_button, kind != FORM_NONE);
}

/* Formats the double spin buttons without trailing zeros. */
static gboolean
s_on_double_output (GtkSpinButton *spin, gpointer data)
{
  char text[G_ASCII_DTOSTR_BUF_SIZE];

  (void) data;
  g_snprintf (text, sizeof text, "%.12g", gtk_spin_button_get_value (spin));
  gtk_editable_set_text (GTK_EDITABLE (spin), text);
  return TRUE;
}

static GtkWidget *
s_make_widget (const char *type, json_t *def)
{
  GtkWidget *w;
  double lo = 0, hi = 0;

  if (g_str_equal (type, "int32"))
    lo = G_MININT32, hi = G_MAXINT32;
  else if (g_str_equal (type, "uint32"))
    lo = 0, hi = G_MAXUINT32;
  else if (g_str_equal (type, "int64"))      /* exact integers of a double */
    lo = -9007199254740992.0, hi = 9007199254740992.0;
  else if (g_str_equal (type, "uint64"))
    lo = 0, hi = 9007199254740992.0;

  if (hi > lo)
    {
      w = gtk_spin_button_new_with_range (lo, hi, 1);
      gtk_spin_button_set_digits (GTK_SPIN_BUTTON (w), 0);
      gtk_spin_button_set_numeric (GTK_SPIN_BUTTON (w), TRUE);
      gtk_spin_button_set_value (GTK_SPIN_BUTTON (w),
                                 json_is_number (def) ? json_number_value (def) : MAX (lo, 0));
    }
  else if (g_str_equal (type, "double"))
    {
      w = gtk_spin_button_new_with_range (-1e15, 1e15, 0.1);
      gtk_spin_button_set_digits (GTK_SPIN_BUTTON (w), 10);
      g_signal_connect (w, "output", G_CALLBACK (s_on_double_output), NULL);
      gtk_spin_button_set_value (GTK_SPIN_BUTTON (w), json_is_number (def) ? json_number_value (def) : 0);
    }
  else if (g_str_equal (type, "bool"))
    {
      w = gtk_switch_new ();
      gtk_widget_set_halign (w, GTK_ALIGN_START);
      gtk_switch_set_active (GTK_SWITCH (w), json_is_true (def));
    }
  else
    {
      /* string, bytes (base64), json, args, kwargs */
      w = gtk_entry_new ();
      if (g_str_equal (type, "string") || g_str_equal (type, "bytes"))
        {
          if (json_is_string (def))
            gtk_editable_set_text (GTK_EDITABLE (w), json_string_value (def));
        }
      else if (def != NULL)
        {
          char *text = ol_json_dumps (def, JSON_ENCODE_ANY | JSON_COMPACT);
          gtk_editable_set_text (GTK_EDITABLE (w), text ? text : "");
          free (text);
        }
      if (g_str_equal (type, "bytes"))
        gtk_entry_set_placeholder_text (GTK_ENTRY (w), "base64");
      else if (g_str_equal (type, "json"))
        gtk_entry_set_placeholder_text (GTK_ENTRY (w), "JSON value");
      else if (g_str_equal (type, "args"))
        gtk_entry_set_placeholder_text (GTK_ENTRY (w), "JSON array, e.g. [1, 2.5]");
      else if (g_str_equal (type, "kwargs"))
        gtk_entry_set_placeholder_text (GTK_ENTRY (w), "JSON object, e.g. {\"axis\": 1}");
      gtk_widget_set_hexpand (w, TRUE);
    }
  return w;
}

static void
s_add_field (OlGuiCallForm *self, const char *name, const char *type, json_t *def)
{
  Field *f = g_new0 (Field, 1);
  g_autofree char *text = NULL;
  GtkWidget *label;
  int row = (int) self->fields->len;

  f->name = g_strdup (name);
  f->type = g_strdup (type);
  f->has_default = def != NULL;
  f->widget = s_make_widget (type, def);
  if (g_str_equal (type, "args") || g_str_equal (type, "kwargs"))
    text = g_strdup (name);
  else
    text = g_strdup_printf ("%s <span alpha=\"60%%\">%s</span>", name, type);
  label = gtk_label_new (NULL);
  gtk_label_set_markup (GTK_LABEL (label), text);
  gtk_label_set_xalign (GTK_LABEL (label), 1);
  gtk_label_set_mnemonic_widget (GTK_LABEL (label), f->widget);
  gtk_grid_attach (self->grid, label, 0, row, 1, 1);
  gtk_grid_attach (self->grid, f->widget, 1, row, 1, 1);
  if (GTK_IS_ENTRY (f->widget))
    g_signal_connect_swapped (f->widget, "activate", G_CALLBACK (gtk_widget_activate),
                              self->call_button);
  g_ptr_array_add (self->fields, f);
}

void
ol_gui_call_form_show_method (OlGuiCallForm *self, const char *instance, const char *method,
                              json_t *descriptor)
{
  json_t *params = json_object_get (descriptor, "params");
  const char *signature = json_string_value (json_object_get (descriptor, "signature"));
  g_autofree char *title = NULL;
  size_t i;
  json_t *p;

  g_return_if_fail (OL_GUI_IS_CALL_FORM (self));
  g_return_if_fail (method != NULL);
  s_reset (self, json_is_array (params) ? FORM_METHOD : FORM_HANDLER, instance, method);
  gtk_widget_add_css_class (GTK_WIDGET (self->signature), "monospace");
  title = instance ? g_strdup_printf ("%s.%s", instance, method) : g_strdup (method);
  gtk_label_set_text (self->title, title);
  gtk_label_set_text (self->signature, signature ? signature : "");
  if (self->kind == FORM_HANDLER)
    {
      s_add_field (self, "args", "args", NULL);
      s_add_field (self, "kwargs", "kwargs", NULL);
      return;
    }
  json_array_foreach (params, i, p)
    {
      const char *name = json_string_value (json_object_get (p, "name"));
      const char *type = json_string_value (json_object_get (p, "type"));

      if (name != NULL && type != NULL)
        s_add_field (self, name, type, json_object_get (p, "default"));
    }
}

void
ol_gui_call_form_show_named (OlGuiCallForm *self, const char *name, json_t *named)
{
  const char *object = json_string_value (json_object_get (named, "object"));
  const char *method = json_string_value (json_object_get (named, "method"));
  g_autofree char *signature = NULL;

  g_return_if_fail (OL_GUI_IS_CALL_FORM (self));
  g_return_if_fail (name != NULL);
  s_reset (self, FORM_NAMED, NULL, name);
  gtk_widget_remove_css_class (GTK_WIDGET (self->signature), "monospace");
  gtk_label_set_text (self->title, name);
  signature = g_strdup_printf ("named call of %s%s%s; args replace its defaults by "
                               "position, kwargs update its default kwargs",
                               object ? object : "", object ? "." : "", method ? method : "?");
  gtk_label_set_text (self->signature, signature);
  s_add_field (self, "args", "args", json_object_get (named, "args"));
  s_add_field (self, "kwargs", "kwargs", json_object_get (named, "kwargs"));
}

void
ol_gui_call_form_clear (OlGuiCallForm *self)
{
  g_return_if_fail (OL_GUI_IS_CALL_FORM (self));
  s_reset (self, FORM_NONE, NULL, NULL);
  gtk_widget_remove_css_class (GTK_WIDGET (self->signature), "monospace");
  gtk_label_set_text (self->title, "No call selected");
  gtk_label_set_text (self->signature,
                      "Pick a method, function or named call in the list to build its form.");
}

/* ------------------------------------------------------------------------ */
/* Calling */

static void
s_show_result (OlGuiCallForm *self, const char *text, gboolean error, gint64 started_us)
{
  g_autofree char *timing = g_strdup_printf ("%s in %.1f ms", error ? "failed" : "answered",
                                             (g_get_monotonic_time () - started_us) / 1000.0);

  self->busy = FALSE;
  gtk_spinner_stop (self->spinner);
  gtk_widget_set_sensitive (self->call_button, TRUE);
  gtk_label_set_text (self->result, text);
  if (error)
    gtk_widget_add_css_class (GTK_WIDGET (self->result), "error");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->result), "error");
  gtk_label_set_text (self->timing, started_us ? timing : "");
}

static void
s_call_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (CallData) data = user_data;
  g_autoptr (OlGuiCallForm) self = g_weak_ref_get (&data->form);
  g_autoptr (GError) error = NULL;
  g_autoptr (json_t) value = NULL;
  g_autoptr (OlReply) reply = NULL;
  char *text;

  (void) source;
  /* Calls and named calls alike are requests. */
  reply = ol_client_request_finish (data->client, result, &error);
  value = reply ? json_incref (reply->result) : NULL;
  if (self == NULL || self->serial != data->serial)
    return;
  if (value == NULL)
    {
      g_autofree char *message = g_strdup_printf ("Error: %s", error->message);
      s_show_result (self, message, TRUE, data->started_us);
      return;
    }
  text = ol_json_dumps (value, JSON_ENCODE_ANY | JSON_INDENT (2));
  s_show_result (self, text ? text : "?", FALSE, data->started_us);
  free (text);
}

/* The JSON of an entry, or NULL with *error set; empty text gives NULL
 * without error. */
static json_t *
s_entry_json (Field *f, GError **error)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (f->widget));
  json_error_t jerr;
  json_t *value;

  if (*text == '\0')
    return NULL;
  value = json_loads (text, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &jerr);
  if (value == NULL)
    g_set_error (error, OL_ERROR, OL_ERROR_INVALID_ARGS, "%s is not valid JSON: %s", f->name,
                 jerr.text);
  return value;
}

/* Builds the arguments from the fields. */
static gboolean
s_collect (OlGuiCallForm *self, json_t **args, json_t **kwargs, GError **error)
{
  *args = NULL;
  *kwargs = json_object ();
  for (guint i = 0; i < self->fields->len; i++)
    {
      Field *f = self->fields->pdata[i];
      GError *local = NULL;
      json_t *value = NULL;

      if (GTK_IS_SPIN_BUTTON (f->widget))
        {
          double v;

          gtk_spin_button_update (GTK_SPIN_BUTTON (f->widget));
          v = gtk_spin_button_get_value (GTK_SPIN_BUTTON (f->widget));
          value = g_str_equal (f->type, "double") ? json_real (v)
                                                  : json_integer ((json_int_t) llround (v));
        }
      else if (GTK_IS_SWITCH (f->widget))
        value = json_boolean (gtk_switch_get_active (GTK_SWITCH (f->widget)));
      else if (g_str_equal (f->type, "string") || g_str_equal (f->type, "bytes"))
        value = json_string (gtk_editable_get_text (GTK_EDITABLE (f->widget)));
      else
        {
          value = s_entry_json (f, &local);
          if (local != NULL)
            goto failed;
          if (g_str_equal (f->type, "args"))
            {
              if (value != NULL && !json_is_array (value))
                {
                  json_decref (value);
                  g_set_error (&local, OL_ERROR, OL_ERROR_INVALID_ARGS,
                               "args must be a JSON array");
                  goto failed;
                }
              *args = value;
              continue;
            }
          if (g_str_equal (f->type, "kwargs"))
            {
              if (value != NULL && !json_is_object (value))
                {
                  json_decref (value);
                  g_set_error (&local, OL_ERROR, OL_ERROR_INVALID_ARGS,
                               "kwargs must be a JSON object");
                  goto failed;
                }
              if (value != NULL)
                {
                  json_decref (*kwargs);
                  *kwargs = value;
                }
              continue;
            }
          /* A json parameter left empty takes its default, or null. */
          if (value == NULL && f->has_default)
            continue;
          if (value == NULL)
            value = json_null ();
        }
      json_object_set_new (*kwargs, f->name, value);
      continue;

    failed:
      g_clear_pointer (args, json_decref);
      g_clear_pointer (kwargs, json_decref);
      g_propagate_error (error, local);
      return FALSE;
    }
  return TRUE;
}

static void
s_on_call (GtkButton *button, OlGuiCallForm *self)
{
  g_autoptr (GError) error = NULL;
  json_t *args = NULL, *kwargs = NULL;
  OlClient *client;
  CallData *data;

  (void) button;
  if (self->kind == FORM_NONE || self->busy)
    return;
  if (self->connection == NULL
      || (client = ol_gui_connection_get_client (self->connection)) == NULL)
    {
      s_show_result (self, "Error: not connected", TRUE, 0);
      return;
    }
  if (!s_collect (self, &args, &kwargs, &error))
    {
      g_autofree char *message = g_strdup_printf ("Error: %s", error->message);
      s_show_result (self, message, TRUE, 0);
      return;
    }

  data = g_new0 (CallData, 1);
  g_weak_ref_init (&data->form, self);
  data->connection = g_object_ref (self->connection);
  data->client = client;
  data->serial = self->serial;
  data->started_us = g_get_monotonic_time ();
  self->busy = TRUE;
  gtk_widget_set_sensitive (self->call_button, FALSE);
  gtk_spinner_start (self->spinner);
  gtk_label_set_text (self->timing, "calling…");

  if (self->kind == FORM_NAMED)
    {
      json_t *body = json_pack ("{s:s}", "name", self->target);

      if (args != NULL)
        json_object_set_new (body, "args", args);
      json_object_set_new (body, "kwargs", kwargs);
      ol_client_request_async (client, "call_named", body, NULL, OL_CALL_NONE, -1,
                               ol_gui_connection_get_cancellable (self->connection),
                               s_call_done, data);
      return;
    }
  ol_client_call_async (client, self->instance, self->target, args, kwargs,
                        ol_gui_connection_get_cancellable (self->connection), s_call_done,
                        data);
  g_clear_pointer (&args, json_decref);
  g_clear_pointer (&kwargs, json_decref);
}

GtkWidget *
ol_gui_call_form_get_field (OlGuiCallForm *self, const char *param)
{
  g_return_val_if_fail (OL_GUI_IS_CALL_FORM (self), NULL);
  for (guint i = 0; i < self->fields->len; i++)
    {
      Field *f = self->fields->pdata[i];
      if (g_strcmp0 (f->name, param) == 0)
        return f->widget;
    }
  return NULL;
}

GtkWidget *
ol_gui_call_form_get_call_button (OlGuiCallForm *self)
{
  g_return_val_if_fail (OL_GUI_IS_CALL_FORM (self), NULL);
  return self->call_button;
}

const char *
ol_gui_call_form_get_result_text (OlGuiCallForm *self)
{
  g_return_val_if_fail (OL_GUI_IS_CALL_FORM (self), NULL);
  return gtk_label_get_text (self->result);
}

gboolean
ol_gui_call_form_is_busy (OlGuiCallForm *self)
{
  g_return_val_if_fail (OL_GUI_IS_CALL_FORM (self), FALSE);
  return self->busy;
}
