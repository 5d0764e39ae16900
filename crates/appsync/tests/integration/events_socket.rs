//! AppSync Events over a stub WebSocket (`support::events_stub`) for what the emulator does not
//! do on demand: a connection lost between a publish and its answer, and a `broadcast_error`.

use std::sync::atomic::Ordering;
use std::time::Duration;

use appsync::Auth;
use appsync::events::EventsClient;
use appsync::realtime::RealtimeOptions;
use futures_util::StreamExt as _;
use serde_json::{Value, json};

use crate::support::events_stub::EventsStub;

fn client(stub: &EventsStub) -> EventsClient {
    EventsClient::builder()
        .endpoint(&stub.url)
        .auth(Auth::api_key("da2-stub"))
        .realtime(
            RealtimeOptions::default()
                .reconnect_backoff(Duration::from_millis(20), Duration::from_millis(100)),
        )
        .build()
        .unwrap()
}

async fn next<S: futures_util::Stream + Unpin>(stream: &mut S) -> S::Item {
    tokio::time::timeout(Duration::from_secs(10), stream.next()).await.expect("in time").expect("an item")
}

#[tokio::test]
async fn a_publish_lost_with_its_connection_fails_and_is_never_sent_again() {
    let stub = EventsStub::start().await;
    let client = client(&stub);
    // A subscription keeps the connection (and its reconnects) going.
    let _sub = client.subscribe::<Value>("/default/*").await.unwrap();

    stub.drop_next_publish.store(true, Ordering::SeqCst);
    let error = client.publish_ws("/default/chat", [json!({"n": 1})]).await.unwrap_err();
    assert!(error.is_transport(), "{error:?}");
    assert!(error.to_string().contains("may or may not have been published"), "{error}");
    assert_eq!(stub.publish_count(), 1);

    // The next publish goes on the new connection; the lost one is not among what it sends.
    let result = client.publish_ws("/default/chat", [json!({"n": 2})]).await.unwrap();
    assert!(result.is_success());
    let publishes = stub.publishes.lock().unwrap().clone();
    assert_eq!(publishes.len(), 2, "{publishes:?}");
    assert_eq!(publishes[1]["events"], json!(["{\"n\":2}"]));
}

#[tokio::test]
async fn a_broadcast_error_is_one_item_and_the_stream_goes_on() {
    let stub = EventsStub::start().await;
    let client = client(&stub);
    let mut sub = client.subscribe::<Value>("/default/chat").await.unwrap();
    assert_eq!(next(&mut sub).await.unwrap(), json!({"n": 1}));
    let error = next(&mut sub).await.unwrap_err();
    assert!(error.is_rejected(), "{error:?}");
    assert_eq!(error.error_type(), Some("MessageProcessingError"));
    assert_eq!(error.message(), Some("event too large"));
    assert_eq!(next(&mut sub).await.unwrap(), json!({"n": 2}));
}

#[tokio::test]
async fn a_publish_alone_opens_a_socket_and_closes_it_once_answered() {
    let stub = EventsStub::start().await;
    let client = client(&stub);
    let mut states = Box::pin(client.connection_states());
    let result = client.publish_ws("/default/chat", (0..7).map(|n| json!({"n": n}))).await.unwrap();
    assert!(result.is_success());
    let sizes: Vec<usize> =
        stub.publishes.lock().unwrap().iter().map(|p| p["events"].as_array().map_or(0, Vec::len)).collect();
    assert_eq!(sizes, vec![5, 2]);
    loop {
        let event = next(&mut states).await;
        if matches!(event.state, appsync::realtime::ConnectionState::Closed) {
            break;
        }
    }
}

#[tokio::test]
async fn with_an_idle_timeout_publishes_one_after_another_share_a_socket() {
    let stub = EventsStub::start().await;
    let client = EventsClient::builder()
        .endpoint(&stub.url)
        .auth(Auth::api_key("da2-stub"))
        .realtime(RealtimeOptions::default().idle_timeout(Duration::from_secs(30)))
        .build()
        .unwrap();
    for n in 0..3 {
        assert!(client.publish_ws("/default/chat", [json!({"n": n})]).await.unwrap().is_success());
    }
    assert_eq!(stub.publish_count(), 3);
    assert_eq!(stub.connections.load(Ordering::SeqCst), 1, "one socket for the three publishes");
}

#[tokio::test]
async fn dropping_one_stream_unsubscribes_it_alone() {
    let stub = EventsStub::start().await;
    let client = client(&stub);
    let mut kept = client.subscribe::<Value>("/default/kept").await.unwrap();
    let dropped = client.subscribe::<Value>("/default/dropped").await.unwrap();
    let id_of = |channel: &str| {
        stub.received("subscribe").iter().find(|m| m["channel"] == channel).map(|m| m["id"].clone())
    };
    let dropped_id = id_of("/default/dropped").expect("subscribed");
    drop(dropped);
    appsync_testkit::wait_until("an unsubscribe", Duration::from_secs(10), || {
        !stub.received("unsubscribe").is_empty()
    })
    .await;
    let unsubscribed: Vec<Value> = stub.received("unsubscribe").iter().map(|m| m["id"].clone()).collect();
    assert_eq!(unsubscribed, vec![dropped_id]);
    // The other one goes on, on the same socket.
    assert_eq!(next(&mut kept).await.unwrap(), json!({"n": 1}));
    assert!(client.publish_ws("/default/kept", [json!({"n": 3})]).await.unwrap().is_success());
    assert_eq!(stub.connections.load(Ordering::SeqCst), 1);
    assert_eq!(stub.received("unsubscribe").len(), 1, "the kept one is not unsubscribed");
}
