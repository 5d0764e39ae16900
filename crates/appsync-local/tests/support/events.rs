//! Talking AppSync Events to the emulator: the WebSocket at `/event/realtime` and `POST /event`.

use base64::Engine as _;
use serde_json::{Map, Value, json};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use super::*;

/// The authorization object for POST `/event` over `body`.
pub fn iam(host: &str, body: &[u8], secret: &str) -> Map<String, Value> {
    iam_headers(host, "/event", body, secret)
}

pub fn api_key(host: &str, key: &str) -> Map<String, Value> {
    json!({"host": host, "x-api-key": key}).as_object().cloned().unwrap_or_default()
}

pub fn token(host: &str, token: &str) -> Map<String, Value> {
    json!({"host": host, "Authorization": token}).as_object().cloned().unwrap_or_default()
}

/// Opens the socket with the connect authorization in a `header-` subprotocol, as Amplify JS does.
pub async fn connect(s: &Server, headers: &Map<String, Value>) -> Ws {
    connect_with(s, headers, &[]).await
}

/// [`connect`], with `extra` headers on the upgrade request (a proxy's `x-forwarded-for`...).
pub async fn connect_with(s: &Server, headers: &Map<String, Value>, extra: &[(&str, &str)]) -> Ws {
    let b64 =
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Value::Object(headers.clone()).to_string());
    let mut req = format!("ws://{}/event/realtime", s.host).into_client_request().expect("request");
    req.headers_mut().insert(
        "sec-websocket-protocol",
        format!("aws-appsync-event-ws, header-{b64}").parse().expect("header"),
    );
    for (name, value) in extra {
        let name =
            tokio_tungstenite::tungstenite::http::HeaderName::from_bytes(name.as_bytes()).expect("name");
        req.headers_mut().insert(name, value.parse().expect("header value"));
    }
    let (ws, resp) = tokio_tungstenite::connect_async(req).await.expect("upgrade");
    assert_eq!(
        resp.headers().get("sec-websocket-protocol").and_then(|v| v.to_str().ok()),
        Some("aws-appsync-event-ws")
    );
    ws
}

pub async fn init(ws: &mut Ws) {
    send(ws, json!({"type": "connection_init"})).await;
    assert_eq!(recv(ws).await, Some(json!({"type": "connection_ack", "connectionTimeoutMs": 300000})));
}

pub async fn subscribe(ws: &mut Ws, id: &str, channel: &str, authorization: Map<String, Value>) -> Value {
    send(ws, json!({"type": "subscribe", "id": id, "channel": channel, "authorization": authorization}))
        .await;
    recv(ws).await.expect("an answer to subscribe")
}

pub async fn subscribed(ws: &mut Ws, id: &str, channel: &str, authorization: Map<String, Value>) {
    assert_eq!(
        subscribe(ws, id, channel, authorization).await,
        json!({"type": "subscribe_success", "id": id})
    );
}

pub fn publish_msg(id: &str, channel: &str, events: &[&str], authorization: Map<String, Value>) -> Value {
    json!({"type": "publish", "id": id, "channel": channel, "events": events, "authorization": authorization})
}

/// The next `data` messages, as (subscription id, event string), sorted.
pub async fn data(ws: &mut Ws, n: usize) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for _ in 0..n {
        let m = recv(ws).await.expect("data");
        assert_eq!(m["type"], "data", "{m}");
        out.push((
            m["id"].as_str().expect("id").to_owned(),
            m["event"].as_str().expect("event string").to_owned(),
        ));
    }
    out.sort();
    out
}

/// A publish's own `data` and its `publish_success`/`publish_error`, in either order, as
/// `[data, answer]`.
pub async fn data_and_answer(ws: &mut Ws) -> [Value; 2] {
    let mut got = [recv(ws).await.expect("message"), recv(ws).await.expect("message")];
    got.sort_by_key(|m| m["type"] != "data");
    got
}

pub struct Post {
    pub status: u16,
    pub body: Value,
    pub text: String,
}

pub async fn post(s: &Server, headers: &[(&str, String)], body: &Value) -> Post {
    let bytes = serde_json::to_vec(body).expect("json");
    let mut req =
        s.client.post(format!("http://{}/event", s.host)).header("content-type", "application/json");
    for (k, v) in headers {
        req = req.header(*k, v);
    }
    let resp = req.body(bytes).send().await.expect("send");
    let status = resp.status().as_u16();
    let text = resp.text().await.expect("body");
    Post { status, body: serde_json::from_str(&text).unwrap_or(Value::Null), text }
}

pub async fn post_key(s: &Server, channel: &str, events: &[&str]) -> Post {
    post(s, &[("x-api-key", API_KEY.to_owned())], &json!({"channel": channel, "events": events})).await
}
