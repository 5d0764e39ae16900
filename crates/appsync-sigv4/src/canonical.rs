//! The two intermediate stages of SigV4, each a value with `Display`: the canonical request and
//! the string to sign.

use std::borrow::Cow;
use std::fmt;
use std::ops::Range;

use sha2::{Digest, Sha256};

use crate::date::AmzDate;
use crate::encoding::{decode_query_component, encode_path_double, encode_path_single, encode_strict, hex32};

/// The algorithm name written into every SigV4 string to sign and `Authorization` header.
pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// How the canonical path is formed from the request path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PathRules {
    pub(crate) normalize: bool,
    pub(crate) double_encode: bool,
}

/// Step 1 of SigV4: the canonical request.
///
/// ```text
/// POST
/// /graphql
///
/// content-type:application/json
/// host:example.appsync-api.us-east-1.amazonaws.com
/// x-amz-date:20261124T123456Z
///
/// content-type;host;x-amz-date
/// 5f2b...payload sha256 hex
/// ```
///
/// It is kept as the exact bytes that are hashed, with accessors for each part.
#[derive(Clone, PartialEq, Eq)]
pub struct CanonicalRequest {
    buf: Vec<u8>,
    method: Range<usize>,
    path: Range<usize>,
    query: Range<usize>,
    headers: Range<usize>,
    signed_headers: Range<usize>,
    payload_hash: Range<usize>,
}

/// The inputs of a canonical request, already chosen: the caller decides which headers are
/// signed and which extra query parameters (presigning) take part.
pub(crate) struct CanonicalParts<'r, 'h> {
    pub(crate) method: &'r str,
    pub(crate) path: &'r str,
    pub(crate) query: Option<&'r str>,
    /// Parameters to add, unencoded (presigning).
    pub(crate) extra_params: &'r [(&'r str, &'r [u8])],
    /// A parameter of the request's query to leave out (`X-Amz-Signature` when verifying).
    pub(crate) skip_param: Option<&'r str>,
    /// Headers to sign, any case, any order; sorted in place.
    pub(crate) headers: &'r mut [(&'h str, &'h [u8])],
    pub(crate) payload_hash: &'r str,
    pub(crate) rules: PathRules,
}

impl CanonicalRequest {
    pub(crate) fn build(parts: CanonicalParts<'_, '_>) -> Self {
        let CanonicalParts { method, path, query, extra_params, skip_param, headers, payload_hash, rules } =
            parts;
        sort_headers(headers);
        let headers_len: usize = headers.iter().map(|(n, v)| n.len() + v.len() + 2).sum();
        let query_len = query.map_or(0, str::len) * 3 / 2
            + extra_params.iter().map(|(k, v)| k.len() + v.len() * 3 + 2).sum::<usize>();
        let mut buf = Vec::with_capacity(
            method.len() + path.len() * 3 + query_len + headers_len * 2 + payload_hash.len() + 8,
        );

        buf.extend_from_slice(method.as_bytes());
        let method = 0..buf.len();
        buf.push(b'\n');

        let start = buf.len();
        let normalized = if rules.normalize { normalize_path(path) } else { Cow::Borrowed(path) };
        let p = if normalized.is_empty() { "/" } else { &normalized };
        if rules.double_encode {
            encode_path_double(&mut buf, p.as_bytes());
        } else {
            encode_path_single(&mut buf, p.as_bytes());
        }
        let path = start..buf.len();
        buf.push(b'\n');

        let start = buf.len();
        write_canonical_query(&mut buf, query, extra_params, skip_param);
        let query = start..buf.len();
        buf.push(b'\n');

        let start = buf.len();
        // Where each lower-cased name landed in `buf`, so the signed-header list is copied from
        // there rather than lower-cased again. More names than this fall back to a second pass.
        const INLINE_NAMES: usize = 32;
        let mut names = [(0usize, 0usize); INLINE_NAMES];
        let mut name_count = 0;
        let mut i = 0;
        while i < headers.len() {
            let name = headers[i].0;
            let name_start = buf.len();
            push_lowercase(&mut buf, name);
            if let Some(slot) = names.get_mut(name_count) {
                *slot = (name_start, buf.len());
            }
            name_count += 1;
            buf.push(b':');
            write_trimmed(&mut buf, headers[i].1);
            i += 1;
            while i < headers.len() && headers[i].0.eq_ignore_ascii_case(name) {
                buf.push(b',');
                write_trimmed(&mut buf, headers[i].1);
                i += 1;
            }
            buf.push(b'\n');
        }
        let headers_range = start..buf.len();
        buf.push(b'\n');

        let start = buf.len();
        if name_count <= INLINE_NAMES {
            for (k, &(s, e)) in names[..name_count].iter().enumerate() {
                if k > 0 {
                    buf.push(b';');
                }
                buf.extend_from_within(s..e);
            }
        } else {
            write_signed_headers(&mut buf, headers);
        }
        let signed_headers = start..buf.len();
        buf.push(b'\n');

        let start = buf.len();
        buf.extend_from_slice(payload_hash.as_bytes());
        let payload_hash = start..buf.len();

        Self { buf, method, path, query, headers: headers_range, signed_headers, payload_hash }
    }

