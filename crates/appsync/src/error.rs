//! The one error type of the crate, and the GraphQL error objects AppSync returns.

use std::error::Error as StdError;
use std::fmt;
use std::time::{Duration, SystemTime};

use http::{HeaderMap, StatusCode};
use serde::{Deserialize, Serialize};

use crate::credentials::CredentialsError;

pub(crate) type BoxError = Box<dyn StdError + Send + Sync>;

/// A `Result` whose error is this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong building a client or running an operation.
///
/// Opaque on purpose: ask it questions (`is_timeout()`, `is_unauthorized()`, `status()`,
/// `graphql_errors()`...) rather than matching on variants, so new failure modes do not break
/// callers. The underlying cause, when there is one, is kept whole in [`source()`](StdError::source).
///
/// Neither `Debug` nor `Display` ever contain a secret: only AppSync's own error messages, status
/// codes, field names and the causes' messages (which never see credentials).
///
/// ```
/// # async fn run(client: appsync::Client) {
/// match client.query::<serde_json::Value>("{ listPosts { items { id } } }", ()).await {
///     Ok(response) => println!("{:?}", response.data),
///     Err(e) if e.is_unauthorized() => eprintln!("check the credentials: {e}"),
///     Err(e) if e.is_throttled() => eprintln!("slow down: {e}"),
///     Err(e) => eprintln!("{e}"),
/// }
/// # }
/// ```
pub struct Error {
    inner: Box<Inner>,
}

struct Inner {
    kind: Kind,
    source: Option<BoxError>,
    status: Option<StatusCode>,
    error_type: Option<String>,
    message: Option<String>,
    graphql: Vec<GraphQLError>,
    field: Option<&'static str>,
    retry_after: Option<std::time::Duration>,
    lagged: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A bad value given to a builder; `field` names it.
    Config,
    /// Credentials or a token could not be had.
    Credentials,
    /// The request could not be signed.
    Signing,
    /// Connecting, sending or receiving failed.
    Transport,
    /// The request or the connection timed out.
    Timeout,
    /// The server answered with a non-success HTTP status.
    Status,
    /// The response carried GraphQL errors.
    GraphQL,
    /// The response body did not decode into the expected type.
    Decode,
    /// Variables could not be serialized.
    Encode,
    /// The real-time endpoint refused or dropped the connection (`connection_error`).
    RealtimeRefused,
    /// The client (or the subscription's connection) was closed.
    Closed,
    /// A subscription's consumer fell behind and events were dropped; `lagged` counts them.
    Lagged,
    /// AppSync Events refused a subscribe or a publish on the socket, or could not deliver an
    /// event (`subscribe_error`, `publish_error`, `broadcast_error`, an `error` naming it).
    Rejected,
    /// An argument was refused before anything was sent (a channel name AppSync would not
    /// accept, an event over the size limit); `field` names the argument.
    InvalidInput,
}

impl Error {
    fn new(kind: Kind) -> Self {
        Self {
            inner: Box::new(Inner {
                kind,
                source: None,
                status: None,
                error_type: None,
                message: None,
                graphql: Vec::new(),
                field: None,
                retry_after: None,
                lagged: 0,
            }),
        }
    }

    fn with_source(mut self, source: impl Into<BoxError>) -> Self {
        self.inner.source = Some(source.into());
        self
    }

    pub(crate) fn config(field: &'static str, message: impl Into<String>) -> Self {
        let mut e = Self::new(Kind::Config);
        e.inner.field = Some(field);
        e.inner.message = Some(message.into());
        e
    }

    pub(crate) fn config_with_source(
        field: &'static str,
        message: impl Into<String>,
        source: impl Into<BoxError>,
    ) -> Self {
        Self::config(field, message).with_source(source)
    }

    pub(crate) fn credentials(source: CredentialsError) -> Self {
        Self::new(Kind::Credentials).with_source(source)
    }

    pub(crate) fn signing(source: appsync_sigv4::SigningError) -> Self {
        Self::new(Kind::Signing).with_source(source)
    }

