//! Property tests of signing and verification together: a request signed by [`sign`] always
//! verifies with [`Verifier`] (header and presigned forms, with and without session tokens, with
//! and without `x-amz-content-sha256`), and each kind of change to a signed request is rejected
//! with the reason a client would need: the method, the path, a query pair, a signed header's
//! value or the body (`SignatureMismatch`, or `PayloadHashMismatch` when the body hash is signed),
//! the time beyond the allowed skew (`ClockSkew`) or the presign lifetime (`Expired`), the region
//! or service (`ScopeMismatch`), the session token (`InvalidSessionToken`) and the access key
//! (`UnknownAccessKey`). Also checks that `Debug` of credentials and signing output, and
//! `Display`/`Debug` of every `VerifyError` produced here, never contain the secret key or the
//! session token.

#![allow(clippy::expect_used, reason = "a failed expect is the test failing, with its message")]

use std::collections::HashMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use appsync_sigv4::{
    Credentials, ScopeField, SignableBody, SignableRequest, SignatureLocation, SigningOutput, SigningParams,
    SigningSettings, VerifiedRequest, Verifier, VerifyError, VerifyErrorKind, sign,
};
use proptest::prelude::*;

const HOST: &str = "abcdefgh.appsync-api.eu-west-1.amazonaws.com";
const REGION: &str = "eu-west-1";
const SERVICE: &str = "appsync";
/// The verifier's default allowed clock skew.
const SKEW: u64 = 15 * 60;
const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const BASE64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=";

/// A request to sign, and how.
#[derive(Debug, Clone)]
struct Input {
    method: &'static str,
    /// Path and query as sent on the wire (origin form).
    target: String,
    /// Headers besides `host`, with distinct names.
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    access_key_id: String,
    secret: String,
    token: Option<String>,
    time: u64,
    presign: Option<u64>,
    content_sha256: bool,
    /// Seconds after (or before, when negative) the signing time that the request is received,
    /// within what the verifier must accept.
    delay: i64,
}

/// A signed request as a server receives it.
#[derive(Debug, Clone)]
struct Received {
    method: String,
    target: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Received {
    fn header_mut(&mut self, name: &str) -> Option<&mut String> {
        self.headers.iter_mut().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v)
    }
}

fn chars_from(set: &'static [u8], len: std::ops::Range<usize>) -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(set), len)
        .prop_map(|v| v.into_iter().map(char::from).collect::<String>())
}

fn pct_char(c: char) -> String {
    let mut buf = [0u8; 4];
    c.encode_utf8(&mut buf).bytes().map(|b| format!("%{b:02X}")).collect()
}

fn path() -> impl Strategy<Value = String> {
    let unit = prop_oneof![
        6 => chars_from(ALNUM, 1..6),
        1 => prop::sample::select(&["%20", "%25", ":", "@", "%3A", "-", "~", "+", "="][..]).prop_map(str::to_owned),
        2 => any::<char>().prop_map(pct_char),
    ];
    let segment = prop_oneof![
        1 => Just(String::new()),
        1 => Just(".".to_owned()),
        1 => Just("..".to_owned()),
        8 => prop::collection::vec(unit, 1..4).prop_map(|v| v.concat()),
    ];
    prop::collection::vec(segment, 0..5).prop_map(|segments| {
        let mut p = String::from("/");
        p.push_str(&segments.join("/"));
        p
    })
}

fn query_component() -> impl Strategy<Value = String> {
    let unit = prop_oneof![
        6 => chars_from(ALNUM, 1..5),
        1 => Just("+".to_owned()),
        2 => any::<char>().prop_map(pct_char),
    ];
    prop::collection::vec(unit, 0..4).prop_map(|v| v.concat())
}

fn query() -> impl Strategy<Value = Option<String>> {
    // Keys are prefixed so that they never collide with the presigning parameters.
    let pair = (chars_from(ALNUM, 1..6), query_component()).prop_map(|(k, v)| format!("q{k}={v}"));
    prop::option::of(prop::collection::vec(pair, 0..5).prop_map(|p| p.join("&")))
}

fn headers() -> impl Strategy<Value = Vec<(String, String)>> {
    let value = chars_from(
        b" !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~",
        0..24,
    );
    prop::collection::btree_map(chars_from(b"abcdefghijklmnopqrstuvwxyz-", 1..10), value, 0..6)
        .prop_map(|m| m.into_iter().map(|(n, v)| (format!("x-h-{n}"), v)).collect())
}

