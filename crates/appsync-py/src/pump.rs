//! A Rust `Stream` read from asyncio without losing an item to a cancelled task.
//!
//! An awaitable that resolves to the item itself is not cancel-safe: the item may be taken from
//! the stream just as the Python task awaiting it is cancelled, and then it is lost. So, as
//! `asyncio.Queue.get` does, waiting and taking are separate: [`Pump::poll`], a plain call on
//! the event loop's thread, takes an item if one is ready, and [`Pump::wait`] gives an asyncio
//! future that resolves once polling again may find one. Items are only ever taken by `poll`.
//!
//! No tokio task waits on the stream: `poll` polls it on the loop's thread with a waker of the
//! pump's own, and the producer's wake-up (on a runtime thread, without the GIL) resolves the
//! futures given out by `wait` through the loop's queue of finished futures
//! ([`completion`](crate::completion)), which wakes the loop once for everything queued. An
//! event therefore costs no task spawn, no runtime scheduling and no done callback.

use std::mem;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Wake, Waker};

use futures_util::Stream;
use futures_util::stream::BoxStream;
use pyo3::prelude::*;

use crate::completion::{self, Wakeup};

/// What [`Pump::poll`] found.
pub(crate) enum Polled<T> {
    /// The next item.
    Item(T),
    /// Nothing yet: await [`Pump::wait`] and poll again.
    Pending,
    /// The stream ended, or the pump was closed.
    End,
}

/// A stream polled from the event loop's thread, and the futures waiting for it to be ready.
pub(crate) struct Pump<T> {
    /// `None` once the stream ended or the pump was closed (dropping the stream: for a
    /// subscription, that sends `stop`).
    stream: Mutex<Option<BoxStream<'static, T>>>,
    closed: AtomicBool,
    signal: Arc<Signal>,
    /// `signal` as a waker, made once: the stream keeps it between polls.
    waker: Waker,
}

/// The waiting side: what the stream's wake-ups resolve.
#[derive(Default)]
struct Signal {
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// A wake-up came since the last poll began: polling again may find something.
    woken: bool,
    /// The futures given out by `wait` and not resolved yet (usually one: the task iterating).
    waiters: Vec<Wakeup>,
}

impl Signal {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Wake for Signal {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    /// On the producer's thread: resolves every waiting future (without the GIL).
    fn wake_by_ref(self: &Arc<Self>) {
        let waiters = {
            let mut state = self.lock();
            state.woken = true;
            mem::take(&mut state.waiters)
        };
        for waiter in waiters {
            waiter.fire();
        }
    }
}

impl<T: Send + 'static> Pump<T> {
    pub(crate) fn new(stream: BoxStream<'static, T>) -> Self {
        let signal = Arc::new(Signal::default());
        Self {
            stream: Mutex::new(Some(stream)),
            closed: AtomicBool::new(false),
            waker: Waker::from(Arc::clone(&signal)),
            signal,
        }
    }

    /// The next item if one is ready, without waiting.
    pub(crate) fn poll(&self) -> Polled<T> {
        // Cleared before polling: a wake-up from here on may be for an item this poll misses,
        // and `wait` must then not wait.
        self.signal.lock().woken = false;
        let mut stream = self.stream.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(inner) = stream.as_mut() else { return Polled::End };
        match Pin::new(inner).poll_next(&mut Context::from_waker(&self.waker)) {
            Poll::Ready(Some(item)) => Polled::Item(item),
            Poll::Ready(None) => {
                *stream = None;
                Polled::End
            }
            Poll::Pending => Polled::Pending,
        }
    }

    /// An asyncio future of the running loop that resolves (to `None`) once [`poll`](Self::poll)
    /// may have something to say: an item came, the stream ended, or the pump was closed.
    /// Already resolved when that happened since the last `poll` began. Cancelling it loses
    /// nothing: it holds no item.
    pub(crate) fn wait<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        if let Some(future) = self.waiter(py)? {
            return Ok(future);
        }
        let (future, _) = completion::wakeup(py)?;
        future.call_method1(pyo3::intern!(py, "set_result"), (py.None(),))?;
        Ok(future)
    }

    /// [`wait`](Self::wait)'s future, or `None` when there is no need to wait: poll again.
    pub(crate) fn waiter<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        if self.ready() {
            return Ok(None);
        }
        let (future, wakeup) = completion::wakeup(py)?;
        let mut state = self.signal.lock();
        if state.woken {
            return Ok(None);
        }
        if state.waiters.is_empty() {
            state.waiters.push(wakeup);
            return Ok(Some(future));
        }
        // Others wait too (another task iterating, or futures of cancelled tasks): the done
        // ones are let go here, checked without the lock (a wake-up meanwhile sets `woken`).
        let others = mem::take(&mut state.waiters);
        drop(state);
        let mut kept: Vec<Wakeup> = others.into_iter().filter(|w| !w.is_done(py)).collect();
        kept.push(wakeup);
        let mut state = self.signal.lock();
        state.waiters.extend(kept);
        if state.woken {
            drop(state);
            self.signal.wake_by_ref();
        }
        Ok(Some(future))
    }

    /// Whether polling again may find something without waiting.
    fn ready(&self) -> bool {
        self.closed.load(Ordering::Acquire) || self.signal.lock().woken
    }

    /// Drops the stream and resolves every `wait`; `poll` ends from now on.
    pub(crate) fn close(&self) {
        self.closed.store(true, Ordering::Release);
        let stream = self.stream.lock().unwrap_or_else(PoisonError::into_inner).take();
        drop(stream);
        self.signal.wake_by_ref();
    }
}