    #[cfg(feature = "middleware")]
    pub(crate) fn streaming_body() -> Self {
        let mut e = Self::new(Kind::Signing);
        e.inner.message = Some(
            "the body is a stream and cannot be hashed for the signature: buffer it, or allow \
             UNSIGNED-PAYLOAD (SigV4Middleware::allow_unsigned_payload) if the service accepts it"
                .into(),
        );
        e
    }

    pub(crate) fn transport(source: reqwest::Error) -> Self {
        let kind = if source.is_timeout() { Kind::Timeout } else { Kind::Transport };
        let status = source.status();
        let mut e = Self::new(kind).with_source(source);
        e.inner.status = status;
        e
    }

    pub(crate) fn http_status(
        status: StatusCode,
        error_type: Option<String>,
        message: Option<String>,
        graphql: Vec<GraphQLError>,
    ) -> Self {
        let mut e = Self::new(Kind::Status);
        e.inner.status = Some(status);
        e.inner.error_type = error_type;
        e.inner.message = message;
        e.inner.graphql = graphql;
        e
    }

    pub(crate) fn with_retry_after(mut self, retry_after: Option<std::time::Duration>) -> Self {
        self.inner.retry_after = retry_after;
        self
    }

    pub(crate) fn graphql(errors: Vec<GraphQLError>) -> Self {
        let mut e = Self::new(Kind::GraphQL);
        e.inner.error_type = errors.iter().find_map(|e| e.error_type.clone());
        e.inner.graphql = errors;
        e
    }

    pub(crate) fn decode(source: impl Into<BoxError>) -> Self {
        Self::new(Kind::Decode).with_source(source)
    }

    pub(crate) fn decode_message(message: impl Into<String>) -> Self {
        let mut e = Self::new(Kind::Decode);
        e.inner.message = Some(message.into());
        e
    }

    pub(crate) fn encode(source: serde_json::Error) -> Self {
        Self::new(Kind::Encode).with_source(source)
    }

    /// Event `index` of a publish did not serialize.
    pub(crate) fn encode_event(index: usize, source: serde_json::Error) -> Self {
        let mut e = Self::new(Kind::Encode).with_source(source);
        e.inner.message = Some(format!("event {index} does not serialize to JSON"));
        e
    }

    pub(crate) fn encode_boxed(source: BoxError) -> Self {
        Self::new(Kind::Encode).with_source(source)
    }

    /// A WebSocket failure: an HTTP status refusing the upgrade becomes a status error (so
    /// 401/403 answer `is_unauthorized()`), anything else a transport error.
    pub(crate) fn websocket(source: tokio_tungstenite::tungstenite::Error) -> Self {
        use tokio_tungstenite::tungstenite::Error as WsError;
        if let WsError::Http(response) = &source {
            let status = response.status();
            // A refusal without a body is judged by its status and headers alone.
            let body = response.body().as_deref().unwrap_or_default();
            return Self::from_status_response(status, response.headers(), body);
        }
        Self::new(Kind::Transport).with_source(source)
    }

