/* The oneliner command as a script uses it, against a real
 * oneliner-demo-server: --json of every command that prints data (parsed
 * here), echo of several streams and patterns, bw, info, top and the
 * operation "process" it reads, the endpoints from the environment, the
 * global options after the command, reals whatever the locale. */
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <glib/gstdio.h>
#include <unistd.h>

#include "oneliner/oneliner.h"
#include "tests/testutil.h"


/* Runs tools/oneliner [--rpc R --stream S --timeout 5000] args..., asserts
 * its exit status, returns its stdout; *err (if err; what it held is freed)
 * its stderr. A failure
 * says what it is in one line on stderr. */
static char *
s_run (TuDemo *d, int expect, char **err, const char *const *args)
{
  const char *argv[40] = { "tools/oneliner" };
  int n = 1;
  char *out = NULL;
  g_autofree char *e = NULL;
  int status;

  if (d != NULL)
    {
      argv[n++] = "--rpc", argv[n++] = d->rpc;
      argv[n++] = "--stream", argv[n++] = d->stream;
      argv[n++] = "--timeout", argv[n++] = "5000";
    }
  for (int i = 0; args[i] != NULL && n < 39; i++)
    argv[n++] = args[i];
  argv[n] = NULL;
  status = tu_run (argv, 60000, &out, &e);
  if (status != expect)
    g_error ("oneliner %s: status %d, expected %d\nstdout: %.2000s\nstderr: %s", args[0],
             status, expect, out, e);
  if (expect != 0)
    {
      g_assert_cmpuint (strlen (e), >, 0);
      g_assert_true (strchr (e, '\n') == e + strlen (e) - 1);
    }
  if (err != NULL)
    {
      g_free (*err);
      *err = g_steal_pointer (&e);
    }
  return out;
}

#define RUN(d, status, err, ...)                                               \
  ({ const char *a_[] = { __VA_ARGS__, NULL }; s_run (d, status, err, a_); })

/* Parses text as one JSON document. (transfer full) */
static json_t *
s_json (const char *text)
{
  json_error_t jerr;
  json_t *v = json_loads (text, JSON_DECODE_ANY, &jerr);

  if (v == NULL)
    g_error ("not JSON (%s): %.2000s", jerr.text, text);
  return v;
}

/* The lines of text, the last newline dropped. (transfer full) */
static GStrv
s_lines (const char *text)
{
  g_autofree char *copy = g_strdup (text);

  if (g_str_has_suffix (copy, "\n"))
    copy[strlen (copy) - 1] = '\0';
  return g_strsplit (copy, "\n", -1);
}

static gint64
s_server_pid (TuDemo *d)
{
  return g_ascii_strtoll (g_subprocess_get_identifier (d->server->proc), NULL, 10);
}

/* ---- the operation "process" -------------------------------------------- */

static void
test_process_op (TuDemo *d, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (OlClient) c = ol_client_new (d->rpc, NULL, &error);
  g_autoptr (OlReply) first = NULL;
  g_autoptr (OlReply) second = NULL;
  json_t *r;

  (void) data;
  g_assert_no_error (error);
  ol_client_set_timeout (c, 5000);
  first = ol_client_request (c, "process", json_object (), NULL, OL_CALL_NONE, -1, &error);
  g_assert_no_error (error);
  r = first->result;
  g_assert_true (json_is_object (r));
  g_assert_cmpint (json_integer_value (json_object_get (r, "pid")), ==, s_server_pid (d));
  g_assert_true (json_is_real (json_object_get (r, "cpu_user_s")));
  g_assert_true (json_is_real (json_object_get (r, "cpu_system_s")));
  g_assert_cmpfloat (json_real_value (json_object_get (r, "cpu_user_s")), >=, 0);
  g_assert_cmpfloat (json_real_value (json_object_get (r, "cpu_system_s")), >=, 0);
  g_assert_true (json_is_real (json_object_get (r, "uptime_s")));
  g_assert_cmpint (json_integer_value (json_object_get (r, "rss_bytes")), >, 0);
  /* The RPC thread, the proxy, a thread per stream frequency, workers... */
  g_assert_cmpint (json_integer_value (json_object_get (r, "threads")), >, 3);
  g_assert_cmpuint (json_object_size (r), ==, 6);
  /* The process's own clock and CPU time never go back. */
  second = ol_client_request (c, "process", json_object (), NULL, OL_CALL_NONE, -1, &error);
  g_assert_no_error (error);
  g_assert_cmpfloat (json_real_value (json_object_get (second->result, "uptime_s")), >=,
                     json_real_value (json_object_get (r, "uptime_s")));
  g_assert_cmpfloat (json_real_value (json_object_get (second->result, "cpu_user_s")), >=,
                     json_real_value (json_object_get (r, "cpu_user_s")));
  /* A read-only caller may ask it (and may not switch a stream). */
  {
    g_autoptr (OlReply) ro = ol_client_request (c, "process",
                                                json_pack ("{s:s}", "role", "read-only"), NULL,
                                                OL_CALL_NONE, -1, &error);
    g_autoptr (OlReply) denied = NULL;

    g_assert_no_error (error);
    g_assert_cmpint (json_integer_value (json_object_get (ro->result, "pid")), ==,
                     s_server_pid (d));
    denied = ol_client_request (c, "stream_enable",
                                json_pack ("{s:s, s:s, s:b}", "role", "read-only", "name",
                                           "camera/frames", "enabled", TRUE),
                                NULL, OL_CALL_NONE, -1, &error);
    g_assert_null (denied);
    g_assert_error (error, OL_ERROR, OL_ERROR_PERMISSION_DENIED);
  }
}

