//! AppSync Events' messages as plain serde types, without I/O: the WebSocket protocol of
//! `/event/realtime` and the bodies of `POST /event`.
//!
//! Client to server: `connection_init` (optional), `subscribe`, `unsubscribe`, `publish`. Server
//! to client: `connection_ack`, `ka`, `connection_error`, `subscribe_success`, `subscribe_error`,
//! `unsubscribe_success`, `unsubscribe_error`, `publish_success`, `publish_error`, `data`,
//! `broadcast_error`, `error`. Unlike GraphQL's real-time protocol, the fields sit at the top
//! level (no `payload`), and errors are `{"errorType", "message"}` without `errorCode`.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::socket::TextFrames;

/// A message a client sends. Unknown fields are ignored (Amplify JS also sends a GraphQL-style
/// `payload` beside the top-level fields).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientMessage {
    /// Opens the session; answered by `connection_ack`. Optional: some clients never send it.
    ConnectionInit {
        /// Ignored; kept so it round-trips.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        payload: Option<Value>,
    },
    /// Subscribes to `channel` (which may end in `/*`) under `id`.
    Subscribe {
        /// The client's name for the subscription, echoed in every answer about it.
        id: String,
        /// The channel path, e.g. `/default/chat` or `/default/*`.
        channel: String,
        /// This message's auth headers (`x-api-key`, `Authorization`, the SigV4 headers...).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        authorization: Option<Map<String, Value>>,
    },
    /// Ends the subscription `id`.
    Unsubscribe {
        /// The subscription to end.
        id: String,
    },
    /// Publishes `events` to `channel`; no subscription is needed.
    Publish {
        /// The client's name for this publish, echoed in the answer.
        id: String,
        /// The channel path; no wildcard.
        channel: String,
        /// Each event as a JSON value *serialized to a string*. Read as JSON values so that a
        /// client sending objects gets an answer saying so rather than an unreadable message.
        events: Vec<Value>,
        /// This message's auth headers.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        authorization: Option<Map<String, Value>>,
    },
}

/// A message the server sends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMessage {
    /// The answer to `connection_init`; the timeout is at the top level (Amplify JS, Android).
    ConnectionAck {
        /// How long the client may wait for a `ka` before giving up on the connection.
        #[serde(rename = "connectionTimeoutMs")]
        connection_timeout_ms: u64,
    },
    /// Keep-alive.
    Ka,
    /// The connection is refused; the server closes it next.
    ConnectionError {
        /// Why.
        errors: Vec<ErrorEntry>,
    },
    /// The subscription `id` is registered: events published from now on reach it.
    SubscribeSuccess {
        /// The client's subscription id.
        id: String,
    },
    /// The subscription `id` was refused; the connection and its other subscriptions go on.
    SubscribeError {
        /// The client's subscription id.
        id: String,
        /// Why.
        errors: Vec<ErrorEntry>,
    },
    /// The subscription `id` has ended.
    UnsubscribeSuccess {
        /// The client's subscription id.
        id: String,
    },
    /// `unsubscribe` for an id that is not subscribed.
    UnsubscribeError {
        /// The id the client sent.
        id: String,
        /// Why.
        errors: Vec<ErrorEntry>,
    },
    /// The publish `id` was processed: each event succeeded or failed on its own.
    PublishSuccess {
        /// The client's publish id.
        id: String,
        /// The events that were accepted.
        successful: Vec<SuccessfulEvent>,
        /// The events that were not, with why.
        failed: Vec<FailedEvent>,
    },
    /// The publish `id` was refused as a whole.
    PublishError {
        /// The client's publish id.
        id: String,
        /// Why.
        errors: Vec<ErrorEntry>,
    },
    /// One event for subscription `id`.
    Data {
        /// The client's subscription id.
        id: String,
        /// The event: a JSON value serialized to a string, as it was published.
        event: String,
    },
    /// An event could not be delivered to subscription `id`.
    BroadcastError {
        /// The client's subscription id.
        id: String,
        /// Why.
        errors: Vec<ErrorEntry>,
    },
    /// A message the server could not process (then without `id`), or a limit reached.
    Error {
        /// The operation concerned, if the message named one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        id: Option<String>,
        /// Why.
        errors: Vec<ErrorEntry>,
    },
}

