#!/usr/bin/env bash
# The ledger the browser test (portal.test.js) runs against: the sample period 2026-10 closed
# to its invoices, and 2026-11 open with usage loaded and a price cut that takes a SKU below its
# margin floor — the leak the provisional margin chart must show before the period is priced.
# Usage: setup.sh BUILD_DIR OUT_DIR   (prints nothing on success but the tokens file's path)
set -euo pipefail
build=$1 out=$2
root=$(cd "$(dirname "$0")/../.." && pwd)
closebook=$build/cli/closebook
export CLOSEBOOK_PASSPHRASE=browser-test-passphrase CLOSEBOOK_LEDGER=$out/ledger
rm -rf "$out" && mkdir -p "$out"
exec 3>&1 >"$out/setup.log" 2>&1
trap 'cat "$out/setup.log" >&2' ERR  # a step failed (set -e stops here): show the log
"$closebook" init --origin closebook.test/portal
for kind in partners tenants rules fx; do "$closebook" load "$kind" "$root/data/sample/$kind.csv"; done
"$closebook" ingest invoice --format microsoft-nce "$root/data/sample/invoice-microsoft-nce.csv" --period 2026-10
"$closebook" ingest invoice --format generic "$root/data/sample/invoice-generic.csv" --period 2026-10
"$closebook" ingest usage "$root/data/sample/usage.csv" --period 2026-10
"$closebook" price --period 2026-10
"$closebook" match --period 2026-10
printf 'finance-pass\n' >"$out/finance.pass" && chmod 600 "$out/finance.pass"
"$closebook" keygen --out "$out/finance.key" --name cfo@portal-test --passphrase-file "$out/finance.pass"
"$closebook" keys register --pub "$out/finance.key.pub" --role finance --reason "CFO"
"$closebook" signoff statement --period 2026-10 --summary-out "$out/summary.txt" >"$out/statement.txt"
"$closebook" sign --key "$out/finance.key" --passphrase-file "$out/finance.pass" "$out/statement.txt" --summary "$out/summary.txt" >"$out/statement.sig"
"$closebook" signoff submit --period 2026-10 --statement "$out/statement.txt" --signature "$out/statement.sig"
"$closebook" invoice --period 2026-10
# 2026-11: the same usage a month on (day 31 becomes 30), and R001 v2 cuts the markup to 5%,
# under its 8% floor, from 2026-11-01.
awk -F, 'BEGIN { OFS = "," } NR == 1 { print; next } {
  split($2, d, "-"); day = d[3] > 30 ? 30 : d[3]; $2 = sprintf("2026-11-%02d", day)
  gsub(/202610/, "202611", $9); print }' "$root/data/sample/usage.csv" >"$out/usage-2026-11.csv"
"$closebook" ingest usage "$out/usage-2026-11.csv" --period 2026-11
{ head -n 1 "$root/data/sample/rules.csv"
  echo "R001,2,microsoft,CFQ7TTC0LCHC:0002,*,2026-11-01,,32.6700,AUD,markup_pct,5.00,AUD,Licence/Month,8.0"; } >"$out/rules-2026-11.csv"
"$closebook" load rules "$out/rules-2026-11.csv"
# Priced and matched, not signed: finance signs it in the browser (no vendor invoice was
# loaded, so its lines are orphan billing: blocking, and signed with an override).
"$closebook" price --period 2026-11
"$closebook" match --period 2026-11
"$closebook" log vkey >"$out/log.vkey"
for who in partner:P001 partner:P002 ops finance auditor; do
  printf '%s %s\n' "$who" "$("$closebook" tokens create --role "$who" --name "browser $who")"
done >"$out/tokens.txt"
echo "$out/tokens.txt" >&3
