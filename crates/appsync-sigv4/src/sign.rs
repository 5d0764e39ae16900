//! Signing: from a request, credentials, scope and time to the headers or query parameters to add.

use std::borrow::Cow;
use std::cell::Cell;
use std::ops::Range;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use crate::canonical::{
    ALGORITHM, CanonicalParts, CanonicalRequest, HeaderList, PathRules, SignedHeader, StringToSign,
    return_scratch, sort_headers, take_scratch, write_canonical, write_signed_headers, write_string_to_sign,
    write_string_to_sign_v4a,
};
use crate::credentials::Credentials;
use crate::date::AmzDate;
use crate::encoding::{encode_strict, hex32};
use crate::error::{SigningError, SigningErrorKind};
use crate::memo;
use crate::request::{SignableBody, SignableRequest};
use crate::sha::{sha256, sha256_tail};

/// Payload hash sentinel for a body that is not signed.
pub const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";

/// Headers never signed by default: they are changed by proxies and HTTP stacks on the way
/// (`user-agent`, `x-amzn-trace-id`, `expect`, `transfer-encoding`) or are the signature itself
/// (`authorization`).
pub const DEFAULT_EXCLUDED_HEADERS: &[Cow<'static, str>] = &[
    Cow::Borrowed("authorization"),
    Cow::Borrowed("user-agent"),
    Cow::Borrowed("x-amzn-trace-id"),
    Cow::Borrowed("expect"),
    Cow::Borrowed("transfer-encoding"),
];

/// Where the signature goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureLocation {
    /// `Authorization` and `X-Amz-Date` headers.
    Headers,
    /// A presigned URL: `X-Amz-*` query parameters, valid for `expires_in` (1 second to 7 days).
    QueryParams {
        /// How long the URL stays valid.
        expires_in: Duration,
    },
}

/// How the session token of temporary credentials is handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionTokenMode {
    /// Signed along with the request (the default, and what AppSync expects).
    Include,
    /// Added after signing, outside the signature (a few services, such as IoT presigned URLs,
    /// want this).
    Exclude,
}

/// Knobs of the SigV4 algorithm. The defaults are right for every AWS service except S3 (which
/// wants `normalize_path: false, double_encode_path: false`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SigningSettings {
    /// Remove `.`/`..` segments and repeated slashes from the path before signing.
    pub normalize_path: bool,
    /// Encode the (already URL-encoded) path once more.
    pub double_encode_path: bool,
    /// Add and sign `x-amz-content-sha256` (header signing only).
    pub content_sha256_header: bool,
    /// Whether the session token is part of the signature.
    pub session_token_mode: SessionTokenMode,
    /// Headers or presigned query.
    pub location: SignatureLocation,
    /// Lower-case names of headers left out of the signature.
    pub excluded_headers: Cow<'static, [Cow<'static, str>]>,
}

impl Default for SigningSettings {
    fn default() -> Self {
        Self {
            normalize_path: true,
            double_encode_path: true,
            content_sha256_header: false,
            session_token_mode: SessionTokenMode::Include,
            location: SignatureLocation::Headers,
            excluded_headers: Cow::Borrowed(DEFAULT_EXCLUDED_HEADERS),
        }
    }
}

impl SigningSettings {
    /// The settings S3 needs: no path normalisation, single encoding, `x-amz-content-sha256`.
    pub fn s3() -> Self {
        Self {
            normalize_path: false,
            double_encode_path: false,
            content_sha256_header: true,
            ..Self::default()
        }
    }

    /// Presign for `expires_in` instead of signing headers.
    pub fn presigned(expires_in: Duration) -> Self {
        Self { location: SignatureLocation::QueryParams { expires_in }, ..Self::default() }
    }
}

/// Everything a signature depends on besides the request.
///
/// ```
/// use std::time::SystemTime;
/// use appsync_sigv4::{Credentials, SigningParams};
/// let creds = Credentials::new("AKID", "SECRET", None, None);
/// let params = SigningParams::new(&creds, "us-east-1", "appsync", SystemTime::now());
/// assert_eq!(params.service(), "appsync");
/// ```
#[derive(Debug, Clone)]
pub struct SigningParams<'a> {
    pub(crate) credentials: &'a Credentials,
    region: &'a str,
    service: &'a str,
    time: SystemTime,
    settings: SigningSettings,
}

