/* Reals written in their shortest form (ol_json_dumps): the digits, the
 * layout of every flag as jansson's, and the round trip. */
#include <math.h>
#include <string.h>

#include "core/json.h"

static void
s_assert_real (double x, const char *expected)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE + 4];
  g_autoptr (json_t) v = json_real (x);
  g_autofree char *dumped = ol_json_dumps (v, JSON_ENCODE_ANY);

  ol__json_format_real (buf, sizeof buf, x);
  g_assert_cmpstr (buf, ==, expected);
  g_assert_cmpstr (dumped, ==, expected);
}

static void
test_shortest (void)
{
  s_assert_real (1.15, "1.15");
  s_assert_real (0.1 + 0.2, "0.30000000000000004");
  s_assert_real (2.0, "2.0");
  s_assert_real (-0.0, "-0.0");
  s_assert_real (100.0, "100.0");
  s_assert_real (1e20, "1e20");
  s_assert_real (1e-7, "1e-7");
  s_assert_real (-2.5e-300, "-2.5e-300");
  s_assert_real (1.7976931348623157e308, "1.7976931348623157e308");
  s_assert_real (5e-324, "5e-324");
  s_assert_real (1.0 / 3.0, "0.3333333333333333");
  s_assert_real (123456789012345680.0, "1.2345678901234568e17");
}

/* Random doubles read back equal. */
static void
test_round_trip (void)
{
  for (int i = 0; i < 20000; i++)
    {
      guint64 bits = ((guint64) g_random_int () << 32) | g_random_int ();
      double x;
      char buf[G_ASCII_DTOSTR_BUF_SIZE + 4];
      g_autoptr (json_t) back = NULL;

      memcpy (&x, &bits, sizeof x);
      if (!isfinite (x))
        continue;
      ol__json_format_real (buf, sizeof buf, x);
      back = json_loads (buf, JSON_DECODE_ANY, NULL);
      g_assert_nonnull (back);
      g_assert_true (json_is_real (back));
      g_assert_true (json_real_value (back) == x);
    }
}

/* The layout of every flag is jansson's: reals that jansson writes short
 * already come out the same. */
static void
test_layout (void)
{
  static const size_t flags[] = { 0, JSON_COMPACT, JSON_INDENT (2), JSON_INDENT (2) | JSON_SORT_KEYS,
                                  JSON_COMPACT | JSON_SORT_KEYS, JSON_ENSURE_ASCII,
                                  JSON_INDENT (3) | JSON_COMPACT, JSON_ESCAPE_SLASH };
  g_autoptr (json_t) v = json_loads (
    "{\"z\": [1, 2.5, [], {}, [0.5, {\"b\": 1e20, \"a\": null}]], \"a/b\": \"\\u00e9\\n\\u0001\","
    " \"m\": {\"x\": -0.25, \"y\": true, \"w\": false}, \"e\": 2.0}", 0, NULL);
  g_autoptr (json_t) no_reals = json_loads ("{\"b\": [1, \"x\", {}], \"a\": {\"c\": [true]}}",
                                            0, NULL);

  g_assert_nonnull (v);
  for (gsize i = 0; i < G_N_ELEMENTS (flags); i++)
    {
      g_autofree char *ours = ol_json_dumps (v, flags[i]);
      g_autofree char *theirs = json_dumps (v, flags[i]);
      g_autofree char *ours_plain = ol_json_dumps (no_reals, flags[i]);
      g_autofree char *theirs_plain = json_dumps (no_reals, flags[i]);

      g_assert_cmpstr (ours, ==, theirs);
      g_assert_cmpstr (ours_plain, ==, theirs_plain);
    }
  {
    g_autoptr (json_t) arr = json_pack ("[f, f]", 1.15, 2.0);
    g_autofree char *text = ol_json_dumps (arr, JSON_COMPACT);
    g_autoptr (json_t) real = json_real (1.5);

    g_assert_cmpstr (text, ==, "[1.15,2.0]");
    g_assert_null (ol_json_dumps (real, 0)); /* a bare value needs JSON_ENCODE_ANY */
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/core/json/shortest", test_shortest);
  g_test_add_func ("/core/json/round-trip", test_round_trip);
  g_test_add_func ("/core/json/layout", test_layout);
  return g_test_run ();
}
