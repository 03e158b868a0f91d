/* oneliner-relay: a server with no instruments of its own that gathers the
 * calls and streams of other servers (mounts) and plain PUB sockets (relays). */
#include <glib-unix.h>
#include <locale.h>
#include <oneliner/oneliner.h>
#include <stdio.h>
#include "tools/config_file.h"
#include <errno.h>
#include <string.h>
#include <zmq.h>

static char *opt_rpc = NULL;
static char *opt_stream = NULL;
static char *opt_config = NULL;
static char **opt_mounts = NULL;
static char **opt_relays = NULL;

static char *opt_secret_key = NULL;
static char *opt_authorized_keys = NULL;
static gboolean opt_require_keys = FALSE;
static gboolean opt_version = FALSE;

/* The configuration file, if any, with the command line's endpoints and keys
 * in place of the file's; else the keys of the command line. */
static gboolean
s_configure (OlServer *server, GError **error)
{
  const char *const overrides[] = { "rpc", opt_rpc, "stream", opt_stream,
                                    "secret_key", opt_secret_key,
                                    "authorized_keys", opt_authorized_keys, NULL };

  if ((opt_secret_key == NULL) != (opt_authorized_keys == NULL))
    {
      g_set_error_literal (error, OL_ERROR, OL_ERROR_CONFIG,
                           "--secret-key and --authorized-keys go together");
      return FALSE;
    }
  if (opt_config != NULL)
    return tool_config_load (server, opt_config, overrides, error);
  return opt_secret_key == NULL
         || ol_server_set_keys (server, opt_secret_key, opt_authorized_keys, error);
}

static gboolean
s_check_keys (OlServer *server, GError **error)
{
  if (opt_require_keys && !ol_server_has_keys (server))
    {
      g_set_error_literal (error, OL_ERROR, OL_ERROR_CONFIG,
                           "--require-keys: no keys given (--secret-key and --authorized-keys, "
                           "or \"secret_key\" and \"authorized_keys\" in the configuration)");
      return FALSE;
    }
  return TRUE;
}

static gboolean
s_on_hangup (gpointer server)
{
  g_autoptr (GError) error = NULL;

  if (!ol_server_reload_keys (server, &error))
    g_warning ("%s", error->message);
  return G_SOURCE_CONTINUE;
}

static GOptionEntry s_entries[] = {
  { "rpc", 'r', 0, G_OPTION_ARG_STRING, &opt_rpc,
    "Endpoint the RPC socket binds (default " OL_DEFAULT_RPC_BIND ")", "ENDPOINT" },
  { "stream", 's', 0, G_OPTION_ARG_STRING, &opt_stream,
    "Endpoint the stream socket binds (default " OL_DEFAULT_STREAM_BIND ")", "ENDPOINT" },
  { "mount", 'm', 0, G_OPTION_ARG_STRING_ARRAY, &opt_mounts,
    "Mount a oneliner server under NAME (repeatable); with SERVER_KEY_FILE (its public key) "
    "the mount logs in to it with --secret-key", "NAME=RPC_ENDPOINT,STREAM_ENDPOINT[,SERVER_KEY_FILE]" },
  { "relay", 0, 0, G_OPTION_ARG_STRING_ARRAY, &opt_relays,
    "Re-publish a plain PUB socket as stream NAME, optionally only TOPIC (repeatable)",
    "NAME=PUB_ENDPOINT[,TOPIC]" },
  { "config", 'c', 0, G_OPTION_ARG_FILENAME, &opt_config,
    "JSON configuration file: endpoints, mounts, relays (docs/CONFIG.md)", "FILE" },
  { "secret-key", 0, 0, G_OPTION_ARG_FILENAME, &opt_secret_key,
    "The server's secret key (oneliner keygen); with --authorized-keys, only listed keys connect", "FILE" },
  { "authorized-keys", 0, 0, G_OPTION_ARG_FILENAME, &opt_authorized_keys,
    "Public keys allowed in, one a line: KEY control|read-only [NAME] (re-read on change and SIGHUP)", "FILE" },
  { "require-keys", 0, 0, G_OPTION_ARG_NONE, &opt_require_keys,
    "Refuse to start without keys", NULL },
  { "version", 0, 0, G_OPTION_ARG_NONE, &opt_version,
    "Print the version and exit", NULL },
  G_OPTION_ENTRY_NULL
};

static gboolean
s_on_signal (gpointer loop)
{
  g_main_loop_quit (loop);
  return G_SOURCE_REMOVE;
}

/* Splits "NAME=A[,B]". */
static gboolean
s_split (const char *option, const char *spec, char **name, char **a, char **b,
         gboolean b_required, GError **error)
{
  const char *eq = strchr (spec, '=');
  const char *comma;

  if (eq == NULL || eq == spec || eq[1] == '\0')
    goto bad;
  *name = g_strndup (spec, (gsize) (eq - spec));
  comma = strchr (eq + 1, ',');
  *a = comma ? g_strndup (eq + 1, (gsize) (comma - eq - 1)) : g_strdup (eq + 1);
  *b = comma && comma[1] ? g_strdup (comma + 1) : NULL;
  if ((*a)[0] == '\0' || (b_required && *b == NULL))
    {
      g_clear_pointer (name, g_free);
      g_clear_pointer (a, g_free);
      g_clear_pointer (b, g_free);
      goto bad;
    }
  return TRUE;
bad:
  g_set_error (error, OL_ERROR, OL_ERROR_CONFIG, "--%s %s: expected %s", option, spec,
               b_required ? "NAME=RPC_ENDPOINT,STREAM_ENDPOINT" : "NAME=PUB_ENDPOINT[,TOPIC]");
  return FALSE;
}

