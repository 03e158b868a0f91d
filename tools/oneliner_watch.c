/* oneliner: the commands that watch streams: echo (print their messages),
 * hz (their rate) and bw (their bandwidth). */
#include <glib-unix.h>
#include <math.h>
#include <oneliner/oneliner.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "oneliner_cli.h"
#include "oneliner_desc.h"

static volatile gboolean s_interrupted = FALSE;

static gboolean
s_on_interrupt (gpointer data)
{
  (void) data;
  s_interrupted = TRUE;
  return G_SOURCE_CONTINUE;
}

/* echo --short: payloads cut to a short view. */
static gboolean s_short = FALSE;

/* A view of a payload for one line of output: whole, or with --short cut
 * (JSON text to 100 bytes, raw bytes to 16); an image as its geometry and
 * size. (transfer full) */
static char *
s_payload_view (const OlStreamMessage *m)
{
  gsize size;
  const guint8 *data = g_bytes_get_data (m->payload, &size);

  if (m->encoding == OL_ENCODING_JSON)
    {
      gsize shown = s_short ? MIN (size, 100) : size;
      g_autofree char *safe = cli_safe ((const char *) data, (gssize) shown, TRUE);

      if (shown == size)
        return g_steal_pointer (&safe);
      return g_strdup_printf ("%s... (%" G_GSIZE_FORMAT " bytes)", safe, size);
    }
  if (m->encoding == OL_ENCODING_IMAGE)
    {
      static const char *const formats[] = { "none", "gray8", "gray16", "rgb8" };
      return g_strdup_printf ("image %ux%u %s, %" G_GSIZE_FORMAT " bytes", m->image.width,
                              m->image.height,
                              (guint) m->image.format < G_N_ELEMENTS (formats)
                                ? formats[m->image.format] : "unknown", size);
    }
  {
    GString *view = g_string_new (NULL);

    g_string_printf (view, "%" G_GSIZE_FORMAT " bytes: ", size);
    gsize shown = s_short ? MIN (size, 16) : size;

    for (gsize i = 0; i < shown; i++)
      g_string_append_printf (view, "%02x", data[i]);
    if (shown < size)
      g_string_append (view, "...");
    return g_string_free (view, FALSE);
  }
}

/* A stream server never connected within this long is reported as not
 * reachable (a lost connection is reported as soon as it is seen). */
#define SERVER_CONNECT_GRACE_US (2 * G_USEC_PER_SEC)

static gboolean opt_wait_server = FALSE;

typedef struct {
  gboolean connected_once;
  gboolean gone;           /* reported as gone, not back yet */
} ServerState;

/* Looks at the connection of the stream side and says on stderr when the
 * server goes or comes back; got_message: a message was just taken (the
 * server was there; messages received before a loss are shown first).
 * Returns FALSE when the command must stop: the server is gone and
 * --wait-server was not given. */
static gboolean
s_check_server (OlClient *client, ServerState *st, gboolean got_message)
{
  gint64 since;
  OlStreamConnection state = ol_client_get_stream_connection (client, &since);
  const char *endpoint = ol_client_get_stream_endpoint (client);

  if (state == OL_STREAM_CONNECTED)
    {
      if (st->gone)
        fprintf (stderr, "oneliner: stream server %s: connected again\n", endpoint);
      st->gone = FALSE;
      st->connected_once = TRUE;
      return TRUE;
    }
  st->connected_once |= got_message;
  if (st->gone || got_message)
    return TRUE;
  if (!st->connected_once && g_get_monotonic_time () - since < SERVER_CONNECT_GRACE_US)
    return TRUE;
  fprintf (stderr, "oneliner: stream server %s: %s%s\n", endpoint,
           st->connected_once ? "connection lost" : "not reachable",
           opt_wait_server ? ", waiting for it" : "");
  st->gone = TRUE;
  return opt_wait_server;
}

static int opt_echo_count = 0;
static int opt_echo_timeout = 5000;
GOptionEntry cli_echo_entries[] = {
  { "count", 'n', 0, G_OPTION_ARG_INT, &opt_echo_count, "Stop after N messages (default: until Ctrl-C)", "N" },
  { "timeout", 't', 0, G_OPTION_ARG_INT, &opt_echo_timeout,
    "Fail if no message arrives within MS milliseconds (default 5000; 0: wait until Ctrl-C "
    "or --count)", "MS" },
  { "wait-server", 'w', 0, G_OPTION_ARG_NONE, &opt_wait_server,
    "Keep waiting while the stream server is gone (default: exit 4)", NULL },
  { "short", 0, 0, G_OPTION_ARG_NONE, &s_short,
    "Cut payloads short: JSON text to 100 bytes, raw bytes to 16, arrays to their first 5 "
    "samples, strings to 40 bytes (with --json: no base64 of bytes)", NULL },
  { NULL, 0, 0, 0, NULL, NULL, NULL }
};

