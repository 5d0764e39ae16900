"""The measuring loop shared by the Python peers: N calls at concurrency C, the same JSON line as
`loadgen run` (requests/s, p50/p99 latency, CPU time per request from getrusage, errors); and
what the subscriber peers share (the loopback check, CPU time, the throughput line).

Only loopback URLs are accepted; the run stops taking new calls after --max-seconds. With --lag,
a heartbeat task measures the event loop's lag during the measured run (see `Heartbeat`) and the
line gains its figures (`loop_lag_*`).
"""

import argparse
import asyncio
import ipaddress
import json
import math
import os
import resource
import sys
import time
from urllib.parse import urlparse


def parse_args(description):
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--url", required=True)
    p.add_argument("-n", "--requests", type=int, default=20000)
    p.add_argument("-c", "--concurrency", type=int, default=128)
    p.add_argument("--warmup", type=int, default=200)
    p.add_argument("--max-seconds", type=float, default=180.0)
    p.add_argument("--access-key-id", default="AKIDBENCH")
    p.add_argument("--secret-access-key", default="bench-secret")
    p.add_argument("--region", default="us-east-1")
    p.add_argument("--query", required=True)
    p.add_argument("--variables", default="{}")
    p.add_argument("--label", default="")
    p.add_argument("--lag", action="store_true", help="measure the event loop's lag meanwhile")
    args = p.parse_args()
    loopback_only(args.url)
    args.variables = json.loads(args.variables)
    return args


def loopback_only(url):
    """Exits unless `url` points at a loopback address: the peers only ever load this machine."""
    host = urlparse(url).hostname or ""
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        sys.exit(f"--url must point at a loopback address, not {url}")


