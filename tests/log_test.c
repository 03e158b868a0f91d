/* The events a daemon keeps (core/log.h): mounts going down and up,
 * clients and requests refused, streams switched, each one line with its
 * journal fields; and the limit on lines a hostile peer can cause. A log
 * writer installed here takes every structured line of the process. */
#include <glib/gstdio.h>
#include <string.h>

#include "core/log.h"
#include "oneliner/oneliner.h"
#include "testutil.h"

/* One logged line: its fields, name -> value. */
static GMutex s_lock;
static GPtrArray *s_lines;   /* of GHashTable * */

static GLogWriterOutput
s_writer (GLogLevelFlags level, const GLogField *fields, gsize n, gpointer data)
{
  GHashTable *line = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

  for (gsize i = 0; i < n; i++)
    g_hash_table_insert (line, g_strdup (fields[i].key),
                         fields[i].length < 0
                           ? g_strdup (fields[i].value)
                           : g_strndup (fields[i].value, fields[i].length));
  g_mutex_lock (&s_lock);
  g_ptr_array_add (s_lines, line);
  g_mutex_unlock (&s_lock);
  /* Still printed as usual, and fatal as usual. */
  return g_log_writer_default (level, fields, n, data);
}

/* How many lines of event have field = value (field NULL: any). */
static guint
s_count (const char *event, const char *field, const char *value)
{
  guint n = 0;

  g_mutex_lock (&s_lock);
  for (guint i = 0; i < s_lines->len; i++)
    {
      GHashTable *line = s_lines->pdata[i];

      if (g_strcmp0 (g_hash_table_lookup (line, "ONELINER_EVENT"), event) == 0
          && (field == NULL || g_strcmp0 (g_hash_table_lookup (line, field), value) == 0))
        n++;
    }
  g_mutex_unlock (&s_lock);
  return n;
}

/* A copy of field of the last line of event, or NULL. */
static char *
s_last_field (const char *event, const char *field)
{
  char *value = NULL;

  g_mutex_lock (&s_lock);
  for (guint i = s_lines->len; i-- > 0 && value == NULL;)
    {
      GHashTable *line = s_lines->pdata[i];

      if (g_strcmp0 (g_hash_table_lookup (line, "ONELINER_EVENT"), event) == 0)
        value = g_strdup (g_hash_table_lookup (line, field));
    }
  g_mutex_unlock (&s_lock);
  return value;
}

typedef struct {
  const char *event, *field, *value;
  guint at_least;
} Wanted;

static gboolean
s_logged (gpointer data)
{
  const Wanted *w = data;

  return s_count (w->event, w->field, w->value) >= w->at_least;
}

static gboolean
s_wait_logged (const char *event, const char *field, const char *value, guint at_least)
{
  Wanted w = { event, field, value, at_least };

  return tu_wait_until (s_logged, &w, 20000);
}

static OlServer *
s_server (void)
{
  OlServer *s = ol_server_new ("tcp://127.0.0.1:*", "tcp://127.0.0.1:*");

  g_assert_nonnull (s);
  return s;
}

