//! WebSocket plumbing shared by the GraphQL real-time endpoint ([`crate::realtime`]) and AppSync
//! Events ([`crate::events`]): frames as the protocols see them, the socket
//! ([`crate::socket`]) as a `Sink`/`Stream` pair, auth headers from a `header-` subprotocol or `?header=`, a writer that
//! gives up on clients too slow to read, and the per-connection inbound rate window.

use std::pin::Pin;
use std::time::Duration;

use crate::socket::TextFrames;
use axum::body::Body;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::Response;
use base64::Engine as _;
use futures_util::stream::BoxStream;
use futures_util::{Sink, SinkExt, StreamExt};
use serde_json::{Map, Value};
use tokio::sync::broadcast::error::RecvError;

/// A frame from the client, as far as the protocols care.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Inbound {
    /// A text frame.
    Text(String),
    /// A binary frame (AppSync speaks text only).
    Binary,
    /// A ping, for the writer to answer with its data.
    Ping(Vec<u8>),
    /// The client closed, or the transport failed.
    Close,
    /// Not a frame: the server is shutting down ([`split`] mixes this in when the server's
    /// [`Stopping`] signal fires), so the connection is to be closed from this side.
    Stopping,
}

/// A frame to the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Outbound {
    /// A text frame holding one protocol message.
    Text(String),
    /// Text frames written together (a fan-out's messages).
    Texts(TextFrames),
    /// A close frame with code and reason.
    Close(u16, &'static str),
    /// The answer to a ping.
    Pong(Vec<u8>),
}

/// Close codes: going away (the server shutting down), policy violation (auth, limits,
/// silence), too slow to keep up. For a server going down no capture of AppSync's close
/// exists; 1001 is what RFC 6455 (7.4.1) names for it.
pub(crate) const CLOSE_NORMAL: u16 = 1000;
pub(crate) const CLOSE_GOING_AWAY: u16 = 1001;
pub(crate) const CLOSE_POLICY: u16 = 1008;
pub(crate) const CLOSE_OVERLOADED: u16 = 1013;

/// The server side of an upgraded socket, as the connection loops take it.
pub(crate) type FrameSink = Pin<Box<dyn Sink<Outbound, Error = axum::Error> + Send + Sync>>;
/// The client side of an upgraded socket, as the connection loops take it.
pub(crate) type FrameStream = BoxStream<'static, Inbound>;

/// The server's shutdown as its upgraded connections see it: hyper's graceful shutdown lets go
/// of a connection once it is upgraded, so the server tells them itself, and waits until every
/// copy of this signal (one per connection) is dropped. The routes carry it as an extension
/// when the emulator serves them itself; a router embedded elsewhere has none.
#[derive(Clone, Debug)]
pub(crate) struct Stopping(tokio::sync::watch::Receiver<bool>);

impl Stopping {
    /// The signal and its sender: `send(true)` (or dropping the sender) stops the connections,
    /// and `closed()` on the sender resolves once every one of them has let go.
    pub(crate) fn channel() -> (tokio::sync::watch::Sender<bool>, Self) {
        let (tx, rx) = tokio::sync::watch::channel(false);
        (tx, Self(rx))
    }

    /// Resolves when the server is shutting down (or gone).
    async fn fired(mut self) {
        let _ = self.0.wait_for(|stopping| *stopping).await;
    }
}

/// The socket's frames, with [`Inbound::Stopping`] mixed in when `stopping` fires.
pub(crate) fn split(
    sink: crate::socket::FrameWriter,
    stream: crate::socket::FrameReader,
    stopping: Option<Stopping>,
) -> (FrameSink, FrameStream) {
    let stream = stream.boxed();
    let Some(stopping) = stopping else { return (Box::pin(sink), stream) };
    // The frames, with `Stopping` once when the signal fires (the connection loop ends there;
    // frames after it are still read, for a close handshake under way).
    let stream = futures_util::stream::unfold(
        (stream, Some(Box::pin(stopping.fired()))),
        |(mut frames, mut stopping)| async move {
            let next = match stopping.as_mut() {
                None => frames.next().await,
                Some(fired) => {
                    let (next, now) = tokio::select! {
                        biased;
                        frame = frames.next() => (frame, false),
                        () = fired => (Some(Inbound::Stopping), true),
                    };
                    if now {
                        stopping = None;
                    }
                    next
                }
            };
            next.map(|item| (item, (frames, stopping)))
        },
    )
    .boxed();
    (Box::pin(sink), stream)
}

