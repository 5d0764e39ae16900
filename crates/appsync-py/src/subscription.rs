//! The native halves of `appsync.Subscription` and `client.connection_states()`: a Rust stream
//! behind a [`Pump`]. A subscription is read through `next()`, the awaitable of one `async for`
//! step; connection states with `poll()` (take what is ready) and `wait()` (an awaitable that
//! resolves when there is something to take). The Python halves (`appsync/_subscription.py`)
//! make them async iterators.

use appsync::realtime::{ConnectionEvent, ConnectionState, Decoder, SubscriptionStream};
use futures_util::StreamExt as _;
use pyo3::exceptions::{PyStopAsyncIteration, PyStopIteration};
use pyo3::prelude::*;

use crate::errors::{LaggedError, SubscriptionError, client_error};
use crate::json::PyJson;
use crate::pump::{Polled, Pump};

/// What a subscription's stream yields: each event's `data` as Python objects.
type Event = appsync::Result<PyJson>;

/// AppSync's error objects as a Python list (they are JSON; Python's `json` makes the list).
fn errors_list(py: Python<'_>, errors: &[appsync::GraphQLError]) -> PyResult<Py<PyAny>> {
    let text = serde_json::to_string(errors).map_err(|e| SubscriptionError::new_err(e.to_string()))?;
    Ok(py.import(pyo3::intern!(py, "json"))?.call_method1(pyo3::intern!(py, "loads"), (text,))?.unbind())
}

/// A failed `subscribe` as the exception to raise: the subscription's own GraphQL errors (a bad
/// document, a field the caller may not read) as `SubscriptionError` with `.errors`, anything
/// else (transport, auth, timeouts) as the client's usual exception.
pub(crate) fn subscribe_error(err: appsync::Error) -> PyErr {
    if err.graphql_errors().is_empty() {
        return client_error(err);
    }
    Python::attach(|py| match errors_list(py, err.graphql_errors()) {
        Ok(errors) => SubscriptionError::new_err((err.to_string(), errors)),
        Err(e) => e,
    })
}

/// An error item of the stream as `SubscriptionError`: `LaggedError` (with `.count`) for events
/// dropped because the consumer fell behind, `.errors` for an event carrying GraphQL errors,
/// and for anything else (the connection refused for good, a timeout) the client's usual
/// exception as the `__cause__`.
fn stream_error(py: Python<'_>, err: appsync::Error) -> PyErr {
    let message = err.to_string();
    if let Some(count) = err.lagged_count().filter(|_| err.is_lagged()) {
        return LaggedError::new_err((message, count));
    }
    if !err.graphql_errors().is_empty() {
        return match errors_list(py, err.graphql_errors()) {
            Ok(errors) => SubscriptionError::new_err((message, errors)),
            Err(e) => e,
        };
    }
    let py_err = SubscriptionError::new_err(message);
    py_err.set_cause(py, Some(client_error(err)));
    py_err
}

/// A live subscription (native half). Dropping it, or `close()`, sends AppSync's `stop`.
#[pyclass(frozen, module = "appsync._appsync", name = "_Subscription")]
pub(crate) struct Subscription {
    pump: Pump<Event>,
    id: String,
}

impl Subscription {
    /// A GraphQL subscription's or an Events channel's stream (the same stream type, told
    /// apart by how it decodes its messages).
    pub(crate) fn new<D: Decoder + 'static>(subscription: SubscriptionStream<PyJson, D>) -> Self {
        let id = subscription.id().to_owned();
        Self { pump: Pump::new(subscription.boxed()), id }
    }
}

#[pymethods]
impl Subscription {
    /// An awaitable of the next event's `data`, decoded (for `Subscription.__anext__`).
    fn next(slf: Py<Self>) -> Next {
        Next(slf)
    }

    /// Ends the subscription: `stop` is sent, and iterating ends.
    fn close(&self) {
        self.pump.close();
    }

    /// The subscription's id on the wire.
    #[getter]
    fn id(&self) -> &str {
        &self.id
    }
}

/// One step of `async for` over a subscription, awaited in place of a coroutine: each step of
/// the awaiting task polls the subscription, and finishes with the event's data (decoded from
/// the message straight to Python objects) or yields the asyncio future to wait on. No Python
/// frame runs per event, and the awaitable never holds an item: cancelling the task loses
/// nothing.
#[pyclass(frozen, module = "appsync._appsync", name = "_Next")]
pub(crate) struct Next(Py<Subscription>);

