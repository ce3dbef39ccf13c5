#!/usr/bin/env bash
# libccgpu's dynamic symbol table equals the version script's list, and every
# listed symbol is a CCG_API declaration in the public headers. TAP output.
set -uo pipefail
lib="$1"; map="$2"; hdrs="$3"
want="$(grep -oE '^\s+ccg_[a-z0-9_]+;' "$map" | tr -d ' ;' | sort)"
have="$(nm -D --defined-only "$lib" | awk '$2 ~ /^[TDBR]$/ {print $3}' | grep -v '^CCGPU_0$' | sed 's/@.*//' | sort)"
api="$(grep -hoE 'ccg_[a-z0-9_]+\(' $(grep -l CCG_API "$hdrs"/*.h) | tr -d '(' | sort -u)"
echo "1..4"
if [ "$want" = "$have" ]; then echo "ok 1 - exports match libccgpu.map"; else echo "not ok 1 - exports match libccgpu.map"; diff <(echo "$want") <(echo "$have") | sed 's/^/# /'; fi
if [ "$want" = "$api" ]; then echo "ok 2 - libccgpu.map lists every public function"; else echo "not ok 2 - libccgpu.map lists every public function"; diff <(echo "$want") <(echo "$api") | sed 's/^/# /'; fi
# (output captured first: grep -q closing the pipe early would fail the pipeline under pipefail)
versions="$(objdump -T "$lib")"
if grep -q 'CCGPU_0 *ccg_gpu_verifier_appraise$' <<<"$versions"; then echo "ok 3 - symbols carry version CCGPU_0"; else echo "not ok 3 - symbols carry version CCGPU_0"; fi
# ccgpu verify cpu/composite appraise through the public API only (what library users get)
cli="$(dirname "$(dirname "$hdrs")")/tee_guest/cmd_verify_cpu.c"
if ! grep -q '#include "attest/' "$cli" && grep -q 'ccg_cpu_verifier_appraise_composite(' "$cli"; then cli_ok=1; echo "ok 4 - the CLI's CPU verification uses include/ccgpu/cpu.h only"; else cli_ok=0; echo "not ok 4 - the CLI's CPU verification uses include/ccgpu/cpu.h only"; grep -n '#include "attest/' "$cli" | sed 's/^/# /'; fi
[ "$want" = "$have" ] && [ "$want" = "$api" ] && [ "$cli_ok" = 1 ]
