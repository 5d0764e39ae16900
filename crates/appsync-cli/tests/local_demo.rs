//! `appsync local` and `appsync demo` as a user runs them: real processes, real sockets.
#![allow(missing_docs)]
// Test helpers: a failed expect is the test failing, with its message.
#![allow(clippy::expect_used)]

mod support;

use std::process::{Child, Command};
use std::time::Duration;

use serde_json::{Value, json};
use support::start_local;

fn appsync() -> Command {
    Command::new(env!("CARGO_BIN_EXE_appsync"))
}

#[test]
fn demo_runs_every_step_and_exits_zero() {
    let out = appsync().arg("demo").output().expect("run appsync demo");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "stdout:\n{stdout}\nstderr:\n{}", String::from_utf8_lossy(&out.stderr));
    for needle in [
        "mutation createPost",
        "AWS_IAM",
        "API_KEY",
        "HTTP 403",
        "InvalidSignatureException",
        "subscription onCreate",
        "event onCreatePost",
        "no event (filtered)",
        "demo finished: 8 steps, all as expected",
    ] {
        assert!(stdout.contains(needle), "missing {needle:?} in:\n{stdout}");
    }
}

fn post(url: &str, headers: &[(&str, String)], body: &Value) -> (u16, Value) {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    rt.block_on(async {
        let mut req = reqwest::Client::new().post(url).json(body);
        for (k, v) in headers {
            req = req.header(*k, v);
        }
        let resp = req.send().await.expect("send");
        let status = resp.status().as_u16();
        (status, resp.json().await.expect("json"))
    })
}

fn sigterm(child: &Child) {
    let status = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().expect("kill");
    assert!(status.success());
}

fn wait_exit(child: &mut Child) -> std::process::ExitStatus {
    // Waits for the exit itself; a watchdog kills the process if it has not stopped in 5 s, so
    // the test fails instead of hanging.
    let pid = child.id().to_string();
    let (exited, watch) = std::sync::mpsc::channel::<()>();
    let watchdog = std::thread::spawn(move || {
        let timed_out = watch.recv_timeout(Duration::from_secs(5)).is_err();
        if timed_out {
            let _ = Command::new("kill").args(["-KILL", &pid]).status();
        }
        timed_out
    });
    let status = child.wait().expect("wait");
    let _ = exited.send(());
    assert!(!watchdog.join().expect("watchdog"), "appsync local did not stop within 5 s");
    status
}

#[test]
fn local_prints_demo_credentials_serves_and_stops_on_sigterm() {
    let mut local = start_local(&[]);
    let banner = local.banner.join("\n");
    assert!(banner.contains("AKIDAPPSYNCLOCALDEMO"), "{banner}");
    assert!(banner.contains("da2-appsynclocaldemokey0000"), "{banner}");
    assert!(local.url.starts_with("http://127.0.0.1:") && local.url.ends_with("/graphql"), "{}", local.url);

    let body = json!({"query": "mutation { createPost(input: {title: \"cli\"}) { title } }"});
    let (status, v) = post(&local.url, &[("x-api-key", "da2-appsynclocaldemokey0000".into())], &body);
    assert_eq!(status, 200);
    assert_eq!(v, json!({"data": {"createPost": {"title": "cli"}}}));

    // IAM with the demo credentials, signed by appsync-sigv4.
    let raw = serde_json::to_vec(&json!({"query": "{ listPosts { items { title } } }"})).expect("json");
    let creds =
        appsync_sigv4::Credentials::new("AKIDAPPSYNCLOCALDEMO", "appsync-local-demo-secret", None, None);
    let h = signed_headers(&local.host, &raw, &creds);
    let (status, v) = post(&local.url, &h, &serde_json::from_slice(&raw).expect("json"));
    assert_eq!(status, 200, "{v}");
    assert_eq!(v, json!({"data": {"listPosts": {"items": [{"title": "cli"}]}}}));

    sigterm(&local.child);
    let status = wait_exit(&mut local.child);
    assert!(status.success(), "{status:?}");
}