#[pymethods]
impl Next {
    fn __await__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    fn __iter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    /// The task's step: `StopIteration(data)` once an event is there, the future to wait on
    /// before that; `StopAsyncIteration` at the end, `SubscriptionError` for an error item.
    fn __next__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let pump = &self.0.get().pump;
        loop {
            match pump.poll() {
                Polled::Item(Ok(PyJson(data))) => return Err(PyStopIteration::new_err((data?,))),
                Polled::Item(Err(e)) => return Err(stream_error(py, e)),
                Polled::End => return Err(PyStopAsyncIteration::new_err(())),
                Polled::Pending => {
                    if let Some(future) = pump.waiter(py)? {
                        // What `Future.__await__` sets before yielding itself: the task then
                        // waits for the future rather than failing the step.
                        future.setattr(pyo3::intern!(py, "_asyncio_future_blocking"), true)?;
                        return Ok(future);
                    }
                }
            }
        }
    }

    // The coroutine protocol (with the `collections.abc.Coroutine` registration in
    // `_subscription.py`), so that `asyncio.create_task(anext(subscription))` takes it as it
    // took the coroutine `__anext__` used to return.

    /// A step of the task; the value sent is always `None` (the task's wake-up).
    #[pyo3(signature = (_value, /))]
    fn send<'py>(&self, py: Python<'py>, _value: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        self.__next__(py)
    }

    /// Raises the exception thrown in (the task's `CancelledError`): nothing is held to undo.
    #[pyo3(signature = (kind, value = None, _traceback = None, /))]
    fn throw(
        &self,
        kind: &Bound<'_, PyAny>,
        value: Option<&Bound<'_, PyAny>>,
        _traceback: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        if kind.is_instance_of::<pyo3::exceptions::PyBaseException>() {
            return Err(PyErr::from_value(kind.clone()));
        }
        let exception = match value {
            Some(value) if value.is_instance_of::<pyo3::exceptions::PyBaseException>() => value.clone(),
            Some(value) if !value.is_none() => kind.call1((value,))?,
            _ => kind.call0()?,
        };
        Err(PyErr::from_value(exception))
    }

    /// Nothing to close: the step holds no item.
    fn close(&self) {}
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.pump.close();
    }
}

/// One connection state change as `(connection, state, keep_alive, reason, attempt, delay)`;
/// durations in seconds, fields that do not apply `None`.
pub(crate) type StateTuple = (u64, &'static str, Option<f64>, Option<String>, Option<u32>, Option<f64>);

pub(crate) fn state_tuple(event: ConnectionEvent) -> StateTuple {
    let connection = event.connection;
    match event.state {
        ConnectionState::Connecting => (connection, "connecting", None, None, None, None),
        ConnectionState::Connected { keep_alive } => {
            (connection, "connected", Some(keep_alive.as_secs_f64()), None, None, None)
        }
        ConnectionState::KeepAliveLate => (connection, "keep_alive_late", None, None, None, None),
        ConnectionState::Disrupted { reason } => (connection, "disrupted", None, Some(reason), None, None),
        ConnectionState::Reconnecting { attempt, delay } => {
            (connection, "reconnecting", None, None, Some(attempt), Some(delay.as_secs_f64()))
        }
        ConnectionState::Closed => (connection, "closed", None, None, None, None),
        // A state this binding does not know yet: named by its Debug form, not dropped.
        other => (connection, "unknown", None, Some(format!("{other:?}")), None, None),
    }
}

/// A client's connection state changes from the moment it was made (native half).
#[pyclass(frozen, module = "appsync._appsync", name = "_ConnectionStates")]
pub(crate) struct ConnectionStates {
    pump: Pump<ConnectionEvent>,
}

impl ConnectionStates {
    /// From a client's `connection_states()` (the GraphQL client's or the Events client's).
    pub(crate) fn new(states: impl futures_util::Stream<Item = ConnectionEvent> + Send + 'static) -> Self {
        Self { pump: Pump::new(states.boxed()) }
    }
}

#[pymethods]
impl ConnectionStates {
    /// The next state change as a tuple (see `StateTuple`), `None` when none is ready yet;
    /// `StopAsyncIteration` once the client is closed.
    fn poll(&self) -> PyResult<Option<StateTuple>> {
        match self.pump.poll() {
            Polled::Item(event) => Ok(Some(state_tuple(event))),
            Polled::Pending => Ok(None),
            Polled::End => Err(PyStopAsyncIteration::new_err(())),
        }
    }

    /// Resolves (to `None`) when `poll()` has something to return.
    fn wait<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.pump.wait(py)
    }

    /// Stops listening.
    fn close(&self) {
        self.pump.close();
    }
}

impl Drop for ConnectionStates {
    fn drop(&mut self) {
        self.pump.close();
    }
}
