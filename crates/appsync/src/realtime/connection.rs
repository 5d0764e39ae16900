//! One task per WebSocket, whichever the protocol ([`Dialect`]): handshake, `start`s (Events:
//! `subscribe`s and `publish`es), routing of events, keep-alive watchdog, reconnect with
//! backoff and resubscription, polite close.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use rustc_hash::FxHashMap;
use tokio::sync::{broadcast, mpsc, oneshot};
use tokio::time::Instant;

use super::dialect::{Dialect, Incoming};
use super::protocol::WireError;
use super::queue::{Payload, Producer, Wakes};
use super::transport::{Socket, Text, recv};
use super::{Command, ConnectionEvent, ConnectionState, Hub, Key};
use crate::auth::Auth;
use crate::client::Client;
use crate::error::{Error, Result};
use crate::events::messages::{self as events, PublishResponse};

pub(super) struct Setup {
    pub(super) number: u64,
    pub(super) client: Client,
    pub(super) hub: Arc<Hub>,
    pub(super) key: Key,
    pub(super) auth: Auth,
    pub(super) commands: mpsc::UnboundedReceiver<Command>,
    pub(super) count: Arc<AtomicUsize>,
    pub(super) full: Arc<AtomicBool>,
    pub(super) events: Option<broadcast::Sender<ConnectionEvent>>,
}

/// How many times one subscription may be moved for the server's per-connection limit before
/// the refusal is its error (a server that takes none would otherwise open connections forever).
const MAX_MOVES: u32 = 8;

struct Sub {
    /// A `start`'s `data`, or an Events channel.
    request: String,
    events: Producer,
    /// Times the server refused it for its per-connection limit (see [`MAX_MOVES`]).
    moves: u32,
    /// The caller of `subscribe`, until the first `start_ack` (or the error).
    ack: Option<oneshot::Sender<Result<()>>>,
    /// When a `start` sent (or a subscription waiting for the connection) times out.
    deadline: Option<Instant>,
}

/// An Events publish waiting for its answer.
struct Pending {
    channel: String,
    events: Vec<String>,
    reply: oneshot::Sender<Result<PublishResponse>>,
    /// Sent on the current socket (then a lost connection leaves its outcome unknown).
    sent: bool,
    /// When it times out: waiting for the connection, or for the answer.
    deadline: Instant,
}

pub(super) struct Connection {
    s: Setup,
    /// Looked up for every event: ids are this client's own, so a fast hash rather than one
    /// that resists chosen keys.
    subs: FxHashMap<String, Sub>,
    /// Events publishes not answered yet.
    publishes: HashMap<String, Pending>,
    /// When the messages of the last second went out on the current socket (for
    /// [`pace`](Self::pace)).
    sent: VecDeque<Instant>,
    /// Who to tell once closed by `Client::close`.
    closing: Option<oneshot::Sender<()>>,
    /// No subscription's or publish's `deadline` is earlier than this (it may be earlier than
    /// all of them: [`expire`](Self::expire) then finds nothing due and looks again). Kept so
    /// that routing an event does not look at every subscription.
    deadline_hint: Option<Instant>,
    /// The consumers that got events in the batch being routed, woken once it is done.
    wakes: Wakes,
    /// The events received in a row for one subscription, not queued yet.
    run: Run,
}

/// Events received in a row for subscription `id`: AppSync sends a publish's events to each
/// subscription in turn, so they come in runs, each queued with one lookup and one lock
/// ([`Connection::end_run`]).
#[derive(Default)]
struct Run {
    id: String,
    events: Vec<Payload>,
}

/// How many already-received messages the connection task handles in one turn before it
/// looks at its commands and timers again.
const BATCH: usize = 256;

/// How a turn of reading the socket ended.
enum Batch {
    /// Messages are waiting in the batch buffer.
    Messages,
    /// The peer closed the connection (after the messages in the buffer, if any).
    Closed,
    /// The connection broke (after the messages in the buffer, if any).
    Broken(Error),
}

/// Why the connected phase ended.
enum Ended {
    /// Lost (or refused mid-way): reconnect.
    Lost(Error),
    /// Everything is done (closed, no subscriptions left).
    Finished,
}

/// What the caller must do after a command.
enum Flow {
    Continue,
    Finish,
}

