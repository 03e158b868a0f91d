/* oneliner: the commands of recordings.
 *
 *   record  records streams of a server to an MCAP file (an OlRecorder);
 *   info    says what a recording holds, and what of it is damaged;
 *   play    serves a recording: an OlServer in this process publishes its
 *           messages on pushed streams with the recorded timing;
 *   export  writes numeric and object streams of a recording as CSV.
 *
 * A recording comes from outside: every name, text and number read from it
 * is checked or bounded before it is used or shown.
 */
#include <errno.h>
#include <glib-unix.h>
#include <glib/gstdio.h>
#include <math.h>
#include <oneliner/oneliner.h>
#include <oneliner/record.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "oneliner_cli.h"

/* Texts read from a file are shown at most this long (bytes). */
#define SHOWN_MAX 200
/* Problems of a file listed at most. */
#define PROBLEMS_SHOWN 20
/* A JSON payload larger than this is not parsed by export. */
#define EXPORT_JSON_MAX (64 * 1024 * 1024)
/* A push refused because the publishing queue is full is retried for at
 * most this long. */
#define PLAY_BUSY_MAX_US (5 * G_USEC_PER_SEC)
/* After the last message, the server stays this long so that the
 * subscribers get it before the socket closes. */
#define PLAY_LINGER_US (300 * 1000)

static volatile gint s_stop = 0; /* the signal that asked to stop, 0 if none */

static gboolean
s_on_signal (gpointer data)
{
  g_atomic_int_set (&s_stop, GPOINTER_TO_INT (data));
  return G_SOURCE_CONTINUE;
}

static void
s_catch_signals (void)
{
  g_unix_signal_add (SIGINT, s_on_signal, GINT_TO_POINTER (SIGINT));
  g_unix_signal_add (SIGTERM, s_on_signal, GINT_TO_POINTER (SIGTERM));
}

/* text from outside, safe for a terminal and cut to SHOWN_MAX bytes.
 * (transfer full) */
static char *
s_shown (const char *text)
{
  gsize len = text != NULL ? strlen (text) : 0;
  gsize cut = MIN (len, SHOWN_MAX);
  g_autofree char *safe = NULL;

  if (text == NULL)
    return g_strdup ("?");
  while (cut > 0 && cut < len && ((guchar) text[cut] & 0xc0) == 0x80)
    cut--; /* not within a character */
  safe = cli_safe (text, (gssize) cut, FALSE);
  return cut < len ? g_strdup_printf ("%s...", safe) : g_steal_pointer (&safe);
}

/* "oneliner CMD: FILE: message" on stderr; returns EXIT_ERROR. */
static int
s_file_error (const char *cmd, const char *path, const char *message)
{
  g_autofree char *p = s_shown (path);
  g_autofree char *m = s_shown (message);

  fprintf (stderr, "oneliner %s: %s: %s\n", cmd, p, m);
  return EXIT_ERROR;
}

static int
s_usage (const char *cmd, const char *message)
{
  fprintf (stderr, "oneliner %s: %s (try 'oneliner %s --help')\n", cmd, message, cmd);
  return EXIT_USAGE;
}

/* Opens a recording; NULL after one line on stderr. */
static OlRecording *
s_open (const char *cmd, const char *path)
{
  g_autoptr (GError) error = NULL;
  OlRecording *rec = ol_recording_open (path, &error);

  if (rec == NULL)
    {
      /* The library's message names the file. */
      g_autofree char *m = s_shown (error->message);
      fprintf (stderr, "oneliner %s: %s\n", cmd, m);
    }
  return rec;
}

/* The integer member of an object, def if it is not a non-negative integer. */
static gint64
s_int (json_t *object, const char *member, gint64 def)
{
  json_t *v = json_object_get (object, member);

  return json_is_integer (v) && json_integer_value (v) >= 0 ? json_integer_value (v) : def;
}

/* Says on stderr what of the recording could not be read: its problems (from
 * the first not said yet, *said updated) and whether it was cut off. Returns
 * TRUE if anything was. */
static gboolean
s_report_problems (const char *cmd, const char *path, json_t *desc, gsize *said,
                   gboolean say_cut_off)
{
  json_t *problems = json_object_get (desc, "problems");
  gsize n = json_array_size (problems), from = said != NULL ? *said : 0;
  gboolean cut_off = json_is_false (json_object_get (desc, "complete"));
  g_autofree char *p = s_shown (path);

  for (gsize i = from; i < n && i < from + PROBLEMS_SHOWN; i++)
    {
      g_autofree char *text = s_shown (json_string_value (json_array_get (problems, i)));
      fprintf (stderr, "oneliner %s: %s: %s\n", cmd, p, text);
    }
  if (n > from + PROBLEMS_SHOWN)
    fprintf (stderr, "oneliner %s: %s: and %" G_GSIZE_FORMAT " more problems\n", cmd, p,
             n - from - PROBLEMS_SHOWN);
  if (said != NULL)
    *said = n;
  if (cut_off && say_cut_off)
    fprintf (stderr, "oneliner %s: %s: cut off: the recording was not closed; read up to "
             "its last complete chunk\n", cmd, p);
  return n > 0 || cut_off;
}

/* Checks that every name is a stream of the recording; FALSE after one line
 * on stderr. */
static gboolean
s_check_names (const char *cmd, const char *path, json_t *streams, char **names, int n)
{
  for (int i = 0; i < n; i++)
    if (json_object_get (streams, names[i]) == NULL)
      {
        g_autofree char *name = s_shown (names[i]);
        g_autofree char *message = g_strdup_printf (
          "no stream \"%s\" in the recording ('oneliner info' lists them)", name);
        s_file_error (cmd, path, message);
        return FALSE;
      }
  return TRUE;
}

/* "12:34:56.789" (local time) of ns since the epoch, with the date if
 * with_date. (transfer full) */
static char *
s_time_text (gint64 ns, gboolean with_date)
{
  g_autoptr (GDateTime) dt = g_date_time_new_from_unix_local (ns / 1000000000);
  g_autofree char *text = NULL;

  if (dt == NULL)
    return g_strdup ("?");
  text = g_date_time_format (dt, with_date ? "%Y-%m-%d %H:%M:%S" : "%H:%M:%S");
  return g_strdup_printf ("%s.%03d", text, (int) ((ns % 1000000000) / 1000000));
}

/* ======================================================================== */
/* record */

static char *opt_rec_output = NULL;
static double opt_rec_duration = 0;
static gint64 opt_rec_count = 0;
static char *opt_rec_compression = NULL;
static gboolean opt_rec_all = FALSE;

