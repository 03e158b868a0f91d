/* Limits on input: names that hold a NUL or a control character are refused,
 * error texts render a bounded prefix of what was received, a client keeps
 * no state per error domain a server sends. A raw DEALER plays the client. */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <zmq.h>
#include <glib/gstdio.h>

#include "core/json.h"
#include "oneliner/json.h"
#include "router/wire.h"
#include "tests/testutil.h"

/* The request limit of this test program (ONELINER_MAX_REQUEST_SIZE). */
#define LIMIT_REQUEST 16777216

static int32_t f_add (void *self, int32_t a, int32_t b) { (void) self; return a + b; }
static int32_t f_zero (void *self) { (void) self; return 0; }

typedef struct {
  OlServer *server;
  void *ctx;
  void *raw;
} Fixture;

static void
setup (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  int timeout = 10000;
  int linger = 0;

  (void) data;
  f->server = ol_server_new ("tcp://127.0.0.1:*", "tcp://127.0.0.1:*");
  g_assert_true (ol_server_add_instance (f->server, "stage", NULL, NULL, &error));
  g_assert_true (ol_server_add_method (f->server, "stage", "add", "(int32 a, int32 b) -> int32",
                                       OL_FUNC (f_add), &error));
  g_assert_true (ol_server_add_method (f->server, "stage", "zero", "() -> int32",
                                       OL_FUNC (f_zero), &error));
  g_assert_true (ol_server_add_named_call (f->server, "home_all", "stage", "zero", NULL, NULL,
                                           &error));
  g_assert_true (ol_server_add_stream (f->server, "frames", 10, "stage", "zero", NULL, NULL,
                                       FALSE, OL_ENCODING_JSON, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (ol_server_start (f->server, &error));
  f->ctx = zmq_ctx_new ();
  f->raw = zmq_socket (f->ctx, ZMQ_DEALER);
  zmq_setsockopt (f->raw, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
  zmq_setsockopt (f->raw, ZMQ_SNDTIMEO, &timeout, sizeof timeout);
  zmq_setsockopt (f->raw, ZMQ_LINGER, &linger, sizeof linger);
  g_assert_cmpint (zmq_connect (f->raw, ol_server_get_rpc_endpoint (f->server)), ==, 0);
}

static void
teardown (Fixture *f, gconstpointer data)
{
  (void) data;
  zmq_close (f->raw);
  zmq_ctx_term (f->ctx);
  ol_server_free (&f->server);
}

/* Sends text (len bytes) and returns the reply's JSON frame (bounded wait). */
static json_t *
s_exchange (Fixture *f, const char *text, size_t len)
{
  zmq_msg_t msg;
  json_t *reply;

  g_assert_cmpint (zmq_send (f->raw, text, len, 0), >=, 0);
  zmq_msg_init (&msg);
  if (zmq_msg_recv (&msg, f->raw, 0) < 0)
    g_error ("no reply within 10 s: %s", zmq_strerror (errno));
  reply = json_loadb (zmq_msg_data (&msg), zmq_msg_size (&msg), 0, NULL);
  zmq_msg_close (&msg);
  g_assert_nonnull (reply);
  return reply;
}

static const char *
s_error_message (json_t *reply, int code)
{
  json_t *err = json_object_get (reply, "error");

  if (!json_is_false (json_object_get (reply, "ok")))
    {
      g_autofree char *text = json_dumps (reply, 0);
      g_error ("expected an error reply, got %s", text);
    }
  g_assert_cmpstr (json_string_value (json_object_get (err, "domain")), ==, "ol-error-quark");
  g_assert_cmpint (json_integer_value (json_object_get (err, "code")), ==, code);
  return json_string_value (json_object_get (err, "message"));
}

static void
test_names_with_nul (Fixture *f, gconstpointer data)
{
  static const struct { const char *text; const char *member; } cases[] = {
    { "{\"v\":1,\"id\":1,\"op\":\"call\",\"object\":\"stage\\u0000IGNORED\",\"method\":\"zero\"}",
      "object" },
    { "{\"v\":1,\"id\":2,\"op\":\"call\",\"object\":\"stage\",\"method\":\"zero\\u0000x\"}",
      "method" },
    { "{\"v\":1,\"id\":3,\"op\":\"call_named\",\"name\":\"home_all\\u0000x\"}", "name" },
    { "{\"v\":1,\"id\":4,\"op\":\"stream_enable\",\"name\":\"frames\\u0000x\",\"enabled\":true}",
      "name" },
    { "{\"v\":1,\"id\":5,\"op\":\"stream_remove\",\"name\":\"frames\\u0000\"}", "name" },
    { "{\"v\":1,\"id\":6,\"op\":\"call\\u0000x\",\"object\":\"stage\",\"method\":\"zero\"}", "op" },
    { "{\"v\":1,\"id\":7,\"op\":\"call\",\"object\":\"stage\",\"method\":\"ze\\u001bro\"}",
      "method" },
    { "{\"v\":1,\"id\":8,\"op\":\"call\",\"object\":\"stage\",\"method\":\"zero\x7f\"}", "method" },
    { "{\"v\":1,\"id\":9,\"op\":\"call\",\"object\":\"stage\\n\",\"method\":\"zero\"}", "object" },
  };

  (void) data;
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (json_t) reply = s_exchange (f, cases[i].text, strlen (cases[i].text));
      g_autofree char *expected = g_strdup_printf (
        "request member \"%s\" holds a NUL or control character", cases[i].member);

      g_assert_cmpstr (s_error_message (reply, OL_ERROR_PROTOCOL), ==, expected);
    }
  /* Nothing ran: the stream is still disabled, and the server serves. */
  {
    static const char streams[] = "{\"v\":1,\"id\":10,\"op\":\"streams\"}";
    g_autoptr (json_t) reply = s_exchange (f, streams, sizeof streams - 1);
    json_t *frames = json_object_get (json_object_get (reply, "result"), "frames");

    g_assert_nonnull (frames);
    g_assert_true (json_is_false (json_object_get (frames, "enabled")));
  }
}

/* A request of size bytes calling stage.add with a string of 0x7f bytes for
 * an int32. */
static GString *
s_big_request (gsize size)
{
  GString *text = g_string_sized_new (size + 128);

  g_string_append (text, "{\"v\":1,\"id\":11,\"op\":\"call\",\"object\":\"stage\","
                         "\"method\":\"add\",\"args\":[\"");
  while (text->len < size)
    g_string_append_c (text, 0x7f);
  g_string_append (text, "\",1]}");
  return text;
}

static void
test_bounded_error_texts (Fixture *f, gconstpointer data)
{
  g_autoptr (GString) op = g_string_new ("{\"v\":1,\"id\":12,\"op\":\"");
  g_autoptr (GString) big = s_big_request (OL_WIRE_MAX_REQUEST_JSON - 64);

  (void) data;
  /* An unknown operation is named by its first bytes. */
  for (int i = 0; i < 100000; i++)
    g_string_append_c (op, 'x');
  g_string_append (op, "\"}");
  {
    g_autoptr (json_t) reply = s_exchange (f, op->str, op->len);
    const char *message = s_error_message (reply, OL_ERROR_PROTOCOL);

    g_assert_true (g_str_has_prefix (message, "unknown operation \"xxxx"));
    g_assert_true (g_str_has_suffix (message, "...\""));
    g_assert_cmpuint (strlen (message), <, 128);
  }
  /* A huge argument that does not convert is named by its first characters. */
  {
    g_autoptr (json_t) reply = s_exchange (f, big->str, big->len);
    const char *message = s_error_message (reply, OL_ERROR_INVALID_ARGS);

    g_assert_true (g_str_has_prefix (message, "parameter 'a' expects int32, got string \""));
    g_assert_cmpuint (strlen (message), <, 512);
  }
}

/* The largest admitted JSON frame is served; a larger JSON frame is refused
 * unread; a frame over the socket's request limit is dropped with its
 * sender's connection, and the server goes on serving. The probe reports how
 * long another client's call took behind the largest JSON frame (no timing
 * is asserted). */
static void
test_request_size (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (OlClient) c = ol_client_new (ol_server_get_rpc_endpoint (f->server), NULL, &error);
  g_autoptr (GString) largest = s_big_request (OL_WIRE_MAX_REQUEST_JSON - 16);
  g_autoptr (GString) too_big = s_big_request (OL_WIRE_MAX_REQUEST_JSON + 1);
  g_autoptr (GString) over = s_big_request (LIMIT_REQUEST + 1024);
  g_autoptr (json_t) args = json_pack ("[i, i]", 20, 22);
  gint64 start, longest = 0;
  int calls = 0;
  gboolean answered = FALSE;

  (void) data;
  g_assert_no_error (error);
  g_assert_cmpuint (largest->len, <=, OL_WIRE_MAX_REQUEST_JSON);
  g_assert_cmpuint (too_big->len, >, OL_WIRE_MAX_REQUEST_JSON);
  {
    g_autoptr (json_t) warm = ol_client_call (c, "stage", "add", args, NULL, &error);
    g_assert_no_error (error);
    g_assert_nonnull (warm);
  }
  /* Calls go on until the largest request is answered: the longest of them
   * waited behind it. */
  g_assert_cmpint (zmq_send (f->raw, largest->str, largest->len, 0), >=, 0);
  start = g_get_monotonic_time ();
  for (int i = 0; i < 1000000; i++)
    {
      zmq_msg_t msg;
      gint64 t0 = g_get_monotonic_time ();
      g_autoptr (json_t) r = ol_client_call (c, "stage", "add", args, NULL, &error);

      g_assert_no_error (error);
      g_assert_cmpint (json_integer_value (r), ==, 42);
      longest = MAX (longest, g_get_monotonic_time () - t0);
      calls++;
      zmq_msg_init (&msg);
      if (zmq_msg_recv (&msg, f->raw, ZMQ_DONTWAIT) >= 0)
        {
          g_autoptr (json_t) reply = json_loadb (zmq_msg_data (&msg), zmq_msg_size (&msg), 0,
                                                 NULL);
          zmq_msg_close (&msg);
          s_error_message (reply, OL_ERROR_INVALID_ARGS);
          answered = TRUE;
          break;
        }
      zmq_msg_close (&msg);
    }
  g_assert_true (answered);
  g_test_message ("a request of %" G_GSIZE_FORMAT " bytes was answered in %.1f ms; "
                  "%d calls of another client meanwhile, the longest %.1f ms",
                  largest->len, (g_get_monotonic_time () - start) / 1000.0, calls,
                  longest / 1000.0);
  /* A JSON frame over its limit: refused without being decoded. */
  {
    g_autoptr (json_t) reply = s_exchange (f, too_big->str, too_big->len);
    const char *message = s_error_message (reply, OL_ERROR_PROTOCOL);

    g_assert_true (g_str_has_prefix (message, "request JSON frame of "));
    g_assert_true (json_is_null (json_object_get (reply, "id")));
  }
  /* Over the socket's limit: no reply; the server serves the next call. */
  {
    void *raw = zmq_socket (f->ctx, ZMQ_DEALER);
    int timeout = 1000, linger = 0;
    char buf[16];

    zmq_setsockopt (raw, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
    zmq_setsockopt (raw, ZMQ_LINGER, &linger, sizeof linger);
    g_assert_cmpint (zmq_connect (raw, ol_server_get_rpc_endpoint (f->server)), ==, 0);
    g_assert_cmpint (zmq_send (raw, over->str, over->len, 0), >=, 0);
    g_assert_cmpint (zmq_recv (raw, buf, sizeof buf, 0), <, 0);
    zmq_close (raw);
  }
  {
    g_autoptr (json_t) r = ol_client_call (c, "stage", "add", args, NULL, &error);
    g_assert_no_error (error);
    g_assert_cmpint (json_integer_value (r), ==, 42);
  }
}

static void
test_quote (void)
{
  static const struct { const char *in; gssize len; const char *out; } cases[] = {
    { "stage", -1, "stage" },
    { "a\"b\\c\nd", -1, "a\\\"b\\\\c\\nd" },
    { "\x1b[2J", -1, "\\033[2J" },
    { "n\0ul", 4, "n\\000ul" },
    { "\xc3\xa9t\xc3\xa9", -1, "\xc3\xa9t\xc3\xa9" },
    { "\xff\xc3", -1, "\\377\\303" },
    { "\xc2\x9b" "1m\x7f", -1, "\\302\\2331m\\177" },
    { "01234567890123456789012345678901234567\xc3\xa9\xc3\xa9", -1,
      "01234567890123456789012345678901234567\xc3\xa9..." },
    { "0123456789012345678901234567890123456789", -1,
      "0123456789012345678901234567890123456789" },
    { "0123456789012345678901234567890123456789X", -1,
      "0123456789012345678901234567890123456789..." },
    { NULL, -1, "(null)" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *q = ol__quote (cases[i].in, cases[i].len);
      g_assert_cmpstr (q, ==, cases[i].out);
    }
}

static void
test_foreign_domain (void)
{
  g_autofree char *domain = g_strdup_printf ("limits-test-%d-%s", (int) getpid (),
                                             "unknown-domain-with-a-long-name-xxxxxxxxxxxxxxxx");
  g_autoptr (json_t) member = json_pack ("{s:s, s:i, s:s}", "domain", domain, "code", 42,
                                         "message", "the laser is off");
  g_autoptr (GError) error = ol__wire_error_from_json (member);
  g_autoptr (json_t) known = json_pack ("{s:s, s:i, s:s}", "domain", "g-io-error-quark", "code",
                                        13, "message", "no");
  g_autoptr (GError) known_error = NULL;

  g_assert_error (error, OL_ERROR, OL_ERROR_FOREIGN_DOMAIN);
  g_assert_true (g_str_has_prefix (error->message, "the laser is off (domain \"limits-test-"));
  g_assert_true (g_str_has_suffix (error->message, "...\", code 42)"));
  /* The domain was not interned. */
  g_assert_cmpuint (g_quark_try_string (domain), ==, 0);

  /* A known domain is rebuilt as it was raised. */
  g_quark_from_static_string ("g-io-error-quark");
  known_error = ol__wire_error_from_json (known);
  g_assert_cmpstr (g_quark_to_string (known_error->domain), ==, "g-io-error-quark");
  g_assert_cmpint (known_error->code, ==, 13);
  g_assert_cmpstr (known_error->message, ==, "no");
}

/* A configuration with any bad part is refused with a bounded message and
 * nothing of it is applied. */
static void
test_config (void)
{
  static const struct { const char *text; const char *needle; } cases[] = {
    { "{\"streams\": {\"s\": {\"method\": \"zero\", \"object\": \"stage\", \"hz\": 1e-12}}}",
      "\"hz\" must be a number from 1e-06 to 10000" },
    { "{\"streams\": {\"s\": {\"method\": \"zero\", \"object\": \"stage\", \"hz\": 0}}}",
      "\"hz\" must be" },
    { "{\"streams\": {\"s\": {\"method\": \"zero\", \"object\": \"stage\", \"hz\": 10001}}}",
      "\"hz\" must be" },
    { "{\"streams\": {\"s\\u001b\": {\"method\": \"zero\", \"object\": \"stage\", \"hz\": 1}}}",
      "streams.s\\033: a stream name" },
    { "{\"streams\": {\"s\": {\"method\": \"zero\", \"object\": \"stage\", \"hz\": 1, "
      "\"encoding\": \"image\", \"image\": {\"width\": 65535, \"height\": 65535, "
      "\"format\": \"rgb8\"}}}}", "larger than a stream message may be" },
    { "{\"relays\": {\"r\": {\"endpoint\": \"foo://x\"}}}", "cannot be connected to" },
    { "{\"relays\": {\"r\": {\"endpoint\": \"tcp://no-port\"}}}", "cannot be connected to" },
    { "{\"mounts\": {\"m\": {\"rpc\": \"tcp://127.0.0.1:1\", \"stream\": \"bad\"}}}",
      "mounts.m: \"stream\" cannot be connected to" },
    { "{\"mounts\": {\"/m\": {\"rpc\": \"tcp://127.0.0.1:1\", \"stream\": \"tcp://127.0.0.1:2\"}}}",
      "invalid mount prefix" },
    { "{\"streams\": {\"x\": {\"method\": \"zero\", \"object\": \"stage\", \"hz\": 1}}, "
      "\"relays\": {\"x\": {\"endpoint\": \"tcp://127.0.0.1:1\"}}}",
      "relays.x: \"streams\" has a stream of that name too" },
    { "{\"named_calls\": {\"home_all\": {\"object\": \"stage\", \"method\": \"zero\"}}}",
      "named_calls.home_all: the named call already exists" },
  };
  /* Every part good but the last: none of it may be applied. */
  static const char good[] =
    "{\"named_calls\": {\"n1\": {\"object\": \"stage\", \"method\": \"zero\"}}, "
    "\"streams\": {\"s1\": {\"method\": \"zero\", \"object\": \"stage\", \"hz\": 5}}, "
    "\"mounts\": {\"m1\": {\"rpc\": \"tcp://127.0.0.1:1\", \"stream\": \"tcp://127.0.0.1:2\"}}, "
    "\"relays\": {\"r1\": {\"endpoint\": \"tcp://127.0.0.1:3\"}";
  g_autoptr (OlServer) server = ol_server_new ("tcp://127.0.0.1:*", "tcp://127.0.0.1:*");
  g_autoptr (GError) error = NULL;
  g_autoptr (GString) long_key = g_string_new ("{\"");

  g_assert_true (ol_server_add_instance (server, "stage", NULL, NULL, &error));
  g_assert_true (ol_server_add_method (server, "stage", "zero", "() -> int32", OL_FUNC (f_zero),
                                       &error));
  g_assert_true (ol_server_add_named_call (server, "home_all", "stage", "zero", NULL, NULL,
                                           &error));
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (json_t) config = json_loads (cases[i].text, 0, NULL);

      g_assert_nonnull (config);
      if (g_test_verbose ())
        g_test_message ("case %" G_GSIZE_FORMAT, i);
      g_assert_false (ol_server_apply_config (server, config, &error));
      g_assert_error (error, OL_ERROR, OL_ERROR_CONFIG);
      if (strstr (error->message, cases[i].needle) == NULL)
        g_error ("case %" G_GSIZE_FORMAT ": \"%s\" lacks \"%s\"", i, error->message,
                 cases[i].needle);
      g_clear_error (&error);
    }
  /* Good parts with one bad part: nothing applied, so the good file applies after. */
  {
    static const char bad_last[] =
      "{\"named_calls\": {\"n1\": {\"object\": \"stage\", \"method\": \"zero\"}}, "
      "\"streams\": {\"s1\": {\"method\": \"zero\", \"object\": \"stage\", \"hz\": 5}}, "
      "\"mounts\": {\"m1\": {\"rpc\": \"tcp://127.0.0.1:1\", \"stream\": \"tcp://127.0.0.1:2\"}}, "
      "\"relays\": {\"r1\": {\"endpoint\": \"tcp://127.0.0.1:3\"}, "
      "\"r2\": {\"endpoint\": \"nope://x\"}}}";
    g_autofree char *good_text = g_strdup_printf ("%s}}", good);
    g_autoptr (json_t) bad = json_loads (bad_last, 0, NULL);
    g_autoptr (json_t) fine = json_loads (good_text, 0, NULL);

    g_assert_nonnull (bad);
    g_assert_nonnull (fine);
    g_assert_false (ol_server_apply_config (server, bad, &error));
    g_clear_error (&error);
    g_assert_true (ol_server_apply_config (server, fine, &error));
    g_assert_no_error (error);
  }
  /* A long key is named by its first bytes. */
  for (int i = 0; i < 100000; i++)
    g_string_append_c (long_key, 'k');
  g_string_append (long_key, "\": 1}");
  {
    g_autoptr (json_t) config = json_loads (long_key->str, 0, NULL);

    g_assert_false (ol_server_apply_config (server, config, &error));
    g_assert_cmpuint (strlen (error->message), <, 256);
  }
}

/* Binding an ipc endpoint never replaces a file that is not a socket. */
static void
test_ipc_bind_file (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("oneliner-limits-XXXXXX", &error);
  g_autofree char *path = g_build_filename (dir, "data.txt", NULL);
  g_autofree char *endpoint = g_strdup_printf ("ipc://%s", path);
  g_autofree char *contents = NULL;

  g_assert_no_error (error);
  g_assert_true (g_file_set_contents (path, "precious", -1, &error));
  {
    g_autoptr (OlServer) server = ol_server_new (endpoint, "tcp://127.0.0.1:*");

    g_assert_false (ol_server_start (server, &error));
    g_assert_error (error, OL_ERROR, OL_ERROR_SOCKET);
    g_assert_nonnull (strstr (error->message, "a file that is not a socket stands at"));
    g_clear_error (&error);
  }
  {
    g_autoptr (OlServer) server = ol_server_new ("tcp://127.0.0.1:*", endpoint);

    g_assert_false (ol_server_start (server, &error));
    g_assert_error (error, OL_ERROR, OL_ERROR_SOCKET);
    g_assert_nonnull (strstr (error->message, "a file that is not a socket stands at"));
    g_clear_error (&error);
  }
  g_assert_true (g_file_get_contents (path, &contents, NULL, &error));
  g_assert_cmpstr (contents, ==, "precious");
  g_assert_cmpint (g_unlink (path), ==, 0);
  g_assert_cmpint (g_rmdir (dir), ==, 0);
}

static gboolean
s_has_control (const char *line)
{
  for (const guchar *p = (const guchar *) line; *p; p++)
    if (*p < 0x20 || *p == 0x7f || (p[0] == 0xc2 && p[1] >= 0x80 && p[1] < 0xa0))
      return TRUE;
  return FALSE;
}

/* oneliner echo writes no control character a publisher sent. */
static void
test_echo_escapes (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (OlServer) server = ol_server_new ("tcp://127.0.0.1:*", "tcp://127.0.0.1:*");
  g_autoptr (OlStreamWriter) w = ol_server_add_pushed_stream (server, "evil", OL_ENCODING_JSON,
                                                              NULL, &error);
  g_autoptr (TuProcess) p = NULL;
  g_autoptr (json_t) value = json_string ("a\x1b[2Jb\x7f\xc2\x9b" "c");
  g_autoptr (GError) failure = g_error_new_literal (OL_ERROR, OL_ERROR_FAILED, "bad\x1b[31m\x07");
  g_autofree char *seq_line = NULL, *error_line = NULL;
  int status;

  g_assert_no_error (error);
  g_assert_true (ol_server_start (server, &error));
  {
    const char *argv[] = { "tools/oneliner", "--rpc", ol_server_get_rpc_endpoint (server),
                           "--stream", ol_server_get_stream_endpoint (server),
                           "echo", "evil", "--timeout", "20000", NULL };
    p = tu_spawn (argv);
  }
  /* Messages published before the subscription reaches the server are
   * lost: publish until both kinds were shown. */
  for (int i = 0; i < 400 && (seq_line == NULL || error_line == NULL); i++)
    {
      char *line;

      g_assert_true (ol_stream_writer_push_json (w, value, &error));
      g_assert_true (ol_stream_writer_push_error (w, failure, &error));
      while ((line = tu_wait_line (p, "", 50)) != NULL)
        {
          g_assert_false (s_has_control (line));
          if (strstr (line, " seq ") != NULL && seq_line == NULL)
            seq_line = line;
          else if (g_str_has_prefix (line, "error: ") && error_line == NULL)
            error_line = line;
          else
            g_free (line);
        }
    }
  g_assert_nonnull (seq_line);
  g_assert_nonnull (error_line);
  /* JSON stays JSON; other text shows \xXX. */
  g_test_message ("%s", seq_line);
  g_assert_nonnull (strstr (seq_line, "\"a\\u001B[2Jb\\u007f\\u009bc\""));
  g_assert_cmpstr (error_line, ==, "error: bad\\x1b[31m\\x07");
  g_assert_true (tu_kill_wait (p, SIGINT, 10000, &status));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_setenv ("ONELINER_MAX_REQUEST_SIZE", "16777216", TRUE);
  g_test_add ("/limits/names-with-nul", Fixture, NULL, setup, test_names_with_nul, teardown);
  g_test_add ("/limits/bounded-error-texts", Fixture, NULL, setup, test_bounded_error_texts,
              teardown);
  g_test_add ("/limits/request-size", Fixture, NULL, setup, test_request_size, teardown);
  g_test_add_func ("/limits/quote", test_quote);
  g_test_add_func ("/limits/foreign-domain", test_foreign_domain);
  g_test_add_func ("/limits/echo-escapes", test_echo_escapes);
  g_test_add_func ("/limits/config", test_config);
  g_test_add_func ("/limits/ipc-bind-file", test_ipc_bind_file);
  return g_test_run ();
}