    /// The server's certificate was refused (not trusted, expired, for another name...): no
    /// retry can change that, so a connection gives up at once instead of backing off.
    pub(crate) fn is_certificate_refused(&self) -> bool {
        use tokio_rustls::rustls::Error as TlsError;
        let refused = |e: &TlsError| {
            matches!(
                e,
                TlsError::InvalidCertificate(_)
                    | TlsError::NoCertificatesPresented
                    | TlsError::UnsupportedNameType
                    | TlsError::InvalidCertRevocationList(_)
            )
        };
        let mut next: Option<&(dyn std::error::Error + 'static)> = Some(self);
        while let Some(e) = next {
            if let Some(tls) = e.downcast_ref::<TlsError>() {
                return refused(tls);
            }
            if let Some(tokio_tungstenite::tungstenite::Error::Tls(
                tokio_tungstenite::tungstenite::error::TlsError::Rustls(tls),
            )) = e.downcast_ref::<tokio_tungstenite::tungstenite::Error>()
            {
                return refused(tls);
            }
            // A TLS handshake failure reaches us inside an io::Error, whose `source()` skips the
            // error it wraps: look at that one directly.
            if let Some(tls) = e
                .downcast_ref::<std::io::Error>()
                .and_then(std::io::Error::get_ref)
                .and_then(|inner| inner.downcast_ref::<TlsError>())
            {
                return refused(tls);
            }
            next = e.source();
        }
        false
    }

    /// A timeout with what timed out.
    pub(crate) fn timeout_message(message: impl Into<String>) -> Self {
        let mut e = Self::new(Kind::Timeout);
        e.inner.message = Some(message.into());
        e
    }

    /// The connection ended or broke, with why.
    pub(crate) fn transport_message(message: impl Into<String>) -> Self {
        let mut e = Self::new(Kind::Transport);
        e.inner.message = Some(message.into());
        e
    }

    /// A `connection_error` (or an `error` without an id): AppSync's `errorCode` becomes the
    /// status, so a 401 answers `is_unauthorized()`.
    pub(crate) fn realtime_refused(errors: Vec<(Option<u16>, GraphQLError)>) -> Self {
        let mut e = Self::new(Kind::RealtimeRefused);
        e.inner.status = errors.iter().find_map(|(code, _)| code.and_then(|c| StatusCode::from_u16(c).ok()));
        e.inner.error_type = errors.iter().find_map(|(_, g)| g.error_type.clone());
        e.inner.message = errors.iter().map(|(_, g)| g.message.clone()).find(|m| !m.is_empty());
        e.inner.graphql = errors.into_iter().map(|(_, g)| g).collect();
        e
    }

    pub(crate) fn closed(message: impl Into<String>) -> Self {
        let mut e = Self::new(Kind::Closed);
        e.inner.message = Some(message.into());
        e
    }

    /// AppSync Events' errors for one subscribe, publish or event (`errorType`, `message`).
    pub(crate) fn rejected(errors: Vec<GraphQLError>) -> Self {
        let mut e = Self::new(Kind::Rejected);
        e.inner.error_type = errors.iter().find_map(|e| e.error_type.clone());
        e.inner.message = errors.iter().map(|g| g.message.clone()).find(|m| !m.is_empty());
        e.inner.graphql = errors;
        e
    }

    /// This error with an HTTP-like status code (a failed event's `code`).
    pub(crate) fn with_status(mut self, status: Option<StatusCode>) -> Self {
        self.inner.status = status;
        self
    }

    /// An Events publish sent on a connection that was then lost, before its answer: `cause`
    /// is why the connection was lost.
    pub(crate) fn publish_lost(cause: Error) -> Self {
        let mut e = Self::new(Kind::Transport).with_source(cause);
        e.inner.message = Some(
            "the connection was lost before the publish was answered: its events may or may not have been published"
                .into(),
        );
        e
    }

    /// A bad argument `field` (`"channel"`, `"events"`), with what was expected.
    pub(crate) fn invalid_input(field: &'static str, message: impl Into<String>) -> Self {
        let mut e = Self::new(Kind::InvalidInput);
        e.inner.field = Some(field);
        e.inner.message = Some(message.into());
        e
    }

    /// `dropped` events of a subscription were dropped because its consumer fell behind.
    pub(crate) fn lagged(dropped: u64) -> Self {
        let mut e = Self::new(Kind::Lagged);
        e.inner.lagged = dropped;
        e
    }

    /// A copy of this error for another subscription of the same connection: every field, and
    /// the source shared (its message and chain stay whole).
    pub(crate) fn duplicate(&mut self) -> Self {
        if let Some(source) = self.inner.source.take() {
            let shared: std::sync::Arc<dyn StdError + Send + Sync> = match source.downcast::<SharedSource>() {
                Ok(shared) => shared.0.clone(),
                Err(source) => std::sync::Arc::from(source),
            };
            self.inner.source = Some(Box::new(SharedSource(shared)));
        }
        let inner = &self.inner;
        let source: Option<BoxError> = inner
            .source
            .as_ref()
            .and_then(|s| s.downcast_ref::<SharedSource>())
            .map(|s| Box::new(SharedSource(s.0.clone())) as BoxError);
        Self {
            inner: Box::new(Inner {
                kind: inner.kind,
                source,
                status: inner.status,
                error_type: inner.error_type.clone(),
                message: inner.message.clone(),
                graphql: inner.graphql.clone(),
                field: inner.field,
                retry_after: inner.retry_after,
                lagged: inner.lagged,
            }),
        }
    }

    pub(crate) fn kind(&self) -> Kind {
        self.inner.kind
    }

    /// Whether the request or connection timed out (connect timeout, request timeout, or a
    /// server that stopped answering).
    pub fn is_timeout(&self) -> bool {
        self.inner.kind == Kind::Timeout
    }

    /// Whether connecting to the server failed (DNS, TCP, TLS: the request never left). A
    /// real-time connection the server answered and then refused is
    /// [`is_realtime_refused`](Self::is_realtime_refused) instead.
    pub fn is_connect(&self) -> bool {
        self.reqwest().is_some_and(reqwest::Error::is_connect)
    }

    /// Whether the request was sent but the exchange failed (connection reset, bad response).
    pub fn is_transport(&self) -> bool {
        self.inner.kind == Kind::Transport
    }

    /// Whether AppSync refused the caller: HTTP 401/403, an `UnauthorizedException`, a rejected
    /// signature (`InvalidSignatureException`, `UnrecognizedClientException`...) or a GraphQL
    /// error of type `Unauthorized`.
    pub fn is_unauthorized(&self) -> bool {
        if matches!(self.inner.status, Some(StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN)) {
            return true;
        }
        let unauthorized = |t: &str| {
            t.starts_with("Unauthorized")
                || t == "InvalidSignatureException"
                || t == "UnrecognizedClientException"
                || t == "AccessDeniedException"
                || t == "ExpiredTokenException"
        };
        self.inner.error_type.as_deref().is_some_and(unauthorized)
            || self.inner.graphql.iter().any(|g| g.error_type.as_deref().is_some_and(unauthorized))
    }

    /// Whether AppSync throttled the request: HTTP 429 or a `TooManyRequestsException`
    /// (or another `Throttl*`/`*LimitExceeded*` error type).
    pub fn is_throttled(&self) -> bool {
        self.inner.status == Some(StatusCode::TOO_MANY_REQUESTS)
            || self.inner.error_type.as_deref().is_some_and(is_throttling_type)
            || self.inner.graphql.iter().any(|g| g.error_type.as_deref().is_some_and(is_throttling_type))
    }

    /// Whether the server answered with a non-success HTTP status.
    pub fn is_status(&self) -> bool {
        self.inner.kind == Kind::Status
    }

    /// Whether the response (HTTP 200) carried GraphQL errors; see [`graphql_errors`](Self::graphql_errors).
    pub fn is_graphql(&self) -> bool {
        self.inner.kind == Kind::GraphQL
    }

    /// Whether the response did not decode into the expected type; the source is a
    /// `serde_path_to_error::Error` whose `path()` names the field that failed.
    pub fn is_decode(&self) -> bool {
        self.inner.kind == Kind::Decode
    }

    /// Whether the variables (or an event to publish) could not be serialized.
    pub fn is_encode(&self) -> bool {
        self.inner.kind == Kind::Encode
    }

    /// Whether credentials or a token could not be obtained.
    pub fn is_credentials(&self) -> bool {
        self.inner.kind == Kind::Credentials
    }

    /// Whether the request could not be signed.
    pub fn is_signing(&self) -> bool {
        self.inner.kind == Kind::Signing
    }

    /// Whether the real-time endpoint, once reached, refused or dropped the WebSocket with a
    /// `connection_error` (see [`status`](Self::status) for its `errorCode` and
    /// [`error_type`](Self::error_type)). Failing to reach it at all is
    /// [`is_connect`](Self::is_connect) or [`is_transport`](Self::is_transport).
    pub fn is_realtime_refused(&self) -> bool {
        self.inner.kind == Kind::RealtimeRefused
    }

    /// Whether the client was closed ([`Client::close`](crate::Client::close)) or the
    /// subscription's connection ended for good.
    pub fn is_closed(&self) -> bool {
        self.inner.kind == Kind::Closed
    }

    /// Whether a subscription's consumer fell behind and events were dropped; see
    /// [`lagged_count`](Self::lagged_count). The subscription goes on.
    pub fn is_lagged(&self) -> bool {
        self.inner.kind == Kind::Lagged
    }

    /// For a lagged subscription, how many events were dropped since the last item.
    pub fn lagged_count(&self) -> Option<u64> {
        (self.inner.kind == Kind::Lagged).then_some(self.inner.lagged)
    }

    /// Whether AppSync Events refused a subscribe or a publish made over the WebSocket
    /// (`subscribe_error`, `publish_error`), refused one event of a publish (an entry of
    /// `failed`), or could not deliver an event to a subscription (`broadcast_error`); see
    /// [`error_type`](Self::error_type) and [`message`](Self::message). `is_unauthorized()`
    /// answers for an `Unauthorized` refusal too.
    pub fn is_rejected(&self) -> bool {
        self.inner.kind == Kind::Rejected
    }

    /// Whether an argument was refused before anything was sent: a channel name AppSync does
    /// not accept, an event over AppSync's size limit, an event that does not serialize to
    /// JSON. [`field`](Self::field) names the argument (`"channel"`, `"events"`) and
    /// [`message`](Self::message) says what is wrong.
    pub fn is_invalid_input(&self) -> bool {
        self.inner.kind == Kind::InvalidInput
    }

    /// Whether a builder was given a bad value; see [`field`](Self::field).
    pub fn is_config(&self) -> bool {
        self.inner.kind == Kind::Config
    }

    /// The HTTP status, when the server answered with an error status.
    pub fn status(&self) -> Option<StatusCode> {
        self.inner.status
    }

    /// AppSync's error type (`UnauthorizedException`, `InvalidSignatureException`,
    /// `TooManyRequestsException`, or the first GraphQL error's `errorType`).
    pub fn error_type(&self) -> Option<&str> {
        self.inner.error_type.as_deref()
    }

    /// The server's error message, or the configuration problem.
    pub fn message(&self) -> Option<&str> {
        self.inner.message.as_deref()
    }

    /// The GraphQL errors of the response (empty when there were none).
    pub fn graphql_errors(&self) -> &[GraphQLError] {
        &self.inner.graphql
    }

    /// How long the server asked the client to wait (`Retry-After`), if it said.
    pub fn retry_after(&self) -> Option<std::time::Duration> {
        self.inner.retry_after
    }

    /// For a configuration error, the builder field that was wrong (`"endpoint"`, `"region"`...);
    /// for an invalid input, the argument (`"channel"`, `"events"`).
    pub fn field(&self) -> Option<&'static str> {
        self.inner.field
    }

