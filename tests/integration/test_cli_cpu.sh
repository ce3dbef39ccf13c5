#!/usr/bin/env bash
# ccgpu verify cpu on the real SEV-SNP, TDX and TPM evidence, as ccgpu's JSON and
# as users hold it (raw reports and quotes, DER/PEM VCEKs, AMD's bundles);
# refusals name the failed check; an input that is neither exits 2; every
# option of collect/verify cpu --help is in the man page. TAP.
set -uo pipefail
ccgpu="$1"; man="$2"
. "$(dirname "$0")/tap.sh"
tap_require_tool openssl
tap_require_testdata
json_str() { awk 'BEGIN{ORS=""} {gsub(/\\/,"\\\\"); gsub(/"/,"\\\""); print $0 "\\n"}' "$1"; }
snp_doc() { # report-file der-vcek pem-chain out
  openssl x509 -inform der -in "$2" >"$tmp/chain.pem"; cat "$3" >>"$tmp/chain.pem"
  printf '{"type":"snp","report":"%s","certs":"%s"}' "$(base64 -w0 "$1")" "$(json_str "$tmp/chain.pem")" >"$4"
}
tap_plan 29
src="$(cd "$(dirname "$0")/../.." && pwd)"
snp_doc "$td/snp/milan-go-sev-guest/attestation.bin" "$td/snp/milan-go-sev-guest/vcek.testcer" "$td/snp/milan-go-sev-guest/milan.testcer" "$tmp/go.json"
expect "verify cpu: Milan SEV-SNP report (go-sev-guest) passes" 0 "" -- "$ccgpu" verify cpu --evidence "$tmp/go.json" --time 2026-11-22T00:00:00Z --json
check "DEBUG allowed is a claim" grep -q '"snp-debug-allowed": true' "$tmp/out"
tr -d ' \n' <"$td/snp/milan-virtee/report_milan.hex" | perl -ne 'print pack("H*", $_)' >"$tmp/virtee.bin"
snp_doc "$tmp/virtee.bin" "$td/snp/milan-virtee/vcek_milan.der" "$td/snp/milan-virtee/cert_chain_milan" "$tmp/virtee.json"
expect "verify cpu: Milan SEV-SNP report (virtee) passes" 0 "" -- "$ccgpu" verify cpu --evidence "$tmp/virtee.json" --time 2026-11-22T00:00:00Z
printf '\x%02x' $(( $(od -An -tu1 -j21 -N1 "$tmp/virtee.bin") ^ 0x80 )) | dd of="$tmp/virtee.bin" bs=1 seek=21 conv=notrunc 2>/dev/null
snp_doc "$tmp/virtee.bin" "$td/snp/milan-virtee/vcek_milan.der" "$td/snp/milan-virtee/cert_chain_milan" "$tmp/flip.json"
expect "verify cpu: bit 7 of byte 21 flipped is refused by the signature" 1 "snp.signature" -- "$ccgpu" verify cpu --evidence "$tmp/flip.json" --time 2026-11-22T00:00:00Z
expect "verify cpu: --require-fresh-collateral refuses SEV-SNP without the ARK's CRL" 1 "snp.crl" -- "$ccgpu" verify cpu --evidence "$tmp/go.json" --time 2026-11-22T00:00:00Z --require-fresh-collateral
expect "verify cpu: an --amd-crl that is not a CRL is an input error" 2 "amd_crl" -- "$ccgpu" verify cpu --evidence "$tmp/go.json" --amd-crl "$td/snp/milan-go-sev-guest/vcek.testcer"
expect "verify cpu: report_data must match when asked" 1 "snp.report_data" -- "$ccgpu" verify cpu --evidence "$tmp/go.json" --time 2026-11-22T00:00:00Z --report-data "$(printf '%0128d' 0)"
printf '{"type":"tdx","quote":"%s"}' "$(base64 -w0 "$td/tdx/v5-sample/quote_v5_sample.dat")" >"$tmp/tdx.json"
d="$td/tdx/v5-sample"
expect "verify cpu: TDX v5 quote UpToDate at 2026-02-03" 0 "" -- "$ccgpu" verify cpu --evidence "$tmp/tdx.json" --intel-root "$d/trusted_root.pem" --tcb-info "$d/sample_tcbinfo_response_v5" --qe-identity "$d/sample_qeIdentity_response" --tcb-signing-chain "$d/tcbinfo_issuer_chain.derived.pem" --pck-crl "$d/pckcrl" --root-crl "$d/rootcrl.der" --time 2026-02-03T00:00:00Z --json
check "TDX TCB status claim" grep -q '"tdx-tcb-status": "UpToDate"' "$tmp/out"
expect "verify cpu: TDX without --intel-root verifies to the built-in Intel SGX Root CA" 0 "" -- "$ccgpu" verify cpu --evidence "$tmp/tdx.json" --time 2026-02-03T00:00:00Z --json
expect "verify cpu: TPM evidence file passes" 0 "" -- "$ccgpu" verify cpu --evidence "$td/tpm/tpm_evidence.json"
ok_if_none "man page documents every collect / verify cpu option" \
  "$("$ccgpu" verify cpu --help | man_missing "$man")$("$ccgpu" collect --cpu tpm --help | man_missing "$man")"
