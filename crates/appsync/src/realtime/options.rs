//! [`RealtimeOptions`]: the settings of a client's real-time connections.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use super::ConnectionEvent;
#[cfg(doc)]
use crate::Client;
use crate::error::{Error, Result};

/// How the connection's auth headers travel.
///
/// ```
/// use appsync::realtime::{AuthForm, RealtimeOptions};
/// // Some proxies drop unknown subprotocols: send the headers in the query string instead.
/// let options = RealtimeOptions::default().auth_form(AuthForm::QueryString);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum AuthForm {
    /// A second `Sec-WebSocket-Protocol`, `header-<base64url JSON, no padding>`, next to
    /// `graphql-ws` (the default).
    #[default]
    Subprotocol,
    /// Query parameters `header=<base64 JSON>&payload=e30=`.
    QueryString,
}

/// Settings of the real-time client, given to
/// [`ClientBuilder::realtime`](crate::ClientBuilder::realtime).
///
/// ```
/// use std::time::Duration;
/// use appsync::realtime::{AuthForm, RealtimeOptions};
///
/// let options = RealtimeOptions::default()
///     .url("wss://realtime.example.com/graphql/realtime")
///     .auth_form(AuthForm::QueryString)
///     .reconnect_backoff(Duration::from_millis(200), Duration::from_secs(10))
///     .max_reconnect_attempts(Some(20))
///     .event_queue_capacity(256)
///     .on_state(|event| eprintln!("connection {}: {:?}", event.connection, event.state));
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct RealtimeOptions {
    pub(crate) url: Option<String>,
    pub(crate) signing_host: Option<String>,
    pub(crate) auth_form: AuthForm,
    pub(crate) connect_timeout: Duration,
    pub(crate) ack_timeout: Duration,
    pub(crate) start_ack_timeout: Duration,
    pub(crate) default_keep_alive: Duration,
    pub(crate) backoff_base: Duration,
    pub(crate) backoff_cap: Duration,
    pub(crate) max_reconnect_attempts: Option<u32>,
    pub(crate) initial_connect_attempts: u32,
    pub(crate) max_auth_retries: u32,
    pub(crate) max_subscriptions_per_connection: usize,
    pub(crate) event_queue_capacity: usize,
    pub(crate) max_messages_per_second: u32,
    pub(crate) idle_timeout: Duration,
    pub(crate) on_state: Option<StateCallback>,
}

/// A state-change callback (its `Debug` shows only that there is one).
#[derive(Clone)]
pub(crate) struct StateCallback(pub(super) Arc<dyn Fn(&ConnectionEvent) + Send + Sync>);

impl fmt::Debug for StateCallback {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("StateCallback")
    }
}

impl Default for RealtimeOptions {
    fn default() -> Self {
        Self {
            url: None,
            signing_host: None,
            auth_form: AuthForm::default(),
            connect_timeout: Duration::from_secs(10),
            ack_timeout: Duration::from_secs(15),
            start_ack_timeout: Duration::from_secs(15),
            default_keep_alive: Duration::from_secs(300),
            backoff_base: Duration::from_millis(500),
            backoff_cap: Duration::from_secs(30),
            max_reconnect_attempts: None,
            initial_connect_attempts: 3,
            max_auth_retries: 2,
            max_subscriptions_per_connection: 100,
            event_queue_capacity: 1024,
            max_messages_per_second: 80,
            idle_timeout: Duration::ZERO,
            on_state: None,
        }
    }
}

impl RealtimeOptions {
    /// The real-time URL, instead of the one derived from the endpoint
    /// (`appsync-api` -> `appsync-realtime-api`; custom domains and the local emulator:
    /// `<endpoint>/realtime`).
    pub fn url(mut self, url: impl Into<String>) -> Self {
        self.url = Some(url.into());
        self
    }

    /// The `host` the auth headers name and IAM signs (default: the endpoint's host).
    pub fn signing_host(mut self, host: impl Into<String>) -> Self {
        self.signing_host = Some(host.into());
        self
    }

    /// How the connection's auth headers travel (default [`AuthForm::Subprotocol`]).
    pub fn auth_form(mut self, form: AuthForm) -> Self {
        self.auth_form = form;
        self
    }

    /// How long opening the WebSocket may take (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// How long to wait for `connection_ack` after `connection_init` (default 15 s).
    pub fn ack_timeout(mut self, timeout: Duration) -> Self {
        self.ack_timeout = timeout;
        self
    }

    /// How long to wait for a `start_ack` (default 15 s); past it the subscription ends with a
    /// timeout error. For AppSync Events, how long to wait for `subscribe_success` and for a
    /// WebSocket publish's `publish_success`.
    pub fn start_ack_timeout(mut self, timeout: Duration) -> Self {
        self.start_ack_timeout = timeout;
        self
    }

    /// The keep-alive timeout when `connection_ack` names none (default 300 s, AppSync's).
    pub fn default_keep_alive(mut self, timeout: Duration) -> Self {
        self.default_keep_alive = timeout;
        self
    }

    /// Reconnect backoff: `base * 2^attempt`, capped at `cap`, half of it random
    /// (default 500 ms and 30 s).
    pub fn reconnect_backoff(mut self, base: Duration, cap: Duration) -> Self {
        self.backoff_base = base;
        self.backoff_cap = cap;
        self
    }

