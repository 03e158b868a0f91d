/* The registry of instances, methods, free functions and named calls. */
#include "router/registry.h"

#include "oneliner/error.h"
#include "router/wire.h"
#include "core/json.h"

struct OlInstance {
  char *name;             /* (owned) */
  void *ptr;
  GDestroyNotify destroy;
  OlMutex lock;            /* serialises every call into ptr */
  GHashTable *methods;    /* (owned) name -> OlCallable *; guarded by OlRegistry.lock */
};

struct OlRegistry {
  OlMutex lock;            /* guards the three tables below */
  GHashTable *instances;  /* (owned) name -> OlInstance * */
  GHashTable *functions;  /* (owned) name -> OlCallable * */
  GHashTable *named;      /* (owned) name -> OlNamedCall * */
};

static void
s_callable_free (gpointer data)
{
  OlCallable *c = data;

  if (c->destroy)
    c->destroy (c->user_data);
  g_clear_pointer (&c->signature, ol__signature_free);
  ol__mutex_clear (&c->own_lock);
  g_free (c->name);
  g_free (c);
}

static void
s_instance_free (gpointer data)
{
  OlInstance *inst = data;

  g_hash_table_unref (inst->methods);
  if (inst->destroy)
    inst->destroy (inst->ptr);
  ol__mutex_clear (&inst->lock);
  g_free (inst->name);
  g_free (inst);
}

static void
s_named_free (gpointer data)
{
  OlNamedCall *n = data;

  g_free (n->name);
  g_free (n->instance);
  g_free (n->method);
  json_decref (n->args);
  json_decref (n->kwargs);
  g_free (n);
}

OlRegistry *
ol__registry_new (void)
{
  OlRegistry *r = g_new0 (OlRegistry, 1);

  ol__mutex_init (&r->lock);
  r->instances = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, s_instance_free);
  r->functions = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, s_callable_free);
  r->named = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, s_named_free);
  return r;
}

void
ol__registry_free (OlRegistry *r)
{
  if (r == NULL)
    return;
  g_hash_table_unref (r->named);
  g_hash_table_unref (r->functions);
  g_hash_table_unref (r->instances);
  ol__mutex_clear (&r->lock);
  g_free (r);
}

gboolean
ol__registry_add_instance (OlRegistry *r, const char *name, void *ptr,
                           GDestroyNotify destroy, GError **error)
{
  OlInstance *inst;

  if (!ol__name_is_valid (name))
    {
      g_autofree char *quoted = ol__quote (name, -1);
      g_set_error (error, OL_ERROR, OL_ERROR_INVALID_ARGS, "invalid instance name \"%s\"",
                   quoted);
      return FALSE;
    }
  ol__mutex_lock (&r->lock);
  if (g_hash_table_contains (r->instances, name)
      || g_hash_table_contains (r->functions, name))
    {
      ol__mutex_unlock (&r->lock);
      g_set_error (error, OL_ERROR, OL_ERROR_EXISTS,
                   "the name \"%s\" is already registered", name);
      return FALSE;
    }
  inst = g_new0 (OlInstance, 1);
  inst->name = g_strdup (name);
  inst->ptr = ptr;
  inst->destroy = destroy;
  ol__mutex_init (&inst->lock);
  inst->methods = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, s_callable_free);
  g_hash_table_insert (r->instances, inst->name, inst);
  ol__mutex_unlock (&r->lock);
  return TRUE;
}

gboolean
ol__registry_add_callable (OlRegistry *r, const char *instance,
                           const char *name, const char *signature, OlFunc fn,
                           OlHandler handler, void *user_data,
                           GDestroyNotify destroy, GError **error)
{
  g_autoptr (OlSignature) sig = NULL;
  OlCallable *c;
  GHashTable *table;
  OlInstance *inst = NULL;

  g_return_val_if_fail ((fn != NULL) != (handler != NULL), FALSE);
  if (!ol__name_is_valid (name))
    {
      g_autofree char *quoted = ol__quote (name, -1);
      g_set_error (error, OL_ERROR, OL_ERROR_INVALID_ARGS, "invalid callable name \"%s\"",
                   quoted);
      return FALSE;
    }
  if (fn != NULL && (sig = ol__signature_parse (signature, error)) == NULL)
    {
      g_prefix_error (error, "%s%s%s: ", instance ? instance : "",
                      instance ? "." : "", name);
      return FALSE;
    }

  ol__mutex_lock (&r->lock);
  if (instance != NULL)
    {
      inst = g_hash_table_lookup (r->instances, instance);
      if (inst == NULL)
        {
          ol__mutex_unlock (&r->lock);
          g_set_error (error, OL_ERROR, OL_ERROR_NOT_FOUND,
                       "no instance named \"%s\"", instance);
          return FALSE;
        }
      table = inst->methods;
    }
  else
    {
      table = r->functions;
      if (g_hash_table_contains (r->instances, name))
        {
          ol__mutex_unlock (&r->lock);
          g_set_error (error, OL_ERROR, OL_ERROR_EXISTS,
                       "the name \"%s\" is already registered", name);
          return FALSE;
        }
    }
  if (g_hash_table_contains (table, name))
    {
      ol__mutex_unlock (&r->lock);
      g_set_error (error, OL_ERROR, OL_ERROR_EXISTS,
                   "\"%s%s%s\" is already registered", instance ? instance : "",
                   instance ? "." : "", name);
      return FALSE;
    }
  c = g_new0 (OlCallable, 1);
  c->name = g_strdup (name);
  c->instance = inst;
  ol__mutex_init (&c->own_lock);
  c->lock = inst ? &inst->lock : &c->own_lock;
  c->kind = fn ? OL_CALLABLE_FFI : OL_CALLABLE_HANDLER;
  c->signature = g_steal_pointer (&sig);
  c->fn = fn;
  c->handler = handler;
  c->user_data = user_data;
  c->destroy = destroy;
  g_hash_table_insert (table, c->name, c);
  ol__mutex_unlock (&r->lock);
  return TRUE;
}

