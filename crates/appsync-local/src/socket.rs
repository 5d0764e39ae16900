//! The real-time endpoints' WebSocket (RFC 6455), server side: the upgrade, then the client's
//! frames read from a small buffer and the server's written into one buffer per flush.
//!
//! Written for the one thing these endpoints do in bulk, sending each event to each matching
//! subscription as its own message: a message is one frame appended to the writer's buffer,
//! and a flush is one write to the socket (one TLS pass over all of a publish's messages),
//! with none of the per-message adapter and lock work of a general `Sink` of messages.

use std::pin::Pin;
use std::task::{Context, Poll, ready};

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::Response;
use bytes::{Buf as _, BytesMut};
use futures_util::{Sink, Stream};
use hyper::upgrade::OnUpgrade;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadHalf, WriteHalf};
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;

use crate::websocket::{Inbound, Outbound};

/// Bytes read from a client socket at a time (clients send small messages; a larger one is
/// read in more steps). Kept small: every idle connection holds one.
const READ_BUFFER_BYTES: usize = 4096;
/// Queued output past which a frame waits for a flush first.
const WRITE_FLUSH_BYTES: usize = 128 * 1024;

const CONTINUE: u8 = 0x0;
const TEXT: u8 = 0x1;
const BINARY: u8 = 0x2;
const CLOSE: u8 = 0x8;
const PING: u8 = 0x9;
const PONG: u8 = 0xa;

/// A WebSocket upgrade request (HTTP/1.1 `GET` with `Connection: upgrade`, `Upgrade:
/// websocket`, version 13 and a key), as an extractor.
pub(crate) struct Upgrade {
    on_upgrade: OnUpgrade,
    key: HeaderValue,
    requested: Vec<String>,
}

/// Why a request is not a WebSocket upgrade.
#[derive(Debug)]
pub(crate) struct NotAnUpgrade(&'static str);

impl axum::response::IntoResponse for NotAnUpgrade {
    fn into_response(self) -> Response {
        crate::websocket::bad_request(self.0)
    }
}

impl std::fmt::Display for NotAnUpgrade {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

fn header_has_token(headers: &HeaderMap, name: header::HeaderName, token: &str) -> bool {
    headers
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|t| t.trim().eq_ignore_ascii_case(token))
}

impl<S: Send + Sync> FromRequestParts<S> for Upgrade {
    type Rejection = NotAnUpgrade;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        if parts.method != Method::GET {
            return Err(NotAnUpgrade("the request is not a GET"));
        }
        if !header_has_token(&parts.headers, header::CONNECTION, "upgrade") {
            return Err(NotAnUpgrade("no `Connection: upgrade` header"));
        }
        if !header_has_token(&parts.headers, header::UPGRADE, "websocket") {
            return Err(NotAnUpgrade("no `Upgrade: websocket` header"));
        }
        if parts.headers.get(header::SEC_WEBSOCKET_VERSION).is_none_or(|v| v != "13") {
            return Err(NotAnUpgrade("no `Sec-WebSocket-Version: 13` header"));
        }
        let key = parts
            .headers
            .get(header::SEC_WEBSOCKET_KEY)
            .cloned()
            .ok_or(NotAnUpgrade("no `Sec-WebSocket-Key` header"))?;
        let requested = crate::websocket::requested_protocols(&parts.headers);
        let on_upgrade = parts
            .extensions
            .remove::<OnUpgrade>()
            .ok_or(NotAnUpgrade("the connection cannot be upgraded"))?;
        Ok(Self { on_upgrade, key, requested })
    }
}

