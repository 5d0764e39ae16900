//! Subscriptions against the emulator's real-time endpoint (`appsync-local`), which verifies
//! the connection's and each `start`'s auth as AppSync does; faults come from a TCP proxy in
//! the test (cut connections, a restarted server behind it) and from the emulator's own
//! keep-alive settings.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use appsync::credentials::{Credentials, provide_credentials_fn};
use appsync::realtime::{AuthForm, ConnectionEvent, ConnectionState, RealtimeOptions};
use appsync::{Auth, Client, Request};
use appsync_local::realtime::RealtimeOptions as ServerOptions;
use appsync_local::{ApiKey, Emulator};
use futures_util::{Stream, StreamExt as _};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::Post;
use crate::support::proxy::Proxy;
use appsync_testkit::{CREATE_POST_SHORT, ON_CREATE_POST};

const REGION: &str = "us-east-1";
const WAIT: Duration = Duration::from_secs(10);

fn emulator() -> Emulator {
    Emulator::builder()
        .api_key(ApiKey::new("da2-emulator"))
        .iam_credentials(Credentials::new("AKIDEMU", "emu-secret", None, None))
        .iam_credentials(Credentials::new("AKIDROTATED", "rotated-secret", None, None))
        .iam_credentials(Credentials::new("ASIAEMU", "emu-temp-secret", Some("emu-session".to_owned()), None))
        .build()
        .unwrap()
}

/// Serves `emulator` on 127.0.0.1:0 with real-time settings `options`; the task is the server.
async fn serve(emulator: &Emulator, options: ServerOptions) -> (SocketAddr, JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = appsync_local::realtime::router_with(emulator, options).unwrap();
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (addr, task)
}

fn client_for(url: &str, auth: Auth, options: RealtimeOptions) -> Client {
    Client::builder().endpoint(url).region(REGION).auth(auth).realtime(options).build().unwrap()
}

fn fast() -> RealtimeOptions {
    RealtimeOptions::default().reconnect_backoff(Duration::from_millis(20), Duration::from_millis(200))
}

fn iam() -> Auth {
    Auth::iam(Credentials::new("AKIDEMU", "emu-secret", None, None))
}

#[derive(Debug, Deserialize)]
struct OnCreate {
    #[serde(rename = "onCreatePost")]
    post: Post,
}

async fn create(client: &Client, id: &str, author: &str) {
    let _: Value = client
        .data(
            Request::new(CREATE_POST_SHORT)
                .variables(json!({"input": {"id": id, "title": format!("t-{id}"), "author": author}})),
        )
        .await
        .unwrap();
}

async fn next<S: Stream + Unpin>(stream: &mut S) -> S::Item {
    tokio::time::timeout(WAIT, stream.next()).await.expect("timed out waiting").expect("stream ended")
}

/// Waits for a state matching `pred`, returning every event seen up to it.
async fn wait_state(
    states: &mut (impl Stream<Item = ConnectionEvent> + Unpin),
    pred: impl Fn(&ConnectionState) -> bool,
) -> Vec<ConnectionEvent> {
    let mut seen = Vec::new();
    loop {
        let event = next(states).await;
        let done = pred(&event.state);
        seen.push(event);
        if done {
            return seen;
        }
    }
}

/// Nothing more arrives within a short while.
/// Reads `sub` until the event `last`: every event before it is one of the probes starting with
/// `probes`, none twice.
async fn read_up_to(
    sub: &mut (impl Stream<Item = appsync::Result<OnCreate>> + Unpin),
    probes: &str,
    last: &str,
) {
    let mut earlier = HashSet::new();
    loop {
        let id = next(sub).await.unwrap().post.id;
        if id == last {
            return;
        }
        assert!(id.starts_with(probes), "{id} is not a probe {probes}*");
        assert!(earlier.insert(id.clone()), "{id} delivered twice");
    }
}

async fn assert_quiet<T: std::fmt::Debug>(stream: &mut (impl Stream<Item = T> + Unpin)) {
    if let Ok(Some(item)) = tokio::time::timeout(Duration::from_millis(300), stream.next()).await {
        panic!("unexpected item: {item:?}");
    }
}

