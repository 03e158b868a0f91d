#!/usr/bin/env python3
"""Runs every example of examples/ end to end and prints TAP.

Usage: examples_test.py SOURCE_DIR BUILD_DIR GUI(yes|no)

Servers, relays and clients are the built programs, talking over ipc
endpoints in a private temporary directory (no port is ever fixed, so two
runs at once do not meet); the network-namespace part of the cascade uses
TCP inside two namespaces the test creates itself, or says SKIP with the
reason. Every check is on what the programs print or write, never on how
long anything took. Only processes started here are signalled, by their
own handle; each also dies with the test (PR_SET_PDEATHSIG).
"""
import csv
import ctypes
import datetime
import json
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time

SRC, BUILD, GUI = sys.argv[1], sys.argv[2], sys.argv[3] == "yes"
EX = os.path.join(BUILD, "examples")
CLI = os.path.join(BUILD, "tools", "oneliner")
RELAY = os.path.join(BUILD, "oneliner-relay")
TMP = tempfile.mkdtemp(prefix="ol-examples-")
BOUND = 60  # seconds: the bound of every single wait (sanitizer builds are slow)

_libc = ctypes.CDLL(None, use_errno=True)
_n = 0
_failed = 0
_started = []


def _die_with_parent():
    _libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def check(ok, what, detail=""):
    global _n, _failed
    _n += 1
    if not ok:
        _failed += 1
        for line in str(detail).splitlines()[-30:]:
            print("# " + line)
    print(("ok" if ok else "not ok") + " %d - %s" % (_n, what))
    sys.stdout.flush()
    return ok


def skip(what, reason):
    global _n
    _n += 1
    print("ok %d - %s # SKIP %s" % (_n, what, reason))
    sys.stdout.flush()


def ipc(name):
    return "ipc://" + os.path.join(TMP, name)


def prog(name):
    return os.path.join(EX, name)


class Server:
    """A long-running program whose first stdout line says it is ready."""

    def __init__(self, argv, ready=r"rpc |publishing on ", prefix=None):
        self.argv = (prefix or []) + argv
        self.log = open(os.path.join(TMP, "%s-%d.log" % (os.path.basename(argv[0]),
                                                         len(_started))), "w+")
        self.p = subprocess.Popen(self.argv, stdout=subprocess.PIPE, stderr=self.log,
                                  preexec_fn=_die_with_parent, text=True)
        _started.append(self)
        self.first = self._wait_line(ready) if ready else ""

    def _wait_line(self, pattern):
        deadline = time.monotonic() + BOUND
        while time.monotonic() < deadline:
            r, _, _ = select.select([self.p.stdout], [], [], 0.5)
            if r:
                line = self.p.stdout.readline()
                if line == "":
                    return None
                if re.search(pattern, line):
                    return line
            elif self.p.poll() is not None:
                return None
        return None

    def stop(self):
        """SIGTERM; returns the exit status (None if it had to be killed)."""
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
        try:
            rc = self.p.wait(BOUND)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()
            rc = None
        self.p.stdout.close()
        return rc

    def errors(self):
        self.log.seek(0)
        return self.log.read()


def run(argv, timeout=BOUND, env=None, prefix=None):
    """Runs a program to its end: (status, stdout, stderr); status None if it
    outlived the bound (it is killed then)."""
    p = subprocess.Popen((prefix or []) + argv, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, env=env,
                         preexec_fn=_die_with_parent)
    try:
        out, err = p.communicate(timeout=timeout)
        return p.returncode, out, err
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate()
        return None, out, err


def streams_json(rpc, stream):
    rc, out, err = run([CLI, "--rpc", rpc, "--stream", stream, "streams", "--json"])
    if rc != 0:
        return None
    return json.loads(out)


def stop_all(servers, name):
    results = [(s, s.stop()) for s in servers]
    bad = [(s.argv[0], rc, s.errors()) for s, rc in results if rc != 0]
    check(not bad, name + ": the servers stop cleanly on SIGTERM (exit 0)", bad)


# --------------------------------------------------------------------------

def test_help():
    names = ["stage-server", "stage-script", "camera-server", "burst-server", "recorder",
             "thermo-server", "thermo-csv", "meter-server", "cascade-client",
             "foreign-publisher", "foreign-client", "config-server", "station-server",
             "async-clients", "daq-server", "daq-client"]
    if GUI:
        names.append("camera-viewer")
    bad = []
    for n in names:
        rc, out, err = run([prog(n), "--help"])
        if rc != 0 or "Usage:" not in out:
            bad.append((n, rc, out + err))
    check(not bad, "every example program answers --help", bad)
    rc, out, err = run([prog("stage-script"), "--steps", "0"])
    check(rc == 2 and "--steps" in err, "a bad option is refused with status 2", out + err)


