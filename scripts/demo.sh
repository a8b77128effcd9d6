#!/usr/bin/env bash
# The demo: installs what is missing, builds, creates a ledger from the bundled sample data
# (reference data and the 2026-10 vendor feeds), prices and three-way matches the period,
# shows the exception queue, margin and shadow mode, has finance sign it off with a key of
# their own, issues invoices and the GL journal, applies a vendor credit to the signed period,
# serves the ledger over HTTP with closebookd to a partner, ops and the GL, writes evidence
# bundles, and verifies everything with closebook-verify, offline.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bash "$root/scripts/build.sh" --target closebook closebook-verify closebookd
closebook=$root/build/cli/closebook
closebookd=$root/build/cli/closebookd
verify=$root/build/verify/closebook-verify
out=$root/demo-out
rm -rf "$out" && mkdir -p "$out"
# A demo passphrase for the log key; real deployments pass their own (docs/ledger.md §6).
export CLOSEBOOK_PASSPHRASE=${CLOSEBOOK_PASSPHRASE:-demo-passphrase-change-me}
export CLOSEBOOK_LEDGER=$out/ledger
step() { printf '\n== %s\n' "$*"; }

step "create the ledger and its log key"
"$closebook" init --origin closebook.demo/sample-distributor
step "load the sample reference data (partners, tenant identities, price book, FX rates)"
for kind in partners tenants rules fx; do "$closebook" load "$kind" "$root/data/sample/$kind.csv"; done
step "ingest the period's vendor feeds: a Partner Center NCE invoice, a generic invoice, usage"
before_nce=$("$closebook" log checkpoints | tail -n 1)
line=$((before_nce + 1))  # the ingest entry comes first, then the file's first row
"$closebook" ingest invoice --format microsoft-nce "$root/data/sample/invoice-microsoft-nce.csv" --period 2026-10
"$closebook" ingest invoice --format generic "$root/data/sample/invoice-generic.csv" --period 2026-10
"$closebook" ingest usage "$root/data/sample/usage.csv" --period 2026-10
step "price the period: one line per subscription and stretch of days, FX locks, exceptions"
"$closebook" price --period 2026-10
step "three-way match: vendor invoices, usage and priced lines, key by key"
"$closebook" match --period 2026-10
step "the exception queue: counts and amounts by category, then each exception"
"$closebook" exceptions summary --period 2026-10
"$closebook" exceptions list --period 2026-10
step "margin by partner"
"$closebook" margin --period 2026-10
step "shadow mode: the legacy billing output beside closebook's priced lines"
"$closebook" shadow --period 2026-10 --legacy "$root/data/sample/legacy-billing.csv" --csv "$out/shadow-2026-10.csv"
step "load the price book and the NCE invoice again, price and match again: idempotent, nothing is added"
"$closebook" load rules "$root/data/sample/rules.csv"
"$closebook" ingest invoice --format microsoft-nce "$root/data/sample/invoice-microsoft-nce.csv" --period 2026-10
"$closebook" price --period 2026-10
"$closebook" match --period 2026-10

step "work the queue: assign and acknowledge the timing difference, waive the small FX variance"
timing=$("$closebook" exceptions list --period 2026-10 --category TIMING --format csv | sed -n 2p | cut -d, -f1)
fxv=$("$closebook" exceptions list --period 2026-10 --category FX_VARIANCE --format csv | sed -n 2p | cut -d, -f1)
"$closebook" exceptions assign "$timing" --owner ap-team
"$closebook" exceptions ack "$timing"
"$closebook" exceptions waive "$fxv" --reason "Datto's 09-30 rate; 0.39 AUD is below the materiality threshold"
"$closebook" exceptions summary --period 2026-10

step "finance signs off the period: a statement (a checkpoint committing by salted hash to the period's totals, which a partner is not shown), signed offline after reviewing the summary"
printf '%s\n' "${CLOSEBOOK_FINANCE_PASSPHRASE:-demo-finance-passphrase}" >"$out/finance.pass" && chmod 600 "$out/finance.pass"
"$closebook" keygen --out "$out/finance.key" --name cfo@sample-distributor --passphrase-file "$out/finance.pass"
"$closebook" keys register --pub "$out/finance.key.pub" --role finance --reason "CFO, approves month-end"
"$closebook" signoff statement --period 2026-10 --summary-out "$out/summary-2026-10.txt" | tee "$out/statement-2026-10.txt"
"$closebook" sign --key "$out/finance.key" --passphrase-file "$out/finance.pass" "$out/statement-2026-10.txt" \
  --summary "$out/summary-2026-10.txt" | tee "$out/statement-2026-10.sig"