/* ---- --json ---------------------------------------------------------------- */

static void
test_json (TuDemo *d, gconstpointer data)
{
  (void) data;
  {
    g_autofree char *out = RUN (d, 0, NULL, "version", "--json");
    g_autoptr (json_t) v = s_json (out);

    g_assert_cmpstr (json_string_value (json_object_get (json_object_get (v, "client"),
                                                         "version")), ==, OL_VERSION_STRING);
    g_assert_cmpint (json_integer_value (json_object_get (json_object_get (v, "client"),
                                                          "protocol")), ==, OL_PROTOCOL_VERSION);
    g_assert_cmpstr (json_string_value (json_object_get (json_object_get (v, "server"),
                                                         "server")), ==, OL_VERSION_STRING);
    g_assert_cmpuint (json_object_size (v), ==, 2);
  }
  {
    g_autofree char *out = RUN (d, 0, NULL, "list", "--json");
    g_autoptr (json_t) v = s_json (out);
    json_t *stage = json_object_get (json_object_get (v, "instances"), "stage");

    g_assert_cmpstr (json_string_value (json_object_get (json_object_get (stage, "move_to"),
                                                         "signature")),
                     ==, "(int32 axis, double mm, error) -> double");
    g_assert_true (json_is_object (json_object_get (json_object_get (v, "named_calls"),
                                                    "home_all")));
  }
  {
    g_autofree char *out = RUN (d, 0, NULL, "mounts", "--json");
    g_autoptr (json_t) v = s_json (out);

    g_assert_true (json_is_object (v));
    g_assert_cmpuint (json_object_size (v), ==, 0);
  }
  {
    /* Reals in their shortest form. */
    g_autofree char *out = RUN (d, 0, NULL, "call", "stage", "move_to", "[1, 1.15]", "--json");
    g_autofree char *named = RUN (d, 0, NULL, "call-named", "home_all", "-j");

    g_assert_cmpstr (out, ==, "1.15\n");
    g_assert_cmpstr (named, ==, "null\n");
  }
  {
    g_autofree char *out = RUN (d, 0, NULL, "streams", "--json");
    g_autoptr (json_t) v = s_json (out);

    g_assert_cmpfloat (json_real_value (json_object_get (json_object_get (v, "sensor/sine"),
                                                         "hz")), ==, 100.0);
    /* Whether same-host subscribers take its large payloads from the ring. */
    g_assert_true (json_is_boolean (json_object_get (json_object_get (json_object_get (v,
                                                                      "sensor/sine"), "stats"),
                                                     "shm")));
  }
  {
    g_autofree char *out = RUN (d, 0, NULL, "hz", "sensor/sine", "--duration", "1", "--json");
    g_autoptr (json_t) v = s_json (out);

    g_assert_cmpstr (json_string_value (json_object_get (v, "stream")), ==, "sensor/sine");
    g_assert_cmpfloat (json_real_value (json_object_get (v, "rate_hz")), >, 0);
    g_assert_cmpint (json_integer_value (json_object_get (v, "messages")), >=, 2);
    g_assert_cmpint (json_integer_value (json_object_get (v, "dropped")), ==, 0);
    g_assert_true (json_is_real (json_object_get (v, "p99_jitter_us")));
    g_assert_true (json_is_real (json_object_get (v, "duration_s")));
    g_assert_true (json_is_false (json_object_get (v, "server_was_gone")));
    /* The path of the payloads: sensor/sine's are small, none from a ring. */
    g_assert_true (g_strv_contains ((const char *const[]) { "shm", "socket", NULL },
                                    json_string_value (json_object_get (v, "path"))));
    g_assert_cmpint (json_integer_value (json_object_get (v, "shm_frames")), ==, 0);
    g_assert_cmpint (json_integer_value (json_object_get (v, "shm_torn")), ==, 0);
    g_assert_true (json_is_integer (json_object_get (v, "shm_frames")));
    g_assert_true (json_is_integer (json_object_get (v, "shm_torn")));
    g_assert_cmpuint (json_object_size (v), ==, 10);
  }
}

/* ---- echo ------------------------------------------------------------------- */

