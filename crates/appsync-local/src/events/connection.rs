//! One Events WebSocket connection, generic over its frames' `Sink` and `Stream` so the whole
//! protocol can be driven without a socket.
//!
//! Keep-alives, the write timeout, the inbound rate limit and slow consumers are handled as on the
//! GraphQL real-time endpoint (the same [`RealtimeOptions`]): a connection whose queue of
//! publishes overflows is closed with 1013 rather than let fall further behind. A connection is
//! closed (1001) when it has been open for `EventsOptions::connection_lifetime` (AppSync: 24
//! hours); clients reconnect and subscribe again.

use std::collections::HashMap;
use std::sync::Arc;

use futures_util::{Sink, Stream, StreamExt};
use serde_json::{Map, Value};

use super::EventsApi;
use super::authorize::{self, Operation, failure_entry, permitted, scope, signed_body};
use super::channel::Channel;
use super::handler::SubscribeContext;
use super::hub::PublishedEvents;
use super::options::MAX_EVENTS_PER_PUBLISH;
use super::protocol::{ClientMessage, ErrorEntry, ServerMessage, push_data_message};
use super::publish::{Publisher, Refusal, channel_info, publish};
use crate::Emulator;
use crate::auth::Identity;
use crate::json::string_literal;
use crate::realtime::RealtimeOptions;
use crate::socket::TextFrames;
use crate::websocket::{CLOSE_POLICY, Inbound, Outbound, RateWindow, Session, Timings, Writer, serve};

const NOT_AUTHORIZED: &str = "You are not authorized to make this call.";

struct Connection<'a, Si> {
    emulator: &'a Emulator,
    api: &'a EventsApi,
    options: &'a RealtimeOptions,
    writer: Writer<Si>,
    /// Subscription id -> channel or pattern.
    subscriptions: HashMap<String, Subscribed>,
    rate: RateWindow,
    /// Whether the client has sent anything yet.
    active: bool,
    /// The connection's addresses (the upgrade request's `x-forwarded-for` entries, then its
    /// peer): `ctx.identity.sourceIp` of every subscribe and publish.
    source_ip: Vec<String>,
}

