//! Step 1 of SigV4: the canonical request, written into a buffer, and kept as a value with
//! `Display` and an accessor for each part.

use std::borrow::Cow;
use std::fmt;
use std::ops::Range;
use std::sync::Arc;

use crate::encoding::{
    contains_byte, decode_query_component, encode_path_double, encode_path_single, encode_strict, hex32,
};
use crate::header_list::{SignedHeader, push_lowercase, sort_headers, sort_lowercase, write_signed_headers};
use crate::sha::sha256;

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
/// It is kept as the exact bytes that are hashed, with accessors for each part. The bytes live in
/// one shared buffer with the string to sign and the `Authorization` value of the same signature,
/// so that signing allocates once and cloning is cheap.
#[derive(Clone)]
pub struct CanonicalRequest {
    buf: Arc<[u8]>,
    layout: Layout,
}

/// Where each part of a canonical request was written in a buffer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Layout {
    method: Range<usize>,
    path: Range<usize>,
    query: Range<usize>,
    headers: Range<usize>,
    pub(crate) signed_headers: Range<usize>,
    pub(crate) payload_hash: Range<usize>,
    /// Where the values of the `x-amz-date` and `x-amz-content-sha256` headers that the signer
    /// added start (not those of the request itself, which are signed as they are).
    pub(crate) date_value: Option<usize>,
    pub(crate) content_sha256_value: Option<usize>,
}

impl Layout {
    /// The whole canonical request.
    pub(crate) fn all(&self) -> Range<usize> {
        self.method.start..self.payload_hash.end
    }

    /// The same layout for the canonical request moved `by` bytes later in a buffer.
    pub(crate) fn shifted(&self, by: usize) -> Self {
        self.map(|r| r.start + by..r.end + by)
    }

    /// The same layout for the canonical request moved `by` bytes earlier (to the start of a
    /// buffer of its own).
    pub(crate) fn shifted_back(&self, by: usize) -> Self {
        self.map(|r| r.start.saturating_sub(by)..r.end.saturating_sub(by))
    }

    fn map(&self, f: impl Fn(&Range<usize>) -> Range<usize>) -> Self {
        Self {
            method: f(&self.method),
            path: f(&self.path),
            query: f(&self.query),
            headers: f(&self.headers),
            signed_headers: f(&self.signed_headers),
            payload_hash: f(&self.payload_hash),
            date_value: self.date_value.map(|at| f(&(at..at)).start),
            content_sha256_value: self.content_sha256_value.map(|at| f(&(at..at)).start),
        }
    }
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
    /// Headers to sign, any order; sorted in place.
    pub(crate) headers: &'r mut [SignedHeader<'h>],
    /// Whether every name in `headers` is lower-case already (always true for `http` types):
    /// they are then sorted and copied as they are, without case folding.
    pub(crate) names_lowercase: bool,
    pub(crate) payload_hash: &'r [u8],
    pub(crate) rules: PathRules,
}

