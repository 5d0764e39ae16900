//! AppSync Events against the emulator (`appsync-local`) over real sockets: HTTP publishes and
//! the WebSocket at `/event/realtime`, each auth mode verified per message by the emulator (IAM
//! signatures over each message's body), AppSync's limits, refusals that end one subscription
//! only, and a restarted server behind a TCP proxy.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::time::Duration;

use appsync::credentials::Credentials;
use appsync::events::{EventsClient, MAX_EVENT_BYTES};
use appsync::realtime::{ConnectionEvent, ConnectionState, RealtimeOptions};
use appsync::{Auth, Token};
use appsync_local::events::{ChannelNamespace, EventsOptions};
use appsync_local::{ApiKey, AuthMode, DemoToken, Emulator, EmulatorBuilder, JwtConfig};
use futures_util::{Stream, StreamExt as _};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::support::proxy::Proxy;

const REGION: &str = "us-east-1";
const WAIT: Duration = Duration::from_secs(10);
const AKID: &str = "AKIDEVENTS";
const SECRET: &str = "events-secret";
const API_KEY: &str = "da2-events";
const LAMBDA_TOKEN: &str = "lambda-events-token";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Message {
    text: String,
    n: u32,
}

fn message(text: &str, n: u32) -> Message {
    Message { text: text.to_owned(), n }
}

/// Every auth mode; IAM the default. Namespace `default` is open to all of them, `private`
/// takes subscriptions with an API key only.
fn builder() -> EmulatorBuilder {
    Emulator::builder()
        .region(REGION)
        .iam_credentials(Credentials::new(AKID, SECRET, None, None))
        .iam_credentials(Credentials::new(
            "ASIAEVENTS",
            "events-temp-secret",
            Some("events-session".to_owned()),
            None,
        ))
        .api_key(ApiKey::new(API_KEY))
        .cognito_user_pools(JwtConfig::demo())
        .lambda_token(LAMBDA_TOKEN)
        .default_auth(AuthMode::Iam)
        .channel_namespace(ChannelNamespace::new("default"))
        .channel_namespace(ChannelNamespace::new("private").subscribe_auth([AuthMode::ApiKey]))
}

/// Serves `emulator` on 127.0.0.1:0; the task is the server (abort it to stop it at once).
async fn serve(emulator: &Emulator) -> (SocketAddr, JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = emulator.router();
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (addr, task)
}

fn client(addr: SocketAddr, auth: Auth) -> EventsClient {
    EventsClient::builder()
        .endpoint(format!("http://{addr}/event"))
        .region(REGION)
        .auth(auth)
        .realtime(
            RealtimeOptions::default()
                .reconnect_backoff(Duration::from_millis(20), Duration::from_millis(200)),
        )
        .build()
        .unwrap()
}

fn iam() -> Auth {
    Auth::iam(Credentials::new(AKID, SECRET, None, None))
}

async fn next<S: Stream + Unpin>(stream: &mut S) -> S::Item {
    tokio::time::timeout(WAIT, stream.next()).await.expect("timed out waiting").expect("stream ended")
}

/// Nothing more arrives within a short while.
async fn assert_quiet<T: std::fmt::Debug>(stream: &mut (impl Stream<Item = T> + Unpin)) {
    if let Ok(Some(item)) = tokio::time::timeout(Duration::from_millis(300), stream.next()).await {
        panic!("unexpected item: {item:?}");
    }
}

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

#[tokio::test]
async fn every_auth_mode_subscribes_and_publishes_over_http_and_the_socket() {
    let emulator = builder().build().unwrap();
    let (addr, _server) = serve(&emulator).await;
    let jwt = DemoToken::new("alice").sign().unwrap();
    let modes = [
        ("iam", iam()),
        (
            "iam-session",
            Auth::iam(Credentials::new(
                "ASIAEVENTS",
                "events-temp-secret",
                Some("events-session".into()),
                None,
            )),
        ),
        ("api-key", Auth::api_key(API_KEY)),
        ("cognito", Auth::cognito(Token::new(jwt))),
        ("lambda", Auth::lambda(LAMBDA_TOKEN)),
    ];
    for (name, auth) in modes {
        let client = client(addr, auth);
        let mut everything =
            client.subscribe::<Message>("/default/*").await.unwrap_or_else(|e| panic!("{name}: {e}"));
        let mut one = client.subscribe::<Message>(&format!("/default/{name}")).await.unwrap();

        let over_http = client.publish(&format!("/default/{name}"), [message(name, 1)]).await.unwrap();
        assert!(over_http.is_success(), "{name}: {over_http:?}");
        assert!(over_http.events()[0].identifier().is_some_and(|id| !id.is_empty()));
        assert_eq!(next(&mut everything).await.unwrap(), message(name, 1));
        assert_eq!(next(&mut one).await.unwrap(), message(name, 1));

        let over_socket =
            client.publish_ws(&format!("/default/{name}/deeper"), [message(name, 2)]).await.unwrap();
        assert!(over_socket.is_success(), "{name}: {over_socket:?}");
        assert_eq!(
            next(&mut everything).await.unwrap(),
            message(name, 2),
            "{name}: the wildcard matches deeper channels"
        );
        assert_quiet(&mut one).await;
        client.close().await;
        assert!(everything.next().await.is_none(), "close ends the stream");
    }
}

