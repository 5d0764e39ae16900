# Stub of the native module (crates/appsync-py/src), checked against it by mypy.stubtest.
from datetime import datetime, timedelta
from typing import final

from typing_extensions import Self, disjoint_base

from appsync._credentials import CredentialsLike, Headers, Provider

__all__ = ["Credentials", "Signer", "__version__"]

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