impl Connection {
    pub(super) fn new(setup: Setup) -> Self {
        Self {
            s: setup,
            subs: FxHashMap::default(),
            publishes: HashMap::new(),
            sent: VecDeque::new(),
            closing: None,
            deadline_hint: None,
            wakes: Wakes::default(),
            run: Run::default(),
        }
    }

    fn dialect(&self) -> Dialect {
        self.s.hub.endpoint.dialect
    }

    /// Nothing to keep the connection for: no subscription, no publish waiting.
    fn idle(&self) -> bool {
        self.subs.is_empty() && self.publishes.is_empty()
    }

    fn options(&self) -> &super::RealtimeOptions {
        &self.s.hub.options
    }

    fn emit(&self, state: ConnectionState) {
        let connection = self.s.number;
        let url = self.s.hub.endpoint.url.as_str();
        match &state {
            ConnectionState::Connecting => {
                tracing::info!(target: "appsync::realtime", connection, url, "connecting");
            }
            ConnectionState::Connected { keep_alive } => tracing::info!(
                target: "appsync::realtime",
                connection,
                keep_alive_ms = keep_alive.as_millis() as u64,
                subscriptions = self.subs.len(),
                "connected"
            ),
            ConnectionState::KeepAliveLate => {
                tracing::warn!(target: "appsync::realtime", connection, "keep-alive late");
            }
            ConnectionState::Disrupted { reason } => {
                tracing::warn!(target: "appsync::realtime", connection, reason = %reason, "disrupted");
            }
            ConnectionState::Reconnecting { attempt, delay } => tracing::info!(
                target: "appsync::realtime",
                connection,
                attempt,
                delay_ms = delay.as_millis() as u64,
                "reconnecting"
            ),
            ConnectionState::Closed => tracing::info!(target: "appsync::realtime", connection, "closed"),
        }
        let event = ConnectionEvent { connection, state };
        if let Some(callback) = &self.options().on_state {
            (callback.0)(&event);
        }
        if let Some(events) = &self.s.events {
            let _ = events.send(event);
        }
    }

    pub(super) async fn run(mut self) {
        let mut failures = 0u32;
        let mut auth_failures = 0u32;
        let mut ever_connected = false;
        // Take the first command(s) before connecting: the one that made this connection.
        if !self.drain_commands().await {
            return self.finish(None).await;
        }
        self.emit(ConnectionState::Connecting);
        loop {
            if self.idle() {
                match self.retire_or_next().await {
                    Some(Flow::Continue) => continue,
                    _ => return self.finish(None).await,
                }
            }
            let error = match self.open().await {
                Ok((mut socket, keep_alive)) => {
                    ever_connected = true;
                    failures = 0;
                    auth_failures = 0;
                    self.emit(ConnectionState::Connected { keep_alive });
                    match self.serve(&mut *socket, keep_alive).await {
                        Ended::Finished => return self.finish(Some(socket)).await,
                        Ended::Lost(mut e) => {
                            self.fail_sent_publishes(&mut e);
                            e
                        }
                    }
                }
                Err(e) => e,
            };
            self.emit(ConnectionState::Disrupted { reason: error.to_string() });
            let mut error = error;
            // An untrusted or invalid certificate stays so: end at once, with the reason.
            let give_up = if error.is_certificate_refused() {
                true
            } else if error.is_unauthorized() && !error.is_clock_skew() {
                auth_failures += 1;
                if auth_failures > self.options().max_auth_retries {
                    true
                } else {
                    // Forget the cached credentials or token so the next try loads them again.
                    let _ = self.s.auth.refresh_rejected().await;
                    false
                }
            } else {
                failures += 1;
                let limit = if ever_connected {
                    self.options().max_reconnect_attempts
                } else {
                    Some(self.options().initial_connect_attempts)
                };
                limit.is_some_and(|limit| failures >= limit)
            };
            if give_up {
                tracing::warn!(target: "appsync::realtime", connection = self.s.number, error = %error, "giving up");
                for (_, sub) in self.subs.drain() {
                    deliver_error(sub, error.duplicate());
                    self.s.count.fetch_sub(1, Ordering::SeqCst);
                }
                for (_, publish) in self.publishes.drain() {
                    let _ = publish.reply.send(Err(error.duplicate()));
                }
                // A subscription that arrives before the connection retires gets fresh tries.
                failures = 0;
                auth_failures = 0;
                continue;
            }
            let attempt = failures + auth_failures;
            let delay = self.options().backoff(attempt.saturating_sub(1));
            self.emit(ConnectionState::Reconnecting { attempt, delay });
            if let Flow::Finish = self.wait(delay).await {
                return self.finish(None).await;
            }
        }
    }

