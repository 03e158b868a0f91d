/* oneliner-demo-server: a simulated lab instrument served over oneliner. */
#include <glib-unix.h>
#include <locale.h>
#include <oneliner/oneliner.h>
#include <stdio.h>
#include "tools/config_file.h"
#include <stdlib.h>

#include "tools/demo_sensors.h"
#include "tools/demo_stage.h"

static char *opt_rpc = NULL;
static char *opt_stream = NULL;
static char *opt_config = NULL;
static double opt_speed = 500.0;

static char *opt_secret_key = NULL;
static char *opt_authorized_keys = NULL;
static gboolean opt_require_keys = FALSE;
static gboolean opt_version = FALSE;
static gboolean opt_realtime = FALSE;

/* The configuration file, if any, with the command line's endpoints and keys
 * in place of the file's; else the keys of the command line. */
static gboolean
s_configure (OlServer *server, GError **error)
{
  const char *const overrides[] = { "rpc", opt_rpc, "stream", opt_stream,
                                    "secret_key", opt_secret_key,
                                    "authorized_keys", opt_authorized_keys, NULL };

  if ((opt_secret_key == NULL) != (opt_authorized_keys == NULL))
    {
      g_set_error_literal (error, OL_ERROR, OL_ERROR_CONFIG,
                           "--secret-key and --authorized-keys go together");
      return FALSE;
    }
  if (opt_config != NULL ? !tool_config_load (server, opt_config, overrides, error)
                         : opt_secret_key != NULL
                           && !ol_server_set_keys (server, opt_secret_key, opt_authorized_keys,
                                                   error))
    return FALSE;
  return !opt_realtime || ol_server_set_realtime (server, OL_REALTIME_DEFAULT_PRIORITY, error);
}

static gboolean
s_check_keys (OlServer *server, GError **error)
{
  if (opt_require_keys && !ol_server_has_keys (server))
    {
      g_set_error_literal (error, OL_ERROR, OL_ERROR_CONFIG,
                           "--require-keys: no keys given (--secret-key and --authorized-keys, "
                           "or \"secret_key\" and \"authorized_keys\" in the configuration)");
      return FALSE;
    }
  return TRUE;
}

static gboolean
s_on_hangup (gpointer server)
{
  g_autoptr (GError) error = NULL;

  if (!ol_server_reload_keys (server, &error))
    g_warning ("%s", error->message);
  return G_SOURCE_CONTINUE;
}

static GOptionEntry s_entries[] = {
  { "rpc", 'r', 0, G_OPTION_ARG_STRING, &opt_rpc,
    "Endpoint the RPC socket binds (default " OL_DEFAULT_RPC_BIND ")", "ENDPOINT" },
  { "stream", 's', 0, G_OPTION_ARG_STRING, &opt_stream,
    "Endpoint the stream socket binds (default " OL_DEFAULT_STREAM_BIND ")", "ENDPOINT" },
  { "config", 'c', 0, G_OPTION_ARG_FILENAME, &opt_config,
    "JSON configuration file: endpoints, named calls, streams, mounts, relays (docs/CONFIG.md)", "FILE" },
  { "speed", 0, 0, G_OPTION_ARG_DOUBLE, &opt_speed,
    "Simulated stage speed in mm/s, 0 for instant moves (default 500)", "MM_PER_S" },
  { "secret-key", 0, 0, G_OPTION_ARG_FILENAME, &opt_secret_key,
    "The server's secret key (oneliner keygen); with --authorized-keys, only listed keys connect", "FILE" },
  { "authorized-keys", 0, 0, G_OPTION_ARG_FILENAME, &opt_authorized_keys,
    "Public keys allowed in, one a line: KEY control|read-only [NAME] (re-read on change and SIGHUP)", "FILE" },
  { "require-keys", 0, 0, G_OPTION_ARG_NONE, &opt_require_keys,
    "Refuse to start without keys", NULL },
  { "realtime", 0, 0, G_OPTION_ARG_NONE, &opt_realtime,
    "Periodic streams' threads SCHED_FIFO (priority 20), memory locked; refused where not permitted", NULL },
  { "version", 0, 0, G_OPTION_ARG_NONE, &opt_version,
    "Print the version and exit", NULL },
  G_OPTION_ENTRY_NULL
};

