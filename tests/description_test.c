/* Stream descriptions end to end: an OlServer in this process, an OlClient
 * over tcp loopback. Descriptions set from C and from a configuration come
 * back through op "streams" exactly; bad ones are refused whole; values of
 * the wrong form are errors; the WARNING and ALARM bits and counts are exact.
 * No timing is asserted. */
#include <math.h>
#include <string.h>

#include "tests/testutil.h"

typedef struct {
  gint calls;      /* atomic: calls of ramp() */
} Probe;

/* () -> int32: 1, 2, 3, ... */
static int32_t
f_ramp (Probe *p)
{
  return g_atomic_int_add (&p->calls, 1) + 1;
}

/* () -> json: "hello", never a number. */
static json_t *
f_word (Probe *p)
{
  (void) p;
  return json_string ("hello");
}

/* () -> bytes */
static GBytes *
f_bytes (Probe *p)
{
  (void) p;
  return g_bytes_new_static ("ab", 2);
}

typedef struct {
  OlServer *server;
  OlClient *client;
  Probe probe;
  OlStreamWriter *number;   /* pushed "p/number" */
  OlStreamWriter *array;    /* pushed "p/array" */
  OlStreamWriter *object;   /* pushed "p/object" */
  OlStreamWriter *raw;      /* pushed "p/raw" */
  OlStreamWriter *image;    /* pushed "p/image" */
} Fixture;

static json_t *
s_json (const char *text)
{
  json_error_t e;
  json_t *v = json_loads (text, JSON_DECODE_ANY, &e);

  if (v == NULL)
    g_error ("bad JSON in the test: %s: %s", text, e.text);
  return v;
}

#define NUMBER_DESCRIPTION \
  "{\"text\": \"sample temperature\", \"unit\": \"degC\", \"form\": \"number\", " \
  "\"precision\": 2, \"limits\": {\"warning_low\": 15, \"warning_high\": 30, " \
  "\"alarm_low\": 5, \"alarm_high\": 40}}"
#define ARRAY_DESCRIPTION \
  "{\"text\": \"trace\", \"unit\": \"V\", \"form\": \"array\", \"length\": 4, " \
  "\"x\": {\"unit\": \"us\", \"start\": -1.5, \"step\": 0.25}, \"precision\": 3, " \
  "\"limits\": {\"warning_high\": 1, \"alarm_high\": 2}}"
#define OBJECT_DESCRIPTION \
  "{\"text\": \"stage\", \"form\": \"object\", \"fields\": [" \
  "{\"name\": \"x\", \"unit\": \"mm\", \"precision\": 3, " \
  "\"limits\": {\"alarm_low\": 0, \"alarm_high\": 100}}, " \
  "{\"name\": \"state\", \"form\": \"string\", \"text\": \"what it does\"}, " \
  "{\"name\": \"homed\", \"form\": \"boolean\"}, " \
  "{\"name\": \"z\", \"unit\": \"mm\", \"limits\": {\"warning_low\": 1, \"warning_high\": 24}}]}"

static void
setup (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  OlImageInfo img = { 4, 2, OL_PIXEL_GRAY8 };

  (void) data;
  memset (f, 0, sizeof *f);
  f->server = ol_server_new ("tcp://127.0.0.1:*", "tcp://127.0.0.1:*");
  g_assert_true (ol_server_add_instance (f->server, "probe", &f->probe, NULL, &error));
  g_assert_true (ol_server_add_method (f->server, "probe", "ramp", "() -> int32",
                                       OL_FUNC (f_ramp), &error));
  g_assert_true (ol_server_add_method (f->server, "probe", "word", "() -> json",
                                       OL_FUNC (f_word), &error));
  g_assert_true (ol_server_add_method (f->server, "probe", "bytes", "() -> bytes",
                                       OL_FUNC (f_bytes), &error));
  f->number = ol_server_add_pushed_stream (f->server, "p/number", OL_ENCODING_JSON, NULL, &error);
  f->array = ol_server_add_pushed_stream (f->server, "p/array", OL_ENCODING_JSON, NULL, &error);
  f->object = ol_server_add_pushed_stream (f->server, "p/object", OL_ENCODING_JSON, NULL, &error);
  f->raw = ol_server_add_pushed_stream (f->server, "p/raw", OL_ENCODING_RAW, NULL, &error);
  f->image = ol_server_add_pushed_stream (f->server, "p/image", OL_ENCODING_IMAGE, &img, &error);
  g_assert_no_error (error);
  g_assert_true (ol_server_start (f->server, &error));
  f->client = ol_client_new (ol_server_get_rpc_endpoint (f->server),
                             ol_server_get_stream_endpoint (f->server), &error);
  g_assert_no_error (error);
  ol_client_set_timeout (f->client, 10000);
}