    /// How many reconnects in a row may fail before every subscription of the connection ends
    /// with the error (default `None`: keep trying).
    pub fn max_reconnect_attempts(mut self, attempts: Option<u32>) -> Self {
        self.max_reconnect_attempts = attempts;
        self
    }

    /// How many tries a connection that never connected gets before its subscriptions fail
    /// (default 3), so `subscribe` answers instead of waiting forever.
    pub fn initial_connect_attempts(mut self, attempts: u32) -> Self {
        self.initial_connect_attempts = attempts;
        self
    }

    /// How many times a connection refused as unauthorized (401/403) is tried again with
    /// freshly loaded credentials before the error is delivered (default 2).
    pub fn max_auth_retries(mut self, retries: u32) -> Self {
        self.max_auth_retries = retries;
        self
    }

    /// Subscriptions per WebSocket before another opens (default 100, AppSync's limit).
    pub fn max_subscriptions_per_connection(mut self, max: usize) -> Self {
        self.max_subscriptions_per_connection = max;
        self
    }

    /// Events queued per subscription for a consumer that has not read them yet (default
    /// 1024). Past it, newer events are dropped and the consumer is told how many with an
    /// [`Error::is_lagged`] item; the connection and its other subscriptions are not slowed.
    /// An idle subscription's queue takes no memory.
    pub fn event_queue_capacity(mut self, events: usize) -> Self {
        self.event_queue_capacity = events;
        self
    }

    /// The most messages (`connection_init`, `start`, `stop`; for Events `subscribe`,
    /// `unsubscribe`, `publish`) one connection sends in any one
    /// second (default 80: the emulator, with what it takes as AppSync's limit, refuses more
    /// than 100 with `LimitExceededError`). A burst past it, such as a hundred `subscribe` calls
    /// at once, is spread over the next second(s).
    pub fn max_messages_per_second(mut self, messages: u32) -> Self {
        self.max_messages_per_second = messages;
        self
    }

    /// How long a connection left with nothing to do (no subscription, no publish waiting for
    /// its answer) stays open for the next one before it closes (default zero: at once). For an
    /// [`EventsClient`](crate::events::EventsClient) that publishes over the WebSocket without
    /// subscribing, so that one publish after another share a socket instead of each opening
    /// one. Keep-alives are still watched meanwhile; a connection lost while idle is not
    /// reopened.
    ///
    /// ```
    /// use std::time::Duration;
    /// let options = appsync::realtime::RealtimeOptions::default().idle_timeout(Duration::from_secs(30));
    /// ```
    pub fn idle_timeout(mut self, timeout: Duration) -> Self {
        self.idle_timeout = timeout;
        self
    }

    /// Calls `callback` with every connection state change (as
    /// [`Client::connection_states`] yields them), from the connection's task: it must return
    /// quickly and not block.
    ///
    /// ```
    /// use appsync::realtime::{ConnectionState, RealtimeOptions};
    /// let options = RealtimeOptions::default().on_state(|event| {
    ///     if let ConnectionState::Disrupted { reason } = &event.state {
    ///         eprintln!("connection {} lost: {reason}", event.connection);
    ///     }
    /// });
    /// ```
    pub fn on_state(mut self, callback: impl Fn(&ConnectionEvent) + Send + Sync + 'static) -> Self {
        self.on_state = Some(StateCallback(Arc::new(callback)));
        self
    }

    /// Refuses the values no connection could work with, naming the field (as
    /// [`ClientBuilder::build`](crate::ClientBuilder::build) reports them).
    pub(crate) fn check(&self) -> Result<()> {
        let options = self;
        for (field, value) in [
            ("realtime.connect_timeout", options.connect_timeout),
            ("realtime.ack_timeout", options.ack_timeout),
            ("realtime.start_ack_timeout", options.start_ack_timeout),
            ("realtime.default_keep_alive", options.default_keep_alive),
            ("realtime.reconnect_backoff", options.backoff_base),
        ] {
            if value.is_zero() {
                return Err(Error::config(field, "must be greater than zero"));
            }
        }
        for (field, value) in [
            ("realtime.initial_connect_attempts", options.initial_connect_attempts as usize),
            ("realtime.max_subscriptions_per_connection", options.max_subscriptions_per_connection),
            ("realtime.event_queue_capacity", options.event_queue_capacity),
            ("realtime.max_messages_per_second", options.max_messages_per_second as usize),
        ] {
            if value == 0 {
                return Err(Error::config(field, "must be at least 1"));
            }
        }
        if options.backoff_cap < options.backoff_base {
            return Err(Error::config("realtime.reconnect_backoff", "the cap must be at least the base"));
        }
        Ok(())
    }

    pub(crate) fn backoff(&self, attempt: u32) -> Duration {
        let exp = self.backoff_base.saturating_mul(1u32 << attempt.min(20)).min(self.backoff_cap);
        let half = exp / 2;
        half + half.mul_f64(fastrand::f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_jittered_to_the_cap() {
        let o =
            RealtimeOptions::default().reconnect_backoff(Duration::from_millis(100), Duration::from_secs(1));
        for attempt in 0..30 {
            let d = o.backoff(attempt);
            let exp =
                Duration::from_millis(100).saturating_mul(1 << attempt.min(20)).min(Duration::from_secs(1));
            assert!(d >= exp / 2 && d <= exp, "{attempt}: {d:?}");
        }
    }
}
