/* The wire format by example: every folder of tests/wire/ is one exchange
 * with a server, the request frames a client sends and the reply frames it
 * gets back, compared byte for byte (tests/wire/README.md describes the
 * files). Each folder is one test, /wire/FOLDER.
 *
 * One server in this process serves every case, over tcp loopback on a port
 * it picks; a raw DEALER socket, new for each case, plays the client. What
 * the server serves (the cases rely on exactly this):
 *
 * instance "stage", three axes with travel 0..100, 0..100 and 0..25 mm, put
 * back at 12.5, 0 and 3.25 mm before every case:
 *   move_to    (int32 axis, double mm, error) -> double   the new position;
 *              OL_ERROR INVALID_ARGS for an unknown axis or a target past
 *              the travel limits
 *   position   (int32 axis, error) -> double
 *   home       (int32 axis = 0, error)                  0 homes every axis
 *   calibrate  (error) -> bool    always fails: "stage-error" 7
 *   describe   () -> json         [{"axis":1,"position":12.5,"min":0.0,"max":100.0}, ...]
 * free functions:
 *   add        (int32 a, int32 b = 10) -> int32
 *   i64        (int64 v) -> int64             returns v
 *   u32        (uint32 v) -> uint32           returns v
 *   u64        (uint64 v) -> uint64           returns v
 *   u64_huge   () -> uint64                   returns 18000000000000000000
 *   scale      (double x, double k = 2) -> double
 *   not_a_number () -> double                 returns NaN
 *   not        (bool b) -> bool
 *   greet      (string name, string greeting = "Hello") -> string   "GREETING, NAME!"
 *   nothing    () -> string                   returns NULL
 *   bad_utf8   () -> string                   returns the bytes "caf\xe9"
 *   echo       (bytes data) -> bytes          returns data
 *   no_bytes   () -> bytes                    returns NULL
 *   wrap       (json v) -> json               returns {"wrapped": v}
 *   sqrt       (double x, error) -> double    negative x: "g-io-error-quark" 13
 *   configure  (string name, int32 count = 1, bool verbose = false,
 *               json extra = null) -> json    its arguments as an object
 *   args       handler: returns {"args": ARGS, "kwargs": KWARGS}
 *   laser      handler: always fails: "wire-test-error" 42
 * named calls:
 *   add5       add, args [5]
 *   nargs      args, args [1, 2], kwargs {"mode": "fast", "n": 1}
 *   bonjour    greet, kwargs {"greeting": "Bonjour"}
 *   home_all   stage.home, args [0]
 * streams, created afresh (nothing sent yet) before every case:
 *   sensor/position  periodic, 1 Hz, stage.position [1], JSON, disabled,
 *                    described: a number in mm with alarm limits
 *   camera/frames    pushed, image 4 x 2 gray8, enabled, described: an image
 *   log/raw          pushed, raw, enabled
 * no mounts.
 *
 * The folders are found beside this file (OL_WIRE_CASES names another
 * folder instead). */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <string.h>
#include <zmq.h>

#include <oneliner/oneliner.h>

/* Bounds of one exchange. */
#define WIRE_TIMEOUT_MS 5000
/* Reply frames kept; more fail the case. */
#define WIRE_MAX_REPLY_FRAMES 80
/* Bytes of a frame shown in a failure message. */
#define WIRE_SHOW_MAX 2048
/* How far a reply's "ts" may lie outside the time the exchange took. */
#define WIRE_TS_SLACK_NS (G_GINT64_CONSTANT (10) * 1000000000)

/* ---- the callables ------------------------------------------------------ */

#define STAGE_AXES 3

typedef struct {
  GMutex lock; /* the test resets positions from its own thread */
  double position[STAGE_AXES];
} Stage;

static const double s_stage_max[STAGE_AXES] = { 100.0, 100.0, 25.0 };

