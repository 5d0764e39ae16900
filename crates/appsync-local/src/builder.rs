//! [`EmulatorBuilder`]: every setting of an emulator, checked once by [`EmulatorBuilder::build`].

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use appsync_sigv4::Credentials;
use serde_json::Value;
use tokio::sync::broadcast;

use crate::auth::{ApiKey, AuthMode, Authenticator, LambdaAuthorization, LambdaAuthorizerFn, LambdaRequest};
use crate::emulator::{Emulator, Inner};
use crate::engine::{Engine, Limits};
use crate::error::{Error, Kind};
use crate::events::{ChannelNamespace, EventsApi, EventsOptions, Hub, Namespaces};
use crate::jwt::JwtConfig;
use crate::realtime::RealtimeOptions;
use crate::resolver::{self, ResolverContext, ResolverError, ResolverFn};
use crate::schema::{DEMO_SCHEMA, LoadedSchema};
use crate::store::MemoryStore;
use crate::thread_pool::ThreadPool;

/// Default request body limit: 1 MiB.
pub const DEFAULT_BODY_LIMIT: usize = 1024 * 1024;
/// The highest query depth limit AppSync accepts (`queryDepthLimit`, 1 to 75; unset means none).
pub const MAX_QUERY_DEPTH_LIMIT: u32 = 75;
/// AppSync's resolver count limit when none is set, and the highest it accepts
/// (`resolverCountLimit`, 1 to 10000).
pub const DEFAULT_RESOLVER_COUNT_LIMIT: u32 = 10_000;
/// Default limit on aliases in one document.
pub const DEFAULT_MAX_ALIASES: usize = 1000;
/// Default length of the mutation event queue each real-time connection reads from.
pub const DEFAULT_EVENT_CAPACITY: usize = 1024;
/// The longest event queue tokio's broadcast channel can hold.
const MAX_EVENT_CAPACITY: usize = usize::MAX >> 1;

