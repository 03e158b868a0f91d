/* oneliner record, info, play and export end to end, with real processes: the
 * demo server, the oneliner command recording it, playing the file and
 * recording the play. Files go to a fresh temporary directory per test, and
 * servers to free loopback ports, so two runs at once do not meet.
 *
 * No timing of the machine is asserted. Play publishes message i at
 * start + (t_i - t_0) on absolute deadlines and stamps it with that time of
 * its schedule (ol_stream_writer_push_bytes_at), not with the time of its
 * push: the replayed timestamps are the recorded ones shifted by one
 * constant a pass, exactly, however late a push was. */
#include <glib/gstdio.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "tests/testutil.h"

#define RUN_MS 60000

/* A fresh temporary directory, and a path in it. (transfer full) */
static char *
s_tmp_dir (void)
{
  g_autoptr (GError) error = NULL;
  char *dir = g_dir_make_tmp ("oneliner-rec-XXXXXX", &error);

  g_assert_no_error (error);
  return dir;
}

static void
s_rm_rf (const char *dir)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *p = g_build_filename (dir, name, NULL);

      if (g_file_test (p, G_FILE_TEST_IS_DIR))
        s_rm_rf (p);
      else
        g_unlink (p);
    }
  g_rmdir (dir);
}

/* Runs the oneliner command with args (NULL-terminated); returns its status. */
static int
s_oneliner (char **out, char **err, ...)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  va_list ap;
  const char *a;
  int status;

  g_ptr_array_add (argv, (gpointer) "tools/oneliner");
  va_start (ap, err);
  while ((a = va_arg (ap, const char *)) != NULL)
    g_ptr_array_add (argv, (gpointer) a);
  va_end (ap);
  g_ptr_array_add (argv, NULL);
  status = tu_run ((const char *const *) argv->pdata, RUN_MS, out, err);
  if (g_test_verbose ())
    g_printerr ("oneliner %s -> %d\nstdout: %s\nstderr: %s\n",
                (const char *) argv->pdata[1], status, out && *out ? *out : "",
                err && *err ? *err : "");
  return status;
}

/* The number before " messages" in the first line of text that has prefix
 * and " messages". */
static guint64
s_messages_in (const char *text, const char *prefix)
{
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);

  for (guint i = 0; lines[i] != NULL; i++)
    {
      const char *line = strstr (lines[i], prefix);
      const char *at = line != NULL ? strstr (line, " messages") : NULL;

      if (at == NULL)
        continue;
      while (at > line && g_ascii_isdigit (at[-1]))
        at--;
      return g_ascii_strtoull (at, NULL, 10);
    }
  g_error ("no line with \"%s\" and a count of messages in:\n%s", prefix, text);
}

/* The number after the first "messages:" of text (info's line). */
static guint64
s_info_messages (const char *text)
{
  const char *at = strstr (text, "messages:");

  g_assert_nonnull (at);
  return g_ascii_strtoull (at + strlen ("messages:"), NULL, 10);
}

/* The messages of one stream of a recording, in order. */
typedef struct {
  GPtrArray *payloads;  /* of GBytes */
  GArray *stamps;       /* gint64 timestamps */
  GArray *sequences;    /* guint64 */
} Series;

static void
s_series_free (gpointer data)
{
  Series *s = data;

  g_ptr_array_unref (s->payloads);
  g_array_unref (s->stamps);
  g_array_unref (s->sequences);
  g_free (s);
}

/* Every message of the recording at path, by stream (the names interned). */
static GHashTable *
s_read (const char *path)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (OlRecording) rec = ol_recording_open (path, &error);
  GHashTable *t = g_hash_table_new_full (NULL, NULL, NULL, s_series_free);
  OlStreamMessage *m;

  g_assert_no_error (error);
  while ((m = ol_recording_next (rec, NULL, &error)) != NULL)
    {
      Series *s = g_hash_table_lookup (t, m->name);

      if (s == NULL)
        {
          s = g_new0 (Series, 1);
          s->payloads = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
          s->stamps = g_array_new (FALSE, FALSE, sizeof (gint64));
          s->sequences = g_array_new (FALSE, FALSE, sizeof (guint64));
          g_hash_table_insert (t, (gpointer) m->name, s);
        }
      g_ptr_array_add (s->payloads, g_bytes_ref (m->payload));
      g_array_append_val (s->stamps, m->timestamp);
      g_array_append_val (s->sequences, m->sequence);
      ol_stream_message_free (m);
    }
  g_assert_no_error (error);
  return t;
}

