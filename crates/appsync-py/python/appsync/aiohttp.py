"""SigV4 for aiohttp (>= 3.12) client requests: a client middleware.

```python
from appsync.aiohttp import SigV4Middleware
sigv4 = SigV4Middleware(boto3.Session().get_credentials(), "eu-west-1", "execute-api")
async with aiohttp.ClientSession(middlewares=(sigv4,)) as session:
    async with session.post(url, json={"hello": "world"}) as response: ...
```

Every request the session sends is signed as it is about to leave (the retries and redirects
too), with credentials read without blocking the event loop.
"""

from __future__ import annotations

from aiohttp import ClientHandlerType, ClientRequest, ClientResponse

from appsync._credentials import CredentialsLike
from appsync.sigv4 import Signer

__all__ = ["SigV4Middleware"]


class SigV4Middleware:
    """An aiohttp client middleware that SigV4-signs each request for `service` in `region`."""

    __slots__ = ("_signer",)

    def __init__(self, credentials: CredentialsLike, region: str, service: str) -> None:
        self._signer = Signer(credentials, region, service)

    @property
    def signer(self) -> Signer:
        """The signer used."""
        return self._signer

    async def __call__(self, request: ClientRequest, handler: ClientHandlerType) -> ClientResponse:
        payload = request.body
        body = payload if isinstance(payload, bytes) else await payload.as_bytes()
        signed = await self._signer.sign_async(request.method, str(request.url), request.headers, body)
        request.headers.update(signed)
        return await handler(request)

    def __repr__(self) -> str:
        return f"SigV4Middleware({self._signer!r})"
