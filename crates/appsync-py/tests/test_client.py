"""`appsync.Client` against `appsync local`: every auth mode, GraphQL errors with partial data,
401/403 as exceptions, cancelling an in-flight `execute`."""

from __future__ import annotations

import asyncio
import datetime
import socket

import pytest

import appsync

from conftest import Emulator

LIST = "query List($author: String) { listPosts(author: $author) { items { id title author } } }"
CREATE = "mutation Create($input: CreatePostInput!) { createPost(input: $input) { id title author } }"


def auths(emulator: Emulator) -> dict[str, object]:
    return {
        "iam": appsync.IAM(emulator.credentials),
        "iam-session-token": appsync.IAM(emulator.temporary),
        "iam-callable": appsync.IAM(lambda: emulator.temporary),
        "api-key": appsync.ApiKey(emulator.api_key),
        "cognito": appsync.Cognito(emulator.jwt),
        "lambda": appsync.Lambda(emulator.lambda_token),
    }


@pytest.mark.parametrize("mode", ["iam", "iam-session-token", "iam-callable", "api-key", "cognito", "lambda"])
async def test_every_auth_mode(all_modes: Emulator, mode: str) -> None:
    async with appsync.Client(all_modes.url, auth=auths(all_modes)[mode], region=all_modes.region) as client:  # type: ignore[arg-type]
        created = await client.execute(CREATE, {"input": {"title": f"by {mode}", "author": mode}})
        assert created["createPost"]["title"] == f"by {mode}"
        listed = await client.execute(LIST, {"author": mode}, "List")
        assert [p["title"] for p in listed["listPosts"]["items"]] == [f"by {mode}"]


async def test_oidc_and_async_token_callable(oidc: Emulator) -> None:
    calls = 0

    async def token() -> str:
        nonlocal calls
        calls += 1
        return oidc.jwt

    for auth in (appsync.OIDC(oidc.jwt), appsync.OIDC(token)):
        async with appsync.Client(oidc.url, auth=auth, region=oidc.region) as client:
            assert (await client.execute(LIST))["listPosts"] is not None
            await client.execute(LIST)
    assert calls == 1  # cached by the Rust client until near the JWT's exp


async def test_botocore_refreshable_credentials_are_asked_again_before_expiry(all_modes: Emulator) -> None:
    from botocore.credentials import RefreshableCredentials

    refreshes = 0

    def refresh() -> dict[str, str]:
        nonlocal refreshes
        refreshes += 1
        # Three seconds to live: the Rust client asks again after half of that, and botocore,
        # asked, refreshes (it is inside its own 15-minute margin).
        expiry = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=3)
        return {"access_key": all_modes.temporary.access_key_id, "secret_key": all_modes.temporary.secret_access_key,
                "token": all_modes.temporary.session_token or "", "expiry_time": expiry.isoformat()}

    credentials = RefreshableCredentials.create_from_metadata(refresh(), refresh, "test")
    async with appsync.Client(all_modes.url, auth=appsync.IAM(credentials), region=all_modes.region) as client:
        assert "listPosts" in await client.execute(LIST)
        await asyncio.sleep(2)
        assert "listPosts" in await client.execute(LIST)
    # Created, loaded for the first request, asked again for the second: without the expiry the
    # Rust cache would have kept the first credentials for good.
    assert refreshes == 3


async def test_per_request_auth(all_modes: Emulator) -> None:
    async with appsync.Client(all_modes.url, auth=appsync.ApiKey("da2-wrong"), region=all_modes.region) as client:
        data = await client.execute(LIST, auth=appsync.IAM(all_modes.credentials))
        assert "listPosts" in data


async def test_graphql_errors_with_partial_data(all_modes: Emulator) -> None:
    query = "query { listPosts { items { id } } iamOnly { items { id } } }"
    async with appsync.Client(all_modes.url, auth=appsync.ApiKey(all_modes.api_key), region=all_modes.region) as client:
        with pytest.raises(appsync.GraphQLError) as raised:
            await client.execute(query)
        error = raised.value
        assert isinstance(error, appsync.AppSyncError)
        assert error.data is not None and error.data["listPosts"] is not None and error.data["iamOnly"] is None
        assert error.errors[0]["errorType"] == "Unauthorized" and error.errors[0]["path"] == ["iamOnly"]
        response = await client.execute_response(query)
        assert response.data == error.data and response.errors == error.errors
        with pytest.raises(appsync.GraphQLError) as invalid:
            await client.execute("query { nope }")
        assert invalid.value.data is None and "nope" in invalid.value.errors[0]["message"]


