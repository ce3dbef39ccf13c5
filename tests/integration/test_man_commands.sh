#!/usr/bin/env bash
# Man pages in step with --help (issue 12 item 9). For each program: the
# commands its --help lists are the commands its man page lists (SYNOPSIS
# lines ".B prog cmd ..." and ".SS cmd" headings), both ways; each command's
# own --help is that command's (it names "prog cmd", not only the global
# usage) and every long option it lists is in the man page; --version (and the
# version command, where listed) prints "prog VERSION".
# Usage: test_man_commands.sh VERSION PROG MAN [PROG MAN]...   TAP output.
set -uo pipefail
. "$(dirname "$0")/tap.sh"
version="$1"; shift

# help_commands PROG: the commands of "PROG --help" (its "commands:" list): for each line indented by
# two spaces, the lower-case words before the first option, argument or two-space gap
help_commands() {
  "$1" --help | awk '
    /^commands:/ { on = 1; next }
    on && /^$/ { exit }
    on && /^  [a-z]/ {
      seg = substr($0, 3); sub(/  .*/, "", seg); n = split(seg, w, " "); cmd = ""
      for (i = 1; i <= n && w[i] ~ /^[a-z][a-z-]*$/; i++) cmd = cmd (cmd == "" ? "" : " ") w[i]
      print cmd
    }' | sort -u
}

# man_commands PROG MAN: the commands MAN lists: in SYNOPSIS, the lower-case words after PROG on
# ".B PROG ..." lines; anywhere, the leading lower-case words of ".SS" headings
man_commands() {
  sed 's/\\-/-/g' "$2" | awk -v prog="$(basename "$1")" '
    function words(from, n, w,   i, cmd) {
      cmd = ""
      for (i = from; i <= n && w[i] ~ /^[a-z][a-z-]*$/; i++) cmd = cmd (cmd == "" ? "" : " ") w[i]
      return cmd
    }
    /^\.SH/ { syn = ($2 == "SYNOPSIS"); next }
    syn && $1 == ".B" && $2 == prog { c = words(3, split($0, w, " "), w); if (c != "") print c }
    $1 == ".SS" { c = words(2, split($0, w, " "), w); if (c != "") print c }' | sort -u
}

while [ $# -ge 2 ]; do
  prog="$1"; man="$2"; shift 2
  name="$(basename "$prog")"
  help_commands "$prog" >"$tmp/help-cmds"
  man_commands "$prog" "$man" >"$tmp/man-cmds"
  if [ ! -s "$tmp/help-cmds" ]; then
    echo "# $name --help lists no commands" >"$tmp/err"; : >"$tmp/out"; notok "$name: --help lists its commands"
  else
    check "$name: the man page lists the commands --help lists, and no other" diff "$tmp/help-cmds" "$tmp/man-cmds"
  fi
  missing=""
  while read -r c; do
    [ "$c" = version ] && continue
    # shellcheck disable=SC2086  # a command is one or two words
    if ! "$prog" $c --help >"$tmp/cmd-help" 2>&1; then missing="$missing '$c --help' fails"; continue; fi
    grep -qF "$name $c" "$tmp/cmd-help" || missing="$missing '$c --help' is not about $c"
    miss="$(man_missing "$man" <"$tmp/cmd-help")"
    [ -z "$miss" ] || missing="$missing $c:$miss"
  done <"$tmp/help-cmds"
  ok_if_none "$name: each command's --help is its own and its options are in the man page" "$missing"
  expect "$name --version" 0 "^$name $version\$" -- bash -c '"$1" --version >&2' _ "$prog"
  if grep -qx version "$tmp/help-cmds"; then
    expect "$name version" 0 "^$name $version\$" -- bash -c '"$1" version >&2' _ "$prog"
  fi
done
tap_done
