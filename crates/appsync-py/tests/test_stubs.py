"""The hand-written stubs match the installed package (mypy.stubtest)."""

import os
import subprocess
import sys


def test_stubtest() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mypy.stubtest", "appsync"],
        capture_output=True,
        text=True,
        # mypy's cache kept with the environment it describes, not in the source tree.
        env={**os.environ, "MYPY_CACHE_DIR": os.path.join(sys.prefix, "mypy-cache")},
    )
    assert result.returncode == 0, result.stdout + result.stderr
