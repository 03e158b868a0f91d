"""The exceptions of the oneliner client."""
from __future__ import annotations

from typing import Optional

#: The error domain of errors raised by oneliner itself (docs/PROTOCOL.md, "Errors").
OL_DOMAIN = "ol-error-quark"

# The codes of OL_DOMAIN; their numbers are part of the protocol.
FAILED = 1
TIMEOUT = 2
PROTOCOL = 3
NOT_FOUND = 4
INVALID_ARGS = 5
UNSUPPORTED_VERSION = 6
EXISTS = 7
CLOSED = 8
SOCKET = 9
CONFIG = 10
SIGNATURE = 11
BUSY = 12
UNREACHABLE = 13
PERMISSION_DENIED = 14
FOREIGN_DOMAIN = 15


class Error(Exception):
    """Base class of every exception this package raises."""


class RemoteError(Error):
    """The server (or a function it called) answered with an error.

    ``domain`` is the error domain's string (``"ol-error-quark"`` for
    oneliner's own errors, else the application's), ``code`` its integer
    code and ``message`` the text, all as the server sent them.
    """

    def __init__(self, domain: str, code: int, message: str) -> None:
        super().__init__(f"{domain} {code}: {message}")
        self.domain = domain
        self.code = code
        self.message = message


class Unreachable(RemoteError):
    """A request routed to a mounted server that is not connected, or whose
    connection dropped during the call (``ol-error-quark`` code 13)."""


class PermissionDenied(RemoteError):
    """The caller's key (or role) may not do this (code 14)."""


class Timeout(Error, TimeoutError):
    """No connection, or no reply or message, within the bound."""


class ProtocolError(Error):
    """The server sent something that does not follow docs/PROTOCOL.md."""


class Closed(Error):
    """The client was closed (before or during the call)."""


class NotConfigured(Error, LookupError):
    """The stream was not configured on this client (configure_stream)."""


def remote_error(domain: str, code: int, message: str) -> RemoteError:
    """The exception for an error object received from a server."""
    if domain == OL_DOMAIN and code == UNREACHABLE:
        return Unreachable(domain, code, message)
    if domain == OL_DOMAIN and code == PERMISSION_DENIED:
        return PermissionDenied(domain, code, message)
    return RemoteError(domain, code, message)


def error_from_json(obj: object) -> Optional[RemoteError]:
    """A RemoteError from ``{"domain", "code", "message"}``, or None if obj
    does not have that shape."""
    if not isinstance(obj, dict):
        return None
    domain, code, message = obj.get("domain"), obj.get("code"), obj.get("message")
    if (not isinstance(domain, str) or not domain or isinstance(code, bool)
            or not isinstance(code, int) or not isinstance(message, str)):
        return None
    return remote_error(domain, code, message)
