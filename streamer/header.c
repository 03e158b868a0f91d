/* The data-plane message header. */
#include "streamer/header.h"

#include <string.h>

#include "oneliner/error.h"

static void
s_put32 (guint8 *p, guint32 v)
{
  v = GUINT32_TO_LE (v);
  memcpy (p, &v, 4);
}

static void
s_put64 (guint8 *p, guint64 v)
{
  v = GUINT64_TO_LE (v);
  memcpy (p, &v, 8);
}

static guint32
s_get32 (const guint8 *p)
{
  guint32 v;
  memcpy (&v, p, 4);
  return GUINT32_FROM_LE (v);
}

static guint64
s_get64 (const guint8 *p)
{
  guint64 v;
  memcpy (&v, p, 8);
  return GUINT64_FROM_LE (v);
}

void
ol__header_encode (const OlHeader *h, guint8 out[OL_HEADER_SIZE])
{
  memset (out, 0, OL_HEADER_SIZE);
  out[0] = OL_DATA_VERSION;
  out[1] = h->status;
  out[2] = (guint8) h->encoding;
  out[3] = (guint8) h->image.format;
  s_put32 (out + 4, h->overruns);
  s_put64 (out + 8, h->sequence);
  s_put64 (out + 16, (guint64) h->timestamp);
  s_put32 (out + 24, h->image.width);
  s_put32 (out + 28, h->image.height);
}

gboolean
ol__header_decode (const guint8 *data, gsize size, OlHeader *h, GError **error)
{
  if (size != OL_HEADER_SIZE)
    {
      g_set_error (error, OL_ERROR, OL_ERROR_PROTOCOL,
                   "stream header has %" G_GSIZE_FORMAT " bytes, not %d", size,
                   OL_HEADER_SIZE);
      return FALSE;
    }
  if (data[0] != OL_DATA_VERSION)
    {
      g_set_error (error, OL_ERROR, OL_ERROR_UNSUPPORTED_VERSION,
                   "stream header version %u is not supported; this client reads "
                   "version %d", data[0], OL_DATA_VERSION);
      return FALSE;
    }
  h->status = data[1];
  h->encoding = (OlEncoding) data[2];
  h->image.format = (OlPixelFormat) data[3];
  h->overruns = s_get32 (data + 4);
  h->sequence = s_get64 (data + 8);
  h->timestamp = (gint64) s_get64 (data + 16);
  h->image.width = s_get32 (data + 24);
  h->image.height = s_get32 (data + 28);
  return TRUE;
}

gboolean
ol__topic_check (const guint8 *data, gsize size, gsize *name_len)
{
  gssize bad;

  if (size < 2 || data[size - 1] != '\0'
      || !ol__name_check_len ((const char *) data, size - 1, &bad))
    return FALSE;
  *name_len = size - 1;
  return TRUE;
}

gboolean
ol__image_size (const OlImageInfo *image, guint64 *size)
{
  guint64 pixels = (guint64) image->width * image->height;

  return g_uint64_checked_mul (size, pixels, ol_pixel_format_size (image->format))
         && *size > 0;
}

guint
ol_pixel_format_size (OlPixelFormat format)
{
  switch (format)
    {
    case OL_PIXEL_GRAY8: return 1;
    case OL_PIXEL_GRAY16: return 2;
    case OL_PIXEL_RGB8: return 3;
    case OL_PIXEL_NONE: break;
    }
  return 0;
}

const char *
ol_encoding_name (OlEncoding encoding)
{
  switch (encoding)
    {
    case OL_ENCODING_RAW: return "raw";
    case OL_ENCODING_JSON: return "json";
    case OL_ENCODING_IMAGE: return "image";
    }
  return NULL;
}

gboolean
ol_encoding_from_name (const char *name, OlEncoding *encoding)
{
  for (int e = OL_ENCODING_RAW; e <= OL_ENCODING_IMAGE; e++)
    if (g_strcmp0 (name, ol_encoding_name ((OlEncoding) e)) == 0)
      {
        *encoding = (OlEncoding) e;
        return TRUE;
      }
  return FALSE;
}
