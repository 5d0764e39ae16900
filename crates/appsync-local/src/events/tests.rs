//! The Events connection driven without a socket: slow consumers are let go as on the GraphQL
//! real-time endpoint.

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;

use super::connection::run;
use crate::realtime::RealtimeOptions;
use crate::websocket::{ChannelFrames, Inbound, Outbound};
use crate::{ApiKey, AuthMode, Emulator, Identity};

const KEY: &str = "da2-events-unit";

#[tokio::test]
async fn a_consumer_that_falls_more_than_the_queue_behind_is_disconnected() {
    let emulator = Emulator::builder()
        .api_key(ApiKey::new(KEY))
        .default_auth(AuthMode::ApiKey)
        .event_capacity(4)
        .build()
        .expect("emulator");
    // Slow but never stuck: each frame takes 20 ms to "write", so the write timeout never fires
    // and only the bounded queue can notice.
    let ChannelFrames { sink, stream, to_server, mut from_server } =
        ChannelFrames::new(Duration::from_millis(20));
    let connect = Ok(Identity::trusted(AuthMode::ApiKey));
    let task =
        tokio::spawn(run(emulator.clone(), Arc::new(RealtimeOptions::default()), connect, sink, stream));
    let subscribe =
        json!({"type": "subscribe", "id": "s", "channel": "/default/*", "authorization": {"x-api-key": KEY}});
    let _ = to_server.send(Inbound::Text(subscribe.to_string()));
    let first = tokio::time::timeout(Duration::from_secs(5), from_server.recv()).await.expect("in time");
    assert!(matches!(first, Some(Outbound::Text(t)) if t.contains("subscribe_success")));
    for i in 0..40 {
        emulator.publish_events("/default/a", [json!(i)]).await.expect("published");
    }
    // Some events, then the close that says why; never all forty.
    let mut delivered = 0;
    let close = loop {
        match tokio::time::timeout(Duration::from_secs(5), from_server.recv()).await.expect("in time") {
            Some(Outbound::Text(t)) if t.contains(r#""type":"data""#) => delivered += 1,
            Some(Outbound::Close(code, reason)) => break (code, reason),
            other => panic!("unexpected {other:?}"),
        }
    };
    assert_eq!(close, (1013, "too far behind"));
    assert!(delivered < 40, "{delivered}");
    tokio::time::timeout(Duration::from_secs(5), task).await.expect("ended").expect("no panic");
    assert_eq!(emulator.events_receivers(), 0);
    drop(to_server);
}
