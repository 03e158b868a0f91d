/* Streams end to end: an OlServer in this process publishes, OlClients
 * subscribe over tcp loopback. No timing is asserted: only counts, order and
 * content. */
#include <stdatomic.h>
#include <string.h>

#include <zmq.h>

#include "oneliner/json.h"
#include "core/frames.h"
#include "core/socket.h"
#include "streamer/header.h"
#include "tests/testutil.h"

typedef struct {
  atomic_int counter_calls;   /* calls of counter() */
  atomic_int fail_calls;      /* calls of flaky() */
  atomic_int idle_calls;      /* calls of idle() */
} Probe;

/* () -> int64: 1, 2, 3, ... */
static gint64
f_counter (Probe *p)
{
  return atomic_fetch_add (&p->counter_calls, 1) + 1;
}

/* (error) -> int32: fails every other call. */
static int32_t
f_flaky (Probe *p, GError **error)
{
  int n = atomic_fetch_add (&p->fail_calls, 1) + 1;
  if (n % 2 == 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_BUSY, "sensor busy on call %d", n);
      return 0;
    }
  return n;
}

/* () -> int32: counts its calls; must never run while disabled. */
static int32_t
f_idle (Probe *p)
{
  return atomic_fetch_add (&p->idle_calls, 1) + 1;
}

/* () -> bytes: a 4x2 gray8 image */
static GBytes *
f_image (Probe *p)
{
  static const guint8 px[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
  (void) p;
  return g_bytes_new_static (px, sizeof px);
}

/* () -> bytes: the wrong size for its image stream */
static GBytes *
f_bad_image (Probe *p)
{
  static const guint8 px[3] = { 1, 2, 3 };
  (void) p;
  return g_bytes_new_static (px, sizeof px);
}

typedef struct {
  OlServer *server;
  Probe probe;
  OlClient *client;
} Fixture;

static void
setup (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  OlImageInfo img = { 4, 2, OL_PIXEL_GRAY8 };

  (void) data;
  memset (&f->probe, 0, sizeof f->probe);
  f->server = ol_server_new ("tcp://127.0.0.1:*", "tcp://127.0.0.1:*");
  g_assert_true (ol_server_add_instance (f->server, "probe", &f->probe, NULL, &error));
  g_assert_true (ol_server_add_method (f->server, "probe", "counter", "() -> int64",
                                       OL_FUNC (f_counter), &error));
  g_assert_true (ol_server_add_method (f->server, "probe", "flaky", "(error) -> int32",
                                       OL_FUNC (f_flaky), &error));
  g_assert_true (ol_server_add_method (f->server, "probe", "idle", "() -> int32",
                                       OL_FUNC (f_idle), &error));
  g_assert_true (ol_server_add_method (f->server, "probe", "image", "() -> bytes",
                                       OL_FUNC (f_image), &error));
  g_assert_true (ol_server_add_method (f->server, "probe", "bad_image", "() -> bytes",
                                       OL_FUNC (f_bad_image), &error));
  g_assert_true (ol_server_add_stream (f->server, "count/a", 200, "probe", "counter", NULL,
                                       NULL, TRUE, OL_ENCODING_JSON, NULL, &error));
  g_assert_true (ol_server_add_stream (f->server, "flaky", 200, "probe", "flaky", NULL, NULL,
                                       TRUE, OL_ENCODING_JSON, NULL, &error));
  g_assert_true (ol_server_add_stream (f->server, "idle", 100, "probe", "idle", NULL, NULL,
                                       FALSE, OL_ENCODING_JSON, NULL, &error));
  g_assert_true (ol_server_add_stream (f->server, "image", 50, "probe", "image", NULL, NULL,
                                       TRUE, OL_ENCODING_IMAGE, &img, &error));
  g_assert_true (ol_server_add_stream (f->server, "image_2", 50, "probe", "bad_image", NULL,
                                       NULL, TRUE, OL_ENCODING_IMAGE, &img, &error));
  g_assert_true (ol_server_start (f->server, &error));
  f->client = ol_client_new (ol_server_get_rpc_endpoint (f->server),
                             ol_server_get_stream_endpoint (f->server), &error);
  g_assert_no_error (error);
}

static void
teardown (Fixture *f, gconstpointer data)
{
  (void) data;
  ol_client_free (&f->client);
  ol_server_free (&f->server);
}

/* Takes the next message, waiting at most 10 s; asserts one came. */
static OlStreamMessage *
s_next (OlClient *c, const char *name)
{
  g_autoptr (GError) error = NULL;
  OlStreamMessage *m = ol_client_get_stream (c, name, 10000, &error);

  g_assert_no_error (error);
  g_assert_nonnull (m);
  return m;
}

static gint64
s_json_int (const OlStreamMessage *m)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (json_t) v = ol_stream_message_json (m, &error);

  g_assert_no_error (error);
  g_assert_true (json_is_integer (v));
  return json_integer_value (v);
}

