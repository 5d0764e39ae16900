#!/usr/bin/env bash
# AppSync Events HTTP publishes (`POST /event`): `appsync local --tls` (release build, demo API
# key; Amplify speaks only https://) on a free loopback port, and two publishers against it, one
# at a time, with the same API key and the same events:
#   - appsync: `loadgen events --measure publish`, the appsync crate's `EventsClient::publish`;
#   - amplify: bench/peers/amplify_events_post_peer.mjs, Amplify JS `events.post` (aws-amplify
#              6.22.1 from npm, installed under target/bench-events-node) in Node.
# Each sends WARMUP publishes one at a time (not counted: the connection and TLS session are
# made), then PUBLISHES (default 10,000) publishes of 5 small JSON events to /default/bench,
# CONCURRENCY at a time, for each concurrency in CONCURRENCIES (default "1 16": one caller
# waiting on each publish, and sixteen sharing the client). No subscribers: what is measured is
# the publisher, not the fan-out (bench/events.sh). Figures: publishes per second, and the
# publisher's CPU per publish (user + system, its own process). A fresh emulator per round;
# rounds rotate which client goes first.
# Prints each run, a Markdown table and the median same-round ratios; JSON lines go to
# target/bench-results/. Environment: REPEAT (default 5), PUBLISHES, CONCURRENCIES, WARMUP,
# BUILD=0 to skip the build.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/common.sh

REPEAT=${REPEAT:-5}
PUBLISHES=${PUBLISHES:-10000}
CONCURRENCIES=${CONCURRENCIES:-1 16}
WARMUP=${WARMUP:-50}

amplify_events_node bench/peers/amplify_events_post_peer.mjs

target=${CARGO_TARGET_DIR:-target}
[ "${BUILD:-1}" = 0 ] || cargo build --release --locked --quiet -p appsync-cli -p loadgen
loadgen=$target/release/loadgen

out=$(results_file events-publish)
tls_dir=$(mktemp -d)
trap 'stop; rm -rf "$log" "$tls_dir"' EXIT INT TERM

status=0
# publishers CLIENT C LABEL
publishers() {
  local client=$1 c=$2 label=$3
  local common=(--url "$event_url" --api-key "$KEY" --publishes "$PUBLISHES" --events 5 --label "$label")
  case $client in
    amplify)
      NODE_EXTRA_CA_CERTS="$ca" node "$node_dir/amplify_events_post_peer.mjs" "${common[@]}" \
        --concurrency "$c" --warmup "$WARMUP" >>"$out" || status=1
      ;;
    appsync)
      "$loadgen" events --measure publish --ca-file "$ca" "${common[@]}" -c "$c" --warmup "$WARMUP" \
        >>"$out" || status=1
      ;;
  esac
}

echo "== results in $out"
for r in $(seq 1 "$REPEAT"); do
  echo "== round $r, load: $(uptime | sed 's/.*load average: //')"
  if [ $((r % 2)) = 1 ]; then order="appsync amplify"; else order="amplify appsync"; fi
  start_local --tls --tls-dir "$tls_dir"
  event_url=${url%/graphql}/event
  ca=$tls_dir/ca.pem
  for c in $CONCURRENCIES; do
    for client in $order; do
      publishers "$client" "$c" "$client-c$c#$r"
    done
  done
  stop
done

echo
python3 - "$out" <<'EOF'
import json
import sys

rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]


def fmt(x, digits=1):
    return "n/a" if x is None else f"{x:,.{digits}f}"


def median(values):
    values = sorted(v for v in values if v is not None)
    return values[(len(values) - 1) // 2] if values else None


print("| run | publishes | concurrency | publishes/s | CPU µs/publish | failed | cut short |")
print("|---|---|---|---|---|---|---|")
for r in rows:
    print(f"| {r['label']} | {r['publishes']} | {r['concurrency']} | {fmt(r['publishes_per_s'], 0)} "
          f"| {fmt(r['cpu_us_per_publish'], 1)} | {r['failed']} | {r['cut_short']} |")
runs = {}
for r in rows:
    name, _, rnd = r["label"].partition("#")
    client, _, c = name.partition("-")
    runs.setdefault((c, rnd), {})[client] = r
print()
for c in sorted({c for c, _ in runs}, key=lambda c: int(c[1:])):
    pairs = [x for (cc, _), x in runs.items() if cc == c and "appsync" in x and "amplify" in x]
    rate = [x["appsync"]["publishes_per_s"] / x["amplify"]["publishes_per_s"] for x in pairs
            if x["appsync"]["publishes_per_s"] and x["amplify"]["publishes_per_s"]]
    cpu = [x["amplify"]["cpu_us_per_publish"] / x["appsync"]["cpu_us_per_publish"] for x in pairs
           if x["appsync"]["cpu_us_per_publish"] and x["amplify"]["cpu_us_per_publish"]]
    print(f"- concurrency {c[1:]}: publishes/s appsync / amplify, median of {len(rate)} per-round ratios: "
          f"{fmt(median(rate), 2)}x ({', '.join(fmt(x, 2) for x in rate)}); CPU per publish amplify / appsync: "
          f"{fmt(median(cpu), 2)}x ({', '.join(fmt(x, 2) for x in cpu)})")
EOF
exit "$status"