/* ---- echo: values with their description -------------------------------- */

#define ECHO_SAMPLES_SHOWN 5            /* --short: first samples of an array */
#define ECHO_STRING_SHOWN 40            /* --short: bytes of a string field */
#define ECHO_JSON_MAX (16 * 1024 * 1024) /* larger payloads are shown as sent */

/* Marks on a terminal: ALARM white on red, WARNING yellow (not when stdout
 * is a pipe or a file, nor with NO_COLOR set). */
static gboolean s_color = FALSE;

static void
s_append_double (GString *out, double x, int precision)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];
  char format[16];

  /* Locale-independent: always a '.' */
  g_snprintf (format, sizeof format, precision >= 0 ? "%%.%df" : "%%.10g", CLAMP (precision, 0, 20));
  g_string_append (out, g_ascii_formatd (buf, sizeof buf, format, x));
}

static void
s_append_number (GString *out, json_t *v, int precision)
{
  if (precision < 0 && json_is_integer (v))
    g_string_append_printf (out, "%" JSON_INTEGER_FORMAT, json_integer_value (v));
  else
    s_append_double (out, json_number_value (v), precision);
}

static void
s_append_unit (GString *out, const char *unit)
{
  if (unit != NULL)
    g_string_append_printf (out, " %s", unit);
}

/* "N samples: a b c d e ... UNIT (min x, max y)"; FALSE if v is not a
 * non-empty array of numbers. */
static gboolean
s_append_samples (GString *out, json_t *v, const DescValue *d)
{
  gsize n = json_array_size (v);
  double lo = INFINITY, hi = -INFINITY;

  if (!json_is_array (v) || n == 0)
    return FALSE;
  for (gsize i = 0; i < n; i++)
    {
      json_t *e = json_array_get (v, i);

      if (!json_is_number (e))
        return FALSE;
      lo = MIN (lo, json_number_value (e));
      hi = MAX (hi, json_number_value (e));
    }
  g_string_append_printf (out, "%" G_GSIZE_FORMAT " sample%s:", n, n == 1 ? "" : "s");
  for (gsize i = 0; i < (s_short ? MIN (n, ECHO_SAMPLES_SHOWN) : n); i++)
    {
      g_string_append_c (out, ' ');
      s_append_number (out, json_array_get (v, i), d->precision);
    }
  if (s_short && n > ECHO_SAMPLES_SHOWN)
    g_string_append (out, " ...");
  s_append_unit (out, d->unit);
  if (n > 1)
    {
      g_string_append (out, " (min ");
      s_append_double (out, lo, d->precision);
      g_string_append (out, ", max ");
      s_append_double (out, hi, d->precision);
      g_string_append_c (out, ')');
    }
  return TRUE;
}

/* "x=1.000 mm y=2.500 mm ..." in the order of the fields, each shown as
 * what it is (a field of an unknown form too; "?" for a missing field or
 * one that is an array, an object or null); the names of the number fields
 * outside their warning (alarm) limits go to warned (alarmed). FALSE if v
 * is not an object. */
static gboolean
s_append_fields (GString *out, json_t *v, const Desc *d, GString *warned, GString *alarmed)
{
  if (!json_is_object (v) || d->fields == NULL)
    return FALSE;
  for (guint i = 0; i < d->fields->len; i++)
    {
      const DescValue *f = d->fields->pdata[i];
      json_t *x = json_object_get (v, f->key);

      g_string_append_printf (out, "%s%s=", i ? " " : "", f->name);
      if (json_is_number (x))
        {
          int level = cli_desc_level (f, json_number_value (x));
          GString *names = level == 2 ? alarmed : level == 1 ? warned : NULL;

          s_append_number (out, x, f->precision);
          s_append_unit (out, f->unit);
          if (names != NULL)
            g_string_append_printf (names, "%s%s", names->len ? "," : "", f->name);
        }
      else if (json_is_boolean (x))
        g_string_append (out, json_is_true (x) ? "true" : "false");
      else if (json_is_string (x))
        {
          const char *text = json_string_value (x);
          gsize len = json_string_length (x);
          gsize cut = s_short ? MIN (len, ECHO_STRING_SHOWN) : len;
          g_autofree char *safe = NULL;

          while (cut > 0 && cut < len && ((guchar) text[cut] & 0xc0) == 0x80)
            cut--; /* not within a character */
          safe = cli_safe (text, (gssize) cut, FALSE);
          g_string_append_printf (out, "\"%s%s\"", safe, cut < len ? "..." : "");
        }
      else
        g_string_append_c (out, '?');
    }
  return TRUE;
}

/* The view of a JSON message of a described stream, or NULL when its value
 * does not have the described form (it is then shown as sent). The number
 * fields outside their limits go to warned and alarmed. (transfer full) */
