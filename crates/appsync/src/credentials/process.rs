//! `credential_process`: run a command and read credentials from its JSON output.

use std::time::{SystemTime, UNIX_EPOCH};

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
        Some(text) => Some(parse_expiration(text).ok_or_else(|| {
            CredentialsError::provider_error(format!(
                "profile `{profile}`: credential_process Expiration `{text}` is not an RFC 3339 time"
            ))
        })?),
    };
    Ok(Credentials::new(parsed.access_key_id, parsed.secret_access_key, parsed.session_token, expiry))
}

/// An RFC 3339 time as `credential_process` prints its `Expiration` (`2026-11-25T18:00:00Z`, with
/// optional fractional seconds and a `±hh:mm` offset instead of `Z`); `None` for anything else,
/// impossible dates and instants before 1970 included.
fn parse_expiration(text: &str) -> Option<SystemTime> {
    let time =
        time::OffsetDateTime::parse(text.trim(), &time::format_description::well_known::Rfc3339).ok()?;
    Some(SystemTime::from(time)).filter(|t| *t >= UNIX_EPOCH)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn expiration_forms() {
        let t = |s| parse_expiration(s).and_then(|t| t.duration_since(UNIX_EPOCH).ok());
        let secs = |s| t(s).map(|d| d.as_secs());
        assert_eq!(secs("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(secs("2015-08-30T12:36:00Z"), Some(1_440_938_160));
        assert_eq!(secs(" 2015-08-30t12:36:00z\n"), Some(1_440_938_160));
        assert_eq!(secs("2015-08-30T14:36:00.123+02:00"), Some(1_440_938_160));
        assert_eq!(secs("2015-08-30T10:06:00-02:30"), Some(1_440_938_160));
        assert_eq!(secs("2000-02-29T00:00:00Z"), Some(951_782_400));
        assert_eq!(t("2015-08-30T14:36:00.5+02:00"), Some(Duration::from_millis(1_440_938_160_500)));
        assert_eq!(t("1970-01-01T00:00:01.123456789Z"), Some(Duration::new(1, 123_456_789)));
        for bad in [
            "2015-08-30T12:36:00",
            "2015-08-30T12:36:00.Z",
            "2015-02-30T00:00:00Z",
            "1900-02-29T00:00:00Z",
            "2015-13-01T00:00:00Z",
            "2015-08-30T24:00:00Z",
            "2015-08-30T12:36:00+24:00",
            "1969-12-31T23:59:59Z",
            "2015-08-30T12:36:00Zjunk",
            "yesterday",
            "",
        ] {
            assert_eq!(parse_expiration(bad), None, "{bad}");
        }
    }
}
