/* examples/daq_waveform/server.c: a DAQ card whose acquisition thread pushes
 * each waveform as it is captured.
 *
 * The acquisition runs at the card's pace in a thread of its own; it hands
 * each waveform to an OlStreamWriter, stamped with the time it was captured
 * (push_json_at), and never waits for the network or for subscribers. The
 * description says what the samples are: volts, 1000 per waveform, 1 us
 * apart. */
#include <glib-unix.h>
#include <locale.h>
#include <math.h>
#include <oneliner/oneliner.h>
#include <stdio.h>

#define SAMPLES 1000
#define STEP_US 1.0

typedef struct {
  OlStreamWriter *writer; /* (owned) */
  double hz;              /* waveforms per second */
  gint stop;              /* atomic: set by the main thread */
  guint64 captured;       /* the acquisition thread's own */
} Daq;

/* A captured waveform: a damped oscillation with a little noise (a real
 * card would fill this from its DMA buffer). */
static json_t *
s_capture (Daq *daq)
{
  json_t *samples = json_array ();
  double phase = (double) (daq->captured % 100) / 100.0 * 2 * G_PI;

  for (int i = 0; i < SAMPLES; i++)
    {
      double t = i * STEP_US;
      double v = 5.0 * exp (-t / 400.0) * sin (2 * G_PI * t / 50.0 + phase)
                 + 0.01 * sin (i * 12.9898);

      json_array_append_new (samples, json_real (v));
    }
  daq->captured++;
  return samples;
}

static gpointer
s_acquisition_thread (gpointer data)
{
  Daq *daq = data;
  gint64 period = (gint64) (G_USEC_PER_SEC / daq->hz);
  gint64 next = g_get_monotonic_time ();

  while (!g_atomic_int_get (&daq->stop))
    {
      gint64 captured_at = g_get_real_time () * 1000; /* ns since the epoch */
      g_autoptr (json_t) waveform = s_capture (daq);
      g_autoptr (GError) error = NULL;
      gint64 wait;

      /* BUSY (the server's queue is full) drops this waveform and counts it
       * in the stream's statistics: the acquisition goes on. */
      if (!ol_stream_writer_push_json_at (daq->writer, waveform, captured_at, &error)
          && !g_error_matches (error, OL_ERROR, OL_ERROR_BUSY))
        fprintf (stderr, "daq-server: %s\n", error->message);
      next += period;
      wait = next - g_get_monotonic_time ();
      if (wait > 0)
        g_usleep ((gulong) MIN (wait, G_USEC_PER_SEC));
      else
        next = g_get_monotonic_time (); /* late: no catching up in a burst */
    }
  return NULL;
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
  Daq daq = { .hz = 20 };
  GOptionEntry entries[] = {
    { "rpc", 'r', 0, G_OPTION_ARG_STRING, &rpc,
      "Endpoint to bind for calls (default " OL_DEFAULT_RPC_BIND ")", "ENDPOINT" },
    { "stream", 's', 0, G_OPTION_ARG_STRING, &stream,
      "Endpoint to bind for streams (default " OL_DEFAULT_STREAM_BIND ")", "ENDPOINT" },
    { "hz", 0, 0, G_OPTION_ARG_DOUBLE, &daq.hz, "Waveforms per second (default 20)", "HZ" },
    G_OPTION_ENTRY_NULL
  };
  g_autoptr (GOptionContext) context = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (OlServer) server = NULL;
  g_autoptr (GMainLoop) loop = NULL;
  g_autoptr (json_t) description = NULL;
  GThread *thread;

  setlocale (LC_ALL, "");
  context = g_option_context_new ("- a DAQ card pushing waveforms from its own thread");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      fprintf (stderr, "daq-server: %s\n", error->message);
      return 2;
    }
  if (!(daq.hz >= 0.1 && daq.hz <= 1000))
    {
      fprintf (stderr, "daq-server: --hz 0.1..1000\n");
      return 2;
    }

  server = ol_server_new (rpc, stream);
  description = json_pack ("{s:s, s:s, s:s, s:i, s:{s:s, s:f, s:f}, s:i, s:{s:f, s:f}}",
                           "text", "digitiser channel A", "unit", "V", "form", "array",
                           "length", SAMPLES, "x", "unit", "us", "start", 0.0, "step", STEP_US,
                           "precision", 3, "limits", "alarm_low", -10.0, "alarm_high", 10.0);
  daq.writer = ol_server_add_pushed_stream (server, "daq/waveform", OL_ENCODING_JSON, NULL,
                                            &error);
  if (daq.writer == NULL
      || !ol_server_describe_stream (server, "daq/waveform", description, &error)
      || !ol_server_start (server, &error))
    {
      fprintf (stderr, "daq-server: %s\n", error->message);
      ol_server_free (&server);
      g_clear_pointer (&daq.writer, ol_stream_writer_unref);
      return 1;
    }
  printf ("daq-server: rpc %s stream %s\n", ol_server_get_rpc_endpoint (server),
          ol_server_get_stream_endpoint (server));
  fflush (stdout);

  thread = g_thread_new ("acquisition", s_acquisition_thread, &daq);
  loop = g_main_loop_new (NULL, FALSE);
  g_unix_signal_add (SIGINT, s_quit, loop);
  g_unix_signal_add (SIGTERM, s_quit, loop);
  g_main_loop_run (loop);

  /* Stop the acquisition, then the server, then release the writer. */
  g_atomic_int_set (&daq.stop, 1);
  g_thread_join (thread);
  ol_server_free (&server);
  ol_stream_writer_unref (daq.writer);
  return 0;
}