static void
test_sequence_contiguous (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  guint64 first = 0;
  OlStreamCounters counters;

  (void) data;
  g_assert_true (ol_client_configure_stream (f->client, "count/a", OL_STORAGE_QUEUE, 10000, &error));
  for (int i = 0; i < 200; i++)
    {
      g_autoptr (OlStreamMessage) m = s_next (f->client, "count/a");

      if (i == 0)
        first = m->sequence;
      /* Sequence numbers and the callable's own count advance together. */
      g_assert_cmpuint (m->sequence, ==, first + (guint64) i);
      g_assert_cmpint (s_json_int (m), ==, (gint64) m->sequence);
      g_assert_cmpint (m->encoding, ==, OL_ENCODING_JSON);
      g_assert_cmpint (m->timestamp, >, 0);
    }
  g_assert_true (ol_client_get_stream_counters (f->client, "count/a", &counters, &error));
  g_assert_cmpuint (counters.missed, ==, 0);
  g_assert_cmpuint (counters.overflowed, ==, 0);
  g_assert_cmpuint (counters.received, >=, 200);
}

static void
test_groups (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (json_t) streams = NULL;
  const char *names[] = { "count/a", "flaky", "image" };

  (void) data;
  /* count/a and flaky share the 200 Hz thread; image runs at 50 Hz. */
  for (gsize i = 0; i < G_N_ELEMENTS (names); i++)
    g_assert_true (ol_client_configure_stream (f->client, names[i], OL_STORAGE_QUEUE, 1000, &error));
  for (int k = 0; k < 20; k++)
    for (gsize i = 0; i < G_N_ELEMENTS (names); i++)
      {
        g_autoptr (GError) e = NULL;
        OlStreamMessage *m = ol_client_get_stream (f->client, names[i], 10000, &e);
        /* flaky delivers error messages every other call: both count. */
        g_assert_true (m != NULL || (e != NULL && !g_error_matches (e, OL_ERROR, OL_ERROR_TIMEOUT)));
        if (m != NULL)
          g_assert_cmpstr (m->name, ==, names[i]);
        g_clear_pointer (&m, ol_stream_message_free);
      }
  streams = ol_client_list_streams (f->client, &error);
  g_assert_no_error (error);
  g_assert_cmpfloat (json_real_value (json_object_get (json_object_get (streams, "image"), "hz")), ==, 50.0);
  g_assert_cmpstr (json_string_value (json_object_get (json_object_get (streams, "image"), "encoding")),
                   ==, "image");
  g_assert_cmpstr (json_string_value (json_object_get (json_object_get (streams, "count/a"), "kind")),
                   ==, "periodic");
  g_assert_true (json_is_false (json_object_get (json_object_get (streams, "idle"), "enabled")));
}

