//! AppSync Events over a stub WebSocket (`support::events_stub`) for what the emulator does not
//! do on demand or cannot show: a connection lost between a publish and its answer, a
//! `broadcast_error`, the messages the client sends (`unsubscribe`, each message's signature).

use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use appsync::Auth;
use appsync::credentials::{Credentials, provide_credentials_fn};
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

#[tokio::test]
async fn credentials_that_expire_under_an_open_socket_are_renewed_for_the_next_message() {
    // A role's session running out while the socket stays open: the client caches credentials
    // and loads them again ahead of their expiry (at half the remaining life of short-lived
    // ones), so a later message is signed with the renewed ones, not with those of the connect.
    let stub = EventsStub::start().await;
    let expiry = SystemTime::now() + Duration::from_secs(2);
    let first = Credentials::new("ASIAFIRST", "first-secret", Some("first-token".to_owned()), Some(expiry));
    let current = Arc::new(Mutex::new(first));
    let source = Arc::clone(&current);
    let provider = provide_credentials_fn(move || {
        let credentials = source.lock().unwrap().clone();
        async move { Ok(credentials) }
    });
    let client = EventsClient::builder()
        .endpoint(&stub.url)
        .region("us-east-1")
        .auth(Auth::iam(provider))
        .build()
        .unwrap();
    let _sub = client.subscribe::<Value>("/default/a").await.unwrap();
    *current.lock().unwrap() =
        Credentials::new("ASIASECOND", "second-secret", Some("second-token".to_owned()), None);

    let key_of = |message: &Value| {
        let authorization = message["authorization"]["Authorization"].as_str().unwrap_or_default();
        let credential = authorization.split("Credential=").nth(1).unwrap_or_default();
        credential.split('/').next().unwrap_or_default().to_owned()
    };
    let subscribe = &stub.received("subscribe")[0];
    assert_eq!(key_of(subscribe), "ASIAFIRST", "{subscribe}");
    assert_eq!(subscribe["authorization"]["X-Amz-Security-Token"], "first-token", "{subscribe}");
    // Publishes until one is signed with the renewed credentials (due 1 s after the connect).
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let renewed = loop {
        assert!(client.publish_ws("/default/a", [json!({"n": 1})]).await.unwrap().is_success());
        let last = stub.received("publish").last().cloned().unwrap_or_default();
        if key_of(&last) != "ASIAFIRST" {
            break last;
        }
        assert!(tokio::time::Instant::now() < deadline, "still signed with the first credentials");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(key_of(&renewed), "ASIASECOND", "{renewed}");
    assert_eq!(renewed["authorization"]["X-Amz-Security-Token"], "second-token", "{renewed}");
    assert_eq!(stub.connections.load(Ordering::SeqCst), 1, "on the same socket");
}
