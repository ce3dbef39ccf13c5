# shellcheck shell=bash
# swtpm for the shell integration tests (branch party). Source it after tap.sh:
#   . "$(dirname "$0")/swtpm.sh"
# start_swtpm NAME: a swtpm (TPM 2.0, startup done) with its state in $tmp/tpm-NAME, its server
# on a free loopback port and its control channel on the next one (tpm2-tss's swtpm TCTI takes
# one port); sets tcti_NAME to "swtpm:host=127.0.0.1,port=P" and adds its pid to pids, which
# the test's tap_at_exit stops. Tries 20 port pairs; every wait is bounded. 1 when none listened.
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
start_swtpm() {
  local p pid d="$tmp/tpm-$1"
  mkdir -p "$d"
  for _ in $(seq 20); do
    p=$(( 20000 + RANDOM % 40000 ))
    port_free "$p" && port_free $((p + 1)) || continue
    swtpm socket --tpm2 --server "type=tcp,port=$p,bindaddr=127.0.0.1" --ctrl "type=tcp,port=$((p + 1)),bindaddr=127.0.0.1" \
      --flags not-need-init,startup-clear --tpmstate "dir=$d" >"$d.log" 2>&1 &
    pid=$!
    for _ in $(seq 100); do
      kill -0 "$pid" 2>/dev/null || break
      if ! port_free "$p"; then pids+=("$pid"); printf -v "tcti_$1" 'swtpm:host=127.0.0.1,port=%s' "$p"; return 0; fi
      sleep 0.05
    done
    kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
  done
  return 1
}
