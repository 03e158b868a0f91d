/* Fuzz target of the subscriber's checks of a stream message: the header
 * decoder, the topic check and the image size (streamer/header.h), and the
 * receiver's check of a whole message (ol__receiver_parse), each against a
 * plain reading of docs/PROTOCOL.md, "Data plane". Aborts on a
 * disagreement, with what differs on stderr.
 *
 * Input: byte 0 holds the frame count (bits 0-2, 0..7) and whether more
 * frames were received than kept (bit 3); then each frame but the last as a
 * 2-byte little-endian length and its bytes; the last frame takes the rest.
 *
 * Built for libFuzzer with -Dfuzz=true (./run fuzz), and in every build as
 * stream-fuzz-replay (replay_main.c), which replays tests/fuzz/corpus/stream/. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oneliner/error.h"
#include "streamer/subscriber_private.h"

#define MAX_FRAMES 7

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static void
s_fail (const char *what)
{
  fprintf (stderr, "stream-fuzz: %s\n", what);
  abort ();
}

/* The rule of docs/PROTOCOL.md: 1 to 255 bytes of printable ASCII without
 * spaces, then one NUL. */
static gboolean
s_topic_ok (const guint8 *p, gsize size)
{
  if (size < 2 || size - 1 > 255 || p[size - 1] != '\0')
    return FALSE;
  for (gsize i = 0; i + 1 < size; i++)
    if (p[i] <= ' ' || p[i] >= 0x7f)
      return FALSE;
  return TRUE;
}

static guint64
s_le (const guint8 *p, int n)
{
  guint64 v = 0;

  for (int i = n - 1; i >= 0; i--)
    v = v << 8 | p[i];
  return v;
}

/* The header, the topic and the image size on their own. */
static void
s_check_parts (const guint8 *topic, gsize topic_size, const guint8 *head, gsize head_size)
{
  OlHeader h;
  GError *error = NULL;
  gsize name_len = 0;
  gboolean ok = ol__header_decode (head, head_size, &h, &error);

  if (ok != (head_size == OL_HEADER_SIZE && head[0] == OL_DATA_VERSION))
    s_fail ("the header decoder took a wrong size or version, or refused a good header");
  if (!ok && (error == NULL || error->domain != OL_ERROR))
    s_fail ("the header decoder refused without an OL_ERROR");
  g_clear_error (&error);
  if (ok)
    {
      guint8 again[OL_HEADER_SIZE];
      unsigned __int128 pixels;
      guint64 bytes = 0;
      gboolean fits;

      if (h.status != head[1] || (guint8) h.encoding != head[2]
          || (guint8) h.image.format != head[3] || h.overruns != s_le (head + 4, 4)
          || h.sequence != s_le (head + 8, 8) || (guint64) h.timestamp != s_le (head + 16, 8)
          || h.image.width != s_le (head + 24, 4) || h.image.height != s_le (head + 28, 4))
        s_fail ("the header decoder read a field wrong");
      ol__header_encode (&h, again);
      if (memcmp (again, head, 32) != 0 || again[32] != 0 || memcmp (again + 32, again + 33, 15))
        s_fail ("the header encoder does not give back the decoded header");
      pixels = (unsigned __int128) h.image.width * h.image.height
               * ol_pixel_format_size (h.image.format);
      fits = ol__image_size (&h.image, &bytes);
      if (fits != (pixels > 0 && pixels <= G_MAXUINT64) || (fits && bytes != (guint64) pixels))
        s_fail ("the image size is wrong");
    }
  ok = ol__topic_check (topic, topic_size, &name_len);
  if (ok != s_topic_ok (topic, topic_size) || (ok && name_len != topic_size - 1))
    s_fail ("the topic check disagrees with the rule for names");
}

typedef struct {
  const guint8 *data;
  gsize size;
} Span;

/* What the receiver must do with the message: take it or drop it. */
static gboolean
s_expected (const Span *f, int n, gboolean truncated)
{
  const guint8 *head;
  OlImageInfo image;
  unsigned __int128 bytes;

  /* A same-host subscriber's topic, 0x01 NAME 0x00, is a stream's topic too. */
  gboolean shm = f[0].size > 0 && f[0].data[0] == 0x01;

  if (n != 3 || truncated || !s_topic_ok (f[0].data + shm, f[0].size - shm)
      || f[1].size != OL_HEADER_SIZE)
    return FALSE;
  head = f[1].data;
  if (head[0] != OL_DATA_VERSION)
    return FALSE;
  if (head[2] != OL_ENCODING_IMAGE || (head[1] & (OL_STATUS_ERROR | OL__STATUS_MARK)))
    return TRUE;
  image.width = (guint32) s_le (head + 24, 4);
  image.height = (guint32) s_le (head + 28, 4);
  image.format = (OlPixelFormat) head[3];
  bytes = (unsigned __int128) image.width * image.height * ol_pixel_format_size (image.format);
  return bytes > 0 && bytes == f[2].size;
}

/* A same-host descriptor (docs/PROTOCOL.md, "Same-host frames"): taken
 * exactly when it follows the rules, and then encoded back to the same
 * bytes. */