static void
s_stage_reset (Stage *st)
{
  static const double start[STAGE_AXES] = { 12.5, 0.0, 3.25 };

  g_mutex_lock (&st->lock);
  memcpy (st->position, start, sizeof start);
  g_mutex_unlock (&st->lock);
}

static gboolean
s_stage_axis (int32_t axis, gboolean allow_all, GError **error)
{
  if ((axis >= 1 && axis <= STAGE_AXES) || (allow_all && axis == 0))
    return TRUE;
  g_set_error (error, OL_ERROR, OL_ERROR_INVALID_ARGS,
               "axis %d does not exist: the stage has axes 1 to %d", axis, STAGE_AXES);
  return FALSE;
}

static double
f_move_to (Stage *st, int32_t axis, double mm, GError **error)
{
  double at;

  if (!s_stage_axis (axis, FALSE, error))
    return 0;
  g_mutex_lock (&st->lock);
  if (!isfinite (mm) || mm < 0 || mm > s_stage_max[axis - 1])
    g_set_error (error, OL_ERROR, OL_ERROR_INVALID_ARGS,
                 "axis %d cannot move to %g mm: past its travel limits 0..%g mm", axis, mm,
                 s_stage_max[axis - 1]);
  else
    st->position[axis - 1] = mm;
  at = st->position[axis - 1];
  g_mutex_unlock (&st->lock);
  return at;
}

static double
f_position (Stage *st, int32_t axis, GError **error)
{
  double at;

  if (!s_stage_axis (axis, FALSE, error))
    return 0;
  g_mutex_lock (&st->lock);
  at = st->position[axis - 1];
  g_mutex_unlock (&st->lock);
  return at;
}

static void
f_home (Stage *st, int32_t axis, GError **error)
{
  if (!s_stage_axis (axis, TRUE, error))
    return;
  g_mutex_lock (&st->lock);
  for (int i = 0; i < STAGE_AXES; i++)
    if (axis == 0 || axis == i + 1)
      st->position[i] = 0;
  g_mutex_unlock (&st->lock);
}

static bool
f_calibrate (Stage *st, GError **error)
{
  (void) st;
  g_set_error_literal (error, g_quark_from_static_string ("stage-error"), 7,
                       "calibration needs the lid closed");
  return false;
}

static json_t *
f_describe (Stage *st)
{
  json_t *out = json_array ();

  g_mutex_lock (&st->lock);
  for (int i = 0; i < STAGE_AXES; i++)
    json_array_append_new (out, json_pack ("{s:i, s:f, s:f, s:f}", "axis", i + 1, "position",
                                           st->position[i], "min", 0.0, "max",
                                           s_stage_max[i]));
  g_mutex_unlock (&st->lock);
  return out;
}

static int32_t f_add (int32_t a, int32_t b) { return a + b; }
static int64_t f_i64 (int64_t v) { return v; }
static uint32_t f_u32 (uint32_t v) { return v; }
static uint64_t f_u64 (uint64_t v) { return v; }
static uint64_t f_u64_huge (void) { return G_GUINT64_CONSTANT (18000000000000000000); }
static double f_scale (double x, double k) { return x * k; }
static double f_not_a_number (void) { return NAN; }
static bool f_not (bool b) { return !b; }
static char *f_greet (const char *name, const char *greeting)
{
  return g_strdup_printf ("%s, %s!", greeting, name);
}
static char *f_nothing (void) { return NULL; }
static char *f_bad_utf8 (void) { return g_strdup ("caf\xe9"); }
static GBytes *f_echo (GBytes *data) { return g_bytes_ref (data); }
static GBytes *f_no_bytes (void) { return NULL; }
static json_t *f_wrap (json_t *v) { return json_pack ("{s:O}", "wrapped", v); }

static double
f_sqrt (double x, GError **error)
{
  if (x < 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "no real square root of %g", x);
      return 0;
    }
  return sqrt (x);
}

