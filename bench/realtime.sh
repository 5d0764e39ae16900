#!/usr/bin/env bash
# Real-time benchmark (issue 6): `appsync local` (release build, built-in demo schema, demo API key)
# on a free loopback port, measured by `loadgen fanout`:
# - fan-out: CONNECTIONS WebSockets (default 100) with PER_CONNECTION onCreatePost subscriptions
#   each (default 10: 1,000 subscribers), then MUTATIONS createPost mutations (default 200, after
#   10 warm-up) over HTTP, one at a time; per mutation, the time from its HTTP response to the
#   last of its 1,000 deliveries (p50/p99), and the fan-out rate: deliveries per second from
#   each request to its last delivery;
# - memory: a fresh server, 20 warm-up connections, then IDLE (default 5,000) more connections
#   with one subscription each; the server's VmRSS growth (/proc/PID/status) divided by IDLE;
# - the same fan-out load against amplify-appsync-simulator 2.4.1 (npm, installed under
#   target/bench-node) started by bench/peers/simulator_realtime.js with the same SDL and a
#   createPost resolver, API key, its WebSocket at /graphql. If it cannot serve the full load, the
#   largest load it serves (of 1,000, 500, 200, 100 subscribers) is measured, and ours at that
#   load too, so the ratio compares like with like.
# Prints each run, a Markdown table and the ratios; JSON lines go to target/bench-results/.
# Environment: MUTATIONS, CONNECTIONS, PER_CONNECTION, IDLE, REPEAT (default 3, fan-out runs
# interleaved ours/simulator; ratios use medians), BUILD=0 to skip the build.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/common.sh

MUTATIONS=${MUTATIONS:-200}
CONNECTIONS=${CONNECTIONS:-100}
PER=${PER_CONNECTION:-10}
IDLE=${IDLE:-5000}
REPEAT=${REPEAT:-3}
SCHEMA=crates/appsync-local/src/demo_schema.graphql
raise_open_files $((IDLE + 512)) "realtime.sh (IDLE=$IDLE)"

node_dir=target/bench-node
if [ ! -d "$node_dir/node_modules/amplify-appsync-simulator" ]; then
  mkdir -p "$node_dir"
  [ -f "$node_dir/package.json" ] || echo '{"name":"bench-node","private":true}' >"$node_dir/package.json"
  (cd "$node_dir" && npm install --silent --no-audit --no-fund amplify-appsync-simulator@2.4.1)
fi
[ "${BUILD:-1}" = 0 ] || cargo build --release --locked --quiet -p appsync-cli -p loadgen
loadgen=target/release/loadgen

out=$(results_file realtime)

start_ours() {
  start_local
  ws_url=${url%/graphql}/graphql/realtime
  ws_url=ws://${ws_url#http://}
}
start_simulator() {
  : >"$log"
  NODE_PATH="$node_dir/node_modules" node bench/peers/simulator_realtime.js "$SCHEMA" "$(free_port)" "$(free_port)" "$KEY" >"$log" 2>&1 &
  pid=$!
  wait_listening "$log" "$pid"
  ws_url=ws://${url#http://}
}
# fanout LABEL CONNECTIONS: one fan-out run against the running server; its JSON line to $out.
fanout() {
  "$loadgen" fanout --url "$url" --realtime-url "$ws_url" --api-key "$KEY" --server-pid "$pid" \
    --connections "$2" --subscriptions "$PER" -n "$MUTATIONS" --label "$1" >>"$out"
}

status=0
echo "== results in $out"

# The simulator's load: the full one if it serves it without losing deliveries, else the
# largest smaller one it does serve.
sim_conns=
start_simulator
for c in "$CONNECTIONS" $((CONNECTIONS / 2)) $((CONNECTIONS / 5)) $((CONNECTIONS / 10)); do
  [ "$c" -ge 1 ] || continue
  if "$loadgen" fanout --url "$url" --realtime-url "$ws_url" --api-key "$KEY" --connections "$c" \
    --subscriptions "$PER" -n 20 --label probe >/dev/null 2>&1; then
    sim_conns=$c
    break
  fi
  echo "amplify-appsync-simulator lost deliveries or failed at $((c * PER)) subscribers"
  stop
  start_simulator
done
stop
[ -n "$sim_conns" ] || echo "amplify-appsync-simulator served none of the fan-out loads"