    /// Takes every queued command (not connected yet); `false` when the channel is closed (nothing more will come).
    async fn drain_commands(&mut self) -> bool {
        loop {
            match self.s.commands.try_recv() {
                Ok(command) => {
                    if let Flow::Finish = self.command(command, None).await {
                        return false;
                    }
                }
                Err(mpsc::error::TryRecvError::Empty) => return true,
                Err(mpsc::error::TryRecvError::Disconnected) => return false,
            }
        }
    }

    /// No subscriptions left: retire (unless a command slipped in, which is then handled).
    async fn retire_or_next(&mut self) -> Option<Flow> {
        let command = self.s.hub.retire(&self.s.key, self.s.number, &mut self.s.commands)?;
        Some(self.command(command, None).await)
    }

    /// Waits out a backoff, still taking commands and timing out subscriptions.
    async fn wait(&mut self, delay: Duration) -> Flow {
        let until = Instant::now() + delay;
        loop {
            let deadline = self.deadline_hint;
            tokio::select! {
                () = tokio::time::sleep_until(until) => return Flow::Continue,
                () = sleep_until_opt(deadline) => self.expire(None).await,
                command = self.s.commands.recv() => match command {
                    Some(command) => {
                        if let Flow::Finish = self.command(command, None).await {
                            return Flow::Finish;
                        }
                    }
                    None => return Flow::Finish,
                },
            }
        }
    }

    /// Opens the socket, `connection_init`, waits for `connection_ack`.
    async fn open(&mut self) -> Result<(Box<dyn Socket>, Duration)> {
        let hub = self.s.hub.clone();
        let options = &hub.options;
        let dialect = hub.endpoint.dialect;
        let header = hub.endpoint.connect_headers(&self.s.client, &self.s.auth).await?;
        let request = hub.endpoint.connect_request(&header, options.auth_form);
        let mut socket = tokio::time::timeout(options.connect_timeout, hub.connector.connect(request))
            .await
            .map_err(|_| Error::timeout_message("opening the real-time connection"))??;
        socket.send(self.dialect().init_message()).await?;
        // A new socket: the server's message budget starts again, with this one spent.
        self.sent.clear();
        self.sent.push_back(Instant::now());
        let ack = async {
            loop {
                let Some(text) = recv(&mut *socket).await else {
                    return Err(Error::transport_message(
                        "the server closed the connection before connection_ack",
                    ));
                };
                match dialect.parse(&text?) {
                    Ok(Incoming::Ack { connection_timeout_ms }) => {
                        return Ok(connection_timeout_ms
                            .filter(|ms| *ms > 0)
                            .map_or(options.default_keep_alive, Duration::from_millis));
                    }
                    Ok(Incoming::ConnectionError { errors } | Incoming::ServerError { errors }) => {
                        return Err(connection_error(errors));
                    }
                    _ => continue,
                }
            }
        };
        let keep_alive = tokio::time::timeout(options.ack_timeout, ack)
            .await
            .map_err(|_| Error::timeout_message("waiting for connection_ack"))??;
        Ok((socket, keep_alive))
    }

