/* examples/cascade/client.c: reaches the meters of several lab PCs through
 * one relay. A call of "PC/meter" on the relay is a call of "meter" on that
 * PC; the stream "PC/meter/volts" is that PC's "meter/volts", with its
 * header, so the losses counted here are the losses end to end. */
#include <locale.h>
#include <oneliner/oneliner.h>
#include <stdio.h>

/* Calls PC/meter.name() and PC/meter.read() and prints the answers. */
static gboolean
s_call_pc (OlClient *client, const char *pc, GError **error)
{
  g_autofree char *instance = g_strdup_printf ("%s/meter", pc);
  g_autoptr (json_t) name = ol_client_call (client, instance, "name", NULL, NULL, error);
  g_autoptr (json_t) volts = NULL;

  if (name == NULL)
    return FALSE;
  volts = ol_client_call (client, instance, "read", NULL, NULL, error);
  if (volts == NULL)
    return FALSE;
  if (!json_is_string (name) || !json_is_number (volts))
    {
      g_set_error (error, OL_ERROR, OL_ERROR_PROTOCOL, "%s: unexpected answers", instance);
      return FALSE;
    }
  /* %.64s: a name from the network is printed at most 64 bytes long. */
  printf ("%s.name() = %.64s, read() = %.2f V\n", instance, json_string_value (name),
          json_number_value (volts));
  return TRUE;
}

int
main (int argc, char **argv)
{
  g_autofree char *rpc = NULL, *stream = NULL;
  g_auto (GStrv) pcs = NULL;
  int count = 5;
  GOptionEntry entries[] = {
    { "rpc", 'r', 0, G_OPTION_ARG_STRING, &rpc,
      "The relay (default " OL_DEFAULT_RPC_CONNECT ")", "ENDPOINT" },
    { "stream", 's', 0, G_OPTION_ARG_STRING, &stream,
      "The relay's stream endpoint (default " OL_DEFAULT_STREAM_CONNECT ")", "ENDPOINT" },
    { "pc", 'p', 0, G_OPTION_ARG_STRING_ARRAY, &pcs,
      "A PC mounted on the relay (repeat; default pc1 and pc2)", "NAME" },
    { "count", 'n', 0, G_OPTION_ARG_INT, &count,
      "Stream messages to take from each PC (default 5)", "N" },
    G_OPTION_ENTRY_NULL
  };
  const char *default_pcs[] = { "pc1", "pc2", NULL };
  g_autoptr (GOptionContext) context = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (OlClient) client = NULL;
  const char *const *names;

  setlocale (LC_ALL, "");
  context = g_option_context_new ("- call and subscribe to lab PCs through a relay");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      fprintf (stderr, "cascade-client: %s\n", error->message);
      return 2;
    }
  if (count < 1 || count > 1000000)
    {
      fprintf (stderr, "cascade-client: --count 1..1000000\n");
      return 2;
    }
  names = pcs ? (const char *const *) pcs : default_pcs;
  client = ol_client_new (rpc, stream, &error);
  if (client == NULL)
    {
      fprintf (stderr, "cascade-client: %s\n", error->message);
      return 1;
    }
  ol_client_set_timeout (client, 3000);

  for (int i = 0; names[i] != NULL; i++)
    {
      g_autofree char *topic = g_strdup_printf ("%s/meter/volts", names[i]);
      OlStreamCounters counters;
      int taken = 0;

      if (!s_call_pc (client, names[i], &error)
          || !ol_client_configure_stream (client, topic, OL_STORAGE_QUEUE, 0, &error))
        {
          fprintf (stderr, "cascade-client: %s\n", error->message);
          return 1;
        }
      /* The relay subscribes upstream when we do: the first message may
       * take a moment. Every wait is bounded. */
      while (taken < count)
        {
          g_autoptr (OlStreamMessage) m = ol_client_get_stream (client, topic, 3000, &error);

          if (m == NULL)
            {
              fprintf (stderr, "cascade-client: %s: %s\n", topic, error->message);
              return 1;
            }
          taken++;
        }
      if (!ol_client_get_stream_counters (client, topic, &counters, &error)
          || !ol_client_unconfigure_stream (client, topic, &error))
        {
          fprintf (stderr, "cascade-client: %s\n", error->message);
          return 1;
        }
      printf ("%s: %d messages, missed %" G_GUINT64_FORMAT "\n", topic, taken, counters.missed);
    }
  return 0;
}
