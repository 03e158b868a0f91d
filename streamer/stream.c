/* One stream of a server: configuration, counters, message building. */
#include "streamer/stream.h"

#include <errno.h>
#include <string.h>
#include <zmq.h>

#include "oneliner/error.h"
#include "core/tsan.h"
#include "router/wire.h"

OlStream *
ol__stream_new (const char *name, OlStreamKind kind, OlEncoding encoding,
                const OlImageInfo *image)
{
  OlStream *st = g_new0 (OlStream, 1);

  atomic_init (&st->refcount, 1);
  st->name = g_strdup (name);
  st->topic_len = strlen (name) + 1;
  st->topic = g_memdup2 (name, st->topic_len);
  st->kind = kind;
  st->encoding = encoding;
  if (image != NULL)
    st->image = *image;
  atomic_init (&st->enabled, TRUE);
  ol__mutex_init (&st->description_lock);
  atomic_init (&st->rate_window_start, g_get_monotonic_time ());
  return st;
}

OlStream *
ol__stream_ref (OlStream *st)
{
  atomic_fetch_add (&st->refcount, 1);
  return st;
}

void
ol__stream_unref (OlStream *st)
{
  if (st == NULL || atomic_fetch_sub (&st->refcount, 1) != 1)
    return;
  g_free (st->name);
  g_free (st->topic);
  g_free (st->instance);
  g_free (st->method);
  json_decref (st->args);
  json_decref (st->kwargs);
  g_free (st->endpoint);
  g_free (st->upstream_topic);
  ol__description_free (st->description);
  ol__mutex_clear (&st->description_lock);
  g_free (st);
}

void
ol__stream_count_sent (OlStream *st, guint8 status)
{
  OlSentCount count = { 0 };

  ol__sent_count_add (&count, status);
  ol__stream_count_sent_many (st, &count, g_get_monotonic_time ());
}

void
ol__stream_count_sent_many (OlStream *st, const OlSentCount *count, gint64 now)
{
  guint64 sent = atomic_fetch_add (&st->sent, count->sent) + count->sent;
  gint64 start = atomic_load (&st->rate_window_start);

  if (count->errors > 0)
    atomic_fetch_add (&st->errors, count->errors);
  if (count->warnings > 0)
    atomic_fetch_add (&st->warnings, count->warnings);
  if (count->alarms > 0)
    atomic_fetch_add (&st->alarms, count->alarms);
  if (now - start >= G_USEC_PER_SEC)
    {
      guint64 base = atomic_load (&st->rate_window_sent);
      double rate = (double) (sent - base) * G_USEC_PER_SEC / (double) (now - start);

      atomic_store (&st->rate_milli, (guint64) (rate * 1000.0 + 0.5));
      atomic_store (&st->rate_window_sent, sent);
      atomic_store (&st->rate_window_start, now);
    }
}

static const char *const s_pixel_names[] = {
  [OL_PIXEL_NONE] = "none", [OL_PIXEL_GRAY8] = "gray8",
  [OL_PIXEL_GRAY16] = "gray16", [OL_PIXEL_RGB8] = "rgb8",
};

const char *
ol__pixel_format_name (OlPixelFormat format)
{
  return (guint) format < G_N_ELEMENTS (s_pixel_names) ? s_pixel_names[format] : "unknown";
}

gboolean
ol__pixel_format_from_name (const char *name, OlPixelFormat *format)
{
  for (guint i = 1; i < G_N_ELEMENTS (s_pixel_names); i++)
    if (g_strcmp0 (name, s_pixel_names[i]) == 0)
      {
        *format = (OlPixelFormat) i;
        return TRUE;
      }
  return FALSE;
}

static const char *
s_kind_name (OlStreamKind kind)
{
  switch (kind)
    {
    case OL_STREAM_PERIODIC: return "periodic";
    case OL_STREAM_PUSHED: return "pushed";
    case OL_STREAM_RELAYED: return "relayed";
    }
  return "unknown";
}

