/* The demo instrument's simulated sensors and camera (tools/demo_sensors.c). */
#pragma once

#include <oneliner/oneliner.h>

#define DEMO_CAMERA_WIDTH 640
#define DEMO_CAMERA_HEIGHT 480

/* Registers instance "sensor" (temperature() -> double, sine() -> double)
 * and instance "camera" (frame() -> bytes: a 640x480 gray8 frame of a moving
 * pattern; frames_made() -> int64: how many frames it made), and adds the
 * streams sensor/temperature (10 Hz), sensor/sine (100 Hz) and camera/frames
 * (30 Hz, image, disabled at start). */
gboolean demo_sensors_register (OlServer *server, GError **error);
