/* oneliner: the command-line client: options, the command table, and the
 * commands that call and list (call, call-named, list, version, streams,
 * mounts, info NAME, enable, disable, keygen). */
#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <oneliner/oneliner.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#include "oneliner_cli.h"
#include "oneliner_desc.h"

static char *opt_rpc = NULL;
static char *opt_stream = NULL;
int cli_timeout_ms = OL_CLIENT_DEFAULT_TIMEOUT_MS;
static char *opt_secret_key = NULL;
static char *opt_server_key = NULL;
static gboolean opt_version = FALSE;
gboolean cli_json = FALSE;

static GOptionEntry s_global_entries[] = {
  { "rpc", 'r', 0, G_OPTION_ARG_STRING, &opt_rpc,
    "Server RPC endpoint (default " OL_DEFAULT_RPC_CONNECT ")", "ENDPOINT" },
  { "stream", 's', 0, G_OPTION_ARG_STRING, &opt_stream,
    "Server stream endpoint (default " OL_DEFAULT_STREAM_CONNECT ")", "ENDPOINT" },
  { "timeout", 't', 0, G_OPTION_ARG_INT, &cli_timeout_ms,
    "Bound of every request in milliseconds (default 5000)", "MS" },
  { "secret-key", 0, 0, G_OPTION_ARG_FILENAME, &opt_secret_key,
    "This client's secret key (oneliner keygen), for a server with keys", "FILE" },
  { "server-key", 0, 0, G_OPTION_ARG_FILENAME, &opt_server_key,
    "The server's public key (its NAME.pub)", "FILE" },
  { "version", 0, 0, G_OPTION_ARG_NONE, &opt_version,
    "Print the version and exit", NULL },
  { NULL, 0, 0, 0, NULL, NULL, NULL }
};

/* --json, of the commands that print data. */
static GOptionEntry s_json_entries[] = {
  { "json", 'j', 0, G_OPTION_ARG_NONE, &cli_json,
    "Print the data as JSON (README, \"Output for scripts\")", NULL },
  { NULL, 0, 0, 0, NULL, NULL, NULL }
};

typedef int (*CommandFunc) (OlClient *client, int argc, char **argv);

typedef struct {
  const char *name;
  const char *params;
  const char *summary;
  CommandFunc func;
  int min_args, max_args;
  GOptionEntry *entries;
  /* (nullable) a command that makes no OlClient of this process: run
   * instead of func, with the global options */
  int (*local) (const CliGlobals *globals, int argc, char **argv);
} Command;

static const Command *s_command;

/* Text received from a server, made safe for a terminal: each control
 * character (U+0000 to U+001F, U+007F, U+0080 to U+009F) becomes \u00XX in
 * JSON text (still valid JSON: control characters stand only inside strings
 * there) or \xXX in other text; a byte that is not part of a valid UTF-8
 * character becomes \xXX. (transfer full) */
static char *
s_safe (const char *text, gssize len, gboolean json)
{
  gsize n = len < 0 ? strlen (text) : (gsize) len;
  GString *out = g_string_sized_new (n);
  const char *p = text, *end = text + n;

  while (p < end)
    {
      guchar c = (guchar) *p;
      gunichar u = g_utf8_get_char_validated (p, end - p);

      if (u == (gunichar) -1 || u == (gunichar) -2)
        {
          g_string_append_printf (out, "\\x%02x", c);
          p++;
        }
      else if (u < 0x20 || (u >= 0x7f && u <= 0x9f))
        {
          g_string_append_printf (out, json ? "\\u%04x" : "\\x%02x", u);
          p = g_utf8_next_char (p);
        }
      else
        {
          const char *next = g_utf8_next_char (p);
          g_string_append_len (out, p, next - p);
          p = next;
        }
    }
  return g_string_free (out, FALSE);
}

/* s_safe of the string member key of obj, or of fallback when there is no
 * such string. (transfer full) */
static char *
s_safe_member (json_t *obj, const char *key, const char *fallback)
{
  json_t *v = json_object_get (obj, key);

  return s_safe (json_is_string (v) ? json_string_value (v) : fallback, -1, FALSE);
}

char *
cli_safe (const char *text, gssize len, gboolean json)
{
  return s_safe (text, len, json);
}

/* x with digits after the point, whatever the locale. (transfer full) */
char *
cli_fixed (double x, int digits)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];
  char format[16];

  g_snprintf (format, sizeof format, "%%.%df", CLAMP (digits, 0, 20));
  return g_strdup (g_ascii_formatd (buf, sizeof buf, format, x));
}

/* A number of bytes (per second with per_s) in B, kB, MB or GB (powers of
 * 1000), 3 significant digits. (transfer full) */
char *
cli_bytes_text (double bytes, gboolean per_s)
{
  static const char *const units[] = { "B", "kB", "MB", "GB" };
  guint u = 0;
  g_autofree char *number = NULL;

  while (bytes >= 1000 && u + 1 < G_N_ELEMENTS (units))
    bytes /= 1000, u++;
  number = cli_fixed (bytes, u == 0 ? 0 : bytes < 10 ? 2 : bytes < 100 ? 1 : 0);
  return g_strdup_printf ("%s %s%s", number, units[u], per_s ? "/s" : "");
}

