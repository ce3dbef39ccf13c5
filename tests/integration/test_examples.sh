#!/usr/bin/env bash
# examples/ as an application developer builds them (issue 12 item 9): libccgpu installed
# (meson install into a temporary DESTDIR), each example compiled with nothing but
# `cc $(pkg-config --cflags --libs ccgpu)` through that prefix's ccgpu.pc, linked to and run
# with the installed library: verify_report and verify_evidence on the shared test data (and a
# wrong nonce refused), evaluate_policy on the claims verify_evidence wrote (allow, and a deny),
# channel_roundtrip against the installed ccgpu-gpusim. The claims schema is installed where
# ccgpu.pc's claims_schema (and include/ccgpu/policy.h) says. The confidential inference example
# (examples/inference: the server ccgpu-inference and the model owner's seal_model, issue 15) builds
# the same way, with libmicrohttpd and libcrypto beside ccgpu; seal_model seals and opens a model, and
# a flipped byte is refused (the server's whole run is the inference-story test).
# Usage: test_examples.sh BUILD_DIR SOURCE_ROOT CC [CFLAGS...]. TAP output.
set -uo pipefail
build="$1"; src="$2"; cc="$3"; shift 3; cflags=("$@")
. "$(dirname "$0")/tap.sh"
tap_require_testdata nvidia
tap_require_tool pkg-config meson
nv="$CCGPU_TESTDATA/nvidia"
dest="$tmp/dest"
meson install -C "$build" --no-rebuild --destdir "$dest" >"$tmp/install.log" 2>&1 ||
  tap_bail "meson install failed: $(tail -3 "$tmp/install.log" | tr '\n' ' ')"
