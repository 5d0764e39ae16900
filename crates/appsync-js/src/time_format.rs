//! `util.time`'s formats: Java `DateTimeFormatter` patterns (the guide's "Time helpers in
//! util.time" names that syntax) in IANA time zones, formatted and parsed.
//!
//! Text fields are English (`Jan`, `Monday`, `AM`), as AppSync's runtime prints them. Week
//! fields (`Y`, `w`) follow ISO weeks.

use jiff::civil::{Date, DateTime};
use jiff::tz::{Offset, TimeZone};
use jiff::{Timestamp, ZonedDateTime};

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const WEEKDAYS: [&str; 7] = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];

/// One piece of a pattern: a run of one pattern letter, or literal text.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Field(char, usize),
    Literal(String),
}

fn tokenize(pattern: &str) -> Result<Vec<Token>, String> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\'' {
            let mut text = String::new();
            i += 1;
            loop {
                match chars.get(i) {
                    None => return Err(format!("unterminated quote in pattern '{pattern}'")),
                    Some('\'') if chars.get(i + 1) == Some(&'\'') => {
                        text.push('\'');
                        i += 2;
                    }
                    Some('\'') => {
                        i += 1;
                        break;
                    }
                    Some(&other) => {
                        text.push(other);
                        i += 1;
                    }
                }
            }
            // `''` alone is one quote.
            if text.is_empty() {
                text.push('\'');
            }
            tokens.push(Token::Literal(text));
        } else if c.is_ascii_alphabetic() {
            let mut count = 1;
            while chars.get(i + count) == Some(&c) {
                count += 1;
            }
            if !"GuyYDMLdQqwWEeacFhKkHmsSAnNVzOXxZ".contains(c) {
                return Err(format!("unknown pattern letter '{c}' in '{pattern}'"));
            }
            tokens.push(Token::Field(c, count));
            i += count;
        } else if c == '[' || c == ']' {
            // Optional sections: every field this formatter knows is always available.
            i += 1;
        } else {
            tokens.push(Token::Literal(c.to_string()));
            i += 1;
        }
    }
    Ok(tokens)
}

/// A time zone by the names Java's `ZoneId.of` accepts: IANA ids, `UTC`/`GMT`/`Z`, and offsets
/// (`+08:00`, `UTC+8`, `GMT-05:30`).
pub(crate) fn zone(name: &str) -> Result<TimeZone, String> {
    let trimmed = name.trim();
    if matches!(trimmed, "Z" | "UTC" | "GMT" | "UT") {
        return Ok(TimeZone::UTC);
    }
    if let Ok(tz) = TimeZone::get(trimmed) {
        return Ok(tz);
    }
    let offset_text =
        ["UTC", "GMT", "UT"].iter().find_map(|prefix| trimmed.strip_prefix(prefix)).unwrap_or(trimmed);
    parse_offset_text(offset_text).map(TimeZone::fixed).ok_or_else(|| format!("unknown time zone '{name}'"))
}

fn parse_offset_text(text: &str) -> Option<Offset> {
    let (sign, rest) = match text.as_bytes().first()? {
        b'+' => (1, &text[1..]),
        b'-' => (-1, &text[1..]),
        _ => return None,
    };
    let digits: String = rest.chars().filter(char::is_ascii_digit).collect();
    if digits.len() != rest.chars().filter(|c| *c != ':').count() {
        return None;
    }
    let (h, m, s) = match digits.len() {
        1 | 2 => (digits.parse::<i32>().ok()?, 0, 0),
        4 => (digits[..2].parse().ok()?, digits[2..].parse().ok()?, 0),
        6 => (digits[..2].parse().ok()?, digits[2..4].parse().ok()?, digits[4..].parse().ok()?),
        _ => return None,
    };
    if h > 18 || m > 59 || s > 59 {
        return None;
    }
    Offset::from_seconds(sign * (h * 3600 + m * 60 + s)).ok()
}

/// Formats `millis` since the epoch with `pattern` in `zone_name` (UTC when `None`).
pub(crate) fn format(millis: i64, pattern: &str, zone_name: Option<&str>) -> Result<String, String> {
    let tz = match zone_name {
        Some(name) => zone(name)?,
        None => TimeZone::UTC,
    };
    let ts = Timestamp::from_millisecond(millis).map_err(|e| format!("{millis} is out of range: {e}"))?;
    let zdt = ts.to_zoned_datetime(tz);
    let mut out = String::new();
    for token in tokenize(pattern)? {
        match token {
            Token::Literal(text) => out.push_str(&text),
            Token::Field(c, n) => format_field(&mut out, &zdt, c, n)?,
        }
    }
    Ok(out)
}

