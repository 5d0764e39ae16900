"""`appsync.local.Emulator`: the appsync-rs AppSync emulator, in this process.

It verifies SigV4 signatures, API keys and Lambda tokens as AppSync does, runs your SDL schema
with in-memory default resolvers (or durable ones in `data_file`) and fans mutations out to
subscriptions over AppSync's real-time WebSocket protocol, on a loopback port:

```python
from appsync.local import Emulator

async with Emulator() as emulator:                     # the built-in Posts schema
    async with emulator.client() as client:            # IAM, signed with emulator.credentials
        await client.execute("mutation { createPost(input: {title: \\"hi\\"}) { id } }")
```

`with Emulator() as emulator:` works the same from synchronous code. The pytest plugin
(`appsync.pytest_plugin`) provides it as the `appsync_local` fixture.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterable
from types import TracebackType
from typing import Any

from appsync._appsync import IAM, ApiKey, Credentials, _Emulator
from appsync._client import Client
from appsync._closing import AsyncClosing
from appsync._events import EventsClient

__all__ = ["Emulator"]


def _schema(schema: str | os.PathLike[str] | None) -> tuple[str, str] | None:
    if schema is None:
        return None
    if isinstance(schema, os.PathLike):
        path = os.fspath(schema)
        with open(path, encoding="utf-8") as f:
            return f.read(), path
    if not isinstance(schema, str):
        raise TypeError(f"schema must be SDL text (str) or a path (os.PathLike), not {type(schema).__name__}")
    return schema, "<schema>"


class Emulator(AsyncClosing):
    """An AppSync emulator served from this process (on the package's Rust runtime).

    - `schema`: SDL text, or a path (`pathlib.Path`) to a `.graphql` file; `None` serves the
      built-in Posts schema (`createPost`, `listPosts`, `onCreatePost`...).
    - `api_keys`, `iam`, `lambda_tokens`: what the emulator accepts. By default one random API key
      and one random IAM key pair, as `.api_key` and `.credentials`.
    - `default_auth`: the API's default mode, `"iam"` (default), `"api_key"` or `"lambda"`
      (AppSync's names, such as `"AWS_IAM"`, work too).
    - `data_file`: keep the default resolvers' records in this file across runs.
    - `host`, `port`: where to listen (port 0: a free port; after a `close()`, starting again
      uses the port it had, so clients reconnect to the same URL).

    Start it with `with`/`async with` or `start()`; `close()`/`aclose()` stop it, closing its
    open real-time connections (close 1001, as a server going away: clients see the connection
    end and reconnect). A stopped emulator keeps its data and can be started again.
    """

    def __init__(
        self,
        schema: str | os.PathLike[str] | None = None,
        *,
        api_keys: Iterable[str] | None = None,
        iam: Iterable[Credentials] | None = None,
        default_auth: str = "iam",
        data_file: str | os.PathLike[str] | None = None,
        lambda_tokens: Iterable[str] = (),
        region: str = "us-east-1",
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self._api_keys = [f"da2-{secrets.token_hex(13)}"] if api_keys is None else list(api_keys)
        self._iam = (
            [Credentials(f"AKIDLOCAL{secrets.token_hex(6).upper()}", secrets.token_urlsafe(30))]
            if iam is None
            else list(iam)
        )
        for credentials in self._iam:
            if not isinstance(credentials, Credentials):
                raise TypeError(f"iam must hold appsync.Credentials, not {type(credentials).__name__}")
        self._host = host
        self._port = port
        self._native = _Emulator(
            _schema(schema),
            self._api_keys,
            self._iam,
            default_auth,
            None if data_file is None else os.fspath(data_file),
            region,
            list(lambda_tokens),
        )

    def start(self) -> Emulator:
        """Starts serving (blocking until it listens); returns itself. Idempotent."""
        self._port = self._native.start(self._host, self._port)
        return self

    def close(self) -> None:
        """Stops serving: closes its WebSockets and waits for the requests in flight (at most
        10 s in all)."""
        self._native.stop()

    async def aclose(self) -> None:
        """`close()` without blocking the event loop."""
        await self._native.stop_async()

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    async def __aenter__(self) -> Emulator:
        # Binding a loopback port does not wait on anything: no need for a thread.
        return self.start()

    @property
    def url(self) -> str:
        """The GraphQL endpoint, `http://127.0.0.1:PORT/graphql`."""
        return self._native.url

    @property
    def realtime_url(self) -> str:
        """The real-time endpoint, `ws://127.0.0.1:PORT/graphql/realtime`."""
        return self._native.realtime_url

    @property
    def event_url(self) -> str:
        """The AppSync Events endpoint, `http://127.0.0.1:PORT/event` (one channel namespace,
        `default`, open to every auth mode the emulator accepts)."""
        return self._native.event_url

    @property
    def event_realtime_url(self) -> str:
        """The Events WebSocket endpoint, `ws://127.0.0.1:PORT/event/realtime`."""
        return self._native.event_realtime_url

    @property
    def port(self) -> int:
        """The port it listens on (or listened on, once started and stopped)."""
        return self._port

    @property
    def region(self) -> str:
        """The region IAM signatures are verified for."""
        return self._native.region

    @property
    def api_key(self) -> str:
        """The first API key accepted."""
        if not self._api_keys:
            raise AttributeError("this emulator accepts no API key")
        return self._api_keys[0]

    @property
    def api_keys(self) -> list[str]:
        """Every API key accepted."""
        return list(self._api_keys)

    @property
    def credentials(self) -> Credentials:
        """The first IAM credentials accepted (as `appsync.Credentials`)."""
        if not self._iam:
            raise AttributeError("this emulator accepts no IAM credentials")
        return self._iam[0]

    @property
    def subscriptions(self) -> int:
        """GraphQL subscriptions live on its real-time connections now: one per acknowledged
        `start`, until the `stop` (or the connection's end)."""
        return self._native.subscriptions

    @property
    def connections(self) -> int:
        """Open, authorized real-time connections."""
        return self._native.connections

    @property
    def event_connections(self) -> int:
        """Open, authorized AppSync Events WebSockets."""
        return self._native.event_connections

    def client(self, auth: Any = None, **options: Any) -> Client:
        """An `appsync.Client` for this emulator: IAM with `.credentials` unless `auth` is given;
        `options` go to `Client` (`timeout`, `retry`, `headers`...)."""
        options.setdefault("region", self.region)
        return Client(self.url, auth=self._default_auth() if auth is None else auth, **options)

    def events_client(self, auth: Any = None, **options: Any) -> EventsClient:
        """An `appsync.EventsClient` for this emulator's Events endpoint, with the same default
        auth as `client()`; `options` go to `EventsClient`."""
        options.setdefault("region", self.region)
        return EventsClient(self.event_url, auth=self._default_auth() if auth is None else auth, **options)

    def _default_auth(self) -> IAM | ApiKey:
        return IAM(self.credentials) if self._iam else ApiKey(self.api_key)

    def __repr__(self) -> str:
        where = self._native.url if self._native.running_now else "not running"
        return f"<appsync.local.Emulator {where}>"
