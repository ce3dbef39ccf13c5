#!/usr/bin/env bash
# ccgpu-policy end to end: templates, check with line:col errors, fmt
# idempotence, eval/explain on claims and on the real H100 evidence, test
# cases, NVIDIA import, sign/verify of policies and a three-party contract,
# diff, and the man page's coverage of every command and option. TAP output.
# Usage: test_policy_cli.sh PATH/TO/ccgpu-policy MANPAGE
set -uo pipefail
cp="$1"
man="$2"
. "$(dirname "$0")/tap.sh"
tap_require_tool openssl python3
tap_require_testdata nvidia
nv="$td/nvidia"
TAP_EXPECT_STDOUT=1
T=(--time 2026-11-22T00:00:00Z)
ev550=(--report "$nv/hopper-550.90.07/report.hex" --chain "$nv/hopper-550.90.07/chain.pem" --nonce "$(cat "$nv/hopper-550.90.07/nonce.hex")")

for role in model-owner data-owner client operator; do
  expect "new $role checks" 0 "ok" -- bash -c "'$cp' new $role > '$tmp/$role.ccp' && '$cp' check '$tmp/$role.ccp'"
  expect "fmt is idempotent on the $role template" 0 "" -- bash -c "'$cp' fmt '$tmp/$role.ccp' > '$tmp/a.ccp' && '$cp' fmt '$tmp/a.ccp' > '$tmp/b.ccp' && cmp '$tmp/a.ccp' '$tmp/b.ccp' && '$cp' fmt --check '$tmp/a.ccp'"
done
expect "new: unknown role" 2 "give a role" -- "$cp" new auditor
printf 'policy "p" version 1\nrule r "m" {\n  every gpu (x-nvidia-gpu-driver-versoin >= "550.54.15")\n}\n' >"$tmp/typo.ccp"
expect "check names line:col and suggests" 1 "typo.ccp:3:14: unknown claim 'x-nvidia-gpu-driver-versoin' \(did you mean 'x-nvidia-gpu-driver-version'\?\)" -- "$cp" check "$tmp/typo.ccp"
sed '/^#/!s/^ *//' "$tmp/model-owner.ccp" >"$tmp/ugly.ccp"
expect "fmt --check refuses a non-canonical file" 1 "not in canonical form" -- "$cp" fmt --check "$tmp/ugly.ccp"
expect "fmt of a reformatted file gives the canonical text back" 0 "" -- bash -c "'$cp' fmt '$tmp/ugly.ccp' | cmp - '$tmp/model-owner.ccp'"

# the real H100 evidence, appraised offline through attest's API
expect "eval on evidence: model-owner denies (measres not-checked)" 1 "rule gpus" -- "$cp" eval "$tmp/model-owner.ccp" "${ev550[@]}" "${T[@]}"
expect "explain names the deciding claim value" 1 'FAIL gpus.*|GPU-0: measres = "not-checked", want == "success"' -- "$cp" explain "$tmp/model-owner.ccp" "${ev550[@]}" "${T[@]}"
if grep -q 'PASS driver' "$tmp/out" && grep -q 'x-nvidia-gpu-driver-version = 550.90.07, want >= 550.54.15' "$tmp/out"; then ok "explain shows the driver version that passed"; else notok "explain shows the driver version that passed"; fi
expect "eval on serialized evidence: operator allows" 0 "allow" -- "$cp" eval "$tmp/operator.ccp" --evidence "$nv/evidence/hopper_evidence.json" "${T[@]}"

# claims JSON: produce it from the evidence, change one claim, see it flip
"$cp" explain "$tmp/operator.ccp" "${ev550[@]}" "${T[@]}" >/dev/null 2>&1
python3 - "$nv/claims/hopper-550.90.07.nras-claims-v3.json" "$tmp" <<'PY'
import json, sys
g = json.load(open(sys.argv[1]))["GPU-0"]
c = {"x-nvidia-overall-att-result": True, "x-nvidia-ver": "3.0", "submods": {"GPU-0": g}}
json.dump(c, open(sys.argv[2] + "/nras.json", "w"))
g = dict(g); g["x-nvidia-gpu-driver-version"] = "535.104.05"
json.dump({"x-nvidia-overall-att-result": True, "x-nvidia-ver": "3.0", "submods": {"GPU-0": g}}, open(sys.argv[2] + "/old.json", "w"))
PY
expect "model-owner allows NVIDIA's claims for the same report" 0 "allow" -- "$cp" eval "$tmp/model-owner.ccp" --claims "$tmp/nras.json" "${T[@]}"
expect "an older driver flips it, and the rule is named" 1 "rule driver" -- "$cp" eval "$tmp/model-owner.ccp" --claims "$tmp/old.json" "${T[@]}"