fn pad(out: &mut String, value: i64, width: usize) {
    if value < 0 {
        out.push('-');
    }
    let digits = value.unsigned_abs().to_string();
    for _ in digits.len()..width {
        out.push('0');
    }
    out.push_str(&digits);
}

fn text(out: &mut String, full: &str, n: usize) {
    match n {
        1..=3 => out.push_str(&full[..3]),
        4 => out.push_str(full),
        _ => out.push_str(&full[..1]),
    }
}

fn year(out: &mut String, year: i64, n: usize) {
    if n == 2 {
        pad(out, year.rem_euclid(100), 2);
    } else {
        pad(out, year, n);
    }
}

fn format_field(out: &mut String, z: &ZonedDateTime, c: char, n: usize) -> Result<(), String> {
    let hour = i64::from(z.hour());
    match c {
        'G' => out.push_str(if z.year() > 0 { if n == 4 { "Anno Domini" } else { "AD" } } else { "BC" }),
        'u' | 'y' => year(out, i64::from(z.year()), n),
        'Y' => year(out, i64::from(z.iso_week_date().year()), n),
        'M' | 'L' => match n {
            1 | 2 => pad(out, i64::from(z.month()), n),
            _ => text(out, MONTHS[usize::try_from(z.month() - 1).unwrap_or(0)], n),
        },
        'd' => pad(out, i64::from(z.day()), n),
        'D' => pad(out, i64::from(z.day_of_year()), n),
        'Q' | 'q' => {
            let quarter = (i64::from(z.month()) - 1) / 3 + 1;
            match n {
                1 | 2 => pad(out, quarter, n),
                3 => out.push_str(&format!("Q{quarter}")),
                _ => out.push_str(
                    ["1st quarter", "2nd quarter", "3rd quarter", "4th quarter"]
                        [usize::try_from(quarter - 1).unwrap_or(0)],
                ),
            }
        }
        'w' => pad(out, i64::from(z.iso_week_date().week()), n),
        'W' => pad(out, (i64::from(z.day()) - 1) / 7 + 1, n),
        'F' => pad(out, (i64::from(z.day()) - 1) / 7 + 1, n),
        'E' => text(out, WEEKDAYS[usize::try_from(z.weekday().to_monday_one_offset() - 1).unwrap_or(0)], n),
        'e' | 'c' => match n {
            1 | 2 => pad(out, i64::from(z.weekday().to_monday_one_offset()), n),
            _ => text(out, WEEKDAYS[usize::try_from(z.weekday().to_monday_one_offset() - 1).unwrap_or(0)], n),
        },
        'a' => out.push_str(if hour < 12 { "AM" } else { "PM" }),
        'H' => pad(out, hour, n),
        'k' => pad(out, if hour == 0 { 24 } else { hour }, n),
        'K' => pad(out, hour % 12, n),
        'h' => pad(out, if hour % 12 == 0 { 12 } else { hour % 12 }, n),
        'm' => pad(out, i64::from(z.minute()), n),
        's' => pad(out, i64::from(z.second()), n),
        'S' => {
            let nanos = format!("{:09}", z.subsec_nanosecond());
            if n <= 9 {
                out.push_str(&nanos[..n]);
            } else {
                out.push_str(&nanos);
                out.extend(std::iter::repeat_n('0', n - 9));
            }
        }
        'n' => pad(out, i64::from(z.subsec_nanosecond()), n),
        'A' => pad(
            out,
            (hour * 3600 + i64::from(z.minute()) * 60 + i64::from(z.second())) * 1000
                + i64::from(z.millisecond()),
            n,
        ),
        'N' => pad(
            out,
            (hour * 3600 + i64::from(z.minute()) * 60 + i64::from(z.second())) * 1_000_000_000
                + i64::from(z.subsec_nanosecond()),
            n,
        ),
        'V' => out.push_str(zone_id(z)),
        'z' => {
            if n == 4 {
                out.push_str(zone_id(z));
            } else {
                let info = z.time_zone().to_offset_info(z.timestamp());
                out.push_str(info.abbreviation());
            }
        }
        'O' => {
            out.push_str("GMT");
            let secs = z.offset().seconds();
            if secs != 0 {
                let (sign, h, m) = split_offset(secs);
                if n == 4 {
                    out.push_str(&format!("{sign}{h:02}:{m:02}"));
                } else if m == 0 {
                    out.push_str(&format!("{sign}{h}"));
                } else {
                    out.push_str(&format!("{sign}{h}:{m:02}"));
                }
            }
        }
        'X' | 'x' => {
            let secs = z.offset().seconds();
            if c == 'X' && secs == 0 {
                out.push('Z');
            } else {
                out.push_str(&offset_text(secs, n));
            }
        }
        'Z' => match n {
            1..=3 => out.push_str(&offset_text(z.offset().seconds(), 2)),
            4 => {
                out.push_str("GMT");
                if z.offset().seconds() != 0 {
                    out.push_str(&offset_text(z.offset().seconds(), 3));
                }
            }
            _ => {
                if z.offset().seconds() == 0 {
                    out.push('Z');
                } else {
                    out.push_str(&offset_text(z.offset().seconds(), 3));
                }
            }
        },
        other => return Err(format!("pattern letter '{other}' is not supported")),
    }
    Ok(())
}

