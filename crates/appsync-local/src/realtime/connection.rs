//! One real-time connection, generic over its frames' `Sink` and `Stream` so the whole
//! protocol can be driven in tests without a socket.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::SystemTime;

use futures_util::{Sink, Stream, StreamExt};
use serde_json::{Map, Value};

use super::filter::{FilterGroup, arguments_match};
use super::protocol::{AckPayload, ClientMessage, ErrorEntry, ErrorsPayload, ServerMessage, TypedError};
use super::subscription::Prepared;
use super::{RealtimeOptions, authorization_parts};
use crate::Emulator;
use crate::auth::{AuthFailure, Identity, RequestParts};
use crate::json::string_literal;
use crate::mutation_bus::MutationEvent;
use crate::resolver::ResolverContext;
use crate::socket::TextFrames;
use crate::websocket::{CLOSE_POLICY, Inbound, Outbound, RateWindow, Session, Timings, Writer, serve};

struct Registered {
    prepared: Prepared,
    /// The enhanced filter a subscription resolver set, if any.
    filter: Option<FilterGroup>,
    /// The invalidation filter it set (`extensions.setSubscriptionInvalidationFilter`), if any:
    /// a mutation's `invalidateSubscriptions` payload that matches it ends the subscription.
    invalidation: Option<FilterGroup>,
    /// Subscriptions of a connection with the same response key and selection share this
    /// number, so an event is shaped once for all of them.
    shape: u32,
    /// Counts this subscription in [`Emulator::subscriptions`] while it lives.
    _live: Live,
}

/// One live subscription in the emulator's count: added when made, taken away when dropped
/// (on `stop`, or with its connection).
struct Live(Arc<AtomicUsize>);

impl Live {
    fn new(count: &Arc<AtomicUsize>) -> Self {
        count.fetch_add(1, Ordering::Relaxed);
        Self(Arc::clone(count))
    }
}

impl Drop for Live {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

struct Connection<'a, Si> {
    emulator: &'a Emulator,
    options: &'a RealtimeOptions,
    writer: Writer<Si>,
    subscriptions: HashMap<String, Registered>,
    rate: RateWindow,
    /// The last shape number given out.
    shapes: u32,
    /// Whether the client sent `connection_init` (or had a `start` acknowledged).
    initialized: bool,
    /// The connection's addresses (the upgrade request's `x-forwarded-for` entries, then its
    /// peer): `ctx.identity.sourceIp` of every `start`, whose own headers carry none.
    source_ip: Vec<String>,
}

impl<'a, Si> Connection<'a, Si> {
    /// A connection with no subscription yet and a fresh rate-limit window.
    fn new(emulator: &'a Emulator, options: &'a RealtimeOptions, sink: Si) -> Self {
        Self {
            emulator,
            options,
            writer: Writer::new(sink, options.write_timeout),
            subscriptions: HashMap::new(),
            rate: RateWindow::new(options.max_inbound_per_second),
            shapes: 0,
            initialized: false,
            source_ip: Vec::new(),
        }
    }
}

/// Answers a connection that cannot be served with `message` (a `connection_error`) and closes it.
pub(crate) async fn refuse<Si, St>(
    emulator: Emulator,
    options: Arc<RealtimeOptions>,
    message: ServerMessage,
    reason: &'static str,
    sink: Si,
    mut stream: St,
) where
    Si: Sink<Outbound> + Unpin,
    St: Stream<Item = Inbound> + Unpin,
{
    let mut conn = Connection::new(&emulator, &options, sink);
    conn.refuse(&mut stream, &message, reason).await;
}

