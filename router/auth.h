/* The authorized keys of a server and their roles (docs/SECURITY.md).
 *
 * The file holds one key a line: a public key (Z85), a role ("control" or
 * "read-only") and an optional name; '#' starts a comment line (unless the
 * line begins with a whole key and a role: '#' is a Z85 character); blank
 * lines are allowed. The table follows the file: it is read again when the file's
 * modification time changes (looked at no more than once a second) and on
 * ol__auth_reload(). A file that no longer reads keeps the previous table
 * (a warning says why).
 *
 * Thread rules: every function may be called from any thread.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  OL_ROLE_NONE = 0,      /* not authorized */
  OL_ROLE_READ_ONLY = 1, /* list, version, streams, mounts */
  OL_ROLE_CONTROL = 2,   /* everything */
} OlRole;

/* Longest name of a key that messages show. */
#define OL_AUTH_NAME_MAX 64

/* "control", "read-only", "none". (transfer none) */
const char *ol__role_name (OlRole role);
/* Parses "control" or "read-only". */
gboolean ol__role_parse (const char *text, OlRole *role);

typedef struct OlAuth OlAuth;

/* Reads the authorized keys file at path. Fails with OL_ERROR_CONFIG
 * naming the file, the line and the reason. (transfer full) */
OlAuth *ol__auth_new (const char *path, GError **error);
/* The same from the len bytes at text, as if read from a file named where
 * (messages name it); such a table is never read again. (transfer full) */
OlAuth *ol__auth_new_from_text (const char *where, const char *text, gsize len,
                                GError **error);
void ol__auth_free (OlAuth *auth);

/* Reads the file again now; on failure keeps the table as it was. */
gboolean ol__auth_reload (OlAuth *auth, GError **error);

/* The current role of a public key (Z85) and its name (at most
 * OL_AUTH_NAME_MAX bytes, written to name, which holds
 * OL_AUTH_NAME_MAX + 1; nullable). Rereads the file first if it changed. */
OlRole ol__auth_lookup (OlAuth *auth, const char *public_key, char *name);

/* How many keys the table holds. */
guint ol__auth_count (OlAuth *auth);

G_END_DECLS