static json_t *
f_configure (const char *name, int32_t count, bool verbose, json_t *extra)
{
  return json_pack ("{s:s, s:i, s:b, s:O}", "name", name, "count", count, "verbose",
                    verbose, "extra", extra);
}

static json_t *
h_args (void *instance, json_t *args, json_t *kwargs, void *user_data, GError **error)
{
  (void) instance, (void) user_data, (void) error;
  return json_pack ("{s:O, s:O}", "args", args, "kwargs", kwargs);
}

static json_t *
h_laser (void *instance, json_t *args, json_t *kwargs, void *user_data, GError **error)
{
  (void) instance, (void) args, (void) kwargs, (void) user_data;
  g_set_error_literal (error, g_quark_from_static_string ("wire-test-error"), 42,
                       "the laser interlock is open");
  return NULL;
}

/* ---- the server --------------------------------------------------------- */

static OlServer *s_server;
static Stage s_stage;
static void *s_ctx;

static void
s_check (gboolean ok, GError *error)
{
  if (!ok)
    g_error ("setting up the server: %s", error ? error->message : "?");
}

static void
s_register (OlServer *s)
{
  static const struct { const char *name, *signature; OlFunc fn; } methods[] = {
    { "move_to", "(int32 axis, double mm, error) -> double", OL_FUNC (f_move_to) },
    { "position", "(int32 axis, error) -> double", OL_FUNC (f_position) },
    { "home", "(int32 axis = 0, error)", OL_FUNC (f_home) },
    { "calibrate", "(error) -> bool", OL_FUNC (f_calibrate) },
    { "describe", "() -> json", OL_FUNC (f_describe) },
  }, functions[] = {
    { "add", "(int32 a, int32 b = 10) -> int32", OL_FUNC (f_add) },
    { "i64", "(int64 v) -> int64", OL_FUNC (f_i64) },
    { "u32", "(uint32 v) -> uint32", OL_FUNC (f_u32) },
    { "u64", "(uint64 v) -> uint64", OL_FUNC (f_u64) },
    { "u64_huge", "() -> uint64", OL_FUNC (f_u64_huge) },
    { "scale", "(double x, double k = 2) -> double", OL_FUNC (f_scale) },
    { "not_a_number", "() -> double", OL_FUNC (f_not_a_number) },
    { "not", "(bool b) -> bool", OL_FUNC (f_not) },
    { "greet", "(string name, string greeting = \"Hello\") -> string", OL_FUNC (f_greet) },
    { "nothing", "() -> string", OL_FUNC (f_nothing) },
    { "bad_utf8", "() -> string", OL_FUNC (f_bad_utf8) },
    { "echo", "(bytes data) -> bytes", OL_FUNC (f_echo) },
    { "no_bytes", "() -> bytes", OL_FUNC (f_no_bytes) },
    { "wrap", "(json v) -> json", OL_FUNC (f_wrap) },
    { "sqrt", "(double x, error) -> double", OL_FUNC (f_sqrt) },
    { "configure", "(string name, int32 count = 1, bool verbose = false, json extra = null)"
                   " -> json", OL_FUNC (f_configure) },
  };
  GError *error = NULL;
  g_autoptr (json_t) add5_args = json_pack ("[i]", 5);
  g_autoptr (json_t) nargs_args = json_pack ("[i, i]", 1, 2);
  g_autoptr (json_t) nargs_kwargs = json_pack ("{s:s, s:i}", "mode", "fast", "n", 1);
  g_autoptr (json_t) bonjour_kwargs = json_pack ("{s:s}", "greeting", "Bonjour");
  g_autoptr (json_t) home_all_args = json_pack ("[i]", 0);

  g_mutex_init (&s_stage.lock);
  s_stage_reset (&s_stage);
  s_check (ol_server_add_instance (s, "stage", &s_stage, NULL, &error), error);
  for (gsize i = 0; i < G_N_ELEMENTS (methods); i++)
    s_check (ol_server_add_method (s, "stage", methods[i].name, methods[i].signature,
                                   methods[i].fn, &error), error);
  for (gsize i = 0; i < G_N_ELEMENTS (functions); i++)
    s_check (ol_server_add_function (s, functions[i].name, functions[i].signature,
                                     functions[i].fn, &error), error);
  s_check (ol_server_add_function_handler (s, "args", h_args, NULL, NULL, &error), error);
  s_check (ol_server_add_function_handler (s, "laser", h_laser, NULL, NULL, &error), error);
  s_check (ol_server_add_named_call (s, "add5", NULL, "add", add5_args, NULL, &error), error);
  s_check (ol_server_add_named_call (s, "nargs", NULL, "args", nargs_args, nargs_kwargs,
                                     &error), error);
  s_check (ol_server_add_named_call (s, "bonjour", NULL, "greet", NULL, bonjour_kwargs,
                                     &error), error);
  s_check (ol_server_add_named_call (s, "home_all", "stage", "home", home_all_args, NULL,
                                     &error), error);
}