#[test]
fn local_flags_configure_schema_keys_and_default_auth() {
    let dir = std::env::temp_dir().join(format!("appsync-local-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("mkdir");
    let schema = dir.join("schema.graphql");
    std::fs::write(&schema, "type Note { id: ID! text: String when: AWSDateTime }\ntype Query { getNote(id: ID!): Note }\ntype Mutation { putNote(id: ID!, text: String): Note }\n").expect("write schema");
    let local = start_local(&[
        "--schema",
        schema.to_str().expect("utf-8 path"),
        "--default-auth",
        "api-key",
        "--api-key",
        "da2-good",
        "--api-key",
        "da2-old:946684800",
        "--region",
        "eu-west-1",
    ]);
    let banner = local.banner.join("\n");
    assert!(!banner.contains("demo credentials"), "{banner}");
    assert!(banner.contains("eu-west-1") && banner.contains("default auth api-key"), "{banner}");
    let put = json!({"query": "mutation { putNote(id: \"n1\", text: \"hi\") { id text when } }"});
    let (status, v) = post(&local.url, &[("x-api-key", "da2-good".into())], &put);
    assert_eq!((status, v), (200, json!({"data": {"putNote": {"id": "n1", "text": "hi", "when": null}}})));
    let (status, v) = post(&local.url, &[("x-api-key", "da2-old".into())], &put);
    assert_eq!(status, 401);
    assert_eq!(v["errors"][0]["errorType"], "UnauthorizedException");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_flags_are_usage_errors() {
    let out = appsync().args(["local", "--default-auth", "carrier-pigeon"]).output().expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown auth mode"));
    let out = appsync().args(["local", "--iam", "onlyakid"]).output().expect("run");
    assert_eq!(out.status.code(), Some(2));
    let out = appsync().args(["local", "--schema", "/nonexistent/schema.graphql"]).output().expect("run");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("could not read the schema"));
}

#[test]
fn token_mints_jwts_that_local_verifies_with_the_written_jwks() {
    let dir = std::env::temp_dir().join(format!("appsync-token-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("mkdir");
    let jwks = dir.join("jwks.json");
    let schema = dir.join("schema.graphql");
    std::fs::write(
        &schema,
        "type Query { me: String  admins: String @aws_cognito_user_pools(cognito_groups: [\"admins\"]) }\n",
    )
    .expect("write schema");
    let out = appsync()
        .args(["token", "--sub", "carol", "--groups", "admins,staff", "--jwks-out"])
        .arg(&jwks)
        .output()
        .expect("run token");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let token = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    assert_eq!(token.split('.').count(), 3, "{token}");
    let plain = appsync().args(["token", "--sub", "dave"]).output().expect("run token");
    let plain = String::from_utf8_lossy(&plain.stdout).trim().to_owned();

    let local = start_local(&[
        "--schema",
        schema.to_str().expect("utf-8"),
        "--default-auth",
        "cognito",
        "--jwks",
        jwks.to_str().expect("utf-8"),
        "--jwt-issuer",
        "https://appsync-local.invalid/demo",
    ]);
    let q = json!({"query": "{ me admins }"});
    let (status, v) = post(&local.url, &[("authorization", token)], &q);
    assert_eq!(status, 200);
    assert_eq!(v, json!({"data": {"me": null, "admins": null}}));
    let (status, v) = post(&local.url, &[("authorization", plain)], &q);
    assert_eq!(status, 200);
    assert_eq!(v["data"], json!({"me": null, "admins": null}));
    assert_eq!(v["errors"][0]["errorType"], "Unauthorized");
    assert_eq!(v["errors"][0]["path"], json!(["admins"]));
    let (status, _) = post(&local.url, &[("authorization", "not-a-jwt".into())], &q);
    assert_eq!(status, 401);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn data_file_keeps_every_acknowledged_write_across_sigkill() {
    let dir = std::env::temp_dir().join(format!("appsync-data-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("mkdir");
    let data = dir.join("records.redb");
    let _ = std::fs::remove_file(&data);
    let key = || vec![("x-api-key", "da2-appsynclocaldemokey0000".to_owned())];
    let mut first = start_local(&["--data", data.to_str().expect("utf-8")]);
    let mut ids = Vec::new();
    for i in 0..25 {
        let q = json!({"query": format!("mutation {{ createPost(input: {{title: \"t{i}\"}}) {{ id }} }}")});
        let (status, v) = post(&first.url, &key(), &q);
        assert_eq!(status, 200, "{v}");
        ids.push(v["data"]["createPost"]["id"].as_str().expect("id").to_owned());
    }
    let upd = json!({"query": format!("mutation {{ updatePost(input: {{id: \"{}\", title: \"changed\"}}) {{ id }} }}", ids[0])});
    assert_eq!(post(&first.url, &key(), &upd).0, 200);
    let del = json!({"query": format!("mutation {{ deletePost(input: {{id: \"{}\"}}) {{ id }} }}", ids[1])});
    assert_eq!(post(&first.url, &key(), &del).0, 200);
    // No graceful stop: SIGKILL right after the last acknowledged write.
    first.child.kill().expect("SIGKILL");
    let _ = first.child.wait();

    let second = start_local(&["--data", data.to_str().expect("utf-8")]);
    let (status, v) =
        post(&second.url, &key(), &json!({"query": "{ listPosts(limit: 100) { items { id title } } }"}));
    assert_eq!(status, 200);
    let items = v["data"]["listPosts"]["items"].as_array().expect("items").clone();
    assert_eq!(items.len(), 24, "{v}");
    assert_eq!(items[0], json!({"id": ids[0], "title": "changed"}));
    assert!(items.iter().all(|p| p["id"] != ids[1].as_str()));
    let titles: Vec<&str> = items.iter().skip(1).filter_map(|p| p["title"].as_str()).collect();
    let expected: Vec<String> = (2..25).map(|i| format!("t{i}")).collect();
    assert_eq!(titles, expected);
    drop(second);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn iam_with_session_token_and_lambda_tokens_from_flags() {
    let dir = std::env::temp_dir().join(format!("appsync-iam-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("mkdir");
    let schema = dir.join("schema.graphql");
    std::fs::write(&schema, "type Query { viaIam: String @aws_iam  viaLambda: String @aws_lambda }\n")
        .expect("write");
    let local = start_local(&[
        "--schema",
        schema.to_str().expect("utf-8"),
        "--iam",
        "ASIACLI:cli-secret:cli-session",
        "--lambda-token",
        "let-me-in",
    ]);
    let q = json!({"query": "{ viaIam viaLambda }"});
    let (status, v) = post(&local.url, &[("authorization", "let-me-in".into())], &q);
    assert_eq!(status, 200);
    assert_eq!(v["data"], json!({"viaIam": null, "viaLambda": null}));
    assert_eq!(v["errors"][0]["path"], json!(["viaIam"]));
    assert_eq!(v["errors"].as_array().map(Vec::len), Some(1));

    let raw = serde_json::to_vec(&q).expect("json");
    let sign = |token: Option<&str>| {
        let creds = appsync_sigv4::Credentials::new("ASIACLI", "cli-secret", token.map(str::to_owned), None);
        signed_headers(&local.host, &raw, &creds)
    };
    let (status, v) = post(&local.url, &sign(Some("cli-session")), &q);
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["data"], json!({"viaIam": null, "viaLambda": null}));
    assert_eq!(v["errors"][0]["path"], json!(["viaLambda"]));
    let (status, v) = post(&local.url, &sign(None), &q);
    assert_eq!(status, 403, "{v}");
    assert_eq!(v["errors"][0]["errorType"], "UnrecognizedClientException");
    let _ = std::fs::remove_dir_all(&dir);
}

/// The headers of a JSON POST to `/graphql` on `host`, SigV4-signed now with `creds` for
/// us-east-1/appsync, as the emulator receives them.
fn signed_headers(
    host: &str,
    body: &[u8],
    creds: &appsync_sigv4::Credentials,
) -> Vec<(&'static str, String)> {
    let headers: [(&str, &[u8]); 2] = [("host", host.as_bytes()), ("content-type", b"application/json")];
    let signable = appsync_sigv4::SignableRequest::new(
        "POST",
        "/graphql",
        headers,
        appsync_sigv4::SignableBody::Bytes(body),
    )
    .expect("signable");
    let params =
        appsync_sigv4::SigningParams::new(creds, "us-east-1", "appsync", std::time::SystemTime::now());
    let signed = appsync_sigv4::sign(&signable, &params).expect("sign");
    let mut h: Vec<(&'static str, String)> = vec![("host", host.to_owned())];
    for part in signed.headers() {
        h.push((part.name(), part.value().to_owned()));
    }
    h
}

/// `appsync query` against `local`, trusting (or not) the authority in `ca`.
fn query_with_ca(url: &str, ca: Option<&std::path::Path>) -> std::process::Output {
    let mut cmd = appsync();
    cmd.args([
        "query",
        "--url",
        url,
        "--api-key",
        "da2-appsynclocaldemokey0000",
        "{ listPosts { items { id } } }",
    ]);
    if let Some(ca) = ca {
        cmd.arg("--ca-cert").arg(ca);
    }
    cmd.env("HOME", std::env::temp_dir()).output().expect("run appsync query")
}

#[test]
fn tls_serves_https_with_an_authority_kept_across_restarts() {
    let dir = std::env::temp_dir().join(format!(
        "appsync-cli-tls-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    let dir_arg = dir.to_str().expect("utf-8 temp dir");
    let ca = dir.join("ca.pem");
    let first = start_local(&["--tls", "--tls-dir", dir_arg]);
    assert!(first.url.starts_with("https://127.0.0.1:"), "{}", first.url);
    let banner = first.banner.join("\n");
    assert!(
        banner.contains(&format!("TLS certificate authority (trust it once): {}", ca.display())),
        "{banner}"
    );

    let trusted = query_with_ca(&first.url, Some(&ca));
    assert!(trusted.status.success(), "{}", String::from_utf8_lossy(&trusted.stderr));
    let data: Value = serde_json::from_slice(&trusted.stdout).expect("json on stdout");
    assert!(data["data"]["listPosts"]["items"].is_array(), "{data}");

    // Verification stays on: the system's roots alone do not know the emulator's authority.
    let untrusted = query_with_ca(&first.url, None);
    assert_eq!(untrusted.status.code(), Some(1), "{}", String::from_utf8_lossy(&untrusted.stderr));
    assert!(
        String::from_utf8_lossy(&untrusted.stderr).contains("certificate"),
        "{}",
        String::from_utf8_lossy(&untrusted.stderr)
    );

    // A restart issues a new leaf from the same authority: trusted once, trusted again.
    let pem_before = std::fs::read(&ca).expect("ca.pem");
    drop(first);
    let second = start_local(&["--tls", "--tls-dir", dir_arg]);
    assert_eq!(std::fs::read(&ca).expect("ca.pem"), pem_before);
    let again = query_with_ca(&second.url, Some(&ca));
    assert!(again.status.success(), "{}", String::from_utf8_lossy(&again.stderr));

    // A file that is not a certificate is a usage error naming the flag.
    let bogus = dir.join("bogus.pem");
    std::fs::write(&bogus, "nope").expect("write");
    let bad = query_with_ca(&second.url, Some(&bogus));
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("--ca-cert"),
        "{}",
        String::from_utf8_lossy(&bad.stderr)
    );
    drop(second);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn tls_with_own_pem_files_and_flag_rules() {
    let dir = std::env::temp_dir().join(format!("appsync-cli-tls-own-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    let cert = dir.join("cert.pem");
    std::fs::write(&cert, "not pem").expect("write");
    let out = appsync()
        .args(["local", "--listen", "127.0.0.1:0", "--tls-cert"])
        .arg(&cert)
        .arg("--tls-key")
        .arg(&cert)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("tls_cert"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // --tls-cert without --tls-key, and --tls with --tls-cert, are refused by the parser.
    for args in [vec!["--tls-cert", "x.pem"], vec!["--tls", "--tls-cert", "x.pem", "--tls-key", "y.pem"]] {
        let out = appsync().arg("local").args(&args).output().expect("run");
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn local_serves_events_in_the_channel_namespaces_given() {
    let local = start_local(&[
        "--channel-namespace",
        "chat",
        "--channel-namespace",
        "alerts:publish=iam:subscribe=api-key",
    ]);
    let banner = local.banner.join("\n");
    let events_url = format!("http://{}/event", local.host);
    assert!(banner.contains(&format!("AppSync Events: {events_url}")), "{banner}");
    assert!(banner.contains("channel namespaces: chat, alerts"), "{banner}");
    let key = [("x-api-key", "da2-appsynclocaldemokey0000".to_owned())];
    let (status, body) = post(&events_url, &key, &json!({"channel": "/chat/room", "events": ["1"]}));
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["successful"][0]["index"], 0);
    // `alerts` takes publishes from IAM only.
    let (status, body) = post(&events_url, &key, &json!({"channel": "/alerts/a", "events": ["1"]}));
    assert_eq!(status, 401, "{body}");
    // `default` exists only when no namespace is given.
    let (status, body) = post(&events_url, &key, &json!({"channel": "/default/room", "events": ["1"]}));
    assert_eq!((status, body), (401, json!({"errors": [{"errorType": "UnauthorizedException"}]})));
}

#[test]
fn local_runs_a_templates_event_api_and_events_handler_files() {
    let dir = std::env::temp_dir().join(format!("appsync-events-handler-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let handler = dir.join("open.js");
    std::fs::write(&handler, "export function onPublish(ctx) { util.error('closed today', 'Closed'); }")
        .expect("handler file");
    let template = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../appsync-local/tests/data/events-project/template.yaml");
    let template = template.to_str().expect("utf-8 path");
    let spec = format!("extra={}", handler.display());
    let local =
        start_local(&["--template", template, "--channel-namespace", "extra", "--events-handler", &spec]);
    let banner = local.banner.join("\n");
    assert!(banner.contains("Event API chat-events (EventApi)"), "{banner}");
    assert!(
        banner.contains(
            "channel namespaces: announcements (handlers), chat (handlers), open, saved (handlers)"
        ),
        "{banner}"
    );
    assert!(banner.contains("open: onPublish calls Lambda ChatLambda"), "{banner}");
    let events_url = format!("http://{}/event", local.host);
    let key = [("x-api-key", "da2-appsynclocaldemokey0000".to_owned())];
    // The template's CodeS3Location handlers, then the flag's.
    let (status, body) =
        post(&events_url, &key, &json!({"channel": "/chat/lobby", "events": [r#"{"text":"spam"}"#]}));
    assert_eq!(
        (status, body),
        (403, json!({"errors": [{"errorType": "BadRequestException", "message": "Banned word"}]}))
    );
    // `open`'s handler is the Lambda data source ChatLambda, which no --lambda gave.
    let (status, body) = post(&events_url, &key, &json!({"channel": "/open/a", "events": ["1"]}));
    assert_eq!(
        (status, &body["errors"][0]["errorType"]),
        (403, &json!("AppSyncLocal:NotConfigured")),
        "{body}"
    );
    assert!(
        body["errors"][0]["message"].as_str().is_some_and(|m| m.contains("--lambda ChatLambda=")),
        "{body}"
    );
    let (status, body) = post(&events_url, &key, &json!({"channel": "/extra/a", "events": ["1"]}));
    assert_eq!(
        (status, body),
        (403, json!({"errors": [{"errorType": "Closed", "message": "closed today"}]}))
    );
    // A namespace that does not exist is a usage error naming it.
    let out = appsync()
        .args([
            "local",
            "--listen",
            "127.0.0.1:0",
            "--events-handler",
            &format!("nope={}", handler.display()),
        ])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no channel namespace \"nope\""));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn events_connection_flags_refuse_other_modes_at_connect_and_bad_values() {
    for (flags, said) in [
        (["--events-connection-auth", "carrier-pigeon"], "--events-connection-auth"),
        (["--events-connection-lifetime", "soon"], "--events-connection-lifetime"),
        (["--events-connection-lifetime", "0"], "--events-connection-lifetime"),
    ] {
        let out = appsync().arg("local").args(flags).output().expect("run");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{flags:?}: {stderr}");
        assert!(stderr.contains(said), "{flags:?}: {stderr}");
    }

    let local = start_local(&["--events-connection-auth", "iam"]);
    let events_url = format!("http://{}/event", local.host);
    // A socket opened with the API key is refused at connect...
    let out = support::appsync_command("events")
        .args(["subscribe", "--url", &events_url, "--api-key", "da2-appsynclocaldemokey0000"])
        .args(["--timeout", "10", "/default/room"])
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("Unauthorized"), "{stderr}");
    // ...while an HTTP publish with it still takes the namespace's modes.
    let key = [("x-api-key", "da2-appsynclocaldemokey0000".to_owned())];
    let (status, body) = post(&events_url, &key, &json!({"channel": "/default/room", "events": ["1"]}));
    assert_eq!(status, 200, "{body}");
}
