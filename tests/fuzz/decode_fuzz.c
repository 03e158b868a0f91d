/* Fuzz target of the request decoders: on any bytes, the contract of
 * router/request.h (tests/decode_check.h), and the general decoder's
 * attachment limit. Aborts on a failure, with the text on stderr.
 *
 * Built for libFuzzer with -Dfuzz=true (./run fuzz), and in every build as
 * decode-fuzz-replay (replay_main.c), which replays tests/fuzz/corpus/decode/. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oneliner/json.h"
#include "tests/decode_check.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static void
s_fail (const char *text, size_t len, const char *what)
{
  g_autofree char *shown = dc_show (text, len, 4096);

  fprintf (stderr, "decode-fuzz: %s\ntext (%zu bytes): %s\n", what, len, shown);
  abort ();
}

/* The general decoder's request as text, flags and id included. */
static char *
s_general_text (const OlRequest *r)
{
  g_autoptr (GString) out = g_string_new (NULL);
  g_autofree char *id = r->id ? json_dumps (r->id, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;

  ol__request_append (out, r, 0, NULL);
  g_string_append_printf (out, " id=%s enabled=%d", id ? id : "absent", r->enabled);
  return g_strdup (out->str);
}

/* The general decoder with n attachments (truncated: more than could be
 * received): the same as with none when n is within OL_WIRE_MAX_ATTACHMENTS,
 * else refused. */
static void
s_check_attachments (const char *text, size_t len, int n, gboolean truncated)
{
  OlRequest none = { 0 }, with = { 0 };
  g_autoptr (GError) e_none = NULL;
  g_autoptr (GError) e_with = NULL;
  gboolean ok_none = ol__request_decode (&none, text, len, 0, FALSE, &e_none);
  gboolean ok_with = ol__request_decode (&with, text, len, n, truncated, &e_with);
  gboolean over = truncated || n > OL_WIRE_MAX_ATTACHMENTS;

  if (over && ok_with)
    s_fail (text, len, "the general decoder took too many attachments");
  if (!over && ok_with != ok_none)
    s_fail (text, len, "attachments changed whether the general decoder takes the text");
  if (!over && ok_none)
    {
      g_autofree char *a = s_general_text (&none);
      g_autofree char *b = s_general_text (&with);
      if (strcmp (a, b) != 0)
        s_fail (text, len, "attachments changed the general decoder's request");
    }
  if (!over && !ok_none && strcmp (e_none->message, e_with->message) != 0)
    s_fail (text, len, "attachments changed the general decoder's error");
  ol__request_clear (&none);
  ol__request_clear (&with);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  const char *text = (const char *) data;
  g_autofree char *diff = dc_check_text (text, size, NULL, NULL);

  if (diff != NULL)
    s_fail (text, size, diff);
  /* Attachment counts from the length, which whitespace changes without
   * changing the request: 0..65, and truncated for some. */
  s_check_attachments (text, size, (int) (size % 66), size % 7 == 3);
  return 0;
}
