/* examples/temperature_csv/client.c: logs a temperature stream to CSV.
 *
 * The column's unit comes from the stream's description (what the server
 * says its values are), the status column from the WARNING and ALARM bits
 * the server sets against the description's limits. The stream is kept as
 * a queue, so every reading is logged, in order. */
#include <locale.h>
#include <oneliner/oneliner.h>
#include <stdio.h>
#include <string.h>

#define STREAM "thermo/temperature"

/* The stream's unit, as the server describes it, made safe for a CSV
 * header: 1 to 32 letters, digits or '_', else "value". (transfer full) */
static char *
s_unit (OlClient *client, GError **error)
{
  g_autoptr (json_t) streams = ol_client_list_streams (client, error);
  json_t *unit;
  const char *text;

  if (streams == NULL)
    return NULL;
  unit = json_object_get (json_object_get (json_object_get (streams, STREAM), "description"),
                          "unit");
  text = json_is_string (unit) ? json_string_value (unit) : "";
  if (*text == '\0' || strlen (text) > 32)
    return g_strdup ("value");
  for (const char *c = text; *c != '\0'; c++)
    if (!g_ascii_isalnum (*c) && *c != '_')
      return g_strdup ("value");
  return g_strdup (text);
}

static const char *
s_status (guint32 status)
{
  if (status & OL_STATUS_ALARM)
    return "alarm";
  if (status & OL_STATUS_WARNING)
    return "warning";
  return "ok";
}

int
main (int argc, char **argv)
{
  g_autofree char *rpc = NULL, *stream = NULL, *path = NULL, *unit = NULL;
  int count = 10, seconds = 60;
  GOptionEntry entries[] = {
    { "rpc", 'r', 0, G_OPTION_ARG_STRING, &rpc,
      "The thermometer server (default " OL_DEFAULT_RPC_CONNECT ")", "ENDPOINT" },
    { "stream", 's', 0, G_OPTION_ARG_STRING, &stream,
      "Its stream endpoint (default " OL_DEFAULT_STREAM_CONNECT ")", "ENDPOINT" },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &path,
      "CSV file to write (default temperature.csv)", "FILE" },
    { "count", 'n', 0, G_OPTION_ARG_INT, &count, "Readings to log (default 10)", "N" },
    { "seconds", 't', 0, G_OPTION_ARG_INT, &seconds,
      "Stop after this long even if fewer came (default 60)", "S" },
    G_OPTION_ENTRY_NULL
  };
  g_autoptr (GOptionContext) context = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (OlClient) client = NULL;
  gint64 deadline;
  FILE *out;
  int rows = 0, status = 0;

  setlocale (LC_ALL, "");
  context = g_option_context_new ("- log a temperature stream to a CSV file");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      fprintf (stderr, "thermo-csv: %s\n", error->message);
      return 2;
    }
  if (count < 1 || count > 100000000 || seconds < 1 || seconds > 31 * 86400)
    {
      fprintf (stderr, "thermo-csv: --count 1..100000000, --seconds 1..2678400\n");
      return 2;
    }
  client = ol_client_new (rpc, stream, &error);
  if (client == NULL || (unit = s_unit (client, &error)) == NULL
      || !ol_client_configure_stream (client, STREAM, OL_STORAGE_QUEUE, 0, &error))
    {
      fprintf (stderr, "thermo-csv: %s\n", error->message);
      return 1;
    }
  out = fopen (path ? path : "temperature.csv", "w");
  if (out == NULL)
    {
      fprintf (stderr, "thermo-csv: cannot write %s\n", path ? path : "temperature.csv");
      return 1;
    }
  fprintf (out, "time,sequence,temperature_%s,status\n", unit);

  deadline = g_get_monotonic_time () + (gint64) seconds * G_USEC_PER_SEC;
  while (rows < count && g_get_monotonic_time () < deadline)
    {
      g_autoptr (OlStreamMessage) message = ol_client_get_stream (client, STREAM, 500, &error);
      g_autoptr (json_t) value = NULL;
      g_autoptr (GDateTime) utc = NULL;
      g_autofree char *when = NULL;

      if (message == NULL)
        {
          /* No reading within 500 ms, or a reading that failed (an error
           * message from the server): say so and go on. */
          if (!g_error_matches (error, OL_ERROR, OL_ERROR_TIMEOUT))
            fprintf (stderr, "thermo-csv: %s\n", error->message);
          g_clear_error (&error);
          continue;
        }
      value = ol_stream_message_json (message, &error);
      if (value == NULL || !json_is_number (value))
        {
          fprintf (stderr, "thermo-csv: reading %" G_GUINT64_FORMAT " is not a number\n",
                   message->sequence);
          g_clear_error (&error);
          continue;
        }
      /* The server's timestamp: ns since the epoch, UTC. */
      utc = g_date_time_new_from_unix_utc (message->timestamp / 1000000000);
      when = utc ? g_date_time_format (utc, "%Y-%m-%dT%H:%M:%S") : g_strdup ("?");
      fprintf (out, "%s.%03dZ,%" G_GUINT64_FORMAT ",%.2f,%s\n", when,
               (int) (message->timestamp / 1000000 % 1000), message->sequence,
               json_number_value (value), s_status (message->status));
      rows++;
    }
  if (fclose (out) != 0)
    {
      fprintf (stderr, "thermo-csv: writing the file failed\n");
      status = 1;
    }
  printf ("thermo-csv: %d readings logged\n", rows);
  return rows == count ? status : 1;
}
