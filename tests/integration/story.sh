# shellcheck shell=bash
# The multi-party pieces the story tests and ./scripts/demo share (factored out of
# test_release_story.sh, branch inference). Source it after tap.sh (or, outside a test, after
# setting tmp to a private directory and pids=() to the array the caller's exit trap stops).
# It reads the programs from $vd (ccgpu-verifierd), $party (ccgpu-party), $gpusim and $ccgpu, and
# keeps everything under $tmp: the gpusim board in $tmp/sim, the workload's AK in $tmp/wl-ak.pem,
# the operator's appraisal policy in $tmp/operator.policy, party NAME's key in $tmp/NAME.pem,
# each party's policy on the verifier's TEE in $tmp/verifier.policy.

# wait_for FILE: FILE exists and is not empty within 10 s
wait_for() { for _ in $(seq 200); do [ -s "$1" ] && return 0; sleep 0.05; done; return 1; }
# wait_socket PATH: a UNIX socket at PATH within 10 s
wait_socket() { for _ in $(seq 200); do [ -S "$1" ] && return 0; sleep 0.05; done; return 1; }

# config NAME TCTI EXTRA...: a daemon configuration trusting gpusim's roots and RIMs and the workload's AK
config() {
  local name="$1" tcti="$2"; shift 2
  {
    echo "gpu_device_root = $tmp/sim/device-root.pem"
    echo "gpu_rim_root = $tmp/sim/rim-root.pem"
    echo "gpu_rim_dir = $tmp/sim/rims"
    echo "gpu_offline = true"
    echo "gpu_ocsp = off"
    echo "tpm_ak = $tmp/wl-ak.pem"
    echo "policy = $tmp/operator.policy"
    echo "tpm_tcti = \"$tcti\""
    echo "tpm_ak_handle = 0x81010002"
    echo "statement_window = 300"
    for l in "$@"; do echo "$l"; done
  } >"$tmp/$name.conf"
}
# start_vd NAME STORE LISTEN: runs the daemon, waits for it to listen; sets its base URL in url_NAME
start_vd() {
  local name="$1" store="$2" listen="$3"
  mkdir -p "$tmp/$name"
  "$vd" --config "$tmp/$name.conf" --state-dir "$tmp/$name" --store "$store" --listen "$listen" \
    --port-file "$tmp/$name.port" >"$tmp/$name.log" 2>&1 &
  pids+=($!)
  case "$listen" in
  unix:*) wait_socket "${listen#unix:}" || return 1
          printf -v "url_$name" '%s' "$listen" ;;
  *) wait_for "$tmp/$name.port" || return 1
     printf -v "url_$name" 'http://127.0.0.1:%s' "$(cat "$tmp/$name.port")" ;;
  esac
}
# api VERIFIER METHOD PATH [BODY-FILE]: the answer in $tmp/resp, the status in $tmp/status
api() {
  local v="$1" m="$2" p="$3" b="${4:-}" c=()
  case "$v" in unix:*) c=(--unix-socket "${v#unix:}"); v="http://localhost" ;; esac
  [ -n "$b" ] && c+=(-H 'Content-Type: application/json' --data-binary "@$b")
  curl -sS --max-time 60 "${c[@]}" -X "$m" -o "$tmp/resp" -w '%{http_code}' "$v$p" >"$tmp/status" 2>"$tmp/err"
}
# jget FILE KEY...: a member of a JSON document
jget() { python3 -c 'import json,sys; v=json.load(open(sys.argv[1])); [v := v[k] for k in sys.argv[2:]]; print(v)' "$@"; }
# as PARTY VERIFIER-NAME ARGS...: ccgpu-party as that party against that verifier (its own state dir)
as() {
  local who="$1" name="$2"; shift 2
  local u="url_$name"
  "$party" --verifier "${!u}" --party "$who" --key "$tmp/$who.pem" --state "$tmp/state-$who" \
    --verifier-tpm-ak "$tmp/$name-ak.pem" --verifier-policy "$tmp/verifier.policy" "$@"
}

# story_operator_policy: the operator's appraisal policy ($tmp/operator.policy): the GPUs genuine and bound
# into a TPM quote (their measurements are the parties' business)
story_operator_policy() {
  cat >"$tmp/operator.policy" <<'POL'
policy "story-operator" version 1
rule bound "the GPU evidence is bound into the TPM quote" {
  exists ccgpu-composite.binding and ccgpu-composite.version == 1
}
rule cpu "a TPM-quoted CVM" { ccgpu-cpu-tee == "tpm" }
rule gpus "every GPU genuine (its measurements are the parties' business)" {
  every gpu (x-nvidia-gpu-attestation-report-signature-verified and x-nvidia-gpu-attestation-report-cert-chain-fwid-match)
}
POL
}
# story_party_policies: acme's (model owner) and clinic's (data owner) policies on the workload, and each
# party's policy on the verifier's own TEE ($tmp/verifier.policy)
story_party_policies() {
  cat >"$tmp/acme.policy" <<'POL'
policy "acme" version 1
rule tee "a TPM-quoted CVM with its GPUs bound into the quote" {
  ccgpu-cpu-tee == "tpm" and exists ccgpu-composite.binding
}
POL
  cat >"$tmp/clinic.policy" <<'POL'
policy "clinic" version 1
rule gpus-measured "every GPU runs the firmware of its RIMs" {
  every gpu (measres == "success")
}
POL
  cat >"$tmp/verifier.policy" <<'POL'
policy "verifier-tee" version 1
rule tpm "the verifier's keys are quoted by a TPM over SHA-256 PCRs" {
  ccgpu-cpu-tee == "tpm" and tpm-pcr-bank == "sha256"
}
POL
}
# story_contract ID SECRET:OWNER:REQUIRES... : $tmp/contract.json between acme (model owner, ECDSA P-384 key
# $tmp/acme.pem) and clinic (data owner, Ed25519 $tmp/clinic.pem) with their policies; REQUIRES is a
# '+'-separated list of parties (e.g. model-key:acme:acme+clinic)
story_contract() {
  python3 - "$tmp" "$@" <<'PY'
import json, sys
t, cid = sys.argv[1], sys.argv[2]
r = lambda f: open(t + "/" + f).read()
secrets = []
for s in sys.argv[3:]:
    name, owner, req = s.split(":")
    secrets.append({"owner": owner, "name": name, "requires": req.split("+")})
c = {"ccgpu-contract": 1, "id": cid, "version": 1,
     "not-before": "2026-01-01T00:00:00Z", "not-after": "2099-01-01T00:00:00Z",
     "workload": {"name": "llm", "reference-values": {"x-nvidia-gpu-driver-version": ["570.86.15"]}},
     "parties": [{"id": "acme", "role": "model-owner", "public-key": r("acme.pub"), "policy": r("acme.policy")},
                 {"id": "clinic", "role": "data-owner", "public-key": r("clinic.pub"), "policy": r("clinic.policy")}],
     "secrets": secrets,
     "threshold": 2}
json.dump(c, open(t + "/contract.json", "w"), indent=2)
PY
}
# story_party_keys: acme's ECDSA P-384 and clinic's Ed25519 signing keys and their public halves
story_party_keys() {
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out "$tmp/acme.pem" 2>/dev/null &&
    openssl genpkey -algorithm ED25519 -out "$tmp/clinic.pem" 2>/dev/null &&
    openssl pkey -in "$tmp/acme.pem" -pubout -out "$tmp/acme.pub" 2>/dev/null &&
    openssl pkey -in "$tmp/clinic.pem" -pubout -out "$tmp/clinic.pub" 2>/dev/null
}
