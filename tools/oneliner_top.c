/* oneliner top: a live table of every stream of a server (messages/s,
 * bytes/s, drops, overruns) and the figures of the server's process (op
 * "process", docs/PROTOCOL.md). */
#include <glib-unix.h>
#include <oneliner/oneliner.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "oneliner_cli.h"

static int opt_top_count = 0;
static gboolean opt_top_once = FALSE;

GOptionEntry cli_top_entries[] = {
  { "count", 'n', 0, G_OPTION_ARG_INT, &opt_top_count,
    "Print N tables, then exit (default: until Ctrl-C)", "N" },
  { "once", '1', 0, G_OPTION_ARG_NONE, &opt_top_once, "Print one table, then exit", NULL },
  { NULL, 0, 0, 0, NULL, NULL, NULL }
};

/* Messages kept per stream between two drains (every 50 ms at most). */
#define TOP_DEPTH 10000
#define TOP_NAME_SHOWN 40
/* Streams subscribed at most: a server that lists more is not followed
 * into unbounded memory. */
#define TOP_STREAMS_MAX 1000

typedef struct {
  guint64 messages;  /* received in the interval */
  guint64 bytes;
} TopCount;

static volatile gboolean s_stop = FALSE;

static gboolean
s_on_interrupt (gpointer data)
{
  (void) data;
  s_stop = TRUE;
  return G_SOURCE_CONTINUE;
}

static int
s_fail (const char *what, GError *error)
{
  g_autofree char *message = cli_safe (error->message, -1, FALSE);

  fprintf (stderr, "oneliner top: %s: %s\n", what, message);
  return g_error_matches (error, OL_ERROR, OL_ERROR_TIMEOUT) ? EXIT_TIMEOUT : EXIT_ERROR;
}

/* A non-negative number member, or -1. */
static double
s_number (json_t *object, const char *member)
{
  json_t *v = json_object_get (object, member);

  return json_is_number (v) && json_number_value (v) >= 0 ? json_number_value (v) : -1;
}

/* Subscribes to the streams of the server not subscribed yet, at most
 * TOP_STREAMS_MAX (the others are listed with the server's figures alone). */
static gboolean
s_subscribe (OlClient *client, json_t *streams, GHashTable *counts, GError **error)
{
  const char *name;
  json_t *entry;

  if (!json_is_object (streams))
    {
      g_set_error_literal (error, OL_ERROR, OL_ERROR_PROTOCOL, "the reply is not an object");
      return FALSE;
    }
  json_object_foreach (streams, name, entry)
    {
      (void) entry;
      if (g_hash_table_contains (counts, name) || g_hash_table_size (counts) >= TOP_STREAMS_MAX)
        continue;
      if (!ol_client_configure_stream (client, name, OL_STORAGE_QUEUE, TOP_DEPTH, error))
        return FALSE;
      g_hash_table_insert (counts, g_strdup (name), g_new0 (TopCount, 1));
    }
  return TRUE;
}

/* Takes every message that arrived and counts it. */
static void
s_drain (OlClient *client, GHashTable *counts)
{
  GHashTableIter it;
  gpointer key, value;

  g_hash_table_iter_init (&it, counts);
  while (g_hash_table_iter_next (&it, &key, &value))
    {
      TopCount *c = value;
      g_autoptr (GPtrArray) got = ol_client_pop_stream (client, key, TOP_DEPTH, 0, NULL);

      for (guint i = 0; got != NULL && i < got->len; i++)
        {
          const OlStreamMessage *m = got->pdata[i];
          c->messages++;
          c->bytes += g_bytes_get_size (m->payload);
        }
    }
}

/* The CPU used by the process between two "process" replies, in percent
 * of one core; -1 when either lacks a figure. */
