//! Credentials from environment variables, and the environment abstraction the file providers
//! share (so they can be tested and embedded without touching the process environment).

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use super::{Credentials, CredentialsError, ProvideCredentials, ProvideFuture};

/// Where providers read environment variables: the process environment, or a fixed map.
///
/// ```
/// use appsync::credentials::Env;
/// let env = Env::from_pairs([("AWS_PROFILE", "dev")]);
/// assert_eq!(env.get("AWS_PROFILE").as_deref(), Some("dev"));
/// ```
#[derive(Clone, Default)]
pub struct Env {
    fixed: Option<Arc<HashMap<String, String>>>,
}

impl Env {
    /// The real process environment.
    pub fn process() -> Self {
        Self { fixed: None }
    }

    /// A fixed set of variables (nothing else is visible).
    pub fn from_pairs<K: Into<String>, V: Into<String>>(pairs: impl IntoIterator<Item = (K, V)>) -> Self {
        Self { fixed: Some(Arc::new(pairs.into_iter().map(|(k, v)| (k.into(), v.into())).collect())) }
    }

    /// A variable's value; empty values count as unset, as the AWS SDKs do.
    pub fn get(&self, name: &str) -> Option<String> {
        let value = match &self.fixed {
            Some(map) => map.get(name).cloned(),
            None => std::env::var(name).ok(),
        };
        value.filter(|v| !v.trim().is_empty())
    }
}

impl fmt::Debug for Env {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Values can be secrets: only say which kind of environment this is.
        f.write_str(if self.fixed.is_some() { "Env(fixed)" } else { "Env(process)" })
    }
}

/// Credentials from `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and the optional
/// `AWS_SESSION_TOKEN`, read on every call (so rotated variables are seen).
///
/// ```
/// # async fn run() -> Result<(), appsync::credentials::CredentialsError> {
/// use appsync::credentials::{Env, EnvironmentCredentials, ProvideCredentials};
/// let env = Env::from_pairs([("AWS_ACCESS_KEY_ID", "AKID"), ("AWS_SECRET_ACCESS_KEY", "SECRET")]);
/// let creds = EnvironmentCredentials::new().env(env).provide_credentials().await?;
/// assert_eq!(creds.access_key_id(), "AKID");
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Default)]
#[must_use]
pub struct EnvironmentCredentials {
    env: Env,
}

impl EnvironmentCredentials {
    /// Reads the process environment.
    pub fn new() -> Self {
        Self { env: Env::process() }
    }

    /// Reads the variables from `env` instead of the process environment.
    pub fn env(mut self, env: Env) -> Self {
        self.env = env;
        self
    }

    pub(crate) fn load(&self) -> Result<Credentials, CredentialsError> {
        let Some(access_key_id) = self.env.get("AWS_ACCESS_KEY_ID") else {
            return Err(CredentialsError::not_loaded("AWS_ACCESS_KEY_ID is not set"));
        };
        let Some(secret) = self.env.get("AWS_SECRET_ACCESS_KEY") else {
            return Err(CredentialsError::provider_error(
                "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not",
            ));
        };
        Ok(Credentials::new(access_key_id.trim(), secret.trim(), self.env.get("AWS_SESSION_TOKEN"), None))
    }
}

impl ProvideCredentials for EnvironmentCredentials {
    fn provide_credentials(&self) -> ProvideFuture<'_, Credentials> {
        let result = self.load();
        Box::pin(async move { result })
    }
}
