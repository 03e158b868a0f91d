/* oneliner: library and protocol versions. */
#pragma once

#include <oneliner/export.h>

#define OL_VERSION_MAJOR 0
#define OL_VERSION_MINOR 1
#define OL_VERSION_MICRO 0
#define OL_VERSION_STRING "0.1.0"

/* The wire protocol version this library speaks (docs/PROTOCOL.md). */
#define OL_PROTOCOL_VERSION 1

/* (transfer none) The runtime library version, e.g. "0.1.0". */
OL_API
const char *ol_version_string (void);
