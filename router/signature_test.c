/* Unit tests for router/signature.c: parsing, introspection and invocation
 * of C functions through libffi. */
#include "router/signature.h"

#include "oneliner/error.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#define TEST_ERROR (g_quark_from_static_string ("signature-test-error"))
/* A C function of any type, called through libffi. */
typedef void (*TestFn) (void);
#define FN(f) ((TestFn) (f))

#define OTHER_ERROR (g_quark_from_static_string ("signature-test-other-error"))

/* ------------------------------------------------------------------------ */
/* Helpers                                                                  */

static json_t *
load (const char *text)
{
  json_error_t jerr;
  json_t *value;

  if (text == NULL)
    return NULL;
  value = json_loads (text, JSON_DECODE_ANY, &jerr);
  if (value == NULL)
    g_error ("bad JSON in test: %s: %s", text, jerr.text);
  return value;
}

static OlSignature *
parse_ok (const char *text)
{
  g_autoptr (GError) error = NULL;
  OlSignature *sig = ol__signature_parse (text, &error);

  g_assert_no_error (error);
  g_assert_nonnull (sig);
  return sig;
}

/* Asserts that text is refused with OL_ERROR_SIGNATURE and a message
 * containing expected (if not NULL). */
static void
parse_fails (const char *text, const char *expected)
{
  g_autoptr (GError) error = NULL;
  OlSignature *sig = ol__signature_parse (text, &error);

  if (sig != NULL)
    g_error ("signature %s was accepted as %s", text, ol__signature_text (sig));
  g_assert_error (error, OL_ERROR, OL_ERROR_SIGNATURE);
  g_assert_nonnull (strstr (error->message, "offset"));
  if (expected != NULL && strstr (error->message, expected) == NULL)
    g_error ("signature %s: message \"%s\" does not contain \"%s\"",
             text, error->message, expected);
}

/* Invokes and returns the JSON result (owned); the call must succeed. */
static json_t *
call_full (const OlSignature *sig, TestFn fn, gboolean with_self, void *self,
           const char *args, const char *kwargs, GPtrArray *frames)
{
  g_autoptr (GError) error = NULL;
  json_t *jargs = load (args);
  json_t *jkwargs = load (kwargs);
  OlValue out = { NULL, NULL };
  gboolean ok;

  ok = ol__signature_invoke (sig, fn, with_self, self, jargs, jkwargs, frames, &out, &error);
  g_assert_no_error (error);
  g_assert_true (ok);
  g_assert_nonnull (out.json);
  g_assert_null (out.bytes);
  json_decref (jargs);
  json_decref (jkwargs);
  return out.json;
}

static json_t *
call (const OlSignature *sig, TestFn fn, const char *args, const char *kwargs)
{
  return call_full (sig, fn, FALSE, NULL, args, kwargs, NULL);
}

/* Invokes and asserts failure with domain/code and, if expected is not
 * NULL, exactly that message. */
static void
call_fails_full (const OlSignature *sig, TestFn fn, gboolean with_self, void *self,
                 const char *args, const char *kwargs, GPtrArray *frames,
                 GQuark domain, int code, const char *expected)
{
  g_autoptr (GError) error = NULL;
  json_t *jargs = load (args);
  json_t *jkwargs = load (kwargs);
  OlValue out = { NULL, NULL };
  gboolean ok;

  ok = ol__signature_invoke (sig, fn, with_self, self, jargs, jkwargs, frames, &out, &error);
  g_assert_false (ok);
  g_assert_null (out.json);
  g_assert_null (out.bytes);
  g_assert_error (error, domain, code);
  if (expected != NULL)
    g_assert_cmpstr (error->message, ==, expected);
  json_decref (jargs);
  json_decref (jkwargs);
}

static void
call_fails (const OlSignature *sig, TestFn fn, const char *args, const char *kwargs,
            const char *expected)
{
  call_fails_full (sig, fn, FALSE, NULL, args, kwargs, NULL,
                   OL_ERROR, OL_ERROR_INVALID_ARGS, expected);
}

static void
assert_json (json_t *value, const char *expected)
{
  json_t *want = load (expected);

  if (!json_equal (value, want))
    {
      char *got = json_dumps (value, JSON_ENCODE_ANY);
      g_error ("got %s, expected %s", got, expected);
    }
  json_decref (want);
}

static void
assert_integer_result (json_t *value, json_int_t expected)
{
  g_assert_true (json_is_integer (value));
  g_assert_cmpint (json_integer_value (value), ==, expected);
}

/* ------------------------------------------------------------------------ */
/* Functions called through libffi                                          */

static int32_t echo_int32 (int32_t x) { return x; }
static int64_t echo_int64 (int64_t x) { return x; }
static uint32_t echo_uint32 (uint32_t x) { return x; }
static uint64_t echo_uint64 (uint64_t x) { return x; }
static double echo_double (double x) { return x; }
static bool not_bool (bool b) { return !b; }
static bool echo_bool (bool b) { return b; }
static char *upper_string (const char *s) { return g_utf8_strup (s, -1); }
static char *null_string (void) { return NULL; }
static char *bad_utf8_string (void) { return g_strdup ("ab\xff\xfe"); }
static GBytes *null_bytes (void) { return NULL; }
static json_t *null_json (void) { return NULL; }
static double nan_double (void) { return NAN; }
static uint64_t max_uint64 (void) { return UINT64_MAX; }

static GBytes *seen_bytes;
static json_t *seen_json;
static int32_t void_calls;

static char *
bytes_to_string (GBytes *bytes)
{
  gsize size;
  const char *data = g_bytes_get_data (bytes, &size);

  seen_bytes = bytes;
  return g_strndup (data, size);
}

static char *
bytes_hex (GBytes *bytes)
{
  gsize size;
  const guchar *data = g_bytes_get_data (bytes, &size);
  GString *out = g_string_new (NULL);

  for (gsize i = 0; i < size; i++)
    g_string_append_printf (out, "%02x", data[i]);
  return g_string_free (out, FALSE);
}

static int64_t
bytes_size (GBytes *bytes)
{
  seen_bytes = bytes;
  return (int64_t) g_bytes_get_size (bytes);
}

static GBytes *
make_bytes (int32_t n)
{
  if (n < 0)
    return NULL;
  return g_bytes_new_take (g_strnfill ((gsize) n, 'x'), (gsize) n);
}

static json_t *
wrap_json (json_t *value)
{
  seen_json = value;
  return json_pack ("{s:O}", "got", value);
}

static void
count_call (int32_t n)
{
  void_calls += n;
}

static int32_t
abc (int32_t a, int32_t b, int32_t c)
{
  return a * 100 + b * 10 + c;
}

static char *
all_types (int32_t a, int64_t b, uint32_t c, uint64_t d, double e, bool f,
           const char *g, GBytes *h, json_t *i)
{
  g_autofree char *dumped = json_dumps (i, JSON_ENCODE_ANY | JSON_COMPACT);
  gsize size;
  const char *data = g_bytes_get_data (h, &size);

  return g_strdup_printf ("%d|%" G_GINT64_FORMAT "|%u|%" G_GUINT64_FORMAT "|%g|%s|%s|%.*s|%s",
                          a, (gint64) b, c, (guint64) d, e, f ? "T" : "F", g,
                          (int) size, data, dumped);
}

static double
mixed_doubles (double a, int32_t b, double c, int64_t d, double e, double f, double g,
               double h, double i, double j, int32_t k, double l)
{
  return a + b * 2 + c * 3 + (double) d * 4 + e * 5 + f * 6 + g * 7 + h * 8 + i * 9
         + j * 10 + k * 11 + l * 12;
}