pc="$(find "$dest" -name ccgpu.pc | head -1)"
[ -n "$pc" ] || tap_bail "no ccgpu.pc installed"
# only the installed prefix: its ccgpu.pc, its paths under DESTDIR; the system's .pc files after it for
# what ccgpu.pc requires (jansson, in ccgpu/party.h's API: branch api)
sys_pc="$(pkg-config --variable pc_path pkg-config)"
export PKG_CONFIG_LIBDIR="$(dirname "$pc"):$sys_pc" PKG_CONFIG_PATH="" PKG_CONFIG_SYSROOT_DIR="$dest"
[ "$(pkg-config --variable=pcfiledir ccgpu)" = "$(dirname "$pc")" ] || tap_bail "ccgpu.pc is not the installed one"
# a path ccgpu.pc names, under DESTDIR (pkgconf puts the sysroot in front of its variables, pkg-config does not)
under_dest() { local v; v="$(pkg-config --variable="$1" ccgpu)"; case "$v" in "$dest"/*) echo "$v" ;; *) echo "$dest$v" ;; esac; }
libdir="$(under_dest libdir)"
bindir="$(under_dest prefix)/bin"
export LD_LIBRARY_PATH="$libdir"
server=
tap_at_exit() { [ -z "$server" ] || { kill "$server" 2>/dev/null; wait "$server" 2>/dev/null; }; }

for ex in verify_report verify_evidence evaluate_policy channel_roundtrip; do
  # shellcheck disable=SC2046  # pkg-config's flags are words
  check "$ex builds against the installed headers and library" \
    "$cc" "${cflags[@]}" -std=c11 -Wall -Wextra -Werror -o "$tmp/$ex" "$src/examples/$ex.c" $(pkg-config --cflags --libs ccgpu)
done
inf="$src/examples/inference"
# shellcheck disable=SC2046
check "ccgpu-inference builds against the installed headers and library (and libmicrohttpd, libcrypto)" \
  "$cc" "${cflags[@]}" -std=gnu11 -Wall -Wextra -Werror -o "$tmp/ccgpu-inference" "$inf/server.c" "$inf/model.c" \
  $(pkg-config --cflags --libs ccgpu) $(env -u PKG_CONFIG_LIBDIR -u PKG_CONFIG_SYSROOT_DIR pkg-config --cflags --libs libmicrohttpd libcrypto)
# shellcheck disable=SC2046
check "seal_model builds the same way" \
  "$cc" "${cflags[@]}" -std=gnu11 -Wall -Wextra -Werror -o "$tmp/seal_model" "$inf/seal_model.c" "$inf/model.c" \
  $(pkg-config --cflags --libs ccgpu) $(env -u PKG_CONFIG_LIBDIR -u PKG_CONFIG_SYSROOT_DIR pkg-config --cflags --libs libcrypto)
check "the examples load the installed libccgpu" bash -c 'ldd "$1" | grep -F "$2/libccgpu.so"' _ "$tmp/verify_report" "$libdir"
check "the claims schema is where ccgpu.pc says" cmp "$(under_dest claims_schema)" "$src/policies/claims-schema.json"

r=("$nv/hopper-550.90.07/report.hex" "$nv/hopper-550.90.07/chain.pem")
TAP_EXPECT_STDOUT=1 expect "verify_report: a real H100 report" 0 "verified: driver 550.90.07; not checked: revocation reference-values" -- \
  "$tmp/verify_report" "${r[@]}" "$nv/hopper-550.90.07/nonce.hex"
expect "verify_report: another nonce is refused" 1 "refused: .*nonce" -- \
  "$tmp/verify_report" "${r[@]}" "$nv/hopper-580.159.03/nonce.hex"
nonce=e97b23a1718095a0e9e35edca810768c70a6a5a389b705e753b197912bc11576
TAP_EXPECT_STDOUT=1 expect "verify_evidence: NVIDIA's evidence JSON" 0 "GPU-0 .*: passed, driver 590" -- \
  "$tmp/verify_evidence" "$nv/evidence/hopper_evidence.json" "$nonce" "$tmp/claims.json"
expect "verify_evidence: another nonce is refused" 1 "refused: .*nonce" -- \
  "$tmp/verify_evidence" "$nv/evidence/hopper_evidence.json" "${nonce/e97b/0000}" "$tmp/claims-bad.json"
head -c 32 /dev/urandom >"$tmp/model.key"
python3 "$inf/reference.py" weights 8x16/4,4x8 "$tmp/weights.bin"
TAP_EXPECT_STDOUT=1 expect "seal_model seal: a model sealed under the model key" 0 "sealed 160 weight bytes" -- \
  "$tmp/seal_model" seal --shape 8x16/4,4x8 --weights "$tmp/weights.bin" --key "$tmp/model.key" --out "$tmp/model.sealed"
TAP_EXPECT_STDOUT=1 expect "seal_model open: it opens to the same weights" 0 \
  "2 layers: 8x16/4 4x8/0; 160 weight bytes, sha256 $(sha256sum "$tmp/weights.bin" | cut -c1-64)" -- \
  "$tmp/seal_model" open --key "$tmp/model.key" --in "$tmp/model.sealed"
python3 -c 'import sys; b = bytearray(open(sys.argv[1], "rb").read()); b[60] ^= 1; open(sys.argv[1], "wb").write(b)' "$tmp/model.sealed"
expect "seal_model open: a flipped byte is refused (model.tag)" 1 "open: model.tag: " -- \
  "$tmp/seal_model" open --key "$tmp/model.key" --in "$tmp/model.sealed"
TAP_EXPECT_STDOUT=1 expect "ccgpu-inference --help" 0 "POST /v1/generate" -- "$tmp/ccgpu-inference" --help
expect "ccgpu-inference without its options is a usage error" 2 "give --verifier" -- "$tmp/ccgpu-inference" --model x
req=(--verifier http://127.0.0.1:1 --jwks "$tmp/none.json" --gpusim "$tmp/gpu.sock" --gpu-root x --contract c --model x)
expect "ccgpu-inference: --listen must be IPv4-ADDRESS:PORT" 2 "--listen" -- "$tmp/ccgpu-inference" "${req[@]}" --listen localhost
expect "ccgpu-inference: --reattest-margin 0 is refused" 2 "--reattest-margin" -- "$tmp/ccgpu-inference" "${req[@]}" --reattest-margin 0
expect "ccgpu-inference: an unknown --cpu is refused" 2 "--cpu" -- "$tmp/ccgpu-inference" "${req[@]}" --cpu sgx
expect "ccgpu-inference: a missing JWKS file refuses the start, named" 1 "start refused at .*none.json" -- "$tmp/ccgpu-inference" "${req[@]}"
TAP_EXPECT_STDOUT=1 expect "evaluate_policy: allow" 0 "^allow: example" -- "$tmp/evaluate_policy" "$src/examples/gpu.ccp" "$tmp/claims.json"
sed 's/550\.54\.15/999.0.0/' "$src/examples/gpu.ccp" >"$tmp/strict.ccp"
TAP_EXPECT_STDOUT=1 expect "evaluate_policy: deny names the rule" 1 "^deny: driver" -- "$tmp/evaluate_policy" "$tmp/strict.ccp" "$tmp/claims.json"

"$bindir/ccgpu-gpusim" pki --out "$tmp/pki" >/dev/null 2>&1 || tap_bail "ccgpu-gpusim pki failed"
"$bindir/ccgpu-gpusim" serve --socket "$tmp/gpu.sock" --state "$tmp/pki" --timeout 120 2>"$tmp/serve.log" &
server=$!
for _ in $(seq 200); do [ -S "$tmp/gpu.sock" ] && break; sleep 0.05; done
TAP_EXPECT_STDOUT=1 expect "channel_roundtrip: through the installed ccgpu-gpusim" 0 "1 MiB written and read back intact" -- \
  "$tmp/channel_roundtrip" "$tmp/gpu.sock" "$tmp/pki/device-root.pem"
expect "channel_roundtrip: another root is refused" 1 "failed: .*(untrusted|trust anchor)" -- \
  "$tmp/channel_roundtrip" "$tmp/gpu.sock" "$nv/roots/nvidia_device_identity_ca.pem"
tap_done
