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

/* Describes a JSON value for error messages: `string "abc"` (through
 * ol__quote), `3.5`, `object`, ... (transfer full) */
char *ol__json_describe (json_t *value);

/* Longest prefix of a received value an error or log message renders, in
 * bytes. */
#define OL_QUOTE_MAX 40

/* A received text for an error or log message: its first OL_QUOTE_MAX bytes
 * at most, with quotes, backslashes, control characters and bytes above 0x7e
 * escaped (\", \n, \033, \303...), then "..." if it was longer. The
 * result is printable ASCII whatever the input. len -1: s ends at its NUL.
 * (transfer full) */
char *ol__quote (const char *s, gssize len);

/* "an object", "an array", "a string", "an integer", "a number",
 * "a boolean" (for both JSON_TRUE and JSON_FALSE) or "null". (transfer none) */
const char *ol__json_type_phrase (json_type type);

/* Writes the real x into buf (NUL-terminated) as ol_json_dumps() does: the
 * shortest of 15, 16 and 17 significant digits that reads back to x, with a
 * '.' or an exponent; returns its length. size at least
 * G_ASCII_DTOSTR_BUF_SIZE. */
gsize ol__json_format_real (char *buf, gsize size, double x);

G_END_DECLS
