//! The emulator's configuration and its handle: build once, serve many times.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Map, Value};
use tokio::sync::broadcast;

use crate::auth::{
    ApiKey, AuthMode, Authenticator, Identity, LambdaAuthorization, LambdaAuthorizerFn, LambdaRequest,
};
use crate::error::{Error, Kind};
use crate::events::MutationEvent;
use crate::execute::{Engine, GraphQLRequest, Limits};
use crate::executor::ExecutorPool;
use crate::jwt::JwtConfig;
use crate::resolver::{self, ResolverContext, ResolverError, ResolverFn};
use crate::schema::{DEMO_SCHEMA, LoadedSchema};
use crate::server::ServerHandle;
use crate::store::MemoryStore;

/// Default request body limit: 1 MiB.
pub const DEFAULT_BODY_LIMIT: usize = 1024 * 1024;
/// Default query depth limit (AppSync allows configuring 1 to 75).
pub const DEFAULT_MAX_DEPTH: usize = 75;
/// Default limit on aliases in one document.
pub const DEFAULT_MAX_ALIASES: usize = 1000;

/// An IAM access key pair the emulator accepts.
#[derive(Clone)]
pub struct IamCredentials {
    access_key_id: String,
    secret_access_key: String,
    session_token: Option<String>,
}

impl IamCredentials {
    /// Long-term credentials (no session token).
    #[must_use]
    pub fn new(access_key_id: impl Into<String>, secret_access_key: impl Into<String>) -> Self {
        Self {
            access_key_id: access_key_id.into(),
            secret_access_key: secret_access_key.into(),
            session_token: None,
        }
    }

    /// Temporary credentials: requests must carry exactly this `x-amz-security-token`.
    #[must_use]
    pub fn with_session_token(mut self, token: impl Into<String>) -> Self {
        self.session_token = Some(token.into());
        self
    }

    /// The access key id.
    #[must_use]
    pub fn access_key_id(&self) -> &str {
        &self.access_key_id
    }

    /// The secret access key.
    #[must_use]
    pub fn secret_access_key(&self) -> &str {
        &self.secret_access_key
    }

    /// The session token, for temporary credentials.
    #[must_use]
    pub fn session_token(&self) -> Option<&str> {
        self.session_token.as_deref()
    }
}

impl fmt::Debug for IamCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IamCredentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .field("session_token", &self.session_token.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// Builds an [`Emulator`]; every value is checked by [`build`](Self::build).
#[must_use]
pub struct EmulatorBuilder {
    schema: Option<(String, String)>,
    api_keys: Vec<ApiKey>,
    iam: Vec<IamCredentials>,
    region: String,
    default_auth: AuthMode,
    lambda_tokens: Vec<String>,
    cognito: Option<JwtConfig>,
    oidc: Option<JwtConfig>,
    lambda_authorizer: Option<LambdaAuthorizerFn>,
    lambda_ttl: Duration,
    lambda_identity_validation: Option<String>,
    resolvers: Vec<(String, ResolverFn)>,
    body_limit: usize,
    max_depth: usize,
    max_aliases: usize,
    max_skew: Duration,
    body_timeout: Duration,
    header_timeout: Duration,
    event_capacity: usize,
    data_file: Option<std::path::PathBuf>,
    realtime: crate::realtime::RealtimeConfig,
}

impl fmt::Debug for EmulatorBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EmulatorBuilder")
            .field("schema", &self.schema.as_ref().map(|(_, path)| path))
            .field("api_keys", &self.api_keys)
            .field("iam", &self.iam)
            .field("region", &self.region)
            .field("default_auth", &self.default_auth)
            .field("lambda_tokens", &self.lambda_tokens.len())
            .field("lambda_authorizer", &self.lambda_authorizer.is_some())
            .field("resolvers", &self.resolvers.iter().map(|(k, _)| k).collect::<Vec<_>>())
            .field("body_limit", &self.body_limit)
            .field("max_depth", &self.max_depth)
            .field("max_aliases", &self.max_aliases)
            .finish_non_exhaustive()
    }
}