impl Upgrade {
    /// The `101` answer (naming `protocol` when the client asked for it); once the connection
    /// is switched, `callback` runs with its frames (messages up to `frame_cap` bytes).
    pub(crate) fn on_upgrade<F, Fut>(self, protocol: &'static str, frame_cap: usize, callback: F) -> Response
    where
        F: FnOnce(FrameWriter, FrameReader) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let accept = derive_accept_key(self.key.as_bytes());
        let chosen = self.requested.iter().any(|p| p == protocol);
        let on_upgrade = self.on_upgrade;
        tokio::spawn(async move {
            let Ok(upgraded) = on_upgrade.await else { return };
            let (read, write) = tokio::io::split(TokioIo::new(upgraded));
            callback(FrameWriter::new(write), FrameReader::new(read, frame_cap)).await;
        });
        let mut response = Response::new(axum::body::Body::empty());
        *response.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
        let headers = response.headers_mut();
        headers.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
        headers.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
        if let Ok(accept) = HeaderValue::from_str(&accept) {
            headers.insert(header::SEC_WEBSOCKET_ACCEPT, accept);
        }
        if chosen {
            headers.insert(header::SEC_WEBSOCKET_PROTOCOL, HeaderValue::from_static(protocol));
        }
        response
    }
}

type Io = TokioIo<hyper::upgrade::Upgraded>;

/// The server's frames out: each message appended to one buffer, written at a flush.
pub(crate) struct FrameWriter<W = WriteHalf<Io>> {
    /// Behind a lock only so that the writer is `Sync`, as the connection loops need (hyper's
    /// upgraded IO is not); it is taken once per write to the socket, not per message.
    io: std::sync::Mutex<W>,
    out: Vec<u8>,
    /// How much of `out` is written.
    written: usize,
}

impl<W> FrameWriter<W> {
    fn new(io: W) -> Self {
        Self { io: std::sync::Mutex::new(io), out: Vec::new(), written: 0 }
    }
}

impl<W: AsyncWrite + Unpin> FrameWriter<W> {
    fn io(&mut self) -> &mut W {
        self.io.get_mut().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn poll_write_out(&mut self, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        while self.written < self.out.len() {
            let io = self.io.get_mut().unwrap_or_else(std::sync::PoisonError::into_inner);
            let n = ready!(Pin::new(io).poll_write(cx, &self.out[self.written..]))?;
            if n == 0 {
                return Poll::Ready(Err(std::io::ErrorKind::WriteZero.into()));
            }
            self.written += n;
        }
        self.out.clear();
        self.written = 0;
        if self.out.capacity() > WRITE_FLUSH_BYTES * 2 {
            // A burst's buffer is not kept for the connection's life.
            self.out = Vec::new();
        }
        Poll::Ready(Ok(()))
    }
}

/// Appends one final, unmasked frame (a server's) to `out`.
fn encode_frame(opcode: u8, payload: &[u8], out: &mut Vec<u8>) {
    frame_header(opcode, payload.len(), out);
    out.extend_from_slice(payload);
}

/// Appends the header of a final, unmasked frame of `len` payload bytes to `out`.
fn frame_header(opcode: u8, len: usize, out: &mut Vec<u8>) {
    out.push(0x80 | opcode);
    match (u8::try_from(len), u16::try_from(len)) {
        (Ok(len @ 0..=125), _) => out.push(len),
        (_, Ok(len)) => {
            out.push(126);
            out.extend_from_slice(&len.to_be_bytes());
        }
        _ => {
            out.push(127);
            out.extend_from_slice(&(len as u64).to_be_bytes());
        }
    }
}

/// Text messages for one write, each already a complete frame: a fan-out's messages are
/// assembled here from their parts (one allocation for all of them, each byte copied once)
/// and handed to the writer whole, rather than each allocated as a `String` and queued as an
/// item of its own.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct TextFrames {
    bytes: Vec<u8>,
}

impl TextFrames {
    /// Appends one text message, the concatenation of `parts`.
    pub(crate) fn push(&mut self, parts: &[&str]) {
        let len = parts.iter().map(|part| part.len()).sum();
        self.bytes.reserve(len + 10);
        frame_header(TEXT, len, &mut self.bytes);
        for part in parts {
            self.bytes.extend_from_slice(part.as_bytes());
        }
    }

