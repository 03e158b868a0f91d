#!/usr/bin/env bash
# The demo of `./run demo`: starts oneliner-demo-server on a free loopback
# port, runs a short client session against it with the oneliner command,
# then stops the server with SIGINT. Usage: tools/demo.sh BUILD_DIR
set -euo pipefail
build=${1:-build}
server="$build/tools/oneliner-demo-server"
cli="$build/tools/oneliner"
out=$(mktemp)
trap 'kill -TERM "$pid" 2>/dev/null || true; rm -f "$out"' EXIT

"$server" --rpc 'tcp://127.0.0.1:*' --stream 'tcp://127.0.0.1:*' --speed 200 >"$out" &
pid=$!
for _ in $(seq 100); do
  grep -q 'serving' "$out" && break
  kill -0 "$pid" 2>/dev/null || { cat "$out"; echo "demo: server failed to start" >&2; exit 1; }
  sleep 0.05
done
rpc=$(sed -n 's/.*serving rpc \([^ ]*\).*/\1/p' "$out")
stream=$(sed -n 's/.*serving rpc [^ ]* stream \([^ ]*\).*/\1/p' "$out")
echo "demo server pid $pid, rpc $rpc, stream $stream"

step() {
  echo
  echo "\$ oneliner $*"
  "$cli" --rpc "$rpc" --stream "$stream" "$@" || echo "(exit status $?)"
}
step version
step list
step call stage move_to '[1, 12.5]'
step call stage move_to '[]' '{"axis": 2, "mm": 40}'
step call stage position '[1]'
step call stage describe
step call stage move_to '[1, 150]'
step call stage move_to '["x", 1]'
step call-named home_all
step call stage position '[2]'
step streams
step echo sensor/temperature --count 3
step enable camera/frames
step hz camera/frames --duration 3
step disable camera/frames
step call camera frames_made
step echo events/log --count 2 --timeout 3000 &
echo_pid=$!
sleep 0.5   # let echo subscribe before the moves it should show
"$cli" --rpc "$rpc" call stage move_to '[3, 5]' >/dev/null
"$cli" --rpc "$rpc" call stage move_to '[3, 10]' >/dev/null
wait "$echo_pid"

echo
echo "stopping the demo server (SIGINT)"
kill -INT "$pid"
wait "$pid"
cat "$out" | tail -1
trap - EXIT
rm -f "$out"