#[tokio::test]
async fn iam_subscription_receives_a_mutation_in_both_auth_forms() {
    let emu = emulator();
    let (addr, _server) = serve(&emu, ServerOptions::default()).await;
    let url = format!("http://{addr}/graphql");
    for form in [AuthForm::Subprotocol, AuthForm::QueryString] {
        let client = client_for(&url, iam(), fast().auth_form(form));
        assert_eq!(client.realtime_url().as_str(), format!("ws://{addr}/graphql/realtime"));
        let mut sub = client.subscribe::<OnCreate>(ON_CREATE_POST, json!({"author": "ann"})).await.unwrap();
        create(&client, &format!("{form:?}-other"), "bob").await;
        create(&client, &format!("{form:?}-1"), "ann").await;
        let event = next(&mut sub).await.unwrap();
        assert_eq!(
            event.post,
            Post { id: format!("{form:?}-1"), title: format!("t-{form:?}-1"), author: Some("ann".into()) },
            "the filtered-out mutation was not delivered"
        );
        client.close().await;
    }
}

#[tokio::test]
async fn session_tokens_and_api_keys_authorize_subscriptions() {
    let emu = emulator();
    let (addr, _server) = serve(&emu, ServerOptions::default()).await;
    let url = format!("http://{addr}/graphql");
    let temp = Auth::iam(Credentials::new("ASIAEMU", "emu-temp-secret", Some("emu-session".into()), None));
    for (auth, form) in [
        (temp, AuthForm::Subprotocol),
        (Auth::api_key("da2-emulator"), AuthForm::Subprotocol),
        (Auth::api_key("da2-emulator"), AuthForm::QueryString),
    ] {
        let mode = auth.mode_name();
        let client = client_for(&url, auth, fast().auth_form(form));
        let mut sub =
            client.subscribe::<Value>(ON_CREATE_POST, ()).await.unwrap_or_else(|e| panic!("{mode}: {e}"));
        create(&client, &format!("{mode}-{form:?}"), "x").await;
        let event = next(&mut sub).await.unwrap();
        assert_eq!(event["onCreatePost"]["id"], format!("{mode}-{form:?}"));
        client.close().await;
    }
}

#[tokio::test]
async fn many_subscriptions_share_a_connection_and_another_opens_past_the_limit() {
    let emu = emulator();
    let (addr, _server) = serve(&emu, ServerOptions::default()).await;
    let proxy = Proxy::start(addr).await;
    let client = client_for(&proxy.url(), iam(), fast().max_subscriptions_per_connection(3));
    let mut states = Box::pin(client.connection_states());
    let mut subs = Vec::new();
    for _ in 0..5 {
        subs.push(client.subscribe::<OnCreate>(ON_CREATE_POST, ()).await.unwrap());
    }
    // HTTP mutations go through the proxy too; count WebSockets by Connected events.
    let mut connected = HashSet::new();
    while connected.len() < 2 {
        let event = next(&mut states).await;
        if matches!(event.state, ConnectionState::Connected { .. }) {
            connected.insert(event.connection);
        }
    }
    create(&client, "shared", "x").await;
    for sub in &mut subs {
        assert_eq!(next(sub).await.unwrap().post.id, "shared");
    }
    for sub in &mut subs {
        assert_quiet(sub).await;
    }
    assert!(proxy.accepted.load(Ordering::SeqCst) >= 2);
    // Dropping every subscription stops them; both connections then close.
    drop(subs);
    let mut closed = HashSet::new();
    while closed.len() < 2 {
        let event = next(&mut states).await;
        if event.state == ConnectionState::Closed {
            closed.insert(event.connection);
        }
    }
    assert_eq!(closed, connected);
}

#[tokio::test]
async fn a_failing_subscription_ends_alone() {
    let emu = emulator();
    let (addr, _server) = serve(&emu, ServerOptions::default()).await;
    let client = client_for(&format!("http://{addr}/graphql"), iam(), fast());
    let mut good = client.subscribe::<OnCreate>(ON_CREATE_POST, ()).await.unwrap();
    let err = client.subscribe::<Value>("subscription { onCreatePost { id nope } }", ()).await.unwrap_err();
    assert!(err.is_graphql(), "{err:?}");
    assert!(err.to_string().contains("nope"), "{err}");
    let err = client.subscribe::<Value>("query { getPost(id: \"1\") { id } }", ()).await.unwrap_err();
    assert!(err.is_graphql(), "queries are refused on the socket: {err:?}");
    create(&client, "still", "x").await;
    assert_eq!(next(&mut good).await.unwrap().post.id, "still");
}