    /// For a decode error, the JSON path that failed to decode (`data.listPosts.items[0].id`).
    pub fn json_path(&self) -> Option<String> {
        self.inner
            .source
            .as_ref()
            .and_then(|s| s.downcast_ref::<serde_path_to_error::Error<serde_json::Error>>())
            .map(|e| e.path().to_string())
    }

    fn reqwest(&self) -> Option<&reqwest::Error> {
        self.inner.source.as_ref().and_then(|s| s.downcast_ref::<reqwest::Error>())
    }

    /// Whether the request provably never reached the server, so even a mutation can be retried.
    pub(crate) fn never_sent(&self) -> bool {
        self.is_connect()
    }

    /// Whether the server said the signature's time is too far from its own clock. Judged by
    /// AWS's messages, which are specific, rather than the error type, which varies by front end
    /// (`InvalidSignatureException`, `UnauthorizedException`, `RequestTimeTooSkewed`...).
    pub(crate) fn is_clock_skew(&self) -> bool {
        let skew_message = |m: &str| {
            m.contains("Signature expired")
                || m.contains("Signature not yet current")
                || m.contains("too skewed")
                || m.contains("RequestTimeTooSkewed")
        };
        let skew_type = self.inner.error_type.as_deref().is_some_and(|t| t == "RequestTimeTooSkewed");
        let mut messages = self.inner.message.iter().chain(self.inner.graphql.iter().map(|g| &g.message));
        self.is_status() && (skew_type || messages.any(|m| skew_message(m)))
    }
}

