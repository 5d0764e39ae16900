//! The threads GraphQL execution runs on.
//!
//! apollo-compiler's `execute_async` future is not `Send` (it holds `&dyn AsyncObjectValue`
//! across awaits), so it cannot run on axum's work-stealing tasks. Each executor thread runs a
//! single-threaded tokio runtime with a `LocalSet`; requests are dealt out round-robin and
//! their results come back over a oneshot channel.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use apollo_compiler::response::JsonValue as BValue;
use futures_util::future::LocalBoxFuture;
use tokio::sync::{mpsc, oneshot};

use crate::auth::Identity;
use crate::engine::{Engine, GraphQLRequest};

/// Each executor thread's stack. Execution recurses once per level of the query (nested futures
/// polled inside each other), and AppSync sets no depth limit by default, so the thread must hold
/// the deepest document the parser lets through (see `engine::PARSER_RECURSION_LIMIT`) in a debug
/// build. Only the pages touched are committed.
const STACK_BYTES: usize = 64 * 1024 * 1024;

type Job = Box<dyn FnOnce() -> LocalBoxFuture<'static, ()> + Send>;

pub(crate) struct ThreadPool {
    senders: Vec<mpsc::UnboundedSender<Job>>,
    next: AtomicUsize,
}

impl std::fmt::Debug for ThreadPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ThreadPool").field("threads", &self.senders.len()).finish()
    }
}

impl ThreadPool {
    /// Starts `threads` executor threads; they end when the pool is dropped.
    pub(crate) fn new(threads: usize) -> std::io::Result<Self> {
        let mut senders = Vec::with_capacity(threads);
        for i in 0..threads.max(1) {
            let (tx, mut rx) = mpsc::unbounded_channel::<Job>();
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
            std::thread::Builder::new().name(format!("appsync-exec-{i}")).stack_size(STACK_BYTES).spawn(
                move || {
                    let local = tokio::task::LocalSet::new();
                    local.block_on(&runtime, async move {
                        while let Some(job) = rx.recv().await {
                            tokio::task::spawn_local(job());
                        }
                    });
                },
            )?;
            senders.push(tx);
        }
        Ok(Self { senders, next: AtomicUsize::new(0) })
    }

    /// Executes `req` as `identity` on one of the threads.
    pub(crate) async fn execute(
        &self,
        engine: &Arc<Engine>,
        req: GraphQLRequest,
        identity: Identity,
    ) -> BValue {
        let (tx, rx) = oneshot::channel();
        let engine = Arc::clone(engine);
        let job: Job = Box::new(move || {
            Box::pin(async move {
                let out = engine.execute(&req, &identity).await;
                // The requester may have gone away (client disconnected); nothing to do then.
                let _ = tx.send(out);
            })
        });
        let i = self.next.fetch_add(1, Ordering::Relaxed) % self.senders.len();
        if self.senders[i].send(job).is_err() {
            return internal_error();
        }
        rx.await.unwrap_or_else(|_| internal_error())
    }
}

/// A resolver panicked or the executor stopped: AppSync's generic failure.
pub(crate) fn internal_error() -> BValue {
    crate::response::plain_error("An internal failure occurred while executing the request.", Vec::new())
}