    /// Whether there is no message.
    pub(crate) fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// The messages' texts, read back from their frames (for tests that look at what a
    /// connection sends).
    #[cfg(test)]
    pub(crate) fn texts(&self) -> Vec<String> {
        let mut texts = Vec::new();
        let mut rest = self.bytes.as_slice();
        while let Some((head, len)) = payload_length(rest) {
            let end = usize::try_from(len).map_or(rest.len(), |len| head + len);
            texts.push(String::from_utf8_lossy(&rest[head..end]).into_owned());
            rest = &rest[end..];
        }
        texts
    }
}

impl<W: AsyncWrite + Unpin> Sink<Outbound> for FrameWriter<W> {
    type Error = axum::Error;

    fn poll_ready(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        if self.out.len() >= WRITE_FLUSH_BYTES {
            ready!(self.poll_write_out(cx)).map_err(axum::Error::new)?;
        }
        Poll::Ready(Ok(()))
    }

    fn start_send(mut self: Pin<&mut Self>, item: Outbound) -> Result<(), Self::Error> {
        let out = &mut self.out;
        match item {
            Outbound::Text(text) => encode_frame(TEXT, text.as_bytes(), out),
            // Taken as they are when nothing else is waiting: no copy.
            Outbound::Texts(frames) if out.is_empty() => *out = frames.bytes,
            Outbound::Texts(frames) => out.extend_from_slice(&frames.bytes),
            Outbound::Pong(data) => encode_frame(PONG, &data, out),
            Outbound::Close(code, reason) => {
                let mut payload = code.to_be_bytes().to_vec();
                // A close frame's payload is at most 125 bytes.
                payload.extend(reason.bytes().take(123));
                encode_frame(CLOSE, &payload, out);
            }
        }
        Ok(())
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        ready!(self.poll_write_out(cx)).map_err(axum::Error::new)?;
        Pin::new(self.io()).poll_flush(cx).map_err(axum::Error::new)
    }

    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        ready!(self.as_mut().poll_flush(cx))?;
        Pin::new(self.io()).poll_shutdown(cx).map_err(axum::Error::new)
    }
}

/// The client's frames in, as the protocols see them: text, binary, pings (for the writer to
/// answer) and the end. A protocol violation ends the stream as a close does.
pub(crate) struct FrameReader<R = ReadHalf<Io>> {
    io: R,
    buf: BytesMut,
    /// A fragmented message so far: whether it is text, and its data.
    partial: Option<(bool, Vec<u8>)>,
    frame_cap: usize,
    ended: bool,
}

impl<R> FrameReader<R> {
    fn new(io: R, frame_cap: usize) -> Self {
        Self { io, buf: BytesMut::new(), partial: None, frame_cap, ended: false }
    }
}

/// The length of the frame header at the start of `buf` up to its masking key (2, 4 or 10
/// bytes) and the payload length it gives; `None` until that much is there.
fn payload_length(buf: &[u8]) -> Option<(usize, u64)> {
    match buf.get(1)? & 0x7f {
        126 => Some((4, u64::from(u16::from_be_bytes(buf.get(2..4)?.try_into().ok()?)))),
        127 => Some((10, u64::from_be_bytes(buf.get(2..10)?.try_into().ok()?))),
        short => Some((2, u64::from(short))),
    }
}

/// What the buffer held: a message, or more must be read, or the connection is over.
enum Parsed {
    Item(Inbound),
    Skip,
    More,
    End,
}