    /// The connected phase: (re)start every subscription, then route messages until the
    /// connection is lost or nothing is left to do.
    async fn serve(&mut self, socket: &mut dyn Socket, keep_alive: Duration) -> Ended {
        let ids: Vec<String> = self.subs.keys().cloned().collect();
        for id in ids {
            if let Err(e) = self.start(socket, &id).await {
                return Ended::Lost(e);
            }
        }
        let waiting: Vec<String> = self.publishes.keys().cloned().collect();
        for id in waiting {
            if let Err(e) = self.send_publish(socket, &id).await {
                return Ended::Lost(e);
            }
        }
        // The watchdog is armed once and only moved when it fires: a message just notes the
        // time, so that a busy connection does not touch the timer for every event.
        let mut last_heard = Instant::now();
        let watchdog = tokio::time::sleep_until(last_heard + keep_alive);
        tokio::pin!(watchdog);
        let mut batch: Vec<Text> = Vec::with_capacity(BATCH);
        // Idle (nothing to serve) since when; the connection stays open `idle_timeout` for the
        // next subscription or publish before it retires.
        let mut idle_until: Option<Instant> = None;
        loop {
            if self.idle() {
                let until = *idle_until.get_or_insert_with(|| Instant::now() + self.options().idle_timeout);
                if Instant::now() >= until {
                    match self.s.hub.retire(&self.s.key, self.s.number, &mut self.s.commands) {
                        None => return Ended::Finished,
                        Some(command) => match self.command(command, Some(socket)).await {
                            Flow::Finish => return Ended::Finished,
                            Flow::Continue => continue,
                        },
                    }
                }
            } else {
                idle_until = None;
            }
            let deadline = self.deadline_hint;
            tokio::select! {
                () = sleep_until_opt(idle_until) => continue,
                command = self.s.commands.recv() => match command {
                    Some(command) => {
                        if let Flow::Finish = self.command(command, Some(socket)).await {
                            return Ended::Finished;
                        }
                    }
                    None => return Ended::Finished,
                },
                received = std::future::poll_fn(|cx| poll_batch(socket, cx, &mut batch)) => {
                    if !batch.is_empty() {
                        last_heard = Instant::now();
                    }
                    let mut lost = None;
                    for text in batch.drain(..) {
                        if let Err(e) = self.message(text) {
                            lost = Some(e);
                            break;
                        }
                    }
                    self.end_run();
                    self.wakes.wake_all();
                    if let Some(e) = lost {
                        return Ended::Lost(e);
                    }
                    match received {
                        Batch::Messages => {}
                        Batch::Closed => {
                            return Ended::Lost(Error::transport_message("the server closed the connection"));
                        }
                        Batch::Broken(e) => return Ended::Lost(e),
                    }
                },
                () = &mut watchdog => {
                    let due = last_heard + keep_alive;
                    if due > Instant::now() {
                        watchdog.as_mut().reset(due);
                        continue;
                    }
                    self.emit(ConnectionState::KeepAliveLate);
                    return Ended::Lost(Error::timeout_message(format!(
                        "no keep-alive within {} ms", keep_alive.as_millis()
                    )));
                },
                () = sleep_until_opt(deadline) => self.expire(Some(socket)).await,
            }
        }
    }

    /// Sends subscription `id`'s `start` (`subscribe`), signed now with freshly provided
    /// credentials. A signing failure ends only that subscription; a send failure is the
    /// connection's.
    async fn start(&mut self, socket: &mut dyn Socket, id: &str) -> Result<()> {
        let Some(request) = self.subs.get(id).map(|s| s.request.clone()) else { return Ok(()) };
        let hub = self.s.hub.clone();
        let dialect = hub.endpoint.dialect;
        let body = dialect.start_body(&request);
        let authorization = match hub.endpoint.message_headers(&self.s.client, &self.s.auth, &body).await {
            Ok(headers) => headers,
            Err(e) => {
                self.remove(id, Some(e));
                return Ok(());
            }
        };
        let message = dialect.start_message(id, &request, authorization);
        self.pace().await;
        if let Some(sub) = self.subs.get_mut(id) {
            let deadline = Instant::now() + hub.options.start_ack_timeout;
            sub.deadline = Some(deadline);
            self.note_deadline(deadline);
        }
        socket.send(message).await
    }

    /// Sends Events publish `id`, signed now with freshly provided credentials. A signing
    /// failure ends only that publish; a send failure is the connection's.
    async fn send_publish(&mut self, socket: &mut dyn Socket, id: &str) -> Result<()> {
        let Some(pending) = self.publishes.get(id).filter(|p| !p.sent) else { return Ok(()) };
        let body = events::publish_body(&pending.channel, &pending.events);
        let hub = self.s.hub.clone();
        let authorization = match hub.endpoint.message_headers(&self.s.client, &self.s.auth, &body).await {
            Ok(headers) => headers,
            Err(e) => {
                if let Some(pending) = self.publishes.remove(id) {
                    let _ = pending.reply.send(Err(e));
                }
                return Ok(());
            }
        };
        let Some(pending) = self.publishes.get(id) else { return Ok(()) };
        let message = events::ClientMessage::Publish {
            id,
            channel: &pending.channel,
            events: &pending.events,
            authorization: &authorization,
        }
        .to_json();
        self.pace().await;
        let deadline = Instant::now() + hub.options.start_ack_timeout;
        if let Some(pending) = self.publishes.get_mut(id) {
            pending.sent = true;
            pending.deadline = deadline;
        }
        self.note_deadline(deadline);
        socket.send(message).await
    }