static OlCallable *
s_lookup_locked (OlRegistry *r, const char *instance, const char *method,
                 GError **error)
{
  OlCallable *c;

  if (instance != NULL)
    {
      OlInstance *inst = g_hash_table_lookup (r->instances, instance);
      if (inst == NULL)
        {
          g_autofree char *quoted = ol__quote (instance, -1);
          g_set_error (error, OL_ERROR, OL_ERROR_NOT_FOUND, "no instance named \"%s\"",
                       quoted);
          return NULL;
        }
      c = g_hash_table_lookup (inst->methods, method);
      if (c == NULL)
        {
          g_autofree char *quoted = ol__quote (method, -1);
          g_set_error (error, OL_ERROR, OL_ERROR_NOT_FOUND, "instance \"%s\" has no method \"%s\"",
                       instance, quoted);
        }
      return c;
    }
  c = g_hash_table_lookup (r->functions, method);
  if (c == NULL)
    {
      g_autofree char *quoted = ol__quote (method, -1);
      g_set_error (error, OL_ERROR, OL_ERROR_NOT_FOUND, "no function named \"%s\"", quoted);
    }
  return c;
}

OlCallable *
ol__registry_lookup (OlRegistry *r, const char *instance, const char *method,
                     GError **error)
{
  OlCallable *c;

  ol__mutex_lock (&r->lock);
  c = s_lookup_locked (r, instance, method, error);
  ol__mutex_unlock (&r->lock);
  return c;
}

gboolean
ol__registry_add_named_call (OlRegistry *r, const char *name,
                             const char *instance, const char *method,
                             json_t *args, json_t *kwargs, GError **error)
{
  OlNamedCall *n;

  if (!ol__name_is_valid (name))
    {
      g_autofree char *quoted = ol__quote (name, -1);
      g_set_error (error, OL_ERROR, OL_ERROR_INVALID_ARGS, "invalid named call name \"%s\"",
                   quoted);
      return FALSE;
    }
  if (args != NULL && !json_is_array (args))
    {
      g_set_error (error, OL_ERROR, OL_ERROR_INVALID_ARGS,
                   "named call \"%s\": default args must be a JSON array", name);
      return FALSE;
    }
  if (kwargs != NULL && !json_is_object (kwargs))
    {
      g_set_error (error, OL_ERROR, OL_ERROR_INVALID_ARGS,
                   "named call \"%s\": default kwargs must be a JSON object", name);
      return FALSE;
    }
  ol__mutex_lock (&r->lock);
  if (s_lookup_locked (r, instance, method, error) == NULL)
    {
      ol__mutex_unlock (&r->lock);
      g_prefix_error (error, "named call \"%s\": ", name);
      return FALSE;
    }
  if (g_hash_table_contains (r->named, name))
    {
      ol__mutex_unlock (&r->lock);
      g_set_error (error, OL_ERROR, OL_ERROR_EXISTS,
                   "named call \"%s\" is already registered", name);
      return FALSE;
    }
  n = g_new0 (OlNamedCall, 1);
  n->name = g_strdup (name);
  n->instance = g_strdup (instance);
  n->method = g_strdup (method);
  n->args = args ? json_deep_copy (args) : json_array ();
  n->kwargs = kwargs ? json_deep_copy (kwargs) : json_object ();
  g_hash_table_insert (r->named, n->name, n);
  ol__mutex_unlock (&r->lock);
  return TRUE;
}

gboolean
ol__registry_has_named (OlRegistry *r, const char *name)
{
  gboolean has;

  ol__mutex_lock (&r->lock);
  has = g_hash_table_contains (r->named, name);
  ol__mutex_unlock (&r->lock);
  return has;
}

