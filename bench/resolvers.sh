#!/usr/bin/env bash
# Resolver throughput (issues 12 and 15): `appsync local` (release build) serving a CloudFormation
# template with APPSYNC_JS resolvers, against amplify-appsync-simulator 2.4.1 (npm, installed under
# target/bench-node) running the same resolvers as VTL (bench/peers/simulator_resolvers.js), with
# the same schema, query, data, load generator (loadgen run, raw reqwest, API key) and concurrency.
#
# - pipeline (issue 12): Query.quote through a two-function pipeline over a NONE data source
#   (bench/data/pipeline.yaml): function 1 looks the product up and stashes its price, function 2
#   prices the order from the stash.
# - orders (issue 15): GetItem, PutItem and Query through JS unit resolvers (bench/data/orders.yaml)
#   on `appsync local`'s embedded table engine; the simulator's DynamoDB data source points at moto's
#   server (moto[server]==5.2.5, installed in a venv under target/bench-moto). Both are seeded with
#   the same 200 orders through the same putOrder mutation.
# - engine (issue 15, reported without target): `loadgen dynamodb`, the table engine alone
#   (Database::execute in process, one thread) against moto's server over HTTP, same operations.
#
# Before measuring, the script sends each query to both servers and stops if the answers differ.
# Each comparison runs REPEAT rounds (default 3), alternating which side goes first; ratios use the
# median runs, and in brackets the median of the per-round ratios. JSON lines go to
# target/bench-results/.
# Environment: PARTS (default "pipeline orders engine"), N (ours, default 20000), PEER_N (the
# simulator, default 3000; the simulator is 10-100x slower, and a run of the same count would last
# minutes), CONCURRENCY (default 64), WARMUP (default 500), REPEAT (default 3), ENGINE_N (default
# 200000), MOTO_N (default 3000), MOTO_CONCURRENCY (default 4), BUILD=0 to skip the build.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/common.sh

PARTS=${PARTS:-pipeline orders engine}
N=${N:-20000}
PEER_N=${PEER_N:-3000}
C=${CONCURRENCY:-64}
REPEAT=${REPEAT:-3}
WARMUP=${WARMUP:-500}
ENGINE_N=${ENGINE_N:-200000}
MOTO_N=${MOTO_N:-3000}
MOTO_C=${MOTO_CONCURRENCY:-4}
MOTO=moto[server]==5.2.5
target=${CARGO_TARGET_DIR:-target}

node_dir=target/bench-node
if [ ! -d "$node_dir/node_modules/amplify-appsync-simulator" ]; then
  mkdir -p "$node_dir"
  [ -f "$node_dir/package.json" ] || echo '{"name":"bench-node","private":true}' >"$node_dir/package.json"
  (cd "$node_dir" && npm install --silent --no-audit --no-fund amplify-appsync-simulator@2.4.1)
fi
moto_dir=target/bench-moto
if [ ! -f "$moto_dir/.installed-5.2.5" ]; then
  python3 -m venv "$moto_dir"
  "$moto_dir/bin/pip" install --quiet --disable-pip-version-check "$MOTO"
  touch "$moto_dir/.installed-5.2.5"
fi
[ "${BUILD:-1}" = 0 ] || cargo build --release --quiet -p appsync-cli -p loadgen
loadgen=$target/release/loadgen

out=$(results_file resolvers)
echo "== results in $out; load: $(uptime)"

# Every server this script starts, stopped on exit.
servers=()
cleanup() {
  for p in "${servers[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${servers[@]}"; do wait "$p" 2>/dev/null || true; done
  servers=()
}
trap 'cleanup; stop; rm -f "$log"' EXIT INT TERM

# start_ours TEMPLATE: `appsync local --template`; sets ours_url and ours_pid.
start_ours() {
  local ours_log
  ours_log=$(mktemp)
  "$target/release/appsync" local --listen 127.0.0.1:0 --template "$1" >"$ours_log" 2>&1 &
  ours_pid=$!
  servers+=("$ours_pid")
  wait_listening "$ours_log" "$ours_pid"
  ours_url=$url
  rm -f "$ours_log"
}

