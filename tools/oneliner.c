/* oneliner: the command-line client. */
#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <locale.h>
#include <math.h>
#include <oneliner/oneliner.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#include "oneliner_record.h"

static char *opt_rpc = NULL;
static char *opt_stream = NULL;
static int opt_timeout = OL_CLIENT_DEFAULT_TIMEOUT_MS;
static char *opt_secret_key = NULL;
static char *opt_server_key = NULL;
static gboolean opt_version = FALSE;
static gboolean opt_json = FALSE;

static GOptionEntry s_global_entries[] = {
  { "rpc", 'r', 0, G_OPTION_ARG_STRING, &opt_rpc,
    "Server RPC endpoint (default " OL_DEFAULT_RPC_CONNECT ")", "ENDPOINT" },
  { "stream", 's', 0, G_OPTION_ARG_STRING, &opt_stream,
    "Server stream endpoint (default " OL_DEFAULT_STREAM_CONNECT ")", "ENDPOINT" },
  { "timeout", 't', 0, G_OPTION_ARG_INT, &opt_timeout,
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
  { "json", 'j', 0, G_OPTION_ARG_NONE, &opt_json,
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

char *
cli_safe (const char *text, gssize len, gboolean json)
{
  return s_safe (text, len, json);
}

/* x with digits after the point, whatever the locale. (transfer full) */
static char *
s_fixed (double x, int digits)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];
  char format[16];

  g_snprintf (format, sizeof format, "%%.%df", CLAMP (digits, 0, 20));
  return g_strdup (g_ascii_formatd (buf, sizeof buf, format, x));
}

/* A number of bytes (per second with per_s) in B, kB, MB or GB (powers of
 * 1000), 3 significant digits. (transfer full) */
static char *
s_bytes_text (double bytes, gboolean per_s)
{
  static const char *const units[] = { "B", "kB", "MB", "GB" };
  guint u = 0;
  g_autofree char *number = NULL;

  while (bytes >= 1000 && u + 1 < G_N_ELEMENTS (units))
    bytes /= 1000, u++;
  number = s_fixed (bytes, u == 0 ? 0 : bytes < 10 ? 2 : bytes < 100 ? 1 : 0);
  return g_strdup_printf ("%s %s%s", number, units[u], per_s ? "/s" : "");
}

static int
s_fail (const char *what, GError *error)
{
  g_autofree char *message = s_safe (error->message, -1, FALSE);

  fprintf (stderr, "oneliner: %s: %s\n", what, message);
  return g_error_matches (error, OL_ERROR, OL_ERROR_TIMEOUT) ? EXIT_TIMEOUT : EXIT_ERROR;
}

static int
s_usage_error (const char *fmt, ...) G_GNUC_PRINTF (1, 2);

static int
s_usage_error (const char *fmt, ...)
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
          *status = s_usage_error ("%s is not valid JSON: %s (column %d): %s", what[i],
                                   jerr.text, jerr.column, argv[first + i]);
          return FALSE;
        }
      if (i == 0 ? !json_is_array (v) : !json_is_object (v))
        {
          json_decref (v);
          g_clear_pointer (args, json_decref);
          *status = s_usage_error ("%s must be a JSON %s, e.g. '%s'", what[i],
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
    return s_fail (what, error);
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
    return s_fail (what, error);
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
    return s_fail ("list", error);
  if (opt_json)
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
  if (!opt_json)
    printf ("client %s protocol %d\n", ol_version_string (), OL_PROTOCOL_VERSION);
  v = ol_client_version (client, &error);
  if (v == NULL)
    return s_fail ("version", error);
  if (opt_json)
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

/* ---- stream descriptions ------------------------------------------------ */

/* What this command reads of a stream's description (docs/PROTOCOL.md,
 * "Stream descriptions"). The description comes from the server, so it is
 * checked as input from outside: a member of the wrong type or out of its
 * bounds makes the whole description malformed, and the stream is then shown
 * as one without a description; members this command does not know are
 * ignored, and so is a form it does not know (a later version may add one).
 * Every text kept is made safe for a terminal. */

#define DESC_UNIT_MAX 32        /* bytes of a unit */
#define DESC_NAME_MAX 64        /* bytes of a field name */
#define DESC_FIELDS_MAX 64
#define DESC_PRECISION_MAX 15

typedef enum {
  FORM_NONE,    /* not given, or unknown to this command */
  FORM_NUMBER,
  FORM_ARRAY,
  FORM_OBJECT,
  FORM_IMAGE,
  FORM_STRING,  /* fields only */
  FORM_BOOLEAN, /* fields only */
} Form;

enum { LIMIT_WARNING_LOW, LIMIT_WARNING_HIGH, LIMIT_ALARM_LOW, LIMIT_ALARM_HIGH, N_LIMITS };

static const char *const s_limit_names[N_LIMITS] = { "warning_low", "warning_high",
                                                     "alarm_low", "alarm_high" };

/* A described value: the stream's own, or one field of an object. */
typedef struct {
  char *key;        /* (owned) (nullable) a field's name as sent: the member to read */
  char *name;       /* (owned) (nullable) the same, safe for a terminal */
  char *unit;       /* (owned) (nullable) safe for a terminal */
  int precision;    /* digits after the point, -1 if not given */
  Form form;
  gboolean has_limit[N_LIMITS];
  double limit[N_LIMITS];
} DescValue;

typedef struct {
  DescValue value;
  GPtrArray *fields; /* (owned) of DescValue, FORM_OBJECT only, in display order */
} Desc;

static void
s_desc_value_clear (DescValue *v)
{
  g_clear_pointer (&v->key, g_free);
  g_clear_pointer (&v->name, g_free);
  g_clear_pointer (&v->unit, g_free);
}

static void
s_desc_field_free (gpointer data)
{
  s_desc_value_clear (data);
  g_free (data);
}

static void
s_desc_free (Desc *d)
{
  if (d == NULL)
    return;
  s_desc_value_clear (&d->value);
  g_clear_pointer (&d->fields, g_ptr_array_unref);
  g_free (d);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Desc, s_desc_free)

/* A string member of 1 to max bytes: *out gets it (NULL if absent) and
 * *safe, if safe is not NULL, the same made safe for a terminal (a NUL in it
 * too). FALSE if it is there but not such a string. */
static gboolean
s_desc_string (json_t *object, const char *member, gsize max, const char **out, char **safe)
{
  json_t *v = json_object_get (object, member);

  *out = NULL;
  if (v == NULL)
    return TRUE;
  if (!json_is_string (v) || json_string_length (v) < 1 || json_string_length (v) > max)
    return FALSE;
  *out = json_string_value (v);
  if (safe != NULL)
    *safe = s_safe (*out, (gssize) json_string_length (v), FALSE);
  return TRUE;
}

static Form
s_form_from_name (const char *name, gboolean field)
{
  static const struct { const char *name; Form form; gboolean field; } forms[] = {
    { "number", FORM_NUMBER, TRUE }, { "array", FORM_ARRAY, FALSE },
    { "object", FORM_OBJECT, FALSE }, { "image", FORM_IMAGE, FALSE },
    { "string", FORM_STRING, TRUE }, { "boolean", FORM_BOOLEAN, TRUE },
  };

  for (gsize i = 0; name != NULL && i < G_N_ELEMENTS (forms); i++)
    if (strcmp (name, forms[i].name) == 0 && (field ? forms[i].field : forms[i].form <= FORM_IMAGE))
      return forms[i].form;
  return FORM_NONE;
}

/* Reads the members a stream and a field share: "unit", "precision",
 * "limits", and "form" (a field's, "number" if not given). On failure *why
 * names the member, with no value from the input in it. */
static gboolean
s_desc_value_parse (json_t *object, gboolean field, DescValue *out, const char **why)
{
  const char *unit, *form;
  json_t *precision = json_object_get (object, "precision");
  json_t *limits = json_object_get (object, "limits");

  if (!s_desc_string (object, "unit", DESC_UNIT_MAX, &unit, &out->unit))
    return *why = "\"unit\" is not a string of 1 to 32 bytes", FALSE;
  if (!s_desc_string (object, "form", 32, &form, NULL))
    return *why = "\"form\" is not a short string", FALSE;
  if (precision != NULL
      && (!json_is_integer (precision) || json_integer_value (precision) < 0
          || json_integer_value (precision) > DESC_PRECISION_MAX))
    return *why = "\"precision\" is not an integer from 0 to 15", FALSE;
  if (limits != NULL && !json_is_object (limits))
    return *why = "\"limits\" is not an object", FALSE;
  for (int i = 0; i < N_LIMITS && limits != NULL; i++)
    {
      json_t *l = json_object_get (limits, s_limit_names[i]);

      if (l == NULL)
        continue;
      if (!json_is_number (l) || !isfinite (json_number_value (l)))
        return *why = "a member of \"limits\" is not a number", FALSE;
      out->has_limit[i] = TRUE;
      out->limit[i] = json_number_value (l);
    }
  out->precision = precision != NULL ? (int) json_integer_value (precision) : -1;
  out->form = form == NULL && field ? FORM_NUMBER : s_form_from_name (form, field);
  return TRUE;
}

/* The description of a stream's entry of op "streams"; NULL if it has none
 * or a malformed one (then *why, if why is not NULL, says what is wrong, or
 * is NULL when there is no description). (transfer full) */
static Desc *
s_desc_parse (json_t *entry, const char **why)
{
  json_t *d = json_object_get (entry, "description");
  json_t *fields;
  g_autoptr (Desc) desc = g_new0 (Desc, 1);
  const char *dummy;

  if (why == NULL)
    why = &dummy;
  *why = NULL;
  if (d == NULL || json_is_null (d))
    return NULL;
  if (!json_is_object (d))
    return *why = "it is not an object", NULL;
  if (!s_desc_value_parse (d, FALSE, &desc->value, why))
    return NULL;
  if (desc->value.form != FORM_OBJECT)
    return g_steal_pointer (&desc);
  fields = json_object_get (d, "fields");
  if (!json_is_array (fields) || json_array_size (fields) < 1
      || json_array_size (fields) > DESC_FIELDS_MAX)
    return *why = "\"fields\" is not an array of 1 to 64 fields", NULL;
  desc->fields = g_ptr_array_new_with_free_func (s_desc_field_free);
  for (gsize i = 0; i < json_array_size (fields); i++)
    {
      json_t *f = json_array_get (fields, i);
      DescValue *v = g_new0 (DescValue, 1);
      const char *name = NULL;

      g_ptr_array_add (desc->fields, v);
      if (!json_is_object (f) || !s_desc_string (f, "name", DESC_NAME_MAX, &name, &v->name)
          || name == NULL)
        return *why = "a field has no \"name\" of 1 to 64 bytes", NULL;
      if (!s_desc_value_parse (f, TRUE, v, why))
        return NULL;
      v->key = g_strdup (name);
    }
  return g_steal_pointer (&desc);
}

static gboolean
s_desc_value_limited (const DescValue *v)
{
  for (int i = 0; i < N_LIMITS; i++)
    if (v->has_limit[i])
      return TRUE;
  return FALSE;
}

/* Whether the server compares the stream's values with limits. */
static gboolean
s_desc_limited (const Desc *d)
{
  if (d == NULL)
    return FALSE;
  if (s_desc_value_limited (&d->value))
    return TRUE;
  for (guint i = 0; d->fields != NULL && i < d->fields->len; i++)
    if (s_desc_value_limited (d->fields->pdata[i]))
      return TRUE;
  return FALSE;
}

/* The unit shown for a stream: its own, else its fields' (each once, in
 * order, at most 3), else "-". (transfer full) */
static char *
s_desc_unit (const Desc *d)
{
  GString *units = g_string_new (NULL);
  guint shown = 0;

  if (d != NULL && d->value.unit != NULL)
    g_string_append (units, d->value.unit);
  for (guint i = 0; d != NULL && d->value.unit == NULL && d->fields != NULL
                    && i < d->fields->len; i++)
    {
      const DescValue *f = d->fields->pdata[i];
      gboolean seen = FALSE;

      for (guint j = 0; f->unit != NULL && j < i; j++)
        seen |= g_strcmp0 (((DescValue *) d->fields->pdata[j])->unit, f->unit) == 0;
      if (f->unit == NULL || seen)
        continue;
      if (shown++ == 3)
        {
          g_string_append (units, ",...");
          break;
        }
      g_string_append_printf (units, "%s%s", units->len ? "," : "", f->unit);
    }
  if (units->len == 0)
    g_string_append (units, "-");
  return g_string_free (units, FALSE);
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
    return s_fail ("streams", error);
  if (opt_json)
    {
      cli_print_json_pretty (streams);
      json_decref (streams);
      return EXIT_OK;
    }
  keys = ol_json_sorted_keys (streams);
  units = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < keys->len; i++)
    {
      g_autoptr (Desc) desc = s_desc_parse (json_object_get (streams, keys->pdata[i]), NULL);
      char *unit = s_desc_unit (desc);

      unit_width = MAX (unit_width, (guint) g_utf8_strlen (unit, -1));
      g_ptr_array_add (units, unit);
    }
  g_string_printf (line, "%-24s %-8s %9s %-8s %-8s ", "NAME", "KIND", "HZ", "ENABLED",
                   "ENCODING");
  s_append_padded (line, "UNIT", unit_width, FALSE);
  g_string_append_printf (line, " %10s %9s %8s %8s %7s", "RATE", "OVERRUNS", "DROPPED",
                          "WARNINGS", "ALARMS");
  printf ("%s\n", line->str);
  for (guint i = 0; i < keys->len; i++)
    {
      json_t *d = json_object_get (streams, keys->pdata[i]);
      json_t *stats = json_object_get (d, "stats");
      json_t *hz = json_object_get (d, "hz");
      g_autoptr (Desc) desc = s_desc_parse (d, NULL);
      gboolean limited = s_desc_limited (desc);
      g_autofree char *name = s_safe (keys->pdata[i], -1, FALSE);
      g_autofree char *kind = s_safe (json_is_string (json_object_get (d, "kind"))
                                      ? json_string_value (json_object_get (d, "kind")) : "-",
                                      -1, FALSE);
      g_autofree char *encoding = s_safe (json_is_string (json_object_get (d, "encoding"))
                                          ? json_string_value (json_object_get (d, "encoding"))
                                          : "-", -1, FALSE);
      g_autofree char *hz_text = json_is_number (hz) ? s_fixed (json_number_value (hz), 2)
                                                     : g_strdup ("-");
      g_autofree char *rate = s_fixed (json_number_value (json_object_get (stats, "rate")), 2);
      g_autofree char *warnings = s_stat_text (stats, "warnings", limited);
      g_autofree char *alarms = s_stat_text (stats, "alarms", limited);

      g_string_printf (line, "%-24s %-8s %9s %-8s %-8s ", name, kind, hz_text,
                       json_is_true (json_object_get (d, "enabled")) ? "yes" : "no", encoding);
      s_append_padded (line, units->pdata[i], unit_width, FALSE);
      g_string_append_printf (line, " %8s/s %9" JSON_INTEGER_FORMAT " %8"
                              JSON_INTEGER_FORMAT " %8s %7s", rate,
                              json_integer_value (json_object_get (stats, "overruns")),
                              json_integer_value (json_object_get (stats, "dropped")),
                              warnings, alarms);
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
    return s_fail ("mounts", error);
  mounts = reply->result;
  if (opt_json)
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
      g_autofree char *rpc = s_safe (json_is_string (json_object_get (m, "rpc"))
                                     ? json_string_value (json_object_get (m, "rpc")) : "?",
                                     -1, FALSE);
      g_autofree char *stream = s_safe (json_is_string (json_object_get (m, "stream"))
                                        ? json_string_value (json_object_get (m, "stream"))
                                        : "?", -1, FALSE);

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
    return s_fail (what, error);
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
      g_autofree char *safe = s_safe ((const char *) data, (gssize) shown, TRUE);

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
static GOptionEntry s_echo_entries[] = {
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

/* 0 within the limits, 1 outside the warning limits, 2 outside the alarm
 * limits (docs/PROTOCOL.md, "Limits"). */
static int
s_level (const DescValue *d, double x)
{
  if ((d->has_limit[LIMIT_ALARM_LOW] && x < d->limit[LIMIT_ALARM_LOW])
      || (d->has_limit[LIMIT_ALARM_HIGH] && x > d->limit[LIMIT_ALARM_HIGH]))
    return 2;
  if ((d->has_limit[LIMIT_WARNING_LOW] && x < d->limit[LIMIT_WARNING_LOW])
      || (d->has_limit[LIMIT_WARNING_HIGH] && x > d->limit[LIMIT_WARNING_HIGH]))
    return 1;
  return 0;
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
          int level = s_level (f, json_number_value (x));
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
          safe = s_safe (text, (gssize) cut, FALSE);
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
static json_t *
s_list_streams (OlClient *client, char **why)
{
  g_autoptr (GError) error = NULL;
  json_t *streams;

  *why = NULL;
  ol_client_set_timeout (client, MIN (opt_timeout, SERVER_CONNECT_GRACE_US / 1000));
  streams = ol_client_list_streams (client, &error);
  ol_client_set_timeout (client, opt_timeout);
  if (streams != NULL && json_is_object (streams))
    return streams;
  *why = s_safe (error ? error->message : "not an object", -1, FALSE);
  json_decref (streams);
  return NULL;
}

/* What the server says of stream name (streams: its "streams" reply, or
 * NULL when it did not answer, then the command goes on as if the stream
 * were there). Returns -1 to go on, *entry (transfer full) its entry or
 * NULL; else the exit status: the stream does not exist. A disabled stream
 * is said on stderr. */
static int
s_stream_find (json_t *streams, const char *command, const char *name, json_t **entry)
{
  g_autofree char *safe_name = s_safe (name, MIN (strlen (name), 200), FALSE);
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

/* s_list_streams() and s_stream_find() for one name. */
static int
s_stream_check (OlClient *client, const char *command, const char *name, json_t **entry,
                char **why)
{
  g_autoptr (json_t) streams = s_list_streams (client, why);

  return s_stream_find (streams, command, name, entry);
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
  desc = s_desc_parse (entry, &why);
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
  s_desc_free (es->desc);
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
      g_autofree char *message = s_safe (error->message, -1, FALSE);

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
  if (opt_json)
    {
      s_echo_message_json (es, m);
      fflush (stdout);
      return;
    }
  if (m->status & OL_STATUS_ERROR)
    {
      g_autoptr (GError) error = ol_stream_message_error (m);
      g_autofree char *message = s_safe (error->message, -1, FALSE);

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
      return s_fail (args[i], error);
  streams = s_list_streams (client, &not_read);
  for (int i = 0; i < n; i++)
    {
      g_autofree char *safe = s_safe (args[i], MIN (strlen (args[i]), 200), FALSE);
      g_autoptr (GPtrArray) keys = NULL;
      guint matched = 0;

      if (!s_is_glob (args[i]))
        {
          g_autoptr (json_t) entry = NULL;
          int status = s_stream_find (streams, "echo", args[i], &entry);

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
          return s_fail (names->pdata[i], error);
      es = g_new0 (EchoStream, 1);
      es->name = names->pdata[i];
      es->safe = s_safe (es->name, MIN (strlen (es->name), 200), FALSE);
      es->desc = s_echo_description (es->safe, json_object_get (streams, es->name), not_read);
      g_ptr_array_add (out, es);
    }
  return -1;
}

static int
s_cmd_echo (OlClient *client, int argc, char **argv)
{
  g_autoptr (GPtrArray) streams = g_ptr_array_new_with_free_func (s_echo_stream_free);
  EchoCounts counts = { 0, 0, 0 };
  int status;

  if (opt_echo_count < 0 || opt_echo_timeout < 0)
    return s_usage_error ("--count and --timeout must be >= 0");
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
static GOptionEntry s_hz_entries[] = {
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
  if (!opt_json && !bw)
    {
      g_autofree char *rate = s_fixed ((double) m->second_messages / seconds, 2);
      printf ("rate: %s Hz\n", rate);
    }
  else if (!opt_json)
    {
      g_autofree char *rate = s_bytes_text ((double) m->second_bytes / seconds, TRUE);
      g_autofree char *mean = s_bytes_text (m->second_messages
                                            ? (double) m->second_bytes / m->second_messages
                                            : 0, FALSE);
      g_autofree char *max = s_bytes_text ((double) m->second_max, FALSE);

      printf ("bw: %s (%" G_GUINT64_FORMAT " messages, mean %s, max %s)\n", rate,
              m->second_messages, mean, max);
    }
  fflush (stdout);
  m->second_messages = m->second_bytes = m->second_max = 0;
}

/* Takes the messages of stream name for --duration; returns -1 when done
 * (m filled), else the exit status. */
static int
s_measure (OlClient *client, const char *command, const char *name, Measure *m)
{
  g_autoptr (GError) error = NULL;
  gint64 start, end, second;
  ServerState server = { FALSE, FALSE };
  g_autoptr (json_t) entry = NULL;
  g_autofree char *not_read = NULL;
  gboolean bw = strcmp (command, "bw") == 0;
  int status;

  if (!(opt_hz_duration > 0) || opt_hz_duration > 24 * 3600)
    return s_usage_error ("--duration must be a number of seconds > 0");
  if (!ol_client_configure_stream (client, name, OL_STORAGE_QUEUE, 1000000, &error))
    return s_fail (name, error);
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
    return s_fail (name, error);
  return -1;
}

static int
s_cmd_hz (OlClient *client, int argc, char **argv)
{
  const char *name = argv[1];
  g_autofree char *safe = s_safe (name, MIN (strlen (name), 200), FALSE);
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
      g_autofree char *duration = s_fixed (m.duration, 1);

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
  if (opt_json)
    {
      g_autoptr (json_t) doc = json_pack ("{s:s, s:f, s:I, s:I, s:f, s:f, s:b}",
                                          "stream", safe, "rate_hz", rate,
                                          "messages", (json_int_t) m.messages,
                                          "dropped", (json_int_t) (m.counters.missed
                                                                   + m.counters.overflowed),
                                          "p99_jitter_us", p99 / 1000.0,
                                          "duration_s", m.duration,
                                          "server_was_gone", m.was_gone);
      cli_print_json (doc);
      return EXIT_OK;
    }
  {
    g_autofree char *rate_text = s_fixed (rate, 2);
    g_autofree char *p99_text = s_fixed (p99 / 1000.0, 0);

    printf ("average rate: %s Hz, dropped %" G_GUINT64_FORMAT ", p99 jitter %s us%s\n",
            rate_text, m.counters.missed + m.counters.overflowed, p99_text,
            m.was_gone ? " (the stream server was gone for a while)" : "");
  }
  return EXIT_OK;
}

static int
s_cmd_bw (OlClient *client, int argc, char **argv)
{
  const char *name = argv[1];
  g_autofree char *safe = s_safe (name, MIN (strlen (name), 200), FALSE);
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
      g_autofree char *duration = s_fixed (m.duration, 1);

      fprintf (stderr, "oneliner: bw %s: no message in %s s\n", safe, duration);
      return EXIT_TIMEOUT;
    }
  rate = m.duration > 0 ? (double) m.bytes / m.duration : 0;
  mean = (double) m.bytes / m.messages;
  if (opt_json)
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
      cli_print_json (doc);
      return EXIT_OK;
    }
  {
    g_autofree char *rate_text = s_bytes_text (rate, TRUE);
    g_autofree char *mean_text = s_bytes_text (mean, FALSE);
    g_autofree char *max_text = s_bytes_text ((double) m.max_size, FALSE);
    g_autofree char *duration = s_fixed (m.duration, 1);

    printf ("average: %s, %" G_GUINT64_FORMAT " messages in %s s, mean %s, max %s, "
            "dropped %" G_GUINT64_FORMAT "%s\n", rate_text, m.messages, duration, mean_text,
            max_text, m.counters.missed + m.counters.overflowed,
            m.was_gone ? " (the stream server was gone for a while)" : "");
  }
  return EXIT_OK;
}

static int
s_cmd_top (OlClient *client, int argc, char **argv)
{
  return cli_cmd_top (client, opt_json, argc, argv);
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
    return s_fail ("info", error);
  if (!json_is_object (streams))
    {
      fprintf (stderr, "oneliner: info %s: the \"streams\" reply is not an object\n", safe);
      return EXIT_ERROR;
    }
  status = s_stream_find (streams, "info", name, &entry);
  if (status >= 0)
    return status;
  if (!json_is_object (entry))
    {
      fprintf (stderr, "oneliner: info %s: the server's entry is not an object\n", safe);
      return EXIT_ERROR;
    }
  if (opt_json)
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
    "description, measured rate, overruns, dropped, and the messages sent in\n"
    "warning and in alarm ('-': the stream has no limits). With --json, print\n"
    "the whole reply instead: every stream's entry with its description,\n"
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
    s_cmd_echo, 1, G_MAXINT, s_echo_entries, NULL },
  { "hz", "NAME", "Measure the rate of stream NAME each second, then print the average\n"
    "rate, the messages dropped and the p99 jitter of the period. Exits 4 if\n"
    "the stream server is gone (lost, or not reachable within 2 s) unless\n"
    "--wait-server is given.",
    s_cmd_hz, 1, 1, s_hz_entries, NULL },
  { "bw", "NAME", "Measure the bandwidth of stream NAME each second (bytes/s, messages,\n"
    "mean and largest payload), then print the average over --duration: bytes\n"
    "per second, messages, mean and largest payload size, messages dropped.\n"
    "Sizes in B, kB, MB (powers of 1000). Exits 1 at once if the server has no\n"
    "stream NAME, 3 if no message arrived, 4 if the stream server is gone unless\n"
    "--wait-server is given.",
    s_cmd_bw, 1, 1, s_hz_entries, NULL },
  { "top", "", "Show every stream of the server, refreshed each second: messages/s and\n"
    "kB/s received here (top subscribes to every stream), messages the server\n"
    "dropped, messages this client missed (gaps in sequence numbers), deadlines\n"
    "the stream's thread overran; then a line on the server's process: pid,\n"
    "CPU (percent of one core over the second), resident memory, threads (op\n"
    "\"process\"). On a terminal the screen is cleared for each table. With\n"
    "--json, one JSON object per table and line.",
    s_cmd_top, 0, 0, cli_top_entries, NULL },
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
  g_string_append (s, "\nRun 'oneliner COMMAND --help' for a command's help.\n"
                      "Exit status: 0 success, 1 error reply, 2 usage, 3 timeout,\n"
                      "4 stream server gone (echo, hz).");
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
  if (opt_timeout < 0)
    {
      fprintf (stderr, "oneliner: --timeout must be >= 0\n");
      return EXIT_USAGE;
    }
  nargs = argc - 1;
  if (nargs < s_command->min_args || nargs > s_command->max_args)
    return s_usage_error ("expects %s%s", s_command->params[0] ? s_command->params : "no arguments",
                          nargs < s_command->min_args ? "" : " (too many arguments)");

  if (s_command->func == s_cmd_keygen)
    return s_cmd_keygen (NULL, argc, argv);
  if (!s_check_endpoints ())
    return EXIT_USAGE;
  if (s_command->local != NULL && (s_command->func == NULL || s_is_recording (argv[1])))
    {
      CliGlobals globals_given = { opt_rpc, opt_stream, opt_secret_key, opt_server_key,
                                   opt_timeout, opt_json };
      return s_command->local (&globals_given, argc, argv);
    }
  if ((opt_secret_key == NULL) != (opt_server_key == NULL))
    return s_usage_error ("--secret-key and --server-key go together");
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
  ol_client_set_timeout (client, opt_timeout);
  return s_command->func (client, argc, argv);
}
