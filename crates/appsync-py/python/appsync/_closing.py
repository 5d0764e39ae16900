"""`async with` for the package's objects that are closed with `await obj.aclose()`."""

from __future__ import annotations

# Names for annotations only, not imported at run time (see _client.py).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Awaitable
    from types import TracebackType

    from typing_extensions import Self


class AsyncClosing:
    """Entering returns the object itself; leaving awaits its `aclose()`."""

    __slots__ = ()

    def aclose(self) -> Awaitable[None]:
        raise NotImplementedError

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()
