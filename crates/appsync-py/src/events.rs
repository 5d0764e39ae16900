//! `appsync.EventsClient`: the Rust `appsync::events::EventsClient` (AppSync Events) driven from
//! asyncio, as `client.rs` drives the GraphQL client. Events cross as JSON text both ways:
//! Python's `json` encodes what is published (each event sent as that text), and a
//! subscription's events are decoded from the message straight to Python objects.

use pyo3::IntoPyObjectExt as _;
use pyo3::prelude::*;
use serde_json::value::RawValue;

use crate::auth::extract_auth;
use crate::client::{Settings, apply_settings, awaitable_none, client_repr};
use crate::completion;
use crate::errors::{ConfigError, client_error, error_of};
use crate::subscription::{ConnectionStates, Subscription, subscribe_error};

/// An AppSync Events API (native half; `appsync/_events.py` adds the Python methods).
#[pyclass(frozen, subclass, module = "appsync", name = "EventsClient")]
pub(crate) struct EventsClient {
    inner: appsync::events::EventsClient,
    auth: String,
}

/// One event of a publish, as `_publish` hands it to Python: its index among the caller's
/// events, AppSync's identifier for it, and the exception saying why it was not published.
type PublishedTuple = (usize, Option<String>, Option<Py<PyAny>>);

impl EventsClient {
    /// The client to use for one call: this one, or the same with another auth mode.
    fn with(&self, auth: Option<&Bound<'_, PyAny>>) -> PyResult<appsync::events::EventsClient> {
        match auth.filter(|a| !a.is_none()) {
            Some(auth) => Ok(self.inner.with_auth(extract_auth(auth)?.0)),
            None => Ok(self.inner.clone()),
        }
    }
}

/// Each event's JSON text (from Python's `json`), sent as it is.
fn raw_events(events: Vec<String>) -> PyResult<Vec<Box<RawValue>>> {
    events
        .into_iter()
        .enumerate()
        .map(|(index, text)| {
            RawValue::from_string(text)
                .map_err(|e| ConfigError::new_err(format!("events[{index}] is not JSON: {e}")))
        })
        .collect()
}

#[pymethods]
impl EventsClient {
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
        let builder = apply_settings!(appsync::events::EventsClient::builder().endpoint(url), settings);
        // Building may start tokio machinery: inside the runtime the requests will run on.
        let _runtime = pyo3_async_runtimes::tokio::get_runtime().enter();
        let inner = builder.build().map_err(client_error)?;
        Ok(Self { inner, auth: settings.auth_repr })
    }

    /// Publishes `events` (each one's JSON text) to `channel`, over HTTP or over the WebSocket;
    /// resolves to one `(index, identifier, error)` per event, in order.
    #[pyo3(signature = (channel, events, websocket=false, auth=None))]
    fn _publish<'py>(
        &self,
        py: Python<'py>,
        channel: String,
        events: Vec<String>,
        websocket: bool,
        auth: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let events = raw_events(events)?;
        let client = self.with(auth)?;
        completion::spawn(
            py,
            async move {
                if websocket {
                    client.publish_ws(&channel, events).await
                } else {
                    client.publish(&channel, events).await
                }
            },
            |py, result| {
                let published: Vec<PublishedTuple> = result
                    .map_err(client_error)?
                    .into_iter()
                    .map(|event| {
                        let error = event.error().map(|e| error_of(e).into_value(py).into_any());
                        (event.index(), event.identifier().map(str::to_owned), error)
                    })
                    .collect();
                published.into_py_any(py)
            },
        )
    }

    /// Subscribes to `channel`; resolves to the native `_Subscription` once AppSync answered
    /// `subscribe_success`. Cancelling the awaiting task drops the attempt.
    #[pyo3(signature = (channel, auth=None))]
    fn _subscribe<'py>(
        &self,
        py: Python<'py>,
        channel: String,
        auth: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let client = self.with(auth)?;
        completion::spawn(
            py,
            async move { client.subscribe::<crate::json::PyJson>(&channel).await },
            |py, started| Subscription::new(started.map_err(subscribe_error)?).into_py_any(py),
        )
    }

    /// The state changes of the client's WebSocket connections from now on (native half).
    fn _connection_states(&self) -> ConnectionStates {
        ConnectionStates::new(self.inner.connection_states())
    }

    /// Ends every subscription and closes the WebSockets. HTTP publishes still work.
    fn aclose<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let client = self.inner.clone();
        awaitable_none(py, async move { client.close().await })
    }

    /// The HTTP endpoint (`.../event`).
    #[getter]
    fn url(&self) -> String {
        self.inner.endpoint().to_string()
    }

    /// The WebSocket endpoint (`.../event/realtime`).
    #[getter]
    fn realtime_url(&self) -> String {
        self.inner.realtime_url().to_string()
    }

    fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
        let this = slf.get();
        client_repr(slf.as_any(), this.inner.endpoint().as_str(), &this.auth)
    }
}