/* The application thread that publishes events/log: the stage hands it
 * events through a queue, it pushes them to the stream. */
typedef struct {
  GAsyncQueue *events;       /* (owned) json_t * events */
  OlStreamWriter *writer;    /* (owned) */
  GThread *thread;           /* (owned) */
  gint stop;                 /* atomic */
} EventLog;

static void
s_stage_moved (int axis, double mm, void *data)
{
  EventLog *log = data;
  g_async_queue_push (log->events, json_pack ("{s:s, s:i, s:f}", "event", "moved",
                                              "axis", axis, "mm", mm));
}

static gpointer
s_event_thread (gpointer data)
{
  EventLog *log = data;

  while (!g_atomic_int_get (&log->stop))
    {
      json_t *event = g_async_queue_timeout_pop (log->events, 100 * 1000);
      g_autoptr (GError) error = NULL;

      if (event == NULL)
        continue;
      if (!ol_stream_writer_push_json (log->writer, event, &error))
        g_warning ("events/log: %s", error->message);
      json_decref (event);
    }
  return NULL;
}

/* The application thread that publishes stage/positions: where the axes are,
 * DEMO_POSITIONS_HZ times a second, also during moves. */
#define DEMO_POSITIONS_HZ 10

typedef struct {
  DemoStage *stage;          /* the server's instance */
  OlStreamWriter *writer;    /* (owned) */
  GThread *thread;           /* (owned) */
  gint stop;                 /* atomic */
} Positions;

static gpointer
s_positions_thread (gpointer data)
{
  Positions *p = data;
  gint64 next = g_get_monotonic_time ();

  while (!g_atomic_int_get (&p->stop))
    {
      double mm[DEMO_STAGE_AXES];
      g_autoptr (json_t) value = NULL;
      g_autoptr (GError) error = NULL;
      gint64 wait;

      demo_stage_positions (p->stage, mm);
      value = json_pack ("{s:f, s:f, s:f}", "x", mm[0], "y", mm[1], "z", mm[2]);
      if (!ol_stream_writer_push_json (p->writer, value, &error))
        g_warning ("stage/positions: %s", error->message);
      next += G_USEC_PER_SEC / DEMO_POSITIONS_HZ;
      wait = next - g_get_monotonic_time ();
      if (wait > 0)
        g_usleep ((gulong) wait);
      else
        next = g_get_monotonic_time ();
    }
  return NULL;
}

/* Describes events/log and stage/positions (the travel limits of the stage as
 * the alarm limits of its axes). */
