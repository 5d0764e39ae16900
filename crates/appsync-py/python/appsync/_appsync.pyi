# Stub of the native module (crates/appsync-py/src), checked against it by mypy.stubtest.
from collections.abc import Awaitable, Callable, Iterable, Mapping
from datetime import datetime, timedelta
from typing import TypeAlias, final

from typing_extensions import Self, disjoint_base

from appsync._credentials import CredentialsLike, Headers, Provider

__all__ = ["IAM", "OIDC", "ApiKey", "Client", "Cognito", "Credentials", "Lambda", "Signer", "__version__"]

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
        retry: int | None = None,
        headers: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
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
    def aclose(self) -> Awaitable[None]: ...
    @property
    def url(self) -> str: ...
    @property
    def realtime_url(self) -> str: ...