int
cli_fail (const char *what, GError *error)
{
  g_autofree char *message = s_safe (error->message, -1, FALSE);

  fprintf (stderr, "oneliner: %s: %s\n", what, message);
  return g_error_matches (error, OL_ERROR, OL_ERROR_TIMEOUT) ? EXIT_TIMEOUT : EXIT_ERROR;
}

int
cli_usage_error (const char *fmt, ...)
{
  va_list ap;
  g_autofree char *msg = NULL;

  va_start (ap, fmt);
  msg = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  fprintf (stderr, "oneliner %s: %s (try 'oneliner %s --help')\n", s_command->name, msg,
           s_command->name);
  return EXIT_USAGE;
}

void
cli_print_json (json_t *value)
{
  g_autofree char *text = ol_json_dumps (value, JSON_ENCODE_ANY | JSON_COMPACT);
  g_autofree char *safe = text != NULL ? s_safe (text, -1, TRUE) : g_strdup ("null");

  printf ("%s\n", safe);
}

/* Prints value as indented JSON with sorted keys, so that two outputs diff
 * well. Every newline of the text is one of the indentation's (jansson
 * escapes control characters inside strings), so each line is made safe on
 * its own. */
void
cli_print_json_pretty (json_t *value)
{
  g_autofree char *text = ol_json_dumps (value, JSON_ENCODE_ANY | JSON_INDENT (2) | JSON_SORT_KEYS);
  g_auto (GStrv) lines = g_strsplit (text != NULL ? text : "null", "\n", -1);

  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_autofree char *safe = s_safe (lines[i], -1, TRUE);
      printf ("%s\n", safe);
    }
}

/* Parses an optional ARGS_JSON (array) and KWARGS_JSON (object). */
static gboolean
s_parse_args (int argc, char **argv, int first, json_t **args, json_t **kwargs,
              int *status)
{
  const char *what[2] = { "ARGS_JSON", "KWARGS_JSON" };
  json_t **out[2] = { args, kwargs };

  *args = *kwargs = NULL;
  for (int i = 0; i < 2 && first + i < argc; i++)
    {
      json_error_t jerr;
      json_t *v = json_loads (argv[first + i], JSON_DECODE_ANY, &jerr);

      if (v == NULL)
        {
          g_clear_pointer (args, json_decref);
          *status = cli_usage_error ("%s is not valid JSON: %s (column %d): %s", what[i],
                                   jerr.text, jerr.column, argv[first + i]);
          return FALSE;
        }
      if (i == 0 ? !json_is_array (v) : !json_is_object (v))
        {
          json_decref (v);
          g_clear_pointer (args, json_decref);
          *status = cli_usage_error ("%s must be a JSON %s, e.g. '%s'", what[i],
                                   i == 0 ? "array" : "object",
                                   i == 0 ? "[1, 2.5]" : "{\"mm\": 2.5}");
          return FALSE;
        }
      *out[i] = v;
    }
  return TRUE;
}

static int
s_cmd_call (OlClient *client, int argc, char **argv)
{
  const char *object = strcmp (argv[1], "-") == 0 ? NULL : argv[1];
  const char *method = argv[2];
  g_autoptr (GError) error = NULL;
  json_t *args, *kwargs;
  json_t *result;
  g_autofree char *what = NULL;
  int status;

  if (!s_parse_args (argc, argv, 3, &args, &kwargs, &status))
    return status;
  what = object ? g_strdup_printf ("call %s.%s", object, method)
                : g_strdup_printf ("call %s", method);
  result = ol_client_call (client, object, method, args, kwargs, &error);
  json_decref (args);
  json_decref (kwargs);
  if (result == NULL)
    return cli_fail (what, error);
  cli_print_json (result);
  json_decref (result);
  return EXIT_OK;
}

static int
s_cmd_call_named (OlClient *client, int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *what = g_strdup_printf ("call-named %s", argv[1]);
  json_t *args, *kwargs;
  json_t *result;
  int status;

  if (!s_parse_args (argc, argv, 2, &args, &kwargs, &status))
    return status;
  result = ol_client_call_named (client, argv[1], args, kwargs, &error);
  json_decref (args);
  json_decref (kwargs);
  if (result == NULL)
    return cli_fail (what, error);
  cli_print_json (result);
  json_decref (result);
  return EXIT_OK;
}


static void
s_print_callables (const char *prefix, json_t *table)
{
  g_autoptr (GPtrArray) keys = ol_json_sorted_keys (table);

  for (guint i = 0; i < keys->len; i++)
    {
      json_t *d = json_object_get (table, keys->pdata[i]);
      printf ("%s%s%s\n", prefix, (char *) keys->pdata[i],
              json_string_value (json_object_get (d, "signature")));
    }
}

