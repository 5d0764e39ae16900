"""Subscriptions (`async for` over `client.subscribe(...)`) and connection states, against the
in-process emulator (the `appsync_local` fixture of appsync's pytest plugin, or one closed and
started again) and, for a restart, `appsync local` as a process killed and started again on the
same port."""

from __future__ import annotations

import asyncio
import gc
import random

import pytest

import appsync
from appsync.local import Emulator

from conftest import WAIT, running_emulator, until

ON_CREATE = "subscription OnCreate { onCreatePost { id title author } }"
CREATE = "mutation Create($input: CreatePostInput!) { createPost(input: $input) { id title author } }"


async def create(client: appsync.Client, title: str) -> None:
    await client.execute(CREATE, {"input": {"title": title, "author": "py"}})


async def test_a_subscription_receives_a_mutations_event(appsync_local: Emulator) -> None:
    async with appsync_local.client() as client:
        async with client.subscribe(ON_CREATE, operation_name="OnCreate") as posts:
            assert appsync_local.subscriptions == 1 and posts.id
            await create(client, "hello")
            event = await asyncio.wait_for(anext(posts), WAIT)
            assert event["onCreatePost"]["title"] == "hello"
        # Leaving the block sent `stop`.
        await until(lambda: appsync_local.subscriptions == 0, "stop after the block")
        assert [event async for event in posts] == []


async def test_an_event_is_decoded_as_json_loads_decodes_it(appsync_local: Emulator) -> None:
    # Events are decoded in Rust, straight from the message: escapes, text beyond ASCII and a
    # null field come out as `json.loads` makes them.
    title = 'quote " backslash \\ newline \n tab \t \u00e9 \U0001f600 \u2028 \x00 end'
    async with appsync_local.client() as client:
        async with client.subscribe(ON_CREATE) as posts:
            await client.execute(CREATE, {"input": {"title": title}})
            event = await asyncio.wait_for(anext(posts), WAIT)
    post = event["onCreatePost"]
    assert event == {"onCreatePost": {"id": post["id"], "title": title, "author": None}}
    assert type(event) is dict and type(post["id"]) is str


async def test_break_out_of_async_for_sends_stop(appsync_local: Emulator) -> None:
    async with appsync_local.client() as client:

        async def publish() -> None:
            await until(lambda: appsync_local.subscriptions == 1, "the subscription started")
            await create(client, "first")

        publisher = asyncio.create_task(publish())
        # Started by the first step of `async for`, referenced by nothing else.
        async for event in client.subscribe(ON_CREATE):
            assert event["onCreatePost"]["title"] == "first"
            break
        await publisher
        await until(lambda: appsync_local.subscriptions == 0, "stop after break")

        # The same with `async with` around the loop, and with aclose().
        async with client.subscribe(ON_CREATE) as posts:
            await create(client, "second")
            async for event in posts:
                break
        await until(lambda: appsync_local.subscriptions == 0, "stop after the block")
        posts = await client.subscribe(ON_CREATE)
        assert appsync_local.subscriptions == 1
        await posts.aclose()
        await until(lambda: appsync_local.subscriptions == 0, "stop after aclose()")


async def test_garbage_collected_subscription_sends_stop(appsync_local: Emulator) -> None:
    async with appsync_local.client() as client:
        posts = await client.subscribe(ON_CREATE)
        # A read in flight when the subscription is dropped.
        reader = asyncio.create_task(anext(posts))
        await asyncio.sleep(0.05)
        reader.cancel()
        with pytest.raises(asyncio.CancelledError):
            await reader
        assert appsync_local.subscriptions == 1
        del posts, reader
        gc.collect()
        await until(lambda: appsync_local.subscriptions == 0, "stop after garbage collection")


async def test_cancelling_the_reader_loses_and_duplicates_nothing(appsync_local: Emulator) -> None:
    rounds = 40
    rng = random.Random(13)
    async with appsync_local.client() as client, client.subscribe(ON_CREATE) as posts:
        got: list[str] = []
        for i in range(rounds):
            reader = asyncio.create_task(anext(posts))
            await create(client, f"e{i}")
            # Cancelled before, while or after the event arrives.
            await asyncio.sleep(rng.choice([0, 0, 0.0005, 0.001, 0.003]))
            reader.cancel()
            try:
                got.append((await reader)["onCreatePost"]["title"])
            except asyncio.CancelledError:
                pass
        while len(got) < rounds:
            got.append((await asyncio.wait_for(anext(posts), WAIT))["onCreatePost"]["title"])
        assert got == [f"e{i}" for i in range(rounds)]
        # And nothing more was queued.
        await create(client, "last")
        assert (await asyncio.wait_for(anext(posts), WAIT))["onCreatePost"]["title"] == "last"


