//! AppSync's real-time WebSocket endpoint: `GET /graphql/realtime` (the custom-domain form)
//! and `GET /graphql` upgrades, subprotocol `graphql-ws`.
//!
//! Connect-time auth comes from the `header=<base64 JSON>&payload=e30=` query parameters or a
//! `header-<base64url JSON>` subprotocol, and is verified by the same authenticator as HTTP
//! (IAM: a signature over POST `/graphql/connect` with body `{}`). Each `start` is authorized on
//! its own (IAM: POST `/graphql` with `data` as the body), validated against the schema and
//! answered `start_ack` or `error`. Mutations from any source fan out from
//! [`Emulator::subscribe_mutations`](crate::Emulator::subscribe_mutations).

mod connection;
mod filter;
mod options;
pub mod protocol;
mod subscription;

use std::sync::Arc;
use std::time::SystemTime;

use axum::Extension;
use axum::body::Body;
use axum::extract::ws::{CloseFrame, Message, WebSocketUpgrade, rejection::WebSocketUpgradeRejection};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use futures_util::{SinkExt, StreamExt, future};
use serde_json::{Map, Value};

use crate::Emulator;
use crate::auth::{AuthFailure, RequestParts};
use crate::error::Error;

pub(crate) use connection::{Inbound, Outbound, refuse, run};
pub use options::RealtimeOptions;
use protocol::ServerMessage;

/// The subprotocol AppSync requires.
pub const SUBPROTOCOL: &str = "graphql-ws";

/// Bytes read from a client socket at a time.
const READ_BUFFER_BYTES: usize = 4096;

/// The emulator's routes (HTTP and real-time) with `options` for the real-time endpoint instead
/// of the emulator's own, for serving with `axum::serve` or embedding in another router.
/// Options out of range are refused as [`EmulatorBuilder::build`](crate::EmulatorBuilder::build)
/// refuses them, naming the field.
pub fn router_with(emulator: &Emulator, options: RealtimeOptions) -> Result<axum::Router, Error> {
    options.check()?;
    Ok(emulator.router().layer(Extension(CheckedOptions(Arc::new(options)))))
}

/// Real-time options that passed [`RealtimeOptions::check`], as a router carries them: a type of
/// its own, so that only checked options reach a connection.
#[derive(Clone)]
pub(crate) struct CheckedOptions(Arc<RealtimeOptions>);

/// Synthetic request parts for authorizing a real-time handshake or `start` with the HTTP
/// authenticator: POST `path` carrying the given headers (`host` among them).
pub(crate) fn authorization_parts(path: &str, headers: &Map<String, Value>) -> Option<http::request::Parts> {
    let mut builder = http::Request::builder().method("POST").uri(path);
    for (name, value) in headers {
        let Value::String(value) = value else { continue };
        let (Ok(name), Ok(value)) = (HeaderName::from_bytes(name.as_bytes()), HeaderValue::from_str(value))
        else {
            return None;
        };
        builder = builder.header(name, value);
    }
    builder.body(()).ok().map(|r| r.into_parts().0)
}