static char *
s_described_view (const OlStreamMessage *m, const Desc *d, GString *warned,
                  GString *alarmed)
{
  gsize size;
  const char *data = g_bytes_get_data (m->payload, &size);
  g_autoptr (json_t) v = NULL;
  GString *out;
  gboolean shown = FALSE;

  if (m->encoding != OL_ENCODING_JSON || size > ECHO_JSON_MAX || size == 0)
    return NULL;
  v = json_loadb (data, size, JSON_DECODE_ANY, NULL);
  if (v == NULL)
    return NULL;
  out = g_string_new (NULL);
  if (json_is_number (v) && (d->value.form == FORM_NUMBER || d->value.form == FORM_NONE))
    {
      s_append_number (out, v, d->value.precision);
      s_append_unit (out, d->value.unit);
      shown = TRUE;
    }
  else if (json_is_array (v) && (d->value.form == FORM_ARRAY || d->value.form == FORM_NONE))
    shown = s_append_samples (out, v, &d->value);
  else if (d->value.form == FORM_OBJECT)
    shown = s_append_fields (out, v, d, warned, alarmed);
  return g_string_free (out, !shown);
}

/* The server's "streams" reply, from one call bounded by the client's
 * timeout and the grace a stream server gets to be reachable; NULL if the
 * server did not answer (a plain PUB, say): then *why says why. */
json_t *
cli_list_streams (OlClient *client, char **why)
{
  g_autoptr (GError) error = NULL;
  json_t *streams;

  *why = NULL;
  ol_client_set_timeout (client, MIN (cli_timeout_ms, SERVER_CONNECT_GRACE_US / 1000));
  streams = ol_client_list_streams (client, &error);
  ol_client_set_timeout (client, cli_timeout_ms);
  if (streams != NULL && json_is_object (streams))
    return streams;
  *why = cli_safe (error ? error->message : "not an object", -1, FALSE);
  json_decref (streams);
  return NULL;
}

/* What the server says of stream name (streams: its "streams" reply, or
 * NULL when it did not answer, then the command goes on as if the stream
 * were there). Returns -1 to go on, *entry (transfer full) its entry or
 * NULL; else the exit status: the stream does not exist. A disabled stream
 * is said on stderr. */
int
cli_stream_find (json_t *streams, const char *command, const char *name, json_t **entry)
{
  g_autofree char *safe_name = cli_safe (name, MIN (strlen (name), 200), FALSE);
  json_t *found;

  *entry = NULL;
  if (streams == NULL)
    return -1;
  found = json_object_get (streams, name);
  if (found == NULL)
    {
      fprintf (stderr, "oneliner: %s %s: no stream named \"%s\" on the server "
               "(oneliner streams lists them)\n", command, safe_name, safe_name);
      return EXIT_ERROR;
    }
  if (json_is_false (json_object_get (found, "enabled")))
    fprintf (stderr, "oneliner: stream %s is disabled: enable it with `oneliner enable %s`\n",
             safe_name, safe_name);
  *entry = json_incref (found);
  return -1;
}

/* cli_list_streams() and cli_stream_find() for one name. */
static int
s_stream_check (OlClient *client, const char *command, const char *name, json_t **entry,
                char **why)
{
  g_autoptr (json_t) streams = cli_list_streams (client, why);

  return cli_stream_find (streams, command, name, entry);
}

/* The description of stream entry; NULL if it has none (a line on stderr
 * says why, if it could not be read or is malformed). (transfer full) */
static Desc *
s_echo_description (const char *safe_name, json_t *entry, const char *not_read)
{
  const char *why = NULL;
  Desc *desc;

  if (not_read != NULL)
    {
      fprintf (stderr, "oneliner: echo %s: stream descriptions not read (%s): values "
               "shown as sent\n", safe_name, not_read);
      return NULL;
    }
  desc = cli_desc_parse (entry, &why);
  if (desc == NULL && why != NULL)
    fprintf (stderr, "oneliner: echo %s: the stream's description is malformed (%s): "
             "values shown as sent\n", safe_name, why);
  return desc;
}

typedef struct {
  guint64 shown;     /* messages and error messages */
  guint64 warnings;  /* messages with OL_STATUS_WARNING */
  guint64 alarms;    /* messages with OL_STATUS_ALARM */
} EchoCounts;

/* One stream that echo prints. */
typedef struct {
  const char *name;  /* interned */
  char *safe;        /* (owned) the name, safe for a terminal */
  Desc *desc;        /* (owned) (nullable) */
} EchoStream;

static void
s_echo_stream_free (gpointer data)
{
  EchoStream *es = data;

  g_free (es->safe);
  cli_desc_free (es->desc);
  g_free (es);
}

static const char *
s_encoding_name (OlEncoding encoding)
{
  switch (encoding)
    {
    case OL_ENCODING_RAW: return "raw";
    case OL_ENCODING_JSON: return "json";
    case OL_ENCODING_IMAGE: return "image";
    }
  return "unknown";
}

