/* examples/camera_viewer/client.c: a GTK 4 window showing a camera live.
 *
 * The camera's stream is enabled when the window opens and disabled when it
 * closes, so the camera only works while someone watches. Frames arrive on
 * GTK's own main loop (the client's stream watch): no thread, no lock. The
 * stream is kept as a cache: a slow display skips to the newest frame, it
 * never falls behind. */
#include <glib-unix.h>
#include <gtk/gtk.h>
#include <locale.h>
#include <oneliner/oneliner.h>
#include <stdio.h>

#define STREAM "camera/frames"

typedef struct {
  OlClient *client;   /* (owned) */
  GtkWindow *window;  /* (unowned) the application holds it; NULL once closed */
  GtkPicture *picture;
  guint watch;        /* the stream watch, 0 when none */
  guint64 shown;      /* frames shown */
  int max_frames;     /* close after this many; 0: never */
  int status;         /* the exit status */
} Viewer;

/* A gray8 frame as a texture (GTK 4.8 has no gray memory format: each
 * pixel becomes R = G = B). (transfer full) */
static GdkTexture *
s_texture (const OlStreamMessage *message)
{
  gsize size = 0;
  const guint8 *gray = g_bytes_get_data (message->payload, &size);
  guint w = message->image.width, h = message->image.height;
  g_autoptr (GBytes) rgb = NULL;
  guint8 *out;

  if (message->image.format != OL_PIXEL_GRAY8 || w == 0 || h == 0 || size != (gsize) w * h)
    return NULL;
  out = g_malloc ((gsize) w * h * 3);
  for (gsize i = 0; i < (gsize) w * h; i++)
    out[3 * i] = out[3 * i + 1] = out[3 * i + 2] = gray[i];
  rgb = g_bytes_new_take (out, (gsize) w * h * 3);
  return gdk_memory_texture_new ((int) w, (int) h, GDK_MEMORY_R8G8B8, rgb, (gsize) w * 3);
}

/* The stream watch: takes what arrived (calls are coalesced) and shows the
 * newest frame. */
static void
s_on_frames (OlClient *client, const char *name, gpointer data)
{
  Viewer *viewer = data;
  OlStreamMessage *message;
  g_autoptr (GError) error = NULL;

  while ((message = ol_client_get_stream (client, name, 0, &error)) != NULL)
    {
      g_autoptr (GdkTexture) texture = s_texture (message);

      if (texture != NULL)
        {
          gtk_picture_set_paintable (viewer->picture, GDK_PAINTABLE (texture));
          viewer->shown++;
        }
      ol_stream_message_free (message);
    }
  if (!g_error_matches (error, OL_ERROR, OL_ERROR_TIMEOUT))
    fprintf (stderr, "camera-viewer: %s: %s\n", name, error->message);
  if (viewer->window != NULL && viewer->max_frames > 0
      && viewer->shown >= (guint64) viewer->max_frames)
    gtk_window_close (viewer->window);
}

/* The window closes: switch the camera off. Returning FALSE lets it close. */
static gboolean
s_on_close (GtkWindow *window, gpointer data)
{
  Viewer *viewer = data;
  g_autoptr (GError) error = NULL;

  (void) window;
  /* No more frames for a window that is going away. */
  if (viewer->watch != 0)
    ol_client_unwatch_stream (viewer->client, viewer->watch);
  viewer->watch = 0;
  viewer->window = NULL;
  if (ol_client_set_stream_enabled (viewer->client, STREAM, FALSE, &error))
    printf ("camera-viewer: disabled %s after %" G_GUINT64_FORMAT " frames\n", STREAM,
            viewer->shown);
  else
    {
      fprintf (stderr, "camera-viewer: cannot disable %s: %s\n", STREAM, error->message);
      viewer->status = 1;
    }
  fflush (stdout);
  return FALSE;
}

/* Ctrl-C or SIGTERM closes the window as its close button does, so the
 * camera is switched off then too. */
