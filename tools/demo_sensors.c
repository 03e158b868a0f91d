/* The demo instrument's simulated sensors and camera. */
#include "tools/demo_sensors.h"

#include <math.h>
#include <string.h>

typedef struct {
  gint64 t0;        /* monotonic us at creation */
  guint32 noise;    /* LCG state; guarded by the server's instance lock */
  double heat;      /* kelvin added by heat(); guarded by the instance lock */
} DemoSensor;

typedef struct {
  gint64 t0;        /* monotonic us at creation */
  guint32 noise;    /* LCG state; guarded by the server's instance lock */
} DemoDaq;

typedef struct {
  gint64 frames;    /* frames made; guarded by the server's instance lock */
} DemoCamera;

static double
s_seconds (DemoSensor *s)
{
  return (double) (g_get_monotonic_time () - s->t0) / G_USEC_PER_SEC;
}

/* () -> double: 21.5 degC drifting slowly, with a little noise, plus what
 * heat() added. */
static double
s_temperature (DemoSensor *s)
{
  s->noise = s->noise * 1664525u + 1013904223u;
  return 21.5 + s->heat + 0.5 * sin (s_seconds (s) / 60.0)
         + (s->noise >> 8) / 16777216.0 * 0.02;
}

/* (double kelvin, error) -> double: heats the sample holder by kelvin
 * (cools if negative); returns the total added so far. */
static double
s_heat (DemoSensor *s, double kelvin, GError **error)
{
  if (!isfinite (kelvin) || fabs (s->heat + kelvin) > DEMO_HEAT_MAX)
    {
      g_set_error (error, OL_ERROR, OL_ERROR_INVALID_ARGS,
                   "the heater adds at most %g K either way; it adds %.3f K now", DEMO_HEAT_MAX,
                   s->heat);
      return s->heat;
    }
  s->heat += kelvin;
  return s->heat;
}

/* () -> json: DEMO_TRACE_SAMPLES samples in V, DEMO_TRACE_STEP_US apart: a
 * ringing pulse whose phase drifts from trace to trace, with noise. */
static json_t *
s_trace (DemoDaq *d)
{
  json_t *trace = json_array ();
  double phase = (double) (g_get_monotonic_time () - d->t0) / G_USEC_PER_SEC;

  for (int i = 0; i < DEMO_TRACE_SAMPLES; i++)
    {
      double t = i * DEMO_TRACE_STEP_US;
      double v = 0.8 * exp (-t / 150.0) * sin (2 * G_PI * t / 40.0 + phase);

      d->noise = d->noise * 1664525u + 1013904223u;
      v += ((d->noise >> 8) / 16777216.0 - 0.5) * 0.02;
      /* Four decimals are what the digitiser resolves. */
      json_array_append_new (trace, json_real (round (v * 1e4) / 1e4));
    }
  return trace;
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

/* Sets a description given as JSON text. */
static gboolean
s_describe (OlServer *server, const char *name, const char *text, GError **error)
{
  json_error_t parse;
  g_autoptr (json_t) description = json_loads (text, 0, &parse);

  if (description == NULL)
    {
      g_set_error (error, OL_ERROR, OL_ERROR_FAILED, "the description of %s: %s", name,
                   parse.text);
      return FALSE;
    }
  return ol_server_describe_stream (server, name, description, error);
}

gboolean
demo_sensors_register (OlServer *server, GError **error)
{
  DemoSensor *sensor = g_new0 (DemoSensor, 1);
  DemoCamera *camera = g_new0 (DemoCamera, 1);
  DemoDaq *daq = g_new0 (DemoDaq, 1);
  OlImageInfo vga = { DEMO_CAMERA_WIDTH, DEMO_CAMERA_HEIGHT, OL_PIXEL_GRAY8 };
  g_autofree char *trace_description = g_strdup_printf (
    "{\"text\": \"digitiser channel A: a ringing pulse\", \"unit\": \"V\", "
    "\"form\": \"array\", \"length\": %d, \"x\": {\"unit\": \"us\", \"start\": 0, "
    "\"step\": %g}, \"precision\": 4}", DEMO_TRACE_SAMPLES, DEMO_TRACE_STEP_US);

  sensor->t0 = daq->t0 = g_get_monotonic_time ();
  sensor->noise = 12345;
  daq->noise = 54321;
  if (!ol_server_add_instance (server, "sensor", sensor, g_free, error))
    {
      g_free (sensor);
      g_free (camera);
      g_free (daq);
      return FALSE;
    }
  if (!ol_server_add_instance (server, "camera", camera, g_free, error))
    {
      g_free (camera);
      g_free (daq);
      return FALSE;
    }
  if (!ol_server_add_instance (server, "daq", daq, g_free, error))
    {
      g_free (daq);
      return FALSE;
    }
  return ol_server_add_method (server, "sensor", "temperature", "() -> double",
                               OL_FUNC (s_temperature), error)
    && ol_server_add_method (server, "sensor", "heat", "(double kelvin, error) -> double",
                             OL_FUNC (s_heat), error)
    && ol_server_add_method (server, "sensor", "sine", "() -> double", OL_FUNC (s_sine), error)
    && ol_server_add_method (server, "camera", "frame", "() -> bytes", OL_FUNC (s_frame), error)
    && ol_server_add_method (server, "camera", "frames_made", "() -> int64",
                             OL_FUNC (s_frames_made), error)
    && ol_server_add_method (server, "daq", "trace", "() -> json", OL_FUNC (s_trace), error)
    && ol_server_add_stream (server, "sensor/temperature", 10, "sensor", "temperature",
                             NULL, NULL, TRUE, OL_ENCODING_JSON, NULL, error)
    && s_describe (server, "sensor/temperature",
                   "{\"text\": \"sample holder temperature\", \"unit\": \"degC\", "
                   "\"form\": \"number\", \"precision\": 2, \"limits\": {\"warning_low\": 15, "
                   "\"warning_high\": 30, \"alarm_low\": 5, \"alarm_high\": 40}}", error)
    && ol_server_add_stream (server, "sensor/sine", 100, "sensor", "sine", NULL, NULL, TRUE,
                             OL_ENCODING_JSON, NULL, error)
    && s_describe (server, "sensor/sine",
                   "{\"text\": \"0.5 Hz test sine\", \"unit\": \"V\", \"form\": \"number\", "
                   "\"precision\": 3}", error)
    && ol_server_add_stream (server, "daq/trace", DEMO_TRACE_HZ, "daq", "trace", NULL, NULL,
                             TRUE, OL_ENCODING_JSON, NULL, error)
    && s_describe (server, "daq/trace", trace_description, error)
    && ol_server_add_stream (server, "camera/frames", 30, "camera", "frame", NULL, NULL,
                             FALSE, OL_ENCODING_IMAGE, &vga, error)
    && s_describe (server, "camera/frames",
                   "{\"text\": \"640x480 test camera: moving diagonal bands\", "
                   "\"form\": \"image\"}", error);
}