/// Serves one connection until either side closes. `connect` is the outcome of the
/// connect-time authorization; a failure is reported with `connection_error` and a close. The
/// connect identity's [`source_ip`](Identity::source_ip) becomes that of every `start`.
pub(crate) async fn run<Si, St>(
    emulator: Emulator,
    options: Arc<RealtimeOptions>,
    connect: Result<Identity, AuthFailure>,
    sink: Si,
    mut stream: St,
) where
    Si: Sink<Outbound> + Unpin,
    St: Stream<Item = Inbound> + Unpin,
{
    let mut conn = Connection::new(&emulator, &options, sink);
    match connect {
        Ok(identity) => conn.source_ip = identity.source_ip().to_vec(),
        Err(failure) => {
            tracing::debug!(error_type = failure.error_type, "realtime connection refused");
            conn.refuse(&mut stream, &ServerMessage::unauthorized_connection(), "unauthorized").await;
            return;
        }
    }
    // Subscribed before any `start` so that no event published after a `start_ack` is missed.
    let mut events = emulator.subscribe_mutations();
    let timings = Timings {
        keep_alive: options.keep_alive_interval,
        init_timeout: Some(options.init_timeout),
        lifetime: None,
    };
    serve(&mut conn, &mut stream, &mut events, &timings, "graphql realtime").await;
    // Dropping `conn` drops every subscription of this connection at once.
}