/* Whether a SUB socket can connect to endpoint (its syntax and transport),
 * tried on a throwaway socket: a bad --relay fails before the start, as a
 * bad --mount does. */
static gboolean
s_check_relay_endpoint (const char *spec, const char *endpoint, GError **error)
{
  void *ctx = zmq_ctx_new ();
  void *sock = ctx != NULL ? zmq_socket (ctx, ZMQ_SUB) : NULL;
  int linger = 0, rc = -1, err = errno;

  if (sock != NULL)
    {
      zmq_setsockopt (sock, ZMQ_LINGER, &linger, sizeof linger);
      rc = zmq_connect (sock, endpoint);
      err = errno;
      zmq_close (sock);
    }
  if (ctx != NULL)
    zmq_ctx_term (ctx);
  if (rc != 0)
    g_set_error (error, OL_ERROR, OL_ERROR_SOCKET, "--relay %s: cannot connect to %s: %s",
                 spec, endpoint, zmq_strerror (err));
  return rc == 0;
}

static gboolean
s_setup (OlServer *server, GError **error)
{
  if (!s_configure (server, error))
    return FALSE;
  for (int i = 0; opt_mounts && opt_mounts[i]; i++)
    {
      g_autofree char *name = NULL, *rpc = NULL, *stream = NULL;
      char *server_key;

      if (!s_split ("mount", opt_mounts[i], &name, &rpc, &stream, TRUE, error))
        return FALSE;
      /* STREAM_ENDPOINT[,SERVER_KEY_FILE] */
      server_key = strchr (stream, ',');
      if (server_key != NULL)
        *server_key++ = '\0';
      if (server_key != NULL && (server_key[0] == '\0' || stream[0] == '\0'))
        {
          g_set_error (error, OL_ERROR, OL_ERROR_CONFIG,
                       "--mount %s: expected NAME=RPC_ENDPOINT,STREAM_ENDPOINT[,SERVER_KEY_FILE]",
                       opt_mounts[i]);
          return FALSE;
        }
      if (server_key != NULL && opt_secret_key == NULL)
        {
          g_set_error (error, OL_ERROR, OL_ERROR_CONFIG,
                       "--mount %s: a server key needs --secret-key, the key the mount logs in with",
                       opt_mounts[i]);
          return FALSE;
        }
      if (!ol_server_mount_with_keys (server, name, rpc, stream,
                                      server_key ? opt_secret_key : NULL, server_key, error))
        return FALSE;
    }
  for (int i = 0; opt_relays && opt_relays[i]; i++)
    {
      g_autofree char *name = NULL, *endpoint = NULL, *topic = NULL;

      if (!s_split ("relay", opt_relays[i], &name, &endpoint, &topic, FALSE, error)
          || !s_check_relay_endpoint (opt_relays[i], endpoint, error)
          || !ol_server_add_zmq_stream (server, name, endpoint, topic, TRUE, error))
        return FALSE;
    }
  return s_check_keys (server, error) && ol_server_start (server, error);
}

int
main (int argc, char **argv)
{
  g_autoptr (GOptionContext) ctx = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (OlServer) server = NULL;
  g_autoptr (GMainLoop) loop = NULL;

  setlocale (LC_ALL, "");
  ctx = g_option_context_new ("- gather oneliner servers");
  g_option_context_set_summary (ctx,
    "Serves the calls and streams of other oneliner servers under a prefix each\n"
    "(--mount lab1=tcp://pc1:5555,tcp://pc1:5556 makes \"lab1/stage\" call \"stage\"\n"
    "on pc1) and re-publishes plain ZeroMQ PUB sockets as streams (--relay).\n"
    "Mounts nest: a relay can mount another relay. An upstream with keys is mounted\n"
    "with its public key (--mount lab1=RPC,STREAM,lab1.pub) and the relay's own\n"
    "--secret-key, whose public key the upstream lists with the mount's role.\n"
    "'oneliner mounts' shows each mount's state and counters.\n"
    " Stops cleanly on SIGINT or SIGTERM; SIGHUP re-reads the authorized keys.");
  g_option_context_add_main_entries (ctx, s_entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    {
      fprintf (stderr, "oneliner-relay: %s (try --help)\n", error->message);
      return 2;
    }
  if (opt_version)
    {
      printf ("oneliner-relay %s (protocol %d)\n", ol_version_string (), OL_PROTOCOL_VERSION);
      return 0;
    }
  if (argc > 1)
    {
      fprintf (stderr, "oneliner-relay: unexpected argument \"%s\" (try --help)\n", argv[1]);
      return 2;
    }
  server = ol_server_new (opt_rpc, opt_stream);
  if (!s_setup (server, &error))
    {
      fprintf (stderr, "oneliner-relay: %s\n", error->message);
      return g_error_matches (error, OL_ERROR, OL_ERROR_CONFIG) ? 2 : 1;
    }
  loop = g_main_loop_new (NULL, FALSE);
  g_unix_signal_add (SIGINT, s_on_signal, loop);
  g_unix_signal_add (SIGTERM, s_on_signal, loop);
  g_unix_signal_add (SIGHUP, s_on_hangup, server);
  printf ("oneliner-relay: serving rpc %s stream %s\n", ol_server_get_rpc_endpoint (server),
          ol_server_get_stream_endpoint (server));
  fflush (stdout);
  g_main_loop_run (loop);
  ol_server_free (&server);
  printf ("oneliner-relay: stopped\n");
  return 0;
}
