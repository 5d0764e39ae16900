//! AppSync's real-time protocol messages as plain serde types: no I/O, no async.
//!
//! Client to server: [`ClientMessage`] (`connection_init`, `start`, `stop`). Server to client:
//! [`ServerMessage`] (`connection_ack`, `ka`, `start_ack`, `data`, `error`, `complete`,
//! `connection_error`). Unknown server message types decode as [`ServerMessage::Unknown`].

use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::error::GraphQLError;

/// A message the client sends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub(crate) enum ClientMessage {
    /// Opens the protocol on a fresh socket.
    ConnectionInit,
    /// Registers a subscription.
    Start {
        /// The subscription's id (unique on the connection).
        id: String,
        /// The GraphQL request and its authorization.
        payload: StartPayload,
    },
    /// Unregisters a subscription.
    Stop {
        /// The subscription's id.
        id: String,
    },
}

/// The `payload` of a `start`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct StartPayload {
    /// The JSON string of `{"query", "variables"}`: what IAM signs as the body.
    pub(crate) data: String,
    /// `{"authorization": {...auth headers incl. host...}}`.
    pub(crate) extensions: StartExtensions,
}

/// The `extensions` of a `start`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct StartExtensions {
    /// Header name to value: `host` plus the auth mode's headers.
    pub(crate) authorization: serde_json::Map<String, serde_json::Value>,
}

/// A message the server sends.
#[derive(Debug, Clone)]
pub(crate) enum ServerMessage<'a> {
    /// The connection is open; keep-alives arrive at least every `connection_timeout_ms`.
    ConnectionAck { payload: AckPayload },
    /// Keep-alive.
    Ka,
    /// A subscription is registered.
    StartAck { id: String },
    /// An event of a subscription: its payload as JSON text, a slice of the message, decoded
    /// by the subscriber.
    Data { id: Cow<'a, str>, payload: &'a RawValue },
    /// A subscription failed (or, without an id, the connection did).
    Error { id: Option<String>, payload: ErrorPayload },
    /// A subscription ended (the answer to `stop`).
    Complete { id: String },
    /// The connection was refused (bad auth, limits).
    ConnectionError { payload: ErrorPayload },
    /// A message type this client does not know.
    Unknown,
}

/// Any server message, before its type is looked at: the payload is only delimited, so an
/// event's is parsed once, by its subscriber, into its own type.
#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(rename = "type", borrow)]
    kind: Cow<'a, str>,
    #[serde(default, borrow)]
    id: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    payload: Option<&'a RawValue>,
}

/// The `payload` of `connection_ack`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AckPayload {
    /// How long the client waits for a `ka` before it considers the connection lost.
    #[serde(default)]
    pub(crate) connection_timeout_ms: Option<u64>,
}

/// The `payload` of `error` and `connection_error`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub(crate) struct ErrorPayload {
    #[serde(default, deserialize_with = "one_or_many")]
    pub(crate) errors: Vec<WireError>,
}

/// `errors` as a list, or as the single object AppSync sends for its limit errors
/// (`MaxSubscriptionsReachedError`, `LimitExceededError`; AWS's iOS real-time client,
/// `RealtimeConnectionProviderResponse.swift`, matches only that form).
pub(crate) fn one_or_many<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Vec<WireError>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        Many(Vec<WireError>),
        One(WireError),
    }
    Ok(match OneOrMany::deserialize(deserializer)? {
        OneOrMany::Many(errors) => errors,
        OneOrMany::One(error) => vec![error],
    })
}

/// One error of an `error` or `connection_error`: GraphQL's fields plus AppSync's `errorCode`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WireError {
    #[serde(default, rename = "errorCode")]
    pub(crate) error_code: Option<u16>,
    #[serde(flatten)]
    pub(crate) error: GraphQLError,
}

impl ClientMessage {
    #[allow(
        clippy::expect_used,
        reason = "a tagged enum of strings, string-keyed maps and JSON values always serializes; \
                  an empty message on the wire would be worse than the panic"
    )]
    pub(crate) fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a client message serializes")
    }
}