#[tokio::test]
async fn a_forged_signature_is_refused_over_http_and_the_socket() {
    let emulator = builder().build().unwrap();
    let (addr, _server) = serve(&emulator).await;
    let forged = client(addr, Auth::iam(Credentials::new(AKID, "not-the-secret", None, None)));
    let error = forged.publish("/default/chat", [message("x", 1)]).await.unwrap_err();
    assert!(error.is_unauthorized() && error.is_status(), "{error:?}");
    let error = forged.subscribe::<Message>("/default/chat").await.unwrap_err();
    assert!(error.is_unauthorized() || error.is_realtime_refused(), "{error:?}");

    // An unknown namespace is refused as AppSync refuses it.
    let honest = client(addr, iam());
    let error = honest.publish("/nowhere/chat", [message("x", 1)]).await.unwrap_err();
    assert!(error.is_unauthorized(), "{error:?}");
}

#[tokio::test]
async fn more_than_five_events_are_split_and_reported_in_order() {
    let emulator = builder().build().unwrap();
    let (addr, _server) = serve(&emulator).await;
    let client = client(addr, Auth::api_key(API_KEY));
    let mut sub = client.subscribe::<Message>("/default/bulk").await.unwrap();
    let mut published = emulator.subscribe_events();

    let events: Vec<Message> = (0..12).map(|n| message("bulk", n)).collect();
    let result = client.publish("/default/bulk", &events).await.unwrap();
    assert!(result.is_success(), "{result:?}");
    let indexes: Vec<usize> = result.events().iter().map(|e| e.index()).collect();
    assert_eq!(indexes, (0..12).collect::<Vec<_>>());
    let ids: HashSet<&str> = result.events().iter().filter_map(|e| e.identifier()).collect();
    assert_eq!(ids.len(), 12, "one identifier per event");
    // Three requests of at most five events, in the caller's order.
    let mut sizes = Vec::new();
    for _ in 0..3 {
        let publish = tokio::time::timeout(WAIT, published.recv()).await.unwrap().unwrap();
        sizes.push(publish.events().len());
    }
    assert_eq!(sizes, vec![5, 5, 2]);

    let ws = client.publish_ws("/default/bulk", (12..18).map(|n| message("bulk", n))).await.unwrap();
    assert!(ws.is_success() && ws.events().len() == 6, "{ws:?}");

    let mut got = HashSet::new();
    for _ in 0..18 {
        let m = next(&mut sub).await.unwrap();
        assert!(got.insert(m.n), "event {} delivered twice", m.n);
    }
    assert_eq!(got, (0..18).collect::<HashSet<_>>());
    assert_quiet(&mut sub).await;
}

#[tokio::test]
async fn oversized_events_are_errors_never_dropped_silently() {
    // The client refuses what AppSync would, before sending anything.
    let emulator = builder().build().unwrap();
    let (addr, _server) = serve(&emulator).await;
    let client = client(addr, Auth::api_key(API_KEY));
    let mut published = emulator.subscribe_events();
    let huge = "x".repeat(MAX_EVENT_BYTES);
    let error = client.publish("/default/big", [json!("small"), json!(huge)]).await.unwrap_err();
    assert!(error.is_invalid_input() && error.field() == Some("events"), "{error:?}");
    assert!(error.to_string().contains("event 1"), "{error}");
    let error = client.publish_ws("/default/big", [json!(huge)]).await.unwrap_err();
    assert!(error.is_invalid_input(), "{error:?}");
    assert!(published.try_recv().is_err(), "nothing was published");

    // A server with a lower limit refuses the event itself: reported in the result.
    let strict = builder().events(EventsOptions::default().max_event_bytes(1000)).build().unwrap();
    let (addr, _server) = serve(&strict).await;
    let client = self::client(addr, Auth::api_key(API_KEY));
    let mut sub = client.subscribe::<Value>("/default/big").await.unwrap();
    let big = json!({"text": "y".repeat(2000)});
    for result in [
        client.publish("/default/big", [json!({"text": "small"}), big.clone()]).await.unwrap(),
        client.publish_ws("/default/big", [json!({"text": "small"}), big.clone()]).await.unwrap(),
    ] {
        assert!(!result.is_success());
        assert!(result.events()[0].is_ok());
        let refused = result.events()[1].error().expect("the big event failed");
        assert!(refused.is_rejected(), "{refused:?}");
        assert_eq!(next(&mut sub).await.unwrap(), json!({"text": "small"}));
    }
    assert_quiet(&mut sub).await;
}