static guint64
s_total (GHashTable *t)
{
  GHashTableIter it;
  gpointer value;
  guint64 n = 0;

  g_hash_table_iter_init (&it, t);
  while (g_hash_table_iter_next (&it, NULL, &value))
    n += ((Series *) value)->payloads->len;
  return n;
}

/* Records the demo server's streams for 3 s; info counts what the recorder
 * wrote; play serves the file (looping) and a second recording of the play
 * holds a whole pass of every stream: the same payloads in the same order,
 * the timestamps shifted by a constant (see the top of the file). */
static void
test_record_info_play (void)
{
  g_autofree char *dir = s_tmp_dir ();
  g_autofree char *a = g_build_filename (dir, "a.mcap", NULL);
  g_autofree char *b = g_build_filename (dir, "b.mcap", NULL);
  g_autofree char *rpc = NULL, *se = NULL, *play_rpc = NULL, *play_se = NULL;
  g_autofree char *out = NULL, *err = NULL, *out2 = NULL, *err2 = NULL;
  g_autoptr (TuProcess) demo = tu_spawn_demo_server (&rpc, NULL);
  g_autoptr (TuProcess) play = NULL;
  g_autoptr (GHashTable) ta = NULL, tb = NULL;
  const char *const play_args[] = { "play", a, "--loop", NULL };
  guint64 recorded;
  GHashTableIter it;
  gpointer key, value;
  int status;

  se = tu_demo_stream_endpoint (demo);
  g_assert_cmpint (s_oneliner (&out, &err, "--rpc", rpc, "--stream", se, "record", "--all",
                               "--duration", "3", "-o", a, NULL), ==, 0);
  recorded = s_messages_in (out, "oneliner record: ");
  g_assert_cmpuint (recorded, >, 50);
  g_assert_nonnull (strstr (out, "missed 0"));

  /* info counts what the recorder wrote. */
  g_assert_cmpint (s_oneliner (&out2, &err2, "info", a, NULL), ==, 0);
  g_assert_cmpuint (s_info_messages (out2), ==, recorded);
  g_assert_nonnull (strstr (out2, "state:       complete"));
  g_assert_nonnull (strstr (out2, "sensor/temperature"));
  ta = s_read (a);
  g_assert_cmpuint (s_total (ta), ==, recorded);

  /* The play, recorded: more than two passes of 3 s, so one whole. */
  play = tu_spawn_server ("tools/oneliner", &play_rpc, play_args);
  play_se = tu_demo_stream_endpoint (play);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (s_oneliner (&out, &err, "--rpc", play_rpc, "--stream", play_se, "record",
                               "--all", "--duration", "8", "-o", b, NULL), ==, 0);
  g_clear_pointer (&out2, g_free);
  g_clear_pointer (&err2, g_free);
  /* It answers streams with the recorded descriptions. */
  g_assert_cmpint (s_oneliner (&out2, &err2, "--rpc", play_rpc, "streams", "--json", NULL),
                   ==, 0);
  g_assert_nonnull (strstr (out2, "\"degC\""));
  /* It answers list, and its streams switch off and on. */
  g_clear_pointer (&out2, g_free);
  g_clear_pointer (&err2, g_free);
  g_assert_cmpint (s_oneliner (&out2, &err2, "--rpc", play_rpc, "list", NULL), ==, 0);
  g_clear_pointer (&out2, g_free);
  g_clear_pointer (&err2, g_free);
  g_assert_cmpint (s_oneliner (&out2, &err2, "--rpc", play_rpc, "disable", "sensor/sine", NULL),
                   ==, 0);
  g_clear_pointer (&out2, g_free);
  g_clear_pointer (&err2, g_free);
  g_assert_cmpint (s_oneliner (&out2, &err2, "--rpc", play_rpc, "enable", "sensor/sine", NULL),
                   ==, 0);
  g_assert_true (tu_kill_wait (play, SIGTERM, 10000, &status));
  g_assert_cmpint (status, ==, 0);
  tb = s_read (b);

  g_hash_table_iter_init (&it, ta);
  while (g_hash_table_iter_next (&it, &key, &value))
    {
      Series *sa = value, *sb = g_hash_table_lookup (tb, key);
      guint n = sa->payloads->len, found = G_MAXUINT;

      g_assert_nonnull (sb);
      for (guint j = 0; found == G_MAXUINT && j + n <= sb->payloads->len; j++)
        {
          gboolean same = TRUE;

          for (guint i = 0; same && i < n; i++)
            same = g_bytes_equal (sa->payloads->pdata[i], sb->payloads->pdata[j + i]);
          if (same)
            found = j;
        }
      if (found == G_MAXUINT)
        g_error ("stream %s: no whole pass of its %u messages among the %u played",
                 (const char *) key, n, sb->payloads->len);
      for (guint i = 0; i < n; i++)
        {
          gint64 da = g_array_index (sa->stamps, gint64, i) - g_array_index (sa->stamps, gint64, 0);
          gint64 db = g_array_index (sb->stamps, gint64, found + i)
                      - g_array_index (sb->stamps, gint64, found);

          /* The recorded timestamps shifted by one constant. */
          if (db != da)
            g_error ("stream %s, message %u of the pass: %" G_GINT64_FORMAT " ns after the "
                     "first played, %" G_GINT64_FORMAT " ns recorded", (const char *) key, i,
                     db, da);
          /* The server's own numbers, contiguous within the pass. */
          g_assert_cmpuint (g_array_index (sb->sequences, guint64, found + i), ==,
                            g_array_index (sb->sequences, guint64, found) + i);
        }
    }
  s_rm_rf (dir);
}

