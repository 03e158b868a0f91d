/* Remote calls over real sockets (tcp loopback and ipc), server in this
 * process, clients in this process and in threads. */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <zmq.h>

#include "oneliner/json.h"
#include "core/json.h"
#include "core/lock.h"
#include "core/startup.h"
#include "core/socket.h"
#include "tests/testutil.h"

/* ---- the callables under test ------------------------------------------ */

typedef struct {
  int calls;
  gboolean busy;       /* set while a call runs: detects unserialised calls */
  gboolean overlapped;
  OlMutex gate_lock;
  OlCond gate_cond;
  gboolean entered, released;
} Thing;

static int32_t f_add (Thing *t, int32_t a, int32_t b) { t->calls++; return a + b; }
static int64_t f_i64 (int64_t v) { return v; }
static uint32_t f_u32 (uint32_t v) { return v; }
static uint64_t f_u64 (uint64_t v) { return v; }
static double f_scale (double x, double k) { return x * k; }
static bool f_not (bool b) { return !b; }
static char *f_greet (const char *name) { return g_strdup_printf ("hello %s", name); }
static GBytes *f_reverse (GBytes *in)
{
  gsize n;
  const guint8 *d = g_bytes_get_data (in, &n);
  guint8 *out = g_malloc (n ? n : 1);
  for (gsize i = 0; i < n; i++)
    out[i] = d[n - 1 - i];
  return g_bytes_new_take (out, n);
}
static json_t *f_wrap (json_t *v) { return json_pack ("{s:O}", "wrapped", v); }
static double f_checked_sqrt (double x, GError **error)
{
  if (x < 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "negative input %g", x);
      return 0;
    }
  return sqrt (x);
}

static void
f_slow (Thing *t, int32_t ms)
{
  g_assert_false (t->busy);
  t->busy = TRUE;
  g_usleep ((gulong) ms * 1000);
  t->busy = FALSE;
}

/* Increments a counter non-atomically with a pause in between: two calls
 * running at once would lose increments and see busy set. */
static int32_t
f_bump (Thing *t)
{
  int c;
  if (t->busy)
    t->overlapped = TRUE;
  t->busy = TRUE;
  c = t->calls;
  g_thread_yield ();
  t->calls = c + 1;
  t->busy = FALSE;
  return c + 1;
}

/* Blocks until the test releases it: a call that is surely in progress. */
static void
f_gate (Thing *t)
{
  ol__mutex_lock (&t->gate_lock);
  t->entered = TRUE;
  ol__cond_broadcast (&t->gate_cond);
  while (!t->released)
    ol__cond_wait (&t->gate_cond, &t->gate_lock);
  ol__mutex_unlock (&t->gate_lock);
}

static GQuark s_app_error (void) { return g_quark_from_static_string ("test-app-error"); }

static json_t *
h_sum (void *instance, json_t *args, json_t *kwargs, void *user_data, GError **error)
{
  json_t *v;
  size_t i;
  double sum = 0;

  (void) instance, (void) user_data;
  json_array_foreach (args, i, v)
    {
      if (!json_is_number (v))
        {
          g_set_error (error, s_app_error (), 42, "argument %zu is not a number", i);
          return NULL;
        }
      sum += json_number_value (v);
    }
  if (json_is_true (json_object_get (kwargs, "negate")))
    sum = -sum;
  return json_real (sum);
}

typedef struct {
  OlServer *server;
  Thing thing;
  char *endpoint;
} Fixture;

