/* examples/foreign_pub/publisher.c: someone else's program. It knows
 * nothing of oneliner: a plain ZeroMQ PUB socket publishing two-frame
 * messages [topic, text], the temperature as "21.50" under the topic
 * "temp" and the pressure under "pressure". oneliner-relay --relay
 * re-publishes one topic of it as a oneliner stream. */
#include <errno.h>
#include <glib.h>
#include <locale.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <zmq.h>

static volatile sig_atomic_t s_stop = 0;

static void
s_on_signal (int signum)
{
  (void) signum;
  s_stop = 1;
}

/* Sends [topic, text]; -1 on an error (errno set). */
static int
s_send (void *pub, const char *topic, const char *text)
{
  if (zmq_send (pub, topic, strlen (topic), ZMQ_SNDMORE) < 0)
    return -1;
  return zmq_send (pub, text, strlen (text), 0) < 0 ? -1 : 0;
}

int
main (int argc, char **argv)
{
  g_autofree char *bind = NULL;
  int count = 0, period_ms = 100;
  GOptionEntry entries[] = {
    { "bind", 'b', 0, G_OPTION_ARG_STRING, &bind,
      "Endpoint the PUB socket binds (default tcp://*:7000)", "ENDPOINT" },
    { "count", 'n', 0, G_OPTION_ARG_INT, &count,
      "Stop after N messages of each topic (default 0: until Ctrl-C)", "N" },
    { "period-ms", 0, 0, G_OPTION_ARG_INT, &period_ms,
      "Time between messages (default 100)", "MS" },
    G_OPTION_ENTRY_NULL
  };
  g_autoptr (GOptionContext) context = NULL;
  g_autoptr (GError) error = NULL;
  struct sigaction action = { 0 };
  void *ctx, *pub;
  int linger = 0, status = 0;

  setlocale (LC_ALL, "");
  context = g_option_context_new ("- a plain ZeroMQ publisher of temperatures");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      fprintf (stderr, "foreign-publisher: %s\n", error->message);
      return 2;
    }
  if (count < 0 || period_ms < 1 || period_ms > 60000)
    {
      fprintf (stderr, "foreign-publisher: --count 0 or more, --period-ms 1..60000\n");
      return 2;
    }
  action.sa_handler = s_on_signal;
  sigaction (SIGINT, &action, NULL);
  sigaction (SIGTERM, &action, NULL);

  ctx = zmq_ctx_new ();
  pub = zmq_socket (ctx, ZMQ_PUB);
  zmq_setsockopt (pub, ZMQ_LINGER, &linger, sizeof linger);
  if (zmq_bind (pub, bind ? bind : "tcp://*:7000") != 0)
    {
      fprintf (stderr, "foreign-publisher: cannot bind %s: %s\n", bind ? bind : "tcp://*:7000",
               zmq_strerror (zmq_errno ()));
      status = 1;
    }
  else
    {
      char endpoint[256];
      size_t size = sizeof endpoint;

      zmq_getsockopt (pub, ZMQ_LAST_ENDPOINT, endpoint, &size);
      printf ("foreign-publisher: publishing on %s\n", endpoint);
      fflush (stdout);
    }
  for (int i = 0; status == 0 && !s_stop && (count == 0 || i < count); i++)
    {
      char temp[32], pressure[32];

      /* A real program would read its sensors here. */
      g_snprintf (temp, sizeof temp, "%.2f", 21.0 + 0.5 * sin (i / 10.0));
      g_snprintf (pressure, sizeof pressure, "%.1f", 1013.0 + (i % 7));
      if ((s_send (pub, "temp", temp) != 0 || s_send (pub, "pressure", pressure) != 0)
          && zmq_errno () != EINTR)
        {
          fprintf (stderr, "foreign-publisher: %s\n", zmq_strerror (zmq_errno ()));
          status = 1;
        }
      g_usleep ((gulong) period_ms * 1000);
    }
  zmq_close (pub);
  zmq_ctx_term (ctx);
  return status;
}
