/* Unit tests for the client side of data streams: the subscriber
 * (streamer/subscriber_private.h lists its files) through the client's
 * stream API (streamer/client_streams.c).
 *
 * A raw libzmq PUB socket plays the server (bound on loopback tcp or on an
 * ipc endpoint in a temporary directory); its frames are built with
 * ol__header_encode. Before asserting on data, every test waits until its
 * subscription is live by publishing "sync" messages until one comes back,
 * and waits for messages published earlier with a "marker" message on a
 * second stream: messages of one PUB socket reach the subscriber in order. */
#include <glib/gstdio.h>
#include <string.h>
#include <zmq.h>

#include "oneliner/error.h"
#include "oneliner/stream.h"
#include "oneliner/version.h"
#include "oneliner/json.h"
#include "streamer/client_streams.h"
#include "streamer/header.h"

#define WAIT_MS 5000
#define TEST_ERROR_DOMAIN "subscriber-test-error"

typedef struct {
  void *ctx;
  void *pub;
  char *endpoint;
  char *tmpdir;          /* (nullable) holds the ipc endpoint */
  GMainContext *context; /* thread-default while the client lives */
  OlClient *client;
  GHashTable *seq;       /* name -> guint64 *: last sequence published */
} Fixture;

/* ------------------------------------------------------------------------ */
/* Publishing */

static guint64 *
s_seq (Fixture *f, const char *name)
{
  guint64 *seq = g_hash_table_lookup (f->seq, name);

  if (seq == NULL)
    {
      seq = g_new0 (guint64, 1);
      g_hash_table_insert (f->seq, g_strdup (name), seq);
    }
  return seq;
}

static void
s_send (Fixture *f, const void *data, size_t len, gboolean more)
{
  g_assert_cmpint (zmq_send (f->pub, data, len, more ? ZMQ_SNDMORE : 0), ==, (int) len);
}

static void
s_header (guint8 out[OL_HEADER_SIZE], guint64 seq, guint8 status)
{
  OlHeader h = {
    .status = status,
    .encoding = OL_ENCODING_JSON,
    .sequence = seq,
    .timestamp = g_get_real_time () * 1000,
  };

  ol__header_encode (&h, out);
}

/* Publishes payload on name with sequence number seq. */
static void
s_publish_full (Fixture *f, const char *name, guint64 seq, guint8 status,
                const char *payload)
{
  guint8 header[OL_HEADER_SIZE];

  s_header (header, seq, status);
  s_send (f, name, strlen (name) + 1, TRUE);
  s_send (f, header, sizeof header, TRUE);
  s_send (f, payload, strlen (payload), FALSE);
  *s_seq (f, name) = seq;
}

/* Publishes payload with the stream's next sequence number; returns it. */
static guint64
s_publish (Fixture *f, const char *name, const char *payload)
{
  guint64 seq = *s_seq (f, name) + 1;

  s_publish_full (f, name, seq, OL_STATUS_OK, payload);
  return seq;
}

static void
s_publish_index (Fixture *f, const char *name, int i)
{
  g_autofree char *payload = g_strdup_printf ("{\"i\": %d}", i);
  s_publish (f, name, payload);
}

/* ------------------------------------------------------------------------ */
/* Handshakes */

static OlStreamMessage *
s_get_ok (Fixture *f, const char *name, int timeout_ms)
{
  g_autoptr (GError) error = NULL;
  OlStreamMessage *m = ol_client_get_stream (f->client, name, timeout_ms, &error);

  g_assert_no_error (error);
  g_assert_nonnull (m);
  g_assert_cmpstr (m->name, ==, name);
  return m;
}

static void
s_get_timeout (Fixture *f, const char *name, int timeout_ms)
{
  g_autoptr (GError) error = NULL;
  OlStreamMessage *m = ol_client_get_stream (f->client, name, timeout_ms, &error);

  g_assert_null (m);
  g_assert_error (error, OL_ERROR, OL_ERROR_TIMEOUT);
}

/* Waits until the subscription to name is live, then takes every sync
 * message, so that the stream's storage is empty when it returns. */
static void
s_sync (Fixture *f, const char *name)
{
  gint64 deadline = g_get_monotonic_time () + WAIT_MS * 1000;
  OlStreamMessage *m = NULL;
  guint64 last;

  while (m == NULL)
    {
      g_autoptr (GError) error = NULL;

      if (g_get_monotonic_time () > deadline)
        g_error ("subscription to \"%s\" not live within %d ms", name, WAIT_MS);
      s_publish (f, name, "\"sync\"");
      m = ol_client_get_stream (f->client, name, 5, &error);
      if (m == NULL)
        g_assert_error (error, OL_ERROR, OL_ERROR_TIMEOUT);
    }
  last = *s_seq (f, name);
  while (m->sequence != last)
    {
      g_assert_cmpuint (m->sequence, <, last);
      ol_stream_message_free (m);
      m = s_get_ok (f, name, WAIT_MS);
    }
  ol_stream_message_free (m);
}

/* Returns once everything published before it was stored. */
static void
s_barrier (Fixture *f)
{
  guint64 seq = s_publish (f, "marker", "\"marker\"");

  for (;;)
    {
      OlStreamMessage *m = s_get_ok (f, "marker", WAIT_MS);
      gboolean done = m->sequence == seq;

      ol_stream_message_free (m);
      if (done)
        break;
    }
}

static OlStreamCounters
s_counters (Fixture *f, const char *name)
{
  g_autoptr (GError) error = NULL;
  OlStreamCounters c;

  g_assert_true (ol_client_get_stream_counters (f->client, name, &c, &error));
  g_assert_no_error (error);
  return c;
}

static guint64
s_malformed (Fixture *f)
{
  return ol__subscriber_malformed (ol__client_peek_subscriber (f->client));
}

static void
s_configure (Fixture *f, const char *name, OlStorage storage, guint depth)
{
  g_autoptr (GError) error = NULL;

  g_assert_true (ol_client_configure_stream (f->client, name, storage, depth, &error));
  g_assert_no_error (error);
}

static int
s_index (const OlStreamMessage *m)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (json_t) json = ol_stream_message_json (m, &error);

  g_assert_no_error (error);
  g_assert_true (json_is_object (json));
  return (int) json_integer_value (json_object_get (json, "i"));
}

/* ------------------------------------------------------------------------ */
/* Fixture */