@pytest.mark.parametrize("kind", ["wrong-secret", "wrong-key", "wrong-token"])
async def test_refused_auth_raises_unauthorized(all_modes: Emulator, kind: str) -> None:
    auth = {
        "wrong-secret": appsync.IAM(appsync.Credentials(all_modes.credentials.access_key_id, "wrong")),
        "wrong-key": appsync.ApiKey("da2-wrong"),
        "wrong-token": appsync.Lambda("wrong-token"),
    }[kind]
    async with appsync.Client(all_modes.url, auth=auth, retry=1, region=all_modes.region) as client:  # type: ignore[arg-type]
        with pytest.raises(appsync.UnauthorizedError) as raised:
            await client.execute(LIST)
    error = raised.value
    assert isinstance(error, appsync.HTTPStatusError) and error.status in (401, 403)
    assert error.error_type is not None
    assert "wrong" not in str(error) and "wrong" not in repr(error)


async def test_credentials_errors_keep_their_cause(all_modes: Emulator) -> None:
    def broken() -> appsync.Credentials:
        raise OSError("no credentials here")

    async with appsync.Client(all_modes.url, auth=appsync.IAM(broken), region=all_modes.region) as client:
        with pytest.raises(appsync.CredentialsError) as raised:
            await client.execute(LIST)
    cause = raised.value.__cause__
    while cause is not None and not isinstance(cause, OSError):
        cause = cause.__cause__
    assert isinstance(cause, OSError)


async def test_transport_errors() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    async with appsync.Client(f"http://127.0.0.1:{port}/graphql", auth=appsync.ApiKey("k"), retry=1) as client:
        with pytest.raises(appsync.TransportError) as raised:
            await client.execute(LIST)
    assert isinstance(raised.value, ConnectionError)


async def test_timeout_and_cancellation() -> None:
    # A server that accepts and never answers.
    hung: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []

    async def accept(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        hung.append((reader, writer))
        await reader.read()  # until the client closes the connection

    server = await asyncio.start_server(accept, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        async with appsync.Client(f"http://127.0.0.1:{port}/graphql", auth=appsync.ApiKey("k"), retry=1) as client:
            with pytest.raises(appsync.TimeoutError) as raised:
                await client.execute(LIST, timeout=0.2)
            assert isinstance(raised.value, TimeoutError) and isinstance(raised.value, appsync.TransportError)

            task = asyncio.create_task(client.execute(LIST))
            await asyncio.sleep(0.2)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            # The client closes the connections of both requests: the timed-out one, and the
            # cancelled one, whose Rust future was dropped with the asyncio task.
            for _ in range(100):
                if len(hung) == 2 and all(reader.at_eof() for reader, _ in hung):
                    break
                await asyncio.sleep(0.05)
            assert len(hung) == 2 and all(reader.at_eof() for reader, _ in hung)
    finally:
        for _, writer in hung:
            writer.close()
        server.close()


def test_config_errors_and_repr() -> None:
    with pytest.raises(appsync.ConfigError):
        appsync.Client("not a url", auth=appsync.ApiKey("k"))
    with pytest.raises(appsync.ConfigError):  # IAM on a custom domain needs a region
        appsync.Client("https://api.example.com/graphql", auth=appsync.IAM(appsync.Credentials("A", "B")))
    with pytest.raises(TypeError):
        appsync.Client("https://x.appsync-api.us-east-1.amazonaws.com/graphql", auth="da2-key")  # type: ignore[arg-type]
    client = appsync.Client(
        "https://api.example.com/graphql",
        auth=appsync.IAM(appsync.Credentials("AKIDREPR", "secret-value", "token-value"), region="eu-west-1"),
    )
    for text in (repr(client), repr(appsync.ApiKey("da2-secretkey")), repr(appsync.Cognito("jwt-secret")),
                 repr(appsync.Lambda(lambda: "t"))):
        assert "secret-value" not in text and "token-value" not in text and "secretkey" not in text, text
        assert "jwt-secret" not in text, text
    assert client.url == "https://api.example.com/graphql"