async def test_a_consumer_far_behind_gets_lagged_error_then_the_rest(appsync_local: Emulator) -> None:
    capacity, extra = 1024, 6  # the Rust client's event queue per subscription
    by_py = "subscription { onCreatePost(author: \"py\") { id title author } }"
    async with appsync_local.client() as client, client.subscribe(by_py) as posts:
        # A second subscription on the same connection, read as events come: once it has the
        # marker (which `posts` does not match), the connection has queued every earlier event.
        async with client.subscribe(ON_CREATE) as watcher:

            async def until_marker() -> None:
                while True:
                    try:
                        async for event in watcher:
                            if event["onCreatePost"]["title"] == "marker":
                                return
                    except appsync.LaggedError:  # behind as well: go on
                        continue

            watching = asyncio.create_task(until_marker())
            for start in range(0, capacity + extra, 64):
                await asyncio.gather(*(create(client, f"e{i}") for i in range(start, min(start + 64, capacity + extra))))
            await client.execute(CREATE, {"input": {"title": "marker", "author": "someone else"}})
            await asyncio.wait_for(watching, WAIT)
        got = [await asyncio.wait_for(anext(posts), WAIT) for _ in range(capacity)]
        assert len({e["onCreatePost"]["title"] for e in got}) == capacity
        await create(client, "after")
        with pytest.raises(appsync.LaggedError) as raised:
            await asyncio.wait_for(anext(posts), WAIT)
        assert raised.value.count == extra and isinstance(raised.value, appsync.SubscriptionError)
        # The subscription goes on.
        assert (await asyncio.wait_for(anext(posts), WAIT))["onCreatePost"]["title"] == "after"


async def test_refused_subscription_raises_subscription_error(appsync_local: Emulator) -> None:
    async with appsync_local.client() as client:
        with pytest.raises(appsync.SubscriptionError) as raised:
            await client.subscribe("subscription { noSuchField { id } }")
        assert isinstance(raised.value, appsync.AppSyncError)
        assert raised.value.errors and "noSuchField" in raised.value.errors[0]["message"]
        # A per-subscription auth mode the emulator refuses.
        with pytest.raises(appsync.AppSyncError):
            await client.subscribe(ON_CREATE, auth=appsync.ApiKey("da2-wrong"))
        assert appsync_local.subscriptions == 0


async def test_variables_and_per_subscription_auth(appsync_local: Emulator) -> None:
    query = "subscription ($author: String) { onCreatePost(author: $author) { id title author } }"
    async with appsync_local.client() as client:
        async with client.subscribe(query, {"author": "ann"}, auth=appsync.ApiKey(appsync_local.api_key)) as posts:
            await client.execute(CREATE, {"input": {"title": "not for ann", "author": "bob"}})
            await client.execute(CREATE, {"input": {"title": "for ann", "author": "ann"}})
            event = await asyncio.wait_for(anext(posts), WAIT)
            assert event["onCreatePost"] == {"id": event["onCreatePost"]["id"], "title": "for ann", "author": "ann"}


async def test_connection_states_in_order(appsync_local: Emulator) -> None:
    called: list[appsync.ConnectionState] = []
    client = appsync_local.client(on_connection_state=called.append)
    states = client.connection_states()
    posts = await client.subscribe(ON_CREATE)
    seen = [await asyncio.wait_for(anext(states), WAIT) for _ in range(2)]
    assert [s.state for s in seen] == ["connecting", "connected"]
    assert seen[1].connection == seen[0].connection == 1
    assert seen[1].keep_alive is not None and seen[1].keep_alive > 0
    assert repr(seen[0]) == "ConnectionState(connection=1, state='connecting')"
    assert seen[0] == appsync.ConnectionState(1, "connecting") != seen[1]
    await posts.aclose()
    # The last subscription gone, the connection closes.
    closed = await asyncio.wait_for(anext(states), WAIT)
    assert (closed.state, closed.connection) == ("closed", 1)
    await client.aclose()
    assert [s async for s in states] == []
    # The callback saw the same, on this loop.
    await until(lambda: len(called) == 3, "three calls")
    assert called == [*seen, closed]


def test_on_connection_state_needs_a_running_loop() -> None:
    with pytest.raises(appsync.ConfigError, match="event loop"):
        appsync.Client("http://127.0.0.1:1/graphql", auth=appsync.ApiKey("k"), on_connection_state=print)
    with pytest.raises(TypeError):
        appsync.Client("http://127.0.0.1:1/graphql", auth=appsync.ApiKey("k"), on_connection_state=42)


