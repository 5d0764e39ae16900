//! [`Subscription`]: the `Stream` a subscriber reads, decoding each event.

use std::fmt;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_util::Stream;
use serde::de::DeserializeOwned;

#[cfg(doc)]
use super::RealtimeOptions;
use super::queue;
use crate::error::{Error, GraphQLError, Result};

/// A live subscription: a `Stream` of `data` events decoded as `T`.
///
/// An `Err` item that is not followed by `None` is a single bad event (it did not decode, or
/// carried GraphQL errors) or, with [`Error::is_lagged`], events dropped because this consumer
/// fell [`event_queue_capacity`](RealtimeOptions::event_queue_capacity) events behind; an error
/// that ends the subscription (AppSync's `error` for it, a connection refused for good, a
/// `start_ack` timeout) is the last item. Dropping the subscription sends `stop`.
///
/// ```no_run
/// # async fn run(client: appsync::Client) -> Result<(), appsync::Error> {
/// use futures_util::StreamExt as _;
/// #[derive(serde::Deserialize)]
/// struct OnCreatePost { #[serde(rename = "onCreatePost")] post: Post }
/// #[derive(serde::Deserialize)]
/// struct Post { id: String }
///
/// let mut sub = client.subscribe::<OnCreatePost>("subscription { onCreatePost { id } }", ()).await?;
/// if let Some(event) = sub.next().await {
///     println!("created {}", event?.post.id);
/// }
/// drop(sub); // sends `stop`
/// # Ok(()) }
/// ```
pub struct Subscription<T> {
    id: String,
    events: queue::Consumer,
    ended: bool,
    _type: PhantomData<fn() -> T>,
}

impl<T> Subscription<T> {
    /// A subscription whose events arrive through `events`.
    pub(crate) fn new(id: String, events: queue::Consumer) -> Self {
        Self { id, events, ended: false, _type: PhantomData }
    }

    /// The subscription's id on the wire.
    pub fn id(&self) -> &str {
        &self.id
    }
}

impl<T> fmt::Debug for Subscription<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Subscription").field("id", &self.id).field("ended", &self.ended).finish()
    }
}

impl<T: DeserializeOwned> Stream for Subscription<T> {
    type Item = Result<T>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.ended {
            return Poll::Ready(None);
        }
        match self.events.poll_next(cx) {
            Poll::Ready(Some(Ok(payload))) => Poll::Ready(Some(decode_event(payload.get()))),
            Poll::Ready(Some(Err(e))) => Poll::Ready(Some(Err(e))),
            Poll::Ready(None) => {
                self.ended = true;
                Poll::Ready(None)
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<T> Drop for Subscription<T> {
    fn drop(&mut self) {
        if !self.ended {
            self.events.abandon(std::mem::take(&mut self.id));
        }
    }
}

/// A `data` payload, `{"data": {...}, "errors"?: [...]}`, as `T`. The usual event (data, no
/// errors) is decoded in one pass over the text; anything else (errors, no data, a decode that
/// fails) goes the careful way, which looks at `errors` first and finds a failing field's path.
fn decode_event<T: DeserializeOwned>(payload: &str) -> Result<T> {
    #[derive(serde::Deserialize)]
    #[serde(bound = "T: DeserializeOwned")]
    struct Usual<T> {
        #[serde(default = "Option::default")]
        data: Option<T>,
        #[serde(default)]
        errors: Option<Vec<serde::de::IgnoredAny>>,
    }
    if let Ok(Usual { data: Some(data), errors }) = serde_json::from_str::<Usual<T>>(payload)
        && errors.is_none_or(|e| e.is_empty())
    {
        return Ok(data);
    }
    #[derive(serde::Deserialize)]
    struct Event<'a> {
        #[serde(default, borrow)]
        data: Option<&'a serde_json::value::RawValue>,
        #[serde(default, borrow)]
        errors: Option<&'a serde_json::value::RawValue>,
    }
    let event: Event<'_> = serde_json::from_str(payload).map_err(Error::decode)?;
    if let Some(errors) = event.errors {
        let errors: Option<Vec<GraphQLError>> = serde_json::from_str(errors.get()).map_err(Error::decode)?;
        if let Some(errors) = errors.filter(|e| !e.is_empty()) {
            return Err(Error::graphql(errors));
        }
    }
    let data = event.data.map_or("null", serde_json::value::RawValue::get);
    serde_json::from_str(data).map_err(|_| {
        let mut deserializer = serde_json::Deserializer::from_str(data);
        match serde_path_to_error::deserialize::<_, T>(&mut deserializer) {
            Err(e) => Error::decode(e),
            // Not expected: the same text decoded the second time.
            Ok(_) => Error::decode_message("the event did not decode"),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_decode_or_report_errors() {
        let raw = |v: serde_json::Value| v.to_string();
        let ok: Result<serde_json::Value> =
            decode_event(&raw(serde_json::json!({"data": {"onPost": {"id": "1"}}})));
        assert_eq!(ok.ok(), Some(serde_json::json!({"onPost": {"id": "1"}})));
        let err = decode_event::<serde_json::Value>(&raw(
            serde_json::json!({"data": null, "errors": [{"message": "boom", "errorType": "X"}]}),
        ));
        assert!(err.is_err_and(|e| e.is_graphql() && e.error_type() == Some("X")));
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct Typed {
            #[serde(rename = "onPost")]
            on_post: Post,
        }
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct Post {
            id: String,
        }
        let bad = decode_event::<Typed>(&raw(serde_json::json!({"data": {"onPost": {"id": 1}}})));
        assert!(bad.is_err_and(|e| e.json_path().as_deref() == Some("onPost.id")));
        // Data beside errors is not an event: the errors are what the subscriber gets.
        let partial = decode_event::<serde_json::Value>(&raw(serde_json::json!({
            "data": {"onPost": {"id": "1"}},
            "errors": [{"message": "denied", "errorType": "Unauthorized"}]
        })));
        assert!(partial.is_err_and(|e| e.is_graphql() && e.error_type() == Some("Unauthorized")));
        let empty_errors: Result<serde_json::Value> =
            decode_event(&raw(serde_json::json!({"data": {"x": 1}, "errors": []})));
        assert_eq!(empty_errors.ok(), Some(serde_json::json!({"x": 1})));
        let null_data: Result<serde_json::Value> = decode_event(&raw(serde_json::json!({"data": null})));
        assert_eq!(null_data.ok(), Some(serde_json::Value::Null));
        let not_json = decode_event::<serde_json::Value>("{\"data\":");
        assert!(not_json.is_err_and(|e| e.is_decode()));
    }
}