#[tokio::test]
async fn a_cut_connection_reconnects_resubscribes_and_duplicates_nothing() {
    let emu = emulator();
    let (addr, _server) = serve(&emu, ServerOptions::default()).await;
    let proxy = Proxy::start(addr).await;
    let client = client_for(&proxy.url(), iam(), fast());
    let mut states = Box::pin(client.connection_states());
    let mut a = client.subscribe::<OnCreate>(ON_CREATE_POST, json!({"author": "a"})).await.unwrap();
    let mut b = client.subscribe::<OnCreate>(ON_CREATE_POST, ()).await.unwrap();
    wait_state(&mut states, |s| matches!(s, ConnectionState::Connected { .. })).await;
    create(&client, "before", "a").await;
    assert_eq!(next(&mut a).await.unwrap().post.id, "before");
    assert_eq!(next(&mut b).await.unwrap().post.id, "before");

    for round in 0..3 {
        proxy.cut();
        let seen = wait_state(&mut states, |s| matches!(s, ConnectionState::Connected { .. })).await;
        assert!(seen.iter().any(|e| matches!(e.state, ConnectionState::Disrupted { .. })), "{seen:?}");
        assert!(seen.iter().any(|e| matches!(e.state, ConnectionState::Reconnecting { .. })), "{seen:?}");
        // Connected comes before the starts are acknowledged: poll until events flow again.
        let id = format!("after-{round}");
        let mut delivered = false;
        for attempt in 0..50 {
            let probe = format!("{id}-{attempt}");
            create(&client, &probe, "a").await;
            if let Ok(Some(event)) = tokio::time::timeout(Duration::from_millis(200), a.next()).await {
                let first = event.unwrap().post.id;
                assert!(first.starts_with(&id), "{first}");
                // b sees exactly the same probes from `first` on (it may have missed earlier ones).
                delivered = true;
                break;
            }
        }
        assert!(delivered, "round {round}: no event after the reconnect");
        // a's next event is the final one; b may still hold probes from before `first`: each
        // of them once, then the final one. Nothing duplicated.
        create(&client, &format!("{id}-final"), "a").await;
        assert_eq!(next(&mut a).await.unwrap().post.id, format!("{id}-final"));
        read_up_to(&mut b, &id, &format!("{id}-final")).await;
        assert_quiet(&mut a).await;
        assert_quiet(&mut b).await;
    }
}

#[tokio::test]
async fn a_restarted_server_gets_every_subscription_back() {
    let first = emulator();
    let (addr, server) = serve(&first, ServerOptions::default()).await;
    let proxy = Proxy::start(addr).await;
    let client = client_for(&proxy.url(), iam(), fast());
    let mut states = Box::pin(client.connection_states());
    let mut subs = Vec::new();
    for _ in 0..3 {
        subs.push(client.subscribe::<OnCreate>(ON_CREATE_POST, ()).await.unwrap());
    }
    wait_state(&mut states, |s| matches!(s, ConnectionState::Connected { .. })).await;

    server.abort();
    let second = emulator();
    let (addr2, _server2) = serve(&second, ServerOptions::default()).await;
    proxy.retarget(addr2);
    proxy.cut();
    wait_state(&mut states, |s| matches!(s, ConnectionState::Connected { .. })).await;
    let mut got = false;
    for attempt in 0..50 {
        create(&client, &format!("r-{attempt}"), "x").await;
        if let Ok(Some(event)) = tokio::time::timeout(Duration::from_millis(200), subs[0].next()).await {
            assert!(event.unwrap().post.id.starts_with("r-"));
            got = true;
            break;
        }
    }
    assert!(got, "no event from the restarted server");
    // The others may still hold earlier probes: each once, then the last event.
    create(&client, "last", "x").await;
    assert_eq!(next(&mut subs[0]).await.unwrap().post.id, "last");
    for sub in &mut subs[1..] {
        read_up_to(sub, "r-", "last").await;
    }
    for sub in &mut subs {
        assert_quiet(sub).await;
    }
}

