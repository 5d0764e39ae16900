//! The real-time sockets' WebSocket client (RFC 6455), over TCP or rustls: the opening
//! handshake, then frames read out of one buffer and written masked.
//!
//! Written for the one thing the connection task does in bulk, receiving small text messages:
//! everything read lands in one buffer, each message is a slice of it (no copy, and none of
//! the per-message waker registration a general stream adapter does), and the buffer grows
//! without being zeroed first. tungstenite supplies the handshake's key functions, the message
//! text type and the error values, so that errors read and classify as they always have.

use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll, ready};
use std::time::Duration;

use bytes::{Buf as _, Bytes, BytesMut};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt as _};
use tokio_rustls::rustls::{self, ClientConfig, crypto::CryptoProvider, pki_types::ServerName};
use tokio_tungstenite::tungstenite::Error as WsError;
use tokio_tungstenite::tungstenite::error::{CapacityError, ProtocolError, SubProtocolError, UrlError};
use tokio_tungstenite::tungstenite::handshake::{client::generate_key, derive_accept_key};
use tokio_tungstenite::tungstenite::protocol::frame::coding::Data;

use super::transport::{BoxFuture, ConnectRequest, Connector, Socket, Text};
use crate::error::{Error, Result};

/// A message (all its frames) may be this large: tungstenite's default, far above AppSync's
/// own limits (240 KB per event).
const MAX_MESSAGE: usize = 64 << 20;
/// How much room a read asks for at least.
const READ_CHUNK: usize = 64 * 1024;
/// The handshake's response head may be this large.
const MAX_HEAD: usize = 64 * 1024;
/// A refusal's body is read up to this size (its error classifies the refusal).
const MAX_REFUSAL_BODY: usize = 64 * 1024;

const TEXT: u8 = 0x1;
const BINARY: u8 = 0x2;
const CLOSE: u8 = 0x8;
const PING: u8 = 0x9;
const PONG: u8 = 0xa;

/// What the socket runs over.
trait Io: AsyncRead + AsyncWrite + Send + Unpin {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin> Io for T {}

/// Opens `ws://` and `wss://` sockets: rustls with `tls` when given (the platform's roots and
/// the authorities the caller added), else with the platform's roots.
#[derive(Debug, Default, Clone)]
pub(crate) struct WebSocketConnector {
    pub(crate) tls: Option<Arc<ClientConfig>>,
}

impl Connector for WebSocketConnector {
    fn connect(&self, request: ConnectRequest) -> BoxFuture<'_, Result<Box<dyn Socket>>> {
        Box::pin(async move {
            let socket = WebSocket::connect(&request, self.tls.clone()).await?;
            Ok(Box::new(socket) as Box<dyn Socket>)
        })
    }
}

/// rustls settings with the platform's roots, made once.
fn platform_tls() -> Result<Arc<ClientConfig>> {
    static PLATFORM: OnceLock<Option<Arc<ClientConfig>>> = OnceLock::new();
    PLATFORM
        .get_or_init(|| crate::builder::tls_with_roots(Vec::new()).ok().map(Arc::new))
        .clone()
        .ok_or_else(|| Error::config("realtime", "no TLS settings could be made from the platform's roots"))
}

/// Where masking keys come from: the TLS settings' own source of randomness.
fn provider() -> Arc<CryptoProvider> {
    static PROVIDER: OnceLock<Arc<CryptoProvider>> = OnceLock::new();
    PROVIDER.get_or_init(|| Arc::new(rustls::crypto::aws_lc_rs::default_provider())).clone()
}

/// An open WebSocket.
pub(crate) struct WebSocket {
    io: Box<dyn Io>,
    /// Received bytes not yet taken as frames; each message is split off it.
    read: BytesMut,
    /// A fragmented message so far: its opcode and its data.
    partial: Option<(u8, BytesMut)>,
    /// Control frames (pong, close) waiting to be written.
    pending: Vec<u8>,
    close_sent: bool,
    /// The peer closed (a close frame, or the end of the stream).
    closed: bool,
}