/// Base64 as clients write it: standard or URL-safe alphabet, padded or not.
fn decode_base64(s: &str) -> Option<Vec<u8>> {
    use base64::engine::DecodePaddingMode;
    use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
    let cfg = GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent);
    let standard = GeneralPurpose::new(&base64::alphabet::STANDARD, cfg);
    let url = GeneralPurpose::new(&base64::alphabet::URL_SAFE, cfg);
    let s = s.trim();
    standard.decode(s).or_else(|_| url.decode(s)).ok()
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2]))
        {
            out.push((h * 16 + l) as u8);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The connect-time auth headers: from `?header=` or from a `header-` subprotocol.
pub(crate) fn connect_headers(query: Option<&str>, protocols: &[String]) -> Option<Map<String, Value>> {
    let from_query = query.and_then(|q| {
        q.split('&').find_map(|pair| {
            let (k, v) = pair.split_once('=')?;
            (k == "header").then(|| percent_decode(v))
        })
    });
    let encoded =
        from_query.or_else(|| protocols.iter().find_map(|p| p.strip_prefix("header-").map(str::to_owned)))?;
    match serde_json::from_slice::<Value>(&decode_base64(&encoded)?).ok()? {
        Value::Object(m) => Some(m),
        _ => None,
    }
}

fn bad_request(message: &str) -> Response {
    let body =
        serde_json::json!({"errors": [{"errorType": "BadRequestException", "message": message}]}).to_string();
    let mut resp = Response::new(Body::from(body));
    *resp.status_mut() = StatusCode::BAD_REQUEST;
    resp.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json;charset=UTF-8"));
    resp
}

/// `GET /graphql` and `GET /graphql/realtime`: the WebSocket upgrade.
pub(crate) async fn upgrade(
    State(emulator): State<Emulator>,
    options: Option<Extension<CheckedOptions>>,
    ws: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
    request: Request,
) -> Response {
    let ws = match ws {
        Ok(ws) => ws,
        Err(_) if request.uri().path() == "/graphql" => {
            return crate::http::graphql_get(emulator, request).await;
        }
        Err(rejection) => {
            tracing::debug!(%rejection, "GET without a WebSocket upgrade");
            return bad_request("This endpoint accepts WebSocket upgrades with the graphql-ws subprotocol.");
        }
    };
    let options = options.map_or_else(|| Arc::clone(&emulator.inner.realtime), |Extension(c)| c.0);
    let protocols = requested_protocols(request.headers());
    // Without the subprotocol AppSync still upgrades, then refuses with a `connection_error`
    // (capture in graphql-dotnet/graphql-client #591).
    let subprotocol = protocols.iter().any(|p| p == SUBPROTOCOL);
    let connect = match connect_headers(request.uri().query(), &protocols)
        .and_then(|h| authorization_parts("/graphql/connect", &h))
    {
        None => Err(AuthFailure::unauthorized()),
        Some(parts) => {
            emulator
                .inner
                .auth
                .authenticate_request(&RequestParts { parts: &parts, body: b"{}" }, SystemTime::now())
                .await
        }
    };
    // Frames a little over the limit are still read, so that they get an answer in AppSync's
    // words rather than a bare close; far larger ones are cut off by the WebSocket layer.
    let frame_cap = options.max_message_bytes.saturating_mul(4).max(64 * 1024);
    ws.protocols([SUBPROTOCOL])
        // tungstenite zero-fills its whole read buffer (128 KiB by default) on the first read,
        // which made every idle connection cost that much resident memory; clients send small
        // messages, and a larger one is simply read in more steps.
        .read_buffer_size(READ_BUFFER_BYTES)
        .max_message_size(frame_cap)
        .max_frame_size(frame_cap)
        .on_upgrade(move |socket| async move {
            let (sink, stream) = socket.split();
            let sink = sink.with(|out: Outbound| {
                future::ready(Ok::<Message, axum::Error>(match out {
                    Outbound::Text(t) => Message::Text(t.into()),
                    Outbound::Close(code, reason) => {
                        Message::Close(Some(CloseFrame { code, reason: reason.into() }))
                    }
                }))
            });
            let stream = stream
                .filter_map(|frame| {
                    future::ready(match frame {
                        Ok(Message::Text(t)) => Some(Inbound::Text(t.as_str().to_owned())),
                        Ok(Message::Binary(_)) => Some(Inbound::Binary),
                        // Pings are answered by the WebSocket layer itself.
                        Ok(Message::Ping(_) | Message::Pong(_)) => None,
                        Ok(Message::Close(_)) | Err(_) => Some(Inbound::Close),
                    })
                })
                .boxed();
            if subprotocol {
                run(emulator, options, connect, Box::pin(sink), stream).await;
            } else {
                let message = ServerMessage::subprotocol_not_supported();
                refuse(emulator, options, message, "subprotocol not supported", Box::pin(sink), stream).await;
            }
        })
        .into_response()
}

fn requested_protocols(headers: &HeaderMap) -> Vec<String> {
    headers
        .get_all(header::SEC_WEBSOCKET_PROTOCOL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|p| p.trim().to_owned())
        .filter(|p| !p.is_empty())
        .collect()
}

#[cfg(test)]
mod tests;