fn zone_id(z: &ZonedDateTime) -> &str {
    z.time_zone().iana_name().unwrap_or("UTC")
}

fn split_offset(secs: i32) -> (char, i32, i32) {
    let sign = if secs < 0 { '-' } else { '+' };
    let abs = secs.abs();
    (sign, abs / 3600, (abs % 3600) / 60)
}

/// `X`/`x` widths: 1 `+08` (`+0830`), 2 `+0800`, 3 `+08:00`, 4 `+0800[15]`, 5 `+08:00[:15]`.
fn offset_text(secs: i32, n: usize) -> String {
    let (sign, h, m) = split_offset(secs);
    let s = secs.abs() % 60;
    match n {
        1 if m == 0 => format!("{sign}{h:02}"),
        1 | 2 => format!("{sign}{h:02}{m:02}"),
        3 => format!("{sign}{h:02}:{m:02}"),
        4 if s != 0 => format!("{sign}{h:02}{m:02}{s:02}"),
        4 => format!("{sign}{h:02}{m:02}"),
        _ if s != 0 => format!("{sign}{h:02}:{m:02}:{s:02}"),
        _ => format!("{sign}{h:02}:{m:02}"),
    }
}

/// What a parse collected.
#[derive(Default)]
struct Parsed {
    year: Option<i64>,
    month: Option<i64>,
    day: Option<i64>,
    day_of_year: Option<i64>,
    hour: Option<i64>,
    hour12: Option<i64>,
    pm: Option<bool>,
    minute: Option<i64>,
    second: Option<i64>,
    nanos: Option<i64>,
    offset: Option<Offset>,
    zone: Option<TimeZone>,
}

/// Parses `text` with `pattern` into milliseconds since the epoch. Without an offset or zone in
/// the text, `zone_name` (or UTC) places it.
pub(crate) fn parse(text: &str, pattern: &str, zone_name: Option<&str>) -> Result<i64, String> {
    let tokens = tokenize(pattern)?;
    let bad = || format!("Text '{text}' could not be parsed with pattern '{pattern}'");
    let mut p = Parsed::default();
    let mut rest = text;
    for (index, token) in tokens.iter().enumerate() {
        match token {
            Token::Literal(lit) => rest = rest.strip_prefix(lit.as_str()).ok_or_else(bad)?,
            Token::Field(c, n) => {
                let next_is_number =
                    matches!(tokens.get(index + 1), Some(Token::Field(d, _)) if is_numeric(*d, 1));
                rest = parse_field(rest, *c, *n, next_is_number, &mut p).ok_or_else(bad)?;
            }
        }
    }
    if !rest.is_empty() {
        return Err(bad());
    }
    let year = i16::try_from(p.year.unwrap_or(1970)).map_err(|_| bad())?;
    let date = match (p.day_of_year, p.month, p.day) {
        (Some(doy), None, None) => Date::new(year, 1, 1)
            .ok()
            .and_then(|d| d.with().day_of_year(i16::try_from(doy).ok()?).build().ok())
            .ok_or_else(bad)?,
        (_, month, day) => Date::new(
            year,
            i8::try_from(month.unwrap_or(1)).map_err(|_| bad())?,
            i8::try_from(day.unwrap_or(1)).map_err(|_| bad())?,
        )
        .map_err(|_| bad())?,
    };
    let hour = match (p.hour, p.hour12, p.pm) {
        (Some(h), _, _) => h,
        (None, Some(h), pm) => h % 12 + if pm == Some(true) { 12 } else { 0 },
        (None, None, _) => 0,
    };
    let datetime = DateTime::new(
        date.year(),
        date.month(),
        date.day(),
        i8::try_from(hour).map_err(|_| bad())?,
        i8::try_from(p.minute.unwrap_or(0)).map_err(|_| bad())?,
        i8::try_from(p.second.unwrap_or(0)).map_err(|_| bad())?,
        i32::try_from(p.nanos.unwrap_or(0)).map_err(|_| bad())?,
    )
    .map_err(|_| bad())?;
    let tz = match (p.offset, p.zone) {
        (Some(offset), _) => TimeZone::fixed(offset),
        (None, Some(tz)) => tz,
        (None, None) => match zone_name {
            Some(name) => zone(name)?,
            None => TimeZone::UTC,
        },
    };
    let zoned = datetime.to_zoned_datetime(tz).map_err(|_| bad())?;
    Ok(zoned.timestamp().as_millisecond())
}

