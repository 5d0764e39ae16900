//! Fields served by APPSYNC_JS resolvers over the NONE data source, over real HTTP.
#![allow(missing_docs)]
// Test helpers: a failed expect is the test failing, with its message.
#![allow(clippy::expect_used)]

mod support;

use std::time::Duration;

use appsync_js::{Engine, Function, Resolver};
use serde_json::json;

const SDL: &str = "
type Post @aws_api_key @aws_iam { id: ID! title: String author: String }
type Item @aws_api_key @aws_iam { name: String note: String }
type Query @aws_api_key @aws_iam { whoami: String hang: String broken: String refused: String post(x: String): Post header: String items: [Item] }
type Mutation @aws_api_key @aws_iam { createPost(title: String!): Post }
schema { query: Query mutation: Mutation }
";

fn builder() -> appsync_local::EmulatorBuilder {
    let engine =
        Engine::builder().workers(2).timeout(Duration::from_millis(300)).build().expect("the engine starts");
    support::demo_builder()
        .schema_sdl(SDL)
        .js_engine(engine)
        .js_resolver(
            "Mutation.createPost",
            Resolver::pipeline(
                "export function request(ctx) { ctx.stash.author = util.authType(); return {}; }\n\
                 export function response(ctx) { return ctx.prev.result; }",
                vec![
                    Function::new(
                        "makeId",
                        "import { util } from '@aws-appsync/utils';\n\
                         export function request(ctx) { return { payload: { id: 'post-' + ctx.args.title.length } }; }\n\
                         export function response(ctx) { return ctx.result; }",
                        "NONE",
                    ),
                    Function::new(
                        "save",
                        "export function request(ctx) { return { payload: { ...ctx.prev.result, title: ctx.args.title, author: ctx.stash.author } }; }\n\
                         export function response(ctx) { return ctx.result; }",
                        "NONE",
                    ),
                ],
            ),
        )
        .js_resolver(
            "Query.whoami",
            Resolver::unit(
                "export function request(ctx) { return { payload: ctx.info.parentTypeName + '.' + ctx.info.fieldName + ' by ' + util.authType() }; }\n\
                 export function response(ctx) { return ctx.result; }",
                "NONE",
            ),
        )
        .js_resolver(
            "Query.post",
            Resolver::unit(
                "export function request(ctx) { return { payload: { id: JSON.stringify(ctx.info.selectionSetList), \
                 title: JSON.stringify(ctx.info.variables), author: ctx.info.selectionSetGraphQL } }; }\n\
                 export function response(ctx) { return ctx.result; }",
                "NONE",
            ),
        )
        .js_resolver(
            "Query.header",
            Resolver::unit(
                "export function request(ctx) { return { payload: ctx.request.headers['x-custom'] + ' ' + typeof ctx.request.headers['x-api-key'] }; }\n\
                 export function response(ctx) { return ctx.result; }",
                "NONE",
            ),
        )
        .js_resolver(
            "Query.items",
            Resolver::unit(
                "export function request(ctx) { return { payload: [{ name: 'a' }, { name: 'b' }] }; }\n\
                 export function response(ctx) { return ctx.result; }",
                "NONE",
            ),
        )
        .js_resolver(
            "Item.note",
            Resolver::unit(
                "export function request(ctx) { util.appendError('no note for ' + ctx.source.name, 'Partial', null, { name: ctx.source.name }); \
                 return { payload: 'note ' + ctx.source.name }; }\n\
                 export function response(ctx) { return ctx.result; }",
                "NONE",
            ),
        )
        .js_resolver(
            "Query.hang",
            Resolver::unit("export function request(ctx) { for (;;) {} }\nexport function response(ctx) {}", "NONE"),
        )
        .js_resolver(
            "Query.broken",
            Resolver::unit(
                "export function request(ctx) {\n  return ctx.args.nothing.here;\n}\nexport function response(ctx) {}",
                "NONE",
            ),
        )
        .js_resolver(
            "Query.refused",
            Resolver::unit(
                "export function request(ctx) { util.error('not today', 'Refused', null, { retry: false }); }\nexport function response(ctx) {}",
                "NONE",
            ),
        )
}

#[tokio::test]
async fn a_pipeline_over_none_serves_a_mutation() {
    let server = support::start(builder()).await;
    let reply =
        server.api_key("mutation { createPost(title: \"hello\") { id title author } }", json!({})).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(
        reply.json(),
        json!({ "data": { "createPost": { "id": "post-5", "title": "hello", "author": "API Key Authorization" } } })
    );
    let reply = server.iam("{ whoami }", json!({})).await;
    assert_eq!(reply.json(), json!({ "data": { "whoami": "Query.whoami by IAM Authorization" } }));
}

