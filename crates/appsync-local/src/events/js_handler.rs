//! A channel namespace's handlers as configured on AppSync: APPSYNC_JS code (`onPublish`,
//! `onSubscribe`) run on the emulator's JavaScript engine, each handler either a function or,
//! with a data source integration, a `{request, response}` object around a call to the data
//! source; or a direct Lambda integration without code. Together they are a
//! [`NamespaceHandler`].
//!
//! What the code sees is AppSync's Events context (`ctx.events`, `ctx.info.channel`,
//! `ctx.info.channelNamespace`, `ctx.info.operation`, `ctx.identity`, `ctx.request.headers`,
//! `ctx.stash`, and in `response` `ctx.result` or `ctx.error`); what it returns or raises
//! becomes the publish's result or the subscription's refusal. A handler neither exported nor
//! configured keeps AppSync's default.

use std::collections::BTreeMap;
use std::sync::Arc;

use appsync_js::{
    ContextError, DataSource, DataSources, Engine, Evaluation, EventContext, EventOperation,
    EventsLambdaIdentity, Handler, IncomingEvent, Request,
};
use serde_json::{Map, Value, json};

use super::handler::{
    ChannelInfo, HandlerError, HandlerFuture, NamespaceHandler, OutgoingEvent, PublishContext,
    SubscribeContext,
};
use super::integration::{
    Behavior, HandlerConfig, LambdaInvokeType, direct_publish_answer, direct_subscribe_answer,
};
use crate::auth::Identity;
use crate::error::Error;

/// The `errorType` of a `util.error` given none: AppSync answers a refused publish with 403
/// (Events guide, "Event handlers"), whose type is `UnauthorizedException` (inferred).
pub(crate) const DEFAULT_ERROR_TYPE: &str = "UnauthorizedException";

/// What runs for one operation.
#[derive(Clone)]
enum Step {
    /// AppSync's default: every event broadcast, every subscription allowed.
    Default,
    /// The code's exported function.
    Function,
    /// The code's exported `{request, response}` around the data source.
    DataSource(Arc<dyn DataSource>),
    /// The Lambda data source, invoked with the context.
    Direct(Arc<dyn DataSource>, LambdaInvokeType),
}

/// A namespace's configured handlers.
pub(crate) struct ConfiguredHandler {
    engine: Option<Engine>,
    code: Arc<str>,
    publish: Step,
    subscribe: Step,
}

/// What [`ConfiguredHandler::new`] is given for one namespace.
pub(crate) struct Configuration<'a> {
    pub(crate) name: &'a str,
    pub(crate) engine: Option<&'a Engine>,
    pub(crate) code: Option<Arc<str>>,
    pub(crate) on_publish: Option<&'a HandlerConfig>,
    pub(crate) on_subscribe: Option<&'a HandlerConfig>,
    pub(crate) sources: &'a DataSources,
    /// The AppSync type of data sources of the emulator's own types (`HTTP`...).
    pub(crate) kinds: &'a std::collections::HashMap<String, &'static str>,
}

