//! UTC timestamps as AppSync writes them. The calendar arithmetic is the signer's
//! ([`appsync_sigv4::AmzDate`]); this module only lays the digits out.

use std::time::{SystemTime, UNIX_EPOCH};

use appsync_sigv4::AmzDate;

/// The SigV4 form of `t`; times outside 1970..9999 (never "now") are clamped to the epoch.
fn amz(t: SystemTime) -> AmzDate {
    AmzDate::from_system_time(t)
        .or_else(|_| AmzDate::from_system_time(UNIX_EPOCH))
        .unwrap_or_else(|_| unreachable!("the epoch is in range"))
}

/// `2026-11-25T17:23:27.123Z`, the `AWSDateTime` form AppSync's `$util.time.nowISO8601()` gives.
pub(crate) fn iso8601(t: SystemTime) -> String {
    let d = amz(t);
    let s = d.as_str();
    let millis = t.duration_since(UNIX_EPOCH).map_or(0, |d| d.subsec_millis());
    format!("{}-{}-{}T{}:{}:{}.{millis:03}Z", &s[0..4], &s[4..6], &s[6..8], &s[9..11], &s[11..13], &s[13..15])
}

/// `20261125T172327Z`, the SigV4 `x-amz-date` form.
pub(crate) fn amz_date(t: SystemTime) -> String {
    amz(t).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn formats_known_instants() {
        let t = UNIX_EPOCH + Duration::from_millis(1_764_091_407_123);
        assert_eq!(iso8601(t), "2025-11-25T17:23:27.123Z");
        assert_eq!(amz_date(t), "20251125T172327Z");
        assert_eq!(iso8601(UNIX_EPOCH), "1970-01-01T00:00:00.000Z");
        // Leap day.
        let leap = UNIX_EPOCH + Duration::from_secs(951_782_400);
        assert_eq!(iso8601(leap), "2000-02-29T00:00:00.000Z");
    }
}
