//! Unit and pipeline resolvers, evaluated in AppSync's order against data sources.
//!
//! Unit: `request` -> data source -> `response`. Pipeline: the resolver's `request`, then per
//! function `request` -> data source -> `response`, then the resolver's `response` reading
//! `ctx.prev.result` (guide: "Pipeline resolvers", "Runtime utilities" for `earlyReturn`). A data
//! source's failure reaches the response handler as `ctx.error`; `util.error` (or a failure of
//! the code) ends the run with the field `null` and the error in `errors`; `util.appendError`s
//! are kept either way.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use serde_json::{Map, Value};

use crate::context::{Context, ContextError, Prev};
use crate::engine::Engine;
use crate::evaluation::{Evaluation, Handler, ResolverError, SkipTo};

/// A data source failure, handed to the response handler as `ctx.error`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataSourceError {
    message: String,
    error_type: String,
    data: Option<Value>,
}

impl DataSourceError {
    /// A failure with AppSync's message and type (`"Lambda:Unhandled"`,
    /// `"DynamoDB:ConditionalCheckFailedException"`...).
    #[must_use]
    pub fn new(message: impl Into<String>, error_type: impl Into<String>) -> Self {
        Self { message: message.into(), error_type: error_type.into(), data: None }
    }

    /// The data the data source gives with the failure, which the response handler sees as
    /// `ctx.result` beside `ctx.error` (a DynamoDB failed condition's current item, a cancelled
    /// transaction's `cancellationReasons`); without it `ctx.result` is `null`.
    #[must_use]
    pub fn data(mut self, data: Value) -> Self {
        self.data = Some(data);
        self
    }

    /// The data given with the failure, if any.
    #[must_use]
    pub fn data_value(&self) -> Option<&Value> {
        self.data.as_ref()
    }

    /// The message.
    #[must_use]
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The type.
    #[must_use]
    pub fn error_type(&self) -> &str {
        &self.error_type
    }
}

impl fmt::Display for DataSourceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.error_type, self.message)
    }
}

impl std::error::Error for DataSourceError {}

/// A data source: what a request handler's result is sent to.
#[async_trait]
pub trait DataSource: Send + Sync + 'static {
    /// Runs `request` (what the request handler returned) and returns what the response handler
    /// sees as `ctx.result`.
    ///
    /// # Errors
    /// A failure, which the response handler sees as `ctx.error`.
    async fn invoke(&self, request: Value, ctx: &Context) -> Result<Value, DataSourceError>;

    /// Runs the requests of one batch together (AppSync's Lambda `BatchInvoke`: the request
    /// handlers of a list field's items, sent in one call), one answer per request, in order.
    /// The default runs them one by one with [`invoke`](Self::invoke).
    async fn invoke_batch(
        &self,
        requests: Vec<Value>,
        ctxs: &[Context],
    ) -> Vec<Result<Value, DataSourceError>> {
        let mut answers = Vec::with_capacity(requests.len());
        for (request, ctx) in requests.into_iter().zip(ctxs) {
            answers.push(self.invoke(request, ctx).await);
        }
        answers
    }
}

/// AppSync's `NONE` data source: the request's `payload` becomes the result.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoneDataSource;

#[async_trait]
impl DataSource for NoneDataSource {
    async fn invoke(&self, request: Value, _ctx: &Context) -> Result<Value, DataSourceError> {
        Ok(match request {
            Value::Object(mut request) => request.remove("payload").unwrap_or(Value::Null),
            _ => Value::Null,
        })
    }
}

/// The data sources resolvers refer to by name.
#[derive(Clone, Default)]
pub struct DataSources {
    sources: HashMap<String, Arc<dyn DataSource>>,
}

impl fmt::Debug for DataSources {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut names: Vec<&String> = self.sources.keys().collect();
        names.sort();
        f.debug_struct("DataSources").field("names", &names).finish()
    }
}

impl DataSources {
    /// No data sources.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) the data source called `name`.
    #[must_use]
    pub fn source(mut self, name: impl Into<String>, source: impl DataSource) -> Self {
        self.sources.insert(name.into(), Arc::new(source));
        self
    }

    /// Adds (or replaces) a shared data source called `name`.
    #[must_use]
    pub fn shared_source(mut self, name: impl Into<String>, source: Arc<dyn DataSource>) -> Self {
        self.sources.insert(name.into(), source);
        self
    }

