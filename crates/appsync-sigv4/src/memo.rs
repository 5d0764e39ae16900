//! The last canonical request this thread signed, so that signing the same request again copies
//! it instead of canonicalising it again.
//!
//! A client sends one endpoint the same method, URL and headers with the same credentials over
//! and over; only the timestamp and the body change. In header signing the timestamp appears in
//! the canonical request only as the `x-amz-date` value and the body only as the payload hash
//! (and as the `x-amz-content-sha256` value when that header is signed), all of fixed length. So
//! when every other input is byte-for-byte the same as last time, the last canonical request
//! with those values rewritten is the canonical request, and path encoding, header filtering,
//! sorting, trimming and the signed-header list can all be skipped.
//!
//! The comparison is exact: each input is written into the key with its length in front, and a
//! hit needs the whole stored key to match. The session token is part of the canonical request,
//! so the credentials are part of the key, by an identity number that is never reused (an
//! address could be, once the credentials are dropped).

use std::borrow::Cow;

use zeroize::Zeroize;

use crate::canonical::Layout;
use crate::per_thread;
use crate::request::SignableRequest;
use crate::settings::{DEFAULT_EXCLUDED_HEADERS, SessionTokenMode, SigningSettings};

/// Keys or canonical requests longer than this are not kept (a request with huge headers is not
/// worth holding on to per thread).
const KEEP_LIMIT: usize = 16 * 1024;

/// Whether a miss, the `misses`-th in a row, replaces the memo. A client that switches to
/// another request gets it remembered at once (the first two misses in a row always are, which
/// also serves one signature in four of two requests in turn); a stream of all-different
/// requests, which the memo cannot help, pays for remembering only on every eighth.
fn worth_remembering(misses: u32) -> bool {
    misses <= 2 || misses.is_multiple_of(8)
}

/// What the memo is keyed on besides the request: everything else that shapes a header-signing
/// canonical request.
pub(crate) struct KeyParts<'a> {
    pub(crate) credentials_id: u64,
    pub(crate) settings: &'a SigningSettings,
    pub(crate) has_token: bool,
    /// Length of the payload hash (64 hex digits, or a sentinel such as `UNSIGNED-PAYLOAD`).
    pub(crate) payload_hash_len: usize,
}

/// One remembered canonical request.
#[derive(Default)]
pub(crate) struct Memo {
    key: Vec<u8>,
    creq: Vec<u8>,
    /// Where each part is, with the canonical request starting at 0.
    layout: Layout,
    /// Where the `x-amz-date` value starts.
    date_at: usize,
    /// Where the `x-amz-content-sha256` value starts, when that header is signed.
    content_sha256_at: Option<usize>,
}

impl Drop for Memo {
    fn drop(&mut self) {
        // The canonical request holds the session token.
        self.creq.zeroize();
    }
}

/// Takes this thread's memo if it was made for exactly these inputs (`None` otherwise, or when
/// another signature on this thread is using it).
pub(crate) fn take_matching(request: &SignableRequest<'_>, parts: &KeyParts<'_>) -> Option<Box<Memo>> {
    let found = per_thread::take_memo().and_then(|memo| {
        let mut check = Check { rest: &memo.key };
        if feed_key(&mut check, request, parts) && check.rest.is_empty() {
            Some(memo)
        } else {
            put_back(memo);
            None
        }
    });
    let misses = if found.is_some() { 0 } else { per_thread::memo_misses().saturating_add(1) };
    per_thread::set_memo_misses(misses);
    #[cfg(test)]
    if found.is_some() {
        tests::HITS.with(|h| h.set(h.get() + 1));
    }
    found
}

/// Gives a memo back after use.
pub(crate) fn put_back(memo: Box<Memo>) {
    per_thread::put_memo(memo);
}

