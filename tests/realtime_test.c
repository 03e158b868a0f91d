/* Realtime periodic streams: ol_server_set_realtime, "realtime" in a
 * configuration file and oneliner-demo-server --realtime. Where the process
 * may (root, or CAP_SYS_NICE and CAP_IPC_LOCK), the streams' threads run
 * SCHED_FIFO at the priority asked and the memory is locked; where it may
 * not (the same program run as nobody), it refuses to start and says what
 * is missing. The scheduling of each thread is read from /proc. */
#include <glib/gstdio.h>
#include <sched.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "testutil.h"

/* Whether this test process may use SCHED_FIFO at priority and lock memory:
 * tried on a thread of its own. */
static gboolean
s_permitted (int priority)
{
  struct sched_param p = { .sched_priority = priority }, saved;
  int policy;
  struct rlimit mem;

  if (pthread_getschedparam (pthread_self (), &policy, &saved) != 0
      || pthread_setschedparam (pthread_self (), SCHED_FIFO, &p) != 0)
    return FALSE;
  pthread_setschedparam (pthread_self (), policy, &saved);
  return geteuid () == 0
         || (getrlimit (RLIMIT_MEMLOCK, &mem) == 0 && mem.rlim_cur == RLIM_INFINITY);
}

/* Of the threads of pid named "ol-*Hz": how many, and how many run with
 * SCHED_FIFO (policy 1) at priority (fields 40 and 41 of their stat). */
