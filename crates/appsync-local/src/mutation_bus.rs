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
