//! Signing itself: from a request, credentials, scope and time to the headers or query
//! parameters to add.
//!
//! In three steps: a [`Plan`] checks the parameters and works out everything the signature
//! depends on; [`write_and_hash`] writes the canonical request, the string to sign and (header
//! signing) the `Authorization` value one after the other into one buffer, hashing and signing
//! them where they lie; [`output`] makes the parts to add from where they were written.

use std::ops::Range;
use std::sync::Arc;

use crate::canonical::{CanonicalParts, CanonicalRequest, Layout, PathRules, write_canonical};
use crate::credentials::{Credentials, SessionToken};
use crate::date::AmzDate;
use crate::encoding::hex32;
use crate::error::{SigningError, SigningErrorKind};
use crate::header_list::{HeaderList, SignedHeader, sort_headers, write_signed_headers};
use crate::memo;
use crate::output::{OutSignature, PartName, SigningOutput, SigningPart};
use crate::per_thread;
use crate::request::{SignableBody, SignableRequest};
use crate::settings::{SessionTokenMode, SignatureLocation, SigningParams, SigningSettings};
use crate::sha::{HmacKey, sha256, sha256_tail};
use crate::string_to_sign::{
    ALGORITHM, ALGORITHM_V4A, StringToSign, StringToSignLayout, write_string_to_sign,
    write_string_to_sign_v4a,
};

/// Payload hash sentinel for a body that is not signed.
pub const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";

/// Signs `request`: returns the headers (or query parameters) to add.
///
/// The hot path hashes the body once, hashes the canonical request once and computes one HMAC
/// with a signing key derived once per credentials, day, region and service.
///
/// Each thread remembers the canonical request of its last header signature. Signing the same
/// request again (same method, URI, headers, credentials and settings; any time and body), as a
/// client does for every call to one endpoint, copies it with the new timestamp and payload hash
/// written in, instead of canonicalising again. The match is exact, byte for byte, so the result
/// is the same either way; a different request costs one failed comparison and replaces it.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use appsync_sigv4::{sign, Credentials, SignableBody, SignableRequest, SigningParams};
/// let creds = Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", None, None);
/// let time = UNIX_EPOCH + Duration::from_secs(1_440_938_160); // 2015-08-30T12:36:00Z
/// let req = SignableRequest::new("GET", "https://example.amazonaws.com/", [], SignableBody::Bytes(b""))?;
/// let out = sign(&req, &SigningParams::new(&creds, "us-east-1", "service", time))?;
/// assert_eq!(out.signature(), "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
/// assert_eq!(out.headers()[0].name(), "X-Amz-Date");
/// # Ok::<(), appsync_sigv4::SigningError>(())
/// ```
///
/// # Errors
/// Expired credentials, a signing time outside 1970..9999, an invalid region or service, an
/// invalid presign lifetime or precomputed hash, or a request without a host.
pub fn sign(
    request: &SignableRequest<'_>,
    params: &SigningParams<'_>,
) -> Result<SigningOutput, SigningError> {
    sign_with(request, params, Scheme::V4)
}

/// Which signature [`sign_with`] makes.
#[derive(Clone, Copy)]
#[cfg_attr(not(feature = "sigv4a"), allow(dead_code))]
pub(crate) enum Scheme<'k> {
    /// SigV4: HMAC-SHA256 with the key derived for the date, region and service.
    V4,
    /// SigV4a: the region set (`params.region`) is signed as `x-amz-region-set` and left out of
    /// the scope, and `sign` makes the hex signature of a string to sign.
    V4a { sign: &'k dyn Fn(&[u8]) -> String },
}

/// How the string to sign is signed.
enum Signer<'k> {
    Hmac(HmacKey),
    Ecdsa(&'k dyn Fn(&[u8]) -> String),
}

/// [`sign`] for either scheme; inlined so that SigV4's path carries no trace of SigV4a's.
#[inline(always)]
pub(crate) fn sign_with(
    request: &SignableRequest<'_>,
    params: &SigningParams<'_>,
    scheme: Scheme<'_>,
) -> Result<SigningOutput, SigningError> {
    let mut hash_storage = [0u8; 64];
    let plan = Plan::new(request, params, scheme, &mut hash_storage)?;
    // Which request headers are signed, plus the ones this signature adds; none to choose when
    // the canonical request comes from the memo.
    let mut headers: HeaderList<SignedHeader<'_>> = HeaderList::new();
    let memo = plan.memo_key.as_ref().and_then(|key| memo::take_matching(request, key));
    if memo.is_none() {
        select_headers(&mut headers, request, &plan)?;
    }
    let stages = write_and_hash(request, &plan, memo, headers.as_mut_slice());
    Ok(output(&plan, stages))
}

