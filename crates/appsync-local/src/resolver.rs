//! The public API for custom resolvers and the errors they return.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use serde_json::{Map, Value};

use crate::auth::Identity;

/// What a resolver gets: its field's arguments, the parent record, and the caller.
///
/// ```
/// use appsync_local::{ApiKey, AuthMode, Emulator, Identity};
/// use serde_json::json;
///
/// let sdl = "type Author { name: String posts: Int } type Query { author: Author }";
/// let emulator = Emulator::builder()
///     .schema_sdl(sdl)
///     .api_key(ApiKey::new("da2-local"))
///     .default_auth(AuthMode::ApiKey)
///     .resolver("Query.author", |ctx| async move {
///         // A root field: no parent record; the caller is who the request proved to be.
///         assert!(ctx.source().is_none());
///         Ok(json!({"name": ctx.identity().mode().as_appsync_str()}))
///     })
///     .resolver("Author.posts", |ctx| async move {
///         // A nested field reads its parent, as `$ctx.source` in AppSync.
///         assert_eq!((ctx.type_name(), ctx.field_name()), ("Author", "posts"));
///         let name = ctx.source().and_then(|s| s.get("name")).and_then(|n| n.as_str()).unwrap_or("");
///         Ok(json!(name.len()))
///     })
///     .build()?;
/// let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
/// let body = runtime.block_on(emulator.execute(
///     "{ author { name posts } }",
///     None,
///     None,
///     &Identity::trusted(AuthMode::ApiKey),
/// ));
/// assert_eq!(body, json!({"data": {"author": {"name": "API_KEY", "posts": 7}}}));
/// # Ok::<(), appsync_local::Error>(())
/// ```
#[derive(Clone)]
pub struct ResolverContext {
    pub(crate) type_name: String,
    pub(crate) field_name: String,
    pub(crate) arguments: Map<String, Value>,
    pub(crate) source: Option<Map<String, Value>>,
    pub(crate) identity: Identity,
    pub(crate) variables: Map<String, Value>,
    pub(crate) headers: BTreeMap<String, String>,
    pub(crate) selection_set_list: Vec<String>,
    pub(crate) selection_set_graphql: String,
    /// Errors for the response beside the field's value ([`ResolverContext::append_error`]).
    pub(crate) appended: Arc<std::sync::Mutex<Vec<ResolverError>>>,
    /// `extensions.invalidateSubscriptions` of a mutation's resolver: `{subscriptionField,
    /// payload}` each, for the real-time fan-out.
    pub(crate) invalidations: Arc<std::sync::Mutex<Vec<Value>>>,
}

/// Header values stay out of `Debug`: they hold the caller's credentials.
impl std::fmt::Debug for ResolverContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResolverContext")
            .field("type_name", &self.type_name)
            .field("field_name", &self.field_name)
            .field("arguments", &self.arguments)
            .field("source", &self.source)
            .field("identity", &self.identity)
            .field("variables", &self.variables)
            .field("headers", &self.headers.keys().collect::<Vec<_>>())
            .field("selection_set_list", &self.selection_set_list)
            .finish_non_exhaustive()
    }
}

impl ResolverContext {
    /// The GraphQL type that owns the field, e.g. `Query`.
    #[must_use]
    pub fn type_name(&self) -> &str {
        &self.type_name
    }

    /// The field being resolved, e.g. `getPost`.
    #[must_use]
    pub fn field_name(&self) -> &str {
        &self.field_name
    }

    /// The field's arguments after variable substitution and coercion.
    #[must_use]
    pub fn arguments(&self) -> &Map<String, Value> {
        &self.arguments
    }

    /// One argument, if given.
    #[must_use]
    pub fn argument(&self, name: &str) -> Option<&Value> {
        self.arguments.get(name)
    }

    /// The parent record (`$ctx.source` in AppSync); `None` for root fields.
    #[must_use]
    pub fn source(&self) -> Option<&Map<String, Value>> {
        self.source.as_ref()
    }

    /// Who is calling (`$ctx.identity`).
    #[must_use]
    pub fn identity(&self) -> &Identity {
        &self.identity
    }

    /// The HTTP request's headers, names in lower case (`ctx.request.headers`; empty for
    /// operations run with [`Emulator::execute`](crate::Emulator::execute) and for
    /// subscriptions).
    #[must_use]
    pub fn headers(&self) -> &BTreeMap<String, String> {
        &self.headers
    }

    /// Adds an error to the response beside the field's value, with the field's `path` and
    /// `locations` (AppSync's `util.appendError`: the field keeps what the resolver returns).
    pub fn append_error(&self, error: ResolverError) {
        self.appended.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(error);
    }

