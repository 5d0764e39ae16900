//! What a real-time connection reports about itself: [`ConnectionState`] changes, as
//! [`ConnectionEvent`]s.

use std::time::Duration;

#[cfg(doc)]
use crate::Client;

/// A state change of a real-time connection.
///
/// ```no_run
/// # async fn run(client: appsync::Client) {
/// use appsync::realtime::ConnectionState;
/// use futures_util::StreamExt as _;
/// let mut states = std::pin::pin!(client.connection_states());
/// while let Some(event) = states.next().await {
///     match event.state {
///         ConnectionState::Disrupted { reason } => eprintln!("lost: {reason}"),
///         ConnectionState::Connected { .. } => eprintln!("live again"),
///         _ => {}
///     }
/// }
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConnectionState {
    /// Opening the WebSocket for the first time.
    Connecting,
    /// `connection_ack` received; keep-alives are expected within `keep_alive`.
    Connected {
        /// The keep-alive timeout (`connectionTimeoutMs`).
        keep_alive: Duration,
    },
    /// No keep-alive arrived in time: the connection is considered lost.
    KeepAliveLate,
    /// The connection was lost or refused.
    Disrupted {
        /// Why.
        reason: String,
    },
    /// Waiting `delay` before reconnect attempt `attempt` (1-based).
    Reconnecting {
        /// The attempt about to be made.
        attempt: u32,
        /// The backoff before it.
        delay: Duration,
    },
    /// The connection is closed for good (no subscriptions left, [`Client::close`], or
    /// retries exhausted).
    Closed,
}

/// A [`ConnectionState`] of one of the client's connections, from
/// [`Client::connection_states`].
///
/// ```
/// # fn show(event: appsync::realtime::ConnectionEvent) {
/// println!("connection {}: {:?}", event.connection, event.state);
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ConnectionEvent {
    /// Which connection (numbered from 1 per client).
    pub connection: u64,
    /// The new state.
    pub state: ConnectionState,
}
