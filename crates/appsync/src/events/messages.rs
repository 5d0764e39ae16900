//! AppSync Events' messages as plain serde types: no I/O, no async.
//!
//! Client to server over the WebSocket: [`ClientMessage`] (`connection_init`, `subscribe`,
//! `unsubscribe`, `publish`). Server to client: [`ServerMessage`] (`connection_ack`, `ka`,
//! `subscribe_success`/`_error`, `data`, `broadcast_error`, `unsubscribe_success`/`_error`,
//! `publish_success`/`_error`, `error`, `connection_error`); unknown types decode as
//! [`ServerMessage::Unknown`]. The bodies IAM signs ([`subscribe_body`], [`publish_body`]) are
//! the compact JSON of the message's own fields, `channel` first; the HTTP publish sends
//! [`publish_body`] as its request body and gets a [`PublishResponse`] back.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::realtime::protocol::{WireError, one_or_many};

/// A message the client sends over the WebSocket.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub(crate) enum ClientMessage<'a> {
    /// Opens the protocol (optional for Events, sent anyway as AWS's clients do).
    ConnectionInit,
    /// Subscribes `id` to `channel` (which may end in `/*`).
    Subscribe {
        id: &'a str,
        channel: &'a str,
        /// `host` plus the auth mode's headers, signed over [`subscribe_body`] for IAM.
        authorization: &'a serde_json::Map<String, serde_json::Value>,
    },
    /// Ends subscription `id`.
    Unsubscribe { id: &'a str },
    /// Publishes `events` (each a JSON value as a string) to `channel`.
    Publish {
        id: &'a str,
        channel: &'a str,
        events: &'a [String],
        /// Signed over [`publish_body`] for IAM.
        authorization: &'a serde_json::Map<String, serde_json::Value>,
    },
}

impl ClientMessage<'_> {
    #[allow(
        clippy::expect_used,
        reason = "a tagged enum of strings and string-keyed maps of JSON values always serializes"
    )]
    pub(crate) fn to_json(&self) -> String {
        serde_json::to_string(self).expect("an events message serializes")
    }
}

/// What IAM signs for a `subscribe`: `{"channel":"<channel>"}`, compact.
#[allow(clippy::expect_used, reason = "a struct of one string always serializes")]
pub(crate) fn subscribe_body(channel: &str) -> String {
    #[derive(Serialize)]
    struct Body<'a> {
        channel: &'a str,
    }
    serde_json::to_string(&Body { channel }).expect("a subscribe body serializes")
}

/// What IAM signs for a WebSocket `publish`, and the body of an HTTP publish:
/// `{"channel":"<channel>","events":["<json>",...]}`, compact.
#[allow(clippy::expect_used, reason = "a string and a list of strings always serialize")]
pub(crate) fn publish_body(channel: &str, events: &[String]) -> String {
    #[derive(Serialize)]
    struct Body<'a> {
        channel: &'a str,
        events: &'a [String],
    }
    serde_json::to_string(&Body { channel, events }).expect("a publish body serializes")
}

/// A message the server sends over the WebSocket.
#[derive(Debug, Clone)]
pub(crate) enum ServerMessage<'a> {
    /// The connection is open; keep-alives arrive at least every `connection_timeout_ms`.
    ConnectionAck { connection_timeout_ms: Option<u64> },
    /// Keep-alive.
    Ka,
    /// Subscription `id` is registered.
    SubscribeSuccess { id: String },
    /// Subscription `id` was refused.
    SubscribeError { id: String, errors: Vec<WireError> },
    /// An event of subscription `id`, a slice of the message decoded by the subscriber: the
    /// event's JSON (AppSync's is a string literal), possibly followed by the message's other
    /// members (see [`data_as_sent`]).
    Data { id: Cow<'a, str>, event: &'a str },
    /// An event of subscription `id` could not be delivered (the subscription goes on).
    BroadcastError { id: String, errors: Vec<WireError> },
    /// Subscription `id` ended (the answer to `unsubscribe`).
    UnsubscribeSuccess { id: String },
    /// An `unsubscribe` was refused (`UnknownOperationError`).
    UnsubscribeError { id: String, errors: Vec<WireError> },
    /// Publish `id` was processed: each event succeeded or failed.
    PublishSuccess { id: String, response: PublishResponse },
    /// Publish `id` was refused as a whole.
    PublishError { id: String, errors: Vec<WireError> },
    /// An error naming an operation (`id`) or the connection (none).
    Error { id: Option<String>, errors: Vec<WireError> },
    /// The connection was refused.
    ConnectionError { errors: Vec<WireError> },
    /// A message type this client does not know.
    Unknown,
}

