#!/bin/sh
# Every program's --version: "PROGRAM VERSION (protocol N)", VERSION the
# project's (meson.build), exit status 0. TAP output.
#
# Arguments: VERSION, then PROGRAM_PATH... (tests/meson.build).
set -u
version=$1; shift
n=0
failed=0
for prog in "$@"; do
  name=$(basename "$prog")
  n=$((n + 1))
  out=$("$prog" --version 2>&1); rc=$?
  if [ $rc -eq 0 ] && echo "$out" | grep -qx "$name $version (protocol [0-9][0-9]*)"; then
    echo "ok $n - $name --version prints \"$out\""
  else
    failed=1
    echo "not ok $n - $name --version (exit $rc)"
    echo "$out" | sed 's/^/#   /'
  fi
done
echo "1..$n"
exit $failed