# evidence as users hold it (issue 11, items 6-10)
go="$td/snp/milan-go-sev-guest"; vt="$td/snp/milan-virtee"; q="$d/quote_v5_sample.dat"
cat "$go/milan.testcer" "$src/tests/data/amd/milan/asvk.pem" >"$tmp/ask_ark_asvk.pem" # AMD's / Trustee's bundle
awk '/BEGIN/{n++} n==2' "$go/milan.testcer" >"$tmp/ark.pem"
expect "verify cpu: raw SEV-SNP report + DER VCEK, no trust-anchor flag" 0 "" -- "$ccgpu" verify cpu --report "$go/attestation.bin" --vcek "$go/vcek.testcer" --time 2026-11-22T00:00:00Z --json
check "raw report claims" grep -q '"snp-debug-allowed": true' "$tmp/out"
expect "verify cpu: hex report + VCEK + KDS cert_chain (ASK||ARK)" 0 "" -- "$ccgpu" verify cpu --report "$vt/report_milan.hex" --vcek "$vt/vcek_milan.der" --certs "$vt/cert_chain_milan" --time 2026-11-22T00:00:00Z
expect "verify cpu: AMD's ASK||ARK||ASVK bundle is accepted" 0 "" -- "$ccgpu" verify cpu --report "$go/attestation.bin" --format snp --vcek "$go/vcek.testcer" --certs "$tmp/ask_ark_asvk.pem" --time 2026-11-22T00:00:00Z
expect "verify cpu: raw TDX quote, built-in Intel root" 0 "" -- "$ccgpu" verify cpu --report "$q" --time 2026-02-03T00:00:00Z --json
check "raw TDX: no collateral, TCB unknown and stale" grep -q '"tdx-collateral-stale": true' "$tmp/out"
expect "verify cpu: --require-fresh-collateral refuses a TDX quote with no collateral" 1 "tdx.collateral: no TDX collateral" -- "$ccgpu" verify cpu --report "$q" --time 2026-02-03T00:00:00Z --require-fresh-collateral
expect "verify cpu: an input that is neither exits 2" 2 "cpu.format: 2663 bytes that are neither" -- "$ccgpu" verify cpu --report "$d/pckcrl"
expect "verify cpu: JSON that does not parse exits 2" 2 "cpu.format" -- "$ccgpu" verify cpu --evidence <(printf '{"type": "snp"')
expect "verify cpu: --format naming the other type exits 2" 2 "named tdx" -- "$ccgpu" verify cpu --report "$go/attestation.bin" --format tdx --vcek "$go/vcek.testcer"
expect "verify cpu: a raw report without its VCEK exits 2" 2 "snp.vcek: a raw SEV-SNP report needs the VCEK" -- "$ccgpu" verify cpu --report "$go/attestation.bin"
expect "verify cpu: --vcek that is not a certificate exits 2" 2 "cpu.certs\\[0\\]" -- "$ccgpu" verify cpu --report "$go/attestation.bin" --vcek "$d/pckcrl"
expect "verify cpu: only ASK||ARK given: the missing VCEK is named" 1 "snp.vcek: no VCEK among the 2 certificates" -- "$ccgpu" verify cpu --report "$go/attestation.bin" --certs "$go/milan.testcer" --ark "$tmp/ark.pem" --time 2026-11-22T00:00:00Z
expect "verify cpu: the other chip's VCEK: hardware id, not FWID" 1 "snp.vcek.hwid: .*\\(certificate hardware id does not match the evidence\\)" -- "$ccgpu" verify cpu --report "$go/attestation.bin" --vcek "$vt/vcek_milan.der" --time 2026-11-22T00:00:00Z
ok_if_none "the hwID refusal does not mention FWID" "$(grep FWID "$tmp/err")"
az="$td/azure-snp-vtpm"; dd if="$az/hcl-report.bin" of="$tmp/az-snp.bin" bs=1 skip=32 count=1184 2>/dev/null
expect "verify cpu: the CoCo Azure sample's SNP report with its VCEK||ASK||ARK file" 0 "" -- "$ccgpu" verify cpu --report "$tmp/az-snp.bin" --vcek "$az/vcek.pem" --time 2026-11-22T00:00:00Z
openssl x509 -in "$td/tdx/v5-sample/trusted_root.pem" -pubkey -noout >"$tmp/pub.pem"
expect "collect without a TEE interface fails cleanly" 1 "tsm.mkdir" -- "$ccgpu" collect --cpu snp --nonce 00 --tee-public-key "$tmp/pub.pem" --gpu-evidence "$td/nvidia/evidence/hopper_evidence.json" --tsm-root "$tmp/none"
tap_done
