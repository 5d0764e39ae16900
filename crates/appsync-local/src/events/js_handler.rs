//! A channel namespace's handlers written in APPSYNC_JS (`onPublish`, `onSubscribe`), run on the
//! emulator's JavaScript engine as a [`NamespaceHandler`].
//!
//! What the code sees is AppSync's Events context (`ctx.events`, `ctx.info.channel`,
//! `ctx.info.channelNamespace`, `ctx.info.operation`, `ctx.identity`, `ctx.request.headers`,
//! `ctx.stash`); what it returns or raises becomes the publish's result or the subscription's
//! refusal. A handler the code does not export keeps AppSync's default.

use std::collections::BTreeMap;
use std::sync::Arc;

use appsync_js::{Engine, Evaluation, EventContext, EventOperation, Handler, IncomingEvent, Request};
use serde_json::{Map, Value};

use super::handler::{
    ChannelInfo, HandlerError, HandlerFuture, NamespaceHandler, OutgoingEvent, PublishContext,
    SubscribeContext,
};
use crate::auth::Identity;
use crate::error::Error;

/// The `errorType` of a `util.error` given none: AppSync answers a refused publish with 403
/// (Events guide, "Event handlers"), whose type is `UnauthorizedException` (inferred).
const DEFAULT_ERROR_TYPE: &str = "UnauthorizedException";

/// A namespace's APPSYNC_JS code on an engine.
pub(crate) struct JsNamespaceHandler {
    engine: Engine,
    code: Arc<str>,
    on_publish: bool,
    on_subscribe: bool,
}

impl JsNamespaceHandler {
    /// Reads which handlers the code of namespace `name` exports; a syntax error, or neither
    /// handler exported, is a `channel_namespace` error (the code would never run).
    pub(crate) fn new(engine: Engine, name: &str, code: Arc<str>) -> Result<Self, Error> {
        let names = appsync_js::exported_names(&code).map_err(|e| {
            Error::config("channel_namespace", format!("channel namespace {name:?}: its code does not parse"))
                .with_source(e)
        })?;
        let on_publish = names.iter().any(|n| n == "onPublish");
        let on_subscribe = names.iter().any(|n| n == "onSubscribe");
        if !on_publish && !on_subscribe {
            return Err(Error::config(
                "channel_namespace",
                format!("channel namespace {name:?}: its code exports neither onPublish nor onSubscribe"),
            ));
        }
        Ok(Self { engine, code, on_publish, on_subscribe })
    }
}

impl NamespaceHandler for JsNamespaceHandler {
    fn on_publish(&self, ctx: PublishContext) -> HandlerFuture<Result<Vec<OutgoingEvent>, HandlerError>> {
        if !self.on_publish {
            return Box::pin(std::future::ready(Ok(ctx.events)));
        }
        let js_ctx = context(EventOperation::Publish, &ctx.channel, &ctx.identity, &ctx.headers)
            .events(ctx.events.iter().map(|e| IncomingEvent::new(e.id.clone(), e.payload.clone())).collect());
        let (engine, code) = (self.engine.clone(), Arc::clone(&self.code));
        Box::pin(async move {
            let evaluation = evaluated(engine.evaluate_event(&code, Handler::OnPublish, &js_ctx).await)?;
            outgoing(evaluation.result)
        })
    }

    fn on_subscribe(&self, ctx: SubscribeContext) -> HandlerFuture<Result<(), HandlerError>> {
        if !self.on_subscribe {
            return Box::pin(std::future::ready(Ok(())));
        }
        let js_ctx = context(EventOperation::Subscribe, &ctx.channel, &ctx.identity, &ctx.headers);
        let (engine, code) = (self.engine.clone(), Arc::clone(&self.code));
        Box::pin(async move {
            evaluated(engine.evaluate_event(&code, Handler::OnSubscribe, &js_ctx).await).map(|_| ())
        })
    }
}