static void
test_image_metadata (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (OlStreamMessage) m = NULL;
  gsize size;
  const guint8 *px;

  (void) data;
  g_assert_true (ol_client_configure_stream (f->client, "image", OL_STORAGE_CACHE, 0, &error));
  m = s_next (f->client, "image");
  g_assert_cmpint (m->encoding, ==, OL_ENCODING_IMAGE);
  g_assert_cmpuint (m->image.width, ==, 4);
  g_assert_cmpuint (m->image.height, ==, 2);
  g_assert_cmpint (m->image.format, ==, OL_PIXEL_GRAY8);
  px = g_bytes_get_data (m->payload, &size);
  g_assert_cmpuint (size, ==, 8);
  g_assert_cmpuint (px[7], ==, 8);
}

static void
test_topic_isolation (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  OlStreamCounters counters;

  (void) data;
  /* "image" must never receive "image_2" (which only sends errors: the
   * callable returns 3 bytes for a 4x2 image). */
  g_assert_true (ol_client_configure_stream (f->client, "image", OL_STORAGE_QUEUE, 1000, &error));
  for (int i = 0; i < 20; i++)
    {
      g_autoptr (OlStreamMessage) m = s_next (f->client, "image");
      g_assert_cmpstr (m->name, ==, "image");
    }
  g_assert_true (ol_client_get_stream_counters (f->client, "image", &counters, &error));
  g_assert_cmpuint (counters.errors, ==, 0);
  g_assert_false (ol_client_get_stream_counters (f->client, "image_2", &counters, &error));
  g_assert_error (error, OL_ERROR, OL_ERROR_NOT_FOUND);
}

static void
test_failing_callable (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  int ok = 0, failed = 0;
  OlStreamCounters counters;

  (void) data;
  g_assert_true (ol_client_configure_stream (f->client, "flaky", OL_STORAGE_QUEUE, 1000, &error));
  while (ok < 10 || failed < 10)
    {
      g_autoptr (GError) e = NULL;
      g_autoptr (OlStreamMessage) m = ol_client_get_stream (f->client, "flaky", 10000, &e);

      if (m != NULL)
        {
          g_assert_cmpint (s_json_int (m) % 2, ==, 1);
          ok++;
        }
      else
        {
          /* The error of the callable, with its own domain and code. */
          g_assert_error (e, G_IO_ERROR, G_IO_ERROR_BUSY);
          g_assert_true (g_str_has_prefix (e->message, "sensor busy on call "));
          failed++;
        }
    }
  g_assert_true (ol_client_get_stream_counters (f->client, "flaky", &counters, &error));
  g_assert_cmpuint (counters.errors, >=, 10);

  /* An image of the wrong size is an error message too, naming the sizes. */
  g_assert_true (ol_client_configure_stream (f->client, "image_2", OL_STORAGE_QUEUE, 10, &error));
  {
    g_autoptr (GError) e = NULL;
    OlStreamMessage *m = ol_client_get_stream (f->client, "image_2", 10000, &e);
    g_assert_null (m);
    g_assert_error (e, OL_ERROR, OL_ERROR_FAILED);
    g_assert_nonnull (strstr (e->message, "needs 8 bytes, the callable returned 3"));
  }
}

static gboolean
s_idle_called (gpointer data)
{
  return atomic_load (&((Probe *) data)->idle_calls) > 0;
}

static void
test_enable_disable (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GError) e = NULL;
  g_autoptr (json_t) streams = NULL;
  OlStreamMessage *m;
  int calls;

  (void) data;
  g_assert_true (ol_client_configure_stream (f->client, "idle", OL_STORAGE_QUEUE, 1000, &error));
  /* Disabled from the start: nothing comes and the callable is never called. */
  m = ol_client_get_stream (f->client, "idle", 300, &e);
  g_assert_null (m);
  g_assert_error (e, OL_ERROR, OL_ERROR_TIMEOUT);
  g_assert_cmpint (atomic_load (&f->probe.idle_calls), ==, 0);

  g_assert_true (ol_client_set_stream_enabled (f->client, "idle", TRUE, &error));
  m = s_next (f->client, "idle");
  ol_stream_message_free (m);
  g_assert_true (tu_wait_until (s_idle_called, &f->probe, 5000));
  streams = ol_client_list_streams (f->client, &error);
  g_assert_true (json_is_true (json_object_get (json_object_get (streams, "idle"), "enabled")));

  g_assert_true (ol_client_set_stream_enabled (f->client, "idle", FALSE, &error));
  /* A tick in progress may finish; then the count stays put. Wait for two
   * ticks' worth of messages to drain, then check nothing more is called. */
  while ((m = ol_client_get_stream (f->client, "idle", 200, NULL)) != NULL)
    ol_stream_message_free (m);
  calls = atomic_load (&f->probe.idle_calls);
  m = ol_client_get_stream (f->client, "idle", 300, NULL);
  g_assert_null (m);
  g_assert_cmpint (atomic_load (&f->probe.idle_calls), ==, calls);
}

