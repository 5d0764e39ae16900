//! The engine: a pool of worker threads, each owning one QuickJS runtime, and the compiled-code
//! cache they share.
//!
//! Resolver code is compiled to bytecode once per distinct source (whichever worker meets it
//! first) and every evaluation loads that bytecode as a new module instance into its worker's
//! hardened context (see `sandbox.rs`), so nothing one evaluation leaves behind is seen by the
//! next. A worker's runtime carries the time limit (an
//! interrupt handler checking a deadline), the memory limit and the stack limit; a runaway
//! evaluation ends with an error and the runtime serves the next one.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::thread;
use std::time::Duration;

use tokio::sync::oneshot;

use crate::context::Context;
use crate::error::{Error, Kind};
use crate::evaluation::{Evaluation, Handler};
use crate::event_context::EventContext;
use crate::host::{Host, SystemHost};
use crate::sandbox::{Library, Worker};

const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);
const DEFAULT_MEMORY_LIMIT: usize = 64 * 1024 * 1024;
const DEFAULT_MAX_STACK_SIZE: usize = 512 * 1024;
/// The native stack of a worker thread: well above the JavaScript stack limit, so QuickJS's
/// own check ends deep recursion before the thread's guard page would.
const WORKER_THREAD_STACK: usize = 8 * 1024 * 1024;
/// Distinct sources kept compiled; past this the cache starts again (a project has tens).
const CACHE_CAPACITY: usize = 4096;

/// Configures an [`Engine`].
#[must_use]
pub struct EngineBuilder {
    timeout: Duration,
    memory_limit: usize,
    max_stack_size: usize,
    workers: usize,
    host: Arc<dyn Host>,
}

impl std::fmt::Debug for EngineBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EngineBuilder")
            .field("timeout", &self.timeout)
            .field("memory_limit", &self.memory_limit)
            .field("max_stack_size", &self.max_stack_size)
            .field("workers", &self.workers)
            .finish_non_exhaustive()
    }
}

impl Default for EngineBuilder {
    fn default() -> Self {
        Self {
            timeout: DEFAULT_TIMEOUT,
            memory_limit: DEFAULT_MEMORY_LIMIT,
            max_stack_size: DEFAULT_MAX_STACK_SIZE,
            workers: thread::available_parallelism().map_or(2, usize::from),
            host: Arc::new(SystemHost),
        }
    }
}

impl EngineBuilder {
    /// The longest one handler may run (default 5 s; AppSync allows a request 30 s in all).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The most memory one worker's runtime may hold, in bytes (default 64 MiB).
    pub fn memory_limit(mut self, bytes: usize) -> Self {
        self.memory_limit = bytes;
        self
    }

    /// The JavaScript stack limit in bytes (default 512 KiB), which ends deep recursion.
    pub fn max_stack_size(mut self, bytes: usize) -> Self {
        self.max_stack_size = bytes;
        self
    }

    /// How many evaluations may run at once, each on its own thread (default: the number of
    /// CPUs).
    pub fn workers(mut self, workers: usize) -> Self {
        self.workers = workers;
        self
    }

    /// The clock and randomness resolver code sees (default: [`SystemHost`]).
    pub fn host(mut self, host: impl Host) -> Self {
        self.host = Arc::new(host);
        self
    }

