//! The emulator's handle: built once by [`EmulatorBuilder`], served many times.

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Map, Value};
use tokio::sync::broadcast;

use crate::auth::{AuthMode, Authenticator, Identity};
use crate::builder::EmulatorBuilder;
use crate::engine::{Engine, GraphQLRequest};
use crate::error::{Error, Kind};
use crate::events::protocol::PublishResponse;
use crate::events::{Channel, PublishedEvents, Publisher, Refusal};
use crate::mutation_bus::MutationEvent;
use crate::realtime::RealtimeOptions;
use crate::server::ServerHandle;
use crate::thread_pool::ThreadPool;

pub(crate) struct Inner {
    pub(crate) engine: Arc<Engine>,
    pub(crate) threads: ThreadPool,
    pub(crate) auth: Authenticator,
    pub(crate) region: String,
    pub(crate) body_limit: usize,
    pub(crate) body_timeout: Duration,
    pub(crate) header_timeout: Duration,
    pub(crate) realtime: Arc<RealtimeOptions>,
    pub(crate) tls: Option<crate::tls::Tls>,
    pub(crate) events: crate::events::EventsApi,
    /// GraphQL subscriptions live on the real-time connections, for [`Emulator::subscriptions`].
    pub(crate) live_subscriptions: Arc<std::sync::atomic::AtomicUsize>,
    /// The DynamoDB endpoints the project's DynamoDB data sources use, if any.
    pub(crate) dynamodb_endpoints: Vec<Arc<crate::data_sources::DynamoDbEndpoint>>,
}

/// A configured AppSync emulator. Cheap to clone; clones share the same data.
#[derive(Clone)]
pub struct Emulator {
    pub(crate) inner: Arc<Inner>,
}

impl fmt::Debug for Emulator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Emulator")
            .field("region", &self.inner.region)
            .field("auth", &self.inner.auth)
            .field("engine", &self.inner.engine)
            .field("channel_namespaces", &self.inner.events.namespaces)
            .finish()
    }
}

impl Emulator {
    /// Starts configuring an emulator.
    pub fn builder() -> EmulatorBuilder {
        EmulatorBuilder::default()
    }

    /// The DynamoDB-compatible endpoints the project's DynamoDB data sources send their
    /// requests to ([`EmulatorBuilder::dynamodb_endpoint`]); empty when they run on the
    /// embedded engine. [`create_tables`](crate::data_sources::DynamoDbEndpoint::create_tables)
    /// on each makes their tables at start rather than before the first request.
    #[must_use]
    pub fn dynamodb_endpoints(&self) -> &[Arc<crate::data_sources::DynamoDbEndpoint>] {
        &self.inner.dynamodb_endpoints
    }

    /// The region signatures are verified against.
    #[must_use]
    pub fn region(&self) -> &str {
        &self.inner.region
    }

    /// The default auth mode.
    #[must_use]
    pub fn default_auth(&self) -> AuthMode {
        self.inner.auth.default_mode
    }

    /// The auth modes requests may use: the default plus every mode with credentials configured.
    #[must_use]
    pub fn auth_modes(&self) -> &[AuthMode] {
        &self.inner.auth.enabled
    }

    /// The AppSync Events channel namespaces, in configuration order (`default` when none was
    /// configured).
    #[must_use]
    pub fn channel_namespaces(&self) -> Vec<&str> {
        self.inner.events.namespaces.names().collect()
    }

    /// Whether [`serve`](Self::serve) and [`spawn`](Self::spawn) speak TLS (HTTPS and WSS).
    #[must_use]
    pub fn is_tls(&self) -> bool {
        self.inner.tls.is_some()
    }

    /// The PEM certificate of the authority that issued the emulator's TLS certificate, when
    /// the emulator issued it ([`crate::TlsOptions::local_ca`], [`crate::TlsOptions::ephemeral`]):
    /// what a client must trust.
    #[must_use]
    pub fn tls_ca_pem(&self) -> Option<&str> {
        self.inner.tls.as_ref().and_then(|t| t.ca_pem.as_deref())
    }

    /// The file holding that authority's certificate ([`crate::TlsOptions::local_ca`] only).
    #[must_use]
    pub fn tls_ca_file(&self) -> Option<&std::path::Path> {
        self.inner.tls.as_ref().and_then(|t| t.ca_file.as_deref())
    }

    /// The HTTP routes, for embedding in another axum server or driving with `tower`.
    pub fn router(&self) -> axum::Router {
        crate::http::app(self.clone())
    }

    /// Binds `addr` (e.g. `127.0.0.1:0`) and serves in the background until the returned
    /// handle is dropped or shut down.
    pub async fn spawn(&self, addr: impl tokio::net::ToSocketAddrs) -> Result<ServerHandle, Error> {
        let listener = crate::server::bind(addr).await?;
        ServerHandle::start(self.clone(), listener)
    }

