/* Relays with real processes: oneliner-demo-server behind one and two
 * oneliner-relay processes, a foreign PUB socket relayed, and (where the
 * machine allows it) servers on separate network namespaces. */
#include <errno.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

#include "oneliner/json.h"
#include "tests/testutil.h"

/* Starts a relay with the given arguments; *rpc and *stream get its endpoints. */
static TuProcess *
s_spawn_relay (char **rpc, char **stream, const char *const *extra)
{
  TuProcess *p = tu_spawn_server ("oneliner-relay", rpc, extra);

  *stream = tu_demo_stream_endpoint (p);
  return p;
}

typedef struct {
  char *demo_rpc, *demo_stream;   /* ipc: the same after a restart */
  TuProcess *demo;
  TuProcess *a, *b;
  char *a_rpc, *a_stream, *b_rpc, *b_stream;
  OlClient *client;               /* connected to relay b */
} Chain;

static TuProcess *
s_spawn_demo (Chain *c)
{
  const char *argv[] = { "tools/oneliner-demo-server", "--rpc", c->demo_rpc, "--stream",
                         c->demo_stream, "--speed", "0", NULL };
  TuProcess *p = tu_spawn (argv);
  g_autofree char *line = tu_wait_line (p, "serving", 10000);

  g_assert_nonnull (line);
  return p;
}

static void
chain_setup (Chain *c, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *mount_a = NULL;
  g_autofree char *mount_b = NULL;

  (void) data;
  c->demo_rpc = tu_ipc_endpoint ("demo-rpc");
  c->demo_stream = tu_ipc_endpoint ("demo-stream");
  c->demo = s_spawn_demo (c);
  mount_a = g_strdup_printf ("lab=%s,%s", c->demo_rpc, c->demo_stream);
  {
    const char *extra[] = { "--mount", mount_a, NULL };
    c->a = s_spawn_relay (&c->a_rpc, &c->a_stream, extra);
  }
  mount_b = g_strdup_printf ("pc=%s,%s", c->a_rpc, c->a_stream);
  {
    const char *extra[] = { "--mount", mount_b, NULL };
    c->b = s_spawn_relay (&c->b_rpc, &c->b_stream, extra);
  }
  c->client = ol_client_new (c->b_rpc, c->b_stream, &error);
  g_assert_no_error (error);
  ol_client_set_timeout (c->client, 5000);
}

static void
chain_teardown (Chain *c, gconstpointer data)
{
  (void) data;
  ol_client_free (&c->client);
  tu_process_free (c->b);
  tu_process_free (c->a);
  tu_process_free (c->demo);
  g_free (c->demo_rpc);
  g_free (c->demo_stream);
  g_free (c->a_rpc);
  g_free (c->a_stream);
  g_free (c->b_rpc);
  g_free (c->b_stream);
}

/* Calls through the chain, retrying while the relays connect (bounded). */
static json_t *
s_call (Chain *c, const char *object, const char *method, const char *args_text, GError **error)
{
  g_autoptr (json_t) args = args_text ? json_loads (args_text, 0, NULL) : NULL;
  gint64 deadline = g_get_monotonic_time () + 15 * G_TIME_SPAN_SECOND;

  for (;;)
    {
      GError *e = NULL;
      json_t *r = ol_client_call (c->client, object, method, args, NULL, &e);

      if (r != NULL || g_get_monotonic_time () > deadline
          || !(g_error_matches (e, OL_ERROR, OL_ERROR_UNREACHABLE)
               || g_error_matches (e, OL_ERROR, OL_ERROR_TIMEOUT)))
        {
          if (e != NULL)
            g_propagate_error (error, e);
          return r;
        }
      g_error_free (e);
      g_usleep (50 * 1000);
    }
}

static void
test_chain_calls (Chain *c, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (json_t) moved = s_call (c, "pc/lab/stage", "move_to", "[1, 12.5]", &error);
  g_autoptr (json_t) list = NULL;
  g_autoptr (GError) e2 = NULL;
  json_t *r;

  (void) data;
  g_assert_no_error (error);
  g_assert_cmpfloat (json_real_value (moved), ==, 12.5);
  r = ol_client_call_named (c->client, "pc/lab/home_all", NULL, NULL, &error);
  g_assert_no_error (error);
  json_decref (r);
  r = s_call (c, "pc/lab/stage", "position", "[1]", &error);
  g_assert_cmpfloat (json_real_value (r), ==, 0.0);
  json_decref (r);
  /* Remote errors pass through with their text. */
  r = s_call (c, "pc/lab/stage", "move_to", "[1, 500]", &e2);
  g_assert_null (r);
  g_assert_error (e2, OL_ERROR, OL_ERROR_INVALID_ARGS);
  g_assert_nonnull (strstr (e2->message, "past its travel limits"));
  /* Introspection passes through (refreshed every second). */
  for (int k = 0; k < 100; k++)
    {
      g_clear_pointer (&list, json_decref);
      list = ol_client_list (c->client, &error);
      g_assert_no_error (error);
      if (json_object_get (json_object_get (list, "instances"), "pc/lab/stage") != NULL)
        break;
      g_usleep (50 * 1000);
    }
  g_assert_nonnull (json_object_get (json_object_get (json_object_get (list, "instances"),
                                                      "pc/lab/stage"), "move_to"));
  g_assert_nonnull (json_object_get (json_object_get (list, "named_calls"), "pc/lab/home_all"));
}

