# shellcheck shell=bash
# TAP helpers for the shell integration tests. Source it, after `set -uo pipefail`, as
#   . "$(dirname "$0")/tap.sh"
# (meson runs the scripts by their path in the source tree, so tap.sh is beside them
# whatever the working directory). It makes $tmp, a private directory removed at exit,
# after tap_at_exit, which a test may redefine to stop what it started.
# Each subtest is numbered as it runs; tap_done prints the plan (unless tap_plan gave it
# up front) and exits 1 if any subtest failed.

tmp="$(mktemp -d)"
tap_n=0
tap_fails=0
tap_planned=
tap_at_exit() { :; }
trap 'tap_at_exit; rm -rf "$tmp"' EXIT

# tap_plan N: announces N subtests before the first; tap_done then prints no plan.
tap_plan() { echo "1..$1"; tap_planned=1; }

# tap_done: the plan (if not announced) and the exit status: 0 only if every subtest passed.
tap_done() {
  [ -n "$tap_planned" ] || echo "1..$tap_n"
  exit $((tap_fails > 0))
}

# tap_bail MESSAGE: stops the whole test.
tap_bail() { echo "Bail out! $1"; exit 1; }

# tap_require_testdata [SUBDIR]: sets td to $CCGPU_TESTDATA, which must hold SUBDIR;
# when it does not, the test is skipped, or bails out under CI=true.
tap_require_testdata() {
  td="${CCGPU_TESTDATA:-}"
  if [ -z "$td" ] || [ ! -d "$td/${1:-}" ]; then
    if [ "${CI:-}" = "true" ]; then tap_bail "CCGPU_TESTDATA missing under CI"; fi
    echo "1..0 # SKIP CCGPU_TESTDATA not found"
    exit 0
  fi
}

# tap_require_tool NAME...: each program must be on PATH; when one is not, the test is
# skipped (the TAP plan 1..0 # SKIP, exit 0), or bails out under CI=true: the checks a
# tool serves must never turn into a silent skip where CI runs them.
tap_require_tool() {
  local t
  for t in "$@"; do
    if ! command -v "$t" >/dev/null 2>&1; then
      if [ "${CI:-}" = "true" ]; then tap_bail "$t not found under CI: refusing to skip"; fi
      echo "1..0 # SKIP $t not found"
      exit 0
    fi
  done
}

ok() { tap_n=$((tap_n + 1)); echo "ok $tap_n - $1"; }
# notok NAME: a failed subtest, followed by what the last command wrote ($tmp/err, $tmp/out) as comments.
notok() {
  tap_n=$((tap_n + 1)); tap_fails=$((tap_fails + 1))
  echo "not ok $tap_n - $1"
  sed 's/^/# /' "$tmp/err" "$tmp/out" 2>/dev/null | head -20
}

# check NAME COMMAND...: ok when COMMAND succeeds; its output goes to $tmp/err.
check() { if "${@:2}" >"$tmp/err" 2>&1; then ok "$1"; else notok "$1"; fi; }

# expect NAME STATUS PATTERN -- COMMAND...: runs COMMAND with stdout in $tmp/out and stderr in
# $tmp/err; ok when it exits STATUS and the ERE PATTERN (empty: anything) matches its stderr,
# or its stdout and stderr when TAP_EXPECT_STDOUT=1. With TAP_ONE_LINE_ERRORS=1, a command that
# fails must also say why in exactly one line on stderr.
expect() {
  local name="$1" want="$2" pat="$3" got where="stderr"
  shift 4
  "$@" >"$tmp/out" 2>"$tmp/err"
  got=$?
  if [ "$got" -ne "$want" ]; then notok "$name (exit $got, want $want)"; return; fi
  if [ -n "$pat" ]; then
    if [ "${TAP_EXPECT_STDOUT:-0}" = 1 ]; then
      where="output"
      grep -qE -- "$pat" "$tmp/out" "$tmp/err"
    else
      grep -qE -- "$pat" "$tmp/err"
    fi || { notok "$name ($where lacks /$pat/)"; return; }
  fi
  if [ "${TAP_ONE_LINE_ERRORS:-0}" = 1 ] && [ "$want" -ne 0 ] && [ "$(wc -l <"$tmp/err")" -ne 1 ]; then
    notok "$name (error is not one line)"; return
  fi
  ok "$name"
}

# man_missing MANPAGE: reads a --help text on stdin and prints " --option" for each long
# option in it that MANPAGE (roff, where "-" is written "\-") does not mention.
man_missing() {
  local opt
  for opt in $(grep -oE -- '--[a-z][a-z-]+' | sort -u); do
    grep -qF -- "${opt//-/\\-}" "$1" || printf ' %s' "$opt"
  done
}

# ok_if_none NAME MISSING: ok when MISSING (from man_missing, say) is empty, else not ok naming it.
ok_if_none() {
  if [ -z "$2" ]; then ok "$1"; else echo "# missing:$2" >"$tmp/err"; : >"$tmp/out"; notok "$1"; fi
}
