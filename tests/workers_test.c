/* Calls on the server's call workers, over tcp loopback with the server in
 * this process: a held call holds only the callers of its own instance;
 * calls into one instance, and the free functions, stay serialised and in
 * order; stop during a call; the bound from ONELINER_CALL_THREADS. */
#include <stdbool.h>
#include <string.h>

#include "oneliner/json.h"
#include "core/lock.h"
#include "tests/testutil.h"

/* How long a held call waits for the test to release it. */
#define HOLD_BOUND_US (30 * G_TIME_SPAN_SECOND)
#define N_CLIENTS 8
#define CALLS_PER_CLIENT 25

/* An instance under test (the free functions share one too). */
typedef struct {
  OlMutex lock;          /* guards entered, released, held_out */
  OlCond cond;
  gboolean entered;      /* a held call is running */
  gboolean released;
  gboolean held_out;     /* a held call waited its whole bound */
  /* Touched by the calls alone, without a lock: calls that overlap lose
   * increments and see busy set. */
  int calls;
  gboolean busy;
  gboolean overlapped;
  GArray *order;         /* int32, the arguments of record() in call order */
} Probe;

static void
s_probe_init (Probe *p)
{
  memset (p, 0, sizeof *p);
  ol__mutex_init (&p->lock);
  ol__cond_init (&p->cond);
  p->order = g_array_new (FALSE, FALSE, sizeof (gint32));
}

static void
s_probe_clear (Probe *p)
{
  ol__mutex_clear (&p->lock);
  ol__cond_clear (&p->cond);
  g_array_unref (p->order);
}

/* Blocks until the test releases it (at most HOLD_BOUND_US); returns
 * whether it was released. */
static bool
f_hold (Probe *p)
{
  gint64 end = g_get_monotonic_time () + HOLD_BOUND_US;
  bool released;

  ol__mutex_lock (&p->lock);
  p->entered = TRUE;
  ol__cond_broadcast (&p->cond);
  while (!p->released && ol__cond_wait_until (&p->cond, &p->lock, end))
    ;
  released = p->released;
  p->held_out = !released;
  ol__mutex_unlock (&p->lock);
  return released;
}

static int32_t
f_bump (Probe *p)
{
  int c;

  if (p->busy)
    p->overlapped = TRUE;
  p->busy = TRUE;
  c = p->calls;
  g_thread_yield ();
  p->calls = c + 1;
  p->busy = FALSE;
  return c + 1;
}

static int32_t
f_record (Probe *p, int32_t i)
{
  f_bump (p);
  g_array_append_val (p->order, i);
  return i;
}

static int32_t
f_add (Probe *p, int32_t a, int32_t b)
{
  (void) p;
  return a + b;
}

/* The free functions, serialised among themselves over one probe. */
static Probe s_free_probe;
static int32_t f_free_bump (void) { return f_bump (&s_free_probe); }
static int32_t f_free_bump2 (void) { return f_bump (&s_free_probe); }

typedef struct {
  OlServer *server;
  char *endpoint;
  Probe slow;
  Probe fast;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  (void) data;
  s_probe_init (&f->slow);
  s_probe_init (&f->fast);
  s_probe_init (&s_free_probe);
  f->server = ol_server_new ("tcp://127.0.0.1:*", "tcp://127.0.0.1:*");
  for (int k = 0; k < 2; k++)
    {
      const char *name = k == 0 ? "slow" : "fast";
      Probe *p = k == 0 ? &f->slow : &f->fast;

      g_assert_true (ol_server_add_instance (f->server, name, p, NULL, &error));
      g_assert_true (ol_server_add_method (f->server, name, "hold", "() -> bool",
                                           OL_FUNC (f_hold), &error));
      g_assert_true (ol_server_add_method (f->server, name, "bump", "() -> int32",
                                           OL_FUNC (f_bump), &error));
      g_assert_true (ol_server_add_method (f->server, name, "record", "(int32 i) -> int32",
                                           OL_FUNC (f_record), &error));
      g_assert_true (ol_server_add_method (f->server, name, "add",
                                           "(int32 a, int32 b) -> int32", OL_FUNC (f_add),
                                           &error));
    }
  g_assert_true (ol_server_add_function (f->server, "free_bump", "() -> int32",
                                         OL_FUNC (f_free_bump), &error));
  g_assert_true (ol_server_add_function (f->server, "free_bump2", "() -> int32",
                                         OL_FUNC (f_free_bump2), &error));
  g_assert_no_error (error);
  g_assert_true (ol_server_start (f->server, &error));
  g_assert_no_error (error);
  f->endpoint = g_strdup (ol_server_get_rpc_endpoint (f->server));
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  (void) data;
  ol_server_free (&f->server);
  s_probe_clear (&f->slow);
  s_probe_clear (&f->fast);
  s_probe_clear (&s_free_probe);
  g_free (f->endpoint);
}

