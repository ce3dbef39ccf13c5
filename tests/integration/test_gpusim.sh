#!/usr/bin/env bash
# ccgpu-gpusim end to end: PKI and RIMs generated, the device served on a UNIX
# socket, the RIM service and OCSP responder on loopback; evidence collected
# with `ccgpu collect gpu` and appraised with `ccgpu verify gpu` against
# gpusim's roots, RIMs and OCSP. Every fault flag gives exactly its failed
# check and nothing else. All waits are bounded; every process is killed at
# exit. TAP output. Usage: test_gpusim.sh GPUSIM CCGPU MANPAGE
set -uo pipefail
gpusim="$1"; ccgpu="$2"; man="$3"
. "$(dirname "$0")/tap.sh"
tap_require_tool openssl python3
pids=()
tap_at_exit() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; }
wait_for() { for _ in $(seq 100); do [ -e "$1" ] && return 0; sleep 0.05; done; return 1; }
LIMIT=600  # every server stops by itself after this many seconds, whatever happens (the whole
           # script runs past 120 s under ASan on a loaded 2-core machine; the servers are killed at exit)

# one PKI + RIM service + OCSP responder per state directory
start_state() { # name gpus [pki faults...]
  local d="$tmp/$1" g="$2"; shift 2
  local f=(); for x in "$@"; do f+=(--fault "$x"); done
  "$gpusim" pki --out "$d" --gpus "$g" "${f[@]}" || return 1
  "$gpusim" serve-rims --dir "$d/rims" --port-file "$d/rims.port" --timeout $LIMIT & pids+=($!)
  "$gpusim" serve-ocsp --state "$d" --port-file "$d/ocsp.port" --timeout $LIMIT & pids+=($!)
  wait_for "$d/rims.port" && wait_for "$d/ocsp.port"
}
# collect and verify: state, output prefix, serve faults...; writes $tmp/<out>.json (evidence) and .claims
appraise() {
  local d="$tmp/$1" out="$tmp/$2"; shift 2
  local f=(); for x in "$@"; do f+=(--fault "$x"); done
  local sock="$tmp/$RANDOM.sock" nonce
  nonce="$(openssl rand -hex 32)"
  "$gpusim" serve --socket "$sock" --state "$d" --timeout $LIMIT "${f[@]}" & local p=$!; pids+=($p)
  wait_for "$sock" || { echo "no socket" >"$tmp/err"; return 1; }
  "$ccgpu" collect gpu --gpusim "$sock" --nonce "$nonce" --out "$out.json" 2>"$tmp/err"
  local rc=$?
  kill "$p"; wait "$p" 2>/dev/null
  [ $rc -eq 0 ] || return 1
  rm -rf "$out.cache"
  "$ccgpu" verify gpu --evidence "$out.json" --nonce "$nonce" --device-root "$d/device-root.pem" \
    --rim-root "$d/rim-root.pem" --rim-url "http://127.0.0.1:$(cat "$d/rims.port")" \
    --ocsp online --ocsp-url "http://127.0.0.1:$(cat "$d/ocsp.port")" --cache-dir "$out.cache" \
    --json >"$out.claims" 2>"$out.stderr"
  echo $? >"$out.rc"
  return 0
}
# expect_claims OUT RC 'GPU-n:error-regex' ... : the exit status, each listed GPU's ccgpu-errors is exactly one
# error matching the regex, every other GPU passes with every claim as expected
expect_claims() {
  python3 - "$tmp/$1" "$2" "${@:3}" <<'PY'
import json, re, sys
out, rc = sys.argv[1], int(sys.argv[2])
want = dict(a.split(":", 1) for a in sys.argv[3:])
got_rc = int(open(out + ".rc").read())
c = json.load(open(out + ".claims"))
bad = []
if got_rc != rc: bad.append(f"exit {got_rc}, want {rc}")
if c["x-nvidia-overall-att-result"] != (rc == 0): bad.append("overall result")
for gpu, g in c["submods"].items():
    errs = g["ccgpu-errors"]
    if gpu in want:
        if len(errs) != 1 or not re.search(want[gpu], errs[0]): bad.append(f"{gpu} errors {errs}")
        if g["ccgpu-result"] is not False: bad.append(f"{gpu} passed")
        continue
    exp = {"ccgpu-result": True, "measres": "success", "secboot": True, "dbgstat": "disabled",
           "x-nvidia-gpu-arch-check": True, "x-nvidia-gpu-attestation-report-parsed": True,
           "x-nvidia-gpu-attestation-report-nonce-match": True,
           "x-nvidia-gpu-attestation-report-signature-verified": True,
           "x-nvidia-gpu-attestation-report-cert-chain-fwid-match": True,
           "x-nvidia-gpu-driver-rim-signature-verified": True, "x-nvidia-gpu-vbios-rim-signature-verified": True,
           "x-nvidia-gpu-driver-rim-version-match": True, "x-nvidia-gpu-vbios-rim-version-match": True,
           "x-nvidia-gpu-vbios-index-no-conflict": True, "hwmodel": "GH100 A01 GSP BROM",
           "x-nvidia-gpu-driver-version": "570.86.15", "x-nvidia-gpu-vbios-version": "96.00.A5.00.01",
           "ccgpu-checks-skipped": [], "ccgpu-measurement-mismatches": [], "ccgpu-errors": []}
    for k, v in exp.items():
        if g.get(k) != v: bad.append(f"{gpu} {k}={g.get(k)!r}, want {v!r}")
    for ch in ("x-nvidia-gpu-attestation-report-cert-chain", "x-nvidia-gpu-driver-rim-cert-chain",
               "x-nvidia-gpu-vbios-rim-cert-chain"):
        if g[ch]["x-nvidia-cert-status"] != "valid" or g[ch]["x-nvidia-cert-ocsp-status"] != "good":
            bad.append(f"{gpu} {ch} {g[ch]}")
print(bad)
sys.exit(1 if bad else 0)
PY
}

