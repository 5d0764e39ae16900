//! Hostile input to the verifier: whatever a client sends, [`Verifier::verify`] returns a typed
//! [`VerifyError`] and never panics, and it accepts nothing but the valid signed request (or one
//! that means exactly the same to SigV4: header names in another case, a signature in upper-case
//! hex, a query escape in lower-case hex).
//!
//! Covered: `Authorization` headers truncated at every position, duplicated (whole header and
//! each field), oversized (1 MB), not UTF-8, or missing each field; garbage `X-Amz-Date` values;
//! each presigning parameter missing, duplicated or oversized; whole signed requests (header and
//! presigned forms, with and without a session token) serialised as HTTP/1.1 and truncated at
//! every byte, or with random bytes flipped; random bytes in every header value and in the query;
//! arbitrary byte strings parsed as requests; 20,000 signed headers. Also
//! [`SignableRequest::new`] with arbitrary strings never panics, and neither do signing and
//! verifying whatever it accepts.

#![allow(clippy::expect_used, reason = "a failed expect is the test failing, with its message")]

use std::collections::HashMap;
use std::sync::OnceLock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use appsync_sigv4::{
    Credentials, MalformedPart, SignableBody, SignableRequest, SignatureLocation, SigningParams,
    SigningSettings, Verifier, VerifyError, VerifyErrorKind, sign,
};
use proptest::prelude::*;

const HOST: &str = "abcdefgh.appsync-api.us-east-1.amazonaws.com";
const AKID: &str = "ASIAEXAMPLEEXAMPLE12";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const TOKEN: &str =
    "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAe+MicRX=";
const BODY: &[u8] = br#"{"query":"query ListPosts { listPosts { items { id title } } }","variables":{}}"#;
/// 2026-11-24T12:34:56Z.
const SIGNED_AT: u64 = 1_795_523_696;

fn now() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(SIGNED_AT + 60)
}

/// A request as it arrives: what a server's HTTP parser hands the verifier.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Wire {
    method: String,
    target: String,
    headers: Vec<(String, Vec<u8>)>,
    body: Vec<u8>,
}

impl Wire {
    fn to_bytes(&self) -> Vec<u8> {
        let mut out = format!("{} {}\r\n", self.method, self.target).into_bytes();
        for (n, v) in &self.headers {
            out.extend_from_slice(n.as_bytes());
            out.extend_from_slice(b": ");
            out.extend_from_slice(v);
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(&self.body);
        out
    }

    /// A lenient HTTP/1.1 parse: `None` when there is no request line; header lines without a
    /// colon are dropped; names must be UTF-8 (the verifier's input type needs `&str`).
    fn parse(bytes: &[u8]) -> Option<Self> {
        let split = bytes.windows(4).position(|w| w == b"\r\n\r\n");
        let (head, body) = match split {
            Some(i) => (&bytes[..i], bytes[i + 4..].to_vec()),
            None => (bytes, Vec::new()),
        };
        let mut lines = split_crlf(head);
        let request_line = std::str::from_utf8(lines.next()?).ok()?;
        let (method, target) = request_line.split_once(' ')?;
        let mut headers = Vec::new();
        for line in lines {
            let Some(colon) = line.iter().position(|&b| b == b':') else { continue };
            let name = std::str::from_utf8(&line[..colon]).ok()?.to_owned();
            let value = line[colon + 1..].trim_ascii_start();
            let end = value.iter().rposition(|&b| b != b' ' && b != b'\t').map_or(0, |i| i + 1);
            headers.push((name, value[..end].to_vec()));
        }
        Some(Self { method: method.to_owned(), target: target.to_owned(), headers, body })
    }

    fn header_mut(&mut self, name: &str) -> Option<&mut Vec<u8>> {
        self.headers.iter_mut().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v)
    }

    fn without_header(&self, name: &str) -> Self {
        let mut w = self.clone();
        w.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        w
    }

