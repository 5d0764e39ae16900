//! AppSync's scalar validation rules, applied to arguments and variables.

use std::net::{Ipv4Addr, Ipv6Addr};

use serde_json::Value;

/// Whether `value` is acceptable input for the AppSync scalar `scalar`.
/// Scalars that are not AppSync's pass through (`None`).
pub(crate) fn check(scalar: &str, value: &Value) -> Option<bool> {
    let s = value.as_str();
    Some(match scalar {
        "AWSDate" => s.is_some_and(is_date),
        "AWSTime" => s.is_some_and(is_time),
        "AWSDateTime" => s.is_some_and(is_date_time),
        "AWSTimestamp" => value.as_i64().is_some(),
        "AWSEmail" => s.is_some_and(is_email),
        "AWSJSON" => s.is_some_and(|s| serde_json::from_str::<Value>(s).is_ok()),
        "AWSPhone" => s.is_some_and(is_phone),
        "AWSURL" => s.is_some_and(is_url),
        "AWSIPAddress" => s.is_some_and(is_ip),
        _ => return None,
    })
}

fn digits(s: &str, n: usize) -> Option<(u32, &str)> {
    let head = s.get(..n)?;
    if !head.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((head.parse().ok()?, &s[n..]))
}

/// `YYYY-MM-DD` then the rest.
fn date_prefix(s: &str) -> Option<&str> {
    let (_year, rest) = digits(s, 4)?;
    let rest = rest.strip_prefix('-')?;
    let (month, rest) = digits(rest, 2)?;
    let rest = rest.strip_prefix('-')?;
    let (day, rest) = digits(rest, 2)?;
    ((1..=12).contains(&month) && (1..=31).contains(&day)).then_some(rest)
}

/// `hh:mm[:ss[.fff]]` then the rest.
fn time_prefix(s: &str) -> Option<&str> {
    let (hour, rest) = digits(s, 2)?;
    let rest = rest.strip_prefix(':')?;
    let (minute, mut rest) = digits(rest, 2)?;
    if hour > 23 || minute > 59 {
        return None;
    }
    if let Some(r) = rest.strip_prefix(':') {
        let (second, r) = digits(r, 2)?;
        if second > 60 {
            return None;
        }
        rest = r;
        if let Some(frac) = rest.strip_prefix('.') {
            let n = frac.bytes().take_while(u8::is_ascii_digit).count();
            if n == 0 || n > 9 {
                return None;
            }
            rest = &frac[n..];
        }
    }
    Some(rest)
}

/// `Z`, `±hh`, `±hh:mm` or `±hh:mm:ss`.
fn is_offset(s: &str) -> bool {
    if s == "Z" {
        return true;
    }
    let Some(rest) = s.strip_prefix('+').or_else(|| s.strip_prefix('-')) else {
        return false;
    };
    let Some((h, rest)) = digits(rest, 2) else {
        return false;
    };
    if h > 23 {
        return false;
    }
    let mut rest = rest;
    for _ in 0..2 {
        if rest.is_empty() {
            return true;
        }
        let Some(r) = rest.strip_prefix(':') else {
            return false;
        };
        let Some((v, r)) = digits(r, 2) else {
            return false;
        };
        if v > 59 {
            return false;
        }
        rest = r;
    }
    rest.is_empty()
}

fn is_date(s: &str) -> bool {
    date_prefix(s).is_some_and(|rest| rest.is_empty() || is_offset(rest))
}

fn is_time(s: &str) -> bool {
    time_prefix(s).is_some_and(|rest| rest.is_empty() || is_offset(rest))
}

/// AppSync requires the offset on `AWSDateTime`.
fn is_date_time(s: &str) -> bool {
    date_prefix(s).and_then(|r| r.strip_prefix('T')).and_then(time_prefix).is_some_and(is_offset)
}

fn is_email(s: &str) -> bool {
    let Some((local, domain)) = s.rsplit_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.is_empty()
        && !s.chars().any(char::is_whitespace)
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
        && !local.contains('@')
}

