#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The multi-party release story of issue 14, with real processes only:
#   swtpm TPMs (one for the workload's CVM, one per verifier replica), ccgpu-gpusim
#   GPUs, ccgpu-verifierd on SQLite (over a UNIX socket) and two replicas on one
#   PostgreSQL store (tests/support/pg.sh), the ccgpu CLI in the workload, and
#   ccgpu-party for the model owner (acme, ECDSA P-384) and the data owner
#   (clinic, Ed25519).
# Story: both parties appraise the verifier's own TPM evidence before anything;
# they sign a contract (ccgpu-policy sign) and push it, each uploads its secret
# sealed to the verifier's upload key; the workload attests (ccgpu collect gpu +
# collect --cpu tpm + POST /v1/attest) and gets both secrets, unwrapped with its
# TEE key; the data owner suspends and the next release is refused on both
# replicas; a drifted GPU measurement is refused naming the data owner's rule; an
# operator's edit of a log row (sqlite3 / psql UPDATE) and a rewritten history are
# caught by `ccgpu-party log verify`; no secret is in the database in the clear.
# Each step prints what it checks (TAP comments "# step: ..."). All waits are
# bounded; every process started here is stopped at exit.
# Usage: test_release_story.sh VERIFIERD PARTY POLICY-CLI CCGPU GPUSIM HELPER SOURCE-ROOT MANPAGE
set -uo pipefail
vd="$1"; party="$2"; cp="$3"; ccgpu="$4"; gpusim="$5"; helper="$6"; src="$7"; man="$8"
. "$(dirname "$0")/tap.sh"
. "$(dirname "$0")/swtpm.sh"
. "$(dirname "$0")/story.sh"
tap_require_tool swtpm openssl python3 curl sqlite3
export TSS2_LOG=all+NONE # tpm2-tss logs a missing persistent handle as an error before the AK is made
pids=()
pgdir=""
tap_at_exit() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  wait 2>/dev/null
  [ -n "$pgdir" ] && sh "$src/tests/support/pg.sh" stop "$pgdir" >/dev/null 2>&1
}
step() { echo "# step: $*"; }
LIMIT=600 # every gpusim server stops by itself after this many seconds

# ---------------------------------------------------------------- TPMs, GPUs, keys
step "swtpm TPMs for the workload's CVM and each verifier replica; attestation keys read back from each TPM"
for t in wl v1 v2 v3; do start_swtpm "$t" || tap_bail "swtpm $t did not start"; done
# the workload's AK (the verifier operator is told it); the verifiers' AKs (each party is told them)
"$helper" ak "$tcti_wl" 81000003 "$tmp/wl-ak.pem" || tap_bail "workload AK"
for t in v1 v2 v3; do
  v="tcti_$t"; "$helper" ak "${!v}" 81010002 "$tmp/$t-ak.pem" || tap_bail "$t AK"
done
step "a gpusim board of 2 GPUs (its PKI, RIMs); the workload's TEE key (P-384)"
"$gpusim" pki --out "$tmp/sim" --gpus 2 >/dev/null || tap_bail "gpusim pki"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out "$tmp/tee.pem" 2>/dev/null
openssl pkey -in "$tmp/tee.pem" -pubout -out "$tmp/tee.pub" 2>/dev/null
story_party_keys || tap_bail "party keys"
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$tmp/model-key.bin"    # canaries: hex text, greppable
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$tmp/dataset-key.bin"

# ---------------------------------------------------------------- policies and the contract
story_operator_policy
story_party_policies
sed 's/tpm-pcr-bank == "sha256"/tpm-pcr-bank == "sha1"/' "$tmp/verifier.policy" >"$tmp/verifier-strict.policy"
story_contract story model-key:acme:acme+clinic dataset-key:clinic:clinic
step "model owner and data owner sign the contract (ccgpu-policy sign)"
expect "acme signs the contract" 0 "" -- "$cp" sign "$tmp/contract.json" --key "$tmp/acme.pem" --party acme --output "$tmp/acme.sig"
expect "clinic signs the contract" 0 "" -- "$cp" sign "$tmp/contract.json" --key "$tmp/clinic.pem" --party clinic --output "$tmp/clinic.sig"

