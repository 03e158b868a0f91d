/* The streams of one server: table, frequency groups, pusher, relayed
 * streams, proxy. */
#include "streamer/streamer.h"

#include <errno.h>
#include <math.h>
#include <string.h>
#include <sys/mman.h>

#include "oneliner/error.h"
#include "core/json.h"
#include "core/lock.h"
#include "core/log.h"
#include "core/names.h"
#include "core/socket.h"
#include "streamer/group.h"
#include "streamer/header.h"
#include "streamer/proxy.h"
#include "streamer/pusher.h"
#include "streamer/relayed.h"

#define OL_MAX_HZ 100000.0
/* Lowest rate of a periodic stream: its period (about 11.6 days) in
 * nanoseconds stays far within 64 bits. */
#define OL_MIN_HZ 1e-6

struct OlStreamer {
  OlRegistry *registry;   /* the server's; not owned */
  char *inproc;           /* (owned) inproc endpoint of the proxy's XSUB */
  OlPusher *pusher;       /* (owned) */

  OlMutex lock;           /* guards everything below */
  GHashTable *streams;    /* (owned) name -> OlStream * */
  GPtrArray *groups;      /* (owned) OlGroup *, running ones only */
  OlProxy *proxy;         /* (owned) (nullable) NULL unless started */
  OlRelayed *relayed;     /* (owned) (nullable) NULL unless started; its sockets are
                           * the proxy thread's */
  const OlProxyPlug *plug; /* (nullable) set before start */
  gpointer plug_data;
  const OlZapDomain *zap; /* (nullable) set before start */
  int realtime;           /* SCHED_FIFO priority of the group threads, 0: off */
  gboolean memory_locked; /* mlockall () done for realtime */
};

OlStreamer *
ol__streamer_new (OlRegistry *registry)
{
  OlStreamer *s = g_new0 (OlStreamer, 1);

  s->registry = registry;
  static atomic_uint next_id;

  /* Not the object's address: malloc reuses it, and libzmq releases a closed
   * inproc name asynchronously, so a new server could find it taken. */
  s->inproc = g_strdup_printf ("inproc://oneliner-streams-%u",
                               atomic_fetch_add (&next_id, 1));
  s->pusher = ol__pusher_new ();
  ol__mutex_init (&s->lock);
  s->streams = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                      (GDestroyNotify) ol__stream_unref);
  s->groups = g_ptr_array_new ();
  return s;
}

void
ol__streamer_free (OlStreamer *s)
{
  if (s == NULL)
    return;
  ol__streamer_stop (s);
  ol__pusher_unref (s->pusher);
  g_hash_table_unref (s->streams);
  g_ptr_array_unref (s->groups);
  ol__mutex_clear (&s->lock);
  g_free (s->inproc);
  g_free (s);
}

/* The running group of hz, started if needed (lock held). */
static OlGroup *
s_group_locked (OlStreamer *s, double hz, GError **error)
{
  OlGroup *g;

  for (guint i = 0; i < s->groups->len; i++)
    if (ol__group_hz (s->groups->pdata[i]) == hz)
      return s->groups->pdata[i];
  if ((g = ol__group_start (hz, s->inproc, s->realtime, error)) == NULL)
    return NULL;
  g_ptr_array_add (s->groups, g);
  return g;
}

gboolean
ol__streamer_start (OlStreamer *s, const char *endpoint, GError **error)
{
  GHashTableIter iter;
  gpointer value;

  ol__mutex_lock (&s->lock);
  if (s->proxy != NULL)
    {
      ol__mutex_unlock (&s->lock);
      g_set_error (error, OL_ERROR, OL_ERROR_FAILED, "the streams are already started");
      return FALSE;
    }
  s->relayed = ol__relayed_new ();
  s->proxy = ol__proxy_start (s->inproc, endpoint, s->zap, s->relayed, s->plug, s->plug_data,
                              error);
  if (s->proxy == NULL || !ol__pusher_start (s->pusher, s->inproc, s->proxy, error))
    {
      ol__mutex_unlock (&s->lock);
      ol__streamer_stop (s);
      return FALSE;
    }
  g_hash_table_iter_init (&iter, s->streams);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      OlStream *st = value;
      OlGroup *g;

      if (st->kind == OL_STREAM_RELAYED)
        ol__relayed_add (s->relayed, st);
      if (st->kind != OL_STREAM_PERIODIC)
        continue;
      if ((g = s_group_locked (s, st->hz, error)) == NULL)
        {
          ol__mutex_unlock (&s->lock);
          ol__streamer_stop (s);
          return FALSE;
        }
      ol__group_add (g, st);
    }
  ol__mutex_unlock (&s->lock);
  return TRUE;
}

