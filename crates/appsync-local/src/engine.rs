//! Running one GraphQL request: parse, validate in AppSync's words, execute with the
//! default and registered resolvers, and shape the response as AppSync does.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use apollo_compiler::executable::{self, OperationType, Selection};
use apollo_compiler::parser::LineColumn;
use apollo_compiler::parser::Parser;
use apollo_compiler::resolvers::{AsyncObjectValue, AsyncResolvedValue, Execution, FieldError, ResolveInfo};
use apollo_compiler::response::{
    GraphQLError, JsonMap as BMap, JsonValue as BValue, ResponseDataPathSegment,
};
use apollo_compiler::schema::{ExtendedType, Type};
use apollo_compiler::validation::Valid;
use apollo_compiler::{ExecutableDocument, Name};
use futures_util::future::BoxFuture;
use serde_json::{Map, Value};
use tokio::sync::broadcast;

use crate::auth::{AuthMode, Identity};
use crate::defaults::{self, Answer};
use crate::json::{from_apollo, to_apollo};
use crate::mutation_bus::{Invalidation, MutationEvent};
use crate::resolver::{BatchResolverFn, ResolverContext, ResolverError, ResolverFn};
use crate::response;
use crate::schema::LoadedSchema;
use crate::selection;
use crate::store::{MemoryStore, Record};
use crate::validation;

/// Marks a resolver error message so it can be found again after execution; the suffix
/// indexes the request's side table of full AppSync-style errors.
///
/// The errors cannot travel typed: apollo-compiler's `FieldError` holds only a message, which
/// execution turns into a `GraphQLError` worded `resolver error: {message}` (no extensions). So
/// the marker is recovered by stripping that wording ([`APOLLO_RESOLVER_ERROR_PREFIX`]), which is
/// why apollo-compiler is pinned exactly in the workspace's Cargo.toml; the test
/// `tests::apollo_words_resolver_errors_as_the_marker_recovery_expects` fails if the wording moves.
const MARKER: &str = "\u{1}appsync-local-error:";

/// How apollo-compiler 1.33.0 words a `FieldError` in the response (`resolvers/execution.rs`
/// and `result_coercion.rs`: `format!("resolver error: {message}")`).
const APOLLO_RESOLVER_ERROR_PREFIX: &str = "resolver error: ";

/// Documents kept parsed and validated, and the longest query text worth keeping.
const MAX_CACHED_DOCUMENTS: usize = 1024;
const MAX_CACHED_QUERY_LEN: usize = 16 * 1024;

/// How deeply a document's fields may nest for it to execute on the thread that received the
/// request (see [`Engine::execute_here`]): execution recurses once per level, and those threads
/// have ordinary stacks, not the executor threads' deep ones. Real queries stay well within it.
const INLINE_MAX_DEPTH: usize = 12;

/// How deep the parser may recurse, whatever the depth limit: a guard for the stack (parse,
/// validation and execution all recurse once per level), as graphql-java's parser has one
/// (`maxRuleDepth`, 500 too). apollo-parser spends about four levels per nested field, so some
/// 120 levels of fields pass, beyond AppSync's highest configurable `queryDepthLimit` (75);
/// deeper documents get a syntax error.
const PARSER_RECURSION_LIMIT: usize = 500;

/// Per-request query limits.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    /// AppSync's `queryDepthLimit`: `None` is AppSync's default, no limit.
    pub(crate) query_depth_limit: Option<usize>,
    /// AppSync's `resolverCountLimit` (10000 unless set).
    pub(crate) resolver_count_limit: u32,
    pub(crate) max_aliases: usize,
    pub(crate) max_tokens: usize,
}

/// Everything needed to execute requests; shared by all connections.
pub(crate) struct Engine {
    pub(crate) schema: LoadedSchema,
    pub(crate) store: MemoryStore,
    /// Registered resolvers: type name -> field name -> resolver.
    pub(crate) resolvers: HashMap<String, HashMap<String, ResolverFn>>,
    /// Resolvers that take a list's objects together (Lambda `BatchInvoke`): type -> field.
    pub(crate) batch_resolvers: HashMap<String, HashMap<String, BatchResolverFn>>,
    pub(crate) default_mode: AuthMode,
    pub(crate) limits: Limits,
    pub(crate) events: broadcast::Sender<Arc<MutationEvent>>,
    pub(crate) documents: Mutex<HashMap<String, Arc<CachedDocument>>>,
}

/// A document as the cache keeps it: parsed, validated and limit-checked, with what every
/// request of it would otherwise work out again (AppSync, too, parses and validates each
/// distinct document once).
#[derive(Debug)]
pub(crate) struct CachedDocument {
    document: Valid<ExecutableDocument>,
    /// No operation has an AppSync-scalar literal that AppSync refuses, so requests need not
    /// look again ([`validation::check_literals`] depends on the document alone).
    literals_ok: bool,
    /// How deeply fields nest, fragments included (1 for `{ a }`).
    depth: usize,
}

impl std::ops::Deref for CachedDocument {
    type Target = Valid<ExecutableDocument>;

    fn deref(&self) -> &Self::Target {
        &self.document
    }
}

impl CachedDocument {
    fn new(schema: &Valid<apollo_compiler::Schema>, document: Valid<ExecutableDocument>) -> Self {
        let literals_ok =
            document.operations.iter().all(|op| validation::check_literals(schema, &document, op).is_none());
        let depth =
            document.operations.iter().map(|op| nesting(&document, &op.selection_set, 0)).max().unwrap_or(0);
        Self { document, literals_ok, depth }
    }
}

