/* The contract between the two request decoders (router/request.h): for
 * every text, if the fast decoder takes it, the general one takes it too and
 * gives the same request; if the general one refuses it, the fast one gives
 * up. Shared by tests/decode_test.c and the fuzz target. */
#pragma once

#include "router/request.h"

/* Compares the request of the fast decoder with that of the general one,
 * field by field (the fast decoder's int id against the general decoder's
 * JSON integer id). Returns NULL if they are the same, else a description
 * of the first difference. (transfer full) */
char *dc_request_diff (const OlRequest *fast, const OlRequest *general);

/* Decodes text with both decoders (no attachments) and checks the
 * contract. Returns NULL if it holds, else what broke it (transfer full).
 * *fast_took (nullable) tells whether the fast decoder took the text,
 * *general_took (nullable) whether the general one did. */
char *dc_check_text (const char *text, size_t len, gboolean *fast_took,
                     gboolean *general_took);

/* text as a C string literal for messages: bytes outside printable ASCII
 * escaped, cut after max bytes. (transfer full) */
char *dc_show (const char *text, size_t len, size_t max);