"$closebook" signoff submit --period 2026-10 --statement "$out/statement-2026-10.txt" --signature "$out/statement-2026-10.sig"
step "the period's checkpoint, cosigned by the log and by finance; the period is now sealed"
"$closebook" signoff checkpoint --period 2026-10 | tee "$out/signoff-2026-10.note"
if "$closebook" price --period 2026-10 2>"$out/sealed.txt"; then echo "pricing a signed period was not refused" >&2; exit 1; fi
cat "$out/sealed.txt"
"$closebook" keys list

step "partner invoices: one per partner from the signed period, GST per ATO (NZ partner GST-free)"
"$closebook" invoice --period 2026-10
"$closebook" invoice show INV-2026-10-P001 --format csv | tee "$out/INV-2026-10-P001.csv"
"$closebook" invoice show INV-2026-10-P001 --format json >"$out/INV-2026-10-P001.json"

step "the GL journal: one per GL organisation in its base currency (NZD converted at the period's FX lock), as Xero's manual-journal import; the GL acknowledges it"
mkdir -p "$out/journal"
"$closebook" journal --period 2026-10 --format xero --out "$out/journal"
echo "# the file Xero organisation AU (the Australian entity, base AUD) imports: Manual Journals > Import"
cat "$out/journal/JNL-2026-10-AU.csv"
"$closebook" journal --period 2026-10 --format json >"$out/journal/JNL-2026-10-AU.json"
"$closebook" journal ack --period 2026-10 --journal JNL-2026-10-AU --gl-ref XERO-MJ-2026-10-AU
"$closebook" journal ack --period 2026-10 --journal JNL-2026-10-AU --gl-ref XERO-MJ-2026-10-AU

step "a vendor credit against the signed period: the period reopens, the next sign-off and invoice carry it"
credited=$("$closebook" invoice show INV-2026-10-P001 --format csv | sed -n 2p | cut -d, -f6)
"$closebook" credit --lines "$credited" --amount 5.00 --reason "Acronis storage outage 2026-10-12" --vendor-credit ACR-CN-0042
recovery=$("$closebook" exceptions list --period 2026-10 --category CREDIT_RECOVERY --format csv | sed -n 2p | cut -d, -f1)
"$closebook" exceptions resolve "$recovery" --note "credit note on P001's next invoice"
"$closebook" signoff statement --period 2026-10 --summary-out "$out/summary-2026-10-2.txt" >"$out/statement-2026-10-2.txt"
"$closebook" sign --key "$out/finance.key" --passphrase-file "$out/finance.pass" "$out/statement-2026-10-2.txt" \
  --summary "$out/summary-2026-10-2.txt" >"$out/statement-2026-10-2.sig"
"$closebook" signoff submit --period 2026-10 --statement "$out/statement-2026-10-2.txt" --signature "$out/statement-2026-10-2.sig"
"$closebook" invoice --period 2026-10
"$closebook" lineage --line "$credited"

step "closebookd: the HTTP API on 127.0.0.1, called by a partner, ops and the GL with their own tokens"
partner=$("$closebook" tokens create --role partner:P001 --name "P001 partner portal" 2>/dev/null)
ops=$("$closebook" tokens create --role ops --name close-team 2>/dev/null)
gl=$("$closebook" tokens create --role gl --name xero-connector 2>/dev/null)
"$closebook" tokens list
echo "# a witness (C2SP tlog-witness) the auditor runs: it cosigns each checkpoint that extends the last it saw"
rm -rf "$out/witness" "$out/witness.key" "$out/witness.key.pub" "$out/witness.port"
"$closebook" keygen --out "$out/witness.key" --name witness.demo/auditor >/dev/null
"$closebook" witness serve --key "$out/witness.key" --log "$("$closebook" log vkey)" --state "$out/witness" \
  --listen 127.0.0.1:0 --port-file "$out/witness.port" --access-log "$out/witness-access.log" 2>"$out/witness.log" &
