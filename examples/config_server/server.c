/* examples/config_server/server.c: a server whose set-up is a file.
 *
 * The program registers what only C can provide, the driver functions;
 * everything else (the endpoints, the named calls, which functions are
 * streamed, how often, and what their values mean) is in a JSON file
 * (docs/CONFIG.md), so the lab changes it without rebuilding. Endpoints
 * given on the command line win over the file's. */
#include <glib-unix.h>
#include <locale.h>
#include <oneliner/oneliner.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

typedef struct {
  double power_mw;
} Laser;

typedef struct {
  gboolean open;
} Shutter;

static double
laser_power (Laser *laser)
{
  return laser->power_mw;
}

static void
laser_set_power (Laser *laser, double mw, GError **error)
{
  if (mw < 0 || mw > 50)
    g_set_error (error, OL_ERROR, OL_ERROR_INVALID_ARGS, "%g mW is outside 0..50 mW", mw);
  else
    laser->power_mw = mw;
}

static void
shutter_set_open (Shutter *shutter, bool open)
{
  shutter->open = open;
}

static int32_t
shutter_state (Shutter *shutter)
{
  return shutter->open ? 1 : 0;
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
  g_autofree char *rpc = NULL, *stream = NULL, *path = NULL;
  GOptionEntry entries[] = {
    { "config", 'c', 0, G_OPTION_ARG_FILENAME, &path,
      "The configuration file (default lab.json)", "FILE" },
    { "rpc", 'r', 0, G_OPTION_ARG_STRING, &rpc,
      "Endpoint to bind for calls, instead of the file's", "ENDPOINT" },
    { "stream", 's', 0, G_OPTION_ARG_STRING, &stream,
      "Endpoint to bind for streams, instead of the file's", "ENDPOINT" },
    G_OPTION_ENTRY_NULL
  };
  g_autoptr (GOptionContext) context = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (OlServer) server = NULL;
  g_autoptr (GMainLoop) loop = NULL;
  g_autoptr (json_t) config = NULL;
  const char *file;
  Laser laser = { .power_mw = 1.0 };
  Shutter shutter = { FALSE };

  setlocale (LC_ALL, "");
  context = g_option_context_new ("- a laser and a shutter, set up by a JSON file");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      fprintf (stderr, "config-server: %s\n", error->message);
      return 2;
    }
  file = path ? path : "lab.json";

  /* The file names callables: register them first. */
  server = ol_server_new (NULL, NULL);
  if (!ol_server_add_instance (server, "laser", &laser, NULL, &error)
      || !ol_server_add_method (server, "laser", "power", "() -> double",
                                OL_FUNC (laser_power), &error)
      || !ol_server_add_method (server, "laser", "set_power", "(double mw, error)",
                                OL_FUNC (laser_set_power), &error)
      || !ol_server_add_instance (server, "shutter", &shutter, NULL, &error)
      || !ol_server_add_method (server, "shutter", "set_open", "(bool open)",
                                OL_FUNC (shutter_set_open), &error)
      || !ol_server_add_method (server, "shutter", "state", "() -> int32",
                                OL_FUNC (shutter_state), &error))
    {
      fprintf (stderr, "config-server: %s\n", error->message);
      return 1;
    }

  /* Read the file, put the command line's endpoints over the file's, apply:
   * the whole file is checked first, and nothing of it applies if any
   * entry is wrong (the error names the entry). */
  config = ol_config_read_file (file, &error);
  if (config == NULL)
    {
      fprintf (stderr, "config-server: %s\n", error->message);
      return 1;
    }
  if (json_is_object (config)
      && ((rpc != NULL && json_object_set_new (config, "rpc", json_string (rpc)) != 0)
          || (stream != NULL && json_object_set_new (config, "stream", json_string (stream)) != 0)))
    {
      fprintf (stderr, "config-server: --rpc and --stream must be UTF-8\n");
      return 2;
    }
  if (!ol_server_apply_config (server, config, &error) || !ol_server_start (server, &error))
    {
      fprintf (stderr, "config-server: %s: %s\n", file, error->message);
      return 1;
    }
  printf ("config-server: rpc %s stream %s\n", ol_server_get_rpc_endpoint (server),
          ol_server_get_stream_endpoint (server));
  fflush (stdout);

  loop = g_main_loop_new (NULL, FALSE);
  g_unix_signal_add (SIGINT, s_quit, loop);
  g_unix_signal_add (SIGTERM, s_quit, loop);
  g_main_loop_run (loop);
  return 0;
}
