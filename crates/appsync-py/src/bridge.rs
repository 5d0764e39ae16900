//! Python credential and token sources called from the Rust client.
//!
//! A source is a provider object from `appsync._credentials` (`get()` may block, `get_async()`
//! never blocks the loop). From a request made by an awaiting Python task, `get_async()` runs on
//! that task's event loop; from a task with no loop of its own (a background refresh, the
//! real-time connection), on the loop last seen, or else `get()` on a blocking thread.

use std::sync::{Arc, OnceLock};

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
    async fn load(&self) -> PyResult<Py<PyAny>> {
        let provider = Arc::clone(&self.provider);
        let awaiting = Python::attach(|py| -> PyResult<Option<_>> {
            let locals = match pyo3_async_runtimes::tokio::get_current_locals(py) {
                Ok(current) => {
                    let _ = self.locals.set(current.clone());
                    Some(current)
                }
                Err(_) => self.locals.get().cloned(),
            };
            let Some(locals) = locals else { return Ok(None) };
            let coroutine = provider.bind(py).call_method0(pyo3::intern!(py, "get_async"))?;
            pyo3_async_runtimes::into_future_with_locals(&locals, coroutine).map(Some)
        })?;
        match awaiting {
            Some(future) => future.await,
            None => tokio::task::spawn_blocking(move || {
                Python::attach(|py| {
                    provider.bind(py).call_method0(pyo3::intern!(py, "get")).map(Bound::unbind)
                })
            })
            .await
            .map_err(|e| pyo3::exceptions::PyRuntimeError::new_err(e.to_string()))?,
        }
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
            Python::attach(|py| {
                let got = got.bind(py);
                got.cast::<Credentials>()
                    .map(|c| c.get().inner.clone())
                    .map_err(|e| credentials_error(e.into()))
            })
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
            Python::attach(|py| got.bind(py).extract::<String>().map(Token::new).map_err(credentials_error))
        })
    }
}
