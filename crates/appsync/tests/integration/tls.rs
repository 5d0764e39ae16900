//! The client against the emulator serving HTTPS and WSS with a certificate from its own
//! authority: trusted through `ca_certificate_pem`, refused without it (verification is never
//! turned off), for queries and subscriptions alike.

use std::time::Duration;

use appsync::credentials::Credentials;
use appsync::{Auth, Client, Request};
use appsync_local::{Emulator, ServerHandle, TlsOptions};
use futures_util::StreamExt as _;
use serde::Deserialize;
use serde_json::json;

use crate::Post;
use appsync_testkit::CREATE_POST_SHORT;

#[derive(Debug, Deserialize)]
struct Created {
    #[serde(rename = "createPost")]
    post: Post,
}

#[derive(Debug, Deserialize)]
struct OnCreate {
    #[serde(rename = "onCreatePost")]
    post: Post,
}

fn credentials() -> Credentials {
    Credentials::new("AKIDTLS", "tls-secret", None, None)
}

async fn tls_emulator() -> (Emulator, ServerHandle) {
    let emulator =
        Emulator::builder().iam_credentials(credentials()).tls(TlsOptions::ephemeral()).build().unwrap();
    let server = emulator.spawn("127.0.0.1:0").await.unwrap();
    (emulator, server)
}

#[tokio::test]
async fn queries_and_subscriptions_over_tls_with_the_emulators_authority() {
    let (emulator, server) = tls_emulator().await;
    assert!(server.graphql_url().starts_with("https://127.0.0.1:"), "{}", server.graphql_url());
    assert!(server.realtime_url().starts_with("wss://127.0.0.1:"), "{}", server.realtime_url());
    let client = Client::builder()
        .endpoint(server.graphql_url())
        .region("us-east-1")
        .auth(Auth::iam(credentials()))
        .ca_certificate_pem(emulator.tls_ca_pem().unwrap())
        .build()
        .unwrap();

    let mut events = client
        .subscribe::<OnCreate>(
            "subscription On($author: String) { onCreatePost(author: $author) { id title author } }",
            json!({"author": "tls"}),
        )
        .await
        .unwrap();
    let created: Created = client
        .data(
            Request::new(CREATE_POST_SHORT)
                .variables(json!({"input": {"title": "over tls", "author": "tls"}})),
        )
        .await
        .unwrap();
    assert_eq!(created.post.title, "over tls");
    let event = tokio::time::timeout(Duration::from_secs(10), events.next()).await.unwrap().unwrap().unwrap();
    assert_eq!(event.post, created.post);
}

#[tokio::test]
async fn a_certificate_from_an_untrusted_authority_is_refused() {
    let (_emulator, server) = tls_emulator().await;
    let stranger =
        Emulator::builder().iam_credentials(credentials()).tls(TlsOptions::ephemeral()).build().unwrap();
    for trusted in [None, stranger.tls_ca_pem()] {
        let mut builder = Client::builder()
            .endpoint(server.graphql_url())
            .region("us-east-1")
            .auth(Auth::iam(credentials()));
        if let Some(pem) = trusted {
            builder = builder.ca_certificate_pem(pem);
        }
        let client = builder.build().unwrap();
        let err = client.query::<serde_json::Value>("{ listPosts { items { id } } }", ()).await.unwrap_err();
        assert!(err.is_connect(), "{err:?}");
        let chain = std::iter::successors(Some(&err as &dyn std::error::Error), |e| e.source())
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(": ");
        assert!(chain.contains("certificate"), "{chain}");

        let err = client.subscribe::<OnCreate>("subscription { onCreatePost { id } }", ()).await.unwrap_err();
        let chain = std::iter::successors(Some(&err as &dyn std::error::Error), |e| e.source())
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(": ");
        assert!(chain.contains("certificate") || chain.contains("UnknownIssuer"), "{chain}");
    }
}

// A certificate error is not transient: the subscription fails on the first refusal instead of
// backing off through `initial_connect_attempts` (it used to take about 3 s).
#[tokio::test]
async fn an_untrusted_certificate_ends_the_subscription_without_retrying() {
    use appsync::realtime::{ConnectionState, RealtimeOptions};
    let (_emulator, server) = tls_emulator().await;
    let states = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = std::sync::Arc::clone(&states);
    let client = Client::builder()
        .endpoint(server.graphql_url())
        .region("us-east-1")
        .auth(Auth::iam(credentials()))
        .realtime(RealtimeOptions::default().initial_connect_attempts(5).on_state(move |event| {
            seen.lock().unwrap().push(event.state.clone());
        }))
        .build()
        .unwrap();
    let err = client.subscribe::<OnCreate>("subscription { onCreatePost { id } }", ()).await.unwrap_err();
    assert!(err.is_transport(), "{err:?}");
    let states = states.lock().unwrap().clone();
    assert!(
        !states.iter().any(|s| matches!(s, ConnectionState::Reconnecting { .. })),
        "no retry for a certificate error: {states:?}"
    );
    assert_eq!(
        states.iter().filter(|s| matches!(s, ConnectionState::Disrupted { .. })).count(),
        1,
        "one attempt: {states:?}"
    );
}

#[tokio::test]
async fn a_malformed_authority_is_refused_by_build_naming_the_field() {
    let err = Client::builder()
        .endpoint("https://127.0.0.1:1/graphql")
        .region("us-east-1")
        .auth(Auth::api_key("da2-x"))
        .ca_certificate_pem("not a certificate")
        .build()
        .unwrap_err();
    assert!(err.is_config(), "{err:?}");
    assert_eq!(err.field(), Some("ca_certificate_pem"));
}