OlCallable *
ol__registry_resolve_named (OlRegistry *r, const char *name, json_t *args,
                            json_t *kwargs, json_t **args_out,
                            json_t **kwargs_out, GError **error)
{
  OlNamedCall *n;
  OlCallable *c;
  json_t *merged_args;
  json_t *merged_kwargs;
  size_t n_passed = args ? json_array_size (args) : 0;
  size_t n_default;

  ol__mutex_lock (&r->lock);
  n = g_hash_table_lookup (r->named, name);
  if (n == NULL)
    {
      ol__mutex_unlock (&r->lock);
      g_autofree char *quoted = ol__quote (name, -1);
      g_set_error (error, OL_ERROR, OL_ERROR_NOT_FOUND, "no named call \"%s\"", quoted);
      return NULL;
    }
  c = s_lookup_locked (r, n->instance, n->method, error);
  ol__mutex_unlock (&r->lock);
  if (c == NULL)
    return NULL;

  /* The defaults are never modified after registration: reading them
   * outside the lock is safe. */
  n_default = json_array_size (n->args);
  merged_args = json_array ();
  for (size_t i = 0; i < MAX (n_passed, n_default); i++)
    json_array_append (merged_args, i < n_passed ? json_array_get (args, i)
                                                 : json_array_get (n->args, i));
  merged_kwargs = json_copy (n->kwargs);
  if (kwargs != NULL)
    json_object_update (merged_kwargs, kwargs);
  *args_out = merged_args;
  *kwargs_out = merged_kwargs;
  return c;
}

gboolean
ol__callable_invoke (OlCallable *c, json_t *args, json_t *kwargs,
                     GPtrArray *frames, OlValue *out, GError **error)
{
  gboolean ok;
  void *self = c->instance ? c->instance->ptr : NULL;

  out->json = NULL;
  out->bytes = NULL;
  ol__mutex_lock (c->lock);
  if (c->kind == OL_CALLABLE_FFI)
    ok = ol__signature_invoke (c->signature, c->fn, c->instance != NULL, self,
                               args, kwargs, frames, out, error);
  else
    {
      g_autoptr (json_t) own_args = args ? json_incref (args) : json_array ();
      g_autoptr (json_t) own_kwargs = kwargs ? json_incref (kwargs) : json_object ();
      GError *local = NULL;

      /* A handler sees no frames: binary arguments reach it inline. */
      if (frames != NULL && frames->len > 0)
        {
          g_clear_pointer (&own_args, json_decref);
          g_clear_pointer (&own_kwargs, json_decref);
          own_args = args ? json_deep_copy (args) : json_array ();
          own_kwargs = kwargs ? json_deep_copy (kwargs) : json_object ();
          if (!ol__wire_inline_frames (own_args, frames)
              || !ol__wire_inline_frames (own_kwargs, frames))
            {
              ol__mutex_unlock (c->lock);
              g_set_error (error, OL_ERROR, OL_ERROR_INVALID_ARGS,
                           "an argument refers to a binary frame the request lacks");
              return FALSE;
            }
        }
      args = own_args;
      kwargs = own_kwargs;
      out->json = c->handler (self, args, kwargs, c->user_data, &local);
      if (local != NULL)
        {
          g_clear_pointer (&out->json, json_decref);
          g_propagate_error (error, local);
          ok = FALSE;
        }
      else
        {
          if (out->json == NULL)
            out->json = json_null ();
          ok = TRUE;
        }
    }
  ol__mutex_unlock (c->lock);
  return ok;
}

static json_t *
s_describe_callable (OlCallable *c)
{
  json_t *d;

  if (c->kind == OL_CALLABLE_FFI)
    {
      d = ol__signature_describe (c->signature);
      json_object_set_new (d, "signature",
                           json_string (ol__signature_text (c->signature)));
      json_object_set_new (d, "kind", json_string ("ffi"));
    }
  else
    d = json_pack ("{s:s, s:s}", "kind", "handler", "signature", "(*args, **kwargs) -> json");
  return d;
}

static json_t *
s_describe_table (GHashTable *table)
{
  json_t *out = json_object ();
  GHashTableIter iter;
  gpointer key, value;

  g_hash_table_iter_init (&iter, table);
  while (g_hash_table_iter_next (&iter, &key, &value))
    json_object_set_new (out, key, s_describe_callable (value));
  return out;
}

json_t *
ol__registry_describe (OlRegistry *r)
{
  json_t *instances = json_object ();
  json_t *named = json_object ();
  json_t *functions;
  GHashTableIter iter;
  gpointer key, value;

  ol__mutex_lock (&r->lock);
  g_hash_table_iter_init (&iter, r->instances);
  while (g_hash_table_iter_next (&iter, &key, &value))
    json_object_set_new (instances, key,
                         s_describe_table (((OlInstance *) value)->methods));
  functions = s_describe_table (r->functions);
  g_hash_table_iter_init (&iter, r->named);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      OlNamedCall *n = value;
      json_object_set_new (named, key,
                           json_pack ("{s:s?, s:s, s:O, s:O}", "object", n->instance,
                                      "method", n->method, "args", n->args,
                                      "kwargs", n->kwargs));
    }
  ol__mutex_unlock (&r->lock);
  return json_pack ("{s:o, s:o, s:o}", "instances", instances,
                    "functions", functions, "named_calls", named);
}
