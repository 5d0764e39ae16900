//! The client's real-time side: its connections by (URL, auth identity), the commands
//! subscriptions send them, and the stream of their state changes.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::Stream;
use tokio::sync::{broadcast, mpsc, oneshot};

use super::dialect::Dialect;
use super::handshake::RealtimeEndpoint;
use super::{ConnectionEvent, RealtimeOptions, connection, queue, transport, websocket};
use crate::auth::Auth;
use crate::client::Client;
use crate::endpoint::Endpoint;
use crate::error::{Error, Result};
use crate::events::messages::PublishResponse;

/// What a [`Subscription`] or the hub asks of a connection task.
pub(crate) enum Command {
    Subscribe {
        id: String,
        /// What the subscription asks for: a `start`'s `data` (the JSON of `{query,
        /// variables}`), or an Events channel.
        request: String,
        events: queue::Producer,
        /// The caller of `subscribe`, until the first `start_ack`.
        ack: Option<oneshot::Sender<Result<()>>>,
        /// How many times the server refused it for its per-connection limit.
        moves: u32,
    },
    Stop {
        id: String,
    },
    /// An Events publish over the socket: answered once, with the server's verdict.
    Publish {
        id: String,
        channel: String,
        /// Each event's JSON text.
        events: Vec<String>,
        reply: oneshot::Sender<Result<PublishResponse>>,
    },
    Close {
        done: oneshot::Sender<()>,
    },
}

#[derive(Clone)]
struct ConnHandle {
    commands: mpsc::UnboundedSender<Command>,
    /// Subscriptions assigned to the connection and not yet removed by it.
    count: Arc<AtomicUsize>,
    /// The server refused a subscription for its per-connection limit; cleared when one leaves.
    full: Arc<AtomicBool>,
}

