//! The HTTP side: `POST /graphql` with AppSync's status codes, headers and error bodies.
//!
//! The realtime WebSocket endpoint (`GET /graphql` upgrades and `/graphql/realtime`) is routed
//! beside it; it consumes [`Emulator::subscribe_mutations`].

use std::time::SystemTime;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use axum::routing::{get, post};
use serde_json::{Map, Value};

use crate::Emulator;
use crate::auth::{AuthFailure, RequestParts};
use crate::engine::GraphQLRequest;

/// The HTTP routes of `emulator`, shared by `appsync local`, [`Emulator::spawn`] and tests.
pub fn app(emulator: Emulator) -> Router {
    Router::new()
        .route("/graphql", post(graphql).options(preflight).get(crate::realtime::upgrade))
        .route("/graphql/realtime", get(crate::realtime::upgrade))
        .route("/event", post(crate::events::http::publish).options(preflight))
        .route("/event/realtime", get(crate::events::upgrade))
        .with_state(emulator)
}

const JSON: &str = "application/json;charset=UTF-8";

/// AppSync's `access-control-expose-headers`, as captured in amplify-js #5579.
const EXPOSE_HEADERS: &str =
    "x-amzn-RequestId,x-amzn-ErrorType,x-amz-user-agent,x-amzn-ErrorMessage,Date,x-amz-schema-version";

/// `x-amzn-appsync-TokensConsumed`: AppSync allocates tokens by the resources (processing time
/// and memory) a request uses, usually one per request (AppSync monitoring docs, `TokensConsumed`).
/// The emulator reports that usual one for every request that reached execution.
const TOKENS_CONSUMED: &str = "x-amzn-appsync-TokensConsumed";

/// The request headers a preflight allows when the browser names none: what AppSync's clients send.
const ALLOW_HEADERS: &str = "authorization, content-type, x-api-key, x-amz-date, x-amz-security-token, x-amz-content-sha256, x-amz-user-agent";

/// CORS preflight: browsers on a local dev server (another origin) may call the emulator,
/// as they may call AppSync. Whatever request headers the browser asks for are allowed, as
/// AppSync allows them: browser apps send their own headers to AppSync for resolvers to read in
/// `ctx.request.headers` (e.g. aws-mobile-appsync-sdk-js #761, a custom `x-appsync-domain` header
/// from an Angular app), which a fixed list would make the browser refuse.
pub(crate) async fn preflight(headers: axum::http::HeaderMap) -> Response {
    let mut resp = Response::new(Body::empty());
    let h = resp.headers_mut();
    h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    h.insert(header::ACCESS_CONTROL_ALLOW_METHODS, HeaderValue::from_static("GET, POST, OPTIONS"));
    let requested = headers.get(header::ACCESS_CONTROL_REQUEST_HEADERS).filter(|v| !v.is_empty());
    h.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        requested.cloned().unwrap_or_else(|| HeaderValue::from_static(ALLOW_HEADERS)),
    );
    h.insert(header::ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static("86400"));
    resp
}

pub(crate) fn json_response(status: StatusCode, body: Vec<u8>) -> Response {
    let mut resp = Response::new(Body::from(body));
    *resp.status_mut() = status;
    resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(JSON));
    resp.headers_mut().insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    resp.headers_mut().insert(
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
        // AppSync's six, byte for byte (amplify-js #5579): browsers may then read `Date` to
        // correct their clock skew.
        HeaderValue::from_static(EXPOSE_HEADERS),
    );
    if let Some(id) = request_id() {
        resp.headers_mut().insert("x-amzn-RequestId", id);
    }
    resp
}

/// A fresh request id, a random UUID as AppSync's are. It is no secret, so a fast thread-local
/// generator serves, rather than the operating system's (a system call on every answer).
fn request_id() -> Option<HeaderValue> {
    let id = uuid::Builder::from_random_bytes(fastrand::u128(..).to_le_bytes()).into_uuid();
    let mut text = [0u8; uuid::fmt::Hyphenated::LENGTH];
    HeaderValue::from_str(id.hyphenated().encode_lower(&mut text)).ok()
}

