/* examples/async_clients/server.c: a weather station, one of several that
 * one client watches at once (examples/async_clients/client.c). */
#include <glib-unix.h>
#include <locale.h>
#include <oneliner/oneliner.h>
#include <stdio.h>
#include <string.h>

typedef struct {
  char *name;   /* (owned) */
  guint64 reads;
} Station;

/* info() -> {"name": ..., "readings": N} */
static json_t *
station_info (Station *station)
{
  return json_pack ("{s:s, s:I}", "name", station->name, "readings",
                    (json_int_t) station->reads);
}

/* reading() -> hPa, simulated. */
static double
station_reading (Station *station)
{
  station->reads++;
  return 1013.0 + (double) (station->reads % 20) / 10.0;
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
  g_autofree char *rpc = NULL, *stream = NULL, *name = NULL;
  double hz = 10;
  GOptionEntry entries[] = {
    { "rpc", 'r', 0, G_OPTION_ARG_STRING, &rpc,
      "Endpoint to bind for calls (default " OL_DEFAULT_RPC_BIND ")", "ENDPOINT" },
    { "stream", 's', 0, G_OPTION_ARG_STRING, &stream,
      "Endpoint to bind for streams (default " OL_DEFAULT_STREAM_BIND ")", "ENDPOINT" },
    { "name", 'n', 0, G_OPTION_ARG_STRING, &name, "The station's name (default station)",
      "NAME" },
    { "hz", 0, 0, G_OPTION_ARG_DOUBLE, &hz, "Readings per second (default 10)", "HZ" },
    G_OPTION_ENTRY_NULL
  };
  g_autoptr (GOptionContext) context = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (OlServer) server = NULL;
  g_autoptr (GMainLoop) loop = NULL;
  g_autoptr (json_t) description = NULL;
  Station station = { 0 };

  setlocale (LC_ALL, "");
  context = g_option_context_new ("- a weather station");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      fprintf (stderr, "station-server: %s\n", error->message);
      return 2;
    }
  if (name != NULL && (*name == '\0' || strlen (name) > 64 || !g_utf8_validate (name, -1, NULL)))
    {
      fprintf (stderr, "station-server: --name: 1 to 64 bytes of UTF-8\n");
      return 2;
    }
  station.name = g_strdup (name ? name : "station");

  server = ol_server_new (rpc, stream);
  description = json_pack ("{s:s, s:s, s:s, s:i}", "text", "air pressure", "unit", "hPa",
                           "form", "number", "precision", 1);
  if (!ol_server_add_instance (server, "station", &station, NULL, &error)
      || !ol_server_add_method (server, "station", "info", "() -> json",
                                OL_FUNC (station_info), &error)
      || !ol_server_add_method (server, "station", "reading", "() -> double",
                                OL_FUNC (station_reading), &error)
      || !ol_server_add_stream (server, "station/pressure", hz, "station", "reading", NULL,
                                NULL, TRUE, OL_ENCODING_JSON, NULL, &error)
      || !ol_server_describe_stream (server, "station/pressure", description, &error)
      || !ol_server_start (server, &error))
    fprintf (stderr, "station-server: %s\n", error->message);
  else
    {
      printf ("station-server %s: rpc %s stream %s\n", station.name,
              ol_server_get_rpc_endpoint (server), ol_server_get_stream_endpoint (server));
      fflush (stdout);
      loop = g_main_loop_new (NULL, FALSE);
      g_unix_signal_add (SIGINT, s_quit, loop);
      g_unix_signal_add (SIGTERM, s_quit, loop);
      g_main_loop_run (loop);
    }
  ol_server_free (&server); /* before the station its stream reads */
  g_free (station.name);
  return error == NULL ? 0 : 1;
}
