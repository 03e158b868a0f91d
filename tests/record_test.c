/* Recordings end to end: an OlServer in this process with periodic and
 * pushed streams (JSON with a description, raw, image, error messages,
 * warning and alarm statuses), an OlRecorder over tcp loopback, the MCAP
 * file read back with OlRecording; files cut off at many offsets, a chunk
 * damaged, a file that is not MCAP; 64-bit sequence numbers and gaps from a
 * publisher of our own. No timing is asserted. */
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <zmq.h>

#include <glib/gstdio.h>

#include "tests/testutil.h"
#include "core/socket.h"
#include "record/format.h"
#include "record/mcap.h"
#include "streamer/header.h"

#define WAIT_MS 20000

typedef struct {
  gint calls;
} Probe;

/* () -> int32: 1, 2, 3, ...: the value of the n-th message is n. */
static int32_t
f_ramp (Probe *p)
{
  return g_atomic_int_add (&p->calls, 1) + 1;
}

#define NUMBER_DESCRIPTION \
  "{\"text\": \"sample temperature\", \"unit\": \"degC\", \"form\": \"number\", " \
  "\"limits\": {\"warning_low\": 15, \"warning_high\": 30, \"alarm_low\": 5, " \
  "\"alarm_high\": 40}}"

#define RAW_COUNT 24
#define RAW_SIZE 100000

/* What was pushed on a stream after the primes. */
typedef struct {
  const char *name;
  GPtrArray *payloads;      /* GBytes */
  GArray *statuses;         /* guint32 */
} Pushed;

typedef struct {
  char *dir;                /* (owned) a fresh temporary directory */
  OlServer *server;
  Probe probe;
  OlStreamWriter *json, *err, *image, *raw;
  Pushed pushed[4];         /* json, err, image, raw */
  guint64 ramp_sent;
  OlRecorderStats stats;    /* at stop */
} Fixture;

static const char *const s_streams[] = { "t/ramp", "t/json", "t/err", "t/image", "t/raw", NULL };

static char *
s_path (Fixture *f, const char *name)
{
  return g_build_filename (f->dir, name, NULL);
}

static void
setup (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (json_t) desc = NULL;
  OlImageInfo img = { 4, 2, OL_PIXEL_GRAY8 };

  (void) data;
  memset (f, 0, sizeof *f);
  f->dir = g_dir_make_tmp ("ol-record-XXXXXX", &error);
  g_assert_no_error (error);
  f->server = ol_server_new ("tcp://127.0.0.1:*", "tcp://127.0.0.1:*");
  g_assert_true (ol_server_add_instance (f->server, "probe", &f->probe, NULL, &error));
  g_assert_true (ol_server_add_method (f->server, "probe", "ramp", "() -> int32",
                                       OL_FUNC (f_ramp), &error));
  g_assert_true (ol_server_add_stream (f->server, "t/ramp", 200, "probe", "ramp", NULL,
                                       NULL, FALSE, OL_ENCODING_JSON, NULL, &error));
  f->json = ol_server_add_pushed_stream (f->server, "t/json", OL_ENCODING_JSON, NULL, &error);
  f->err = ol_server_add_pushed_stream (f->server, "t/err", OL_ENCODING_JSON, NULL, &error);
  f->image = ol_server_add_pushed_stream (f->server, "t/image", OL_ENCODING_IMAGE, &img,
                                          &error);
  f->raw = ol_server_add_pushed_stream (f->server, "t/raw", OL_ENCODING_RAW, NULL, &error);
  g_assert_no_error (error);
  desc = json_loads (NUMBER_DESCRIPTION, 0, NULL);
  g_assert_true (ol_server_describe_stream (f->server, "t/json", desc, &error));
  g_assert_true (ol_server_start (f->server, &error));
  for (guint i = 0; i < 4; i++)
    {
      f->pushed[i].name = s_streams[i + 1];
      f->pushed[i].payloads = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
      f->pushed[i].statuses = g_array_new (FALSE, FALSE, sizeof (guint32));
    }
}

static void
s_rm_rf (const char *dir)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *p = g_build_filename (dir, name, NULL);

      g_unlink (p);
    }
  g_rmdir (dir);
}

static void
teardown (Fixture *f, gconstpointer data)
{
  (void) data;
  ol_server_free (&f->server);
  g_clear_pointer (&f->json, ol_stream_writer_unref);
  g_clear_pointer (&f->err, ol_stream_writer_unref);
  g_clear_pointer (&f->image, ol_stream_writer_unref);
  g_clear_pointer (&f->raw, ol_stream_writer_unref);
  for (guint i = 0; i < 4; i++)
    {
      g_ptr_array_unref (f->pushed[i].payloads);
      g_array_unref (f->pushed[i].statuses);
    }
  s_rm_rf (f->dir);
  g_free (f->dir);
}

static guint64
s_messages (OlRecorder *rec)
{
  OlRecorderStats s;

  ol_recorder_get_stats (rec, &s);
  return s.messages;
}

/* Waits until the recorder wrote at least n messages. */
static gboolean
s_wait_messages (OlRecorder *rec, guint64 n)
{
  gint64 end = g_get_monotonic_time () + WAIT_MS * 1000;

  while (s_messages (rec) < n)
    {
      if (g_get_monotonic_time () > end)
        return FALSE;
      g_usleep (2000);
    }
  return TRUE;
}