GOptionEntry cli_record_entries[] = {
  { "output", 'o', 0, G_OPTION_ARG_FILENAME, &opt_rec_output,
    "The file to write (default: oneliner-YYYYmmdd-HHMMSS.mcap here)", "FILE" },
  { "duration", 'd', 0, G_OPTION_ARG_DOUBLE, &opt_rec_duration,
    "Stop after S seconds (default: on Ctrl-C or SIGTERM)", "S" },
  { "count", 'n', 0, G_OPTION_ARG_INT64, &opt_rec_count,
    "Stop once N messages are written (the file may hold a few more)", "N" },
  { "compression", 'c', 0, G_OPTION_ARG_STRING, &opt_rec_compression,
    "Compression of the chunks: zstd (default) or none", "zstd|none" },
  { "all", 'a', 0, G_OPTION_ARG_NONE, &opt_rec_all,
    "Record every stream the server lists at the start", NULL },
  { NULL, 0, 0, 0, NULL, NULL, NULL }
};

typedef struct {
  OlRecorder *recorder;
  GMainLoop *loop;
  gint64 start_us;       /* monotonic */
  gint64 end_us;         /* monotonic, 0: no --duration */
  gint64 second_us;      /* the next progress line */
  guint64 second_bytes;  /* bytes at the last progress line */
  gboolean tty;          /* progress lines on stderr */
  gboolean shown;        /* a progress line is on the terminal */
} RecordRun;

static void
s_record_progress (RecordRun *run, const OlRecorderStats *st, gint64 now)
{
  double elapsed = (double) (now - run->start_us) / G_USEC_PER_SEC;
  double mb_s = (double) (st->bytes - run->second_bytes) / 1e6
                / ((double) (now - run->second_us + G_USEC_PER_SEC) / G_USEC_PER_SEC);

  fprintf (stderr, "\r%.0f s: %" G_GUINT64_FORMAT " messages, %.1f MB, %.1f MB/s, missed %"
           G_GUINT64_FORMAT ", overflowed %" G_GUINT64_FORMAT ", lag %.1f ms\033[K", elapsed,
           st->messages, (double) st->bytes / 1e6, mb_s, st->missed, st->overflowed,
           (double) st->lag_us / 1000.0);
  fflush (stderr);
  run->shown = TRUE;
  run->second_bytes = st->bytes;
}

static gboolean
s_record_tick (gpointer data)
{
  RecordRun *run = data;
  OlRecorderStats st;
  gint64 now = g_get_monotonic_time ();

  ol_recorder_get_stats (run->recorder, &st);
  /* A recording that failed (a full disk) ends at once: stop says why. */
  if (g_atomic_int_get (&s_stop) != 0 || st.failed || (run->end_us != 0 && now >= run->end_us)
      || (opt_rec_count > 0 && st.messages >= (guint64) opt_rec_count))
    {
      g_main_loop_quit (run->loop);
      return G_SOURCE_REMOVE;
    }
  if (now >= run->second_us)
    {
      if (run->tty)
        s_record_progress (run, &st, now);
      run->second_us += G_USEC_PER_SEC;
    }
  return G_SOURCE_CONTINUE;
}

