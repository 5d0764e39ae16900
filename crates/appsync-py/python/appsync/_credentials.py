"""Where credentials come from when they are not an `appsync.Credentials`: botocore/boto3 and
aiobotocore credentials or sessions, and sync or async callables.

Each source becomes a provider with `get()` (sync: may block, as botocore's refresh does) and
`get_async()` (never blocks the event loop: blocking work goes to a thread). Both return
`appsync.Credentials`; the Rust signer keeps derived signing keys per `Credentials` object, so an
unchanged credential is returned as the same object.
"""

from __future__ import annotations

import asyncio
import inspect
import threading
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from datetime import datetime
from typing import Any, Protocol, Union, runtime_checkable

from appsync._appsync import Credentials
from appsync._errors import CredentialsError

__all__ = ["CredentialsLike", "Headers", "Provider", "provider"]

#: Cached credentials from a callable are replaced this long before they expire (the Rust
#: client's `CachedCredentials` uses the same margin).
REFRESH_BEFORE = 300.0


@runtime_checkable
class _FrozenCredentialsSource(Protocol):
    """botocore's `Credentials`/`RefreshableCredentials`, aiobotocore's credentials."""

    def get_frozen_credentials(self) -> Any: ...


@runtime_checkable
class _SessionLike(Protocol):
    """A botocore or boto3 `Session` (or aiobotocore's)."""

    def get_credentials(self) -> Any: ...


#: What a `Signer` (and later the client's `IAM` auth) accepts as credentials.
CredentialsLike = Union[
    Credentials,
    _FrozenCredentialsSource,
    _SessionLike,
    Callable[[], Any],
]


class Provider:
    """A source of `appsync.Credentials` (see the module's documentation)."""

    def get(self) -> Credentials:
        raise NotImplementedError

    async def get_async(self) -> Credentials:
        raise NotImplementedError


def provider(source: Any) -> Provider:
    """The provider for `source`, or `TypeError` when it is no kind of credentials."""
    if isinstance(source, Provider):
        return source
    if isinstance(source, Credentials):
        return _Static(source)
    if callable(getattr(source, "get_frozen_credentials", None)):
        return _Botocore(source)
    if callable(getattr(source, "get_credentials", None)):
        return _Session(source)
    if callable(source):
        return _Callable(source)
    raise TypeError(
        "credentials must be appsync.Credentials, botocore/boto3 credentials or a session, "
        f"or a callable returning credentials, not {type(source).__name__}"
    )


def to_credentials(value: object) -> Credentials:
    """`value` as `appsync.Credentials`: itself, botocore's frozen credentials (`access_key`,
    `secret_key`, `token`), an identity with `access_key_id`/`secret_access_key`/`session_token`/
    `expiration` attributes (the smithy AWS SDK), or an STS `Credentials` dict."""
    if isinstance(value, Credentials):
        return value
    if isinstance(value, Mapping):
        try:
            return Credentials(
                value["AccessKeyId"],
                value["SecretAccessKey"],
                value.get("SessionToken"),
                value.get("Expiration"),
            )
        except KeyError:
            pass
    elif hasattr(value, "access_key_id") and hasattr(value, "secret_access_key"):
        return Credentials(
            value.access_key_id,
            value.secret_access_key,
            getattr(value, "session_token", None),
            getattr(value, "expiration", None),
        )
    elif hasattr(value, "access_key") and hasattr(value, "secret_key"):
        return Credentials(value.access_key, value.secret_key, getattr(value, "token", None))
    raise CredentialsError(f"the credentials source returned {type(value).__name__}, not credentials")


class _Static(Provider):
    def __init__(self, credentials: Credentials) -> None:
        self._credentials = credentials

    def get(self) -> Credentials:
        return self._credentials

    async def get_async(self) -> Credentials:
        return self._credentials

    def __repr__(self) -> str:
        return repr(self._credentials)