    /// The exact bytes that are hashed.
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf
    }

    fn part(&self, r: &Range<usize>) -> &str {
        // Every part but the header values is ASCII by construction; header values may carry
        // obs-text, which is signed as raw bytes and shown lossily.
        std::str::from_utf8(&self.buf[r.clone()]).unwrap_or("<non-UTF-8>")
    }

    /// The method line.
    pub fn method(&self) -> &str {
        self.part(&self.method)
    }

    /// The canonical URI.
    pub fn path(&self) -> &str {
        self.part(&self.path)
    }

    /// The canonical query string (empty when there is none).
    pub fn query(&self) -> &str {
        self.part(&self.query)
    }

    /// The canonical header lines, each ending in `\n`.
    pub fn canonical_headers(&self) -> &str {
        self.part(&self.headers)
    }

    /// The `;`-separated list of signed header names.
    pub fn signed_headers(&self) -> &str {
        self.part(&self.signed_headers)
    }

    /// The payload hash line (hex SHA-256, or a sentinel such as `UNSIGNED-PAYLOAD`).
    pub fn payload_hash(&self) -> &str {
        self.part(&self.payload_hash)
    }

    /// The canonical request as text with the session token's value replaced by
    /// `** redacted **`, in the `x-amz-security-token` header line and in an
    /// `X-Amz-Security-Token` query parameter: fit for logs, since the token is a credential.
    pub fn to_redacted_string(&self) -> String {
        let text = String::from_utf8_lossy(&self.buf);
        let mut out = String::with_capacity(text.len());
        for (i, line) in text.split('\n').enumerate() {
            if i > 0 {
                out.push('\n');
            }
            const TOKEN_LINE: &[u8] = b"x-amz-security-token:";
            if i == 2 {
                out.push_str(&RedactedQuery(line).to_string());
            } else if line.len() > TOKEN_LINE.len()
                && line.as_bytes()[..TOKEN_LINE.len()].eq_ignore_ascii_case(TOKEN_LINE)
            {
                out.push_str(&line[..TOKEN_LINE.len()]);
                out.push_str("** redacted **");
            } else {
                out.push_str(line);
            }
        }
        out
    }

    /// Hex SHA-256 of the canonical request, as it appears in the string to sign.
    pub fn hash(&self) -> [u8; 64] {
        hex32(&Sha256::digest(&self.buf).into())
    }
}

impl fmt::Display for CanonicalRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&String::from_utf8_lossy(&self.buf))
    }
}

impl fmt::Debug for CanonicalRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Header values can include a session token; show only the shape. The query of a
        // presigned request carries the token too: it is shown with the token redacted.
        f.debug_struct("CanonicalRequest")
            .field("method", &self.method())
            .field("path", &self.path())
            .field("query", &RedactedQuery(self.query()))
            .field("signed_headers", &self.signed_headers())
            .field("payload_hash", &self.payload_hash())
            .finish_non_exhaustive()
    }
}

/// A canonical query shown with the value of `X-Amz-Security-Token` replaced.
struct RedactedQuery<'a>(&'a str);

impl fmt::Display for RedactedQuery<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, pair) in self.0.split('&').enumerate() {
            if i > 0 {
                f.write_str("&")?;
            }
            match pair.split_once('=') {
                Some((key, _)) if key.eq_ignore_ascii_case("X-Amz-Security-Token") => {
                    write!(f, "{key}=** redacted **")?;
                }
                _ => f.write_str(pair)?,
            }
        }
        Ok(())
    }
}

