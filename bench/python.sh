#!/usr/bin/env bash
# The `appsync` Python package (crates/appsync-py, installed from source: a release build) against
# the Python peers, every ratio from the same run:
#   - execute with IAM against `loadgen serve` (the fixed-answer loopback server bench/client.sh
#     uses), N requests (default 10,000) of the 188-byte query at 1 and 100 concurrent tasks:
#     appsync-py (bench/peers/appsync_py_peer.py), gql 4.4 AIOHTTPTransport +
#     AppSyncIAMAuthentication (gql_peer.py) and the origin story's aiohttp + hand-written SigV4
#     (original.py); requests/s and CPU time per request (getrusage of the client process);
#   - event-loop lag during the 100-task runs: a heartbeat task sleeping 1 ms, how late it wakes
#     (p99), in separate runs with --lag so the heartbeat's own cost stays out of the figures above;
#     beside it the lag left once the loop thread's waits for a core are taken out ("own", from
#     /proc/thread-self/schedstat), and two controls as long as our run: the heartbeat alone in
#     an idle loop, and alone beside a process spinning one core (heartbeat_peer.py);
#   - signing one 188-byte request: Signer.sign against botocore SigV4Auth.add_auth and
#     requests-aws4auth (bench/peers/sign_py.py);
#   - subscription events/s through `async for`, 100 subscriptions on one WebSocket, against gql's
#     AppSyncWebsocketsTransport, both subscribers fed by `loadgen run` mutations on
#     `appsync local` (release), as bench/subscriptions.sh does;
#   - `import appsync` in a fresh interpreter (median of 15).
# Targets (issue 13): >= 6x gql's req/s at 100 tasks and <= 1/6 of its CPU per request; >= 20x
# botocore's signing speed; >= 5x gql's events/s; loop lag p99 < 5 ms; import < 50 ms.
# Environment: N (default 10000), REPEAT (default 3, interleaved rounds; ratios use medians),
# TP_N (mutations for events/s, default 1000: x100 events; at 500 a window lasted 0.3 s; above
# 1,024 a subscription's queue overflows), BUILD=0 skips the builds.
# JSON lines go to target/bench-results/python-*.jsonl; a Markdown summary is printed.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/listening.sh

N=${N:-10000}
REPEAT=${REPEAT:-3}
TP_N=${TP_N:-1000}
WARMUP=${WARMUP:-200}
AKID=AKIDBENCHCLIENT
SECRET=bench-client-secret
QUERY='query ListPostsPage($author: String, $limit: Int, $token: String) { listPosts(author: $author, limit: $limit, nextToken: $token) { items { id title author content createdAt } nextToken } }'
VARS='{"limit":10}'
[ "${#QUERY}" -eq 188 ] || { echo "query is ${#QUERY} bytes, not 188"; exit 1; }
# The documented demo API key of `appsync local` (local use only).
KEY=da2-appsynclocaldemokey0000
TP_MUTATION='mutation { createPost(input: {title: "tp"}) { id title } }'
target=${CARGO_TARGET_DIR:-target}

venv=target/bench-py-venv
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "gql[aiohttp,websockets]==4.4.0" \
    "botocore==1.44.8" "requests-aws4auth==1.4.0"
fi
if [ "${BUILD:-1}" != 0 ]; then
  cargo build --release --quiet -p appsync-cli -p loadgen
  "$venv/bin/pip" install --quiet --disable-pip-version-check --force-reinstall --no-deps ./crates/appsync-py
fi
loadgen=$target/release/loadgen
py="$venv/bin/python"

mkdir -p target/bench-results
out=target/bench-results/python-$(date -u +%Y%m%dT%H%M%SZ).jsonl
log=$(mktemp)
emlog=$(mktemp)
ready=$(mktemp -u)
sublog=$(mktemp)
pid=
em=
sub=
cleanup() {
  for p in $sub $em $pid; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  rm -f "$log" "$emlog" "$ready" "$sublog"
}
trap cleanup EXIT INT TERM

"$target/release/appsync" local --listen 127.0.0.1:0 >"$emlog" 2>&1 &
em=$!
wait_listening "$emlog" "$em"
emurl=$url
"$loadgen" serve --listen 127.0.0.1:0 --max-seconds 3600 >"$log" 2>&1 &
pid=$!
wait_listening "$log" "$pid"
echo "== Python: execute against $url, subscriptions against $emurl; results in $out"

status=0
peer() {
  local script=$1
  shift
  (cd bench/peers && "../../$py" "$script" --url "$url" -n "$N" --warmup "$WARMUP" --max-seconds 300 --query "$QUERY" \
    --variables "$VARS" --access-key-id "$AKID" --secret-access-key "$SECRET" "$@") >>"$out" || status=1
}
throughput() {
  local script=$1 label=$2
  rm -f "$ready"
  (cd bench/peers && "../../$py" "$script" --url "$emurl" --api-key "$KEY" --measure throughput --subs 100 \
    -n "$TP_N" --ready-file "$ready" --max-seconds 120 --label "$label") >>"$out" 2>"$sublog" &
  sub=$!
  if wait_ready "$ready" "$sub"; then
    "$loadgen" run --url "$emurl" -n "$TP_N" -c 8 --warmup 0 --max-seconds 120 --auth api-key --api-key "$KEY" \
      --query "$TP_MUTATION" --variables '{}' --label "driver-$label" >/dev/null 2>&1 || status=1
  fi
  wait "$sub" || status=1
  sub=
  cat "$sublog" >&2
}
for r in $(seq 1 "$REPEAT"); do
  read -r l1 l5 _ </proc/loadavg
  echo "{\"label\": \"load#$r\", \"load1\": $l1, \"load5\": $l5}" >>"$out"
  for c in 1 100; do
    peer appsync_py_peer.py -c "$c" --label "appsync-py-c$c#$r"
    peer gql_peer.py -c "$c" --label "gql-py-c$c#$r"
    peer original.py -c "$c" --label "original-py-c$c#$r"
  done
  peer appsync_py_peer.py -c 100 --lag --label "appsync-py-lag-c100#$r"
  # The controls, as long as that run: the heartbeat alone, then beside a process spinning a core.
  secs=$(grep "\"appsync-py-lag-c100#$r\"" "$out" | "$py" -c 'import json, sys; print(max(1.0, json.loads(sys.stdin.readline())["elapsed_s"]))') || secs=1
  for control in idle spin; do
    flag=; [ "$control" = spin ] && flag=--spin
    (cd bench/peers && "../../$py" heartbeat_peer.py --seconds "$secs" $flag --label "control-$control#$r") >>"$out" || status=1
  done
  peer gql_peer.py -c 100 --lag --label "gql-py-lag-c100#$r"
  (cd bench/peers && "../../$py" sign_py.py | sed "s/\"label\": \"\([^\"]*\)\"/\"label\": \"\1#$r\"/") >>"$out" || status=1
  throughput appsync_py_ws_peer.py "appsync-py-tp-100#$r"
  throughput gql_ws_peer.py "gql-py-tp-100#$r"
done
# `import appsync` in a fresh interpreter, 15 times.
for _ in $(seq 1 15); do
  "$py" -c 'import time; t = time.perf_counter(); import appsync; print((time.perf_counter() - t) * 1000)'
done | "$py" -c '
import json, sys
ms = sorted(float(x) for x in sys.stdin)
print(json.dumps({"label": "import-appsync", "tool": "appsync-py", "import_ms_median": round(ms[len(ms) // 2], 2), "import_ms_min": round(ms[0], 2)}))' >>"$out"
echo
python3 bench/python_summary.py "$out"
exit "$status"
