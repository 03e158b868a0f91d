/* Mounts: forwarding calls to another server from the RPC thread. */
#include "relay/mount.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "oneliner/error.h"
#include "oneliner/version.h"
#include "core/lock.h"
#include "core/log.h"
#include "core/names.h"
#include "router/server_private.h"
#include "core/frames.h"
#include "core/socket.h"

/* How often the upstream's descriptions are refreshed. */
#define REFRESH_US (1 * G_USEC_PER_SEC)
/* A refresh with no usable reply after this long is given up, and the next
 * one sent. */
#define REFRESH_TIMEOUT_US (3 * G_USEC_PER_SEC)
/* A description not refreshed for this long is dropped: "list" and
 * "streams" through the relay stop showing it. */
#define LISTING_MAX_AGE_US (5 * REFRESH_US)
/* A forward with no reply after this long is forgotten (its caller gave up
 * long ago); the connection monitor answers those of a dropped connection. */
#define FORWARD_EXPIRY_US (120 * G_USEC_PER_SEC)
#define MOUNT_MAX_FRAMES (1 + OL_WIRE_MAX_ATTACHMENTS)

typedef enum {
  FORWARD_CALL,
  FORWARD_REFRESH_LIST,
  FORWARD_REFRESH_STREAMS,
} ForwardKind;

typedef struct {
  ForwardKind kind;
  GBytes *identity;     /* (owned) (nullable) the caller, FORWARD_CALL only */
  gboolean delimited;
  json_t *caller_id;    /* (owned) the caller's "id" */
  gint64 sent;          /* monotonic us */
} Forward;

struct OlMount {
  char *prefix;           /* (owned) */
  char *rpc_endpoint;     /* (owned) */
  char *stream_endpoint;  /* (owned) */
  char *monitor_endpoint; /* (owned) inproc endpoint of the connection monitor */
  OlClientKeys *keys;     /* (owned) (nullable) */

  /* RPC thread only: */
  void *dealer;
  void *monitor;
  guint64 next_id;
  GHashTable *forwards;   /* (owned) upstream id -> Forward * */
  gint64 next_refresh;
  guint refreshing;       /* refreshes in flight (sent and not answered,
                             failed or expired) */
  gint64 list_at;         /* monotonic us of the last refresh of list */
  gint64 streams_at;      /* ... and of streams */

  atomic_bool connected;
  atomic_uint_fast64_t calls_forwarded;
  atomic_uint_fast64_t replies;
  atomic_uint_fast64_t unreachable;
  atomic_uint_fast64_t messages_relayed;

  OlMutex lock;           /* guards list and streams */
  json_t *list;           /* (owned) (nullable) prefixed "list" result; NULL
                             when the last refresh is older than
                             LISTING_MAX_AGE_US */
  json_t *streams;        /* (owned) (nullable) prefixed "streams" result */
};

static void
s_forward_free (gpointer data)
{
  Forward *f = data;

  g_clear_pointer (&f->identity, g_bytes_unref);
  json_decref (f->caller_id);
  g_free (f);
}

gboolean
ol__mount_prefix_is_valid (const char *prefix)
{
  size_t len = prefix ? strlen (prefix) : 0;
  return ol__name_is_valid (prefix) && prefix[len - 1] != '/' && prefix[0] != '/';
}

OlMount *
ol__mount_new (const char *prefix, const char *rpc_endpoint, const char *stream_endpoint,
               OlClientKeys *keys)
{
  static atomic_uint next;
  OlMount *m = g_new0 (OlMount, 1);

  m->prefix = g_strdup (prefix);
  m->rpc_endpoint = g_strdup (rpc_endpoint);
  m->stream_endpoint = g_strdup (stream_endpoint);
  m->keys = keys;
  m->monitor_endpoint = g_strdup_printf ("inproc://oneliner-mount-monitor-%u",
                                         atomic_fetch_add (&next, 1));
  m->next_id = (guint64) g_random_int () << 16;
  m->forwards = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, s_forward_free);
  ol__mutex_init (&m->lock);
  return m;
}

