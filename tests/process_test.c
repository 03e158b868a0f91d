/* Real processes: oneliner-demo-server and the oneliner command. */
#include <signal.h>
#include <string.h>
#include <glib/gstdio.h>
#include <unistd.h>
#include <zmq.h>

#include "oneliner/json.h"
#include "tests/testutil.h"


/* Runs `oneliner --rpc RPC args...` and checks exit status and output. */
static void
s_cli (TuDemo *d, int expect_status, const char *expect_out, const char *expect_err,
       const char *const *args)
{
  const char *argv[24] = { "tools/oneliner", "--rpc", d ? d->rpc : "tcp://127.0.0.1:1",
                           "--stream", d && d->stream ? d->stream : "tcp://127.0.0.1:1",
                           "--timeout", "3000" };
  int n = 7;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  int status;

  for (int i = 0; args[i]; i++)
    argv[n++] = args[i];
  argv[n] = NULL;
  status = tu_run (argv, 20000, &out, &err);
  if (status != expect_status
      || (expect_out && strstr (out, expect_out) == NULL)
      || (expect_err && strstr (err, expect_err) == NULL))
    g_error ("oneliner %s ...: status %d (expected %d)\nstdout: %s\nstderr: %s\n"
             "expected stdout containing: %s\nexpected stderr containing: %s",
             args[0], status, expect_status, out, err, expect_out ? expect_out : "",
             expect_err ? expect_err : "");
  if (expect_status != 0)
    {
      /* One clear line on stderr. */
      g_assert_cmpint (strlen (err), >, 0);
      g_assert_null (strchr (err, '\n') == err + strlen (err) - 1 ? NULL : strchr (err, '\n'));
    }
}

#define CLI(d, status, out, err, ...)                                          \
  do {                                                                         \
    const char *a_[] = { __VA_ARGS__, NULL };                                  \
    s_cli (d, status, out, err, a_);                                           \
  } while (0)

static void
test_cli_calls (TuDemo *d, gconstpointer data)
{
  (void) data;
  CLI (d, 0, "12.5\n", NULL, "call", "stage", "move_to", "[1, 12.5]");
  CLI (d, 0, "12.5\n", NULL, "call", "stage", "position", "[1]");
  CLI (d, 0, "40.0\n", NULL, "call", "stage", "move_to", "[]", "{\"axis\": 2, \"mm\": 40}");
  CLI (d, 0, "null\n", NULL, "call-named", "home_all");
  CLI (d, 0, "0.0\n", NULL, "call", "stage", "position", "[1]");
  CLI (d, 0, "stage.move_to(int32 axis, double mm, error) -> double", NULL, "list");
  CLI (d, 0, "named home_all = stage.home [0] {}", NULL, "list");
  CLI (d, 0, "\"named_calls\"", NULL, "list", "--json");
  CLI (d, 0, "server " OL_VERSION_STRING " protocol 1", NULL, "version");
}

static void
test_cli_errors (TuDemo *d, gconstpointer data)
{
  (void) data;
  CLI (d, 1, NULL, "past its travel limits 0..100 mm", "call", "stage", "move_to", "[1, 150]");
  CLI (d, 1, NULL, "axis 7 does not exist", "call", "stage", "position", "[7]");
  CLI (d, 1, NULL, "parameter 'axis' expects int32, got string \"x\"", "call", "stage",
       "move_to", "[\"x\", 1]");
  CLI (d, 1, NULL, "instance \"stage\" has no method \"fly\"", "call", "stage", "fly");
  CLI (d, 1, NULL, "no instance named \"lamp\"", "call", "lamp", "on");
  CLI (d, 1, NULL, "no named call \"dance\"", "call-named", "dance");
  CLI (d, 1, NULL, "unexpected keyword argument 'speed'", "call", "stage", "move_to",
       "[1, 2]", "{\"speed\": 3}");
  CLI (d, 2, NULL, "ARGS_JSON is not valid JSON", "call", "stage", "move_to", "[1, 2");
  CLI (d, 2, NULL, "ARGS_JSON must be a JSON array", "call", "stage", "move_to", "{}");
  CLI (d, 2, NULL, "KWARGS_JSON must be a JSON object", "call", "stage", "move_to", "[]", "[]");
  CLI (d, 2, NULL, "expects OBJECT METHOD", "call", "stage");
  CLI (d, 2, NULL, "unknown command \"fly\"", "fly");
}

/* Runs the CLI and returns its stdout (asserting the exit status). */
static char *
s_cli_out (TuDemo *d, int expect_status, const char *const *args)
{
  const char *argv[24] = { "tools/oneliner", "--rpc", d->rpc, "--stream", d->stream,
                           "--timeout", "5000" };
  int n = 7;
  char *out = NULL;
  g_autofree char *err = NULL;
  int status;

  for (int i = 0; args[i]; i++)
    argv[n++] = args[i];
  argv[n] = NULL;
  status = tu_run (argv, 30000, &out, &err);
  if (status != expect_status)
    g_error ("oneliner %s: status %d, expected %d; stderr: %s", args[0], status,
             expect_status, err);
  return out;
}

#define CLI_OUT(d, status, ...)                                                \
  ({ const char *a_[] = { __VA_ARGS__, NULL }; s_cli_out (d, status, a_); })

static gint64
s_frames_made (TuDemo *d)
{
  g_autofree char *out = CLI_OUT (d, 0, "call", "camera", "frames_made");
  return g_ascii_strtoll (out, NULL, 10);
}