# ---------------------------------------------------------------- the verifier(s)
# the workload: a fresh composite (gpusim GPUs + swtpm quote) attested at VERIFIER; the EAR token in $tmp/token.
# attest VERIFIER [gpusim fault...]
attest() {
  local v="$1"; shift
  local f=() sock="$tmp/gpu-$RANDOM.sock" p nonce
  for x in "$@"; do f+=(--fault "$x"); done
  api "$v" POST /v1/challenge || return 1
  nonce="$(jget "$tmp/resp" nonce)" || return 1
  "$gpusim" serve --socket "$sock" --state "$tmp/sim" --timeout $LIMIT "${f[@]}" & p=$!
  wait_socket "$sock"
  "$ccgpu" collect gpu --gpusim "$sock" --nonce "$nonce" --out "$tmp/gpu.json" 2>"$tmp/err"
  local rc=$?
  kill "$p" 2>/dev/null; wait "$p" 2>/dev/null
  [ $rc -eq 0 ] || return 1
  "$ccgpu" collect --cpu tpm --tcti "$tcti_wl" --ak-handle 81000003 --pcrs ff --nonce "$nonce" \
    --tee-public-key "$tmp/tee.pub" --gpu-evidence "$tmp/gpu.json" --out "$tmp/doc.json" 2>"$tmp/err" || return 1
  python3 -c 'import json,sys; print(json.dumps({"nonce": sys.argv[1], "evidence": json.load(open(sys.argv[2]))}))' \
    "$nonce" "$tmp/doc.json" >"$tmp/attest.json"
  api "$v" POST /v1/attest "$tmp/attest.json" || return 1
  [ "$(cat "$tmp/status")" = 200 ] || return 1
  jget "$tmp/resp" token >"$tmp/token" && jget "$tmp/resp" status >"$tmp/ear-status"
}
# release VERIFIER SECRET: POST /v1/release with $tmp/token; status in $tmp/status, answer in $tmp/resp
release() {
  python3 -c 'import json,sys; print(json.dumps({"token": open(sys.argv[1]).read().strip(), "contract": "story", "secret": sys.argv[2]}))' \
    "$tmp/token" "$2" >"$tmp/release.json"
  api "$1" POST /v1/release "$tmp/release.json"
}
# released VERIFIER SECRET: released, and unwrapped with the TEE key it is the owner's secret
released() {
  release "$1" "$2" && [ "$(cat "$tmp/status")" = 200 ] &&
    "$helper" unwrap "$tmp/tee.pem" "$tmp/token" "$tmp/resp" story "$2" >"$tmp/got-$2" &&
    cmp -s "$tmp/got-$2" "$tmp/$2.bin" && return 0
  echo "HTTP $(cat "$tmp/status"): $(cat "$tmp/resp")"; return 1 # shown under the failed step
}
# refused VERIFIER SECRET STATUS REGEX: the release is refused with STATUS and a problem matching REGEX
refused() {
  release "$1" "$2" && [ "$(cat "$tmp/status")" = "$3" ] && grep -qE -- "$4" "$tmp/resp" && return 0
  echo "HTTP $(cat "$tmp/status"): $(cat "$tmp/resp")"; return 1 # shown under the failed step
}
# tampered_refused VERIFIER SECRET: the token with one character of its signature changed is refused (4xx)
tampered_refused() {
  local s
  cp "$tmp/token" "$tmp/token.good"
  python3 -c 'import sys; t = open(sys.argv[1]).read().strip(); i = len(t) - 20; open(sys.argv[1], "w").write(t[:i] + ("A" if t[i] != "A" else "B") + t[i + 1:])' "$tmp/token"
  release "$1" "$2"; s="$(cat "$tmp/status")"
  mv "$tmp/token.good" "$tmp/token"
  [ "$s" = 400 ] || [ "$s" = 401 ] || [ "$s" = 403 ]
}
step "ccgpu-party: --help, --version, every option in ccgpu-party(1)"
expect "ccgpu-party --version" 0 "" -- "$party" --version
expect "ccgpu-party without a command is a usage error" 2 "give a command" -- "$party" --verifier http://127.0.0.1:1
ok_if_none "ccgpu-party(1) documents every option of --help" "$("$party" --help | man_missing "$man")"