/// Serves one connection until either side closes. `connect` is the outcome of the handshake:
/// the caller (whose [`source_ip`](Identity::source_ip) becomes that of every message), or the
/// `connection_error` to send and the close reason.
pub(crate) async fn run<Si, St>(
    emulator: Emulator,
    options: Arc<RealtimeOptions>,
    connect: Result<Identity, (ServerMessage, &'static str)>,
    sink: Si,
    mut stream: St,
) where
    Si: Sink<Outbound> + Unpin,
    St: Stream<Item = Inbound> + Unpin,
{
    let api = &emulator.inner.events;
    let mut conn = Connection {
        emulator: &emulator,
        api,
        options: &options,
        writer: Writer::new(sink, options.write_timeout),
        subscriptions: HashMap::new(),
        rate: RateWindow::new(options.max_inbound_per_second),
        active: false,
        source_ip: Vec::new(),
    };
    match connect {
        Ok(identity) => conn.source_ip = identity.source_ip().to_vec(),
        Err((refusal, reason)) => {
            tracing::debug!(reason, "events connection refused");
            conn.refuse(&mut stream, &refusal, reason).await;
            return;
        }
    }
    // Subscribed before any `subscribe_success` so that no event published after one is missed.
    let mut published = api.hub.subscribe();
    // `connection_init` is optional: no deadline for it, and keep-alives start with it or with
    // the first message.
    let timings = Timings {
        keep_alive: options.keep_alive_interval,
        init_timeout: None,
        lifetime: Some(api.options.connection_lifetime),
    };
    serve(&mut conn, &mut stream, &mut published, &timings, "events").await;
}

/// One subscription of the connection.
struct Subscribed {
    /// The channel or pattern it receives.
    channel: Channel,
    /// Its id as a JSON string, as each of its `data` messages carries it.
    id_literal: String,
}

impl<Si> Connection<'_, Si>
where
    Si: Sink<Outbound> + Unpin,
{
    /// Sends `message` at once, waits (briefly) for the client's first message so that closing
    /// does not cut off a client writing its `connection_init`, then closes.
    async fn refuse<St>(&mut self, stream: &mut St, message: &ServerMessage, reason: &'static str)
    where
        St: Stream<Item = Inbound> + Unpin,
    {
        if self.send(message).await {
            let _ = tokio::time::timeout(self.options.init_timeout, stream.next()).await;
        }
        let _ = self.writer.close(CLOSE_POLICY, reason).await;
    }

    async fn send(&mut self, message: &ServerMessage) -> bool {
        self.writer.send_text(message.to_json()).await
    }

    /// Registers subscription `id`, or says why not.
    async fn subscribe(
        &mut self,
        id: &str,
        raw: &str,
        authorization: Option<&Map<String, Value>>,
    ) -> Result<(), Vec<ErrorEntry>> {
        let one = |error_type: &str, message: &str| vec![ErrorEntry::new(error_type, message)];
        if let Err(why) = check_id(id) {
            return Err(one("BadRequestException", &why));
        }
        if self.subscriptions.contains_key(id) {
            return Err(one("DuplicatedOperationError", &format!("Duplicated operation with id {id}")));
        }
        if self.subscriptions.len() >= self.api.options.max_subscriptions {
            let limit = self.api.options.max_subscriptions;
            return Err(one(
                "MaxSubscriptionsReachedError",
                &format!("Max number of {limit} subscriptions reached"),
            ));
        }
        let channel = Channel::subscribe(raw)
            .map_err(|why| one("InvalidInputError", &format!("Invalid channel: {why}")))?;
        let named = (channel.clone(), raw.to_owned());
        let body = signed_body(raw, None);
        let mut identity = authorize::authenticate(
            self.emulator,
            authorization,
            &body,
            scope(Operation::Subscribe, Some(&named)),
        )
        .await
        .map_err(|failure| {
            tracing::debug!(error_type = failure.error_type, "events subscribe refused");
            one("UnauthorizedException", NOT_AUTHORIZED)
        })?;
        identity.set_source_ip(self.source_ip.clone());
        let Some(namespace) = self.api.namespaces.get(channel.namespace()) else {
            return Err(vec![ErrorEntry::bare("UnauthorizedException")]);
        };
        if !permitted(namespace, Operation::Subscribe, &identity) {
            return Err(one("UnauthorizedException", NOT_AUTHORIZED));
        }
        if let Some(handler) = &namespace.handler {
            let ctx = SubscribeContext {
                channel: channel_info(&channel),
                identity,
                headers: authorization.cloned().unwrap_or_default(),
            };
            handler.on_subscribe(ctx).await.map_err(|e| one(e.error_type(), e.message()))?;
        }
        self.subscriptions.insert(id.to_owned(), Subscribed { channel, id_literal: string_literal(id) });
        Ok(())
    }

    /// `publish_success` or `publish_error` for publish `id`.
    async fn publish(
        &mut self,
        id: String,
        raw: &str,
        events: &[Value],
        authorization: Option<Map<String, Value>>,
    ) -> ServerMessage {
        let error = |id: String, entry: ErrorEntry| ServerMessage::PublishError { id, errors: vec![entry] };
        if let Err(why) = check_id(&id) {
            return error(id, ErrorEntry::new("BadRequestException", &why));
        }
        let channel = match Channel::publish(raw) {
            Ok(channel) => channel,
            Err(why) => {
                return error(id, ErrorEntry::new("InvalidInputError", &format!("Invalid channel: {why}")));
            }
        };
        let named = (channel.clone(), raw.to_owned());
        let body = signed_body(raw, Some(events));
        let identity = match authorize::authenticate(
            self.emulator,
            authorization.as_ref(),
            &body,
            scope(Operation::Publish, Some(&named)),
        )
        .await
        {
            Ok(mut identity) => {
                identity.set_source_ip(self.source_ip.clone());
                identity
            }
            Err(failure) => {
                tracing::debug!(error_type = failure.error_type, "events publish refused");
                return error(id, failure_entry(&failure, Operation::Publish));
            }
        };
        let publisher = Publisher { identity: Some(identity), headers: authorization.unwrap_or_default() };
        match publish(self.api, &channel, events, publisher).await {
            Ok(response) => {
                ServerMessage::PublishSuccess { id, successful: response.successful, failed: response.failed }
            }
            Err(refusal) => error(id, refusal_entry(&refusal)),
        }
    }
}

impl<Si> Session for Connection<'_, Si>
where
    Si: Sink<Outbound> + Unpin,
{
    type Item = Arc<PublishedEvents>;
    type Sink = Si;

    /// Handles one text frame; false ends the connection.
    async fn on_text(&mut self, text: &str, keep_alive: &mut tokio::time::Interval) -> bool {
        if !self.active {
            self.active = true;
            keep_alive.reset();
        }
        if !self.rate.admit() {
            return self.send(&ServerMessage::error(None, "LimitExceededError", "Rate limit exceeded")).await;
        }
        let message = match serde_json::from_str::<ClientMessage>(text) {
            Ok(m) => m,
            Err(_) => return self.send(&unparseable(text)).await,
        };
        let answer = match message {
            ClientMessage::ConnectionInit { .. } => {
                let ack = ServerMessage::ConnectionAck {
                    connection_timeout_ms: self.options.connection_timeout_ms,
                };
                // As on the GraphQL endpoint: the ack, a first `ka` at once, then one per interval.
                keep_alive.reset();
                return self.send(&ack).await && self.send(&ServerMessage::Ka).await;
            }
            ClientMessage::Subscribe { id, channel, authorization } => {
                match self.subscribe(&id, &channel, authorization.as_ref()).await {
                    Ok(()) => ServerMessage::SubscribeSuccess { id },
                    Err(errors) => ServerMessage::SubscribeError { id, errors },
                }
            }
            ClientMessage::Unsubscribe { id } => {
                if self.subscriptions.remove(&id).is_some() {
                    ServerMessage::UnsubscribeSuccess { id }
                } else {
                    // The Swift client's tests' words.
                    let message = format!("Unknown operation id {id}");
                    ServerMessage::UnsubscribeError {
                        id,
                        errors: vec![ErrorEntry::new("UnknownOperationError", &message)],
                    }
                }
            }
            ClientMessage::Publish { id, channel, events, authorization } => {
                self.publish(id, &channel, &events, authorization).await
            }
        };
        self.send(&answer).await
    }

    async fn on_binary(&mut self) -> bool {
        self.send(&ServerMessage::error(None, "UnsupportedOperation", "Binary messages are not supported"))
            .await
    }

    fn started(&self) -> bool {
        self.active
    }

    /// Sends each event of `published` to every matching subscription, as one write.
    async fn deliver(&mut self, published: &Arc<PublishedEvents>) -> bool {
        if self.subscriptions.is_empty() {
            return true;
        }
        let mut outgoing = TextFrames::default();
        for subscribed in self.subscriptions.values() {
            if subscribed.channel.matches(&published.channel) {
                for event in &published.events {
                    push_data_message(&mut outgoing, &subscribed.id_literal, &event.literal);
                }
            }
        }
        self.writer.send_all(outgoing).await
    }

    fn writer(&mut self) -> &mut Writer<Si> {
        &mut self.writer
    }
}

/// A refused WebSocket publish in AppSync's words.
fn refusal_entry(refusal: &Refusal) -> ErrorEntry {
    match refusal {
        Refusal::NoNamespace => ErrorEntry::bare("UnauthorizedException"),
        Refusal::ModeNotAllowed => ErrorEntry::new("UnauthorizedException", NOT_AUTHORIZED),
        // AppSync's words over the socket, from amplify-android's live tests (lower case,
        // another error type than over HTTP).
        Refusal::TooManyEvents => ErrorEntry::new(
            "InvalidInputError",
            &format!("input exceeded {MAX_EVENTS_PER_PUBLISH} event limit"),
        ),
        Refusal::NoEvents => ErrorEntry::new("InvalidInputError", "input requires at least 1 event"),
        Refusal::NotAString(index) => ErrorEntry::new(
            "InvalidInputError",
            &format!("event at index {index} must be a JSON value serialized as a string"),
        ),
        Refusal::Handler(e) => ErrorEntry::new(e.error_type(), e.message()),
    }
}

/// An operation id: `[a-zA-Z0-9-_+]{1,128}` (AppSync Events guide).
fn check_id(id: &str) -> Result<(), String> {
    let ok = !id.is_empty()
        && id.len() <= 128
        && id.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '+'));
    if ok { Ok(()) } else { Err(format!("Invalid id {id:?}: expected 1 to 128 of [a-zA-Z0-9-_+]")) }
}

/// The answer to a frame that is not a message this endpoint understands.
fn unparseable(text: &str) -> ServerMessage {
    let parsed: Option<Value> = serde_json::from_str(text).ok();
    let id = parsed.as_ref().and_then(|v| v.get("id")).and_then(Value::as_str);
    match parsed.as_ref().and_then(|v| v.get("type")).and_then(Value::as_str) {
        None => ServerMessage::error(id, "BadRequestException", "Unable to parse the message."),
        Some(kind @ ("connection_init" | "subscribe" | "unsubscribe" | "publish")) => {
            ServerMessage::error(id, "BadRequestException", &format!("Malformed {kind} message."))
        }
        Some(kind) => ServerMessage::error(
            id,
            "UnsupportedOperation",
            &format!("{kind} not supported through the realtime channel"),
        ),
    }
}
