#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The whole story of issue 15 with real processes, and what the operator can see of it (branch inference).
# The story is inference_story.sh, the one ./scripts/demo tells: swtpm vTPMs, a gpusim GPU, ccgpu-verifierd
# on SQLite, the model owner and the data owner sign a contract and upload their secrets with ccgpu-party,
# the model owner seals the weights, ccgpu-inference attests, gets the model key and loads the model onto
# the GPU through the encrypted channel, `ccgpu client` checks the server against the verifier's JWKS and
# its own policy and sends a prompt through the operator's relay, the answer equals the model computed in
# plaintext (examples/inference/reference.py), the data owner suspends and the next start is refused.
# This test adds: requests the server refuses (content type, body size, no OHTTP, other routes inside);
# a server that re-attests on every token call answers 503 once its GPU's evidence can no longer be had
# (while its channel stays open, gpusim serves the re-attestation on another connection); a drifted GPU
# and a tampered sealed model refused at start, each naming its step; and the
# operator canaries: distinctive bytes planted as the model key, a weight row, a training record (inside
# the data owner's secret), the prompt, and the answer; none may appear (raw, hex, base64 at any
# alignment: canary_scan.py) in anything the operator holds: the SQLite store with its -wal/-shm, the
# stderr/stdout of every process, the recordings of proxies in front of the verifier and the server and
# of the OHTTP relay (recproxy.py), and the bounce buffers' shared memory, read through /proc/PID/fd
# while they run (the server's memfd; gpusim maps the same pages and keeps no fd of its own). Positive controls show the scanner finds each canary where it
# must be (the client's answer, the parties' own files, each encoding) and that every place scanned was
# read and not empty.
# Usage: test_inference_story.sh VERIFIERD PARTY POLICY-CLI CCGPU GPUSIM HELPER SERVER SEAL SOURCE-ROOT
set -uo pipefail
vd="$1"; party="$2"; cp="$3"; ccgpu="$4"; gpusim="$5"; helper="$6"; server="$7"; seal="$8"; src="$9"
reference="$src/examples/inference/reference.py"
scan="$src/tests/integration/canary_scan.py"
. "$(dirname "$0")/tap.sh"
. "$(dirname "$0")/swtpm.sh"
. "$(dirname "$0")/story.sh"
. "$(dirname "$0")/inference_story.sh"
tap_require_tool swtpm openssl python3 curl
export TSS2_LOG=all+NONE # tpm2-tss logs a missing persistent handle as an error before the AK is made
pids=()
tap_at_exit() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  wait 2>/dev/null
}
story_ok() { local f=$tap_fails; check "$@"; [ "$tap_fails" = "$f" ]; }
story_refused() { local f=$tap_fails; expect "$1" "$2" "$3" -- "${@:4}"; [ "$tap_fails" = "$f" ]; }
story_sees() { echo "# $1 sees: $2"; }
story_heading() { echo "# step: $*"; }
hex() { printf '%s' "$1" | od -An -tx1 | tr -d ' \n'; }

# ---------------------------------------------------------------- the canaries
STORY_MODEL_KEY_HEX="$(openssl rand -hex 32)"
STORY_ROW_HEX="$(hex "weight-row-canary-$(openssl rand -hex 8)")" # 34 bytes of layer 0's first row
STORY_RECORD="record-canary-$(openssl rand -hex 8): patient 4711, ward 5, bed 2, diagnosis withheld"
STORY_PROMPT="prompt-canary-$(openssl rand -hex 8): longest stays?" # under 64 bytes: the model's input as is

# ---------------------------------------------------------------- the story, up to the answer
story_world || tap_bail "the machines did not start"
story_verifier || tap_bail "the verifier did not start: $(tail -3 "$tmp/v1.log")"
story_contract_signed || tap_bail "the contract or an upload failed"
story_seal || tap_bail "sealing the model failed"
story_serve || tap_bail "the server did not start: $(tail -3 "$op/server.log")"
story_prompt || tap_bail "the prompt was not answered"

{
  echo "model-key $STORY_MODEL_KEY_HEX"
  echo "weight-row $STORY_ROW_HEX"
  echo "training-record $(hex "$STORY_RECORD")"
  echo "prompt $(hex "$STORY_PROMPT")"
  echo "response $(hex "$(cat "$tmp/client/answer.txt")")"
} >"$tmp/canaries"