impl Memo {
    /// Appends the remembered canonical request to `buf` with `time` (`YYYYMMDDTHHMMSSZ`) and
    /// `payload_hash` written in, and returns its layout within `buf`.
    pub(crate) fn write(&self, buf: &mut Vec<u8>, time: &[u8], payload_hash: &[u8]) -> Layout {
        let base = buf.len();
        buf.extend_from_slice(&self.creq);
        let mut put = |at: usize, value: &[u8]| {
            if let Some(slot) = buf.get_mut(base + at..base + at + value.len()) {
                slot.copy_from_slice(value);
            }
        };
        put(self.date_at, time);
        if let Some(at) = self.content_sha256_at {
            put(at, payload_hash);
        }
        put(self.layout.payload_hash.start, payload_hash);
        self.layout.shifted(base)
    }
}

/// Remembers the canonical request just written to `buf[layout.all()]` for `request`, replacing
/// what this thread remembered before (its buffers are reused).
pub(crate) fn remember(request: &SignableRequest<'_>, parts: &KeyParts<'_>, buf: &[u8], layout: &Layout) {
    if !worth_remembering(per_thread::memo_misses()) {
        return;
    }
    let all = layout.all();
    let Some(creq) = buf.get(all.clone()) else { return };
    let Some(date_at) = layout.date_value.map(|at| at - all.start) else { return };
    let content_sha256_at = layout.content_sha256_value.map(|at| at - all.start);
    if parts.settings.content_sha256_header != content_sha256_at.is_some() {
        return;
    }
    // The memo being replaced is reused, buffers and all.
    let mut memo = per_thread::take_memo().unwrap_or_default();
    memo.key.clear();
    feed_key(&mut Write(&mut memo.key), request, parts);
    if memo.key.len() > KEEP_LIMIT || creq.len() > KEEP_LIMIT {
        return;
    }
    // Not wiped here: the scratch buffer holds the same bytes until the next signature anyway;
    // the memo is wiped when the thread ends.
    memo.creq.clear();
    memo.creq.extend_from_slice(creq);
    memo.layout = layout.shifted_back(all.start);
    memo.date_at = date_at;
    memo.content_sha256_at = content_sha256_at;
    put_back(memo);
}

/// Where the key goes: written when remembering, compared when looking up.
trait KeySink {
    /// Adds `bytes`; `false` stops the key early (a mismatch).
    fn put(&mut self, bytes: &[u8]) -> bool;

    fn put_len(&mut self, len: usize) -> bool {
        self.put(&(len as u64).to_le_bytes())
    }

    fn put_field(&mut self, bytes: &[u8]) -> bool {
        self.put_len(bytes.len()) && self.put(bytes)
    }
}

struct Write<'a>(&'a mut Vec<u8>);

impl KeySink for Write<'_> {
    fn put(&mut self, bytes: &[u8]) -> bool {
        self.0.extend_from_slice(bytes);
        true
    }
}

struct Check<'a> {
    rest: &'a [u8],
}

impl KeySink for Check<'_> {
    fn put(&mut self, bytes: &[u8]) -> bool {
        match self.rest.split_at_checked(bytes.len()) {
            Some((head, tail)) if head == bytes => {
                self.rest = tail;
                true
            }
            _ => false,
        }
    }
}

