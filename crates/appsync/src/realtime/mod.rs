//! GraphQL subscriptions over AppSync's real-time WebSocket endpoint.
//!
//! [`Client::subscribe`] returns a [`Subscription`]: a `Stream` of typed events. Subscriptions
//! of one client share one WebSocket per (real-time endpoint, auth identity), up to
//! [`RealtimeOptions::max_subscriptions_per_connection`] (AppSync's limit: 100) each. The
//! connection task keeps them alive: keep-alive watchdog, reconnect with jittered exponential
//! backoff, fresh credentials and signatures on every connect and every `start`, every live
//! subscription started again after a reconnect. Its state changes are a stream
//! ([`Client::connection_states`]), a callback ([`RealtimeOptions::on_state`]) and `tracing`
//! events (target `appsync::realtime`).
//!
//! A subscription the server refuses with `MaxSubscriptionsReachedError` (its per-connection
//! limit is lower than ours) moves to another connection instead of ending.
//!
//! Each subscription has a bounded event queue
//! ([`RealtimeOptions::event_queue_capacity`], default 1024 events). The connection never waits
//! for a consumer, so a slow stream cannot hold up the others on its connection: when a
//! consumer is that far behind, newer events are dropped and counted, and the consumer reads
//! an `Err` answering [`Error::is_lagged`] (with [`Error::lagged_count`]) where they would
//! have been, then the stream goes on.
//!
//! ```no_run
//! # async fn run() -> Result<(), appsync::Error> {
//! use futures_util::StreamExt as _;
//! use appsync::{Auth, Client};
//! use appsync::credentials::DefaultCredentialsChain;
//!
//! let client = Client::builder()
//!     .endpoint("https://abc123.appsync-api.us-east-1.amazonaws.com/graphql")
//!     .auth(Auth::iam(DefaultCredentialsChain::new()))
//!     .build()?;
//! let mut posts = client
//!     .subscribe::<serde_json::Value>("subscription { onCreatePost { id title } }", ())
//!     .await?;
//! while let Some(event) = posts.next().await {
//!     println!("{}", event?["onCreatePost"]["title"]);
//! }
//! # Ok(()) }
//! ```

mod connection;
mod handshake;
pub(crate) mod protocol;
mod queue;
pub(crate) mod transport;

use std::collections::HashMap;
use std::fmt;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use futures_util::Stream;
use serde::de::DeserializeOwned;
use tokio::sync::{broadcast, mpsc, oneshot};

use crate::auth::Auth;
use crate::client::Client;
use crate::error::{Error, GraphQLError, Result};
pub(crate) use handshake::RealtimeEndpoint;

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
    pub(crate) on_state: Option<StateCallback>,
}

/// A state-change callback (its `Debug` shows only that there is one).
#[derive(Clone)]
pub(crate) struct StateCallback(Arc<dyn Fn(&ConnectionEvent) + Send + Sync>);

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
    /// timeout error.
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

    /// The most messages (`connection_init`, `start`, `stop`) one connection sends in any one
    /// second (default 80: the emulator, with what it takes as AppSync's limit, refuses more
    /// than 100 with `LimitExceededError`). A burst past it, such as a hundred `subscribe` calls
    /// at once, is spread over the next second(s).
    pub fn max_messages_per_second(mut self, messages: u32) -> Self {
        self.max_messages_per_second = messages;
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

    pub(crate) fn backoff(&self, attempt: u32) -> Duration {
        let exp = self.backoff_base.saturating_mul(1u32 << attempt.min(20)).min(self.backoff_cap);
        let half = exp / 2;
        half + half.mul_f64(fastrand::f64())
    }
}

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

/// A live subscription: a `Stream` of `data` events decoded as `T`.
///
/// An `Err` item that is not followed by `None` is a single bad event (it did not decode, or
/// carried GraphQL errors) or, with [`Error::is_lagged`], events dropped because this consumer
/// fell [`event_queue_capacity`](RealtimeOptions::event_queue_capacity) events behind; an error
/// that ends the subscription (AppSync's `error` for it, a connection refused for good, a
/// `start_ack` timeout) is the last item. Dropping the subscription sends `stop`.
///
/// ```no_run
/// # async fn run(client: appsync::Client) -> Result<(), appsync::Error> {
/// use futures_util::StreamExt as _;
/// #[derive(serde::Deserialize)]
/// struct OnCreatePost { #[serde(rename = "onCreatePost")] post: Post }
/// #[derive(serde::Deserialize)]
/// struct Post { id: String }
///
/// let mut sub = client.subscribe::<OnCreatePost>("subscription { onCreatePost { id } }", ()).await?;
/// if let Some(event) = sub.next().await {
///     println!("created {}", event?.post.id);
/// }
/// drop(sub); // sends `stop`
/// # Ok(()) }
/// ```
pub struct Subscription<T> {
    id: String,
    events: queue::Consumer,
    ended: bool,
    _type: PhantomData<fn() -> T>,
}

