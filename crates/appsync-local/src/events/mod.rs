//! AppSync Events, AppSync's second API type, served beside GraphQL on the same port:
//! `POST /event` publishes over HTTP, and the WebSocket at `/event/realtime` (subprotocol
//! `aws-appsync-event-ws`) subscribes and publishes.
//!
//! Channels (`/namespace/a/b`, subscriptions may end in `/*`) live in the configured
//! [`ChannelNamespace`]s (by default one, `default`). Every message is authorized on its own with
//! the emulator's auth modes (IAM: SigV4 over the message's compact body), then against the
//! namespace's allowed modes. Accepted publishes, from any source, fan out to every matching
//! subscription; [`Emulator::publish_events`](crate::Emulator::publish_events) injects one from
//! Rust and [`Emulator::subscribe_events`](crate::Emulator::subscribe_events) observes them all.
//! A [`NamespaceHandler`] runs where AppSync runs a namespace's `onPublish` and `onSubscribe`;
//! a namespace's APPSYNC_JS code and its data source integrations ([`HandlerConfig`]) are one.

mod authorize;
mod channel;
mod connection;
mod handler;
mod handshake;
pub(crate) mod http;
mod hub;
mod integration;
mod js_handler;
mod namespace;
mod options;
pub mod protocol;
mod publish;
#[cfg(test)]
mod tests;

pub use handler::{
    ChannelInfo, HandlerError, HandlerFuture, NamespaceHandler, OutgoingEvent, PublishContext,
    SubscribeContext,
};
pub(crate) use handshake::upgrade;
pub use hub::{PublishedEvent, PublishedEvents};
pub use integration::{HandlerConfig, LambdaInvokeType};
pub use namespace::ChannelNamespace;
pub use options::{EventsOptions, MAX_EVENTS_PER_PUBLISH};

pub(crate) use channel::Channel;
pub(crate) use hub::Hub;
pub(crate) use namespace::Namespaces;
pub(crate) use publish::{Publisher, Refusal, publish};

use crate::auth::AuthMode;

/// The subprotocol AppSync Events requires.
pub const SUBPROTOCOL: &str = "aws-appsync-event-ws";

/// The Events side of an emulator, fixed at build time.
#[derive(Debug)]
pub(crate) struct EventsApi {
    pub(crate) namespaces: Namespaces,
    pub(crate) options: EventsOptions,
    /// The modes a WebSocket may connect with (`ConnectionAuthModes`), resolved.
    pub(crate) connection_modes: Vec<AuthMode>,
    pub(crate) hub: Hub,
    /// The identity handlers see for publishes made from Rust.
    pub(crate) default_mode: AuthMode,
}