static void
setup (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  const char *transport = data;
  char endpoint[1024];
  size_t len = sizeof endpoint;
  int hwm = 100000;
  int linger = 0;

  f->seq = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  f->ctx = zmq_ctx_new ();
  f->pub = zmq_socket (f->ctx, ZMQ_PUB);
  zmq_setsockopt (f->pub, ZMQ_SNDHWM, &hwm, sizeof hwm);
  zmq_setsockopt (f->pub, ZMQ_LINGER, &linger, sizeof linger);
  if (g_strcmp0 (transport, "ipc") == 0)
    {
      g_autofree char *bind = NULL;

      f->tmpdir = g_dir_make_tmp ("oneliner-sub-XXXXXX", &error);
      g_assert_no_error (error);
      bind = g_strdup_printf ("ipc://%s/streams", f->tmpdir);
      g_assert_cmpint (zmq_bind (f->pub, bind), ==, 0);
    }
  else
    g_assert_cmpint (zmq_bind (f->pub, "tcp://127.0.0.1:*"), ==, 0);
  g_assert_cmpint (zmq_getsockopt (f->pub, ZMQ_LAST_ENDPOINT, endpoint, &len), ==, 0);
  f->endpoint = g_strdup (endpoint);

  f->context = g_main_context_new ();
  g_main_context_push_thread_default (f->context);
  /* Nothing serves this RPC endpoint: these tests use only the streams. */
  f->client = ol_client_new ("tcp://127.0.0.1:1", f->endpoint, &error);
  g_assert_no_error (error);
  s_configure (f, "marker", OL_STORAGE_QUEUE, 0);
  s_sync (f, "marker");
}

static void
s_flush (GMainContext *context)
{
  for (int i = 0; i < 1000 && g_main_context_iteration (context, FALSE); i++)
    ;
}

static void
teardown (Fixture *f, gconstpointer data)
{
  (void) data;
  ol_client_free (&f->client);
  s_flush (f->context);
  g_main_context_pop_thread_default (f->context);
  g_main_context_unref (f->context);
  zmq_close (f->pub);
  zmq_ctx_term (f->ctx);
  if (f->tmpdir != NULL)
    {
      g_autofree char *path = g_build_filename (f->tmpdir, "streams", NULL);
      g_remove (path);
      g_rmdir (f->tmpdir);
      g_free (f->tmpdir);
    }
  g_free (f->endpoint);
  g_hash_table_unref (f->seq);
}

/* ------------------------------------------------------------------------ */
/* Storage */

static void
test_cache_latest (Fixture *f, gconstpointer data)
{
  OlStreamCounters base, c;
  OlStreamMessage *m;

  (void) data;
  s_configure (f, "c", OL_STORAGE_CACHE, 0);
  s_sync (f, "c");
  base = s_counters (f, "c");
  for (int i = 1; i <= 100; i++)
    s_publish_index (f, "c", i);
  s_barrier (f);

  m = s_get_ok (f, "c", 0);
  g_assert_cmpuint (m->sequence, ==, base.last_sequence + 100);
  g_assert_cmpint (m->encoding, ==, OL_ENCODING_JSON);
  g_assert_cmpint (m->timestamp, >, 0);
  g_assert_cmpint (s_index (m), ==, 100);
  ol_stream_message_free (m);
  /* Taken: a cache gives each message once. */
  s_get_timeout (f, "c", 0);

  c = s_counters (f, "c");
  g_assert_cmpuint (c.received - base.received, ==, 100);
  g_assert_cmpuint (c.overflowed - base.overflowed, ==, 99);
  g_assert_cmpuint (c.missed, ==, 0);
  g_assert_cmpuint (c.errors, ==, 0);
  g_assert_cmpuint (c.restarts, ==, 0);
  g_assert_cmpuint (c.last_sequence, ==, base.last_sequence + 100);
}

static void
test_queue_order (Fixture *f, gconstpointer data)
{
  OlStreamCounters base, c;

  (void) data;
  s_configure (f, "q", OL_STORAGE_QUEUE, 1000);
  s_sync (f, "q");
  base = s_counters (f, "q");
  for (int i = 1; i <= 500; i++)
    s_publish_index (f, "q", i);
  s_barrier (f);

  for (int i = 1; i <= 500; i++)
    {
      OlStreamMessage *m = s_get_ok (f, "q", 0);

      g_assert_cmpuint (m->sequence, ==, base.last_sequence + (guint64) i);
      g_assert_cmpint (s_index (m), ==, i);
      ol_stream_message_free (m);
    }
  s_get_timeout (f, "q", 0);
  c = s_counters (f, "q");
  g_assert_cmpuint (c.received - base.received, ==, 500);
  g_assert_cmpuint (c.overflowed - base.overflowed, ==, 0);
  g_assert_cmpuint (c.missed, ==, 0);
}

/* A payload the application keeps outlives its message, whether it was
 * copied (small) or kept as received (large); names are interned. */
static void
test_payload_lifetime (Fixture *f, gconstpointer data)
{
  const gsize sizes[] = { 0, 10, 256, 257, 100000 };
  GBytes *kept[G_N_ELEMENTS (sizes)];

  (void) data;
  s_configure (f, "p", OL_STORAGE_QUEUE, 100);
  s_sync (f, "p");
  for (gsize i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      g_autofree guint8 *payload = g_malloc (sizes[i] + 1);
      guint8 header[OL_HEADER_SIZE];
      guint64 seq = *s_seq (f, "p") + 1;

      for (gsize k = 0; k < sizes[i]; k++)
        payload[k] = (guint8) (k * 7 + i);
      s_header (header, seq, OL_STATUS_OK);
      s_send (f, "p", 2, TRUE);
      s_send (f, header, sizeof header, TRUE);
      s_send (f, payload, sizes[i], FALSE);
      *s_seq (f, "p") = seq;
    }
  s_barrier (f);

  for (gsize i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      OlStreamMessage *m = s_get_ok (f, "p", 0);

      g_assert_true (m->name == g_intern_string ("p"));
      if (i % 2 == 0)
        kept[i] = g_bytes_ref (m->payload);
      else
        kept[i] = g_steal_pointer (&m->payload);
      ol_stream_message_free (m);
    }
  /* Freed after the stream is gone, too. */
  g_assert_true (ol_client_unconfigure_stream (f->client, "p", NULL));
  for (gsize i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      gsize size;
      const guint8 *bytes = g_bytes_get_data (kept[i], &size);

      g_assert_cmpuint (size, ==, sizes[i]);
      for (gsize k = 0; k < size; k++)
        g_assert_cmpuint (bytes[k], ==, (guint8) (k * 7 + i));
      g_bytes_unref (kept[i]);
    }
}

