//! [`EventsOptions`]: the limits of AppSync Events that differ from GraphQL's real-time ones.

use crate::builder::at_least_one;
use crate::error::Error;

/// The events one publish may carry (AppSync's fixed limit, over HTTP and WebSocket).
pub const MAX_EVENTS_PER_PUBLISH: usize = 5;

/// Limits of the Events endpoints; the defaults are AppSync's.
///
/// The WebSocket's timings and rate limit are the real-time endpoint's
/// ([`RealtimeOptions`](crate::realtime::RealtimeOptions): `connection_timeout_ms`,
/// `keep_alive_interval`, `write_timeout`, `max_inbound_per_second`), since AppSync's are the
/// same for both. [`EmulatorBuilder::build`](crate::EmulatorBuilder::build) refuses a value out
/// of range naming it (`events.max_event_bytes`); `max_subscriptions` may be zero (every
/// subscribe is then refused with `MaxSubscriptionsReachedError`).
///
/// ```
/// use appsync_local::events::EventsOptions;
/// use appsync_local::{ApiKey, AuthMode, Emulator};
///
/// let emulator = Emulator::builder()
///     .api_key(ApiKey::new("da2-local"))
///     .default_auth(AuthMode::ApiKey)
///     .events(EventsOptions::default().max_subscriptions(10))
///     .build()?;
/// # drop(emulator);
/// # Ok::<(), appsync_local::Error>(())
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct EventsOptions {
    pub(crate) max_subscriptions: usize,
    pub(crate) max_event_bytes: usize,
}

impl Default for EventsOptions {
    fn default() -> Self {
        // 200 subscriptions: the limit aws-appsync-events-swift's live tests hit; 240 KB per
        // event: AppSync Events' quota.
        Self { max_subscriptions: 200, max_event_bytes: 240 * 1024 }
    }
}

impl EventsOptions {
    /// Subscriptions per connection (default 200); beyond: `MaxSubscriptionsReachedError`.
    pub fn max_subscriptions(mut self, n: usize) -> Self {
        self.max_subscriptions = n;
        self
    }

    /// Largest event, in bytes of its JSON string (default 240 KiB, at least 1); a larger one is
    /// reported as failed in the publish result, never dropped silently.
    pub fn max_event_bytes(mut self, bytes: usize) -> Self {
        self.max_event_bytes = bytes;
        self
    }

    /// Every value against its range, naming the first one out of it.
    pub(crate) fn check(&self) -> Result<(), Error> {
        at_least_one("events.max_event_bytes", self.max_event_bytes)
    }

    /// The largest message or body a publish can need: every event at the size limit, escaped
    /// (at worst doubled), one more event than allowed so that six get their answer, plus room
    /// for the authorization headers.
    pub(crate) fn frame_cap(&self) -> usize {
        self.max_event_bytes
            .saturating_mul(2)
            .saturating_mul(MAX_EVENTS_PER_PUBLISH + 1)
            .saturating_add(64 * 1024)
    }
}