static gboolean
s_describe_pushed (OlServer *server, DemoStage *stage, GError **error)
{
  static const char *const names[DEMO_STAGE_AXES] = { "x", "y", "z" };
  g_autoptr (json_t) log = json_pack (
    "{s:s, s:s, s:[{s:s, s:s}, {s:s, s:s}, {s:s, s:s, s:s, s:i}]}",
    "text", "stage moves: one event per axis moved", "form", "object", "fields",
    "name", "event", "form", "string", "name", "axis", "text", "axis number, from 1",
    "name", "mm", "text", "where the axis stopped", "unit", "mm", "precision", 3);
  g_autoptr (json_t) positions = json_pack ("{s:s, s:s, s:[]}", "text",
                                            "stage axes, also during moves", "form", "object",
                                            "fields");

  for (int i = 0; i < DEMO_STAGE_AXES; i++)
    {
      double min, max;

      demo_stage_limits (stage, i, &min, &max);
      json_array_append_new (json_object_get (positions, "fields"),
                             json_pack ("{s:s, s:s, s:i, s:{s:f, s:f}}", "name", names[i],
                                        "unit", "mm", "precision", 3, "limits",
                                        "alarm_low", min, "alarm_high", max));
    }
  return ol_server_describe_stream (server, "events/log", log, error)
         && ol_server_describe_stream (server, "stage/positions", positions, error);
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
  g_autoptr (GOptionContext) ctx = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (OlServer) server = NULL;
  g_autoptr (GMainLoop) loop = NULL;
  json_t *home_args = NULL;
  gboolean ok;
  EventLog log = { NULL, NULL, NULL, 0 };
  Positions positions = { NULL, NULL, NULL, 0 };

  setlocale (LC_ALL, "");
  ctx = g_option_context_new ("- simulated lab instrument");

  g_option_context_set_summary (ctx,
    "Serves a simulated instrument over oneliner: a motorised stage (instance\n"
    "\"stage\": move_to, position, home, describe; named call \"home_all\"),\n"
    "sensors, a digitiser and a camera (instances \"sensor\", \"daq\", \"camera\"),\n"
    "and described streams: sensor/temperature (10 Hz, degC, with warning and\n"
    "alarm limits: sensor.heat(kelvin) provokes them), sensor/sine (100 Hz, V),\n"
    "daq/trace (20 Hz, 1024 samples in V, 0.5 us apart), camera/frames (30 Hz\n"
    "640x480 gray8, disabled at start), stage/positions (10 Hz, the axes in mm,\n"
    "their travel as alarm limits) and events/log (pushed on every move).\n"
    "Stops cleanly on SIGINT or SIGTERM; SIGHUP re-reads the authorized keys.");
  g_option_context_add_main_entries (ctx, s_entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    {
      fprintf (stderr, "oneliner-demo-server: %s (try --help)\n", error->message);
      return 2;
    }
  if (opt_version)
    {
      printf ("oneliner-demo-server %s (protocol %d)\n", ol_version_string (), OL_PROTOCOL_VERSION);
      return 0;
    }
  if (argc > 1)
    {
      fprintf (stderr, "oneliner-demo-server: unexpected argument \"%s\" (try --help)\n", argv[1]);
      return 2;
    }
  if (opt_speed < 0)
    {
      fprintf (stderr, "oneliner-demo-server: --speed must be >= 0\n");
      return 2;
    }

  log.events = g_async_queue_new_full ((GDestroyNotify) json_decref);
  server = ol_server_new (opt_rpc, opt_stream);
  home_args = json_pack ("[i]", 0);
  log.writer = ol_server_add_pushed_stream (server, "events/log", OL_ENCODING_JSON, NULL, &error);
  /* The server owns the stage; the positions thread borrows it until the
   * server is freed. */
  positions.stage = demo_stage_new (opt_speed, s_stage_moved, &log);
  ok = log.writer != NULL
    && demo_stage_register (server, "stage", positions.stage, &error)
    && (positions.writer = ol_server_add_pushed_stream (server, "stage/positions",
                                                        OL_ENCODING_JSON, NULL, &error)) != NULL
    && s_describe_pushed (server, positions.stage, &error)
    && demo_sensors_register (server, &error)
    && ol_server_add_named_call (server, "home_all", "stage", "home", home_args, NULL, &error)
    && s_configure (server, &error)
    && s_check_keys (server, &error) && ol_server_start (server, &error);
  json_decref (home_args);
  if (!ok)
    {
      fprintf (stderr, "oneliner-demo-server: %s\n", error->message);
      g_clear_pointer (&log.writer, ol_stream_writer_unref);
      g_clear_pointer (&positions.writer, ol_stream_writer_unref);
      g_async_queue_unref (log.events);
      return 1;
    }

  log.thread = g_thread_new ("event-log", s_event_thread, &log);
  positions.thread = g_thread_new ("positions", s_positions_thread, &positions);
  loop = g_main_loop_new (NULL, FALSE);
  g_unix_signal_add (SIGINT, s_on_signal, loop);
  g_unix_signal_add (SIGTERM, s_on_signal, loop);
  g_unix_signal_add (SIGHUP, s_on_hangup, server);
  printf ("oneliner-demo-server: serving rpc %s stream %s\n",
          ol_server_get_rpc_endpoint (server), ol_server_get_stream_endpoint (server));
  fflush (stdout);
  g_main_loop_run (loop);
  g_atomic_int_set (&log.stop, 1);
  g_thread_join (log.thread);
  g_atomic_int_set (&positions.stop, 1);
  g_thread_join (positions.thread);
  ol_server_free (&server);
  ol_stream_writer_unref (log.writer);
  ol_stream_writer_unref (positions.writer);
  g_async_queue_unref (log.events);
  printf ("oneliner-demo-server: stopped\n");
  return 0;
}
