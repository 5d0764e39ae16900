//! AppSync Events: publish to channels over HTTP or the WebSocket, subscribe to channels.
//!
//! [`EventsClient`] (built by [`EventsClientBuilder`], the same settings as
//! [`Client`](crate::Client)'s) talks to an Events API: `publish` POSTs to
//! `https://<prefix>.appsync-api.<region>.amazonaws.com/event`; `subscribe` and `publish_ws`
//! go over one WebSocket to `wss://<prefix>.appsync-realtime-api.<region>.amazonaws.com/event/realtime`
//! per auth identity, kept alive as GraphQL subscriptions are (keep-alive watchdog,
//! reconnect with jittered backoff, every subscription made again, connection state events,
//! lag reporting: see [`realtime`](crate::realtime)). Every auth mode works, with the same
//! credential and token providers; IAM signs each `subscribe` over `{"channel":"..."}` and each
//! `publish` over `{"channel":"...","events":[...]}`, as AppSync verifies them.
//!
//! ```no_run
//! # async fn run() -> Result<(), appsync::Error> {
//! use futures_util::StreamExt as _;
//! use appsync::Auth;
//! use appsync::credentials::DefaultCredentialsChain;
//! use appsync::events::EventsClient;
//!
//! #[derive(serde::Serialize, serde::Deserialize, Debug)]
//! struct Message { text: String }
//!
//! let client = EventsClient::builder()
//!     .endpoint("https://abc123.appsync-api.us-east-1.amazonaws.com/event")
//!     .auth(Auth::iam(DefaultCredentialsChain::new()))
//!     .build()?;
//! let mut room = client.subscribe::<Message>("/default/rooms/*").await?;
//! let result = client.publish("/default/rooms/42", [Message { text: "hello".into() }]).await?;
//! assert!(result.is_success());
//! let message = room.next().await.transpose()?;
//! println!("{message:?}");
//! client.close().await;
//! # Ok(()) }
//! ```
//!
//! Channels are checked before anything is sent (1 to 5 segments of `A-Z a-z 0-9 -`, each
//! 1 to 50 characters, not starting or ending with `-`; a trailing `/*` for subscriptions
//! only), and so is each event's size ([`MAX_EVENT_BYTES`]).

mod builder;
pub(crate) mod channel;
mod client;
pub(crate) mod messages;
mod publish;
mod stream;

pub use builder::EventsClientBuilder;
pub use client::EventsClient;
pub use publish::{MAX_EVENT_BYTES, MAX_EVENTS_PER_REQUEST, PublishResult, PublishedEvent};
pub use stream::{EventPayload, EventStream};
