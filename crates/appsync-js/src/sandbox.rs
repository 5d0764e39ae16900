//! One worker's QuickJS runtime and how a handler is evaluated in it.
//!
//! The utilities are loaded once per worker into a context of their own (the library realm),
//! which is then frozen whole (`lockdown` in `js/utils.js`). Evaluations run in an evaluation
//! context with only the ECMAScript built-ins AppSync offers (no `eval`, no host objects beyond
//! `console` and the utilities), which receives the frozen utilities through two small modules.
//! Each evaluation loads the resolver's module from bytecode (a new instance of it), calls the
//! handler and reads back what it returned and what it recorded through `util`, `runtime` and
//! `extensions`.
//!
//! # Pooled contexts
//!
//! Creating a context (QuickJS builds every built-in afresh) cost about as much as the rest of
//! an evaluation, so a worker keeps its evaluation context for many evaluations. What makes that
//! invisible to resolver code (`js/harden.js`, run once per context after set-up):
//! - every object reachable from the global object, and the intrinsics reachable only through
//!   values (iterator, generator, async function prototypes), is frozen: a prototype, `JSON`,
//!   `Math` or `util` cannot be changed (`TypeError`), so nothing can be hidden in them; data
//!   properties of `Object.prototype` and the error prototypes are accessors whose setter defines
//!   the property on the object assigned to, so overriding an inherited name still works;
//! - the globals set up are read-only and non-configurable, and the globals an evaluation adds
//!   are deleted after it (`reset`);
//! - each evaluation gets a new instance of the resolver's module (its module-level bindings
//!   start over), a new `ctx` parsed from JSON, and a new record behind `util`;
//! - promise jobs an evaluation leaves are run before the next one starts.
//!
//! A context is discarded, and the next evaluation gets a new one, after any failed evaluation
//! (an exception, the time or memory limit: a half-run handler may have left anything), when
//! `reset` cannot restore the globals, after `MAX_RUNS_PER_CONTEXT` evaluations (each leaves its
//! module instance registered in the context until the context goes) and when a garbage
//! collection shows the live heap more than `retained_limit` above what it was after set-up
//! (module instances holding large data).

use std::cell::Cell;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Instant;

use rquickjs::context::intrinsic;
use rquickjs::loader::{ImportAttributes, Loader, Resolver};
use rquickjs::module::{Declared, WriteOptions};
use rquickjs::{Context as JsContext, Ctx, Function, Module, Object, Persistent, Runtime, Value};
use serde::Deserialize;
use serde_json::Map;

use crate::engine::Shared;
use crate::error::{Error, Kind, Location};
use crate::evaluation::{EarlyReturn, Evaluation, Handler, ResolverError};
use crate::natives;

/// The name AppSync gives the resolver's module in messages (`code.js:3:7: TypeError: ...`).
pub(crate) const CODE_MODULE: &str = "code.js";
/// `import { util } from '@aws-appsync/utils'`.
pub(crate) const UTILS_MODULE: &str = "@aws-appsync/utils";
/// `import * as ddb from '@aws-appsync/utils/dynamodb'`.
pub(crate) const DYNAMODB_MODULE: &str = "@aws-appsync/utils/dynamodb";
/// Where the utilities find the natives and the evaluation's record (removed from the global
/// object by the utilities as soon as they hold it).
const HOST_GLOBAL: &str = "__appsync_host";
/// Where `realm.js` and `dynamodb_shim.js` find the library realm's objects (removed as read).
const REALM_GLOBAL: &str = "__appsync_realm";
const DYNAMODB_GLOBAL: &str = "__appsync_dynamodb";

const UTILS_SOURCE: &str = include_str!("../js/utils.js");
const DYNAMODB_SOURCE: &str = include_str!("../js/dynamodb.js");
const REALM_SOURCE: &str = include_str!("../js/realm.js");
const DYNAMODB_SHIM_SOURCE: &str = include_str!("../js/dynamodb_shim.js");
const HARDEN_SOURCE: &str = include_str!("../js/harden.js");
/// The name of the module that hardens an evaluation context (not importable: the resolver
/// refuses every name but AppSync's two).
const HARDEN_MODULE: &str = "appsync-js:harden";

