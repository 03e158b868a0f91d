/* The authorized keys file and the role of each key. */
#include "router/auth.h"

#include <string.h>
#include <sys/stat.h>

#include "oneliner/error.h"
#include "core/keys.h"
#include "core/lock.h"

/* Bounds of the file: it is input from outside like any other. */
#define AUTH_FILE_MAX (1024 * 1024)
#define AUTH_LINE_MAX 1024
#define AUTH_KEYS_MAX 10000
/* The file is looked at no more often than this (microseconds). */
#define AUTH_CHECK_INTERVAL G_USEC_PER_SEC

typedef struct {
  OlRole role;
  char name[OL_AUTH_NAME_MAX + 1];
} Entry;

struct OlAuth {
  char *path;          /* (owned) */
  OlMutex lock;        /* guards what follows */
  GHashTable *keys;    /* (owned) Z85 public key -> Entry * */
  gint64 mtime;        /* of the file as last read, microseconds */
  gint64 size;
  gint64 checked;      /* monotonic time of the last look */
};

const char *
ol__role_name (OlRole role)
{
  switch (role)
    {
    case OL_ROLE_CONTROL: return "control";
    case OL_ROLE_READ_ONLY: return "read-only";
    case OL_ROLE_NONE: break;
    }
  return "none";
}

gboolean
ol__role_parse (const char *text, OlRole *role)
{
  if (strcmp (text, "control") == 0)
    *role = OL_ROLE_CONTROL;
  else if (strcmp (text, "read-only") == 0)
    *role = OL_ROLE_READ_ONLY;
  else
    return FALSE;
  return TRUE;
}

static gboolean
s_stat (const char *path, gint64 *mtime, gint64 *size)
{
  struct stat st;

  if (stat (path, &st) != 0)
    {
      *mtime = *size = -1;
      return FALSE;
    }
  *mtime = (gint64) st.st_mtim.tv_sec * G_USEC_PER_SEC + st.st_mtim.tv_nsec / 1000;
  *size = (gint64) st.st_size;
  return TRUE;
}

