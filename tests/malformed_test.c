/* Malformed requests: the server replies with an error or drops them, and
 * goes on serving. Raw libzmq sockets and a raw TCP peer play the bad client. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zmq.h>

#include "oneliner/json.h"
#include "tests/call_layouts.h"
#include "tests/testutil.h"

static int32_t f_add (void *self, int32_t a, int32_t b) { (void) self; return a + b; }

typedef struct {
  OlServer *server;
  void *ctx;
  void *raw;
  const char *endpoint;
} Fixture;

static void
setup (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  int type = GPOINTER_TO_INT (data);
  int timeout = 5000;
  int linger = 0;

  f->server = ol_server_new ("tcp://127.0.0.1:*", "tcp://127.0.0.1:*");
  g_assert_true (ol_server_add_instance (f->server, "calc", NULL, NULL, &error));
  g_assert_true (ol_server_add_method (f->server, "calc", "add", "(int32 a, int32 b) -> int32",
                                       OL_FUNC (f_add), &error));
  g_assert_true (ol_server_start (f->server, &error));
  f->endpoint = ol_server_get_rpc_endpoint (f->server);
  f->ctx = zmq_ctx_new ();
  f->raw = zmq_socket (f->ctx, type ? type : ZMQ_DEALER);
  zmq_setsockopt (f->raw, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
  zmq_setsockopt (f->raw, ZMQ_SNDTIMEO, &timeout, sizeof timeout);
  zmq_setsockopt (f->raw, ZMQ_LINGER, &linger, sizeof linger);
  g_assert_cmpint (zmq_connect (f->raw, f->endpoint), ==, 0);
}

static void
teardown (Fixture *f, gconstpointer data)
{
  (void) data;
  zmq_close (f->raw);
  zmq_ctx_term (f->ctx);
  ol_server_free (&f->server);
}

/* Sends parts (n frames) and returns the reply's JSON frame (bounded wait). */
static json_t *
s_exchange (void *sock, const char *const *parts, const size_t *lens, int n)
{
  char buf[65536];
  int len;
  json_t *reply;

  for (int i = 0; i < n; i++)
    g_assert_cmpint (zmq_send (sock, parts[i], lens[i], i + 1 < n ? ZMQ_SNDMORE : 0), >=, 0);
  /* Skip an empty delimiter frame: the server echoes the one it got. */
  do
    {
      len = zmq_recv (sock, buf, sizeof buf, 0);
      if (len < 0)
        g_error ("no reply within 5 s: %s", zmq_strerror (errno));
    }
  while (len == 0);
  g_assert_cmpint (len, <, (int) sizeof buf);
  reply = json_loadb (buf, (size_t) len, 0, NULL);
  g_assert_nonnull (reply);
  return reply;
}

static json_t *
s_exchange1 (void *sock, const char *text)
{
  size_t len = strlen (text);
  return s_exchange (sock, &text, &len, 1);
}

static void
s_assert_error (json_t *reply, int code, const char *needle)
{
  json_t *err = json_object_get (reply, "error");
  const char *message = json_string_value (json_object_get (err, "message"));

  g_assert_true (json_is_false (json_object_get (reply, "ok")));
  g_assert_cmpstr (json_string_value (json_object_get (err, "domain")), ==, "ol-error-quark");
  g_assert_cmpint (json_integer_value (json_object_get (err, "code")), ==, code);
  if (strstr (message, needle) == NULL)
    g_error ("error \"%s\" does not contain \"%s\"", message, needle);
}

/* The server still answers a good client. */
static void
s_assert_serving (Fixture *f)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (OlClient) c = ol_client_new (f->endpoint, NULL, &error);
  g_autoptr (json_t) args = json_pack ("[i, i]", 20, 22);
  g_autoptr (json_t) r = ol_client_call (c, "calc", "add", args, NULL, &error);

  g_assert_no_error (error);
  g_assert_cmpint (json_integer_value (r), ==, 42);
}