static int
s_cmd_list (OlClient *client, int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  json_t *list = ol_client_list (client, &error);
  json_t *instances, *named;
  g_autoptr (GPtrArray) keys = NULL;

  (void) argc, (void) argv;
  if (list == NULL)
    return cli_fail ("list", error);
  if (cli_json)
    {
      cli_print_json (list);
      json_decref (list);
      return EXIT_OK;
    }
  instances = json_object_get (list, "instances");
  keys = ol_json_sorted_keys (instances);
  for (guint i = 0; i < keys->len; i++)
    {
      g_autofree char *prefix = g_strdup_printf ("%s.", (char *) keys->pdata[i]);
      s_print_callables (prefix, json_object_get (instances, keys->pdata[i]));
    }
  s_print_callables ("", json_object_get (list, "functions"));
  named = json_object_get (list, "named_calls");
  g_clear_pointer (&keys, g_ptr_array_unref);
  keys = ol_json_sorted_keys (named);
  for (guint i = 0; i < keys->len; i++)
    {
      json_t *n = json_object_get (named, keys->pdata[i]);
      const char *object = json_string_value (json_object_get (n, "object"));
      g_autofree char *args = ol_json_dumps (json_object_get (n, "args"), JSON_COMPACT);
      g_autofree char *kwargs = ol_json_dumps (json_object_get (n, "kwargs"), JSON_COMPACT);

      printf ("named %s = %s%s%s %s %s\n", (char *) keys->pdata[i],
              object ? object : "", object ? "." : "",
              json_string_value (json_object_get (n, "method")), args, kwargs);
    }
  json_decref (list);
  return EXIT_OK;
}

static int
s_cmd_version (OlClient *client, int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  json_t *v;

  (void) argc, (void) argv;
  if (!cli_json)
    printf ("client %s protocol %d\n", ol_version_string (), OL_PROTOCOL_VERSION);
  v = ol_client_version (client, &error);
  if (v == NULL)
    return cli_fail ("version", error);
  if (cli_json)
    {
      g_autoptr (json_t) doc = json_pack ("{s:{s:s, s:i}, s:O}", "client", "version",
                                          ol_version_string (), "protocol",
                                          OL_PROTOCOL_VERSION, "server", v);
      cli_print_json (doc);
      json_decref (v);
      return EXIT_OK;
    }
  {
    json_t *server = json_object_get (v, "server");
    g_autofree char *safe = s_safe (json_is_string (server) ? json_string_value (server) : "?",
                                    json_is_string (server)
                                      ? (gssize) MIN (json_string_length (server), 64) : -1,
                                    FALSE);

    printf ("server %s protocol %d\n", safe,
            (int) json_integer_value (json_object_get (v, "protocol")));
  }
  json_decref (v);
  return EXIT_OK;
}

/* Appends text padded with spaces to width characters (printf pads bytes,
 * and a unit such as "µm" has more bytes than characters). */
static void
s_append_padded (GString *out, const char *text, guint width, gboolean right)
{
  glong chars = g_utf8_strlen (text, -1);

  if (!right)
    g_string_append (out, text);
  for (glong i = chars; i < (glong) width; i++)
    g_string_append_c (out, ' ');
  if (right)
    g_string_append (out, text);
}

/* ---- streams ------------------------------------------------------------ */


/* A count of the stream's statistics, or "-" when the server sends none or
 * (for warnings and alarms) has no limits to check and counted none.
 * (transfer full) */
static char *
s_stat_text (json_t *stats, const char *key, gboolean checked)
{
  json_t *v = json_object_get (stats, key);

  if (!json_is_integer (v) || (!checked && json_integer_value (v) == 0))
    return g_strdup ("-");
  return g_strdup_printf ("%" JSON_INTEGER_FORMAT, json_integer_value (v));
}

static int
s_cmd_streams (OlClient *client, int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  json_t *streams = ol_client_list_streams (client, &error);
  g_autoptr (GPtrArray) keys = NULL;
  g_autoptr (GPtrArray) units = NULL;
  guint unit_width = strlen ("UNIT");
  GString *line = g_string_new (NULL);

  (void) argc, (void) argv;
  if (streams == NULL)
    return cli_fail ("streams", error);
  if (cli_json)
    {
      cli_print_json_pretty (streams);
      json_decref (streams);
      return EXIT_OK;
    }
  keys = ol_json_sorted_keys (streams);
  units = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < keys->len; i++)
    {
      g_autoptr (Desc) desc = cli_desc_parse (json_object_get (streams, keys->pdata[i]), NULL);
      char *unit = cli_desc_unit (desc);

      unit_width = MAX (unit_width, (guint) g_utf8_strlen (unit, -1));
      g_ptr_array_add (units, unit);
    }
  g_string_printf (line, "%-24s %-8s %9s %-8s %-8s ", "NAME", "KIND", "HZ", "ENABLED",
                   "ENCODING");
  s_append_padded (line, "UNIT", unit_width, FALSE);
  g_string_append_printf (line, " %10s %9s %8s %8s %7s %s", "RATE", "OVERRUNS", "DROPPED",
                          "WARNINGS", "ALARMS", "PATH");
  printf ("%s\n", line->str);
  for (guint i = 0; i < keys->len; i++)
    {
      json_t *d = json_object_get (streams, keys->pdata[i]);
      json_t *stats = json_object_get (d, "stats");
      json_t *hz = json_object_get (d, "hz");
      g_autoptr (Desc) desc = cli_desc_parse (d, NULL);
      gboolean limited = cli_desc_limited (desc);
      g_autofree char *name = s_safe (keys->pdata[i], -1, FALSE);
      g_autofree char *kind = s_safe_member (d, "kind", "-");
      g_autofree char *encoding = s_safe_member (d, "encoding", "-");
      g_autofree char *hz_text = json_is_number (hz) ? cli_fixed (json_number_value (hz), 2)
                                                     : g_strdup ("-");
      g_autofree char *rate = cli_fixed (json_number_value (json_object_get (stats, "rate")), 2);
      g_autofree char *warnings = s_stat_text (stats, "warnings", limited);
      g_autofree char *alarms = s_stat_text (stats, "alarms", limited);
      json_t *shm = json_object_get (stats, "shm");
      /* Which path same-host subscribers take for its large payloads now:
       * the server's shared-memory ring, or the socket ("-": not said). */
      const char *path = !json_is_boolean (shm) ? "-" : json_is_true (shm) ? "shm" : "socket";

      g_string_printf (line, "%-24s %-8s %9s %-8s %-8s ", name, kind, hz_text,
                       json_is_true (json_object_get (d, "enabled")) ? "yes" : "no", encoding);
      s_append_padded (line, units->pdata[i], unit_width, FALSE);
      g_string_append_printf (line, " %8s/s %9" JSON_INTEGER_FORMAT " %8"
                              JSON_INTEGER_FORMAT " %8s %7s %s", rate,
                              json_integer_value (json_object_get (stats, "overruns")),
                              json_integer_value (json_object_get (stats, "dropped")),
                              warnings, alarms, path);
      printf ("%s\n", line->str);
    }
  g_string_free (line, TRUE);
  json_decref (streams);
  return EXIT_OK;
}

