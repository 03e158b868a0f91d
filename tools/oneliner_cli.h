/* oneliner: what the files of the command share: exit statuses, options,
 * output helpers, and the commands each file gives (oneliner.c: main, calls,
 * lists, info NAME; oneliner_watch.c: echo, hz, bw; oneliner_top.c: top;
 * oneliner_record.c: record, info FILE, play, export). */
#pragma once

#include <glib.h>
#include <jansson.h>

/* The exit statuses of the oneliner command (README, "The oneliner command"). */
enum {
  EXIT_OK = 0,
  EXIT_ERROR = 1,   /* the server answered with an error; a file that cannot be read */
  EXIT_USAGE = 2,   /* bad command line */
  EXIT_TIMEOUT = 3, /* no answer within --timeout */
  EXIT_SERVER_GONE = 4, /* echo, hz: the stream server is gone */
};

/* The global options of the command, as given (each may be NULL). */
typedef struct {
  const char *rpc;
  const char *stream;
  const char *secret_key;
  const char *server_key;
  int timeout_ms;
  gboolean json;    /* --json: print data as JSON */
} CliGlobals;

/* Text from outside made safe for a terminal (tools/oneliner.c).
 * (transfer full) */
char *cli_safe (const char *text, gssize len, gboolean json);

/* Prints value as one line of JSON, reals in their shortest form, made safe
 * for a terminal (tools/oneliner.c). */
void cli_print_json (json_t *value);

/* Prints value as indented JSON with sorted keys (tools/oneliner.c). */
void cli_print_json_pretty (json_t *value);

/* The commands of recordings (tools/oneliner_record.c), which make no
 * OlClient of this process: each one's options, and the command (argv[0]
 * is "oneliner NAME", the arguments follow); returns the exit status. */
extern GOptionEntry cli_record_entries[];
extern GOptionEntry cli_play_entries[];
extern GOptionEntry cli_export_entries[];

/* The global options, as given (tools/oneliner.c): --json, --timeout. */
extern gboolean cli_json;
extern int cli_timeout_ms;

/* Says on stderr "oneliner: WHAT: MESSAGE" (the error's message made safe)
 * and returns the exit status: EXIT_TIMEOUT for OL_ERROR_TIMEOUT, else
 * EXIT_ERROR. */
int cli_fail (const char *what, GError *error);

/* Says a usage error of the command on stderr; returns EXIT_USAGE. */
int cli_usage_error (const char *fmt, ...) G_GNUC_PRINTF (1, 2);

/* x with digits after the point, whatever the locale. (transfer full) */
char *cli_fixed (double x, int digits);

/* A number of bytes (per second with per_s) in B, kB, MB or GB (powers of
 * 1000), 3 significant digits. (transfer full) */
char *cli_bytes_text (double bytes, gboolean per_s);

typedef struct OlClient OlClient;

/* The server's "streams" reply, from one call bounded by --timeout and the
 * grace a stream server gets to be reachable; NULL if the server did not
 * answer (a plain PUB, say): then *why (transfer full) says why
 * (tools/oneliner_watch.c). (transfer full) */
json_t *cli_list_streams (OlClient *client, char **why);

/* Looks stream name up in streams (a "streams" reply, or NULL: then the
 * command goes on as if the stream were there). Returns -1 to go on, *entry
 * (transfer full) its entry or NULL; else the exit status, said on stderr:
 * the stream does not exist. A disabled stream is said on stderr. */
int cli_stream_find (json_t *streams, const char *command, const char *name, json_t **entry);

/* The commands of the other files, as the command table of oneliner.c
 * calls them: argv[0] is "oneliner NAME", the arguments follow. */
extern GOptionEntry cli_echo_entries[];
extern GOptionEntry cli_hz_entries[];
extern GOptionEntry cli_top_entries[];
int cli_cmd_echo (OlClient *client, int argc, char **argv);
int cli_cmd_hz (OlClient *client, int argc, char **argv);
int cli_cmd_bw (OlClient *client, int argc, char **argv);
int cli_cmd_top (OlClient *client, int argc, char **argv);

int cli_cmd_record (const CliGlobals *globals, int argc, char **argv);
int cli_cmd_info (const CliGlobals *globals, int argc, char **argv);
int cli_cmd_play (const CliGlobals *globals, int argc, char **argv);
int cli_cmd_export (const CliGlobals *globals, int argc, char **argv);