prop_compose! {
    fn input()(
        method in prop::sample::select(&["GET", "POST", "PUT", "DELETE", "PATCH"][..]),
        path in path(),
        query in query(),
        headers in headers(),
        body in prop::collection::vec(any::<u8>(), 0..512),
        access_key_id in chars_from(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16..21),
        // Prefixed so that a secret or token never matches other text by chance (shrinking makes
        // every field "AAAA...").
        secret in chars_from(BASE64, 36..37).prop_map(|s| format!("zSec{s}")),
        token in prop::option::of(prop_oneof![chars_from(BASE64, 12..300), chars_from(ALNUM, 12..40)].prop_map(|t| format!("zTok{t}"))),
        time in 946_684_800u64..4_102_444_800,
        presign in prop::option::of(prop_oneof![1u64..=3600, 1u64..=604_800]),
        content_sha256 in any::<bool>(),
        delay_fraction in 0.0f64..=1.0,
        early in any::<bool>(),
    ) -> Input {
        let target = match query {
            Some(q) => format!("{path}?{q}"),
            None => path,
        };
        // Received up to SKEW early, or up to SKEW (header) or the lifetime (presigned) late.
        let late_limit = presign.unwrap_or(SKEW) as f64;
        let delay = if early { -((SKEW as f64 * delay_fraction) as i64) } else { (late_limit * delay_fraction) as i64 };
        Input {
            method, target, headers, body, access_key_id, secret, token, time,
            presign, content_sha256: content_sha256 && presign.is_none(), delay,
        }
    }
}

fn at(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(secs)
}

fn credentials(input: &Input) -> Credentials {
    Credentials::new(input.access_key_id.clone(), input.secret.clone(), input.token.clone(), None)
}

fn verifier_for(creds: &Credentials) -> Verifier<HashMap<String, Credentials>> {
    Verifier::new(HashMap::from([(creds.access_key_id().to_owned(), creds.clone())]), REGION, SERVICE)
}

fn now_of(input: &Input) -> SystemTime {
    at(input.time.saturating_add_signed(input.delay))
}

/// Signs `input` for `region`/`service` and returns the request as the server receives it.
fn sign_as(input: &Input, creds: &Credentials, region: &str, service: &str) -> (Received, SigningOutput) {
    let url = format!("https://{HOST}{}", input.target);
    let request = SignableRequest::new(
        input.method,
        &url,
        input.headers.iter().map(|(n, v)| (n.as_str(), v.as_bytes())),
        SignableBody::Bytes(&input.body),
    )
    .expect("generated requests are valid");
    let mut settings = SigningSettings::default();
    settings.content_sha256_header = input.content_sha256;
    if let Some(secs) = input.presign {
        settings.location = SignatureLocation::QueryParams { expires_in: Duration::from_secs(secs) };
    }
    let params = SigningParams::new(creds, region, service, at(input.time)).settings(settings);
    let output = sign(&request, &params).expect("signs");
    let mut headers = input.headers.clone();
    headers.push(("Host".to_owned(), HOST.to_owned()));
    output.apply_to_headers(&mut headers);
    let received = Received {
        method: input.method.to_owned(),
        target: output.presigned_uri(&input.target),
        headers,
        body: input.body.clone(),
    };
    (received, output)
}

fn sign_input(input: &Input, creds: &Credentials) -> Received {
    sign_as(input, creds, REGION, SERVICE).0
}

fn verify<S: appsync_sigv4::CredentialStore>(
    verifier: &Verifier<S>,
    received: &Received,
    now: SystemTime,
) -> Result<VerifiedRequest, VerifyError> {
    let request = SignableRequest::new(
        &received.method,
        &received.target,
        received.headers.iter().map(|(n, v)| (n.as_str(), v.as_bytes())),
        SignableBody::Bytes(&received.body),
    )
    .expect("received requests are well formed");
    verifier.verify(&request, now)
}

/// Runs `verify` and checks the error kind, and that the error never shows secrets.
fn expect_kind<S: appsync_sigv4::CredentialStore>(
    verifier: &Verifier<S>,
    received: &Received,
    now: SystemTime,
    input: &Input,
    expected: &VerifyErrorKind,
) -> Result<(), TestCaseError> {
    match verify(verifier, received, now) {
        Ok(_) => Err(TestCaseError::fail(format!("accepted a changed request; expected {expected:?}"))),
        Err(e) => {
            prop_assert_eq!(e.kind(), expected);
            assert_no_secrets(&format!("{e}"), input)?;
            assert_no_secrets(&format!("{e:?}"), input)?;
            Ok(())
        }
    }
}

