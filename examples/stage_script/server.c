/* examples/stage_script/server.c: a two-axis stage served for scripts.
 *
 * The driver is plain C: a struct and functions that take it first. The
 * server calls them from remote calls, one at a time (calls into one
 * instance are serialised), so the driver needs no lock of its own. */
#include <glib-unix.h>
#include <locale.h>
#include <oneliner/oneliner.h>
#include <stdint.h>
#include <stdio.h>

#define AXES 2

typedef struct {
  double position[AXES]; /* mm */
  double low[AXES], high[AXES];
} Stage;

static gboolean
s_check_axis (int axis, GError **error)
{
  if (axis < 1 || axis > AXES)
    {
      g_set_error (error, OL_ERROR, OL_ERROR_INVALID_ARGS, "no axis %d (axes 1 to %d)", axis,
                   AXES);
      return FALSE;
    }
  return TRUE;
}

/* move_to(axis, mm) -> where the axis stopped; a target outside the travel
 * is refused and the axis does not move. */
static double
stage_move_to (Stage *stage, int32_t axis, double mm, GError **error)
{
  if (!s_check_axis (axis, error))
    return 0;
  if (mm < stage->low[axis - 1] || mm > stage->high[axis - 1])
    {
      g_set_error (error, OL_ERROR, OL_ERROR_INVALID_ARGS,
                   "axis %d: %g mm is outside its travel %g..%g mm", axis, mm,
                   stage->low[axis - 1], stage->high[axis - 1]);
      return 0;
    }
  stage->position[axis - 1] = mm;
  return mm;
}

static double
stage_position (Stage *stage, int32_t axis, GError **error)
{
  return s_check_axis (axis, error) ? stage->position[axis - 1] : 0;
}

/* limits(axis) -> [low, high] */
static json_t *
stage_limits (Stage *stage, int32_t axis, GError **error)
{
  if (!s_check_axis (axis, error))
    return NULL;
  return json_pack ("[f, f]", stage->low[axis - 1], stage->high[axis - 1]);
}

static void
stage_home (Stage *stage)
{
  for (int i = 0; i < AXES; i++)
    stage->position[i] = 0;
}

static gboolean
s_quit (gpointer loop)
{
  g_main_loop_quit (loop);
  return G_SOURCE_REMOVE;
}

int
main (int argc, char **argv)
{
  g_autofree char *rpc = NULL, *stream = NULL;
  GOptionEntry entries[] = {
    { "rpc", 'r', 0, G_OPTION_ARG_STRING, &rpc,
      "Endpoint to bind for calls (default " OL_DEFAULT_RPC_BIND ")", "ENDPOINT" },
    { "stream", 's', 0, G_OPTION_ARG_STRING, &stream,
      "Endpoint to bind for streams (default " OL_DEFAULT_STREAM_BIND ")", "ENDPOINT" },
    G_OPTION_ENTRY_NULL
  };
  g_autoptr (GOptionContext) context = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (OlServer) server = NULL;
  g_autoptr (GMainLoop) loop = NULL;
  Stage stage = { .low = { 0, 0 }, .high = { 100, 25 } };

  setlocale (LC_ALL, "");
  context = g_option_context_new ("- a two-axis stage for scripts");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      fprintf (stderr, "stage-server: %s\n", error->message);
      return 2;
    }

  server = ol_server_new (rpc, stream);
  if (!ol_server_add_instance (server, "stage", &stage, NULL, &error)
      || !ol_server_add_method (server, "stage", "move_to",
                                "(int32 axis, double mm, error) -> double",
                                OL_FUNC (stage_move_to), &error)
      || !ol_server_add_method (server, "stage", "position", "(int32 axis, error) -> double",
                                OL_FUNC (stage_position), &error)
      || !ol_server_add_method (server, "stage", "limits", "(int32 axis, error) -> json",
                                OL_FUNC (stage_limits), &error)
      || !ol_server_add_method (server, "stage", "home", "()", OL_FUNC (stage_home), &error)
      || !ol_server_start (server, &error))
    {
      fprintf (stderr, "stage-server: %s\n", error->message);
      return 1;
    }
  printf ("stage-server: rpc %s stream %s\n", ol_server_get_rpc_endpoint (server),
          ol_server_get_stream_endpoint (server));
  fflush (stdout);

  /* Stop cleanly on Ctrl-C or SIGTERM: g_autoptr frees the server. */
  loop = g_main_loop_new (NULL, FALSE);
  g_unix_signal_add (SIGINT, s_quit, loop);
  g_unix_signal_add (SIGTERM, s_quit, loop);
  g_main_loop_run (loop);
  return 0;
}
