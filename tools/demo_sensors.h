/* The demo instrument's simulated sensors and camera (tools/demo_sensors.c). */
#pragma once

#include <oneliner/oneliner.h>

#define DEMO_CAMERA_WIDTH 640
#define DEMO_CAMERA_HEIGHT 480
/* The heater of heat() adds at most this many kelvin either way. */
#define DEMO_HEAT_MAX 100.0
#define DEMO_TRACE_SAMPLES 1024
#define DEMO_TRACE_STEP_US 0.5
#define DEMO_TRACE_HZ 20

/* Registers instance "sensor" (temperature() -> double, heat(double kelvin)
 * -> double, sine() -> double), instance "camera" (frame() -> bytes: a
 * 640x480 gray8 frame of a moving pattern; frames_made() -> int64: how many
 * frames it made) and instance "daq" (trace() -> json: 1024 samples), and
 * adds the described streams sensor/temperature (10 Hz, degC, with warning
 * and alarm limits), sensor/sine (100 Hz, V), daq/trace (20 Hz, 1024 V
 * against us) and camera/frames (30 Hz, image, disabled at start). */
gboolean demo_sensors_register (OlServer *server, GError **error);
