//! A Rust `Stream` read from asyncio without losing an item to a cancelled task.
//!
//! An awaitable that resolves to the item itself is not cancel-safe: the Rust future may finish
//! (the item taken from the stream) just as the Python task awaiting it is cancelled, and
//! pyo3-async-runtimes then drops the result. So, as `asyncio.Queue.get` does, waiting and
//! taking are separate: [`Pump::wait`] resolves once an item is *ready* (moved into the pump's
//! buffer, where a cancellation cannot lose it) and [`Pump::poll`], a plain call on the event
//! loop's thread, takes it. `poll` alone also drains what is already queued without any
//! round trip through the tokio runtime.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use futures_util::stream::BoxStream;
use futures_util::{FutureExt as _, StreamExt as _};
use tokio::sync::Notify;

/// What [`Pump::poll`] found.
pub(crate) enum Polled<T> {
    /// The next item.
    Item(T),
    /// Nothing yet: await [`Pump::wait`] and poll again.
    Pending,
    /// The stream ended, or the pump was closed.
    End,
}

/// A stream, the items taken from it but not yet handed to Python, and a close signal.
pub(crate) struct Pump<T> {
    /// `None` once the stream ended or the pump was closed (dropping the stream: for a
    /// subscription, that sends `stop`). Locked by the one `wait` in flight.
    stream: tokio::sync::Mutex<Option<BoxStream<'static, T>>>,
    ready: Mutex<VecDeque<T>>,
    closed: AtomicBool,
    close: Notify,
}

impl<T: Send + 'static> Pump<T> {
    pub(crate) fn new(stream: BoxStream<'static, T>) -> Arc<Self> {
        Arc::new(Self {
            stream: tokio::sync::Mutex::new(Some(stream)),
            ready: Mutex::new(VecDeque::new()),
            closed: AtomicBool::new(false),
            close: Notify::new(),
        })
    }

    /// The next item if one is ready, without waiting. Items ready before a close are still
    /// handed out.
    pub(crate) fn poll(&self) -> Polled<T> {
        if let Some(item) = self.ready.lock().unwrap_or_else(PoisonError::into_inner).pop_front() {
            return Polled::Item(item);
        }
        if self.closed.load(Ordering::Acquire) {
            return Polled::End;
        }
        // A `wait` in flight holds the lock and will buffer what comes: nothing to do here.
        let Ok(mut stream) = self.stream.try_lock() else { return Polled::Pending };
        let Some(inner) = stream.as_mut() else { return Polled::End };
        match inner.next().now_or_never() {
            Some(Some(item)) => Polled::Item(item),
            Some(None) => {
                *stream = None;
                Polled::End
            }
            None => Polled::Pending,
        }
    }

    /// Resolves once [`poll`](Self::poll) has something to say: an item is buffered, the
    /// stream ended, or the pump was closed. Dropping this future (a cancelled task) loses
    /// nothing: an item is only taken from the stream in the poll that buffers it.
    pub(crate) async fn wait(self: Arc<Self>) {
        let closing = self.close.notified();
        tokio::pin!(closing);
        // Registered before the flag is read: a close after this point wakes it.
        closing.as_mut().enable();
        if self.closed.load(Ordering::Acquire) {
            return;
        }
        let mut stream = tokio::select! {
            guard = self.stream.lock() => guard,
            () = &mut closing => return,
        };
        if !self.ready.lock().unwrap_or_else(PoisonError::into_inner).is_empty() {
            return;
        }
        let Some(inner) = stream.as_mut() else { return };
        tokio::select! {
            item = inner.next() => match item {
                Some(item) => self.ready.lock().unwrap_or_else(PoisonError::into_inner).push_back(item),
                None => *stream = None,
            },
            () = &mut closing => *stream = None,
        }
    }

    /// Drops the stream (now, or as soon as the `wait` in flight lets go of it) and ends every
    /// `wait`. Items already buffered are still handed out by `poll`.
    pub(crate) fn close(&self) {
        self.closed.store(true, Ordering::Release);
        self.close.notify_waiters();
        if let Ok(mut stream) = self.stream.try_lock() {
            *stream = None;
        }
    }
}