static void
s_push (Fixture *f, guint which, OlStreamWriter *w, GBytes *payload, guint32 status)
{
  g_autoptr (GError) error = NULL;

  g_assert_true (ol_stream_writer_push_bytes (w, payload, &error));
  g_assert_no_error (error);
  g_ptr_array_add (f->pushed[which].payloads, g_bytes_ref (payload));
  g_array_append_val (f->pushed[which].statuses, status);
}

static void
s_push_json (Fixture *f, guint which, OlStreamWriter *w, const char *text, guint32 status)
{
  g_autoptr (GBytes) b = g_bytes_new (text, strlen (text));

  s_push (f, which, w, b, status);
}

static guint64
s_server_sequence (Fixture *f, const char *name)
{
  g_autoptr (json_t) list = ol_server_list_streams (f->server);

  return json_integer_value (json_object_get (json_object_get (json_object_get (list, name),
                                                               "stats"), "sequence"));
}

/* Records every stream of the fixture's server to path: primes, the ramp
 * for a while, then the pushes of f->pushed. */
static void
s_record (Fixture *f, const char *path, OlCompression compression)
{
  g_autoptr (GError) error = NULL;
  OlRecorderOptions o = { 0 };
  OlRecorder *rec;
  guint64 primed, ramp_base;
  gint64 end;

  o.rpc_endpoint = ol_server_get_rpc_endpoint (f->server);
  o.stream_endpoint = ol_server_get_stream_endpoint (f->server);
  /* In this order: the subscription of t/raw, primed below, is the last. */
  o.streams = s_streams;
  o.compression = compression;
  rec = ol_recorder_start (path, &o, &error);
  g_assert_no_error (error);
  g_assert_nonnull (rec);

  /* Prime: push on t/raw until one arrives; every subscription is then in. */
  end = g_get_monotonic_time () + WAIT_MS * 1000;
  while (s_messages (rec) == 0)
    {
      g_autoptr (GBytes) prime = g_bytes_new_static ("prime", 5);
      gint64 wait = g_get_monotonic_time () + 2 * G_USEC_PER_SEC;

      g_assert_cmpint (g_get_monotonic_time (), <, end);
      g_assert_true (ol_stream_writer_push_bytes (f->raw, prime, NULL));
      while (s_messages (rec) == 0 && g_get_monotonic_time () < wait)
        g_usleep (2000);
    }
  primed = s_messages (rec);

  /* The periodic stream, for 20 messages or more. */
  g_assert_true (ol_server_set_stream_enabled (f->server, "t/ramp", TRUE, &error));
  ramp_base = primed;
  g_assert_true (s_wait_messages (rec, ramp_base + 20));
  g_assert_true (ol_server_set_stream_enabled (f->server, "t/ramp", FALSE, &error));
  /* The ramp's last message was sent once its count stays. */
  for (;;)
    {
      guint64 a = s_server_sequence (f, "t/ramp");

      g_usleep (50000);
      if (s_server_sequence (f, "t/ramp") == a)
        break;
    }
  f->ramp_sent = s_server_sequence (f, "t/ramp");

  /* JSON with limits: OK, warning, alarm. */
  s_push_json (f, 0, f->json, "20", 0);
  s_push_json (f, 0, f->json, "32", OL_STATUS_WARNING);
  s_push_json (f, 0, f->json, "50", OL_STATUS_ALARM);
  s_push_json (f, 0, f->json, "10", OL_STATUS_WARNING);
  s_push_json (f, 0, f->json, "0", OL_STATUS_ALARM);
  s_push_json (f, 0, f->json, "22.5", 0);
  /* Values and errors. */
  for (int i = 1; i <= 2; i++)
    {
      g_autofree char *v = g_strdup_printf ("{\"v\": %d}", i);
      g_autoptr (GError) failure = g_error_new (OL_ERROR, OL_ERROR_FAILED,
                                                "broken probe %d", i);
      g_autoptr (GBytes) text = NULL;
      g_autofree char *expected = NULL;

      s_push_json (f, 1, f->err, v, 0);
      g_assert_true (ol_stream_writer_push_error (f->err, failure, &error));
      g_assert_no_error (error);
      /* Its payload, checked by its message below. */
      expected = g_strdup_printf ("broken probe %d", i);
      text = g_bytes_new_take (g_steal_pointer (&expected), strlen ("broken probe 1"));
      g_ptr_array_add (f->pushed[1].payloads, g_steal_pointer (&text));
      g_array_append_val (f->pushed[1].statuses, (guint32) { OL_STATUS_ERROR });
    }
  /* Images. */
  for (guint8 i = 0; i < 3; i++)
    {
      guint8 px[8];
      g_autoptr (GBytes) b = NULL;

      for (guint k = 0; k < 8; k++)
        px[k] = (guint8) (i * 16 + k);
      b = g_bytes_new (px, sizeof px);
      s_push (f, 2, f->image, b, 0);
    }
  /* Large raw payloads: several chunks. */
  for (guint i = 0; i < RAW_COUNT; i++)
    {
      guint8 *data = g_malloc (RAW_SIZE);
      g_autoptr (GBytes) b = NULL;
      guint32 x = 2463534242u + i;

      for (guint k = 0; k < RAW_SIZE; k++)
        {
          x ^= x << 13;
          x ^= x >> 17;
          x ^= x << 5;
          data[k] = (guint8) (k % 7 == 0 ? x : k);
        }
      b = g_bytes_new_take (data, RAW_SIZE);
      s_push (f, 3, f->raw, b, 0);
    }
  g_assert_true (s_wait_messages (rec, primed + f->ramp_sent + 6 + 4 + 3 + RAW_COUNT));
  g_assert_true (ol_recorder_stop (rec, &error));
  g_assert_no_error (error);
  ol_recorder_get_stats (rec, &f->stats);
  ol_recorder_free (rec);
}

