#!/usr/bin/env bash
# libccgpu's dynamic symbol table equals the version script's list, and every
# listed symbol is a CCG_API declaration in the public headers. TAP output.
set -uo pipefail
lib="$1"; map="$2"; hdrs="$3"
. "$(dirname "$0")/tap.sh"
want="$(grep -oE '^\s+ccg_[a-z0-9_]+;' "$map" | tr -d ' ;' | sort)"
have="$(nm -D --defined-only "$lib" | awk '$2 ~ /^[TDBR]$/ {print $3}' | grep -v '^CCGPU_0$' | sed 's/@.*//' | sort)"
api="$(grep -hoE 'ccg_[a-z0-9_]+\(' $(grep -l CCG_API "$hdrs"/*.h) | tr -d '(' | sort -u)"
tap_plan 7
check "exports match libccgpu.map" diff <(echo "$want") <(echo "$have")
check "libccgpu.map lists every public function" diff <(echo "$want") <(echo "$api")
# (output captured first: grep -q closing the pipe early would fail the pipeline under pipefail)
versions="$(objdump -T "$lib")"
check "symbols carry version CCGPU_0" grep -q 'CCGPU_0 *ccg_gpu_verifier_appraise$' <<<"$versions"
# what an appraisal skipped is readable without parsing JSON (issue 10, item 12)
check "the skipped-check accessors are exported" bash -c 'for f in ccg_gpu_result_checks_skipped ccg_cpu_result_checks_skipped ccg_check_name; do grep -q "CCGPU_0 *$f\$" <<<"$1" || exit 1; done' _ "$versions"
# prompt privacy (branch ohttp): the client and the gateway an inference app needs are in the library
check "the OHTTP client and gateway are exported" bash -c 'for f in ccg_client_attest ccg_client_request ccg_ohttp_gateway_decapsulate ccg_ohttp_exchange_respond ccg_bhttp_decode; do grep -q "CCGPU_0 *$f\$" <<<"$1" || exit 1; done' _ "$versions"
# the CLIs' clients of the library (branch api): the party client, collection and the helpers they need are exported
check "the party client, collection and the CLI helpers are exported" bash -c 'for f in ccg_party_log_advance ccg_vevidence_check ccg_statement_sign ccg_merkle_inclusion_verify ccg_collect_composite_json ccg_token_jwks_fetch ccg_error_set ccg_time_parse_iso; do grep -q "CCGPU_0 *$f\$" <<<"$1" || exit 1; done' _ "$versions"
# ccgpu verify cpu/composite appraise through the public API only (what library users get)
cli="$(dirname "$(dirname "$hdrs")")/tools/ccgpu/cmd_verify_cpu.c"
check "the CLI's CPU verification uses include/ccgpu/cpu.h only" \
  bash -c '! grep -n "#include \"attest/" "$1" && grep -q "ccg_cpu_verifier_appraise_composite(" "$1"' _ "$cli"
tap_done