/// `{"errors":[{"errorType":...,"message":...}]}`, AppSync's shape for request-level errors,
/// laid out by Jackson's default pretty printer as AppSync lays it out (captures in
/// awslabs/aws-mobile-appsync-sdk-js #702, aws-amplify/amplify-js #7906 and #4373).
pub(crate) fn request_error(status: StatusCode, error_type: &str, message: &str) -> Response {
    request_error_entry(status, error_type, Some(message))
}

/// [`request_error`] whose error may have no `message`, as some of AppSync Events' have.
pub(crate) fn request_error_entry(status: StatusCode, error_type: &str, message: Option<&str>) -> Response {
    let message = message.map(|m| format!(",\n    \"message\" : {}", Value::from(m))).unwrap_or_default();
    let body = format!(
        "{{\n  \"errors\" : [ {{\n    \"errorType\" : {}{message}\n  }} ]\n}}",
        Value::from(error_type),
    );
    json_response(status, body.into_bytes())
}

pub(crate) fn auth_failure(f: &AuthFailure) -> Response {
    let status = StatusCode::from_u16(f.status).unwrap_or(StatusCode::UNAUTHORIZED);
    let mut resp = request_error(status, f.error_type, &f.message);
    // On every auth failure, 401s included (real headers captured in amplify-js #5579):
    // Amplify reads the error's name from this header.
    resp.headers_mut().insert("x-amzn-ErrorType", HeaderValue::from_static(f.error_type));
    resp
}

async fn graphql(State(emulator): State<Emulator>, request: Request) -> Response {
    let inner = &emulator.inner;
    let (parts, body) = request.into_parts();
    let bytes = match read_body(&emulator, &parts, body, inner.body_limit).await {
        Ok(bytes) => bytes,
        Err(response) => return response,
    };
    let mut identity = match inner
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
    let Some(mut req) = parse_request(&bytes) else {
        return unparseable_query();
    };
    // Only registered resolvers read them (`ctx.request.headers`, `ctx.identity.sourceIp`).
    if inner.engine.has_resolvers() {
        req.headers = headers_of(&parts.headers);
        identity.set_source_ip(source_ip(&parts));
    }
    execute(&emulator, req, identity).await
}

/// The request body, at most `limit` bytes and within the body timeout, or AppSync's answer
/// (413, 408, 400) when it cannot be had.
pub(crate) async fn read_body(
    emulator: &Emulator,
    parts: &http::request::Parts,
    body: Body,
    limit: usize,
) -> Result<bytes::Bytes, Response> {
    let declared_too_big = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        .is_some_and(|n| n > limit as u64);
    if declared_too_big {
        return Err(too_large(limit));
    }
    match tokio::time::timeout(emulator.inner.body_timeout, axum::body::to_bytes(body, limit)).await {
        Err(_) => Err(request_error(
            StatusCode::REQUEST_TIMEOUT,
            "RequestTimeoutException",
            "The request body was not received in time.",
        )),
        // `to_bytes` reports its limit only through the error's text ("length limit
        // exceeded"); any other failure is a broken body.
        Ok(Err(e)) if error_chain_mentions(&e, "length limit") => Err(too_large(limit)),
        Ok(Err(_)) => Err(request_error(
            StatusCode::BAD_REQUEST,
            "MalformedHttpRequestException",
            "The request body could not be read.",
        )),
        Ok(Ok(b)) => Ok(b),
    }
}

fn unparseable_query() -> Response {
    request_error(StatusCode::BAD_REQUEST, "MalformedHttpRequestException", "Unable to parse GraphQL query.")
}