static int
s_cmd_mounts (OlClient *client, int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (OlReply) reply = NULL;
  g_autoptr (GPtrArray) keys = NULL;
  json_t *mounts;

  (void) argc, (void) argv;
  reply = ol_client_request (client, "mounts", json_object (), NULL, OL_CALL_NONE, -1, &error);
  if (reply == NULL)
    return cli_fail ("mounts", error);
  mounts = reply->result;
  if (cli_json)
    {
      cli_print_json_pretty (mounts);
      return EXIT_OK;
    }
  if (!json_is_object (mounts))
    {
      fprintf (stderr, "oneliner: mounts: the reply is not an object\n");
      return EXIT_ERROR;
    }
  keys = ol_json_sorted_keys (mounts);
  printf ("%-16s %-5s %10s %10s %11s %10s  %s\n", "MOUNT", "STATE", "FORWARDED", "REPLIES",
          "UNREACHABLE", "RELAYED", "UPSTREAM");
  for (guint i = 0; i < keys->len; i++)
    {
      json_t *m = json_object_get (mounts, keys->pdata[i]);

      g_autofree char *name = s_safe (keys->pdata[i], -1, FALSE);
      g_autofree char *rpc = s_safe_member (m, "rpc", "?");
      g_autofree char *stream = s_safe_member (m, "stream", "?");

      printf ("%-16s %-5s %10" JSON_INTEGER_FORMAT " %10" JSON_INTEGER_FORMAT " %11"
              JSON_INTEGER_FORMAT " %10" JSON_INTEGER_FORMAT "  %s %s\n",
              name,
              json_is_true (json_object_get (m, "connected")) ? "up" : "down",
              json_integer_value (json_object_get (m, "calls_forwarded")),
              json_integer_value (json_object_get (m, "replies")),
              json_integer_value (json_object_get (m, "unreachable")),
              json_integer_value (json_object_get (m, "messages_relayed")),
              rpc, stream);
    }
  return EXIT_OK;
}

static int
s_set_enabled (OlClient *client, const char *name, gboolean enabled)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *what = g_strdup_printf ("%s %s", enabled ? "enable" : "disable", name);

  if (!ol_client_set_stream_enabled (client, name, enabled, &error))
    return cli_fail (what, error);
  printf ("%s: %s\n", name, enabled ? "enabled" : "disabled");
  return EXIT_OK;
}

static int
s_cmd_enable (OlClient *client, int argc, char **argv)
{
  (void) argc;
  return s_set_enabled (client, argv[1], TRUE);
}

static int
s_cmd_disable (OlClient *client, int argc, char **argv)
{
  (void) argc;
  return s_set_enabled (client, argv[1], FALSE);
}

/* Prints value on the line of key, as text if it is a string, else as
 * compact JSON; objects of "stats" and "image" member by member. */
static void
s_info_member (const char *key, json_t *value)
{
  g_autofree char *safe_key = s_safe (key, MIN (strlen (key), 64), FALSE);

  if (json_is_object (value) && (strcmp (key, "stats") == 0 || strcmp (key, "image") == 0))
    {
      g_autoptr (GPtrArray) keys = ol_json_sorted_keys (value);

      for (guint i = 0; i < keys->len; i++)
        {
          g_autofree char *sub = g_strdup_printf ("%s.%s", key, (char *) keys->pdata[i]);
          s_info_member (sub, json_object_get (value, keys->pdata[i]));
        }
      return;
    }
  if (json_is_string (value))
    {
      g_autofree char *text = s_safe (json_string_value (value),
                                      (gssize) json_string_length (value), FALSE);
      printf ("%-20s %s\n", safe_key, text);
    }
  else
    {
      g_autofree char *text = ol_json_dumps (value, JSON_ENCODE_ANY | JSON_COMPACT
                                                    | JSON_SORT_KEYS);
      g_autofree char *safe = s_safe (text != NULL ? text : "?", -1, TRUE);
      printf ("%-20s %s\n", safe_key, safe);
    }
}