/// Builds an [`Emulator`]; every value is checked by [`build`](Self::build).
///
/// Setters keep what they are given; `build` refuses a value out of range with a configuration
/// error naming the setting ([`Error::field`]).
///
/// ```
/// use appsync_local::{ApiKey, AuthMode, Credentials, Emulator, Identity};
/// use serde_json::json;
///
/// let emulator = Emulator::builder()
///     .schema_sdl("type Query { hello(name: String): String @aws_api_key @aws_iam }")
///     .api_key(ApiKey::new("da2-local"))
///     .iam_credentials(Credentials::new("AKIDLOCAL", "local-secret", None, None))
///     .default_auth(AuthMode::ApiKey)
///     .resolver("Query.hello", |ctx| async move {
///         let name = ctx.argument("name").and_then(|v| v.as_str()).unwrap_or("world").to_owned();
///         Ok(json!(format!("hello {name}")))
///     })
///     .build()?;
/// assert_eq!(emulator.auth_modes(), [AuthMode::ApiKey, AuthMode::Iam]);
///
/// // In process, without a socket: the body AppSync would send.
/// let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
/// let body = runtime.block_on(emulator.execute(
///     r#"{ hello(name: "ann") }"#,
///     None,
///     None,
///     &Identity::trusted(AuthMode::Iam),
/// ));
/// assert_eq!(body, json!({"data": {"hello": "hello ann"}}));
///
/// // A value out of range is refused by `build`, which names it.
/// let err = Emulator::builder().api_key(ApiKey::new("k")).default_auth(AuthMode::ApiKey).body_limit(0).build();
/// assert_eq!(err.unwrap_err().field(), Some("body_limit"));
/// # Ok::<(), appsync_local::Error>(())
/// ```
#[must_use]
pub struct EmulatorBuilder {
    schema: Option<(String, String)>,
    api_keys: Vec<ApiKey>,
    iam: Vec<Credentials>,
    region: String,
    default_auth: AuthMode,
    lambda_tokens: Vec<String>,
    cognito: Option<JwtConfig>,
    oidc: Option<JwtConfig>,
    lambda_authorizer: Option<LambdaAuthorizerFn>,
    lambda_ttl: Duration,
    lambda_identity_validation: Option<String>,
    resolvers: Vec<(String, ResolverFn)>,
    js_resolvers: Vec<(String, appsync_js::Resolver)>,
    data_sources: appsync_js::DataSources,
    /// The AppSync type of each data source given whose type is one of the emulator's own (a
    /// caller's `DataSource` may stand for anything): what a `DIRECT` integration is checked
    /// against, as only an `AWS_LAMBDA` data source can be one.
    data_source_kinds: HashMap<String, &'static str>,
    js_engine: Option<appsync_js::Engine>,
    body_limit: usize,
    query_depth_limit: u32,
    resolver_count_limit: u32,
    max_aliases: usize,
    max_clock_skew: Duration,
    body_timeout: Duration,
    header_timeout: Duration,
    tls: Option<crate::tls::TlsOptions>,
    event_capacity: usize,
    data_file: Option<std::path::PathBuf>,
    realtime: RealtimeOptions,
    channel_namespaces: Vec<ChannelNamespace>,
    events: EventsOptions,
    project: Option<crate::project::ApiDefinition>,
    event_api: Option<crate::project::EventApiDefinition>,
    http_endpoints: HashMap<String, String>,
    data_source_credentials: Option<Credentials>,
    dynamodb: crate::project::wiring::DynamoDbTargets,
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
            .field("js_resolvers", &self.js_resolvers.iter().map(|(k, _)| k).collect::<Vec<_>>())
            .field("data_sources", &self.data_sources)
            .field("body_limit", &self.body_limit)
            .field("query_depth_limit", &self.query_depth_limit)
            .field("resolver_count_limit", &self.resolver_count_limit)
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
            js_resolvers: Vec::new(),
            data_sources: appsync_js::DataSources::new().source("NONE", appsync_js::NoneDataSource),
            data_source_kinds: HashMap::from([("NONE".to_owned(), "NONE")]),
            js_engine: None,
            body_limit: DEFAULT_BODY_LIMIT,
            query_depth_limit: 0,
            resolver_count_limit: DEFAULT_RESOLVER_COUNT_LIMIT,
            max_aliases: DEFAULT_MAX_ALIASES,
            max_clock_skew: Duration::from_secs(5 * 60),
            body_timeout: Duration::from_secs(10),
            header_timeout: Duration::from_secs(10),
            tls: None,
            event_capacity: DEFAULT_EVENT_CAPACITY,
            data_file: None,
            realtime: RealtimeOptions::default(),
            channel_namespaces: Vec::new(),
            events: EventsOptions::default(),
            project: None,
            event_api: None,
            http_endpoints: HashMap::new(),
            data_source_credentials: None,
            dynamodb: crate::project::wiring::DynamoDbTargets::default(),
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

    /// Serves the Event API a project defines
    /// ([`ProjectReader::read_events`](crate::project::ProjectReader::read_events)): its channel
    /// namespaces, with their code and data source integrations, unless
    /// [`channel_namespace`](Self::channel_namespace) gives the namespaces; and its data sources,
    /// for the integrations, wired as [`project`](Self::project)'s are (a Lambda needs
    /// [`data_source`](Self::data_source); DynamoDB runs on the embedded engine, the same
    /// tables as the GraphQL API's when both are served, or at a
    /// [`dynamodb_endpoint`](Self::dynamodb_endpoint)). The credentials of its auth modes still
    /// come from the builder.
    pub fn event_api(mut self, api: crate::project::EventApiDefinition) -> Self {
        self.event_api = Some(api);
        self
    }

