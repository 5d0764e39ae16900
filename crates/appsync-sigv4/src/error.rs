//! Errors of signing and of verification.

use std::fmt;
use std::time::{Duration, SystemTime};

/// Why a request could not be signed.
#[derive(Debug)]
pub struct SigningError {
    kind: SigningErrorKind,
}

/// What was wrong with a request or its parameters. Marked non-exhaustive so that new checks can
/// be added without a breaking change.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SigningErrorKind {
    /// The URI could not be split into scheme, authority, path and query.
    InvalidUri {
        /// What was expected of it.
        reason: &'static str,
    },
    /// The method is empty or not an HTTP token (such as `POST`).
    InvalidMethod,
    /// The request has no `host` header and its URI has no authority to take it from.
    MissingHost,
    /// A header name is not a valid HTTP token, or a value contains CR, LF or NUL.
    InvalidHeader {
        /// The offending header name (as given; values are never echoed since they may be secret).
        name: String,
    },
    /// The signing time is before 1970 or after 9999-12-31.
    TimeOutOfRange,
    /// The credentials expired at or before the signing time.
    CredentialsExpired,
    /// A presigned URL must live between 1 second and 7 days.
    InvalidExpiry {
        /// The requested lifetime in seconds.
        seconds: u64,
    },
    /// A precomputed payload hash must be 64 lower-case hex digits or a SigV4 sentinel such as
    /// `UNSIGNED-PAYLOAD`.
    InvalidPayloadHash,
    /// Region or service is empty or contains `/` or whitespace.
    InvalidScope {
        /// `"region"` or `"service"`.
        field: &'static str,
    },
}

impl SigningError {
    pub(crate) fn new(kind: SigningErrorKind) -> Self {
        Self { kind }
    }

    /// What went wrong.
    pub fn kind(&self) -> &SigningErrorKind {
        &self.kind
    }
}

impl fmt::Display for SigningError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            SigningErrorKind::InvalidUri { reason } => write!(f, "invalid request URI: {reason}"),
            SigningErrorKind::InvalidMethod => {
                f.write_str("invalid HTTP method: expected a token such as GET or POST")
            }
            SigningErrorKind::MissingHost => {
                f.write_str("cannot sign: no `host` header and the URI has no authority")
            }
            SigningErrorKind::InvalidHeader { name } => write!(
                f,
                "invalid header {name:?}: names must be HTTP tokens and values must not contain CR, LF or NUL"
            ),
            SigningErrorKind::TimeOutOfRange => {
                f.write_str("signing time must be between 1970-01-01 and 9999-12-31")
            }
            SigningErrorKind::CredentialsExpired => {
                f.write_str("credentials expired before the signing time; refresh them")
            }
            SigningErrorKind::InvalidExpiry { seconds } => {
                write!(f, "presigned URL lifetime {seconds}s is out of range: expected 1 to 604800 seconds")
            }
            SigningErrorKind::InvalidPayloadHash => {
                f.write_str("precomputed payload hash must be 64 lower-case hex digits or UNSIGNED-PAYLOAD")
            }
            SigningErrorKind::InvalidScope { field } => {
                write!(f, "{field} must be non-empty, without '/' or whitespace")
            }
        }
    }
}

impl std::error::Error for SigningError {}

/// Which part of a signature was malformed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum MalformedPart {
    /// The `Authorization` header or `X-Amz-Algorithm` parameter names another algorithm, or the
    /// header is not text.
    Algorithm,
    /// `Credential=` is missing or is not `AKID/YYYYMMDD/region/service/aws4_request`.
    Credential,
    /// `SignedHeaders=` is missing, empty, not lower-case, not sorted, or repeats a name.
    SignedHeaders,
    /// `Signature=` is missing or is not 64 hex digits.
    Signature,
    /// `X-Amz-Date` is missing or is not `YYYYMMDDTHHMMSSZ`.
    Date,
    /// `X-Amz-Expires` is missing or not an integer from 1 to 604800.
    Expires,
    /// `x-amz-content-sha256` is not a hash or a known sentinel.
    ContentSha256,
    /// A header or parameter that must appear once appears several times.
    Duplicate,
    /// The request is not well formed (bad URI, bad header bytes).
    Request,
}

impl fmt::Display for MalformedPart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            MalformedPart::Algorithm => "algorithm",
            MalformedPart::Credential => "Credential",
            MalformedPart::SignedHeaders => "SignedHeaders",
            MalformedPart::Signature => "Signature",
            MalformedPart::Date => "X-Amz-Date",
            MalformedPart::Expires => "X-Amz-Expires",
            MalformedPart::ContentSha256 => "x-amz-content-sha256",
            MalformedPart::Duplicate => "duplicate field",
            MalformedPart::Request => "request",
        })
    }
}

/// Which field of the credential scope did not match the verifier's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ScopeField {
    /// The scope's date is not the date of `X-Amz-Date`.
    Date,
    /// Another region.
    Region,
    /// Another service.
    Service,
    /// The scope does not end in `aws4_request`.
    Terminator,
}