static void
s_register (OlServer *s, Thing *t)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (json_t) named_args = json_pack ("[i, i]", 10, 20);
  g_autoptr (json_t) named_kwargs = json_pack ("{s:f}", "k", 3.0);

  g_assert_true (ol_server_add_instance (s, "thing", t, NULL, &error));
  g_assert_true (ol_server_add_method (s, "thing", "add", "(int32 a, int32 b) -> int32",
                                       OL_FUNC (f_add), &error));
  g_assert_true (ol_server_add_method (s, "thing", "slow", "(int32 ms)", OL_FUNC (f_slow), &error));
  g_assert_true (ol_server_add_method (s, "thing", "bump", "() -> int32", OL_FUNC (f_bump), &error));
  g_assert_true (ol_server_add_method (s, "thing", "gate", "()", OL_FUNC (f_gate), &error));
  g_assert_true (ol_server_add_method_handler (s, "thing", "sum", h_sum, NULL, NULL, &error));
  g_assert_true (ol_server_add_function (s, "i64", "(int64 v) -> int64", OL_FUNC (f_i64), &error));
  g_assert_true (ol_server_add_function (s, "u32", "(uint32 v) -> uint32", OL_FUNC (f_u32), &error));
  g_assert_true (ol_server_add_function (s, "u64", "(uint64 v) -> uint64", OL_FUNC (f_u64), &error));
  g_assert_true (ol_server_add_function (s, "scale", "(double x, double k = 2) -> double",
                                         OL_FUNC (f_scale), &error));
  g_assert_true (ol_server_add_function (s, "not", "(bool b) -> bool", OL_FUNC (f_not), &error));
  g_assert_true (ol_server_add_function (s, "greet", "(string name) -> string",
                                         OL_FUNC (f_greet), &error));
  g_assert_true (ol_server_add_function (s, "reverse", "(bytes data) -> bytes",
                                         OL_FUNC (f_reverse), &error));
  g_assert_true (ol_server_add_function (s, "wrap", "(json v) -> json", OL_FUNC (f_wrap), &error));
  g_assert_true (ol_server_add_function (s, "sqrt", "(double x, error) -> double",
                                         OL_FUNC (f_checked_sqrt), &error));
  g_assert_true (ol_server_add_function_handler (s, "sum", h_sum, NULL, NULL, &error));
  g_assert_true (ol_server_add_named_call (s, "add_defaults", "thing", "add", named_args,
                                           NULL, &error));
  g_assert_true (ol_server_add_named_call (s, "triple", NULL, "scale", NULL, named_kwargs,
                                           &error));
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  const char *transport = data;

  memset (&f->thing, 0, sizeof f->thing);
  ol__mutex_init (&f->thing.gate_lock);
  ol__cond_init (&f->thing.gate_cond);
  f->endpoint = strcmp (transport, "ipc") == 0 ? tu_ipc_endpoint ("rpc")
                                               : g_strdup ("tcp://127.0.0.1:*");
  {
    g_autofree char *streams = strcmp (transport, "ipc") == 0 ? tu_ipc_endpoint ("streams")
                                                               : g_strdup ("tcp://127.0.0.1:*");
    f->server = ol_server_new (f->endpoint, streams);
  }
  s_register (f->server, &f->thing);
  g_assert_true (ol_server_start (f->server, &error));
  g_assert_no_error (error);
  g_free (f->endpoint);
  f->endpoint = g_strdup (ol_server_get_rpc_endpoint (f->server));
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  (void) data;
  ol_server_free (&f->server);
  g_assert_null (f->server);
  ol__mutex_clear (&f->thing.gate_lock);
  ol__cond_clear (&f->thing.gate_cond);
  g_free (f->endpoint);
}

static OlClient *
s_client (Fixture *f)
{
  g_autoptr (GError) error = NULL;
  OlClient *c = ol_client_new (f->endpoint, NULL, &error);
  g_assert_no_error (error);
  return c;
}

/* Calls and returns the result; asserts success. */
static json_t *
s_call_ok (OlClient *c, const char *obj, const char *method, const char *args_text)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (json_t) args = args_text ? json_loads (args_text, 0, NULL) : NULL;
  json_t *r = ol_client_call (c, obj, method, args, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (r);
  return r;
}

/* Calls expecting an error; returns it. */
static GError *
s_call_err (OlClient *c, const char *obj, const char *method, const char *args_text,
            const char *kwargs_text)
{
  GError *error = NULL;
  g_autoptr (json_t) args = args_text ? json_loads (args_text, 0, NULL) : NULL;
  g_autoptr (json_t) kwargs = kwargs_text ? json_loads (kwargs_text, 0, NULL) : NULL;
  json_t *r = ol_client_call (c, obj, method, args, kwargs, &error);
  g_assert_null (r);
  g_assert_nonnull (error);
  return error;
}

static void
s_assert_json (json_t *value, const char *expected_text)
{
  g_autoptr (json_t) expected = json_loads (expected_text, JSON_DECODE_ANY, NULL);
  g_autofree char *got = json_dumps (value, JSON_ENCODE_ANY | JSON_COMPACT | JSON_SORT_KEYS);
  g_assert_nonnull (expected);
  if (!json_equal (value, expected))
    g_error ("expected %s, got %s", expected_text, got);
}

/* ---- tests --------------------------------------------------------------- */

static void
test_types_accepted (Fixture *f, gconstpointer data)
{
  g_autoptr (OlClient) c = s_client (f);
  static const struct { const char *obj, *method, *args, *result; } cases[] = {
    { "thing", "add", "[2, 3]", "5" },
    { "thing", "add", "[-2147483648, 0]", "-2147483648" },
    { "thing", "add", "[2147483647, 0]", "2147483647" },
    { "thing", "add", "[2.0, 1]", "3" },
    { NULL, "i64", "[9223372036854775807]", "9223372036854775807" },
    { NULL, "i64", "[-9223372036854775808]", "-9223372036854775808" },
    { NULL, "u32", "[4294967295]", "4294967295" },
    { NULL, "u64", "[9007199254740993]", "9007199254740993" },
    { NULL, "scale", "[1.5, 4]", "6.0" },
    { NULL, "scale", "[3]", "6.0" },
    { NULL, "not", "[false]", "true" },
    { NULL, "greet", "[\"stage\"]", "\"hello stage\"" },
    { NULL, "greet", "[\"\\u00e9t\\u00e9\"]", "\"hello \\u00e9t\\u00e9\"" },
    { NULL, "reverse", "[\"AQID\"]", "{\"$base64\": \"AwIB\"}" },
    { NULL, "reverse", "[{\"$base64\": \"AQID\"}]", "{\"$base64\": \"AwIB\"}" },
    { NULL, "wrap", "[{\"a\": [1, null]}]", "{\"wrapped\": {\"a\": [1, null]}}" },
    { NULL, "sqrt", "[16]", "4.0" },
    { "thing", "sum", "[1, 2, 3.5]", "6.5" },
    { NULL, "sum", "[]", "0.0" },
  };

  (void) data;
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (json_t) r = s_call_ok (c, cases[i].obj, cases[i].method, cases[i].args);
      s_assert_json (r, cases[i].result);
    }
}

