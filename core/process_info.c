/* The figures of this process, read from Linux's /proc (proc(5)): a member
 * that cannot be read is left out, never guessed. */
#include "core/process_info.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* /proc files of this process are a few kB; more is not a /proc file. */
#define PROC_FILE_MAX (64 * 1024)

static char *
s_read (const char *proc, const char *name)
{
  g_autofree char *path = g_build_filename (proc, name, NULL);
  char *text = NULL;
  gsize len = 0;

  if (!g_file_get_contents (path, &text, &len, NULL))
    return NULL;
  if (len == 0 || len > PROC_FILE_MAX || memchr (text, '\0', len) != NULL)
    {
      g_free (text);
      return NULL;
    }
  return text;
}

/* A decimal unsigned number of text and where it ends; FALSE if text does
 * not start with one. */
static gboolean
s_number (const char *text, guint64 *out, const char **end)
{
  char *e = NULL;

  if (!g_ascii_isdigit (*text))
    return FALSE;
  *out = g_ascii_strtoull (text, &e, 10);
  if (e == text)
    return FALSE;
  *end = e;
  return TRUE;
}

/* From stat: utime (field 14), stime (15) and starttime (22), in clock
 * ticks. The second field (the command's name in parentheses) may hold
 * spaces and parentheses: fields are counted after its last ')'. */
static gboolean
s_stat_times (const char *stat, guint64 *utime, guint64 *stime, guint64 *start)
{
  const char *p = strrchr (stat, ')');
  int field = 2;

  if (p == NULL)
    return FALSE;
  p++;
  while (*p != '\0' && field < 22)
    {
      guint64 v = 0;
      const char *end = p;

      while (*p == ' ')
        p++;
      field++;
      if (field == 3)
        {
          /* the state, one letter */
          while (*p != '\0' && *p != ' ')
            p++;
          continue;
        }
      if (*p == '-')
        p++; /* a negative field (priority, nice) */
      if (!s_number (p, &v, &end))
        return FALSE;
      p = end;
      if (field == 14)
        *utime = v;
      else if (field == 15)
        *stime = v;
      else if (field == 22)
        *start = v;
    }
  return field == 22;
}

/* The number after "key:" in a status file, and its unit ("kB") if any. */
static gboolean
s_status_value (const char *status, const char *key, guint64 *out, gboolean kb)
{
  g_autofree char *needle = g_strdup_printf ("\n%s:", key);
  const char *p = strstr (status, needle);
  const char *end;

  if (p == NULL)
    return FALSE;
  p += strlen (needle);
  while (*p == ' ' || *p == '\t')
    p++;
  if (!s_number (p, out, &end))
    return FALSE;
  if (kb)
    {
      if (strncmp (end, " kB", 3) != 0 || *out > G_MAXUINT64 / 1024)
        return FALSE;
      *out *= 1024;
    }
  return *end == '\n' || *end == ' ' || *end == '\0';
}

json_t *
ol__process_info (const char *proc)
{
  json_t *info = json_pack ("{s:I}", "pid", (json_int_t) getpid ());
  g_autofree char *stat = s_read (proc, "stat");
  g_autofree char *status = s_read (proc, "status");
  g_autofree char *uptime = s_read ("/proc", "uptime");
  long ticks = sysconf (_SC_CLK_TCK);
  guint64 utime = 0, stime = 0, start = 0, v;

  if (stat != NULL && ticks > 0 && s_stat_times (stat, &utime, &stime, &start))
    {
      char *end = NULL;
      double up = uptime != NULL ? g_ascii_strtod (uptime, &end) : 0;

      json_object_set_new (info, "cpu_user_s", json_real ((double) utime / ticks));
      json_object_set_new (info, "cpu_system_s", json_real ((double) stime / ticks));
      /* The system's uptime less the process's start after boot, both to
       * the hundredth of a second. */
      if (uptime != NULL && end != uptime && up >= (double) start / ticks)
        json_object_set_new (info, "uptime_s",
                             json_real (round ((up - (double) start / ticks) * 100) / 100));
    }
  if (status != NULL && s_status_value (status, "VmRSS", &v, TRUE) && v <= G_MAXINT64)
    json_object_set_new (info, "rss_bytes", json_integer ((json_int_t) v));
  if (status != NULL && s_status_value (status, "Threads", &v, FALSE) && v <= G_MAXINT32)
    json_object_set_new (info, "threads", json_integer ((json_int_t) v));
  return info;
}