start_state main 4 || tap_bail "gpusim pki or servers failed"
if appraise main good && expect_claims good 0 >"$tmp/err" 2>&1; then
  ok "good: 4 GPUs collected over the socket appraise true with every claim as expected"
else notok "good: 4 GPUs collected over the socket appraise true with every claim as expected"; fi
check "good: four distinct identities (serials, FWIDs, keys)" python3 - "$tmp/good.claims" "$tmp/main" <<'PY'
import json, sys, subprocess
c = json.load(open(sys.argv[1]))["submods"]
ueids = {g["ueid"] for g in c.values()}
fw = json.load(open(sys.argv[2] + "/gpusim.json"))["gpus"]
keys = {subprocess.run(["openssl", "x509", "-in", f"{sys.argv[2]}/gpu{i}/fmc.pem", "-noout", "-pubkey"],
        capture_output=True, text=True).stdout for i in range(4)}
sys.exit(0 if len(c) == 4 and len(ueids) == 4 and len({g["fwid"] for g in fw}) == 4 and len(keys) == 4 else 1)
PY
# serialized evidence read back appraises identically (claims equal but for iat)
check "serialized evidence JSON read back appraises identically" python3 - "$tmp/good" "$ccgpu" "$tmp/main" <<'PY'
import json, subprocess, sys
out, ccgpu, d = sys.argv[1:]
a = json.load(open(out + ".claims"))
ev = json.load(open(out + ".json"))
ports = {k: open(f"{d}/{k}.port").read().strip() for k in ("rims", "ocsp")}
# with the collection's nonce given (without it, the claims would add "freshness" to ccgpu-checks-skipped)
r = subprocess.run([ccgpu, "verify", "gpu", "--evidence", out + ".json", "--nonce", ev[0]["nonce"],
                    "--device-root", d + "/device-root.pem",
                    "--rim-root", d + "/rim-root.pem", "--rim-url", "http://127.0.0.1:" + ports["rims"],
                    "--ocsp", "online", "--ocsp-url", "http://127.0.0.1:" + ports["ocsp"], "--no-cache", "--json"],
                   capture_output=True, text=True, timeout=60)
b = json.loads(r.stdout)
for x in (a, b): x.pop("iat")
sys.exit(0 if r.returncode == 0 and a == b and len(ev) == 4 else 1)
PY

