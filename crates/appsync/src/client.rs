//! The client: the request pipeline (auth, signing, sending, decoding) and retries. Its
//! configuration is [`ClientBuilder`](crate::ClientBuilder)'s.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tracing::Instrument;

use crate::auth::{Auth, add_auth_headers};
use crate::builder::ClientBuilder;
use crate::endpoint::Endpoint;
use crate::error::{Error, Kind, Result};
use crate::operation::{
    Request, Response, encode_body, insert_json_headers, is_mutation, resolved_operation_name,
};
use crate::retry::{RETRY_COST, RetryBudget, RetryPolicy, TIMEOUT_RETRY_COST};

/// An AppSync GraphQL client.
///
/// Cheap to clone (an `Arc` inside): clones share the connection pool, the credentials cache,
/// the retry budget and the clock-skew correction. Create one per API and reuse it.
///
/// ```no_run
/// # async fn run() -> Result<(), appsync::Error> {
/// use appsync::{Auth, Client};
/// use appsync::credentials::DefaultCredentialsChain;
///
/// let client = Client::builder()
///     .endpoint("https://abc123.appsync-api.us-east-1.amazonaws.com/graphql")
///     .auth(Auth::iam(DefaultCredentialsChain::new()))
///     .build()?;
///
/// #[derive(serde::Deserialize)]
/// struct Data { #[serde(rename = "getPost")] post: Option<Post> }
/// #[derive(serde::Deserialize)]
/// struct Post { id: String, title: String }
///
/// let response = client
///     .query::<Data>("query Get($id: ID!) { getPost(id: $id) { id title } }", serde_json::json!({ "id": "1" }))
///     .await?;
/// let data = response.into_result()?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    inner: Arc<ClientRef>,
}

/// What a client's clones share; built by [`ClientBuilder::build`].
pub(crate) struct ClientRef {
    pub(crate) http: reqwest::Client,
    pub(crate) endpoint: Endpoint,
    pub(crate) auth: Auth,
    /// The client's extra headers, then `content-type` and `accept`: the start of every
    /// request's headers.
    pub(crate) headers: HeaderMap,
    pub(crate) retry: RetryPolicy,
    pub(crate) budget: RetryBudget,
    pub(crate) skew_correction: bool,
    /// Server time minus local time, in milliseconds, learned from a rejected signature.
    pub(crate) clock_offset_ms: AtomicI64,
    /// Subscriptions: the real-time connections.
    pub(crate) realtime: Arc<crate::realtime::Hub>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("endpoint", &self.inner.endpoint.url.as_str())
            .field("region", &self.inner.endpoint.region)
            .field("auth", &self.inner.auth)
            .finish_non_exhaustive()
    }
}

/// What a failed attempt means for the next one.
enum Next {
    Retry { cost: u32 },
    Resign,
    Fail,
}

impl Client {
    pub(crate) fn from_parts(inner: ClientRef) -> Self {
        Self { inner: Arc::new(inner) }
    }

    /// A builder.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// The endpoint URL.
    pub fn endpoint(&self) -> &reqwest::Url {
        &self.inner.endpoint.url
    }

    /// The signing region, if known.
    pub fn region(&self) -> Option<&str> {
        self.inner.endpoint.region.as_deref()
    }

    /// The default auth mode.
    pub fn auth(&self) -> &Auth {
        &self.inner.auth
    }

    /// The correction applied to the local clock when signing, in milliseconds (server minus
    /// local), learned from the `Date` of a response that rejected a signature for time.
    pub fn clock_offset_ms(&self) -> i64 {
        self.inner.clock_offset_ms.load(Ordering::Relaxed)
    }

