//! The socket behind a small adapter: the connection task speaks text frames through
//! [`Connector`] and [`Socket`]; [`Tungstenite`] is the implementation over tokio-tungstenite.

use std::future::Future;
use std::pin::Pin;

use futures_util::{SinkExt as _, StreamExt as _};
use tokio_tungstenite::tungstenite::{self, Message, client::IntoClientRequest as _};

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
    /// The next text message; `None` once the peer closed or the connection broke.
    fn recv(&mut self) -> BoxFuture<'_, Option<Result<String>>>;
    /// Sends a close frame and waits (briefly) for the peer's.
    fn close(&mut self) -> BoxFuture<'_, ()>;
}

/// tokio-tungstenite (rustls with the platform's roots for `wss://`).
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Tungstenite;

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
            let (stream, _response) =
                tokio_tungstenite::connect_async(http_request).await.map_err(Error::websocket)?;
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

    fn recv(&mut self) -> BoxFuture<'_, Option<Result<String>>> {
        Box::pin(async move {
            loop {
                return match self.stream.next().await? {
                    Ok(Message::Text(text)) => Some(Ok(text.as_str().to_owned())),
                    Ok(Message::Binary(bytes)) => match String::from_utf8(bytes.to_vec()) {
                        Ok(text) => Some(Ok(text)),
                        Err(_) => continue,
                    },
                    Ok(Message::Close(_)) => None,
                    Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_)) => continue,
                    Err(tungstenite::Error::ConnectionClosed | tungstenite::Error::AlreadyClosed) => None,
                    Err(e) => Some(Err(Error::websocket(e))),
                };
            }
        })
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
