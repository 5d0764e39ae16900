"""`appsync.Client`: GraphQL over AppSync by the Rust `appsync` client; this half only turns JSON
text into Python values and GraphQL errors into `GraphQLError`."""

from __future__ import annotations

from appsync import _json
from appsync._closing import AsyncClosing
from appsync._appsync import Client as _NativeClient
from appsync._errors import GraphQLError
from appsync._subscription import ConnectionStates, Subscription

# Names for annotations only: `typing` and `collections.abc` are not imported at run time
# (`import appsync` stays cheap; mypy reads a bare TYPE_CHECKING as true).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

__all__ = ["Client", "Response"]



class Response:
    """A GraphQL response: `data` (partial or `None` when there were errors) and `errors` (AppSync's
    error objects: `message`, `errorType`, `errorInfo`, `path`, `locations`)."""

    # A plain class rather than a dataclass: `dataclasses` (with `inspect` and `re`) would
    # double the time `import appsync` takes.
    __slots__ = ("data", "errors")

    def __init__(self, data: Any, errors: list[dict[str, Any]] | None = None) -> None:
        self.data = data
        self.errors = [] if errors is None else errors

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Response):
            return NotImplemented
        return (self.data, self.errors) == (other.data, other.errors)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Response(data={self.data!r}, errors={self.errors!r})"


def _graphql_error(errors: list[dict[str, Any]], data: Any) -> GraphQLError:
    first = errors[0] if errors else {}
    message = str(first.get("message", "GraphQL error"))
    if first.get("errorType"):
        message = f"{first['errorType']}: {message}"
    if len(errors) > 1:
        message += f" (and {len(errors) - 1} more)"
    return GraphQLError(message, errors, data)


class Client(_NativeClient, AsyncClosing):
    """An AppSync GraphQL API at `url`, with `auth` (`appsync.IAM`, `ApiKey`, `Cognito`, `OIDC`
    or `Lambda`). `region` is needed for IAM on a custom domain; `timeout` is per request in
    seconds (`None`: none); `retry` an `appsync.Retry` (or its number of attempts: default 3, 1 for
    none); `headers` are sent with every request. `on_connection_state` is called on the event loop
    the client was made on with each `appsync.ConnectionState` of its real-time connections (make
    the client in async code to use it; `connection_states()` is the async iterator form).

    ```python
    async with appsync.Client(url, auth=appsync.IAM(boto3.Session())) as client:
        data = await client.execute("query { listPosts { items { id } } }")
    ```
    """

    __slots__ = ()

    async def execute(
        self,
        query: str,
        variables: Mapping[str, Any] | None = None,
        operation_name: str | None = None,
        *,
        auth: Any = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
    ) -> Any:
        """Runs a query or mutation and returns its `data`; GraphQL errors raise `GraphQLError`
        (with the partial data). Transport, HTTP and auth failures raise their `AppSyncError`s."""
        response = await self.execute_response(
            query, variables, operation_name, auth=auth, headers=headers, timeout=timeout
        )
        if response.errors:
            raise _graphql_error(response.errors, response.data)
        return response.data

    async def execute_response(
        self,
        query: str,
        variables: Mapping[str, Any] | None = None,
        operation_name: str | None = None,
        *,
        auth: Any = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
    ) -> Response:
        """`execute`, returning data and GraphQL errors together instead of raising for the
        errors (for callers who want partial results)."""
        encoded = None if variables is None else _json.dumps(variables)
        data, errors = await self._execute(query, encoded, operation_name, auth, headers, timeout)
        return Response(
            None if data is None else _json.loads(data),
            [] if errors is None else _json.loads(errors),
        )

    def subscribe(
        self,
        query: str,
        variables: Mapping[str, Any] | None = None,
        operation_name: str | None = None,
        *,
        auth: Any = None,
    ) -> Subscription:
        """A subscription, started when first awaited; see `appsync.Subscription`.

        ```python
        async with client.subscribe("subscription { onCreatePost { id title } }") as posts:
            async for event in posts:
                print(event["onCreatePost"]["title"])
        ```

        Starting it raises `SubscriptionError` (with `.errors`) when AppSync refuses the
        document or the caller's access to it, and the client's usual exceptions for transport,
        auth and timeouts. `auth` overrides the client's auth mode for this subscription (which
        then gets a connection of its own)."""
        return Subscription(self, query, variables, operation_name, auth)

    def connection_states(self) -> ConnectionStates:
        """The state changes of this client's real-time connections from now on, as an async
        iterator of `appsync.ConnectionState` (connecting, connected, keep-alive late,
        disrupted, reconnecting with its attempt and delay, closed). It ends after `aclose()`."""
        return ConnectionStates(self._connection_states())
