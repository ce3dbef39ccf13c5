#!/usr/bin/env bash
# What ships carries no test hook (issue 12 item 5): libccgpu, as built for
# installing, names no debug or test symbol, neither in its dynamic symbol
# table (nm -D: what a program can call) nor in its full one (nm: the code
# that is in it at all; the build tree's library is not stripped). The test
# hooks live in channel_test_lib only (channel/meson.build, -DCCG_TEST_HOOKS).
# That the shipped data path refuses to seal past its limit is
# tests/integration/test_channel.c (test_release_refuses_past_limit).
# Usage: test_release_symbols.sh LIBCCGPU. TAP output.
set -uo pipefail
lib="$1"
. "$(dirname "$0")/tap.sh"
tap_require_tool nm
# a name part debug, test(s), testing, hook(s), mock or fake ("attest" is not "test")
pattern='(^|_)(debug|tests?|testing|hooks?|mock|fake)(_|$)'
dyn="$(nm -D --defined-only "$lib" | awk 'NF == 3 {print $3}' | sed 's/@.*//')"
# (without libcurl's type-check helpers, _curl_*_err_*: curl/typecheck-gcc.h emits them at -O0)
all="$(nm --defined-only "$lib" 2>/dev/null | awk 'NF == 3 {print $3}' | grep -v '^_curl_')"
tap_plan 4
check "nm -D lists the exported API" grep -qx ccg_channel_open <<<"$dyn"
check "no debug or test symbol in nm -D" bash -c '! grep -E "$1" <<<"$2"' _ "$pattern" "$dyn"
# dp_tx_assign (channel/dp.c, where the sender's limit is checked) is a hidden, internal function:
# absent only from a stripped library (-Dstrip=true), which has no full table to look at; that
# fails rather than pass unlooked
check "the full symbol table is there (not stripped)" grep -qx dp_tx_assign <<<"$all"
check "no debug or test symbol in the full symbol table" bash -c '! grep -E "$1" <<<"$2"' _ "$pattern" "$all"
tap_done
