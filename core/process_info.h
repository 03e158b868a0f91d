/* The figures of this process that the operation "process" reports
 * (docs/PROTOCOL.md, "process"): pid, uptime, CPU time, resident memory,
 * threads, read from /proc/self.
 *
 * Thread rules: reentrant.
 */
#pragma once

#include <glib.h>
#include <jansson.h>

G_BEGIN_DECLS

/* A new object with "pid" and, each only when it could be read, "uptime_s",
 * "cpu_user_s", "cpu_system_s", "rss_bytes" and "threads". proc is the
 * directory read ("/proc/self" but for tests). (transfer full) */
json_t *ol__process_info (const char *proc);

G_END_DECLS