fn assert_no_secrets(text: &str, input: &Input) -> Result<(), TestCaseError> {
    prop_assert!(!text.contains(&input.secret), "secret key in {}", text);
    if let Some(token) = &input.token {
        prop_assert!(!text.contains(token.as_str()), "session token in {}", text);
    }
    Ok(())
}

/// The first query pair of the request's own query (before the presigning parameters).
fn change_first_query_pair(target: &str) -> Option<String> {
    let (path, query) = target.split_once('?')?;
    let first = query.split('&').next().filter(|p| p.starts_with('q'))?;
    let rest = &query[first.len()..];
    Some(format!("{path}?{first}x{rest}"))
}

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig { cases, failure_persistence: None, ..ProptestConfig::default() }
}

proptest! {
    #![proptest_config(config(5_000))]

    /// Sign, then verify: always accepted, with the signer's key id, time and form.
    #[test]
    fn signed_requests_verify(input in input()) {
        let creds = credentials(&input);
        let received = sign_input(&input, &creds);
        let verdict = verify(&verifier_for(&creds), &received, now_of(&input));
        let verified = verdict.map_err(|e| TestCaseError::fail(format!("{e} ({e:?})\n{received:?}")))?;
        prop_assert_eq!(verified.access_key_id(), input.access_key_id.as_str());
        prop_assert_eq!(verified.signed_at(), at(input.time));
        prop_assert_eq!(verified.is_presigned(), input.presign.is_some());
        prop_assert!(verified.signed_headers().split(';').any(|h| h == "host"));
    }
}

