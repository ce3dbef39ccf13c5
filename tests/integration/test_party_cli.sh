#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# ccgpu-party against a real ccgpu-verifierd (SQLite, over its UNIX socket) whose
# own TEE is a swtpm: the verifier's evidence appraised before anything (no AK,
# another TPM's AK, the party's policy refusing: each refused, exit 1,
# party.evidence); the signed tree head kept per verifier and checked after each
# call; the operator's attacks on the log through the database
# (tests/integration/oplog.py: entries appended as the daemon would, the whole
# history rewritten with fresh hashes, one row edited in place): each named;
# --help, --version, usage errors and the man page. Needs the evidence and log
# routes only, not the release routes. TAP.
# Usage: test_party_cli.sh VERIFIERD PARTY HELPER SOURCE-ROOT MANPAGE
set -uo pipefail
vd="$1"; party="$2"; helper="$3"; src="$4"; man="$5"
. "$(dirname "$0")/tap.sh"
. "$(dirname "$0")/swtpm.sh"
tap_require_tool swtpm python3
export TSS2_LOG=all+NONE
pids=()
tap_at_exit() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; }
oplog() { python3 "$src/tests/integration/oplog.py" "$tmp/vd/store.sqlite" "$@"; }

expect "--version" 0 "" -- "$party" --version
check "  prints the version" grep -q "^ccgpu-party [0-9]" "$tmp/out"
expect "--help" 0 "" -- "$party" --help
ok_if_none "ccgpu-party(1) documents every option of --help" "$("$party" --help | man_missing "$man")"
export TAP_ONE_LINE_ERRORS=1
expect "no command: usage error" 2 "give a command" -- "$party" --verifier http://127.0.0.1:1
expect "no --verifier: usage error" 2 "verifier" -- "$party" log verify
expect "an unknown command" 2 "unknown command" -- "$party" --verifier http://127.0.0.1:1 frobnicate
expect "--count over 256" 2 "count" -- "$party" --verifier http://127.0.0.1:1 log show --count 257
expect "a --verifier that is neither http(s) nor unix:" 2 "verifier" -- "$party" --verifier ftp://x --state "$tmp/s" log verify
expect "a path-unsafe secret name" 2 "A-Za-z0-9" -- "$party" --verifier http://127.0.0.1:1 --party a --key /dev/null suspend story ../x
expect "an unreachable verifier: exit 4, party.network" 4 "party.network" -- "$party" --verifier http://127.0.0.1:1 --state "$tmp/s" log verify

start_swtpm vd || tap_bail "swtpm did not start"
start_swtpm other || tap_bail "second swtpm did not start"
"$helper" ak "$tcti_vd" 81010002 "$tmp/ak.pem" || tap_bail "AK"
"$helper" ak "$tcti_other" 81010002 "$tmp/other-ak.pem" || tap_bail "second AK"
printf 'tpm_tcti = "%s"\ntpm_ak_handle = 0x81010002\n' "$tcti_vd" >"$tmp/vd.conf"
mkdir -p "$tmp/vd"
"$vd" --config "$tmp/vd.conf" --state-dir "$tmp/vd" --store "sqlite://$tmp/vd/store.sqlite" --listen "unix:$tmp/vd.sock" \
  2>"$tmp/vd.log" & pids+=($!)
for _ in $(seq 200); do [ -S "$tmp/vd.sock" ] && break; sleep 0.05; done
[ -S "$tmp/vd.sock" ] || tap_bail "the daemon did not listen: $(tail -3 "$tmp/vd.log")"
printf '%s\n' 'policy "verifier-tee" version 1' \
  'rule tpm "the verifier'"'"'s keys are quoted by a TPM over SHA-256 PCRs" { ccgpu-cpu-tee == "tpm" and tpm-pcr-bank == "sha256" }' \
  >"$tmp/verifier.policy"
printf '%s\n' 'policy "verifier-tee" version 1' \
  'rule pcr0 "the verifier booted what this party expects" { tpm-pcrs.0 == "00000000000000000000000000000000000000000000000000000000000000ff" }' \
  >"$tmp/strict.policy"
P=("$party" --verifier "unix:$tmp/vd.sock" --state "$tmp/state")
T=(--verifier-tpm-ak "$tmp/ak.pem" --verifier-policy "$tmp/verifier.policy")