static void
test_types_refused (Fixture *f, gconstpointer data)
{
  g_autoptr (OlClient) c = s_client (f);
  static const struct { const char *obj, *method, *args, *kwargs, *needle; } cases[] = {
    { "thing", "add", "[\"x\", 1]", NULL, "parameter 'a' expects int32, got string \"x\"" },
    { "thing", "add", "[2147483648, 1]", NULL, "parameter 'a' expects int32, got 2147483648 (out of range)" },
    { "thing", "add", "[-2147483649, 1]", NULL, "expects int32" },
    { "thing", "add", "[2.5, 1]", NULL, "parameter 'a' expects int32" },
    { "thing", "add", "[true, 1]", NULL, "parameter 'a' expects int32, got boolean true" },
    { "thing", "add", "[1]", NULL, "missing argument 'b'" },
    { "thing", "add", "[1, 2, 3]", NULL, "too many positional arguments" },
    { "thing", "add", "[1]", "{\"a\": 1}", "'a' given both by position and by keyword" },
    { "thing", "add", "[1, 2]", "{\"c\": 1}", "unexpected keyword argument 'c'" },
    { NULL, "u32", "[-1]", NULL, "parameter 'v' expects uint32, got -1 (out of range)" },
    { NULL, "u32", "[4294967296]", NULL, "expects uint32" },
    { NULL, "u64", "[-1]", NULL, "expects uint64" },
    { NULL, "scale", "[\"1.5\"]", NULL, "parameter 'x' expects double, got string" },
    { NULL, "not", "[1]", NULL, "parameter 'b' expects bool, got integer 1" },
    { NULL, "greet", "[5]", NULL, "parameter 'name' expects string, got integer 5" },
    { NULL, "greet", "[null]", NULL, "expects string, got null" },
    { NULL, "reverse", "[\"not base64!\"]", NULL, "parameter 'data' expects bytes" },
    { NULL, "reverse", "[{\"$frame\": 0}]", NULL, "parameter 'data' expects bytes" },
    { NULL, "reverse", "[3]", NULL, "parameter 'data' expects bytes, got integer 3" },
  };

  (void) data;
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) e = s_call_err (c, cases[i].obj, cases[i].method, cases[i].args,
                                         cases[i].kwargs);
      g_assert_error (e, OL_ERROR, OL_ERROR_INVALID_ARGS);
      if (strstr (e->message, cases[i].needle) == NULL)
        g_error ("case %zu: \"%s\" does not contain \"%s\"", i, e->message, cases[i].needle);
    }
  /* The server served every bad call and goes on. */
  g_autoptr (json_t) r = s_call_ok (c, "thing", "add", "[1, 1]");
  s_assert_json (r, "2");
}

static void
test_not_found (Fixture *f, gconstpointer data)
{
  g_autoptr (OlClient) c = s_client (f);
  g_autoptr (GError) e1 = s_call_err (c, "nothing", "add", NULL, NULL);
  g_autoptr (GError) e2 = s_call_err (c, "thing", "subtract", NULL, NULL);
  g_autoptr (GError) e3 = s_call_err (c, NULL, "nope", NULL, NULL);
  g_autoptr (GError) e4 = NULL;
  json_t *r;

  (void) data;
  g_assert_error (e1, OL_ERROR, OL_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (e1->message, "\"nothing\""));
  g_assert_error (e2, OL_ERROR, OL_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (e2->message, "\"subtract\""));
  g_assert_error (e3, OL_ERROR, OL_ERROR_NOT_FOUND);
  r = ol_client_call_named (c, "no_such_call", NULL, NULL, &e4);
  g_assert_null (r);
  g_assert_error (e4, OL_ERROR, OL_ERROR_NOT_FOUND);
}

/* Every shape of result, with and without the server's timestamp after it:
 * the client reads the replies of its servers through a fast path that must
 * give what the full parser gives. */