impl<'a> SigningParams<'a> {
    /// Parameters with default settings.
    pub fn new(credentials: &'a Credentials, region: &'a str, service: &'a str, time: SystemTime) -> Self {
        Self { credentials, region, service, time, settings: SigningSettings::default() }
    }

    /// Replaces the settings (the defaults suit every service but S3).
    #[must_use]
    pub fn settings(mut self, settings: SigningSettings) -> Self {
        self.settings = settings;
        self
    }

    /// The region.
    pub fn region(&self) -> &str {
        self.region
    }

    /// The service signing name (`appsync`, `execute-api`, `s3`...).
    pub fn service(&self) -> &str {
        self.service
    }

    /// The signing time.
    pub fn time(&self) -> SystemTime {
        self.time
    }
}

/// A header or query parameter to add to the request.
#[derive(Clone)]
pub struct SigningPart {
    name: PartName,
    value: PartValue,
}

/// The name of a part: the headers a signature adds, told apart without comparing strings when
/// they are applied, or a presigning parameter.
#[derive(Clone, Copy, PartialEq, Eq)]
enum PartName {
    Date,
    RegionSet,
    SecurityToken,
    ContentSha256,
    Authorization,
    Param(&'static str),
}

impl PartName {
    fn as_str(self) -> &'static str {
        match self {
            Self::Date => "X-Amz-Date",
            Self::RegionSet => "X-Amz-Region-Set",
            Self::SecurityToken => "X-Amz-Security-Token",
            Self::ContentSha256 => "x-amz-content-sha256",
            Self::Authorization => "Authorization",
            Self::Param(name) => name,
        }
    }

    /// The `http` header name, for the parts that are headers.
    fn header(self) -> Option<http::HeaderName> {
        const X_AMZ_DATE: http::HeaderName = http::HeaderName::from_static("x-amz-date");
        const X_AMZ_REGION_SET: http::HeaderName = http::HeaderName::from_static("x-amz-region-set");
        const X_AMZ_SECURITY_TOKEN: http::HeaderName = http::HeaderName::from_static("x-amz-security-token");
        const X_AMZ_CONTENT_SHA256: http::HeaderName = http::HeaderName::from_static("x-amz-content-sha256");
        match self {
            Self::Date => Some(X_AMZ_DATE),
            Self::RegionSet => Some(X_AMZ_REGION_SET),
            Self::SecurityToken => Some(X_AMZ_SECURITY_TOKEN),
            Self::ContentSha256 => Some(X_AMZ_CONTENT_SHA256),
            Self::Authorization => Some(http::header::AUTHORIZATION),
            Self::Param(_) => None,
        }
    }
}

/// The value of a part, borrowed where it already exists so that signing copies neither the
/// timestamp nor the (long) session token, and shares one buffer for the rest.
#[derive(Clone)]
enum PartValue {
    Owned(String),
    Static(&'static str),
    Date(AmzDate),
    /// The session token of these credentials (a shared handle, not a copy).
    Token(Credentials),
    /// ASCII text inside the buffer shared with the canonical request and string to sign
    /// (start and end offsets: `u32` keeps the part small, and buffers that size do not occur).
    Shared(Arc<[u8]>, u32, u32),
}

impl PartValue {
    fn as_str(&self) -> &str {
        match self {
            PartValue::Owned(s) => s,
            PartValue::Static(s) => s,
            PartValue::Date(d) => d.as_str(),
            PartValue::Shared(buf, start, end) => buf
                .get(*start as usize..*end as usize)
                .and_then(|b| std::str::from_utf8(b).ok())
                .unwrap_or_default(),
            PartValue::Token(c) => c.session_token().unwrap_or_default(),
        }
    }

    fn shared(buf: &Arc<[u8]>, range: Range<usize>) -> Self {
        let offset = |i: usize| u32::try_from(i).unwrap_or(u32::MAX);
        Self::Shared(Arc::clone(buf), offset(range.start), offset(range.end))
    }
}

impl PartialEq for SigningPart {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name && self.value() == other.value()
    }
}

impl Eq for SigningPart {}

impl SigningPart {
    /// The header or parameter name, in the case AWS documents (`X-Amz-Date`, `Authorization`).
    pub fn name(&self) -> &'static str {
        self.name.as_str()
    }

    /// The value, unencoded.
    pub fn value(&self) -> &str {
        self.value.as_str()
    }

    /// Whether the value is a secret (the session token) that must be kept out of logs.
    pub fn is_sensitive(&self) -> bool {
        matches!(self.value, PartValue::Token(_))
    }
}

