//! What a signature depends on besides the request: the settings of the algorithm and the
//! parameters (credentials, region, service, time).

use std::borrow::Cow;
use std::time::{Duration, SystemTime};

use crate::credentials::Credentials;

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
    pub(crate) region: &'a str,
    pub(crate) service: &'a str,
    pub(crate) time: SystemTime,
    pub(crate) settings: SigningSettings,
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
