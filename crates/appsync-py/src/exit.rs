//! The interpreter's exit, as the tokio runtime's threads see it.
//!
//! Those threads are not Python threads: nothing joins them, and they outlive the interpreter.
//! One that takes the GIL while the interpreter finalizes aborts the process ("PyGILState_Release:
//! thread state must be current"). So every call into Python from them goes through [`attach`],
//! and an `atexit` hook, run while the interpreter is still whole, closes that gate and waits
//! (without the GIL) for the calls already inside to leave. After it, those threads find no
//! Python: a credentials source answers with an error, a state callback is not called.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use pyo3::prelude::*;

/// Set by the `atexit` hook: no new call into Python from a runtime thread.
static EXITING: AtomicBool = AtomicBool::new(false);
/// Calls into Python from runtime threads under way.
static INSIDE: AtomicUsize = AtomicUsize::new(0);

/// How long the `atexit` hook waits for calls under way (a Python credentials source doing
/// blocking I/O may be one): after this the interpreter goes on exiting regardless.
const GRACE: Duration = Duration::from_secs(2);

/// Counts a call in [`INSIDE`] until dropped.
struct Inside;

impl Inside {
    fn enter() -> Self {
        INSIDE.fetch_add(1, Ordering::SeqCst);
        Self
    }
}

impl Drop for Inside {
    fn drop(&mut self) {
        INSIDE.fetch_sub(1, Ordering::SeqCst);
    }
}

/// `Python::attach` for a thread the interpreter does not know (a tokio worker or blocking
/// thread): `None`, without touching Python, once the interpreter is exiting.
pub(crate) fn attach<R>(f: impl FnOnce(Python<'_>) -> R) -> Option<R> {
    // Counted before the flag is read: the hook, which sets the flag first, then waits for it.
    let _inside = Inside::enter();
    if EXITING.load(Ordering::SeqCst) {
        return None;
    }
    Some(Python::attach(f))
}

/// The `atexit` hook (registered when the module is imported).
#[pyfunction]
#[pyo3(name = "_at_exit")]
pub(crate) fn at_exit(py: Python<'_>) {
    EXITING.store(true, Ordering::SeqCst);
    py.detach(|| {
        let deadline = Instant::now() + GRACE;
        while INSIDE.load(Ordering::SeqCst) > 0 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(1));
        }
    });
}
