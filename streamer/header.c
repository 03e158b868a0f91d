/* The data-plane message header. */
#include "streamer/header.h"

#include <string.h>

#include "oneliner/error.h"
#include "core/le.h"

void
ol__header_encode (const OlHeader *h, guint8 out[OL_HEADER_SIZE])
{
  memset (out, 0, OL_HEADER_SIZE);
  out[0] = OL_DATA_VERSION;
  out[1] = h->status;
  out[2] = (guint8) h->encoding;
  out[3] = (guint8) h->image.format;
  ol__put32le (out + 4, h->overruns);
  ol__put64le (out + 8, h->sequence);
  ol__put64le (out + 16, (guint64) h->timestamp);
  ol__put32le (out + 24, h->image.width);
  ol__put32le (out + 28, h->image.height);
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
  h->overruns = ol__get32le (data + 4);
  h->sequence = ol__get64le (data + 8);
  h->timestamp = (gint64) ol__get64le (data + 16);
  h->image.width = ol__get32le (data + 24);
  h->image.height = ol__get32le (data + 28);
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