impl std::fmt::Debug for SigningPart {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let value = if self.is_sensitive() { "** redacted **" } else { self.value() };
        write!(f, "{}: {}", self.name(), value)
    }
}

/// The most headers a signature adds: `X-Amz-Date`, `X-Amz-Region-Set` (SigV4a),
/// `X-Amz-Security-Token`, `x-amz-content-sha256` and `Authorization`.
const MAX_HEADERS: usize = 5;

/// The signature as the output keeps it.
#[derive(Clone)]
enum OutSignature {
    /// SigV4's: 64 hex digits.
    Hex([u8; 64]),
    /// SigV4a's, in the shared buffer.
    Shared(PartValue),
}

impl OutSignature {
    fn as_str(&self) -> &str {
        match self {
            Self::Hex(hex) => std::str::from_utf8(hex).unwrap_or_default(),
            Self::Shared(value) => value.as_str(),
        }
    }
}

/// The result of signing: what to add to the request, plus the intermediate stages for
/// debugging (`appsync sign --verbose` prints them).
#[derive(Clone)]
pub struct SigningOutput {
    /// Inline: the headers to add are at most [`MAX_HEADERS`], so they need no list of their own.
    headers: [SigningPart; MAX_HEADERS],
    header_count: usize,
    params: Vec<SigningPart>,
    signature: OutSignature,
    canonical_request: CanonicalRequest,
    string_to_sign: StringToSign,
}

impl std::fmt::Debug for SigningOutput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningOutput")
            .field("headers", &self.headers())
            .field("params", &self.params)
            .field("signature", &self.signature())
            .field("canonical_request", &self.canonical_request)
            .field("string_to_sign", &self.string_to_sign)
            .finish()
    }
}

impl SigningOutput {
    /// Headers to add (header signing), in the order AWS's examples show them.
    pub fn headers(&self) -> &[SigningPart] {
        &self.headers[..self.header_count]
    }

    /// Query parameters to append (presigning), in the order AWS's examples show them.
    pub fn params(&self) -> &[SigningPart] {
        &self.params
    }

    /// The hex signature.
    pub fn signature(&self) -> &str {
        self.signature.as_str()
    }

    /// Stage 1: the canonical request that was signed.
    pub fn canonical_request(&self) -> &CanonicalRequest {
        &self.canonical_request
    }

    /// Stage 2: the string that was signed.
    pub fn string_to_sign(&self) -> &StringToSign {
        &self.string_to_sign
    }

    /// Adds the headers (replacing any of the same name) and query parameters to an
    /// [`http::Request`].
    ///
    /// # Errors
    /// A value that is not a valid header value (only possible for a session token with control
    /// characters), or a URI that no longer parses with the parameters appended.
    pub fn apply_to_request<B>(&self, req: &mut http::Request<B>) -> Result<(), SigningError> {
        self.apply_to_header_map(req.headers_mut())?;
        if !self.params.is_empty() {
            let uri = self.presigned_uri(&req.uri().to_string());
            *req.uri_mut() = uri.parse().map_err(|_| {
                SigningError::new(SigningErrorKind::InvalidUri { reason: "the presigned URI does not parse" })
            })?;
        }
        Ok(())
    }

    /// Adds the headers to an [`http::HeaderMap`], replacing any of the same name (the query
    /// parameters of a presigned URL are not headers: see [`Self::presigned_uri`]).
    ///
    /// The `Authorization` value is copied once and marked sensitive, as is the session token,
    /// which is the credentials' own value (validated once, shared by every request).
    ///
    /// # Errors
    /// A session token that is not a valid header value (it has control characters).
    pub fn apply_to_header_map(&self, headers: &mut http::HeaderMap) -> Result<(), SigningError> {
        headers.reserve(self.header_count);
        // The session token is the credentials' own header value and the timestamp is shared by
        // every request signed in the same second; only the `Authorization` value is copied, into
        // a buffer of its own (sharing the output's whole buffer instead would keep all of it
        // alive as long as the request).
        for part in self.headers() {
            let invalid =
                || SigningError::new(SigningErrorKind::InvalidHeader { name: part.name().to_owned() });
            let value = match &part.value {
                PartValue::Date(time) => date_value(time).ok_or_else(invalid)?,
                PartValue::Token(creds) => creds.session_token_header().cloned().ok_or_else(invalid)?,
                _ => {
                    let mut value =
                        http::HeaderValue::from_bytes(part.value().as_bytes()).map_err(|_| invalid())?;
                    // The `Authorization` value is a credential for the next few minutes.
                    value.set_sensitive(part.name == PartName::Authorization);
                    value
                }
            };
            headers.insert(part.name.header().ok_or_else(invalid)?, value);
        }
        Ok(())
    }