for r in $(seq 1 "$REPEAT"); do
  start_ours
  echo "== appsync local at $url, round $r"
  fanout "ours-fanout-$((CONNECTIONS * PER))#$r" "$CONNECTIONS" || status=1
  if [ -n "$sim_conns" ] && [ "$sim_conns" != "$CONNECTIONS" ]; then
    fanout "ours-fanout-$((sim_conns * PER))#$r" "$sim_conns" || status=1
  fi
  stop
  if [ -n "$sim_conns" ]; then
    start_simulator
    echo "== amplify-appsync-simulator at $url, round $r"
    fanout "simulator-fanout-$((sim_conns * PER))#$r" "$sim_conns" || status=1
    stop
  fi
done

# Memory on a fresh server each, so that nothing else has grown its heap.
start_ours
echo "== appsync local: $IDLE idle connections"
"$loadgen" fanout --url "$url" --realtime-url "$ws_url" --api-key "$KEY" --server-pid "$pid" \
  --idle "$IDLE" --label ours-idle >>"$out" || status=1
stop
start_simulator
echo "== amplify-appsync-simulator: $IDLE idle connections"
"$loadgen" fanout --url "$url" --realtime-url "$ws_url" --api-key "$KEY" --server-pid "$pid" \
  --idle "$IDLE" --label simulator-idle >>"$out" || echo "(the simulator's idle-memory run failed)"
stop

echo
python3 - "$out" "$((CONNECTIONS * PER))" "${sim_conns:-0}" "$PER" <<'EOF'
import json, sys

path, full, sim_conns, per = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
rows = [json.loads(line) for line in open(path) if line.strip()]
groups = {}
for r in rows:
    groups.setdefault(r["label"].split("#")[0], []).append(r)

def median(label, key):
    runs = sorted((r for r in groups.get(label, []) if r.get(key) is not None), key=lambda r: r[key])
    return runs[(len(runs) - 1) // 2] if runs else None

def fmt(x, digits=1):
    return "n/a" if x is None else f"{x:,.{digits}f}"

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
ours = median(f"ours-fanout-{full}", "p99_ms")
print(f"- fan-out, {full} subscribers on {full // per} connections, response → last delivery p99 (median of runs): "
      f"{fmt(ours and ours['p99_ms'], 2)} ms, p50 {fmt(ours and ours['p50_ms'], 2)} ms (target p99 < 50 ms)")
mem = median("ours-idle", "kib_per_connection")
print(f"- memory per idle connection with one subscription: {fmt(mem and mem['kib_per_connection'], 2)} KiB (target < 16 KiB)")
smem = median("simulator-idle", "kib_per_connection")
if mem and smem:
    print(f"- same, amplify-appsync-simulator: {fmt(smem['kib_per_connection'], 2)} KiB ({smem['kib_per_connection'] / mem['kib_per_connection']:.1f}x ours)")
if sim_conns:
    n = sim_conns * per
    if n != full:
        print(f"- amplify-appsync-simulator could not serve {full} subscribers; compared at {n}, the largest load it served")
    a, b = median(f"ours-fanout-{n}", "deliveries_per_s"), median(f"simulator-fanout-{n}", "deliveries_per_s")
    if a and b:
        rounds = {}
        for r in fan:
            label, _, rnd = r["label"].partition("#")
            rounds.setdefault(rnd, {})[label] = r
        per_round = sorted(x[f"ours-fanout-{n}"]["deliveries_per_s"] / x[f"simulator-fanout-{n}"]["deliveries_per_s"]
                           for x in rounds.values() if f"ours-fanout-{n}" in x and f"simulator-fanout-{n}" in x)
        text = f"{a['deliveries_per_s'] / b['deliveries_per_s']:.2f}x"
        if len(per_round) > 1:
            text += f" (median of per-round ratios {per_round[(len(per_round) - 1) // 2]:.2f}x over {len(per_round)} rounds)"
        print(f"- fan-out rate at {n} subscribers, ours / amplify-appsync-simulator (API key), deliveries/s: {text} (target >= 10x)")
        ca, cb = a.get("server_cpu_us_per_delivery"), b.get("server_cpu_us_per_delivery")
        if ca and cb:
            print(f"- server CPU per delivery, simulator / ours: {cb / ca:.2f}x")
else:
    print("- amplify-appsync-simulator: no fan-out load served; no ratio")
EOF
exit "$status"
