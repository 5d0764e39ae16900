//! The mutation event bus: every successful root mutation field is published here, for the
//! realtime endpoint (and tests) to fan out to `@aws_subscribe` subscribers.

use serde_json::{Map, Value};

use crate::auth::AuthMode;

/// One root mutation field that completed with a non-null result.
#[derive(Debug, Clone)]
pub struct MutationEvent {
    pub(crate) field: String,
    pub(crate) arguments: Map<String, Value>,
    pub(crate) data: Value,
    pub(crate) subscriptions: Vec<String>,
    pub(crate) auth_mode: AuthMode,
    /// What the mutation's resolver asked to invalidate (`extensions.invalidateSubscriptions`).
    pub(crate) invalidations: Vec<Invalidation>,
}

/// One `extensions.invalidateSubscriptions({subscriptionField, payload})`: every subscription
/// on that field whose invalidation filter matches `payload` is ended.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Invalidation {
    pub(crate) subscription_field: String,
    pub(crate) payload: Value,
}

impl Invalidation {
    /// From the object the resolver gave; `None` when it names no subscription field.
    pub(crate) fn parse(value: &Value) -> Option<Self> {
        let subscription_field = value.get("subscriptionField")?.as_str()?.to_owned();
        let payload = value.get("payload").cloned().unwrap_or(Value::Null);
        Some(Self { subscription_field, payload })
    }
}

impl MutationEvent {
    /// The mutation field, e.g. `createPost`.
    #[must_use]
    pub fn field(&self) -> &str {
        &self.field
    }

    /// The mutation's coerced arguments.
    #[must_use]
    pub fn arguments(&self) -> &Map<String, Value> {
        &self.arguments
    }

    /// The mutation's result as the mutation selected it: fields it did not select are
    /// absent, as AppSync delivers them to subscribers as null.
    #[must_use]
    pub fn data(&self) -> &Value {
        &self.data
    }

    /// Subscription fields whose `@aws_subscribe(mutations: [...])` lists this mutation.
    #[must_use]
    pub fn subscriptions(&self) -> &[String] {
        &self.subscriptions
    }

    /// The auth mode the mutation was made with.
    #[must_use]
    pub fn auth_mode(&self) -> AuthMode {
        self.auth_mode
    }
}