static const char *const s_stream_names[] = { "sensor/position", "camera/frames", "log/raw" };

/* The streams as they are before any case: made afresh, so that what one
 * case did to them (enabled, removed) never shows in another. */
static void
s_streams_reset (OlServer *s)
{
  GError *error = NULL;
  g_autoptr (json_t) position_args = json_pack ("[i]", 1);
  g_autoptr (json_t) position_description
    = json_loads ("{\"text\": \"stage axis 1\", \"unit\": \"mm\", \"form\": \"number\", "
                  "\"precision\": 3, \"limits\": {\"alarm_low\": 0, \"alarm_high\": 100}}", 0, NULL);
  g_autoptr (json_t) camera_description
    = json_loads ("{\"text\": \"test pattern\", \"form\": \"image\"}", 0, NULL);
  const OlImageInfo image = { 4, 2, OL_PIXEL_GRAY8 };
  OlStreamWriter *w;

  for (gsize i = 0; i < G_N_ELEMENTS (s_stream_names); i++)
    if (!ol_server_remove_stream (s, s_stream_names[i], &error))
      g_clear_error (&error);
  s_check (ol_server_add_stream (s, "sensor/position", 1, "stage", "position", position_args,
                                 NULL, FALSE, OL_ENCODING_JSON, NULL, &error), error);
  s_check (ol_server_describe_stream (s, "sensor/position", position_description, &error), error);
  w = ol_server_add_pushed_stream (s, "camera/frames", OL_ENCODING_IMAGE, &image, &error);
  s_check (w != NULL, error);
  s_check (ol_server_describe_stream (s, "camera/frames", camera_description, &error), error);
  ol_stream_writer_unref (w);
  w = ol_server_add_pushed_stream (s, "log/raw", OL_ENCODING_RAW, NULL, &error);
  s_check (w != NULL, error);
  ol_stream_writer_unref (w);
}

/* ---- the cases ---------------------------------------------------------- */

typedef struct {
  char *name;
  char *dir;
} Case;

static void
s_case_free (gpointer data)
{
  Case *c = data;

  g_free (c->name);
  g_free (c->dir);
  g_free (c);
}

/* The bytes of dir/file, or NULL if it does not exist. With text, one final
 * newline is not part of them. */
static GBytes *
s_read (const char *dir, const char *file, gboolean text)
{
  g_autofree char *path = g_build_filename (dir, file, NULL);
  g_autoptr (GError) error = NULL;
  char *data;
  gsize len;

  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    return NULL;
  if (!g_file_get_contents (path, &data, &len, &error))
    g_error ("%s", error->message);
  if (text && len > 0 && data[len - 1] == '\n')
    len--;
  return g_bytes_new_take (data, len);
}