# report faults, one GPU of four faulty: exactly its check fails and the GPU is named
declare -A faults=(
  [bad-signature]='spdm\.response\.signature: .*signature does not verify'
  [wrong-nonce]='spdm\.request\.nonce: .*nonce mismatch'
  [drift=9]='golden\.vbios\[9\]: 1 measurement.*RIM index 9 .*measurement mismatch'
  [cc-off]='golden\.driver\[33\]: 1 measurement.*RIM index 33 .*measurement mismatch'
  [devtools]='golden\.driver\[34\]: 1 measurement.*RIM index 34 .*measurement mismatch'
  [unknown-rim]='NV_GPU_DRIVER_GH100_999\.99\.99 .*reference manifest not found'
)
i=0
for f in bad-signature wrong-nonce drift=9 cc-off devtools unknown-rim; do
  g=$((i % 4)); i=$((i+1))
  name="fault-${f%%=*}"
  if appraise main "$name" "$f@$g" 2>"$tmp/err" && expect_claims "$name" 1 "GPU-$g:${faults[$f]}" >"$tmp/err" 2>&1 &&
     grep -q "GPU-$g" "$tmp/$name.stderr"; then
    ok "fault $f on GPU $g of 4: only that check fails, the GPU is named"
  else notok "fault $f on GPU $g of 4: only that check fails, the GPU is named"; fi
done
check "drift and devtools claims: measres fail, no secboot/dbgstat" python3 -c '
import json, sys
g = json.load(open(sys.argv[1]))["submods"]["GPU-2"]
m = json.load(open(sys.argv[2]))["submods"]["GPU-0"]
sys.exit(0 if g["measres"] == "fail" and "secboot" not in g and "dbgstat" not in g and
         [x["index"] for x in g["ccgpu-measurement-mismatches"]] == [9] and m["measres"] == "fail" else 1)' \
  "$tmp/fault-drift.claims" "$tmp/fault-devtools.claims"

# PKI faults
for spec in 'expired-leaf:device chain\[0\] \(CN=GH100 A01 GSP FMC LF\): certificate expired' \
            'revoked-intermediate:chain\[2\] \(CN=GPUSIM GH100 Provisioner ICA 1\).*revoked.*certificate revoked' \
            'held-intermediate:chain\[2\] \(CN=GPUSIM GH100 Provisioner ICA 1\).*on hold.*certificate on hold'; do
  f="${spec%%:*}"; re="${spec#*:}"
  if start_state "$f" 1 "$f" 2>"$tmp/err" && appraise "$f" "pki-$f" 2>"$tmp/err" &&
     expect_claims "pki-$f" 1 "GPU-0:$re" >"$tmp/err" 2>&1; then ok "pki fault $f: exactly that error"
  else notok "pki fault $f: exactly that error"; fi
done
check "revoked and expired claims" python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))["submods"]["GPU-0"]["x-nvidia-gpu-attestation-report-cert-chain"]
e = json.load(open(sys.argv[2]))["submods"]["GPU-0"]["x-nvidia-gpu-attestation-report-cert-chain"]
h = json.load(open(sys.argv[3]))["submods"]["GPU-0"]["x-nvidia-gpu-attestation-report-cert-chain"]
sys.exit(0 if r["x-nvidia-cert-ocsp-status"] == "revoked" and r["x-nvidia-cert-revocation-reason"] == "keyCompromise"
         and h["x-nvidia-cert-ocsp-status"] == "on-hold" and e["x-nvidia-cert-status"] == "expired" else 1)' \
  "$tmp/pki-revoked-intermediate.claims" "$tmp/pki-expired-leaf.claims" "$tmp/pki-held-intermediate.claims"

