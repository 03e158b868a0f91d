/* The --config option of oneliner-demo-server and oneliner-relay: the file
 * is read, the options that the command line gives too are replaced by the
 * command line's, and the result applied (the command line wins). */
#pragma once

#include <oneliner/oneliner.h>

/* Loads path into server, each non-NULL value of overrides (pairs of a
 * configuration key and the command line's value, NULL-terminated)
 * replacing the file's. */
static inline gboolean
tool_config_load (OlServer *server, const char *path, const char *const *overrides,
                  GError **error)
{
  json_t *config = ol_config_read_file (path, error);
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
