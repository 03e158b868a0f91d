/* oneliner: the commands of recordings (record, info, play, export). */
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

/* Each command's options, and the command: argv[0] is "oneliner NAME", the
 * arguments follow; returns the exit status. */
extern GOptionEntry cli_record_entries[];
extern GOptionEntry cli_play_entries[];
extern GOptionEntry cli_export_entries[];

/* oneliner top (tools/oneliner_top.c); json: --json. */
typedef struct OlClient OlClient;
extern GOptionEntry cli_top_entries[];
int cli_cmd_top (OlClient *client, gboolean json, int argc, char **argv);

int cli_cmd_record (const CliGlobals *globals, int argc, char **argv);
int cli_cmd_info (const CliGlobals *globals, int argc, char **argv);
int cli_cmd_play (const CliGlobals *globals, int argc, char **argv);
int cli_cmd_export (const CliGlobals *globals, int argc, char **argv);
