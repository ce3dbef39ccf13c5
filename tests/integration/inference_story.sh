# shellcheck shell=bash
# The confidential inference story of issue 15 (branch inference), told by ./scripts/demo and checked,
# with the operator canaries, by test_inference_story.sh: one story, these functions, both callers.
#
#   story_world     swtpm TPMs (the workload's CVM, the verifier's own TEE), a gpusim GPU served on a
#                   socket, the parties' keys and policies, the model owner's plaintext weights, the data
#                   owner's training records, the client's prompt
#   story_verifier  ccgpu-verifierd on SQLite behind the operator's recording proxy
#   story_contract_signed  model owner (acme) and data owner (clinic) sign the contract, push it, and
#                   upload their secrets (model-key needs both; training-data is clinic's)
#   story_seal      the model owner seals the weights under the model key (seal_model)
#   story_serve     ccgpu-inference starts: attests, gets the model key, loads the model onto the GPU
#   story_prompt    a client checks the server (ccgpu client: the verifier's JWKS, its own policy) and
#                   sends an encrypted prompt through the operator's relay; the answer is the model's
#   story_suspend   the data owner suspends; the running server stops and the next start is refused
#
# Source it after story.sh and swtpm.sh. Programs: $vd $party $cp $ccgpu $gpusim $helper $server $seal
# $reference. Everything is under $tmp; what the operator holds is under $op (its processes' logs:
# stdout and stderr, the proxies' recordings, the gpusim socket, the sealed model) and in $tmp/v1 (the verifier's state, SQLite),
# $tmp/v1.log, $tmp/sim and the swtpm logs; the parties' files are under $tmp/acme-files,
# $tmp/clinic-files, the client's under $tmp/client. The caller defines four hooks:
#   story_ok NAME COMMAND...                  COMMAND must succeed (returns non-zero when it did not)
#   story_refused NAME STATUS ERE COMMAND...  COMMAND must exit STATUS with ERE on stderr
#   story_sees WHO TEXT                       what WHO (a party, the operator, the TEE) sees
#   story_heading TEXT                        the step being told
# Each story_* function returns non-zero when a step failed (the caller bails out or stops).
# Canaries: STORY_MODEL_KEY_HEX, STORY_ROW_HEX, STORY_RECORD, STORY_PROMPT (set by the caller; random
# defaults otherwise).

STORY_LIMIT=${STORY_LIMIT:-900} # every gpusim and proxy stops by itself after this many seconds
STORY_SHAPE="32x64/7,32x32"     # 64 inputs, 32 hidden units, 32 outputs: the answer's 32 characters
STORY_CONTRACT=story

story_world() {
  op="$tmp/op"
  mkdir -p "$op" "$tmp/acme-files" "$tmp/clinic-files" "$tmp/client"
  story_heading "the machines: swtpm vTPMs for the CVM and the verifier, a gpusim H100, keys and data"
  story_ok "swtpm for the workload's CVM" start_swtpm wl || return 1
  story_ok "swtpm for the verifier's own TEE" start_swtpm v1 || return 1
  # the workload's AK (the verifier's operator is told it); the verifier's (each party is told it)
  story_ok "the CVM's attestation key, read back from its TPM" "$helper" ak "$tcti_wl" 81000003 "$tmp/wl-ak.pem" || return 1
  story_ok "the verifier's attestation key, read back from its TPM" "$helper" ak "$tcti_v1" 81010002 "$tmp/v1-ak.pem" || return 1
  story_ok "a gpusim H100 (its PKI, RIMs)" "$gpusim" pki --out "$tmp/sim" --gpus 1 || return 1
  "$gpusim" serve --socket "$op/gpu.sock" --state "$tmp/sim" --timeout "$STORY_LIMIT" >"$op/gpusim.log" 2>&1 &
  gpusim_pid=$!
  pids+=("$gpusim_pid")
  story_ok "gpusim serves its socket" wait_socket "$op/gpu.sock" || return 1
  story_ok "the parties' signing keys (acme ECDSA P-384, clinic Ed25519)" story_party_keys || return 1
  story_operator_policy
  story_party_policies
  cat >"$tmp/client/client.policy" <<'POL'
policy "client" version 1
rule tee "a TPM-quoted CVM whose GPU evidence is bound into the quote" {
  ccgpu-cpu-tee == "tpm" and exists ccgpu-composite.binding
}
POL
  # the canaries: the model key, a weight row, a training record, the prompt (the answer is derived)
  python3 -c 'import sys; sys.stdout.buffer.write(bytes.fromhex(sys.argv[1]))' \
    "${STORY_MODEL_KEY_HEX:-$(openssl rand -hex 32)}" >"$tmp/acme-files/model.key"
  story_ok "the model owner's plaintext weights ($STORY_SHAPE)" \
    python3 "$reference" weights "$STORY_SHAPE" "$tmp/acme-files/weights.bin" "${STORY_ROW_HEX:-}" || return 1
  {
    echo "ward 3, bed 12: admitted 2026-03-01, discharged 2026-03-04"
    echo "${STORY_RECORD:-ward 5, bed 2: admitted 2026-04-11, transferred}"
    echo "ward 1, bed 7: admitted 2026-05-20, discharged 2026-05-22"
  } >"$tmp/clinic-files/training-data.txt"
  printf '%s' "${STORY_PROMPT:-which ward had the longest stays this spring?}" >"$tmp/client/prompt.txt"
}

