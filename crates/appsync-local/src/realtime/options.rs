//! [`RealtimeOptions`]: the timings and limits of the real-time endpoint.

use std::time::Duration;

use crate::builder::{at_least_one, positive};
use crate::error::Error;

/// Timings and limits of the real-time endpoint; the defaults are AppSync's.
///
/// Set for an emulator with [`EmulatorBuilder::realtime`](crate::EmulatorBuilder::realtime), or
/// per router with [`router_with`](super::router_with). The setters keep what they are given;
/// [`EmulatorBuilder::build`](crate::EmulatorBuilder::build) and `router_with` refuse a value out
/// of range with an error naming it ([`Error::field`], e.g. `realtime.max_message_bytes`): every
/// time span must be longer than zero and every limit at least 1, except `max_subscriptions`,
/// which may be zero (every `start` is then refused with `MaxSubscriptionsReachedError`, as by a
/// server at its limit).
///
/// ```
/// use std::time::Duration;
/// use appsync_local::realtime::RealtimeOptions;
/// use appsync_local::{ApiKey, AuthMode, Emulator};
///
/// let options = RealtimeOptions::default()
///     .keep_alive_interval(Duration::from_secs(10))
///     .max_subscriptions(10);
/// let emulator = Emulator::builder()
///     .api_key(ApiKey::new("da2-local"))
///     .default_auth(AuthMode::ApiKey)
///     .realtime(options.clone())
///     .build()?;
/// # drop(emulator);
///
/// // A zero rate limit would refuse every message: refused, with the field named.
/// let err = Emulator::builder()
///     .api_key(ApiKey::new("da2-local"))
///     .default_auth(AuthMode::ApiKey)
///     .realtime(options.max_inbound_per_second(0))
///     .build()
///     .unwrap_err();
/// assert!(err.is_config());
/// assert_eq!(err.field(), Some("realtime.max_inbound_per_second"));
/// # Ok::<(), appsync_local::Error>(())
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct RealtimeOptions {
    /// `connectionTimeoutMs` sent in `connection_ack`.
    pub(crate) connection_timeout_ms: u64,
    /// Time between `ka` messages.
    pub(crate) keep_alive_interval: Duration,
    /// A connection that sends no `connection_init` (nor a successful `start`) within this is
    /// closed.
    pub(crate) init_timeout: Duration,
    /// Subscriptions per connection; beyond: `MaxSubscriptionsReachedError`.
    pub(crate) max_subscriptions: usize,
    /// Largest message in either direction.
    pub(crate) max_message_bytes: usize,
    /// Inbound messages per second per connection; beyond: `LimitExceededError`.
    pub(crate) max_inbound_per_second: u32,
    /// A client that takes longer than this to accept one reply, or one event's messages
    /// (written together), is disconnected.
    pub(crate) write_timeout: Duration,
}

impl Default for RealtimeOptions {
    fn default() -> Self {
        Self {
            connection_timeout_ms: 300_000,
            keep_alive_interval: Duration::from_secs(60),
            init_timeout: Duration::from_secs(30),
            max_subscriptions: 100,
            max_message_bytes: 240 * 1024,
            max_inbound_per_second: 100,
            write_timeout: Duration::from_secs(10),
        }
    }
}

impl RealtimeOptions {
    /// `connectionTimeoutMs` sent in `connection_ack` (default 300000, at least 1).
    pub fn connection_timeout_ms(mut self, ms: u64) -> Self {
        self.connection_timeout_ms = ms;
        self
    }

    /// Time between `ka` messages (default 60 s, longer than zero).
    pub fn keep_alive_interval(mut self, interval: Duration) -> Self {
        self.keep_alive_interval = interval;
        self
    }

    /// How long a connection may wait before `connection_init` (or a successful `start`) before
    /// it is closed (default 30 s, longer than zero).
    pub fn init_timeout(mut self, timeout: Duration) -> Self {
        self.init_timeout = timeout;
        self
    }

    /// Subscriptions per connection (default 100; zero refuses every `start`); beyond:
    /// `MaxSubscriptionsReachedError`.
    pub fn max_subscriptions(mut self, n: usize) -> Self {
        self.max_subscriptions = n;
        self
    }

    /// Largest message in either direction, in bytes (default 240 KiB, at least 1).
    pub fn max_message_bytes(mut self, bytes: usize) -> Self {
        self.max_message_bytes = bytes;
        self
    }

    /// How long one reply, or one event's messages, may take to reach a client before it is
    /// disconnected (default 10 s, longer than zero).
    pub fn write_timeout(mut self, timeout: Duration) -> Self {
        self.write_timeout = timeout;
        self
    }

    /// Inbound messages per second per connection (default 100, at least 1); beyond:
    /// `LimitExceededError`.
    pub fn max_inbound_per_second(mut self, n: u32) -> Self {
        self.max_inbound_per_second = n;
        self
    }

    /// Every value against its range, naming the first one out of it.
    pub(crate) fn check(&self) -> Result<(), Error> {
        at_least_one("realtime.connection_timeout_ms", self.connection_timeout_ms)?;
        positive("realtime.keep_alive_interval", self.keep_alive_interval)?;
        positive("realtime.init_timeout", self.init_timeout)?;
        at_least_one("realtime.max_message_bytes", self.max_message_bytes)?;
        at_least_one("realtime.max_inbound_per_second", self.max_inbound_per_second)?;
        positive("realtime.write_timeout", self.write_timeout)
    }
}
