//! A project's Lambda and HTTP data sources against real peers on loopback: a function behind
//! the Lambda Runtime Interface Emulator's API, a command, an HTTP server that verifies the
//! SigV4 signature; BatchInvoke across a list's items; function failures in AppSync's shape.
#![allow(missing_docs)]
// Helpers outside `#[test]` functions: a failed unwrap is the test failing.
#![allow(clippy::unwrap_used)]

mod support;

use std::collections::HashMap;

use appsync_local::data_sources::LambdaFunction;
use appsync_local::project::{ApiDefinition, ProjectReader};
use appsync_local::{ApiKey, Credentials, Emulator};
use appsync_sigv4::Verifier;
use serde_json::{Value, json};

fn js(code: &str) -> Value {
    json!({ "Runtime": { "Name": "APPSYNC_JS", "RuntimeVersion": "1.0.0" }, "Code": code })
}

/// A project from a CloudFormation template: the API, its schema, and `resources` beside them.
fn project(name: &str, schema: &str, resources: Value) -> ApiDefinition {
    let mut all = json!({
        "Api": { "Type": "AWS::AppSync::GraphQLApi", "Properties": { "Name": name, "AuthenticationType": "API_KEY" } },
        "Schema": {
            "Type": "AWS::AppSync::GraphQLSchema",
            "Properties": { "ApiId": { "Fn::GetAtt": ["Api", "ApiId"] }, "Definition": schema }
        }
    });
    for (id, mut resource) in resources.as_object().unwrap().clone() {
        resource["Properties"]["ApiId"] = json!({ "Fn::GetAtt": ["Api", "ApiId"] });
        all[id] = resource;
    }
    let path = support::scratch_dir(&format!("data-sources-{name}")).join("template.json");
    std::fs::write(&path, json!({ "Resources": all }).to_string()).unwrap();
    ProjectReader::template(&path).read().unwrap()
}

fn data_source(name: &str, kind: &str, config: Value) -> Value {
    let mut properties = json!({ "Name": name, "Type": kind });
    if let Value::Object(config) = config {
        properties.as_object_mut().unwrap().extend(config);
    }
    json!({ "Type": "AWS::AppSync::DataSource", "Properties": properties })
}

fn resolver(type_name: &str, field: &str, data_source: &str, extra: Value) -> Value {
    let mut properties = json!({ "TypeName": type_name, "FieldName": field, "DataSourceName": data_source });
    if let Value::Object(extra) = extra {
        properties.as_object_mut().unwrap().extend(extra);
    }
    json!({ "Type": "AWS::AppSync::Resolver", "Properties": properties })
}

fn lambda_config() -> Value {
    json!({ "LambdaConfig": { "LambdaFunctionArn": "arn:aws:lambda:us-east-1:123456789012:function:fn" } })
}

