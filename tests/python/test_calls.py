"""Calls: every form, bytes both ways, errors, timeouts, a restart, threads."""
import json
import os
import signal
import tempfile
import threading
import time

import pytest
import zmq

import oneliner
from conftest import free_port, program, stop_process, wait_for


def test_version_list_streams(demo_client):
    v = demo_client.version()
    assert v["protocol"] == 1 and 1 in v["protocols"] and isinstance(v["server"], str)
    listing = demo_client.list()
    assert set(listing) == {"instances", "functions", "named_calls"}
    assert listing["instances"]["stage"]["move_to"]["signature"] == \
        "(int32 axis, double mm, error) -> double"
    assert listing["named_calls"]["home_all"]["method"] == "home"
    streams = demo_client.streams()
    t = streams["sensor/temperature"]
    assert t["kind"] == "periodic" and t["encoding"] == "json"
    assert t["description"]["unit"] == "degC"
    assert t["description"]["limits"]["alarm_high"] > t["description"]["limits"]["warning_high"]
    assert streams["camera/frames"]["image"] == {"width": 640, "height": 480, "format": "gray8"}


def test_call_method_positional_and_keyword(demo_client):
    assert demo_client.call("stage", "move_to", 1, 12.5) == 12.5
    assert demo_client.call("stage", "position", axis=1) == 12.5
    assert demo_client.call("stage", "move_to", axis=2, mm=3) == 3.0
    assert demo_client.call_named("home_all") is None
    assert demo_client.call("stage", "position", 1) == 0.0


def test_call_free_function_and_named(py_client):
    assert py_client.call(None, "add", 2, 3) == 5
    assert py_client.call(None, "add", 2) == 12          # the default b = 10
    assert py_client.call_named("add5") == 15
    assert py_client.call_named("add5", 1) == 11          # args replace defaults
    assert py_client.call_named("add5", b=1) == 6
    with pytest.raises(oneliner.RemoteError) as e:
        py_client.call_named("add5", a=1)
    assert e.value.code == 5 and "both by position and by keyword" in e.value.message


def test_handler_gets_args_and_bytes_inline(py_client):
    r = py_client.call(None, "args", 1, "two", [3.5, None], b"\x00\xff", k={"x": True})
    assert r["args"][:3] == [1, "two", [3.5, None]]
    assert r["args"][3] == {"$base64": "AP8="}            # a handler sees bytes as base64
    assert r["kwargs"] == {"k": {"x": True}}


@pytest.mark.parametrize("data", [b"\x00\x01binary\xff", b"", bytes(range(256)) * 4096],
                         ids=["binary", "empty", "1MiB"])
def test_bytes_both_ways(py_client, data):
    out = py_client.call(None, "echo", data)
    assert isinstance(out, bytes) and out == data
    assert py_client.call(None, "echo", data=bytearray(data)) == data
    assert py_client.call(None, "echo", memoryview(data)) == data


def test_bytes_result(demo_client, py_client):
    z = py_client.call(None, "zeros", 1000)
    assert z == bytes(1000)
    frame = demo_client.call("camera", "frame")
    assert isinstance(frame, bytes) and len(frame) == 640 * 480


def test_remote_errors(demo_client, py_client):
    cases = [
        (lambda: demo_client.call("nope", "x"), 4, 'no instance named "nope"'),
        (lambda: demo_client.call("stage", "x"), 4, 'instance "stage" has no method "x"'),
        (lambda: demo_client.call(None, "x"), 4, 'no function named "x"'),
        (lambda: demo_client.call_named("nope"), 4, 'no named call "nope"'),
        (lambda: demo_client.call("stage", "move_to", 7, 1.0), 5,
         "axis 7 does not exist: the stage has axes 1 to 3"),
        (lambda: demo_client.call("stage", "move_to", 1), 5, "missing argument 'mm'"),
        (lambda: demo_client.call("stage", "move_to", "1", 2.0), 5,
         "parameter 'axis' expects int32, got string \"1\""),
        (lambda: demo_client.request("frobnicate"), 3, 'unknown operation "frobnicate"'),
        (lambda: demo_client.enable("nope"), 4, 'no stream named "nope"'),
        (lambda: demo_client.remove("nope"), 4, 'no stream named "nope"'),
    ]
    for f, code, message in cases:
        with pytest.raises(oneliner.RemoteError) as e:
            f()
        assert (e.value.domain, e.value.code, e.value.message) == ("ol-error-quark", code, message)
    with pytest.raises(oneliner.RemoteError) as e:
        py_client.call(None, "fail")
    assert (e.value.domain, e.value.code, e.value.message) == ("my-app-error", 42, "the laser is off")
    assert not isinstance(e.value, oneliner.Unreachable)


