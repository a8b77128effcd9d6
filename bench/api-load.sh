#!/usr/bin/env bash
# closebookd under load (docs/performance.md): wrk on loopback measures throughput and latency
# of checkpoints, inclusion proofs and line lineage with concurrent readers while a writer
# appends through the API, against /healthz (the HTTP plumbing's own bound on this machine).
# Bounded: each run lasts DURATION seconds and everything stops by itself.
#   LINES=20000 DURATION=10 CONNECTIONS=16 THREADS=2 bash bench/api-load.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
lines=${LINES:-20000} duration=${DURATION:-10} connections=${CONNECTIONS:-16} threads=${THREADS:-2}
bash "$root/scripts/build.sh" --target closebook closebookd closebook-sample >/dev/null
closebook=$root/build/cli/closebook
work=$(mktemp -d)
daemon=
cleanup() {
  [ -n "$daemon" ] && kill "$daemon" 2>/dev/null && wait "$daemon" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
export CLOSEBOOK_PASSPHRASE=load-test CLOSEBOOK_LEDGER=$work/ledger

echo "== a period of $lines invoice lines, priced and matched"
"$root/build/data/sample/generator/closebook-sample" --out "$work/data" --lines "$lines" --seed 7 >/dev/null
"$closebook" init --origin closebook.bench/load >/dev/null
for kind in partners tenants rules fx; do "$closebook" load "$kind" "$work/data/$kind.csv" >/dev/null; done
"$closebook" ingest invoice --format microsoft-nce "$work/data/invoice-microsoft-nce.csv" --period 2026-10 >/dev/null
"$closebook" ingest invoice --format generic "$work/data/invoice-generic.csv" --period 2026-10 >/dev/null
"$closebook" ingest usage "$work/data/usage.csv" --period 2026-10 >/dev/null
before_price=$("$closebook" log checkpoints | tail -n 1)
"$closebook" price --period 2026-10 >/dev/null
after_price=$("$closebook" log checkpoints | tail -n 1)
"$closebook" match --period 2026-10 >/dev/null
size=$("$closebook" log checkpoints | tail -n 1)
echo "ledger: $size entries, $(du -sh "$work/ledger" | cut -f1)"

# Priced line ids for the lineage requests: a sample of the entries pricing appended.
: >"$work/lines.txt"
for i in $(seq "$before_price" $(( (after_price - before_price) / 100 + 1 )) $((after_price - 1))); do
  "$closebook" log entry "$i" --format json | grep -o '"lineId":"[^"]*"' | cut -d'"' -f4 >>"$work/lines.txt" || true
done
echo "lineage sample: $(wc -l <"$work/lines.txt") priced lines"

auditor=$("$closebook" tokens create --role auditor --name load-reader 2>/dev/null)
ops=$("$closebook" tokens create --role ops --name load-writer 2>/dev/null)
"$root/build/cli/closebookd" --listen 127.0.0.1:0 --port-file "$work/port" --threads "$threads" \
  --access-log /dev/null --auth-failures-per-minute 1000000 2>"$work/closebookd.log" &
daemon=$!
for _ in $(seq 100); do [ -s "$work/port" ] && break; sleep 0.1; done
api=http://127.0.0.1:$(cat "$work/port")

cat >"$work/proof.lua" <<LUA
math.randomseed(7)
wrk.headers["Authorization"] = "Bearer $auditor"
request = function()
  return wrk.format("GET", "/v1/proof/inclusion?index=" .. math.random(0, $size - 1) .. "&size=$size")
end
LUA
cat >"$work/lineage.lua" <<LUA
math.randomseed(7)
wrk.headers["Authorization"] = "Bearer $auditor"
local ids = {}
for id in io.lines("$work/lines.txt") do ids[#ids + 1] = id end
request = function() return wrk.format("GET", "/v1/lines/" .. ids[math.random(#ids)] .. "/lineage") end
LUA
cat >"$work/plain.lua" <<LUA
wrk.headers["Authorization"] = "Bearer $auditor"
LUA

# The writer: assigns an exception back and forth through the API, one ledger append (and one
# signed checkpoint) per request, for as long as the readers run.
exception=$(curl -sS -H "Authorization: Bearer $ops" "$api/v1/exceptions?period=2026-10" | grep -o '"exception_id": "[^"]*"' | head -n 1 | cut -d'"' -f4)
writer() {
  local n=0 end=$((SECONDS + duration))
  while [ $SECONDS -lt $end ]; do
    curl -sS -o /dev/null -X PATCH -H "Authorization: Bearer $ops" -H 'Content-Type: application/json' \
      "$api/v1/exceptions/$exception" -d "{\"action\": \"assign\", \"owner\": \"owner-$((n % 2))\"}"
    n=$((n + 1))
  done
  echo "$n" >"$work/writes"
}

measure() {  # name, path, script
  writer &
  local w=$!
  wrk -t"$threads" -c"$connections" -d"${duration}s" --latency -s "$3" "$api$2" >"$work/$1.txt"
  wait "$w"
  local rps p50 p99 writes
  rps=$(awk '/Requests\/sec/ {print $2}' "$work/$1.txt")
  p50=$(awk '$1 == "50%" {print $2}' "$work/$1.txt")
  p99=$(awk '$1 == "99%" {print $2}' "$work/$1.txt")
  writes=$(cat "$work/writes")
  if grep -q "Non-2xx" "$work/$1.txt"; then echo "$1: $(grep Non-2xx "$work/$1.txt")" >&2; fi
  printf '%-12s %10s %9s %9s %9s\n' "$1" "$rps" "$p50" "$p99" "$(awk -v n="$writes" -v d="$duration" 'BEGIN {printf "%.1f", n / d}')"
  echo "$rps" >"$work/$1.rps"
}

echo "== $connections connections, $threads wrk threads, $threads server threads, ${duration}s each, a writer appending meanwhile"
printf '%-12s %10s %9s %9s %9s\n' endpoint "req/s" p50 p99 "writes/s"
measure healthz /healthz "$work/plain.lua"
measure checkpoint /v1/checkpoint "$work/plain.lua"
measure proof /v1/proof/inclusion "$work/proof.lua"
measure lineage /v1/lines "$work/lineage.lua"
bound=$(cat "$work/healthz.rps")
for name in checkpoint proof lineage; do
  awk -v n="$name" -v r="$(cat "$work/$name.rps")" -v b="$bound" 'BEGIN {printf "%-12s %5.1f%% of /healthz\n", n, 100 * r / b}'
done
echo "ledger after: $("$closebook" log checkpoints | tail -n 1) entries"