    /// Starts the workers.
    ///
    /// # Errors
    /// A zero timeout, worker count or limit ([`Error::field`] names it), or a worker thread
    /// that could not be started.
    pub fn build(self) -> Result<Engine, Error> {
        if self.timeout.is_zero() {
            return Err(Error::config("timeout", "must be greater than zero"));
        }
        if self.workers == 0 {
            return Err(Error::config("workers", "must be at least 1"));
        }
        if self.memory_limit < 1024 * 1024 {
            return Err(Error::config("memory_limit", "must be at least 1 MiB (the utilities need room)"));
        }
        if self.max_stack_size < 64 * 1024 || self.max_stack_size > WORKER_THREAD_STACK / 2 {
            return Err(Error::config(
                "max_stack_size",
                format!("must be between 64 KiB and {} KiB", WORKER_THREAD_STACK / 2 / 1024),
            ));
        }
        let library = Library::compile()?;
        let shared = Arc::new(Shared {
            timeout: self.timeout,
            memory_limit: self.memory_limit,
            max_stack_size: self.max_stack_size,
            host: self.host,
            library,
            cache: Mutex::new(HashMap::new()),
            compilations: AtomicU64::new(0),
            evaluations: AtomicU64::new(0),
            contexts: AtomicU64::new(0),
        });
        let (sender, receiver) = mpsc::channel::<Job>();
        let receiver = Arc::new(Mutex::new(receiver));
        for index in 0..self.workers {
            let shared = Arc::clone(&shared);
            let receiver = Arc::clone(&receiver);
            thread::Builder::new()
                .name(format!("appsync-js-{index}"))
                .stack_size(WORKER_THREAD_STACK)
                .spawn(move || run_worker(&shared, &receiver))
                .map_err(|e| {
                    Error::new(Kind::Internal, "could not start a JavaScript worker thread").with_source(e)
                })?;
        }
        Ok(Engine { inner: Arc::new(Inner { sender, shared }) })
    }
}

/// The APPSYNC_JS runtime: evaluates resolver and function handlers.
///
/// Cheap to clone; clones share the workers and the compiled-code cache. The workers stop when
/// the last clone is dropped.
#[derive(Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("timeout", &self.inner.shared.timeout)
            .field("memory_limit", &self.inner.shared.memory_limit)
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

struct Inner {
    sender: mpsc::Sender<Job>,
    shared: Arc<Shared>,
}

pub(crate) struct Shared {
    pub(crate) timeout: Duration,
    pub(crate) memory_limit: usize,
    pub(crate) max_stack_size: usize,
    pub(crate) host: Arc<dyn Host>,
    pub(crate) library: Library,
    cache: Mutex<HashMap<Arc<str>, Arc<[u8]>>>,
    compilations: AtomicU64,
    evaluations: AtomicU64,
    pub(crate) contexts: AtomicU64,
}

impl Shared {
    pub(crate) fn cached(&self, code: &str) -> Option<Arc<[u8]>> {
        self.cache.lock().ok()?.get(code).cloned()
    }

    pub(crate) fn store(&self, code: Arc<str>, bytecode: Arc<[u8]>) {
        self.compilations.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut cache) = self.cache.lock() {
            if cache.len() >= CACHE_CAPACITY {
                cache.clear();
            }
            cache.insert(code, bytecode);
        }
    }
}

/// Counters for what the engine has done.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct EngineStats {
    /// Sources compiled (each distinct source once while it stays cached).
    pub compilations: u64,
    /// Handlers evaluated.
    pub evaluations: u64,
    /// Evaluation contexts created. A worker keeps its context for many evaluations and
    /// replaces it after a failed one, after a few hundred, or when it holds too much memory.
    pub contexts: u64,
}

pub(crate) struct Job {
    pub(crate) code: Arc<str>,
    pub(crate) handler: Handler,
    pub(crate) context: String,
    pub(crate) auth_type: &'static str,
    reply: oneshot::Sender<Result<Evaluation, Error>>,
}

impl Engine {
    /// An engine with the default settings.
    ///
    /// # Errors
    /// As [`EngineBuilder::build`].
    pub fn new() -> Result<Self, Error> {
        Self::builder().build()
    }

    /// Configures an engine.
    pub fn builder() -> EngineBuilder {
        EngineBuilder::default()
    }

    /// What the engine has done so far.
    #[must_use]
    pub fn stats(&self) -> EngineStats {
        EngineStats {
            compilations: self.inner.shared.compilations.load(Ordering::Relaxed),
            evaluations: self.inner.shared.evaluations.load(Ordering::Relaxed),
            contexts: self.inner.shared.contexts.load(Ordering::Relaxed),
        }
    }

