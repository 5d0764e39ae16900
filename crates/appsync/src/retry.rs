//! Retry policy: which failures are retried, how long to wait, and the budget that stops a
//! struggling server from being hammered.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

/// How failed requests are retried.
///
/// Retried: throttling (429, `TooManyRequestsException`), 5xx, timeouts and dropped connections
/// for queries; for mutations only connection failures (the request provably never left), unless
/// [`retry_mutations`](Self::retry_mutations) is set. Waits are jittered: between half and all of
/// `base * 2^retry`, capped at `max_backoff`. Every retry spends from a
/// budget shared by the client's requests (refilled by successes), so when the server is down
/// the client stops retrying rather than multiplying the load.
///
/// ```
/// use std::time::Duration;
/// let policy = appsync::RetryPolicy::default().max_attempts(5).max_backoff(Duration::from_secs(2));
/// let none = appsync::RetryPolicy::disabled();
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct RetryPolicy {
    pub(crate) max_attempts: u32,
    pub(crate) base: Duration,
    pub(crate) max_backoff: Duration,
    pub(crate) retry_mutations: bool,
    pub(crate) budget: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 3,
            base: Duration::from_millis(100),
            max_backoff: Duration::from_secs(5),
            retry_mutations: false,
            budget: 500,
        }
    }
}

impl RetryPolicy {
    /// No retries at all (clock-skew correction still re-signs once).
    pub fn disabled() -> Self {
        Self { max_attempts: 1, ..Self::default() }
    }

    /// Attempts in total, the first included (default 3; 1 disables retries).
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts;
        self
    }

    /// The base of the exponential backoff (default 100 ms).
    pub fn base_backoff(mut self, base: Duration) -> Self {
        self.base = base;
        self
    }

    /// The longest wait between attempts (default 5 s).
    pub fn max_backoff(mut self, max: Duration) -> Self {
        self.max_backoff = max;
        self
    }

    /// Retry mutations like queries. Only for APIs whose mutations are idempotent.
    pub fn retry_mutations(mut self, retry: bool) -> Self {
        self.retry_mutations = retry;
        self
    }

    /// The retry budget's size in tokens (default 500): a retry costs 5 (10 after a timeout),
    /// a success gives 1 back.
    pub fn budget(mut self, tokens: u32) -> Self {
        self.budget = tokens;
        self
    }

    pub(crate) fn backoff(&self, retry: u32) -> Duration {
        let exp = self.base.saturating_mul(1u32.checked_shl(retry.min(31)).unwrap_or(u32::MAX));
        let ceiling = exp.min(self.max_backoff);
        // "Equal jitter": half the ceiling always, the other half at random. Spreads clients
        // apart like full jitter does while guaranteeing each wait actually backs off.
        let half = u64::try_from(ceiling.as_nanos() / 2).unwrap_or(u64::MAX / 2);
        Duration::from_nanos(half + fastrand::u64(0..=half))
    }
}

pub(crate) const RETRY_COST: u32 = 5;
pub(crate) const TIMEOUT_RETRY_COST: u32 = 10;

/// A token bucket shared by a client's requests.
///
/// Lock-free: every successful request refunds a token, so the bucket is touched on every
/// request by every thread; a full bucket (the normal state) is only read, never written.
#[derive(Debug)]
pub(crate) struct RetryBudget {
    capacity: u32,
    tokens: AtomicU32,
}

impl RetryBudget {
    pub(crate) fn new(capacity: u32) -> Self {
        Self { capacity, tokens: AtomicU32::new(capacity) }
    }

    /// Takes `cost` tokens if there are that many.
    pub(crate) fn try_spend(&self, cost: u32) -> bool {
        self.tokens.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |t| t.checked_sub(cost)).is_ok()
    }

    pub(crate) fn refund(&self, amount: u32) {
        if self.tokens.load(Ordering::Relaxed) >= self.capacity {
            return;
        }
        let _ = self.tokens.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |t| {
            (t < self.capacity).then(|| t.saturating_add(amount).min(self.capacity))
        });
    }

    #[cfg(test)]
    pub(crate) fn available(&self) -> u32 {
        self.tokens.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_is_capped_and_jittered() {
        let p = RetryPolicy::default()
            .base_backoff(Duration::from_millis(100))
            .max_backoff(Duration::from_millis(300));
        for retry in 0..40 {
            assert!(p.backoff(retry) <= Duration::from_millis(300));
            assert!(p.backoff(retry) >= Duration::from_millis(50));
        }
        let samples: std::collections::HashSet<_> = (0..50).map(|_| p.backoff(2)).collect();
        assert!(samples.len() > 1, "waits are jittered");
    }

    #[test]
    fn budget_drains_and_refills() {
        let b = RetryBudget::new(10);
        assert!(b.try_spend(RETRY_COST));
        assert!(b.try_spend(RETRY_COST));
        assert!(!b.try_spend(RETRY_COST));
        b.refund(100);
        assert_eq!(b.available(), 10);
    }
}