/* The default file name: oneliner-YYYYmmdd-HHMMSS.mcap. (transfer full) */
static char *
s_default_file (void)
{
  g_autoptr (GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *stamp = g_date_time_format (now, "%Y%m%d-%H%M%S");

  return g_strdup_printf ("oneliner-%s.mcap", stamp);
}

int
cli_cmd_record (const CliGlobals *g, int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *path = opt_rec_output != NULL ? g_strdup (opt_rec_output)
                                                 : s_default_file ();
  g_autoptr (GPtrArray) names = g_ptr_array_new ();
  OlRecorderOptions options = { 0 };
  RecordRun run = { 0 };
  OlRecorderStats st;
  gboolean existed, ok;
  double elapsed;

  if (opt_rec_all == (argc > 1))
    return s_usage ("record", opt_rec_all ? "--all and stream names exclude each other"
                                          : "name the streams to record, or give --all");
  if (opt_rec_duration < 0 || opt_rec_duration > 1e7 || isnan (opt_rec_duration))
    return s_usage ("record", "--duration must be a number of seconds from 0 to 10000000");
  if (opt_rec_count < 0)
    return s_usage ("record", "--count must be >= 0");
  options.compression = OL_COMPRESSION_ZSTD;
  if (opt_rec_compression != NULL
      && !ol_compression_from_name (opt_rec_compression, &options.compression))
    return s_usage ("record", "--compression must be zstd or none");
  if ((g->secret_key == NULL) != (g->server_key == NULL))
    return s_usage ("record", "--secret-key and --server-key go together");
  for (int i = 1; i < argc; i++)
    g_ptr_array_add (names, argv[i]);
  g_ptr_array_add (names, NULL);
  options.rpc_endpoint = g->rpc != NULL ? g->rpc : OL_DEFAULT_RPC_CONNECT;
  options.stream_endpoint = g->stream != NULL ? g->stream : OL_DEFAULT_STREAM_CONNECT;
  options.secret_key_file = g->secret_key;
  options.server_key_file = g->server_key;
  options.streams = opt_rec_all ? NULL : (const char *const *) names->pdata;

  existed = g_file_test (path, G_FILE_TEST_EXISTS);
  s_catch_signals ();
  run.recorder = ol_recorder_start (path, &options, &error);
  if (run.recorder == NULL)
    {
      GStatBuf sb;

      /* Nothing is left behind: a file this command made, or left empty. */
      if (g_stat (path, &sb) == 0 && S_ISREG (sb.st_mode) && (!existed || sb.st_size == 0))
        g_unlink (path);
      s_file_error ("record", path, error->message);
      return g_error_matches (error, OL_ERROR, OL_ERROR_TIMEOUT) ? EXIT_TIMEOUT : EXIT_ERROR;
    }
  {
    g_autofree char *p = s_shown (path);

    printf ("oneliner record: recording %s%s to %s\n", opt_rec_all ? "every stream" : "",
            opt_rec_all ? "" : argc > 2 ? "the streams named" : "the stream named", p);
    fflush (stdout);
  }
  run.loop = g_main_loop_new (NULL, FALSE);
  run.start_us = g_get_monotonic_time ();
  run.second_us = run.start_us + G_USEC_PER_SEC;
  run.end_us = opt_rec_duration > 0
               ? run.start_us + (gint64) (opt_rec_duration * G_USEC_PER_SEC) : 0;
  run.tty = isatty (STDERR_FILENO) && g_strcmp0 (g_getenv ("TERM"), "dumb") != 0;
  g_timeout_add (50, s_record_tick, &run);
  if (g_atomic_int_get (&s_stop) == 0)
    g_main_loop_run (run.loop);
  g_main_loop_unref (run.loop);
  elapsed = (double) (g_get_monotonic_time () - run.start_us) / G_USEC_PER_SEC;
  ok = ol_recorder_stop (run.recorder, &error);
  ol_recorder_get_stats (run.recorder, &st);
  ol_recorder_free (run.recorder);
  if (run.shown)
    fprintf (stderr, "\n");
  {
    g_autofree char *p = s_shown (path);

    printf ("oneliner record: %s: %" G_GUINT64_FORMAT " messages, %.1f MB in %.1f s "
            "(%.1f MB/s), missed %" G_GUINT64_FORMAT ", overflowed %" G_GUINT64_FORMAT
            ", errors %" G_GUINT64_FORMAT ", %" G_GUINT64_FORMAT " chunks\n", p, st.messages,
            (double) st.bytes / 1e6, elapsed,
            elapsed > 0 ? (double) st.bytes / 1e6 / elapsed : 0.0, st.missed, st.overflowed,
            st.errors, st.chunks);
    fflush (stdout);
  }
  if (!ok)
    return s_file_error ("record", path, error->message);
  return EXIT_OK;
}

/* ======================================================================== */
/* info */

/* What a stream holds in one word or two: its unit, its form, or its image
 * geometry. (transfer full) */
static char *
s_stream_what (json_t *entry)
{
  json_t *desc = json_object_get (entry, "description");
  json_t *image = json_object_get (entry, "image");
  const char *unit = json_string_value (json_object_get (desc, "unit"));
  const char *form = json_string_value (json_object_get (desc, "form"));

  if (json_is_object (image))
    {
      json_t *f = json_object_get (image, "format");
      const char *format = json_is_string (f) ? json_string_value (f) : NULL;
      g_autofree char *format_safe = NULL;
      static const char *const formats[] = { "none", "gray8", "gray16", "rgb8" };

      if (format == NULL && json_is_integer (f) && json_integer_value (f) >= 0
          && json_integer_value (f) < (json_int_t) G_N_ELEMENTS (formats))
        format = formats[json_integer_value (f)];
      format_safe = s_shown (format != NULL ? format : "?");
      return g_strdup_printf ("%" G_GINT64_FORMAT "x%" G_GINT64_FORMAT " %s",
                              s_int (image, "width", 0), s_int (image, "height", 0),
                              format_safe);
    }
  if (unit != NULL || form != NULL)
    {
      g_autofree char *u = unit != NULL ? s_shown (unit) : NULL;
      g_autofree char *f = form != NULL ? s_shown (form) : NULL;

      return g_strdup_printf ("%s%s%s", f != NULL ? f : "", f != NULL && u != NULL ? ", " : "",
                              u != NULL ? u : "");
    }
  return g_strdup ("-");
}

int
cli_cmd_info (const CliGlobals *g, int argc, char **argv)
{
  const char *path = argv[1];
  g_autoptr (OlRecording) rec = s_open ("info", path);
  g_autoptr (json_t) d = NULL;
  g_autoptr (GPtrArray) keys = NULL;
  g_autofree char *p = s_shown (path);
  json_t *streams;
  gint64 start, end, size;
  gboolean complete;
  const char *compression;
  g_autofree char *compression_safe = NULL;
  guint64 missed = 0, errors = 0;

  (void) argc;
  if (rec == NULL)
    return EXIT_ERROR;
  d = ol_recording_describe (rec);
  streams = json_object_get (d, "streams");
  keys = ol_json_sorted_keys (streams);
  start = s_int (d, "start_ns", 0);
  end = s_int (d, "end_ns", 0);
  size = s_int (d, "size", 0);
  complete = !json_is_false (json_object_get (d, "complete"));
  compression = json_string_value (json_object_get (d, "compression"));
  compression_safe = s_shown (compression != NULL ? compression : "?");
  if (g->json)
    {
      /* The description as ol_recording_describe() gives it. */
      cli_print_json_pretty (d);
      fflush (stdout);
      goto done;
    }
  for (guint i = 0; i < keys->len; i++)
    {
      json_t *e = json_object_get (streams, keys->pdata[i]);
      missed += s_int (e, "missed", 0);
      errors += s_int (e, "errors", 0);
    }

  printf ("file:        %s\n", p);
  printf ("size:        %.2f MB (%" G_GINT64_FORMAT " bytes), compression %s, %"
          G_GINT64_FORMAT " chunks\n", (double) size / 1e6, size, compression_safe,
          s_int (d, "chunks", 0));
  if (s_int (d, "messages", 0) > 0 && end >= start)
    {
      g_autofree char *from = s_time_text (start, TRUE);
      g_autofree char *to = s_time_text (end, FALSE);

      printf ("time:        %s to %s (%.3f s)\n", from, to, (double) (end - start) / 1e9);
    }
  else
    printf ("time:        - (no message)\n");
  printf ("messages:    %" G_GINT64_FORMAT " in %u stream%s, errors %" G_GUINT64_FORMAT
          ", missed %" G_GUINT64_FORMAT "\n", s_int (d, "messages", 0), keys->len,
          keys->len == 1 ? "" : "s", errors, missed);
  printf ("state:       %s\n", complete ? "complete"
          : "cut off: the recording was not closed; read up to its last complete chunk");
  printf ("\n%-28s %-8s %10s %11s %8s %8s  %s\n", "STREAM", "ENCODING", "MESSAGES", "RATE",
          "MISSED", "ERRORS", "WHAT");
  for (guint i = 0; i < keys->len; i++)
    {
      json_t *e = json_object_get (streams, keys->pdata[i]);
      g_autofree char *name = s_shown (keys->pdata[i]);
      g_autofree char *what = s_stream_what (e);
      const char *enc = json_string_value (json_object_get (e, "encoding"));
      g_autofree char *enc_safe = s_shown (enc != NULL ? enc : "?");
      gint64 n = s_int (e, "messages", 0), first = s_int (e, "first_ns", 0),
             last = s_int (e, "last_ns", 0);
      g_autofree char *rate = n > 1 && last > first
                              ? g_strdup_printf ("%.2f Hz", (double) (n - 1) * 1e9
                                                            / (double) (last - first))
                              : g_strdup ("-");

      printf ("%-28s %-8s %10" G_GINT64_FORMAT " %11s %8" G_GINT64_FORMAT " %8"
              G_GINT64_FORMAT "  %s\n", name, enc_safe, n, rate, s_int (e, "missed", 0),
              s_int (e, "errors", 0), what);
    }
  {
    json_t *problems = json_object_get (d, "problems");

    if (json_array_size (problems) > 0)
      {
        printf ("\nproblems:\n");
        for (gsize i = 0; i < json_array_size (problems) && i < PROBLEMS_SHOWN; i++)
          {
            g_autofree char *text = s_shown (json_string_value (json_array_get (problems, i)));
            printf ("  %s\n", text);
          }
        if (json_array_size (problems) > PROBLEMS_SHOWN)
          printf ("  and %" G_GSIZE_FORMAT " more\n", json_array_size (problems) - PROBLEMS_SHOWN);
      }
  }
  fflush (stdout);
done:
  if (!complete || json_array_size (json_object_get (d, "problems")) > 0)
    {
      fprintf (stderr, "oneliner info: %s: %s\n", p,
               !complete ? "cut off: read up to its last complete chunk"
                         : "damaged: what could not be read is listed under problems");
      return EXIT_ERROR;
    }
  return EXIT_OK;
}

/* ======================================================================== */
/* play */

static double opt_play_rate = 1.0;
static gboolean opt_play_loop = FALSE;
static char *opt_play_rpc = NULL;
static char *opt_play_stream = NULL;

GOptionEntry cli_play_entries[] = {
  { "rate", 'R', 0, G_OPTION_ARG_DOUBLE, &opt_play_rate,
    "Play X times as fast as recorded (default 1)", "X" },
  { "loop", 'l', 0, G_OPTION_ARG_NONE, &opt_play_loop,
    "Play again from the start at the end, until Ctrl-C or SIGTERM", NULL },
  { "rpc", 'r', 0, G_OPTION_ARG_STRING, &opt_play_rpc,
    "Endpoint the RPC socket binds (default " OL_DEFAULT_RPC_BIND ")", "ENDPOINT" },
  { "stream", 's', 0, G_OPTION_ARG_STRING, &opt_play_stream,
    "Endpoint the stream socket binds (default " OL_DEFAULT_STREAM_BIND ")", "ENDPOINT" },
  { NULL, 0, 0, 0, NULL, NULL, NULL }
};

typedef struct {
  OlStreamWriter *writer;  /* (owned) */
  OlEncoding encoding;
  OlImageInfo image;
  guint64 played;
} PlayStream;

static void
s_play_stream_free (gpointer data)
{
  PlayStream *ps = data;

  g_clear_pointer (&ps->writer, ol_stream_writer_unref);
  g_free (ps);
}

/* Reads the image geometry of a stream's entry; FALSE if it is not there. */
static gboolean
s_image_info (json_t *entry, OlImageInfo *info)
{
  json_t *image = json_object_get (entry, "image");
  json_t *f = json_object_get (image, "format");
  gint64 w = s_int (image, "width", -1), h = s_int (image, "height", -1);
  static const char *const formats[] = { "none", "gray8", "gray16", "rgb8" };

  if (!json_is_object (image) || w < 0 || h < 0 || w > G_MAXUINT32 || h > G_MAXUINT32)
    return FALSE;
  info->width = (guint32) w;
  info->height = (guint32) h;
  info->format = OL_PIXEL_NONE;
  if (json_is_integer (f) && json_integer_value (f) >= 0 && json_integer_value (f) <= 3)
    info->format = (OlPixelFormat) json_integer_value (f);
  for (guint i = 0; json_is_string (f) && i < G_N_ELEMENTS (formats); i++)
    if (strcmp (json_string_value (f), formats[i]) == 0)
      info->format = (OlPixelFormat) i;
  return info->format != OL_PIXEL_NONE;
}

/* Waits until deadline (monotonic us), serving the signals; FALSE if asked
 * to stop. */
static gboolean
s_wait_until (gint64 deadline)
{
  for (;;)
    {
      gint64 now;

      while (g_main_context_iteration (NULL, FALSE))
        ;
      if (g_atomic_int_get (&s_stop) != 0)
        return FALSE;
      now = g_get_monotonic_time ();
      if (now >= deadline)
        return TRUE;
      g_usleep ((gulong) MIN (deadline - now, 50 * 1000));
    }
}

/* Publishes one recorded message on its stream; FALSE (with a reason) if it
 * could not be. */
static gboolean
s_play_push (PlayStream *ps, const OlStreamMessage *m, gint64 timestamp, GError **error)
{
  gint64 give_up = g_get_monotonic_time () + PLAY_BUSY_MAX_US;

  if (m->encoding != ps->encoding
      || (ps->encoding == OL_ENCODING_IMAGE
          && (m->image.width != ps->image.width || m->image.height != ps->image.height
              || m->image.format != ps->image.format)))
    {
      g_set_error_literal (error, OL_ERROR, OL_ERROR_INVALID_ARGS,
                           "a message of another encoding or image geometry than the "
                           "stream's first");
      return FALSE;
    }
  for (;;)
    {
      gboolean ok;

      g_clear_error (error);
      if (m->status & OL_STATUS_ERROR)
        {
          g_autoptr (json_t) v = ol_stream_message_json (m, NULL);
          const char *domain = json_string_value (json_object_get (v, "domain"));
          const char *message = json_string_value (json_object_get (v, "message"));
          g_autoptr (GError) failure = NULL;

          if (domain == NULL || strlen (domain) > 64 || message == NULL)
            {
              g_set_error_literal (error, OL_ERROR, OL_ERROR_PROTOCOL,
                                   "an error message that is not an error object");
              return FALSE;
            }
          failure = g_error_new_literal (g_quark_from_string (domain),
                                         (gint) CLAMP (s_int (v, "code", 0), 0, G_MAXINT),
                                         message);
          ok = ol_stream_writer_push_error_at (ps->writer, failure, timestamp, error);
        }
      else
        ok = ol_stream_writer_push_bytes_at (ps->writer, m->payload, timestamp, error);
      if (ok || !g_error_matches (*error, OL_ERROR, OL_ERROR_BUSY)
          || g_get_monotonic_time () > give_up || g_atomic_int_get (&s_stop) != 0)
        return ok;
      g_usleep (1000);
    }
}

/* Adds the recorded streams to the server, described as recorded. */
static gboolean
s_play_add_streams (OlServer *server, const char *path, json_t *streams, char **names,
                    int n_names, GHashTable *table)
{
  g_autoptr (GPtrArray) keys = ol_json_sorted_keys (streams);

  for (guint i = 0; i < keys->len; i++)
    {
      const char *name = keys->pdata[i];
      json_t *e = json_object_get (streams, name);
      json_t *desc = json_object_get (e, "description");
      g_autoptr (GError) error = NULL;
      PlayStream *ps;
      gboolean wanted = n_names == 0;

      for (int k = 0; k < n_names; k++)
        wanted |= strcmp (names[k], name) == 0;
      if (!wanted)
        continue;
      ps = g_new0 (PlayStream, 1);
      if (s_int (e, "messages", 0) == 0 && ol_encoding_from_name (
            json_string_value (json_object_get (e, "encoding")), &ps->encoding)
          && ps->encoding == OL_ENCODING_IMAGE && !s_image_info (e, &ps->image))
        {
          /* No frame recorded, so no geometry to serve it with. */
          g_autofree char *shown = s_shown (name);

          fprintf (stderr, "oneliner play: %s: no message recorded, not served\n", shown);
          g_free (ps);
          continue;
        }
      if (!ol_encoding_from_name (json_string_value (json_object_get (e, "encoding")),
                                  &ps->encoding)
          || (ps->encoding == OL_ENCODING_IMAGE && !s_image_info (e, &ps->image)))
        {
          g_autofree char *shown = s_shown (name);
          g_autofree char *message = g_strdup_printf (
            "stream \"%s\": its encoding or image geometry is not readable", shown);
          g_free (ps);
          return s_file_error ("play", path, message), FALSE;
        }
      ps->writer = ol_server_add_pushed_stream (server, name, ps->encoding,
                                                ps->encoding == OL_ENCODING_IMAGE
                                                ? &ps->image : NULL, &error);
      if (ps->writer == NULL)
        {
          g_free (ps);
          return s_file_error ("play", path, error->message), FALSE;
        }
      g_hash_table_insert (table, (gpointer) g_intern_string (name), ps);
      if (json_is_object (desc) && !ol_server_describe_stream (server, name, desc, &error))
        {
          g_autofree char *shown = s_shown (name);
          g_autofree char *why = s_shown (error->message);

          fprintf (stderr, "oneliner play: %s: its description is not served: %s\n", shown,
                   why);
        }
    }
  return TRUE;
}

/* One pass over the recording, its first message at *start (monotonic us;
 * 0: now); *start then gets when the next pass starts: one mean spacing of
 * the messages after the last, so that a loop keeps the rate. FALSE if it
 * was stopped or failed (*failed then says which). */
static gboolean
s_play_pass (OlRecording *rec, const char *path, char **names, GHashTable *table,
             gint64 *start, guint64 *played, guint64 *skipped, gboolean *failed)
{
  gint64 first_ts = 0, last_ts = 0;
  guint64 n = 0;
  gboolean have_first = FALSE;
  gint64 wall_start_ns;

  if (*start == 0)
    *start = g_get_monotonic_time ();
  /* The messages carry the times of the schedule, not of their pushes: the
   * recorded timestamps shifted by one constant a pass (scaled by --rate). */
  wall_start_ns = (g_get_real_time () + (*start - g_get_monotonic_time ())) * 1000;

  for (;;)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (OlStreamMessage) m = ol_recording_next (rec, (const char *const *) names,
                                                         &error);
      PlayStream *ps;
      double offset_us;

      if (m == NULL && error != NULL)
        {
          *failed = TRUE;
          s_file_error ("play", path, error->message);
          return FALSE;
        }
      if (m == NULL)
        {
          double span_us = (double) (last_ts - first_ts) / 1000.0 / opt_play_rate;

          *start += (gint64) (n > 1 ? span_us + span_us / (double) (n - 1) : 0.0);
          return TRUE;
        }
      if (!have_first)
        first_ts = m->timestamp, have_first = TRUE;
      last_ts = MAX (last_ts, m->timestamp);
      n++;
      /* Absolute deadlines from the recorded timestamps: nothing drifts. */
      offset_us = (double) (m->timestamp - first_ts) / 1000.0 / opt_play_rate;
      if (!s_wait_until (*start + (gint64) MAX (offset_us, 0.0)))
        return FALSE;
      ps = g_hash_table_lookup (table, m->name);
      if (ps == NULL)
        continue;
      if (s_play_push (ps, m,
                       wall_start_ns + (opt_play_rate == 1.0
                                        ? m->timestamp - first_ts
                                        : (gint64) ((double) (m->timestamp - first_ts)
                                                    / opt_play_rate)),
                       &error))
        {
          ps->played++;
          (*played)++;
        }
      else
        {
          g_autofree char *name = s_shown (m->name);
          g_autofree char *why = s_shown (error->message);

          if (g_error_matches (error, OL_ERROR, OL_ERROR_CLOSED))
            {
              *failed = TRUE;
              fprintf (stderr, "oneliner play: %s: %s\n", name, why);
              return FALSE;
            }
          if ((*skipped)++ < PROBLEMS_SHOWN)
            fprintf (stderr, "oneliner play: %s: message %" G_GUINT64_FORMAT " not played: %s\n",
                     name, m->sequence, why);
        }
    }
}

