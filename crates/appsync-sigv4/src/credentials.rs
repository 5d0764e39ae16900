//! AWS credentials and the per-credential cache of derived signing keys.

use std::fmt;
use std::sync::{Arc, RwLock};
use std::time::SystemTime;

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::date::AmzDate;
use crate::sha::HmacKey;

pub(crate) type HmacSha256 = Hmac<Sha256>;

/// How many (date, region, service) signing keys one set of credentials remembers. One client
/// usually needs one; a middleware signing for a few services needs a few; a day change needs two
/// for a moment.
const KEY_CACHE_SLOTS: usize = 4;

/// The identity number of the next `Credentials`.
static NEXT_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// An AWS access key pair, with an optional session token (temporary credentials from STS, Lambda,
/// ECS, SSO...) and an optional expiry.
///
/// Cheap to clone: clones share the secret and the cache of derived signing keys. The secret and
/// the token are wiped from memory when the last clone is dropped, and never appear in `Debug`.
///
/// ```
/// use appsync_sigv4::Credentials;
/// let creds = Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", None, None);
/// assert_eq!(creds.access_key_id(), "AKIDEXAMPLE");
/// assert!(!format!("{creds:?}").contains("EXAMPLEKEY"));
/// ```
#[derive(Clone)]
pub struct Credentials {
    inner: Arc<Inner>,
}

struct Inner {
    access_key_id: String,
    secret_access_key: Zeroizing<String>,
    session_token: Option<SessionToken>,
    expiry: Option<SystemTime>,
    /// Unique per `Credentials::new` (clones share it), never reused: it stands for these
    /// credentials, token included, in the canonical-request memo.
    id: u64,
    keys: RwLock<Vec<CachedKey>>,
    /// The SigV4a key, derived on first use (it does not depend on date, region or service).
    #[cfg(feature = "sigv4a")]
    v4a_key: std::sync::OnceLock<crate::v4a::SigV4aKey>,
}

/// The session token of temporary credentials, with what signing needs to know about it worked
/// out once. Shared by the credentials and every signature that carries it.
#[derive(Clone)]
pub(crate) struct SessionToken(Arc<TokenInner>);

struct TokenInner {
    text: Zeroizing<String>,
    /// The token has no space, so it goes into a canonical request as it is (checked once here
    /// rather than on every signature).
    canonical: bool,
    /// The token as an `http` header value, validated once (`None` when it is not a valid header
    /// value): applying a signature to an `http::Request` then shares it instead of validating
    /// and copying the token per request. Its bytes are wiped when the last request holding it
    /// is dropped.
    header: Option<http::HeaderValue>,
}

impl SessionToken {
    fn new(text: String) -> Self {
        Self(Arc::new(TokenInner {
            canonical: !text.contains(' '),
            header: token_header(&text),
            text: Zeroizing::new(text),
        }))
    }

    /// The token.
    pub(crate) fn as_str(&self) -> &str {
        &self.0.text
    }

    /// Whether the token needs no trimming or collapsing of spaces to be signed.
    pub(crate) fn is_canonical(&self) -> bool {
        self.0.canonical
    }

    /// The token as a sensitive header value, if it is one.
    pub(crate) fn header(&self) -> Option<&http::HeaderValue> {
        self.0.header.as_ref()
    }
}

struct CachedKey {
    /// `YYYYMMDD`.
    date: [u8; 8],
    region: Box<str>,
    service: Box<str>,
    /// The derived signing key as HMAC states already past the padded key blocks: signing from
    /// them skips the two key-block compressions every signature would otherwise repeat.
    mac: HmacKey,
}

impl Credentials {
    /// Credentials from their parts. `session_token` is the `x-amz-security-token` that comes with
    /// temporary credentials.
    pub fn new(
        access_key_id: impl Into<String>,
        secret_access_key: impl Into<String>,
        session_token: Option<String>,
        expiry: Option<SystemTime>,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                access_key_id: access_key_id.into(),
                secret_access_key: Zeroizing::new(secret_access_key.into()),
                session_token: session_token.map(SessionToken::new),
                id: NEXT_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
                expiry,
                keys: RwLock::new(Vec::with_capacity(KEY_CACHE_SLOTS)),
                #[cfg(feature = "sigv4a")]
                v4a_key: std::sync::OnceLock::new(),
            }),
        }
    }

    /// The SigV4a signing key of these credentials, derived once and kept with them.
    #[cfg(feature = "sigv4a")]
    pub(crate) fn v4a_key(&self) -> &crate::v4a::SigV4aKey {
        self.inner.v4a_key.get_or_init(|| crate::v4a::SigV4aKey::derive(self))
    }

    /// The access key id (not secret).
    pub fn access_key_id(&self) -> &str {
        &self.inner.access_key_id
    }

    /// The secret access key.
    pub fn secret_access_key(&self) -> &str {
        &self.inner.secret_access_key
    }

    /// The session token of temporary credentials.
    pub fn session_token(&self) -> Option<&str> {
        self.inner.session_token.as_ref().map(SessionToken::as_str)
    }

    /// The session token with what signing knows about it.
    pub(crate) fn token(&self) -> Option<&SessionToken> {
        self.inner.session_token.as_ref()
    }

    /// When the credentials stop being valid, if they expire.
    pub fn expiry(&self) -> Option<SystemTime> {
        self.inner.expiry
    }

    /// Whether the credentials are expired at `now`.
    pub fn is_expired_at(&self, now: SystemTime) -> bool {
        self.inner.expiry.is_some_and(|e| e <= now)
    }

    /// See `Inner::id`.
    pub(crate) fn id(&self) -> u64 {
        self.inner.id
    }

    /// The keyed HMAC for (the day of `time`, region, service) if it is in the cache.
    pub(crate) fn cached_mac(&self, time: &AmzDate, region: &str, service: &str) -> Option<HmacKey> {
        // A poisoned lock only means another thread panicked mid-insert; the cache is still a
        // valid Vec, so keep using it.
        find_key(&self.inner.keys.read().unwrap_or_else(|e| e.into_inner()), time.day(), region, service)
    }

    /// A keyed HMAC for (the day of `time`, region, service), derived once and then served from
    /// the cache.
    pub(crate) fn signing_mac(&self, time: &AmzDate, region: &str, service: &str) -> HmacKey {
        if let Some(mac) = self.cached_mac(time, region, service) {
            return mac;
        }
        let date_bytes = time.day();
        let find = |slots: &[CachedKey]| find_key(slots, date_bytes, region, service);
        let key = derive_signing_key(&self.inner.secret_access_key, time.date(), region, service);
        let mac = HmacKey::new(&key);
        let mut slots = self.inner.keys.write().unwrap_or_else(|e| e.into_inner());
        if let Some(mac) = find(&slots) {
            return mac;
        }
        if slots.len() == KEY_CACHE_SLOTS {
            // Oldest first: a day change or a long-unused service goes out.
            slots.remove(0);
        }
        slots.push(CachedKey {
            date: date_bytes,
            region: region.into(),
            service: service.into(),
            mac: mac.clone(),
        });
        mac
    }
}