#[tokio::test]
async fn a_refused_subscription_ends_alone() {
    let emulator = builder().build().unwrap();
    let (addr, _server) = serve(&emulator).await;
    let client = client(addr, iam());
    let mut states = Box::pin(client.connection_states());
    let mut sibling = client.subscribe::<Message>("/default/room").await.unwrap();

    // `private` takes API-key subscriptions only: this IAM one is refused, on the same socket.
    let error = client.subscribe::<Message>("/private/room").await.unwrap_err();
    assert!(error.is_rejected() && error.is_unauthorized(), "{error:?}");

    let result = client.publish("/default/room", [message("still here", 1)]).await.unwrap();
    assert!(result.is_success());
    assert_eq!(next(&mut sibling).await.unwrap(), message("still here", 1));
    let another = client.subscribe::<Message>("/default/other").await.unwrap();
    drop(another);
    // One connection throughout: connecting, connected, nothing since.
    let seen: Vec<ConnectionState> =
        std::iter::from_fn(|| futures_util::FutureExt::now_or_never(states.next()).flatten())
            .map(|e| e.state)
            .collect();
    assert!(
        seen.iter().all(|s| matches!(s, ConnectionState::Connecting | ConnectionState::Connected { .. })),
        "{seen:?}"
    );
    assert_eq!(seen.iter().filter(|s| matches!(s, ConnectionState::Connected { .. })).count(), 1, "{seen:?}");

    // The API-key identity may subscribe there, on a socket of its own.
    let keyed = client.with_auth(Auth::api_key(API_KEY));
    let mut private = keyed.subscribe::<Message>("/private/room").await.unwrap();
    client.publish("/private/room", [message("secret", 2)]).await.unwrap();
    assert_eq!(next(&mut private).await.unwrap(), message("secret", 2));
}

#[tokio::test]
async fn dropping_the_last_stream_unsubscribes_and_closes_the_socket() {
    let emulator = builder().build().unwrap();
    let (addr, _server) = serve(&emulator).await;
    let client = client(addr, Auth::api_key(API_KEY));
    let mut states = Box::pin(client.connection_states());
    let sub = client.subscribe::<Message>("/default/short").await.unwrap();
    wait_state(&mut states, |s| matches!(s, ConnectionState::Connected { .. })).await;
    drop(sub);
    wait_state(&mut states, |s| matches!(s, ConnectionState::Closed)).await;
}

#[tokio::test]
async fn a_restarted_server_gets_every_subscription_back_without_duplicates() {
    let first = builder().build().unwrap();
    let (addr, server) = serve(&first).await;
    let proxy = Proxy::start(addr).await;
    let client = client(proxy.addr, iam());
    let mut states = Box::pin(client.connection_states());
    let mut all = client.subscribe::<Message>("/default/*").await.unwrap();
    let mut one = client.subscribe::<Message>("/default/news").await.unwrap();
    wait_state(&mut states, |s| matches!(s, ConnectionState::Connected { .. })).await;
    client.publish("/default/news", [message("before", 0)]).await.unwrap();
    assert_eq!(next(&mut all).await.unwrap(), message("before", 0));
    assert_eq!(next(&mut one).await.unwrap(), message("before", 0));

    server.abort();
    let second = builder().build().unwrap();
    let (addr2, _server2) = serve(&second).await;
    proxy.retarget(addr2);
    proxy.cut();
    wait_state(&mut states, |s| matches!(s, ConnectionState::Connected { .. })).await;

    // Resubscribed once the server answers: a probe gets through to both.
    let mut probe = 0;
    loop {
        probe += 1;
        assert!(probe < 100, "no event after the restart");
        client.publish("/default/news", [message("probe", probe)]).await.unwrap();
        if let Ok(Some(event)) = tokio::time::timeout(Duration::from_millis(200), one.next()).await {
            assert_eq!(event.unwrap().text, "probe");
            break;
        }
    }
    // Every event from now on arrives once on each subscription.
    let events: Vec<Message> = (1..=10).map(|n| message("after", n)).collect();
    assert!(client.publish("/default/news", &events).await.unwrap().is_success());
    for sub in [&mut one, &mut all] {
        let mut got = HashSet::new();
        while got.len() < 10 {
            let m = next(sub).await.unwrap();
            if m.text == "probe" {
                continue;
            }
            assert_eq!(m.text, "after");
            assert!(got.insert(m.n), "event {} delivered twice", m.n);
        }
        assert_quiet(sub).await;
    }
}

