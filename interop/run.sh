#!/usr/bin/env bash
# Interoperability checks against `appsync local`: Python gql 4.x (with botocore's SigV4) as the
# client. Creates a virtualenv under target/ (rebuilt when missing), starts the emulator on a free
# loopback port, runs each check, stops the emulator.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=target/interop-venv
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "gql[aiohttp,websockets]==4.4.0" "botocore>=1.34"
fi
# CI passes the binary its test run already built (a separate `cargo build` would resolve
# features differently and rebuild half the dependency tree).
bin=${APPSYNC_BIN:-}
if [ -z "$bin" ]; then
  cargo build --quiet -p appsync-cli
  bin=target/debug/appsync
fi
akid=AKIDINTEROP; secret=interop-secret; key=da2-interopkey
log=$(mktemp)
"$bin" local --listen 127.0.0.1:0 --iam "$akid:$secret" --api-key "$key" >"$log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 1 100); do
  url=$(grep -o 'http://[0-9.:]*/graphql' "$log" | head -1 || true)
  [ -n "$url" ] && break
  kill -0 $pid 2>/dev/null || { cat "$log"; echo "emulator exited"; exit 1; }
  sleep 0.1
done
[ -n "$url" ] || { cat "$log"; echo "emulator did not start"; exit 1; }
echo "== gql over HTTP against $url"
"$venv/bin/python" interop/gql_http.py "$url" "$akid" "$secret" "$key"
echo "== gql over the real-time WebSocket against ${url%/graphql}/graphql/realtime"
"$venv/bin/python" interop/gql_ws.py "$url" "$akid" "$secret" "$key"