/// Everything a signature depends on besides the request, checked and worked out once before
/// anything is written.
struct Plan<'a> {
    credentials: &'a Credentials,
    region: &'a str,
    service: &'a str,
    settings: &'a SigningSettings,
    time: AmzDate,
    algorithm: &'static str,
    /// SigV4a's region set, signed as `x-amz-region-set` (or `X-Amz-Region-Set`) instead of
    /// being part of the scope.
    region_set: Option<&'a str>,
    signer: Signer<'a>,
    /// Hex SHA-256 of the body or a sentinel: ASCII, kept as bytes since it is only copied.
    payload_hash: &'a [u8],
    /// The session token, sent whenever the credentials have one.
    token: Option<&'a SessionToken>,
    /// Whether the token is also signed.
    sign_token: bool,
    /// A presigned URL's lifetime in seconds; `None` when signing headers.
    presign_expiry: Option<u64>,
    /// What the memo of the last canonical request is keyed on besides the request, for header
    /// signing with SigV4 (the memo's case: a client signing for one endpoint again and again).
    memo_key: Option<memo::KeyParts<'a>>,
}

impl<'a> Plan<'a> {
    /// Checks, in this order: the credentials' expiry, the time, the scope (region or region set,
    /// and service; a SigV4 key already in the cache was made for a valid scope), the payload
    /// hash and a presigned URL's lifetime.
    #[inline(always)]
    fn new(
        request: &SignableRequest<'a>,
        params: &'a SigningParams<'_>,
        scheme: Scheme<'a>,
        hash_storage: &'a mut [u8; 64],
    ) -> Result<Self, SigningError> {
        let credentials = params.credentials;
        let (region, service, settings) = (params.region, params.service, &params.settings);
        if credentials.is_expired_at(params.time) {
            return Err(SigningError::new(SigningErrorKind::CredentialsExpired));
        }
        let time = AmzDate::from_system_time(params.time)?;
        let (algorithm, region_set, signer) = match scheme {
            Scheme::V4 => {
                let mac = match credentials.cached_mac(&time, region, service) {
                    // Only valid regions and services ever make it into the cache.
                    Some(mac) => mac,
                    None => {
                        check_scope_field(region, "region")?;
                        check_scope_field(service, "service")?;
                        credentials.signing_mac(&time, region, service)
                    }
                };
                (ALGORITHM, None, Signer::Hmac(mac))
            }
            Scheme::V4a { sign } => {
                check_region_set(region)?;
                check_scope_field(service, "service")?;
                (ALGORITHM_V4A, Some(region), Signer::Ecdsa(sign))
            }
        };
        let payload_hash = payload_hash(request.body, hash_storage)?;
        let presign_expiry = match settings.location {
            SignatureLocation::Headers => None,
            SignatureLocation::QueryParams { expires_in } => {
                let secs = expires_in.as_secs();
                if !(1..=604_800).contains(&secs) {
                    return Err(SigningError::new(SigningErrorKind::InvalidExpiry { seconds: secs }));
                }
                Some(secs)
            }
        };
        let memo_key = (presign_expiry.is_none() && region_set.is_none()).then(|| memo::KeyParts {
            credentials_id: credentials.id(),
            settings,
            has_token: credentials.token().is_some(),
            payload_hash_len: payload_hash.len(),
        });
        Ok(Self {
            credentials,
            region,
            service,
            settings,
            time,
            algorithm,
            region_set,
            signer,
            payload_hash,
            token: credentials.token(),
            sign_token: settings.session_token_mode == SessionTokenMode::Include,
            presign_expiry,
            memo_key,
        })
    }

    fn presigning(&self) -> bool {
        self.presign_expiry.is_some()
    }
}

/// The two stages and the signature, written one after the other into the buffer the output
/// shares, and where each is in it.
struct Stages {
    shared: Arc<[u8]>,
    canonical_request: Layout,
    string_to_sign: StringToSignLayout,
    signature: Signature,
    placement: Placement,
}

/// The signature: SigV4's fixed-length hex, or SigV4a's (variable-length, DER) in the buffer.
enum Signature {
    Hex([u8; 64]),
    InBuffer(Range<usize>),
}

/// What goes on the request besides what the plan holds already.
enum Placement {
    /// Header signing: where the `Authorization` value is in the buffer.
    Headers { authorization: Range<usize> },
    /// Presigning: the `X-Amz-Credential` and `X-Amz-Expires` values (`X-Amz-SignedHeaders` is
    /// the canonical request's list).
    Query { credential: String, expires: String },
}

