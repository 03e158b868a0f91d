#!/bin/sh
# The bash completion of oneliner (data/bash-completion/oneliner): sourced
# in bash, its function called as bash calls it (COMP_WORDS, COMP_CWORD)
# completes the commands of `oneliner --help`, the options of each command's
# --help, and the names a live oneliner-demo-server has (streams, instances,
# methods, named calls); with no server it completes no name. TAP output.
#
# Environment (tests/meson.build): OL_BUILD_DIR, the build root;
# OL_SOURCE_DIR, the source root.
set -u

build=${OL_BUILD_DIR:?the build root}
src=${OL_SOURCE_DIR:?the source root}
oneliner=$build/tools/oneliner
completion=$src/data/bash-completion/oneliner

if ! command -v bash > /dev/null 2>&1; then
  echo "1..0 # SKIP bash is not installed"
  exit 0
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/oneliner-completion.XXXXXX") \
  || { echo "Bail out! mktemp -d failed"; exit 1; }
pid=
cleanup () {
  [ -n "$pid" ] && kill "$pid" 2> /dev/null && wait "$pid" 2> /dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

n=0
failed=0
ok () { n=$((n + 1)); echo "ok $n - $1"; }
not_ok () {
  n=$((n + 1)); failed=1; echo "not ok $n - $1"
  if [ -s "$tmp/log" ]; then sed 's/^/#   /' "$tmp/log"; fi
}

# complete WORD...: the completions of the last word, one per line, sorted.
complete_words () {
  bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
           COMPREPLY=(); _oneliner; printf "%s\n" "${COMPREPLY[@]}"' \
    bash "$completion" "$oneliner" "$@" | sed '/^$/d' | LC_ALL=C sort
}

# expect DESCRIPTION EXPECTED WORD...: the completions are EXPECTED (lines).
expect () {
  desc=$1 want=$2
  shift 2
  complete_words "$@" > "$tmp/got"
  printf '%s\n' "$want" | sed '/^$/d' | LC_ALL=C sort > "$tmp/want"
  if cmp -s "$tmp/got" "$tmp/want"; then ok "$desc"
  else
    { echo "expected:"; cat "$tmp/want"; echo "got:"; cat "$tmp/got"; } > "$tmp/log"
    not_ok "$desc"
  fi
}

# --- Commands and options, against the program's own --help.
commands=$("$oneliner" --help | sed -n '/^Commands:/,/^$/s/^  \([a-z-]*\) .*/\1/p; /^Commands:/,/^$/s/^  \([a-z-]*\)$/\1/p')
[ -n "$commands" ] || { echo "Bail out! no command in oneliner --help"; exit 1; }
expect "every command of oneliner --help completes" "$commands" ""
expect "a command completes from its start" "streams" "st"
expect "a global option completes" "--rpc" "--r"
: > "$tmp/log"
for c in $commands; do
  "$oneliner" "$c" --help-all | grep -o -- '--[a-z][a-z-]*' | LC_ALL=C sort -u > "$tmp/want"
  complete_words "$c" "--" | LC_ALL=C sort -u > "$tmp/got"
  missing=$(LC_ALL=C comm -23 "$tmp/want" "$tmp/got" | tr '\n' ' ')
  extra=$(LC_ALL=C comm -13 "$tmp/want" "$tmp/got" | tr '\n' ' ')
  [ -z "$missing$extra" ] || echo "$c: missing $missing; not in --help: $extra" >> "$tmp/log"
done
if [ -s "$tmp/log" ]; then not_ok "each command completes exactly the options of its --help-all"
else ok "each command completes exactly the options of its --help-all"; fi
expect "echo's options after the command" "--short
--secret-key
--server-key
--stream" "echo" "--s"

# --- Names from a live server.
"$build/tools/oneliner-demo-server" --rpc "ipc://$tmp/rpc" --stream "ipc://$tmp/stream" \
  > "$tmp/server" 2>&1 &
pid=$!
i=0
while ! grep -q ': serving rpc' "$tmp/server" && kill -0 "$pid" 2> /dev/null; do
  i=$((i + 1))
  [ $i -gt 600 ] && break
  sleep 0.1
done
grep -q ': serving rpc' "$tmp/server" || { echo "Bail out! the demo server did not start"; exit 1; }
rpc=ipc://$tmp/rpc
expect "stream names from the server" "sensor/sine
sensor/temperature" --rpc "$rpc" echo sensor/
expect "stream names after options of the command" "stage/positions" \
  --rpc "$rpc" hz --duration 2 st
expect "stream names with the endpoint after the command" "camera/frames" \
  enable --rpc "$rpc" cam
expect "instances for call" "stage" --rpc "$rpc" call st
expect "methods of an instance for call" "move_to" --rpc "$rpc" call stage mov
expect "named calls for call-named" "home_all" --rpc "$rpc" call-named h
ONELINER_RPC=$rpc expect "the server of ONELINER_RPC" "daq/trace" info daq/t
kill "$pid" && wait "$pid" 2> /dev/null
pid=
expect "no server: no names" "" --rpc "ipc://$tmp/none" echo s

echo "1..$n"
exit $failed