    /// What SigV4 sees in the request; two requests with the same meaning may both verify.
    fn meaning(&self) -> Meaning {
        let (path, query) = self.target.split_once('?').map_or((self.target.as_str(), ""), |(p, q)| (p, q));
        let mut pairs: Vec<(Vec<u8>, Vec<u8>)> = query
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap_or((p, ""));
                let (k, mut v) = (form_decode(k), form_decode(v));
                if k == b"X-Amz-Signature" {
                    v.make_ascii_lowercase();
                }
                (k, v)
            })
            .collect();
        pairs.sort();
        let mut headers: Vec<(String, Vec<u8>)> = self
            .headers
            .iter()
            .map(|(n, v)| {
                let name = n.to_ascii_lowercase();
                let mut value = collapse_spaces(v);
                if name == "authorization"
                    && let Some(i) = value.windows(10).rposition(|w| w == b"Signature=")
                {
                    value[i + 10..].make_ascii_lowercase();
                }
                (name, value)
            })
            .collect();
        headers.sort_by(|a, b| a.0.cmp(&b.0));
        (self.method.clone(), path.to_owned(), pairs, headers, self.body.clone())
    }
}

type Meaning = (String, String, Vec<(Vec<u8>, Vec<u8>)>, Vec<(String, Vec<u8>)>, Vec<u8>);

fn split_crlf(bytes: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = Some(bytes);
    std::iter::from_fn(move || {
        let r = rest?;
        match r.windows(2).position(|w| w == b"\r\n") {
            Some(i) => {
                rest = Some(&r[i + 2..]);
                Some(&r[..i])
            }
            None => {
                rest = None;
                Some(r)
            }
        }
    })
}

fn form_decode(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let hex = |c: u8| char::from(c).to_digit(16);
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match (b[i], b.get(i + 1).copied().and_then(hex), b.get(i + 2).copied().and_then(hex)) {
            (b'%', Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
            (b'+', ..) => out.push(b' '),
            (c, ..) => out.push(c),
        }
        i += 1;
    }
    out
}

fn collapse_spaces(v: &[u8]) -> Vec<u8> {
    let trimmed = v.trim_ascii();
    let mut out = Vec::with_capacity(trimmed.len());
    for &b in trimmed {
        if b == b' ' && out.last() == Some(&b' ') {
            continue;
        }
        out.push(b);
    }
    out
}

fn credentials(token: bool) -> Credentials {
    Credentials::new(AKID, SECRET, token.then(|| TOKEN.to_owned()), None)
}

fn verifier(token: bool) -> Verifier<HashMap<String, Credentials>> {
    Verifier::new(HashMap::from([(AKID.to_owned(), credentials(token))]), "us-east-1", "appsync")
}

/// A valid signed request: header form (with `x-amz-content-sha256`) or presigned, with or
/// without a session token.
fn signed(presigned: bool, token: bool) -> Wire {
    let target = "/v1/items?limit=10&next=a%2Fb&flag";
    let headers: [(&str, &[u8]); 2] = [("Content-Type", b"application/json"), ("x-custom", b"a  b")];
    let url = format!("https://{HOST}{target}");
    let request = SignableRequest::new("POST", &url, headers, SignableBody::Bytes(BODY)).expect("valid");
    let mut settings = SigningSettings::default();
    if presigned {
        settings.location = SignatureLocation::QueryParams { expires_in: Duration::from_secs(3600) };
    } else {
        settings.content_sha256_header = true;
    }
    let creds = credentials(token);
    let params =
        SigningParams::new(&creds, "us-east-1", "appsync", UNIX_EPOCH + Duration::from_secs(SIGNED_AT))
            .settings(settings);
    let output = sign(&request, &params).expect("signs");
    let mut headers: Vec<(String, String)> =
        headers.iter().map(|(n, v)| ((*n).to_owned(), String::from_utf8_lossy(v).into_owned())).collect();
    headers.insert(0, ("Host".to_owned(), HOST.to_owned()));
    output.apply_to_headers(&mut headers);
    Wire {
        method: "POST".to_owned(),
        target: output.presigned_uri(target),
        headers: headers.into_iter().map(|(n, v)| (n, v.into_bytes())).collect(),
        body: BODY.to_vec(),
    }
}

