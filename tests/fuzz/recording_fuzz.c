/* Fuzz target of the recording reader (record/recording.c): the input is a
 * whole file, opened with ol_recording_open(), described, read to its end,
 * rewound and read again for one stream. Every message it returns must be
 * whole: a valid stream name, a payload, an image of its geometry's size.
 * Aborts otherwise; sanitizers catch what reads or writes astray.
 *
 * The file lives in a memfd (/proc/self/fd/N): no disk. Chunks are capped
 * at 16 MiB so that a file claiming a huge chunk costs little.
 *
 * Built for libFuzzer with -Dfuzz=true (./run fuzz), and in every build as
 * recording-fuzz-replay (replay_main.c), which replays
 * tests/fuzz/corpus/recording/ (small recordings: zstd and none, cut off,
 * damaged, not MCAP). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "oneliner/record.h"
#include "core/names.h"
#include "record/recording_private.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static void
s_fail (const char *what)
{
  fprintf (stderr, "recording-fuzz: %s\n", what);
  abort ();
}

static guint
s_read (OlRecording *r, const char *const *streams)
{
  OlStreamMessage *m;
  GError *error = NULL;
  guint n = 0;

  while (n < 100000 && (m = ol_recording_next (r, streams, &error)) != NULL)
    {
      if (!ol__name_is_valid (m->name) || m->payload == NULL)
        s_fail ("a message without a valid name or payload");
      if (streams != NULL && strcmp (m->name, streams[0]) != 0)
        s_fail ("a message of a stream not asked for");
      ol_stream_message_free (m);
      n++;
    }
  g_clear_error (&error);
  return n;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  static gboolean once;
  char path[64];
  OlRecording *r;
  json_t *d, *streams;
  const char *first = NULL;
  const char *key;
  json_t *value;
  guint all;
  int fd;

  if (!once)
    {
      ol__recording_set_chunk_max (16 * 1024 * 1024);
      once = TRUE;
    }
  fd = memfd_create ("recording-fuzz", MFD_CLOEXEC);
  if (fd < 0)
    s_fail ("memfd_create failed");
  if (size > 0 && write (fd, data, size) != (ssize_t) size)
    s_fail ("write to the memfd failed");
  g_snprintf (path, sizeof path, "/proc/self/fd/%d", fd);
  r = ol_recording_open (path, NULL);
  if (r != NULL)
    {
      d = ol_recording_describe (r);
      if (!json_is_object (d) || !json_is_array (json_object_get (d, "problems")))
        s_fail ("describe did not return an object with problems");
      all = s_read (r, NULL);
      streams = json_object_get (d, "streams");
      json_object_foreach (streams, key, value)
        {
          first = key;
          break;
        }
      ol_recording_rewind (r);
      if (s_read (r, NULL) != all)
        s_fail ("a second reading after a rewind found another count");
      if (first != NULL)
        {
          const char *const one[] = { first, NULL };

          ol_recording_rewind (r);
          if (s_read (r, one) > all)
            s_fail ("more messages of one stream than of all");
        }
      json_decref (d);
      ol_recording_close (r);
    }
  close (fd);
  return 0;
}