/* prefix1, prefix2, ... as far as they exist. */
static GPtrArray *
s_read_frames (const char *dir, const char *prefix)
{
  GPtrArray *frames = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);

  for (;;)
    {
      g_autofree char *file = g_strdup_printf ("%s%u", prefix, frames->len + 1);
      GBytes *b = s_read (dir, file, FALSE);

      if (b == NULL)
        return frames;
      g_ptr_array_add (frames, b);
    }
}

/* Whether name is one of the files a case may hold. */
static gboolean
s_known_file (const char *name, guint n_frames, guint n_reply_frames)
{
  const char *digits = NULL;
  guint limit = 0;
  guint64 n;

  if (g_str_equal (name, "request") || g_str_equal (name, "reply")
      || g_str_equal (name, "README") || g_str_equal (name, "description"))
    return TRUE;
  if (g_str_has_prefix (name, "reply-frame"))
    digits = name + strlen ("reply-frame"), limit = n_reply_frames;
  else if (g_str_has_prefix (name, "frame"))
    digits = name + strlen ("frame"), limit = n_frames;
  return digits != NULL && digits[0] >= '1' && digits[0] <= '9'
         && g_ascii_string_to_unsigned (digits, 10, 1, limit, &n, NULL);
}

/* bytes shown on one line: printable ASCII as is, the rest escaped. */
static char *
s_show (const void *data, gsize len)
{
  const guchar *p = data;
  GString *out = g_string_new ("\"");

  for (gsize i = 0; i < len && i < WIRE_SHOW_MAX; i++)
    {
      if (p[i] == '\\')
        g_string_append (out, "\\\\");
      else if (p[i] == '\n')
        g_string_append (out, "\\n");
      else if (p[i] >= 0x20 && p[i] < 0x7f)
        g_string_append_c (out, (char) p[i]);
      else
        g_string_append_printf (out, "\\x%02x", p[i]);
    }
  g_string_append_c (out, '"');
  if (len > WIRE_SHOW_MAX)
    g_string_append_printf (out, "... (%" G_GSIZE_FORMAT " bytes)", len);
  return g_string_free (out, FALSE);
}

/* Matches a received frame against the expected one, in which each "<TS>"
 * stands for a timestamp: an integer in [lo, hi] (ns since the epoch).
 * Returns NULL on a match, else what differs. (transfer full) */
static char *
s_match (GBytes *expected, GBytes *got, gint64 lo, gint64 hi)
{
  gsize elen, glen;
  const char *e = g_bytes_get_data (expected, &elen);
  const char *g = g_bytes_get_data (got, &glen);
  const char *eend = e + elen, *gend = g + glen, *g0 = g;
  static const char mark[] = "<TS>";

  for (;;)
    {
      const char *ts = memmem (e, (size_t) (eend - e), mark, sizeof mark - 1);
      gsize chunk = (gsize) ((ts ? ts : eend) - e);
      gsize same = 0;
      guint64 value = 0;
      const char *digits;

      while (same < chunk && g + same < gend && e[same] == g[same])
        same++;
      if (same < chunk || (ts == NULL && g + same != gend))
        return g_strdup_printf ("first difference at byte %" G_GSIZE_FORMAT,
                                (gsize) (g + same - g0));
      if (ts == NULL)
        return NULL;
      e += chunk + sizeof mark - 1;
      g += chunk;
      for (digits = g; g < gend && g_ascii_isdigit (*g) && g - digits < 19; g++)
        value = value * 10 + (*g - '0');
      if (g == digits || (*digits == '0' && g - digits > 1) || (g < gend && g_ascii_isdigit (*g)))
        return g_strdup_printf ("no timestamp at byte %" G_GSIZE_FORMAT,
                                (gsize) (digits - g0));
      if (value < (guint64) lo || value > (guint64) hi)
        return g_strdup_printf ("timestamp %" G_GUINT64_FORMAT " at byte %" G_GSIZE_FORMAT
                                " is not within %" G_GINT64_FORMAT "..%" G_GINT64_FORMAT,
                                value, (gsize) (digits - g0), lo, hi);
    }
}