/// One error: `{"errorType": ..., "message": ...}`; AppSync leaves `message` out of some
/// (a channel outside every namespace is a bare `UnauthorizedException`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorEntry {
    /// E.g. `UnauthorizedException`, `InvalidInputError`.
    #[serde(rename = "errorType")]
    pub error_type: String,
    /// Human-readable, when AppSync sends one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

impl ErrorEntry {
    /// `{"errorType": error_type, "message": message}`.
    #[must_use]
    pub fn new(error_type: &str, message: &str) -> Self {
        Self { error_type: error_type.to_owned(), message: Some(message.to_owned()) }
    }

    /// `{"errorType": error_type}`, without a message.
    #[must_use]
    pub fn bare(error_type: &str) -> Self {
        Self { error_type: error_type.to_owned(), message: None }
    }
}

/// An accepted event of a publish.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SuccessfulEvent {
    /// The identifier AppSync gave the event (a UUID), for logs.
    pub identifier: String,
    /// Its position in the publish.
    pub index: usize,
}

/// A refused event of a publish (amplify-android's `FailedEvent`: `code`, `message`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailedEvent {
    /// The identifier AppSync gave the event.
    pub identifier: String,
    /// Its position in the publish.
    pub index: usize,
    /// An HTTP-like status: 400 for an event that is too large or not JSON.
    pub code: u16,
    /// Why.
    pub message: String,
}

/// The body of a successful `POST /event`, and the outcome of
/// [`Emulator::publish_events`](crate::Emulator::publish_events): each event's fate, by index.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublishResponse {
    /// The events that were accepted.
    pub successful: Vec<SuccessfulEvent>,
    /// The events that were not.
    pub failed: Vec<FailedEvent>,
}

/// The body of `POST /event`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct PublishRequest {
    /// The channel path; no wildcard.
    pub channel: String,
    /// Each event as a JSON value serialized to a string.
    pub events: Vec<Value>,
}

impl ServerMessage {
    /// A `connection_error` with one error.
    #[must_use]
    pub fn connection_error(error: ErrorEntry) -> Self {
        Self::ConnectionError { errors: vec![error] }
    }

    /// An `error` with one `{errorType, message}`.
    #[must_use]
    pub fn error(id: Option<&str>, error_type: &str, message: &str) -> Self {
        Self::Error { id: id.map(str::to_owned), errors: vec![ErrorEntry::new(error_type, message)] }
    }

    /// The message as the JSON text sent on the socket.
    #[must_use]
    pub fn to_json(&self) -> String {
        // Serializing these plain types cannot fail (string keys, no floats); the fallback
        // only keeps this panic-free.
        serde_json::to_string(self).unwrap_or_else(|_| {
            r#"{"type":"error","errors":[{"errorType":"InternalFailure","message":"An internal failure occurred."}]}"#
                .to_owned()
        })
    }
}

