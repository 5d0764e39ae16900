//! Python credential and token sources called from the Rust client.
//!
//! A source is a provider object from `appsync._credentials` (`get()` may block, `get_async()`
//! never blocks the loop). From a request made by an awaiting Python task, `get_async()` runs on
//! that task's event loop; from a task with no loop of its own (a background refresh, the
//! real-time connection), on the loop last seen, or else `get()` on a blocking thread.

use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use appsync::credentials::{CredentialsError, ProvideCredentials, ProvideFuture};
use appsync::{ProvideToken, Token};
use pyo3::prelude::*;
use pyo3_async_runtimes::TaskLocals;

use crate::credentials::Credentials;

/// A Python provider and the event loop to run its async half on.
pub(crate) struct PySource {
    provider: Arc<Py<PyAny>>,
    /// The loop of the last request that asked from a Python task.
    locals: Arc<OnceLock<TaskLocals>>,
    /// For `Debug` (the provider's `repr()`, which shows no secret).
    name: String,
}

impl PySource {
    pub(crate) fn new(provider: &Bound<'_, PyAny>) -> PyResult<Self> {
        Ok(Self {
            name: provider.repr()?.to_string(),
            provider: Arc::new(provider.clone().unbind()),
            locals: Arc::new(OnceLock::new()),
        })
    }

    /// The provider's answer: `get_async()` on an event loop when there is one, else `get()`.
    /// An error once the interpreter is exiting.
    async fn load(&self) -> PyResult<Py<PyAny>> {
        let provider = Arc::clone(&self.provider);
        let awaiting = crate::exit::attach(|py| -> PyResult<Option<_>> {
            let locals = match pyo3_async_runtimes::tokio::get_current_locals(py) {
                Ok(current) => {
                    let _ = self.locals.set(current.clone());
                    Some(current)
                }
                Err(_) => self.locals.get().cloned(),
            };
            let Some(locals) = locals else { return Ok(None) };
            let coroutine = provider.bind(py).call_method0(pyo3::intern!(py, "get_async"))?;
            run_on_loop(&locals, coroutine).map(Some)
        })
        .unwrap_or_else(|| Err(gone()))?;
        match awaiting {
            Some(answer) => answer.await.unwrap_or_else(|_| Err(gone())),
            None => tokio::task::spawn_blocking(move || {
                crate::exit::attach(|py| {
                    provider.bind(py).call_method0(pyo3::intern!(py, "get")).map(Bound::unbind)
                })
                .unwrap_or_else(|| Err(gone()))
            })
            .await
            .map_err(|e| pyo3::exceptions::PyRuntimeError::new_err(e.to_string()))?,
        }
    }
}

/// The error of a source asked while the interpreter exits, or whose loop closed before it
/// answered (made without the GIL).
fn gone() -> PyErr {
    pyo3::exceptions::PyRuntimeError::new_err("the event loop or the interpreter is gone")
}

/// What a coroutine run by [`run_on_loop`] came to.
type Answer = tokio::sync::oneshot::Receiver<PyResult<Py<PyAny>>>;

/// Runs `coroutine` as a task on `locals`' loop; the receiver gets its result. (As
/// pyo3-async-runtimes' `into_future_with_locals`, except that a loop closed before the task
/// ran drops the sender, which this thread then sees without taking the GIL.)
fn run_on_loop(locals: &TaskLocals, coroutine: Bound<'_, PyAny>) -> PyResult<Answer> {
    let py = coroutine.py();
    let (tx, rx) = tokio::sync::oneshot::channel();
    let start = StartTask { coroutine: coroutine.unbind(), tx: Mutex::new(Some(tx)) };
    locals.event_loop(py).call_method1(pyo3::intern!(py, "call_soon_threadsafe"), (start,))?;
    Ok(rx)
}

/// Called on the loop: starts the coroutine as a task and sends its outcome when done.
#[pyclass(frozen, module = "appsync._appsync", name = "_StartTask")]
struct StartTask {
    coroutine: Py<PyAny>,
    tx: Mutex<Option<tokio::sync::oneshot::Sender<PyResult<Py<PyAny>>>>>,
}

#[pymethods]
impl StartTask {
    fn __call__(&self, py: Python<'_>) {
        let tx = self.tx.lock().unwrap_or_else(PoisonError::into_inner).take();
        let Some(tx) = tx else { return };
        let started = py.import(pyo3::intern!(py, "asyncio")).and_then(|asyncio| {
            asyncio.call_method1(pyo3::intern!(py, "ensure_future"), (self.coroutine.bind(py),))
        });
        let task = match started {
            Ok(task) => task,
            Err(e) => {
                let _ = tx.send(Err(e));
                return;
            }
        };
        let done = SendOutcome(Mutex::new(Some(tx)));
        if let Err(e) = task.call_method1(pyo3::intern!(py, "add_done_callback"), (done,)) {
            e.write_unraisable(py, Some(&task));
        }
    }
}

/// A task's done callback: its result (or exception) to the waiting Rust future.
#[pyclass(frozen, module = "appsync._appsync", name = "_SendOutcome")]
struct SendOutcome(Mutex<Option<tokio::sync::oneshot::Sender<PyResult<Py<PyAny>>>>>);

#[pymethods]
impl SendOutcome {
    fn __call__(&self, task: &Bound<'_, PyAny>) {
        let Some(tx) = self.0.lock().unwrap_or_else(PoisonError::into_inner).take() else { return };
        let _ = tx.send(task.call_method0(pyo3::intern!(task.py(), "result")).map(Bound::unbind));
    }
}

impl std::fmt::Debug for PySource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.name)
    }
}

/// The Python exception as the Rust client's credentials error, kept as its source (the
/// binding gives it back to Python as the `__cause__`).
fn credentials_error(err: PyErr) -> CredentialsError {
    CredentialsError::provider_error_with_source("the Python credentials source failed", err)
}

impl ProvideCredentials for PySource {
    fn provide_credentials(&self) -> ProvideFuture<'_, appsync::credentials::Credentials> {
        Box::pin(async move {
            let got = self.load().await.map_err(credentials_error)?;
            crate::exit::attach(|py| {
                let got = got.bind(py);
                got.cast::<Credentials>()
                    .map(|c| c.get().inner.clone())
                    .map_err(|e| credentials_error(e.into()))
            })
            .unwrap_or_else(|| Err(credentials_error(gone())))
        })
    }
}

/// A token source (`appsync.Cognito(callable)`...): its provider returns the token as `str`.
#[derive(Debug)]
pub(crate) struct PyToken(pub(crate) PySource);

impl ProvideToken for PyToken {
    fn provide_token(&self) -> ProvideFuture<'_, Token> {
        Box::pin(async move {
            let got = self.0.load().await.map_err(credentials_error)?;
            crate::exit::attach(|py| {
                got.bind(py).extract::<String>().map(Token::new).map_err(credentials_error)
            })
            .unwrap_or_else(|| Err(credentials_error(gone())))
        })
    }
}
