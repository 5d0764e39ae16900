#!/usr/bin/env bash
# Emulator throughput: `appsync local` (release build, built-in demo schema, demo credentials) on a
# free loopback port, N queries (default 20,000) at concurrency 64 of a getPost + listPosts query
# over ten stored posts, with an API key and with IAM (every request SigV4-signed by loadgen and
# verified by the emulator); then the same API-key load against amplify-appsync-simulator 2.4.1
# (npm, installed under target/bench-node) started by bench/peers/simulator.js with the same SDL
# and NONE-data-source resolvers answering the same ten posts.
# Prints each run, a Markdown table and the ratios; JSON lines go to target/bench-results/.
# Environment: N (requests), CONCURRENCY (default 64), WARMUP (default 500), BUILD=0 to skip the build,
# REPEAT (default 3): each configuration is run that many times, interleaved; ratios use the medians.
# BASELINE=PATH: another `appsync` binary (e.g. a release build of an earlier commit) started
# beside ours with the same seed; every round then also loads it (labels `base-*`), alternating
# with ours, and the summary gives ours / baseline. SIMULATOR=0 skips amplify-appsync-simulator.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/common.sh

N=${N:-20000}
C=${CONCURRENCY:-64}
REPEAT=${REPEAT:-3}
WARMUP=${WARMUP:-500}
# The documented demo credentials of `appsync local` (local use only).
AKID=AKIDAPPSYNCLOCALDEMO
SECRET=appsync-local-demo-secret
QUERY='query Bench($id: ID!) { getPost(id: $id) { id title author content } listPosts(limit: 10) { items { id title author content } nextToken } }'
VARS='{"id":"bench-3"}'
SCHEMA=crates/appsync-local/src/demo_schema.graphql

node_dir=target/bench-node
if [ "${SIMULATOR:-1}" != 0 ] && [ ! -d "$node_dir/node_modules/amplify-appsync-simulator" ]; then
  mkdir -p "$node_dir"
  [ -f "$node_dir/package.json" ] || echo '{"name":"bench-node","private":true}' >"$node_dir/package.json"
  (cd "$node_dir" && npm install --silent --no-audit --no-fund amplify-appsync-simulator@2.4.1)
fi
[ "${BUILD:-1}" = 0 ] || cargo build --release --quiet -p appsync-cli -p loadgen
target=${CARGO_TARGET_DIR:-target}
loadgen=$target/release/loadgen

out=$(results_file emulator)

status=0
lg() {
  "$loadgen" run --url "$url" -n "$N" -c "$C" --warmup "$WARMUP" --max-seconds 300 --server-pid "$pid" \
    --query "$QUERY" --variables "$VARS" "$@" >>"$out" || status=1
}
seed=()
for i in $(seq 0 9); do
  author=$([ $((i % 2)) -eq 0 ] && echo alice || echo bob)
  seed+=(--setup "mutation { createPost(input: {id: \"bench-$i\", title: \"Post $i\", author: \"$author\", content: \"Benchmark post number $i.\"}) { id } }")
done
seed_posts() {
  "$loadgen" run --url "$url" -n 1 -c 1 --warmup 0 --auth api-key --api-key "$KEY" \
    --query "$QUERY" --variables "$VARS" "${seed[@]}" --label seed >/dev/null
}

# The baseline, when asked for: started first and left idle while ours runs.
base_pid= base_url= base_log=
if [ -n "${BASELINE:-}" ]; then
  base_log=$(mktemp)
  "$BASELINE" local --listen 127.0.0.1:0 >"$base_log" 2>&1 &
  base_pid=$!
  wait_listening "$base_log" "$base_pid"
  base_url=$url
  url=$base_url seed_posts
  echo "== baseline $BASELINE at $base_url"
fi
stop_base() {
  if [ -n "$base_pid" ]; then kill "$base_pid" 2>/dev/null || true; wait "$base_pid" 2>/dev/null || true; fi
  base_pid=
  [ -z "$base_log" ] || rm -f "$base_log"
}
trap 'stop; stop_base; rm -f "$log"' EXIT INT TERM

# Ours.
start_local
echo "== appsync local at $url: $N queries at c=$C; results in $out"
seed_posts
ours_pid=$pid ours_url=$url
for r in $(seq 1 "$REPEAT"); do
  lg --auth api-key --api-key "$KEY" --label "ours-api-key#$r"
  if [ -n "$base_pid" ]; then
    pid=$base_pid url=$base_url lg --auth api-key --api-key "$KEY" --label "base-api-key#$r"
  fi
  lg --auth iam --access-key-id "$AKID" --secret-access-key "$SECRET" --label "ours-iam#$r"
  if [ -n "$base_pid" ]; then
    pid=$base_pid url=$base_url lg --auth iam --access-key-id "$AKID" --secret-access-key "$SECRET" \
      --label "base-iam#$r"
  fi
  pid=$ours_pid url=$ours_url
done
stop
stop_base

if [ "${SIMULATOR:-1}" = 0 ]; then
  echo
  python3 bench/summarize.py emulator "$out"
  exit "$status"
fi

# amplify-appsync-simulator 2.4.1.
: >"$log"
NODE_PATH="$node_dir/node_modules" node bench/peers/simulator.js "$SCHEMA" "$(free_port)" "$(free_port)" "$KEY" >"$log" 2>&1 &
pid=$!
wait_listening "$log" "$pid"
echo "== amplify-appsync-simulator at $url"
for r in $(seq 1 "$REPEAT"); do
  lg --auth api-key --api-key "$KEY" --label "simulator-api-key#$r"
done
stop

echo
python3 bench/summarize.py emulator "$out"
exit "$status"