json_t *
ol__stream_describe (OlStream *st)
{
  json_t *d = json_object ();
  gint64 idle = g_get_monotonic_time () - atomic_load (&st->rate_window_start);
  /* A stream that stopped sending has no rate, whatever its last window said. */
  double rate = idle > 2 * G_USEC_PER_SEC ? 0.0 : atomic_load (&st->rate_milli) / 1000.0;

  json_object_set_new (d, "kind", json_string (s_kind_name (st->kind)));
  json_object_set_new (d, "enabled", json_boolean (atomic_load (&st->enabled)));
  json_object_set_new (d, "encoding", json_string (ol_encoding_name (st->encoding)));
  if (st->kind == OL_STREAM_PERIODIC)
    {
      json_object_set_new (d, "hz", json_real (st->hz));
      json_object_set_new (d, "object", st->instance ? json_string (st->instance) : json_null ());
      json_object_set_new (d, "method", json_string (st->method));
      json_object_set (d, "args", st->args);
      json_object_set (d, "kwargs", st->kwargs);
    }
  if (st->kind == OL_STREAM_RELAYED)
    {
      json_object_set_new (d, "endpoint", json_string (st->endpoint));
      json_object_set_new (d, "topic", json_string (st->upstream_topic));
    }
  if (st->encoding == OL_ENCODING_IMAGE)
    json_object_set_new (d, "image",
                         json_pack ("{s:I, s:I, s:s}", "width", (json_int_t) st->image.width,
                                    "height", (json_int_t) st->image.height, "format",
                                    ol__pixel_format_name (st->image.format)));
  ol__mutex_lock (&st->description_lock);
  if (st->description != NULL)
    json_object_set (d, "description", st->description->json);
  ol__mutex_unlock (&st->description_lock);
  json_object_set_new (d, "stats",
                       json_pack ("{s:I, s:f, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
                                  "sent", (json_int_t) atomic_load (&st->sent),
                                  "rate", rate,
                                  "overruns", (json_int_t) atomic_load (&st->overruns),
                                  "errors", (json_int_t) atomic_load (&st->errors),
                                  "dropped", (json_int_t) atomic_load (&st->dropped),
                                  "suppressed", (json_int_t) atomic_load (&st->suppressed),
                                  "sequence", (json_int_t) atomic_load (&st->sequence),
                                  "warnings", (json_int_t) atomic_load (&st->warnings),
                                  "alarms", (json_int_t) atomic_load (&st->alarms)));
  return d;
}

gboolean
ol__stream_set_description (OlStream *st, json_t *json, int code, GError **error)
{
  OlDescription *d = NULL;
  OlDescription *old;

  if (json != NULL)
    {
      g_autofree char *where = g_strdup_printf ("stream \"%s\"", st->name);
      if ((d = ol__description_new (json, where, st->encoding, code, error)) == NULL)
        return FALSE;
    }
  ol__mutex_lock (&st->description_lock);
  old = st->description;
  st->description = d;
  atomic_store_explicit (&st->checks_values, ol__description_checks (d), memory_order_release);
  ol__mutex_unlock (&st->description_lock);
  ol__description_free (old);
  return TRUE;
}

gboolean
ol__stream_check_value (OlStream *st, json_t *value, guint8 *status, int code, GError **error)
{
  gboolean ok = TRUE;

  *status = 0;
  if (!ol__stream_checks_values (st))
    return TRUE;
  /* Held during the check: the publishers of one stream are one thread, or
   * pushers that take the pusher's lock next anyway. */
  ol__mutex_lock (&st->description_lock);
  if (st->description != NULL)
    ok = ol__description_check (st->description, st->name, value, status, code, error);
  ol__mutex_unlock (&st->description_lock);
  return ok;
}

char *
ol__stream_expected (OlStream *st)
{
  char *expected = NULL;

  ol__mutex_lock (&st->description_lock);
  if (ol__description_checks (st->description))
    expected = ol__description_expected (st->description);
  ol__mutex_unlock (&st->description_lock);
  return expected;
}

static void
s_free_text (gpointer text)
{
  free (text);
}

GBytes *
ol__stream_error_payload (const GError *failure)
{
  json_t *e = ol__wire_error_to_json (failure);
  char *text = json_dumps (e, JSON_COMPACT);

  json_decref (e);
  return g_bytes_new_with_free_func (text, strlen (text), s_free_text, text);
}

