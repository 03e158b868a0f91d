/* Fuzz target of the signature parser (router/signature.h): on any text
 * (up to its first NUL), a parsed signature's canonical text parses again to
 * the same canonical text and description, and a refusal is an
 * OL_ERROR_SIGNATURE. Aborts on a failure, with the text on stderr.
 *
 * Built for libFuzzer with -Dfuzz=true (./run fuzz), and in every build as
 * signature-fuzz-replay (replay_main.c), which replays
 * tests/fuzz/corpus/signature/. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oneliner/error.h"
#include "router/signature.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static void
s_fail (const char *text, const char *what)
{
  g_autofree char *shown = g_strescape (text, NULL);

  fprintf (stderr, "signature-fuzz: %s\ntext: %s\n", what, shown);
  abort ();
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autofree char *text = g_strndup ((const char *) data, size);
  g_autoptr (GError) error = NULL;
  g_autoptr (OlSignature) sig = ol__signature_parse (text, &error);

  if (sig == NULL)
    {
      if (error == NULL || !g_error_matches (error, OL_ERROR, OL_ERROR_SIGNATURE))
        s_fail (text, "the parser refused without an OL_ERROR_SIGNATURE");
      return 0;
    }
  {
    const char *canonical = ol__signature_text (sig);
    g_autoptr (GError) again_error = NULL;
    g_autoptr (OlSignature) again = ol__signature_parse (canonical, &again_error);
    json_t *a, *b;

    if (again == NULL)
      s_fail (text, again_error->message);
    if (strcmp (ol__signature_text (again), canonical) != 0)
      s_fail (text, "the canonical text does not parse to itself");
    if (ol__signature_return_type (again) != ol__signature_return_type (sig))
      s_fail (text, "the canonical text has another return type");
    a = ol__signature_describe (sig);
    b = ol__signature_describe (again);
    if (!json_equal (a, b))
      s_fail (text, "the canonical text describes another signature");
    json_decref (a);
    json_decref (b);
  }
  return 0;
}
