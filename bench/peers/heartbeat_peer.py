"""The control for the event-loop lag figures: the same heartbeat as `pyload --lag` (see
`pyload.Heartbeat`), in a loop with nothing else to do, for --seconds, and the same JSON line
fields (`loop_lag_*`). With --spin, a neighbour process spins one core meanwhile (pure Python,
no appsync, no I/O): about the CPU the measured runs' event loop thread takes, so the machine
is as busy as in those runs while this loop has only the heartbeat to run.

Usage: python heartbeat_peer.py [--seconds S] [--spin] [--label L]
"""

import argparse
import asyncio
import json
import subprocess
import sys

import pyload

SPIN = "import time\nend = time.monotonic() + {s}\nwhile time.monotonic() < end:\n    pass\n"


async def main():
    p = argparse.ArgumentParser(description="the event loop's lag with only the heartbeat running")
    p.add_argument("--seconds", type=float, default=2.0)
    p.add_argument("--spin", action="store_true", help="a neighbour process spins one core meanwhile")
    p.add_argument("--label", default="")
    args = p.parse_args()
    neighbour = None
    if args.spin:
        # It spins a little longer than the heartbeat runs, so that it covers the whole run.
        neighbour = subprocess.Popen([sys.executable, "-c", SPIN.format(s=args.seconds + 0.5)])
        await asyncio.sleep(0.2)
    heartbeat = pyload.Heartbeat()
    heartbeat.start()
    await asyncio.sleep(args.seconds)
    await heartbeat.stop()
    if neighbour is not None:
        neighbour.wait()
    line = {"label": args.label, "tool": "heartbeat", "spin": args.spin, "elapsed_s": args.seconds}
    line.update(heartbeat.figures())
    print(
        f"{args.label or 'heartbeat'}: loop lag p99 {line['loop_lag_p99_ms']} ms "
        f"(own {line['loop_lag_own_p99_ms']} ms), {line['loop_lag_samples']} samples",
        file=sys.stderr,
    )
    print(json.dumps(line), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