    /// The data source called `name`.
    #[must_use]
    pub fn get(&self, name: &str) -> Option<&Arc<dyn DataSource>> {
        self.sources.get(name)
    }
}

/// An AppSync function: one step of a pipeline.
#[derive(Debug, Clone)]
pub struct Function {
    name: String,
    code: Arc<str>,
    data_source: String,
    max_batch_size: usize,
}

impl Function {
    /// A function named `name` running `code` against the data source `data_source`.
    #[must_use]
    pub fn new(name: impl Into<String>, code: impl Into<Arc<str>>, data_source: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            code: code.into(),
            data_source: data_source.into(),
            max_batch_size: DEFAULT_MAX_BATCH_SIZE,
        }
    }

    /// The most `BatchInvoke` requests of this function sent together when a pipeline resolves
    /// a list's items at once ([`Resolver::resolve_batch`]; the function's `MaxBatchSize`,
    /// default [`DEFAULT_MAX_BATCH_SIZE`]).
    #[must_use]
    pub fn max_batch_size(mut self, size: usize) -> Self {
        self.max_batch_size = size;
        self
    }

    /// The function's name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }
}

#[derive(Debug, Clone)]
enum Kind {
    Unit { data_source: String },
    Pipeline { functions: Vec<Function> },
}

/// An APPSYNC_JS resolver.
#[derive(Debug, Clone)]
pub struct Resolver {
    code: Arc<str>,
    kind: Kind,
    max_batch_size: usize,
}

/// How many requests one `BatchInvoke` carries when the resolver does not say: AppSync's
/// fixed batch size before `MaxBatchSize` could be configured (AWS blog "Introducing
/// configurable batching size for AWS AppSync Lambda resolvers").
pub const DEFAULT_MAX_BATCH_SIZE: usize = 5;

/// What resolving a field produced.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct Outcome {
    /// The field's value (`null` when an error ended the run).
    pub data: Value,
    /// The errors for the response's `errors` (appended ones, then the one that ended the run).
    pub errors: Vec<ResolverError>,
    /// The stash at the end of the run.
    pub stash: Map<String, Value>,
    /// True when an error ended the run (`util.error`, `util.unauthorized`, a failure of the
    /// code): it is the last of `errors`, the others were appended.
    pub failed: bool,
    /// True when `util.unauthorized()` ended the run.
    pub unauthorized: bool,
    /// The last `extensions.setSubscriptionFilter` (subscription resolvers).
    pub subscription_filter: Option<Value>,
    /// The last `extensions.setSubscriptionInvalidationFilter`.
    pub subscription_invalidation_filter: Option<Value>,
    /// `extensions.invalidateSubscriptions` calls, in order.
    pub invalidations: Vec<Value>,
    /// `util.http.addResponseHeader(s)`.
    pub response_headers: Map<String, Value>,
}

impl Outcome {
    fn absorb(&mut self, evaluation: &Evaluation, selection: &[String]) {
        self.errors.extend(evaluation.errors.iter().cloned().map(|error| filtered(error, selection)));
        self.stash.clone_from(&evaluation.stash);
        if evaluation.subscription_filter.is_some() {
            self.subscription_filter.clone_from(&evaluation.subscription_filter);
        }
        if evaluation.subscription_invalidation_filter.is_some() {
            self.subscription_invalidation_filter.clone_from(&evaluation.subscription_invalidation_filter);
        }
        self.invalidations.extend(evaluation.invalidations.iter().cloned());
        for (name, value) in &evaluation.response_headers {
            self.response_headers.insert(name.clone(), value.clone());
        }
    }

    fn fail(mut self, error: ResolverError) -> Self {
        self.data = Value::Null;
        self.failed = true;
        self.errors.push(error);
        self
    }
}

/// How a step ended: with a value to go on with, or with the run over.
enum Step {
    Value(Value),
    EarlyReturn(Value, SkipTo),
    Stop(Box<Outcome>),
}

impl Resolver {
    /// A unit resolver: `code`'s handlers around one call of `data_source`.
    #[must_use]
    pub fn unit(code: impl Into<Arc<str>>, data_source: impl Into<String>) -> Self {
        Self {
            code: code.into(),
            kind: Kind::Unit { data_source: data_source.into() },
            max_batch_size: DEFAULT_MAX_BATCH_SIZE,
        }
    }

