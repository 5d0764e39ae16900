# Sourced by the bench/ scripts: what each of them needs around its measurements. Expects to run
# from the repository root (each script cds there first).

# shellcheck source=../scripts/lib/listening.sh
source scripts/lib/listening.sh

# The documented demo API key of `appsync local` (local use only).
KEY=da2-appsynclocaldemokey0000

# raise_open_files NEEDED NAME: every connection holds a descriptor in the server and in loadgen;
# raise the soft limit to the hard one, or stop with a message when even that is too low.
raise_open_files() {
  local needed=$1 name=$2 hard
  hard=$(ulimit -Hn)
  if [ "$hard" != unlimited ] && [ "$hard" -lt "$needed" ]; then
    echo "$name: needs $needed open files, but the hard limit is $hard" >&2
    exit 2
  fi
  ulimit -n "$hard"
}

# results_file NAME: a fresh JSON-lines file under target/bench-results for this run.
results_file() {
  mkdir -p target/bench-results
  echo "target/bench-results/$1-$(date -u +%Y%m%dT%H%M%SZ).jsonl"
}

# The server under measurement: its pid and the log its start line goes to.
pid=
log=$(mktemp)

# stop: ends the server under measurement, if any.
stop() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  pid=
}
trap 'stop; rm -f "$log"' EXIT INT TERM

# start_local [ARGS...]: `appsync local` (release build) on a free loopback port; sets pid and url.
start_local() {
  : >"$log"
  "${target:-target}/release/appsync" local --listen 127.0.0.1:0 "$@" >"$log" 2>&1 &
  pid=$!
  wait_listening "$log" "$pid"
}

# free_port: a loopback port free at the time of asking (for peers that cannot take port 0).
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# amplify_events_node PEER...: Amplify JS `events` (aws-amplify 6.22.1, and ws 8.23.1 for Node 20,
# which has no WebSocket of its own) installed once under target/bench-events-node, with the peer
# scripts copied beside it: ES modules resolve packages from the script's own directory, not
# NODE_PATH. Sets node_dir.
amplify_events_node() {
  node_dir=target/bench-events-node
  if [ ! -d "$node_dir/node_modules/aws-amplify" ]; then
    mkdir -p "$node_dir"
    echo '{"name":"bench-events-node","private":true,"type":"module"}' >"$node_dir/package.json"
    (cd "$node_dir" && npm install --silent --no-audit --no-fund aws-amplify@6.22.1 ws@8.23.1)
  fi
  cp "$@" "$node_dir/"
}
