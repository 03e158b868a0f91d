/* Fuzz target of the configuration loader (relay/config.c): any JSON text
 * applied with ol_server_apply_config() to a new server that is never
 * started, on which an instance with methods, a free function and handlers
 * are registered so that named calls and streams can name them; when it is
 * taken, applied once more. An "object" that is neither a string nor null
 * is refused. A
 * refusal is an OL_ERROR_CONFIG (or another
 * OL_ERROR for an entry that only applying refuses). The server is freed
 * after each input. Aborts on a failure, with the text on stderr.
 *
 * Built for libFuzzer with -Dfuzz=true (./run fuzz), and in every build as
 * config-fuzz-replay (replay_main.c), which replays tests/fuzz/corpus/config/. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "oneliner/error.h"
#include "oneliner/server.h"
#include "tests/decode_check.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static int instance;

static double
f_move_to (void *self, int32_t axis, double mm)
{
  (void) self;
  return axis + mm;
}

static double
f_sine (double phase)
{
  return phase;
}

static json_t *
f_handler (void *self, json_t *args, json_t *kwargs, void *user_data, GError **error)
{
  (void) self, (void) args, (void) kwargs, (void) user_data, (void) error;
  return json_null ();
}

static void
s_fail (const char *text, size_t len, const char *what)
{
  g_autofree char *shown = dc_show (text, len, 4096);

  fprintf (stderr, "config-fuzz: %s\ntext (%zu bytes): %s\n", what, len, shown);
  abort ();
}

static void
s_register (OlServer *s)
{
  GError *error = NULL;

  if (!ol_server_add_instance (s, "stage", &instance, NULL, &error)
      || !ol_server_add_method (s, "stage", "move_to", "(int32 axis, double mm = 0) -> double",
                                OL_FUNC (f_move_to), &error)
      || !ol_server_add_method_handler (s, "stage", "describe", f_handler, NULL, NULL, &error)
      || !ol_server_add_instance (s, "camera", &instance, NULL, &error)
      || !ol_server_add_method_handler (s, "camera", "frame", f_handler, NULL, NULL, &error)
      || !ol_server_add_function (s, "sine", "(double phase = 0) -> double", OL_FUNC (f_sine),
                                  &error)
      || !ol_server_add_function_handler (s, "ping", f_handler, NULL, NULL, &error))
    {
      fprintf (stderr, "config-fuzz: %s\n", error->message);
      abort ();
    }
}

/* Whether an entry of a section names its callable's "object" with
 * anything but a string or null (a free function, as in requests), which
 * the loader must refuse. */
static gboolean
s_object_not_string (json_t *config, const char *section)
{
  const char *name;
  json_t *entry;

  json_object_foreach (json_object_get (config, section), name, entry)
    {
      json_t *object = json_object_get (entry, "object");

      if (object != NULL && !json_is_string (object) && !json_is_null (object))
        return TRUE;
    }
  return FALSE;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  const char *text = (const char *) data;
  json_t *config = json_loadb (text, size, JSON_REJECT_DUPLICATES, NULL);
  OlServer *s;

  if (config == NULL)
    return 0;
  s = ol_server_new ("inproc://config-fuzz-rpc", "inproc://config-fuzz-stream");
  s_register (s);
  for (int round = 0; round < 2; round++)
    {
      GError *error = NULL;
      gboolean ok = ol_server_apply_config (s, config, &error);

      if (ok != (error == NULL))
        s_fail (text, size, "the loader's result and its error disagree");
      if (!ok && error->domain != OL_ERROR)
        s_fail (text, size, "the loader refused with an error of another domain");
      if (!ok && round == 0 && error->code != OL_ERROR_CONFIG && error->code != OL_ERROR_EXISTS
          && error->code != OL_ERROR_INVALID_ARGS)
        s_fail (text, size, error->message);
      if (ok && round == 0
          && (s_object_not_string (config, "named_calls")
              || s_object_not_string (config, "streams")))
        s_fail (text, size, "the loader took an \"object\" that is neither a string nor null");
      g_clear_error (&error);
      if (!ok)
        break;
    }
  ol_server_free (&s);
  json_decref (config);
  return 0;
}