impl<R> FrameReader<R> {
    /// Takes one frame off the front of the buffer.
    fn parse(&mut self) -> Parsed {
        let buf = &self.buf[..];
        let (Some(&first), Some(&second)) = (buf.first(), buf.get(1)) else { return Parsed::More };
        let (fin, opcode) = (first & 0x80 != 0, first & 0x0f);
        // No extension is negotiated, and a client's frames are masked.
        if first & 0x70 != 0 || second & 0x80 == 0 {
            return Parsed::End;
        }
        let Some((head, len)) = payload_length(buf) else { return Parsed::More };
        let so_far = self.partial.as_ref().map_or(0, |(_, data)| data.len());
        let len = match usize::try_from(len) {
            Ok(len) if len <= self.frame_cap.saturating_sub(so_far) => len,
            // Larger than the endpoint takes: the connection is dropped, as before.
            _ => return Parsed::End,
        };
        let control = opcode & 0x08 != 0;
        if control && (!fin || len > 125) {
            return Parsed::End;
        }
        let total = head + 4 + len;
        let have = buf.len();
        if have < total {
            self.buf.reserve(total - have);
            return Parsed::More;
        }
        let mask: [u8; 4] = [buf[head], buf[head + 1], buf[head + 2], buf[head + 3]];
        let mut payload = buf[head + 4..total].to_vec();
        for (byte, key) in payload.iter_mut().zip(mask.iter().cycle()) {
            *byte ^= key;
        }
        self.buf.advance(total);
        match (opcode, self.partial.take()) {
            (TEXT | BINARY, Some(_)) | (CONTINUE, None) => Parsed::End,
            (TEXT | BINARY, None) if !fin => {
                self.partial = Some((opcode == TEXT, payload));
                Parsed::Skip
            }
            (TEXT, None) => message(true, payload),
            (BINARY, None) => message(false, payload),
            (CONTINUE, Some((text, mut data))) => {
                data.extend_from_slice(&payload);
                if fin {
                    message(text, data)
                } else {
                    self.partial = Some((text, data));
                    Parsed::Skip
                }
            }
            (PING, partial) => {
                self.partial = partial;
                Parsed::Item(Inbound::Ping(payload))
            }
            (PONG, partial) => {
                self.partial = partial;
                Parsed::Skip
            }
            (CLOSE, _) => Parsed::Item(Inbound::Close),
            // Reserved opcodes.
            _ => Parsed::End,
        }
    }
}

fn message(text: bool, data: Vec<u8>) -> Parsed {
    if !text {
        return Parsed::Item(Inbound::Binary);
    }
    match String::from_utf8(data) {
        Ok(text) => Parsed::Item(Inbound::Text(text)),
        // Text that is not UTF-8 breaks the protocol.
        Err(_) => Parsed::End,
    }
}

