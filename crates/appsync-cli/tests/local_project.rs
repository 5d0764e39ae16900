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

#[test]
fn serves_the_cdk_out_api_and_says_what_it_found() {
    let local = start_local(&["--cdk-out", &repo("fixtures/cdk-app/cdk.out")]);
    let banner = local.banner.join("\n");
    for needle in [
        "API fixture-api (ApiF70053CD)",
        "9 resolvers (1 pipeline), 2 functions, 4 data sources (AWS_LAMBDA Echo, NONE None, AMAZON_DYNAMODB PostsTable, HTTP Users), 1 DynamoDB table",
        "environment variables: GREETING",
        "AppSyncLocal:NotImplemented",
        "default auth api-key, accepted modes: api-key, iam",
        "API key:               da2-appsynclocaldemokey0000",
    ] {
        assert!(banner.contains(needle), "missing {needle:?} in:\n{banner}");
    }
    assert!(!banner.contains("Cognito"), "the project has no Cognito mode:\n{banner}");
    let body = post(&local.url, "da2-appsynclocaldemokey0000", "{ hello(name: \"ann\") }");
    assert_eq!(body["data"], json!({"hello": null}));
    assert_eq!(body["errors"][0]["errorType"], "AppSyncLocal:NotImplemented");
}

#[test]
fn serves_the_yaml_template() {
    let local = start_local(&["--template", &repo("fixtures/cdk-app/template.yaml")]);
    assert!(local.banner[0].contains("API fixture-api-dev (Api)"), "{:?}", local.banner);
    let body = post(&local.url, "da2-appsynclocaldemokey0000", "{ __typename }");
    assert_eq!(body, json!({"data": {"__typename": "Query"}}));
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