void
ol__mount_free (OlMount *m)
{
  if (m == NULL)
    return;
  ol__mount_close (m);
  g_hash_table_unref (m->forwards);
  json_decref (m->list);
  json_decref (m->streams);
  ol__mutex_clear (&m->lock);
  g_free (m->prefix);
  g_free (m->rpc_endpoint);
  g_free (m->stream_endpoint);
  g_free (m->monitor_endpoint);
  if (m->keys != NULL)
    memset (m->keys, 0, sizeof *m->keys);
  g_free (m->keys);
  g_free (m);
}

const char *
ol__mount_prefix (OlMount *m)
{
  return m->prefix;
}

const char *
ol__mount_stream_endpoint (OlMount *m)
{
  return m->stream_endpoint;
}

const OlClientKeys *
ol__mount_keys (OlMount *m)
{
  return m->keys;
}

gboolean
ol__mount_open (OlMount *m, GError **error)
{
  void *ctx = ol__zmq_context ();
  int immediate = 1;
  int hwm = 100000;

  m->dealer = zmq_socket (ctx, ZMQ_DEALER);
  ol__socket_set_common (m->dealer);
  zmq_setsockopt (m->dealer, ZMQ_IMMEDIATE, &immediate, sizeof immediate);
  zmq_setsockopt (m->dealer, ZMQ_SNDHWM, &hwm, sizeof hwm);
  zmq_setsockopt (m->dealer, ZMQ_RCVHWM, &hwm, sizeof hwm);
  ol__client_keys_apply (m->keys, m->dealer);
  if (zmq_socket_monitor (m->dealer, m->monitor_endpoint,
                          ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_DISCONNECTED) != 0)
    {
      g_set_error (error, OL_ERROR, OL_ERROR_SOCKET, "mount \"%s\": cannot monitor: %s",
                   m->prefix, zmq_strerror (errno));
      ol__mount_close (m);
      return FALSE;
    }
  m->monitor = zmq_socket (ctx, ZMQ_PAIR);
  ol__socket_set_common (m->monitor);
  if (zmq_connect (m->monitor, m->monitor_endpoint) != 0
      || zmq_connect (m->dealer, m->rpc_endpoint) != 0)
    {
      g_set_error (error, OL_ERROR, OL_ERROR_SOCKET, "mount \"%s\": cannot connect to %s: %s",
                   m->prefix, m->rpc_endpoint, zmq_strerror (errno));
      ol__mount_close (m);
      return FALSE;
    }
  m->next_refresh = g_get_monotonic_time ();
  return TRUE;
}

void
ol__mount_close (OlMount *m)
{
  if (m->dealer != NULL)
    {
      zmq_socket_monitor (m->dealer, NULL, 0);
      zmq_close (m->dealer);
      m->dealer = NULL;
    }
  g_clear_pointer (&m->monitor, zmq_close);
  g_hash_table_remove_all (m->forwards);
  atomic_store (&m->connected, FALSE);
}

void
ol__mount_poll_items (OlMount *m, zmq_pollitem_t *items)
{
  items[0] = (zmq_pollitem_t) { m->dealer, 0, ZMQ_POLLIN, 0 };
  items[1] = (zmq_pollitem_t) { m->monitor, 0, ZMQ_POLLIN, 0 };
}

/* Sends text (transfer full) and frames to the caller of f. */
static void
s_reply (OlServer *server, void *router, Forward *f, char *text, size_t len, GPtrArray *frames)
{
  gsize identity_len;
  const void *identity = g_bytes_get_data (f->identity, &identity_len);
  OlPeer peer = { identity, identity_len, f->delimited };

  ol__server_send_reply (server, router, &peer, text, len, frames);
}

/* Sends an error reply for a forward that will never be answered. */
static void
s_fail (OlMount *m, Forward *f, OlServer *server, void *router,
        const char *why)
{
  g_autoptr (GError) error = NULL;
  size_t len;
  char *text;

  if (f->kind != FORWARD_CALL)
    return;
  error = g_error_new (OL_ERROR, OL_ERROR_UNREACHABLE, "mount \"%s\": %s", m->prefix, why);
  text = ol__wire_encode_reply (f->caller_id, NULL, error, -1, &len);
  s_reply (server, router, f, text, len, NULL);
  atomic_fetch_add (&m->unreachable, 1);
}