impl<Si> Connection<'_, Si>
where
    Si: Sink<Outbound> + Unpin,
{
    /// Sends `message`, a `connection_error`, then closes.
    async fn refuse<St>(&mut self, stream: &mut St, message: &ServerMessage, reason: &'static str)
    where
        St: Stream<Item = Inbound> + Unpin,
    {
        // AppSync answers the client's first message (normally `connection_init`) with the
        // error: a client that writes before it reads (gql, Amplify) would otherwise find the
        // socket closed under its `connection_init` and never see why.
        let _ = tokio::time::timeout(self.options.init_timeout, stream.next()).await;
        let _ = self.send(message).await;
        let _ = self.writer.close(CLOSE_POLICY, reason).await;
    }

    /// Sends one message; false when the client is gone or too slow to take it.
    async fn send(&mut self, message: &ServerMessage) -> bool {
        self.writer.send_text(message.to_json()).await
    }

    /// `start_ack`, or the `error` explaining why not.
    async fn start(
        &mut self,
        id: &str,
        data: &str,
        authorization: Option<&Map<String, Value>>,
    ) -> ServerMessage {
        let refuse = |errors: Vec<ErrorEntry>| ServerMessage::Error {
            id: Some(id.to_owned()),
            payload: ErrorsPayload::list(errors),
        };
        if id.is_empty() {
            return ServerMessage::error(None, "BadRequestException", "A start message needs an id.");
        }
        if self.subscriptions.contains_key(id) {
            return ServerMessage::error(
                Some(id),
                "DuplicatedOperationError",
                // AppSync's wording, as clients have reported it.
                &format!("Duplicated operation with id {id}"),
            );
        }
        if self.subscriptions.len() >= self.options.max_subscriptions {
            return ServerMessage::limit_error(
                Some(id),
                "MaxSubscriptionsReachedError",
                &format!("Max number of {} subscriptions reached", self.options.max_subscriptions),
            );
        }
        let inner = &self.emulator.inner;
        let identity = match authorization.and_then(|h| authorization_parts("/graphql", h)) {
            None => Err(AuthFailure::unauthorized()),
            Some(parts) => {
                inner
                    .auth
                    .authenticate_request(
                        &RequestParts { parts: &parts, body: data.as_bytes() },
                        SystemTime::now(),
                    )
                    .await
            }
        };
        let mut identity = match identity {
            Ok(identity) => identity,
            Err(failure) => {
                tracing::debug!(error_type = failure.error_type, "realtime start refused");
                return refuse(vec![ErrorEntry::Typed(TypedError {
                    error_type: "UnauthorizedException".to_owned(),
                    message: "You are not authorized to make this call.".to_owned(),
                    error_code: Some(401),
                })]);
            }
        };
        identity.set_source_ip(self.source_ip.clone());
        let Some(request) = crate::http::parse_request(data.as_bytes()) else {
            return ServerMessage::error(
                Some(id),
                "MalformedHttpRequestException",
                "Unable to parse GraphQL query.",
            );
        };
        match inner.engine.prepare_subscription(&request, &identity) {
            Ok(prepared) => match self.subscription_filter(&prepared, &identity).await {
                Ok((filter, invalidation)) => {
                    let same = self.subscriptions.values().find(|r| {
                        r.prepared.response_key == prepared.response_key && r.prepared.plan == prepared.plan
                    });
                    let shape = match same {
                        Some(r) => r.shape,
                        None => {
                            self.shapes += 1;
                            self.shapes
                        }
                    };
                    let live = Live::new(&inner.live_subscriptions);
                    self.subscriptions.insert(
                        id.to_owned(),
                        Registered { prepared, filter, invalidation, shape, _live: live },
                    );
                    ServerMessage::StartAck { id: id.to_owned() }
                }
                Err(entry) => refuse(vec![entry]),
            },
            // On the socket AppSync's validation errors carry their message only, no
            // `locations` or `path` (captures in amplify-swift #1589, amplify-cli #7427).
            Err(errors) => refuse(errors.into_iter().map(message_only).collect()),
        }
    }

    /// Runs the subscription field's registered resolver, if any, once at `start`, as AppSync
    /// runs a subscription resolver: an error refuses the subscription, a returned
    /// `{"filterGroup": [...]}` becomes the subscription's enhanced filter, and a returned
    /// `{"invalidationFilter": {"filterGroup": [...]}}` its invalidation filter.
    async fn subscription_filter(
        &self,
        p: &Prepared,
        identity: &Identity,
    ) -> Result<(Option<FilterGroup>, Option<FilterGroup>), ErrorEntry> {
        let resolvers = &self.emulator.inner.engine.resolvers;
        let Some(resolver) = resolvers.get(&p.type_name).and_then(|fields| fields.get(&p.field)) else {
            return Ok((None, None));
        };
        let ctx = ResolverContext {
            type_name: p.type_name.clone(),
            field_name: p.field.clone(),
            arguments: p.arguments.clone(),
            source: None,
            identity: identity.clone(),
            variables: Map::new(),
            headers: std::collections::BTreeMap::new(),
            selection_set_list: Vec::new(),
            selection_set_graphql: String::new(),
            appended: std::sync::Arc::default(),
            invalidations: std::sync::Arc::default(),
        };
        let invalid = |why: String| {
            ErrorEntry::Typed(TypedError {
                error_type: "BadRequestException".to_owned(),
                message: format!("Invalid subscription filter: {why}"),
                error_code: None,
            })
        };
        match resolver(ctx).await {
            Ok(v) => {
                let filter = v
                    .get("filterGroup")
                    .is_some()
                    .then(|| FilterGroup::parse(&v))
                    .transpose()
                    .map_err(invalid)?;
                let invalidation =
                    v.get("invalidationFilter").map(FilterGroup::parse).transpose().map_err(invalid)?;
                Ok((filter, invalidation))
            }
            Err(e) => {
                let mut m = Map::new();
                m.insert("errorType".to_owned(), e.error_type.clone().map_or(Value::Null, Value::from));
                m.insert("message".to_owned(), Value::from(e.message.clone()));
                m.insert("errorInfo".to_owned(), e.error_info.clone().unwrap_or(Value::Null));
                Err(ErrorEntry::Json(Value::Object(m)))
            }
        }
    }
}

impl<Si> Session for Connection<'_, Si>
where
    Si: Sink<Outbound> + Unpin,
{
    type Item = Arc<MutationEvent>;
    type Sink = Si;

    /// Handles one text frame; false ends the connection.
    async fn on_text(&mut self, text: &str, keep_alive: &mut tokio::time::Interval) -> bool {
        if !self.rate.admit() {
            return self
                .send(&ServerMessage::limit_error(None, "LimitExceededError", "Rate limit exceeded"))
                .await;
        }
        if text.len() > self.options.max_message_bytes {
            let message =
                format!("Message size exceeds the limit of {} bytes", self.options.max_message_bytes);
            return self.send(&ServerMessage::limit_error(None, "LimitExceededError", &message)).await;
        }
        let message = match serde_json::from_str::<ClientMessage>(text) {
            Ok(m) => m,
            Err(_) => return self.send(&unparseable(text)).await,
        };
        match message {
            ClientMessage::ConnectionInit { .. } => {
                self.initialized = true;
                let ack = ServerMessage::ConnectionAck {
                    payload: AckPayload { connection_timeout_ms: self.options.connection_timeout_ms },
                };
                // AppSync follows the ack with a first `ka` at once, then one per interval.
                keep_alive.reset();
                self.send(&ack).await && self.send(&ServerMessage::Ka).await
            }
            ClientMessage::Start { id, payload } => {
                if payload.extensions.authorization.is_none()
                    && serde_json::from_str::<Value>(text)
                        .is_ok_and(|v| start_with_misplaced_authorization(&v))
                {
                    return self.send(&not_supported()).await;
                }
                let answer = self.start(&id, &payload.data, payload.extensions.authorization.as_ref()).await;
                if matches!(answer, ServerMessage::StartAck { .. }) {
                    // A client that subscribes without `connection_init` is using the
                    // connection; the init deadline no longer applies.
                    self.initialized = true;
                }
                self.send(&answer).await
            }
            ClientMessage::Stop { id } => {
                // `complete` either way: the client's view (not subscribed) is right.
                self.subscriptions.remove(&id);
                self.send(&ServerMessage::Complete { id }).await
            }
        }
    }

    async fn on_binary(&mut self) -> bool {
        let message = "Binary messages are not supported through the realtime channel";
        self.send(&ServerMessage::error(None, "UnsupportedOperation", message)).await
    }

    fn started(&self) -> bool {
        self.initialized
    }

    /// Ends the subscriptions `event` invalidates (each gets `complete`), then sends `event` to
    /// every subscription of this connection that it matches, as one write.
    async fn deliver(&mut self, event: &Arc<MutationEvent>) -> bool {
        if self.subscriptions.is_empty() {
            return true;
        }
        let mut outgoing = TextFrames::default();
        for invalidation in &event.invalidations {
            let ended: Vec<String> = self
                .subscriptions
                .iter()
                .filter(|(_, sub)| {
                    sub.prepared.field == invalidation.subscription_field
                        && sub.invalidation.as_ref().is_some_and(|f| f.matches(&invalidation.payload))
                })
                .map(|(id, _)| id.clone())
                .collect();
            for id in ended {
                self.subscriptions.remove(&id);
                outgoing.push(&[&ServerMessage::Complete { id }.to_json()]);
            }
        }
        // Subscriptions of one connection usually share a selection: each shape is projected
        // and serialized once per event.
        let mut shaped: Vec<(u32, Option<String>)> = Vec::new();
        for (id, sub) in &self.subscriptions {
            let p = &sub.prepared;
            if !event.subscriptions().contains(&p.field)
                || !arguments_match(&p.arguments, event.data())
                || sub.filter.as_ref().is_some_and(|f| !f.matches(event.data()))
            {
                continue;
            }
            let index = shaped.iter().position(|(s, _)| *s == sub.shape).unwrap_or_else(|| {
                shaped.push((sub.shape, shape(p, event)));
                shaped.len() - 1
            });
            let Some(data) = &shaped[index].1 else { continue };
            let id = string_literal(id);
            let message = data_message(&id, data);
            let bytes: usize = message.iter().map(|part| part.len()).sum();
            if bytes > self.options.max_message_bytes {
                tracing::warn!(subscription = %p.field, bytes, "event exceeds the message size limit; not delivered");
                continue;
            }
            outgoing.push(&message);
        }
        self.writer.send_all(outgoing).await
    }

    fn writer(&mut self) -> &mut Writer<Si> {
        &mut self.writer
    }
}

/// `{"<response key>": <the event as the subscription selects it>}` as JSON text, logging the
/// selected fields the mutation did not select (they arrive as null, as on AppSync).
fn shape(p: &Prepared, event: &MutationEvent) -> Option<String> {
    let mut missing = Vec::new();
    let value = p.plan.project(event.data(), "", &mut missing);
    if !missing.is_empty() {
        tracing::warn!(
            subscription = %p.field,
            mutation = %event.field(),
            fields = ?missing,
            "subscription selects fields the mutation did not select; they arrive as null"
        );
    }
    let mut data = Map::new();
    data.insert(p.response_key.clone(), value);
    serde_json::to_string(&Value::Object(data)).ok()
}

/// The `data` message for the subscription whose id is `id_literal` (a JSON string literal,
/// quotes included), laid out as [`ServerMessage::Data`] serializes, around already serialized
/// `data`: its parts in order, written into the message's frame as they are (as the Events
/// endpoint's `push_data_message` does) rather than joined into a `String` first.
fn data_message<'a>(id_literal: &'a str, data: &'a str) -> [&'a str; 5] {
    [r#"{"type":"data","id":"#, id_literal, r#","payload":{"data":"#, data, "}}"]
}

/// A validation error as the socket words it: `{"message": ...}` (typed protocol errors such
/// as `UnsupportedOperation` keep their `errorType`).
fn message_only(error: Value) -> ErrorEntry {
    match error {
        Value::Object(mut m) if m.get("errorType").is_none_or(Value::is_null) => {
            let mut only = Map::new();
            only.insert("message".to_owned(), m.remove("message").unwrap_or(Value::Null));
            ErrorEntry::Json(Value::Object(only))
        }
        other => ErrorEntry::Json(other),
    }
}

/// AppSync's answer to a message it cannot place: no `id`, and "unknown" whatever the type
/// was (captures in enisdenjo/graphql-ws #602, for a `subscribe`, and artilleryio/artillery
/// #1567).
fn not_supported() -> ServerMessage {
    ServerMessage::error(None, "UnsupportedOperation", "unknown not supported through the realtime channel")
}

/// The answer to a frame that is not a message this endpoint understands.
fn unparseable(text: &str) -> ServerMessage {
    let parsed: Option<Value> = serde_json::from_str(text).ok();
    let id = parsed.as_ref().and_then(|v| v.get("id")).and_then(Value::as_str);
    match parsed.as_ref().and_then(|v| v.get("type")).and_then(Value::as_str) {
        None => ServerMessage::error(id, "BadRequestException", "Unable to parse the message."),
        // Auth at `payload.authorization` rather than `payload.extensions.authorization` is
        // not a `start` AppSync recognizes either (FIDELITY.md 3).
        Some("start") if parsed.as_ref().is_some_and(start_with_misplaced_authorization) => not_supported(),
        Some(kind @ ("connection_init" | "start" | "stop")) => {
            ServerMessage::error(id, "BadRequestException", &format!("Malformed {kind} message."))
        }
        Some(_) => not_supported(),
    }
}

/// A `start` carrying `payload.authorization` and no `payload.extensions.authorization`.
fn start_with_misplaced_authorization(message: &Value) -> bool {
    let payload = &message["payload"];
    payload.get("authorization").is_some() && payload["extensions"].get("authorization").is_none()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::data_message;
    use crate::json::string_literal;
    use crate::realtime::protocol::{DataPayload, ServerMessage};
    use crate::socket::TextFrames;

    #[test]
    fn data_message_is_laid_out_as_the_serde_type() {
        let data = json!({"onCreatePost": {"id": "p\"1", "title": "é\n", "n": null}});
        for id in ["1", "sub \"quoted\" \\ id", "ünï", ""] {
            let typed =
                ServerMessage::Data { id: id.to_owned(), payload: DataPayload { data: data.clone() } };
            let mut frames = TextFrames::default();
            frames.push(&data_message(&string_literal(id), &data.to_string()));
            assert_eq!(frames.texts(), [typed.to_json()]);
        }
    }
}
