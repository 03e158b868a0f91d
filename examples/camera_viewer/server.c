/* examples/camera_viewer/server.c: a camera whose frames are a stream that is
 * off until a viewer switches it on: when nobody watches, the camera idles
 * (a disabled periodic stream never calls its callable). */
#include <glib-unix.h>
#include <locale.h>
#include <oneliner/oneliner.h>
#include <stdio.h>

#define WIDTH 320
#define HEIGHT 240

typedef struct {
  guint64 frames; /* frames taken so far */
} Camera;

/* frame() -> bytes: one gray8 image, a gradient that moves with every frame
 * (a real driver would read the sensor here). */
static GBytes *
camera_frame (Camera *camera)
{
  guint8 *pixels = g_malloc (WIDTH * HEIGHT);

  for (int y = 0; y < HEIGHT; y++)
    for (int x = 0; x < WIDTH; x++)
      pixels[y * WIDTH + x] = (guint8) (x + y + camera->frames * 4);
  camera->frames++;
  return g_bytes_new_take (pixels, WIDTH * HEIGHT);
}

static guint64
camera_frames_taken (Camera *camera)
{
  return camera->frames;
}

static gboolean
s_quit (gpointer loop)
{
  g_main_loop_quit (loop);
  return G_SOURCE_REMOVE;
}

int
main (int argc, char **argv)
{
  g_autofree char *rpc = NULL, *stream = NULL;
  double hz = 20;
  GOptionEntry entries[] = {
    { "rpc", 'r', 0, G_OPTION_ARG_STRING, &rpc,
      "Endpoint to bind for calls (default " OL_DEFAULT_RPC_BIND ")", "ENDPOINT" },
    { "stream", 's', 0, G_OPTION_ARG_STRING, &stream,
      "Endpoint to bind for streams (default " OL_DEFAULT_STREAM_BIND ")", "ENDPOINT" },
    { "hz", 0, 0, G_OPTION_ARG_DOUBLE, &hz, "Frames per second (default 20)", "HZ" },
    G_OPTION_ENTRY_NULL
  };
  const OlImageInfo image = { WIDTH, HEIGHT, OL_PIXEL_GRAY8 };
  g_autoptr (GOptionContext) context = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (OlServer) server = NULL;
  g_autoptr (GMainLoop) loop = NULL;
  g_autoptr (json_t) description = NULL;
  Camera camera = { 0 };

  setlocale (LC_ALL, "");
  context = g_option_context_new ("- a camera streaming frames while someone watches");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      fprintf (stderr, "camera-server: %s\n", error->message);
      return 2;
    }

  server = ol_server_new (rpc, stream);
  description = json_pack ("{s:s, s:s}", "text", "camera frames, 320x240 gray8", "form",
                           "image");
  /* The stream is added disabled: the viewer enables it. ol_server_add_stream
   * checks hz. */
  if (!ol_server_add_instance (server, "camera", &camera, NULL, &error)
      || !ol_server_add_method (server, "camera", "frame", "() -> bytes",
                                OL_FUNC (camera_frame), &error)
      || !ol_server_add_method (server, "camera", "frames_taken", "() -> uint64",
                                OL_FUNC (camera_frames_taken), &error)
      || !ol_server_add_stream (server, "camera/frames", hz, "camera", "frame", NULL, NULL,
                                FALSE, OL_ENCODING_IMAGE, &image, &error)
      || !ol_server_describe_stream (server, "camera/frames", description, &error)
      || !ol_server_start (server, &error))
    {
      fprintf (stderr, "camera-server: %s\n", error->message);
      return 1;
    }
  printf ("camera-server: rpc %s stream %s\n", ol_server_get_rpc_endpoint (server),
          ol_server_get_stream_endpoint (server));
  fflush (stdout);

  loop = g_main_loop_new (NULL, FALSE);
  g_unix_signal_add (SIGINT, s_quit, loop);
  g_unix_signal_add (SIGTERM, s_quit, loop);
  g_main_loop_run (loop);
  return 0;
}
