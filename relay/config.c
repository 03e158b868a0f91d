/* Server configuration files (docs/CONFIG.md). */
#include "router/server_private.h"

#include <string.h>
#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>

#include "oneliner/error.h"
#include "core/json.h"
#include "core/names.h"
#include "relay/mount.h"
#include "streamer/group.h"
#include "streamer/streamer.h"

/* "section.NAME" for error messages, NAME quoted. (transfer full) */
static char *
s_where (const char *section, const char *name)
{
  g_autofree char *quoted = ol__quote (name, -1);

  return g_strdup_printf ("%s.%s", section, quoted);
}

/* Checks that endpoint can be connected to: its syntax and transport, tried
 * on a throwaway socket that connects nowhere before it is closed. */
static gboolean
s_check_connect_endpoint (const char *where, const char *key, const char *endpoint,
                          GError **error)
{
  void *ctx = zmq_ctx_new ();
  void *sock = ctx != NULL ? zmq_socket (ctx, ZMQ_SUB) : NULL;
  int linger = 0, rc = -1, err = 0;

  if (sock != NULL)
    {
      zmq_setsockopt (sock, ZMQ_LINGER, &linger, sizeof linger);
      rc = zmq_connect (sock, endpoint);
      err = errno;
      zmq_close (sock);
    }
  else
    err = errno;
  if (ctx != NULL)
    zmq_ctx_term (ctx);
  if (rc != 0)
    {
      g_autofree char *quoted = ol__quote (endpoint, -1);
      g_set_error (error, OL_ERROR, OL_ERROR_CONFIG, "%s: \"%s\" cannot be connected to: "
                   "\"%s\" (%s)", where, key, quoted, zmq_strerror (err));
      return FALSE;
    }
  return TRUE;
}

static gboolean
s_check_keys (json_t *object, const char *where, const char *const *known,
              GError **error)
{
  const char *key;
  json_t *value;

  json_object_foreach (object, key, value)
    {
      if (!g_strv_contains (known, key))
        {
          g_autofree char *list = g_strjoinv (", ", (char **) known);
          g_autofree char *quoted = ol__quote (key, -1);
          g_set_error (error, OL_ERROR, OL_ERROR_CONFIG,
                       "%s: unknown key \"%s\" (known: %s)", where, quoted, list);
          return FALSE;
        }
    }
  return TRUE;
}

/* Checks the "mounts" or "relays" section: NAME -> {first: endpoint,
 * second: string (required or not)[, "enabled": bool]}. */
static gboolean
s_check_endpoints (json_t *section, const char *what, const char *first, const char *second,
                   gboolean second_required, GError **error)
{
  const char *name;
  json_t *entry;

  if (section == NULL)
    return TRUE;
  if (!json_is_object (section))
    {
      g_set_error (error, OL_ERROR, OL_ERROR_CONFIG, "\"%s\" must be an object", what);
      return FALSE;
    }
  json_object_foreach (section, name, entry)
    {
      /* A mount may name the upstream's public key. */
      const char *const known[] = { first, second, "enabled",
                                    strcmp (what, "mounts") == 0 ? "server_key" : NULL, NULL };
      json_t *server_key = json_object_get (entry, "server_key");
      g_autofree char *where = s_where (what, name);
      json_t *b = json_object_get (entry, second);
      json_t *enabled = json_object_get (entry, "enabled");

      if (!json_is_object (entry))
        {
          g_set_error (error, OL_ERROR, OL_ERROR_CONFIG, "%s: must be an object", where);
          return FALSE;
        }
      if (!s_check_keys (entry, where, known, error))
        return FALSE;
      if (!json_is_string (json_object_get (entry, first))
          || (second_required ? !json_is_string (b) : (b != NULL && !json_is_string (b)))
          || (enabled != NULL && !json_is_boolean (enabled))
          || (server_key != NULL && !json_is_string (server_key)))
        {
          g_set_error (error, OL_ERROR, OL_ERROR_CONFIG,
                       "%s: needs \"%s\" (an endpoint)%s%s%s%s", where, first,
                       second_required ? " and \"" : ", optionally \"", second, "\" (a string)",
                       known[3] != NULL ? ", optionally \"server_key\" (a file name)" : "");
          return FALSE;
        }
      if (!s_check_connect_endpoint (where, first, json_string_value (json_object_get (entry, first)),
                                     error)
          || (second_required
              && !s_check_connect_endpoint (where, second, json_string_value (b), error)))
        return FALSE;
    }
  return TRUE;
}