/// How deeply the fields of `set` nest, following fragment spreads; past `INLINE_MAX_DEPTH`
/// the exact figure does not matter, which also bounds the walk.
fn nesting(doc: &ExecutableDocument, set: &executable::SelectionSet, above: usize) -> usize {
    if above > INLINE_MAX_DEPTH {
        return above;
    }
    set.selections
        .iter()
        .map(|selection| match selection {
            Selection::Field(f) => nesting(doc, &f.selection_set, above + 1),
            Selection::InlineFragment(i) => nesting(doc, &i.selection_set, above),
            Selection::FragmentSpread(s) => {
                doc.fragments.get(&s.fragment_name).map_or(above, |f| nesting(doc, &f.selection_set, above))
            }
        })
        .max()
        .unwrap_or(above)
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("default_mode", &self.default_mode)
            .field(
                "resolvers",
                &self.resolvers.iter().map(|(t, f)| (t, f.keys().collect::<Vec<_>>())).collect::<Vec<_>>(),
            )
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

/// A GraphQL request as posted: `{query, variables, operationName}`.
#[derive(Debug, Clone, Default)]
pub(crate) struct GraphQLRequest {
    pub(crate) query: String,
    pub(crate) variables: Map<String, Value>,
    pub(crate) operation_name: Option<String>,
    /// The HTTP request's headers, names in lower case (resolvers' `ctx.request.headers`).
    pub(crate) headers: BTreeMap<String, String>,
}

/// An error a resolver added beside its field's value: (path, locations, error).
type AppendedError = (Vec<ResponseDataPathSegment>, Vec<LineColumn>, ResolverError);

/// A root mutation field as executed: (response key, field name, arguments, what its resolver
/// asked to invalidate).
type SeenMutation = (String, String, Map<String, Value>, Vec<Value>);

struct RequestCtx {
    engine: Arc<Engine>,
    identity: Identity,
    /// The request's variables, for resolvers' `info.variables`.
    variables: Map<String, Value>,
    /// The request's headers, for resolvers' `ctx.request.headers`.
    headers: BTreeMap<String, String>,
    errors: Mutex<Vec<ResolverError>>,
    /// Errors resolvers added beside their fields' values, with each field's path and location.
    appended: Mutex<Vec<AppendedError>>,
    mutations: Mutex<Vec<SeenMutation>>,
    /// Resolvers run so far, against `resolverCountLimit`.
    resolvers_run: std::sync::atomic::AtomicU32,
}

impl RequestCtx {
    /// Counts one resolver run against `resolverCountLimit`: past it, the field fails with
    /// AppSync's `ResolverExecutionLimitReached` and its resolver does not run (AppSync developer
    /// guide, "Configuring resolver count limits"; the message's wording is ours, not captured).
    fn count_resolver(&self) -> Result<(), FieldError> {
        let limit = self.engine.limits.resolver_count_limit;
        let run = self.resolvers_run.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if run >= limit {
            return Err(self.field_error(
                ResolverError::new(format!("Resolver execution limit of {limit} reached."))
                    .error_type("ResolverExecutionLimitReached"),
            ));
        }
        Ok(())
    }

    fn field_error(&self, e: ResolverError) -> FieldError {
        let mut errors = self.errors.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        errors.push(e);
        FieldError { message: format!("{MARKER}{}", errors.len() - 1) }
    }
}

impl Engine {
    /// Executes one request for an already authenticated caller and returns the response body.
    pub(crate) async fn execute(self: &Arc<Self>, req: &GraphQLRequest, identity: &Identity) -> BValue {
        match self.document(&req.query) {
            Ok(document) => self.execute_document(&document, req, identity).await,
            Err(resp) => resp,
        }
    }

    /// Whether registered resolvers (Rust, JavaScript, Lambda...) may run: only they await, read
    /// the request's headers and variables, or need the executor threads.
    pub(crate) fn has_resolvers(&self) -> bool {
        !self.resolvers.is_empty() || !self.batch_resolvers.is_empty()
    }

    /// Executes `req` right here, on the calling thread, when that is sure to finish at once and
    /// within an ordinary stack: no registered resolver can run (the default resolvers never
    /// await) and the document is already cached (parsed and validated on an executor thread)
    /// and shallow. `None` when the request must go to the executor threads instead; the
    /// answer is the same either way, this only saves the hand-over.
    pub(crate) fn execute_here(
        self: &Arc<Self>,
        req: &GraphQLRequest,
        identity: &Identity,
    ) -> Option<BValue> {
        if self.has_resolvers() {
            return None;
        }
        let document = self.cached(&req.query).filter(|doc| doc.depth <= INLINE_MAX_DEPTH)?;
        let run = std::panic::AssertUnwindSafe(self.execute_document(&document, req, identity));
        Some(match std::panic::catch_unwind(move || futures_util::FutureExt::now_or_never(run)) {
            Ok(Some(body)) => body,
            // Without registered resolvers nothing awaits; were it ever otherwise, the client
            // still gets an answer.
            Ok(None) => {
                tracing::error!("execution without resolvers did not finish at once");
                crate::thread_pool::internal_error()
            }
            // As on an executor thread, where a panic ends the request's task.
            Err(_) => crate::thread_pool::internal_error(),
        })
    }

    async fn execute_document(
        self: &Arc<Self>,
        document: &CachedDocument,
        req: &GraphQLRequest,
        identity: &Identity,
    ) -> BValue {
        let schema = &self.schema.schema;
        let literals_ok = document.literals_ok;
        let document = &document.document;
        let operation = match validation::select_operation(document, req.operation_name.as_deref()) {
            Ok(op) => op,
            Err(resp) => return resp,
        };
        if let Some(resp) = validation::check_variables(schema, document, operation, &req.variables) {
            return resp;
        }
        if !literals_ok && let Some(resp) = validation::check_literals(schema, document, operation) {
            return resp;
        }
        let raw_vars: BMap = req.variables.iter().map(|(k, v)| (k.as_str().into(), to_apollo(v))).collect();
        let coerced = match apollo_compiler::request::coerce_variable_values(schema, operation, &raw_vars) {
            Ok(v) => v,
            Err(e) => {
                let err = e.to_graphql_error(&document.sources);
                return response::plain_error(
                    &format!("Variables are invalid: {}", err.message),
                    err.locations,
                );
            }
        };
        self.run(document, operation, &coerced, identity, &req.headers).await
    }

    /// The parsed, validated and limit-checked document for `query`, from the cache when the
    /// same text was seen before (clients send the same few documents over and over).
    pub(crate) fn document(&self, query: &str) -> Result<Arc<CachedDocument>, BValue> {
        if let Some(doc) = self.cached(query) {
            return Ok(doc);
        }
        let schema = &self.schema.schema;
        let mut parser =
            Parser::new().token_limit(self.limits.max_tokens).recursion_limit(PARSER_RECURSION_LIMIT);
        let document = parser
            .parse_executable(schema, query, "request.graphql")
            .map_err(|e| validation::response_for(schema, &e.errors, query))?
            .validate(schema)
            .map_err(|e| validation::response_for(schema, &e.errors, query))?;
        if let Some(resp) = self.check_limits(&document) {
            return Err(resp);
        }
        let document = Arc::new(CachedDocument::new(schema, document));
        if query.len() <= MAX_CACHED_QUERY_LEN {
            let mut cache = self.documents.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            // Crude but bounded: a client generating endless distinct documents only costs
            // an occasional refill.
            if cache.len() >= MAX_CACHED_DOCUMENTS {
                cache.clear();
            }
            cache.insert(query.to_owned(), Arc::clone(&document));
        }
        Ok(document)
    }

    /// The kept document for `query`, if it was seen before (longer texts are never kept).
    fn cached(&self, query: &str) -> Option<Arc<CachedDocument>> {
        if query.len() > MAX_CACHED_QUERY_LEN {
            return None;
        }
        self.documents.lock().unwrap_or_else(std::sync::PoisonError::into_inner).get(query).cloned()
    }

    async fn run(
        self: &Arc<Self>,
        document: &Valid<ExecutableDocument>,
        operation: &executable::Operation,
        variables: &Valid<BMap>,
        identity: &Identity,
        headers: &BTreeMap<String, String>,
    ) -> BValue {
        let schema = &self.schema.schema;
        let ctx = Arc::new(RequestCtx {
            engine: Arc::clone(self),
            identity: identity.clone(),
            // For resolvers' `info.variables`: without resolvers, nobody reads them.
            variables: if self.has_resolvers() {
                variables.iter().map(|(k, v)| (k.as_str().to_owned(), from_apollo(v))).collect()
            } else {
                Map::new()
            },
            headers: headers.clone(),
            errors: Mutex::new(Vec::new()),
            appended: Mutex::new(Vec::new()),
            mutations: Mutex::new(Vec::new()),
            resolvers_run: std::sync::atomic::AtomicU32::new(0),
        });
        let root = ObjectValue {
            ctx: Arc::clone(&ctx),
            type_name: operation.object_type().clone(),
            record: Rec::None,
            operation_type: Some(operation.operation_type),
            path: None,
            batch: None,
            depth: 0,
        };
        let result = Execution::new(schema, document)
            .operation(operation)
            .coerced_variable_values(variables)
            .enable_schema_introspection(true)
            .execute_async(&root)
            .await;
        let response = match result {
            Ok(r) => r,
            Err(e) => {
                let err = e.to_graphql_error(&document.sources);
                return response::plain_error(&err.message, err.locations);
            }
        };
        let side_errors =
            std::mem::take(&mut *ctx.errors.lock().unwrap_or_else(std::sync::PoisonError::into_inner));
        let root_type = operation.object_type().as_str();
        let mut errors: Vec<BValue> =
            response.errors.iter().map(|e| execution_error(e, &side_errors, schema, root_type)).collect();
        let appended =
            std::mem::take(&mut *ctx.appended.lock().unwrap_or_else(std::sync::PoisonError::into_inner));
        errors.extend(appended.iter().map(|(path, locations, e)| appended_error(path, locations, e)));
        if operation.operation_type == OperationType::Mutation
            && let Some(data) = &response.data
        {
            self.publish(&ctx, data);
        }
        let mut body = BMap::new();
        body.insert("data", response.data.map_or(BValue::Null, BValue::Object));
        if !errors.is_empty() {
            body.insert("errors", BValue::Array(errors));
        }
        BValue::Object(body)
    }

    fn publish(&self, ctx: &RequestCtx, data: &BMap) {
        let mutations =
            std::mem::take(&mut *ctx.mutations.lock().unwrap_or_else(std::sync::PoisonError::into_inner));
        for (key, field, arguments, invalidations) in mutations {
            let value = data.get(key.as_str()).filter(|v| !v.is_null());
            let invalidations: Vec<Invalidation> =
                invalidations.iter().filter_map(Invalidation::parse).collect();
            if value.is_none() && invalidations.is_empty() {
                continue;
            }
            let event = MutationEvent {
                // A mutation no subscription listens to has none; a null result is delivered to
                // none, though its invalidations still apply.
                subscriptions: match value {
                    Some(_) => self.schema.subscribers.get(&field).cloned().unwrap_or_default(),
                    None => Vec::new(),
                },
                field,
                arguments,
                data: value.map_or(Value::Null, from_apollo),
                auth_mode: ctx.identity.mode(),
                invalidations,
            };
            // No receivers is the normal case when nobody subscribes.
            let _ = self.events.send(Arc::new(event));
        }
    }

    /// The alias count. (Depth is no reason to refuse a document: AppSync runs a query past its
    /// `queryDepthLimit` and fails the fields beyond it, see `ObjectValue::resolve_field`.)
    fn check_limits(&self, document: &Valid<ExecutableDocument>) -> Option<BValue> {
        let mut aliases = 0usize;
        for operation in document.operations.iter() {
            let mut stack = Vec::new();
            walk(document, &operation.selection_set, &mut aliases, &mut stack);
        }
        if aliases > self.limits.max_aliases {
            return Some(response::plain_error(
                &format!(
                    "Query alias limit of {} exceeded: the query has {aliases} aliases.",
                    self.limits.max_aliases
                ),
                Vec::new(),
            ));
        }
        None
    }
}

/// Alias count, following fragment spreads (validation already rejected cycles; the stack
/// guards anyway).
fn walk<'a>(
    doc: &'a ExecutableDocument,
    set: &'a executable::SelectionSet,
    aliases: &mut usize,
    stack: &mut Vec<&'a str>,
) {
    for selection in &set.selections {
        match selection {
            Selection::Field(f) => {
                if f.alias.is_some() {
                    *aliases += 1;
                }
                walk(doc, &f.selection_set, aliases, stack);
            }
            Selection::InlineFragment(i) => {
                walk(doc, &i.selection_set, aliases, stack);
            }
            Selection::FragmentSpread(s) => {
                let name = s.fragment_name.as_str();
                if stack.contains(&name) {
                    continue;
                }
                if let Some(fragment) = doc.fragments.get(&s.fragment_name) {
                    stack.push(name);
                    walk(doc, &fragment.selection_set, aliases, stack);
                    stack.pop();
                }
            }
        }
    }
}

