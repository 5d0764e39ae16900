//! The connection handler driven through channels: every protocol path without a socket.

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use serde_json::{Value, json};
use tokio::sync::mpsc;

use super::{Inbound, Outbound, RealtimeOptions, connect_headers, run};
use crate::auth::AuthFailure;
use crate::websocket::ChannelFrames;
use crate::{ApiKey, AuthMode, Emulator, Identity};

const KEY: &str = "da2-unit";

struct Client {
    to_server: mpsc::UnboundedSender<Inbound>,
    from_server: mpsc::UnboundedReceiver<Outbound>,
    emulator: Emulator,
}

impl Client {
    fn send(&self, v: Value) {
        let _ = self.to_server.send(Inbound::Text(v.to_string()));
    }

    async fn next(&mut self) -> Outbound {
        tokio::time::timeout(Duration::from_secs(5), self.from_server.recv())
            .await
            .expect("a frame in time")
            .expect("connection open")
    }

    async fn json(&mut self) -> Value {
        match self.next().await {
            Outbound::Text(t) => serde_json::from_str(&t).expect("json"),
            other => panic!("expected text, got {other:?}"),
        }
    }

    /// The next message that is not a keep-alive.
    async fn message(&mut self) -> Value {
        loop {
            let v = self.json().await;
            if v["type"] != "ka" {
                return v;
            }
        }
    }

    async fn nothing_for(&mut self, d: Duration) {
        let deadline = tokio::time::Instant::now() + d;
        while let Ok(Some(frame)) = tokio::time::timeout_at(deadline, self.from_server.recv()).await {
            if let Outbound::Text(t) = &frame
                && t.contains("\"ka\"")
            {
                continue;
            }
            panic!("unexpected frame {frame:?}");
        }
    }

    fn start(&self, id: &str, query: &str, variables: Value) {
        let data = json!({"query": query, "variables": variables}).to_string();
        self.send(json!({"id": id, "type": "start", "payload": {"data": data, "extensions": {"authorization": {"host": "localhost", "x-api-key": KEY}}}}));
    }

    async fn mutate(&self, title: &str, author: &str) {
        let r = self
            .emulator
            .execute(
                "mutation($i: CreatePostInput!) { createPost(input: $i) { id title author } }",
                Some(
                    json!({"i": {"title": title, "author": author}}).as_object().cloned().unwrap_or_default(),
                ),
                None,
                &Identity::trusted(AuthMode::ApiKey),
            )
            .await;
        assert!(r.get("errors").is_none(), "{r}");
    }
}

fn connect(config: RealtimeOptions, auth: Result<Identity, AuthFailure>) -> Client {
    let emulator = Emulator::builder()
        .api_key(ApiKey::new(KEY))
        .default_auth(AuthMode::ApiKey)
        .build()
        .expect("emulator");
    connect_to(emulator, config, auth)
}

fn connect_to(emulator: Emulator, config: RealtimeOptions, auth: Result<Identity, AuthFailure>) -> Client {
    let ChannelFrames { sink, stream, to_server, from_server } = ChannelFrames::new(Duration::ZERO);
    let e = emulator.clone();
    tokio::spawn(async move { run(e, Arc::new(config), auth, sink, stream).await });
    Client { to_server, from_server, emulator }
}

fn ok() -> Result<Identity, AuthFailure> {
    Ok(Identity::trusted(AuthMode::ApiKey))
}

#[tokio::test]
async fn refused_connection_gets_connection_error_then_close() {
    let mut c = connect(RealtimeOptions::default(), Err(AuthFailure::unauthorized()));
    c.send(json!({"type": "connection_init"}));
    assert_eq!(
        c.json().await,
        json!({"type":"connection_error","payload":{"errors":[{"errorType":"UnauthorizedException","message":"You are not authorized to make this call.","errorCode":401}]}})
    );
    assert!(matches!(c.next().await, Outbound::Close(1008, _)));
}

#[tokio::test]
async fn init_is_acked_with_the_configured_timeout_and_keep_alives_follow() {
    let cfg =
        RealtimeOptions::default().connection_timeout_ms(1234).keep_alive_interval(Duration::from_millis(40));
    let mut c = connect(cfg, ok());
    c.send(json!({"type": "connection_init", "payload": {}}));
    assert_eq!(c.json().await, json!({"type":"connection_ack","payload":{"connectionTimeoutMs":1234}}));
    for _ in 0..3 {
        assert_eq!(c.json().await, json!({"type":"ka"}));
    }
}

