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
use appsync_local::{ApiKey, Credentials, DemoToken, Emulator, JwtConfig, ServerHandle};
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

/// Variables set for one run of the binary.
type Env = Vec<(&'static str, String)>;

fn iam_env() -> Env {
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

#[tokio::test(flavor = "multi_thread")]
async fn publish_takes_jwt_lambda_and_profile_credentials() {
    // The issue's auth flags other than --api-key: --auth jwt --token, --auth lambda --token,
    // and --profile (a credentials file named by AWS_SHARED_CREDENTIALS_FILE).
    let server = Emulator::builder()
        .api_key(ApiKey::new(KEY))
        .iam_credentials(Credentials::new(AKID, SECRET, None, None))
        .cognito_user_pools(JwtConfig::demo())
        .lambda_token("cli-lambda-token")
        .build()
        .unwrap()
        .spawn("127.0.0.1:0")
        .await
        .unwrap();
    let url = server.event_url();
    let jwt = DemoToken::new("cli-user").sign().unwrap();
    let credentials = appsync_testkit::scratch_dir("events-profile").join("credentials");
    std::fs::write(
        &credentials,
        format!("[events]\naws_access_key_id = {AKID}\naws_secret_access_key = {SECRET}\n"),
    )
    .unwrap();
    let profile_env = vec![("AWS_SHARED_CREDENTIALS_FILE", credentials.display().to_string())];
    let cases: [(&[&str], Env); 3] = [
        (&["--auth", "jwt", "--token", &jwt], vec![]),
        (&["--auth", "lambda", "--token", "cli-lambda-token"], vec![]),
        (&["--profile", "events", "--region", "us-east-1"], profile_env),
    ];
    for (flags, env) in cases {
        let mut list = vec!["publish", "--url", &url];
        list.extend_from_slice(flags);
        list.extend(["/default/cli", r#"{"n":1}"#]);
        let output = tokio::task::block_in_place(|| events(&list, env));
        assert!(output.status.success(), "{flags:?}: {}", text(&output.stderr));
        assert_eq!(lines(&output.stdout)[0]["ok"], true, "{flags:?}");
    }
    // A token the authorizer refuses: exit 1, the reason on stderr, the token not echoed.
    let output = tokio::task::block_in_place(|| {
        events(
            &[
                "publish",
                "--url",
                &url,
                "--auth",
                "lambda",
                "--token",
                "cli-refused-token",
                "/default/cli",
                "1",
            ],
            vec![],
        )
    });
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    assert!(text(&output.stderr).contains("Unauthorized"), "{}", text(&output.stderr));
    assert!(!text(&output.stderr).contains("cli-refused-token"), "{}", text(&output.stderr));
}
