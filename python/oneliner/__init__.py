"""oneliner: a client of oneliner servers, written from docs/PROTOCOL.md.

    >>> import oneliner
    >>> with oneliner.Client("tcp://localhost:5555", "tcp://localhost:5556") as c:
    ...     c.call("stage", "move_to", 1, 12.5)
    12.5

``oneliner.aio`` has the same on asyncio.
"""
from ._client import DEFAULT_RPC, DEFAULT_STREAM, MAX_ATTACHMENTS, Client, read_key_file
from ._errors import (OL_DOMAIN, Closed, Error, NotConfigured, PermissionDenied,
                      ProtocolError, RemoteError, Timeout, Unreachable)
from ._streams import (STATUS_ALARM, STATUS_ERROR, STATUS_MARK, STATUS_OVERRUN,
                       STATUS_WARNING, Counters, Message)

__version__ = "0.1.0"
#: The protocol version this package speaks.
PROTOCOL_VERSION = 1

__all__ = [
    "Client", "Message", "Counters", "Error", "RemoteError", "Unreachable",
    "PermissionDenied", "Timeout", "ProtocolError", "Closed", "NotConfigured",
    "read_key_file", "DEFAULT_RPC", "DEFAULT_STREAM", "MAX_ATTACHMENTS", "OL_DOMAIN",
    "STATUS_ERROR", "STATUS_OVERRUN", "STATUS_MARK", "STATUS_WARNING", "STATUS_ALARM",
    "PROTOCOL_VERSION",
]