/* hz on the play of a 100 Hz recording measures the recorded rate (hz
 * reads the rate from the server's timestamps, which play sets on the
 * recorded schedule). */
static void
test_play_hz (void)
{
  g_autofree char *dir = s_tmp_dir ();
  g_autofree char *a = g_build_filename (dir, "sine.mcap", NULL);
  g_autofree char *play_rpc = NULL, *play_se = NULL;
  g_autofree char *out = NULL, *err = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (OlServer) server = ol_server_new ("tcp://127.0.0.1:*", "tcp://127.0.0.1:*");
  g_autoptr (OlStreamWriter) writer = NULL;
  g_autoptr (TuProcess) play = NULL;
  g_autoptr (GHashTable) t = NULL;
  const char *const play_args[] = { "play", a, NULL };
  const gint64 base = G_GINT64_CONSTANT (1700000000000000000);
  Series *s;
  double recorded, measured;
  const char *at;
  int status;

  /* A recording of exactly 100 Hz: messages stamped 10 ms apart by the
   * application (the machine's own scheduling would make the recorded rate
   * differ from window to window), made with the recorder `record` uses.
   * Message i is pushed slowly until the recorder's subscription is live
   * (then every later one is received), then the rest in a row: the
   * recorded ones are consecutive, 10 ms apart. */
  writer = ol_server_add_pushed_stream (server, "sensor/sine", OL_ENCODING_JSON, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (ol_server_start (server, &error));
  {
    const char *const names[] = { "sensor/sine", NULL };
    OlRecorderOptions o = { 0 };
    OlRecorderStats st = { 0 };
    gint64 deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;
    OlRecorder *recorder;

    o.rpc_endpoint = ol_server_get_rpc_endpoint (server);
    o.stream_endpoint = ol_server_get_stream_endpoint (server);
    o.streams = names;
    recorder = ol_recorder_start (a, &o, &error);
    g_assert_no_error (error);
    for (int i = 0; st.messages < 801; i++)
      {
        g_autoptr (json_t) v = json_real (sin (i / 50.0));

        g_assert_cmpint (g_get_monotonic_time (), <, deadline);
        g_assert_true (ol_stream_writer_push_json_at (writer, v,
                                                      base + (gint64) i * 10000000, &error));
        ol_recorder_get_stats (recorder, &st);
        if (st.messages == 0)
          g_usleep (20 * 1000);
        else if (st.messages + 50 < (guint64) i)
          g_usleep (1000);   /* keep within the client's queue */
        if (st.messages > 0 && i >= 2000)
          {
            /* Pushed enough; wait for the recorder to catch up. */
            while (st.messages < 801 && g_get_monotonic_time () < deadline)
              {
                g_usleep (10 * 1000);
                ol_recorder_get_stats (recorder, &st);
              }
          }
      }
    g_assert_true (ol_recorder_stop (recorder, &error));
    ol_recorder_free (recorder);
  }
  t = s_read (a);
  s = g_hash_table_lookup (t, g_intern_string ("sensor/sine"));
  g_assert_nonnull (s);
  g_assert_cmpuint (s->stamps->len, >=, 801);
  recorded = (s->stamps->len - 1) * 1e9
             / (double) (g_array_index (s->stamps, gint64, s->stamps->len - 1)
                         - g_array_index (s->stamps, gint64, 0));
  g_assert_cmpfloat (fabs (recorded - 100.0), <, 1e-9);

  play = tu_spawn_server ("tools/oneliner", &play_rpc, play_args);
  play_se = tu_demo_stream_endpoint (play);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (s_oneliner (&out, &err, "--rpc", play_rpc, "--stream", play_se, "hz",
                               "sensor/sine", "--duration", "3", NULL), ==, 0);
  at = strstr (out, "average rate: ");
  g_assert_nonnull (at);
  measured = g_ascii_strtod (at + strlen ("average rate: "), NULL);
  if (g_test_verbose ())
    g_printerr ("recorded %.4f Hz, played %.4f Hz\n", recorded, measured);
  g_assert_cmpfloat (fabs (measured - recorded) / recorded, <, 0.005);
  /* At the end it says so and exits 0. */
  g_clear_pointer (&out, g_free);
  out = tu_wait_line (play, "oneliner play: played", 30000);
  g_assert_nonnull (out);
  g_assert_true (tu_wait (play, 10000, &status));
  g_assert_cmpint (status, ==, 0);
  s_rm_rf (dir);
}

/* A recording cut by SIGKILL is read up to its last complete chunk. */
static void
test_killed (void)
{
  g_autofree char *dir = s_tmp_dir ();
  g_autofree char *a = g_build_filename (dir, "killed.mcap", NULL);
  g_autofree char *rpc = NULL, *se = NULL, *out = NULL, *err = NULL;
  g_autofree char *line = NULL;
  g_autoptr (TuProcess) demo = tu_spawn_demo_server (&rpc, NULL);
  g_autoptr (TuProcess) rec = NULL;
  gint64 deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;
  GStatBuf sb = { 0 };
  int status;

  se = tu_demo_stream_endpoint (demo);
  /* SIGTERM stops a recording cleanly: the file is complete. */
  {
    g_autofree char *done = g_build_filename (dir, "term.mcap", NULL);
    const char *argv[] = { "tools/oneliner", "--rpc", rpc, "--stream", se, "record", "-o",
                           done, "sensor/sine", NULL };
    g_autoptr (TuProcess) term = tu_spawn (argv);
    g_autofree char *started = tu_wait_line (term, "recording", 10000);

    g_assert_nonnull (started);
    g_assert_true (tu_kill_wait (term, SIGTERM, 10000, &status));
    g_assert_cmpint (status, ==, 0);
    g_assert_cmpint (s_oneliner (&out, &err, "info", done, NULL), ==, 0);
    g_assert_nonnull (strstr (out, "state:       complete"));
    g_clear_pointer (&out, g_free);
    g_clear_pointer (&err, g_free);
  }
  /* The camera fills chunks fast. */
  g_assert_cmpint (s_oneliner (&out, &err, "--rpc", rpc, "enable", "camera/frames", NULL),
                   ==, 0);
  {
    const char *argv[] = { "tools/oneliner", "--rpc", rpc, "--stream", se, "record",
                           "--compression", "none", "-o", a, "camera/frames",
                           "sensor/temperature", NULL };
    rec = tu_spawn (argv);
  }
  line = tu_wait_line (rec, "recording", 10000);
  g_assert_nonnull (line);
  while ((g_stat (a, &sb) != 0 || sb.st_size < 20 * 1000 * 1000)
         && g_get_monotonic_time () < deadline)
    g_usleep (20 * 1000);
  g_assert_cmpint (sb.st_size, >=, 20 * 1000 * 1000);
  g_assert_true (tu_kill_wait (rec, SIGKILL, 10000, &status));
  g_assert_cmpint (status, ==, 128 + SIGKILL);

  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (s_oneliner (&out, &err, "info", a, NULL), ==, 1);
  g_assert_nonnull (strstr (out, "cut off: the recording was not closed; read up to its last "
                                 "complete chunk"));
  g_assert_cmpuint (s_info_messages (out), >, 10);
  g_assert_nonnull (strstr (err, "cut off"));
  s_rm_rf (dir);
}

/* export --csv of sensor/temperature has the values echo printed for the
 * same messages (same sequence numbers and times). */
static void
test_export_csv (void)
{
  g_autofree char *dir = s_tmp_dir ();
  g_autofree char *a = g_build_filename (dir, "t.mcap", NULL);
  g_autofree char *rpc = NULL, *se = NULL, *echo_out = NULL, *echo_err = NULL;
  g_autofree char *csv = NULL, *err = NULL, *line = NULL;
  g_autoptr (TuProcess) demo = tu_spawn_demo_server (&rpc, NULL);
  g_autoptr (TuProcess) rec = NULL;
  g_autoptr (GHashTable) rows = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free,
                                                       g_free);
  g_auto (GStrv) lines = NULL;
  guint matched = 0;
  int status;

  se = tu_demo_stream_endpoint (demo);
  {
    const char *argv[] = { "tools/oneliner", "--rpc", rpc, "--stream", se, "record",
                           "--duration", "3", "-o", a, "sensor/temperature", NULL };
    rec = tu_spawn (argv);
  }
  line = tu_wait_line (rec, "recording", 10000);
  g_assert_nonnull (line);
  g_assert_cmpint (s_oneliner (&echo_out, &echo_err, "--rpc", rpc, "--stream", se, "echo",
                               "sensor/temperature", "--count", "10", NULL), ==, 0);
  g_assert_true (tu_wait (rec, 30000, &status));
  g_assert_cmpint (status, ==, 0);

  g_assert_cmpint (s_oneliner (&csv, &err, "export", a, "--csv", "sensor/temperature", NULL),
                   ==, 0);
  lines = g_strsplit (csv, "\r\n", -1);
  g_assert_cmpstr (lines[0], ==, "timestamp,sequence,value");
  for (guint i = 1; lines[i] != NULL && lines[i][0] != '\0'; i++)
    {
      g_auto (GStrv) f = g_strsplit (lines[i], ",", -1);
      gint64 *seq = g_new (gint64, 1);

      g_assert_cmpuint (g_strv_length (f), ==, 3);
      *seq = g_ascii_strtoll (f[1], NULL, 10);
      g_hash_table_insert (rows, seq, g_strdup_printf ("%s,%s", f[0], f[2]));
    }
  g_strfreev (lines);
  lines = g_strsplit (echo_out, "\n", -1);
  for (guint i = 0; lines[i] != NULL && lines[i][0] != '\0'; i++)
    {
      char when[32];
      gint64 seq;
      double value;
      const char *row;
      g_auto (GStrv) f = NULL;
      gint64 ns;
      g_autoptr (GDateTime) dt = NULL;
      g_autofree char *hms = NULL, *csv_when = NULL;

      g_assert_cmpint (sscanf (lines[i], "%31s seq %" G_GINT64_FORMAT " %lf", when, &seq,
                               &value), ==, 3);
      row = g_hash_table_lookup (rows, &seq);
      if (row == NULL)
        g_error ("echo's message %" G_GINT64_FORMAT " is not in the CSV", seq);
      f = g_strsplit (row, ",", 2);
      /* The value, shortest-exact in the CSV, as echo rounds it (precision 2). */
      g_assert_cmpfloat (fabs (g_ascii_strtod (f[1], NULL) - value), <=, 0.005 + 1e-9);
      /* The time, echo's local HH:MM:SS.uuuuuu. */
      ns = g_ascii_strtoll (f[0], NULL, 10) * 1000000000
           + g_ascii_strtoll (strchr (f[0], '.') + 1, NULL, 10);
      dt = g_date_time_new_from_unix_local (ns / 1000000000);
      hms = g_date_time_format (dt, "%H:%M:%S");
      csv_when = g_strdup_printf ("%s.%06d", hms, (int) ((ns % 1000000000) / 1000));
      g_assert_cmpstr (csv_when, ==, when);
      matched++;
    }
  g_assert_cmpuint (matched, ==, 10);
  s_rm_rf (dir);
}