/// One execution error in AppSync's field-error shape.
fn execution_error(
    e: &GraphQLError,
    side: &[ResolverError],
    schema: &apollo_compiler::Schema,
    root_type: &str,
) -> BValue {
    let path = BValue::Array(
        e.path
            .iter()
            .map(|s| match s {
                ResponseDataPathSegment::Field(name) => BValue::from(name.as_str()),
                ResponseDataPathSegment::ListIndex(i) => BValue::from(*i as u64),
            })
            .collect(),
    );
    let marked = side_index(&e.message).and_then(|i| side.get(i));
    let (message, error_type, error_info, data) = match marked {
        Some(r) => (
            r.message.clone(),
            r.error_type.clone().map_or(BValue::Null, BValue::from),
            r.error_info.as_ref().map_or(BValue::Null, to_apollo),
            r.data.as_ref().map_or(BValue::Null, to_apollo),
        ),
        None => (
            appsync_wording(&e.message, &e.path, schema, root_type),
            BValue::Null,
            BValue::Null,
            BValue::Null,
        ),
    };
    let mut m = BMap::new();
    m.insert("path", path);
    m.insert("data", data);
    m.insert("errorType", error_type);
    m.insert("errorInfo", error_info);
    m.insert("locations", response::locations_json(&e.locations));
    m.insert("message", BValue::from(message));
    BValue::Object(m)
}