class _Botocore(Provider):
    """botocore (sync) or aiobotocore (async) credentials. botocore refreshes them itself; it is
    asked every time, on a thread when a refresh is due."""

    def __init__(self, source: Any) -> None:
        self._source = source
        self._is_async = inspect.iscoroutinefunction(source.get_frozen_credentials)
        # The last frozen credentials and their conversion.
        self._last: tuple[Any, Credentials] | None = None

    def get(self) -> Credentials:
        if self._is_async:
            raise CredentialsError(
                "aiobotocore credentials can only be read from async code (sign_async, "
                "appsync.aiohttp, an httpx.AsyncClient)"
            )
        try:
            frozen = self._source.get_frozen_credentials()
        except Exception as e:
            raise CredentialsError(f"botocore could not refresh the credentials: {type(e).__name__}") from e
        return self._convert(frozen)

    async def get_async(self) -> Credentials:
        source = self._source
        try:
            if self._is_async:
                frozen = await source.get_frozen_credentials()
            elif _refresh_due(source):
                frozen = await asyncio.to_thread(source.get_frozen_credentials)
            else:
                frozen = source.get_frozen_credentials()
        except Exception as e:
            raise CredentialsError(f"botocore could not refresh the credentials: {type(e).__name__}") from e
        return self._convert(frozen)

    def _convert(self, frozen: Any) -> Credentials:
        last = self._last
        if last is not None and last[0] == frozen:
            return last[1]
        credentials = to_credentials(frozen)
        # The expiry of refreshable credentials goes with them: the Rust client caches what a
        # provider returns until near its expiration, and must ask botocore again by then.
        expiry = getattr(self._source, "_expiry_time", None)
        if isinstance(expiry, datetime) and expiry.tzinfo is not None:
            credentials = Credentials(
                credentials.access_key_id, credentials.secret_access_key, credentials.session_token, expiry
            )
        self._last = (frozen, credentials)
        return credentials

    def __repr__(self) -> str:
        return f"<{type(self._source).__module__}.{type(self._source).__qualname__}>"


def _refresh_due(source: Any) -> bool:
    """Whether reading botocore credentials would refresh them (blocking I/O)."""
    if getattr(source, "_frozen_credentials", True) is None:  # DeferredRefreshableCredentials, not loaded
        return True
    refresh_needed = getattr(source, "refresh_needed", None)
    return bool(refresh_needed()) if callable(refresh_needed) else False


class _Session(Provider):
    """A botocore/boto3/aiobotocore session: its credential chain is resolved once, on first use
    (it may read files and call IMDS), then its credentials object is asked every time."""

    def __init__(self, session: Any) -> None:
        self._session = session
        self._inner: _Botocore | None = None
        self._lock = threading.Lock()

    def _resolved(self, credentials: Any) -> _Botocore:
        if credentials is None:
            raise CredentialsError("the session found no AWS credentials")
        inner = self._inner = _Botocore(credentials)
        return inner

    def get(self) -> Credentials:
        inner = self._inner
        if inner is None:
            with self._lock:
                inner = self._inner or self._resolved(self._session.get_credentials())
        return inner.get()

    async def get_async(self) -> Credentials:
        inner = self._inner
        if inner is None:
            got = self._session.get_credentials
            if inspect.iscoroutinefunction(got):
                credentials = await got()
            else:
                credentials = await asyncio.to_thread(got)
            inner = self._inner or self._resolved(credentials)
        return await inner.get_async()

    def __repr__(self) -> str:
        return f"<{type(self._session).__module__}.{type(self._session).__qualname__}>"


