//! The result of signing, and how it is applied to a request: the headers or query parameters
//! to add, plus the intermediate stages.

use std::ops::Range;
use std::sync::Arc;

use crate::canonical::CanonicalRequest;
use crate::credentials::SessionToken;
use crate::date::AmzDate;
use crate::encoding::encode_strict;
use crate::error::{SigningError, SigningErrorKind};
use crate::per_thread;
use crate::string_to_sign::StringToSign;

/// A header or query parameter to add to the request.
#[derive(Clone)]
pub struct SigningPart {
    name: PartName,
    value: PartValue,
}

/// The name of a part: the headers a signature adds, told apart without comparing strings when
/// they are applied, or a presigning parameter.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum PartName {
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
    /// The credentials' session token (a shared handle, not a copy).
    Token(SessionToken),
    /// Text inside the buffer shared with the canonical request and string to sign.
    Shared(Arc<[u8]>, Range<usize>),
}

impl PartValue {
    #[allow(
        clippy::expect_used,
        reason = "the signer writes the shared parts from `&str` pieces and ends them at ASCII characters"
    )]
    fn as_str(&self) -> &str {
        match self {
            PartValue::Owned(s) => s,
            PartValue::Static(s) => s,
            PartValue::Date(d) => d.as_str(),
            PartValue::Shared(buf, range) => {
                std::str::from_utf8(&buf[range.clone()]).expect("a shared part is text")
            }
            PartValue::Token(token) => token.as_str(),
        }
    }
}

impl PartialEq for SigningPart {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name && self.value() == other.value()
    }
}

impl Eq for SigningPart {}

impl SigningPart {
    /// `X-Amz-Date`, shared with the requests signed in the same second when applied.
    pub(crate) fn date(time: AmzDate) -> Self {
        Self { name: PartName::Date, value: PartValue::Date(time) }
    }

    /// `X-Amz-Security-Token`, the credentials' own (header or parameter alike).
    pub(crate) fn token(token: &SessionToken) -> Self {
        Self { name: PartName::SecurityToken, value: PartValue::Token(token.clone()) }
    }

    /// A part whose value is `buf[range]`, text the signer wrote.
    pub(crate) fn shared(name: PartName, buf: &Arc<[u8]>, range: Range<usize>) -> Self {
        Self { name, value: PartValue::Shared(Arc::clone(buf), range) }
    }

    /// A part with a value of its own.
    pub(crate) fn owned(name: PartName, value: String) -> Self {
        Self { name, value: PartValue::Owned(value) }
    }

    /// A part with a fixed value.
    pub(crate) fn fixed(name: PartName, value: &'static str) -> Self {
        Self { name, value: PartValue::Static(value) }
    }

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

/// The headers a signature adds, kept inline (they are at most [`MAX_HEADERS`]) so that an
/// output needs no list of its own.
#[derive(Clone)]
struct AddedHeaders {
    /// Only the first `len` are headers; the rest are never read.
    parts: [SigningPart; MAX_HEADERS],
    len: usize,
}

impl AddedHeaders {
    /// What fills the slots not used yet.
    const VACANT: SigningPart = SigningPart { name: PartName::Param(""), value: PartValue::Static("") };

    /// No headers yet.
    fn none() -> Self {
        Self { parts: [const { Self::VACANT }; MAX_HEADERS], len: 0 }
    }

    /// Adds `part` after the others.
    #[inline(always)]
    fn push(&mut self, part: SigningPart) {
        // A signature adds each kind of header at most once, so there is always room.
        if let Some(slot) = self.parts.get_mut(self.len) {
            // The slot is vacant: what it held owns nothing, so there is nothing to drop.
            std::mem::forget(std::mem::replace(slot, part));
            self.len += 1;
        }
    }

