"""SigV4 for httpx: an `httpx.Auth` for `Client` and `AsyncClient`.

```python
from appsync.httpx import SigV4Auth
auth = SigV4Auth(boto3.Session().get_credentials(), "eu-west-1", "execute-api")
async with httpx.AsyncClient(auth=auth) as client:
    response = await client.post(url, json={"hello": "world"})
```

The body is read before signing (streamed bodies are buffered); with an `AsyncClient` the
credentials are read without blocking the event loop.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Generator

import httpx

from appsync._credentials import CredentialsLike
from appsync.sigv4 import Signer

__all__ = ["SigV4Auth"]


class SigV4Auth(httpx.Auth):
    """An `httpx.Auth` that SigV4-signs each request for `service` in `region`."""

    requires_request_body = True

    def __init__(self, credentials: CredentialsLike, region: str, service: str) -> None:
        self._signer = Signer(credentials, region, service)

    @property
    def signer(self) -> Signer:
        """The signer used."""
        return self._signer

    def sync_auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        body = request.read()
        signed = self._signer.sign(request.method, str(request.url), request.headers.multi_items(), body)
        request.headers.update(signed)
        yield request

    async def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        body = await request.aread()
        signed = await self._signer.sign_async(
            request.method, str(request.url), request.headers.multi_items(), body
        )
        request.headers.update(signed)
        yield request

    def __repr__(self) -> str:
        return f"SigV4Auth({self._signer!r})"