/// The side-table index of a resolver error, recovered from apollo-compiler's wording of the
/// marked message (see [`MARKER`]); `None` for errors execution raised itself.
fn side_index(message: &str) -> Option<usize> {
    message.strip_prefix(APOLLO_RESOLVER_ERROR_PREFIX)?.strip_prefix(MARKER)?.parse().ok()
}

/// graphql-java's wording for the execution errors a client can trigger.
fn appsync_wording(
    message: &str,
    path: &[ResponseDataPathSegment],
    schema: &apollo_compiler::Schema,
    root_type: &str,
) -> String {
    if let Some(ty) = message.strip_prefix("non-null type ").and_then(|r| r.strip_suffix(" resolved to null"))
    {
        let slash_path: String = path
            .iter()
            .map(|s| match s {
                ResponseDataPathSegment::Field(n) => format!("/{n}"),
                ResponseDataPathSegment::ListIndex(i) => format!("[{i}]"),
            })
            .collect();
        let inner = ty.trim_end_matches('!');
        return match parent_type(schema, root_type, path) {
            Some(parent) => {
                format!(
                    "Cannot return null for non-nullable type: '{inner}' within parent '{parent}' ({slash_path})"
                )
            }
            None => format!("Cannot return null for non-nullable type: '{inner}' ({slash_path})"),
        };
    }
    message.to_owned()
}

/// The type owning the last field of `path`, found by walking field names from the root.
/// Aliased paths do not name schema fields; then there is no answer.
fn parent_type(
    schema: &apollo_compiler::Schema,
    root_type: &str,
    path: &[ResponseDataPathSegment],
) -> Option<String> {
    let fields: Vec<&str> = path
        .iter()
        .filter_map(|s| match s {
            ResponseDataPathSegment::Field(n) => Some(n.as_str()),
            ResponseDataPathSegment::ListIndex(_) => None,
        })
        .collect();
    let (_, ancestors) = fields.split_last()?;
    let mut current = root_type.to_owned();
    for field in ancestors {
        current = schema.type_field(&current, field).ok()?.ty.inner_named_type().to_string();
    }
    Some(current)
}

/// An object as execution reads it; `'r` is how long the data it borrows lives (the parent
/// object's, or the store's shared records), so that nested objects need no copies.
struct ObjectValue<'r> {
    ctx: Arc<RequestCtx>,
    type_name: Name,
    record: Rec<'r>,
    operation_type: Option<OperationType>,
    /// Where this object is in the response (`None` at the root).
    path: Option<Arc<PathNode>>,
    /// The list this object is an item of, and its index, when a field of its type is
    /// resolved for the whole list at once.
    batch: Option<(Arc<Siblings>, usize)>,
    /// How many fields lead to this object from the root (0 at the root), for `queryDepthLimit`.
    depth: usize,
}

/// The objects of one list, for the fields resolved for all of them at once (BatchInvoke):
/// the first item to reach such a field resolves it for every item of its type, the others
/// take their answers.
struct Siblings {
    /// Each item's concrete type and record (`None` for an item that is not an object).
    records: Vec<Option<(String, Map<String, Value>)>>,
    /// `Type.responseKey` -> the answers, in the order of that type's items.
    answers: Mutex<HashMap<String, Arc<tokio::sync::OnceCell<Vec<BatchAnswer>>>>>,
}

