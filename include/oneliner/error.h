/* oneliner: error domain and codes.
 *
 * Errors raised by oneliner itself use the OL_ERROR domain. Errors raised by
 * application handlers keep their own domain and code: they travel over the
 * wire as (domain string, code, message) and a client rebuilds them with
 * g_quark_try_string(domain), so the caller sees the same domain and code
 * the server-side code used when the domain is known in the client's process
 * (its quark exists). An error of a domain not known there arrives as
 * OL_ERROR_FOREIGN_DOMAIN, the message followed by ` (domain "D", code N)`
 * with D cut to its first 40 bytes: a client interns no name a peer sends.
 */
#pragma once

#include <glib.h>
#include <oneliner/export.h>

G_BEGIN_DECLS

#define OL_ERROR (ol_error_quark ())

/**
 * OlError:
 * The codes of the OL_ERROR domain. The numeric values are part of the wire
 * protocol (docs/PROTOCOL.md) and never change.
 */
typedef enum {
  OL_ERROR_FAILED = 1,              /* generic failure */
  OL_ERROR_TIMEOUT = 2,             /* no reply within the caller's bound */
  OL_ERROR_PROTOCOL = 3,            /* malformed message on the wire */
  OL_ERROR_NOT_FOUND = 4,           /* unknown object, method, named call or stream */
  OL_ERROR_INVALID_ARGS = 5,        /* wrong number, name, type or range of arguments */
  OL_ERROR_UNSUPPORTED_VERSION = 6, /* peer speaks a protocol version we do not */
  OL_ERROR_EXISTS = 7,              /* a name registered twice */
  OL_ERROR_CLOSED = 8,              /* object stopped or being destroyed */
  OL_ERROR_SOCKET = 9,              /* a ZeroMQ call failed (bind, connect, ...) */
  OL_ERROR_CONFIG = 10,             /* bad configuration file or option */
  OL_ERROR_SIGNATURE = 11,          /* a signature string that does not parse */
  OL_ERROR_BUSY = 12,               /* a queue is full: the item was dropped and counted */
  OL_ERROR_UNREACHABLE = 13,        /* a mounted upstream server is not connected */
  OL_ERROR_PERMISSION_DENIED = 14,  /* the caller's key may not do this */
  OL_ERROR_FOREIGN_DOMAIN = 15,     /* client side: an error of a domain unknown here */
} OlError;

OL_API
GQuark ol_error_quark (void);

/* Returns the symbolic name of an OL_ERROR code ("TIMEOUT", ...), or "UNKNOWN".
 * (transfer none) */
OL_API
const char *ol_error_code_name (int code);

G_END_DECLS