/// The presigning parameters that are signed in the canonical query.
struct PresignValues {
    credential: String,
    expires: String,
    signed_headers: Vec<u8>,
}

impl PresignValues {
    /// The values for a URL valid `secs` seconds whose signed headers are `headers`.
    fn new(plan: &Plan<'_>, secs: u64, headers: &mut [SignedHeader<'_>]) -> Self {
        let mut signed_headers = Vec::new();
        sort_headers(headers);
        write_signed_headers(&mut signed_headers, headers);
        let key = plan.credentials.access_key_id();
        let credential = match plan.region_set {
            None => format!("{key}/{}/{}/{}/aws4_request", plan.time.date(), plan.region, plan.service),
            Some(_) => format!("{key}/{}/{}/aws4_request", plan.time.date(), plan.service),
        };
        Self { credential, expires: secs.to_string(), signed_headers }
    }

    /// The parameters as the canonical query takes them, unencoded.
    fn params<'v>(&'v self, plan: &'v Plan<'_>) -> Vec<(&'v str, &'v [u8])> {
        let mut params = Vec::new();
        if let Some(region_set) = plan.region_set {
            params.push(("X-Amz-Region-Set", region_set.as_bytes()));
        }
        params.extend_from_slice(&[
            ("X-Amz-Algorithm", plan.algorithm.as_bytes()),
            ("X-Amz-Credential", self.credential.as_bytes()),
            ("X-Amz-Date", &plan.time.as_bytes()[..]),
            ("X-Amz-Expires", self.expires.as_bytes()),
            ("X-Amz-SignedHeaders", &self.signed_headers),
        ]);
        if let (Some(token), true) = (plan.token, plan.sign_token) {
            params.push(("X-Amz-Security-Token", token.as_str().as_bytes()));
        }
        params
    }
}

