#!/usr/bin/env python3
"""A scripted stage scan against oneliner-demo-server: moves axis 1 in steps,
records the position the stage reports and the temperature sensor at each
step, shows the sine stream live as a text plot meanwhile, and writes the
scan as CSV.

    oneliner-demo-server --speed 0 &
    python3 scan.py [--rpc tcp://localhost:5555] [--stream tcp://localhost:5556] [--csv scan.csv]
"""
import argparse
import csv
import sys

import oneliner


def text_plot(values, lo=-1.0, hi=1.0, width=41):
    """One text line per value: a '*' where it falls between lo and hi."""
    for v in values:
        k = round((min(max(v, lo), hi) - lo) / (hi - lo) * (width - 1))
        yield f"{v:+.3f} |" + " " * k + "*" + " " * (width - 1 - k) + "|"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rpc", default=oneliner.DEFAULT_RPC)
    ap.add_argument("--stream", default=oneliner.DEFAULT_STREAM)
    ap.add_argument("--csv", default=None, help="write the scan here")
    ap.add_argument("--steps", type=int, default=11)
    a = ap.parse_args()

    with oneliner.Client(a.rpc, a.stream, timeout=5.0) as c:
        desc = c.streams()["sensor/temperature"].get("description", {})
        unit = desc.get("unit", "")
        c.configure_stream("sensor/temperature", "cache")
        c.configure_stream("sensor/sine", "queue", depth=100)
        rows = []
        for i in range(a.steps):
            target = 10.0 * i
            c.call("stage", "move_to", 1, target)
            pos = c.call("stage", "position", 1)
            t = c.get_stream("sensor/temperature")         # the latest value
            flag = " ALARM" if t.alarm else " WARNING" if t.warning else ""
            rows.append((target, pos, t.value, t.timestamp))
            print(f"x = {pos:6.2f} mm   T = {t.value:.3f} {unit}{flag}")
            sine = [m.value for m in c.pop("sensor/sine", -5, timeout=1.0)]
            for line in text_plot(sine):
                print("        " + line)
        c.call_named("home_all")
        k = c.counters("sensor/sine")
        print(f"sensor/sine: received {k.received}, missed {k.missed}, "
              f"overflowed {k.overflowed}")
    if a.csv:
        with open(a.csv, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["target_mm", "position_mm", f"temperature_{unit}", "timestamp_ns"])
            w.writerows(rows)
        print(f"wrote {len(rows)} rows to {a.csv}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
