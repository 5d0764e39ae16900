//! Caching of expiring values (credentials, tokens): one load in flight, refreshed ahead of expiry.

use std::fmt;
use std::future::Future;
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime};

use super::{Credentials, CredentialsError, ProvideCredentials, ProvideFuture};

/// How long before expiry a refresh is due by default. Short-lived values refresh at half their
/// remaining life instead, so a 10-second token is not reloaded on every request.
pub(crate) const DEFAULT_REFRESH_BEFORE: Duration = Duration::from_secs(5 * 60);

struct Entry<T> {
    value: T,
    expiry: Option<SystemTime>,
    refresh_at: Option<SystemTime>,
}

impl<T: Clone> Clone for Entry<T> {
    fn clone(&self) -> Self {
        Self { value: self.value.clone(), expiry: self.expiry, refresh_at: self.refresh_at }
    }
}

impl<T> Entry<T> {
    fn is_fresh(&self, now: SystemTime) -> bool {
        self.refresh_at.is_none_or(|r| now < r)
    }

    fn is_usable(&self, now: SystemTime) -> bool {
        self.expiry.is_none_or(|x| now < x)
    }
}

/// A value with an expiry, loaded by one caller at a time.
///
/// Callers that find a fresh value take it without waiting. When a refresh is due but the value
/// is still valid, exactly one caller reloads while the others keep signing with the still-valid
/// value; only when nothing valid is cached do callers wait for the (single) load.
pub(crate) struct ExpiringCache<T> {
    slot: RwLock<Option<Entry<T>>>,
    loading: tokio::sync::Mutex<()>,
    refresh_before: Duration,
}

impl<T: Clone> ExpiringCache<T> {
    pub(crate) fn new(refresh_before: Duration) -> Self {
        Self { slot: RwLock::new(None), loading: tokio::sync::Mutex::new(()), refresh_before }
    }

    /// The cached value if it is fresh: what nearly every call of `get` returns, here without
    /// building `get`'s future.
    pub(crate) fn fresh(&self) -> Option<T> {
        let now = SystemTime::now();
        let slot = self.slot.read().unwrap_or_else(|e| e.into_inner());
        slot.as_ref().filter(|e| e.is_fresh(now)).map(|e| e.value.clone())
    }

    fn current(&self) -> Option<Entry<T>> {
        self.slot.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn store(&self, value: T, expiry: Option<SystemTime>) {
        let now = SystemTime::now();
        let refresh_at = expiry.map(|x| {
            // Already expired: zero remaining, due at once.
            let remaining = x.duration_since(now).unwrap_or_default();
            x - self.refresh_before.min(remaining / 2)
        });
        *self.slot.write().unwrap_or_else(|e| e.into_inner()) = Some(Entry { value, expiry, refresh_at });
    }

    /// Forgets the cached value, so the next `get` loads (after the server rejected it).
    pub(crate) fn invalidate(&self) {
        *self.slot.write().unwrap_or_else(|e| e.into_inner()) = None;
    }

    pub(crate) async fn get<F, Fut>(&self, load: F) -> Result<T, CredentialsError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<(T, Option<SystemTime>), CredentialsError>>,
    {
        let now = SystemTime::now();
        match self.current() {
            Some(entry) if entry.is_fresh(now) => Ok(entry.value),
            Some(entry) if entry.is_usable(now) => {
                let Ok(_guard) = self.loading.try_lock() else {
                    // Someone is refreshing already; this value is still good.
                    return Ok(entry.value);
                };
                if let Some(latest) = self.current().filter(|e| e.is_fresh(SystemTime::now())) {
                    return Ok(latest.value);
                }
                match load().await {
                    Ok((value, expiry)) => {
                        self.store(value.clone(), expiry);
                        Ok(value)
                    }
                    Err(error) => {
                        tracing::warn!(%error, "refreshing credentials failed; using the current ones until they expire");
                        Ok(entry.value)
                    }
                }
            }
            _ => {
                let _guard = self.loading.lock().await;
                if let Some(latest) = self.current().filter(|e| e.is_usable(SystemTime::now())) {
                    return Ok(latest.value);
                }
                let (value, expiry) = load().await?;
                self.store(value.clone(), expiry);
                Ok(value)
            }
        }
    }
}

/// Wraps a provider so it is called only when the cached credentials are missing or due for
/// refresh, with exactly one call in flight however many requests are waiting.
///
/// Credentials with an expiry are refreshed ahead of it (by default 5 minutes before, or at half
/// the remaining lifetime for short-lived credentials); while one caller refreshes, the others
/// keep using the still-valid credentials, so no request ever waits on a refresh it does not need
/// and none is signed with expired credentials.
///
/// ```
/// use appsync::credentials::{CachedCredentials, EnvironmentCredentials};
/// let cached = CachedCredentials::new(EnvironmentCredentials::new());
/// ```
#[derive(Clone)]
pub struct CachedCredentials {
    inner: Arc<CachedInner>,
}

struct CachedInner {
    provider: Box<dyn ProvideCredentials>,
    cache: ExpiringCache<Credentials>,
}

impl CachedCredentials {
    /// The address of the shared cache: equal for clones, which are one identity.
    pub(crate) fn identity(&self) -> usize {
        Arc::as_ptr(&self.inner) as *const () as usize
    }

    /// Caches `provider` with the default refresh margin.
    pub fn new(provider: impl ProvideCredentials + 'static) -> Self {
        Self::refreshing_before(provider, DEFAULT_REFRESH_BEFORE)
    }

    /// Caches `provider`, refreshing `refresh_before` ahead of expiry (or at half their
    /// remaining life, if that is later, so short-lived credentials are not loaded per request).
    pub fn refreshing_before(provider: impl ProvideCredentials + 'static, refresh_before: Duration) -> Self {
        Self {
            inner: Arc::new(CachedInner {
                provider: Box::new(provider),
                cache: ExpiringCache::new(refresh_before),
            }),
        }
    }

    /// The cached credentials if they are not due for refresh: the common case, served without
    /// the boxed future of [`provide_credentials`](ProvideCredentials::provide_credentials).
    pub(crate) fn fresh(&self) -> Option<Credentials> {
        self.inner.cache.fresh()
    }

    /// Drops the cached credentials: the next request loads again (used when AWS rejects them).
    pub fn invalidate(&self) {
        self.inner.cache.invalidate();
    }
}

impl fmt::Debug for CachedCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CachedCredentials").field("provider", &self.inner.provider).finish_non_exhaustive()
    }
}

impl ProvideCredentials for CachedCredentials {
    fn provide_credentials(&self) -> ProvideFuture<'_, Credentials> {
        Box::pin(async move {
            self.inner
                .cache
                .get(|| async {
                    let creds = self.inner.provider.provide_credentials().await?;
                    let expiry = creds.expiry();
                    Ok((creds, expiry))
                })
                .await
        })
    }
}