    /// Adds the headers to a list of plain `(name, value)` pairs, replacing any of the same name
    /// (case-insensitively).
    pub fn apply_to_headers(&self, headers: &mut Vec<(String, String)>) {
        for part in self.headers() {
            headers.retain(|(n, _)| !n.eq_ignore_ascii_case(part.name()));
            headers.push((part.name().to_owned(), part.value().to_owned()));
        }
    }

    /// `uri` with the presigning parameters appended (unchanged when signing headers).
    pub fn presigned_uri(&self, uri: &str) -> String {
        if self.params.is_empty() {
            return uri.to_owned();
        }
        let (base, fragment) = match uri.split_once('#') {
            Some((b, f)) => (b, Some(f)),
            None => (uri, None),
        };
        let mut out = Vec::with_capacity(base.len() + 512);
        out.extend_from_slice(base.as_bytes());
        let mut sep = if base.contains('?') {
            if base.ends_with(['?', '&']) { None } else { Some(b'&') }
        } else {
            Some(b'?')
        };
        for part in &self.params {
            if let Some(s) = sep {
                out.push(s);
            }
            sep = Some(b'&');
            out.extend_from_slice(part.name().as_bytes());
            out.push(b'=');
            encode_strict(&mut out, part.value().as_bytes());
        }
        if let Some(f) = fragment {
            out.push(b'#');
            out.extend_from_slice(f.as_bytes());
        }
        String::from_utf8(out).unwrap_or_default()
    }
}

thread_local! {
    /// The last `X-Amz-Date` header value made on this thread, for its timestamp.
    static LAST_DATE: Cell<Option<(AmzDate, http::HeaderValue)>> = const { Cell::new(None) };
}

/// `time` as a header value, shared (not copied again) with the requests signed in the same
/// second on this thread; `None` cannot happen for an `AmzDate`, whose text is ASCII.
fn date_value(time: &AmzDate) -> Option<http::HeaderValue> {
    let cached = LAST_DATE.try_with(Cell::take).ok().flatten();
    if let Some((last, value)) = &cached
        && last.as_bytes() == time.as_bytes()
    {
        let out = value.clone();
        let _ = LAST_DATE.try_with(|c| c.set(cached));
        return Some(out);
    }
    let value = http::HeaderValue::from_bytes(time.as_bytes()).ok()?;
    let _ = LAST_DATE.try_with(|c| c.set(Some((*time, value.clone()))));
    Some(value)
}

/// Validates a region or service name: it becomes part of the scope, which is `/`-separated.
/// A SigV4a region set: regions (or `*` patterns) separated by commas, such as `us-east-1`,
/// `us-east-1,us-west-2` or `*`.
fn check_region_set(value: &str) -> Result<(), SigningError> {
    let allowed = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'-' | b'*' | b',');
    if value.is_empty() || !value.bytes().all(allowed) || value.split(',').any(str::is_empty) {
        return Err(SigningError::new(SigningErrorKind::InvalidScope { field: "region set" }));
    }
    Ok(())
}