/* A message as one JSON line (README, "Output as JSON"). */
static void
s_echo_message_json (const EchoStream *es, const OlStreamMessage *m)
{
  static const char *const formats[] = { "none", "gray8", "gray16", "rgb8" };
  g_autoptr (json_t) line = json_pack ("{s:s, s:I, s:I, s:I, s:s}", "stream", es->safe,
                                       "sequence", (json_int_t) m->sequence,
                                       "timestamp", (json_int_t) m->timestamp,
                                       "status", (json_int_t) m->status,
                                       "encoding", s_encoding_name (m->encoding));
  gsize size;
  const char *data = g_bytes_get_data (m->payload, &size);
  json_t *value = NULL;

  if (m->status & OL_STATUS_ERROR)
    {
      g_autoptr (GError) error = ol_stream_message_error (m);
      g_autofree char *message = cli_safe (error->message, -1, FALSE);

      json_object_set_new (line, "error", json_pack ("{s:i, s:s}", "code", error->code,
                                                     "message", message));
      cli_print_json (line);
      return;
    }
  if (m->encoding == OL_ENCODING_IMAGE)
    json_object_set_new (line, "image",
                         json_pack ("{s:i, s:i, s:s}", "width", (int) m->image.width,
                                    "height", (int) m->image.height, "format",
                                    (guint) m->image.format < G_N_ELEMENTS (formats)
                                      ? formats[m->image.format] : "unknown"));
  if (m->encoding == OL_ENCODING_JSON && size > 0 && size <= ECHO_JSON_MAX)
    value = json_loadb (data, size, JSON_DECODE_ANY, NULL);
  if (value != NULL)
    json_object_set_new (line, "value", value);
  else
    {
      json_object_set_new (line, "size", json_integer ((json_int_t) size));
      if (!s_short)
        {
          g_autofree char *b64 = g_base64_encode ((const guchar *) data, size);
          json_object_set_new (line, "base64", json_string (b64));
        }
    }
  cli_print_json (line);
}

/* Prints one message: [stream name,] time, sequence number, view, marks. */
static void
s_echo_message (const EchoStream *es, gboolean prefix, const OlStreamMessage *m,
                EchoCounts *counts)
{
  g_autoptr (GString) warned = g_string_new (NULL);
  g_autoptr (GString) alarmed = g_string_new (NULL);
  g_autofree char *view = NULL;
  gint64 s = m->timestamp / 1000000000;
  g_autoptr (GDateTime) dt = g_date_time_new_from_unix_local (s);
  g_autofree char *when = dt != NULL ? g_date_time_format (dt, "%H:%M:%S")
                                     : g_strdup ("--:--:--");
  g_autoptr (GString) mark = g_string_new (NULL);

  if (m->status & OL_STATUS_ALARM)
    counts->alarms++;
  else if (m->status & OL_STATUS_WARNING)
    counts->warnings++;
  if (cli_json)
    {
      s_echo_message_json (es, m);
      fflush (stdout);
      return;
    }
  if (m->status & OL_STATUS_ERROR)
    {
      g_autoptr (GError) error = ol_stream_message_error (m);
      g_autofree char *message = cli_safe (error->message, -1, FALSE);

      printf ("%s%serror: %s\n", prefix ? es->safe : "", prefix ? ": " : "", message);
      fflush (stdout);
      return;
    }
  view = es->desc != NULL ? s_described_view (m, es->desc, warned, alarmed) : NULL;
  if (view == NULL)
    view = s_payload_view (m);
  if (m->status & OL_STATUS_ALARM)
    {
      g_string_append_printf (mark, "  %s!! ALARM !!%s", s_color ? "\033[1;97;41m" : "",
                              s_color ? "\033[0m" : "");
      if (alarmed->len)
        g_string_append_printf (mark, " %s", alarmed->str);
    }
  else if (m->status & OL_STATUS_WARNING)
    {
      g_string_append_printf (mark, "  %sWARNING%s", s_color ? "\033[1;33m" : "",
                              s_color ? "\033[0m" : "");
      if (warned->len)
        g_string_append_printf (mark, " %s", warned->str);
    }
  printf ("%s%s%s.%06d seq %" G_GUINT64_FORMAT "%s %s%s\n", prefix ? es->safe : "",
          prefix ? ": " : "", when, (int) ((m->timestamp % 1000000000) / 1000), m->sequence,
          (m->status & OL_STATUS_OVERRUN) ? " late" : "", view, mark->str);
  fflush (stdout);
}

/* Waiting for messages of any configured stream: a watch of every stream
 * sets s_ready on the default GMainContext. */
static gboolean s_ready = FALSE;

static void
s_on_messages (OlClient *client, const char *name, gpointer data)
{
  (void) client, (void) name, (void) data;
  s_ready = TRUE;
}

