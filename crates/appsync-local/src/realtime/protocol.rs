//! AppSync's real-time messages as plain serde types: no I/O, so the exact JSON shapes can be
//! checked in isolation and reused by anything speaking the protocol.
//!
//! Client to server: `connection_init`, `start`, `stop`. Server to client: `connection_ack`,
//! `ka`, `start_ack`, `data`, `error`, `complete`, `connection_error`.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A message a client sends.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientMessage {
    /// Opens the session; answered by `connection_ack`. Clients send no payload or `{}`.
    ConnectionInit {
        /// Ignored by AppSync; kept so it round-trips.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        payload: Option<Value>,
    },
    /// Registers a subscription under `id`.
    Start {
        /// The client's name for the subscription, echoed in every answer about it.
        id: String,
        /// The operation and its authorization.
        payload: StartPayload,
    },
    /// Ends the subscription `id`; answered by `complete`.
    Stop {
        /// The subscription to end.
        id: String,
    },
}

/// The payload of `start`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct StartPayload {
    /// `{query, variables, operationName}` as a JSON *string*: for IAM it is exactly the body
    /// that was signed, so it must not be re-serialized before verification.
    pub data: String,
    /// Carries the authorization headers for this one subscription.
    #[serde(default)]
    pub extensions: StartExtensions,
}

/// `payload.extensions` of `start`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
pub struct StartExtensions {
    /// Header name to value, as for an HTTP request to `/graphql` (`host` included).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization: Option<Map<String, Value>>,
}

/// A message the server sends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMessage {
    /// The answer to `connection_init`.
    ConnectionAck {
        /// How long the client may wait for a `ka` before giving up on the connection.
        payload: AckPayload,
    },
    /// Keep-alive.
    Ka,
    /// The subscription `id` is registered.
    StartAck {
        /// The client's subscription id.
        id: String,
    },
    /// An event for subscription `id`.
    Data {
        /// The client's subscription id.
        id: String,
        /// `{"data": {"<subscriptionField>": ...}}`.
        payload: DataPayload,
    },
    /// A failed `start`, or a message the server could not process (then without `id`).
    Error {
        /// The subscription concerned, if any.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        id: Option<String>,
        /// `{"errors": [...]}`.
        payload: ErrorsPayload,
    },
    /// The subscription `id` has ended (after `stop`).
    Complete {
        /// The client's subscription id.
        id: String,
    },
    /// The connection is refused (authorization); the server closes it next.
    ConnectionError {
        /// `{"errors": [...]}`.
        payload: ErrorsPayload,
    },
}

/// The payload of `connection_ack`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AckPayload {
    /// Milliseconds; AppSync answers 300000.
    #[serde(rename = "connectionTimeoutMs")]
    pub connection_timeout_ms: u64,
}

/// The payload of `data`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DataPayload {
    /// `{"<subscriptionField>": <selected result>}`.
    pub data: Value,
}

/// The payload of `error` and `connection_error`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorsPayload {
    /// The errors: a list, except for AppSync's limit errors.
    pub errors: Errors,
}

/// `payload.errors`: AppSync sends a list, but a single object for its limit errors
/// (`MaxSubscriptionsReachedError`, `LimitExceededError`), the form AWS's own iOS client
/// matches (aws-amplify/aws-appsync-realtime-client-ios, `RealtimeConnectionProviderResponse.swift`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Errors {
    /// `[{...}, ...]`.
    List(Vec<ErrorEntry>),
    /// `{"errorType": ..., "message": ...}`, for limit errors.
    One(TypedError),
}

/// One error: AppSync's protocol errors have a fixed key order (`errorType`, `message`,
/// `errorCode`); validation errors are passed on as the HTTP endpoint words them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ErrorEntry {
    /// `{"errorType", "message", "errorCode"?}`.
    Typed(TypedError),
    /// Any other error object, e.g. `{"path", "locations", "message"}`.
    Json(Value),
}

