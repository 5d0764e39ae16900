"""The `appsync_local` pytest fixture: an in-process AppSync emulator (`appsync.local.Emulator`) per
test, registered through the `pytest11` entry point (installing `appsync` is enough).

```python
async def test_create(appsync_local):
    async with appsync_local.client() as client:          # IAM with the emulator's credentials
        data = await client.execute("mutation { createPost(input: {title: \\"t\\"}) { id } }")

async def test_chat(appsync_local):                       # AppSync Events on the same port
    async with appsync_local.events_client() as events, events.subscribe("/default/chat") as chat:
        await events.publish("/default/chat", [{"text": "hi"}])
        assert await anext(chat) == {"text": "hi"}
```

- Function-scoped: each test gets a fresh emulator (empty data, a free port).
- A schema or other settings: mark the test, `@pytest.mark.appsync_local(schema=Path("schema.graphql"),
  default_auth="api_key")` (the marker's keyword arguments go to `Emulator`), or override the
  `appsync_local_options` fixture (a dict of the same arguments) in a `conftest.py` for a
  whole directory.
- One emulator for the whole session: `appsync_local_session` (session-scoped, configured by
  overriding the session-scoped `appsync_local_session_options` fixture). Tests that share it
  share its data.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    # Imported when a fixture is used, not when pytest loads the plugin in every session.
    from appsync.local import Emulator

__all__ = ["appsync_local", "appsync_local_options", "appsync_local_session", "appsync_local_session_options"]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "appsync_local(**options): settings for the test's appsync_local emulator "
        "(schema, api_keys, iam, default_auth, data_file, lambda_tokens, region)",
    )


@pytest.fixture
def appsync_local_options() -> dict[str, Any]:
    """Keyword arguments for `appsync_local`'s `Emulator` (override it to configure a directory's
    tests; a test's `appsync_local` marker adds to and overrides these)."""
    return {}


@pytest.fixture
def appsync_local(request: pytest.FixtureRequest, appsync_local_options: dict[str, Any]) -> Iterator[Emulator]:
    """A running in-process AppSync emulator for this test (see the module's documentation)."""
    options = dict(appsync_local_options)
    for marker in reversed(list(request.node.iter_markers("appsync_local"))):
        if marker.args:
            raise pytest.UsageError("the appsync_local marker takes keyword arguments only")
        options.update(marker.kwargs)
    from appsync.local import Emulator

    with Emulator(**options) as emulator:
        yield emulator


@pytest.fixture(scope="session")
def appsync_local_session_options() -> dict[str, Any]:
    """Keyword arguments for `appsync_local_session`'s `Emulator` (override it, session-scoped)."""
    return {}


@pytest.fixture(scope="session")
def appsync_local_session(appsync_local_session_options: dict[str, Any]) -> Iterator[Emulator]:
    """One running in-process emulator shared by every test of the session."""
    from appsync.local import Emulator

    with Emulator(**appsync_local_session_options) as emulator:
        yield emulator