/* Validates one named call entry without applying it. */
static gboolean
s_check_named_call (OlServer *s, const char *name, json_t *entry,
                    const char **instance, const char **method, json_t **args,
                    json_t **kwargs, GError **error)
{
  static const char *const known[] = { "object", "method", "args", "kwargs", NULL };
  g_autofree char *where = s_where ("named_calls", name);
  g_autoptr (GError) local = NULL;

  if (!ol__name_is_valid (name))
    {
      g_set_error (error, OL_ERROR, OL_ERROR_CONFIG,
                   "%s: a name is 1 to %d bytes of printable ASCII without spaces", where,
                   OL_NAME_MAX);
      return FALSE;
    }
  if (ol__registry_has_named (s->registry, name))
    {
      g_set_error (error, OL_ERROR, OL_ERROR_CONFIG, "%s: the named call already exists", where);
      return FALSE;
    }
  if (!json_is_object (entry))
    {
      g_set_error (error, OL_ERROR, OL_ERROR_CONFIG, "%s: must be an object", where);
      return FALSE;
    }
  if (!s_check_keys (entry, where, known, error))
    return FALSE;
  *instance = json_string_value (json_object_get (entry, "object"));
  *method = json_string_value (json_object_get (entry, "method"));
  *args = json_object_get (entry, "args");
  *kwargs = json_object_get (entry, "kwargs");
  if (*method == NULL)
    {
      g_set_error (error, OL_ERROR, OL_ERROR_CONFIG,
                   "%s: \"method\" must be a string", where);
      return FALSE;
    }
  if (*instance == NULL && json_object_get (entry, "object") != NULL
      && !json_is_null (json_object_get (entry, "object")))
    {
      g_set_error (error, OL_ERROR, OL_ERROR_CONFIG,
                   "%s: \"object\" must be a string or null", where);
      return FALSE;
    }
  if ((*args != NULL && !json_is_array (*args))
      || (*kwargs != NULL && !json_is_object (*kwargs)))
    {
      g_set_error (error, OL_ERROR, OL_ERROR_CONFIG,
                   "%s: \"args\" must be an array and \"kwargs\" an object", where);
      return FALSE;
    }
  if (ol__registry_lookup (s->registry, *instance, *method, &local) == NULL)
    {
      g_set_error (error, OL_ERROR, OL_ERROR_CONFIG, "%s: %s", where, local->message);
      return FALSE;
    }
  return TRUE;
}

