/* JSON helpers shared by every layer: how a value is named in an error
 * message, and the article-and-type phrase of a JSON type.
 *
 * Thread rules: reentrant.
 */
#pragma once

#include <glib.h>
#include <jansson.h>

#include "oneliner/json.h"

G_BEGIN_DECLS

/* Describes a JSON value for error messages: `string "abc"` (cut at 40
 * bytes), `3.5`, `object`, ... (transfer full) */
char *ol__json_describe (json_t *value);

/* "an object", "an array", "a string", "an integer", "a number",
 * "a boolean" (for both JSON_TRUE and JSON_FALSE) or "null". (transfer none) */
const char *ol__json_type_phrase (json_type type);

G_END_DECLS