pub(crate) type Key = (String, (&'static str, usize));

#[derive(Default)]
struct HubState {
    connections: HashMap<Key, Vec<(u64, ConnHandle)>>,
    closed: bool,
}

/// The client's real-time side: its connections by (URL, auth identity) and their events.
pub(crate) struct Hub {
    pub(super) options: RealtimeOptions,
    pub(crate) endpoint: RealtimeEndpoint,
    pub(super) connector: Arc<dyn transport::Connector>,
    state: Mutex<HubState>,
    events: Mutex<Option<broadcast::Sender<ConnectionEvent>>>,
    next_connection: AtomicU64,
    /// The number in the next Events subscription or publish id.
    next_id: AtomicU64,
}

impl Hub {
    /// `tls`: the socket's TLS settings when they differ from the platform's defaults.
    pub(crate) fn new(
        options: RealtimeOptions,
        endpoint: &Endpoint,
        tls: Option<Arc<tokio_rustls::rustls::ClientConfig>>,
        dialect: Dialect,
    ) -> Result<Self> {
        let endpoint = RealtimeEndpoint::new(
            endpoint,
            options.url.as_deref(),
            options.signing_host.as_deref(),
            dialect,
        )?;
        options.check()?;
        let (events, _) = broadcast::channel(256);
        Ok(Self {
            options,
            endpoint,
            connector: Arc::new(websocket::WebSocketConnector { tls }),
            state: Mutex::new(HubState::default()),
            events: Mutex::new(Some(events)),
            next_connection: AtomicU64::new(1),
            next_id: AtomicU64::new(1),
        })
    }

    pub(crate) fn url(&self) -> &reqwest::Url {
        &self.endpoint.url
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HubState> {
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub(crate) fn states(&self) -> impl Stream<Item = ConnectionEvent> + Send + 'static {
        let receiver = self
            .events
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .as_ref()
            .map(broadcast::Sender::subscribe);
        futures_util::stream::unfold(receiver, |receiver| async move {
            let mut receiver = receiver?;
            loop {
                match receiver.recv().await {
                    Ok(event) => return Some((event, Some(receiver))),
                    Err(broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(broadcast::error::RecvError::Closed) => return None,
                }
            }
        })
    }

    /// Starts a subscription to `request` on a connection with room for it, opening one if
    /// needed; `wrap` makes the caller's stream of its id and event queue.
    pub(crate) async fn subscribe<S>(
        self: &Arc<Self>,
        client: &Client,
        auth: Auth,
        request: String,
        wrap: impl FnOnce(String, queue::Consumer) -> S,
    ) -> Result<S> {
        let id = self.new_id();
        let (ack_tx, ack_rx) = oneshot::channel();
        let capacity = self.options.event_queue_capacity;
        let events = self.place(client, &auth, true, |handle| {
            let (producer, consumer) = queue::channel(capacity, handle.commands.clone());
            let command =
                Command::Subscribe { id: id.clone(), request, events: producer, ack: Some(ack_tx), moves: 0 };
            handle.commands.send(command).map_err(|_| Error::closed("the connection ended"))?;
            Ok(consumer)
        })?;
        // Built before waiting, so a caller that gives up still sends `stop`.
        let subscription = wrap(id, events);
        match ack_rx.await {
            Ok(Ok(())) => Ok(subscription),
            Ok(Err(e)) => Err(e),
            Err(_) => Err(Error::closed("the connection ended before the subscription started")),
        }
    }

    /// Publishes `events` (each one's JSON text) to `channel` over a connection of `auth`
    /// (opening one if there is none) and waits for the server's answer.
    pub(crate) async fn publish(
        self: &Arc<Self>,
        client: &Client,
        auth: &Auth,
        channel: String,
        events: Vec<String>,
    ) -> Result<PublishResponse> {
        let (reply, answer) = oneshot::channel();
        self.place(client, auth, false, |handle| {
            let command = Command::Publish { id: self.new_id(), channel, events, reply };
            handle.commands.send(command).map_err(|_| Error::closed("the connection ended"))
        })?;
        match answer.await {
            Ok(result) => result,
            Err(_) => Err(Error::closed("the connection ended before the publish was answered")),
        }
    }

    /// Picks a connection for `auth` with room (or opens one) and runs `send` with it, under
    /// the lock [`retire`](Self::retire) takes, so a connection cannot retire in between.
    /// `subscription`: the command takes one of the connection's subscription places (a
    /// publish takes none, and goes to any live connection).
    fn place<R>(
        self: &Arc<Self>,
        client: &Client,
        auth: &Auth,
        subscription: bool,
        send: impl FnOnce(&ConnHandle) -> Result<R>,
    ) -> Result<R> {
        let mut state = self.lock();
        if state.closed {
            return Err(Error::closed("the client was closed"));
        }
        let key: Key = (self.endpoint.url.to_string(), auth.identity());
        let list = state.connections.entry(key.clone()).or_default();
        list.retain(|(_, h)| !h.commands.is_closed());
        let max = self.options.max_subscriptions_per_connection;
        let room = |h: &ConnHandle| {
            !subscription || (!h.full.load(Ordering::SeqCst) && h.count.load(Ordering::SeqCst) < max)
        };
        let handle = match list.iter().find(|(_, h)| room(h)) {
            Some((_, h)) => h.clone(),
            None => {
                let number = self.next_connection.fetch_add(1, Ordering::Relaxed);
                let handle = self.spawn(client, auth.clone(), key, number);
                list.push((number, handle.clone()));
                handle
            }
        };
        if !subscription {
            return send(&handle);
        }
        handle.count.fetch_add(1, Ordering::SeqCst);
        let result = send(&handle);
        if result.is_err() {
            handle.count.fetch_sub(1, Ordering::SeqCst);
        }
        result
    }

    /// Moves a subscription the server refused for its per-connection limit to another
    /// connection (the refusing one is marked full). Gives the command back when it cannot.
    pub(crate) fn relocate(
        self: &Arc<Self>,
        client: &Client,
        auth: &Auth,
        command: Command,
    ) -> std::result::Result<(), Command> {
        let mut command = Some(command);
        let placed = self.place(client, auth, true, |handle| {
            let Some(Command::Subscribe { events, .. }) = &command else {
                return Err(Error::closed("not a subscription"));
            };
            let router = events.router();
            let taken = command.take().ok_or_else(|| Error::closed("not a subscription"))?;
            router.reroute(handle.commands.clone(), taken).map_err(|back| {
                command = Some(back);
                Error::closed("the connection ended")
            })
        });
        match placed {
            Ok(()) => Ok(()),
            // Not sent: back to the caller (the client was closed, or the connection ended).
            Err(_) => command.map_or(Ok(()), Err),
        }
    }

    fn spawn(self: &Arc<Self>, client: &Client, auth: Auth, key: Key, number: u64) -> ConnHandle {
        let (tx, rx) = mpsc::unbounded_channel();
        let count = Arc::new(AtomicUsize::new(0));
        let full = Arc::new(AtomicBool::new(false));
        let events = self.events.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone();
        let task = connection::Connection::new(connection::Setup {
            number,
            client: client.clone(),
            hub: self.clone(),
            key,
            auth,
            commands: rx,
            count: count.clone(),
            full: full.clone(),
            events,
        });
        tokio::spawn(task.run());
        ConnHandle { commands: tx, count, full }
    }

    /// Removes connection `number` if no command is waiting for it; the check and the removal
    /// happen under the lock `subscribe` sends under, so no command is lost.
    pub(super) fn retire(
        &self,
        key: &Key,
        number: u64,
        commands: &mut mpsc::UnboundedReceiver<Command>,
    ) -> Option<Command> {
        let mut state = self.lock();
        if let Ok(command) = commands.try_recv() {
            return Some(command);
        }
        commands.close();
        if let Some(list) = state.connections.get_mut(key) {
            list.retain(|(n, _)| *n != number);
            if list.is_empty() {
                state.connections.remove(key);
            }
        }
        None
    }

    /// Forgets connection `number`, which has ended.
    pub(super) fn leave(&self, key: &Key, number: u64) {
        if let Some(list) = self.lock().connections.get_mut(key) {
            list.retain(|(n, _)| *n != number);
        }
    }

    /// Stops every subscription and closes every connection politely.
    pub(crate) async fn close(&self) {
        let handles: Vec<ConnHandle> = {
            let mut state = self.lock();
            state.closed = true;
            state.connections.drain().flat_map(|(_, list)| list.into_iter().map(|(_, h)| h)).collect()
        };
        self.events.lock().unwrap_or_else(std::sync::PoisonError::into_inner).take();
        let mut waits = Vec::new();
        for handle in handles {
            let (done, wait) = oneshot::channel();
            if handle.commands.send(Command::Close { done }).is_ok() {
                waits.push(wait);
            }
        }
        for wait in waits {
            let _ = tokio::time::timeout(Duration::from_secs(5), wait).await;
        }
    }
}

impl Hub {
    /// An id for a subscription or an Events publish, unique among this hub's (so on any of
    /// its connections, a subscription that moves included). GraphQL: a random UUID v4, as
    /// AppSync's clients send (its guide states no other form). Events: the hub's next number
    /// in hexadecimal, within the form AppSync documents (`[a-zA-Z0-9-_+]{1,128}`). AppSync
    /// repeats the id in every event it delivers; a few characters instead of 36 is a quarter
    /// of the bytes of a small event's message, received, decrypted and scanned.
    fn new_id(&self) -> String {
        match self.endpoint.dialect {
            Dialect::GraphQl => uuid_v4(),
            Dialect::Events => format!("{:x}", self.next_id.fetch_add(1, Ordering::Relaxed)),
        }
    }
}

/// A random UUID v4.
fn uuid_v4() -> String {
    let mut bytes = [0u8; 16];
    for b in &mut bytes {
        *b = fastrand::u8(..);
    }
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("{}-{}-{}-{}-{}", &hex[0..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..32])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn graphql_ids_are_uuid_v4_and_events_ids_are_short_and_never_repeat() {
        let endpoint = Endpoint::parse("https://example.appsync-api.us-east-1.amazonaws.com/graphql", None)
            .unwrap_or_else(|e| panic!("{e}"));
        let hub = |dialect| {
            Hub::new(RealtimeOptions::default(), &endpoint, None, dialect).unwrap_or_else(|e| panic!("{e}"))
        };
        let graphql = hub(Dialect::GraphQl);
        let id = graphql.new_id();
        assert_eq!(id.len(), 36);
        assert_eq!(&id[14..15], "4");
        assert_ne!(id, graphql.new_id());
        let events = hub(Dialect::Events);
        let ids: std::collections::HashSet<String> = (0..1000).map(|_| events.new_id()).collect();
        assert_eq!(ids.len(), 1000);
        assert!(
            ids.iter().all(|id| (1..=3).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_hexdigit()))
        );
    }
}