/// Evaluations one context serves before it is replaced. Each leaves its module instance in the
/// context's module list (QuickJS frees modules with their context only), so the cap bounds
/// that memory; creating a context is amortised over this many evaluations.
const MAX_RUNS_PER_CONTEXT: u32 = 256;
/// Promise jobs run after an evaluation before its context is given up instead.
const MAX_JOBS_AFTER_RUN: u32 = 10_000;

/// The ECMAScript built-ins of an evaluation context: the base objects, `Date`, `RegExp`, `JSON`,
/// `Map`/`Set` and promises (module evaluation needs them). Not `Eval` (AppSync refuses `eval`
/// and `new Function`) nor typed arrays (not among AppSync's supported features), each of which
/// would also add to the cost of every fresh context.
type Intrinsics = (
    intrinsic::Date,
    intrinsic::RegExpCompiler,
    intrinsic::RegExp,
    intrinsic::Json,
    intrinsic::MapSet,
    intrinsic::Promise,
);

/// The bytecode of the utilities (for the library realm) and of the modules through which each
/// evaluation's context reaches them.
pub(crate) struct Library {
    utils: Arc<[u8]>,
    dynamodb: Arc<[u8]>,
    realm: Arc<[u8]>,
    dynamodb_shim: Arc<[u8]>,
    harden: Arc<[u8]>,
}

impl Library {
    /// Compiles the embedded modules (once per engine).
    pub(crate) fn compile() -> Result<Self, Error> {
        let runtime = Runtime::new().map_err(internal)?;
        let context = JsContext::full(&runtime).map_err(internal)?;
        // No line numbers needed inside the library: errors are reported at the resolver's line.
        let stripped = || WriteOptions { strip_debug: true, strip_source: true, ..WriteOptions::default() };
        context.with(|ctx| {
            Ok(Self {
                utils: compile(&ctx, UTILS_MODULE, UTILS_SOURCE, stripped())?,
                dynamodb: compile(&ctx, DYNAMODB_MODULE, DYNAMODB_SOURCE, stripped())?,
                realm: compile(&ctx, UTILS_MODULE, REALM_SOURCE, stripped())?,
                dynamodb_shim: compile(&ctx, DYNAMODB_MODULE, DYNAMODB_SHIM_SOURCE, stripped())?,
                harden: compile(&ctx, HARDEN_MODULE, HARDEN_SOURCE, stripped())?,
            })
        })
    }
}

fn compile(ctx: &Ctx<'_>, name: &str, source: &str, options: WriteOptions) -> Result<Arc<[u8]>, Error> {
    let module = Module::declare(ctx.clone(), name, source).map_err(|e| js_error(ctx, e))?;
    let bytecode = module.write(options).map_err(|e| js_error(ctx, e))?;
    Ok(Arc::from(bytecode))
}

/// Loads bytecode this process compiled.
#[allow(
    unsafe_code,
    reason = "QuickJS trusts bytecode; this only ever loads what `compile` wrote in this process"
)]
fn load<'js>(ctx: &Ctx<'js>, bytecode: &[u8]) -> rquickjs::Result<Module<'js, Declared>> {
    // SAFETY: `bytecode` comes from `compile` (the engine's cache or its library), written by
    // `Module::write` of the same QuickJS build; it never comes from outside the process.
    unsafe { Module::load(ctx.clone(), bytecode) }
}

/// Resolves the two module names AppSync provides; anything else is refused.
struct AppSyncResolver;