impl Default for EmulatorBuilder {
    fn default() -> Self {
        Self {
            schema: None,
            api_keys: Vec::new(),
            iam: Vec::new(),
            region: "us-east-1".to_owned(),
            default_auth: AuthMode::Iam,
            lambda_tokens: Vec::new(),
            cognito: None,
            oidc: None,
            lambda_authorizer: None,
            lambda_ttl: Duration::ZERO,
            lambda_identity_validation: None,
            resolvers: Vec::new(),
            body_limit: DEFAULT_BODY_LIMIT,
            max_depth: DEFAULT_MAX_DEPTH,
            max_aliases: DEFAULT_MAX_ALIASES,
            max_skew: Duration::from_secs(5 * 60),
            body_timeout: Duration::from_secs(10),
            header_timeout: Duration::from_secs(10),
            event_capacity: 1024,
            data_file: None,
            realtime: crate::realtime::RealtimeConfig::default(),
        }
    }
}

impl EmulatorBuilder {
    /// The schema as AppSync SDL; without one the built-in demo schema is served.
    pub fn schema_sdl(mut self, sdl: impl Into<String>) -> Self {
        self.schema = Some((sdl.into(), "schema.graphql".to_owned()));
        self
    }

    /// The schema as SDL with the file name to use in error messages.
    pub fn schema_file_contents(mut self, sdl: impl Into<String>, path: impl Into<String>) -> Self {
        self.schema = Some((sdl.into(), path.into()));
        self
    }

    /// Accepts this API key (repeatable).
    pub fn api_key(mut self, key: ApiKey) -> Self {
        self.api_keys.push(key);
        self
    }

    /// Accepts SigV4 signatures made with these credentials (repeatable).
    pub fn iam_credentials(mut self, credentials: IamCredentials) -> Self {
        self.iam.push(credentials);
        self
    }

