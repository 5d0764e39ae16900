//! The hook where a namespace's event handlers run: AppSync's `onPublish` and `onSubscribe`.
//!
//! On AppSync these are APPSYNC_JS functions attached to a channel namespace. The emulator calls
//! a [`NamespaceHandler`] at the same points, with the same context (`ctx.events`,
//! `ctx.info.channel`, `ctx.info.channelNamespace`, `ctx.identity`, `ctx.request.headers`), so a
//! JavaScript runtime can implement it, and tests can implement it in Rust.

use std::fmt;
use std::future::Future;
use std::pin::Pin;

use serde_json::{Map, Value};

use crate::auth::Identity;

/// The future a [`NamespaceHandler`] method returns.
pub type HandlerFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

/// A channel namespace's handlers. Both default to AppSync's behaviour without handlers: every
/// event is broadcast as published, every subscription is allowed.
///
/// ```
/// use appsync_local::events::{HandlerError, HandlerFuture, NamespaceHandler, OutgoingEvent, PublishContext, SubscribeContext};
///
/// /// Refuses subscriptions to `/chat/private/*`; drops events without a `text`.
/// struct Moderation;
///
/// impl NamespaceHandler for Moderation {
///     fn on_publish(&self, ctx: PublishContext) -> HandlerFuture<Result<Vec<OutgoingEvent>, HandlerError>> {
///         let kept = ctx.events.into_iter().filter(|e| e.payload.get("text").is_some()).collect();
///         Box::pin(async move { Ok(kept) })
///     }
///
///     fn on_subscribe(&self, ctx: SubscribeContext) -> HandlerFuture<Result<(), HandlerError>> {
///         let private = ctx.channel.segments.get(1).is_some_and(|s| s == "private");
///         Box::pin(async move { if private { Err(HandlerError::unauthorized()) } else { Ok(()) } })
///     }
/// }
/// ```
pub trait NamespaceHandler: Send + Sync + 'static {
    /// `onPublish`: the events to broadcast (all of them by default; none for `[]`), matched
    /// to those given by [`id`](OutgoingEvent::id), with their payloads as returned. An event
    /// returned with an [`error`](OutgoingEvent::error) is reported as failed and not sent; an
    /// event not returned is reported as successful and not sent; an id it was not given is
    /// ignored. An `Err` refuses the whole publish, as `util.error` does.
    fn on_publish(&self, ctx: PublishContext) -> HandlerFuture<Result<Vec<OutgoingEvent>, HandlerError>> {
        Box::pin(std::future::ready(Ok(ctx.events)))
    }

    /// `onSubscribe`: `Err` refuses the subscription (`Unauthorized` for
    /// [`HandlerError::unauthorized`], as `util.unauthorized()`).
    fn on_subscribe(&self, ctx: SubscribeContext) -> HandlerFuture<Result<(), HandlerError>> {
        let _ = ctx;
        Box::pin(std::future::ready(Ok(())))
    }
}

/// `ctx.info.channel`: the channel an operation is about.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ChannelInfo {
    /// `/namespace/a/b` (a subscription's ends in `/*` when it has a wildcard).
    pub path: String,
    /// The segments, the namespace first, a wildcard's `*` last.
    pub segments: Vec<String>,
    /// `ctx.info.channelNamespace.name`.
    pub namespace: String,
}

/// What `onPublish` sees. Its `Debug` names the headers without their values (keys, tokens and
/// signatures among them).
#[derive(Clone)]
#[non_exhaustive]
pub struct PublishContext {
    /// The channel published to.
    pub channel: ChannelInfo,
    /// `ctx.events`: the events that passed the size and JSON checks, with their identifiers.
    pub events: Vec<OutgoingEvent>,
    /// `ctx.identity`: who published.
    pub identity: Identity,
    /// `ctx.request.headers`: the authorization headers the publish carried (secrets included,
    /// as AppSync passes them: do not log them).
    pub headers: Map<String, Value>,
}

/// What `onSubscribe` sees. Its `Debug` names the headers without their values.
#[derive(Clone)]
#[non_exhaustive]
pub struct SubscribeContext {
    /// The channel or pattern subscribed to.
    pub channel: ChannelInfo,
    /// `ctx.identity`: who subscribes.
    pub identity: Identity,
    /// `ctx.request.headers`: the authorization headers the subscribe carried.
    pub headers: Map<String, Value>,
}

impl fmt::Debug for PublishContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PublishContext")
            .field("channel", &self.channel)
            .field("events", &self.events)
            .field("identity", &self.identity)
            .field("headers", &self.headers.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl fmt::Debug for SubscribeContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SubscribeContext")
            .field("channel", &self.channel)
            .field("identity", &self.identity)
            .field("headers", &self.headers.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// An event going through `onPublish`: `{id, payload}` in, `{id, payload, error?}` out.
#[derive(Debug, Clone, PartialEq)]
pub struct OutgoingEvent {
    /// The identifier the emulator gave the event (reported in the publish result).
    pub id: String,
    /// The event as JSON (parsed from the string published).
    pub payload: Value,
    /// Set by a handler to fail this event alone, with this message.
    pub error: Option<String>,
}

/// Why a handler refused a publish or a subscription.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandlerError {
    error_type: String,
    message: String,
}

impl HandlerError {
    /// `util.unauthorized()`: `Unauthorized`.
    #[must_use]
    pub fn unauthorized() -> Self {
        Self {
            error_type: "Unauthorized".to_owned(),
            message: "You are not authorized to make this call.".to_owned(),
        }
    }

    /// `util.error(message, errorType)`.
    #[must_use]
    pub fn new(error_type: impl Into<String>, message: impl Into<String>) -> Self {
        Self { error_type: error_type.into(), message: message.into() }
    }

    /// The error type sent to the client.
    #[must_use]
    pub fn error_type(&self) -> &str {
        &self.error_type
    }

    /// The message sent to the client.
    #[must_use]
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for HandlerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.error_type, self.message)
    }
}

impl std::error::Error for HandlerError {}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{ChannelInfo, SubscribeContext};
    use crate::{AuthMode, Identity};

    #[test]
    fn debug_names_the_headers_without_their_values() {
        let ctx = SubscribeContext {
            channel: ChannelInfo {
                path: "/default/a".into(),
                segments: vec!["default".into(), "a".into()],
                namespace: "default".into(),
            },
            identity: Identity::trusted(AuthMode::ApiKey),
            headers: json!({"x-api-key": "da2-secretvalue", "Authorization": "eyJsecret"})
                .as_object()
                .cloned()
                .unwrap_or_default(),
        };
        let debug = format!("{ctx:?}");
        assert!(debug.contains("x-api-key") && debug.contains("Authorization"), "{debug}");
        assert!(!debug.contains("da2-secretvalue") && !debug.contains("eyJsecret"), "{debug}");
    }
}