static void
test_echo_many (TuDemo *d, gconstpointer data)
{
  g_autofree char *err = NULL;
  gboolean seen_sine = FALSE, seen_temperature = FALSE;
  guint64 last_sine = 0;

  (void) data;
  /* A pattern: every line one JSON object of a matching stream, sequence
   * numbers of each stream contiguous. */
  {
    g_autofree char *out = RUN (d, 0, &err, "echo", "sensor/*", "--count", "60", "--json");
    g_auto (GStrv) lines = s_lines (out);

    g_assert_cmpuint (g_strv_length (lines), ==, 60);
    for (guint i = 0; lines[i] != NULL; i++)
      {
        g_autoptr (json_t) m = s_json (lines[i]);
        const char *stream = json_string_value (json_object_get (m, "stream"));
        guint64 seq = (guint64) json_integer_value (json_object_get (m, "sequence"));

        g_assert_cmpstr (json_string_value (json_object_get (m, "encoding")), ==, "json");
        g_assert_true (json_is_number (json_object_get (m, "value")));
        g_assert_true (json_is_integer (json_object_get (m, "timestamp")));
        g_assert_true (json_is_integer (json_object_get (m, "status")));
        g_assert_cmpuint (json_object_size (m), ==, 6);
        if (strcmp (stream, "sensor/sine") == 0)
          {
            g_assert_true (last_sine == 0 || seq == last_sine + 1);
            last_sine = seq;
            seen_sine = TRUE;
          }
        else
          {
            g_assert_cmpstr (stream, ==, "sensor/temperature");
            seen_temperature = TRUE;
          }
      }
    g_assert_true (seen_sine && seen_temperature);
    g_assert_cmpstr (err, ==, "");
  }
  /* Several names: each line starts with its stream's name. */
  {
    g_autofree char *out = RUN (d, 0, NULL, "echo", "stage/positions", "sensor/temperature",
                                "--count", "6");
    g_auto (GStrv) lines = s_lines (out);

    g_assert_cmpuint (g_strv_length (lines), ==, 6);
    for (guint i = 0; lines[i] != NULL; i++)
      g_assert_true (g_regex_match_simple ("^(stage/positions: [0-9:.]+ seq [0-9]+ x=.* mm"
                                           "|sensor/temperature: [0-9:.]+ seq [0-9]+ "
                                           "-?[0-9.]+ degC)$", lines[i], 0, 0));
  }
  /* One name: no prefix. */
  {
    g_autofree char *out = RUN (d, 0, NULL, "echo", "sensor/sine", "--count", "1");
    g_assert_true (g_regex_match_simple ("^[0-9:]+\\.[0-9]{6} seq [0-9]+ -?[0-9.]+ V\n$", out,
                                         0, 0));
  }
  /* An unknown name among known ones, a pattern that matches nothing: exit 1
   * at once, whatever --timeout. */
  {
    g_autofree char *out = RUN (d, 1, &err, "echo", "sensor/sine", "nope", "--timeout", "0");
    g_assert_cmpstr (out, ==, "");
    g_assert_cmpstr (err, ==, "oneliner: echo nope: no stream named \"nope\" on the server "
                              "(oneliner streams lists them)\n");
  }
  g_clear_pointer (&err, g_free);
  {
    g_autofree char *out = RUN (d, 1, &err, "echo", "nope/*", "--timeout", "0");
    (void) out;
    g_assert_cmpstr (err, ==, "oneliner: echo nope/*: no stream matches \"nope/*\" on the "
                              "server (oneliner streams lists them)\n");
  }
}

static void
test_echo_payloads (TuDemo *d, gconstpointer data)
{
  (void) data;
  /* Whole by default: every sample of the trace; --short: five. */
  {
    g_autofree char *out = RUN (d, 0, NULL, "echo", "daq/trace", "--count", "1");
    g_autofree char *cut = RUN (d, 0, NULL, "echo", "daq/trace", "--count", "1", "--short");
    g_autofree char *json = RUN (d, 0, NULL, "echo", "daq/trace", "--count", "1", "--json");
    g_autoptr (json_t) m = s_json (json);
    g_auto (GStrv) words = g_strsplit (out, " ", -1);
    guint numbers = 0;

    for (guint i = 0; words[i] != NULL; i++)
      numbers += g_regex_match_simple ("^-?[0-9]+\\.[0-9]+$", words[i], 0, 0);
    g_assert_cmpuint (numbers, ==, 1024);
    g_assert_null (strstr (out, "..."));
    g_assert_true (g_regex_match_simple (" 1024 samples:( -?[0-9.]+){5} \\.\\.\\. V \\(min ", cut,
                                         0, 0));
    g_assert_cmpuint (json_array_size (json_object_get (m, "value")), ==, 1024);
  }
  /* An image: its pixels as base64 with --json, its size alone with --short. */
  {
    g_autofree char *on = RUN (d, 0, NULL, "enable", "camera/frames");
    (void) on;
    g_autofree char *json = RUN (d, 0, NULL, "echo", "camera/frames", "--count", "1", "--json");
    g_autofree char *cut = RUN (d, 0, NULL, "echo", "camera/frames", "--count", "1", "--json",
                                "--short");
    g_autofree char *off = RUN (d, 0, NULL, "disable", "camera/frames");
    (void) off;
    g_autoptr (json_t) m = s_json (json);
    g_autoptr (json_t) c = s_json (cut);
    gsize len = 0;
    g_autofree guchar *pixels = g_base64_decode (json_string_value (json_object_get (m, "base64")),
                                                 &len);
    (void) pixels;

    g_assert_cmpstr (json_string_value (json_object_get (m, "encoding")), ==, "image");
    g_assert_cmpint (json_integer_value (json_object_get (json_object_get (m, "image"), "width")),
                     ==, 640);
    g_assert_cmpstr (json_string_value (json_object_get (json_object_get (m, "image"), "format")),
                     ==, "gray8");
    g_assert_cmpint (json_integer_value (json_object_get (m, "size")), ==, 640 * 480);
    g_assert_cmpuint (len, ==, 640 * 480);
    g_assert_cmpint (json_integer_value (json_object_get (c, "size")), ==, 640 * 480);
    g_assert_null (json_object_get (c, "base64"));
  }
}

