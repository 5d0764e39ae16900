//! `appsync events publish` and `appsync events subscribe` run as a user would: the real binary
//! against the real emulator on 127.0.0.1.

#![allow(clippy::unwrap_used, missing_docs)]

#[path = "support/running.rs"]
mod running;
mod support;

use std::process::Output;

use appsync::Auth;
use appsync::events::EventsClient;
use appsync_local::events::EventsOptions;
use appsync_local::{ApiKey, Credentials, Emulator, ServerHandle};
use running::Running;
use serde_json::{Value, json};

const KEY: &str = "da2-cli-events-key";
const AKID: &str = "AKIDCLIEVENTS";
const SECRET: &str = "cli-events-secret";

async fn emulator(options: EventsOptions) -> ServerHandle {
    Emulator::builder()
        .api_key(ApiKey::new(KEY))
        .iam_credentials(Credentials::new(AKID, SECRET, None, None))
        .events(options)
        .build()
        .unwrap()
        .spawn("127.0.0.1:0")
        .await
        .unwrap()
}

fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

fn iam_env() -> Vec<(&'static str, String)> {
    vec![("AWS_ACCESS_KEY_ID", AKID.to_owned()), ("AWS_SECRET_ACCESS_KEY", SECRET.to_owned())]
}

/// `appsync events <args>` to completion.
fn events(args: &[&str], env: Vec<(&'static str, String)>) -> Output {
    let mut cmd = support::appsync_command("events");
    cmd.args(args).envs(env);
    cmd.output().unwrap()
}

fn lines(stdout: &[u8]) -> Vec<Value> {
    String::from_utf8_lossy(stdout).lines().map(|line| serde_json::from_str(line).unwrap()).collect()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn publish_prints_one_line_per_event_over_http_and_the_socket() {
    let server = support::emulator(KEY, AKID, SECRET).await;
    let url = server.event_url();
    let events_json: Vec<String> = (0..7).map(|n| json!({"n": n}).to_string()).collect();
    for transport in [None, Some("--ws")] {
        let mut list = vec!["publish", "--url", &url, "--api-key", KEY];
        list.extend(transport);
        list.push("/default/cli");
        list.extend(events_json.iter().map(String::as_str));
        let output = tokio::task::block_in_place(|| events(&list, vec![]));
        assert!(output.status.success(), "{transport:?}: {}", text(&output.stderr));
        let printed = lines(&output.stdout);
        assert_eq!(printed.len(), 7, "{transport:?}");
        assert!(
            text(&output.stdout).starts_with("{\"index\":0,\"identifier\":\""),
            "{}",
            text(&output.stdout)
        );
        for (i, line) in printed.iter().enumerate() {
            assert_eq!(line["index"], i, "{line}");
            assert_eq!(line["ok"], true, "{line}");
            assert!(line["identifier"].as_str().is_some_and(|id| !id.is_empty()), "{line}");
        }
        assert!(!text(&output.stderr).contains(KEY), "the key is not echoed");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_event_is_reported_and_exits_1() {
    let server = emulator(EventsOptions::default().max_event_bytes(100)).await;
    let url = server.event_url();
    let big = json!({"text": "x".repeat(200)}).to_string();
    let output = tokio::task::block_in_place(|| {
        events(&["publish", "--url", &url, "--region", "us-east-1", "/default/cli", "1", &big], iam_env())
    });
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    let printed = lines(&output.stdout);
    assert_eq!(printed.len(), 2);
    assert_eq!(printed[0]["ok"], true);
    assert_eq!(printed[1]["ok"], false);
    assert_eq!(printed[1]["index"], 1);
    assert!(printed[1]["error"]["message"].as_str().is_some_and(|m| !m.is_empty()), "{}", printed[1]);
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_channels_and_events_are_usage_errors() {
    let server = support::emulator(KEY, AKID, SECRET).await;
    let url = server.event_url();
    for (list, expected) in [
        (vec!["publish", "--url", &url, "--api-key", KEY, "/default/*", "1"], "channel"),
        (vec!["publish", "--url", &url, "--api-key", KEY, "/default/bad name", "1"], "channel"),
        (vec!["publish", "--url", &url, "--api-key", KEY, "/default/chat", "{not json"], "not valid JSON"),
        (vec!["subscribe", "--url", &url, "--api-key", KEY, "/a/b/c/d/e/f"], "6 segments"),
        (vec!["subscribe", "--url", &url, "--api-key", KEY, "--count", "0", "/default/x"], "--count"),
    ] {
        let output = tokio::task::block_in_place(|| events(&list, vec![]));
        assert_eq!(output.status.code(), Some(2), "{list:?}: {}", text(&output.stderr));
        assert!(text(&output.stderr).contains(expected), "{list:?}: {}", text(&output.stderr));
    }
    // A rejected request is a failure, not a usage error.
    let output = tokio::task::block_in_place(|| {
        events(&["publish", "--url", &url, "--api-key", "da2-wrong", "/default/chat", "1"], vec![])
    });
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    assert!(text(&output.stderr).contains("UnauthorizedException"), "{}", text(&output.stderr));
}

#[tokio::test(flavor = "multi_thread")]
async fn subscribe_prints_each_event_as_a_compact_line() {
    let server = support::emulator(KEY, AKID, SECRET).await;
    let url = server.event_url();
    let mut running = Running::start_command(
        support::appsync_command("events"),
        args(&[
            "subscribe",
            "--url",
            &url,
            "--region",
            "us-east-1",
            "--count",
            "2",
            "--timeout",
            "20",
            "/default/*",
        ]),
        iam_env(),
    );
    running.wait_for_stderr("appsync: subscribed").await;
    let publisher = EventsClient::builder().endpoint(&url).auth(Auth::api_key(KEY)).build().unwrap();
    let result = publisher
        .publish("/default/room/1", [json!({"text": "hello", "n": 1}), json!({"text": "world", "n": 2})])
        .await
        .unwrap();
    assert!(result.is_success());
    let (status, stdout, stderr) = running.finish().await;
    assert!(status.success(), "{stderr}");
    let mut got: Vec<Value> = stdout.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    got.sort_by_key(|v| v["n"].as_u64());
    assert_eq!(got, vec![json!({"text": "hello", "n": 1}), json!({"text": "world", "n": 2})]);
    assert!(stdout.lines().all(|l| !l.contains(": ")), "compact lines: {stdout}");
    assert!(stderr.contains("appsync: connection 1: connected"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread")]
async fn subscribe_exits_1_on_a_timeout_or_a_refusal() {
    let server = support::emulator(KEY, AKID, SECRET).await;
    let url = server.event_url();
    let running = Running::start_command(
        support::appsync_command("events"),
        args(&["subscribe", "--url", &url, "--api-key", KEY, "--timeout", "1", "/default/quiet"]),
        vec![],
    );
    let (status, stdout, stderr) = running.finish().await;
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(stdout.is_empty());
    assert!(stderr.contains("timed out"), "{stderr}");

    let running = Running::start_command(
        support::appsync_command("events"),
        args(&["subscribe", "--url", &url, "--api-key", KEY, "--timeout", "10", "/nowhere/x"]),
        vec![],
    );
    let (status, _, stderr) = running.finish().await;
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("subscription failed"), "{stderr}");
}
