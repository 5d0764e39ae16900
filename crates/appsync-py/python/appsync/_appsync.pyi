# Stub of the native module (crates/appsync-py/src), checked against it by mypy.stubtest.
from collections.abc import Awaitable, Callable, Generator, Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any, Literal, TypeAlias, final

from typing_extensions import Self, disjoint_base

from appsync._credentials import CredentialsLike, Headers, Provider
from appsync._errors import AppSyncError
from appsync._subscription import ConnectionState

__all__ = [
    "IAM",
    "OIDC",
    "ApiKey",
    "Client",
    "Cognito",
    "Credentials",
    "EventsClient",
    "Lambda",
    "Retry",
    "Signer",
    "_ConnectionStates",
    "_Emulator",
    "_Next",
    "_Subscription",
    "__version__",
]

__version__: str

@final
class Credentials:
    """AWS credentials; `repr()` shows the access key id only."""

    def __new__(
        cls,
        access_key_id: str,
        secret_access_key: str,
        session_token: str | None = None,
        expiration: datetime | None = None,
    ) -> Credentials: ...
    @property
    def access_key_id(self) -> str: ...
    @property
    def secret_access_key(self) -> str: ...
    @property
    def session_token(self) -> str | None: ...
    @property
    def expiration(self) -> datetime | None: ...

@disjoint_base
class Signer:
    def __new__(cls, credentials: CredentialsLike, region: str, service: str) -> Self: ...
    def sign(
        self,
        method: str,
        url: str,
        headers: Headers | None = None,
        body: bytes | bytearray | str | None = b"",
    ) -> dict[str, str]: ...
    def _sign_with(
        self,
        credentials: Credentials,
        method: str,
        url: str,
        headers: Headers | None = None,
        body: bytes | bytearray | str | None = b"",
    ) -> dict[str, str]: ...
    def presign(self, method: str, url: str, expires_in: float | timedelta) -> str: ...
    @property
    def region(self) -> str: ...
    @property
    def service(self) -> str: ...
    @property
    def _provider(self) -> Provider | None: ...

@final
class IAM:
    def __new__(cls, credentials: CredentialsLike | None = None, region: str | None = None) -> IAM: ...
    @property
    def region(self) -> str | None: ...

@final
class ApiKey:
    def __new__(cls, key: str) -> ApiKey: ...

@final
class Cognito:
    def __new__(cls, token: str | Callable[[], str | Awaitable[str]]) -> Cognito: ...

@final
class OIDC:
    def __new__(cls, token: str | Callable[[], str | Awaitable[str]]) -> OIDC: ...

@final
class Lambda:
    def __new__(cls, token: str | Callable[[], str | Awaitable[str]]) -> Lambda: ...

_Auth: TypeAlias = IAM | ApiKey | Cognito | OIDC | Lambda

@disjoint_base
class Client:
    def __new__(
        cls,
        url: str,
        *,
        auth: _Auth,
        region: str | None = None,
        realtime_url: str | None = None,
        timeout: float | None = 30.0,
        retry: Retry | int | None = None,
        headers: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
        on_connection_state: Callable[[ConnectionState], object] | None = None,
    ) -> Self: ...
    def _execute(
        self,
        query: str,
        variables: str | None = None,
        operation_name: str | None = None,
        auth: _Auth | None = None,
        headers: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
        timeout: float | None = None,
    ) -> Awaitable[tuple[str | None, str | None]]: ...
    def _subscribe(
        self,
        query: str,
        variables: str | None = None,
        operation_name: str | None = None,
        auth: _Auth | None = None,
    ) -> Awaitable[_Subscription]: ...
    def _connection_states(self) -> _ConnectionStates: ...
    def aclose(self) -> Awaitable[None]: ...
    @property
    def url(self) -> str: ...
    @property
    def realtime_url(self) -> str: ...