static OlClient *
s_client (const char *endpoint, int timeout_ms)
{
  g_autoptr (GError) error = NULL;
  OlClient *c = ol_client_new (endpoint, NULL, &error);

  g_assert_no_error (error);
  ol_client_set_timeout (c, timeout_ms);
  return c;
}

/* Waits, bounded, until p's held call runs. */
static void
s_wait_entered (Probe *p)
{
  gint64 end = g_get_monotonic_time () + HOLD_BOUND_US;

  ol__mutex_lock (&p->lock);
  while (!p->entered && ol__cond_wait_until (&p->cond, &p->lock, end))
    ;
  g_assert_true (p->entered);
  ol__mutex_unlock (&p->lock);
}

static void
s_release (Probe *p)
{
  ol__mutex_lock (&p->lock);
  p->released = TRUE;
  ol__cond_broadcast (&p->cond);
  ol__mutex_unlock (&p->lock);
}

/* A client thread: n calls of instance.method, each bounded. */
typedef struct {
  const char *endpoint;
  const char *instance;  /* (nullable) */
  const char *method;
  int n;
  int timeout_ms;
  int ok;                /* calls that succeeded */
  json_t *last;          /* (owned) the last result */
  GError *error;         /* (owned) the first error */
} Caller;

/* A client belongs to the thread-default context of the thread that
 * creates it: each caller thread has its own. */
static gpointer
s_caller (gpointer data)
{
  Caller *c = data;
  GMainContext *ctx = g_main_context_new ();
  OlClient *client;

  g_main_context_push_thread_default (ctx);
  client = s_client (c->endpoint, c->timeout_ms);
  for (int i = 0; i < c->n; i++)
    {
      GError *error = NULL;
      g_autoptr (json_t) args = json_array ();
      json_t *r;

      if (strcmp (c->method, "add") == 0)
        {
          json_array_append_new (args, json_integer (i));
          json_array_append_new (args, json_integer (1));
        }
      r = ol_client_call (client, c->instance, c->method, args, NULL, &error);
      if (r == NULL)
        {
          if (c->error == NULL)
            c->error = error;
          else
            g_error_free (error);
          continue;
        }
      c->ok++;
      json_decref (c->last);
      c->last = r;
    }
  ol_client_free (&client);
  g_main_context_pop_thread_default (ctx);
  g_main_context_unref (ctx);
  return NULL;
}

static void
s_caller_clear (Caller *c)
{
  json_decref (c->last);
  g_clear_error (&c->error);
}

/* While a call into one instance is held, the calls of eight clients into
 * another instance all complete. */