fn ws(error: impl Into<WsError>) -> Error {
    Error::websocket(error.into())
}

impl WebSocket {
    /// Connects, runs the opening handshake and checks the server's answer: `101`, the accept
    /// key, a subprotocol among those offered. A refusal comes back as the HTTP error it was.
    async fn connect(request: &ConnectRequest, tls: Option<Arc<ClientConfig>>) -> Result<Self> {
        let url = &request.url;
        let secure = match url.scheme() {
            "wss" => true,
            "ws" => false,
            _ => return Err(ws(UrlError::UnsupportedUrlScheme)),
        };
        let host = url.host_str().filter(|h| !h.is_empty()).ok_or_else(|| ws(UrlError::NoHostName))?;
        let port = url.port_or_known_default().unwrap_or(if secure { 443 } else { 80 });
        // An IPv6 literal comes bracketed, as the Host header wants it.
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        let tcp = tokio::net::TcpStream::connect((bare, port)).await.map_err(ws)?;
        // Messages are written whole; waiting to coalesce them only adds latency.
        tcp.set_nodelay(true).map_err(ws)?;
        let io: Box<dyn Io> = if secure {
            let config = match tls {
                Some(config) => config,
                None => platform_tls()?,
            };
            let name = ServerName::try_from(bare.to_owned()).map_err(|_| ws(UrlError::NoHostName))?;
            Box::new(tokio_rustls::TlsConnector::from(config).connect(name, tcp).await.map_err(ws)?)
        } else {
            Box::new(tcp)
        };
        let mut socket = Self {
            io,
            read: BytesMut::with_capacity(READ_CHUNK),
            partial: None,
            pending: Vec::new(),
            close_sent: false,
            closed: false,
        };
        socket.handshake(request, host).await?;
        Ok(socket)
    }

    async fn handshake(&mut self, request: &ConnectRequest, host: &str) -> Result<()> {
        let url = &request.url;
        let key = generate_key();
        let mut head = format!("GET {}", url.path());
        if let Some(query) = url.query() {
            head.push('?');
            head.push_str(query);
        }
        head.push_str(" HTTP/1.1\r\nHost: ");
        head.push_str(host);
        if let Some(port) = url.port() {
            head.push_str(&format!(":{port}"));
        }
        head.push_str("\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n");
        head.push_str(&format!("Sec-WebSocket-Key: {key}\r\n"));
        if !request.subprotocols.is_empty() {
            let protocols = request.subprotocols.join(", ");
            if protocols.bytes().any(|b| b.is_ascii_control()) {
                return Err(Error::config("realtime.auth_form", "the subprotocol is not a valid header"));
            }
            head.push_str(&format!("Sec-WebSocket-Protocol: {protocols}\r\n"));
        }
        head.push_str("\r\n");
        self.io.write_all(head.as_bytes()).await.map_err(ws)?;
        self.io.flush().await.map_err(ws)?;

        let (response, head_len) = loop {
            let mut headers = [httparse::EMPTY_HEADER; 64];
            let mut parsed = httparse::Response::new(&mut headers);
            match parsed.parse(&self.read) {
                Ok(httparse::Status::Complete(len)) => break (response_of(&parsed)?, len),
                Ok(httparse::Status::Partial) if self.read.len() < MAX_HEAD => {}
                Ok(httparse::Status::Partial) => return Err(ws(CapacityError::TooManyHeaders)),
                Err(e) => return Err(ws(ProtocolError::HttparseError(e))),
            }
            if self.fill().await? == 0 {
                return Err(ws(ProtocolError::HandshakeIncomplete));
            }
        };
        self.read.advance(head_len);
        if response.status() != http::StatusCode::SWITCHING_PROTOCOLS {
            return Err(self.refusal(response).await);
        }
        let header = |name: http::HeaderName| {
            response.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned()
        };
        if !header(http::header::UPGRADE).eq_ignore_ascii_case("websocket") {
            return Err(ws(ProtocolError::MissingUpgradeWebSocketHeader));
        }
        if !header(http::header::CONNECTION).split(',').any(|t| t.trim().eq_ignore_ascii_case("upgrade")) {
            return Err(ws(ProtocolError::MissingConnectionUpgradeHeader));
        }
        if header(http::header::SEC_WEBSOCKET_ACCEPT) != derive_accept_key(key.as_bytes()) {
            return Err(ws(ProtocolError::SecWebSocketAcceptKeyMismatch));
        }
        let chosen = header(http::header::SEC_WEBSOCKET_PROTOCOL);
        if !chosen.is_empty() && !request.subprotocols.contains(&chosen) {
            return Err(ws(ProtocolError::SecWebSocketSubProtocolError(
                SubProtocolError::InvalidSubProtocol,
            )));
        }
        Ok(())
    }