expect "the verifier's evidence without the party's trust in its AK: refused" 1 "party.evidence: .*cpu.ak_public" -- "${P[@]}" log verify
expect "quoted by another TPM than the one the party trusts: refused" 1 "party.evidence" -- "${P[@]}" --verifier-tpm-ak "$tmp/other-ak.pem" log verify
expect "the party's policy on the verifier's TEE refuses, naming its rule" 1 "party.evidence: .*pcr0" -- "${P[@]}" --verifier-tpm-ak "$tmp/ak.pem" --verifier-policy "$tmp/strict.policy" log verify
check "  nothing was kept by refused calls" test ! -e "$tmp/state"
export TAP_ONE_LINE_ERRORS=0
expect "an empty log verifies; its head is kept (first use)" 0 "first seen" -- "${P[@]}" "${T[@]}" log verify
check "  log verified: 0 entries" grep -q "log verified: 0 entries" "$tmp/out"
check "  one state file, in a 0700 directory" bash -c "[ \$(ls '$tmp/state' | wc -l) = 1 ] && [ \$(stat -c %a '$tmp/state') = 700 ]"

check "the daemon's store gets 5 entries (written as the daemon would)" oplog append 5
expect "log verify: the head extends the kept one, every entry recomputed" 0 "extends the kept one of 0" -- "${P[@]}" "${T[@]}" log verify
check "  log verified: 5 entries" grep -q "log verified: 5 entries" "$tmp/out"
check "3 more entries" oplog append 3
expect "log show: each entry printed once proven in the head" 0 "extends the kept one of 5" -- "${P[@]}" "${T[@]}" log show --from 2 --count 4
check "  entries 2..5 printed" bash -c "[ \$(wc -l <'$tmp/out') = 4 ] && head -1 '$tmp/out' | grep -q '^2 {' && tail -1 '$tmp/out' | grep -q '^5 {'"
expect "log show --from past the end" 2 "from 9" -- "${P[@]}" "${T[@]}" log show --from 9
expect "the same daemon under another URL spelling is another verifier: its own kept head" 0 "first seen" -- \
  "$party" --verifier "unix:$tmp//vd.sock" --state "$tmp/state" "${T[@]}" log verify

check "the operator rewrites entry 3 and every hash (a self-consistent forged history)" oplog rewrite 3
export TAP_ONE_LINE_ERRORS=1
expect "log verify names the rewritten history (party.log.consistency), exit 1" 1 "party.log.consistency: .*rewritten" -- "${P[@]}" "${T[@]}" log verify
cp -r "$tmp/state" "$tmp/state-before"
expect "  again: the kept head stays the one before the rewrite" 1 "party.log.consistency" -- "${P[@]}" "${T[@]}" log verify
check "  the kept state did not change" diff -r "$tmp/state" "$tmp/state-before"
export TAP_ONE_LINE_ERRORS=0
expect "a party that never saw this verifier accepts the forged history (trust on first use)" 0 "first seen" -- \
  "$party" --verifier "unix:$tmp/vd.sock" --state "$tmp/state-new" "${T[@]}" log verify
check "the operator edits entry 1's row in place (UPDATE)" oplog edit 1 '{"type":"upload","by":"mallory"}'
# (the head itself still extends the kept one: that progress line comes first, then the error)
expect "log verify names the edited entry (party.log.entries), exit 1" 1 'party.log.entries: .*log\.entry\[1\]' -- \
  "$party" --verifier "unix:$tmp/vd.sock" --state "$tmp/state-new" "${T[@]}" log verify
expect "log show of that entry refuses to print it" 1 "party.log.entries" -- \
  "$party" --verifier "unix:$tmp/vd.sock" --state "$tmp/state-new" "${T[@]}" log show --from 1 --count 1
check "  and printed nothing" test ! -s "$tmp/out"
export TAP_ONE_LINE_ERRORS=1
printf '{"not":"a state"}' >"$tmp/state-new/$(ls "$tmp/state-new")"
expect "a kept state file that is not one: party.state, exit 2" 2 "party.state" -- \
  "$party" --verifier "unix:$tmp/vd.sock" --state "$tmp/state-new" "${T[@]}" log verify
tap_done
