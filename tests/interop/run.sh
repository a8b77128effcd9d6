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
cb signoff statement --period 2026-10 >"$work/stmt"
"$closebook" sign --key "$work/fin.key" --passphrase-file "$work/fin.pass" "$work/stmt" >"$work/sig"
cb signoff submit --period 2026-10 --statement "$work/stmt" --signature "$work/sig" >/dev/null
cb signoff checkpoint --period 2026-10 >"$work/signoff"
"$gv" verify checkpoint "$work/vkey" "$work/signoff" >/dev/null
"$gv" verify checkpoint "$work/fin.key.pub" "$work/signoff" >/dev/null
checks=$((checks + 2))
signed_size=$(sed -n 2p "$work/signoff")
cb log checkpoint >"$work/cp.now"
cb log prove consistency "$signed_size" >"$work/proof"
"$gv" verify consistency "$work/vkey" "$work/signoff" "$work/cp.now" "$work/proof" >/dev/null
checks=$((checks + 1))
sed 's/^period 2026-10$/period 2026-11/' "$work/signoff" >"$work/signoff.bad"
expect_fail "$gv" verify checkpoint "$work/fin.key.pub" "$work/signoff.bad"
expect_fail "$gv" verify checkpoint "$work/vkey" "$work/signoff.bad"

# And closebook-verify agrees with the whole ledger.
"$verify" ledger "$work/ledger" --key "$work/vkey" >/dev/null
echo "Go note+tlog interop: $checks checks passed"