static void
teardown (Fixture *f, gconstpointer data)
{
  (void) data;
  ol_client_free (&f->client);
  ol_server_free (&f->server);
  g_clear_pointer (&f->number, ol_stream_writer_unref);
  g_clear_pointer (&f->array, ol_stream_writer_unref);
  g_clear_pointer (&f->object, ol_stream_writer_unref);
  g_clear_pointer (&f->raw, ol_stream_writer_unref);
  g_clear_pointer (&f->image, ol_stream_writer_unref);
}

static void
s_describe (Fixture *f, const char *name, const char *text)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (json_t) d = text ? s_json (text) : NULL;

  g_assert_true (ol_server_describe_stream (f->server, name, d, &error));
  g_assert_no_error (error);
}

/* The stream's entry of op "streams", over the socket. (transfer full) */
static json_t *
s_entry (Fixture *f, const char *name)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (json_t) all = ol_client_list_streams (f->client, &error);

  g_assert_no_error (error);
  g_assert_nonnull (json_object_get (all, name));
  return json_incref (json_object_get (all, name));
}

static void
s_assert_description (Fixture *f, const char *name, const char *expected_text)
{
  g_autoptr (json_t) entry = s_entry (f, name);
  json_t *got = json_object_get (entry, "description");

  if (expected_text == NULL)
    {
      g_assert_null (got);
      return;
    }
  {
    g_autoptr (json_t) expected = s_json (expected_text);
    g_autofree char *got_text = got ? json_dumps (got, JSON_COMPACT) : g_strdup ("(none)");

    if (!json_equal (got, expected))
      g_error ("%s: description %s, not %s", name, got_text, expected_text);
  }
}

/* ---- descriptions come back exactly ------------------------------------- */

static void
test_roundtrip (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  const char *raw = "{\"text\": \"log lines, UTF-8: \\u00b5s \\u00e9t\\u00e9\", \"unit\": \"\\u00b0C\"}";
  const char *image = "{\"text\": \"test pattern\", \"form\": \"image\"}";
  const char *periodic = "{\"unit\": \"counts\", \"form\": \"number\", \"precision\": 0}";

  (void) data;
  /* A stream without a description has no "description" member. */
  s_assert_description (f, "p/number", NULL);
  s_describe (f, "p/number", NUMBER_DESCRIPTION);
  s_describe (f, "p/array", ARRAY_DESCRIPTION);
  s_describe (f, "p/object", OBJECT_DESCRIPTION);
  s_describe (f, "p/raw", raw);
  s_describe (f, "p/image", image);
  g_assert_true (ol_server_add_stream (f->server, "p/ramp", 100, "probe", "ramp", NULL, NULL,
                                       FALSE, OL_ENCODING_JSON, NULL, &error));
  s_describe (f, "p/ramp", periodic);
  s_assert_description (f, "p/number", NUMBER_DESCRIPTION);
  s_assert_description (f, "p/array", ARRAY_DESCRIPTION);
  s_assert_description (f, "p/object", OBJECT_DESCRIPTION);
  s_assert_description (f, "p/raw", raw);
  s_assert_description (f, "p/image", image);
  s_assert_description (f, "p/ramp", periodic);
  /* Described again, and removed. */
  s_describe (f, "p/number", "{\"unit\": \"K\"}");
  s_assert_description (f, "p/number", "{\"unit\": \"K\"}");
  s_describe (f, "p/number", NULL);
  s_assert_description (f, "p/number", NULL);
  /* The same through ol_server_list_streams, in the process. */
  {
    g_autoptr (json_t) all = ol_server_list_streams (f->server);
    g_autoptr (json_t) expected = s_json (ARRAY_DESCRIPTION);
    g_assert_true (json_equal (json_object_get (json_object_get (all, "p/array"),
                                                "description"), expected));
  }
}