# NVIDIA's example policies
expect "import NVIDIA v4 example" 0 "rule measres" -- bash -c "'$cp' import '$nv/policies/NVGPULocalv4PolicyExample.json' --name v4 > '$tmp/v4.ccp' && cat '$tmp/v4.ccp'"
expect "imported v4 is canonical" 0 "" -- "$cp" fmt --check "$tmp/v4.ccp"
expect "v4 allows NVIDIA's claims" 0 "allow" -- "$cp" eval "$tmp/v4.ccp" --claims "$tmp/nras.json" "${T[@]}"
expect "v4 denies the real evidence without RIMs" 1 "rule measres" -- "$cp" eval "$tmp/v4.ccp" "${ev550[@]}" "${T[@]}"
expect "import v3 example (legacy claim names mapped)" 0 "cert-chain.x-nvidia-cert-status == \"valid\"" -- "$cp" import "$nv/policies/NVGPULocalPolicyExample.json"
expect "import refuses other JSON" 1 "neither" -- bash -c "echo '{\"a\":1}' > '$tmp/x.json' && '$cp' import '$tmp/x.json'"

# test cases
cat >"$tmp/cases.json" <<JSON
[{"name": "nvidia claims", "claims": "nras.json", "expect": "allow"},
 {"name": "old driver", "claims": "old.json", "expect": "deny", "rule": "driver"},
 {"name": "real evidence", "evidence": "$nv/evidence/hopper_evidence.json", "expect": "deny", "rule": "gpus"}]
JSON
expect "test: every case as expected" 0 "ok 3 - real evidence: deny by rule gpus" -- "$cp" test "$tmp/model-owner.ccp" "$tmp/cases.json" "${T[@]}"
sed -i 's/"expect": "allow"/"expect": "deny"/' "$tmp/cases.json"
expect "test: a wrong expectation fails" 1 "not ok 1" -- "$cp" test "$tmp/model-owner.ccp" "$tmp/cases.json" "${T[@]}"

# diff
sed 's/550.54.15/550.90.07/' "$tmp/a.ccp" >/dev/null
sed 's/"550.54.15"/"550.90.07"/; s/# The model owner/# A changed comment/' "$tmp/model-owner.ccp" >"$tmp/mo2.ccp"
expect "diff shows the changed rule" 1 '\+ every gpu \(x-nvidia-gpu-driver-version >= "550.90.07"\)' -- "$cp" diff "$tmp/model-owner.ccp" "$tmp/mo2.ccp"
expect "diff ignores formatting and comments" 0 "no semantic difference" -- bash -c "'$cp' fmt '$tmp/model-owner.ccp' > '$tmp/f.ccp' && sed -i 's/^# .*/# other/' '$tmp/f.ccp' && '$cp' diff '$tmp/model-owner.ccp' '$tmp/f.ccp'"

