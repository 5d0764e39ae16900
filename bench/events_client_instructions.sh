#!/usr/bin/env bash
# Instructions per event of the `appsync::events` client (issue 14), counted by callgrind: a
# figure that, unlike time on this kind of shared VM, does not move with the machine's pace, so
# that a change to the client's event path can be judged by one run.
#
# `appsync local --tls` (release build, demo API key) on a free loopback port; `loadgen events
# --measure throughput` (100 subscriptions on one connection) runs under
# `valgrind --tool=callgrind` twice, receiving SMALL (default 100) and then LARGE (default 300)
# publishes of 5 events from `loadgen events --measure publish`. Startup, TLS handshake and
# subscribing cost the same in both runs, so (instructions(LARGE) - instructions(SMALL)) /
# ((LARGE - SMALL) x 500) is what one event costs, from the socket to the application's value.
# Under valgrind the subscriber is slower than the publisher, so its reads find longer backlogs
# than at full speed (larger batches per read and per wake-up than in events_client.sh).
# Prints, per decoding (DECODE, default "typed value"), the instructions per event and the
# functions that cost the most per event (inclusive). Environment: SMALL, LARGE, DECODE,
# BUILD=0 to skip the build; needs valgrind (callgrind_annotate) and python3.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/common.sh

SMALL=${SMALL:-100}
LARGE=${LARGE:-300}
DECODE=${DECODE:-typed value}
target=${CARGO_TARGET_DIR:-target}
[ "${BUILD:-1}" = 0 ] || cargo build --release --locked --quiet -p appsync-cli -p loadgen
loadgen=$target/release/loadgen
command -v valgrind >/dev/null || { echo "events_client_instructions.sh: needs valgrind" >&2; exit 2; }

work=$(mktemp -d)
trap 'stop; rm -rf "$work" "$log"' EXIT INT TERM

# count DECODE PUBLISHES: one run under callgrind; its profile goes to $work/DECODE.PUBLISHES.
count() {
  local decode=$1 publishes=$2 ready=$work/ready
  rm -f "$ready"
  start_local --tls --tls-dir "$work/tls" --event-capacity 4096
  local event_url=${url%/graphql}/event ca=$work/tls/ca.pem
  valgrind --tool=callgrind --callgrind-out-file="$work/$decode.$publishes" \
    "$loadgen" events --measure throughput --decode "$decode" --ca-file "$ca" --url "$event_url" \
    --api-key "$KEY" --subs 100 --publishes "$publishes" --events 5 --ready-file "$ready" \
    --max-seconds 600 >/dev/null 2>"$work/sub.log" &
  local sub=$!
  while [ ! -e "$ready" ]; do
    kill -0 "$sub" 2>/dev/null || { cat "$work/sub.log" >&2; exit 1; }
    sleep 0.05
  done
  "$loadgen" events --measure publish --url "$event_url" --api-key "$KEY" --ca-file "$ca" \
    --publishes "$publishes" --events 5 -c 2 >/dev/null 2>&1
  wait "$sub" || { cat "$work/sub.log" >&2; exit 1; }
  stop
}

for decode in $DECODE; do
  count "$decode" "$SMALL"
  count "$decode" "$LARGE"
  python3 - "$work/$decode.$SMALL" "$work/$decode.$LARGE" $(((LARGE - SMALL) * 500)) "$decode" <<'EOF'
import re
import subprocess
import sys

small, large, events, decode = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]


def inclusive(path):
    out = subprocess.run(["callgrind_annotate", "--inclusive=yes", "--threshold=100", path],
                         capture_output=True, text=True, check=True).stdout
    costs = {}
    for line in out.splitlines():
        if line.startswith("-- Auto-annotated source"):
            break
        m = re.match(r"\s*([\d,]+) \(\s*[\d.]+%\)\s+\S.*?:(.+?)( \[.*\])?$", line)
        if m:
            name = m.group(2).strip()
            costs[name] = max(costs.get(name, 0), int(m.group(1).replace(",", "")))
    return costs


a, b = inclusive(small), inclusive(large)
per = {k: (b[k] - a.get(k, 0)) / events for k in b}
total = per.get("loadgen::events_client::main", 0)
print(f"decode {decode}: {total:,.0f} instructions per event (callgrind, {events:,} events between the runs)")
mine = [(v, k) for k, v in per.items() if k.startswith(("appsync::", "<appsync::", "serde_json::de::from_trait"))]
for v, k in sorted(mine, reverse=True)[:12]:
    print(f"  {v:8,.0f}  {k[:110]}")
EOF
done
