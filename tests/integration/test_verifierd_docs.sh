#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# ccgpu-verifierd against its documentation and its operation basics:
# the routes it serves are exactly those of docs/api/openapi.yaml; every
# configuration key is in the man page; --help, usage errors and
# --check-config (unknown keys, plain HTTP on the network, a broken policy);
# HTTPS from tls_cert/tls_key; a UNIX socket; the key and database 0600.
# usage: test_verifierd_docs.sh CCGPU-VERIFIERD SOURCE-ROOT
set -uo pipefail
. "$(dirname "$0")/tap.sh"
vd="$1"
src="$2"

pid=""
tap_at_exit() { [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; }

# the routes served and the routes documented: "METHOD PATH", sorted
"$vd" --list-routes | sort >"$tmp/served"
awk '/^paths:/ { p = 1; next } /^[a-z]/ { p = 0 }
     p && /^  \/[^ ]*:$/ { path = $1; sub(/:$/, "", path) }
     p && /^    (get|post|put|delete|patch|head|options):$/ { m = toupper($1); sub(/:$/, "", m); print m, path }' \
  "$src/docs/api/openapi.yaml" | sort >"$tmp/documented"
if [ -s "$tmp/served" ] && diff -u "$tmp/documented" "$tmp/served" >"$tmp/diff"; then
  ok "every route served is in openapi.yaml and every route there is served ($(wc -l <"$tmp/served"))"
else
  cat "$tmp/diff" | sed 's/^/# /'
  notok "routes and openapi.yaml differ"
fi

# a strict YAML parser reads openapi.yaml (an unquoted ": " inside a plain scalar is an error there)
if python3 -c 'import yaml' 2>/dev/null; then
  python3 -c 'import sys, yaml; d = yaml.safe_load(open(sys.argv[1])); assert isinstance(d["paths"], dict)' \
    "$src/docs/api/openapi.yaml" 2>"$tmp/yaml" && ok "openapi.yaml parses with a strict YAML parser" ||
    notok "openapi.yaml does not parse: $(tail -n 2 "$tmp/yaml" | tr '\n' ' ')"
elif [ "${CI:-}" = "true" ]; then
  notok "python3-yaml is missing under CI"
else
  ok "# SKIP python3-yaml not installed"
fi

# every configuration key (the table in verifier/config.c) is documented in the man page
missing=""
n=0
for k in $(sed -n 's/^	{"\([a-z_]*\)", K_.*/\1/p' "$src/verifier/config.c"); do
  n=$((n + 1))
  grep -Eq "^\.(B|BR) .*\b$k\b" "$src/docs/man/ccgpu-verifierd.8" || missing="$missing $k"
done
if [ "$n" -gt 20 ] && [ -z "$missing" ]; then ok "all $n configuration keys in ccgpu-verifierd.8"; else notok "keys not in the man page:$missing"; fi

"$vd" --help | grep -q -- "--check-config" && ok "--help" || notok "--help"
"$vd" --no-such-option >/dev/null 2>&1
[ $? -eq 2 ] && ok "a usage error exits 2" || notok "usage error status"

cat >"$tmp/good.conf" <<CONF
# a comment
listen = 127.0.0.1:0
state_dir = $tmp/state
nonce_ttl = 60
CONF
"$vd" --config "$tmp/good.conf" --check-config >"$tmp/out" 2>&1 && grep -q "configuration ok" "$tmp/out" &&
  ok "--check-config accepts a good configuration" || notok "--check-config good: $(cat "$tmp/out")"
printf 'listen = 127.0.0.1:0\nno_such_key = 1\n' >"$tmp/bad.conf"
"$vd" --config "$tmp/bad.conf" --check-config >"$tmp/out" 2>&1
[ $? -eq 2 ] && grep -q "bad.conf:2" "$tmp/out" && grep -q "no_such_key" "$tmp/out" &&
  ok "an unknown key is refused with its line" || notok "unknown key: $(cat "$tmp/out")"
printf 'nonce_ttl = 60\nnonce_ttl = 70\n' >"$tmp/dup.conf"
"$vd" --config "$tmp/dup.conf" --check-config >"$tmp/out" 2>&1
[ $? -eq 2 ] && grep -q "dup.conf:2" "$tmp/out" && ok "a key given twice is refused" || notok "dup: $(cat "$tmp/out")"
printf 'max_body = 12\n' >"$tmp/range.conf"
"$vd" --config "$tmp/range.conf" --check-config >"$tmp/out" 2>&1
[ $? -eq 2 ] && grep -q "max_body" "$tmp/out" && ok "a value out of range is refused" || notok "range: $(cat "$tmp/out")"
# tpm_ak_handle (branch vtee): a persistent handle written 0x…, nothing else
for h in 0x81010002 0x81ffffff; do
  printf 'listen = 127.0.0.1:0\ntpm_ak_handle = %s\n' "$h" >"$tmp/h.conf"
  "$vd" --config "$tmp/h.conf" --check-config >"$tmp/out" 2>&1 && ok "tpm_ak_handle $h accepted" ||
    notok "tpm_ak_handle $h: $(cat "$tmp/out")"
done
for h in 0x01400001 0x82000000 81010002 0x 0x81010002z 1081010002 0x-81010002; do
  printf 'listen = 127.0.0.1:0\ntpm_ak_handle = %s\n' "$h" >"$tmp/h.conf"
  "$vd" --config "$tmp/h.conf" --check-config >"$tmp/out" 2>&1
  [ $? -eq 2 ] && grep -q "h.conf:2" "$tmp/out" && grep -q "tpm_ak_handle" "$tmp/out" &&
    ok "tpm_ak_handle $h refused" || notok "tpm_ak_handle $h: $(cat "$tmp/out")"
done
printf 'listen = 0.0.0.0:8400\n' >"$tmp/net.conf"
"$vd" --config "$tmp/net.conf" --check-config >"$tmp/out" 2>&1
[ $? -eq 2 ] && grep -q "^ccgpu-verifierd: listen" "$tmp/out" &&
  ok "plain HTTP on the network is refused" || notok "plain network: $(cat "$tmp/out")"
printf 'listen = 0.0.0.0:8400\nallow_plain_http_on_network = true\n' >"$tmp/net2.conf"
"$vd" --config "$tmp/net2.conf" --check-config >/dev/null 2>&1 &&
  ok "... unless allow_plain_http_on_network = true" || notok "allow_plain_http_on_network"
printf 'tls_cert = /x.pem\n' >"$tmp/tls.conf"
"$vd" --config "$tmp/tls.conf" --check-config >"$tmp/out" 2>&1
[ $? -eq 2 ] && grep -q "tls_cert" "$tmp/out" && ok "tls_cert without tls_key is refused" || notok "tls pair"
printf 'policy "p" version 1\nrule r "r" { no-such-claim }\n' >"$tmp/broken.policy"
printf 'policy = %s\n' "$tmp/broken.policy" >"$tmp/pol.conf"
"$vd" --config "$tmp/pol.conf" --check-config >"$tmp/out" 2>&1
[ $? -eq 2 ] && grep -q "no-such-claim" "$tmp/out" && ok "a policy that does not check is refused" ||
  notok "broken policy: $(cat "$tmp/out")"

# HTTPS with a certificate from the configuration
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$tmp/tls.key" -out "$tmp/tls.crt" \
  -days 2 -subj "/CN=127.0.0.1" -addext "subjectAltName=IP:127.0.0.1" >/dev/null 2>&1
cat >"$tmp/https.conf" <<CONF
listen = 127.0.0.1:0
tls_cert = $tmp/tls.crt
tls_key = $tmp/tls.key
CONF
"$vd" --config "$tmp/https.conf" --state-dir "$tmp/s1" --port-file "$tmp/port1" 2>"$tmp/log1" &
pid=$!
for _ in $(seq 300); do [ -s "$tmp/port1" ] && break; sleep 0.05; done
port=$(cat "$tmp/port1" 2>/dev/null)
if [ -n "$port" ] && curl -s --cacert "$tmp/tls.crt" "https://127.0.0.1:$port/healthz" | grep -q '"ok"'; then
  ok "HTTPS from tls_cert and tls_key"
else
  notok "HTTPS: $(cat "$tmp/log1")"
fi
curl -s -o /dev/null -m 5 "http://127.0.0.1:$port/healthz" && notok "plain HTTP answered on the TLS port" ||
  ok "no plain HTTP on the TLS port"
kill "$pid"; wait "$pid"; st=$?; pid=""
[ "$st" -eq 0 ] && ok "SIGTERM exits 0" || notok "SIGTERM status $st"
[ "$(stat -c %a "$tmp/s1/ear-signing-key.pem")" = 600 ] && [ "$(stat -c %a "$tmp/s1/verifier.db")" = 600 ] &&
  ok "signing key and database are 0600" || notok "modes $(stat -c '%n %a' "$tmp"/s1/*)"
grep -q "BEGIN" "$tmp/log1" && notok "the log holds PEM" || ok "the log holds no key material"

# a UNIX socket
"$vd" --state-dir "$tmp/s2" --listen "unix:$tmp/vd.sock" 2>"$tmp/log2" &
pid=$!
for _ in $(seq 300); do [ -S "$tmp/vd.sock" ] && break; sleep 0.05; done
curl -s --unix-socket "$tmp/vd.sock" http://localhost/readyz | grep -q '"ready"' && ok "a UNIX socket" ||
  notok "UNIX socket: $(cat "$tmp/log2")"
kill "$pid"; wait "$pid"; pid=""

tap_done
