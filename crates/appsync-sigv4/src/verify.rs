//! Verification: recompute a request's signature from a known secret and compare, as an AWS
//! service does. The emulator's gatekeeper.

use std::borrow::Cow;
use std::collections::HashMap;
use std::time::{Duration, SystemTime};

use subtle::ConstantTimeEq;

use crate::canonical::{CanonicalParts, PathRules, redacted, write_canonical};
use crate::credentials::Credentials;
use crate::date::AmzDate;
use crate::encoding::{decode_query_component, hex32};
use crate::error::{MalformedPart, ScopeField, VerifyError, VerifyErrorKind};
use crate::header_list::{SignedHeader, sort_headers};
use crate::per_thread::{return_scratch, take_scratch};
use crate::request::{SignableBody, SignableRequest, is_token};
use crate::sha::sha256;
use crate::sign::{UNSIGNED_PAYLOAD, payload_hash};
use crate::string_to_sign::{ALGORITHM, write_string_to_sign};

/// Where the verifier finds the secret for an access key id.
///
/// Implemented for `HashMap<String, Credentials>` and for closures
/// `Fn(&str) -> Option<Credentials>`. When the stored credentials carry a session token, requests
/// must present exactly that token; when they carry none, requests must present none.
pub trait CredentialStore: Send + Sync {
    /// The credentials issued with `access_key_id`, if any.
    fn credentials(&self, access_key_id: &str) -> Option<Credentials>;
}

impl CredentialStore for HashMap<String, Credentials> {
    fn credentials(&self, access_key_id: &str) -> Option<Credentials> {
        self.get(access_key_id).cloned()
    }
}

impl<F> CredentialStore for F
where
    F: Fn(&str) -> Option<Credentials> + Send + Sync,
{
    fn credentials(&self, access_key_id: &str) -> Option<Credentials> {
        self(access_key_id)
    }
}

/// A request whose signature checked out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedRequest {
    access_key_id: String,
    signed_at: SystemTime,
    presigned: bool,
    signed_headers: String,
}

impl VerifiedRequest {
    /// The access key id that signed the request.
    pub fn access_key_id(&self) -> &str {
        &self.access_key_id
    }

    /// The signing time the request claims (`X-Amz-Date`).
    pub fn signed_at(&self) -> SystemTime {
        self.signed_at
    }

    /// Whether it was a presigned URL.
    pub fn is_presigned(&self) -> bool {
        self.presigned
    }

    /// The `;`-separated names of the signed headers.
    pub fn signed_headers(&self) -> &str {
        &self.signed_headers
    }
}

/// Checks SigV4 signatures for one region and service.
///
/// ```
/// use std::collections::HashMap;
/// use std::time::SystemTime;
/// use appsync_sigv4::{sign, Credentials, SignableBody, SignableRequest, SigningParams, Verifier};
///
/// let creds = Credentials::new("AKID", "SECRET", None, None);
/// let store = HashMap::from([("AKID".to_string(), creds.clone())]);
/// let verifier = Verifier::new(store, "us-east-1", "appsync");
///
/// let now = SystemTime::now();
/// let body = br#"{"query":"{ a }"}"#;
/// let unsigned = SignableRequest::new("POST", "https://api.example.com/graphql", [], SignableBody::Bytes(body))?;
/// let out = sign(&unsigned, &SigningParams::new(&creds, "us-east-1", "appsync", now))?;
/// let headers: Vec<(&str, &[u8])> = out.headers().iter().map(|p| (p.name(), p.value().as_bytes())).collect();
/// let received = SignableRequest::new("POST", "/graphql", headers.into_iter().chain([("host", &b"api.example.com"[..])]), SignableBody::Bytes(body))?;
/// assert_eq!(verifier.verify(&received, now).expect("valid").access_key_id(), "AKID");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct Verifier<S> {
    store: S,
    region: String,
    service: String,
    max_clock_skew: Duration,
    rules: PathRules,
    allow_unsigned_payload: bool,
}