/* Every message of a recording, in order. (transfer full) */
static GPtrArray *
s_read_all (OlRecording *r, const char *const *streams)
{
  GPtrArray *all = g_ptr_array_new_with_free_func ((GDestroyNotify) ol_stream_message_free);
  g_autoptr (GError) error = NULL;
  OlStreamMessage *m;

  while ((m = ol_recording_next (r, streams, &error)) != NULL)
    g_ptr_array_add (all, m);
  g_assert_no_error (error);
  return all;
}

static void
s_check_recording (Fixture *f, const char *path, OlCompression compression)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (OlRecording) r = ol_recording_open (path, &error);
  g_autoptr (GPtrArray) all = NULL;
  g_autoptr (json_t) d = NULL;
  g_autoptr (json_t) desc = json_loads (NUMBER_DESCRIPTION, 0, NULL);
  g_autoptr (GHashTable) per = g_hash_table_new_full (NULL, NULL, NULL,
                                                      (GDestroyNotify) g_ptr_array_unref);
  gint64 last = G_MININT64;
  guint64 errors = 0;
  json_t *s;

  g_assert_no_error (error);
  all = s_read_all (r, NULL);
  g_assert_cmpuint (all->len, ==, f->stats.messages);
  for (guint i = 0; i < all->len; i++)
    {
      OlStreamMessage *m = all->pdata[i];
      GPtrArray *list = g_hash_table_lookup (per, m->name);

      g_assert_cmpint (m->received, >=, last);   /* log-time order */
      last = m->received;
      g_assert_cmpint (m->timestamp, >, 0);
      if (list == NULL)
        g_hash_table_insert (per, (gpointer) m->name, list = g_ptr_array_new ());
      g_ptr_array_add (list, m);
      if (m->status & OL_STATUS_ERROR)
        errors++;
    }
  g_assert_cmpuint (errors, ==, 2);
  g_assert_cmpuint (f->stats.errors, ==, 2);
  g_assert_cmpuint (f->stats.missed, ==, 0);
  g_assert_cmpuint (f->stats.overflowed, ==, 0);
  g_assert_cmpuint (f->stats.chunks, >=, 3);

  /* The ramp: value n in message n, none missing. */
  {
    GPtrArray *ramp = g_hash_table_lookup (per, g_intern_static_string ("t/ramp"));

    g_assert_nonnull (ramp);
    g_assert_cmpuint (ramp->len, ==, f->ramp_sent);
    for (guint i = 0; i < ramp->len; i++)
      {
        OlStreamMessage *m = ramp->pdata[i];
        g_autoptr (json_t) v = ol_stream_message_json (m, &error);

        g_assert_no_error (error);
        g_assert_cmpuint (m->sequence, ==, i + 1);
        g_assert_cmpint (json_integer_value (v), ==, (json_int_t) m->sequence);
        g_assert_cmpint (m->encoding, ==, OL_ENCODING_JSON);
        /* OVERRUN when the machine was too slow for 200 Hz: kept as sent. */
        g_assert_cmpuint (m->status & ~(guint32) OL_STATUS_OVERRUN, ==, 0);
      }
  }
  /* The pushed streams: their last messages are the pushes, in order, with
   * contiguous sequence numbers ending at the server's. */
  for (guint p = 0; p < 4; p++)
    {
      Pushed *ps = &f->pushed[p];
      GPtrArray *list = g_hash_table_lookup (per, g_intern_string (ps->name));
      guint n = ps->payloads->len;
      guint64 server_seq = s_server_sequence (f, ps->name);

      g_assert_nonnull (list);
      g_assert_cmpuint (list->len, >=, n);
      for (guint i = 0; i < list->len; i++)
        {
          OlStreamMessage *m = list->pdata[i];

          g_assert_cmpuint (m->sequence, ==, server_seq - list->len + 1 + i);
        }
      for (guint i = 0; i < n; i++)
        {
          OlStreamMessage *m = list->pdata[list->len - n + i];
          GBytes *want = ps->payloads->pdata[i];
          guint32 status = g_array_index (ps->statuses, guint32, i);

          g_assert_cmpuint (m->status, ==, status);
          if (status & OL_STATUS_ERROR)
            {
              g_autoptr (json_t) e = ol_stream_message_json (m, &error);
              gsize len;
              const char *text = g_bytes_get_data (want, &len);
              g_autofree char *expected = g_strndup (text, len);

              g_assert_no_error (error);
              g_assert_cmpstr (json_string_value (json_object_get (e, "message")), ==,
                               expected);
              continue;
            }
          g_assert_true (g_bytes_equal (m->payload, want));
          if (p == 2)
            {
              g_assert_cmpint (m->encoding, ==, OL_ENCODING_IMAGE);
              g_assert_cmpuint (m->image.width, ==, 4);
              g_assert_cmpuint (m->image.height, ==, 2);
              g_assert_cmpint (m->image.format, ==, OL_PIXEL_GRAY8);
            }
          else
            g_assert_cmpint (m->encoding, ==, p == 3 ? OL_ENCODING_RAW : OL_ENCODING_JSON);
        }
    }

  d = ol_recording_describe (r);
  g_assert_true (json_is_true (json_object_get (d, "complete")));
  g_assert_true (json_is_true (json_object_get (d, "summary")));
  g_assert_cmpuint (json_array_size (json_object_get (d, "problems")), ==, 0);
  g_assert_cmpstr (json_string_value (json_object_get (d, "compression")), ==,
                   ol_compression_name (compression));
  g_assert_cmpint (json_integer_value (json_object_get (d, "messages")), ==, all->len);
  g_assert_cmpint (json_integer_value (json_object_get (d, "chunks")), ==, f->stats.chunks);
  s = json_object_get (json_object_get (d, "streams"), "t/json");
  g_assert_true (json_equal (json_object_get (s, "description"), desc));
  g_assert_cmpstr (json_string_value (json_object_get (s, "encoding")), ==, "json");
  s = json_object_get (json_object_get (d, "streams"), "t/err");
  g_assert_cmpint (json_integer_value (json_object_get (s, "errors")), ==, 2);
  g_assert_cmpint (json_integer_value (json_object_get (s, "missed")), ==, 0);
  s = json_object_get (json_object_get (d, "streams"), "t/image");
  g_assert_cmpint (json_integer_value (json_object_get (s, "messages")), ==, 3);
  g_assert_cmpint (json_integer_value (json_object_get (json_object_get (s, "image"),
                                                        "width")), ==, 4);
  s = json_object_get (json_object_get (d, "streams"), "t/ramp");
  g_assert_cmpint (json_integer_value (json_object_get (s, "messages")), ==, f->ramp_sent);
  g_assert_cmpint (json_integer_value (json_object_get (s, "first_ns")), <=,
                   json_integer_value (json_object_get (s, "last_ns")));
  g_assert_cmpstr (json_string_value (json_object_get (json_object_get (d, "recorder"),
                                                       "rpc_endpoint")), ==,
                   ol_server_get_rpc_endpoint (f->server));

  /* Filtered, after a rewind; an unknown name is refused. */
  {
    const char *const images[] = { "t/image", NULL };
    const char *const unknown[] = { "t/json", "t/nope", NULL };
    g_autoptr (GPtrArray) some = NULL;
    OlStreamMessage *m;

    ol_recording_rewind (r);
    some = s_read_all (r, images);
    g_assert_cmpuint (some->len, ==, 3);
    ol_recording_rewind (r);
    m = ol_recording_next (r, unknown, &error);
    g_assert_null (m);
    g_assert_error (error, OL_ERROR, OL_ERROR_NOT_FOUND);
    g_assert_nonnull (strstr (error->message, "t/nope"));
  }
}

