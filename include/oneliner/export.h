/* oneliner: the mark of the library's exported functions.
 *
 * The library is built with hidden symbol visibility: only declarations
 * marked OL_API (the ol_ functions of these headers) are exported. */
#pragma once

#if defined(__GNUC__) || defined(__clang__)
#define OL_API __attribute__ ((visibility ("default")))
#else
#define OL_API
#endif
