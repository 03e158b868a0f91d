/* examples/hello/server.c: a C function served for remote calls. */
#include <glib-unix.h>
#include <locale.h>
#include <oneliner/oneliner.h>
#include <stdio.h>

typedef struct {
  double gain;
} Amplifier;

/* A method receives its instance first, then the signature's parameters. */
static double
amplify (Amplifier *amp, double volts, GError **error)
{
  if (volts < -10 || volts > 10)
    {
      g_set_error (error, OL_ERROR, OL_ERROR_INVALID_ARGS,
                   "%g V is outside the input range -10..10 V", volts);
      return 0;
    }
  return volts * amp->gain;
}

static void
set_gain (Amplifier *amp, double gain)
{
  amp->gain = gain;
}

static gboolean
quit (gpointer loop)
{
  g_main_loop_quit (loop);
  return G_SOURCE_REMOVE;
}

int
main (int argc, char **argv)
{
  Amplifier amp = { .gain = 2.0 };
  g_autoptr (GError) error = NULL;
  /* Endpoints from the command line, or the defaults on loopback. */
  g_autoptr (OlServer) server = NULL;
  g_autoptr (GMainLoop) loop = NULL;

  setlocale (LC_ALL, "");
  server = ol_server_new (argc > 1 ? argv[1] : "tcp://127.0.0.1:5555",
                          argc > 2 ? argv[2] : "tcp://127.0.0.1:5556");
  loop = g_main_loop_new (NULL, FALSE);

  if (!ol_server_add_instance (server, "amp", &amp, NULL, &error)
      || !ol_server_add_method (server, "amp", "amplify", "(double volts, error) -> double",
                                OL_FUNC (amplify), &error)
      || !ol_server_add_method (server, "amp", "set_gain", "(double gain)",
                                OL_FUNC (set_gain), &error)
      || !ol_server_start (server, &error))
    {
      fprintf (stderr, "hello-server: %s\n", error->message);
      return 1;
    }
  printf ("hello-server: serving rpc %s\n", ol_server_get_rpc_endpoint (server));
  fflush (stdout);
  g_unix_signal_add (SIGINT, quit, loop);
  g_unix_signal_add (SIGTERM, quit, loop);
  g_main_loop_run (loop);
  return 0;
}
