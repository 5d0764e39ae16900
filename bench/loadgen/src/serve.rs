//! `loadgen serve`: a fixed-answer loopback GraphQL server.
//!
//! The default engine is a minimal HTTP/1.1 keep-alive responder on one thread: it reads a
//! request head, skips the `Content-Length` body and writes the same prepared answer, so that a
//! client benchmark on a small machine spends as little of the shared CPU as possible on the
//! server. `--engine axum` serves the same answer through axum and hyper instead (what an
//! application server costs), for comparison.

use std::io::Write as _;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context as _, bail};
use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::IntoResponse;
use bytes::Bytes;
use clap::ValueEnum;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};

/// The default answer: what AppSync returns for a small `listPosts` query.
pub(crate) const DEFAULT_BODY: &str = r#"{"data":{"listPosts":{"items":[{"id":"8f4e1c2a-0b7d-4a55-9d8e-1f3c6b2a7e90","title":"First post","author":"alice","content":"Hello from the benchmark server."},{"id":"c1d2e3f4-5a6b-4c7d-8e9f-0a1b2c3d4e5f","title":"Second post","author":"bob","content":"Fixed body, no work."}],"nextToken":null}}}"#;

/// A request head larger than this is refused (431).
const MAX_HEAD: usize = 64 * 1024;
/// A request body larger than this is refused (413): nothing the benchmarks send comes close.
const MAX_BODY: usize = 16 * 1024 * 1024;

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Engine {
    /// A hand-rolled HTTP/1.1 keep-alive responder on one thread: the cheapest server.
    Minimal,
    /// axum on hyper, on a multi-threaded tokio runtime.
    Axum,
}

#[derive(clap::Args, Debug)]
pub(crate) struct ServeArgs {
    /// Loopback address to listen on; port 0 picks a free port.
    #[arg(long, value_name = "ADDR:PORT", default_value = "127.0.0.1:0")]
    listen: SocketAddr,
    /// The JSON body of every answer.
    #[arg(long, value_name = "JSON", default_value = DEFAULT_BODY)]
    body: String,
    /// Stop by itself after this many seconds.
    #[arg(long, value_name = "SECS", default_value_t = 3600)]
    max_seconds: u64,
    /// Which HTTP server answers.
    #[arg(long, value_enum, default_value = "minimal")]
    engine: Engine,
}

pub(crate) fn main(args: ServeArgs) -> anyhow::Result<ExitCode> {
    if !args.listen.ip().is_loopback() {
        bail!("--listen {} is not a loopback address", args.listen);
    }
    serde_json::from_str::<serde_json::Value>(&args.body).context("--body is not JSON")?;
    let runtime = match args.engine {
        Engine::Minimal => tokio::runtime::Builder::new_current_thread().enable_all().build(),
        Engine::Axum => tokio::runtime::Runtime::new(),
    }
    .context("could not start the async runtime")?;
    runtime.block_on(serve(args))
}