static int64_t
sum32 (int32_t a0, int32_t a1, int32_t a2, int32_t a3, int32_t a4, int32_t a5,
       int32_t a6, int32_t a7, int32_t a8, int32_t a9, int32_t a10, int32_t a11,
       int32_t a12, int32_t a13, int32_t a14, int32_t a15, int32_t a16, int32_t a17,
       int32_t a18, int32_t a19, int32_t a20, int32_t a21, int32_t a22, int32_t a23,
       int32_t a24, int32_t a25, int32_t a26, int32_t a27, int32_t a28, int32_t a29,
       int32_t a30, int32_t a31)
{
  int32_t v[] = { a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15,
                  a16, a17, a18, a19, a20, a21, a22, a23, a24, a25, a26, a27, a28, a29,
                  a30, a31 };
  int64_t sum = 0;

  for (int n = 0; n < 32; n++)
    sum += (int64_t) (n + 1) * v[n];
  return sum;
}

typedef struct {
  int32_t total;
  void *self_seen;
} Counter;

static int32_t
counter_add (void *self, int32_t delta)
{
  Counter *counter = self;

  counter->self_seen = self;
  counter->total += delta;
  return counter->total;
}

static void
counter_reset (void *self)
{
  Counter *counter = self;

  counter->self_seen = self;
  counter->total = 0;
}

static int32_t
counter_checked_add (void *self, int32_t delta, GError **error)
{
  Counter *counter = self;

  counter->self_seen = self;
  if (delta < 0)
    {
      g_set_error (error, TEST_ERROR, 7, "delta %d is negative", delta);
      return -1;
    }
  counter->total += delta;
  return counter->total;
}

static char *
maybe_fail (int32_t x, GError **error)
{
  g_assert_nonnull (error);
  g_assert_null (*error);
  if (x < 0)
    {
      g_set_error (error, TEST_ERROR, 42, "x must not be negative, got %d", x);
      /* returned anyway: must be freed, not leaked */
      return g_strdup ("ignored");
    }
  return g_strdup_printf ("ok %d", x);
}

static GBytes *
bytes_fail (GError **error)
{
  g_set_error_literal (error, TEST_ERROR, 1, "bytes failed");
  return g_bytes_new ("xyz", 3);
}

static json_t *
json_fail (GError **error)
{
  g_set_error_literal (error, OTHER_ERROR, 3, "json failed");
  return json_pack ("{s:i}", "a", 1);
}

static void
void_fail (int32_t x, GError **error)
{
  if (x != 0)
    g_set_error (error, TEST_ERROR, x, "code %d", x);
}

static int64_t
threaded_fn (int32_t a, int32_t b, GBytes *data, const char *tag)
{
  return (int64_t) a * b + (int64_t) g_bytes_get_size (data) + (int64_t) strlen (tag);
}

/* ------------------------------------------------------------------------ */
/* Parsing                                                                  */

static void
test_parse_types (void)
{
  static const struct {
    const char *name;
    OlType type;
  } types[] = {
    { "int32", OL_TYPE_INT32 },   { "int64", OL_TYPE_INT64 },   { "uint32", OL_TYPE_UINT32 },
    { "uint64", OL_TYPE_UINT64 }, { "double", OL_TYPE_DOUBLE }, { "bool", OL_TYPE_BOOL },
    { "string", OL_TYPE_STRING }, { "bytes", OL_TYPE_BYTES },   { "json", OL_TYPE_JSON },
  };

  for (guint i = 0; i < G_N_ELEMENTS (types); i++)
    {
      g_autofree char *text = g_strdup_printf ("(%s value) -> %s", types[i].name, types[i].name);
      g_autofree char *describe_want =
        g_strdup_printf ("{\"params\":[{\"name\":\"value\",\"type\":\"%s\"}],"
                         "\"returns\":\"%s\",\"error\":false}",
                         types[i].name, types[i].name);
      g_autoptr (OlSignature) sig = parse_ok (text);
      json_t *described = ol__signature_describe (sig);

      g_assert_cmpstr (ol__signature_text (sig), ==, text);
      g_assert_cmpint (ol__signature_return_type (sig), ==, types[i].type);
      g_assert_cmpstr (ol__type_name (types[i].type), ==, types[i].name);
      assert_json (described, describe_want);
      json_decref (described);
    }

  {
    g_autoptr (OlSignature) sig = parse_ok ("(int32 a) -> void");
    g_assert_cmpint (ol__signature_return_type (sig), ==, OL_TYPE_VOID);
    g_assert_cmpstr (ol__signature_text (sig), ==, "(int32 a)");
    g_assert_cmpstr (ol__type_name (OL_TYPE_VOID), ==, "void");
  }
  {
    g_autoptr (OlSignature) sig = parse_ok ("(int32 a)");
    g_assert_cmpint (ol__signature_return_type (sig), ==, OL_TYPE_VOID);
  }
}

static void
test_parse_empty (void)
{
  static const char *const texts[] = { "()", "  (  )  ", "() -> void", "\t(\n)\n->\tvoid\n" };

  for (guint i = 0; i < G_N_ELEMENTS (texts); i++)
    {
      g_autoptr (OlSignature) sig = parse_ok (texts[i]);
      g_assert_cmpstr (ol__signature_text (sig), ==, "()");
      g_assert_cmpint (ol__signature_return_type (sig), ==, OL_TYPE_VOID);
    }
  {
    g_autoptr (OlSignature) sig = parse_ok ("(error) -> json");
    g_assert_cmpstr (ol__signature_text (sig), ==, "(error) -> json");
  }
}

static void
test_parse_whitespace (void)
{
  g_autoptr (OlSignature) sig =
    parse_ok ("  (int32   axis,double mm=0.5 ,\n error )->double  ");

  g_assert_cmpstr (ol__signature_text (sig), ==, "(int32 axis, double mm = 0.5, error) -> double");
  g_assert_cmpint (ol__signature_return_type (sig), ==, OL_TYPE_DOUBLE);
}

