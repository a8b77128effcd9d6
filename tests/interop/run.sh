#!/usr/bin/env bash
# Third-party interoperability: Go's golang.org/x/mod/sumdb/note and tlog (Debian's
# golang-golang-x-mod-dev, built offline in GOPATH mode) verify closebook's checkpoints and
# proofs, and reject tampered ones. Usage: run.sh CLOSEBOOK CLOSEBOOK_VERIFY WORKDIR
set -euo pipefail
closebook=$1 verify=$2 work=$3
here=$(cd "$(dirname "$0")" && pwd)
samples=$here/../../data/sample
rm -rf "$work" && mkdir -p "$work"
export CLOSEBOOK_PASSPHRASE=interop-test-passphrase GOCACHE=$work/gocache GOFLAGS=
GO111MODULE=off GOPATH=/usr/share/gocode go build -o "$work/interop-verify" "$here/verify.go"
GO111MODULE=off GOPATH=/usr/share/gocode go build -o "$work/interop-cosign" "$here/cosign/cosign.go"
gv=$work/interop-verify
cb() { "$closebook" --ledger "$work/ledger" "$@"; }

cb init --origin closebook.test/interop >/dev/null
for kind in partners tenants rules fx; do cb load "$kind" "$samples/$kind.csv" >/dev/null; done
cb log vkey >"$work/vkey"
mapfile -t sizes < <(cb log checkpoints)
latest=${sizes[-1]}
checks=0
for size in "${sizes[@]}"; do
  cb log checkpoint --size "$size" >"$work/cp.$size"
  "$gv" verify checkpoint "$work/vkey" "$work/cp.$size" >/dev/null
  checks=$((checks + 1))
done
# Inclusion of every entry in the latest tree, and of a few in each older tree.
for ((i = 0; i < latest; i++)); do
  cb log entry "$i" --format raw >"$work/entry"
  cb log prove inclusion "$i" >"$work/proof"
  "$gv" verify inclusion "$work/vkey" "$work/cp.$latest" "$work/proof" "$work/entry" >/dev/null
  checks=$((checks + 1))
done
for size in "${sizes[@]}"; do
  for i in 0 $((size / 2)) $((size - 1)); do
    cb log entry "$i" --format raw >"$work/entry"
    cb log prove inclusion "$i" --size "$size" >"$work/proof"
    "$gv" verify inclusion "$work/vkey" "$work/cp.$size" "$work/proof" "$work/entry" >/dev/null
    checks=$((checks + 1))
  done
done
# Consistency between every pair of checkpoints.
for old in "${sizes[@]}"; do
  for new in "${sizes[@]}"; do
    ((old <= new)) || continue
    cb log prove consistency "$old" --size "$new" >"$work/proof"
    "$gv" verify consistency "$work/vkey" "$work/cp.$old" "$work/cp.$new" "$work/proof" >/dev/null
    checks=$((checks + 1))
  done
done

# Tampering must be caught by the third party too.
expect_fail() {
  if "$@" >/dev/null 2>&1; then echo "FAIL: accepted: $*" >&2; exit 1; fi
  checks=$((checks + 1))
}
sed '3s/^./X/' "$work/cp.$latest" >"$work/cp.bad-root"
expect_fail "$gv" verify checkpoint "$work/vkey" "$work/cp.bad-root"
"$closebook" keygen --out "$work/other.key" --name closebook.test/interop >/dev/null
expect_fail "$gv" verify checkpoint "$work/other.key.pub" "$work/cp.$latest"
cb log entry 3 --format raw >"$work/entry"
cb log prove inclusion 4 >"$work/proof"
expect_fail "$gv" verify inclusion "$work/vkey" "$work/cp.$latest" "$work/proof" "$work/entry"

