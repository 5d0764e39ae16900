"""`appsync.sigv4.Signer` against botocore's `SigV4Auth` (a differential test over generated
requests, as the Rust signer has against aws-sigv4), and the signer's own contract."""

from __future__ import annotations

import datetime
import random
import string
from urllib.parse import parse_qsl, urlsplit

import botocore.auth
import pytest
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials as BotoCredentials

import appsync
from appsync.sigv4 import Signer

UNRESERVED = string.ascii_letters + string.digits + "-._~"
# Characters a path or query may carry once percent-encoded: reserved, space, non-ASCII.
ODD = " !\"#$&'()*+,/:;=?@[]%^`{|}<>\\é日\u00a0"
METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"]
HOSTS = [
    "abc123.appsync-api.us-east-1.amazonaws.com",
    "example.execute-api.eu-west-1.amazonaws.com",
    "localhost:8443",
    "127.0.0.1:4000",
]
# Headers botocore never signs; the Rust signer keeps AWS's own (shorter) list, so the generator
# leaves these out rather than testing botocore's choice.
BOTOCORE_ONLY_EXCLUDED = set(botocore.auth.SIGNED_HEADERS_BLACKLIST) | {"date"}


def encode(text: str) -> str:
    """`text` percent-encoded as SigV4 canonical form wants it (botocore signs the query as given)."""
    return "".join(c if c in UNRESERVED else "".join(f"%{b:02X}" for b in c.encode()) for c in text)


def word(rng: random.Random, alphabet: str, low: int = 0, high: int = 8) -> str:
    return "".join(rng.choice(alphabet) for _ in range(rng.randint(low, high)))


def generated_request(rng: random.Random) -> tuple[str, str, list[tuple[str, str]], bytes]:
    segments = [encode(word(rng, UNRESERVED + ODD, 1)) for _ in range(rng.randint(0, 4))]
    path = "/" + "/".join(segments)
    if rng.random() < 0.2:
        path += "/"
    query = "&".join(
        f"{encode(word(rng, UNRESERVED + ODD, 1, 6))}={encode(word(rng, UNRESERVED + ODD))}"
        for _ in range(rng.choice([0, 0, 1, 2, 5]))
    )
    url = f"https://{rng.choice(HOSTS)}{path}" + (f"?{query}" if query else "")
    headers: list[tuple[str, str]] = []
    for _ in range(rng.randint(0, 6)):
        name = rng.choice(["content-type", "x-amz-target", "x-custom", "accept", "X-Mixed-Case"])
        name = name if rng.random() < 0.5 else name.upper()
        inner = "  ".join(word(rng, string.ascii_letters + string.digits + ";=/,.", 1) for _ in range(rng.randint(1, 3)))
        value = rng.choice(["", " ", "  "]) + inner + rng.choice(["", " "])
        headers.append((name, value))
    headers = [(n, v) for n, v in headers if n.lower() not in BOTOCORE_ONLY_EXCLUDED]
    body = bytes(rng.getrandbits(8) for _ in range(rng.choice([0, 0, 1, 188, 1000])))
    return rng.choice(METHODS), url, headers, body


def botocore_headers(
    credentials: appsync.Credentials, region: str, service: str, method: str, url: str,
    headers: list[tuple[str, str]], body: bytes, amz_date: str, monkeypatch: pytest.MonkeyPatch,
) -> dict[str, str]:
    now = datetime.datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ")
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda remove_tzinfo=True: now)
    request = AWSRequest(method=method, url=url, data=body)
    for name, value in headers:
        request.headers.add_header(name, value) if name in request.headers else request.headers.__setitem__(name, value)
    boto = BotoCredentials(credentials.access_key_id, credentials.secret_access_key, credentials.session_token)
    botocore.auth.SigV4Auth(boto, service, region).add_auth(request)
    return {
        name: request.headers[name]
        for name in ("Authorization", "X-Amz-Date", "X-Amz-Security-Token")
        if name in request.headers
    }


def lower(headers: dict[str, str]) -> dict[str, str]:
    return {k.lower(): v for k, v in headers.items()}