    /// A refused upgrade as the HTTP error it is, with its body (what there is of it within a
    /// second and [`MAX_REFUSAL_BODY`]), which names the reason.
    async fn refusal(&mut self, mut response: http::Response<Option<Vec<u8>>>) -> Error {
        let length = response
            .headers()
            .get(http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok()?.parse::<usize>().ok())
            .unwrap_or(0)
            .min(MAX_REFUSAL_BODY);
        let body = async {
            while self.read.len() < length {
                if !matches!(self.fill().await, Ok(1..)) {
                    break;
                }
            }
        };
        let _ = tokio::time::timeout(Duration::from_secs(1), body).await;
        if !self.read.is_empty() {
            let end = self.read.len().min(length);
            *response.body_mut() = Some(self.read.split_to(end).to_vec());
        }
        ws(WsError::Http(Box::new(response)))
    }

    /// Reads more into the buffer; how much (0 at the end of the stream).
    async fn fill(&mut self) -> Result<usize> {
        std::future::poll_fn(|cx| self.poll_fill(cx)).await
    }

    fn poll_fill(&mut self, cx: &mut Context<'_>) -> Poll<Result<usize>> {
        if self.read.capacity() - self.read.len() < READ_CHUNK / 4 {
            self.read.reserve(READ_CHUNK);
        }
        let read = ready!(tokio_util::io::poll_read_buf(Pin::new(&mut self.io), cx, &mut self.read));
        Poll::Ready(read.map_err(ws))
    }

    /// Writes what is pending, as far as the socket takes it now.
    fn poll_flush_pending(&mut self, cx: &mut Context<'_>) -> Poll<Result<()>> {
        if self.pending.is_empty() {
            return Poll::Ready(Ok(()));
        }
        while !self.pending.is_empty() {
            let written = ready!(Pin::new(&mut self.io).poll_write(cx, &self.pending)).map_err(ws)?;
            if written == 0 {
                return Poll::Ready(Err(ws(std::io::Error::from(std::io::ErrorKind::WriteZero))));
            }
            self.pending.drain(..written);
        }
        Pin::new(&mut self.io).poll_flush(cx).map_err(ws)
    }

    /// Queues a frame (masked, as a client's must be).
    fn queue(&mut self, opcode: u8, payload: &[u8]) -> Result<()> {
        let mut mask = [0u8; 4];
        provider()
            .secure_random
            .fill(&mut mask)
            .map_err(|_| Error::transport_message("no random masking key could be made"))?;
        encode_frame(opcode, payload, mask, &mut self.pending);
        Ok(())
    }

