"""Credential sources a Signer accepts: botocore credentials and sessions, sync and async
callables; refreshes off the event loop, cached and single-flight callables."""

from __future__ import annotations

import asyncio
import datetime
import threading

import botocore.session
import pytest
from botocore.credentials import Credentials as BotoCredentials
from botocore.credentials import RefreshableCredentials

import appsync
from appsync.sigv4 import Signer

URL = "https://h.example/graphql"
UTC = datetime.timezone.utc


def key_id(signed: dict[str, str]) -> str:
    return signed["Authorization"].split("Credential=")[1].split("/")[0]


def refreshable(calls: list[str], lifetime: datetime.timedelta) -> RefreshableCredentials:
    def refresh() -> dict[str, str]:
        calls.append(threading.current_thread().name)
        expiry = datetime.datetime.now(UTC) + lifetime
        return {
            "access_key": f"ASIAREFRESH{len(calls)}",
            "secret_key": "refreshed-secret",
            "token": "refreshed-token",
            "expiry_time": expiry.isoformat(),
        }

    return RefreshableCredentials.create_from_metadata(refresh(), refresh, "test")


def test_botocore_credentials_and_session(monkeypatch: pytest.MonkeyPatch) -> None:
    signed = Signer(BotoCredentials("AKIDBOTO", "secret", "tok"), "us-east-1", "appsync").sign("GET", URL)
    assert key_id(signed) == "AKIDBOTO" and signed["X-Amz-Security-Token"] == "tok"
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDFROMENV")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "env-secret")
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    session = botocore.session.Session()
    assert key_id(Signer(session, "us-east-1", "appsync").sign("GET", URL)) == "AKIDFROMENV"


def test_refreshable_credentials_refresh_when_due() -> None:
    calls: list[str] = []
    # Expiring within botocore's advisory window: each read refreshes.
    signer = Signer(refreshable(calls, datetime.timedelta(minutes=5)), "us-east-1", "appsync")
    first = key_id(signer.sign("GET", URL))
    second = key_id(signer.sign("GET", URL))
    assert first != second and len(calls) == 3  # creation, then one per read


async def test_refresh_runs_off_the_event_loop() -> None:
    calls: list[str] = []
    signer = Signer(refreshable(calls, datetime.timedelta(minutes=5)), "us-east-1", "appsync")
    signed = await signer.sign_async("GET", URL)
    assert key_id(signed) == "ASIAREFRESH2"
    assert calls[-1] != threading.current_thread().name  # on a worker thread, not the loop's

    fresh: list[str] = []
    signer = Signer(refreshable(fresh, datetime.timedelta(hours=1)), "us-east-1", "appsync")
    await signer.sign_async("GET", URL)
    assert len(fresh) == 1  # not due: no refresh at all


def test_sync_callable_is_cached_until_near_expiry() -> None:
    calls = 0

    def load() -> appsync.Credentials:
        nonlocal calls
        calls += 1
        soon = datetime.datetime.now(UTC) + datetime.timedelta(minutes=1)  # inside the refresh margin
        return appsync.Credentials(f"ASIACALL{calls}", "secret", "token", soon if calls == 1 else None)

    signer = Signer(load, "us-east-1", "appsync")
    assert key_id(signer.sign("GET", URL)) == "ASIACALL1"
    assert key_id(signer.sign("GET", URL)) == "ASIACALL2"  # the first was due for refresh
    assert key_id(signer.sign("GET", URL)) == "ASIACALL2"  # no expiry: kept
    assert calls == 2


async def test_async_callable_single_flight() -> None:
    calls = 0

    async def load() -> dict[str, object]:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.05)
        return {"AccessKeyId": "ASIAASYNC", "SecretAccessKey": "s", "SessionToken": "t",
                "Expiration": datetime.datetime.now(UTC) + datetime.timedelta(hours=1)}

    signer = Signer(load, "us-east-1", "appsync")
    signed = await asyncio.gather(*(signer.sign_async("POST", URL, None, b"{}") for _ in range(50)))
    assert calls == 1 and {key_id(s) for s in signed} == {"ASIAASYNC"}
    with pytest.raises(appsync.CredentialsError):
        Signer(load, "us-east-1", "appsync").sign("GET", URL)  # async source from sync code


async def test_failing_sources_raise_credentials_error() -> None:
    def broken() -> appsync.Credentials:
        raise OSError("no network")

    with pytest.raises(appsync.CredentialsError) as raised:
        Signer(broken, "us-east-1", "appsync").sign("GET", URL)
    assert isinstance(raised.value.__cause__, OSError)
    with pytest.raises(appsync.CredentialsError):
        await Signer(broken, "us-east-1", "appsync").sign_async("GET", URL)
    with pytest.raises(appsync.CredentialsError):
        Signer(lambda: "not credentials", "us-east-1", "appsync").sign("GET", URL)
