#!/usr/bin/env bash
# The ccgpu CLI end to end on the real NVIDIA evidence: exit statuses, the
# one-line error naming the failed check, claims, and the man page's coverage
# of every option. TAP output. Usage: test_cli.sh PATH/TO/ccgpu MANPAGE
set -uo pipefail
ccgpu="$1"
man="$2"
. "$(dirname "$0")/tap.sh"
tap_require_testdata nvidia
nv="$td/nvidia"
TAP_ONE_LINE_ERRORS=1
claim() { # GPU-claim-key expected-json-value
  python3 -c 'import json,sys; c=json.load(open(sys.argv[1]))["submods"]["GPU-0"]; v=c
for k in sys.argv[2].split("/"): v=v[k]
sys.exit(0 if json.dumps(v)==sys.argv[3] else 1)' "$tmp/out" "$1" "$2"
}

base=(--offline --no-cache --ocsp off)
r550=(--report "$nv/hopper-550.90.07/report.hex" --chain "$nv/hopper-550.90.07/chain.pem")
n550="$(cat "$nv/hopper-550.90.07/nonce.hex")"
r580=(--report "$nv/hopper-580.159.03/report.hex" --chain "$nv/hopper-580.159.03/chain.pem")
n580="$(cat "$nv/hopper-580.159.03/nonce.hex")"

expect "550 report verifies offline" 0 "" -- "$ccgpu" verify gpu "${r550[@]}" --nonce "$n550" "${base[@]}" --no-rims --json
for kv in 'x-nvidia-gpu-driver-version="550.90.07"' 'x-nvidia-gpu-vbios-version="96.00.9F.00.01"' \
          'x-nvidia-gpu-attestation-report-signature-verified=true' \
          'x-nvidia-gpu-attestation-report-cert-chain-fwid-match=true' 'hwmodel="GH100 A01 GSP BROM"' \
          'ueid="478176379286082186618948445787393647364802107249"' \
          'x-nvidia-gpu-attestation-report-cert-chain/x-nvidia-cert-status="valid"' \
          'measres="not-checked"'; do
  check "550 claim ${kv}" claim "${kv%%=*}" "${kv#*=}"
done
# the claims keep NVIDIA's names and shapes: every claim NVIDIA's service issued for this
# report (JWT registered claims aside) is present with the same JSON type
check "claims keep NVIDIA's v3 names and shapes" python3 - "$tmp/out" "$nv/claims/hopper-550.90.07.nras-claims-v3.json" <<'PY'
import json, sys
ours = json.load(open(sys.argv[1]))["submods"]["GPU-0"]
nras = json.load(open(sys.argv[2]))["GPU-0"]
jwt = {"iss", "iat", "exp", "nbf", "jti"}
conditional = {"secboot", "dbgstat"}  # NVIDIA claims them only when measres is success
kind = lambda v: type(v).__name__
# oemid is the driver RIM's manufacturer id (as in NVIDIA's verifier): null when no RIM was read
loose = {"oemid"} if ours["measres"] == "not-checked" else set()
bad = [k for k, v in nras.items() if k not in jwt | conditional and
       (k not in ours or (k not in loose and kind(ours[k]) != kind(v)))]
for k, v in nras.items():
    if isinstance(v, dict) and k in ours:
        bad += [k + "/" + s for s in v if s not in ours[k]]
