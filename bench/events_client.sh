#!/usr/bin/env bash
# AppSync Events clients (issue 14): `appsync local --tls` (release build, demo API key) on a free
# loopback port, and two subscribers against it, one at a time, with the same API key:
#   - appsync: `loadgen events`, the appsync crate's `appsync::events` client, twice: decoding
#              each event into the benchmark event's struct (`subscribe::<T>` as the API is
#              meant to be used; label appsync_typed) and into `serde_json::Value` (any JSON, as
#              JavaScript's `JSON.parse` gives it; label appsync_value);
#   - amplify: bench/peers/amplify_events_peer.mjs, Amplify JS `events` (aws-amplify 6.22.1 and
#              ws 8.23.1 from npm, installed under target/bench-events-node) in Node. Amplify turns
#              every endpoint into wss://, hence the emulator's TLS for both.
# Figures:
#   - events per second received on one connection: SUBS (default 100) subscriptions to one
#     channel; once the subscriber is ready, `loadgen events --measure publish` (another process)
#     sends PUBLISHES (default 3,000: 1,500,000 events, a window of a second or more for the
#     fastest client) HTTP publishes of 5 events, CONCURRENCY (default 2) at a time (the emulator
#     runs with --event-capacity 4096, so that a subscriber that reads slower than the publisher
#     sends is not disconnected as too slow while it works through the backlog),
#     so each publish is SUBS x 5 deliveries. Each subscriber counts events where the application
#     gets them (first and last time): events/s from the first to the last, and its CPU per event;
#     the emulator's CPU over the same run (publisher started to subscriber done) is reported per
#     event beside it, since both share the machine's cores;
#   - memory per idle subscription of the appsync client: its RSS growth over IDLE (default 1,000)
#     more subscriptions (100 per connection, the client's default) / IDLE.
# Targets: appsync events/s >= 5x amplify (same run, same emulator, same load), reported for
# each decoding; < 4 KiB per idle subscription. Rounds rotate which client goes first; a fresh
# emulator for every measurement.
# Prints each run, a Markdown table and the ratios; JSON lines go to target/bench-results/.
# Environment: REPEAT (default 5: our runs are short, and a round that a burst of load on the
# machine hits is one of five), SUBS, PUBLISHES, CONCURRENCY, IDLE, BUILD=0 to skip the build.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/common.sh

REPEAT=${REPEAT:-5}
SUBS=${SUBS:-100}
PUBLISHES=${PUBLISHES:-3000}
CONCURRENCY=${CONCURRENCY:-2}
IDLE=${IDLE:-1000}

amplify_events_node bench/peers/amplify_events_peer.mjs

target=${CARGO_TARGET_DIR:-target}
[ "${BUILD:-1}" = 0 ] || cargo build --release --locked --quiet -p appsync-cli -p loadgen
loadgen=$target/release/loadgen

out=$(results_file events-client)
tls_dir=$(mktemp -d)
ready=$(mktemp -u)
sublog=$(mktemp)
sub=
cleanup_client() {
  if [ -n "$sub" ]; then kill "$sub" 2>/dev/null || true; wait "$sub" 2>/dev/null || true; fi
  sub=
  rm -rf "$tls_dir" "$ready" "$sublog"
}
trap 'cleanup_client; stop; rm -f "$log"' EXIT INT TERM

status=0
# throughput CLIENT LABEL: the subscriber waits (ready file) for the publisher's load.
throughput() {
  local client=$1 label=$2
  rm -f "$ready"
  local common=(--url "$event_url" --api-key "$KEY" --subs "$SUBS" --publishes "$PUBLISHES" --events 5
    --ready-file "$ready" --max-seconds 120 --label "$label")
  case $client in
    amplify)
      NODE_EXTRA_CA_CERTS="$ca" node "$node_dir/amplify_events_peer.mjs" "${common[@]}" >>"$out" 2>"$sublog" &
      ;;
    appsync_typed | appsync_value)
      "$loadgen" events --measure throughput --decode "${client#appsync_}" --ca-file "$ca" "${common[@]}" \
        >>"$out" 2>"$sublog" &
      ;;
  esac
  sub=$!
  local emu0
  emu0=$(cpu_ticks "$pid")
  if wait_ready "$ready" "$sub"; then
    emu0=$(cpu_ticks "$pid")
    "$loadgen" events --measure publish --url "$event_url" --api-key "$KEY" --ca-file "$ca" \
      --publishes "$PUBLISHES" --events 5 -c "$CONCURRENCY" --label "driver-$label" >/dev/null 2>&1 || status=1
  fi
  wait "$sub" || status=1
  sub=
  printf '{"label":"%s","measure":"emulator_cpu","ticks":%s,"hz":%s,"events":%s}\n' "$label" \
    "$(($(cpu_ticks "$pid") - emu0))" "$(getconf CLK_TCK)" "$((SUBS * PUBLISHES * 5))" >>"$out"
  cat "$sublog" >&2
}

