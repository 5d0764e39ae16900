//! `credential_process`: run a command and read credentials from its JSON output.

use appsync_sigv4::parse_rfc3339;
use serde::Deserialize;

use super::{Credentials, CredentialsError};

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ProcessOutput {
    version: u32,
    access_key_id: String,
    secret_access_key: String,
    session_token: Option<String>,
    expiration: Option<String>,
}

pub(crate) async fn run_credential_process(
    profile: &str,
    command: &str,
) -> Result<Credentials, CredentialsError> {
    let mut cmd = if cfg!(windows) {
        let mut c = tokio::process::Command::new("cmd");
        c.arg("/C").arg(command);
        c
    } else {
        let mut c = tokio::process::Command::new("sh");
        c.arg("-c").arg(command);
        c
    };
    cmd.stdin(std::process::Stdio::null()).kill_on_drop(true);
    // The command line may hold secrets of its own: errors name the profile, not the command.
    let output = cmd.output().await.map_err(|e| {
        CredentialsError::provider_error_with_source(
            format!("profile `{profile}`: could not run credential_process"),
            e,
        )
    })?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let first_line = stderr.lines().next().unwrap_or("").chars().take(200).collect::<String>();
        return Err(CredentialsError::provider_error(format!(
            "profile `{profile}`: credential_process exited with {}{}{}",
            output.status,
            if first_line.is_empty() { "" } else { ": " },
            first_line
        )));
    }
    let parsed: ProcessOutput = serde_json::from_slice(&output.stdout).map_err(|e| {
        CredentialsError::provider_error_with_source(
            format!(
                "profile `{profile}`: credential_process printed something other than the credentials JSON"
            ),
            e,
        )
    })?;
    if parsed.version != 1 {
        return Err(CredentialsError::provider_error(format!(
            "profile `{profile}`: credential_process output has Version {}, expected 1",
            parsed.version
        )));
    }
    let expiry = match parsed.expiration.as_deref() {
        None => None,
        Some(text) => Some(parse_rfc3339(text).ok_or_else(|| {
            CredentialsError::provider_error(format!(
                "profile `{profile}`: credential_process Expiration `{text}` is not an RFC 3339 time"
            ))
        })?),
    };
    Ok(Credentials::new(parsed.access_key_id, parsed.secret_access_key, parsed.session_token, expiry))
}
