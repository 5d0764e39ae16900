//! A small AppSync-like server on 127.0.0.1:0 for the client's integration tests: real HTTP,
//! real SigV4 verification with `appsync_sigv4::Verifier`, API keys and tokens checked, and
//! faults on demand (dropped connections, 429, 500, clock-skew rejections, delays).

#![allow(dead_code, unreachable_pub, missing_docs)]

pub mod events_stub;
pub mod proxy;
pub mod realtime;

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use appsync_sigv4::{Credentials, SignableBody, SignableRequest, Verifier};
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, Request as HttpRequest, Response};
use serde_json::{Value, json};

pub const REGION: &str = "us-east-1";

/// What the next request gets instead of a normal answer.
#[derive(Debug, Clone)]
pub enum Fault {
    /// Headers go out, then the connection is cut mid-body.
    Drop,
    /// 429 with AppSync's `TooManyRequestsException` body.
    Throttle,
    /// 429 with `Retry-After: <seconds>`.
    ThrottleFor(u64),
    /// 500 with a plain body.
    ServerError,
    /// 502 with a non-JSON body.
    BadGateway,
    /// Answer normally after this long.
    Delay(Duration),
    /// An arbitrary status and JSON body.
    Status(u16, Value),
}

/// What the server saw of one request.
#[derive(Debug, Clone)]
pub struct Seen {
    pub mode: &'static str,
    /// Access key id, API key or token.
    pub identity: String,
    pub session_token: Option<String>,
    pub headers: HeaderMap,
    pub body: Value,
}

#[derive(Default)]
pub struct ServerState {
    creds: Mutex<HashMap<String, Credentials>>,
    api_keys: Mutex<Vec<String>>,
    tokens: Mutex<Vec<String>>,
    faults: Mutex<VecDeque<Fault>>,
    /// How far the server's clock is ahead of the real one, in seconds (negative: behind).
    skew_secs: Mutex<i64>,
    seen: Mutex<Vec<Seen>>,
    hits: AtomicUsize,
}

#[derive(Clone)]
pub struct TestServer {
    pub url: String,
    pub state: Arc<ServerState>,
}

impl TestServer {
    pub async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        Self::serve(listener)
    }

    pub fn serve(listener: tokio::net::TcpListener) -> Self {
        let addr = listener.local_addr().expect("addr");
        let state = Arc::new(ServerState::default());
        let app = axum::Router::new()
            .route("/graphql", axum::routing::post(handle))
            // AppSync Events' HTTP publishes: the same auth checks and faults.
            .route("/event", axum::routing::post(handle))
            .route("/verify/{service}", axum::routing::any(verify_any))
            .with_state(state.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self { url: format!("http://{addr}/graphql"), state }
    }

    pub fn allow_credentials(&self, creds: &Credentials) -> &Self {
        self.state.creds.lock().unwrap().insert(creds.access_key_id().to_owned(), creds.clone());
        self
    }

    pub fn revoke_credentials(&self, access_key_id: &str) {
        self.state.creds.lock().unwrap().remove(access_key_id);
    }

    pub fn allow_api_key(&self, key: &str) -> &Self {
        self.state.api_keys.lock().unwrap().push(key.to_owned());
        self
    }

    pub fn allow_token(&self, token: &str) -> &Self {
        self.state.tokens.lock().unwrap().push(token.to_owned());
        self
    }

    pub fn revoke_token(&self, token: &str) {
        self.state.tokens.lock().unwrap().retain(|t| t != token);
    }

    pub fn push_fault(&self, fault: Fault) -> &Self {
        self.state.faults.lock().unwrap().push_back(fault);
        self
    }

    pub fn push_faults(&self, fault: Fault, n: usize) -> &Self {
        for _ in 0..n {
            self.push_fault(fault.clone());
        }
        self
    }

    pub fn set_clock_skew(&self, secs: i64) {
        *self.state.skew_secs.lock().unwrap() = secs;
    }

    pub fn hits(&self) -> usize {
        self.state.hits.load(Ordering::SeqCst)
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.state.seen.lock().unwrap().clone()
    }
}

