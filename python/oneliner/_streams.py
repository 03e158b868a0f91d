"""The data plane: stream message frames, their header, and the per-stream
storage (cache or queue) with its loss counters (docs/PROTOCOL.md, "Data
plane")."""
from __future__ import annotations

import collections
import json
import struct
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Deque, List, Optional, Set

from ._errors import OL_DOMAIN, PROTOCOL, ProtocolError, RemoteError, error_from_json

try:  # numpy is optional: images are then bytes with width, height, format
    import numpy as _np
except ImportError:  # pragma: no cover - exercised in a subprocess by the tests
    _np = None

HEADER = struct.Struct("<BBBBIQqII16x")
HEADER_SIZE = 48
assert HEADER.size == HEADER_SIZE

# Status bits of the header.
STATUS_ERROR = 1
STATUS_OVERRUN = 2
STATUS_MARK = 4
STATUS_WARNING = 8
STATUS_ALARM = 16

ENCODING_RAW = 0
ENCODING_JSON = 1
ENCODING_IMAGE = 2
ENCODINGS = {0: "raw", 1: "json", 2: "image"}

#: Pixel formats: code -> (name, bytes per pixel).
PIXEL_FORMATS = {1: ("gray8", 1), 2: ("gray16", 2), 3: ("rgb8", 3)}


class Message:
    """A received stream message.

    ``sequence`` (per stream, from 1), ``timestamp`` (server wall clock, ns
    since the epoch), ``status`` (header bits; see the ``error``,
    ``overrun``, ``warning``, ``alarm`` properties), ``encoding`` (``"raw"``,
    ``"json"`` or ``"image"``), ``overruns``, ``payload`` (the bytes as
    received), ``width``, ``height`` and ``format`` (images: ``"gray8"``,
    ``"gray16"``, ``"rgb8"``; else 0, 0, None), ``received`` (this client's
    wall clock at reception, ns). ``value`` decodes the payload: JSON
    decoded, raw bytes as bytes, an image as a numpy array of shape
    (height, width) or (height, width, 3) when numpy is there, else bytes.
    """

    __slots__ = ("name", "sequence", "timestamp", "status", "encoding", "overruns",
                 "payload", "width", "height", "format", "received", "_value")

    def __init__(self, name: str, sequence: int, timestamp: int, status: int,
                 encoding: str, overruns: int, payload: bytes, width: int = 0,
                 height: int = 0, format: Optional[str] = None,
                 received: int = 0) -> None:
        self.name = name
        self.sequence = sequence
        self.timestamp = timestamp
        self.status = status
        self.encoding = encoding
        self.overruns = overruns
        self.payload = payload
        self.width = width
        self.height = height
        self.format = format
        self.received = received
        self._value: Any = _UNSET

    @property
    def error(self) -> bool:
        """Whether this is an error message (its payload an error object)."""
        return bool(self.status & STATUS_ERROR)

    @property
    def overrun(self) -> bool:
        return bool(self.status & STATUS_OVERRUN)

    @property
    def warning(self) -> bool:
        """A value is outside the stream description's warning limits."""
        return bool(self.status & STATUS_WARNING)

    @property
    def alarm(self) -> bool:
        """A value is outside the stream description's alarm limits."""
        return bool(self.status & STATUS_ALARM)

    @property
    def value(self) -> Any:
        """The decoded payload (decoded once, on first use). Raises
        ProtocolError for a JSON payload that does not parse."""
        if self._value is _UNSET:
            self._value = self._decode()
        return self._value

    def _decode(self) -> Any:
        if self.encoding == "json":
            try:
                return json.loads(self.payload)
            except (ValueError, UnicodeDecodeError) as e:
                raise ProtocolError(f"stream {self.name!r}: message {self.sequence}: "
                                    f"payload is not valid JSON: {e}") from None
        if self.encoding == "image" and _np is not None and not self.error:
            if self.format == "gray8":
                return _np.frombuffer(self.payload, dtype=_np.uint8).reshape(self.height, self.width)
            if self.format == "gray16":
                return _np.frombuffer(self.payload, dtype="<u2").reshape(self.height, self.width)
            return _np.frombuffer(self.payload, dtype=_np.uint8).reshape(self.height, self.width, 3)
        return self.payload

    def remote_error(self) -> Optional[RemoteError]:
        """The error an error message carries (None for other messages); a
        payload that is not an error object gives PROTOCOL."""
        if not self.error:
            return None
        try:
            obj = json.loads(self.payload)
        except (ValueError, UnicodeDecodeError):
            obj = None
        err = error_from_json(obj)
        if err is None:
            return RemoteError(OL_DOMAIN, PROTOCOL,
                               f"stream {self.name!r}: error message {self.sequence} "
                               "does not carry an error object")
        return err

    def __repr__(self) -> str:
        extra = f" {self.width}x{self.height} {self.format}" if self.encoding == "image" else ""
        flags = [n for n, b in (("ERROR", STATUS_ERROR), ("OVERRUN", STATUS_OVERRUN),
                                ("WARNING", STATUS_WARNING), ("ALARM", STATUS_ALARM))
                 if self.status & b]
        shown = (repr(self.value) if self.encoding == "json"
                 else f"<{len(self.payload)} bytes>")
        if len(shown) > 60:
            shown = shown[:57] + "..."
        return (f"Message({self.name!r} seq={self.sequence} ts={self.timestamp} "
                f"{self.encoding}{extra}{' ' + '|'.join(flags) if flags else ''} {shown})")