/* ---- bw, info, top ------------------------------------------------------------ */

static void
test_bw (TuDemo *d, gconstpointer data)
{
  g_autofree char *err = NULL;

  (void) data;
  {
    g_autofree char *out = RUN (d, 0, NULL, "bw", "daq/trace", "--duration", "1.5");
    g_assert_true (g_regex_match_simple ("^bw: [0-9.]+ [kM]?B/s \\([0-9]+ messages, mean "
                                         "[0-9.]+ [kM]?B, max [0-9.]+ [kM]?B\\)$", out,
                                         G_REGEX_MULTILINE, 0));
    g_assert_true (g_regex_match_simple ("^average: [0-9.]+ [kM]?B/s, [0-9]+ messages in "
                                         "[0-9.]+ s, mean [0-9.]+ [kM]?B, max [0-9.]+ [kM]?B, "
                                         "dropped 0\n\\z", out, G_REGEX_MULTILINE, 0));
  }
  {
    g_autofree char *out = RUN (d, 0, NULL, "bw", "daq/trace", "--duration", "1", "--json");
    g_autoptr (json_t) v = s_json (out);
    gint64 messages = json_integer_value (json_object_get (v, "messages"));
    gint64 bytes = json_integer_value (json_object_get (v, "bytes"));
    double mean = json_real_value (json_object_get (v, "mean_size"));

    g_assert_cmpint (messages, >=, 1);
    /* A trace is 1024 numbers as JSON text: thousands of bytes. */
    g_assert_cmpint (bytes, >, 1024 * messages);
    g_assert_cmpfloat_with_epsilon (mean, (double) bytes / messages, 1e-6);
    g_assert_cmpint (json_integer_value (json_object_get (v, "max_size")), >=, (gint64) mean);
    g_assert_cmpfloat (json_real_value (json_object_get (v, "bytes_per_s")), >, 0);
    g_assert_true (json_is_string (json_object_get (v, "path")));
    g_assert_true (json_is_integer (json_object_get (v, "shm_frames")));
    g_assert_true (json_is_integer (json_object_get (v, "shm_torn")));
    g_assert_cmpuint (json_object_size (v), ==, 12);
  }
  {
    g_autofree char *out = RUN (d, 1, &err, "bw", "nope", "--duration", "60");
    (void) out;
    g_assert_cmpstr (err, ==, "oneliner: bw nope: no stream named \"nope\" on the server "
                              "(oneliner streams lists them)\n");
  }
}

static void
test_info (TuDemo *d, gconstpointer data)
{
  g_autofree char *err = NULL;

  (void) data;
  {
    g_autofree char *out = RUN (d, 0, NULL, "info", "sensor/temperature");

    g_assert_true (g_str_has_prefix (out, "name                 sensor/temperature\n"));
    g_assert_nonnull (strstr (out, "\nkind                 periodic\n"));
    g_assert_nonnull (strstr (out, "\nhz                   10.0\n"));
    g_assert_nonnull (strstr (out, "\nencoding             json\n"));
    g_assert_nonnull (strstr (out, "\nenabled              true\n"));
    g_assert_nonnull (strstr (out, "\"unit\":\"degC\""));
    g_assert_true (g_regex_match_simple ("^stats\\.sent +[0-9]+$", out, G_REGEX_MULTILINE, 0));
    g_assert_true (g_regex_match_simple ("^stats\\.overruns +[0-9]+$", out, G_REGEX_MULTILINE,
                                         0));
  }
  {
    g_autofree char *out = RUN (d, 0, NULL, "info", "sensor/sine", "--json");
    g_autoptr (json_t) v = s_json (out);

    g_assert_cmpstr (json_string_value (json_object_get (v, "name")), ==, "sensor/sine");
    g_assert_cmpstr (json_string_value (json_object_get (v, "kind")), ==, "periodic");
    g_assert_cmpfloat (json_real_value (json_object_get (v, "hz")), ==, 100.0);
    g_assert_cmpstr (json_string_value (json_object_get (json_object_get (v, "description"),
                                                         "unit")), ==, "V");
    g_assert_true (json_is_integer (json_object_get (json_object_get (v, "stats"), "sent")));
  }
  {
    g_autofree char *out = RUN (d, 1, &err, "info", "nope");
    (void) out;
    g_assert_cmpstr (err, ==, "oneliner: info nope: no stream named \"nope\" on the server "
                              "(oneliner streams lists them)\n");
  }
  g_clear_pointer (&err, g_free);
  /* A name ending in .mcap is a recording, read with no server. */
  {
    g_autofree char *out = RUN (NULL, 1, &err, "info", "no-such-file.mcap");
    (void) out;
    g_assert_nonnull (strstr (err, "no-such-file.mcap"));
  }
}

