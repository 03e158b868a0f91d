/* A oneliner server for the Python client's tests (tests/python/): free
 * functions (with bytes both ways, defaults, a named call, a handler, an
 * application error, a slow call) and pushed streams filled in bursts on
 * request, so that a test knows exactly what was published.
 *
 * Usage: pyserver RPC_ENDPOINT STREAM_ENDPOINT
 * Prints "pyserver: serving rpc ENDPOINT stream ENDPOINT" once started and
 * stops on SIGINT or SIGTERM. */
#include <oneliner/oneliner.h>
#include <glib-unix.h>
#include <stdio.h>
#include <string.h>

static OlStreamWriter *s_burst_raw;  /* (owned) */
static OlStreamWriter *s_burst_json; /* (owned) */

static GBytes *
s_echo (GBytes *data)
{
  return g_bytes_ref (data);
}

static int32_t
s_add (int32_t a, int32_t b)
{
  return a + b;
}

static int32_t
s_sleep_ms (int32_t ms)
{
  g_usleep ((gulong) CLAMP (ms, 0, 60000) * 1000);
  return ms;
}

static GBytes *
s_zeros (int32_t n)
{
  return g_bytes_new_take (g_malloc0 ((gsize) CLAMP (n, 0, 1 << 24)), (gsize) CLAMP (n, 0, 1 << 24));
}

/* Pushes n messages of size bytes (raw: bytes 0, 1, 2, ... of the message's
 * index; json: {"i": index}) to stream "burst/raw" or "burst/json" as fast
 * as it can; returns how many the server accepted (a full publishing queue
 * refuses one with BUSY: it is never published and takes no sequence
 * number). */
static int64_t
s_burst (const char *stream, int32_t n, int32_t size, GError **error)
{
  int64_t accepted = 0;
  gboolean raw = g_strcmp0 (stream, "raw") == 0;

  if (!raw && g_strcmp0 (stream, "json") != 0)
    {
      g_set_error (error, OL_ERROR, OL_ERROR_INVALID_ARGS, "stream must be \"raw\" or \"json\"");
      return 0;
    }
  size = CLAMP (size, 0, 1 << 20);
  for (int32_t i = 0; i < n; i++)
    {
      g_autoptr (GError) failure = NULL;
      gboolean ok;

      if (raw)
        {
          guint8 *data = g_malloc ((gsize) size + 1);
          for (int32_t k = 0; k < size; k++)
            data[k] = (guint8) (i + k);
          g_autoptr (GBytes) payload = g_bytes_new_take (data, (gsize) size);
          ok = ol_stream_writer_push_bytes (s_burst_raw, payload, &failure);
        }
      else
        {
          json_t *value = json_pack ("{s:i}", "i", (json_int_t) i);
          ok = ol_stream_writer_push_json (s_burst_json, value, &failure);
          json_decref (value);
        }
      if (ok)
        accepted++;
      else if (!g_error_matches (failure, OL_ERROR, OL_ERROR_BUSY))
        {
          g_propagate_error (error, g_steal_pointer (&failure));
          return accepted;
        }
    }
  return accepted;
}

/* Publishes one error message on burst/json. */
static void
s_push_error (GError **error)
{
  g_autoptr (GError) failure = g_error_new_literal (OL_ERROR, OL_ERROR_FAILED, "sensor unplugged");
  ol_stream_writer_push_error (s_burst_json, failure, error);
}

static json_t *
s_args (void *instance, json_t *args, json_t *kwargs, void *user_data, GError **error)
{
  (void) instance; (void) user_data; (void) error;
  return json_pack ("{sOsO}", "args", args, "kwargs", kwargs);
}

/* Returns its first argument as it came (null without one). */
static json_t *
s_first (void *instance, json_t *args, json_t *kwargs, void *user_data, GError **error)
{
  (void) instance; (void) kwargs; (void) user_data; (void) error;
  return json_incref (json_array_size (args) > 0 ? json_array_get (args, 0) : json_null ());
}

static json_t *
s_fail (void *instance, json_t *args, json_t *kwargs, void *user_data, GError **error)
{
  (void) instance; (void) args; (void) kwargs; (void) user_data;
  g_set_error_literal (error, g_quark_from_static_string ("my-app-error"), 42, "the laser is off");
  return NULL;
}

static gboolean
s_on_signal (gpointer loop)
{
  g_main_loop_quit (loop);
  return G_SOURCE_REMOVE;
}

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GMainLoop) loop = NULL;
  OlServer *server;
  json_t *add5_args;
  gboolean ok;

  if (argc != 3)
    {
      fprintf (stderr, "usage: pyserver RPC_ENDPOINT STREAM_ENDPOINT\n");
      return 2;
    }
  server = ol_server_new (argv[1], argv[2]);
  add5_args = json_pack ("[i]", 5);
  ok = ol_server_add_function (server, "echo", "(bytes data) -> bytes", OL_FUNC (s_echo), &error)
    && ol_server_add_function (server, "add", "(int32 a, int32 b = 10) -> int32", OL_FUNC (s_add), &error)
    && ol_server_add_function (server, "sleep_ms", "(int32 ms) -> int32", OL_FUNC (s_sleep_ms), &error)
    && ol_server_add_function (server, "zeros", "(int32 n) -> bytes", OL_FUNC (s_zeros), &error)
    && ol_server_add_function (server, "burst", "(string stream, int32 n, int32 size = 64, error) -> int64",
                               OL_FUNC (s_burst), &error)
    && ol_server_add_function (server, "push_error", "(error)", OL_FUNC (s_push_error), &error)
    && ol_server_add_function_handler (server, "args", s_args, NULL, NULL, &error)
    && ol_server_add_function_handler (server, "fail", s_fail, NULL, NULL, &error)
    && ol_server_add_function_handler (server, "first", s_first, NULL, NULL, &error)
    && ol_server_add_named_call (server, "add5", NULL, "add", add5_args, NULL, &error)
    && (s_burst_raw = ol_server_add_pushed_stream (server, "burst/raw", OL_ENCODING_RAW, NULL, &error))
    && (s_burst_json = ol_server_add_pushed_stream (server, "burst/json", OL_ENCODING_JSON, NULL, &error))
    && ol_server_start (server, &error);
  json_decref (add5_args);
  if (!ok)
    {
      fprintf (stderr, "pyserver: %s\n", error->message);
      return 1;
    }
  loop = g_main_loop_new (NULL, FALSE);
  g_unix_signal_add (SIGINT, s_on_signal, loop);
  g_unix_signal_add (SIGTERM, s_on_signal, loop);
  printf ("pyserver: serving rpc %s stream %s\n",
          ol_server_get_rpc_endpoint (server), ol_server_get_stream_endpoint (server));
  fflush (stdout);
  g_main_loop_run (loop);
  ol_server_free (&server);
  g_clear_pointer (&s_burst_raw, ol_stream_writer_unref);
  g_clear_pointer (&s_burst_json, ol_stream_writer_unref);
  return 0;
}
