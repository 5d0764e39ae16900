"""Fixtures: `appsync local` (the workspace's emulator binary, `APPSYNC_BIN`) on a free loopback
port, with the IAM credentials, session-token credentials and API key it accepts."""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

import appsync


@dataclass(frozen=True)
class Emulator:
    url: str
    credentials: appsync.Credentials
    temporary: appsync.Credentials  # with a session token the emulator checks
    api_key: str
    region: str = "us-east-1"


@pytest.fixture(scope="session")
def emulator() -> Iterator[Emulator]:
    binary = os.environ.get("APPSYNC_BIN")
    if not binary:
        pytest.skip("APPSYNC_BIN (the `appsync` binary) is not set; run-tests.sh sets it")
    credentials = appsync.Credentials("AKIDPYTEST", "py-test-secret")
    temporary = appsync.Credentials("ASIAPYTEST", "py-temp-secret", "py-session-token")
    api_key = "da2-pytestkey"
    with tempfile.TemporaryFile("w+") as log:
        process = subprocess.Popen(
            [
                binary, "local", "--listen", "127.0.0.1:0",
                "--iam", f"{credentials.access_key_id}:{credentials.secret_access_key}",
                "--iam", f"{temporary.access_key_id}:{temporary.secret_access_key}:{temporary.session_token}",
                "--api-key", api_key,
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
            yield Emulator(url, credentials, temporary, api_key)
        finally:
            process.terminate()
            process.wait(10)