# a protected-PCIe board: 8 GPUs and 4 NVSwitches in one document, NVIDIA's topology check across them
ppcie() { # out [faults...]: evidence of the board, then ccgpu verify gpu; writes $tmp/<out>.{json,claims,stderr,rc}
  local out="$tmp/$1" nonce; shift
  local f=(); for x in "$@"; do f+=(--fault "$x"); done
  nonce="$(openssl rand -hex 32)"
  "$gpusim" evidence --state "$tmp/ppcie" --nonce "$nonce" --out "$out.json" "${f[@]}" || return 1
  "$ccgpu" verify gpu --evidence "$out.json" --nonce "$nonce" --device-root "$tmp/ppcie/device-root.pem" \
    --rim-root "$tmp/ppcie/rim-root.pem" --rim-dir "$tmp/ppcie/rims" --ocsp off --offline --no-cache \
    --json >"$out.claims" 2>"$out.stderr"
  echo $? >"$out.rc"
}
"$gpusim" pki --out "$tmp/ppcie" --gpus 8 --switches 4 || tap_bail "gpusim pki --switches failed"
check "ppcie: 8 GPUs and 4 switches verify, topology pass, switch claims as NVIDIA's" bash -c "
  $(declare -f ppcie); tmp='$tmp' gpusim='$gpusim' ccgpu='$ccgpu' ppcie board || exit 1
  [ \$(cat '$tmp/board.rc') -eq 0 ] || exit 1
  python3 -c '
import json, sys
c = json.load(open(sys.argv[1]))
s = c[\"submods\"]
sw = [s[f\"SWITCH-{i}\"] for i in range(4)]
sys.exit(0 if c[\"ccgpu-ppcie-topology\"] == \"pass\" and len(s) == 12 and all(
    x[\"x-nvidia-device-type\"] == \"nvswitch\" and x[\"measres\"] == \"success\" and
    x[\"x-nvidia-switch-bios-version\"] == \"96.10.55.00.01\" and x[\"ccgpu-fwid\"] == \"match\" and
    len(x[\"x-nvidia-switch-gpu-pdis\"]) == 8 for x in sw) else 1)' '$tmp/board.claims'"
for spec in 'ppcie-rogue-switch@5:GPU-5' 'ppcie-missing-gpu@1:SWITCH-1'; do
  f="${spec%%:*}"; dev="${spec#*:}"
  check "ppcie fault $f: exit 1, topology fail, $dev named" bash -c "
    $(declare -f ppcie); tmp='$tmp' gpusim='$gpusim' ccgpu='$ccgpu' ppcie bad '$f' || exit 1
    [ \$(cat '$tmp/bad.rc') -eq 1 ] && grep -q '$dev ppcie.topology' '$tmp/bad.stderr' &&
    grep -q '\"ccgpu-ppcie-topology\": \"fail\"' '$tmp/bad.claims'"
done
check "ppcie fault ppcie-link-down: disabled links are not switches, still passes" bash -c "
  $(declare -f ppcie); tmp='$tmp' gpusim='$gpusim' ccgpu='$ccgpu' ppcie down ppcie-link-down@2 || exit 1
  [ \$(cat '$tmp/down.rc') -eq 0 ]"

# the RIM service answers in NVIDIA's shape
check "RIM service JSON shape" python3 - "$tmp/main" <<'PY'
import json, sys, urllib.request, base64, hashlib, glob, os
d = sys.argv[1]; port = open(d + "/rims.port").read().strip()
rid = os.path.basename(glob.glob(d + "/rims/NV_GPU_VBIOS_*.xml")[0])[:-4]
j = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/rim/{rid}", timeout=10))
x = base64.b64decode(j["rim"])
ok = set(j) == {"id", "rim", "sha256", "last_updated", "rim_format", "request_id"} and j["id"] == rid and \
     j["rim_format"] == "TCG" and j["sha256"] == hashlib.sha256(x).hexdigest() and x.startswith(b"<SoftwareIdentity ")
try:
    urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/rim/..%2Fgpusim.json", timeout=10); ok = False
except Exception:
    pass
sys.exit(0 if ok else 1)
PY
check "usage errors exit 2, bad faults 1" bash -c "'$gpusim' pki 2>/dev/null; [ \$? -eq 2 ] || exit 1; '$gpusim' serve --fault nonsense --socket x --state y 2>/dev/null; [ \$? -eq 1 ]"
expect "--copy-engine takes host or offload" 1 'copy_engine.*"gpu": host or offload' -- \
  "$gpusim" serve --copy-engine gpu --socket "$tmp/x.sock" --state "$tmp/main"
expect "--copy-engine belongs to serve" 2 'copy-engine belongs to serve' -- \
  "$gpusim" serve-rims --copy-engine offload --dir "$tmp/main/rims"

# every long option of --help is documented in the man page
ok_if_none "man page documents every option" "$("$gpusim" --help | man_missing "$man")"

tap_done