/// Writes the canonical request (from the memo, or from the request and `headers`), the string
/// to sign and the `Authorization` value (header signing) one after the other into this thread's
/// scratch buffer, hashes and signs each where it was written, and copies the lot out once into
/// the buffer the output shares.
#[inline(always)]
fn write_and_hash(
    request: &SignableRequest<'_>,
    plan: &Plan<'_>,
    memo: Option<Box<memo::Memo>>,
    headers: &mut [SignedHeader<'_>],
) -> Stages {
    let presign = plan.presign_expiry.map(|secs| PresignValues::new(plan, secs, headers));
    let presign_params = presign.as_ref().map(|values| values.params(plan)).unwrap_or_default();

    let mut buf = per_thread::take_scratch();
    let canonical_request = match &memo {
        Some(memo) => memo.write(&mut buf, plan.time.as_bytes(), plan.payload_hash),
        None => write_canonical(
            &mut buf,
            CanonicalParts {
                method: request.method,
                path: request.path,
                query: request.query,
                extra_params: &presign_params,
                skip_param: None,
                headers,
                // The names `select_headers` adds are lower-case.
                names_lowercase: request.names_lowercase,
                payload_hash: plan.payload_hash,
                rules: PathRules {
                    normalize: plan.settings.normalize_path,
                    double_encode: plan.settings.double_encode_path,
                },
            },
        ),
    };
    match (memo, &plan.memo_key) {
        (Some(memo), _) => memo::put_back(memo),
        (None, Some(key)) => memo::remember(request, key, &buf, &canonical_request),
        (None, None) => {}
    }
    // Both hashed where they were written, padded in place (the canonical request is all of `buf`
    // so far).
    let creq_hash = hex32(&sha256_tail(&mut buf, canonical_request.all().start));
    let (string_to_sign, signature) = match &plan.signer {
        Signer::Hmac(mac) => {
            let sts = write_string_to_sign(&mut buf, &plan.time, plan.region, plan.service, &creq_hash);
            let signature = hex32(&mac.sign_tail(&mut buf, sts.text.start));
            (sts, Signature::Hex(signature))
        }
        Signer::Ecdsa(sign) => {
            let sts = write_string_to_sign_v4a(&mut buf, &plan.time, plan.service, &creq_hash);
            let hex = sign(&buf[sts.text.clone()]);
            let start = buf.len();
            buf.extend_from_slice(hex.as_bytes());
            (sts, Signature::InBuffer(start..buf.len()))
        }
    };
    let placement = match presign {
        None => Placement::Headers {
            authorization: write_authorization(
                &mut buf,
                plan,
                &canonical_request,
                &string_to_sign,
                &signature,
            ),
        },
        Some(PresignValues { credential, expires, .. }) => Placement::Query { credential, expires },
    };
    let shared: Arc<[u8]> = Arc::from(&buf[..]);
    per_thread::return_scratch(buf);
    Stages { shared, canonical_request, string_to_sign, signature, placement }
}

/// Appends the `Authorization` value to `buf`, copying the scope and the signed headers from
/// where they were written, and says where it is.
fn write_authorization(
    buf: &mut Vec<u8>,
    plan: &Plan<'_>,
    canonical_request: &Layout,
    string_to_sign: &StringToSignLayout,
    signature: &Signature,
) -> Range<usize> {
    let start = buf.len();
    buf.extend_from_slice(plan.algorithm.as_bytes());
    buf.extend_from_slice(b" Credential=");
    buf.extend_from_slice(plan.credentials.access_key_id().as_bytes());
    buf.push(b'/');
    buf.extend_from_within(string_to_sign.scope.clone());
    buf.extend_from_slice(b", SignedHeaders=");
    buf.extend_from_within(canonical_request.signed_headers.clone());
    buf.extend_from_slice(b", Signature=");
    match signature {
        Signature::Hex(hex) => buf.extend_from_slice(hex),
        Signature::InBuffer(range) => buf.extend_from_within(range.clone()),
    }
    start..buf.len()
}

/// The parts to add, in the order AWS's examples show them, and the stages, all sharing the
/// buffer they were written in.
#[inline(always)]
fn output(plan: &Plan<'_>, stages: Stages) -> SigningOutput {
    let Stages { shared, canonical_request, string_to_sign, signature, placement } = stages;
    let signature = match signature {
        Signature::Hex(hex) => OutSignature::Hex(hex),
        Signature::InBuffer(range) => OutSignature::Shared(Arc::clone(&shared), range),
    };
    let date = SigningPart::date(plan.time);
    match placement {
        Placement::Headers { authorization } => {
            let hash = plan.settings.content_sha256_header.then(|| {
                SigningPart::shared(PartName::ContentSha256, &shared, canonical_request.payload_hash.clone())
            });
            let authorization = SigningPart::shared(PartName::Authorization, &shared, authorization);
            let mut out = SigningOutput::from_headers(
                signature,
                CanonicalRequest::from_shared(Arc::clone(&shared), canonical_request),
                StringToSign::from_shared(shared, string_to_sign),
            );
            out.add_header(date);
            if let Some(region_set) = plan.region_set {
                out.add_header(SigningPart::owned(PartName::RegionSet, region_set.to_owned()));
            }
            if let Some(token) = plan.token {
                out.add_header(SigningPart::token(token));
            }
            if let Some(hash) = hash {
                out.add_header(hash);
            }
            out.add_header(authorization);
            out
        }
        Placement::Query { credential, expires } => {
            let param = PartName::Param;
            let signed_headers = canonical_request.signed_headers.clone();
            let mut params = vec![
                SigningPart::fixed(param("X-Amz-Algorithm"), plan.algorithm),
                SigningPart::owned(param("X-Amz-Credential"), credential),
                date,
                SigningPart::shared(param("X-Amz-SignedHeaders"), &shared, signed_headers),
                SigningPart::owned(param("X-Amz-Expires"), expires),
            ];
            if let Some(region_set) = plan.region_set {
                params.push(SigningPart::owned(param("X-Amz-Region-Set"), region_set.to_owned()));
            }
            if let Some(token) = plan.token {
                params.push(SigningPart::token(token));
            }
            params.push(SigningPart::owned(param("X-Amz-Signature"), signature.as_str().to_owned()));
            SigningOutput::from_params(
                params,
                signature,
                CanonicalRequest::from_shared(Arc::clone(&shared), canonical_request),
                StringToSign::from_shared(shared, string_to_sign),
            )
        }
    }
}

/// Fills `headers` with the request headers that are signed, plus the ones this signature adds
/// (a signature of a request just signed the same way skips this: see `memo`).
#[inline(never)]
fn select_headers<'h>(
    headers: &mut HeaderList<SignedHeader<'h>>,
    request: &SignableRequest<'h>,
    plan: &'h Plan<'_>,
) -> Result<(), SigningError> {
    let host = request.host().ok_or_else(|| SigningError::new(SigningErrorKind::MissingHost))?;
    let (settings, presigning, region_set) = (plan.settings, plan.presigning(), plan.region_set);
    let mut has_host = false;
    for &(name, value) in request.headers() {
        let lower_is = |s: &str| name.eq_ignore_ascii_case(s);
        if settings.excluded_headers.iter().any(|e| lower_is(e)) {
            continue;
        }
        // These are replaced by this signature's own values.
        if lower_is("x-amz-security-token")
            || (region_set.is_some() && lower_is("x-amz-region-set"))
            || (!presigning && lower_is("x-amz-date"))
            || (settings.content_sha256_header && !presigning && lower_is("x-amz-content-sha256"))
        {
            continue;
        }
        // Presigned URLs leave out headers that SDKs add per attempt.
        if presigning && (lower_is("x-amz-user-agent") || lower_is("x-amz-checksum-mode")) {
            continue;
        }
        if lower_is("host") {
            if has_host {
                continue;
            }
            has_host = true;
            headers.push(("host", host, false));
            continue;
        }
        headers.push((name, value, false));
    }
    if !has_host {
        // From the URI's authority, which holds no spaces.
        headers.push(("host", host, true));
    }
    if !presigning {
        headers.push(("x-amz-date", &plan.time.as_bytes()[..], true));
        if let Some(region_set) = region_set {
            // `check_region_set` allowed no spaces in it.
            headers.push(("x-amz-region-set", region_set.as_bytes(), true));
        }
        if settings.content_sha256_header {
            headers.push(("x-amz-content-sha256", plan.payload_hash, true));
        }
        if let (Some(token), true) = (plan.token, plan.sign_token) {
            headers.push(("x-amz-security-token", token.as_str().as_bytes(), token.is_canonical()));
        }
    }
    Ok(())
}

