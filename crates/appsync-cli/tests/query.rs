//! `appsync query` run as a user would: the real binary against the real emulator on 127.0.0.1.

#![allow(clippy::unwrap_used, missing_docs)]

mod support;
use appsync_testkit::scratch_dir;

use std::process::Output;

use appsync_local::ServerHandle;
use serde_json::Value;

const KEY: &str = "da2-cli-test-key";
const AKID: &str = "AKIDCLIQUERY";
const SECRET: &str = "cli-query-secret";

async fn emulator() -> ServerHandle {
    support::emulator(KEY, AKID, SECRET).await
}

/// Runs the binary with a clean AWS environment plus `env`.
async fn appsync(args: Vec<String>, env: Vec<(&'static str, String)>) -> Output {
    tokio::task::spawn_blocking(move || {
        let mut cmd = support::appsync_command("query");
        cmd.args(args);
        cmd.envs(env);
        cmd.output().unwrap()
    })
    .await
    .unwrap()
}

fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

fn stdout_json(output: &Output) -> Value {
    let text = String::from_utf8_lossy(&output.stdout);
    assert_eq!(text.trim_end().lines().count(), 1, "compact JSON when piped: {text}");
    serde_json::from_str(&text).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn api_key_mutation_then_query_from_a_file() {
    let server = emulator().await;
    let url = server.graphql_url();
    let created = appsync(
        args(&[
            "--url",
            &url,
            "--api-key",
            KEY,
            "--variables",
            r#"{"input": {"title": "from the cli"}}"#,
            "mutation Create($input: CreatePostInput!) { createPost(input: $input) { id title } }",
        ]),
        vec![],
    )
    .await;
    assert!(created.status.success(), "{}", String::from_utf8_lossy(&created.stderr));
    let body = stdout_json(&created);
    let id = body["data"]["createPost"]["id"].as_str().unwrap().to_owned();
    assert_eq!(body["data"]["createPost"]["title"], "from the cli");

    let dir = scratch_dir("query-file");
    let query_file = dir.join("get.graphql");
    std::fs::write(
        &query_file,
        "query Other { listPosts { items { id } } }\nquery Get($id: ID!) { getPost(id: $id) { id title } }",
    )
    .unwrap();
    let vars_file = dir.join("vars.json");
    std::fs::write(&vars_file, format!(r#"{{"id": "{id}"}}"#)).unwrap();
    let fetched = appsync(
        args(&[
            "--url",
            &url,
            "--auth",
            "api-key",
            "--operation-name",
            "Get",
            "--variables",
            &format!("@{}", vars_file.display()),
            &format!("@{}", query_file.display()),
        ]),
        vec![("APPSYNC_API_KEY", KEY.to_owned())],
    )
    .await;
    assert!(fetched.status.success(), "{}", String::from_utf8_lossy(&fetched.stderr));
    assert_eq!(stdout_json(&fetched)["data"]["getPost"]["title"], "from the cli");
}

#[tokio::test(flavor = "multi_thread")]
async fn iam_from_environment_variables() {
    let server = emulator().await;
    let out = appsync(
        args(&["--url", &server.graphql_url(), "--region", "us-east-1", "{ listPosts { items { id } } }"]),
        vec![("AWS_ACCESS_KEY_ID", AKID.to_owned()), ("AWS_SECRET_ACCESS_KEY", SECRET.to_owned())],
    )
    .await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout_json(&out)["data"]["listPosts"]["items"].is_array());
}

#[tokio::test(flavor = "multi_thread")]
async fn iam_from_a_named_profile_with_its_region() {
    let server = emulator().await;
    let dir = scratch_dir("profile");
    let credentials = dir.join("credentials");
    std::fs::write(
        &credentials,
        format!("[cli]\naws_access_key_id = {AKID}\naws_secret_access_key = {SECRET}\n"),
    )
    .unwrap();
    let config = dir.join("config");
    std::fs::write(&config, "[profile cli]\nregion = us-east-1\n").unwrap();
    let out = appsync(
        args(&[
            "--url",
            &server.graphql_url(),
            "--auth",
            "iam",
            "--profile",
            "cli",
            "{ listPosts { items { id } } }",
        ]),
        vec![
            ("AWS_SHARED_CREDENTIALS_FILE", credentials.display().to_string()),
            ("AWS_CONFIG_FILE", config.display().to_string()),
        ],
    )
    .await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[tokio::test(flavor = "multi_thread")]
async fn graphql_errors_go_to_stderr_with_exit_1() {
    let server = emulator().await;
    let out =
        appsync(args(&["--url", &server.graphql_url(), "--api-key", KEY, "{ noSuchField }"]), vec![]).await;
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("GraphQL error") && stderr.contains("noSuchField"), "{stderr}");
    assert!(stdout_json(&out)["errors"].is_array(), "the response is still printed");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rejected_key_is_a_failure_with_exit_1() {
    let server = emulator().await;
    let out = appsync(
        args(&["--url", &server.graphql_url(), "--api-key", "da2-wrong", "{ listPosts { items { id } } }"]),
        vec![],
    )
    .await;
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("401") && stderr.contains("UnauthorizedException"), "{stderr}");
    assert!(!stderr.contains("da2-wrong"), "the key is not echoed: {stderr}");
}

#[tokio::test(flavor = "multi_thread")]
async fn usage_errors_exit_2() {
    let local = "http://127.0.0.1:9/graphql";
    for (list, expected) in [
        (
            vec!["--url", local, "--api-key", "k", "--variables", "{not json", "{ a }"],
            "--variables is not valid JSON",
        ),
        (vec!["--url", local, "--api-key", "k", "--variables", "[1]", "{ a }"], "JSON object"),
        (vec!["--url", local, "--auth", "api-key", "{ a }"], "--auth api-key needs --api-key"),
        (vec!["--url", local, "--auth", "lambda", "{ a }"], "--auth lambda needs --token"),
        (vec!["--url", local, "{ a }"], "--region is required"),
        (vec!["--url", "not a url", "--api-key", "k", "{ a }"], "endpoint"),
        (vec!["--url", local, "--api-key", "k", "@/nonexistent/query.graphql"], "cannot read the query file"),
        (vec!["--url", local, "--auth", "sometimes", "{ a }"], "invalid value"),
    ] {
        let out = appsync(args(&list), vec![]).await;
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{list:?}: {stderr}");
        assert!(stderr.contains(expected), "{list:?}: {stderr}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_auth_mode_follows_the_credential_given() {
    // Nothing listens on port 9: reaching the connection attempt (exit 1) rather than a usage
    // error (exit 2, IAM needs a region here) shows which mode was chosen.
    let local = "http://127.0.0.1:9/graphql";
    for list in
        [vec!["--url", local, "--token", "jwt", "{ a }"], vec!["--url", local, "--api-key", "k", "{ a }"]]
    {
        let out = appsync(args(&list), vec![]).await;
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{list:?}: {stderr}");
        assert!(stderr.contains("Connection refused") || stderr.contains("connect"), "{stderr}");
    }
}
