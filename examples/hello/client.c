/* examples/hello/client.c: calls the hello server. */
#include <locale.h>
#include <oneliner/oneliner.h>
#include <stdio.h>

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (OlClient) client = NULL;
  json_t *args, *result;

  setlocale (LC_ALL, "");
  client = ol_client_new (argc > 1 ? argv[1] : "tcp://127.0.0.1:5555", NULL, &error);

  if (client == NULL)
    {
      fprintf (stderr, "hello-client: %s\n", error->message);
      return 1;
    }
  ol_client_set_timeout (client, 2000); /* no call waits longer than 2 s */

  args = json_pack ("[f]", 1.5);
  result = ol_client_call (client, "amp", "amplify", args, NULL, &error);
  json_decref (args);
  if (result == NULL)
    {
      fprintf (stderr, "hello-client: %s\n", error->message);
      return 1;
    }
  printf ("amplify(1.5) = %g\n", json_real_value (result));
  json_decref (result);

  /* An error raised by the function comes back as a GError. */
  args = json_pack ("[f]", 99.0);
  result = ol_client_call (client, "amp", "amplify", args, NULL, &error);
  json_decref (args);
  printf ("amplify(99) failed: %s\n", error ? error->message : "(no error?)");
  return result == NULL ? 0 : 1;
}
