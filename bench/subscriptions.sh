#!/usr/bin/env bash
# Subscriptions: `appsync local` (release build, built-in demo schema, its demo API key) on a free
# loopback port, and three subscribers, all with the same API key:
#   - raw:     `loadgen subscribe --client raw`, a bare WebSocket client (tokio-tungstenite speaking
#              the protocol directly, no client library): the emulator's own fan-out time;
#   - appsync: `loadgen subscribe --client appsync`, the appsync client crate (its subscriptions
#              read 100 to a task with `select_all`, as the bare client reads one connection per task);
#   - gql:     bench/peers/gql_ws_peer.py, Python gql 4.4 AppSyncWebsocketsTransport.
# Figures:
#   - event latency from the mutation's HTTP response to the event reaching the subscriber's code
#     (and from sending the mutation), p50/p99, at 1 and at 1,000 subscriptions (one mutation at
#     a time, each waiting for all its events);
#   - events per second on one connection: 100 subscriptions, mutations sent by another process
#     (`loadgen run`, concurrency 8) once the subscriber is ready. Every subscriber counts its
#     events where it reads them (a count, the first and the last time), as gql's peer does; the
#     latency figures, which need each event's id and time, send them to a collector task instead;
#   - memory per idle subscription: RSS growth of the subscriber over 1,000 more / 1,000.
# Targets (issue 5): appsync p99 <= 2x raw p99; appsync events/s >= 5x gql; < 10 KiB per idle
# subscription. Prints each run, Markdown tables and the ratios; JSON lines go to target/bench-results/.
# Environment: REPEAT (default 3, interleaved rounds; ratios use the medians), LAT_N (mutations at
# 1 subscription, default 500), LAT_N_MANY (at 1,000, default 50), TP_N (mutations for events/s,
# default 1000; x100 events), MANY (default 1000), PEERS=0 leaves gql out, BUILD=0 skips the build.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/listening.sh

REPEAT=${REPEAT:-3}
LAT_N=${LAT_N:-500}
LAT_N_MANY=${LAT_N_MANY:-50}
TP_N=${TP_N:-1000}
MANY=${MANY:-1000}
PEERS=${PEERS:-1}
# The documented demo API key of `appsync local` (local use only).
KEY=da2-appsynclocaldemokey0000
TP_MUTATION='mutation { createPost(input: {title: "tp"}) { id title } }'

