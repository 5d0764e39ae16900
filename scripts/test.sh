#!/usr/bin/env bash
# Every test of the project, in the order a failure is cheapest to read:
# 1. the Rust workspace (unit, integration against the emulator on loopback, doc tests);
# 2. the Python package `appsync` (built in release by pip, pytest against `appsync local`);
# 3. interoperability: Python gql and Amplify JS against `appsync local`, plain and over TLS.
# Needs the Rust toolchain, python3 with venv, and node with npm; fetches packages from the
# registries on first run (a venv and node_modules, reused afterwards).
set -euo pipefail
cd "$(dirname "$0")/.."
target=${CARGO_TARGET_DIR:-target}

echo "== Rust workspace"
cargo test --workspace --all-features --locked

# The Python tests and interop drive the `appsync` binary the workspace tests just built.
export APPSYNC_BIN="$target/debug/appsync"

echo "== Example: crates/appsync/examples/query_iam.rs against an emulator in its own process"
# Built by the workspace tests above; run as built (no second cargo invocation, no rebuild).
"$target/debug/examples/query_iam"

echo "== Python package (crates/appsync-py)"
bash crates/appsync-py/run-tests.sh

echo "== Interop: Python gql 4.x and Amplify JS against appsync local"
bash interop/run.sh