/// What an error response's body may say: AppSync's `errors`, or an AWS front end's `message`
/// and `__type` (or `errorType`).
#[derive(serde::Deserialize, Default)]
struct ErrorBody {
    #[serde(default)]
    errors: Vec<GraphQLError>,
    #[serde(default, alias = "Message")]
    message: Option<String>,
    #[serde(default, rename = "__type", alias = "errorType")]
    error_type: Option<String>,
}

impl Error {
    /// The error of a response with a non-success `status`: its type from `x-amzn-ErrorType` or
    /// the body, its message and GraphQL errors from the body, and `Retry-After`.
    pub(crate) fn from_status_response(status: StatusCode, headers: &HeaderMap, body: &[u8]) -> Self {
        // A body that is not AppSync's JSON (a proxy's HTML page, an empty 502) still makes a
        // status error, with the status and headers alone.
        let parsed: ErrorBody = serde_json::from_slice(body).unwrap_or_default();
        // `x-amzn-ErrorType` may carry a suffix after `:` (`InvalidSignatureException:http://...`).
        let header_type = headers
            .get("x-amzn-errortype")
            .and_then(|v| v.to_str().ok())
            .map(|s| s.split(':').next().unwrap_or(s).trim().to_owned())
            .filter(|s| !s.is_empty());
        let error_type = header_type
            .or(parsed.error_type.map(|t| t.rsplit('#').next().unwrap_or(&t).to_owned()))
            .or_else(|| parsed.errors.iter().find_map(|e| e.error_type.clone()));
        let message = parsed.message.or_else(|| parsed.errors.first().map(|e| e.message.clone()));
        Self::http_status(status, error_type, message, parsed.errors).with_retry_after(retry_after(headers))
    }

