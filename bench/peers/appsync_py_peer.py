"""The `appsync` Python package (this repository's crates/appsync-py): `appsync.Client` with IAM,
measured like the other Python peers: one client shared by every concurrent call.

Usage: python appsync_py_peer.py --url URL --query Q [-n N] [-c C] [--variables JSON] [--lag] ...
"""

import asyncio
import sys

import appsync
import pyload


async def main():
    args = pyload.parse_args("the appsync Python package, IAM, measured")
    credentials = appsync.Credentials(args.access_key_id, args.secret_access_key)
    auth = appsync.IAM(credentials, region=args.region)
    async with appsync.Client(args.url, auth=auth, region=args.region) as client:

        async def call():
            await client.execute(args.query, args.variables)

        return await pyload.measure(args, call, "appsync-py")


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