static void
test_cli_streams (TuDemo *d, gconstpointer data)
{
  g_autofree char *list = NULL;
  g_autofree char *echo = NULL;
  g_autofree char *hz = NULL;
  g_auto (GStrv) lines = NULL;
  gint64 before, after;

  (void) data;
  list = CLI_OUT (d, 0, "streams");
  g_assert_nonnull (strstr (list, "sensor/sine"));
  g_assert_true (g_regex_match_simple ("camera/frames +periodic +30.00 +no +image", list, 0, 0));
  g_assert_true (g_regex_match_simple ("events/log +pushed +- +yes +json", list, 0, 0));

  /* echo: one line per message, sequence numbers contiguous. */
  echo = CLI_OUT (d, 0, "echo", "sensor/sine", "--count", "5");
  lines = g_strsplit (g_strstrip (echo), "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, 5);
  for (int i = 1; i < 5; i++)
    {
      guint64 a = g_ascii_strtoull (strstr (lines[i - 1], "seq ") + 4, NULL, 10);
      guint64 b = g_ascii_strtoull (strstr (lines[i], "seq ") + 4, NULL, 10);
      g_assert_cmpuint (b, ==, a + 1);
    }

  /* The camera is idle while disabled: its frame function is not called. */
  before = s_frames_made (d);
  g_assert_cmpint (before, ==, 0);
  {
    g_autofree char *o = CLI_OUT (d, 3, "echo", "camera/frames", "--count", "1",
                                  "--timeout", "300");
    (void) o;
  }
  g_assert_cmpint (s_frames_made (d), ==, 0);

  {
    g_autofree char *o = CLI_OUT (d, 0, "enable", "camera/frames");
    g_assert_cmpstr (o, ==, "camera/frames: enabled\n");
  }
  {
    g_autofree char *frames = CLI_OUT (d, 0, "echo", "camera/frames", "--count", "2");
    g_assert_nonnull (strstr (frames, "image 640x480 gray8, 307200 bytes"));
  }
  hz = CLI_OUT (d, 0, "hz", "camera/frames", "--duration", "2");
  g_assert_true (g_regex_match_simple ("^rate: [0-9.]+ Hz$", hz, G_REGEX_MULTILINE, 0));
  g_assert_true (g_regex_match_simple ("^average rate: [0-9.]+ Hz, dropped [0-9]+, p99 jitter [0-9]+ us$",
                                       hz, G_REGEX_MULTILINE, 0));
  {
    g_autofree char *o = CLI_OUT (d, 0, "disable", "camera/frames");
    (void) o;
  }
  after = s_frames_made (d);
  g_assert_cmpint (after, >, 0);
  /* Once disabled the count stays put (a tick in progress may still finish:
   * read the count once more after a full period). */
  {
    g_autofree char *o = CLI_OUT (d, 3, "echo", "camera/frames", "--count", "1",
                                  "--timeout", "200");
    (void) o;
  }
  after = s_frames_made (d);
  {
    g_autofree char *o = CLI_OUT (d, 3, "echo", "camera/frames", "--count", "1",
                                  "--timeout", "300");
    (void) o;
  }
  g_assert_cmpint (s_frames_made (d), ==, after);

  /* Unknown names are clear errors. */
  CLI (d, 1, NULL, "no stream named \"nope\"", "enable", "nope");
  CLI (d, 1, NULL, "no stream named \"nope\"", "disable", "nope");
  CLI (d, 1, NULL, "no stream named \"nope\"", "echo", "nope", "--timeout", "200");
}

/* Runs the CLI; returns its stdout and *err its stderr (asserting the exit
 * status). */
static char *
s_cli_out_err (TuDemo *d, int expect_status, char **err, const char *const *args)
{
  const char *argv[24] = { "tools/oneliner", "--rpc", d->rpc, "--stream", d->stream,
                           "--timeout", "5000" };
  int n = 7;
  char *out = NULL;
  int status;

  for (int i = 0; args[i]; i++)
    argv[n++] = args[i];
  argv[n] = NULL;
  status = tu_run (argv, 30000, &out, err);
  if (status != expect_status)
    g_error ("oneliner %s: status %d, expected %d; stderr: %s", args[0], status,
             expect_status, *err);
  return out;
}

#define CLI_OUT_ERR(d, status, err, ...)                                        \
  ({ const char *a_[] = { __VA_ARGS__, NULL }; s_cli_out_err (d, status, err, a_); })

/* The description of stream name as the library's client reads it.
 * (transfer full) */
static json_t *
s_description (TuDemo *d, const char *name)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (OlClient) c = ol_client_new (d->rpc, NULL, &error);
  g_autoptr (json_t) streams = NULL;
  json_t *desc;

  g_assert_no_error (error);
  ol_client_set_timeout (c, 5000);
  streams = ol_client_list_streams (c, &error);
  g_assert_no_error (error);
  desc = json_object_get (json_object_get (streams, name), "description");
  g_assert_true (json_is_object (desc));
  return json_incref (desc);
}

/* The value of the first line of echo NAME (a number followed by unit). */
static double
s_echo_number (TuDemo *d, const char *name, const char *unit)
{
  g_autofree char *out = CLI_OUT (d, 0, "echo", name, "--count", "1");
  g_autofree char *pattern = g_strdup_printf (" seq [0-9]+ (-?[0-9.]+) %s", unit);
  g_autoptr (GRegex) re = g_regex_new (pattern, 0, 0, NULL);
  g_autoptr (GMatchInfo) match = NULL;
  g_autofree char *number = NULL;

  if (!g_regex_match (re, out, 0, &match))
    g_error ("echo %s printed no value in %s: %s", name, unit, out);
  number = g_match_info_fetch (match, 1);
  return g_ascii_strtod (number, NULL);
}

/* streams shows the unit of a described stream, --json carries every
 * description as the server set it. */
