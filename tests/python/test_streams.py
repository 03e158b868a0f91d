"""Streams: both storages, exact counters under a burst the reader cannot
keep up with, marks, gaps, restarts, malformed messages, images, peek/pop."""
import os
import struct
import subprocess
import sys
import threading
import time

import numpy as np
import pytest
import zmq

import oneliner
from conftest import free_port, wait_for

HEADER = struct.Struct("<BBBBIQqII16x")


def sync_burst(c, stream):
    """Pushes single messages until one reaches c (the subscription is then
    in place at the server); returns the stream's counters after it."""
    def seen():
        c.call(None, "burst", stream, 1)
        try:
            c.pop(f"burst/{stream}", -1, timeout=0.2)
            return True
        except oneliner.Timeout:
            return False
    wait_for(seen, what="the subscription")
    return c.counters(f"burst/{stream}")


@pytest.mark.parametrize("storage", ["queue", "cache"])
def test_burst_exact_counters(pyserver, storage):
    """20000 messages pushed at full speed while a reader takes one every
    millisecond: the storage overflows, and every message is accounted
    for."""
    depth = 100
    with pyserver.client(timeout=30) as c:
        name = "burst/raw"
        c.configure_stream(name, storage, depth)
        base = sync_burst(c, "raw")
        taken = []
        stop = threading.Event()

        def slow_reader():
            while not stop.is_set():
                try:
                    taken.extend(c.pop(name, 1, timeout=0.001))
                except oneliner.Timeout:
                    pass
                time.sleep(0.001)

        reader = threading.Thread(target=slow_reader)
        reader.start()
        try:
            sent = c.call(None, "burst", "raw", 20000, 64)
            assert sent > depth
            last = base.last_sequence + sent
            wait_for(lambda: c.counters(name).last_sequence == last, what="the burst's end")
        finally:
            stop.set()
            reader.join(30)
        k = c.counters(name)
        received = k.received - base.received
        missed = k.missed - base.missed
        overflowed = k.overflowed - base.overflowed
        assert received + missed == sent                     # exact from the sequence numbers
        try:
            rest = c.pop(name, -depth if storage == "queue" else -1, timeout=0)
        except oneliner.Timeout:
            rest = []
        assert len(taken) + len(rest) + overflowed == received   # nothing vanished unseen
        assert overflowed > 0 and len(taken) > 0
        seqs = [m.sequence for m in taken + rest]
        assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
        if missed == 0 and rest:
            assert rest[-1].sequence == last
        m = (taken + rest)[-1]
        assert len(m.payload) == 64 and m.encoding == "raw" and m.value == m.payload
        assert k.errors == 0 and k.restarts == 0 and k.malformed == 0
        print(f"{storage}: sent {sent} received {received} missed {missed} "
              f"overflowed {overflowed} taken {len(taken)} left {len(rest)}")


def test_queue_keeps_order_and_peek_pop(py_client):
    c = py_client
    name = "burst/json"
    c.configure_stream(name, "queue", 50)
    sync_burst(c, "json")
    assert c.call(None, "burst", "json", 10) == 10
    first = c.peek(name, 10, timeout=10)
    assert [m.value for m in first] == [{"i": i} for i in range(10)]
    s0 = first[0].sequence
    assert [m.sequence for m in first] == list(range(s0, s0 + 10))
    assert [m.sequence for m in c.peek(name, 3)] == [s0, s0 + 1, s0 + 2]     # left in place
    assert [m.sequence for m in c.peek(name, -2)] == [s0 + 8, s0 + 9]
    assert [m.sequence for m in c.pop(name, -2)] == [s0 + 8, s0 + 9]
    assert [m.sequence for m in c.pop(name, 3)] == [s0, s0 + 1, s0 + 2]
    assert c.get_stream(name).sequence == s0 + 3                            # a queue: the oldest
    got = c.pop(name, 50, timeout=0.2)                                      # fewer than asked
    assert [m.sequence for m in got] == list(range(s0 + 4, s0 + 8))
    with pytest.raises(oneliner.Timeout):
        c.pop(name, 1, timeout=0.1)
    with pytest.raises(ValueError):
        c.peek(name, 0)
    with pytest.raises(ValueError):
        c.peek(name, 51)
    with pytest.raises(oneliner.NotConfigured):
        c.get_stream("never/configured", 0)
    k = c.counters(name)
    assert k.overflowed == 0 and k.missed == 0


