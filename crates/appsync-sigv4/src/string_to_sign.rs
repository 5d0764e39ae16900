//! Step 2 of SigV4: the string to sign, `<algorithm>\n<time>\n<scope>\n<canonical request hash>`.

use std::fmt;
use std::ops::Range;
use std::sync::Arc;

use crate::date::AmzDate;

/// The algorithm name written into every SigV4 string to sign and `Authorization` header.
pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// The algorithm name of SigV4a.
#[cfg_attr(not(feature = "sigv4a"), allow(dead_code))]
pub(crate) const ALGORITHM_V4A: &str = "AWS4-ECDSA-P256-SHA256";

/// Step 2 of SigV4: the string to sign.
///
/// ```
/// use appsync_sigv4::{AmzDate, StringToSign};
/// let time = AmzDate::parse("20150830T123600Z").expect("valid");
/// let sts = StringToSign::new(&time, "us-east-1", "service", "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63");
/// assert_eq!(sts.scope(), "20150830/us-east-1/service/aws4_request");
/// assert_eq!(sts.to_string().lines().count(), 4);
/// ```
#[derive(Clone)]
pub struct StringToSign {
    /// Shared with the canonical request when signing.
    buf: Arc<[u8]>,
    text: Range<usize>,
    scope: Range<usize>,
}

/// Where the string to sign and its scope were written in a buffer.
pub(crate) struct StringToSignLayout {
    pub(crate) text: Range<usize>,
    pub(crate) scope: Range<usize>,
}

/// Appends `AWS4-HMAC-SHA256\n<time>\n<scope>\n<hash>` to `buf`.
pub(crate) fn write_string_to_sign(
    buf: &mut Vec<u8>,
    time: &AmzDate,
    region: &str,
    service: &str,
    hash: &[u8],
) -> StringToSignLayout {
    let start = buf.len();
    // The fixed-length head, `AWS4-HMAC-SHA256\n<time>\n<date>/`, assembled on the stack and
    // appended in one copy.
    let time = time.as_bytes();
    let mut head = [0u8; ALGORITHM.len() + 1 + 16 + 1 + 8 + 1];
    head[..ALGORITHM.len()].copy_from_slice(ALGORITHM.as_bytes());
    head[ALGORITHM.len()] = b'\n';
    head[ALGORITHM.len() + 1..ALGORITHM.len() + 17].copy_from_slice(time);
    head[ALGORITHM.len() + 17] = b'\n';
    head[ALGORITHM.len() + 18..ALGORITHM.len() + 26].copy_from_slice(&time[..8]);
    head[ALGORITHM.len() + 26] = b'/';
    buf.extend_from_slice(&head);
    buf.extend_from_slice(region.as_bytes());
    buf.push(b'/');
    finish_string_to_sign(buf, start, start + ALGORITHM.len() + 18, service, hash)
}

/// SigV4a's string to sign: its algorithm name, and a scope without the region (the region set
/// is a signed header or parameter instead).
#[cfg_attr(not(feature = "sigv4a"), allow(dead_code))]
pub(crate) fn write_string_to_sign_v4a(
    buf: &mut Vec<u8>,
    time: &AmzDate,
    service: &str,
    hash: &[u8],
) -> StringToSignLayout {
    let start = buf.len();
    let time = time.as_bytes();
    buf.extend_from_slice(ALGORITHM_V4A.as_bytes());
    buf.push(b'\n');
    buf.extend_from_slice(time);
    buf.push(b'\n');
    let scope_start = buf.len();
    buf.extend_from_slice(&time[..8]);
    buf.push(b'/');
    finish_string_to_sign(buf, start, scope_start, service, hash)
}

/// The part both schemes share: `<service>/aws4_request\n<hash>` after the scope's date (and
/// region), and the layout of the string to sign that began at `start`.
#[inline(always)]
fn finish_string_to_sign(
    buf: &mut Vec<u8>,
    start: usize,
    scope_start: usize,
    service: &str,
    hash: &[u8],
) -> StringToSignLayout {
    buf.extend_from_slice(service.as_bytes());
    buf.extend_from_slice(b"/aws4_request\n");
    let scope = scope_start..buf.len() - 1;
    buf.extend_from_slice(hash);
    StringToSignLayout { text: start..buf.len(), scope }
}

impl StringToSign {
    /// `AWS4-HMAC-SHA256\n<time>\n<date>/<region>/<service>/aws4_request\n<canonical request hash>`.
    pub fn new(time: &AmzDate, region: &str, service: &str, canonical_request_hash: &str) -> Self {
        let mut buf = Vec::new();
        let layout = write_string_to_sign(&mut buf, time, region, service, canonical_request_hash.as_bytes());
        Self::from_shared(buf.into(), layout)
    }

    /// The string to sign described by `layout`, inside a shared buffer.
    pub(crate) fn from_shared(buf: Arc<[u8]>, layout: StringToSignLayout) -> Self {
        Self { buf, text: layout.text, scope: layout.scope }
    }

    /// The whole string.
    #[allow(clippy::expect_used, reason = "written from `&str` pieces, split at ASCII characters")]
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.buf[self.text.clone()]).expect("a string to sign is text")
    }

    /// The credential scope, `<date>/<region>/<service>/aws4_request`.
    #[allow(clippy::expect_used, reason = "written from `&str` pieces, split at ASCII characters")]
    pub fn scope(&self) -> &str {
        std::str::from_utf8(&self.buf[self.scope.clone()]).expect("a scope is text")
    }
}

impl PartialEq for StringToSign {
    fn eq(&self, other: &Self) -> bool {
        self.buf[self.text.clone()] == other.buf[other.text.clone()]
    }
}

impl Eq for StringToSign {}

impl fmt::Display for StringToSign {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for StringToSign {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("StringToSign").field(&self.as_str()).finish()
    }
}
