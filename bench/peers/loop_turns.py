"""Where the event loop's time goes during an appsync-py run: runs bench/peers/appsync_py_peer.py
(same arguments) on an event loop that times each of its turns and each callback it runs, then
prints on stderr, and as one JSON line, the distribution of turn lengths (wall and the loop
thread's CPU time) and the time per kind of callback (the appsync result drain, task steps, the
abort callbacks, the rest).

A diagnostic, not part of bench/python.sh: the timing costs about a microsecond per callback.

Usage: python loop_turns.py --url URL --query Q [-n N] [-c C] ... (as appsync_py_peer.py)
"""

import asyncio
import asyncio.events
import json
import sys
import time

import appsync_py_peer
import pyload

turns = []  # (wall ms, callbacks run, thread CPU ms)
kinds = {}  # kind -> [count, total ms, max ms]
current = [0]


def kind_of(handle):
    cb = handle._callback
    name = getattr(cb, "__qualname__", None) or type(cb).__qualname__
    if type(cb).__name__ == "_Drain":
        return "appsync drain"
    if type(cb).__name__ == "_Abort":
        return "appsync abort callback"
    if "Task" in name and ("step" in name or "wakeup" in name):
        return "task step"
    return name


_run = asyncio.events.Handle._run


def timed_run(self):
    t = time.perf_counter()
    _run(self)
    ms = (time.perf_counter() - t) * 1000
    entry = kinds.setdefault(kind_of(self), [0, 0.0, 0.0])
    entry[0] += 1
    entry[1] += ms
    entry[2] = max(entry[2], ms)
    current[0] += 1


class TimedLoop(asyncio.SelectorEventLoop):
    def _run_once(self):
        current[0] = 0
        t, c = time.perf_counter(), time.thread_time()
        super()._run_once()
        turns.append(((time.perf_counter() - t) * 1000, current[0], (time.thread_time() - c) * 1000))


def main():
    asyncio.events.Handle._run = timed_run
    with asyncio.Runner(loop_factory=TimedLoop) as runner:
        status = runner.run(appsync_py_peer.main())
    # The busy turns only: a turn that ran nothing was the loop waiting in select.
    busy = sorted(t for t in turns if t[1] > 0)
    walls = sorted(t[0] for t in busy)
    line = {
        "label": "loop-turns",
        "turns": len(busy),
        "turn_ms_p50": pyload._percentile(walls, 50),
        "turn_ms_p99": pyload._percentile(walls, 99),
        "turn_ms_max": pyload._percentile(walls, 100),
        # The loop thread's CPU time per turn: the wall time less the waits for a core.
        "turn_cpu_ms_p50": pyload._percentile(sorted(t[2] for t in busy), 50),
        "turn_cpu_ms_p99": pyload._percentile(sorted(t[2] for t in busy), 99),
        "turn_cpu_ms_max": pyload._percentile(sorted(t[2] for t in busy), 100),
        "callbacks_per_turn_p50": pyload._percentile(sorted(t[1] for t in busy), 50),
        "callbacks_per_turn_p99": pyload._percentile(sorted(t[1] for t in busy), 99),
        "kinds": {
            k: {"count": n, "total_ms": round(total, 1), "mean_us": round(total * 1000 / n, 1), "max_ms": round(mx, 3)}
            for k, (n, total, mx) in sorted(kinds.items(), key=lambda kv: -kv[1][1])
        },
    }
    print(json.dumps(line, indent=1), file=sys.stderr)
    print(json.dumps(line), flush=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
