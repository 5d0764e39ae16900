//! The functions the utilities call into Rust for: the clock, randomness and ids (through the
//! engine's [`Host`]), encodings, Java regular expressions, time formats and logging.
//!
//! They hang off one object the utilities take from the global scope and remove before any
//! resolver code runs (`js/utils.js`).

use std::sync::Arc;

use base64::Engine as _;
use rquickjs::function::Opt;
use rquickjs::{Ctx, Exception, Function, Object};

use crate::host::Host;
use crate::time_format;

const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
/// KSUID's epoch: 2014-05-13T16:53:20Z.
const KSUID_EPOCH_SECONDS: i64 = 1_400_000_000;

/// Builds the natives object for one evaluation, with a fresh `state` record.
pub(crate) fn host_object<'js>(ctx: &Ctx<'js>, host: &Arc<dyn Host>) -> rquickjs::Result<Object<'js>> {
    let object = Object::new(ctx.clone())?;
    object.set("state", Object::new(ctx.clone())?)?;

    let h = Arc::clone(host);
    object.set("now", Function::new(ctx.clone(), move || h.now_millis() as f64)?)?;
    let h = Arc::clone(host);
    object.set("random", Function::new(ctx.clone(), move || random_double(&*h))?)?;
    let h = Arc::clone(host);
    object.set("autoId", Function::new(ctx.clone(), move || auto_id(&*h))?)?;
    let h = Arc::clone(host);
    object.set("autoUlid", Function::new(ctx.clone(), move || auto_ulid(&*h))?)?;
    let h = Arc::clone(host);
    object.set("autoKsuid", Function::new(ctx.clone(), move || auto_ksuid(&*h))?)?;

    object.set(
        "base64Encode",
        Function::new(ctx.clone(), |value: String| base64::engine::general_purpose::STANDARD.encode(value))?,
    )?;
    object.set(
        "base64Decode",
        Function::new(ctx.clone(), |ctx: Ctx<'js>, value: String| {
            base64::engine::general_purpose::STANDARD
                .decode(value.trim())
                .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
                .map_err(|e| Exception::throw_type(&ctx, &format!("base64Decode: {e}")))
        })?,
    )?;
    object.set("urlEncode", Function::new(ctx.clone(), |value: String| url_encode(&value))?)?;
    object.set(
        "urlDecode",
        Function::new(ctx.clone(), |ctx: Ctx<'js>, value: String| {
            url_decode(&value).map_err(|e| Exception::throw_type(&ctx, &format!("urlDecode: {e}")))
        })?,
    )?;
    object.set(
        "matches",
        Function::new(ctx.clone(), |ctx: Ctx<'js>, pattern: String, value: String| {
            java_matches(&pattern, &value)
                .map_err(|e| Exception::throw_syntax(&ctx, &format!("matches: {e}")))
        })?,
    )?;
    object.set(
        "formatTime",
        Function::new(ctx.clone(), |ctx: Ctx<'js>, millis: f64, pattern: String, zone: Opt<String>| {
            time_format::format(to_millis(millis), &pattern, zone.0.as_deref())
                .map_err(|e| Exception::throw_type(&ctx, &e))
        })?,
    )?;
    object.set(
        "parseTime",
        Function::new(ctx.clone(), |ctx: Ctx<'js>, text: String, pattern: String, zone: Opt<String>| {
            time_format::parse(&text, &pattern, zone.0.as_deref())
                .map(|ms| ms as f64)
                .map_err(|e| Exception::throw_type(&ctx, &e))
        })?,
    )?;
    object.set(
        "parseIso8601",
        Function::new(ctx.clone(), |ctx: Ctx<'js>, text: String| {
            time_format::parse_iso8601(&text).map(|ms| ms as f64).map_err(|e| Exception::throw_type(&ctx, &e))
        })?,
    )?;
    object.set(
        "iso8601",
        Function::new(ctx.clone(), |ctx: Ctx<'js>, millis: f64| {
            time_format::iso8601(to_millis(millis)).map_err(|e| Exception::throw_type(&ctx, &e))
        })?,
    )?;
    object.set("log", Function::new(ctx.clone(), |level: String, message: String| log(&level, &message))?)?;
    Ok(object)
}

#[allow(
    clippy::cast_possible_truncation,
    reason = "milliseconds from JavaScript are integral doubles well inside i64"
)]
fn to_millis(millis: f64) -> i64 {
    millis.trunc() as i64
}

fn log(level: &str, message: &str) {
    // CloudWatch gets resolver logs; locally they go where the emulator's logs go.
    match level {
        "error" => tracing::error!(target: "appsync_js::console", "{message}"),
        "warn" => tracing::warn!(target: "appsync_js::console", "{message}"),
        "debug" => tracing::debug!(target: "appsync_js::console", "{message}"),
        _ => tracing::info!(target: "appsync_js::console", "{message}"),
    }
}