# ================================================================ SQLite, over a UNIX socket
step "verifier v1: SQLite store, UNIX socket, its TEE evidence quoted by TPM v1"
config v1 "$tcti_v1" "kek = \"tpm:$tmp/v1/kek.sealed\""
start_vd v1 "sqlite://$tmp/v1/store.sqlite" "unix:$tmp/v1.sock" || tap_bail "verifier v1 did not start: $(tail -3 "$tmp/v1.log")"

step "every party command first appraises the verifier's own evidence"
expect "the verifier's evidence without the party's trust in its TPM AK is refused" 1 "party.evidence" -- \
  "$party" --verifier "$url_v1" --state "$tmp/state-x" log verify
expect "the verifier's evidence quoted by another TPM (the workload's AK) is refused" 1 "party.evidence" -- \
  "$party" --verifier "$url_v1" --state "$tmp/state-x" --verifier-tpm-ak "$tmp/wl-ak.pem" log verify
expect "the party's policy on the verifier's TEE decides (a PCR bank it does not accept)" 1 "party.evidence.*tpm" -- \
  "$party" --verifier "$url_v1" --state "$tmp/state-x" --verifier-tpm-ak "$tmp/v1-ak.pem" --verifier-policy "$tmp/verifier-strict.policy" log verify
TAP_EXPECT_STDOUT=1 expect "an empty log verifies; its signed head is kept" 0 "log verified: 0 entries" -- \
  as acme v1 log verify

step "the contract is registered by a party's signed statement; each owner uploads its sealed secret"
expect "acme pushes the contract signed by both" 0 "logged as entry 0: .*\"type\":\"contract\"" -- \
  as acme v1 contract push "$tmp/contract.json" "$tmp/acme.sig" "$tmp/clinic.sig"
expect "the same version again is refused (a 400/403/409 problem)" 3 "party.request: .*HTTP (400|403|409)" -- \
  as clinic v1 contract push "$tmp/contract.json" "$tmp/acme.sig" "$tmp/clinic.sig"
expect "acme uploads model-key (sealed to keys.upload for the contract file's id, once v1 holds exactly it)" 0 "\"type\":\"upload\"" -- \
  as acme v1 secret put "$tmp/contract.json" model-key "$tmp/model-key.bin"
expect "clinic uploads dataset-key" 0 "\"type\":\"upload\"" -- \
  as clinic v1 secret put "$tmp/contract.json" dataset-key "$tmp/dataset-key.bin"
expect "secret put names the contract by the file this party signed, not by a name" 2 "CONTRACT is the contract file" -- \
  as clinic v1 secret put story dataset-key "$tmp/dataset-key.bin"
expect "clinic may not upload acme's secret (only the owner)" 3 "HTTP 403" -- \
  as clinic v1 secret put "$tmp/contract.json" model-key "$tmp/dataset-key.bin"
expect "a party the contract does not name is refused" 3 "HTTP 403" -- \
  "$party" --verifier "$url_v1" --party mallory --key "$tmp/tee.pem" --state "$tmp/state-mallory" \
  --verifier-tpm-ak "$tmp/v1-ak.pem" suspend story

step "the workload attests (gpusim GPUs + swtpm quote) and gets both secrets, unwrapped with its TEE key"
check "the workload attests: an EAR token" attest "$url_v1"
check "the appraisal is affirming" grep -qx affirming "$tmp/ear-status"
check "model-key released and unwrapped: it is acme's secret" released "$url_v1" model-key
check "dataset-key released and unwrapped: it is clinic's secret" released "$url_v1" dataset-key
check "a token with one signature character changed releases nothing (400/401/403)" tampered_refused "$url_v1" model-key
check "the workload attests again" attest "$url_v1"

step "the data owner suspends; only it can resume"
expect "clinic suspends the whole contract" 0 "\"type\":\"suspend\"" -- as clinic v1 suspend story
check "the next release is refused (409) naming clinic" refused "$url_v1" model-key 409 "clinic"
expect "acme cannot lift clinic's suspension" 3 "party.request: .*HTTP (403|409)" -- as acme v1 resume story
check "still refused" refused "$url_v1" dataset-key 409 "clinic"
expect "clinic resumes" 0 "\"type\":\"resume\"" -- as clinic v1 resume story
check "released again" released "$url_v1" model-key