#[tokio::test]
async fn http_requests_are_sent_as_the_resolver_says_and_signed_when_the_data_source_says_aws_iam() {
    let verifier = Verifier::new(
        HashMap::from([(
            support::AKID.to_owned(),
            Credentials::new(support::AKID, support::SECRET, None, None),
        )]),
        "eu-west-2",
        "execute-api",
    );
    let peer = support::http_peer(move |request| match request.verify(&verifier) {
        Ok(_) => (201, vec![("x-answer".to_owned(), "yes".to_owned())], br#"{"ok":true}"#.to_vec()),
        Err(e) => (403, Vec::new(), e.to_string().into_bytes()),
    });
    let api = project(
        "http",
        "type Query { call(q: String!): AWSJSON plain: Int }",
        json!({
            "Signed": data_source("Signed", "HTTP", json!({ "HttpConfig": {
                "Endpoint": "https://example.invalid",
                "AuthorizationConfig": { "AuthorizationType": "AWS_IAM",
                    "AwsIamConfig": { "SigningRegion": "eu-west-2", "SigningServiceName": "execute-api" } }
            } })),
            "Call": resolver("Query", "call", "Signed", js(
                "export function request(ctx) {\n\
                   return { method: 'POST', resourcePath: '/items', params: {\n\
                     query: { q: ctx.args.q, many: ['a', 'b'] },\n\
                     headers: { 'content-type': 'application/json' },\n\
                     body: JSON.stringify({ hello: ctx.args.q }) } };\n\
                 }\n\
                 export function response(ctx) { return ctx.result; }",
            )),
        }),
    );
    let emulator = Emulator::builder()
        .project(api)
        .api_key(ApiKey::new(support::API_KEY))
        .iam_credentials(Credentials::new(support::AKID, support::SECRET, None, None))
        .http_endpoint("Signed", format!("{}/base", peer.url))
        .build()
        .unwrap();
    let server = support::start_emulator(&emulator).await;
    let body = server.api_key("{ call(q: \"x y\") }", json!({})).await.json();
    // An AWSJSON field is answered as JSON text.
    let text = body["data"]["call"].as_str().expect("the AWSJSON field as text");
    let result: Value = serde_json::from_str(text).expect("JSON text");
    assert_eq!(result["statusCode"], 201, "{result}");
    assert_eq!(result["body"], r#"{"ok":true}"#);
    assert_eq!(result["headers"]["x-answer"], "yes");
    let seen = peer.received();
    assert_eq!(seen.len(), 1);
    assert_eq!((seen[0].method.as_str(), seen[0].uri.as_str()), ("POST", "/base/items?many=a&many=b&q=x+y"));
    assert_eq!(seen[0].json(), json!({ "hello": "x y" }));
    // A root field without a resolver answers null.
    assert_eq!(server.api_key("{ plain }", json!({})).await.json(), json!({"data": {"plain": null}}));

    // An endpoint override for a data source the project lacks is refused by `build`.
    let api = project("http2", "type Query { a: Int }", json!({}));
    let err = Emulator::builder()
        .project(api)
        .api_key(ApiKey::new(support::API_KEY))
        .http_endpoint("Nope", "http://127.0.0.1:1")
        .build()
        .unwrap_err();
    assert_eq!(err.field(), Some("http_endpoint"));
}

#[tokio::test]
async fn batch_invoke_and_direct_lambda_resolvers_batch_a_lists_items() {
    let function = support::lambda_rie(|event| match event {
        Value::Array(events) => Ok(Value::Array(
            events
                .iter()
                .map(|e| match e["source"]["id"].as_str() {
                    // A direct resolver's events are AppSync's context.
                    Some(id) => {
                        json!(format!("direct {id} ({})", e["info"]["parentTypeName"].as_str().unwrap()))
                    }
                    None => json!(format!("upper {}", e["id"].as_str().unwrap())),
                })
                .collect(),
        )),
        Value::Object(e) if e["arguments"]["x"] == "fail" => {
            Err(("Error".to_owned(), "it failed".to_owned()))
        }
        Value::Object(e) => Ok(json!(format!("single {} {}", e["arguments"]["x"], e["identity"]))),
        _ => Err(("Error".to_owned(), "unexpected event".to_owned())),
    });
    let upcase_code = js(
        "export function request(ctx) { return { operation: 'BatchInvoke', payload: { id: ctx.source.id } }; }\n\
         export function response(ctx) { return ctx.result; }",
    );
    let upcase = json!({ "Type": "AWS::AppSync::FunctionConfiguration", "Properties": {
        "Name": "upcase", "DataSourceName": "Fn", "MaxBatchSize": 4,
        "Runtime": upcase_code["Runtime"], "Code": upcase_code["Code"] } });
    let mut piped = js("export function request(ctx) { return {}; }\n\
         export function response(ctx) { return `piped ${ctx.prev.result}`; }");
    piped["TypeName"] = json!("Post");
    piped["FieldName"] = json!("piped");
    piped["Kind"] = json!("PIPELINE");
    piped["PipelineConfig"] = json!({ "Functions": [{ "Fn::GetAtt": ["Upcase", "FunctionId"] }] });
    let piped = json!({ "Type": "AWS::AppSync::Resolver", "Properties": piped });
    let api = project(
        "batch",
        "type Post { id: ID! upper: String direct: String piped: String } type Query { posts: [Post] single(x: String!): String }",
        json!({
            "None": data_source("None", "NONE", json!({})),
            "Fn": data_source("Fn", "AWS_LAMBDA", lambda_config()),
            "Posts": resolver("Query", "posts", "None", js(
                "export function request(ctx) { return { payload: ['1', '2', '3', '4', '5'].map((id) => ({ id })) }; }\n\
                 export function response(ctx) { return ctx.result; }",
            )),
            "Upper": resolver("Post", "upper", "Fn", {
                let mut r = js(
                    "import { util } from '@aws-appsync/utils';\n\
                     export function request(ctx) { return { operation: 'BatchInvoke', payload: { id: ctx.source.id } }; }\n\
                     export function response(ctx) { if (ctx.error) { util.error(ctx.error.message, ctx.error.type); } return ctx.result; }",
                );
                r["MaxBatchSize"] = json!(2);
                r
            }),
            "Direct": resolver("Post", "direct", "Fn", json!({ "MaxBatchSize": 3 })),
            // A pipeline whose function batches: the items go through it in step.
            "Upcase": upcase,
            "Piped": piped,
            "Single": resolver("Query", "single", "Fn", json!({})),
        }),
    );
    let emulator = Emulator::builder()
        .project(api)
        .api_key(ApiKey::new(support::API_KEY))
        .data_source("Fn", LambdaFunction::url(&function.url).unwrap())
        .build()
        .unwrap();
    let server = support::start_emulator(&emulator).await;
    let body = server.api_key("{ posts { id upper direct } }", json!({})).await.json();
    let posts: Vec<Value> = (1..=5)
        .map(|i| json!({ "id": i.to_string(), "upper": format!("upper {i}"), "direct": format!("direct {i} (Post)") }))
        .collect();
    assert_eq!(body, json!({ "data": { "posts": posts } }));
    let sizes: Vec<usize> =
        function.received().iter().map(|r| r.json().as_array().map_or(0, Vec::len)).collect();
    assert_eq!(sizes, [2, 2, 1, 3, 2], "BatchInvoke in twos, the direct resolver in threes");

    // Without MaxBatchSize a direct resolver invokes once per field, with AppSync's context.
    let body = server.api_key("{ single(x: \"1\") }", json!({})).await.json();
    assert_eq!(body, json!({ "data": { "single": "single \"1\" null" } }));
    let body = server.api_key("{ single(x: \"fail\") }", json!({})).await.json();
    assert_eq!(body["data"], json!({ "single": null }));
    assert_eq!(
        (&body["errors"][0]["errorType"], &body["errors"][0]["message"]),
        (&json!("Lambda:Unhandled"), &json!("it failed"))
    );
}

#[tokio::test]
async fn function_failures_and_missing_functions_are_clear_errors() {
    let api = project(
        "failures",
        "type Query { call(x: String): String }",
        json!({
            "Fn": data_source("Fn", "AWS_LAMBDA", lambda_config()),
            "Call": resolver("Query", "call", "Fn", js(
                "import { util } from '@aws-appsync/utils';\n\
                 export function request(ctx) { return { operation: 'Invoke', payload: ctx.args }; }\n\
                 export function response(ctx) { if (ctx.error) { util.error(ctx.error.message, ctx.error.type); } return ctx.result; }",
            )),
        }),
    );
    let cases: Vec<(Option<LambdaFunction>, &str, &str)> = vec![
        (None, "AppSyncLocal:NotConfigured", "--lambda Fn="),
        (Some(LambdaFunction::command("printf '\"%s\"' ok")), "", ""),
        (Some(LambdaFunction::command("echo not json")), "Lambda:Unhandled", "answer is not JSON: not json"),
        (
            Some(LambdaFunction::command("echo first >&2; echo 'the last line' >&2; exit 4")),
            "Lambda:Unhandled",
            "the last line",
        ),
        (
            Some(LambdaFunction::command(r#"echo '{"errorMessage":"thrown","errorType":"TypeError"}'"#)),
            "Lambda:Unhandled",
            "thrown",
        ),
        (
            Some(LambdaFunction::url("http://127.0.0.1:1").unwrap()),
            "AppSyncLocal:DataSourceUnreachable",
            "could not be reached",
        ),
    ];
    for (function, error_type, message) in cases {
        let mut builder = Emulator::builder().project(api.clone()).api_key(ApiKey::new(support::API_KEY));
        if let Some(function) = function {
            builder = builder.data_source("Fn", function);
        }
        let server = support::start_emulator(&builder.build().unwrap()).await;
        let body = server.api_key("{ call(x: \"1\") }", json!({})).await.json();
        if error_type.is_empty() {
            assert_eq!(body, json!({ "data": { "call": "ok" } }));
            continue;
        }
        assert_eq!(body["errors"][0]["errorType"], error_type, "{body}");
        assert!(body["errors"][0]["message"].as_str().unwrap().contains(message), "{message}: {body}");
    }
    // `invocationType: 'Event'`: the resolver answers null at once; the function still runs.
    let function = support::lambda_rie(Ok);
    let api = project(
        "event",
        "type Query { fire(x: String): String }",
        json!({
            "Fn": data_source("Fn", "AWS_LAMBDA", lambda_config()),
            "Fire": resolver("Query", "fire", "Fn", js(
                "export function request(ctx) { return { operation: 'Invoke', invocationType: 'Event', payload: ctx.args }; }\n\
                 export function response(ctx) { return ctx.result; }",
            )),
        }),
    );
    let emulator = Emulator::builder()
        .project(api)
        .api_key(ApiKey::new(support::API_KEY))
        .data_source("Fn", LambdaFunction::url(&function.url).unwrap())
        .build()
        .unwrap();
    let server = support::start_emulator(&emulator).await;
    let body = server.api_key("{ fire(x: \"1\") }", json!({})).await.json();
    assert_eq!(body, json!({ "data": { "fire": null } }));
    support::wait_until(
        "the Event invocation reaches the function",
        std::time::Duration::from_secs(10),
        || function.received().iter().any(|r| r.json() == json!({ "x": "1" })),
    )
    .await;

    assert!(LambdaFunction::parse("cmd:").is_err());
    assert_eq!(LambdaFunction::parse("ftp://x").unwrap_err().field(), Some("lambda"));
}