static void
test_queue_overflow (Fixture *f, gconstpointer data)
{
  OlStreamCounters base, c;

  (void) data;
  s_configure (f, "q10", OL_STORAGE_QUEUE, 10);
  s_sync (f, "q10");
  base = s_counters (f, "q10");
  for (int i = 1; i <= 100; i++)
    s_publish_index (f, "q10", i);
  s_barrier (f);

  /* Exactly the newest 10 remain, oldest first. */
  for (int i = 91; i <= 100; i++)
    {
      OlStreamMessage *m = s_get_ok (f, "q10", 0);

      g_assert_cmpuint (m->sequence, ==, base.last_sequence + (guint64) i);
      g_assert_cmpint (s_index (m), ==, i);
      ol_stream_message_free (m);
    }
  s_get_timeout (f, "q10", 0);
  c = s_counters (f, "q10");
  g_assert_cmpuint (c.received - base.received, ==, 100);
  g_assert_cmpuint (c.overflowed - base.overflowed, ==, 90);
  g_assert_cmpuint (c.missed, ==, 0);
}

static void
test_queue_default_depth (Fixture *f, gconstpointer data)
{
  OlStreamCounters base, c;
  int n = 0;
  OlStreamMessage *m;

  (void) data;
  s_configure (f, "qd", OL_STORAGE_QUEUE, 0);
  s_sync (f, "qd");
  base = s_counters (f, "qd");
  for (int i = 1; i <= 1100; i++)
    s_publish_index (f, "qd", i);
  s_barrier (f);
  while ((m = ol_client_get_stream (f->client, "qd", 0, NULL)) != NULL)
    {
      n++;
      g_assert_cmpint (s_index (m), ==, 1100 - 1024 + n);
      ol_stream_message_free (m);
    }
  g_assert_cmpint (n, ==, 1024);
  c = s_counters (f, "qd");
  g_assert_cmpuint (c.overflowed - base.overflowed, ==, 1100 - 1024);
}

static void
test_reconfigure (Fixture *f, gconstpointer data)
{
  OlStreamCounters base, c;
  OlStreamMessage *m;

  (void) data;
  s_configure (f, "rc", OL_STORAGE_QUEUE, 100);
  s_sync (f, "rc");
  base = s_counters (f, "rc");
  for (int i = 1; i <= 20; i++)
    s_publish_index (f, "rc", i);
  s_barrier (f);

  /* A smaller queue keeps the newest; counters are kept. */
  s_configure (f, "rc", OL_STORAGE_QUEUE, 5);
  c = s_counters (f, "rc");
  g_assert_cmpuint (c.received - base.received, ==, 20);
  g_assert_cmpuint (c.overflowed - base.overflowed, ==, 15);
  m = s_get_ok (f, "rc", 0);
  g_assert_cmpint (s_index (m), ==, 16);
  ol_stream_message_free (m);

  /* A queue turned into a cache keeps only the newest message. */
  s_configure (f, "rc", OL_STORAGE_CACHE, 0);
  c = s_counters (f, "rc");
  g_assert_cmpuint (c.overflowed - base.overflowed, ==, 15 + 3);
  m = s_get_ok (f, "rc", 0);
  g_assert_cmpint (s_index (m), ==, 20);
  ol_stream_message_free (m);
  s_get_timeout (f, "rc", 0);

  /* And back to a queue. */
  s_configure (f, "rc", OL_STORAGE_QUEUE, 0);
  for (int i = 21; i <= 23; i++)
    s_publish_index (f, "rc", i);
  s_barrier (f);
  for (int i = 21; i <= 23; i++)
    {
      m = s_get_ok (f, "rc", 0);
      g_assert_cmpint (s_index (m), ==, i);
      ol_stream_message_free (m);
    }
  c = s_counters (f, "rc");
  g_assert_cmpuint (c.received - base.received, ==, 23);
  g_assert_cmpuint (c.missed, ==, 0);
}

/* ------------------------------------------------------------------------ */
/* Counters */

static void
test_gaps (Fixture *f, gconstpointer data)
{
  OlStreamCounters base, c;
  guint64 s0;

  (void) data;
  s_configure (f, "g", OL_STORAGE_QUEUE, 0);
  s_sync (f, "g");
  base = s_counters (f, "g");
  s0 = base.last_sequence;
  for (guint64 i = 1; i <= 10; i++)
    if (i != 4 && i != 7)
      s_publish_full (f, "g", s0 + i, OL_STATUS_OK, "null");
  s_barrier (f);
  c = s_counters (f, "g");
  g_assert_cmpuint (c.missed - base.missed, ==, 2);
  g_assert_cmpuint (c.received - base.received, ==, 8);
  g_assert_cmpuint (c.last_sequence, ==, s0 + 10);
  g_assert_cmpuint (c.restarts, ==, 0);
  for (guint64 i = 1; i <= 10; i++)
    if (i != 4 && i != 7)
      {
        OlStreamMessage *m = s_get_ok (f, "g", 0);
        g_assert_cmpuint (m->sequence, ==, s0 + i);
        ol_stream_message_free (m);
      }
}

/* Sequence marks: messages lost at the end of a burst count as missed when
 * the mark arrives; marks are never delivered, never count as received,
 * and one at or below the last number changes nothing. */
static void
test_marks (Fixture *f, gconstpointer data)
{
  OlStreamCounters base, c;
  guint64 s0;
  OlStreamMessage *m;

  (void) data;
  s_configure (f, "mk", OL_STORAGE_QUEUE, 0);
  s_sync (f, "mk");
  base = s_counters (f, "mk");
  s0 = base.last_sequence;
  for (guint64 i = 1; i <= 3; i++)
    s_publish_full (f, "mk", s0 + i, OL_STATUS_OK, "null");
  /* 4 to 9 lost at the very end of the burst, then the mark. */
  s_publish_full (f, "mk", s0 + 9, OL__STATUS_MARK, "");
  s_publish_full (f, "mk", s0 + 9, OL__STATUS_MARK, "");
  s_publish_full (f, "mk", s0 + 5, OL__STATUS_MARK, "");
  s_barrier (f);
  c = s_counters (f, "mk");
  g_assert_cmpuint (c.missed - base.missed, ==, 6);
  g_assert_cmpuint (c.received - base.received, ==, 3);
  g_assert_cmpuint (c.last_sequence, ==, s0 + 9);
  g_assert_cmpuint (c.restarts, ==, base.restarts);
  /* The next burst continues without a gap. */
  s_publish_full (f, "mk", s0 + 10, OL_STATUS_OK, "10");
  s_barrier (f);
  c = s_counters (f, "mk");
  g_assert_cmpuint (c.missed - base.missed, ==, 6);
  g_assert_cmpuint (c.received - base.received, ==, 4);
  for (guint64 i = 1; i <= 3; i++)
    {
      m = s_get_ok (f, "mk", 0);
      g_assert_cmpuint (m->sequence, ==, s0 + i);
      ol_stream_message_free (m);
    }
  m = s_get_ok (f, "mk", 0);
  g_assert_cmpuint (m->sequence, ==, s0 + 10);
  ol_stream_message_free (m);
  g_assert_cmpuint (ol__subscriber_malformed (ol__client_peek_subscriber (f->client)), ==, 0);
}

