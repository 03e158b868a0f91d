#!/usr/bin/env python3
"""README's complete programs: each fenced C block after a line
`<!-- complete program: NAME.c -->` is built against this build's library
and the server and client run together on an ipc endpoint (TAP output).

Usage: readme_programs.py SOURCE_ROOT BUILD_ROOT [B_SANITIZE]"""
import os
import re
import select
import shutil
import shlex
import signal
import subprocess
import sys
import tempfile
import time

src, build = sys.argv[1], sys.argv[2]
sanitize = sys.argv[3] if len(sys.argv) > 3 else "none"
tests = 0
tmp = None


def ok(good, what):
    global tests
    tests += 1
    print(("ok %d - %s" if good else "not ok %d - %s") % (tests, what), flush=True)
    return good


def finish():
    if tmp is not None:
        shutil.rmtree(tmp, ignore_errors=True)
    print("1..%d" % tests, flush=True)
    sys.exit(0)


readme = open(os.path.join(src, "README.md"), encoding="utf-8").read()
programs = dict(re.findall(r"<!-- complete program: ([\w.-]+\.c) -->\n```c\n(.*?)```\n",
                           readme, re.S))
if not ok(set(programs) >= {"hello-server.c", "hello-client.c"},
          "README marks hello-server.c and hello-client.c as complete programs"):
    finish()

cc = shlex.split(os.environ.get("CC", "cc"))
flags = subprocess.run(["pkg-config", "--cflags", "--libs", "glib-2.0", "gio-2.0", "jansson"],
                       capture_output=True, text=True, check=True).stdout.split()
san = [] if sanitize in ("", "none") else ["-fsanitize=" + sanitize]
tmp = tempfile.mkdtemp(prefix="oneliner-readme-")
built = {}
for name, code in sorted(programs.items()):
    path = os.path.join(tmp, name)
    with open(path, "w", encoding="utf-8") as f:
        f.write(code)
    exe = path[:-2]
    r = subprocess.run(cc + ["-std=c11", "-Wall", "-Wextra", "-Werror", "-o", exe, path,
                             "-I" + os.path.join(build, "include"), "-I" + os.path.join(src, "include"), "-L" + build, "-loneliner",
                             "-Wl,-rpath," + build] + san + flags,
                       capture_output=True, text=True, timeout=120)
    if ok(r.returncode == 0, "%s builds without a warning" % name):
        built[name] = exe
    else:
        sys.stdout.write("".join("# " + l + "\n" for l in (r.stdout + r.stderr).splitlines()))
if len(built) < 2:
    finish()

rpc = "ipc://" + os.path.join(tmp, "rpc")
stream = "ipc://" + os.path.join(tmp, "stream")
server = subprocess.Popen([built["hello-server.c"], rpc, stream], stdout=subprocess.PIPE,
                          text=True)
line = ""
deadline = time.monotonic() + 10
while "serving" not in line and time.monotonic() < deadline:
    ready, _, _ = select.select([server.stdout], [], [], max(0, deadline - time.monotonic()))
    if not ready:
        break
    line = server.stdout.readline()
    if line == "":
        break
if ok("serving " + rpc in line, "hello-server serves: %r" % line.strip()):
    r = subprocess.run([built["hello-client.c"], rpc], capture_output=True, text=True, timeout=30)
    ok(r.returncode == 0 and r.stdout == "amplify(1.5) = 3\n",
       "hello-client prints amplify(1.5) = 3: %r %r" % (r.stdout, r.stderr))
    r = subprocess.run([built["hello-client.c"], "foo"], capture_output=True, text=True,
                       timeout=30)
    ok(r.returncode == 1, "hello-client fails on a malformed endpoint, exit 1: %r" % r.stderr)
server.send_signal(signal.SIGTERM)
try:
    status = server.wait(timeout=10)
except subprocess.TimeoutExpired:
    server.kill()
    status = server.wait(timeout=10)
ok(status == 0, "hello-server stops on SIGTERM with exit 0 (%d)" % status)
finish()
