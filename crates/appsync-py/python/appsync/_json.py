"""JSON for the package, imported on first use: `json` brings `re` (with `enum` and more) along,
which would be most of what `import appsync` costs. Call `_json.dumps(...)`/`_json.loads(...)`
through the module: the first call replaces each with the real function."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any


def _first_dumps(value: Any) -> str:
    global dumps
    import json

    dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    return dumps(value)


def _first_loads(text: str | bytes) -> Any:
    global loads
    import json

    loads = json.loads
    return loads(text)


dumps: Callable[[Any], str] = _first_dumps
loads: Callable[[str | bytes], Any] = _first_loads
