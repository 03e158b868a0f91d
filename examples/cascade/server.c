/* examples/cascade/server.c: the instrument server of one lab PC.
 *
 * Run one per PC, each with its own --name; a relay (oneliner-relay
 * --mount) gathers them so that a client on another PC reaches all of them
 * through one pair of endpoints. */
#include <glib-unix.h>
#include <locale.h>
#include <oneliner/oneliner.h>
#include <stdio.h>
#include <string.h>

typedef struct {
  char *name;   /* (owned) this PC's name */
  double volts; /* the last reading */
} Meter;

/* name() -> which PC answered (a string result is freed by oneliner). */
static char *
meter_name (Meter *meter)
{
  return g_strdup (meter->name);
}

/* read() -> volts: a simulated reading (a real driver asks the meter). */
static double
meter_read (Meter *meter)
{
  meter->volts = meter->volts >= 9.0 ? 1.0 : meter->volts + 0.5;
  return meter->volts;
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
  GOptionEntry entries[] = {
    { "rpc", 'r', 0, G_OPTION_ARG_STRING, &rpc,
      "Endpoint to bind for calls (default " OL_DEFAULT_RPC_BIND ")", "ENDPOINT" },
    { "stream", 's', 0, G_OPTION_ARG_STRING, &stream,
      "Endpoint to bind for streams (default " OL_DEFAULT_STREAM_BIND ")", "ENDPOINT" },
    { "name", 'n', 0, G_OPTION_ARG_STRING, &name,
      "This PC's name, as meter.name() returns it (default: the host name)", "NAME" },
    G_OPTION_ENTRY_NULL
  };
  g_autoptr (GOptionContext) context = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (OlServer) server = NULL;
  g_autoptr (GMainLoop) loop = NULL;
  g_autoptr (json_t) description = NULL;
  Meter meter = { 0 };

  setlocale (LC_ALL, "");
  context = g_option_context_new ("- a voltmeter on one lab PC");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      fprintf (stderr, "meter-server: %s\n", error->message);
      return 2;
    }
  if (name != NULL && (*name == '\0' || strlen (name) > 64))
    {
      fprintf (stderr, "meter-server: --name: 1 to 64 bytes\n");
      return 2;
    }
  meter.name = g_strdup (name ? name : g_get_host_name ());

  server = ol_server_new (rpc, stream);
  description = json_pack ("{s:s, s:s, s:s, s:i}", "text", "meter reading", "unit", "V",
                           "form", "number", "precision", 2);
  if (!ol_server_add_instance (server, "meter", &meter, NULL, &error)
      || !ol_server_add_method (server, "meter", "name", "() -> string",
                                OL_FUNC (meter_name), &error)
      || !ol_server_add_method (server, "meter", "read", "() -> double",
                                OL_FUNC (meter_read), &error)
      || !ol_server_add_stream (server, "meter/volts", 10, "meter", "read", NULL, NULL, TRUE,
                                OL_ENCODING_JSON, NULL, &error)
      || !ol_server_describe_stream (server, "meter/volts", description, &error)
      || !ol_server_start (server, &error))
    fprintf (stderr, "meter-server: %s\n", error->message);
  else
    {
      printf ("meter-server %s: rpc %s stream %s\n", meter.name,
              ol_server_get_rpc_endpoint (server), ol_server_get_stream_endpoint (server));
      fflush (stdout);
      loop = g_main_loop_new (NULL, FALSE);
      g_unix_signal_add (SIGINT, s_quit, loop);
      g_unix_signal_add (SIGTERM, s_quit, loop);
      g_main_loop_run (loop);
    }
  /* The server first: its stream thread calls into meter. */
  ol_server_free (&server);
  g_free (meter.name);
  return error == NULL ? 0 : 1;
}