    /// The next whole message in the buffer, handling the control frames before it; `None`
    /// when more must be read first.
    fn next_message(&mut self) -> Result<Option<Received>> {
        loop {
            let Some(header) = Header::parse(&self.read).map_err(ws)? else {
                return Ok(None);
            };
            let buffered = self.partial.as_ref().map_or(0, |(_, data)| data.len());
            if header.len > MAX_MESSAGE - buffered {
                return Err(ws(CapacityError::MessageTooLong {
                    size: buffered + header.len,
                    max_size: MAX_MESSAGE,
                }));
            }
            let total = header.head + header.len;
            if self.read.len() < total {
                // Room for the rest of the frame, read in as few calls as it takes.
                self.read.reserve(total - self.read.len());
                return Ok(None);
            }
            self.read.advance(header.head);
            let payload = self.read.split_to(header.len);
            match (header.opcode, header.fin, self.partial.take()) {
                (TEXT | BINARY, _, Some(_)) => {
                    return Err(ws(ProtocolError::ExpectedFragment(Data::Continue)));
                }
                (TEXT | BINARY, true, None) => {
                    return Ok(Some(Received::Message(header.opcode, payload.freeze())));
                }
                (TEXT | BINARY, false, None) => self.partial = Some((header.opcode, payload)),
                (0, _, None) => return Err(ws(ProtocolError::UnexpectedContinueFrame)),
                (0, fin, Some((opcode, mut data))) => {
                    data.unsplit(payload);
                    if fin {
                        return Ok(Some(Received::Message(opcode, data.freeze())));
                    }
                    self.partial = Some((opcode, data));
                }
                (CLOSE, _, partial) => {
                    self.partial = partial;
                    if !self.close_sent {
                        // The peer's status code (if any) sent back, as RFC 6455 §5.5.1 asks.
                        let code = payload.get(..2).unwrap_or_default().to_vec();
                        self.queue(CLOSE, &code)?;
                        self.close_sent = true;
                    }
                    self.closed = true;
                    return Ok(Some(Received::Closed));
                }
                (PING, _, partial) => {
                    self.partial = partial;
                    self.queue(PONG, &payload)?;
                }
                (_, _, partial) => self.partial = partial,
            }
        }
    }
}

/// What [`WebSocket::next_message`] found.
enum Received {
    Message(u8, Bytes),
    Closed,
}

/// A frame's header: what it says about its payload, checked as a client must.
#[derive(Debug, PartialEq, Eq)]
struct Header {
    fin: bool,
    opcode: u8,
    /// The header's own length.
    head: usize,
    /// The payload's length.
    len: usize,
}

impl Header {
    /// The header at the start of `buf`; `None` until all of it is there.
    fn parse(buf: &[u8]) -> std::result::Result<Option<Self>, WsError> {
        let (Some(&first), Some(&second)) = (buf.first(), buf.get(1)) else { return Ok(None) };
        let (fin, opcode) = (first & 0x80 != 0, first & 0x0f);
        if first & 0x70 != 0 {
            // No extension was negotiated.
            return Err(ProtocolError::NonZeroReservedBits.into());
        }
        if second & 0x80 != 0 {
            return Err(ProtocolError::MaskedFrameFromServer.into());
        }
        let (head, len) = match second & 0x7f {
            126 => match buf.get(2..4) {
                Some(&[a, b]) => (4, usize::from(u16::from_be_bytes([a, b]))),
                _ => return Ok(None),
            },
            127 => match buf.get(2..10).and_then(|b| <[u8; 8]>::try_from(b).ok()) {
                Some(bytes) => {
                    let len = u64::from_be_bytes(bytes);
                    (10, usize::try_from(len).unwrap_or(usize::MAX))
                }
                None => return Ok(None),
            },
            short => (2, usize::from(short)),
        };
        match opcode {
            0..=2 => {}
            3..=7 => return Err(ProtocolError::UnknownDataFrameType(opcode).into()),
            CLOSE | PING | PONG if !fin => return Err(ProtocolError::FragmentedControlFrame.into()),
            CLOSE | PING | PONG if len > 125 => return Err(ProtocolError::ControlFrameTooBig.into()),
            CLOSE | PING | PONG => {}
            _ => return Err(ProtocolError::UnknownControlFrameType(opcode).into()),
        }
        Ok(Some(Self { fin, opcode, head, len }))
    }
}