static void
test_roundtrip (Fixture *f, gconstpointer data)
{
  OlCompression c = GPOINTER_TO_INT (data);
  g_autofree char *path = s_path (f, "rec.mcap");

  s_record (f, path, c);
  s_check_recording (f, path, c);
  /* For tests/mcap/check.mjs (a standard MCAP reader): keep a copy. */
  if (g_getenv ("OL_RECORD_KEEP") != NULL)
    {
      g_autofree char *contents = NULL;
      g_autofree char *keep = g_strdup_printf ("%s/%s.mcap", g_getenv ("OL_RECORD_KEEP"),
                                               ol_compression_name (c));
      gsize len;

      g_assert_true (g_file_get_contents (path, &contents, &len, NULL));
      g_assert_true (g_file_set_contents (keep, contents, len, NULL));
    }
}

/* The chunks of a sound recording, found independently of OlRecording: the
 * end of each Chunk record (with its Message Indexes) and its messages. */
typedef struct {
  guint64 start;
  guint64 end;
  guint64 messages;
} ChunkSpan;

static GArray *
s_chunk_spans (const guint8 *data, gsize size)
{
  GArray *spans = g_array_new (FALSE, FALSE, sizeof (ChunkSpan));
  gsize at = OL_MCAP_MAGIC_SIZE;

  while (at + OL_MCAP_RECORD_HEAD <= size)
    {
      guint8 op = data[at];
      guint64 len = ol__mcap_le64 (data + at + 1);

      if (op == OL_MCAP_OP_DATA_END)
        break;
      if (op == OL_MCAP_OP_CHUNK)
        {
          ChunkSpan s = { at, at + OL_MCAP_RECORD_HEAD + len, 0 };

          g_array_append_val (spans, s);
        }
      else if (op == OL_MCAP_OP_MESSAGE_INDEX)
        {
          ChunkSpan *s = &g_array_index (spans, ChunkSpan, spans->len - 1);

          s->messages += ol__mcap_le32 (data + at + OL_MCAP_RECORD_HEAD + 2) / 16;
        }
      at += OL_MCAP_RECORD_HEAD + len;
    }
  return spans;
}