int
cli_cmd_play (const CliGlobals *g, int argc, char **argv)
{
  const char *path = argv[1];
  g_autoptr (OlRecording) rec = NULL;
  g_autoptr (json_t) d = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GHashTable) table = NULL;
  g_autoptr (OlServer) server = NULL;
  g_autoptr (GPtrArray) names = g_ptr_array_new ();
  guint64 played = 0, skipped = 0;
  gsize said = 0;
  gboolean failed = FALSE, damaged, stopped = FALSE;
  gint64 t0, pass_start = 0;
  guint passes = 0;

  if (!(opt_play_rate >= 1e-3 && opt_play_rate <= 1e3))
    return s_usage ("play", "--rate must be a number from 0.001 to 1000");
  rec = s_open ("play", path);
  if (rec == NULL)
    return EXIT_ERROR;
  d = ol_recording_describe (rec);
  if (!s_check_names ("play", path, json_object_get (d, "streams"), argv + 2, argc - 2))
    return EXIT_ERROR;
  /* The streams read: those named (or all) that have messages. */
  {
    g_autoptr (GPtrArray) keys = ol_json_sorted_keys (json_object_get (d, "streams"));

    for (guint i = 0; i < keys->len; i++)
      {
        gboolean named = argc <= 2;

        for (int k = 2; k < argc; k++)
          named |= strcmp (argv[k], keys->pdata[i]) == 0;
        if (named && s_int (json_object_get (json_object_get (d, "streams"), keys->pdata[i]),
                            "messages", 0) > 0)
          g_ptr_array_add (names, (gpointer) g_intern_string (keys->pdata[i]));
      }
    g_ptr_array_add (names, NULL);
  }
  table = g_hash_table_new_full (NULL, NULL, NULL, s_play_stream_free);
  /* Endpoints given before the command (oneliner --rpc E play FILE) are
   * taken as well. */
  server = ol_server_new (opt_play_rpc != NULL ? opt_play_rpc : g->rpc,
                          opt_play_stream != NULL ? opt_play_stream : g->stream);
  if (!s_play_add_streams (server, path, json_object_get (d, "streams"), argv + 2, argc - 2,
                           table))
    return EXIT_ERROR;
  if (!ol_server_start (server, &error))
    {
      g_autofree char *why = s_shown (error->message);
      fprintf (stderr, "oneliner play: %s\n", why);
      return EXIT_ERROR;
    }
  s_catch_signals ();
  {
    g_autofree char *p = s_shown (path);
    guint n = g_hash_table_size (table);

    printf ("oneliner play: serving rpc %s stream %s (%u stream%s of %s at %gx%s)\n",
            ol_server_get_rpc_endpoint (server), ol_server_get_stream_endpoint (server), n,
            n == 1 ? "" : "s", p, opt_play_rate, opt_play_loop ? ", looping" : "");
    fflush (stdout);
  }
  t0 = g_get_monotonic_time ();
  do
    {
      if (passes++ > 0)
        ol_recording_rewind (rec);
      /* (A recording without any message plays at once.) */
      stopped = names->len > 1
                && !s_play_pass (rec, path, (char **) names->pdata, table, &pass_start,
                                 &played, &skipped, &failed);
      json_decref (d);
      d = ol_recording_describe (rec);
      /* Each problem is said once, the first time a pass meets it. */
      s_report_problems ("play", path, d, &said, FALSE);
    }
  while (opt_play_loop && !stopped && names->len > 1);
  /* The last messages reach the subscribers before the socket closes. */
  if (!stopped)
    s_wait_until (g_get_monotonic_time () + PLAY_LINGER_US);
  {
    g_autofree char *p = s_shown (path);
    g_autofree char *not_played = skipped > 0
      ? g_strdup_printf (", %" G_GUINT64_FORMAT " not played", skipped) : g_strdup ("");

    printf ("oneliner play: %s %" G_GUINT64_FORMAT " messages of %s in %.1f s%s\n",
            failed ? "failed after" : stopped ? "stopped after" : "played", played, p,
            (double) (g_get_monotonic_time () - t0) / G_USEC_PER_SEC, not_played);
    fflush (stdout);
  }
  ol_server_free (&server);
  damaged = s_report_problems ("play", path, d, &said, TRUE);
  return failed || damaged || skipped > 0 ? EXIT_ERROR : EXIT_OK;
}

