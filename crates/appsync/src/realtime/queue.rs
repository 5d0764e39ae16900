//! The bounded event queue between a connection task and one [`Subscription`](super::Subscription).
//!
//! Policy: the connection task never waits for a consumer (so one slow stream cannot hold up the
//! others on its connection). When the queue holds `capacity` events, newer events are dropped
//! and counted; the consumer then reads the events queued before the gap, then one
//! [`Error::is_lagged`] item carrying the count, then the events that came after. An error that
//! ends the subscription is never dropped (it may be the one item past the capacity).
//!
//! The queue also holds where a [`Stop`](super::Command::Stop) must go: a subscription moved to
//! another connection (the server refused it with `MaxSubscriptionsReachedError`) is stopped
//! there.

use std::collections::VecDeque;
use std::ops::Range;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};

use tokio::sync::mpsc;

use super::Command;
use super::transport::Text;
use crate::error::{Error, Result};

/// An event's payload (`{"data": ..., "errors"?: ...}`) as it came, decoded by the consumer:
/// a range of the message it arrived in, which it shares rather than copies.
pub(crate) struct Payload {
    text: Text,
    start: usize,
    end: usize,
}

impl Payload {
    /// Where `json` lies in `message`, when it is a slice of it (on character boundaries).
    pub(crate) fn span(message: &str, json: &str) -> Option<Range<usize>> {
        let start = (json.as_ptr() as usize).wrapping_sub(message.as_ptr() as usize);
        let span = start..start.checked_add(json.len())?;
        message.get(span.clone()).is_some().then_some(span)
    }

    /// The payload at `span` of `message`, which it takes: `span` is
    /// [`span`](Self::span)'s answer for the same message. Taking the message rather than a
    /// copy of the handle saves raising and lowering its reference count for every event.
    pub(crate) fn at(message: Text, span: Range<usize>) -> Self {
        Self { text: message, start: span.start, end: span.end }
    }

    /// A payload that is the whole of `text`.
    pub(crate) fn whole(text: Text) -> Self {
        let end = text.len();
        Self { text, start: 0, end }
    }

    /// The payload's JSON text.
    pub(crate) fn get(&self) -> &str {
        // `at` (given `span`'s ranges) and `whole` only keep ranges that are in bounds and on
        // char boundaries.
        self.text.get(self.start..self.end).unwrap_or("null")
    }
}

struct State {
    items: VecDeque<Result<Payload>>,
    /// Events dropped since the last one queued (reported before the next one, or when the
    /// consumer has read everything older).
    dropped: u64,
    waker: Option<Waker>,
    /// The producer is gone: nothing more will come.
    closed: bool,
    /// The consumer is gone: nothing should be queued, and the subscription must not move.
    abandoned: bool,
    /// The connection the subscription lives on.
    route: mpsc::UnboundedSender<Command>,
}

pub(crate) struct Shared {
    capacity: usize,
    state: Mutex<State>,
    /// Events the consumer has taken out of the queue and not read yet (see
    /// [`Consumer::poll_next`]): they still count against the capacity.
    held: AtomicUsize,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A new queue of `capacity` events whose subscription lives on connection `route`.
pub(crate) fn channel(capacity: usize, route: mpsc::UnboundedSender<Command>) -> (Producer, Consumer) {
    let shared = Arc::new(Shared {
        capacity: capacity.max(1),
        state: Mutex::new(State {
            items: VecDeque::new(),
            dropped: 0,
            waker: None,
            closed: false,
            abandoned: false,
            route,
        }),
        held: AtomicUsize::new(0),
    });
    (Producer { shared: shared.clone() }, Consumer { shared, taken: VecDeque::new() })
}

/// The connection task's end. Dropping it ends the stream (after what is queued).
pub(crate) struct Producer {
    shared: Arc<Shared>,
}

impl Producer {
    /// Queues an event, or counts it as dropped when the consumer is `capacity` behind (one at a
    /// time: the tests' way; the connection queues [`events`](Self::events)). The consumer is not
    /// woken here: its waker goes to `wakes`, for the caller to wake once it has
    /// queued everything it has at hand.
    #[cfg(test)]
    pub(crate) fn event(&self, payload: Payload, wakes: &mut Wakes) {
        self.events(std::iter::once(payload), wakes);
    }

