//! Rust futures as asyncio futures, their results handed to the event loop in batches.
//!
//! pyo3-async-runtimes' `future_into_py` hands each result back on its own: a blocking thread
//! takes the GIL (contending with the loop, which then has to give it up) and calls
//! `call_soon_threadsafe`, which wakes the loop through its self-pipe, once per call. With 100
//! tasks in flight that is most of a request's CPU time and what makes the loop late.
//!
//! Here each event loop has one queue of finished results. A Rust future that finishes (on a
//! tokio thread, without the GIL) pushes its output; only the push that finds no drain
//! scheduled wakes the loop, by writing a byte to a pipe the loop watches (`add_reader`). The
//! loop then resolves the futures queued so far, converting each output to Python there, a
//! slice per turn of the loop so that timers and other callbacks are not kept waiting. Tokio threads never touch Python on this path. A loop that cannot watch a pipe
//! (Windows' proactor loop) is woken with one `call_soon_threadsafe` per batch instead.
//!
//! Code that is told when a waiting task may go on, rather than running a future of its own (a
//! subscription's waker, see [`pump`](crate::pump)), takes a future from [`wakeup`] and
//! resolves it through the same queue.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3_async_runtimes::TaskLocals;

/// Turns a finished future's output into its Python result, on the loop's thread.
type Resolve = Box<dyn FnOnce(Python<'_>) -> PyResult<Py<PyAny>> + Send>;

/// A finished future: the asyncio future to resolve and how.
struct Finished {
    future: Py<PyAny>,
    resolve: Resolve,
}

/// How a loop is told that its queue has something.
enum Wake {
    /// A byte on a pipe the loop reads with `add_reader`; no GIL needed to write it.
    #[cfg(unix)]
    Pipe { reader: std::io::PipeReader, writer: std::io::PipeWriter },
    /// `call_soon_threadsafe`, under the GIL.
    Threadsafe,
}

/// One event loop's queue of finished futures.
pub(crate) struct Loop {
    /// The loop (for `scope`, so that code run by the future finds it), and its identity.
    locals: TaskLocals,
    id: usize,
    queue: Mutex<VecDeque<Finished>>,
    /// Whether a drain is due: set by the push that finds it clear, cleared by the drain.
    scheduled: AtomicBool,
    wake: Wake,
}

impl Loop {
    /// Queues `finished`, waking the loop unless a drain is already due.
    fn push(self: &Arc<Self>, finished: Finished) {
        self.queue.lock().unwrap_or_else(PoisonError::into_inner).push_back(finished);
        // After the push: a drain that clears the flag after this point takes the item.
        if self.scheduled.swap(true, Ordering::AcqRel) {
            return;
        }
        match &self.wake {
            #[cfg(unix)]
            Wake::Pipe { writer, .. } => {
                use std::io::Write as _;
                // One byte per scheduled drain; the drain reads them before clearing the flag,
                // so the pipe never holds more than a few.
                let _ = (&*writer).write(&[1]);
            }
            Wake::Threadsafe => {
                let this = Arc::clone(self);
                crate::exit::attach(|py| {
                    // A closed loop refuses: its futures are gone with it.
                    let _ = self
                        .locals
                        .event_loop(py)
                        .call_method1(pyo3::intern!(py, "call_soon_threadsafe"), (Drain(this),));
                });
            }
        }
    }

    /// Resolves the futures queued so far, [`SLICE`] at a time (on the loop's thread).
    fn drain(self: &Arc<Self>, py: Python<'_>) {
        #[cfg(unix)]
        if let Wake::Pipe { reader, .. } = &self.wake {
            use std::io::Read as _;
            // Before the flag is cleared: a byte written after this belongs to the next drain.
            let mut bytes = [0u8; 64];
            while matches!((&*reader).read(&mut bytes), Ok(n) if n == bytes.len()) {}
        }
        let (slice, more) = {
            let mut queue = self.queue.lock().unwrap_or_else(PoisonError::into_inner);
            let n = queue.len().min(SLICE);
            let slice: Vec<Finished> = queue.drain(..n).collect();
            let more = !queue.is_empty();
            if !more {
                // Under the lock, the queue empty: the next push wakes the loop again.
                self.scheduled.store(false, Ordering::SeqCst);
            }
            (slice, more)
        };
        for Finished { future, resolve } in slice {
            let future = future.bind(py);
            let outcome = match resolve(py) {
                Ok(value) => future.call_method1(pyo3::intern!(py, "set_result"), (value,)),
                Err(err) => future.call_method1(pyo3::intern!(py, "set_exception"), (err.into_value(py),)),
            };
            match outcome {
                // Cancelled meanwhile: nobody waits for the result.
                Err(e) if e.is_instance_of::<pyo3::exceptions::asyncio::InvalidStateError>(py) => {}
                Err(e) => e.write_unraisable(py, Some(future)),
                Ok(_) => {}
            }
        }
        if more {
            // The rest after the loop's next turn (the flag stays set: no wake-up needed).
            let again = self
                .locals
                .event_loop(py)
                .call_method1(pyo3::intern!(py, "call_soon"), (Drain(Arc::clone(self)),));
            if let Err(e) = again {
                e.write_unraisable(py, None);
            }
        }
    }
}

/// Futures resolved per turn of the loop: each wakes a task that runs in the loop's next turn,
/// so a drain of hundreds at once would make that turn (and every timer behind it) that long.
/// Measured at 100 tasks (BENCHMARKS.md, Python package): the loop's own lag p99 was 1.6 ms at
/// 16, 3.6 ms resolving everything at once, 1.2 ms at 4.
const SLICE: usize = 16;

/// The loop's callback: drains its queue.
#[pyclass(frozen, module = "appsync._appsync", name = "_Drain")]
struct Drain(Arc<Loop>);

#[pymethods]
impl Drain {
    fn __call__(&self, py: Python<'_>) {
        self.0.drain(py);
    }
}

/// Aborts the Rust future when its asyncio future is done: cancelled (after a result there is
/// nothing left to abort).
#[pyclass(frozen, module = "appsync._appsync", name = "_Abort")]
struct Abort(tokio::task::AbortHandle);

#[pymethods]
impl Abort {
    fn __call__(&self, _future: &Bound<'_, PyAny>) {
        self.0.abort();
    }
}

thread_local! {
    /// The loops seen on this thread (usually one; closed ones are let go when a new one
    /// comes). Thread-local: looked up without a lock, and never while calling Python.
    static LOOPS: RefCell<Vec<Arc<Loop>>> = const { RefCell::new(Vec::new()) };
}

/// `asyncio.get_running_loop`, looked up once.
fn running_loop(py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
    static GET_RUNNING_LOOP: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    GET_RUNNING_LOOP.import(py, "asyncio", "get_running_loop")?.call0()
}

/// The queue of the loop running on this thread (a `RuntimeError` outside async code).
fn current(py: Python<'_>) -> PyResult<Arc<Loop>> {
    let event_loop = running_loop(py)?;
    let id = event_loop.as_ptr() as usize;
    // The registry holds each loop, so its address is not reused while it is listed.
    if let Some(found) = LOOPS.with_borrow(|loops| loops.iter().find(|l| l.id == id).cloned()) {
        return Ok(found);
    }
    let made = register(&event_loop)?;
    let mut closed = Vec::new();
    for listed in LOOPS.with_borrow(Clone::clone) {
        if listed.locals.event_loop(py).call_method0(pyo3::intern!(py, "is_closed"))?.is_truthy()? {
            closed.push(listed.id);
        }
    }
    LOOPS.with_borrow_mut(|loops| {
        loops.retain(|l| !closed.contains(&l.id));
        loops.push(Arc::clone(&made));
    });
    Ok(made)
}

/// A queue for `event_loop`, watched through a pipe when the loop can (`add_reader`).
fn register(event_loop: &Bound<'_, PyAny>) -> PyResult<Arc<Loop>> {
    let id = event_loop.as_ptr() as usize;
    let made = |wake| {
        Arc::new(Loop {
            locals: TaskLocals::new(event_loop.clone()),
            id,
            queue: Mutex::new(VecDeque::new()),
            scheduled: AtomicBool::new(false),
            wake,
        })
    };
    #[cfg(unix)]
    if let Ok((reader, writer)) = std::io::pipe() {
        use std::os::fd::AsRawFd as _;
        let py = event_loop.py();
        let fd = reader.as_raw_fd();
        // Read only when the loop says it is readable, but never block the loop regardless.
        py.import(pyo3::intern!(py, "os"))?.call_method1(pyo3::intern!(py, "set_blocking"), (fd, false))?;
        let queue = made(Wake::Pipe { reader, writer });
        match event_loop.call_method1(pyo3::intern!(py, "add_reader"), (fd, Drain(Arc::clone(&queue)))) {
            Ok(_) => return Ok(queue),
            // A loop without readers (the proactor loop): the pipe goes with `queue`.
            Err(e) if e.is_instance_of::<pyo3::exceptions::PyNotImplementedError>(py) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(made(Wake::Threadsafe))
}

/// Runs `future` on the package's tokio runtime and returns an asyncio future of the running
/// loop for its result, which `resolve` makes on the loop's thread. Cancelling the asyncio
/// future drops `future` at its next poll.
pub(crate) fn spawn<'py, F, R>(py: Python<'py>, future: F, resolve: R) -> PyResult<Bound<'py, PyAny>>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
    R: FnOnce(Python<'_>, F::Output) -> PyResult<Py<PyAny>> + Send + 'static,
{
    let queue = current(py)?;
    let event_loop = queue.locals.event_loop(py);
    let awaitable = event_loop.call_method0(pyo3::intern!(py, "create_future"))?;
    let target = awaitable.clone().unbind();
    let locals = queue.locals.clone();
    let task = pyo3_async_runtimes::tokio::get_runtime().spawn(async move {
        // In scope: code the future runs that needs the loop (a credentials provider's
        // coroutine) finds it.
        let output = pyo3_async_runtimes::tokio::scope(locals, future).await;
        queue.push(Finished { future: target, resolve: Box::new(move |py| resolve(py, output)) });
    });
    awaitable.call_method1(pyo3::intern!(py, "add_done_callback"), (Abort(task.abort_handle()),))?;
    Ok(awaitable)
}

/// An asyncio future of a loop that any thread can resolve (to `None`) without the GIL: see
/// [`wakeup`].
pub(crate) struct Wakeup {
    queue: Arc<Loop>,
    future: Py<PyAny>,
}

impl Wakeup {
    /// Resolves the future on its loop's thread, through the loop's queue (a future cancelled
    /// meanwhile is left as it is).
    pub(crate) fn fire(self) {
        self.queue.push(Finished { future: self.future, resolve: Box::new(|py| Ok(py.None())) });
    }

    /// Whether the future is done already (cancelled: nobody waits for it any more).
    pub(crate) fn is_done(&self, py: Python<'_>) -> bool {
        let done = self.future.bind(py).call_method0(pyo3::intern!(py, "done"));
        done.and_then(|d| d.is_truthy()).unwrap_or(true)
    }
}

/// A new asyncio future of the running loop, and the [`Wakeup`] that resolves it from another
/// thread: for code that is told when to wake a waiting task rather than running a future.
pub(crate) fn wakeup(py: Python<'_>) -> PyResult<(Bound<'_, PyAny>, Wakeup)> {
    let queue = current(py)?;
    let future = queue.locals.event_loop(py).call_method0(pyo3::intern!(py, "create_future"))?;
    let wakeup = Wakeup { queue, future: future.clone().unbind() };
    Ok((future, wakeup))
}
