#!/usr/bin/env bash
# Client throughput: against `loadgen serve` (a loopback server answering a fixed AppSync-like JSON
# body, so the server is not what is measured), N requests (default 20,000) of a 188-byte query at
# concurrency 1 and 128 through:
#   - raw reqwest, unsigned POST (the ceiling),
#   - raw reqwest signing every request with appsync-sigv4 (IAM),
#   - the appsync client crate with IAM,
#   - bench/peers/original.py: the Python approach this project started from,
#   - bench/peers/gql_peer.py: Python gql 4.4 AIOHTTPTransport + AppSyncIAMAuthentication.
# Every contender does the same work per call: build the JSON body from the query and variables,
# sign it (IAM), send it, read and parse the JSON answer. (The raw reqwest ceiling builds its body
# per request too, with serde_json into one buffer; before 2026-11-25 it sent one prebuilt body.)
#
# The server: `loadgen serve`'s default engine, a minimal hand-rolled HTTP/1.1 keep-alive responder
# on ONE thread (read a request head, skip the Content-Length body, write a prepared answer). On a
# 2-core machine the server's CPU competes with the client's, so it is kept as cheap as it can be:
# about half the CPU per request of the axum/hyper server used before (`--engine axum`, kept for
# comparison). Nothing is pinned with taskset: client and server share both cores, the same for
# every contender. Pinning the client to one core and the server to the other was considered and
# rejected: it would cap the multi-threaded Rust clients at one core while the single-threaded
# Python peers lose nothing, and the server alone would then idle most of its core.
# CPU time per request (getrusage of the client process) is the steadier figure on a shared
# machine; req/s moves with whatever else runs.
#
# Prints each run, a Markdown table and the ratios; JSON lines go to target/bench-results/.
# Environment: N (requests), CONCURRENCY (default "1 128"), WARMUP (default 200), BUILD=0 to skip the build,
# REPEAT (default 3): each configuration is run that many times, interleaved, and the Rust ones
# RUST_REPEAT (default 3) times more within each round; ratios use the medians;
# PEERS=0 leaves out the Python peers.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/listening.sh

N=${N:-20000}
CONCURRENCY=${CONCURRENCY:-"1 128"}
REPEAT=${REPEAT:-3}
RUST_REPEAT=${RUST_REPEAT:-3}
PEERS=${PEERS:-1}
WARMUP=${WARMUP:-200}
AKID=AKIDBENCHCLIENT
SECRET=bench-client-secret
QUERY='query ListPostsPage($author: String, $limit: Int, $token: String) { listPosts(author: $author, limit: $limit, nextToken: $token) { items { id title author content createdAt } nextToken } }'
VARS='{"limit":10}'
[ "${#QUERY}" -eq 188 ] || { echo "query is ${#QUERY} bytes, not 188"; exit 1; }

venv=target/bench-venv
if [ "$PEERS" = 1 ] && [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "gql[aiohttp]==4.4.0" "botocore>=1.34"
fi
[ "${BUILD:-1}" = 0 ] || cargo build --release --quiet -p loadgen
loadgen=target/release/loadgen

mkdir -p target/bench-results
out=target/bench-results/client-$(date -u +%Y%m%dT%H%M%SZ).jsonl
log=$(mktemp)
pid=
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -f "$log"
}
trap cleanup EXIT INT TERM

"$loadgen" serve --listen 127.0.0.1:0 --max-seconds 3600 >"$log" 2>&1 &
pid=$!
wait_listening "$log" "$pid"
echo "== client throughput against $url: $N requests of a ${#QUERY}-byte query; results in $out"

status=0
lg() { "$loadgen" run --url "$url" -n "$N" --warmup "$WARMUP" --max-seconds 300 --query "$QUERY" --variables "$VARS" "$@" >>"$out" || status=1; }
py() { "$venv/bin/python" "$@" --url "$url" -n "$N" --warmup "$WARMUP" --max-seconds 300 --query "$QUERY" --variables "$VARS" \
  --access-key-id "$AKID" --secret-access-key "$SECRET" >>"$out" || status=1; }
iam=(--auth iam --access-key-id "$AKID" --secret-access-key "$SECRET")
for r in $(seq 1 "$REPEAT"); do
  for c in $CONCURRENCY; do
    # The Rust runs take a second or two each, and this machine's noise is larger than the
    # differences between them: each round runs them RUST_REPEAT times, interleaved.
    # The order rotates from one repetition to the next, so that no contender always runs first
    # (two back-to-back runs of the very same client measure up to 7% apart in order alone).
    for k in $(seq 1 "$RUST_REPEAT"); do
      runs=(unsigned sigv4 iam)
      for i in 0 1 2; do
        case ${runs[$(( (i + k - 1) % 3 ))]} in
          unsigned) lg -c "$c" --client reqwest --auth none --label "reqwest-unsigned-c$c#$r.$k" ;;
          sigv4) lg -c "$c" --client reqwest "${iam[@]}" --label "reqwest-sigv4-c$c#$r.$k" ;;
          iam) lg -c "$c" --client appsync "${iam[@]}" --label "appsync-iam-c$c#$r.$k" ;;
        esac
      done
    done
    if [ "$PEERS" = 1 ]; then
      py bench/peers/original.py -c "$c" --label "original-py-c$c#$r.1"
      py bench/peers/gql_peer.py -c "$c" --label "gql-py-c$c#$r.1"
    fi
  done
done
echo
python3 bench/summarize.py client "$out"
exit "$status"