static int
s_cmd_info (OlClient *client, int argc, char **argv)
{
  const char *name = argv[1];
  g_autoptr (json_t) entry = NULL;
  g_autoptr (GPtrArray) keys = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (json_t) streams = NULL;
  g_autofree char *safe = s_safe (name, MIN (strlen (name), 200), FALSE);
  int status;

  (void) argc;
  if ((streams = ol_client_list_streams (client, &error)) == NULL)
    return cli_fail ("info", error);
  if (!json_is_object (streams))
    {
      fprintf (stderr, "oneliner: info %s: the \"streams\" reply is not an object\n", safe);
      return EXIT_ERROR;
    }
  status = cli_stream_find (streams, "info", name, &entry);
  if (status >= 0)
    return status;
  if (!json_is_object (entry))
    {
      fprintf (stderr, "oneliner: info %s: the server's entry is not an object\n", safe);
      return EXIT_ERROR;
    }
  if (cli_json)
    {
      g_autoptr (json_t) doc = json_deep_copy (entry);

      json_object_set_new (doc, "name", json_string (safe));
      cli_print_json_pretty (doc);
      return EXIT_OK;
    }
  printf ("%-20s %s\n", "name", safe);
  keys = ol_json_sorted_keys (entry);
  for (guint i = 0; i < keys->len; i++)
    s_info_member (keys->pdata[i], json_object_get (entry, keys->pdata[i]));
  return EXIT_OK;
}

static int s_cmd_keygen (OlClient *client, int argc, char **argv);