proptest! {
    #![proptest_config(config(1_000))]

    #[test]
    fn changed_method_fails(input in input(), other in prop::sample::select(&["HEAD", "OPTIONS", "get", "POSTX"][..])) {
        let creds = credentials(&input);
        let mut received = sign_input(&input, &creds);
        received.method = other.to_owned();
        expect_kind(&verifier_for(&creds), &received, now_of(&input), &input, &VerifyErrorKind::SignatureMismatch)?;
    }

    #[test]
    fn changed_path_fails(input in input(), extra in chars_from(ALNUM, 1..4)) {
        let creds = credentials(&input);
        let mut received = sign_input(&input, &creds);
        let (path, query) = received.target.split_once('?').map_or((received.target.as_str(), None), |(p, q)| (p, Some(q)));
        // One more segment: the normalised path always gains a segment.
        let mut target = format!("{path}/{extra}");
        if let Some(q) = query {
            target.push('?');
            target.push_str(q);
        }
        received.target = target;
        expect_kind(&verifier_for(&creds), &received, now_of(&input), &input, &VerifyErrorKind::SignatureMismatch)?;
    }

    #[test]
    fn changed_query_pair_fails(input in input(), add in any::<bool>()) {
        let creds = credentials(&input);
        let mut received = sign_input(&input, &creds);
        received.target = match change_first_query_pair(&received.target) {
            Some(changed) if !add => changed,
            _ if received.target.contains('?') => format!("{}&added=1", received.target),
            _ => format!("{}?added=1", received.target),
        };
        expect_kind(&verifier_for(&creds), &received, now_of(&input), &input, &VerifyErrorKind::SignatureMismatch)?;
    }

    #[test]
    fn changed_signed_header_fails(input in input(), pick in any::<prop::sample::Index>()) {
        let creds = credentials(&input);
        let mut received = sign_input(&input, &creds);
        // A header of the request, or `host` when it has none.
        let name = if input.headers.is_empty() {
            "host".to_owned()
        } else {
            input.headers[pick.index(input.headers.len())].0.clone()
        };
        let value = received.header_mut(&name).expect("signed header present");
        value.push('x');
        expect_kind(&verifier_for(&creds), &received, now_of(&input), &input, &VerifyErrorKind::SignatureMismatch)?;
    }

    #[test]
    fn changed_body_fails(input in input(), pick in any::<prop::sample::Index>(), flip in 1u8..=255) {
        let creds = credentials(&input);
        let mut received = sign_input(&input, &creds);
        if received.body.is_empty() {
            received.body.push(flip);
        } else {
            let i = pick.index(received.body.len());
            received.body[i] ^= flip;
        }
        let expected = if input.content_sha256 {
            VerifyErrorKind::PayloadHashMismatch
        } else {
            VerifyErrorKind::SignatureMismatch
        };
        expect_kind(&verifier_for(&creds), &received, now_of(&input), &input, &expected)?;
    }

    #[test]
    fn time_beyond_skew_or_expiry_fails(input in input(), beyond in 1u64..=400 * 86_400, late in any::<bool>()) {
        let creds = credentials(&input);
        let received = sign_input(&input, &creds);
        let (now, expected) = match (late, input.presign) {
            (true, None) => (input.time + SKEW + beyond, VerifyErrorKind::ClockSkew),
            (true, Some(expires)) => (input.time + expires + beyond, VerifyErrorKind::Expired),
            (false, _) => (input.time - SKEW - beyond, VerifyErrorKind::ClockSkew),
        };
        expect_kind(&verifier_for(&creds), &received, at(now), &input, &expected)?;
    }

    #[test]
    fn other_region_or_service_fails(input in input(), region in any::<bool>()) {
        let creds = credentials(&input);
        // Signed for another scope, verified for ours; and the reverse.
        let (other_region, other_service) = if region { ("us-east-1", SERVICE) } else { (REGION, "execute-api") };
        let (received, _) = sign_as(&input, &creds, other_region, other_service);
        let field = if region { ScopeField::Region } else { ScopeField::Service };
        let expected = VerifyErrorKind::ScopeMismatch { field };
        expect_kind(&verifier_for(&creds), &received, now_of(&input), &input, &expected)?;
        let received = sign_input(&input, &creds);
        let other = Verifier::new(
            HashMap::from([(creds.access_key_id().to_owned(), creds.clone())]),
            other_region,
            other_service,
        );
        expect_kind(&other, &received, now_of(&input), &input, &expected)?;
    }

    #[test]
    fn wrong_session_token_fails(input in input(), forged in chars_from(ALNUM, 8..64)) {
        let creds = credentials(&input);
        let mut received = sign_input(&input, &creds);
        let presigned = input.presign.is_some();
        match (&input.token, presigned) {
            // A token other than the one issued with the key.
            (Some(_), false) => {
                *received.header_mut("x-amz-security-token").expect("token header") = forged;
            }
            (Some(_), true) => {
                let (path, query) = received.target.split_once('?').expect("presigned query");
                let query: Vec<String> = query
                    .split('&')
                    .map(|p| if p.starts_with("X-Amz-Security-Token=") { format!("X-Amz-Security-Token={forged}") } else { p.to_owned() })
                    .collect();
                received.target = format!("{path}?{}", query.join("&"));
            }
            // A token presented with a key that has none.
            (None, false) => received.headers.push(("X-Amz-Security-Token".to_owned(), forged)),
            (None, true) => received.target.push_str(&format!("&X-Amz-Security-Token={forged}")),
        }
        expect_kind(&verifier_for(&creds), &received, now_of(&input), &input, &VerifyErrorKind::InvalidSessionToken)?;
    }

    #[test]
    fn unknown_access_key_fails(input in input(), other_key in chars_from(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ", 10..12)) {
        let creds = credentials(&input);
        let received = sign_input(&input, &creds);
        // Key ids generated for requests are at least 16 characters: `other_key` never matches.
        let other = Credentials::new(other_key.clone(), input.secret.clone(), input.token.clone(), None);
        let verifier = Verifier::new(HashMap::from([(other_key, other)]), REGION, SERVICE);
        expect_kind(&verifier, &received, now_of(&input), &input, &VerifyErrorKind::UnknownAccessKey)?;
        let empty = Verifier::new(|_: &str| None::<Credentials>, REGION, SERVICE);
        expect_kind(&empty, &received, now_of(&input), &input, &VerifyErrorKind::UnknownAccessKey)?;
    }

    /// `Debug` of credentials and of the signing output never shows the secret or the token (the
    /// token is only visible through `SigningPart::value`, which is marked sensitive).
    #[test]
    fn debug_output_hides_secrets(input in input()) {
        let creds = credentials(&input);
        assert_no_secrets(&format!("{creds:?}"), &input)?;
        assert_no_secrets(&format!("{creds:#?}"), &input)?;
        let (_, output) = sign_as(&input, &creds, REGION, SERVICE);
        assert_no_secrets(&format!("{output:?}"), &input)?;
        assert_no_secrets(&format!("{:?}", output.canonical_request()), &input)?;
        assert_no_secrets(&format!("{:?}", verifier_for(&creds)), &input)?;
        for part in output.headers().iter().chain(output.params()) {
            prop_assert_eq!(part.is_sensitive(), part.name() == "X-Amz-Security-Token");
        }
    }
}