witness=$!
trap 'kill "$witness" 2>/dev/null || true' EXIT
for _ in $(seq 100); do [ -s "$out/witness.port" ] && break; sleep 0.1; done
printf 'log %s\nwitness auditor %s http://127.0.0.1:%s\nquorum auditor\n' "$("$closebook" log vkey)" \
  "$("$closebook" witness vkey "$out/witness.key.pub")" "$(cat "$out/witness.port")" | tee "$out/witness.policy"
"$closebookd" --close-config "$root/data/sample/closebook.json" --listen 127.0.0.1:0 --port-file "$out/closebookd.port" --access-log "$out/closebookd-access.log" \
  --witness-policy "$out/witness.policy" 2>"$out/closebookd.log" &
daemon=$!
trap 'kill "$daemon" "$witness" 2>/dev/null || true' EXIT
for _ in $(seq 100); do [ -s "$out/closebookd.port" ] && break; sleep 0.1; done
api=http://127.0.0.1:$(cat "$out/closebookd.port")
printf 'partner:P001 %s\nops %s\n' "$partner" "$ops" >"$out/portal-tokens.txt" && chmod 600 "$out/portal-tokens.txt"
echo "# the portal (docs/portal.md) is at $api/ while the demo runs; sign in as partner P001 with"
echo "#   $partner"
echo "# (ops' token and this one are in demo-out/portal-tokens.txt; the demo's last lines say how to serve the portal again)"
curl -sS -o /dev/null -w '# GET / -> HTTP %{http_code}, %{content_type}\n' "$api/"
call() { local who=$1; shift; curl -sS -H "Authorization: Bearer $who" "$@"; }
echo "# the partner's invoices (its own only), its invoice as CSV, and its evidence bundle"
call "$partner" "$api/v1/invoices?period=2026-10"
call "$partner" "$api/v1/invoices/INV-2026-10-P001-2?format=csv"
call "$partner" "$api/v1/invoices/INV-2026-10-P001-2/bundle" -o "$out/api-bundle-INV-2026-10-P001-2.json"
echo "# another partner's invoice answers as if it did not exist:"
call "$partner" -w ' -> HTTP %{http_code}\n' "$api/v1/invoices/INV-2026-10-P002"
echo "# the partner disputes one of its lines: a DISPUTE exception citing the line's lineage"
call "$partner" -X POST -H 'Content-Type: application/json' "$api/v1/disputes" \
  -d "{\"line_id\": \"$credited\", \"reason\": \"seats were removed on 10-20\", \"amount\": \"12.50\"}"
echo "# ops prepares the journal of the new sign-off; the GL lists what it has not posted, takes the Xero file, and acknowledges it, twice"
call "$ops" -X POST -H 'Content-Type: application/json' "$api/v1/journal" -d '{"period": "2026-10"}' >/dev/null
call "$gl" "$api/v1/journals?status=unacknowledged"; echo
call "$gl" "$api/v1/journal?period=2026-10&format=xero&journal_id=JNL-2026-10-AU-2"
for _ in 1 2; do
  call "$gl" -X POST -H 'Content-Type: application/json' -H 'Idempotency-Key: xero-2026-10-au-2' -w ' -> HTTP %{http_code}\n' \
    "$api/v1/journal/ack" -d '{"period": "2026-10", "journal_id": "JNL-2026-10-AU-2", "gl_ref": "XERO-MJ-2026-10-AU-2"}'
done
echo "# both journals stay listed, each with its acknowledgement"
call "$gl" "$api/v1/periods/2026-10" | head -c 600; echo
call "$ops" "$api/metrics" | grep -E '^closebook_(ledger_entries|open_exceptions)'
echo "# the latest checkpoint, cosigned by the auditor's witness within a second of the last write"
for _ in $(seq 50); do call "$ops" "$api/v1/checkpoint" | grep -q 'witness.demo/auditor' && break; sleep 0.2; done
call "$ops" "$api/v1/checkpoint"; echo
kill -TERM "$daemon" && wait "$daemon"
kill -TERM "$witness" && wait "$witness"
trap - EXIT
cat "$out/closebookd.log"

