/* oneliner-gui: OlGuiConnection, one window's link to one server. */
#include "ol-gui-connection.h"

#include "oneliner/json.h"

#define POLL_INTERVAL_MS 1000
#define POLL_BOUND_MS 2000

struct _OlGuiConnection {
  GObject parent_instance;

  OlClient *client;          /* (owned) freed in finalize: pending callbacks
                                hold a reference to the connection and
                                finish their calls with this client */
  GCancellable *cancellable; /* (owned) cancelled by close */
  char *rpc_endpoint;        /* (owned) */
  char *stream_endpoint;     /* (owned) */
  guint poll_id;
  guint watch_id;
  gboolean closed;
  gboolean version_in_flight;
  gboolean streams_in_flight;
  gboolean list_in_flight;
  gboolean list_wanted;      /* ask for "list" at the next answered poll */
  OlGuiConnectionState state;
  char *server_version;      /* (owned) (nullable) */
  char *last_error;          /* (owned) (nullable) */
  json_t *callables;         /* (owned) (nullable) */
  json_t *streams;           /* (owned) (nullable) */
  GHashTable *subscribed;    /* (owned) name -> NULL, streams configured */
  guint stream_watch_id;     /* the stream side's connection watch */
  gboolean stream_lost;      /* the stream side was connected and lost it */
};

G_DEFINE_FINAL_TYPE (OlGuiConnection, ol_gui_connection, G_TYPE_OBJECT)

/* Connections not finalized yet (main thread only). */
static guint s_alive;

enum { STATE_CHANGED, CALLABLES_CHANGED, STREAMS_CHANGED, STREAM_READY, N_SIGNALS };
static guint signals[N_SIGNALS];

static void
ol_gui_connection_dispose (GObject *object)
{
  ol_gui_connection_close (OL_GUI_CONNECTION (object));
  G_OBJECT_CLASS (ol_gui_connection_parent_class)->dispose (object);
}

static void
ol_gui_connection_finalize (GObject *object)
{
  OlGuiConnection *self = OL_GUI_CONNECTION (object);

  ol_client_free (&self->client);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->rpc_endpoint, g_free);
  g_clear_pointer (&self->stream_endpoint, g_free);
  g_clear_pointer (&self->server_version, g_free);
  g_clear_pointer (&self->last_error, g_free);
  g_clear_pointer (&self->callables, json_decref);
  g_clear_pointer (&self->streams, json_decref);
  g_clear_pointer (&self->subscribed, g_hash_table_unref);
  s_alive--;
  G_OBJECT_CLASS (ol_gui_connection_parent_class)->finalize (object);
}