/* Prefixes every member name of object (a JSON object) with "PREFIX/". */
static json_t *
s_prefixed (OlMount *m, json_t *object)
{
  json_t *out = json_object ();
  const char *key;
  json_t *value;

  json_object_foreach (object, key, value)
    {
      g_autofree char *name = g_strdup_printf ("%s/%s", m->prefix, key);
      json_object_set (out, name, value);
    }
  return out;
}

static void
s_refreshed (OlMount *m, ForwardKind kind, json_t *result)
{
  json_t *fresh;

  if (kind == FORWARD_REFRESH_STREAMS)
    {
      if (!json_is_object (result))
        return;
      fresh = s_prefixed (m, result);
    }
  else
    {
      json_t *named = json_object_get (result, "named_calls");
      const char *key;
      json_t *value;

      if (!json_is_object (result))
        return;
      fresh = json_pack ("{s:o, s:o, s:o}",
                         "instances", s_prefixed (m, json_object_get (result, "instances")),
                         "functions", s_prefixed (m, json_object_get (result, "functions")),
                         "named_calls", json_object ());
      /* A named call upstream is called here as PREFIX/NAME. */
      json_object_foreach (named, key, value)
        {
          g_autofree char *name = g_strdup_printf ("%s/%s", m->prefix, key);
          json_object_set (json_object_get (fresh, "named_calls"), name, value);
        }
    }
  ol__mutex_lock (&m->lock);
  if (kind == FORWARD_REFRESH_STREAMS)
    {
      json_decref (m->streams);
      m->streams = fresh;
      m->streams_at = g_get_monotonic_time ();
    }
  else
    {
      json_decref (m->list);
      m->list = fresh;
      m->list_at = g_get_monotonic_time ();
    }
  ol__mutex_unlock (&m->lock);
}

/* Drops the descriptions that were not refreshed for LISTING_MAX_AGE_US. */
static void
s_drop_stale (OlMount *m, gint64 now)
{
  ol__mutex_lock (&m->lock);
  if (m->list != NULL && now - m->list_at > LISTING_MAX_AGE_US)
    {
      g_info ("mount %s: dropped a listing not refreshed for %d s", m->prefix,
              (int) ((now - m->list_at) / G_USEC_PER_SEC));
      g_clear_pointer (&m->list, json_decref);
    }
  if (m->streams != NULL && now - m->streams_at > LISTING_MAX_AGE_US)
    {
      g_info ("mount %s: dropped a stream listing not refreshed for %d s", m->prefix,
              (int) ((now - m->streams_at) / G_USEC_PER_SEC));
      g_clear_pointer (&m->streams, json_decref);
    }
  ol__mutex_unlock (&m->lock);
}

/* Sends a refresh; returns whether it left. */
static gboolean
s_send_internal (OlMount *m, ForwardKind kind, const char *op)
{
  guint64 id = ++m->next_id;
  g_autoptr (GString) text = g_string_sized_new (64);
  Forward *f;

  ol__wire_append_request_head (text, id, op, FALSE, FALSE);
  g_string_append_c (text, '}');
  if (zmq_send (m->dealer, text->str, text->len, ZMQ_DONTWAIT) < 0)
    return FALSE;
  f = g_new0 (Forward, 1);
  f->kind = kind;
  f->caller_id = json_null ();
  f->sent = g_get_monotonic_time ();
  g_hash_table_insert (m->forwards, g_memdup2 (&id, sizeof id), f);
  return TRUE;
}