static void
test_held_call_holds_only_its_instance (Fixture *f, gconstpointer data)
{
  Caller slow = { f->endpoint, "slow", "hold", 1, 60000, 0, NULL, NULL };
  Caller fast[N_CLIENTS];
  GThread *slow_thread, *threads[N_CLIENTS];
  gboolean slow_done;

  (void) data;
  slow_thread = g_thread_new ("held", s_caller, &slow);
  s_wait_entered (&f->slow);
  for (int i = 0; i < N_CLIENTS; i++)
    {
      fast[i] = (Caller) { f->endpoint, "fast", "add", CALLS_PER_CLIENT, 20000, 0, NULL, NULL };
      threads[i] = g_thread_new ("fast", s_caller, &fast[i]);
    }
  for (int i = 0; i < N_CLIENTS; i++)
    {
      g_thread_join (threads[i]);
      g_assert_no_error (fast[i].error);
      g_assert_cmpint (fast[i].ok, ==, CALLS_PER_CLIENT);
      g_assert_cmpint (json_integer_value (fast[i].last), ==, CALLS_PER_CLIENT);
      s_caller_clear (&fast[i]);
    }
  /* The held call is still running: only the release below ends it. */
  ol__mutex_lock (&f->slow.lock);
  slow_done = f->slow.released || f->slow.held_out;
  ol__mutex_unlock (&f->slow.lock);
  g_assert_false (slow_done);

  s_release (&f->slow);
  g_thread_join (slow_thread);
  g_assert_no_error (slow.error);
  g_assert_true (json_is_true (slow.last));
  s_caller_clear (&slow);
}

/* Calls into one instance from many clients never overlap; one client's
 * pipelined calls run in the order it sent them. */
typedef struct {
  OlClient *client;
  int done;
  int failed;
} Pipelined;

static void
s_pipelined_done (GObject *source, GAsyncResult *res, gpointer data)
{
  Pipelined *p = data;
  g_autoptr (GError) error = NULL;
  g_autoptr (json_t) r = ol_client_call_finish (p->client, res, &error);

  (void) source;
  if (r == NULL)
    p->failed++;
  p->done++;
}

static gboolean
s_all_done (gpointer data)
{
  Pipelined *p = data;
  return p->done == 200;
}

static void
test_instance_serialised_in_order (Fixture *f, gconstpointer data)
{
  Caller bumpers[4];
  GThread *threads[4];
  g_autoptr (OlClient) client = s_client (f->endpoint, 20000);
  Pipelined pipelined = { client, 0, 0 };

  (void) data;
  for (int i = 0; i < 4; i++)
    {
      bumpers[i] = (Caller) { f->endpoint, "fast", "bump", 50, 20000, 0, NULL, NULL };
      threads[i] = g_thread_new ("bump", s_caller, &bumpers[i]);
    }
  for (int i = 0; i < 200; i++)
    {
      g_autoptr (json_t) args = json_pack ("[i]", i);

      ol_client_call_async (client, "fast", "record", args, NULL, NULL, s_pipelined_done,
                            &pipelined);
    }
  g_assert_true (tu_wait_until (s_all_done, &pipelined, 30000));
  g_assert_cmpint (pipelined.failed, ==, 0);
  for (int i = 0; i < 4; i++)
    {
      g_thread_join (threads[i]);
      g_assert_no_error (bumpers[i].error);
      g_assert_cmpint (bumpers[i].ok, ==, 50);
      s_caller_clear (&bumpers[i]);
    }
  g_assert_false (f->fast.overlapped);
  g_assert_cmpint (f->fast.calls, ==, 4 * 50 + 200);
  g_assert_cmpuint (f->fast.order->len, ==, 200);
  for (guint i = 0; i < f->fast.order->len; i++)
    g_assert_cmpint (g_array_index (f->fast.order, gint32, i), ==, (gint32) i);
}

/* The free functions run one at a time, as if members of one instance. */
static void
test_free_functions_serialised (Fixture *f, gconstpointer data)
{
  Caller callers[4];
  GThread *threads[4];

  (void) data;
  for (int i = 0; i < 4; i++)
    {
      callers[i] = (Caller) { f->endpoint, NULL, i % 2 ? "free_bump" : "free_bump2", 50, 20000,
                              0, NULL, NULL };
      threads[i] = g_thread_new ("free", s_caller, &callers[i]);
    }
  for (int i = 0; i < 4; i++)
    {
      g_thread_join (threads[i]);
      g_assert_no_error (callers[i].error);
      g_assert_cmpint (callers[i].ok, ==, 50);
      s_caller_clear (&callers[i]);
    }
  g_assert_false (s_free_probe.overlapped);
  g_assert_cmpint (s_free_probe.calls, ==, 4 * 50);
}