    /// `headers` plus the auth headers of `auth` (the client's default when `None`) for a
    /// request other than the client's own POSTs: IAM signs `method`, `url`, `headers` and
    /// `body` for this client's region with the clock-skew correction applied; the other modes
    /// add their header. This is how AppSync's real-time handshake is authorized (IAM signs a
    /// POST to `https://<api host>/graphql/connect` with body `{}`).
    ///
    /// ```no_run
    /// # async fn run(client: appsync::Client) -> Result<(), appsync::Error> {
    /// let mut headers = http::HeaderMap::new();
    /// headers.insert("accept", "application/json, text/javascript".parse().unwrap());
    /// headers.insert("content-encoding", "amz-1.0".parse().unwrap());
    /// headers.insert("content-type", "application/json; charset=UTF-8".parse().unwrap());
    /// let url = client.endpoint().join("/graphql/connect").unwrap();
    /// let signed = client.auth_headers(None, "POST", &url, headers, b"{}").await?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// Credentials, signing or configuration errors (IAM without a region; for IAM, a `method` or
    /// `url` that is not a valid HTTP method or URI, naming the field).
    pub async fn auth_headers(
        &self,
        auth: Option<&Auth>,
        method: &str,
        url: &reqwest::Url,
        mut headers: HeaderMap,
        body: &[u8],
    ) -> Result<HeaderMap> {
        let auth = auth.unwrap_or(&self.inner.auth);
        let region = self.inner.endpoint.region.as_deref();
        if auth.is_iam() && region.is_none() {
            return Err(self.inner.endpoint.missing_region());
        }
        // Only a signature covers the method and URL; the other modes just add their header.
        let (method, uri) = if auth.is_iam() {
            let method = http::Method::from_bytes(method.as_bytes())
                .map_err(|_| Error::config("method", format!("`{method}` is not an HTTP method")))?;
            let uri = http::Uri::try_from(url.as_str()).map_err(|e| {
                Error::config_with_source("url", format!("`{url}` is not a valid HTTP URI"), e)
            })?;
            (method, uri)
        } else {
            (http::Method::POST, http::Uri::default())
        };
        add_auth_headers(auth, &mut headers, &method, &uri, region, body, self.signing_time()).await?;
        Ok(headers)
    }

    /// Subscribes to `query` (a subscription document) with `variables` (`()` for none) over
    /// the real-time endpoint, decoding each event's `data` as `T`. Resolves once AppSync has
    /// acknowledged the subscription (`start_ack`), so events of mutations made afterwards are
    /// delivered. Dropping the [`Subscription`](crate::Subscription) sends `stop`.
    ///
    /// ```no_run
    /// # async fn run(client: appsync::Client) -> Result<(), appsync::Error> {
    /// use futures_util::StreamExt as _;
    /// let mut sub = client
    ///     .subscribe::<serde_json::Value>(
    ///         "subscription On($id: ID!) { onUpdatePost(id: $id) { id title } }",
    ///         serde_json::json!({ "id": "1" }),
    ///     )
    ///     .await?;
    /// while let Some(event) = sub.next().await {
    ///     println!("{}", event?);
    /// }
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// The subscription's own error (validation, unauthorized: [`Error::is_graphql`]), the
    /// connection refused for good ([`Error::is_realtime_refused`], `is_unauthorized()`),
    /// timeouts, credentials or signing errors, or [`Error::is_closed`] after [`close`](Self::close).
    pub async fn subscribe<T: DeserializeOwned>(
        &self,
        query: &str,
        variables: impl Serialize,
    ) -> Result<crate::Subscription<T>> {
        self.subscribe_request(Request::new(query).variables(variables)).await
    }

