//! [`Subscription`]: a GraphQL subscription's stream, and how its events are decoded.

use serde::de::DeserializeOwned;

#[cfg(doc)]
use super::RealtimeOptions;
use super::stream::sealed::Sealed;
use super::stream::{Decoder, SubscriptionStream};
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
pub type Subscription<T> = SubscriptionStream<T, GraphQlPayload>;

/// The [`Decoder`] of GraphQL subscriptions: a `data` message's payload,
/// `{"data": {...}, "errors"?: [...]}`, as the subscription's `T`, or its GraphQL errors.
#[derive(Debug, Clone, Copy)]
pub struct GraphQlPayload;

impl Sealed for GraphQlPayload {}

impl Decoder for GraphQlPayload {
    const NAME: &'static str = "Subscription";

    fn decode<T: DeserializeOwned>(payload: &str) -> Result<T> {
        decode_event(payload)
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