/// Appends the canonical request for `parts` to `buf` and says where each part went.
pub(crate) fn write_canonical(buf: &mut Vec<u8>, parts: CanonicalParts<'_, '_>) -> Layout {
    let CanonicalParts {
        method,
        path,
        query,
        extra_params,
        skip_param,
        headers,
        names_lowercase,
        payload_hash,
        rules,
    } = parts;
    if names_lowercase {
        sort_lowercase(headers);
    } else {
        sort_headers(headers);
    }
    let headers_len: usize = headers.iter().map(|(n, v, _)| n.len() * 2 + v.len() + 2).sum();
    let query_len = query.map_or(0, str::len) * 3 / 2
        + extra_params.iter().map(|(k, v)| k.len() + v.len() * 3 + 2).sum::<usize>();
    // Room for the string to sign and the `Authorization` value that follow when signing, and for
    // the padding each of the two is hashed with in place.
    buf.reserve(method.len() + path.len() * 3 + query_len + headers_len + payload_hash.len() + 512);

    let start = buf.len();
    buf.extend_from_slice(method.as_bytes());
    let method = start..buf.len();
    buf.push(b'\n');

    let start = buf.len();
    let normalized = if rules.normalize { normalize_path(path) } else { Cow::Borrowed(path) };
    let p = if normalized.is_empty() { "/" } else { &normalized };
    if rules.double_encode {
        encode_path_double(buf, p.as_bytes());
    } else {
        encode_path_single(buf, p.as_bytes());
    }
    let path = start..buf.len();
    buf.push(b'\n');

    let start = buf.len();
    write_canonical_query(buf, query, extra_params, skip_param);
    let query = start..buf.len();
    buf.push(b'\n');

    let start = buf.len();
    // Where each lower-cased name landed in `buf`, so the signed-header list is copied from
    // there rather than lower-cased again. More names than this fall back to a second pass.
    const INLINE_NAMES: usize = 32;
    let mut names = [(0usize, 0usize); INLINE_NAMES];
    let mut name_count = 0;
    let (mut date_value, mut content_sha256_value) = (None, None);
    let mut i = 0;
    while i < headers.len() {
        let name = headers[i].0;
        let name_start = buf.len();
        if names_lowercase {
            buf.extend_from_slice(name.as_bytes());
        } else {
            push_lowercase(buf, name);
        }
        if let Some(slot) = names.get_mut(name_count) {
            *slot = (name_start, buf.len());
        }
        name_count += 1;
        buf.push(b':');
        if headers[i].2 {
            // Values the signer added itself; the memo rewrites these two.
            match name {
                "x-amz-date" => date_value = Some(buf.len()),
                "x-amz-content-sha256" => content_sha256_value = Some(buf.len()),
                _ => {}
            }
            buf.extend_from_slice(headers[i].1);
        } else {
            write_trimmed(buf, headers[i].1);
        }
        i += 1;
        while i < headers.len()
            && (if names_lowercase { headers[i].0 == name } else { headers[i].0.eq_ignore_ascii_case(name) })
        {
            buf.push(b',');
            write_trimmed(buf, headers[i].1);
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
        write_signed_headers(buf, headers);
    }
    let signed_headers = start..buf.len();
    buf.push(b'\n');

    let start = buf.len();
    buf.extend_from_slice(payload_hash);
    let payload_hash = start..buf.len();

    Layout {
        method,
        path,
        query,
        headers: headers_range,
        signed_headers,
        payload_hash,
        date_value,
        content_sha256_value,
    }
}

impl CanonicalRequest {
    /// A canonical request on its own (tests and tools; signing shares one buffer instead).
    #[cfg(test)]
    pub(crate) fn build(parts: CanonicalParts<'_, '_>) -> Self {
        let mut buf = Vec::new();
        let layout = write_canonical(&mut buf, parts);
        Self { buf: buf.into(), layout }
    }

    /// The canonical request described by `layout`, inside a shared buffer.
    pub(crate) fn from_shared(buf: Arc<[u8]>, layout: Layout) -> Self {
        Self { buf, layout }
    }

    /// The exact bytes that are hashed.
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf[self.layout.all()]
    }

    fn part(&self, r: &Range<usize>) -> &str {
        // Every part but the header values is ASCII by construction; header values may carry
        // obs-text, which is signed as raw bytes and shown lossily.
        std::str::from_utf8(&self.buf[r.clone()]).unwrap_or("<non-UTF-8>")
    }

    /// The method line.
    pub fn method(&self) -> &str {
        self.part(&self.layout.method)
    }

    /// The canonical URI.
    pub fn path(&self) -> &str {
        self.part(&self.layout.path)
    }

    /// The canonical query string (empty when there is none).
    pub fn query(&self) -> &str {
        self.part(&self.layout.query)
    }

    /// The canonical header lines, each ending in `\n`.
    pub fn canonical_headers(&self) -> &str {
        self.part(&self.layout.headers)
    }

    /// The `;`-separated list of signed header names.
    pub fn signed_headers(&self) -> &str {
        self.part(&self.layout.signed_headers)
    }

    /// The payload hash line (hex SHA-256, or a sentinel such as `UNSIGNED-PAYLOAD`).
    pub fn payload_hash(&self) -> &str {
        self.part(&self.layout.payload_hash)
    }

    /// The canonical request as text with the session token's value replaced by
    /// `** redacted **`, in the `x-amz-security-token` header line and in an
    /// `X-Amz-Security-Token` query parameter: fit for logs, since the token is a credential.
    pub fn to_redacted_string(&self) -> String {
        redacted(self.as_bytes())
    }

    /// Hex SHA-256 of the canonical request, as it appears in the string to sign.
    pub fn hash(&self) -> [u8; 64] {
        hex32(&sha256(self.as_bytes()))
    }
}