static void
test_unknown_names (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) e1 = NULL;
  g_autoptr (GError) e2 = NULL;
  g_autoptr (GError) e3 = NULL;
  g_autoptr (GError) e4 = NULL;
  g_autoptr (GError) e5 = NULL;

  (void) data;
  g_assert_false (ol_client_set_stream_enabled (f->client, "nope", TRUE, &e1));
  g_assert_error (e1, OL_ERROR, OL_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (e1->message, "\"nope\""));
  g_assert_false (ol_client_remove_stream (f->client, "nope", &e2));
  g_assert_error (e2, OL_ERROR, OL_ERROR_NOT_FOUND);
  g_assert_null (ol_client_get_stream (f->client, "nope", 0, &e3));
  g_assert_error (e3, OL_ERROR, OL_ERROR_NOT_FOUND);
  g_assert_false (ol_server_add_stream (f->server, "x", 10, "probe", "nothing", NULL, NULL,
                                       TRUE, OL_ENCODING_JSON, NULL, &e4));
  g_assert_error (e4, OL_ERROR, OL_ERROR_NOT_FOUND);
  g_assert_false (ol_server_add_stream (f->server, "count/a", 10, "probe", "counter", NULL,
                                        NULL, TRUE, OL_ENCODING_JSON, NULL, &e5));
  g_assert_error (e5, OL_ERROR, OL_ERROR_EXISTS);
  /* The server runs on. */
  {
    g_autoptr (GError) error = NULL;
    g_autoptr (json_t) v = ol_client_version (f->client, &error);
    g_assert_no_error (error);
    g_assert_nonnull (v);
  }
}

static void
test_remove (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (json_t) streams = NULL;

  (void) data;
  g_assert_true (ol_client_remove_stream (f->client, "count/a", &error));
  streams = ol_client_list_streams (f->client, &error);
  g_assert_null (json_object_get (streams, "count/a"));
  g_assert_nonnull (json_object_get (streams, "flaky"));
}

/* ---- pushed streams from 4 threads --------------------------------------- */

typedef struct {
  OlStreamWriter *writer;
  int index;
  int pushed;
} Pusher;

#define PUSHES 2000

static gpointer
s_pusher (gpointer data)
{
  Pusher *p = data;

  for (int i = 0; i < PUSHES; i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (json_t) v = json_pack ("[i, i]", p->index, i);
      g_assert_true (ol_stream_writer_push_json (p->writer, v, &error));
      g_assert_no_error (error);
      p->pushed++;
    }
  return NULL;
}