impl fmt::Debug for RedactedQuery<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.to_string(), f)
    }
}

/// Step 2 of SigV4: the string to sign.
///
/// ```
/// use appsync_sigv4::{AmzDate, StringToSign};
/// let time = AmzDate::parse("20150830T123600Z").expect("valid");
/// let sts = StringToSign::new(&time, "us-east-1", "service", "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63");
/// assert_eq!(sts.scope(), "20150830/us-east-1/service/aws4_request");
/// assert_eq!(sts.to_string().lines().count(), 4);
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct StringToSign {
    text: String,
    scope: Range<usize>,
}

impl StringToSign {
    /// `AWS4-HMAC-SHA256\n<time>\n<date>/<region>/<service>/aws4_request\n<canonical request hash>`.
    pub fn new(time: &AmzDate, region: &str, service: &str, canonical_request_hash: &str) -> Self {
        Self::from_parts(time, region, service, canonical_request_hash.as_bytes())
    }

    /// Assembled as bytes and checked as UTF-8 once, rather than piece by piece.
    pub(crate) fn from_parts(time: &AmzDate, region: &str, service: &str, hash: &[u8]) -> Self {
        let mut text =
            Vec::with_capacity(ALGORITHM.len() + 16 + 8 + region.len() + service.len() + 16 + 64 + 3);
        text.extend_from_slice(ALGORITHM.as_bytes());
        text.push(b'\n');
        text.extend_from_slice(time.as_bytes());
        text.push(b'\n');
        let start = text.len();
        text.extend_from_slice(&time.as_bytes()[..8]);
        text.push(b'/');
        text.extend_from_slice(region.as_bytes());
        text.push(b'/');
        text.extend_from_slice(service.as_bytes());
        text.extend_from_slice(b"/aws4_request");
        let scope = start..text.len();
        text.push(b'\n');
        text.extend_from_slice(hash);
        let text =
            String::from_utf8(text).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
        Self { text, scope }
    }

    /// The whole string.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The credential scope, `<date>/<region>/<service>/aws4_request`.
    pub fn scope(&self) -> &str {
        &self.text[self.scope.clone()]
    }

    /// The scope's date, `YYYYMMDD`.
    pub(crate) fn date(&self) -> &str {
        &self.text[self.scope.start..self.scope.start + 8]
    }
}

impl fmt::Display for StringToSign {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl fmt::Debug for StringToSign {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("StringToSign").field(&self.text).finish()
    }
}

/// How many headers a request can have before their list moves from the stack to the heap.
const INLINE_HEADERS: usize = 16;

/// The headers to sign: on the stack for ordinary requests, so signing does not allocate for them.
pub(crate) struct HeaderList<'h> {
    inline: [(&'h str, &'h [u8]); INLINE_HEADERS],
    len: usize,
    heap: Vec<(&'h str, &'h [u8])>,
}

impl<'h> HeaderList<'h> {
    pub(crate) fn new() -> Self {
        Self { inline: [("", &[]); INLINE_HEADERS], len: 0, heap: Vec::new() }
    }

    pub(crate) fn push(&mut self, header: (&'h str, &'h [u8])) {
        if self.heap.is_empty() && self.len < INLINE_HEADERS {
            self.inline[self.len] = header;
        } else {
            if self.heap.is_empty() {
                self.heap.extend_from_slice(&self.inline[..self.len]);
            }
            self.heap.push(header);
        }
        self.len += 1;
    }

    pub(crate) fn as_mut_slice(&mut self) -> &mut [(&'h str, &'h [u8])] {
        if self.heap.is_empty() { &mut self.inline[..self.len] } else { &mut self.heap }
    }
}

/// Sorts by lower-cased name, keeping the order of repeated headers (their values are joined in
/// the order they were sent).
pub(crate) fn sort_headers(headers: &mut [(&str, &[u8])]) {
    headers.sort_by(|(a, _), (b, _)| {
        a.bytes().map(|c| c.to_ascii_lowercase()).cmp(b.bytes().map(|c| c.to_ascii_lowercase()))
    });
}

/// `name1;name2;...` from sorted headers, each name once.
pub(crate) fn write_signed_headers(out: &mut Vec<u8>, sorted: &[(&str, &[u8])]) {
    let mut prev: Option<&str> = None;
    for (name, _) in sorted {
        if prev.is_some_and(|p| p.eq_ignore_ascii_case(name)) {
            continue;
        }
        if prev.is_some() {
            out.push(b';');
        }
        push_lowercase(out, name);
        prev = Some(name);
    }
}

