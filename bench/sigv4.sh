#!/usr/bin/env bash
# SigV4 signing cost: appsync-sigv4 against aws-sigv4 and against the floor (the SHA-256 and HMAC
# work any SigV4 signer must do), all in one criterion run; prints the ratios as Markdown.
# Usage: bash bench/sigv4.sh            (MEASURE=seconds per benchmark, default 5)
set -euo pipefail
cd "$(dirname "$0")/.."
measure=${MEASURE:-5}
# The machine's state, before and after: on a shared host, integer code (the signer's work outside
# SHA-256) can run much slower for seconds at a time while SHA-NI (the floor) does not.
probe() { cargo bench --locked --quiet -p appsync-sigv4 --bench sign_loop -- --probe; }
probe | sed 's/^/before: /'
cargo bench --locked -p appsync-sigv4 --bench sign -- --warm-up-time 2 --measurement-time "$measure" >&2
probe | sed 's/^/after:  /'
echo
python3 - <<'PY'
import json, os
root = os.path.join(os.environ.get("CARGO_TARGET_DIR", "target"), "criterion")
def median(group, name):
    with open(os.path.join(root, group, name, "new", "estimates.json")) as f:
        return json.load(f)["median"]["point_estimate"]
print("| case | floor | appsync-sigv4 | aws-sigv4 | ours / floor | aws-sigv4 / ours |")
print("|---|---|---|---|---|---|")
for size in ("188B", "10KiB"):
    g = f"sign_{size}"
    floor = median(g, "floor")
    for label, ours_name, theirs_name in (
        ("sign only", "appsync_sigv4_sign_only", "aws_sigv4_sign_only"),
        ("sign + apply to http::Request", "appsync_sigv4", "aws_sigv4"),
    ):
        ours, theirs = median(g, ours_name), median(g, theirs_name)
        print(f"| {size}, {label} | {floor/1000:.2f} µs | {ours/1000:.2f} µs | {theirs/1000:.2f} µs | {ours/floor:.2f}x | {theirs/ours:.2f}x |")
        if ours_name == "appsync_sigv4_sign_only":
            # Two requests in turn: the bad case of the memo of the canonical request.
            alt = median(g, "appsync_sigv4_sign_only_alternating")
            print(f"| {size}, sign only, two requests in turn | {floor/1000:.2f} µs | {alt/1000:.2f} µs | | {alt/floor:.2f}x | {theirs/alt:.2f}x |")
    cold = median(g, "appsync_sigv4_cold_key")
    print(f"| {size}, sign + apply, cold key cache | {floor/1000:.2f} µs | {cold/1000:.2f} µs | | {cold/floor:.2f}x | |")
verify = median("verify_188B", "appsync_sigv4")
print(f"\nverify (188 B request, warm key): {verify/1000:.2f} µs")
PY
