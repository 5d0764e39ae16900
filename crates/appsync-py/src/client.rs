//! `appsync.Client`: the Rust `appsync::Client` driven from asyncio through
//! pyo3-async-runtimes (the request runs on its tokio runtime; cancelling the awaiting task drops
//! the request). Variables and data cross as JSON text: Python's `json` encodes and decodes them,
//! the Rust client never builds a tree of them.

use std::time::Duration;

use pyo3::IntoPyObjectExt as _;
use pyo3::prelude::*;
use serde_json::value::RawValue;

use crate::auth::extract_auth;
use crate::completion;
use crate::errors::{ConfigError, client_error};
use crate::retry::extract_retry;
use crate::subscription::{ConnectionStates, Subscription, state_tuple, subscribe_error};

/// An AppSync GraphQL API.
#[pyclass(frozen, subclass, module = "appsync", name = "Client")]
pub(crate) struct Client {
    inner: appsync::Client,
    auth: String,
}

/// A duration in seconds from Python (`None` when absent).
fn seconds(value: Option<f64>, field: &str) -> PyResult<Option<Duration>> {
    value
        .map(|s| {
            Duration::try_from_secs_f64(s)
                .ok()
                .filter(|d| !d.is_zero())
                .ok_or_else(|| ConfigError::new_err(format!("{field} must be a positive number of seconds")))
        })
        .transpose()
}

/// `(name, value)` pairs of `str` from a mapping or an iterable of pairs.
fn str_pairs(headers: Option<&Bound<'_, PyAny>>) -> PyResult<Vec<(String, String)>> {
    let Some(headers) = headers.filter(|h| !h.is_none()) else { return Ok(Vec::new()) };
    let pairs = match headers.getattr(pyo3::intern!(headers.py(), "items")) {
        Ok(items) => items.call0()?,
        Err(_) => headers.clone(),
    };
    pairs.try_iter()?.map(|pair| pair?.extract()).collect()
}

/// The request `execute` and `subscribe` share: the document, its variables (JSON text, from
/// Python's `json`), operation name and auth override (`None`: the client's).
fn request(
    query: String,
    variables: Option<String>,
    operation_name: Option<String>,
    auth: Option<&Bound<'_, PyAny>>,
) -> PyResult<appsync::Request> {
    let mut request = appsync::Request::new(query);
    if let Some(variables) = variables {
        let raw = RawValue::from_string(variables)
            .map_err(|_| ConfigError::new_err("variables must encode to a JSON object"))?;
        request = request.variables(raw);
    }
    if let Some(name) = operation_name {
        request = request.operation_name(name);
    }
    if let Some(auth) = auth.filter(|a| !a.is_none()) {
        request = request.auth(extract_auth(auth)?.0);
    }
    Ok(request)
}

/// `on_connection_state`: the callback is called on the event loop running when the client was
/// made (the Rust client reports state changes from its connection task, on another thread), with
/// an `appsync.ConnectionState`.
fn state_callback(
    callback: &Bound<'_, PyAny>,
    options: appsync::realtime::RealtimeOptions,
) -> PyResult<appsync::realtime::RealtimeOptions> {
    let py = callback.py();
    if !callback.is_callable() {
        return Err(pyo3::exceptions::PyTypeError::new_err("on_connection_state must be callable"));
    }
    let locals = pyo3_async_runtimes::tokio::get_current_locals(py).map_err(|_| {
        ConfigError::new_err("on_connection_state needs a running event loop: make the client in async code")
    })?;
    let event_loop = locals.event_loop(py).unbind();
    let deliver = py.import("appsync._subscription")?.getattr("_deliver_state")?.unbind();
    let callback = callback.clone().unbind();
    Ok(options.on_state(move |event| {
        let state = state_tuple(event.clone());
        // Not once the interpreter is exiting: nobody is listening any more.
        crate::exit::attach(|py| {
            // A closed loop refuses the call, for the same reason.
            let _ = event_loop.bind(py).call_method1(
                pyo3::intern!(py, "call_soon_threadsafe"),
                (deliver.bind(py), callback.bind(py), state),
            );
        });
    }))
}

/// The constructor arguments `Client` and `EventsClient` share, checked and converted.
pub(crate) struct Settings {
    pub(crate) auth: appsync::Auth,
    /// `repr()` of the Python auth object, for the client's own `repr()` (it shows no secret).
    pub(crate) auth_repr: String,
    pub(crate) region: Option<String>,
    /// `None`: no timeout.
    pub(crate) timeout: Option<Duration>,
    pub(crate) retry: Option<appsync::RetryPolicy>,
    pub(crate) realtime: appsync::realtime::RealtimeOptions,
    pub(crate) headers: Vec<(String, String)>,
}

impl Settings {
    pub(crate) fn extract(
        auth: &Bound<'_, PyAny>,
        region: Option<String>,
        realtime_url: Option<String>,
        timeout: Option<f64>,
        retry: Option<&Bound<'_, PyAny>>,
        headers: Option<&Bound<'_, PyAny>>,
        on_connection_state: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let (rust_auth, auth_region) = extract_auth(auth)?;
        let mut realtime = appsync::realtime::RealtimeOptions::default();
        if let Some(url) = realtime_url {
            realtime = realtime.url(url);
        }
        if let Some(callback) = on_connection_state.filter(|c| !c.is_none()) {
            realtime = state_callback(callback, realtime)?;
        }
        Ok(Self {
            auth: rust_auth,
            auth_repr: auth.repr()?.to_string(),
            region: region.or(auth_region),
            timeout: seconds(timeout, "timeout")?,
            retry: extract_retry(retry)?,
            realtime,
            headers: str_pairs(headers)?,
        })
    }
}

