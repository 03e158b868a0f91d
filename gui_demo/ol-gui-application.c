/* oneliner-gui: OlGuiApplication, the GtkApplication. */
#include "ol-gui-application.h"

#include <glib-unix.h>
#include <signal.h>
#include <stdio.h>

#include "ol-gui-connection.h"
#include "ol-gui-record-bar.h"
#include "ol-gui-screenshot.h"
#include "ol-gui-self-test.h"
#include "ol-gui-window.h"

/* How long shutdown lets closed connections finish their cancelled calls. */
#define DRAIN_US (2 * G_USEC_PER_SEC)
/* How long shutdown lets recordings finish their files (a stop waits only
 * for the messages already received: far less than this). */
#define RECORD_DRAIN_US (60 * G_USEC_PER_SEC)

struct _OlGuiApplication {
  GtkApplication parent_instance;

  char *rpc;                 /* (owned) (nullable) */
  char *stream;              /* (owned) (nullable) */
  char *screenshot;          /* (owned) (nullable) */
  gboolean self_test;
  int timeout_ms;
  int exit_status;
  OlGuiSelfTest *test;       /* (owned) (nullable) */
};

G_DEFINE_FINAL_TYPE (OlGuiApplication, ol_gui_application, GTK_TYPE_APPLICATION)

static const GOptionEntry s_options[] = {
  { "rpc", 'r', 0, G_OPTION_ARG_STRING, NULL,
    "The server's RPC endpoint (default " OL_DEFAULT_RPC_CONNECT ")", "ENDPOINT" },
  { "stream", 's', 0, G_OPTION_ARG_STRING, NULL,
    "The server's stream endpoint (default " OL_DEFAULT_STREAM_CONNECT ")", "ENDPOINT" },
  { "timeout", 't', 0, G_OPTION_ARG_INT, NULL,
    "Bound of every call in milliseconds (default 5000)", "MS" },
  { "secret-key", 0, 0, G_OPTION_ARG_FILENAME, NULL,
    "This client's secret key file (oneliner keygen), for a server with keys", "FILE" },
  { "server-key", 0, 0, G_OPTION_ARG_FILENAME, NULL,
    "The server's public key file, with --secret-key", "FILE" },
  { "self-test", 0, 0, G_OPTION_ARG_NONE, NULL,
    "Drive the window against a running demo server; exit 0 if every step passed, "
    "1 with the step that failed", NULL },
  { "screenshot", 0, 0, G_OPTION_ARG_FILENAME, NULL,
    "Write a PNG of the window as it is at the end (after --self-test, or when the "
    "window is closed)", "FILE" },
  { "version", 0, 0, G_OPTION_ARG_NONE, NULL, "Print the version and exit", NULL },
  G_OPTION_ENTRY_NULL
};

/* --self-test and --screenshot draw with cairo and without OpenGL. Asking
 * for the cairo renderer is not enough: opening the display, GDK sets up
 * OpenGL all the same (EGL or GLX, and with them the GL driver), and some
 * drivers keep memory that LeakSanitizer reports at exit as leaked from an
 * unloaded module, failing the sanitizer builds on those machines only. With
 * OpenGL disabled the driver is never loaded, and the pictures and timings
 * are the same on every machine. GDK reads these when GTK initialises (in
 * startup, after the options); a value the user set is left as it is. */
static void
s_disable_gl (void)
{
  g_setenv ("GSK_RENDERER", "cairo", FALSE);
  if (gtk_get_major_version () == 4 && gtk_get_minor_version () < 16)
    g_setenv ("GDK_DEBUG", "gl-disable", FALSE);
  else
    g_setenv ("GDK_DISABLE", "gl", FALSE);
}