# keys, policy signatures, a three-party contract
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out "$tmp/k1.pem" 2>/dev/null
openssl genpkey -algorithm ED25519 -out "$tmp/k2.pem" 2>/dev/null
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out "$tmp/k3.pem" 2>/dev/null
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out "$tmp/k4.pem" 2>/dev/null
for i in 1 2 3 4; do openssl pkey -in "$tmp/k$i.pem" -pubout -out "$tmp/k$i.pub" 2>/dev/null; done
expect "sign a policy" 0 "" -- "$cp" sign "$tmp/model-owner.ccp" --key "$tmp/k1.pem" --output "$tmp/mo.sig"
expect "verify it (formatting does not matter)" 0 "signature valid" -- "$cp" verify "$tmp/ugly.ccp" "$tmp/mo.sig" --pub "$tmp/k1.pub"
expect "a changed comment is a changed signed text" 1 "another policy version" -- "$cp" verify "$tmp/f.ccp" "$tmp/mo.sig" --pub "$tmp/k1.pub"
expect "a changed policy does not verify" 1 "another policy version" -- "$cp" verify "$tmp/mo2.ccp" "$tmp/mo.sig" --pub "$tmp/k1.pub"
expect "another key does not verify" 1 "" -- "$cp" verify "$tmp/model-owner.ccp" "$tmp/mo.sig" --pub "$tmp/k3.pub"
python3 - "$tmp" <<'PY'
import json, sys
t = sys.argv[1]
pol = open(t + "/model-owner.ccp").read()
ps = [{"id": "acme", "role": "model-owner", "public-key": open(t + "/k1.pub").read(), "policy": pol},
      {"id": "clinic", "role": "data-owner", "public-key": open(t + "/k2.pub").read(), "policy": open(t + "/data-owner.ccp").read()},
      {"id": "alice", "role": "client", "public-key": open(t + "/k3.pub").read(), "policy": open(t + "/client.ccp").read()}]
c = {"ccgpu-contract": 1, "id": "demo", "version": 1, "not-before": "2026-01-01T00:00:00Z", "not-after": "2027-01-01T00:00:00Z",
     "workload": {"name": "llm", "reference-values": {"x-nvidia-gpu-vbios-version": ["96.00.9F.00.01"]}},
     "parties": ps, "secrets": [{"owner": "acme", "name": "model-key", "requires": ["acme", "clinic"]}]}
json.dump(c, open(t + "/contract.json", "w"), indent=2)
# threshold 2, and mallory's key (k4) stated under acme's name
c["threshold"] = 2
json.dump(c, open(t + "/contract-t2.json", "w"), indent=2)
ps[0]["public-key"] = open(t + "/k4.pub").read()
json.dump(c, open(t + "/contract-forged.json", "w"), indent=2)
gpu = {"measres": "success", "ccgpu-result": True, "x-nvidia-gpu-driver-version": "550.90.07",
       "x-nvidia-gpu-vbios-version": "96.00.9F.00.01", "x-nvidia-gpu-attestation-report-signature-verified": True,
       "x-nvidia-gpu-attestation-report-nonce-match": True, "x-nvidia-gpu-attestation-report-cert-chain-fwid-match": True,
       "x-nvidia-gpu-attestation-report-cert-chain": {"x-nvidia-cert-status": "valid"}}
json.dump({"x-nvidia-overall-att-result": True, "ccgpu-cpu-tee": "snp", "snp-debug-allowed": False,
           "submods": {"GPU-0": gpu}}, open(t + "/good-claims.json", "w"))