/// Appends one final frame of `payload` to `out`, masked with `mask`.
fn encode_frame(opcode: u8, payload: &[u8], mask: [u8; 4], out: &mut Vec<u8>) {
    out.push(0x80 | opcode);
    match (u8::try_from(payload.len()), u16::try_from(payload.len())) {
        (Ok(len @ 0..=125), _) => out.push(0x80 | len),
        (_, Ok(len)) => {
            out.push(0x80 | 126);
            out.extend_from_slice(&len.to_be_bytes());
        }
        _ => {
            out.push(0x80 | 127);
            out.extend_from_slice(&(payload.len() as u64).to_be_bytes());
        }
    }
    out.extend_from_slice(&mask);
    let start = out.len();
    out.extend_from_slice(payload);
    for (byte, key) in out.iter_mut().skip(start).zip(mask.iter().cycle()) {
        *byte ^= key;
    }
}

/// The response head `parsed` as an `http::Response` (the form tungstenite's HTTP error has).
fn response_of(parsed: &httparse::Response<'_, '_>) -> Result<http::Response<Option<Vec<u8>>>> {
    let mut response = http::Response::new(None);
    *response.status_mut() = http::StatusCode::from_u16(parsed.code.unwrap_or(0))
        .map_err(|_| ws(ProtocolError::HttparseError(httparse::Error::Status)))?;
    for header in parsed.headers.iter() {
        let name = http::HeaderName::from_bytes(header.name.as_bytes())
            .map_err(|_| ws(ProtocolError::HttparseError(httparse::Error::HeaderName)))?;
        let value = http::HeaderValue::from_bytes(header.value)
            .map_err(|_| ws(ProtocolError::HttparseError(httparse::Error::HeaderValue)))?;
        response.headers_mut().append(name, value);
    }
    Ok(response)
}

impl Socket for WebSocket {
    fn send(&mut self, text: String) -> BoxFuture<'_, Result<()>> {
        Box::pin(async move {
            if self.close_sent {
                return Err(ws(ProtocolError::SendAfterClosing));
            }
            self.queue(TEXT, text.as_bytes())?;
            std::future::poll_fn(|cx| self.poll_flush_pending(cx)).await
        })
    }

    fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Text>>> {
        // Pongs and close replies go out as the socket takes them; a write that must wait does
        // not hold up reading.
        if let Poll::Ready(Err(e)) = self.poll_flush_pending(cx) {
            return Poll::Ready(Some(Err(e)));
        }
        loop {
            if self.closed {
                return Poll::Ready(None);
            }
            match self.next_message() {
                Err(e) => return Poll::Ready(Some(Err(e))),
                Ok(Some(Received::Message(opcode, bytes))) => match Text::try_from(bytes) {
                    Ok(text) => return Poll::Ready(Some(Ok(text))),
                    Err(e) if opcode == TEXT => return Poll::Ready(Some(Err(ws(e)))),
                    // A binary message that is not text is none of this protocol's.
                    Err(_) => continue,
                },
                Ok(Some(Received::Closed)) => {
                    let _ = self.poll_flush_pending(cx);
                    return Poll::Ready(None);
                }
                Ok(None) => {}
            }
            match ready!(self.poll_fill(cx)) {
                Ok(0) => {
                    self.closed = true;
                    return Poll::Ready(Some(Err(ws(ProtocolError::ResetWithoutClosingHandshake))));
                }
                Ok(_) => {}
                Err(e) => return Poll::Ready(Some(Err(e))),
            }
        }
    }

    fn close(&mut self) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            let polite = async {
                if !self.close_sent {
                    self.close_sent = true;
                    if self.queue(CLOSE, &1000u16.to_be_bytes()).is_err() {
                        return;
                    }
                }
                if std::future::poll_fn(|cx| self.poll_flush_pending(cx)).await.is_err() {
                    return;
                }
                while let Some(Ok(_)) = super::transport::recv(self).await {}
            };
            let _ = tokio::time::timeout(Duration::from_secs(1), polite).await;
        })
    }
}