static void
test_streams_switched (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (OlServer) s = s_server ();
  g_autoptr (OlClient) c = NULL;
  OlStreamWriter *w;
  g_autofree char *message = NULL;

  w = ol_server_add_pushed_stream (s, "lab/temperature", OL_ENCODING_JSON, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (ol_server_start (s, &error));
  g_assert_no_error (error);

  /* From the application. */
  g_assert_true (ol_server_set_stream_enabled (s, "lab/temperature", FALSE, &error));
  g_assert_cmpuint (s_count ("stream-disabled", "ONELINER_STREAM", "lab/temperature"), ==, 1);
  message = s_last_field ("stream-disabled", "MESSAGE");
  g_assert_cmpstr (message, ==, "stream lab/temperature: disabled");
  /* No change, no line. */
  g_assert_true (ol_server_set_stream_enabled (s, "lab/temperature", FALSE, &error));
  g_assert_cmpuint (s_count ("stream-disabled", "ONELINER_STREAM", "lab/temperature"), ==, 1);

  /* From a client. */
  c = ol_client_new (ol_server_get_rpc_endpoint (s), ol_server_get_stream_endpoint (s), &error);
  g_assert_no_error (error);
  g_assert_true (ol_client_set_stream_enabled (c, "lab/temperature", TRUE, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (s_count ("stream-enabled", "ONELINER_STREAM", "lab/temperature"), ==, 1);
  g_assert_cmpuint (s_count ("stream-enabled", "GLIB_DOMAIN", "oneliner"), ==, 1);
  g_assert_cmpuint (s_count ("stream-enabled", "PRIORITY", "5"), ==, 1);

  /* An unknown stream: an error, no line. */
  g_assert_false (ol_client_set_stream_enabled (c, "lab/nosuch", FALSE, &error));
  g_assert_error (error, OL_ERROR, OL_ERROR_NOT_FOUND);
  g_assert_cmpuint (s_count ("stream-disabled", "ONELINER_STREAM", "lab/nosuch"), ==, 0);
  ol_stream_writer_unref (w);
}

static void
test_mount_down_up (void)
{
  g_autoptr (GError) error = NULL;
  OlServer *upstream = s_server ();
  g_autoptr (OlServer) top = s_server ();
  g_autofree char *rpc = NULL, *stream = NULL, *endpoint = NULL;

  g_assert_true (ol_server_start (upstream, &error));
  g_assert_no_error (error);
  rpc = g_strdup (ol_server_get_rpc_endpoint (upstream));
  stream = g_strdup (ol_server_get_stream_endpoint (upstream));
  g_assert_true (ol_server_mount (top, "lab7", rpc, stream, &error));
  g_assert_true (ol_server_start (top, &error));
  g_assert_no_error (error);

  g_assert_true (s_wait_logged ("mount-up", "ONELINER_MOUNT", "lab7", 1));
  endpoint = s_last_field ("mount-up", "ONELINER_ENDPOINT");
  g_assert_cmpstr (endpoint, ==, rpc);

  /* Down when the upstream goes, up again when it is back on its port. */
  ol_server_free (&upstream);
  g_assert_true (s_wait_logged ("mount-down", "ONELINER_MOUNT", "lab7", 1));
  /* Its port again: libzmq closes the old listener in its I/O thread,
   * after ol_server_free() returned; bounded. */
  upstream = ol_server_new (rpc, stream);
  for (int i = 0; !ol_server_start (upstream, &error); i++)
    {
      if (i == 500)
        g_error ("the upstream cannot start on its port again: %s", error->message);
      g_clear_error (&error);
      ol_server_free (&upstream);
      g_usleep (10000);
      upstream = ol_server_new (rpc, stream);
    }
  g_assert_no_error (error);
  g_assert_true (s_wait_logged ("mount-up", "ONELINER_MOUNT", "lab7", 2));
  /* One line per change, not per event of the connection. */
  g_assert_cmpuint (s_count ("mount-down", "ONELINER_MOUNT", "lab7"), ==, 1);
  ol_server_free (&top);
  ol_server_free (&upstream);
}

static int
f_double (int x)
{
  return 2 * x;
}

static char *
s_keygen (const char *dir, const char *name)
{
  g_autofree char *base = g_build_filename (dir, name, NULL);
  const char *argv[] = { "tools/oneliner", "keygen", base, NULL };
  g_autofree char *out = NULL, *err = NULL, *pub = NULL, *text = NULL;

  g_assert_cmpint (tu_run (argv, 10000, &out, &err), ==, 0);
  pub = g_strconcat (base, ".pub", NULL);
  g_assert_true (g_file_get_contents (pub, &text, NULL, NULL));
  return g_strdup (g_strstrip (text));
}

static void
test_refused (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("oneliner-log-XXXXXX", NULL);
  g_autofree char *server_pub = s_keygen (dir, "server");
  g_autofree char *bob = s_keygen (dir, "bob");
  g_autofree char *eve = s_keygen (dir, "eve");
  g_autofree char *authorized = g_build_filename (dir, "authorized_keys", NULL);
  g_autofree char *text = g_strdup_printf ("%s read-only bob-laptop\n", bob);
  g_autofree char *server_key = g_build_filename (dir, "server.key", NULL);
  g_autofree char *server_pub_file = g_build_filename (dir, "server.pub", NULL);
  g_autofree char *bob_key = g_build_filename (dir, "bob.key", NULL);
  g_autofree char *eve_key = g_build_filename (dir, "eve.key", NULL);
  g_autofree char *key = NULL, *peer = NULL, *message = NULL;
  g_autoptr (OlServer) s = s_server ();
  g_autoptr (OlClient) as_bob = NULL, as_eve = NULL;
  json_t *result;
  g_autoptr (json_t) two = json_pack ("[i]", 2);

  g_assert_true (g_file_set_contents (authorized, text, -1, NULL));
  g_assert_true (ol_server_add_function (s, "double", "(int32 x) -> int32", OL_FUNC (f_double),
                                         &error));
  g_assert_true (ol_server_set_keys (s, server_key, authorized, &error));
  g_assert_no_error (error);
  g_assert_true (ol_server_start (s, &error));
  g_assert_no_error (error);

  /* A key the server does not know: refused at the handshake. */
  as_eve = ol_client_new_with_keys (ol_server_get_rpc_endpoint (s), NULL, eve_key,
                                    server_pub_file, &error);
  g_assert_no_error (error);
  ol_client_set_timeout (as_eve, 300);
  result = ol_client_call (as_eve, NULL, "double", two, NULL, &error);
  g_assert_null (result);
  g_clear_error (&error);
  g_assert_true (s_wait_logged ("client-refused", "ONELINER_KEY", eve, 1));
  peer = s_last_field ("client-refused", "ONELINER_PEER");
  g_assert_cmpstr (peer, ==, "127.0.0.1");
  message = s_last_field ("client-refused", "MESSAGE");
  g_assert_true (g_str_has_prefix (message, "client refused: key "));

  /* A known key whose role may not call. */
  as_bob = ol_client_new_with_keys (ol_server_get_rpc_endpoint (s), NULL, bob_key,
                                    server_pub_file, &error);
  g_assert_no_error (error);
  result = ol_client_call (as_bob, NULL, "double", two, NULL, &error);
  g_assert_null (result);
  g_assert_error (error, OL_ERROR, OL_ERROR_PERMISSION_DENIED);
  g_assert_cmpuint (s_count ("request-refused", "ONELINER_KEY_NAME", "bob-laptop"), ==, 1);
  key = s_last_field ("request-refused", "ONELINER_ROLE");
  g_assert_cmpstr (key, ==, "read-only");
  g_free (key);
  key = s_last_field ("request-refused", "ONELINER_OP");
  g_assert_cmpstr (key, ==, "call");
  (void) server_pub;

  ol_client_free (&as_eve);
  ol_client_free (&as_bob);
  ol_server_free (&s);
  {
    const char *names[] = { "server.key", "server.pub", "bob.key", "bob.pub", "eve.key",
                            "eve.pub", "authorized_keys" };

    for (gsize i = 0; i < G_N_ELEMENTS (names); i++)
      {
        g_autofree char *p = g_build_filename (dir, names[i], NULL);
        g_unlink (p);
      }
  }
  g_rmdir (dir);
}

/* A peer refused without end fills no log: a few lines per window, then one
 * that says how many were left out. */
static void
test_limit (void)
{
  OlLogLimit limit = { 0 };
  char more[OL_LOG_LIMIT_SUFFIX];
  guint taken = 0;

  g_mutex_init (&limit.lock);
  for (int i = 0; i < 1000; i++)
    if (ol__log_limit_take (&limit, more))
      {
        taken++;
        g_assert_cmpstr (more, ==, "");
      }
  g_assert_cmpuint (taken, ==, OL_LOG_LIMIT_LINES);
  g_assert_cmpuint (limit.left_out, ==, 1000 - OL_LOG_LIMIT_LINES);
  /* The window passed: the next line says what was left out. */
  limit.window_start -= (OL_LOG_LIMIT_SECONDS + 1) * G_USEC_PER_SEC;
  g_assert_true (ol__log_limit_take (&limit, more));
  g_assert_cmpstr (more, ==, " (990 more left out before this one)");
  g_assert_true (ol__log_limit_take (&limit, more));
  g_assert_cmpstr (more, ==, "");
  g_mutex_clear (&limit.lock);
}

/* Long values are cut; a NULL value leaves its field out. */
static void
test_fields (void)
{
  g_autofree char *long_name = g_strnfill (1000, 'x');
  g_autofree char *value = NULL;

  ol__log_event ("stream-enabled",
                 (const char *const[]) { "ONELINER_STREAM", long_name, "ONELINER_PEER", NULL,
                                         NULL },
                 "a test line");
  value = s_last_field ("stream-enabled", "ONELINER_STREAM");
  g_assert_cmpuint (strlen (value), ==, OL_LOG_FIELD_MAX);
  g_free (value);
  value = s_last_field ("stream-enabled", "ONELINER_PEER");
  g_assert_null (value);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  s_lines = g_ptr_array_new_with_free_func ((GDestroyNotify) g_hash_table_unref);
  g_log_set_writer_func (s_writer, NULL, NULL);
  g_test_add_func ("/log/streams-switched", test_streams_switched);
  g_test_add_func ("/log/mount-down-up", test_mount_down_up);
  g_test_add_func ("/log/refused", test_refused);
  g_test_add_func ("/log/limit", test_limit);
  g_test_add_func ("/log/fields", test_fields);
  return g_test_run ();
}