static gint
ol_gui_application_handle_local_options (GApplication *app, GVariantDict *options)
{
  OlGuiApplication *self = OL_GUI_APPLICATION (app);
  g_autofree char *screenshot = NULL;

  if (g_variant_dict_contains (options, "version"))
    {
      printf ("oneliner-gui %s (protocol %d)\n", ol_version_string (), OL_PROTOCOL_VERSION);
      return 0;
    }
  g_variant_dict_lookup (options, "rpc", "s", &self->rpc);
  g_variant_dict_lookup (options, "stream", "s", &self->stream);
  g_variant_dict_lookup (options, "timeout", "i", &self->timeout_ms);
  self->self_test = g_variant_dict_contains (options, "self-test");
  {
    g_autofree char *secret = NULL, *server = NULL;

    g_variant_dict_lookup (options, "secret-key", "^ay", &secret);
    g_variant_dict_lookup (options, "server-key", "^ay", &server);
    if ((secret == NULL) != (server == NULL))
      {
        fprintf (stderr, "oneliner-gui: --secret-key and --server-key go together\n");
        return 2;
      }
    ol_gui_connection_set_keys (secret, server);
  }
  if (g_variant_dict_lookup (options, "screenshot", "^ay", &screenshot))
    self->screenshot = g_steal_pointer (&screenshot);
  if (self->timeout_ms <= 0)
    {
      fprintf (stderr, "oneliner-gui: --timeout must be a positive number of milliseconds\n");
      return 2;
    }
  if (self->self_test || self->screenshot != NULL)
    s_disable_gl ();
  return -1; /* go on: startup and activate */
}

static void
s_close_all (OlGuiApplication *self)
{
  GList *windows;

  while ((windows = gtk_application_get_windows (GTK_APPLICATION (self))) != NULL)
    gtk_window_destroy (windows->data);
}

/* Closes the windows as the user would (with the --screenshot of the
 * close). */
static void
s_close_gracefully (OlGuiApplication *self)
{
  GList *windows = g_list_copy (gtk_application_get_windows (GTK_APPLICATION (self)));

  for (GList *l = windows; l != NULL; l = l->next)
    gtk_window_close (l->data);
  g_list_free (windows);
}

/* SIGINT, SIGTERM */
static gboolean
s_on_signal (gpointer data)
{
  s_close_gracefully (data);
  return G_SOURCE_CONTINUE;
}

static void
s_self_test_done (int status, gpointer data)
{
  OlGuiApplication *self = data;

  self->exit_status = status;
  s_close_all (self);
}

/* Without --self-test, --screenshot shows the window as it was closed. */
static gboolean
s_on_close_request (GtkWindow *window, OlGuiApplication *self)
{
  g_autoptr (GError) error = NULL;

  if (self->screenshot != NULL && !ol_gui_screenshot_save (GTK_WIDGET (window),
                                                           self->screenshot, &error))
    fprintf (stderr, "oneliner-gui: screenshot: %s\n", error->message);
  return FALSE;
}

static OlGuiWindow *
s_new_window (OlGuiApplication *self)
{
  OlGuiWindow *window = ol_gui_window_new (GTK_APPLICATION (self), self->rpc, self->stream,
                                           self->timeout_ms);

  gtk_window_present (GTK_WINDOW (window));
  return window;
}

static void
ol_gui_application_activate (GApplication *app)
{
  OlGuiApplication *self = OL_GUI_APPLICATION (app);
  OlGuiWindow *window;

  if (self->test != NULL)
    return;
  window = s_new_window (self);
  if (self->self_test)
    self->test = ol_gui_self_test_start (window, self->screenshot, s_self_test_done, self);
  else if (self->screenshot != NULL)
    g_signal_connect (window, "close-request", G_CALLBACK (s_on_close_request), self);
}

static void
s_action_new_window (GSimpleAction *action, GVariant *parameter, gpointer data)
{
  (void) action;
  (void) parameter;
  s_new_window (data);
}

static void
s_action_quit (GSimpleAction *action, GVariant *parameter, gpointer data)
{
  (void) action;
  (void) parameter;
  s_close_gracefully (data);
}

static const GActionEntry s_actions[] = {
  { .name = "new-window", .activate = s_action_new_window },
  { .name = "quit", .activate = s_action_quit },
};

