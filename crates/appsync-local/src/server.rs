//! Serving connections: binding the listening socket, the accept loop with its slow-client
//! defences, and the handle of a server running in the background.

use std::net::SocketAddr;
use std::time::Duration;

use axum::{Extension, Router};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder as AutoBuilder;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;

use crate::Emulator;
use crate::error::{Error, Kind};
use crate::websocket::Stopping;

/// Accepts connections until `shutdown` completes, then lets in-flight requests finish and
/// closes the WebSockets (for at most `drain`). Unlike `axum::serve`, connections get a header
/// read timeout, so clients that trickle their headers (slow loris) are cut off.
pub(crate) async fn serve_connections(
    router: Router,
    listener: tokio::net::TcpListener,
    tls: Option<TlsAcceptor>,
    shutdown: impl std::future::Future<Output = ()>,
    header_timeout: Duration,
    drain: Duration,
) {
    let graceful = GracefulShutdown::new();
    // Upgraded connections are out of hyper's sight: they get the signal instead.
    let (stop, stopping) = Stopping::channel();
    let router = router.layer(Extension(stopping));
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(accepted) => accepted,
                    Err(e) => {
                        // Typically EMFILE under a connection flood: back off instead of spinning.
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(20)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let watcher = graceful.watcher();
                let router = router.clone();
                let tls = tls.clone();
                tokio::spawn(async move {
                    let mut builder = AutoBuilder::new(TokioExecutor::new());
                    builder.http1().timer(TokioTimer::new()).header_read_timeout(header_timeout);
                    builder.http2().timer(TokioTimer::new());
                    let service = TowerToHyperService::new(WithPeer { inner: router, peer });
                    let Some(acceptor) = tls else {
                        if !version_readable(&stream, header_timeout).await {
                            tracing::debug!("connection sent no request in time; closing");
                            return;
                        }
                        let conn = builder.serve_connection_with_upgrades(TokioIo::new(stream), service);
                        if let Err(e) = watcher.watch(conn.into_owned()).await {
                            tracing::debug!(error = %e, "connection closed with an error");
                        }
                        return;
                    };
                    // The handshake gets the header timeout too: a client that opens a socket and
                    // never says hello would otherwise hold it forever.
                    let stream = match tokio::time::timeout(header_timeout, acceptor.accept(stream)).await {
                        Ok(Ok(stream)) => stream,
                        Ok(Err(e)) => {
                            tracing::debug!(error = %e, "TLS handshake failed");
                            return;
                        }
                        Err(_) => {
                            tracing::debug!("TLS handshake not finished in time; closing");
                            return;
                        }
                    };
                    // ALPN says which HTTP the client speaks, so hyper need not sniff for the
                    // HTTP/2 preface (which it reads with no timeout of its own).
                    builder = if stream.get_ref().1.alpn_protocol() == Some(b"h2") {
                        builder.http2_only()
                    } else {
                        builder.http1_only()
                    };
                    let conn = builder.serve_connection_with_upgrades(TokioIo::new(stream), service);
                    if let Err(e) = watcher.watch(conn.into_owned()).await {
                        tracing::debug!(error = %e, "connection closed with an error");
                    }
                });
            }
            () = &mut shutdown => break,
        }
    }
    drop(listener);
    drop(router);
    stop.send_replace(true);
    let drained = async {
        graceful.shutdown().await;
        // Every connection (HTTP or upgraded) holds a copy of the signal until it ends.
        stop.closed().await;
    };
    if tokio::time::timeout(drain, drained).await.is_err() {
        tracing::debug!("connections still open after the drain period; dropping them");
    }
}

/// A service that tells every request of a connection which address it came from (axum's
/// [`ConnectInfo`](axum::extract::ConnectInfo) extension), for `ctx.identity.sourceIp`.
#[derive(Clone)]
struct WithPeer<S> {
    inner: S,
    peer: SocketAddr,
}

impl<S, B> tower::Service<http::Request<B>> for WithPeer<S>
where
    S: tower::Service<http::Request<B>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut std::task::Context<'_>) -> std::task::Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: http::Request<B>) -> Self::Future {
        request.extensions_mut().insert(axum::extract::ConnectInfo(self.peer));
        self.inner.call(request)
    }
}

