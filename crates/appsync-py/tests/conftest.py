"""Fixtures: the emulator with the IAM credentials, session-token credentials and API key it
accepts: in-process (`appsync.local.Emulator`) for most tests, and `appsync local` (the workspace's
emulator binary, `APPSYNC_BIN`) as a process for the auth modes that need its JWKS (Cognito, OIDC)
and for restarts. The `appsync_local` fixture itself comes from appsync's pytest plugin."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest

import appsync
from appsync.local import Emulator as LocalEmulator


@dataclass(frozen=True)
class Emulator:
    url: str
    credentials: appsync.Credentials
    temporary: appsync.Credentials  # with a session token the emulator checks
    api_key: str
    jwt: str  # accepted as a Cognito user pools (or, with default_auth="oidc", OIDC) token
    lambda_token: str
    region: str = "us-east-1"


def _binary() -> str:
    binary = os.environ.get("APPSYNC_BIN")
    if not binary:
        pytest.skip("APPSYNC_BIN (the `appsync` binary) is not set; run-tests.sh sets it")
    return binary


@contextmanager
def running_emulator(*extra: str, listen: str = "127.0.0.1:0") -> Iterator[Emulator]:
    """`appsync local` on `listen` (by default a free loopback port), until the block ends."""
    binary = _binary()
    credentials = appsync.Credentials("AKIDPYTEST", "py-test-secret")
    temporary = appsync.Credentials("ASIAPYTEST", "py-temp-secret", "py-session-token")
    api_key, lambda_token = "da2-pytestkey", "py-lambda-token"
    with tempfile.TemporaryDirectory() as tmp, open(os.path.join(tmp, "log"), "w+") as log:
        jwks = os.path.join(tmp, "jwks.json")
        jwt = subprocess.run(
            [binary, "token", "--jwks-out", jwks], capture_output=True, text=True, check=True
        ).stdout.strip()
        process = subprocess.Popen(
            [
                binary, "local", "--listen", listen,
                "--iam", f"{credentials.access_key_id}:{credentials.secret_access_key}",
                "--iam", f"{temporary.access_key_id}:{temporary.secret_access_key}:{temporary.session_token}",
                "--api-key", api_key, "--lambda-token", lambda_token, "--jwks", jwks, *extra,
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            url = None
            deadline = time.monotonic() + 30
            while url is None and time.monotonic() < deadline:
                log.seek(0)
                found = re.search(r"http://[0-9.:]+/graphql", log.read())
                if found:
                    url = found.group(0)
                elif process.poll() is not None:
                    break
                else:
                    time.sleep(0.05)
            if url is None:
                log.seek(0)
                pytest.fail(f"the emulator did not start:\n{log.read()}")
            yield Emulator(url, credentials, temporary, api_key, jwt, lambda_token)
        finally:
            process.terminate()
            process.wait(10)


# The workspace's shared test schema (crates/appsync-testkit/schemas): posts for every mode, one IAM-only field.
SCHEMA = os.path.join(
    os.path.dirname(__file__), "..", "..", "appsync-testkit", "schemas", "posts_all_modes.graphql"
)


@pytest.fixture(scope="session")
def emulator() -> Iterator[Emulator]:
    """The built-in Posts schema (IAM and API key), in-process."""
    credentials = appsync.Credentials("AKIDPYTEST", "py-test-secret")
    temporary = appsync.Credentials("ASIAPYTEST", "py-temp-secret", "py-session-token")
    with LocalEmulator(api_keys=["da2-pytestkey"], iam=[credentials, temporary]) as local:
        yield Emulator(local.url, credentials, temporary, local.api_key, jwt="", lambda_token="")


@pytest.fixture(scope="session")
def all_modes() -> Iterator[Emulator]:
    """The shared posts_all_modes schema: IAM by default, API key, Cognito and Lambda too."""
    with running_emulator("--schema", SCHEMA) as running:
        yield running


@pytest.fixture(scope="session")
def oidc() -> Iterator[Emulator]:
    """The shared posts_all_modes schema with OIDC as the JWT mode."""
    with running_emulator("--schema", SCHEMA, "--default-auth", "oidc") as running:
        yield running


WAIT = 10.0


async def until(condition: Callable[[], bool], what: str) -> None:
    """Polls `condition` until it holds, for at most `WAIT` seconds."""
    for _ in range(int(WAIT / 0.02)):
        if condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"not in {WAIT} s: {what}")