# start_simulator MODE SCHEMA [MOTO_URL]: sets sim_url and sim_pid.
start_simulator() {
  local sim_log
  sim_log=$(mktemp)
  NODE_PATH="$node_dir/node_modules" node bench/peers/simulator_resolvers.js "$1" "$2" "$(free_port)" "$(free_port)" \
    "$KEY" "${3:-}" >"$sim_log" 2>&1 &
  sim_pid=$!
  servers+=("$sim_pid")
  wait_listening "$sim_log" "$sim_pid" 1200
  sim_url=$url
  rm -f "$sim_log"
}

# start_moto: moto's server on a free loopback port; sets moto_url and moto_pid.
start_moto() {
  local port
  port=$(free_port)
  "$moto_dir/bin/moto_server" -H 127.0.0.1 -p "$port" >/dev/null 2>&1 &
  moto_pid=$!
  servers+=("$moto_pid")
  moto_url=http://127.0.0.1:$port
  for _ in $(seq 1 600); do
    python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 1)" 2>/dev/null && return 0
    kill -0 "$moto_pid" 2>/dev/null || { echo "moto_server exited" >&2; exit 1; }
    sleep 0.1
  done
  echo "moto_server did not listen within 60 s" >&2
  exit 1
}

# same_answer QUERY VARIABLES: POSTs the query to ours and the simulator; stops unless both
# answer the same JSON without errors (a `nextToken` is opaque: only whether there is one counts).
same_answer() {
  python3 - "$ours_url" "$sim_url" "$KEY" "$1" "$2" <<'EOF'
import json, sys, urllib.request
ours, sim, key, query, variables = sys.argv[1:]
def ask(url):
    body = json.dumps({"query": query, "variables": json.loads(variables)}).encode()
    req = urllib.request.Request(url, body, {"content-type": "application/json", "x-api-key": key})
    return json.load(urllib.request.urlopen(req, timeout=30))
def opaque(v):
    if isinstance(v, dict):
        return {k: (x is not None) if k == "nextToken" else opaque(x) for k, x in v.items()}
    return [opaque(x) for x in v] if isinstance(v, list) else v
a, b = ask(ours), ask(sim)
a, b = opaque(a), opaque(b)
if a != b or "errors" in a or a.get("data") is None:
    sys.exit(f"the servers answer differently:\n  ours:      {json.dumps(a)}\n  simulator: {json.dumps(b)}")
print(f"   same answer: {json.dumps(a)[:160]}")
EOF
}

status=0
# lg URL PID N LABEL QUERY VARIABLES: one measured loadgen run.
lg() {
  "$loadgen" run --url "$1" -n "$3" -c "$C" --warmup "$WARMUP" --max-seconds 300 --server-pid "$2" \
    --auth api-key --api-key "$KEY" --label "$4" --query "$5" --variables "$6" >>"$out" || status=1
}

# rounds NAME QUERY VARIABLES: REPEAT rounds, ours first in odd rounds, the simulator first in even.
rounds() {
  local name=$1 query=$2 vars=$3 r
  for r in $(seq 1 "$REPEAT"); do
    if [ $((r % 2)) -eq 1 ]; then
      lg "$ours_url" "$ours_pid" "$N" "ours-$name#$r" "$query" "$vars"
      lg "$sim_url" "$sim_pid" "$PEER_N" "simulator-$name#$r" "$query" "$vars"
    else
      lg "$sim_url" "$sim_pid" "$PEER_N" "simulator-$name#$r" "$query" "$vars"
      lg "$ours_url" "$ours_pid" "$N" "ours-$name#$r" "$query" "$vars"
    fi
    echo "   round $r done; load: $(uptime | sed 's/.*load average: //')"
  done
}

