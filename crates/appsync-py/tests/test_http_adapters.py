"""`appsync.aiohttp.SigV4Middleware` and `appsync.httpx.SigV4Auth` sign requests that a real
verifier accepts: `appsync local` checks SigV4 (service `appsync`) and session tokens."""

from __future__ import annotations

import json
import subprocess
import sys

import aiohttp
import httpx
import pytest

import appsync
from appsync.aiohttp import SigV4Middleware
from appsync.httpx import SigV4Auth

from conftest import Emulator

QUERY = {"query": "query List($author: String) { listPosts(author: $author) { items { id } } }",
         "variables": {"author": "nobody"}}
MUTATION = {"query": "mutation { createPost(input: {title: \"signed\", author: \"py\"}) { id title } }"}


def credentials(emulator: Emulator, kind: str) -> appsync.Credentials:
    if kind == "temporary":
        return emulator.temporary
    if kind == "wrong-secret":
        return appsync.Credentials(emulator.credentials.access_key_id, "not-the-secret")
    if kind == "wrong-token":
        return appsync.Credentials(emulator.temporary.access_key_id, emulator.temporary.secret_access_key, "bad")
    return emulator.credentials


@pytest.mark.parametrize("kind", ["static", "temporary"])
async def test_aiohttp_middleware_signs_what_the_emulator_accepts(emulator: Emulator, kind: str) -> None:
    sigv4 = SigV4Middleware(credentials(emulator, kind), emulator.region, "appsync")
    async with aiohttp.ClientSession(middlewares=(sigv4,)) as session:
        async with session.post(emulator.url, json=QUERY) as response:
            body = await response.json()
            assert response.status == 200, body
            assert body == {"data": {"listPosts": {"items": []}}}
        async with session.post(emulator.url, data=json.dumps(MUTATION).encode(),
                                headers={"content-type": "application/json", "x-extra": " two  spaces "}) as response:
            body = await response.json()
            assert response.status == 200, body
            assert body["data"]["createPost"]["title"] == "signed"


@pytest.mark.parametrize("kind", ["wrong-secret", "wrong-token"])
async def test_aiohttp_wrong_credentials_refused(emulator: Emulator, kind: str) -> None:
    sigv4 = SigV4Middleware(credentials(emulator, kind), emulator.region, "appsync")
    async with aiohttp.ClientSession(middlewares=(sigv4,)) as session:
        async with session.post(emulator.url, json=QUERY) as response:
            body = await response.json()
            assert response.status in (401, 403), body
            assert body["errors"][0]["errorType"] in ("InvalidSignatureException", "UnrecognizedClientException",
                                                      "UnauthorizedException"), body


@pytest.mark.parametrize("kind", ["static", "temporary"])
def test_httpx_sync_auth(emulator: Emulator, kind: str) -> None:
    with httpx.Client(auth=SigV4Auth(credentials(emulator, kind), emulator.region, "appsync")) as client:
        response = client.post(emulator.url, json=QUERY)
        assert response.status_code == 200, response.text
        assert response.json() == {"data": {"listPosts": {"items": []}}}


@pytest.mark.parametrize("kind", ["static", "temporary"])
async def test_httpx_async_auth(emulator: Emulator, kind: str) -> None:
    auth = SigV4Auth(lambda: credentials(emulator, kind), emulator.region, "appsync")
    async with httpx.AsyncClient(auth=auth) as client:
        response = await client.post(emulator.url, json=MUTATION, headers={"x-extra": "a", "X-Extra": "b"})
        assert response.status_code == 200, response.text
        assert response.json()["data"]["createPost"]["title"] == "signed"


@pytest.mark.parametrize("kind", ["wrong-secret", "wrong-token"])
async def test_httpx_wrong_credentials_refused(emulator: Emulator, kind: str) -> None:
    auth = SigV4Auth(credentials(emulator, kind), emulator.region, "appsync")
    async with httpx.AsyncClient(auth=auth) as client:
        response = await client.post(emulator.url, json=QUERY)
        assert response.status_code in (401, 403), response.text
    with httpx.Client(auth=auth) as client:
        assert client.post(emulator.url, json=QUERY).status_code in (401, 403)


def test_import_appsync_imports_neither_aiohttp_nor_httpx() -> None:
    code = "import sys, appsync, appsync.sigv4; print('aiohttp' in sys.modules, 'httpx' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


def test_import_appsync_leaves_heavy_modules_for_later() -> None:
    # What `import appsync` costs is mostly what it imports: json (with re), typing, asyncio and
    # dataclasses wait until something needs them (bench/python.sh times the import).
    heavy = ["json", "re", "typing", "asyncio", "dataclasses", "collections"]
    code = f"import sys, appsync; print(*[m for m in {heavy!r} if m in sys.modules])"
    out = subprocess.run([sys.executable, "-I", "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == []
