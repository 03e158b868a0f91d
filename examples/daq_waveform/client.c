/* examples/daq_waveform/client.c: a live look at a DAQ's waveforms.
 *
 * The stream is kept as a cache (the latest waveform only): a display that
 * is slower than the DAQ shows the newest waveform, never an old backlog.
 * The number of samples and their spacing come from the stream's
 * description; every waveform is checked against it. */
#include <locale.h>
#include <oneliner/oneliner.h>
#include <stdio.h>

#define STREAM "daq/waveform"

int
main (int argc, char **argv)
{
  g_autofree char *rpc = NULL, *stream = NULL;
  int count = 5;
  GOptionEntry entries[] = {
    { "rpc", 'r', 0, G_OPTION_ARG_STRING, &rpc,
      "The DAQ server (default " OL_DEFAULT_RPC_CONNECT ")", "ENDPOINT" },
    { "stream", 's', 0, G_OPTION_ARG_STRING, &stream,
      "Its stream endpoint (default " OL_DEFAULT_STREAM_CONNECT ")", "ENDPOINT" },
    { "count", 'n', 0, G_OPTION_ARG_INT, &count, "Waveforms to show (default 5)", "N" },
    G_OPTION_ENTRY_NULL
  };
  g_autoptr (GOptionContext) context = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (OlClient) client = NULL;
  g_autoptr (json_t) streams = NULL;
  json_t *description;
  json_int_t length = 0;
  double step = 1;

  setlocale (LC_ALL, "");
  context = g_option_context_new ("- show a DAQ's waveforms");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      fprintf (stderr, "daq-client: %s\n", error->message);
      return 2;
    }
  if (count < 1 || count > 1000000)
    {
      fprintf (stderr, "daq-client: --count 1..1000000\n");
      return 2;
    }
  client = ol_client_new (rpc, stream, &error);
  if (client == NULL || (streams = ol_client_list_streams (client, &error)) == NULL)
    {
      fprintf (stderr, "daq-client: %s\n", error->message);
      return 1;
    }
  /* What the server says a waveform is. */
  description = json_object_get (json_object_get (streams, STREAM), "description");
  if (json_unpack (description, "{s:I, s?{s?F}}", "length", &length, "x", "step", &step) != 0
      || length < 1 || length > 16777216 || !(step > 0))
    {
      fprintf (stderr, "daq-client: %s has no array description\n", STREAM);
      return 1;
    }
  printf ("%s: %" JSON_INTEGER_FORMAT " samples, %g us apart\n", STREAM, length, step);

  if (!ol_client_configure_stream (client, STREAM, OL_STORAGE_CACHE, 0, &error))
    {
      fprintf (stderr, "daq-client: %s\n", error->message);
      return 1;
    }
  for (int i = 0; i < count; i++)
    {
      g_autoptr (OlStreamMessage) m = ol_client_get_stream (client, STREAM, 3000, &error);
      g_autoptr (json_t) waveform = NULL;
      double min = G_MAXDOUBLE, max = -G_MAXDOUBLE, sum = 0;
      gsize n;

      if (m == NULL || (waveform = ol_stream_message_json (m, &error)) == NULL)
        {
          fprintf (stderr, "daq-client: %s\n", error->message);
          return 1;
        }
      n = json_array_size (waveform);
      if (!json_is_array (waveform) || n != (gsize) length)
        {
          fprintf (stderr, "daq-client: waveform %" G_GUINT64_FORMAT " has %" G_GSIZE_FORMAT
                   " samples, not %" JSON_INTEGER_FORMAT "\n", m->sequence, n, length);
          return 1;
        }
      for (gsize k = 0; k < n; k++)
        {
          double v = json_number_value (json_array_get (waveform, k));

          min = MIN (min, v);
          max = MAX (max, v);
          sum += v;
        }
      printf ("waveform %" G_GUINT64_FORMAT ": %" G_GSIZE_FORMAT
              " samples over %g us, min %.3f V, max %.3f V, mean %.3f V\n", m->sequence, n,
              (double) n * step, min, max, sum / (double) n);
    }
  return 0;
}
