//! What one handler's evaluation produced (what AppSync's `EvaluateCode` reports, and more).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Which exported handler to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Handler {
    /// `request(ctx)`: builds the data source request.
    Request,
    /// `response(ctx)`: shapes the data source result.
    Response,
    /// `onPublish(ctx)`: an AppSync Events channel namespace's handler of publishes (its
    /// context is an [`EventContext`](crate::EventContext)).
    OnPublish,
    /// `onSubscribe(ctx)`: an AppSync Events channel namespace's handler of subscriptions.
    OnSubscribe,
    /// `onPublish.request(ctx)`: the request half of an `onPublish` handler with a data source
    /// integration (exported as an object with `request` and `response` functions).
    OnPublishRequest,
    /// `onPublish.response(ctx)`: what to broadcast, given the data source's `ctx.result`.
    OnPublishResponse,
    /// `onSubscribe.request(ctx)`: the request half of an `onSubscribe` handler with a data
    /// source integration.
    OnSubscribeRequest,
    /// `onSubscribe.response(ctx)`: allows or refuses the subscription, given `ctx.result`.
    OnSubscribeResponse,
}

impl Handler {
    /// The handler's name: the export's, or `export.member` for half of an Events handler
    /// object (`onPublish.request`).
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Handler::Request => "request",
            Handler::Response => "response",
            Handler::OnPublish => "onPublish",
            Handler::OnSubscribe => "onSubscribe",
            Handler::OnPublishRequest => "onPublish.request",
            Handler::OnPublishResponse => "onPublish.response",
            Handler::OnSubscribeRequest => "onSubscribe.request",
            Handler::OnSubscribeResponse => "onSubscribe.response",
        }
    }

    /// The export the handler is found in.
    #[must_use]
    pub fn export(self) -> &'static str {
        match self {
            Handler::Request => "request",
            Handler::Response => "response",
            Handler::OnPublish | Handler::OnPublishRequest | Handler::OnPublishResponse => "onPublish",
            Handler::OnSubscribe | Handler::OnSubscribeRequest | Handler::OnSubscribeResponse => {
                "onSubscribe"
            }
        }
    }

    /// The function of the exported object that is the handler (`request`, `response`); `None`
    /// when the export itself is.
    #[must_use]
    pub fn member(self) -> Option<&'static str> {
        match self {
            Handler::OnPublishRequest | Handler::OnSubscribeRequest => Some("request"),
            Handler::OnPublishResponse | Handler::OnSubscribeResponse => Some("response"),
            _ => None,
        }
    }
}

/// An error as AppSync puts it in a GraphQL response's `errors` (from `util.error`,
/// `util.appendError`, `util.unauthorized`, or a failure of the code).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ResolverError {
    /// The message.
    pub message: String,
    /// The error's type (`util.error`'s second argument, `"Unauthorized"`, `"Code"`...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_type: Option<String>,
    /// `util.error`'s third argument (AppSync filters it by the selection set).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<Value>,
    /// `util.error`'s fourth argument (not filtered).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_info: Option<Value>,
}

impl ResolverError {
    /// An error with a message and a type.
    #[must_use]
    pub fn new(message: impl Into<String>, error_type: Option<String>) -> Self {
        Self { message: message.into(), error_type, data: None, error_info: None }
    }
}

/// Where `runtime.earlyReturn` asked to go.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum SkipTo {
    /// The next pipeline step (the default).
    #[default]
    Next,
    /// The pipeline resolver's response handler.
    End,
}

/// A `runtime.earlyReturn(value, {skipTo})` call.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct EarlyReturn {
    /// The value returned early.
    pub value: Value,
    /// Where to go.
    pub skip_to: SkipTo,
}

/// What a handler's evaluation produced.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct Evaluation {
    /// What the handler returned (`null` for `undefined`), or the early-returned value.
    pub result: Value,
    /// `ctx.stash` after the handler ran.
    pub stash: Map<String, Value>,
    /// The `util.error` or `util.unauthorized` that stopped the handler.
    pub error: Option<ResolverError>,
    /// True when [`Evaluation::error`] came from `util.unauthorized()`.
    pub unauthorized: bool,
    /// The `util.appendError` calls, in order.
    pub errors: Vec<ResolverError>,
    /// The `runtime.earlyReturn` call that ended the handler.
    pub early_return: Option<EarlyReturn>,
    /// `extensions.setSubscriptionFilter`'s argument (the last call wins).
    pub subscription_filter: Option<Value>,
    /// `extensions.setSubscriptionInvalidationFilter`'s argument (the last call wins).
    pub subscription_invalidation_filter: Option<Value>,
    /// `extensions.invalidateSubscriptions` calls, in order.
    pub invalidations: Vec<Value>,
    /// `extensions.evictFromApiCache` calls, in order (recorded; the emulator has no cache).
    pub cache_evictions: Vec<Value>,
    /// `util.http.addResponseHeader(s)` (the last value of a name wins).
    pub response_headers: Map<String, Value>,
    /// What the handler wrote with `console.*`, in order (also sent to `tracing`).
    pub logs: Vec<String>,
}