/// The four valid requests: (presigned, token).
fn bases() -> Vec<(Wire, bool)> {
    static BASES: OnceLock<Vec<(Wire, bool)>> = OnceLock::new();
    BASES
        .get_or_init(|| {
            [(false, false), (false, true), (true, false), (true, true)]
                .into_iter()
                .map(|(presigned, token)| (signed(presigned, token), token))
                .collect()
        })
        .clone()
}

/// Verifies `wire`, or `None` when it is not even a request the verifier could be given
/// (`SignableRequest::new` refuses it: bad target, header name or value bytes).
fn verify(wire: &Wire, token: bool) -> Option<Result<(), VerifyError>> {
    let request = SignableRequest::new(
        &wire.method,
        &wire.target,
        wire.headers.iter().map(|(n, v)| (n.as_str(), v.as_slice())),
        SignableBody::Bytes(&wire.body),
    )
    .ok()?;
    let verdict = verifier(token).verify(&request, now()).map(|_| ());
    if let Err(e) = &verdict {
        // Formatting is part of the error's contract too.
        assert!(!format!("{e}").is_empty() && !format!("{e:?}").is_empty());
    }
    Some(verdict)
}

fn kind(wire: &Wire, token: bool) -> VerifyErrorKind {
    match verify(wire, token) {
        Some(Err(e)) => e.kind().clone(),
        Some(Ok(())) => panic!("accepted: {wire:?}"),
        None => panic!("not a valid verifier input: {wire:?}"),
    }
}

fn malformed(part: MalformedPart) -> impl Fn(&VerifyErrorKind) -> bool {
    move |k| matches!(k, VerifyErrorKind::Malformed { part: p, .. } if *p == part)
}

/// Accepted only if it means what the valid request means.
fn check_mutant(mutant: &Wire, original: &Wire, token: bool) -> Result<(), TestCaseError> {
    if let Some(Ok(())) = verify(mutant, token) {
        prop_assert_eq!(mutant.meaning(), original.meaning(), "a changed request was accepted: {:?}", mutant);
    }
    Ok(())
}

fn authz(wire: &Wire) -> String {
    let v = wire.headers.iter().find(|(n, _)| n == "Authorization").map(|(_, v)| v.clone());
    String::from_utf8(v.expect("header form")).expect("ascii")
}

fn with_authz(wire: &Wire, value: impl Into<Vec<u8>>) -> Wire {
    let mut w = wire.clone();
    *w.header_mut("authorization").expect("header form") = value.into();
    w
}

#[test]
fn the_valid_requests_verify_and_survive_serialisation() {
    for (wire, token) in bases() {
        assert!(matches!(verify(&wire, token), Some(Ok(()))), "{wire:?}");
        let reparsed = Wire::parse(&wire.to_bytes()).expect("parses");
        assert_eq!(reparsed, wire);
    }
}

#[test]
fn truncated_at_every_byte() {
    for (wire, token) in bases() {
        let bytes = wire.to_bytes();
        for end in 0..bytes.len() {
            let Some(cut) = Wire::parse(&bytes[..end]) else { continue };
            if let Some(verdict) = verify(&cut, token) {
                assert!(verdict.is_err(), "accepted a request cut at {end}: {cut:?}");
            }
        }
    }
}

#[test]
fn authorization_truncated_at_every_position() {
    for (wire, token) in bases().into_iter().filter(|(w, _)| !w.target.contains("X-Amz-Signature")) {
        let value = authz(&wire);
        for end in 0..value.len() {
            let verdict = verify(&with_authz(&wire, &value.as_bytes()[..end]), token);
            assert!(matches!(verdict, Some(Err(_))), "cut at {end}: {verdict:?}");
        }
    }
}

#[test]
fn presigned_target_truncated_at_every_position() {
    for (wire, token) in bases().into_iter().filter(|(w, _)| w.target.contains("X-Amz-Signature")) {
        for end in 0..wire.target.len() {
            let mut cut = wire.clone();
            cut.target.truncate(end);
            if let Some(verdict) = verify(&cut, token) {
                assert!(verdict.is_err(), "cut at {end}: {}", cut.target);
            }
        }
    }
}

