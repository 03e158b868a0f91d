/* Mounted servers plugged into a server: the hooks of its RPC thread
 * (forward requests whose names carry a mount's prefix, service the mounts'
 * sockets, add what they serve to list, streams and mounts) and of its
 * stream proxy (relay/mount_streams.c), and ol_server_mount(). */
#include <string.h>

#include "oneliner/error.h"
#include "core/json.h"
#include "relay/mount.h"
#include "relay/mount_streams.h"
#include "router/server_private.h"

typedef struct {
  GPtrArray *mounts;        /* (owned) OlMount *; fixed once started */
  OlMountStreams *streams;  /* (owned) the proxy's side */
} OlMounts;

static gboolean
s_open (gpointer data, GError **error)
{
  OlMounts *ms = data;

  for (guint i = 0; i < ms->mounts->len; i++)
    if (!ol__mount_open (ms->mounts->pdata[i], error))
      return FALSE;
  return TRUE;
}

static void
s_close (gpointer data)
{
  OlMounts *ms = data;

  for (guint i = 0; i < ms->mounts->len; i++)
    ol__mount_close (ms->mounts->pdata[i]);
}

static guint
s_poll_items (gpointer data, GArray *items)
{
  OlMounts *ms = data;
  zmq_pollitem_t mine[OL_MOUNT_POLL_ITEMS];

  for (guint i = 0; i < ms->mounts->len; i++)
    {
      ol__mount_poll_items (ms->mounts->pdata[i], mine);
      g_array_append_vals (items, mine, OL_MOUNT_POLL_ITEMS);
    }
  return ms->mounts->len * OL_MOUNT_POLL_ITEMS;
}

static void
s_service (gpointer data, const zmq_pollitem_t *items, OlServer *server, void *router)
{
  OlMounts *ms = data;

  /* Each mount also has timers (refreshes, expiries): serviced every round
   * whatever its poll items say. */
  (void) items;
  for (guint i = 0; i < ms->mounts->len; i++)
    ol__mount_service (ms->mounts->pdata[i], server, router);
}

static gboolean
s_route (gpointer data, const OlRequest *request, const OlPeer *peer, GError **error)
{
  OlMounts *ms = data;
  const char *member, *rest = NULL;
  const char *name = ol__request_route_name (request, &member);
  OlMount *m = ol__mount_match (ms->mounts, name, &rest);

  if (m == NULL)
    return FALSE;
  ol__mount_forward (m, request, rest, peer, error);
  return TRUE;
}

/* Adds each member of every mount's description (prefixed names) to out:
 * to the members of out named by sections, or to out itself. */
static void
s_merge (OlMounts *ms, json_t *out, json_t *(*get) (OlMount *), const char *const *sections)
{
  for (guint i = 0; i < ms->mounts->len; i++)
    {
      g_autoptr (json_t) upstream = get (ms->mounts->pdata[i]);

      if (upstream == NULL)
        continue;
      if (sections == NULL)
        json_object_update_missing (out, upstream);
      else
        for (int k = 0; sections[k]; k++)
          json_object_update_missing (json_object_get (out, sections[k]),
                                      json_object_get (upstream, sections[k]));
    }
}

static void
s_describe (gpointer data, OlOp op, json_t *result)
{
  static const char *const list_sections[] = { "instances", "functions", "named_calls", NULL };
  OlMounts *ms = data;

  /* What the mounted servers serve, as they last described it (refreshed
   * every second). */
  if (op == OL_OP_LIST)
    s_merge (ms, result, ol__mount_list, list_sections);
  else if (op == OL_OP_STREAMS)
    s_merge (ms, result, ol__mount_streams, NULL);
  else if (op == OL_OP_MOUNTS)
    for (guint i = 0; i < ms->mounts->len; i++)
      json_object_set_new (result, ol__mount_prefix (ms->mounts->pdata[i]),
                           ol__mount_describe (ms->mounts->pdata[i]));
}

