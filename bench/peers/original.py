"""The approach appsync-rs started from, re-implemented for the benchmark (see shared DESIGN.md,
"Where this started"): aiohttp plus SigV4 written by hand. On every call it computes x-amz-date,
hashes the body, builds the canonical request over content-type;host;x-amz-content-sha256;x-amz-date,
derives the signing key with four HMACs, builds Authorization, then opens a new
aiohttp.ClientSession and POSTs the JSON. No session token, no connection reuse, no retries.

Usage: python original.py --url URL --query Q [-n N] [-c C] [--variables JSON] ...
"""

import asyncio
import datetime
import hashlib
import hmac
import json
import sys
from urllib.parse import urlparse

import aiohttp

import pyload


class AWSIamAuth:
    """Signs AppSync requests: `AWSIamAuth(access_key, secret_key, endpoint, region, service)`."""

    def __init__(self, access_key, secret_key, endpoint, region, service="appsync"):
        self.access_key = access_key
        self.secret_key = secret_key
        url = urlparse(endpoint)
        self.host = url.netloc
        self.path = url.path or "/"
        self.region = region
        self.service = service

    @staticmethod
    def _hmac(key, msg):
        return hmac.new(key, msg.encode("utf-8"), hashlib.sha256).digest()

    def headers(self, body):
        now = datetime.datetime.now(datetime.timezone.utc)
        amz_date = now.strftime("%Y%m%dT%H%M%SZ")
        date_stamp = now.strftime("%Y%m%d")
        payload_hash = hashlib.sha256(body).hexdigest()
        canonical_headers = (
            f"content-type:application/json\n"
            f"host:{self.host}\n"
            f"x-amz-content-sha256:{payload_hash}\n"
            f"x-amz-date:{amz_date}\n"
        )
        signed_headers = "content-type;host;x-amz-content-sha256;x-amz-date"
        canonical_request = f"POST\n{self.path}\n\n{canonical_headers}\n{signed_headers}\n{payload_hash}"
        scope = f"{date_stamp}/{self.region}/{self.service}/aws4_request"
        string_to_sign = (
            f"AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n"
            f"{hashlib.sha256(canonical_request.encode('utf-8')).hexdigest()}"
        )
        # The signing key, derived again on every call.
        k_date = self._hmac(("AWS4" + self.secret_key).encode("utf-8"), date_stamp)
        k_region = self._hmac(k_date, self.region)
        k_service = self._hmac(k_region, self.service)
        k_signing = self._hmac(k_service, "aws4_request")
        signature = hmac.new(k_signing, string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()
        return {
            "content-type": "application/json",
            "x-amz-date": amz_date,
            "x-amz-content-sha256": payload_hash,
            "Authorization": (
                f"AWS4-HMAC-SHA256 Credential={self.access_key}/{scope}, "
                f"SignedHeaders={signed_headers}, Signature={signature}"
            ),
        }


class AppSyncClient:
    """`AppSyncClient(endpoint, auth)`, then `await client.execute_async(query=...)`."""

    def __init__(self, endpoint, auth):
        self.endpoint = endpoint
        self.auth = auth

    async def execute_async(self, query, variables=None):
        body = json.dumps({"query": query, "variables": variables or {}}).encode("utf-8")
        headers = self.auth.headers(body)
        async with aiohttp.ClientSession() as session:
            async with session.post(self.endpoint, data=body, headers=headers) as resp:
                result = await resp.json(content_type=None)
                if resp.status != 200:
                    raise RuntimeError(f"HTTP {resp.status}: {result}")
                return result


async def main():
    args = pyload.parse_args("the original aiohttp + hand-written SigV4 approach, measured")
    auth = AWSIamAuth(args.access_key_id, args.secret_access_key, args.url, args.region, "appsync")
    client = AppSyncClient(args.url, auth)

    async def call():
        result = await client.execute_async(query=args.query, variables=args.variables)
        if result.get("errors"):
            raise RuntimeError(f"GraphQL errors: {result['errors']}")

    return await pyload.measure(args, call, "original-py")


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