fn is_numeric(c: char, n: usize) -> bool {
    match c {
        'M' | 'L' => n <= 2,
        'u' | 'y' | 'Y' | 'd' | 'D' | 'H' | 'h' | 'k' | 'K' | 'm' | 's' | 'S' | 'n' => true,
        _ => false,
    }
}

fn take_digits(input: &str, exact: Option<usize>) -> Option<(i64, &str, usize)> {
    let available = input.bytes().take_while(u8::is_ascii_digit).count();
    let len = match exact {
        Some(width) if available >= width => width,
        Some(_) => return None,
        None if available == 0 => return None,
        None => available.min(10),
    };
    Some((input[..len].parse().ok()?, &input[len..], len))
}

fn parse_field<'t>(
    input: &'t str,
    c: char,
    n: usize,
    next_is_number: bool,
    p: &mut Parsed,
) -> Option<&'t str> {
    if is_numeric(c, n) {
        let (sign, input) = match (c, input.as_bytes().first()) {
            ('u' | 'y' | 'Y', Some(b'-')) => (-1, &input[1..]),
            ('u' | 'y' | 'Y', Some(b'+')) => (1, &input[1..]),
            _ => (1, input),
        };
        let exact = if next_is_number || c == 'S' || (n == 2 && matches!(c, 'y' | 'u' | 'Y')) {
            Some(n.max(1))
        } else {
            None
        };
        let (value, rest, len) = take_digits(input, exact)?;
        match c {
            'u' | 'y' | 'Y' => p.year = Some(if n == 2 && len == 2 { 2000 + value } else { sign * value }),
            'M' | 'L' => p.month = Some(value),
            'd' => p.day = Some(value),
            'D' => p.day_of_year = Some(value),
            'H' => p.hour = Some(value),
            'k' => p.hour = Some(value % 24),
            'h' => p.hour12 = Some(value),
            'K' => p.hour12 = Some(value),
            'm' => p.minute = Some(value),
            's' => p.second = Some(value),
            'S' => p.nanos = Some(value * 10_i64.pow(9_u32.saturating_sub(u32::try_from(len).ok()?))),
            'n' => p.nanos = Some(value),
            _ => return None,
        }
        return Some(rest);
    }
    match c {
        'M' | 'L' => {
            for (index, name) in MONTHS.iter().enumerate() {
                let candidate = if n == 3 { &name[..3] } else { name };
                if let Some(rest) = strip_prefix_ignore_case(input, candidate) {
                    p.month = Some(i64::try_from(index).ok()? + 1);
                    return Some(rest);
                }
            }
            None
        }
        'E' | 'e' | 'c' => {
            for name in WEEKDAYS {
                for candidate in [name, &name[..3]] {
                    if let Some(rest) = strip_prefix_ignore_case(input, candidate) {
                        return Some(rest);
                    }
                }
            }
            None
        }
        'a' => {
            if let Some(rest) = strip_prefix_ignore_case(input, "AM") {
                p.pm = Some(false);
                Some(rest)
            } else {
                let rest = strip_prefix_ignore_case(input, "PM")?;
                p.pm = Some(true);
                Some(rest)
            }
        }
        'G' => strip_prefix_ignore_case(input, "AD").or_else(|| strip_prefix_ignore_case(input, "BC")),
        'X' | 'x' | 'Z' | 'O' => {
            let input = input.strip_prefix("GMT").unwrap_or(input);
            if let Some(rest) = input.strip_prefix('Z') {
                p.offset = Some(Offset::UTC);
                return Some(rest);
            }
            let len = input
                .char_indices()
                .skip(1)
                .find(|(_, ch)| !(ch.is_ascii_digit() || *ch == ':'))
                .map_or(input.len(), |(i, _)| i);
            if len <= 1 {
                // `GMT` alone is UTC.
                p.offset = Some(Offset::UTC);
                return Some(input);
            }
            p.offset = Some(parse_offset_text(&input[..len])?);
            Some(&input[len..])
        }
        'V' | 'z' => {
            let len = input
                .char_indices()
                .find(|(_, ch)| !(ch.is_ascii_alphanumeric() || matches!(ch, '/' | '_' | '-' | '+' | ':')))
                .map_or(input.len(), |(i, _)| i);
            p.zone = Some(zone(&input[..len]).ok()?);
            Some(&input[len..])
        }
        _ => None,
    }
}