/// Appends the `data` message for a subscription whose id is `id_literal` (already a JSON
/// string, quotes included: made once when it subscribes) around an event already serialized
/// as a JSON string literal to `frames`, laid out as [`ServerMessage::Data`] serializes: each
/// event is escaped once per publish, each id once per subscription, and the message is
/// assembled in its frame.
pub(crate) fn push_data_message(frames: &mut TextFrames, id_literal: &str, event_literal: &str) {
    frames.push(&[r#"{"type":"data","id":"#, id_literal, r#","event":"#, event_literal, "}"]);
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    use crate::json::string_literal;

    #[test]
    fn amplify_js_subscribe_with_its_extra_payload_reads() {
        // Amplify JS 6 sends the channel and authorization twice: top level and in `payload`.
        let text = r#"{"id":"s1","channel":"/default/*","authorization":{"x-api-key":"k","host":"h"},"payload":{"channel":"/default/*","extensions":{"authorization":{"x-api-key":"k"}}},"type":"subscribe"}"#;
        let m: ClientMessage = serde_json::from_str(text).expect("parse");
        let ClientMessage::Subscribe { id, channel, authorization } = m else { panic!("not subscribe") };
        assert_eq!((id.as_str(), channel.as_str()), ("s1", "/default/*"));
        assert_eq!(authorization.expect("authorization")["x-api-key"], "k");
    }

    #[test]
    fn client_messages() {
        let m: ClientMessage = serde_json::from_str(r#"{"type":"connection_init"}"#).expect("parse");
        assert_eq!(m, ClientMessage::ConnectionInit { payload: None });
        let m: ClientMessage = serde_json::from_str(r#"{"type":"unsubscribe","id":"a"}"#).expect("parse");
        assert_eq!(m, ClientMessage::Unsubscribe { id: "a".into() });
        let m: ClientMessage = serde_json::from_str(
            r#"{"type":"publish","id":"p","channel":"/default/a","events":["{\"a\":1}","2"]}"#,
        )
        .expect("parse");
        let ClientMessage::Publish { events, authorization, .. } = m else { panic!("not publish") };
        assert_eq!(events, vec![json!("{\"a\":1}"), json!("2")]);
        assert!(authorization.is_none());
        // GraphQL's `start` is not an Events message.
        assert!(serde_json::from_str::<ClientMessage>(r#"{"type":"start","id":"x"}"#).is_err());
    }

    #[test]
    fn server_messages_have_the_events_shapes() {
        assert_eq!(
            ServerMessage::ConnectionAck { connection_timeout_ms: 300_000 }.to_json(),
            r#"{"type":"connection_ack","connectionTimeoutMs":300000}"#
        );
        assert_eq!(ServerMessage::Ka.to_json(), r#"{"type":"ka"}"#);
        assert_eq!(
            ServerMessage::SubscribeSuccess { id: "1".into() }.to_json(),
            r#"{"type":"subscribe_success","id":"1"}"#
        );
        assert_eq!(
            ServerMessage::connection_error(ErrorEntry::bare("UnauthorizedException")).to_json(),
            r#"{"type":"connection_error","errors":[{"errorType":"UnauthorizedException"}]}"#
        );
        let publish = ServerMessage::PublishSuccess {
            id: "p".into(),
            successful: vec![SuccessfulEvent { identifier: "u".into(), index: 0 }],
            failed: vec![FailedEvent { identifier: "v".into(), index: 1, code: 400, message: "m".into() }],
        };
        assert_eq!(
            publish.to_json(),
            r#"{"type":"publish_success","id":"p","successful":[{"identifier":"u","index":0}],"failed":[{"identifier":"v","index":1,"code":400,"message":"m"}]}"#
        );
        assert_eq!(
            ServerMessage::error(None, "LimitExceededError", "Rate limit exceeded").to_json(),
            r#"{"type":"error","errors":[{"errorType":"LimitExceededError","message":"Rate limit exceeded"}]}"#
        );
    }

    #[test]
    fn data_message_is_laid_out_as_the_serde_type() {
        for (id, event) in [("1", r#"{"a":"é\n\"q\""}"#), ("sub \"x\" \\", "42"), ("", "")] {
            let literal = serde_json::to_string(event).expect("json");
            let typed = ServerMessage::Data { id: id.to_owned(), event: event.to_owned() };
            let mut frames = TextFrames::default();
            push_data_message(&mut frames, &string_literal(id), &literal);
            assert_eq!(frames.texts(), [typed.to_json()]);
        }
    }
}
