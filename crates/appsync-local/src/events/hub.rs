//! The fan-out hub: every accepted publish, from HTTP, the WebSocket or Rust, is broadcast once
//! to every open Events connection (and to [`Emulator::subscribe_events`] receivers), each of
//! which delivers it to its own matching subscriptions.
//!
//! [`Emulator::subscribe_events`]: crate::Emulator::subscribe_events

use std::sync::Arc;

use tokio::sync::broadcast;

use super::channel::Channel;
use crate::auth::AuthMode;

/// One accepted publish as it fans out: the channel and the events that were broadcast.
#[derive(Debug, Clone)]
pub struct PublishedEvents {
    pub(crate) channel: Channel,
    pub(crate) path: String,
    pub(crate) events: Vec<PublishedEvent>,
    pub(crate) auth_mode: Option<AuthMode>,
}

/// One broadcast event.
#[derive(Debug, Clone)]
pub struct PublishedEvent {
    identifier: String,
    payload: String,
    /// `payload` as a JSON string literal (quoted and escaped), made once for every subscriber.
    pub(crate) literal: String,
}

impl PublishedEvents {
    /// The channel path published to, as `/namespace/a/b`.
    #[must_use]
    pub fn channel(&self) -> &str {
        &self.path
    }

    /// The events broadcast, in the order published (those a handler failed or dropped are
    /// not here).
    #[must_use]
    pub fn events(&self) -> &[PublishedEvent] {
        &self.events
    }

    /// The auth mode the publisher used; `None` for [`Emulator::publish_events`](crate::Emulator::publish_events).
    #[must_use]
    pub fn auth_mode(&self) -> Option<AuthMode> {
        self.auth_mode
    }
}

impl PublishedEvent {
    pub(crate) fn new(identifier: String, payload: String) -> Self {
        let literal = crate::json::string_literal(&payload);
        Self { identifier, payload, literal }
    }

    /// The identifier reported to the publisher.
    #[must_use]
    pub fn identifier(&self) -> &str {
        &self.identifier
    }

    /// The event as subscribers receive it: JSON text.
    #[must_use]
    pub fn payload(&self) -> &str {
        &self.payload
    }

    /// The event parsed (it was checked to be JSON when published).
    #[must_use]
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.payload).unwrap_or(serde_json::Value::Null)
    }
}

/// The broadcast channel behind the hub.
#[derive(Debug)]
pub(crate) struct Hub {
    sender: broadcast::Sender<Arc<PublishedEvents>>,
}

impl Hub {
    /// A hub whose receivers may fall `capacity` publishes behind before they are told they lagged.
    pub(crate) fn new(capacity: usize) -> Self {
        Self { sender: broadcast::channel(capacity).0 }
    }

    pub(crate) fn send(&self, published: PublishedEvents) {
        // No receiver means no subscriber: nothing to deliver.
        let _ = self.sender.send(Arc::new(published));
    }

    pub(crate) fn subscribe(&self) -> broadcast::Receiver<Arc<PublishedEvents>> {
        self.sender.subscribe()
    }

    pub(crate) fn receiver_count(&self) -> usize {
        self.sender.receiver_count()
    }
}