    /// The connection was lost: the publishes sent on it may or may not have been published,
    /// and sending them again could publish their events twice, so each fails (with a copy of
    /// `error` as the cause). Those not sent yet wait for the next connection.
    fn fail_sent_publishes(&mut self, error: &mut Error) {
        let sent: Vec<String> =
            self.publishes.iter().filter(|(_, p)| p.sent).map(|(id, _)| id.clone()).collect();
        for id in sent {
            if let Some(pending) = self.publishes.remove(&id) {
                let _ = pending.reply.send(Err(Error::publish_lost(error.duplicate())));
            }
        }
    }

    /// Waits, if needed, so that no more than `max_messages_per_second` messages go out in
    /// any one second: AppSync refuses a burst past its rate with `LimitExceededError`, which
    /// names no subscription, so a refused `start` could not even be told apart. Only bursts
    /// wait (resubscribing a full connection, many `subscribe` calls at once).
    async fn pace(&mut self) {
        let limit = self.options().max_messages_per_second as usize;
        let second = Duration::from_secs(1);
        let now = Instant::now();
        while self.sent.front().is_some_and(|t| now.duration_since(*t) >= second) {
            self.sent.pop_front();
        }
        if self.sent.len() >= limit
            && let Some(oldest) = self.sent.pop_front()
        {
            tokio::time::sleep_until(oldest + second).await;
        }
        self.sent.push_back(Instant::now());
    }

    async fn command(&mut self, command: Command, socket: Option<&mut dyn Socket>) -> Flow {
        match command {
            Command::Subscribe { id, request, events, ack, moves } => {
                let options = self.options();
                // Not connected: allow for the connection being made first.
                let wait = options.connect_timeout + options.ack_timeout + options.start_ack_timeout;
                let deadline = Instant::now() + wait;
                self.note_deadline(deadline);
                self.subs.insert(id.clone(), Sub { request, events, moves, ack, deadline: Some(deadline) });
                if let Some(socket) = socket
                    && let Err(e) = self.start(socket, &id).await
                {
                    // The connection broke; the read side notices and reconnects.
                    tracing::debug!(target: "appsync::realtime", error = %e, "sending start failed");
                }
                Flow::Continue
            }
            Command::Stop { id } => {
                if self.subs.contains_key(&id) {
                    self.remove(&id, None);
                    if let Some(socket) = socket {
                        self.pace().await;
                        let _ = socket.send(self.dialect().stop_message(&id)).await;
                    }
                }
                Flow::Continue
            }
            Command::Publish { id, channel, events, reply } => {
                let options = self.options();
                let deadline = Instant::now()
                    + options.connect_timeout
                    + options.ack_timeout
                    + options.start_ack_timeout;
                self.note_deadline(deadline);
                self.publishes.insert(id.clone(), Pending { channel, events, reply, sent: false, deadline });
                if let Some(socket) = socket
                    && let Err(e) = self.send_publish(socket, &id).await
                {
                    // The connection broke; the read side notices, and the publish fails then.
                    tracing::debug!(target: "appsync::realtime", error = %e, "sending publish failed");
                }
                Flow::Continue
            }
            Command::Close { done } => {
                let ids: Vec<String> = self.subs.keys().cloned().collect();
                for id in &ids {
                    // Started subscriptions end cleanly; one still waiting for its `start_ack`
                    // tells its caller.
                    self.remove(id, None);
                }
                for (_, publish) in self.publishes.drain() {
                    let _ = publish.reply.send(Err(Error::closed("the client was closed")));
                }
                if let Some(socket) = socket {
                    let dialect = self.dialect();
                    for id in ids {
                        let _ = socket.send(dialect.stop_message(&id)).await;
                    }
                }
                self.closing = Some(done);
                Flow::Finish
            }
        }
    }