#[cfg(test)]
mod tests {
    use tokio::io::AsyncWriteExt as _;

    use super::*;

    #[test]
    fn headers_are_read_as_rfc_6455_lays_them_out() {
        let parse = |bytes: &[u8]| Header::parse(bytes).ok().flatten();
        assert_eq!(parse(&[0x81, 5]), Some(Header { fin: true, opcode: TEXT, head: 2, len: 5 }));
        assert_eq!(
            parse(&[0x01, 126, 0x01, 0x00]),
            Some(Header { fin: false, opcode: TEXT, head: 4, len: 256 })
        );
        assert_eq!(
            parse(&[0x82, 127, 0, 0, 0, 0, 0, 1, 0, 0]),
            Some(Header { fin: true, opcode: BINARY, head: 10, len: 65536 })
        );
        // Not all there yet.
        for partial in [&[][..], &[0x81], &[0x81, 126, 1], &[0x81, 127, 0, 0, 0]] {
            assert!(matches!(Header::parse(partial), Ok(None)), "{partial:?}");
        }
        let refused = |bytes: &[u8]| {
            Header::parse(bytes).err().map(|e| e.to_string().to_lowercase()).unwrap_or_default()
        };
        assert!(refused(&[0xc1, 0]).contains("reserved bits"), "{}", refused(&[0xc1, 0]));
        assert!(refused(&[0x81, 0x85]).contains("masked"), "{}", refused(&[0x81, 0x85]));
        assert!(refused(&[0x09, 0]).contains("fragmented"), "{}", refused(&[0x09, 0]));
        assert!(refused(&[0x89, 126, 0, 126]).contains("too big"), "{}", refused(&[0x89, 126, 0, 126]));
        assert!(refused(&[0x83, 0]).contains("data frame"), "{}", refused(&[0x83, 0]));
        assert!(refused(&[0x8b, 0]).contains("control frame"), "{}", refused(&[0x8b, 0]));
    }

    /// A socket whose peer is the test: what the client writes comes out of the other end.
    fn pair() -> (WebSocket, tokio::io::DuplexStream) {
        let (ours, theirs) = tokio::io::duplex(64 * 1024);
        let socket = WebSocket {
            io: Box::new(ours),
            read: BytesMut::new(),
            partial: None,
            pending: Vec::new(),
            close_sent: false,
            closed: false,
        };
        (socket, theirs)
    }

    /// The next frame the client wrote: its first byte and its unmasked payload.
    async fn written(peer: &mut tokio::io::DuplexStream) -> (u8, Vec<u8>) {
        use tokio::io::AsyncReadExt as _;
        let mut head = [0u8; 2];
        peer.read_exact(&mut head).await.unwrap_or_default();
        assert_eq!(head[1] & 0x80, 0x80, "a client's frames are masked");
        let len = usize::from(head[1] & 0x7f);
        assert!(len < 126, "short frames only here");
        let mut mask = [0u8; 4];
        peer.read_exact(&mut mask).await.unwrap_or_default();
        let mut payload = vec![0u8; len];
        peer.read_exact(&mut payload).await.unwrap_or_default();
        for (byte, key) in payload.iter_mut().zip(mask.iter().cycle()) {
            *byte ^= key;
        }
        (head[0], payload)
    }

    async fn next_text(socket: &mut WebSocket) -> Option<std::result::Result<String, String>> {
        let item = super::super::transport::recv(socket).await?;
        // The error with its causes, where the WebSocket's own words are.
        let chain = |e: Error| {
            let mut text = e.to_string();
            let mut source = std::error::Error::source(&e);
            while let Some(cause) = source {
                text.push_str(&format!(": {cause}"));
                source = cause.source();
            }
            text
        };
        Some(item.map(|t| t.as_str().to_owned()).map_err(chain))
    }