def test_local_argument_errors(py_client):
    with pytest.raises(ValueError):
        py_client.call(None, "add", float("nan"), 1)    # JSON has no NaN
    with pytest.raises(TypeError):
        py_client.call(None, "add", object(), 1)
    assert py_client.call(None, "add", 1, 2) == 3       # the client still works


def test_relay_calls_streams_and_unreachable_mount(relay):
    with relay.client(timeout=10) as c:
        assert c.call("lab/stage", "move_to", 3, 4.5) == 4.5
        assert c.call(None, "py/echo", b"\x00through the relay") == b"\x00through the relay"
        assert c.call_named("py/add5", 2) == 12
        m = c.mounts()
        assert m["lab"]["connected"] and not m["dead"]["connected"]
        assert "lab/sensor/sine" in c.streams()
        with pytest.raises(oneliner.Unreachable) as e:
            c.call("dead/stage", "position", 1)
        assert isinstance(e.value, oneliner.RemoteError)
        assert e.value.code == 13 and e.value.message.startswith('mount "dead": the upstream server')
        with pytest.raises(oneliner.RemoteError) as e:
            c.call("lab/stage", "move_to", 9, 1.0)
        assert e.value.code == 5 and "axis 9" in e.value.message


def test_no_server_times_out():
    rpc = f"tcp://127.0.0.1:{free_port()}"
    with oneliner.Client(rpc, f"tcp://127.0.0.1:{free_port()}", timeout=0.5) as c:
        t0 = time.monotonic()
        with pytest.raises(oneliner.Timeout) as e:
            c.version()
        assert time.monotonic() - t0 < 30      # it returns: the bound holds, generously
        assert str(e.value) == f"no connection to the server within 500 ms (server {rpc})"
        assert isinstance(e.value, TimeoutError)


def test_slow_call_times_out_then_stale_reply_dropped(py_client):
    with pytest.raises(oneliner.Timeout) as e:
        py_client.call_with(None, "sleep_ms", [1500], timeout=0.3)
    assert str(e.value).startswith("no reply within 300 ms")
    assert py_client.call(None, "add", 1, 1) == 2     # waits behind the slow call
    wait_for(lambda: py_client.stale_replies == 1, what="the late reply")
    assert py_client.call(None, "add", 2, 2) == 4


def test_stopped_server_times_out_and_recovers(start):
    s = start([program("OL_PYSERVER"), "tcp://127.0.0.1:*", "tcp://127.0.0.1:*"])
    with s.client(timeout=1.0) as c:
        assert c.call(None, "add", 1, 2) == 3
        stop_process(s.proc.pid)                 # alive but deaf: no reply comes
        try:
            with pytest.raises(oneliner.Timeout):
                c.call(None, "add", 1, 2)
        finally:
            os.kill(s.proc.pid, signal.SIGCONT)
        wait_for(lambda: _try(c.call, None, "add", 2, 3) == 5, what="the server back")


def _try(f, *args):
    try:
        return f(*args)
    except oneliner.Timeout:
        return None


