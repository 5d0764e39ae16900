//! The one publish path behind `POST /event`, the WebSocket's `publish` and
//! [`Emulator::publish_events`](crate::Emulator::publish_events): namespace and auth-mode checks,
//! AppSync's limits, the namespace's `onPublish` hook, identifiers, and the broadcast.

use serde_json::{Map, Value};

use super::EventsApi;
use super::authorize::{Operation, permitted};
use super::channel::Channel;
use super::handler::{ChannelInfo, HandlerError, OutgoingEvent, PublishContext};
use super::hub::{PublishedEvent, PublishedEvents};
use super::options::MAX_EVENTS_PER_PUBLISH;
use super::protocol::{FailedEvent, PublishResponse, SuccessfulEvent};
use crate::auth::Identity;

/// Why a publish was refused as a whole; each transport words it its own way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// The channel's namespace is not configured (AppSync: a bare `UnauthorizedException`).
    NoNamespace,
    /// The caller's auth mode may not publish in this namespace.
    ModeNotAllowed,
    /// More than five events.
    TooManyEvents,
    /// No event at all.
    NoEvents,
    /// An event that is not a JSON string.
    NotAString(usize),
    /// The namespace's `onPublish` refused it.
    Handler(HandlerError),
}

/// Who publishes, as far as the publish path cares.
pub(crate) struct Publisher {
    /// `None` for publishes made from Rust, which skip the auth-mode check.
    pub(crate) identity: Option<Identity>,
    pub(crate) headers: Map<String, Value>,
}

/// Publishes `events` (JSON strings) to `channel` and reports each one's fate.
pub(crate) async fn publish(
    api: &EventsApi,
    channel: &Channel,
    events: &[Value],
    publisher: Publisher,
) -> Result<PublishResponse, Refusal> {
    let Some(namespace) = api.namespaces.get(channel.namespace()) else {
        return Err(Refusal::NoNamespace);
    };
    if let Some(identity) = &publisher.identity
        && !permitted(namespace, Operation::Publish, identity)
    {
        return Err(Refusal::ModeNotAllowed);
    }
    if events.len() > MAX_EVENTS_PER_PUBLISH {
        return Err(Refusal::TooManyEvents);
    }
    if events.is_empty() {
        return Err(Refusal::NoEvents);
    }
    let mut texts = Vec::with_capacity(events.len());
    for (index, event) in events.iter().enumerate() {
        match event {
            Value::String(text) => texts.push(text.as_str()),
            _ => return Err(Refusal::NotAString(index)),
        }
    }
    let mut response = PublishResponse::default();
    // The events that passed the checks: (index, identifier, text).
    let mut accepted: Vec<(usize, String, &str)> = Vec::with_capacity(texts.len());
    for (index, text) in texts.into_iter().enumerate() {
        let identifier = uuid::Uuid::new_v4().to_string();
        let max = api.options.max_event_bytes;
        let why = if text.len() > max {
            Some(format!("Event size of {} bytes exceeds the limit of {max} bytes", text.len()))
        } else if serde_json::from_str::<serde::de::IgnoredAny>(text).is_err() {
            Some("Event is not a valid JSON value".to_owned())
        } else {
            None
        };
        match why {
            Some(message) => {
                tracing::debug!(index, %message, "event refused");
                response.failed.push(FailedEvent { identifier, index, code: 400, message });
            }
            None => accepted.push((index, identifier, text)),
        }
    }
    let events: Vec<PublishedEvent> = match &namespace.handler {
        None => {
            for (index, identifier, _) in &accepted {
                response.successful.push(SuccessfulEvent { identifier: identifier.clone(), index: *index });
            }
            accepted.iter().map(|(_, id, text)| PublishedEvent::new(id.clone(), (*text).to_owned())).collect()
        }
        Some(handler) => {
            let ctx = PublishContext {
                channel: channel_info(channel),
                events: accepted
                    .iter()
                    .map(|(_, id, text)| OutgoingEvent {
                        id: id.clone(),
                        payload: serde_json::from_str(text).unwrap_or(Value::Null),
                        error: None,
                    })
                    .collect(),
                identity: publisher.identity.clone().unwrap_or_else(|| Identity::trusted(api.default_mode)),
                headers: publisher.headers,
            };
            // Events the handler returns under ids it was not given are ignored: it may only
            // pass on, change or fail the events published.
            let returned = handler.on_publish(ctx).await.map_err(Refusal::Handler)?;
            let mut out = Vec::new();
            for (index, identifier, _) in &accepted {
                match returned.iter().find(|e| &e.id == identifier) {
                    Some(OutgoingEvent { error: Some(message), .. }) => response.failed.push(FailedEvent {
                        identifier: identifier.clone(),
                        index: *index,
                        code: 400,
                        message: message.clone(),
                    }),
                    Some(event) => {
                        response
                            .successful
                            .push(SuccessfulEvent { identifier: identifier.clone(), index: *index });
                        out.push(PublishedEvent::new(identifier.clone(), event.payload.to_string()));
                    }
                    // Left out by the handler: accepted, not broadcast.
                    None => response
                        .successful
                        .push(SuccessfulEvent { identifier: identifier.clone(), index: *index }),
                }
            }
            out
        }
    };
    response.failed.sort_by_key(|f| f.index);
    if !events.is_empty() {
        api.hub.send(PublishedEvents {
            channel: channel.clone(),
            path: channel.to_string(),
            events,
            auth_mode: publisher.identity.as_ref().map(Identity::mode),
        });
    }
    Ok(response)
}

/// `ctx.info.channel` and `ctx.info.channelNamespace` for `channel`.
pub(crate) fn channel_info(channel: &Channel) -> ChannelInfo {
    let mut segments = channel.segments().to_vec();
    let path = channel.to_string();
    if path.ends_with("/*") {
        segments.push("*".to_owned());
    }
    ChannelInfo { path, segments, namespace: channel.namespace().to_owned() }
}
