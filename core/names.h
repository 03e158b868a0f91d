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

/* The same, saying what is wrong: returns FALSE with *bad the index of the
 * first byte that is not printable ASCII, or -1 if the length is 0 or above
 * OL_NAME_MAX. name is read up to OL_NAME_MAX + 1 bytes at most. */
gboolean ol__name_check (const char *name, gssize *bad);

/* The same for the len bytes at data (no NUL needed). */
gboolean ol__name_check_len (const char *data, gsize len, gssize *bad);

G_END_DECLS
