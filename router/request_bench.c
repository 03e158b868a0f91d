/* bench-decode: the server's two request decoders on the same texts, in one
 * process, no sockets: the fast decoder of calls laid out as OlClient writes
 * them (router/request_fast.c) against the general jansson decoder
 * (router/request.c). Prints nanoseconds per request, the median of the
 * repetitions, and the ratio fast / general. It tells what the fast decoder
 * saves per call; bench-rpc tells what a call costs in all.
 */
#include <stdio.h>
#include <string.h>

#include <glib.h>

#include "router/request.h"

static const char *const s_texts[][2] = {
  { "add(1, 2)",
    "{\"v\":1,\"id\":20423061143553,\"op\":\"call\",\"method\":\"add\",\"args\":[1,2]}" },
  { "stage.move_to(x, y)",
    "{\"v\":1,\"id\":20423061143554,\"op\":\"call\",\"object\":\"stage\",\"method\":\"move_to\","
    "\"args\":[1,12.5],\"kwargs\":{\"speed\":3}}" },
  { "get(), ts",
    "{\"v\":1,\"id\":20423061143555,\"op\":\"call\",\"ts\":true,\"object\":\"sensor\","
    "\"method\":\"temperature\"}" },
};

static int opt_reps = 7;
static int opt_n = 200000;

static const GOptionEntry s_entries[] = {
  { "reps", 'r', 0, G_OPTION_ARG_INT, &opt_reps, "Repetitions; the median is printed (default 7)", "N" },
  { "count", 'n', 0, G_OPTION_ARG_INT, &opt_n, "Decodes per repetition (default 200000)", "N" },
  G_OPTION_ENTRY_NULL
};

static int
s_compare (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return (x > y) - (x < y);
}

/* Median nanoseconds per decode of text. */
static double
s_measure (const char *text, gboolean fast)
{
  size_t len = strlen (text);
  double *ns = g_new (double, opt_reps);
  double median;

  for (int r = 0; r < opt_reps; r++)
    {
      gint64 t0 = g_get_monotonic_time ();

      for (int i = 0; i < opt_n; i++)
        {
          OlRequest req = { 0 };
          gboolean ok = fast ? ol__request_decode_fast (&req, text, len)
                             : ol__request_decode (&req, text, len, 0, FALSE, NULL);

          if (!ok)
            g_error ("the %s decoder refused %s", fast ? "fast" : "general", text);
          ol__request_clear (&req);
        }
      ns[r] = (double) (g_get_monotonic_time () - t0) * 1000.0 / opt_n;
    }
  qsort (ns, (size_t) opt_reps, sizeof *ns, s_compare);
  median = ns[opt_reps / 2];
  g_free (ns);
  return median;
}

int
main (int argc, char **argv)
{
  g_autoptr (GOptionContext) ctx = g_option_context_new ("- the server's request decoders");
  g_autoptr (GError) error = NULL;

  g_option_context_add_main_entries (ctx, s_entries, NULL);
  g_option_context_set_description (ctx,
    "Decodes the same call requests with the fast decoder and with the general\n"
    "one and prints nanoseconds per request (median of the repetitions) and the\n"
    "ratio fast / general.");
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    {
      fprintf (stderr, "bench-decode: %s\n", error->message);
      return 2;
    }
  if (opt_reps < 1 || opt_reps > 1000 || opt_n < 1 || opt_n > 100000000)
    {
      fprintf (stderr, "bench-decode: --reps must be 1..1000 and --count 1..100000000\n");
      return 2;
    }
  printf ("request decoders: median of %d repetitions of %d decodes\n", opt_reps, opt_n);
  for (gsize i = 0; i < G_N_ELEMENTS (s_texts); i++)
    {
      double fast = s_measure (s_texts[i][1], TRUE);
      double general = s_measure (s_texts[i][1], FALSE);

      printf ("  %-20s fast %7.1f ns  general %7.1f ns  ratio %.2fx\n", s_texts[i][0], fast,
              general, fast / general);
    }
  return 0;
}