/* A recording cut at many offsets: readable up to its last complete chunk. */
static void
test_cut (Fixture *f, gconstpointer data)
{
  g_autofree char *path = s_path (f, "whole.mcap");
  g_autofree char *cut = s_path (f, "cut.mcap");
  g_autofree char *bytes = NULL;
  g_autoptr (GArray) spans = NULL;
  g_autoptr (GArray) offsets = g_array_new (FALSE, FALSE, sizeof (gsize));
  gsize size;

  (void) data;
  s_record (f, path, OL_COMPRESSION_ZSTD);
  g_assert_true (g_file_get_contents (path, &bytes, &size, NULL));
  spans = s_chunk_spans ((const guint8 *) bytes, size);
  g_assert_cmpuint (spans->len, >=, 3);
  for (gsize o = 0; o < 40; o++)
    {
      gsize at = o * size / 40;

      g_array_append_val (offsets, at);
    }
  for (guint i = 0; i < spans->len; i++)
    for (gint d = -1; d <= 1; d++)
      {
        gsize at = g_array_index (spans, ChunkSpan, i).end + d;

        g_array_append_val (offsets, at);
      }
  for (gsize at = size - 40; at < size; at += 3)
    g_array_append_val (offsets, at);

  for (guint i = 0; i < offsets->len; i++)
    {
      gsize at = g_array_index (offsets, gsize, i);
      g_autoptr (GError) error = NULL;
      g_autoptr (OlRecording) r = NULL;
      g_autoptr (GPtrArray) all = NULL;
      g_autoptr (json_t) d = NULL;
      guint64 expected = 0;

      g_assert_true (g_file_set_contents (cut, bytes, at, NULL));
      r = ol_recording_open (cut, &error);
      if (at < OL_MCAP_MAGIC_SIZE)
        {
          g_assert_error (error, OL_ERROR, OL_ERROR_PROTOCOL);
          continue;
        }
      g_assert_no_error (error);
      for (guint k = 0; k < spans->len; k++)
        if (g_array_index (spans, ChunkSpan, k).end <= at)
          expected += g_array_index (spans, ChunkSpan, k).messages;
      all = s_read_all (r, NULL);
      g_assert_cmpuint (all->len, ==, expected);
      d = ol_recording_describe (r);
      g_assert_false (json_is_true (json_object_get (d, "complete")));
      g_assert_cmpint (json_integer_value (json_object_get (d, "messages")), ==, expected);
      g_assert_cmpuint (json_array_size (json_object_get (d, "problems")), >=, 1);
    }
}

/* A byte flipped in a chunk: that chunk is skipped, said once; the others
 * are read. */
static void
test_damaged (Fixture *f, gconstpointer data)
{
  OlCompression c = GPOINTER_TO_INT (data);
  g_autofree char *path = s_path (f, "damaged.mcap");
  g_autofree char *bytes = NULL;
  g_autoptr (GArray) spans = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (OlRecording) r = NULL;
  g_autoptr (GPtrArray) all = NULL;
  g_autoptr (json_t) d = NULL;
  json_t *problems;
  ChunkSpan *hit = NULL;
  guint64 total = 0;
  gsize size, at;

  s_record (f, path, c);
  g_assert_true (g_file_get_contents (path, &bytes, &size, NULL));
  spans = s_chunk_spans ((const guint8 *) bytes, size);
  g_assert_cmpuint (spans->len, >=, 3);
  /* Three quarters into the largest chunk: in its records. */
  for (guint k = 0; k < spans->len; k++)
    {
      ChunkSpan *s = &g_array_index (spans, ChunkSpan, k);

      total += s->messages;
      if (hit == NULL || s->end - s->start > hit->end - hit->start)
        hit = s;
    }
  at = hit->start + (hit->end - hit->start) * 3 / 4;
  bytes[at] ^= 0x20;
  g_assert_true (g_file_set_contents (path, bytes, size, NULL));

  r = ol_recording_open (path, &error);
  g_assert_no_error (error);
  all = s_read_all (r, NULL);
  g_assert_cmpuint (all->len, ==, total - hit->messages);
  ol_recording_rewind (r);
  g_clear_pointer (&all, g_ptr_array_unref);
  all = s_read_all (r, NULL);   /* again: still said once */
  d = ol_recording_describe (r);
  problems = json_object_get (d, "problems");
  g_assert_cmpuint (json_array_size (problems), ==, 1);
  if (c == OL_COMPRESSION_NONE)
    g_assert_nonnull (strstr (json_string_value (json_array_get (problems, 0)), "CRC"));
  g_assert_true (json_is_true (json_object_get (d, "complete")));
}

/* Files that are not MCAP: one clear error. */
static void
test_not_mcap (Fixture *f, gconstpointer data)
{
  g_autofree char *text = s_path (f, "notes.txt");
  g_autofree char *empty = s_path (f, "empty.mcap");
  g_autofree char *missing = s_path (f, "missing.mcap");
  g_autoptr (GError) error = NULL;
  OlRecording *r;

  (void) data;
  g_assert_true (g_file_set_contents (text, "just some notes, not a recording\n", -1, NULL));
  g_assert_true (g_file_set_contents (empty, "", 0, NULL));
  r = ol_recording_open (text, &error);
  g_assert_null (r);
  g_assert_error (error, OL_ERROR, OL_ERROR_PROTOCOL);
  g_assert_nonnull (strstr (error->message, "not an MCAP"));
  g_clear_error (&error);
  r = ol_recording_open (empty, &error);
  g_assert_null (r);
  g_assert_error (error, OL_ERROR, OL_ERROR_PROTOCOL);
  g_clear_error (&error);
  r = ol_recording_open (missing, &error);
  g_assert_null (r);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_clear_error (&error);
  r = ol_recording_open (f->dir, &error);
  g_assert_null (r);
  g_assert_nonnull (error);
}

/* A publisher of our own in place of the server's stream endpoint: 64-bit
 * sequence numbers across 2^32 and gaps, recorded exactly. */
static void
s_send (void *pub, const char *name, guint64 seq, gint64 ts, guint8 status)
{
  OlHeader h = { 0 };
  guint8 head[OL_HEADER_SIZE];
  g_autofree char *payload = g_strdup_printf ("%" G_GUINT64_FORMAT, seq);

  h.status = status;
  h.encoding = OL_ENCODING_JSON;
  h.sequence = seq;
  h.timestamp = ts;
  ol__header_encode (&h, head);
  g_assert_cmpint (zmq_send (pub, name, strlen (name) + 1, ZMQ_SNDMORE), >=, 0);
  g_assert_cmpint (zmq_send (pub, head, sizeof head, ZMQ_SNDMORE), >=, 0);
  g_assert_cmpint (zmq_send (pub, payload, strlen (payload), 0), >=, 0);
}