impl Resolver for AppSyncResolver {
    fn resolve<'js>(
        &mut self,
        ctx: &Ctx<'js>,
        base: &str,
        name: &str,
        _attributes: Option<ImportAttributes<'js>>,
    ) -> rquickjs::Result<String> {
        if name == UTILS_MODULE || name == DYNAMODB_MODULE {
            Ok(name.to_owned())
        } else {
            Err(rquickjs::Exception::throw_reference(
                ctx,
                &format!(
                    "could not resolve module '{name}' imported by {base}: APPSYNC_JS provides \
                     '{UTILS_MODULE}' and '{DYNAMODB_MODULE}' only (bundle anything else into the code)"
                ),
            ))
        }
    }
}

/// Gives QuickJS the declarations of AppSync's modules when it resolves a resolver's imports at
/// compile time; evaluation contexts have them loaded before the resolver's code, so this is
/// not asked there.
struct ShimLoader {
    realm: Arc<[u8]>,
    dynamodb_shim: Arc<[u8]>,
}

impl Loader for ShimLoader {
    fn load<'js>(
        &mut self,
        ctx: &Ctx<'js>,
        name: &str,
        _attributes: Option<ImportAttributes<'js>>,
    ) -> rquickjs::Result<Module<'js, Declared>> {
        match name {
            UTILS_MODULE => load(ctx, &self.realm),
            DYNAMODB_MODULE => load(ctx, &self.dynamodb_shim),
            _ => Err(rquickjs::Error::new_loading(name)),
        }
    }
}

/// The library realm's objects every evaluation is given.
struct Realm {
    /// The natives and the per-evaluation record (`state`).
    host: Persistent<Object<'static>>,
    /// The utilities module's namespace: `util`, `runtime`, `extensions`, `console`, `now`,
    /// `random`.
    utils: Persistent<Object<'static>>,
    /// The dynamodb module's namespace.
    dynamodb: Persistent<Object<'static>>,
}

/// An evaluation context and what the worker needs to reuse it.
struct Pooled {
    // Declared (so dropped) first: a persistent value goes before its context.
    /// `reset` of `js/harden.js`.
    reset: Persistent<Function<'static>>,
    context: JsContext,
    /// Evaluations served so far.
    runs: u32,
    /// The runtime's heap, collected, right after a context was set up.
    baseline: usize,
}

/// One worker thread's runtime.
pub(crate) struct Worker {
    // Declared (so dropped) first: persistent values must go before their context and runtime.
    /// The evaluation context, kept between evaluations (prepared while the worker waits when
    /// there is none).
    pooled: Option<Pooled>,
    realm: Realm,
    _library: JsContext,
    shared: Arc<Shared>,
    runtime: Runtime,
    deadline: Rc<Cell<Option<Instant>>>,
    interrupted: Rc<Cell<bool>>,
    /// The heap, collected, once the worker's first evaluation context was set up.
    baseline: Cell<Option<usize>>,
}

impl Worker {
    pub(crate) fn new(shared: Arc<Shared>) -> Result<Self, Error> {
        let runtime = Runtime::new().map_err(internal)?;
        runtime.set_memory_limit(shared.memory_limit);
        runtime.set_gc_threshold(gc_threshold(shared.memory_limit));
        runtime.set_max_stack_size(shared.max_stack_size);
        runtime.set_loader(
            AppSyncResolver,
            ShimLoader {
                realm: Arc::clone(&shared.library.realm),
                dynamodb_shim: Arc::clone(&shared.library.dynamodb_shim),
            },
        );
        let deadline: Rc<Cell<Option<Instant>>> = Rc::new(Cell::new(None));
        let interrupted = Rc::new(Cell::new(false));
        {
            let deadline = Rc::clone(&deadline);
            let interrupted = Rc::clone(&interrupted);
            runtime.set_interrupt_handler(Some(Box::new(move || {
                let over = deadline.get().is_some_and(|at| Instant::now() >= at);
                if over {
                    interrupted.set(true);
                }
                over
            })));
        }
        let library = JsContext::custom::<Intrinsics>(&runtime).map_err(internal)?;
        let realm = library.with(|ctx| {
            let setup = || -> rquickjs::Result<Realm> {
                let host = natives::host_object(&ctx, &shared.host)?;
                ctx.globals().set(HOST_GLOBAL, host.clone())?;
                let utils = evaluate_module(load(&ctx, &shared.library.utils)?)?.namespace()?;
                let dynamodb = evaluate_module(load(&ctx, &shared.library.dynamodb)?)?.namespace()?;
                let lockdown: Function<'_> = utils.get("lockdown")?;
                lockdown.call::<_, ()>((dynamodb.clone(),))?;
                Ok(Realm {
                    host: Persistent::save(&ctx, host),
                    utils: Persistent::save(&ctx, utils),
                    dynamodb: Persistent::save(&ctx, dynamodb),
                })
            };
            setup().map_err(|e| js_error(&ctx, e))
        })?;
        Ok(Self {
            pooled: None,
            realm,
            _library: library,
            shared,
            runtime,
            deadline,
            interrupted,
            baseline: Cell::new(None),
        })
    }

