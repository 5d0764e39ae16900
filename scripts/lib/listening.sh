# Sourced by the scripts that start a server in the background and must wait for it: interop/run.sh
# and the bench/ scripts. `appsync local` and `loadgen serve` print `listening on URL` once their
# socket is bound; this waits for that line instead of sleeping a fixed time. Subscriber peers write
# a ready file once their subscriptions are acknowledged; wait_ready waits for that.

# wait_listening LOG PID [TRIES]: sets `url` to the first `http(s)://HOST:PORT/graphql` printed in
# LOG by process PID, polling every 0.1 s at most TRIES times (default 300: 30 s). Prints LOG and
# exits 1 if PID dies first or the line never comes.
wait_listening() {
  local log=$1 pid=$2 tries=${3:-300}
  url=
  for _ in $(seq 1 "$tries"); do
    url=$(grep -o 'https\?://[0-9.:]*/graphql' "$log" | head -1 || true)
    [ -n "$url" ] && return 0
    kill -0 "$pid" 2>/dev/null || { cat "$log"; echo "the server exited before listening" >&2; exit 1; }
    sleep 0.1
  done
  cat "$log"
  echo "the server did not start listening within $((tries / 10)) s" >&2
  exit 1
}

# wait_ready FILE PID: waits up to a minute for a subscriber peer to write FILE (its subscriptions
# are acknowledged) or to exit; true once FILE exists.
wait_ready() {
  local file=$1 peer=$2
  for _ in $(seq 1 600); do
    [ -f "$file" ] && return 0
    kill -0 "$peer" 2>/dev/null || break
    sleep 0.1
  done
  [ -f "$file" ]
}