static void
test_bad_json (Fixture *f, gconstpointer data)
{
  static const struct { const char *text; int code; const char *needle; } cases[] = {
    { "{not json", 3, "not valid JSON" },
    { "", 3, "not valid JSON" },
    { "[1, 2]", 3, "not a JSON object" },
    { "\"op\"", 3, "not valid JSON" },
    { "{\"id\": 1, \"op\": \"call\"}", 3, "\"v\"" },
    { "{\"v\": 99, \"id\": 1, \"op\": \"call\"}", 6, "version 99 is not supported" },
    { "{\"v\": \"1\", \"id\": 1, \"op\": \"call\"}", 3, "\"v\"" },
    { "{\"v\": 1, \"id\": 1}", 3, "\"op\"" },
    { "{\"v\": 1, \"id\": 1, \"op\": 5}", 3, "\"op\" must be a string" },
    { "{\"v\": 1, \"id\": 1, \"op\": \"explode\"}", 3, "unknown operation \"explode\"" },
    { "{\"v\": 1, \"id\": 1, \"op\": \"call\"}", 3, "\"method\"" },
    { "{\"v\": 1, \"id\": 1, \"op\": \"call\", \"object\": 7, \"method\": \"add\"}", 3,
      "\"object\" must be a string" },
    { "{\"v\": 1, \"id\": 1, \"op\": \"call\", \"object\": \"calc\", \"method\": \"add\", "
      "\"args\": {\"a\": 1}}", 3, "\"args\" must be an array" },
    { "{\"v\": 1, \"id\": 1, \"op\": \"call\", \"object\": \"calc\", \"method\": \"add\", "
      "\"args\": [1, 2], \"kwargs\": [3]}", 3, "\"kwargs\" must be an object" },
    { "{\"v\": 1, \"id\": 1, \"op\": \"call\", \"object\": \"calc\", \"method\": \"add\", "
      "\"args\": [1e400, 2]}", 3, "not valid JSON" },
    { "{\"v\": 1, \"v\": 1, \"op\": \"version\"}", 3, "duplicate" },
    { "{\"v\": 1, \"id\": 1, \"op\": \"call\", \"object\": \"calc\", \"method\": \"add\", "
      "\"args\": [{\"$frame\": 0}, 2]}", 5, "parameter 'a' expects int32" },
  };

  (void) data;
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (json_t) reply = s_exchange1 (f->raw, cases[i].text);
      s_assert_error (reply, cases[i].code, cases[i].needle);
    }
  s_assert_serving (f);
}

/* Calls laid out exactly as OlClient writes them take a shorter way through
 * the server than other layouts: each case is sent as written and with a
 * space after its first brace (the general way), and both replies must be
 * the same, but for the server's timestamp. */
static void
test_call_layouts (Fixture *f, gconstpointer data)
{
  (void) data;
  for (gsize i = 0; i < G_N_ELEMENTS (tt_call_layouts); i++)
    {
      const char *const *cases = tt_call_layouts;
      g_autofree char *spaced = g_strdup_printf ("{ %s", cases[i] + 1);
      g_autoptr (json_t) fast = s_exchange1 (f->raw, cases[i]);
      g_autoptr (json_t) general = s_exchange1 (f->raw, spaced);
      g_autofree char *fast_text = NULL, *general_text = NULL;
      gboolean with_ts = strstr (cases[i], "\"ts\":true") != NULL;

      g_assert_true (json_is_integer (json_object_get (fast, "ts")) == with_ts);
      g_assert_true (json_is_integer (json_object_get (general, "ts")) == with_ts);
      json_object_del (fast, "ts");
      json_object_del (general, "ts");
      fast_text = json_dumps (fast, JSON_COMPACT | JSON_SORT_KEYS);
      general_text = json_dumps (general, JSON_COMPACT | JSON_SORT_KEYS);
      {
        /* TAP output must stay UTF-8: one case is not. */
        g_autofree char *shown = g_strescape (cases[i], NULL);
        g_test_message ("%s -> %s", shown, fast_text);
      }
      /* The space moved the columns of JSON syntax errors by one. */
      if (strstr (fast_text, "not valid JSON") != NULL)
        {
          g_autoptr (GRegex) where = g_regex_new (" \\(line [0-9]+, column [0-9]+\\)", 0, 0,
                                                  NULL);
          g_autofree char *a = g_regex_replace_literal (where, fast_text, -1, 0, "", 0, NULL);
          g_autofree char *b = g_regex_replace_literal (where, general_text, -1, 0, "", 0,
                                                        NULL);
          g_assert_cmpstr (a, ==, b);
          continue;
        }
      g_assert_cmpstr (fast_text, ==, general_text);
    }
  s_assert_serving (f);
}

static void
test_binary_garbage (Fixture *f, gconstpointer data)
{
  char junk[4096];
  const char *parts[1] = { junk };
  size_t lens[1] = { sizeof junk };

  (void) data;
  for (gsize i = 0; i < sizeof junk; i++)
    junk[i] = (char) g_random_int ();
  for (int k = 0; k < 20; k++)
    {
      g_autoptr (json_t) reply = s_exchange (f->raw, parts, lens, 1);
      s_assert_error (reply, 3, "not valid JSON");
      junk[k] = '\0';
    }
  s_assert_serving (f);
}

static void
test_too_many_frames (Fixture *f, gconstpointer data)
{
  const char *parts[100];
  size_t lens[100];
  const char *req = "{\"v\": 1, \"id\": 7, \"op\": \"version\"}";
  g_autoptr (json_t) reply = NULL;

  (void) data;
  parts[0] = req;
  lens[0] = strlen (req);
  for (int i = 1; i < 100; i++)
    {
      parts[i] = "x";
      lens[i] = 1;
    }
  reply = s_exchange (f->raw, parts, lens, 100);
  s_assert_error (reply, 3, "more than 64 binary frames");
  /* The id of a refused request that parsed is kept. */
  g_assert_cmpint (json_integer_value (json_object_get (reply, "id")), ==, 7);
  g_clear_pointer (&reply, json_decref);
  /* 65 attachments: one too many; 64: accepted. */
  reply = s_exchange (f->raw, parts, lens, 66);
  s_assert_error (reply, 3, "more than 64 binary frames");
  g_clear_pointer (&reply, json_decref);
  reply = s_exchange (f->raw, parts, lens, 65);
  g_assert_true (json_is_true (json_object_get (reply, "ok")));
  s_assert_serving (f);
}

