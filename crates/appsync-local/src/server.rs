//! The HTTP side: `POST /graphql` with AppSync's status codes, headers and error bodies.
//!
//! The realtime WebSocket endpoint (`GET /graphql` upgrades and `/graphql/realtime`) is added
//! beside these routes; it consumes [`Emulator::subscribe_mutations`].

use std::net::SocketAddr;
use std::time::{Duration, SystemTime};

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use axum::routing::{get, post};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder as AutoBuilder;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use serde_json::{Map, Value};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::Emulator;
use crate::auth::{AuthFailure, RequestParts};
use crate::error::{Error, Kind};
use crate::execute::GraphQLRequest;

/// The HTTP routes of `emulator`, shared by `appsync local`, [`Emulator::spawn`] and tests.
pub fn app(emulator: Emulator) -> Router {
    Router::new()
        .route("/graphql", post(graphql).options(preflight).get(crate::realtime::upgrade))
        .route("/graphql/realtime", get(crate::realtime::upgrade))
        .with_state(emulator)
}

const JSON: &str = "application/json;charset=UTF-8";

/// CORS preflight: browsers on a local dev server (another origin) may call the emulator,
/// as they may call AppSync.
async fn preflight() -> Response {
    let mut resp = Response::new(Body::empty());
    let h = resp.headers_mut();
    h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    h.insert(header::ACCESS_CONTROL_ALLOW_METHODS, HeaderValue::from_static("GET, POST, OPTIONS"));
    h.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static(
            "authorization, content-type, x-api-key, x-amz-date, x-amz-security-token, x-amz-content-sha256, x-amz-user-agent",
        ),
    );
    h.insert(header::ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static("86400"));
    resp
}

fn json_response(status: StatusCode, body: Vec<u8>) -> Response {
    let mut resp = Response::new(Body::from(body));
    *resp.status_mut() = status;
    resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(JSON));
    resp.headers_mut().insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    resp.headers_mut().insert(
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static("x-amzn-RequestId, x-amzn-ErrorType"),
    );
    if let Ok(id) = HeaderValue::from_str(&uuid::Uuid::new_v4().to_string()) {
        resp.headers_mut().insert("x-amzn-RequestId", id);
    }
    resp
}

/// `{"errors":[{"errorType":...,"message":...}]}`, AppSync's shape for request-level errors.
fn request_error(status: StatusCode, error_type: &str, message: &str) -> Response {
    let body = format!(
        "{{\"errors\":[{{\"errorType\":{},\"message\":{}}}]}}",
        Value::from(error_type),
        Value::from(message)
    );
    json_response(status, body.into_bytes())
}

fn auth_failure(f: &AuthFailure) -> Response {
    let status = StatusCode::from_u16(f.status).unwrap_or(StatusCode::UNAUTHORIZED);
    let mut resp = request_error(status, f.error_type, &f.message);
    if f.amzn_error_type
        && let Ok(v) = HeaderValue::from_str(f.error_type)
    {
        resp.headers_mut().insert("x-amzn-ErrorType", v);
    }
    resp
}

async fn graphql(State(emulator): State<Emulator>, request: Request) -> Response {
    let inner = &emulator.inner;
    let (parts, body) = request.into_parts();
    let limit = inner.body_limit;
    let declared_too_big = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        .is_some_and(|n| n > limit as u64);
    if declared_too_big {
        return too_large(limit);
    }
    let bytes = match tokio::time::timeout(inner.body_timeout, axum::body::to_bytes(body, limit)).await {
        Err(_) => {
            return request_error(
                StatusCode::REQUEST_TIMEOUT,
                "RequestTimeoutException",
                "The request body was not received in time.",
            );
        }
        Ok(Err(e)) => {
            // `to_bytes` reports its limit only through the error's text
            // ("length limit exceeded"); any other failure is a broken body.
            if error_chain_mentions(&e, "length limit") {
                return too_large(limit);
            }
            return request_error(
                StatusCode::BAD_REQUEST,
                "MalformedHttpRequestException",
                "The request body could not be read.",
            );
        }
        Ok(Ok(b)) => b,
    };
    let identity = match inner
        .auth
        .authenticate_request(&RequestParts { parts: &parts, body: &bytes }, SystemTime::now())
        .await
    {
        Ok(identity) => identity,
        Err(failure) => {
            tracing::debug!(status = failure.status, error_type = failure.error_type, "request rejected");
            return auth_failure(&failure);
        }
    };
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return request_error(
            StatusCode::BAD_REQUEST,
            "MalformedHttpRequestException",
            "Request body is empty.",
        );
    }
    let Some(req) = parse_request(&bytes) else {
        return request_error(
            StatusCode::BAD_REQUEST,
            "MalformedHttpRequestException",
            "Unable to parse GraphQL query.",
        );
    };
    let started = std::time::Instant::now();
    let mode = identity.mode();
    let operation = req.operation_name.clone();
    let response = inner.executor.execute(&inner.engine, req, identity).await;
    tracing::debug!(
        mode = %mode,
        operation = operation.as_deref().unwrap_or(""),
        elapsed_us = started.elapsed().as_micros() as u64,
        "executed"
    );
    match serde_json::to_vec(&response) {
        Ok(body) => json_response(StatusCode::OK, body),
        Err(_) => request_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalFailure",
            "The response could not be serialized.",
        ),
    }
}

