//! `appsync local --cdk-out DIR | --template FILE` as a user runs it: the project's API served
//! over a real socket, what was found printed once at start, and code AWS would refuse refused.
#![allow(missing_docs)]
// Test helpers: a failed expect is the test failing, with its message.
#![allow(clippy::expect_used)]

mod support;

use std::path::Path;
use std::process::Command;

use serde_json::{Value, json};
use support::start_local;

fn repo(path: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(path).display().to_string()
}

fn post(url: &str, api_key: &str, query: &str) -> Value {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    rt.block_on(async {
        let resp = reqwest::Client::new()
            .post(url)
            .header("x-api-key", api_key)
            .json(&json!({ "query": query }))
            .send()
            .await
            .expect("send");
        resp.json().await.expect("json")
    })
}

/// The fixture's Lambda function, served over the Runtime Interface Emulator's API: it echoes
/// its event (the JS resolver's payload), answers a direct resolver's event from its
/// arguments, and throws for `boom`.
fn echo_function() -> appsync_testkit::Peer {
    appsync_testkit::lambda_rie(|event| {
        if event["message"] == "boom" {
            return Err(("Error".to_owned(), "boom!".to_owned()));
        }
        if event["arguments"].is_object() {
            return Ok(json!(format!(
                "direct {} for {}",
                event["arguments"]["input"].as_str().unwrap_or(""),
                event["info"]["fieldName"].as_str().unwrap_or("")
            )));
        }
        Ok(event)
    })
}

