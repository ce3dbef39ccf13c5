#!/usr/bin/env bash
# A test whose tool is missing (openssl, swtpm, or any tool a shell test requires)
# is skipped on a developer's machine but fails under CI=true, where some checks
# run nowhere else. The tools are hidden by running with a PATH that has none of
# them. TAP output. Usage: test_no_silent_skip.sh TEST-VTPM TEST-OCSP
set -uo pipefail
vtpm="$1"; ocsp="$2"
. "$(dirname "$0")/tap.sh"
tap_plan 6
mkdir -p "$tmp/empty"
here="$(dirname "$0")"
# run NAME WANT-STATUS REGEX -- CMD...: CMD's status and output (stdout and stderr)
run() {
  local name="$1" want="$2" re="$3"; shift 4
  "$@" >"$tmp/out" 2>"$tmp/err"; local st=$?
  if [ "$st" -eq "$want" ] && cat "$tmp/out" "$tmp/err" | grep -Eq -- "$re"; then ok "$name"
  else echo "exit $st, want $want and /$re/" >>"$tmp/err"; notok "$name"; fi
}
run "shell test: missing tool skips outside CI" 0 '^1\.\.0 # SKIP no-such-tool' -- \
  env -u CI bash -c ". '$here/tap.sh'; tap_require_tool no-such-tool; echo reached"
run "shell test: missing tool fails under CI=true" 1 'Bail out! no-such-tool not found under CI' -- \
  env CI=true bash -c ". '$here/tap.sh'; tap_require_tool no-such-tool; echo reached"
run "vtpm: no swtpm skips outside CI" 0 '^1\.\.0 # SKIP swtpm' -- env -u CI -u CCGPU_OPENSSL PATH="$tmp/empty" "$vtpm"
run "vtpm: no swtpm fails under CI=true" 1 'swtpm is required under CI' -- env -u CCGPU_OPENSSL PATH="$tmp/empty" CI=true "$vtpm"
run "ocsp: no openssl skips outside CI" 0 '^1\.\.0 # SKIP openssl' -- env -u CI -u CCGPU_OPENSSL PATH="$tmp/empty" "$ocsp"
run "ocsp: no openssl fails under CI=true" 1 'refusing to skip' -- env -u CCGPU_OPENSSL PATH="$tmp/empty" CI=true "$ocsp"
tap_done