    #[tokio::test]
    async fn messages_are_reassembled_and_control_frames_answered() {
        let (mut socket, mut peer) = pair();
        // "hello" in two fragments with a ping between them, then a binary message that is not
        // text (skipped) and one that is, all written a byte at a time.
        let frames: Vec<u8> = [
            &[0x01, 3][..],
            b"hel",
            &[0x89, 2],
            b"hi",
            &[0x80, 2],
            b"lo",
            &[0x82, 2, 0xff, 0xfe],
            &[0x82, 2],
            b"ok",
        ]
        .concat();
        let writer = tokio::spawn(async move {
            for byte in frames {
                peer.write_all(&[byte]).await.unwrap_or_default();
            }
            peer
        });
        assert_eq!(next_text(&mut socket).await, Some(Ok("hello".to_owned())));
        assert_eq!(next_text(&mut socket).await, Some(Ok("ok".to_owned())));
        let mut peer = writer.await.unwrap_or_else(|_| tokio::io::duplex(1).0);
        assert_eq!(written(&mut peer).await, (0x80 | PONG, b"hi".to_vec()), "the ping answered");

        // A message the client sends, then the server's close, answered with its code.
        socket.send("x".to_owned()).await.unwrap_or_default();
        assert_eq!(written(&mut peer).await, (0x80 | TEXT, b"x".to_vec()));
        peer.write_all(&[0x88, 2, 0x03, 0xe8]).await.unwrap_or_default();
        assert_eq!(next_text(&mut socket).await, None);
        assert_eq!(written(&mut peer).await, (0x80 | CLOSE, vec![0x03, 0xe8]));
        assert!(socket.send("late".to_owned()).await.is_err(), "nothing after a close");
    }

    #[tokio::test]
    async fn broken_frames_and_streams_are_errors() {
        let (mut socket, mut peer) = pair();
        peer.write_all(&[0x81, 1, 0xff]).await.unwrap_or_default();
        let bad = next_text(&mut socket).await;
        assert!(matches!(&bad, Some(Err(e)) if e.contains("UTF-8")), "{bad:?}");

        let (mut socket, mut peer) = pair();
        peer.write_all(&[0x80, 1, b'x']).await.unwrap_or_default();
        let stray = next_text(&mut socket).await;
        assert!(matches!(&stray, Some(Err(e)) if e.to_lowercase().contains("continue")), "{stray:?}");

        // The stream ends in the middle of a frame.
        let (mut socket, mut peer) = pair();
        peer.write_all(&[0x81, 5, b'a']).await.unwrap_or_default();
        drop(peer);
        let cut = next_text(&mut socket).await;
        assert!(matches!(&cut, Some(Err(e)) if e.to_lowercase().contains("closing handshake")), "{cut:?}");
        assert_eq!(next_text(&mut socket).await, None, "and then nothing more");

        // A message over the limit is refused from its header, before it is read.
        let (mut socket, mut peer) = pair();
        let mut header = vec![0x81, 127];
        header.extend_from_slice(&((MAX_MESSAGE as u64) + 1).to_be_bytes());
        peer.write_all(&header).await.unwrap_or_default();
        let big = next_text(&mut socket).await;
        assert!(matches!(&big, Some(Err(e)) if e.contains("too long")), "{big:?}");
    }