static void
test_reply_shapes (Fixture *f, gconstpointer data)
{
  g_autoptr (OlClient) c = s_client (f);
  static const struct { const char *method, *args, *result; } cases[] = {
    { "i64", "[0]", "0" },
    { "i64", "[7]", "7" },
    { "i64", "[-1]", "-1" },
    { "i64", "[123456789012345678]", "123456789012345678" },
    { "i64", "[-123456789012345678]", "-123456789012345678" },
    { "i64", "[9223372036854775807]", "9223372036854775807" },
    { "i64", "[-9223372036854775808]", "-9223372036854775808" },
    { "scale", "[1.5, 2]", "3.0" },
    { "scale", "[1e300, 10]", "1e301" },
    { "not", "[true]", "false" },
    { "greet", "[\"a,\\\"ts\\\":5\"]", "\"hello a,\\\"ts\\\":5\"" },
    { "greet", "[\"12\"]", "\"hello 12\"" },
    { "wrap", "[{\"ts\": 5}]", "{\"wrapped\": {\"ts\": 5}}" },
    { "wrap", "[[1, 2]]", "{\"wrapped\": [1, 2]}" },
    { "wrap", "[null]", "{\"wrapped\": null}" },
  };

  (void) data;
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    for (int with_ts = 0; with_ts < 2; with_ts++)
      {
        g_autoptr (GError) error = NULL;
        json_t *body = json_pack ("{s:s, s:o}", "method", cases[i].method, "args",
                                  json_loads (cases[i].args, 0, NULL));
        gint64 before = g_get_real_time () * 1000;
        OlReply *reply = ol_client_request (c, "call", body, NULL,
                                            with_ts ? OL_CALL_TIMESTAMP : OL_CALL_NONE, -1,
                                            &error);

        g_assert_no_error (error);
        g_assert_nonnull (reply);
        s_assert_json (reply->result, cases[i].result);
        if (with_ts)
          {
            g_assert_cmpint (reply->server_time, >=, before - G_GINT64_CONSTANT (1000000000));
            g_assert_cmpint (reply->server_time, <=, g_get_real_time () * 1000 + 1000000000);
          }
        else
          g_assert_cmpint (reply->server_time, ==, 0);
        ol_reply_free (reply);
      }
}

/* Names are written into the request as JSON strings: quotes, backslashes
 * and UTF-8 reach the server intact and come back in the error; a name with
 * a control character is refused by the server; a name that is not UTF-8 is
 * refused before anything is sent. */
static void
test_names_escaped (Fixture *f, gconstpointer data)
{
  g_autoptr (OlClient) c = s_client (f);
  static const char *const names[] = { "we\"ird", "back\\slash", "\xc3\xa9t\xc3\xa9" };
  static const char *const controls[] = { "line\nbreak", "tab\t\x01", "del\x7f" };
  g_autoptr (GError) bad = s_call_err (c, "thing", "\xff\xfe", NULL, NULL);
  g_autoptr (GError) bad_object = s_call_err (c, "\xc3", "add", "[1, 2]", NULL);
  g_autoptr (GError) bad_named = NULL;
  g_autoptr (json_t) still = s_call_ok (c, "thing", "add", "[1, 2]");

  (void) data;
  for (gsize i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autoptr (GError) e1 = s_call_err (c, "thing", names[i], NULL, NULL);
      g_autoptr (GError) e2 = s_call_err (c, names[i], "add", NULL, NULL);
      g_autofree char *shown = ol__quote (names[i], -1);
      g_autofree char *quoted = g_strdup_printf ("\"%s\"", shown);

      g_assert_error (e1, OL_ERROR, OL_ERROR_NOT_FOUND);
      g_assert_nonnull (strstr (e1->message, quoted));
      g_assert_error (e2, OL_ERROR, OL_ERROR_NOT_FOUND);
      g_assert_nonnull (strstr (e2->message, quoted));
    }
  for (gsize i = 0; i < G_N_ELEMENTS (controls); i++)
    {
      g_autoptr (GError) e1 = s_call_err (c, "thing", controls[i], NULL, NULL);
      g_autoptr (GError) e2 = s_call_err (c, controls[i], "add", NULL, NULL);

      g_assert_error (e1, OL_ERROR, OL_ERROR_PROTOCOL);
      g_assert_cmpstr (e1->message, ==,
                       "request member \"method\" holds a NUL or control character");
      g_assert_error (e2, OL_ERROR, OL_ERROR_PROTOCOL);
      g_assert_cmpstr (e2->message, ==,
                       "request member \"object\" holds a NUL or control character");
    }
  g_assert_error (bad, OL_ERROR, OL_ERROR_INVALID_ARGS);
  g_assert_nonnull (strstr (bad->message, "UTF-8"));
  g_assert_error (bad_object, OL_ERROR, OL_ERROR_INVALID_ARGS);
  g_assert_null (ol_client_call_named (c, "\x80", NULL, NULL, &bad_named));
  g_assert_error (bad_named, OL_ERROR, OL_ERROR_INVALID_ARGS);
  s_assert_json (still, "3");
}

