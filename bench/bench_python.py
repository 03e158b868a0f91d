#!/usr/bin/python3
"""bench_python: the Python client (python/) against raw pyzmq doing the same
job and against the C client, in one run, over tcp loopback, against one
test server (tests/python/pyserver.c) started here.

  1. blocking call round trip: oneliner.Client.call(None, "add", 1, 2)
     against a raw pyzmq DEALER (and REQ) sending the same request bytes and
     waiting for the reply, and against ol_client_call() (bench/python-peer);
  2. a 64 B stream's received messages/s: the server pushes N messages of
     burst/raw; the Python client's queue, a raw pyzmq SUB socket and the C
     client each take all of them.

Prints the median of ROUNDS rounds of each (the three interleaved) and the
ratios. Usage: bench_python.py [BUILD_DIR] [--rounds N]
"""
import json
import os
import select
import statistics
import struct
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "python"))

import zmq  # noqa: E402

import oneliner  # noqa: E402

CALLS = 5000
MSGS = 50000
HEADER = struct.Struct("<BBBBIQqII16x")


def start_server(build):
    argv = [os.path.join(build, "tests", "python", "pyserver"), "tcp://127.0.0.1:*",
            "tcp://127.0.0.1:*"]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    r, _, _ = select.select([proc.stdout], [], [], 30)
    if not r:
        proc.kill()
        sys.exit("bench_python: the server did not start")
    words = proc.stdout.readline().decode().split()
    return proc, words[words.index("rpc") + 1], words[words.index("stream") + 1]


def python_call(rpc, stream):
    with oneliner.Client(rpc, stream, timeout=10) as c:
        for _ in range(200):
            c.call(None, "add", 1, 2)
        t0 = time.perf_counter()
        for _ in range(CALLS):
            c.call(None, "add", 1, 2)
        return (time.perf_counter() - t0) / CALLS * 1e6


def raw_call(rpc, kind):
    sock = zmq.Context.instance().socket(kind)
    sock.setsockopt(zmq.LINGER, 0)
    sock.connect(rpc)
    rid = 1

    def once():
        nonlocal rid
        rid += 1
        body = json.dumps({"v": 1, "id": rid, "op": "call", "frames": True, "method": "add",
                           "args": [1, 2]}, separators=(",", ":")).encode()
        sock.send(body)
        if not sock.poll(10000):
            sys.exit("bench_python: no reply")
        reply = json.loads(sock.recv())
        if reply["id"] != rid or reply["result"] != 3:
            sys.exit(f"bench_python: bad reply {reply}")

    try:
        for _ in range(200):
            once()
        t0 = time.perf_counter()
        for _ in range(CALLS):
            once()
        return (time.perf_counter() - t0) / CALLS * 1e6
    finally:
        sock.close(0)


def peer(build, what, rpc, stream, n):
    out = subprocess.run([os.path.join(build, "bench", "python-peer"), what, rpc, stream, str(n)],
                         capture_output=True, text=True, timeout=300)
    if out.returncode != 0:
        sys.exit(f"bench_python: python-peer {what}: {out.stderr.strip()}")
    return float(out.stdout.split()[0])


def python_stream(rpc, stream):
    with oneliner.Client(rpc, stream, timeout=10) as c:
        c.configure_stream("burst/raw", "queue", MSGS + 16)
        for _ in range(100):
            c.call(None, "burst", "raw", 1)
            try:
                c.pop("burst/raw", -1, timeout=0.2)
                break
            except oneliner.Timeout:
                pass
        base = c.counters("burst/raw")
        t0 = time.perf_counter()
        sent = c.call(None, "burst", "raw", MSGS, 64)
        target = base.last_sequence + sent
        taken = 0
        while True:
            try:
                taken += len(c.pop("burst/raw", 1000, timeout=0.001))
            except oneliner.Timeout:
                pass
            k = c.counters("burst/raw")
            if k.last_sequence >= target and k.received - base.received <= taken:
                break
            if time.perf_counter() - t0 > 60:
                sys.exit("bench_python: the Python client did not get the burst")
        secs = time.perf_counter() - t0
        return (c.counters("burst/raw").received - base.received) / secs


def raw_stream(rpc, stream):
    ctx = zmq.Context.instance()
    sub = ctx.socket(zmq.SUB)
    sub.setsockopt(zmq.LINGER, 0)
    sub.setsockopt(zmq.RCVHWM, 100000)
    sub.setsockopt(zmq.SUBSCRIBE, b"burst/raw\0")
    sub.connect(stream)
    with oneliner.Client(rpc, stream, timeout=10) as c:   # only to ask for pushes
        last = 0
        for _ in range(100):
            c.call(None, "burst", "raw", 1)
            if sub.poll(200):
                last = HEADER.unpack(sub.recv_multipart()[1])[5]
                break
        while sub.poll(100):
            last = HEADER.unpack(sub.recv_multipart()[1])[5]
        t0 = time.perf_counter()
        target = last + c.call(None, "burst", "raw", MSGS, 64)
        n = 0
        while last < target:
            if not sub.poll(10000):
                sys.exit("bench_python: raw SUB got no message")
            frames = sub.recv_multipart()
            last = HEADER.unpack(frames[1])[5]
            n += 1
        secs = time.perf_counter() - t0
    sub.close(0)
    return n / secs


def main():
    build = os.path.join(HERE, "..", "build")
    rounds = 5
    args = sys.argv[1:]
    if "--rounds" in args:
        i = args.index("--rounds")
        rounds = int(args[i + 1])
        del args[i:i + 2]
    if args:
        build = args[0]
    proc, rpc, stream = start_server(build)
    try:
        res = {k: [] for k in ("py", "dealer", "req", "c", "spy", "sraw", "sc")}
        for _ in range(rounds):
            res["py"].append(python_call(rpc, stream))
            res["dealer"].append(raw_call(rpc, zmq.DEALER))
            res["req"].append(raw_call(rpc, zmq.REQ))
            res["c"].append(peer(build, "call", rpc, stream, CALLS))
            res["spy"].append(python_stream(rpc, stream))
            res["sraw"].append(raw_stream(rpc, stream))
            res["sc"].append(peer(build, "stream", rpc, stream, MSGS))
    finally:
        proc.terminate()
        proc.wait(10)
    m = {k: statistics.median(v) for k, v in res.items()}
    print(f"bench-python: medians of {rounds} rounds, tcp loopback, Python "
          f"{sys.version.split()[0]}, pyzmq {zmq.__version__}, libzmq {zmq.zmq_version()}")
    print(f"  blocking call round trip (add(1, 2)), mean of {CALLS} calls:")
    print(f"    oneliner Python Client   {m['py']:8.1f} us")
    print(f"    raw pyzmq DEALER         {m['dealer']:8.1f} us   ratio {m['py'] / m['dealer']:.2f}x")
    print(f"    raw pyzmq REQ            {m['req']:8.1f} us   ratio {m['py'] / m['req']:.2f}x")
    print(f"    oneliner C client        {m['c']:8.1f} us   ratio {m['py'] / m['c']:.2f}x")
    print(f"  64 B stream, {MSGS} messages pushed, received msgs/s:")
    print(f"    oneliner Python Client   {m['spy']:10.0f}")
    print(f"    raw pyzmq SUB            {m['sraw']:10.0f}   ratio {m['spy'] / m['sraw']:.2f}x")
    print(f"    oneliner C client        {m['sc']:10.0f}   ratio {m['spy'] / m['sc']:.2f}x")


if __name__ == "__main__":
    main()