    /// Routes one server message; an `Err` means the connection is lost.
    fn message(&mut self, text: Text) -> Result<()> {
        let dialect = self.dialect();
        let message = match dialect.parse(&text) {
            Ok(message) => message,
            Err(e) => {
                tracing::debug!(target: "appsync::realtime", error = %e, "ignoring a message that does not parse");
                return Ok(());
            }
        };
        if !matches!(message, Incoming::Data { .. }) {
            // Whatever else the message does (end a subscription, say) comes after the events
            // that arrived before it.
            self.end_run();
        }
        match message {
            Incoming::KeepAlive | Incoming::Ack { .. } | Incoming::Ignored => {}
            Incoming::Started { id } => {
                if let Some(sub) = self.subs.get_mut(&id) {
                    sub.deadline = None;
                    if let Some(ack) = sub.ack.take() {
                        let _ = ack.send(Ok(()));
                    }
                }
            }
            Incoming::Data { id, payload } => {
                if *id != self.run.id {
                    self.end_run();
                    self.run.id.push_str(&id);
                }
                let payload = match Payload::span(&text, payload) {
                    Some(span) => Payload::at(text, span),
                    None => Payload::whole(Text::from(payload)),
                };
                self.run.events.push(payload);
                return Ok(());
            }
            Incoming::Published { id, response } => {
                if let Some(pending) = self.publishes.remove(&id) {
                    let _ = pending.reply.send(Ok(response));
                }
            }
            Incoming::Failed { id, errors } if self.publishes.contains_key(&id) => {
                if let Some(pending) = self.publishes.remove(&id) {
                    let errors = errors.into_iter().map(|e| e.error).collect();
                    let _ = pending.reply.send(Err(Error::rejected(errors)));
                }
            }
            Incoming::Failed { id, errors }
                if errors
                    .iter()
                    .any(|e| e.error.error_type.as_deref() == Some("MaxSubscriptionsReachedError"))
                    && self.may_move(&id) =>
            {
                self.relocate(&id);
            }
            Incoming::Failed { id, errors } => self.remove(&id, Some(dialect.refusal(errors))),
            Incoming::EventFailed { id, errors } => {
                // One event lost, reported where it would have been; the subscription goes on.
                if let Some(sub) = self.subs.get(&id) {
                    let errors = errors.into_iter().map(|e| e.error).collect();
                    sub.events.error(Error::rejected(errors));
                }
            }
            Incoming::ServerError { errors } => {
                let error = connection_error(errors);
                tracing::warn!(target: "appsync::realtime", connection = self.s.number, error = %error, "server error");
            }
            Incoming::Ended { id } => self.remove(&id, None),
            Incoming::ConnectionError { errors } => return Err(connection_error(errors)),
        }
        Ok(())
    }

    /// Queues the run of events received for one subscription (dropped when it is not, or no
    /// longer, this connection's).
    fn end_run(&mut self) {
        if !self.run.events.is_empty()
            && let Some(sub) = self.subs.get(&self.run.id)
        {
            sub.events.events(self.run.events.drain(..), &mut self.wakes);
        }
        self.run.events.clear();
        self.run.id.clear();
    }

    /// Ends subscription `id`: with `error` as its last item, or cleanly.
    fn remove(&mut self, id: &str, error: Option<Error>) {
        let Some(mut sub) = self.subs.remove(id) else { return };
        self.s.count.fetch_sub(1, Ordering::SeqCst);
        // Room again for a subscription the server refused as one too many.
        self.s.full.store(false, Ordering::SeqCst);
        match (sub.ack.take(), error) {
            (Some(ack), error) => {
                let error =
                    error.unwrap_or_else(|| Error::closed("the subscription ended before it started"));
                let _ = ack.send(Err(error));
            }
            (None, Some(error)) => sub.events.error(error),
            (None, None) => {}
        }
    }

    /// Whether subscription `id`, refused for the server's per-connection limit, should move:
    /// the server took others on this connection (so its limit is not zero), and it has not
    /// moved too often.
    fn may_move(&self, id: &str) -> bool {
        let started_others = self.subs.iter().any(|(other, s)| other != id && s.ack.is_none());
        started_others && self.subs.get(id).is_some_and(|s| s.moves < MAX_MOVES)
    }