    /// The operation's variables, as sent (`ctx.info.variables`).
    #[must_use]
    pub fn variables(&self) -> &Map<String, Value> {
        &self.variables
    }

    /// The paths selected under the field, by response key (`ctx.info.selectionSetList`:
    /// `["id", "author", "author/name"]`).
    #[must_use]
    pub fn selection_set_list(&self) -> &[String] {
        &self.selection_set_list
    }

    /// The selection under the field as GraphQL text (`ctx.info.selectionSetGraphQL`; empty for
    /// a leaf).
    #[must_use]
    pub fn selection_set_graphql(&self) -> &str {
        &self.selection_set_graphql
    }
}

/// An error a resolver returns, shown to the client the way AppSync shows `$util.error`:
/// `message`, `errorType`, `errorInfo`, with the field's `path` and `locations`.
///
/// ```
/// use appsync_local::{ApiKey, AuthMode, Emulator, Identity, ResolverError};
/// use serde_json::json;
///
/// let emulator = Emulator::builder()
///     .schema_sdl("type Query { ok: String } type Mutation { pay: String }")
///     .api_key(ApiKey::new("da2-local"))
///     .default_auth(AuthMode::ApiKey)
///     .resolver("Mutation.pay", |_ctx| async move {
///         Err(ResolverError::new("card declined")
///             .error_type("Payments:Declined")
///             .error_info(json!({"retryable": false})))
///     })
///     .build()?;
/// let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
/// let body = runtime.block_on(emulator.execute(
///     "mutation { pay }",
///     None,
///     None,
///     &Identity::trusted(AuthMode::ApiKey),
/// ));
/// assert_eq!(body["data"], json!({"pay": null}));
/// let error = &body["errors"][0];
/// assert_eq!(error["message"], "card declined");
/// assert_eq!(error["errorType"], "Payments:Declined");
/// assert_eq!(error["errorInfo"], json!({"retryable": false}));
/// assert_eq!(error["path"], json!(["pay"]));
/// # Ok::<(), appsync_local::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct ResolverError {
    pub(crate) message: String,
    pub(crate) error_type: Option<String>,
    pub(crate) error_info: Option<Value>,
    pub(crate) data: Option<Value>,
}

impl ResolverError {
    /// An error with only a message.
    #[must_use]
    pub fn new(message: impl Into<String>) -> Self {
        Self { message: message.into(), error_type: None, error_info: None, data: None }
    }

    /// Sets `errorType`.
    #[must_use]
    pub fn error_type(mut self, error_type: impl Into<String>) -> Self {
        self.error_type = Some(error_type.into());
        self
    }

    /// Sets `errorInfo`.
    #[must_use]
    pub fn error_info(mut self, error_info: Value) -> Self {
        self.error_info = Some(error_info);
        self
    }

    /// Sets the error's `data` (AppSync's `$util.error(message, type, data)`).
    #[must_use]
    pub fn data(mut self, data: Value) -> Self {
        self.data = Some(data);
        self
    }

    /// The message.
    #[must_use]
    pub fn message(&self) -> &str {
        &self.message
    }

    /// AppSync's `Unauthorized` field error.
    pub(crate) fn unauthorized(type_name: &str, field_name: &str) -> Self {
        Self::new(format!("Not Authorized to access {field_name} on type {type_name}"))
            .error_type("Unauthorized")
    }
}

impl std::fmt::Display for ResolverError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.error_type {
            Some(t) => write!(f, "{t}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for ResolverError {}

/// The future a resolver returns.
pub type ResolverFuture = Pin<Box<dyn Future<Output = Result<Value, ResolverError>> + Send>>;

pub(crate) type ResolverFn = Arc<dyn Fn(ResolverContext) -> ResolverFuture + Send + Sync>;

/// The answers of a [`BatchResolverFn`]: one per context, in order.
pub(crate) type BatchFuture = Pin<Box<dyn Future<Output = Vec<Result<Value, ResolverError>>> + Send>>;

/// A resolver that resolves one field for several parents at once (the objects of one list), as
/// AppSync's Lambda `BatchInvoke` does.
pub(crate) type BatchResolverFn = Arc<dyn Fn(Vec<ResolverContext>) -> BatchFuture + Send + Sync>;

pub(crate) fn boxed<F, Fut>(f: F) -> ResolverFn
where
    F: Fn(ResolverContext) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Value, ResolverError>> + Send + 'static,
{
    Arc::new(move |ctx| Box::pin(f(ctx)))
}