# story_proxy NAME TARGET-PORT: the operator's recording proxy $op/NAME.rec in front of 127.0.0.1:TARGET-PORT
story_proxy() {
  python3 "$src/tests/integration/recproxy.py" "$op/$1.port" "127.0.0.1:$2" "$op/$1.rec" "$STORY_LIMIT" \
    >"$op/$1.log" 2>&1 &
  pids+=($!)
  wait_for "$op/$1.port"
}

story_verifier() {
  story_heading "ccgpu-verifierd on SQLite, its own TEE quoted by its TPM; the operator records its traffic"
  config v1 "$tcti_v1" "kek = \"tpm:$tmp/v1/kek.sealed\""
  story_ok "ccgpu-verifierd starts (SQLite store)" start_vd v1 "sqlite://$tmp/v1/store.sqlite" 127.0.0.1:0 || return 1
  story_ok "the operator's recording proxy in front of it" story_proxy verifier "$(cat "$tmp/v1.port")" || return 1
  url_v1="http://127.0.0.1:$(cat "$op/verifier.port")" # every party, the server and the client go through it
  story_ok "the verifier's token keys (JWKS)" curl -sSf --max-time 60 -o "$tmp/jwks.json" "$url_v1/.well-known/jwks.json"
}

story_contract_signed() {
  story_heading "model owner and data owner sign the contract and upload their secrets"
  story_contract "$STORY_CONTRACT" model-key:acme:acme+clinic training-data:clinic:clinic+acme
  story_ok "acme signs the contract" "$cp" sign "$tmp/contract.json" --key "$tmp/acme.pem" --party acme --output "$tmp/acme.sig" || return 1
  story_ok "clinic signs the contract" "$cp" sign "$tmp/contract.json" --key "$tmp/clinic.pem" --party clinic --output "$tmp/clinic.sig" || return 1
  story_ok "acme pushes the contract (after appraising the verifier's own TPM evidence)" \
    as acme v1 contract push "$tmp/contract.json" "$tmp/acme.sig" "$tmp/clinic.sig" || return 1
  story_sees "model owner" "$(grep -ho 'logged as entry [0-9]*' "$tmp/err" | head -1): the contract, signed by acme and clinic"
  story_ok "acme uploads the model key, sealed to the verifier's attested upload key" \
    as acme v1 secret put "$tmp/contract.json" model-key "$tmp/acme-files/model.key" || return 1
  story_sees "model owner" "model-key uploaded: released only while acme's and clinic's policies hold"
  story_ok "clinic uploads its training records" \
    as clinic v1 secret put "$tmp/contract.json" training-data "$tmp/clinic-files/training-data.txt" || return 1
  story_sees "data owner" "training-data uploaded: released only while clinic's and acme's policies hold"
}

story_seal() {
  story_heading "the model owner seals the weights under the model key; the operator stores the sealed file"
  story_ok "seal_model seal" "$seal" seal --shape "$STORY_SHAPE" --weights "$tmp/acme-files/weights.bin" \
    --key "$tmp/acme-files/model.key" --out "$op/model.sealed" || return 1
  story_sees "model owner" "$(head -1 "$tmp/err" | sed "s|$op/||")"
}

