#!/usr/bin/env bash
# Stock Cap'n Proto tooling decodes ledger entries from the published schema, and its JSON
# equals `closebook log entry --format json`. Usage: capnp_convert.sh CLOSEBOOK SOURCE_DIR WORKDIR
set -euo pipefail
closebook=$1 src=$2 work=$3
rm -rf "$work" && mkdir -p "$work"
export CLOSEBOOK_PASSPHRASE=capnp-test-passphrase
cb() { "$closebook" --ledger "$work/ledger" "$@"; }
cb init --origin closebook.test/capnp >/dev/null
for kind in partners tenants rules fx; do cb load "$kind" "$src/data/sample/$kind.csv" >/dev/null; done
cb ingest invoice --format microsoft-nce "$src/data/sample/invoice-microsoft-nce.csv" >/dev/null
cb ingest invoice --format generic "$src/data/sample/invoice-generic.csv" >/dev/null
cb ingest usage "$src/data/sample/usage.csv" >/dev/null
size=$(cb log checkpoints | tail -n 1)
for ((i = 0; i < size; i++)); do
  ours=$(cb log entry "$i" --format json)
  stock=$(cb log entry "$i" --format raw | capnp convert canonical:json --short "$src/evidence/entry.capnp" Entry)
  if [[ "$ours" != "$stock" ]]; then
    echo "FAIL: entry $i: closebook json differs from capnp convert" >&2
    echo "ours:  $ours" >&2
    echo "stock: $stock" >&2
    exit 1
  fi
  # And capnp's own canonical re-encoding of the decoded entry is byte-identical.
  if ! cmp -s <(cb log entry "$i" --format raw) \
      <(cb log entry "$i" --format raw | capnp convert canonical:binary "$src/evidence/entry.capnp" Entry | capnp convert binary:canonical "$src/evidence/entry.capnp" Entry); then
    echo "FAIL: entry $i is not in canonical form" >&2
    exit 1
  fi
done
echo "capnp convert decoded $size entries identically"