/* ---- bad descriptions are refused whole --------------------------------- */

typedef struct {
  const char *stream;
  const char *description;
  const char *message;     /* a part of the error message */
} Bad;

static const Bad s_bad[] = {
  { "p/number", "{\"form\": \"scalar\"}",
    "unknown \"form\" \"scalar\" (known: number, array, object, image)" },
  { "p/number", "{\"form\": 3}", "\"form\" must be a string" },
  { "p/number", "{\"form\": \"number\", \"limits\": {\"warning_low\": 35, \"warning_high\": 30}}",
    "\"limits\": \"warning_low\" (35) is above \"warning_high\" (30)" },
  { "p/number", "{\"form\": \"number\", \"limits\": {\"alarm_low\": 10, \"alarm_high\": -10}}",
    "\"alarm_low\" (10) is above \"alarm_high\" (-10)" },
  { "p/number", "{\"form\": \"number\", \"limits\": {\"alarm_low\": 10, \"warning_low\": 5}}",
    "\"alarm_low\" (10) is above \"warning_low\" (5)" },
  { "p/number", "{\"form\": \"number\", \"limits\": {\"warning_high\": 50, \"alarm_high\": 40}}",
    "\"warning_high\" (50) is above \"alarm_high\" (40)" },
  { "p/number", "{\"form\": \"number\", \"limits\": {\"alarm_high\": \"40\"}}",
    "\"limits\": \"alarm_high\" must be a finite number" },
  { "p/number", "{\"form\": \"number\", \"limits\": {\"alarm_top\": 40}}",
    "unknown member \"alarm_top\"" },
  { "p/number", "{\"limits\": {\"alarm_high\": 40}}",
    "\"limits\" need the form \"number\" or \"array\", not \"any\"" },
  { "p/image", "{\"form\": \"image\", \"limits\": {\"alarm_high\": 40}}",
    "\"limits\" need the form \"number\" or \"array\", not \"image\"" },
  { "p/raw", "{\"form\": \"number\", \"limits\": {\"alarm_high\": 40}}",
    "a stream of encoding raw cannot have the form \"number\"" },
  { "p/image", "{\"form\": \"number\"}", "a stream of encoding image cannot have the form" },
  { "p/number", "{\"form\": \"image\"}", "a stream of encoding json cannot have the form \"image\"" },
  { "p/object", "{\"form\": \"object\", \"limits\": {\"alarm_high\": 1}, \"fields\": [{\"name\": \"a\"}]}",
    "\"limits\" need the form \"number\" or \"array\", not \"object\"" },
  { "p/object", "{\"form\": \"object\", \"fields\": [{\"name\": \"s\", \"form\": \"string\", "
    "\"limits\": {\"alarm_high\": 1}}]}",
    "field \"s\": \"limits\" need the form \"number\" or \"array\", not \"string\"" },
  { "p/object", "{\"form\": \"object\"}", "the form \"object\" needs \"fields\"" },
  { "p/object", "{\"form\": \"object\", \"fields\": []}", "the form \"object\" needs \"fields\"" },
  { "p/object", "{\"form\": \"object\", \"fields\": [{\"name\": \"a\"}, {\"name\": \"a\"}]}",
    "\"fields\": \"a\" appears twice" },
  { "p/object", "{\"form\": \"object\", \"fields\": [{\"name\": \"a b\"}]}",
    "\"fields\"[0]: \"name\" must be 1 to 64 bytes" },
  { "p/object", "{\"form\": \"object\", \"fields\": [{\"name\": \"a\", \"form\": \"array\"}]}",
    "field \"a\": unknown \"form\" \"array\" (known: number, string, boolean)" },
  { "p/object", "{\"form\": \"object\", \"fields\": [7]}", "\"fields\"[0] must be an object" },
  { "p/number", "{\"fields\": [{\"name\": \"a\"}]}", "\"fields\" go with the form \"object\" only" },
  { "p/number", "{\"form\": \"number\", \"length\": 3}", "\"length\" goes with the form \"array\" only" },
  { "p/array", "{\"form\": \"array\", \"length\": 0}", "\"length\" must be an integer from 1 to 16777216" },
  { "p/array", "{\"form\": \"array\", \"length\": 1.5}", "\"length\" must be an integer" },
  { "p/array", "{\"form\": \"array\", \"x\": {\"step\": 0}}", "\"x\": \"step\" must be above 0" },
  { "p/array", "{\"form\": \"array\", \"x\": {\"origin\": 0}}", "unknown member \"origin\"" },
  { "p/number", "{\"x\": {\"step\": 1}}", "\"x\" goes with the form \"array\" only" },
  { "p/number", "{\"unit\": \"degrees Celsius, or Kelvin, or whatever\"}",
    "\"unit\" must be 1 to 32 bytes" },
  { "p/number", "{\"unit\": \"\"}", "\"unit\" must be 1 to 32 bytes" },
  { "p/number", "{\"text\": \"two\\nlines\"}", "\"text\" has a control character" },
  { "p/number", "{\"text\": 5}", "\"text\" must be a string, not an integer" },
  { "p/number", "{\"precision\": 16}", "\"precision\" must be an integer from 0 to 15" },
  { "p/number", "{\"precision\": -1}", "\"precision\" must be an integer from 0 to 15" },
  { "p/number", "{\"unit\": \"V\", \"colour\": \"red\"}",
    "unknown member \"colour\" (known: text, unit, form, length, x, fields, precision, limits)" },
  { "p/number", "[1, 2]", "must be an object, not an array" },
};