    /// Prepares the evaluation context now, while there is nothing to evaluate, if the last
    /// one was discarded: creating one is a good part of an evaluation's cost.
    pub(crate) fn prepare_spare(&mut self) {
        if self.pooled.is_none() {
            self.pooled = self.fresh_context().ok();
        }
    }

    /// A new context holding AppSync's modules, hardened, ready for resolvers' modules.
    fn fresh_context(&self) -> Result<Pooled, Error> {
        let js = JsContext::custom::<Intrinsics>(&self.runtime).map_err(internal)?;
        self.shared.contexts.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let reset = js.with(|ctx| {
            let setup = || -> rquickjs::Result<Persistent<Function<'static>>> {
                ctx.globals().set(REALM_GLOBAL, self.realm.utils.clone().restore(&ctx)?)?;
                ctx.globals().set(DYNAMODB_GLOBAL, self.realm.dynamodb.clone().restore(&ctx)?)?;
                evaluate_module(load(&ctx, &self.shared.library.realm)?)?;
                evaluate_module(load(&ctx, &self.shared.library.dynamodb_shim)?)?;
                let harden = evaluate_module(load(&ctx, &self.shared.library.harden)?)?;
                let reset: Function<'_> = harden.get("reset")?;
                Ok(Persistent::save(&ctx, reset))
            };
            setup().map_err(|e| js_error(&ctx, e))
        })?;
        // What a context needs once set up, measured for the worker's first (both a collection
        // and the measure walk the whole heap): evaluations may add to it (their module
        // instances) only up to `retained_limit`.
        let baseline = match self.baseline.get() {
            Some(baseline) => baseline,
            None => {
                self.runtime.run_gc();
                let baseline = usize::try_from(self.runtime.memory_usage().malloc_size).unwrap_or(0);
                self.baseline.set(Some(baseline));
                baseline
            }
        };
        Ok(Pooled { reset, context: js, runs: 0, baseline })
    }

    /// Evaluates `handler` of `code` with the JSON context `context`.
    pub(crate) fn evaluate(
        &mut self,
        code: &Arc<str>,
        handler: Handler,
        context: &str,
        auth_type: &str,
    ) -> Result<Evaluation, Error> {
        self.interrupted.set(false);
        let outcome = self.evaluate_in_pooled_context(code, handler, context, auth_type);
        self.deadline.set(None);
        // A collection during the evaluation lowered the threshold to half again the heap it
        // left; garbage may build up to the full threshold again before the next one.
        self.runtime.set_gc_threshold(gc_threshold(self.shared.memory_limit));
        match outcome {
            Ok(evaluation) => Ok(evaluation),
            Err(error) => {
                // Whatever a failed evaluation left (cycles, a half-built heap) goes now, so the
                // next one starts with the whole memory limit.
                self.runtime.run_gc();
                if self.interrupted.get() { Err(Error::timeout(self.shared.timeout)) } else { Err(error) }
            }
        }
    }

    fn bytecode(&self, code: &Arc<str>) -> Result<Arc<[u8]>, Error> {
        if let Some(bytecode) = self.shared.cached(code) {
            return Ok(bytecode);
        }
        let compiler = JsContext::full(&self.runtime).map_err(internal)?;
        let bytecode = compiler.with(|ctx| compile(&ctx, CODE_MODULE, code, WriteOptions::default()))?;
        self.shared.store(Arc::clone(code), Arc::clone(&bytecode));
        Ok(bytecode)
    }

    fn evaluate_in_pooled_context(
        &mut self,
        code: &Arc<str>,
        handler: Handler,
        context: &str,
        auth_type: &str,
    ) -> Result<Evaluation, Error> {
        let bytecode = self.bytecode(code)?;
        let mut pooled = match self.pooled.take() {
            Some(pooled) => pooled,
            None => self.fresh_context()?,
        };
        // The limit is the handler's: compiling (once per source) and preparing the context are
        // the engine's work.
        self.deadline.set(Some(Instant::now() + self.shared.timeout));
        let (outcome, reusable) = pooled.context.with(|ctx| {
            let before = collection_threshold(&ctx);
            let outcome = self
                .run(&ctx, &bytecode, handler, context, auth_type)
                .map_err(|e| js_error(&ctx, e))
                .and_then(|r| r);
            // A failed evaluation may have stopped anywhere (mid-way through a job, at the
            // memory limit): its context is not trusted again.
            let reusable = outcome.is_ok() && settle(&ctx, &pooled.reset) && !self.interrupted.get();
            let after = collection_threshold(&ctx);
            // QuickJS sets its threshold to half again the live heap when it collects, so a
            // new threshold tells that a collection ran and what it left.
            let retains_too_much = after != before
                && after / 3 * 2 > pooled.baseline.saturating_add(retained_limit(self.shared.memory_limit));
            (outcome, reusable && !retains_too_much)
        });
        pooled.runs += 1;
        if reusable && pooled.runs < MAX_RUNS_PER_CONTEXT {
            self.pooled = Some(pooled);
        }
        outcome
    }

    /// The outer `Result` carries JavaScript failures (turned into [`Error`] by the caller with
    /// the context at hand); the inner one the evaluation's own errors.
    fn run<'js>(
        &self,
        ctx: &Ctx<'js>,
        bytecode: &[u8],
        handler: Handler,
        context: &str,
        auth_type: &str,
    ) -> rquickjs::Result<Result<Evaluation, Error>> {
        let host = self.realm.host.clone().restore(ctx)?;
        host.set("state", Object::new(ctx.clone())?)?;
        host.set("authType", auth_type)?;
        let module = evaluate_module(load(ctx, bytecode)?)?;

        let mut function: Value<'js> = module.get(handler.export())?;
        if let Some(member) = handler.member() {
            function = match function.into_object() {
                Some(object) => object.get(member)?,
                None => Value::new_undefined(ctx.clone()),
            };
        }
        let Some(function) = function.into_function() else {
            let message = match handler.member() {
                None => format!("The code does not export a function named '{}'", handler.name()),
                Some(member) => format!(
                    "The code's '{}' has no function '{member}': a handler with a data source integration is exported as an object with request and response functions",
                    handler.export()
                ),
            };
            return Ok(Err(Error::new(Kind::Module, message)));
        };
        let ctx_object: Object<'js> = match ctx.json_parse(context)?.into_object() {
            Some(object) => object,
            None => return Ok(Err(Error::new(Kind::Internal, "the context is not an object"))),
        };
        // `ctx.args` is `ctx.arguments` (a resolver's context; an Events handler's has neither).
        let arguments: Value<'js> = ctx_object.get("arguments")?;
        if !arguments.is_undefined() {
            ctx_object.set("args", arguments)?;
        }

        let returned = call(&function, &ctx_object);
        let state: Value<'js> = host.get("state")?;
        // The record belongs to this context; the shared host must not keep it alive.
        host.set("state", Value::new_undefined(ctx.clone()))?;
        let state: State = match to_json(ctx, state)? {
            Some(json) => match serde_json::from_value(json) {
                Ok(state) => state,
                Err(e) => {
                    return Ok(Err(
                        Error::new(Kind::Internal, "the utilities' record did not read back").with_source(e)
                    ));
                }
            },
            None => State::default(),
        };
        let stopped = state.error.is_some() || state.early_return.is_some();
        let result = match returned {
            Ok(value) => to_json(ctx, value)?.unwrap_or_default(),
            // `util.error`, `util.unauthorized` and `runtime.earlyReturn` end the handler by
            // throwing; what they recorded is the outcome.
            Err(rquickjs::Error::Exception) if stopped => {
                let _ = ctx.catch();
                serde_json::Value::Null
            }
            Err(e) => return Err(e),
        };
        let stash = match to_json(ctx, ctx_object.get::<_, Value<'js>>("stash")?)? {
            Some(serde_json::Value::Object(stash)) => stash,
            _ => Map::new(),
        };
        let early_return = state.early_return;
        Ok(Ok(Evaluation {
            result: early_return.as_ref().map_or(result, |early| early.value.clone()),
            stash,
            error: state.error,
            unauthorized: state.unauthorized,
            errors: state.errors,
            early_return,
            subscription_filter: state.subscription_filter,
            subscription_invalidation_filter: state.subscription_invalidation_filter,
            invalidations: state.invalidations,
            cache_evictions: state.cache_evictions,
            response_headers: state.response_headers,
            logs: state.logs,
        }))
    }
}

