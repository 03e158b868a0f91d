/* Fuzz target of the authorized-keys parser (router/auth.h): on any bytes,
 * a refusal is one OL_ERROR_CONFIG with a bounded message that names the
 * file; an accepted file holds one key for each line that begins with a key
 * (a line that begins with '#' and a key is a key only if a role follows),
 * each with a role and a printable name of at most OL_AUTH_NAME_MAX bytes.
 * Aborts on a failure, with the text on stderr.
 *
 * Built for libFuzzer with -Dfuzz=true (./run fuzz), and in every build as
 * keys-fuzz-replay (replay_main.c), which replays tests/fuzz/corpus/keys/. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/keys.h"
#include "oneliner/error.h"
#include "router/auth.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/* Longest message a refusal may carry: the file's name, a line number and
 * a fixed reason. */
#define MESSAGE_MAX 160

static void
s_fail (const uint8_t *data, size_t size, const char *what)
{
  g_autofree char *cut = g_strndup ((const char *) data, MIN (size, 4096));
  g_autofree char *shown = g_strescape (cut, NULL);

  fprintf (stderr, "keys-fuzz: %s\ntext: %s\n", what, shown);
  abort ();
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (GError) error = NULL;
  OlAuth *a = ol__auth_new_from_text ("keys", (const char *) data, size, &error);
  g_autofree char *text = NULL;
  guint lines_with_keys = 0;
  char **lines;

  if (a == NULL)
    {
      if (error == NULL || !g_error_matches (error, OL_ERROR, OL_ERROR_CONFIG))
        s_fail (data, size, "a refusal that is not one OL_ERROR_CONFIG");
      if (strlen (error->message) > MESSAGE_MAX || strstr (error->message, "keys") == NULL)
        s_fail (data, size, "a refusal whose message is long or does not name the file");
      return 0;
    }
  /* Accepted: every line that begins with a key (after blanks) is in the
   * table with a role and a printable, bounded name. */
  text = g_strndup ((const char *) data, size);
  lines = g_strsplit (text, "\n", -1);
  for (char **l = lines; *l != NULL; l++)
    {
      const char *p = *l;
      char key[OL_KEY_Z85_LEN + 1];
      char name[OL_AUTH_NAME_MAX + 1] = "";
      size_t n;
      OlRole role;

      while (*p == ' ' || *p == '\t' || *p == '\r')
        p++;
      n = strcspn (p, " \t\r");
      if (n != OL_KEY_Z85_LEN || !ol__key_is_z85 (p, n))
        continue;
      /* A key that begins with '#' counts only when a role follows it
       * (else the line is a comment). */
      if (p[0] == '#')
        {
          const char *q = p + n;
          g_autofree char *word = NULL;
          OlRole r;

          while (*q == ' ' || *q == '\t' || *q == '\r')
            q++;
          word = g_strndup (q, strcspn (q, " \t\r"));
          if (!ol__role_parse (word, &r))
            continue;
        }
      memcpy (key, p, n);
      key[n] = '\0';
      lines_with_keys++;
      role = ol__auth_lookup (a, key, name);
      if (role != OL_ROLE_READ_ONLY && role != OL_ROLE_CONTROL)
        s_fail (data, size, "a listed key without a role");
      if (strlen (name) > OL_AUTH_NAME_MAX)
        s_fail (data, size, "a name longer than OL_AUTH_NAME_MAX");
      for (const char *c = name; *c; c++)
        if (!g_ascii_isprint (*c))
          s_fail (data, size, "a name with a byte that is not printable ASCII");
    }
  if (ol__auth_count (a) != lines_with_keys)
    s_fail (data, size, "the table does not hold one key for each line with a key");
  g_strfreev (lines);
  ol__auth_free (a);
  return 0;
}
