//! Signing cost against `aws-sigv4` and against the floor: the SHA-256 and HMAC work any SigV4
//! signer must do. Run with `cargo bench -p appsync-sigv4 --bench sign`; BENCHMARKS.md has the
//! figures and how to read them.

use std::collections::HashMap;
use std::hint::black_box;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use appsync_sigv4::{Credentials, SignableBody, SignableRequest, SigningParams, Verifier};
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};

#[path = "support/floor.rs"]
mod support_floor;
use support_floor::floor;

const URL: &str = "https://example123456789012345678.appsync-api.us-east-1.amazonaws.com/graphql";
const AKID: &str = "ASIAEXAMPLEEXAMPLE12";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
/// An STS session token of typical length.
const TOKEN: &str = "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA==";

fn time() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_795_000_000)
}

/// A 188-byte AppSync query body, or a body of `len` bytes of the same shape.
fn body(len: usize) -> Vec<u8> {
    let base = br#"{"query":"query ListPosts { listPosts { items { id title author } } }","variables":{}}"#;
    let mut b = base.to_vec();
    if len > b.len() {
        // Pad inside the variables object so it stays valid JSON.
        b.truncate(b.len() - 2);
        b.extend_from_slice(br#""pad":""#);
        while b.len() < len - 3 {
            b.push(b'x');
        }
        b.extend_from_slice(br#""}}"#);
    }
    while b.len() < len {
        b.insert(b.len() - 1, b' ');
    }
    b
}

fn http_request(body: &[u8]) -> http::Request<Vec<u8>> {
    http_request_to(URL, body)
}

fn http_request_to(url: &str, body: &[u8]) -> http::Request<Vec<u8>> {
    http::Request::post(url)
        .header("content-type", "application/json")
        .body(body.to_vec())
        .unwrap_or_else(|_| unreachable!("static request is valid"))
}

fn ours_sign(req: &http::Request<Vec<u8>>, creds: &Credentials) -> appsync_sigv4::SigningOutput {
    let signable = SignableRequest::from_http(req, SignableBody::Bytes(req.body()));
    appsync_sigv4::sign(&signable, &SigningParams::new(creds, "us-east-1", "appsync", time()))
        .unwrap_or_else(|e| panic!("sign: {e}"))
}

fn ours(req: &mut http::Request<Vec<u8>>, creds: &Credentials) {
    let out = ours_sign(req, creds);
    out.apply_to_request(req).unwrap_or_else(|e| panic!("apply: {e}"));
}

fn theirs_sign(
    req: &http::Request<Vec<u8>>,
    identity: &aws_smithy_runtime_api::client::identity::Identity,
) -> aws_sigv4::http_request::SigningInstructions {
    use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
    let params = aws_sigv4::sign::v4::SigningParams::builder()
        .identity(identity)
        .region("us-east-1")
        .name("appsync")
        .time(time())
        .settings(SigningSettings::default())
        .build()
        .unwrap_or_else(|e| panic!("params: {e}"))
        .into();
    let signable = SignableRequest::new(
        req.method().as_str(),
        req.uri().to_string(),
        req.headers().iter().map(|(k, v)| (k.as_str(), v.to_str().unwrap_or_default())),
        SignableBody::Bytes(req.body()),
    )
    .unwrap_or_else(|e| panic!("signable: {e}"));
    sign(signable, &params).unwrap_or_else(|e| panic!("sign: {e}")).into_parts().0
}

fn theirs(req: &mut http::Request<Vec<u8>>, identity: &aws_smithy_runtime_api::client::identity::Identity) {
    theirs_sign(req, identity).apply_to_request_http1x(req);
}

fn bench_size(c: &mut Criterion, label: &str, len: usize) {
    let body = body(len);
    assert_eq!(body.len(), len);
    let creds = Credentials::new(AKID, SECRET, Some(TOKEN.into()), None);
    let identity =
        aws_credential_types::Credentials::new(AKID, SECRET, Some(TOKEN.into()), None, "bench").into();

    // Sizes of the real intermediate stages, for the floor.
    let req = http_request(&body);
    let signable = SignableRequest::from_http(&req, SignableBody::Bytes(&body));
    let out = appsync_sigv4::sign(&signable, &SigningParams::new(&creds, "us-east-1", "appsync", time()))
        .unwrap_or_else(|e| panic!("sign: {e}"));
    let creq = out.canonical_request().as_bytes().to_vec();
    let sts = out.string_to_sign().as_str().as_bytes()[..out.string_to_sign().as_str().len() - 64].to_vec();
    let key = *appsync_sigv4::derive_signing_key(SECRET, "20261108", "us-east-1", "appsync");

    let mut g = c.benchmark_group(format!("sign_{label}"));
    g.throughput(Throughput::Elements(1));
    g.bench_function("floor", |b| b.iter(|| floor(black_box(&body), black_box(&creq), &sts, &key)));
    let fixed = http_request(&body);
    g.bench_function("appsync_sigv4_sign_only", |b| b.iter(|| ours_sign(black_box(&fixed), &creds)));
    // Two requests in turn (the path differs): the bad case of the per-thread memo of the
    // canonical request, which serves one signature in four of them.
    let other = http_request_to(&format!("{URL}/other"), &body);
    let mut turn = false;
    g.bench_function("appsync_sigv4_sign_only_alternating", |b| {
        b.iter(|| {
            turn = !turn;
            ours_sign(black_box(if turn { &fixed } else { &other }), &creds)
        })
    });
    g.bench_function("aws_sigv4_sign_only", |b| b.iter(|| theirs_sign(black_box(&fixed), &identity)));
    g.bench_function("appsync_sigv4", |b| {
        b.iter_batched_ref(|| http_request(&body), |r| ours(r, &creds), BatchSize::SmallInput)
    });
    g.bench_function("aws_sigv4", |b| {
        b.iter_batched_ref(|| http_request(&body), |r| theirs(r, &identity), BatchSize::SmallInput)
    });
    g.bench_function("appsync_sigv4_cold_key", |b| {
        b.iter_batched_ref(
            || (http_request(&body), Credentials::new(AKID, SECRET, Some(TOKEN.into()), None)),
            |(r, fresh)| ours(r, fresh),
            BatchSize::SmallInput,
        )
    });
    g.finish();
}

fn bench_sign(c: &mut Criterion) {
    bench_size(c, "188B", 188);
    bench_size(c, "10KiB", 10 * 1024);
}

fn bench_verify(c: &mut Criterion) {
    let body = body(188);
    let creds = Credentials::new(AKID, SECRET, Some(TOKEN.into()), None);
    let mut req = http_request(&body);
    ours(&mut req, &creds);
    let (mut parts, body) = req.into_parts();
    // As a server receives it: origin-form URI and a Host header.
    parts.headers.insert(
        "host",
        http::HeaderValue::from_static("example123456789012345678.appsync-api.us-east-1.amazonaws.com"),
    );
    parts.uri = http::Uri::from_static("/graphql");
    let verifier = Verifier::new(HashMap::from([(AKID.to_owned(), creds.clone())]), "us-east-1", "appsync");
    let mut g = c.benchmark_group("verify_188B");
    g.bench_function("appsync_sigv4", |b| {
        b.iter(|| {
            let signable = SignableRequest::from_http_parts(&parts, SignableBody::Bytes(&body));
            verifier.verify(black_box(&signable), time()).unwrap_or_else(|e| panic!("verify: {e}"))
        })
    });
    g.finish();
}

criterion_group!(benches, bench_sign, bench_verify);
criterion_main!(benches);
