#!/usr/bin/env bash
# The CLIs that are clients of the public API (ccgpu, ccgpu-policy, ccgpu-party) link libccgpu.so as an
# application does (issue 12, branch api): each names libccgpu.so.0 among its NEEDED libraries and
# carries none of the library's code itself (no ccg_* function defined in the executable), so it can
# only reach what libccgpu.map exports. TAP output.
# usage: test_tools_link.sh LIBCCGPU EXECUTABLE...
set -uo pipefail
lib="$1"
shift
. "$(dirname "$0")/tap.sh"
tap_require_tool readelf
tap_require_tool nm
soname="$(readelf -d "$lib" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')"
check "libccgpu has a SONAME" test -n "$soname"
for exe in "$@"; do
  name="$(basename "$exe")"
  check "$name needs $soname" bash -c 'readelf -d "$1" | grep -F "(NEEDED)" | grep -qF "[$2]"' _ "$exe" "$soname"
  # (output captured first: grep -q closing the pipe early would fail the pipeline under pipefail)
  defined="$(nm --defined-only "$exe" | awk '$2 ~ /^[TtDdBbRr]$/ && $3 ~ /^ccg_/ {print $3}')"
  check "$name defines no library function (it calls libccgpu's)" test -z "$defined"
  [ -z "$defined" ] || echo "$defined" | head -5 | sed 's/^/# defined: /'
done
tap_done