static gboolean
s_on_wait_over (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Waits at most ms for new messages of a configured stream or Ctrl-C. */
static void
s_wait_messages (int ms)
{
  gboolean over = FALSE;
  guint timer;

  if (s_ready || s_interrupted)
    {
      s_ready = FALSE;
      return;
    }
  timer = g_timeout_add (MAX (ms, 1), s_on_wait_over, &over);
  while (!s_ready && !over && !s_interrupted)
    g_main_context_iteration (NULL, TRUE);
  if (!over)
    g_source_remove (timer);
  s_ready = FALSE;
}

/* The loop of echo; returns its exit status. */
static int
s_echo_loop (OlClient *client, GPtrArray *streams, EchoCounts *counts)
{
  ServerState server = { FALSE, FALSE };
  gint64 deadline = g_get_monotonic_time () + (gint64) opt_echo_timeout * 1000;
  guint next = 0;

  while (!s_interrupted && (opt_echo_count == 0 || counts->shown < (guint64) opt_echo_count))
    {
      gboolean got = FALSE;
      gint64 now;

      g_main_context_iteration (NULL, FALSE);
      /* One message of each stream in turn, so that none starves the others. */
      for (guint k = 0; k < streams->len; k++)
        {
          EchoStream *es = streams->pdata[(next + k) % streams->len];
          g_autoptr (GError) error = NULL;
          g_autoptr (GPtrArray) ms = NULL;

          if (opt_echo_count != 0 && counts->shown >= (guint64) opt_echo_count)
            break;
          ms = ol_client_pop_stream (client, es->name, 1, 0, &error);
          if (ms == NULL || ms->len == 0)
            continue;
          s_echo_message (es, streams->len > 1, ms->pdata[0], counts);
          counts->shown++;
          got = TRUE;
        }
      next++;
      if (!s_check_server (client, &server, got))
        return EXIT_SERVER_GONE;
      now = g_get_monotonic_time ();
      /* --timeout counts from the last message, and does not run while the
       * server is gone. */
      if (got || server.gone)
        {
          deadline = now + (gint64) opt_echo_timeout * 1000;
          if (got)
            continue;
        }
      if (opt_echo_timeout > 0 && now >= deadline)
        {
          GString *names = g_string_new (NULL);

          for (guint i = 0; i < streams->len && i < 4; i++)
            g_string_append_printf (names, "%s%s", i ? " " : "",
                                    ((EchoStream *) streams->pdata[i])->safe);
          if (streams->len > 4)
            g_string_append (names, " ...");
          fprintf (stderr, "oneliner: echo %s: no message within %d ms\n", names->str,
                   opt_echo_timeout);
          g_string_free (names, TRUE);
          return EXIT_TIMEOUT;
        }
      s_wait_messages (opt_echo_timeout > 0 ? (int) MIN (100, (deadline - now) / 1000 + 1)
                                            : 100);
    }
  return EXIT_OK;
}

/* Streams echo prints at most. */
#define ECHO_STREAMS_MAX 1000

static gboolean
s_is_glob (const char *name)
{
  return strpbrk (name, "*?") != NULL;
}

/* The streams named by args (names, or globs with * and ? matched against
 * the server's list), each once, in the order given (a glob's matches in
 * name order), subscribed as queues. Returns -1 to go on, else the exit
 * status (an unknown name, a glob that matches nothing). */
static int
s_echo_streams (OlClient *client, int n, char **args, GPtrArray *out)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (json_t) streams = NULL;
  g_autoptr (GPtrArray) names = g_ptr_array_new ();
  g_autofree char *not_read = NULL;

  /* Names subscribed first: the messages sent meanwhile wait in the queue. */
  for (int i = 0; i < n; i++)
    if (!s_is_glob (args[i])
        && !ol_client_configure_stream (client, args[i], OL_STORAGE_QUEUE, 100000, &error))
      return cli_fail (args[i], error);
  streams = cli_list_streams (client, &not_read);
  for (int i = 0; i < n; i++)
    {
      g_autofree char *safe = cli_safe (args[i], MIN (strlen (args[i]), 200), FALSE);
      g_autoptr (GPtrArray) keys = NULL;
      guint matched = 0;

      if (!s_is_glob (args[i]))
        {
          g_autoptr (json_t) entry = NULL;
          int status = cli_stream_find (streams, "echo", args[i], &entry);

          if (status >= 0)
            return status;
          g_ptr_array_add (names, (gpointer) g_intern_string (args[i]));
          continue;
        }
      if (streams == NULL)
        {
          fprintf (stderr, "oneliner: echo %s: the server did not list its streams (%s), "
                   "so a pattern cannot be matched\n", safe, not_read);
          return EXIT_ERROR;
        }
      keys = ol_json_sorted_keys (streams);
      for (guint k = 0; k < keys->len; k++)
        if (g_pattern_match_simple (args[i], keys->pdata[k]))
          {
            if (names->len >= ECHO_STREAMS_MAX)
              {
                fprintf (stderr, "oneliner: echo %s: more than %d streams to print\n", safe,
                         ECHO_STREAMS_MAX);
                return EXIT_ERROR;
              }
            g_ptr_array_add (names, (gpointer) g_intern_string (keys->pdata[k]));
            matched++;
          }
      if (matched == 0)
        {
          fprintf (stderr, "oneliner: echo %s: no stream matches \"%s\" on the server "
                   "(oneliner streams lists them)\n", safe, safe);
          return EXIT_ERROR;
        }
    }
  for (guint i = 0; i < names->len; i++)
    {
      EchoStream *es;
      gboolean seen = FALSE, literal = FALSE;

      for (guint j = 0; j < out->len; j++)
        seen |= ((EchoStream *) out->pdata[j])->name == names->pdata[i];
      if (seen)
        continue;
      for (int j = 0; j < n && !literal; j++)
        literal = strcmp (args[j], names->pdata[i]) == 0;
      if (!literal)
        if (!ol_client_configure_stream (client, names->pdata[i], OL_STORAGE_QUEUE, 100000,
                                         &error))
          return cli_fail (names->pdata[i], error);
      es = g_new0 (EchoStream, 1);
      es->name = names->pdata[i];
      es->safe = cli_safe (es->name, MIN (strlen (es->name), 200), FALSE);
      es->desc = s_echo_description (es->safe, json_object_get (streams, es->name), not_read);
      g_ptr_array_add (out, es);
    }
  return -1;
}