pub(crate) fn check_scope_field(value: &str, field: &'static str) -> Result<(), SigningError> {
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
    Hmac(crate::sha::HmacKey),
    Ecdsa(&'k dyn Fn(&[u8]) -> String),
}

/// The signature: SigV4's fixed-length hex, or SigV4a's (variable-length, DER) in the shared
/// buffer.
#[derive(Clone)]
enum Signature {
    Hex([u8; 64]),
    Shared(Range<usize>),
}

/// Fills `headers` with the request headers that are signed, plus the ones this signature adds
/// (a signature of a request just signed the same way skips this: see `memo`).
#[allow(clippy::too_many_arguments)]
#[inline(never)]
fn select_headers<'h>(
    headers: &mut HeaderList<SignedHeader<'h>>,
    request: &SignableRequest<'h>,
    settings: &SigningSettings,
    presigning: bool,
    region_set: Option<&'h str>,
    payload_hash: &'h [u8],
    time: &'h AmzDate,
    creds: &'h Credentials,
    sign_token: bool,
) -> Result<(), SigningError> {
    let host = request.host().ok_or_else(|| SigningError::new(SigningErrorKind::MissingHost))?;
    let token = creds.session_token();
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
        headers.push(("x-amz-date", time.as_bytes(), true));
        if let Some(region_set) = region_set {
            // The caller checked it holds no spaces.
            headers.push(("x-amz-region-set", region_set.as_bytes(), true));
        }
        if settings.content_sha256_header {
            headers.push(("x-amz-content-sha256", payload_hash, true));
        }
        if let (Some(token), true) = (token, sign_token) {
            headers.push(("x-amz-security-token", token.as_bytes(), creds.session_token_is_canonical()));
        }
    }

    Ok(())
}

/// The algorithm name of SigV4a.
#[cfg_attr(not(feature = "sigv4a"), allow(dead_code))]
pub(crate) const ALGORITHM_V4A: &str = "AWS4-ECDSA-P256-SHA256";

