"""AWS AppSync for asyncio, and SigV4 signing of any AWS request, from the appsync-rs Rust crates.

`appsync.Client(url, auth=...)` runs queries and mutations (`await client.execute(...)`) with
`appsync.IAM`, `ApiKey`, `Cognito`, `OIDC` or `Lambda` auth, and subscriptions
(`async with client.subscribe(...) as sub: async for event in sub: ...`).

`appsync.EventsClient(url, auth=...)` is AppSync Events: `await events.publish(channel, [...])`
over HTTP (or `publish_ws` over the WebSocket), and `async for event in events.subscribe(channel)`.

`appsync.local.Emulator` is an AppSync emulator in this process, and the `appsync_local` pytest
fixture (`appsync.pytest_plugin`) one per test.

`appsync.sigv4.Signer` signs requests; `appsync.aiohttp.SigV4Middleware` and
`appsync.httpx.SigV4Auth` sign what aiohttp and httpx send (both optional: importing `appsync`
imports neither).
"""

from appsync._appsync import OIDC, IAM, ApiKey, Cognito, Credentials, Lambda, Retry, __version__
from appsync._client import Client, Response
from appsync._events import EventsClient, EventSubscription, PublishedEvent, PublishResult
from appsync._subscription import ConnectionState, ConnectionStates, Subscription
from appsync._errors import (
    AppSyncError,
    ConfigError,
    CredentialsError,
    GraphQLError,
    HTTPStatusError,
    LaggedError,
    SubscriptionError,
    ThrottledError,
    TimeoutError,
    TransportError,
    UnauthorizedError,
)

__all__ = [
    "IAM",
    "OIDC",
    "ApiKey",
    "AppSyncError",
    "Client",
    "ConnectionState",
    "ConnectionStates",
    "Cognito",
    "ConfigError",
    "Credentials",
    "CredentialsError",
    "EventSubscription",
    "EventsClient",
    "GraphQLError",
    "HTTPStatusError",
    "LaggedError",
    "Lambda",
    "PublishResult",
    "PublishedEvent",
    "Response",
    "Retry",
    "Subscription",
    "SubscriptionError",
    "ThrottledError",
    "TimeoutError",
    "TransportError",
    "UnauthorizedError",
    "__version__",
]