# cpu_ticks PID: the process's user + system CPU time so far, in clock ticks.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

echo "== results in $out"
# start_emulator: a fresh `appsync local` (TLS) for one measurement; sets event_url and ca.
start_emulator() {
  start_local --tls --tls-dir "$tls_dir" --event-capacity 4096
  event_url=${url%/graphql}/event
  ca=$tls_dir/ca.pem
}

for r in $(seq 1 "$REPEAT"); do
  echo "== round $r, load: $(uptime | sed 's/.*load average: //')"
  case $((r % 3)) in
    1) order="appsync_typed amplify appsync_value" ;;
    2) order="amplify appsync_value appsync_typed" ;;
    0) order="appsync_value appsync_typed amplify" ;;
  esac
  # A fresh emulator for each client: none inherits what serving the one before left behind.
  for client in $order; do
    start_emulator
    throughput "$client" "$client-tp-$SUBS#$r"
    stop
  done
  start_emulator
  "$loadgen" events --measure memory --url "$event_url" --api-key "$KEY" --ca-file "$ca" --subs "$IDLE" \
    --label "appsync-mem-$IDLE#$r" >>"$out" || status=1
  stop
done

echo
python3 - "$out" "$SUBS" "$IDLE" <<'EOF'
import json
import sys

path, subs, idle = sys.argv[1], sys.argv[2], sys.argv[3]
rows = [json.loads(line) for line in open(path) if line.strip()]


def fmt(x, digits=1):
    return "n/a" if x is None else f"{x:,.{digits}f}"


def median(values):
    values = sorted(v for v in values if v is not None)
    return values[(len(values) - 1) // 2] if values else None


tp = [r for r in rows if r["measure"] == "throughput"]
emulator = {r["label"]: r["ticks"] / r["hz"] * 1e6 / r["events"] for r in rows if r["measure"] == "emulator_cpu"}
print(f"| run | subscriptions | events | events/s | CPU µs/event | emulator CPU µs/event | errors | cut short |")
print("|---|---|---|---|---|---|---|---|")
for r in tp:
    print(f"| {r['label']} | {r['subs']} | {r['events']} | {fmt(r['events_per_s'], 0)} | {fmt(r['cpu_us_per_event'], 2)} "
          f"| {fmt(emulator.get(r['label']), 2)} | {r['errors']} | {r['cut_short']} |")
mem = [r for r in rows if r["measure"] == "memory"]
if mem:
    print()
    print("| run | idle subscriptions | RSS before B | RSS after B | bytes per subscription |")
    print("|---|---|---|---|---|")
    for r in mem:
        print(f"| {r['label']} | {r['subs']} | {r['rss_before']} | {r['rss_after']} | {fmt(r['bytes_per_sub'], 0)} |")
rounds = {}
for r in tp:
    client, _, rnd = r["label"].partition("#")
    rounds.setdefault(rnd, {})[client.split("-")[0]] = r
print()
for mode in ("appsync_typed", "appsync_value"):
    ratios = [x[mode]["events_per_s"] / x["amplify"]["events_per_s"] for x in rounds.values()
              if mode in x and "amplify" in x and x[mode]["events_per_s"] and x["amplify"]["events_per_s"]]
    print(f"- events/s on one connection ({subs} subscriptions), {mode} / amplify, median of {len(ratios)} "
          f"per-round ratios: {fmt(median(ratios), 2)}x (target >= 5x); per round: "
          f"{', '.join(fmt(x, 2) for x in ratios)}")
per = median(r["bytes_per_sub"] for r in mem)
print(f"- appsync client memory per idle subscription ({idle}), median: {fmt(per, 0)} bytes = "
      f"{fmt(None if per is None else per / 1024, 2)} KiB (target < 4 KiB)")
EOF
exit "$status"
