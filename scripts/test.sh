#!/usr/bin/env bash
# The test command: installs what is missing, builds, runs every test with ctest, then every
# libFuzzer target briefly from its seed corpus (scripts/fuzz.sh runs them longer).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bash "$root/scripts/build.sh"
cd "$root/build"
ctest --output-on-failure -j2
SECONDS_PER_TARGET=${FUZZ_SECONDS_PER_TARGET:-15} bash "$root/scripts/fuzz.sh"
