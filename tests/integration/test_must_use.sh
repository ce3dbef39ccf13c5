#!/usr/bin/env bash
# A status dropped on purpose says so (issue 12 item 7): no "(void)" cast in front of a call
# of a function that returns enum ccg_status; CCG_IGNORE(expr) (status.h) is the one way to
# drop one (gcc ignores a (void) cast of a CCG_MUST_USE result anyway, so the cast would
# hide only the unmarked ones), and nothing spells out its expansion "(void)!" by hand.
# Usage: test_must_use.sh SOURCE_ROOT. TAP output.
set -uo pipefail
. "$(dirname "$0")/tap.sh"
cd "$1" || tap_bail "no source root $1"
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  mapfile -t files < <(git ls-files '*.c' '*.h')
else
  mapfile -t files < <(find . -path './build*' -prune -o -type f \( -name '*.c' -o -name '*.h' \) -print)
fi
tap_plan 3
# every function declared or defined as returning enum ccg_status (names, one a line)
grep -ohE 'enum ccg_status[[:space:]]+\**[a-z_][a-z0-9_]*[[:space:]]*\(' "${files[@]}" |
  sed -E 's/^enum ccg_status[[:space:]]+\**//; s/[[:space:]]*\($//' | sort -u >"$tmp/status-fns"
check "functions returning enum ccg_status are found" test "$(wc -l <"$tmp/status-fns")" -gt 100
# FILE:LINE:NAME for each (void) cast in front of a call
grep -noE '\(void\)[[:space:]]*[a-z_][a-z0-9_]*[[:space:]]*\(' "${files[@]}" |
  sed -E 's/\(void\)[[:space:]]*//; s/[[:space:]]*\($//' >"$tmp/casts"
awk -F: 'NR == FNR {s[$1] = 1; next} ($3 in s) {print $1 ":" $2 ": (void) drops the status of " $3 "(): write CCG_IGNORE(" $3 "(...))"}' \
  "$tmp/status-fns" "$tmp/casts" >"$tmp/out"
check "no (void) cast drops a status (CCG_IGNORE instead)" test ! -s "$tmp/out"
grep -nE '\(void\)[[:space:]]*!' "${files[@]}" | grep -v '^include/ccgpu/status.h:' >"$tmp/out"
check "CCG_IGNORE is not spelled out by hand" test ! -s "$tmp/out"
tap_done
