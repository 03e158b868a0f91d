/* examples/foreign_pub/client.c: reads a relayed foreign stream.
 *
 * Behind the relay, a stream of a plain ZeroMQ publisher is a stream like
 * any other: a raw payload (here the publisher's text, "21.50"), under the
 * relay's header and sequence numbers, so losses are counted here too. */
#include <errno.h>
#include <locale.h>
#include <oneliner/oneliner.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
main (int argc, char **argv)
{
  g_autofree char *rpc = NULL, *stream = NULL, *name = NULL;
  int count = 5;
  GOptionEntry entries[] = {
    { "rpc", 'r', 0, G_OPTION_ARG_STRING, &rpc,
      "The relay (default " OL_DEFAULT_RPC_CONNECT ")", "ENDPOINT" },
    { "stream", 's', 0, G_OPTION_ARG_STRING, &stream,
      "The relay's stream endpoint (default " OL_DEFAULT_STREAM_CONNECT ")", "ENDPOINT" },
    { "name", 0, 0, G_OPTION_ARG_STRING, &name,
      "The relayed stream (default ext)", "NAME" },
    { "count", 'n', 0, G_OPTION_ARG_INT, &count, "Messages to read (default 5)", "N" },
    G_OPTION_ENTRY_NULL
  };
  g_autoptr (GOptionContext) context = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (OlClient) client = NULL;
  OlStreamCounters counters;
  const char *topic;

  setlocale (LC_ALL, "");
  context = g_option_context_new ("- read a foreign publisher's data through a relay");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      fprintf (stderr, "foreign-client: %s\n", error->message);
      return 2;
    }
  if (count < 1 || count > 1000000)
    {
      fprintf (stderr, "foreign-client: --count 1..1000000\n");
      return 2;
    }
  topic = name ? name : "ext";
  client = ol_client_new (rpc, stream, &error);
  if (client == NULL
      || !ol_client_configure_stream (client, topic, OL_STORAGE_QUEUE, 0, &error))
    {
      fprintf (stderr, "foreign-client: %s\n", error->message);
      return 1;
    }
  for (int i = 0; i < count; i++)
    {
      g_autoptr (OlStreamMessage) m = ol_client_get_stream (client, topic, 3000, &error);
      char text[32], *end;
      const char *data;
      gsize size = 0;
      double value;

      if (m == NULL)
        {
          fprintf (stderr, "foreign-client: %s: %s\n", topic, error->message);
          return 1;
        }
      /* The payload is whatever the publisher sent: check it before use. */
      data = g_bytes_get_data (m->payload, &size);
      if (size == 0 || size >= sizeof text)
        {
          fprintf (stderr, "foreign-client: message %" G_GUINT64_FORMAT ": %" G_GSIZE_FORMAT
                   " bytes, not a number\n", m->sequence, size);
          return 1;
        }
      memcpy (text, data, size);
      text[size] = '\0';
      errno = 0;
      value = g_ascii_strtod (text, &end);
      if (*end != '\0' || errno != 0)
        {
          fprintf (stderr, "foreign-client: message %" G_GUINT64_FORMAT " is not a number\n",
                   m->sequence);
          return 1;
        }
      printf ("%s #%" G_GUINT64_FORMAT ": %.2f\n", topic, m->sequence, value);
    }
  if (!ol_client_get_stream_counters (client, topic, &counters, &error))
    {
      fprintf (stderr, "foreign-client: %s\n", error->message);
      return 1;
    }
  printf ("%s: received %" G_GUINT64_FORMAT ", missed %" G_GUINT64_FORMAT "\n", topic,
          counters.received, counters.missed);
  return 0;
}