#[tokio::test]
async fn silence_before_init_closes_the_connection() {
    let mut c = connect(RealtimeOptions::default().init_timeout(Duration::from_millis(50)), ok());
    assert!(matches!(c.next().await, Outbound::Close(1008, _)));
}

#[tokio::test]
async fn start_delivers_matching_events_only_and_stop_completes() {
    let mut c = connect(RealtimeOptions::default(), ok());
    c.send(json!({"type": "connection_init"}));
    assert_eq!(c.message().await["type"], "connection_ack");
    c.start(
        "s1",
        "subscription($a: String) { onCreatePost(author: $a) { id title author content } }",
        json!({"a": "ann"}),
    );
    assert_eq!(c.message().await, json!({"type":"start_ack","id":"s1"}));
    assert_eq!(c.emulator.subscriptions(), 1);
    c.mutate("not for ann", "bob").await;
    c.mutate("for ann", "ann").await;
    let data = c.message().await;
    assert_eq!(data["type"], "data");
    assert_eq!(data["id"], "s1");
    let post = &data["payload"]["data"]["onCreatePost"];
    assert_eq!((post["title"].as_str(), post["author"].as_str()), (Some("for ann"), Some("ann")));
    // `content` was not selected by the mutation: null, as AppSync delivers it.
    assert_eq!(post["content"], Value::Null);
    c.send(json!({"type": "stop", "id": "s1"}));
    assert_eq!(c.message().await, json!({"type":"complete","id":"s1"}));
    assert_eq!(c.emulator.subscriptions(), 0);
    c.mutate("after stop", "ann").await;
    c.nothing_for(Duration::from_millis(150)).await;
}

#[tokio::test]
async fn start_errors_in_appsyncs_words() {
    let mut c = connect(RealtimeOptions::default().max_subscriptions(1), ok());
    c.send(json!({"type": "connection_init"}));
    assert_eq!(c.message().await["type"], "connection_ack");
    c.start("q", "{ listPosts { items { id } } }", json!({}));
    assert_eq!(
        c.message().await,
        json!({"type":"error","id":"q","payload":{"errors":[{"errorType":"UnsupportedOperation","message":"query not supported through the realtime channel"}]}})
    );
    c.start("m", "mutation { createPost(input: {title: \"x\"}) { id } }", json!({}));
    assert_eq!(c.message().await["payload"]["errors"][0]["errorType"], "UnsupportedOperation");
    c.start("v", "subscription { onCreatePost { nope } }", json!({}));
    let v = c.message().await;
    assert_eq!(v["id"], "v");
    let message = v["payload"]["errors"][0]["message"].as_str().unwrap_or_default().to_owned();
    assert!(message.starts_with("Validation error of type FieldUndefined"), "{v}");
    // A start without credentials is refused on its own; the connection stays up.
    let data = json!({"query": "subscription { onUpdatePost { id } }"}).to_string();
    c.send(json!({"id": "u", "type": "start", "payload": {"data": data, "extensions": {"authorization": {"host": "localhost", "x-api-key": "da2-wrong"}}}}));
    assert_eq!(c.message().await["payload"]["errors"][0]["errorType"], "UnauthorizedException");
    c.start("a", "subscription { onCreatePost { id } }", json!({}));
    assert_eq!(c.message().await["type"], "start_ack");
    c.start("a", "subscription { onCreatePost { id } }", json!({}));
    assert_eq!(
        c.message().await,
        json!({"type":"error","id":"a","payload":{"errors":[{"errorType":"DuplicatedOperationError","message":"Duplicated operation with id a"}]}})
    );
    c.start("b", "subscription { onCreatePost { id } }", json!({}));
    assert_eq!(
        c.message().await,
        json!({"type":"error","id":"b","payload":{"errors":{"errorType":"MaxSubscriptionsReachedError","message":"Max number of 1 subscriptions reached"}}})
    );
}