int
cli_cmd_echo (OlClient *client, int argc, char **argv)
{
  g_autoptr (GPtrArray) streams = g_ptr_array_new_with_free_func (s_echo_stream_free);
  EchoCounts counts = { 0, 0, 0 };
  int status;

  if (opt_echo_count < 0 || opt_echo_timeout < 0)
    return cli_usage_error ("--count and --timeout must be >= 0");
  s_color = isatty (STDOUT_FILENO) && g_getenv ("NO_COLOR") == NULL
            && g_strcmp0 (g_getenv ("TERM"), "dumb") != 0;
  status = s_echo_streams (client, argc - 1, argv + 1, streams);
  if (status >= 0)
    return status;
  ol_client_watch_stream (client, NULL, s_on_messages, NULL, NULL);
  g_unix_signal_add (SIGINT, s_on_interrupt, NULL);
  status = s_echo_loop (client, streams, &counts);
  if (counts.warnings + counts.alarms > 0)
    fprintf (stderr, "oneliner: echo%s%s: %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT
             " messages in warning, %" G_GUINT64_FORMAT " in alarm\n",
             streams->len == 1 ? " " : "",
             streams->len == 1 ? ((EchoStream *) streams->pdata[0])->safe : "",
             counts.warnings, counts.shown, counts.alarms);
  return status;
}

static double opt_hz_duration = 5.0;
GOptionEntry cli_hz_entries[] = {
  { "duration", 'd', 0, G_OPTION_ARG_DOUBLE, &opt_hz_duration,
    "Measure for S seconds (default 5)", "S" },
  { "wait-server", 'w', 0, G_OPTION_ARG_NONE, &opt_wait_server,
    "Keep measuring while the stream server is gone (default: exit 4)", NULL },
  { NULL, 0, 0, 0, NULL, NULL, NULL }
};

static int
s_compare_double (gconstpointer a, gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? -1 : x > y;
}

/* The messages of one measure (hz, bw): their server timestamps and sizes. */
typedef struct {
  GArray *stamps;       /* (owned) gint64 */
  guint64 bytes;        /* payload bytes, error messages too */
  guint64 max_size;
  guint64 messages;     /* messages and error messages */
  guint64 second_messages, second_bytes, second_max;
  double duration;      /* s */
  gboolean was_gone;
  OlStreamCounters counters;
} Measure;

/* One line each second, unless --json: the rate (hz) or the bandwidth (bw). */
static void
s_measure_second (gboolean bw, Measure *m, double seconds)
{
  if (!cli_json && !bw)
    {
      g_autofree char *rate = cli_fixed ((double) m->second_messages / seconds, 2);
      printf ("rate: %s Hz\n", rate);
    }
  else if (!cli_json)
    {
      g_autofree char *rate = cli_bytes_text ((double) m->second_bytes / seconds, TRUE);
      g_autofree char *mean = cli_bytes_text (m->second_messages
                                            ? (double) m->second_bytes / m->second_messages
                                            : 0, FALSE);
      g_autofree char *max = cli_bytes_text ((double) m->second_max, FALSE);

      printf ("bw: %s (%" G_GUINT64_FORMAT " messages, mean %s, max %s)\n", rate,
              m->second_messages, mean, max);
    }
  fflush (stdout);
  m->second_messages = m->second_bytes = m->second_max = 0;
}