static const Command s_commands[] = {
  { "call", "OBJECT METHOD [ARGS_JSON] [KWARGS_JSON]",
    "Call METHOD of instance OBJECT ('-' for a free function) and print the\n"
    "result as JSON. ARGS_JSON is a JSON array, KWARGS_JSON a JSON object:\n"
    "  oneliner call stage move_to '[1, 12.5]'\n"
    "  oneliner call stage move_to '[]' '{\"axis\": 1, \"mm\": 12.5}'",
    s_cmd_call, 2, 4, NULL, NULL },
  { "call-named", "NAME [ARGS_JSON] [KWARGS_JSON]",
    "Call the named call NAME: ARGS_JSON replaces its default args by position,\n"
    "KWARGS_JSON updates its default kwargs. Prints the result as JSON.",
    s_cmd_call_named, 1, 3, NULL, NULL },
  { "list", "", "List every callable with its signature, and the named calls.",
    s_cmd_list, 0, 0, NULL, NULL },
  { "version", "", "Print the client's and the server's versions.",
    s_cmd_version, 0, 0, NULL, NULL },
  { "streams", "", "List every stream: kind, rate, enabled, encoding, the unit of its\n"
    "description, measured rate, overruns, dropped, the messages sent in\n"
    "warning and in alarm ('-': the stream has no limits), and PATH: shm when\n"
    "subscribers on the server's host take its large payloads from the\n"
    "server's shared-memory ring now, else socket. With --json, print the\n"
    "whole reply instead: every stream's entry with its description,\n"
    "indented, keys sorted.", s_cmd_streams, 0, 0, NULL, NULL },
  { "echo", "NAME...", "Print every message of the streams NAME (a name, or a pattern where\n"
    "* matches any text and ? one character: 'sensor/*'): time, sequence number,\n"
    "the payload in full (--short: a short view), each line starting with the\n"
    "stream's name when there are several. A described stream's values are shown\n"
    "with their unit and precision, an object field by field, and a message\n"
    "outside the stream's limits ends with WARNING or !! ALARM !!; at the end a\n"
    "line on stderr counts them. With --json, one JSON object per message and\n"
    "line. Exits 3 if no message arrives within --timeout (after the command:\n"
    "echo's own; 0 waits until Ctrl-C or --count), 1 at once if the server has\n"
    "no stream NAME or none matches a pattern, 4 if the stream server is gone\n"
    "(lost, or not reachable within 2 s) unless --wait-server is given.",
    cli_cmd_echo, 1, G_MAXINT, cli_echo_entries, NULL },
  { "hz", "NAME", "Measure the rate of stream NAME each second, then print the average\n"
    "rate, the messages dropped and the p99 jitter of the period. A line\n"
    "'path:' says how this client takes the stream's large payloads, after\n"
    "the first second, when that changes and at the end: 'shared-memory ring'\n"
    "(a server on this host; with the payloads taken from the ring so far and\n"
    "those overwritten before they could be read: payloads below the server's\n"
    "threshold, 64 KiB by default, come over the socket all the same) or\n"
    "'socket'. With --json: path (shm, socket), shm_frames, shm_torn. Exits 4\n"
    "if the stream server is gone (lost, or not reachable within 2 s) unless\n"
    "--wait-server is given.",
    cli_cmd_hz, 1, 1, cli_hz_entries, NULL },
  { "bw", "NAME", "Measure the bandwidth of stream NAME each second (bytes/s, messages,\n"
    "mean and largest payload), then print the average over --duration: bytes\n"
    "per second, messages, mean and largest payload size, messages dropped.\n"
    "Sizes in B, kB, MB (powers of 1000). Exits 1 at once if the server has no\n"
    "stream NAME, 3 if no message arrived, 4 if the stream server is gone unless\n"
    "--wait-server is given.",
    cli_cmd_bw, 1, 1, cli_hz_entries, NULL },
  { "top", "", "Show every stream of the server, refreshed each second: messages/s and\n"
    "kB/s received here (top subscribes to every stream), messages the server\n"
    "dropped, messages this client missed (gaps in sequence numbers), deadlines\n"
    "the stream's thread overran; then a line on the server's process: pid,\n"
    "CPU (percent of one core over the second), resident memory, threads (op\n"
    "\"process\"). On a terminal the screen is cleared for each table. With\n"
    "--json, one JSON object per table and line.",
    cli_cmd_top, 0, 0, cli_top_entries, NULL },
  { "info", "NAME | FILE", "Say all about stream NAME: its whole configuration and statistics, as\n"
    "the server's \"streams\" reply gives them (exit 1 at once if there is no\n"
    "such stream). An argument that names an existing file or ends in .mcap is\n"
    "a recording instead (./NAME for a file named like a stream): say what it\n"
    "holds: its streams, messages, time span, rates, missed messages, errors,\n"
    "size and compression, whether it was cut off, and its damaged parts (exit\n"
    "1 for a file cut off or damaged); that needs no server.",
    s_cmd_info, 1, 1, NULL, cli_cmd_info },
  { "enable", "NAME", "Enable stream NAME on the server.", s_cmd_enable, 1, 1, NULL, NULL },
  { "mounts", "", "List the servers a relay mounts: state (up/down), calls forwarded,\n"
    "replies, calls refused because the upstream was unreachable, stream messages\n"
    "relayed.", s_cmd_mounts, 0, 0, NULL, NULL },
  { "disable", "NAME", "Disable stream NAME on the server: a periodic stream's callable is\n"
    "then not called at all.", s_cmd_disable, 1, 1, NULL, NULL },
  { "keygen", "NAME", "Write a new CURVE key pair: NAME.key (the secret key, mode 0600)\n"
    "and NAME.pub (the public key). Existing files are never overwritten.\n"
    "Needs no server.", s_cmd_keygen, 1, 1, NULL, NULL },
  { "record", "[--all | NAME...]", "Record streams to an MCAP file (docs/RECORDING.md): every message\n"
    "received, in the order of receipt, until --duration, --count, Ctrl-C or\n"
    "SIGTERM; the file is then complete. On a terminal a line on stderr shows\n"
    "the progress each second; a last line says what was recorded.",
    NULL, 0, G_MAXINT, cli_record_entries, cli_cmd_record },
  { "play", "FILE [NAME...]", "Serve a recording: a server in this process publishes the recorded\n"
    "streams (or those named) under their names, encodings and descriptions,\n"
    "with the recorded timing (--rate X: X times as fast), and stops at the\n"
    "end (--loop: plays again). Sequence numbers are the server's own, from 1.\n"
    "Exit 1 at the end if a part of the file could not be played.",
    NULL, 1, G_MAXINT, cli_play_entries, cli_cmd_play },
  { "export", "FILE --csv [-o DIR] [NAME...]", "Write numeric, array and object streams of a recording as CSV\n"
    "(RFC 4180): timestamp (s since the epoch), sequence, then the value, a\n"
    "column per sample of an array or per field of an object. One stream goes\n"
    "to stdout, several to DIR, one NAME.csv each. Needs no server.",
    NULL, 1, G_MAXINT, cli_export_entries, cli_cmd_export },
};

/* Writes text to path, created with mode; never overwrites. */
static gboolean
s_write_new (const char *path, const char *text, int mode)
{
  int fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  size_t len = strlen (text);

  if (fd < 0)
    {
      fprintf (stderr, "oneliner keygen: cannot create %s: %s\n", path,
               errno == EEXIST ? "it exists (keys are never overwritten)" : g_strerror (errno));
      return FALSE;
    }
  if (fchmod (fd, mode) != 0 || write (fd, text, len) != (ssize_t) len || close (fd) != 0)
    {
      fprintf (stderr, "oneliner keygen: cannot write %s: %s\n", path, g_strerror (errno));
      unlink (path);
      return FALSE;
    }
  return TRUE;
}