fn push_lowercase(out: &mut Vec<u8>, s: &str) {
    // Names from `http::HeaderMap` are lower-case already: copy them whole.
    if s.bytes().any(|b| b.is_ascii_uppercase()) {
        out.extend(s.bytes().map(|b| b.to_ascii_lowercase()));
    } else {
        out.extend_from_slice(s.as_bytes());
    }
}

/// Trims spaces at both ends and collapses inner runs of spaces to one, as SigV4 requires.
/// Only the space character counts, as in AWS's own signers.
fn write_trimmed(out: &mut Vec<u8>, value: &[u8]) {
    let start = value.iter().position(|&b| b != b' ').unwrap_or(value.len());
    let end = value.iter().rposition(|&b| b != b' ').map_or(start, |i| i + 1);
    let value = &value[start..end];
    // Most values have no space at all (tokens, hashes, dates); `contains` is a vectorised scan.
    if !value.contains(&b' ') || !value.windows(2).any(|w| w == b"  ") {
        out.extend_from_slice(value);
        return;
    }
    let mut prev_space = false;
    for &b in value {
        if b == b' ' {
            if prev_space {
                continue;
            }
            prev_space = true;
        } else {
            prev_space = false;
        }
        out.push(b);
    }
}

/// Removes `.` and `..` segments and empty segments (repeated slashes), keeping a trailing slash,
/// as SigV4 does for every service but S3.
pub(crate) fn normalize_path(path: &str) -> Cow<'_, str> {
    let path_abs = if path.starts_with('/') { Cow::Borrowed(path) } else { Cow::Owned(format!("/{path}")) };
    // Only "//" and "/." can start something to remove; most paths have neither.
    if !path_abs.as_bytes().windows(2).any(|w| w[0] == b'/' && (w[1] == b'/' || w[1] == b'.')) {
        return path_abs;
    }
    let mut segments: Vec<&str> = Vec::new();
    for segment in path_abs.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            s => segments.push(s),
        }
    }
    let ends_with_slash = ["/", "/.", "/.."].iter().any(|s| path_abs.ends_with(s));
    let mut out = String::with_capacity(path_abs.len());
    for s in &segments {
        out.push('/');
        out.push_str(s);
    }
    if ends_with_slash || out.is_empty() {
        out.push('/');
    }
    Cow::Owned(out)
}