/// Bytes wiped when dropped, to back a header value that holds a secret.
struct Wiped(Zeroizing<Vec<u8>>);

impl AsRef<[u8]> for Wiped {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

/// `token` as a sensitive header value over a wiped copy, or `None` if it is not a valid value.
fn token_header(token: &str) -> Option<http::HeaderValue> {
    let bytes = bytes::Bytes::from_owner(Wiped(Zeroizing::new(token.as_bytes().to_vec())));
    let mut value = http::HeaderValue::from_maybe_shared(bytes).ok()?;
    value.set_sensitive(true);
    Some(value)
}

fn find_key(slots: &[CachedKey], date: [u8; 8], region: &str, service: &str) -> Option<HmacKey> {
    slots
        .iter()
        .find(|k| k.date == date && *k.region == *region && *k.service == *service)
        .map(|k| k.mac.clone())
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.inner.access_key_id)
            .field("secret_access_key", &"** redacted **")
            .field("session_token", &self.inner.session_token.as_ref().map(|_| "** redacted **"))
            .field("expiry", &self.inner.expiry)
            .finish()
    }
}

pub(crate) fn new_mac(key: &[u8]) -> HmacSha256 {
    // HMAC accepts keys of any length; this cannot fail.
    <HmacSha256 as KeyInit>::new_from_slice(key).unwrap_or_else(|_| unreachable!("HMAC takes any key length"))
}

fn hmac(key: &[u8], data: &[u8]) -> [u8; 32] {
    let mut mac = new_mac(key);
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// The SigV4 signing key: `HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service),
/// "aws4_request")`. Exposed for tools and tests; signing uses a cached copy.
///
/// ```
/// let key = appsync_sigv4::derive_signing_key("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20150830", "us-east-1", "iam");
/// assert_eq!(key[0], 0xc4);
/// ```
pub fn derive_signing_key(
    secret_access_key: &str,
    date: &str,
    region: &str,
    service: &str,
) -> Zeroizing<[u8; 32]> {
    let mut k_secret = Zeroizing::new(Vec::with_capacity(4 + secret_access_key.len()));
    k_secret.extend_from_slice(b"AWS4");
    k_secret.extend_from_slice(secret_access_key.as_bytes());
    let k_date = Zeroizing::new(hmac(&k_secret, date.as_bytes()));
    let k_region = Zeroizing::new(hmac(&k_date[..], region.as_bytes()));
    let k_service = Zeroizing::new(hmac(&k_region[..], service.as_bytes()));
    Zeroizing::new(hmac(&k_service[..], b"aws4_request"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derives_the_documented_key() {
        // From AWS's SigV4 documentation example ("Deriving the signing key").
        let key =
            derive_signing_key("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20150830", "us-east-1", "iam");
        let hex: String = key.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9");
    }

    #[test]
    fn cache_serves_same_key_and_evicts_oldest() {
        let c = Credentials::new("AK", "secret", None, None);
        let day = |d: u32| AmzDate::parse(&format!("202601{d:02}T120000Z")).expect("a valid date");
        let a = c.signing_mac(&day(1), "us-east-1", "appsync").sign(b"message");
        let b = c.signing_mac(&day(1), "us-east-1", "appsync").sign(b"message");
        assert_eq!(a, b);
        let expected = HmacKey::new(&derive_signing_key("secret", "20260101", "us-east-1", "appsync"));
        assert_eq!(a, expected.sign(b"message"), "the key of the day, region and service");
        for d in 2..=6 {
            c.signing_mac(&day(d), "us-east-1", "appsync");
        }
        assert_eq!(c.inner.keys.read().map(|s| s.len()).unwrap_or(0), KEY_CACHE_SLOTS);
        let again = c.signing_mac(&day(1), "us-east-1", "appsync").sign(b"message");
        assert_eq!(a, again, "re-derived key after eviction must be identical");
        assert!(c.cached_mac(&day(6), "us-east-1", "appsync").is_some());
        assert!(c.cached_mac(&day(6), "us-west-2", "appsync").is_none(), "keyed by region too");
    }

    #[test]
    fn debug_hides_secrets() {
        let c = Credentials::new("AKID", "topsecret", Some("tokentoken".into()), None);
        let dbg = format!("{c:?}");
        assert!(dbg.contains("AKID"));
        assert!(!dbg.contains("topsecret"));
        assert!(!dbg.contains("tokentoken"));
    }
}