#[tokio::test]
async fn withheld_keep_alives_are_noticed_and_the_connection_replaced() {
    let emu = emulator();
    let config =
        ServerOptions::default().connection_timeout_ms(400).keep_alive_interval(Duration::from_secs(60));
    let (addr, _server) = serve(&emu, config).await;
    let client = client_for(&format!("http://{addr}/graphql"), iam(), fast());
    let mut states = Box::pin(client.connection_states());
    let mut sub = client.subscribe::<OnCreate>(ON_CREATE_POST, ()).await.unwrap();
    let seen = wait_state(&mut states, |s| *s == ConnectionState::KeepAliveLate).await;
    assert!(
        seen.iter().any(|e| e.state == ConnectionState::Connected { keep_alive: Duration::from_millis(400) }),
        "connectionTimeoutMs is the watchdog's: {seen:?}"
    );
    wait_state(&mut states, |s| matches!(s, ConnectionState::Disrupted { .. })).await;
    wait_state(&mut states, |s| matches!(s, ConnectionState::Connected { .. })).await;
    // Resubscribed: a mutation right after the new start_ack arrives once.
    let mut got = None;
    for attempt in 0..20 {
        create(&client, &format!("ka-{attempt}"), "x").await;
        if let Ok(Some(event)) = tokio::time::timeout(Duration::from_millis(100), sub.next()).await {
            got = Some(event.unwrap().post.id);
            break;
        }
    }
    assert!(got.is_some_and(|id| id.starts_with("ka-")));
}

#[tokio::test]
async fn unauthorized_connections_are_retried_with_fresh_credentials_then_reported() {
    let emu = emulator();
    let (addr, _server) = serve(&emu, ServerOptions::default()).await;
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    let provider = provide_credentials_fn(move || {
        c.fetch_add(1, Ordering::SeqCst);
        async { Ok(Credentials::new("AKIDEMU", "wrong-secret", None, None)) }
    });
    let client =
        client_for(&format!("http://{addr}/graphql"), Auth::iam(provider), fast().max_auth_retries(2));
    let err = client.subscribe::<Value>(ON_CREATE_POST, ()).await.unwrap_err();
    assert!(err.is_unauthorized(), "{err:?}");
    assert!(err.is_realtime_refused(), "the emulator answers connection_error: {err:?}");
    assert_eq!(err.status().map(|s| s.as_u16()), Some(401));
    assert_eq!(err.error_type(), Some("UnauthorizedException"));
    let shown = format!("{err} {err:?}");
    assert!(!shown.contains("wrong-secret"), "{shown}");
    // The first load, then one fresh load per retry (the cache is invalidated each time).
    assert!(calls.load(Ordering::SeqCst) >= 3, "{}", calls.load(Ordering::SeqCst));
}