async fn serve(args: ServeArgs) -> anyhow::Result<ExitCode> {
    let listener = TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("could not listen on {}", args.listen))?;
    let addr = listener.local_addr().context("could not read the bound address")?;
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "listening on http://{addr}/graphql")?;
        out.flush()?;
    }
    let limit = Duration::from_secs(args.max_seconds);
    let shutdown = async move {
        tokio::select! {
            () = tokio::time::sleep(limit) => {}
            _ = tokio::signal::ctrl_c() => {}
            () = terminate() => {}
        }
    };
    let body = Bytes::from(args.body);
    match args.engine {
        Engine::Minimal => {
            tokio::select! {
                result = accept_loop(listener, body) => result?,
                () = shutdown => {}
            }
        }
        Engine::Axum => {
            let answer = move || {
                let body = body.clone();
                async move {
                    ([(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))], body)
                        .into_response()
                }
            };
            let app = Router::new().fallback(answer);
            axum::serve(listener, app).with_graceful_shutdown(shutdown).await.context("server failed")?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn accept_loop(listener: TcpListener, body: Bytes) -> anyhow::Result<()> {
    loop {
        let (stream, _) = match listener.accept().await {
            Ok(accepted) => accepted,
            // Out of file descriptors or a connection reset before it was accepted: the
            // listener itself is fine, so keep serving after a breath.
            Err(e) => {
                eprintln!("loadgen serve: accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        let body = body.clone();
        tokio::spawn(async move {
            // A client that goes away mid-request is its own business; the server goes on.
            let _ = connection(stream, body).await;
        });
    }
}

/// Answers the requests of one connection, in order, until the client closes it or asks to.
async fn connection(mut stream: TcpStream, body: Bytes) -> std::io::Result<()> {
    stream.set_nodelay(true)?;
    let mut answer = Answer::new(body);
    let mut buf: Vec<u8> = Vec::with_capacity(8 * 1024);
    let mut out: Vec<u8> = Vec::with_capacity(1024);
    // Where the next request starts in `buf`, and whether `100 Continue` went out for it.
    let mut start = 0;
    let mut continued = false;
    loop {
        let mut close = false;
        // Every complete request in the buffer is answered, in one write.
        loop {
            match parse_head(&buf[start..]) {
                Head::Partial => break,
                Head::Bad { status, reason } => {
                    out.extend_from_slice(&error_response(status, reason));
                    close = true;
                    break;
                }
                Head::Complete { len, content_length, close: wants_close, expect_continue } => {
                    if content_length > MAX_BODY {
                        out.extend_from_slice(&error_response("413 Content Too Large", "body too large"));
                        close = true;
                        break;
                    }
                    if buf.len() - start - len < content_length {
                        if expect_continue && !continued {
                            out.extend_from_slice(b"HTTP/1.1 100 Continue\r\n\r\n");
                            continued = true;
                        }
                        break;
                    }
                    start += len + content_length;
                    continued = false;
                    out.extend_from_slice(answer.get(wants_close));
                    if wants_close {
                        close = true;
                        break;
                    }
                }
            }
        }
        if !out.is_empty() {
            stream.write_all(&out).await?;
            out.clear();
        }
        if close {
            return stream.shutdown().await;
        }
        if start == buf.len() {
            buf.clear();
            start = 0;
        } else if start > 0 && buf.capacity() - buf.len() < 1024 {
            buf.drain(..start);
            start = 0;
        }
        buf.reserve(4096);
        if stream.read_buf(&mut buf).await? == 0 {
            return Ok(());
        }
    }
}

/// What the start of the buffer holds.
#[derive(Debug, PartialEq, Eq)]
enum Head {
    /// Not a whole request head yet.
    Partial,
    /// A request head of `len` bytes, followed by `content_length` bytes of body.
    Complete { len: usize, content_length: usize, close: bool, expect_continue: bool },
    /// Not something this server answers; the connection is closed after the error.
    Bad { status: &'static str, reason: &'static str },
}

/// Reads a request head: the request line's version and the headers that frame the message
/// (`Content-Length`, `Transfer-Encoding`, `Connection`, `Expect`). Everything else is skipped:
/// every request gets the same answer.
fn parse_head(buf: &[u8]) -> Head {
    let bad = |reason| Head::Bad { status: "400 Bad Request", reason };
    let mut pos = 0;
    let mut request_line_seen = false;
    let mut http10 = false;
    let mut content_length: Option<usize> = None;
    let mut chunked = false;
    let mut close = false;
    let mut keep_alive = false;
    let mut expect_continue = false;
    loop {
        let Some(nl) = buf[pos..].iter().position(|&b| b == b'\n') else {
            return if buf.len() > MAX_HEAD {
                Head::Bad { status: "431 Request Header Fields Too Large", reason: "request head too large" }
            } else {
                Head::Partial
            };
        };
        let line = &buf[pos..pos + nl];
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        pos += nl + 1;
        if pos > MAX_HEAD {
            return Head::Bad {
                status: "431 Request Header Fields Too Large",
                reason: "request head too large",
            };
        }
        if !request_line_seen {
            // RFC 9112 2.2: empty lines before the request line are ignored.
            if line.is_empty() {
                continue;
            }
            match line.rsplit(|&b| b == b' ').next() {
                Some(b"HTTP/1.1") => {}
                Some(b"HTTP/1.0") => http10 = true,
                _ => return bad("not an HTTP/1.x request line"),
            }
            request_line_seen = true;
            continue;
        }
        if line.is_empty() {
            break;
        }
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            return bad("a header line without ':'");
        };
        let (name, value) = (&line[..colon], line[colon + 1..].trim_ascii());
        if name.eq_ignore_ascii_case(b"content-length") {
            let Some(n) = parse_decimal(value) else { return bad("Content-Length is not a number") };
            if content_length.is_some_and(|m| m != n) {
                return bad("conflicting Content-Length headers");
            }
            content_length = Some(n);
        } else if name.eq_ignore_ascii_case(b"transfer-encoding") {
            chunked = true;
        } else if name.eq_ignore_ascii_case(b"connection") {
            for token in value.split(|&b| b == b',').map(<[u8]>::trim_ascii) {
                close |= token.eq_ignore_ascii_case(b"close");
                keep_alive |= token.eq_ignore_ascii_case(b"keep-alive");
            }
        } else if name.eq_ignore_ascii_case(b"expect") {
            expect_continue = value.eq_ignore_ascii_case(b"100-continue");
        }
    }
    if chunked {
        // No benchmark client streams its request; refusing is clearer than half-supporting it.
        return Head::Bad {
            status: "501 Not Implemented",
            reason: "Transfer-Encoding is not supported; send Content-Length",
        };
    }
    Head::Complete {
        len: pos,
        content_length: content_length.unwrap_or(0),
        close: close || (http10 && !keep_alive),
        expect_continue,
    }
}

fn parse_decimal(digits: &[u8]) -> Option<usize> {
    if digits.is_empty() || digits.len() > 12 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(digits.iter().fold(0, |n, &d| n * 10 + usize::from(d - b'0')))
}

fn error_response(status: &str, reason: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 {status}\r\ncontent-type: text/plain\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{reason}",
        reason.len()
    )
    .into_bytes()
}

/// The prepared answer of a connection, rebuilt when its `Date` (one-second resolution) changes.
struct Answer {
    body: Bytes,
    second: u64,
    keep_alive: Vec<u8>,
    close: Vec<u8>,
}

impl Answer {
    fn new(body: Bytes) -> Self {
        Self { body, second: u64::MAX, keep_alive: Vec::new(), close: Vec::new() }
    }

    fn get(&mut self, close: bool) -> &[u8] {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        if now != self.second {
            self.second = now;
            let date = http_date(now);
            let head = |connection: &str| {
                let mut out = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\ndate: {date}\r\n{connection}\r\n",
                    self.body.len()
                )
                .into_bytes();
                out.extend_from_slice(&self.body);
                out
            };
            self.keep_alive = head("");
            self.close = head("connection: close\r\n");
        }
        if close { &self.close } else { &self.keep_alive }
    }
}

/// `secs` since the epoch as an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`).
fn http_date(secs: u64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] =
        ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let days = secs / 86_400;
    let rem = secs % 86_400;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm), for years >= 1970.
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z % 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    format!(
        "{}, {day:02} {} {year} {:02}:{:02}:{:02} GMT",
        DAYS[(days % 7) as usize],
        MONTHS[(month - 1) as usize],
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

async fn terminate() {
    match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(mut s) => {
            s.recv().await;
        }
        Err(_) => std::future::pending::<()>().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heads_are_framed_by_content_length() {
        let req = b"POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello";
        assert_eq!(
            parse_head(req),
            Head::Complete { len: req.len() - 5, content_length: 5, close: false, expect_continue: false }
        );
        assert_eq!(parse_head(&req[..20]), Head::Partial);
        let close = b"POST / HTTP/1.1\r\nconnection: Close\r\nexpect: 100-continue\r\n\r\n";
        assert_eq!(
            parse_head(close),
            Head::Complete { len: close.len(), content_length: 0, close: true, expect_continue: true }
        );
        let old = b"\r\nGET / HTTP/1.0\n\n";
        assert!(matches!(parse_head(old), Head::Complete { close: true, len: 18, .. }));
        let old_kept = b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n";
        assert!(matches!(parse_head(old_kept), Head::Complete { close: false, .. }));
    }

    #[test]
    fn bad_heads_are_refused_with_a_reason() {
        for (req, status) in [
            (&b"HELLO\r\n\r\n"[..], "400 Bad Request"),
            (b"POST / HTTP/1.1\r\nno colon\r\n\r\n", "400 Bad Request"),
            (b"POST / HTTP/1.1\r\ncontent-length: 1x\r\n\r\n", "400 Bad Request"),
            (b"POST / HTTP/1.1\r\ncontent-length: 1\r\ncontent-length: 2\r\n\r\n", "400 Bad Request"),
            (b"POST / HTTP/1.1\r\ntransfer-encoding: chunked\r\n\r\n", "501 Not Implemented"),
        ] {
            assert!(matches!(parse_head(req), Head::Bad { status: s, .. } if s == status), "{req:?}");
        }
        let mut huge = b"POST / HTTP/1.1\r\nx: ".to_vec();
        huge.resize(MAX_HEAD + 10, b'a');
        assert!(matches!(parse_head(&huge), Head::Bad { status: "431 Request Header Fields Too Large", .. }));
    }

    #[test]
    fn dates_are_imf_fixdate() {
        assert_eq!(http_date(784_111_777), "Sun, 06 Nov 1994 08:49:37 GMT");
        assert_eq!(http_date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(http_date(951_782_400), "Tue, 29 Feb 2000 00:00:00 GMT");
    }

    #[tokio::test]
    async fn answers_keep_alive_requests_in_order() {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let server = tokio::spawn(accept_loop(listener, Bytes::from_static(b"{\"data\":{}}")));
        let mut stream = TcpStream::connect(addr).await.expect("connect");
        // Two requests in one write (pipelined), the second without its body: the first is
        // answered while the second waits for the rest.
        stream
            .write_all(b"POST /graphql HTTP/1.1\r\nhost: x\r\ncontent-length: 2\r\n\r\n{}POST /graphql HTTP/1.1\r\nhost: x\r\ncontent-length: 2\r\nconnection: close\r\n\r\n")
            .await
            .expect("write");
        let mut first = Vec::new();
        while !first.ends_with(b"{\"data\":{}}") {
            let mut chunk = [0u8; 512];
            let n = stream.read(&mut chunk).await.expect("read the first answer");
            assert!(n > 0, "closed before the first answer");
            first.extend_from_slice(&chunk[..n]);
        }
        stream.write_all(b"{}").await.expect("write body");
        let mut rest = String::new();
        stream.read_to_string(&mut rest).await.expect("read until close");
        let answer = String::from_utf8(first).expect("utf-8") + &rest;
        assert_eq!(answer.matches("HTTP/1.1 200 OK\r\n").count(), 2, "{answer}");
        assert_eq!(answer.matches("{\"data\":{}}").count(), 2);
        assert!(answer.contains("content-length: 11\r\n"));
        assert!(answer.ends_with("connection: close\r\n\r\n{\"data\":{}}"), "{answer}");
        server.abort();
    }
}