class _Unset:
    pass


_UNSET = _Unset()


@dataclass
class Counters:
    """What a client counted for one stream, exact from the sequence numbers
    and the sequence marks: ``received`` messages that reached the client
    (error messages included, marks not), ``missed`` lost before reaching
    it, ``overflowed`` dropped from a full queue (or replaced in a cache
    before being taken), so ``missed + overflowed`` is exactly what this
    client did not see; ``errors``, ``warnings``, ``alarms`` messages
    received with those status bits; ``last_sequence``; ``restarts``
    (sequence numbers that went backwards: the stream was re-created or its
    server restarted); ``malformed`` messages dropped because they did not
    follow the protocol."""
    received: int = 0
    missed: int = 0
    overflowed: int = 0
    errors: int = 0
    last_sequence: int = 0
    restarts: int = 0
    warnings: int = 0
    alarms: int = 0
    malformed: int = 0


_good_topics: Set[bytes] = set()   # topics checked already


def parse(frames: List[bytes], received: int) -> "Message | str":
    """A Message from the three frames of a stream message, a sequence mark
    as a Message with STATUS_MARK, or a string saying why it is malformed."""
    if len(frames) != 3:
        return f"{len(frames)} frames, not 3"
    topic, header, payload = frames
    if topic not in _good_topics:
        if (not 2 <= len(topic) <= 256 or topic[-1] != 0
                or not all(0x21 <= b <= 0x7E for b in topic[:-1])):
            return "topic frame is not a stream name followed by one NUL"
        if len(_good_topics) < 4096:
            _good_topics.add(bytes(topic))
    if len(header) != HEADER_SIZE:
        return f"header of {len(header)} bytes, not 48"
    version, status, enc, fmt, overruns, seq, ts, width, height = HEADER.unpack(header)
    if version != 1:
        return f"header version {version}"
    name = topic[:-1].decode("ascii", "replace")
    if status & STATUS_MARK:
        return Message(name, seq, ts, status, "raw", overruns, b"", received=received)
    # An encoding this reader does not know is delivered as bytes.
    encoding = ENCODINGS.get(enc, "raw")
    if status & STATUS_ERROR:
        encoding = "json"
    fmt_name = None
    if encoding == "image":
        pf = PIXEL_FORMATS.get(fmt)
        if pf is None:
            return f"unknown pixel format {fmt}"
        fmt_name = pf[0]
        if width * height * pf[1] != len(payload) or not payload:
            return (f"image {width}x{height} {fmt_name} needs {width * height * pf[1]} bytes, "
                    f"payload has {len(payload)}")
    else:
        width = height = 0
    return Message(name, seq, ts, status, encoding, overruns, payload, width, height,
                   fmt_name, received)