    /// A pipeline resolver: `code`'s handlers around `functions`, in order.
    #[must_use]
    pub fn pipeline(code: impl Into<Arc<str>>, functions: Vec<Function>) -> Self {
        Self { code: code.into(), kind: Kind::Pipeline { functions }, max_batch_size: DEFAULT_MAX_BATCH_SIZE }
    }

    /// The most requests one `BatchInvoke` sends to the data source (the resolver's
    /// `MaxBatchSize`; default [`DEFAULT_MAX_BATCH_SIZE`]); 0 or 1 sends each alone (still as
    /// a batch of one, as the function expects a list).
    #[must_use]
    pub fn max_batch_size(mut self, size: usize) -> Self {
        self.max_batch_size = size;
        self
    }

    /// Resolves the same field for several sources at once (the items of a list), as AppSync
    /// does when a request handler returns `operation: 'BatchInvoke'`: each item's request
    /// handler runs, the `BatchInvoke` requests go to the data source together in batches of at
    /// most [`max_batch_size`](Self::max_batch_size) ([`DataSource::invoke_batch`]), and each
    /// item's response handler reads its own answer. A pipeline runs its items in step, function
    /// by function, batching each function's `BatchInvoke` requests the same way (its
    /// [`Function::max_batch_size`]). Other requests go one by one. One outcome per context, in
    /// order; each as [`resolve`](Self::resolve) would give it alone.
    pub async fn resolve_batch(
        &self,
        engine: &Engine,
        ctxs: Vec<Context>,
        sources: &DataSources,
    ) -> Vec<Outcome> {
        match &self.kind {
            Kind::Unit { data_source } => {
                unit(engine, &self.code, data_source, self.max_batch_size, ctxs, sources).await
            }
            Kind::Pipeline { functions } => pipeline(engine, &self.code, functions, ctxs, sources).await,
        }
    }

    /// Resolves one field: runs the handlers and data sources in AppSync's order.
    ///
    /// Never fails as a Rust call: every failure (of the code, a data source, a missing data
    /// source) is in the outcome's `errors`, as AppSync reports it in the response.
    pub async fn resolve(&self, engine: &Engine, ctx: Context, sources: &DataSources) -> Outcome {
        self.resolve_batch(engine, vec![ctx], sources).await.pop().unwrap_or_default()
    }
}

/// Where one item of a run stands.
enum Lane {
    /// Going on, with the value the next step starts from (a pipeline's `ctx.prev.result`).
    Going(Value),
    /// Straight to the resolver's response handler with this `ctx.prev.result`
    /// (`runtime.earlyReturn`, `skipTo: 'END'`).
    End(Value),
    /// Over: the outcome is final.
    Done,
}

/// One item of a run: its context, its outcome so far, where it stands.
struct Run {
    ctx: Context,
    outcome: Outcome,
    lane: Lane,
}

/// Where a handler's step leaves an item.
fn lane_after(step: Step, outcome: Outcome) -> (Lane, Outcome) {
    match step {
        Step::Value(value) => (Lane::Going(value), outcome),
        Step::EarlyReturn(value, SkipTo::End) => (Lane::End(value), outcome),
        Step::EarlyReturn(value, SkipTo::Next) => (Lane::Going(value), outcome),
        Step::Stop(failed) => (Lane::Done, *failed),
    }
}

/// Unit resolvers: request -> data source -> response, the data source calls of all the items
/// made together.
async fn unit(
    engine: &Engine,
    code: &str,
    data_source: &str,
    max_batch_size: usize,
    ctxs: Vec<Context>,
    sources: &DataSources,
) -> Vec<Outcome> {
    let mut runs = Vec::with_capacity(ctxs.len());
    let mut pending = Vec::new();
    for ctx in ctxs {
        let outcome = Outcome { stash: ctx.stash.clone(), ..Outcome::default() };
        let (lane, outcome) = match step(engine, code, Handler::Request, &ctx, outcome).await {
            (Step::Value(request), o) => {
                pending.push((runs.len(), request));
                (Lane::Going(Value::Null), o)
            }
            // In a unit resolver an early return is the field's value.
            (Step::EarlyReturn(value, _), mut o) => {
                o.data = value;
                (Lane::Done, o)
            }
            (Step::Stop(failed), _) => (Lane::Done, *failed),
        };
        runs.push(Run { ctx, outcome, lane });
    }
    call_all(sources, data_source, max_batch_size, &mut runs, pending).await;
    let mut outcomes = Vec::with_capacity(runs.len());
    for run in runs {
        outcomes.push(match run.lane {
            Lane::Done => run.outcome,
            Lane::Going(_) | Lane::End(_) => respond(engine, code, &run.ctx, run.outcome).await,
        });
    }
    outcomes
}