GBytes *
ol__stream_payload (OlStream *st, OlValue *value, const GError *failure,
                    guint8 *status, OlEncoding *encoding)
{
  g_autoptr (GError) wrong = NULL;
  g_autofree char *want = NULL;
  GBytes *payload = NULL;

  *status = OL_STATUS_OK;
  *encoding = st->encoding;
  if (failure == NULL)
    {
      switch (st->encoding)
        {
        case OL_ENCODING_JSON:
          if (value->bytes != NULL && ol__stream_checks_values (st)
              && (want = ol__stream_expected (st)) != NULL)
            wrong = g_error_new (OL_ERROR, OL_ERROR_FAILED, "stream \"%s\": expected %s, "
                                 "got bytes", st->name, want);
          else if (value->bytes != NULL)
            {
              gsize size;
              gconstpointer data = g_bytes_get_data (value->bytes, &size);
              g_autoptr (json_t) b64 = ol__wire_base64_json (data, size);
              char *text = json_dumps (b64, JSON_COMPACT);

              payload = g_bytes_new_with_free_func (text, strlen (text), s_free_text, text);
            }
          else if (!ol__stream_check_value (st, value->json, status, OL_ERROR_FAILED, &wrong))
            ;
          else
            {
              char *text = ol_json_dumps (value->json, JSON_ENCODE_ANY | JSON_COMPACT);
              if (text == NULL)
                wrong = g_error_new (OL_ERROR, OL_ERROR_FAILED,
                                     "stream \"%s\": the result cannot be encoded as JSON",
                                     st->name);
              else
                payload = g_bytes_new_with_free_func (text, strlen (text), s_free_text, text);
            }
          break;
        case OL_ENCODING_RAW:
        case OL_ENCODING_IMAGE:
          if (value->bytes == NULL)
            wrong = g_error_new (OL_ERROR, OL_ERROR_FAILED,
                                 "stream \"%s\" has encoding %s and needs a bytes result, "
                                 "not JSON", st->name, ol_encoding_name (st->encoding));
          else if (st->encoding == OL_ENCODING_IMAGE
                   && !ol__stream_check_image_size (st, g_bytes_get_size (value->bytes),
                                                    OL_ERROR_FAILED, "the callable returned",
                                                    &wrong))
            ;
          else
            payload = g_bytes_ref (value->bytes);
          break;
        }
    }
  ol__value_clear (value);
  if (payload != NULL)
    return payload;
  *status = OL_STATUS_ERROR;
  *encoding = OL_ENCODING_JSON;
  return ol__stream_error_payload (failure ? failure : wrong);
}

gboolean
ol__stream_check_image_size (OlStream *st, gsize size, int code, const char *got,
                             GError **error)
{
  guint64 expected = 0;

  if (ol__image_size (&st->image, &expected) && size == expected)
    return TRUE;
  g_set_error (error, OL_ERROR, code,
               "stream \"%s\": an image of %ux%u %s needs %" G_GUINT64_FORMAT " bytes, %s %"
               G_GSIZE_FORMAT, st->name, st->image.width, st->image.height,
               ol__pixel_format_name (st->image.format), expected, got, size);
  return FALSE;
}

static void
s_unref_bytes (void *data, void *hint)
{
  (void) data;
  g_bytes_unref (hint);
}

gboolean
ol__stream_try_send (OlStream *st, void *pub, const OlHeader *header, GBytes *payload)
{
  guint8 head[OL_HEADER_SIZE];
  zmq_msg_t msg;
  gsize size;
  gconstpointer data;

  /* The three frames go together: once the first is accepted, libzmq takes
   * the rest of the message. */
  if (zmq_send (pub, st->topic, st->topic_len, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0)
    return FALSE;
  ol__header_encode (header, head);
  zmq_send (pub, head, sizeof head, ZMQ_SNDMORE);
  /* The payload's reference goes to libzmq, which drops it once sent. */
  data = g_bytes_get_data (payload, &size);
  if (size == 0)
    {
      zmq_msg_init (&msg);
      g_bytes_unref (payload);
    }
  else
    {
      /* The proxy may read it (a same-host ring): core/tsan.h. */
      OL_TSAN_RELEASE (data);
      zmq_msg_init_data (&msg, (void *) data, size, s_unref_bytes, payload);
    }
  if (zmq_msg_send (&msg, pub, 0) < 0)
    zmq_msg_close (&msg);
  return TRUE;
}

void
ol__stream_count_dropped (OlStream *st, int error_code)
{
  atomic_fetch_add (&st->dropped, 1);
  g_debug ("stream %s: message dropped: %s", st->name, zmq_strerror (error_code));
}

gboolean
ol__stream_send (OlStream *st, void *pub, const OlHeader *header, GBytes *payload)
{
  g_bytes_ref (payload);
  if (!ol__stream_try_send (st, pub, header, payload))
    {
      ol__stream_count_dropped (st, errno);
      g_bytes_unref (payload);
      return FALSE;
    }
  ol__stream_count_sent (st, header->status);
  return TRUE;
}
