/* Fuzz target of the client's reading of replies (router/reply.h): on any
 * bytes, whenever the fast scan takes a reply, the general decoding takes it
 * too as a success reply with the same id, result and timestamp. Aborts on a
 * disagreement, with the text on stderr.
 *
 * Built for libFuzzer with -Dfuzz=true (./run fuzz), and in every build as
 * reply-fuzz-replay (replay_main.c), which replays tests/fuzz/corpus/reply/. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "router/reply.h"
#include "tests/decode_check.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static void
s_fail (const char *text, size_t len, const char *what)
{
  g_autofree char *shown = dc_show (text, len, 4096);

  fprintf (stderr, "reply-fuzz: %s\ntext (%zu bytes): %s\n", what, len, shown);
  abort ();
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  const char *text = (const char *) data;
  guint64 fast_id = 0, id = 0;
  gint64 fast_ts = 0, ts = 0;
  json_t *fast_result = NULL, *result = NULL;
  GError *error = NULL;
  gboolean fast = ol__reply_decode_fast (text, size, &fast_id, &fast_result, &fast_ts);
  gboolean general = ol__reply_decode (text, size, &id, &result, &ts, &error);

  if (fast && fast_result == NULL)
    s_fail (text, size, "the fast scan took a reply without a result");
  if (!fast && fast_result != NULL)
    s_fail (text, size, "the fast scan made a result for a reply it did not take");
  if (general && (result == NULL) == (error == NULL))
    s_fail (text, size, "the general decoding gave not exactly one of result and error");
  if (fast)
    {
      if (!general)
        s_fail (text, size, "the fast scan took a text that is not a reply");
      if (error != NULL)
        s_fail (text, size, "the fast scan took an error reply as a success");
      if (fast_id != id)
        s_fail (text, size, "the fast scan read another id");
      if (!json_equal (fast_result, result))
        s_fail (text, size, "the fast scan read another result");
      if (fast_ts != ts)
        s_fail (text, size, "the fast scan read another timestamp");
    }
  json_decref (fast_result);
  json_decref (result);
  g_clear_error (&error);
  return 0;
}