/// Why a signature was rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum VerifyErrorKind {
    /// Neither an `Authorization` header nor presigned query parameters.
    Missing,
    /// Both an `Authorization` header and presigned query parameters.
    Ambiguous,
    /// A part could not be parsed.
    Malformed {
        /// Which part.
        part: MalformedPart,
        /// What was expected there.
        detail: &'static str,
    },
    /// The access key id is not in the credential store.
    UnknownAccessKey,
    /// The credential scope names another date, region or service.
    ScopeMismatch {
        /// The first field that differed.
        field: ScopeField,
    },
    /// A header that must be signed (`host`, `x-amz-date`, `x-amz-security-token` when present)
    /// is not in `SignedHeaders`.
    HeaderNotSigned {
        /// The header's name.
        name: String,
    },
    /// A header listed in `SignedHeaders` is absent from the request.
    SignedHeaderMissing {
        /// The header's name.
        name: String,
    },
    /// The session token is missing, unexpected, or not the one issued with the key.
    InvalidSessionToken,
    /// `x-amz-content-sha256` does not match the body, or an unsigned payload was not allowed.
    PayloadHashMismatch,
    /// The signature is not the one the verifier computed.
    SignatureMismatch,
    /// The presigned URL has expired.
    Expired,
    /// The request time is further from the verifier's clock than the allowed skew.
    ClockSkew,
}

/// A rejected signature: a typed reason, plus, for a signature mismatch, the canonical request and
/// string to sign the verifier expected (for debug logs; never send them to the client).
#[derive(Clone, PartialEq, Eq)]
pub struct VerifyError {
    kind: VerifyErrorKind,
    expected: Option<Box<(String, String)>>,
    /// For a time failure: the time the request claimed and the clock skew the verifier allowed.
    time: Option<(SystemTime, Duration)>,
}

impl VerifyError {
    pub(crate) fn new(kind: VerifyErrorKind) -> Self {
        Self { kind, expected: None, time: None }
    }

    /// A time failure (skew or expiry), remembering the time the request claimed and the skew
    /// that was allowed.
    pub(crate) fn time(kind: VerifyErrorKind, signed_at: SystemTime, max_clock_skew: Duration) -> Self {
        Self { kind, expected: None, time: Some((signed_at, max_clock_skew)) }
    }

    pub(crate) fn malformed(part: MalformedPart, detail: &'static str) -> Self {
        Self::new(VerifyErrorKind::Malformed { part, detail })
    }

    pub(crate) fn mismatch(canonical_request: String, string_to_sign: String) -> Self {
        Self {
            kind: VerifyErrorKind::SignatureMismatch,
            expected: Some(Box::new((canonical_request, string_to_sign))),
            time: None,
        }
    }

    /// Why the signature was rejected.
    pub fn kind(&self) -> &VerifyErrorKind {
        &self.kind
    }

    /// The canonical request the verifier computed, when the signature did not match, with the
    /// session token redacted (it is meant for debug logs).
    pub fn expected_canonical_request(&self) -> Option<&str> {
        self.expected.as_deref().map(|(creq, _)| creq.as_str())
    }

    /// The string to sign the verifier computed, when the signature did not match.
    pub fn expected_string_to_sign(&self) -> Option<&str> {
        self.expected.as_deref().map(|(_, sts)| sts.as_str())
    }

    /// The signing time the request claimed, when that time was the problem (skew or expiry):
    /// servers quote it in their answer, as AWS does (`Signature expired: <time> is now earlier
    /// than ...`).
    pub fn signed_at(&self) -> Option<SystemTime> {
        self.time.map(|(signed_at, _)| signed_at)
    }

    /// The clock skew the verifier allowed, when the request's time was the problem (skew or
    /// expiry): AWS quotes it too (`... (<now> + 15 min.)`).
    pub fn max_clock_skew(&self) -> Option<Duration> {
        self.time.map(|(_, skew)| skew)
    }

    /// Whether the request's time was the problem (skew or expiry), which a client can fix by
    /// correcting its clock and signing again.
    pub fn is_time_related(&self) -> bool {
        matches!(self.kind, VerifyErrorKind::ClockSkew | VerifyErrorKind::Expired)
    }
}

impl fmt::Debug for VerifyError {
    // The expected canonical request is left out: it is long and only wanted on purpose.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifyError").field("kind", &self.kind).finish_non_exhaustive()
    }
}

impl fmt::Display for VerifyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            VerifyErrorKind::Missing => {
                f.write_str("request is not signed: no Authorization header or X-Amz-Algorithm parameter")
            }
            VerifyErrorKind::Ambiguous => {
                f.write_str("request carries both an Authorization header and presigned query parameters")
            }
            VerifyErrorKind::Malformed { part, detail } => {
                write!(f, "malformed signature ({part}): {detail}")
            }
            VerifyErrorKind::UnknownAccessKey => f.write_str("the access key id is not known"),
            VerifyErrorKind::ScopeMismatch { field } => {
                let field = match field {
                    ScopeField::Date => "date does not match X-Amz-Date",
                    ScopeField::Region => "region is not the expected one",
                    ScopeField::Service => "service is not the expected one",
                    ScopeField::Terminator => "scope must end in aws4_request",
                };
                write!(f, "credential scope mismatch: {field}")
            }
            VerifyErrorKind::HeaderNotSigned { name } => write!(f, "header {name:?} must be signed"),
            VerifyErrorKind::SignedHeaderMissing { name } => {
                write!(f, "signed header {name:?} is not in the request")
            }
            VerifyErrorKind::InvalidSessionToken => {
                f.write_str("the security token included in the request is invalid")
            }
            VerifyErrorKind::PayloadHashMismatch => {
                f.write_str("x-amz-content-sha256 does not match the request body")
            }
            VerifyErrorKind::SignatureMismatch => {
                f.write_str("the request signature we calculated does not match the signature provided")
            }
            VerifyErrorKind::Expired => f.write_str("the presigned request has expired"),
            VerifyErrorKind::ClockSkew => f.write_str(
                "signature not yet current or expired: the request time is too far from the server time",
            ),
        }
    }
}

impl std::error::Error for VerifyError {}