/// [`sign`] for either scheme; inlined so that SigV4's path carries no trace of SigV4a's.
#[inline(always)]
pub(crate) fn sign_with(
    request: &SignableRequest<'_>,
    params: &SigningParams<'_>,
    scheme: Scheme<'_>,
) -> Result<SigningOutput, SigningError> {
    let creds = params.credentials;
    let settings = &params.settings;
    if creds.is_expired_at(params.time) {
        return Err(SigningError::new(SigningErrorKind::CredentialsExpired));
    }
    let time = AmzDate::from_system_time(params.time)?;
    let date = &time.as_bytes()[..8];
    let (algorithm, region_set, signer) = match scheme {
        Scheme::V4 => {
            let mac = match creds.cached_mac(date, params.region, params.service) {
                // Only valid regions and services ever make it into the cache.
                Some(mac) => mac,
                None => {
                    check_scope_field(params.region, "region")?;
                    check_scope_field(params.service, "service")?;
                    creds.signing_mac(date, params.region, params.service)
                }
            };
            (ALGORITHM, None, Signer::Hmac(mac))
        }
        Scheme::V4a { sign } => {
            check_region_set(params.region)?;
            check_scope_field(params.service, "service")?;
            (ALGORITHM_V4A, Some(params.region), Signer::Ecdsa(sign))
        }
    };
    let mut hash_storage = [0u8; 64];
    let payload_hash = payload_hash(request.body, &mut hash_storage)?;
    let token = creds.session_token();
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
    let presigning = presign_expiry.is_some();
    let sign_token = settings.session_token_mode == SessionTokenMode::Include;

    // Header signing of a request this thread has just signed the same way: the canonical
    // request is the remembered one with the new timestamp and payload hash (see `memo`).
    let memo_key = (!presigning && region_set.is_none()).then(|| memo::KeyParts {
        credentials_id: creds.id(),
        settings,
        has_token: token.is_some(),
        payload_hash_len: payload_hash.len(),
    });
    let memo = memo_key.as_ref().and_then(|key| memo::take_matching(request, key));

    // Which request headers are signed, plus the ones this signature adds.
    let mut headers: HeaderList<SignedHeader<'_>> = HeaderList::new();
    if memo.is_none() {
        select_headers(
            &mut headers,
            request,
            settings,
            presigning,
            region_set,
            payload_hash,
            &time,
            creds,
            sign_token,
        )?;
    }
    let rules = PathRules { normalize: settings.normalize_path, double_encode: settings.double_encode_path };
    let mut credential = String::new();
    let mut expires = String::new();
    let mut signed_headers_param = Vec::new();
    let mut extra: Vec<(&str, &[u8])> = Vec::new();
    if let Some(secs) = presign_expiry {
        sort_headers(headers.as_mut_slice());
        write_signed_headers(&mut signed_headers_param, headers.as_mut_slice());
        credential = match region_set {
            None => format!(
                "{}/{}/{}/{}/aws4_request",
                creds.access_key_id(),
                time.date(),
                params.region,
                params.service
            ),
            Some(_) => format!("{}/{}/{}/aws4_request", creds.access_key_id(), time.date(), params.service),
        };
        expires = secs.to_string();
        if let Some(region_set) = region_set {
            extra.push(("X-Amz-Region-Set", region_set.as_bytes()));
        }
        extra.extend_from_slice(&[
            ("X-Amz-Algorithm", algorithm.as_bytes()),
            ("X-Amz-Credential", credential.as_bytes()),
            ("X-Amz-Date", time.as_bytes()),
            ("X-Amz-Expires", expires.as_bytes()),
            ("X-Amz-SignedHeaders", &signed_headers_param),
        ]);
        if let (Some(token), true) = (token, sign_token) {
            extra.push(("X-Amz-Security-Token", token.as_bytes()));
        }
    }

    // The canonical request, the string to sign and the `Authorization` value are written one
    // after the other into a reused buffer, hashed and signed there, and copied out once into
    // the buffer the output shares.
    let mut buf = take_scratch();
    let layout = match &memo {
        Some(memo) => memo.write(&mut buf, time.as_bytes(), payload_hash),
        None => write_canonical(
            &mut buf,
            CanonicalParts {
                method: request.method,
                path: request.path,
                query: request.query,
                extra_params: &extra,
                skip_param: None,
                headers: headers.as_mut_slice(),
                // The names this function adds are lower-case.
                names_lowercase: request.names_lowercase,
                payload_hash,
                rules,
            },
        ),
    };
    match (memo, &memo_key) {
        (Some(memo), _) => memo::put_back(memo),
        (None, Some(key)) => memo::remember(request, key, &buf, &layout),
        (None, None) => {}
    }
    // Both hashed where they were written, padded in place (the canonical request is all of `buf`
    // so far).
    let creq_hash = hex32(&sha256_tail(&mut buf, layout.all().start));
    let (sts, signature) = match signer {
        Signer::Hmac(mac) => {
            let sts = write_string_to_sign(&mut buf, &time, params.region, params.service, &creq_hash);
            let signature = hex32(&mac.sign_tail(&mut buf, sts.text.start));
            (sts, Signature::Hex(signature))
        }
        Signer::Ecdsa(sign) => {
            let sts = write_string_to_sign_v4a(&mut buf, &time, params.service, &creq_hash);
            let hex = sign(&buf[sts.text.clone()]);
            let start = buf.len();
            buf.extend_from_slice(hex.as_bytes());
            (sts, Signature::Shared(start..buf.len()))
        }
    };

    let authorization = (!presigning).then(|| {
        let start = buf.len();
        buf.extend_from_slice(algorithm.as_bytes());
        buf.extend_from_slice(b" Credential=");
        buf.extend_from_slice(creds.access_key_id().as_bytes());
        buf.push(b'/');
        buf.extend_from_within(sts.scope.clone());
        buf.extend_from_slice(b", SignedHeaders=");
        buf.extend_from_within(layout.signed_headers.clone());
        buf.extend_from_slice(b", Signature=");
        match &signature {
            Signature::Hex(hex) => buf.extend_from_slice(hex),
            Signature::Shared(range) => buf.extend_from_within(range.clone()),
        }
        start..buf.len()
    });
    let shared: Arc<[u8]> = Arc::from(&buf[..]);
    return_scratch(buf);

    let date_part = SigningPart { name: PartName::Date, value: PartValue::Date(time) };
    let token_part = || SigningPart { name: PartName::SecurityToken, value: PartValue::Token(creds.clone()) };
    let unused = || SigningPart { name: PartName::Param(""), value: PartValue::Static("") };
    let signature = match signature {
        Signature::Hex(hex) => OutSignature::Hex(hex),
        Signature::Shared(range) => OutSignature::Shared(PartValue::shared(&shared, range)),
    };
    let region_set_part =
        |name| region_set.map(|r| SigningPart { name, value: PartValue::Owned(r.to_owned()) });
    let mut out_params = Vec::new();
    let (out_headers, header_count) = if let Some(authorization) = authorization {
        let authorization =
            SigningPart { name: PartName::Authorization, value: PartValue::shared(&shared, authorization) };
        let hash = || SigningPart {
            name: PartName::ContentSha256,
            value: PartValue::shared(&shared, layout.payload_hash.clone()),
        };
        // Built in place, in the order AWS's examples show.
        match (region_set_part(PartName::RegionSet), token.is_some(), settings.content_sha256_header) {
            (None, true, false) => ([date_part, token_part(), authorization, unused(), unused()], 3),
            (None, false, false) => ([date_part, authorization, unused(), unused(), unused()], 2),
            (None, true, true) => ([date_part, token_part(), hash(), authorization, unused()], 4),
            (None, false, true) => ([date_part, hash(), authorization, unused(), unused()], 3),
            (Some(set), true, false) => ([date_part, set, token_part(), authorization, unused()], 4),
            (Some(set), false, false) => ([date_part, set, authorization, unused(), unused()], 3),
            (Some(set), true, true) => ([date_part, set, token_part(), hash(), authorization], 5),
            (Some(set), false, true) => ([date_part, set, hash(), authorization, unused()], 4),
        }
    } else {
        let part =
            |name, value: String| SigningPart { name: PartName::Param(name), value: PartValue::Owned(value) };
        out_params = vec![
            SigningPart { name: PartName::Param("X-Amz-Algorithm"), value: PartValue::Static(algorithm) },
            part("X-Amz-Credential", credential),
            date_part,
            part("X-Amz-SignedHeaders", String::from_utf8(signed_headers_param).unwrap_or_default()),
            part("X-Amz-Expires", expires),
        ];
        out_params.extend(region_set_part(PartName::Param("X-Amz-Region-Set")));
        if token.is_some() {
            out_params.push(token_part());
        }
        out_params.push(part("X-Amz-Signature", signature.as_str().to_owned()));
        ([unused(), unused(), unused(), unused(), unused()], 0)
    };
    Ok(SigningOutput {
        headers: out_headers,
        header_count,
        params: out_params,
        signature,
        canonical_request: CanonicalRequest::from_shared(Arc::clone(&shared), layout),
        string_to_sign: StringToSign::from_shared(shared, sts),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::UNIX_EPOCH;

    fn sign_with_token(token: &str) -> SigningOutput {
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

    #[test]
    fn applying_sets_the_exact_values_and_marks_credentials_sensitive() {
        let out = sign_with_token("token");
        let mut req = http::Request::get("https://example.com/")
            .header("authorization", "stale")
            .header("x-amz-date", "stale")
            .body(())
            .expect("valid request");
        out.apply_to_request(&mut req).expect("applies");
        for part in out.headers() {
            let values: Vec<_> = req.headers().get_all(part.name()).iter().collect();
            assert_eq!(values.len(), 1, "{} replaced, not added", part.name());
            assert_eq!(values[0].as_bytes(), part.value().as_bytes(), "{}", part.name());
        }
        let headers = req.headers();
        assert!(headers["x-amz-security-token"].is_sensitive());
        assert!(headers["authorization"].is_sensitive());
        assert!(!headers["x-amz-date"].is_sensitive());
        let mut map = http::HeaderMap::new();
        map.insert("x-amz-date", http::HeaderValue::from_static("stale"));
        out.apply_to_header_map(&mut map).expect("applies");
        assert_eq!(&map, req.headers(), "the same headers as on the request");
    }

    #[test]
    fn applying_a_token_that_is_no_header_value_is_an_error() {
        let out = sign_with_token("tok\u{7f}en");
        let mut req = http::Request::get("https://example.com/").body(()).expect("valid request");
        let err = out.apply_to_request(&mut req).expect_err("DEL is not allowed in a header value");
        assert!(
            matches!(err.kind(), SigningErrorKind::InvalidHeader { name } if name == "X-Amz-Security-Token"),
            "{err:?}"
        );
    }

    #[test]
    fn parts_share_the_output_buffer_and_report_exact_values() {
        let out = sign_with_token("token");
        let names: Vec<&str> = out.headers().iter().map(SigningPart::name).collect();
        assert_eq!(names, ["X-Amz-Date", "X-Amz-Security-Token", "Authorization"]);
        let authz = out.headers()[2].value().to_owned();
        assert!(
            authz.starts_with("AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/service/aws4_request, ")
        );
        assert!(authz.ends_with(&format!(
            "SignedHeaders=host;x-amz-date;x-amz-security-token, Signature={}",
            out.signature()
        )));
        // A part outlives the output it came from: it shares the buffer, not borrows it.
        let cloned = out.headers()[2].clone();
        drop(out);
        assert_eq!(cloned.value(), authz);
    }
}
