#!/usr/bin/env bash
# What every publishable crate's package must hold, checked in the .crate files `cargo package`
# wrote to DIR (default target/package): its README (the registry and docs.rs page), both license
# texts, and no publish=false crate among its dependencies (cargo package has already refused
# path dependencies without a version).
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-target/package}
status=0
for manifest in crates/*/Cargo.toml; do
  crate=$(basename "$(dirname "$manifest")")
  if grep -q '^publish = false' "$manifest"; then
    continue
  fi
  version=$(cargo metadata --format-version 1 --no-deps --locked |
    python3 -c "import json,sys; print(next(p['version'] for p in json.load(sys.stdin)['packages'] if p['name']=='$crate'))")
  file="$dir/$crate-$version.crate"
  if [[ ! -f $file ]]; then
    echo "check-packages: $file missing" >&2
    status=1
    continue
  fi
  listing=$(tar tzf "$file")
  for wanted in README.md LICENSE-MIT LICENSE-APACHE Cargo.toml src/; do
    if ! grep -q "^$crate-$version/$wanted" <<<"$listing"; then
      echo "check-packages: $crate: $wanted is not in the package" >&2
      status=1
    fi
  done
  # A symlinked license must have arrived as the text, not as a dangling link.
  if [[ $(tar xzf "$file" -O "$crate-$version/LICENSE-MIT" 2>/dev/null | wc -c) -lt 100 ]]; then
    echo "check-packages: $crate: LICENSE-MIT is empty" >&2
    status=1
  fi
  for private in appsync-testkit appsync-py; do
    if tar xzf "$file" -O "$crate-$version/Cargo.toml" | grep -q "^\[dependencies\.$private\]"; then
      echo "check-packages: $crate depends on $private, which is not published" >&2
      status=1
    fi
  done
done
[[ $status == 0 ]] && echo "check-packages: every publishable crate is complete"
exit $status