    /// [`subscribe`](Self::subscribe) with a [`Request`]: its auth mode (subscriptions of
    /// another auth identity get a connection of their own), variables and operation name are used.
    ///
    /// ```no_run
    /// # async fn run(client: appsync::Client) -> Result<(), appsync::Error> {
    /// use appsync::{Auth, Request};
    /// let request = Request::new("subscription { onCreatePost { id } }").auth(Auth::api_key("da2-key"));
    /// let sub = client.subscribe_request::<serde_json::Value>(request).await?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// As [`subscribe`](Self::subscribe).
    pub async fn subscribe_request<T: DeserializeOwned>(
        &self,
        request: impl Into<Request>,
    ) -> Result<crate::Subscription<T>> {
        let request = request.into();
        let variables = request.variables.clone().map_err(Error::encode_shared)?;
        let auth = request.auth.clone().unwrap_or_else(|| self.inner.auth.clone());
        if auth.is_iam() && self.inner.endpoint.region.is_none() {
            return Err(self.inner.endpoint.missing_region());
        }
        let data = crate::realtime::protocol::start_data(
            &request.query,
            &variables,
            request.operation_name.as_deref(),
        );
        self.inner.realtime.subscribe(self, auth, data, crate::Subscription::new).await
    }

    /// The state changes of this client's real-time connections (connecting, connected,
    /// keep-alive late, disrupted, reconnecting, closed), from now on. The same changes are
    /// logged through `tracing` (target `appsync::realtime`). Ends after [`close`](Self::close).
    ///
    /// ```no_run
    /// # async fn run(client: appsync::Client) {
    /// use futures_util::StreamExt as _;
    /// let mut states = std::pin::pin!(client.connection_states());
    /// while let Some(event) = states.next().await {
    ///     eprintln!("connection {}: {:?}", event.connection, event.state);
    /// }
    /// # }
    /// ```
    pub fn connection_states(
        &self,
    ) -> impl futures_util::Stream<Item = crate::realtime::ConnectionEvent> + Send + 'static {
        self.inner.realtime.states()
    }

    /// The real-time side: its connections and their protocol.
    pub(crate) fn hub(&self) -> &Arc<crate::realtime::Hub> {
        &self.inner.realtime
    }

    /// The real-time (WebSocket) URL subscriptions connect to.
    pub fn realtime_url(&self) -> &reqwest::Url {
        self.inner.realtime.url()
    }

    /// Stops every subscription (their streams end), sends `stop` for each and closes every
    /// WebSocket politely. Later `subscribe` calls fail with [`Error::is_closed`]; queries and
    /// mutations still work.
    ///
    /// ```no_run
    /// # async fn run(client: appsync::Client) {
    /// client.close().await;
    /// # }
    /// ```
    pub async fn close(&self) {
        self.inner.realtime.close().await;
    }

    /// Runs a query (or mutation) with `variables` (`()` for none), decoding `data` as `T`.
    ///
    /// # Errors
    /// Transport, timeout, HTTP status, decoding, credentials or signing errors. GraphQL errors
    /// are not errors here: they are in [`Response::errors`] (see [`Response::into_result`]).
    pub async fn query<T: DeserializeOwned>(
        &self,
        query: &str,
        variables: impl Serialize,
    ) -> Result<Response<T>> {
        // The variables go straight into the body: no `Request`, no copy of the document, no
        // intermediate `serde_json::Value`.
        let body = encode_body(query, &variables, None);
        let operation = Operation {
            kind: OperationKind::GraphQl { query, operation_name: None, retry_mutation: None },
            headers: None,
            auth: &self.inner.auth,
            timeout: None,
        };
        self.send(operation, body, decode_response::<T>).await
    }

    /// Runs `request` and returns only its data, turning GraphQL errors into an `Err`.
    ///
    /// # Errors
    /// As [`execute`](Self::execute), plus any GraphQL error ([`Error::is_graphql`]).
    pub async fn data<T: DeserializeOwned>(&self, request: impl Into<Request>) -> Result<T> {
        self.execute(request).await?.into_result()
    }

    /// Runs `request`, decoding `data` as `T`.
    ///
    /// # Errors
    /// Transport, timeout, HTTP status, decoding, credentials or signing errors.
    pub async fn execute<T: DeserializeOwned>(&self, request: impl Into<Request>) -> Result<Response<T>> {
        let request = request.into();
        let operation_name = request.operation_name.as_deref();
        let body = match &request.variables {
            Ok(variables) => encode_body(&request.query, variables, operation_name),
            Err(e) => Err(Error::encode_shared(Arc::clone(e))),
        };
        let headers = match &request.headers {
            Ok(headers) => (!headers.is_empty()).then_some(headers),
            Err(name) => return Err(Error::invalid_header(name)),
        };
        let operation = Operation {
            kind: OperationKind::GraphQl {
                query: &request.query,
                operation_name,
                retry_mutation: request.retry_mutation,
            },
            headers,
            auth: request.auth.as_ref().unwrap_or(&self.inner.auth),
            timeout: request.timeout,
        };
        self.send(operation, body, decode_response::<T>).await
    }

    /// POSTs an AppSync Events publish, `body` (`{"channel", "events"}`), to the endpoint with
    /// `auth`, and returns the response body. Like a mutation it is sent again only when it
    /// provably never left (or was refused for its signature's time or stale credentials).
    pub(crate) async fn post_publish(&self, channel: &str, auth: &Auth, body: Bytes) -> Result<Bytes> {
        let operation =
            Operation { kind: OperationKind::Publish { channel }, headers: None, auth, timeout: None };
        self.send(operation, Ok(body), |bytes| Ok(Bytes::copy_from_slice(bytes))).await
    }

    async fn send<R>(
        &self,
        operation: Operation<'_>,
        body: Result<Bytes>,
        decode: fn(&[u8]) -> Result<R>,
    ) -> Result<R> {
        let span = tracing::debug_span!(
            "appsync.request",
            operation = %OperationName(&operation),
            auth = operation.auth.mode_name()
        );
        self.run(&operation, body, decode).instrument(span).await
    }

    async fn run<R>(
        &self,
        operation: &Operation<'_>,
        body: Result<Bytes>,
        decode: fn(&[u8]) -> Result<R>,
    ) -> Result<R> {
        let inner = &*self.inner;
        let body = body?;
        let auth = operation.auth;
        if auth.is_iam() && inner.endpoint.region.is_none() {
            return Err(inner.endpoint.missing_region());
        }

        let mut attempt = 0u32;
        let mut spent = 0u32;
        let mut resigned = false;
        let mut reauthenticated = false;
        loop {
            attempt += 1;
            let span = tracing::debug_span!(
                "appsync.attempt",
                attempt,
                status = tracing::field::Empty,
                latency_ms = tracing::field::Empty
            );
            let started = Instant::now();
            let result = self.attempt(operation, &body, decode).instrument(span.clone()).await;
            span.record("latency_ms", started.elapsed().as_millis() as u64);
            let error = match result {
                Ok((status, response)) => {
                    span.record("status", status.as_u16());
                    inner.budget.refund(spent.max(1));
                    return Ok(response);
                }
                Err(e) => e,
            };
            if let Some(status) = error.status() {
                span.record("status", status.as_u16());
            }
            let next = self.next_step(&error, operation, &mut resigned, &mut reauthenticated).await;
            let _entered = span.enter();
            match next {
                Next::Resign => {
                    tracing::debug!(error = %error, "re-signing after the server rejected the signature time");
                    continue;
                }
                Next::Retry { cost } if attempt < inner.retry.max_attempts => {
                    if !inner.budget.try_spend(cost) {
                        tracing::debug!(error = %error, "not retrying: the retry budget is spent");
                        return Err(error);
                    }
                    spent += cost;
                    // A server's Retry-After lengthens the policy's wait, never shortens it.
                    let wait = inner.retry.backoff(attempt - 1).max(error.retry_after().unwrap_or_default());
                    tracing::debug!(error = %error, wait_ms = wait.as_millis() as u64, "retrying");
                    tokio::time::sleep(wait).await;
                }
                Next::Retry { .. } | Next::Fail => return Err(error),
            }
        }
    }

    async fn next_step(
        &self,
        error: &Error,
        operation: &Operation<'_>,
        resigned: &mut bool,
        reauthenticated: &mut bool,
    ) -> Next {
        let auth = operation.auth;
        if error.is_clock_skew() && auth.is_iam() && self.inner.skew_correction && !*resigned {
            *resigned = true;
            return Next::Resign;
        }
        if error.is_status() && error.is_unauthorized() && !error.is_clock_skew() && !*reauthenticated {
            *reauthenticated = true;
            // The cached credentials or token may have been revoked or rotated early: ask the
            // provider again, and try once more only if it has something new.
            if auth.refresh_rejected().await {
                return Next::Resign;
            }
            return Next::Fail;
        }
        if error.never_sent() {
            return Next::Retry { cost: RETRY_COST };
        }
        // Only now, when a resend is being decided, is the document scanned for a mutation.
        let may_resend = match operation.kind {
            OperationKind::GraphQl { query, operation_name, retry_mutation } => {
                retry_mutation.unwrap_or(self.inner.retry.retry_mutations)
                    || !is_mutation(query, operation_name)
            }
            // A publish that may have arrived is never sent again: its events would be delivered twice.
            OperationKind::Publish { .. } => false,
        };
        if !may_resend {
            return Next::Fail;
        }
        match error.kind() {
            Kind::Timeout => Next::Retry { cost: TIMEOUT_RETRY_COST },
            Kind::Transport => Next::Retry { cost: RETRY_COST },
            // A server asking for a longer pause than the policy allows gets it: the caller sees
            // the error (with `retry_after()`) instead of a retry that would be refused again.
            Kind::Status if error.retry_after().is_some_and(|r| r > self.inner.retry.max_backoff) => {
                Next::Fail
            }
            Kind::Status if error.is_throttled() || error.status().is_some_and(|s| s.is_server_error()) => {
                Next::Retry { cost: RETRY_COST }
            }
            _ => Next::Fail,
        }
    }

    async fn attempt<R>(
        &self,
        operation: &Operation<'_>,
        body: &Bytes,
        decode: fn(&[u8]) -> Result<R>,
    ) -> Result<(StatusCode, R)> {
        let inner = &*self.inner;
        // Built fresh for each attempt (a retry signs again), with room for the auth headers
        // (at most three) and reqwest's user-agent. No more than that: HeaderMap rounds up to a
        // power of two, and the next size up (12 entries, over 1 KiB) takes glibc's slow path for
        // large chunks, consolidating its free lists on every request.
        let extra = operation.headers.map_or(0, HeaderMap::len);
        let mut headers = HeaderMap::with_capacity(inner.headers.len() + extra + 4);
        for (name, value) in &inner.headers {
            headers.append(name.clone(), value.clone());
        }
        if let Some(extra) = operation.headers {
            for (name, value) in extra {
                headers.append(name.clone(), value.clone());
            }
            // A request's own headers must not replace the JSON content type.
            insert_json_headers(&mut headers);
        }
        add_auth_headers(
            operation.auth,
            &mut headers,
            &http::Method::POST,
            &inner.endpoint.uri,
            inner.endpoint.region.as_deref(),
            body,
            self.signing_time(),
        )
        .await?;
        // The request is built directly: the builder's `headers()` would copy the finished map
        // into the request's empty one, header by header.
        let mut http_request = reqwest::Request::new(reqwest::Method::POST, inner.endpoint.url.clone());
        *http_request.headers_mut() = headers;
        *http_request.body_mut() = Some(body.clone().into());
        if let Some(timeout) = operation.timeout {
            // Only when set: reqwest keeps it in the request's extensions, a map allocated on
            // first use, and an absent one means the client's timeout anyway.
            *http_request.timeout_mut() = Some(timeout);
        }
        let response = inner.http.execute(http_request).await.map_err(Error::transport)?;
        let status = response.status();
        if !status.is_success() {
            // The headers are kept (a copy) only for an error's type, Retry-After and Date.
            let response_headers = response.headers().clone();
            let bytes = response.bytes().await.map_err(Error::transport)?;
            let error = Error::from_status_response(status, &response_headers, &bytes);
            if error.is_clock_skew() {
                self.learn_clock_offset(&response_headers);
            }
            return Err(error);
        }
        let bytes = response.bytes().await.map_err(Error::transport)?;
        decode(&bytes).map(|r| (status, r))
    }

    fn signing_time(&self) -> SystemTime {
        let offset = self.inner.clock_offset_ms.load(Ordering::Relaxed);
        let now = SystemTime::now();
        let magnitude = Duration::from_millis(offset.unsigned_abs());
        if offset >= 0 { now + magnitude } else { now - magnitude }
    }

    fn learn_clock_offset(&self, headers: &HeaderMap) {
        let Some(server) = headers
            .get(http::header::DATE)
            .and_then(|v| v.to_str().ok())
            .and_then(|s| httpdate::parse_http_date(s).ok())
        else {
            tracing::debug!("signature rejected for time, but the response has no usable Date header");
            return;
        };
        let now = SystemTime::now();
        let offset_ms = match server.duration_since(now) {
            Ok(ahead) => i64::try_from(ahead.as_millis()).unwrap_or(i64::MAX),
            Err(behind) => -i64::try_from(behind.duration().as_millis()).unwrap_or(i64::MAX),
        };
        tracing::info!(offset_ms, "correcting the signing clock to the server's");
        self.inner.clock_offset_ms.store(offset_ms, Ordering::Relaxed);
    }
}

