/* Helpers shared by the integration tests. */
#include "tests/testutil.h"

#include <signal.h>
#include <sys/prctl.h>
#include <string.h>
#include <sys/wait.h>

char *
tu_build_path (const char *relative)
{
  const char *dir = g_getenv ("OL_BUILD_DIR");

  if (dir == NULL)
    g_error ("OL_BUILD_DIR is not set: run the tests through meson test");
  return g_build_filename (dir, relative, NULL);
}

char *
tu_ipc_endpoint (const char *name)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("oneliner-XXXXXX", &error);

  g_assert_no_error (error);
  return g_strdup_printf ("ipc://%s/%s", dir, name);
}

/* Children die with the test: a failed test never leaves a server behind
 * holding the test runner's pipes open. */
static void
s_child_setup (gpointer data)
{
  (void) data;
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

static GSubprocess *
s_launch (GPtrArray *args, GSubprocessFlags flags, GError **error)
{
  g_autoptr (GSubprocessLauncher) launcher = g_subprocess_launcher_new (flags);

  g_subprocess_launcher_set_child_setup (launcher, s_child_setup, NULL, NULL);
  return g_subprocess_launcher_spawnv (launcher, (const char *const *) args->pdata, error);
}

static TuProcess *
s_spawn (const char *const *argv, GSubprocessFlags flags)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) args = g_ptr_array_new_with_free_func (g_free);
  TuProcess *p = g_new0 (TuProcess, 1);

  g_ptr_array_add (args, tu_build_path (argv[0]));
  for (int i = 1; argv[i] != NULL; i++)
    g_ptr_array_add (args, g_strdup (argv[i]));
  g_ptr_array_add (args, NULL);
  p->proc = s_launch (args, G_SUBPROCESS_FLAGS_STDOUT_PIPE | flags, &error);
  g_assert_no_error (error);
  p->out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (p->proc));
  p->lines = g_string_new (NULL);
  return p;
}

TuProcess *
tu_spawn (const char *const *argv)
{
  return s_spawn (argv, 0);
}

TuProcess *
tu_spawn_merged (const char *const *argv)
{
  return s_spawn (argv, G_SUBPROCESS_FLAGS_STDERR_MERGE);
}

typedef struct {
  char *line;
  gboolean done;
} LineRead;

static void
s_line_ready (GObject *source, GAsyncResult *res, gpointer data)
{
  LineRead *r = data;
  r->line = g_data_input_stream_read_line_finish (G_DATA_INPUT_STREAM (source), res,
                                                  NULL, NULL);
  r->done = TRUE;
}

static gboolean
s_timeout_flag (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

char *
tu_wait_line (TuProcess *p, const char *needle, int timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;
  GMainContext *ctx = g_main_context_ref_thread_default ();

  for (;;)
    {
      LineRead r = { NULL, FALSE };
      g_autoptr (GCancellable) cancel = g_cancellable_new ();
      gboolean timed_out = FALSE;
      gint64 left = deadline - g_get_monotonic_time ();
      GSource *timer;

      if (left <= 0)
        break;
      timer = g_timeout_source_new ((guint) (left / 1000 + 1));
      g_source_set_callback (timer, s_timeout_flag, &timed_out, NULL);
      g_source_attach (timer, ctx);
      g_data_input_stream_read_line_async (p->out, G_PRIORITY_DEFAULT, cancel,
                                           s_line_ready, &r);
      while (!r.done && !timed_out)
        g_main_context_iteration (ctx, TRUE);
      g_source_destroy (timer);
      g_source_unref (timer);
      if (!r.done)
        {
          g_cancellable_cancel (cancel);
          while (!r.done)
            g_main_context_iteration (ctx, TRUE);
          g_free (r.line);
          break;
        }
      if (r.line == NULL)
        break; /* end of output */
      g_string_append_printf (p->lines, "%s\n", r.line);
      if (strstr (r.line, needle) != NULL)
        {
          g_main_context_unref (ctx);
          return r.line;
        }
      g_free (r.line);
    }
  g_main_context_unref (ctx);
  return NULL;
}

TuProcess *
tu_spawn_demo_server (char **rpc, const char *const *extra)
{
  return tu_spawn_server ("tools/oneliner-demo-server", rpc, extra);
}

TuProcess *
tu_spawn_server (const char *program, char **rpc, const char *const *extra)
{
  const char *argv[32] = { program, "--rpc", "tcp://127.0.0.1:*",
                           "--stream", "tcp://127.0.0.1:*" };
  int n = 5;
  TuProcess *p;
  g_autofree char *line = NULL;
  const char *at;

  for (int i = 0; extra && extra[i]; i++)
    argv[n++] = extra[i];
  argv[n] = NULL;
  p = tu_spawn (argv);
  line = tu_wait_line (p, "serving", 10000);
  if (line == NULL)
    g_error ("%s did not start; it printed:\n%s", program, p->lines->str);
  at = strstr (line, "rpc ");
  g_assert_nonnull (at);
  *rpc = g_strndup (at + 4, strcspn (at + 4, " \n"));
  return p;
}

char *
tu_demo_stream_endpoint (TuProcess *p)
{
  const char *at = strstr (p->lines->str, " stream ");

  g_assert_nonnull (at);
  return g_strndup (at + 8, strcspn (at + 8, " \n"));
}

gboolean
tu_wait (TuProcess *p, int timeout_ms, int *status)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;
  int raw;

  /* GSubprocess reaps through the GLib worker thread; poll its state. */
  while (g_get_monotonic_time () < deadline)
    {
      if (g_subprocess_get_identifier (p->proc) == NULL)
        {
          raw = g_subprocess_get_status (p->proc);
          if (status)
            *status = WIFEXITED (raw) ? WEXITSTATUS (raw)
                                      : 128 + (WIFSIGNALED (raw) ? WTERMSIG (raw) : 0);
          return TRUE;
        }
      g_main_context_iteration (NULL, FALSE);
      g_usleep (2000);
    }
  return FALSE;
}

