//! GraphQL subscriptions over AppSync's real-time WebSocket endpoint, and the same machinery
//! for AppSync Events' WebSocket ([`events`](crate::events): `subscribe`, `publish_ws`), which
//! differs only in its messages.
//!
//! [`Client::subscribe`] returns a [`Subscription`]: a `Stream` of typed events. Subscriptions
//! of one client share one WebSocket per (real-time endpoint, auth identity), up to
//! [`RealtimeOptions::max_subscriptions_per_connection`] (AppSync's limit: 100) each. The
//! connection task keeps them alive: keep-alive watchdog, reconnect with jittered exponential
//! backoff, fresh credentials and signatures on every connect and every `start`, every live
//! subscription started again after a reconnect. Its state changes are a stream
//! ([`Client::connection_states`]), a callback ([`RealtimeOptions::on_state`]) and `tracing`
//! events (target `appsync::realtime`).
//!
//! A subscription the server refuses with `MaxSubscriptionsReachedError` (its per-connection
//! limit is lower than ours) moves to another connection instead of ending.
//!
//! Each subscription has a bounded event queue
//! ([`RealtimeOptions::event_queue_capacity`], default 1024 events). The connection never waits
//! for a consumer, so a slow stream cannot hold up the others on its connection: when a
//! consumer is that far behind, newer events are dropped and counted, and the consumer reads
//! an `Err` answering [`Error::is_lagged`] (with [`Error::lagged_count`]) where they would
//! have been, then the stream goes on.
//!
//! ```no_run
//! # async fn run() -> Result<(), appsync::Error> {
//! use futures_util::StreamExt as _;
//! use appsync::{Auth, Client};
//! use appsync::credentials::DefaultCredentialsChain;
//!
//! let client = Client::builder()
//!     .endpoint("https://abc123.appsync-api.us-east-1.amazonaws.com/graphql")
//!     .auth(Auth::iam(DefaultCredentialsChain::new()))
//!     .build()?;
//! let mut posts = client
//!     .subscribe::<serde_json::Value>("subscription { onCreatePost { id title } }", ())
//!     .await?;
//! while let Some(event) = posts.next().await {
//!     println!("{}", event?["onCreatePost"]["title"]);
//! }
//! # Ok(()) }
//! ```

mod connection;
pub(crate) mod dialect;
pub(crate) mod handshake;
mod hub;
mod options;
pub(crate) mod protocol;
pub(crate) mod queue;
mod state;
pub(crate) mod stream;
mod subscription;
pub(crate) mod transport;
mod websocket;

pub(crate) use hub::{Command, Hub, Key};
pub use options::{AuthForm, RealtimeOptions};
pub use state::{ConnectionEvent, ConnectionState};
pub use stream::{Decoder, SubscriptionStream};
pub use subscription::{GraphQlPayload, Subscription};

#[cfg(doc)]
use crate::{Client, Error};
