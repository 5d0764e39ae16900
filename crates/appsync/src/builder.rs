//! [`ClientBuilder`]: a client's configuration, checked by `build`.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::AtomicI64;
use std::time::Duration;

use http::HeaderMap;

use crate::auth::Auth;
use crate::client::{Client, ClientRef};
use crate::endpoint::Endpoint;
use crate::error::{Error, Result};
use crate::operation::insert_json_headers;
use crate::retry::{RetryBudget, RetryPolicy};

const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// Configures a [`Client`]. Bad values are reported by [`build`](Self::build), naming the field.
#[must_use]
pub struct ClientBuilder {
    endpoint: Option<String>,
    region: Option<String>,
    auth: Option<Auth>,
    headers: std::result::Result<HeaderMap, String>,
    connect_timeout: Duration,
    timeout: Option<Duration>,
    retry: RetryPolicy,
    http: Option<reqwest::Client>,
    skew_correction: bool,
    user_agent: Option<String>,
    realtime: crate::realtime::RealtimeOptions,
    ca_certificates: Vec<Vec<u8>>,
    /// The real-time protocol (GraphQL, or Events for an `EventsClient`'s inner client).
    pub(crate) dialect: crate::realtime::dialect::Dialect,
}

impl Default for ClientBuilder {
    fn default() -> Self {
        Self {
            endpoint: None,
            region: None,
            auth: None,
            headers: Ok(HeaderMap::new()),
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            timeout: Some(DEFAULT_TIMEOUT),
            retry: RetryPolicy::default(),
            http: None,
            skew_correction: true,
            user_agent: None,
            realtime: crate::realtime::RealtimeOptions::default(),
            ca_certificates: Vec::new(),
            dialect: crate::realtime::dialect::Dialect::GraphQl,
        }
    }
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("auth", &self.auth)
            .field("connect_timeout", &self.connect_timeout)
            .field("timeout", &self.timeout)
            .field("retry", &self.retry)
            .finish_non_exhaustive()
    }
}

impl ClientBuilder {
    /// The GraphQL endpoint: `https://<id>.appsync-api.<region>.amazonaws.com/graphql` or a
    /// custom domain (then also set [`region`](Self::region) for IAM).
    pub fn endpoint(mut self, url: impl Into<String>) -> Self {
        self.endpoint = Some(url.into());
        self
    }