static void
test_top (TuDemo *d, gconstpointer data)
{
  g_autoptr (json_t) streams = NULL;

  (void) data;
  {
    g_autofree char *out = RUN (d, 0, NULL, "streams", "--json");
    streams = s_json (out);
  }
  {
    g_autofree char *out = RUN (d, 0, NULL, "top", "--once");
    g_auto (GStrv) lines = s_lines (out);
    g_autofree char *pid = g_strdup_printf ("^server pid %" G_GINT64_FORMAT ", CPU [0-9.]+%%, "
                                            "RSS [0-9.]+ MB, [0-9]+ threads$",
                                            s_server_pid (d));
    guint n = g_strv_length (lines);

    /* Header, a line per stream, the server's line, an empty line. */
    g_assert_null (strchr (out, '\033'));
    g_assert_cmpuint (n, ==, json_object_size (streams) + 3);
    g_assert_true (g_regex_match_simple ("^STREAM +MSGS/S +KB/S +DROPPED +MISSED +OVERRUNS$",
                                         lines[0], 0, 0));
    g_assert_true (g_regex_match_simple ("^sensor/sine +[0-9.]+ +[0-9.]+ +[0-9]+ +[0-9]+ "
                                         "+[0-9]+$", out, G_REGEX_MULTILINE, 0));
    if (!g_regex_match_simple (pid, lines[n - 2], 0, 0))
      g_error ("%s does not match %s", lines[n - 2], pid);
    g_assert_cmpstr (lines[n - 1], ==, "");
  }
  {
    g_autofree char *out = RUN (d, 0, NULL, "top", "--count", "2", "--json");
    g_auto (GStrv) lines = s_lines (out);

    g_assert_cmpuint (g_strv_length (lines), ==, 2);
    for (guint i = 0; i < 2; i++)
      {
        g_autoptr (json_t) v = s_json (lines[i]);
        json_t *process = json_object_get (v, "process");
        json_t *sine = json_object_get (json_object_get (v, "streams"), "sensor/sine");

        g_assert_cmpuint (json_object_size (json_object_get (v, "streams")), ==,
                          json_object_size (streams));
        g_assert_cmpint (json_integer_value (json_object_get (process, "pid")), ==,
                         s_server_pid (d));
        g_assert_cmpfloat (json_real_value (json_object_get (process, "cpu_percent")), >=, 0);
        g_assert_cmpint (json_integer_value (json_object_get (process, "threads")), >, 3);
        g_assert_cmpfloat (json_real_value (json_object_get (sine, "msgs_per_s")), >, 0);
        g_assert_cmpfloat (json_real_value (json_object_get (sine, "bytes_per_s")), >, 0);
        g_assert_true (json_is_integer (json_object_get (sine, "dropped")));
        g_assert_true (json_is_integer (json_object_get (sine, "missed")));
        g_assert_true (json_is_integer (json_object_get (sine, "overruns")));
        g_assert_cmpfloat (json_real_value (json_object_get (v, "interval_s")), >, 0);
      }
  }
  {
    g_autofree char *err = NULL;
    g_autofree char *out = RUN (d, 2, &err, "top", "--count", "-1");
    (void) out;
    g_assert_cmpstr (err, ==, "oneliner top: --count must be >= 0 (try 'oneliner top --help')\n");
  }
}

/* ---- endpoints and options ------------------------------------------------------ */

static void
test_environment (TuDemo *d, gconstpointer data)
{
  g_autofree char *err = NULL;

  (void) data;
  g_setenv ("ONELINER_RPC", d->rpc, TRUE);
  g_setenv ("ONELINER_STREAM", d->stream, TRUE);
  {
    g_autofree char *out = RUN (NULL, 0, NULL, "version");
    g_autofree char *echo = RUN (NULL, 0, NULL, "echo", "sensor/sine", "--count", "1");
    g_assert_nonnull (strstr (out, "server " OL_VERSION_STRING " protocol 1\n"));
    g_assert_nonnull (strstr (echo, " V\n"));
  }
  /* A malformed variable: a usage error that names it. */
  g_setenv ("ONELINER_RPC", "localhost:5555", TRUE);
  {
    g_autofree char *out = RUN (NULL, 2, &err, "version");
    (void) out;
    g_assert_cmpstr (err, ==, "oneliner: ONELINER_RPC=localhost:5555: expected tcp://HOST:PORT, "
                              "ipc://PATH or inproc://NAME\n");
  }
  /* The command line wins. */
  {
    g_autofree char *out = RUN (NULL, 0, NULL, "--rpc", d->rpc, "version");
    g_assert_nonnull (strstr (out, "server " OL_VERSION_STRING));
  }
  g_clear_pointer (&err, g_free);
  g_setenv ("ONELINER_RPC", d->rpc, TRUE);
  g_setenv ("ONELINER_STREAM", "tcp://127.0.0.1:99999", TRUE);
  {
    g_autofree char *out = RUN (NULL, 2, &err, "echo", "sensor/sine");
    (void) out;
    g_assert_cmpstr (err, ==, "oneliner: ONELINER_STREAM=tcp://127.0.0.1:99999: expected "
                              "tcp://HOST:PORT, ipc://PATH or inproc://NAME\n");
  }
  g_unsetenv ("ONELINER_RPC");
  g_unsetenv ("ONELINER_STREAM");
}