/// The signature fields, wherever they came from.
struct Claimed<'a> {
    credential: Cow<'a, str>,
    signed_headers: Cow<'a, str>,
    signature: Cow<'a, str>,
    date: AmzDate,
    expires: Option<u64>,
    token: Option<Vec<u8>>,
}

impl<S: CredentialStore> Verifier<S> {
    /// A verifier accepting signatures for `region` and `service`, with a 15 minute clock skew,
    /// path normalisation and double encoding (every service but S3), and signed payloads only.
    pub fn new(store: S, region: impl Into<String>, service: impl Into<String>) -> Self {
        Self {
            store,
            region: region.into(),
            service: service.into(),
            max_clock_skew: Duration::from_secs(15 * 60),
            rules: PathRules { normalize: true, double_encode: true },
            allow_unsigned_payload: false,
        }
    }

    /// How far a request's `X-Amz-Date` may be from the verifier's clock (default 15 minutes).
    /// A time failure reports it back: [`VerifyError::max_clock_skew`].
    #[must_use]
    pub fn max_clock_skew(mut self, skew: Duration) -> Self {
        self.max_clock_skew = skew;
        self
    }

    /// Whether the path is normalised before signing (default true; S3: false). Must match how
    /// clients sign for this service.
    #[must_use]
    pub fn normalize_path(mut self, normalize: bool) -> Self {
        self.rules.normalize = normalize;
        self
    }

    /// Whether the path is encoded a second time (default true; S3: false).
    #[must_use]
    pub fn double_encode_path(mut self, double: bool) -> Self {
        self.rules.double_encode = double;
        self
    }

    /// Accept `x-amz-content-sha256: UNSIGNED-PAYLOAD`.
    #[must_use]
    pub fn allow_unsigned_payload(mut self, allow: bool) -> Self {
        self.allow_unsigned_payload = allow;
        self
    }

