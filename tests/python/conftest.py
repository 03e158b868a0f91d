"""Fixtures of the Python client's tests: real servers (the demo server, the
test server pyserver.c and a relay mounting both) started by the tests on
free ports over loopback, and stopped by them. The built programs come from
the environment meson sets (tests/python/meson.build); the package is
imported from the source tree (OL_PYTHON_SRC)."""
import os
import select
import signal
import socket
import subprocess
import sys
import time

import pytest

sys.path.insert(0, os.environ.get("OL_PYTHON_SRC",
                                  os.path.join(os.path.dirname(__file__), "..", "..", "python")))

import oneliner  # noqa: E402


def program(var):
    path = os.environ.get(var)
    if not path or not os.access(path, os.X_OK):
        pytest.fail(f"{var} does not name a built program (run the tests with meson test)")
    return path


def free_port():
    """A TCP port of 127.0.0.1 nobody listens on (at the time of asking)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A server process this test run started, its endpoints read from the
    line "NAME: serving rpc ENDPOINT stream ENDPOINT" it prints."""

    def __init__(self, argv, timeout=30.0):
        self.argv = argv
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL)
        self.rpc = self.stream = None
        deadline = time.monotonic() + timeout
        buf = b""
        while b"\n" not in buf:
            left = deadline - time.monotonic()
            if left <= 0 or self.proc.poll() is not None:
                self.stop()
                raise RuntimeError(f"{argv[0]} did not start: {buf!r}")
            r, _, _ = select.select([self.proc.stdout], [], [], left)
            if r:
                chunk = os.read(self.proc.stdout.fileno(), 4096)
                if not chunk:
                    continue
                buf += chunk
        words = buf.split(b"\n")[0].decode().split()
        self.rpc = words[words.index("rpc") + 1]
        self.stream = words[words.index("stream") + 1]

    def client(self, **kw):
        return oneliner.Client(self.rpc, self.stream, **kw)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        if self.proc.stdout:
            self.proc.stdout.close()


@pytest.fixture
def start():
    """start(argv) -> Server, stopped at the end of the test."""
    servers = []

    def _start(argv, **kw):
        s = Server(argv, **kw)
        servers.append(s)
        return s

    yield _start
    for s in servers:
        s.stop()


LOOPBACK = ["-r", "tcp://127.0.0.1:*", "-s", "tcp://127.0.0.1:*"]


@pytest.fixture(scope="session")
def demo():
    s = Server([program("OL_DEMO_SERVER"), "--speed", "0"] + LOOPBACK)
    yield s
    s.stop()


@pytest.fixture(scope="session")
def pyserver():
    s = Server([program("OL_PYSERVER"), "tcp://127.0.0.1:*", "tcp://127.0.0.1:*"])
    yield s
    s.stop()


@pytest.fixture(scope="session")
def relay(demo, pyserver):
    """A relay mounting the demo server as "lab", the test server as "py",
    and, as "dead", endpoints where no server listens."""
    dead = f"tcp://127.0.0.1:{free_port()},tcp://127.0.0.1:{free_port()}"
    s = Server([program("OL_RELAY")] + LOOPBACK
               + ["--mount", f"lab={demo.rpc},{demo.stream}",
                  "--mount", f"py={pyserver.rpc},{pyserver.stream}",
                  "--mount", f"dead={dead}"])
    with s.client() as c:   # wait until both live mounts are connected
        deadline = time.monotonic() + 30
        while True:
            m = c.mounts()
            if m["lab"]["connected"] and m["py"]["connected"]:
                break
            assert time.monotonic() < deadline, f"mounts never connected: {m}"
            time.sleep(0.05)
    yield s
    s.stop()


@pytest.fixture
def demo_client(demo):
    with demo.client() as c:
        yield c


@pytest.fixture
def py_client(pyserver):
    with pyserver.client() as c:
        yield c


def wait_for(pred, timeout=30.0, what="condition"):
    """Polls pred() until it is true; fails the test after timeout s."""
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.02)


def stop_process(pid, timeout=10.0):
    """SIGSTOPs pid and returns once every one of its threads is stopped.

    kill() returns when the signal is queued: one thread takes it and stops
    the others, and until then a thread already awake may still answer."""
    os.kill(pid, signal.SIGSTOP)
    wait_for(lambda: _all_threads_stopped(pid), timeout, what=f"process {pid} stopped")


def _all_threads_stopped(pid):
    try:
        tids = os.listdir(f"/proc/{pid}/task")
        states = []
        for tid in tids:
            with open(f"/proc/{pid}/task/{tid}/stat") as f:
                states.append(f.read().rsplit(")", 1)[1].split()[0])
    except (FileNotFoundError, ProcessLookupError):
        return False
    return bool(states) and all(st == "T" for st in states)
