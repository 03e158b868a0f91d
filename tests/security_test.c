/* Keys and roles: CURVE on both endpoints, the ZAP handler, roles at the
 * gate, the authorized keys file read again when it changes, and
 * `oneliner keygen`. Keys are made in a temporary directory; the server is
 * oneliner-demo-server on loopback. */
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <zmq.h>

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
  g_autofree char *r1 = s_public_key (f, "r1");
  g_autofree char *text = g_strdup_printf ("# keys of the lab\n%s control alice-desk\n\n%s%s%s\n"
                                           "%s control relay-1\n",
                                           alice, with_bob ? bob : "",
                                           with_bob ? " read-only bob-laptop" : "",
                                           with_bob ? "" : "# bob left", r1);
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
  s_keygen (f, "r1");
  s_keygen (f, "r2");
  s_keygen (f, "carol");
  s_keygen (f, "dave");
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

/* The text of DIR/name.key or .pub, stripped. */
static char *
s_key_text (Fixture *f, const char *file)
{
  g_autofree char *path = s_path (f, file);
  char *text = NULL;

  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  return g_strstrip (text);
}

static void
test_role_ceiling (Fixture *f, gconstpointer data)
{
  g_autoptr (OlClient) alice = s_client (f, "alice", "server");
  g_autofree char *secret = s_key_text (f, "alice.key");
  g_autofree char *public_key = s_key_text (f, "alice.pub");
  g_autofree char *server = s_key_text (f, "server.pub");
  const char *request = "{\"v\":1,\"id\":1,\"op\":\"call\",\"object\":\"stage\","
                        "\"method\":\"move_to\",\"args\":[3,9.5],\"role\":\"read-only\"}";
  void *ctx = zmq_ctx_new ();
  void *req = zmq_socket (ctx, ZMQ_REQ);
  int linger = 0, timeout = 10000;
  char reply[1024];
  int n;

  (void) data;
  zmq_setsockopt (req, ZMQ_LINGER, &linger, sizeof linger);
  zmq_setsockopt (req, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
  zmq_setsockopt (req, ZMQ_CURVE_SERVERKEY, server, strlen (server) + 1);
  zmq_setsockopt (req, ZMQ_CURVE_PUBLICKEY, public_key, strlen (public_key) + 1);
  zmq_setsockopt (req, ZMQ_CURVE_SECRETKEY, secret, strlen (secret) + 1);
  g_assert_cmpint (zmq_connect (req, f->rpc), ==, 0);
  g_assert_cmpint (zmq_send (req, request, strlen (request), 0), ==, (int) strlen (request));
  n = zmq_recv (req, reply, sizeof reply - 1, 0);
  g_assert_cmpint (n, >, 0);
  reply[MIN (n, (int) sizeof reply - 1)] = '\0';
  /* A control key capped at read-only: refused, and the stage stays. */
  g_assert_nonnull (strstr (reply, "\"ok\":false"));
  g_assert_nonnull (strstr (reply, "\"code\":14"));
  g_assert_nonnull (strstr (reply, "read-only key \\\"alice-desk\\\" may not call stage.move_to"));
  g_assert_cmpfloat (s_position (alice, 3), ==, 0.0);
  zmq_close (req);
  zmq_ctx_term (ctx);
}

/* Writes DIR/name with text. */
static char *
s_write (Fixture *f, const char *name, const char *text)
{
  char *path = s_path (f, name);

  g_assert_true (g_file_set_contents (path, text, -1, NULL));
  return path;
}

/* An in-process relay on loopback with the keys NAME.key and the authorized
 * keys file auth, mounting (rpc, stream) as prefix with NAME.key and the
 * upstream's public key upstream.pub. */
static OlServer *
s_relay (Fixture *f, const char *name, const char *auth, const char *const *mounts)
{
  OlServer *s = ol_server_new ("tcp://127.0.0.1:*", "tcp://127.0.0.1:*");
  g_autofree char *secret = g_strdup_printf ("%s/%s.key", f->dir, name);
  g_autoptr (GError) error = NULL;

  g_assert_true (ol_server_set_keys (s, secret, auth, &error));
  g_assert_no_error (error);
  /* mounts: prefix, rpc, stream, upstream key name; ... */
  for (int i = 0; mounts[i] != NULL; i += 4)
    {
      g_autofree char *pub = g_strdup_printf ("%s/%s.pub", f->dir, mounts[i + 3]);

      g_assert_true (ol_server_mount_with_keys (s, mounts[i], mounts[i + 1], mounts[i + 2],
                                                secret, pub, &error));
      g_assert_no_error (error);
    }
  g_assert_true (ol_server_start (s, &error));
  g_assert_no_error (error);
  return s;
}

static OlClient *
s_client_at (Fixture *f, OlServer *s, const char *name, const char *server)
{
  g_autofree char *secret = g_strdup_printf ("%s/%s.key", f->dir, name);
  g_autofree char *pub = g_strdup_printf ("%s/%s.pub", f->dir, server);
  g_autoptr (GError) error = NULL;
  OlClient *c = ol_client_new_with_keys (ol_server_get_rpc_endpoint (s),
                                         ol_server_get_stream_endpoint (s), secret, pub, &error);

  g_assert_no_error (error);
  return c;
}

/* Waits (bounded) until c lists instance. */
static void
s_wait_listed (OlClient *c, const char *instance)
{
  gint64 end = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;
  gboolean found = FALSE;

  while (!found && g_get_monotonic_time () < end)
    {
      g_autoptr (GError) error = NULL;
      json_t *list = ol_client_list (c, &error);

      g_assert_no_error (error);
      found = json_object_get (json_object_get (list, "instances"), instance) != NULL;
      json_decref (list);
      if (!found)
        g_usleep (50 * 1000);
    }
  g_assert_true (found);
}

/* U (the fixture's server, where relay-1's key is control) and U2 (where it
 * is read-only); R1 mounts U as "u" and U2 as "u2" with its key; R2 mounts
 * R1 as "r1" with its own; carol is control at R2, dave read-only. */
static void
test_two_relays (Fixture *f, gconstpointer data)
{
  g_autofree char *r1_pub = s_public_key (f, "r1");
  g_autofree char *r2_pub = s_public_key (f, "r2");
  g_autofree char *carol_pub = s_public_key (f, "carol");
  g_autofree char *dave_pub = s_public_key (f, "dave");
  g_autofree char *u2_text = g_strdup_printf ("%s read-only relay-1\n", r1_pub);
  g_autofree char *r1_text = g_strdup_printf ("%s control relay-2\n", r2_pub);
  g_autofree char *r2_text = g_strdup_printf ("%s control carol\n%s read-only dave\n",
                                              carol_pub, dave_pub);
  g_autofree char *u2_auth = s_write (f, "u2_authorized", u2_text);
  g_autofree char *r1_auth = s_write (f, "r1_authorized", r1_text);
  g_autofree char *r2_auth = s_write (f, "r2_authorized", r2_text);
  g_autofree char *u2_secret = s_path (f, "server.key");
  g_autofree char *u2_rpc = NULL, *u2_stream = NULL;
  TuProcess *u2;
  g_autoptr (OlServer) r1 = NULL;
  g_autoptr (OlServer) r2 = NULL;
  g_autoptr (OlClient) alice = s_client (f, "alice", "server");
  g_autoptr (OlClient) carol = NULL;
  g_autoptr (OlClient) dave = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (OlStreamMessage) m = NULL;
  json_t *args, *r;

  (void) data;
  {
    const char *extra[] = { "--secret-key", u2_secret, "--authorized-keys", u2_auth,
                            "--speed", "0", NULL };
    u2 = tu_spawn_demo_server (&u2_rpc, extra);
    u2_stream = tu_demo_stream_endpoint (u2);
  }
  {
    const char *mounts[] = { "u", f->rpc, f->stream, "server",
                             "u2", u2_rpc, u2_stream, "server", NULL };
    r1 = s_relay (f, "r1", r1_auth, mounts);
  }
  {
    const char *mounts[] = { "r1", ol_server_get_rpc_endpoint (r1),
                             ol_server_get_stream_endpoint (r1), "r1", NULL };
    r2 = s_relay (f, "r2", r2_auth, mounts);
  }
  carol = s_client_at (f, r2, "carol", "r2");
  dave = s_client_at (f, r2, "dave", "r2");
  s_wait_listed (carol, "r1/u/stage");
  s_wait_listed (carol, "r1/u2/stage");

  /* Control all the way: the call reaches U. */
  args = json_pack ("[i, f]", 1, 4.5);
  r = ol_client_call (carol, "r1/u/stage", "move_to", args, NULL, &error);
  g_assert_no_error (error);
  json_decref (r);
  json_decref (args);
  g_assert_cmpfloat (s_position (alice, 1), ==, 4.5);

  /* Read-only at R2: lists and reads a stream through both relays, may not
   * call, and nothing changes at U. */
  r = ol_client_list_streams (dave, &error);
  g_assert_no_error (error);
  g_assert_nonnull (json_object_get (r, "r1/u/sensor/sine"));
  json_decref (r);
  g_assert_true (ol_client_configure_stream (dave, "r1/u/sensor/sine", OL_STORAGE_CACHE, 1, &error));
  m = ol_client_get_stream (dave, "r1/u/sensor/sine", 10000, &error);
  g_assert_no_error (error);
  g_assert_nonnull (m);
  args = json_pack ("[i, f]", 2, 6.0);
  r = ol_client_call (dave, "r1/u/stage", "move_to", args, NULL, &error);
  g_assert_null (r);
  s_assert_denied (error, "read-only key \"dave\" may not call r1/u/stage.move_to");
  g_clear_error (&error);
  g_assert_cmpfloat (s_position (alice, 2), ==, 0.0);

  /* Relay-1's key is read-only at U2: U2 refuses carol's call, naming it. */
  r = ol_client_call (carol, "r1/u2/stage", "move_to", args, NULL, &error);
  g_assert_null (r);
  s_assert_denied (error, "read-only key \"relay-1\" may not call stage.move_to");
  g_clear_error (&error);
  json_decref (args);

  ol_client_free (&carol);
  ol_client_free (&dave);
  ol_server_free (&r2);
  ol_server_free (&r1);
  tu_kill_wait (u2, SIGTERM, 10000, NULL);
  tu_process_free (u2);
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
  ADD ("role-ceiling", test_role_ceiling);
  ADD ("two-relays", test_two_relays);
  g_test_add_func ("/security/bad-files", test_bad_files);
  return g_test_run ();
}