/// Canonical query: every `key=value` pair decoded, re-encoded strictly, sorted by encoded key
/// then encoded value; repeated keys and empty values kept.
fn write_canonical_query(
    out: &mut Vec<u8>,
    query: Option<&str>,
    extra: &[(&str, &[u8])],
    skip: Option<&str>,
) {
    let query = query.unwrap_or("");
    if query.is_empty() && extra.is_empty() {
        return;
    }
    // All encoded keys and values live in one scratch buffer; pairs are ranges into it.
    let mut scratch: Vec<u8> =
        Vec::with_capacity(query.len() * 2 + extra.iter().map(|(k, v)| k.len() + v.len() * 3).sum::<usize>());
    let mut pairs: Vec<(Range<usize>, Range<usize>)> =
        Vec::with_capacity(query.matches('&').count() + 1 + extra.len());
    let mut decoded = Vec::new();
    for piece in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = piece.split_once('=').unwrap_or((piece, ""));
        decoded.clear();
        decode_query_component(&mut decoded, k.as_bytes());
        if skip.is_some_and(|s| s.as_bytes() == decoded.as_slice()) {
            continue;
        }
        let ks = scratch.len();
        encode_strict(&mut scratch, &decoded);
        let key = ks..scratch.len();
        decoded.clear();
        decode_query_component(&mut decoded, v.as_bytes());
        let vs = scratch.len();
        encode_strict(&mut scratch, &decoded);
        pairs.push((key, vs..scratch.len()));
    }
    for (k, v) in extra {
        let ks = scratch.len();
        encode_strict(&mut scratch, k.as_bytes());
        let key = ks..scratch.len();
        let vs = scratch.len();
        encode_strict(&mut scratch, v);
        pairs.push((key, vs..scratch.len()));
    }
    pairs.sort_by(|(ka, va), (kb, vb)| {
        scratch[ka.clone()]
            .cmp(&scratch[kb.clone()])
            .then_with(|| scratch[va.clone()].cmp(&scratch[vb.clone()]))
    });
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push(b'&');
        }
        out.extend_from_slice(&scratch[k.clone()]);
        out.push(b'=');
        out.extend_from_slice(&scratch[v.clone()]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_dot_segments_and_slashes() {
        for (input, expected) in [
            ("/", "/"),
            ("", "/"),
            ("/a/b", "/a/b"),
            ("//example//", "/example/"),
            ("/example/..", "/"),
            ("/example1/example2/../..", "/"),
            ("/./example", "/example"),
            ("/a/./b/.", "/a/b/"),
            ("/../a", "/a"),
            ("/a..b/c", "/a..b/c"),
            ("a/b", "/a/b"),
        ] {
            assert_eq!(normalize_path(input), expected, "{input}");
        }
    }

    #[test]
    fn header_values_are_trimmed_and_collapsed() {
        let mut out = Vec::new();
        write_trimmed(&mut out, b"   a   b  c ");
        assert_eq!(out, b"a b c");
        out.clear();
        write_trimmed(&mut out, b"\ta\t");
        assert_eq!(out, b"\ta\t", "only spaces are trimmed");
        out.clear();
        write_trimmed(&mut out, b"    ");
        assert_eq!(out, b"");
    }

    #[test]
    fn query_is_sorted_after_encoding_and_keeps_repeats() {
        let mut out = Vec::new();
        write_canonical_query(&mut out, Some("b=2&a=2&a=1&c&%E1%88%B4=x&Z=&&a+b=c%2Fd"), &[], None);
        assert_eq!(String::from_utf8(out).expect("ascii"), "%E1%88%B4=x&Z=&a=1&a=2&a%20b=c%2Fd&b=2&c=");
        let mut out = Vec::new();
        write_canonical_query(
            &mut out,
            Some("X-Amz-Signature=abc&a=1"),
            &[("k", b"v/w")],
            Some("X-Amz-Signature"),
        );
        assert_eq!(String::from_utf8(out).expect("ascii"), "a=1&k=v%2Fw");
    }

    #[test]
    fn debug_redacts_the_presigned_session_token() {
        let mut headers: Vec<(&str, &[u8])> = vec![("host", b"example.com")];
        let creq = CanonicalRequest::build(CanonicalParts {
            method: "GET",
            path: "/",
            query: Some("a=1&x-amz-security-token=othertoken"),
            extra_params: &[("X-Amz-Security-Token", b"secrettoken"), ("X-Amz-Date", b"20260101T000000Z")],
            skip_param: None,
            headers: &mut headers[..],
            payload_hash: "UNSIGNED-PAYLOAD",
            rules: PathRules { normalize: true, double_encode: true },
        });
        assert!(creq.query().contains("secrettoken"), "the canonical request itself is exact");
        let dbg = format!("{creq:?}");
        assert!(!dbg.contains("secrettoken") && !dbg.contains("othertoken"), "{dbg}");
        assert!(dbg.contains("X-Amz-Security-Token=** redacted **&a=1"), "{dbg}");
    }

    #[test]
    fn redacted_text_hides_the_session_token_in_headers_and_query() {
        let mut headers: Vec<(&str, &[u8])> = vec![
            ("host", b"h"),
            ("X-Amz-Security-Token", b"SECRETTOKEN"),
            ("x-amz-date", b"20260101T000000Z"),
        ];
        let creq = CanonicalRequest::build(CanonicalParts {
            method: "GET",
            path: "/",
            query: Some("a=1&X-Amz-Security-Token=SECRETTOKEN"),
            extra_params: &[],
            skip_param: None,
            headers: &mut headers[..],
            payload_hash: "UNSIGNED-PAYLOAD",
            rules: PathRules { normalize: true, double_encode: true },
        });
        assert!(creq.to_string().contains("SECRETTOKEN"));
        let redacted = creq.to_redacted_string();
        assert!(!redacted.contains("SECRETTOKEN"), "{redacted}");
        assert!(redacted.contains("x-amz-security-token:** redacted **\n"), "{redacted}");
        assert!(redacted.contains("X-Amz-Security-Token=** redacted **"), "{redacted}");
        assert_eq!(redacted.lines().count(), creq.to_string().lines().count());
    }
}