step "a drifted GPU measurement (gpusim fault drift=5@1): the data owner's rule refuses, named"
check "the workload attests with GPU 1's measurement 5 drifted" attest "$url_v1" "drift=5@1"
echo "# the drifted evidence's appraisal: $(cat "$tmp/ear-status" 2>/dev/null)"
# model-key requires acme and clinic: the first party whose policy fails is named, with its rule
check "model-key refused (403) naming a party and its rule" refused "$url_v1" model-key 403 '"party":"(acme|clinic)".*"rule":"[a-z-]+"|"rule":"[a-z-]+".*"party":"(acme|clinic)"'
# dataset-key requires clinic alone: its rule is the one named
check "dataset-key refused (403) naming clinic's rule gpus-measured" refused "$url_v1" dataset-key 403 "clinic/gpus-measured"

step "the log shows what happened, every entry proven in the signed head; no secret in it"
expect "log show: entries printed only once proven" 0 "" -- as acme v1 log show
check "the log holds a release and a denial" grep -q '"type":"denial"' "$tmp/out"
check "  and releases" grep -q '"type":"release"' "$tmp/out"
check "no secret in the log" bash -c "! grep -qF -f '$tmp/model-key.bin' '$tmp/out' && ! grep -qF -f '$tmp/dataset-key.bin' '$tmp/out'"
check "no secret in the SQLite database or its WAL" bash -c "! cat '$tmp/v1/store.sqlite'* | grep -aqF -f '$tmp/model-key.bin' && ! cat '$tmp/v1/store.sqlite'* | grep -aqF -f '$tmp/dataset-key.bin'"
TAP_EXPECT_STDOUT=1 expect "log verify (clinic, first call from its state: head kept)" 0 "log verified" -- as clinic v1 log verify

step "the operator edits a log row in the database (sqlite3 UPDATE): log verify names it"
n_before="$(sqlite3 "$tmp/v1/store.sqlite" "SELECT count(*) FROM records WHERE tbl = 'log.entry'")"
sqlite3 "$tmp/v1/store.sqlite" "UPDATE records SET value = CAST('{\"type\":\"contract\",\"contract\":\"story\"}' AS BLOB) WHERE tbl = 'log.entry' AND key = '0000000000000003'" 2>"$tmp/err"
expect "log verify: the edited entry is refused (party.log.entries)" 1 "party.log.entries.*(log.entry\\[3\\]|entries)" -- as acme v1 log verify
step "the operator rewrites the whole history with fresh hashes (a release's recipient changed)"
check "the operator rewrites every log row: one release's recipient changed, all hashes recomputed" \
  python3 "$src/tests/integration/oplog.py" "$tmp/v1/store.sqlite" rewrite release
expect "log verify: the rewritten history is named (party.log.consistency)" 1 "party.log.consistency.*rewritten" -- as acme v1 log verify
expect "  and for the other party too" 1 "party.log.consistency" -- as clinic v1 log verify
echo "# (log had $n_before entries before the edits)"

# ================================================================ PostgreSQL: two replicas, one store
step "two verifier replicas (v2, v3) on one PostgreSQL store, each quoting with its own TPM"
# its own directory under /tmp ($tmp is private to root; run as root, the server runs as nobody)
pgdir="$(mktemp -d /tmp/ccgpu-story-pg.XXXXXX)"
pgurl="$(sh "$src/tests/support/pg.sh" start "$pgdir")"; rc=$?
if [ $rc -eq 77 ]; then
  [ "${CI:-}" = true ] && tap_bail "PostgreSQL missing under CI"
  echo "# PostgreSQL not installed: the replica half of the story is not run"; tap_done
fi
[ $rc -eq 0 ] || tap_bail "PostgreSQL did not start"
head -c 32 /dev/urandom >"$tmp/shared.kek"; chmod 600 "$tmp/shared.kek"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out "$tmp/shared-ear.pem" 2>/dev/null
for r in v2 v3; do
  t="tcti_$r"
  config "$r" "${!t}" "kek = \"file:$tmp/shared.kek\"" "signing_key = $tmp/shared-ear.pem"
  start_vd "$r" "$pgurl" "127.0.0.1:0" || tap_bail "replica $r did not start: $(tail -3 "$tmp/$r.log")"