static void
ol_gui_connection_class_init (OlGuiConnectionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = ol_gui_connection_dispose;
  object_class->finalize = ol_gui_connection_finalize;

  signals[STATE_CHANGED] = g_signal_new ("state-changed", G_TYPE_FROM_CLASS (klass),
                                         G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                         G_TYPE_NONE, 0);
  signals[CALLABLES_CHANGED] = g_signal_new ("callables-changed", G_TYPE_FROM_CLASS (klass),
                                             G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                             G_TYPE_NONE, 0);
  signals[STREAMS_CHANGED] = g_signal_new ("streams-changed", G_TYPE_FROM_CLASS (klass),
                                           G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                           G_TYPE_NONE, 0);
  signals[STREAM_READY] = g_signal_new ("stream-ready", G_TYPE_FROM_CLASS (klass),
                                        G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                        G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
ol_gui_connection_init (OlGuiConnection *self)
{
  self->cancellable = g_cancellable_new ();
  self->subscribed = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->list_wanted = TRUE;
  s_alive++;
}

static void
s_set_state (OlGuiConnection *self, OlGuiConnectionState state, const GError *error)
{
  gboolean changed = self->state != state;

  if (error != NULL && g_strcmp0 (self->last_error, error->message) != 0)
    {
      g_free (self->last_error);
      self->last_error = g_strdup (error->message);
      changed = TRUE;
    }
  self->state = state;
  if (changed)
    g_signal_emit (self, signals[STATE_CHANGED], 0);
}

/* TRUE if the reply of a request is to be ignored: the connection closed or
 * the request was cancelled. */
static gboolean
s_ignored (OlGuiConnection *self, const GError *error)
{
  return self->closed
    || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)
    || g_error_matches (error, OL_ERROR, OL_ERROR_CLOSED);
}

static void s_request_list (OlGuiConnection *self);

static void
s_version_done (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr (OlGuiConnection) self = data;
  g_autoptr (GError) error = NULL;
  g_autoptr (OlReply) reply = NULL;
  const char *version;

  (void) source;
  self->version_in_flight = FALSE;
  reply = ol_client_request_finish (self->client, result, &error);
  if (s_ignored (self, error))
    return;
  if (reply == NULL)
    {
      /* Whatever the server knew may have changed when it comes back. */
      self->list_wanted = TRUE;
      s_set_state (self, OL_GUI_CONNECTION_NOT_RESPONDING, error);
      return;
    }
  version = json_string_value (json_object_get (reply->result, "server"));
  if (g_strcmp0 (version, self->server_version) != 0)
    {
      g_free (self->server_version);
      self->server_version = g_strdup (version);
      g_signal_emit (self, signals[STATE_CHANGED], 0);
    }
  s_set_state (self, OL_GUI_CONNECTION_CONNECTED, NULL);
  if (self->list_wanted)
    s_request_list (self);
}

static void
s_streams_done (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr (OlGuiConnection) self = data;
  g_autoptr (GError) error = NULL;
  g_autoptr (OlReply) reply = NULL;

  (void) source;
  self->streams_in_flight = FALSE;
  reply = ol_client_request_finish (self->client, result, &error);
  if (s_ignored (self, error) || reply == NULL || !json_is_object (reply->result))
    return;
  g_clear_pointer (&self->streams, json_decref);
  self->streams = json_incref (reply->result);
  g_signal_emit (self, signals[STREAMS_CHANGED], 0);
}

static void
s_list_done (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr (OlGuiConnection) self = data;
  g_autoptr (GError) error = NULL;
  g_autoptr (OlReply) reply = NULL;

  (void) source;
  self->list_in_flight = FALSE;
  reply = ol_client_request_finish (self->client, result, &error);
  if (s_ignored (self, error) || reply == NULL || !json_is_object (reply->result))
    return;
  self->list_wanted = FALSE;
  g_clear_pointer (&self->callables, json_decref);
  self->callables = json_incref (reply->result);
  g_signal_emit (self, signals[CALLABLES_CHANGED], 0);
}

static int
s_poll_bound (OlGuiConnection *self)
{
  return MIN (ol_client_get_timeout (self->client), POLL_BOUND_MS);
}

static void
s_request_list (OlGuiConnection *self)
{
  if (self->list_in_flight)
    return;
  self->list_in_flight = TRUE;
  ol_client_request_async (self->client, "list", json_object (), NULL, OL_CALL_NONE,
                           ol_client_get_timeout (self->client), self->cancellable,
                           s_list_done, g_object_ref (self));
}

static void
s_request_streams (OlGuiConnection *self)
{
  if (self->streams_in_flight)
    return;
  self->streams_in_flight = TRUE;
  ol_client_request_async (self->client, "streams", json_object (), NULL, OL_CALL_NONE,
                           s_poll_bound (self), self->cancellable, s_streams_done,
                           g_object_ref (self));
}

static gboolean
s_poll (gpointer data)
{
  OlGuiConnection *self = data;

  /* A request still waiting for its answer is not sent again: a dead
   * server never piles requests up. */
  if (!self->version_in_flight)
    {
      self->version_in_flight = TRUE;
      ol_client_request_async (self->client, "version", json_object (), NULL, OL_CALL_NONE,
                               s_poll_bound (self), self->cancellable, s_version_done,
                               g_object_ref (self));
    }
  s_request_streams (self);
  return G_SOURCE_CONTINUE;
}

static void
s_on_stream (OlClient *client, const char *name, gpointer data)
{
  OlGuiConnection *self = data;

  (void) client;
  if (!self->closed)
    g_signal_emit (self, signals[STREAM_READY], 0, name);
}

static void
s_on_stream_connection (OlClient *client, OlStreamConnection state, gint64 since_us,
                        gpointer data)
{
  OlGuiConnection *self = data;
  gboolean lost = state != OL_STREAM_CONNECTED;

  (void) client;
  (void) since_us;
  if (self->closed || lost == self->stream_lost)
    return;
  self->stream_lost = lost;
  g_signal_emit (self, signals[STATE_CHANGED], 0);
}

/* The keys of ol_gui_connection_set_keys(), for every connection. */
static char *s_secret_key_file; /* (owned) (nullable) */
static char *s_server_key_file; /* (owned) (nullable) */

void
ol_gui_connection_set_keys (const char *secret_key_file, const char *server_key_file)
{
  g_free (s_secret_key_file);
  g_free (s_server_key_file);
  s_secret_key_file = g_strdup (secret_key_file);
  s_server_key_file = g_strdup (server_key_file);
}

void
ol_gui_connection_get_keys (const char **secret_key_file, const char **server_key_file)
{
  *secret_key_file = s_secret_key_file;
  *server_key_file = s_server_key_file;
}

OlGuiConnection *
ol_gui_connection_new (const char *rpc, const char *stream, int timeout_ms, GError **error)
{
  OlClient *client = s_secret_key_file != NULL
                       ? ol_client_new_with_keys (rpc, stream, s_secret_key_file,
                                                  s_server_key_file, error)
                       : ol_client_new (rpc, stream, error);
  OlGuiConnection *self;

  if (client == NULL)
    return NULL;
  ol_client_set_timeout (client, timeout_ms);
  self = g_object_new (OL_GUI_TYPE_CONNECTION, NULL);
  self->client = client;
  self->rpc_endpoint = g_strdup (ol_client_get_rpc_endpoint (client));
  self->stream_endpoint = g_strdup (ol_client_get_stream_endpoint (client));
  self->watch_id = ol_client_watch_stream (client, NULL, s_on_stream, self, NULL);
  self->stream_watch_id = ol_client_watch_stream_connection (client, s_on_stream_connection,
                                                             self, NULL);
  self->poll_id = g_timeout_add (POLL_INTERVAL_MS, s_poll, self);
  s_poll (self);
  return self;
}

void
ol_gui_connection_close (OlGuiConnection *self)
{
  GHashTableIter iter;
  gpointer name;

  g_return_if_fail (OL_GUI_IS_CONNECTION (self));
  if (self->closed)
    return;
  self->closed = TRUE;
  g_clear_handle_id (&self->poll_id, g_source_remove);
  g_cancellable_cancel (self->cancellable);
  if (self->watch_id != 0)
    ol_client_unwatch_stream (self->client, self->watch_id);
  self->watch_id = 0;
  if (self->stream_watch_id != 0)
    ol_client_unwatch_stream (self->client, self->stream_watch_id);
  self->stream_watch_id = 0;
  g_hash_table_iter_init (&iter, self->subscribed);
  while (g_hash_table_iter_next (&iter, &name, NULL))
    ol_client_unconfigure_stream (self->client, name, NULL);
  g_hash_table_remove_all (self->subscribed);
}

OlClient *
ol_gui_connection_get_client (OlGuiConnection *self)
{
  g_return_val_if_fail (OL_GUI_IS_CONNECTION (self), NULL);
  return self->closed ? NULL : self->client;
}

GCancellable *
ol_gui_connection_get_cancellable (OlGuiConnection *self)
{
  g_return_val_if_fail (OL_GUI_IS_CONNECTION (self), NULL);
  return self->cancellable;
}

OlGuiConnectionState
ol_gui_connection_get_state (OlGuiConnection *self)
{
  g_return_val_if_fail (OL_GUI_IS_CONNECTION (self), OL_GUI_CONNECTION_CONNECTING);
  return self->state;
}

gboolean
ol_gui_connection_get_stream_lost (OlGuiConnection *self)
{
  g_return_val_if_fail (OL_GUI_IS_CONNECTION (self), FALSE);
  return self->stream_lost;
}

const char *
ol_gui_connection_get_rpc_endpoint (OlGuiConnection *self)
{
  g_return_val_if_fail (OL_GUI_IS_CONNECTION (self), NULL);
  return self->rpc_endpoint;
}

const char *
ol_gui_connection_get_stream_endpoint (OlGuiConnection *self)
{
  g_return_val_if_fail (OL_GUI_IS_CONNECTION (self), NULL);
  return self->stream_endpoint;
}

const char *
ol_gui_connection_get_server_version (OlGuiConnection *self)
{
  g_return_val_if_fail (OL_GUI_IS_CONNECTION (self), NULL);
  return self->server_version;
}

const char *
ol_gui_connection_get_last_error (OlGuiConnection *self)
{
  g_return_val_if_fail (OL_GUI_IS_CONNECTION (self), NULL);
  return self->last_error;
}

json_t *
ol_gui_connection_get_callables (OlGuiConnection *self)
{
  g_return_val_if_fail (OL_GUI_IS_CONNECTION (self), NULL);
  return self->callables;
}

json_t *
ol_gui_connection_get_streams (OlGuiConnection *self)
{
  g_return_val_if_fail (OL_GUI_IS_CONNECTION (self), NULL);
  return self->streams;
}

void
ol_gui_connection_poll_now (OlGuiConnection *self)
{
  g_return_if_fail (OL_GUI_IS_CONNECTION (self));
  if (!self->closed)
    s_poll (self);
}

static void
s_enable_done (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr (GTask) task = data;
  OlGuiConnection *self = g_task_get_source_object (task);
  g_autoptr (GError) error = NULL;
  g_autoptr (OlReply) reply = NULL;

  (void) source;
  reply = ol_client_request_finish (self->client, result, &error);
  if (reply == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  /* Show the server's view of every stream at once, not at the next second. */
  if (!self->closed)
    s_request_streams (self);
  g_task_return_boolean (task, TRUE);
}

void
ol_gui_connection_set_stream_enabled_async (OlGuiConnection *self, const char *name,
                                            gboolean enabled, GAsyncReadyCallback callback,
                                            gpointer user_data)
{
  g_autoptr (GTask) task = NULL;

  g_return_if_fail (OL_GUI_IS_CONNECTION (self));
  g_return_if_fail (name != NULL);
  task = g_task_new (self, self->cancellable, callback, user_data);
  g_task_set_source_tag (task, ol_gui_connection_set_stream_enabled_async);
  if (self->closed)
    {
      g_task_return_new_error (task, OL_ERROR, OL_ERROR_CLOSED, "the connection is closed");
      return;
    }
  ol_client_request_async (self->client, "stream_enable",
                           json_pack ("{s:s, s:b}", "name", name, "enabled", enabled), NULL,
                           OL_CALL_NONE, -1, self->cancellable, s_enable_done,
                           g_steal_pointer (&task));
}

gboolean
ol_gui_connection_set_stream_enabled_finish (OlGuiConnection *self, GAsyncResult *result,
                                             GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

gboolean
ol_gui_connection_subscribe (OlGuiConnection *self, const char *name, OlStorage storage,
                             guint depth, GError **error)
{
  g_return_val_if_fail (OL_GUI_IS_CONNECTION (self), FALSE);
  g_return_val_if_fail (name != NULL, FALSE);
  if (self->closed)
    {
      g_set_error_literal (error, OL_ERROR, OL_ERROR_CLOSED, "the connection is closed");
      return FALSE;
    }
  if (!ol_client_configure_stream (self->client, name, storage, depth, error))
    return FALSE;
  g_hash_table_add (self->subscribed, g_strdup (name));
  return TRUE;
}

void
ol_gui_connection_unsubscribe (OlGuiConnection *self, const char *name)
{
  g_return_if_fail (OL_GUI_IS_CONNECTION (self));
  if (!self->closed && g_hash_table_remove (self->subscribed, name))
    ol_client_unconfigure_stream (self->client, name, NULL);
}

gboolean
ol_gui_connection_is_subscribed (OlGuiConnection *self, const char *name)
{
  g_return_val_if_fail (OL_GUI_IS_CONNECTION (self), FALSE);
  return g_hash_table_contains (self->subscribed, name);
}

guint
ol_gui_connection_count_alive (void)
{
  return s_alive;
}