static double
s_cpu_percent (json_t *before, json_t *now)
{
  double u0 = s_number (before, "cpu_user_s"), s0 = s_number (before, "cpu_system_s");
  double u1 = s_number (now, "cpu_user_s"), s1 = s_number (now, "cpu_system_s");
  double t0 = s_number (before, "uptime_s"), t1 = s_number (now, "uptime_s");

  if (before == NULL || u0 < 0 || s0 < 0 || u1 < 0 || s1 < 0 || t0 < 0 || t1 <= t0
      || json_integer_value (json_object_get (before, "pid"))
         != json_integer_value (json_object_get (now, "pid")))
    return -1;
  return MAX (0, (u1 + s1 - u0 - s0) / (t1 - t0) * 100);
}

/* One snapshot: a table, or one line of JSON. */
static void
s_print (OlClient *client, json_t *streams, GHashTable *counts, json_t *process, double cpu, double seconds,
         gboolean json, gboolean tty)
{
  g_autoptr (GPtrArray) keys = ol_json_sorted_keys (streams);
  g_autoptr (json_t) doc = json_pack ("{s:f, s:{}}", "interval_s", seconds, "streams");
  json_t *process_out = json_is_object (process) ? json_deep_copy (process) : json_object ();

  if (cpu >= 0)
    json_object_set_new (process_out, "cpu_percent", json_real (cpu));
  if (!json)
    printf ("%s%-*s %9s %10s %9s %9s %9s\n", tty ? "\033[H\033[2J" : "", TOP_NAME_SHOWN,
            "STREAM", "MSGS/S", "KB/S", "DROPPED", "MISSED", "OVERRUNS");
  for (guint i = 0; i < keys->len; i++)
    {
      json_t *stats = json_object_get (json_object_get (streams, keys->pdata[i]), "stats");
      TopCount *c = g_hash_table_lookup (counts, keys->pdata[i]);
      OlStreamCounters counters = { 0 };
      double rate = c != NULL ? c->messages / seconds : 0;
      double bytes = c != NULL ? c->bytes / seconds : 0;
      json_int_t dropped = json_integer_value (json_object_get (stats, "dropped"));
      json_int_t overruns = json_integer_value (json_object_get (stats, "overruns"));
      g_autofree char *name = cli_safe (keys->pdata[i], MIN (strlen (keys->pdata[i]), 200),
                                        FALSE);

      if (c != NULL && !ol_client_get_stream_counters (client, keys->pdata[i], &counters, NULL))
        memset (&counters, 0, sizeof counters);
      if (json)
        {
          json_object_set_new (json_object_get (doc, "streams"), name,
                               json_pack ("{s:f, s:f, s:I, s:I, s:I}", "msgs_per_s", rate,
                                          "bytes_per_s", bytes, "dropped", dropped,
                                          "missed", (json_int_t) counters.missed,
                                          "overruns", overruns));
          continue;
        }
      {
        g_autofree char *rate_text = cli_fixed (rate, 1);
        g_autofree char *kb_text = cli_fixed (bytes / 1000, 1);

        printf ("%-*.*s %9s %10s %9" JSON_INTEGER_FORMAT " %9" G_GUINT64_FORMAT " %9"
                JSON_INTEGER_FORMAT "\n", TOP_NAME_SHOWN, TOP_NAME_SHOWN, name, rate_text,
                kb_text, dropped, counters.missed, overruns);
      }
    }
  if (json)
    {
      json_object_set_new (doc, "process", process_out);
      cli_print_json (doc);
      fflush (stdout);
      return;
    }
  {
    GString *line = g_string_new ("server");
    double rss = s_number (process_out, "rss_bytes");
    json_t *threads = json_object_get (process_out, "threads");
    json_t *pid = json_object_get (process_out, "pid");

    if (json_is_integer (pid))
      g_string_append_printf (line, " pid %" JSON_INTEGER_FORMAT, json_integer_value (pid));
    if (cpu >= 0)
      {
        g_autofree char *t = cli_fixed (cpu, 1);
        g_string_append_printf (line, ", CPU %s%%", t);
      }
    else
      g_string_append (line, ", CPU -");
    if (rss >= 0)
      {
        g_autofree char *t = cli_fixed (rss / 1e6, 1);
        g_string_append_printf (line, ", RSS %s MB", t);
      }
    else
      g_string_append (line, ", RSS -");
    if (json_is_integer (threads))
      g_string_append_printf (line, ", %" JSON_INTEGER_FORMAT " threads",
                              json_integer_value (threads));
    else
      g_string_append (line, ", threads -");
    printf ("%s\n%s", line->str, tty ? "" : "\n");
    g_string_free (line, TRUE);
    json_decref (process_out);
  }
  fflush (stdout);
}

