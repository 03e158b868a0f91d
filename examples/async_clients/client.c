/* examples/async_clients/client.c: one thread, one GMainLoop, several
 * servers at once.
 *
 * Each server gets its own OlClient; all of them dispatch on the same main
 * context, so their replies and stream messages arrive as callbacks in
 * this one thread, in whatever order the servers answer: nothing waits for
 * anything. This is how a GUI or a supervisor talks to a lab's instruments. */
#include <locale.h>
#include <oneliner/oneliner.h>
#include <stdio.h>

#define STREAM "station/pressure"

typedef struct App App;

typedef struct {
  App *app;
  OlClient *client;  /* (owned) */
  char *label;       /* (owned) the endpoint, for messages */
  char *name;        /* (owned) (nullable) as info() answered */
  int received;      /* stream messages taken */
  gboolean answered; /* info() replied */
  gboolean done;
} Station;

struct App {
  GMainLoop *loop;
  GPtrArray *stations; /* (owned) Station * */
  int count;           /* messages wanted from each */
  int pending;         /* stations not done yet */
  int status;
};

static void
s_station_free (gpointer data)
{
  Station *s = data;

  ol_client_free (&s->client);
  g_free (s->label);
  g_free (s->name);
  g_free (s);
}

static void
s_check_done (Station *s)
{
  if (s->done || !s->answered || s->received < s->app->count)
    return;
  s->done = TRUE;
  printf ("%s (%s): info answered, %d readings\n", s->name ? s->name : "?", s->label,
          s->received);
  if (--s->app->pending == 0)
    g_main_loop_quit (s->app->loop);
}

/* The reply of info(), on the main loop. */
static void
s_on_info (GObject *source, GAsyncResult *result, gpointer data)
{
  Station *s = data;
  g_autoptr (GError) error = NULL;
  g_autoptr (json_t) info = ol_client_call_finish (s->client, result, &error);
  const char *name = NULL;

  (void) source;
  if (info == NULL || json_unpack (info, "{s:s}", "name", &name) != 0)
    {
      fprintf (stderr, "async-clients: %s: info: %s\n", s->label,
               error ? error->message : "no name");
      s->app->status = 1;
      g_main_loop_quit (s->app->loop);
      return;
    }
  /* The name comes from the network: keep at most 64 bytes of it. */
  s->name = g_strndup (name, 64);
  s->answered = TRUE;
  s_check_done (s);
}

/* New messages of a station's stream, on the main loop: take them all. */
static void
s_on_stream (OlClient *client, const char *name, gpointer data)
{
  Station *s = data;
  OlStreamMessage *m;
  g_autoptr (GError) error = NULL;

  while ((m = ol_client_get_stream (client, name, 0, &error)) != NULL)
    {
      s->received++;
      ol_stream_message_free (m);
    }
  if (!g_error_matches (error, OL_ERROR, OL_ERROR_TIMEOUT))
    fprintf (stderr, "async-clients: %s: %s\n", s->label, error->message);
  s_check_done (s);
}

static gboolean
s_on_timeout (gpointer data)
{
  App *app = data;

  fprintf (stderr, "async-clients: %d of %u stations not done in time\n", app->pending,
           app->stations->len);
  app->status = 1;
  g_main_loop_quit (app->loop);
  return G_SOURCE_REMOVE;
}

int
main (int argc, char **argv)
{
  g_auto (GStrv) servers = NULL;
  int seconds = 30;
  App app = { .count = 10 };
  GOptionEntry entries[] = {
    { "server", 'S', 0, G_OPTION_ARG_STRING_ARRAY, &servers,
      "A station: its RPC and stream endpoints (repeat; default "
      OL_DEFAULT_RPC_CONNECT "," OL_DEFAULT_STREAM_CONNECT ")", "RPC,STREAM" },
    { "count", 'n', 0, G_OPTION_ARG_INT, &app.count,
      "Readings to take from each station (default 10)", "N" },
    { "seconds", 't', 0, G_OPTION_ARG_INT, &seconds, "Give up after this long (default 30)",
      "S" },
    G_OPTION_ENTRY_NULL
  };
  const char *defaults[] = { OL_DEFAULT_RPC_CONNECT "," OL_DEFAULT_STREAM_CONNECT, NULL };
  g_autoptr (GOptionContext) context = NULL;
  g_autoptr (GError) error = NULL;
  const char *const *list;

  setlocale (LC_ALL, "");
  context = g_option_context_new ("- watch several stations from one main loop");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      fprintf (stderr, "async-clients: %s\n", error->message);
      return 2;
    }
  if (app.count < 1 || app.count > 1000000 || seconds < 1 || seconds > 86400)
    {
      fprintf (stderr, "async-clients: --count 1..1000000, --seconds 1..86400\n");
      return 2;
    }
  list = servers ? (const char *const *) servers : defaults;
  app.loop = g_main_loop_new (NULL, FALSE);
  app.stations = g_ptr_array_new_with_free_func (s_station_free);

  /* The clients are made in this thread, whose default main context runs
   * their callbacks. */
  for (int i = 0; list[i] != NULL; i++)
    {
      g_auto (GStrv) pair = g_strsplit (list[i], ",", 3);
      Station *s;

      if (g_strv_length (pair) != 2)
        {
          fprintf (stderr, "async-clients: --server wants RPC,STREAM\n");
          app.status = 2;
          goto out;
        }
      s = g_new0 (Station, 1);
      s->app = &app;
      s->label = g_strdup (pair[0]);
      g_ptr_array_add (app.stations, s);
      s->client = ol_client_new (pair[0], pair[1], &error);
      if (s->client == NULL
          || !ol_client_configure_stream (s->client, STREAM, OL_STORAGE_QUEUE, 0, &error))
        {
          fprintf (stderr, "async-clients: %s\n", error->message);
          app.status = 1;
          goto out;
        }
      ol_client_watch_stream (s->client, STREAM, s_on_stream, s, NULL);
      ol_client_call_async (s->client, "station", "info", NULL, NULL, NULL, s_on_info, s);
    }
  app.pending = (int) app.stations->len;
  g_timeout_add_seconds ((guint) seconds, s_on_timeout, &app);
  g_main_loop_run (app.loop);

out:
  /* Freeing a client cancels what it still has under way; its callbacks
   * then never run. */
  g_ptr_array_unref (app.stations);
  g_main_loop_unref (app.loop);
  return app.status;
}
