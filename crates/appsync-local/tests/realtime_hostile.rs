//! Hostile real-time clients over real sockets on 127.0.0.1: half-open TCP connections (no
//! upgrade, a half-sent upgrade, upgraded but silent, subscribed but no longer reading, gone
//! without a close frame) and thousands of idle subscribed connections. The server lets each
//! misbehaving client go and keeps delivering to a well-behaved one.
#![allow(missing_docs)]
// Test helpers: a failed expect is the test failing, with its message.
#![allow(clippy::expect_used)]

mod support;

use std::time::Duration;

use appsync_local::realtime::RealtimeOptions;
use base64::Engine as _;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use support::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

type Ws = tokio_tungstenite::WebSocketStream<TcpStream>;

/// How long any single awaited step may take before the test fails. Generous: it only turns a
/// hang into a failure and is never what the test measures.
const STEP: Duration = Duration::from_secs(20);

fn auth_query(host: &str) -> String {
    let header = json!({"host": host, "x-api-key": API_KEY}).to_string();
    format!("header={}&payload=e30=", base64::engine::general_purpose::STANDARD.encode(header))
}

/// A WebSocket client on `tcp`, with small buffers so that thousands of them stay cheap.
async fn upgrade(tcp: TcpStream, host: &str) -> Ws {
    let url = format!("ws://{host}/graphql/realtime?{}", auth_query(host));
    let mut req = url.into_client_request().expect("request");
    req.headers_mut().insert("sec-websocket-protocol", "graphql-ws".parse().expect("header"));
    let config = WebSocketConfig::default().read_buffer_size(4096).write_buffer_size(0);
    let (ws, _) =
        tokio::time::timeout(STEP, tokio_tungstenite::client_async_with_config(req, tcp, Some(config)))
            .await
            .expect("upgrade in time")
            .expect("upgrade");
    ws
}

async fn connect(s: &Server) -> TcpStream {
    TcpStream::connect(s.handle.local_addr()).await.expect("connect")
}

async fn send(ws: &mut Ws, v: &Value) {
    ws.send(Message::Text(v.to_string().into())).await.expect("send");
}

/// The next protocol message other than `ka`; `None` once the server closed.
async fn recv(ws: &mut Ws) -> Option<Value> {
    loop {
        match tokio::time::timeout(STEP, ws.next()).await.expect("a frame in time") {
            Some(Ok(Message::Text(t))) => {
                let v: Value = serde_json::from_str(t.as_str()).expect("json");
                if v["type"] != "ka" {
                    return Some(v);
                }
            }
            Some(Ok(Message::Close(_)) | Err(_)) | None => return None,
            Some(Ok(_)) => {}
        }
    }
}

fn start_msg(id: &str, query: &str) -> Value {
    let data = json!({"query": query, "variables": {}}).to_string();
    json!({"id": id, "type": "start", "payload": {"data": data, "extensions": {"authorization": {"x-api-key": API_KEY}}}})
}

/// Upgraded, `connection_init` acknowledged, and subscribed to `query` as `id`.
async fn subscribed(ws: &mut Ws, id: &str, query: &str) {
    send(ws, &json!({"type": "connection_init"})).await;
    assert_eq!(recv(ws).await.expect("ack")["type"], "connection_ack");
    send(ws, &start_msg(id, query)).await;
    assert_eq!(recv(ws).await, Some(json!({"type": "start_ack", "id": id})));
}

/// Reads until the server ends the connection, whatever arrives before; fails if it never does.
async fn read_until_closed(ws: &mut Ws) {
    tokio::time::timeout(STEP, async {
        while let Some(Ok(frame)) = ws.next().await {
            if matches!(frame, Message::Close(_)) {
                break;
            }
        }
    })
    .await
    .expect("the server closes the connection");
}

/// Reads raw bytes until the server closes the TCP connection; fails if it never does.
async fn tcp_closed_by_server(tcp: &mut TcpStream) {
    let mut buf = [0u8; 4096];
    tokio::time::timeout(STEP, async {
        loop {
            match tcp.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
        }
    })
    .await
    .expect("the server closes the TCP connection");
}

