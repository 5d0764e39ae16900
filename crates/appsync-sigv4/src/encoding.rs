//! Percent-encoding and hex as SigV4 defines them.
//!
//! SigV4 has its own notion of "URI encoding" (RFC 3986 unreserved characters are kept, everything
//! else becomes `%XX` with upper-case hex), which differs from both `application/x-www-form-urlencoded`
//! and the WHATWG URL rules, so it is written out here rather than borrowed.

const HEX_UPPER: &[u8; 16] = b"0123456789ABCDEF";

/// Byte classes used by the encoders.
const UNRESERVED: u8 = 1;
/// Characters that may appear literally in an RFC 3986 path (`pchar` without `%`, plus `/`).
const PATH_LEGAL: u8 = 2;

const fn classify() -> [u8; 256] {
    let mut table = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        let unreserved = b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~');
        let sub_delim_or_extra = matches!(
            b,
            b'!' | b'$' | b'&' | b'\'' | b'(' | b')' | b'*' | b'+' | b',' | b';' | b'=' | b':' | b'@' | b'/'
        );
        table[i] = if unreserved {
            UNRESERVED | PATH_LEGAL
        } else if sub_delim_or_extra {
            PATH_LEGAL
        } else {
            0
        };
        i += 1;
    }
    table
}

static CLASS: [u8; 256] = classify();

#[inline]
pub(crate) fn is_unreserved(b: u8) -> bool {
    CLASS[b as usize] & UNRESERVED != 0
}

#[inline]
fn push_pct(out: &mut Vec<u8>, b: u8) {
    out.extend_from_slice(&[b'%', HEX_UPPER[(b >> 4) as usize], HEX_UPPER[(b & 0xf) as usize]]);
}

/// Encodes `bytes` with only unreserved characters left as they are (query keys and values).
pub(crate) fn encode_strict(out: &mut Vec<u8>, bytes: &[u8]) {
    // Most keys and values are plain: copy runs of unreserved bytes in one go.
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if !is_unreserved(b) {
            out.extend_from_slice(&bytes[start..i]);
            push_pct(out, b);
            start = i + 1;
        }
    }
    out.extend_from_slice(&bytes[start..]);
}

/// Canonical form of a path as it appears on the wire, encoded the second time as SigV4's default
/// ("double encoding") requires for every service but S3.
///
/// Bytes that could not have been sent literally (space, non-ASCII, controls) are first encoded as a
/// client would have sent them, then encoded again, so `/a b` and `/a%20b` canonicalise alike.
pub(crate) fn encode_path_double(out: &mut Vec<u8>, path: &[u8]) {
    let mut start = 0;
    for (i, &b) in path.iter().enumerate() {
        let class = CLASS[b as usize];
        if class & UNRESERVED != 0 || b == b'/' {
            continue;
        }
        out.extend_from_slice(&path[start..i]);
        if class & PATH_LEGAL != 0 || b == b'%' {
            push_pct(out, b);
        } else {
            // "%25XX": the percent sign of the first encoding, encoded again.
            out.extend_from_slice(b"%25");
            out.extend_from_slice(&[HEX_UPPER[(b >> 4) as usize], HEX_UPPER[(b & 0xf) as usize]]);
        }
        start = i + 1;
    }
    out.extend_from_slice(&path[start..]);
}

/// Canonical form of a path encoded once (S3 style): existing `%XX` escapes are kept, upper-cased;
/// every other byte outside the unreserved set and `/` is encoded.
pub(crate) fn encode_path_single(out: &mut Vec<u8>, path: &[u8]) {
    let mut i = 0;
    while i < path.len() {
        let b = path[i];
        if is_unreserved(b) || b == b'/' {
            out.push(b);
        } else if b == b'%' && i + 2 < path.len() && is_hex(path[i + 1]) && is_hex(path[i + 2]) {
            out.extend_from_slice(&[
                b'%',
                path[i + 1].to_ascii_uppercase(),
                path[i + 2].to_ascii_uppercase(),
            ]);
            i += 3;
            continue;
        } else {
            push_pct(out, b);
        }
        i += 1;
    }
}

#[inline]
fn is_hex(b: u8) -> bool {
    b.is_ascii_hexdigit()
}

