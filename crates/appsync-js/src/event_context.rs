//! `ctx` of an AppSync Events handler (`onPublish`, `onSubscribe`), as the Event API context
//! reference describes it: `events`, `identity`, `request`, `info {channel {path, segments},
//! channelNamespace {name}, operation}` and `stash`.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::context::{ContextError, Identity, Request};

/// The context of one Events handler run: what `ctx` holds in `onPublish` and `onSubscribe`.
///
/// ```
/// use appsync_js::{Engine, EventContext, EventOperation, Handler, IncomingEvent};
/// use serde_json::json;
///
/// let engine = Engine::builder().workers(1).build()?;
/// let ctx = EventContext::new(EventOperation::Publish, "/chat/room1", "chat")
///     .events(vec![IncomingEvent::new("id-1", json!({ "text": "hi" }))]);
/// let code = "export function onPublish(ctx) {
///     return ctx.events.map(e => ({ id: e.id, payload: { ...e.payload, room: ctx.info.channel.segments[1] } }));
/// }";
/// let evaluation = engine.evaluate_blocking_event(code, Handler::OnPublish, &ctx)?;
/// assert_eq!(evaluation.result, json!([{ "id": "id-1", "payload": { "text": "hi", "room": "room1" } }]));
/// # Ok::<(), appsync_js::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct EventContext {
    /// The events published (`onPublish` only; absent in `onSubscribe`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub events: Option<Vec<IncomingEvent>>,
    /// Who publishes or subscribes.
    pub identity: Identity,
    /// The authorization headers of the publish or subscribe.
    pub request: Request,
    /// The channel, its namespace and the operation.
    pub info: EventInfo,
    /// Values a handler keeps for the rest of its run (from `request` to `response`).
    pub stash: Map<String, Value>,
    /// `ctx.result`: what the data source answered (`response` of a handler with a data source
    /// integration only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<Value>,
    /// `ctx.error`: the data source's failure (`response` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<ContextError>,
}

impl EventContext {
    /// The context of `operation` on channel `path` (`/namespace/a/b`, a subscription's may end
    /// in `/*`) of namespace `namespace`; `info.channel.segments` are `path`'s segments.
    #[must_use]
    pub fn new(operation: EventOperation, path: impl Into<String>, namespace: impl Into<String>) -> Self {
        let path = path.into();
        let segments = path.split('/').filter(|s| !s.is_empty()).map(str::to_owned).collect();
        Self {
            info: EventInfo {
                channel: ChannelPath { path, segments },
                channel_namespace: ChannelNamespaceName { name: namespace.into() },
                operation,
            },
            ..Self::default()
        }
    }

    /// Sets the events published.
    #[must_use]
    pub fn events(mut self, events: Vec<IncomingEvent>) -> Self {
        self.events = Some(events);
        self
    }

    /// Sets the caller's identity.
    #[must_use]
    pub fn identity(mut self, identity: Identity) -> Self {
        self.identity = identity;
        self
    }

    /// Sets the request's headers.
    #[must_use]
    pub fn request(mut self, request: Request) -> Self {
        self.request = request;
        self
    }
}

/// One of `ctx.events`: the identifier AppSync gave the event and its payload, parsed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct IncomingEvent {
    /// The event's identifier (reported back in the publish result).
    pub id: String,
    /// The event, as JSON.
    pub payload: Value,
}

impl IncomingEvent {
    /// The event `id` with `payload`.
    #[must_use]
    pub fn new(id: impl Into<String>, payload: Value) -> Self {
        Self { id: id.into(), payload }
    }
}

/// `ctx.info` of an Events handler.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct EventInfo {
    /// `ctx.info.channel`.
    pub channel: ChannelPath,
    /// `ctx.info.channelNamespace`.
    pub channel_namespace: ChannelNamespaceName,
    /// `ctx.info.operation`.
    pub operation: EventOperation,
}

/// `ctx.info.channel`: the channel's path and its segments.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct ChannelPath {
    /// `/namespace/a/b`.
    pub path: String,
    /// `["namespace", "a", "b"]`.
    pub segments: Vec<String>,
}

/// `ctx.info.channelNamespace`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct ChannelNamespaceName {
    /// The namespace's name.
    pub name: String,
}

/// `ctx.info.operation`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum EventOperation {
    /// A publish (`onPublish`).
    #[default]
    Publish,
    /// A subscription (`onSubscribe`).
    Subscribe,
}