async def test_a_subscription_survives_an_emulator_restart() -> None:
    with running_emulator() as first:
        client = appsync.Client(first.url, auth=appsync.IAM(first.credentials), region=first.region)
        states = client.connection_states()
        posts = await client.subscribe(ON_CREATE)
        await create(client, "before")
        assert (await asyncio.wait_for(anext(posts), WAIT))["onCreatePost"]["title"] == "before"
        port = int(first.url.rsplit(":", 1)[1].split("/")[0])
    # The process is gone (its sockets with it); another takes its port.
    with running_emulator(listen=f"127.0.0.1:{port}") as second:
        assert second.url == first.url
        seen: list[appsync.ConnectionState] = []
        while not seen or seen[-1].state != "connected" or len(seen) < 3:
            seen.append(await asyncio.wait_for(anext(states), WAIT * 3))
        kinds = [s.state for s in seen]
        assert kinds[:2] == ["connecting", "connected"] and "disrupted" in kinds and "reconnecting" in kinds
        reconnecting = next(s for s in seen if s.state == "reconnecting")
        assert reconnecting.attempt == 1 and reconnecting.delay is not None
        # Started again on the new server: its next event arrives, once.
        await create(client, "after")
        assert (await asyncio.wait_for(anext(posts), WAIT))["onCreatePost"]["title"] == "after"
        await posts.aclose()
        await client.aclose()


async def test_closing_the_in_process_emulator_ends_its_connections_and_a_restart_resumes() -> None:
    emulator = Emulator()
    async with emulator:
        client = emulator.client()
        states = client.connection_states()
        posts = await client.subscribe(ON_CREATE)
        seen = [await asyncio.wait_for(anext(states), WAIT) for _ in range(2)]
        assert [s.state for s in seen] == ["connecting", "connected"]
        # Closing the emulator closes the socket: the client sees its connection end.
        await emulator.aclose()
        assert emulator.connections == 0 and emulator.subscriptions == 0
        disrupted = await asyncio.wait_for(anext(states), WAIT)
        assert (disrupted.state, disrupted.connection) == ("disrupted", 1), disrupted
        # Started again on the same port: the client reconnects and starts the subscription again.
        emulator.start()
        while (await asyncio.wait_for(anext(states), WAIT * 3)).state != "connected":
            pass
        await until(lambda: emulator.subscriptions == 1, "the subscription started again")
        await create(client, "after")
        assert (await asyncio.wait_for(anext(posts), WAIT))["onCreatePost"]["title"] == "after"
        await posts.aclose()
        await client.aclose()


def test_retry_is_validated() -> None:
    retry = appsync.Retry(5, base_delay=0.05, max_delay=1.0, retry_mutations=True, budget=50)
    assert (retry.attempts, retry.base_delay, retry.max_delay, retry.retry_mutations, retry.budget) == (
        5, 0.05, 1.0, True, 50
    )
    assert "attempts=5" in repr(retry) and appsync.Retry.disabled().attempts == 1
    for bad, field in [
        (lambda: appsync.Retry(0), "attempts"),
        (lambda: appsync.Retry(-1), "attempts"),
        (lambda: appsync.Retry(base_delay=0), "base_delay"),
        (lambda: appsync.Retry(base_delay=float("nan")), "base_delay"),
        (lambda: appsync.Retry(max_delay=-1.0), "max_delay"),
        (lambda: appsync.Retry(base_delay=2.0, max_delay=1.0), "max_delay"),
        (lambda: appsync.Retry(budget=-5), "budget"),
    ]:
        with pytest.raises(ValueError, match=field) as raised:
            bad()
        assert isinstance(raised.value, appsync.ConfigError)
    url = "https://x.appsync-api.us-east-1.amazonaws.com/graphql"
    appsync.Client(url, auth=appsync.ApiKey("k"), retry=retry)
    appsync.Client(url, auth=appsync.ApiKey("k"), retry=2)
    with pytest.raises(ValueError, match="attempts"):
        appsync.Client(url, auth=appsync.ApiKey("k"), retry=0)
    with pytest.raises(TypeError):
        appsync.Client(url, auth=appsync.ApiKey("k"), retry="3")  # type: ignore[arg-type]


async def test_retry_policy_reaches_the_client() -> None:
    # A server that answers 503 and counts the attempts.
    attempts = 0

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal attempts
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            length = next(
                (int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")),
                0,
            )
            await reader.readexactly(length)
            attempts += 1
            writer.write(b"HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\n\r\n")
            await writer.drain()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        retry = appsync.Retry(4, base_delay=0.001, max_delay=0.002)
        async with appsync.Client(f"http://127.0.0.1:{port}/graphql", auth=appsync.ApiKey("k"), retry=retry) as client:
            with pytest.raises(appsync.HTTPStatusError) as raised:
                await client.execute("query { a }")
        assert raised.value.status == 503 and attempts == 4
    finally:
        server.close()
