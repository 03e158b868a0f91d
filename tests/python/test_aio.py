"""oneliner.aio: the same calls and streams on asyncio."""
import asyncio

import pytest

import oneliner
import oneliner.aio
from conftest import free_port


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, 120))


def test_aio_calls_and_errors(pyserver, demo):
    async def main():
        async with oneliner.aio.Client(demo.rpc, demo.stream) as c:
            assert (await c.version())["protocol"] == 1
            assert await c.call("stage", "move_to", 1, 2.5) == 2.5
            assert await c.call_named("home_all") is None
            assert "sensor/sine" in await c.streams()
            assert "stage" in (await c.list())["instances"]
            with pytest.raises(oneliner.RemoteError) as e:
                await c.call("stage", "move_to", 7, 1.0)
            assert e.value.code == 5
        async with oneliner.aio.Client(pyserver.rpc, pyserver.stream) as c:
            assert await c.call(None, "echo", b"\x00\x01") == b"\x00\x01"
            # Many calls in flight at once, replies matched by id.
            results = await asyncio.gather(*(c.call(None, "add", i, i) for i in range(100)))
            assert results == [2 * i for i in range(100)]
            with pytest.raises(oneliner.Timeout):
                await c.call_with(None, "sleep_ms", [1000], timeout=0.2)
            assert await c.call(None, "add", 1, 1) == 2
    run(main())


def test_aio_no_server_times_out():
    async def main():
        async with oneliner.aio.Client(f"tcp://127.0.0.1:{free_port()}",
                                       f"tcp://127.0.0.1:{free_port()}", timeout=0.3) as c:
            ticks = 0

            async def ticker():     # the loop keeps running while the call waits
                nonlocal ticks
                while True:
                    await asyncio.sleep(0.01)
                    ticks += 1
            t = asyncio.ensure_future(ticker())
            with pytest.raises(oneliner.Timeout):
                await c.version()
            t.cancel()
            assert ticks > 0
    run(main())


def test_aio_subscribe(demo):
    async def main():
        async with oneliner.aio.Client(demo.rpc, demo.stream) as c:
            seqs = []
            async for msg in c.subscribe("sensor/sine"):
                seqs.append(msg.sequence)
                assert isinstance(msg.value, float)
                if len(seqs) == 5:
                    break
            assert seqs == sorted(seqs) and len(set(seqs)) == 5
            m = await c.get_stream("sensor/sine", timeout=10)
            assert m.sequence > seqs[-1]
            got = await c.pop("sensor/sine", 3, timeout=10)
            assert 1 <= len(got) <= 3
            k = c.counters("sensor/sine")
            assert k.received >= 7
            with pytest.raises(oneliner.Timeout):
                await _empty_get(c)
    run(main())


async def _empty_get(c):
    c.configure_stream("events/log", "queue", 10)   # nothing moves: no event comes
    return await c.get_stream("events/log", timeout=0.2)
