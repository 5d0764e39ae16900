//! What `appsync query`, `appsync subscribe` and `appsync events` share: the endpoint and auth
//! options, `@FILE` arguments, `--variables`, and building the [`Client`] (or the
//! [`EventsClient`]) from them.

use std::io::Read;

use anyhow::Context;
use appsync::credentials::{DefaultCredentialsChain, ProfileCredentials};
use appsync::events::{EventsClient, EventsClientBuilder};
use appsync::{Auth, Client, ClientBuilder};
use clap::{Args, ValueEnum};

use crate::usage;

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum AuthKind {
    /// SigV4 with credentials from the environment or a profile.
    Iam,
    /// `x-api-key` from --api-key.
    ApiKey,
    /// A Cognito or OIDC JWT from --token.
    Jwt,
    /// A Lambda authorizer token from --token.
    Lambda,
}

/// The endpoint and the credentials to call it with.
#[derive(Args)]
pub(crate) struct ConnectArgs {
    /// The API endpoint, e.g. https://<id>.appsync-api.<region>.amazonaws.com/graphql (for
    /// `appsync events`: .../event).
    #[arg(long)]
    pub(crate) url: String,
    /// The region to sign for (IAM); read from AppSync host names, else the profile, else
    /// $AWS_REGION.
    #[arg(long)]
    pub(crate) region: Option<String>,
    /// The auth mode (default: api-key when --api-key is given, jwt when --token is, else iam).
    #[arg(long, value_enum)]
    pub(crate) auth: Option<AuthKind>,
    /// The API key for --auth api-key.
    #[arg(long, env = "APPSYNC_API_KEY", hide_env_values = true)]
    pub(crate) api_key: Option<String>,
    /// The token for --auth jwt or lambda.
    #[arg(long, env = "APPSYNC_TOKEN", hide_env_values = true)]
    pub(crate) token: Option<String>,
    /// The AWS profile for IAM credentials (default: the usual environment/profile chain).
    #[arg(long)]
    pub(crate) profile: Option<String>,
    /// Also trust the certificate authority in this PEM file (for example the one
    /// `appsync local --tls` prints), beside the system's. Verification stays on.
    #[arg(long, value_name = "FILE")]
    pub(crate) ca_cert: Option<std::path::PathBuf>,
}

/// `value` itself, or the contents of the file after `@` (`@-`: standard input). A file that
/// cannot be read is a usage error.
pub(crate) fn read_arg(value: &str, what: &str) -> anyhow::Result<String> {
    match value.strip_prefix('@') {
        Some("-") => {
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .with_context(|| format!("cannot read {what} from standard input"))
                .map_err(|e| usage(format!("{e:#}")))?;
            Ok(text)
        }
        Some(path) => std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {what} file {path:?}"))
            .map_err(|e| usage(format!("{e:#}"))),
        None => Ok(value.to_owned()),
    }
}

/// `--variables` (JSON or @FILE) as a JSON object, or `null` when not given.
pub(crate) fn read_variables(value: Option<&str>) -> anyhow::Result<serde_json::Value> {
    let Some(v) = value else { return Ok(serde_json::Value::Null) };
    let text = read_arg(v, "--variables")?;
    let value: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| usage(format!("--variables is not valid JSON: {e}")))?;
    if !value.is_object() {
        return Err(usage("--variables must be a JSON object such as {\"id\": \"1\"}"));
    }
    Ok(value)
}

