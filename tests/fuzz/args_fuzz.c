/* Fuzz target of the conversion of JSON arguments to C (router/signature.h,
 * ol__signature_invoke): fuzzed args and kwargs bound to fixed signatures
 * that cover every parameter and return type, and called through libffi on
 * dummy functions. The first signature's function echoes what it received
 * as JSON: calling it again with that echo as kwargs, or as args, must give
 * the same echo; and a value given for one of its parameters is taken
 * exactly when ol__type_check_json() takes it. A refusal is an OL_ERROR. Aborts on a failure, with the
 * input on stderr.
 *
 * Input: byte 0 picks the signature; the rest is a JSON text: [ARGS, KWARGS]
 * (an array or null, then an object or null), else an object (kwargs), else
 * anything (args).
 *
 * Built for libFuzzer with -Dfuzz=true (./run fuzz), and in every build as
 * args-fuzz-replay (replay_main.c), which replays tests/fuzz/corpus/args/. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oneliner/error.h"
#include "router/signature.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static int self_marker;
static const char *input_shown;

static void
s_fail (const char *what)
{
  fprintf (stderr, "args-fuzz: %s\ninput: %s\n", what, input_shown ? input_shown : "");
  abort ();
}

static void
s_self (void *self)
{
  if (self != &self_marker)
    s_fail ("a method received another instance");
}

static json_t *
f_echo (int32_t a, int64_t b, uint32_t c, uint64_t d, double e, bool f, const char *g,
        GBytes *h, json_t *i, GError **error)
{
  gsize len;
  const guint8 *bytes = g_bytes_get_data (h, &len);
  g_autofree char *b64 = g_base64_encode (bytes, len);

  (void) error;
  return json_pack ("{si sI sI so sf sb ss s{ss} sO}", "a", (int) a, "b", (json_int_t) b,
                    "c", (json_int_t) c,
                    "d", d > INT64_MAX ? json_real ((double) d) : json_integer ((json_int_t) d),
                    "e", e, "f", (int) f, "g", g, "h", "$base64", b64,
                    "i", i != NULL ? i : json_null ());
}

static char *
f_text (void *self, int32_t a, double b, const char *s)
{
  s_self (self);
  return g_strdup_printf ("%d %g %s", (int) a, b, s);
}

static uint64_t
f_u64 (uint64_t n, bool flag)
{
  return flag ? n : ~n;
}

static GBytes *
f_bytes (void *self, GBytes *data)
{
  s_self (self);
  return g_bytes_get_size (data) > 0 ? g_bytes_ref (data) : NULL;
}

static void
f_void (void)
{
}

static int32_t
f_i32 (json_t *j, int64_t k)
{
  return (int32_t) (json_is_null (j) ? k : k / 2);
}

static double
f_double (uint32_t u, GError **error)
{
  if (u == 7)
    g_set_error (error, OL_ERROR, OL_ERROR_INVALID_ARGS, "7 is refused");
  return u / 3.0;
}

static bool
f_bool (const char *a, const char *b, json_t *c)
{
  return strlen (a) > strlen (b) && c != NULL;
}

static int64_t
f_i64 (int64_t x)
{
  return x;
}

static uint32_t
f_u32 (uint32_t x, int32_t y)
{
  return x ^ (uint32_t) y;
}

static json_t *
f_json (void *self, json_t *j)
{
  s_self (self);
  return json_incref (j);
}

typedef struct {
  const char *text;
  void (*fn) (void);
  gboolean with_self;
} Fixed;

#define FN(f) ((void (*) (void)) (f))

static const Fixed fixed[] = {
  { "(int32 a = 0, int64 b = 0, uint32 c = 0, uint64 d = 0, double e = 0, bool f = false, "
    "string g = \"\", bytes h = \"\", json i = null, error) -> json", FN (f_echo), FALSE },
  { "(int32 a = 1, double b = 2.5, string s = \"x\") -> string", FN (f_text), TRUE },
  { "(uint64 n, bool flag = false) -> uint64", FN (f_u64), FALSE },
  { "(bytes data) -> bytes", FN (f_bytes), TRUE },
  { "() -> void", FN (f_void), FALSE },
  { "(json j = null, int64 k = -5) -> int32", FN (f_i32), FALSE },
  { "(uint32 u, error) -> double", FN (f_double), FALSE },
  { "(string a, string b = \"\", json c = {\"k\": [1, 2]}) -> bool", FN (f_bool), FALSE },
  { "(int64 x) -> int64", FN (f_i64), FALSE },
  { "(uint32 x, int32 y = -1) -> uint32", FN (f_u32), FALSE },
  { "(json j) -> json", FN (f_json), TRUE },
};
#define N_FIXED G_N_ELEMENTS (fixed)

static OlSignature *sigs[N_FIXED];
static GPtrArray *frames;

static void
s_setup (void)
{
  if (frames != NULL)
    return;
  for (guint i = 0; i < N_FIXED; i++)
    {
      GError *error = NULL;

      if ((sigs[i] = ol__signature_parse (fixed[i].text, &error)) == NULL)
        {
          input_shown = fixed[i].text;
          s_fail (error->message);
        }
    }
  frames = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  g_ptr_array_add (frames, g_bytes_new_static ("", 0));
  g_ptr_array_add (frames, g_bytes_new_static ("\0\1\2", 3));
}

/* Calls signature k; returns whether it succeeded, the result in *out. */
static gboolean
s_invoke (guint k, json_t *args, json_t *kwargs, OlValue *out)
{
  GError *error = NULL;
  gboolean ok = ol__signature_invoke (sigs[k], fixed[k].fn, fixed[k].with_self, &self_marker,
                                      args, kwargs, frames, out, &error);

  if (ok != (error == NULL))
    s_fail ("the call's result and its error disagree");
  if (!ok && error->domain != OL_ERROR)
    s_fail ("a refusal that is not an OL_ERROR");
  if (ok && (out->json == NULL) == (out->bytes == NULL))
    s_fail ("a result that is not exactly one of JSON and bytes");
  g_clear_error (&error);
  return ok;
}