/* ======================================================================== */
/* export */

static gboolean opt_export_csv = FALSE;
static char *opt_export_output = NULL;

GOptionEntry cli_export_entries[] = {
  { "csv", 0, 0, G_OPTION_ARG_NONE, &opt_export_csv, "Write CSV (RFC 4180)", NULL },
  { "output", 'o', 0, G_OPTION_ARG_FILENAME, &opt_export_output,
    "The directory of the CSV files, one per stream, NAME.csv ('/' in a name as '_'; "
    "default: stdout, for one stream)", "DIR" },
  { NULL, 0, 0, 0, NULL, NULL, NULL }
};

typedef enum {
  SHAPE_UNKNOWN, /* no message seen yet, no description */
  SHAPE_VALUE,   /* one value a message */
  SHAPE_ARRAY,   /* one column per sample */
  SHAPE_OBJECT,  /* one column per field */
} Shape;

typedef struct {
  const char *name;      /* interned */
  Shape shape;
  gboolean described;    /* the shape (and the fields) came from the description */
  GPtrArray *fields;     /* (owned) of char *, SHAPE_OBJECT */
  gsize columns;         /* SHAPE_ARRAY: the most samples of a message */
  char *path;            /* (owned) (nullable) NULL: stdout */
  FILE *out;
  guint64 rows, errors, other;
} ExportStream;