fn server_now(state: &ServerState) -> SystemTime {
    let skew = *state.skew_secs.lock().unwrap();
    let now = SystemTime::now();
    if skew >= 0 {
        now + Duration::from_secs(skew as u64)
    } else {
        now - Duration::from_secs(skew.unsigned_abs())
    }
}

fn json_response(status: u16, body: Value, state: &ServerState) -> Response<Body> {
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .header("date", httpdate::fmt_http_date(server_now(state)))
        .body(Body::from(body.to_string()))
        .unwrap()
}

fn unauthorized(state: &ServerState, message: &str) -> Response<Body> {
    json_response(401, json!({"errors": [{"errorType": "UnauthorizedException", "message": message}]}), state)
}

fn forbidden(state: &ServerState, error_type: &str, message: &str) -> Response<Body> {
    let mut r = json_response(403, json!({"errors": [{"errorType": error_type, "message": message}]}), state);
    r.headers_mut().insert("x-amzn-ErrorType", error_type.parse().unwrap());
    r
}

async fn handle(State(state): State<Arc<ServerState>>, request: HttpRequest<Body>) -> Response<Body> {
    state.hits.fetch_add(1, Ordering::SeqCst);
    let (parts, body) = request.into_parts();
    let body: Bytes = axum::body::to_bytes(body, 1 << 20).await.unwrap_or_default();
    let fault = state.faults.lock().unwrap().pop_front();
    match fault {
        Some(Fault::Drop) => {
            let stream = futures_util::stream::once(async {
                Err::<Bytes, std::io::Error>(std::io::Error::other("connection cut by the test server"))
            });
            return Response::builder()
                .status(200)
                .header("content-type", "application/json")
                .header("content-length", "100")
                .body(Body::from_stream(stream))
                .unwrap();
        }
        Some(Fault::Throttle) => {
            return json_response(
                429,
                json!({"errors": [{"errorType": "TooManyRequestsException", "message": "Rate exceeded"}]}),
                &state,
            );
        }
        Some(Fault::ThrottleFor(secs)) => {
            let mut r = json_response(
                429,
                json!({"errors": [{"errorType": "TooManyRequestsException", "message": "Rate exceeded"}]}),
                &state,
            );
            r.headers_mut().insert("retry-after", secs.to_string().parse().unwrap());
            return r;
        }
        Some(Fault::ServerError) => {
            return json_response(
                500,
                json!({"errors": [{"errorType": "InternalFailure", "message": "An internal failure occurred"}]}),
                &state,
            );
        }
        Some(Fault::BadGateway) => {
            return Response::builder().status(502).body(Body::from("<html>bad gateway</html>")).unwrap();
        }
        // The delay is the fault: a server slower than the client's timeout.
        Some(Fault::Delay(d)) => tokio::time::sleep(d).await,
        Some(Fault::Status(code, body)) => return json_response(code, body, &state),
        None => {}
    }

    // Authenticate as AppSync does: SigV4, else x-api-key, else a bearer token.
    let headers = &parts.headers;
    let authz = headers.get("authorization").and_then(|v| v.to_str().ok()).map(str::to_owned);
    let (mode, identity, session_token) = if authz
        .as_deref()
        .is_some_and(|a| a.starts_with("AWS4-HMAC-SHA256"))
    {
        let store = state.creds.lock().unwrap().clone();
        let verifier = Verifier::new(store, REGION, "appsync");
        let signable = SignableRequest::from_http_parts(&parts, SignableBody::Bytes(&body));
        match verifier.verify(&signable, server_now(&state)) {
            Ok(verified) => (
                "iam",
                verified.access_key_id().to_owned(),
                headers.get("x-amz-security-token").and_then(|v| v.to_str().ok()).map(str::to_owned),
            ),
            Err(e) if e.is_time_related() => {
                let claimed = headers.get("x-amz-date").and_then(|v| v.to_str().ok()).unwrap_or("?");
                let message = format!(
                    "Signature expired: {claimed} is now earlier than the server's time minus 5 min. ({})",
                    httpdate::fmt_http_date(server_now(&state))
                );
                return forbidden(&state, "InvalidSignatureException", &message);
            }
            Err(e) => {
                let unknown = matches!(e.kind(), appsync_sigv4::VerifyErrorKind::UnknownAccessKey);
                if unknown {
                    return forbidden(
                        &state,
                        "UnrecognizedClientException",
                        "The security token included in the request is invalid.",
                    );
                }
                return forbidden(
                    &state,
                    "InvalidSignatureException",
                    &format!(
                        "The request signature we calculated does not match the signature you provided. ({e})"
                    ),
                );
            }
        }
    } else if let Some(key) = headers.get("x-api-key").and_then(|v| v.to_str().ok()) {
        if !state.api_keys.lock().unwrap().iter().any(|k| k == key) {
            return unauthorized(&state, "You are not authorized to make this call.");
        }
        ("api-key", key.to_owned(), None)
    } else if let Some(token) = authz {
        if !state.tokens.lock().unwrap().contains(&token) {
            return unauthorized(&state, "Valid authorization header not provided.");
        }
        ("token", token, None)
    } else {
        return unauthorized(&state, "Valid authorization header not provided.");
    };

    let parsed: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    state.seen.lock().unwrap().push(Seen {
        mode,
        identity: identity.clone(),
        session_token,
        headers: headers.clone(),
        body: parsed.clone(),
    });
    let query = parsed["query"].as_str().unwrap_or("");
    let variables = parsed.get("variables").cloned().unwrap_or(Value::Null);
    let answer = if query.contains("badField") {
        json!({"data": null, "errors": [{"path": null, "locations": [{"line": 1, "column": 3, "sourceName": null}],
            "message": "Validation error of type FieldUndefined: Field 'badField' in type 'Query' is undefined @ 'badField'"}]})
    } else if query.contains("failingResolver") {
        json!({"data": {"failingResolver": null}, "errors": [{"path": ["failingResolver"], "data": null,
            "errorType": "DynamoDB:ConditionalCheckFailedException", "errorInfo": {"table": "Posts"},
            "locations": [{"line": 1, "column": 9, "sourceName": null}], "message": "The conditional request failed"}]})
    } else if query.contains("wrongType") {
        json!({"data": {"posts": [{"id": "1", "title": "ok"}, {"id": 2, "title": "bad id"}]}})
    } else if query.contains("getPost") {
        json!({"data": {"getPost": {"id": variables["id"], "title": "hello"}}, "extensions": {"trace": "t-1"}})
    } else {
        json!({"data": {"whoami": {"mode": mode, "identity": identity}, "echo": parsed}})
    };
    json_response(200, answer, &state)
}

/// Verifies a SigV4 request for any service (the signing middleware's tests): 200 with the
/// access key id, or 403 with the reason.
async fn verify_any(
    State(state): State<Arc<ServerState>>,
    axum::extract::Path(service): axum::extract::Path<String>,
    request: HttpRequest<Body>,
) -> Response<Body> {
    state.hits.fetch_add(1, Ordering::SeqCst);
    let (parts, body) = request.into_parts();
    let body: Bytes = axum::body::to_bytes(body, 1 << 20).await.unwrap_or_default();
    let store = state.creds.lock().unwrap().clone();
    let verifier = Verifier::new(store, REGION, service).allow_unsigned_payload(true);
    let signable = SignableRequest::from_http_parts(&parts, SignableBody::Bytes(&body));
    match verifier.verify(&signable, server_now(&state)) {
        Ok(v) => json_response(
            200,
            json!({"accessKeyId": v.access_key_id(), "signedHeaders": v.signed_headers(), "body": String::from_utf8_lossy(&body)}),
            &state,
        ),
        Err(e) => forbidden(&state, "InvalidSignatureException", &e.to_string()),
    }
}
