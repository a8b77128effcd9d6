#!/usr/bin/env bash
# The browser test (docs/portal.md §5): makes the ledger (setup.sh), serves it with closebookd on
# a free loopback port, and drives Debian's Chromium through the portal (portal.test.js).
# Usage: run.sh BUILD_DIR [OUT_DIR]. Screenshots land in OUT_DIR/screenshots.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "$1" && pwd)
out=${2:-$build/browser-test}
[ -d "$here/node_modules/playwright-core" ] || (cd "$here" && npm ci --no-audit --no-fund >/dev/null)
tokens=$(bash "$here/setup.sh" "$build" "$out")
export CLOSEBOOK_PASSPHRASE=browser-test-passphrase CLOSEBOOK_LEDGER=$out/ledger
"$build/cli/closebookd" --close-config "$here/../../data/sample/closebook.json" --listen 127.0.0.1:0 --port-file "$out/port" --access-log "$out/access.log" 2>"$out/closebookd.log" &
daemon=$!
trap 'kill "$daemon" 2>/dev/null || true' EXIT
for _ in $(seq 300); do [ -s "$out/port" ] && break; kill -0 "$daemon" 2>/dev/null || break; sleep 0.1; done
[ -s "$out/port" ] || { echo "closebookd did not start:" >&2; cat "$out/closebookd.log" >&2; exit 1; }
BASE=http://127.0.0.1:$(cat "$out/port") TOKENS=$tokens CLOSEBOOK=$build/cli/closebook VERIFY=$build/verify/closebook-verify VKEY=$out/log.vkey \
  OUT=$out node "$here/portal.test.js"
