/* Keys and roles: CURVE on both endpoints, the ZAP handler, roles at the
 * gate, the authorized keys file read again when it changes, and
 * `oneliner keygen`. Keys are made in a temporary directory; the server is
 * oneliner-demo-server on loopback. */
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>

#include "testutil.h"

typedef struct {
  char *dir;
  char *authorized;     /* the authorized keys file */
  TuProcess *server;
  char *rpc, *stream;
} Fixture;

static char *
s_path (Fixture *f, const char *name)
{
  return g_build_filename (f->dir, name, NULL);
}

/* `oneliner keygen DIR/name`. */
static void
s_keygen (Fixture *f, const char *name)
{
  g_autofree char *base = s_path (f, name);
  const char *argv[] = { "tools/oneliner", "keygen", base, NULL };
  g_autofree char *out = NULL, *err = NULL;

  g_assert_cmpint (tu_run (argv, 10000, &out, &err), ==, 0);
}

static char *
s_public_key (Fixture *f, const char *name)
{
  g_autofree char *file = g_strdup_printf ("%s/%s.pub", f->dir, name);
  char *text = NULL;

  g_assert_true (g_file_get_contents (file, &text, NULL, NULL));
  return g_strstrip (text);
}

static void
s_write_authorized (Fixture *f, gboolean with_bob)
{
  g_autofree char *alice = s_public_key (f, "alice");
  g_autofree char *bob = s_public_key (f, "bob");
  g_autofree char *text = g_strdup_printf ("# keys of the lab\n%s control alice-desk\n\n%s%s%s\n",
                                           alice, with_bob ? bob : "",
                                           with_bob ? " read-only bob-laptop" : "",
                                           with_bob ? "" : "# bob left");
  g_autofree char *tmp = g_strconcat (f->authorized, ".new", NULL);

  /* Replaced at once, as an editor or a deployment would. */
  g_assert_true (g_file_set_contents (tmp, text, -1, NULL));
  g_assert_cmpint (g_rename (tmp, f->authorized), ==, 0);
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  g_autofree char *secret = NULL;

  (void) data;
  f->dir = g_dir_make_tmp ("oneliner-security-XXXXXX", NULL);
  g_assert_nonnull (f->dir);
  s_keygen (f, "server");
  s_keygen (f, "alice");
  s_keygen (f, "bob");
  s_keygen (f, "eve");
  f->authorized = s_path (f, "authorized_keys");
  s_write_authorized (f, TRUE);
  secret = s_path (f, "server.key");
  {
    const char *extra[] = { "--secret-key", secret, "--authorized-keys", f->authorized,
                            "--require-keys", "--speed", "0", NULL };
    f->server = tu_spawn_demo_server (&f->rpc, extra);
  }
  f->stream = tu_demo_stream_endpoint (f->server);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  g_autoptr (GDir) d = NULL;
  const char *name;

  (void) data;
  tu_kill_wait (f->server, SIGTERM, 10000, NULL);
  tu_process_free (f->server);
  d = g_dir_open (f->dir, 0, NULL);
  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *p = s_path (f, name);
      g_unlink (p);
    }
  g_rmdir (f->dir);
  g_free (f->dir);
  g_free (f->authorized);
  g_free (f->rpc);
  g_free (f->stream);
}

/* A client with key NAME.key and the server key SERVER.pub (NULL: none). */
static OlClient *
s_client (Fixture *f, const char *name, const char *server)
{
  g_autoptr (GError) error = NULL;
  OlClient *c;

  if (name == NULL)
    c = ol_client_new (f->rpc, f->stream, &error);
  else
    {
      g_autofree char *secret = g_strdup_printf ("%s/%s.key", f->dir, name);
      g_autofree char *pub = g_strdup_printf ("%s/%s.pub", f->dir, server);
      c = ol_client_new_with_keys (f->rpc, f->stream, secret, pub, &error);
    }
  g_assert_no_error (error);
  return c;
}

static double
s_position (OlClient *c, int axis)
{
  g_autoptr (GError) error = NULL;
  json_t *args = json_pack ("[i]", axis);
  json_t *r = ol_client_call (c, "stage", "position", args, NULL, &error);
  double mm;

  g_assert_no_error (error);
  mm = json_real_value (r);
  json_decref (r);
  json_decref (args);
  return mm;
}

