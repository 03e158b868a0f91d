/* python-peer: the C client's half of bench_python.py, which runs it in the
 * same run as the Python client and raw pyzmq, against the same server.
 *
 *   python-peer call RPC STREAM N
 *       N blocking calls of the free function add(1, 2); prints the mean
 *       round trip in microseconds after 200 warm-up calls.
 *   python-peer stream RPC STREAM N
 *       subscribes to burst/raw (a queue), has the server push N 64-byte
 *       messages and takes them; prints received messages per second from
 *       the push request to the last sequence number, and the counters.
 *
 * Every wait is bounded (the client's timeout, 10 s). */
#include <oneliner/oneliner.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int
s_fail (GError *error)
{
  fprintf (stderr, "python-peer: %s\n", error->message);
  return 1;
}

static gboolean
s_call_add (OlClient *client, GError **error)
{
  json_t *args = json_pack ("[ii]", 1, 2);
  json_t *r = ol_client_call (client, NULL, "add", args, NULL, error);
  json_decref (args);
  if (r == NULL)
    return FALSE;
  json_decref (r);
  return TRUE;
}

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (OlClient) client = NULL;
  long n;

  if (argc != 5 || (n = strtol (argv[4], NULL, 10)) <= 0)
    {
      fprintf (stderr, "usage: python-peer call|stream RPC STREAM N\n");
      return 2;
    }
  if ((client = ol_client_new (argv[2], argv[3], &error)) == NULL)
    return s_fail (error);
  ol_client_set_timeout (client, 10000);
  if (strcmp (argv[1], "call") == 0)
    {
      for (int i = 0; i < 200; i++)
        if (!s_call_add (client, &error))
          return s_fail (error);
      gint64 t0 = g_get_monotonic_time ();
      for (long i = 0; i < n; i++)
        if (!s_call_add (client, &error))
          return s_fail (error);
      printf ("%.3f\n", (double) (g_get_monotonic_time () - t0) / (double) n);
      return 0;
    }
  if (strcmp (argv[1], "stream") != 0)
    return 2;

  OlStreamCounters k;
  guint64 target;
  gint64 t0;
  json_t *args, *r;

  if (!ol_client_configure_stream (client, "burst/raw", OL_STORAGE_QUEUE, (guint) n + 16, &error))
    return s_fail (error);
  /* Until one message arrives, the subscription may not be in place yet. */
  for (int tries = 0;; tries++)
    {
      args = json_pack ("[si]", "raw", 1);
      r = ol_client_call (client, NULL, "burst", args, NULL, &error);
      json_decref (args);
      if (r == NULL)
        return s_fail (error);
      json_decref (r);
      OlStreamMessage *m = ol_client_get_stream (client, "burst/raw", 200, NULL);
      if (m != NULL)
        {
          ol_stream_message_free (m);
          break;
        }
      if (tries > 100)
        {
          fprintf (stderr, "python-peer: no message of burst/raw\n");
          return 1;
        }
    }
  if (!ol_client_get_stream_counters (client, "burst/raw", &k, &error))
    return s_fail (error);
  guint64 received0 = k.received;
  t0 = g_get_monotonic_time ();
  args = json_pack ("[sii]", "raw", (int) n, 64);
  r = ol_client_call (client, NULL, "burst", args, NULL, &error);
  json_decref (args);
  if (r == NULL)
    return s_fail (error);
  target = k.last_sequence + (guint64) json_integer_value (r);
  json_decref (r);
  for (;;)
    {
      OlStreamMessage *m = ol_client_get_stream (client, "burst/raw", 10000, &error);
      if (m == NULL)
        return s_fail (error);
      guint64 seq = m->sequence;
      ol_stream_message_free (m);
      if (!ol_client_get_stream_counters (client, "burst/raw", &k, &error))
        return s_fail (error);
      if (seq >= target || k.last_sequence >= target)
        break;
    }
  double secs = (double) (g_get_monotonic_time () - t0) / 1e6;
  printf ("%.1f %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT "\n",
          (double) (k.received - received0) / secs, k.received - received0, k.missed);
  return 0;
}