venv=target/bench-sub-venv
if [ "$PEERS" = 1 ] && [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "gql[aiohttp,websockets]==4.4.0" "botocore>=1.34"
fi
[ "${BUILD:-1}" = 0 ] || cargo build --release --quiet -p appsync-cli -p loadgen
loadgen=target/release/loadgen

mkdir -p target/bench-results
out=target/bench-results/subscriptions-$(date -u +%Y%m%dT%H%M%SZ).jsonl
log=$(mktemp)
ready=$(mktemp -u)
sublog=$(mktemp)
pid=
sub=
cleanup() {
  if [ -n "$sub" ]; then kill "$sub" 2>/dev/null || true; wait "$sub" 2>/dev/null || true; fi
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -f "$log" "$ready" "$sublog"
}
trap cleanup EXIT INT TERM

target/release/appsync local --listen 127.0.0.1:0 >"$log" 2>&1 &
pid=$!
wait_listening "$log" "$pid"
echo "== subscriptions against appsync local at $url; results in $out"

status=0
# subscriber CLIENT LABEL ARGS...: a loadgen subscriber, or the gql peer for CLIENT=gql.
subscriber() {
  local client=$1 label=$2
  shift 2
  if [ "$client" = gql ]; then
    "$venv/bin/python" bench/peers/gql_ws_peer.py --url "$url" --api-key "$KEY" --label "$label" "$@"
  else
    "$loadgen" subscribe --url "$url" --api-key "$KEY" --client "$client" --label "$label" "$@"
  fi
}
latency() { subscriber "$1" "$2" --measure latency "${@:3}" >>"$out" || status=1; }
# throughput CLIENT LABEL: the subscriber waits (ready file) for `loadgen run` to send TP_N mutations.
throughput() {
  rm -f "$ready"
  subscriber "$1" "$2" --measure throughput --subs 100 -n "$TP_N" --ready-file "$ready" --max-seconds 120 \
    >>"$out" 2>"$sublog" &
  sub=$!
  if wait_ready "$ready" "$sub"; then
    "$loadgen" run --url "$url" -n "$TP_N" -c 8 --warmup 0 --max-seconds 120 --auth api-key --api-key "$KEY" \
      --query "$TP_MUTATION" --variables '{}' --label "driver-$2" >/dev/null 2>&1 || status=1
  fi
  wait "$sub" || status=1
  sub=
  cat "$sublog" >&2
}
clients="raw appsync"
[ "$PEERS" = 1 ] && clients="$clients gql"
for r in $(seq 1 "$REPEAT"); do
  for c in $clients; do latency "$c" "$c-lat-1#$r" --subs 1 -n "$LAT_N"; done
  for c in $clients; do latency "$c" "$c-lat-$MANY#$r" --subs "$MANY" -n "$LAT_N_MANY" --warmup 5; done
  for c in $clients; do throughput "$c" "$c-tp-100#$r"; done
  for c in raw appsync; do
    subscriber "$c" "$c-mem-$MANY#$r" --measure memory --subs "$MANY" >>"$out" || status=1
  done
done
echo
python3 - "$out" "$MANY" <<'EOF'
import json
import sys

path, many = sys.argv[1], sys.argv[2]
with open(path) as f:
    rows = [json.loads(line) for line in f if line.strip()]
groups = {}
for r in rows:
    groups.setdefault(r["label"].split("#")[0], []).append(r)


def median(label):
    """Each figure's median over the rounds, independently."""
    runs = groups.get(label, [])
    if not runs:
        return None
    out = dict(runs[0])
    for k in ("p50_ms", "p99_ms", "max_ms", "p50_from_send_ms", "p99_from_send_ms", "events_per_s",
              "cpu_us_per_event", "bytes_per_sub", "before_response"):
        vals = sorted(r[k] for r in runs if r.get(k) is not None)
        out[k] = vals[(len(vals) - 1) // 2] if vals else None
    out["errors"] = sum(r["errors"] for r in runs)
    out["cut_short"] = any(r["cut_short"] for r in runs)
    return out


def fmt(x, digits=3):
    return "n/a" if x is None else f"{x:,.{digits}f}"


def cell(r, k, digits=3):
    return fmt(r.get(k) if r else None, digits)


def ratio(a, b, k):
    ra, rb = median(a), median(b)
    if not ra or not rb or not ra.get(k) or not rb.get(k):
        return None
    return ra[k] / rb[k]


def per_round(a, b, k):
    by = {}
    for r in rows:
        label, _, rnd = r["label"].partition("#")
        by.setdefault(rnd, {})[label] = r
    vals = sorted(x[a][k] / x[b][k] for x in by.values() if a in x and b in x and x[a].get(k) and x[b].get(k))
    return vals


def ratio_line(text, a, b, k, target=None, lower_is_better=False):
    r = ratio(a, b, k)
    vals = per_round(a, b, k)
    s = f"- {text}: {'n/a' if r is None else f'{r:.2f}x'}"
    if len(vals) > 1:
        s += f" (per round: {', '.join(f'{v:.2f}x' for v in vals)})"
    if target is not None and r is not None:
        ok = r <= target if lower_is_better else r >= target
        s += f"; target {'<=' if lower_is_better else '>='} {target}x: {'met' if ok else 'NOT met'}"
    print(s)


print("Each figure is its median over the rounds (errors: the sum); the ratios use these medians.")
print()
print("Latency, from the mutation's HTTP response (and from sending it) to the event in the subscriber's code:")
print()
print("| run | subs | events | p50 ms | p99 ms | p50 ms from send | p99 ms from send | events before the response | CPU µs/event | errors |")
print("|---|---|---|---|---|---|---|---|---|---|")
for label in groups:
    if "-lat-" in label:
        r = median(label)
        if r:
            print(f"| {label} | {r['subs']} | {r['events']} | {cell(r, 'p50_ms')} | {cell(r, 'p99_ms')} | {cell(r, 'p50_from_send_ms')} | "
                  f"{cell(r, 'p99_from_send_ms')} | {r['before_response']} | {cell(r, 'cpu_us_per_event', 1)} | {r['errors']}{' (cut short)' if r['cut_short'] else ''} |")
print()
print("Events per second, 100 subscriptions on one connection:")
print()
print("| run | events | events/s | CPU µs/event | errors |")
print("|---|---|---|---|---|")
for label in groups:
    if "-tp-" in label:
        r = median(label)
        if r:
            print(f"| {label} | {r['events']} | {cell(r, 'events_per_s', 0)} | {cell(r, 'cpu_us_per_event', 2)} | {r['errors']}{' (cut short)' if r['cut_short'] else ''} |")
print()
print("Memory per idle subscription (RSS growth over the subscriptions / their count):")
print()
print("| run | subs | bytes/subscription | KiB/subscription |")
print("|---|---|---|---|")
for label in groups:
    if "-mem-" in label:
        r = median(label)
        if r:
            print(f"| {label} | {r['subs']} | {cell(r, 'bytes_per_sub', 0)} | {fmt(r['bytes_per_sub'] / 1024, 2)} |")
print()
print("Every run, in order:")
print()
for r in rows:
    fig = {k: r.get(k) for k in ("p50_ms", "p99_ms", "p50_from_send_ms", "p99_from_send_ms", "events_per_s", "cpu_us_per_event", "bytes_per_sub") if r.get(k) is not None}
    print(f"- {r['label']}: {fig}, errors {r['errors']}{' (cut short)' if r['cut_short'] else ''}")
print()
print("Ratios:")
for n in ("1", many):
    ratio_line(f"p99 latency from the response at {n} subscription(s), appsync / emulator's own (raw)", f"appsync-lat-{n}", f"raw-lat-{n}", "p99_ms", 2.0, True)
    ratio_line(f"p99 latency from sending at {n} subscription(s), appsync / emulator's own (raw)", f"appsync-lat-{n}", f"raw-lat-{n}", "p99_from_send_ms", 2.0, True)
    ratio_line(f"p50 latency from sending at {n} subscription(s), appsync / emulator's own (raw)", f"appsync-lat-{n}", f"raw-lat-{n}", "p50_from_send_ms")
    ratio_line(f"p99 latency from sending at {n} subscription(s), gql / appsync", f"gql-lat-{n}", f"appsync-lat-{n}", "p99_from_send_ms")
ratio_line("events/s on one connection, appsync / gql", "appsync-tp-100", "gql-tp-100", "events_per_s", 5.0)
ratio_line("CPU per event on one connection, gql / appsync", "gql-tp-100", "appsync-tp-100", "cpu_us_per_event")
ratio_line("events/s on one connection, appsync / raw", "appsync-tp-100", "raw-tp-100", "events_per_s")
mem = median(f"appsync-mem-{many}")
if mem:
    kib = mem["bytes_per_sub"] / 1024
    print(f"- memory per idle subscription (appsync, {many}): {kib:.2f} KiB; target < 10 KiB: {'met' if kib < 10 else 'NOT met'}")
EOF
exit "$status"
