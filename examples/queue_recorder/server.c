/* examples/queue_recorder/server.c: an acquisition that sends bursts.
 *
 * acquire(n) pushes n samples at once to the stream "daq/samples" (as a
 * triggered digitiser would) and returns how many samples the stream has
 * published in all, so a recorder can check that it accounts for each. */
#include <glib-unix.h>
#include <locale.h>
#include <math.h>
#include <oneliner/oneliner.h>
#include <stdint.h>
#include <stdio.h>

typedef struct {
  OlStreamWriter *writer; /* (owned) */
  guint64 published;      /* samples published so far */
} Daq;

/* acquire(n) -> samples published in all, this burst included. */
static guint64
daq_acquire (Daq *daq, uint32_t n, GError **error)
{
  if (n > 1000000)
    {
      g_set_error (error, OL_ERROR, OL_ERROR_INVALID_ARGS, "at most 1000000 samples a burst");
      return 0;
    }
  for (uint32_t i = 0; i < n; i++)
    {
      g_autoptr (json_t) sample = json_pack ("{s:I, s:f}", "n", (json_int_t) daq->published + 1,
                                             "volts", sin ((double) daq->published / 10.0));
      g_autoptr (GError) push_error = NULL;

      /* The server's publishing queue is bounded: when it is full the push
       * fails with BUSY and nothing is published; wait a little and retry,
       * so that every sample of the burst goes out. */
      while (!ol_stream_writer_push_json (daq->writer, sample, &push_error))
        {
          if (!g_error_matches (push_error, OL_ERROR, OL_ERROR_BUSY))
            {
              g_propagate_error (error, g_steal_pointer (&push_error));
              return 0;
            }
          g_clear_error (&push_error);
          g_usleep (1000);
        }
      daq->published++;
    }
  return daq->published;
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
  GOptionEntry entries[] = {
    { "rpc", 'r', 0, G_OPTION_ARG_STRING, &rpc,
      "Endpoint to bind for calls (default " OL_DEFAULT_RPC_BIND ")", "ENDPOINT" },
    { "stream", 's', 0, G_OPTION_ARG_STRING, &stream,
      "Endpoint to bind for streams (default " OL_DEFAULT_STREAM_BIND ")", "ENDPOINT" },
    G_OPTION_ENTRY_NULL
  };
  g_autoptr (GOptionContext) context = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (OlServer) server = NULL;
  g_autoptr (GMainLoop) loop = NULL;
  g_autoptr (json_t) description = NULL;
  Daq daq = { 0 };
  int status = 0;

  setlocale (LC_ALL, "");
  context = g_option_context_new ("- a digitiser that sends bursts of samples");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      fprintf (stderr, "burst-server: %s\n", error->message);
      return 2;
    }

  server = ol_server_new (rpc, stream);
  description = json_pack ("{s:s, s:s, s:[{s:s, s:s}, {s:s, s:s, s:i}]}", "text",
                           "one sample per message, numbered from 1", "form", "object",
                           "fields", "name", "n", "text", "sample number", "name", "volts",
                           "unit", "V", "precision", 4);
  daq.writer = ol_server_add_pushed_stream (server, "daq/samples", OL_ENCODING_JSON, NULL,
                                            &error);
  if (daq.writer == NULL
      || !ol_server_describe_stream (server, "daq/samples", description, &error)
      || !ol_server_add_instance (server, "daq", &daq, NULL, &error)
      || !ol_server_add_method (server, "daq", "acquire", "(uint32 n, error) -> uint64",
                                OL_FUNC (daq_acquire), &error)
      || !ol_server_start (server, &error))
    {
      fprintf (stderr, "burst-server: %s\n", error->message);
      status = 1;
    }
  else
    {
      printf ("burst-server: rpc %s stream %s\n", ol_server_get_rpc_endpoint (server),
              ol_server_get_stream_endpoint (server));
      fflush (stdout);
      loop = g_main_loop_new (NULL, FALSE);
      g_unix_signal_add (SIGINT, s_quit, loop);
      g_unix_signal_add (SIGTERM, s_quit, loop);
      g_main_loop_run (loop);
    }
  /* The server first (it stops calling acquire), then the writer. */
  ol_server_free (&server);
  g_clear_pointer (&daq.writer, ol_stream_writer_unref);
  return status;
}