/* Sends frames on a new DEALER socket and returns the reply's frames (NULL
 * if none came within the bound). */
static GPtrArray *
s_exchange (GPtrArray *frames, guint *n_received)
{
  void *sock = zmq_socket (s_ctx, ZMQ_DEALER);
  int timeout = WIRE_TIMEOUT_MS, linger = 0;
  GPtrArray *reply = NULL;
  int more = 1;

  *n_received = 0;
  zmq_setsockopt (sock, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
  zmq_setsockopt (sock, ZMQ_SNDTIMEO, &timeout, sizeof timeout);
  zmq_setsockopt (sock, ZMQ_LINGER, &linger, sizeof linger);
  if (zmq_connect (sock, ol_server_get_rpc_endpoint (s_server)) != 0)
    {
      g_test_message ("connecting: %s", zmq_strerror (errno));
      zmq_close (sock);
      return NULL;
    }
  for (guint i = 0; i < frames->len; i++)
    {
      gsize len;
      const void *data = g_bytes_get_data (frames->pdata[i], &len);

      if (zmq_send (sock, data, len, i + 1 < frames->len ? ZMQ_SNDMORE : 0) < 0)
        {
          g_test_message ("sending frame %u: %s", i, zmq_strerror (errno));
          zmq_close (sock);
          return NULL;
        }
    }
  reply = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  while (more)
    {
      zmq_msg_t msg;

      zmq_msg_init (&msg);
      if (zmq_msg_recv (&msg, sock, 0) < 0)
        {
          g_test_message ("receiving the reply: %s", zmq_strerror (errno));
          zmq_msg_close (&msg);
          g_clear_pointer (&reply, g_ptr_array_unref);
          break;
        }
      more = zmq_msg_more (&msg);
      if (reply->len < WIRE_MAX_REPLY_FRAMES)
        g_ptr_array_add (reply, g_bytes_new (zmq_msg_data (&msg), zmq_msg_size (&msg)));
      (*n_received)++;
      zmq_msg_close (&msg);
    }
  zmq_close (sock);
  return reply;
}

static void
s_report (const char *what, GBytes *expected, GBytes *got, const char *why)
{
  gsize elen, glen;
  const void *e = g_bytes_get_data (expected, &elen);
  const void *g = g_bytes_get_data (got, &glen);
  g_autofree char *shown_e = s_show (e, elen);
  g_autofree char *shown_g = s_show (g, glen);

  g_test_message ("%s: expected %s", what, shown_e);
  g_test_message ("%s: received %s", what, shown_g);
  g_test_fail_printf ("%s differs from the expected one: %s", what, why);
}

static void
test_case (gconstpointer data)
{
  const Case *c = data;
  g_autoptr (GBytes) request = s_read (c->dir, "request", TRUE);
  g_autoptr (GBytes) expected = s_read (c->dir, "reply", TRUE);
  g_autoptr (GPtrArray) frames = s_read_frames (c->dir, "frame");
  g_autoptr (GPtrArray) expected_frames = s_read_frames (c->dir, "reply-frame");
  g_autoptr (GPtrArray) reply = NULL;
  g_autoptr (GDir) dir = g_dir_open (c->dir, 0, NULL);
  const char *entry;
  gint64 before, after;
  guint n_received;

  if (request == NULL || expected == NULL)
    {
      g_test_fail_printf ("%s lacks its request or reply file", c->dir);
      return;
    }
  while (dir != NULL && (entry = g_dir_read_name (dir)) != NULL)
    if (!s_known_file (entry, frames->len, expected_frames->len))
      {
        g_test_fail_printf ("%s: unexpected file %s (frame files are numbered from 1, "
                            "without gaps)", c->dir, entry);
        return;
      }
  g_ptr_array_insert (frames, 0, g_bytes_ref (request));

  s_stage_reset (&s_stage);
  s_streams_reset (s_server);
  before = g_get_real_time () * 1000;
  reply = s_exchange (frames, &n_received);
  after = g_get_real_time () * 1000;
  if (reply == NULL)
    {
      g_test_fail_printf ("no reply within %d ms", WIRE_TIMEOUT_MS);
      return;
    }
  if (n_received != 1 + expected_frames->len)
    {
      g_autofree char *shown = s_show (g_bytes_get_data (reply->pdata[0], NULL),
                                       g_bytes_get_size (reply->pdata[0]));
      g_test_message ("reply frame 0: %s", shown);
      g_test_fail_printf ("the reply has %u frames, expected %u", n_received,
                          1 + expected_frames->len);
      return;
    }
  {
    g_autofree char *why = s_match (expected, reply->pdata[0], before - WIRE_TS_SLACK_NS,
                                    after + WIRE_TS_SLACK_NS);
    if (why != NULL)
      s_report ("reply", expected, reply->pdata[0], why);
  }
  for (guint i = 0; i < expected_frames->len; i++)
    if (!g_bytes_equal (expected_frames->pdata[i], reply->pdata[i + 1]))
      {
        g_autofree char *what = g_strdup_printf ("reply-frame%u", i + 1);
        s_report (what, expected_frames->pdata[i], reply->pdata[i + 1], "bytes differ");
      }
}

/* The folder of the cases: OL_WIRE_CASES, else tests/wire beside this file
 * as the compiler saw it (relative to the build directory, or absolute).
 * (transfer full) */
static char *
s_cases_dir (void)
{
  const char *env = g_getenv ("OL_WIRE_CASES");
  g_autofree char *here = g_path_get_dirname (__FILE__);

  if (env != NULL && env[0] != '\0')
    return g_strdup (env);
  if (g_path_is_absolute (here))
    return g_build_filename (here, "wire", NULL);
  return g_build_filename (g_getenv ("OL_BUILD_DIR") ? g_getenv ("OL_BUILD_DIR") : ".", here,
                           "wire", NULL);
}

static gint
s_compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

int
main (int argc, char **argv)
{
  g_autofree char *cases_dir = s_cases_dir ();
  g_autoptr (GError) error = NULL;
  g_autoptr (GDir) dir = NULL;
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *entry;
  int status;

  g_test_init (&argc, &argv, NULL);
  /* A case that fails does not stop the others. */
  g_test_set_nonfatal_assertions ();
  dir = g_dir_open (cases_dir, 0, &error);
  if (dir == NULL)
    g_error ("the wire cases: %s", error->message);
  while ((entry = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (cases_dir, entry, NULL);
      if (g_file_test (path, G_FILE_TEST_IS_DIR))
        g_ptr_array_add (names, g_strdup (entry));
    }
  if (names->len == 0)
    g_error ("no wire cases in %s", cases_dir);
  g_ptr_array_sort (names, s_compare_names);
  for (guint i = 0; i < names->len; i++)
    {
      Case *c = g_new0 (Case, 1);
      g_autofree char *test_path = g_strdup_printf ("/wire/%s", (char *) names->pdata[i]);

      c->name = g_strdup (names->pdata[i]);
      c->dir = g_build_filename (cases_dir, c->name, NULL);
      g_test_add_data_func_full (test_path, c, test_case, s_case_free);
    }

  s_ctx = zmq_ctx_new ();
  s_server = ol_server_new ("tcp://127.0.0.1:*", "tcp://127.0.0.1:*");
  s_register (s_server);
  s_streams_reset (s_server);
  s_check (ol_server_start (s_server, &error), error);

  status = g_test_run ();

  ol_server_free (&s_server);
  zmq_ctx_term (s_ctx);
  g_mutex_clear (&s_stage.lock);
  return status;
}
