"""SigV4 signing of any AWS request, by the Rust `appsync-sigv4` crate.

```python
from appsync.sigv4 import Signer
signer = Signer(boto3.Session().get_credentials(), "eu-west-1", "execute-api")
request.headers.update(signer.sign("POST", url, request.headers, body))
```
"""

from __future__ import annotations

from appsync._appsync import Signer as _NativeSigner
from appsync._credentials import CredentialsLike, Headers

__all__ = ["CredentialsLike", "Signer"]


class Signer(_NativeSigner):
    """Signs requests to one AWS `service` in one `region` with `credentials`: an
    `appsync.Credentials`, botocore/boto3 credentials or session, aiobotocore credentials, or a
    sync or async callable returning credentials.

    `sign(method, url, headers=None, body=b"")` returns the headers to add (`authorization`,
    `x-amz-date`, `x-amz-security-token`); `presign(method, url, expires_in)` the URL with the
    signature in its query. Both read the credentials on the calling thread (a botocore refresh
    blocks it); from async code use `await sign_async(...)`, which never blocks the event loop.
    """

    __slots__ = ()

    async def sign_async(
        self,
        method: str,
        url: str,
        headers: Headers | None = None,
        body: bytes | bytearray | str | None = b"",
    ) -> dict[str, str]:
        """`sign`, with the credentials read (and refreshed if due) without blocking the loop."""
        provider = self._provider
        if provider is None:
            return self.sign(method, url, headers, body)
        return self._sign_with(await provider.get_async(), method, url, headers, body)