gboolean
ol__streamer_set_realtime (OlStreamer *s, int priority, GError **error)
{
  if (!ol__realtime_check (priority, error))
    return FALSE;
  ol__mutex_lock (&s->lock);
  if (priority > 0 && !s->memory_locked)
    {
      /* Locked as pages are first touched: no page of the process is ever
       * paged out, and none is faulted in all at once now. */
      if (mlockall (MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT) != 0)
        {
          int e = errno;

          ol__mutex_unlock (&s->lock);
          g_set_error (error, OL_ERROR, OL_ERROR_PERMISSION_DENIED,
                       "realtime: cannot lock the process's memory (%s): it needs "
                       "CAP_IPC_LOCK or a large enough RLIMIT_MEMLOCK (ulimit -l; "
                       "LimitMEMLOCK=infinity in a systemd unit)", g_strerror (e));
          return FALSE;
        }
      s->memory_locked = TRUE;
    }
  else if (priority == 0 && s->memory_locked)
    {
      munlockall ();
      s->memory_locked = FALSE;
    }
  s->realtime = priority;
  for (guint i = 0; i < s->groups->len; i++)
    ol__group_set_realtime (s->groups->pdata[i], priority);
  ol__mutex_unlock (&s->lock);
  return TRUE;
}

int
ol__streamer_get_realtime (OlStreamer *s)
{
  int priority;

  ol__mutex_lock (&s->lock);
  priority = s->realtime;
  ol__mutex_unlock (&s->lock);
  return priority;
}

void
ol__streamer_set_zap_domain (OlStreamer *s, const OlZapDomain *domain)
{
  g_return_if_fail (s->proxy == NULL);
  s->zap = domain;
}

void
ol__streamer_set_plug (OlStreamer *s, const OlProxyPlug *plug, gpointer data)
{
  ol__mutex_lock (&s->lock);
  g_warn_if_fail (s->proxy == NULL);
  s->plug = plug;
  s->plug_data = data;
  ol__mutex_unlock (&s->lock);
}

const char *
ol__streamer_endpoint (OlStreamer *s)
{
  const char *endpoint;

  ol__mutex_lock (&s->lock);
  endpoint = s->proxy ? ol__proxy_endpoint (s->proxy) : NULL;
  ol__mutex_unlock (&s->lock);
  return endpoint;
}

void
ol__streamer_stop (OlStreamer *s)
{
  g_autoptr (GPtrArray) groups = NULL;
  OlProxy *proxy;
  OlRelayed *relayed;

  ol__mutex_lock (&s->lock);
  groups = g_steal_pointer (&s->groups);
  s->groups = g_ptr_array_new ();
  proxy = g_steal_pointer (&s->proxy);
  relayed = g_steal_pointer (&s->relayed);
  ol__mutex_unlock (&s->lock);
  /* Publishers first, so that the proxy forwards what they sent last. The
   * proxy thread closes the relayed streams' sockets before it ends. */
  for (guint i = 0; i < groups->len; i++)
    ol__group_free (groups->pdata[i]);
  ol__pusher_close (s->pusher);
  ol__proxy_free (proxy);
  ol__relayed_free (relayed);
}