#[tokio::test]
async fn errors_reach_the_response_in_appsyncs_shape_and_the_server_goes_on() {
    let server = support::start(builder()).await;
    let reply = server.api_key("{ refused }", json!({})).await;
    let body = reply.json();
    assert_eq!(body["data"], json!({ "refused": null }));
    assert_eq!(body["errors"][0]["message"], "not today");
    assert_eq!(body["errors"][0]["errorType"], "Refused");
    assert_eq!(body["errors"][0]["errorInfo"], json!({ "retry": false }));
    assert_eq!(body["errors"][0]["path"], json!(["refused"]));

    let body = server.api_key("{ broken }", json!({})).await.json();
    assert_eq!(body["errors"][0]["errorType"], "Code");
    let message = body["errors"][0]["message"].as_str().unwrap_or_default();
    assert!(message.starts_with("code.js:2:") && message.contains("TypeError"), "{message}");

    let body = server.api_key("{ hang }", json!({})).await.json();
    assert_eq!(body["errors"][0]["errorType"], "Code");
    assert!(body["errors"][0]["message"].as_str().unwrap_or_default().contains("timed out"), "{body}");

    // Still serving.
    let body = server.api_key("{ whoami }", json!({})).await.json();
    assert_eq!(body, json!({ "data": { "whoami": "Query.whoami by API Key Authorization" } }));
}

