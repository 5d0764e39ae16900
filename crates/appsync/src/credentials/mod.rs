//! Where IAM credentials come from: the [`ProvideCredentials`] trait and its providers.
//!
//! | provider | reads |
//! | --- | --- |
//! | [`Credentials`] itself | fixed keys |
//! | [`EnvironmentCredentials`] | `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN` |
//! | [`ProfileCredentials`] | `~/.aws/credentials` and `~/.aws/config` (`AWS_PROFILE`, `AWS_SHARED_CREDENTIALS_FILE`, `AWS_CONFIG_FILE`), static keys or `credential_process` |
//! | [`DefaultCredentialsChain`] | environment, then profile |
//! | [`provide_credentials_fn`] | your async closure (STS, Cognito identity pools, a vault...) |
//! | [`CachedCredentials`] | wraps any of them: one load in flight, refreshed ahead of expiry |
//! | `AwsSdkCredentials` (feature `aws-config`) | any AWS SDK provider, including the SDK's full default chain (SSO, web identity, ECS, IMDS, assume role) |
//!
//! [`Auth::iam`](crate::Auth::iam) wraps its provider in [`CachedCredentials`] itself.

mod cache;
mod environment;
mod process;
mod profile;
#[cfg(feature = "aws-config")]
mod sdk;

use std::error::Error as StdError;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

pub use appsync_sigv4::Credentials;
// Token providers are the other kind of source `Auth` takes; they are here too, beside
// `ProvideFuture` and `CredentialsError`, which they share with credential providers.
pub use crate::auth::{ProvideToken, ProvideTokenFn, Token, provide_token_fn};
pub use cache::CachedCredentials;
pub(crate) use cache::ExpiringCache;
pub use environment::{Env, EnvironmentCredentials};
pub use profile::{DefaultCredentialsChain, ProfileCredentials};
#[cfg(feature = "aws-config")]
pub use sdk::AwsSdkCredentials;

use crate::error::BoxError;

/// The future a provider returns.
pub type ProvideFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, CredentialsError>> + Send + 'a>>;

/// An async source of AWS credentials.
///
/// Called whenever credentials are needed and the cache has none fresh: implementations may do
/// I/O (files, a process, an HTTP call) and need not cache themselves.
///
/// ```
/// use appsync::credentials::{Credentials, CredentialsError, ProvideCredentials, ProvideFuture};
///
/// #[derive(Debug)]
/// struct FromVault;
///
/// impl ProvideCredentials for FromVault {
///     fn provide_credentials(&self) -> ProvideFuture<'_, Credentials> {
///         Box::pin(async { Ok(Credentials::new("AKID", "SECRET", None, None)) })
///     }
/// }
/// ```
pub trait ProvideCredentials: fmt::Debug + Send + Sync {
    /// Loads credentials.
    fn provide_credentials(&self) -> ProvideFuture<'_, Credentials>;
}

impl ProvideCredentials for Credentials {
    fn provide_credentials(&self) -> ProvideFuture<'_, Credentials> {
        let creds = self.clone();
        Box::pin(async move { Ok(creds) })
    }
}

impl<P: ProvideCredentials + ?Sized> ProvideCredentials for Arc<P> {
    fn provide_credentials(&self) -> ProvideFuture<'_, Credentials> {
        (**self).provide_credentials()
    }
}

impl<P: ProvideCredentials + ?Sized> ProvideCredentials for Box<P> {
    fn provide_credentials(&self) -> ProvideFuture<'_, Credentials> {
        (**self).provide_credentials()
    }
}

/// A provider from an async closure.
///
/// ```
/// use appsync::credentials::{provide_credentials_fn, Credentials};
/// let provider = provide_credentials_fn(|| async {
///     Ok(Credentials::new("AKID", "SECRET", Some("TOKEN".into()), None))
/// });
/// let auth = appsync::Auth::iam(provider);
/// ```
pub fn provide_credentials_fn<F, Fut>(f: F) -> ProvideCredentialsFn<F>
where
    F: Fn() -> Fut + Send + Sync,
    Fut: Future<Output = Result<Credentials, CredentialsError>> + Send + 'static,
{
    ProvideCredentialsFn(f)
}

/// See [`provide_credentials_fn`].
pub struct ProvideCredentialsFn<F>(F);

impl<F> fmt::Debug for ProvideCredentialsFn<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ProvideCredentialsFn")
    }
}

impl<F, Fut> ProvideCredentials for ProvideCredentialsFn<F>
where
    F: Fn() -> Fut + Send + Sync,
    Fut: Future<Output = Result<Credentials, CredentialsError>> + Send + 'static,
{
    fn provide_credentials(&self) -> ProvideFuture<'_, Credentials> {
        Box::pin((self.0)())
    }
}

/// Why credentials (or a token) could not be had.
///
/// [`is_not_loaded`](Self::is_not_loaded) means "this source has none, try the next one" (what
/// a chain does); any other error means the source is there but broken, and stops a chain.
pub struct CredentialsError {
    not_loaded: bool,
    message: String,
    source: Option<BoxError>,
}

impl CredentialsError {
    /// The source has no credentials (an unset variable, a missing file or profile).
    pub fn not_loaded(message: impl Into<String>) -> Self {
        Self { not_loaded: true, message: message.into(), source: None }
    }

    /// The source is configured but failed.
    pub fn provider_error(message: impl Into<String>) -> Self {
        Self { not_loaded: false, message: message.into(), source: None }
    }

    /// The source is configured but failed, because of `source`.
    pub fn provider_error_with_source(
        message: impl Into<String>,
        source: impl Into<Box<dyn StdError + Send + Sync>>,
    ) -> Self {
        Self { not_loaded: false, message: message.into(), source: Some(source.into()) }
    }

    /// Whether the source simply has no credentials.
    pub fn is_not_loaded(&self) -> bool {
        self.not_loaded
    }
}

impl fmt::Debug for CredentialsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CredentialsError")
            .field("not_loaded", &self.not_loaded)
            .field("message", &self.message)
            .field("source", &self.source)
            .finish()
    }
}

impl fmt::Display for CredentialsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl StdError for CredentialsError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.source.as_ref().map(|s| &**s as &(dyn StdError + 'static))
    }
}