#[tokio::test]
async fn over_tls_with_the_emulators_authority_and_refused_without_it() {
    let emulator = builder().tls(appsync_local::TlsOptions::ephemeral()).build().unwrap();
    let server = emulator.spawn("127.0.0.1:0").await.unwrap();
    assert!(server.event_url().starts_with("https://"), "{}", server.event_url());
    let trusted = EventsClient::builder()
        .endpoint(server.event_url())
        .region(REGION)
        .auth(iam())
        .ca_certificate_pem(emulator.tls_ca_pem().unwrap())
        .build()
        .unwrap();
    assert!(trusted.realtime_url().as_str().starts_with("wss://"), "{}", trusted.realtime_url());
    let mut sub = trusted.subscribe::<Message>("/default/tls").await.unwrap();
    assert!(trusted.publish("/default/tls", [message("https", 1)]).await.unwrap().is_success());
    assert!(trusted.publish_ws("/default/tls", [message("wss", 2)]).await.unwrap().is_success());
    let mut got = vec![next(&mut sub).await.unwrap(), next(&mut sub).await.unwrap()];
    got.sort_by_key(|m| m.n);
    assert_eq!(got, vec![message("https", 1), message("wss", 2)]);

    let untrusted =
        EventsClient::builder().endpoint(server.event_url()).region(REGION).auth(iam()).build().unwrap();
    let error = untrusted.publish("/default/tls", [message("no", 3)]).await.unwrap_err();
    assert!(error.is_connect() || error.is_transport(), "{error:?}");
}

#[tokio::test]
async fn a_mode_outside_the_connection_modes_is_refused_at_connect_only() {
    // ConnectionAuthModes: API key. IAM may still publish (over HTTP and on an API-key socket)
    // and subscribe, as the namespace allows.
    let emulator =
        builder().events(EventsOptions::default().connection_auth([AuthMode::ApiKey])).build().unwrap();
    let (addr, _server) = serve(&emulator).await;
    let signed = client(addr, iam());
    let error = signed.subscribe::<Message>("/default/room").await.unwrap_err();
    assert!(error.is_realtime_refused() && error.is_unauthorized(), "{error:?}");
    assert_eq!(error.error_type(), Some("UnauthorizedException"), "{error:?}");
    assert!(signed.publish("/default/room", [message("over http", 1)]).await.unwrap().is_success());

    let keyed = client(addr, Auth::api_key(API_KEY));
    let mut room = keyed.subscribe::<Message>("/default/room").await.unwrap();
    assert!(signed.publish("/default/room", [message("over http", 2)]).await.unwrap().is_success());
    assert_eq!(next(&mut room).await.unwrap(), message("over http", 2));
}

#[tokio::test]
async fn at_the_end_of_a_connections_lifetime_the_client_reconnects_and_misses_or_repeats_nothing() {
    let lifetime = Duration::from_secs(2);
    let emulator = builder().events(EventsOptions::default().connection_lifetime(lifetime)).build().unwrap();
    let (addr, _server) = serve(&emulator).await;
    let client = client(addr, iam());
    let mut states = Box::pin(client.connection_states());
    let mut sub = client.subscribe::<Message>("/default/news").await.unwrap();
    let mut n = 0;
    for round in 0..3 {
        wait_state(&mut states, |s| matches!(s, ConnectionState::Connected { .. })).await;
        // Subscribed again once a probe gets through (events published before that are not
        // replayed, as on AppSync).
        let mut probes = 0;
        loop {
            probes += 1;
            assert!(probes < 100, "round {round}: no event after connecting");
            client.publish("/default/news", [message("probe", probes)]).await.unwrap();
            if let Ok(Some(event)) = tokio::time::timeout(Duration::from_millis(200), sub.next()).await {
                assert_eq!(event.unwrap().text, "probe");
                break;
            }
        }
        // From then on, every event once and in order.
        for _ in 0..5 {
            n += 1;
            client.publish("/default/news", [message("seq", n)]).await.unwrap();
            let mut event = next(&mut sub).await.unwrap();
            while event.text == "probe" {
                event = next(&mut sub).await.unwrap();
            }
            assert_eq!(event, message("seq", n), "round {round}");
        }
        // The emulator closes the connection at the end of its lifetime; the client goes on.
        wait_state(&mut states, |s| !matches!(s, ConnectionState::Connected { .. })).await;
    }
    assert_quiet(&mut sub).await;
}

