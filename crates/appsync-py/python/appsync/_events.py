"""`appsync.EventsClient`: AppSync Events (channels, publish over HTTP or the WebSocket,
subscribe over the WebSocket) by the Rust `appsync::events` client; this half turns events into
JSON text and the results into Python objects."""

from __future__ import annotations

from appsync import _json
from appsync._closing import AsyncClosing
from appsync._appsync import EventsClient as _NativeEventsClient
from appsync._subscription import ConnectionStates, Subscription

# Names for annotations only, not imported at run time (see _client.py).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator
    from typing import Any

    from appsync._errors import AppSyncError

__all__ = ["EventSubscription", "EventsClient", "PublishResult", "PublishedEvent"]


class PublishedEvent:
    """One event of a publish: `index` (its position among the events given, from 0),
    `identifier` (AppSync's, when it answered for the event) and `error` (`None` when it was
    published; otherwise the `AppSyncError` saying why, not raised: an `HTTPStatusError` with
    AppSync's `status` and message when AppSync refused the event, or the failure of the request
    that carried it)."""

    __slots__ = ("error", "identifier", "index")

    def __init__(self, index: int, identifier: str | None, error: AppSyncError | None = None) -> None:
        self.index = index
        self.identifier = identifier
        self.error = error

    @property
    def ok(self) -> bool:
        """Whether the event was published."""
        return self.error is None

    def __repr__(self) -> str:
        if self.error is None:
            return f"PublishedEvent(index={self.index}, identifier={self.identifier!r})"
        return f"PublishedEvent(index={self.index}, identifier={self.identifier!r}, error={self.error!r})"


class PublishResult:
    """What became of each event of a publish, in the order given (iterable, indexable).
    `ok` is true when every event was published; `failed` lists the others."""

    __slots__ = ("events",)

    def __init__(self, events: list[PublishedEvent]) -> None:
        self.events = events

    @property
    def ok(self) -> bool:
        """Whether every event was published."""
        return all(event.error is None for event in self.events)

    @property
    def failed(self) -> list[PublishedEvent]:
        """The events that were not published."""
        return [event for event in self.events if event.error is not None]

    def __iter__(self) -> Iterator[PublishedEvent]:
        return iter(self.events)

    def __len__(self) -> int:
        return len(self.events)

    def __getitem__(self, index: int) -> PublishedEvent:
        return self.events[index]

    def __repr__(self) -> str:
        return f"PublishResult({self.events!r})"


class EventSubscription(Subscription):
    """A subscription to an Events channel: an async iterator of its events, each decoded from
    its JSON (as `json.loads` would).

    From `client.subscribe(channel)`; it starts when first awaited (`await`, `async with`, or
    the first `async for` step) and returns from that once AppSync answered `subscribe_success`,
    so every event published afterwards is delivered. Leaving `async with`, `await
    sub.aclose()`, or the object going away sends `unsubscribe`. A subscription AppSync refuses
    raises `SubscriptionError` with AppSync's `.errors` (an `UnauthorizedException` for a
    namespace that does not allow the caller, or none configured) and ends alone: the socket and
    the other subscriptions on it live on. Across a reconnect the Rust client
    subscribes again by itself; no event is delivered twice (events published while the
    connection was down are not replayed: AppSync keeps none).

    Errors in the stream raise `SubscriptionError` from the iteration, as for
    `appsync.Subscription` (`LaggedError` where this consumer fell 1024 events behind).
    """

    __slots__ = ()

    def __init__(self, client: _NativeEventsClient, channel: str, auth: Any = None) -> None:
        self._init(lambda: client._subscribe(channel, auth))


def _result(published: list[tuple[int, str | None, AppSyncError | None]]) -> PublishResult:
    return PublishResult([PublishedEvent(index, identifier, error) for index, identifier, error in published])


class EventsClient(_NativeEventsClient, AsyncClosing):
    """An AppSync Events API at `url`, its HTTP endpoint
    (`https://<id>.appsync-api.<region>.amazonaws.com/event`, a custom domain's `/event`, or an
    emulator's `event_url`), with `auth` (`appsync.IAM`, `ApiKey`, `Cognito`, `OIDC` or
    `Lambda`). The WebSocket endpoint is derived from it (`realtime_url` to set another). The
    other arguments are `appsync.Client`'s: `region` (IAM on a custom domain), `timeout` (per
    HTTP request, seconds), `retry` (HTTP publishes are sent again only when they provably never
    left), `headers`, `on_connection_state`.

    ```python
    async with appsync.EventsClient(url, auth=appsync.IAM(boto3.Session())) as events:
        async with events.subscribe("/default/rooms/*") as room:
            await events.publish("/default/rooms/42", [{"text": "hello"}])
            async for message in room:
                print(message["text"])
    ```

    Channels are checked before anything is sent (1 to 5 segments of letters, digits and `-`;
    `/*` at the end to subscribe to every channel below): a bad one raises `ConfigError` (a
    `ValueError`) naming it.
    """

    __slots__ = ()

    async def publish(self, channel: str, events: Iterable[Any], *, auth: Any = None) -> PublishResult:
        """Publishes `events` (each a JSON-serializable value) to `channel` with HTTP POSTs;
        more than 5 (AppSync's limit per request) go in several requests, in order. Returns what
        became of each event; raises when the first request fails (nothing was published) or
        before sending for a bad channel, no event, or an event over AppSync's 240 KB.
        `auth` overrides the client's auth mode for this publish."""
        encoded = [_json.dumps(event) for event in events]
        return _result(await self._publish(channel, encoded, False, auth))

    async def publish_ws(self, channel: str, events: Iterable[Any], *, auth: Any = None) -> PublishResult:
        """`publish` over the client's WebSocket (opened if needed), returning once AppSync
        answered `publish_success`. A publish whose connection is lost before the answer raises
        `TransportError` and is not sent again (its events may or may not have been
        published)."""
        encoded = [_json.dumps(event) for event in events]
        return _result(await self._publish(channel, encoded, True, auth))

    def subscribe(self, channel: str, *, auth: Any = None) -> EventSubscription:
        """A subscription to `channel` (ending in `/*` for every channel below it), started when
        first awaited; see `appsync.EventSubscription`.

        ```python
        async with events.subscribe("/default/chat") as chat:
            async for message in chat:
                print(message)
        ```

        `auth` subscribes with another auth mode (on a socket of its own)."""
        return EventSubscription(self, channel, auth)

    def connection_states(self) -> ConnectionStates:
        """The state changes of this client's WebSockets from now on, as an async iterator of
        `appsync.ConnectionState` (see `Client.connection_states`). It ends after `aclose()`."""
        return ConnectionStates(self._connection_states())