/// One item's answer of a batch: its value or error, and the errors appended beside it.
type BatchAnswer = (Result<Value, ResolverError>, Vec<ResolverError>);

/// One step of a response path, linked to its parent: cheap to extend for every object, turned
/// into a list only when an error needs it.
struct PathNode {
    parent: Option<Arc<PathNode>>,
    segment: ResponseDataPathSegment,
}

fn extend(parent: Option<&Arc<PathNode>>, segment: ResponseDataPathSegment) -> Option<Arc<PathNode>> {
    Some(Arc::new(PathNode { parent: parent.cloned(), segment }))
}

fn path_list(mut node: Option<&Arc<PathNode>>) -> Vec<ResponseDataPathSegment> {
    let mut path = Vec::new();
    while let Some(n) = node {
        path.push(n.segment.clone());
        node = n.parent.as_ref();
    }
    path.reverse();
    path
}

fn take_appended(appended: &Mutex<Vec<ResolverError>>) -> Vec<ResolverError> {
    std::mem::take(&mut *appended.lock().unwrap_or_else(std::sync::PoisonError::into_inner))
}

/// An appended error in AppSync's field-error shape.
fn appended_error(path: &[ResponseDataPathSegment], locations: &[LineColumn], e: &ResolverError) -> BValue {
    let mut m = BMap::new();
    m.insert(
        "path",
        BValue::Array(
            path.iter()
                .map(|s| match s {
                    ResponseDataPathSegment::Field(name) => BValue::from(name.as_str()),
                    ResponseDataPathSegment::ListIndex(i) => BValue::from(*i as u64),
                })
                .collect(),
        ),
    );
    m.insert("data", e.data.as_ref().map_or(BValue::Null, to_apollo));
    m.insert("errorType", e.error_type.clone().map_or(BValue::Null, BValue::from));
    m.insert("errorInfo", e.error_info.as_ref().map_or(BValue::Null, to_apollo));
    m.insert("locations", response::locations_json(locations));
    m.insert("message", BValue::from(e.message.clone()));
    BValue::Object(m)
}

impl AsyncObjectValue for ObjectValue<'_> {
    fn type_name(&self) -> &str {
        self.type_name.as_str()
    }

    fn resolve_field<'a>(
        &'a self,
        info: &'a ResolveInfo<'a>,
    ) -> BoxFuture<'a, Result<AsyncResolvedValue<'a>, FieldError>> {
        let engine = &self.ctx.engine;
        let type_name = self.type_name.as_str();
        let field_name = info.field_name();
        let single = engine.resolvers.get(type_name).and_then(|f| f.get(field_name));
        let batch = engine.batch_resolvers.get(type_name).and_then(|f| f.get(field_name));
        if single.is_none() && batch.is_none() {
            // The default resolvers never await: their answer is ready at once, in a small
            // future (a registered resolver's is large, and would be allocated for every field).
            return Box::pin(std::future::ready(self.resolve_default(info)));
        }
        Box::pin(self.resolve_registered(info, single, batch))
    }
}