#[test]
fn authorization_not_utf8_duplicated_or_missing_fields() {
    let wire = signed(false, true);
    let value = authz(&wire);

    let mut bytes = value.clone().into_bytes();
    bytes[30] = 0xFF;
    assert!(malformed(MalformedPart::Algorithm)(&kind(&with_authz(&wire, bytes), true)));
    assert!(malformed(MalformedPart::Algorithm)(&kind(&with_authz(&wire, &[0xC3, 0x28][..]), true)));

    let mut twice = wire.clone();
    twice.headers.push(("authorization".to_owned(), value.clone().into_bytes()));
    assert!(malformed(MalformedPart::Duplicate)(&kind(&twice, true)));

    let (algorithm, fields) = value.split_once(' ').expect("algorithm");
    let fields: Vec<&str> = fields.split(", ").collect();
    assert_eq!(fields.len(), 3);
    for (i, part) in [MalformedPart::Credential, MalformedPart::SignedHeaders, MalformedPart::Signature]
        .into_iter()
        .enumerate()
    {
        // Each field missing.
        let rest: Vec<&str> = fields.iter().enumerate().filter(|(j, _)| *j != i).map(|(_, f)| *f).collect();
        let k = kind(&with_authz(&wire, format!("{algorithm} {}", rest.join(", "))), true);
        assert!(malformed(part)(&k), "without field {i}: {k:?}");
        // Each field twice.
        let mut doubled = fields.clone();
        doubled.push(fields[i]);
        let k = kind(&with_authz(&wire, format!("{algorithm} {}", doubled.join(", "))), true);
        assert!(malformed(MalformedPart::Duplicate)(&k), "field {i} twice: {k:?}");
        // Each field empty.
        let key = fields[i].split_once('=').expect("key=value").0;
        let mut emptied = fields.clone();
        let empty = format!("{key}=");
        emptied[i] = &empty;
        let k = kind(&with_authz(&wire, format!("{algorithm} {}", emptied.join(", "))), true);
        assert!(matches!(k, VerifyErrorKind::Malformed { .. }), "field {i} empty: {k:?}");
    }
    for bad in [
        String::new(),
        "AWS4-HMAC-SHA256".to_owned(),
        "AWS4-HMAC-SHA256 ".to_owned(),
        "Bearer abc".to_owned(),
        "AWS4-ECDSA-P256-SHA256 Credential=x".to_owned(),
        "aws4-hmac-sha256 ".to_owned() + fields.join(", ").as_str(),
        format!("{algorithm} {}", fields.join(",,")),
        format!("{algorithm} {}", fields.join("; ")),
        format!("{algorithm} Credential, SignedHeaders, Signature"),
        format!("{algorithm} {}, Extra=1", fields.join(", ")),
        format!("{algorithm} {}", fields.join(", ").replace(AKID, "")),
        format!("{algorithm} {}", fields.join(", ").replace("/aws4_request", "")),
        format!("{algorithm} {}", fields.join(", ").replace("/aws4_request", "/aws4_request/x")),
        format!("{algorithm} {}", fields.join(", ").replace("host", "HOST")),
        format!("{algorithm} {}", fields.join(", ").replace("content-type;host", "host;content-type")),
        format!(
            "{algorithm} {}",
            fields.join(", ").replace("content-type;host", "content-type;content-type;host")
        ),
        format!("{algorithm} {}", fields.join(", ").replace(";x-amz-date", "")),
        format!("{algorithm} {}", fields.join(", ").replace("SignedHeaders=", "SignedHeaders=;")),
    ] {
        let verdict = verify(&with_authz(&wire, bad.clone()), true);
        assert!(matches!(verdict, Some(Err(_))), "{bad}: {verdict:?}");
    }
    // Without the header: the request is simply unsigned.
    assert_eq!(kind(&wire.without_header("authorization"), true), VerifyErrorKind::Missing);
}

