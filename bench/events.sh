#!/usr/bin/env bash
# AppSync Events benchmark (issue 14): `appsync local` (release build, demo API key) on a free
# loopback port, measured by `loadgen fanout --protocol events`:
# - fan-out: CONNECTIONS WebSockets (default 100) with PER_CONNECTION subscriptions each to
#   /default/fanout (default 10: 1,000 subscribers), then PUBLISHES one-event `POST /event`
#   publishes (default 200, after 10 warm-up), one at a time; per publish, the time from its HTTP
#   response to the last of its 1,000 deliveries (p50/p99) and deliveries per second;
# - the same load as GraphQL subscriptions fed by createPost mutations, on the same server in the
#   same round, for a same-run ratio;
# - memory: a fresh server, 20 warm-up connections, then IDLE (default 5,000) more connections
#   with one Events subscription each; the server's VmRSS growth divided by IDLE; then the same
#   with GraphQL subscriptions on another fresh server.
# Prints each run, a Markdown table and the ratios; JSON lines go to target/bench-results/.
# Environment: PUBLISHES, CONNECTIONS, PER_CONNECTION, IDLE, REPEAT (default 3; the order of
# Events and GraphQL alternates between rounds), BUILD=0 to skip the build.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/common.sh

PUBLISHES=${PUBLISHES:-200}
CONNECTIONS=${CONNECTIONS:-100}
PER=${PER_CONNECTION:-10}
IDLE=${IDLE:-5000}
REPEAT=${REPEAT:-3}
raise_open_files $((IDLE + 512)) "events.sh (IDLE=$IDLE)"

target=${CARGO_TARGET_DIR:-target}
[ "${BUILD:-1}" = 0 ] || cargo build --release --locked --quiet -p appsync-cli -p loadgen
loadgen=$target/release/loadgen

out=$(results_file events)
# run PROTOCOL LABEL [ARGS...]: one loadgen run against the running server; its JSON line to $out.
run() {
  local protocol=$1 label=$2; shift 2
  local http=$url
  [ "$protocol" = events ] && http=${url%/graphql}/event
  "$loadgen" fanout --protocol "$protocol" --url "$http" --api-key "$KEY" --server-pid "$pid" \
    --label "$label" "$@" >>"$out"
}

status=0
echo "== results in $out"
for r in $(seq 1 "$REPEAT"); do
  start_local
  echo "== appsync local at $url, round $r"
  order="events graphql"
  [ $((r % 2)) = 0 ] && order="graphql events"
  for protocol in $order; do
    run "$protocol" "$protocol-fanout#$r" --connections "$CONNECTIONS" --subscriptions "$PER" -n "$PUBLISHES" || status=1
  done
  stop
done
for protocol in events graphql; do
  start_local
  echo "== appsync local: $IDLE idle $protocol connections"
  run "$protocol" "$protocol-idle" --idle "$IDLE" || status=1
  stop
done

echo
python3 - "$out" "$((CONNECTIONS * PER))" "$CONNECTIONS" <<'EOF'
import json, sys

path, subscribers, connections = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rows = [json.loads(line) for line in open(path) if line.strip()]

def fmt(x, digits=1):
    return "n/a" if x is None else f"{x:,.{digits}f}"

def median(values):
    values = sorted(v for v in values if v is not None)
    return values[(len(values) - 1) // 2] if values else None

fan = [r for r in rows if r.get("mode") == "fanout"]
print("| run | subscribers | response → last delivery p50 ms | p99 ms | request → last p50 ms | deliveries/s | server CPU µs/delivery | lost |")
print("|---|---|---|---|---|---|---|---|")
for r in fan:
    print(f"| {r['label']} | {r['subscribers']} | {fmt(r['p50_ms'], 2)} | {fmt(r['p99_ms'], 2)} | {fmt(r['request_p50_ms'], 2)} "
          f"| {fmt(r['deliveries_per_s'], 0)} | {fmt(r['server_cpu_us_per_delivery'], 2)} | {r['lost']} |")
idle = [r for r in rows if r.get("mode") == "idle"]
if idle:
    print()
    print("| run | idle connections (1 subscription each) | RSS before KiB | RSS after KiB | KiB per connection |")
    print("|---|---|---|---|---|")
    for r in idle:
        print(f"| {r['label']} | {r['connections']} | {r['rss_before_kib']} | {r['rss_after_kib']} | {fmt(r['kib_per_connection'], 2)} |")
print()
events = [r for r in fan if r["label"].startswith("events-")]
p99 = median(r["p99_ms"] for r in events)
print(f"- Events fan-out, {subscribers} subscribers on {connections} connections, publish response → last delivery "
      f"p99 (median of runs): {fmt(p99, 2)} ms (target < 50 ms)")
rounds = {}
for r in fan:
    protocol, _, rnd = r["label"].partition("-fanout#")
    rounds.setdefault(rnd, {})[protocol] = r
ratios = [x["events"]["deliveries_per_s"] / x["graphql"]["deliveries_per_s"]
          for x in rounds.values() if "events" in x and "graphql" in x
          and x["events"]["deliveries_per_s"] and x["graphql"]["deliveries_per_s"]]
print(f"- deliveries/s, Events / GraphQL subscriptions on the same server, median of {len(ratios)} per-round ratios: "
      f"{fmt(median(ratios), 2)}x")
mem = {r["label"]: r["kib_per_connection"] for r in idle}
print(f"- memory per idle Events connection with one subscription: {fmt(mem.get('events-idle'), 2)} KiB (target < 16 KiB); "
      f"GraphQL: {fmt(mem.get('graphql-idle'), 2)} KiB")
EOF
exit "$status"
