/* The registry of instances, their methods, free functions and named calls.
 *
 * Entries are added at any time and never removed before the registry is
 * freed, so a looked-up OlCallable stays valid for the registry's life.
 *
 * Thread rules: all functions may be called from any thread; lookups and
 * additions are guarded by OlRegistry.lock; an invocation holds the mutex of
 * the callable's instance (OlCallable.lock) for its duration, so calls into
 * one instance are serialised whichever thread makes them. Each free
 * function has its own mutex; the server's call workers (router/workers.c)
 * in addition run remote calls to the free functions one at a time.
 */
#pragma once

#include <glib.h>
#include <jansson.h>

#include "core/lock.h"
#include "core/names.h"

#include "oneliner/server.h"
#include "router/signature.h"

G_BEGIN_DECLS

typedef struct OlRegistry OlRegistry;
typedef struct OlInstance OlInstance;

typedef enum {
  OL_CALLABLE_FFI,
  OL_CALLABLE_HANDLER,
} OlCallableKind;

typedef struct {
  char *name;            /* (owned) method or function name */
  OlInstance *instance;  /* (nullable) owner; NULL for a free function */
  OlMutex *lock;          /* the instance's mutex, or own_lock */
  OlMutex own_lock;       /* serialises a free function */
  OlCallableKind kind;
  OlSignature *signature; /* (owned) OL_CALLABLE_FFI only */
  OlFunc fn;
  OlHandler handler;
  void *user_data;
  GDestroyNotify destroy;
} OlCallable;

typedef struct {
  char *name;     /* (owned) */
  char *instance; /* (owned) (nullable) */
  char *method;   /* (owned) */
  json_t *args;   /* (owned) array */
  json_t *kwargs; /* (owned) object */
} OlNamedCall;

OlRegistry *ol__registry_new (void);
void ol__registry_free (OlRegistry *registry);

gboolean ol__registry_add_instance (OlRegistry *registry, const char *name,
                                    void *instance, GDestroyNotify destroy,
                                    GError **error);

/* Adds a callable: instance NULL adds a free function. Exactly one of
 * (signature, fn) and handler is given. */
gboolean ol__registry_add_callable (OlRegistry *registry, const char *instance,
                                    const char *name, const char *signature,
                                    OlFunc fn, OlHandler handler,
                                    void *user_data, GDestroyNotify destroy,
                                    GError **error);

gboolean ol__registry_add_named_call (OlRegistry *registry, const char *name,
                                      const char *instance, const char *method,
                                      json_t *args, json_t *kwargs,
                                      GError **error);

/* (transfer none) or NULL with OL_ERROR_NOT_FOUND naming what is missing. */
/* Whether a named call of that name is registered. */
gboolean ol__registry_has_named (OlRegistry *registry, const char *name);

OlCallable *ol__registry_lookup (OlRegistry *registry, const char *instance,
                                 const char *method, GError **error);

/* Resolves a named call: the callable and the merged args and kwargs
 * (passed args replace defaults by position, passed kwargs update default
 * kwargs). *args_out and *kwargs_out are (transfer full). */
OlCallable *ol__registry_resolve_named (OlRegistry *registry, const char *name,
                                        json_t *args, json_t *kwargs,
                                        json_t **args_out, json_t **kwargs_out,
                                        GError **error);

/* Invokes a callable under its instance's mutex. args (array) and kwargs
 * (object) may be NULL. frames (nullable) holds GBytes * that args refer to
 * with {"$frame": N}. */
gboolean ol__callable_invoke (OlCallable *callable, json_t *args,
                              json_t *kwargs, GPtrArray *frames, OlValue *out,
                              GError **error);

/* Introspection JSON (docs/PROTOCOL.md, op "list"). (transfer full) */
json_t *ol__registry_describe (OlRegistry *registry);

G_END_DECLS