static void
test_refused (Fixture *f, gconstpointer data)
{
  (void) data;
  s_describe (f, "p/number", "{\"unit\": \"K\"}");
  s_describe (f, "p/object", OBJECT_DESCRIPTION);
  for (gsize i = 0; i < G_N_ELEMENTS (s_bad); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (json_t) d = s_json (s_bad[i].description);
      g_autofree char *where = g_strdup_printf ("stream \"%s\": description: ", s_bad[i].stream);

      g_assert_false (ol_server_describe_stream (f->server, s_bad[i].stream, d, &error));
      g_assert_error (error, OL_ERROR, OL_ERROR_INVALID_ARGS);
      if (!g_str_has_prefix (error->message, where) || !strstr (error->message, s_bad[i].message))
        g_error ("%s %s: the error \"%s\" lacks \"%s\"", s_bad[i].stream, s_bad[i].description,
                 error->message, s_bad[i].message);
    }
  /* Nothing of them was applied. */
  s_assert_description (f, "p/number", "{\"unit\": \"K\"}");
  s_assert_description (f, "p/object", OBJECT_DESCRIPTION);
  s_assert_description (f, "p/array", NULL);
  {
    g_autoptr (GError) error = NULL;
    g_autoptr (json_t) d = s_json ("{\"unit\": \"V\"}");
    g_assert_false (ol_server_describe_stream (f->server, "p/nothing", d, &error));
    g_assert_error (error, OL_ERROR, OL_ERROR_NOT_FOUND);
  }
}

/* ---- values of the wrong form -------------------------------------------- */

/* Pushes v until the client has one message of the stream (the
 * subscription takes a moment to reach the server). */
