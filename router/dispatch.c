/* Running a request: the operations of docs/PROTOCOL.md ("Operations") on
 * a request the gate (router/gate.c) decoded and checked. The calls
 * (call, call_named) are looked up on the RPC thread and run on a call
 * worker (router/workers.c); the other operations run no user code and run
 * on the RPC thread. */
#include "router/server_private.h"

#include "oneliner/error.h"
#include "oneliner/version.h"
#include "core/process_info.h"

json_t *
ol__value_to_result (OlValue *value, GPtrArray *frames_out)
{
  json_t *result;

  if (value->bytes == NULL)
    {
      result = value->json ? value->json : json_null ();
      value->json = NULL;
      return result;
    }
  if (frames_out != NULL)
    {
      result = json_pack ("{s:i}", "$frame", (int) frames_out->len);
      g_ptr_array_add (frames_out, g_steal_pointer (&value->bytes));
    }
  else
    {
      gsize size;
      gconstpointer data = g_bytes_get_data (value->bytes, &size);

      result = ol__wire_base64_json (data, size);
    }
  ol__value_clear (value);
  return result;
}

static json_t *
s_invoke (OlCallable *c, json_t *args, json_t *kwargs, GPtrArray *frames_in,
          GPtrArray *frames_out, GError **error)
{
  OlValue value;

  if (!ol__callable_invoke (c, args, kwargs, frames_in, &value, error))
    return NULL;
  return ol__value_to_result (&value, frames_out);
}

/* Adds what the server's plug serves (mounted servers) to result. */
static json_t *
s_with_plug (OlServer *server, OlOp op, json_t *result)
{
  if (server->plug != NULL)
    server->plug->describe (server->plug_data, op, result);
  return result;
}

void
ol__server_encode_reply (GString *out, const OlRequest *r, json_t *result, const GError *error,
                         gint64 ts)
{
  if (r->has_int_id)
    ol__wire_append_reply_int (out, r->int_id, result, error, ts);
  else
    ol__wire_append_reply (out, r->id, result, error, ts);
}

OlCallable *
ol__server_resolve_call (OlServer *server, const OlRequest *r, json_t **args, json_t **kwargs,
                         GError **error)
{
  OlCallable *c;

  *args = *kwargs = NULL;
  if (r->op == OL_OP_CALL_NAMED)
    return ol__registry_resolve_named (server->registry, r->name, r->args, r->kwargs, args,
                                       kwargs, error);
  g_assert (r->op == OL_OP_CALL);
  if ((c = ol__registry_lookup (server->registry, r->object, r->method, error)) == NULL)
    return NULL;
  *args = r->args != NULL ? json_incref (r->args) : NULL;
  *kwargs = r->kwargs != NULL ? json_incref (r->kwargs) : NULL;
  return c;
}

void
ol__server_run_job (OlJob *job, gpointer data)
{
  GError *error = NULL;
  json_t *result;

  (void) data;
  result = s_invoke (job->callable, job->args, job->kwargs, job->request.frames_in,
                     job->frames_out, &error);
  ol__server_encode_reply (job->reply, &job->request, result, error, job->ts);
  json_decref (result);
  g_clear_error (&error);
}

json_t *
ol__server_run (OlServer *server, OlRequest *r, GError **error)
{
  switch (r->op)
    {
    case OL_OP_CALL:
    case OL_OP_CALL_NAMED:
      g_assert_not_reached ();
    case OL_OP_LIST:
      return s_with_plug (server, r->op, ol__registry_describe (server->registry));
    case OL_OP_VERSION:
      return json_pack ("{s:s, s:i, s:[i]}", "server", OL_VERSION_STRING,
                        "protocol", OL_PROTOCOL_VERSION, "protocols", OL_PROTOCOL_VERSION);
    case OL_OP_STREAMS:
      return s_with_plug (server, r->op, ol__streamer_describe (server->streamer));
    case OL_OP_STREAM_ENABLE:
      if (!ol__streamer_set_enabled (server->streamer, r->name, r->enabled, error))
        return NULL;
      return json_null ();
    case OL_OP_STREAM_REMOVE:
      if (!ol__streamer_remove (server->streamer, r->name, error))
        return NULL;
      return json_null ();
    case OL_OP_MOUNTS:
      return s_with_plug (server, r->op, json_object ());
    case OL_OP_PROCESS:
      /* This server's own process: a mounted server answers for itself. */
      return ol__process_info ("/proc/self");
    }
  g_assert_not_reached ();
}