static void
s_check_desc (const guint8 *p, gsize size)
{
  OlShmDesc d;
  gboolean ok = ol__shm_desc_decode (p, size, &d, NULL);
  gboolean expected = size > OL_SHM_DESC_FIXED && size <= OL_SHM_DESC_MAX && s_le (p, 4) == 1
                      && s_le (p + 8, 8) != 0 && s_le (p + 16, 8) != 0
                      && (s_le (p + 16, 8) & 1) == 0;
  guint8 again[OL_SHM_DESC_MAX];

  for (gsize i = OL_SHM_DESC_FIXED; expected && i < size; i++)
    expected = p[i] > ' ' && p[i] < 0x7f;
  if (ok != expected)
    s_fail (expected ? "a good descriptor was refused" : "a bad descriptor was taken");
  if (ok && (ol__shm_desc_encode (&d, again) != size || memcmp (again, p, size) != 0))
    s_fail ("a descriptor does not encode back to its bytes");
}

/* The receiver's check: twice, the second time through its cache of the
 * last topic. Each round receives the frames afresh (the receiver may move
 * the payload's frame into the message). */
static void
s_check_receiver (const Span *f, int n, gboolean truncated)
{
  OlSubscriber s = { 0 };
  gboolean expected = s_expected (f, n, truncated);

  s.endpoint = (char *) "fuzz";
  ol__receiver_init (&s);
  for (int round = 0; round < 2; round++)
    {
      zmq_msg_t frames[MAX_FRAMES];
      guint64 malformed = atomic_load (&s.malformed);
      Message *m;

      for (int i = 0; i < n; i++)
        {
          zmq_msg_init_size (&frames[i], f[i].size);
          if (f[i].size > 0)
            memcpy (zmq_msg_data (&frames[i]), f[i].data, f[i].size);
        }
      m = ol__receiver_parse (&s, frames, n, truncated);
      if ((m != NULL) != expected)
        s_fail (expected ? "the receiver dropped a good message"
                         : "the receiver took a malformed message");
      if (atomic_load (&s.malformed) != malformed + (m == NULL))
        s_fail ("the receiver's count of malformed messages is wrong");
      if (m != NULL)
        {
          const guint8 *head = f[1].data;
          gsize size;
          const void *payload = g_bytes_get_data (m->pub.payload, &size);

          gboolean shm = f[0].data[0] == 0x01;

          if (memcmp (m->pub.name, f[0].data + shm, f[0].size - shm) != 0
              || m->pub.sequence != s_le (head + 8, 8) || m->pub.status != head[1]
              || (guint8) m->pub.encoding != head[2])
            s_fail ("the receiver's message differs from the frames");
          if (size != f[2].size || (size > 0 && memcmp (payload, f[2].data, size) != 0))
            s_fail ("the receiver's payload differs from the frame");
          ol_stream_message_free (&m->pub);
        }
      for (int i = 0; i < n; i++)
        zmq_msg_close (&frames[i]);
    }
  ol__receiver_clear (&s);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  static const guint8 none[1] = { 0 };
  static guint8 same_length[OL_STREAM_NAME_MAX + 2];
  static guint new_names;
  Span f[MAX_FRAMES] = { { 0 } };
  const guint8 *p = data + 1, *end = data + size;
  int n;
  gboolean truncated;

  if (size == 0)
    return 0;
  n = data[0] & 7;
  truncated = (data[0] & 8) != 0;
  for (int i = 0; i < n; i++)
    {
      gsize len = (gsize) (end - p);

      if (i + 1 < n)
        {
          len = end - p >= 2 ? (gsize) (p[0] | p[1] << 8) : 0;
          p += MIN (2, end - p);
          len = MIN (len, (gsize) (end - p));
        }
      f[i].data = len > 0 ? p : none;
      f[i].size = len;
      p += len;
    }
  s_check_parts (n > 0 ? f[0].data : none, n > 0 ? f[0].size : 0,
                 n > 1 ? f[1].data : none, n > 1 ? f[1].size : 0);
  /* The receiver interns the name of every topic it meets (only subscribed
   * ones reach it). GLib never frees its table of interned strings, and
   * leaves the old one behind when it grows past 2048 of them, which the
   * leak checker reports: past 1024 new names, a new name is replaced by
   * one of the same length. */
  if (n > 0)
    {
      /* A same-host subscriber's topic (0x01 NAME 0x00) names a stream too. */
      gsize off = f[0].size > 0 && f[0].data[0] == 0x01;

      if (s_topic_ok (f[0].data + off, f[0].size - off)
          && g_quark_try_string ((const char *) f[0].data + off) == 0 && ++new_names > 1024)
        {
          same_length[0] = 0x01;
          memset (same_length + off, 'x', f[0].size - off - 1);
          same_length[f[0].size - 1] = '\0';
          f[0].data = same_length;
        }
    }
  if (n > 0)
    s_check_desc (f[n - 1].data, f[n - 1].size);
  s_check_receiver (f, n, truncated);
  return 0;
}
