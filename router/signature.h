/* Signatures of plain C functions and their invocation through libffi.
 *
 * A signature string names and types every parameter of a C function, so
 * that JSON args (by position) and kwargs (by name) can be converted to C
 * values with type and range checks, and the C return value back to JSON:
 *
 *     "(int32 axis, double mm = 0.5, error) -> double"
 *
 * Grammar (whitespace is free between tokens):
 *
 *     signature := "(" [ param { "," param } ] ")" [ "->" type ]
 *     param     := type NAME [ "=" JSON-LITERAL ]  |  "error"
 *     type      := "int32" | "int64" | "uint32" | "uint64" | "double"
 *                | "bool" | "string" | "bytes" | "json"      (params)
 *                | those or "void"                              (return)
 *     NAME      := [A-Za-z_][A-Za-z0-9_]*
 *
 * A missing "-> type" means void. A default value is a JSON literal (number,
 * string, true, false, null, array or object; it ends at the next top-level
 * "," or ")"), checked against the parameter type at parse time. Once one
 * parameter has a default, all later ones must have one too. "error" may only
 * be the last parameter: the function then receives a trailing `GError **`;
 * if it sets it, the call fails with that error whatever it returned.
 *
 * C types the function is called with:
 *
 *     int32 -> int32_t    int64 -> int64_t    uint32 -> uint32_t
 *     uint64 -> uint64_t  double -> double    bool -> bool (C11 _Bool)
 *     string -> const char *   (transfer none, valid for the call only)
 *     bytes  -> GBytes *       (transfer none, valid for the call only)
 *     json   -> json_t *       (transfer none, borrowed for the call only)
 *
 * Return values: the same numeric types; "string" returns a `char *` the
 * function allocated with g_malloc (oneliner g_free()s it; NULL becomes JSON
 * null); "bytes" returns a `GBytes *` (transfer full; NULL becomes JSON null);
 * "json" returns a `json_t *` new reference (NULL becomes JSON null).
 *
 * A method's C function receives the instance pointer `void *self` as its
 * first argument, before the signature's parameters; a free function does not.
 *
 * Thread rules: an OlSignature is immutable after parsing and may be used
 * from any number of threads at once.
 */
#pragma once

#include <glib.h>
#include <jansson.h>
#include <stdbool.h>

#include "oneliner/json.h"

G_BEGIN_DECLS

typedef enum {
  OL_TYPE_VOID,
  OL_TYPE_INT32,
  OL_TYPE_INT64,
  OL_TYPE_UINT32,
  OL_TYPE_UINT64,
  OL_TYPE_DOUBLE,
  OL_TYPE_BOOL,
  OL_TYPE_STRING,
  OL_TYPE_BYTES,
  OL_TYPE_JSON,
} OlType;

/* The result of a call: exactly one of json and bytes is set (json may be
 * JSON null). Both fields are owned by the OlValue. */
typedef struct {
  json_t *json;  /* (owned) (nullable) */
  GBytes *bytes; /* (owned) (nullable) */
} OlValue;

void ol__value_clear (OlValue *value);

typedef struct OlSignature OlSignature;

/* Parses text. Returns NULL and sets OL_ERROR_SIGNATURE with the offending
 * position and token on failure. (transfer full) */
OlSignature *ol__signature_parse (const char *text, GError **error);
void ol__signature_free (OlSignature *sig);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (OlSignature, ol__signature_free)

/* Canonical text of the signature, e.g. "(int32 axis, double mm = 0.5, error) -> double".
 * (transfer none) */
const char *ol__signature_text (const OlSignature *sig);

/* Introspection: {"params":[{"name":"axis","type":"int32"},{"name":"mm",
 * "type":"double","default":0.5}], "returns":"double", "error": true}.
 * (transfer full) */
json_t *ol__signature_describe (const OlSignature *sig);

const char *ol__type_name (OlType type);
OlType ol__signature_return_type (const OlSignature *sig);

/* Converts args (JSON array, may be NULL = empty) and kwargs (JSON object,
 * may be NULL = empty) to C values following sig, calls fn through libffi
 * (with self first when with_self is true), and converts the return value.
 *
 * Argument binding is Python's: positional args fill parameters in order;
 * kwargs fill parameters by name; a parameter given both ways, an unknown
 * kwarg, too many positional args, or a missing parameter without default is
 * OL_ERROR_INVALID_ARGS with a message naming the parameter. Type and range
 * checks (also OL_ERROR_INVALID_ARGS, naming the parameter, the expected type
 * and the JSON type/value received):
 *   - integers accept JSON integers in range; a JSON real with an exact
 *     integral value in range is accepted too; anything else is refused;
 *   - double accepts JSON integers and reals;
 *   - bool accepts only true/false;
 *   - string accepts only JSON strings (no embedded NUL);
 *   - bytes accepts a base64 string, {"$base64": "..."} or {"$frame": N}
 *     where N indexes frames (a GPtrArray of GBytes *, may be NULL);
 *   - json accepts any value.
 *
 * On success fills out (a void return gives JSON null) and returns TRUE.
 * Thread rules: reentrant; the caller serialises calls into one instance. */
gboolean ol__signature_invoke (const OlSignature *sig,
                               void (*fn) (void),
                               gboolean with_self,
                               void *self,
                               json_t *args,
                               json_t *kwargs,
                               GPtrArray *frames,
                               OlValue *out,
                               GError **error);

/* Checks that value can be converted to type (the same rules as invoke).
 * Used for defaults and by clients to validate before sending. */
gboolean ol__type_check_json (OlType type, json_t *value, GPtrArray *frames,
                              const char *param_name, GError **error);

G_END_DECLS