/* Parses one line (NUL-terminated, without its newline) into keys. */
static gboolean
s_parse_line (GHashTable *keys, const char *path, guint lineno, char *line, GError **error)
{
  char *fields[3] = { NULL, NULL, NULL };
  char *p = line;
  Entry *e;
  OlRole role;

  for (int i = 0; i < 3; i++)
    {
      while (*p == ' ' || *p == '\t' || *p == '\r')
        p++;
      if (*p == '\0')
        break;
      fields[i] = p;
      if (i == 2)
        break; /* the name is the rest of the line */
      while (*p != '\0' && *p != ' ' && *p != '\t' && *p != '\r')
        p++;
      if (*p != '\0')
        *p++ = '\0';
    }
  /* '#' starts a comment, but it is also a Z85 character: a line that
   * begins with a whole key and a role is a key. */
  if (fields[0] == NULL
      || (fields[0][0] == '#'
          && !(ol__key_is_z85 (fields[0], strlen (fields[0])) && fields[1] != NULL
               && ol__role_parse (fields[1], &role))))
    return TRUE;
  if (!ol__key_is_z85 (fields[0], strlen (fields[0])))
    {
      g_set_error (error, OL_ERROR, OL_ERROR_CONFIG,
                   "%s:%u: not a public key: %d characters of Z85 expected", path, lineno,
                   OL_KEY_Z85_LEN);
      return FALSE;
    }
  if (fields[1] == NULL || !ol__role_parse (fields[1], &role))
    {
      g_set_error (error, OL_ERROR, OL_ERROR_CONFIG,
                   "%s:%u: the key's role must be \"control\" or \"read-only\"", path, lineno);
      return FALSE;
    }
  if (g_hash_table_contains (keys, fields[0]))
    {
      g_set_error (error, OL_ERROR, OL_ERROR_CONFIG, "%s:%u: the key is listed twice", path,
                   lineno);
      return FALSE;
    }
  if (g_hash_table_size (keys) >= AUTH_KEYS_MAX)
    {
      g_set_error (error, OL_ERROR, OL_ERROR_CONFIG, "%s:%u: more than %d keys", path, lineno,
                   AUTH_KEYS_MAX);
      return FALSE;
    }
  e = g_new0 (Entry, 1);
  e->role = role;
  if (fields[2] != NULL)
    {
      char *end = fields[2] + strlen (fields[2]);

      while (end > fields[2] && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
        *--end = '\0';
      /* Shown in messages: printable ASCII only, bounded. */
      for (char *c = fields[2]; *c; c++)
        if (!g_ascii_isprint (*c))
          *c = '?';
      g_strlcpy (e->name, fields[2], sizeof e->name);
    }
  else
    g_snprintf (e->name, sizeof e->name, "%.8s...", fields[0]);
  g_hash_table_insert (keys, g_strdup (fields[0]), e);
  return TRUE;
}

/* Parses text (len bytes, NUL-terminated after them; changed in place)
 * into a new table; path names it in messages. */
static GHashTable *
s_parse (const char *path, char *text, gsize len, GError **error)
{
  g_autoptr (GHashTable) keys = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  guint lineno = 0;
  char *line, *next;

  if (len > AUTH_FILE_MAX)
    {
      g_set_error (error, OL_ERROR, OL_ERROR_CONFIG,
                   "authorized keys file %s is larger than %d bytes", path, AUTH_FILE_MAX);
      return NULL;
    }
  if (memchr (text, '\0', len) != NULL)
    {
      g_set_error (error, OL_ERROR, OL_ERROR_CONFIG,
                   "authorized keys file %s holds a NUL byte", path);
      return NULL;
    }
  for (line = text; line != NULL && *line != '\0'; line = next)
    {
      lineno++;
      next = strchr (line, '\n');
      if (next != NULL)
        *next++ = '\0';
      if (strlen (line) > AUTH_LINE_MAX)
        {
          g_set_error (error, OL_ERROR, OL_ERROR_CONFIG, "%s:%u: line longer than %d bytes",
                       path, lineno, AUTH_LINE_MAX);
          return NULL;
        }
      if (!s_parse_line (keys, path, lineno, line, error))
        return NULL;
    }
  return g_steal_pointer (&keys);
}

/* Reads path into a new table. */
static GHashTable *
s_read (const char *path, GError **error)
{
  g_autoptr (GError) local = NULL;
  g_autofree char *text = NULL;
  gsize len;

  if (!g_file_get_contents (path, &text, &len, &local))
    {
      g_set_error (error, OL_ERROR, OL_ERROR_CONFIG, "cannot read authorized keys file: %s",
                   local->message);
      return NULL;
    }
  return s_parse (path, text, len, error);
}

OlAuth *
ol__auth_new (const char *path, GError **error)
{
  OlAuth *a;
  GHashTable *keys;
  gint64 mtime = 0, size = 0;

  s_stat (path, &mtime, &size);
  if ((keys = s_read (path, error)) == NULL)
    return NULL;
  a = g_new0 (OlAuth, 1);
  a->path = g_strdup (path);
  a->keys = keys;
  a->mtime = mtime;
  a->size = size;
  a->checked = g_get_monotonic_time ();
  ol__mutex_init (&a->lock);
  return a;
}

OlAuth *
ol__auth_new_from_text (const char *where, const char *text, gsize len, GError **error)
{
  g_autofree char *copy = g_strndup (text, len);
  OlAuth *a;
  GHashTable *keys;

  /* A NUL inside the text is refused as in a file: keep the length. */
  memcpy (copy, text, len);
  if ((keys = s_parse (where, copy, len, error)) == NULL)
    return NULL;
  a = g_new0 (OlAuth, 1);
  a->keys = keys;
  ol__mutex_init (&a->lock);
  return a;
}

void
ol__auth_free (OlAuth *a)
{
  if (a == NULL)
    return;
  g_hash_table_unref (a->keys);
  ol__mutex_clear (&a->lock);
  g_free (a->path);
  g_free (a);
}

/* Reads the file again into a; lock held. */
static gboolean
s_reload_locked (OlAuth *a, GError **error)
{
  GHashTable *keys;
  gint64 mtime = 0, size = 0;

  s_stat (a->path, &mtime, &size);
  a->mtime = mtime;
  a->size = size;
  if ((keys = s_read (a->path, error)) == NULL)
    return FALSE;
  g_hash_table_unref (a->keys);
  a->keys = keys;
  return TRUE;
}

gboolean
ol__auth_reload (OlAuth *a, GError **error)
{
  gboolean ok;

  ol__mutex_lock (&a->lock);
  ok = a->path == NULL || s_reload_locked (a, error);
  a->checked = g_get_monotonic_time ();
  ol__mutex_unlock (&a->lock);
  return ok;
}

OlRole
ol__auth_lookup (OlAuth *a, const char *public_key, char *name)
{
  gint64 now = g_get_monotonic_time ();
  OlRole role = OL_ROLE_NONE;
  Entry *e;

  ol__mutex_lock (&a->lock);
  if (a->path != NULL && now - a->checked >= AUTH_CHECK_INTERVAL)
    {
      gint64 mtime = 0, size = 0;

      a->checked = now;
      s_stat (a->path, &mtime, &size);
      if (mtime != a->mtime || size != a->size)
        {
          g_autoptr (GError) error = NULL;

          if (!s_reload_locked (a, &error))
            g_warning ("keeping the authorized keys read before: %s", error->message);
          else
            g_message ("authorized keys read again from %s: %u keys", a->path,
                       g_hash_table_size (a->keys));
        }
    }
  if (public_key != NULL && (e = g_hash_table_lookup (a->keys, public_key)) != NULL)
    {
      role = e->role;
      if (name != NULL)
        g_strlcpy (name, e->name, OL_AUTH_NAME_MAX + 1);
    }
  ol__mutex_unlock (&a->lock);
  return role;
}

guint
ol__auth_count (OlAuth *a)
{
  guint n;

  ol__mutex_lock (&a->lock);
  n = g_hash_table_size (a->keys);
  ol__mutex_unlock (&a->lock);
  return n;
}
