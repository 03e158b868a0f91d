#!/bin/sh
# Out-of-tree build: installs the build into a temporary root, then builds the
# oneliner command and the hello example against it with
# `pkg-config --cflags --libs oneliner` alone, as a program outside this tree
# would, and runs the command; finds the installed man pages through MANPATH
# and checks the programs and data installed. Also checks that each installed header
# compiles alone (tests/check_layers.py checks that programs include no
# private header). TAP output.
#
# Environment (tests/meson.build): OL_BUILD_DIR, the build root; OL_SOURCE_DIR,
# the source root; MESON, the meson command; OL_SANITIZE, the build's
# b_sanitize (programs linking a sanitized library are built the same way);
# CC, the compiler (default cc).
#
# Everything is written in a fresh temporary directory, removed at exit
# (meson install itself rewrites its log, meson-logs/install-log.txt, in the
# build root).
set -u

build=${OL_BUILD_DIR:?the build root}
src=${OL_SOURCE_DIR:?the source root}
meson=${MESON:-meson}
cc=${CC:-cc}
san=
case ${OL_SANITIZE:-none} in none|'') ;; *) san=-fsanitize=$OL_SANITIZE ;; esac

tmp=$(mktemp -d "${TMPDIR:-/tmp}/oneliner-install.XXXXXX") \
  || { echo "Bail out! mktemp -d failed"; exit 1; }
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM

n=0
failed=0
ok () { n=$((n + 1)); echo "ok $n - $1"; }
not_ok () {
  n=$((n + 1)); failed=1; echo "not ok $n - $1"
  if [ -s "$tmp/log" ]; then sed 's/^/#   /' "$tmp/log"; fi
}
# check DESCRIPTION COMMAND...: one TAP line; the command's output on failure.
check () {
  desc=$1; shift
  if "$@" > "$tmp/log" 2>&1; then ok "$desc"; else not_ok "$desc"; fi
}
bail () { echo "Bail out! $1"; exit 1; }

# --- Install.
dest=$tmp/dest
# shellcheck disable=SC2086 # MESON may be a command with arguments
if $meson install -C "$build" --destdir "$dest" --no-rebuild --quiet \
     > "$tmp/log" 2>&1; then
  ok "meson install --destdir into a temporary directory"
else
  not_ok "meson install --destdir into a temporary directory"
  bail "meson install failed"
fi

pc=$(find "$dest" -path '*/pkgconfig/oneliner.pc' | head -n 1)
[ -n "$pc" ] || bail "no pkgconfig/oneliner.pc installed under $dest"
prefix=$(sed -n 's/^prefix=//p' "$pc")
root=$dest$prefix
# The installed oneliner.pc with its prefix moved into the temporary tree.
# (pkg-config --define-variable=prefix=... or --define-prefix would move the
# prefix of the packages it requires as well: glib-2.0's headers would be
# looked for in the temporary tree too.)
mkdir "$tmp/pkgconfig"
sed "s|^prefix=.*|prefix=$root|" "$pc" > "$tmp/pkgconfig/oneliner.pc"
PKG_CONFIG_PATH=$tmp/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}
export PKG_CONFIG_PATH

: > "$tmp/log"
requires=$(pkg-config --print-requires oneliner 2> "$tmp/log" | awk '{print $1}')
missing=
for r in glib-2.0 gio-2.0 libzmq jansson; do
  echo "$requires" | grep -qx "$r" || missing="$missing $r"
done
if [ -z "$missing" ]; then
  ok "oneliner.pc requires glib-2.0, gio-2.0, libzmq and jansson"
else
  echo "Requires lacks$missing" >> "$tmp/log"
  not_ok "oneliner.pc requires glib-2.0, gio-2.0, libzmq and jansson"
fi

flags=$(pkg-config --cflags --libs oneliner 2> "$tmp/log") \
  || bail "pkg-config --cflags --libs oneliner: $(cat "$tmp/log")"
libdir=$(pkg-config --variable=libdir oneliner)
includedir=$(pkg-config --variable=includedir oneliner)
case " $flags " in
  *" -I$root/"*" -L$root/"*) ok "pkg-config flags point into the installed tree" ;;
  *) echo "$flags" > "$tmp/log"; not_ok "pkg-config flags point into the installed tree" ;;
esac

