/* oneliner: conveniences for the jansson values the API takes and returns.
 *
 * Including any oneliner header makes g_autoptr (json_t) available: the
 * value is released with json_decref() when the variable goes out of scope.
 * A program that defines that cleanup itself must not include it twice.
 *
 * Thread rules: jansson's own (a value may be read from several threads,
 * changed from one).
 */
#pragma once

#include <glib.h>
#include <jansson.h>
#include <oneliner/export.h>

G_BEGIN_DECLS

static inline void
ol_json_decref (json_t *json)
{
  json_decref (json);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (json_t, ol_json_decref)

/* The member names of a JSON object, sorted bytewise, for stable listings.
 * The strings belong to object and live as long as its members do; an
 * argument that is not an object gives an empty array.
 * (transfer container) */
OL_API
GPtrArray *ol_json_sorted_keys (json_t *object);

/* json_dumps() and json_dump_callback(), the same flags and output, except
 * that each real is written in the shortest decimal form that reads back to
 * the same IEEE double (1.15, not 1.1499999999999999), always with a '.' or
 * an exponent, whatever the locale. A value without reals is jansson's own
 * dump. NULL or -1 on failure (as jansson). (transfer full: free()) */
OL_API
char *ol_json_dumps (json_t *value, size_t flags);
OL_API
int ol_json_dump_callback (json_t *value, size_t flags, json_dump_callback_t callback,
                           void *data);

G_END_DECLS