static void
test_sequences (Fixture *f, gconstpointer data)
{
  static const guint64 seqs[] = {
    G_GUINT64_CONSTANT (0xFFFFFFFE), G_GUINT64_CONSTANT (0xFFFFFFFF),
    G_GUINT64_CONSTANT (0x100000000), G_GUINT64_CONSTANT (0x100000001),
    G_GUINT64_CONSTANT (0x100000005), G_GUINT64_CONSTANT (0x100000006),
    G_GUINT64_CONSTANT (0x7FFFFFFF00000001),
  };
  g_autofree char *path = s_path (f, "seq.mcap");
  g_autoptr (GError) error = NULL;
  g_autoptr (OlRecording) r = NULL;
  g_autoptr (GPtrArray) all = NULL;
  g_autoptr (json_t) d = NULL;
  const char *const names[] = { "t/json", NULL };
  char endpoint[256];
  size_t len = sizeof endpoint;
  OlRecorderOptions o = { 0 };
  OlRecorder *rec;
  OlRecorderStats stats;
  void *pub = zmq_socket (ol__zmq_context (), ZMQ_XPUB);
  zmq_pollitem_t item = { pub, 0, ZMQ_POLLIN, 0 };
  char sub[64];

  (void) data;
  g_assert_cmpint (zmq_bind (pub, "tcp://127.0.0.1:*"), ==, 0);
  g_assert_cmpint (zmq_getsockopt (pub, ZMQ_LAST_ENDPOINT, endpoint, &len), ==, 0);
  o.rpc_endpoint = ol_server_get_rpc_endpoint (f->server);
  o.stream_endpoint = endpoint;
  o.streams = names;
  rec = ol_recorder_start (path, &o, &error);
  g_assert_no_error (error);
  /* The subscription reached us: what follows is received. A same-host
   * client asks for a hello first (docs/PROTOCOL.md, "Same-host frames"),
   * which this publisher does not answer. */
  do
    g_assert_cmpint (zmq_poll (&item, 1, WAIT_MS), ==, 1);
  while (zmq_recv (pub, sub, sizeof sub, 0) == 19 && sub[1] == 0x02);
  g_assert_cmpmem (sub + 1, strlen ("t/json") + 1, "t/json", strlen ("t/json") + 1);
  g_assert_cmpint (sub[0], ==, 1);
  for (guint i = 0; i < G_N_ELEMENTS (seqs); i++)
    s_send (pub, "t/json", seqs[i], 1000 + (gint64) i,
            i == 3 ? OL_STATUS_ALARM : i == 4 ? OL_STATUS_ERROR : 0);
  g_assert_true (s_wait_messages (rec, G_N_ELEMENTS (seqs)));
  g_assert_true (ol_recorder_stop (rec, &error));
  ol_recorder_get_stats (rec, &stats);
  ol_recorder_free (rec);
  zmq_close (pub);
  /* 0x100000002..4 are missing; the jump to 0x7FFF... is a gap too. */
  g_assert_cmpuint (stats.missed, ==, 3 + (G_GUINT64_CONSTANT (0x7FFFFFFF00000001)
                                           - G_GUINT64_CONSTANT (0x100000006) - 1));

  r = ol_recording_open (path, &error);
  g_assert_no_error (error);
  all = s_read_all (r, NULL);
  g_assert_cmpuint (all->len, ==, G_N_ELEMENTS (seqs));
  for (guint i = 0; i < all->len; i++)
    {
      OlStreamMessage *m = all->pdata[i];
      g_autofree char *payload = g_strdup_printf ("%" G_GUINT64_FORMAT, seqs[i]);
      g_autoptr (GBytes) want = g_bytes_new (payload, strlen (payload));

      g_assert_cmpuint (m->sequence, ==, seqs[i]);
      g_assert_cmpint (m->timestamp, ==, 1000 + (gint64) i);
      g_assert_cmpuint (m->status, ==, i == 3 ? OL_STATUS_ALARM : i == 4 ? OL_STATUS_ERROR : 0);
      g_assert_true (g_bytes_equal (m->payload, want));
    }
  d = ol_recording_describe (r);
  g_assert_cmpint (json_integer_value (json_object_get (json_object_get (
                     json_object_get (d, "streams"), "t/json"), "missed")), ==,
                   (json_int_t) stats.missed);
}

/* The writer and the reader alone: log and publish times, every field of
 * the channel key, restored exactly. */