    /// A server on loopback that answers one upgrade with `answer(key)` and closes.
    async fn server(answer: fn(&str) -> Vec<u8>) -> ConnectRequest {
        use tokio::io::AsyncReadExt as _;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap_or_else(|e| panic!("{e}"));
        let port = listener.local_addr().map(|a| a.port()).unwrap_or_default();
        tokio::spawn(async move {
            let Ok((mut stream, _)) = listener.accept().await else { return };
            let mut request = Vec::new();
            let mut buf = [0u8; 1024];
            while !request.ends_with(b"\r\n\r\n") {
                match stream.read(&mut buf).await {
                    Ok(0) | Err(_) => return,
                    Ok(n) => request.extend_from_slice(&buf[..n]),
                }
            }
            let request = String::from_utf8_lossy(&request).into_owned();
            let key = request
                .lines()
                .find_map(|l| l.strip_prefix("Sec-WebSocket-Key: "))
                .unwrap_or_default()
                .to_owned();
            let _ = stream.write_all(&answer(&key)).await;
            tokio::time::sleep(Duration::from_millis(200)).await;
        });
        let url = reqwest::Url::parse(&format!("ws://127.0.0.1:{port}/event/realtime?x=1"))
            .unwrap_or_else(|e| panic!("{e}"));
        ConnectRequest { url, subprotocols: vec!["aws-appsync-event-ws".into()] }
    }

    #[tokio::test]
    async fn the_handshake_is_checked_and_what_follows_it_kept() {
        // A first message in the same write as the 101: it must not be lost.
        let request = server(|key| {
            let mut answer = format!(
                "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
                 Sec-WebSocket-Accept: {}\r\nSec-WebSocket-Protocol: aws-appsync-event-ws\r\n\r\n",
                derive_accept_key(key.as_bytes())
            )
            .into_bytes();
            answer.extend_from_slice(&[0x81, 4]);
            answer.extend_from_slice(b"{\"a\"");
            answer
        })
        .await;
        let mut socket = WebSocket::connect(&request, None).await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(next_text(&mut socket).await, Some(Ok("{\"a\"".to_owned())));

        let wrong_key = server(|_| {
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
              Sec-WebSocket-Accept: bm90IGl0\r\n\r\n"
                .to_vec()
        })
        .await;
        let refused = WebSocket::connect(&wrong_key, None).await.err().map(|e| format!("{:?}", e));
        assert!(
            refused.as_deref().is_some_and(|e| e.contains("SecWebSocketAcceptKeyMismatch")),
            "{refused:?}"
        );

        let unauthorized = server(|_| {
            let body = r#"{"errors":[{"errorType":"UnauthorizedException","message":"You are not authorized to make this call."}]}"#;
            format!("HTTP/1.1 401 Unauthorized\r\nContent-Length: {}\r\n\r\n{body}", body.len()).into_bytes()
        })
        .await;
        let refused = WebSocket::connect(&unauthorized, None).await.err();
        assert!(refused.as_ref().is_some_and(Error::is_unauthorized), "{refused:?}");
        assert_eq!(
            refused.as_ref().and_then(Error::error_type),
            Some("UnauthorizedException"),
            "read from the body"
        );
    }

    #[test]
    fn frames_are_masked_and_sized_by_length() {
        for len in [0, 125, 126, 65535, 65536] {
            let payload: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
            let mask = [1, 2, 3, 4];
            let mut out = Vec::new();
            encode_frame(TEXT, &payload, mask, &mut out);
            let head = match len {
                0..=125 => 2,
                126..=65535 => 4,
                _ => 10,
            };
            assert_eq!(out.len(), head + 4 + len, "{len}");
            assert_eq!(out[0], 0x81);
            assert_eq!(out[1] & 0x80, 0x80, "masked");
            assert_eq!(&out[head..head + 4], &mask);
            let unmasked: Vec<u8> =
                out[head + 4..].iter().zip(mask.iter().cycle()).map(|(b, k)| b ^ k).collect();
            assert_eq!(unmasked, payload, "{len}");
            // A server reads the same length back (with the mask bit cleared, as it would be).
            let mut unmasked_head = out[..head].to_vec();
            unmasked_head[1] &= 0x7f;
            assert_eq!(Header::parse(&unmasked_head).ok().flatten().map(|h| h.len), Some(len));
        }
    }
}
