#!/usr/bin/env bash
# Installs the Debian 12 packages ccgpu needs to build and test, if any is missing.
# Sourced by scripts/demo and scripts/test; safe to run again.
set -euo pipefail

CCGPU_PACKAGES=(
  build-essential meson ninja-build pkg-config python3
  clang libclang-rt-14-dev llvm
  openssl libssl-dev libjansson-dev libcbor-dev
  libxml2-dev libxmlsec1-dev libxmlsec1-openssl
  libcurl4-openssl-dev libmicrohttpd-dev libsqlite3-dev
  libtss2-dev swtpm swtpm-tools
  libcmocka-dev
  postgresql libpq-dev libjose-dev libsystemd-dev curl
  python3-yaml
  sqlite3 # branch party: the release story test edits a log row as the operator would
  clang-format
)

ccgpu_install_deps() {
  local missing=()
  for p in "${CCGPU_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ "${#missing[@]}" -eq 0 ]; then
    return 0
  fi
  echo "installing: ${missing[*]}"
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
}

# The shared real evidence lives beside the checkout (../shared/testdata) unless told otherwise.
ccgpu_testdata() {
  local top
  top="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  echo "${CCGPU_TESTDATA:-$top/../shared/testdata}"
}
