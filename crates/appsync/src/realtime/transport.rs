//! The socket behind a small adapter: the connection task speaks text frames through
//! [`Connector`] and [`Socket`]; [`Tungstenite`] is the implementation over tokio-tungstenite.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures_util::{SinkExt as _, StreamExt as _};
use tokio_tungstenite::tungstenite::{self, Message, client::IntoClientRequest as _};

/// A received text message. It shares the socket's read buffer (no copy), and an event's
/// payload keeps pointing into it until its subscriber decodes it.
pub(crate) type Text = tungstenite::Utf8Bytes;

use crate::error::{Error, Result};

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

/// tokio-tungstenite: rustls with the platform's roots for `wss://`, or with the TLS settings
/// given (the platform's roots and the authorities the caller added).
#[derive(Debug, Default, Clone)]
pub(crate) struct Tungstenite {
    pub(crate) tls: Option<Arc<tokio_rustls::rustls::ClientConfig>>,
}

type Stream = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

impl Connector for Tungstenite {
    fn connect(&self, request: ConnectRequest) -> BoxFuture<'_, Result<Box<dyn Socket>>> {
        Box::pin(async move {
            let mut http_request = request.url.as_str().into_client_request().map_err(Error::websocket)?;
            if !request.subprotocols.is_empty() {
                let value = http::HeaderValue::from_str(&request.subprotocols.join(", ")).map_err(|_| {
                    Error::config("realtime.auth_form", "the subprotocol is not a valid header")
                })?;
                http_request.headers_mut().insert(http::header::SEC_WEBSOCKET_PROTOCOL, value);
            }
            let connector = self.tls.clone().map(tokio_tungstenite::Connector::Rustls);
            let (stream, _response) =
                tokio_tungstenite::connect_async_tls_with_config(http_request, None, false, connector)
                    .await
                    .map_err(Error::websocket)?;
            Ok(Box::new(TungsteniteSocket { stream }) as Box<dyn Socket>)
        })
    }
}

struct TungsteniteSocket {
    stream: Stream,
}

impl Socket for TungsteniteSocket {
    fn send(&mut self, text: String) -> BoxFuture<'_, Result<()>> {
        Box::pin(async move { self.stream.send(Message::text(text)).await.map_err(Error::websocket) })
    }

    fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Text>>> {
        loop {
            return Poll::Ready(match std::task::ready!(self.stream.poll_next_unpin(cx)) {
                None => None,
                Some(Ok(Message::Text(text))) => Some(Ok(text)),
                Some(Ok(Message::Binary(bytes))) => match Text::try_from(bytes) {
                    Ok(text) => Some(Ok(text)),
                    Err(_) => continue,
                },
                Some(Ok(Message::Close(_))) => None,
                Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_))) => continue,
                Some(Err(tungstenite::Error::ConnectionClosed | tungstenite::Error::AlreadyClosed)) => None,
                Some(Err(e)) => Some(Err(Error::websocket(e))),
            });
        }
    }

    fn close(&mut self) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            let polite = async {
                let _ = self.stream.close(None).await;
                while let Some(Ok(_)) = self.stream.next().await {}
            };
            let _ = tokio::time::timeout(std::time::Duration::from_secs(1), polite).await;
        })
    }
}

/// The next text message of `socket` (see [`Socket::poll_recv`]).
pub(crate) async fn recv(socket: &mut dyn Socket) -> Option<Result<Text>> {
    std::future::poll_fn(|cx| socket.poll_recv(cx)).await
}