/* A stream already running when the client subscribes: its first message's
 * sequence number is far above 1, and nothing counts as missed. */
static void
test_late_join (Fixture *f, gconstpointer data)
{
  OlStreamCounters c;

  (void) data;
  *s_seq (f, "late") = 1000;
  s_configure (f, "late", OL_STORAGE_QUEUE, 0);
  s_sync (f, "late");
  c = s_counters (f, "late");
  g_assert_cmpuint (c.last_sequence, >, 1000);
  g_assert_cmpuint (c.missed, ==, 0);
  g_assert_cmpuint (c.restarts, ==, 0);
  g_assert_cmpuint (c.received, >=, 1);
}

static void
test_restart (Fixture *f, gconstpointer data)
{
  OlStreamCounters base, c;

  (void) data;
  *s_seq (f, "r") = 100;
  s_configure (f, "r", OL_STORAGE_QUEUE, 0);
  s_sync (f, "r");
  base = s_counters (f, "r");
  g_assert_cmpuint (base.last_sequence, >, 3);

  /* The server restarted: sequence numbers start again from 1. */
  s_publish_full (f, "r", 1, OL_STATUS_OK, "1");
  s_publish_full (f, "r", 2, OL_STATUS_OK, "2");
  s_publish_full (f, "r", 3, OL_STATUS_OK, "3");
  s_barrier (f);
  c = s_counters (f, "r");
  g_assert_cmpuint (c.restarts, ==, 1);
  g_assert_cmpuint (c.missed, ==, base.missed);
  g_assert_cmpuint (c.last_sequence, ==, 3);
  g_assert_cmpuint (c.received - base.received, ==, 3);

  /* The same number again is a restart too; then gaps count from there. */
  s_publish_full (f, "r", 3, OL_STATUS_OK, "3");
  s_publish_full (f, "r", 10, OL_STATUS_OK, "10");
  s_barrier (f);
  c = s_counters (f, "r");
  g_assert_cmpuint (c.restarts, ==, 2);
  g_assert_cmpuint (c.missed - base.missed, ==, 6);
  g_assert_cmpuint (c.last_sequence, ==, 10);
}

static void
test_error_messages (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  OlStreamCounters base, c;
  OlStreamMessage *m;

  (void) data;
  /* The client rebuilds errors of domains known in its process. */
  g_quark_from_static_string (TEST_ERROR_DOMAIN);
  s_configure (f, "e", OL_STORAGE_QUEUE, 0);
  s_sync (f, "e");
  base = s_counters (f, "e");
  s_publish_full (f, "e", *s_seq (f, "e") + 1, OL_STATUS_ERROR,
                  "{\"domain\": \"" TEST_ERROR_DOMAIN "\", \"code\": 42, "
                  "\"message\": \"the sensor is unplugged\"}");
  s_publish (f, "e", "{\"i\": 7}");
  s_publish_full (f, "e", *s_seq (f, "e") + 1, OL_STATUS_ERROR, "not json");
  s_barrier (f);

  m = ol_client_get_stream (f->client, "e", 0, &error);
  g_assert_null (m);
  g_assert_error (error, g_quark_from_string (TEST_ERROR_DOMAIN), 42);
  g_assert_cmpstr (error->message, ==, "the sensor is unplugged");
  g_clear_error (&error);

  /* The error message was consumed; the stream goes on. */
  m = s_get_ok (f, "e", 0);
  g_assert_cmpint (s_index (m), ==, 7);
  ol_stream_message_free (m);

  m = ol_client_get_stream (f->client, "e", 0, &error);
  g_assert_null (m);
  g_assert_error (error, OL_ERROR, OL_ERROR_PROTOCOL);
  g_clear_error (&error);
  s_get_timeout (f, "e", 0);

  c = s_counters (f, "e");
  g_assert_cmpuint (c.errors - base.errors, ==, 2);
  g_assert_cmpuint (c.received - base.received, ==, 3);
  g_assert_cmpuint (c.missed, ==, 0);
}

/* ------------------------------------------------------------------------ */
/* Topics, lookups, malformed input */

static void
test_exact_topic (Fixture *f, gconstpointer data)
{
  OlStreamCounters base, c;
  OlStreamMessage *m;
  guint64 malformed, seq;

  (void) data;
  s_configure (f, "frame", OL_STORAGE_QUEUE, 0);
  s_sync (f, "frame");
  base = s_counters (f, "frame");
  malformed = s_malformed (f);
  for (int i = 0; i < 5; i++)
    {
      s_publish (f, "frame_2", "\"other\"");
      s_publish (f, "frame2", "\"other\"");
      s_publish (f, "fram", "\"other\"");
    }
  seq = s_publish (f, "frame", "\"mine\"");
  s_barrier (f);

  m = s_get_ok (f, "frame", 0);
  g_assert_cmpuint (m->sequence, ==, seq);
  ol_stream_message_free (m);
  s_get_timeout (f, "frame", 0);
  c = s_counters (f, "frame");
  g_assert_cmpuint (c.received - base.received, ==, 1);
  /* The others never reached the client at all. */
  g_assert_cmpuint (s_malformed (f), ==, malformed);
}