def test_stage():
    s = Server([prog("stage-server"), "--rpc", ipc("stage-r"), "--stream", ipc("stage-s")])
    if not check(s.first is not None, "stage_script: the server starts", s.errors()):
        return
    rc, out, err = run([prog("stage-script"), "--rpc", ipc("stage-r"), "--steps", "4",
                        "--step", "20"])
    check(rc == 0, "stage_script: the script runs to its end", out + err)
    moves = re.findall(r"^move_to 1 (\S+) -> (\S+) mm$", out, re.M)
    check(moves == [("20", "20"), ("40", "40"), ("60", "60"), ("80", "80")],
          "stage_script: every scan move lands where asked", out)
    check("move_to 1 150 refused: INVALID_ARGS: axis 1: 150 mm is outside its travel "
          "0..100 mm" in out, "stage_script: the move beyond the travel gets the limit error",
          out)
    check("position 9 refused: INVALID_ARGS: no axis 9" in out,
          "stage_script: an axis that does not exist is refused", out)
    check("axis 1 is at 80 mm" in out, "stage_script: the refused move left the axis in place",
          out)
    stop_all([s], "stage_script")


def test_recorder():
    s = Server([prog("burst-server"), "--rpc", ipc("rec-r"), "--stream", ipc("rec-s")])
    if not check(s.first is not None, "queue_recorder: the server starts", s.errors()):
        return
    # (depth, extra options, whether it must overflow: True, False, or None
    # for "however the machine's timing falls", what)
    for depth, extra, overflows, what in (
            (16, ["--hold"], True, "a queue shallower than the burst"),
            (2000, [], False, "a queue deep enough"),
            (32, ["--delay-ms", "1"], None, "a slow writer")):
        path = os.path.join(TMP, "samples-%d.csv" % depth)
        argv = [prog("recorder"), "--rpc", ipc("rec-r"), "--stream", ipc("rec-s"),
                "--output", path, "--burst", "500", "--depth", str(depth)] + extra
        rc, out, err = run(argv)
        check(rc == 0 and "every sample accounted for" in out,
              "queue_recorder (%s): the recorder finishes, its counts adding up" % what,
              out + err)
        m = re.search(r"sent (\d+), received (\d+), written (\d+), missed (\d+), "
                      r"overflowed (\d+)", out)
        if not check(m is not None, "queue_recorder (%s): it reports its counts" % what, out):
            continue
        sent, received, written, missed, overflowed = map(int, m.groups())
        check(sent == 500 and received + missed == sent and written + overflowed == received,
              "queue_recorder (%s): received + missed = sent (500), written + overflowed = "
              "received" % what, out)
        if overflows:
            check(overflowed > 0 and written <= depth,
                  "queue_recorder (%s): the losses were provoked and counted (overflowed %d)"
                  % (what, overflowed), out)
        elif overflows is False:
            check(overflowed == 0, "queue_recorder (%s): nothing overflowed" % what, out)
        with open(path) as f:
            rows = list(csv.reader(f))
        ns = []
        try:
            ns = [int(r[0]) for r in rows[1:]]
            [float(r[1]) for r in rows[1:]]
            ok = rows[0] == ["n", "volts"] and ns == sorted(set(ns)) and len(ns) >= written
        except (ValueError, IndexError):
            ok = False
        check(ok, "queue_recorder (%s): the file holds the samples written, in order" % what,
              rows[:3])
        # The burst's samples are the last ones written: exactly `written` of them.
        burst_rows = [n for n in ns if n > ns[-1] - 500] if ns else []
        check(len(burst_rows) == written,
              "queue_recorder (%s): the file has exactly the %d samples of the burst written"
              % (what, written), (len(burst_rows), written))
    stop_all([s], "queue_recorder")


