#!/bin/sh
# What is installed besides the library and programs (data/): the man pages
# render without warnings and name every option of their program's --help;
# each example configuration file is loaded by the program it is for, which
# then stops cleanly on SIGTERM; the systemd units pass `systemd-analyze
# verify` and the desktop file `desktop-file-validate` where these tools are
# installed (skipped, with the reason, where not). TAP output.
#
# Environment (tests/meson.build): OL_BUILD_DIR, the build root;
# OL_SOURCE_DIR, the source root; OL_GUI, "yes" if oneliner-gui is built.
set -u

build=${OL_BUILD_DIR:?the build root}
src=${OL_SOURCE_DIR:?the source root}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/oneliner-data.XXXXXX") \
  || { echo "Bail out! mktemp -d failed"; exit 1; }
pids=
cleanup () {
  for p in $pids; do kill "$p" 2> /dev/null; done
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

n=0
failed=0
ok () { n=$((n + 1)); echo "ok $n - $1"; }
skip () { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }
not_ok () {
  n=$((n + 1)); failed=1; echo "not ok $n - $1"
  if [ -s "$tmp/log" ]; then sed 's/^/#   /' "$tmp/log"; fi
}

oneliner=$build/tools/oneliner
programs="oneliner:$build/tools/oneliner
oneliner-demo-server:$build/tools/oneliner-demo-server
oneliner-relay:$build/oneliner-relay"
if [ "${OL_GUI:-no}" = yes ]; then
  programs="$programs
oneliner-gui:$build/gui_demo/oneliner-gui"
fi

# --- Man pages.
for entry in $programs; do
  name=${entry%%:*}
  prog=${entry#*:}
  page=$build/data/$name.1
  if [ ! -f "$page" ]; then
    : > "$tmp/log"; not_ok "man page $name.1 is built"; continue
  fi
  LC_ALL=C.UTF-8 groff -man -Tutf8 -ww -z "$page" > "$tmp/log" 2>&1
  if [ $? -eq 0 ] && [ ! -s "$tmp/log" ]; then
    ok "groff -man -ww renders $name.1 without warnings"
  else
    not_ok "groff -man -ww renders $name.1 without warnings"
  fi
  if command -v man > /dev/null 2>&1; then
    MANWIDTH=80 LC_ALL=C.UTF-8 man --warnings -l "$page" > "$tmp/out" 2> "$tmp/log"
    if [ $? -eq 0 ] && [ ! -s "$tmp/log" ] && grep -q "^NAME" "$tmp/out"; then
      ok "man -l renders $name.1 without warnings"
    else
      not_ok "man -l renders $name.1 without warnings"
    fi
  else
    skip "man -l renders $name.1" "man is not installed"
  fi
  # Every long option of --help (GApplication's own aside) is in the page,
  # where a hyphen is written \-.
  missing=
  for opt in $("$prog" --help 2> /dev/null | grep -o -- '--[a-z][a-z-]*' | sort -u); do
    case $opt in --help-*|--gapplication-*) continue ;; esac
    esc=$(printf '%s' "$opt" | sed 's/-/\\\\-/g')
    grep -q -- "$esc" "$page" || missing="$missing $opt"
  done
  if [ -z "$missing" ]; then
    ok "$name.1 names every option of $name --help"
  else
    echo "missing:$missing" > "$tmp/log"
    not_ok "$name.1 names every option of $name --help"
  fi
done
for section in NAME SYNOPSIS DESCRIPTION OPTIONS "EXIT STATUS" FILES ENVIRONMENT EXAMPLES "SEE ALSO"; do
  : > "$tmp/log"
  for entry in $programs; do
    name=${entry%%:*}
    grep -q "^\.SH \"\{0,1\}$section\"\{0,1\}\$" "$build/data/$name.1" 2> /dev/null \
      || echo "$name.1 lacks $section" >> "$tmp/log"
  done
  if [ -s "$tmp/log" ]; then not_ok "every man page has a $section section"
  else ok "every man page has a $section section"; fi
done

# --- Example configuration files: each loaded by its program, on ipc
# endpoints of this test, key files made here; then a clean stop.
# run_config NAME PROGRAM FILE: starts PROGRAM --config FILE, waits for its
# "serving" line, stops it with SIGTERM, expects exit 0 and "stopped".
run_config () {
  desc=$1 prog=$2 file=$3
  # Emptied here, before the program starts: its own redirection may come
  # after the first look below.
  : > "$tmp/out"
  "$prog" --config "$file" > "$tmp/out" 2> "$tmp/err" &
  pid=$!
  pids="$pids $pid"
  i=0
  while ! grep -q ': serving rpc' "$tmp/out" && kill -0 "$pid" 2> /dev/null; do
    i=$((i + 1))
    [ $i -gt 600 ] && break
    sleep 0.1
  done
  serving=no
  grep -q ': serving rpc' "$tmp/out" && serving=yes
  kill -TERM "$pid" 2> /dev/null
  wait "$pid"
  rc=$?
  cat "$tmp/out" "$tmp/err" > "$tmp/log"
  if [ $serving = yes ] && [ $rc -eq 0 ] && grep -q ': stopped' "$tmp/out"; then
    ok "$desc"
  else
    echo "exit status $rc" >> "$tmp/log"
    not_ok "$desc"
  fi
}
mkdir "$tmp/keys"
"$oneliner" keygen "$tmp/keys/relay" > /dev/null 2>&1 \
  && "$oneliner" keygen "$tmp/keys/lab1" > /dev/null 2>&1 \
  && "$oneliner" keygen "$tmp/keys/client" > /dev/null 2>&1 \
  || echo "Bail out! oneliner keygen failed"
echo "$(cat "$tmp/keys/client.pub") control client" > "$tmp/keys/authorized_keys"
for f in "$src"/data/examples/*.json; do
  base=$(basename "$f")
  sed -e "s|\"tcp://\*:5555\"|\"ipc://$tmp/$base.rpc\"|" \
      -e "s|\"tcp://\*:5556\"|\"ipc://$tmp/$base.stream\"|" \
      -e "s|/etc/oneliner/keys/|$tmp/keys/|g" "$f" > "$tmp/$base"
  case $base in
    demo-server*) prog=$build/tools/oneliner-demo-server ;;
    *) prog=$build/oneliner-relay ;;
  esac
  run_config "$(basename "$prog") --config examples/$base serves, then stops on SIGTERM" \
    "$prog" "$tmp/$base"
done

# --- systemd units.
if command -v systemd-analyze > /dev/null 2>&1; then
  for u in oneliner-relay oneliner-demo-server; do
    # ExecStart must name an executable: the built program.
    case $u in
      oneliner-relay) prog=$build/oneliner-relay ;;
      *) prog=$build/tools/oneliner-demo-server ;;
    esac
    mkdir -p "$tmp/units"
    sed "s|^ExecStart=[^ ]*|ExecStart=$prog|" "$build/data/$u.service" > "$tmp/units/$u.service"
    systemd-analyze verify --man=no "$tmp/units/$u.service" > "$tmp/log" 2>&1
    rc=$?
    if [ $rc -eq 0 ] && ! grep -q "$u" "$tmp/log"; then
      ok "systemd-analyze verify $u.service"
    else
      not_ok "systemd-analyze verify $u.service"
    fi
  done
else
  skip "systemd-analyze verify the units" "systemd-analyze is not installed"
fi

# --- Desktop file.
if [ "${OL_GUI:-no}" != yes ]; then
  skip "desktop-file-validate org.oneliner.Gui.desktop" "oneliner-gui is not built"
elif command -v desktop-file-validate > /dev/null 2>&1; then
  desktop-file-validate "$src/data/org.oneliner.Gui.desktop" > "$tmp/log" 2>&1
  if [ $? -eq 0 ] && [ ! -s "$tmp/log" ]; then
    ok "desktop-file-validate org.oneliner.Gui.desktop"
  else
    not_ok "desktop-file-validate org.oneliner.Gui.desktop"
  fi
else
  skip "desktop-file-validate org.oneliner.Gui.desktop" "desktop-file-validate is not installed"
fi

echo "1..$n"
exit "$failed"