static void
s_prime (Fixture *f, OlStreamWriter *w, const char *name, const char *v)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (json_t) value = s_json (v);

  g_assert_true (ol_client_configure_stream (f->client, name, OL_STORAGE_QUEUE, 10000, &error));
  for (int i = 0; i < 200; i++)
    {
      g_autoptr (OlStreamMessage) m = NULL;
      g_autoptr (GError) e = NULL;

      g_assert_true (ol_stream_writer_push_json (w, value, &error));
      g_assert_no_error (error);
      m = ol_client_get_stream (f->client, name, 50, &e);
      if (m != NULL)
        {
          /* Drain the probes that were still on their way. */
          g_usleep (200 * 1000);
          do
            g_clear_pointer (&m, ol_stream_message_free);
          while ((m = ol_client_get_stream (f->client, name, 0, NULL)) != NULL);
          return;
        }
      g_assert_error (e, OL_ERROR, OL_ERROR_TIMEOUT);
    }
  g_error ("%s: no message reached the client", name);
}

static void
s_push_refused (OlStreamWriter *w, const char *value, const char *message)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (json_t) v = json_loads (value, JSON_DECODE_ANY, NULL);

  g_assert_nonnull (v);
  g_assert_false (ol_stream_writer_push_json (w, v, &error));
  g_assert_error (error, OL_ERROR, OL_ERROR_INVALID_ARGS);
  if (strstr (error->message, message) == NULL)
    g_error ("push %s: the error \"%s\" lacks \"%s\"", value, error->message, message);
}

static guint64
s_stat (Fixture *f, const char *name, const char *key)
{
  g_autoptr (json_t) entry = s_entry (f, name);
  json_t *v = json_object_get (json_object_get (entry, "stats"), key);

  g_assert_true (json_is_integer (v));
  return (guint64) json_integer_value (v);
}