static void
test_pushed_four_threads (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (OlStreamWriter) writer = ol_server_add_pushed_stream (f->server, "pushed",
                                                                   OL_ENCODING_JSON, NULL, &error);
  Pusher pushers[4];
  GThread *threads[4];
  int next[4] = { 0 };
  guint64 last_seq = 0;
  OlStreamCounters counters;

  (void) data;
  g_assert_no_error (error);
  g_assert_true (ol_client_configure_stream (f->client, "pushed", OL_STORAGE_QUEUE,
                                             4 * PUSHES + 100, &error));
  /* Wait until the subscription is live: push probes until one arrives. */
  for (int k = 0;; k++)
    {
      g_autoptr (json_t) probe = json_string ("probe");
      OlStreamMessage *m;

      g_assert_cmpint (k, <, 500);
      g_assert_true (ol_stream_writer_push_json (writer, probe, &error));
      if ((m = ol_client_get_stream (f->client, "pushed", 10, NULL)) != NULL)
        {
          last_seq = m->sequence;
          ol_stream_message_free (m);
          break;
        }
    }
  /* Drain the probes that are still on the way. */
  for (;;)
    {
      OlStreamMessage *m = ol_client_get_stream (f->client, "pushed", 200, NULL);
      if (m == NULL)
        break;
      last_seq = m->sequence;
      ol_stream_message_free (m);
    }

  for (int i = 0; i < 4; i++)
    {
      pushers[i] = (Pusher) { writer, i, 0 };
      threads[i] = g_thread_new ("pusher", s_pusher, &pushers[i]);
    }
  for (int i = 0; i < 4; i++)
    g_thread_join (threads[i]);
  for (int n = 0; n < 4 * PUSHES; n++)
    {
      g_autoptr (OlStreamMessage) m = s_next (f->client, "pushed");
      g_autoptr (json_t) v = ol_stream_message_json (m, &error);
      int who = (int) json_integer_value (json_array_get (v, 0));
      int i = (int) json_integer_value (json_array_get (v, 1));

      g_assert_no_error (error);
      g_assert_cmpuint (m->sequence, ==, last_seq + 1);
      last_seq = m->sequence;
      /* Every thread's messages arrive, in the order it pushed them. */
      g_assert_cmpint (who, >=, 0);
      g_assert_cmpint (who, <, 4);
      g_assert_cmpint (i, ==, next[who]);
      next[who]++;
    }
  for (int i = 0; i < 4; i++)
    g_assert_cmpint (next[i], ==, PUSHES);
  g_assert_true (ol_client_get_stream_counters (f->client, "pushed", &counters, &error));
  g_assert_cmpuint (counters.missed, ==, 0);
  g_assert_cmpuint (counters.overflowed, ==, 0);

  /* A removed stream's writer fails clearly. */
  g_assert_true (ol_server_remove_stream (f->server, "pushed", &error));
  {
    g_autoptr (GError) e = NULL;
    g_autoptr (json_t) v = json_true ();
    g_assert_false (ol_stream_writer_push_json (writer, v, &e));
    g_assert_error (e, OL_ERROR, OL_ERROR_NOT_FOUND);
  }
}

/* Receives one stream message on a raw SUB: its header and payload size. */
static gboolean
s_raw_recv (void *sub, OlHeader *h, gsize *payload_size)
{
  zmq_msg_t frames[3];
  gboolean truncated;
  int n = ol__wire_recv_multipart (sub, frames, 3, &truncated);
  g_autoptr (GError) error = NULL;

  if (n < 0)
    {
      zmq_pollitem_t item = { sub, 0, ZMQ_POLLIN, 0 };
      if (zmq_poll (&item, 1, 5000) <= 0)
        return FALSE;
      n = ol__wire_recv_multipart (sub, frames, 3, &truncated);
    }
  g_assert_cmpint (n, ==, 3);
  g_assert_true (ol__header_decode (zmq_msg_data (&frames[1]), zmq_msg_size (&frames[1]), h,
                                    &error));
  *payload_size = zmq_msg_size (&frames[2]);
  ol__wire_close_frames (frames, n);
  return TRUE;
}

/* After a burst of a pushed stream the server sends a sequence mark: the
 * number of the burst's last message, so that a subscriber that lost the
 * end of the burst learns of it. One mark per burst. */