class Stream:
    """The storage and counters of one configured stream. Filled by the
    client's receiver thread, read by any thread (``cond`` guards all)."""

    def __init__(self, name: str, storage: str, depth: int) -> None:
        self.name = name
        self.cond = threading.Condition()
        self.storage = storage           # guarded by cond
        self.depth = depth               # guarded by cond
        self.items: Deque[Message] = collections.deque()  # guarded by cond
        self.counters = Counters()       # guarded by cond
        self.have_baseline = False       # guarded by cond
        self.listeners: List[Callable[[], None]] = []  # guarded by cond

    def capacity(self) -> int:
        return 1 if self.storage == "cache" else self.depth

    def reconfigure(self, storage: str, depth: int) -> None:
        with self.cond:
            self.storage, self.depth = storage, depth
            cap = self.capacity()
            while len(self.items) > cap:
                self.items.popleft()
                self.counters.overflowed += 1

    def add(self, batch: List[Message]) -> None:
        """Counts and stores a batch of messages in their order (the
        receiver thread), under one lock."""
        with self.cond:
            c = self.counters
            cap = self.capacity()
            items = self.items
            stored = False
            for msg in batch:
                s = msg.sequence
                status = msg.status
                if status & STATUS_MARK:
                    if self.have_baseline and s > c.last_sequence:
                        c.missed += s - c.last_sequence
                        c.last_sequence = s
                    continue
                if self.have_baseline:
                    if s > c.last_sequence + 1:
                        c.missed += s - c.last_sequence - 1
                    elif s <= c.last_sequence:
                        c.restarts += 1
                self.have_baseline = True
                c.last_sequence = s
                c.received += 1
                if status:
                    if status & STATUS_ERROR:
                        c.errors += 1
                    if status & STATUS_ALARM:
                        c.alarms += 1
                    if status & STATUS_WARNING:
                        c.warnings += 1
                if len(items) >= cap:
                    items.popleft()
                    c.overflowed += 1
                items.append(msg)
                stored = True
            if not stored:
                return
            self.cond.notify_all()
            listeners = list(self.listeners)
        for f in listeners:
            f()

    def _wait(self, count: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while len(self.items) < count:
            left = deadline - time.monotonic()
            if left <= 0:
                return
            self.cond.wait(left)

    def take(self, n: int, timeout: float, remove: bool) -> List[Message]:
        """peek (remove False) or pop (True) of the n earliest (n > 0) or
        -n latest (n < 0) messages, oldest first; waits for |n| messages or
        the timeout; an empty list when there are none."""
        with self.cond:
            if n == 0 or abs(n) > self.capacity():
                kind = ("a cache holds 1 message" if self.storage == "cache"
                        else f"the queue holds at most {self.depth} messages")
                raise ValueError(f"stream {self.name!r}: cannot take {n} messages: {kind}")
            count = abs(n)
            self._wait(count, timeout)
            have = len(self.items)
            if n > 0:
                out = [self.items[i] for i in range(min(count, have))]
                if remove:
                    for _ in out:
                        self.items.popleft()
            else:
                k = min(count, have)
                out = [self.items[i] for i in range(have - k, have)]
                if remove:
                    for _ in out:
                        self.items.pop()
            return out

    def get(self, timeout: float) -> Optional[Message]:
        """The next message: the latest not taken for a cache, the oldest
        for a queue; None if none came in time."""
        got = self.take(1, timeout, True)
        return got[0] if got else None

    def take_ready(self) -> bool:
        """Whether a message is there to take."""
        with self.cond:
            return bool(self.items)

    def count(self) -> int:
        with self.cond:
            return len(self.items)

    def snapshot(self) -> Counters:
        with self.cond:
            return Counters(**vars(self.counters))

    def malformed(self) -> None:
        with self.cond:
            self.counters.malformed += 1