def test_server_restart_survived(start):
    d = tempfile.mkdtemp(prefix="ol-py-")
    rpc, stream = f"ipc://{d}/rpc", f"ipc://{d}/stream"
    try:
        s = start([program("OL_PYSERVER"), rpc, stream])
        with oneliner.Client(rpc, stream, timeout=1.0) as c:
            c.configure_stream("burst/json", "queue", 100)
            wait_for(lambda: _burst_seen(c), what="a first burst message")
            # A restart shows as a sequence number that does not grow: take the
            # first server's numbers well above those the new one reaches while
            # its subscription is still on its way (a first message may be lost).
            assert c.call(None, "burst", "json", 50) is not None
            wait_for(lambda: c.counters("burst/json").last_sequence >= 50,
                     what="the first server's sequence past 50")
            assert c.call(None, "add", 1, 2) == 3
            before = c.counters("burst/json").restarts
            s.stop()
            with pytest.raises(oneliner.Timeout):
                c.call(None, "add", 1, 2)
            start([program("OL_PYSERVER"), rpc, stream])
            wait_for(lambda: _try(c.call, None, "add", 3, 4) == 7, what="the restarted server")
            # Messages of the first server may still be queued: pop until one of
            # the new server's has come, which counts the restart.
            wait_for(lambda: _burst_seen(c)
                     and c.counters("burst/json").restarts >= before + 1,
                     what="a burst message after the restart")
            assert c.counters("burst/json").restarts == before + 1
    finally:
        for f in os.listdir(d):
            os.unlink(os.path.join(d, f))
        os.rmdir(d)


def _burst_seen(c):
    """Pushes one message on burst/json and says whether one arrived."""
    r = _try(c.call, None, "burst", "json", 1)
    if r is None:
        return False
    try:
        c.pop("burst/json", -1, timeout=0.2)
        return True
    except oneliner.Timeout:
        return False


def test_eight_threads_at_once(py_client):
    errors = []

    def work(k):
        try:
            for i in range(150):
                assert py_client.call(None, "add", k, i) == k + i
                data = bytes([k, i % 256]) * (i + 1)
                assert py_client.call(None, "echo", data) == data
        except Exception as e:   # reported below, in the test's thread
            errors.append(e)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not any(t.is_alive() for t in threads)
    assert errors == []


def test_context_manager_closes(pyserver):
    with pyserver.client() as c:
        assert c.call(None, "add", 1, 1) == 2
        thread = c._thread
    assert not thread.is_alive()
    with pytest.raises(oneliner.Closed):
        c.call(None, "add", 1, 1)
    c.close()   # again: nothing


def test_close_fails_waiting_call(pyserver):
    c = pyserver.client(timeout=10)
    got = []

    def slow():
        try:
            c.call(None, "sleep_ms", 2000)
        except Exception as e:
            got.append(e)

    t = threading.Thread(target=slow)
    t.start()
    time.sleep(0.2)
    c.close()
    t.join(30)
    assert len(got) == 1 and isinstance(got[0], oneliner.Closed)


def test_timestamp(py_client):
    before = time.time_ns()
    result, ts = py_client.call_with(None, "add", [1, 2], ts=True)
    assert result == 3 and isinstance(ts, int)
    assert abs(ts - before) < 60 * 10**9     # the server's wall clock, ns


class FakeServer:
    """A ROUTER that answers each request with frames a test chose."""

    def __init__(self):
        self.sock = zmq.Context.instance().socket(zmq.ROUTER)
        self.sock.setsockopt(zmq.LINGER, 0)
        port = self.sock.bind_to_random_port("tcp://127.0.0.1")
        self.rpc = f"tcp://127.0.0.1:{port}"

    def answer(self, make):
        assert self.sock.poll(10000), "no request came"
        frames = self.sock.recv_multipart()
        req = json.loads(frames[1])
        self.sock.send_multipart([frames[0]] + make(req))
        return req


