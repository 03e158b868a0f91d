/* The rule for names. */
#include "core/names.h"

#include <string.h>

gboolean
ol__name_check (const char *name, gssize *bad)
{
  return ol__name_check_len (name, name != NULL ? strnlen (name, OL_NAME_MAX + 1) : 0, bad);
}

gboolean
ol__name_check_len (const char *name, gsize len, gssize *bad)
{
  *bad = -1;
  if (len == 0 || len > OL_NAME_MAX)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    if ((guchar) name[i] <= ' ' || (guchar) name[i] > '~')
      {
        *bad = (gssize) i;
        return FALSE;
      }
  return TRUE;
}

gboolean
ol__name_is_valid (const char *name)
{
  gssize bad;

  return ol__name_check (name, &bad);
}