static gboolean
s_on_signal (gpointer data)
{
  Viewer *viewer = data;

  if (viewer->window != NULL)
    gtk_window_close (viewer->window);
  return G_SOURCE_CONTINUE;
}

static void
s_on_activate (GtkApplication *app, gpointer data)
{
  Viewer *viewer = data;
  g_autoptr (GError) error = NULL;

  if (viewer->window != NULL)
    return;
  viewer->window = GTK_WINDOW (gtk_application_window_new (app));
  gtk_window_set_title (viewer->window, "Camera");
  gtk_window_set_default_size (viewer->window, 640, 480);
  viewer->picture = GTK_PICTURE (gtk_picture_new ());
  gtk_window_set_child (viewer->window, GTK_WIDGET (viewer->picture));
  g_signal_connect (viewer->window, "close-request", G_CALLBACK (s_on_close), viewer);
  gtk_window_present (viewer->window);

  /* The window is open: subscribe, then switch the camera on. */
  if (!ol_client_configure_stream (viewer->client, STREAM, OL_STORAGE_CACHE, 0, &error)
      || !ol_client_set_stream_enabled (viewer->client, STREAM, TRUE, &error))
    {
      fprintf (stderr, "camera-viewer: %s\n", error->message);
      viewer->status = 1;
      gtk_window_destroy (viewer->window); /* no close-request: nothing to disable */
      viewer->window = NULL;
      return;
    }
  viewer->watch = ol_client_watch_stream (viewer->client, STREAM, s_on_frames, viewer, NULL);
  printf ("camera-viewer: enabled %s\n", STREAM);
  fflush (stdout);
}

int
main (int argc, char **argv)
{
  g_autofree char *rpc = NULL, *stream = NULL;
  Viewer viewer = { 0 };
  GOptionEntry entries[] = {
    { "rpc", 'r', 0, G_OPTION_ARG_STRING, &rpc,
      "The camera server (default " OL_DEFAULT_RPC_CONNECT ")", "ENDPOINT" },
    { "stream", 's', 0, G_OPTION_ARG_STRING, &stream,
      "Its stream endpoint (default " OL_DEFAULT_STREAM_CONNECT ")", "ENDPOINT" },
    { "frames", 'n', 0, G_OPTION_ARG_INT, &viewer.max_frames,
      "Close the window after N frames (default 0: when you close it)", "N" },
    G_OPTION_ENTRY_NULL
  };
  g_autoptr (GOptionContext) context = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GtkApplication) app = NULL;
  char *app_argv[] = { argv[0], NULL };
  guint sigint, sigterm;

  setlocale (LC_ALL, "");
  context = g_option_context_new ("- show a camera while the window is open");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      fprintf (stderr, "camera-viewer: %s\n", error->message);
      return 2;
    }
  if (viewer.max_frames < 0)
    {
      fprintf (stderr, "camera-viewer: --frames must be 0 or more\n");
      return 2;
    }
  /* Made before the loop runs: its watches dispatch on the default main
   * context, which GTK iterates. */
  viewer.client = ol_client_new (rpc, stream, &error);
  if (viewer.client == NULL)
    {
      fprintf (stderr, "camera-viewer: %s\n", error->message);
      return 1;
    }
  ol_client_set_timeout (viewer.client, 2000);

  /* NON_UNIQUE: every viewer is its own process, whatever else runs. */
  app = gtk_application_new ("org.oneliner.example.CameraViewer", G_APPLICATION_NON_UNIQUE);
  g_signal_connect (app, "activate", G_CALLBACK (s_on_activate), &viewer);
  sigint = g_unix_signal_add (SIGINT, s_on_signal, &viewer);
  sigterm = g_unix_signal_add (SIGTERM, s_on_signal, &viewer);
  if (g_application_run (G_APPLICATION (app), 1, app_argv) != 0)
    viewer.status = 1;
  g_source_remove (sigint);
  g_source_remove (sigterm);
  ol_client_free (&viewer.client);
  return viewer.status;
}