# ---------------------------------------------------------------- the bounce buffers, while they are in use
story_heading "the bounce buffers' shared memory (memfd), read through /proc/PID/fd (gpusim maps the server's pages)"
mkdir -p "$tmp/memfd"
# dump_memfds NAME PID: copies every ccgpu bounce-buffer memfd PID holds into $tmp/memfd/NAME-FD
dump_memfds() {
  local fd l
  for fd in /proc/"$2"/fd/*; do
    l="$(readlink "$fd" 2>/dev/null)" || continue
    case "$l" in /memfd:ccgpu-bounce*) cat "$fd" >"$tmp/memfd/$1-${fd##*/}" || return 1 ;; esac
  done
}
check "gpusim's memfds copied" dump_memfds gpusim "$gpusim_pid"
check "the server's memfds copied" dump_memfds server "$server_pid"
ls "$tmp/memfd" | sed "s/^/# memfd copied (process-fd): /"
check "the bounce buffers were read, and hold data (not all zero)" python3 -c '
import os, sys
d = sys.argv[1]
fs = [os.path.join(d, f) for f in os.listdir(d)]
data = b"".join(open(f, "rb").read() for f in fs)
print(len(fs), "memfds,", len(data), "bytes")
sys.exit(0 if len(fs) >= 1 and data.count(0) < len(data) else 1)' "$tmp/memfd"
check "no canary in the bounce buffers (the prompt, the weights and the answer crossed them sealed)" \
  python3 "$scan" "$tmp/canaries" "$tmp/memfd"

# ---------------------------------------------------------------- the scanner can fail (positive controls)
story_heading "positive controls: the scanner finds each canary where it must be, in every encoding"
python3 - "$tmp" <<'PY'
import base64, sys
t = sys.argv[1]
c = {l.split()[0]: bytes.fromhex(l.split()[1]) for l in open(t + "/canaries")}
with open(t + "/control-encodings", "wb") as f:
    f.write(b"x" + base64.b64encode(b"ab" + c["model-key"]) + b"\n")
    f.write(c["training-record"].hex().upper().encode() + b"\n")
    f.write(base64.urlsafe_b64encode(b"a" + c["prompt"]) + b"\n")
PY
# expect_hits NAME... -- PATH...: the scan exits 1 and names every canary NAME
expect_hits() {
  local names=() n
  while [ "$1" != -- ]; do names+=("$1"); shift; done
  shift
  python3 "$scan" "$tmp/canaries" "$@" >"$tmp/hits" 2>&1
  [ $? -eq 1 ] || return 1
  for n in "${names[@]}"; do grep -q "^$n " "$tmp/hits" || { echo "$n not found"; return 1; }; done
}
check "the client's own answer holds the response canary" expect_hits response -- "$tmp/client/answer.txt"
check "the client's prompt, the data owner's records, the model owner's key and weights hold theirs" \
  expect_hits prompt training-record model-key weight-row -- "$tmp/client/prompt.txt" "$tmp/clinic-files" "$tmp/acme-files"
check "base64 at an offset, upper-case hex and base64url are found too" \
  expect_hits model-key training-record prompt -- "$tmp/control-encodings"
check "the operator's recordings are not empty: the verifier's traffic holds the release requests" \
  grep -aq "POST /v1/release" "$op/verifier.rec"
check "  and the relay carried the encapsulated prompt and answer" grep -aq "message/ohttp-res" "$op/relay.rec"
check "  and the store holds the sealed secrets' records" test -s "$tmp/v1/store.sqlite"

# ---------------------------------------------------------------- the server's own checks
story_heading "requests the server refuses, and still answers the next prompt"
front="http://127.0.0.1:$(cat "$op/front.port")"
# status METHOD PATH [CURL-ARGS...]: the HTTP status of one request to the server
status() { curl -s --max-time 60 -o /dev/null -w '%{http_code}' -X "$1" "${@:3}" "$front$2"; }
check "a gateway request of another content type: 415" test "$(status POST /ccgpu/gateway --data-binary x)" = 415
check "a gateway request that does not decapsulate: 400" \
  test "$(status POST /ccgpu/gateway -H 'content-type: message/ohttp-req' --data-binary garbage)" = 400
head -c $((1024 * 1024 + 1)) /dev/zero >"$tmp/big"
check "a gateway request over 1 MiB: 413" \
  test "$(status POST /ccgpu/gateway -H 'content-type: message/ohttp-req' --data-binary "@$tmp/big")" = 413
check "an unknown route: 404" test "$(status GET /nope)" = 404
check "another method on a route: 405" test "$(status PUT /ccgpu/attestation --data-binary x)" = 405
client() {
  "$ccgpu" client --server "$front" --jwks "$url_v1/.well-known/jwks.json" \
    --relay "http://127.0.0.1:$(cat "$op/relay.port")/ccgpu/gateway" "$@"
}
expect "inside OHTTP, another path: 404" 1 "HTTP 404" -- client -X POST --path /v2/other --data "$tmp/client/prompt.txt"
expect "inside OHTTP, GET /v1/generate: 405" 1 "HTTP 405" -- client -X GET --path /v1/generate
: >"$tmp/empty"
expect "inside OHTTP, an empty prompt: 400" 1 "HTTP 400" -- client -X POST --path /v1/generate --data "$tmp/empty"
TAP_EXPECT_STDOUT=1 expect "the next prompt is answered as before" 0 "^$(cat "$tmp/client/answer.txt")\$" -- \
  client -X POST --path /v1/generate --data "$tmp/client/prompt.txt"

# ---------------------------------------------------------------- the data owner suspends
story_suspend || tap_bail "the suspension did not refuse the next start"

