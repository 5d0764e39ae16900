//! The AWS SDK's credential providers behind this crate's trait (feature `aws-config`).

use std::fmt;

use aws_credential_types::provider::ProvideCredentials as SdkProvideCredentials;
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_credential_types::provider::error::CredentialsError as SdkCredentialsError;

use super::{Credentials, CredentialsError, ProvideCredentials, ProvideFuture};

/// Any AWS SDK credentials provider, usable with [`Auth::iam`](crate::Auth::iam): the SDK's
/// full default chain (environment, profiles with SSO and assume-role, web identity, ECS, IMDS),
/// or one provider of `aws-config`.
///
/// ```no_run
/// # async fn run() -> Result<(), appsync::Error> {
/// use appsync::credentials::AwsSdkCredentials;
/// let client = appsync::Client::builder()
///     .endpoint("https://abc123.appsync-api.us-east-1.amazonaws.com/graphql")
///     .auth(appsync::Auth::iam(AwsSdkCredentials::default_chain().await))
///     .build()?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct AwsSdkCredentials {
    provider: SharedCredentialsProvider,
}

impl AwsSdkCredentials {
    /// Wraps an SDK provider.
    pub fn new(provider: impl SdkProvideCredentials + 'static) -> Self {
        Self { provider: SharedCredentialsProvider::new(provider) }
    }

    /// The SDK's default credentials chain, configured from the environment and profile the way
    /// every AWS SDK is.
    pub async fn default_chain() -> Self {
        let chain =
            aws_config::default_provider::credentials::DefaultCredentialsChain::builder().build().await;
        Self::new(chain)
    }

    /// The credentials provider of a loaded SDK configuration, if it has one.
    pub fn from_sdk_config(config: &aws_config::SdkConfig) -> Option<Self> {
        config.credentials_provider().map(|provider| Self { provider })
    }
}

impl fmt::Debug for AwsSdkCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AwsSdkCredentials").finish_non_exhaustive()
    }
}

impl ProvideCredentials for AwsSdkCredentials {
    fn provide_credentials(&self) -> ProvideFuture<'_, Credentials> {
        Box::pin(async move {
            let creds = self.provider.provide_credentials().await.map_err(|e| {
                let not_loaded = matches!(e, SdkCredentialsError::CredentialsNotLoaded(_));
                let wrapped = CredentialsError::provider_error_with_source("the AWS SDK provider failed", e);
                if not_loaded { CredentialsError { not_loaded: true, ..wrapped } } else { wrapped }
            })?;
            Ok(Credentials::new(
                creds.access_key_id(),
                creds.secret_access_key(),
                creds.session_token().map(str::to_owned),
                creds.expiry(),
            ))
        })
    }
}
