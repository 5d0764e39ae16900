//! [`EventsClientBuilder`]: an Events client's configuration, checked by `build`.

use std::fmt;
use std::time::Duration;

use super::EventsClient;
use crate::auth::Auth;
use crate::builder::ClientBuilder;
use crate::error::{Error, Result};
use crate::realtime::RealtimeOptions;
use crate::realtime::dialect::Dialect;
use crate::retry::RetryPolicy;

/// Configures an [`EventsClient`]. Bad values are reported by [`build`](Self::build), naming
/// the field. The settings are [`ClientBuilder`](crate::ClientBuilder)'s, with the same names.
///
/// ```no_run
/// # fn main() -> Result<(), appsync::Error> {
/// use std::time::Duration;
/// use appsync::Auth;
/// use appsync::credentials::DefaultCredentialsChain;
/// use appsync::events::EventsClient;
///
/// let client = EventsClient::builder()
///     .endpoint("https://abc123.appsync-api.us-east-1.amazonaws.com/event")
///     .auth(Auth::iam(DefaultCredentialsChain::new()))
///     .timeout(Duration::from_secs(10))
///     .build()?;
/// # Ok(()) }
/// ```
#[must_use]
#[derive(Default)]
pub struct EventsClientBuilder {
    endpoint: Option<String>,
    auth: bool,
    realtime: RealtimeOptions,
    realtime_url: Option<String>,
    inner: ClientBuilder,
}

impl fmt::Debug for EventsClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventsClientBuilder")
            .field("endpoint", &self.endpoint)
            .field("realtime_url", &self.realtime_url)
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}

impl EventsClientBuilder {
    /// The Events API's HTTP endpoint: `https://<prefix>.appsync-api.<region>.amazonaws.com/event`,
    /// a custom domain's `https://api.example.com/event` (then also set
    /// [`region`](Self::region) for IAM), or the emulator's `http://127.0.0.1:PORT/event`.
    pub fn endpoint(mut self, url: impl Into<String>) -> Self {
        self.endpoint = Some(url.into());
        self
    }

    /// The region requests are signed for. Parsed from AppSync's own host names; required for
    /// IAM on custom domains and local endpoints.
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.inner = self.inner.region(region);
        self
    }

    /// The default auth mode (required): IAM, API key, Cognito, OIDC or Lambda.
    pub fn auth(mut self, auth: Auth) -> Self {
        self.auth = true;
        self.inner = self.inner.auth(auth);
        self
    }

    /// A header sent with every HTTP publish. Invalid names or values are reported by `build`.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.inner = self.inner.header(name, value);
        self
    }

    /// How long connecting over HTTP may take (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.inner = self.inner.connect_timeout(timeout);
        self
    }

    /// How long each HTTP publish attempt may take (default 30 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.inner = self.inner.timeout(timeout);
        self
    }

    /// No per-attempt timeout for HTTP publishes.
    pub fn no_timeout(mut self) -> Self {
        self.inner = self.inner.no_timeout();
        self
    }

    /// The retry policy of HTTP publishes (default [`RetryPolicy::default`]). A publish is sent
    /// again only when it provably never left (the connection was never made) or was refused
    /// for its signature's time or for stale credentials: one that may have arrived is never
    /// repeated, so no event is published twice.
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.inner = self.inner.retry(policy);
        self
    }

    /// Whether to correct the signing clock when AWS rejects a signature for time (default on).
    pub fn clock_skew_correction(mut self, enabled: bool) -> Self {
        self.inner = self.inner.clock_skew_correction(enabled);
        self
    }

    /// The `User-Agent` of HTTP publishes (default `appsync-rs/<version>`).
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.inner = self.inner.user_agent(user_agent);
        self
    }

    /// Settings of the WebSocket: timeouts (`start_ack_timeout` also bounds the wait for
    /// `subscribe_success` and `publish_success`), reconnect backoff, event queues, state
    /// callback (default [`RealtimeOptions::default`]).
    pub fn realtime(mut self, options: RealtimeOptions) -> Self {
        self.realtime = options;
        self
    }

    /// The real-time URL, instead of the one derived from the endpoint
    /// (`appsync-api` -> `appsync-realtime-api` and `/event` -> `/event/realtime`; custom
    /// domains and the emulator: `<endpoint>/realtime`). Same as
    /// [`RealtimeOptions::url`], which it overrides.
    pub fn realtime_url(mut self, url: impl Into<String>) -> Self {
        self.realtime_url = Some(url.into());
        self
    }

    /// Uses this reqwest client for HTTP publishes instead of building one;
    /// `connect_timeout`, `timeout` and `user_agent` are then ignored.
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.inner = self.inner.http_client(client);
        self
    }

    /// Trusts the certificate authority (or authorities) in `pem` beside the platform's roots,
    /// for publishes over HTTPS and the WSS socket, as
    /// [`ClientBuilder::ca_certificate_pem`](crate::ClientBuilder::ca_certificate_pem) does.
    pub fn ca_certificate_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.inner = self.inner.ca_certificate_pem(pem);
        self
    }

    /// Builds the client.
    ///
    /// # Errors
    /// A configuration error naming the field: a missing or malformed `endpoint` (a GraphQL
    /// `.../graphql` endpoint is refused), a missing `auth`, a `region` that is needed (IAM on
    /// a custom domain) but absent or malformed, an invalid `header`, a zero `timeout`, bad
    /// `realtime` settings, a `ca_certificate_pem` that holds no PEM certificate.
    pub fn build(self) -> Result<EventsClient> {
        let Some(endpoint) = self.endpoint else {
            return Err(Error::config(
                "endpoint",
                "is required: call EventsClientBuilder::endpoint with the Events API's URL, \
                 https://<prefix>.appsync-api.<region>.amazonaws.com/event",
            ));
        };
        if endpoint.trim_end_matches('/').ends_with("/graphql") {
            return Err(Error::config(
                "endpoint",
                format!(
                    "`{endpoint}` is a GraphQL endpoint: an Events API's endpoint ends in /event \
                     (for GraphQL use appsync::Client)"
                ),
            ));
        }
        if !self.auth {
            return Err(Error::config(
                "auth",
                "is required: Auth::iam, Auth::api_key, Auth::cognito, Auth::oidc or Auth::lambda",
            ));
        }
        let realtime = match self.realtime_url {
            Some(url) => self.realtime.url(url),
            None => self.realtime,
        };
        let mut inner = self.inner.endpoint(endpoint).realtime(realtime);
        inner.dialect = Dialect::Events;
        let client = inner.build().map_err(|e| match e.field() {
            Some("region") if e.message().is_some_and(|m| m.contains("ClientBuilder::region")) => {
                Error::config(
                    "region",
                    "is required for IAM auth: it cannot be parsed from a custom domain or a local endpoint \
                 (only from <prefix>.appsync-api.<region>.amazonaws.com); call EventsClientBuilder::region",
                )
            }
            _ => e,
        })?;
        Ok(EventsClient::from_client(client))
    }
}