static void
s_export_stream_free (gpointer data)
{
  ExportStream *es = data;

  if (es->out != NULL && es->out != stdout)
    fclose (es->out);
  g_clear_pointer (&es->fields, g_ptr_array_unref);
  g_free (es->path);
  g_free (es);
}

/* Appends a CSV field, quoted as RFC 4180 asks when it must be. */
static void
s_csv_field (GString *out, const char *text)
{
  if (strpbrk (text, ",\"\r\n") == NULL)
    {
      g_string_append (out, text);
      return;
    }
  g_string_append_c (out, '"');
  for (const char *c = text; *c != '\0'; c++)
    {
      if (*c == '"')
        g_string_append_c (out, '"');
      g_string_append_c (out, *c);
    }
  g_string_append_c (out, '"');
}

/* The shortest text that reads back as exactly x. */
static void
s_csv_double (GString *out, double x)
{
  char buf[40];

  for (int precision = 1; precision <= 17; precision++)
    {
      g_snprintf (buf, sizeof buf, "%.*g", precision, x);
      if (strtod (buf, NULL) == x)
        break;
    }
  g_string_append (out, buf);
}

/* A JSON value as a CSV field: a number shortest-exact, a string as it is
 * (control characters escaped), true/false, nothing for null or a missing
 * value, other values as compact JSON. */
static void
s_csv_value (GString *out, json_t *v)
{
  if (v == NULL || json_is_null (v))
    return;
  if (json_is_integer (v))
    g_string_append_printf (out, "%" JSON_INTEGER_FORMAT, json_integer_value (v));
  else if (json_is_real (v))
    s_csv_double (out, json_real_value (v));
  else if (json_is_boolean (v))
    g_string_append (out, json_is_true (v) ? "true" : "false");
  else if (json_is_string (v))
    {
      g_autofree char *safe = cli_safe (json_string_value (v),
                                        (gssize) json_string_length (v), FALSE);
      s_csv_field (out, safe);
    }
  else
    {
      g_autofree char *text = ol_json_dumps (v, JSON_COMPACT | JSON_ENCODE_ANY);
      g_autofree char *safe = cli_safe (text != NULL ? text : "", -1, TRUE);
      s_csv_field (out, safe);
    }
}