impl ObjectValue<'_> {
    /// What every field passes before it resolves: the depth limit and the caller's access.
    fn admit(&self, info: &ResolveInfo<'_>) -> Result<(), FieldError> {
        let engine = &self.ctx.engine;
        let field_name = info.field_name();
        let depth = self.depth + 1;
        if let Some(limit) = engine.limits.query_depth_limit
            && depth > limit
        {
            // AppSync: a `QueryDepthLimitReached` error on each field past the limit, which
            // null propagation carries to the nearest nullable field (AppSync developer guide,
            // "Configuring query depth limits"; the wording of the message is ours, not captured).
            return Err(self.ctx.field_error(
                ResolverError::new(format!(
                    "Query depth limit of {limit} reached: this field is at depth {depth}."
                ))
                .error_type("QueryDepthLimitReached"),
            ));
        }
        let type_name = self.type_name.as_str();
        if !engine.schema.auth.allows(type_name, field_name, &self.ctx.identity, engine.default_mode) {
            return Err(self.ctx.field_error(ResolverError::unauthorized(type_name, field_name)));
        }
        Ok(())
    }

    /// The field's arguments as resolvers see them (`AWSJSON` values parsed).
    fn arguments(&self, info: &ResolveInfo<'_>) -> Map<String, Value> {
        let engine = &self.ctx.engine;
        let mut arguments: Map<String, Value> =
            info.arguments().iter().map(|(k, v)| (k.as_str().to_owned(), from_apollo(v))).collect();
        engine.schema.json_inputs.parse(&engine.schema.schema, info.field_definition(), &mut arguments);
        arguments
    }

    /// The field's place in the response; built only for fields that are not leaves.
    fn field_path(&self, info: &ResolveInfo<'_>) -> Option<Arc<PathNode>> {
        let key = info
            .field_selections()
            .first()
            .map_or_else(|| Name::new_unchecked(info.field_name()), |f| f.response_key().clone());
        extend(self.path.as_ref(), ResponseDataPathSegment::Field(key))
    }

    /// Notes a root mutation field as executed, for the real-time fan-out.
    fn record_mutation(
        &self,
        info: &ResolveInfo<'_>,
        arguments: Map<String, Value>,
        invalidations: Vec<Value>,
    ) {
        if self.operation_type != Some(OperationType::Mutation) {
            return;
        }
        let field_name = info.field_name();
        let response_key = info
            .field_selections()
            .first()
            .map_or_else(|| field_name.to_owned(), |f| f.response_key().to_string());
        self.ctx.mutations.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push((
            response_key,
            field_name.to_owned(),
            arguments,
            invalidations,
        ));
    }

    /// A field no resolver is registered for: a default resolver at the root, the parent
    /// record's property below it.
    fn resolve_default<'a>(
        &'a self,
        info: &'a ResolveInfo<'a>,
    ) -> Result<AsyncResolvedValue<'a>, FieldError> {
        self.admit(info)?;
        let engine = &self.ctx.engine;
        let field_def = info.field_definition();
        let value = if let Some(op) = self.operation_type {
            self.ctx.count_resolver()?;
            let arguments = self.arguments(info);
            let value = match defaults::resolve_root(engine, op, field_def, &arguments)
                .map_err(|e| self.ctx.field_error(e))?
            {
                Answer::Null => Src::Owned(Value::Null),
                Answer::Record(record) => Src::Record(record),
                Answer::Records(records) => Src::Records(records),
                Answer::Page { items, next_token } => Src::Page(items, next_token),
            };
            self.record_mutation(info, arguments, Vec::new());
            value
        } else {
            let found = self.record.field(info.field_name());
            // Leaves convert straight from the record, without an intermediate clone.
            if !field_def.ty.is_list()
                && !matches!(
                    engine.schema.schema.types.get(field_def.ty.inner_named_type()),
                    Some(ExtendedType::Object(_) | ExtendedType::Interface(_) | ExtendedType::Union(_))
                )
            {
                let named = field_def.ty.inner_named_type().as_str();
                return Ok(match found {
                    None => AsyncResolvedValue::null(),
                    Some(Src::Borrowed(v)) => AsyncResolvedValue::leaf(leaf(named, v)),
                    Some(other) => AsyncResolvedValue::leaf(leaf(named, &other.to_json())),
                });
            }
            // Objects and lists borrow from this one's record: nothing is copied.
            found.unwrap_or(Src::Owned(Value::Null))
        };
        Ok(resolved(&self.ctx, value, &field_def.ty, self.field_path(info), self.depth + 1))
    }

    /// A field served by a registered resolver (Rust, JavaScript, Lambda...), alone or for a
    /// whole list at once.
    async fn resolve_registered<'a>(
        &'a self,
        info: &'a ResolveInfo<'a>,
        single: Option<&'a ResolverFn>,
        batch: Option<&'a BatchResolverFn>,
    ) -> Result<AsyncResolvedValue<'a>, FieldError> {
        self.admit(info)?;
        self.ctx.count_resolver()?;
        let type_name = self.type_name.as_str();
        let field_name = info.field_name();
        let field_def = info.field_definition();
        let arguments = self.arguments(info);
        let mut invalidations = Vec::new();
        let (selection_set_list, selection_set_graphql) =
            selection::selection_set(info.document(), info.field_selections());
        let context_for = |source: Option<Map<String, Value>>| ResolverContext {
            type_name: type_name.to_owned(),
            field_name: field_name.to_owned(),
            arguments: arguments.clone(),
            source,
            identity: self.ctx.identity.clone(),
            variables: self.ctx.variables.clone(),
            headers: self.ctx.headers.clone(),
            selection_set_list: selection_set_list.clone(),
            selection_set_graphql: selection_set_graphql.clone(),
            appended: Arc::default(),
            invalidations: Arc::default(),
        };
        let (outcome, appended) = match (single, batch, &self.batch) {
            (Some(resolver), _, _) => {
                let rctx = context_for(self.record.to_map());
                let appended = Arc::clone(&rctx.appended);
                let asked = Arc::clone(&rctx.invalidations);
                let outcome = resolver(rctx).await;
                invalidations =
                    std::mem::take(&mut *asked.lock().unwrap_or_else(std::sync::PoisonError::into_inner));
                (outcome, take_appended(&appended))
            }
            (None, Some(resolver), Some((siblings, index))) => {
                let key = info
                    .field_selections()
                    .first()
                    .map_or_else(|| field_name.to_owned(), |f| f.response_key().to_string());
                let cell = Arc::clone(
                    siblings
                        .answers
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .entry(format!("{type_name}.{key}"))
                        .or_default(),
                );
                let mine = |r: &Option<(String, Map<String, Value>)>| {
                    r.as_ref().is_some_and(|(t, _)| t == type_name)
                };
                let answers = cell
                    .get_or_init(|| async {
                        let ctxs: Vec<ResolverContext> = siblings
                            .records
                            .iter()
                            .filter(|r| mine(r))
                            .filter_map(|r| r.as_ref().map(|(_, record)| context_for(Some(record.clone()))))
                            .collect();
                        let appended: Vec<_> = ctxs.iter().map(|c| Arc::clone(&c.appended)).collect();
                        let outcomes = resolver(ctxs).await;
                        outcomes.into_iter().zip(appended).map(|(o, a)| (o, take_appended(&a))).collect()
                    })
                    .await;
                let position = siblings.records[..*index].iter().filter(|r| mine(r)).count();
                answers.get(position).cloned().unwrap_or_else(|| {
                    (Err(ResolverError::new("the batch resolver gave no answer for this item")), Vec::new())
                })
            }
            (None, Some(resolver), None) => {
                let rctx = context_for(self.record.to_map());
                let appended = Arc::clone(&rctx.appended);
                let outcome = resolver(vec![rctx]).await.pop().unwrap_or(Ok(Value::Null));
                (outcome, take_appended(&appended))
            }
            (None, None, _) => (Ok(Value::Null), Vec::new()),
        };
        if !appended.is_empty() {
            let path = path_list(self.field_path(info).as_ref());
            let locations: Vec<LineColumn> = info
                .field_selections()
                .first()
                .and_then(|f| f.alias.as_ref().unwrap_or(&f.name).location())
                .and_then(|span| span.line_column(&info.document().sources))
                .into_iter()
                .collect();
            let mut side = self.ctx.appended.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            side.extend(appended.into_iter().map(|e| (path.clone(), locations.clone(), e)));
        }
        let value = Src::Owned(outcome.map_err(|e| self.ctx.field_error(e))?);
        self.record_mutation(info, arguments, invalidations);
        Ok(resolved(&self.ctx, value, &field_def.ty, self.field_path(info), self.depth + 1))
    }
}

