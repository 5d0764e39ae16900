"""Python gql 4.x AppSyncWebsocketsTransport (API key) as a subscriber, measured the way
`loadgen subscribe` measures the appsync client, printing the same JSON line:

- --measure latency: N subscriptions; M mutations over HTTP (aiohttp) one at a time, each
  waiting until every subscription has its event; latency from the mutation's HTTP response
  (and from sending it) to the event reaching the subscriber's code, p50/p99.
- --measure throughput: N subscriptions on one WebSocket; once ready (--ready-file written),
  mutations come from another process; events per second from the first to the last.

One transport (WebSocket) per 100 subscriptions, AppSync's limit. gql has no start_ack hook, so
the subscriptions are live once a probe mutation has reached every one of them. Its `start`s go
out at most 50 a second per WebSocket, under the server's message rate.

Usage: python gql_ws_peer.py --url URL --api-key KEY [--subs N] [--measure latency|throughput]
  [-n M] [--warmup W] [--ready-file PATH] [--label L] [--max-seconds S]
"""

import argparse
import asyncio
import json
import math
import os
import sys
import time
from urllib.parse import urlparse

import aiohttp
from gql import Client, gql
from gql.transport.appsync_auth import AppSyncApiKeyAuthentication
from gql.transport.appsync_websockets import AppSyncWebsocketsTransport

import pyload

SUBSCRIPTION = gql("subscription OnCreate { onCreatePost { id title } }")
MUTATION = "mutation Create($input: CreatePostInput!) { createPost(input: $input) { id title } }"


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--url", required=True)
    p.add_argument("--api-key", required=True)
    p.add_argument("--subs", type=int, default=1)
    p.add_argument("--measure", choices=["latency", "throughput"], default="latency")
    p.add_argument("-n", "--mutations", type=int, default=200)
    p.add_argument("--warmup", type=int, default=20)
    p.add_argument("--per-connection", type=int, default=100)
    p.add_argument("--ready-file")
    p.add_argument("--max-seconds", type=float, default=120.0)
    p.add_argument("--label", default="")
    args = p.parse_args()
    pyload.loopback_only(args.url)
    return args


class Deliveries:
    """Every event as (post id, perf_counter time); waiters look for an id or a count."""

    def __init__(self):
        self.by_id = {}
        self.count = 0
        self.first = None
        self.last = None
        self.changed = asyncio.Event()

    def add(self, post_id, at):
        self.by_id.setdefault(post_id, []).append(at)
        self.count += 1
        if self.first is None:
            self.first = at
        self.last = at
        self.changed.set()

    async def wait(self, predicate, timeout):
        deadline = time.monotonic() + timeout
        while not predicate():
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            self.changed.clear()
            try:
                await asyncio.wait_for(self.changed.wait(), left)
            except asyncio.TimeoutError:
                return predicate()
        return True


async def listen(session, deliveries, errors):
    try:
        async for result in session.subscribe(SUBSCRIPTION):
            at = time.perf_counter()
            deliveries.add(result["onCreatePost"]["id"], at)
    except asyncio.CancelledError:
        raise
    except Exception as e:  # counted, the first one shown
        errors.append(repr(e)[:300])


async def open_subscriptions(args, ws_url, auth, deliveries, errors, stack):
    tasks = []
    left = args.subs
    sessions = []
    while left > 0:
        n = min(left, args.per_connection)
        left -= n
        client = Client(transport=AppSyncWebsocketsTransport(url=ws_url, auth=auth))
        session = await client.connect_async()
        stack.append(client)
        sessions.append((session, n))

    async def start(session, n):
        for i in range(n):
            if i and i % 50 == 0:
                await asyncio.sleep(1.0)
            tasks.append(asyncio.create_task(listen(session, deliveries, errors)))
            await asyncio.sleep(0)

    await asyncio.gather(*(start(s, n) for s, n in sessions))
    return tasks


async def mutate(http, url, api_key, post_id):
    body = {"query": MUTATION, "variables": {"input": {"id": post_id, "title": "bench"}}}
    async with http.post(url, json=body, headers={"x-api-key": api_key}) as response:
        answer = await response.json()
        if response.status != 200 or answer.get("errors"):
            raise RuntimeError(f"mutation failed: {response.status} {answer}")