/* The shape of a stream from its description; SHAPE_UNKNOWN if it gives
 * none (or one this command cannot read). */
static void
s_export_shape_from_description (ExportStream *es, json_t *desc)
{
  const char *form = json_string_value (json_object_get (desc, "form"));
  json_t *fields = json_object_get (desc, "fields");

  if (g_strcmp0 (form, "number") == 0)
    es->shape = SHAPE_VALUE;
  else if (g_strcmp0 (form, "array") == 0)
    {
      es->shape = SHAPE_ARRAY;
      es->columns = (gsize) MIN (s_int (desc, "length", 0), 1 << 20);
    }
  else if (g_strcmp0 (form, "object") == 0 && json_array_size (fields) > 0)
    {
      es->shape = SHAPE_OBJECT;
      es->fields = g_ptr_array_new_with_free_func (g_free);
      for (gsize i = 0; i < json_array_size (fields); i++)
        {
          const char *name = json_string_value (json_object_get (json_array_get (fields, i),
                                                                 "name"));
          if (name == NULL)
            {
              es->shape = SHAPE_UNKNOWN;
              g_clear_pointer (&es->fields, g_ptr_array_unref);
              return;
            }
          g_ptr_array_add (es->fields, g_strdup (name));
        }
    }
  es->described = es->shape != SHAPE_UNKNOWN;
}

/* The JSON value of a message, NULL for an error message or one that is not
 * JSON. (transfer full) */
static json_t *
s_export_value (const OlStreamMessage *m)
{
  gsize size;
  const char *data = g_bytes_get_data (m->payload, &size);

  if ((m->status & OL_STATUS_ERROR) || m->encoding != OL_ENCODING_JSON || size == 0
      || size > EXPORT_JSON_MAX)
    return NULL;
  return json_loadb (data, size, JSON_DECODE_ANY, NULL);
}

/* Learns from a message what the description did not say: the shape, the
 * fields of an object (the first message's), the samples of an array (the
 * most of any message). */
static void
s_export_learn (ExportStream *es, json_t *v)
{
  if (v == NULL)
    return;
  if (es->shape == SHAPE_UNKNOWN)
    es->shape = json_is_array (v) ? SHAPE_ARRAY : json_is_object (v) ? SHAPE_OBJECT
                                                                       : SHAPE_VALUE;
  if (es->shape == SHAPE_ARRAY && json_is_array (v))
    es->columns = MAX (es->columns, json_array_size (v));
  if (es->shape == SHAPE_OBJECT && es->fields == NULL && json_is_object (v))
    {
      const char *key;
      json_t *x;

      es->fields = g_ptr_array_new_with_free_func (g_free);
      json_object_foreach (v, key, x)
        g_ptr_array_add (es->fields, g_strdup (key));
    }
}

static void
s_export_header (ExportStream *es)
{
  g_autoptr (GString) line = g_string_new ("timestamp,sequence");

  if (es->shape == SHAPE_ARRAY)
    for (gsize i = 0; i < es->columns; i++)
      g_string_append_printf (line, ",value_%" G_GSIZE_FORMAT, i);
  else if (es->shape == SHAPE_OBJECT)
    for (guint i = 0; i < es->fields->len; i++)
      {
        g_autofree char *safe = cli_safe (es->fields->pdata[i], -1, FALSE);
        g_string_append_c (line, ',');
        s_csv_field (line, safe);
      }
  else
    g_string_append (line, ",value");
  g_string_append (line, "\r\n");
  fwrite (line->str, 1, line->len, es->out);
}

/* Writes one message as a row; FALSE if it is not of the stream's shape. */
static gboolean
s_export_row (ExportStream *es, const OlStreamMessage *m, json_t *v)
{
  g_autoptr (GString) line = g_string_new (NULL);
  gint64 ts = m->timestamp;

  g_string_printf (line, "%s%" G_GINT64_FORMAT ".%09" G_GINT64_FORMAT ",%" G_GUINT64_FORMAT,
                   ts < 0 ? "-" : "", ABS (ts / 1000000000), ABS (ts % 1000000000),
                   m->sequence);
  if (es->shape == SHAPE_ARRAY)
    {
      if (!json_is_array (v) || json_array_size (v) > es->columns)
        return FALSE;
      for (gsize i = 0; i < es->columns; i++)
        {
          g_string_append_c (line, ',');
          s_csv_value (line, json_array_get (v, i));
        }
    }
  else if (es->shape == SHAPE_OBJECT)
    {
      if (!json_is_object (v))
        return FALSE;
      for (guint i = 0; i < es->fields->len; i++)
        {
          g_string_append_c (line, ',');
          s_csv_value (line, json_object_get (v, es->fields->pdata[i]));
        }
    }
  else
    {
      gsize size;
      const char *text = g_bytes_get_data (m->payload, &size);

      if (json_is_array (v) || json_is_object (v))
        return FALSE;
      g_string_append_c (line, ',');
      if (json_is_number (v))
        {
          /* A number as its JSON text was, when that is plain. */
          g_autofree char *trimmed = g_strstrip (g_strndup (text, MIN (size, 64)));
          gboolean plain = size <= 64 && trimmed[0] != '\0';

          for (const char *c = trimmed; plain && *c != '\0'; c++)
            plain = strchr ("0123456789+-.eE", *c) != NULL;
          if (plain)
            g_string_append (line, trimmed);
          else
            s_csv_value (line, v);
        }
      else
        s_csv_value (line, v);
    }
  g_string_append (line, "\r\n");
  fwrite (line->str, 1, line->len, es->out);
  return TRUE;
}

/* A file name for a stream name: every byte but [A-Za-z0-9._-] as '_', not
 * starting with a dot, made unique among used. (transfer full) */
static char *
s_export_file_name (const char *name, GHashTable *used)
{
  g_autoptr (GString) base = g_string_new (NULL);
  char *file;

  for (const char *c = name; *c != '\0' && base->len < 200; c++)
    g_string_append_c (base, g_ascii_isalnum (*c) || strchr ("._-", *c) ? *c : '_');
  if (base->len == 0 || base->str[0] == '.')
    g_string_prepend_c (base, '_');
  file = g_strdup_printf ("%s.csv", base->str);
  for (int i = 2; g_hash_table_contains (used, file); i++)
    {
      g_free (file);
      file = g_strdup_printf ("%s-%d.csv", base->str, i);
    }
  g_hash_table_add (used, g_strdup (file));
  return file;
}