#[test]
fn oversized_fields_are_rejected_quickly() {
    const MB: usize = 1 << 20;
    let wire = signed(false, true);
    let value = authz(&wire);
    let (algorithm, fields) = value.split_once(' ').expect("algorithm");
    let started = std::time::Instant::now();
    let huge_names: String = (0..MB / 8).map(|i| format!("h{i:06};")).collect();
    for bad in [
        "A".repeat(MB),
        format!("{value}{}", "0".repeat(MB)),
        format!("{value}, {}", "Signature=0".repeat(MB / 11)),
        format!("{algorithm} Credential={}, {}", "A".repeat(MB), fields.split_once(", ").expect("fields").1),
        value.replace("SignedHeaders=", &format!("SignedHeaders={huge_names}")),
        format!("{value}{}", ", Credential=x".repeat(MB / 14)),
        format!("{algorithm} {}", " ".repeat(MB)),
        format!("{algorithm} {}", ",".repeat(MB)),
    ] {
        let verdict = verify(&with_authz(&wire, bad), true);
        assert!(matches!(verdict, Some(Err(_))), "{verdict:?}");
    }
    // A 1 MB date, token, hash, custom signed header, query and body.
    for (name, value) in [
        ("x-amz-date", vec![b'2'; MB]),
        ("x-amz-security-token", vec![b'A'; MB]),
        ("x-amz-content-sha256", vec![b'a'; MB]),
        ("x-custom", vec![b'x'; MB]),
        ("host", vec![b'h'; MB]),
    ] {
        let mut w = wire.clone();
        *w.header_mut(name).expect("present") = value;
        assert!(matches!(verify(&w, true), Some(Err(_))), "1 MB {name}");
    }
    let mut w = wire.clone();
    w.target.push_str(&"&k=v".repeat(MB / 4));
    assert_eq!(kind(&w, true), VerifyErrorKind::SignatureMismatch);
    let mut w = wire.clone();
    w.body = vec![b'{'; MB];
    assert_eq!(kind(&w, true), VerifyErrorKind::PayloadHashMismatch);
    let presigned = signed(true, true);
    for param in
        ["X-Amz-Credential=", "X-Amz-SignedHeaders=", "X-Amz-Signature=", "X-Amz-Expires=", "X-Amz-Date="]
    {
        let mut w = presigned.clone();
        w.target = w.target.replace(param, &format!("{param}{}", "9".repeat(MB)));
        assert!(matches!(verify(&w, true), Some(Err(_))), "1 MB {param}");
    }
    // Generous for a debug build on a shared machine; a quadratic parser would take minutes.
    assert!(started.elapsed() < Duration::from_secs(60), "took {:?}", started.elapsed());
}

/// 20,000 headers, all signed: verifying must not cost a scan of every header per signed name.
/// Before the verifier indexed them that was quadratic (3.4 s for 5,000 headers in a debug build,
/// so about a minute for these); now it is about a second.
#[test]
fn thousands_of_signed_headers_verify_quickly() {
    let names: Vec<String> = (0..20_000).rev().map(|i| format!("x-h{i:05}")).collect();
    let url = format!("https://{HOST}/");
    let pairs = names.iter().map(|n| (n.as_str(), &b"v"[..]));
    let request = SignableRequest::new("GET", &url, pairs, SignableBody::Bytes(b"")).expect("valid");
    let creds = credentials(false);
    let time = UNIX_EPOCH + Duration::from_secs(SIGNED_AT);
    let output = sign(&request, &SigningParams::new(&creds, "us-east-1", "appsync", time)).expect("signs");
    let mut headers: Vec<(String, String)> = names.iter().map(|n| (n.clone(), "v".to_owned())).collect();
    headers.push(("host".to_owned(), HOST.to_owned()));
    output.apply_to_headers(&mut headers);
    let wire = Wire {
        method: "GET".to_owned(),
        target: "/".to_owned(),
        headers: headers.into_iter().map(|(n, v)| (n, v.into_bytes())).collect(),
        body: Vec::new(),
    };
    let started = std::time::Instant::now();
    assert!(matches!(verify(&wire, false), Some(Ok(()))));
    let mut changed = wire.clone();
    changed.headers[12_345].1.push(b'x');
    assert_eq!(kind(&changed, false), VerifyErrorKind::SignatureMismatch);
    assert!(started.elapsed() < Duration::from_secs(10), "took {:?}", started.elapsed());
}

