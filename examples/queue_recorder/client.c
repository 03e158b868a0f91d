/* examples/queue_recorder/client.c: records every sample of a burst to a
 * file and says exactly what it lost.
 *
 * The stream is kept as a queue: every message in order, up to --depth.
 * When the writer falls behind, the queue drops its oldest messages and
 * counts them (overflowed); messages lost on the way are counted from the
 * gaps in sequence numbers (missed). So, for every burst:
 *   received + missed = sent      and      written + overflowed = received */
#include <locale.h>
#include <oneliner/oneliner.h>
#include <stdio.h>

#define STREAM "daq/samples"

typedef struct {
  OlClient *client;
  FILE *out;
  guint64 written;
} Recorder;

/* Takes one message (waiting up to timeout_ms) and writes it as a line
 * "n,volts". FALSE when none came (*error TIMEOUT) or on an error. */
static gboolean
s_record_one (Recorder *r, int timeout_ms, GError **error)
{
  g_autoptr (OlStreamMessage) message = ol_client_get_stream (r->client, STREAM, timeout_ms,
                                                              error);
  g_autoptr (json_t) sample = NULL;
  json_int_t n;
  double volts;

  if (message == NULL)
    return FALSE;
  sample = ol_stream_message_json (message, error);
  if (sample == NULL)
    return FALSE;
  if (json_unpack (sample, "{s:I, s:F}", "n", &n, "volts", &volts) != 0)
    {
      g_set_error (error, OL_ERROR, OL_ERROR_PROTOCOL, "message %" G_GUINT64_FORMAT
                   " is not a sample {\"n\", \"volts\"}", message->sequence);
      return FALSE;
    }
  fprintf (r->out, "%" JSON_INTEGER_FORMAT ",%.6f\n", n, volts);
  r->written++;
  return TRUE;
}

/* acquire(n) on the server: the number of samples it has published in all. */
static gboolean
s_acquire (OlClient *client, guint n, guint64 *published, GError **error)
{
  g_autoptr (json_t) args = json_pack ("[i]", (int) n);
  g_autoptr (json_t) result = ol_client_call (client, "daq", "acquire", args, NULL, error);

  if (result == NULL)
    return FALSE;
  if (!json_is_integer (result) || json_integer_value (result) < 0)
    {
      g_set_error_literal (error, OL_ERROR, OL_ERROR_PROTOCOL, "acquire: not a count");
      return FALSE;
    }
  *published = (guint64) json_integer_value (result);
  return TRUE;
}