def test_cache_keeps_the_latest(demo_client):
    c = demo_client
    c.configure_stream("sensor/sine", "cache")
    first = c.get_stream("sensor/sine", timeout=10)
    wait_for(lambda: c.counters("sensor/sine").last_sequence >= first.sequence + 3,
             what="three more messages")              # several arrive, one is kept
    latest = c.get_stream("sensor/sine", timeout=10)
    assert latest.sequence > first.sequence + 1
    assert isinstance(latest.value, float) and latest.encoding == "json"
    k = c.counters("sensor/sine")
    assert k.overflowed >= latest.sequence - first.sequence - 1 - k.missed
    with pytest.raises(ValueError):
        c.peek("sensor/sine", 2)
    assert len(c.peek("sensor/sine", -1, timeout=10)) == 1


def test_error_message(py_client):
    c = py_client
    c.configure_stream("burst/json", "queue", 10)
    sync_burst(c, "json")
    c.call(None, "push_error")
    with pytest.raises(oneliner.RemoteError) as e:
        c.get_stream("burst/json", timeout=10)
    assert (e.value.domain, e.value.code, e.value.message) == ("ol-error-quark", 1, "sensor unplugged")
    c.call(None, "push_error")
    m = c.pop("burst/json", 1, timeout=10)[0]        # pop returns it in its place
    assert m.error and m.remote_error().message == "sensor unplugged"
    assert c.counters("burst/json").errors == 2


def test_images_decoded(demo_client):
    c = demo_client
    c.configure_stream("camera/frames", "cache")
    c.enable("camera/frames")
    try:
        m = c.get_stream("camera/frames", timeout=10)
    finally:
        c.disable("camera/frames")
    assert m.encoding == "image" and (m.width, m.height, m.format) == (640, 480, "gray8")
    assert isinstance(m.value, np.ndarray)
    assert m.value.shape == (480, 640) and m.value.dtype == np.uint8
    assert m.value.tobytes() == m.payload


def test_status_bits_from_limits(demo_client):
    c = demo_client
    c.configure_stream("sensor/temperature", "cache")
    heat = 0.0
    try:
        heat = c.call("sensor", "heat", 12.0)         # about 33.5 degC: above warning_high 30
        wait_for(lambda: c.get_stream("sensor/temperature", timeout=10).warning,
                 what="a message with WARNING")
        heat = c.call("sensor", "heat", 13.0)         # about 46.5 degC: above alarm_high 40
        m = wait_for(lambda: _alarm(c), what="a message with ALARM")
        assert m.status & oneliner.STATUS_ALARM and not m.warning
    finally:
        c.call("sensor", "heat", -heat)
    k = c.counters("sensor/temperature")
    assert k.warnings >= 1 and k.alarms >= 1


def _alarm(c):
    m = c.get_stream("sensor/temperature", timeout=10)
    return m if m.alarm else None


def test_mounted_stream_through_relay(relay):
    with relay.client() as c:
        c.configure_stream("lab/sensor/sine", "queue", 100)
        msgs = c.pop("lab/sensor/sine", 5, timeout=10)
        assert len(msgs) >= 1 and all(m.name == "lab/sensor/sine" for m in msgs)
        assert isinstance(msgs[0].value, float)


class FakePublisher:
    """An XPUB socket that publishes crafted messages once a subscription
    arrived."""

    def __init__(self):
        self.sock = zmq.Context.instance().socket(zmq.XPUB)
        self.sock.setsockopt(zmq.LINGER, 0)
        port = self.sock.bind_to_random_port("tcp://127.0.0.1")
        self.stream = f"tcp://127.0.0.1:{port}"

    def wait_subscription(self):
        assert self.sock.poll(10000), "no subscription came"
        return self.sock.recv()

    def send(self, name, seq, status=0, encoding=1, payload=b"1", fmt=0, w=0, h=0,
             version=1, header=None):
        if header is None:
            header = HEADER.pack(version, status, encoding, fmt, 0, seq, 12345, w, h)
        self.sock.send_multipart([name.encode() + b"\0", header, payload])

    def close(self):
        self.sock.close(0)


