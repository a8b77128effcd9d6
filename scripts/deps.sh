#!/usr/bin/env bash
# Installs the Debian 12 packages closebook needs (README, docs/conventions.md §10), only those missing.
set -euo pipefail
packages=(
  build-essential cmake pkg-config
  liblmdb-dev lmdb-utils libsodium-dev libssl-dev
  libcapnp-dev capnproto
  libboost-program-options-dev libfmt-dev nlohmann-json3-dev libpistache-dev
  libgtest-dev libgmock-dev libbenchmark-dev libyaml-cpp-dev wrk curl python3-pandas time
  clang libclang-rt-14-dev
  golang-go golang-golang-x-mod-dev
  libcurl4-openssl-dev nginx
  chromium fonts-liberation  # the portal's browser test (docs/portal.md §5)
)
# Node.js and npm for the browser test's playwright-core: the machine's own when it has them
# (Debian 12's nodejs is older than the one such machines ship).
command -v node >/dev/null && command -v npm >/dev/null || packages+=(nodejs npm)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "closebook: installing ${missing[*]}" >&2
sudo=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "closebook: run as root or install sudo to install packages" >&2; exit 1; }
  sudo=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
