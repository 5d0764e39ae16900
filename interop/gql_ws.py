"""Interoperability check: Python gql 4.x AppSyncWebsocketsTransport against `appsync local`.

Subscribes over the real-time endpoint (ws://HOST:PORT/graphql/realtime) with botocore's SigV4
(AppSyncIAMAuthentication: the connect handshake and every start are signed) and with an API key,
makes mutations over HTTP, and checks that the matching event arrives and a filtered-out one (another
author) does not. A wrong secret must be refused with AppSync's connection_error.

Usage: python gql_ws.py URL ACCESS_KEY_ID SECRET API_KEY
Prints one line per check and "N passed, N failed" at the end; exits non-zero on any failure.
"""

import asyncio
from urllib.parse import urlparse

from checks import check, main, tls

from botocore.credentials import Credentials
from gql import Client, gql
from gql.transport.aiohttp import AIOHTTPTransport
from gql.transport.appsync_auth import AppSyncApiKeyAuthentication, AppSyncIAMAuthentication
from gql.transport.appsync_websockets import AppSyncWebsocketsTransport
from gql.transport.exceptions import TransportServerError

ON_CREATE = gql(
    """
    subscription OnCreate($author: String) {
      onCreatePost(author: $author) { id title author }
    }
    """
)
CREATE = gql(
    """
    mutation Create($input: CreatePostInput!) {
      createPost(input: $input) { id title author }
    }
    """
)



async def subscribe_and_mutate(label, url, ws_url, auth, author):
    events = asyncio.Queue()

    async def listen(session):
        async for result in session.subscribe(ON_CREATE, variable_values={"author": author}):
            await events.put(result)

    transport = AppSyncWebsocketsTransport(url=ws_url, auth=auth, **tls(url))
    async with Client(transport=transport) as ws_session:
        task = asyncio.create_task(listen(ws_session))
        # gql gives no hook for start_ack; give the start time to be registered.
        await asyncio.sleep(1.0)
        async with Client(transport=AIOHTTPTransport(url=url, auth=auth, **tls(url))) as http:
            await http.execute(CREATE, variable_values={"input": {"title": "filtered out", "author": author + "-other"}})
            created = await http.execute(CREATE, variable_values={"input": {"title": "delivered", "author": author}})
        try:
            event = await asyncio.wait_for(events.get(), 5)
            post = event["onCreatePost"]
            check(f"{label}: matching event arrives", post == created["createPost"], str(event))
        except asyncio.TimeoutError:
            check(f"{label}: matching event arrives", False, "no event within 5 s")
        try:
            extra = await asyncio.wait_for(events.get(), 0.5)
            check(f"{label}: filtered-out event not delivered", False, str(extra))
        except asyncio.TimeoutError:
            check(f"{label}: filtered-out event not delivered", True)
        task.cancel()
        try:
            await task
        except (asyncio.CancelledError, Exception):
            pass


async def run(url, akid, secret, api_key):
    host = urlparse(url).netloc
    scheme = "wss" if url.startswith("https://") else "ws"
    ws_url = f"{scheme}://{host}/graphql/realtime"

    iam = AppSyncIAMAuthentication(host=host, region_name="us-east-1", credentials=Credentials(akid, secret))
    await subscribe_and_mutate("IAM", url, ws_url, iam, "py-ws-iam")

    key = AppSyncApiKeyAuthentication(host=host, api_key=api_key)
    await subscribe_and_mutate("API key", url, ws_url, key, "py-ws-key")

    bad = AppSyncIAMAuthentication(host=host, region_name="us-east-1", credentials=Credentials(akid, secret + "x"))
    try:
        async with Client(transport=AppSyncWebsocketsTransport(url=ws_url, auth=bad, **tls(url))) as s:
            async for _ in s.subscribe(ON_CREATE):
                break
        check("IAM wrong secret: refused", False, "connected")
    except TransportServerError as e:
        check("IAM wrong secret: connection_error UnauthorizedException", "UnauthorizedException" in str(e), str(e))
    except Exception as e:  # noqa: BLE001 - any other failure is reported, not raised
        check("IAM wrong secret: connection_error UnauthorizedException", False, f"{type(e).__name__} {e}")


if __name__ == "__main__":
    main(run, __doc__)