gboolean
tu_kill_wait (TuProcess *p, int signal, int timeout_ms, int *status)
{
  if (g_subprocess_get_identifier (p->proc) != NULL)
    g_subprocess_send_signal (p->proc, signal);
  return tu_wait (p, timeout_ms, status);
}

static gboolean
s_all_threads_stopped (pid_t pid)
{
  g_autofree char *dir_path = g_strdup_printf ("/proc/%d/task", (int) pid);
  g_autoptr (GDir) dir = g_dir_open (dir_path, 0, NULL);
  const char *tid;
  int threads = 0;

  if (dir == NULL)
    return FALSE;
  while ((tid = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_strdup_printf ("%s/%s/stat", dir_path, tid);
      g_autofree char *stat = NULL;
      const char *end;

      if (!g_file_get_contents (path, &stat, NULL, NULL))
        return FALSE;
      end = strrchr (stat, ')');          /* the name may hold anything */
      if (end == NULL || end[1] != ' ' || end[2] != 'T')
        return FALSE;
      threads++;
    }
  return threads > 0;
}

gboolean
tu_stop (pid_t pid, int timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  if (kill (pid, SIGSTOP) != 0)
    return FALSE;
  while (!s_all_threads_stopped (pid))
    {
      if (g_get_monotonic_time () > deadline)
        return FALSE;
      g_usleep (1000);
    }
  return TRUE;
}

void
tu_process_free (TuProcess *p)
{
  if (p == NULL)
    return;
  if (g_subprocess_get_identifier (p->proc) != NULL)
    {
      g_subprocess_force_exit (p->proc);
      tu_wait (p, 5000, NULL);
    }
  g_object_unref (p->out);
  g_object_unref (p->proc);
  g_string_free (p->lines, TRUE);
  g_free (p);
}

typedef struct {
  gboolean done;
  char *out, *err;
} Communicated;

static void
s_communicated (GObject *source, GAsyncResult *res, gpointer data)
{
  Communicated *c = data;
  g_subprocess_communicate_utf8_finish (G_SUBPROCESS (source), res, &c->out, &c->err, NULL);
  c->done = TRUE;
}

int
tu_run (const char *const *argv, int timeout_ms, char **out, char **err)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) args = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GSubprocess) proc = NULL;
  Communicated c = { FALSE, NULL, NULL };
  gboolean timed_out = FALSE;
  GSource *timer;
  GMainContext *ctx = g_main_context_get_thread_default ();
  int raw;

  g_ptr_array_add (args, tu_build_path (argv[0]));
  for (int i = 1; argv[i] != NULL; i++)
    g_ptr_array_add (args, g_strdup (argv[i]));
  g_ptr_array_add (args, NULL);
  proc = s_launch (args, G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE,
                   &error);
  g_assert_no_error (error);
  timer = g_timeout_source_new (timeout_ms);
  g_source_set_callback (timer, s_timeout_flag, &timed_out, NULL);
  g_source_attach (timer, ctx);
  g_subprocess_communicate_utf8_async (proc, NULL, NULL, s_communicated, &c);
  while (!c.done && !timed_out)
    g_main_context_iteration (ctx, TRUE);
  g_source_destroy (timer);
  g_source_unref (timer);
  if (!c.done)
    {
      g_subprocess_force_exit (proc);
      while (!c.done)
        g_main_context_iteration (ctx, TRUE);
    }
  g_subprocess_wait (proc, NULL, NULL);
  raw = g_subprocess_get_status (proc);
  if (out)
    *out = g_steal_pointer (&c.out);
  if (err)
    *err = g_steal_pointer (&c.err);
  g_free (c.out);
  g_free (c.err);
  if (timed_out)
    return -1;
  return WIFEXITED (raw) ? WEXITSTATUS (raw) : 128 + WTERMSIG (raw);
}

gboolean
tu_wait_until (gboolean (*cond) (gpointer), gpointer data, int timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  while (!cond (data))
    {
      if (g_get_monotonic_time () > deadline)
        return FALSE;
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
  return TRUE;
}

void
tu_demo_setup (TuDemo *d, gconstpointer data)
{
  const char *extra[] = { "--speed", "0", NULL };

  (void) data;
  d->server = tu_spawn_demo_server (&d->rpc, extra);
  d->stream = tu_demo_stream_endpoint (d->server);
}

void
tu_demo_teardown (TuDemo *d, gconstpointer data)
{
  (void) data;
  tu_process_free (d->server);
  g_free (d->rpc);
  g_free (d->stream);
}
