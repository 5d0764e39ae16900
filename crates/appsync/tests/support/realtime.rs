//! A minimal real-time endpoint on 127.0.0.1:0 for what the emulator will not do on demand:
//! withhold `connection_ack` or `start_ack`. It records the auth header JSON of each connection
//! (from the `header-` subprotocol or the `header` query parameter) and every `start`.

// tungstenite's handshake callback returns its HTTP response as the error.
#![allow(clippy::result_large_err)]

use std::sync::{Arc, Mutex};

use base64::Engine as _;
use futures_util::{SinkExt as _, StreamExt as _};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::server::{Request, Response};

#[derive(Debug, Default, Clone)]
pub struct Seen {
    /// The decoded auth header JSON of each connection.
    pub connect_headers: Vec<Value>,
    /// Every `start` message.
    pub starts: Vec<Value>,
    /// Every `stop` id.
    pub stops: Vec<String>,
}

pub struct RealtimeStub {
    /// `http://127.0.0.1:PORT/graphql` (the client derives `/graphql/realtime`).
    pub url: String,
    pub seen: Arc<Mutex<Seen>>,
}

impl RealtimeStub {
    pub async fn start(ack_connection: bool, ack_starts: bool) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let seen: Arc<Mutex<Seen>> = Arc::default();
        let s = seen.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let seen = s.clone();
                tokio::spawn(async move {
                    let header = Arc::new(Mutex::new(None));
                    let h = header.clone();
                    let callback = move |request: &Request, mut response: Response| {
                        *h.lock().unwrap() = header_json(request);
                        response
                            .headers_mut()
                            .insert("sec-websocket-protocol", "graphql-ws".parse().unwrap());
                        Ok(response)
                    };
                    let Ok(mut ws) = tokio_tungstenite::accept_hdr_async(stream, callback).await else {
                        return;
                    };
                    if let Some(h) = header.lock().unwrap().take() {
                        seen.lock().unwrap().connect_headers.push(h);
                    }
                    while let Some(Ok(message)) = ws.next().await {
                        let Message::Text(text) = message else { continue };
                        let message: Value = serde_json::from_str(text.as_str()).unwrap_or_default();
                        let reply = match message["type"].as_str() {
                            Some("connection_init") if ack_connection => Some(
                                json!({"type": "connection_ack", "payload": {"connectionTimeoutMs": 300000}}),
                            ),
                            Some("start") => {
                                let id = message["id"].clone();
                                seen.lock().unwrap().starts.push(message);
                                ack_starts.then(|| json!({"type": "start_ack", "id": id}))
                            }
                            Some("stop") => {
                                seen.lock()
                                    .unwrap()
                                    .stops
                                    .push(message["id"].as_str().unwrap_or("").to_owned());
                                Some(json!({"type": "complete", "id": message["id"]}))
                            }
                            _ => None,
                        };
                        if let Some(reply) = reply
                            && ws.send(Message::text(reply.to_string())).await.is_err()
                        {
                            return;
                        }
                    }
                });
            }
        });
        Self { url: format!("http://{addr}/graphql"), seen }
    }

    pub fn seen(&self) -> Seen {
        self.seen.lock().unwrap().clone()
    }
}

fn header_json(request: &Request) -> Option<Value> {
    let protocols =
        request.headers().get("sec-websocket-protocol").and_then(|v| v.to_str().ok()).unwrap_or("");
    for p in protocols.split(',').map(str::trim) {
        if let Some(encoded) = p.strip_prefix("header-") {
            let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(encoded).ok()?;
            return serde_json::from_slice(&bytes).ok();
        }
    }
    let query = request.uri().query()?;
    let url = reqwest::Url::parse(&format!("http://x/?{query}")).ok()?;
    let (_, encoded) = url.query_pairs().find(|(k, _)| k == "header")?;
    let bytes = base64::engine::general_purpose::STANDARD.decode(encoded.as_bytes()).ok()?;
    serde_json::from_slice(&bytes).ok()
}
