/* The rule for names: instances, methods, functions, named calls, streams
 * and mount prefixes.
 *
 * Thread rules: reentrant.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Longest name, in bytes. */
#define OL_NAME_MAX 255

/* Checks that name is a valid name: non-empty, at most OL_NAME_MAX bytes,
 * printable ASCII without spaces. */
gboolean ol__name_is_valid (const char *name);

G_END_DECLS