/// A protocol error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TypedError {
    /// E.g. `UnauthorizedException`.
    #[serde(rename = "errorType")]
    pub error_type: String,
    /// Human-readable.
    pub message: String,
    /// HTTP-like status, on connection errors.
    #[serde(rename = "errorCode", default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<u16>,
}

impl ErrorsPayload {
    /// One `{"errorType": ..., "message": ...}` error (with `errorCode` when given).
    #[must_use]
    pub fn single(error_type: &str, message: &str, error_code: Option<u16>) -> Self {
        Self {
            errors: Errors::List(vec![ErrorEntry::Typed(TypedError {
                error_type: error_type.to_owned(),
                message: message.to_owned(),
                error_code,
            })]),
        }
    }

    /// `{"errors": [...]}` with the given entries.
    #[must_use]
    pub fn list(errors: Vec<ErrorEntry>) -> Self {
        Self { errors: Errors::List(errors) }
    }
}

impl ServerMessage {
    /// `connection_error` with AppSync's 401 `UnauthorizedException`.
    #[must_use]
    pub fn unauthorized_connection() -> Self {
        Self::ConnectionError {
            payload: ErrorsPayload::single(
                "UnauthorizedException",
                "You are not authorized to make this call.",
                Some(401),
            ),
        }
    }

    /// `error` for subscription `id` with one `{errorType, message}`.
    #[must_use]
    pub fn error(id: Option<&str>, error_type: &str, message: &str) -> Self {
        Self::Error { id: id.map(str::to_owned), payload: ErrorsPayload::single(error_type, message, None) }
    }

    /// `error` for a limit, in AppSync's own shape: `payload.errors` is one object, not a list
    /// (iOS real-time client `RealtimeConnectionProviderResponse.swift`; captures in
    /// amplify-js #8370 and amplify-cli #3547).
    #[must_use]
    pub fn limit_error(id: Option<&str>, error_type: &str, message: &str) -> Self {
        Self::Error {
            id: id.map(str::to_owned),
            payload: ErrorsPayload {
                errors: Errors::One(TypedError {
                    error_type: error_type.to_owned(),
                    message: message.to_owned(),
                    error_code: None,
                }),
            },
        }
    }

    /// `connection_error` for a WebSocket opened without the `graphql-ws` subprotocol, as
    /// captured in graphql-dotnet/graphql-client #591: no `errorType`, the name in `message`.
    #[must_use]
    pub fn subprotocol_not_supported() -> Self {
        let mut error = Map::new();
        error.insert("message".to_owned(), Value::from("SubProtocolNotSupportedError"));
        error.insert("errorCode".to_owned(), Value::from(400));
        Self::ConnectionError { payload: ErrorsPayload::list(vec![ErrorEntry::Json(Value::Object(error))]) }
    }