    /// The credential store.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// Verifies `request` as received at `now`.
    ///
    /// # Errors
    /// A [`VerifyError`] naming the reason: missing or malformed signature fields, unknown key,
    /// wrong scope, unsigned `host`/`x-amz-date`, a bad session token, a body that does not
    /// match `x-amz-content-sha256`, skew, expiry, or a signature mismatch.
    pub fn verify(
        &self,
        request: &SignableRequest<'_>,
        now: SystemTime,
    ) -> Result<VerifiedRequest, VerifyError> {
        let authz = single_header(request, "authorization")?;
        let presign = parse_presign_query(request.query)?;
        let claimed = match (authz, presign) {
            (Some(_), Some(_)) => return Err(VerifyError::new(VerifyErrorKind::Ambiguous)),
            (None, None) => return Err(VerifyError::new(VerifyErrorKind::Missing)),
            (Some(value), None) => parse_authorization(request, value)?,
            (None, Some(fields)) => fields,
        };
        let presigned = claimed.expires.is_some();

        let (access_key_id, scope) = claimed.credential.as_ref().split_once('/').ok_or_else(|| {
            VerifyError::malformed(
                MalformedPart::Credential,
                "expected AKID/YYYYMMDD/region/service/aws4_request",
            )
        })?;
        let mut scope_parts = scope.split('/');
        let (Some(date), Some(region), Some(service), Some(terminator), None) = (
            scope_parts.next(),
            scope_parts.next(),
            scope_parts.next(),
            scope_parts.next(),
            scope_parts.next(),
        ) else {
            return Err(VerifyError::malformed(
                MalformedPart::Credential,
                "expected AKID/YYYYMMDD/region/service/aws4_request",
            ));
        };
        if access_key_id.is_empty() {
            return Err(VerifyError::malformed(MalformedPart::Credential, "the access key id is empty"));
        }
        let mismatch = |field| Err(VerifyError::new(VerifyErrorKind::ScopeMismatch { field }));
        if terminator != "aws4_request" {
            return mismatch(ScopeField::Terminator);
        }
        if date != claimed.date.date() {
            return mismatch(ScopeField::Date);
        }
        if region != self.region {
            return mismatch(ScopeField::Region);
        }
        if service != self.service {
            return mismatch(ScopeField::Service);
        }

        let signed_at = claimed.date.secs();
        let now_secs = now.duration_since(SystemTime::UNIX_EPOCH).map_or(0, |d| d.as_secs());
        let skew = self.max_clock_skew.as_secs();
        let time_error =
            |kind| Err(VerifyError::time(kind, claimed.date.to_system_time(), self.max_clock_skew));
        if signed_at > now_secs.saturating_add(skew) {
            return time_error(VerifyErrorKind::ClockSkew);
        }
        match claimed.expires {
            Some(expires) if now_secs > signed_at.saturating_add(expires) => {
                return time_error(VerifyErrorKind::Expired);
            }
            None if now_secs > signed_at.saturating_add(skew) => {
                return time_error(VerifyErrorKind::ClockSkew);
            }
            _ => {}
        }

        let signed: Vec<&str> = parse_signed_headers(&claimed.signed_headers)?;
        let must_sign: &[&str] = if presigned { &["host"] } else { &["host", "x-amz-date"] };
        for name in must_sign {
            if signed.binary_search(name).is_err() {
                return Err(VerifyError::new(VerifyErrorKind::HeaderNotSigned { name: (*name).to_owned() }));
            }
        }
        let mut headers: Vec<SignedHeader<'_>> = Vec::with_capacity(signed.len() + 1);
        // A scan of the request's headers per signed name is fastest for real requests; a hostile
        // one with thousands of headers, all listed in SignedHeaders, would make that quadratic,
        // so past a few hundred comparisons the headers are sorted once and searched instead.
        let mut by_name: Vec<(&str, &[u8])> = Vec::new();
        if request.headers().len().saturating_mul(signed.len()) > 1024 {
            by_name.extend_from_slice(request.headers());
            // Stable: repeated headers keep the order they were sent in.
            sort_headers(&mut by_name);
        }
        for name in &signed {
            let before = headers.len();
            if by_name.is_empty() {
                headers.extend(
                    request
                        .headers()
                        .iter()
                        .filter(|(n, _)| n.eq_ignore_ascii_case(name))
                        .map(|&(n, v)| (n, v, false)),
                );
            } else {
                let lower = |n: &str| n.bytes().map(|c| c.to_ascii_lowercase()).cmp(name.bytes());
                let start = by_name.partition_point(|(n, _)| lower(n).is_lt());
                headers.extend(
                    by_name[start..]
                        .iter()
                        .take_while(|(n, _)| n.eq_ignore_ascii_case(name))
                        .map(|&(n, v)| (n, v, false)),
                );
            }
            if headers.len() == before {
                if let (true, Some(host)) = (*name == "host", request.host()) {
                    headers.push(("host", host, false));
                    continue;
                }
                return Err(VerifyError::new(VerifyErrorKind::SignedHeaderMissing {
                    name: (*name).to_owned(),
                }));
            }
        }

        let creds = self
            .store
            .credentials(access_key_id)
            .ok_or_else(|| VerifyError::new(VerifyErrorKind::UnknownAccessKey))?;
        let token_ok = match (creds.session_token(), claimed.token.as_deref()) {
            (None, None) => true,
            (Some(expected), Some(given)) => constant_time_eq(expected.as_bytes(), given),
            _ => false,
        };
        if !token_ok {
            return Err(VerifyError::new(VerifyErrorKind::InvalidSessionToken));
        }

        let mut storage = [0u8; 64];
        let payload = self.payload_hash_for(request, &mut storage)?;

        let mut buf = take_scratch();
        let layout = write_canonical(
            &mut buf,
            CanonicalParts {
                method: request.method,
                path: request.path,
                query: request.query,
                extra_params: &[],
                skip_param: presigned.then_some("X-Amz-Signature"),
                headers: &mut headers,
                names_lowercase: request.names_lowercase,
                payload_hash: payload,
                rules: self.rules,
            },
        );
        let creq_hash = hex32(&sha256(&buf[layout.all()]));
        let sts = write_string_to_sign(&mut buf, &claimed.date, region, service, &creq_hash);
        let mac = creds.signing_mac(&claimed.date, region, service);
        let expected = hex32(&mac.sign(&buf[sts.text.clone()]));
        let given = claimed.signature.as_bytes().to_ascii_lowercase();
        let matches = constant_time_eq(&expected, &given);
        let failure = (!matches).then(|| {
            VerifyError::mismatch(
                redacted(&buf[layout.all()]),
                String::from_utf8_lossy(&buf[sts.text.clone()]).into_owned(),
            )
        });
        return_scratch(buf);
        if let Some(e) = failure {
            return Err(e);
        }
        Ok(VerifiedRequest {
            access_key_id: access_key_id.to_owned(),
            signed_at: claimed.date.to_system_time(),
            presigned,
            signed_headers: claimed.signed_headers.into_owned(),
        })
    }