static int
s_cmd_keygen (OlClient *client, int argc, char **argv)
{
  g_autofree char *secret_path = g_strdup_printf ("%s.key", argv[1]);
  g_autofree char *public_path = g_strdup_printf ("%s.pub", argv[1]);
  char public_key[41], secret_key[41];
  char text[64];

  (void) client;
  (void) argc;
  if (!zmq_has ("curve"))
    {
      fprintf (stderr, "oneliner keygen: this libzmq was built without CURVE security\n");
      return EXIT_ERROR;
    }
  if (g_file_test (public_path, G_FILE_TEST_EXISTS))
    {
      fprintf (stderr, "oneliner keygen: cannot create %s: it exists (keys are never "
               "overwritten)\n", public_path);
      return EXIT_ERROR;
    }
  if (zmq_curve_keypair (public_key, secret_key) != 0)
    {
      fprintf (stderr, "oneliner keygen: %s\n", zmq_strerror (errno));
      return EXIT_ERROR;
    }
  g_snprintf (text, sizeof text, "%s\n", secret_key);
  memset (secret_key, 0, sizeof secret_key);
  if (!s_write_new (secret_path, text, 0600))
    return EXIT_ERROR;
  memset (text, 0, sizeof text);
  g_snprintf (text, sizeof text, "%s\n", public_key);
  if (!s_write_new (public_path, text, 0644))
    {
      unlink (secret_path);
      return EXIT_ERROR;
    }
  printf ("%s: secret key, keep it here (mode 0600)\n%s: public key %s\n", secret_path,
          public_path, public_key);
  return EXIT_OK;
}

static char *
s_commands_help (void)
{
  GString *s = g_string_new ("Commands:\n");

  for (gsize i = 0; i < G_N_ELEMENTS (s_commands); i++)
    g_string_append_printf (s, "  %-11s %s\n", s_commands[i].name, s_commands[i].params);
  g_string_append (s, "\nRun 'oneliner COMMAND --help' for a command's help. The options\n"
                      "above may also follow the command; the endpoints not given come\n"
                      "from ONELINER_RPC and ONELINER_STREAM. Commands that print data\n"
                      "take --json.\n"
                      "Exit status: 0 success, 1 error reply, 2 usage, 3 timeout,\n"
                      "4 stream server gone (echo, hz, bw).");
  return g_string_free (s, FALSE);
}

/* Whether endpoint has one of the forms tcp://HOST:PORT, ipc://PATH,
 * inproc://NAME (PORT a number, or * where the command binds). */
static gboolean
s_endpoint_is_valid (const char *endpoint)
{
  const char *colon;
  gsize port_len;

  if (g_str_has_prefix (endpoint, "ipc://"))
    return endpoint[6] != '\0';
  if (g_str_has_prefix (endpoint, "inproc://"))
    return endpoint[9] != '\0';
  if (!g_str_has_prefix (endpoint, "tcp://"))
    return FALSE;
  colon = strrchr (endpoint + 6, ':');
  if (colon == NULL || colon == endpoint + 6)
    return FALSE;
  port_len = strlen (colon + 1);
  if (strcmp (colon + 1, "*") == 0)
    return TRUE;
  return port_len > 0 && port_len <= 5 && strspn (colon + 1, "0123456789") == port_len
         && atoi (colon + 1) <= 65535;
}

/* The endpoints not given on the command line come from ONELINER_RPC and
 * ONELINER_STREAM (an empty variable counts as not set); a malformed one is
 * a usage error, said before connecting, that names where it came from. */
static gboolean
s_check_endpoints (void)
{
  struct { const char *option, *variable; char **value; } endpoints[] = {
    { "--rpc", "ONELINER_RPC", &opt_rpc }, { "--stream", "ONELINER_STREAM", &opt_stream },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (endpoints); i++)
    {
      const char *from = endpoints[i].option;
      const char *value = *endpoints[i].value;
      g_autofree char *safe = NULL;

      if (value == NULL)
        {
          value = g_getenv (endpoints[i].variable);
          if (value == NULL || value[0] == '\0')
            continue;
          from = endpoints[i].variable;
          *endpoints[i].value = g_strdup (value);
        }
      if (s_endpoint_is_valid (value))
        continue;
      safe = s_safe (value, MIN (strlen (value), 200), FALSE);
      fprintf (stderr, "oneliner: %s%s%s: expected tcp://HOST:PORT, ipc://PATH or "
               "inproc://NAME\n", from, from[0] == '-' ? " " : "=", safe);
      return FALSE;
    }
  return TRUE;
}

/* Whether a command prints data, and so takes --json. */
static gboolean
s_command_prints_data (const Command *c)
{
  static const char *const names[] = { "call", "call-named", "list", "version", "streams",
                                       "mounts", "echo", "hz", "bw", "info", "top" };

  for (gsize i = 0; i < G_N_ELEMENTS (names); i++)
    if (strcmp (c->name, names[i]) == 0)
      return TRUE;
  return FALSE;
}

/* The global options a command also takes after its name: all but those
 * whose long or short name the command's own options use (echo's
 * --timeout, play's --rpc and --stream are the command's own).
 * (transfer full) */
static GOptionEntry *
s_globals_for (const Command *c)
{
  GArray *out = g_array_new (TRUE, TRUE, sizeof (GOptionEntry));

  for (const GOptionEntry *g = s_global_entries; g->long_name != NULL; g++)
    {
      GOptionEntry e = *g;
      gboolean clash = strcmp (g->long_name, "version") == 0;

      for (const GOptionEntry *o = c->entries; o != NULL && o->long_name != NULL; o++)
        {
          clash |= strcmp (o->long_name, g->long_name) == 0;
          if (o->short_name != 0 && o->short_name == g->short_name)
            e.short_name = 0;
        }
      if (!clash)
        g_array_append_val (out, e);
    }
  return (GOptionEntry *) g_array_free (out, FALSE);
}