def test_temperature():
    s = Server([prog("thermo-server"), "--rpc", ipc("t-r"), "--stream", ipc("t-s"),
                "--hz", "20"])
    if not check(s.first is not None, "temperature_csv: the server starts", s.errors()):
        return
    path = os.path.join(TMP, "temperature.csv")
    rc, out, err = run([prog("thermo-csv"), "--rpc", ipc("t-r"), "--stream", ipc("t-s"),
                        "--output", path, "--count", "12"])
    check(rc == 0 and "12 readings logged" in out, "temperature_csv: 12 readings logged",
          out + err)
    rows = list(csv.reader(open(path))) if os.path.exists(path) else [[]]
    check(rows[0] == ["time", "sequence", "temperature_degC", "status"],
          "temperature_csv: the header names the unit of the stream's description", rows[0])
    ok, seqs = len(rows) == 13, []
    try:
        for r in rows[1:]:
            datetime.datetime.strptime(r[0], "%Y-%m-%dT%H:%M:%S.%fZ")
            seqs.append(int(r[1]))
            v = float(r[2])
            # Within the description's warning limits, so status "ok".
            ok = ok and 18.0 <= v <= 26.0 and r[3] == "ok"
    except (ValueError, IndexError):
        ok = False
    check(ok and seqs == sorted(set(seqs)),
          "temperature_csv: 12 rows of time, increasing sequence, degC within the limits, ok",
          rows)
    check(ok and all(b == a + 1 for a, b in zip(seqs, seqs[1:])),
          "temperature_csv: a queue logs every reading (no sequence skipped)", seqs)
    stop_all([s], "temperature_csv")


def _cascade_client(argv, prefix=None):
    """The relay mounts its upstreams in the background: until it has, calls
    fail with UNREACHABLE. Retried a bounded number of times."""
    for _ in range(40):
        rc, out, err = run(argv, prefix=prefix)
        if rc == 0 or "UNREACHABLE" not in err.upper() and "not connected" not in err:
            return rc, out, err
        time.sleep(0.25)
    return rc, out, err


def test_cascade():
    a = Server([prog("meter-server"), "--rpc", ipc("a-r"), "--stream", ipc("a-s"),
                "--name", "lab-a"])
    b = Server([prog("meter-server"), "--rpc", ipc("b-r"), "--stream", ipc("b-s"),
                "--name", "lab-b"])
    relay = Server([RELAY, "--rpc", ipc("top-r"), "--stream", ipc("top-s"),
                    "--mount", "pc1=%s,%s" % (ipc("a-r"), ipc("a-s")),
                    "--mount", "pc2=%s,%s" % (ipc("b-r"), ipc("b-s"))])
    if not check(a.first is not None and b.first is not None and relay.first is not None,
                 "cascade: both lab servers and the relay start",
                 a.errors() + b.errors() + relay.errors()):
        return
    rc, out, err = _cascade_client([prog("cascade-client"), "--rpc", ipc("top-r"),
                                    "--stream", ipc("top-s"), "--count", "3"])
    check(rc == 0, "cascade: the client runs through the relay", out + err)
    check(re.search(r"^pc1/meter\.name\(\) = lab-a, read\(\) = \d", out, re.M) is not None
          and re.search(r"^pc2/meter\.name\(\) = lab-b, read\(\) = \d", out, re.M) is not None,
          "cascade: calls through the relay reach the right lab PC", out)
    check("pc1/meter/volts: 3 messages" in out and "pc2/meter/volts: 3 messages" in out,
          "cascade: both PCs' streams arrive through the relay", out)
    stop_all([relay, a, b], "cascade")
    test_cascade_netns()


def _sh(command):
    return subprocess.run(["/bin/sh", "-c", command], stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL).returncode == 0


def test_cascade_netns():
    what = "cascade across two network namespaces (server on one, relay and client on the other)"
    if os.geteuid() != 0 or shutil.which("ip") is None:
        skip(what, "needs root and ip(8) to create network namespaces")
        return
    pid = os.getpid()
    ident = pid % 200 + 20
    ns_a, ns_b = "olx-a-%d" % pid, "olx-b-%d" % pid
    setup = ("ip netns add {a} && ip netns add {b} && "
             "ip link add xa{i} netns {a} type veth peer name xb{i} netns {b} && "
             "ip -n {a} addr add 10.232.{i}.1/24 dev xa{i} && "
             "ip -n {b} addr add 10.232.{i}.2/24 dev xb{i} && "
             "ip -n {a} link set xa{i} up && ip -n {b} link set xb{i} up && "
             "ip -n {a} link set lo up && ip -n {b} link set lo up").format(a=ns_a, b=ns_b,
                                                                              i=ident)
    cleanup = "ip netns del %s; ip netns del %s" % (ns_a, ns_b)
    if not _sh(setup):
        _sh(cleanup)
        skip(what, "cannot create network namespaces here (needs CAP_NET_ADMIN)")
        return
    try:
        # Inside namespaces of our own, fixed ports meet nobody else's.
        a_rpc, a_stream = "tcp://10.232.%d.1:5555" % ident, "tcp://10.232.%d.1:5556" % ident
        in_a, in_b = ["ip", "netns", "exec", ns_a], ["ip", "netns", "exec", ns_b]
        meter = Server([prog("meter-server"), "--rpc", a_rpc, "--stream", a_stream,
                        "--name", "far-pc"], prefix=in_a)
        relay = Server([RELAY, "--rpc", "tcp://127.0.0.1:5555", "--stream",
                        "tcp://127.0.0.1:5556", "--mount", "pc1=%s,%s" % (a_rpc, a_stream)],
                       prefix=in_b)
        rc, out, err = _cascade_client([prog("cascade-client"), "--rpc", "tcp://127.0.0.1:5555",
                                        "--stream", "tcp://127.0.0.1:5556", "--pc", "pc1",
                                        "--count", "3"], prefix=in_b)
        check(rc == 0 and "pc1/meter.name() = far-pc" in out
              and "pc1/meter/volts: 3 messages" in out, what, out + err)
        stop_all([relay, meter], "cascade across namespaces")
    finally:
        _sh(cleanup)


