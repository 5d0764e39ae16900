//! A minimal AppSync Events WebSocket on 127.0.0.1:0 for what the emulator will not do on
//! demand: drop the connection after receiving a publish (before answering it), and send a
//! `broadcast_error` between two events of a subscription. It records every message.

// tungstenite's handshake callback returns its HTTP response as the error.
#![allow(clippy::result_large_err)]

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use futures_util::{SinkExt as _, StreamExt as _};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::server::{Request, Response};

pub struct EventsStub {
    /// `http://127.0.0.1:PORT/event` (the client derives `/event/realtime`).
    pub url: String,
    /// Every `publish` message received.
    pub publishes: Arc<Mutex<Vec<Value>>>,
    /// While set, the next `publish` is not answered: the connection is dropped instead (once).
    pub drop_next_publish: Arc<AtomicBool>,
    /// WebSocket connections accepted.
    pub connections: Arc<AtomicUsize>,
    /// Every message received, in order.
    pub messages: Arc<Mutex<Vec<Value>>>,
}

impl EventsStub {
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let publishes: Arc<Mutex<Vec<Value>>> = Arc::default();
        let drop_next_publish = Arc::new(AtomicBool::new(false));
        let connections = Arc::new(AtomicUsize::new(0));
        let messages: Arc<Mutex<Vec<Value>>> = Arc::default();
        let (seen, drop_next, accepted) = (publishes.clone(), drop_next_publish.clone(), connections.clone());
        let all = messages.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                accepted.fetch_add(1, Ordering::SeqCst);
                let (seen, drop_next, all) = (seen.clone(), drop_next.clone(), all.clone());
                tokio::spawn(async move {
                    let callback = |_: &Request, mut response: Response| {
                        response
                            .headers_mut()
                            .insert("sec-websocket-protocol", "aws-appsync-event-ws".parse().unwrap());
                        Ok(response)
                    };
                    let Ok(mut ws) = tokio_tungstenite::accept_hdr_async(stream, callback).await else {
                        return;
                    };
                    while let Some(Ok(message)) = ws.next().await {
                        let Message::Text(text) = message else { continue };
                        let message: Value = serde_json::from_str(text.as_str()).unwrap_or_default();
                        all.lock().unwrap().push(message.clone());
                        let id = message["id"].clone();
                        let replies = match message["type"].as_str() {
                            Some("connection_init") => {
                                vec![json!({"type": "connection_ack", "connectionTimeoutMs": 300000})]
                            }
                            Some("subscribe") => vec![
                                json!({"type": "subscribe_success", "id": id}),
                                json!({"type": "data", "id": id, "event": "{\"n\":1}"}),
                                json!({"type": "broadcast_error", "id": id, "errors": [
                                    {"errorType": "MessageProcessingError", "message": "event too large"}]}),
                                json!({"type": "data", "id": id, "event": "{\"n\":2}"}),
                            ],
                            Some("publish") => {
                                let n = message["events"].as_array().map_or(0, Vec::len);
                                seen.lock().unwrap().push(message);
                                if drop_next.swap(false, Ordering::SeqCst) {
                                    return;
                                }
                                let successful: Vec<Value> = (0..n)
                                    .map(|i| json!({"identifier": format!("e{i}"), "index": i}))
                                    .collect();
                                vec![
                                    json!({"type": "publish_success", "id": id, "successful": successful, "failed": []}),
                                ]
                            }
                            Some("unsubscribe") => vec![json!({"type": "unsubscribe_success", "id": id})],
                            _ => vec![],
                        };
                        for reply in replies {
                            if ws.send(Message::text(reply.to_string())).await.is_err() {
                                return;
                            }
                        }
                    }
                });
            }
        });
        Self { url: format!("http://{addr}/event"), publishes, drop_next_publish, connections, messages }
    }

    pub fn publish_count(&self) -> usize {
        self.publishes.lock().unwrap().len()
    }

    /// The messages of type `kind` received so far.
    pub fn received(&self, kind: &str) -> Vec<Value> {
        self.messages.lock().unwrap().iter().filter(|m| m["type"] == kind).cloned().collect()
    }
}