    /// Runs `handler` of the module `code` with `ctx`, on a worker thread.
    ///
    /// `util.error` and friends are not Rust errors: they are in the [`Evaluation`].
    ///
    /// # Errors
    /// A failure of the code ([`Error::error_type`] is `"Code"`): a syntax error, an uncaught
    /// exception, the time or memory limit, a missing handler or an unknown import.
    pub async fn evaluate(&self, code: &str, handler: Handler, ctx: &Context) -> Result<Evaluation, Error> {
        let answer = self.submit(code, handler, ctx, ctx.identity.auth_type())?;
        answer.await.map_err(|_| worker_gone())?
    }

    /// [`Engine::evaluate`] for callers without an async runtime: blocks until the worker
    /// answers.
    ///
    /// # Errors
    /// As [`Engine::evaluate`].
    pub fn evaluate_blocking(
        &self,
        code: &str,
        handler: Handler,
        ctx: &Context,
    ) -> Result<Evaluation, Error> {
        let answer = self.submit(code, handler, ctx, ctx.identity.auth_type())?;
        answer.blocking_recv().map_err(|_| worker_gone())?
    }

    /// Runs an AppSync Events handler (`onPublish` or `onSubscribe`) of the module `code` with
    /// `ctx`, on a worker thread, with the same limits as resolvers.
    ///
    /// # Errors
    /// As [`Engine::evaluate`].
    pub async fn evaluate_event(
        &self,
        code: &str,
        handler: Handler,
        ctx: &EventContext,
    ) -> Result<Evaluation, Error> {
        let answer = self.submit(code, handler, ctx, ctx.identity.auth_type())?;
        answer.await.map_err(|_| worker_gone())?
    }

    /// [`Engine::evaluate_event`] for callers without an async runtime.
    ///
    /// # Errors
    /// As [`Engine::evaluate`].
    pub fn evaluate_blocking_event(
        &self,
        code: &str,
        handler: Handler,
        ctx: &EventContext,
    ) -> Result<Evaluation, Error> {
        let answer = self.submit(code, handler, ctx, ctx.identity.auth_type())?;
        answer.blocking_recv().map_err(|_| worker_gone())?
    }

    fn submit(
        &self,
        code: &str,
        handler: Handler,
        ctx: &impl serde::Serialize,
        auth_type: &'static str,
    ) -> Result<oneshot::Receiver<Result<Evaluation, Error>>, Error> {
        let context = serde_json::to_string(ctx)
            .map_err(|e| Error::new(Kind::Internal, "the context could not be serialized").with_source(e))?;
        let (reply, answer) = oneshot::channel();
        let job = Job { code: Arc::from(code), handler, context, auth_type, reply };
        self.inner
            .sender
            .send(job)
            .map_err(|_| Error::new(Kind::Internal, "the JavaScript workers have stopped"))?;
        Ok(answer)
    }
}

fn worker_gone() -> Error {
    Error::new(Kind::Internal, "a JavaScript worker stopped mid-evaluation")
}

fn run_worker(shared: &Arc<Shared>, receiver: &Mutex<mpsc::Receiver<Job>>) {
    let mut worker = match Worker::new(Arc::clone(shared)) {
        Ok(worker) => worker,
        Err(error) => {
            tracing::error!(target: "appsync_js", %error, "a JavaScript worker could not start");
            return;
        }
    };
    loop {
        worker.prepare_spare();
        let job = {
            let Ok(receiver) = receiver.lock() else { return };
            match receiver.recv() {
                Ok(job) => job,
                Err(_) => return,
            }
        };
        shared.evaluations.fetch_add(1, Ordering::Relaxed);
        let outcome = worker.evaluate(&job.code, job.handler, &job.context, job.auth_type);
        // The caller may have gone (a cancelled request): nothing to tell it.
        let _ = job.reply.send(outcome);
    }
}