def test_foreign():
    pub = Server([prog("foreign-publisher"), "--bind", ipc("pub"), "--period-ms", "20"])
    relay = Server([RELAY, "--rpc", ipc("f-r"), "--stream", ipc("f-s"),
                    "--relay", "ext=%s,temp" % ipc("pub")])
    if not check(pub.first is not None and relay.first is not None,
                 "foreign_pub: the plain ZeroMQ publisher and the relay start",
                 pub.errors() + relay.errors()):
        return
    rc, out, err = run([prog("foreign-client"), "--rpc", ipc("f-r"), "--stream", ipc("f-s"),
                        "--count", "5"])
    values = [float(v) for v in re.findall(r"^ext #\d+: (\S+)$", out, re.M)]
    check(rc == 0 and len(values) == 5, "foreign_pub: 5 messages of the foreign PUB socket "
          "arrive as the stream ext", out + err)
    # The publisher's temperatures are 20.5..21.5; its pressures (about
    # 1013) are under another topic, which the relay does not subscribe to.
    check(values and all(20.5 <= v <= 21.5 for v in values),
          "foreign_pub: only the topic relayed, payloads as published", values)
    stop_all([relay, pub], "foreign_pub")


def test_config():
    lab = os.path.join(SRC, "examples", "config_server", "lab.json")
    s = Server([prog("config-server"), "--config", lab, "--rpc", ipc("c-r"),
                "--stream", ipc("c-s")])
    if not check(s.first is not None, "config_server: the server starts from lab.json",
                 s.errors()):
        return
    streams = streams_json(ipc("c-r"), ipc("c-s")) or {}
    laser, shutter = streams.get("laser/power", {}), streams.get("shutter/state", {})
    check(laser.get("enabled") is True and laser.get("hz") == 5
          and laser.get("description", {}).get("unit") == "mW"
          and shutter.get("enabled") is False,
          "config_server: the file's streams, rates, descriptions and enabled flags", streams)
    rc, out, err = run([CLI, "--rpc", ipc("c-r"), "list", "--json"])
    named = json.loads(out).get("named_calls", {}) if rc == 0 else {}
    check(sorted(named) == ["close_shutter", "laser_low", "open_shutter"],
          "config_server: the file's named calls are served", out + err)
    rc1, out1, err1 = run([CLI, "--rpc", ipc("c-r"), "call-named", "open_shutter"])
    rc2, out2, err2 = run([CLI, "--rpc", ipc("c-r"), "call", "shutter", "state"])
    check(rc1 == 0 and rc2 == 0 and out2.strip() == "1",
          "config_server: a named call of the file works (the shutter opens)",
          out1 + err1 + out2 + err2)
    stop_all([s], "config_server")
    # A file with a mistake: refused with the entry named, nothing served.
    bad = os.path.join(TMP, "bad.json")
    with open(lab) as f:
        config = json.load(f)
    config["streams"]["laser/power"]["hz"] = 0
    with open(bad, "w") as f:
        json.dump(config, f)
    rc, out, err = run([prog("config-server"), "--config", bad, "--rpc", ipc("c2-r"),
                        "--stream", ipc("c2-s")])
    check(rc == 1 and "streams.laser/power" in err and "hz" in err,
          "config_server: a bad file is refused, naming the entry", (rc, out, err))


def test_async():
    north = Server([prog("station-server"), "--rpc", ipc("n-r"), "--stream", ipc("n-s"),
                    "--name", "north", "--hz", "20"])
    south = Server([prog("station-server"), "--rpc", ipc("s-r"), "--stream", ipc("s-s"),
                    "--name", "south", "--hz", "20"])
    if not check(north.first is not None and south.first is not None,
                 "async_clients: two stations start", north.errors() + south.errors()):
        return
    rc, out, err = run([prog("async-clients"), "--server", "%s,%s" % (ipc("n-r"), ipc("n-s")),
                        "--server", "%s,%s" % (ipc("s-r"), ipc("s-s")), "--count", "5"])
    check(rc == 0, "async_clients: the client finishes with both stations", out + err)
    got = dict(re.findall(r"^(north|south) \(.*\): info answered, (\d+) readings$", out, re.M))
    check(set(got) == {"north", "south"} and all(int(v) >= 5 for v in got.values()),
          "async_clients: replies and stream messages of both stations on one main loop", out)
    stop_all([north, south], "async_clients")