static void
test_remote_errors (Fixture *f, gconstpointer data)
{
  g_autoptr (OlClient) c = s_client (f);
  g_autoptr (GError) e1 = s_call_err (c, NULL, "sqrt", "[-4]", NULL);
  g_autoptr (GError) e2 = s_call_err (c, "thing", "sum", "[1, \"x\"]", NULL);

  (void) data;
  /* The error keeps the domain and code the server-side code used. */
  g_assert_error (e1, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_assert_cmpstr (e1->message, ==, "negative input -4");
  g_assert_error (e2, s_app_error (), 42);
  g_assert_cmpstr (e2->message, ==, "argument 1 is not a number");
}

static void
test_named_calls (Fixture *f, gconstpointer data)
{
  g_autoptr (OlClient) c = s_client (f);
  g_autoptr (GError) error = NULL;
  g_autoptr (json_t) a1 = json_pack ("[i]", 1);
  g_autoptr (json_t) a3 = json_pack ("[f]", 5.0);
  g_autoptr (json_t) kw = json_pack ("{s:f}", "k", 10.0);
  json_t *r;

  (void) data;
  r = ol_client_call_named (c, "add_defaults", NULL, NULL, &error);
  g_assert_no_error (error);
  s_assert_json (r, "30");
  json_decref (r);
  /* Passed args replace defaults by position. */
  r = ol_client_call_named (c, "add_defaults", a1, NULL, &error);
  g_assert_no_error (error);
  s_assert_json (r, "21");
  json_decref (r);
  /* Passed kwargs update default kwargs. */
  r = ol_client_call_named (c, "triple", a3, NULL, &error);
  g_assert_no_error (error);
  s_assert_json (r, "15.0");
  json_decref (r);
  r = ol_client_call_named (c, "triple", a3, kw, &error);
  g_assert_no_error (error);
  s_assert_json (r, "50.0");
  json_decref (r);
}

static void
test_introspection (Fixture *f, gconstpointer data)
{
  g_autoptr (OlClient) c = s_client (f);
  g_autoptr (GError) error = NULL;
  g_autoptr (json_t) list = ol_client_list (c, &error);
  g_autoptr (json_t) version = NULL;
  json_t *add;

  (void) data;
  g_assert_no_error (error);
  add = json_object_get (json_object_get (json_object_get (list, "instances"), "thing"), "add");
  g_assert_cmpstr (json_string_value (json_object_get (add, "signature")), ==,
                   "(int32 a, int32 b) -> int32");
  g_assert_cmpstr (json_string_value (json_object_get (add, "returns")), ==, "int32");
  g_assert_nonnull (json_object_get (json_object_get (list, "functions"), "reverse"));
  g_assert_cmpstr (json_string_value (json_object_get (
                     json_object_get (json_object_get (list, "named_calls"), "add_defaults"),
                     "method")), ==, "add");
  version = ol_client_version (c, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (json_string_value (json_object_get (version, "server")), ==, OL_VERSION_STRING);
  g_assert_cmpint (json_integer_value (json_object_get (version, "protocol")), ==,
                   OL_PROTOCOL_VERSION);
}

static void
test_bytes_frames_and_timestamp (Fixture *f, gconstpointer data)
{
  g_autoptr (OlClient) c = s_client (f);
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) frames = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  g_autoptr (OlReply) reply = NULL;
  guint8 big[100000];
  gsize n;
  const guint8 *d;
  gint64 before = g_get_real_time () * 1000;

  (void) data;
  for (gsize i = 0; i < sizeof big; i++)
    big[i] = (guint8) (i * 7);
  g_ptr_array_add (frames, g_bytes_new (big, sizeof big));
  reply = ol_client_request (c, "call",
                             json_pack ("{s:s, s:[{s:i}]}", "method", "reverse", "args",
                                        "$frame", 0),
                             frames, OL_CALL_FRAMES | OL_CALL_TIMESTAMP, -1, &error);
  g_assert_no_error (error);
  s_assert_json (reply->result, "{\"$frame\": 0}");
  g_assert_cmpuint (reply->frames->len, ==, 1);
  d = g_bytes_get_data (reply->frames->pdata[0], &n);
  g_assert_cmpuint (n, ==, sizeof big);
  for (gsize i = 0; i < n; i++)
    g_assert_cmpuint (d[i], ==, big[n - 1 - i]);
  g_assert_cmpint (reply->server_time, >=, before - G_GINT64_CONSTANT (1000000000));
  g_assert_cmpint (reply->server_time, <=, g_get_real_time () * 1000 + 1000000000);
}

typedef struct {
  const char *endpoint;
  int index;
  int answered;
  int wrong;
} Worker;

typedef struct {
  Worker *w;
  OlClient *client;
  int expect;
} WorkerCall;

static void
s_worker_call_done (GObject *source, GAsyncResult *res, gpointer data)
{
  WorkerCall *wc = data;
  g_autoptr (GError) error = NULL;
  json_t *r = ol_client_call_finish (wc->client, res, &error);

  (void) source;
  g_assert_no_error (error);
  if (json_integer_value (r) != wc->expect)
    wc->w->wrong++;
  wc->w->answered++;
  json_decref (r);
  g_free (wc);
}

static gpointer
s_worker (gpointer data)
{
  Worker *w = data;
  GMainContext *ctx = g_main_context_new ();
  g_autoptr (GError) error = NULL;
  OlClient *c;
  gint64 deadline;

  g_main_context_push_thread_default (ctx);
  c = ol_client_new (w->endpoint, NULL, &error);
  g_assert_no_error (error);
  ol_client_set_timeout (c, 30000);
  /* 1000 calls in flight at once, each with its own arguments. */
  for (int i = 0; i < 1000; i++)
    {
      WorkerCall *wc = g_new0 (WorkerCall, 1);
      g_autoptr (json_t) args = json_pack ("[i, i]", w->index * 100000, i);
      wc->w = w;
      wc->client = c;
      wc->expect = w->index * 100000 + i;
      ol_client_call_async (c, "thing", "add", args, NULL, NULL, s_worker_call_done, wc);
    }
  deadline = g_get_monotonic_time () + 60 * G_TIME_SPAN_SECOND;
  while (w->answered < 1000 && g_get_monotonic_time () < deadline)
    g_main_context_iteration (ctx, TRUE);
  ol_client_free (&c);
  g_main_context_pop_thread_default (ctx);
  g_main_context_unref (ctx);
  return NULL;
}

static void
test_concurrent_clients (Fixture *f, gconstpointer data)
{
  Worker workers[8];
  GThread *threads[8];

  (void) data;
  for (int i = 0; i < 8; i++)
    {
      workers[i] = (Worker) { f->endpoint, i + 1, 0, 0 };
      threads[i] = g_thread_new ("client", s_worker, &workers[i]);
    }
  for (int i = 0; i < 8; i++)
    {
      g_thread_join (threads[i]);
      g_assert_cmpint (workers[i].answered, ==, 1000);
      g_assert_cmpint (workers[i].wrong, ==, 0);
    }
  g_assert_cmpint (f->thing.calls, ==, 8000);
}

static gpointer
s_local_bumper (gpointer data)
{
  Fixture *f = data;
  for (int i = 0; i < 2000; i++)
    {
      g_autoptr (GError) error = NULL;
      json_t *r = ol_server_call (f->server, "thing", "bump", NULL, NULL, &error);
      g_assert_no_error (error);
      json_decref (r);
    }
  return NULL;
}

static void
test_calls_serialised (Fixture *f, gconstpointer data)
{
  g_autoptr (OlClient) c = s_client (f);
  GThread *threads[3];

  (void) data;
  for (int i = 0; i < 3; i++)
    threads[i] = g_thread_new ("bumper", s_local_bumper, f);
  for (int i = 0; i < 2000; i++)
    json_decref (s_call_ok (c, "thing", "bump", NULL));
  for (int i = 0; i < 3; i++)
    g_thread_join (threads[i]);
  g_assert_false (f->thing.overlapped);
  g_assert_cmpint (f->thing.calls, ==, 8000);
}

static void
test_stale_reply_dropped (Fixture *f, gconstpointer data)
{
  g_autoptr (OlClient) c = s_client (f);
  g_autoptr (GError) error = NULL;
  g_autoptr (json_t) args = json_pack ("[i]", 300);
  json_t *r;

  (void) data;
  ol_client_set_timeout (c, 50);
  r = ol_client_call (c, "thing", "slow", args, NULL, &error);
  g_assert_null (r);
  g_assert_error (error, OL_ERROR, OL_ERROR_TIMEOUT);
  /* The late reply of the slow call must not be taken for this one. */
  ol_client_set_timeout (c, 5000);
  r = s_call_ok (c, "thing", "add", "[40, 2]");
  s_assert_json (r, "42");
  json_decref (r);
  g_assert_cmpuint (ol_client_get_stale_replies (c), ==, 1);
}

/* A server of another implementation may lay its replies out otherwise
 * (member order, spaces, more members): the client reads them all alike. */
typedef struct {
  void *router;          /* the thread's */
  char *endpoint;
  OlStartup ready;
} Foreign;

static const char *const s_foreign_replies[] = {
  "{\"ok\": true, \"v\": 1, \"result\": [1, 2], \"id\": %s}",
  "{\"v\":1,\"id\":%s,\"ok\":true,\"result\":5 ,\"ts\":77}",
  "{\"v\":1,\"id\":%s,\"ok\":true,\"result\":5,\"ts\":77,\"more\":1}",
  "{ \"v\" : 1 , \"id\" : %s , \"ok\" : true , \"result\" : -6 }",
  ("{\"v\":1,\"id\":%s,\"ok\":false,\"error\":{\"domain\":\"x-app\",\"code\":3,"
   "\"message\":\"no\"}}"),
};

static gpointer
s_foreign_thread (gpointer data)
{
  Foreign *fs = data;
  void *router = zmq_socket (ol__zmq_context (), ZMQ_ROUTER);
  char endpoint[256];
  size_t len = sizeof endpoint;
  /* Linger: the last reply must leave before the socket closes. */
  int linger = 5000, timeout = 10000;

  zmq_setsockopt (router, ZMQ_LINGER, &linger, sizeof linger);
  zmq_setsockopt (router, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
  g_assert_cmpint (zmq_bind (router, "tcp://127.0.0.1:*"), ==, 0);
  zmq_getsockopt (router, ZMQ_LAST_ENDPOINT, endpoint, &len);
  fs->endpoint = g_strdup (endpoint);
  ol__startup_report (&fs->ready, NULL);
  for (gsize i = 0; i < G_N_ELEMENTS (s_foreign_replies); i++)
    {
      zmq_msg_t who, body;
      g_autoptr (json_t) request = NULL;
      g_autofree char *id = NULL, *reply = NULL;

      zmq_msg_init (&who);
      zmq_msg_init (&body);
      g_assert_cmpint (zmq_msg_recv (&who, router, 0), >=, 0);
      g_assert_cmpint (zmq_msg_recv (&body, router, 0), >=, 0);
      request = json_loadb (zmq_msg_data (&body), zmq_msg_size (&body), 0, NULL);
      g_assert_nonnull (request);
      id = json_dumps (json_object_get (request, "id"), JSON_ENCODE_ANY);
      reply = g_strdup_printf (s_foreign_replies[i], id);
      zmq_msg_send (&who, router, ZMQ_SNDMORE);
      zmq_send (router, reply, strlen (reply), 0);
      zmq_msg_close (&body);
    }
  /* Until the client is done: its last reply leaves before the close. */
  {
    zmq_msg_t bye;
    zmq_msg_init (&bye);
    zmq_msg_recv (&bye, router, 0);
    zmq_msg_close (&bye);
  }
  zmq_close (router);
  return NULL;
}

static void
test_foreign_reply_layouts (void)
{
  Foreign fs = { 0 };
  g_autoptr (GError) error = NULL;
  g_autoptr (OlClient) c = NULL;
  GThread *thread;
  static const struct { const char *result; gint64 ts; } expected[] = {
    { "[1, 2]", 0 }, { "5", 77 }, { "5", 77 }, { "-6", 0 }, { NULL, 0 },
  };

  /* The client rebuilds errors of domains known in its process. */
  g_quark_from_static_string ("x-app");
  ol__startup_init (&fs.ready);
  thread = g_thread_new ("foreign", s_foreign_thread, &fs);
  g_assert_true (ol__startup_wait (&fs.ready, "the foreign server", &error));
  c = ol_client_new (fs.endpoint, NULL, &error);
  g_assert_no_error (error);
  for (gsize i = 0; i < G_N_ELEMENTS (expected); i++)
    {
      OlReply *reply = ol_client_request (c, "call", json_pack ("{s:s}", "method", "f"), NULL,
                                          OL_CALL_TIMESTAMP, 5000, &error);
      if (expected[i].result == NULL)
        {
          g_assert_null (reply);
          g_assert_nonnull (error);
          g_assert_cmpstr (g_quark_to_string (error->domain), ==, "x-app");
          g_assert_cmpint (error->code, ==, 3);
          g_assert_cmpstr (error->message, ==, "no");
          g_clear_error (&error);
          continue;
        }
      g_assert_no_error (error);
      s_assert_json (reply->result, expected[i].result);
      g_assert_cmpint (reply->server_time, ==, expected[i].ts);
      ol_reply_free (reply);
    }
  g_assert_cmpuint (ol_client_get_stale_replies (c), ==, 0);
  /* A last request, never answered, lets the server thread go. */
  g_assert_null (ol_client_request (c, "version", json_object (), NULL, OL_CALL_NONE, 1,
                                    &error));
  g_assert_error (error, OL_ERROR, OL_ERROR_TIMEOUT);
  g_thread_join (thread);
  ol__startup_clear (&fs.ready);
  g_free (fs.endpoint);
}

static void
test_dead_server_times_out (void)
{
  g_autofree char *endpoint = tu_ipc_endpoint ("nobody");
  g_autoptr (GError) error = NULL;
  g_autoptr (OlClient) c = ol_client_new (endpoint, NULL, &error);
  gint64 start = g_get_monotonic_time ();
  json_t *r;

  g_assert_no_error (error);
  ol_client_set_timeout (c, 200);
  r = ol_client_call (c, "stage", "position", NULL, NULL, &error);
  g_assert_null (r);
  g_assert_error (error, OL_ERROR, OL_ERROR_TIMEOUT);
  /* A bound, not a benchmark: the call returned, and not much after 200 ms. */
  g_assert_cmpint (g_get_monotonic_time () - start, <, 5 * G_TIME_SPAN_SECOND);
}

static void
s_expect_done (GObject *source, GAsyncResult *res, gpointer data)
{
  GError **out = data;
  (void) source;
  g_assert_null (g_task_propagate_pointer (G_TASK (res), out));
}

static void
test_async_timeout_and_cancel (Fixture *f, gconstpointer data)
{
  GMainContext *ctx = g_main_context_new ();
  g_autoptr (GError) e1 = NULL;
  g_autoptr (GError) e2 = NULL;
  g_autoptr (GCancellable) cancel = g_cancellable_new ();
  OlClient *c;
  gint64 deadline;

  (void) data;
  g_main_context_push_thread_default (ctx);
  c = s_client (f);
  ol_client_request_async (c, "call", json_pack ("{s:s, s:s, s:[i]}", "object", "thing",
                                                  "method", "slow", "args", 300),
                           NULL, OL_CALL_NONE, 50, NULL, s_expect_done, &e1);
  ol_client_request_async (c, "call", json_pack ("{s:s, s:s, s:[i]}", "object", "thing",
                                                  "method", "slow", "args", 10),
                           NULL, OL_CALL_NONE, 5000, cancel, s_expect_done, &e2);
  g_cancellable_cancel (cancel);
  deadline = g_get_monotonic_time () + 10 * G_TIME_SPAN_SECOND;
  while ((e1 == NULL || e2 == NULL) && g_get_monotonic_time () < deadline)
    g_main_context_iteration (ctx, TRUE);
  g_assert_error (e1, OL_ERROR, OL_ERROR_TIMEOUT);
  g_assert_error (e2, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  ol_client_free (&c);
  g_main_context_pop_thread_default (ctx);
  g_main_context_unref (ctx);
}

static void
test_server_restart (void)
{
  g_autofree char *endpoint = tu_ipc_endpoint ("restart");
  g_autoptr (GError) error = NULL;
  Thing thing = { 0 };
  g_autofree char *streams = tu_ipc_endpoint ("restart-streams");
  OlServer *s = ol_server_new (endpoint, streams);
  g_autoptr (OlClient) c = NULL;
  json_t *r;
  int attempts = 0;

  s_register (s, &thing);
  g_assert_true (ol_server_start (s, &error));
  c = ol_client_new (endpoint, NULL, &error);
  g_assert_no_error (error);
  ol_client_set_timeout (c, 2000);
  r = s_call_ok (c, "thing", "add", "[1, 2]");
  json_decref (r);
  ol_server_free (&s);

  /* While the server is away calls fail within their bound. */
  ol_client_set_timeout (c, 100);
  r = ol_client_call (c, "thing", "add", NULL, NULL, &error);
  g_assert_null (r);
  g_assert_error (error, OL_ERROR, OL_ERROR_TIMEOUT);
  g_clear_error (&error);

  s = ol_server_new (endpoint, streams);
  s_register (s, &thing);
  g_assert_true (ol_server_start (s, &error));
  /* The client reconnects by itself; the first call may still race the
   * reconnection, so allow a bounded number of attempts. */
  ol_client_set_timeout (c, 1000);
  do
    {
      g_autoptr (json_t) args = json_pack ("[i, i]", 20, 22);
      g_clear_error (&error);
      r = ol_client_call (c, "thing", "add", args, NULL, &error);
    }
  while (r == NULL && ++attempts < 10);
  g_assert_no_error (error);
  s_assert_json (r, "42");
  json_decref (r);
  ol_server_free (&s);
}

/* A client process killed while its call runs never wedges the server. */
static void
test_client_killed_mid_call (Fixture *f, gconstpointer data)
{
  const char *argv[] = { "tools/oneliner", "--rpc", f->endpoint, "--timeout", "30000",
                         "call", "thing", "gate", NULL };
  g_autoptr (TuProcess) p = NULL;
  g_autoptr (OlClient) c = NULL;
  gint64 deadline = g_get_monotonic_time () + 10 * G_TIME_SPAN_SECOND;
  int status;
  json_t *r;

  (void) data;
  p = tu_spawn (argv);
  ol__mutex_lock (&f->thing.gate_lock);
  while (!f->thing.entered)
    if (!ol__cond_wait_until (&f->thing.gate_cond, &f->thing.gate_lock, deadline))
      g_error ("the client process never reached the server");
  ol__mutex_unlock (&f->thing.gate_lock);
  g_assert_true (tu_kill_wait (p, SIGKILL, 5000, &status));
  g_assert_cmpint (status, ==, 128 + SIGKILL);

  ol__mutex_lock (&f->thing.gate_lock);
  f->thing.released = TRUE;
  ol__cond_broadcast (&f->thing.gate_cond);
  ol__mutex_unlock (&f->thing.gate_lock);

  c = s_client (f);
  r = s_call_ok (c, "thing", "add", "[2, 2]");
  s_assert_json (r, "4");
  json_decref (r);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, fn)                                                          \
  g_test_add ("/rpc/tcp/" path, Fixture, "tcp", fixture_setup, fn, fixture_teardown); \
  g_test_add ("/rpc/ipc/" path, Fixture, "ipc", fixture_setup, fn, fixture_teardown)
  ADD ("types/accepted", test_types_accepted);
  ADD ("types/refused", test_types_refused);
  ADD ("not-found", test_not_found);
  ADD ("remote-errors", test_remote_errors);
  ADD ("reply-shapes", test_reply_shapes);
  ADD ("names-escaped", test_names_escaped);
  ADD ("named-calls", test_named_calls);
  ADD ("introspection", test_introspection);
  ADD ("bytes-frames-timestamp", test_bytes_frames_and_timestamp);
  ADD ("concurrent-8x1000", test_concurrent_clients);
  ADD ("serialised", test_calls_serialised);
  ADD ("stale-reply", test_stale_reply_dropped);
  ADD ("async-timeout-cancel", test_async_timeout_and_cancel);
  ADD ("client-killed-mid-call", test_client_killed_mid_call);
#undef ADD
  g_test_add_func ("/rpc/foreign-reply-layouts", test_foreign_reply_layouts);
  g_test_add_func ("/rpc/dead-server", test_dead_server_times_out);
  g_test_add_func ("/rpc/server-restart", test_server_restart);
  return g_test_run ();
}
