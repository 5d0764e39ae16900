"""The package's exceptions: one base, `AppSyncError`, and a subclass per thing a caller handles
differently. Messages and `repr()` never contain a secret (keys, tokens, signatures)."""

from __future__ import annotations

import builtins

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "AppSyncError",
    "ConfigError",
    "CredentialsError",
    "GraphQLError",
    "HTTPStatusError",
    "LaggedError",
    "SubscriptionError",
    "ThrottledError",
    "TimeoutError",
    "TransportError",
    "UnauthorizedError",
]


class AppSyncError(Exception):
    """Base of every exception this package raises."""


class ConfigError(AppSyncError, ValueError):
    """A bad argument or setting: a URL, header, region, lifetime or auth that cannot work, or an
    Events channel or event refused before anything was sent."""


class CredentialsError(AppSyncError):
    """Credentials could not be loaded or refreshed, or they expired."""


class TransportError(AppSyncError, ConnectionError):
    """The request did not get an HTTP response: connection refused or dropped, TLS, DNS."""


class TimeoutError(TransportError, builtins.TimeoutError):  # noqa: A001 - the name callers expect
    """The request or the connection attempt took longer than its timeout."""


class HTTPStatusError(AppSyncError):
    """AppSync answered with an HTTP error status.

    `status` is the HTTP status; `error_type` AppSync's error type (such as
    `UnauthorizedException`) when the body names one.
    """

    def __init__(self, message: str, status: int, error_type: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.error_type = error_type


class UnauthorizedError(HTTPStatusError):
    """The request was refused for its auth (401/403: a bad signature, key or token)."""


class ThrottledError(HTTPStatusError):
    """The request was throttled (429). `retry_after` is the server's hint in seconds, if any."""

    def __init__(
        self, message: str, status: int, error_type: str | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(message, status, error_type)
        self.retry_after = retry_after


class GraphQLError(AppSyncError):
    """The response carried GraphQL errors.

    `errors` is the list of error objects as AppSync sent them (`message`, `errorType`,
    `errorInfo`, `path`, `locations`); `data` the partial data, `None` when there is none.
    """

    def __init__(self, message: str, errors: list[dict[str, Any]], data: Any = None) -> None:
        super().__init__(message)
        self.errors = errors
        self.data = data


class SubscriptionError(AppSyncError):
    """AppSync refused or ended a subscription. `errors` as AppSync sent them."""

    def __init__(self, message: str, errors: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.errors = errors if errors is not None else []


class LaggedError(SubscriptionError):
    """The consumer fell so far behind (the client queues 1024 events per subscription) that
    `count` newer events were dropped, where this error stands in the stream. The subscription
    goes on: iterate again to read the events that came after."""

    def __init__(self, message: str, count: int) -> None:
        super().__init__(message)
        self.count = count


# Shown (and pickled) under the name callers import them by.
for _name in __all__:
    globals()[_name].__module__ = "appsync"
del _name
