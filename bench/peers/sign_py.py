"""Signing one 188-byte AppSync request (POST, JSON body) in Python: `appsync.sigv4.Signer.sign`
against botocore `SigV4Auth.add_auth` and requests-aws4auth, each as a caller uses it per
request (botocore: an `AWSRequest` made and signed; requests-aws4auth: a prepared request copied
and signed; ours: the headers to add returned as a dict). Prints one JSON line per signer with
the median microseconds per signature over --repeat rounds of --number signatures.

Usage: python sign_py.py [--number N] [--repeat R]
"""

import argparse
import json
import sys
import timeit

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials as BotoCredentials
import requests
from requests_aws4auth import AWS4Auth

import appsync
from appsync.sigv4 import Signer

URL = "https://abc123def456ghi789jkl0mnop.appsync-api.us-east-1.amazonaws.com/graphql"
QUERY = "query ListPostsPage($limit: Int) { listPosts(limit: $limit) { items { id title author content createdAt } nextToken } }"
AKID, SECRET, REGION = "AKIDBENCHSIGN", "bench-sign-secret-0123456789abcdefghij", "us-east-1"


def body_of(size):
    body = json.dumps({"query": QUERY, "variables": {"limit": 10}}, separators=(",", ":"))
    body = body[:-1] + ',"p":"' + "x" * (size - len(body) - 7) + '"}'
    assert len(body) == size, len(body)
    return body.encode()


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--number", type=int, default=2000)
    p.add_argument("--repeat", type=int, default=7)
    args = p.parse_args()
    body = body_of(188)
    headers = {"content-type": "application/json"}

    signer = Signer(appsync.Credentials(AKID, SECRET), REGION, "appsync")

    def ours():
        signer.sign("POST", URL, headers, body)

    boto = SigV4Auth(BotoCredentials(AKID, SECRET), "appsync", REGION)

    def botocore():
        request = AWSRequest(method="POST", url=URL, data=body, headers=headers)
        boto.add_auth(request)

    aws4 = AWS4Auth(AKID, SECRET, REGION, "appsync")
    prepared = requests.Request("POST", URL, data=body, headers=headers).prepare()

    def requests_aws4auth():
        aws4(prepared.copy())

    for name, fn in (("appsync-py", ours), ("botocore", botocore), ("requests-aws4auth", requests_aws4auth)):
        fn()
        times = sorted(t / args.number * 1e6 for t in timeit.repeat(fn, number=args.number, repeat=args.repeat))
        line = {"label": f"sign-{name}", "tool": name, "bytes": len(body), "us_per_sign": round(times[len(times) // 2], 3),
                "min_us": round(times[0], 3)}
        print(f"{name}: {line['us_per_sign']} us per signature (min {line['min_us']})", file=sys.stderr)
        print(json.dumps(line), flush=True)


if __name__ == "__main__":
    main()