#[tokio::test]
async fn hostile_frames_get_clean_errors() {
    let mut c = connect(RealtimeOptions::default().max_message_bytes(1000).max_inbound_per_second(5), ok());
    let _ = c.to_server.send(Inbound::Text("not json".into()));
    assert_eq!(c.message().await["payload"]["errors"][0]["errorType"], "BadRequestException");
    c.send(json!({"type": "subscribe", "id": "x"}));
    assert_eq!(
        c.message().await,
        json!({"type":"error","payload":{"errors":[{"errorType":"UnsupportedOperation","message":"unknown not supported through the realtime channel"}]}})
    );
    let _ = c.to_server.send(Inbound::Text("x".repeat(2000)));
    assert_eq!(c.message().await["payload"]["errors"]["errorType"], "LimitExceededError");
    let _ = c.to_server.send(Inbound::Binary);
    assert_eq!(c.message().await["type"], "error");
    for _ in 0..3 {
        c.send(json!({"type": "stop", "id": "z"}));
    }
    // The first frame handled after the burst limit is refused with LimitExceededError.
    let mut seen = Vec::new();
    for _ in 0..3 {
        seen.push(c.message().await);
    }
    assert!(seen.iter().any(|m| m["payload"]["errors"]["errorType"] == "LimitExceededError"), "{seen:?}");
}

#[test]
fn connect_headers_from_query_or_subprotocol() {
    use base64::Engine as _;
    let json = r#"{"host":"h:1","x-api-key":"k+/?"}"#;
    let std = base64::engine::general_purpose::STANDARD.encode(json);
    let url = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json);
    let from_query = connect_headers(Some(&format!("header={std}&payload=e30=")), &[]).expect("query");
    assert_eq!(from_query["x-api-key"], "k+/?");
    let escaped = std.replace('=', "%3D").replace('+', "%2B").replace('/', "%2F");
    assert_eq!(
        connect_headers(Some(&format!("payload=e30%3D&header={escaped}")), &[]),
        Some(from_query.clone())
    );
    let protos = vec!["graphql-ws".to_owned(), format!("header-{url}")];
    assert_eq!(connect_headers(None, &protos), Some(from_query));
    assert_eq!(connect_headers(Some("header=!!!"), &[]), None);
    assert_eq!(connect_headers(None, &["graphql-ws".to_owned()]), None);
}

/// A sink whose every send fails, as a socket does once the peer has reset it; counts the
/// frames it was asked to take.
struct BrokenSink {
    attempts: Arc<std::sync::atomic::AtomicUsize>,
}

impl futures_util::Sink<Outbound> for BrokenSink {
    type Error = std::io::Error;