/// The subprotocols a client asked for, in order.
pub(crate) fn requested_protocols(headers: &HeaderMap) -> Vec<String> {
    headers
        .get_all(header::SEC_WEBSOCKET_PROTOCOL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|p| p.trim().to_owned())
        .filter(|p| !p.is_empty())
        .collect()
}

/// The connect-time auth headers: from `?header=` or from a `header-` subprotocol.
pub(crate) fn connect_headers(query: Option<&str>, protocols: &[String]) -> Option<Map<String, Value>> {
    let from_query = query.and_then(|q| {
        q.split('&').find_map(|pair| {
            let (k, v) = pair.split_once('=')?;
            (k == "header").then(|| percent_decode(v))
        })
    });
    let encoded =
        from_query.or_else(|| protocols.iter().find_map(|p| p.strip_prefix("header-").map(str::to_owned)))?;
    match serde_json::from_slice::<Value>(&decode_base64(&encoded)?).ok()? {
        Value::Object(m) => Some(m),
        _ => None,
    }
}

/// Synthetic request parts for authorizing a handshake or a message with the HTTP
/// authenticator: POST `path` carrying the given headers (`host` among them). Values that are not
/// strings are skipped; a name or value HTTP cannot carry makes the whole set unusable.
pub(crate) fn authorization_parts(path: &str, headers: &Map<String, Value>) -> Option<http::request::Parts> {
    let mut builder = http::Request::builder().method("POST").uri(path);
    for (name, value) in headers {
        let Value::String(value) = value else { continue };
        let (Ok(name), Ok(value)) = (HeaderName::from_bytes(name.as_bytes()), HeaderValue::from_str(value))
        else {
            return None;
        };
        builder = builder.header(name, value);
    }
    builder.body(()).ok().map(|r| r.into_parts().0)
}

