#!/usr/bin/env python3
"""The layers of the source tree, checked from its #include lines (TAP).

Bottom to top: core/ (plumbing), router/ and streamer/ (the RPC and the
stream layers, side by side), relay/ and record/ (on top, side by side:
neither includes the other). A file includes nothing of a
layer above its own, and no two files include each other, directly or
through others. Programs, examples, benchmarks and the GUI include only the
public headers (include/oneliner/) and files of their own folder.

Usage: check_layers.py SOURCE_ROOT
"""
import os
import re
import sys

LAYERS = {"core": 0, "router": 1, "streamer": 1, "relay": 2, "record": 2}
PROGRAMS = ["tools", "gui_demo", "examples", "bench"]
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)

root = sys.argv[1]
results = []


def check(ok, name, detail=""):
    results.append((ok, name, detail))


def sources(folder):
    for dirpath, _, files in os.walk(os.path.join(root, folder)):
        for f in sorted(files):
            if f.endswith((".c", ".h")):
                yield os.path.relpath(os.path.join(dirpath, f), root)


def includes(path):
    with open(os.path.join(root, path), encoding="utf-8") as f:
        return INCLUDE.findall(f.read())


# Library layers.
graph = {}
for folder, level in LAYERS.items():
    bad = []
    for path in sources(folder):
        graph[path] = []
        for inc in includes(path):
            top = inc.split("/")[0]
            if top in LAYERS:
                graph[path].append(inc)
                if LAYERS[top] > level:
                    bad.append(f"{path} includes {inc}")
    check(not bad, f"{folder}/ includes no layer above its own", "; ".join(bad))

# Layers side by side on top know nothing of each other.
SIDE_BY_SIDE = ["relay", "record"]
bad = [f"{path} includes {inc}"
       for folder in SIDE_BY_SIDE for path in sources(folder) for inc in includes(path)
       if inc.split("/")[0] in SIDE_BY_SIDE and inc.split("/")[0] != folder]
check(not bad, "relay/ and record/ include nothing of each other", "; ".join(bad))

# Include cycles among library files.
cycles = []
state = {}


def visit(node, stack):
    state[node] = 1
    stack.append(node)
    for nxt in graph.get(node, []):
        # A source file's header counts as the file itself.
        if state.get(nxt) == 1:
            cycles.append(" -> ".join(stack[stack.index(nxt):] + [nxt]))
        elif nxt not in state:
            visit(nxt, stack)
    stack.pop()
    state[node] = 2


for node in sorted(graph):
    if node not in state:
        visit(node, [])
# foo.c including foo.h is no cycle; a .c pair through their headers is.
pairs = set()
for path, incs in graph.items():
    mod = path.rsplit(".", 1)[0]
    for inc in incs:
        other = inc.rsplit(".", 1)[0]
        if other == mod or other.endswith("_private") and other[:-8] == mod:
            continue
        pairs.add((mod, other))
mutual = sorted(f"{a} <-> {b}" for a, b in pairs if (b, a) in pairs and a < b)
check(not cycles and not mutual, "no include cycles in the library",
      "; ".join(cycles + mutual))

# Programs.
for folder in PROGRAMS:
    if not os.path.isdir(os.path.join(root, folder)):
        continue
    bad = []
    for path in sources(folder):
        own = os.path.dirname(path)
        for inc in includes(path):
            if inc.startswith("oneliner/"):
                continue
            if os.path.exists(os.path.join(root, own, inc)):
                continue
            if os.path.dirname(inc) == own and os.path.exists(os.path.join(root, inc)):
                continue
            bad.append(f"{path} includes {inc}")
    check(not bad, f"{folder}/ includes only <oneliner/...> and its own folder",
          "; ".join(bad))

print("TAP version 13")
print(f"1..{len(results)}")
for i, (ok, name, detail) in enumerate(results, 1):
    print(f"{'ok' if ok else 'not ok'} {i} - {name}")
    if not ok:
        print(f"# {detail}")
sys.exit(0 if all(ok for ok, _, _ in results) else 1)