/// The heap size at which QuickJS collects cycles. Its own rule (collect when the heap has grown
/// by half since the last collection) collected every second or third evaluation here, as each
/// dropped context leaves cyclic garbage (constructors and their prototypes) and the library
/// realm is most of the live heap: walking it was a fifth of the worker's time in the
/// resolver benchmark (BENCHMARKS.md). Garbage may now build up to a quarter of the memory
/// limit; a collection still runs before the heap reaches it, so no evaluation loses room.
fn gc_threshold(memory_limit: usize) -> usize {
    memory_limit / 4
}

/// Brings a context back to its state after set-up once an evaluation is over: runs the promise
/// jobs it left (under its time limit) and deletes the globals it added. False when that could
/// not be done: the context is then discarded.
fn settle(ctx: &Ctx<'_>, reset: &Persistent<Function<'static>>) -> bool {
    let mut jobs = 0;
    while ctx.execute_pending_job() {
        jobs += 1;
        if jobs >= MAX_JOBS_AFTER_RUN {
            return false;
        }
    }
    let Ok(reset) = reset.clone().restore(ctx) else { return false };
    matches!(reset.call::<_, bool>(()), Ok(true))
}

/// QuickJS's current collection threshold (rquickjs has no getter for it).
#[allow(unsafe_code, reason = "rquickjs has no getter for the collection threshold")]
fn collection_threshold(ctx: &Ctx<'_>) -> usize {
    // SAFETY: `ctx` is a live context of this thread's runtime, borrowed for this call; the
    // runtime outlives it and `JS_GetGCThreshold` only reads a field of it.
    let threshold =
        unsafe { rquickjs::qjs::JS_GetGCThreshold(rquickjs::qjs::JS_GetRuntime(ctx.as_raw().as_ptr())) };
    usize::try_from(threshold).unwrap_or(usize::MAX)
}

