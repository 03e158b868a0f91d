/* What tests and fuzz targets may change of OlRecording (record/recording.c).
 *
 * Include direction: record/recording.c, tests/ and tests/fuzz/.
 *
 * Thread rules: before any recording is opened.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The largest chunk the reader loads, compressed or not (1 GiB unless
 * changed): larger ones are skipped as damaged. */
void ol__recording_set_chunk_max (guint64 bytes);

G_END_DECLS
