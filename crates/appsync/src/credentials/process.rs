//! `credential_process`: run a command and read credentials from its JSON output.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

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

/// `2026-11-25T18:00:00Z`, with optional fractional seconds and a `±hh:mm` offset.
pub(crate) fn parse_rfc3339(text: &str) -> Option<SystemTime> {
    let b = text.trim().as_bytes();
    let num = |range: std::ops::Range<usize>| -> Option<i64> {
        let s = std::str::from_utf8(b.get(range)?).ok()?;
        if !s.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        s.parse().ok()
    };
    if b.len() < 20
        || b[4] != b'-'
        || b[7] != b'-'
        || !matches!(b[10], b'T' | b't' | b' ')
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let mut i = 19;
    let mut nanos: u32 = 0;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        let digits = std::str::from_utf8(&b[start..i]).ok()?;
        if digits.is_empty() {
            return None;
        }
        let padded: String = digits.chars().chain(std::iter::repeat('0')).take(9).collect();
        nanos = padded.parse().ok()?;
    }
    let offset_secs = match b.get(i)? {
        b'Z' | b'z' if i + 1 == b.len() => 0,
        sign @ (b'+' | b'-') if i + 6 == b.len() && b[i + 3] == b':' => {
            let secs = num(i + 1..i + 3)? * 3600 + num(i + 4..i + 6)? * 60;
            if *sign == b'+' { secs } else { -secs }
        }
        _ => return None,
    };
    let days = days_from_civil(year, month, day);
    let secs = days * 86_400 + hour * 3600 + minute * 60 + second - offset_secs;
    let secs = u64::try_from(secs).ok()?;
    Some(UNIX_EPOCH + Duration::new(secs, nanos))
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339() {
        let t = |s| parse_rfc3339(s).and_then(|t| t.duration_since(UNIX_EPOCH).ok()).map(|d| d.as_secs());
        assert_eq!(t("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(t("2015-08-30T12:36:00Z"), Some(1_440_938_160));
        assert_eq!(t("2015-08-30T14:36:00.123+02:00"), Some(1_440_938_160));
        assert_eq!(t("2015-08-30T12:36:00"), None);
        assert_eq!(t("yesterday"), None);
    }
}
