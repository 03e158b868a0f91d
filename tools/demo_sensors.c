/* The demo instrument's simulated sensors and camera. */
#include "tools/demo_sensors.h"

#include <math.h>
#include <string.h>

typedef struct {
  gint64 t0;        /* monotonic us at creation */
  guint32 noise;    /* LCG state; guarded by the server's instance lock */
} DemoSensor;

typedef struct {
  gint64 frames;    /* frames made; guarded by the server's instance lock */
} DemoCamera;

static double
s_seconds (DemoSensor *s)
{
  return (double) (g_get_monotonic_time () - s->t0) / G_USEC_PER_SEC;
}

/* () -> double: 21.5 degC drifting slowly, with a little noise. */
static double
s_temperature (DemoSensor *s)
{
  s->noise = s->noise * 1664525u + 1013904223u;
  return 21.5 + 0.5 * sin (s_seconds (s) / 60.0) + (s->noise >> 8) / 16777216.0 * 0.02;
}

/* () -> double: a 0.5 Hz sine of amplitude 1. */
static double
s_sine (DemoSensor *s)
{
  return sin (2 * G_PI * 0.5 * s_seconds (s));
}

/* () -> bytes: a 640x480 gray8 frame, diagonal bands moving by 4 pixels a
 * frame, with the frame number's low byte in the first pixel. */
static GBytes *
s_frame (DemoCamera *cam)
{
  guint8 *pixels = g_malloc (DEMO_CAMERA_WIDTH * DEMO_CAMERA_HEIGHT);
  guint shift = (guint) (cam->frames * 4);

  for (guint y = 0; y < DEMO_CAMERA_HEIGHT; y++)
    {
      guint8 *row = pixels + (gsize) y * DEMO_CAMERA_WIDTH;
      for (guint x = 0; x < DEMO_CAMERA_WIDTH; x++)
        row[x] = (guint8) ((x + y + shift) & 0xff);
    }
  pixels[0] = (guint8) cam->frames;
  cam->frames++;
  return g_bytes_new_take (pixels, DEMO_CAMERA_WIDTH * DEMO_CAMERA_HEIGHT);
}

/* () -> int64 */
static gint64
s_frames_made (DemoCamera *cam)
{
  return cam->frames;
}

gboolean
demo_sensors_register (OlServer *server, GError **error)
{
  DemoSensor *sensor = g_new0 (DemoSensor, 1);
  DemoCamera *camera = g_new0 (DemoCamera, 1);
  OlImageInfo vga = { DEMO_CAMERA_WIDTH, DEMO_CAMERA_HEIGHT, OL_PIXEL_GRAY8 };

  sensor->t0 = g_get_monotonic_time ();
  sensor->noise = 12345;
  if (!ol_server_add_instance (server, "sensor", sensor, g_free, error))
    {
      g_free (sensor);
      g_free (camera);
      return FALSE;
    }
  if (!ol_server_add_instance (server, "camera", camera, g_free, error))
    {
      g_free (camera);
      return FALSE;
    }
  return ol_server_add_method (server, "sensor", "temperature", "() -> double",
                               OL_FUNC (s_temperature), error)
    && ol_server_add_method (server, "sensor", "sine", "() -> double", OL_FUNC (s_sine), error)
    && ol_server_add_method (server, "camera", "frame", "() -> bytes", OL_FUNC (s_frame), error)
    && ol_server_add_method (server, "camera", "frames_made", "() -> int64",
                             OL_FUNC (s_frames_made), error)
    && ol_server_add_stream (server, "sensor/temperature", 10, "sensor", "temperature",
                             NULL, NULL, TRUE, OL_ENCODING_JSON, NULL, error)
    && ol_server_add_stream (server, "sensor/sine", 100, "sensor", "sine", NULL, NULL, TRUE,
                             OL_ENCODING_JSON, NULL, error)
    && ol_server_add_stream (server, "camera/frames", 30, "camera", "frame", NULL, NULL,
                             FALSE, OL_ENCODING_IMAGE, &vga, error);
}
