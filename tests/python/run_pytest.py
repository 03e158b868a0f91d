"""Runs the Python client's pytest suite (this folder) and prints one TAP
line per test on stdout, pytest's own report on stderr.

Usage: python3 run_pytest.py TESTS_DIR [pytest arguments...]
Fails (a "not ok" line) when pyzmq or pytest is missing, never skips.
"""
import os
import sys

real_stdout = sys.stdout
# A copy of the original stdout: pytest's capture redirects descriptor 1
# while tests run, the TAP lines must not follow it.
tap_fd = os.dup(1)


def tap(line):
    os.write(tap_fd, (line + "\n").encode())


def tap_name(nodeid):
    """A test's id as one printable line of at most 200 characters."""
    name = "".join(ch if ch.isprintable() and ch != "#" else "?" for ch in nodeid)
    return name if len(name) <= 200 else name[:197] + "..."


def main():
    here = sys.argv[1]
    try:
        import pytest
        import zmq  # noqa: F401  (the package's only dependency)
    except ImportError as e:
        tap(f"not ok 1 - python: {e} (install python3-zmq and python3-pytest; "
            f"interpreter {sys.executable})")
        tap("1..1")
        return 1

    class Tap:
        def __init__(self):
            self.n = 0

        def pytest_runtest_logreport(self, report):
            if report.when == "call" or (report.when == "setup" and not report.passed):
                self.n += 1
                name = tap_name(report.nodeid)
                if report.passed:
                    tap(f"ok {self.n} - {name}")
                elif report.skipped:
                    tap(f"not ok {self.n} - {name} (skipped: a test here never skips)")
                else:
                    tap(f"not ok {self.n} - {name}")
            elif report.when == "teardown" and report.failed:
                self.n += 1
                tap(f"not ok {self.n} - {tap_name(report.nodeid)} (teardown)")

        def pytest_sessionfinish(self, session, exitstatus):
            if self.n == 0:
                self.n = 1
                tap(f"not ok 1 - pytest collected or ran no test (exit status {exitstatus})")
            tap(f"1..{self.n}")

    plugin = Tap()
    sys.stdout = sys.stderr   # pytest's report goes to stderr
    try:
        rc = pytest.main(["-p", "no:cacheprovider", "-v", "-rf", here] + sys.argv[2:],
                         plugins=[plugin])
    finally:
        sys.stdout = real_stdout
    return 0 if rc == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