static gpointer
s_stopper (gpointer data)
{
  ol_server_stop (data);
  return NULL;
}

/* Stop while a call runs: the call finishes, the calls queued behind it
 * are dropped, and stop returns once the call is released. */
static void
test_stop_during_call (Fixture *f, gconstpointer data)
{
  Caller held = { f->endpoint, "slow", "hold", 1, 60000, 0, NULL, NULL };
  Caller queued = { f->endpoint, "slow", "bump", 1, 2000, 0, NULL, NULL };
  GThread *held_thread, *queued_thread, *stopper;

  (void) data;
  held_thread = g_thread_new ("held", s_caller, &held);
  s_wait_entered (&f->slow);
  queued_thread = g_thread_new ("queued", s_caller, &queued);
  stopper = g_thread_new ("stop", s_stopper, f->server);
  s_release (&f->slow);
  g_thread_join (stopper);
  g_thread_join (held_thread);
  g_thread_join (queued_thread);
  /* The held call ran to its end, released. */
  g_assert_false (f->slow.held_out);
  s_caller_clear (&held);
  s_caller_clear (&queued);
  ol_server_free (&f->server);
}

/* ONELINER_CALL_THREADS: an integer from 1 to 64, else the server does
 * not start. */
static void
test_call_threads_env (void)
{
  static const char *const bad[] = { "0", "65", "x", "-1", "" };
  Probe p;

  s_probe_init (&p);
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (GError) error = NULL;
      OlServer *s = ol_server_new ("tcp://127.0.0.1:*", "tcp://127.0.0.1:*");

      g_setenv ("ONELINER_CALL_THREADS", bad[i], TRUE);
      g_assert_false (ol_server_start (s, &error));
      g_assert_error (error, OL_ERROR, OL_ERROR_FAILED);
      g_assert_nonnull (strstr (error->message, "ONELINER_CALL_THREADS"));
      ol_server_free (&s);
    }
  {
    g_autoptr (GError) error = NULL;
    OlServer *s = ol_server_new ("tcp://127.0.0.1:*", "tcp://127.0.0.1:*");
    g_autoptr (OlClient) client = NULL;
    g_autoptr (json_t) r = NULL;

    g_setenv ("ONELINER_CALL_THREADS", "1", TRUE);
    g_assert_true (ol_server_add_instance (s, "p", &p, NULL, &error));
    g_assert_true (ol_server_add_method (s, "p", "bump", "() -> int32", OL_FUNC (f_bump),
                                         &error));
    g_assert_true (ol_server_start (s, &error));
    g_assert_no_error (error);
    client = s_client (ol_server_get_rpc_endpoint (s), 20000);
    r = ol_client_call (client, "p", "bump", NULL, NULL, &error);
    g_assert_no_error (error);
    g_assert_cmpint (json_integer_value (r), ==, 1);
    ol_server_free (&s);
  }
  g_unsetenv ("ONELINER_CALL_THREADS");
  s_probe_clear (&p);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_unsetenv ("ONELINER_CALL_THREADS");
  g_test_add ("/workers/held-call-holds-only-its-instance", Fixture, NULL, fixture_setup,
              test_held_call_holds_only_its_instance, fixture_teardown);
  g_test_add ("/workers/instance-serialised-in-order", Fixture, NULL, fixture_setup,
              test_instance_serialised_in_order, fixture_teardown);
  g_test_add ("/workers/free-functions-serialised", Fixture, NULL, fixture_setup,
              test_free_functions_serialised, fixture_teardown);
  g_test_add ("/workers/stop-during-call", Fixture, NULL, fixture_setup,
              test_stop_during_call, fixture_teardown);
  g_test_add_func ("/workers/call-threads-env", test_call_threads_env);
  return g_test_run ();
}