/// Every input of a header-signing canonical request except the timestamp and payload hash
/// values, in one fixed order with every length written before its bytes: the same function
/// writes the key and checks it, so the two cannot disagree. The fixed-size parts and the lengths
/// go in one block, so a lookup is a handful of comparisons.
fn feed_key(sink: &mut impl KeySink, request: &SignableRequest<'_>, parts: &KeyParts<'_>) -> bool {
    let settings = parts.settings;
    let default_excluded = matches!(&settings.excluded_headers, Cow::Borrowed(list) if std::ptr::eq(*list, DEFAULT_EXCLUDED_HEADERS));
    let fields = [
        request.method,
        request.scheme.unwrap_or_default(),
        request.authority.unwrap_or_default(),
        request.path,
        request.query.unwrap_or_default(),
    ];
    let mut head = [0u8; 11 + 8 + 8 * 8];
    head[..11].copy_from_slice(&[
        u8::from(settings.normalize_path),
        u8::from(settings.double_encode_path),
        u8::from(settings.content_sha256_header),
        u8::from(settings.session_token_mode == SessionTokenMode::Include),
        u8::from(parts.has_token),
        u8::from(request.names_lowercase),
        u8::from(request.scheme.is_some()),
        u8::from(request.authority.is_some()),
        u8::from(request.query.is_some()),
        u8::from(default_excluded),
        0,
    ]);
    head[11..19].copy_from_slice(&parts.credentials_id.to_le_bytes());
    let lengths = fields.iter().map(|f| f.len()).chain([
        parts.payload_hash_len,
        request.headers().len(),
        settings.excluded_headers.len(),
    ]);
    for (slot, len) in head[19..].as_chunks_mut::<8>().0.iter_mut().zip(lengths) {
        *slot = (len as u64).to_le_bytes();
    }
    if !(sink.put(&head) && fields.iter().all(|f| sink.put(f.as_bytes()))) {
        return false;
    }
    if !default_excluded {
        for name in settings.excluded_headers.iter() {
            if !sink.put_field(name.as_bytes()) {
                return false;
            }
        }
    }
    request.headers().iter().all(|(name, value)| {
        let mut lengths = [0u8; 16];
        lengths[..8].copy_from_slice(&(name.len() as u64).to_le_bytes());
        lengths[8..].copy_from_slice(&(value.len() as u64).to_le_bytes());
        sink.put(&lengths) && sink.put(name.as_bytes()) && sink.put(value)
    })
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;
    use std::cell::Cell;
    use std::time::{Duration, UNIX_EPOCH};

    use crate::{
        Credentials, SessionTokenMode, SignableBody, SignableRequest, SigningParams, SigningSettings, sign,
    };

    thread_local! {
        /// How many signatures on this thread took their canonical request from the memo.
        pub(super) static HITS: Cell<u64> = const { Cell::new(0) };
    }

    fn hits() -> u64 {
        HITS.with(Cell::get)
    }

    /// One request to sign: method, URI, headers, body and settings.
    struct Spec {
        method: &'static str,
        uri: &'static str,
        headers: Vec<(&'static str, &'static str)>,
        body: SignableBody<'static>,
        settings: SigningSettings,
    }

    fn spec(uri: &'static str, headers: &[(&'static str, &'static str)]) -> Spec {
        Spec {
            method: "POST",
            uri,
            headers: headers.to_vec(),
            body: SignableBody::Bytes(br#"{"query":"{ listPosts { items { id } } }"}"#),
            settings: SigningSettings::default(),
        }
    }

    const URL: &str = "https://example.appsync-api.us-east-1.amazonaws.com/graphql";
    const JSON: (&str, &str) = ("content-type", "application/json");

    /// Signs `spec` at `secs` with `body` twice: with `creds` (from the memo when it matches) and,
    /// on another thread, with credentials made afresh from the same values (a new identity, so
    /// never from the memo), and requires the same stages and the same parts.
    fn same_both_ways(
        spec: &Spec,
        creds: &Credentials,
        token: Option<&str>,
        secs: u64,
        body: SignableBody<'_>,
    ) {
        let request = SignableRequest::new(
            spec.method,
            spec.uri,
            spec.headers.iter().map(|(n, v)| (*n, v.as_bytes())),
            body,
        )
        .expect("valid request");
        let time = UNIX_EPOCH + Duration::from_secs(secs);
        let settings = &spec.settings;
        let params = SigningParams::new(creds, "us-east-1", "appsync", time).settings(settings.clone());
        let memo = sign(&request, &params).expect("signs");
        // On a thread of its own, so that this thread's memo stays that of `creds`.
        let scratch = std::thread::scope(|scope| {
            scope
                .spawn(|| {
                    let fresh =
                        Credentials::new(creds.access_key_id(), "secret", token.map(str::to_owned), None);
                    let params =
                        SigningParams::new(&fresh, "us-east-1", "appsync", time).settings(settings.clone());
                    sign(&request, &params).expect("signs")
                })
                .join()
                .expect("the signing thread finishes")
        });
        let creq = |o: &crate::SigningOutput| o.canonical_request().to_string();
        assert_eq!(creq(&memo), creq(&scratch), "{} {:?}", spec.uri, spec.headers);
        assert_eq!(memo.headers(), scratch.headers());
        assert_eq!(memo.params(), scratch.params());
        assert_eq!(memo.signature(), scratch.signature());
    }

    /// A path that normalisation and double encoding both change.
    const ODD: &str = "https://example.appsync-api.us-east-1.amazonaws.com/a/./b//c%20d?x=1";

    #[test]
    fn signatures_from_the_memo_equal_signatures_made_from_scratch() {
        let token = "tok  en";
        let creds = Credentials::new("AKID", "secret", Some(token.to_owned()), None);
        // Each differs from `spec(ODD, &[JSON])` in one input of the canonical request.
        let mut variants = vec![
            spec("https://example.appsync-api.us-east-1.amazonaws.com/a/./b//c%20e?x=1", &[JSON]),
            spec("https://example.appsync-api.us-east-1.amazonaws.com/a/./b//c%20d?x=2", &[JSON]),
            spec("https://example.appsync-api.us-east-1.amazonaws.com/a/./b//c%20d", &[JSON]),
            spec("https://example2.appsync-api.us-east-1.amazonaws.com/a/./b//c%20d?x=1", &[JSON]),
            spec("https://example.appsync-api.us-east-1.amazonaws.com:8443/a/./b//c%20d?x=1", &[JSON]),
            spec("http://example.appsync-api.us-east-1.amazonaws.com:443/a/./b//c%20d?x=1", &[JSON]),
            spec(ODD, &[("content-type", "application/graphql")]),
            spec(ODD, &[("Content-Type", "application/json")]),
            spec(ODD, &[JSON, ("x-foo", " a   b "), ("x-foo", "c")]),
            spec(ODD, &[("x-content-type", "application/json")]),
            // Signed as it is when the signer does not add its own (the value is not the hash).
            spec(ODD, &[JSON, ("x-amz-content-sha256", "abc")]),
            spec(ODD, &[JSON, ("x-amz-date", "20000101T000000Z"), ("user-agent", "ua")]),
            spec("/a/./b//c%20d?x=1", &[("host", "example.appsync-api.us-east-1.amazonaws.com"), JSON]),
        ];
        let mut get = spec(ODD, &[JSON]);
        get.method = "GET";
        variants.push(get);
        let mut with_hash = spec(ODD, &[JSON]);
        with_hash.settings.content_sha256_header = true;
        variants.push(with_hash);
        let mut as_is = spec(ODD, &[JSON]);
        as_is.settings.normalize_path = false;
        variants.push(as_is);
        let mut single = spec(ODD, &[JSON]);
        single.settings.double_encode_path = false;
        variants.push(single);
        let mut s3 = spec(ODD, &[JSON]);
        s3.settings = SigningSettings::s3();
        variants.push(s3);
        let mut unsigned = spec(ODD, &[JSON]);
        unsigned.body = SignableBody::UnsignedPayload;
        variants.push(unsigned);
        let mut precomputed = spec(ODD, &[JSON]);
        precomputed.body =
            SignableBody::Precomputed("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        variants.push(precomputed);
        let mut token_outside = spec(ODD, &[JSON]);
        token_outside.settings.session_token_mode = SessionTokenMode::Exclude;
        variants.push(token_outside);
        let mut own_exclusions = spec(ODD, &[JSON]);
        own_exclusions.settings.excluded_headers = Cow::Owned(vec![Cow::Borrowed("content-type")]);
        variants.push(own_exclusions);

        let mut pairs: Vec<(Spec, Spec)> = variants.into_iter().map(|v| (spec(ODD, &[JSON]), v)).collect();
        // The scheme matters only through its default port.
        pairs.push((spec("http://example.com:80/a", &[]), spec("https://example.com:80/a", &[])));

        let other_body = |body| match body {
            SignableBody::Bytes(_) => SignableBody::Bytes(b"{}"),
            other => other,
        };
        for (base, variant) in &pairs {
            // The memo is `base`'s; `variant` must not be served from it...
            same_both_ways(base, &creds, Some(token), 1_440_938_160, base.body);
            same_both_ways(variant, &creds, Some(token), 1_440_938_160 + 90_061, variant.body);
            // ...and signing `variant` again, a day later with another body, must be.
            let before = hits();
            same_both_ways(variant, &creds, Some(token), 1_440_938_160 + 180_122, other_body(variant.body));
            assert_eq!(
                hits(),
                before + 1,
                "signing {} {:?} again used the memo",
                variant.uri,
                variant.headers
            );
        }

        // Other credentials never get the memo of these, even for the same request: the token is
        // in the canonical request.
        let base = spec(ODD, &[JSON]);
        for (other, other_token) in [
            (Credentials::new("AKID", "secret", Some("another token".into()), None), Some("another token")),
            (Credentials::new("AKID", "secret", None, None), None),
        ] {
            same_both_ways(&base, &creds, Some(token), 1_440_938_160, base.body);
            let before = hits();
            same_both_ways(&base, &other, other_token, 1_440_938_160, base.body);
            assert_eq!(hits(), before, "other credentials are a miss");
        }
    }

    #[test]
    fn a_stream_of_different_requests_is_remembered_only_now_and_then() {
        let creds = Credentials::new("AKID", "secret", None, None);
        let uris = [
            "https://example.com/0",
            "https://example.com/1",
            "https://example.com/2",
            "https://example.com/3",
            "https://example.com/4",
            "https://example.com/5",
            "https://example.com/6",
            "https://example.com/7",
            "https://example.com/8",
            "https://example.com/9",
        ];
        // After these ten misses in a row the memo holds the eighth (the first two were
        // remembered and replaced too), not the tenth.
        for uri in uris {
            same_both_ways(&spec(uri, &[]), &creds, None, 1_440_938_160, SignableBody::Bytes(b""));
        }
        let sign_again = |uri| {
            let before = hits();
            same_both_ways(&spec(uri, &[]), &creds, None, 1_440_938_160, SignableBody::Bytes(b""));
            hits() > before
        };
        assert!(!sign_again(uris[9]), "the tenth was not remembered");
        assert!(sign_again(uris[7]), "the eighth was");
        // After a hit, the first miss is remembered again.
        assert!(!sign_again(uris[9]));
        assert!(sign_again(uris[9]));
        // Two requests in turn: one signature of them in four comes from the memo (see
        // `worth_remembering`).
        let before = hits();
        for _ in 0..4 {
            for uri in &uris[..2] {
                same_both_ways(&spec(uri, &[]), &creds, None, 1_440_938_160, SignableBody::Bytes(b""));
            }
        }
        assert!(hits() - before >= 2, "two requests in turn get some hits: {}", hits() - before);
    }

    #[test]
    fn presigning_never_uses_the_memo() {
        let creds = Credentials::new("AKID", "secret", Some("token".into()), None);
        let mut presigned = spec(URL, &[JSON]);
        presigned.settings = SigningSettings::presigned(Duration::from_secs(300));
        let before = hits();
        for secs in [1_440_938_160, 1_440_938_160 + 90_061] {
            same_both_ways(&presigned, &creds, Some("token"), secs, presigned.body);
        }
        assert_eq!(hits(), before);
    }
}