/// One operation as the request pipeline sees it, borrowed from a [`Request`], from the
/// arguments of [`Client::query`] or from an Events publish: what signing, sending, retrying
/// and the spans need.
struct Operation<'a> {
    kind: OperationKind<'a>,
    /// The request's own extra headers, if it has any.
    headers: Option<&'a HeaderMap>,
    auth: &'a Auth,
    timeout: Option<Duration>,
}

/// What is sent: it decides whether a failed attempt may be sent again.
#[derive(Clone, Copy)]
enum OperationKind<'a> {
    GraphQl {
        query: &'a str,
        operation_name: Option<&'a str>,
        retry_mutation: Option<bool>,
    },
    /// An AppSync Events publish to `channel`.
    Publish {
        channel: &'a str,
    },
}

/// An operation's name as a span field, looked up (a scan of the document) only when a
/// subscriber or logger formats it: with tracing's `log` feature and no subscriber, span fields
/// are evaluated on every request even when nothing logs them.
struct OperationName<'a, 'b>(&'a Operation<'b>);

impl fmt::Display for OperationName<'_, '_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.kind {
            OperationKind::GraphQl { query, operation_name, .. } => {
                f.write_str(resolved_operation_name(query, operation_name).unwrap_or(""))
            }
            OperationKind::Publish { channel } => write!(f, "publish {channel}"),
        }
    }
}
fn decode_response<T: DeserializeOwned>(bytes: &[u8]) -> Result<Response<T>> {
    // The fast path tracks no JSON path; only a failure is decoded again, with path tracking,
    // for the error (and for the partial-data case below).
    if let Ok(response) = serde_json::from_slice::<Response<T>>(bytes) {
        return Ok(response);
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let decoded = serde_path_to_error::deserialize::<_, Response<T>>(&mut de).map_err(Error::decode);
    match decoded.and_then(|r| de.end().map(|()| r).map_err(Error::decode)) {
        Ok(response) => Ok(response),
        Err(error) => {
            // Data that failed to decode next to GraphQL errors is the partial data of a failed
            // operation (nulls where fields failed): the errors are the news, not the types.
            if let Ok(partial) = serde_json::from_slice::<Response<serde::de::IgnoredAny>>(bytes)
                && !partial.errors.is_empty()
            {
                tracing::debug!(%error, "data did not decode next to GraphQL errors; returning the errors");
                return Ok(Response { data: None, errors: partial.errors, extensions: partial.extensions });
            }
            Err(error)
        }
    }
}