#[test]
fn garbage_dates_are_malformed() {
    let wire = signed(false, true);
    for date in [
        &b""[..],
        b"2026",
        b"20261124T123456",
        b"20261124T123456z",
        b"20261124t123456Z",
        b"2026-11-24T12:34:56Z",
        b"20261324T123456Z",
        b"20261100T123456Z",
        b"20260229T123456Z",
        b"20261131T123456Z",
        b"20261124T243456Z",
        b"20261124T126056Z",
        b"20261124T123460Z",
        b"19691231T235959Z",
        b"00000000T000000Z",
        b"99999999T999999Z",
        b"+2026112T123456Z",
        b"2026112 T123456Z",
        b"20261124T12345\xFFZ",
        b"\xEF\xBC\x92\xEF\xBC\x90\xEF\xBC\x92\xEF\xBC\x96",
        b"Tue, 24 Nov 2026 12:34:56 GMT",
        b"20261124T123456Z20261124T123456Z",
    ] {
        let mut w = wire.clone();
        *w.header_mut("x-amz-date").expect("date") = date.to_vec();
        let k = kind(&w, true);
        assert!(malformed(MalformedPart::Date)(&k), "{}: {k:?}", String::from_utf8_lossy(date));
    }
    // Well-formed but another moment: the scope's date or the signature no longer matches.
    for date in ["20240229T000000Z", "20261124T123457Z", "99991231T235959Z", "19700101T000000Z"] {
        let mut w = wire.clone();
        *w.header_mut("x-amz-date").expect("date") = date.as_bytes().to_vec();
        assert!(matches!(verify(&w, true), Some(Err(_))), "{date}");
    }
    assert!(malformed(MalformedPart::Date)(&kind(&wire.without_header("x-amz-date"), true)));
    let mut twice = wire.clone();
    twice.headers.push(("X-Amz-Date".to_owned(), b"20261124T123456Z".to_vec()));
    assert!(malformed(MalformedPart::Duplicate)(&kind(&twice, true)));
}

#[test]
fn presigned_parameters_missing_duplicated_or_garbage() {
    let wire = signed(true, true);
    let (path, query) = wire.target.split_once('?').expect("query");
    let pairs: Vec<&str> = query.split('&').collect();
    let with_pairs = |pairs: &[String]| {
        let mut w = wire.clone();
        w.target = format!("{path}?{}", pairs.join("&"));
        w
    };
    for (i, pair) in pairs.iter().enumerate() {
        let Some(name) = pair.split_once('=').map(|(k, _)| k).filter(|k| k.starts_with("X-Amz-")) else {
            continue;
        };
        let mut rest: Vec<String> = pairs.iter().map(|p| (*p).to_owned()).collect();
        rest.remove(i);
        let k = kind(&with_pairs(&rest), true);
        let expected_ok = match name {
            // Without the algorithm the request is not presigned at all.
            "X-Amz-Algorithm" => k == VerifyErrorKind::Missing,
            "X-Amz-Credential" => malformed(MalformedPart::Credential)(&k),
            "X-Amz-Date" => malformed(MalformedPart::Date)(&k),
            "X-Amz-Expires" => malformed(MalformedPart::Expires)(&k),
            "X-Amz-SignedHeaders" => malformed(MalformedPart::SignedHeaders)(&k),
            "X-Amz-Signature" => malformed(MalformedPart::Signature)(&k),
            "X-Amz-Security-Token" => k == VerifyErrorKind::InvalidSessionToken,
            other => panic!("unexpected parameter {other}"),
        };
        assert!(expected_ok, "without {name}: {k:?}");
        let mut doubled: Vec<String> = pairs.iter().map(|p| (*p).to_owned()).collect();
        doubled.push((*pair).to_owned());
        assert!(malformed(MalformedPart::Duplicate)(&kind(&with_pairs(&doubled), true)), "{name} twice");
        for garbage in ["", "%", "%FF%FE", "x", "-1", "99999999999999999999999", "AWS4-HMAC-SHA256%00"] {
            let mut changed: Vec<String> = pairs.iter().map(|p| (*p).to_owned()).collect();
            changed[i] = format!("{name}={garbage}");
            assert!(matches!(verify(&with_pairs(&changed), true), Some(Err(_))), "{name}={garbage}");
        }
    }
    let mut both = wire.clone();
    both.headers.push(("Authorization".to_owned(), authz(&signed(false, true)).into_bytes()));
    assert_eq!(kind(&both, true), VerifyErrorKind::Ambiguous);
}

