"""`appsync.local.Emulator` (in-process) and the pytest plugin's fixtures: settings by marker and
by fixture override, the session emulator, `with` from sync code, data kept across a restart on
the same port and in a data file, and bad settings refused."""

from __future__ import annotations

import pathlib
import time
from collections.abc import Iterator
from typing import Any

import pytest

import appsync
from appsync.local import Emulator

SCHEMA = pathlib.Path(__file__).parent.parent.parent / "appsync-testkit" / "schemas" / "posts_all_modes.graphql"
NOTES = """
type Note @aws_api_key @aws_lambda { id: ID! text: String }
type Query @aws_api_key @aws_lambda { getNote(id: ID!): Note }
type Mutation @aws_api_key @aws_lambda { createNote(input: NoteInput!): Note }
input NoteInput { id: ID text: String }
schema { query: Query mutation: Mutation }
"""
CREATE = "mutation Create($input: CreatePostInput!) { createPost(input: $input) { id title } }"
LIST = "query { listPosts { items { id title } } }"


@pytest.mark.appsync_local(schema=NOTES, default_auth="api_key", api_keys=["da2-notes"], lambda_tokens=["tok"])
async def test_marker_settings(appsync_local: Emulator) -> None:
    assert appsync_local.api_key == "da2-notes" and appsync_local.url.startswith("http://127.0.0.1:")
    assert appsync_local.realtime_url == appsync_local.url.replace("http://", "ws://") + "/realtime"
    async with appsync.Client(appsync_local.url, auth=appsync.ApiKey("da2-notes")) as client:
        created = await client.execute("mutation { createNote(input: {id: \"n1\", text: \"hi\"}) { id text } }")
        assert created == {"createNote": {"id": "n1", "text": "hi"}}
    async with appsync_local.client(appsync.Lambda("tok")) as client:
        assert (await client.execute("query { getNote(id: \"n1\") { text } }"))["getNote"]["text"] == "hi"
    async with appsync_local.client(appsync.ApiKey("da2-wrong"), retry=1) as client:
        with pytest.raises(appsync.UnauthorizedError):
            await client.execute("query { getNote(id: \"n1\") { text } }")


class TestOverride:
    @pytest.fixture
    def appsync_local_options(self) -> dict[str, Any]:
        return {"schema": SCHEMA}

    async def test_options_fixture_override(self, appsync_local: Emulator) -> None:
        async with appsync_local.client() as client:  # IAM with the emulator's credentials
            await client.execute(CREATE, {"input": {"title": "t"}})
            data = await client.execute("query { listPosts { items { title } } iamOnly { items { title } } }")
            assert data["iamOnly"]["items"] == [{"title": "t"}]

    @pytest.mark.appsync_local(default_auth="api_key")
    async def test_marker_adds_to_the_override(self, appsync_local: Emulator) -> None:
        async with appsync_local.client(appsync.ApiKey(appsync_local.api_key)) as client:
            with pytest.raises(appsync.GraphQLError):  # the schema's IAM-only field
                await client.execute("query { iamOnly { items { id } } }")


async def test_each_test_gets_a_fresh_emulator(appsync_local: Emulator) -> None:
    async with appsync_local.client() as client:
        assert (await client.execute(LIST))["listPosts"]["items"] == []


async def test_session_emulator(appsync_local_session: Emulator) -> None:
    async with appsync_local_session.client() as client:
        assert "listPosts" in await client.execute(LIST)


def test_sync_with_and_restart_on_the_same_port(tmp_path: pathlib.Path) -> None:
    import asyncio

    emulator = Emulator(data_file=tmp_path / "data.redb")
    with emulator:
        url = emulator.url
        assert repr(emulator) == f"<appsync.local.Emulator {url}>"

        async def create() -> None:
            async with emulator.client() as client:
                await client.execute(CREATE, {"input": {"id": "p1", "title": "kept"}})

        asyncio.run(create())
    assert "not running" in repr(emulator)
    with pytest.raises(appsync.AppSyncError):
        emulator.url
    with emulator:  # the same port, the same data
        assert emulator.url == url

        async def read() -> Any:
            async with emulator.client() as client:
                return await client.execute("query { getPost(id: \"p1\") { title } }")

        assert asyncio.run(read()) == {"getPost": {"title": "kept"}}
    del emulator
    # Another emulator on the same data file finds the record. The first lets go of the file
    # when its last connection has ended (the client's pooled one closes in the background).
    for _ in range(250):
        try:
            again = Emulator(data_file=tmp_path / "data.redb")
            break
        except appsync.AppSyncError:
            time.sleep(0.02)
    with again:

        async def read_again() -> Any:
            async with again.client() as client:
                return await client.execute("query { getPost(id: \"p1\") { title } }")

        assert asyncio.run(read_again()) == {"getPost": {"title": "kept"}}


def test_bad_settings() -> None:
    with pytest.raises(appsync.ConfigError, match="default_auth"):
        Emulator(default_auth="nope")
    with pytest.raises(appsync.ConfigError):
        Emulator(schema="type Query { broken(: }")
    with pytest.raises(appsync.ConfigError):  # API key by default, but no key
        Emulator(default_auth="api_key", api_keys=[])
    with pytest.raises(TypeError):
        Emulator(iam=["AKID:secret"])  # type: ignore[list-item]
    with pytest.raises(TypeError):
        Emulator(schema=42)  # type: ignore[arg-type]
    emulator = Emulator()
    assert emulator.credentials.secret_access_key not in repr(emulator.credentials)
    assert emulator.api_key.startswith("da2-") and emulator.api_key not in repr(emulator)


def _busy_port() -> Iterator[int]:
    with Emulator() as first:
        yield first.port


def test_a_taken_port_is_an_error() -> None:
    for port in _busy_port():
        with pytest.raises(appsync.AppSyncError, match="bind"):
            Emulator(port=port).start()
