"""Python gql 4.4 with AIOHTTPTransport and AppSyncIAMAuthentication (botocore SigV4), measured:
one client session (pooled connections) shared by every concurrent call, as gql is meant to be used.

Usage: python gql_peer.py --url URL --query Q [-n N] [-c C] [--variables JSON] ...
"""

import asyncio
import sys
from urllib.parse import urlparse

from botocore.credentials import Credentials
from gql import Client, gql
from gql.transport.aiohttp import AIOHTTPTransport
from gql.transport.appsync_auth import AppSyncIAMAuthentication

import pyload


async def main():
    args = pyload.parse_args("Python gql AIOHTTPTransport + AppSyncIAMAuthentication, measured")
    auth = AppSyncIAMAuthentication(
        host=urlparse(args.url).netloc,
        region_name=args.region,
        credentials=Credentials(args.access_key_id, args.secret_access_key),
    )
    document = gql(args.query)
    transport = AIOHTTPTransport(url=args.url, auth=auth)
    async with Client(transport=transport, fetch_schema_from_transport=False) as session:

        async def call():
            await session.execute(document, variable_values=args.variables)

        return await pyload.measure(args, call, "gql-py")


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