/// [`CanonicalRequest::to_redacted_string`] of the canonical request in `bytes`.
pub(crate) fn redacted(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
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

impl PartialEq for CanonicalRequest {
    fn eq(&self, other: &Self) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl Eq for CanonicalRequest {}

impl fmt::Display for CanonicalRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&String::from_utf8_lossy(self.as_bytes()))
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

/// Trims spaces at both ends and collapses inner runs of spaces to one, as SigV4 requires.
/// Only the space character counts, as in AWS's own signers.
#[inline(always)]
fn write_trimmed(out: &mut Vec<u8>, value: &[u8]) {
    // Most values have no space at all (tokens, hashes, dates, content types): one wide scan
    // and a single copy.
    if contains_byte(value, b' ') {
        write_trimmed_spaces(out, value);
    } else {
        out.extend_from_slice(value);
    }
}

/// [`write_trimmed`] for a value with a space somewhere.
#[cold]
#[inline(never)]
fn write_trimmed_spaces(out: &mut Vec<u8>, value: &[u8]) {
    let start = value.iter().position(|&b| b != b' ').unwrap_or(value.len());
    let end = value.iter().rposition(|&b| b != b' ').map_or(start, |i| i + 1);
    let value = &value[start..end];
    if !value.windows(2).any(|w| w == b"  ") {
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
        let mut headers: Vec<SignedHeader<'_>> = vec![("host", b"example.com", false)];
        let creq = CanonicalRequest::build(CanonicalParts {
            method: "GET",
            path: "/",
            query: Some("a=1&x-amz-security-token=othertoken"),
            extra_params: &[("X-Amz-Security-Token", b"secrettoken"), ("X-Amz-Date", b"20260101T000000Z")],
            skip_param: None,
            headers: &mut headers[..],
            names_lowercase: false,
            payload_hash: b"UNSIGNED-PAYLOAD",
            rules: PathRules { normalize: true, double_encode: true },
        });
        assert!(creq.query().contains("secrettoken"), "the canonical request itself is exact");
        let dbg = format!("{creq:?}");
        assert!(!dbg.contains("secrettoken") && !dbg.contains("othertoken"), "{dbg}");
        assert!(dbg.contains("X-Amz-Security-Token=** redacted **&a=1"), "{dbg}");
    }

    #[test]
    fn redacted_text_hides_the_session_token_in_headers_and_query() {
        let mut headers: Vec<SignedHeader<'_>> = vec![
            ("host", b"h", false),
            ("X-Amz-Security-Token", b"SECRETTOKEN", false),
            ("x-amz-date", b"20260101T000000Z", false),
        ];
        let creq = CanonicalRequest::build(CanonicalParts {
            method: "GET",
            path: "/",
            query: Some("a=1&X-Amz-Security-Token=SECRETTOKEN"),
            extra_params: &[],
            skip_param: None,
            headers: &mut headers[..],
            names_lowercase: false,
            payload_hash: b"UNSIGNED-PAYLOAD",
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