static void
test_cli_descriptions (TuDemo *d, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (OlClient) c = ol_client_new (d->rpc, NULL, &error);
  g_autoptr (json_t) listed = NULL;
  g_autoptr (json_t) printed = NULL;
  g_autofree char *table = NULL;
  g_autofree char *json_text = NULL;
  json_error_t jerr;
  const char *key;
  json_t *entry;

  (void) data;
  g_assert_no_error (error);
  table = CLI_OUT (d, 0, "streams");
  g_assert_true (g_regex_match_simple ("^NAME +KIND +HZ +ENABLED +ENCODING +UNIT +RATE +OVERRUNS "
                                       "+DROPPED +WARNINGS +ALARMS +PATH$", table, G_REGEX_MULTILINE, 0));
  g_assert_true (g_regex_match_simple ("^sensor/temperature +periodic +[0-9.]+ +yes +json +degC +",
                                       table, G_REGEX_MULTILINE, 0));
  /* No unit: "-"; no limits: no counts. An object's unit is its fields'. */
  g_assert_true (g_regex_match_simple ("^camera/frames +periodic +[0-9.]+ +no +image +- +.* - +- +(shm|socket)$",
                                       table, G_REGEX_MULTILINE, 0));
  g_assert_true (g_regex_match_simple ("^stage/positions +pushed +- +yes +json +mm +.* 0 +0 +(shm|socket)$",
                                       table, G_REGEX_MULTILINE, 0));

  json_text = CLI_OUT (d, 0, "streams", "--json");
  printed = json_loads (json_text, 0, &jerr);
  g_assert_nonnull (printed);
  ol_client_set_timeout (c, 5000);
  listed = ol_client_list_streams (c, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (json_object_size (printed), ==, json_object_size (listed));
  json_object_foreach (listed, key, entry)
    {
      json_t *p = json_object_get (printed, key);
      json_t *want = json_object_get (entry, "description");

      g_assert_nonnull (p);
      g_assert_true (json_equal (json_object_get (p, "description"), want)
                     || (want == NULL && json_object_get (p, "description") == NULL));
      g_assert_true (json_equal (json_object_get (p, "kind"), json_object_get (entry, "kind")));
    }
  g_assert_cmpstr (json_string_value (json_object_get (json_object_get (
                     json_object_get (printed, "sensor/temperature"), "description"), "unit")),
                   ==, "degC");
  /* Sorted keys, indented: one member per line. */
  g_assert_nonnull (strstr (json_text, "{\n  \"camera/frames\": {\n"));
}

/* echo shows the unit (with the description's precision) and marks the
 * messages outside the limits; a call that heats the sensor past its alarm
 * limit makes ALARM appear, cooling it back makes it go. */
static void
test_cli_echo_limits (TuDemo *d, gconstpointer data)
{
  g_autoptr (json_t) desc = s_description (d, "sensor/temperature");
  json_t *limits = json_object_get (desc, "limits");
  json_t *precision = json_object_get (desc, "precision");
  double alarm_high = json_number_value (json_object_get (limits, "alarm_high"));
  double warning_low = json_number_value (json_object_get (limits, "warning_low"));
  double warning_high = json_number_value (json_object_get (limits, "warning_high"));
  double t0, heat;
  g_autofree char *pattern = NULL;
  g_autofree char *echo = NULL;
  g_autofree char *err = NULL;
  g_autofree char *kelvin = NULL;

  (void) data;
  g_assert_true (json_is_number (json_object_get (limits, "alarm_high")));
  g_assert_cmpstr (json_string_value (json_object_get (desc, "unit")), ==, "degC");

  /* The unit, and as many digits as the precision says. */
  echo = CLI_OUT_ERR (d, 0, &err, "echo", "sensor/temperature", "--count", "3");
  pattern = json_is_integer (precision)
    ? g_strdup_printf ("^[0-9:.]+ seq [0-9]+ -?[0-9]+\\.[0-9]{%d} degC$",
                       (int) json_integer_value (precision))
    : g_strdup ("^[0-9:.]+ seq [0-9]+ -?[0-9.e+-]+ degC$");
  g_assert_true (g_regex_match_simple (pattern, echo, G_REGEX_MULTILINE, 0));
  g_assert_null (strstr (echo, "ALARM"));
  g_assert_cmpstr (err, ==, "");
  g_clear_pointer (&echo, g_free);
  g_clear_pointer (&err, g_free);

  /* At rest the sensor is within its warning limits. */
  t0 = s_echo_number (d, "sensor/temperature", "degC");
  g_assert_cmpfloat (t0, >, warning_low);
  g_assert_cmpfloat (t0, <, warning_high);

  /* Heated 5 K past the alarm limit. */
  heat = alarm_high - t0 + 5.0;
  kelvin = g_strdup_printf ("[%.3f]", heat);
  {
    g_autofree char *o = CLI_OUT (d, 0, "call", "sensor", "heat", kelvin);
    (void) o;
  }
  echo = CLI_OUT_ERR (d, 0, &err, "echo", "sensor/temperature", "--count", "3");
  g_assert_true (g_regex_match_simple ("^[0-9:.]+ seq [0-9]+ [0-9.]+ degC  !! ALARM !!$", echo,
                                       G_REGEX_MULTILINE, 0));
  g_assert_true (g_regex_match_simple ("^oneliner: echo sensor/temperature: [0-9]+ of 3 "
                                       "messages in warning, [1-3] in alarm$", err,
                                       G_REGEX_MULTILINE, 0));
  g_clear_pointer (&echo, g_free);
  g_clear_pointer (&err, g_free);
  g_clear_pointer (&kelvin, g_free);

  /* Cooled back: the mark goes, and so does the summary. */
  kelvin = g_strdup_printf ("[%.3f]", -heat);
  {
    g_autofree char *o = CLI_OUT (d, 0, "call", "sensor", "heat", kelvin);
    (void) o;
  }
  echo = CLI_OUT_ERR (d, 0, &err, "echo", "sensor/temperature", "--count", "3");
  g_assert_null (strstr (echo, "ALARM"));
  g_assert_true (g_regex_match_simple ("^[0-9:.]+ seq [0-9]+ [0-9.]+ degC$", echo,
                                       G_REGEX_MULTILINE, 0));
  g_assert_null (strstr (err, "in alarm"));

  /* The streams table counts what was sent in alarm. */
  {
    g_autofree char *table = CLI_OUT (d, 0, "streams");
    g_assert_true (g_regex_match_simple ("^sensor/temperature .* [0-9]+ +[1-9][0-9]* +(shm|socket)$", table,
                                         G_REGEX_MULTILINE, 0));
  }
}

/* echo of a waveform: its length and first samples with the unit; of an
 * object: every field with its unit. */
static void
test_cli_echo_forms (TuDemo *d, gconstpointer data)
{
  g_autoptr (json_t) trace = s_description (d, "daq/trace");
  g_autoptr (json_t) positions = s_description (d, "stage/positions");
  g_autofree char *pattern = NULL;
  g_autofree char *echo = NULL;
  json_t *fields = json_object_get (positions, "fields");

  (void) data;
  g_assert_true (json_is_integer (json_object_get (trace, "length")));
  pattern = g_strdup_printf ("seq [0-9]+ %" JSON_INTEGER_FORMAT " samples:( -?[0-9.]+){5} "
                             "\\.\\.\\. %s \\(min -?[0-9.]+, max -?[0-9.]+\\)$",
                             json_integer_value (json_object_get (trace, "length")),
                             json_string_value (json_object_get (trace, "unit")));
  echo = CLI_OUT (d, 0, "echo", "daq/trace", "--count", "2", "--short");
  if (!g_regex_match_simple (pattern, echo, G_REGEX_MULTILINE, 0))
    g_error ("echo daq/trace: %s does not match %s", echo, pattern);
  g_clear_pointer (&echo, g_free);
  g_clear_pointer (&pattern, g_free);

  /* x=... mm y=... mm z=... mm, in the order of the fields. */
  {
    GString *p = g_string_new ("seq [0-9]+ ");

    for (gsize i = 0; i < json_array_size (fields); i++)
      {
        json_t *f = json_array_get (fields, i);
        g_string_append_printf (p, "%s%s=-?[0-9.]+ %s", i ? " " : "",
                                json_string_value (json_object_get (f, "name")),
                                json_string_value (json_object_get (f, "unit")));
      }
    g_string_append_c (p, '$');
    pattern = g_string_free (p, FALSE);
  }
  echo = CLI_OUT (d, 0, "echo", "stage/positions", "--count", "2");
  if (!g_regex_match_simple (pattern, echo, G_REGEX_MULTILINE, 0))
    g_error ("echo stage/positions: %s does not match %s", echo, pattern);
}

/* A server that is not oneliner's: a ROUTER that answers op "streams" with
 * a fixed result (hostile descriptions), and a PUB that sends streams
 * "fake/temp" and "fake/bad" (the value 41.25) and "fake/obj" (an object)
 * every 20 ms with status ALARM. Both sockets live in its
 * thread. */
typedef struct {
  char *rpc;
  char *stream;
  const char *result;  /* the JSON text of the "streams" result */
  GThread *thread;
  gint ready;          /* atomic */
  gint stop;           /* atomic */
} FakeServer;

static void
s_fake_reply (void *router, const char *result)
{
  zmq_msg_t frames[4];
  int n = 0, more = 1;
  json_t *request = NULL;
  g_autofree char *reply = NULL;
  const char *op;

  while (more && n < 4)
    {
      size_t len = sizeof more;

      zmq_msg_init (&frames[n]);
      g_assert_cmpint (zmq_msg_recv (&frames[n], router, 0), >=, 0);
      zmq_getsockopt (router, ZMQ_RCVMORE, &more, &len);
      n++;
    }
  g_assert_false (more);
  request = json_loadb (zmq_msg_data (&frames[n - 1]), zmq_msg_size (&frames[n - 1]), 0, NULL);
  g_assert_nonnull (request);
  op = json_string_value (json_object_get (request, "op"));
  reply = g_strdup_printf ("{\"v\":1,\"id\":%" JSON_INTEGER_FORMAT ",\"ok\":true,\"result\":%s}",
                           json_integer_value (json_object_get (request, "id")),
                           g_strcmp0 (op, "streams") == 0 ? result : "null");
  for (int i = 0; i < n - 1; i++)
    zmq_send (router, zmq_msg_data (&frames[i]), zmq_msg_size (&frames[i]), ZMQ_SNDMORE);
  zmq_send (router, reply, strlen (reply), 0);
  for (int i = 0; i < n; i++)
    zmq_msg_close (&frames[i]);
  json_decref (request);
}

static gpointer
s_fake_thread (gpointer data)
{
  FakeServer *f = data;
  void *ctx = zmq_ctx_new ();
  void *router = zmq_socket (ctx, ZMQ_ROUTER);
  void *pub = zmq_socket (ctx, ZMQ_PUB);
  int zero = 0;
  guint64 seq = 0;
  gint64 next = 0;

  zmq_setsockopt (router, ZMQ_LINGER, &zero, sizeof zero);
  zmq_setsockopt (pub, ZMQ_LINGER, &zero, sizeof zero);
  g_assert_cmpint (zmq_bind (router, f->rpc), ==, 0);
  g_assert_cmpint (zmq_bind (pub, f->stream), ==, 0);
  g_atomic_int_set (&f->ready, 1);
  while (!g_atomic_int_get (&f->stop))
    {
      zmq_pollitem_t item = { router, 0, ZMQ_POLLIN, 0 };

      zmq_poll (&item, 1, 5);
      if (item.revents & ZMQ_POLLIN)
        s_fake_reply (router, f->result);
      if (g_get_monotonic_time () >= next)
        {
          /* [topic "fake/temp\0", header (docs/PROTOCOL.md, "Header"), payload] */
          guint8 header[48] = { 1, OL_STATUS_ALARM, OL_ENCODING_JSON };
          guint64 s = GUINT64_TO_LE (++seq);
          gint64 t = GINT64_TO_LE (g_get_real_time () * 1000);

          memcpy (header + 8, &s, 8);
          memcpy (header + 16, &t, 8);
          static const char *const topics[] = { "fake/temp", "fake/bad", "fake/obj" };
          static const char object[] = "{\"a\\u001bb\": 1.5, \"s\": \"x\\u0007"
            "yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy\", \"n\": true, \"z\": []}";

          for (gsize i = 0; i < G_N_ELEMENTS (topics); i++)
            {
              const char *payload = i == 2 ? object : "41.25";

              zmq_send (pub, topics[i], strlen (topics[i]) + 1, ZMQ_SNDMORE);
              zmq_send (pub, header, sizeof header, ZMQ_SNDMORE);
              zmq_send (pub, payload, strlen (payload), 0);
            }
          next = g_get_monotonic_time () + 20 * G_TIME_SPAN_MILLISECOND;
        }
    }
  zmq_close (router);
  zmq_close (pub);
  zmq_ctx_term (ctx);
  return NULL;
}

static gboolean
s_fake_ready (gpointer data)
{
  return g_atomic_int_get (&((FakeServer *) data)->ready);
}

/* Descriptions are input from outside: a unit with control characters is
 * printed escaped, a stream name too; a malformed description counts as
 * none (said once on stderr); members this client does not know are
 * ignored. */
static void
test_cli_hostile_descriptions (void)
{
  FakeServer f = { 0 };
  TuDemo d = { NULL, NULL, NULL };
  g_autofree char *table = NULL;
  g_autofree char *echo = NULL;
  g_autofree char *err = NULL;

  f.rpc = tu_ipc_endpoint ("fake-rpc");
  f.stream = tu_ipc_endpoint ("fake-stream");
  f.result =
    "{\"fake/temp\": {\"kind\": \"pushed\", \"enabled\": true, \"encoding\": \"json\","
    " \"stats\": {\"rate\": 50.0, \"warnings\": 0, \"alarms\": 7},"
    " \"description\": {\"unit\": \"deg\\u001b[31mC\\u0007\\u0000\", \"precision\": 1,"
    " \"form\": \"number\", \"limits\": {\"alarm_high\": 40}, \"later\": {\"x\": 1}}},"
    " \"fake/bad\": {\"kind\": \"pushed\", \"encoding\": \"json\", \"stats\": {},"
    " \"description\": {\"unit\": 5}},"
    " \"fake/obj\": {\"kind\": \"pushed\", \"encoding\": \"json\", \"stats\": {},"
    " \"description\": {\"form\": \"object\", \"fields\": [{\"name\": \"a\\u001bb\","
    " \"unit\": \"mm\"}, {\"name\": \"s\", \"form\": \"string\"}, {\"name\": \"n\","
    " \"form\": \"flag\"}, {\"name\": \"z\"}, {\"name\": \"gone\"}]}},"
    " \"fake/long\": {\"kind\": \"pushed\", \"encoding\": \"json\", \"stats\": {},"
    " \"description\": {\"unit\": \"0123456789012345678901234567890123456789\"}},"
    " \"fake/\\u001b]0;title\\u0007\": {\"kind\": \"pushed\\u001b[2J\", \"stats\": {}}}";
  f.thread = g_thread_new ("fake-server", s_fake_thread, &f);
  g_assert_true (tu_wait_until (s_fake_ready, &f, 5000));
  d.rpc = f.rpc;
  d.stream = f.stream;

  table = CLI_OUT (&d, 0, "streams");
  g_test_message ("%s", table);
  g_assert_null (strchr (table, '\033'));
  g_assert_null (strchr (table, '\007'));
  g_assert_true (g_regex_match_simple ("^fake/temp +pushed +- +yes +json +deg\\\\x1b\\[31mC\\\\x07\\\\x00 "
                                       "+50.00/s +0 +0 +0 +7 +-$", table, G_REGEX_MULTILINE, 0));
  g_assert_true (g_regex_match_simple ("^fake/bad +pushed +- +no +json +- ", table,
                                       G_REGEX_MULTILINE, 0));
  g_assert_true (g_regex_match_simple ("^fake/long +pushed +- +no +json +- ", table,
                                       G_REGEX_MULTILINE, 0));
  g_assert_nonnull (strstr (table, "fake/\\x1b]0;title\\x07 "));
  g_assert_nonnull (strstr (table, "pushed\\x1b[2J"));

  /* The unit escaped, one decimal, the mark from the header. */
  echo = CLI_OUT_ERR (&d, 0, &err, "echo", "fake/temp", "--count", "2");
  g_test_message ("%s", echo);
  g_assert_null (strchr (echo, '\033'));
  g_assert_true (g_regex_match_simple ("^[0-9:.]+ seq [0-9]+ 41\\.2 deg\\\\x1b\\[31mC\\\\x07\\\\x00  "
                                       "!! ALARM !!$", echo, G_REGEX_MULTILINE, 0));
  g_assert_cmpstr (err, ==, "oneliner: echo fake/temp: 0 of 2 messages in warning, 2 in alarm\n");
  g_clear_pointer (&echo, g_free);
  g_clear_pointer (&err, g_free);

  /* An object field by field: names and strings escaped, a long string
   * cut, a field of a form unknown here shown as it is, "?" for a value of
   * no field form and for a missing field. */
  echo = CLI_OUT (&d, 0, "echo", "fake/obj", "--count", "1", "--short");
  g_test_message ("%s", echo);
  g_assert_null (strchr (echo, '\033'));
  g_assert_null (strchr (echo, '\007'));
  g_assert_nonnull (strstr (echo, " a\\x1bb=1.5 mm s=\"x\\x07yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy...\" "
                                  "n=true z=? gone=?  !! ALARM !!\n"));
  g_clear_pointer (&echo, g_free);

  /* A malformed description: the value as sent (the mark stays: it is the
   * header's). */
  echo = CLI_OUT_ERR (&d, 0, &err, "echo", "fake/bad", "--count", "1");
  g_assert_true (g_regex_match_simple ("^[0-9:.]+ seq [0-9]+ 41\\.25  !! ALARM !!\n$", echo, 0, 0));
  g_assert_true (g_str_has_prefix (err, "oneliner: echo fake/bad: the stream's description is "
                                   "malformed (\"unit\" is not a string of 1 to 32 bytes): "
                                   "values shown as sent\n"));

  g_atomic_int_set (&f.stop, 1);
  g_thread_join (f.thread);
  g_free (f.rpc);
  g_free (f.stream);
}

/* echo and hz ask the server first: an unknown stream is one line and exit
 * 1 at once (however long --timeout), a disabled one is said and waited for. */
static void
test_cli_echo_unknown (TuDemo *d, gconstpointer data)
{
  g_autofree char *err = NULL;
  g_autofree char *hz_err = NULL;
  g_autofree char *dis_err = NULL;
  g_autofree char *out = NULL;
  g_autofree char *hz_out = NULL;
  g_autofree char *dis_out = NULL;

  (void) data;
  CLI (d, 1, NULL, "no stream named \"nosuch/stream\"", "echo", "nosuch/stream", "--timeout",
       "60000");
  out = CLI_OUT_ERR (d, 1, &err, "echo", "nosuch/stream", "--timeout", "60000");
  g_assert_cmpstr (out, ==, "");
  hz_out = CLI_OUT_ERR (d, 1, &hz_err, "hz", "nosuch", "--duration", "60");
  g_assert_cmpstr (hz_out, ==, "");
  g_assert_nonnull (strstr (hz_err, "no stream named \"nosuch\""));
  g_assert_null (strchr (hz_err, '\n') + 1 == hz_err + strlen (hz_err) ? NULL : hz_err);
  dis_out = CLI_OUT_ERR (d, 3, &dis_err, "echo", "camera/frames", "--count", "1", "--timeout",
                         "300");
  g_assert_nonnull (strstr (dis_err, "oneliner: stream camera/frames is disabled: enable it "
                                     "with `oneliner enable camera/frames`\n"));
  g_assert_nonnull (strstr (dis_err, "no message within 300 ms"));
}

/* echo --timeout 0 watches a quiet stream until Ctrl-C. */
static void
test_cli_echo_forever (TuDemo *d, gconstpointer data)
{
  const char *argv[] = { "tools/oneliner", "--rpc", d->rpc, "--stream", d->stream, "echo",
                         "events/log", "--timeout", "0", NULL };
  g_autoptr (TuProcess) p = tu_spawn_merged (argv);
  g_autofree char *line = NULL;
  int status = -1;

  (void) data;
  /* Moves until one is seen (the first may come before the subscription). */
  for (int i = 0; i < 40 && line == NULL; i++)
    {
      g_autofree char *mm = g_strdup_printf ("[1, %d]", 10 + i);
      g_autofree char *out = CLI_OUT (d, 0, "call", "stage", "move_to", mm);
      (void) out;

      line = tu_wait_line (p, "moved", 500);
      if (line == NULL)
        g_assert_null (strstr (p->lines->str, "no message"));
    }
  g_assert_nonnull (line);
  g_assert_true (tu_kill_wait (p, SIGINT, 10000, &status));
  g_assert_cmpint (status, ==, 0);
}

/* A malformed endpoint is a bad command line (exit 2), said with the option
 * and the forms expected, whatever the command. */
static void
test_cli_bad_endpoint (void)
{
  CLI (NULL, 2, NULL, "oneliner: --stream foo: expected tcp://HOST:PORT, ipc://PATH or "
       "inproc://NAME\n", "--stream", "foo", "echo", "x");
  CLI (NULL, 2, NULL, "oneliner: --rpc foo: expected tcp://HOST:PORT, ipc://PATH or "
       "inproc://NAME\n", "--rpc", "foo", "list");
  CLI (NULL, 2, NULL, "--rpc tcp://localhost: expected", "--rpc", "tcp://localhost", "version");
  CLI (NULL, 2, NULL, "--rpc udp://x:1: expected", "--rpc", "udp://x:1", "streams");
}

/* Every program sets the locale from the environment (its --help then shows
 * "[OPTION…]" in a UTF-8 locale), and numbers keep their '.' whatever the
 * locale. (This machine has no locale with a decimal comma: C.UTF-8.) */
static void
test_cli_locale (TuDemo *d, gconstpointer data)
{
  static const char *const programs[] = { "tools/oneliner", "tools/oneliner-demo-server",
                                          "oneliner-relay" };
  const char *locale = "C.UTF-8";

  (void) data;
  g_setenv ("LC_ALL", locale, TRUE);
  for (gsize i = 0; i < G_N_ELEMENTS (programs); i++)
    {
      const char *argv[] = { programs[i], "--help", NULL };
      g_autofree char *out = NULL;

      g_assert_cmpint (tu_run (argv, 20000, &out, NULL), ==, 0);
      g_assert_nonnull (strstr (out, "[OPTION\u2026]"));
    }
  CLI (d, 0, "12.5\n", NULL, "call", "stage", "move_to", "[1, 12.5]");
  g_unsetenv ("LC_ALL");
  /* Reals in their shortest form, as a person typed them. */
  CLI (d, 0, "1.15\n", NULL, "call", "stage", "move_to", "[2, 1.15]");
  CLI (d, 0, "0.30000000000000004\n", NULL, "call", "stage", "move_to",
       "[2, 0.30000000000000004]");
}

static void
test_cli_help (void)
{
  static const char *const commands[] = { "call", "call-named", "list", "version", "streams",
                                          "echo", "hz", "bw", "info", "top", "mounts",
                                          "enable", "disable" };

  CLI (NULL, 0, "call-named", NULL, "--help");
  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
    {
      g_autofree char *usage = g_strdup_printf ("] %s", commands[i]);
      CLI (NULL, 0, usage, NULL, commands[i], "--help");
    }
}

static void
test_cli_dead_server (void)
{
  g_autofree char *ep = tu_ipc_endpoint ("nobody");
  const char *argv[] = { "tools/oneliner", "--rpc", ep, "--timeout", "300", "version", NULL };
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;

  g_assert_cmpint (tu_run (argv, 20000, &out, &err), ==, 3);
  g_assert_nonnull (strstr (err, "within 300 ms"));
}

static void
test_demo_help (void)
{
  const char *argv[] = { "tools/oneliner-demo-server", "--help", NULL };
  g_autofree char *out = NULL;

  g_assert_cmpint (tu_run (argv, 20000, &out, NULL), ==, 0);
  g_assert_nonnull (strstr (out, "--rpc"));
  g_assert_nonnull (strstr (out, "--config"));
}

static void
test_demo_stops_on_signals (void)
{
  const int signals[] = { SIGINT, SIGTERM };

  for (gsize i = 0; i < G_N_ELEMENTS (signals); i++)
    {
      g_autofree char *rpc = NULL;
      g_autoptr (TuProcess) p = tu_spawn_demo_server (&rpc, NULL);
      g_autofree char *line = NULL;
      int status = -1;

      g_assert_true (tu_kill_wait (p, signals[i], 5000, &status));
      g_assert_cmpint (status, ==, 0);
      line = tu_wait_line (p, "stopped", 1000);
      g_assert_nonnull (line);
    }
}

static void
test_demo_config (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *path = NULL;
  int fd = g_file_open_tmp ("oneliner-config-XXXXXX.json", &path, &error);
  const char *good = "{\"named_calls\": {\"park\": {\"object\": \"stage\", "
                     "\"method\": \"move_to\", \"args\": [3, 20]}}}";
  const char *bad = "{\"named_calls\": {\"park\": {\"object\": \"stage\", "
                    "\"method\": \"warp\"}}}";
  const char *extra[] = { "--config", path, "--speed", "0", NULL };
  g_autofree char *rpc = NULL;
  g_autoptr (TuProcess) p = NULL;
  g_autofree char *err = NULL;

  g_assert_no_error (error);
  close (fd);
  g_assert_true (g_file_set_contents (path, good, -1, &error));
  p = tu_spawn_demo_server (&rpc, extra);
  {
    TuDemo d = { p, rpc, NULL };
    CLI (&d, 0, "20.0\n", NULL, "call-named", "park");
    CLI (&d, 0, "5.0\n", NULL, "call-named", "park", "[3, 5]");
  }
  g_assert_true (g_file_set_contents (path, bad, -1, &error));
  {
    const char *argv[] = { "tools/oneliner-demo-server", "--rpc", "tcp://127.0.0.1:*",
                           "--stream", "tcp://127.0.0.1:*", "--config", path, NULL };
    g_assert_cmpint (tu_run (argv, 20000, NULL, &err), ==, 1);
    g_assert_nonnull (strstr (err, "named_calls.park"));
    g_assert_nonnull (strstr (err, "\"warp\""));
  }
  g_unlink (path);
}

/* The command line wins over the configuration file: its endpoints are the
 * ones served, in the demo server and in the relay alike. */
static void
test_config_command_line_wins (void)
{
  static const char *const programs[] = { "tools/oneliner-demo-server", "oneliner-relay" };
  g_autoptr (GError) error = NULL;
  g_autofree char *path = NULL;
  g_autofree char *file_rpc = tu_ipc_endpoint ("cfg-rpc");
  g_autofree char *file_stream = tu_ipc_endpoint ("cfg-stream");
  g_autofree char *json = g_strdup_printf ("{\"rpc\": \"%s\", \"stream\": \"%s\"}",
                                           file_rpc, file_stream);
  int fd = g_file_open_tmp ("oneliner-config-XXXXXX.json", &path, &error);
  const char *extra[] = { "--config", path, NULL };

  g_assert_no_error (error);
  close (fd);
  g_assert_true (g_file_set_contents (path, json, -1, &error));
  for (gsize i = 0; i < G_N_ELEMENTS (programs); i++)
    {
      g_autofree char *rpc = NULL;
      g_autoptr (TuProcess) p = tu_spawn_server (programs[i], &rpc, extra);
      g_autofree char *stream = tu_demo_stream_endpoint (p);

      g_assert_true (g_str_has_prefix (rpc, "tcp://127.0.0.1:"));
      g_assert_true (g_str_has_prefix (stream, "tcp://127.0.0.1:"));
      {
        TuDemo d = { p, rpc, stream };
        CLI (&d, 0, NULL, NULL, "version");
      }
    }
  g_unlink (path);
}

/* A configuration file that cannot be read: one line with the reason and
 * no position. */
static void
test_config_unreadable (void)
{
  static const char *const programs[] = { "tools/oneliner-demo-server", "oneliner-relay" };
  g_autofree char *dir = g_dir_make_tmp ("oneliner-config-XXXXXX", NULL);
  g_autofree char *missing = g_build_filename (dir, "nonexistent.json", NULL);

  for (gsize i = 0; i < G_N_ELEMENTS (programs); i++)
    {
      const char *argv[] = { programs[i], "--rpc", "tcp://127.0.0.1:*", "--stream",
                             "tcp://127.0.0.1:*", "--config", missing, NULL };
      const char *argv_dir[] = { programs[i], "--rpc", "tcp://127.0.0.1:*", "--stream",
                                 "tcp://127.0.0.1:*", "--config", dir, NULL };
      g_autofree char *err = NULL;
      g_autofree char *err_dir = NULL;
      g_autofree char *expected = g_strdup_printf ("%s: cannot be read: No such file or directory\n",
                                                   missing);
      g_autofree char *expected_dir = g_strdup_printf ("%s: cannot be read: Is a directory\n", dir);

      g_assert_cmpint (tu_run (argv, 20000, NULL, &err), !=, 0);
      g_assert_true (g_str_has_suffix (err, expected));
      g_assert_null (strstr (err, ":-1"));
      g_assert_cmpint (tu_run (argv_dir, 20000, NULL, &err_dir), !=, 0);
      g_assert_true (g_str_has_suffix (err_dir, expected_dir));
    }
  {
    g_autoptr (OlServer) server = ol_server_new ("tcp://127.0.0.1:*", "tcp://127.0.0.1:*");
    g_autoptr (GError) error = NULL;

    g_assert_false (ol_server_load_config (server, missing, &error));
    g_assert_nonnull (strstr (error->message, "cannot be read: No such file or directory"));
    g_assert_null (strstr (error->message, ":-1:"));
  }
  g_rmdir (dir);
}

static TuProcess *s_spawn_demo_at (const char *rpc, const char *stream);

/* oneliner-relay: a bad --relay endpoint fails before the start as a bad
 * --mount does (one line, exit 1); a mount going down and coming back is
 * logged once each way. */
static void
test_relay_endpoints_and_mount_log (void)
{
  g_autofree char *rpc = tu_ipc_endpoint ("mount-rpc");
  g_autofree char *stream = tu_ipc_endpoint ("mount-stream");
  g_autofree char *mount = g_strdup_printf ("lab1=%s,%s", rpc, stream);
  const char *bad[] = { "oneliner-relay", "--rpc", "tcp://127.0.0.1:*", "--stream",
                        "tcp://127.0.0.1:*", "--relay", "ext=foo", NULL };
  const char *argv[] = { "oneliner-relay", "--rpc", "tcp://127.0.0.1:*", "--stream",
                         "tcp://127.0.0.1:*", "--mount", mount, NULL };
  g_autofree char *err = NULL;
  g_autoptr (TuProcess) demo = NULL;
  g_autoptr (TuProcess) relay = NULL;
  g_autofree char *up = NULL, *down = NULL, *again = NULL;

  g_assert_cmpint (tu_run (bad, 20000, NULL, &err), ==, 1);
  g_assert_cmpstr (err, ==, "oneliner-relay: --relay ext=foo: cannot connect to foo: "
                   "Invalid argument\n");

  demo = s_spawn_demo_at (rpc, stream);
  relay = tu_spawn_merged (argv);
  up = tu_wait_line (relay, "mount lab1: up", 10000);
  g_assert_nonnull (up);
  g_assert_true (tu_kill_wait (demo, SIGTERM, 10000, NULL));
  g_clear_pointer (&demo, tu_process_free);
  down = tu_wait_line (relay, "mount lab1: down", 10000);
  g_assert_nonnull (down);
  demo = s_spawn_demo_at (rpc, stream);
  again = tu_wait_line (relay, "mount lab1: up", 10000);
  g_assert_nonnull (again);
}

/* A server killed with SIGKILL: calls fail within their bound; a server
 * restarted on the same endpoint is found again by the same client. */
static void
test_server_killed_and_restarted (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *ep = tu_ipc_endpoint ("demo");
  g_autofree char *streams = tu_ipc_endpoint ("demo-streams");
  const char *argv[] = { "tools/oneliner-demo-server", "--rpc", ep, "--stream", streams,
                         "--speed", "0", NULL };
  g_autoptr (TuProcess) p = tu_spawn (argv);
  g_autofree char *line = tu_wait_line (p, "serving", 10000);
  g_autoptr (OlClient) c = ol_client_new (ep, NULL, &error);
  g_autoptr (TuProcess) p2 = NULL;
  g_autofree char *line2 = NULL;
  g_autoptr (json_t) args = json_pack ("[i, f]", 1, 33.0);
  json_t *r;
  int attempts = 0;

  g_assert_nonnull (line);
  ol_client_set_timeout (c, 3000);
  r = ol_client_call (c, "stage", "move_to", args, NULL, &error);
  g_assert_no_error (error);
  json_decref (r);

  g_assert_true (tu_kill_wait (p, SIGKILL, 5000, NULL));
  ol_client_set_timeout (c, 300);
  r = ol_client_call (c, "stage", "position", NULL, NULL, &error);
  g_assert_null (r);
  g_assert_error (error, OL_ERROR, OL_ERROR_TIMEOUT);
  g_clear_error (&error);

  p2 = tu_spawn (argv);
  line2 = tu_wait_line (p2, "serving", 10000);
  g_assert_nonnull (line2);
  ol_client_set_timeout (c, 1000);
  do
    {
      g_autoptr (json_t) a1 = json_pack ("[i]", 1);
      g_clear_error (&error);
      r = ol_client_call (c, "stage", "position", a1, NULL, &error);
    }
  while (r == NULL && ++attempts < 10);
  g_assert_no_error (error);
  /* A new process: its stage starts at home. */
  g_assert_cmpfloat (json_real_value (r), ==, 0.0);
  json_decref (r);
}

/* Starts the demo server on the given endpoints (tcp://127.0.0.1:* for a
 * free port, or the port of an earlier run) and waits for it to serve. */
static TuProcess *
s_spawn_demo_at (const char *rpc, const char *stream)
{
  const char *argv[] = { "tools/oneliner-demo-server", "--rpc", rpc, "--stream", stream,
                         "--speed", "0", NULL };
  TuProcess *p = tu_spawn (argv);
  g_autofree char *line = tu_wait_line (p, "serving", 10000);

  g_assert_nonnull (line);
  return p;
}

typedef struct {
  guint changes;
  OlStreamConnection state;
  gint64 since;
} ConnectionSeen;

static void
s_on_connection (OlClient *client, OlStreamConnection state, gint64 since_us, gpointer data)
{
  ConnectionSeen *seen = data;

  (void) client;
  seen->changes++;
  seen->state = state;
  seen->since = since_us;
}

static gboolean
s_seen_connected (gpointer data)
{
  return ((ConnectionSeen *) data)->state == OL_STREAM_CONNECTED;
}

static gboolean
s_seen_disconnected (gpointer data)
{
  return ((ConnectionSeen *) data)->state == OL_STREAM_DISCONNECTED;
}

/* The stream side's connection state: connected, lost within a few seconds
 * of a SIGKILL of the server (the watch says so, and so does the getter),
 * connected again when a server is back on the same endpoint. */
static void
test_stream_connection (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *rpc = NULL, *stream = NULL;
  g_autoptr (TuProcess) server = NULL;
  g_autoptr (OlClient) client = NULL;
  ConnectionSeen seen = { 0, OL_STREAM_DISCONNECTED, 0 };
  gint64 since = -1, killed, killed_real;
  guint id;

  server = s_spawn_demo_at ("tcp://127.0.0.1:*", "tcp://127.0.0.1:*");
  rpc = g_strdup (strstr (server->lines->str, "rpc ") + 4);
  rpc[strcspn (rpc, " \n")] = '\0';
  stream = tu_demo_stream_endpoint (server);
  client = ol_client_new (rpc, stream, &error);
  g_assert_no_error (error);

  /* Not started yet. */
  g_assert_cmpint (ol_client_get_stream_connection (client, &since), ==,
                   OL_STREAM_DISCONNECTED);
  g_assert_cmpint (since, ==, 0);

  id = ol_client_watch_stream_connection (client, s_on_connection, &seen, NULL);
  g_assert_cmpuint (id, >, 0);
  g_assert_true (ol_client_configure_stream (client, "sensor/sine", OL_STORAGE_CACHE, 0,
                                             &error));
  g_assert_true (tu_wait_until (s_seen_connected, &seen, 10000));
  g_assert_cmpint (ol_client_get_stream_connection (client, &since), ==, OL_STREAM_CONNECTED);
  g_assert_cmpint (since, ==, seen.since);
  {
    g_autoptr (OlStreamMessage) m = ol_client_get_stream (client, "sensor/sine", 10000, &error);
    (void) m;
    g_assert_no_error (error);
  }

  killed = g_get_monotonic_time ();
  killed_real = g_get_real_time ();
  g_assert_true (tu_kill_wait (server, SIGKILL, 5000, NULL));
  /* Within 2 s by design; the bound leaves room for a loaded machine. */
  g_assert_true (tu_wait_until (s_seen_disconnected, &seen, 6000));
  g_test_message ("lost after %.2f s",
                  (double) (g_get_monotonic_time () - killed) / G_USEC_PER_SEC);
  g_assert_cmpint (ol_client_get_stream_connection (client, &since), ==,
                   OL_STREAM_DISCONNECTED);
  g_assert_cmpint (since, >=, killed);

  /* Back on the same endpoints. */
  g_clear_pointer (&server, tu_process_free);
  server = s_spawn_demo_at (rpc, stream);
  g_assert_true (tu_wait_until (s_seen_connected, &seen, 10000));
  /* A message of the new server (the cache may still hold one of the old). */
  for (gint64 deadline = g_get_monotonic_time () + 10 * G_TIME_SPAN_SECOND;;)
    {
      g_autoptr (OlStreamMessage) m = ol_client_get_stream (client, "sensor/sine", 1000, NULL);

      if (m != NULL && m->timestamp / 1000 > killed_real)
        break;
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
    }
  g_assert_cmpuint (seen.changes, >=, 3);
  ol_client_unwatch_stream (client, id);
}

/* Starts a demo server on free ports; *rpc and *stream get its endpoints. */
static TuProcess *
s_spawn_demo_free (char **rpc, char **stream)
{
  TuProcess *p = s_spawn_demo_at ("tcp://127.0.0.1:*", "tcp://127.0.0.1:*");

  *rpc = g_strdup (strstr (p->lines->str, "rpc ") + 4);
  (*rpc)[strcspn (*rpc, " \n")] = '\0';
  *stream = tu_demo_stream_endpoint (p);
  return p;
}

/* oneliner echo and hz over a server killed with SIGKILL mid-run: each says
 * so on stderr and exits 4 within a few seconds, however long its own
 * bounds. */
static void
test_cli_server_killed (void)
{
  const char *commands[][6] = {
    { "echo", "sensor/sine", "--timeout", "60000", NULL },
    { "hz", "sensor/sine", "--duration", "60", NULL },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
    {
      g_autofree char *rpc = NULL, *stream = NULL;
      g_autoptr (TuProcess) server = s_spawn_demo_free (&rpc, &stream);
      const char *argv[12] = { "tools/oneliner", "--rpc", rpc, "--stream", stream };
      g_autoptr (TuProcess) cli = NULL;
      g_autofree char *first = NULL, *lost = NULL;
      int status = -1;
      gint64 killed;

      for (int k = 0; commands[i][k] != NULL; k++)
        argv[5 + k] = commands[i][k];
      cli = tu_spawn_merged (argv);
      /* It receives: a message shown, or a rate measured. */
      first = tu_wait_line (cli, i == 0 ? "seq" : "rate:", 10000);
      g_assert_nonnull (first);
      killed = g_get_monotonic_time ();
      g_assert_true (tu_kill_wait (server, SIGKILL, 5000, NULL));
      lost = tu_wait_line (cli, "connection lost", 8000);
      if (lost == NULL)
        g_test_message ("%s printed:\n%s", commands[i][0], cli->lines->str);
      g_assert_nonnull (lost);
      g_assert_nonnull (strstr (lost, stream));
      g_assert_true (tu_wait (cli, 8000, &status));
      g_test_message ("%s exited after %.2f s", commands[i][0],
                      (double) (g_get_monotonic_time () - killed) / G_USEC_PER_SEC);
      g_assert_cmpint (status, ==, 4);
      g_assert_null (strstr (cli->lines->str, "average rate"));
    }
}

/* oneliner echo --wait-server over a server killed and restarted on the
 * same endpoints: it says the server is gone, then back, and goes on. */
static void
test_cli_wait_server (void)
{
  g_autofree char *rpc = NULL, *stream = NULL;
  g_autoptr (TuProcess) server = s_spawn_demo_free (&rpc, &stream);
  const char *argv[] = { "tools/oneliner", "--rpc", rpc, "--stream", stream, "echo",
                         "sensor/sine", "--timeout", "3000", "--wait-server", NULL };
  g_autoptr (TuProcess) cli = tu_spawn_merged (argv);
  g_autofree char *line = NULL;
  int status = -1;

  line = tu_wait_line (cli, "seq", 10000);
  g_assert_nonnull (line);
  g_clear_pointer (&line, g_free);
  g_assert_true (tu_kill_wait (server, SIGKILL, 5000, NULL));
  line = tu_wait_line (cli, "connection lost, waiting for it", 8000);
  g_assert_nonnull (line);
  g_clear_pointer (&line, g_free);
  /* Longer than --timeout: still waiting. */
  g_assert_false (tu_wait (cli, 3500, NULL));

  g_clear_pointer (&server, tu_process_free);
  server = s_spawn_demo_at (rpc, stream);
  line = tu_wait_line (cli, "connected again", 10000);
  g_assert_nonnull (line);
  g_clear_pointer (&line, g_free);
  line = tu_wait_line (cli, "seq", 10000);
  g_assert_nonnull (line);
  g_assert_true (tu_kill_wait (cli, SIGINT, 5000, &status));
  g_assert_cmpint (status, ==, 0);
}

/* The README's example runs as shown. */
static void
test_example_hello (void)
{
  const char *sargv[] = { "examples/hello-server", "tcp://127.0.0.1:*", "tcp://127.0.0.1:*",
                          NULL };
  g_autoptr (TuProcess) server = tu_spawn (sargv);
  g_autofree char *line = tu_wait_line (server, "serving rpc ", 10000);
  g_autofree char *rpc = NULL;
  g_autofree char *out = NULL;
  int status;

  g_assert_nonnull (line);
  rpc = g_strdup (strstr (line, "rpc ") + 4);
  {
    const char *cargv[] = { "examples/hello-client", rpc, NULL };
    g_assert_cmpint (tu_run (cargv, 20000, &out, NULL), ==, 0);
  }
  g_assert_nonnull (strstr (out, "amplify(1.5) = 3\n"));
  g_assert_nonnull (strstr (out, "amplify(99) failed: 99 V is outside the input range"));
  g_assert_true (tu_kill_wait (server, SIGTERM, 5000, &status));
  g_assert_cmpint (status, ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/process/cli/calls", TuDemo, NULL, tu_demo_setup, test_cli_calls, tu_demo_teardown);
  g_test_add ("/process/cli/errors", TuDemo, NULL, tu_demo_setup, test_cli_errors, tu_demo_teardown);
  g_test_add ("/process/cli/streams", TuDemo, NULL, tu_demo_setup, test_cli_streams, tu_demo_teardown);
  g_test_add ("/process/cli/descriptions", TuDemo, NULL, tu_demo_setup, test_cli_descriptions,
              tu_demo_teardown);
  g_test_add ("/process/cli/echo-limits", TuDemo, NULL, tu_demo_setup, test_cli_echo_limits,
              tu_demo_teardown);
  g_test_add ("/process/cli/echo-forms", TuDemo, NULL, tu_demo_setup, test_cli_echo_forms,
              tu_demo_teardown);
  g_test_add ("/process/cli/echo-unknown", TuDemo, NULL, tu_demo_setup, test_cli_echo_unknown,
              tu_demo_teardown);
  g_test_add ("/process/cli/echo-forever", TuDemo, NULL, tu_demo_setup, test_cli_echo_forever,
              tu_demo_teardown);
  g_test_add_func ("/process/cli/bad-endpoint", test_cli_bad_endpoint);
  g_test_add_func ("/process/relay/endpoints-and-mount-log", test_relay_endpoints_and_mount_log);
  g_test_add ("/process/cli/locale", TuDemo, NULL, tu_demo_setup, test_cli_locale, tu_demo_teardown);
  g_test_add_func ("/process/cli/help", test_cli_help);
  g_test_add_func ("/process/cli/hostile-descriptions", test_cli_hostile_descriptions);
  g_test_add_func ("/process/cli/dead-server", test_cli_dead_server);
  g_test_add_func ("/process/demo/help", test_demo_help);
  g_test_add_func ("/process/demo/signals", test_demo_stops_on_signals);
  g_test_add_func ("/process/demo/config", test_demo_config);
  g_test_add_func ("/process/config/command-line-wins", test_config_command_line_wins);
  g_test_add_func ("/process/config/unreadable", test_config_unreadable);
  g_test_add_func ("/process/demo/killed-and-restarted", test_server_killed_and_restarted);
  g_test_add_func ("/process/examples/hello", test_example_hello);
  g_test_add_func ("/process/stream-connection", test_stream_connection);
  g_test_add_func ("/process/cli/server-killed", test_cli_server_killed);
  g_test_add_func ("/process/cli/wait-server", test_cli_wait_server);
  return g_test_run ();
}