static void
test_chain_streams (Chain *c, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  OlStreamCounters counters;
  guint64 last = 0;
  gint64 made;
  g_autoptr (json_t) made_json = NULL;

  (void) data;
  /* sensor/sine through two relays: headers kept, so sequence numbers stay
   * contiguous end to end. */
  g_assert_true (ol_client_configure_stream (c->client, "pc/lab/sensor/sine", OL_STORAGE_QUEUE,
                                             10000, &error));
  for (int i = 0; i < 100; i++)
    {
      g_autoptr (OlStreamMessage) m = ol_client_get_stream (c->client, "pc/lab/sensor/sine",
                                                            15000, &error);
      g_assert_no_error (error);
      if (last != 0)
        g_assert_cmpuint (m->sequence, ==, last + 1);
      last = m->sequence;
    }
  g_assert_true (ol_client_get_stream_counters (c->client, "pc/lab/sensor/sine", &counters, &error));
  g_assert_cmpuint (counters.missed, ==, 0);

  /* Enable through the chain reaches the source: the camera starts. */
  g_assert_true (ol_client_configure_stream (c->client, "pc/lab/camera/frames", OL_STORAGE_CACHE,
                                             0, &error));
  g_assert_true (ol_client_set_stream_enabled (c->client, "pc/lab/camera/frames", TRUE, &error));
  {
    g_autoptr (OlStreamMessage) m = ol_client_get_stream (c->client, "pc/lab/camera/frames",
                                                          15000, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (m->image.width, ==, 640);
    g_assert_cmpuint (m->image.height, ==, 480);
  }
  g_assert_true (ol_client_set_stream_enabled (c->client, "pc/lab/camera/frames", FALSE, &error));
  made_json = s_call (c, "pc/lab/camera", "frames_made", NULL, &error);
  made = json_integer_value (made_json);
  g_assert_cmpint (made, >, 0);
  /* Unknown names pass through as clear errors. */
  {
    g_autoptr (GError) e = NULL;
    g_assert_false (ol_client_set_stream_enabled (c->client, "pc/lab/nothing", TRUE, &e));
    g_assert_error (e, OL_ERROR, OL_ERROR_NOT_FOUND);
  }
}

/* Descriptions pass unchanged through two relays, and so do the warning and
 * alarm bits of the headers. */
static void
test_chain_descriptions (Chain *c, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (OlClient) direct = ol_client_new (c->demo_rpc, c->demo_stream, &error);
  g_autoptr (json_t) source = NULL;
  g_autoptr (json_t) relayed = NULL;
  const char *name;
  json_t *entry;
  guint described = 0;
  guint32 seen = 0;

  (void) data;
  g_assert_no_error (error);
  source = ol_client_list_streams (direct, &error);
  g_assert_no_error (error);
  /* The relays refresh their listings every second. */
  for (int k = 0; k < 300; k++)
    {
      g_clear_pointer (&relayed, json_decref);
      relayed = ol_client_list_streams (c->client, &error);
      g_assert_no_error (error);
      if (json_object_get (relayed, "pc/lab/daq/trace") != NULL)
        break;
      g_usleep (50 * 1000);
    }
  json_object_foreach (source, name, entry)
    {
      g_autofree char *path = g_strdup_printf ("pc/lab/%s", name);
      json_t *there = json_object_get (relayed, path);

      g_assert_nonnull (there);
      g_assert_nonnull (json_object_get (entry, "description"));
      g_assert_true (json_equal (json_object_get (entry, "description"),
                                 json_object_get (there, "description")));
      described++;
    }
  g_assert_cmpuint (described, >=, 6);

  /* Heat the sample past its alarm limit and back, through the chain. */
  g_assert_true (ol_client_configure_stream (c->client, "pc/lab/sensor/temperature",
                                             OL_STORAGE_QUEUE, 0, &error));
  for (int step = 0; step < 3; step++)
    {
      static const char *const heat[] = { "[12]", "[10]", "[-22]" };
      static const guint32 want[] = { OL_STATUS_WARNING, OL_STATUS_ALARM, 0 };
      g_autoptr (json_t) r = s_call (c, "pc/lab/sensor", "heat", heat[step], &error);
      gint64 deadline = g_get_monotonic_time () + 15 * G_TIME_SPAN_SECOND;

      g_assert_no_error (error);
      g_assert_nonnull (r);
      for (;;)
        {
          g_autoptr (OlStreamMessage) m = ol_client_get_stream (c->client,
                                                                "pc/lab/sensor/temperature",
                                                                15000, &error);
          g_assert_no_error (error);
          seen |= m->status;
          if ((m->status & (OL_STATUS_WARNING | OL_STATUS_ALARM)) == want[step])
            break;
          g_assert_cmpint (g_get_monotonic_time (), <, deadline);
        }
    }
  g_assert_true (seen & OL_STATUS_WARNING);
  g_assert_true (seen & OL_STATUS_ALARM);
  {
    OlStreamCounters counters;
    g_assert_true (ol_client_get_stream_counters (c->client, "pc/lab/sensor/temperature",
                                                  &counters, &error));
    g_assert_cmpuint (counters.alarms, >, 0);
    g_assert_cmpuint (counters.warnings, >, 0);
  }
}

static void
test_upstream_killed (Chain *c, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (json_t) r = s_call (c, "pc/lab/stage", "move_to", "[2, 7]", &error);
  json_t *after;
  gint64 start;
  int attempts = 0;

  (void) data;
  g_assert_no_error (error);
  g_assert_nonnull (r);
  g_assert_true (tu_kill_wait (c->demo, SIGKILL, 5000, NULL));

  /* Calls through the chain fail clearly, within their bound. */
  ol_client_set_timeout (c->client, 3000);
  start = g_get_monotonic_time ();
  after = ol_client_call (c->client, "pc/lab/stage", "position", NULL, NULL, &error);
  g_assert_null (after);
  g_assert_true (g_error_matches (error, OL_ERROR, OL_ERROR_UNREACHABLE)
                 || g_error_matches (error, OL_ERROR, OL_ERROR_TIMEOUT));
  g_assert_cmpint (g_get_monotonic_time () - start, <, 10 * G_TIME_SPAN_SECOND);
  g_clear_error (&error);
  /* Both relays keep serving. */
  {
    g_autoptr (json_t) v = ol_client_version (c->client, &error);
    g_assert_no_error (error);
    g_assert_nonnull (v);
  }

  /* The upstream comes back: the chain picks it up without restarts. */
  tu_process_free (c->demo);
  c->demo = s_spawn_demo (c);
  do
    {
      g_autoptr (json_t) args = json_pack ("[i]", 2);
      g_clear_error (&error);
      after = ol_client_call (c->client, "pc/lab/stage", "position", args, NULL, &error);
      if (after == NULL)
        g_usleep (100 * 1000);
    }
  while (after == NULL && ++attempts < 150);
  g_assert_no_error (error);
  /* A new process: its stage starts at home. */
  g_assert_cmpfloat (json_real_value (after), ==, 0.0);
  json_decref (after);
  /* Streams come back too. */
  g_assert_true (ol_client_configure_stream (c->client, "pc/lab/sensor/temperature",
                                             OL_STORAGE_CACHE, 0, &error));
  {
    g_autoptr (OlStreamMessage) m = ol_client_get_stream (c->client, "pc/lab/sensor/temperature",
                                                          15000, &error);
    g_assert_no_error (error);
    g_assert_nonnull (m);
  }
}

static void
test_mounts_cli (Chain *c, gconstpointer data)
{
  g_autoptr (json_t) r = NULL;
  g_autoptr (GError) error = NULL;
  const char *argv[] = { "tools/oneliner", "--rpc", c->b_rpc, "mounts", NULL };
  g_autofree char *out = NULL;

  (void) data;
  r = s_call (c, "pc/lab/stage", "position", "[1]", &error);
  g_assert_no_error (error);
  g_assert_cmpint (tu_run (argv, 20000, &out, NULL), ==, 0);
  g_assert_true (g_regex_match_simple ("^pc +up +[1-9][0-9]* +[1-9]", out, G_REGEX_MULTILINE, 0));
  /* A real comes back through two relays in its shortest form, as typed. */
  {
    const char *call[] = { "tools/oneliner", "--rpc", c->b_rpc, "call", "pc/lab/stage",
                           "move_to", "[2, 1.15]", NULL };
    g_autofree char *moved = NULL;

    g_assert_cmpint (tu_run (call, 20000, &moved, NULL), ==, 0);
    g_assert_cmpstr (g_strstrip (moved), ==, "1.15");
  }
}

/* ---- a foreign PUB socket ------------------------------------------------- */

/* Waits (bounded) for a (un)subscription message on the test's XPUB. */
static gboolean
s_expect_subscription (void *xpub, gboolean subscribe, const char *topic)
{
  gint64 deadline = g_get_monotonic_time () + 10 * G_TIME_SPAN_SECOND;

  while (g_get_monotonic_time () < deadline)
    {
      char buf[256];
      zmq_pollitem_t item = { xpub, 0, ZMQ_POLLIN, 0 };
      int n;

      if (zmq_poll (&item, 1, 100) <= 0)
        continue;
      n = zmq_recv (xpub, buf, sizeof buf, 0);
      if (n >= 1 && buf[0] == (subscribe ? 1 : 0) && (size_t) (n - 1) == strlen (topic)
          && memcmp (buf + 1, topic, (size_t) (n - 1)) == 0)
        return TRUE;
    }
  return FALSE;
}

/* A foreign publisher: an XPUB bound on loopback that reports every
 * (un)subscription (ZMQ_XPUB_VERBOSER); its endpoint goes to endpoint. */
static void *
s_foreign_xpub (void *ctx, char *endpoint, size_t size)
{
  void *xpub = zmq_socket (ctx, ZMQ_XPUB);
  int linger = 0, verbose = 1;

  zmq_setsockopt (xpub, ZMQ_LINGER, &linger, sizeof linger);
  zmq_setsockopt (xpub, ZMQ_XPUB_VERBOSER, &verbose, sizeof verbose);
  g_assert_cmpint (zmq_bind (xpub, "tcp://127.0.0.1:*"), ==, 0);
  zmq_getsockopt (xpub, ZMQ_LAST_ENDPOINT, endpoint, &size);
  return xpub;
}

static void
test_foreign_pub (void)
{
  g_autoptr (GError) error = NULL;
  void *ctx = zmq_ctx_new ();
  char endpoint[256];
  void *xpub = s_foreign_xpub (ctx, endpoint, sizeof endpoint);
  g_autofree char *relay_spec = NULL;
  g_autofree char *rpc = NULL, *stream = NULL;
  g_autoptr (TuProcess) relay = NULL;
  g_autoptr (OlClient) client = NULL;
  g_autoptr (json_t) streams = NULL;
  OlStreamMessage *m = NULL;

  relay_spec = g_strdup_printf ("ext=%s,temp", endpoint);
  {
    const char *extra[] = { "--relay", relay_spec, NULL };
    relay = s_spawn_relay (&rpc, &stream, extra);
  }
  /* The relay subscribes to the topic it was given. */
  g_assert_true (s_expect_subscription (xpub, TRUE, "temp"));

  client = ol_client_new (rpc, stream, &error);
  g_assert_no_error (error);
  g_assert_true (ol_client_configure_stream (client, "ext", OL_STORAGE_QUEUE, 1000, &error));
  for (int k = 0; k < 500 && m == NULL; k++)
    {
      zmq_send (xpub, "temp", 4, ZMQ_SNDMORE);
      zmq_send (xpub, "21.5", 4, 0);
      zmq_send (xpub, "other", 5, ZMQ_SNDMORE); /* not subscribed: never relayed */
      zmq_send (xpub, "x", 1, 0);
      m = ol_client_get_stream (client, "ext", 20, NULL);
    }
  g_assert_nonnull (m);
  g_assert_cmpint (m->encoding, ==, OL_ENCODING_RAW);
  g_assert_cmpmem (g_bytes_get_data (m->payload, NULL), g_bytes_get_size (m->payload), "21.5", 4);
  g_assert_cmpuint (m->sequence, >=, 1);
  ol_stream_message_free (m);

  streams = ol_client_list_streams (client, &error);
  g_assert_cmpstr (json_string_value (json_object_get (json_object_get (streams, "ext"), "kind")),
                   ==, "relayed");
  g_assert_cmpstr (json_string_value (json_object_get (json_object_get (streams, "ext"), "topic")),
                   ==, "temp");

  /* Disabled: the relay unsubscribes upstream; enabled again: subscribes. */
  g_assert_true (ol_client_set_stream_enabled (client, "ext", FALSE, &error));
  g_assert_true (s_expect_subscription (xpub, FALSE, "temp"));
  g_assert_true (ol_client_set_stream_enabled (client, "ext", TRUE, &error));
  g_assert_true (s_expect_subscription (xpub, TRUE, "temp"));

  zmq_close (xpub);
  zmq_ctx_term (ctx);
}

/* ---- foreign relays added and removed at run time, from any thread ------ */

typedef struct {
  OlServer *server;
  const char *endpoint;
  gboolean add;       /* add "ext", else remove it */
  gboolean ok;
} ForeignOp;

static gpointer
s_foreign_op_thread (gpointer data)
{
  ForeignOp *op = data;

  if (op->add)
    op->ok = ol_server_add_zmq_stream (op->server, "ext", op->endpoint, "temp", TRUE, NULL);
  else
    op->ok = ol_server_remove_stream (op->server, "ext", NULL);
  return NULL;
}

/* Adds or removes the relayed stream "ext" from a thread of its own. */
static void
s_foreign_op (OlServer *server, const char *endpoint, gboolean add)
{
  ForeignOp op = { server, endpoint, add, FALSE };

  g_thread_join (g_thread_new ("foreign-op", s_foreign_op_thread, &op));
  g_assert_true (op.ok);
}

static void
test_foreign_any_thread (void)
{
  g_autoptr (GError) error = NULL;
  void *ctx = zmq_ctx_new ();
  char endpoint[256];
  void *xpub = s_foreign_xpub (ctx, endpoint, sizeof endpoint);
  g_autoptr (OlServer) server = ol_server_new ("tcp://127.0.0.1:*", "tcp://127.0.0.1:*");
  g_autoptr (OlClient) client = NULL;

  g_assert_true (ol_server_start (server, &error));
  g_assert_no_error (error);
  client = ol_client_new (ol_server_get_rpc_endpoint (server),
                          ol_server_get_stream_endpoint (server), &error);
  g_assert_no_error (error);
  g_assert_true (ol_client_configure_stream (client, "ext", OL_STORAGE_QUEUE, 1000, &error));

  /* Added to the running server, removed, and added again under the same
   * name: each time the proxy thread subscribes upstream and relays, and a
   * removal closes the upstream connection. */
  for (int round = 0; round < 2; round++)
    {
      char payload[8];
      gboolean seen = FALSE;

      g_snprintf (payload, sizeof payload, "r%d", round);
      s_foreign_op (server, endpoint, TRUE);
      g_assert_true (s_expect_subscription (xpub, TRUE, "temp"));
      for (int k = 0; k < 500 && !seen; k++)
        {
          OlStreamMessage *m;

          zmq_send (xpub, "temp", 4, ZMQ_SNDMORE);
          zmq_send (xpub, payload, strlen (payload), 0);
          /* Messages of the previous round may still be queued: skip them. */
          while (!seen && (m = ol_client_get_stream (client, "ext", 20, NULL)) != NULL)
            {
              seen = g_bytes_get_size (m->payload) == strlen (payload)
                     && memcmp (g_bytes_get_data (m->payload, NULL), payload,
                                strlen (payload)) == 0;
              ol_stream_message_free (m);
            }
        }
      g_assert_true (seen);
      s_foreign_op (server, endpoint, FALSE);
      g_assert_true (s_expect_subscription (xpub, FALSE, "temp"));
    }

  /* Stops with a relayed stream in place. */
  s_foreign_op (server, endpoint, TRUE);
  g_assert_true (s_expect_subscription (xpub, TRUE, "temp"));
  ol_client_free (&client);
  ol_server_free (&server);
  zmq_close (xpub);
  zmq_ctx_term (ctx);
}

/* ---- a flooding mount does not starve the relay's own streams ----------- */

typedef struct {
  OlStreamWriter *writer;  /* borrowed */
  atomic_bool stop;
  guint64 pushed;
} Flood;

static gpointer
s_flood_thread (gpointer data)
{
  Flood *f = data;
  g_autoptr (GBytes) payload = g_bytes_new_static ("0123456789abcdef0123456789abcdef", 32);

  while (!atomic_load (&f->stop))
    {
      if (ol_stream_writer_push_bytes (f->writer, payload, NULL))
        f->pushed++;
      else
        g_usleep (20); /* OL_ERROR_BUSY: the pusher is behind */
    }
  return NULL;
}

static void
test_mount_fairness (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (OlServer) upstream = ol_server_new ("tcp://127.0.0.1:*", "tcp://127.0.0.1:*");
  g_autoptr (OlServer) relay = ol_server_new ("tcp://127.0.0.1:*", "tcp://127.0.0.1:*");
  g_autoptr (OlStreamWriter) flood_writer = NULL;
  g_autoptr (OlStreamWriter) local = NULL;
  g_autoptr (OlClient) client = NULL;
  Flood flood = { 0 };
  GThread *flooder;
  guint received = 0;
  OlStreamMessage *m;

  flood_writer = ol_server_add_pushed_stream (upstream, "flood", OL_ENCODING_RAW, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (ol_server_start (upstream, &error));
  g_assert_true (ol_server_mount (relay, "up", ol_server_get_rpc_endpoint (upstream),
                                  ol_server_get_stream_endpoint (upstream), &error));
  local = ol_server_add_pushed_stream (relay, "local", OL_ENCODING_RAW, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (ol_server_start (relay, &error));
  client = ol_client_new (ol_server_get_rpc_endpoint (relay),
                          ol_server_get_stream_endpoint (relay), &error);
  g_assert_no_error (error);
  g_assert_true (ol_client_configure_stream (client, "up/flood", OL_STORAGE_CACHE, 0, &error));
  g_assert_true (ol_client_configure_stream (client, "local", OL_STORAGE_QUEUE, 1000, &error));

  flood.writer = flood_writer;
  flooder = g_thread_new ("flood", s_flood_thread, &flood);
  /* The flood crosses the relay... */
  m = ol_client_get_stream (client, "up/flood", 15000, &error);
  g_assert_no_error (error);
  ol_stream_message_free (m);
  /* ... and the relay's own stream gets through meanwhile. */
  for (int k = 0; k < 50; k++)
    {
      guint8 b = (guint8) k;

      g_assert_true (ol_stream_writer_push_data (local, &b, 1, &error));
      while ((m = ol_client_get_stream (client, "local", received < 10 ? 200 : 0, NULL)) != NULL)
        {
          received++;
          ol_stream_message_free (m);
        }
    }
  for (gint64 deadline = g_get_monotonic_time () + 15 * G_TIME_SPAN_SECOND;
       received < 10 && g_get_monotonic_time () < deadline;)
    if ((m = ol_client_get_stream (client, "local", 100, NULL)) != NULL)
      {
        received++;
        ol_stream_message_free (m);
      }
  /* The flood still runs: it was not starved either. */
  m = ol_client_get_stream (client, "up/flood", 15000, &error);
  g_assert_no_error (error);
  ol_stream_message_free (m);
  atomic_store (&flood.stop, TRUE);
  g_thread_join (flooder);
  g_assert_cmpuint (received, >=, 10);
  g_assert_cmpuint (flood.pushed, >, 0);
  /* Let the flood drain before the servers stop: libzmq 4.3.4 can abort
   * in its I/O thread when a connection closes while multipart messages
   * stream through it at full speed (zeromq/libzmq#3442). */
  for (gint64 deadline = g_get_monotonic_time () + 15 * G_TIME_SPAN_SECOND;
       g_get_monotonic_time () < deadline;)
    {
      if ((m = ol_client_get_stream (client, "up/flood", 300, NULL)) == NULL)
        break;
      ol_stream_message_free (m);
    }
}

/* ---- an upstream that answers refreshes with garbage --------------------- */

/* A fake upstream server: a ROUTER (its own thread's) that answers "list"
 * and "streams" with a fixed description while good is set, with text that
 * is no reply at all while it is not. */
typedef struct {
  GMutex lock;
  GCond cond;
  char endpoint[256];      /* under lock: set once bound */
  atomic_bool good;
  atomic_bool stop;
  atomic_uint requests;    /* requests received */
} FakeUpstream;

static gpointer
s_fake_upstream_thread (gpointer data)
{
  FakeUpstream *f = data;
  void *ctx = zmq_ctx_new ();
  void *router = zmq_socket (ctx, ZMQ_ROUTER);
  int linger = 0;
  char endpoint[256];
  size_t size = sizeof endpoint;

  zmq_setsockopt (router, ZMQ_LINGER, &linger, sizeof linger);
  g_assert_cmpint (zmq_bind (router, "tcp://127.0.0.1:*"), ==, 0);
  zmq_getsockopt (router, ZMQ_LAST_ENDPOINT, endpoint, &size);
  g_mutex_lock (&f->lock);
  g_strlcpy (f->endpoint, endpoint, sizeof f->endpoint);
  g_cond_broadcast (&f->cond);
  g_mutex_unlock (&f->lock);

  while (!atomic_load (&f->stop))
    {
      zmq_pollitem_t item = { router, 0, ZMQ_POLLIN, 0 };
      char identity[256], text[4096];
      int id_len, len;
      g_autoptr (json_t) request = NULL;
      g_autoptr (json_t) reply = NULL;
      g_autofree char *out = NULL;
      const char *op;

      if (zmq_poll (&item, 1, 100) <= 0)
        continue;
      id_len = zmq_recv (router, identity, sizeof identity, 0);
      len = zmq_recv (router, text, sizeof text - 1, 0);
      if (id_len <= 0 || len < 0)
        continue;
      atomic_fetch_add (&f->requests, 1);
      request = json_loadb (text, (size_t) MIN (len, (int) sizeof text - 1), 0, NULL);
      op = json_string_value (json_object_get (request, "op"));
      if (!atomic_load (&f->good))
        out = g_strdup ("{\"garbage\": [1, 2");
      else if (g_strcmp0 (op, "list") == 0)
        reply = json_pack ("{s:O, s:b, s:{s:{}, s:{}, s:{}}}", "id",
                           json_object_get (request, "id"), "ok", 1, "result",
                           "instances", "functions", "named_calls");
      else if (g_strcmp0 (op, "streams") == 0)
        reply = json_pack ("{s:O, s:b, s:{s:{}}}", "id", json_object_get (request, "id"),
                           "ok", 1, "result", "fakestream");
      else
        reply = json_pack ("{s:O, s:b, s:{s:s, s:i, s:s}}", "id",
                           json_object_get (request, "id"), "ok", 0, "error", "domain",
                           "ol-error-quark", "code", 0, "message", "not served");
      if (reply != NULL)
        {
          json_object_set_new (json_object_get (json_object_get (reply, "result"),
                                                "instances"), "fake", json_object ());
          out = json_dumps (reply, JSON_COMPACT);
        }
      zmq_send (router, identity, (size_t) id_len, ZMQ_SNDMORE);
      zmq_send (router, out, strlen (out), 0);
    }
  zmq_close (router);
  zmq_ctx_term (ctx);
  return NULL;
}

/* How many of the relay's "list" (the fake upstream's instance) and
 * "streams" (its stream) show the fake upstream: 0, 1 or 2. */
static int
s_lists_fake (OlClient *client)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (json_t) list = ol_client_list (client, &error);
  g_autoptr (json_t) streams = NULL;

  g_assert_no_error (error);
  streams = ol_client_list_streams (client, &error);
  g_assert_no_error (error);
  return (json_object_get (json_object_get (list, "instances"), "up/fake") != NULL)
         + (json_object_get (streams, "up/fakestream") != NULL);
}

/* Polls the relay's listing (bounded) until it shows the fake upstream or
 * not, as wanted; returns the seconds it took, or -1. */
static double
s_wait_listing (OlClient *client, gboolean shown, int timeout_s)
{
  gint64 start = g_get_monotonic_time ();

  while (g_get_monotonic_time () - start < timeout_s * G_TIME_SPAN_SECOND)
    {
      if (s_lists_fake (client) == (shown ? 2 : 0))
        return (double) (g_get_monotonic_time () - start) / G_TIME_SPAN_SECOND;
      g_usleep (100 * 1000);
    }
  return -1;
}

static void
test_mount_stale_listing (void)
{
  g_autoptr (GError) error = NULL;
  FakeUpstream fake = { 0 };
  GThread *thread;
  void *ctx = zmq_ctx_new ();
  char stream_endpoint[256];
  void *xpub = s_foreign_xpub (ctx, stream_endpoint, sizeof stream_endpoint);
  g_autoptr (OlServer) relay = ol_server_new ("tcp://127.0.0.1:*", "tcp://127.0.0.1:*");
  g_autoptr (OlClient) client = NULL;
  guint before;
  double took;

  g_mutex_init (&fake.lock);
  g_cond_init (&fake.cond);
  atomic_store (&fake.good, TRUE);
  thread = g_thread_new ("fake-upstream", s_fake_upstream_thread, &fake);
  g_mutex_lock (&fake.lock);
  while (fake.endpoint[0] == '\0')
    g_cond_wait (&fake.cond, &fake.lock);
  g_mutex_unlock (&fake.lock);

  g_assert_true (ol_server_mount (relay, "up", fake.endpoint, stream_endpoint, &error));
  g_assert_true (ol_server_start (relay, &error));
  client = ol_client_new (ol_server_get_rpc_endpoint (relay),
                          ol_server_get_stream_endpoint (relay), &error);
  g_assert_no_error (error);
  ol_client_set_timeout (client, 5000);
  g_assert_cmpfloat (s_wait_listing (client, TRUE, 15), >=, 0);

  /* Garbage answers every refresh from now on: the listing goes within its
   * bound of 5 s (plus a refresh), and refreshes go on meanwhile. */
  atomic_store (&fake.good, FALSE);
  before = atomic_load (&fake.requests);
  took = s_wait_listing (client, FALSE, 20);
  g_test_message ("listing dropped after %.1f s", took);
  g_assert_cmpfloat (took, >=, 0);
  g_assert_cmpfloat (took, <, 12);
  g_assert_cmpuint (atomic_load (&fake.requests) - before, >=, 4);

  /* Good answers again: the listing is back. */
  atomic_store (&fake.good, TRUE);
  took = s_wait_listing (client, TRUE, 20);
  g_test_message ("listing back after %.1f s", took);
  g_assert_cmpfloat (took, >=, 0);

  ol_client_free (&client);
  ol_server_free (&relay);
  atomic_store (&fake.stop, TRUE);
  g_thread_join (thread);
  g_mutex_clear (&fake.lock);
  g_cond_clear (&fake.cond);
  zmq_close (xpub);
  zmq_ctx_term (ctx);
}

static void
test_relay_cli_errors (void)
{
  const char *bad[] = { "oneliner-relay", "--rpc", "tcp://127.0.0.1:*", "--stream",
                        "tcp://127.0.0.1:*", "--mount", "lab", NULL };
  const char *help[] = { "oneliner-relay", "--help", NULL };
  g_autofree char *err = NULL;
  g_autofree char *out = NULL;

  g_assert_cmpint (tu_run (bad, 20000, NULL, &err), ==, 2);
  g_assert_nonnull (strstr (err, "--mount lab: expected NAME=RPC_ENDPOINT,STREAM_ENDPOINT"));
  g_assert_cmpint (tu_run (help, 20000, &out, NULL), ==, 0);
  g_assert_nonnull (strstr (out, "--mount"));
  g_assert_nonnull (strstr (out, "--relay"));
}

static void
test_relay_config (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *demo_rpc = NULL;
  g_autoptr (TuProcess) demo = tu_spawn_demo_server (&demo_rpc, NULL);
  g_autofree char *demo_stream = tu_demo_stream_endpoint (demo);
  g_autofree char *path = NULL;
  int fd = g_file_open_tmp ("oneliner-relay-XXXXXX.json", &path, &error);
  g_autofree char *config = g_strdup_printf (
    "{\"mounts\": {\"lab\": {\"rpc\": \"%s\", \"stream\": \"%s\"}},"
    " \"relays\": {\"ext\": {\"endpoint\": \"tcp://127.0.0.1:9\", \"topic\": \"t\","
    " \"enabled\": false}}}", demo_rpc, demo_stream);
  g_autofree char *rpc = NULL, *stream = NULL;
  g_autoptr (TuProcess) relay = NULL;
  g_autoptr (OlClient) client = NULL;
  g_autoptr (json_t) streams = NULL;
  json_t *r = NULL;

  g_assert_no_error (error);
  close (fd);
  g_assert_true (g_file_set_contents (path, config, -1, &error));
  {
    const char *extra[] = { "--config", path, NULL };
    relay = s_spawn_relay (&rpc, &stream, extra);
  }
  client = ol_client_new (rpc, stream, &error);
  for (int k = 0; k < 100 && r == NULL; k++)
    {
      g_autoptr (json_t) args = json_pack ("[i]", 1);
      g_clear_error (&error);
      if ((r = ol_client_call (client, "lab/stage", "position", args, NULL, &error)) == NULL)
        g_usleep (50 * 1000);
    }
  g_assert_no_error (error);
  json_decref (r);
  streams = ol_client_list_streams (client, &error);
  g_assert_true (json_is_false (json_object_get (json_object_get (streams, "ext"), "enabled")));

  /* A bad file is refused, naming the entry. */
  g_assert_true (g_file_set_contents (path, "{\"mounts\": {\"lab\": {\"rpc\": 5}}}", -1, &error));
  {
    const char *argv[] = { "oneliner-relay", "--rpc", "tcp://127.0.0.1:*", "--stream",
                           "tcp://127.0.0.1:*", "--config", path, NULL };
    g_autofree char *err = NULL;
    g_assert_cmpint (tu_run (argv, 20000, NULL, &err), ==, 2);
    g_assert_nonnull (strstr (err, "mounts.lab"));
  }
  g_unlink (path);
}

/* ---- separate "PCs": network namespaces ----------------------------------- */

static gboolean
s_sh (const char *command)
{
  const char *argv[] = { "/bin/sh", "-c", command, NULL };
  g_autoptr (GError) error = NULL;
  int status = 0;

  if (!g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL
                     | G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, NULL, NULL, &status, &error))
    return FALSE;
  return g_spawn_check_wait_status (status, NULL);
}

static void
test_network_namespaces (void)
{
  guint id = (guint) getpid () % 200 + 20;
  g_autofree char *ns_a = g_strdup_printf ("olt-a-%d", (int) getpid ());
  g_autofree char *ns_b = g_strdup_printf ("olt-b-%d", (int) getpid ());
  g_autofree char *setup = g_strdup_printf (
    "ip netns add %1$s && ip netns add %2$s && "
    "ip link add va%3$u netns %1$s type veth peer name vb%3$u netns %2$s && "
    "ip -n %1$s addr add 10.231.%3$u.1/24 dev va%3$u && "
    "ip -n %2$s addr add 10.231.%3$u.2/24 dev vb%3$u && "
    "ip -n %1$s link set va%3$u up && ip -n %2$s link set vb%3$u up && "
    "ip -n %1$s link set lo up && ip -n %2$s link set lo up",
    ns_a, ns_b, id);
  g_autofree char *cleanup = g_strdup_printf ("ip netns del %s; ip netns del %s", ns_a, ns_b);
  g_autofree char *demo = tu_build_path ("tools/oneliner-demo-server");
  g_autofree char *relay = tu_build_path ("oneliner-relay");
  g_autofree char *cli = tu_build_path ("tools/oneliner");
  g_autofree char *a_rpc = g_strdup_printf ("tcp://10.231.%u.1:5555", id);
  g_autofree char *a_stream = g_strdup_printf ("tcp://10.231.%u.1:5556", id);
  g_autofree char *mount = g_strdup_printf ("pc1=%s,%s", a_rpc, a_stream);
  GSubprocess *demo_p = NULL, *relay_p = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *out = NULL;
  gboolean ok = FALSE;

  if (!s_sh (setup))
    {
      s_sh (cleanup);
      g_test_skip ("cannot create network namespaces here (needs root and CAP_NET_ADMIN)");
      return;
    }
  /* PC 1 runs the instrument on its own address; PC 2 runs the relay and the
   * client, reaching PC 1 only over the veth link. */
  demo_p = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE, &error, "ip", "netns", "exec",
                             ns_a, demo, "--rpc", a_rpc, "--stream", a_stream, "--speed", "0",
                             NULL);
  g_assert_no_error (error);
  relay_p = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE, &error, "ip", "netns", "exec",
                              ns_b, relay, "--rpc", "tcp://127.0.0.1:5555", "--stream",
                              "tcp://127.0.0.1:5556", "--mount", mount, NULL);
  g_assert_no_error (error);
  for (int k = 0; k < 100 && !ok; k++)
    {
      g_autoptr (GSubprocess) cli_p = g_subprocess_new (
        G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_SILENCE, &error, "ip", "netns",
        "exec", ns_b, cli, "--rpc", "tcp://127.0.0.1:5555", "--timeout", "2000", "call",
        "pc1/stage", "move_to", "[3, 4.5]", NULL);
      g_clear_pointer (&out, g_free);
      g_assert_true (g_subprocess_communicate_utf8 (cli_p, NULL, NULL, &out, NULL, &error));
      ok = g_subprocess_get_if_exited (cli_p) && g_subprocess_get_exit_status (cli_p) == 0;
      if (!ok)
        g_usleep (100 * 1000);
    }
  g_subprocess_send_signal (relay_p, SIGTERM);
  g_subprocess_send_signal (demo_p, SIGTERM);
  g_subprocess_wait (relay_p, NULL, NULL);
  g_subprocess_wait (demo_p, NULL, NULL);
  g_object_unref (relay_p);
  g_object_unref (demo_p);
  s_sh (cleanup);
  g_assert_true (ok);
  g_assert_cmpstr (out, ==, "4.5\n");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/relay/chain/calls", Chain, NULL, chain_setup, test_chain_calls, chain_teardown);
  g_test_add ("/relay/chain/streams", Chain, NULL, chain_setup, test_chain_streams, chain_teardown);
  g_test_add ("/relay/chain/descriptions", Chain, NULL, chain_setup, test_chain_descriptions,
              chain_teardown);
  g_test_add ("/relay/chain/upstream-killed", Chain, NULL, chain_setup, test_upstream_killed,
              chain_teardown);
  g_test_add ("/relay/chain/mounts-cli", Chain, NULL, chain_setup, test_mounts_cli, chain_teardown);
  g_test_add_func ("/relay/foreign-pub", test_foreign_pub);
  g_test_add_func ("/relay/foreign-any-thread", test_foreign_any_thread);
  g_test_add_func ("/relay/mount-fairness", test_mount_fairness);
  g_test_add_func ("/relay/mount-stale-listing", test_mount_stale_listing);
  g_test_add_func ("/relay/cli-errors", test_relay_cli_errors);
  g_test_add_func ("/relay/config", test_relay_config);
  g_test_add_func ("/relay/network-namespaces", test_network_namespaces);
  return g_test_run ();
}