/// Checks a SigV4a region set: regions (or `*` patterns) separated by commas, such as
/// `us-east-1`, `us-east-1,us-west-2` or `*`.
fn check_region_set(value: &str) -> Result<(), SigningError> {
    let allowed = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'-' | b'*' | b',');
    if value.is_empty() || !value.bytes().all(allowed) || value.split(',').any(str::is_empty) {
        return Err(SigningError::new(SigningErrorKind::InvalidScope { field: "region set" }));
    }
    Ok(())
}

/// Checks a region or service name: it becomes part of the `/`-separated scope, so it must be
/// non-empty, without `/`, whitespace or control characters.
fn check_scope_field(value: &str, field: &'static str) -> Result<(), SigningError> {
    if value.is_empty() || value.bytes().any(|b| b == b'/' || b.is_ascii_whitespace() || b.is_ascii_control())
    {
        return Err(SigningError::new(SigningErrorKind::InvalidScope { field }));
    }
    Ok(())
}

/// The payload hash for `body`: hex SHA-256 of the bytes, or the given sentinel/precomputed hash.
/// ASCII bytes either way; kept as bytes since it is only ever copied into a buffer.
pub(crate) fn payload_hash<'b>(
    body: SignableBody<'b>,
    storage: &'b mut [u8; 64],
) -> Result<&'b [u8], SigningError> {
    match body {
        SignableBody::Bytes(bytes) => {
            *storage = hex32(&sha256(bytes));
            Ok(&storage[..])
        }
        SignableBody::UnsignedPayload => Ok(UNSIGNED_PAYLOAD.as_bytes()),
        SignableBody::Precomputed(h) => {
            let is_hash =
                h.len() == 64 && h.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
            let is_sentinel = !h.is_empty()
                && h.bytes().all(|b| b.is_ascii_uppercase() || b == b'-' || b.is_ascii_digit())
                && h.contains('-');
            if is_hash || is_sentinel {
                Ok(h.as_bytes())
            } else {
                Err(SigningError::new(SigningErrorKind::InvalidPayloadHash))
            }
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use super::*;

    /// A GET signed with a session token: what the signing and output tests both start from.
    pub(crate) fn sign_with_token(token: &str) -> SigningOutput {
        let creds = Credentials::new("AKID", "secret", Some(token.to_owned()), None);
        let req = SignableRequest::new("GET", "https://example.com/", [], SignableBody::Bytes(b""))
            .expect("valid request");
        let time = UNIX_EPOCH + Duration::from_secs(1_440_938_160);
        sign(&req, &SigningParams::new(&creds, "us-east-1", "service", time)).expect("signs")
    }

    #[test]
    fn a_session_token_with_spaces_is_trimmed_and_collapsed_when_signed() {
        // The token skips the space scan only when it has no space; one with spaces still gets
        // SigV4's trimming, while the header sent keeps the token as it is.
        let out = sign_with_token("  tok   en ");
        assert!(out.canonical_request().canonical_headers().contains("x-amz-security-token:tok en\n"));
        assert_eq!(out.headers()[1].value(), "  tok   en ");
        let plain = sign_with_token("token");
        assert!(plain.canonical_request().canonical_headers().contains("x-amz-security-token:token\n"));
    }
}
