"""The blocking client: remote calls and stream subscriptions of one server,
from any number of threads (docs/PROTOCOL.md)."""
from __future__ import annotations

import base64
import concurrent.futures
import itertools
import json
import os
import random
import struct
import threading
import time
from collections import deque
from typing import Any, Callable, Deque, Dict, List, Optional, Sequence, Tuple

import zmq
from zmq.utils import z85

from . import _streams
from ._errors import (Closed, NotConfigured, ProtocolError, Timeout, error_from_json)
from ._streams import Counters, Message, Stream

DEFAULT_RPC = "tcp://localhost:5555"
DEFAULT_STREAM = "tcp://localhost:5556"

#: At most this many binary frames go with one request (docs/PROTOCOL.md).
MAX_ATTACHMENTS = 64

_BYTES = (bytes, bytearray, memoryview)


def read_key_file(path: str) -> bytes:
    """The Z85 key (40 characters) of a key file as ``oneliner keygen``
    writes it (NAME.key or NAME.pub: the key and a newline)."""
    with open(path, "rb") as f:
        text = f.read(4097)
    if len(text) > 4096:
        raise ValueError(f"{path}: not a key file (larger than 4096 bytes)")
    text = text.strip()
    if len(text) != 40:
        raise ValueError(f"{path}: not a key file (expected 40 Z85 characters)")
    try:
        z85.decode(text)
    except Exception:
        raise ValueError(f"{path}: not a key file (not Z85)") from None
    return text


def _json_default(obj: Any) -> Any:
    tolist = getattr(obj, "tolist", None)   # numpy scalars and arrays
    if callable(tolist):
        return tolist()
    raise TypeError(f"an argument of type {type(obj).__name__} cannot be sent as JSON")


def _encode_args(value: Any, frames: List[bytes]) -> Any:
    """value with every bytes object replaced by {"$frame": N} (the first 64)
    or {"$base64": ...} (beyond)."""
    if isinstance(value, _BYTES):
        data = bytes(value)
        if len(frames) < MAX_ATTACHMENTS:
            frames.append(data)
            return {"$frame": len(frames) - 1}
        return {"$base64": base64.b64encode(data).decode("ascii")}
    if isinstance(value, (list, tuple)):
        return [_encode_args(v, frames) for v in value]
    if isinstance(value, dict):
        return {k: _encode_args(v, frames) for k, v in value.items()}
    return value


def _decode_result(result: Any, attachments: Sequence[bytes]) -> Any:
    """A bytes result ({"$frame": N} or {"$base64": ...}) as bytes; any
    other result as it is."""
    if isinstance(result, dict) and len(result) == 1:
        if "$frame" in result:
            n = result["$frame"]
            if isinstance(n, bool) or not isinstance(n, int) or not 0 <= n < len(attachments):
                raise ProtocolError(f"reply refers to frame {n!r}, "
                                    f"but carries {len(attachments)} attachment(s)")
            return attachments[n]
        if "$base64" in result:
            b64 = result["$base64"]
            if not isinstance(b64, str):
                raise ProtocolError('reply carries a "$base64" that is not a string')
            try:
                return base64.b64decode(b64, validate=True)
            except ValueError:
                raise ProtocolError('reply carries a "$base64" that is not base64') from None
    return result


class _Pending:
    """A request between a calling thread and the I/O thread."""
    __slots__ = ("rid", "frames", "future", "sent", "cancelled")

    def __init__(self, rid: int, frames: List[bytes]) -> None:
        self.rid = rid
        self.frames = frames
        self.future: concurrent.futures.Future = concurrent.futures.Future()
        self.sent = False        # written by the I/O thread
        self.cancelled = False   # written by the caller (the I/O thread drops it)