/// The result of one publish, over HTTP or the WebSocket.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub(crate) struct PublishResponse {
    #[serde(default)]
    pub(crate) successful: Vec<Successful>,
    #[serde(default)]
    pub(crate) failed: Vec<Failed>,
}

/// An event AppSync took.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub(crate) struct Successful {
    #[serde(default)]
    pub(crate) identifier: String,
    pub(crate) index: usize,
}

/// An event AppSync refused: amplify-android reads `code`/`message`, the Swift client
/// `errorCode`/`errorMessage`; both are accepted.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub(crate) struct Failed {
    #[serde(default)]
    pub(crate) identifier: String,
    pub(crate) index: usize,
    #[serde(default, alias = "errorCode")]
    pub(crate) code: Option<i64>,
    #[serde(default, alias = "errorMessage")]
    pub(crate) message: Option<String>,
}

/// Any server message, before its type is looked at: an event is only delimited, so it is
/// parsed once, by its subscriber.
#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(rename = "type", borrow)]
    kind: Cow<'a, str>,
    #[serde(default, borrow)]
    id: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    event: Option<&'a RawValue>,
    #[serde(default, rename = "connectionTimeoutMs")]
    connection_timeout_ms: Option<u64>,
    /// The Swift client reads `connection_ack`'s timeout from here.
    #[serde(default, borrow)]
    payload: Option<&'a RawValue>,
    #[serde(default, borrow)]
    errors: Option<&'a RawValue>,
    #[serde(default)]
    successful: Vec<Successful>,
    #[serde(default)]
    failed: Vec<Failed>,
}

