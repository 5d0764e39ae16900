//! `appsync local --cdk-out` serving the fixture CDK app's Event API beside its GraphQL API:
//! the namespaces `cdk synth` wrote, their code handlers from the cdk.out assets, and the
//! `posts` namespace whose `onPublish` stores the first event in the Posts table through a data
//! source integration, read back over GraphQL. Publish and subscribe go over real sockets with
//! the `appsync` crate's Events client.
#![allow(missing_docs)]
// Test helpers: a failed expect is the test failing, with its message.
#![allow(clippy::expect_used)]

mod support;

use std::path::Path;
use std::time::Duration;

use appsync::Auth;
use appsync::events::EventsClient;
use futures_util::StreamExt as _;
use serde_json::{Value, json};
use support::start_local;

const KEY: &str = "da2-appsynclocaldemokey0000";

fn repo(path: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(path).display().to_string()
}

/// The stream's next event, within 10 s.
async fn next(stream: &mut appsync::events::EventStream<Value>) -> Value {
    tokio::time::timeout(Duration::from_secs(10), stream.next())
        .await
        .expect("an event within 10 s")
        .expect("the subscription open")
        .expect("an event")
}

#[test]
fn serves_the_cdk_out_event_api_with_its_handlers_and_its_data_source() {
    let local = start_local(&["--cdk-out", &repo("fixtures/cdk-app/cdk.out")]);
    let banner = local.banner.join("\n");
    for needle in [
        "Event API fixture-events",
        "channel namespaces: chat (handlers), default, posts (handlers)",
        "data source EventPosts (AMAZON_DYNAMODB)",
        "posts: onPublish integrates EventPosts",
    ] {
        assert!(banner.contains(needle), "missing {needle:?} in:\n{banner}");
    }
    let rt =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    rt.block_on(async {
        let client = EventsClient::builder()
            .endpoint(format!("http://{}/event", local.host))
            .auth(Auth::api_key(KEY))
            .build()
            .expect("an Events client");
        // chat: code handlers from a cdk.out asset, no data source.
        let mut chat = client.subscribe::<Value>("/chat/lobby").await.expect("subscribe to chat");
        client.publish("/chat/lobby", [json!({"text": "hi"})]).await.expect("publish to chat");
        assert_eq!(next(&mut chat).await, json!({"text": "hi", "room": "lobby"}));
        let Err(refused) = client.subscribe::<Value>("/chat/private").await else {
            panic!("a subscription to /chat/private is refused")
        };
        assert!(refused.is_rejected(), "{refused}");

        // posts: onPublish puts the first event in the Posts table, then broadcasts.
        let mut posts = client.subscribe::<Value>("/posts/new").await.expect("subscribe to posts");
        client
            .publish("/posts/new", [json!({"id": "evt-1", "title": "from an event", "author": "eve"})])
            .await
            .expect("publish to posts");
        assert_eq!(
            next(&mut posts).await,
            json!({"id": "evt-1", "title": "from an event", "author": "eve", "stored": true})
        );
        client.close().await;

        // The GraphQL API reads the same table.
        let body: Value = reqwest::Client::new()
            .post(&local.url)
            .header("x-api-key", KEY)
            .json(&json!({"query": "{ getPost(id: \"evt-1\") { id title author } }"}))
            .send()
            .await
            .expect("a GraphQL answer")
            .json()
            .await
            .expect("JSON");
        assert_eq!(
            body,
            json!({"data": {"getPost": {"id": "evt-1", "title": "from an event", "author": "eve"}}})
        );
    });
}