/// [`Settings`] applied to a client builder (`appsync::ClientBuilder` or
/// `appsync::events::EventsClientBuilder`: the same setters, no trait in common).
macro_rules! apply_settings {
    ($builder:expr, $settings:expr) => {{
        let settings = &$settings;
        let mut builder = $builder.auth(settings.auth.clone());
        if let Some(region) = &settings.region {
            builder = builder.region(region.clone());
        }
        builder = match settings.timeout {
            Some(timeout) => builder.timeout(timeout),
            None => builder.no_timeout(),
        };
        if let Some(policy) = &settings.retry {
            builder = builder.retry(policy.clone());
        }
        builder = builder.realtime(settings.realtime.clone());
        for (name, value) in &settings.headers {
            builder = builder.header(name, value);
        }
        builder
    }};
}
pub(crate) use apply_settings;

#[pymethods]
impl Client {
    #[new]
    #[pyo3(
        signature = (url, *, auth, region=None, realtime_url=None, timeout=Some(30.0), retry=None, headers=None, on_connection_state=None),
        text_signature = "(url, *, auth, region=None, realtime_url=None, timeout=30.0, retry=None, headers=None, on_connection_state=None)"
    )]
    #[allow(clippy::too_many_arguments, reason = "the Python constructor's keyword arguments")]
    fn new(
        url: String,
        auth: &Bound<'_, PyAny>,
        region: Option<String>,
        realtime_url: Option<String>,
        timeout: Option<f64>,
        retry: Option<&Bound<'_, PyAny>>,
        headers: Option<&Bound<'_, PyAny>>,
        on_connection_state: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let settings =
            Settings::extract(auth, region, realtime_url, timeout, retry, headers, on_connection_state)?;
        let builder = apply_settings!(appsync::Client::builder().endpoint(url), settings);
        // Building may start tokio machinery: inside the runtime the requests will run on.
        let _runtime = pyo3_async_runtimes::tokio::get_runtime().enter();
        let inner = builder.build().map_err(client_error)?;
        Ok(Self { inner, auth: settings.auth_repr })
    }

    /// Runs an operation; resolves to `(data, errors)` as JSON text (each `None` when absent).
    #[pyo3(signature = (query, variables=None, operation_name=None, auth=None, headers=None, timeout=None))]
    #[allow(clippy::too_many_arguments, reason = "the Python method's keyword arguments")]
    fn _execute<'py>(
        &self,
        py: Python<'py>,
        query: String,
        variables: Option<String>,
        operation_name: Option<String>,
        auth: Option<&Bound<'py, PyAny>>,
        headers: Option<&Bound<'py, PyAny>>,
        timeout: Option<f64>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let mut request = request(query, variables, operation_name, auth)?;
        for (name, value) in str_pairs(headers)? {
            request = request.header(&name, &value);
        }
        if let Some(timeout) = seconds(timeout, "timeout")? {
            request = request.timeout(timeout);
        }
        let client = self.inner.clone();
        completion::spawn(
            py,
            async move { client.execute::<Box<RawValue>>(request).await },
            |py, response| {
                let response = response.map_err(client_error)?;
                let data = response.data.map(|d| String::from(Box::<str>::from(d)));
                let errors = if response.errors.is_empty() {
                    None
                } else {
                    Some(
                        serde_json::to_string(&response.errors)
                            .map_err(|e| ConfigError::new_err(e.to_string()))?,
                    )
                };
                (data, errors).into_py_any(py)
            },
        )
    }

    /// Starts a subscription; resolves to the native `_Subscription` once AppSync acknowledged
    /// it (`start_ack`). Cancelling the awaiting task drops the attempt (a subscription
    /// acknowledged meanwhile is stopped again).
    #[pyo3(signature = (query, variables=None, operation_name=None, auth=None))]
    fn _subscribe<'py>(
        &self,
        py: Python<'py>,
        query: String,
        variables: Option<String>,
        operation_name: Option<String>,
        auth: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let request = request(query, variables, operation_name, auth)?;
        let client = self.inner.clone();
        completion::spawn(
            py,
            async move { client.subscribe_request::<crate::json::PyJson>(request).await },
            |py, started| Subscription::new(started.map_err(subscribe_error)?).into_py_any(py),
        )
    }

    /// The state changes of the client's real-time connections from now on (native half).
    fn _connection_states(&self) -> ConnectionStates {
        ConnectionStates::new(self.inner.connection_states())
    }

    /// Closes the real-time connection, if one is open. Requests in flight finish.
    fn aclose<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let client = self.inner.clone();
        awaitable_none(py, async move { client.close().await })
    }

    /// The GraphQL endpoint.
    #[getter]
    fn url(&self) -> String {
        self.inner.endpoint().to_string()
    }

    /// The real-time (WebSocket) endpoint.
    #[getter]
    fn realtime_url(&self) -> String {
        self.inner.realtime_url().to_string()
    }

    fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
        let this = slf.get();
        client_repr(slf.as_any(), this.inner.endpoint().as_str(), &this.auth)
    }
}

/// A client's `repr()`: its Python class, endpoint and auth (whose `repr()` shows no secret).
pub(crate) fn client_repr(slf: &Bound<'_, PyAny>, endpoint: &str, auth: &str) -> PyResult<String> {
    Ok(format!("{}({endpoint:?}, auth={auth})", slf.get_type().qualname()?))
}

/// `future` as an awaitable that resolves to `None` (a client's `aclose()`).
pub(crate) fn awaitable_none<'py>(
    py: Python<'py>,
    future: impl std::future::Future<Output = ()> + Send + 'static,
) -> PyResult<Bound<'py, PyAny>> {
    completion::spawn(py, future, |py, ()| Ok(py.None()))
}