static void
s_handle_reply (OlMount *m, zmq_msg_t *frames, int n, OlServer *server, void *router)
{
  g_autoptr (json_t) json = json_loadb (zmq_msg_data (&frames[0]), zmq_msg_size (&frames[0]),
                                        JSON_ALLOW_NUL, NULL);
  json_t *jid = json_object_get (json, "id");
  guint64 id;
  Forward *f;

  if (!json_is_integer (jid))
    {
      g_debug ("mount %s: dropped an upstream message that is not a reply", m->prefix);
      return;
    }
  id = (guint64) json_integer_value (jid);
  f = g_hash_table_lookup (m->forwards, &id);
  if (f == NULL)
    return; /* expired or failed already */
  if (f->kind != FORWARD_CALL)
    {
      if (json_is_true (json_object_get (json, "ok")))
        s_refreshed (m, f->kind, json_object_get (json, "result"));
      m->refreshing--;
    }
  else
    {
      g_autoptr (GPtrArray) attachments = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
      size_t len;
      char *text;

      /* The caller's id goes back in; everything else passes as it is. */
      json_object_set (json, "id", f->caller_id);
      text = ol_json_dumps (json, JSON_COMPACT | JSON_ENCODE_ANY);
      len = strlen (text);
      for (int i = 1; i < n; i++)
        g_ptr_array_add (attachments, ol__wire_frame_to_bytes (&frames[i]));
      s_reply (server, router, f, text, len, attachments);
      atomic_fetch_add (&m->replies, 1);
    }
  g_hash_table_remove (m->forwards, &id);
}

static void
s_fail_all (OlMount *m, OlServer *server, void *router,
            const char *why)
{
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, m->forwards);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      s_fail (m, value, server, router, why);
      g_hash_table_iter_remove (&iter);
    }
  m->refreshing = 0;
}

void
ol__mount_service (OlMount *m, OlServer *server, void *router)
{
  gint64 now = g_get_monotonic_time ();
  guint16 kind;

  /* Connection events. */
  while (ol__monitor_next_event (m->monitor, &kind))
    {
      /* One line each way, on the changes only. */
      if (kind == ZMQ_EVENT_HANDSHAKE_SUCCEEDED)
        {
          if (!atomic_load (&m->connected))
            ol__log_event ("mount-up", (const char *const[]) { "ONELINER_MOUNT", m->prefix,
                                                               "ONELINER_ENDPOINT",
                                                               m->rpc_endpoint, NULL },
                           "mount %s: up, connected to %s", m->prefix, m->rpc_endpoint);
          atomic_store (&m->connected, TRUE);
          m->next_refresh = now;
        }
      else if (kind == ZMQ_EVENT_DISCONNECTED)
        {
          if (atomic_load (&m->connected))
            ol__log_event ("mount-down", (const char *const[]) { "ONELINER_MOUNT", m->prefix,
                                                                 "ONELINER_ENDPOINT",
                                                                 m->rpc_endpoint, NULL },
                           "mount %s: down, lost %s", m->prefix, m->rpc_endpoint);
          atomic_store (&m->connected, FALSE);
          s_fail_all (m, server, router, "the connection to the upstream server "
                      "was lost during the call");
        }
    }

  /* Replies. */
  for (int k = 0; k < 512; k++)
    {
      zmq_msg_t frames[MOUNT_MAX_FRAMES];
      gboolean truncated;
      int n = ol__wire_recv_multipart (m->dealer, frames, MOUNT_MAX_FRAMES, &truncated);

      if (n < 0)
        break;
      s_handle_reply (m, frames, n, server, router);
      ol__wire_close_frames (frames, n);
    }

  /* The upstream's descriptions, once a second. */
  /* Forwards nobody will answer any more; refreshes expire sooner. */
  {
    GHashTableIter iter;
    gpointer value;

    g_hash_table_iter_init (&iter, m->forwards);
    while (g_hash_table_iter_next (&iter, NULL, &value))
      {
        Forward *f = value;

        if (now - f->sent > (f->kind == FORWARD_CALL ? FORWARD_EXPIRY_US
                                                     : REFRESH_TIMEOUT_US))
          {
            if (f->kind != FORWARD_CALL)
              m->refreshing--;
            g_hash_table_iter_remove (&iter);
          }
      }
  }

  /* The upstream's descriptions, once a second. */
  if (atomic_load (&m->connected) && now >= m->next_refresh && m->refreshing == 0)
    {
      m->refreshing += s_send_internal (m, FORWARD_REFRESH_LIST, "list");
      m->refreshing += s_send_internal (m, FORWARD_REFRESH_STREAMS, "streams");
      m->next_refresh = now + REFRESH_US;
    }
  s_drop_stale (m, now);
}