static gboolean
s_on_tick (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

/* The "process" reply, or NULL (error set). (transfer full) */
static json_t *
s_process (OlClient *client, GError **error)
{
  g_autoptr (OlReply) reply = ol_client_request (client, "process", json_object (), NULL,
                                                 OL_CALL_NONE, -1, error);

  if (reply == NULL)
    return NULL;
  if (!json_is_object (reply->result))
    {
      g_set_error_literal (error, OL_ERROR, OL_ERROR_PROTOCOL, "the reply is not an object");
      return NULL;
    }
  return json_incref (reply->result);
}

int
cli_cmd_top (OlClient *client, int argc, char **argv)
{
  gboolean json = cli_json;
  g_autoptr (GHashTable) counts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                         g_free);
  g_autoptr (GError) error = NULL;
  g_autoptr (json_t) before = NULL;
  gboolean tty = !json && isatty (STDOUT_FILENO) && g_strcmp0 (g_getenv ("TERM"), "dumb") != 0;
  gint64 start;
  int shown = 0;

  (void) argc, (void) argv;
  if (opt_top_count < 0)
    {
      fprintf (stderr, "oneliner top: --count must be >= 0 (try 'oneliner top --help')\n");
      return EXIT_USAGE;
    }
  if (opt_top_once)
    opt_top_count = 1;
  {
    g_autoptr (json_t) streams = ol_client_list_streams (client, &error);

    if (streams == NULL)
      return s_fail ("streams", error);
    if (!s_subscribe (client, streams, counts, &error))
      return s_fail ("streams", error);
  }
  if ((before = s_process (client, &error)) == NULL)
    return s_fail ("process", error);
  g_unix_signal_add (SIGINT, s_on_interrupt, NULL);
  start = g_get_monotonic_time ();
  while (!s_stop && (opt_top_count == 0 || shown < opt_top_count))
    {
      gboolean tick = FALSE;
      guint timer = g_timeout_add (1000, s_on_tick, &tick);
      g_autoptr (json_t) streams = NULL;
      g_autoptr (json_t) now = NULL;
      gint64 end;
      GHashTableIter it;
      gpointer value;

      /* A second of messages, taken every 50 ms. */
      while (!tick && !s_stop)
        {
          gboolean slice = FALSE;
          guint slice_timer = g_timeout_add (50, s_on_tick, &slice);

          while (!slice && !tick && !s_stop)
            g_main_context_iteration (NULL, TRUE);
          if (!slice)
            g_source_remove (slice_timer);
          s_drain (client, counts);
        }
      if (!tick)
        g_source_remove (timer);
      if (s_stop)
        break;
      end = g_get_monotonic_time ();
      if ((streams = ol_client_list_streams (client, &error)) == NULL)
        return s_fail ("streams", error);
      if ((now = s_process (client, &error)) == NULL)
        return s_fail ("process", error);
      s_drain (client, counts);
      s_print (client, streams, counts, now, s_cpu_percent (before, now),
               (double) (end - start) / G_USEC_PER_SEC, json, tty);
      shown++;
      start = end;
      g_hash_table_iter_init (&it, counts);
      while (g_hash_table_iter_next (&it, NULL, &value))
        memset (value, 0, sizeof (TopCount));
      g_clear_pointer (&before, json_decref);
      before = g_steal_pointer (&now);
      if (!s_subscribe (client, streams, counts, &error))
        return s_fail ("streams", error);
    }
  return EXIT_OK;
}