static void
test_not_found (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (OlClient) fresh = NULL;
  OlStreamCounters c;

  (void) data;
  g_assert_null (ol_client_get_stream (f->client, "nope", 0, &error));
  g_assert_error (error, OL_ERROR, OL_ERROR_NOT_FOUND);
  g_assert_cmpstr (error->message, ==, "stream \"nope\" is not configured");
  g_clear_error (&error);
  g_assert_false (ol_client_get_stream_counters (f->client, "nope", &c, &error));
  g_assert_error (error, OL_ERROR, OL_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_false (ol_client_unconfigure_stream (f->client, "nope", &error));
  g_assert_error (error, OL_ERROR, OL_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* A client that never configured a stream has no subscriber yet. */
  fresh = ol_client_new ("tcp://127.0.0.1:1", f->endpoint, &error);
  g_assert_no_error (error);
  g_assert_null (ol_client_get_stream (fresh, "nope", 10, &error));
  g_assert_error (error, OL_ERROR, OL_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_false (ol_client_get_stream_counters (fresh, "nope", &c, &error));
  g_assert_error (error, OL_ERROR, OL_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_null (ol__client_peek_subscriber (fresh));
}

static void
test_unconfigure (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  OlStreamCounters c;

  (void) data;
  s_configure (f, "u", OL_STORAGE_QUEUE, 0);
  s_sync (f, "u");
  s_publish (f, "u", "1");
  s_barrier (f);
  g_assert_true (ol_client_unconfigure_stream (f->client, "u", &error));
  g_assert_no_error (error);
  g_assert_null (ol_client_get_stream (f->client, "u", 0, &error));
  g_assert_error (error, OL_ERROR, OL_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_false (ol_client_unconfigure_stream (f->client, "u", &error));
  g_assert_error (error, OL_ERROR, OL_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* Configured again, it starts from scratch and is subscribed again. */
  s_configure (f, "u", OL_STORAGE_QUEUE, 0);
  c = s_counters (f, "u");
  g_assert_cmpuint (c.received, ==, 0);
  g_assert_cmpuint (c.last_sequence, ==, 0);
  s_sync (f, "u");
}

static void
test_timeout (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  (void) data;
  s_configure (f, "empty", OL_STORAGE_CACHE, 0);
  g_assert_null (ol_client_get_stream (f->client, "empty", 0, &error));
  g_assert_error (error, OL_ERROR, OL_ERROR_TIMEOUT);
  g_assert_cmpstr (error->message, ==, "no message on stream \"empty\" within 0 ms");
  g_clear_error (&error);
  g_assert_null (ol_client_get_stream (f->client, "empty", 50, &error));
  g_assert_error (error, OL_ERROR, OL_ERROR_TIMEOUT);
  g_assert_cmpstr (error->message, ==, "no message on stream \"empty\" within 50 ms");
}

static void
test_malformed (Fixture *f, gconstpointer data)
{
  OlStreamCounters base, c;
  OlStreamMessage *m;
  guint8 header[OL_HEADER_SIZE];
  guint64 malformed, seq;
  OlHeader image = {
    .encoding = OL_ENCODING_IMAGE,
    .image = { 4, 3, OL_PIXEL_GRAY16 },
    .sequence = 1,
  };

  (void) data;
  s_configure (f, "m", OL_STORAGE_QUEUE, 0);
  s_sync (f, "m");
  base = s_counters (f, "m");
  malformed = s_malformed (f);
  s_header (header, *s_seq (f, "m") + 1, OL_STATUS_OK);

  /* 1. two frames */
  s_send (f, "m", 2, TRUE);
  s_send (f, header, sizeof header, FALSE);
  /* 2. one frame */
  s_send (f, "m", 2, FALSE);
  /* 3. four frames */
  s_send (f, "m", 2, TRUE);
  s_send (f, header, sizeof header, TRUE);
  s_send (f, "1", 1, TRUE);
  s_send (f, "2", 1, FALSE);
  /* 4. a header of an unknown version */
  header[0] = OL_DATA_VERSION + 1;
  s_send (f, "m", 2, TRUE);
  s_send (f, header, sizeof header, TRUE);
  s_send (f, "1", 1, FALSE);
  header[0] = OL_DATA_VERSION;
  /* 5. a header one byte short */
  s_send (f, "m", 2, TRUE);
  s_send (f, header, sizeof header - 1, TRUE);
  s_send (f, "1", 1, FALSE);
  /* 6. a topic whose NUL does not end it (the subscription "m\0" matches
   *    its prefix) */
  s_send (f, "m\0junk", 6, TRUE);
  s_send (f, header, sizeof header, TRUE);
  s_send (f, "1", 1, FALSE);
  /* 7. an image of the wrong size: 4x3 gray16 is 24 bytes */
  image.sequence = *s_seq (f, "m") + 1;
  ol__header_encode (&image, header);
  s_send (f, "m", 2, TRUE);
  s_send (f, header, sizeof header, TRUE);
  s_send (f, "0123456789", 10, FALSE);
  /* 8. an image whose geometry overflows 64 bits */
  image.image = (OlImageInfo) { G_MAXUINT32, G_MAXUINT32, OL_PIXEL_RGB8 };
  ol__header_encode (&image, header);
  s_send (f, "m", 2, TRUE);
  s_send (f, header, sizeof header, TRUE);
  s_send (f, "0123456789", 10, FALSE);
  image.image = (OlImageInfo) { 4, 3, OL_PIXEL_GRAY16 };

  /* The subscriber goes on. */
  seq = s_publish (f, "m", "\"good\"");
  image.sequence = s_publish (f, "m", "\"good\"") + 1;
  ol__header_encode (&image, header);
  s_send (f, "m", 2, TRUE);
  s_send (f, header, sizeof header, TRUE);
  s_send (f, "012345678901234567890123", 24, FALSE);
  *s_seq (f, "m") = image.sequence;
  s_barrier (f);

  g_assert_cmpuint (s_malformed (f) - malformed, ==, 8);
  m = s_get_ok (f, "m", 0);
  g_assert_cmpuint (m->sequence, ==, seq);
  ol_stream_message_free (m);
  m = s_get_ok (f, "m", 0);
  g_assert_cmpuint (m->sequence, ==, seq + 1);
  ol_stream_message_free (m);
  m = s_get_ok (f, "m", 0);
  g_assert_cmpuint (m->sequence, ==, seq + 2);
  g_assert_cmpint (m->encoding, ==, OL_ENCODING_IMAGE);
  g_assert_cmpuint (m->image.width, ==, 4);
  g_assert_cmpuint (m->image.height, ==, 3);
  g_assert_cmpint (m->image.format, ==, OL_PIXEL_GRAY16);
  g_assert_cmpuint (g_bytes_get_size (m->payload), ==, 24);
  ol_stream_message_free (m);
  s_get_timeout (f, "m", 0);
  c = s_counters (f, "m");
  g_assert_cmpuint (c.received - base.received, ==, 3);
}

static void
test_message_json (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  OlStreamMessage *m;
  json_t *json;

  (void) data;
  s_configure (f, "j", OL_STORAGE_QUEUE, 0);
  s_sync (f, "j");
  s_publish (f, "j", "3.5");
  s_publish (f, "j", "{\"broken\": ");
  s_barrier (f);

  m = s_get_ok (f, "j", 0);
  json = ol_stream_message_json (m, &error);
  g_assert_no_error (error);
  g_assert_true (json_is_real (json));
  g_assert_cmpfloat (json_real_value (json), ==, 3.5);
  json_decref (json);
  ol_stream_message_free (m);

  m = s_get_ok (f, "j", 0);
  g_assert_null (ol_stream_message_json (m, &error));
  g_assert_error (error, OL_ERROR, OL_ERROR_PROTOCOL);
  g_assert_true (g_str_has_prefix (error->message, "payload of stream \"j\" is not JSON: "));
  ol_stream_message_free (m);
}

/* ------------------------------------------------------------------------ */
/* Watches */

typedef struct {
  Fixture *f;
  GThread *thread;
  guint calls;
  guint taken;
  GHashTable *names;     /* name -> number of calls */
  guint *total;          /* (nullable) also counts what this watch took */
  guint unwatch_id;      /* unwatched from inside the next call */
  gboolean free_client;  /* the next call frees the client */
  gboolean destroyed;
  gboolean destroyed_in_callback;
} WatchData;

/* Whether a watch callback is running. */
static gboolean s_in_callback;

static void
s_watch_data_init (WatchData *w, Fixture *f)
{
  memset (w, 0, sizeof *w);
  w->f = f;
  w->thread = g_thread_self ();
  w->names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}

static void
s_watch_data_clear (WatchData *w)
{
  g_hash_table_unref (w->names);
}

static void
s_watch_cb (OlClient *client, const char *name, gpointer data)
{
  WatchData *w = data;
  GSource *current = g_main_current_source ();
  OlStreamMessage *m;

  g_assert_true (client == w->f->client);
  g_assert_true (g_thread_self () == w->thread);
  g_assert_nonnull (current);
  g_assert_true (g_source_get_context (current) == w->f->context);
  s_in_callback = TRUE;
  w->calls++;
  g_hash_table_insert (w->names, g_strdup (name),
                       GUINT_TO_POINTER (GPOINTER_TO_UINT (
                         g_hash_table_lookup (w->names, name)) + 1));
  while ((m = ol_client_get_stream (client, name, 0, NULL)) != NULL)
    {
      w->taken++;
      if (w->total != NULL)
        (*w->total)++;
      ol_stream_message_free (m);
    }
  if (w->unwatch_id != 0)
    {
      guint id = w->unwatch_id;
      w->unwatch_id = 0;
      ol_client_unwatch_stream (client, id);
    }
  if (w->free_client)
    ol_client_free (&w->f->client);
  s_in_callback = FALSE;
}

static void
s_watch_destroy (gpointer data)
{
  WatchData *w = data;

  g_assert_false (w->destroyed);
  w->destroyed = TRUE;
  w->destroyed_in_callback = s_in_callback;
}

static gboolean
s_flag (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Iterates the client's context until *value >= target, at most WAIT_MS. */
static void
s_iterate_until (Fixture *f, const guint *value, guint target)
{
  gboolean timed_out = FALSE;
  GSource *timer = g_timeout_source_new (WAIT_MS);

  g_source_set_callback (timer, s_flag, &timed_out, NULL);
  g_source_attach (timer, f->context);
  while (*value < target && !timed_out)
    g_main_context_iteration (f->context, TRUE);
  g_source_destroy (timer);
  g_source_unref (timer);
  g_assert_cmpuint (*value, >=, target);
}

static void
test_watch_context (Fixture *f, gconstpointer data)
{
  WatchData w;
  guint id;

  (void) data;
  s_watch_data_init (&w, f);
  s_configure (f, "w", OL_STORAGE_QUEUE, 0);
  s_sync (f, "w");
  id = ol_client_watch_stream (f->client, "w", s_watch_cb, &w, s_watch_destroy);
  g_assert_cmpuint (id, >, 0);
  for (int i = 1; i <= 10; i++)
    s_publish_index (f, "w", i);
  s_iterate_until (f, &w.taken, 10);
  g_assert_cmpuint (w.calls, >=, 1);
  g_assert_cmpuint (w.calls, <=, 10);
  /* Only the watched stream: the marker's messages do not call it. */
  s_barrier (f);
  s_flush (f->context);
  g_assert_cmpuint (g_hash_table_size (w.names), ==, 1);
  g_assert_true (g_hash_table_contains (w.names, "w"));
  g_assert_cmpuint (w.taken, ==, 10);

  ol_client_unwatch_stream (f->client, id);
  g_assert_true (w.destroyed);
  g_assert_false (w.destroyed_in_callback);
  s_watch_data_clear (&w);
}

/* A watch made before its stream is configured, and a NULL watch. */
static void
test_watch_all (Fixture *f, gconstpointer data)
{
  WatchData all, early;
  guint id_all, id_early;
  guint total = 0;

  (void) data;
  s_watch_data_init (&all, f);
  s_watch_data_init (&early, f);
  id_early = ol_client_watch_stream (f->client, "b", s_watch_cb, &early, s_watch_destroy);
  s_configure (f, "a", OL_STORAGE_QUEUE, 0);
  s_configure (f, "b", OL_STORAGE_QUEUE, 0);
  s_sync (f, "a");
  s_sync (f, "b");
  s_flush (f->context);
  early.calls = early.taken = 0;
  all.total = early.total = &total;

  id_all = ol_client_watch_stream (f->client, NULL, s_watch_cb, &all, s_watch_destroy);
  g_assert_cmpuint (id_all, !=, id_early);
  for (int i = 1; i <= 3; i++)
    s_publish_index (f, "a", i);
  for (int i = 1; i <= 4; i++)
    s_publish_index (f, "b", i);
  s_iterate_until (f, &total, 7);
  g_assert_cmpuint (early.calls, >=, 1);
  g_assert_cmpuint (all.calls, >=, 2);
  g_assert_true (g_hash_table_contains (all.names, "a"));
  g_assert_true (g_hash_table_contains (all.names, "b"));
  g_assert_false (g_hash_table_contains (early.names, "a"));
  g_assert_cmpuint (all.taken + early.taken, ==, 7);

  ol_client_unwatch_stream (f->client, id_all);
  ol_client_unwatch_stream (f->client, id_early);
  g_assert_true (all.destroyed && early.destroyed);
  s_watch_data_clear (&all);
  s_watch_data_clear (&early);
}

static void
test_unwatch (Fixture *f, gconstpointer data)
{
  WatchData w1, w2;
  guint id1, id2;
  OlStreamMessage *m;
  int left = 0;

  (void) data;
  s_watch_data_init (&w1, f);
  s_watch_data_init (&w2, f);
  s_configure (f, "w", OL_STORAGE_QUEUE, 0);
  s_sync (f, "w");
  id1 = ol_client_watch_stream (f->client, "w", s_watch_cb, &w1, s_watch_destroy);
  id2 = ol_client_watch_stream (f->client, "w", s_watch_cb, &w2, s_watch_destroy);
  s_publish (f, "w", "1");
  s_iterate_until (f, &w2.calls, 1);
  g_assert_cmpuint (w1.calls, ==, 1);

  /* With one of two watches gone, the other still runs. */
  ol_client_unwatch_stream (f->client, id1);
  g_assert_true (w1.destroyed);
  s_publish (f, "w", "2");
  s_iterate_until (f, &w2.calls, 2);
  g_assert_cmpuint (w1.calls, ==, 1);

  /* With none, nothing runs and the messages wait. */
  ol_client_unwatch_stream (f->client, id2);
  g_assert_true (w2.destroyed);
  /* An unknown or already removed id is ignored. */
  ol_client_unwatch_stream (f->client, id2);
  for (int i = 0; i < 5; i++)
    s_publish (f, "w", "3");
  s_barrier (f);
  s_flush (f->context);
  g_assert_cmpuint (w1.calls, ==, 1);
  g_assert_cmpuint (w2.calls, ==, 2);
  while ((m = ol_client_get_stream (f->client, "w", 0, NULL)) != NULL)
    {
      left++;
      ol_stream_message_free (m);
    }
  g_assert_cmpint (left, ==, 5);
  s_watch_data_clear (&w1);
  s_watch_data_clear (&w2);
}

/* A callback that unwatches itself, and one that unwatches the watch that
 * would run next in the same dispatch. */
static void
test_unwatch_in_callback (Fixture *f, gconstpointer data)
{
  WatchData self, other;
  guint id_self, id_other;

  (void) data;
  s_watch_data_init (&self, f);
  s_watch_data_init (&other, f);
  s_configure (f, "w", OL_STORAGE_QUEUE, 0);
  s_sync (f, "w");
  id_self = ol_client_watch_stream (f->client, "w", s_watch_cb, &self, s_watch_destroy);
  id_other = ol_client_watch_stream (f->client, "w", s_watch_cb, &other, s_watch_destroy);
  /* The first watch removes both: itself, then the other one. */
  self.unwatch_id = id_other;
  s_publish (f, "w", "1");
  s_iterate_until (f, &self.calls, 1);
  g_assert_cmpuint (other.calls, ==, 0);
  g_assert_true (other.destroyed);
  g_assert_false (other.destroyed_in_callback);

  self.unwatch_id = id_self;
  s_publish (f, "w", "2");
  s_iterate_until (f, &self.calls, 2);
  /* Released once its own call returned. */
  g_assert_true (self.destroyed);
  g_assert_false (self.destroyed_in_callback);
  s_publish (f, "w", "3");
  s_barrier (f);
  s_flush (f->context);
  g_assert_cmpuint (self.calls, ==, 2);
  g_assert_cmpuint (other.calls, ==, 0);
  s_watch_data_clear (&self);
  s_watch_data_clear (&other);
}

static void
test_free_pending_dispatch (Fixture *f, gconstpointer data)
{
  WatchData w;

  (void) data;
  s_watch_data_init (&w, f);
  s_configure (f, "w", OL_STORAGE_QUEUE, 0);
  s_sync (f, "w");
  g_assert_cmpuint (ol_client_watch_stream (f->client, "w", s_watch_cb, &w,
                                            s_watch_destroy), >, 0);
  for (int i = 0; i < 5; i++)
    s_publish (f, "w", "1");
  /* Once the marker is there, the dispatch is scheduled but has not run. */
  s_barrier (f);
  g_assert_true (g_main_context_pending (f->context));
  ol_client_free (&f->client);
  g_assert_true (w.destroyed);
  s_flush (f->context);
  g_assert_cmpuint (w.calls, ==, 0);
  s_watch_data_clear (&w);
}

static void
test_free_in_callback (Fixture *f, gconstpointer data)
{
  WatchData w;

  (void) data;
  s_watch_data_init (&w, f);
  s_configure (f, "w1", OL_STORAGE_QUEUE, 0);
  s_configure (f, "w2", OL_STORAGE_QUEUE, 0);
  s_sync (f, "w1");
  s_sync (f, "w2");
  g_assert_cmpuint (ol_client_watch_stream (f->client, NULL, s_watch_cb, &w,
                                            s_watch_destroy), >, 0);
  w.free_client = TRUE;
  s_publish (f, "w1", "1");
  s_publish (f, "w2", "2");
  s_barrier (f);
  s_iterate_until (f, &w.calls, 1);
  g_assert_null (f->client);
  /* The dispatch stopped with the client: no call for the other stream. */
  s_flush (f->context);
  g_assert_cmpuint (w.calls, ==, 1);
  g_assert_true (w.destroyed);
  g_assert_false (w.destroyed_in_callback);
  s_watch_data_clear (&w);
}

/* ------------------------------------------------------------------------ */
/* Without a publisher */

static void
test_bad_endpoint (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (OlClient) client = NULL;
  OlSubscriber *s;

  client = ol_client_new ("tcp://127.0.0.1:1", "bogus://nowhere", &error);
  g_assert_no_error (error);
  g_assert_false (ol_client_configure_stream (client, "x", OL_STORAGE_CACHE, 0, &error));
  g_assert_error (error, OL_ERROR, OL_ERROR_SOCKET);
  g_clear_error (&error);
  g_assert_false (ol_client_configure_stream (client, "x", OL_STORAGE_CACHE, 0, &error));
  g_assert_error (error, OL_ERROR, OL_ERROR_SOCKET);
  g_clear_error (&error);

  s = ol__subscriber_new ("tcp://", NULL, TRUE, g_main_context_default (), NULL, &error);
  g_assert_null (s);
  g_assert_error (error, OL_ERROR, OL_ERROR_SOCKET);
  g_clear_error (&error);

  /* A valid endpoint with nobody there is fine: ZeroMQ connects lazily. */
  s = ol__subscriber_new ("tcp://127.0.0.1:1", NULL, TRUE, g_main_context_default (), NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (s);
  ol__subscriber_free (s);
}

static void
test_invalid_names (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (OlClient) client = NULL;
  char long_name[OL_STREAM_NAME_MAX + 2];
  const char *bad[] = { "", "a b", "tab\t", "caf\xc3\xa9", "new\nline" };

  client = ol_client_new ("tcp://127.0.0.1:1", "tcp://127.0.0.1:1", &error);
  g_assert_no_error (error);
  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_assert_false (ol_client_configure_stream (client, bad[i], OL_STORAGE_QUEUE, 0,
                                                  &error));
      g_assert_error (error, OL_ERROR, OL_ERROR_INVALID_ARGS);
      g_clear_error (&error);
    }
  memset (long_name, 'x', sizeof long_name);
  long_name[OL_STREAM_NAME_MAX + 1] = '\0';
  g_assert_false (ol_client_configure_stream (client, long_name, OL_STORAGE_QUEUE, 0,
                                              &error));
  g_assert_error (error, OL_ERROR, OL_ERROR_INVALID_ARGS);
  g_clear_error (&error);
  long_name[OL_STREAM_NAME_MAX] = '\0';
  g_assert_true (ol_client_configure_stream (client, long_name, OL_STORAGE_QUEUE, 0,
                                             &error));
  g_assert_no_error (error);
  g_assert_false (ol_client_configure_stream (client, "ok", (OlStorage) 7, 0, &error));
  g_assert_error (error, OL_ERROR, OL_ERROR_INVALID_ARGS);
  g_clear_error (&error);
  g_assert_false (ol_client_set_stream_enabled (client, "a b", TRUE, &error));
  g_assert_error (error, OL_ERROR, OL_ERROR_INVALID_ARGS);
  g_clear_error (&error);
  g_assert_false (ol_client_remove_stream (client, "", &error));
  g_assert_error (error, OL_ERROR, OL_ERROR_INVALID_ARGS);
}

/* A fake server on a raw ROUTER socket: answers count requests and keeps
 * them. */
typedef struct {
  void *router;
  int count;
  json_t *requests;
} FakeServer;

static gpointer
s_fake_server (gpointer data)
{
  FakeServer *fs = data;

  for (int i = 0; i < fs->count; i++)
    {
      zmq_pollitem_t item = { fs->router, 0, ZMQ_POLLIN, 0 };
      zmq_msg_t id, body;
      json_t *request, *reply;
      const char *op;
      char *text;

      if (zmq_poll (&item, 1, WAIT_MS) <= 0)
        break;
      zmq_msg_init (&id);
      zmq_msg_init (&body);
      zmq_msg_recv (&id, fs->router, 0);
      zmq_msg_recv (&body, fs->router, 0);
      request = json_loadb (zmq_msg_data (&body), zmq_msg_size (&body), 0, NULL);
      op = json_string_value (json_object_get (request, "op"));
      reply = json_pack ("{s:i, s:O, s:b}", "v", OL_PROTOCOL_VERSION, "id",
                         json_object_get (request, "id"), "ok", 1);
      json_object_set_new (reply, "result",
                           g_strcmp0 (op, "streams") == 0
                           ? json_pack ("{s:[{s:s}]}", "streams", "name", "cam")
                           : json_null ());
      text = json_dumps (reply, JSON_COMPACT);
      zmq_msg_send (&id, fs->router, ZMQ_SNDMORE);
      zmq_send (fs->router, text, strlen (text), 0);
      free (text);
      json_decref (reply);
      zmq_msg_close (&body);
      json_array_append_new (fs->requests, request);
    }
  return NULL;
}

static void
test_control (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (OlClient) client = NULL;
  g_autoptr (json_t) list = NULL;
  FakeServer fs = { .count = 4, .requests = json_array () };
  void *ctx = zmq_ctx_new ();
  char endpoint[256];
  size_t len = sizeof endpoint;
  int linger = 0;
  GThread *thread;
  json_t *r;

  fs.router = zmq_socket (ctx, ZMQ_ROUTER);
  zmq_setsockopt (fs.router, ZMQ_LINGER, &linger, sizeof linger);
  g_assert_cmpint (zmq_bind (fs.router, "tcp://127.0.0.1:*"), ==, 0);
  zmq_getsockopt (fs.router, ZMQ_LAST_ENDPOINT, endpoint, &len);
  thread = g_thread_new ("fake-server", s_fake_server, &fs);

  client = ol_client_new (endpoint, "tcp://127.0.0.1:1", &error);
  g_assert_no_error (error);
  g_assert_true (ol_client_set_stream_enabled (client, "cam", TRUE, &error));
  g_assert_no_error (error);
  g_assert_true (ol_client_set_stream_enabled (client, "cam", FALSE, &error));
  g_assert_no_error (error);
  g_assert_true (ol_client_remove_stream (client, "cam", &error));
  g_assert_no_error (error);
  list = ol_client_list_streams (client, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (json_string_value (json_object_get (
                     json_array_get (json_object_get (list, "streams"), 0), "name")),
                   ==, "cam");
  g_thread_join (thread);

  g_assert_cmpuint (json_array_size (fs.requests), ==, 4);
  r = json_array_get (fs.requests, 0);
  g_assert_cmpstr (json_string_value (json_object_get (r, "op")), ==, "stream_enable");
  g_assert_cmpstr (json_string_value (json_object_get (r, "name")), ==, "cam");
  g_assert_true (json_is_true (json_object_get (r, "enabled")));
  r = json_array_get (fs.requests, 1);
  g_assert_true (json_is_false (json_object_get (r, "enabled")));
  r = json_array_get (fs.requests, 2);
  g_assert_cmpstr (json_string_value (json_object_get (r, "op")), ==, "stream_remove");
  g_assert_cmpstr (json_string_value (json_object_get (r, "name")), ==, "cam");
  r = json_array_get (fs.requests, 3);
  g_assert_cmpstr (json_string_value (json_object_get (r, "op")), ==, "streams");
  json_decref (fs.requests);
  zmq_close (fs.router);
  zmq_ctx_term (ctx);
}

/* ------------------------------------------------------------------------ */

static void
s_add (const char *transport, const char *name,
       void (*func) (Fixture *, gconstpointer))
{
  g_autofree char *path = g_strdup_printf ("/streamer/subscriber/%s/%s", transport, name);

  g_test_add (path, Fixture, transport, setup, func, teardown);
}

int
main (int argc, char **argv)
{
  const char *transports[] = { "tcp", "ipc" };

  g_test_init (&argc, &argv, NULL);
  for (gsize i = 0; i < G_N_ELEMENTS (transports); i++)
    {
      s_add (transports[i], "cache-latest", test_cache_latest);
      s_add (transports[i], "queue-order", test_queue_order);
      s_add (transports[i], "queue-overflow", test_queue_overflow);
      s_add (transports[i], "payload-lifetime", test_payload_lifetime);
      s_add (transports[i], "gaps", test_gaps);
      s_add (transports[i], "marks", test_marks);
      s_add (transports[i], "exact-topic", test_exact_topic);
      s_add (transports[i], "malformed", test_malformed);
    }
  s_add ("tcp", "queue-default-depth", test_queue_default_depth);
  s_add ("tcp", "reconfigure", test_reconfigure);
  s_add ("tcp", "late-join", test_late_join);
  s_add ("tcp", "restart", test_restart);
  s_add ("tcp", "error-messages", test_error_messages);
  s_add ("tcp", "not-found", test_not_found);
  s_add ("tcp", "unconfigure", test_unconfigure);
  s_add ("tcp", "timeout", test_timeout);
  s_add ("tcp", "message-json", test_message_json);
  s_add ("tcp", "watch-context", test_watch_context);
  s_add ("tcp", "watch-all", test_watch_all);
  s_add ("tcp", "unwatch", test_unwatch);
  s_add ("tcp", "unwatch-in-callback", test_unwatch_in_callback);
  s_add ("tcp", "free-pending-dispatch", test_free_pending_dispatch);
  s_add ("tcp", "free-in-callback", test_free_in_callback);
  g_test_add_func ("/streamer/subscriber/bad-endpoint", test_bad_endpoint);
  g_test_add_func ("/streamer/subscriber/invalid-names", test_invalid_names);
  g_test_add_func ("/streamer/subscriber/control", test_control);
  return g_test_run ();
}