@pytest.mark.parametrize("seed", range(40))
def test_sign_matches_botocore(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(seed)
    for case in range(25):
        token = rng.choice([None, "IQoJb3JpZ2luX2VjE" + word(rng, string.ascii_letters + "+/=", 20, 60)])
        credentials = appsync.Credentials("AKID" + word(rng, string.ascii_uppercase, 16, 16), word(rng, UNRESERVED, 40, 40), token)
        region = rng.choice(["us-east-1", "eu-west-1", "ap-southeast-2"])
        service = rng.choice(["appsync", "execute-api", "lambda", "es"])
        method, url, headers, body = generated_request(rng)
        ours = Signer(credentials, region, service).sign(method, url, headers, body)
        theirs = botocore_headers(credentials, region, service, method, url, headers, body, ours["X-Amz-Date"], monkeypatch)
        assert lower(ours) == lower(theirs), f"seed {seed} case {case}: {method} {url} {headers} ({len(body)} body bytes)"


def test_presign_matches_botocore(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(7)
    for _ in range(200):
        token = rng.choice([None, "token" + word(rng, string.ascii_letters, 10, 30)])
        credentials = appsync.Credentials("AKIDPRESIGN", "presign-secret", token)
        method, url, _, _ = generated_request(rng)
        expires = rng.randint(1, 604800)
        ours = Signer(credentials, "eu-west-1", "execute-api").presign(method, url, expires)
        amz_date = dict(parse_qsl(urlsplit(ours).query))["X-Amz-Date"]
        now = datetime.datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ")
        monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda remove_tzinfo=True: now)
        request = AWSRequest(method=method, url=url)
        boto = BotoCredentials(credentials.access_key_id, credentials.secret_access_key, token)
        botocore.auth.SigV4QueryAuth(boto, "execute-api", "eu-west-1", expires=expires).add_auth(request)
        assert sorted(parse_qsl(urlsplit(ours).query)) == sorted(parse_qsl(urlsplit(request.url).query)), url
        assert urlsplit(ours).path == urlsplit(request.url).path


def test_sign_returns_headers_to_add() -> None:
    signer = Signer(appsync.Credentials("AKIDEXAMPLE", "secret"), "us-east-1", "appsync")
    signed = signer.sign("POST", "https://h.example/graphql", {"content-type": "application/json"}, b"{}")
    assert set(signed) == {"Authorization", "X-Amz-Date"}
    assert signed["Authorization"].startswith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/")
    assert "SignedHeaders=content-type;host;x-amz-date," in signed["Authorization"]


def test_header_and_body_forms_agree() -> None:
    signer = Signer(appsync.Credentials("AKIDEXAMPLE", "secret"), "us-east-1", "appsync")
    url = "https://h.example/graphql"
    for _ in range(5):  # the three signatures must fall in the same second to be comparable
        forms = [
            signer.sign("POST", url, {"x-a": "1", "content-type": "application/json"}, b'{"q":1}'),
            signer.sign("POST", url, [("x-a", b"1"), ("content-type", "application/json")], bytearray(b'{"q":1}')),
            signer.sign("POST", url, (("X-A", "1"), ("Content-Type", "application/json")), '{"q":1}'),
        ]
        if len({f["X-Amz-Date"] for f in forms}) == 1:
            break
    assert len({f["Authorization"] for f in forms}) == 1
    for _ in range(5):
        a, b = signer.sign("GET", url), signer.sign("GET", url, None, b"")
        if a["X-Amz-Date"] == b["X-Amz-Date"]:
            break
    assert a == b


def test_bad_arguments_raise_config_or_type_errors() -> None:
    credentials = appsync.Credentials("AKIDEXAMPLE", "secret")
    for region, service in [("", "appsync"), ("us east", "appsync"), ("us-east-1", "a/b")]:
        with pytest.raises(appsync.ConfigError) as raised:
            Signer(credentials, region, service)
        assert isinstance(raised.value, ValueError)
    signer = Signer(credentials, "us-east-1", "appsync")
    with pytest.raises(appsync.ConfigError):
        signer.sign("POST", "not a url")
    with pytest.raises(appsync.ConfigError):
        signer.sign("POST", "https://h.example/", {"bad name": "x"})
    with pytest.raises(appsync.ConfigError):
        signer.sign("POST", "https://h.example/", {"x-a": "line\nbreak"})
    with pytest.raises(TypeError):
        signer.sign("POST", "https://h.example/", {"x-a": 1})
    with pytest.raises(TypeError):
        signer.sign("POST", "https://h.example/", None, 42)  # type: ignore[arg-type]
    with pytest.raises(appsync.ConfigError):
        signer.presign("GET", "https://h.example/", 0)
    with pytest.raises(appsync.ConfigError):
        signer.presign("GET", "https://h.example/", datetime.timedelta(days=8))
    with pytest.raises(TypeError):
        Signer(object(), "us-east-1", "appsync")


def test_expired_credentials_raise_credentials_error() -> None:
    past = datetime.datetime(2020, 1, 1, tzinfo=datetime.timezone.utc)
    signer = Signer(appsync.Credentials("ASIAEXAMPLE", "secret", "token", past), "us-east-1", "appsync")
    with pytest.raises(appsync.CredentialsError):
        signer.sign("GET", "https://h.example/")
    with pytest.raises(appsync.ConfigError):
        appsync.Credentials("AKID", "secret", None, datetime.datetime(2030, 1, 1))  # naive: refused


def test_repr_never_shows_secrets() -> None:
    credentials = appsync.Credentials("AKIDEXAMPLE", "very-secret-key", "very-secret-token")
    for text in (repr(credentials), str(credentials), repr(Signer(credentials, "us-east-1", "appsync")),
                 repr(Signer(lambda: credentials, "us-east-1", "appsync"))):
        assert "very-secret" not in text, text
    assert "AKIDEXAMPLE" in repr(credentials)
    assert credentials.secret_access_key == "very-secret-key"
    assert credentials.session_token == "very-secret-token"