/// Base64 as clients write it: standard or URL-safe alphabet, padded or not.
fn decode_base64(s: &str) -> Option<Vec<u8>> {
    use base64::engine::DecodePaddingMode;
    use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
    let cfg = GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent);
    let standard = GeneralPurpose::new(&base64::alphabet::STANDARD, cfg);
    let url = GeneralPurpose::new(&base64::alphabet::URL_SAFE, cfg);
    let s = s.trim();
    standard.decode(s).or_else(|_| url.decode(s)).ok()
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2]))
        {
            out.push((h * 16 + l) as u8);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `400 BadRequestException` with `message`: the answer to a GET that is not an upgrade.
pub(crate) fn bad_request(message: &str) -> Response {
    let body =
        serde_json::json!({"errors": [{"errorType": "BadRequestException", "message": message}]}).to_string();
    let mut resp = Response::new(Body::from(body));
    *resp.status_mut() = StatusCode::BAD_REQUEST;
    resp.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json;charset=UTF-8"));
    resp
}

/// The server's end of a socket: every write is bounded by `timeout`, so a client that stops
/// reading is let go instead of holding the connection (and its queue) forever.
pub(crate) struct Writer<Si> {
    sink: Si,
    timeout: Duration,
}

impl<Si> Writer<Si> {
    pub(crate) fn new(sink: Si, timeout: Duration) -> Self {
        Self { sink, timeout }
    }
}

impl<Si> Writer<Si>
where
    Si: Sink<Outbound> + Unpin,
{
    /// Sends one text frame; false when the client is gone or too slow to take it.
    pub(crate) async fn send_text(&mut self, text: String) -> bool {
        matches!(tokio::time::timeout(self.timeout, self.sink.send(Outbound::Text(text))).await, Ok(Ok(())))
    }

    /// Sends `frames` and flushes once: one write for all of an event's messages rather than
    /// one per subscription.
    pub(crate) async fn send_all(&mut self, frames: TextFrames) -> bool {
        if frames.is_empty() {
            return true;
        }
        matches!(
            tokio::time::timeout(self.timeout, self.sink.send(Outbound::Texts(frames))).await,
            Ok(Ok(()))
        )
    }

    /// Answers a ping; false when the client is gone or too slow to take it.
    pub(crate) async fn pong(&mut self, data: Vec<u8>) -> bool {
        matches!(tokio::time::timeout(self.timeout, self.sink.send(Outbound::Pong(data))).await, Ok(Ok(())))
    }

    /// Sends a close frame.
    pub(crate) async fn close(&mut self, code: u16, reason: &'static str) -> bool {
        matches!(
            tokio::time::timeout(self.timeout, self.sink.send(Outbound::Close(code, reason))).await,
            Ok(Ok(()))
        )
    }
}

/// A protocol's side of one connection; [`serve`] runs the loop both endpoints share.
pub(crate) trait Session {
    /// What the connection's broadcast queue carries.
    type Item;
    /// The connection's frames out.
    type Sink: Sink<Outbound> + Unpin;

    /// The connection's writer.
    fn writer(&mut self) -> &mut Writer<Self::Sink>;

    /// Handles a text frame; false ends the connection. A session that acknowledges the client
    /// restarts `keep_alive`.
    async fn on_text(&mut self, text: &str, keep_alive: &mut tokio::time::Interval) -> bool;

    /// Answers a binary frame (AppSync speaks text only); false ends the connection.
    async fn on_binary(&mut self) -> bool;

    /// Whether the client has started using the connection: keep-alives flow from then on,
    /// and the init deadline no longer applies.
    fn started(&self) -> bool;

    /// Delivers one item of the queue to the connection's matching subscriptions; false when the
    /// client is gone or too slow.
    async fn deliver(&mut self, item: &Self::Item) -> bool;
}

/// The keep-alive, the same in both protocols.
const KA: &str = r#"{"type":"ka"}"#;

/// The timings [`serve`] keeps.
pub(crate) struct Timings {
    /// Time between keep-alives.
    pub(crate) keep_alive: Duration,
    /// A connection not [`started`](Session::started) within this is closed; `None`: never.
    pub(crate) init_timeout: Option<Duration>,
    /// A connection open this long is closed (1001), whatever it is doing; `None`: never.
    pub(crate) lifetime: Option<Duration>,
}

/// Serves one connection until either side closes: frames from the client, keep-alives, the
/// init deadline, the connection's lifetime, and the broadcast queue. A consumer the queue left behind reads too slowly: it
/// is closed with 1013 so that delivery to everyone else stays on time. A closed queue means
/// the server is stopping, and so does [`Inbound::Stopping`]: either way the client gets a
/// close (1001) before the socket goes.
pub(crate) async fn serve<S, St, T>(
    session: &mut S,
    stream: &mut St,
    queue: &mut tokio::sync::broadcast::Receiver<T>,
    timings: &Timings,
    endpoint: &'static str,
) where
    S: Session<Item = T>,
    St: futures_util::Stream<Item = Inbound> + Unpin,
    T: Clone,
{
    let deadline = timings.init_timeout;
    // Without a deadline the sleep never ends (tokio clamps it to the far future).
    let init_deadline = tokio::time::sleep(deadline.unwrap_or(Duration::MAX));
    tokio::pin!(init_deadline);
    let end_of_life = tokio::time::sleep(timings.lifetime.unwrap_or(Duration::MAX));
    tokio::pin!(end_of_life);
    let mut keep_alive = tokio::time::interval(timings.keep_alive);
    keep_alive.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            frame = stream.next() => {
                let keep_going = match frame {
                    None => false,
                    Some(Inbound::Close) => {
                        // The client's close, answered as RFC 6455 (5.5.1) asks.
                        let _ = session.writer().close(CLOSE_NORMAL, "").await;
                        false
                    }
                    Some(Inbound::Ping(data)) => session.writer().pong(data).await,
                    Some(Inbound::Stopping) => {
                        let _ = session.writer().close(CLOSE_GOING_AWAY, "server shutting down").await;
                        false
                    }
                    Some(Inbound::Binary) => session.on_binary().await,
                    Some(Inbound::Text(text)) => session.on_text(&text, &mut keep_alive).await,
                };
                if !keep_going {
                    break;
                }
            }
            () = &mut init_deadline, if deadline.is_some() && !session.started() => {
                tracing::debug!(endpoint, "connection sent no connection_init in time; closing");
                let _ = session.writer().close(CLOSE_POLICY, "connection_init not received in time").await;
                break;
            }
            () = &mut end_of_life, if timings.lifetime.is_some() => {
                tracing::debug!(endpoint, "connection reached its lifetime; closing");
                let _ = session.writer().close(CLOSE_GOING_AWAY, "connection lifetime reached").await;
                break;
            }
            _ = keep_alive.tick(), if session.started() => {
                if !session.writer().send_text(KA.to_owned()).await {
                    break;
                }
            }
            received = queue.recv() => match received {
                Ok(item) => {
                    if !session.deliver(&item).await {
                        break;
                    }
                }
                Err(RecvError::Lagged(missed)) => {
                    tracing::warn!(missed, endpoint, "consumer fell too far behind; disconnecting it");
                    let _ = session.writer().close(CLOSE_OVERLOADED, "too far behind").await;
                    break;
                }
                Err(RecvError::Closed) => {
                    let _ = session.writer().close(CLOSE_GOING_AWAY, "server shutting down").await;
                    break;
                }
            },
        }
    }
}

