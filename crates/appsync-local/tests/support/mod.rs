//! What appsync-local's own tests share beyond the workspace kit (`appsync_testkit`, re-exported
//! here): talking WebSocket to the real-time endpoints, and signing their messages.
#![allow(dead_code, unreachable_pub, missing_docs)]
// Helpers of the tests: a failed expect is the test failing, with its message.
#![allow(clippy::expect_used)]

use std::time::{Duration, SystemTime};

use futures_util::{SinkExt, StreamExt};
use serde_json::{Map, Value};
use tokio_tungstenite::tungstenite::Message;

pub use appsync_testkit::*;

pub mod events;

pub type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

pub const CONNECT_HEADERS: [(&str, &str); 3] = [
    ("accept", "application/json, text/javascript"),
    ("content-encoding", "amz-1.0"),
    ("content-type", "application/json; charset=UTF-8"),
];

/// Headers for POST `path` with `body`, signed by appsync-sigv4, as the JSON object AppSync
/// wants in a real-time handshake or message (GraphQL `/graphql/connect`, Events `/event`).
pub fn iam_headers(host: &str, path: &str, body: &[u8], secret: &str) -> Map<String, Value> {
    let creds = appsync_sigv4::Credentials::new(AKID, secret, None, None);
    let mut base: Vec<(&str, &[u8])> = vec![("host", host.as_bytes())];
    for (k, v) in CONNECT_HEADERS {
        base.push((k, v.as_bytes()));
    }
    let req =
        appsync_sigv4::SignableRequest::new("POST", path, base, appsync_sigv4::SignableBody::Bytes(body))
            .expect("signable");
    let params = appsync_sigv4::SigningParams::new(&creds, REGION, "appsync", SystemTime::now());
    let out = appsync_sigv4::sign(&req, &params).expect("sign");
    let mut m = Map::new();
    m.insert("host".into(), host.into());
    for (k, v) in CONNECT_HEADERS {
        m.insert(k.into(), v.into());
    }
    for part in out.headers() {
        m.insert(part.name().into(), part.value().into());
    }
    m
}

pub async fn send(ws: &mut Ws, v: Value) {
    ws.send(Message::Text(v.to_string().into())).await.expect("send");
}

/// The next protocol message other than `ka`; `None` once the server closed.
pub async fn recv(ws: &mut Ws) -> Option<Value> {
    loop {
        let frame = tokio::time::timeout(Duration::from_secs(5), ws.next()).await.expect("a frame in time");
        match frame {
            Some(Ok(Message::Text(t))) => {
                let v: Value = serde_json::from_str(t.as_str()).expect("json");
                if v["type"] != "ka" {
                    return Some(v);
                }
            }
            Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return None,
            Some(Ok(_)) => {}
        }
    }
}

/// The close frame the server sends next (code and reason), skipping `ka` and other messages.
pub async fn close_frame(ws: &mut Ws) -> (u16, String) {
    loop {
        let frame = tokio::time::timeout(Duration::from_secs(5), ws.next()).await.expect("a frame in time");
        match frame {
            Some(Ok(Message::Close(Some(close)))) => {
                return (close.code.into(), close.reason.as_str().to_owned());
            }
            Some(Ok(Message::Text(_) | Message::Ping(_) | Message::Pong(_))) => {}
            other => panic!("expected a close frame, got {other:?}"),
        }
    }
}