#[tokio::test]
async fn rotated_credentials_are_used_after_an_outage() {
    let emu = emulator();
    let (addr, _server) = serve(&emu, ServerOptions::default()).await;
    let proxy = Proxy::start(addr).await;
    // Credentials a second from expiry: the cache loads them again after half a second.
    let current = Arc::new(Mutex::new(("AKIDEMU", "emu-secret")));
    let cur = current.clone();
    // When the credentials handed out last fall due for a refresh (half their life).
    let due = Arc::new(Mutex::new(SystemTime::now()));
    let next_due = due.clone();
    let provider = provide_credentials_fn(move || {
        let (key, secret) = *cur.lock().unwrap();
        let now = SystemTime::now();
        let expiry = now + Duration::from_secs(1);
        *next_due.lock().unwrap() = now + Duration::from_millis(500);
        async move { Ok(Credentials::new(key, secret, None, Some(expiry))) }
    });
    let client = client_for(&proxy.url(), Auth::iam(provider), fast().max_auth_retries(10));
    let mut states = Box::pin(client.connection_states());
    let mut sub = client.subscribe::<OnCreate>(ON_CREATE_POST, ()).await.unwrap();
    wait_state(&mut states, |s| matches!(s, ConnectionState::Connected { .. })).await;

    // During the outage the keys are rotated to ones the server refuses, then to good ones.
    *current.lock().unwrap() = ("AKIDUNKNOWN", "nope");
    // Past half the cached credentials' life (a wall-clock deadline: the cache's own), the next
    // use loads them again.
    appsync_testkit::wait_until("the cached credentials due", Duration::from_secs(5), || {
        SystemTime::now() > *due.lock().unwrap() + Duration::from_millis(50)
    })
    .await;
    proxy.cut();
    let refused = |s: &ConnectionState| match s {
        ConnectionState::Disrupted { reason } => {
            ["401", "403", "Unauthorized", "Unrecognized"].iter().any(|w| reason.contains(w))
        }
        _ => false,
    };
    let seen = tokio::time::timeout(Duration::from_secs(3), wait_state(&mut states, refused)).await;
    let seen = seen.unwrap_or_else(|_| panic!("not refused"));
    assert!(!seen.iter().any(|e| matches!(e.state, ConnectionState::Connected { .. })), "{seen:?}");
    *current.lock().unwrap() = ("AKIDROTATED", "rotated-secret");
    wait_state(&mut states, |s| matches!(s, ConnectionState::Connected { .. })).await;
    let mut got = false;
    for attempt in 0..50 {
        create(&client, &format!("rot-{attempt}"), "x").await;
        if let Ok(Some(event)) = tokio::time::timeout(Duration::from_millis(200), sub.next()).await {
            assert!(event.unwrap().post.id.starts_with("rot-"));
            got = true;
            break;
        }
    }
    assert!(got, "the subscription did not come back with the rotated keys");
}

#[tokio::test]
async fn close_ends_every_subscription_and_later_subscribes_fail() {
    let emu = emulator();
    let (addr, _server) = serve(&emu, ServerOptions::default()).await;
    let client = client_for(&format!("http://{addr}/graphql"), iam(), fast());
    let mut states = Box::pin(client.connection_states());
    let mut a = client.subscribe::<OnCreate>(ON_CREATE_POST, ()).await.unwrap();
    let mut b = client.subscribe::<Value>(ON_CREATE_POST, ()).await.unwrap();
    client.close().await;
    assert!(tokio::time::timeout(WAIT, a.next()).await.unwrap().is_none());
    assert!(tokio::time::timeout(WAIT, b.next()).await.unwrap().is_none());
    wait_state(&mut states, |s| *s == ConnectionState::Closed).await;
    let err = client.subscribe::<Value>(ON_CREATE_POST, ()).await.unwrap_err();
    assert!(err.is_closed(), "{err:?}");
    // Queries and mutations still work.
    create(&client, "after-close", "x").await;
}

#[tokio::test]
async fn tokens_authorize_the_connection_and_every_start_in_both_forms() {
    let stub = crate::support::realtime::RealtimeStub::start(true, true).await;
    let host = stub.url.trim_start_matches("http://").trim_end_matches("/graphql").to_owned();
    let modes = [
        (Auth::cognito(appsync::Token::new("cognito-jwt")), "cognito-jwt"),
        (Auth::oidc("oidc-jwt".to_string()), "oidc-jwt"),
        (Auth::lambda("lambda-token"), "lambda-token"),
    ];
    let mut expected = Vec::new();
    for (auth, token) in modes {
        for form in [AuthForm::Subprotocol, AuthForm::QueryString] {
            let client = client_for(&stub.url, auth.clone(), fast().auth_form(form));
            let _sub = client.subscribe::<Value>(ON_CREATE_POST, json!({"author": "a"})).await.unwrap();
            expected.push(json!({"host": host, "Authorization": token}));
            client.close().await;
        }
    }
    let seen = stub.seen();
    assert_eq!(seen.connect_headers, expected);
    let starts: Vec<Value> =
        seen.starts.iter().map(|s| s["payload"]["extensions"]["authorization"].clone()).collect();
    assert_eq!(starts, expected, "each start carries its own authorization");
    assert_eq!(
        seen.starts[0]["payload"]["data"],
        json!(
            serde_json::to_string(&json!({"query": ON_CREATE_POST, "variables": {"author": "a"}})).unwrap()
        )
    );
    // close() stopped each subscription politely.
    assert_eq!(seen.stops.len(), 6);
}

