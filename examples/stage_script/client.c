/* examples/stage_script/client.c: a measurement script that drives the
 * stage: homes it, scans axis 1 in steps, tries a move beyond the travel
 * and checks that the stage refuses it with a clear error. */
#include <locale.h>
#include <oneliner/oneliner.h>
#include <stdio.h>

/* One call stage.METHOD(args...); prints and returns the result (NULL with
 * *error set when the call failed). */
static json_t *
s_call (OlClient *client, const char *method, json_t *args, GError **error)
{
  json_t *result = ol_client_call (client, "stage", method, args, NULL, error);

  json_decref (args);
  return result;
}

int
main (int argc, char **argv)
{
  g_autofree char *rpc = NULL;
  int steps = 5, timeout_ms = 2000;
  double step_mm = 10;
  GOptionEntry entries[] = {
    { "rpc", 'r', 0, G_OPTION_ARG_STRING, &rpc,
      "The stage server (default " OL_DEFAULT_RPC_CONNECT ")", "ENDPOINT" },
    { "steps", 'n', 0, G_OPTION_ARG_INT, &steps, "Scan points on axis 1 (default 5)", "N" },
    { "step", 0, 0, G_OPTION_ARG_DOUBLE, &step_mm, "Scan step in mm (default 10)", "MM" },
    { "timeout", 't', 0, G_OPTION_ARG_INT, &timeout_ms,
      "Bound of every call in ms (default 2000)", "MS" },
    G_OPTION_ENTRY_NULL
  };
  g_autoptr (GOptionContext) context = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (OlClient) client = NULL;
  g_autoptr (json_t) limits = NULL;
  g_autoptr (json_t) refused = NULL;
  double low, high;

  setlocale (LC_ALL, "");
  context = g_option_context_new ("- scan a stage and check its limits");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      fprintf (stderr, "stage-script: %s\n", error->message);
      return 2;
    }
  if (steps < 1 || steps > 1000 || timeout_ms < 1 || !(step_mm > 0 && step_mm < 1e6))
    {
      fprintf (stderr, "stage-script: --steps 1..1000, --step above 0, --timeout above 0\n");
      return 2;
    }
  client = ol_client_new (rpc, NULL, &error);
  if (client == NULL)
    {
      fprintf (stderr, "stage-script: %s\n", error->message);
      return 1;
    }
  ol_client_set_timeout (client, timeout_ms); /* no call waits longer */

  /* The travel of axis 1, as the stage knows it. */
  limits = s_call (client, "limits", json_pack ("[i]", 1), &error);
  if (limits == NULL || json_unpack (limits, "[FF]", &low, &high) != 0)
    {
      fprintf (stderr, "stage-script: limits: %s\n",
               error ? error->message : "not a [low, high] pair");
      return 1;
    }
  printf ("axis 1 travel: %g..%g mm\n", low, high);

  {
    g_autoptr (json_t) homed = s_call (client, "home", json_array (), &error);

    if (homed == NULL)
      {
        fprintf (stderr, "stage-script: home: %s\n", error->message);
        return 1;
      }
  }

  /* The scan: each move returns where the axis stopped. */
  for (int i = 1; i <= steps; i++)
    {
      double target = MIN (low + i * step_mm, high);
      g_autoptr (json_t) at = s_call (client, "move_to", json_pack ("[i, f]", 1, target), &error);

      if (at == NULL)
        {
          fprintf (stderr, "stage-script: move_to %g: %s\n", target, error->message);
          return 1;
        }
      printf ("move_to 1 %g -> %g mm\n", target, json_number_value (at));
    }

  /* A move beyond the travel: the stage refuses it with INVALID_ARGS and its
   * reason, and the axis stays where it was. */
  refused = s_call (client, "move_to", json_pack ("[i, f]", 1, high + 50), &error);
  if (refused != NULL || !g_error_matches (error, OL_ERROR, OL_ERROR_INVALID_ARGS))
    {
      fprintf (stderr, "stage-script: a move beyond the travel was not refused (%s)\n",
               error ? error->message : "it succeeded");
      return 1;
    }
  printf ("move_to 1 %g refused: %s: %s\n", high + 50, ol_error_code_name (error->code),
          error->message);
  g_clear_error (&error);

  /* An axis the stage does not have. */
  {
    g_autoptr (json_t) none = s_call (client, "position", json_pack ("[i]", 9), &error);

    if (none != NULL)
      {
        fprintf (stderr, "stage-script: axis 9 answered\n");
        return 1;
      }
    printf ("position 9 refused: %s: %s\n", ol_error_code_name (error->code), error->message);
    g_clear_error (&error);
  }

  {
    g_autoptr (json_t) at = s_call (client, "position", json_pack ("[i]", 1), &error);

    if (at == NULL)
      {
        fprintf (stderr, "stage-script: position: %s\n", error->message);
        return 1;
      }
    printf ("axis 1 is at %g mm\n", json_number_value (at));
  }
  return 0;
}