static void
ol_gui_application_startup (GApplication *app)
{
  static const char *const new_window[] = { "<Control>n", NULL };
  static const char *const quit[] = { "<Control>q", NULL };
  static const char *const close[] = { "<Control>w", NULL };
  g_autoptr (GtkCssProvider) css = gtk_css_provider_new ();

  G_APPLICATION_CLASS (ol_gui_application_parent_class)->startup (app);
  g_action_map_add_action_entries (G_ACTION_MAP (app), s_actions, G_N_ELEMENTS (s_actions), app);
  gtk_application_set_accels_for_action (GTK_APPLICATION (app), "app.new-window", new_window);
  gtk_application_set_accels_for_action (GTK_APPLICATION (app), "app.quit", quit);
  gtk_application_set_accels_for_action (GTK_APPLICATION (app), "window.close", close);
  g_unix_signal_add (SIGINT, s_on_signal, app);
  g_unix_signal_add (SIGTERM, s_on_signal, app);
  gtk_css_provider_load_from_resource (css, "/org/oneliner/Gui/style.css");
  gtk_style_context_add_provider_for_display (gdk_display_get_default (),
                                              GTK_STYLE_PROVIDER (css),
                                              GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
}

static void
ol_gui_application_shutdown (GApplication *app)
{
  gint64 start = g_get_monotonic_time ();

  /* Closed connections live until their cancelled calls have come back
   * through the main loop; let them, so that nothing is left behind. The
   * recordings of closed windows are being completed in threads: their
   * files must be whole before the process ends. */
  while ((ol_gui_connection_count_alive () > 0 && g_get_monotonic_time () < start + DRAIN_US)
         || (ol_gui_record_bar_count_busy () > 0
             && g_get_monotonic_time () < start + RECORD_DRAIN_US))
    if (!g_main_context_iteration (NULL, FALSE))
      g_usleep (1000);
  if (ol_gui_record_bar_count_busy () > 0)
    g_warning ("%u recordings were not finished within %d s; their files may be cut off",
               ol_gui_record_bar_count_busy (), (int) (RECORD_DRAIN_US / G_USEC_PER_SEC));
  G_APPLICATION_CLASS (ol_gui_application_parent_class)->shutdown (app);
}

static void
ol_gui_application_finalize (GObject *object)
{
  OlGuiApplication *self = OL_GUI_APPLICATION (object);

  g_clear_pointer (&self->test, ol_gui_self_test_free);
  g_clear_pointer (&self->rpc, g_free);
  g_clear_pointer (&self->stream, g_free);
  g_clear_pointer (&self->screenshot, g_free);
  G_OBJECT_CLASS (ol_gui_application_parent_class)->finalize (object);
}

static void
ol_gui_application_class_init (OlGuiApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  object_class->finalize = ol_gui_application_finalize;
  app_class->handle_local_options = ol_gui_application_handle_local_options;
  app_class->activate = ol_gui_application_activate;
  app_class->startup = ol_gui_application_startup;
  app_class->shutdown = ol_gui_application_shutdown;
}

static void
ol_gui_application_init (OlGuiApplication *self)
{
  self->timeout_ms = OL_CLIENT_DEFAULT_TIMEOUT_MS;
  g_application_add_main_option_entries (G_APPLICATION (self), s_options);
  g_application_set_option_context_summary (G_APPLICATION (self),
    "A GTK client for oneliner servers: calls the server's methods, functions\n"
    "and named calls through typed forms, switches its streams on and off and\n"
    "shows them live (plots, pictures, values).\n\n"
    "Against the demo instrument:\n"
    "  oneliner-demo-server &\n"
    "  oneliner-gui --rpc tcp://localhost:5555 --stream tcp://localhost:5556");
}

OlGuiApplication *
ol_gui_application_new (void)
{
  return g_object_new (OL_GUI_TYPE_APPLICATION,
                       "application-id", "org.oneliner.Gui",
                       "flags", G_APPLICATION_NON_UNIQUE,
                       NULL);
}

int
ol_gui_application_get_exit_status (OlGuiApplication *self)
{
  g_return_val_if_fail (OL_GUI_IS_APPLICATION (self), 1);
  return self->exit_status;
}