/// Waits until the server holds exactly `n` real-time connections. Nothing announces a released
/// connection but the receiver count itself, so this polls it (every 5 ms, bounded by `STEP`).
async fn receivers_drop_to(emulator: &appsync_local::Emulator, n: usize) {
    tokio::time::timeout(STEP, async {
        while emulator.event_receivers() != n {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
    .unwrap_or_else(|_| panic!("{} connections still held, {n} expected", emulator.event_receivers()));
}

const PROBE_SUB: &str = "subscription { onCreatePost(author: \"probe\") { id title author } }";

/// A well-behaved client: subscribes, makes a mutation over HTTP, and gets its event.
async fn well_behaved_round_trip(s: &Server, title: &str) {
    let mut ws = upgrade(connect(s).await, &s.host).await;
    subscribed(&mut ws, "probe", PROBE_SUB).await;
    let r = s.api_key(CREATE_POST, json!({"input": {"title": title, "author": "probe"}})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let event = recv(&mut ws).await.expect("event");
    assert_eq!(event["id"], "probe", "{event}");
    assert_eq!(event["payload"]["data"]["onCreatePost"]["title"], title, "{event}");
    ws.close(None).await.expect("close");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn half_open_connections_are_let_go_and_others_stay_served() {
    let realtime = RealtimeOptions::default()
        .init_timeout(Duration::from_millis(300))
        .write_timeout(Duration::from_millis(200));
    let emulator = demo_builder()
        .header_timeout(Duration::from_millis(300))
        .realtime(realtime)
        .event_capacity(64)
        .build()
        .expect("emulator");
    let s = start_emulator(&emulator).await;
    let base = emulator.event_receivers();

    // TCP connections that never send a byte, and ones that stop halfway through the upgrade
    // request's head.
    let mut silent = Vec::new();
    let mut half_sent = Vec::new();
    for _ in 0..10 {
        silent.push(connect(&s).await);
        let mut tcp = connect(&s).await;
        let head = format!(
            "GET /graphql/realtime?{} HTTP/1.1\r\nhost: {}\r\nupgrade: websocket\r\nconnection: upgrade\r\n",
            auth_query(&s.host),
            s.host
        );
        tcp.write_all(head.as_bytes()).await.expect("write");
        half_sent.push(tcp);
    }
    // Upgraded, then nothing: no connection_init, no reading.
    let mut no_init = Vec::new();
    for _ in 0..10 {
        no_init.push(upgrade(connect(&s).await, &s.host).await);
    }
    // Subscribed, then never reads again, on a socket whose receive buffer is small.
    let small = TcpSocket::new_v4().expect("socket");
    small.set_recv_buffer_size(4096).expect("SO_RCVBUF");
    let mut stalled = upgrade(small.connect(s.handle.local_addr()).await.expect("connect"), &s.host).await;
    subscribed(&mut stalled, "flood", "subscription { onUpdatePost(id: \"flood\") { id content } }").await;
    // Subscribed, then gone without a close frame: one with an orderly TCP close (FIN), one
    // reset (RST).
    let mut vanish_fin = upgrade(connect(&s).await, &s.host).await;
    subscribed(&mut vanish_fin, "a", PROBE_SUB).await;
    let rst = connect(&s).await;
    rst.set_zero_linger().expect("SO_LINGER");
    let mut vanish_rst = upgrade(rst, &s.host).await;
    subscribed(&mut vanish_rst, "b", PROBE_SUB).await;
    // While they all hang on (or are being timed out), a well-behaved client is served.
    well_behaved_round_trip(&s, "during").await;

    // No upgrade, or half an upgrade request: the header timeout closes the socket.
    for tcp in silent.iter_mut().chain(half_sent.iter_mut()) {
        tcp_closed_by_server(tcp).await;
    }
    // Upgraded but no connection_init: the init timeout closes it.
    for ws in &mut no_init {
        read_until_closed(ws).await;
    }
    // Each upgraded, authorized connection holds a place on the event bus until the server
    // frees it: now only the stalled reader and the two about to vanish.
    receivers_drop_to(&emulator, base + 3).await;

    // Gone without a close frame: freed as soon as the socket ends.
    drop(vanish_fin);
    drop(vanish_rst);
    receivers_drop_to(&emulator, base + 1).await;

    // The stalled reader: events bigger than its buffers pile up until one write takes longer
    // than the write timeout, and the server lets it go.
    let r = s.api_key(CREATE_POST, json!({"input": {"id": "flood", "title": "flood"}})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let update = "mutation U($input: UpdatePostInput!) { updatePost(input: $input) { id content } }";
    let content = "z".repeat(128 * 1024);
    tokio::time::timeout(STEP, async {
        while emulator.event_receivers() > base {
            let r = s.api_key(update, json!({"input": {"id": "flood", "content": content}})).await;
            assert_eq!(r.status, 200, "{}", r.text);
            // Not a wait: a short gap between floods, re-checking the receiver count each time.
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
    .expect("the stalled reader is disconnected");
    // What it had not read is still there, then the end.
    read_until_closed(&mut stalled).await;

    well_behaved_round_trip(&s, "after").await;
    receivers_drop_to(&emulator, base).await;
}

/// Raises the soft limit on open files to the hard limit; fails (does not skip) when even the
/// hard limit is below `needed`.
fn raise_open_files_limit(needed: u64) {
    use nix::sys::resource::{Resource, getrlimit, setrlimit};
    let (soft, hard) = getrlimit(Resource::RLIMIT_NOFILE).expect("getrlimit");
    assert!(
        hard >= needed,
        "this test needs {needed} open files but the hard RLIMIT_NOFILE is {hard}; \
         raise it (e.g. `ulimit -Hn {needed}` as root, or LimitNOFILE= for the CI runner)"
    );
    if soft < hard {
        setrlimit(Resource::RLIMIT_NOFILE, hard, hard).expect("setrlimit");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_thousand_idle_subscribed_connections_and_a_client_still_gets_its_events() {
    const IDLE: usize = 5_000;
    // Both ends of every connection live in this process, plus the runtime's own descriptors.
    raise_open_files_limit(2 * IDLE as u64 + 256);
    let emulator = demo_builder().build().expect("emulator");
    let s = start_emulator(&emulator).await;
    let base = emulator.event_receivers();

    // Opened 50 at a time: fast, yet well inside the listen backlog.
    let host = s.host.clone();
    let addr = s.handle.local_addr();
    let mut idle: Vec<Option<Ws>> = (0..IDLE).map(|_| None).collect();
    let mut opening = tokio::task::JoinSet::new();
    for i in 0..IDLE {
        if opening.len() >= 50
            && let Some(done) = opening.join_next().await
        {
            let (i, ws) = done.expect("opener");
            idle[i] = Some(ws);
        }
        let host = host.clone();
        opening.spawn(async move {
            let tcp = TcpStream::connect(addr).await.expect("connect");
            let mut ws = upgrade(tcp, &host).await;
            // Subscribed to events the probe's mutations never match.
            let query = format!("subscription {{ onCreatePost(author: \"idle-{i}\") {{ id }} }}");
            subscribed(&mut ws, "idle", &query).await;
            (i, ws)
        });
    }
    while let Some(done) = opening.join_next().await {
        let (i, ws) = done.expect("opener");
        idle[i] = Some(ws);
    }
    let mut idle: Vec<Ws> = idle.into_iter().map(|ws| ws.expect("every connection opened")).collect();
    assert_eq!(emulator.event_receivers(), base + IDLE);

    well_behaved_round_trip(&s, "among the idle").await;
    // One idle subscriber's event reaches it too, among all the others.
    let r = s.api_key(CREATE_POST, json!({"input": {"title": "for one", "author": "idle-4321"}})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let event = recv(&mut idle[4321]).await.expect("event");
    assert_eq!(event["payload"]["data"]["onCreatePost"]["id"], r.json()["data"]["createPost"]["id"]);

    drop(idle);
    receivers_drop_to(&emulator, base).await;
    well_behaved_round_trip(&s, "after the idle left").await;
}