gboolean
ol_server_apply_config (OlServer *s, json_t *config, GError **error)
{
  static const char *const known[] = { "rpc", "stream", "named_calls", "streams", "mounts",
                                       "relays", "secret_key", "authorized_keys", "realtime",
                                       NULL };
  json_t *streams, *mounts, *relays, *realtime;
  int priority = -1, previous;
  json_t *named;
  json_t *rpc, *stream, *secret_key, *authorized_keys;
  const char *name;
  json_t *entry;

  g_return_val_if_fail (s != NULL && config != NULL, FALSE);
  if (!json_is_object (config))
    {
      g_set_error (error, OL_ERROR, OL_ERROR_CONFIG, "configuration must be a JSON object");
      return FALSE;
    }
  if (!s_check_keys (config, "configuration", known, error))
    return FALSE;
  rpc = json_object_get (config, "rpc");
  stream = json_object_get (config, "stream");
  if ((rpc != NULL && !json_is_string (rpc)) || (stream != NULL && !json_is_string (stream)))
    {
      g_set_error (error, OL_ERROR, OL_ERROR_CONFIG,
                   "\"rpc\" and \"stream\" must be endpoint strings");
      return FALSE;
    }
  if ((rpc != NULL || stream != NULL) && s->rpc_endpoint != NULL)
    {
      g_set_error (error, OL_ERROR, OL_ERROR_CONFIG,
                   "endpoints cannot change once the server is started");
      return FALSE;
    }
  named = json_object_get (config, "named_calls");
  if (named != NULL && !json_is_object (named))
    {
      g_set_error (error, OL_ERROR, OL_ERROR_CONFIG, "\"named_calls\" must be an object");
      return FALSE;
    }

  streams = json_object_get (config, "streams");
  if (streams != NULL && !json_is_object (streams))
    {
      g_set_error (error, OL_ERROR, OL_ERROR_CONFIG, "\"streams\" must be an object");
      return FALSE;
    }
  /* Check everything first so that nothing of a bad file is applied: what
   * is applied after these checks cannot fail. */
  json_object_foreach (streams, name, entry)
    if (!ol__streamer_check_config (s->streamer, name, entry, error))
      return FALSE;
  mounts = json_object_get (config, "mounts");
  relays = json_object_get (config, "relays");
  if (!s_check_endpoints (mounts, "mounts", "rpc", "stream", TRUE, error)
      || !s_check_endpoints (relays, "relays", "endpoint", "topic", FALSE, error))
    return FALSE;
  json_object_foreach (mounts, name, entry)
    {
      g_autoptr (GError) local = NULL;

      if (!ol__server_check_mount (s, name, &local))
        {
          g_autofree char *where = s_where ("mounts", name);
          g_set_error (error, OL_ERROR, OL_ERROR_CONFIG, "%s: %s", where, local->message);
          return FALSE;
        }
    }
  json_object_foreach (relays, name, entry)
    {
      g_autofree char *where = s_where ("relays", name);

      if (!ol__name_is_valid (name))
        {
          g_set_error (error, OL_ERROR, OL_ERROR_CONFIG,
                       "%s: a stream name is 1 to %d bytes of printable ASCII without spaces",
                       where, OL_NAME_MAX);
          return FALSE;
        }
      if (json_object_get (streams, name) != NULL)
        {
          g_set_error (error, OL_ERROR, OL_ERROR_CONFIG,
                       "%s: \"streams\" has a stream of that name too", where);
          return FALSE;
        }
      if (ol__streamer_has (ol__server_streamer (s), name))
        {
          g_set_error (error, OL_ERROR, OL_ERROR_CONFIG, "%s: the stream already exists", where);
          return FALSE;
        }
    }

  secret_key = json_object_get (config, "secret_key");
  authorized_keys = json_object_get (config, "authorized_keys");
  if ((secret_key != NULL || authorized_keys != NULL)
      && (!json_is_string (secret_key) || !json_is_string (authorized_keys)))
    {
      g_set_error (error, OL_ERROR, OL_ERROR_CONFIG,
                   "\"secret_key\" and \"authorized_keys\" go together, as file names");
      return FALSE;
    }

  json_object_foreach (mounts, name, entry)
    {
      const char *server_key = json_string_value (json_object_get (entry, "server_key"));
      g_autofree char *where = s_where ("mounts", name);
      g_autoptr (GError) local = NULL;
      OlClientKeys *keys;

      if (server_key == NULL)
        continue;
      if (secret_key == NULL)
        {
          g_set_error (error, OL_ERROR, OL_ERROR_CONFIG,
                       "%s: \"server_key\" needs the top-level \"secret_key\", "
                       "the key the mount logs in with", where);
          return FALSE;
        }
      /* The mount reads them again when applied: they must read now. */
      keys = ol__client_keys_load (json_string_value (secret_key), server_key, &local);
      if (keys == NULL)
        {
          g_set_error (error, OL_ERROR, OL_ERROR_CONFIG, "%s: %s", where, local->message);
          return FALSE;
        }
      memset (keys, 0, sizeof *keys);
      g_free (keys);
    }
  json_object_foreach (named, name, entry)
    {
      const char *instance, *method;
      json_t *args, *kwargs;

      if (!s_check_named_call (s, name, entry, &instance, &method, &args, &kwargs, error))
        return FALSE;
    }
  realtime = json_object_get (config, "realtime");
  if (realtime != NULL)
    {
      g_autoptr (GError) local = NULL;

      if (json_is_boolean (realtime))
        priority = json_is_true (realtime) ? OL_REALTIME_DEFAULT_PRIORITY : 0;
      else if (json_is_integer (realtime) && json_integer_value (realtime) >= 1
               && json_integer_value (realtime) <= 99)
        priority = (int) json_integer_value (realtime);
      else
        {
          g_set_error (error, OL_ERROR, OL_ERROR_CONFIG,
                       "\"realtime\" must be true, false or a priority from 1 to 99");
          return FALSE;
        }
      if (!ol__realtime_check (priority, &local))
        {
          g_set_error (error, OL_ERROR, OL_ERROR_CONFIG, "%s", local->message);
          return FALSE;
        }
    }
  /* Realtime and the keys last among the checks: they are applied when they
   * can be (realtime is undone if the keys then fail). */
  previous = ol__streamer_get_realtime (s->streamer);
  if (priority >= 0 && !ol_server_set_realtime (s, priority, error))
    return FALSE;
  if (secret_key != NULL
      && !ol_server_set_keys (s, json_string_value (secret_key),
                              json_string_value (authorized_keys), error))
    {
      if (priority >= 0)
        ol_server_set_realtime (s, previous, NULL);
      return FALSE;
    }
  if (rpc != NULL)
    {
      g_free (s->rpc_bind);
      s->rpc_bind = g_strdup (json_string_value (rpc));
    }
  if (stream != NULL)
    {
      g_free (s->stream_bind);
      s->stream_bind = g_strdup (json_string_value (stream));
    }
  json_object_foreach (named, name, entry)
    {
      const char *instance, *method;
      json_t *args, *kwargs;

      s_check_named_call (s, name, entry, &instance, &method, &args, &kwargs, NULL);
      if (!ol_server_add_named_call (s, name, instance, method, args, kwargs, error))
        {
          g_prefix_error (error, "named_calls.%s: ", name);
          return FALSE;
        }
    }
  json_object_foreach (streams, name, entry)
    if (!ol__streamer_apply_config (s->streamer, name, entry, error))
      return FALSE;
  json_object_foreach (mounts, name, entry)
    {
      const char *server_key = json_string_value (json_object_get (entry, "server_key"));

      if (!ol_server_mount_with_keys (s, name, json_string_value (json_object_get (entry, "rpc")),
                                      json_string_value (json_object_get (entry, "stream")),
                                      server_key ? json_string_value (secret_key) : NULL,
                                      server_key, error))
        {
          g_prefix_error (error, "mounts.%s: ", name);
          return FALSE;
        }
    }
  json_object_foreach (relays, name, entry)
    {
      json_t *enabled = json_object_get (entry, "enabled");
      if (!ol_server_add_zmq_stream (s, name, json_string_value (json_object_get (entry, "endpoint")),
                                     json_string_value (json_object_get (entry, "topic")),
                                     enabled == NULL || json_is_true (enabled), error))
        {
          g_prefix_error (error, "relays.%s: ", name);
          return FALSE;
        }
    }
  return TRUE;
}