# story_server_args SOCKET MODEL: the server's command line, in server_args
story_server_args() {
  server_args=(--verifier "$url_v1" --jwks "$tmp/jwks.json" --cpu tpm --tpm-tcti "$tcti_wl" --tpm-ak-handle 81000003
    --gpusim "$1" --gpu-root "$tmp/sim/device-root.pem" --contract "$STORY_CONTRACT"
    --model-secret model-key --data-secret training-data --model "$2" --listen 127.0.0.1:0)
}

# server_started: ccgpu-inference (server_pid) wrote its port within 120 s (0), or exited (1)
server_started() {
  for _ in $(seq 2400); do
    [ -s "$op/server.port" ] && return 0
    kill -0 "$server_pid" 2>/dev/null || { cat "$op/server.log"; return 1; }
    sleep 0.05
  done
  return 1
}

story_serve() {
  story_heading "the inference server starts in the CVM: attests, gets the model key, loads the model onto the GPU"
  story_server_args "$op/gpu.sock" "$op/model.sealed"
  rm -f "$op/server.port"
  : >"$op/server.log"
  "$server" "${server_args[@]}" --port-file "$op/server.port" >"$op/server.log" 2>&1 &
  server_pid=$!
  pids+=("$server_pid")
  story_ok "ccgpu-inference attests, decrypts the model inside the TEE and serves" server_started || return 1
  while read -r l; do story_sees "TEE" "${l#ccgpu-inference: }"; done <"$op/server.log"
  story_ok "the operator's load balancer (a recording proxy) in front of the server" \
    story_proxy front "$(cat "$op/server.port")" || return 1
  story_ok "the operator's Oblivious HTTP relay (a recording proxy)" story_proxy relay "$(cat "$op/server.port")" ||
    return 1
  story_ok "the model owner reads the release log (each entry proven in the verifier's signed head)" \
    as acme v1 log show || return 1
  story_sees "model owner" "the release log: $(grep -c '"type":"release"' "$tmp/err") releases to the attested TEE's key"
}

story_prompt() {
  story_heading "a client checks the server and sends an encrypted prompt through the operator's relay"
  story_ok "ccgpu client: the token under the verifier's JWKS, the client's policy, the OHTTP key bound; the prompt answered" \
    bash -c '"$@" >"$0/answer.txt"' "$tmp/client" "$ccgpu" client --server "http://127.0.0.1:$(cat "$op/front.port")" \
    --jwks "$url_v1/.well-known/jwks.json" --policy "$tmp/client/client.policy" \
    --relay "http://127.0.0.1:$(cat "$op/relay.port")/ccgpu/gateway" \
    -X POST --path /v1/generate -H 'content-type: text/plain' --data "$tmp/client/prompt.txt" || return 1
  python3 "$reference" answer "$STORY_SHAPE" "$tmp/acme-files/weights.bin" "$tmp/client/prompt.txt" >"$tmp/acme-files/expected.txt"
  story_ok "the answer is the model's, as the model owner computes it in plaintext (reference.py)" \
    cmp "$tmp/client/answer.txt" "$tmp/acme-files/expected.txt" || return 1
  story_sees "client" "the server checked: its token verified under the verifier's JWKS, affirming, binding the OHTTP key; the client's policy holds"
  story_sees "client" "prompt \"$(cat "$tmp/client/prompt.txt")\" -> answer $(cat "$tmp/client/answer.txt") (the model's, as reference.py computes it)"
  story_sees "operator" "the relay carried $(stat -c %s "$op/relay.rec") bytes: Oblivious HTTP, ciphertext only"
}

story_suspend() {
  story_heading "the data owner suspends the contract; the next start of the server is refused"
  story_ok "clinic suspends the contract" as clinic v1 suspend "$STORY_CONTRACT" || return 1
  story_sees "data owner" "suspended: $(grep -ho 'logged as entry [0-9]*' "$tmp/err" | head -1), effective at once"
  kill "$server_pid" 2>/dev/null
  story_ok "the running server stops (SIGTERM)" wait "$server_pid" || return 1
  story_refused "the next start is refused at guest.release.model-key, naming the data owner" 1 \
    "start refused at guest.release.model-key: .*clinic" "$server" "${server_args[@]}" || return 1
  cat "$tmp/out" "$tmp/err" >>"$op/server.log"
  story_sees "TEE" "$(sed 's/^ccgpu-inference: //' "$tmp/err" | tail -1)"
}
