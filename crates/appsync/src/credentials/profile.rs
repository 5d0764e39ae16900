//! Credentials from the shared AWS config and credentials files, and the default chain.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::environment::{Env, EnvironmentCredentials};
use super::process::run_credential_process;
use super::{Credentials, CredentialsError, ProvideCredentials, ProvideFuture};

/// Credentials from a profile of `~/.aws/credentials` and `~/.aws/config`.
///
/// The profile is the one given, else `AWS_PROFILE`, else `default`; the files are the ones
/// given, else `AWS_SHARED_CREDENTIALS_FILE` / `AWS_CONFIG_FILE`, else under `~/.aws/`. A profile
/// appearing in both files has its settings merged, the credentials file winning. Supported:
/// static keys (`aws_access_key_id`, `aws_secret_access_key`, `aws_session_token`) and
/// `credential_process`. Files are read on every load (the cache in front decides how often).
///
/// ```
/// use appsync::credentials::ProfileCredentials;
/// let provider = ProfileCredentials::new().profile("dev");
/// ```
#[derive(Debug, Clone, Default)]
#[must_use]
pub struct ProfileCredentials {
    env: Env,
    profile: Option<String>,
    credentials_file: Option<PathBuf>,
    config_file: Option<PathBuf>,
}

impl ProfileCredentials {
    /// The profile named by `AWS_PROFILE` (or `default`) in the usual files.
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads variables (`AWS_PROFILE`, `HOME`, the file overrides) from `env`.
    pub fn env(mut self, env: Env) -> Self {
        self.env = env;
        self
    }

    /// Uses this profile whatever `AWS_PROFILE` says.
    pub fn profile(mut self, name: impl Into<String>) -> Self {
        self.profile = Some(name.into());
        self
    }

    /// Reads this credentials file instead of `~/.aws/credentials`.
    pub fn credentials_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.credentials_file = Some(path.into());
        self
    }

    /// Reads this config file instead of `~/.aws/config`.
    pub fn config_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.config_file = Some(path.into());
        self
    }

    /// The profile name in use.
    pub fn profile_name(&self) -> String {
        self.profile.clone().or_else(|| self.env.get("AWS_PROFILE")).unwrap_or_else(|| "default".into())
    }

    /// The `region` setting of the profile, if any (useful to configure a client from a profile).
    pub fn region(&self) -> Option<String> {
        self.settings().ok().flatten().and_then(|s| s.get("region").cloned())
    }

    fn paths(&self) -> (PathBuf, PathBuf) {
        let home = self.env.get("HOME").or_else(|| self.env.get("USERPROFILE"));
        let resolve = |given: &Option<PathBuf>, var: &str, default: &str| -> PathBuf {
            if let Some(p) = given {
                return p.clone();
            }
            let raw = self.env.get(var).unwrap_or_else(|| format!("~/.aws/{default}"));
            match (raw.strip_prefix("~/"), &home) {
                (Some(rest), Some(home)) => Path::new(home).join(rest),
                _ => PathBuf::from(raw),
            }
        };
        (
            resolve(&self.credentials_file, "AWS_SHARED_CREDENTIALS_FILE", "credentials"),
            resolve(&self.config_file, "AWS_CONFIG_FILE", "config"),
        )
    }

    /// The merged settings of the profile, `None` when neither file has it.
    fn settings(&self) -> Result<Option<HashMap<String, String>>, CredentialsError> {
        let name = self.profile_name();
        let (credentials_path, config_path) = self.paths();
        let config = read_file(&config_path)?.map(|text| parse_profiles(&text, true));
        let credentials = read_file(&credentials_path)?.map(|text| parse_profiles(&text, false));
        let mut merged: Option<HashMap<String, String>> = None;
        for file in [config, credentials].into_iter().flatten() {
            if let Some(section) = file.get(&name) {
                merged.get_or_insert_with(HashMap::new).extend(section.clone());
            }
        }
        Ok(merged)
    }

    async fn load(&self) -> Result<Credentials, CredentialsError> {
        let name = self.profile_name();
        let Some(settings) = self.settings()? else {
            let (credentials_path, config_path) = self.paths();
            let message = format!(
                "profile `{name}` is in neither {} nor {}",
                credentials_path.display(),
                config_path.display()
            );
            // Asking for a profile by name and not finding it is a mistake worth stopping for;
            // a missing `default` just means this source has nothing.
            let explicit = self.profile.is_some() || self.env.get("AWS_PROFILE").is_some();
            return Err(if explicit {
                CredentialsError::provider_error(message)
            } else {
                CredentialsError::not_loaded(message)
            });
        };
        if let Some(access_key_id) = settings.get("aws_access_key_id") {
            let Some(secret) = settings.get("aws_secret_access_key") else {
                return Err(CredentialsError::provider_error(format!(
                    "profile `{name}` has aws_access_key_id but no aws_secret_access_key"
                )));
            };
            let token = settings.get("aws_session_token").cloned();
            return Ok(Credentials::new(access_key_id.clone(), secret.clone(), token, None));
        }
        if let Some(command) = settings.get("credential_process") {
            return run_credential_process(&name, command).await;
        }
        let unsupported = ["role_arn", "sso_session", "sso_start_url", "web_identity_token_file"]
            .into_iter()
            .find(|k| settings.contains_key(*k));
        Err(match unsupported {
            Some(key) => CredentialsError::provider_error(format!(
                "profile `{name}` uses `{key}`, which this provider does not support: use the \
                 `aws-config` feature's AwsSdkCredentials, or credential_process \
                 (e.g. `aws configure export-credentials --profile {name} --format process`)"
            )),
            None => CredentialsError::provider_error(format!(
                "profile `{name}` has neither aws_access_key_id nor credential_process"
            )),
        })
    }
}