impl ConfiguredHandler {
    /// Checks the namespace's code and integrations: code that does not parse, code that
    /// exports no handler and has no integration, a `CODE` integration whose handler the code
    /// does not export, an integration naming a data source that does not exist, and a `DIRECT`
    /// one on a data source that is not a Lambda function are all `channel_namespace` errors
    /// (the handler would never run as configured).
    pub(crate) fn new(config: Configuration<'_>) -> Result<Self, Error> {
        let name = config.name;
        let fail = |message: String| {
            Error::config("channel_namespace", format!("channel namespace {name:?}: {message}"))
        };
        let names = match &config.code {
            Some(code) => appsync_js::exported_names(code)
                .map_err(|e| fail("its code does not parse".to_owned()).with_source(e))?,
            None => Vec::new(),
        };
        let step = |export: &str, handler: &str, configured: Option<&HandlerConfig>| -> Result<Step, Error> {
            let exported = names.iter().any(|n| n == export);
            let Some(configured) = configured else {
                return Ok(if exported { Step::Function } else { Step::Default });
            };
            let source = config.sources.get(&configured.data_source).cloned().ok_or_else(|| {
                fail(format!(
                    "{handler} integrates data source {:?}, which does not exist",
                    configured.data_source
                ))
            })?;
            match configured.behavior {
                Behavior::Direct => match config.kinds.get(&configured.data_source) {
                    // CloudFormation's rule, worded as the template reader words it.
                    Some(kind) => Err(fail(format!(
                        "{handler}: DIRECT behavior needs an AWS_LAMBDA data source; {:?} is {kind}",
                        configured.data_source
                    ))),
                    None => Ok(Step::Direct(source, configured.invoke_type)),
                },
                Behavior::Code if exported => Ok(Step::DataSource(source)),
                Behavior::Code => Err(fail(format!(
                    "{handler} integrates data source {:?} with CODE behavior, and the code exports no {export} {{request, response}}",
                    configured.data_source
                ))),
            }
        };
        let publish = step("onPublish", "OnPublish", config.on_publish)?;
        let subscribe = step("onSubscribe", "OnSubscribe", config.on_subscribe)?;
        let runs_code = |s: &Step| matches!(s, Step::Function | Step::DataSource(_));
        if config.code.is_some()
            && !runs_code(&publish)
            && !runs_code(&subscribe)
            && config.on_publish.is_none()
            && config.on_subscribe.is_none()
        {
            return Err(fail("its code exports neither onPublish nor onSubscribe".to_owned()));
        }
        let engine = config.engine.cloned();
        if engine.is_none() && (runs_code(&publish) || runs_code(&subscribe)) {
            return Err(fail("it has code but no JavaScript engine runs it".to_owned()));
        }
        Ok(Self { engine, code: config.code.unwrap_or_else(|| Arc::from("")), publish, subscribe })
    }

    /// The engine and the code, for a step that runs code (checked by `new`).
    fn runner(&self) -> Result<(Engine, Arc<str>), HandlerError> {
        match &self.engine {
            Some(engine) => Ok((engine.clone(), Arc::clone(&self.code))),
            None => {
                Err(HandlerError::new("InternalFailure", "no JavaScript engine runs this namespace's code"))
            }
        }
    }
}

impl NamespaceHandler for ConfiguredHandler {
    fn on_publish(&self, ctx: PublishContext) -> HandlerFuture<Result<Vec<OutgoingEvent>, HandlerError>> {
        let js_ctx = context(EventOperation::Publish, &ctx.channel, &ctx.identity, &ctx.headers)
            .events(ctx.events.iter().map(|e| IncomingEvent::new(e.id.clone(), e.payload.clone())).collect());
        let step = self.publish.clone();
        let runner = self.runner();
        Box::pin(async move {
            match step {
                Step::Default => Ok(ctx.events),
                Step::Function => {
                    let (engine, code) = runner?;
                    let evaluation =
                        evaluated(engine.evaluate_event(&code, Handler::OnPublish, &js_ctx).await)?;
                    outgoing(evaluation.result)
                }
                Step::DataSource(source) => {
                    let (engine, code) = runner?;
                    let handlers = (Handler::OnPublishRequest, Handler::OnPublishResponse);
                    outgoing(around(&engine, &code, handlers, js_ctx, source.as_ref()).await?)
                }
                Step::Direct(source, LambdaInvokeType::Event) => {
                    invoke_async(source, &js_ctx);
                    Ok(ctx.events)
                }
                Step::Direct(source, LambdaInvokeType::RequestResponse) => {
                    direct_publish_answer(invoke_direct(source.as_ref(), &js_ctx).await?)
                }
            }
        })
    }

    fn on_subscribe(&self, ctx: SubscribeContext) -> HandlerFuture<Result<(), HandlerError>> {
        let js_ctx = context(EventOperation::Subscribe, &ctx.channel, &ctx.identity, &ctx.headers);
        let step = self.subscribe.clone();
        let runner = self.runner();
        Box::pin(async move {
            match step {
                Step::Default => Ok(()),
                Step::Function => {
                    let (engine, code) = runner?;
                    evaluated(engine.evaluate_event(&code, Handler::OnSubscribe, &js_ctx).await).map(|_| ())
                }
                Step::DataSource(source) => {
                    let (engine, code) = runner?;
                    let handlers = (Handler::OnSubscribeRequest, Handler::OnSubscribeResponse);
                    around(&engine, &code, handlers, js_ctx, source.as_ref()).await.map(|_| ())
                }
                Step::Direct(source, LambdaInvokeType::Event) => {
                    invoke_async(source, &js_ctx);
                    Ok(())
                }
                Step::Direct(source, LambdaInvokeType::RequestResponse) => {
                    direct_subscribe_answer(invoke_direct(source.as_ref(), &js_ctx).await?)
                }
            }
        })
    }
}