fn strip_prefix_ignore_case<'t>(input: &'t str, prefix: &str) -> Option<&'t str> {
    let head = input.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix).then(|| &input[prefix.len()..])
}

/// Parses an ISO 8601 timestamp (`2018-02-01T17:21:05.180+08:00`, `...Z`; a date or a time
/// without an offset is taken as UTC) into milliseconds since the epoch.
pub(crate) fn parse_iso8601(text: &str) -> Result<i64, String> {
    let trimmed = text.trim();
    if let Ok(ts) = trimmed.parse::<Timestamp>() {
        return Ok(ts.as_millisecond());
    }
    if let Ok(dt) = trimmed.parse::<DateTime>()
        && let Ok(z) = dt.to_zoned_datetime(TimeZone::UTC)
    {
        return Ok(z.timestamp().as_millisecond());
    }
    Err(format!("Text '{text}' could not be parsed as an ISO 8601 timestamp"))
}

/// `2018-02-06T19:01:35.749Z`: how `util.time.nowISO8601()` prints.
pub(crate) fn iso8601(millis: i64) -> Result<String, String> {
    format(millis, "yyyy-MM-dd'T'HH:mm:ss.SSS'Z'", None)
}

#[cfg(test)]
mod tests {
    use super::*;

    // 2018-02-06T19:01:35.749Z, the guide's example instant ("Time helpers in util.time").
    const AT: i64 = 1_517_943_695_749;

    #[test]
    fn formats_the_guides_examples() {
        assert_eq!(iso8601(AT).as_deref(), Ok("2018-02-06T19:01:35.749Z"));
        assert_eq!(format(AT, "yyyy-MM-dd HH:mm:ss", None).as_deref(), Ok("2018-02-06 19:01:35"));
        assert_eq!(
            format(AT, "yyyy-MM-dd HH:mm:ssZ", Some("Australia/Perth")).as_deref(),
            Ok("2018-02-07 03:01:35+0800")
        );
        assert_eq!(format(AT, "EEE, d MMM yyyy h:mm a", None).as_deref(), Ok("Tue, 6 Feb 2018 7:01 PM"));
        assert_eq!(
            format(AT, "EEEE MMMM yy ''xxx''", Some("-05:30")).as_deref(),
            Ok("Tuesday February 18 '-05:30'")
        );
        assert_eq!(format(AT, "XXX VV z", Some("Europe/Paris")).as_deref(), Ok("+01:00 Europe/Paris CET"));
        assert_eq!(format(AT, "XXX", None).as_deref(), Ok("Z"));
    }

    #[test]
    fn parses_what_it_formats() {
        assert_eq!(parse("2018-02-06 19:01:35.749", "yyyy-MM-dd HH:mm:ss.SSS", None), Ok(AT));
        assert_eq!(parse("2018-02-07 03:01:35+0800", "yyyy-MM-dd HH:mm:ssZ", None), Ok(AT - 749));
        assert_eq!(
            parse("2018-02-07 03:01:35", "yyyy-MM-dd HH:mm:ss", Some("Australia/Perth")),
            Ok(AT - 749)
        );
        assert_eq!(parse("20180206", "yyyyMMdd", None), Ok(1_517_875_200_000));
        assert_eq!(parse("6 Feb 2018 7:01 PM", "d MMM yyyy h:mm a", None), Ok(1_517_943_660_000));
        assert!(parse("2018/02/06", "yyyy-MM-dd", None).is_err());
    }

    #[test]
    fn parses_iso8601() {
        assert_eq!(parse_iso8601("2018-02-06T19:01:35.749Z"), Ok(AT));
        assert_eq!(parse_iso8601("2018-02-07T03:01:35.749+08:00"), Ok(AT));
        assert_eq!(parse_iso8601("2018-02-06T19:01:35.749"), Ok(AT));
        assert!(parse_iso8601("yesterday").is_err());
    }

    #[test]
    fn unknown_zones_and_letters_are_errors() {
        assert!(format(AT, "yyyy", Some("Mars/Olympus")).is_err());
        assert!(format(AT, "yyyy bb", None).is_err());
    }
}
