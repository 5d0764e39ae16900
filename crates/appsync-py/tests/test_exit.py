"""Interpreters exiting with the package busy: open clients, subscriptions, connection-state
callbacks and Python credential sources in use on the Rust runtime's threads. Each must exit
cleanly (status 0, no fatal error), whichever thread was doing what at the time."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

# Run in a child interpreter. `mode` "main": asyncio.run() returns with the client, its
# subscription and the in-process emulator left open. "thread": a daemon thread's loop churns
# subscriptions (connection states to a callback) and requests signed with short-lived
# credentials from a Python callable, while the main thread exits under it.
CHILD = r"""
import asyncio, datetime, sys, threading
import appsync
from appsync.local import Emulator

ON_CREATE = "subscription { onCreatePost { id title } }"
CREATE = "mutation { createPost(input: {title: \"t\"}) { id } }"
mode = sys.argv[1]
emulator = Emulator().start()

def short_lived():
    expires = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=1)
    c = emulator.credentials
    return appsync.Credentials(c.access_key_id, c.secret_access_key, expiration=expires)

async def busy(started):
    states = []
    client = emulator.client(on_connection_state=states.append)
    signed = appsync.Client(emulator.url, auth=appsync.IAM(short_lived), region=emulator.region)
    posts = await client.subscribe(ON_CREATE)
    started.set()
    while True:
        extra = await client.subscribe(ON_CREATE)
        await asyncio.gather(*(signed.execute(CREATE) for _ in range(5)))
        await extra.aclose()
        if mode == "main" and len(states) > 1:
            return posts  # left open

if mode == "main":
    asyncio.run(busy(threading.Event()))
else:
    started = threading.Event()
    threading.Thread(target=lambda: asyncio.run(busy(started)), daemon=True).start()
    if not started.wait(30):
        sys.exit("the busy loop did not start")
print("exiting", flush=True)
"""


@pytest.mark.parametrize("mode", ["main", "thread"])
def test_interpreters_exit_cleanly_with_the_runtime_busy(mode: str) -> None:
    env = {**os.environ, "PYTHONFAULTHANDLER": "1"}
    children = [
        subprocess.Popen(
            [sys.executable, "-c", CHILD, mode], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
        )
        for _ in range(8)
    ]
    for child in children:
        out, err = child.communicate(timeout=120)
        assert (child.returncode, out.strip()) == (0, "exiting"), err
        assert "Fatal Python error" not in err and "PyGILState" not in err, err
