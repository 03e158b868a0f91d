#!/bin/sh
# The Debian packages (debian/): builds them from a copy of the tree with
# `dpkg-buildpackage -us -uc -b` into OUT (default build-deb/), checks what
# each holds (dpkg-deb -c), extracts them all into a temporary root (dpkg -x,
# nothing is installed on the system) and runs the extracted programs'
# --version against the extracted library; runs lintian where it is
# installed (its output is shown; an error fails). TAP output, then
# "N passed, N failed". Run by `./run deb`; needs dpkg-buildpackage.
#
# Usage: tests/deb_test.sh [OUT]
set -u
src=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$src/build-deb}

if ! command -v dpkg-buildpackage > /dev/null 2>&1; then
  echo "1..0 # SKIP dpkg-buildpackage is not installed"
  exit 0
fi
version=$(sed -n "s/^ *version : '\([^']*\)'.*/\1/p" "$src/meson.build" | head -n 1)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/oneliner-deb.XXXXXX") \
  || { echo "Bail out! mktemp -d failed"; exit 1; }
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM

n=0
passed=0
failed=0
ok () { n=$((n + 1)); passed=$((passed + 1)); echo "ok $n - $1"; }
not_ok () {
  n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"
  if [ -s "$tmp/log" ]; then sed 's/^/#   /' "$tmp/log" | tail -n 40; fi
}
# The packages and logs of this run are copied to OUT at the end (two runs
# at once each check their own).
finish () {
  mkdir -p "$out"
  rm -f "$out"/*.deb "$out"/*.changes "$out"/*.buildinfo
  cp "$tmp"/src/*.deb "$tmp"/src/*.buildinfo "$tmp"/src/*.changes "$tmp"/*.log "$out"/ 2> /dev/null
  echo "1..$n"
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ]
  exit $?
}

# --- The version of debian/changelog is the project's.
: > "$tmp/log"
deb_version=$(cd "$src" && dpkg-parsechangelog -S Version 2>> "$tmp/log")
if [ "$deb_version" = "$version" ]; then
  ok "debian/changelog's version is meson.build's ($version)"
else
  echo "debian/changelog: $deb_version, meson.build: $version" >> "$tmp/log"
  not_ok "debian/changelog's version is meson.build's ($version)"
fi

# --- Build, from a copy of the files git knows (committed or not).
tree=$tmp/src/oneliner-$version
mkdir -p "$tree"
(cd "$src" && git ls-files -z --cached --others --exclude-standard \
   | tar --null -T - --ignore-failed-read -cf - 2> /dev/null) | tar -xf - -C "$tree" 2> "$tmp/log" \
  || { not_ok "copy of the source tree"; finish; }
echo "# dpkg-buildpackage -us -uc -b (log: $out/build.log)"
if (cd "$tree" && nice -n 19 dpkg-buildpackage -us -uc -b) > "$tmp/build.log" 2>&1; then
  ok "dpkg-buildpackage -us -uc -b"
else
  tail -n 40 "$tmp/build.log" > "$tmp/log"
  not_ok "dpkg-buildpackage -us -uc -b"
  finish
fi
arch=$(dpkg --print-architecture)
debs=$tmp/src

# --- What each package holds.
# contains PACKAGE PATH...: every PATH (a grep -E pattern on ./PATH) is in it.
contains () {
  pkg=$1; shift
  deb=$debs/${pkg}_${version}_$arch.deb
  : > "$tmp/log"
  if [ ! -f "$deb" ]; then
    echo "no $deb" > "$tmp/log"; not_ok "$pkg is built"; return
  fi
  dpkg-deb -c "$deb" | awk '{print $6}' > "$tmp/contents"
  for p in "$@"; do
    grep -Eq "^\./$p\$" "$tmp/contents" || echo "lacks $p" >> "$tmp/log"
  done
  if [ -s "$tmp/log" ]; then not_ok "$pkg holds $*"; else ok "$pkg holds $*"; fi
}
contains liboneliner0 'usr/lib/[^/]+/liboneliner\.so\.0' 'usr/lib/[^/]+/liboneliner\.so\.0\.1\.0' \
  usr/share/doc/liboneliner0/copyright
contains liboneliner-dev usr/include/oneliner/oneliner.h usr/include/oneliner/version.h \
  'usr/lib/[^/]+/liboneliner\.so' 'usr/lib/[^/]+/pkgconfig/oneliner\.pc'
contains oneliner-tools usr/bin/oneliner usr/bin/oneliner-demo-server usr/bin/oneliner-relay \
  'usr/share/man/man1/oneliner\.1\.gz' 'usr/share/man/man1/oneliner-relay\.1\.gz' \
  'usr/share/man/man1/oneliner-demo-server\.1\.gz' \
  'lib/systemd/system/oneliner-relay\.service' 'lib/systemd/system/oneliner-demo-server\.service' \
  'usr/share/doc/oneliner/examples/relay\.json' 'usr/share/doc/oneliner/examples/demo-server\.json' \
  'usr/share/bash-completion/completions/oneliner'
contains oneliner-gui usr/bin/oneliner-gui 'usr/share/man/man1/oneliner-gui\.1\.gz' \
  'usr/share/applications/org\.oneliner\.Gui\.desktop' \
  'usr/share/icons/hicolor/scalable/apps/org\.oneliner\.Gui\.svg'
: > "$tmp/log"
if dpkg-deb -c "$debs/oneliner-tools_${version}_$arch.deb" 2> "$tmp/log" | grep -q 'liboneliner\.so'; then
  echo "the library is in oneliner-tools" > "$tmp/log"
  not_ok "oneliner-tools does not carry the library"
else
  ok "oneliner-tools does not carry the library"
fi
: > "$tmp/log"
if dpkg-deb -f "$debs/oneliner-tools_${version}_$arch.deb" Depends 2>> "$tmp/log" \
     | grep -q "liboneliner0 (>= $version)"; then
  ok "oneliner-tools depends on liboneliner0 (>= $version)"
else
  dpkg-deb -f "$debs/oneliner-tools_${version}_$arch.deb" Depends >> "$tmp/log" 2>&1
  not_ok "oneliner-tools depends on liboneliner0 (>= $version)"
fi

# --- Extracted, the programs run with the extracted library.
root=$tmp/root
for deb in "$debs"/*_"$version"_"$arch".deb; do dpkg -x "$deb" "$root"; done
libdir=$(dirname "$(find "$root/usr/lib" -name 'liboneliner.so.0' | head -n 1)")
for p in oneliner oneliner-demo-server oneliner-relay oneliner-gui; do
  : > "$tmp/log"
  if LD_LIBRARY_PATH=$libdir "$root/usr/bin/$p" --version > "$tmp/out" 2>> "$tmp/log" \
     && grep -qx "$p $version (protocol [0-9]*)" "$tmp/out"; then
    ok "extracted $p --version: $(cat "$tmp/out")"
  else
    cat "$tmp/out" >> "$tmp/log"
    not_ok "extracted $p --version"
  fi
done
: > "$tmp/log"
if LD_LIBRARY_PATH=$libdir ldd "$root/usr/bin/oneliner" 2>> "$tmp/log" \
     | grep -q "liboneliner\.so\.0 => $libdir/"; then
  ok "the extracted oneliner loads the extracted liboneliner.so.0"
else
  LD_LIBRARY_PATH=$libdir ldd "$root/usr/bin/oneliner" >> "$tmp/log" 2>&1
  not_ok "the extracted oneliner loads the extracted liboneliner.so.0"
fi

# --- lintian.
if command -v lintian > /dev/null 2>&1; then
  changes=$(ls "$debs"/oneliner_"$version"_*.changes | head -n 1)
  lintian --tag-display-limit 0 "$changes" > "$tmp/lintian.log" 2>&1
  sed 's/^/# lintian: /' "$tmp/lintian.log"
  grep '^E: ' "$tmp/lintian.log" > "$tmp/log"
  if [ -s "$tmp/log" ]; then not_ok "lintian reports no error"
  else ok "lintian reports no error ($(grep -c '^W: ' "$tmp/lintian.log") warnings)"; fi
else
  echo "ok $((n = n + 1)) - lintian # SKIP lintian is not installed"
  passed=$((passed + 1))
fi
finish