    fn payload_hash_for<'b>(
        &self,
        request: &SignableRequest<'b>,
        storage: &'b mut [u8; 64],
    ) -> Result<&'b [u8], VerifyError> {
        let claimed = single_header(request, "x-amz-content-sha256")?;
        let Some(claimed) = claimed else {
            return payload_hash(request.body, storage).map_err(|_| {
                VerifyError::malformed(MalformedPart::ContentSha256, "not a SHA-256 hex digest")
            });
        };
        if claimed == UNSIGNED_PAYLOAD.as_bytes() {
            return if self.allow_unsigned_payload {
                Ok(UNSIGNED_PAYLOAD.as_bytes())
            } else {
                Err(VerifyError::new(VerifyErrorKind::PayloadHashMismatch))
            };
        }
        if claimed.len() != 64 || !claimed.iter().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(b)) {
            return Err(VerifyError::malformed(
                MalformedPart::ContentSha256,
                "expected 64 lower-case hex digits or UNSIGNED-PAYLOAD",
            ));
        }
        let actual = payload_hash(request.body, storage)
            .map_err(|_| VerifyError::malformed(MalformedPart::ContentSha256, "not a SHA-256 hex digest"))?;
        let body_known = matches!(request.body, SignableBody::Bytes(_));
        if body_known && actual != claimed {
            return Err(VerifyError::new(VerifyErrorKind::PayloadHashMismatch));
        }
        // Both are the same 64 ASCII bytes here (or the body was not given and the claim stands).
        Ok(claimed)
    }
}

/// The value of a header that may appear at most once.
fn single_header<'a>(request: &SignableRequest<'a>, name: &str) -> Result<Option<&'a [u8]>, VerifyError> {
    let mut found = None;
    for (n, v) in request.headers() {
        if n.eq_ignore_ascii_case(name) {
            if found.is_some() {
                return Err(VerifyError::malformed(
                    MalformedPart::Duplicate,
                    "a signature header appears more than once",
                ));
            }
            found = Some(*v);
        }
    }
    Ok(found)
}