static void
test_pushed_mark (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (OlStreamWriter) writer = ol_server_add_pushed_stream (
    f->server, "burst", OL_ENCODING_JSON, NULL, &error);
  void *sub = zmq_socket (ol__zmq_context (), ZMQ_SUB);
  int linger = 0;
  OlHeader h;
  gsize size;
  guint64 last = 0, probes = 0;
  zmq_pollitem_t item;

  (void) data;
  g_assert_no_error (error);
  zmq_setsockopt (sub, ZMQ_LINGER, &linger, sizeof linger);
  zmq_setsockopt (sub, ZMQ_SUBSCRIBE, "burst", 6);
  g_assert_cmpint (zmq_connect (sub, ol_server_get_stream_endpoint (f->server)), ==, 0);
  /* Probes until the subscription is live, then the mark of the last one
   * (the stream's sequence numbers count the probes). */
  for (int i = 0; i < 100 && last == 0; i++)
    {
      g_autoptr (json_t) probe = json_string ("probe");
      g_assert_true (ol_stream_writer_push_json (writer, probe, &error));
      probes++;
      item = (zmq_pollitem_t) { sub, 0, ZMQ_POLLIN, 0 };
      if (zmq_poll (&item, 1, 100) > 0)
        last = probes;
    }
  g_assert_cmpuint (last, >, 0);
  do
    g_assert_true (s_raw_recv (sub, &h, &size));
  while (!(h.status & OL__STATUS_MARK) || h.sequence != last);

  for (int i = 0; i < 5; i++)
    {
      g_autoptr (json_t) v = json_integer (i);
      g_assert_true (ol_stream_writer_push_json (writer, v, &error));
    }
  /* The five in order, then their mark; a slow machine may pause between
   * two pushes long enough for a mark of the messages so far. */
  for (guint64 seen = last; seen < last + 5;)
    {
      g_assert_true (s_raw_recv (sub, &h, &size));
      if (h.status & OL__STATUS_MARK)
        g_assert_cmpuint (h.sequence, ==, seen);
      else
        g_assert_cmpuint (h.sequence, ==, ++seen);
    }
  g_assert_true (s_raw_recv (sub, &h, &size));
  g_assert_true (h.status & OL__STATUS_MARK);
  g_assert_cmpuint (h.sequence, ==, last + 5);
  g_assert_cmpuint (size, ==, 0);
  /* Nothing more while nothing is pushed. */
  item = (zmq_pollitem_t) { sub, 0, ZMQ_POLLIN, 0 };
  g_assert_cmpint (zmq_poll (&item, 1, 4 * OL_MARK_QUIET_MS), ==, 0);
  zmq_close (sub);
}

/* Pushes with a timestamp of the application's (an acquisition clock, a
 * replay) carry exactly that timestamp; the others the time of the push. */
static void
test_pushed_timestamps (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (OlStreamWriter) writer = ol_server_add_pushed_stream (
    f->server, "stamped", OL_ENCODING_JSON, NULL, &error);
  static const gint64 stamps[] = { 1, -5000000000, G_GINT64_CONSTANT (1700000000123456789),
                                   0, G_MAXINT64 };
  g_autoptr (GError) failure = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_BUSY, "busy");
  gint64 before, after;

  (void) data;
  g_assert_no_error (error);
  g_assert_true (ol_client_configure_stream (f->client, "stamped", OL_STORAGE_QUEUE, 0, &error));
  /* Probes (stamped now) until the subscription is live. */
  for (int i = 0;; i++)
    {
      g_autoptr (json_t) v = json_string ("probe");
      g_autoptr (OlStreamMessage) m = NULL;

      g_assert_cmpint (i, <, 200);
      before = g_get_real_time () * 1000;
      g_assert_true (ol_stream_writer_push_json (writer, v, &error));
      m = ol_client_get_stream (f->client, "stamped", 50, NULL);
      after = g_get_real_time () * 1000;
      if (m != NULL)
        {
          /* Within the push's bracket (the wall clock may only step). */
          g_assert_cmpint (m->timestamp, >=, before - 1000);
          g_assert_cmpint (m->timestamp, <=, after + 1000);
          break;
        }
    }
  g_usleep (200 * 1000);
  /* Drop the probes that were still on their way. */
  {
    g_autoptr (GPtrArray) probes = ol_client_pop_stream (f->client, "stamped", 1000, 0, NULL);
    (void) probes;
  }
  for (gsize i = 0; i < G_N_ELEMENTS (stamps); i++)
    {
      g_autoptr (json_t) v = json_integer ((json_int_t) i);
      g_autoptr (GBytes) b = g_bytes_new_static ("7", 1);

      if (i % 3 == 0)
        g_assert_true (ol_stream_writer_push_json_at (writer, v, stamps[i], &error));
      else if (i % 3 == 1)
        g_assert_true (ol_stream_writer_push_bytes_at (writer, b, stamps[i], &error));
      else
        g_assert_true (ol_stream_writer_push_error_at (writer, failure, stamps[i], &error));
    }
  for (gsize i = 0; i < G_N_ELEMENTS (stamps); i++)
    {
      g_autoptr (GPtrArray) got = ol_client_pop_stream (f->client, "stamped", 1, 10000, &error);
      OlStreamMessage *m;

      g_assert_no_error (error);
      g_assert_cmpuint (got->len, ==, 1);
      m = got->pdata[0];
      g_assert_cmpint (m->timestamp, ==, stamps[i]);
      g_assert_cmpuint (!!(m->status & OL_STATUS_ERROR), ==, i % 3 == 2);
    }
}

