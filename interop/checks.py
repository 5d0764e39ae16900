"""What the interop scripts share: numbered checks and the closing "N passed, N failed" line."""

import asyncio
import os
import ssl
import sys

results = []


def check(name, ok, detail=""):
    results.append(ok)
    print(f"{'ok  ' if ok else 'FAIL'} {name}{': ' + detail if detail else ''}", flush=True)


def tls(url):
    """gql transport arguments for `url`: for an https:// emulator, an SSL context trusting its
    certificate authority (the file in APPSYNC_CA_FILE, as `appsync local --tls` prints it), so
    verification stays on as against AppSync; nothing for http://."""
    if not url.startswith("https://"):
        return {}
    ca = os.environ.get("APPSYNC_CA_FILE")
    return {"ssl": ssl.create_default_context(cafile=ca) if ca else True}


def main(run, doc):
    """Runs `run(url, akid, secret, api_key)` from the command line and exits non-zero on any failure."""
    if len(sys.argv) != 5:
        print(doc)
        sys.exit(2)
    asyncio.run(run(*sys.argv[1:]))
    passed = sum(results)
    failed = len(results) - passed
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed or not results else 0)