/* The path this client's stream side takes for large payloads now (README,
 * "Same-host frames"): TRUE for the server's shared-memory ring, with the
 * payloads taken from it so far and those overwritten before they could be
 * read; payloads smaller than the server's threshold travel on the socket
 * either way. */
static gboolean
s_path (OlClient *client, guint64 *frames, guint64 *torn)
{
  *frames = *torn = 0;
  return ol_client_get_stream_shm (client, frames, torn, NULL);
}

/* One line: "path: shared-memory ring (N payloads from the ring, T
 * overwritten)" or "path: socket". Returns the path said (TRUE: the ring). */
static gboolean
s_print_path (OlClient *client)
{
  guint64 frames, torn;
  gboolean shm = s_path (client, &frames, &torn);

  if (shm)
    printf ("path: shared-memory ring (%" G_GUINT64_FORMAT " payloads from the ring, %"
            G_GUINT64_FORMAT " overwritten)\n", frames, torn);
  else
    printf ("path: socket\n");
  fflush (stdout);
  return shm;
}

/* The path as members of a --json object: "path" ("shm" or "socket"),
 * "shm_frames", "shm_torn". */
static void
s_path_json (json_t *doc, OlClient *client)
{
  guint64 frames, torn;
  gboolean shm = s_path (client, &frames, &torn);

  json_object_set_new (doc, "path", json_string (shm ? "shm" : "socket"));
  json_object_set_new (doc, "shm_frames", json_integer ((json_int_t) frames));
  json_object_set_new (doc, "shm_torn", json_integer ((json_int_t) torn));
}

/* Takes the messages of stream name for --duration; returns -1 when done
 * (m filled), else the exit status. hz without --json says the path of the
 * payloads after the first second's rate and whenever it changes. */
static int
s_measure (OlClient *client, const char *command, const char *name, Measure *m)
{
  g_autoptr (GError) error = NULL;
  gint64 start, end, second;
  ServerState server = { FALSE, FALSE };
  g_autoptr (json_t) entry = NULL;
  g_autofree char *not_read = NULL;
  gboolean bw = strcmp (command, "bw") == 0;
  int path_said = -1; /* the path last said: -1 none yet, else TRUE for the ring */
  int status;

  if (!(opt_hz_duration > 0) || opt_hz_duration > 24 * 3600)
    return cli_usage_error ("--duration must be a number of seconds > 0");
  if (!ol_client_configure_stream (client, name, OL_STORAGE_QUEUE, 1000000, &error))
    return cli_fail (name, error);
  status = s_stream_check (client, command, name, &entry, &not_read);
  if (status >= 0)
    return status;
  g_unix_signal_add (SIGINT, s_on_interrupt, NULL);
  start = g_get_monotonic_time ();
  end = start + (gint64) (opt_hz_duration * G_USEC_PER_SEC);
  second = start + G_USEC_PER_SEC;
  while (!s_interrupted)
    {
      gint64 now = g_get_monotonic_time ();
      g_autoptr (GPtrArray) got = NULL;

      if (now >= second)
        {
          s_measure_second (bw, m, (double) (now - second + G_USEC_PER_SEC) / G_USEC_PER_SEC);
          if (!bw && !cli_json)
            {
              guint64 frames, torn;

              if (path_said != s_path (client, &frames, &torn))
                path_said = s_print_path (client);
            }
          second += G_USEC_PER_SEC;
        }
      if (now >= end)
        break;
      g_main_context_iteration (NULL, FALSE);
      g_clear_error (&error);
      got = ol_client_pop_stream (client, name, 1,
                                  (int) MAX (1, MIN (second, end) - now) / 1000 + 1, &error);
      if (got != NULL && got->len > 0)
        {
          const OlStreamMessage *msg = got->pdata[0];
          guint64 size = g_bytes_get_size (msg->payload);

          /* An error message is a message too. */
          if (!(msg->status & OL_STATUS_ERROR))
            g_array_append_val (m->stamps, msg->timestamp);
          m->messages++;
          m->second_messages++;
          m->bytes += size;
          m->second_bytes += size;
          m->max_size = MAX (m->max_size, size);
          m->second_max = MAX (m->second_max, size);
        }
      if (!s_check_server (client, &server, got != NULL && got->len > 0))
        return EXIT_SERVER_GONE;
      m->was_gone |= server.gone;
    }
  m->duration = (double) (MIN (g_get_monotonic_time (), end) - start) / G_USEC_PER_SEC;
  if (!ol_client_get_stream_counters (client, name, &m->counters, &error))
    return cli_fail (name, error);
  return -1;
}

