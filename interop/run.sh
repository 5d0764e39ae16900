#!/usr/bin/env bash
# Interoperability checks against `appsync local`, with real peer clients:
# - Python gql 4.x (botocore's SigV4) over HTTP and the real-time WebSocket, plain and over TLS;
# - Amplify JS v6 (`aws-amplify`, pinned in interop/amplify/package.json) over HTTPS and WSS,
#   with API key, IAM and Cognito user pools (Amplify only speaks wss:// for subscriptions), and
#   its `events` client against AppSync Events (`/event`, `/event/realtime`) with API key and IAM.
# Creates a virtualenv under target/ and node_modules under interop/amplify (each reused when
# present), starts the emulator on a free loopback port for each group, stops it afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/listening.sh
venv=target/interop-venv
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "gql[aiohttp,websockets]==4.4.0" "botocore>=1.34"
fi
if [ ! -d interop/amplify/node_modules/aws-amplify ]; then
  (cd interop/amplify && npm ci --no-audit --no-fund --loglevel=error)
fi
# CI passes the binary its test run already built (a separate `cargo build` would resolve
# features differently and rebuild half the dependency tree).
bin=${APPSYNC_BIN:-}
if [ -z "$bin" ]; then
  cargo build --quiet -p appsync-cli
  bin=target/debug/appsync
fi
akid=AKIDINTEROP; secret=interop-secret; key=da2-interopkey
work=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; rm -rf "$work"' EXIT

# start_emulator LOG ARGS...: starts `appsync local` and sets $url from its start line.
start_emulator() {
  local log=$1; shift
  "$bin" local --listen 127.0.0.1:0 --iam "$akid:$secret" --api-key "$key" "$@" >"$log" 2>&1 &
  local pid=$!
  pids+=("$pid")
  wait_listening "$log" "$pid"
}

start_emulator "$work/plain.log"
echo "== gql over HTTP against $url"
"$venv/bin/python" interop/gql_http.py "$url" "$akid" "$secret" "$key"
echo "== gql over the real-time WebSocket against ${url%/graphql}/graphql/realtime"
"$venv/bin/python" interop/gql_ws.py "$url" "$akid" "$secret" "$key"

# TLS, with the demo schema also open to Cognito user pools tokens minted by `appsync token`.
sed 's/@aws_iam @aws_api_key/& @aws_cognito_user_pools/' crates/appsync-local/src/demo_schema.graphql >"$work/schema.graphql"
jwt=$("$bin" token --jwks-out "$work/jwks.json" 2>/dev/null)
start_emulator "$work/tls.log" --tls --tls-dir "$work/tls" --schema "$work/schema.graphql" --jwks "$work/jwks.json"
export APPSYNC_CA_FILE="$work/tls/ca.pem"
echo "== gql over HTTPS and WSS against $url"
"$venv/bin/python" interop/gql_http.py "$url" "$akid" "$secret" "$key"
"$venv/bin/python" interop/gql_ws.py "$url" "$akid" "$secret" "$key"
echo "== Amplify JS $(node -p 'require("./interop/amplify/node_modules/aws-amplify/package.json").version') over HTTPS and WSS against $url"
NODE_EXTRA_CA_CERTS="$APPSYNC_CA_FILE" node interop/amplify/checks.mjs "$url" "$akid" "$secret" "$key" "$jwt"
echo "== Amplify JS events (AppSync Events) over HTTPS and WSS against ${url%/graphql}/event"
NODE_EXTRA_CA_CERTS="$APPSYNC_CA_FILE" node interop/amplify/events.mjs "${url%/graphql}/event" "$akid" "$secret" "$key"