static void
s_free (gpointer data)
{
  OlMounts *ms = data;

  ol__mount_streams_free (ms->streams);
  g_ptr_array_unref (ms->mounts);
  g_free (ms);
}

static const OlServerPlug s_plug = {
  .open = s_open,
  .close = s_close,
  .poll_items = s_poll_items,
  .service = s_service,
  .route = s_route,
  .describe = s_describe,
  .free = s_free,
};

/* The server's mounts, plugged in on first use. (transfer none) */
static OlMounts *
s_mounts (OlServer *s)
{
  OlMounts *ms = ol__server_get_plug (s, &s_plug);

  if (ms == NULL)
    {
      ms = g_new0 (OlMounts, 1);
      ms->mounts = g_ptr_array_new_with_free_func ((GDestroyNotify) ol__mount_free);
      ms->streams = ol__mount_streams_new (ms->mounts);
      ol__server_set_plug (s, &s_plug, ms);
      ol__streamer_set_plug (ol__server_streamer (s), &ol__mount_streams_plug, ms->streams);
    }
  return ms;
}

gboolean
ol__server_check_mount (OlServer *s, const char *prefix, GError **error)
{
  OlMounts *ms = ol__server_get_plug (s, &s_plug);
  g_autofree char *quoted = ol__quote (prefix, -1);

  if (!ol__mount_prefix_is_valid (prefix))
    {
      g_set_error (error, OL_ERROR, OL_ERROR_INVALID_ARGS,
                   "invalid mount prefix \"%s\": a name of printable ASCII without "
                   "spaces that neither starts nor ends with '/'", quoted);
      return FALSE;
    }
  if (ol__server_is_started (s))
    {
      g_set_error (error, OL_ERROR, OL_ERROR_FAILED,
                   "mount \"%s\": mounts are added before ol_server_start()", prefix);
      return FALSE;
    }
  for (guint i = 0; ms != NULL && i < ms->mounts->len; i++)
    if (strcmp (ol__mount_prefix (ms->mounts->pdata[i]), prefix) == 0)
      {
        g_set_error (error, OL_ERROR, OL_ERROR_EXISTS, "mount \"%s\" already exists", prefix);
        return FALSE;
      }
  return TRUE;
}

gboolean
ol_server_mount (OlServer *s, const char *prefix, const char *rpc_endpoint,
                 const char *stream_endpoint, GError **error)
{
  return ol_server_mount_with_keys (s, prefix, rpc_endpoint, stream_endpoint, NULL, NULL, error);
}

gboolean
ol_server_mount_with_keys (OlServer *s, const char *prefix, const char *rpc_endpoint,
                           const char *stream_endpoint, const char *secret_key_file,
                           const char *server_key_file, GError **error)
{
  OlClientKeys *keys = NULL;

  g_return_val_if_fail (s != NULL && rpc_endpoint != NULL && stream_endpoint != NULL, FALSE);
  if (!ol__server_check_mount (s, prefix, error))
    return FALSE;
  if ((secret_key_file == NULL) != (server_key_file == NULL))
    {
      g_set_error (error, OL_ERROR, OL_ERROR_INVALID_ARGS,
                   "mount \"%s\": a secret key and a server key, or neither", prefix);
      return FALSE;
    }
  if (secret_key_file != NULL)
    {
      g_autoptr (GError) local = NULL;

      if (!ol__curve_check_available (error))
        return FALSE;
      keys = ol__client_keys_load (secret_key_file, server_key_file, &local);
      if (keys == NULL)
        {
          g_set_error (error, local->domain, local->code, "mount \"%s\": %s", prefix,
                       local->message);
          return FALSE;
        }
    }
  g_ptr_array_add (s_mounts (s)->mounts,
                   ol__mount_new (prefix, rpc_endpoint, stream_endpoint, keys));
  return TRUE;
}