fn random_double(host: &dyn Host) -> f64 {
    let mut bytes = [0_u8; 8];
    host.fill_random(&mut bytes);
    // 53 random bits over 2^53: uniform in [0, 1).
    #[allow(clippy::cast_precision_loss, reason = "53 bits fit a double exactly")]
    let value = (u64::from_le_bytes(bytes) >> 11) as f64;
    value / (1_u64 << 53) as f64
}

/// A version 4 UUID, lower case with hyphens.
pub(crate) fn auto_id(host: &dyn Host) -> String {
    let mut b = [0_u8; 16];
    host.fill_random(&mut b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!("{}-{}-{}-{}-{}", &hex[..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..])
}

/// A ULID: 48 bits of milliseconds and 80 random bits in Crockford's base 32 (26 characters).
pub(crate) fn auto_ulid(host: &dyn Host) -> String {
    let mut random = [0_u8; 10];
    host.fill_random(&mut random);
    let millis = u128::try_from(host.now_millis().max(0)).unwrap_or(0) & ((1 << 48) - 1);
    let mut value = millis << 80;
    for (i, byte) in random.iter().enumerate() {
        value |= u128::from(*byte) << (8 * (9 - i));
    }
    (0..26).rev().map(|i| CROCKFORD[((value >> (5 * i)) & 31) as usize] as char).collect()
}

/// A KSUID: 32 bits of seconds since 2014-05-13 and 128 random bits, in base 62 (27
/// characters).
pub(crate) fn auto_ksuid(host: &dyn Host) -> String {
    let mut bytes = [0_u8; 20];
    let seconds = host.now_millis().div_euclid(1000) - KSUID_EPOCH_SECONDS;
    let seconds = u32::try_from(seconds.max(0)).unwrap_or(u32::MAX);
    bytes[..4].copy_from_slice(&seconds.to_be_bytes());
    host.fill_random(&mut bytes[4..]);
    // Base 62 of a 160-bit number: repeated division of the big-endian bytes.
    let mut number = bytes.to_vec();
    let mut digits = Vec::with_capacity(27);
    while number.iter().any(|b| *b != 0) {
        let mut remainder = 0_u32;
        for byte in &mut number {
            let acc = (remainder << 8) | u32::from(*byte);
            *byte = u8::try_from(acc / 62).unwrap_or(0);
            remainder = acc % 62;
        }
        digits.push(BASE62[remainder as usize]);
    }
    while digits.len() < 27 {
        digits.push(b'0');
    }
    digits.iter().rev().map(|b| *b as char).collect()
}

/// `application/x-www-form-urlencoded`, as Java's `URLEncoder` writes it (UTF-8).
pub(crate) fn url_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        match byte {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'.' | b'-' | b'*' | b'_' => out.push(byte as char),
            b' ' => out.push('+'),
            other => out.push_str(&format!("%{other:02X}")),
        }
    }
    out
}

/// The reverse of [`url_encode`] (`+` is a space).
pub(crate) fn url_decode(value: &str) -> Result<String, String> {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = value.get(i + 1..i + 3).ok_or_else(|| format!("incomplete escape at {i}"))?;
                out.push(u8::from_str_radix(hex, 16).map_err(|_| format!("bad escape '%{hex}' at {i}"))?);
                i += 2;
            }
            other => out.push(other),
        }
        i += 1;
    }
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// Java's `Pattern.matches`: the whole value must match.
fn java_matches(pattern: &str, value: &str) -> Result<bool, String> {
    let anchored = format!("^(?:{pattern})$");
    regex::Regex::new(&anchored).map(|re| re.is_match(value)).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::FixedHost;

    #[test]
    fn ids_have_their_shapes() {
        let host = FixedHost::new(1_517_943_695_749, 7);
        let id = auto_id(&host);
        assert_eq!(id.len(), 36);
        assert_eq!(&id[14..15], "4");
        let ulid = auto_ulid(&host);
        assert_eq!(ulid.len(), 26);
        // The first ten characters are the time, 1517943695749 ms in Crockford base 32.
        assert_eq!(&ulid[..10], "01C5P7XAC5");
        let ksuid = auto_ksuid(&host);
        assert_eq!(ksuid.len(), 27);
        assert!(ksuid.bytes().all(|b| b.is_ascii_alphanumeric()));
    }

    #[test]
    fn url_encoding_is_javas() {
        assert_eq!(url_encode("a b&c=d/é*~"), "a+b%26c%3Dd%2F%C3%A9*%7E");
        assert_eq!(url_decode("a+b%26c%3Dd%2F%C3%A9*%7E").as_deref(), Ok("a b&c=d/é*~"));
        assert!(url_decode("%G1").is_err());
    }

    #[test]
    fn matches_the_whole_value() {
        assert_eq!(java_matches("a*b", "aaaaab"), Ok(true));
        assert_eq!(java_matches("a*b", "aaaaabc"), Ok(false));
        assert!(java_matches("(", "x").is_err());
    }
}