/// Pipeline resolvers: the resolver's request, each function's request -> data source ->
/// response, the resolver's response; the items go in step, function by function.
async fn pipeline(
    engine: &Engine,
    code: &str,
    functions: &[Function],
    ctxs: Vec<Context>,
    sources: &DataSources,
) -> Vec<Outcome> {
    let mut runs = Vec::with_capacity(ctxs.len());
    for ctx in ctxs {
        let outcome = Outcome { stash: ctx.stash.clone(), ..Outcome::default() };
        let (step, outcome) = step(engine, code, Handler::Request, &ctx, outcome).await;
        let (lane, outcome) = match step {
            // An early return in the resolver's request skips every function.
            Step::EarlyReturn(value, _) => (Lane::End(value), outcome),
            other => lane_after(other, outcome),
        };
        runs.push(Run { ctx, outcome, lane });
    }
    for function in functions {
        let mut pending = Vec::new();
        for (i, run) in runs.iter_mut().enumerate() {
            let Lane::Going(current) = &run.lane else { continue };
            run.ctx.stash.clone_from(&run.outcome.stash);
            run.ctx.prev = Some(Prev::new(current.clone()));
            run.ctx.result = None;
            run.ctx.error = None;
            let outcome = std::mem::take(&mut run.outcome);
            match step(engine, &function.code, Handler::Request, &run.ctx, outcome).await {
                (Step::Value(request), o) => {
                    run.outcome = o;
                    pending.push((i, request));
                }
                // The function's data source and response are skipped.
                (other, o) => (run.lane, run.outcome) = lane_after(other, o),
            }
        }
        for i in call_all(sources, &function.data_source, function.max_batch_size, &mut runs, pending).await {
            let Some(run) = runs.get_mut(i) else { continue };
            let outcome = std::mem::take(&mut run.outcome);
            let (step, o) = step(engine, &function.code, Handler::Response, &run.ctx, outcome).await;
            (run.lane, run.outcome) = lane_after(step, o);
        }
    }
    let mut outcomes = Vec::with_capacity(runs.len());
    for mut run in runs {
        let prev = match run.lane {
            Lane::Done => {
                outcomes.push(run.outcome);
                continue;
            }
            Lane::Going(value) | Lane::End(value) => value,
        };
        run.ctx.prev = Some(Prev::new(prev));
        run.ctx.stash.clone_from(&run.outcome.stash);
        run.ctx.result = None;
        run.ctx.error = None;
        outcomes.push(respond(engine, code, &run.ctx, run.outcome).await);
    }
    outcomes
}

/// Calls the data source `name` with each pending `(run index, request)`: the `BatchInvoke`
/// requests together, in batches of at most `max_batch_size`, the others one by one; each
/// answer lands in its run's `ctx.result`/`ctx.error`. Returns the indexes called, in order.
async fn call_all(
    sources: &DataSources,
    name: &str,
    max_batch_size: usize,
    runs: &mut [Run],
    pending: Vec<(usize, Value)>,
) -> Vec<usize> {
    let called: Vec<usize> = pending.iter().map(|(i, _)| *i).collect();
    let (batched, single): (Vec<_>, Vec<_>) = pending
        .into_iter()
        .partition(|(_, request)| request.get("operation").and_then(Value::as_str) == Some("BatchInvoke"));
    for chunk in batched.chunks(max_batch_size.max(1)) {
        let mut requests = Vec::with_capacity(chunk.len());
        let mut ctxs = Vec::with_capacity(chunk.len());
        for (i, request) in chunk {
            if let Some(run) = runs.get_mut(*i) {
                run.ctx.stash.clone_from(&run.outcome.stash);
                requests.push(request.clone());
                ctxs.push(run.ctx.clone());
            }
        }
        let answers = match sources.get(name) {
            Some(source) => source.invoke_batch(requests, &ctxs).await,
            None => chunk.iter().map(|_| Err(missing_source(name))).collect(),
        };
        let mut answers = answers.into_iter();
        for (i, _) in chunk {
            let answer = answers.next().unwrap_or_else(|| {
                Err(DataSourceError::new(
                    "The data source answered fewer results than the batch had requests",
                    "BatchInvokeMismatch",
                ))
            });
            if let Some(run) = runs.get_mut(*i) {
                settle(&mut run.ctx, answer);
            }
        }
    }
    for (i, request) in single {
        if let Some(run) = runs.get_mut(i) {
            run.ctx.stash.clone_from(&run.outcome.stash);
            call(sources, name, request, &mut run.ctx).await;
        }
    }
    called
}

