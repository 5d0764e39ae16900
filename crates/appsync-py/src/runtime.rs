//! The size of the package's tokio runtime (pyo3-async-runtimes' global one).
//!
//! Its default is a worker thread per core. Beside an asyncio loop that is a thread too many:
//! the loop is one thread doing most of the work (a request's Python side costs several times
//! its Rust side), and workers that compete with it for the cores make it wait for one, which
//! is what a coroutine sees as the loop's lag. Measured on 2 cores at 100 tasks (BENCHMARKS.md,
//! Python package): with one worker the loop's lag p99 was 3.0-4.1 ms against 4.3-9.5 ms with
//! two, the loop thread waited for a core a third of the run against half, and events/s and
//! CPU per request did not change beyond the rounds' spread. So: one core left to the loop, at
//! most two workers (the Rust side of the requests of one loop does not need more), at least one.

/// Sets the runtime's size; called when the module is imported, before the runtime is built.
pub(crate) fn configure() {
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    builder.enable_all().worker_threads(cores.saturating_sub(1).clamp(1, 2));
    pyo3_async_runtimes::tokio::init(builder);
}