/* The echo given back as kwargs, then as args in the parameters' order. */
static void
s_check_echo (json_t *echo)
{
  static const char *const names[] = { "a", "b", "c", "d", "e", "f", "g", "h", "i" };
  json_t *args = json_array ();
  OlValue again = { 0 };

  if (!s_invoke (0, NULL, echo, &again) || !json_equal (again.json, echo))
    s_fail ("the echo given back as kwargs is not taken as the same values");
  ol__value_clear (&again);
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    json_array_append (args, json_object_get (echo, names[i]));
  if (!s_invoke (0, args, NULL, &again) || !json_equal (again.json, echo))
    s_fail ("the echo given back as args is not taken as the same values");
  ol__value_clear (&again);
  json_decref (args);
}

/* The input's value for each parameter of the echo on its own: the call
 * takes it exactly when ol__type_check_json() does. */
static void
s_check_types (json_t *value)
{
  static const struct {
    const char *name;
    OlType type;
  } params[] = {
    { "a", OL_TYPE_INT32 }, { "b", OL_TYPE_INT64 }, { "c", OL_TYPE_UINT32 },
    { "d", OL_TYPE_UINT64 }, { "e", OL_TYPE_DOUBLE }, { "f", OL_TYPE_BOOL },
    { "g", OL_TYPE_STRING }, { "h", OL_TYPE_BYTES }, { "i", OL_TYPE_JSON },
  };

  for (guint i = 0; i < G_N_ELEMENTS (params); i++)
    {
      json_t *kwargs = json_pack ("{sO}", params[i].name, value);
      GError *error = NULL;
      gboolean checked = ol__type_check_json (params[i].type, value, frames, params[i].name,
                                              &error);
      OlValue out = { 0 };

      if (checked != (error == NULL))
        s_fail ("the type check's result and its error disagree");
      if (s_invoke (0, NULL, kwargs, &out) != checked)
        s_fail (checked ? "the call refused a value the type check takes"
                        : "the call took a value the type check refuses");
      ol__value_clear (&out);
      g_clear_error (&error);
      json_decref (kwargs);
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autofree char *shown = NULL;
  json_t *json, *args = NULL, *kwargs = NULL;
  OlValue out = { 0 };
  guint k;

  if (size == 0)
    return 0;
  s_setup ();
  k = data[0] % N_FIXED;
  json = json_loadb ((const char *) data + 1, size - 1, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
  if (json == NULL)
    return 0;
  shown = json_dumps (json, JSON_COMPACT | JSON_ENCODE_ANY);
  input_shown = shown;
  if (json_is_array (json) && json_array_size (json) == 2
      && (json_is_array (json_array_get (json, 0)) || json_is_null (json_array_get (json, 0)))
      && (json_is_object (json_array_get (json, 1)) || json_is_null (json_array_get (json, 1))))
    {
      args = json_is_null (json_array_get (json, 0)) ? NULL : json_array_get (json, 0);
      kwargs = json_is_null (json_array_get (json, 1)) ? NULL : json_array_get (json, 1);
    }
  else if (json_is_object (json))
    kwargs = json;
  else
    args = json;
  if (s_invoke (k, args, kwargs, &out) && k == 0)
    s_check_echo (out.json);
  if (k == 0)
    s_check_types (json);
  ol__value_clear (&out);
  json_decref (json);
  input_shown = NULL;
  return 0;
}