impl ConnectArgs {
    fn auth(&self, region: &mut Option<String>) -> anyhow::Result<Auth> {
        let kind = self.auth.unwrap_or(match (&self.api_key, &self.token) {
            (Some(_), _) => AuthKind::ApiKey,
            (None, Some(_)) => AuthKind::Jwt,
            (None, None) => AuthKind::Iam,
        });
        let need_token = |mode: &str| {
            self.token
                .clone()
                .ok_or_else(|| usage(format!("--auth {mode} needs --token (or $APPSYNC_TOKEN)")))
        };
        Ok(match kind {
            AuthKind::ApiKey => {
                let key = self
                    .api_key
                    .clone()
                    .ok_or_else(|| usage("--auth api-key needs --api-key (or $APPSYNC_API_KEY)"))?;
                Auth::api_key(key)
            }
            AuthKind::Jwt => Auth::cognito(need_token("jwt")?),
            AuthKind::Lambda => Auth::lambda(need_token("lambda")?),
            AuthKind::Iam => match &self.profile {
                Some(profile) => {
                    let provider = ProfileCredentials::new().profile(profile);
                    if region.is_none() {
                        *region = provider.region();
                    }
                    Auth::iam(provider)
                }
                None => {
                    if region.is_none() {
                        *region = ProfileCredentials::new().region();
                    }
                    Auth::iam(DefaultCredentialsChain::new())
                }
            },
        })
    }

    /// The auth mode, the region to set (if any) and the extra authority's PEM (if any).
    fn resolve(&self) -> anyhow::Result<(Auth, Option<String>, Option<Vec<u8>>)> {
        let host_has_region = reqwest::Url::parse(&self.url)
            .ok()
            .and_then(|u| u.host_str().map(|h| h.contains(".appsync-api.")))
            .unwrap_or(false);
        let mut region = self.region.clone();
        let auth = self.auth(&mut region)?;
        if region.is_none() && !host_has_region {
            region = std::env::var("AWS_REGION").or_else(|_| std::env::var("AWS_DEFAULT_REGION")).ok();
        }
        let pem = match &self.ca_cert {
            Some(path) => Some(
                std::fs::read(path)
                    .map_err(|e| usage(format!("--ca-cert {}: could not read it: {e}", path.display())))?,
            ),
            None => None,
        };
        // An AppSync host name carries its region; only custom domains take one from elsewhere.
        let region = region.filter(|_| self.region.is_some() || !host_has_region);
        Ok((auth, region, pem))
    }

    /// Builds the client: endpoint, auth and region from these options, anything else from
    /// `configure`. Bad options (no region for IAM, a bad URL) are usage errors.
    pub(crate) fn client(
        &self,
        configure: impl FnOnce(ClientBuilder) -> ClientBuilder,
    ) -> anyhow::Result<Client> {
        let (auth, region, pem) = self.resolve()?;
        let mut builder = Client::builder().endpoint(&self.url).auth(auth);
        if let Some(pem) = pem {
            builder = builder.ca_certificate_pem(pem);
        }
        if let Some(region) = region {
            builder = builder.region(region);
        }
        configure(builder).build().map_err(|e| self.build_error(&e))
    }

    /// Builds the AppSync Events client, as [`client`](Self::client) builds the GraphQL one.
    pub(crate) fn events_client(
        &self,
        configure: impl FnOnce(EventsClientBuilder) -> EventsClientBuilder,
    ) -> anyhow::Result<EventsClient> {
        let (auth, region, pem) = self.resolve()?;
        let mut builder = EventsClient::builder().endpoint(&self.url).auth(auth);
        if let Some(pem) = pem {
            builder = builder.ca_certificate_pem(pem);
        }
        if let Some(region) = region {
            builder = builder.region(region);
        }
        configure(builder).build().map_err(|e| self.build_error(&e))
    }

    /// A builder's refusal as a usage error in the options' words.
    fn build_error(&self, e: &appsync::Error) -> anyhow::Error {
        match e.field() {
            Some("region") if self.region.is_none() => usage(format!(
                "--region is required: IAM signs for a region, and it cannot be read from {} \
                 (only from <id>.appsync-api.<region>.amazonaws.com), the profile or $AWS_REGION",
                self.url
            )),
            Some("ca_certificate_pem") => usage(format!(
                "--ca-cert {}: {e}",
                self.ca_cert.as_deref().unwrap_or(std::path::Path::new("")).display()
            )),
            _ => usage(format!("{e}")),
        }
    }
}