/// Inbound messages counted per one-second window, for a connection's rate limit.
pub(crate) struct RateWindow {
    start: tokio::time::Instant,
    count: u32,
    limit: u32,
}

impl RateWindow {
    pub(crate) fn new(limit: u32) -> Self {
        Self { start: tokio::time::Instant::now(), count: 0, limit }
    }

    /// Counts one message; false when it is over the limit of its window.
    pub(crate) fn admit(&mut self) -> bool {
        let now = tokio::time::Instant::now();
        if now.duration_since(self.start) >= Duration::from_secs(1) {
            self.start = now;
            self.count = 0;
        }
        self.count = self.count.saturating_add(1);
        self.count <= self.limit
    }
}

/// A connection's frames over channels, to drive a connection loop without a socket: the client
/// sends on `to_server` and reads what the server wrote from `from_server`.
#[cfg(test)]
pub(crate) struct ChannelFrames {
    pub(crate) sink: Pin<Box<dyn Sink<Outbound, Error = ()> + Send + Sync>>,
    pub(crate) stream: FrameStream,
    pub(crate) to_server: tokio::sync::mpsc::UnboundedSender<Inbound>,
    pub(crate) from_server: tokio::sync::mpsc::UnboundedReceiver<Outbound>,
}

#[cfg(test)]
impl ChannelFrames {
    /// Frames whose every write takes `delay`, to play a slow consumer.
    pub(crate) fn new(delay: Duration) -> Self {
        let (to_server, server_rx) = tokio::sync::mpsc::unbounded_channel::<Inbound>();
        let (server_tx, from_server) = tokio::sync::mpsc::unbounded_channel::<Outbound>();
        let sink = futures_util::sink::unfold(server_tx, move |tx, frame: Outbound| async move {
            if !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            // A test reads each message as its own frame, as the client does.
            match frame {
                Outbound::Texts(frames) => {
                    for text in frames.texts() {
                        tx.send(Outbound::Text(text)).map_err(|_| ())?;
                    }
                }
                frame => tx.send(frame).map_err(|_| ())?,
            }
            Ok::<_, ()>(tx)
        });
        let stream =
            futures_util::stream::unfold(server_rx, |mut rx| async move { rx.recv().await.map(|f| (f, rx)) })
                .boxed();
        Self { sink: Box::pin(sink), stream, to_server, from_server }
    }
}