done
step "the operator registers its own contract under the parties' name first (trust on first use): the owners refuse"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out "$tmp/operator.pem" 2>/dev/null
openssl pkey -in "$tmp/operator.pem" -pubout -out "$tmp/operator.pub" 2>/dev/null
# acme's real public key (it is public) beside the operator's; threshold 1, met by the operator alone
python3 - "$tmp" <<'PY'
import json, sys
t = sys.argv[1]
r = lambda f: open(t + "/" + f).read()
c = json.load(open(t + "/contract.json"))
c["parties"] = [{"id": "acme", "role": "model-owner", "public-key": r("acme.pub"), "policy": r("acme.policy")},
                {"id": "operator", "role": "operator", "public-key": r("operator.pub"), "policy": r("acme.policy")}]
c["secrets"] = [{"owner": "acme", "name": "model-key", "requires": ["operator"]}]
c["threshold"] = 1
json.dump(c, open(t + "/rogue.json", "w"), indent=2)
PY
expect "the operator signs its contract" 0 "" -- "$cp" sign "$tmp/rogue.json" --key "$tmp/operator.pem" --party operator --output "$tmp/operator.sig"
expect "the operator registers it as \"story\" at v2 before the parties do" 0 "\"type\":\"contract\"" -- \
  as operator v2 contract push "$tmp/rogue.json" "$tmp/operator.sig"
expect "acme's secret put refuses: the verifier holds another contract than the one acme signed (named, nothing sent)" \
  1 "party.contract: the verifier holds \"story\" version 1 id .*not the contract this party signed" -- \
  as acme v2 secret put "$tmp/contract.json" model-key "$tmp/model-key.bin"
expect "  and so does clinic's suspend given its contract file" 1 "party.contract" -- \
  as clinic v3 suspend "$tmp/contract.json"
check "no upload reached the store" bash -c "[ \"\$(psql -qAt -d '$pgurl' -c \"SELECT count(*) FROM records WHERE tbl = 'secret'\")\" = 0 ]"
check "the operator takes its contract back (psql DELETE of the row)" psql -q -d "$pgurl" -c "DELETE FROM records WHERE tbl = 'contract' AND key = 'story'"
expect "acme pushes the contract at v2" 0 "\"type\":\"contract\"" -- as acme v2 contract push "$tmp/contract.json" "$tmp/acme.sig" "$tmp/clinic.sig"
expect "acme uploads model-key at v2" 0 "" -- as acme v2 secret put "$tmp/contract.json" model-key "$tmp/model-key.bin"
expect "clinic uploads dataset-key at v3" 0 "" -- as clinic v3 secret put "$tmp/contract.json" dataset-key "$tmp/dataset-key.bin"
check "the workload attests at v2" attest "$url_v2"
check "model-key released by v2" released "$url_v2" model-key
check "dataset-key released by v3 (the same store, the same token key)" released "$url_v3" dataset-key
expect "clinic suspends dataset-key at v3" 0 "\"type\":\"suspend\"" -- as clinic v3 suspend story dataset-key
check "the next release of dataset-key is refused by v3 (409, clinic)" refused "$url_v3" dataset-key 409 "clinic"
check "  and by v2 at once (409, clinic)" refused "$url_v2" dataset-key 409 "clinic"
check "model-key is not suspended" released "$url_v2" model-key
TAP_EXPECT_STDOUT=1 expect "acme's log at v2 extends its kept head" 0 "log verified" -- as acme v2 log verify
TAP_EXPECT_STDOUT=1 expect "clinic's log at v3 extends its kept head" 0 "log verified" -- as clinic v3 log verify
check "no secret in a pg_dump of the store" bash -c "pd=\$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n1)/pg_dump; \$pd -d '$pgurl' >'$tmp/dump.sql' 2>'$tmp/err' || exit 1; ! grep -qF -f '$tmp/model-key.bin' '$tmp/dump.sql' && ! grep -qF -f '$tmp/dataset-key.bin' '$tmp/dump.sql'"
step "the operator edits a log row with psql UPDATE: log verify at either replica names it"
check "psql UPDATE of entry 1" psql -q -d "$pgurl" -c "UPDATE records SET value = convert_to('{\"type\":\"upload\"}', 'UTF8') WHERE tbl = 'log.entry' AND key = '0000000000000001'"
expect "log verify at v3 (acme's first call there: the entries are recomputed)" 1 "party.log.entries" -- as acme v3 log verify
expect "log verify at v2" 1 "party.log.entries" -- as clinic v2 log verify
tap_done
