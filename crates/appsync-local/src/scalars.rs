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

/// RFC 822's `local-part@domain` in its common dot-atom form: the local part is
/// atext characters with single dots between them, the domain is labels of
/// letters, digits and inner hyphens (at most 63 each) or a bracketed literal.
fn is_email(s: &str) -> bool {
    let Some((local, domain)) = s.rsplit_once('@') else {
        return false;
    };
    let atext = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+/=?^_`{|}~-".contains(c);
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && local.split('.').all(|part| !part.is_empty() && part.chars().all(atext));
    let label_ok = |label: &str| {
        (1..=63).contains(&label.len())
            && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            && !label.starts_with('-')
            && !label.ends_with('-')
    };
    let domain_ok = match domain.strip_prefix('[').and_then(|d| d.strip_suffix(']')) {
        Some(literal) => {
            literal.parse::<Ipv4Addr>().is_ok()
                || literal.strip_prefix("IPv6:").is_some_and(|v6| v6.parse::<Ipv6Addr>().is_ok())
        }
        None => domain.len() <= 253 && domain.split('.').all(label_ok),
    };
    local_ok && domain_ok
}

/// A phone number as AppSync reads one: digit groups separated by single
/// spaces or hyphens (dots and one parenthesised group such as an area code
/// are tolerated, as phone-number parsers do). With a leading `+` the number
/// is international: a country code not starting with 0 and 7 to 15 digits in
/// all (E.164). Without it the number is North American (NANP), as AppSync
/// assumes: ten digits, or eleven starting with 1, whose area code and
/// exchange do not start with 0 or 1. `+1` numbers follow the NANP rule too.
fn is_phone(s: &str) -> bool {
    let (international, body) = match s.strip_prefix('+') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let mut digits = Vec::with_capacity(16);
    let mut previous_was_digit = false;
    let mut open_paren = false;
    let mut parens_used = false;
    for c in body.chars() {
        match c {
            '0'..='9' => {
                digits.push(c as u8 - b'0');
                previous_was_digit = true;
            }
            ' ' | '-' | '.' if previous_was_digit => previous_was_digit = false,
            '(' if !parens_used && !open_paren && !previous_was_digit => {
                open_paren = true;
                parens_used = true;
            }
            // A separator may follow the closing parenthesis: `(555) 123-4567`.
            ')' if open_paren && previous_was_digit => {
                open_paren = false;
                previous_was_digit = true;
            }
            _ => return false,
        }
    }
    if open_paren || !previous_was_digit || digits.len() > 15 {
        return false;
    }
    let nanp = |national: &[u8]| national.len() == 10 && national[0] >= 2 && national[3] >= 2;
    match (international, digits.first()) {
        (true, Some(1)) => nanp(&digits[1..]),
        (true, Some(first)) => *first != 0 && digits.len() >= 7,
        (false, Some(1)) => nanp(&digits[1..]),
        (false, Some(_)) => nanp(&digits),
        (_, None) => false,
    }
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
        assert!(ok("AWSEmail", json!("first.last+tag@sub.example-mail.com")));
        assert!(ok("AWSEmail", json!("root@[192.0.2.1]")));
        assert!(!ok("AWSEmail", json!("a..b@example.com")));
        assert!(!ok("AWSEmail", json!(".a@example.com")));
        assert!(!ok("AWSEmail", json!("a b@example.com")));
        assert!(!ok("AWSEmail", json!("a@-example.com")));
        assert!(!ok("AWSEmail", json!("a@example..com")));
        assert!(!ok("AWSEmail", json!("a@exa_mple.com")));
        assert!(!ok("AWSEmail", json!("a@")));
        assert!(ok("AWSPhone", json!("+1 (206) 555-0100")));
        assert!(ok("AWSPhone", json!("206-555-0100")));
        assert!(ok("AWSPhone", json!("2065550100")));
        assert!(ok("AWSPhone", json!("1 206 555 0100")));
        assert!(ok("AWSPhone", json!("+44 20 7946 0958")));
        assert!(ok("AWSPhone", json!("+33-1-23-45-67-89")));
        assert!(!ok("AWSPhone", json!("call me")));
        assert!(!ok("AWSPhone", json!("555-0100")), "seven digits with no country code is not a NANP number");
        assert!(!ok("AWSPhone", json!("106-555-0100")), "NANP area codes do not start with 1");
        assert!(!ok("AWSPhone", json!("206-155-0100")), "NANP exchanges do not start with 1");
        assert!(!ok("AWSPhone", json!("+1 206 555 010")));
        assert!(!ok("AWSPhone", json!("+0 20 7946 0958")), "country codes do not start with 0");
        assert!(!ok("AWSPhone", json!("+44 20 7946 0958 1234 5")), "E.164 has at most 15 digits");
        assert!(!ok("AWSPhone", json!("206--555-0100")));
        assert!(!ok("AWSPhone", json!("-206-555-0100")));
        assert!(!ok("AWSPhone", json!("206-555-0100 ")));
        assert!(!ok("AWSPhone", json!("(206 555-0100")));
        assert!(!ok("AWSPhone", json!("+44 20 ABCD 0958")));
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
