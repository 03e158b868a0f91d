/* The stream functions of OlServer (include/oneliner/stream.h). */
#include "router/server_private.h"

#include "oneliner/error.h"

gboolean
ol_server_add_stream (OlServer *server, const char *name, double hz,
                      const char *instance, const char *method, json_t *args,
                      json_t *kwargs, gboolean enabled, OlEncoding encoding,
                      const OlImageInfo *image, GError **error)
{
  g_return_val_if_fail (server != NULL && method != NULL, FALSE);
  return ol__streamer_add_periodic (server->streamer, name, hz, instance, method,
                                    args, kwargs, enabled, encoding, image, NULL, error);
}

OlStreamWriter *
ol_server_add_pushed_stream (OlServer *server, const char *name,
                             OlEncoding encoding, const OlImageInfo *image,
                             GError **error)
{
  g_return_val_if_fail (server != NULL, NULL);
  return ol__streamer_add_pushed (server->streamer, name, encoding, image, error);
}

gboolean
ol_server_add_zmq_stream (OlServer *server, const char *name, const char *endpoint,
                          const char *topic, gboolean enabled, GError **error)
{
  g_return_val_if_fail (server != NULL, FALSE);
  return ol__streamer_add_relayed (server->streamer, name, endpoint, topic, enabled, error);
}

gboolean
ol_server_describe_stream (OlServer *server, const char *name, json_t *description,
                           GError **error)
{
  g_return_val_if_fail (server != NULL, FALSE);
  return ol__streamer_describe_stream (server->streamer, name, description,
                                       OL_ERROR_INVALID_ARGS, error);
}

gboolean
ol_server_set_stream_enabled (OlServer *server, const char *name,
                              gboolean enabled, GError **error)
{
  g_return_val_if_fail (server != NULL, FALSE);
  return ol__streamer_set_enabled (server->streamer, name, enabled, error);
}

gboolean
ol_server_set_realtime (OlServer *server, int priority, GError **error)
{
  g_return_val_if_fail (server != NULL, FALSE);
  return ol__streamer_set_realtime (server->streamer, priority, error);
}

gboolean
ol_server_remove_stream (OlServer *server, const char *name, GError **error)
{
  g_return_val_if_fail (server != NULL, FALSE);
  return ol__streamer_remove (server->streamer, name, error);
}

json_t *
ol_server_list_streams (OlServer *server)
{
  g_return_val_if_fail (server != NULL, NULL);
  return ol__streamer_describe (server->streamer);
}
