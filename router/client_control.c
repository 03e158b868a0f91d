/* Stream control on the server, as requests over the client's RPC socket
 * ("stream_enable", "stream_remove", "streams"), and the check of a stream
 * name that every stream call of the client makes first.
 *
 * Thread rules: the client's thread, as for every OlClient request.
 */
#include "router/client_private.h"

#include <string.h>

#include "oneliner/error.h"
#include "oneliner/stream.h"
#include "core/names.h"

/* Stream names: 1 to OL_NAME_MAX bytes of printable ASCII without spaces
 * (the rule of ol__name_is_valid, with the reason in the error). */
gboolean
ol__client_check_stream_name (const char *name, GError **error)
{
  gssize bad;
  g_autofree char *escaped = NULL;

  if (ol__name_check (name, &bad))
    return TRUE;
  if (bad < 0)
    {
      g_set_error (error, OL_ERROR, OL_ERROR_INVALID_ARGS,
                   "a stream name has 1 to %d bytes, not %s", OL_NAME_MAX,
                   name[0] == '\0' ? "0" : "more");
      return FALSE;
    }
  escaped = g_strescape (name, NULL);
  g_set_error (error, OL_ERROR, OL_ERROR_INVALID_ARGS,
               "stream name \"%s\" is not printable ASCII without spaces (byte %zd)", escaped,
               bad);
  return FALSE;
}

gboolean
ol_client_set_stream_enabled (OlClient *client, const char *name, gboolean enabled,
                              GError **error)
{
  g_autoptr (OlReply) reply = NULL;

  g_return_val_if_fail (client != NULL && name != NULL, FALSE);
  if (!ol__client_check_stream_name (name, error))
    return FALSE;
  reply = ol_client_request (client, "stream_enable",
                             json_pack ("{s:s, s:b}", "name", name, "enabled", enabled),
                             NULL, OL_CALL_NONE, -1, error);
  return reply != NULL;
}

gboolean
ol_client_remove_stream (OlClient *client, const char *name, GError **error)
{
  g_autoptr (OlReply) reply = NULL;

  g_return_val_if_fail (client != NULL && name != NULL, FALSE);
  if (!ol__client_check_stream_name (name, error))
    return FALSE;
  reply = ol_client_request (client, "stream_remove", json_pack ("{s:s}", "name", name),
                             NULL, OL_CALL_NONE, -1, error);
  return reply != NULL;
}

json_t *
ol_client_list_streams (OlClient *client, GError **error)
{
  OlReply *reply;
  json_t *result;

  g_return_val_if_fail (client != NULL, NULL);
  reply = ol_client_request (client, "streams", json_object (), NULL, OL_CALL_NONE, -1,
                             error);
  if (reply == NULL)
    return NULL;
  result = g_steal_pointer (&reply->result);
  ol_reply_free (reply);
  return result;
}
