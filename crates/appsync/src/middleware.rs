//! A `reqwest-middleware` layer that SigV4-signs any AWS request (feature `middleware`).

use std::fmt;
use std::time::SystemTime;

use appsync_sigv4::{SignableBody, SignableRequest, SigningParams, SigningSettings};
use reqwest_middleware::{Middleware, Next};

use crate::credentials::{CachedCredentials, ProvideCredentials};
use crate::error::Error;

/// Signs every request that passes through it with SigV4, for any service and region: what
/// `requests-aws4auth` is to Python's `requests`, usable without the rest of this crate.
///
/// Buffered bodies are hashed into the signature. Streaming bodies cannot be hashed without
/// reading them, so they are refused with a clear error unless
/// [`allow_unsigned_payload`](Self::allow_unsigned_payload) is set (for services such as S3 that
/// accept `x-amz-content-sha256: UNSIGNED-PAYLOAD`). Credentials come from any
/// [`ProvideCredentials`], cached and refreshed like the client's.
///
/// ```
/// use appsync::credentials::DefaultCredentialsChain;
/// use appsync::middleware::SigV4Middleware;
///
/// let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
///     .with(SigV4Middleware::new(DefaultCredentialsChain::new(), "eu-west-1", "execute-api"))
///     .build();
/// ```
pub struct SigV4Middleware {
    credentials: CachedCredentials,
    region: String,
    service: String,
    settings: SigningSettings,
    allow_unsigned_payload: bool,
}

impl SigV4Middleware {
    /// Signs for `service` (`appsync`, `execute-api`, `lambda`, `s3`...) in `region`, with
    /// credentials from `provider`.
    pub fn new(
        provider: impl ProvideCredentials + 'static,
        region: impl Into<String>,
        service: impl Into<String>,
    ) -> Self {
        Self {
            credentials: CachedCredentials::new(provider),
            region: region.into(),
            service: service.into(),
            settings: SigningSettings::default(),
            allow_unsigned_payload: false,
        }
    }

    /// Replaces the signing settings (for S3: [`SigningSettings::s3`]).
    #[must_use]
    pub fn settings(mut self, settings: SigningSettings) -> Self {
        self.settings = settings;
        self
    }

    /// Sends streaming bodies as `UNSIGNED-PAYLOAD` instead of refusing them. Only for services
    /// that accept it.
    #[must_use]
    pub fn allow_unsigned_payload(mut self, allow: bool) -> Self {
        self.allow_unsigned_payload = allow;
        self
    }

    async fn sign(&self, request: &mut reqwest::Request) -> Result<(), Error> {
        let creds = self.credentials.provide_credentials().await.map_err(Error::credentials)?;
        let mut settings = self.settings.clone();
        let body = match request.body() {
            None => SignableBody::Bytes(b""),
            Some(body) => match body.as_bytes() {
                Some(bytes) => SignableBody::Bytes(bytes),
                None if self.allow_unsigned_payload => {
                    // The server learns the payload is unsigned only from this header.
                    settings.content_sha256_header = true;
                    SignableBody::UnsignedPayload
                }
                None => return Err(Error::streaming_body()),
            },
        };
        let output = {
            let signable = SignableRequest::new(
                request.method().as_str(),
                request.url().as_str(),
                request.headers().iter().map(|(n, v)| (n.as_str(), v.as_bytes())),
                body,
            )
            .map_err(Error::signing)?;
            let params =
                SigningParams::new(&creds, &self.region, &self.service, SystemTime::now()).settings(settings);
            appsync_sigv4::sign(&signable, &params).map_err(Error::signing)?
        };
        output.apply_to_header_map(request.headers_mut()).map_err(Error::signing)
    }
}

impl fmt::Debug for SigV4Middleware {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigV4Middleware")
            .field("credentials", &self.credentials)
            .field("region", &self.region)
            .field("service", &self.service)
            .field("allow_unsigned_payload", &self.allow_unsigned_payload)
            .finish_non_exhaustive()
    }
}

#[async_trait::async_trait]
impl Middleware for SigV4Middleware {
    async fn handle(
        &self,
        mut request: reqwest::Request,
        extensions: &mut http::Extensions,
        next: Next<'_>,
    ) -> reqwest_middleware::Result<reqwest::Response> {
        self.sign(&mut request).await.map_err(reqwest_middleware::Error::middleware)?;
        next.run(request, extensions).await
    }
}
