//! The socket behind a small adapter: the connection task speaks text frames through
//! [`Connector`] and [`Socket`]; [`WebSocketConnector`](super::websocket::WebSocketConnector) is
//! the implementation over TCP and rustls.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio_tungstenite::tungstenite;

/// A received text message. It shares the socket's read buffer (no copy), and an event's
/// payload keeps pointing into it until its subscriber decodes it.
pub(crate) type Text = tungstenite::Utf8Bytes;

use crate::error::Result;

pub(crate) type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What to open: the `ws(s)://` URL (with the auth query parameters when that form is used)
/// and the `Sec-WebSocket-Protocol` values, in order of preference.
#[derive(Debug, Clone)]
pub(crate) struct ConnectRequest {
    pub(crate) url: reqwest::Url,
    pub(crate) subprotocols: Vec<String>,
}

/// Opens sockets.
pub(crate) trait Connector: Send + Sync + 'static {
    fn connect(&self, request: ConnectRequest) -> BoxFuture<'_, Result<Box<dyn Socket>>>;
}

/// An open socket carrying text messages. `recv` is cancel-safe (it is raced against timers).
pub(crate) trait Socket: Send {
    fn send(&mut self, text: String) -> BoxFuture<'_, Result<()>>;
    /// The next text message; `Ready(None)` once the peer closed or the connection broke.
    /// Polled rather than awaited so that the connection task can take every message that
    /// is already buffered in one wake-up.
    fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Text>>>;
    /// Sends a close frame and waits (briefly) for the peer's.
    fn close(&mut self) -> BoxFuture<'_, ()>;
}

/// The next text message of `socket` (see [`Socket::poll_recv`]).
pub(crate) async fn recv(socket: &mut dyn Socket) -> Option<Result<Text>> {
    std::future::poll_fn(|cx| socket.poll_recv(cx)).await
}