fn parse_authorization<'a>(
    request: &SignableRequest<'a>,
    value: &'a [u8],
) -> Result<Claimed<'a>, VerifyError> {
    let value = std::str::from_utf8(value).map_err(|_| {
        VerifyError::malformed(MalformedPart::Algorithm, "the Authorization header is not text")
    })?;
    let rest = value.strip_prefix(ALGORITHM).and_then(|r| r.strip_prefix(' ')).ok_or_else(|| {
        VerifyError::malformed(
            MalformedPart::Algorithm,
            "expected 'AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...'",
        )
    })?;
    let (mut credential, mut signed_headers, mut signature) = (None, None, None);
    for field in rest.split(',') {
        let field = field.trim_matches(' ');
        let (key, val) = field.split_once('=').ok_or_else(|| {
            VerifyError::malformed(MalformedPart::Credential, "each field must be Key=Value")
        })?;
        let slot = match key {
            "Credential" => &mut credential,
            "SignedHeaders" => &mut signed_headers,
            "Signature" => &mut signature,
            _ => {
                return Err(VerifyError::malformed(
                    MalformedPart::Credential,
                    "unknown field; expected Credential, SignedHeaders and Signature",
                ));
            }
        };
        if slot.replace(val).is_some() {
            return Err(VerifyError::malformed(
                MalformedPart::Duplicate,
                "a field of the Authorization header appears twice",
            ));
        }
    }
    let credential = credential
        .ok_or_else(|| VerifyError::malformed(MalformedPart::Credential, "Credential= is missing"))?;
    let signed_headers = signed_headers
        .ok_or_else(|| VerifyError::malformed(MalformedPart::SignedHeaders, "SignedHeaders= is missing"))?;
    let signature =
        signature.ok_or_else(|| VerifyError::malformed(MalformedPart::Signature, "Signature= is missing"))?;
    check_signature_shape(signature.as_bytes())?;
    let date = single_header(request, "x-amz-date")?
        .ok_or_else(|| VerifyError::malformed(MalformedPart::Date, "the X-Amz-Date header is missing"))?;
    let date = std::str::from_utf8(date)
        .ok()
        .and_then(AmzDate::parse)
        .ok_or_else(|| VerifyError::malformed(MalformedPart::Date, "expected YYYYMMDDTHHMMSSZ"))?;
    let token = single_header(request, "x-amz-security-token")?.map(<[u8]>::to_vec);
    Ok(Claimed {
        credential: Cow::Borrowed(credential),
        signed_headers: Cow::Borrowed(signed_headers),
        signature: Cow::Borrowed(signature),
        date,
        expires: None,
        token,
    })
}

fn check_signature_shape(sig: &[u8]) -> Result<(), VerifyError> {
    if sig.len() != 64 || !sig.iter().all(u8::is_ascii_hexdigit) {
        return Err(VerifyError::malformed(MalformedPart::Signature, "expected 64 hex digits"));
    }
    Ok(())
}

/// Presigned fields from the query (decoded, so owned), or `None` when there is no
/// `X-Amz-Algorithm`.
fn parse_presign_query(query: Option<&str>) -> Result<Option<Claimed<'static>>, VerifyError> {
    let Some(query) = query else { return Ok(None) };
    let mut fields: [Option<Vec<u8>>; 7] = Default::default();
    const NAMES: [&str; 7] = [
        "X-Amz-Algorithm",
        "X-Amz-Credential",
        "X-Amz-Date",
        "X-Amz-Expires",
        "X-Amz-SignedHeaders",
        "X-Amz-Signature",
        "X-Amz-Security-Token",
    ];
    let mut key = Vec::new();
    for piece in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = piece.split_once('=').unwrap_or((piece, ""));
        key.clear();
        decode_query_component(&mut key, k.as_bytes());
        if let Some(i) = NAMES.iter().position(|n| n.as_bytes() == key.as_slice()) {
            let mut val = Vec::new();
            decode_query_component(&mut val, v.as_bytes());
            if fields[i].replace(val).is_some() {
                return Err(VerifyError::malformed(
                    MalformedPart::Duplicate,
                    "a presigning parameter appears twice",
                ));
            }
        }
    }
    let [algorithm, credential, date, expires, signed_headers, signature, token] = fields;
    let Some(algorithm) = algorithm else { return Ok(None) };
    if algorithm != ALGORITHM.as_bytes() {
        return Err(VerifyError::malformed(
            MalformedPart::Algorithm,
            "X-Amz-Algorithm must be AWS4-HMAC-SHA256",
        ));
    }
    let text = |v: Option<Vec<u8>>, part, missing| -> Result<String, VerifyError> {
        let v = v.ok_or_else(|| VerifyError::malformed(part, missing))?;
        String::from_utf8(v).map_err(|_| VerifyError::malformed(part, "not UTF-8"))
    };
    let credential = text(credential, MalformedPart::Credential, "X-Amz-Credential is missing")?;
    let signed_headers =
        text(signed_headers, MalformedPart::SignedHeaders, "X-Amz-SignedHeaders is missing")?;
    let signature = text(signature, MalformedPart::Signature, "X-Amz-Signature is missing")?;
    check_signature_shape(signature.as_bytes())?;
    let date = text(date, MalformedPart::Date, "X-Amz-Date is missing")?;
    let date = AmzDate::parse(&date)
        .ok_or_else(|| VerifyError::malformed(MalformedPart::Date, "expected YYYYMMDDTHHMMSSZ"))?;
    let expires = text(expires, MalformedPart::Expires, "X-Amz-Expires is missing")?;
    let expires: u64 = expires.parse().ok().filter(|e| (1..=604_800).contains(e)).ok_or_else(|| {
        VerifyError::malformed(MalformedPart::Expires, "expected whole seconds from 1 to 604800")
    })?;
    Ok(Some(Claimed {
        credential: Cow::Owned(credential),
        signed_headers: Cow::Owned(signed_headers),
        signature: Cow::Owned(signature),
        date,
        expires: Some(expires),
        token,
    }))
}