    /// A header given to a builder or request whose name or value is not valid.
    pub(crate) fn invalid_header(name: &str) -> Self {
        Self::config(
            "header",
            format!("`{name}` is not a valid header name, or its value is not a valid header value"),
        )
    }

    /// Variables that failed to serialize when the [`Request`](crate::Request) was built.
    pub(crate) fn encode_shared(e: std::sync::Arc<serde_json::Error>) -> Self {
        Self::encode_boxed(Box::new(e))
    }
}

/// `Retry-After` as delta-seconds or an HTTP date.
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(http::header::RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    // A date already past asks for no wait at all.
    Some(at.duration_since(SystemTime::now()).unwrap_or_default())
}

fn is_throttling_type(t: &str) -> bool {
    t == "TooManyRequestsException"
        || t.starts_with("Throttl")
        || t.contains("LimitExceeded")
        || t == "RequestLimitExceeded"
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("appsync::Error");
        d.field("kind", &self.inner.kind);
        if let Some(field) = self.inner.field {
            d.field("field", &field);
        }
        if let Some(status) = self.inner.status {
            d.field("status", &status);
        }
        if let Some(t) = &self.inner.error_type {
            d.field("error_type", t);
        }
        if let Some(m) = &self.inner.message {
            d.field("message", m);
        }
        if !self.inner.graphql.is_empty() {
            d.field("graphql_errors", &self.inner.graphql);
        }
        if let Some(r) = self.inner.retry_after {
            d.field("retry_after", &r);
        }
        if self.inner.kind == Kind::Lagged {
            d.field("lagged", &self.inner.lagged);
        }
        if let Some(s) = &self.inner.source {
            d.field("source", s);
        }
        d.finish()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.inner.kind {
            Kind::Config => {
                write!(f, "invalid client configuration")?;
                if let Some(field) = self.inner.field {
                    write!(f, ": `{field}`")?;
                }
                if let Some(m) = &self.inner.message {
                    write!(f, ": {m}")?;
                }
                Ok(())
            }
            Kind::Credentials => f.write_str("could not load credentials"),
            Kind::Signing => match &self.inner.message {
                Some(m) => write!(f, "could not sign the request: {m}"),
                None => f.write_str("could not sign the request"),
            },
            Kind::Transport => match &self.inner.message {
                Some(m) => write!(f, "connection error: {m}"),
                None => f.write_str("error sending the request"),
            },
            Kind::Timeout => match &self.inner.message {
                Some(m) => write!(f, "timed out: {m}"),
                None => f.write_str("the request timed out"),
            },
            Kind::Status => {
                match self.inner.status {
                    Some(s) => write!(f, "HTTP status {s}")?,
                    None => f.write_str("HTTP error status")?,
                }
                if let Some(t) = &self.inner.error_type {
                    write!(f, ": {t}")?;
                }
                if let Some(m) =
                    self.inner.message.as_ref().or(self.inner.graphql.first().map(|g| &g.message))
                {
                    write!(f, ": {m}")?;
                }
                Ok(())
            }
            Kind::GraphQL => {
                let n = self.inner.graphql.len();
                match self.inner.graphql.first() {
                    Some(first) => {
                        write!(f, "GraphQL error: {first}")?;
                        if n > 1 {
                            write!(f, " (and {} more)", n - 1)?;
                        }
                        Ok(())
                    }
                    None => f.write_str("GraphQL error"),
                }
            }
            Kind::Decode => match &self.inner.message {
                Some(m) => write!(f, "error decoding the response: {m}"),
                None => f.write_str("error decoding the response"),
            },
            Kind::Encode => match &self.inner.message {
                Some(m) => write!(f, "error serializing: {m}"),
                None => f.write_str("error serializing the variables"),
            },
            Kind::RealtimeRefused => {
                f.write_str("real-time connection error")?;
                if let Some(t) = &self.inner.error_type {
                    write!(f, ": {t}")?;
                }
                if let Some(s) = self.inner.status {
                    write!(f, " ({})", s.as_u16())?;
                }
                if let Some(m) = &self.inner.message {
                    write!(f, ": {m}")?;
                }
                Ok(())
            }
            Kind::Closed => match &self.inner.message {
                Some(m) => write!(f, "closed: {m}"),
                None => f.write_str("closed"),
            },
            Kind::Rejected => {
                f.write_str("rejected by AppSync")?;
                if let Some(t) = &self.inner.error_type {
                    write!(f, ": {t}")?;
                }
                if let Some(s) = self.inner.status {
                    write!(f, " ({})", s.as_u16())?;
                }
                if let Some(m) = &self.inner.message {
                    write!(f, ": {m}")?;
                }
                Ok(())
            }
            Kind::InvalidInput => {
                f.write_str("invalid input")?;
                if let Some(field) = self.inner.field {
                    write!(f, ": `{field}`")?;
                }
                if let Some(m) = &self.inner.message {
                    write!(f, ": {m}")?;
                }
                Ok(())
            }
            Kind::Lagged => write!(
                f,
                "the subscription fell behind: {} event(s) dropped (a larger event_queue_capacity, or a faster consumer)",
                self.inner.lagged
            ),
        }
    }
}