fn context(
    operation: EventOperation,
    channel: &ChannelInfo,
    identity: &Identity,
    headers: &Map<String, Value>,
) -> EventContext {
    let headers: BTreeMap<String, String> = headers
        .iter()
        .map(|(name, value)| {
            let value = match value {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            (name.to_ascii_lowercase(), value)
        })
        .collect();
    let mut ctx = EventContext::new(operation, channel.path.clone(), channel.namespace.clone())
        .identity(crate::js::identity_of(identity))
        .request(Request::new(headers));
    // The segments as the publish path computed them (a wildcard's `*` included).
    ctx.info.channel.segments.clone_from(&channel.segments);
    ctx
}

/// The evaluation, or the refusal it asked for: `util.unauthorized()`, `util.error(...)`, or a
/// failure of the code (`Code`, worded as for resolvers: `code.js:LINE:COL: ...`).
fn evaluated(result: Result<Evaluation, appsync_js::Error>) -> Result<Evaluation, HandlerError> {
    let evaluation = match result {
        Ok(evaluation) => evaluation,
        Err(e) => {
            tracing::debug!(error = %e, "an Events handler failed");
            return Err(HandlerError::new(e.error_type().unwrap_or("InternalFailure"), e.graphql_message()));
        }
    };
    match &evaluation.error {
        Some(_) if evaluation.unauthorized => Err(HandlerError::unauthorized()),
        Some(error) => Err(HandlerError::new(
            error.error_type.as_deref().unwrap_or(DEFAULT_ERROR_TYPE),
            error.message.clone(),
        )),
        None => Ok(evaluation),
    }
}

/// What `onPublish` returned, as the events to broadcast: a list of `{id, payload, error?}`;
/// `null` (or nothing returned) broadcasts none. Anything else refuses the publish, naming what
/// was expected, rather than guessing.
fn outgoing(returned: Value) -> Result<Vec<OutgoingEvent>, HandlerError> {
    let bad = |what: String| {
        HandlerError::new("Code", format!("onPublish returned {what}; expected a list of {{id, payload}}"))
    };
    let items = match returned {
        Value::Null => return Ok(Vec::new()),
        Value::Array(items) => items,
        other => return Err(bad(kind_of(&other).to_owned())),
    };
    let mut out = Vec::with_capacity(items.len());
    for (index, item) in items.into_iter().enumerate() {
        let Value::Object(mut item) = item else {
            return Err(bad(format!("{} at index {index}", kind_of(&item))));
        };
        let Some(Value::String(id)) = item.remove("id") else {
            return Err(bad(format!("an event without a string id at index {index}")));
        };
        let error = match item.remove("error") {
            None | Some(Value::Null) => None,
            Some(Value::String(message)) => Some(message),
            Some(other) => Some(other.to_string()),
        };
        let payload = item.remove("payload").unwrap_or(Value::Null);
        out.push(OutgoingEvent { id, payload, error });
    }
    Ok(out)
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::outgoing;

    #[test]
    fn a_returned_list_becomes_the_events_with_their_errors() {
        let events = outgoing(json!([
            {"id": "a", "payload": {"n": 1}},
            {"id": "b", "payload": {"n": 2}, "error": "too big"}
        ]))
        .unwrap_or_default();
        assert_eq!(events.len(), 2);
        assert_eq!(events[0].payload, json!({"n": 1}));
        assert_eq!(events[1].error.as_deref(), Some("too big"));
        assert!(outgoing(json!(null)).is_ok_and(|e| e.is_empty()));
    }

    #[test]
    fn anything_else_refuses_the_publish_saying_what_was_expected() {
        for bad in [json!({"id": "a"}), json!([1]), json!([{"payload": 1}]), json!("x")] {
            let err = outgoing(bad).err().map(|e| e.message().to_owned()).unwrap_or_default();
            assert!(err.contains("expected a list of {id, payload}"), "{err}");
        }
    }
}
