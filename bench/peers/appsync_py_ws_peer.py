"""The `appsync` Python package as a subscriber, measured as gql_ws_peer.py measures gql
(`--measure throughput` only, the same JSON line): N subscriptions (API key) on one WebSocket, each
read by its own task with `async for`; once all are acknowledged (`start_ack`, which `subscribe`
waits for) the --ready-file is written and mutations come from another process; events per
second from the first event to the last, CPU time per event.

Usage: python appsync_py_ws_peer.py --url URL --api-key KEY [--subs N] [-n M] [--ready-file PATH]
  [--label L] [--max-seconds S]
"""

import argparse
import asyncio
import sys
import time

import appsync
import pyload

SUBSCRIPTION = "subscription OnCreate { onCreatePost { id title } }"


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--url", required=True)
    p.add_argument("--api-key", required=True)
    p.add_argument("--subs", type=int, default=100)
    p.add_argument("--measure", choices=["throughput"], default="throughput")
    p.add_argument("-n", "--mutations", type=int, default=1000)
    p.add_argument("--ready-file")
    p.add_argument("--max-seconds", type=float, default=120.0)
    p.add_argument("--label", default="")
    args = p.parse_args()
    pyload.loopback_only(args.url)
    return args


async def main():
    args = parse_args()
    expected = args.subs * args.mutations
    count = 0
    first = last = None
    errors = []
    done = asyncio.Event()

    async def listen(sub):
        nonlocal count, first, last
        try:
            async for event in sub:
                event["onCreatePost"]["id"]  # the event is decoded and looked at, as gql's peer does
                at = time.perf_counter()
                count += 1
                if first is None:
                    first = at
                last = at
                if count >= expected:
                    done.set()
        except asyncio.CancelledError:
            raise
        except Exception as e:  # counted, the first one shown
            errors.append(repr(e)[:300])

    async with appsync.Client(args.url, auth=appsync.ApiKey(args.api_key)) as client:
        subs = [await client.subscribe(SUBSCRIPTION) for _ in range(args.subs)]
        tasks = [asyncio.create_task(listen(sub)) for sub in subs]
        if args.ready_file:
            with open(args.ready_file, "w"):
                pass
        cpu0 = pyload.cpu()
        try:
            await asyncio.wait_for(done.wait(), args.max_seconds)
        except asyncio.TimeoutError:
            pass
        used = pyload.cpu() - cpu0
        span = (last - first) if count else 0.0
        status = pyload.throughput_line(args, "appsync-py", count, span, used, errors)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for sub in subs:
            await sub.aclose()
    return status


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