#[tokio::test]
async fn info_carries_the_variables_and_the_selection_set() {
    let server = support::start(builder()).await;
    let body = server
        .api_key(
            "query Q($x: String) { post(x: $x) { id title writer: author ... on Post { id } } }",
            json!({ "x": "1" }),
        )
        .await
        .json();
    let post = &body["data"]["post"];
    assert_eq!(post["id"], r#"["id","title","writer"]"#, "{body}");
    assert_eq!(post["title"], r#"{"x":"1"}"#);
    let graphql = post["writer"].as_str().unwrap_or_default();
    assert!(
        graphql.starts_with('{') && graphql.contains("writer: author") && graphql.contains("... on Post"),
        "{graphql}"
    );
}

#[tokio::test]
async fn ctx_request_has_the_http_headers() {
    let server = support::start(builder()).await;
    let reply = server
        .raw(
            &[
                ("x-api-key", support::API_KEY.to_owned()),
                ("content-type", "application/json".to_owned()),
                ("X-Custom", "hello".to_owned()),
            ],
            support::body("{ header }", json!({})),
        )
        .await;
    assert_eq!(reply.json(), json!({ "data": { "header": "hello string" } }));
}

#[tokio::test]
async fn appended_errors_go_beside_the_data_with_their_paths() {
    let server = support::start(builder()).await;
    let body = server.api_key("{ items { name n: note } }", json!({})).await.json();
    assert_eq!(
        body["data"],
        json!({ "items": [{ "name": "a", "n": "note a" }, { "name": "b", "n": "note b" }] })
    );
    let mut errors = body["errors"].as_array().cloned().unwrap_or_default();
    errors.sort_by_key(|e| e["message"].as_str().unwrap_or_default().to_owned());
    assert_eq!(errors.len(), 2, "{body}");
    assert_eq!(errors[0]["message"], "no note for a");
    assert_eq!(errors[0]["errorType"], "Partial");
    assert_eq!(errors[0]["errorInfo"], json!({ "name": "a" }));
    assert_eq!(errors[0]["path"], json!(["items", 0, "n"]));
    assert_eq!(errors[0]["locations"], json!([{ "line": 1, "column": 16, "sourceName": null }]));
    assert_eq!(errors[1]["path"], json!(["items", 1, "n"]));
}

#[test]
fn a_js_resolver_for_a_missing_field_is_refused() {
    let error = support::demo_builder()
        .schema_sdl(SDL)
        .js_resolver("Query.nope", Resolver::unit("export function request(ctx) {}", "NONE"))
        .build()
        .expect_err("no such field");
    assert_eq!(error.field(), Some("js_resolver"));
}

#[tokio::test]
async fn an_iam_callers_identity_is_what_appsync_gives_an_iam_user() {
    let server = support::start(support::demo_builder().schema_sdl(SDL).js_resolver(
        "Query.whoami",
        Resolver::unit(
            "export function request(ctx) { return { payload: ctx.identity }; }\n\
             export function response(ctx) { return JSON.stringify(ctx.result); }",
            "NONE",
        ),
    ))
    .await;
    let body = server.iam("{ whoami }", json!({})).await.json();
    let identity: serde_json::Value =
        serde_json::from_str(body["data"]["whoami"].as_str().expect("a string")).expect("json");
    assert_eq!(
        identity,
        json!({
            "accountId": appsync_local::project::LOCAL_ACCOUNT_ID,
            "cognitoIdentityPoolId": null,
            "cognitoIdentityId": null,
            // The connection's address (AppSync developer guide, resolver context reference).
            "sourceIp": ["127.0.0.1"],
            "username": support::AKID,
            "userArn": format!("arn:aws:iam::{}:user/{}", appsync_local::project::LOCAL_ACCOUNT_ID, support::AKID),
            "cognitoIdentityAuthType": null,
            "cognitoIdentityAuthProvider": null,
        })
    );
    let body = server.api_key("{ whoami }", json!({})).await.json();
    assert_eq!(body, json!({ "data": { "whoami": "null" } }));
}

#[tokio::test]
async fn source_ip_lists_x_forwarded_for_then_the_connection() {
    // AppSync developer guide, resolver context reference ("Identity", `sourceIp`): the
    // addresses of the `x-forwarded-for` header, in addition to the TCP connection's.
    let server = support::start(support::demo_builder().schema_sdl(SDL).js_resolver(
        "Query.whoami",
        Resolver::unit(
            "export function request(ctx) { return { payload: JSON.stringify(ctx.identity.sourceIp) }; }\n\
             export function response(ctx) { return ctx.result; }",
            "NONE",
        ),
    ))
    .await;
    let body = support::body("{ whoami }", json!({}));
    let mut headers =
        support::sign_ours(&server.host, &body, support::AKID, support::SECRET, None, support::REGION);
    headers.push(("x-forwarded-for", "203.0.113.7, 198.51.100.2".to_owned()));
    let reply = server.raw(&headers, body).await.json();
    assert_eq!(reply, json!({ "data": { "whoami": r#"["203.0.113.7","198.51.100.2","127.0.0.1"]"# } }));
    let reply = server.iam("{ whoami }", json!({})).await.json();
    assert_eq!(reply, json!({ "data": { "whoami": r#"["127.0.0.1"]"# } }));
}

const JSON_SDL: &str = "
input Box { inner: AWSJSON  label: String }
type Query @aws_api_key { kind(x: AWSJSON, box: Box, xs: [AWSJSON]): String }
";

#[tokio::test]
async fn awsjson_arguments_reach_resolvers_parsed() {
    // AppSync developer guide, "Scalar types" (`AWSJSON`): valid JSON is parsed and handed to the
    // resolver as maps, lists or scalars, not as the text sent; invalid JSON fails validation.
    let server = support::start(support::demo_builder().schema_sdl(JSON_SDL).js_resolver(
        "Query.kind",
        Resolver::unit(
            "export function request(ctx) { return { payload: [typeof ctx.args.x, typeof (ctx.args.box || {}).inner, \
             JSON.stringify(ctx.arguments)].join(' ') }; }\n\
             export function response(ctx) { return ctx.result; }",
            "NONE",
        ),
    ))
    .await;
    let inline =
        server.api_key(r#"{ kind(x: "{\"a\":[1,2]}", box: {inner: "true", label: "{}"}) }"#, json!({})).await;
    assert_eq!(
        inline.json(),
        json!({ "data": { "kind": r#"object boolean {"box":{"inner":true,"label":"{}"},"x":{"a":[1,2]}}"# } }),
        "{}",
        inline.text
    );
    let variables = server
        .api_key(
            "query($x: AWSJSON, $xs: [AWSJSON]) { kind(x: $x, xs: $xs) }",
            json!({ "x": "5", "xs": ["\"s\"", "null"] }),
        )
        .await;
    assert_eq!(
        variables.json(),
        json!({ "data": { "kind": r#"number undefined {"x":5,"xs":["s",null]}"# } })
    );

    // Text that is not JSON is refused before any resolver runs, in graphql-java's words as
    // AppSync gives them for AWSJSON (aws-mobile-appsync-sdk-js #554).
    let literal = server.api_key(r#"{ kind(x: "{a:1}") }"#, json!({})).await.json();
    assert_eq!(literal["data"], serde_json::Value::Null);
    assert_eq!(
        literal["errors"][0]["message"],
        "Validation error of type WrongType: argument 'x' with value 'StringValue{value='{a:1}'}' is not a valid 'AWSJSON' @ 'kind'"
    );
    let variable = server.api_key("query($x: AWSJSON) { kind(x: $x) }", json!({ "x": "{a:1}" })).await.json();
    assert_eq!(variable["data"], serde_json::Value::Null);
    assert_eq!(
        variable["errors"][0]["message"],
        "Variable 'x' has an invalid value. Unable to parse `{a:1}` as a valid JSON."
    );
}