/// `GET /graphql?query=...&variables=<json>&operationName=...`, which AppSync serves as it
/// serves a POST, for queries and mutations alike (the AppSync team's description of its HTTP
/// contract, graphql/graphql-over-http #81; localstack/localstack #10182). Auth is in the
/// headers; an IAM signature covers the query string and an empty body.
pub(crate) async fn graphql_get(emulator: Emulator, request: Request) -> Response {
    let (parts, _body) = request.into_parts();
    let mut identity = match emulator
        .inner
        .auth
        .authenticate_request(&RequestParts { parts: &parts, body: b"" }, SystemTime::now())
        .await
    {
        Ok(identity) => identity,
        Err(failure) => {
            tracing::debug!(status = failure.status, error_type = failure.error_type, "request rejected");
            return auth_failure(&failure);
        }
    };
    let Some(mut req) = parts.uri.query().and_then(request_from_query) else {
        return unparseable_query();
    };
    if emulator.inner.engine.has_resolvers() {
        req.headers = headers_of(&parts.headers);
        identity.set_source_ip(source_ip(&parts));
    }
    execute(&emulator, req, identity).await
}

/// The headers as resolvers see them: names in lower case, repeated headers joined with commas.
fn headers_of(headers: &axum::http::HeaderMap) -> std::collections::BTreeMap<String, String> {
    let mut out = std::collections::BTreeMap::<String, String>::new();
    for (name, value) in headers {
        let Ok(value) = value.to_str() else { continue };
        out.entry(name.as_str().to_owned())
            .and_modify(|joined| {
                joined.push(',');
                joined.push_str(value);
            })
            .or_insert_with(|| value.to_owned());
    }
    out
}

/// The caller's addresses as AppSync's `ctx.identity.sourceIp` lists them: the entries of the
/// `x-forwarded-for` header (every one of them, in order), then the address of the connection
/// (AppSync developer guide, resolver context reference, "Identity"). A request that came
/// through no socket has no connection address.
pub(crate) fn source_ip(parts: &http::request::Parts) -> Vec<String> {
    source_ip_of(&parts.headers, &parts.extensions)
}

/// [`source_ip`] from a request's headers and extensions: also what a WebSocket upgrade
/// request gives the operations of its connection.
pub(crate) fn source_ip_of(headers: &http::HeaderMap, extensions: &http::Extensions) -> Vec<String> {
    let forwarded = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned);
    let peer = extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|axum::extract::ConnectInfo(addr)| addr.ip().to_canonical().to_string());
    forwarded.chain(peer).collect()
}

/// The request a GET carries in its query string, read as a POST body would be.
fn request_from_query(query: &str) -> Option<GraphQLRequest> {
    let mut body = Map::new();
    for pair in query.split('&') {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let key = form_decode(key)?;
        if matches!(key.as_str(), "query" | "variables" | "operationName") {
            body.insert(key, Value::from(form_decode(value)?));
        }
    }
    parse_request(&serde_json::to_vec(&Value::Object(body)).ok()?)
}

/// `application/x-www-form-urlencoded` decoding: `+` is a space, `%XX` a byte; the result
/// must be UTF-8.
fn form_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok())?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

/// Runs an authorized request and answers with its response body.
async fn execute(emulator: &Emulator, req: GraphQLRequest, identity: crate::Identity) -> Response {
    let inner = &emulator.inner;
    let started = std::time::Instant::now();
    let mode = identity.mode();
    let operation = req.operation_name.clone();
    let response = match inner.engine.execute_here(&req, &identity) {
        Some(response) => response,
        None => inner.threads.execute(&inner.engine, req, identity).await,
    };
    tracing::debug!(
        mode = %mode,
        operation = operation.as_deref().unwrap_or(""),
        elapsed_us = started.elapsed().as_micros() as u64,
        "executed"
    );
    match serde_json::to_vec(&response) {
        Ok(body) => {
            let mut resp = json_response(StatusCode::OK, body);
            resp.headers_mut().insert(TOKENS_CONSUMED, HeaderValue::from_static("1"));
            resp
        }
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
    Some(GraphQLRequest { query, variables, operation_name, headers: std::collections::BTreeMap::new() })
}