int
cli_cmd_hz (OlClient *client, int argc, char **argv)
{
  const char *name = argv[1];
  g_autofree char *safe = cli_safe (name, MIN (strlen (name), 200), FALSE);
  Measure m = { g_array_new (FALSE, FALSE, sizeof (gint64)), 0, 0, 0, 0, 0, 0, 0, FALSE, { 0 } };
  g_autoptr (GArray) stamps = m.stamps;
  g_autoptr (GArray) dev = g_array_new (FALSE, FALSE, sizeof (double));
  double rate, mean, p99;
  gint64 first, last;
  int status;

  (void) argc;
  status = s_measure (client, "hz", name, &m);
  if (status >= 0)
    return status;
  if (stamps->len < 2)
    {
      g_autofree char *duration = cli_fixed (m.duration, 1);

      fprintf (stderr, "oneliner: hz %s: %u messages in %s s: too few to measure\n", safe,
               stamps->len, duration);
      return stamps->len == 0 ? EXIT_TIMEOUT : EXIT_ERROR;
    }
  /* Rate and jitter from the server's timestamps: the stream's own schedule. */
  first = g_array_index (stamps, gint64, 0);
  last = g_array_index (stamps, gint64, stamps->len - 1);
  mean = (double) (last - first) / (stamps->len - 1);
  rate = 1e9 / mean;
  for (guint i = 1; i < stamps->len; i++)
    {
      double d = fabs ((double) (g_array_index (stamps, gint64, i)
                                 - g_array_index (stamps, gint64, i - 1)) - mean);
      g_array_append_val (dev, d);
    }
  g_array_sort (dev, s_compare_double);
  p99 = g_array_index (dev, double, (guint) ((dev->len - 1) * 0.99));
  if (cli_json)
    {
      g_autoptr (json_t) doc = json_pack ("{s:s, s:f, s:I, s:I, s:f, s:f, s:b}",
                                          "stream", safe, "rate_hz", rate,
                                          "messages", (json_int_t) m.messages,
                                          "dropped", (json_int_t) (m.counters.missed
                                                                   + m.counters.overflowed),
                                          "p99_jitter_us", p99 / 1000.0,
                                          "duration_s", m.duration,
                                          "server_was_gone", m.was_gone);
      s_path_json (doc, client);
      cli_print_json (doc);
      return EXIT_OK;
    }
  {
    g_autofree char *rate_text = cli_fixed (rate, 2);
    g_autofree char *p99_text = cli_fixed (p99 / 1000.0, 0);

    printf ("average rate: %s Hz, dropped %" G_GUINT64_FORMAT ", p99 jitter %s us%s\n",
            rate_text, m.counters.missed + m.counters.overflowed, p99_text,
            m.was_gone ? " (the stream server was gone for a while)" : "");
  }
  s_print_path (client);
  return EXIT_OK;
}

int
cli_cmd_bw (OlClient *client, int argc, char **argv)
{
  const char *name = argv[1];
  g_autofree char *safe = cli_safe (name, MIN (strlen (name), 200), FALSE);
  Measure m = { g_array_new (FALSE, FALSE, sizeof (gint64)), 0, 0, 0, 0, 0, 0, 0, FALSE, { 0 } };
  g_autoptr (GArray) stamps = m.stamps;
  (void) stamps;
  double rate, mean;
  int status;

  (void) argc;
  status = s_measure (client, "bw", name, &m);
  if (status >= 0)
    return status;
  if (m.messages == 0)
    {
      g_autofree char *duration = cli_fixed (m.duration, 1);

      fprintf (stderr, "oneliner: bw %s: no message in %s s\n", safe, duration);
      return EXIT_TIMEOUT;
    }
  rate = m.duration > 0 ? (double) m.bytes / m.duration : 0;
  mean = (double) m.bytes / m.messages;
  if (cli_json)
    {
      g_autoptr (json_t) doc = json_pack ("{s:s, s:f, s:I, s:I, s:f, s:I, s:I, s:f, s:b}",
                                          "stream", safe, "bytes_per_s", rate,
                                          "messages", (json_int_t) m.messages,
                                          "bytes", (json_int_t) m.bytes,
                                          "mean_size", mean,
                                          "max_size", (json_int_t) m.max_size,
                                          "dropped", (json_int_t) (m.counters.missed
                                                                   + m.counters.overflowed),
                                          "duration_s", m.duration,
                                          "server_was_gone", m.was_gone);
      s_path_json (doc, client);
      cli_print_json (doc);
      return EXIT_OK;
    }
  {
    g_autofree char *rate_text = cli_bytes_text (rate, TRUE);
    g_autofree char *mean_text = cli_bytes_text (mean, FALSE);
    g_autofree char *max_text = cli_bytes_text ((double) m.max_size, FALSE);
    g_autofree char *duration = cli_fixed (m.duration, 1);

    printf ("average: %s, %" G_GUINT64_FORMAT " messages in %s s, mean %s, max %s, "
            "dropped %" G_GUINT64_FORMAT "%s\n", rate_text, m.messages, duration, mean_text,
            max_text, m.counters.missed + m.counters.overflowed,
            m.was_gone ? " (the stream server was gone for a while)" : "");
  }
  return EXIT_OK;
}
