//! What differs between AppSync's two real-time protocols, GraphQL subscriptions
//! (`graphql-ws`: `start`/`start_ack`/`data`/`stop`) and AppSync Events
//! (`aws-appsync-event-ws`: `subscribe`/`subscribe_success`/`data`/`unsubscribe`, `publish`),
//! so that one connection task, handshake, watchdog and reconnect serve both.
//!
//! Each protocol's messages are its own plain serde types (GraphQL's in
//! [`protocol`](super::protocol), Events' in `events::messages`); a [`Dialect`] builds the
//! outgoing ones and reads the incoming ones as the [`Incoming`] the connection task handles.

use std::borrow::Cow;

use super::protocol::{self, WireError};
use crate::error::{Error, GraphQLError};
use crate::events::messages::{self as events, PublishResponse};

/// Which real-time protocol a hub's connections speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Dialect {
    /// GraphQL subscriptions on `<api>/graphql`.
    #[default]
    GraphQl,
    /// AppSync Events on `<api>/event`.
    Events,
}

/// A server message as the connection task sees it, whichever the protocol.
#[derive(Debug)]
pub(crate) enum Incoming<'a> {
    /// `connection_ack`, with the keep-alive timeout when the server names one.
    Ack { connection_timeout_ms: Option<u64> },
    /// Keep-alive.
    KeepAlive,
    /// Subscription `id` is registered (`start_ack`, `subscribe_success`).
    Started { id: String },
    /// An event of subscription `id`, as the subscriber decodes it (a slice of the message).
    Data { id: Cow<'a, str>, payload: &'a str },
    /// Operation `id` (a subscription, or an Events publish) was refused.
    Failed { id: String, errors: Vec<WireError> },
    /// One event of subscription `id` could not be delivered; the subscription goes on.
    EventFailed { id: String, errors: Vec<WireError> },
    /// Subscription `id` ended (`complete`, `unsubscribe_success`).
    Ended { id: String },
    /// Events publish `id` was processed.
    Published { id: String, response: PublishResponse },
    /// An error naming no operation.
    ServerError { errors: Vec<WireError> },
    /// The connection was refused.
    ConnectionError { errors: Vec<WireError> },
    /// Nothing for the connection task (an unknown type, `unsubscribe_error`).
    Ignored,
}

impl Dialect {
    /// The `Sec-WebSocket-Protocol` the endpoint requires.
    pub(crate) fn subprotocol(self) -> &'static str {
        match self {
            Self::GraphQl => "graphql-ws",
            Self::Events => "aws-appsync-event-ws",
        }
    }

    /// The body IAM signs for subscription `request` (GraphQL: the `start`'s `data`, the JSON
    /// of `{query, variables}`; Events: `{"channel":"<channel>"}`).
    pub(crate) fn start_body(self, request: &str) -> Cow<'_, str> {
        match self {
            Self::GraphQl => Cow::Borrowed(request),
            Self::Events => Cow::Owned(events::subscribe_body(request)),
        }
    }

    /// The message that starts subscription `id`.
    pub(crate) fn start_message(
        self,
        id: &str,
        request: &str,
        authorization: serde_json::Map<String, serde_json::Value>,
    ) -> String {
        match self {
            Self::GraphQl => protocol::ClientMessage::Start {
                id: id.to_owned(),
                payload: protocol::StartPayload {
                    data: request.to_owned(),
                    extensions: protocol::StartExtensions { authorization },
                },
            }
            .to_json(),
            Self::Events => {
                events::ClientMessage::Subscribe { id, channel: request, authorization: &authorization }
                    .to_json()
            }
        }
    }

    /// The message that ends subscription `id`.
    pub(crate) fn stop_message(self, id: &str) -> String {
        match self {
            Self::GraphQl => protocol::ClientMessage::Stop { id: id.to_owned() }.to_json(),
            Self::Events => events::ClientMessage::Unsubscribe { id }.to_json(),
        }
    }

    /// `connection_init`.
    pub(crate) fn init_message(self) -> String {
        match self {
            Self::GraphQl => protocol::ClientMessage::ConnectionInit.to_json(),
            Self::Events => events::ClientMessage::ConnectionInit.to_json(),
        }
    }

    /// The error that ends a subscription the server refused.
    pub(crate) fn refusal(self, errors: Vec<WireError>) -> Error {
        let errors: Vec<GraphQLError> = errors.into_iter().map(|e| e.error).collect();
        match self {
            Self::GraphQl => Error::graphql(errors),
            Self::Events => Error::rejected(errors),
        }
    }

    pub(crate) fn parse(self, text: &str) -> Result<Incoming<'_>, serde_json::Error> {
        match self {
            Self::GraphQl => Ok(from_graphql(protocol::ServerMessage::parse(text)?)),
            Self::Events => Ok(from_events(events::ServerMessage::parse(text)?)),
        }
    }
}

fn from_graphql(message: protocol::ServerMessage<'_>) -> Incoming<'_> {
    use protocol::ServerMessage as M;
    match message {
        M::ConnectionAck { payload } => {
            Incoming::Ack { connection_timeout_ms: payload.connection_timeout_ms }
        }
        M::Ka => Incoming::KeepAlive,
        M::StartAck { id } => Incoming::Started { id },
        M::Data { id, payload } => Incoming::Data { id, payload: payload.get() },
        M::Error { id: Some(id), payload } => Incoming::Failed { id, errors: payload.errors },
        M::Error { id: None, payload } => Incoming::ServerError { errors: payload.errors },
        M::Complete { id } => Incoming::Ended { id },
        M::ConnectionError { payload } => Incoming::ConnectionError { errors: payload.errors },
        M::Unknown => Incoming::Ignored,
    }
}

fn from_events(message: events::ServerMessage<'_>) -> Incoming<'_> {
    use events::ServerMessage as M;
    match message {
        M::ConnectionAck { connection_timeout_ms } => Incoming::Ack { connection_timeout_ms },
        M::Ka => Incoming::KeepAlive,
        M::SubscribeSuccess { id } => Incoming::Started { id },
        M::Data { id, event } => Incoming::Data { id, payload: event },
        M::SubscribeError { id, errors }
        | M::PublishError { id, errors }
        | M::Error { id: Some(id), errors } => Incoming::Failed { id, errors },
        M::BroadcastError { id, errors } => Incoming::EventFailed { id, errors },
        M::UnsubscribeSuccess { id } => Incoming::Ended { id },
        M::PublishSuccess { id, response } => Incoming::Published { id, response },
        M::Error { id: None, errors } => Incoming::ServerError { errors },
        M::ConnectionError { errors } => Incoming::ConnectionError { errors },
        M::UnsubscribeError { id, errors } => {
            tracing::debug!(target: "appsync::realtime", id, ?errors, "unsubscribe refused");
            Incoming::Ignored
        }
        M::Unknown => Incoming::Ignored,
    }
}