# Signature lines of keys the verifier does not know (C2SP signed-note "Signatures"; Go's
# note.Open): Go and closebook-verify agree on the same bytes. A witness cosignature made by
# Go is ignored by both; so is a well-formed line Go accepts that an earlier closebook
# refused (non-zero unused base64 bits; DEL in a key name). A line that is not a well-formed
# signature line makes the note malformed for both, whoever's line it is.
agree() {  # agree ok|fail CHECKPOINTFILE: Go and closebook-verify both accept, or both refuse
  if [ "$1" = ok ]; then
    "$gv" verify checkpoint "$work/vkey" "$2" >/dev/null
    "$verify" checkpoint "$2" --key "$work/vkey" >/dev/null
    checks=$((checks + 2))
  else
    expect_fail "$gv" verify checkpoint "$work/vkey" "$2"
    expect_fail "$verify" checkpoint "$2" --key "$work/vkey"
  fi
}
"$work/interop-cosign" witness.example/w1 "$work/cp.$latest" "$work/witness.vkey" >"$work/cp.cosigned"
agree ok "$work/cp.cosigned"
b64=ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/
wline=$(tail -n 1 "$work/cp.cosigned")
case $wline in *[!=]=) ;; *) echo "FAIL: a 68-byte signature ends in one '=': $wline" >&2; exit 1 ;; esac
before=${b64%%"${wline: -2:1}"*}
noncanonical=${b64:$((${#before} | 1)):1}
{ cat "$work/cp.$latest"; printf '%s%s=\n' "${wline:0:${#wline}-2}" "$noncanonical"; } >"$work/cp.witness-bits"
agree ok "$work/cp.witness-bits"
# The same bits set on the log's own line: Go ignores them, closebook refuses (one byte form
# for what the trusted key vouches for; docs/ledger.md §4).
lline=$(tail -n 1 "$work/cp.$latest")
case $lline in *[!=]=) ;; *) echo "FAIL: a 68-byte signature ends in one '=': $lline" >&2; exit 1 ;; esac
before=${b64%%"${lline: -2:1}"*}
{ head -n -1 "$work/cp.$latest"; printf '%s%s=\n' "${lline:0:${#lline}-2}" "${b64:$((${#before} | 1)):1}"; } >"$work/cp.log-bits"
"$gv" verify checkpoint "$work/vkey" "$work/cp.log-bits" >/dev/null
checks=$((checks + 1))
expect_fail "$verify" checkpoint "$work/cp.log-bits" --key "$work/vkey"
{ cat "$work/cp.$latest"; printf '\xe2\x80\x94 wit\x7fness %s\n' "${wline##* }"; } >"$work/cp.witness-del"
agree ok "$work/cp.witness-del"
{ cat "$work/cp.$latest"; printf '\xe2\x80\x94 witness.example/w1 !!not-base64!!\n'; } >"$work/cp.witness-garbage"
agree fail "$work/cp.witness-garbage"
{ cat "$work/cp.$latest"; printf '\xe2\x80\x94 witness.example/w1 AAAA\n'; } >"$work/cp.witness-short"
agree fail "$work/cp.witness-short"
{ cat "$work/cp.$latest"; printf 'witness.example/w1 %s\n' "${wline##* }"; } >"$work/cp.witness-nodash"
agree fail "$work/cp.witness-nodash"
# The origin is the log key's name: the witness's key signed these bytes, but it is not the
# log's key, so they are not its checkpoint (c2sp.org/tlog-checkpoint).
"$gv" verify note "$work/witness.vkey" "$work/cp.cosigned" >/dev/null
expect_fail "$gv" verify checkpoint "$work/witness.vkey" "$work/cp.cosigned"
checks=$((checks + 1))

# A witness (c2sp.org/tlog-witness) run as `closebook witness serve`, asked over HTTP with
# curl: its cosignature/v1 line verifies in Go (written from c2sp.org/tlog-cosignature, not
# from closebook), and closebook-verify counts it under a tlog-policy.
"$closebook" keygen --out "$work/w1.key" --name witness.test/w1 >/dev/null
"$closebook" witness vkey "$work/w1.key.pub" >"$work/w1.vkey"
"$closebook" witness serve --key "$work/w1.key" --log "$(cat "$work/vkey")" --state "$work/wstate" \
  --listen 127.0.0.1:0 --port-file "$work/w1.port" --access-log "$work/w1.log" 2>"$work/w1.err" &
witness_pid=$!
trap 'kill $witness_pid 2>/dev/null || true' EXIT
for _ in $(seq 200); do [ -s "$work/w1.port" ] && break; sleep 0.05; done
wurl=http://127.0.0.1:$(cat "$work/w1.port")
{ printf 'old 0\n\n'; cat "$work/cp.$latest"; } >"$work/add-body"
curl -sS --fail-with-body --data-binary @"$work/add-body" "$wurl/add-checkpoint" >"$work/cosig"
cat "$work/cp.$latest" "$work/cosig" >"$work/cp.witnessed"
"$gv" verify cosignature "$work/vkey" "$work/w1.vkey" "$work/cp.witnessed" >/dev/null
printf 'log %s\nwitness w1 %s\nquorum w1\n' "$(cat "$work/vkey")" "$(cat "$work/w1.vkey")" >"$work/policy"
"$verify" checkpoint "$work/cp.witnessed" --key "$work/vkey" --policy "$work/policy" --max-age 600 >/dev/null
checks=$((checks + 2))
expect_fail "$verify" checkpoint "$work/cp.$latest" --key "$work/vkey" --policy "$work/policy"
sed '$s/A/B/;$s/a/A/' "$work/cp.witnessed" >"$work/cp.witnessed-bad"
expect_fail "$gv" verify cosignature "$work/vkey" "$work/w1.vkey" "$work/cp.witnessed-bad"
expect_fail "$verify" checkpoint "$work/cp.witnessed-bad" --key "$work/vkey" --policy "$work/policy"
# A rollback to an older checkpoint is refused by the witness (old size above the checkpoint's).
{ printf 'old %s\n\n' "$latest"; cat "$work/cp.${sizes[0]}"; } >"$work/rollback-body"
status=$(curl -sS -o /dev/null -w '%{http_code}' --data-binary @"$work/rollback-body" "$wurl/add-checkpoint")
[ "$status" = 400 ] || { echo "FAIL: the witness answered $status to a rollback" >&2; exit 1; }
checks=$((checks + 1))
kill $witness_pid && wait $witness_pid 2>/dev/null || true
trap - EXIT

# A signed-off period: the statement is a checkpoint with extension lines, cosigned by the
# log and by a finance key registered in the ledger. Go verifies both signatures, and the
# tree head extends to the latest checkpoint.
cb ingest invoice --format microsoft-nce "$samples/invoice-microsoft-nce.csv" --period 2026-10 >/dev/null
cb ingest invoice --format generic "$samples/invoice-generic.csv" --period 2026-10 >/dev/null
cb ingest usage "$samples/usage.csv" --period 2026-10 >/dev/null
cb price --period 2026-10 >/dev/null
cb match --period 2026-10 >/dev/null
printf 'finance-interop-pass\n' >"$work/fin.pass" && chmod 600 "$work/fin.pass"
"$closebook" keygen --out "$work/fin.key" --name alice@finance.example --passphrase-file "$work/fin.pass" >/dev/null
cb keys register --pub "$work/fin.key.pub" --role finance >/dev/null
cb signoff statement --period 2026-10 --summary-out "$work/summary" >"$work/stmt"
"$closebook" sign --key "$work/fin.key" --passphrase-file "$work/fin.pass" --summary "$work/summary" "$work/stmt" >"$work/sig"
cb signoff submit --period 2026-10 --statement "$work/stmt" --signature "$work/sig" >/dev/null
cb signoff checkpoint --period 2026-10 >"$work/signoff"
"$gv" verify checkpoint "$work/vkey" "$work/signoff" >/dev/null
"$gv" verify note "$work/fin.key.pub" "$work/signoff" >/dev/null
checks=$((checks + 2))
# Finance's key is not the log's: Go does not take the statement for its checkpoint. And
# closebook's own verifier refuses a sign-off statement as a log checkpoint even under the
# log key, which signed it (domain separation, docs/ledger.md §4); its log checkpoints all
# verified above.
expect_fail "$gv" verify checkpoint "$work/fin.key.pub" "$work/signoff"
expect_fail "$verify" checkpoint "$work/signoff" --key "$work/vkey"
signed_size=$(sed -n 2p "$work/signoff")
cb log checkpoint >"$work/cp.now"
cb log prove consistency "$signed_size" >"$work/proof"
"$gv" verify consistency "$work/vkey" "$work/signoff" "$work/cp.now" "$work/proof" >/dev/null
checks=$((checks + 1))
sed 's/^period 2026-10$/period 2026-11/' "$work/signoff" >"$work/signoff.bad"
expect_fail "$gv" verify note "$work/fin.key.pub" "$work/signoff.bad"
expect_fail "$gv" verify checkpoint "$work/vkey" "$work/signoff.bad"

# And closebook-verify agrees with the whole ledger.
"$verify" ledger "$work/ledger" --key "$work/vkey" >/dev/null
echo "Go note+tlog interop: $checks checks passed"