class _Callable(Provider):
    """A sync or async callable returning credentials, called again when they come within
    `REFRESH_BEFORE` of their expiration (never for credentials without one). One call at a time:
    concurrent requests wait for the same call."""

    def __init__(self, fn: Callable[[], Any]) -> None:
        self._fn = fn
        self._cached: Credentials | None = None
        self._refresh_at = 0.0
        self._lock = threading.Lock()
        self._loading: asyncio.Future[Credentials] | None = None

    def _fresh(self) -> Credentials | None:
        cached = self._cached
        if cached is not None and time.time() < self._refresh_at:
            return cached
        return None

    def _store(self, value: object) -> Credentials:
        credentials = to_credentials(value)
        expiration: datetime | None = credentials.expiration
        self._refresh_at = float("inf") if expiration is None else expiration.timestamp() - REFRESH_BEFORE
        self._cached = credentials
        return credentials

    def get(self) -> Credentials:
        fresh = self._fresh()
        if fresh is not None:
            return fresh
        with self._lock:
            fresh = self._fresh()
            if fresh is not None:
                return fresh
            value = _call(self._fn)
            if inspect.isawaitable(value):
                if inspect.iscoroutine(value):
                    value.close()
                raise CredentialsError(
                    "the credentials callable is async: use it from async code (sign_async, "
                    "appsync.aiohttp, an httpx.AsyncClient)"
                )
            return self._store(value)

    async def get_async(self) -> Credentials:
        fresh = self._fresh()
        if fresh is not None:
            return fresh
        loading = self._loading
        if loading is None or loading.done() or loading.get_loop() is not asyncio.get_running_loop():
            loading = self._loading = asyncio.ensure_future(self._load())
        # Shielded: a caller cancelled while waiting does not cancel the others' load.
        return await asyncio.shield(loading)

    async def _load(self) -> Credentials:
        return self._store(await _call_off_loop(self._fn))

    def __repr__(self) -> str:
        return f"<callable {getattr(self._fn, '__qualname__', type(self._fn).__qualname__)}>"


def _call(fn: Callable[[], Any]) -> Any:
    try:
        return fn()
    except CredentialsError:
        raise
    except Exception as e:
        raise CredentialsError(f"the credentials callable raised {type(e).__name__}") from e


async def _call_off_loop(fn: Callable[[], Any]) -> Any:
    """What a credentials or token callable gives: an async one is awaited; a sync one may do
    blocking I/O, so it runs off the event loop (and an awaitable it returns is awaited)."""
    if inspect.iscoroutinefunction(fn):
        return await _call_async(fn)
    value = await asyncio.to_thread(_call, fn)
    if inspect.isawaitable(value):
        value = await _await(value)
    return value


async def _call_async(fn: Callable[[], Awaitable[Any]]) -> Any:
    return await _await(_call(fn))


async def _await(value: Awaitable[Any]) -> Any:
    try:
        return await value
    except CredentialsError:
        raise
    except Exception as e:
        raise CredentialsError(f"the credentials callable raised {type(e).__name__}") from e


#: Request headers as `sign` takes them: a mapping (a dict, aiohttp's multidict: its `items()`) or
#: `(name, value)` pairs (httpx's `Headers.multi_items()`); repeated names are signed as repeated.
Headers = Union[Mapping[str, Union[str, bytes]], Iterable[tuple[str, Union[str, bytes]]]]


class _TokenCallable(Provider):
    """A sync or async callable returning a token (`str`) for `Cognito`, `OIDC` or `Lambda`. The
    Rust client caches the token (until near its JWT `exp`) and asks again after a rejection."""

    def __init__(self, fn: Callable[[], Any]) -> None:
        self._fn = fn

    def get(self) -> Any:
        value = _call(self._fn)
        if inspect.isawaitable(value):
            if inspect.iscoroutine(value):
                value.close()
            raise CredentialsError("the token callable is async: it can only be called from async code")
        return _token(value)

    async def get_async(self) -> Any:
        return _token(await _call_off_loop(self._fn))

    def __repr__(self) -> str:
        return f"<callable {getattr(self._fn, '__qualname__', type(self._fn).__qualname__)}>"


def _token(value: object) -> str:
    if not isinstance(value, str) or not value:
        raise CredentialsError(f"the token callable returned {type(value).__name__}, not a token")
    return value


def token_provider(fn: Callable[[], Any]) -> Provider:
    """The provider of a token auth over `fn`."""
    return _TokenCallable(fn)