    fn as_slice(&self) -> &[SigningPart] {
        &self.parts[..self.len]
    }
}

/// The signature as the output keeps it.
#[derive(Clone)]
pub(crate) enum OutSignature {
    /// SigV4's: 64 hex digits.
    Hex([u8; 64]),
    /// SigV4a's (variable-length), in the buffer the output shares.
    Shared(Arc<[u8]>, Range<usize>),
}

impl OutSignature {
    /// The hex signature.
    #[allow(clippy::expect_used, reason = "hex digits are ASCII")]
    pub(crate) fn as_str(&self) -> &str {
        match self {
            Self::Hex(hex) => std::str::from_utf8(hex),
            Self::Shared(buf, range) => std::str::from_utf8(&buf[range.clone()]),
        }
        .expect("a signature is hex digits")
    }
}

/// The result of signing: what to add to the request, plus the intermediate stages for
/// debugging (`appsync sign --verbose` prints them).
#[derive(Clone)]
pub struct SigningOutput {
    headers: AddedHeaders,
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
    /// The output of header signing, its headers added next with [`Self::add_header`].
    pub(crate) fn from_headers(
        signature: OutSignature,
        canonical_request: CanonicalRequest,
        string_to_sign: StringToSign,
    ) -> Self {
        Self {
            headers: AddedHeaders::none(),
            params: Vec::new(),
            signature,
            canonical_request,
            string_to_sign,
        }
    }

    /// Adds a header after the others (in the order AWS's examples show them; a signature adds
    /// each at most once).
    #[inline(always)]
    pub(crate) fn add_header(&mut self, part: SigningPart) {
        self.headers.push(part);
    }

    /// The output of presigning: `params` to append, in the order AWS's examples show them.
    pub(crate) fn from_params(
        params: Vec<SigningPart>,
        signature: OutSignature,
        canonical_request: CanonicalRequest,
        string_to_sign: StringToSign,
    ) -> Self {
        Self { headers: AddedHeaders::none(), params, signature, canonical_request, string_to_sign }
    }

    /// Headers to add (header signing), in the order AWS's examples show them.
    pub fn headers(&self) -> &[SigningPart] {
        self.headers.as_slice()
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
        headers.reserve(self.headers.len);
        // The session token is the credentials' own header value and the timestamp is shared by
        // every request signed in the same second; only the `Authorization` value is copied, into
        // a buffer of its own (sharing the output's whole buffer instead would keep all of it
        // alive as long as the request).
        for part in self.headers() {
            let invalid =
                || SigningError::new(SigningErrorKind::InvalidHeader { name: part.name().to_owned() });
            let value = match &part.value {
                PartValue::Date(time) => per_thread::date_header(time).ok_or_else(invalid)?,
                PartValue::Token(token) => token.header().cloned().ok_or_else(invalid)?,
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
    #[allow(
        clippy::expect_used,
        reason = "`uri` is text and what is appended is ASCII: names, separators and percent-encoding"
    )]
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
        String::from_utf8(out).expect("a presigned URI is text")
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use super::*;
    use crate::sign::tests::sign_with_token;
    use crate::{Credentials, SignableBody, SignableRequest, SigningParams, sign};

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

    #[test]
    fn presigned_parameters_name_the_canonical_requests_signed_headers() {
        let creds = Credentials::new("AKID", "secret", Some("tok".to_owned()), None);
        let uri = "https://example.com/a?x=1#frag";
        let req = SignableRequest::new("GET", uri, [("X-Foo", &b"bar"[..])], SignableBody::UnsignedPayload)
            .expect("valid request");
        let time = UNIX_EPOCH + Duration::from_secs(1_440_938_160);
        let params = SigningParams::new(&creds, "us-east-1", "service", time)
            .settings(crate::SigningSettings::presigned(Duration::from_secs(60)));
        let out = sign(&req, &params).expect("signs");
        assert!(out.headers().is_empty());
        let names: Vec<&str> = out.params().iter().map(SigningPart::name).collect();
        assert_eq!(
            names,
            [
                "X-Amz-Algorithm",
                "X-Amz-Credential",
                "X-Amz-Date",
                "X-Amz-SignedHeaders",
                "X-Amz-Expires",
                "X-Amz-Security-Token",
                "X-Amz-Signature"
            ]
        );
        assert_eq!(out.params()[3].value(), "host;x-foo");
        assert_eq!(out.params()[3].value(), out.canonical_request().signed_headers());
        assert!(out.params()[5].is_sensitive());
        let presigned = out.presigned_uri(uri);
        assert!(
            presigned.starts_with("https://example.com/a?x=1&X-Amz-Algorithm=AWS4-HMAC-SHA256&"),
            "{presigned}"
        );
        assert!(
            presigned
                .ends_with(&format!("&X-Amz-Security-Token=tok&X-Amz-Signature={}#frag", out.signature()))
        );
    }
}
