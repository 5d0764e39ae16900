"""AppSync Events from Python (`appsync.EventsClient`): publishing over HTTP and the WebSocket,
subscribing with `async for`, against the in-process emulator's Events endpoint (the
`appsync_local` fixture: one channel namespace, `default`, open to its API key and IAM)."""

from __future__ import annotations

import asyncio

import pytest

import appsync
from appsync.local import Emulator

from conftest import WAIT, until


async def take(subscription: appsync.EventSubscription, count: int) -> list[object]:
    return [await asyncio.wait_for(anext(subscription), WAIT) for _ in range(count)]


def test_the_emulator_serves_events_beside_graphql(appsync_local: Emulator) -> None:
    port = appsync_local.port
    assert appsync_local.event_url == f"http://127.0.0.1:{port}/event"
    assert appsync_local.event_realtime_url == f"ws://127.0.0.1:{port}/event/realtime"
    client = appsync_local.events_client()
    assert client.url == appsync_local.event_url
    assert client.realtime_url == appsync_local.event_realtime_url
    assert repr(client).startswith(f'EventsClient("{appsync_local.event_url}", auth=IAM(')
    assert appsync_local.credentials.secret_access_key not in repr(client)


@pytest.mark.parametrize("mode", ["iam", "api_key"])
async def test_an_http_publish_reaches_a_wildcard_subscription(appsync_local: Emulator, mode: str) -> None:
    auth = None if mode == "iam" else appsync.ApiKey(appsync_local.api_key)
    events = [{"text": "héllo \"quoted\" \n", "n": 1}, [1, 2.5, None, True], "a string", 7]
    async with appsync_local.events_client(auth) as client:
        async with client.subscribe("/default/rooms/*") as rooms:
            assert rooms.id
            result = await client.publish("/default/rooms/42", events)
            assert result.ok and result.failed == [] and len(result) == 4
            assert [event.index for event in result] == [0, 1, 2, 3]
            assert all(event.ok and event.identifier for event in result)
            assert await take(rooms, 4) == events


async def test_a_websocket_publish_is_answered_and_delivered(appsync_local: Emulator) -> None:
    async with appsync_local.events_client() as client:
        async with client.subscribe("/default/chat") as chat:
            result = await client.publish_ws("/default/chat", [{"via": "websocket"}])
            assert result.ok and result[0].identifier
            assert await take(chat, 1) == [{"via": "websocket"}]


async def test_more_than_five_events_go_in_several_requests_in_order(appsync_local: Emulator) -> None:
    async with appsync_local.events_client() as client:
        async with client.subscribe("/default/many") as many:
            for publish in (client.publish, client.publish_ws):
                result = await publish("/default/many", [{"i": i} for i in range(12)])
                assert result.ok and [event.index for event in result] == list(range(12))
                assert await take(many, 12) == [{"i": i} for i in range(12)]


async def test_a_bad_channel_or_event_is_refused_before_sending(appsync_local: Emulator) -> None:
    async with appsync_local.events_client() as client:
        with pytest.raises(appsync.ConfigError, match="channel") as bad:
            await client.publish("/default/has space", [1])
        assert isinstance(bad.value, ValueError)
        with pytest.raises(appsync.ConfigError, match="channel"):
            await client.publish("/default/*", [1])  # wildcards subscribe, never publish
        with pytest.raises(appsync.ConfigError, match="channel"):
            await client.subscribe("/default/*/x")  # a wildcard only at the end
        with pytest.raises(appsync.ConfigError, match="event"):
            await client.publish("/default/big", ["x" * 250_000])
        with pytest.raises(appsync.ConfigError, match="event"):
            await client.publish("/default/none", [])
        with pytest.raises(appsync.ConfigError, match=r"events\[1\] is not JSON"):
            await client.publish("/default/nan", [1, float("nan")])  # Python's json writes NaN
        with pytest.raises(TypeError):
            await client.publish("/default/set", [{1, 2}])  # not JSON: Python's json says so