#[derive(Deserialize)]
struct Errors(#[serde(deserialize_with = "one_or_many")] Vec<WireError>);

#[derive(Deserialize, Default)]
struct AckPayload {
    #[serde(default, rename = "connectionTimeoutMs")]
    connection_timeout_ms: Option<u64>,
}

impl<'a> ServerMessage<'a> {
    pub(crate) fn parse(text: &'a str) -> Result<Self, serde_json::Error> {
        if let Some((id, event)) = data_as_sent(text) {
            return Ok(ServerMessage::Data { id: Cow::Borrowed(id), event });
        }
        let envelope: Envelope<'a> = serde_json::from_str(text)?;
        let missing = |field: &'static str| <serde_json::Error as serde::de::Error>::missing_field(field);
        if envelope.kind == "data" {
            // The one message that comes in bulk: nothing of it is copied here.
            return Ok(ServerMessage::Data {
                id: envelope.id.ok_or_else(|| missing("id"))?,
                event: envelope.event.ok_or_else(|| missing("event"))?.get(),
            });
        }
        let errors = match envelope.errors {
            Some(raw) => serde_json::from_str::<Errors>(raw.get())?.0,
            None => Vec::new(),
        };
        let id = envelope.id.map(Cow::into_owned);
        let id_or_missing = || id.clone().ok_or_else(|| missing("id"));
        Ok(match &*envelope.kind {
            "connection_ack" => {
                let from_payload = match envelope.payload {
                    Some(raw) => serde_json::from_str::<AckPayload>(raw.get())?.connection_timeout_ms,
                    None => None,
                };
                ServerMessage::ConnectionAck {
                    connection_timeout_ms: envelope.connection_timeout_ms.or(from_payload),
                }
            }
            "ka" => ServerMessage::Ka,
            "subscribe_success" => ServerMessage::SubscribeSuccess { id: id_or_missing()? },
            "subscribe_error" => ServerMessage::SubscribeError { id: id_or_missing()?, errors },
            "broadcast_error" => ServerMessage::BroadcastError { id: id_or_missing()?, errors },
            "unsubscribe_success" => ServerMessage::UnsubscribeSuccess { id: id_or_missing()? },
            "unsubscribe_error" => ServerMessage::UnsubscribeError { id: id_or_missing()?, errors },
            "publish_success" => ServerMessage::PublishSuccess {
                id: id_or_missing()?,
                response: PublishResponse { successful: envelope.successful, failed: envelope.failed },
            },
            "publish_error" => ServerMessage::PublishError { id: id_or_missing()?, errors },
            "error" => ServerMessage::Error { id, errors },
            "connection_error" => ServerMessage::ConnectionError { errors },
            _ => ServerMessage::Unknown,
        })
    }
}

/// The id and the event of a `data` message laid out as `{"type":"data","id":"<id>","event":...}`
/// (the key order of AppSync's Events guide, which the emulator writes; AppSync's own order is
/// not documented), found without a JSON parser: the one message that comes in bulk, where
/// the general parse costs about as much as the subscriber's own decoding of the event. Only
/// the id is read here; the event is everything from `"event":` to the message's closing
/// brace, read once, by its subscriber, which hands what is not one string literal to
/// [`event_in`]. `None` (the general parse's turn) for anything else: another layout or key
/// order, an empty id or one with escapes.
fn data_as_sent(text: &str) -> Option<(&str, &str)> {
    let rest = text.strip_prefix(r#"{"type":"data","id":""#)?;
    // The id is its text when no escape (nor a control character) comes before its quote.
    let end = super::stream::special_at(rest.as_bytes(), 0);
    if end == 0 || rest.as_bytes().get(end) != Some(&b'"') {
        return None;
    }
    let (id, rest) = rest.split_at(end);
    rest.strip_prefix(r#"","event":"#)?.strip_suffix('}').map(|event| (id, event))
}

/// The event of a `data` message whose event text `tail` ([`data_as_sent`]'s, or the general
/// parse's) its subscriber could not read as one string literal: the message parsed in full,
/// as [`ServerMessage::parse`] parses any other, so that the event, or the error, is the one
/// the general parse gives.
pub(crate) fn event_in(tail: &str) -> Result<Box<RawValue>, serde_json::Error> {
    let message = format!(r#"{{"type":"data","id":"","event":{tail}}}"#);
    let envelope: Envelope<'_> = serde_json::from_str(&message)?;
    match envelope.event {
        Some(event) => Ok(event.to_owned()),
        None => Err(<serde_json::Error as serde::de::Error>::missing_field("event")),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    fn value(message: &ClientMessage<'_>) -> Value {
        serde_json::from_str(&message.to_json()).unwrap_or(Value::Null)
    }

    #[test]
    fn client_messages_have_appsyncs_shapes() {
        assert_eq!(ClientMessage::ConnectionInit.to_json(), r#"{"type":"connection_init"}"#);
        let mut authorization = serde_json::Map::new();
        authorization.insert("host".into(), json!("abc.appsync-api.us-east-1.amazonaws.com"));
        authorization.insert("x-api-key".into(), json!("da2-key"));
        let subscribe =
            ClientMessage::Subscribe { id: "s1", channel: "/default/*", authorization: &authorization };
        assert_eq!(
            value(&subscribe),
            json!({"type": "subscribe", "id": "s1", "channel": "/default/*", "authorization": {
                "host": "abc.appsync-api.us-east-1.amazonaws.com", "x-api-key": "da2-key"}})
        );
        assert_eq!(
            value(&ClientMessage::Unsubscribe { id: "s1" }),
            json!({"type": "unsubscribe", "id": "s1"})
        );
        let events = vec![r#"{"text":"hi"}"#.to_owned(), "42".to_owned()];
        let publish = ClientMessage::Publish {
            id: "p1",
            channel: "/default/chat",
            events: &events,
            authorization: &authorization,
        };
        assert_eq!(
            value(&publish),
            json!({"type": "publish", "id": "p1", "channel": "/default/chat",
                   "events": ["{\"text\":\"hi\"}", "42"], "authorization": {
                "host": "abc.appsync-api.us-east-1.amazonaws.com", "x-api-key": "da2-key"}})
        );
    }

    #[test]
    fn signed_bodies_are_compact_with_the_channel_first() {
        assert_eq!(subscribe_body("/default/*"), r#"{"channel":"/default/*"}"#);
        let events = vec![r#"{"text":"hi \"you\""}"#.to_owned(), "[1,2]".to_owned()];
        assert_eq!(
            publish_body("/default/chat", &events),
            r#"{"channel":"/default/chat","events":["{\"text\":\"hi \\\"you\\\"\"}","[1,2]"]}"#
        );
    }

    fn parse(s: &str) -> ServerMessage<'_> {
        ServerMessage::parse(s).unwrap_or(ServerMessage::Unknown)
    }

    #[test]
    fn acks_read_the_timeout_at_the_top_or_in_the_payload() {
        for text in [
            r#"{"type":"connection_ack","connectionTimeoutMs":300000}"#,
            r#"{"type":"connection_ack","payload":{"connectionTimeoutMs":300000}}"#,
        ] {
            assert!(
                matches!(parse(text), ServerMessage::ConnectionAck { connection_timeout_ms: Some(300_000) }),
                "{text}"
            );
        }
        assert!(matches!(
            parse(r#"{"type":"connection_ack"}"#),
            ServerMessage::ConnectionAck { connection_timeout_ms: None }
        ));
        assert!(matches!(parse(r#"{"type":"ka"}"#), ServerMessage::Ka));
        assert!(matches!(parse(r#"{"type":"something_new"}"#), ServerMessage::Unknown));
    }

    #[test]
    fn subscription_messages_decode() {
        assert!(matches!(
            parse(r#"{"type":"subscribe_success","id":"s1"}"#),
            ServerMessage::SubscribeSuccess { id } if id == "s1"
        ));
        let ServerMessage::SubscribeError { id, errors } = parse(
            r#"{"type":"subscribe_error","id":"s1","errors":[{"errorType":"UnauthorizedException","message":"You are not authorized to make this call."}]}"#,
        ) else {
            panic!("not a subscribe_error")
        };
        assert_eq!(id, "s1");
        assert_eq!(errors[0].error.error_type.as_deref(), Some("UnauthorizedException"));
        assert_eq!(errors[0].error.message, "You are not authorized to make this call.");

        // The event stays the JSON string literal it came as; any key order.
        let ServerMessage::Data { id, event } =
            parse(r#"{"event":"{\"text\":\"hi\"}","id":"s\u0031","type":"data"}"#)
        else {
            panic!("not data")
        };
        assert_eq!(id, "s1");
        assert_eq!(event, r#""{\"text\":\"hi\"}""#);
        assert!(ServerMessage::parse(r#"{"type":"data","id":"s1"}"#).is_err(), "data needs an event");

        assert!(matches!(
            parse(r#"{"type":"broadcast_error","id":"s1","errors":[{"errorType":"MessageProcessingError","message":"too big"}]}"#),
            ServerMessage::BroadcastError { id, errors } if id == "s1" && errors.len() == 1
        ));
        assert!(matches!(
            parse(r#"{"type":"unsubscribe_success","id":"s1"}"#),
            ServerMessage::UnsubscribeSuccess { id } if id == "s1"
        ));
        assert!(matches!(
            parse(r#"{"type":"unsubscribe_error","id":"s1","errors":[{"errorType":"UnknownOperationError"}]}"#),
            ServerMessage::UnsubscribeError { id, .. } if id == "s1"
        ));
    }

    /// The general parse of a `data` message, bypassing the shortcut.
    fn parsed_in_full(text: &str) -> Option<(String, String)> {
        let envelope: Envelope<'_> = serde_json::from_str(text).ok()?;
        Some((envelope.id?.into_owned(), envelope.event?.get().to_owned()))
    }

    #[test]
    fn data_as_the_emulator_writes_it_reads_as_the_full_parse_does() {
        let as_sent = |id: &str, event: &str| {
            format!(
                r#"{{"type":"data","id":"{id}","event":{}}}"#,
                serde_json::to_string(event).unwrap_or_default()
            )
        };
        for (id, event) in [
            ("0b7f1c2e-9a43-4d5e-8f61-2b3c4d5e6f70", r#"{"n":1,"i":0,"text":"benchmark event"}"#),
            ("s_1+x", "42"),
            ("s", "é \u{1F600} \" \\ / \u{8}\u{c}\n\r\t \u{1}"),
            ("s", ""),
        ] {
            let text = as_sent(id, event);
            let quick = data_as_sent(&text).map(|(i, e)| (i.to_owned(), e.to_owned()));
            assert!(quick.is_some(), "{text}");
            assert_eq!(quick, parsed_in_full(&text), "{text}");
        }
        // The event is not looked at here: what follows it, or an event that is not one
        // literal, is found by the subscriber, whose general parse reads or refuses it.
        for (text, tail) in [
            (r#"{"type":"data","id":"s","event":"1","extra":2}"#, r#""1","extra":2"#),
            (r#"{"type":"data","id":"s","event":{"n":1}}"#, r#"{"n":1}"#),
            (r#"{"type":"data","id":"s","event":"a\x"}"#, r#""a\x""#),
        ] {
            assert_eq!(data_as_sent(text), Some(("s", tail)), "{text}");
        }
        assert_eq!(event_in(r#""1","extra":2"#).map(|e| e.get().to_owned()).ok().as_deref(), Some(r#""1""#));
        for tail in [r#""a\x""#, r#""1","event":"2""#, r#""1","type":"ka""#, r#""1" x"#, "\"a\u{1}b\""] {
            assert!(event_in(tail).is_err(), "{tail}");
        }
        // Anything else is left to the full parse, which reads or refuses it as before.
        for text in [
            r#"{"event":"\"x\"","id":"s","type":"data"}"#,
            r#"{"type":"data","id":"s\u0031","event":"1"}"#,
            r#"{"type":"data","id":"","event":"1"}"#,
            r#"{"type":"data","id":"s","event":"1"}x"#,
            r#"{"type":"data","id":"s","event":"1"} "#,
        ] {
            assert_eq!(data_as_sent(text), None, "{text}");
        }
        assert!(matches!(
            parse(r#"{"event":"\"x\"","id":"s","type":"data"}"#),
            ServerMessage::Data { id, event } if id == "s" && event == r#""\"x\"""#
        ));
        assert!(ServerMessage::parse(r#"{"type":"data","id":"s\u0031","event":"a\x"}"#).is_err());
    }

    #[test]
    fn publish_and_error_messages_decode() {
        let ServerMessage::PublishSuccess { id, response } = parse(
            r#"{"type":"publish_success","id":"p1","successful":[{"identifier":"u1","index":0}],"failed":[{"identifier":"u2","index":1,"code":400,"message":"bad"}]}"#,
        ) else {
            panic!("not a publish_success")
        };
        assert_eq!(id, "p1");
        assert_eq!(response.successful, vec![Successful { identifier: "u1".into(), index: 0 }]);
        assert_eq!(
            response.failed,
            vec![Failed { identifier: "u2".into(), index: 1, code: Some(400), message: Some("bad".into()) }]
        );
        // The Swift client's spelling of a failed entry.
        let swift: PublishResponse = serde_json::from_str(
            r#"{"successful":[],"failed":[{"identifier":"u","index":0,"errorCode":401,"errorMessage":"no"}]}"#,
        )
        .unwrap_or_default();
        assert_eq!(swift.failed[0].code, Some(401));
        assert_eq!(swift.failed[0].message.as_deref(), Some("no"));

        assert!(matches!(
            parse(r#"{"type":"publish_error","id":"p1","errors":[{"errorType":"InvalidInputError","message":"input exceeded 5 event limit"}]}"#),
            ServerMessage::PublishError { id, errors } if id == "p1" && errors[0].error.message == "input exceeded 5 event limit"
        ));
        assert!(matches!(
            parse(r#"{"type":"error","errors":[{"errorType":"LimitExceededError","message":"Rate limit exceeded"}]}"#),
            ServerMessage::Error { id: None, errors } if errors.len() == 1
        ));
        assert!(matches!(
            parse(r#"{"type":"error","id":"s9","errors":{"errorType":"MaxSubscriptionsReachedError"}}"#),
            ServerMessage::Error { id: Some(id), errors } if id == "s9" && errors.len() == 1
        ));
        let ServerMessage::ConnectionError { errors } = parse(
            r#"{"type":"connection_error","errors":[{"errorType":"UnauthorizedException","message":"You are not authorized to make this call."}]}"#,
        ) else {
            panic!("not a connection_error")
        };
        assert_eq!(errors[0].error.error_type.as_deref(), Some("UnauthorizedException"));
        assert_eq!(errors[0].error_code, None, "Events' errors carry no errorCode");
    }
}
