#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan, UBSan) into build-fuzz/ and runs each for SECONDS
# (default 300) from its seed corpus in fuzz/corpus/<target>/. New inputs go to a scratch
# corpus, never into the tree; a crash leaves its input in build-fuzz/crashes/ and fails.
#   SECONDS_PER_TARGET=15 bash scripts/fuzz.sh      # what scripts/test.sh (and so CI) runs
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
seconds=${SECONDS_PER_TARGET:-300}
bash "$root/scripts/deps.sh"
CC=clang CXX=clang++ cmake -S "$root" -B "$root/build-fuzz" -DCLOSEBOOK_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
targets=()
for corpus in "$root"/fuzz/corpus/*/; do targets+=("fuzz_$(basename "$corpus")"); done
cmake --build "$root/build-fuzz" -j2 --target "${targets[@]}" >/dev/null
mkdir -p "$root/build-fuzz/crashes"
status=0
for corpus in "$root"/fuzz/corpus/*/; do
  target=$(basename "$corpus")
  scratch="$root/build-fuzz/corpus/$target"
  mkdir -p "$scratch"
  echo "== fuzz_$target: ${seconds}s"
  if ! "$root/build-fuzz/fuzz/fuzz_$target" -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
      -print_final_stats=1 -artifact_prefix="$root/build-fuzz/crashes/$target-" "$scratch" "$corpus" \
      >"$root/build-fuzz/$target.log" 2>&1; then
    echo "fuzz_$target FAILED: see build-fuzz/$target.log and build-fuzz/crashes/" >&2
    tail -n 30 "$root/build-fuzz/$target.log" >&2
    status=1
  fi
  grep -E '^stat::number_of_executed_units|^stat::new_units_added' "$root/build-fuzz/$target.log" | tr '\n' ' '
  echo
done
exit $status