static void
test_keygen_modes (Fixture *f, gconstpointer data)
{
  g_autofree char *key = s_path (f, "alice.key");
  g_autofree char *pub = s_path (f, "alice.pub");
  g_autofree char *base = s_path (f, "alice");
  const char *argv[] = { "tools/oneliner", "keygen", base, NULL };
  g_autofree char *out = NULL, *err = NULL;
  g_autofree char *before = NULL, *after = NULL;
  GStatBuf st;

  (void) data;
  g_assert_cmpint (g_stat (key, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  g_assert_cmpint (g_stat (pub, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0644);
  g_assert_cmpint (st.st_size, ==, 41);
  /* Never overwritten. */
  g_assert_true (g_file_get_contents (key, &before, NULL, NULL));
  g_assert_cmpint (tu_run (argv, 10000, &out, &err), !=, 0);
  g_assert_nonnull (strstr (err, "exists"));
  g_assert_true (g_file_get_contents (key, &after, NULL, NULL));
  g_assert_cmpstr (before, ==, after);
}

static void
test_strangers (Fixture *f, gconstpointer data)
{
  const char *who[][2] = { { NULL, NULL }, { "eve", "server" }, { "alice", "alice" } };

  (void) data;
  for (gsize i = 0; i < G_N_ELEMENTS (who); i++)
    {
      g_autoptr (OlClient) c = s_client (f, who[i][0], who[i][1]);
      g_autoptr (GError) error = NULL;
      json_t *r;

      ol_client_set_timeout (c, 500);
      r = ol_client_list (c, &error);
      g_assert_null (r);
      g_assert_error (error, OL_ERROR, OL_ERROR_TIMEOUT);
      g_clear_error (&error);
      g_assert_true (ol_client_configure_stream (c, "sensor/sine", OL_STORAGE_CACHE, 1, &error));
      g_assert_null (ol_client_get_stream (c, "sensor/sine", 500, &error));
      g_assert_error (error, OL_ERROR, OL_ERROR_TIMEOUT);
    }
}

static void
test_control (Fixture *f, gconstpointer data)
{
  g_autoptr (OlClient) c = s_client (f, "alice", "server");
  g_autoptr (GError) error = NULL;
  json_t *args = json_pack ("[i, f]", 1, 2.5);
  json_t *r = ol_client_call (c, "stage", "move_to", args, NULL, &error);

  (void) data;
  g_assert_no_error (error);
  json_decref (r);
  json_decref (args);
  g_assert_cmpfloat (s_position (c, 1), ==, 2.5);
  g_assert_true (ol_client_set_stream_enabled (c, "camera/frames", TRUE, &error));
  g_assert_no_error (error);
}

static void
s_assert_denied (GError *error, const char *words)
{
  g_assert_error (error, OL_ERROR, OL_ERROR_PERMISSION_DENIED);
  g_assert_nonnull (strstr (error->message, words));
}

static void
test_read_only (Fixture *f, gconstpointer data)
{
  g_autoptr (OlClient) bob = s_client (f, "bob", "server");
  g_autoptr (OlClient) alice = s_client (f, "alice", "server");
  g_autoptr (GError) error = NULL;
  g_autoptr (OlStreamMessage) m = NULL;
  json_t *args = json_pack ("[i, f]", 2, 7.0);
  json_t *r, *streams;

  (void) data;
  /* Looks. */
  r = ol_client_list (bob, &error);
  g_assert_no_error (error);
  g_assert_nonnull (r);
  json_decref (r);
  streams = ol_client_list_streams (bob, &error);
  g_assert_no_error (error);
  g_assert_nonnull (streams);
  g_assert_true (ol_client_configure_stream (bob, "sensor/sine", OL_STORAGE_CACHE, 1, &error));
  m = ol_client_get_stream (bob, "sensor/sine", 10000, &error);
  g_assert_no_error (error);
  g_assert_nonnull (m);

  /* Does not act, and nothing changes. */
  r = ol_client_call (bob, "stage", "move_to", args, NULL, &error);
  g_assert_null (r);
  s_assert_denied (error, "read-only key \"bob-laptop\" may not call stage.move_to");
  g_clear_error (&error);
  g_assert_cmpfloat (s_position (alice, 2), ==, 0.0);
  g_assert_null (ol_client_call_named (bob, "home_all", NULL, NULL, &error));
  s_assert_denied (error, "may not call_named home_all");
  g_clear_error (&error);
  g_assert_false (ol_client_set_stream_enabled (bob, "camera/frames", TRUE, &error));
  s_assert_denied (error, "may not stream_enable camera/frames");
  g_clear_error (&error);
  g_assert_false (ol_client_remove_stream (bob, "sensor/temperature", &error));
  s_assert_denied (error, "may not stream_remove sensor/temperature");
  g_clear_error (&error);
  {
    json_t *now = ol_client_list_streams (alice, &error);
    g_assert_no_error (error);
    g_assert_true (json_equal (json_object_get (json_object_get (now, "camera/frames"), "enabled"),
                               json_object_get (json_object_get (streams, "camera/frames"), "enabled")));
    g_assert_nonnull (json_object_get (now, "sensor/temperature"));
    json_decref (now);
  }
  json_decref (streams);
  json_decref (args);
}

static void
test_key_removed (Fixture *f, gconstpointer data)
{
  g_autoptr (OlClient) bob = s_client (f, "bob", "server");
  g_autoptr (GError) error = NULL;
  json_t *r = ol_client_list (bob, &error);
  gint64 end;

  (void) data;
  g_assert_no_error (error);
  json_decref (r);
  s_write_authorized (f, FALSE);
  /* The server looks at the file about once a second. */
  end = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;
  do
    {
      g_clear_error (&error);
      r = ol_client_list (bob, &error);
      json_decref (r);
    }
  while (error == NULL && g_get_monotonic_time () < end);
  s_assert_denied (error, "not authorized");
  /* A new connection with that key is not even let in. */
  {
    g_autoptr (OlClient) again = s_client (f, "bob", "server");
    g_autoptr (GError) e2 = NULL;

    ol_client_set_timeout (again, 500);
    g_assert_null (ol_client_list (again, &e2));
    g_assert_error (e2, OL_ERROR, OL_ERROR_TIMEOUT);
  }
}

static void
test_bad_files (void)
{
  g_autofree char *dir = g_dir_make_tmp ("oneliner-security-XXXXXX", NULL);
  g_autofree char *key = g_build_filename (dir, "s.key", NULL);
  g_autofree char *auth = g_build_filename (dir, "authorized", NULL);
  g_autoptr (OlServer) server = ol_server_new ("tcp://127.0.0.1:*", "tcp://127.0.0.1:*");
  g_autoptr (GError) error = NULL;

  g_assert_true (g_file_set_contents (key, "not a key\n", -1, NULL));
  g_assert_true (g_file_set_contents (auth, "# none\n", -1, NULL));
  g_assert_false (ol_server_set_keys (server, key, auth, &error));
  g_assert_error (error, OL_ERROR, OL_ERROR_CONFIG);
  g_assert_nonnull (strstr (error->message, key));
  g_assert_null (strstr (error->message, "not a key"));
  g_clear_error (&error);
  g_assert_true (g_file_set_contents (key, "JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6\n", -1, NULL));
  g_assert_true (g_file_set_contents (auth, "# ok\n\nrq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7 admin x\n",
                                      -1, NULL));
  g_assert_false (ol_server_set_keys (server, key, auth, &error));
  g_assert_error (error, OL_ERROR, OL_ERROR_CONFIG);
  g_assert_nonnull (strstr (error->message, ":3: the key's role"));
  g_clear_error (&error);
  g_assert_false (ol_server_has_keys (server));
  g_unlink (key);
  g_unlink (auth);
  g_rmdir (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, fn) \
  g_test_add ("/security/" path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  ADD ("keygen-modes", test_keygen_modes);
  ADD ("strangers", test_strangers);
  ADD ("control", test_control);
  ADD ("read-only", test_read_only);
  ADD ("key-removed", test_key_removed);
  g_test_add_func ("/security/bad-files", test_bad_files);
  return g_test_run ();
}