PY
REG=(--party-key "acme=$tmp/k1.pub" --party-key "clinic=$tmp/k2.pub" --party-key "alice=$tmp/k3.pub")
expect "contract: party 1 signs" 0 "" -- "$cp" sign "$tmp/contract.json" --key "$tmp/k1.pem" --party acme --output "$tmp/s1.sig"
expect "contract: party 2 (Ed25519) signs" 0 "" -- "$cp" sign "$tmp/contract.json" --key "$tmp/k2.pem" --party clinic --output "$tmp/s2.sig"
expect "contract: party 3 signs" 0 "" -- "$cp" sign "$tmp/contract.json" --key "$tmp/k3.pem" --party alice --output "$tmp/s3.sig"
expect "contract: a key signing for another party is refused" 2 "not party" -- "$cp" sign "$tmp/contract.json" --key "$tmp/k1.pem" --party alice
expect "contract in force with all three" 0 "in force" -- "$cp" verify "$tmp/contract.json" "$tmp/s1.sig" "$tmp/s2.sig" "$tmp/s3.sig" "${REG[@]}" "${T[@]}"
expect "contract not in force with two" 1 "alice" -- "$cp" verify "$tmp/contract.json" "$tmp/s1.sig" "$tmp/s2.sig" "${REG[@]}" "${T[@]}"
sed 's/"version": 1/"version": 2/' "$tmp/contract.json" >"$tmp/contract2.json"
expect "signatures of version 1 do not hold for version 2" 1 "signs contract version" -- "$cp" verify "$tmp/contract2.json" "$tmp/s1.sig" "$tmp/s2.sig" "$tmp/s3.sig" "${REG[@]}" "${T[@]}"
expect "contract outside its validity" 1 "validity" -- "$cp" verify "$tmp/contract.json" "$tmp/s1.sig" "$tmp/s2.sig" "$tmp/s3.sig" "${REG[@]}" --time 2028-01-01T00:00:00Z
expect "contract: verify without registered keys is refused" 2 "party-key" -- "$cp" verify "$tmp/contract.json" "$tmp/s1.sig" "$tmp/s2.sig" "$tmp/s3.sig" "${T[@]}"
expect "contract: a registered key that is not the party's: not in force" 1 "first missing: acme" -- "$cp" verify "$tmp/contract.json" "$tmp/s1.sig" "$tmp/s2.sig" "$tmp/s3.sig" --party-key "acme=$tmp/k4.pub" --party-key "clinic=$tmp/k2.pub" --party-key "alice=$tmp/k3.pub" "${T[@]}"
# release: the owner and every required party must have signed, whatever the threshold
for i in 1 2 3; do "$cp" sign "$tmp/contract-t2.json" --key "$tmp/k$i.pem" --party "$(echo acme clinic alice | cut -d' ' -f$i)" --output "$tmp/t2-$i.sig" >/dev/null; done
G=(--claims "$tmp/good-claims.json")
expect "release: owner, required party and policies agree" 0 "allow model-key" -- "$cp" release "$tmp/contract-t2.json" "$tmp/t2-1.sig" "$tmp/t2-2.sig" --secret model-key "${G[@]}" "${REG[@]}" "${T[@]}"
expect "release: threshold met without the owner releases nothing" 1 "deny model-key: acme: .*owner" -- "$cp" release "$tmp/contract-t2.json" "$tmp/t2-2.sig" "$tmp/t2-3.sig" --secret model-key "${G[@]}" "${REG[@]}" "${T[@]}"
expect "release: a required party that did not sign is named" 1 "deny model-key: clinic: " -- "$cp" release "$tmp/contract-t2.json" "$tmp/t2-1.sig" "$tmp/t2-3.sig" --secret model-key "${G[@]}" "${REG[@]}" "${T[@]}"
expect "release: a party's policy still decides" 1 "deny model-key: acme/gpus" -- "$cp" release "$tmp/contract-t2.json" "$tmp/t2-1.sig" "$tmp/t2-2.sig" --secret model-key "${ev550[@]}" "${REG[@]}" "${T[@]}"
"$cp" sign "$tmp/contract-forged.json" --key "$tmp/k4.pem" --party acme --output "$tmp/forged-1.sig" >/dev/null
"$cp" sign "$tmp/contract-forged.json" --key "$tmp/k2.pem" --party clinic --output "$tmp/forged-2.sig" >/dev/null
"$cp" sign "$tmp/contract-forged.json" --key "$tmp/k3.pem" --party alice --output "$tmp/forged-3.sig" >/dev/null
expect "release: a look-alike key under the owner's name does not consent" 1 "deny model-key: acme: " -- "$cp" release "$tmp/contract-forged.json" "$tmp/forged-1.sig" "$tmp/forged-2.sig" "$tmp/forged-3.sig" --secret model-key "${G[@]}" "${REG[@]}" "${T[@]}"
expect "release: without --secret" 2 "secret" -- "$cp" release "$tmp/contract-t2.json" "$tmp/t2-1.sig" "${G[@]}" "${REG[@]}" "${T[@]}"

expect "usage: unknown command" 2 "unknown command" -- "$cp" frobnicate
expect "usage: eval without input" 2 "--claims" -- "$cp" eval "$tmp/model-owner.ccp"

# every command has --help, and the man page documents every command and option
missing=""
for c in new check fmt eval explain test sign verify release diff import; do
  "$cp" "$c" --help >"$tmp/help" 2>&1 || missing="$missing $c(--help)"
  grep -q "^\.SS $c" "$man" || missing="$missing $c"
  missing="$missing$(man_missing "$man" <"$tmp/help")"
done
grep -q "EXIT STATUS" "$man" || missing="$missing EXIT-STATUS"
ok_if_none "man page documents every command and option" "$missing"

tap_done