impl StdError for Error {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.inner.source.as_ref().map(|s| &**s as &(dyn StdError + 'static))
    }
}

/// A source shared by the copies of one error delivered to several subscriptions: shows and
/// chains as the original.
struct SharedSource(std::sync::Arc<dyn StdError + Send + Sync>);

impl fmt::Debug for SharedSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl fmt::Display for SharedSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&*self.0, f)
    }
}

impl StdError for SharedSource {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.0.source()
    }
}

/// One entry of a GraphQL response's `errors`, with AppSync's extra fields.
///
/// Validation errors carry only `message` and `locations`; resolver errors add `errorType`,
/// `errorInfo` and `path`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct GraphQLError {
    /// The message.
    #[serde(default)]
    pub message: String,
    /// AppSync's error type (`Unauthorized`, `DynamoDB:ConditionalCheckFailedException`,
    /// whatever a resolver's `util.error` gave).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_type: Option<String>,
    /// The `errorInfo` a resolver attached.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_info: Option<serde_json::Value>,
    /// Where in the response the error happened.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<Vec<PathSegment>>,
    /// Where in the query the error happened.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locations: Option<Vec<Location>>,
    /// Standard GraphQL `extensions`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extensions: Option<serde_json::Map<String, serde_json::Value>>,
}

