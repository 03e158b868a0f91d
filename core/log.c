/* Events a daemon keeps, with journal fields (core/log.h). */
#include "core/log.h"

#include <string.h>

/* Fields beyond MESSAGE, PRIORITY, GLIB_DOMAIN and ONELINER_EVENT. */
#define LOG_EXTRA_MAX 8

void
ol__log_event (const char *event, const char *const *fields, const char *format, ...)
{
  GLogField f[4 + LOG_EXTRA_MAX];
  gsize n = 0;
  va_list ap;
  g_autofree char *message = NULL;
  char cut[LOG_EXTRA_MAX][OL_LOG_FIELD_MAX + 1];

  va_start (ap, format);
  message = g_strdup_vprintf (format, ap);
  va_end (ap);
  /* As GLib's own g_log_structured () does for a MESSAGE-level line. */
  f[n++] = (GLogField) { "MESSAGE", message, -1 };
  f[n++] = (GLogField) { "PRIORITY", "5", -1 };
  f[n++] = (GLogField) { "GLIB_DOMAIN", G_LOG_DOMAIN, -1 };
  f[n++] = (GLogField) { "ONELINER_EVENT", event, -1 };
  for (gsize i = 0; fields != NULL && fields[i] != NULL && n < G_N_ELEMENTS (f); i += 2)
    {
      gsize k = n - 4;

      if (fields[i + 1] == NULL)
        continue;
      g_strlcpy (cut[k], fields[i + 1], sizeof cut[k]);
      f[n++] = (GLogField) { fields[i], cut[k], -1 };
    }
  g_log_structured_array (G_LOG_LEVEL_MESSAGE, f, n);
}

gboolean
ol__log_limit_take (OlLogLimit *limit, char suffix[OL_LOG_LIMIT_SUFFIX])
{
  gint64 now = g_get_monotonic_time ();
  gboolean ok;

  g_mutex_lock (&limit->lock);
  if (limit->lines == 0 || now - limit->window_start >= OL_LOG_LIMIT_SECONDS * G_USEC_PER_SEC)
    {
      limit->window_start = now;
      limit->lines = 0;
    }
  ok = limit->lines < OL_LOG_LIMIT_LINES;
  if (ok)
    {
      limit->lines++;
      suffix[0] = '\0';
      if (limit->left_out > 0)
        g_snprintf (suffix, OL_LOG_LIMIT_SUFFIX, " (%u more left out before this one)",
                    limit->left_out);
      limit->left_out = 0;
    }
  else
    limit->left_out++;
  g_mutex_unlock (&limit->lock);
  return ok;
}