/// `depth`: the number of fields from the root to the field whose value this is.
fn resolved<'a>(
    ctx: &Arc<RequestCtx>,
    value: Src<'a>,
    ty: &Type,
    path: Option<Arc<PathNode>>,
    depth: usize,
) -> AsyncResolvedValue<'a> {
    resolved_item(ctx, value, ty, path, None, depth)
}

/// A value as execution continues with it; `batch` is the list the value is an item of, when
/// some field of its items is resolved for the whole list at once; `depth` the number of fields
/// from the root to the field whose value this is.
fn resolved_item<'a>(
    ctx: &Arc<RequestCtx>,
    value: Src<'a>,
    ty: &Type,
    path: Option<Arc<PathNode>>,
    batch: Option<(Arc<Siblings>, usize)>,
    depth: usize,
) -> AsyncResolvedValue<'a> {
    if value.is_null() {
        return AsyncResolvedValue::null();
    }
    if ty.is_list() {
        let items: Vec<Src<'a>> = match value {
            Src::Owned(Value::Array(items)) => items.into_iter().map(Src::Owned).collect(),
            Src::Borrowed(Value::Array(items)) => items.iter().map(Src::Borrowed).collect(),
            Src::Records(records) => records.into_iter().map(Src::Record).collect(),
            Src::RecordsRef(records) => records.iter().map(|r| Src::RecordRef(r)).collect(),
            // Let execution report the mismatch in its own words.
            other => return AsyncResolvedValue::leaf(to_apollo(&other.to_json())),
        };
        let item_ty = ty.item_type().clone();
        let ctx = Arc::clone(ctx);
        let siblings = siblings_of(&ctx, &items, &item_ty);
        let items: Vec<AsyncResolvedValue<'a>> = items
            .into_iter()
            .enumerate()
            .map(|(i, item)| {
                resolved_item(
                    &ctx,
                    item,
                    &item_ty,
                    extend(path.as_ref(), ResponseDataPathSegment::ListIndex(i)),
                    siblings.as_ref().map(|s| (Arc::clone(s), i)),
                    depth,
                )
            })
            .collect();
        return AsyncResolvedValue::list(items);
    }
    let schema = &ctx.engine.schema.schema;
    let named = ty.inner_named_type();
    match schema.types.get(named) {
        Some(ExtendedType::Object(_) | ExtendedType::Interface(_) | ExtendedType::Union(_)) => {
            let record = match value {
                Src::Owned(Value::Object(record)) => Rec::Owned(record),
                Src::Borrowed(Value::Object(record)) | Src::RecordRef(record) => Rec::Borrowed(record),
                Src::Record(record) => Rec::Shared(record),
                Src::Page(items, next_token) => {
                    Rec::Page(items, next_token.map_or(Value::Null, Value::String))
                }
                other => return AsyncResolvedValue::leaf(to_apollo(&other.to_json())),
            };
            let type_name = concrete_type(schema, named, record.map());
            AsyncResolvedValue::object(ObjectValue {
                ctx: Arc::clone(ctx),
                type_name,
                record,
                operation_type: None,
                path,
                batch,
                depth,
            })
        }
        _ => match value {
            Src::Owned(v) => AsyncResolvedValue::leaf(leaf(named.as_str(), &v)),
            Src::Borrowed(v) => AsyncResolvedValue::leaf(leaf(named.as_str(), v)),
            other => AsyncResolvedValue::leaf(leaf(named.as_str(), &other.to_json())),
        },
    }
}

/// A field's value on its way to execution: JSON a resolver returned, JSON borrowed from the
/// parent object, or records shared with the store (which default resolvers hand out uncopied).
enum Src<'a> {
    Owned(Value),
    Borrowed(&'a Value),
    Record(Arc<Record>),
    RecordRef(&'a Record),
    Records(Vec<Arc<Record>>),
    RecordsRef(&'a [Arc<Record>]),
    /// A connection's page: its items and `nextToken`.
    Page(Vec<Arc<Record>>, Option<String>),
}

impl Src<'_> {
    fn is_null(&self) -> bool {
        matches!(self, Self::Owned(Value::Null) | Self::Borrowed(Value::Null))
    }

    /// The object this value is, if it is one (a connection's page is not a record).
    fn as_map(&self) -> Option<&Map<String, Value>> {
        match self {
            Self::Owned(Value::Object(m)) | Self::Borrowed(Value::Object(m)) => Some(m),
            Self::RecordRef(r) => Some(r),
            Self::Record(r) => Some(r),
            _ => None,
        }
    }

    /// The value as JSON, for the rare places that need a copy (a value in a place its type does
    /// not expect, whose mismatch execution reports in its own words).
    fn to_json(&self) -> Value {
        let records =
            |rs: &[Arc<Record>]| Value::Array(rs.iter().map(|r| Value::Object(Record::clone(r))).collect());
        match self {
            Self::Owned(v) => v.clone(),
            Self::Borrowed(v) => (*v).clone(),
            Self::Record(r) => Value::Object(Record::clone(r)),
            Self::RecordRef(r) => Value::Object((*r).clone()),
            Self::Records(rs) => records(rs),
            Self::RecordsRef(rs) => records(rs),
            Self::Page(items, next_token) => page_json(items, next_token.as_deref()),
        }
    }
}

/// A connection's page as JSON: `{items, nextToken}`.
fn page_json(items: &[Arc<Record>], next_token: Option<&str>) -> Value {
    let mut out = Map::new();
    out.insert("items".into(), Value::Array(items.iter().map(|r| Value::Object(Record::clone(r))).collect()));
    out.insert("nextToken".into(), next_token.map_or(Value::Null, Value::from));
    Value::Object(out)
}

/// What an object holds: nothing (a root), a record of its own, one borrowed from its parent
/// or shared with the store, or a connection's page.
enum Rec<'a> {
    None,
    Owned(Map<String, Value>),
    Borrowed(&'a Map<String, Value>),
    Shared(Arc<Record>),
    /// A connection: its items, and its `nextToken` (a string or null).
    Page(Vec<Arc<Record>>, Value),
}

impl Rec<'_> {
    fn map(&self) -> Option<&Map<String, Value>> {
        match self {
            Self::Owned(m) => Some(m),
            Self::Borrowed(m) => Some(m),
            Self::Shared(r) => Some(r),
            Self::None | Self::Page(..) => None,
        }
    }

    /// The value of the record's property `name`, borrowed.
    fn field(&self, name: &str) -> Option<Src<'_>> {
        match self {
            Self::Page(items, _) if name == "items" => Some(Src::RecordsRef(items)),
            Self::Page(_, next_token) if name == "nextToken" => Some(Src::Borrowed(next_token)),
            other => other.map()?.get(name).map(Src::Borrowed),
        }
    }

    /// A copy, for resolvers' `ctx.source`.
    fn to_map(&self) -> Option<Map<String, Value>> {
        match self {
            Self::Page(items, next_token) => match page_json(items, next_token.as_str()) {
                Value::Object(m) => Some(m),
                _ => None,
            },
            other => other.map().cloned(),
        }
    }
}