json_t *
ol_config_read_file (const char *path, GError **error)
{
  json_error_t jerr;
  json_t *config;
  struct stat st;
  FILE *f = fopen (path, "rb");
  int e;

  if (f == NULL)
    {
      e = errno;
      g_set_error (error, OL_ERROR, OL_ERROR_CONFIG, "%s: cannot be read: %s", path,
                   g_strerror (e));
      return NULL;
    }
  if (fstat (fileno (f), &st) == 0 && S_ISDIR (st.st_mode))
    {
      fclose (f);
      g_set_error (error, OL_ERROR, OL_ERROR_CONFIG, "%s: cannot be read: %s", path,
                   g_strerror (EISDIR));
      return NULL;
    }
  errno = 0;
  config = json_loadf (f, JSON_REJECT_DUPLICATES, &jerr);
  e = errno;
  if (config == NULL && ferror (f))
    g_set_error (error, OL_ERROR, OL_ERROR_CONFIG, "%s: cannot be read: %s", path,
                 g_strerror (e ? e : EIO));
  else if (config == NULL && jerr.line >= 1)
    g_set_error (error, OL_ERROR, OL_ERROR_CONFIG, "%s:%d:%d: %s", path, jerr.line,
                 jerr.column, jerr.text);
  else if (config == NULL)
    g_set_error (error, OL_ERROR, OL_ERROR_CONFIG, "%s: %s", path, jerr.text);
  fclose (f);
  return config;
}

gboolean
ol_server_load_config (OlServer *s, const char *path, GError **error)
{
  g_autoptr (json_t) config = NULL;

  g_return_val_if_fail (s != NULL && path != NULL, FALSE);
  config = ol_config_read_file (path, error);
  if (config == NULL)
    return FALSE;
  if (!ol_server_apply_config (s, config, error))
    {
      g_prefix_error (error, "%s: ", path);
      return FALSE;
    }
  return TRUE;
}