gboolean
ol__mount_forward (OlMount *m, const OlRequest *request, const char *rest, const OlPeer *peer,
                   GError **error)
{
  guint64 id = ++m->next_id;
  gboolean more = request->frames_in != NULL && request->frames_in->len > 0;
  g_autoptr (GString) text = g_string_sized_new (256);
  Forward *f;

  ol__request_append (text, request, id, rest);
  if (!atomic_load (&m->connected)
      || zmq_send (m->dealer, text->str, text->len, ZMQ_DONTWAIT | (more ? ZMQ_SNDMORE : 0)) < 0)
    {
      atomic_fetch_add (&m->unreachable, 1);
      g_set_error (error, OL_ERROR, OL_ERROR_UNREACHABLE,
                   "mount \"%s\": the upstream server %s is not connected", m->prefix,
                   m->rpc_endpoint);
      return FALSE;
    }
  for (guint i = 0; more && i < request->frames_in->len; i++)
    ol__wire_send_bytes (m->dealer, request->frames_in->pdata[i],
                         i + 1 < request->frames_in->len ? ZMQ_SNDMORE : 0);
  f = g_new0 (Forward, 1);
  f->kind = FORWARD_CALL;
  f->identity = g_bytes_new (peer->identity, peer->identity_len);
  f->delimited = peer->delimited;
  /* The caller's id goes back in the reply. */
  if (request->has_int_id)
    f->caller_id = json_integer (request->int_id);
  else
    f->caller_id = request->id ? json_incref (request->id) : json_null ();
  f->sent = g_get_monotonic_time ();
  g_hash_table_insert (m->forwards, g_memdup2 (&id, sizeof id), f);
  atomic_fetch_add (&m->calls_forwarded, 1);
  return TRUE;
}

OlMount *
ol__mount_match (GPtrArray *mounts, const char *name, const char **rest)
{
  OlMount *best = NULL;
  size_t best_len = 0;

  if (mounts == NULL || name == NULL)
    return NULL;
  for (guint i = 0; i < mounts->len; i++)
    {
      OlMount *m = mounts->pdata[i];
      size_t len = strlen (m->prefix);

      if (len > best_len && strncmp (name, m->prefix, len) == 0 && name[len] == '/'
          && name[len + 1] != '\0')
        {
          best = m;
          best_len = len;
        }
    }
  if (best != NULL)
    *rest = name + best_len + 1;
  return best;
}

json_t *
ol__mount_list (OlMount *m)
{
  json_t *out;

  ol__mutex_lock (&m->lock);
  out = m->list ? json_incref (m->list) : NULL;
  ol__mutex_unlock (&m->lock);
  return out;
}

json_t *
ol__mount_streams (OlMount *m)
{
  json_t *out;

  ol__mutex_lock (&m->lock);
  out = m->streams ? json_incref (m->streams) : NULL;
  ol__mutex_unlock (&m->lock);
  return out;
}

json_t *
ol__mount_describe (OlMount *m)
{
  return json_pack ("{s:s, s:s, s:b, s:I, s:I, s:I, s:I}",
                    "rpc", m->rpc_endpoint, "stream", m->stream_endpoint,
                    "connected", atomic_load (&m->connected),
                    "calls_forwarded", (json_int_t) atomic_load (&m->calls_forwarded),
                    "replies", (json_int_t) atomic_load (&m->replies),
                    "unreachable", (json_int_t) atomic_load (&m->unreachable),
                    "messages_relayed", (json_int_t) atomic_load (&m->messages_relayed));
}

void
ol__mount_count_relayed (OlMount *m)
{
  atomic_fetch_add (&m->messages_relayed, 1);
}