    /// Serves the API a project defines ([`crate::project::ProjectReader`]): its schema, its
    /// default auth mode, its `QueryDepthLimit`/`ResolverCountLimit` (setters called later
    /// override any of these), its environment variables
    /// (`ctx.env`), and its resolvers: APPSYNC_JS unit and pipeline resolvers and functions run
    /// on the JavaScript engine, direct Lambda resolvers, against its data sources. NONE and
    /// HTTP data sources work as they are ([`http_endpoint`](Self::http_endpoint) points one
    /// elsewhere); a Lambda data source needs a local function given with
    /// [`data_source`](Self::data_source) (a [`LambdaFunction`](crate::data_sources::LambdaFunction)),
    /// or it fails with [`NOT_CONFIGURED_ERROR_TYPE`](crate::project::NOT_CONFIGURED_ERROR_TYPE).
    /// A field the emulator cannot run ([`ApiDefinition::not_emulated`](crate::project::ApiDefinition::not_emulated))
    /// answers [`UNSUPPORTED_ERROR_TYPE`](crate::project::UNSUPPORTED_ERROR_TYPE); root fields
    /// without a resolver answer `null`, as in AppSync; no field is given to the default
    /// resolvers. A [`resolver`](Self::resolver) or [`js_resolver`](Self::js_resolver)
    /// registered for a field replaces the project's. The credentials of its auth modes still
    /// come from the builder.
    pub fn project(mut self, api: crate::project::ApiDefinition) -> Self {
        self.schema = Some((api.schema.clone(), api.template.clone()));
        self.default_auth = api.default_auth;
        self.query_depth_limit = api.query_depth_limit.unwrap_or(0);
        self.resolver_count_limit = api.resolver_count_limit.unwrap_or(0);
        self.project = Some(api);
        self
    }

    /// Sends the requests of the project's HTTP data source `name` to `endpoint` instead of the
    /// one its template gives (a local server in place of the real one). Checked by
    /// [`build`](Self::build): the project must have that HTTP data source.
    pub fn http_endpoint(mut self, name: impl Into<String>, endpoint: impl Into<String>) -> Self {
        self.http_endpoints.insert(name.into(), endpoint.into());
        self
    }

    /// Sends the requests of every DynamoDB data source of the project (those without a
    /// [`dynamodb_endpoint_for`](Self::dynamodb_endpoint_for)) to a DynamoDB-compatible server
    /// at `url` (DynamoDB Local, LocalStack, ScyllaDB Alternator, moto's server mode, or
    /// `https://dynamodb.REGION.amazonaws.com`) instead of the embedded engine, in DynamoDB's
    /// JSON API, SigV4-signed for the service `dynamodb` in the data source's region (its
    /// `DynamoDBConfig.AwsRegion`, else [`region`](Self::region)) with
    /// [`data_source_credentials`](Self::data_source_credentials). The template's tables they
    /// use are created there when absent (before the first request, or at
    /// [`DynamoDbEndpoint::create_tables`](crate::data_sources::DynamoDbEndpoint::create_tables)).
    /// Checked by [`build`](Self::build): an http(s) URL.
    pub fn dynamodb_endpoint(mut self, url: impl Into<String>) -> Self {
        self.dynamodb.all = Some(url.into());
        self
    }

    /// As [`dynamodb_endpoint`](Self::dynamodb_endpoint), for the project's DynamoDB data
    /// source `name` only. Checked by [`build`](Self::build): the project must have it.
    pub fn dynamodb_endpoint_for(mut self, name: impl Into<String>, url: impl Into<String>) -> Self {
        self.dynamodb.by_source.insert(name.into(), url.into());
        self
    }

    /// At a DynamoDB endpoint, the template's table `table` (its name or logical id) is
    /// `endpoint_table` (a resolver's batch and transaction requests keep the template's names,
    /// and so do their results). Checked by [`build`](Self::build): the project has the table.
    pub fn dynamodb_table(mut self, table: impl Into<String>, endpoint_table: impl Into<String>) -> Self {
        self.dynamodb.tables.insert(table.into(), endpoint_table.into());
        self
    }