impl<R: AsyncRead + Unpin> Stream for FrameReader<R> {
    type Item = Inbound;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Inbound>> {
        let this = &mut *self;
        loop {
            if this.ended {
                return Poll::Ready(None);
            }
            match this.parse() {
                Parsed::Item(item) => {
                    if matches!(item, Inbound::Close) {
                        this.ended = true;
                    }
                    return Poll::Ready(Some(item));
                }
                Parsed::Skip => continue,
                Parsed::End => {
                    this.ended = true;
                    return Poll::Ready(Some(Inbound::Close));
                }
                Parsed::More => {}
            }
            if this.buf.capacity() - this.buf.len() < READ_BUFFER_BYTES / 4 {
                this.buf.reserve(READ_BUFFER_BYTES);
            }
            match ready!(tokio_util::io::poll_read_buf(Pin::new(&mut this.io), cx, &mut this.buf)) {
                Ok(0) | Err(_) => {
                    // The end of the stream, with or without a close frame.
                    this.ended = true;
                    return Poll::Ready(Some(Inbound::Close));
                }
                Ok(_) => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use futures_util::{SinkExt as _, StreamExt as _};
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

    use super::*;

    /// A client frame: masked, as a client's must be.
    fn client_frame(first: u8, payload: &[u8]) -> Vec<u8> {
        let mask = [7, 1, 200, 33];
        let mut out = vec![first];
        match payload.len() {
            len @ 0..=125 => out.push(0x80 | len as u8),
            len => {
                out.push(0x80 | 126);
                out.extend_from_slice(&(len as u16).to_be_bytes());
            }
        }
        out.extend_from_slice(&mask);
        out.extend(payload.iter().zip(mask.iter().cycle()).map(|(b, k)| b ^ k));
        out
    }

    #[tokio::test]
    async fn client_frames_are_read_as_the_protocols_see_them() {
        let (server, mut client) = tokio::io::duplex(64 * 1024);
        let mut reader = FrameReader::new(server, 1024);
        let frames = [
            client_frame(0x81, b"hello"),
            client_frame(0x01, b"frag"),
            client_frame(0x89, b"hi"),
            client_frame(0x80, b"ment"),
            client_frame(0x82, &[0xff]),
            client_frame(0x88, &1000u16.to_be_bytes()),
        ]
        .concat();
        // A byte at a time: frames split across reads.
        tokio::spawn(async move {
            for byte in frames {
                let _ = client.write_all(&[byte]).await;
            }
            client
        });
        assert_eq!(reader.next().await, Some(Inbound::Text("hello".into())));
        assert_eq!(reader.next().await, Some(Inbound::Ping(b"hi".to_vec())));
        assert_eq!(reader.next().await, Some(Inbound::Text("fragment".into())));
        assert_eq!(reader.next().await, Some(Inbound::Binary));
        assert_eq!(reader.next().await, Some(Inbound::Close));
        assert_eq!(reader.next().await, None);
    }

    #[tokio::test]
    async fn broken_or_oversized_frames_end_the_connection() {
        for bad in [
            vec![0x81, 0x02, b'h', b'i'],      // not masked
            client_frame(0xc1, b"x"),          // a reserved bit
            client_frame(0x81, &[0xff, 0xfe]), // text that is not UTF-8
            client_frame(0x80, b"x"),          // nothing to continue
            client_frame(0x83, b"x"),          // a reserved opcode
            client_frame(0x81, &[b'a'; 1025]), // over the cap
        ] {
            let (server, mut client) = tokio::io::duplex(64 * 1024);
            let mut reader = FrameReader::new(server, 1024);
            let _ = client.write_all(&bad).await;
            assert_eq!(reader.next().await, Some(Inbound::Close), "{bad:?}");
            assert_eq!(reader.next().await, None);
        }
    }

    #[tokio::test]
    async fn server_frames_are_written_unmasked_in_one_write_per_flush() {
        let (server, mut client) = tokio::io::duplex(64 * 1024);
        let mut writer = FrameWriter::new(server);
        writer.feed(Outbound::Text("a".into())).await.ok();
        writer.feed(Outbound::Text("x".repeat(200))).await.ok();
        writer.feed(Outbound::Pong(b"hi".to_vec())).await.ok();
        let mut frames = TextFrames::default();
        frames.push(&["b", "c"]);
        frames.push(&["y".repeat(100).as_str(), &"z".repeat(100)]);
        assert_eq!(frames.texts(), ["bc".to_owned(), format!("{}{}", "y".repeat(100), "z".repeat(100))]);
        writer.feed(Outbound::Texts(frames)).await.ok();
        writer.feed(Outbound::Close(1000, "bye")).await.ok();
        writer.flush().await.ok();
        let mut expected = vec![0x81, 1, b'a', 0x81, 126, 0, 200];
        expected.extend_from_slice(&[b'x'; 200]);
        expected.extend_from_slice(&[0x8a, 2, b'h', b'i', 0x81, 2, b'b', b'c', 0x81, 126, 0, 200]);
        expected.extend_from_slice(&[b'y'; 100]);
        expected.extend_from_slice(&[b'z'; 100]);
        expected.extend_from_slice(&[0x88, 5, 0x03, 0xe8, b'b', b'y', b'e']);
        let mut got = vec![0u8; expected.len()];
        client.read_exact(&mut got).await.ok();
        assert_eq!(got, expected);
    }
}
