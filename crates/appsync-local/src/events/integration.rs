//! A channel namespace's data source integrations: CloudFormation's `HandlerConfigs.OnPublish`
//! and `HandlerConfigs.OnSubscribe` (Events guide, "Data source integrations" and "Direct data
//! source integrations using Lambda").
//!
//! With `CODE` behaviour the namespace's code exports the handler as an object whose
//! `request(ctx)` builds the data source request and whose `response(ctx)` sees `ctx.result`
//! (or `ctx.error`). With `DIRECT` behaviour there is no code: the Lambda function receives the
//! handler's context and its answer is the handler's outcome; with the `EVENT` invoke type it
//! runs on its own and the operation goes on as if there were no handler.

use serde_json::Value;

use super::handler::{HandlerError, OutgoingEvent};

/// How a namespace's `onPublish` or `onSubscribe` uses a data source (CloudFormation's
/// `HandlerConfigs.OnPublish`/`OnSubscribe`, CDK's `publishHandlerConfig`/
/// `subscribeHandlerConfig`). The data source is one given to
/// [`EmulatorBuilder::data_source`](crate::EmulatorBuilder::data_source) or the Event API's
/// ([`EmulatorBuilder::event_api`](crate::EmulatorBuilder::event_api)).
///
/// ```
/// use appsync_local::data_sources::LambdaFunction;
/// use appsync_local::events::{ChannelNamespace, HandlerConfig, LambdaInvokeType};
/// use appsync_local::{ApiKey, AuthMode, Emulator};
///
/// let emulator = Emulator::builder()
///     .api_key(ApiKey::new("da2-local"))
///     .default_auth(AuthMode::ApiKey)
///     .data_source("audit", LambdaFunction::command("cat > /dev/null; echo null"))
///     // No code: every publish is sent to the function, which is not waited for.
///     .channel_namespace(
///         ChannelNamespace::new("default")
///             .on_publish(HandlerConfig::direct("audit").invoke_type(LambdaInvokeType::Event)),
///     )
///     .build()?;
/// # drop(emulator);
/// # Ok::<(), appsync_local::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub struct HandlerConfig {
    pub(crate) behavior: Behavior,
    pub(crate) data_source: String,
    pub(crate) invoke_type: LambdaInvokeType,
}

/// `HandlerConfigs.*.Behavior`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Behavior {
    /// The namespace's code runs `request`/`response` around the data source.
    Code,
    /// The Lambda data source is the handler.
    Direct,
}

/// `HandlerConfigs.*.Integration.LambdaConfig.InvokeType` of a direct Lambda integration.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum LambdaInvokeType {
    /// `REQUEST_RESPONSE`: the function's answer decides (the default).
    #[default]
    RequestResponse,
    /// `EVENT`: the function is invoked asynchronously; its answer is not waited for and
    /// changes nothing.
    Event,
}

impl LambdaInvokeType {
    /// `REQUEST_RESPONSE` or `EVENT`, as CloudFormation spells it.
    ///
    /// # Errors
    /// Another value, as a configuration error naming `invoke_type`.
    pub fn parse(value: &str) -> Result<Self, crate::Error> {
        match value {
            "REQUEST_RESPONSE" => Ok(Self::RequestResponse),
            "EVENT" => Ok(Self::Event),
            other => Err(crate::Error::config(
                "invoke_type",
                format!("{other:?}: expected REQUEST_RESPONSE or EVENT"),
            )),
        }
    }
}

impl HandlerConfig {
    /// `CODE` behaviour with data source `data_source`: the namespace's code exports the
    /// handler as `{ request(ctx), response(ctx) }`.
    pub fn code(data_source: impl Into<String>) -> Self {
        Self {
            behavior: Behavior::Code,
            data_source: data_source.into(),
            invoke_type: LambdaInvokeType::default(),
        }
    }