/// `request(ctx)`, the data source with what it returned, then `response(ctx)` with the
/// request's stash and the data source's `ctx.result` or `ctx.error`: what `response`
/// returned, or the value `runtime.earlyReturn` gave in `request` (which skips the data source
/// and `response`, as for resolvers).
async fn around(
    engine: &Engine,
    code: &str,
    (request, response): (Handler, Handler),
    mut js_ctx: EventContext,
    source: &dyn DataSource,
) -> Result<Value, HandlerError> {
    let evaluation = evaluated(engine.evaluate_event(code, request, &js_ctx).await)?;
    if let Some(early) = evaluation.early_return {
        return Ok(early.value);
    }
    let data_ctx = data_source_context(&js_ctx);
    match source.invoke(evaluation.result, &data_ctx).await {
        Ok(result) => js_ctx.result = Some(result),
        Err(e) => {
            js_ctx.result = Some(e.data_value().cloned().unwrap_or(Value::Null));
            js_ctx.error = Some(ContextError::new(e.message(), e.error_type()));
        }
    }
    js_ctx.stash = evaluation.stash;
    evaluated(engine.evaluate_event(code, response, &js_ctx).await).map(|evaluation| evaluation.result)
}

/// The resolver-style context a data source is called with: who, and the request's headers.
fn data_source_context(js_ctx: &EventContext) -> appsync_js::Context {
    appsync_js::Context::new().identity(js_ctx.identity.clone()).request(js_ctx.request.clone())
}

/// The event a direct Lambda integration receives: the handler's context, with the fields
/// AppSync's resolver-shaped context carries empty (`result`, `error`, `prev`, `outErrors`), as
/// Powertools' AppSync Events event type shows it.
fn direct_event(js_ctx: &EventContext) -> Value {
    let mut event = serde_json::to_value(js_ctx).unwrap_or(Value::Null);
    if let Value::Object(fields) = &mut event {
        for (name, value) in
            [("result", Value::Null), ("error", Value::Null), ("prev", Value::Null), ("outErrors", json!([]))]
        {
            fields.entry(name).or_insert(value);
        }
        fields.entry("events").or_insert(Value::Null);
    }
    event
}

/// A direct Lambda `REQUEST_RESPONSE` invocation; a function error refuses the operation with
/// the function's error type and message.
async fn invoke_direct(source: &dyn DataSource, js_ctx: &EventContext) -> Result<Value, HandlerError> {
    let request = json!({"operation": "Invoke", "payload": direct_event(js_ctx)});
    source
        .invoke(request, &data_source_context(js_ctx))
        .await
        .map_err(|e| HandlerError::new(e.error_type(), e.message()))
}

/// A direct Lambda `EVENT` invocation: started, not waited for.
fn invoke_async(source: Arc<dyn DataSource>, js_ctx: &EventContext) {
    let request = json!({"operation": "Invoke", "invocationType": "Event", "payload": direct_event(js_ctx)});
    let data_ctx = data_source_context(js_ctx);
    tokio::spawn(async move {
        if let Err(error) = source.invoke(request, &data_ctx).await {
            tracing::warn!(%error, "a direct Lambda integration (EVENT) failed");
        }
    });
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
        .identity(events_identity(identity))
        .request(Request::new(headers));
    // The segments as the publish path computed them (a wildcard's `*` included).
    ctx.info.channel.segments.clone_from(&channel.segments);
    ctx
}

/// `ctx.identity` of an Events handler: the resolvers' shapes, but a Lambda caller's authorizer
/// context is `handlerContext` (Powertools for AWS Lambda's `AppSyncLambdaAuthIdentity` for
/// Events; `resolverContext` is GraphQL's name).
fn events_identity(identity: &Identity) -> appsync_js::Identity {
    match crate::js::identity_of(identity) {
        appsync_js::Identity::Lambda(lambda) => {
            let mut events = EventsLambdaIdentity::default();
            events.handler_context = lambda.resolver_context;
            appsync_js::Identity::EventsLambda(events)
        }
        other => other,
    }
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
pub(crate) fn outgoing(returned: Value) -> Result<Vec<OutgoingEvent>, HandlerError> {
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