fn strip_forbidden(mut v: Vec<u8>) -> Vec<u8> {
    for b in &mut v {
        if matches!(*b, b'\r' | b'\n' | 0) {
            *b = b'?';
        }
    }
    v
}

/// Names an attacker would aim at: the signature's own headers and the signed ones.
const TARGET_NAMES: &[&str] =
    &["authorization", "x-amz-date", "x-amz-security-token", "x-amz-content-sha256", "host", "content-type"];

proptest! {
    #![proptest_config(ProptestConfig { cases: 10_000, failure_persistence: None, ..ProptestConfig::default() })]

    /// Random bytes flipped anywhere in the serialised request.
    #[test]
    fn flipped_bytes(base in 0usize..4, flips in prop::collection::vec((any::<prop::sample::Index>(), 1u8..=255), 1..5)) {
        let (wire, token) = bases().swap_remove(base);
        let mut bytes = wire.to_bytes();
        for (at, mask) in &flips {
            let i = at.index(bytes.len());
            bytes[i] ^= mask;
        }
        if let Some(mutant) = Wire::parse(&bytes) {
            check_mutant(&mutant, &wire, token)?;
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3_000, failure_persistence: None, ..ProptestConfig::default() })]

    /// Random bytes as the value of each header in turn.
    #[test]
    fn random_header_values(base in 0usize..4, pick in any::<prop::sample::Index>(), value in prop::collection::vec(any::<u8>(), 0..300)) {
        let (wire, token) = bases().swap_remove(base);
        let mut mutant = wire.clone();
        let i = pick.index(mutant.headers.len());
        mutant.headers[i].1 = strip_forbidden(value);
        check_mutant(&mutant, &wire, token)?;
    }

    /// An extra copy of a header that matters, with random bytes.
    #[test]
    fn random_extra_headers(base in 0usize..4, pick in any::<prop::sample::Index>(), value in prop::collection::vec(any::<u8>(), 0..300)) {
        let (wire, token) = bases().swap_remove(base);
        // Presigned requests ignore the signature headers (adding one changes nothing signed), so
        // only the ones they sign, and `authorization`, are added to them.
        let names = if wire.target.contains("X-Amz-Signature") { &["authorization", "host", "content-type"][..] } else { TARGET_NAMES };
        let mut mutant = wire.clone();
        mutant.headers.push((pick.get(names).to_string(), strip_forbidden(value)));
        prop_assert!(matches!(verify(&mutant, token), Some(Err(_)) | None));
    }

    /// A random query in place of the real one (for presigned requests: with the signature's
    /// parameters, shuffled in among random ones).
    #[test]
    fn random_query(base in 0usize..4, query in any::<String>(), keep_signature in any::<bool>()) {
        let (wire, token) = bases().swap_remove(base);
        let (path, real) = wire.target.split_once('?').expect("query");
        let mut mutant = wire.clone();
        let presigned_params: Vec<&str> = real.split('&').filter(|p| p.starts_with("X-Amz-")).collect();
        mutant.target = if keep_signature && !presigned_params.is_empty() {
            format!("{path}?{query}&{}", presigned_params.join("&"))
        } else {
            format!("{path}?{query}")
        };
        check_mutant(&mutant, &wire, token)?;
    }

    /// Arbitrary bytes parsed as a request: never accepted.
    #[test]
    fn arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..2_000), token in any::<bool>()) {
        if let Some(wire) = Wire::parse(&bytes) {
            prop_assert!(!matches!(verify(&wire, token), Some(Ok(()))));
        }
    }

    /// Arbitrary values in the signature's headers and parameters, on a plausible request.
    #[test]
    fn arbitrary_signature_fields(
        headers in prop::collection::vec((prop::sample::select(TARGET_NAMES), prop::collection::vec(any::<u8>(), 0..120)), 0..8),
        query in prop::collection::vec(
            (prop::sample::select(&["X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires",
                "X-Amz-SignedHeaders", "X-Amz-Signature", "X-Amz-Security-Token", "x"][..]),
             prop_oneof![any::<String>(), Just("AWS4-HMAC-SHA256".to_owned()), Just(format!("{AKID}%2F20261124%2Fus-east-1%2Fappsync%2Faws4_request")), Just("20261124T123456Z".to_owned()), Just("0".repeat(64))]),
            0..8),
        token in any::<bool>(),
    ) {
        let query: Vec<String> = query.into_iter().map(|(k, v)| format!("{k}={v}")).collect();
        let wire = Wire {
            method: "POST".to_owned(),
            target: format!("/v1/items?{}", query.join("&")),
            headers: headers.into_iter().map(|(n, v)| (n.to_owned(), strip_forbidden(v))).collect(),
            body: BODY.to_vec(),
        };
        prop_assert!(!matches!(verify(&wire, token), Some(Ok(()))));
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 5_000, failure_persistence: None, ..ProptestConfig::default() })]

    /// `SignableRequest::new` takes anything without panicking, and signing and verifying what it
    /// accepts do not panic either.
    #[test]
    fn signable_request_new_never_panics(
        method in prop_oneof![any::<String>(), Just("GET".to_owned())],
        uri in prop_oneof![
            any::<String>(),
            "(https?|HTTPS|ws|x-y\\+z|)://[^/?#]{0,24}(/[^?#]{0,24})?(\\?.{0,24})?(#.{0,8})?",
            "/[^?#]{0,24}(\\?.{0,24})?",
        ],
        headers in prop::collection::vec(
            (prop_oneof![any::<String>(), prop::sample::select(TARGET_NAMES).prop_map(str::to_owned)], prop::collection::vec(any::<u8>(), 0..40)),
            0..6),
        body in prop::collection::vec(any::<u8>(), 0..64),
        presign in prop::option::of(0u64..700_000),
        time in prop_oneof![any::<u64>(), 0u64..300_000_000_000],
    ) {
        let Ok(request) = SignableRequest::new(
            &method,
            &uri,
            headers.iter().map(|(n, v)| (n.as_str(), v.as_slice())),
            SignableBody::Bytes(&body),
        ) else {
            return Ok(());
        };
        let _ = (request.method(), request.path(), request.query(), request.headers(), request.body());
        let creds = credentials(presign.is_some_and(|p| p % 2 == 0));
        let mut settings = SigningSettings::default();
        if let Some(secs) = presign {
            settings.location = SignatureLocation::QueryParams { expires_in: Duration::from_secs(secs) };
        }
        let time = UNIX_EPOCH.checked_add(Duration::from_secs(time)).unwrap_or(UNIX_EPOCH);
        let params = SigningParams::new(&creds, "us-east-1", "appsync", time).settings(settings);
        if let Ok(output) = sign(&request, &params) {
            let uri = output.presigned_uri(&uri);
            let mut headers = Vec::new();
            output.apply_to_headers(&mut headers);
            let _ = format!("{output:?}{}{}", output.canonical_request(), output.string_to_sign());
            if let Ok(signed) = SignableRequest::new(
                &method,
                &uri,
                headers.iter().map(|(n, v)| (n.as_str(), v.as_bytes())),
                SignableBody::Bytes(&body),
            ) {
                let _ = verifier(true).verify(&signed, time);
            }
        }
        let _ = verifier(false).verify(&request, time);
    }
}