    /// The region requests are signed for. Parsed from AppSync's own host names; required for
    /// IAM on custom domains and local endpoints.
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }

    /// The default auth mode (required).
    pub fn auth(mut self, auth: Auth) -> Self {
        self.auth = Some(auth);
        self
    }

    /// A header sent with every request. Invalid names or values are reported by `build`.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        crate::operation::append_header(&mut self.headers, name, value);
        self
    }

    /// How long connecting may take (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// How long each attempt may take, from sending to the end of the body (default 30 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// No per-attempt timeout.
    pub fn no_timeout(mut self) -> Self {
        self.timeout = None;
        self
    }

    /// The retry policy (default: [`RetryPolicy::default`]).
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Whether to correct the signing clock when AWS rejects a signature for time (default on).
    pub fn clock_skew_correction(mut self, enabled: bool) -> Self {
        self.skew_correction = enabled;
        self
    }

    /// The `User-Agent` (default `appsync-rs/<version>`).
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = Some(user_agent.into());
        self
    }

    /// Settings of subscriptions: the real-time URL, the auth form, timeouts, reconnect
    /// backoff (default [`RealtimeOptions::default`](crate::realtime::RealtimeOptions)).
    pub fn realtime(mut self, options: crate::realtime::RealtimeOptions) -> Self {
        self.realtime = options;
        self
    }

    /// Uses this reqwest client (its own timeouts, proxy, TLS settings) instead of building one;
    /// `connect_timeout`, `timeout` and `user_agent` are then ignored.
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http = Some(client);
        self
    }

    /// Trusts the certificate authority (or authorities) in `pem` beside the platform's roots,
    /// for queries over HTTPS and subscriptions over WSS: the emulator's own authority
    /// (`appsync local --tls` prints its file) or a company's. Verification stays on.
    /// Repeatable. With [`http_client`](Self::http_client) it applies to the real-time socket
    /// only: the given client keeps its own TLS settings.
    ///
    /// ```no_run
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let client = appsync::Client::builder()
    ///     .endpoint("https://127.0.0.1:4000/graphql")
    ///     .region("us-east-1")
    ///     .auth(appsync::Auth::api_key("da2-appsynclocaldemokey0000"))
    ///     .ca_certificate_pem(std::fs::read("/home/me/.local/share/appsync-local/tls/ca.pem")?)
    ///     .build()?;
    /// # Ok(()) }
    /// ```
    pub fn ca_certificate_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.ca_certificates.push(pem.into());
        self
    }

    /// Builds the client.
    ///
    /// # Errors
    /// A configuration error naming the field: a missing or malformed `endpoint`, a missing
    /// `auth`, a `region` that is needed (IAM on a custom domain) but absent or malformed,
    /// an invalid `header`, a zero `timeout`, `retry.max_attempts` of 0, a
    /// `ca_certificate_pem` that holds no PEM certificate.
    pub fn build(self) -> Result<Client> {
        let Some(raw_endpoint) = self.endpoint else {
            return Err(Error::config(
                "endpoint",
                "is required: call ClientBuilder::endpoint with the GraphQL URL",
            ));
        };
        let Some(auth) = self.auth else {
            return Err(Error::config(
                "auth",
                "is required: Auth::iam, Auth::api_key, Auth::cognito, Auth::oidc or Auth::lambda",
            ));
        };
        let endpoint = Endpoint::parse(&raw_endpoint, self.region.as_deref())?;
        if auth.is_iam() && endpoint.region.is_none() {
            return Err(endpoint.missing_region());
        }
        let mut headers = self.headers.map_err(|name| Error::invalid_header(&name))?;
        insert_json_headers(&mut headers);
        if self.connect_timeout.is_zero() {
            return Err(Error::config("connect_timeout", "must be greater than zero"));
        }
        if self.timeout.is_some_and(|t| t.is_zero()) {
            return Err(Error::config("timeout", "must be greater than zero (or call no_timeout)"));
        }
        if self.retry.max_attempts == 0 {
            return Err(Error::config("retry.max_attempts", "must be at least 1 (1 means no retries)"));
        }
        if self.retry.base.is_zero() || self.retry.max_backoff < self.retry.base {
            return Err(Error::config(
                "retry.max_backoff",
                "must be at least the base backoff, which must not be zero",
            ));
        }
        let extra_roots =
            self.ca_certificates.iter().map(|pem| parse_ca_pem(pem)).collect::<Result<Vec<_>>>()?.concat();
        let http = match self.http {
            Some(http) => http,
            None => {
                let mut builder = reqwest::Client::builder()
                    .connect_timeout(self.connect_timeout)
                    .gzip(true)
                    .user_agent(
                        self.user_agent
                            .unwrap_or_else(|| concat!("appsync-rs/", env!("CARGO_PKG_VERSION")).into()),
                    )
                    .pool_idle_timeout(Duration::from_secs(60));
                if let Some(t) = self.timeout {
                    builder = builder.timeout(t);
                }
                for der in &extra_roots {
                    let cert = reqwest::Certificate::from_der(der).map_err(|e| {
                        Error::config_with_source("ca_certificate_pem", "is not a usable certificate", e)
                    })?;
                    builder = builder.tls_certs_merge([cert]);
                }
                builder.build().map_err(|e| {
                    Error::config_with_source("http_client", "could not build the HTTP client", e)
                })?
            }
        };
        let ws_tls = if extra_roots.is_empty() { None } else { Some(Arc::new(tls_with_roots(extra_roots)?)) };
        let realtime = Arc::new(crate::realtime::Hub::new(self.realtime, &endpoint, ws_tls, self.dialect)?);
        let budget = RetryBudget::new(self.retry.budget);
        Ok(Client::from_parts(ClientRef {
            http,
            endpoint,
            auth,
            headers,
            retry: self.retry,
            budget,
            skew_correction: self.skew_correction,
            clock_offset_ms: AtomicI64::new(0),
            realtime,
        }))
    }
}

/// The DER certificates in one `ca_certificate_pem` value: at least one, none malformed.
fn parse_ca_pem(pem: &[u8]) -> Result<Vec<Vec<u8>>> {
    use tokio_rustls::rustls::pki_types::CertificateDer;
    use tokio_rustls::rustls::pki_types::pem::PemObject as _;
    let certs = CertificateDer::pem_slice_iter(pem)
        .map(|c| c.map(|c| c.to_vec()))
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| Error::config_with_source("ca_certificate_pem", "is not PEM", e))?;
    if certs.is_empty() {
        return Err(Error::config(
            "ca_certificate_pem",
            "holds no certificate (expected -----BEGIN CERTIFICATE-----)",
        ));
    }
    Ok(certs)
}

/// rustls settings for the real-time socket: the platform's roots plus `extra` (DER).
pub(crate) fn tls_with_roots(extra: Vec<Vec<u8>>) -> Result<tokio_rustls::rustls::ClientConfig> {
    use tokio_rustls::rustls::{ClientConfig, RootCertStore};
    let mut roots = RootCertStore::empty();
    // A platform store that is missing or partly unreadable still leaves the added authorities.
    let native = rustls_native_certs::load_native_certs();
    roots.add_parsable_certificates(native.certs);
    for der in extra {
        roots.add(der.into()).map_err(|e| {
            Error::config_with_source("ca_certificate_pem", "is not a usable certificate authority", e)
        })?;
    }
    // Explicit provider: the build links more than one, and then rustls has no default.
    let provider = Arc::new(tokio_rustls::rustls::crypto::aws_lc_rs::default_provider());
    Ok(ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::config_with_source("ca_certificate_pem", "no TLS version available", e))?
        .with_root_certificates(roots)
        .with_no_client_auth())
}