static gboolean
s_check_new (OlStreamer *s, const char *name, OlEncoding encoding,
             const OlImageInfo *image, GError **error)
{
  if (!ol__name_is_valid (name))
    {
      g_autofree char *quoted = ol__quote (name, -1);
      g_set_error (error, OL_ERROR, OL_ERROR_INVALID_ARGS,
                   "invalid stream name \"%s\": printable ASCII without spaces, "
                   "at most 255 bytes", quoted);
      return FALSE;
    }
  if (ol_encoding_name (encoding) == NULL)
    {
      g_set_error (error, OL_ERROR, OL_ERROR_INVALID_ARGS,
                   "stream \"%s\": unknown encoding %d", name, (int) encoding);
      return FALSE;
    }
  if (encoding == OL_ENCODING_IMAGE
      && (image == NULL || image->width == 0 || image->height == 0
          || ol_pixel_format_size (image->format) == 0))
    {
      g_set_error (error, OL_ERROR, OL_ERROR_INVALID_ARGS,
                   "stream \"%s\": encoding image needs a width, a height and a pixel "
                   "format", name);
      return FALSE;
    }
  if (g_hash_table_contains (s->streams, name))
    {
      g_set_error (error, OL_ERROR, OL_ERROR_EXISTS, "stream \"%s\" already exists", name);
      return FALSE;
    }
  return TRUE;
}

gboolean
ol__streamer_add_periodic (OlStreamer *s, const char *name, double hz,
                           const char *instance, const char *method, json_t *args,
                           json_t *kwargs, gboolean enabled, OlEncoding encoding,
                           const OlImageInfo *image, json_t *description, GError **error)
{
  OlCallable *callable;
  OlStream *st;

  if (!(hz >= OL_MIN_HZ && hz <= OL_MAX_HZ))
    {
      g_autofree char *quoted = ol__quote (name, -1);
      g_set_error (error, OL_ERROR, OL_ERROR_INVALID_ARGS,
                   "stream \"%s\": %g Hz is not a rate in [%g, %g]", quoted, hz, OL_MIN_HZ,
                   OL_MAX_HZ);
      return FALSE;
    }
  if ((args != NULL && !json_is_array (args)) || (kwargs != NULL && !json_is_object (kwargs)))
    {
      g_set_error (error, OL_ERROR, OL_ERROR_INVALID_ARGS,
                   "stream \"%s\": args must be a JSON array and kwargs an object",
                   name ? name : "");
      return FALSE;
    }
  callable = ol__registry_lookup (s->registry, instance, method, error);
  if (callable == NULL)
    {
      g_prefix_error (error, "stream \"%s\": ", name ? name : "");
      return FALSE;
    }
  ol__mutex_lock (&s->lock);
  if (!s_check_new (s, name, encoding, image, error))
    {
      ol__mutex_unlock (&s->lock);
      return FALSE;
    }
  st = ol__stream_new (name, OL_STREAM_PERIODIC, encoding, image);
  if (description != NULL
      && !ol__stream_set_description (st, description, OL_ERROR_INVALID_ARGS, error))
    {
      ol__mutex_unlock (&s->lock);
      ol__stream_unref (st);
      return FALSE;
    }
  st->hz = hz;
  st->callable = callable;
  st->instance = g_strdup (instance);
  st->method = g_strdup (method);
  st->args = args ? json_deep_copy (args) : json_array ();
  st->kwargs = kwargs ? json_deep_copy (kwargs) : json_object ();
  atomic_store (&st->enabled, enabled);
  if (s->proxy != NULL)
    {
      OlGroup *g = s_group_locked (s, hz, error);
      if (g == NULL)
        {
          ol__mutex_unlock (&s->lock);
          ol__stream_unref (st);
          return FALSE;
        }
      ol__group_add (g, st);
    }
  g_hash_table_insert (s->streams, st->name, st);
  ol__mutex_unlock (&s->lock);
  return TRUE;
}