#[tokio::test]
async fn iam_connect_and_start_headers_are_signed_for_their_own_requests() {
    let stub = crate::support::realtime::RealtimeStub::start(true, true).await;
    let creds = Credentials::new("ASIAEMU", "emu-temp-secret", Some("emu-session".into()), None);
    let client = client_for(&stub.url, Auth::iam(creds.clone()), fast());
    let _sub = client.subscribe::<Value>(ON_CREATE_POST, ()).await.unwrap();
    let seen = stub.seen();
    let host = stub.url.trim_start_matches("http://").trim_end_matches("/graphql").to_owned();
    let verify = |header: &Value, path: &str, body: &[u8]| {
        let map = header.as_object().unwrap();
        for name in [
            "accept",
            "content-encoding",
            "content-type",
            "host",
            "x-amz-date",
            "X-Amz-Security-Token",
            "Authorization",
        ] {
            assert!(map.contains_key(name), "{name} missing from {header}");
        }
        assert_eq!(map["host"], json!(host));
        assert_eq!(map["accept"], "application/json, text/javascript");
        assert_eq!(map["content-encoding"], "amz-1.0");
        assert_eq!(map["content-type"], "application/json; charset=UTF-8");
        let headers: Vec<(String, Vec<u8>)> = map
            .iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), v.as_str().unwrap().as_bytes().to_vec()))
            .collect();
        let signable = appsync::sigv4::SignableRequest::new(
            "POST",
            path,
            headers.iter().map(|(k, v)| (k.as_str(), v.as_slice())),
            appsync::sigv4::SignableBody::Bytes(body),
        )
        .unwrap();
        let verifier = appsync::sigv4::Verifier::new(
            std::collections::HashMap::from([(creds.access_key_id().to_owned(), creds.clone())]),
            REGION,
            "appsync",
        );
        let verified = verifier.verify(&signable, SystemTime::now()).unwrap();
        assert_eq!(verified.access_key_id(), "ASIAEMU");
    };
    verify(&seen.connect_headers[0], "/graphql/connect", b"{}");
    let start = &seen.starts[0]["payload"];
    verify(&start["extensions"]["authorization"], "/graphql", start["data"].as_str().unwrap().as_bytes());
}