    /// Moves subscription `id` to another connection of the hub; this one is full.
    fn relocate(&mut self, id: &str) {
        let Some(sub) = self.subs.remove(id) else { return };
        self.s.count.fetch_sub(1, Ordering::SeqCst);
        self.s.full.store(true, Ordering::SeqCst);
        tracing::debug!(
            target: "appsync::realtime",
            connection = self.s.number,
            subscriptions = self.subs.len(),
            "the server's per-connection limit is reached; moving a subscription to another connection"
        );
        let command = super::Command::Subscribe {
            id: id.to_owned(),
            request: sub.request,
            events: sub.events,
            ack: sub.ack,
            moves: sub.moves + 1,
        };
        let hub = self.s.hub.clone();
        if let Err(super::Command::Subscribe { events, ack, .. }) =
            hub.relocate(&self.s.client, &self.s.auth, command)
            && !events.is_abandoned()
        {
            let error = Error::closed("the subscription could not move to another connection");
            match ack {
                Some(ack) => {
                    let _ = ack.send(Err(error));
                }
                None => events.error(error),
            }
        }
    }

    /// Keeps [`deadline_hint`](Self::deadline_hint) no later than a new subscription deadline.
    fn note_deadline(&mut self, deadline: Instant) {
        self.deadline_hint = Some(self.deadline_hint.map_or(deadline, |hint| hint.min(deadline)));
    }

    /// Ends the subscriptions whose `start_ack` is overdue, and the publishes whose answer is.
    async fn expire(&mut self, socket: Option<&mut dyn Socket>) {
        let now = Instant::now();
        let late: Vec<String> =
            self.publishes.iter().filter(|(_, p)| p.deadline <= now).map(|(id, _)| id.clone()).collect();
        for id in late {
            if let Some(pending) = self.publishes.remove(&id) {
                let what = if pending.sent {
                    "waiting for publish_success"
                } else {
                    "waiting for the connection to publish on"
                };
                let _ = pending.reply.send(Err(Error::timeout_message(what)));
            }
        }
        let overdue: Vec<String> = self
            .subs
            .iter()
            .filter(|(_, s)| s.deadline.is_some_and(|d| d <= now))
            .map(|(id, _)| id.clone())
            .collect();
        for id in &overdue {
            self.remove(id, Some(Error::timeout_message("waiting for start_ack")));
        }
        self.deadline_hint = self
            .subs
            .values()
            .filter_map(|s| s.deadline)
            .chain(self.publishes.values().map(|p| p.deadline))
            .min();
        if let Some(socket) = socket {
            let dialect = self.dialect();
            for id in overdue {
                let _ = socket.send(dialect.stop_message(&id)).await;
            }
        }
    }

    /// Leaves the hub (if still in it), closes the socket politely, says so.
    async fn finish(mut self, socket: Option<Box<dyn Socket>>) {
        self.s.commands.close();
        let ids: Vec<String> = self.subs.keys().cloned().collect();
        for id in &ids {
            self.remove(id, Some(Error::closed("the connection ended")));
        }
        for (_, publish) in self.publishes.drain() {
            let _ = publish.reply.send(Err(Error::closed("the connection ended")));
        }
        self.s.hub.leave(&self.s.key, self.s.number);
        if let Some(mut socket) = socket {
            socket.close().await;
        }
        self.emit(ConnectionState::Closed);
        if let Some(done) = self.closing.take() {
            let _ = done.send(());
        }
    }
}

fn connection_error(errors: Vec<WireError>) -> Error {
    Error::realtime_refused(errors.into_iter().map(|e| (e.error_code, e.error)).collect())
}

/// Takes the messages `socket` already has (up to [`BATCH`]) into `batch`; pending only when
/// there is none. The end of the connection is reported after the messages before it.
fn poll_batch(socket: &mut dyn Socket, cx: &mut Context<'_>, batch: &mut Vec<Text>) -> Poll<Batch> {
    while batch.len() < BATCH {
        match socket.poll_recv(cx) {
            Poll::Ready(Some(Ok(text))) => batch.push(text),
            Poll::Ready(None) => return Poll::Ready(Batch::Closed),
            Poll::Ready(Some(Err(e))) => return Poll::Ready(Batch::Broken(e)),
            Poll::Pending if batch.is_empty() => return Poll::Pending,
            Poll::Pending => break,
        }
    }
    Poll::Ready(Batch::Messages)
}

async fn sleep_until_opt(deadline: Option<Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d).await,
        None => std::future::pending().await,
    }
}

fn deliver_error(mut sub: Sub, error: Error) {
    match sub.ack.take() {
        Some(ack) => {
            let _ = ack.send(Err(error));
        }
        None => sub.events.error(error),
    }
}