OlStreamWriter *
ol__streamer_add_pushed (OlStreamer *s, const char *name, OlEncoding encoding,
                         const OlImageInfo *image, GError **error)
{
  OlStream *st;

  ol__mutex_lock (&s->lock);
  if (!s_check_new (s, name, encoding, image, error))
    {
      ol__mutex_unlock (&s->lock);
      return NULL;
    }
  st = ol__stream_new (name, OL_STREAM_PUSHED, encoding, image);
  g_hash_table_insert (s->streams, st->name, st);
  ol__mutex_unlock (&s->lock);
  return ol__stream_writer_new (s->pusher, st);
}

gboolean
ol__streamer_add_relayed (OlStreamer *s, const char *name, const char *endpoint,
                          const char *topic, gboolean enabled, GError **error)
{
  OlStream *st;

  if (endpoint == NULL || endpoint[0] == '\0')
    {
      g_set_error (error, OL_ERROR, OL_ERROR_INVALID_ARGS,
                   "relayed stream \"%s\" needs an endpoint", name ? name : "");
      return FALSE;
    }
  ol__mutex_lock (&s->lock);
  if (!s_check_new (s, name, OL_ENCODING_RAW, NULL, error))
    {
      ol__mutex_unlock (&s->lock);
      return FALSE;
    }
  st = ol__stream_new (name, OL_STREAM_RELAYED, OL_ENCODING_RAW, NULL);
  st->endpoint = g_strdup (endpoint);
  st->upstream_topic = g_strdup (topic ? topic : "");
  atomic_store (&st->enabled, enabled);
  g_hash_table_insert (s->streams, st->name, st);
  if (s->relayed != NULL)
    ol__relayed_add (s->relayed, st);
  ol__mutex_unlock (&s->lock);
  return TRUE;
}

static OlStream *
s_lookup_locked (OlStreamer *s, const char *name, GError **error)
{
  OlStream *st = name ? g_hash_table_lookup (s->streams, name) : NULL;

  if (st == NULL)
    {
      g_autofree char *quoted = ol__quote (name, -1);
      g_set_error (error, OL_ERROR, OL_ERROR_NOT_FOUND, "no stream named \"%s\"", quoted);
    }
  return st;
}

gboolean
ol__streamer_set_enabled (OlStreamer *s, const char *name, gboolean enabled,
                          GError **error)
{
  OlStream *st;
  gboolean was = enabled;

  ol__mutex_lock (&s->lock);
  st = s_lookup_locked (s, name, error);
  if (st != NULL)
    was = atomic_exchange (&st->enabled, enabled);
  if (st != NULL && st->kind == OL_STREAM_RELAYED && s->relayed != NULL)
    ol__relayed_refresh (s->relayed);
  ol__mutex_unlock (&s->lock);
  /* One line on a change; the name was checked by the lookup. */
  if (st != NULL && was != enabled)
    ol__log_event (enabled ? "stream-enabled" : "stream-disabled",
                   (const char *const[]) { "ONELINER_STREAM", name, NULL },
                   "stream %s: %s", name, enabled ? "enabled" : "disabled");
  return st != NULL;
}

gboolean
ol__streamer_remove (OlStreamer *s, const char *name, GError **error)
{
  OlStream *st;

  ol__mutex_lock (&s->lock);
  st = s_lookup_locked (s, name, error);
  if (st == NULL)
    {
      ol__mutex_unlock (&s->lock);
      return FALSE;
    }
  atomic_store (&st->removed, TRUE);
  if (st->kind == OL_STREAM_RELAYED && s->relayed != NULL)
    ol__relayed_remove (s->relayed, st);
  for (guint i = 0; i < s->groups->len; i++)
    ol__group_remove (s->groups->pdata[i], st);
  g_hash_table_remove (s->streams, name);
  ol__mutex_unlock (&s->lock);
  return TRUE;
}

gboolean
ol__streamer_describe_stream (OlStreamer *s, const char *name, json_t *json, int code,
                              GError **error)
{
  OlStream *st;
  gboolean ok;

  ol__mutex_lock (&s->lock);
  st = s_lookup_locked (s, name, error);
  ok = st != NULL && ol__stream_set_description (st, json, code, error);
  ol__mutex_unlock (&s->lock);
  return ok;
}