impl<'a> ServerMessage<'a> {
    pub(crate) fn parse(text: &'a str) -> Result<Self, serde_json::Error> {
        let envelope: Envelope<'a> = serde_json::from_str(text)?;
        if envelope.kind == "data" {
            // The one message that comes in bulk: nothing of it is copied here.
            return Ok(ServerMessage::Data {
                id: envelope
                    .id
                    .ok_or_else(|| <serde_json::Error as serde::de::Error>::missing_field("id"))?,
                payload: envelope
                    .payload
                    .ok_or_else(|| <serde_json::Error as serde::de::Error>::missing_field("payload"))?,
            });
        }
        let id = envelope.id.map(Cow::into_owned);
        let payload = |default: &'static str| envelope.payload.map_or(default, RawValue::get);
        let missing_id = || <serde_json::Error as serde::de::Error>::missing_field("id");
        Ok(match &*envelope.kind {
            "connection_ack" => {
                ServerMessage::ConnectionAck { payload: serde_json::from_str(payload("{}"))? }
            }
            "ka" => ServerMessage::Ka,
            "start_ack" => ServerMessage::StartAck { id: id.ok_or_else(missing_id)? },
            "error" => ServerMessage::Error { id, payload: serde_json::from_str(payload("{}"))? },
            "complete" => ServerMessage::Complete { id: id.ok_or_else(missing_id)? },
            "connection_error" => {
                ServerMessage::ConnectionError { payload: serde_json::from_str(payload("{}"))? }
            }
            _ => ServerMessage::Unknown,
        })
    }
}