    /// Serves on `listener` until `shutdown` completes, then lets in-flight requests finish and
    /// closes the WebSockets (close 1001; for up to 10 seconds in all).
    pub async fn serve(&self, listener: tokio::net::TcpListener, shutdown: impl Future<Output = ()>) {
        crate::server::serve_connections(
            self.router(),
            listener,
            self.inner.tls.as_ref().map(|t| t.acceptor.clone()),
            shutdown,
            self.inner.header_timeout,
            Duration::from_secs(10),
        )
        .await;
    }

    /// Every successful root mutation field from now on, for fanning out to subscribers.
    /// A receiver that lags more than the channel capacity misses events (and is told so).
    #[must_use]
    pub fn subscribe_mutations(&self) -> broadcast::Receiver<Arc<MutationEvent>> {
        self.inner.engine.events.subscribe()
    }

    /// Executes an operation directly, as `identity`, and returns the response body AppSync
    /// would send. Mutations made this way are published like any other.
    pub async fn execute(
        &self,
        query: &str,
        variables: Option<Map<String, Value>>,
        operation_name: Option<&str>,
        identity: &Identity,
    ) -> Value {
        let req = GraphQLRequest {
            query: query.to_owned(),
            // No variables given is an empty set of them.
            variables: variables.unwrap_or_default(),
            operation_name: operation_name.map(str::to_owned),
            headers: std::collections::BTreeMap::new(),
        };
        let body = match self.inner.engine.execute_here(&req, identity) {
            Some(body) => body,
            None => self.inner.threads.execute(&self.inner.engine, req, identity.clone()).await,
        };
        crate::json::from_apollo(&body)
    }

    /// How many receivers the mutation event bus has now: one per open, authorized real-time
    /// connection, plus those taken with [`Emulator::subscribe_mutations`]. A connection's
    /// receiver is released the moment the server frees the connection, so this shows whether
    /// dead or misbehaving clients were let go.
    #[must_use]
    pub fn event_receivers(&self) -> usize {
        self.inner.engine.events.receiver_count()
    }

    /// How many GraphQL subscriptions are live on the real-time connections now: one per
    /// acknowledged `start`, until its `stop` or the end of its connection. Shows a test
    /// whether a client sent the `stop` it should have.
    #[must_use]
    pub fn subscriptions(&self) -> usize {
        self.inner.live_subscriptions.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Publishes `events` to `channel` as AppSync Events would publish them, from Rust: the
    /// channel's namespace must be configured and its handler runs, but no auth applies. Each
    /// event is serialized to the JSON string subscribers receive. At most five events, as on
    /// AppSync; the outcome lists each event's fate.
    ///
    /// ```no_run
    /// # async fn demo(emulator: appsync_local::Emulator) -> Result<(), appsync_local::Error> {
    /// use serde_json::json;
    ///
    /// let mut published = emulator.subscribe_events();
    /// let outcome = emulator.publish_events("/default/chat", [json!({"text": "hi"})]).await?;
    /// assert!(outcome.failed.is_empty());
    /// let event = published.recv().await.expect("published");
    /// assert_eq!(event.channel(), "/default/chat");
    /// assert_eq!(event.events()[0].json(), json!({"text": "hi"}));
    /// # Ok(()) }
    /// ```
    pub async fn publish_events(
        &self,
        channel: &str,
        events: impl IntoIterator<Item = Value>,
    ) -> Result<PublishResponse, Error> {
        let channel = Channel::publish(channel)
            .map_err(|why| Error::new(Kind::Input, format!("invalid channel: {why}")))?;
        let events: Vec<Value> = events.into_iter().map(|e| Value::String(e.to_string())).collect();
        let publisher = Publisher { identity: None, headers: Map::new() };
        crate::events::publish(&self.inner.events, &channel, &events, publisher).await.map_err(|refusal| {
            let message = match refusal {
                Refusal::NoNamespace => {
                    format!("no channel namespace {:?} is configured", channel.namespace())
                }
                Refusal::TooManyEvents => format!(
                    "{} events given; at most {} may be published at once",
                    events.len(),
                    crate::events::MAX_EVENTS_PER_PUBLISH
                ),
                Refusal::NoEvents => "no events given".to_owned(),
                Refusal::Handler(e) => {
                    return Error::new(Kind::Input, "the namespace handler refused the publish")
                        .with_source(e);
                }
                // Events from Rust are strings and no identity is checked.
                Refusal::ModeNotAllowed | Refusal::NotAString(_) => "the publish was refused".to_owned(),
            };
            Error::new(Kind::Input, message)
        })
    }

    /// Every AppSync Events publish accepted from now on (HTTP, WebSocket or
    /// [`publish_events`](Self::publish_events)), with the events that were broadcast. A
    /// receiver that lags more than the [event capacity](crate::EmulatorBuilder::event_capacity)
    /// misses publishes (and is told so).
    #[must_use]
    pub fn subscribe_events(&self) -> broadcast::Receiver<Arc<PublishedEvents>> {
        self.inner.events.hub.subscribe()
    }

    /// How many receivers the Events hub has now: one per open, authorized Events WebSocket,
    /// plus those taken with [`subscribe_events`](Self::subscribe_events).
    #[must_use]
    pub fn events_receivers(&self) -> usize {
        self.inner.events.hub.receiver_count()
    }
}
