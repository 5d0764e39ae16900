//! AWS's SigV4a test suite (`tests/data/v4a`, see `tests/data/SOURCE.md`): one test per case,
//! each checking the derived key, the canonical request, the string to sign and the signed
//! request, in both the `Authorization` header and the presigned-URL forms.
//!
//! ECDSA signatures are randomised (AWS's) or deterministic per key and message (ours), so a
//! SigV4a signature is never compared with the suite's: each case checks that the key derived
//! from `context.json`'s credentials is the suite's `public-key.json`, that the suite's own
//! signatures verify with that key over the suite's strings to sign (and a changed string does
//! not), and that ours verify too; the signed requests are compared with the signature left out.
//! The cases read as in `vectors.rs` (the same three are single-encoded).

#![allow(clippy::expect_used, reason = "a failed expect is the test failing, with its message")]
#![cfg(feature = "sigv4a")]

use std::fs;
use std::path::PathBuf;
use std::time::Duration;

use appsync_sigv4::{
    SigV4aKey, SignableBody, SignableRequest, SignatureLocation, SigningParams, sign_v4a, verify_v4a,
};
use serde::Deserialize;

#[macro_use]
#[path = "support/suite_cases.rs"]
mod suite_cases;
#[path = "support/suite.rs"]
mod suite;
use suite::{Case, header_multiset, host_of, load, parse_request, query_multiset, read};

/// Which suite `suite` reads.
const SUITE: &str = "v4a";

#[derive(Deserialize)]
struct PublicKey {
    #[serde(rename = "X")]
    x: String,
    #[serde(rename = "Y")]
    y: String,
}

fn file(name: &str, file: &str) -> String {
    read(name, file).unwrap_or_else(|| panic!("{name}/{file}"))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `Authorization` without its `Signature=...` (ECDSA signatures differ run to run at AWS).
fn unsigned(headers: &[(String, String)]) -> Vec<(String, String)> {
    let mut v = header_multiset(headers);
    for (name, value) in &mut v {
        if name == "authorization" {
            value.truncate(value.find(", Signature=").unwrap_or(value.len()));
        }
    }
    v
}

fn run(case: Case) {
    let name = case.name;
    let key = SigV4aKey::derive(&case.creds);
    let public = key.public_key();
    let expected: PublicKey =
        serde_json::from_str(&file(name, "public-key.json")).expect("public key parses");
    assert_eq!(public.len(), 65, "{name}: uncompressed SEC1 point");
    assert_eq!(public[0], 4, "{name}: uncompressed SEC1 point");
    assert_eq!(hex(&public[1..33]), expected.x.to_ascii_lowercase(), "{name}: public key X");
    assert_eq!(hex(&public[33..]), expected.y.to_ascii_lowercase(), "{name}: public key Y");
    for form in ["header", "query"] {
        let sts = file(name, &format!("{form}-string-to-sign.txt"));
        let signature = file(name, &format!("{form}-signature.txt"));
        assert!(
            verify_v4a(&public, sts.as_bytes(), signature.trim()),
            "{name}: the suite's {form} signature verifies with the derived key"
        );
        let mut changed = sts.clone().into_bytes();
        let last = changed.len() - 1;
        changed[last] ^= 1;
        assert!(!verify_v4a(&public, &changed, signature.trim()), "{name}: {form}: changed string to sign");
    }

    let parsed = parse_request(&file(name, "request.txt"));
    let url = format!("https://{}{}", host_of(&parsed), parsed.target);
    let headers: Vec<(&str, &[u8])> =
        parsed.headers.iter().map(|(n, v)| (n.as_str(), v.as_bytes())).collect();
    let request = SignableRequest::new(&parsed.method, &url, headers, SignableBody::Bytes(&parsed.body))
        .expect("request");

    // Header form.
    let params = SigningParams::new(&case.creds, &case.region, &case.service, case.time)
        .settings(case.settings.clone());
    let out = sign_v4a(&request, &params).expect("signs");
    assert_eq!(
        out.canonical_request().to_string(),
        file(name, "header-canonical-request.txt"),
        "{name}: header canonical request"
    );
    assert_eq!(
        out.string_to_sign().to_string(),
        file(name, "header-string-to-sign.txt"),
        "{name}: header string to sign"
    );
    assert!(
        verify_v4a(&public, out.string_to_sign().as_str().as_bytes(), out.signature()),
        "{name}: our header signature verifies"
    );
    let expected = parse_request(&file(name, "header-signed-request.txt"));
    let mut ours = parsed.headers.clone();
    for part in out.headers() {
        ours.retain(|(n, _)| !n.eq_ignore_ascii_case(part.name()));
        ours.push((part.name().to_owned(), part.value().to_owned()));
    }
    assert_eq!(unsigned(&ours), unsigned(&expected.headers), "{name}: header signed request");
    let authorization =
        ours.iter().find(|(n, _)| n == "Authorization").map(|(_, v)| v.as_str()).unwrap_or_default();
    assert!(
        authorization.ends_with(&format!("Signature={}", out.signature())),
        "{name}: Authorization carries the signature"
    );

    // Presigned-URL form.
    let mut settings = case.settings.clone();
    settings.location = SignatureLocation::QueryParams { expires_in: Duration::from_secs(case.expires) };
    settings.content_sha256_header = false;
    let params = SigningParams::new(&case.creds, &case.region, &case.service, case.time).settings(settings);
    let out = sign_v4a(&request, &params).expect("presigns");
    assert_eq!(
        out.canonical_request().to_string(),
        file(name, "query-canonical-request.txt"),
        "{name}: query canonical request"
    );
    assert_eq!(
        out.string_to_sign().to_string(),
        file(name, "query-string-to-sign.txt"),
        "{name}: query string to sign"
    );
    assert!(
        verify_v4a(&public, out.string_to_sign().as_str().as_bytes(), out.signature()),
        "{name}: our query signature verifies"
    );
    let expected = parse_request(&file(name, "query-signed-request.txt"));
    let without_signature = |target: &str| -> Vec<String> {
        query_multiset(target).into_iter().filter(|p| !p.starts_with("X-Amz-Signature=")).collect()
    };
    let presigned = out.presigned_uri(&parsed.target);
    assert_eq!(without_signature(&presigned), without_signature(&expected.target), "{name}: presigned query");
    assert!(
        presigned.contains(&format!("X-Amz-Signature={}", out.signature())),
        "{name}: the presigned URL carries the signature"
    );
}

shared_cases!(case_tests);

/// Every case directory has a test above: a new vendored case cannot be silently skipped.
#[test]
fn every_vendored_case_is_covered() {
    let listed: Vec<&str> = include_str!("support/suite_cases.rs")
        .lines()
        .filter_map(|l| l.split_once("=> \"").and_then(|(_, r)| r.split('"').next()))
        .collect();
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/v4a");
    let mut count = 0;
    for entry in fs::read_dir(dir).expect("data dir") {
        let name = entry.expect("entry").file_name().to_string_lossy().into_owned();
        count += 1;
        assert!(listed.contains(&name.as_str()), "case {name} has no test");
    }
    assert_eq!(count, 38, "the v4a suite has 38 cases");
}