static void
s_stream_threads (GPid pid, int priority, guint *threads, guint *fifo)
{
  g_autofree char *dir = g_strdup_printf ("/proc/%d/task", (int) pid);
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const char *tid;

  *threads = *fifo = 0;
  g_assert_nonnull (d);
  while ((tid = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *comm_path = g_build_filename (dir, tid, "comm", NULL);
      g_autofree char *stat_path = g_build_filename (dir, tid, "stat", NULL);
      g_autofree char *comm = NULL, *stat = NULL;
      g_auto (GStrv) fields = NULL;
      const char *after;

      if (!g_file_get_contents (comm_path, &comm, NULL, NULL)
          || !g_file_get_contents (stat_path, &stat, NULL, NULL))
        continue;
      g_strstrip (comm);
      if (!g_str_has_prefix (comm, "ol-") || !g_str_has_suffix (comm, "Hz"))
        continue;
      (*threads)++;
      /* Fields after the command name in parentheses, from field 3 on. */
      after = strrchr (stat, ')');
      g_assert_nonnull (after);
      fields = g_strsplit (after + 2, " ", -1);
      g_assert_cmpuint (g_strv_length (fields), >, 39);
      if (strcmp (fields[41 - 3], "1") == 0 && atoi (fields[40 - 3]) == priority)
        (*fifo)++;
    }
}

typedef struct {
  GPid pid;
  int priority;
} Threads;

/* Whether every stream thread of the process runs at the priority: each
 * takes it up before its next tick. */
static gboolean
s_all_fifo (gpointer data)
{
  Threads *t = data;
  guint threads, fifo;

  s_stream_threads (t->pid, t->priority, &threads, &fifo);
  return threads >= 4 && fifo == threads;
}

static GPid
s_pid (TuProcess *p)
{
  const char *id = g_subprocess_get_identifier (p->proc);

  g_assert_nonnull (id);
  return (GPid) atoi (id);
}

static char *
s_write_config (const char *dir, const char *text)
{
  char *path = g_build_filename (dir, "server.json", NULL);

  g_assert_true (g_file_set_contents (path, text, -1, NULL));
  return path;
}

/* The demo server with --realtime: its four stream threads (10, 20, 30,
 * 100 Hz) at SCHED_FIFO 20. */
static void
test_demo_server (void)
{
  const char *extra[] = { "--realtime", NULL };
  g_autofree char *rpc = NULL;
  g_autoptr (TuProcess) server = NULL;
  guint threads, fifo;
  Threads t = { 0, OL_REALTIME_DEFAULT_PRIORITY };

  if (!s_permitted (OL_REALTIME_DEFAULT_PRIORITY))
    {
      g_test_skip ("this test process may not use SCHED_FIFO and lock memory");
      return;
    }
  server = tu_spawn_demo_server (&rpc, extra);
  t.pid = s_pid (server);
  g_assert_true (tu_wait_until (s_all_fifo, &t, 10000));
  s_stream_threads (t.pid, OL_REALTIME_DEFAULT_PRIORITY, &threads, &fifo);
  g_assert_cmpuint (fifo, ==, threads);
  g_assert_true (tu_kill_wait (server, SIGTERM, 10000, NULL));
}

/* A priority from the configuration file. */
static void
test_config (void)
{
  g_autofree char *dir = g_dir_make_tmp ("oneliner-realtime-XXXXXX", NULL);
  g_autofree char *config = s_write_config (dir, "{\"realtime\": 33}");
  const char *extra[] = { "--config", config, NULL };
  g_autofree char *rpc = NULL;
  g_autoptr (TuProcess) server = NULL;
  guint threads, fifo;
  Threads t = { 0, 33 };

  if (!s_permitted (33))
    {
      g_test_skip ("this test process may not use SCHED_FIFO and lock memory");
      g_unlink (config);
      g_rmdir (dir);
      return;
    }
  server = tu_spawn_demo_server (&rpc, extra);
  t.pid = s_pid (server);
  g_assert_true (tu_wait_until (s_all_fifo, &t, 10000));
  /* Not the default priority: the file's. */
  s_stream_threads (t.pid, OL_REALTIME_DEFAULT_PRIORITY, &threads, &fifo);
  g_assert_cmpuint (fifo, ==, 0);
  g_assert_true (tu_kill_wait (server, SIGTERM, 10000, NULL));
  g_unlink (config);
  g_rmdir (dir);
}

/* Bad values: refused with one clear message, the server never serves. */
static void
test_bad_values (void)
{
  g_autofree char *dir = g_dir_make_tmp ("oneliner-realtime-XXXXXX", NULL);
  const char *const texts[] = { "{\"realtime\": 100}", "{\"realtime\": 0}",
                                "{\"realtime\": \"yes\"}", "{\"realtime\": 1.5}" };

  for (gsize i = 0; i < G_N_ELEMENTS (texts); i++)
    {
      g_autofree char *config = s_write_config (dir, texts[i]);
      const char *argv[] = { "tools/oneliner-demo-server", "--rpc", "tcp://127.0.0.1:*",
                             "--stream", "tcp://127.0.0.1:*", "--config", config, NULL };
      g_autofree char *out = NULL, *err = NULL;

      g_assert_cmpint (tu_run (argv, 20000, &out, &err), ==, 1);
      g_assert_null (strstr (out, "serving"));
      g_assert_nonnull (strstr (err, "\"realtime\" must be true, false or a priority from 1 "
                                     "to 99"));
      g_unlink (config);
    }
  g_rmdir (dir);
}

/* Run as nobody (without CAP_SYS_NICE, RLIMIT_RTPRIO 0): refused, saying
 * what is missing; without --realtime the same user serves. */
static void
test_refused (void)
{
  g_autofree char *program = tu_build_path ("tools/oneliner-demo-server");
  g_autofree char *setpriv = g_find_program_in_path ("setpriv");
  g_autoptr (GError) error = NULL;

  if (geteuid () != 0 || setpriv == NULL)
    {
      g_test_skip ("needs root and setpriv to run the server as nobody");
      return;
    }
  for (int with = 1; with >= 0; with--)
    {
      const char *argv[] = { setpriv, "--reuid", "65534", "--regid", "65534",
                             "--clear-groups", "--inh-caps=-all", program, "--rpc",
                             "tcp://127.0.0.1:*", "--stream", "tcp://127.0.0.1:*",
                             with ? "--realtime" : NULL, NULL };
      g_autoptr (GSubprocess) p = NULL;
      g_autofree char *out = NULL, *err = NULL;

      p = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE,
                             &error);
      g_assert_no_error (error);
      if (with)
        {
          g_assert_true (g_subprocess_communicate_utf8 (p, NULL, NULL, &out, &err, &error));
          g_assert_no_error (error);
          if (strstr (err, "realtime") == NULL && strstr (err, "ermission denied") != NULL)
            {
              g_test_skip ("nobody may not run the built program here");
              return;
            }
          g_assert_cmpint (g_subprocess_get_exit_status (p), ==, 1);
          g_assert_null (strstr (out, "serving"));
          g_assert_nonnull (strstr (err, "realtime: this process may not run threads with "
                                         "SCHED_FIFO priority 20"));
          g_assert_nonnull (strstr (err, "CAP_SYS_NICE"));
        }
      else
        {
          /* The same user serves without --realtime: the refusal was realtime's. */
          g_autoptr (GDataInputStream) in =
            g_data_input_stream_new (g_subprocess_get_stdout_pipe (p));
          g_autofree char *line = g_data_input_stream_read_line_utf8 (in, NULL, NULL, &error);

          g_assert_no_error (error);
          g_assert_nonnull (line);
          g_assert_nonnull (strstr (line, "serving"));
          g_subprocess_send_signal (p, SIGTERM);
          g_assert_true (g_subprocess_wait (p, NULL, &error));
        }
    }
}

/* The API: a priority out of range changes nothing; 0 is always allowed. */
static void
test_api (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (OlServer) s = ol_server_new ("tcp://127.0.0.1:*", "tcp://127.0.0.1:*");

  g_assert_false (ol_server_set_realtime (s, 100, &error));
  g_assert_error (error, OL_ERROR, OL_ERROR_INVALID_ARGS);
  g_assert_nonnull (strstr (error->message, "from 1 to 99"));
  g_clear_error (&error);
  g_assert_false (ol_server_set_realtime (s, -1, &error));
  g_assert_error (error, OL_ERROR, OL_ERROR_INVALID_ARGS);
  g_clear_error (&error);
  g_assert_true (ol_server_set_realtime (s, 0, &error));
  g_assert_no_error (error);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/realtime/demo-server", test_demo_server);
  g_test_add_func ("/realtime/config", test_config);
  g_test_add_func ("/realtime/bad-values", test_bad_values);
  g_test_add_func ("/realtime/refused", test_refused);
  g_test_add_func ("/realtime/api", test_api);
  return g_test_run ();
}
