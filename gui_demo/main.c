/* oneliner-gui: the GTK 4 client of oneliner (see ol-gui-application.h). */
#include <locale.h>

#include "ol-gui-application.h"

int
main (int argc, char **argv)
{
  g_autoptr (OlGuiApplication) app = NULL;
  int status;

  setlocale (LC_ALL, "");
  app = ol_gui_application_new ();
  status = g_application_run (G_APPLICATION (app), argc, argv);

  return status != 0 ? status : ol_gui_application_get_exit_status (app);
}