def percentile_ms(sorted_s, p):
    if not sorted_s:
        return None
    rank = max(1, math.ceil(p / 100 * len(sorted_s)))
    return round(sorted_s[rank - 1] * 1000, 3)


async def main():
    args = parse_args()
    host = urlparse(args.url).netloc
    ws_url = f"ws://{host}/graphql/realtime"
    auth = AppSyncApiKeyAuthentication(host=host, api_key=args.api_key)
    suffix = f"{os.getpid()}-{time.time_ns()}"
    deadline = time.monotonic() + args.max_seconds
    deliveries = Deliveries()
    errors = []
    clients = []
    label = args.label or "gql-py"
    async with aiohttp.ClientSession() as http:
        tasks = await open_subscriptions(args, ws_url, auth, deliveries, errors, clients)
        probe = 0
        while True:
            if time.monotonic() > deadline:
                sys.exit("the subscriptions did not all receive a probe in time")
            post_id = f"probe-{probe}-{suffix}"
            await mutate(http, args.url, args.api_key, post_id)
            if await deliveries.wait(lambda: len(deliveries.by_id.get(post_id, ())) >= args.subs, 1.0):
                break
            probe += 1
        await asyncio.sleep(0.2)
        deliveries.by_id.clear()
        deliveries.count = 0
        deliveries.first = deliveries.last = None
        if args.ready_file:
            with open(args.ready_file, "w"):
                pass

        if args.measure == "latency":
            from_response, from_send = [], []
            before_response = missing = done = 0
            cpu0, started = pyload.cpu(), time.perf_counter()
            for k in range(args.warmup + args.mutations):
                if time.monotonic() > deadline:
                    break
                post_id = f"lat-{k}-{suffix}"
                sent = time.perf_counter()
                await mutate(http, args.url, args.api_key, post_id)
                response = time.perf_counter()
                await deliveries.wait(lambda: len(deliveries.by_id.get(post_id, ())) >= args.subs, 10.0)
                times = deliveries.by_id.pop(post_id, [])
                if k >= args.warmup:
                    done += 1
                    missing += args.subs - len(times)
                    for at in times:
                        before_response += at < response
                        from_response.append(max(0.0, at - response))
                        from_send.append(max(0.0, at - sent))
            elapsed, used = time.perf_counter() - started, pyload.cpu() - cpu0
            from_response.sort()
            from_send.sort()
            events = len(from_response)
            line = {
                "label": args.label, "tool": "gql-py", "measure": "latency", "subs": args.subs,
                "mutations": done, "events": events, "errors": len(errors) + missing,
                "cut_short": done < args.mutations,
                "p50_ms": percentile_ms(from_response, 50), "p99_ms": percentile_ms(from_response, 99),
                "max_ms": percentile_ms(from_response, 100),
                "p50_from_send_ms": percentile_ms(from_send, 50),
                "p99_from_send_ms": percentile_ms(from_send, 99),
                "before_response": before_response, "elapsed_s": round(elapsed, 3),
                "cpu_us_per_event": round(used * 1e6 / events, 3) if events else None,
            }
            print(
                f"{label}: {args.subs} subs, {done} mutations: latency from response p50 {line['p50_ms']} ms "
                f"p99 {line['p99_ms']} ms (from send p50 {line['p50_from_send_ms']} p99 {line['p99_from_send_ms']}), "
                f"{before_response} events before the response, {line['errors']} errors",
                file=sys.stderr,
            )
            if errors:
                print(f"first error: {errors[0]}", file=sys.stderr)
            print(json.dumps(line), flush=True)
            status = 0 if line["errors"] == 0 and not line["cut_short"] else 1
        else:
            expected = args.subs * args.mutations
            # Idle until the first event: the CPU time is the events'.
            cpu0 = pyload.cpu()
            await deliveries.wait(lambda: deliveries.count >= expected, max(0.0, deadline - time.monotonic()))
            used = pyload.cpu() - cpu0
            span = (deliveries.last - deliveries.first) if deliveries.count else 0.0
            status = pyload.throughput_line(args, "gql-py", deliveries.count, span, used, errors)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for client in clients:
            try:
                await asyncio.wait_for(client.close_async(), 5)
            except Exception:
                pass
        return status


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
