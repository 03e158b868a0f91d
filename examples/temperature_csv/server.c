/* examples/temperature_csv/server.c: a thermometer read periodically.
 *
 * The stream "thermo/temperature" calls thermo.read() --hz times a second.
 * Its description says what the numbers are: degrees Celsius, two decimals,
 * with warning and alarm limits; every message outside them carries the
 * WARNING or ALARM status bit, set by the server. */
#include <glib-unix.h>
#include <locale.h>
#include <math.h>
#include <oneliner/oneliner.h>
#include <stdio.h>

typedef struct {
  double setpoint; /* degC */
  guint64 reads;
} Thermometer;

/* read() -> degC: a simulated sample holder drifting slowly around its
 * set point (a real driver would read the sensor here). */
static double
thermo_read (Thermometer *t)
{
  double x = (double) t->reads++;

  return t->setpoint + 0.8 * sin (x / 50.0) + 0.05 * sin (x * 1.7);
}

static void
thermo_set_setpoint (Thermometer *t, double degc)
{
  t->setpoint = degc;
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
  double hz = 10;
  GOptionEntry entries[] = {
    { "rpc", 'r', 0, G_OPTION_ARG_STRING, &rpc,
      "Endpoint to bind for calls (default " OL_DEFAULT_RPC_BIND ")", "ENDPOINT" },
    { "stream", 's', 0, G_OPTION_ARG_STRING, &stream,
      "Endpoint to bind for streams (default " OL_DEFAULT_STREAM_BIND ")", "ENDPOINT" },
    { "hz", 0, 0, G_OPTION_ARG_DOUBLE, &hz, "Readings per second (default 10)", "HZ" },
    G_OPTION_ENTRY_NULL
  };
  g_autoptr (GOptionContext) context = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (OlServer) server = NULL;
  g_autoptr (GMainLoop) loop = NULL;
  g_autoptr (json_t) description = NULL;
  Thermometer thermo = { .setpoint = 22.0 };

  setlocale (LC_ALL, "");
  context = g_option_context_new ("- a thermometer streaming its readings");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      fprintf (stderr, "thermo-server: %s\n", error->message);
      return 2;
    }

  server = ol_server_new (rpc, stream);
  description = json_pack ("{s:s, s:s, s:s, s:i, s:{s:f, s:f, s:f, s:f}}",
                           "text", "sample holder temperature", "unit", "degC",
                           "form", "number", "precision", 2, "limits",
                           "alarm_low", 10.0, "warning_low", 18.0,
                           "warning_high", 26.0, "alarm_high", 35.0);
  /* Described before the server starts, so that every message is checked. */
  if (!ol_server_add_instance (server, "thermo", &thermo, NULL, &error)
      || !ol_server_add_method (server, "thermo", "read", "() -> double",
                                OL_FUNC (thermo_read), &error)
      || !ol_server_add_method (server, "thermo", "set_setpoint", "(double degc)",
                                OL_FUNC (thermo_set_setpoint), &error)
      || !ol_server_add_stream (server, "thermo/temperature", hz, "thermo", "read", NULL, NULL,
                                TRUE, OL_ENCODING_JSON, NULL, &error)
      || !ol_server_describe_stream (server, "thermo/temperature", description, &error)
      || !ol_server_start (server, &error))
    {
      fprintf (stderr, "thermo-server: %s\n", error->message);
      return 1;
    }
  printf ("thermo-server: rpc %s stream %s\n", ol_server_get_rpc_endpoint (server),
          ol_server_get_stream_endpoint (server));
  fflush (stdout);

  loop = g_main_loop_new (NULL, FALSE);
  g_unix_signal_add (SIGINT, s_quit, loop);
  g_unix_signal_add (SIGTERM, s_quit, loop);
  g_main_loop_run (loop);
  return 0;
}