    /// The region signatures must be scoped to (default `us-east-1`).
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = region.into();
        self
    }

    /// The API's default auth mode (default IAM): fields without auth directives are
    /// reachable only through it.
    pub fn default_auth(mut self, mode: AuthMode) -> Self {
        self.default_auth = mode;
        self
    }

    /// Accepts this token in `Authorization` as an allowing Lambda authorizer would (repeatable).
    pub fn lambda_token(mut self, token: impl Into<String>) -> Self {
        self.lambda_tokens.push(token.into());
        self
    }

    /// Decides `Authorization` tokens that no configured token accepts, as a Lambda authorizer
    /// does: allow (with resolver context and denied fields) or deny.
    pub fn lambda_authorizer<F, Fut>(mut self, f: F) -> Self
    where
        F: Fn(LambdaRequest) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = LambdaAuthorization> + Send + 'static,
    {
        self.lambda_authorizer = Some(Arc::new(move |req| Box::pin(f(req))));
        self
    }

    /// How long a [`lambda_authorizer`](Self::lambda_authorizer) answer is reused for the
    /// same token (AppSync's `authorizerResultTtlInSeconds`). The default, zero, asks the
    /// authorizer on every request, as AppSync does; at most one hour. An answer's
    /// [`ttl_override`](LambdaAuthorization::ttl_override) wins. The cache is keyed by token
    /// alone, so a cached answer (its denied fields and resolver context included) applies
    /// to every operation sent with that token until it expires, as in AppSync.
    pub fn lambda_authorizer_ttl(mut self, ttl: Duration) -> Self {
        self.lambda_ttl = ttl;
        self
    }

    /// A regular expression every Lambda token must match, as a whole, before the
    /// [`lambda_authorizer`](Self::lambda_authorizer) is asked (AppSync's
    /// `identityValidationExpression`); other tokens get 401 without a call. An invalid
    /// expression is reported by [`build`](Self::build).
    pub fn lambda_identity_validation(mut self, pattern: impl Into<String>) -> Self {
        self.lambda_identity_validation = Some(pattern.into());
        self
    }

    /// Verifies `Authorization` JWTs for the Cognito user pools mode with `config`.
    pub fn cognito_user_pools(mut self, config: JwtConfig) -> Self {
        self.cognito = Some(config);
        self
    }

    /// Verifies `Authorization` JWTs for the OpenID Connect mode with `config`.
    pub fn oidc(mut self, config: JwtConfig) -> Self {
        self.oidc = Some(config);
        self
    }

    /// Resolves `Type.field` (e.g. `"Query.hello"`) with `f` instead of the default resolver.
    ///
    /// Resolvers run on the emulator's executor threads (one per CPU), so they should await
    /// rather than block. A resolver that panics fails its request with a generic error; the
    /// server keeps serving.
    pub fn resolver<F, Fut>(mut self, field: impl Into<String>, f: F) -> Self
    where
        F: Fn(ResolverContext) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Value, ResolverError>> + Send + 'static,
    {
        self.resolvers.push((field.into(), resolver::boxed(f)));
        self
    }

    /// Largest accepted request body in bytes (default 1 MiB); larger gets 413.
    pub fn body_limit(mut self, bytes: usize) -> Self {
        self.body_limit = bytes;
        self
    }

    /// Deepest accepted selection nesting (default 75).
    pub fn max_depth(mut self, depth: usize) -> Self {
        self.max_depth = depth;
        self
    }

    /// Most aliases accepted in one document (default 1000).
    pub fn max_aliases(mut self, aliases: usize) -> Self {
        self.max_aliases = aliases;
        self
    }

    /// How far a signature's time may be from the emulator's clock (default 5 minutes).
    pub fn max_clock_skew(mut self, skew: Duration) -> Self {
        self.max_skew = skew;
        self
    }

    /// How long a client may take to send its body (default 10 s); slower gets 408.
    pub fn body_timeout(mut self, timeout: Duration) -> Self {
        self.body_timeout = timeout;
        self
    }

    /// Persists the default resolvers' records in this file (redb; created if absent, loaded
    /// if present). Each mutation answers only after its write is on disk.
    pub fn data_file(mut self, path: impl Into<std::path::PathBuf>) -> Self {
        self.data_file = Some(path.into());
        self
    }

    /// How long a client may take to send its request headers (default 10 s); slower
    /// connections are closed.
    pub fn header_timeout(mut self, timeout: Duration) -> Self {
        self.header_timeout = timeout;
        self
    }

    /// Timings and limits of the real-time WebSocket endpoint (defaults are AppSync's).
    pub fn realtime(mut self, config: crate::realtime::RealtimeConfig) -> Self {
        self.realtime = config;
        self
    }

    /// How many mutation events may wait for a real-time connection (default 1024); one
    /// that falls further behind is disconnected.
    pub fn event_capacity(mut self, events: usize) -> Self {
        self.event_capacity = events.max(1);
        self
    }

    /// Checks the configuration, loads the schema and returns the emulator.
    pub fn build(self) -> Result<Emulator, Error> {
        let config = |m: String| Error::new(Kind::Config, m);
        let region_ok = !self.region.is_empty()
            && self.region.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !region_ok {
            return Err(config(format!("invalid region {:?}", self.region)));
        }
        if self.body_limit == 0 || self.max_depth == 0 {
            return Err(config("body limit and depth limit must be positive".to_owned()));
        }
        if self.body_timeout.is_zero() || self.header_timeout.is_zero() {
            return Err(config("body and header timeouts must be positive".to_owned()));
        }
        for key in &self.api_keys {
            if key.key().trim().is_empty() {
                return Err(config("an API key must not be empty".to_owned()));
            }
        }
        for c in &self.iam {
            if c.access_key_id.is_empty() || c.secret_access_key.is_empty() {
                return Err(config("IAM credentials need a non-empty access key id and secret".to_owned()));
            }
        }
        if self.lambda_tokens.iter().any(|t| t.trim().is_empty()) {
            return Err(config("a Lambda token must not be empty".to_owned()));
        }
        if self.lambda_ttl > crate::auth::MAX_LAMBDA_TTL {
            return Err(config(format!(
                "lambda_authorizer_ttl is {:?}; AppSync allows 0 to 3600 seconds",
                self.lambda_ttl
            )));
        }
        let lambda_identity_validation = match &self.lambda_identity_validation {
            Some(pattern) => Some(regex::Regex::new(&format!("^(?:{pattern})$")).map_err(|e| {
                Error::new(
                    Kind::Config,
                    format!("lambda_identity_validation {pattern:?} is not a valid regular expression"),
                )
                .with_source(e)
            })?),
            None => None,
        };
        let mut enabled = vec![self.default_auth];
        for (mode, present) in [
            (AuthMode::ApiKey, !self.api_keys.is_empty()),
            (AuthMode::Iam, !self.iam.is_empty()),
            (AuthMode::Lambda, !self.lambda_tokens.is_empty() || self.lambda_authorizer.is_some()),
            (AuthMode::CognitoUserPools, self.cognito.is_some()),
            (AuthMode::Oidc, self.oidc.is_some()),
        ] {
            if present && !enabled.contains(&mode) {
                enabled.push(mode);
            }
        }
        match self.default_auth {
            AuthMode::ApiKey if self.api_keys.is_empty() => {
                return Err(config("default auth is API key but no API key is configured".to_owned()));
            }
            AuthMode::Iam if self.iam.is_empty() => {
                return Err(config("default auth is IAM but no IAM credentials are configured".to_owned()));
            }
            AuthMode::Lambda if self.lambda_tokens.is_empty() && self.lambda_authorizer.is_none() => {
                return Err(config("default auth is Lambda but no Lambda token is configured".to_owned()));
            }
            AuthMode::CognitoUserPools if self.cognito.is_none() => {
                return Err(config(
                    "default auth is Cognito user pools but no JWKS is configured".to_owned(),
                ));
            }
            AuthMode::Oidc if self.oidc.is_none() => {
                return Err(config("default auth is OIDC but no JWKS is configured".to_owned()));
            }
            _ => {}
        }
        let (sdl, path) =
            self.schema.unwrap_or_else(|| (DEMO_SCHEMA.to_owned(), "demo-schema.graphql".to_owned()));
        let schema = LoadedSchema::parse(&sdl, &path)?;
        let mut resolvers: HashMap<String, HashMap<String, ResolverFn>> = HashMap::new();
        for (key, f) in self.resolvers {
            let Some((type_name, field_name)) = key.split_once('.') else {
                return Err(config(format!("resolver key {key:?} must look like Type.field")));
            };
            if schema.schema.type_field(type_name, field_name).is_err() {
                return Err(config(format!("resolver for {key}: the schema has no such field")));
            }
            resolvers.entry(type_name.to_owned()).or_default().insert(field_name.to_owned(), f);
        }
        let iam = (!self.iam.is_empty()).then(|| {
            let store: HashMap<String, appsync_sigv4::Credentials> = self
                .iam
                .iter()
                .map(|c| {
                    (
                        c.access_key_id.clone(),
                        appsync_sigv4::Credentials::new(
                            c.access_key_id.clone(),
                            c.secret_access_key.clone(),
                            c.session_token.clone(),
                            None,
                        ),
                    )
                })
                .collect();
            appsync_sigv4::Verifier::new(store, self.region.clone(), "appsync").max_clock_skew(self.max_skew)
        });
        let store = match &self.data_file {
            Some(path) => MemoryStore::open(path).map_err(|e| {
                Error::new(Kind::Io, format!("could not open the data file {}", path.display()))
                    .with_source(e)
            })?,
            None => MemoryStore::default(),
        };
        let (events, _) = broadcast::channel(self.event_capacity);
        let engine = Engine {
            schema,
            store,
            resolvers,
            default_mode: self.default_auth,
            limits: Limits {
                max_depth: self.max_depth,
                max_aliases: self.max_aliases,
                // Generous for real queries, small enough that a flood of tokens stops early.
                max_tokens: self.body_limit / 2 + 1024,
            },
            events,
            documents: std::sync::Mutex::new(HashMap::new()),
        };
        let auth = Authenticator {
            default_mode: self.default_auth,
            enabled,
            api_keys: self.api_keys,
            iam,
            lambda_tokens: self.lambda_tokens,
            cognito: self.cognito,
            oidc: self.oidc,
            lambda_authorizer: self.lambda_authorizer,
            lambda_ttl: self.lambda_ttl,
            lambda_cache: crate::auth::LambdaCache::default(),
            lambda_identity_validation,
        };
        let threads = std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get);
        let executor = ExecutorPool::new(threads)
            .map_err(|e| Error::new(Kind::Io, "could not start executor threads").with_source(e))?;
        Ok(Emulator {
            inner: Arc::new(Inner {
                engine: Arc::new(engine),
                executor,
                auth,
                region: self.region,
                body_limit: self.body_limit,
                body_timeout: self.body_timeout,
                header_timeout: self.header_timeout,
                realtime: Arc::new(self.realtime),
            }),
        })
    }
}

