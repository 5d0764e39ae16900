//! `appsync subscribe` run as a user would: the real binary against the real emulator on
//! 127.0.0.1, with mutations made over HTTP by the `appsync` client.

#![allow(clippy::unwrap_used, missing_docs)]

mod support;
use appsync_testkit::scratch_dir;
#[path = "support/running.rs"]
mod running;
use running::Running;

use std::process::ExitStatus;
use std::time::Duration;

use appsync::credentials::Credentials;
use appsync::{Auth, Client};
use appsync_local::ServerHandle;
use serde_json::{Value, json};

const KEY: &str = "da2-cli-subscribe-key";
const AKID: &str = "AKIDCLISUBSCRIBE";
const SECRET: &str = "cli-subscribe-secret";

use appsync_testkit::{CREATE_POST_SHORT, ON_CREATE_POST};

async fn emulator() -> ServerHandle {
    support::emulator(KEY, AKID, SECRET).await
}

fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

/// Starts `appsync subscribe` with a clean AWS environment plus `env`.
fn start(args: Vec<String>, env: Vec<(&'static str, String)>) -> Running {
    Running::start_command(support::appsync_command("subscribe"), args, env)
}

/// Runs `appsync subscribe` to completion.
async fn run_to_end(args: Vec<String>, env: Vec<(&'static str, String)>) -> (ExitStatus, String, String) {
    start(args, env).finish().await
}

async fn create(client: &Client, title: &str, author: &str) -> String {
    let data: Value = client
        .query(CREATE_POST_SHORT, json!({ "input": { "title": title, "author": author } }))
        .await
        .unwrap()
        .into_result()
        .unwrap();
    data["createPost"]["id"].as_str().unwrap().to_owned()
}

fn api_key_client(server: &ServerHandle) -> Client {
    Client::builder().endpoint(server.graphql_url()).auth(Auth::api_key(KEY)).build().unwrap()
}

fn ndjson(stdout: &str) -> Vec<Value> {
    stdout.lines().map(|line| serde_json::from_str(line).unwrap()).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn api_key_two_events_as_ndjson_and_the_filtered_out_one_is_not_printed() {
    let server = emulator().await;
    let url = server.graphql_url();
    let dir = scratch_dir("subscription-file");
    let file = dir.join("on-create.graphql");
    std::fs::write(&file, ON_CREATE_POST).unwrap();
    let mut running = start(
        args(&[
            "--url",
            &url,
            "--api-key",
            KEY,
            "--variables",
            r#"{"author": "alice"}"#,
            "--count",
            "2",
            "--timeout",
            "20",
            &format!("@{}", file.display()),
        ]),
        vec![],
    );
    running.wait_for_stderr("appsync: subscribed").await;

    let client = api_key_client(&server);
    // Another author first: if the filter let it through, it would be the first line.
    create(&client, "not for alice", "bob").await;
    let first = create(&client, "first", "alice").await;
    let second = create(&client, "second", "alice").await;

    let (status, stdout, stderr) = running.finish().await;
    assert!(status.success(), "{stderr}");
    assert_eq!(stdout.lines().count(), 2, "one compact line per event: {stdout}");
    let events = ndjson(&stdout);
    assert_eq!(events[0], json!({ "onCreatePost": { "id": first, "title": "first", "author": "alice" } }));
    assert_eq!(events[1], json!({ "onCreatePost": { "id": second, "title": "second", "author": "alice" } }));
    assert!(!stdout.contains("bob"), "{stdout}");
    // The connection's states are on standard error, not mixed into the events.
    assert!(stderr.contains("appsync: connection 1: connecting"), "{stderr}");
    assert!(stderr.contains("appsync: connection 1: connected"), "{stderr}");
    assert!(!stderr.contains(KEY), "the key is not echoed: {stderr}");
}

#[tokio::test(flavor = "multi_thread")]
async fn iam_from_environment_variables() {
    let server = emulator().await;
    let mut running = start(
        args(&[
            "--url",
            &server.graphql_url(),
            "--region",
            "us-east-1",
            "--auth",
            "iam",
            "--count",
            "2",
            "--timeout",
            "20",
            "subscription { onCreatePost { id title } }",
        ]),
        vec![("AWS_ACCESS_KEY_ID", AKID.to_owned()), ("AWS_SECRET_ACCESS_KEY", SECRET.to_owned())],
    );
    running.wait_for_stderr("appsync: subscribed").await;

    // The mutations are IAM-signed too.
    let client = Client::builder()
        .endpoint(server.graphql_url())
        .region("us-east-1")
        .auth(Auth::iam(Credentials::new(AKID, SECRET, None, None)))
        .build()
        .unwrap();
    let first = create(&client, "iam one", "x").await;
    let second = create(&client, "iam two", "y").await;

    let (status, stdout, stderr) = running.finish().await;
    assert!(status.success(), "{stderr}");
    let events = ndjson(&stdout);
    assert_eq!(events.len(), 2, "{stdout}");
    assert_eq!(events[0]["onCreatePost"], json!({ "id": first, "title": "iam one" }));
    assert_eq!(events[1]["onCreatePost"], json!({ "id": second, "title": "iam two" }));
    assert!(!stderr.contains(SECRET), "{stderr}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_subscription_that_fails_validation_exits_1_with_the_reason() {
    let server = emulator().await;
    let (status, stdout, stderr) = run_to_end(
        args(&["--url", &server.graphql_url(), "--api-key", KEY, "subscription { onNoSuchThing { id } }"]),
        vec![],
    )
    .await;
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(stdout.is_empty(), "{stdout}");
    assert!(stderr.contains("subscription failed") && stderr.contains("onNoSuchThing"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_timeout_without_events_exits_1() {
    let server = emulator().await;
    let url = server.graphql_url();
    for extra in [&["--count", "1"][..], &[][..]] {
        let mut list = vec!["--url", &url, "--api-key", KEY, "--timeout", "1"];
        list.extend_from_slice(extra);
        list.push("subscription { onCreatePost { id } }");
        let started = std::time::Instant::now();
        let (status, stdout, stderr) = run_to_end(args(&list), vec![]).await;
        assert_eq!(status.code(), Some(1), "{list:?}: {stderr}");
        assert!(stdout.is_empty(), "{stdout}");
        assert!(stderr.contains("timed out after 1s"), "{stderr}");
        assert!(started.elapsed() < Duration::from_secs(10), "{:?}", started.elapsed());
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_connection_exits_1() {
    // Nothing listens on port 9.
    let (status, _, stderr) = run_to_end(
        args(&[
            "--url",
            "http://127.0.0.1:9/graphql",
            "--api-key",
            "k",
            "subscription { onCreatePost { id } }",
        ]),
        vec![],
    )
    .await;
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("subscription failed"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread")]
async fn usage_errors_exit_2() {
    let local = "http://127.0.0.1:9/graphql";
    let sub = "subscription { onCreatePost { id } }";
    for (list, expected) in [
        (vec!["--url", local, "--api-key", "k", "--count", "0", sub], "--count must be at least 1"),
        (vec!["--url", local, "--api-key", "k", "--timeout", "0", sub], "--timeout must be at least 1"),
        (vec!["--url", local, "--api-key", "k", "--variables", "[1]", sub], "JSON object"),
        (vec!["--url", local, "--auth", "api-key", sub], "--auth api-key needs --api-key"),
        (vec!["--url", local, sub], "--region is required"),
        (vec!["--url", local, "--api-key", "k", "--realtime-url", "nope", sub], "--realtime-url"),
        (
            vec!["--url", local, "--api-key", "k", "@/nonexistent/sub.graphql"],
            "cannot read the subscription file",
        ),
        (vec!["--url", local, "--api-key", "k", "--count", "many", sub], "invalid value"),
    ] {
        let (status, _, stderr) = run_to_end(args(&list), vec![]).await;
        assert_eq!(status.code(), Some(2), "{list:?}: {stderr}");
        assert!(stderr.contains(expected), "{list:?}: {stderr}");
    }
}
