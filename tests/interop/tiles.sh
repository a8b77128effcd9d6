#!/usr/bin/env bash
# The log published as static C2SP tlog-tiles, served by a stock web server (Debian's nginx,
# on loopback), read by a third party: Go's golang.org/x/mod/sumdb/tlog tile hash reader
# proves every entry and the consistency of two publications, and closebook-verify proves an
# entry fetched over HTTP. A tampered tile is refused by both.
# Usage: tiles.sh CLOSEBOOK CLOSEBOOK_VERIFY CLOSEBOOK_SAMPLE WORKDIR
set -euo pipefail
closebook=$1 verify=$2 sample=$3 work=$4
here=$(cd "$(dirname "$0")" && pwd)
rm -rf "$work" && mkdir -p "$work/www" "$work/nginx"
export CLOSEBOOK_PASSPHRASE=tiles-test-passphrase GOCACHE=$work/gocache GOFLAGS=
GO111MODULE=off GOPATH=/usr/share/gocode go build -o "$work/interop-tiles" "$here/tiles/tiles.go"
cb() { "$closebook" --ledger "$work/ledger" "$@"; }
period=2026-10

# A period of 600 lines: more than 256 entries, so full tiles, partial tiles and a level-1
# tile are all published.
"$sample" --out "$work/data" --lines 600 --seed 11 --period $period >/dev/null
cb init --origin closebook.test/tiles >/dev/null
for kind in partners tenants rules fx; do cb load "$kind" "$work/data/$kind.csv" >/dev/null; done
cb ingest invoice --format microsoft-nce "$work/data/invoice-microsoft-nce.csv" --period $period >/dev/null
cb ingest usage "$work/data/usage.csv" --period $period >/dev/null
cb log vkey >"$work/vkey"
cb publish --to "$work/www/log" >/dev/null
cp "$work/www/log/checkpoint" "$work/old-checkpoint"
cb price --period $period >/dev/null
cb match --period $period >/dev/null
cb publish --to "$work/www/log" >/dev/null
size=$(sed -n 2p "$work/www/log/checkpoint")
old_size=$(sed -n 2p "$work/old-checkpoint")
((size > 512 && old_size > 256 && old_size < size)) || { echo "FAIL: sizes $old_size, $size" >&2; exit 1; }
# A copy with one hash flipped in the first level-0 tile, beside it.
cp -r "$work/www/log" "$work/www/tampered"
printf '\x00' | dd of="$work/www/tampered/tile/0/000" bs=1 seek=100 conv=notrunc status=none

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
user=""
[ "$(id -u)" = 0 ] && user="user root;"  # the worker reads the work directory as its owner
cat >"$work/nginx/nginx.conf" <<CONF
$user
worker_processes 1;
daemon off;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log;
events { worker_connections 64; }
http {
  access_log $work/nginx/access.log;
  client_body_temp_path $work/nginx/body;
  proxy_temp_path $work/nginx/proxy;
  fastcgi_temp_path $work/nginx/fastcgi;
  uwsgi_temp_path $work/nginx/uwsgi;
  scgi_temp_path $work/nginx/scgi;
  server {
    listen 127.0.0.1:$port;
    root $work/www;
    default_type application/octet-stream;
  }
}
CONF
/usr/sbin/nginx -p "$work/nginx" -e "$work/nginx/error.log" -c "$work/nginx/nginx.conf" &
nginx_pid=$!
trap 'kill $nginx_pid 2>/dev/null || true; wait $nginx_pid 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  if curl -sf "http://127.0.0.1:$port/log/checkpoint" >/dev/null; then break; fi
  kill -0 $nginx_pid 2>/dev/null || { cat "$work/nginx/error.log" >&2; exit 1; }
  sleep 0.1
done
base=http://127.0.0.1:$port

expect_fail() {
  if "$@" >"$work/refused" 2>&1; then echo "FAIL: accepted: $*" >&2; exit 1; fi
}
"$work/interop-tiles" "$base/log" "$work/vkey" "$work/old-checkpoint"
expect_fail "$work/interop-tiles" "$base/tampered" "$work/vkey"
grep -q FAIL "$work/refused"
for entry in 0 $((old_size - 1)) 300 $((size - 1)); do
  "$verify" tiles "$base/log" --key "$work/vkey" --entry "$entry" --old "$work/old-checkpoint" >/dev/null
done
"$verify" tiles "$base/log" --key "$work/vkey" --entry 5 --out "$work/entry5" >/dev/null
cmp "$work/entry5" <(cb log entry 5 --format raw)
# Byte 100 lies in hash 3 of tile/0/000: entry 2's proof uses it as its sibling.
expect_fail "$verify" tiles "$base/tampered" --key "$work/vkey" --entry 2
expect_fail "$verify" tiles "$base/log" --key "$work/vkey" --entry "$size"
# A rollback: the older checkpoint served to a reader that holds the newer one.
cp "$work/old-checkpoint" "$work/www/tampered/checkpoint"
cp "$work/www/log/checkpoint" "$work/new-checkpoint"
expect_fail "$work/interop-tiles" "$base/tampered" "$work/vkey" "$work/new-checkpoint"
expect_fail "$verify" tiles "$base/tampered" --key "$work/vkey" --entry 3 --old "$work/new-checkpoint"
grep -q rollback "$work/refused"
echo "ok: $size entries served by nginx as tlog-tiles, read by Go's tlog and closebook-verify"
