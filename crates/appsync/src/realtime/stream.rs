//! [`SubscriptionStream`]: the `Stream` a subscriber reads, one type for both real-time
//! protocols. What differs between a GraphQL subscription and an AppSync Events channel (how an
//! event's payload becomes a `T`, the name `Debug` shows) is its [`Decoder`]; the queue it reads,
//! the end of the stream and the unsubscribe on drop are the same code.

use std::fmt;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_util::Stream;
use serde::de::DeserializeOwned;

use super::queue;
use crate::error::Result;

/// How a subscription's event payloads are decoded: one implementation per real-time protocol,
/// [`GraphQlPayload`](super::GraphQlPayload) for [`Subscription`](super::Subscription) and
/// [`EventPayload`](crate::events::EventPayload) for [`EventStream`](crate::events::EventStream).
/// Sealed: the protocols are AppSync's.
pub trait Decoder: sealed::Sealed {
    /// The stream's name in `Debug` output.
    const NAME: &'static str;

    /// One event's payload, as received, decoded as `T`.
    fn decode<T: DeserializeOwned>(payload: &str) -> Result<T>;
}

pub(crate) mod sealed {
    /// Only this crate's protocols implement [`Decoder`](super::Decoder).
    pub trait Sealed {}
}

/// A live subscription of either protocol: a `Stream` of events decoded by `D` as `T`. Use it
/// through its names, [`Subscription<T>`](super::Subscription) (GraphQL) and
/// [`EventStream<T>`](crate::events::EventStream) (AppSync Events), whose documentation says
/// what each item means. Dropping it unsubscribes.
pub struct SubscriptionStream<T, D> {
    id: String,
    events: queue::Consumer,
    ended: bool,
    _type: PhantomData<fn() -> (T, D)>,
}

impl<T, D> SubscriptionStream<T, D> {
    /// A subscription whose events arrive through `events`.
    pub(crate) fn new(id: String, events: queue::Consumer) -> Self {
        Self { id, events, ended: false, _type: PhantomData }
    }

    /// The subscription's id on the wire: a random UUID v4 for a GraphQL subscription; for an
    /// Events channel, a short hexadecimal number unique within its client (AppSync repeats the
    /// id in every event it delivers).
    pub fn id(&self) -> &str {
        &self.id
    }
}

impl<T, D: Decoder> fmt::Debug for SubscriptionStream<T, D> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct(D::NAME).field("id", &self.id).field("ended", &self.ended).finish()
    }
}

impl<T: DeserializeOwned, D: Decoder> Stream for SubscriptionStream<T, D> {
    type Item = Result<T>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.ended {
            return Poll::Ready(None);
        }
        match self.events.poll_next(cx) {
            Poll::Ready(Some(Ok(payload))) => Poll::Ready(Some(D::decode(payload.get()))),
            Poll::Ready(Some(Err(e))) => Poll::Ready(Some(Err(e))),
            Poll::Ready(None) => {
                self.ended = true;
                Poll::Ready(None)
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<T, D> Drop for SubscriptionStream<T, D> {
    fn drop(&mut self) {
        if !self.ended {
            self.events.abandon(std::mem::take(&mut self.id));
        }
    }
}
