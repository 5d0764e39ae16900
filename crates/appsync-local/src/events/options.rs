//! [`EventsOptions`]: the limits of AppSync Events that differ from GraphQL's real-time ones.

use std::time::Duration;

use crate::auth::AuthMode;
use crate::builder::{at_least_one, positive};
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
/// `connection_auth` is the Event API's `EventConfig.ConnectionAuthModes`: the auth modes a
/// WebSocket may connect with, apart from the modes each channel namespace allows for publishing
/// and subscribing. A connection made with another mode gets AppSync's `connection_error`.
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
///
/// // A connection mode the API has no credentials for is refused by `build`, naming the field.
/// let err = Emulator::builder()
///     .api_key(ApiKey::new("da2-local"))
///     .default_auth(AuthMode::ApiKey)
///     .events(EventsOptions::default().connection_auth([AuthMode::Iam]))
///     .build()
///     .unwrap_err();
/// assert_eq!(err.field(), Some("events.connection_auth"));
/// # Ok::<(), appsync_local::Error>(())
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct EventsOptions {
    pub(crate) max_subscriptions: usize,
    pub(crate) max_event_bytes: usize,
    /// `None`: every mode the API has.
    pub(crate) connection_auth: Option<Vec<AuthMode>>,
    pub(crate) connection_lifetime: Duration,
}

impl Default for EventsOptions {
    fn default() -> Self {
        // 200 subscriptions: the limit aws-appsync-events-swift's live tests hit; 240 KB per
        // event: AppSync Events' quota.
        // 24 hours: the longest an Events connection lives (Events guide).
        Self {
            max_subscriptions: 200,
            max_event_bytes: 240 * 1024,
            connection_auth: None,
            connection_lifetime: Duration::from_secs(24 * 60 * 60),
        }
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

    /// The auth modes a WebSocket connection may be made with (the Event API's
    /// `ConnectionAuthModes`; default: every mode the API has). At least one, each a mode the
    /// API has credentials for; subscribing and publishing then need the namespace's own modes.
    pub fn connection_auth(mut self, modes: impl IntoIterator<Item = AuthMode>) -> Self {
        self.connection_auth = Some(modes.into_iter().collect());
        self
    }

    /// How long a WebSocket connection lives (default 24 hours, AppSync's; longer than zero).
    /// Then the emulator closes it with 1001 `connection lifetime reached`, whatever it is
    /// doing; a client reconnects and subscribes again. A short one tests that path.
    pub fn connection_lifetime(mut self, lifetime: Duration) -> Self {
        self.connection_lifetime = lifetime;
        self
    }

    /// Every value against its range, naming the first one out of it.
    pub(crate) fn check(&self) -> Result<(), Error> {
        at_least_one("events.max_event_bytes", self.max_event_bytes)?;
        positive("events.connection_lifetime", self.connection_lifetime)
    }

    /// The connection modes against the API's (`enabled`).
    pub(crate) fn connection_modes(&self, enabled: &[AuthMode]) -> Result<Vec<AuthMode>, Error> {
        let Some(modes) = &self.connection_auth else {
            return Ok(enabled.to_vec());
        };
        if modes.is_empty() {
            return Err(Error::config(
                "events.connection_auth",
                "events.connection_auth needs at least one auth mode",
            ));
        }
        if let Some(missing) = modes.iter().find(|m| !enabled.contains(m)) {
            return Err(Error::config(
                "events.connection_auth",
                format!(
                    "events.connection_auth allows {}, which the API has no credentials for",
                    missing.as_appsync_str()
                ),
            ));
        }
        Ok(modes.clone())
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
