#!/usr/bin/env python3
"""Compares the dynamic symbols a shared library exports with a list kept in
the repository (tests/exports.list: one symbol a line, sorted bytewise), and
checks that every exported symbol is public API: it starts with ol_, not
ol__. TAP output; differences are shown as added and missing symbols.

Usage: check_exports.py LIBRARY LIST   (nm is $NM, else nm from PATH)

After a deliberate change of the public API, regenerate the list with
  nm -D --defined-only build/liboneliner.so | awk '{print $3}' | LC_ALL=C sort
"""
import os
import shlex
import shutil
import subprocess
import sys

# Defined by the linker in some toolchains, not by the library's code.
LINKER_SYMBOLS = {"_init", "_fini", "_edata", "_end", "__bss_start"}


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    library, list_path = sys.argv[1], sys.argv[2]
    list_name = os.path.join(os.path.basename(os.path.dirname(list_path)),
                             os.path.basename(list_path))
    print("1..4")

    nm = shlex.split(os.environ.get("NM", "")) or [shutil.which("nm") or "nm"]
    try:
        out = subprocess.run(nm + ["-D", "--defined-only", library],
                             capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError) as e:
        print(f"Bail out! {' '.join(nm)} -D --defined-only {library}: "
              f"{getattr(e, 'stderr', None) or e}".rstrip())
        return 1
    exported = set()
    for line in out.splitlines():
        fields = line.split()
        if len(fields) >= 2 and fields[-1] not in LINKER_SYMBOLS:
            exported.add(fields[-1])
    print(f"ok 1 - nm lists the dynamic symbols of {os.path.basename(library)}"
          f" ({len(exported)} exported)")

    with open(list_path, encoding="utf-8") as f:
        listed = [l.rstrip("\n") for l in f]
    bad = [l for l in listed if not l or l != l.strip() or " " in l]
    unsorted = listed != sorted(listed) or len(set(listed)) != len(listed)
    if bad or unsorted:
        print(f"not ok 2 - {list_name} is one symbol a line, sorted, "
              "without duplicates")
        for l in bad:
            print(f"#   bad line: {l!r}")
        if unsorted:
            print(f"#   not sorted bytewise or with duplicates "
                  f"(LC_ALL=C sort -u {list_name})")
    else:
        print(f"ok 2 - {list_name} is one symbol a line, sorted, "
              f"without duplicates ({len(listed)} symbols)")

    private = sorted(s for s in exported
                     if not s.startswith("ol_") or s.startswith("ol__"))
    if private:
        print("not ok 3 - only public ol_ symbols are exported")
        print("#   exported, but not public API (mark only ol_ functions "
              "of include/oneliner/ with OL_API):")
        for s in private:
            print(f"#     {s}")
    else:
        print("ok 3 - only public ol_ symbols are exported")

    added = sorted(exported - set(listed))
    missing = sorted(set(listed) - exported)
    if added or missing:
        print(f"not ok 4 - the exported symbols are those of {list_name}")
        if added:
            print(f"#   added (exported, not in {list_name}):")
            for s in added:
                print(f"#   + {s}")
        if missing:
            print(f"#   missing (in {list_name}, not exported):")
            for s in missing:
                print(f"#   - {s}")
    else:
        print(f"ok 4 - the exported symbols are those of {list_name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
