/* The OL_ERROR domain. */
#include "oneliner/error.h"
#include "oneliner/version.h"

G_DEFINE_QUARK (ol-error-quark, ol_error)

const char *
ol_error_code_name (int code)
{
  switch ((OlError) code)
    {
    case OL_ERROR_FAILED: return "FAILED";
    case OL_ERROR_TIMEOUT: return "TIMEOUT";
    case OL_ERROR_PROTOCOL: return "PROTOCOL";
    case OL_ERROR_NOT_FOUND: return "NOT_FOUND";
    case OL_ERROR_INVALID_ARGS: return "INVALID_ARGS";
    case OL_ERROR_UNSUPPORTED_VERSION: return "UNSUPPORTED_VERSION";
    case OL_ERROR_EXISTS: return "EXISTS";
    case OL_ERROR_CLOSED: return "CLOSED";
    case OL_ERROR_SOCKET: return "SOCKET";
    case OL_ERROR_CONFIG: return "CONFIG";
    case OL_ERROR_SIGNATURE: return "SIGNATURE";
    case OL_ERROR_BUSY: return "BUSY";
    case OL_ERROR_UNREACHABLE: return "UNREACHABLE";
    case OL_ERROR_PERMISSION_DENIED: return "PERMISSION_DENIED";
    case OL_ERROR_FOREIGN_DOMAIN: return "FOREIGN_DOMAIN";
    }
  return "UNKNOWN";
}

const char *
ol_version_string (void)
{
  return OL_VERSION_STRING;
}