#[inline]
fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Decodes a query component the way `application/x-www-form-urlencoded` parsers do (`+` is a
/// space; a `%` not followed by two hex digits is kept literally), which is what AWS services do
/// before they re-encode it for the canonical query.
pub(crate) fn decode_query_component(out: &mut Vec<u8>, bytes: &[u8]) {
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                match (
                    bytes.get(i + 1).copied().and_then(hex_value),
                    bytes.get(i + 2).copied().and_then(hex_value),
                ) {
                    (Some(hi), Some(lo)) => {
                        out.push(hi << 4 | lo);
                        i += 3;
                        continue;
                    }
                    _ => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
}

/// Lower-case hex of a 32-byte digest, without allocating.
#[inline]
pub(crate) fn hex32(bytes: &[u8; 32]) -> [u8; 64] {
    // Branch-free and table-free: the digit step runs over the whole array as vector
    // operations instead of 32 table look-ups (a signature hex-encodes three digests).
    let mut nibbles = [0u8; 64];
    for (pair, &b) in nibbles.as_chunks_mut::<2>().0.iter_mut().zip(bytes) {
        *pair = [b >> 4, b & 0xf];
    }
    nibbles.map(|n| n + b'0' + u8::from(n > 9) * (b'a' - b'0' - 10))
}

#[inline]
pub(crate) fn contains_byte(bytes: &[u8], needle: u8) -> bool {
    let (chunks, rest) = bytes.as_chunks::<16>();
    for chunk in chunks {
        if chunk.iter().fold(false, |found, &b| found | (b == needle)) {
            return true;
        }
    }
    // A short tail: a plain loop beats a call into `memchr`.
    rest.iter().fold(false, |found, &b| found | (b == needle))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(f: fn(&mut Vec<u8>, &[u8]), input: &str) -> String {
        let mut out = Vec::new();
        f(&mut out, input.as_bytes());
        String::from_utf8(out).expect("encoders emit ASCII")
    }

    #[test]
    fn hex32_is_lower_case_hex_of_every_byte() {
        let bytes: [u8; 32] = std::array::from_fn(|i| (i as u8).wrapping_mul(37).wrapping_add(9));
        let expected: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(std::str::from_utf8(&hex32(&bytes)), Ok(expected.as_str()));
        for b in 0..=255u8 {
            assert_eq!(hex32(&[b; 32])[..2], *format!("{b:02x}").as_bytes());
        }
    }

    #[test]
    fn strict_keeps_only_unreserved() {
        assert_eq!(s(encode_strict, "a-b_c.d~e"), "a-b_c.d~e");
        assert_eq!(s(encode_strict, "a b/c=d&e+f"), "a%20b%2Fc%3Dd%26e%2Bf");
        assert_eq!(s(encode_strict, "ሴ"), "%E1%88%B4");
    }

    #[test]
    fn double_path_encodes_escapes_again() {
        assert_eq!(s(encode_path_double, "/a%3Ab/@c"), "/a%253Ab/%40c");
        assert_eq!(s(encode_path_double, "/a b"), "/a%2520b");
        assert_eq!(s(encode_path_double, "/a%20b"), "/a%2520b");
        assert_eq!(s(encode_path_double, "/ሴ"), "/%25E1%2588%25B4");
    }

    #[test]
    fn single_path_keeps_valid_escapes() {
        assert_eq!(s(encode_path_single, "/a%3ab/@c"), "/a%3Ab/%40c");
        assert_eq!(s(encode_path_single, "/a b"), "/a%20b");
        assert_eq!(s(encode_path_single, "/50%"), "/50%25");
        assert_eq!(s(encode_path_single, "/50%2"), "/50%252");
    }

    #[test]
    fn contains_byte_finds_the_byte_anywhere() {
        let mut bytes = vec![b'a'; 70];
        assert!(!contains_byte(&bytes, b' '));
        for i in 0..bytes.len() {
            bytes[i] = b' ';
            assert!(contains_byte(&bytes, b' '), "at {i}");
            bytes[i] = b'a';
        }
        assert!(!contains_byte(b"", b' '));
    }

    #[test]
    fn query_decoding_is_form_style_and_lenient() {
        assert_eq!(s(decode_query_component, "a+b%20c"), "a b c");
        assert_eq!(s(decode_query_component, "100%"), "100%");
        assert_eq!(s(decode_query_component, "%zz%4"), "%zz%4");
        assert_eq!(s(decode_query_component, "%E1%88%B4"), "ሴ");
    }
}