json_t *
ol__streamer_describe (OlStreamer *s)
{
  json_t *out = json_object ();
  GHashTableIter iter;
  gpointer key, value;

  ol__mutex_lock (&s->lock);
  g_hash_table_iter_init (&iter, s->streams);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      json_t *d = ol__stream_describe (value);

      /* Which path its large payloads take (docs/PROTOCOL.md, "Same-host
       * frames"). */
      json_object_set_new (json_object_get (d, "stats"), "shm",
                           json_boolean (s->proxy != NULL
                                         && ol__proxy_shm_wanted (s->proxy, key)));
      json_object_set_new (out, key, d);
    }
  ol__mutex_unlock (&s->lock);
  return out;
}

/* A stream entry of a configuration file; the strings and JSON values are
 * borrowed from the entry. */
typedef struct {
  double hz;
  const char *instance;
  const char *method;
  json_t *args;
  json_t *kwargs;
  gboolean enabled;
  OlEncoding encoding;
  OlImageInfo image;
  gboolean has_image;
  json_t *description;
} StreamConfig;

/* Highest rate of a stream of a configuration file, in Hz. */
#define OL_CONFIG_MAX_HZ 10000

/* Reads a stream entry of a configuration file. */
static gboolean
s_parse_config (const char *name, json_t *entry, StreamConfig *c, GError **error)
{
  g_autofree char *where = NULL;
  static const char *const known[] = { "object", "method", "hz", "args", "kwargs",
                                       "enabled", "encoding", "image", "description", NULL };
  const char *key;
  json_t *v;
  json_t *img;
  const char *enc_name;

  memset (c, 0, sizeof *c);
  {
    g_autofree char *quoted = ol__quote (name, -1);
    where = g_strdup_printf ("streams.%s", quoted);
  }
  if (!ol__name_is_valid (name))
    {
      g_set_error (error, OL_ERROR, OL_ERROR_CONFIG,
                   "%s: a stream name is 1 to %d bytes of printable ASCII without spaces",
                   where, OL_NAME_MAX);
      return FALSE;
    }
  if (!json_is_object (entry))
    {
      g_set_error (error, OL_ERROR, OL_ERROR_CONFIG, "%s: must be an object", where);
      return FALSE;
    }
  json_object_foreach (entry, key, v)
    if (!g_strv_contains (known, key))
      {
        g_autofree char *quoted = ol__quote (key, -1);
        g_set_error (error, OL_ERROR, OL_ERROR_CONFIG,
                     "%s: unknown key \"%s\" (known: object, method, hz, args, "
                     "kwargs, enabled, encoding, image, description)", where, quoted);
        return FALSE;
      }
  v = json_object_get (entry, "hz");
  /* The period is computed from hz: a tiny or huge value has no sensible
   * period. */
  if (!json_is_number (v) || !(json_number_value (v) >= OL_MIN_HZ)
      || json_number_value (v) > OL_CONFIG_MAX_HZ)
    {
      g_set_error (error, OL_ERROR, OL_ERROR_CONFIG,
                   "%s: \"hz\" must be a number from %g to %d", where, OL_MIN_HZ,
                   OL_CONFIG_MAX_HZ);
      return FALSE;
    }
  c->hz = json_number_value (v);
  v = json_object_get (entry, "object");
  if (v != NULL && !json_is_string (v) && !json_is_null (v))
    {
      g_set_error (error, OL_ERROR, OL_ERROR_CONFIG,
                   "streams.%s: \"object\" must be a string or null", name);
      return FALSE;
    }
  c->instance = json_string_value (v);
  c->method = json_string_value (json_object_get (entry, "method"));
  if (c->method == NULL)
    {
      g_set_error (error, OL_ERROR, OL_ERROR_CONFIG, "%s: \"method\" must be a string", where);
      return FALSE;
    }
  c->args = json_object_get (entry, "args");
  c->kwargs = json_object_get (entry, "kwargs");
  v = json_object_get (entry, "enabled");
  if (v != NULL && !json_is_boolean (v))
    {
      g_set_error (error, OL_ERROR, OL_ERROR_CONFIG,
                   "%s: \"enabled\" must be true or false", where);
      return FALSE;
    }
  c->enabled = v == NULL || json_is_true (v);
  enc_name = json_string_value (json_object_get (entry, "encoding"));
  c->encoding = OL_ENCODING_JSON;
  if (json_object_get (entry, "encoding") != NULL
      && !ol_encoding_from_name (enc_name, &c->encoding))
    {
      g_set_error (error, OL_ERROR, OL_ERROR_CONFIG,
                   "%s: \"encoding\" must be \"json\", \"raw\" or \"image\"", where);
      return FALSE;
    }
  img = json_object_get (entry, "image");
  c->has_image = img != NULL;
  if (img != NULL)
    {
      json_int_t w = 0, h = 0;
      guint64 size;
      const char *format = NULL;

      if (json_unpack (img, "{s:I, s:I, s:s}", "width", &w, "height", &h, "format", &format) != 0
          || w <= 0 || h <= 0 || w > G_MAXUINT16 || h > G_MAXUINT16
          || !ol__pixel_format_from_name (format, &c->image.format))
        {
          g_set_error (error, OL_ERROR, OL_ERROR_CONFIG,
                       "%s: \"image\" must be {\"width\": W, \"height\": H, "
                       "\"format\": \"gray8\"|\"gray16\"|\"rgb8\"}", where);
          return FALSE;
        }
      c->image.width = (guint32) w;
      c->image.height = (guint32) h;
      /* The payload is one frame of a stream message (core/socket.h). */
      if (!ol__image_size (&c->image, &size) || size > (guint64) ol__socket_max_message_size ())
        {
          g_set_error (error, OL_ERROR, OL_ERROR_CONFIG,
                       "%s: an image of %u x %u %s pixels is larger than a stream message "
                       "may be (%" G_GINT64_FORMAT " bytes)", where, c->image.width,
                       c->image.height, format, ol__socket_max_message_size ());
          return FALSE;
        }
    }
  c->description = json_object_get (entry, "description");
  if (c->description != NULL)
    {
      OlDescription *d = ol__description_new (c->description, where, c->encoding,
                                              OL_ERROR_CONFIG, error);

      if (d == NULL)
        return FALSE;
      ol__description_free (d);
    }
  return TRUE;
}