static void
test_options_after_command (TuDemo *d, gconstpointer data)
{
  g_autofree char *err = NULL;

  (void) data;
  {
    g_autofree char *out = RUN (NULL, 0, NULL, "streams", "--rpc", d->rpc, "--timeout", "5000");
    g_assert_true (g_regex_match_simple ("^sensor/sine +periodic +100\\.00 ", out,
                                         G_REGEX_MULTILINE, 0));
  }
  {
    g_autofree char *out = RUN (NULL, 0, NULL, "call", "-r", d->rpc, "stage", "move_to",
                                "[1, 2.5]");
    g_assert_cmpstr (out, ==, "2.5\n");
  }
  /* After echo, --timeout is echo's own: 0 waits for --count. */
  {
    g_autofree char *out = RUN (NULL, 0, NULL, "echo", "sensor/temperature", "--rpc", d->rpc,
                                "-s", d->stream, "--count", "2", "--timeout", "0");
    g_auto (GStrv) lines = s_lines (out);
    g_assert_cmpuint (g_strv_length (lines), ==, 2);
  }
  {
    g_autofree char *out = RUN (NULL, 2, &err, "list", "--rpc", "nonsense");
    (void) out;
    g_assert_cmpstr (err, ==, "oneliner: --rpc nonsense: expected tcp://HOST:PORT, ipc://PATH "
                              "or inproc://NAME\n");
  }
  g_clear_pointer (&err, g_free);
  {
    g_autofree char *out = RUN (NULL, 2, &err, "enable", "x", "--json");
    (void) out;
    g_assert_cmpstr (err, ==, "oneliner enable: Unknown option --json\n");
  }
}

/* ---- the path of large payloads ------------------------------------------------- */

/* The fixture with the shared-memory ring on in the server, whatever the
 * environment of the test. */
static void
s_ring_setup (TuDemo *d, gconstpointer data)
{
  g_unsetenv ("ONELINER_SHM");
  tu_demo_setup (d, data);
}

/* The PATH column of stream name in the table of `oneliner streams`.
 * (transfer full) */
static char *
s_streams_path (TuDemo *d, const char *name)
{
  g_autofree char *out = RUN (d, 0, NULL, "streams");
  g_auto (GStrv) lines = s_lines (out);
  g_autofree char *prefix = g_strdup_printf ("%s ", name);

  g_assert_true (g_regex_match_simple ("^NAME +KIND +HZ +ENABLED +ENCODING +UNIT +RATE "
                                       "+OVERRUNS +DROPPED +WARNINGS +ALARMS +PATH$", lines[0],
                                       0, 0));
  for (guint i = 1; lines[i] != NULL; i++)
    if (g_str_has_prefix (lines[i], prefix))
      {
        const char *last = strrchr (lines[i], ' ');

        /* Aligned: the column starts where its header does. */
        g_assert_cmpint (last - lines[i], ==, strstr (lines[0], " PATH") - lines[0]);
        return g_strdup (last + 1);
      }
  g_error ("no stream %s in:\n%s", name, out);
}

/* Waits (at most 20 s) until the PATH of stream name is want. */
static void
s_wait_streams_path (TuDemo *d, const char *name, const char *want)
{
  gint64 deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;

  for (;;)
    {
      g_autofree char *path = s_streams_path (d, name);

      if (strcmp (path, want) == 0)
        return;
      if (g_get_monotonic_time () > deadline)
        g_error ("the PATH of %s is still %s, not %s", name, path, want);
      g_usleep (100000);
    }
}

/* Starts `oneliner hz name --duration 120` (ONELINER_SHM=0 in its
 * environment unless ring) and returns it once it has said its path, in
 * *line (transfer full). */
static TuProcess *
s_spawn_hz (TuDemo *d, const char *name, gboolean ring, char **line)
{
  const char *argv[] = { "tools/oneliner", "--rpc", d->rpc, "--stream", d->stream, "hz", name,
                         "--duration", "120", NULL };
  TuProcess *p;

  if (!ring)
    g_setenv ("ONELINER_SHM", "0", TRUE);
  p = tu_spawn (argv);
  g_unsetenv ("ONELINER_SHM");
  *line = tu_wait_line (p, "path: ", 30000);
  if (*line == NULL)
    g_error ("hz %s said no path; it printed:\n%s", name, p->lines->str);
  return p;
}

/* Stops hz with Ctrl-C; returns its last line (its path at the end).
 * (transfer full) */
static char *
s_stop_hz (TuProcess *p)
{
  int status = -1;
  g_autofree char *average = NULL;
  char *path;

  g_assert_true (tu_kill_wait (p, SIGINT, 20000, &status));
  g_assert_cmpint (status, ==, 0);
  average = tu_wait_line (p, "average rate: ", 5000);
  g_assert_nonnull (average);
  path = tu_wait_line (p, "path: ", 5000);
  g_assert_nonnull (path);
  g_assert_null (tu_wait_line (p, "", 5000));
  return path;
}

#define RING_LINE "^path: shared-memory ring \\([0-9]+ payloads from the ring, [0-9]+ " \
                  "overwritten\\)$"

