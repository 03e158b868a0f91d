/* The rule for names. */
#include "core/names.h"

#include <string.h>

gboolean
ol__name_is_valid (const char *name)
{
  size_t len;

  if (name == NULL || name[0] == '\0')
    return FALSE;
  len = strlen (name);
  if (len > OL_NAME_MAX)
    return FALSE;
  for (size_t i = 0; i < len; i++)
    if (name[i] <= ' ' || name[i] > '~')
      return FALSE;
  return TRUE;
}
