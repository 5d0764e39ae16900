"""`appsync.Subscription` and `appsync.ConnectionStates`: async iterators over the Rust client's
subscription and connection-state streams.

A subscription's `async for` step is its native half's `next()` (`appsync._appsync._Next`), an
awaitable that takes the next event when the awaiting task runs and otherwise waits without
holding one; `ConnectionStates` reads its native half with `poll()`, a plain call that takes what
is ready, and awaits `wait()` only when nothing is. Either way an item is never in flight inside
an awaitable, so cancelling the task that iterates loses nothing.
"""

from __future__ import annotations

from appsync import _json
from appsync._closing import AsyncClosing
from appsync._appsync import _Next

# Names for annotations only, not imported at run time (see _client.py).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Mapping
    from typing import Any, Literal, TypeAlias

    from typing_extensions import Self

    from appsync._appsync import Client as _NativeClient
    from appsync._appsync import _ConnectionStates, _StateTuple, _Subscription

    _StateName: TypeAlias = Literal[
        "connecting", "connected", "keep_alive_late", "disrupted", "reconnecting", "closed", "unknown"
    ]

__all__ = ["ConnectionState", "ConnectionStates", "Subscription"]

_registered = False


def _register_next() -> None:
    """`__anext__` returns the native step rather than a coroutine (no Python frame per event);
    registered as a coroutine, it is also taken by `asyncio.create_task(anext(subscription))`.
    Done when the first subscription starts: `collections` stays out of `import appsync`."""
    global _registered
    from collections.abc import Coroutine

    Coroutine.register(_Next)
    _registered = True



class Subscription(AsyncClosing):
    """A GraphQL subscription: an async iterator of each event's `data`.

    From `client.subscribe(...)`; it starts when first awaited (`await`, `async with`, or the
    first `async for` step) and returns from that once AppSync acknowledged it (`start_ack`).
    Leaving `async with`, `await sub.aclose()`, or the object going away (a `break` out of
    `async for client.subscribe(...)`) sends AppSync's `stop`. The Rust client reconnects and
    starts it again by itself; `client.connection_states()` shows that happening.

    Errors in the stream raise `SubscriptionError` from the iteration: an event with GraphQL
    errors (`.errors`), the subscription ended by AppSync or a connection refused for good (the
    cause as `__cause__`; the iteration then ends), or `LaggedError` (`.count`) where events were
    dropped because this consumer fell 1024 events behind. After an error that is not the end,
    iterating again goes on with the next event.
    """

    __slots__ = ("__weakref__", "_closed", "_native", "_open")

    def __init__(
        self,
        client: _NativeClient,
        query: str,
        variables: Mapping[str, Any] | None = None,
        operation_name: str | None = None,
        auth: Any = None,
    ) -> None:
        encoded = None if variables is None else _json.dumps(variables)
        self._init(lambda: client._subscribe(query, encoded, operation_name, auth))

    def _init(self, open_native: Callable[[], Awaitable[_Subscription]]) -> None:
        # `open_native` starts the native subscription: what differs between a GraphQL
        # subscription and an Events channel's; the rest (starting once, iterating, closing) is
        # shared.
        self._open = open_native
        self._native: _Subscription | None = None
        self._closed = False

    async def _start(self) -> _Subscription:
        native = self._native
        if native is None:
            if not _registered:
                _register_next()
            native = await self._open()
            if self._native is not None:  # another task started it meanwhile: keep one
                native.close()
                return self._native
            self._native = native
        return native

    async def _started(self) -> Self:
        await self._start()
        return self

    def __await__(self) -> Any:
        return self._started().__await__()

    async def __aenter__(self) -> Self:
        return await self._started()

    def __aiter__(self) -> Self:
        return self

    def __anext__(self) -> Awaitable[Any]:
        # A plain method returning the native step (no coroutine per event): see `_Next`.
        native = self._native
        if native is None:
            return self._first()
        return native.next()

    async def _first(self) -> Any:
        if self._closed:
            raise StopAsyncIteration
        native = await self._start()
        return await native.next()

    async def aclose(self) -> None:
        """Ends the subscription (sends `stop`); iterating after this ends at once."""
        self._closed = True
        native = self._native
        if native is not None:
            native.close()

    @property
    def id(self) -> str | None:
        """The subscription's id on the wire, once started."""
        native = self._native
        return None if native is None else native.id

    def __repr__(self) -> str:
        state = "closed" if self._closed else "started" if self._native is not None else "not started"
        return f"<appsync.{type(self).__name__} {state} id={self.id!r}>"


class ConnectionState:
    """A state change of one of the client's real-time connections.

    `state` is `"connecting"`, `"connected"` (with `keep_alive`, the server's keep-alive timeout
    in seconds), `"keep_alive_late"`, `"disrupted"` (with `reason`), `"reconnecting"` (with
    `attempt`, 1-based, and `delay`, the backoff in seconds before it) or `"closed"` (no
    subscription left, the client closed, or reconnecting given up). `connection` numbers the
    client's connections from 1. Compared by value; not to be changed.
    """

    __slots__ = ("attempt", "connection", "delay", "keep_alive", "reason", "state")

    def __init__(
        self,
        connection: int,
        state: _StateName,
        keep_alive: float | None = None,
        reason: str | None = None,
        attempt: int | None = None,
        delay: float | None = None,
    ) -> None:
        self.connection = connection
        self.state = state
        self.keep_alive = keep_alive
        self.reason = reason
        self.attempt = attempt
        self.delay = delay

    def _fields(self) -> tuple[Any, ...]:
        return (self.connection, self.state, self.keep_alive, self.reason, self.attempt, self.delay)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ConnectionState):
            return NotImplemented
        return self._fields() == other._fields()

    def __hash__(self) -> int:
        return hash(self._fields())

    def __repr__(self) -> str:
        shown = ", ".join(
            f"{name}={value!r}"
            for name, value in zip(("keep_alive", "reason", "attempt", "delay"), self._fields()[2:])
            if value is not None
        )
        return f"ConnectionState(connection={self.connection}, state={self.state!r}{', ' if shown else ''}{shown})"


def _deliver_state(callback: Callable[[ConnectionState], object], state: _StateTuple) -> None:
    """Calls a client's `on_connection_state` callback (on its event loop, from the Rust client)."""
    callback(ConnectionState(*state))


class ConnectionStates(AsyncClosing):
    """An async iterator of `ConnectionState`s, from `client.connection_states()`: the changes
    from the moment it was made; it ends when the client is closed. A consumer that falls far
    behind misses the oldest changes rather than slowing the connection."""

    __slots__ = ("__weakref__", "_native")

    def __init__(self, native: _ConnectionStates) -> None:
        self._native = native

    def __aiter__(self) -> ConnectionStates:
        return self

    async def __anext__(self) -> ConnectionState:
        native = self._native
        while True:
            state = native.poll()
            if state is not None:
                return ConnectionState(*state)
            await native.wait()

    async def aclose(self) -> None:
        """Stops listening; iterating after this ends."""
        self._native.close()