def test_daq():
    s = Server([prog("daq-server"), "--rpc", ipc("d-r"), "--stream", ipc("d-s")])
    if not check(s.first is not None, "daq_waveform: the server starts", s.errors()):
        return
    rc, out, err = run([prog("daq-client"), "--rpc", ipc("d-r"), "--stream", ipc("d-s"),
                        "--count", "3"])
    check(rc == 0 and "daq/waveform: 1000 samples, 1 us apart" in out,
          "daq_waveform: the client reads the waveform's description", out + err)
    waves = re.findall(r"^waveform (\d+): 1000 samples over 1000 us, min (\S+) V, max (\S+) V",
                       out, re.M)
    seqs = [int(w[0]) for w in waves]
    check(len(waves) == 3 and seqs == sorted(set(seqs))
          and all(-5.1 <= float(w[1]) < 0 < float(w[2]) <= 5.1 for w in waves),
          "daq_waveform: 3 waveforms pushed from the acquisition thread, 1000 samples within "
          "+-5.1 V", out)
    stop_all([s], "daq_waveform")


def test_camera():
    what = "camera_viewer"
    if not GUI:
        skip(what, "built without the GTK client (-Dgui=disabled or no GTK 4)")
        return
    xvfb = shutil.which("xvfb-run")
    if xvfb is None:
        check(False, what + ": xvfb-run is installed (Debian packages xvfb, xauth)")
        return
    s = Server([prog("camera-server"), "--rpc", ipc("cam-r"), "--stream", ipc("cam-s")])
    if not check(s.first is not None, what + ": the camera server starts", s.errors()):
        return
    before = (streams_json(ipc("cam-r"), ipc("cam-s")) or {}).get("camera/frames", {})
    check(before.get("enabled") is False and before.get("stats", {}).get("sent") == 0,
          what + ": with no viewer the camera stream is off and has sent nothing", before)
    env = dict(os.environ, GDK_BACKEND="x11", GSK_RENDERER="cairo", GTK_A11Y="none",
               NO_AT_BRIDGE="1")
    supp = os.path.join(SRC, "tests", "lsan.supp")
    env["LSAN_OPTIONS"] = ":".join(filter(None, [os.environ.get("LSAN_OPTIONS"),
                                                 "suppressions=" + supp,
                                                 "print_suppressions=0"]))
    rc, out, err = run([xvfb, "-a", "-s", "-screen 0 1280x1024x24", "timeout", "-k", "5",
                        str(BOUND * 3), prog("camera-viewer"), "--rpc", ipc("cam-r"),
                        "--stream", ipc("cam-s"), "--frames", "10"],
                       timeout=BOUND * 3 + 30, env=env)
    m = re.search(r"disabled camera/frames after (\d+) frames", out)
    check(rc == 0 and "enabled camera/frames" in out and m is not None and int(m.group(1)) >= 10,
          what + ": the viewer enables the stream on open, shows 10 frames, disables on close",
          out + err)
    after = (streams_json(ipc("cam-r"), ipc("cam-s")) or {}).get("camera/frames", {})
    check(after.get("enabled") is False and after.get("stats", {}).get("sent", 0) >= 10,
          what + ": the server sent frames while the window was open, and is off again", after)
    rc, out, err = run([CLI, "--rpc", ipc("cam-r"), "call", "camera", "frames_taken"])
    check(rc == 0 and int(out.strip() or 0) >= 10,
          what + ": the camera took frames only for the viewer", out + err)
    stop_all([s], what)


def main():
    tests = [test_help, test_stage, test_recorder, test_temperature, test_cascade,
             test_foreign, test_config, test_async, test_daq, test_camera]
    try:
        for t in tests:
            try:
                t()
            except Exception as e:  # a broken step fails, the others still run
                check(False, "%s raised %s" % (t.__name__, type(e).__name__), repr(e))
    finally:
        for s in _started:
            if s.p.poll() is None:
                s.p.kill()
                s.p.wait()
        shutil.rmtree(TMP, ignore_errors=True)
    print("1..%d" % _n)
    return 1 if _failed else 0


if __name__ == "__main__":
    sys.exit(main())