    /// The message as the JSON text sent on the socket.
    #[must_use]
    pub fn to_json(&self) -> String {
        // Serializing these plain types cannot fail (string keys, no non-finite floats
        // reachable from serde_json::Value); the fallback only keeps this panic-free.
        serde_json::to_string(self).unwrap_or_else(|_| {
            r#"{"type":"error","payload":{"errors":[{"errorType":"InternalFailure","message":"An internal failure occurred."}]}}"#.to_owned()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn shape(m: &ServerMessage) -> Value {
        serde_json::from_str(&m.to_json()).expect("json")
    }

    #[test]
    fn connection_init_with_and_without_payload() {
        let m: ClientMessage = serde_json::from_str(r#"{"type":"connection_init"}"#).expect("parse");
        assert_eq!(m, ClientMessage::ConnectionInit { payload: None });
        let m: ClientMessage =
            serde_json::from_str(r#"{"type":"connection_init","payload":{}}"#).expect("parse");
        assert_eq!(m, ClientMessage::ConnectionInit { payload: Some(json!({})) });
    }

    #[test]
    fn start_as_gql_and_amplify_send_it() {
        let text = r#"{"id":"1","type":"start","payload":{"data":"{\"query\":\"subscription { onCreatePost { id } }\",\"variables\":{}}","extensions":{"authorization":{"host":"example.com","x-api-key":"da2-k"}}}}"#;
        let m: ClientMessage = serde_json::from_str(text).expect("parse");
        let ClientMessage::Start { id, payload } = m else { panic!("not start") };
        assert_eq!(id, "1");
        assert_eq!(payload.data, r#"{"query":"subscription { onCreatePost { id } }","variables":{}}"#);
        let auth = payload.extensions.authorization.expect("authorization");
        assert_eq!(auth["x-api-key"], "da2-k");
        assert_eq!(auth["host"], "example.com");
    }

    #[test]
    fn stop_and_unknown_types() {
        let m: ClientMessage = serde_json::from_str(r#"{"type":"stop","id":"abc"}"#).expect("parse");
        assert_eq!(m, ClientMessage::Stop { id: "abc".into() });
        assert!(serde_json::from_str::<ClientMessage>(r#"{"type":"subscribe","id":"x"}"#).is_err());
        assert!(serde_json::from_str::<ClientMessage>(r#"{"type":"start","id":"x"}"#).is_err());
    }

    #[test]
    fn server_messages_have_appsyncs_exact_shapes() {
        let ack = ServerMessage::ConnectionAck { payload: AckPayload { connection_timeout_ms: 300_000 } };
        assert_eq!(ack.to_json(), r#"{"type":"connection_ack","payload":{"connectionTimeoutMs":300000}}"#);
        assert_eq!(ServerMessage::Ka.to_json(), r#"{"type":"ka"}"#);
        assert_eq!(ServerMessage::StartAck { id: "1".into() }.to_json(), r#"{"type":"start_ack","id":"1"}"#);
        assert_eq!(ServerMessage::Complete { id: "1".into() }.to_json(), r#"{"type":"complete","id":"1"}"#);
        let data = ServerMessage::Data {
            id: "1".into(),
            payload: DataPayload { data: json!({"onCreatePost": {"id": "p"}}) },
        };
        assert_eq!(
            shape(&data),
            json!({"type":"data","id":"1","payload":{"data":{"onCreatePost":{"id":"p"}}}})
        );
        assert!(data.to_json().starts_with(r#"{"type":"data","id":"1","payload":"#));
    }

    #[test]
    fn errors_have_appsyncs_exact_shapes() {
        assert_eq!(
            ServerMessage::unauthorized_connection().to_json(),
            r#"{"type":"connection_error","payload":{"errors":[{"errorType":"UnauthorizedException","message":"You are not authorized to make this call.","errorCode":401}]}}"#
        );
        // Limit errors: one object (RealtimeConnectionProviderResponse.swift, amplify-js #8370).
        assert_eq!(
            ServerMessage::limit_error(
                Some("7"),
                "MaxSubscriptionsReachedError",
                "Max number of 100 subscriptions reached"
            )
            .to_json(),
            r#"{"type":"error","id":"7","payload":{"errors":{"errorType":"MaxSubscriptionsReachedError","message":"Max number of 100 subscriptions reached"}}}"#
        );
        assert_eq!(
            shape(&ServerMessage::limit_error(None, "LimitExceededError", "Rate limit exceeded")),
            json!({"type":"error","payload":{"errors":{"errorType":"LimitExceededError","message":"Rate limit exceeded"}}})
        );
        // Other errors stay lists.
        assert_eq!(
            shape(&ServerMessage::error(
                Some("1"),
                "DuplicatedOperationError",
                "Duplicated operation with id 1"
            )),
            json!({"type":"error","id":"1","payload":{"errors":[{"errorType":"DuplicatedOperationError","message":"Duplicated operation with id 1"}]}})
        );
        // Both forms read back.
        for m in [
            ServerMessage::limit_error(None, "LimitExceededError", "Rate limit exceeded"),
            ServerMessage::error(None, "BadRequestException", "x"),
        ] {
            assert_eq!(serde_json::from_str::<ServerMessage>(&m.to_json()).expect("parse"), m);
        }
    }
}