def test_counters_from_sequence_numbers_and_marks():
    pub = FakePublisher()
    try:
        with oneliner.Client(f"tcp://127.0.0.1:{free_port()}", pub.stream, timeout=5) as c:
            c.configure_stream("s", "queue", 100)
            assert pub.wait_subscription() == b"\x01s\x00"
            pub.send("s", 10, status=oneliner.STATUS_MARK, encoding=0, payload=b"")  # no baseline
            pub.send("s", 1)                      # the baseline
            pub.send("s", 2, status=oneliner.STATUS_WARNING)
            pub.send("s", 5, status=oneliner.STATUS_ALARM)    # 3 and 4 missed
            pub.send("s", 9, status=oneliner.STATUS_MARK, encoding=0, payload=b"")  # 6..9 missed
            pub.send("s", 8, status=oneliner.STATUS_MARK, encoding=0, payload=b"")  # below: nothing
            pub.send("s", 11)                     # 10 missed
            pub.send("s", 3)                      # went back: a restart
            # Malformed: each counted, none delivered.
            pub.send("s", 4, header=b"\x01" * 47)
            pub.send("s", 4, version=2)
            pub.send("s", 4, encoding=2, fmt=1, w=4, h=4, payload=b"\x00" * 15)
            pub.send("s", 4, encoding=2, fmt=9, w=1, h=1, payload=b"\x00")
            pub.sock.send_multipart([b"s\0", HEADER.pack(1, 0, 1, 0, 0, 4, 0, 0, 0)])
            pub.send("s", 4, status=oneliner.STATUS_ERROR,
                     payload=b'{"domain":"x-domain","code":7,"message":"boom"}')
            pub.send("s", 5, encoding=1, payload=b"{not json")
            pub.send("s", 6, encoding=2, fmt=1, w=0, h=0, payload=b"")          # no pixels
            pub.sock.send_multipart([b"s\0x\0", HEADER.pack(1, 0, 0, 0, 0, 6, 0, 0, 0), b""])
            pub.send("s", 6, encoding=7, payload=b"xyz")      # unknown encoding: bytes
            wait_for(lambda: c.counters("s").received == 8, what="8 messages")
            k = c.counters("s")
            assert (k.received, k.missed, k.overflowed, k.restarts) == (8, 2 + 4 + 1, 0, 1)
            assert (k.warnings, k.alarms, k.errors, k.malformed) == (1, 1, 1, 6)
            assert c.malformed_messages == 1                  # the topic "s\0x": no stream's
            assert k.last_sequence == 6
            msgs = c.pop("s", 100, timeout=0)
            assert [m.sequence for m in msgs] == [1, 2, 5, 11, 3, 4, 5, 6]
            assert msgs[7].value == b"xyz"
            assert msgs[1].warning and msgs[2].alarm and msgs[5].error
            assert msgs[0].timestamp == 12345 and msgs[0].value == 1
            err = msgs[5].remote_error()
            assert (err.domain, err.code, err.message) == ("x-domain", 7, "boom")
            with pytest.raises(oneliner.ProtocolError):
                msgs[6].value
    finally:
        pub.close()


def test_images_of_every_format():
    pub = FakePublisher()
    try:
        with oneliner.Client(f"tcp://127.0.0.1:{free_port()}", pub.stream, timeout=5) as c:
            c.configure_stream("img", "queue", 10)
            pub.wait_subscription()
            gray16 = np.arange(12, dtype="<u2").reshape(3, 4) * 1000
            rgb = np.arange(2 * 3 * 3, dtype=np.uint8).reshape(2, 3, 3)
            pub.send("img", 1, encoding=2, fmt=2, w=4, h=3, payload=gray16.tobytes())
            pub.send("img", 2, encoding=2, fmt=3, w=3, h=2, payload=rgb.tobytes())
            a, b = c.pop("img", 2, timeout=10)
            assert a.value.dtype == np.dtype("<u2") and (a.value == gray16).all()
            assert b.format == "rgb8" and b.value.shape == (2, 3, 3) and (b.value == rgb).all()
    finally:
        pub.close()


NO_NUMPY = r"""
import sys
sys.modules["numpy"] = None          # as if numpy were not installed
sys.path.insert(0, sys.argv[1])
import oneliner
with oneliner.Client("tcp://127.0.0.1:1", sys.argv[2], timeout=5) as c:
    c.configure_stream("img", "queue", 10)
    print("configured", flush=True)
    m = c.get_stream("img", timeout=20)
    assert isinstance(m.value, bytes) and m.value == bytes(range(6)), m.value
    assert (m.width, m.height, m.format) == (3, 2, "gray8")
print("ok")
"""


def test_images_without_numpy():
    pub = FakePublisher()
    try:
        proc = subprocess.Popen([sys.executable, "-c", NO_NUMPY, os.environ["OL_PYTHON_SRC"],
                                 pub.stream], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            pub.wait_subscription()
            pub.send("img", 1, encoding=2, fmt=1, w=3, h=2, payload=bytes(range(6)))
            out, err = proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        assert proc.returncode == 0, err.decode()
        assert out.decode().split() == ["configured", "ok"]
    finally:
        pub.close()


def test_reconfigure_keeps_counters(py_client):
    c = py_client
    c.configure_stream("burst/json", "queue", 100)
    base = sync_burst(c, "json")
    c.call(None, "burst", "json", 5)
    wait_for(lambda: c.counters("burst/json").received == base.received + 5, what="5 messages")
    c.configure_stream("burst/json", "queue", 2)           # shrinks: 3 dropped, counted
    k = c.counters("burst/json")
    assert k.received == base.received + 5 and k.overflowed == base.overflowed + 3
    assert len(c.pop("burst/json", 2, timeout=0)) == 2
    c.unconfigure_stream("burst/json")
    with pytest.raises(oneliner.NotConfigured):
        c.counters("burst/json")