/// The fixture's HTTP data source's server: user 1 exists; it answers the SigV4 scope it was
/// signed for.
fn users_server() -> appsync_testkit::Peer {
    appsync_testkit::http_peer(|request| {
        let authorization = request.header("authorization").unwrap_or_default();
        if !authorization.starts_with("AWS4-HMAC-SHA256 Credential=AKIDAPPSYNCLOCALDEMO/")
            || !authorization.contains("/us-east-1/execute-api/aws4_request")
        {
            return (403, Vec::new(), b"unsigned".to_vec());
        }
        match request.uri.as_str() {
            "/users/1" => (200, Vec::new(), br#"{"id":"1","name":"Ann"}"#.to_vec()),
            _ => (404, Vec::new(), b"no such user".to_vec()),
        }
    })
}

#[test]
fn serves_the_cdk_out_api_and_says_what_it_found() {
    let lambda = echo_function();
    let users = users_server();
    let local = start_local(&[
        "--cdk-out",
        &repo("fixtures/cdk-app/cdk.out"),
        "--lambda",
        &format!("Echo={}", lambda.url),
        "--http",
        &format!("Users={}", users.url),
    ]);
    let banner = local.banner.join("\n");
    for needle in [
        "API fixture-api (ApiF70053CD)",
        "13 resolvers (1 pipeline), 2 functions, 4 data sources (AWS_LAMBDA Echo, NONE None, AMAZON_DYNAMODB PostsTable, HTTP Users), 1 DynamoDB table",
        "environment variables: GREETING",
        &format!("Lambda Echo: {}", lambda.url),
        &format!("HTTP Users: {} (SigV4-signed for execute-api in us-east-1)", users.url),
        "default auth api-key, accepted modes: api-key, iam",
        "API key:               da2-appsynclocaldemokey0000",
    ] {
        assert!(banner.contains(needle), "missing {needle:?} in:\n{banner}");
    }
    assert!(!banner.contains("Cognito"), "the project has no Cognito mode:\n{banner}");
    let key = "da2-appsynclocaldemokey0000";
    let ask = |query: &str| post(&local.url, key, query);

    assert_eq!(ask("{ hello(name: \"ann\") }"), json!({"data": {"hello": "hello ann"}}));
    assert_eq!(ask("{ greeting(name: \"bob\") }"), json!({"data": {"greeting": "Hello, BOB!"}}));
    // Lambda: a JS resolver, a direct resolver, and a function that throws.
    assert_eq!(ask("{ echo(message: \"hi\") }"), json!({"data": {"echo": "hi"}}));
    assert_eq!(ask("{ direct(input: \"x\") }"), json!({"data": {"direct": "direct x for direct"}}));
    let body = ask("{ echo(message: \"boom\") }");
    assert_eq!(body["data"], json!({"echo": null}));
    assert_eq!(body["errors"][0]["errorType"], "Lambda:Unhandled");
    assert_eq!(body["errors"][0]["message"], "boom!");
    // HTTP, signed: the body of a 200; the resolver's own error for a 404.
    assert_eq!(ask("{ user(id: \"1\") }"), json!({"data": {"user": "{\"id\":\"1\",\"name\":\"Ann\"}"}}));
    let body = ask("{ user(id: \"2\") }");
    assert_eq!(
        (&body["errors"][0]["message"], &body["errors"][0]["errorType"]),
        (&json!("HTTP 404"), &json!("HttpError"))
    );
    let seen = users.received();
    assert_eq!(seen.len(), 2, "{seen:?}");
    assert_eq!((seen[0].method.as_str(), seen[0].header("accept")), ("GET", Some("application/json")));
    // DynamoDB on the embedded table: a stored post, read back and found through the GSI.
    let body = ask("mutation { createPost(author: \"cat\", title: \"stored\") { id } }");
    let id = body["data"]["createPost"]["id"].as_str().unwrap_or_else(|| panic!("{body}")).to_owned();
    assert_eq!(
        ask(&format!("{{ getPost(id: \"{id}\") {{ title }} }}")),
        json!({"data": {"getPost": {"title": "stored"}}})
    );
    assert_eq!(
        ask("{ postsByAuthor(author: \"cat\") { id } }"),
        json!({"data": {"postsByAuthor": [{"id": id}]}})
    );
    assert_eq!(ask("{ getPost(id: \"none\") { id } }"), json!({"data": {"getPost": null}}));

    // A mutation over NONE, and a subscription filtered on its author over the WebSocket.
    let rt =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    rt.block_on(async {
        use futures_util::StreamExt as _;
        let client = appsync::Client::builder()
            .endpoint(&local.url)
            .auth(appsync::Auth::api_key(key))
            .build()
            .expect("client");
        let mut anns = client
            .subscribe::<Value>(
                "subscription($a: String) { onCreatePost(author: $a) { id author title } }",
                json!({"a": "ann"}),
            )
            .await
            .expect("subscribe");
        let publish = "mutation($a: String!, $t: String!) { publishPost(author: $a, title: $t) { id author title createdAt } }";
        for (author, title) in [("bob", "not for ann"), ("ann", "for ann")] {
            let data: Value = client
                .data(appsync::Request::new(publish).variables(json!({"a": author, "t": title})))
                .await
                .expect("publishPost");
            assert_eq!(data["publishPost"]["author"], author);
            assert!(data["publishPost"]["createdAt"].as_str().is_some_and(|t| t.ends_with('Z')), "{data}");
        }
        let event = tokio::time::timeout(std::time::Duration::from_secs(10), anns.next())
            .await
            .expect("an event")
            .expect("open")
            .expect("event");
        assert_eq!(event["onCreatePost"]["author"], "ann", "bob's post is filtered out: {event}");
        assert_eq!(event["onCreatePost"]["title"], "for ann");
        client.close().await;
    });
}

#[test]
fn serves_the_yaml_template_with_a_command_as_the_function() {
    let dir = appsync_testkit::scratch_dir("local-project-cmd");
    let script = dir.join("echo.sh");
    // The event on stdin; a failure is a non-zero exit with the message on stderr.
    std::fs::write(&script, "event=$(cat)\ncase \"$event\" in *boom*) echo 'it went boom' >&2; exit 1;; esac\nprintf '%s' \"$event\"\n")
        .expect("script");
    let local = start_local(&[
        "--template",
        &repo("fixtures/cdk-app/template.yaml"),
        "--lambda",
        &format!("Echo=cmd:sh {}", script.display()),
    ]);
    assert!(local.banner[0].contains("API fixture-api-dev (Api)"), "{:?}", local.banner);
    let key = "da2-appsynclocaldemokey0000";
    assert_eq!(post(&local.url, key, "{ __typename }"), json!({"data": {"__typename": "Query"}}));
    assert_eq!(post(&local.url, key, "{ hello }"), json!({"data": {"hello": "hello world"}}));
    assert_eq!(
        post(&local.url, key, "{ greeting(name: \"x\") }"),
        json!({"data": {"greeting": "Hello, X!"}})
    );
    assert_eq!(post(&local.url, key, "{ echo(message: \"hi\") }"), json!({"data": {"echo": "hi"}}));
    let body = post(&local.url, key, "{ echo(message: \"boom\") }");
    assert_eq!(body["errors"][0]["errorType"], "Lambda:Unhandled");
    assert_eq!(body["errors"][0]["message"], "it went boom");
    // users.example.com is not reached from here: the data source's own failure, in words.
    let body = post(&local.url, key, "{ user(id: \"1\") }");
    assert_eq!(body["data"], json!({"user": null}));
}

#[test]
fn lambda_and_http_flags_name_the_projects_data_sources() {
    for (flag, value, expected) in [
        (
            "--lambda",
            "Nope=cmd:cat",
            "no AWS_LAMBDA data source named \"Nope\" (its AWS_LAMBDA data sources: Echo)",
        ),
        ("--lambda", "Users=cmd:cat", "no AWS_LAMBDA data source named \"Users\""),
        ("--lambda", "Echo=ftp://x", "expected an http:// or https:// URL"),
        (
            "--http",
            "Echo=http://127.0.0.1:1",
            "no HTTP data source named \"Echo\" (its HTTP data sources: Users)",
        ),
        ("--http", "Users", "expected NAME=URL"),
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_appsync"))
            .args([
                "local",
                "--listen",
                "127.0.0.1:0",
                "--cdk-out",
                &repo("fixtures/cdk-app/cdk.out"),
                flag,
                value,
            ])
            .output()
            .expect("run");
        assert_eq!(out.status.code(), Some(2), "{flag} {value}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(expected), "{flag} {value}: {stderr}");
    }
}

#[test]
fn refuses_code_aws_would_refuse() {
    let dir = std::env::temp_dir().join(format!("appsync-local-refuse-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let template = dir.join("template.yaml");
    std::fs::write(
        &template,
        "Resources:\n  Api:\n    Type: AWS::AppSync::GraphQLApi\n    Properties:\n      Name: a\n      AuthenticationType: API_KEY\n  Schema:\n    Type: AWS::AppSync::GraphQLSchema\n    Properties:\n      ApiId: !GetAtt Api.ApiId\n      Definition: 'type Query { a: String }'\n  D:\n    Type: AWS::AppSync::DataSource\n    Properties:\n      ApiId: !GetAtt Api.ApiId\n      Name: d\n      Type: NONE\n  R:\n    Type: AWS::AppSync::Resolver\n    Properties:\n      ApiId: !GetAtt Api.ApiId\n      TypeName: Query\n      FieldName: a\n      DataSourceName: d\n      Runtime: { Name: APPSYNC_JS, RuntimeVersion: 1.0.0 }\n      Code: |\n        export function request(ctx) {\n          try { return { payload: 1 }; } catch (e) { return {}; }\n        }\n        export function response(ctx) { return ctx.result; }\n",
    )
    .expect("write");
    let out = Command::new(env!("CARGO_BIN_EXE_appsync"))
        .args(["local", "--listen", "127.0.0.1:0", "--template"])
        .arg(&template)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("(R):2:3: no-try: "), "{stderr}");
    assert!(stderr.contains("[resolver Query.a]"), "{stderr}");
    assert!(stderr.contains("AWS would refuse it at deploy time"), "{stderr}");
}

#[test]
fn dynamodb_endpoint_sends_the_projects_tables_to_a_dynamodb_server() {
    let moto = appsync_testkit::Moto::start(Path::new(env!("CARGO_TARGET_TMPDIR")));
    let local = start_local(&[
        "--cdk-out",
        &repo("fixtures/cdk-app/cdk.out"),
        "--dynamodb-endpoint",
        &moto.url(),
        "--dynamodb-table",
        "Posts868B3EAD=posts-at-moto",
    ]);
    let banner = local.banner.join("\n");
    for needle in [
        format!("DynamoDB PostsTable: table posts-at-moto at {}", moto.url()),
        format!("DynamoDB table posts-at-moto at {}/: created (it was absent)", moto.url()),
    ] {
        assert!(banner.contains(&needle), "missing {needle:?} in:\n{banner}");
    }
    let key = "da2-appsynclocaldemokey0000";
    let ask = |query: &str| post(&local.url, key, query);
    let body = ask("mutation { createPost(author: \"cat\", title: \"at moto\") { id } }");
    let id = body["data"]["createPost"]["id"].as_str().unwrap_or_else(|| panic!("{body}")).to_owned();
    assert_eq!(
        ask(&format!("{{ getPost(id: \"{id}\") {{ title }} }}")),
        json!({"data": {"getPost": {"title": "at moto"}}})
    );
    assert_eq!(
        ask("{ postsByAuthor(author: \"cat\") { id } }"),
        json!({"data": {"postsByAuthor": [{"id": id}]}})
    );
    // A transaction names its table by the template's name (POSTS_TABLE): it reaches the
    // endpoint's table all the same.
    assert_eq!(
        ask(
            "mutation { createPostPair(author: \"cat\", title: \"pair\", firstId: \"m1\", secondId: \"m2\") { id } }"
        ),
        json!({"data": {"createPostPair": [{"id": "m1"}, {"id": "m2"}]}})
    );
    assert_eq!(
        ask("{ getPost(id: \"m2\") { title version } }"),
        json!({"data": {"getPost": {"title": "pair", "version": 1}}})
    );
}

#[test]
fn dynamodb_flags_name_the_projects_data_sources_and_tables() {
    for (args, expected) in [
        (
            &["--dynamodb-endpoint", "Nope=http://127.0.0.1:1"][..],
            // The GraphQL API's, then the Event API's.
            "no AMAZON_DYNAMODB data source named \"Nope\" (its AMAZON_DYNAMODB data sources: PostsTable, EventPosts)",
        ),
        (&["--dynamodb-endpoint", "localhost:8000"], "\"localhost:8000\" is not an http:// or https:// URL"),
        (
            &["--dynamodb-endpoint", "http://127.0.0.1:1", "--dynamodb-endpoint", "http://127.0.0.1:2"],
            "a second URL for all DynamoDB data sources",
        ),
        (
            &["--dynamodb-endpoint", "http://127.0.0.1:1", "--dynamodb-table", "Nope=x"],
            "--dynamodb-table Nope=x: the project has no DynamoDB table named \"Nope\"",
        ),
        (
            &["--dynamodb-endpoint", "http://127.0.0.1:1", "--dynamodb-table", "Posts"],
            "expected TABLE=ENDPOINT_TABLE",
        ),
        (&["--dynamodb-table", "PostsTable=x"], "--dynamodb-table PostsTable=x: needs --dynamodb-endpoint"),
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_appsync"))
            .args(["local", "--listen", "127.0.0.1:0", "--cdk-out", &repo("fixtures/cdk-app/cdk.out")])
            .args(args)
            .output()
            .expect("run");
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
    }
}

/// The fixture's DynamoDB resolvers beyond get/put, on the embedded table, the same from the
/// synthesized cdk.out and from the hand-written template: a page of the GSI at a time, an update
/// refused by its condition, and a transaction that writes both posts or neither.
#[test]
fn pages_conditional_updates_and_transactions_on_the_projects_table() {
    for project in
        [["--cdk-out", "fixtures/cdk-app/cdk.out"], ["--template", "fixtures/cdk-app/template.yaml"]]
    {
        let local = start_local(&[project[0], &repo(project[1])]);
        let ask = |query: &str| post(&local.url, "da2-appsynclocaldemokey0000", query);

        // Three posts by one author, read two at a time: a full page with a nextToken, then the
        // rest without one.
        let mut stored = Vec::new();
        for title in ["one", "two", "three"] {
            let body =
                ask(&format!("mutation {{ createPost(author: \"pager\", title: \"{title}\") {{ id }} }}"));
            stored.push(
                body["data"]["createPost"]["id"].as_str().unwrap_or_else(|| panic!("{body}")).to_owned(),
            );
        }
        let first = ask("{ postsPage(author: \"pager\", limit: 2) { items { id } nextToken } }");
        let page = &first["data"]["postsPage"];
        assert_eq!(page["items"].as_array().map(Vec::len), Some(2), "{project:?}: {first}");
        let token = page["nextToken"].as_str().unwrap_or_else(|| panic!("{project:?}: a nextToken: {first}"));
        let second = ask(&format!(
            "{{ postsPage(author: \"pager\", limit: 2, nextToken: \"{token}\") {{ items {{ id }} nextToken }} }}"
        ));
        let rest = &second["data"]["postsPage"];
        assert_eq!(rest["items"].as_array().map(Vec::len), Some(1), "{project:?}: {second}");
        assert_eq!(rest["nextToken"], Value::Null, "{project:?}: the last page has no nextToken: {second}");
        let mut seen: Vec<String> = page["items"]
            .as_array()
            .into_iter()
            .chain(rest["items"].as_array())
            .flatten()
            .map(|item| item["id"].as_str().expect("an id").to_owned())
            .collect();
        seen.sort();
        stored.sort();
        assert_eq!(seen, stored, "{project:?}: every post once across the pages");

        // A transaction of two new posts writes both.
        let body = ask(
            "mutation { createPostPair(author: \"locker\", title: \"v1\", firstId: \"p1\", secondId: \"p2\") { id version } }",
        );
        assert_eq!(
            body,
            json!({"data": {"createPostPair": [{"id": "p1", "version": 1}, {"id": "p2", "version": 1}]}}),
            "{project:?}"
        );
        for id in ["p1", "p2"] {
            assert_eq!(
                ask(&format!("{{ getPost(id: \"{id}\") {{ author title version }} }}")),
                json!({"data": {"getPost": {"author": "locker", "title": "v1", "version": 1}}}),
                "{project:?}: {id} is stored"
            );
        }

        // The update conditioned on the version: it passes once, then the stale version fails
        // with DynamoDB's error type, the stored item handed back and left as it was.
        let update = |expected: u32, title: &str| {
            ask(&format!(
                "mutation {{ updatePostIfVersion(id: \"p1\", expectedVersion: {expected}, title: \"{title}\") {{ title version }} }}"
            ))
        };
        assert_eq!(
            update(1, "v2"),
            json!({"data": {"updatePostIfVersion": {"title": "v2", "version": 2}}}),
            "{project:?}"
        );
        let body = update(1, "stale");
        assert_eq!(body["data"], json!({"updatePostIfVersion": null}), "{project:?}: {body}");
        let error = &body["errors"][0];
        assert_eq!(error["errorType"], "DynamoDB:ConditionalCheckFailedException", "{project:?}: {body}");
        assert_eq!(error["path"], json!(["updatePostIfVersion"]), "{project:?}: {body}");
        assert_eq!(
            (&error["data"]["title"], &error["data"]["version"]),
            (&json!("v2"), &json!(2)),
            "{project:?}: the item that won: {body}"
        );
        assert_eq!(
            ask("{ getPost(id: \"p1\") { title version } }"),
            json!({"data": {"getPost": {"title": "v2", "version": 2}}}),
            "{project:?}: the failed update changed nothing"
        );

        // A transaction whose second post exists is cancelled: neither post is written, and the
        // reasons say which item failed.
        let body = ask(
            "mutation { createPostPair(author: \"locker\", title: \"again\", firstId: \"p3\", secondId: \"p1\") { id } }",
        );
        assert_eq!(body["data"], json!({"createPostPair": null}), "{project:?}: {body}");
        let error = &body["errors"][0];
        assert_eq!(error["errorType"], "DynamoDB:TransactionCanceledException", "{project:?}: {body}");
        let reasons = &error["errorInfo"]["cancellationReasons"];
        assert_eq!(
            (&reasons[0]["type"], &reasons[1]["type"]),
            (&json!("None"), &json!("ConditionalCheckFailed")),
            "{project:?}: {body}"
        );
        assert_eq!(
            ask("{ getPost(id: \"p3\") { id } }"),
            json!({"data": {"getPost": null}}),
            "{project:?}: the cancelled transaction wrote nothing"
        );
        assert_eq!(
            ask("{ getPost(id: \"p1\") { title version } }"),
            json!({"data": {"getPost": {"title": "v2", "version": 2}}}),
            "{project:?}: nor overwrote the existing post"
        );
    }
}
