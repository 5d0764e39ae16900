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
use crate::error::Error;
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
            .finish()
    }
}

impl Emulator {
    /// Starts configuring an emulator.
    pub fn builder() -> EmulatorBuilder {
        EmulatorBuilder::default()
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

    /// Serves on `listener` until `shutdown` completes, then lets in-flight requests finish
    /// (for up to 10 seconds).
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
        let body = self.inner.threads.execute(&self.inner.engine, req, identity.clone()).await;
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
}