fn error_chain_mentions(e: &(dyn std::error::Error + 'static), needle: &str) -> bool {
    let mut source = Some(e);
    while let Some(s) = source {
        if s.to_string().contains(needle) {
            return true;
        }
        source = s.source();
    }
    false
}

fn too_large(limit: usize) -> Response {
    request_error(
        StatusCode::PAYLOAD_TOO_LARGE,
        "PayloadTooLargeException",
        &format!("The request body exceeds the limit of {limit} bytes."),
    )
}

/// `{query, variables, operationName}`; anything else is unparseable, as AppSync says.
pub(crate) fn parse_request(bytes: &[u8]) -> Option<GraphQLRequest> {
    let Value::Object(mut body) = serde_json::from_slice::<Value>(bytes).ok()? else {
        return None;
    };
    let Some(Value::String(query)) = body.remove("query") else {
        return None;
    };
    let variables = match body.remove("variables") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(v)) => v,
        // Some clients send variables as a JSON string.
        Some(Value::String(s)) => match serde_json::from_str::<Value>(&s).ok()? {
            Value::Object(v) => v,
            Value::Null => Map::new(),
            _ => return None,
        },
        Some(_) => return None,
    };
    let operation_name = match body.remove("operationName") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s),
        Some(_) => return None,
    };
    Some(GraphQLRequest { query, variables, operation_name })
}

/// Accepts connections until `shutdown` completes, then lets in-flight requests finish (for at
/// most `drain`). Unlike `axum::serve`, connections get a header read timeout, so clients that
/// trickle their headers (slow loris) are cut off.
pub(crate) async fn serve_connections(
    router: Router,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()>,
    header_timeout: Duration,
    drain: Duration,
) {
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let stream = match accepted {
                    Ok((stream, _peer)) => stream,
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
                tokio::spawn(async move {
                    if !version_readable(&stream, header_timeout).await {
                        tracing::debug!("connection sent no request in time; closing");
                        return;
                    }
                    let mut builder = AutoBuilder::new(TokioExecutor::new());
                    builder.http1().timer(TokioTimer::new()).header_read_timeout(header_timeout);
                    builder.http2().timer(TokioTimer::new());
                    let service = TowerToHyperService::new(router);
                    let conn = builder.serve_connection_with_upgrades(TokioIo::new(stream), service).into_owned();
                    if let Err(e) = watcher.watch(conn).await {
                        tracing::debug!(error = %e, "connection closed with an error");
                    }
                });
            }
            () = &mut shutdown => break,
        }
    }
    drop(listener);
    if tokio::time::timeout(drain, graceful.shutdown()).await.is_err() {
        tracing::debug!("connections still open after the drain period; dropping them");
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
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<Result<(), Error>>>,
}

impl ServerHandle {
    pub(crate) fn start(emulator: Emulator, listener: tokio::net::TcpListener) -> Result<Self, Error> {
        let addr = listener
            .local_addr()
            .map_err(|e| Error::new(Kind::Io, "could not read the bound address").with_source(e))?;
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
        Ok(Self { addr, shutdown: Some(tx), task: Some(task) })
    }

    /// The bound address.
    #[must_use]
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://HOST:PORT/graphql`.
    #[must_use]
    pub fn graphql_url(&self) -> String {
        crate::emulator::graphql_url(self.addr)
    }

    /// Stops accepting, finishes in-flight requests, and waits for the server to end.
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