impl fmt::Display for GraphQLError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(t) = &self.error_type {
            write!(f, "{t}: ")?;
        }
        f.write_str(&self.message)?;
        if let Some(path) = self.path.as_ref().filter(|p| !p.is_empty()) {
            f.write_str(" (at ")?;
            for (i, seg) in path.iter().enumerate() {
                match seg {
                    PathSegment::Field(name) if i == 0 => f.write_str(name)?,
                    PathSegment::Field(name) => write!(f, ".{name}")?,
                    PathSegment::Index(idx) => write!(f, "[{idx}]")?,
                }
            }
            f.write_str(")")?;
        }
        Ok(())
    }
}

/// A step of a GraphQL error's `path`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum PathSegment {
    /// A field name (or alias).
    Field(String),
    /// A list index.
    Index(u64),
}

/// A position in the query document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Location {
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub column: u32,
    /// AppSync's `sourceName` (usually null).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_name: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(
        code: u16,
        error_type: Option<&str>,
        message: Option<&str>,
        graphql: Vec<GraphQLError>,
    ) -> Error {
        Error::http_status(
            StatusCode::from_u16(code).unwrap_or(StatusCode::FORBIDDEN),
            error_type.map(str::to_owned),
            message.map(str::to_owned),
            graphql,
        )
    }

    fn gql(message: &str) -> GraphQLError {
        GraphQLError {
            message: message.into(),
            error_type: None,
            error_info: None,
            path: None,
            locations: None,
            extensions: None,
        }
    }

    #[test]
    fn clock_skew_is_recognised_in_every_shape() {
        let expired = "Signature expired: 20260101T000000Z is now earlier than 20260101T001000Z (20260101T001500Z - 5 min.)";
        let future = "Signature not yet current: 20260101T003000Z is still later than 20260101T002000Z (20260101T001500Z + 5 min.)";
        assert!(status(403, Some("InvalidSignatureException"), Some(expired), vec![]).is_clock_skew());
        assert!(status(401, Some("UnauthorizedException"), None, vec![gql(future)]).is_clock_skew());
        assert!(status(403, Some("RequestTimeTooSkewed"), None, vec![]).is_clock_skew());
        assert!(status(400, None, Some(expired), vec![]).is_clock_skew());
        assert!(
            !status(
                403,
                Some("InvalidSignatureException"),
                Some("The request signature we calculated does not match"),
                vec![]
            )
            .is_clock_skew()
        );
        assert!(
            !Error::graphql(vec![gql(expired)]).is_clock_skew(),
            "only HTTP rejections are about the signature"
        );
    }

    #[test]
    fn duplicates_keep_fields_and_the_source_chain() {
        let io = std::io::Error::other("connection reset");
        let mut original = Error::new(Kind::Transport).with_source(io);
        original.inner.message = Some("lost".into());
        let copy = original.duplicate();
        let again = original.duplicate();
        for e in [&original, &copy, &again] {
            assert!(e.is_transport());
            assert_eq!(e.message(), Some("lost"));
            assert_eq!(e.source().map(ToString::to_string).as_deref(), Some("connection reset"));
        }
        let mut refused = Error::realtime_refused(vec![(
            Some(401),
            GraphQLError { error_type: Some("UnauthorizedException".into()), ..gql("") },
        )]);
        let copy = refused.duplicate();
        assert!(copy.is_realtime_refused() && copy.is_unauthorized());
        assert_eq!(copy.to_string(), "real-time connection error: UnauthorizedException (401)");
    }

    #[test]
    fn questions_answered_from_type_and_status() {
        let throttled = status(400, Some("TooManyRequestsException"), None, vec![]);
        assert!(throttled.is_throttled() && !throttled.is_unauthorized());
        let unauthorized = status(
            200,
            None,
            None,
            vec![GraphQLError { error_type: Some("Unauthorized".into()), ..gql("no") }],
        );
        assert!(unauthorized.is_unauthorized());
        assert!(status(429, None, None, vec![]).is_throttled());
        assert!(status(403, None, None, vec![]).is_unauthorized());
    }
}
