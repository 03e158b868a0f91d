/* oneliner-gui: --self-test, the program driving its own widgets.
 *
 * Against a running demo server: waits for the connection and the lists,
 * flips the camera/frames switch on, waits for 3 frames on screen, keeps the
 * camera running 10 s while measuring the main loop's longest stall, calls
 * stage.move_to through its form (axis 1, 12.5 mm) and checks the result,
 * flips the switch off and checks that the server reports the stream
 * disabled. Then the stream descriptions: the unit of sensor/temperature on
 * its axis, daq/trace painted as traces of its described length with its x
 * unit (traces taken and painted over 3 s are printed), sensor.heat called
 * through its form past the temperature's alarm_high (read from its
 * description) until its row is red with its alarm count up and its lane
 * in alarm. Then the Record bar: its popover lists every stream, the viewed
 * ones checked; recording an unknown stream puts one line naming it in the
 * banner and leaves no file, as does recording to a directory that does not
 * exist; sensor/temperature and sensor/sine are recorded
 * (to a file in a fresh temporary directory: the file dialog bypassed) until
 * the bar shows more than 20 messages; the screenshot, if one was asked for,
 * is written then; Stop is pressed, and the file, opened with
 * ol_recording_open(), must hold messages of both streams, at least as many
 * as the bar showed, and be complete. Then sensor.heat back into the warning
 * range until row and lane are normal; last, the window is closed while
 * recording sensor/sine: it closes once the file is complete, which is
 * checked the same way.
 * Each step is printed as it runs and bounded; a failure prints
 * "self-test failed at step: NAME: reason".
 */
#pragma once

#include "ol-gui-window.h"

G_BEGIN_DECLS

typedef struct OlGuiSelfTest OlGuiSelfTest;

/* Called once when the test ends: status 0 passed, 1 failed. */
typedef void (*OlGuiSelfTestDone) (int status, gpointer user_data);

/**
 * ol_gui_self_test_start:
 * @screenshot: (nullable): PNG written at the end, pass or fail
 *
 * Starts driving window on the main loop. (transfer full): free with
 * ol_gui_self_test_free() after done was called (or to abandon it).
 */
OlGuiSelfTest *ol_gui_self_test_start (OlGuiWindow *window, const char *screenshot,
                                       OlGuiSelfTestDone done, gpointer user_data);
void ol_gui_self_test_free (OlGuiSelfTest *test);

G_END_DECLS