gboolean
ol__streamer_check_config (OlStreamer *s, const char *name, json_t *entry, GError **error)
{
  StreamConfig c;
  g_autoptr (GError) local = NULL;

  if (!s_parse_config (name, entry, &c, error))
    return FALSE;
  if (ol__registry_lookup (s->registry, c.instance, c.method, &local) == NULL)
    {
      g_set_error (error, OL_ERROR, OL_ERROR_CONFIG, "streams.%s: %s", name, local->message);
      return FALSE;
    }
  if (ol__streamer_has (s, name))
    {
      g_set_error (error, OL_ERROR, OL_ERROR_CONFIG, "streams.%s: the stream already exists",
                   name);
      return FALSE;
    }
  return TRUE;
}

gboolean
ol__streamer_has (OlStreamer *s, const char *name)
{
  gboolean has;

  ol__mutex_lock (&s->lock);
  has = g_hash_table_contains (s->streams, name);
  ol__mutex_unlock (&s->lock);
  return has;
}

gboolean
ol__streamer_apply_config (OlStreamer *s, const char *name, json_t *entry, GError **error)
{
  StreamConfig c;

  if (!s_parse_config (name, entry, &c, error))
    return FALSE;
  if (!ol__streamer_add_periodic (s, name, c.hz, c.instance, c.method, c.args, c.kwargs,
                                  c.enabled, c.encoding, c.has_image ? &c.image : NULL,
                                  c.description, error))
    {
      g_prefix_error (error, "streams.%s: ", name);
      return FALSE;
    }
  return TRUE;
}