/// A scalar or enum value as execution reads it. A whole number in a `Float` field is answered
/// as a float (`50.0`), as AppSync does; apollo-compiler would refuse it as not a Float, and
/// numbers read back from DynamoDB or returned by JavaScript are whole numbers whenever they can.
/// An `AWSJSON` field's object, list, number or boolean is answered as its JSON text, as AppSync
/// answers it (amplify-cli #5207 and the simulator's fix in #5705; a captured response in
/// amplify-category-api #521); a string is taken to be that text already.
fn leaf(named_type: &str, value: &Value) -> BValue {
    match (named_type, value) {
        ("Float", Value::Number(n)) if !n.is_f64() => {
            n.as_f64().map_or_else(|| to_apollo(value), BValue::from)
        }
        ("AWSJSON", Value::Object(_) | Value::Array(_) | Value::Number(_) | Value::Bool(_)) => {
            BValue::from(value.to_string())
        }
        _ => to_apollo(value),
    }
}

/// The list's objects, when a field of their type is resolved for the whole list at once.
fn siblings_of(ctx: &RequestCtx, items: &[Src<'_>], item_ty: &Type) -> Option<Arc<Siblings>> {
    let batch = &ctx.engine.batch_resolvers;
    if batch.is_empty() || item_ty.is_list() {
        return None;
    }
    let schema = &ctx.engine.schema.schema;
    let named = item_ty.inner_named_type();
    let records: Vec<Option<(String, Map<String, Value>)>> = items
        .iter()
        .map(|item| {
            item.as_map()
                .map(|record| (concrete_type(schema, named, Some(record)).to_string(), record.clone()))
        })
        .collect();
    records
        .iter()
        .flatten()
        .any(|(t, _)| batch.contains_key(t))
        .then(|| Arc::new(Siblings { records, answers: Mutex::new(HashMap::new()) }))
}

/// For abstract types the record says what it is with `__typename`; failing that, the first
/// implementing object type is the best guess.
fn concrete_type(
    schema: &apollo_compiler::Schema,
    named: &Name,
    record: Option<&Map<String, Value>>,
) -> Name {
    let typename =
        || record.and_then(|r| r.get("__typename")).and_then(Value::as_str).map(Name::new_unchecked);
    match schema.types.get(named) {
        Some(ExtendedType::Object(_)) | None => named.clone(),
        Some(ExtendedType::Union(u)) => typename()
            .or_else(|| u.members.iter().next().map(|m| m.name.clone()))
            .unwrap_or_else(|| named.clone()),
        Some(_) => typename()
            .or_else(|| {
                schema
                    .types
                    .iter()
                    .find(|(_, t)| matches!(t, ExtendedType::Object(o) if o.implements_interfaces.contains(named.as_str())))
                    .map(|(n, _)| n.clone())
            })
            .unwrap_or_else(|| named.clone()),
    }
}

#[cfg(test)]
mod tests {
    use apollo_compiler::resolvers::{ObjectValue, ResolvedValue};
    use apollo_compiler::{ExecutableDocument, Schema};

    use super::*;

    /// A root whose every field fails with a marked message, as `RequestCtx::field_error` marks it.
    struct Failing;

    impl ObjectValue for Failing {
        fn type_name(&self) -> &str {
            "Query"
        }

        fn resolve_field<'a>(&'a self, _info: &'a ResolveInfo<'a>) -> Result<ResolvedValue<'a>, FieldError> {
            Err(FieldError { message: format!("{MARKER}7") })
        }
    }

    #[test]
    fn apollo_words_resolver_errors_as_the_marker_recovery_expects() {
        let schema = Schema::parse_and_validate("type Query { a: String }", "s.graphql").unwrap();
        let document = ExecutableDocument::parse_and_validate(&schema, "{ a }", "q.graphql").unwrap();
        let response = Execution::new(&schema, &document).execute_sync(&Failing).unwrap();
        let [error] = response.errors.as_slice() else {
            panic!("one error expected: {:?}", response.errors);
        };
        // If this fails, apollo-compiler changed how it words a FieldError: resolver errors would
        // reach clients as the raw marker. Adjust APOLLO_RESOLVER_ERROR_PREFIX to the new wording.
        assert_eq!(error.message, format!("{APOLLO_RESOLVER_ERROR_PREFIX}{MARKER}7"));
        assert_eq!(side_index(&error.message), Some(7));
        assert_eq!(side_index("non-null type String! resolved to null"), None);
    }
}