class Client:
    """A client of one oneliner server (or relay).

    ``rpc`` and ``stream`` are the server's endpoints; ``timeout`` (seconds)
    bounds every call, covering both waiting for a connection and for the
    reply, and is the default wait of the stream reads. With
    ``secret_key`` (this client's NAME.key) and ``server_key`` (the server's
    NAME.pub), both connections are CURVE clients (docs/SECURITY.md).
    ``role`` (``"read-only"`` or ``"control"``) caps what the server lets
    this client do, below what its key may (sent with every request).

    Every method may be called from any thread, several at once. One
    background thread owns the sockets: it sends the requests, matches the
    replies by id and receives the stream messages into their storage, so
    a caller never blocks on a socket, only on a bounded wait. A restarted
    server needs nothing from the caller: the connection comes back by
    itself. Use it as a context manager, or call close().
    """

    def __init__(self, rpc: str = DEFAULT_RPC, stream: str = DEFAULT_STREAM,
                 timeout: float = 5.0, *, secret_key: Optional[str] = None,
                 server_key: Optional[str] = None, role: Optional[str] = None,
                 context: Optional[zmq.Context] = None) -> None:
        if timeout <= 0:
            raise ValueError("timeout must be above 0")
        if role not in (None, "control", "read-only"):
            raise ValueError('role must be "control" or "read-only"')
        self.role = role
        if (secret_key is None) != (server_key is None):
            raise ValueError("secret_key and server_key go together")
        self.rpc = rpc
        self.stream_endpoint = stream
        self.timeout = float(timeout)
        self._curve: Optional[Tuple[bytes, bytes, bytes]] = None
        if secret_key is not None and server_key is not None:
            if not zmq.has("curve"):
                raise RuntimeError("this pyzmq's libzmq has no CURVE support")
            secret = read_key_file(secret_key)
            self._curve = (read_key_file(server_key), secret, zmq.curve_public(secret))
        self._ctx = context or zmq.Context.instance()
        self._lock = threading.Lock()
        self._pending: Dict[int, _Pending] = {}          # guarded by _lock
        self._commands: Deque[Tuple[str, Any]] = deque()  # guarded by _lock
        self._streams: Dict[str, Stream] = {}            # guarded by _lock
        self._closed = False                             # guarded by _lock
        self._failed: Optional[BaseException] = None     # set once by the I/O thread
        self._connected: Dict[str, Tuple[bool, float]] = {  # guarded by _lock
            "rpc": (False, 0.0), "stream": (False, 0.0)}
        self._stale = 0      # written by the I/O thread only
        self._malformed = 0  # likewise: stream messages of no configured stream
        self._ids = itertools.count(random.getrandbits(32) << 16)
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_w, False)
        os.set_blocking(self._wake_r, False)
        started: "concurrent.futures.Future[None]" = concurrent.futures.Future()
        self._thread = threading.Thread(target=self._run, args=(started,),
                                        name="oneliner-client", daemon=True)
        self._thread.start()
        try:
            started.result(10)
        except BaseException:
            self._thread.join(10)
            os.close(self._wake_r)
            os.close(self._wake_w)
            raise

    # -- life ------------------------------------------------------------

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        """Stops the background thread and closes the sockets; calls still
        waiting fail with Closed. Calling it again does nothing."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._commands.append(("close", None))
        self._wake()
        self._thread.join(10)
        with self._lock:
            pending = list(self._pending.values())
            self._pending.clear()
        for p in pending:
            if not p.future.done():
                p.future.set_exception(Closed("the client was closed"))
        os.close(self._wake_r)
        os.close(self._wake_w)

    @property
    def stale_replies(self) -> int:
        """Replies received that matched no waiting call (they came after
        their call timed out) or were not replies at all."""
        return self._stale

    # -- control plane ---------------------------------------------------

    def call(self, obj: Optional[str], method: str, *args: Any, **kwargs: Any) -> Any:
        """Calls ``obj.method(*args, **kwargs)`` on the server (``obj`` None:
        the free function ``method``). bytes arguments travel as binary
        frames and a bytes result comes back as bytes. Raises RemoteError
        (Unreachable for a mount that is down), or Timeout."""
        return self.call_with(obj, method, args, kwargs)

    def call_with(self, obj: Optional[str], method: str, args: Sequence[Any] = (),
                  kwargs: Optional[Dict[str, Any]] = None, *,
                  timeout: Optional[float] = None, ts: bool = False) -> Any:
        """call() with its own bound (seconds) and, with ``ts``, the
        server's timestamp: returns (result, ns since the epoch)."""
        members: Dict[str, Any] = {"method": method}
        if obj is not None:
            members["object"] = obj
        return self._call("call", members, args, kwargs, timeout, ts)

    def call_named(self, name: str, *args: Any, **kwargs: Any) -> Any:
        """Calls the named call ``name``: args replace its defaults by
        position, kwargs update its default kwargs."""
        return self._call("call_named", {"name": name}, args, kwargs, None, False)

    def list(self) -> Dict[str, Any]:
        """Everything that can be called: {"instances", "functions", "named_calls"}."""
        return self.request("list")

    def version(self) -> Dict[str, Any]:
        """{"server": version, "protocol": 1, "protocols": [1]}."""
        return self.request("version")

    def streams(self) -> Dict[str, Any]:
        """Every stream of the server by name: kind, enabled, encoding,
        image geometry, description (units, limits) and statistics."""
        return self.request("streams")

    def enable(self, name: str) -> None:
        """Enables stream ``name`` on the server."""
        self.request("stream_enable", name=name, enabled=True)

    def disable(self, name: str) -> None:
        """Disables stream ``name`` on the server."""
        self.request("stream_enable", name=name, enabled=False)

    def remove(self, name: str) -> None:
        """Removes stream ``name`` from the server."""
        self.request("stream_remove", name=name)

    def mounts(self) -> Dict[str, Any]:
        """The servers this one mounts, with their state and counters."""
        return self.request("mounts")

    def request(self, op: str, *, timeout: Optional[float] = None, **members: Any) -> Any:
        """Sends operation ``op`` with ``members`` and returns its result."""
        result, _ = self._wait(self.submit(op, members), timeout)
        return result

    def _call(self, op: str, members: Dict[str, Any], args: Sequence[Any],
              kwargs: Optional[Dict[str, Any]], timeout: Optional[float], ts: bool) -> Any:
        frames: List[bytes] = []
        if args:
            members["args"] = _encode_args(list(args), frames)
        if kwargs:
            members["kwargs"] = _encode_args(dict(kwargs), frames)
        if ts:
            members["ts"] = True
        result, stamp = self._wait(self.submit(op, members, frames), timeout)
        return (result, stamp) if ts else result

    def submit(self, op: str, members: Dict[str, Any],
               attachments: Sequence[bytes] = ()) -> _Pending:
        """Queues a request without waiting (for the asyncio client): its
        ``future`` gets (result, ts) or the exception."""
        rid = next(self._ids)
        body = {"v": 1, "id": rid, "op": op, "frames": True, **members}
        if self.role is not None:
            body["role"] = self.role
        frames = [json.dumps(body, separators=(",", ":"), ensure_ascii=False,
                             allow_nan=False, default=_json_default).encode("utf-8")]
        frames.extend(attachments)
        p = _Pending(rid, frames)
        with self._lock:
            if self._closed or self._failed is not None:
                raise Closed("the client is closed" if self._closed else
                             f"the client's thread failed: {self._failed!r}")
            self._pending[rid] = p
            self._commands.append(("send", p))
        self._wake()
        return p

    def cancel(self, p: _Pending, timeout: float) -> Exception:
        """Gives up a request; the exception its caller raises."""
        with self._lock:
            self._pending.pop(p.rid, None)
            p.cancelled = True
        ms = round(timeout * 1000)
        if p.sent:
            return Timeout(f"no reply within {ms} ms (server {self.rpc})")
        return Timeout(f"no connection to the server within {ms} ms (server {self.rpc})")

    def _wait(self, p: _Pending, timeout: Optional[float]) -> Tuple[Any, Optional[int]]:
        t = self.timeout if timeout is None else timeout
        try:
            return p.future.result(t)
        except concurrent.futures.TimeoutError:
            exc = self.cancel(p, t)
            if p.future.done():       # the reply came at the last moment
                return p.future.result(0)
            raise exc from None

    # -- streams ---------------------------------------------------------

    def configure_stream(self, name: str, storage: str = "cache", depth: int = 1000) -> None:
        """Subscribes to stream ``name`` and keeps its messages: ``"cache"``
        the latest one only, ``"queue"`` every one in order up to ``depth``
        (a full queue drops its oldest, counted as overflowed). Configuring
        again changes the storage and keeps the counters."""
        if storage not in ("cache", "queue"):
            raise ValueError('storage must be "cache" or "queue"')
        if not isinstance(depth, int) or depth < 1:
            raise ValueError("depth must be an integer >= 1")
        raw = name.encode("ascii", "replace")
        if not 1 <= len(raw) <= 255 or not all(0x21 <= b <= 0x7E for b in raw):
            raise ValueError(f"not a stream name: {name!r}")
        with self._lock:
            if self._closed:
                raise Closed("the client is closed")
            s = self._streams.get(name)
            if s is not None:
                s.reconfigure(storage, depth)
                return
            self._streams[name] = Stream(name, storage, depth)
            self._commands.append(("subscribe", name))
        self._wake()

    def unconfigure_stream(self, name: str) -> None:
        """Unsubscribes and forgets the stream's messages and counters."""
        with self._lock:
            if self._streams.pop(name, None) is None:
                raise NotConfigured(f"stream {name!r} is not configured")
            self._commands.append(("unsubscribe", name))
        self._wake()

    def _stream(self, name: str) -> Stream:
        s = self._streams.get(name)
        if s is None:
            raise NotConfigured(f"stream {name!r} is not configured")
        return s

    def get_stream(self, name: str, timeout: Optional[float] = None) -> Message:
        """Takes the next message of a configured stream (for a cache the
        latest not taken yet, for a queue the oldest), waiting up to
        ``timeout`` seconds (None: the client's timeout; 0: no wait). Raises
        Timeout when none came, RemoteError for an error message (which is
        consumed), NotConfigured."""
        t = self.timeout if timeout is None else timeout
        msg = self._stream(name).get(t)
        if msg is None:
            raise Timeout(f"no message of stream {name!r} within {round(t * 1000)} ms")
        err = msg.remote_error()
        if err is not None:
            raise err
        return msg

    def peek(self, name: str, n: int = 1, timeout: Optional[float] = None) -> List[Message]:
        """The ``n`` earliest (n > 0) or ``-n`` latest (n < 0) messages of a
        configured stream, oldest first, left in it. Waits until it holds
        |n| or the timeout passed, then returns what is there (fewer is not
        an error; none raises Timeout). Error messages come in their place
        (``msg.error``, ``msg.remote_error()``). ValueError when n is 0 or
        beyond what the storage holds (1 for a cache, its depth)."""
        return self._take(name, n, timeout, False)

    def pop(self, name: str, n: int = 1, timeout: Optional[float] = None) -> List[Message]:
        """peek() that takes the messages out of the stream; popping the
        latest leaves the older ones in it, in order."""
        return self._take(name, n, timeout, True)

    def _take(self, name: str, n: int, timeout: Optional[float], remove: bool) -> List[Message]:
        t = self.timeout if timeout is None else timeout
        got = self._stream(name).take(n, t, remove)
        if not got:
            raise Timeout(f"no message of stream {name!r} within {round(t * 1000)} ms")
        return got

    def counters(self, name: str) -> Counters:
        """A snapshot of a configured stream's counters."""
        return self._stream(name).snapshot()

    @property
    def malformed_messages(self) -> int:
        """Stream messages dropped because they did not follow the protocol
        and named no configured stream (the others count per stream)."""
        return self._malformed

    def add_listener(self, name: str, func: Callable[[], None]) -> None:
        """Calls func() (in the receiver thread: it must not block) whenever
        a message of stream ``name`` is stored."""
        s = self._stream(name)
        with s.cond:
            s.listeners.append(func)

    def remove_listener(self, name: str, func: Callable[[], None]) -> None:
        s = self._streams.get(name)
        if s is not None:
            with s.cond:
                if func in s.listeners:
                    s.listeners.remove(func)

    # -- the I/O thread --------------------------------------------------

    def _wake(self) -> None:
        try:
            os.write(self._wake_w, b"x")
        except (BlockingIOError, OSError):
            pass   # the pipe is full: the thread is awake anyway

    def _socket(self, kind: int) -> zmq.Socket:
        sock = self._ctx.socket(kind)
        sock.setsockopt(zmq.LINGER, 0)
        sock.setsockopt(zmq.HEARTBEAT_IVL, 500)
        sock.setsockopt(zmq.HEARTBEAT_TIMEOUT, 1500)
        sock.setsockopt(zmq.RECONNECT_IVL, 100)
        sock.setsockopt(zmq.RECONNECT_IVL_MAX, 1000)
        sock.setsockopt(zmq.MAXMSGSIZE, 268435456)
        sock.setsockopt(zmq.SNDHWM, 100000)
        sock.setsockopt(zmq.RCVHWM, 100000)
        if self._curve is not None:
            server, secret, public = self._curve
            sock.setsockopt(zmq.CURVE_SERVERKEY, server)
            sock.setsockopt(zmq.CURVE_SECRETKEY, secret)
            sock.setsockopt(zmq.CURVE_PUBLICKEY, public)
        return sock

    def _run(self, started: "concurrent.futures.Future[None]") -> None:
        # Both sockets connect here, so that a bad endpoint fails the
        # constructor; the stream side has no subscription until a stream
        # is configured, so nothing flows on it before. Connection state
        # comes from libzmq's socket monitors, read in this thread: each is
        # attached before its socket connects, or a connection made at once
        # would never be seen.
        dealer = sub = None
        monitors: Dict[zmq.Socket, str] = {}
        endpoint = self.rpc
        try:
            dealer = self._socket(zmq.DEALER)
            dealer.setsockopt(zmq.IMMEDIATE, 1)
            sub = self._socket(zmq.SUB)
            for sock, side in ((dealer, "rpc"), (sub, "stream")):
                monitors[sock.get_monitor_socket(zmq.EVENT_CONNECTED
                                                 | zmq.EVENT_DISCONNECTED)] = side
            dealer.connect(endpoint)
            endpoint = self.stream_endpoint
            sub.connect(endpoint)
        except BaseException as e:
            for mon in monitors:
                mon.close(0)
            for sock in (dealer, sub):
                if sock is not None:
                    sock.close(0)
            started.set_exception(ValueError(f"cannot connect to {endpoint}: {e}"))
            return
        started.set_result(None)
        poller = zmq.Poller()
        poller.register(dealer, zmq.POLLIN)
        poller.register(sub, zmq.POLLIN)
        poller.register(self._wake_r, zmq.POLLIN)
        for mon in monitors:
            poller.register(mon, zmq.POLLIN)
        unsent: Deque[_Pending] = deque()
        try:
            while True:
                events = dict(poller.poll(10 if unsent else 1000))
                if self._wake_r in events:
                    try:
                        while os.read(self._wake_r, 4096):
                            pass
                    except BlockingIOError:
                        pass
                with self._lock:
                    commands = list(self._commands)
                    self._commands.clear()
                for cmd, arg in commands:
                    if cmd == "close":
                        return
                    if cmd == "send":
                        unsent.append(arg)
                    elif cmd == "subscribe":
                        sub.setsockopt(zmq.SUBSCRIBE, arg.encode("ascii") + b"\0")
                    elif cmd == "unsubscribe":
                        sub.setsockopt(zmq.UNSUBSCRIBE, arg.encode("ascii") + b"\0")
                while unsent:
                    p = unsent[0]
                    if p.cancelled:
                        unsent.popleft()
                        continue
                    try:
                        dealer.send_multipart(p.frames, flags=zmq.NOBLOCK, copy=False)
                    except zmq.Again:
                        break          # no connection yet (IMMEDIATE): retry soon
                    p.sent = True
                    unsent.popleft()
                if dealer in events:
                    self._receive_replies(dealer)
                if sub in events:
                    self._receive_messages(sub)
                for mon, side in monitors.items():
                    if mon in events:
                        self._monitor_events(mon, side)
        except BaseException as e:   # never leave callers waiting on a dead thread
            self._failed = e
            with self._lock:
                pending = list(self._pending.values())
                self._pending.clear()
            for p in pending:
                if not p.future.done():
                    p.future.set_exception(Closed(f"the client's thread failed: {e!r}"))
            raise
        finally:
            for mon in monitors:
                mon.close(0)
            dealer.disable_monitor()
            sub.disable_monitor()
            dealer.close(0)
            sub.close(0)

    def _monitor_events(self, mon: zmq.Socket, side: str) -> None:
        for _ in range(100):
            try:
                frames = mon.recv_multipart(flags=zmq.NOBLOCK)
            except zmq.Again:
                return
            if len(frames) < 1 or len(frames[0]) < 6:
                continue
            event = struct.unpack("=H", frames[0][:2])[0]
            up = event == zmq.EVENT_CONNECTED
            if event in (zmq.EVENT_CONNECTED, zmq.EVENT_DISCONNECTED):
                with self._lock:
                    self._connected[side] = (up, time.monotonic())

    def connection(self, side: str = "rpc") -> Tuple[bool, float]:
        """Whether the client is connected to the server's ``"rpc"`` or
        ``"stream"`` endpoint, and since when (time.monotonic(); 0 before
        the first change). A server that is gone, killed or unreachable is
        seen as disconnected within about 2 s (ZeroMQ heartbeats); libzmq
        reconnects by itself."""
        if side not in ("rpc", "stream"):
            raise ValueError('side must be "rpc" or "stream"')
        with self._lock:
            return self._connected[side]

    @property
    def connected(self) -> bool:
        """Whether the RPC connection is up (see connection())."""
        return self.connection("rpc")[0]

    def _receive_replies(self, dealer: zmq.Socket) -> None:
        for _ in range(1000):
            try:
                frames = dealer.recv_multipart(flags=zmq.NOBLOCK)
            except zmq.Again:
                return
            self._reply(frames)

    def _reply(self, frames: List[bytes]) -> None:
        try:
            reply = json.loads(frames[0])
        except (ValueError, UnicodeDecodeError):
            reply = None
        rid = reply.get("id") if isinstance(reply, dict) else None
        if (not isinstance(reply, dict) or isinstance(rid, bool) or not isinstance(rid, int)
                or not isinstance(reply.get("ok"), bool) or reply.get("v") != 1):
            self._stale += 1     # not a reply of this protocol
            return
        with self._lock:
            p = self._pending.pop(rid, None)
        if p is None:
            self._stale += 1     # its call gave up waiting
            return
        ts = reply.get("ts")
        if isinstance(ts, bool) or not isinstance(ts, int):
            ts = None
        try:
            if reply["ok"]:
                p.future.set_result((_decode_result(reply.get("result"), frames[1:]), ts))
            else:
                err = error_from_json(reply.get("error"))
                if err is None:
                    raise ProtocolError('reply carries a malformed "error" member')
                p.future.set_exception(err)
        except ProtocolError as e:
            p.future.set_exception(e)
        except concurrent.futures.InvalidStateError:
            pass

    def _receive_messages(self, sub: zmq.Socket) -> None:
        batches: Dict[str, List[Message]] = {}
        parse = _streams.parse
        streams = self._streams
        try:
            for _ in range(2000):
                try:
                    frames = sub.recv_multipart(flags=zmq.NOBLOCK)
                except zmq.Again:
                    return
                msg = parse(frames, time.time_ns())
                if isinstance(msg, str):
                    name = frames[0][:-1].decode("ascii", "replace") if frames else ""
                    s = streams.get(name)
                    if s is not None:
                        s.malformed()
                    else:
                        self._malformed += 1
                    continue
                batch = batches.get(msg.name)
                if batch is None:
                    batch = batches[msg.name] = []
                batch.append(msg)
                if len(batch) >= 256:      # readers see messages as they come
                    self._store(msg.name, batch)
                    batches[msg.name] = []
        finally:
            for name, batch in batches.items():
                if batch:
                    self._store(name, batch)

    def _store(self, name: str, batch: List[Message]) -> None:
        s = self._streams.get(name)
        if s is not None:          # else unsubscribed while on its way
            s.add(batch)