static void
test_path (TuDemo *d, gconstpointer data)
{
  (void) data;
  /* camera/frames: 640x480 gray8, 307200 bytes a frame, above the 64 KiB of
   * the ring's default threshold. */
  {
    g_autofree char *on = RUN (d, 0, NULL, "enable", "camera/frames");
    (void) on;
  }
  /* No subscriber takes it from the ring yet. */
  {
    g_autofree char *path = s_streams_path (d, "camera/frames");
    g_assert_cmpstr (path, ==, "socket");
  }
  /* An hz with the ring off in its environment: the socket all along, and
   * the server says so too. */
  {
    g_autofree char *first = NULL;
    g_autoptr (TuProcess) hz = s_spawn_hz (d, "camera/frames", FALSE, &first);
    g_autofree char *path = s_streams_path (d, "camera/frames");
    g_autofree char *last = NULL;

    g_assert_cmpstr (first, ==, "path: socket");
    g_assert_cmpstr (path, ==, "socket");
    last = s_stop_hz (hz);
    g_assert_cmpstr (last, ==, "path: socket");
    g_assert_null (strstr (hz->lines->str, "ring"));
    g_assert_true (g_regex_match_simple ("^rate: [0-9]+\\.[0-9]{2} Hz\npath: socket\n",
                                         hz->lines->str, 0, 0));
  }
  {
    g_autofree char *out = NULL;
    g_autoptr (json_t) v = NULL;

    g_setenv ("ONELINER_SHM", "0", TRUE);
    out = RUN (d, 0, NULL, "hz", "camera/frames", "--duration", "1.5", "--json");
    g_unsetenv ("ONELINER_SHM");
    v = s_json (out);
    g_assert_cmpstr (json_string_value (json_object_get (v, "path")), ==, "socket");
    g_assert_cmpint (json_integer_value (json_object_get (v, "shm_frames")), ==, 0);
    g_assert_cmpint (json_integer_value (json_object_get (v, "shm_torn")), ==, 0);
  }
  /* An hz with the ring: it takes the frames from the ring, and while it
   * runs the server says shm. */
  {
    g_autofree char *first = NULL;
    g_autoptr (TuProcess) hz = s_spawn_hz (d, "camera/frames", TRUE, &first);
    g_autofree char *last = NULL;
    g_autoptr (GMatchInfo) match = NULL;
    g_autoptr (GRegex) frames = g_regex_new ("\\(([0-9]+) payloads", 0, 0, NULL);
    g_autofree char *rate = NULL;

    s_wait_streams_path (d, "camera/frames", "shm");
    /* A second more of frames through the ring. */
    rate = tu_wait_line (hz, "rate: ", 20000);
    g_assert_nonnull (rate);
    last = s_stop_hz (hz);
    if (!g_regex_match_simple (RING_LINE, last, 0, 0))
      g_error ("hz with the ring ended with \"%s\"; it printed:\n%s", last, hz->lines->str);
    g_assert_true (g_regex_match (frames, last, 0, &match));
    {
      g_autofree char *n = g_match_info_fetch (match, 1);
      g_assert_cmpint (g_ascii_strtoll (n, NULL, 10), >, 0);
    }
    /* Each path said was true when said: the socket (before the ring was
     * set up) or the ring. */
    g_assert_true (g_regex_match_simple ("^rate: [0-9]+\\.[0-9]{2} Hz\npath: ",
                                         hz->lines->str, 0, 0));
    g_assert_true (g_regex_match_simple ("^path: (socket|shared-memory ring .*)$", first, 0,
                                         0));
    /* Gone: no same-host subscriber takes the stream from the ring. */
    s_wait_streams_path (d, "camera/frames", "socket");
  }
  {
    g_autofree char *out = RUN (d, 0, NULL, "hz", "camera/frames", "--duration", "2",
                                "--json");
    g_autoptr (json_t) v = s_json (out);

    g_assert_cmpstr (json_string_value (json_object_get (v, "path")), ==, "shm");
    g_assert_cmpint (json_integer_value (json_object_get (v, "shm_frames")), >, 0);
    g_assert_true (json_is_integer (json_object_get (v, "shm_torn")));
  }
  {
    g_autofree char *off = RUN (d, 0, NULL, "disable", "camera/frames");
    (void) off;
  }
  /* Small payloads travel inline on the socket even with the ring: none
   * is said to come from it. */
  {
    g_autofree char *out = RUN (d, 0, NULL, "hz", "sensor/sine", "--duration", "2");
    g_auto (GStrv) lines = s_lines (out);
    guint n = g_strv_length (lines);

    g_assert_cmpuint (n, >=, 2);
    g_assert_true (g_str_has_prefix (lines[n - 2], "average rate: "));
    g_assert_true (g_regex_match_simple ("^path: (socket|shared-memory ring \\(0 payloads from "
                                         "the ring, 0 overwritten\\))$", lines[n - 1], 0, 0));
  }
}

/* ---- locale ---------------------------------------------------------------------- */

/* A locale with a decimal comma: one installed, or one made here with
 * localedef into dir (then LOCPATH is set). NULL if none can be had.
 * (transfer none) */
static const char *
s_comma_locale (const char *dir)
{
  static const char *const names[] = { "de_DE.UTF-8", "fr_FR.UTF-8", "de_DE.utf8" };
  const char *localedef[] = { "localedef", "-i", "de_DE", "-f", "UTF-8", NULL, NULL };
  g_autofree char *target = g_build_filename (dir, "de_DE.UTF-8", NULL);
  g_autofree char *path = g_find_program_in_path ("localedef");
  int status;

  for (gsize i = 0; i < G_N_ELEMENTS (names); i++)
    if (setlocale (LC_NUMERIC, names[i]) != NULL)
      return names[i];
  if (path == NULL)
    return NULL;
  localedef[5] = target;
  if (!g_spawn_sync (NULL, (char **) localedef, NULL, G_SPAWN_SEARCH_PATH
                     | G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL,
                     NULL, NULL, &status, NULL))
    return NULL;
  g_setenv ("LOCPATH", dir, TRUE);
  if (setlocale (LC_NUMERIC, "de_DE.UTF-8") != NULL)
    return "de_DE.UTF-8";
  g_unsetenv ("LOCPATH");
  return NULL;
}