static void
test_exact (Fixture *f, gconstpointer data)
{
  g_autofree char *path = s_path (f, "exact.mcap");
  g_autoptr (GError) error = NULL;
  g_autoptr (OlRecording) r = NULL;
  OlMcapWriter *w;
  OlStreamMessage *m;
  const char *const kv[] = { OL_REC_KEY_ENCODING, "image", OL_REC_KEY_STATUS, "8",
                             OL_REC_KEY_SEQUENCE_HIGH, "4294967295",
                             OL_REC_KEY_WIDTH, "3", OL_REC_KEY_HEIGHT, "1",
                             OL_REC_KEY_FORMAT, "rgb8", NULL };
  static const guint8 px[9] = { 1, 2, 3, 4, 5, 6, 7, 8, 9 };

  (void) data;
  w = ol__mcap_writer_new (path, OL_COMPRESSION_NONE, 1024, "test", &error);
  g_assert_no_error (error);
  g_assert_true (ol__mcap_writer_add_channel (w, 7, "cam/frame", OL_REC_MESSAGE_IMAGE, kv,
                                              &error));
  g_assert_true (ol__mcap_writer_add_message (w, 7, 0xFFFFFFFF,
                                              G_GUINT64_CONSTANT (1764000000123456789),
                                              (guint64) G_GINT64_CONSTANT (-5), px,
                                              sizeof px, &error));
  g_assert_true (ol__mcap_writer_finish (w, &error));
  ol__mcap_writer_free (w);

  r = ol_recording_open (path, &error);
  g_assert_no_error (error);
  m = ol_recording_next (r, NULL, &error);
  g_assert_nonnull (m);
  g_assert_cmpstr (m->name, ==, "cam/frame");
  g_assert_cmpuint (m->sequence, ==, G_MAXUINT64);
  g_assert_cmpint (m->received, ==, G_GINT64_CONSTANT (1764000000123456789));
  g_assert_cmpint (m->timestamp, ==, -5);
  g_assert_cmpuint (m->status, ==, OL_STATUS_WARNING);
  g_assert_cmpint (m->encoding, ==, OL_ENCODING_IMAGE);
  g_assert_cmpuint (m->image.width, ==, 3);
  g_assert_cmpint (m->image.format, ==, OL_PIXEL_RGB8);
  ol_stream_message_free (m);
  g_assert_null (ol_recording_next (r, NULL, &error));
  g_assert_no_error (error);

  /* A record of an opcode MCAP may add later, after the Header: skipped. The
   * file is cut before its Data End, so it is scanned. */
  {
    g_autofree char *bytes = NULL;
    g_autofree char *other = s_path (f, "unknown-op.mcap");
    g_autoptr (GByteArray) b = g_byte_array_new ();
    g_autoptr (OlRecording) r2 = NULL;
    g_autoptr (GPtrArray) all = NULL;
    g_autoptr (json_t) d = NULL;
    static const guint8 unknown[] = { 0x80, 5, 0, 0, 0, 0, 0, 0, 0, 'l', 'a', 't', 'e', 'r' };
    gsize size, header_end, at;

    g_assert_true (g_file_get_contents (path, &bytes, &size, NULL));
    header_end = OL_MCAP_MAGIC_SIZE + OL_MCAP_RECORD_HEAD
                 + ol__mcap_le64 ((const guint8 *) bytes + OL_MCAP_MAGIC_SIZE + 1);
    for (at = header_end; bytes[at] != OL_MCAP_OP_DATA_END;)
      at += OL_MCAP_RECORD_HEAD + ol__mcap_le64 ((const guint8 *) bytes + at + 1);
    g_byte_array_append (b, (const guint8 *) bytes, header_end);
    g_byte_array_append (b, unknown, sizeof unknown);
    g_byte_array_append (b, (const guint8 *) bytes + header_end, at - header_end);
    g_assert_true (g_file_set_contents (other, (const char *) b->data, b->len, NULL));
    r2 = ol_recording_open (other, &error);
    g_assert_no_error (error);
    all = s_read_all (r2, NULL);
    g_assert_cmpuint (all->len, ==, 1);
    g_assert_cmpuint (((OlStreamMessage *) all->pdata[0])->sequence, ==, G_MAXUINT64);
    d = ol_recording_describe (r2);
    g_assert_false (json_is_true (json_object_get (d, "complete")));
  }
}

/* Bad options and a server that is not there. */
static void
test_start_errors (Fixture *f, gconstpointer data)
{
  g_autofree char *path = s_path (f, "never.mcap");
  g_autoptr (GError) error = NULL;
  const char *const names[] = { "t/json", "t/absent", NULL };
  OlRecorderOptions o = { 0 };

  (void) data;
  o.rpc_endpoint = ol_server_get_rpc_endpoint (f->server);
  o.stream_endpoint = ol_server_get_stream_endpoint (f->server);
  o.streams = names;
  g_assert_null (ol_recorder_start (path, &o, &error));
  g_assert_error (error, OL_ERROR, OL_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "t/absent"));
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  g_clear_error (&error);
  o.streams = NULL;
  o.compression = 7;
  g_assert_null (ol_recorder_start (path, &o, &error));
  g_assert_error (error, OL_ERROR, OL_ERROR_INVALID_ARGS);
  g_clear_error (&error);
  o.compression = OL_COMPRESSION_NONE;
  {
    g_autofree char *bad = g_build_filename (f->dir, "no", "such", "dir.mcap", NULL);

    g_assert_null (ol_recorder_start (bad, &o, &error));
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  }
}

/* A stream recorded that sent nothing is in the recording all the same:
 * listed with no message, and read as empty rather than refused. */