fn is_phone(s: &str) -> bool {
    let body = s.strip_prefix('+').unwrap_or(s);
    let digit_count = body.chars().filter(char::is_ascii_digit).count();
    (3..=20).contains(&digit_count)
        && body.chars().all(|c| c.is_ascii_digit() || matches!(c, ' ' | '-' | '(' | ')' | '.'))
}

/// AppSync's AWSURL: a scheme, `:`, and the rest (`https://host/path`, and also
/// `mailto:someone@example.com`), no whitespace, and no `//` inside the path part.
fn is_url(s: &str) -> bool {
    let Some((scheme, rest)) = s.split_once(':') else {
        return false;
    };
    let scheme_ok = scheme.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && scheme.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    let after_authority = match rest.strip_prefix("//") {
        Some(hier) => match hier.find('/') {
            Some(i) => &hier[i..],
            None if hier.is_empty() => return false,
            None => "",
        },
        None => rest,
    };
    let path = after_authority.split(['?', '#']).next().unwrap_or("");
    scheme_ok && !rest.is_empty() && !s.chars().any(char::is_whitespace) && !path.contains("//")
}

fn is_ip(s: &str) -> bool {
    let (addr, prefix) = match s.split_once('/') {
        Some((a, p)) => (a, Some(p)),
        None => (s, None),
    };
    let max = if addr.parse::<Ipv4Addr>().is_ok() {
        32
    } else if addr.parse::<Ipv6Addr>().is_ok() {
        128
    } else {
        return false;
    };
    prefix.is_none_or(|p| p.parse::<u8>().is_ok_and(|p| p <= max))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ok(scalar: &str, v: Value) -> bool {
        check(scalar, &v).unwrap_or(false)
    }

    #[test]
    fn dates_and_times() {
        assert!(ok("AWSDate", json!("1970-01-01")));
        assert!(ok("AWSDate", json!("1970-01-01Z")));
        assert!(ok("AWSDate", json!("1970-01-01-07:00")));
        assert!(!ok("AWSDate", json!("1970-13-01")));
        assert!(!ok("AWSDate", json!("1970-1-01")));
        assert!(ok("AWSTime", json!("12:30")));
        assert!(ok("AWSTime", json!("12:30:24.500+05:30")));
        assert!(!ok("AWSTime", json!("25:00")));
        assert!(ok("AWSDateTime", json!("1970-01-01T12:00:00.123Z")));
        assert!(ok("AWSDateTime", json!("1970-01-01T12:00+05:30:10")));
        assert!(!ok("AWSDateTime", json!("1970-01-01T12:00:00")));
        assert!(ok("AWSTimestamp", json!(1_700_000_000)));
        assert!(!ok("AWSTimestamp", json!("1700000000")));
    }

    #[test]
    fn others() {
        assert!(ok("AWSEmail", json!("a@example.com")));
        assert!(!ok("AWSEmail", json!("example.com")));
        assert!(ok("AWSJSON", json!("{\"a\":1}")));
        assert!(!ok("AWSJSON", json!("{a:1}")));
        assert!(!ok("AWSJSON", json!({"a": 1})));
        assert!(ok("AWSPhone", json!("+1 (555) 123-4567")));
        assert!(!ok("AWSPhone", json!("call me")));
        assert!(ok("AWSURL", json!("https://example.com/x?y=1")));
        assert!(!ok("AWSURL", json!("example.com")));
        assert!(ok("AWSURL", json!("mailto:example@example.com")));
        assert!(ok("AWSURL", json!("https://www.amazon.com/dp/B000NZW3KC/")));
        assert!(!ok("AWSURL", json!("https://example.com/a//b")));
        assert!(!ok("AWSURL", json!("https://")));
        assert!(!ok("AWSURL", json!("https://exa mple.com/")));
        assert!(ok("AWSIPAddress", json!("10.0.0.1/8")));
        assert!(ok("AWSIPAddress", json!("::1")));
        assert!(!ok("AWSIPAddress", json!("10.0.0.1/33")));
        assert_eq!(check("String", &json!(1)), None);
    }
}