def test_hostile_replies():
    fake = FakeServer()
    try:
        with oneliner.Client(fake.rpc, f"tcp://127.0.0.1:{free_port()}", timeout=5) as c:
            def call_with_reply(make):
                out = {}

                def run():
                    try:
                        out["r"] = c.call_with(None, "f", timeout=3)
                    except Exception as e:
                        out["e"] = e
                t = threading.Thread(target=run)
                t.start()
                fake.answer(make)
                t.join(30)
                return out

            def rep(req, **kw):
                return json.dumps({"v": 1, "id": req["id"], **kw}).encode()

            # Garbage, a reply with another id, a non-object: ignored and
            # counted; the call then times out.
            out = call_with_reply(lambda req: [b"\xff not json"])
            assert isinstance(out["e"], oneliner.Timeout)
            out = call_with_reply(lambda req: [rep({"id": req["id"] + 1}, ok=True, result=1)])
            assert isinstance(out["e"], oneliner.Timeout)
            out = call_with_reply(lambda req: [b"[1,2]"])
            assert isinstance(out["e"], oneliner.Timeout)
            assert c.stale_replies == 3
            out = call_with_reply(lambda req: [rep(req, ok=False, error={"domain": "", "code": 1})])
            assert isinstance(out["e"], oneliner.ProtocolError)
            out = call_with_reply(lambda req: [rep(req, ok=True, result={"$frame": 1}), b"x"])
            assert isinstance(out["e"], oneliner.ProtocolError)
            out = call_with_reply(lambda req: [rep(req, ok=True, result={"$base64": "a-_="})])
            assert isinstance(out["e"], oneliner.ProtocolError)
            out = call_with_reply(lambda req: [rep(req, ok=True, result={"$frame": 0}), b"\x00ok"])
            assert out == {"r": b"\x00ok"}
            out = call_with_reply(lambda req: [rep(req, ok=False, error={
                "domain": "ol-error-quark", "code": 13, "message": "mount down"})])
            assert isinstance(out["e"], oneliner.Unreachable)
    finally:
        fake.sock.close(0)


def test_request_frame_as_documented():
    """What the client sends is a request of docs/PROTOCOL.md: one JSON
    frame, then the attachments."""
    fake = FakeServer()
    try:
        with oneliner.Client(fake.rpc, f"tcp://127.0.0.1:{free_port()}", timeout=5) as c:
            t = threading.Thread(target=lambda: _swallow(c.call, "stage", "move_to", 1,
                                                         b"\x01\x02", mm=12.5))
            t.start()
            assert fake.sock.poll(10000)
            frames = fake.sock.recv_multipart()
            t.join(30)
            assert len(frames) == 3 and frames[2] == b"\x01\x02"
            req = json.loads(frames[1])
            assert req["v"] == 1 and req["op"] == "call" and isinstance(req["id"], int)
            assert req["object"] == "stage" and req["method"] == "move_to"
            assert req["args"] == [1, {"$frame": 0}] and req["kwargs"] == {"mm": 12.5}
    finally:
        fake.sock.close(0)


def _swallow(f, *args, **kw):
    try:
        f(*args, **kw)
    except oneliner.Error:
        pass


def test_json_result_shaped_like_bytes(py_client):
    """A handler's result that is itself {"$base64": ...} or {"$frame": N}
    reads like a bytes result (docs/PROTOCOL.md, "Bytes results"): the
    client takes the first as bytes and refuses the second, whose frame the
    reply lacks."""
    assert py_client.call(None, "first", {"$base64": "AAE="}) == b"\x00\x01"
    with pytest.raises(oneliner.ProtocolError):
        py_client.call(None, "first", {"$frame": 5})
    assert py_client.call(None, "first", {"$base64": "AAE=", "x": 1}) == {"$base64": "AAE=", "x": 1}
    assert py_client.call(None, "first", [1, {"$frame": 0}]) == [1, {"$frame": 0}]


def test_bad_endpoints_fail_at_once():
    with pytest.raises(ValueError):
        oneliner.Client("nonsense", "tcp://127.0.0.1:1")
    with pytest.raises(ValueError):
        oneliner.Client("tcp://127.0.0.1:1", "bogus://x")
    with pytest.raises(ValueError):
        oneliner.Client(timeout=0)


def test_connection_state_follows_the_server(start):
    s = start([program("OL_PYSERVER"), "tcp://127.0.0.1:*", "tcp://127.0.0.1:*"])
    with s.client(timeout=2) as c:
        wait_for(lambda: c.connected and c.connection("stream")[0], what="both connections up")
        up_since = c.connection("rpc")[1]
        assert up_since > 0
        s.proc.kill()                      # gone without a word
        s.proc.wait(10)
        wait_for(lambda: not c.connected and not c.connection("stream")[0],
                 what="both connections seen down")
        assert c.connection("rpc")[1] >= up_since
        with pytest.raises(oneliner.Timeout):
            c.call(None, "add", 1, 2)
    with pytest.raises(ValueError):
        c.connection("neither")