    fn poll_ready(
        self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Self::Error>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn start_send(self: std::pin::Pin<&mut Self>, _frame: Outbound) -> Result<(), Self::Error> {
        self.attempts.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Err(std::io::Error::from(std::io::ErrorKind::ConnectionReset))
    }

    fn poll_flush(
        self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Self::Error>> {
        std::task::Poll::Ready(Err(std::io::Error::from(std::io::ErrorKind::ConnectionReset)))
    }

    fn poll_close(
        self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Self::Error>> {
        std::task::Poll::Ready(Err(std::io::Error::from(std::io::ErrorKind::ConnectionReset)))
    }
}

#[tokio::test]
async fn sink_errors_end_the_connection_quietly() {
    let (to_server, server_rx) = mpsc::unbounded_channel::<Inbound>();
    let attempts = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let sink = BrokenSink { attempts: Arc::clone(&attempts) };
    let stream =
        futures_util::stream::unfold(server_rx, |mut rx| async move { rx.recv().await.map(|f| (f, rx)) });
    let emulator = Emulator::builder()
        .api_key(ApiKey::new(KEY))
        .default_auth(AuthMode::ApiKey)
        .build()
        .expect("emulator");
    let task =
        tokio::spawn(run(emulator.clone(), Arc::new(RealtimeOptions::default()), ok(), sink, stream.boxed()));
    // The client stays connected (its side never closes): only the failed write can end it.
    let _ = to_server.send(Inbound::Text(json!({"type": "connection_init"}).to_string()));
    tokio::time::timeout(Duration::from_secs(5), task)
        .await
        .expect("the connection ends on the sink error")
        .expect("without a panic");
    // It tried to answer connection_init, saw the error and gave up: no retries, no close frame
    // pushed into the broken sink, and its place on the event bus is released.
    assert_eq!(attempts.load(std::sync::atomic::Ordering::SeqCst), 1);
    assert_eq!(emulator.event_receivers(), 0);
    drop(to_server);
}

#[tokio::test]
async fn a_subscription_resolver_sets_an_enhanced_filter_or_refuses() {
    let emulator = Emulator::builder()
        .api_key(ApiKey::new(KEY))
        .default_auth(AuthMode::ApiKey)
        .resolver("Subscription.onCreatePost", |ctx| async move {
            match ctx.argument("author").and_then(Value::as_str) {
                Some("bad") => Ok(json!({"filterGroup": [{"filters": [{"fieldName": "title", "operator": "like", "value": "x"}]}]})),
                Some("nobody") => Err(crate::ResolverError::new("no subscriptions for nobody").error_type("Unauthorized")),
                _ => Ok(json!({"filterGroup": [{"filters": [{"fieldName": "title", "operator": "beginsWith", "value": "hot"}]}]})),
            }
        })
        .build()
        .expect("emulator");
    let mut c = connect_to(emulator, RealtimeOptions::default(), ok());
    c.send(json!({"type": "connection_init"}));
    assert_eq!(c.message().await["type"], "connection_ack");
    let q = "subscription($a: String) { onCreatePost(author: $a) { id title } }";
    c.start("bad", q, json!({"a": "bad"}));
    let v = c.message().await;
    assert_eq!(v["payload"]["errors"][0]["errorType"], "BadRequestException", "{v}");
    c.start("nobody", q, json!({"a": "nobody"}));
    let v = c.message().await;
    assert_eq!(
        v["payload"]["errors"][0],
        json!({"errorType": "Unauthorized", "message": "no subscriptions for nobody", "errorInfo": null})
    );
    c.start("f", q, json!({}));
    assert_eq!(c.message().await["type"], "start_ack");
    c.mutate("cold take", "ann").await;
    c.mutate("hot take", "ann").await;
    let v = c.message().await;
    assert_eq!(v["payload"]["data"]["onCreatePost"]["title"], "hot take", "{v}");
    c.nothing_for(Duration::from_millis(100)).await;
}

#[tokio::test]
async fn a_stalled_consumer_is_cut_off_and_does_not_slow_the_others() {
    let emulator = Emulator::builder()
        .api_key(ApiKey::new(KEY))
        .default_auth(AuthMode::ApiKey)
        .build()
        .expect("emulator");
    let mut fast = connect_to(emulator.clone(), RealtimeOptions::default(), ok());
    // The stalled client: a one-frame buffer nobody reads after the handshake.
    let (to_server, server_rx) = mpsc::unbounded_channel::<Inbound>();
    let (server_tx, mut from_server) = mpsc::channel::<Outbound>(1);
    let sink = futures_util::sink::unfold(server_tx, |tx, frame: Outbound| async move {
        tx.send(frame).await.map_err(|_| ())?;
        Ok::<_, ()>(tx)
    });
    let stream =
        futures_util::stream::unfold(server_rx, |mut rx| async move { rx.recv().await.map(|f| (f, rx)) });
    let config = RealtimeOptions::default().write_timeout(Duration::from_millis(200));
    let slow = tokio::spawn(run(emulator, Arc::new(config), ok(), Box::pin(sink), Box::pin(stream)));
    let start = |c: &mpsc::UnboundedSender<Inbound>| {
        let data = json!({"query": "subscription { onCreatePost { id title } }"}).to_string();
        let msg = json!({"id": "s", "type": "start", "payload": {"data": data, "extensions": {"authorization": {"host": "h", "x-api-key": KEY}}}});
        let _ = c.send(Inbound::Text(msg.to_string()));
    };
    start(&to_server);
    let first = tokio::time::timeout(Duration::from_secs(5), from_server.recv()).await.expect("in time");
    assert!(matches!(first, Some(Outbound::Text(t)) if t.contains("start_ack")));
    fast.start("s", "subscription { onCreatePost { id title } }", json!({}));
    assert_eq!(fast.message().await["type"], "start_ack");
    let started = tokio::time::Instant::now();
    for i in 0..20 {
        fast.mutate(&format!("post {i}"), "ann").await;
    }
    for i in 0..20 {
        let v = fast.message().await;
        assert_eq!(v["payload"]["data"]["onCreatePost"]["title"], format!("post {i}"));
    }
    assert!(started.elapsed() < Duration::from_secs(2), "fan-out stalled: {:?}", started.elapsed());
    // The stalled connection gave up on its client instead of waiting forever.
    tokio::time::timeout(Duration::from_secs(5), slow)
        .await
        .expect("stalled connection ended")
        .expect("no panic");
}

#[tokio::test]
async fn a_consumer_that_falls_more_than_the_queue_behind_is_disconnected() {
    // A small queue and a slow consumer, so that the consumer falls behind however slowly a
    // loaded machine runs the mutations: 300 events against a queue of 64, drained at 5 a second.
    let emulator = Emulator::builder()
        .api_key(ApiKey::new(KEY))
        .default_auth(AuthMode::ApiKey)
        .event_capacity(64)
        .build()
        .expect("emulator");
    // Slow but never stuck: each frame takes 200 ms to "write", so the write timeout (10 s) never
    // fires and only the bounded queue can notice.
    let ChannelFrames { sink, stream, to_server, mut from_server } =
        ChannelFrames::new(Duration::from_millis(200));
    let task = tokio::spawn(run(emulator.clone(), Arc::new(RealtimeOptions::default()), ok(), sink, stream));
    let data = json!({"query": "subscription { onCreatePost { id } }"}).to_string();
    let start = json!({"id": "s", "type": "start", "payload": {"data": data, "extensions": {"authorization": {"host": "h", "x-api-key": KEY}}}});
    let _ = to_server.send(Inbound::Text(start.to_string()));
    let first = tokio::time::timeout(Duration::from_secs(5), from_server.recv()).await.expect("in time");
    assert!(matches!(first, Some(Outbound::Text(t)) if t.contains("start_ack")));
    let c = Client { to_server, from_server, emulator };
    for i in 0..300 {
        c.mutate(&format!("p{i}"), "a").await;
    }
    let mut from_server = c.from_server;
    let closed = tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(frame) = from_server.recv().await {
            if let Outbound::Close(code, _) = frame {
                return Some(code);
            }
        }
        None
    })
    .await
    .expect("closed in time");
    assert_eq!(closed, Some(1013));
    tokio::time::timeout(Duration::from_secs(5), task).await.expect("ended").expect("no panic");
}

#[tokio::test]
async fn a_subscription_selecting_a_field_the_caller_may_not_read_is_refused_at_start() {
    let sdl = r#"
        type Post @aws_api_key @aws_iam { id: ID! title: String author: String secret: String @aws_iam }
        input CreatePostInput { title: String author: String }
        type Query @aws_api_key { getPost(id: ID!): Post }
        type Mutation @aws_api_key { createPost(input: CreatePostInput!): Post }
        type Subscription @aws_api_key {
            onCreatePost(author: String): Post @aws_subscribe(mutations: ["createPost"])
        }
    "#;
    let emulator = Emulator::builder()
        .schema_sdl(sdl)
        .api_key(ApiKey::new(KEY))
        .default_auth(AuthMode::ApiKey)
        .build()
        .expect("emulator");
    let mut c = connect_to(emulator, RealtimeOptions::default(), ok());
    c.send(json!({"type": "connection_init"}));
    assert_eq!(c.message().await["type"], "connection_ack");
    let refused = json!({"type": "error", "id": "nested", "payload": {"errors": [
        {"errorType": "Unauthorized", "message": "Not Authorized to access secret on type Post"}
    ]}});
    c.start("nested", "subscription { onCreatePost { id secret } }", json!({}));
    assert_eq!(c.message().await, refused);
    // Hidden in a fragment, the same.
    c.start(
        "nested",
        "subscription { onCreatePost { ...P } } fragment P on Post { id ... on Post { secret } }",
        json!({}),
    );
    assert_eq!(c.message().await, refused);
    // Without it, the subscription is made and its events arrive.
    c.start("ok", "subscription { onCreatePost { id title __typename } }", json!({}));
    assert_eq!(c.message().await["type"], "start_ack");
    c.mutate("visible", "ann").await;
    let v = c.message().await;
    assert_eq!(v["payload"]["data"]["onCreatePost"]["title"], "visible", "{v}");
}