async def test_a_refused_subscription_ends_alone(appsync_local: Emulator) -> None:
    async with appsync_local.events_client() as client:
        async with client.subscribe("/default/alive") as alive:
            # No namespace `other` is configured: AppSync answers UnauthorizedException.
            with pytest.raises(appsync.SubscriptionError) as refused:
                await client.subscribe("/other/room")
            assert [e["errorType"] for e in refused.value.errors] == ["UnauthorizedException"]
            assert (await client.publish("/default/alive", ["still here"])).ok
            assert await take(alive, 1) == ["still here"]
            assert appsync_local.event_connections == 1


async def test_wrong_credentials_are_refused_per_call(appsync_local: Emulator) -> None:
    async with appsync_local.events_client() as client:
        with pytest.raises(appsync.UnauthorizedError) as refused:
            await client.publish("/default/chat", [1], auth=appsync.ApiKey("da2-wrongwrongwrongwrongwrong"))
        assert refused.value.status == 401
        # The client's own auth still works, and another valid mode per call too.
        assert (await client.publish("/default/chat", [1])).ok
        assert (await client.publish("/default/chat", [2], auth=appsync.ApiKey(appsync_local.api_key))).ok
    bad_secret = appsync.Credentials(appsync_local.credentials.access_key_id, "not-the-secret")
    async with appsync_local.events_client(appsync.IAM(bad_secret)) as forged:
        with pytest.raises(appsync.HTTPStatusError):
            await forged.publish("/default/chat", [1])
        with pytest.raises(appsync.AppSyncError):
            await forged.subscribe("/default/chat")


async def test_aclose_ends_subscriptions_and_closes_the_socket(appsync_local: Emulator) -> None:
    client = appsync_local.events_client()
    states = client.connection_states()
    subscription = await client.subscribe("/default/bye")
    assert appsync_local.event_connections == 1
    connected = await asyncio.wait_for(anext(states), WAIT)
    while connected.state != "connected":
        connected = await asyncio.wait_for(anext(states), WAIT)
    await client.aclose()
    await until(lambda: appsync_local.event_connections == 0, "the socket closed")
    # The stream ends (after an error item saying the client closed, if any).
    remaining: list[object] = []
    with pytest.raises((StopAsyncIteration, appsync.SubscriptionError)):
        while True:
            remaining.append(await asyncio.wait_for(anext(subscription), WAIT))
    assert remaining == []
    # HTTP publishes still work; WebSocket ones are refused.
    assert (await client.publish("/default/bye", [1])).ok
    with pytest.raises(appsync.AppSyncError):
        await client.publish_ws("/default/bye", [1])


async def test_leaving_the_block_unsubscribes(appsync_local: Emulator) -> None:
    async with appsync_local.events_client() as client:
        async with client.subscribe("/default/a") as first:
            pass
        assert [event async for event in first] == []
        async with client.subscribe("/default/a") as second:
            assert (await client.publish("/default/a", ["only the second"])).ok
            assert await take(second, 1) == ["only the second"]


async def test_a_channel_subscription_resumes_after_an_emulator_restart() -> None:
    emulator = Emulator()
    async with emulator:
        client = emulator.events_client()
        states = client.connection_states()
        chat = await client.subscribe("/default/chat")
        assert (await client.publish("/default/chat", ["before"])).ok
        assert await take(chat, 1) == ["before"]
        await emulator.aclose()
        assert emulator.event_connections == 0
        while (await asyncio.wait_for(anext(states), WAIT)).state != "disrupted":
            pass
        # Started again on the same port: the client reconnects and subscribes again by itself.
        emulator.start()
        while (await asyncio.wait_for(anext(states), WAIT * 3)).state != "connected":
            pass
        # Connected is before subscribe_success: publish until the subscription is back.
        sent = 0
        received: list[object] = []
        while not received:
            sent += 1
            assert (await client.publish("/default/chat", [f"after {sent}"])).ok
            try:
                received.append(await asyncio.wait_for(anext(chat), 0.2))
            except asyncio.TimeoutError:
                pass
        # Nothing from before the restart again, and every later event once, in order.
        first = int(str(received[0]).removeprefix("after "))
        assert (await client.publish("/default/chat", ["last"])).ok
        rest = await take(chat, sent - first + 1)
        assert received + rest == [f"after {n}" for n in range(first, sent + 1)] + ["last"]
        await chat.aclose()
        await client.aclose()