int
main (int argc, char **argv)
{
  g_autofree char *rpc = NULL, *stream = NULL, *path = NULL;
  int burst = 1000, depth = 100, delay_ms = 0, seconds = 30;
  gboolean hold = FALSE;
  GOptionEntry entries[] = {
    { "rpc", 'r', 0, G_OPTION_ARG_STRING, &rpc,
      "The server (default " OL_DEFAULT_RPC_CONNECT ")", "ENDPOINT" },
    { "stream", 's', 0, G_OPTION_ARG_STRING, &stream,
      "Its stream endpoint (default " OL_DEFAULT_STREAM_CONNECT ")", "ENDPOINT" },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &path,
      "File to write, one line per sample (default samples.csv)", "FILE" },
    { "burst", 'n', 0, G_OPTION_ARG_INT, &burst, "Samples to acquire (default 1000)", "N" },
    { "depth", 'd', 0, G_OPTION_ARG_INT, &depth, "Queue depth (default 100)", "N" },
    { "delay-ms", 0, 0, G_OPTION_ARG_INT, &delay_ms,
      "Time the writer takes per sample, a slow disk (default 0)", "MS" },
    { "hold", 0, 0, G_OPTION_ARG_NONE, &hold,
      "Write nothing until the whole burst has arrived (the queue overflows when the "
      "burst is deeper than it)", NULL },
    { "seconds", 't', 0, G_OPTION_ARG_INT, &seconds,
      "Give up after this long (default 30)", "S" },
    G_OPTION_ENTRY_NULL
  };
  g_autoptr (GOptionContext) context = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (OlClient) client = NULL;
  OlStreamCounters base, end;
  guint64 published = 0, first = 0;
  gint64 deadline;
  Recorder r = { 0 };
  int status = 1;

  setlocale (LC_ALL, "");
  context = g_option_context_new ("- record a burst of samples and count the losses");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      fprintf (stderr, "recorder: %s\n", error->message);
      return 2;
    }
  if (burst < 1 || burst > 1000000 || depth < 1 || depth > 1000000 || delay_ms < 0
      || delay_ms > 10000 || seconds < 1 || seconds > 86400)
    {
      fprintf (stderr, "recorder: --burst and --depth 1..1000000, --delay-ms 0..10000, "
               "--seconds 1..86400\n");
      return 2;
    }
  client = ol_client_new (rpc, stream, &error);
  if (client == NULL)
    {
      fprintf (stderr, "recorder: %s\n", error->message);
      return 1;
    }
  ol_client_set_timeout (client, 5000);
  r.client = client;
  r.out = fopen (path ? path : "samples.csv", "w");
  if (r.out == NULL)
    {
      fprintf (stderr, "recorder: cannot write %s\n", path ? path : "samples.csv");
      return 1;
    }
  fprintf (r.out, "n,volts\n");
  deadline = g_get_monotonic_time () + (gint64) seconds * G_USEC_PER_SEC;

  if (!ol_client_configure_stream (client, STREAM, OL_STORAGE_QUEUE, (guint) depth, &error))
    goto out;

  /* A subscription takes a moment to reach the server: until then, what it
   * publishes is not for us. Acquire single samples until one arrives. */
  for (;;)
    {
      if (g_get_monotonic_time () > deadline)
        {
          g_set_error_literal (&error, OL_ERROR, OL_ERROR_TIMEOUT, "no sample ever arrived");
          goto out;
        }
      if (!s_acquire (client, 1, &published, &error))
        goto out;
      if (s_record_one (&r, 100, &error))
        break;
      if (!g_error_matches (error, OL_ERROR, OL_ERROR_TIMEOUT))
        goto out;
      g_clear_error (&error);
    }
  /* Samples of earlier tries may still be on their way: wait until the last
   * one published has arrived, then empty the queue. Nothing else is
   * published until the burst, so the count starts from a clean slate. */
  for (;;)
    {
      if (!ol_client_get_stream_counters (client, STREAM, &base, &error))
        goto out;
      if (base.last_sequence >= published)
        break;
      if (g_get_monotonic_time () > deadline)
        {
          g_set_error_literal (&error, OL_ERROR, OL_ERROR_TIMEOUT, "samples went missing");
          goto out;
        }
      g_usleep (10 * 1000);
    }
  while (s_record_one (&r, 0, &error))
    ;
  if (!g_error_matches (error, OL_ERROR, OL_ERROR_TIMEOUT))
    goto out;
  g_clear_error (&error);
  if (!ol_client_get_stream_counters (client, STREAM, &base, &error))
    goto out;
  first = published;
  r.written = 0;

  if (!s_acquire (client, (guint) burst, &published, &error))
    goto out;
  printf ("recorder: acquired %d samples (%" G_GUINT64_FORMAT " published in all)\n", burst,
          published);

  if (hold) /* busy elsewhere until the whole burst has reached this client */
    while (g_get_monotonic_time () < deadline
           && ol_client_get_stream_counters (client, STREAM, &end, NULL)
           && end.last_sequence < published)
      g_usleep (10 * 1000);

  /* Write until the last sample of the burst has arrived and the queue is
   * empty, or the time is up. */
  for (;;)
    {
      if (s_record_one (&r, 100, &error))
        {
          if (delay_ms > 0)
            g_usleep ((gulong) delay_ms * 1000);
          continue;
        }
      if (!g_error_matches (error, OL_ERROR, OL_ERROR_TIMEOUT))
        goto out;
      g_clear_error (&error);
      if (!ol_client_get_stream_counters (client, STREAM, &end, &error))
        goto out;
      if (end.last_sequence >= published || g_get_monotonic_time () > deadline)
        break;
    }
  /* The last sample may have come in just after the queue was found empty:
   * everything has arrived now, so take what is left without waiting. */
  while (s_record_one (&r, 0, &error))
    ;
  if (!g_error_matches (error, OL_ERROR, OL_ERROR_TIMEOUT))
    goto out;
  g_clear_error (&error);
  if (!ol_client_get_stream_counters (client, STREAM, &end, &error))
    goto out;

  {
    guint64 sent = published - first;
    guint64 received = end.received - base.received;
    guint64 missed = end.missed - base.missed;
    guint64 overflowed = end.overflowed - base.overflowed;

    printf ("recorder: sent %" G_GUINT64_FORMAT ", received %" G_GUINT64_FORMAT
            ", written %" G_GUINT64_FORMAT ", missed %" G_GUINT64_FORMAT
            ", overflowed %" G_GUINT64_FORMAT "\n", sent, received, r.written, missed,
            overflowed);
    if (received + missed == sent && r.written + overflowed == received)
      {
        printf ("recorder: every sample accounted for\n");
        status = 0;
      }
    else
      printf ("recorder: the counts do not add up\n");
  }

out:
  if (error != NULL)
    fprintf (stderr, "recorder: %s\n", error->message);
  if (fclose (r.out) != 0)
    {
      fprintf (stderr, "recorder: writing the file failed\n");
      status = 1;
    }
  return status;
}