/* A recording is an argument that names an existing file or ends in
 * ".mcap"; anything else is a stream name. */
static gboolean
s_is_recording (const char *arg)
{
  return g_str_has_suffix (arg, ".mcap") || g_file_test (arg, G_FILE_TEST_IS_REGULAR);
}

int
main (int argc, char **argv)
{
  g_autoptr (GOptionContext) global = NULL;
  g_autoptr (GOptionContext) sub = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (OlClient) client = NULL;
  g_autofree char *commands_help = NULL;
  g_autofree char *sub_param = NULL;
  g_autofree GOptionEntry *globals = NULL;
  GOptionGroup *group;
  int nargs;

  setlocale (LC_ALL, "");
  /* Numbers are written with a '.' whatever the locale, so that scripts
   * read them alike everywhere (the user's language and charset stay). */
  setlocale (LC_NUMERIC, "C");
  global = g_option_context_new ("COMMAND [ARGS...]");
  commands_help = s_commands_help ();
  g_option_context_set_summary (global,
    "Calls and inspects a oneliner server from the command line.");
  g_option_context_set_description (global, commands_help);
  g_option_context_add_main_entries (global, s_global_entries, NULL);
  g_option_context_set_strict_posix (global, TRUE);
  if (!g_option_context_parse (global, &argc, &argv, &error))
    {
      fprintf (stderr, "oneliner: %s (try 'oneliner --help')\n", error->message);
      return EXIT_USAGE;
    }
  if (opt_version)
    {
      printf ("oneliner %s (protocol %d)\n", ol_version_string (), OL_PROTOCOL_VERSION);
      return 0;
    }
  if (argc < 2)
    {
      fprintf (stderr, "oneliner: no command given (try 'oneliner --help')\n");
      return EXIT_USAGE;
    }
  for (gsize i = 0; i < G_N_ELEMENTS (s_commands); i++)
    if (strcmp (argv[1], s_commands[i].name) == 0)
      s_command = &s_commands[i];
  if (s_command == NULL)
    {
      g_autofree char *safe = s_safe (argv[1], MIN (strlen (argv[1]), 64), FALSE);
      fprintf (stderr, "oneliner: unknown command \"%s\" (try 'oneliner --help')\n", safe);
      return EXIT_USAGE;
    }

  /* The subcommand's own options, --json if it prints data, the global
   * options again (they may come after the command too), and --help. */
  sub_param = g_strdup_printf ("%s %s", s_command->name, s_command->params);
  sub = g_option_context_new (sub_param);
  g_option_context_set_summary (sub, s_command->summary);
  g_option_context_set_description (sub,
    "The endpoints not given come from the environment variables ONELINER_RPC\n"
    "and ONELINER_STREAM, else the defaults " OL_DEFAULT_RPC_CONNECT " and\n"
    OL_DEFAULT_STREAM_CONNECT ".");
  if (s_command->entries)
    g_option_context_add_main_entries (sub, s_command->entries, NULL);
  if (s_command_prints_data (s_command))
    g_option_context_add_main_entries (sub, s_json_entries, NULL);
  globals = s_globals_for (s_command);
  group = g_option_group_new ("global", "Global options (also before the command):",
                              "Show the global options", NULL, NULL);
  g_option_group_add_entries (group, globals);
  g_option_context_add_group (sub, group);
  argv[1] = g_strdup_printf ("oneliner %s", s_command->name);
  argc -= 1;
  argv += 1;
  if (!g_option_context_parse (sub, &argc, &argv, &error))
    {
      fprintf (stderr, "oneliner %s: %s\n", s_command->name, error->message);
      return EXIT_USAGE;
    }
  if (cli_timeout_ms < 0)
    {
      fprintf (stderr, "oneliner: --timeout must be >= 0\n");
      return EXIT_USAGE;
    }
  nargs = argc - 1;
  if (nargs < s_command->min_args || nargs > s_command->max_args)
    return cli_usage_error ("expects %s%s", s_command->params[0] ? s_command->params : "no arguments",
                          nargs < s_command->min_args ? "" : " (too many arguments)");

  if (s_command->func == s_cmd_keygen)
    return s_cmd_keygen (NULL, argc, argv);
  if (!s_check_endpoints ())
    return EXIT_USAGE;
  if (s_command->local != NULL && (s_command->func == NULL || s_is_recording (argv[1])))
    {
      CliGlobals globals_given = { opt_rpc, opt_stream, opt_secret_key, opt_server_key,
                                   cli_timeout_ms, cli_json };
      return s_command->local (&globals_given, argc, argv);
    }
  if ((opt_secret_key == NULL) != (opt_server_key == NULL))
    return cli_usage_error ("--secret-key and --server-key go together");
  if (opt_secret_key != NULL)
    client = ol_client_new_with_keys (opt_rpc, opt_stream, opt_secret_key, opt_server_key,
                                      &error);
  else
    client = ol_client_new (opt_rpc, opt_stream, &error);
  if (client == NULL)
    {
      fprintf (stderr, "oneliner: %s\n", error->message);
      return EXIT_USAGE;
    }
  ol_client_set_timeout (client, cli_timeout_ms);
  return s_command->func (client, argc, argv);
}