int
cli_cmd_export (const CliGlobals *g, int argc, char **argv)
{
  const char *path = argv[1];
  g_autoptr (OlRecording) rec = NULL;
  g_autoptr (json_t) d = NULL;
  g_autoptr (GPtrArray) selected = g_ptr_array_new_with_free_func (s_export_stream_free);
  g_autoptr (GPtrArray) names = g_ptr_array_new ();
  g_autoptr (GHashTable) by_name = g_hash_table_new (NULL, NULL);
  g_autoptr (GHashTable) used = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  json_t *streams;
  gboolean failed = FALSE;

  (void) g;
  if (!opt_export_csv)
    return s_usage ("export", "give the format: --csv");
  rec = s_open ("export", path);
  if (rec == NULL)
    return EXIT_ERROR;
  d = ol_recording_describe (rec);
  streams = json_object_get (d, "streams");
  if (!s_check_names ("export", path, streams, argv + 2, argc - 2))
    return EXIT_ERROR;

  /* The streams: those named, or every JSON stream. */
  {
    g_autoptr (GPtrArray) keys = ol_json_sorted_keys (streams);

    for (guint i = 0; i < keys->len; i++)
      {
        const char *name = keys->pdata[i];
        json_t *e = json_object_get (streams, name);
        gboolean named = FALSE;
        ExportStream *es;

        for (int k = 2; k < argc; k++)
          named |= strcmp (argv[k], name) == 0;
        if (argc > 2 && !named)
          continue;
        if (g_strcmp0 (json_string_value (json_object_get (e, "encoding")), "json") != 0)
          {
            g_autofree char *shown = s_shown (name);
            g_autofree char *message = g_strdup_printf (
              "stream \"%s\" is not JSON: only numbers, arrays and objects go to CSV", shown);

            if (named)
              return s_file_error ("export", path, message);
            fprintf (stderr, "oneliner export: %s: left out\n", message);
            continue;
          }
        es = g_new0 (ExportStream, 1);
        es->name = g_intern_string (name);
        s_export_shape_from_description (es, json_object_get (e, "description"));
        g_ptr_array_add (selected, es);
        /* A stream without messages gets its header alone. */
        if (s_int (e, "messages", 0) > 0)
          g_ptr_array_add (names, (gpointer) es->name);
        g_hash_table_insert (by_name, (gpointer) es->name, es);
      }
  }
  if (selected->len == 0)
    return s_file_error ("export", path, "no JSON stream to export");
  if (selected->len > 1 && opt_export_output == NULL)
    return s_usage ("export", "several streams: give a directory with -o, or name one stream");
  g_ptr_array_add (names, NULL);

  /* A first pass learns what the descriptions did not say. */
  for (; names->len > 1;)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (OlStreamMessage) m = ol_recording_next (rec, (const char *const *) names->pdata,
                                                         &error);
      ExportStream *es;
      g_autoptr (json_t) v = NULL;

      if (m == NULL && error != NULL)
        return s_file_error ("export", path, error->message);
      if (m == NULL)
        break;
      es = g_hash_table_lookup (by_name, m->name);
      if (es == NULL || (es->described && es->shape != SHAPE_ARRAY)
          || (es->shape == SHAPE_OBJECT && es->fields != NULL))
        continue;
      v = s_export_value (m);
      s_export_learn (es, v);
    }
  ol_recording_rewind (rec);

  /* The files. */
  if (opt_export_output != NULL && g_mkdir_with_parents (opt_export_output, 0755) != 0)
    {
      g_autofree char *message = g_strdup_printf ("cannot make the directory: %s",
                                                  g_strerror (errno));
      return s_file_error ("export", opt_export_output, message);
    }
  for (guint i = 0; i < selected->len; i++)
    {
      ExportStream *es = selected->pdata[i];

      if (es->shape == SHAPE_UNKNOWN)
        es->shape = SHAPE_VALUE;
      if (es->shape == SHAPE_OBJECT && es->fields == NULL)
        es->fields = g_ptr_array_new_with_free_func (g_free);
      if (opt_export_output == NULL)
        es->out = stdout;
      else
        {
          g_autofree char *file = s_export_file_name (es->name, used);

          es->path = g_build_filename (opt_export_output, file, NULL);
          es->out = fopen (es->path, "w");
          if (es->out == NULL)
            return s_file_error ("export", es->path, g_strerror (errno));
        }
      s_export_header (es);
    }

  for (; names->len > 1;)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (OlStreamMessage) m = ol_recording_next (rec, (const char *const *) names->pdata,
                                                         &error);
      g_autoptr (json_t) v = NULL;
      ExportStream *es;

      if (m == NULL && error != NULL)
        {
          s_file_error ("export", path, error->message);
          failed = TRUE;
          break;
        }
      if (m == NULL)
        break;
      es = g_hash_table_lookup (by_name, m->name);
      if (es == NULL)
        continue;
      if (m->status & OL_STATUS_ERROR)
        {
          es->errors++;
          continue;
        }
      v = s_export_value (m);
      if (v != NULL && s_export_row (es, m, v))
        es->rows++;
      else
        es->other++;
    }

  for (guint i = 0; i < selected->len; i++)
    {
      ExportStream *es = selected->pdata[i];
      g_autofree char *name = s_shown (es->name);

      if (es->out != stdout && (ferror (es->out) || fclose (es->out) != 0))
        {
          es->out = NULL;
          s_file_error ("export", es->path, "cannot write it");
          failed = TRUE;
          continue;
        }
      if (es->out == stdout && (fflush (stdout) != 0 || ferror (stdout)))
        {
          fprintf (stderr, "oneliner export: cannot write to stdout\n");
          failed = TRUE;
        }
      es->out = NULL;
      if (es->path != NULL)
        {
          g_autofree char *file = s_shown (es->path);
          fprintf (stderr, "oneliner export: %s: %" G_GUINT64_FORMAT " rows to %s\n", name,
                   es->rows, file);
        }
      if (es->errors > 0 || es->other > 0)
        fprintf (stderr, "oneliner export: %s: left out %" G_GUINT64_FORMAT " error messages "
                 "and %" G_GUINT64_FORMAT " messages not of the stream's form\n", name,
                 es->errors, es->other);
    }
  json_decref (d);
  d = ol_recording_describe (rec);
  if (s_report_problems ("export", path, d, NULL, TRUE))
    failed = TRUE;
  return failed ? EXIT_ERROR : EXIT_OK;
}
