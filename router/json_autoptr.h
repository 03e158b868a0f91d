/* g_autoptr() support for jansson values inside oneliner. */
#pragma once

#include <glib.h>
#include <jansson.h>

static inline void
ol__json_decref (json_t *json)
{
  json_decref (json);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (json_t, ol__json_decref)