pub(crate) struct Inner {
    pub(crate) engine: Arc<Engine>,
    pub(crate) executor: ExecutorPool,
    pub(crate) auth: Authenticator,
    pub(crate) region: String,
    pub(crate) body_limit: usize,
    pub(crate) body_timeout: Duration,
    pub(crate) header_timeout: Duration,
    pub(crate) realtime: Arc<crate::realtime::RealtimeConfig>,
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

    /// The HTTP routes, for embedding in another axum server or driving with `tower`.
    pub fn router(&self) -> axum::Router {
        crate::server::app(self.clone())
    }

    /// Binds `addr` (e.g. `127.0.0.1:0`) and serves in the background until the returned
    /// handle is dropped or shut down.
    pub async fn spawn(&self, addr: impl tokio::net::ToSocketAddrs) -> Result<ServerHandle, Error> {
        let listener = bind(addr).await?;
        ServerHandle::start(self.clone(), listener)
    }

    /// Serves on `listener` until `shutdown` completes, then lets in-flight requests finish
    /// (for up to 10 seconds).
    pub async fn serve(&self, listener: tokio::net::TcpListener, shutdown: impl Future<Output = ()>) {
        crate::server::serve_connections(
            self.router(),
            listener,
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
            variables: variables.unwrap_or_default(),
            operation_name: operation_name.map(str::to_owned),
        };
        let body = self.inner.executor.execute(&self.inner.engine, req, identity.clone()).await;
        crate::execute::from_bytes(&body)
    }
}