/* Bad input: one clear line on stderr and a non-zero exit. */
static void
test_bad_input (void)
{
  g_autofree char *dir = s_tmp_dir ();
  g_autofree char *good = g_build_filename (dir, "good.mcap", NULL);
  g_autofree char *text = g_build_filename (dir, "text.mcap", NULL);
  g_autofree char *cut = g_build_filename (dir, "cut.mcap", NULL);
  g_autofree char *bad = g_build_filename (dir, "badcrc.mcap", NULL);
  g_autofree char *nofile = g_build_filename (dir, "nope.mcap", NULL);
  g_autofree char *rpc = NULL, *se = NULL, *out = NULL, *err = NULL;
  g_autofree char *data = NULL;
  g_autoptr (TuProcess) demo = tu_spawn_demo_server (&rpc, NULL);
  gsize size;
  const char *commands[][3] = { { "info", NULL, NULL }, { "export", "--csv", NULL },
                                { "play", "--rate", "1000" } };

  se = tu_demo_stream_endpoint (demo);
  /* A stream the server does not have: no file left behind. */
  g_assert_cmpint (s_oneliner (&out, &err, "--rpc", rpc, "--stream", se, "record", "-o",
                               nofile, "no/such", NULL), !=, 0);
  g_assert_nonnull (strstr (err, "no/such"));
  g_assert_cmpuint (strlen (err), <, 300);
  g_assert_false (g_file_test (nofile, G_FILE_TEST_EXISTS));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  /* Neither names nor --all; both. */
  g_assert_cmpint (s_oneliner (&out, &err, "record", NULL), ==, 2);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  g_assert_cmpint (s_oneliner (&out, &err, "--rpc", rpc, "--stream", se, "record",
                               "--compression", "none", "--duration", "2", "-o", good,
                               "sensor/temperature", "sensor/sine", NULL), ==, 0);
  g_assert_true (g_file_get_contents (good, &data, &size, NULL));
  g_assert_cmpuint (size, >, 1000);
  g_assert_true (g_file_set_contents (text, "this is not a recording\n", -1, NULL));
  g_assert_true (g_file_set_contents (cut, data, (gssize) (size / 2), NULL));
  /* A byte of a payload of a chunk in the middle of the file changed. */
  {
    char *at = NULL;

    for (gsize i = size / 3; i + 8 < size && at == NULL; i++)
      if (memcmp (data + i, "0.", 2) == 0)
        at = data + i + 1;
    g_assert_nonnull (at);
    *at = '?';
    g_assert_true (g_file_set_contents (bad, data, (gssize) size, NULL));
  }

  for (guint c = 0; c < G_N_ELEMENTS (commands); c++)
    {
      const char *files[] = { text, cut, bad, nofile };

      for (guint f = 0; f < G_N_ELEMENTS (files); f++)
        {
          int status;

          g_clear_pointer (&out, g_free);
          g_clear_pointer (&err, g_free);
          if (c == 2)
            status = s_oneliner (&out, &err, "--rpc", "tcp://127.0.0.1:*", "--stream",
                                 "tcp://127.0.0.1:*", commands[c][0], files[f],
                                 commands[c][1], commands[c][2], NULL);
          else if (c == 1)
            status = s_oneliner (&out, &err, commands[c][0], files[f], commands[c][1],
                                 "-o", dir, NULL);
          else
            status = s_oneliner (&out, &err, commands[c][0], files[f], NULL);
          g_assert_cmpint (status, !=, 0);
          g_assert_cmpint (status, !=, 2);
          g_assert_true (strlen (err) > 0);
          g_assert_cmpuint (strlen (err), <, 2000);
          for (const char *p = err; *p != '\0'; p++)
            g_assert_true (*p == '\n' || (guchar) *p >= 0x20);
        }
    }
  /* The damaged file: info lists the problem. */
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (s_oneliner (&out, &err, "info", bad, NULL), ==, 1);
  g_assert_nonnull (strstr (out, "problems:"));
  /* Streams not in the file. */
  for (guint c = 0; c < G_N_ELEMENTS (commands); c++)
    {
      g_clear_pointer (&out, g_free);
      g_clear_pointer (&err, g_free);
      if (c == 0)
        continue;
      g_assert_cmpint (s_oneliner (&out, &err, "--rpc", "tcp://127.0.0.1:*", "--stream",
                                   "tcp://127.0.0.1:*", commands[c][0], good,
                                   c == 1 ? "--csv" : "--rate", c == 1 ? "-o" : "1000",
                                   c == 1 ? dir : "no/such", c == 1 ? "no/such" : NULL,
                                   NULL), ==, 1);
      g_assert_nonnull (strstr (err, "no stream \"no/such\""));
    }
  s_rm_rf (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/record-cli/record-info-play", test_record_info_play);
  g_test_add_func ("/record-cli/play-hz", test_play_hz);
  g_test_add_func ("/record-cli/killed", test_killed);
  g_test_add_func ("/record-cli/export-csv", test_export_csv);
  g_test_add_func ("/record-cli/bad-input", test_bad_input);
  return g_test_run ();
}