/// The `data` of a `start`: the GraphQL request as a JSON string.
#[allow(
    clippy::expect_used,
    reason = "a string and a JSON value always serialize; an empty `data` would start a \
              subscription to nothing"
)]
pub(crate) fn start_data(query: &str, variables: &serde_json::Value, operation_name: Option<&str>) -> String {
    #[derive(Serialize)]
    struct Data<'a> {
        query: &'a str,
        variables: &'a serde_json::Value,
        #[serde(rename = "operationName", skip_serializing_if = "Option::is_none")]
        operation_name: Option<&'a str>,
    }
    let variables =
        if variables.is_null() { &serde_json::Value::Object(Default::default()) } else { variables };
    serde_json::to_string(&Data { query, variables, operation_name }).expect("a start's data serializes")
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    fn as_value(m: &ClientMessage) -> Value {
        serde_json::from_str(&m.to_json()).unwrap_or(Value::Null)
    }

    #[test]
    fn client_messages_have_appsyncs_shapes() {
        assert_eq!(ClientMessage::ConnectionInit.to_json(), r#"{"type":"connection_init"}"#);
        assert_eq!(as_value(&ClientMessage::Stop { id: "s1".into() }), json!({"type": "stop", "id": "s1"}));
        let mut authorization = serde_json::Map::new();
        authorization.insert("host".into(), json!("abc.appsync-api.us-east-1.amazonaws.com"));
        authorization.insert("x-api-key".into(), json!("da2-key"));
        let start = ClientMessage::Start {
            id: "s1".into(),
            payload: StartPayload {
                data: start_data("subscription { onPost { id } }", &Value::Null, None),
                extensions: StartExtensions { authorization },
            },
        };
        assert_eq!(
            as_value(&start),
            json!({"type": "start", "id": "s1", "payload": {
                "data": "{\"query\":\"subscription { onPost { id } }\",\"variables\":{}}",
                "extensions": {"authorization": {
                    "host": "abc.appsync-api.us-east-1.amazonaws.com", "x-api-key": "da2-key"}}}})
        );
        assert_eq!(
            start_data("q", &json!({"a": 1}), None),
            r#"{"query":"q","variables":{"a":1}}"#,
            "key order is what IAM signs"
        );
        assert_eq!(
            start_data("q", &json!({}), Some("OnPost")),
            r#"{"query":"q","variables":{},"operationName":"OnPost"}"#,
            "a document with several operations names the one to run"
        );
    }

    #[test]
    fn server_messages_decode() {
        fn parse(s: &str) -> ServerMessage<'_> {
            ServerMessage::parse(s).unwrap_or(ServerMessage::Unknown)
        }
        assert!(matches!(
            parse(r#"{"type":"connection_ack","payload":{"connectionTimeoutMs":300000}}"#),
            ServerMessage::ConnectionAck { payload: AckPayload { connection_timeout_ms: Some(300_000) } }
        ));
        assert!(matches!(
            parse(r#"{"type":"connection_ack"}"#),
            ServerMessage::ConnectionAck { payload: AckPayload { connection_timeout_ms: None } }
        ));
        assert!(matches!(parse(r#"{"type":"ka"}"#), ServerMessage::Ka));
        assert!(
            matches!(parse(r#"{"type":"start_ack","id":"s1"}"#), ServerMessage::StartAck { id } if id == "s1")
        );
        // Any key order; escapes in the id; the payload kept as it came.
        let ServerMessage::Data { id, payload } =
            parse(r#"{"payload":{"data":{"onPost":{"id":"1"}}},"id":"s\u0031","type":"data"}"#)
        else {
            panic!("not data")
        };
        assert_eq!(id, "s1");
        assert_eq!(payload.get(), r#"{"data":{"onPost":{"id":"1"}}}"#);
        assert!(ServerMessage::parse(r#"{"type":"data","payload":{}}"#).is_err(), "data needs an id");
        assert!(ServerMessage::parse(r#"{"type":"data","id":"s1","payload":{"#).is_err());
        assert!(
            matches!(parse(r#"{"type":"complete","id":"s1"}"#), ServerMessage::Complete { id } if id == "s1")
        );
        assert!(matches!(parse(r#"{"type":"something_new","x":1}"#), ServerMessage::Unknown));

        let ServerMessage::Error { id, payload } = parse(
            r#"{"type":"error","id":"s1","payload":{"errors":[{"errorType":"UnsupportedOperation","message":"Operation not supported through the realtime channel"}]}}"#,
        ) else {
            panic!("not an error")
        };
        assert_eq!(id.as_deref(), Some("s1"));
        assert_eq!(payload.errors[0].error.error_type.as_deref(), Some("UnsupportedOperation"));

        // Limit errors carry one object rather than a list (RealtimeConnectionProviderResponse.swift).
        let ServerMessage::Error { id, payload } = parse(
            r#"{"type":"error","id":"s2","payload":{"errors":{"errorType":"MaxSubscriptionsReachedError","message":"Max number of 100 subscriptions reached"}}}"#,
        ) else {
            panic!("not an error")
        };
        assert_eq!(id.as_deref(), Some("s2"));
        assert_eq!(payload.errors.len(), 1);
        assert_eq!(payload.errors[0].error.error_type.as_deref(), Some("MaxSubscriptionsReachedError"));
        assert_eq!(payload.errors[0].error.message, "Max number of 100 subscriptions reached");
        let ServerMessage::Error { id, payload } = parse(
            r#"{"type":"error","payload":{"errors":{"errorType":"LimitExceededError","message":"Rate limit exceeded"}}}"#,
        ) else {
            panic!("not an error")
        };
        assert_eq!(id, None);
        assert_eq!(payload.errors[0].error.error_type.as_deref(), Some("LimitExceededError"));

        let ServerMessage::ConnectionError { payload } = parse(
            r#"{"type":"connection_error","payload":{"errors":[{"errorType":"UnauthorizedException","errorCode":401}]}}"#,
        ) else {
            panic!("not a connection error")
        };
        assert_eq!(payload.errors[0].error_code, Some(401));
        assert_eq!(payload.errors[0].error.error_type.as_deref(), Some("UnauthorizedException"));
        assert_eq!(payload.errors[0].error.message, "");
    }
}
