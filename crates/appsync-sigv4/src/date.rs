//! The `YYYYMMDDTHHMMSSZ` timestamps SigV4 uses, converted from and to [`SystemTime`] without a
//! date library (the crate takes the time as an argument and never reads a clock).

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::error::{SigningError, SigningErrorKind};
use crate::per_thread;

/// A SigV4 timestamp, `20150830T123600Z`, stored inline (no allocation).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct AmzDate {
    text: [u8; 16],
    secs: u64,
}

impl AmzDate {
    /// Formats `time` (truncated to whole seconds, UTC).
    ///
    /// # Errors
    /// Times before 1970 or after year 9999 cannot be written in this format.
    pub fn from_system_time(time: SystemTime) -> Result<Self, SigningError> {
        let secs = time
            .duration_since(UNIX_EPOCH)
            .map_err(|_| SigningError::new(SigningErrorKind::TimeOutOfRange))?
            .as_secs();
        // 253402300799 is 9999-12-31T23:59:59Z, the last second the format can hold.
        if secs > 253_402_300_799 {
            return Err(SigningError::new(SigningErrorKind::TimeOutOfRange));
        }
        // A busy client signs many requests within the same second: reuse the last formatting.
        if let Some(last) = per_thread::formatted(secs) {
            return Ok(last);
        }
        let days = secs / 86_400;
        let rem = secs % 86_400;
        let (y, m, d) = civil_from_days(days as i64);
        let (hh, mm, ss) = (rem / 3600, (rem % 3600) / 60, rem % 60);
        let mut text = *b"00000000T000000Z";
        put_digits(&mut text[0..4], y as u64);
        put_digits(&mut text[4..6], u64::from(m));
        put_digits(&mut text[6..8], u64::from(d));
        put_digits(&mut text[9..11], hh);
        put_digits(&mut text[11..13], mm);
        put_digits(&mut text[13..15], ss);
        let formatted = Self { text, secs };
        per_thread::remember_formatted(formatted);
        Ok(formatted)
    }

    /// Parses `YYYYMMDDTHHMMSSZ`. Returns `None` for anything else, including impossible dates.
    pub fn parse(s: &str) -> Option<Self> {
        let b = s.as_bytes();
        if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
            return None;
        }
        let num = |r: std::ops::Range<usize>| -> Option<u32> {
            b[r].iter().try_fold(0u32, |acc, &c| c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0')))
        };
        let (y, m, d) = (num(0..4)?, num(4..6)?, num(6..8)?);
        let (hh, mm, ss) = (num(9..11)?, num(11..13)?, num(13..15)?);
        if !(1970..=9999).contains(&y) || !(1..=12).contains(&m) || d == 0 || d > days_in_month(y, m) {
            return None;
        }
        if hh > 23 || mm > 59 || ss > 59 {
            return None;
        }
        let days = days_from_civil(i64::from(y), m, d);
        let secs = days as u64 * 86_400 + u64::from(hh * 3600 + mm * 60 + ss);
        let mut text = [0u8; 16];
        text.copy_from_slice(b);
        Some(Self { text, secs })
    }

    /// The timestamp's ASCII bytes.
    pub(crate) fn as_bytes(&self) -> &[u8; 16] {
        &self.text
    }

    /// The full timestamp, `20150830T123600Z`.
    #[allow(clippy::expect_used, reason = "only ASCII digits, 'T' and 'Z' are ever written into `text`")]
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.text).expect("an AmzDate is ASCII")
    }

    /// The date part used in the credential scope, `20150830`.
    pub fn date(&self) -> &str {
        &self.as_str()[..8]
    }

    /// The date part as bytes: the day a signing key is derived for.
    pub(crate) fn day(&self) -> [u8; 8] {
        let [y0, y1, y2, y3, m0, m1, d0, d1, ..] = self.text;
        [y0, y1, y2, y3, m0, m1, d0, d1]
    }

    /// The instant this timestamp names.
    pub fn to_system_time(&self) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(self.secs)
    }

    pub(crate) fn secs(&self) -> u64 {
        self.secs
    }
}

impl fmt::Display for AmzDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for AmzDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AmzDate({})", self.as_str())
    }
}

fn put_digits(out: &mut [u8], mut value: u64) {
    for slot in out.iter_mut().rev() {
        *slot = b'0' + (value % 10) as u8;
        value /= 10;
    }
}

fn is_leap(y: u32) -> bool {
    (y.is_multiple_of(4) && !y.is_multiple_of(100)) || y.is_multiple_of(400)
}

fn days_in_month(y: u32, m: u32) -> u32 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

// Howard Hinnant's civil calendar algorithms (public domain), proleptic Gregorian.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_instants() {
        let t = UNIX_EPOCH + Duration::from_secs(1_440_938_160);
        let d = AmzDate::from_system_time(t).expect("in range");
        assert_eq!(d.as_str(), "20150830T123600Z");
        assert_eq!(d.date(), "20150830");
        let leap = UNIX_EPOCH + Duration::from_secs(951_782_400); // 2000-02-29
        assert_eq!(AmzDate::from_system_time(leap).expect("in range").as_str(), "20000229T000000Z");
    }

    #[test]
    fn parse_round_trips_and_rejects_nonsense() {
        for secs in [0u64, 951_782_400, 1_440_938_160, 4_102_444_799, 253_402_300_799] {
            let t = UNIX_EPOCH + Duration::from_secs(secs);
            let d = AmzDate::from_system_time(t).expect("in range");
            let back = AmzDate::parse(d.as_str()).expect("parses");
            assert_eq!(back.to_system_time(), t);
        }
        for bad in [
            "",
            "20150830",
            "20150830T123600",
            "2015083OT123600Z",
            "20150230T000000Z",
            "20150830T246000Z",
            "19690101T000000Z",
            "20150830t123600z",
        ] {
            assert!(AmzDate::parse(bad).is_none(), "{bad} should not parse");
        }
        assert!(AmzDate::from_system_time(UNIX_EPOCH + Duration::from_secs(253_402_300_800)).is_err());
    }
}