#[tokio::test]
async fn a_slow_subscription_is_told_how_many_events_it_lost_and_holds_up_no_one() {
    // Lag reporting, as for GraphQL subscriptions: a stream whose queue is full loses events,
    // then yields one `is_lagged` error with their count, and goes on.
    let emulator = builder().build().unwrap();
    let (addr, _server) = serve(&emulator).await;
    let client = EventsClient::builder()
        .endpoint(format!("http://{addr}/event"))
        .region(REGION)
        .auth(Auth::api_key(API_KEY))
        .realtime(RealtimeOptions::default().event_queue_capacity(4))
        .build()
        .unwrap();
    // Both on one connection: `slow` is never read while `all` takes every event.
    let mut slow = client.subscribe::<Message>("/default/slow").await.unwrap();
    let mut all = client.subscribe::<Message>("/default/*").await.unwrap();
    for n in 0..10 {
        assert!(client.publish("/default/slow", [message("slow", n)]).await.unwrap().is_success());
        assert_eq!(next(&mut all).await.unwrap(), message("slow", n));
    }
    // Events arrive in publish order on the one connection: once `all` has the sentinel, the
    // ten for `slow` have been routed (queued or dropped).
    client.publish("/default/other", [message("sentinel", 0)]).await.unwrap();
    assert_eq!(next(&mut all).await.unwrap(), message("sentinel", 0));

    for n in 0..4 {
        assert_eq!(next(&mut slow).await.unwrap(), message("slow", n));
    }
    let gap = next(&mut slow).await.unwrap_err();
    assert!(gap.is_lagged(), "{gap:?}");
    assert_eq!(gap.lagged_count(), Some(6));
    client.publish("/default/slow", [message("after", 10)]).await.unwrap();
    assert_eq!(next(&mut slow).await.unwrap(), message("after", 10));
    assert_eq!(next(&mut all).await.unwrap(), message("after", 10));
    assert_quiet(&mut slow).await;
}

#[tokio::test]
async fn withheld_keep_alives_are_noticed_and_the_subscription_made_again() {
    // The keep-alive watchdog runs on the ack's `connectionTimeoutMs`, as for GraphQL: an
    // emulator that acks 400 ms and then keeps quiet for a minute is taken as lost.
    let options = appsync_local::realtime::RealtimeOptions::default()
        .connection_timeout_ms(400)
        .keep_alive_interval(Duration::from_secs(60));
    let emulator = builder().realtime(options).build().unwrap();
    let (addr, _server) = serve(&emulator).await;
    let client = client(addr, Auth::api_key(API_KEY));
    let mut states = Box::pin(client.connection_states());
    let mut sub = client.subscribe::<Message>("/default/ka").await.unwrap();
    let seen = wait_state(&mut states, |s| *s == ConnectionState::KeepAliveLate).await;
    assert!(
        seen.iter().any(|e| e.state == ConnectionState::Connected { keep_alive: Duration::from_millis(400) }),
        "connectionTimeoutMs is the watchdog's: {seen:?}"
    );
    wait_state(&mut states, |s| matches!(s, ConnectionState::Disrupted { .. })).await;
    wait_state(&mut states, |s| matches!(s, ConnectionState::Connected { .. })).await;
    // Subscribed again: a publish after the new subscribe_success arrives.
    let mut got = None;
    for n in 0..20 {
        client.publish("/default/ka", [message("ka", n)]).await.unwrap();
        if let Ok(Some(event)) = tokio::time::timeout(Duration::from_millis(100), sub.next()).await {
            got = Some(event.unwrap());
            break;
        }
    }
    assert!(got.is_some_and(|m| m.text == "ka"));
}