#[tokio::test]
async fn a_withheld_connection_ack_times_out() {
    let stub = crate::support::realtime::RealtimeStub::start(false, true).await;
    let options = fast().ack_timeout(Duration::from_millis(150)).initial_connect_attempts(2);
    let client = client_for(&stub.url, iam(), options);
    let started = std::time::Instant::now();
    let err = client.subscribe::<Value>(ON_CREATE_POST, ()).await.unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
    assert!(err.to_string().contains("connection_ack"), "{err}");
    assert_eq!(stub.seen().connect_headers.len(), 2, "two tries, then the error");
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn a_withheld_start_ack_ends_that_subscription_with_a_timeout() {
    let stub = crate::support::realtime::RealtimeStub::start(true, false).await;
    let client = client_for(&stub.url, iam(), fast().start_ack_timeout(Duration::from_millis(150)));
    let err = client.subscribe::<Value>(ON_CREATE_POST, ()).await.unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
    assert!(err.to_string().contains("start_ack"), "{err}");
    appsync_testkit::wait_until("a stop", Duration::from_secs(5), || !stub.seen().stops.is_empty()).await;
    let seen = stub.seen();
    assert_eq!(seen.stops.len(), 1, "the late subscription is stopped: {seen:?}");
    assert_eq!(seen.stops[0], seen.starts[0]["id"].as_str().unwrap());
}

#[tokio::test]
async fn lambda_tokens_subscribe_and_a_field_the_mode_may_not_use_is_refused_alone() {
    let sdl = "type Query { x: Int }
        type Mutation { createNote(text: String!): Note @aws_lambda }
        type Note @aws_lambda { id: ID! text: String }
        type Subscription {
          onNote: Note @aws_subscribe(mutations: [\"createNote\"]) @aws_lambda
          onNoteKeyed: Note @aws_subscribe(mutations: [\"createNote\"]) @aws_api_key
        }";
    let emu = Emulator::builder()
        .schema_sdl(sdl)
        .iam_credentials(Credentials::new("AKIDEMU", "emu-secret", None, None))
        .api_key(ApiKey::new("da2-emulator"))
        .lambda_token("let-me-in")
        .build()
        .unwrap();
    let (addr, _server) = serve(&emu, ServerOptions::default()).await;
    let client = client_for(&format!("http://{addr}/graphql"), Auth::lambda("let-me-in"), fast());
    let err = client.subscribe::<Value>("subscription { onNoteKeyed { id } }", ()).await.unwrap_err();
    assert!(err.is_graphql() && err.is_unauthorized(), "{err:?}");
    let mut notes = client.subscribe::<Value>("subscription { onNote { id text } }", ()).await.unwrap();
    let _: Value = client.data("mutation { createNote(text: \"hi\") { id text } }").await.unwrap();
    assert_eq!(next(&mut notes).await.unwrap()["onNote"]["text"], "hi");
}

#[tokio::test]
async fn a_slow_consumer_is_told_how_many_events_it_lost_and_holds_up_no_one() {
    let emu = emulator();
    let (addr, _server) = serve(&emu, ServerOptions::default()).await;
    let client = client_for(&format!("http://{addr}/graphql"), iam(), fast().event_queue_capacity(4));
    let mut states = Box::pin(client.connection_states());
    // Both on one connection: `slow` is never read while `fast` takes every event.
    let mut slow = client.subscribe::<OnCreate>(ON_CREATE_POST, json!({"author": "slow"})).await.unwrap();
    let mut fast = client.subscribe::<OnCreate>(ON_CREATE_POST, ()).await.unwrap();
    // `fast` gets every event while `slow`'s queue is full.
    for i in 0..10 {
        create(&client, &format!("slow-{i}"), "slow").await;
        assert_eq!(next(&mut fast).await.unwrap().post.id, format!("slow-{i}"));
    }
    // The connection delivers in mutation order, so once `fast` has the sentinel, all ten
    // events for `slow` have been routed (queued or dropped).
    create(&client, "sentinel", "other").await;
    assert_eq!(next(&mut fast).await.unwrap().post.id, "sentinel");

    for i in 0..4 {
        assert_eq!(next(&mut slow).await.unwrap().post.id, format!("slow-{i}"));
    }
    let gap = next(&mut slow).await.unwrap_err();
    assert!(gap.is_lagged(), "{gap:?}");
    assert_eq!(gap.lagged_count(), Some(6));
    assert!(gap.to_string().contains("6 event(s) dropped"), "{gap}");
    // The subscription goes on.
    create(&client, "slow-after", "slow").await;
    assert_eq!(next(&mut slow).await.unwrap().post.id, "slow-after");
    assert_eq!(next(&mut fast).await.unwrap().post.id, "slow-after");
    assert_quiet(&mut slow).await;
    // Nothing was lost on the connection: it never went down.
    while let Ok(Some(event)) = tokio::time::timeout(Duration::from_millis(50), states.next()).await {
        assert!(
            matches!(event.state, ConnectionState::Connecting | ConnectionState::Connected { .. }),
            "{event:?}"
        );
    }
}

#[tokio::test]
async fn a_subscription_past_the_servers_limit_moves_to_another_connection() {
    let emu = emulator();
    // The server takes 2 per connection; the client would put 100 on one.
    let (addr, _server) = serve(&emu, ServerOptions::default().max_subscriptions(2)).await;
    let client = client_for(&format!("http://{addr}/graphql"), iam(), fast());
    let mut states = Box::pin(client.connection_states());
    let mut subs = Vec::new();
    for _ in 0..5 {
        subs.push(client.subscribe::<OnCreate>(ON_CREATE_POST, ()).await.unwrap());
    }
    let mut connected = HashSet::new();
    while connected.len() < 3 {
        let event = next(&mut states).await;
        if matches!(event.state, ConnectionState::Connected { .. }) {
            connected.insert(event.connection);
        }
    }
    create(&client, "moved", "x").await;
    for sub in &mut subs {
        assert_eq!(next(sub).await.unwrap().post.id, "moved");
        assert_quiet(sub).await;
    }
    // A stop reaches the connection a subscription moved to: dropping them all closes all three.
    drop(subs);
    let mut closed = HashSet::new();
    while closed.len() < 3 {
        let event = next(&mut states).await;
        if event.state == ConnectionState::Closed {
            closed.insert(event.connection);
        }
    }
    assert_eq!(closed, connected);
}

#[tokio::test]
async fn a_server_that_takes_no_subscription_refuses_it_instead_of_moving_it_forever() {
    let emu = emulator();
    let (addr, _server) = serve(&emu, ServerOptions::default().max_subscriptions(0)).await;
    let client = client_for(&format!("http://{addr}/graphql"), iam(), fast());
    let err = client.subscribe::<OnCreate>(ON_CREATE_POST, ()).await.unwrap_err();
    assert!(err.is_graphql(), "{err:?}");
    assert_eq!(err.error_type(), Some("MaxSubscriptionsReachedError"));
}

#[tokio::test]
async fn state_changes_reach_the_callback() {
    let emu = emulator();
    let (addr, _server) = serve(&emu, ServerOptions::default()).await;
    let proxy = Proxy::start(addr).await;
    let seen: Arc<Mutex<Vec<ConnectionEvent>>> = Arc::default();
    let s = seen.clone();
    let options = fast().on_state(move |event| s.lock().unwrap().push(event.clone()));
    let client = client_for(&proxy.url(), iam(), options);
    let mut states = Box::pin(client.connection_states());
    let _sub = client.subscribe::<OnCreate>(ON_CREATE_POST, ()).await.unwrap();
    wait_state(&mut states, |s| matches!(s, ConnectionState::Connected { .. })).await;
    proxy.cut();
    wait_state(&mut states, |s| matches!(s, ConnectionState::Connected { .. })).await;
    client.close().await;
    wait_state(&mut states, |s| *s == ConnectionState::Closed).await;
    let states: Vec<ConnectionState> = seen.lock().unwrap().iter().map(|e| e.state.clone()).collect();
    assert_eq!(states.first(), Some(&ConnectionState::Connecting), "{states:?}");
    assert!(matches!(states.get(1), Some(ConnectionState::Connected { .. })), "{states:?}");
    assert!(states.iter().any(|s| matches!(s, ConnectionState::Disrupted { .. })), "{states:?}");
    assert!(
        states.iter().any(|s| matches!(s, ConnectionState::Reconnecting { attempt: 1, .. })),
        "{states:?}"
    );
    assert_eq!(states.iter().filter(|s| matches!(s, ConnectionState::Connected { .. })).count(), 2);
    assert_eq!(states.last(), Some(&ConnectionState::Closed), "{states:?}");
    assert!(seen.lock().unwrap().iter().all(|e| e.connection == 1));
}

#[tokio::test]
async fn a_hundred_subscribes_at_once_stay_under_the_servers_message_rate() {
    let emu = emulator();
    // The emulator refuses a connection's 101st message within a second (`LimitExceededError`,
    // no id): `connection_init` plus 100 `start`s sent at once would lose the last one.
    let (addr, _server) = serve(&emu, ServerOptions::default()).await;
    let client = client_for(&format!("http://{addr}/graphql"), Auth::api_key("da2-emulator"), fast());
    let mut states = Box::pin(client.connection_states());
    let subscribes = (0..100).map(|_| client.subscribe::<OnCreate>(ON_CREATE_POST, ()));
    let results = futures_util::future::join_all(subscribes).await;
    let mut subs: Vec<_> = results.into_iter().map(|r| r.unwrap()).collect();
    create(&client, "paced", "x").await;
    for sub in &mut subs {
        assert_eq!(next(sub).await.unwrap().post.id, "paced");
    }
    let seen = wait_state(&mut states, |s| matches!(s, ConnectionState::Connected { .. })).await;
    assert!(seen.iter().all(|e| e.connection == seen[0].connection), "one connection: {seen:?}");
    client.close().await;
}