/// How much live memory evaluations may leave in a context (module instances and what they
/// hold, freed only with the context) before it is replaced: an eighth of the memory limit.
fn retained_limit(memory_limit: usize) -> usize {
    memory_limit / 8
}

fn call<'js>(function: &Function<'js>, ctx_object: &Object<'js>) -> rquickjs::Result<Value<'js>> {
    function.call((ctx_object.clone(),))
}

fn evaluate_module(
    module: Module<'_, Declared>,
) -> rquickjs::Result<Module<'_, rquickjs::module::Evaluated>> {
    let (module, promise) = module.eval()?;
    promise.finish::<()>()?;
    Ok(module)
}

/// A value as JSON (`None` for `undefined` and functions, as `JSON.stringify` has it).
fn to_json<'js>(ctx: &Ctx<'js>, value: Value<'js>) -> rquickjs::Result<Option<serde_json::Value>> {
    let Some(text) = ctx.json_stringify(value)? else { return Ok(None) };
    let text = text.to_string()?;
    serde_json::from_str(&text)
        .map(Some)
        .map_err(|e| rquickjs::Exception::throw_internal(ctx, &e.to_string()))
}

/// What the utilities recorded during the evaluation (see `js/utils.js`, `record`).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct State {
    error: Option<ResolverError>,
    unauthorized: bool,
    errors: Vec<ResolverError>,
    early_return: Option<EarlyReturn>,
    subscription_filter: Option<serde_json::Value>,
    subscription_invalidation_filter: Option<serde_json::Value>,
    invalidations: Vec<serde_json::Value>,
    cache_evictions: Vec<serde_json::Value>,
    response_headers: Map<String, serde_json::Value>,
    logs: Vec<String>,
}

