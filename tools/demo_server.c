/* oneliner-demo-server: a simulated lab instrument served over oneliner. */
#include <glib-unix.h>
#include <oneliner/oneliner.h>
#include <stdio.h>
#include <stdlib.h>

#include "tools/demo_stage.h"

static char *opt_rpc = NULL;
static char *opt_stream = NULL;
static char *opt_config = NULL;
static double opt_speed = 500.0;

static GOptionEntry s_entries[] = {
  { "rpc", 'r', 0, G_OPTION_ARG_STRING, &opt_rpc,
    "Endpoint the RPC socket binds (default " OL_DEFAULT_RPC_BIND ")", "ENDPOINT" },
  { "stream", 's', 0, G_OPTION_ARG_STRING, &opt_stream,
    "Endpoint the stream socket binds (default " OL_DEFAULT_STREAM_BIND ")", "ENDPOINT" },
  { "config", 'c', 0, G_OPTION_ARG_FILENAME, &opt_config,
    "JSON configuration file: named calls (docs/CONFIG.md)", "FILE" },
  { "speed", 0, 0, G_OPTION_ARG_DOUBLE, &opt_speed,
    "Simulated stage speed in mm/s, 0 for instant moves (default 500)", "MM_PER_S" },
  { NULL }
};

static gboolean
s_on_signal (gpointer loop)
{
  g_main_loop_quit (loop);
  return G_SOURCE_REMOVE;
}

int
main (int argc, char **argv)
{
  g_autoptr (GOptionContext) ctx = g_option_context_new ("- simulated lab instrument");
  g_autoptr (GError) error = NULL;
  g_autoptr (OlServer) server = NULL;
  g_autoptr (GMainLoop) loop = NULL;
  json_t *home_args = NULL;
  gboolean ok;

  g_option_context_set_summary (ctx,
    "Serves a simulated motorised stage (instance \"stage\": move_to, position,\n"
    "home, describe; named call \"home_all\") for remote calls over oneliner.\n"
    "Stops cleanly on SIGINT or SIGTERM.");
  g_option_context_add_main_entries (ctx, s_entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    {
      fprintf (stderr, "oneliner-demo-server: %s (try --help)\n", error->message);
      return 2;
    }
  if (argc > 1)
    {
      fprintf (stderr, "oneliner-demo-server: unexpected argument \"%s\" (try --help)\n", argv[1]);
      return 2;
    }
  if (opt_speed < 0)
    {
      fprintf (stderr, "oneliner-demo-server: --speed must be >= 0\n");
      return 2;
    }

  server = ol_server_new (opt_rpc, opt_stream);
  home_args = json_pack ("[i]", 0);
  ok = demo_stage_register (server, "stage", demo_stage_new (opt_speed, NULL, NULL), &error)
    && ol_server_add_named_call (server, "home_all", "stage", "home", home_args, NULL, &error)
    && (opt_config == NULL || ol_server_load_config (server, opt_config, &error))
    && ol_server_start (server, &error);
  json_decref (home_args);
  if (!ok)
    {
      fprintf (stderr, "oneliner-demo-server: %s\n", error->message);
      return 1;
    }

  loop = g_main_loop_new (NULL, FALSE);
  g_unix_signal_add (SIGINT, s_on_signal, loop);
  g_unix_signal_add (SIGTERM, s_on_signal, loop);
  printf ("oneliner-demo-server: serving rpc %s\n", ol_server_get_rpc_endpoint (server));
  fflush (stdout);
  g_main_loop_run (loop);
  ol_server_free (&server);
  printf ("oneliner-demo-server: stopped\n");
  return 0;
}