    /// The credentials a project's IAM-authorized HTTP data sources and its DynamoDB endpoints
    /// sign with (AppSync signs with the data source's role); default: the first of
    /// [`iam_credentials`](Self::iam_credentials), else (DynamoDB endpoints only) a placeholder
    /// pair `appsync-local`/`appsync-local`, which local DynamoDB servers accept.
    pub fn data_source_credentials(mut self, credentials: Credentials) -> Self {
        self.data_source_credentials = Some(credentials);
        self
    }

    /// Accepts this API key (repeatable).
    pub fn api_key(mut self, key: ApiKey) -> Self {
        self.api_keys.push(key);
        self
    }

    /// Accepts SigV4 signatures made with these credentials (repeatable). With a session token,
    /// requests must carry exactly that `x-amz-security-token`. The credentials' expiry, if any,
    /// is not checked: they are accepted for as long as the emulator runs.
    pub fn iam_credentials(mut self, credentials: Credentials) -> Self {
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

    /// Resolves `Type.field` with an APPSYNC_JS resolver (unit or pipeline, see `appsync_js`),
    /// run on the emulator's JavaScript engine against its data sources.
    pub fn js_resolver(mut self, field: impl Into<String>, resolver: appsync_js::Resolver) -> Self {
        self.js_resolvers.push((field.into(), resolver));
        self
    }

    /// Adds the data source `name` for JS resolvers (a `NONE` data source called `"NONE"` is
    /// there from the start; this replaces it when given that name).
    pub fn data_source(mut self, name: impl Into<String>, source: impl appsync_js::DataSource) -> Self {
        let name = name.into();
        match known_kind(&source) {
            Some(kind) => self.data_source_kinds.insert(name.clone(), kind),
            None => self.data_source_kinds.remove(&name),
        };
        self.data_sources = self.data_sources.source(name, source);
        self
    }

    /// The engine JS resolvers run on (default: one started by [`build`](Self::build) when a
    /// JS resolver is configured, with `appsync_js`'s default limits).
    pub fn js_engine(mut self, engine: appsync_js::Engine) -> Self {
        self.js_engine = Some(engine);
        self
    }

    /// Largest accepted request body in bytes (default 1 MiB, at least 1); larger gets 413.
    pub fn body_limit(mut self, bytes: usize) -> Self {
        self.body_limit = bytes;
        self
    }

    /// AppSync's `queryDepthLimit`: how many levels of fields a query may nest (1 to 75; the
    /// default, 0, is AppSync's: no limit). As in AppSync, a query going deeper is still run: each
    /// field past the limit is an error of type `QueryDepthLimitReached` that makes it `null`,
    /// rising to the nearest nullable field as GraphQL's null rules say, and the rest of the data
    /// comes back. Pathologically deep documents are refused by the parser whatever this is.
    pub fn query_depth_limit(mut self, levels: u32) -> Self {
        self.query_depth_limit = levels;
        self
    }

    /// AppSync's `resolverCountLimit`: how many resolvers one request may run (1 to 10000; 0 is
    /// AppSync's default, 10000). Past it, each further field with a resolver (a registered Rust
    /// or JavaScript resolver, or a root field's default resolver) is an error of type
    /// `ResolverExecutionLimitReached` and its resolver does not run. Reading a property of the
    /// parent record is not a resolver, as in AppSync.
    pub fn resolver_count_limit(mut self, resolvers: u32) -> Self {
        self.resolver_count_limit = resolvers;
        self
    }

    /// Most aliases accepted in one document (default 1000); zero refuses every alias.
    pub fn max_aliases(mut self, aliases: usize) -> Self {
        self.max_aliases = aliases;
        self
    }

    /// How far a signature's time may be from the emulator's clock (default 5 minutes).
    pub fn max_clock_skew(mut self, skew: Duration) -> Self {
        self.max_clock_skew = skew;
        self
    }

    /// How long a client may take to send its body (default 10 s, more than zero); slower gets 408.
    pub fn body_timeout(mut self, timeout: Duration) -> Self {
        self.body_timeout = timeout;
        self
    }

    /// Persists the default resolvers' records in this file (redb; created if absent, loaded
    /// if present), and a project's DynamoDB tables beside it in `FILE.dynamodb`
    /// ([`project::tables_file`](crate::project::tables_file)). Each mutation answers only
    /// after its write is on disk.
    pub fn data_file(mut self, path: impl Into<std::path::PathBuf>) -> Self {
        self.data_file = Some(path.into());
        self
    }

    /// Serves HTTPS and WSS instead of plain HTTP, with the certificate `options` give: one
    /// the emulator issues for `localhost`, `127.0.0.1` and `::1` from a local authority, or
    /// your own PEM files. Clients that only speak `wss://` (Amplify JS, browsers on HTTPS
    /// pages) need it. The certificate is loaded, or issued, by [`build`](Self::build).
    pub fn tls(mut self, options: crate::tls::TlsOptions) -> Self {
        self.tls = Some(options);
        self
    }

    /// How long a client may take to send its request headers (default 10 s, more than zero);
    /// slower connections are closed. With TLS, the handshake has this long too.
    pub fn header_timeout(mut self, timeout: Duration) -> Self {
        self.header_timeout = timeout;
        self
    }

    /// Timings and limits of the real-time WebSocket endpoint (defaults are AppSync's); checked
    /// by [`build`](Self::build).
    pub fn realtime(mut self, options: RealtimeOptions) -> Self {
        self.realtime = options;
        self
    }

    /// An AppSync Events channel namespace (repeatable); without any, the emulator has one,
    /// `default`, open to every auth mode the API has. Publishing or subscribing outside the
    /// configured namespaces fails as on AppSync. Checked by [`build`](Self::build): a valid
    /// name, configured once, with auth modes the API has.
    pub fn channel_namespace(mut self, namespace: ChannelNamespace) -> Self {
        self.channel_namespaces.push(namespace);
        self
    }

    /// Limits of the AppSync Events endpoints (defaults are AppSync's); checked by
    /// [`build`](Self::build).
    pub fn events(mut self, options: EventsOptions) -> Self {
        self.events = options;
        self
    }

    /// How many mutation events may wait for a real-time connection, and AppSync Events
    /// publishes for an Events connection (default 1024, at least 1); one that falls further
    /// behind is disconnected.
    pub fn event_capacity(mut self, events: usize) -> Self {
        self.event_capacity = events;
        self
    }

    /// Checks the configuration, loads the schema and returns the emulator.
    pub fn build(self) -> Result<Emulator, Error> {
        let region_ok = !self.region.is_empty()
            && self.region.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !region_ok {
            return Err(Error::config("region", format!("invalid region {:?}", self.region)));
        }
        self.check_limits()?;
        for key in &self.api_keys {
            if key.key().trim().is_empty() {
                return Err(Error::config("api_key", "an API key must not be empty"));
            }
        }
        for c in &self.iam {
            if c.access_key_id().is_empty() || c.secret_access_key().is_empty() {
                return Err(Error::config(
                    "iam_credentials",
                    "IAM credentials need a non-empty access key id and secret",
                ));
            }
        }
        if self.lambda_tokens.iter().any(|t| t.trim().is_empty()) {
            return Err(Error::config("lambda_token", "a Lambda token must not be empty"));
        }
        let lambda_identity_validation = match &self.lambda_identity_validation {
            Some(pattern) => Some(regex::Regex::new(&format!("^(?:{pattern})$")).map_err(|e| {
                Error::config(
                    "lambda_identity_validation",
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
                return Err(Error::config(
                    "default_auth",
                    "default auth is API key but no API key is configured",
                ));
            }
            AuthMode::Iam if self.iam.is_empty() => {
                return Err(Error::config(
                    "default_auth",
                    "default auth is IAM but no IAM credentials are configured",
                ));
            }
            AuthMode::Lambda if self.lambda_tokens.is_empty() && self.lambda_authorizer.is_none() => {
                return Err(Error::config(
                    "default_auth",
                    "default auth is Lambda but no Lambda token is configured",
                ));
            }
            AuthMode::CognitoUserPools if self.cognito.is_none() => {
                return Err(Error::config(
                    "default_auth",
                    "default auth is Cognito user pools but no JWKS is configured",
                ));
            }
            AuthMode::Oidc if self.oidc.is_none() => {
                return Err(Error::config("default_auth", "default auth is OIDC but no JWKS is configured"));
            }
            _ => {}
        }
        let (sdl, path) =
            self.schema.unwrap_or_else(|| (DEMO_SCHEMA.to_owned(), "demo-schema.graphql".to_owned()));
        let schema = LoadedSchema::parse(&sdl, &path)?;
        let mut resolvers: HashMap<String, HashMap<String, ResolverFn>> = HashMap::new();
        // Each with the builder setting it came from, for the error naming it.
        let mut resolver_fns: Vec<(String, ResolverFn, &'static str)> =
            self.resolvers.into_iter().map(|(key, f)| (key, f, "resolver")).collect();
        let mut batch_fns: Vec<(String, resolver::BatchResolverFn, &'static str)> = Vec::new();
        let mut dynamodb_endpoints = Vec::new();
        // The project's namespaces unless the builder was given its own.
        let channel_namespaces = if self.channel_namespaces.is_empty() {
            self.event_api
                .as_ref()
                .map(crate::project::EventApiDefinition::channel_namespaces)
                .unwrap_or_default()
        } else {
            self.channel_namespaces
        };
        // One engine for the resolvers and the channel namespaces' handlers, started only when
        // some code needs it.
        let graphql_js = !self.js_resolvers.is_empty() || self.project.is_some();
        let js_engine = if graphql_js || channel_namespaces.iter().any(ChannelNamespace::has_code) {
            Some(match self.js_engine.clone() {
                Some(engine) => engine,
                None => appsync_js::Engine::new().map_err(|e| {
                    Error::config("js_engine", "the JavaScript engine could not start").with_source(e)
                })?,
            })
        } else {
            None
        };
        // The data sources, for the resolvers and the namespaces' integrations alike: the
        // builder's, then the projects' (one set of tables for both APIs).
        let mut sources = self.data_sources;
        if let Some(api) = crate::project::wiring::data_api(self.project.as_ref(), self.event_api.as_ref()) {
            let credentials = self.data_source_credentials.as_ref().or(self.iam.first());
            let tables_file = self.data_file.as_deref().map(crate::project::tables_file);
            let database = crate::project::database::database(&api, tables_file)?.map(Arc::new);
            (sources, dynamodb_endpoints) = crate::project::wiring::data_sources(
                &api,
                sources,
                &self.http_endpoints,
                credentials,
                database.as_ref(),
                &self.dynamodb,
                &self.region,
            )?;
        } else if !self.dynamodb.is_empty() {
            return Err(no_project_for_dynamodb());
        } else if let Some(name) = self.http_endpoints.keys().next() {
            return Err(Error::config(
                "http_endpoint",
                format!("http_endpoint {name:?} is for a project's data source, and no project is served"),
            ));
        }
        let sources = Arc::new(sources);
        if let Some(engine) = js_engine.clone().filter(|_| graphql_js) {
            let subscription_root =
                schema.schema.schema_definition.subscription.as_ref().map(|name| name.name.to_string());
            let runtime = crate::js::JsRuntime {
                engine,
                sources: Arc::clone(&sources),
                env: Arc::new(self.project.as_ref().map(|api| api.environment.clone()).unwrap_or_default()),
            };
            let mut own: std::collections::HashSet<String> =
                resolver_fns.iter().map(|(k, _, _)| k.clone()).collect();
            for (key, resolver) in self.js_resolvers {
                let on_subscription = subscription_root
                    .as_ref()
                    .is_some_and(|root| key.split_once('.').is_some_and(|(t, _)| t == root));
                own.insert(key.clone());
                let f = crate::js::resolver_fn(runtime.clone(), resolver, on_subscription);
                resolver_fns.push((key, f, "js_resolver"));
            }
            if let Some(api) = &self.project {
                // The project's resolvers, unless the builder was given one for the field; never
                // the default resolvers.
                let mut root_fields = Vec::new();
                for root in
                    [&schema.schema.schema_definition.query, &schema.schema.schema_definition.mutation]
                        .into_iter()
                        .flatten()
                {
                    if let Some(object) = schema.schema.get_object(root.as_str()) {
                        root_fields.extend(object.fields.keys().map(|f| (root.to_string(), f.to_string())));
                    }
                }
                let wired =
                    crate::project::wiring::wire(api, &runtime, &root_fields, subscription_root.as_deref());
                resolver_fns.extend(
                    wired
                        .resolvers
                        .into_iter()
                        .filter(|(k, _)| !own.contains(k))
                        .map(|(k, f)| (k, f, "project")),
                );
                batch_fns.extend(
                    wired
                        .batch_resolvers
                        .into_iter()
                        .filter(|(k, _)| !own.contains(k))
                        .map(|(k, f)| (k, f, "project")),
                );
            }
        }
        let mut batch_resolvers: HashMap<String, HashMap<String, resolver::BatchResolverFn>> = HashMap::new();
        for (key, f, setting) in batch_fns {
            let Some((type_name, field_name)) = key.split_once('.') else {
                return Err(Error::config(
                    setting,
                    format!("resolver key {key:?} must look like Type.field"),
                ));
            };
            batch_resolvers.entry(type_name.to_owned()).or_default().insert(field_name.to_owned(), f);
        }
        for (key, f, setting) in resolver_fns {
            let Some((type_name, field_name)) = key.split_once('.') else {
                return Err(Error::config(
                    setting,
                    format!("resolver key {key:?} must look like Type.field"),
                ));
            };
            if schema.schema.type_field(type_name, field_name).is_err() {
                return Err(Error::config(
                    setting,
                    format!("resolver for {key}: the schema has no such field"),
                ));
            }
            resolvers.entry(type_name.to_owned()).or_default().insert(field_name.to_owned(), f);
        }
        let iam = (!self.iam.is_empty()).then(|| {
            let store: HashMap<String, Credentials> =
                self.iam.iter().map(|c| (c.access_key_id().to_owned(), c.clone())).collect();
            appsync_sigv4::Verifier::new(store, self.region.clone(), "appsync")
                .max_clock_skew(self.max_clock_skew)
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
            batch_resolvers,
            default_mode: self.default_auth,
            limits: Limits {
                query_depth_limit: (self.query_depth_limit > 0).then_some(self.query_depth_limit as usize),
                resolver_count_limit: match self.resolver_count_limit {
                    0 => DEFAULT_RESOLVER_COUNT_LIMIT,
                    n => n,
                },
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
            max_clock_skew: self.max_clock_skew,
            lambda_tokens: self.lambda_tokens,
            cognito: self.cognito,
            oidc: self.oidc,
            lambda_authorizer: self.lambda_authorizer,
            lambda_ttl: self.lambda_ttl,
            lambda_cache: crate::auth::LambdaCache::default(),
            lambda_identity_validation,
        };
        let events = EventsApi {
            namespaces: Namespaces::resolve(
                channel_namespaces,
                &auth.enabled,
                js_engine.as_ref(),
                &sources,
                &self.data_source_kinds,
            )?,
            connection_modes: self.events.connection_modes(&auth.enabled)?,
            options: self.events,
            hub: Hub::new(self.event_capacity),
            default_mode: self.default_auth,
        };
        let tls = self.tls.as_ref().map(crate::tls::TlsOptions::load).transpose()?;
        let threads = std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get);
        let threads = ThreadPool::new(threads)
            .map_err(|e| Error::new(Kind::Io, "could not start executor threads").with_source(e))?;
        Ok(Emulator {
            inner: Arc::new(Inner {
                engine: Arc::new(engine),
                threads,
                auth,
                region: self.region,
                body_limit: self.body_limit,
                body_timeout: self.body_timeout,
                header_timeout: self.header_timeout,
                realtime: Arc::new(self.realtime),
                tls,
                events,
                live_subscriptions: Arc::default(),
                dynamodb_endpoints,
            }),
        })
    }

    /// Every numeric setting against its range, naming the first one out of it. A zero limit is
    /// refused wherever it would leave nothing to serve; `max_aliases` may be zero (no aliases)
    /// as may the lambda authorizer TTL (no caching).
    fn check_limits(&self) -> Result<(), Error> {
        at_least_one("body_limit", self.body_limit)?;
        if self.query_depth_limit > MAX_QUERY_DEPTH_LIMIT {
            return Err(Error::config(
                "query_depth_limit",
                format!(
                    "query_depth_limit is {}; AppSync allows 1 to {MAX_QUERY_DEPTH_LIMIT} (0: no limit)",
                    self.query_depth_limit
                ),
            ));
        }
        if self.resolver_count_limit > DEFAULT_RESOLVER_COUNT_LIMIT {
            return Err(Error::config(
                "resolver_count_limit",
                format!(
                    "resolver_count_limit is {}; AppSync allows 1 to {DEFAULT_RESOLVER_COUNT_LIMIT} (0: the default, {DEFAULT_RESOLVER_COUNT_LIMIT})",
                    self.resolver_count_limit
                ),
            ));
        }
        at_least_one("event_capacity", self.event_capacity)?;
        if self.event_capacity > MAX_EVENT_CAPACITY {
            return Err(Error::config(
                "event_capacity",
                format!("event_capacity is {}; at most {MAX_EVENT_CAPACITY} events fit", self.event_capacity),
            ));
        }
        positive("body_timeout", self.body_timeout)?;
        positive("header_timeout", self.header_timeout)?;
        if self.lambda_ttl > crate::auth::MAX_LAMBDA_TTL {
            return Err(Error::config(
                "lambda_authorizer_ttl",
                format!("lambda_authorizer_ttl is {:?}; AppSync allows 0 to 3600 seconds", self.lambda_ttl),
            ));
        }
        self.realtime.check()?;
        self.events.check()
    }
}

/// A count that must be at least 1.
pub(crate) fn at_least_one<T: Default + PartialEq>(field: &'static str, value: T) -> Result<(), Error> {
    if value == T::default() {
        return Err(Error::config(field, format!("{field} must be at least 1 (it is 0)")));
    }
    Ok(())
}

/// A time span that must be longer than zero.
pub(crate) fn positive(field: &'static str, value: Duration) -> Result<(), Error> {
    if value.is_zero() {
        return Err(Error::config(field, format!("{field} must be longer than zero")));
    }
    Ok(())
}

/// A DynamoDB endpoint or table given without a project to use it.
fn no_project_for_dynamodb() -> Error {
    Error::config(
        "dynamodb_endpoint",
        "dynamodb_endpoint and dynamodb_table are for a project's DynamoDB data sources, and no project is served",
    )
}

/// The AppSync type of a data source of one of the emulator's own types (`HTTP`,
/// `AMAZON_DYNAMODB`, `NONE`); `None` for a Lambda function or a caller's own type.
fn known_kind(source: &dyn std::any::Any) -> Option<&'static str> {
    if source.is::<crate::data_sources::HttpDataSource>() {
        Some("HTTP")
    } else if source.is::<crate::data_sources::DynamoDbDataSource>() {
        Some("AMAZON_DYNAMODB")
    } else if source.is::<appsync_js::NoneDataSource>() {
        Some("NONE")
    } else {
        None
    }
}