fn internal(e: rquickjs::Error) -> Error {
    Error::new(Kind::Internal, "the JavaScript runtime failed").with_source(e)
}

/// Turns a QuickJS failure into the crate's error, reading the pending exception.
fn js_error(ctx: &Ctx<'_>, error: rquickjs::Error) -> Error {
    match error {
        rquickjs::Error::Exception => {
            let thrown = ctx.catch();
            describe_exception(ctx, &thrown)
        }
        rquickjs::Error::Allocation => Error::new(Kind::OutOfMemory, "InternalError: out of memory"),
        rquickjs::Error::Resolving { .. } | rquickjs::Error::Loading { .. } => {
            Error::new(Kind::Module, error.to_string())
        }
        other => internal(other),
    }
}

fn describe_exception<'js>(ctx: &Ctx<'js>, thrown: &Value<'js>) -> Error {
    let Some(object) = thrown.as_object() else {
        if thrown.is_null() {
            // QuickJS throws `null` when it cannot even allocate the error object.
            return Error::new(Kind::OutOfMemory, "InternalError: out of memory");
        }
        let text = to_json(ctx, thrown.clone())
            .ok()
            .flatten()
            .map_or_else(|| "undefined".to_owned(), |v| v.to_string());
        return Error::new(Kind::Exception, format!("Uncaught {text}"));
    };
    let name: String = object.get("name").unwrap_or_else(|_| "Error".to_owned());
    let message: String = object.get("message").unwrap_or_default();
    let stack: String = object.get("stack").unwrap_or_default();
    let location = locate(&stack).or_else(|| locate(&message));
    let kind = match name.as_str() {
        "SyntaxError" => Kind::Syntax,
        "InternalError" if message.contains("out of memory") => Kind::OutOfMemory,
        "ReferenceError" if message.starts_with("could not resolve module") => Kind::Module,
        _ => Kind::Exception,
    };
    Error::new(kind, format!("{name}: {message}")).at(location)
}

/// The first `code.js:LINE:COL` in a stack trace.
fn locate(stack: &str) -> Option<Location> {
    let start = stack.find(CODE_MODULE)? + CODE_MODULE.len();
    let rest = stack[start..].strip_prefix(':')?;
    let mut parts = rest.splitn(3, |c: char| !c.is_ascii_digit());
    let line = parts.next()?.parse().ok()?;
    let column = parts.next().and_then(|c| c.parse().ok()).unwrap_or(1);
    Some(Location { line, column })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_are_read_from_stack_traces() {
        assert_eq!(locate("    at request (code.js:3:11)\n"), Some(Location { line: 3, column: 11 }));
        assert_eq!(locate("    at code.js:7\n"), Some(Location { line: 7, column: 1 }));
        assert_eq!(locate("    at <anonymous>\n"), None);
    }
}
