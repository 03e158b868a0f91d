/* The --config option of oneliner-demo-server and oneliner-relay: the file
 * is read, the options that the command line gives too are replaced by the
 * command line's, and the result applied (the command line wins). */
#pragma once

#include <errno.h>
#include <oneliner/oneliner.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

/* Reads the JSON object of path; a file that cannot be read is said with
 * the reason, a parse error with its line and column. (transfer full) */
static inline json_t *
tool_config_read (const char *path, GError **error)
{
  json_error_t jerr;
  json_t *config;
  struct stat st;
  FILE *f = fopen (path, "rb");
  int e;

  if (f == NULL)
    {
      e = errno;
      g_set_error (error, OL_ERROR, OL_ERROR_CONFIG, "%s: cannot be read: %s", path,
                   g_strerror (e));
      return NULL;
    }
  if (fstat (fileno (f), &st) == 0 && S_ISDIR (st.st_mode))
    {
      fclose (f);
      g_set_error (error, OL_ERROR, OL_ERROR_CONFIG, "%s: cannot be read: %s", path,
                   g_strerror (EISDIR));
      return NULL;
    }
  errno = 0;
  config = json_loadf (f, JSON_REJECT_DUPLICATES, &jerr);
  e = errno;
  if (config == NULL && ferror (f))
    g_set_error (error, OL_ERROR, OL_ERROR_CONFIG, "%s: cannot be read: %s", path,
                 g_strerror (e ? e : EIO));
  else if (config == NULL && jerr.line >= 1)
    g_set_error (error, OL_ERROR, OL_ERROR_CONFIG, "%s:%d:%d: %s", path, jerr.line,
                 jerr.column, jerr.text);
  else if (config == NULL)
    g_set_error (error, OL_ERROR, OL_ERROR_CONFIG, "%s: %s", path, jerr.text);
  fclose (f);
  return config;
}

/* Loads path into server, each non-NULL value of overrides (pairs of a
 * configuration key and the command line's value, NULL-terminated)
 * replacing the file's. */
static inline gboolean
tool_config_load (OlServer *server, const char *path, const char *const *overrides,
                  GError **error)
{
  json_t *config = tool_config_read (path, error);
  gboolean ok;

  if (config == NULL)
    return FALSE;
  if (json_is_object (config))
    for (int i = 0; overrides[i] != NULL; i += 2)
      if (overrides[i + 1] != NULL)
        json_object_set_new (config, overrides[i], json_string_nocheck (overrides[i + 1]));
  ok = ol_server_apply_config (server, config, error);
  json_decref (config);
  if (!ok)
    g_prefix_error (error, "%s: ", path);
  return ok;
}
