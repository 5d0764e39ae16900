//! The one seam through which resolver code sees the outside world: the clock and randomness.
//!
//! `util.time.*`, `util.autoId()`/`autoUlid()`/`autoKsuid()`, `util.math.random*`, `Date.now()`
//! and `Math.random()` all read from a [`Host`], so tests fix both with [`FixedHost`].

use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// The clock and the random source an engine hands to resolver code.
pub trait Host: Send + Sync + 'static {
    /// Milliseconds since 1970-01-01T00:00:00Z.
    fn now_millis(&self) -> i64;
    /// Fills `buf` with random bytes.
    fn fill_random(&self, buf: &mut [u8]);
}

/// The system clock and a randomly seeded generator (the default).
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemHost;

impl Host for SystemHost {
    fn now_millis(&self) -> i64 {
        match SystemTime::now().duration_since(UNIX_EPOCH) {
            Ok(d) => i64::try_from(d.as_millis()).unwrap_or(i64::MAX),
            Err(before) => -i64::try_from(before.duration().as_millis()).unwrap_or(i64::MAX),
        }
    }

    fn fill_random(&self, buf: &mut [u8]) {
        fastrand::fill(buf);
    }
}

/// A clock that reads what it was set to and a deterministic random source, for tests.
#[derive(Debug)]
pub struct FixedHost {
    now: AtomicI64,
    rng: Mutex<fastrand::Rng>,
}

impl FixedHost {
    /// A clock stopped at `now_millis` and random bytes from a generator seeded with `seed`.
    #[must_use]
    pub fn new(now_millis: i64, seed: u64) -> Self {
        Self { now: AtomicI64::new(now_millis), rng: Mutex::new(fastrand::Rng::with_seed(seed)) }
    }

    /// Moves the clock.
    pub fn set_now_millis(&self, now_millis: i64) {
        self.now.store(now_millis, Ordering::SeqCst);
    }
}

impl Host for FixedHost {
    fn now_millis(&self) -> i64 {
        self.now.load(Ordering::SeqCst)
    }

    fn fill_random(&self, buf: &mut [u8]) {
        let mut rng = match self.rng.lock() {
            Ok(rng) => rng,
            Err(poisoned) => poisoned.into_inner(),
        };
        rng.fill(buf);
    }
}