/// A unit resolver's response handler, the field's value from it.
async fn respond(engine: &Engine, code: &str, ctx: &Context, outcome: Outcome) -> Outcome {
    match step(engine, code, Handler::Response, ctx, outcome).await {
        (Step::Value(value) | Step::EarlyReturn(value, _), mut o) => {
            o.data = value;
            o
        }
        (Step::Stop(o), _) => *o,
    }
}

/// Runs one handler and folds what it recorded into the outcome.
async fn step(
    engine: &Engine,
    code: &str,
    handler: Handler,
    ctx: &Context,
    mut outcome: Outcome,
) -> (Step, Outcome) {
    let evaluation = match engine.evaluate(code, handler, ctx).await {
        Ok(evaluation) => evaluation,
        Err(error) => {
            let field_error =
                ResolverError::new(error.graphql_message(), error.error_type().map(str::to_owned));
            tracing::debug!(target: "appsync_js", %error, handler = handler.name(), "resolver code failed");
            let failed = outcome.clone().fail(field_error);
            return (Step::Stop(Box::new(failed)), outcome);
        }
    };
    outcome.absorb(&evaluation, &ctx.info.selection_set_list);
    if let Some(error) = evaluation.error {
        let mut error = filtered(error, &ctx.info.selection_set_list);
        if evaluation.unauthorized {
            outcome.unauthorized = true;
            error.message = format!(
                "Not Authorized to access {} on type {}",
                ctx.info.field_name, ctx.info.parent_type_name
            );
        }
        let failed = outcome.clone().fail(error);
        return (Step::Stop(Box::new(failed)), outcome);
    }
    match evaluation.early_return {
        Some(early) => (Step::EarlyReturn(early.value, early.skip_to), outcome),
        None => (Step::Value(evaluation.result), outcome),
    }
}

/// An error's `data` as AppSync returns it: filtered by the field's selection set (guide,
/// "Built-in utilities", `util.error`), when there is one; `errorInfo` is not filtered.
fn filtered(mut error: ResolverError, selection: &[String]) -> ResolverError {
    if !selection.is_empty()
        && let Some(data) = error.data.take()
    {
        error.data = Some(select(data, "", selection));
    }
    error
}

/// Keeps the members of `value` whose paths (`a`, `a/b`) are selected; lists are filtered item by
/// item.
fn select(value: Value, prefix: &str, selection: &[String]) -> Value {
    match value {
        Value::Object(members) => Value::Object(
            members
                .into_iter()
                .filter_map(|(key, member)| {
                    let path = if prefix.is_empty() { key.clone() } else { format!("{prefix}/{key}") };
                    selection.contains(&path).then(|| {
                        let member = select(member, &path, selection);
                        (key, member)
                    })
                })
                .collect(),
        ),
        Value::Array(items) => {
            Value::Array(items.into_iter().map(|item| select(item, prefix, selection)).collect())
        }
        other => other,
    }
}

/// Calls the data source and puts its answer in `ctx.result` or `ctx.error`.
async fn call(sources: &DataSources, name: &str, request: Value, ctx: &mut Context) {
    ctx.result = None;
    ctx.error = None;
    let answer = match sources.get(name) {
        Some(source) => source.invoke(request, ctx).await,
        None => Err(missing_source(name)),
    };
    settle(ctx, answer);
}

fn missing_source(name: &str) -> DataSourceError {
    DataSourceError::new(format!("No data source named '{name}' is configured"), "DataSourceNotFound")
}

/// A data source's answer as the response handler sees it: `ctx.result`, or `ctx.error` with
/// the failure's data (or `null`) as the result.
fn settle(ctx: &mut Context, answer: Result<Value, DataSourceError>) {
    match answer {
        Ok(result) => {
            ctx.result = Some(result);
            ctx.error = None;
        }
        Err(error) => {
            ctx.result = Some(error.data.unwrap_or(Value::Null));
            ctx.error = Some(ContextError::new(error.message, error.error_type));
        }
    }
}
