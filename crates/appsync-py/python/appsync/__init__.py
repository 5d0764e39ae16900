"""AWS AppSync for asyncio, and SigV4 signing of any AWS request, from the appsync-rs Rust crates.

`appsync.sigv4.Signer` signs requests; `appsync.aiohttp.SigV4Middleware` and
`appsync.httpx.SigV4Auth` sign what aiohttp and httpx send (both optional: importing `appsync`
imports neither).
"""

from appsync._appsync import Credentials, __version__
from appsync._errors import (
    AppSyncError,
    ConfigError,
    CredentialsError,
    GraphQLError,
    HTTPStatusError,
    SubscriptionError,
    ThrottledError,
    TimeoutError,
    TransportError,
    UnauthorizedError,
)

__all__ = [
    "AppSyncError",
    "ConfigError",
    "Credentials",
    "CredentialsError",
    "GraphQLError",
    "HTTPStatusError",
    "SubscriptionError",
    "ThrottledError",
    "TimeoutError",
    "TransportError",
    "UnauthorizedError",
    "__version__",
]