    /// Queues events received in a row, as [`event`](Self::event) queues each, under one lock.
    pub(crate) fn events(&self, payloads: impl Iterator<Item = Payload>, wakes: &mut Wakes) {
        let mut state = self.shared.lock();
        if state.abandoned {
            return;
        }
        let held = self.shared.held.load(Ordering::Relaxed);
        let mut queued = false;
        for payload in payloads {
            if state.items.len() + held >= self.shared.capacity {
                state.dropped += 1;
                continue;
            }
            if state.dropped > 0 {
                // The gap is reported where it happened: before this newer event. The marker may
                // take the queue one past its capacity.
                let dropped = std::mem::take(&mut state.dropped);
                state.items.push_back(Err(Error::lagged(dropped)));
            }
            state.items.push_back(Ok(payload));
            queued = true;
        }
        if queued && let Some(waker) = state.waker.take() {
            wakes.0.push(waker);
        }
    }

    /// Queues an error: a bad event, or the last item. Never dropped.
    pub(crate) fn error(&self, error: Error) {
        let mut state = self.shared.lock();
        if state.abandoned {
            return;
        }
        if state.dropped > 0 {
            let dropped = std::mem::take(&mut state.dropped);
            state.items.push_back(Err(Error::lagged(dropped)));
        }
        state.items.push_back(Err(error));
        wake(&mut state);
    }

    /// A handle for moving the subscription to another connection.
    pub(crate) fn router(&self) -> Router {
        Router { shared: self.shared.clone() }
    }

    /// Whether the consumer dropped its end.
    pub(crate) fn is_abandoned(&self) -> bool {
        self.shared.lock().abandoned
    }
}

impl Drop for Producer {
    fn drop(&mut self) {
        let mut state = self.shared.lock();
        state.closed = true;
        wake(&mut state);
    }
}

/// Consumers to wake once a batch of received events is queued. Waking a consumer for each
/// event would wake it (often another thread) about once per event, each wake-up reading one
/// event; woken after the batch, it reads them all in one go. Dropping it wakes what it holds.
#[derive(Default)]
pub(crate) struct Wakes(Vec<Waker>);

impl Wakes {
    /// Wakes every consumer collected so far.
    pub(crate) fn wake_all(&mut self) {
        for waker in self.0.drain(..) {
            waker.wake();
        }
    }
}

impl Drop for Wakes {
    fn drop(&mut self) {
        self.wake_all();
    }
}

fn wake(state: &mut State) {
    if let Some(waker) = state.waker.take() {
        waker.wake();
    }
}

/// Moves a subscription's `stop` route (see [`Producer::router`]).
pub(crate) struct Router {
    shared: Arc<Shared>,
}

impl Router {
    /// Points the subscription's `stop` at connection `route` and sends it `command` (the
    /// subscription itself) under the queue's lock, so a `stop` cannot overtake it. The command
    /// comes back when the consumer is gone or the connection is.
    pub(crate) fn reroute(
        &self,
        route: mpsc::UnboundedSender<Command>,
        command: Command,
    ) -> std::result::Result<(), Command> {
        let mut state = self.shared.lock();
        if state.abandoned {
            return Err(command);
        }
        // Returned, not dropped, while the lock is held: dropping the command's producer locks.
        route.send(command).map_err(|e| e.0)?;
        state.route = route;
        Ok(())
    }
}

/// The subscription's end.
pub(crate) struct Consumer {
    shared: Arc<Shared>,
    /// Items taken from the queue in one go, read before it is looked at again.
    taken: VecDeque<Result<Payload>>,
}

impl Consumer {
    /// The next item; `Ready(None)` once the producer is gone and everything was read.
    ///
    /// Whatever is queued is taken at once (one lock for a batch of events rather than one per
    /// event, which the connection task would otherwise contend for); the items taken still
    /// count against the capacity until they are read.
    pub(crate) fn poll_next(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Payload>>> {
        if let Some(item) = self.taken.pop_front() {
            self.shared.held.store(self.taken.len(), Ordering::Relaxed);
            return Poll::Ready(Some(item));
        }
        let mut state = self.shared.lock();
        if !state.items.is_empty() {
            // The queue keeps the emptied buffer (and its allocation) for the next batch.
            std::mem::swap(&mut state.items, &mut self.taken);
            let item = self.taken.pop_front();
            self.shared.held.store(self.taken.len(), Ordering::Relaxed);
            return Poll::Ready(item);
        }
        if state.dropped > 0 {
            // Everything queued before the gap has been read.
            let dropped = std::mem::take(&mut state.dropped);
            return Poll::Ready(Some(Err(Error::lagged(dropped))));
        }
        if state.closed {
            return Poll::Ready(None);
        }
        match &state.waker {
            Some(w) if w.will_wake(cx.waker()) => {}
            _ => state.waker = Some(cx.waker().clone()),
        }
        Poll::Pending
    }

    /// Marks the consumer gone and sends `stop` for subscription `id` to its current connection
    /// (unless the producer is gone already).
    pub(crate) fn abandon(&self, id: String) {
        let mut state = self.shared.lock();
        state.abandoned = true;
        state.items.clear();
        if !state.closed {
            let _ = state.route.send(Command::Stop { id });
        }
    }
}

#[cfg(test)]
mod tests {
    use std::task::Waker;