bad += [k for k in conditional if (k in ours) != (ours["measres"] == "success")]
print("missing or differently shaped:", bad)
sys.exit(1 if bad else 0)
PY
expect "580 report verifies offline" 0 "" -- "$ccgpu" verify gpu "${r580[@]}" --nonce "$n580" "${base[@]}" --no-rims
expect "serialized evidence verifies with its own nonce" 0 "" -- "$ccgpu" verify gpu --evidence "$nv/evidence/hopper_evidence.json" "${base[@]}" --no-rims --json
# ... but then nothing proves it fresh: a warning on stderr and the claims say so
check "without --nonce: freshness in ccgpu-checks-skipped" claim "ccgpu-checks-skipped" '["reference-values", "revocation", "freshness"]'
expect "without --nonce: a warning names the unchecked freshness" 0 "warning: not checked: .*freshness \(no --nonce" -- "$ccgpu" verify gpu --evidence "$nv/evidence/hopper_evidence.json" "${base[@]}" --no-rims
expect "with --nonce: freshness is checked" 0 "" -- "$ccgpu" verify gpu --evidence "$nv/evidence/hopper_evidence.json" --nonce e97b23a1718095a0e9e35edca810768c70a6a5a389b705e753b197912bc11576 "${base[@]}" --no-rims --json
check "with --nonce: freshness not in ccgpu-checks-skipped" claim "ccgpu-checks-skipped" '["reference-values", "revocation"]'
expect "wrong nonce is refused and named" 1 "nonce" -- "$ccgpu" verify gpu "${r550[@]}" --nonce "$n580" "${base[@]}" --no-rims
expect "another GPU's chain is refused" 1 "signature|FWID|fwid" -- "$ccgpu" verify gpu --report "$nv/hopper-550.90.07/report.hex" --chain "$nv/hopper-580.159.03/chain.pem" --nonce "$n550" "${base[@]}" --no-rims
expect "chain to another root is refused" 1 "device chain" -- "$ccgpu" verify gpu "${r550[@]}" --nonce "$n550" "${base[@]}" --no-rims --device-root "$nv/roots/nvidia_rim_root.pem"
expect "before the chain's validity is refused" 1 "not valid before|expired" -- "$ccgpu" verify gpu "${r550[@]}" --nonce "$n550" "${base[@]}" --no-rims --time 2000-01-01T00:00:00Z
expect "no RIM source fails closed" 1 "RIM" -- "$ccgpu" verify gpu "${r550[@]}" --nonce "$n550" "${base[@]}"
expect "580 with its VBIOS RIM: mismatch reported" 1 "" -- "$ccgpu" verify gpu "${r580[@]}" --nonce "$n580" "${base[@]}" --rim-dir "$nv/rims" --rim-ignore-expiry --json
check "mismatch named at RIM index 9" python3 -c 'import json,sys; g=json.load(open(sys.argv[1]))["submods"]["GPU-0"]; m=g["ccgpu-measurement-mismatches"]; sys.exit(0 if [x["index"] for x in m]==[9] and m[0]["rim"]=="vbios" and g["measres"]=="fail" and g["x-nvidia-gpu-vbios-rim-signature-verified"] is True else 1)' "$tmp/out"
expect "580 VBIOS RIM with expiry enforced is refused" 1 "" -- "$ccgpu" verify gpu "${r580[@]}" --nonce "$n580" "${base[@]}" --rim-dir "$nv/rims" --time 2026-11-22T00:00:00Z --json
check "the expired RIM certificate is named" python3 -c 'import json,sys; g=json.load(open(sys.argv[1]))["submods"]["GPU-0"]; e=[x for x in g["ccgpu-errors"] if "RIM chain[" in x and "expired" in x and "CN=" in x]; sys.exit(0 if e and g["x-nvidia-gpu-vbios-rim-cert-chain"]["x-nvidia-cert-status"]=="expired" else 1)' "$tmp/out"
expect "offline OCSP with a cold cache fails closed" 1 "OCSP|ocsp" -- "$ccgpu" verify gpu "${r550[@]}" --nonce "$n550" --offline --no-cache --ocsp cache --no-rims
expect "usage: no evidence" 2 "either --evidence" -- "$ccgpu" verify gpu --nonce "$n550"
expect "usage: bad nonce" 2 "64 hex" -- "$ccgpu" verify gpu "${r550[@]}" --nonce abc
expect "usage: bad ocsp mode" 2 "off, cache or online" -- "$ccgpu" verify gpu "${r550[@]}" --nonce "$n550" --ocsp sometimes
expect "usage: report without nonce" 2 "nonce" -- "$ccgpu" verify gpu "${r550[@]}" "${base[@]}"
expect "missing file named" 2 "/nonexistent" -- "$ccgpu" verify gpu --report /nonexistent --chain "$nv/hopper-550.90.07/chain.pem" --nonce "$n550"
expect "truncated report is refused" 1 "spdm" -- bash -c "head -c 2000 '$nv/hopper-550.90.07/report.hex' > '$tmp/short.hex' && exec '$ccgpu' verify gpu --report '$tmp/short.hex' --chain '$nv/hopper-550.90.07/chain.pem' --nonce $n550 --offline --no-cache --ocsp off --no-rims"

# NVIDIA's NVSwitch (LS10) evidence: one switch verifies with NVIDIA's switch claims; the file as shipped is
# that one switch four times, and the repeats are refused and named
python3 -c 'import json,sys; json.dump(json.load(open(sys.argv[1]))[:1], open(sys.argv[2], "w"))' \
  "$nv/evidence/multi_switch_ls10.json" "$tmp/one_switch.json"
expect "NVSwitch evidence verifies" 0 "" -- "$ccgpu" verify gpu --evidence "$tmp/one_switch.json" "${base[@]}" --no-rims --json
check "NVSwitch claims: NVIDIA's switch names, its PDI, FWID absent" python3 -c 'import json,sys
s=json.load(open(sys.argv[1]))["submods"]["SWITCH-0"]
sys.exit(0 if s["x-nvidia-switch-bios-version"]=="96.10.55.00.01" and s["x-nvidia-switch-pdi"]=="203EB31AD9ED0008" and s["x-nvidia-switch-attestation-report-signature-verified"] is True and s["ccgpu-fwid"]=="absent" else 1)' "$tmp/out"
expect "one switch four times is refused, the repeat named" 1 "SWITCH-1 device: the same device as SWITCH-0" -- \
  "$ccgpu" verify gpu --evidence "$nv/evidence/multi_switch_ls10.json" "${base[@]}" --no-rims

# every long option of --help is documented in the man page
ok_if_none "man page documents every option" "$("$ccgpu" verify gpu --help | man_missing "$man")"

tap_done