if [[ " $PARTS " == *" pipeline "* ]]; then
  echo "== pipeline: two APPSYNC_JS functions over NONE, ours N=$N, simulator N=$PEER_N, c=$C"
  start_ours bench/data/pipeline.yaml
  start_simulator pipeline bench/data/pipeline.graphql
  QUOTE='query Quote($sku: String!, $quantity: Int!) { quote(sku: $sku, quantity: $quantity) { sku quantity unitPrice total currency label } }'
  QUOTE_VARS='{"sku":" globex","quantity":3}'
  same_answer "$QUOTE" "$QUOTE_VARS"
  rounds pipeline "$QUOTE" "$QUOTE_VARS"
  cleanup
fi

if [[ " $PARTS " == *" orders "* ]]; then
  echo "== orders: GetItem/PutItem/Query through JS resolvers; ours on the embedded engine, the simulator on moto"
  start_moto
  start_ours bench/data/orders.yaml
  start_simulator orders bench/data/orders.graphql "$moto_url"
  ORDER_FIELDS='customerId orderId product quantity total status'
  seed=()
  for c in $(seq 0 19); do
    for o in $(seq 0 9); do
      seed+=(--setup "mutation { putOrder(input: {customerId: \"customer-$c\", orderId: \"order-0$o\", product: \"ACME\", quantity: $((o + 1)), total: $((o * 10 + 9)).99, status: \"NEW\"}) { orderId } }")
    done
  done
  GET="query Get(\$c: ID!, \$o: ID!) { getOrder(customerId: \$c, orderId: \$o) { $ORDER_FIELDS } }"
  GET_VARS='{"c":"customer-3","o":"order-03"}'
  for u in "$ours_url" "$sim_url"; do
    "$loadgen" run --url "$u" -n 1 -c 1 --warmup 0 --auth api-key --api-key "$KEY" \
      --query "$GET" --variables "$GET_VARS" "${seed[@]}" --label seed >/dev/null
  done
  PUT="mutation Put(\$input: OrderInput!) { putOrder(input: \$input) { $ORDER_FIELDS } }"
  PUT_VARS='{"input":{"customerId":"customer-3","orderId":"order-99","product":"ACME","quantity":4,"total":49.99,"status":"NEW"}}'
  QUERY="query Orders(\$c: ID!) { ordersOf(customerId: \$c, limit: 10) { items { $ORDER_FIELDS } nextToken } }"
  QUERY_VARS='{"c":"customer-3"}'
  same_answer "$GET" "$GET_VARS"
  same_answer "$PUT" "$PUT_VARS"
  same_answer "$QUERY" "$QUERY_VARS"
  rounds getitem "$GET" "$GET_VARS"
  rounds putitem "$PUT" "$PUT_VARS"
  rounds query "$QUERY" "$QUERY_VARS"
  cleanup
fi

if [[ " $PARTS " == *" engine "* ]]; then
  echo "== engine alone (one thread, N=$ENGINE_N) / moto's server (c=$MOTO_C, N=$MOTO_N)"
  start_moto
  for op in get-item put-item query; do
    for r in $(seq 1 "$REPEAT"); do
      engine=("$loadgen" dynamodb --target engine --operation "$op" -n "$ENGINE_N" --warmup 2000 --label "engine-$op#$r")
      moto=("$loadgen" dynamodb --target moto --url "$moto_url" --server-pid "$moto_pid" --operation "$op"
        -n "$MOTO_N" -c "$MOTO_C" --warmup 200 --label "moto-$op#$r")
      if [ $((r % 2)) -eq 1 ]; then
        "${engine[@]}" >>"$out" || status=1
        "${moto[@]}" >>"$out" || status=1
      else
        "${moto[@]}" >>"$out" || status=1
        "${engine[@]}" >>"$out" || status=1
      fi
    done
    echo "   $op done; load: $(uptime | sed 's/.*load average: //')"
  done
  cleanup
fi

echo
python3 bench/resolvers_summary.py "$out"
exit "$status"