static void
test_wrong_form (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  guint64 sent;

  (void) data;
  s_describe (f, "p/number", NUMBER_DESCRIPTION);
  s_describe (f, "p/array", ARRAY_DESCRIPTION);
  s_describe (f, "p/object", OBJECT_DESCRIPTION);
  sent = s_stat (f, "p/number", "sent");
  s_push_refused (f->number, "\"21.5\"", "stream \"p/number\": expected a number, got a string");
  s_push_refused (f->number, "true", "expected a number, got a boolean");
  s_push_refused (f->number, "[1]", "expected a number, got an array");
  s_push_refused (f->array, "[1, 2, 3]", "stream \"p/array\": expected an array of 4 numbers, "
                  "got an array of 3");
  s_push_refused (f->array, "[1, 2, null, 4]", "expected an array of 4 numbers, got null at [2]");
  s_push_refused (f->array, "{\"a\": 1}", "expected an array of 4 numbers, got an object");
  s_push_refused (f->object, "{\"x\": 1, \"state\": \"idle\", \"homed\": true}",
                  "expected an object with the field \"z\", which is missing");
  s_push_refused (f->object, "{\"x\": \"1\", \"state\": \"idle\", \"homed\": true, \"z\": 2}",
                  "expected a number for the field \"x\", got a string");
  s_push_refused (f->object, "{\"x\": 1, \"state\": 0, \"homed\": true, \"z\": 2}",
                  "expected a string for the field \"state\", got an integer");
  s_push_refused (f->object, "{\"x\": 1, \"state\": \"idle\", \"homed\": 1, \"z\": 2}",
                  "expected a boolean for the field \"homed\", got an integer");
  s_push_refused (f->object, "{\"x\": 1, \"state\": \"idle\", \"homed\": true, \"z\": 2, \"w\": 3}",
                  "expected an object of the 4 declared fields, got the member \"w\" too");
  s_push_refused (f->object, "3", "expected an object of 4 fields, got an integer");
  /* JSON text pushed as bytes is read and checked too. */
  {
    g_autoptr (GError) e = NULL;
    g_assert_false (ol_stream_writer_push_data (f->number, "{\"t\":", 5, &e));
    g_assert_error (e, OL_ERROR, OL_ERROR_INVALID_ARGS);
    g_assert_nonnull (strstr (e->message, "the payload must be JSON text"));
  }
  {
    g_autoptr (GError) e = NULL;
    g_assert_false (ol_stream_writer_push_data (f->number, "\"x\"", 3, &e));
    g_assert_error (e, OL_ERROR, OL_ERROR_INVALID_ARGS);
    g_assert_nonnull (strstr (e->message, "expected a number, got a string"));
  }
  g_assert_true (ol_stream_writer_push_data (f->number, "22.5", 4, &error));
  g_assert_no_error (error);
  /* Nothing refused was published. */
  for (int i = 0; i < 200 && s_stat (f, "p/number", "sent") < sent + 1; i++)
    g_usleep (10 * 1000);
  g_assert_cmpuint (s_stat (f, "p/number", "sent"), ==, sent + 1);

  /* A callable that returns another form publishes an error message. */
  g_assert_true (ol_server_add_stream (f->server, "p/word", 50, "probe", "word", NULL, NULL,
                                       FALSE, OL_ENCODING_JSON, NULL, &error));
  g_assert_true (ol_server_add_stream (f->server, "p/bytes", 50, "probe", "bytes", NULL, NULL,
                                       FALSE, OL_ENCODING_JSON, NULL, &error));
  s_describe (f, "p/word", "{\"unit\": \"V\", \"form\": \"number\"}");
  s_describe (f, "p/bytes", "{\"form\": \"array\", \"length\": 2}");
  g_assert_true (ol_client_configure_stream (f->client, "p/word", OL_STORAGE_QUEUE, 0, &error));
  g_assert_true (ol_client_configure_stream (f->client, "p/bytes", OL_STORAGE_QUEUE, 0, &error));
  g_assert_true (ol_client_set_stream_enabled (f->client, "p/word", TRUE, &error));
  g_assert_true (ol_client_set_stream_enabled (f->client, "p/bytes", TRUE, &error));
  {
    g_autoptr (GError) e = NULL;
    g_autoptr (OlStreamMessage) m = ol_client_get_stream (f->client, "p/word", 10000, &e);
    g_assert_null (m);
    g_assert_error (e, OL_ERROR, OL_ERROR_FAILED);
    g_assert_cmpstr (e->message, ==, "stream \"p/word\": expected a number, got a string");
  }
  {
    g_autoptr (GError) e = NULL;
    g_autoptr (OlStreamMessage) m = ol_client_get_stream (f->client, "p/bytes", 10000, &e);
    g_assert_null (m);
    g_assert_error (e, OL_ERROR, OL_ERROR_FAILED);
    g_assert_cmpstr (e->message, ==, "stream \"p/bytes\": expected an array of 2 numbers, "
                     "got bytes");
  }
  g_assert_cmpuint (s_stat (f, "p/word", "errors"), >, 0);
  g_assert_cmpuint (s_stat (f, "p/word", "errors"), ==, s_stat (f, "p/word", "sent"));
}

/* ---- warning and alarm bits ---------------------------------------------- */

/* Pushes each value, then takes as many messages and checks their status
 * bits against expected ('.' none, 'W' warning, 'A' alarm). */
static void
s_push_and_check (Fixture *f, OlStreamWriter *w, const char *name,
                  const char *const *values, const char *expected)
{
  g_autoptr (GError) error = NULL;
  gsize n = strlen (expected);

  for (gsize i = 0; i < n; i++)
    {
      g_autoptr (json_t) v = s_json (values[i]);
      g_assert_true (ol_stream_writer_push_json (w, v, &error));
      g_assert_no_error (error);
    }
  for (gsize i = 0; i < n; i++)
    {
      g_autoptr (OlStreamMessage) m = ol_client_get_stream (f->client, name, 10000, &error);
      guint32 bits;
      char got;

      g_assert_no_error (error);
      bits = m->status & (OL_STATUS_WARNING | OL_STATUS_ALARM);
      got = bits == 0 ? '.' : bits == OL_STATUS_WARNING ? 'W' : bits == OL_STATUS_ALARM ? 'A' : '?';
      if (got != expected[i])
        g_error ("%s: value %s has status %c, not %c", name, values[i], got, expected[i]);
    }
}