static void
test_req_envelope (Fixture *f, gconstpointer data)
{
  g_autoptr (json_t) reply = NULL;

  (void) data;
  /* A REQ socket adds the empty delimiter; the reply must carry it back. */
  reply = s_exchange1 (f->raw,
                       "{\"v\": 1, \"id\": 3, \"op\": \"call\", \"object\": \"calc\", "
                       "\"method\": \"add\", \"args\": [1, 2]}");
  g_assert_true (json_is_true (json_object_get (reply, "ok")));
  g_assert_cmpint (json_integer_value (json_object_get (reply, "id")), ==, 3);
  g_assert_cmpint (json_integer_value (json_object_get (reply, "result")), ==, 3);
  s_assert_serving (f);
}

/* A ZMTP peer that announces a frame of 2^62 bytes is cut off by the
 * server's ZMQ_MAXMSGSIZE; the server goes on serving. */
static void
test_huge_length (Fixture *f, gconstpointer data)
{
  int port = 0;
  const char *colon = strrchr (f->endpoint, ':');
  struct sockaddr_in addr = { 0 };
  int fd = socket (AF_INET, SOCK_STREAM, 0);
  guint8 greeting[64] = { 0xff, 0, 0, 0, 0, 0, 0, 0, 1, 0x7f, 3, 0, 'N', 'U', 'L', 'L' };
  guint8 peer[64];
  /* READY command with Socket-Type DEALER. */
  static const guint8 ready[] = { 0x04, 28, 5, 'R', 'E', 'A', 'D', 'Y', 11, 'S', 'o', 'c',
                                  'k', 'e', 't', '-', 'T', 'y', 'p', 'e', 0, 0, 0, 6, 'D',
                                  'E', 'A', 'L', 'E', 'R' };
  static const guint8 huge[] = { 0x02, 0x40, 0, 0, 0, 0, 0, 0, 0, '{', '{', '{' };
  struct timeval tv = { 5, 0 };
  gssize got = 0;
  char c;

  (void) data;
  port = atoi (colon + 1);
  addr.sin_family = AF_INET;
  addr.sin_port = htons ((guint16) port);
  addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  setsockopt (fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  g_assert_cmpint (connect (fd, (struct sockaddr *) &addr, sizeof addr), ==, 0);
  g_assert_cmpint (write (fd, greeting, sizeof greeting), ==, sizeof greeting);
  while (got < 64)
    {
      gssize n = read (fd, peer + got, (size_t) (64 - got));
      g_assert_cmpint (n, >, 0);
      got += n;
    }
  g_assert_cmpint (write (fd, ready, sizeof ready), ==, sizeof ready);
  g_assert_cmpint (write (fd, huge, sizeof huge), ==, sizeof huge);
  /* The server closes the connection: read reaches end of file (after its
   * own READY command), never blocks past the 5 s bound. */
  for (;;)
    {
      gssize n = read (fd, &c, 1);
      if (n == 0 || (n < 0 && errno == ECONNRESET))
        break;
      g_assert_cmpint (n, ==, 1);
    }
  close (fd);
  s_assert_serving (f);
}

/* A message with an identity only (no body) is dropped, and the server
 * goes on. DEALER cannot send an empty multipart, so send one empty frame:
 * that is a body that is not JSON. */
static void
test_empty_frames (Fixture *f, gconstpointer data)
{
  const char *parts[2] = { "", "" };
  size_t lens[2] = { 0, 0 };
  g_autoptr (json_t) reply = NULL;

  (void) data;
  reply = s_exchange (f->raw, parts, lens, 2);
  s_assert_error (reply, 3, "not valid JSON");
  s_assert_serving (f);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/malformed/bad-json", Fixture, NULL, setup, test_bad_json, teardown);
  g_test_add ("/malformed/call-layouts", Fixture, NULL, setup, test_call_layouts, teardown);
  g_test_add ("/malformed/binary-garbage", Fixture, NULL, setup, test_binary_garbage, teardown);
  g_test_add ("/malformed/too-many-frames", Fixture, NULL, setup, test_too_many_frames, teardown);
  g_test_add ("/malformed/req-envelope", Fixture, GINT_TO_POINTER (ZMQ_REQ), setup,
              test_req_envelope, teardown);
  g_test_add ("/malformed/huge-length", Fixture, NULL, setup, test_huge_length, teardown);
  g_test_add ("/malformed/empty-frames", Fixture, NULL, setup, test_empty_frames, teardown);
  return g_test_run ();
}