/// Listen backlog: std and tokio use 128, which a burst of connections overflows (the kernel
/// then resets some of them before the server ever sees them). The kernel caps it at somaxconn.
const LISTEN_BACKLOG: u32 = 4096;

/// Binds a listening socket for [`Emulator::serve`] with a backlog deep enough for bursts of
/// connections (the first address `addr` resolves to that binds).
pub async fn bind(addr: impl tokio::net::ToSocketAddrs) -> Result<tokio::net::TcpListener, Error> {
    let mut last = None;
    let addrs = tokio::net::lookup_host(addr)
        .await
        .map_err(|e| Error::new(Kind::Io, "could not resolve the listen address").with_source(e))?;
    for addr in addrs {
        let attempt = (|| {
            let socket = if addr.is_ipv4() {
                tokio::net::TcpSocket::new_v4()?
            } else {
                tokio::net::TcpSocket::new_v6()?
            };
            socket.set_reuseaddr(true)?;
            socket.bind(addr)?;
            socket.listen(LISTEN_BACKLOG)
        })();
        match attempt {
            Ok(listener) => return Ok(listener),
            Err(e) => last = Some(e),
        }
    }
    let e = Error::new(Kind::Io, "could not bind the listening socket");
    Err(match last {
        Some(source) => e.with_source(source),
        None => e,
    })
}

/// Where a spawned server listens.
pub(crate) fn graphql_url(addr: SocketAddr) -> String {
    format!("http://{addr}/graphql")
}