static void
s_assert_counts (Fixture *f, const char *name, guint64 warnings, guint64 alarms)
{
  g_autoptr (GError) error = NULL;
  OlStreamCounters c;

  g_assert_true (ol_client_get_stream_counters (f->client, name, &c, &error));
  g_assert_cmpuint (c.warnings, ==, warnings);
  g_assert_cmpuint (c.alarms, ==, alarms);
  g_assert_cmpuint (s_stat (f, name, "warnings"), ==, warnings);
  g_assert_cmpuint (s_stat (f, name, "alarms"), ==, alarms);
}

static void
test_limits (Fixture *f, gconstpointer data)
{
  /* Warning 15..30, alarm 5..40: up through both limits and back, then
   * down through both and back; a value equal to a limit is within it. */
  static const char *const numbers[] = { "20", "30", "30.5", "40", "40.01", "1e3", "39.9",
                                         "31", "22", "15", "14.9", "5", "4.99", "-1e9", "5",
                                         "15", "20" };
  static const char *const arrays[] = { "[0, 0, 0, 0]", "[0, 1.5, 0, 0]", "[0, 1.5, 0, 2.5]",
                                        "[2.5, 0, 0, 0]", "[-100, 1, 1, 1]" };
  static const char *const objects[] = {
    "{\"x\": 50, \"state\": \"idle\", \"homed\": true, \"z\": 12}",
    "{\"x\": 50, \"state\": \"idle\", \"homed\": true, \"z\": 24.5}",
    "{\"x\": 100.5, \"state\": \"idle\", \"homed\": true, \"z\": 24.5}",
    "{\"x\": -0.5, \"state\": \"idle\", \"homed\": false, \"z\": 12}",
    "{\"x\": 0, \"state\": \"moving\", \"homed\": true, \"z\": 0.5}",
    "{\"x\": 0, \"state\": \"moving\", \"homed\": true, \"z\": 1}",
  };

  (void) data;
  s_describe (f, "p/number", NUMBER_DESCRIPTION);
  s_describe (f, "p/array", ARRAY_DESCRIPTION);
  s_describe (f, "p/object", OBJECT_DESCRIPTION);
  s_prime (f, f->number, "p/number", "20");
  s_prime (f, f->array, "p/array", "[0, 0, 0, 0]");
  s_prime (f, f->object, "p/object", objects[0]);
  s_push_and_check (f, f->number, "p/number", numbers, "..WWAAWW..WWAAW..");
  s_assert_counts (f, "p/number", 7, 4);
  s_push_and_check (f, f->array, "p/array", arrays, ".WAA.");
  s_assert_counts (f, "p/array", 1, 2);
  s_push_and_check (f, f->object, "p/object", objects, ".WAAW.");
  s_assert_counts (f, "p/object", 2, 2);
  /* Without limits, no bits. */
  s_describe (f, "p/number", "{\"unit\": \"degC\", \"form\": \"number\"}");
  s_push_and_check (f, f->number, "p/number", numbers, ".................");
  s_assert_counts (f, "p/number", 7, 4);
}

