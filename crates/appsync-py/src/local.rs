//! The native half of `appsync.local.Emulator`: the Rust `appsync_local::Emulator`, served on the
//! package's tokio runtime (the one the client's requests run on) in this process.

use std::sync::{Mutex, PoisonError};

use appsync_local::{ApiKey, AuthMode, ServerHandle};
use pyo3::prelude::*;

use crate::credentials::Credentials;
use crate::errors::{AppSyncError, ConfigError};

/// An emulator error as the Python exception: settings as `ConfigError` (naming the field when
/// the emulator does), anything else (binding the port) as `AppSyncError`. Its source chain goes
/// into the message: an I/O error's reason is what the caller needs.
fn emulator_error(err: &appsync_local::Error) -> PyErr {
    let mut message = err.to_string();
    let mut source = std::error::Error::source(err);
    while let Some(s) = source {
        message.push_str(": ");
        message.push_str(&s.to_string());
        source = s.source();
    }
    if err.is_config() || err.is_schema() || err.is_input() {
        ConfigError::new_err(message)
    } else {
        AppSyncError::new_err(message)
    }
}

/// AppSync's auth mode from its Python spelling: `iam`, `api_key`, `lambda`... or AppSync's own
/// names (`AWS_IAM`, `API_KEY`...).
fn auth_mode(name: &str) -> PyResult<AuthMode> {
    Ok(match name.to_ascii_lowercase().replace('-', "_").as_str() {
        "iam" | "aws_iam" => AuthMode::Iam,
        "api_key" => AuthMode::ApiKey,
        "lambda" | "aws_lambda" => AuthMode::Lambda,
        "cognito" | "amazon_cognito_user_pools" => AuthMode::CognitoUserPools,
        "oidc" | "openid_connect" => AuthMode::Oidc,
        _ => {
            return Err(ConfigError::new_err(format!(
                "default_auth must be \"iam\", \"api_key\", \"lambda\", \"cognito\" or \"oidc\", not {name:?}"
            )));
        }
    })
}

/// A configured emulator and, while it runs, its server.
#[pyclass(frozen, module = "appsync._appsync", name = "_Emulator")]
pub(crate) struct Emulator {
    emulator: appsync_local::Emulator,
    server: Mutex<Option<ServerHandle>>,
}

impl Emulator {
    fn server(&self) -> std::sync::MutexGuard<'_, Option<ServerHandle>> {
        self.server.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn running<T>(&self, f: impl FnOnce(&ServerHandle) -> T) -> PyResult<T> {
        self.server()
            .as_ref()
            .map(f)
            .ok_or_else(|| AppSyncError::new_err("the emulator is not running (start it, or use `with`)"))
    }
}

#[pymethods]
impl Emulator {
    /// `schema`: `(sdl, path)`, the path only for messages (`None`: the built-in Posts schema).
    #[new]
    #[pyo3(signature = (schema, api_keys, iam, default_auth, data_file, region, lambda_tokens))]
    fn new(
        schema: Option<(String, String)>,
        api_keys: Vec<String>,
        iam: Vec<Bound<'_, Credentials>>,
        default_auth: &str,
        data_file: Option<std::path::PathBuf>,
        region: String,
        lambda_tokens: Vec<String>,
    ) -> PyResult<Self> {
        let mut builder =
            appsync_local::Emulator::builder().region(region).default_auth(auth_mode(default_auth)?);
        if let Some((sdl, path)) = schema {
            builder = builder.schema_file_contents(sdl, path);
        }
        for key in api_keys {
            builder = builder.api_key(ApiKey::new(key));
        }
        for credentials in iam {
            builder = builder.iam_credentials(credentials.get().inner.clone());
        }
        for token in lambda_tokens {
            builder = builder.lambda_token(token);
        }
        if let Some(path) = data_file {
            builder = builder.data_file(path);
        }
        let emulator = {
            // A data file is opened by `build`, inside the runtime it will be served on.
            let _runtime = pyo3_async_runtimes::tokio::get_runtime().enter();
            builder.build().map_err(|e| emulator_error(&e))?
        };
        Ok(Self { emulator, server: Mutex::new(None) })
    }

    /// Serves on `host:port` (port 0: a free one), blocking until it listens. The GIL is let go
    /// meanwhile.
    fn start(&self, py: Python<'_>, host: String, port: u16) -> PyResult<u16> {
        if let Some(server) = self.server().as_ref() {
            return Ok(server.local_addr().port());
        }
        let emulator = self.emulator.clone();
        let server = py
            .detach(|| pyo3_async_runtimes::tokio::get_runtime().block_on(emulator.spawn((host, port))))
            .map_err(|e| emulator_error(&e))?;
        let port = server.local_addr().port();
        *self.server() = Some(server);
        Ok(port)
    }

    /// Stops serving: no new connections; requests in flight finish first (for up to 10 s).
    /// Blocks until then, without the GIL. Starting again serves the same data.
    fn stop(&self, py: Python<'_>) -> PyResult<()> {
        let Some(server) = self.server().take() else { return Ok(()) };
        py.detach(|| pyo3_async_runtimes::tokio::get_runtime().block_on(server.shutdown()))
            .map_err(|e| emulator_error(&e))
    }

    /// `stop` as an awaitable, for async code.
    fn stop_async<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let server = self.server().take();
        let shutdown = async move {
            match server {
                Some(server) => server.shutdown().await,
                None => Ok(()),
            }
        };
        crate::completion::spawn(py, shutdown, |py, stopped| {
            stopped.map_err(|e| emulator_error(&e))?;
            Ok(py.None())
        })
    }

    /// `http://HOST:PORT/graphql`.
    #[getter]
    fn url(&self) -> PyResult<String> {
        self.running(ServerHandle::graphql_url)
    }

    /// `ws://HOST:PORT/graphql/realtime`.
    #[getter]
    fn realtime_url(&self) -> PyResult<String> {
        self.running(ServerHandle::realtime_url)
    }

    /// `http://HOST:PORT/event`: AppSync Events, beside GraphQL on the same port.
    #[getter]
    fn event_url(&self) -> PyResult<String> {
        self.running(ServerHandle::event_url)
    }

    /// `ws://HOST:PORT/event/realtime`.
    #[getter]
    fn event_realtime_url(&self) -> PyResult<String> {
        self.running(ServerHandle::event_realtime_url)
    }

    /// The port served on.
    #[getter]
    fn port(&self) -> PyResult<u16> {
        self.running(|s| s.local_addr().port())
    }

    /// Whether it is serving.
    #[getter]
    fn running_now(&self) -> bool {
        self.server().is_some()
    }

    /// The region signatures are verified against.
    #[getter]
    fn region(&self) -> &str {
        self.emulator.region()
    }

    /// GraphQL subscriptions live on the real-time connections now (one per acknowledged
    /// `start`, until its `stop` or the end of its connection).
    #[getter]
    fn subscriptions(&self) -> usize {
        self.emulator.subscriptions()
    }

    /// Open, authorized real-time connections (plus in-process listeners).
    #[getter]
    fn connections(&self) -> usize {
        self.emulator.event_receivers()
    }

    /// Open, authorized AppSync Events WebSockets.
    #[getter]
    fn event_connections(&self) -> usize {
        self.emulator.events_receivers()
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        // The handle's drop signals the server to stop; nothing to wait for here.
        drop(self.server.get_mut().unwrap_or_else(PoisonError::into_inner).take());
    }
}