/// Waits (at most `timeout`) until the client has sent enough for the HTTP version to be told:
/// hyper-util reads up to the 24-byte HTTP/2 preface with no timeout of its own, so a client
/// that connects and sends nothing (or a prefix of the preface) would hold its socket forever.
/// True when hyper can take over (EOF included: hyper then ends the connection itself).
async fn version_readable(stream: &tokio::net::TcpStream, timeout: Duration) -> bool {
    const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
    let mut buf = [0u8; PREFACE.len()];
    tokio::time::timeout(timeout, async {
        loop {
            match stream.peek(&mut buf).await {
                Ok(n) if n == 0 || n == PREFACE.len() || buf[..n] != PREFACE[..n] => return true,
                Err(_) => return false,
                // Part of the preface: peek would return at once again, so wait a little.
                Ok(_) => tokio::time::sleep(Duration::from_millis(5)).await,
            }
        }
    })
    .await
    .unwrap_or(false)
}

/// A server running in the background; dropping it stops the server.
#[derive(Debug)]
pub struct ServerHandle {
    addr: SocketAddr,
    tls: bool,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<Result<(), Error>>>,
}

impl ServerHandle {
    pub(crate) fn start(emulator: Emulator, listener: tokio::net::TcpListener) -> Result<Self, Error> {
        let addr = listener
            .local_addr()
            .map_err(|e| Error::new(Kind::Io, "could not read the bound address").with_source(e))?;
        let tls = emulator.inner.tls.is_some();
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            emulator
                .serve(listener, async move {
                    // A dropped sender means the handle is gone: stop as well.
                    let _ = rx.await;
                })
                .await;
            Ok(())
        });
        Ok(Self { addr, tls, shutdown: Some(tx), task: Some(task) })
    }

    /// The bound address.
    #[must_use]
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://HOST:PORT/graphql`, or `https://` when the emulator serves TLS.
    #[must_use]
    pub fn graphql_url(&self) -> String {
        format!("{}://{}/graphql", if self.tls { "https" } else { "http" }, self.addr)
    }

    /// The real-time endpoint: `ws://HOST:PORT/graphql/realtime`, or `wss://` with TLS.
    #[must_use]
    pub fn realtime_url(&self) -> String {
        format!("{}://{}/graphql/realtime", if self.tls { "wss" } else { "ws" }, self.addr)
    }

    /// The AppSync Events HTTP endpoint: `http://HOST:PORT/event`, or `https://` with TLS.
    #[must_use]
    pub fn event_url(&self) -> String {
        format!("{}://{}/event", if self.tls { "https" } else { "http" }, self.addr)
    }

    /// The AppSync Events WebSocket: `ws://HOST:PORT/event/realtime`, or `wss://` with TLS.
    #[must_use]
    pub fn event_realtime_url(&self) -> String {
        format!("{}://{}/event/realtime", if self.tls { "wss" } else { "ws" }, self.addr)
    }

    /// Stops accepting, finishes in-flight requests, closes the WebSockets (GraphQL real-time
    /// and Events: close 1001, "server shutting down"), and waits for the server to end (at
    /// most 10 seconds for the connections to finish).
    pub async fn shutdown(mut self) -> Result<(), Error> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        match self.task.take() {
            Some(task) => {
                task.await.map_err(|e| Error::new(Kind::Io, "the server task failed").with_source(e))?
            }
            None => Ok(()),
        }
    }
}

impl Drop for ServerHandle {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// Listen backlog: std and tokio use 128, which a burst of connections overflows (the kernel
/// then resets some of them before the server ever sees them). The kernel caps it at somaxconn.
const LISTEN_BACKLOG: u32 = 4096;

/// Binds a listening socket for [`Emulator::serve`] with a backlog deep enough for bursts of
/// connections (the first address `addr` resolves to that binds).
pub async fn bind(addr: impl tokio::net::ToSocketAddrs) -> Result<tokio::net::TcpListener, Error> {
    let mut last = None;
    let addrs = tokio::net::lookup_host(addr)
        .await
        .map_err(|e| Error::new(Kind::Io, "could not resolve the listen address").with_source(e))?;
    for addr in addrs {
        let attempt = (|| {
            let socket = if addr.is_ipv4() {
                tokio::net::TcpSocket::new_v4()?
            } else {
                tokio::net::TcpSocket::new_v6()?
            };
            socket.set_reuseaddr(true)?;
            socket.bind(addr)?;
            socket.listen(LISTEN_BACKLOG)
        })();
        match attempt {
            Ok(listener) => return Ok(listener),
            Err(e) => last = Some(e),
        }
    }
    let e = Error::new(Kind::Io, "could not bind the listening socket");
    Err(match last {
        Some(source) => e.with_source(source),
        None => e,
    })
}