@disjoint_base
class EventsClient:
    def __new__(
        cls,
        url: str,
        *,
        auth: _Auth,
        region: str | None = None,
        realtime_url: str | None = None,
        timeout: float | None = 30.0,
        retry: Retry | int | None = None,
        headers: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
        on_connection_state: Callable[[ConnectionState], object] | None = None,
    ) -> Self: ...
    def _publish(
        self,
        channel: str,
        events: list[str],
        websocket: bool = False,
        auth: _Auth | None = None,
    ) -> Awaitable[list[tuple[int, str | None, AppSyncError | None]]]: ...
    def _subscribe(self, channel: str, auth: _Auth | None = None) -> Awaitable[_Subscription]: ...
    def _connection_states(self) -> _ConnectionStates: ...
    def aclose(self) -> Awaitable[None]: ...
    @property
    def url(self) -> str: ...
    @property
    def realtime_url(self) -> str: ...

@final
class Retry:
    """How failed requests are retried: throttling (429), 5xx, timeouts and dropped connections
    for queries; for mutations only connection failures (the request provably never left) unless
    `retry_mutations`. Waits are jittered between half and all of `base_delay * 2**retry`, capped
    at `max_delay` (seconds). Each retry spends from a `budget` of tokens shared by the client's
    requests (5 a retry, 10 after a timeout, 1 back per success), so a struggling server is not
    hammered. Bad values raise `ConfigError` (a `ValueError`) naming the argument."""

    def __new__(
        cls,
        attempts: int = 3,
        *,
        base_delay: float = 0.1,
        max_delay: float = 5.0,
        retry_mutations: bool = False,
        budget: int = 500,
    ) -> Retry: ...
    @staticmethod
    def disabled() -> Retry: ...
    @property
    def attempts(self) -> int: ...
    @property
    def base_delay(self) -> float: ...
    @property
    def max_delay(self) -> float: ...
    @property
    def retry_mutations(self) -> bool: ...
    @property
    def budget(self) -> int: ...

@final
class _Subscription:
    """Native half of `appsync.Subscription`. `next()` is an awaitable of the next event's
    `data`, decoded; it raises `StopAsyncIteration` at the end and `SubscriptionError` (or
    `LaggedError`) for an error item. Dropping it or `close()` sends `stop`."""

    def next(self) -> _Next: ...
    def close(self) -> None: ...
    @property
    def id(self) -> str: ...

@final
class _Next:
    """One step of `async for` over a `_Subscription`: an awaitable of the next event's data."""

    def __await__(self) -> Generator[Any, None, Any]: ...
    def __iter__(self) -> _Next: ...
    def __next__(self) -> Any: ...
    def send(self, value: object, /) -> Any: ...
    def throw(self, kind: object, value: object = None, traceback: object = None, /) -> Any: ...
    def close(self) -> None: ...

_StateName: TypeAlias = Literal[
    "connecting", "connected", "keep_alive_late", "disrupted", "reconnecting", "closed", "unknown"
]
_StateTuple: TypeAlias = tuple[int, _StateName, float | None, str | None, int | None, float | None]

@final
class _ConnectionStates:
    """Native half of `appsync.ConnectionStates`: `poll()` returns `(connection, state,
    keep_alive, reason, attempt, delay)`, or `None` when none is ready (await `wait()`, then
    poll again); it raises `StopAsyncIteration` once the client is closed."""

    def poll(self) -> _StateTuple | None: ...
    def wait(self) -> Awaitable[None]: ...
    def close(self) -> None: ...

@final
class _Emulator:
    """Native half of `appsync.local.Emulator`."""

    def __new__(
        cls,
        schema: tuple[str, str] | None,
        api_keys: list[str],
        iam: list[Credentials],
        default_auth: str,
        data_file: str | None,
        region: str,
        lambda_tokens: list[str],
    ) -> _Emulator: ...
    def start(self, host: str, port: int) -> int: ...
    def stop(self) -> None: ...
    def stop_async(self) -> Awaitable[None]: ...
    @property
    def url(self) -> str: ...
    @property
    def realtime_url(self) -> str: ...
    @property
    def event_url(self) -> str: ...
    @property
    def event_realtime_url(self) -> str: ...
    @property
    def port(self) -> int: ...
    @property
    def running_now(self) -> bool: ...
    @property
    def region(self) -> str: ...
    @property
    def subscriptions(self) -> int: ...
    @property
    def connections(self) -> int: ...
    @property
    def event_connections(self) -> int: ...