/* Cache keeps only the latest; queue overflow is counted exactly. */
static void
test_cache_and_queue (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (OlStreamWriter) writer = ol_server_add_pushed_stream (f->server, "burst",
                                                                   OL_ENCODING_JSON, NULL, &error);
  g_autoptr (OlClient) cache = ol_client_new (ol_server_get_rpc_endpoint (f->server),
                                              ol_server_get_stream_endpoint (f->server), &error);
  OlStreamCounters qc, cc;
  guint64 marker_seq = 0;

  (void) data;
  g_assert_true (ol_client_configure_stream (f->client, "burst", OL_STORAGE_QUEUE, 10, &error));
  g_assert_true (ol_client_configure_stream (cache, "burst", OL_STORAGE_CACHE, 0, &error));
  /* Subscriptions live: push probes until both clients saw one. */
  for (int k = 0, seen = 0; seen != 3; k++)
    {
      g_autoptr (json_t) probe = json_integer (-1);
      OlStreamMessage *m;

      g_assert_cmpint (k, <, 500);
      g_assert_true (ol_stream_writer_push_json (writer, probe, &error));
      if (!(seen & 1) && (m = ol_client_get_stream (f->client, "burst", 10, NULL)))
        seen |= 1, ol_stream_message_free (m);
      if (!(seen & 2) && (m = ol_client_get_stream (cache, "burst", 10, NULL)))
        seen |= 2, ol_stream_message_free (m);
    }
  /* A marker, then 100 messages; the marker tells when the probes are done. */
  {
    g_autoptr (json_t) marker = json_integer (0);
    g_assert_true (ol_stream_writer_push_json (writer, marker, &error));
  }
  for (;;)
    {
      g_autoptr (OlStreamMessage) m = s_next (f->client, "burst");
      if (s_json_int (m) == 0)
        {
          marker_seq = m->sequence;
          break;
        }
    }
  while (TRUE)
    {
      OlStreamMessage *m = ol_client_get_stream (cache, "burst", 10000, &error);
      g_assert_nonnull (m);
      if (m->sequence == marker_seq)
        {
          ol_stream_message_free (m);
          break;
        }
      ol_stream_message_free (m);
    }
  g_assert_true (ol_client_get_stream_counters (f->client, "burst", &qc, &error));
  g_assert_true (ol_client_get_stream_counters (cache, "burst", &cc, &error));

  for (int i = 1; i <= 100; i++)
    {
      g_autoptr (json_t) v = json_integer (i);
      g_assert_true (ol_stream_writer_push_json (writer, v, &error));
    }
  /* Wait until the last one reached both (counters), then read. */
  {
    gint64 deadline = g_get_monotonic_time () + 10 * G_TIME_SPAN_SECOND;
    OlStreamCounters a, b;
    do
      {
        g_assert_cmpint (g_get_monotonic_time (), <, deadline);
        g_usleep (1000);
        ol_client_get_stream_counters (f->client, "burst", &a, NULL);
        ol_client_get_stream_counters (cache, "burst", &b, NULL);
      }
    while (a.last_sequence < marker_seq + 100 || b.last_sequence < marker_seq + 100);
  }
  /* The queue of depth 10 holds the newest 10 and counted 90 overflowed. */
  for (int i = 91; i <= 100; i++)
    {
      g_autoptr (OlStreamMessage) m = s_next (f->client, "burst");
      g_assert_cmpint (s_json_int (m), ==, i);
    }
  g_assert_null (ol_client_get_stream (f->client, "burst", 0, NULL));
  {
    OlStreamCounters after;
    g_assert_true (ol_client_get_stream_counters (f->client, "burst", &after, &error));
    g_assert_cmpuint (after.overflowed - qc.overflowed, ==, 90);
    g_assert_cmpuint (after.missed, ==, 0);
  }
  /* The cache holds only the latest. */
  {
    g_autoptr (OlStreamMessage) m = s_next (cache, "burst");
    OlStreamCounters after;
    g_assert_cmpint (s_json_int (m), ==, 100);
    g_assert_null (ol_client_get_stream (cache, "burst", 0, NULL));
    g_assert_true (ol_client_get_stream_counters (cache, "burst", &after, &error));
    g_assert_cmpuint (after.overflowed - cc.overflowed, ==, 99);
  }
}

