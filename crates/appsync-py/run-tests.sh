#!/usr/bin/env bash
# Tests of the `appsync` Python package: builds and installs it (release, as `pip install` does)
# into a virtualenv under target/ (created once, its test dependencies reinstalled when
# tests/requirements.txt changes), then runs pytest against `appsync local`.
#
# APPSYNC_BIN: the `appsync` binary to run the emulator from (CI passes the one its test run
# built); without it, `cargo build -p appsync-cli` builds one. Extra arguments go to pytest.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
venv=target/python-venv
if [ ! -x "$venv/bin/python" ]; then
  "${PYTHON:-python3}" -m venv "$venv"
fi
requirements=crates/appsync-py/tests/requirements.txt
if ! cmp -s "$requirements" "$venv/requirements.txt"; then
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements"
  cp "$requirements" "$venv/requirements.txt"
fi
# The release profile's line tables (kept for profiling) would be stripped from the wheel anyway
# (pyproject.toml); without them target/release holds 0.8 GB instead of 1.4 GB after the build.
CARGO_PROFILE_RELEASE_DEBUG=0 \
  "$venv/bin/pip" install --quiet --disable-pip-version-check --force-reinstall --no-deps ./crates/appsync-py
bin=${APPSYNC_BIN:-}
if [ -z "$bin" ]; then
  cargo build --quiet --locked -p appsync-cli
  bin=${CARGO_TARGET_DIR:-target}/debug/appsync
fi
APPSYNC_BIN=$(realpath "$bin")
export APPSYNC_BIN
cd crates/appsync-py
exec "$root/$venv/bin/python" -m pytest -p no:cacheprovider "$@"