static void
test_silent_stream (Fixture *f, gconstpointer data)
{
  g_autofree char *path = s_path (f, "silent.mcap");
  g_autoptr (GError) error = NULL;
  g_autoptr (OlStreamWriter) silent = NULL;
  g_autoptr (OlRecording) r = NULL;
  g_autoptr (json_t) d = NULL;
  g_autoptr (GPtrArray) json_messages = NULL;
  const char *const names[] = { "t/json", "t/silent", NULL };
  const char *const only_silent[] = { "t/silent", NULL };
  const char *const only_json[] = { "t/json", NULL };
  OlRecorderOptions o = { 0 };
  OlRecorder *rec;
  OlStreamMessage *m;

  (void) data;
  silent = ol_server_add_pushed_stream (f->server, "t/silent", OL_ENCODING_JSON, NULL, &error);
  g_assert_no_error (error);
  o.rpc_endpoint = ol_server_get_rpc_endpoint (f->server);
  o.stream_endpoint = ol_server_get_stream_endpoint (f->server);
  o.streams = names;
  rec = ol_recorder_start (path, &o, &error);
  g_assert_no_error (error);
  for (gint64 end = g_get_monotonic_time () + WAIT_MS * 1000; s_messages (rec) < 5;)
    {
      g_autoptr (json_t) v = json_integer (1);

      g_assert_cmpint (g_get_monotonic_time (), <, end);
      g_assert_true (ol_stream_writer_push_json (f->json, v, NULL));
      g_usleep (10000);
    }
  g_assert_true (ol_recorder_stop (rec, &error));
  ol_recorder_free (rec);

  r = ol_recording_open (path, &error);
  g_assert_no_error (error);
  d = ol_recording_describe (r);
  g_assert_nonnull (json_object_get (json_object_get (d, "streams"), "t/silent"));
  g_assert_cmpint (json_integer_value (json_object_get (
    json_object_get (json_object_get (d, "streams"), "t/silent"), "messages")), ==, 0);
  m = ol_recording_next (r, only_silent, &error);
  g_assert_no_error (error);
  g_assert_null (m);
  ol_recording_rewind (r);
  json_messages = s_read_all (r, only_json);
  g_assert_cmpuint (json_messages->len, >=, 5);
}

/* A write that fails (a full disk, a file too large) stops the recording:
 * stop returns the error, and the file reads as one cut off. */
static void
test_write_error (Fixture *f, gconstpointer data)
{
  g_autofree char *path = s_path (f, "full.mcap");
  g_autoptr (GError) error = NULL;
  g_autoptr (OlRecording) r = NULL;
  g_autoptr (GPtrArray) all = NULL;
  g_autoptr (json_t) d = NULL;
  const char *const names[] = { "t/raw", NULL };
  OlRecorderOptions o = { 0 };
  struct rlimit old, small;
  void (*old_handler) (int);
  OlRecorder *rec;
  gint64 end;

  (void) data;
  o.rpc_endpoint = ol_server_get_rpc_endpoint (f->server);
  o.stream_endpoint = ol_server_get_stream_endpoint (f->server);
  o.streams = names;
  o.compression = OL_COMPRESSION_NONE;

  /* No room from the start. */
  g_assert_null (ol_recorder_start ("/dev/full", &o, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE);
  g_clear_error (&error);

  /* Files of this process may not grow past 300 kB for a while: EFBIG. */
  g_assert_cmpint (getrlimit (RLIMIT_FSIZE, &old), ==, 0);
  small = old;
  small.rlim_cur = 300000;
  old_handler = signal (SIGXFSZ, SIG_IGN);
  g_assert_cmpint (setrlimit (RLIMIT_FSIZE, &small), ==, 0);
  rec = ol_recorder_start (path, &o, &error);
  g_assert_no_error (error);
  end = g_get_monotonic_time () + WAIT_MS * 1000;
  while (s_messages (rec) < 8)
    {
      g_autoptr (GBytes) b = g_bytes_new_take (g_malloc0 (RAW_SIZE), RAW_SIZE);

      g_assert_cmpint (g_get_monotonic_time (), <, end);
      g_assert_true (ol_stream_writer_push_bytes (f->raw, b, NULL));
      g_usleep (10000);
    }
  /* The stats say it failed before anyone stops it. */
  for (;;)
    {
      OlRecorderStats stats;
      g_autoptr (GBytes) b = g_bytes_new_take (g_malloc0 (RAW_SIZE), RAW_SIZE);

      ol_recorder_get_stats (rec, &stats);
      if (stats.failed)
        break;
      g_assert_cmpint (g_get_monotonic_time (), <, end);
      g_assert_true (ol_stream_writer_push_bytes (f->raw, b, NULL));
      g_usleep (10000);
    }
  g_assert_false (ol_recorder_stop (rec, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "full.mcap"));
  g_clear_error (&error);
  /* Said again by a second stop. */
  g_assert_false (ol_recorder_stop (rec, &error));
  g_assert_nonnull (error);
  g_clear_error (&error);
  ol_recorder_free (rec);
  g_assert_cmpint (setrlimit (RLIMIT_FSIZE, &old), ==, 0);
  signal (SIGXFSZ, old_handler);

  r = ol_recording_open (path, &error);
  g_assert_no_error (error);
  all = s_read_all (r, NULL);
  d = ol_recording_describe (r);
  g_assert_false (json_is_true (json_object_get (d, "complete")));
  g_assert_cmpint (json_integer_value (json_object_get (d, "messages")), ==, all->len);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, fn, data) \
  g_test_add (path, Fixture, data, setup, fn, teardown)
  ADD ("/record/roundtrip/zstd", test_roundtrip, GINT_TO_POINTER (OL_COMPRESSION_ZSTD));
  ADD ("/record/silent-stream", test_silent_stream, NULL);
  ADD ("/record/roundtrip/none", test_roundtrip, GINT_TO_POINTER (OL_COMPRESSION_NONE));
  ADD ("/record/cut", test_cut, NULL);
  ADD ("/record/damaged/none", test_damaged, GINT_TO_POINTER (OL_COMPRESSION_NONE));
  ADD ("/record/damaged/zstd", test_damaged, GINT_TO_POINTER (OL_COMPRESSION_ZSTD));
  ADD ("/record/not-mcap", test_not_mcap, NULL);
  ADD ("/record/sequences", test_sequences, NULL);
  ADD ("/record/exact", test_exact, NULL);
  ADD ("/record/start-errors", test_start_errors, NULL);
  ADD ("/record/write-error", test_write_error, NULL);
#undef ADD
  return g_test_run ();
}