    /// `DIRECT` behaviour: the Lambda data source `data_source` is invoked with the handler's
    /// context (`events`, `info`, `identity`, `request`, `stash`...) and answers as AWS documents:
    /// `onPublish` with `{events: [{id, payload} | {id, error}]}` or `{error}` (the whole publish
    /// refused), `onSubscribe` with `null` or `{error}` (refused).
    pub fn direct(data_source: impl Into<String>) -> Self {
        Self {
            behavior: Behavior::Direct,
            data_source: data_source.into(),
            invoke_type: LambdaInvokeType::default(),
        }
    }

    /// The invoke type of a direct Lambda integration (default `REQUEST_RESPONSE`); `CODE`
    /// handlers choose theirs in the request (`invocationType`).
    pub fn invoke_type(mut self, invoke_type: LambdaInvokeType) -> Self {
        self.invoke_type = invoke_type;
        self
    }

    /// The data source's name.
    #[must_use]
    pub fn data_source(&self) -> &str {
        &self.data_source
    }

    /// True for `DIRECT` behaviour.
    #[must_use]
    pub fn is_direct(&self) -> bool {
        self.behavior == Behavior::Direct
    }
}

/// A direct Lambda `onPublish`'s answer: `{events}` to broadcast, or `{error}` refusing the
/// whole publish. An answer without `events` broadcasts none (inferred: the guide makes the
/// field optional and says nothing of its absence).
pub(crate) fn direct_publish_answer(answer: Value) -> Result<Vec<OutgoingEvent>, HandlerError> {
    let bad = |what: &str| {
        HandlerError::new(
            "Code",
            format!(
                "the direct Lambda onPublish answered {what}; expected {{events: [{{id, payload}}]}} or {{error}}"
            ),
        )
    };
    let mut answer = match answer {
        Value::Null => return Ok(Vec::new()),
        Value::Object(answer) => answer,
        _ => return Err(bad("something other than an object")),
    };
    if let Some(error) = answer.remove("error").filter(|e| !e.is_null()) {
        return Err(HandlerError::new(super::js_handler::DEFAULT_ERROR_TYPE, message_of(error)));
    }
    match answer.remove("events") {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(events @ Value::Array(_)) => super::js_handler::outgoing(events),
        Some(_) => Err(bad("events that are not a list")),
    }
}

/// A direct Lambda `onSubscribe`'s answer: `null` allows, `{error}` refuses (`Unauthorized`
/// with the message: inferred, the guide names no error type).
pub(crate) fn direct_subscribe_answer(answer: Value) -> Result<(), HandlerError> {
    match answer {
        Value::Object(mut answer) => match answer.remove("error").filter(|e| !e.is_null()) {
            Some(error) => Err(HandlerError::new("Unauthorized", message_of(error))),
            None => Ok(()),
        },
        _ => Ok(()),
    }
}

fn message_of(error: Value) -> String {
    match error {
        Value::String(message) => message,
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{direct_publish_answer, direct_subscribe_answer};

    #[test]
    fn a_direct_publish_answer_is_its_events_or_its_error() {
        let events =
            direct_publish_answer(json!({"events": [{"id": "a", "payload": 1}, {"id": "b", "error": "no"}]}))
                .unwrap_or_default();
        assert_eq!(events.len(), 2);
        assert_eq!(events[1].error.as_deref(), Some("no"));
        let refused = direct_publish_answer(json!({"error": "closed"})).err();
        assert_eq!(refused.as_ref().map(super::HandlerError::message), Some("closed"));
        assert!(direct_publish_answer(json!({})).is_ok_and(|e| e.is_empty()));
        assert!(direct_publish_answer(json!([1])).is_err());
    }

    #[test]
    fn a_direct_subscribe_answer_refuses_only_with_an_error() {
        assert!(direct_subscribe_answer(json!(null)).is_ok());
        assert!(direct_subscribe_answer(json!({})).is_ok());
        let refused = direct_subscribe_answer(json!({"error": "members only"})).err();
        assert_eq!(refused.as_ref().map(super::HandlerError::error_type), Some("Unauthorized"));
    }
}