step "the log's verifier key and latest signed checkpoint (C2SP tlog-checkpoint)"
"$closebook" log vkey | tee "$out/log.vkey"
"$closebook" log checkpoint | tee "$out/checkpoint.txt"

step "entry $line, the invoice's first line, as JSON"
"$closebook" log entry "$line" --format json
"$closebook" log entry "$line" --format raw >"$out/entry-$line.bin"
step "decoded by stock Cap'n Proto tooling from the published schema"
capnp convert canonical:json --short "$root/evidence/entry.capnp" Entry <"$out/entry-$line.bin"
step "its RFC 9162 inclusion proof"
"$closebook" log prove inclusion "$line" | tee "$out/inclusion-$line.json"
first=$("$closebook" log checkpoints | sed -n 2p)
"$closebook" log checkpoint --size "$first" >"$out/checkpoint-$first.txt"
"$closebook" log prove consistency "$first" >"$out/consistency-$first.json"

step "evidence bundles: an invoice's whole lineage in one file, for the auditor"
"$closebook" bundle --invoice INV-2026-10-P004 --out "$out/bundle-INV-2026-10-P004.json"
"$closebook" bundle --invoice INV-2026-10-P001-2 --out "$out/bundle-INV-2026-10-P001-2.json"

step "closebook-verify, offline, trusting only the verifier key"
"$verify" bundle "$out/bundle-INV-2026-10-P004.json" --key "$out/log.vkey" --policy "$out/witness.policy" --max-age 3600
"$verify" bundle "$out/bundle-INV-2026-10-P001-2.json" --key "$out/log.vkey"
echo "# the partner's bundle of the same invoice, fetched with its token: no cost, margin, rule, period totals, match or queue, only their hashes"
"$verify" bundle "$out/api-bundle-INV-2026-10-P001-2.json" --key "$out/log.vkey" --allow-withheld
if grep -q '"costAmount"\|"marginAmount"\|priced AUD lines' "$out/api-bundle-INV-2026-10-P001-2.json"; then
  echo "the partner's bundle carries the distributor's costs" >&2; exit 1
fi
"$verify" inclusion --key "$out/log.vkey" --checkpoint "$out/checkpoint.txt" \
  --proof "$out/inclusion-$line.json" --entry "$out/entry-$line.bin"
"$verify" consistency --key "$out/log.vkey" --old "$out/checkpoint-$first.txt" \
  --new "$out/checkpoint.txt" --proof "$out/consistency-$first.json"
"$verify" ledger "$CLOSEBOOK_LEDGER" --key "$out/log.vkey"

step "where things are"
cat <<EOT
ledger (LMDB):        $CLOSEBOOK_LEDGER
log verifier key:     $out/log.vkey
signed checkpoint:    $out/checkpoint.txt
entry + proof:        $out/entry-$line.bin, $out/inclusion-$line.json
consistency proof:    $out/consistency-$first.json
shadow report:        $out/shadow-2026-10.csv
finance key:          $out/finance.key (secret), $out/finance.key.pub
sign-off statement:   $out/statement-2026-10.txt, signature $out/statement-2026-10.sig
cosigned checkpoint:  $out/signoff-2026-10.note
invoice:              $out/INV-2026-10-P001.csv, $out/INV-2026-10-P001.json
GL journal:           $out/journal/ (Xero's import file per organisation, JSON with entry refs; MYOB and NetSuite organisations: docs/close.md §5)
evidence bundles:     $out/bundle-INV-2026-10-P004.json, $out/bundle-INV-2026-10-P001-2.json (docs/evidence.md)
API access log:       $out/closebookd-access.log (closebookd: docs/api.md, docs/api.yaml)
Try: $closebook --ledger $CLOSEBOOK_LEDGER log entry 3 --format json

The portal (docs/portal.md), after the demo:
  CLOSEBOOK_PASSPHRASE=$CLOSEBOOK_PASSPHRASE $closebookd --ledger $CLOSEBOOK_LEDGER --close-config $root/data/sample/closebook.json --listen 127.0.0.1:8080
  then open http://127.0.0.1:8080/ and sign in as partner P001 with the token in $out/portal-tokens.txt:
  $partner
EOT