/* A periodic stream's values are compared too: ramp() returns 1, 2, 3, ... */
static void
test_limits_periodic (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  guint64 warnings = 0, alarms = 0, seen = 0;

  (void) data;
  g_assert_true (ol_server_add_stream (f->server, "p/ramp", 200, "probe", "ramp", NULL, NULL,
                                       FALSE, OL_ENCODING_JSON, NULL, &error));
  s_describe (f, "p/ramp", "{\"form\": \"number\", \"limits\": {\"warning_high\": 3, "
                           "\"alarm_high\": 6}}");
  g_assert_true (ol_client_configure_stream (f->client, "p/ramp", OL_STORAGE_QUEUE, 0, &error));
  g_assert_true (ol_client_set_stream_enabled (f->client, "p/ramp", TRUE, &error));
  while (seen < 10)
    {
      g_autoptr (OlStreamMessage) m = ol_client_get_stream (f->client, "p/ramp", 10000, &error);
      g_autoptr (json_t) v = NULL;
      gint64 n;
      guint32 expected;

      g_assert_no_error (error);
      v = ol_stream_message_json (m, &error);
      n = json_integer_value (v);
      expected = n > 6 ? OL_STATUS_ALARM : n > 3 ? OL_STATUS_WARNING : 0;
      g_assert_cmpuint (m->status & (OL_STATUS_WARNING | OL_STATUS_ALARM), ==, expected);
      warnings += expected == OL_STATUS_WARNING;
      alarms += expected == OL_STATUS_ALARM;
      seen++;
    }
  g_assert_true (ol_client_set_stream_enabled (f->client, "p/ramp", FALSE, &error));
  g_assert_cmpuint (warnings + alarms, >, 0);
}

/* ---- from a configuration ------------------------------------------------ */

static void
test_config (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *good_text = g_strdup_printf (
    "{\"streams\": {\"c/ramp\": {\"object\": \"probe\", \"method\": \"ramp\", \"hz\": 5, "
    "\"enabled\": false, \"description\": %s}}}", NUMBER_DESCRIPTION);
  g_autoptr (json_t) good = s_json (good_text);
  static const struct { const char *description, *message; } bad[] = {
    { "{\"form\": \"scalar\"}", "unknown \"form\" \"scalar\"" },
    { "{\"form\": \"number\", \"limits\": {\"warning_low\": 2, \"warning_high\": 1}}",
      "\"warning_low\" (2) is above \"warning_high\" (1)" },
    { "{\"form\": \"array\", \"limits\": {\"alarm_high\": 1}, \"fields\": []}",
      "\"fields\" go with the form \"object\" only" },
    { "\"degC\"", "description: must be an object, not a string" },
  };

  (void) data;
  g_assert_true (ol_server_apply_config (f->server, good, &error));
  g_assert_no_error (error);
  s_assert_description (f, "c/ramp", NUMBER_DESCRIPTION);
  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (GError) e = NULL;
      /* A good stream before the bad one: nothing of the file is applied. */
      g_autofree char *text = g_strdup_printf (
        "{\"streams\": {\"c/first\": {\"object\": \"probe\", \"method\": \"ramp\", \"hz\": 5}, "
        "\"c/bad\": {\"object\": \"probe\", \"method\": \"ramp\", \"hz\": 5, "
        "\"description\": %s}}}", bad[i].description);
      g_autoptr (json_t) config = s_json (text);
      g_autoptr (json_t) all = NULL;

      g_assert_false (ol_server_apply_config (f->server, config, &e));
      g_assert_error (e, OL_ERROR, OL_ERROR_CONFIG);
      if (strstr (e->message, "streams.c/bad: description: ") == NULL
          || strstr (e->message, bad[i].message) == NULL)
        g_error ("config %s: the error \"%s\" lacks \"%s\"", bad[i].description, e->message,
                 bad[i].message);
      all = ol_client_list_streams (f->client, &error);
      g_assert_null (json_object_get (all, "c/first"));
      g_assert_null (json_object_get (all, "c/bad"));
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, fn) g_test_add ("/description/" path, Fixture, NULL, setup, fn, teardown)
  ADD ("roundtrip", test_roundtrip);
  ADD ("refused", test_refused);
  ADD ("wrong-form", test_wrong_form);
  ADD ("limits", test_limits);
  ADD ("limits-periodic", test_limits_periodic);
  ADD ("config", test_config);
  return g_test_run ();
}