# --- Each installed header compiles alone.
for h in "$includedir"/oneliner/*.h; do
  name=oneliner/$(basename "$h")
  printf '#include <%s>\n' "$name" > "$tmp/header.c"
  # shellcheck disable=SC2086 # flags are words
  check "installed <$name> compiles alone" \
    $cc $san -Wall -Wextra -Werror -fsyntax-only "$tmp/header.c" $flags
done

# --- Programs built against the installed library.
# shellcheck disable=SC2086
check "tools/oneliner*.c build with pkg-config --cflags --libs oneliner" \
  $cc $san -o "$tmp/oneliner" "$src/tools/oneliner.c" "$src/tools/oneliner_desc.c" \
  "$src/tools/oneliner_record.c" "$src/tools/oneliner_top.c" "$src/tools/oneliner_watch.c" $flags
# shellcheck disable=SC2086
check "examples/hello/server.c builds the same way" \
  $cc $san -o "$tmp/hello-server" "$src/examples/hello/server.c" $flags
# shellcheck disable=SC2086
check "examples/hello/client.c builds the same way" \
  $cc $san -o "$tmp/hello-client" "$src/examples/hello/client.c" $flags
# The other examples too (the camera viewer with GTK 4, where it is installed).
for f in "$src"/examples/*/*.c; do
  case $f in
    */hello/*) continue ;;
    */camera_viewer/client.c) extra=$(pkg-config --cflags --libs gtk4 2> /dev/null) || continue ;;
    *) extra= ;;
  esac
  # shellcheck disable=SC2086
  check "examples/${f#"$src"/examples/} builds the same way" \
    $cc $san -o "$tmp/example" "$f" $flags $extra -lm
done

if [ -x "$tmp/oneliner" ]; then
  : > "$tmp/log"
  if LD_LIBRARY_PATH=$libdir ldd "$tmp/oneliner" > "$tmp/ldd" 2>> "$tmp/log" \
     && grep -q "liboneliner.*=> $libdir/" "$tmp/ldd"; then
    ok "the built oneliner loads the installed liboneliner"
  else
    cat "$tmp/ldd" >> "$tmp/log" 2> /dev/null
    not_ok "the built oneliner loads the installed liboneliner"
  fi
  : > "$tmp/log"
  if LD_LIBRARY_PATH=$libdir "$tmp/oneliner" --help > "$tmp/help" 2>> "$tmp/log" \
     && grep -q '^Usage:' "$tmp/help"; then
    ok "the built oneliner --help runs"
  else
    cat "$tmp/help" >> "$tmp/log"
    not_ok "the built oneliner --help runs"
  fi
fi

# --- Man pages, found through MANPATH; the data installed beside them.
if command -v man > /dev/null 2>&1; then
  : > "$tmp/log"
  found=$(MANPATH=$root/share/man man -w oneliner 2>> "$tmp/log")
  if [ "$found" = "$root/share/man/man1/oneliner.1" ]; then
    ok "man -w oneliner finds the installed page through MANPATH"
  else
    echo "man -w oneliner: $found" >> "$tmp/log"
    not_ok "man -w oneliner finds the installed page through MANPATH"
  fi
  : > "$tmp/log"
  if MANPATH=$root/share/man MANWIDTH=80 LC_ALL=C.UTF-8 man oneliner > "$tmp/man" 2>> "$tmp/log" \
     && grep -q "oneliner - call and inspect a oneliner server" "$tmp/man"; then
    ok "man oneliner shows the installed page"
  else
    head -5 "$tmp/man" >> "$tmp/log"
    not_ok "man oneliner shows the installed page"
  fi
else
  echo "ok $((n = n + 1)) - man oneliner # SKIP man is not installed"
fi
: > "$tmp/log"
for f in bin/oneliner bin/oneliner-demo-server bin/oneliner-relay \
         share/man/man1/oneliner.1 share/man/man1/oneliner-demo-server.1 \
         share/man/man1/oneliner-relay.1 share/doc/oneliner/examples/demo-server.json \
         share/doc/oneliner/examples/relay.json share/bash-completion/completions/oneliner; do
  [ -f "$root/$f" ] || echo "missing: $f" >> "$tmp/log"
done
if [ -s "$tmp/log" ]; then
  not_ok "programs, man pages, example configurations and bash completion installed"
else ok "programs, man pages, example configurations and bash completion installed"; fi
: > "$tmp/log"
if LD_LIBRARY_PATH=$libdir "$root/bin/oneliner" --version > "$tmp/out" 2>> "$tmp/log" \
   && grep -q "^oneliner [0-9][0-9.]* (protocol [0-9]*)$" "$tmp/out"; then
  ok "the installed oneliner --version runs: $(cat "$tmp/out")"
else
  cat "$tmp/out" >> "$tmp/log"
  not_ok "the installed oneliner --version runs"
fi

echo "1..$n"
exit "$failed"