def cpu():
    """CPU time (user + system) of this process so far, in seconds, every thread counted."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def throughput_line(args, tool, events, span, used, errors):
    """Prints the subscribers' `--measure throughput` JSON line (and a summary on stderr) for
    `events` received over `span` seconds from the first to the last, `used` seconds of CPU and
    `errors` (the reprs of failures); returns the exit status."""
    expected = args.subs * args.mutations
    line = {
        "label": args.label, "tool": tool, "measure": "throughput", "subs": args.subs,
        "mutations": args.mutations, "events": events, "errors": len(errors),
        "cut_short": events < expected,
        "events_per_s": round(events / span, 3) if span > 0 else None,
        "elapsed_s": round(span, 3),
        "cpu_us_per_event": round(used * 1e6 / events, 3) if events else None,
    }
    print(
        f"{args.label or tool}: {args.subs} subs: {events}/{expected} events in {span:.2f}s: "
        f"{line['events_per_s']} events/s, CPU {line['cpu_us_per_event']} us/event, {len(errors)} errors",
        file=sys.stderr,
    )
    if errors:
        print(f"first error: {errors[0]}", file=sys.stderr)
    print(json.dumps(line), flush=True)
    return 0 if not errors and not line["cut_short"] else 1


def _percentile(sorted_ms, p):
    if not sorted_ms:
        return None
    rank = max(1, math.ceil(p / 100 * len(sorted_ms)))
    return round(sorted_ms[rank - 1], 3)


async def _load(call, requests, concurrency, deadline):
    latencies = []
    errors = [0]
    first_error = []
    counter = iter(range(requests))

    async def worker():
        for _ in counter:
            if time.monotonic() >= deadline:
                return
            start = time.perf_counter()
            try:
                await call()
            except Exception as e:  # every failure is counted, the first one shown
                errors[0] += 1
                if not first_error:
                    first_error.append(repr(e)[:400])
                continue
            latencies.append((time.perf_counter() - start) * 1000)

    await asyncio.gather(*(worker() for _ in range(min(concurrency, requests))))
    if first_error:
        print(f"first error: {first_error[0]}", file=sys.stderr)
    return latencies, errors[0]


class Heartbeat:
    """How late the event loop runs a task that is ready: a task sleeps 1 ms (`asyncio.sleep(0.001)`)
    again and again; each wake-up's lag is the time from the sleep's start to the task running
    again, minus the 1 ms. That is what any other coroutine of the process waits, on top of its
    own work, while the measured calls run: the timer fires at the first turn of the loop after it
    is due, and the task runs in the turn after that.

    Each interval also reads the loop thread's run-queue wait (Linux `/proc/thread-self/schedstat`,
    second field: time runnable but not running, waiting for a core). `own` is the lag minus that
    wait: the part a machine with a free core would still see, i.e. the loop's own work. A
    machine with other work to do (other processes, or this process's other threads) shows up
    in the difference."""

    def __init__(self):
        self.lags = []
        self.own = []
        self.waited_ns = 0
        self.started = self.stopped = None
        self._task = None

    def start(self):
        self._task = asyncio.create_task(self._run())

    async def stop(self):
        self._task.cancel()
        try:
            await self._task
        except asyncio.CancelledError:
            pass

    async def _run(self):
        loop = asyncio.get_running_loop()
        try:
            fd = os.open("/proc/thread-self/schedstat", os.O_RDONLY)
        except OSError:
            fd = None

        def waited():
            return 0 if fd is None else int(os.pread(fd, 128, 0).split()[1])

        self.started = loop.time()
        try:
            while True:
                before, w0 = loop.time(), waited()
                await asyncio.sleep(0.001)
                after, w1 = loop.time(), waited()
                lag = max(0.0, (after - before - 0.001) * 1000)
                self.lags.append(lag)
                self.own.append(max(0.0, lag - (w1 - w0) / 1e6))
                self.waited_ns += w1 - w0
                self.stopped = after
        finally:
            if fd is not None:
                os.close(fd)

    def figures(self):
        """The line's `loop_lag_*` fields."""
        lags, own = sorted(self.lags), sorted(self.own)
        span = (self.stopped - self.started) if self.stopped else 0
        return {
            "loop_lag_p50_ms": _percentile(lags, 50),
            "loop_lag_p99_ms": _percentile(lags, 99),
            "loop_lag_max_ms": _percentile(lags, 100),
            "loop_lag_own_p99_ms": _percentile(own, 99),
            "loop_lag_samples": len(lags),
            # Share of the run the loop thread spent runnable but without a core.
            "loop_runqueue_share": round(self.waited_ns / 1e9 / span, 3) if span > 0 else None,
        }


async def measure(args, call, tool):
    """Runs `call` (an async no-argument function raising on failure) and prints the JSON line."""
    deadline = time.monotonic() + args.max_seconds
    if args.warmup:
        ok, _ = await _load(call, args.warmup, args.concurrency, deadline)
        if not ok:
            sys.exit("every warm-up call failed; not measuring")
    heartbeat = Heartbeat() if getattr(args, "lag", False) else None
    if heartbeat is not None:
        heartbeat.start()
    r0 = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.perf_counter()
    latencies, errors = await _load(call, args.requests, args.concurrency, deadline)
    elapsed = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_SELF)
    if heartbeat is not None:
        await heartbeat.stop()
    latencies.sort()
    done = len(latencies) + errors
    user, sys_ = r1.ru_utime - r0.ru_utime, r1.ru_stime - r0.ru_stime
    line = {
        "label": args.label,
        "tool": tool,
        "client": tool,
        "auth": "iam",
        "requests": args.requests,
        "completed": done,
        "concurrency": args.concurrency,
        "ok": len(latencies),
        "errors": errors,
        "cut_short": done < args.requests,
        "elapsed_s": round(elapsed, 3),
        "rps": round(done / elapsed, 3),
        "p50_ms": _percentile(latencies, 50),
        "p90_ms": _percentile(latencies, 90),
        "p99_ms": _percentile(latencies, 99),
        "max_ms": _percentile(latencies, 100),
        "cpu_user_s": round(user, 3),
        "cpu_sys_s": round(sys_, 3),
        "cpu_us_per_req": round((user + sys_) * 1e6 / done, 3) if done else None,
    }
    if heartbeat is not None:
        line.update(heartbeat.figures())
    print(
        f"{args.label or tool}: {done} requests at c={args.concurrency} in {elapsed:.2f}s: "
        f"{done / elapsed:.0f} req/s, p50 {line['p50_ms']} ms, p99 {line['p99_ms']} ms, "
        f"CPU {line['cpu_us_per_req']} us/req, {errors} errors"
        + (
            f", loop lag p99 {line['loop_lag_p99_ms']} ms (own {line['loop_lag_own_p99_ms']} ms, "
            f"waiting for a core {line['loop_runqueue_share'] or 0:.0%} of the run)"
            if heartbeat is not None
            else ""
        ),
        file=sys.stderr,
    )
    print(json.dumps(line), flush=True)
    return 0 if errors == 0 and done == args.requests else 1