impl ProvideCredentials for ProfileCredentials {
    fn provide_credentials(&self) -> ProvideFuture<'_, Credentials> {
        Box::pin(self.load())
    }
}

fn read_file(path: &Path) -> Result<Option<String>, CredentialsError> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(CredentialsError::provider_error_with_source(format!("reading {}", path.display()), e)),
    }
}

/// Sections of an AWS ini file by profile name. In the config file, profiles other than
/// `default` are written `[profile name]`; other sections (`[sso-session x]`, `[services x]`)
/// are skipped.
pub(crate) fn parse_profiles(text: &str, is_config: bool) -> HashMap<String, HashMap<String, String>> {
    let mut profiles: HashMap<String, HashMap<String, String>> = HashMap::new();
    let mut current: Option<String> = None;
    for raw in text.lines() {
        let line = raw.trim_end();
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with(';') {
            continue;
        }
        if let Some(header) = trimmed.strip_prefix('[') {
            let Some(header) = header.split(']').next() else { continue };
            let header = header.trim();
            current = if !is_config {
                Some(header.to_owned())
            } else if header == "default" {
                Some("default".to_owned())
            } else {
                header
                    .strip_prefix("profile")
                    .filter(|rest| rest.starts_with([' ', '\t']))
                    .map(|rest| rest.trim().to_owned())
            };
            if let Some(name) = &current {
                profiles.entry(name.clone()).or_default();
            }
            continue;
        }
        // Indented lines continue a nested setting (`s3 =` blocks); none of them are credentials.
        if line.starts_with([' ', '\t']) {
            continue;
        }
        let (Some(name), Some((key, value))) = (&current, trimmed.split_once('=')) else { continue };
        let value = strip_inline_comment(value.trim());
        profiles.entry(name.clone()).or_default().insert(key.trim().to_ascii_lowercase(), value.to_owned());
    }
    profiles
}

fn strip_inline_comment(value: &str) -> &str {
    // A comment inside a value must follow whitespace: `a#b` is a value, `a #b` is `a`.
    let bytes = value.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        if (b == b'#' || b == b';') && i > 0 && bytes[i - 1].is_ascii_whitespace() {
            return value[..i].trim_end();
        }
    }
    value
}

/// The usual chain: environment variables, then the shared files' profile.
///
/// The first source that has credentials wins; a source that is configured but broken (a
/// missing secret, a failing `credential_process`) stops the chain with its error rather than
/// silently falling through to other credentials.
///
/// ```
/// let auth = appsync::Auth::iam(appsync::credentials::DefaultCredentialsChain::new());
/// ```
#[derive(Debug, Clone, Default)]
#[must_use]
pub struct DefaultCredentialsChain {
    environment: EnvironmentCredentials,
    profile: ProfileCredentials,
}

impl DefaultCredentialsChain {
    /// The chain over the process environment.
    pub fn new() -> Self {
        Self::default()
    }

    /// Both steps read their variables from `env` instead of the process environment.
    pub fn env(mut self, env: Env) -> Self {
        self.environment = self.environment.env(env.clone());
        self.profile = self.profile.env(env);
        self
    }

    /// Uses this profile for the file step.
    pub fn profile(mut self, name: impl Into<String>) -> Self {
        self.profile = self.profile.profile(name);
        self
    }
}

impl ProvideCredentials for DefaultCredentialsChain {
    fn provide_credentials(&self) -> ProvideFuture<'_, Credentials> {
        Box::pin(async move {
            let env_error = match self.environment.load() {
                Ok(c) => return Ok(c),
                Err(e) if e.is_not_loaded() => e,
                Err(e) => return Err(e),
            };
            match self.profile.load().await {
                Ok(c) => Ok(c),
                Err(e) if e.is_not_loaded() => Err(CredentialsError::not_loaded(format!(
                    "no credentials found (environment: {env_error}; profile: {e})"
                ))),
                Err(e) => Err(e),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_both_file_styles() {
        let config = "[default]\nregion = eu-west-1\n[profile dev]\nregion=us-east-2 # comment\ns3 =\n  max_concurrent_requests = 20\n[sso-session x]\nsso_region = a\n";
        let parsed = parse_profiles(config, true);
        assert_eq!(parsed["default"]["region"], "eu-west-1");
        assert_eq!(parsed["dev"]["region"], "us-east-2");
        assert!(!parsed.contains_key("sso-session x"));
        let creds = "# c\n[dev]\naws_access_key_id = AK\nAWS_SECRET_ACCESS_KEY = a#b\n";
        let parsed = parse_profiles(creds, false);
        assert_eq!(parsed["dev"]["aws_secret_access_key"], "a#b");
    }
}