static void
test_config_streams (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (OlServer) s = ol_server_new ("tcp://127.0.0.1:*", "tcp://127.0.0.1:*");
  Probe probe = { 0 };
  g_autoptr (json_t) good = json_loads (
    "{\"streams\": {\"c\": {\"object\": \"probe\", \"method\": \"counter\", \"hz\": 20,"
    " \"enabled\": false}}}", 0, NULL);
  g_autoptr (json_t) bad = json_loads (
    "{\"streams\": {\"d\": {\"object\": \"probe\", \"method\": \"counter\", \"hz\": 20,"
    " \"encoding\": \"mp4\"}}}", 0, NULL);
  g_autoptr (json_t) streams = NULL;

  g_assert_true (ol_server_add_instance (s, "probe", &probe, NULL, &error));
  g_assert_true (ol_server_add_method (s, "probe", "counter", "() -> int64",
                                       OL_FUNC (f_counter), &error));
  g_assert_true (ol_server_apply_config (s, good, &error));
  g_assert_false (ol_server_apply_config (s, bad, &error));
  g_assert_error (error, OL_ERROR, OL_ERROR_CONFIG);
  g_assert_nonnull (strstr (error->message, "streams.d"));
  streams = ol_server_list_streams (s);
  g_assert_nonnull (json_object_get (streams, "c"));
  g_assert_null (json_object_get (streams, "d"));
  g_assert_true (json_is_false (json_object_get (json_object_get (streams, "c"), "enabled")));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, fn) g_test_add ("/streams/" path, Fixture, NULL, setup, fn, teardown)
  ADD ("pushed-mark", test_pushed_mark);
  ADD ("pushed-timestamps", test_pushed_timestamps);
  ADD ("sequence-contiguous", test_sequence_contiguous);
  ADD ("groups", test_groups);
  ADD ("image-metadata", test_image_metadata);
  ADD ("topic-isolation", test_topic_isolation);
  ADD ("failing-callable", test_failing_callable);
  ADD ("enable-disable", test_enable_disable);
  ADD ("unknown-names", test_unknown_names);
  ADD ("remove", test_remove);
  ADD ("pushed-four-threads", test_pushed_four_threads);
  ADD ("cache-and-queue", test_cache_and_queue);
#undef ADD
  g_test_add_func ("/streams/config", test_config_streams);
  return g_test_run ();
}