/// Whether `a == b`, in time that depends only on the lengths (which are not secret: a session
/// token's length is public, a signature is always 64 digits).
///
/// `subtle`'s slice comparison fences every byte, which made comparing a 1 KB session token the
/// slowest step of verification; here eight bytes are compared per step and the folded result
/// goes through one constant-time check.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut diff = 0u64;
    let (a_words, a_rest) = a.as_chunks::<8>();
    let (b_words, b_rest) = b.as_chunks::<8>();
    for (x, y) in a_words.iter().zip(b_words) {
        diff |= u64::from_ne_bytes(*x) ^ u64::from_ne_bytes(*y);
    }
    for (x, y) in a_rest.iter().zip(b_rest) {
        diff |= u64::from(x ^ y);
    }
    bool::from(std::hint::black_box(diff).ct_eq(&0))
}

/// `a;b;c`: lower-case tokens, sorted, each once.
fn parse_signed_headers(list: &str) -> Result<Vec<&str>, VerifyError> {
    let names: Vec<&str> = list.split(';').collect();
    let well_formed = names.iter().all(|n| is_token(n) && !n.bytes().any(|b| b.is_ascii_uppercase()));
    if list.is_empty() || !well_formed {
        return Err(VerifyError::malformed(
            MalformedPart::SignedHeaders,
            "expected lower-case header names separated by ';'",
        ));
    }
    if !names.windows(2).all(|w| w[0] < w[1]) {
        return Err(VerifyError::malformed(
            MalformedPart::SignedHeaders,
            "header names must be sorted and not repeated",
        ));
    }
    Ok(names)
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use super::*;
    use crate::settings::SigningParams;
    use crate::sign::sign;

    /// Signs a GET with `headers` (plus `host`), lets `tamper` change the headers as received,
    /// and verifies.
    fn round_trip(
        headers: &[(String, String)],
        tamper: impl FnOnce(&mut Vec<(String, String)>),
    ) -> Result<VerifiedRequest, VerifyErrorKind> {
        let creds = Credentials::new("AKID", "SECRET", None, None);
        let time = UNIX_EPOCH + Duration::from_secs(1_795_000_000);
        let pairs = headers.iter().map(|(n, v)| (n.as_str(), v.as_bytes()));
        let request = SignableRequest::new("GET", "https://example.com/", pairs, SignableBody::Bytes(b""))
            .expect("valid request");
        let output = sign(&request, &SigningParams::new(&creds, "us-east-1", "svc", time)).expect("signs");
        let mut received = headers.to_vec();
        tamper(&mut received);
        received.push(("Host".to_owned(), "example.com".to_owned()));
        output.apply_to_headers(&mut received);
        let request = SignableRequest::new(
            "GET",
            "/",
            received.iter().map(|(n, v)| (n.as_str(), v.as_bytes())),
            SignableBody::Bytes(b""),
        )
        .expect("valid request");
        Verifier::new(HashMap::from([("AKID".to_owned(), creds)]), "us-east-1", "svc")
            .verify(&request, time)
            .map_err(|e| e.kind().clone())
    }

    #[test]
    fn many_signed_headers_are_looked_up_through_a_sorted_index() {
        // Enough headers to take the sorted path, unsorted, with a repeated header in mixed case
        // whose values are signed in the order they were sent.
        let mut headers: Vec<(String, String)> =
            (0..300).rev().map(|i| (format!("x-h{i:03}"), format!("v{i}"))).collect();
        headers.insert(10, ("X-Rep".to_owned(), "first".to_owned()));
        headers.insert(150, ("x-rep".to_owned(), "second".to_owned()));
        headers.push(("x-REP".to_owned(), "third".to_owned()));
        let verified = round_trip(&headers, |_| {}).expect("verifies");
        assert!(verified.signed_headers().split(';').any(|n| n == "x-rep"));
        for i in [0, 10, 150, headers.len() - 1] {
            let verdict = round_trip(&headers, |h| h[i].1.push('x')).map(|_| ());
            assert_eq!(verdict, Err(VerifyErrorKind::SignatureMismatch), "header {i} changed");
        }
        let verdict = round_trip(&headers, |h| h.swap(10, 150)).map(|_| ());
        assert_eq!(verdict, Err(VerifyErrorKind::SignatureMismatch), "repeated values reordered");
        let verdict = round_trip(&headers, |h| h.retain(|(n, _)| n != "x-h123")).map(|_| ());
        assert_eq!(verdict, Err(VerifyErrorKind::SignedHeaderMissing { name: "x-h123".to_owned() }));
    }

    #[test]
    fn time_failures_report_the_claimed_time_and_others_do_not() {
        let creds = Credentials::new("AKID", "SECRET", None, None);
        let signed_at = UNIX_EPOCH + Duration::from_secs(1_795_000_000);
        let request = SignableRequest::new("GET", "https://example.com/", [], SignableBody::Bytes(b""))
            .expect("request");
        let output =
            sign(&request, &SigningParams::new(&creds, "us-east-1", "svc", signed_at)).expect("signs");
        let mut received = vec![("host".to_owned(), "example.com".to_owned())];
        output.apply_to_headers(&mut received);
        let received = SignableRequest::new(
            "GET",
            "/",
            received.iter().map(|(n, v)| (n.as_str(), v.as_bytes())),
            SignableBody::Bytes(b""),
        )
        .expect("request");
        let verifier = Verifier::new(HashMap::from([("AKID".to_owned(), creds)]), "us-east-1", "svc")
            .max_clock_skew(Duration::from_secs(600));
        for now in [signed_at + Duration::from_secs(3600), signed_at - Duration::from_secs(3600)] {
            let err = verifier.verify(&received, now).expect_err("outside the skew");
            assert_eq!(err.kind(), &VerifyErrorKind::ClockSkew);
            assert_eq!(err.signed_at(), Some(signed_at));
            assert_eq!(err.max_clock_skew(), Some(Duration::from_secs(600)));
            assert!(err.is_time_related());
        }
        assert!(verifier.verify(&received, signed_at + Duration::from_secs(599)).is_ok(), "within the skew");
        let other = Verifier::new(HashMap::<String, Credentials>::new(), "us-east-1", "svc")
            .verify(&received, signed_at)
            .expect_err("unknown key");
        assert_eq!(other.signed_at(), None);
        assert_eq!(other.max_clock_skew(), None);
    }

    #[test]
    fn constant_time_eq_compares_every_byte() {
        let a: Vec<u8> = (0..1000u32).map(|i| (i * 7) as u8).collect();
        assert!(constant_time_eq(&a, &a.clone()));
        for i in [0, 7, 8, 9, 500, 991, 992, 999] {
            let mut b = a.clone();
            b[i] ^= 1;
            assert!(!constant_time_eq(&a, &b), "difference at {i}");
        }
        assert!(!constant_time_eq(&a, &a[..999]));
        assert!(constant_time_eq(b"", b""));
    }
}