    use super::*;

    fn next(c: &mut Consumer) -> Option<Result<Payload>> {
        match c.poll_next(&mut Context::from_waker(Waker::noop())) {
            Poll::Ready(item) => item,
            Poll::Pending => panic!("pending"),
        }
    }

    fn raw(i: u32) -> Payload {
        Payload::whole(Text::from(i.to_string()))
    }

    #[test]
    fn a_payload_shares_the_message_it_came_in() {
        let message = Text::from(r#"{"type":"data","payload":{"data":1}}"#);
        let json = &message[25..35];
        let (pointer, span) = (json.as_ptr(), Payload::span(&message, json));
        assert_eq!(span, Some(25..35));
        let payload = Payload::at(message.clone(), span.unwrap_or_default());
        assert_eq!(payload.get(), r#"{"data":1}"#);
        assert_eq!(payload.get().as_ptr(), pointer, "no copy");
        let elsewhere = String::from(r#"{"data":2}"#);
        assert_eq!(Payload::span(&message, &elsewhere), None, "not a slice of the message");
        assert_eq!(Payload::span(&message, &message[30..]), Some(30..message.len()));
    }

    fn event(item: Option<Result<Payload>>) -> Option<String> {
        item.and_then(Result::ok).map(|p| p.get().to_owned())
    }

    fn pending(c: &mut Consumer) -> bool {
        c.poll_next(&mut Context::from_waker(Waker::noop())).is_pending()
    }

    #[test]
    fn a_full_queue_drops_newer_events_and_reports_the_gap_in_place() {
        let (route, _rx) = mpsc::unbounded_channel();
        let (p, mut c) = channel(2, route);
        let mut wakes = Wakes::default();
        for i in 0..5 {
            p.event(raw(i), &mut wakes);
        }
        assert_eq!(event(next(&mut c)).as_deref(), Some("0"));
        p.event(raw(5), &mut wakes);
        assert_eq!(event(next(&mut c)).as_deref(), Some("1"));
        // 2, 3 and 4 were dropped; 5 came after them.
        let gap = next(&mut c).and_then(Result::err);
        assert!(gap.as_ref().is_some_and(Error::is_lagged), "{gap:?}");
        assert_eq!(gap.and_then(|e| e.lagged_count()), Some(3));
        assert_eq!(event(next(&mut c)).as_deref(), Some("5"));
        assert!(pending(&mut c));
    }

    #[test]
    fn a_run_of_events_is_queued_as_each_would_be() {
        let (route, _rx) = mpsc::unbounded_channel();
        let (p, mut c) = channel(2, route);
        let mut wakes = Wakes::default();
        p.events((0..5).map(raw), &mut wakes);
        assert_eq!(wakes.0.len(), 0, "nobody waiting yet");
        assert_eq!(event(next(&mut c)).as_deref(), Some("0"));
        p.events((5..7).map(raw), &mut wakes);
        assert_eq!(event(next(&mut c)).as_deref(), Some("1"));
        // 2, 3 and 4 dropped in the first run, 6 in the second (5 took the room 0 left).
        let gap = next(&mut c).and_then(Result::err);
        assert_eq!(gap.and_then(|e| e.lagged_count()), Some(3));
        assert_eq!(event(next(&mut c)).as_deref(), Some("5"));
        let gap = next(&mut c).and_then(Result::err);
        assert_eq!(gap.and_then(|e| e.lagged_count()), Some(1));
        assert!(pending(&mut c));
        // A consumer waiting is woken once for a run.
        p.events((7..9).map(raw), &mut wakes);
        assert_eq!(wakes.0.len(), 1);
    }

    #[test]
    fn events_taken_out_and_not_read_yet_count_against_the_capacity() {
        let (route, _rx) = mpsc::unbounded_channel();
        let (p, mut c) = channel(4, route);
        let mut wakes = Wakes::default();
        for i in 0..3 {
            p.event(raw(i), &mut wakes);
        }
        // Takes all three, reads one: two unread in hand.
        assert_eq!(event(next(&mut c)).as_deref(), Some("0"));
        for i in 3..6 {
            p.event(raw(i), &mut wakes);
        }
        // 3 and 4 fit (four unread); 5 does not.
        let read: Vec<Option<String>> = (0..4).map(|_| event(next(&mut c))).collect();
        assert_eq!(read, ["1", "2", "3", "4"].map(|s| Some(s.to_owned())));
        assert_eq!(next(&mut c).and_then(|item| item.err()).and_then(|e| e.lagged_count()), Some(1));
        assert!(pending(&mut c));
    }

    #[test]
    fn a_gap_with_nothing_after_it_is_reported_once_the_queue_is_read() {
        let (route, _rx) = mpsc::unbounded_channel();
        let (p, mut c) = channel(1, route);
        let mut wakes = Wakes::default();
        p.event(raw(0), &mut wakes);
        p.event(raw(1), &mut wakes);
        p.event(raw(2), &mut wakes);
        assert_eq!(event(next(&mut c)).as_deref(), Some("0"));
        assert_eq!(next(&mut c).and_then(Result::err).and_then(|e| e.lagged_count()), Some(2));
        assert!(pending(&mut c));
        // The last error is queued past the capacity, and the end follows it.
        p.event(raw(3), &mut wakes);
        p.error(Error::closed("gone"));
        drop(p);
        assert_eq!(event(next(&mut c)).as_deref(), Some("3"));
        assert!(next(&mut c).and_then(Result::err).is_some_and(|e| e.is_closed()));
        assert!(next(&mut c).is_none());
    }

    /// A waker that counts its wake-ups.
    struct Count(std::sync::atomic::AtomicUsize);

    impl std::task::Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
    }

    #[test]
    fn a_waiting_consumer_is_woken_once_for_a_batch_when_the_batch_is_done() {
        let (route, _rx) = mpsc::unbounded_channel();
        let (p, mut c) = channel(8, route);
        let count = Arc::new(Count(std::sync::atomic::AtomicUsize::new(0)));
        let waker = Waker::from(count.clone());
        assert!(c.poll_next(&mut Context::from_waker(&waker)).is_pending());
        let woken = || count.0.load(std::sync::atomic::Ordering::SeqCst);
        let mut wakes = Wakes::default();
        for i in 0..3 {
            p.event(raw(i), &mut wakes);
        }
        assert_eq!(woken(), 0, "not while the batch is routed");
        wakes.wake_all();
        assert_eq!(woken(), 1, "once for the three events");
        for i in 0..3 {
            assert_eq!(event(next(&mut c)).as_deref(), Some(i.to_string().as_str()));
        }
        // Not woken again until it waits again; a dropped collection still wakes.
        p.event(raw(3), &mut wakes);
        wakes.wake_all();
        assert_eq!(woken(), 1);
        assert!(c.poll_next(&mut Context::from_waker(&waker)).is_ready());
        assert!(c.poll_next(&mut Context::from_waker(&waker)).is_pending());
        let mut dropped = Wakes::default();
        p.event(raw(4), &mut dropped);
        drop(dropped);
        assert_eq!(woken(), 2);
    }

    #[test]
    fn abandoning_stops_on_the_current_route_and_refuses_a_move() {
        let (first, mut first_rx) = mpsc::unbounded_channel();
        let (p, c) = channel(4, first);
        let (second, mut second_rx) = mpsc::unbounded_channel();
        let router = p.router();
        assert!(router.reroute(second, Command::Stop { id: "marker".into() }).is_ok());
        assert!(matches!(second_rx.try_recv(), Ok(Command::Stop { id }) if id == "marker"));
        c.abandon("s1".into());
        assert!(first_rx.try_recv().is_err(), "the old route hears nothing");
        assert!(matches!(second_rx.try_recv(), Ok(Command::Stop { id }) if id == "s1"));
        assert!(p.is_abandoned());
        let (third, mut third_rx) = mpsc::unbounded_channel();
        assert!(router.reroute(third, Command::Stop { id: "late".into() }).is_err());
        assert!(third_rx.try_recv().is_err());
    }
}