static void
test_locale (TuDemo *d, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("ol-locale-XXXXXX", &error);
  const char *locale = s_comma_locale (dir);
  g_autofree char *check = NULL;
  g_autofree char *rm = g_strdup_printf ("rm -rf '%s'", dir);

  (void) data;
  g_assert_no_error (error);
  if (locale == NULL)
    {
      g_spawn_command_line_sync (rm, NULL, NULL, NULL, NULL);
      g_test_skip ("no locale with a decimal comma here, and none could be made "
                   "(localedef and the de_DE locale source)");
      return;
    }
  /* The locale is real: printf writes a comma in it. */
  check = g_strdup_printf ("%.2f", 1.5);
  setlocale (LC_NUMERIC, "C");
  g_assert_cmpstr (check, ==, "1,50");
  g_setenv ("LC_ALL", locale, TRUE);
  {
    g_autofree char *streams = RUN (d, 0, NULL, "streams");
    g_autofree char *hz = RUN (d, 0, NULL, "hz", "sensor/sine", "--duration", "1");
    g_autofree char *bw = RUN (d, 0, NULL, "bw", "daq/trace", "--duration", "1");
    g_autofree char *top = RUN (d, 0, NULL, "top", "--once");

    g_assert_true (g_regex_match_simple ("^sensor/sine +periodic +100\\.00 +yes +json +V "
                                         "+[0-9]+\\.[0-9]{2}/s ", streams, G_REGEX_MULTILINE, 0));
    g_assert_true (g_regex_match_simple ("^rate: [0-9]+\\.[0-9]{2} Hz$", hz, G_REGEX_MULTILINE,
                                         0));
    g_assert_true (g_regex_match_simple ("^average rate: [0-9]+\\.[0-9]{2} Hz, ", hz,
                                         G_REGEX_MULTILINE, 0));
    g_assert_true (g_regex_match_simple ("^average: [0-9]+(\\.[0-9]+)? kB/s, [0-9]+ messages in "
                                         "[0-9]+\\.[0-9] s", bw, G_REGEX_MULTILINE, 0));
    g_assert_null (strchr (streams, ','));
    g_assert_true (g_regex_match_simple ("CPU [0-9]+\\.[0-9]%, RSS [0-9]+\\.[0-9] MB", top, 0,
                                         0));
  }
  /* The recording commands too. */
  {
    g_autofree char *file = g_build_filename (dir, "run.mcap", NULL);
    g_autofree char *record = RUN (d, 0, NULL, "record", "sensor/sine", "--count", "20", "-o",
                                   file);
    g_autofree char *info = RUN (NULL, 0, NULL, "info", file);

    g_assert_true (g_regex_match_simple ("MB in [0-9]+\\.[0-9] s \\([0-9]+\\.[0-9] MB/s\\)",
                                         record, 0, 0));
    g_assert_true (g_regex_match_simple ("^size: +[0-9]+\\.[0-9]{2} MB ", info,
                                         G_REGEX_MULTILINE, 0));
    g_assert_true (g_regex_match_simple ("^time: .* \\([0-9]+\\.[0-9]{3} s\\)$", info,
                                         G_REGEX_MULTILINE, 0));
  }
  g_unsetenv ("LC_ALL");
  g_unsetenv ("LOCPATH");
  g_spawn_command_line_sync (rm, NULL, NULL, NULL, NULL);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/cli/process-op", TuDemo, NULL, tu_demo_setup, test_process_op, tu_demo_teardown);
  g_test_add ("/cli/json", TuDemo, NULL, tu_demo_setup, test_json, tu_demo_teardown);
  g_test_add ("/cli/echo-many", TuDemo, NULL, tu_demo_setup, test_echo_many, tu_demo_teardown);
  g_test_add ("/cli/echo-payloads", TuDemo, NULL, tu_demo_setup, test_echo_payloads, tu_demo_teardown);
  g_test_add ("/cli/bw", TuDemo, NULL, tu_demo_setup, test_bw, tu_demo_teardown);
  g_test_add ("/cli/info", TuDemo, NULL, tu_demo_setup, test_info, tu_demo_teardown);
  g_test_add ("/cli/top", TuDemo, NULL, tu_demo_setup, test_top, tu_demo_teardown);
  g_test_add ("/cli/environment", TuDemo, NULL, tu_demo_setup, test_environment, tu_demo_teardown);
  g_test_add ("/cli/options-after-command", TuDemo, NULL, tu_demo_setup, test_options_after_command,
              tu_demo_teardown);
  g_test_add ("/cli/path", TuDemo, NULL, s_ring_setup, test_path, tu_demo_teardown);
  g_test_add ("/cli/locale", TuDemo, NULL, tu_demo_setup, test_locale, tu_demo_teardown);
  return g_test_run ();
}