# ---------------------------------------------------------------- other refused starts, each naming its step
story_heading "a drifted GPU and a tampered sealed model: each start refused, the step named"
check "clinic resumes" as clinic v1 resume "$STORY_CONTRACT"
"$gpusim" serve --socket "$op/gpu-drift.sock" --state "$tmp/sim" --timeout "$STORY_LIMIT" --fault drift=5@0 \
  >"$op/gpusim-drift.log" 2>&1 &
pids+=($!)
check "a gpusim whose GPU 0 runs drifted firmware (measurement 5)" wait_socket "$op/gpu-drift.sock"
story_server_args "$op/gpu-drift.sock" "$op/model.sealed"
expect "drifted GPU: refused at guest.attest.gpu[0], the verifier's failed check named" 1 \
  "start refused at guest.attest.gpu\\[0\\]: contraindicated: golden.vbios\\[5\\]" -- "$server" "${server_args[@]}"
cat "$tmp/out" "$tmp/err" >>"$op/server.log"
python3 -c 'import sys; b = bytearray(open(sys.argv[1], "rb").read()); b[len(b) // 2] ^= 1; open(sys.argv[2], "wb").write(b)' \
  "$op/model.sealed" "$op/model-tampered.sealed"
story_server_args "$op/gpu.sock" "$op/model-tampered.sealed"
expect "a weight byte flipped in the sealed model: refused at model.tag" 1 "start refused at model.tag: " \
  -- "$server" "${server_args[@]}"
cat "$tmp/out" "$tmp/err" >>"$op/server.log"
expect "a model sealed under another key: refused at model.tag" 1 "start refused at model.tag: " -- bash -c '
  openssl rand 32 >"$0/other.key" && "$1" seal --shape "$2" --weights "$0/../acme-files/weights.bin" --key "$0/other.key" \
    --out "$0/model-other.sealed" >/dev/null && shift 2 && exec "$@" --model "$0/model-other.sealed"' \
  "$op" "$seal" "$STORY_SHAPE" "$server" "${server_args[@]}"
cat "$tmp/out" "$tmp/err" >>"$op/server.log"
rm -f "$op/other.key" # the operator never held that key: it stood in for a model owner's

# a server whose every token call re-attests (margin over the verifier's token_ttl of 3600 s): once its GPU's
# evidence can no longer be had, it serves neither its token nor prompts
"$gpusim" serve --socket "$op/gpu-2.sock" --state "$tmp/sim" --timeout "$STORY_LIMIT" >"$op/gpusim-2.log" 2>&1 &
gpusim2_pid=$!
pids+=("$gpusim2_pid")
check "a second gpusim" wait_socket "$op/gpu-2.sock"
story_server_args "$op/gpu-2.sock" "$op/model.sealed"
rm -f "$op/server.port"
"$server" "${server_args[@]}" --reattest-margin 7200 --port-file "$op/server.port" >>"$op/server.log" 2>&1 &
server_pid=$!
pids+=("$server_pid")
check "a server that re-attests on every token call starts" server_started
# is_status WANT CURL-ARGS...: the request answers HTTP WANT (else the status and the server's last words)
is_status() {
  local got
  got="$(curl -s --max-time 60 -o /dev/null -w '%{http_code}' "${@:2}")"
  [ "$got" = "$1" ] && return 0
  echo "HTTP $got"; tail -3 "$op/server.log"; return 1
}
check "  and serves its token while it can attest" \
  is_status 200 "http://127.0.0.1:$(cat "$op/server.port")/ccgpu/attestation"
kill "$gpusim2_pid"; wait "$gpusim2_pid" 2>/dev/null
check "its GPU gone, the re-attestation fails: GET /ccgpu/attestation answers 503" \
  is_status 503 "http://127.0.0.1:$(cat "$op/server.port")/ccgpu/attestation"
check "  and the gateway answers 503 before it opens anything" \
  is_status 503 -H 'content-type: message/ohttp-req' --data-binary garbage "http://127.0.0.1:$(cat "$op/server.port")/ccgpu/gateway"
kill "$server_pid"; wait "$server_pid" 2>/dev/null

# ---------------------------------------------------------------- what the operator holds
story_heading "no canary in anything the operator holds"
ls "$tmp/v1" | sed 's/^/# verifier state: /'
check "the SQLite store, its -wal and -shm, the sealed KEK" python3 "$scan" "$tmp/canaries" "$tmp/v1"
check "the logs of every process (verifier, gpusim, server, proxies, swtpm)" \
  python3 "$scan" "$tmp/canaries" "$tmp/v1.log" "$op/gpusim.log" "$op/gpusim-drift.log" "$op/gpusim-2.log" "$op/server.log" \
  "$op/verifier.log" "$op/front.log" "$op/relay.log" "$tmp"/tpm-*.log
check "the loopback traffic: the verifier's, the server's and the relay's recordings" \
  python3 "$scan" "$tmp/canaries" "$op/verifier.rec" "$op/front.rec" "$op/relay.rec"
check "the sealed model files, the gpusim state, the vTPMs' state" \
  python3 "$scan" "$tmp/canaries" "$op/model.sealed" "$op/model-tampered.sealed" "$tmp/sim" "$tmp/tpm-wl" "$tmp/tpm-v1"
tap_done
