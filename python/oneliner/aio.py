"""The oneliner client on asyncio: every call is awaited, never blocking the
event loop, and streams are read with ``async for``.

    async with oneliner.aio.Client(rpc, stream) as c:
        await c.call("stage", "move_to", 1, 12.5)
        async for msg in c.subscribe("sensor/temperature"):
            print(msg.value)

It shares the blocking client's machinery: one background thread owns the
sockets and hands replies and messages to the loop.
"""
from __future__ import annotations

import asyncio
from typing import Any, AsyncIterator, Dict, List, Optional, Sequence

from . import _client
from ._errors import Timeout
from ._streams import Counters, Message

__all__ = ["Client"]


class Client:
    """The asyncio twin of oneliner.Client (same arguments, same errors).
    Create it inside a running loop, or anywhere: the awaitables bind to
    the loop that awaits them."""

    def __init__(self, rpc: str = _client.DEFAULT_RPC, stream: str = _client.DEFAULT_STREAM,
                 timeout: float = 5.0, **options: Any) -> None:
        self.sync = _client.Client(rpc, stream, timeout, **options)
        self.timeout = self.sync.timeout

    async def __aenter__(self) -> "Client":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        """Closes the sockets; awaited calls fail with Closed."""
        self.sync.close()

    async def _await(self, p: _client._Pending, timeout: Optional[float]) -> Any:
        t = self.timeout if timeout is None else timeout
        fut = asyncio.wrap_future(p.future)
        try:
            return await asyncio.wait_for(asyncio.shield(fut), t)
        except asyncio.TimeoutError:
            exc = self.sync.cancel(p, t)
            if p.future.done():
                return p.future.result(0)
            raise exc from None
        except asyncio.CancelledError:
            self.sync.cancel(p, t)
            raise

    async def request(self, op: str, *, timeout: Optional[float] = None, **members: Any) -> Any:
        result, _ = await self._await(self.sync.submit(op, members), timeout)
        return result

    async def call(self, obj: Optional[str], method: str, *args: Any, **kwargs: Any) -> Any:
        """``await`` oneliner.Client.call."""
        return await self.call_with(obj, method, args, kwargs)

    async def call_with(self, obj: Optional[str], method: str, args: Sequence[Any] = (),
                        kwargs: Optional[Dict[str, Any]] = None, *,
                        timeout: Optional[float] = None, ts: bool = False) -> Any:
        members: Dict[str, Any] = {"method": method}
        if obj is not None:
            members["object"] = obj
        return await self._call("call", members, args, kwargs, timeout, ts)

    async def call_named(self, name: str, *args: Any, **kwargs: Any) -> Any:
        return await self._call("call_named", {"name": name}, args, kwargs, None, False)

    async def _call(self, op: str, members: Dict[str, Any], args: Sequence[Any],
                    kwargs: Optional[Dict[str, Any]], timeout: Optional[float], ts: bool) -> Any:
        frames: List[bytes] = []
        if args:
            members["args"] = _client._encode_args(list(args), frames)
        if kwargs:
            members["kwargs"] = _client._encode_args(dict(kwargs), frames)
        if ts:
            members["ts"] = True
        result, stamp = await self._await(self.sync.submit(op, members, frames), timeout)
        return (result, stamp) if ts else result

    async def list(self) -> Dict[str, Any]:
        return await self.request("list")

    async def version(self) -> Dict[str, Any]:
        return await self.request("version")

    async def streams(self) -> Dict[str, Any]:
        return await self.request("streams")

    async def mounts(self) -> Dict[str, Any]:
        return await self.request("mounts")

    async def enable(self, name: str) -> None:
        await self.request("stream_enable", name=name, enabled=True)

    async def disable(self, name: str) -> None:
        await self.request("stream_enable", name=name, enabled=False)

    async def remove(self, name: str) -> None:
        await self.request("stream_remove", name=name)

    # -- streams ---------------------------------------------------------

    def configure_stream(self, name: str, storage: str = "cache", depth: int = 1000) -> None:
        self.sync.configure_stream(name, storage, depth)

    def unconfigure_stream(self, name: str) -> None:
        self.sync.unconfigure_stream(name)

    def counters(self, name: str) -> Counters:
        return self.sync.counters(name)

    async def _ready(self, name: str, timeout: float) -> None:
        """Waits (without blocking the loop) until the stream holds a
        message or the timeout passed."""
        loop = asyncio.get_running_loop()
        event = asyncio.Event()

        def wake() -> None:
            loop.call_soon_threadsafe(event.set)

        self.sync.add_listener(name, wake)
        try:
            if self.sync._stream(name).take_ready():
                return
            try:
                await asyncio.wait_for(event.wait(), timeout)
            except asyncio.TimeoutError:
                pass
        finally:
            self.sync.remove_listener(name, wake)

    async def get_stream(self, name: str, timeout: Optional[float] = None) -> Message:
        """``await`` oneliner.Client.get_stream."""
        t = self.timeout if timeout is None else timeout
        loop = asyncio.get_running_loop()
        deadline = loop.time() + t
        while True:
            try:
                return self.sync.get_stream(name, 0)
            except Timeout:
                left = deadline - loop.time()
                if left <= 0:
                    raise Timeout(f"no message of stream {name!r} within "
                                  f"{round(t * 1000)} ms") from None
                await self._ready(name, left)

    async def pop(self, name: str, n: int = 1, timeout: Optional[float] = None) -> List[Message]:
        """``await`` oneliner.Client.pop: waits until the stream holds |n|
        messages or the timeout passed."""
        await self._wait_count(name, n, timeout)
        return self.sync.pop(name, n, 0)

    async def peek(self, name: str, n: int = 1, timeout: Optional[float] = None) -> List[Message]:
        """``await`` oneliner.Client.peek."""
        await self._wait_count(name, n, timeout)
        return self.sync.peek(name, n, 0)

    async def _wait_count(self, name: str, n: int, timeout: Optional[float]) -> None:
        t = self.timeout if timeout is None else timeout
        loop = asyncio.get_running_loop()
        deadline = loop.time() + t
        s = self.sync._stream(name)
        while s.count() < abs(n) and loop.time() < deadline:
            await self._ready(name, min(deadline - loop.time(), 0.05))

    @property
    def connected(self) -> bool:
        return self.sync.connected

    def connection(self, side: str = "rpc") -> "tuple[bool, float]":
        return self.sync.connection(side)

    async def subscribe(self, name: str, storage: str = "queue",
                        depth: int = 1000) -> AsyncIterator[Message]:
        """Configures the stream (a queue by default) and yields its
        messages as they come, without end (break out of the loop to stop;
        the stream stays configured). An error message raises RemoteError."""
        self.configure_stream(name, storage, depth)
        while True:
            try:
                msg = self.sync.get_stream(name, 0)
            except Timeout:
                await self._ready(name, 1.0)
                continue
            yield msg