impl<T> Subscription<T> {
    /// The subscription's id on the wire.
    pub fn id(&self) -> &str {
        &self.id
    }
}

impl<T> fmt::Debug for Subscription<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Subscription").field("id", &self.id).field("ended", &self.ended).finish()
    }
}

impl<T: DeserializeOwned> Stream for Subscription<T> {
    type Item = Result<T>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.ended {
            return Poll::Ready(None);
        }
        match self.events.poll_next(cx) {
            Poll::Ready(Some(Ok(payload))) => Poll::Ready(Some(decode_event(payload.get()))),
            Poll::Ready(Some(Err(e))) => Poll::Ready(Some(Err(e))),
            Poll::Ready(None) => {
                self.ended = true;
                Poll::Ready(None)
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<T> Drop for Subscription<T> {
    fn drop(&mut self) {
        if !self.ended {
            self.events.abandon(std::mem::take(&mut self.id));
        }
    }
}

/// A `data` payload, `{"data": {...}, "errors"?: [...]}`, as `T`. The usual event (data, no
/// errors) is decoded in one pass over the text; anything else (errors, no data, a decode that
/// fails) goes the careful way, which looks at `errors` first and finds a failing field's path.
fn decode_event<T: DeserializeOwned>(payload: &str) -> Result<T> {
    #[derive(serde::Deserialize)]
    #[serde(bound = "T: DeserializeOwned")]
    struct Usual<T> {
        #[serde(default = "Option::default")]
        data: Option<T>,
        #[serde(default)]
        errors: Option<Vec<serde::de::IgnoredAny>>,
    }
    if let Ok(Usual { data: Some(data), errors }) = serde_json::from_str::<Usual<T>>(payload)
        && errors.is_none_or(|e| e.is_empty())
    {
        return Ok(data);
    }
    #[derive(serde::Deserialize)]
    struct Event<'a> {
        #[serde(default, borrow)]
        data: Option<&'a serde_json::value::RawValue>,
        #[serde(default, borrow)]
        errors: Option<&'a serde_json::value::RawValue>,
    }
    let event: Event<'_> = serde_json::from_str(payload).map_err(Error::decode)?;
    if let Some(errors) = event.errors {
        let errors: Option<Vec<GraphQLError>> = serde_json::from_str(errors.get()).map_err(Error::decode)?;
        if let Some(errors) = errors.filter(|e| !e.is_empty()) {
            return Err(Error::graphql(errors));
        }
    }
    let data = event.data.map_or("null", serde_json::value::RawValue::get);
    serde_json::from_str(data).map_err(|_| {
        let mut deserializer = serde_json::Deserializer::from_str(data);
        match serde_path_to_error::deserialize::<_, T>(&mut deserializer) {
            Err(e) => Error::decode(e),
            // Not expected: the same text decoded the second time.
            Ok(_) => Error::decode_message("the event did not decode"),
        }
    })
}

/// What a [`Subscription`] or the hub asks of a connection task.
pub(crate) enum Command {
    Subscribe {
        id: String,
        /// The `start`'s `data`: the JSON of `{query, variables}`.
        data: String,
        events: queue::Producer,
        /// The caller of `subscribe`, until the first `start_ack`.
        ack: Option<oneshot::Sender<Result<()>>>,
        /// How many times the server refused it for its per-connection limit.
        moves: u32,
    },
    Stop {
        id: String,
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

type Key = (String, (&'static str, usize));

#[derive(Default)]
struct HubState {
    connections: HashMap<Key, Vec<(u64, ConnHandle)>>,
    closed: bool,
}

/// The client's real-time side: its connections by (URL, auth identity) and their events.
pub(crate) struct Hub {
    options: RealtimeOptions,
    endpoint: RealtimeEndpoint,
    connector: Arc<dyn transport::Connector>,
    state: Mutex<HubState>,
    events: Mutex<Option<broadcast::Sender<ConnectionEvent>>>,
    next_connection: AtomicU64,
}

impl Hub {
    pub(crate) fn new(options: RealtimeOptions, endpoint: &reqwest::Url) -> Result<Self> {
        let endpoint =
            RealtimeEndpoint::new(endpoint, options.url.as_deref(), options.signing_host.as_deref())?;
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
        let (events, _) = broadcast::channel(256);
        Ok(Self {
            options,
            endpoint,
            connector: Arc::new(transport::Tungstenite),
            state: Mutex::new(HubState::default()),
            events: Mutex::new(Some(events)),
            next_connection: AtomicU64::new(1),
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

    /// Starts a subscription on a connection with room for it, opening one if needed.
    pub(crate) async fn subscribe<T>(
        self: &Arc<Self>,
        client: &Client,
        auth: Auth,
        data: String,
    ) -> Result<Subscription<T>> {
        let id = new_id();
        let (ack_tx, ack_rx) = oneshot::channel();
        let capacity = self.options.event_queue_capacity;
        let events = self.place(client, &auth, |handle| {
            let (producer, consumer) = queue::channel(capacity, handle.commands.clone());
            let command =
                Command::Subscribe { id: id.clone(), data, events: producer, ack: Some(ack_tx), moves: 0 };
            handle.commands.send(command).map_err(|_| Error::closed("the connection ended"))?;
            Ok(consumer)
        })?;
        // Built before waiting, so a caller that gives up still sends `stop`.
        let subscription = Subscription { id, events, ended: false, _type: PhantomData };
        match ack_rx.await {
            Ok(Ok(())) => Ok(subscription),
            Ok(Err(e)) => Err(e),
            Err(_) => Err(Error::closed("the connection ended before the subscription started")),
        }
    }

    /// Picks a connection for `auth` with room (or opens one) and runs `send` with it, under
    /// the lock [`retire`](Self::retire) takes, so a connection cannot retire in between.
    fn place<R>(
        self: &Arc<Self>,
        client: &Client,
        auth: &Auth,
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
        let room = |h: &ConnHandle| !h.full.load(Ordering::SeqCst) && h.count.load(Ordering::SeqCst) < max;
        let handle = match list.iter().find(|(_, h)| room(h)) {
            Some((_, h)) => h.clone(),
            None => {
                let number = self.next_connection.fetch_add(1, Ordering::Relaxed);
                let handle = self.spawn(client, auth.clone(), key, number);
                list.push((number, handle.clone()));
                handle
            }
        };
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
        let placed = self.place(client, auth, |handle| {
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
    fn retire(
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

/// A random UUID v4, the id AppSync's clients use.
fn new_id() -> String {
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
    fn ids_are_uuid_v4() {
        let id = new_id();
        assert_eq!(id.len(), 36);
        assert_eq!(&id[14..15], "4");
        assert_ne!(id, new_id());
    }

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

    #[test]
    fn events_decode_or_report_errors() {
        let raw = |v: serde_json::Value| v.to_string();
        let ok: Result<serde_json::Value> =
            decode_event(&raw(serde_json::json!({"data": {"onPost": {"id": "1"}}})));
        assert_eq!(ok.ok(), Some(serde_json::json!({"onPost": {"id": "1"}})));
        let err = decode_event::<serde_json::Value>(&raw(
            serde_json::json!({"data": null, "errors": [{"message": "boom", "errorType": "X"}]}),
        ));
        assert!(err.is_err_and(|e| e.is_graphql() && e.error_type() == Some("X")));
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct Typed {
            #[serde(rename = "onPost")]
            on_post: Post,
        }
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct Post {
            id: String,
        }
        let bad = decode_event::<Typed>(&raw(serde_json::json!({"data": {"onPost": {"id": 1}}})));
        assert!(bad.is_err_and(|e| e.json_path().as_deref() == Some("onPost.id")));
        // Data beside errors is not an event: the errors are what the subscriber gets.
        let partial = decode_event::<serde_json::Value>(&raw(serde_json::json!({
            "data": {"onPost": {"id": "1"}},
            "errors": [{"message": "denied", "errorType": "Unauthorized"}]
        })));
        assert!(partial.is_err_and(|e| e.is_graphql() && e.error_type() == Some("Unauthorized")));
        let empty_errors: Result<serde_json::Value> =
            decode_event(&raw(serde_json::json!({"data": {"x": 1}, "errors": []})));
        assert_eq!(empty_errors.ok(), Some(serde_json::json!({"x": 1})));
        let null_data: Result<serde_json::Value> = decode_event(&raw(serde_json::json!({"data": null})));
        assert_eq!(null_data.ok(), Some(serde_json::Value::Null));
        let not_json = decode_event::<serde_json::Value>("{\"data\":");
        assert!(not_json.is_err_and(|e| e.is_decode()));
    }
}