static void
test_parse_defaults (void)
{
  static const struct {
    const char *text;
    const char *canonical;
  } cases[] = {
    { "(int32 x = -5)", "(int32 x = -5)" },
    { "(int32 x = 2.0)", "(int32 x = 2.0)" },
    { "(int32 x = 2147483647)", "(int32 x = 2147483647)" },
    { "(int64 x = -9223372036854775808)", "(int64 x = -9223372036854775808)" },
    { "(uint32 x = 4294967295)", "(uint32 x = 4294967295)" },
    { "(uint64 x = 9223372036854775807)", "(uint64 x = 9223372036854775807)" },
    { "(double x = 1)", "(double x = 1)" },
    { "(double x = 0.1)", "(double x = 0.1)" },
    { "(double x = -1e300)", "(double x = -1e+300)" },
    { "(double x = 1.5e-7)", "(double x = 1.5e-07)" },
    { "(bool x = true, bool y = false)", "(bool x = true, bool y = false)" },
    { "(string x = \"a, b)\")", "(string x = \"a, b)\")" },
    { "(string x = \"q\\\"(,\\\\\")", "(string x = \"q\\\"(,\\\\\")" },
    { "(string x = \"\\u00e9\\n\")", "(string x = \"\xc3\xa9\\n\")" },
    { "(bytes x = \"aGVsbG8=\")", "(bytes x = \"aGVsbG8=\")" },
    { "(bytes x = \"\")", "(bytes x = \"\")" },
    { "(bytes x = { \"$base64\" : \"aGk=\" })", "(bytes x = {\"$base64\":\"aGk=\"})" },
    { "(json x = { \"a\": [1, 2, {\"b\": \")\"}], \"c\": null })",
      "(json x = {\"a\":[1,2,{\"b\":\")\"}],\"c\":null})" },
    { "(json x = null)", "(json x = null)" },
    { "(json x = [ ])", "(json x = [])" },
    { "(int32 a, int32 b = 1, json c = {}, error) -> int32",
      "(int32 a, int32 b = 1, json c = {}, error) -> int32" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (OlSignature) sig = parse_ok (cases[i].text);
      g_assert_cmpstr (ol__signature_text (sig), ==, cases[i].canonical);
    }
}

static void
test_parse_default_invalid (void)
{
  parse_fails ("(int32 x = \"s\")", "parameter 'x' expects int32, got string \"s\"");
  parse_fails ("(int32 x = 2.5)", "(not an integer)");
  parse_fails ("(int32 x = 2147483648)", "(out of range)");
  parse_fails ("(uint32 x = -1)", "parameter 'x' expects uint32, got -1 (out of range)");
  parse_fails ("(uint64 x = -1)", "(out of range)");
  parse_fails ("(double x = \"1\")", "expects double");
  parse_fails ("(bool x = 1)", "parameter 'x' expects bool, got integer 1");
  parse_fails ("(string x = null)", "parameter 'x' expects string, got null");
  parse_fails ("(string x = 5)", "expects string");
  parse_fails ("(bytes x = \"!!!!\")", "not valid base64");
  parse_fails ("(bytes x = {\"$frame\": 0})", "frame index out of range");
  parse_fails ("(bytes x = 5)", "expects bytes");
  parse_fails ("(int32 x = )", "expected a default value for 'x'");
  parse_fails ("(int32 x =, int32 y = 1)", "expected a default value");
  parse_fails ("(int32 x = [1)", "invalid default value");
  parse_fails ("(int32 x = 1 2)", "invalid default value");
  parse_fails ("(int32 x = abc)", "invalid default value");
  parse_fails ("(json x = {\"a\": 1, \"a\": 2})", "invalid default value");
  parse_fails ("(json x = \"unterminated)", NULL);
}

static void
test_parse_default_order (void)
{
  parse_fails ("(int32 a = 1, int32 b)",
               "parameter 'b' needs a default value because an earlier parameter has one");
  parse_fails ("(int32 a, int32 b = 1, string c, bool d = true)", "parameter 'c'");

  {
    /* a default followed by "error" is fine */
    g_autoptr (OlSignature) sig = parse_ok ("(int32 a = 1, error)");
    g_assert_cmpstr (ol__signature_text (sig), ==, "(int32 a = 1, error)");
  }
}

static void
test_parse_error_flag (void)
{
  parse_fails ("(error, int32 a)", "'error' must be the last parameter");
  parse_fails ("(error, error)", "'error' must be the last parameter");
  parse_fails ("(int32 a, error, int32 b) -> int32", "'error' must be the last parameter");
  parse_fails ("(error e)", "'error' takes no name or default");
  parse_fails ("(error = 1)", "'error' takes no name or default");

  {
    g_autoptr (OlSignature) sig = parse_ok ("(int32 a, error)");
    json_t *described = ol__signature_describe (sig);
    assert_json (described,
                 "{\"params\":[{\"name\":\"a\",\"type\":\"int32\"}],"
                 "\"returns\":\"void\",\"error\":true}");
    json_decref (described);
  }
}

static void
test_parse_garbage (void)
{
  static const struct {
    const char *text;
    const char *expected;
  } cases[] = {
    { "", "expected '(', got end of text at offset 0" },
    { "   ", "at offset 3" },
    { "int32 a", "expected '(', got 'int32'" },
    { "(", "expected a parameter type or 'error', got end of text" },
    { "(int32)", "expected a parameter name after 'int32', got ')'" },
    { "(int32 a", "expected ',' or ')', got end of text" },
    { "(int32 a,)", "expected a parameter type or 'error', got ')'" },
    { "(,)", "got ','" },
    { "(int33 a)", "unknown type 'int33' at offset 1" },
    { "(Int32 a)", "unknown type 'Int32'" },
    { "(int32a)", "unknown type 'int32a'" },
    { "(void a)", "'void' is not a parameter type" },
    { "(int32 1a)", "expected a parameter name after 'int32', got '1'" },
    { "(int32 a) ->", "expected a return type after '->', got end of text" },
    { "(int32 a) -> int33", "unknown return type 'int33'" },
    { "(int32 a) -> error", "unknown return type 'error'" },
    { "(int32 a) -> int32 extra", "unexpected 'extra' after the return type" },
    { "(int32 a) -> int32)", "unexpected ')' after the return type" },
    { "(int32 a) double", "expected '->' or end of text, got 'double'" },
    { "(int32 a) - > double", "expected '->' or end of text, got '-'" },
    { "(int32 a, int32 a)", "duplicate parameter name 'a'" },
    { "(int32 a b)", "expected ',' or ')', got 'b'" },
    { "((int32 a))", "got '('" },
    { "(int32 a;)", "got ';'" },
    { "(int32 \xc3\xa4)", "got byte 0xc3" },
    { "(int32 \xff)", "invalid signature \"(int32 \xef\xbf\xbd)\": expected a parameter name "
                      "after 'int32', got byte 0xff at offset 7" },
    { ") (", "expected '(', got ')'" },
    { "(int32 a)(int32 b)", "got '('" },
    { "(int32 a = 1 -> int32", "invalid default value" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    parse_fails (cases[i].text, cases[i].expected);
}

static void
test_parse_too_many (void)
{
  GString *text = g_string_new ("(");
  g_autoptr (GError) error = NULL;
  OlSignature *sig;

  for (int i = 0; i < 32; i++)
    g_string_append_printf (text, "%sint32 p%d", i > 0 ? ", " : "", i);

  {
    g_autofree char *ok = g_strdup_printf ("%s)", text->str);
    g_autofree char *ok_error = g_strdup_printf ("%s, error) -> int64", text->str);
    g_autoptr (OlSignature) sig32 = parse_ok (ok);
    g_autoptr (OlSignature) sig32e = parse_ok (ok_error);
    g_assert_cmpstr (ol__signature_text (sig32), ==, ok);
    g_assert_cmpstr (ol__signature_text (sig32e), ==, ok_error);
  }

  g_string_append (text, ", int32 p32)");
  sig = ol__signature_parse (text->str, &error);
  g_assert_null (sig);
  g_assert_error (error, OL_ERROR, OL_ERROR_SIGNATURE);
  g_assert_nonnull (strstr (error->message, "too many parameters (at most 32 are supported)"));
  g_string_free (text, TRUE);
}

static void
test_parse_round_trip (void)
{
  static const char *const texts[] = {
    "()",
    "(error)",
    "( int32 axis , double mm = 0.5 , error ) -> double",
    "(string name = \"a \\\"quoted\\\" \\t, name)\", bytes data = {\"$base64\":\"\"}) -> bytes",
    "(double a = 0.1, double b = 1e22, double c = -0.0, double d = 3, double e = 2.5e-300)",
    "(json j = {\"x\": [1.5, true, null, \"s\", {\"y\": {}}]}) -> json",
    "(uint64 big = 18446744073709549568.0, int64 small = -9223372036854775808)",
    "(bool b = false, uint32 u = 0) -> bool",
  };

  for (guint i = 0; i < G_N_ELEMENTS (texts); i++)
    {
      g_autoptr (OlSignature) first = parse_ok (texts[i]);
      g_autoptr (OlSignature) second = parse_ok (ol__signature_text (first));
      json_t *d1 = ol__signature_describe (first);
      json_t *d2 = ol__signature_describe (second);

      g_assert_cmpstr (ol__signature_text (first), ==, ol__signature_text (second));
      g_assert_cmpint (ol__signature_return_type (first), ==, ol__signature_return_type (second));
      g_assert_true (json_equal (d1, d2));
      json_decref (d1);
      json_decref (d2);
    }

  {
    g_autoptr (OlSignature) sig = parse_ok (texts[4]);
    g_assert_cmpstr (ol__signature_text (sig), ==,
                     "(double a = 0.1, double b = 1e+22, double c = -0.0, double d = 3, "
                     "double e = 2.5e-300)");
  }
}

static void
test_describe (void)
{
  g_autoptr (OlSignature) sig =
    parse_ok ("(int32 axis, double mm = 0.5, string unit = \"mm\", json opts = {\"a\": [1]}, "
              "bytes blob = \"aGk=\", error) -> double");
  json_t *described = ol__signature_describe (sig);
  json_t *again;

  assert_json (described,
               "{\"params\":["
               "{\"name\":\"axis\",\"type\":\"int32\"},"
               "{\"name\":\"mm\",\"type\":\"double\",\"default\":0.5},"
               "{\"name\":\"unit\",\"type\":\"string\",\"default\":\"mm\"},"
               "{\"name\":\"opts\",\"type\":\"json\",\"default\":{\"a\":[1]}},"
               "{\"name\":\"blob\",\"type\":\"bytes\",\"default\":\"aGk=\"}],"
               "\"returns\":\"double\",\"error\":true}");

  /* the description is a copy: changing it does not change the signature */
  json_object_set_new (json_object_get (json_array_get (json_object_get (described, "params"), 3),
                                        "default"),
                       "b", json_true ());
  json_decref (described);
  again = ol__signature_describe (sig);
  assert_json (json_object_get (json_array_get (json_object_get (again, "params"), 3), "default"),
               "{\"a\":[1]}");
  json_decref (again);

  {
    g_autoptr (OlSignature) empty = parse_ok ("()");
    json_t *d = ol__signature_describe (empty);
    assert_json (d, "{\"params\":[],\"returns\":\"void\",\"error\":false}");
    json_decref (d);
  }
}

static void
test_type_check (void)
{
  g_autoptr (GError) error = NULL;
  json_t *value;
  GPtrArray *frames = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);

  g_ptr_array_add (frames, g_bytes_new ("a", 1));

  value = load ("\"x\"");
  g_assert_false (ol__type_check_json (OL_TYPE_INT32, value, NULL, NULL, &error));
  g_assert_error (error, OL_ERROR, OL_ERROR_INVALID_ARGS);
  g_assert_cmpstr (error->message, ==, "expected int32, got string \"x\"");
  g_clear_error (&error);
  g_assert_false (ol__type_check_json (OL_TYPE_INT32, value, NULL, "axis", &error));
  g_assert_cmpstr (error->message, ==, "parameter 'axis' expects int32, got string \"x\"");
  g_clear_error (&error);
  g_assert_true (ol__type_check_json (OL_TYPE_STRING, value, NULL, "s", &error));
  g_assert_true (ol__type_check_json (OL_TYPE_JSON, value, NULL, "s", &error));
  g_assert_no_error (error);
  json_decref (value);

  value = load ("{\"$frame\": 0}");
  g_assert_true (ol__type_check_json (OL_TYPE_BYTES, value, frames, "b", &error));
  g_assert_no_error (error);
  g_assert_false (ol__type_check_json (OL_TYPE_BYTES, value, NULL, "b", &error));
  g_assert_error (error, OL_ERROR, OL_ERROR_INVALID_ARGS);
  g_assert_cmpstr (error->message, ==,
                   "parameter 'b' expects bytes, got object {\"$frame\":0} "
                   "(frame index out of range: 0 frames attached)");
  g_clear_error (&error);
  json_decref (value);

  value = load ("3000000000");
  g_assert_false (ol__type_check_json (OL_TYPE_INT32, value, NULL, "axis", &error));
  g_assert_cmpstr (error->message, ==, "parameter 'axis' expects int32, got 3000000000 (out of range)");
  g_clear_error (&error);
  g_assert_true (ol__type_check_json (OL_TYPE_UINT32, value, NULL, "axis", &error));
  g_assert_true (ol__type_check_json (OL_TYPE_INT64, value, NULL, "axis", &error));
  g_assert_true (ol__type_check_json (OL_TYPE_DOUBLE, value, NULL, "axis", &error));
  g_assert_no_error (error);
  json_decref (value);

  /* long values are shortened in messages */
  value = json_string ("");
  {
    g_autofree char *long_text = g_strnfill (500, 'z');
    json_string_set (value, long_text);
  }
  g_assert_false (ol__type_check_json (OL_TYPE_BOOL, value, NULL, "flag", &error));
  g_assert_true (g_str_has_suffix (error->message, "...") );
  g_assert_cmpuint (strlen (error->message), <, 120);
  g_clear_error (&error);
  json_decref (value);

  g_ptr_array_unref (frames);
}

/* ------------------------------------------------------------------------ */
/* Invocation: parameter types                                              */

static void
test_invoke_int32 (void)
{
  g_autoptr (OlSignature) sig = parse_ok ("(int32 x) -> int32");
  TestFn fn = FN (echo_int32);
  json_t *r;

  r = call (sig, fn, "[2147483647]", NULL);
  assert_integer_result (r, INT32_MAX);
  json_decref (r);
  r = call (sig, fn, "[-2147483648]", NULL);
  assert_integer_result (r, INT32_MIN);
  json_decref (r);
  r = call (sig, fn, "[-5]", NULL);
  assert_integer_result (r, -5);
  json_decref (r);
  r = call (sig, fn, "[2.0]", NULL);
  assert_integer_result (r, 2);
  json_decref (r);
  r = call (sig, fn, "[-2147483648.0]", NULL);
  assert_integer_result (r, INT32_MIN);
  json_decref (r);
  r = call (sig, fn, "[-0.0]", NULL);
  assert_integer_result (r, 0);
  json_decref (r);

  call_fails (sig, fn, "[2147483648]", NULL,
              "parameter 'x' expects int32, got 2147483648 (out of range)");
  call_fails (sig, fn, "[-2147483649]", NULL,
              "parameter 'x' expects int32, got -2147483649 (out of range)");
  call_fails (sig, fn, "[2147483648.0]", NULL,
              "parameter 'x' expects int32, got 2147483648.0 (out of range)");
  call_fails (sig, fn, "[3000000000]", NULL,
              "parameter 'x' expects int32, got 3000000000 (out of range)");
  call_fails (sig, fn, "[2.5]", NULL, "parameter 'x' expects int32, got 2.5 (not an integer)");
  call_fails (sig, fn, "[\"x\"]", NULL, "parameter 'x' expects int32, got string \"x\"");
  call_fails (sig, fn, "[true]", NULL, "parameter 'x' expects int32, got boolean true");
  call_fails (sig, fn, "[null]", NULL, "parameter 'x' expects int32, got null");
  call_fails (sig, fn, "[[1]]", NULL, "parameter 'x' expects int32, got array [1]");
  call_fails (sig, fn, "[{\"a\": 1}]", NULL, "parameter 'x' expects int32, got object {\"a\":1}");
}

static void
test_invoke_int64 (void)
{
  g_autoptr (OlSignature) sig = parse_ok ("(int64 x) -> int64");
  TestFn fn = FN (echo_int64);
  json_t *r;

  r = call (sig, fn, "[9223372036854775807]", NULL);
  assert_integer_result (r, INT64_MAX);
  json_decref (r);
  r = call (sig, fn, "[-9223372036854775808]", NULL);
  assert_integer_result (r, INT64_MIN);
  json_decref (r);
  r = call (sig, fn, "[-9223372036854775808.0]", NULL);
  assert_integer_result (r, INT64_MIN);
  json_decref (r);
  r = call (sig, fn, "[4611686018427387904.0]", NULL);
  assert_integer_result (r, INT64_C (4611686018427387904));
  json_decref (r);

  call_fails (sig, fn, "[9223372036854775808.0]", NULL,
              "parameter 'x' expects int64, got 9.223372036854776e+18 (out of range)");
  call_fails (sig, fn, "[1e300]", NULL, "parameter 'x' expects int64, got 1e+300 (out of range)");
  call_fails (sig, fn, "[0.5]", NULL, "parameter 'x' expects int64, got 0.5 (not an integer)");
  call_fails (sig, fn, "[\"1\"]", NULL, "parameter 'x' expects int64, got string \"1\"");
}

static void
test_invoke_uint32 (void)
{
  g_autoptr (OlSignature) sig = parse_ok ("(uint32 x) -> uint32");
  TestFn fn = FN (echo_uint32);
  json_t *r;

  r = call (sig, fn, "[4294967295]", NULL);
  assert_integer_result (r, UINT32_MAX); /* not -1: read as unsigned */
  json_decref (r);
  r = call (sig, fn, "[0]", NULL);
  assert_integer_result (r, 0);
  json_decref (r);
  r = call (sig, fn, "[4294967295.0]", NULL);
  assert_integer_result (r, UINT32_MAX);
  json_decref (r);

  call_fails (sig, fn, "[4294967296]", NULL,
              "parameter 'x' expects uint32, got 4294967296 (out of range)");
  call_fails (sig, fn, "[-1]", NULL, "parameter 'x' expects uint32, got -1 (out of range)");
  call_fails (sig, fn, "[-1.0]", NULL, "parameter 'x' expects uint32, got -1.0 (out of range)");
  call_fails (sig, fn, "[1.25]", NULL, "parameter 'x' expects uint32, got 1.25 (not an integer)");
}

static void
test_invoke_uint64 (void)
{
  g_autoptr (OlSignature) sig = parse_ok ("(uint64 x) -> uint64");
  g_autoptr (OlSignature) max_sig = parse_ok ("() -> uint64");
  TestFn fn = FN (echo_uint64);
  json_t *r;

  r = call (sig, fn, "[0]", NULL);
  assert_integer_result (r, 0);
  json_decref (r);
  r = call (sig, fn, "[9223372036854775807]", NULL);
  assert_integer_result (r, INT64_MAX);
  json_decref (r);

  /* reals beyond INT64_MAX reach the function, but cannot come back as JSON integers */
  call_fails_full (sig, fn, FALSE, NULL, "[9223372036854775808.0]", NULL, NULL,
                   OL_ERROR, OL_ERROR_FAILED,
                   "uint64 return value 9223372036854775808 exceeds the JSON integer range "
                   "(at most 9223372036854775807)");
  call_fails_full (max_sig, FN (max_uint64), FALSE, NULL, NULL, NULL, NULL,
                   OL_ERROR, OL_ERROR_FAILED,
                   "uint64 return value 18446744073709551615 exceeds the JSON integer range "
                   "(at most 9223372036854775807)");

  call_fails (sig, fn, "[-1]", NULL, "parameter 'x' expects uint64, got -1 (out of range)");
  call_fails (sig, fn, "[18446744073709551616.0]", NULL,
              "parameter 'x' expects uint64, got 1.8446744073709552e+19 (out of range)");
  call_fails (sig, fn, "[\"18446744073709551615\"]", NULL,
              "parameter 'x' expects uint64, got string \"18446744073709551615\"");
}

static void
test_invoke_double (void)
{
  g_autoptr (OlSignature) sig = parse_ok ("(double x) -> double");
  g_autoptr (OlSignature) nan_sig = parse_ok ("() -> double");
  TestFn fn = FN (echo_double);
  json_t *r;

  r = call (sig, fn, "[2.5]", NULL);
  g_assert_true (json_is_real (r));
  g_assert_cmpfloat (json_real_value (r), ==, 2.5);
  json_decref (r);
  r = call (sig, fn, "[3]", NULL);
  g_assert_true (json_is_real (r));
  g_assert_cmpfloat (json_real_value (r), ==, 3.0);
  json_decref (r);
  r = call (sig, fn, "[-1.7976931348623157e308]", NULL);
  g_assert_cmpfloat (json_real_value (r), ==, -DBL_MAX);
  json_decref (r);

  call_fails (sig, fn, "[\"2.5\"]", NULL, "parameter 'x' expects double, got string \"2.5\"");
  call_fails (sig, fn, "[false]", NULL, "parameter 'x' expects double, got boolean false");
  call_fails (sig, fn, "[null]", NULL, "parameter 'x' expects double, got null");

  call_fails_full (nan_sig, FN (nan_double), FALSE, NULL, NULL, NULL, NULL,
                   OL_ERROR, OL_ERROR_FAILED, NULL);
}

static void
test_invoke_bool (void)
{
  g_autoptr (OlSignature) sig = parse_ok ("(bool b) -> bool");
  json_t *r;

  r = call (sig, FN (not_bool), "[true]", NULL);
  g_assert_true (json_is_false (r));
  json_decref (r);
  r = call (sig, FN (not_bool), "[false]", NULL);
  g_assert_true (json_is_true (r));
  json_decref (r);
  r = call (sig, FN (echo_bool), "[true]", NULL);
  g_assert_true (json_is_true (r));
  json_decref (r);
  r = call (sig, FN (echo_bool), "[false]", NULL);
  g_assert_true (json_is_false (r));
  json_decref (r);

  call_fails (sig, FN (not_bool), "[1]", NULL, "parameter 'b' expects bool, got integer 1");
  call_fails (sig, FN (not_bool), "[0]", NULL, "parameter 'b' expects bool, got integer 0");
  call_fails (sig, FN (not_bool), "[\"true\"]", NULL,
              "parameter 'b' expects bool, got string \"true\"");
  call_fails (sig, FN (not_bool), "[null]", NULL, "parameter 'b' expects bool, got null");
}

static void
test_invoke_string (void)
{
  g_autoptr (OlSignature) sig = parse_ok ("(string s) -> string");
  g_autoptr (OlSignature) null_sig = parse_ok ("() -> string");
  g_autoptr (GError) error = NULL;
  json_t *args;
  OlValue out = { NULL, NULL };
  json_t *r;

  r = call (sig, FN (upper_string), "[\"h\xc3\xa9llo, w\"]", NULL);
  g_assert_cmpstr (json_string_value (r), ==, "H\xc3\x89LLO, W");
  json_decref (r);
  r = call (sig, FN (upper_string), "[\"\"]", NULL);
  g_assert_cmpstr (json_string_value (r), ==, "");
  json_decref (r);
  r = call (null_sig, FN (null_string), NULL, NULL);
  g_assert_true (json_is_null (r));
  json_decref (r);

  call_fails (sig, FN (upper_string), "[5]", NULL,
              "parameter 's' expects string, got integer 5");
  call_fails (sig, FN (upper_string), "[null]", NULL,
              "parameter 's' expects string, got null");

  /* embedded NUL */
  args = json_pack ("[s%]", "a\0b", (size_t) 3);
  g_assert_false (ol__signature_invoke (sig, FN (upper_string), FALSE, NULL, args, NULL,
                                        NULL, &out, &error));
  g_assert_error (error, OL_ERROR, OL_ERROR_INVALID_ARGS);
  g_assert_cmpstr (error->message, ==,
                   "parameter 's' expects string, got string \"a\\u0000b\" (contains a NUL character)");
  json_decref (args);

  call_fails_full (null_sig, FN (bad_utf8_string), FALSE, NULL, NULL, NULL, NULL,
                   OL_ERROR, OL_ERROR_FAILED, "function returned a string that is not valid UTF-8");
}

static void
test_invoke_bytes (void)
{
  g_autoptr (OlSignature) sig = parse_ok ("(bytes data) -> string");
  g_autoptr (OlSignature) size_sig = parse_ok ("(bytes data) -> int64");
  TestFn fn = FN (bytes_to_string);
  GPtrArray *frames = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  json_t *r;

  g_ptr_array_add (frames, g_bytes_new ("frame zero", 10));
  g_ptr_array_add (frames, g_bytes_new ("frame\0one", 9));

  r = call (sig, fn, "[\"aGVsbG8=\"]", NULL);
  g_assert_cmpstr (json_string_value (r), ==, "hello");
  json_decref (r);
  r = call (sig, fn, "[\"aGk=\"]", NULL);
  g_assert_cmpstr (json_string_value (r), ==, "hi");
  json_decref (r);
  r = call (sig, fn, "[\"YWJj\"]", NULL);
  g_assert_cmpstr (json_string_value (r), ==, "abc");
  json_decref (r);
  r = call (sig, fn, "[{\"$base64\": \"d29ybGQ=\"}]", NULL);
  g_assert_cmpstr (json_string_value (r), ==, "world");
  json_decref (r);
  r = call (size_sig, FN (bytes_size), "[\"\"]", NULL);
  assert_integer_result (r, 0);
  json_decref (r);
  r = call (sig, FN (bytes_hex), "[\"AAD/\"]", NULL);
  g_assert_cmpstr (json_string_value (r), ==, "0000ff");
  json_decref (r);

  r = call_full (sig, fn, FALSE, NULL, "[{\"$frame\": 0}]", NULL, frames);
  g_assert_cmpstr (json_string_value (r), ==, "frame zero");
  g_assert_true (seen_bytes == g_ptr_array_index (frames, 0));
  json_decref (r);
  r = call_full (size_sig, FN (bytes_size), FALSE, NULL, "[{\"$frame\": 1}]", NULL, frames);
  assert_integer_result (r, 9);
  g_assert_true (seen_bytes == g_ptr_array_index (frames, 1));
  json_decref (r);

  call_fails (sig, fn, "[\"!!!!\"]", NULL,
              "parameter 'data' expects bytes, got string \"!!!!\" (not valid base64)");
  call_fails (sig, fn, "[\"aGk\"]", NULL,
              "parameter 'data' expects bytes, got string \"aGk\" (not valid base64)");
  call_fails (sig, fn, "[\"a===\"]", NULL, NULL);
  call_fails (sig, fn, "[\"aG=k\"]", NULL, NULL);
  call_fails (sig, fn, "[\"aGVs bG8=\"]", NULL, NULL);
  call_fails (sig, fn, "[\"aGVsbG8=\\n\"]", NULL, NULL);
  call_fails (sig, fn, "[{\"$base64\": \"a?==\"}]", NULL,
              "parameter 'data' expects bytes, got object {\"$base64\":\"a?==\"} (not valid base64)");
  call_fails (sig, fn, "[{\"$base64\": 5}]", NULL,
              "parameter 'data' expects bytes, got object {\"$base64\":5} "
              "(\"$base64\" must be a string)");
  call_fails_full (sig, fn, FALSE, NULL, "[{\"$frame\": 2}]", NULL, frames,
                   OL_ERROR, OL_ERROR_INVALID_ARGS,
                   "parameter 'data' expects bytes, got object {\"$frame\":2} "
                   "(frame index out of range: 2 frames attached)");
  call_fails_full (sig, fn, FALSE, NULL, "[{\"$frame\": 0}]", NULL, NULL,
                   OL_ERROR, OL_ERROR_INVALID_ARGS,
                   "parameter 'data' expects bytes, got object {\"$frame\":0} "
                   "(frame index out of range: 0 frames attached)");
  call_fails_full (sig, fn, FALSE, NULL, "[{\"$frame\": -1}]", NULL, frames,
                   OL_ERROR, OL_ERROR_INVALID_ARGS,
                   "parameter 'data' expects bytes, got object {\"$frame\":-1} "
                   "(\"$frame\" must be a non-negative integer)");
  call_fails_full (sig, fn, FALSE, NULL, "[{\"$frame\": \"0\"}]", NULL, frames,
                   OL_ERROR, OL_ERROR_INVALID_ARGS, NULL);
  call_fails_full (sig, fn, FALSE, NULL, "[{\"$frame\": 0, \"x\": 1}]", NULL, frames,
                   OL_ERROR, OL_ERROR_INVALID_ARGS, NULL);
  call_fails (sig, fn, "[{\"other\": 1}]", NULL,
              "parameter 'data' expects bytes, got object {\"other\":1} "
              "(bytes are a base64 string, {\"$base64\": \"...\"} or {\"$frame\": N})");
  call_fails (sig, fn, "[5]", NULL, NULL);
  call_fails (sig, fn, "[null]", NULL, NULL);

  /* a converted bytes argument is released when a later argument fails */
  {
    g_autoptr (OlSignature) two = parse_ok ("(bytes a, int32 b) -> string");
    call_fails (two, fn, "[\"aGVsbG8=\", \"no\"]", NULL,
                "parameter 'b' expects int32, got string \"no\"");
  }

  g_ptr_array_unref (frames);
}

static void
test_invoke_json (void)
{
  g_autoptr (OlSignature) sig = parse_ok ("(json v) -> json");
  g_autoptr (OlSignature) null_sig = parse_ok ("() -> json");
  g_autoptr (GError) error = NULL;
  static const char *const values[] = {
    "null", "true", "1", "2.5", "\"s\"", "[1, [2]]", "{\"a\": {\"b\": null}}",
  };

  for (guint i = 0; i < G_N_ELEMENTS (values); i++)
    {
      g_autofree char *args = g_strdup_printf ("[%s]", values[i]);
      g_autofree char *want = g_strdup_printf ("{\"got\": %s}", values[i]);
      json_t *r = call (sig, FN (wrap_json), args, NULL);
      assert_json (r, want);
      json_decref (r);
    }

  /* passed borrowed: the function sees the very same json_t */
  {
    json_t *args = load ("[{\"k\": 1}]");
    OlValue out = { NULL, NULL };

    g_assert_true (ol__signature_invoke (sig, FN (wrap_json), FALSE, NULL, args, NULL,
                                         NULL, &out, &error));
    g_assert_no_error (error);
    g_assert_true (seen_json == json_array_get (args, 0));
    g_assert_true (json_object_get (out.json, "got") == seen_json);
    ol__value_clear (&out);
    g_assert_null (out.json);
    g_assert_cmpint (args->refcount, ==, 1);
    g_assert_cmpint (json_array_get (args, 0)->refcount, ==, 1);
    json_decref (args);
  }

  {
    json_t *r = call (null_sig, FN (null_json), NULL, NULL);
    g_assert_true (json_is_null (r));
    json_decref (r);
  }
}

static void
test_invoke_all_types (void)
{
  g_autoptr (OlSignature) sig =
    parse_ok ("(int32 a, int64 b, uint32 c, uint64 d, double e, bool f, string g, bytes h, "
              "json i) -> string");
  g_autoptr (OlSignature) doubles =
    parse_ok ("(double a, int32 b, double c, int64 d, double e, double f, double g, double h, "
              "double i, double j, int32 k, double l) -> double");
  g_autoptr (OlSignature) wide = NULL;
  json_t *r;

  r = call (sig, FN (all_types),
            "[-1, -9000000000, 4000000000, 9000000000000000000, 0.25, true, \"str\", "
            "\"Ynl0ZXM=\", {\"j\": [1]}]", NULL);
  g_assert_cmpstr (json_string_value (r), ==,
                   "-1|-9000000000|4000000000|9000000000000000000|0.25|T|str|bytes|{\"j\":[1]}");
  json_decref (r);

  r = call (doubles, FN (mixed_doubles),
            "[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12.5]", NULL);
  g_assert_cmpfloat (json_real_value (r), ==,
                     1 + 4 + 9 + 16 + 25 + 36 + 49 + 64 + 81 + 100 + 121 + 150);
  json_decref (r);

  {
    GString *text = g_string_new ("(");
    GString *args = g_string_new ("[");
    int64_t expected = 0;

    for (int n = 0; n < 32; n++)
      {
        int32_t v = (n % 2 ? -1 : 1) * (1000 + n);
        g_string_append_printf (text, "%sint32 p%d", n > 0 ? ", " : "", n);
        g_string_append_printf (args, "%s%d", n > 0 ? ", " : "", v);
        expected += (int64_t) (n + 1) * v;
      }
    g_string_append (text, ") -> int64");
    g_string_append (args, "]");
    wide = parse_ok (text->str);
    r = call (wide, FN (sum32), args->str, NULL);
    assert_integer_result (r, expected);
    json_decref (r);
    g_string_free (text, TRUE);
    g_string_free (args, TRUE);
  }
}

/* ------------------------------------------------------------------------ */
/* Invocation: return types                                                 */

static void
test_return_void (void)
{
  g_autoptr (OlSignature) sig = parse_ok ("(int32 n)");
  json_t *r;

  void_calls = 0;
  r = call (sig, FN (count_call), "[3]", NULL);
  g_assert_true (json_is_null (r));
  json_decref (r);
  r = call (sig, FN (count_call), NULL, "{\"n\": 4}");
  json_decref (r);
  g_assert_cmpint (void_calls, ==, 7);
}

static void
test_return_bytes (void)
{
  g_autoptr (OlSignature) sig = parse_ok ("(int32 n) -> bytes");
  g_autoptr (GError) error = NULL;
  json_t *args;
  OlValue out = { NULL, NULL };

  args = load ("[5]");
  g_assert_true (ol__signature_invoke (sig, FN (make_bytes), FALSE, NULL, args, NULL, NULL,
                                       &out, &error));
  g_assert_no_error (error);
  g_assert_null (out.json);
  g_assert_nonnull (out.bytes);
  g_assert_cmpmem (g_bytes_get_data (out.bytes, NULL), g_bytes_get_size (out.bytes), "xxxxx", 5);
  ol__value_clear (&out);
  g_assert_null (out.bytes);
  json_decref (args);

  args = load ("[0]");
  g_assert_true (ol__signature_invoke (sig, FN (make_bytes), FALSE, NULL, args, NULL, NULL,
                                       &out, &error));
  g_assert_nonnull (out.bytes);
  g_assert_cmpuint (g_bytes_get_size (out.bytes), ==, 0);
  ol__value_clear (&out);
  json_decref (args);

  args = load ("[-1]");
  g_assert_true (ol__signature_invoke (sig, FN (make_bytes), FALSE, NULL, args, NULL, NULL,
                                       &out, &error));
  g_assert_null (out.bytes);
  g_assert_true (json_is_null (out.json));
  ol__value_clear (&out);
  json_decref (args);

  {
    g_autoptr (OlSignature) null_sig = parse_ok ("() -> bytes");
    json_t *r = call (null_sig, FN (null_bytes), NULL, NULL);
    g_assert_true (json_is_null (r));
    json_decref (r);
  }
}

static void
test_return_numbers (void)
{
  g_autoptr (OlSignature) s32 = parse_ok ("(int32 x) -> int32");
  g_autoptr (OlSignature) u32 = parse_ok ("(uint32 x) -> uint32");
  g_autoptr (OlSignature) s64 = parse_ok ("(int64 x) -> int64");
  json_t *r;

  /* negative values are sign-extended, large unsigned ones are not */
  r = call (s32, FN (echo_int32), "[-1]", NULL);
  assert_integer_result (r, -1);
  json_decref (r);
  r = call (u32, FN (echo_uint32), "[2147483648]", NULL);
  assert_integer_result (r, 2147483648);
  json_decref (r);
  r = call (s64, FN (echo_int64), "[-4294967296]", NULL);
  assert_integer_result (r, -4294967296);
  json_decref (r);
}

/* ------------------------------------------------------------------------ */
/* Methods, binding, defaults                                               */

static void
test_invoke_method (void)
{
  g_autoptr (OlSignature) add = parse_ok ("(int32 delta) -> int32");
  g_autoptr (OlSignature) reset = parse_ok ("()");
  g_autoptr (OlSignature) checked = parse_ok ("(int32 delta = 1, error) -> int32");
  Counter a = { 0, NULL }, b = { 100, NULL };
  json_t *r;

  r = call_full (add, FN (counter_add), TRUE, &a, "[5]", NULL, NULL);
  assert_integer_result (r, 5);
  g_assert_true (a.self_seen == &a);
  json_decref (r);
  r = call_full (add, FN (counter_add), TRUE, &b, NULL, "{\"delta\": 2}", NULL);
  assert_integer_result (r, 102);
  g_assert_true (b.self_seen == &b);
  json_decref (r);
  r = call_full (add, FN (counter_add), TRUE, &a, "[-7]", NULL, NULL);
  assert_integer_result (r, -2);
  json_decref (r);
  g_assert_cmpint (a.total, ==, -2);
  g_assert_cmpint (b.total, ==, 102);

  r = call_full (checked, FN (counter_checked_add), TRUE, &b, NULL, NULL, NULL);
  assert_integer_result (r, 103);
  json_decref (r);
  call_fails_full (checked, FN (counter_checked_add), TRUE, &b, "[-3]", NULL, NULL,
                   TEST_ERROR, 7, "delta -3 is negative");
  g_assert_cmpint (b.total, ==, 103);

  a.self_seen = NULL;
  r = call_full (reset, FN (counter_reset), TRUE, &a, "[]", "{}", NULL);
  g_assert_true (json_is_null (r));
  g_assert_true (a.self_seen == &a);
  g_assert_cmpint (a.total, ==, 0);
  json_decref (r);

  /* binding errors count the signature's parameters, not self */
  call_fails_full (add, FN (counter_add), TRUE, &a, "[1, 2]", NULL, NULL,
                   OL_ERROR, OL_ERROR_INVALID_ARGS,
                   "too many positional arguments: expected at most 1, got 2");
}

static void
test_invoke_kwargs (void)
{
  g_autoptr (OlSignature) sig = parse_ok ("(int32 a, int32 b, int32 c) -> int32");
  TestFn fn = FN (abc);
  json_t *r;

  r = call (sig, fn, "[1, 2, 3]", NULL);
  assert_integer_result (r, 123);
  json_decref (r);
  r = call (sig, fn, "[1]", "{\"c\": 3, \"b\": 2}");
  assert_integer_result (r, 123);
  json_decref (r);
  r = call (sig, fn, NULL, "{\"c\": 6, \"a\": 4, \"b\": 5}");
  assert_integer_result (r, 456);
  json_decref (r);
  r = call (sig, fn, "[7, 8]", "{\"c\": 9}");
  assert_integer_result (r, 789);
  json_decref (r);
  r = call (sig, fn, "[7, 8, 9]", "{}");
  assert_integer_result (r, 789);
  json_decref (r);
}

static void
test_invoke_defaults (void)
{
  g_autoptr (OlSignature) sig = parse_ok ("(int32 a, int32 b = 5, int32 c = 7) -> int32");
  g_autoptr (OlSignature) all = parse_ok ("(int32 a = 1, int64 b = -2, uint32 c = 3, uint64 d = 4, "
                                         "double e = 0.5, bool f = true, string g = \"dflt\", "
                                         "bytes h = \"aGk=\", json i = [null]) -> string");
  g_autoptr (OlSignature) bytes_default = parse_ok ("(bytes data = {\"$base64\": \"aGVsbG8=\"}) -> string");
  TestFn fn = FN (abc);
  json_t *r;

  r = call (sig, fn, "[1]", NULL);
  assert_integer_result (r, 157);
  json_decref (r);
  r = call (sig, fn, "[1, 2]", NULL);
  assert_integer_result (r, 127);
  json_decref (r);
  r = call (sig, fn, NULL, "{\"a\": 1, \"c\": 9}");
  assert_integer_result (r, 159);
  json_decref (r);
  r = call (sig, fn, "[3]", "{\"c\": 0}");
  assert_integer_result (r, 350);
  json_decref (r);

  r = call (all, FN (all_types), NULL, NULL);
  g_assert_cmpstr (json_string_value (r), ==, "1|-2|3|4|0.5|T|dflt|hi|[null]");
  json_decref (r);
  r = call (all, FN (all_types), "[9]", "{\"i\": {}, \"g\": \"given\"}");
  g_assert_cmpstr (json_string_value (r), ==, "9|-2|3|4|0.5|T|given|hi|{}");
  json_decref (r);

  for (int n = 0; n < 3; n++)
    {
      r = call (bytes_default, FN (bytes_to_string), NULL, NULL);
      g_assert_cmpstr (json_string_value (r), ==, "hello");
      json_decref (r);
    }
}

static void
test_invoke_binding_errors (void)
{
  g_autoptr (OlSignature) sig = parse_ok ("(int32 a, int32 b, int32 c = 3) -> int32");
  g_autoptr (OlSignature) none = parse_ok ("() -> int32");
  TestFn fn = FN (abc);

  call_fails (sig, fn, "[1, 2, 3, 4]", NULL,
              "too many positional arguments: expected at most 3, got 4");
  call_fails (none, fn, "[1]", NULL, "too many positional arguments: expected at most 0, got 1");
  call_fails (sig, fn, "[1, 2]", "{\"foo\": 1}", "unexpected keyword argument 'foo'");
  call_fails (none, fn, NULL, "{\"a\": 1}", "unexpected keyword argument 'a'");
  call_fails (sig, fn, "[1]", NULL, "missing argument 'b'");
  call_fails (sig, fn, NULL, "{\"c\": 1}", "missing arguments 'a', 'b'");
  call_fails (sig, fn, "[]", NULL, "missing arguments 'a', 'b'");
  call_fails (sig, fn, "[\"x\"]", NULL, "missing argument 'b'");
  call_fails (sig, fn, "[1, 2]", "{\"a\": 1}", "parameter 'a' given both by position and by keyword");
  call_fails (sig, fn, "[1, 2, 3]", "{\"c\": 1}",
              "parameter 'c' given both by position and by keyword");
  call_fails (sig, fn, "{\"a\": 1}", NULL,
              "positional arguments must be a JSON array, got object {\"a\":1}");
  call_fails (sig, fn, "[1, 2]", "[3]", "keyword arguments must be a JSON object, got array [3]");
  /* null is a value, not a missing argument */
  call_fails (sig, fn, "[1, 2, null]", NULL, "parameter 'c' expects int32, got null");
  /* a key that only starts with a parameter's name does not match it */
  {
    g_autoptr (GError) error = NULL;
    json_t *kwargs = json_object ();
    json_t *args = load ("[1, 2]");
    OlValue out = { NULL, NULL };

    json_object_setn_new (kwargs, "c\0x", 3, json_integer (1));
    g_assert_false (ol__signature_invoke (sig, fn, FALSE, NULL, args, kwargs, NULL, &out, &error));
    g_assert_error (error, OL_ERROR, OL_ERROR_INVALID_ARGS);
    g_assert_cmpstr (error->message, ==, "unexpected keyword argument 'c'");
    json_decref (kwargs);
    json_decref (args);
  }
  /* the error flag is not a parameter */
  {
    g_autoptr (OlSignature) with_error = parse_ok ("(int32 x, error) -> string");
    call_fails (with_error, FN (maybe_fail), "[1]", "{\"error\": null}",
                "unexpected keyword argument 'error'");
    call_fails (with_error, FN (maybe_fail), "[1, 2]", NULL,
                "too many positional arguments: expected at most 1, got 2");
  }
}

/* ------------------------------------------------------------------------ */
/* Error flag                                                               */

static void
test_invoke_error_flag (void)
{
  g_autoptr (OlSignature) sig = parse_ok ("(int32 x, error) -> string");
  g_autoptr (OlSignature) bytes_sig = parse_ok ("(error) -> bytes");
  g_autoptr (OlSignature) json_sig = parse_ok ("(error) -> json");
  g_autoptr (OlSignature) void_sig = parse_ok ("(int32 x, error)");
  json_t *r;

  r = call (sig, FN (maybe_fail), "[4]", NULL);
  g_assert_cmpstr (json_string_value (r), ==, "ok 4");
  json_decref (r);
  call_fails_full (sig, FN (maybe_fail), FALSE, NULL, "[-4]", NULL, NULL,
                   TEST_ERROR, 42, "x must not be negative, got -4");

  call_fails_full (bytes_sig, FN (bytes_fail), FALSE, NULL, NULL, NULL, NULL,
                   TEST_ERROR, 1, "bytes failed");
  call_fails_full (json_sig, FN (json_fail), FALSE, NULL, NULL, NULL, NULL,
                   OTHER_ERROR, 3, "json failed");

  r = call (void_sig, FN (void_fail), "[0]", NULL);
  g_assert_true (json_is_null (r));
  json_decref (r);
  call_fails_full (void_sig, FN (void_fail), FALSE, NULL, "[9]", NULL, NULL,
                   TEST_ERROR, 9, "code 9");

  /* invoke's own errors still come first */
  call_fails (sig, FN (maybe_fail), "[\"x\"]", NULL,
              "parameter 'x' expects int32, got string \"x\"");
}

/* ------------------------------------------------------------------------ */
/* Threads                                                                  */

#define N_THREADS 4
#define N_CALLS 10000

typedef struct {
  const OlSignature *sig;
  int index;
  int failures;
} ThreadData;

static gpointer
thread_main (gpointer user_data)
{
  ThreadData *data = user_data;

  for (int j = 0; j < N_CALLS; j++)
    {
      g_autoptr (GError) error = NULL;
      OlValue out = { NULL, NULL };
      json_t *args = json_pack ("[i]", j);
      json_t *kwargs = NULL;
      int64_t expected;

      switch (j % 3)
        {
        case 0: /* defaults: b = 7, data = "aGk=" (2 bytes), tag = "t" */
          expected = (int64_t) j * 7 + 2 + 1;
          break;
        case 1:
          kwargs = json_pack ("{s:i, s:s}", "b", data->index, "tag", "thread");
          expected = (int64_t) j * data->index + 2 + 6;
          break;
        default:
          kwargs = json_pack ("{s:s}", "data", "AAAAAAAA");
          expected = (int64_t) j * 7 + 6 + 1;
          break;
        }

      if (!ol__signature_invoke (data->sig, FN (threaded_fn), FALSE, NULL, args, kwargs,
                                 NULL, &out, &error)
          || !json_is_integer (out.json) || json_integer_value (out.json) != expected)
        data->failures++;
      ol__value_clear (&out);
      json_decref (args);
      json_decref (kwargs);
    }
  return NULL;
}

static void
test_invoke_threads (void)
{
  g_autoptr (OlSignature) sig =
    parse_ok ("(int32 a, int32 b = 7, bytes data = \"aGk=\", string tag = \"t\") -> int64");
  GThread *threads[N_THREADS];
  ThreadData data[N_THREADS];

  for (int i = 0; i < N_THREADS; i++)
    {
      data[i] = (ThreadData) { sig, i + 2, 0 };
      threads[i] = g_thread_new ("signature-test", thread_main, &data[i]);
    }
  for (int i = 0; i < N_THREADS; i++)
    {
      g_thread_join (threads[i]);
      g_assert_cmpint (data[i].failures, ==, 0);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/router/signature/parse/types", test_parse_types);
  g_test_add_func ("/router/signature/parse/empty", test_parse_empty);
  g_test_add_func ("/router/signature/parse/whitespace", test_parse_whitespace);
  g_test_add_func ("/router/signature/parse/defaults", test_parse_defaults);
  g_test_add_func ("/router/signature/parse/default-invalid", test_parse_default_invalid);
  g_test_add_func ("/router/signature/parse/default-order", test_parse_default_order);
  g_test_add_func ("/router/signature/parse/error-flag", test_parse_error_flag);
  g_test_add_func ("/router/signature/parse/garbage", test_parse_garbage);
  g_test_add_func ("/router/signature/parse/too-many", test_parse_too_many);
  g_test_add_func ("/router/signature/parse/round-trip", test_parse_round_trip);
  g_test_add_func ("/router/signature/describe", test_describe);
  g_test_add_func ("/router/signature/type-check", test_type_check);
  g_test_add_func ("/router/signature/invoke/int32", test_invoke_int32);
  g_test_add_func ("/router/signature/invoke/int64", test_invoke_int64);
  g_test_add_func ("/router/signature/invoke/uint32", test_invoke_uint32);
  g_test_add_func ("/router/signature/invoke/uint64", test_invoke_uint64);
  g_test_add_func ("/router/signature/invoke/double", test_invoke_double);
  g_test_add_func ("/router/signature/invoke/bool", test_invoke_bool);
  g_test_add_func ("/router/signature/invoke/string", test_invoke_string);
  g_test_add_func ("/router/signature/invoke/bytes", test_invoke_bytes);
  g_test_add_func ("/router/signature/invoke/json", test_invoke_json);
  g_test_add_func ("/router/signature/invoke/all-types", test_invoke_all_types);
  g_test_add_func ("/router/signature/return/void", test_return_void);
  g_test_add_func ("/router/signature/return/bytes", test_return_bytes);
  g_test_add_func ("/router/signature/return/numbers", test_return_numbers);
  g_test_add_func ("/router/signature/invoke/method", test_invoke_method);
  g_test_add_func ("/router/signature/invoke/kwargs", test_invoke_kwargs);
  g_test_add_func ("/router/signature/invoke/defaults", test_invoke_defaults);
  g_test_add_func ("/router/signature/invoke/binding-errors", test_invoke_binding_errors);
  g_test_add_func ("/router/signature/invoke/error-flag", test_invoke_error_flag);
  g_test_add_func ("/router/signature/invoke/threads", test_invoke_threads);

  return g_test_run ();
}
