"""python/examples/scan.py against a demo server: it scans, records and
writes its CSV."""
import csv
import os
import subprocess
import sys


def test_scan_example(demo, tmp_path):
    script = os.path.join(os.environ["OL_PYTHON_SRC"], "examples", "scan.py")
    out_csv = tmp_path / "scan.csv"
    env = dict(os.environ, PYTHONPATH=os.environ["OL_PYTHON_SRC"])
    r = subprocess.run([sys.executable, script, "--rpc", demo.rpc, "--stream", demo.stream,
                        "--steps", "4", "--csv", str(out_csv)],
                       capture_output=True, text=True, timeout=120, env=env)
    assert r.returncode == 0, r.stderr
    assert "x =  30.00 mm" in r.stdout and "sensor/sine: received" in r.stdout
    rows = list(csv.reader(open(out_csv)))
    assert rows[0] == ["target_mm", "position_mm", "temperature_degC", "timestamp_ns"]
    assert [float(r[1]) for r in rows[1:]] == [0.0, 10.0, 20.0, 30.0]
    assert all(5 < float(r[2]) < 60 for r in rows[1:])
