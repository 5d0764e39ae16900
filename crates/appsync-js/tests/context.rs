//! `ctx` as the handlers see it (guide: "AWS AppSync JavaScript resolver context object
//! reference").
#![allow(missing_docs)]

mod support;

use std::collections::BTreeMap;

use appsync_js::{
    CognitoIdentity, Context, ContextError, Handler, IamIdentity, Identity, Info, LambdaIdentity,
    OidcIdentity, Prev, Request,
};
use serde_json::{Map, json};
use support::{engine, evaluate};

fn object(value: serde_json::Value) -> Map<String, serde_json::Value> {
    value.as_object().cloned().unwrap_or_default()
}

#[test]
fn arguments_args_source_info_request_env() {
    let engine = engine();
    let ctx = Context::new()
        .arguments(object(json!({ "id": "1", "filter": { "line": "test" } })))
        .source(json!({ "postId": "p1" }))
        .request(
            Request::new(BTreeMap::from([("x-trace".to_owned(), "abc".to_owned())]))
                .domain_name("api.example.com"),
        )
        .info(
            Info::new("Post", "author")
                .variables(object(json!({ "id": "1" })))
                .selection_set(vec!["id".into(), "name".into()], "{\n  id\n  name\n}"),
        )
        .env(BTreeMap::from([("STAGE".to_owned(), "dev".to_owned())]));
    let seen = evaluate(
        &engine,
        "{ same: ctx.args === ctx.arguments, id: ctx.args.id, line: ctx.arguments.filter.line, \
           source: ctx.source, headers: ctx.request.headers, domain: ctx.request.domainName, info: ctx.info, \
           env: ctx.env, identity: ctx.identity, hasResult: 'result' in ctx, hasError: 'error' in ctx }",
        &ctx,
    )
    .result;
    assert_eq!(
        seen,
        json!({
            "same": true, "id": "1", "line": "test", "source": { "postId": "p1" },
            "headers": { "x-trace": "abc" }, "domain": "api.example.com",
            "info": {
                "fieldName": "author", "parentTypeName": "Post", "variables": { "id": "1" },
                "selectionSetList": ["id", "name"], "selectionSetGraphQL": "{\n  id\n  name\n}",
            },
            "env": { "STAGE": "dev" }, "identity": null, "hasResult": false, "hasError": false,
        })
    );
}

#[test]
fn header_values_stay_out_of_debug() {
    let request = Request::new(BTreeMap::from([("authorization".to_owned(), "secret-token".to_owned())]));
    let shown = format!("{:?}", Context::new().request(request));
    assert!(shown.contains("authorization") && !shown.contains("secret-token"), "{shown}");
}

#[test]
fn identities_by_auth_mode() {
    let engine = engine();
    let expression = "{ identity: ctx.identity, authType: util.authType() }";

    let mut iam = IamIdentity::default();
    iam.account_id = "123456789012".into();
    iam.user_arn = "arn:aws:iam::123456789012:user/appsync".into();
    iam.username = "AIDAAAAAAAAAAAAAAAAAA".into();
    iam.source_ip = vec!["127.0.0.1".into()];
    let seen = evaluate(&engine, expression, &Context::new().identity(Identity::Iam(iam))).result;
    assert_eq!(seen["authType"], "IAM Authorization");
    assert_eq!(seen["identity"]["accountId"], "123456789012");
    assert_eq!(seen["identity"]["userArn"], "arn:aws:iam::123456789012:user/appsync");
    assert_eq!(seen["identity"]["sourceIp"], json!(["127.0.0.1"]));
    assert_eq!(seen["identity"]["cognitoIdentityPoolId"], json!(null));

    let mut cognito = CognitoIdentity::default();
    cognito.sub = "u-1".into();
    cognito.username = "ann".into();
    cognito.groups = Some(vec!["admin".into()]);
    cognito.claims = object(json!({ "sub": "u-1", "cognito:username": "ann" }));
    cognito.default_auth_strategy = "ALLOW".into();
    let seen = evaluate(&engine, expression, &Context::new().identity(Identity::Cognito(cognito))).result;
    assert_eq!(seen["authType"], "User Pool Authorization");
    assert_eq!(seen["identity"]["groups"], json!(["admin"]));
    assert_eq!(seen["identity"]["claims"]["cognito:username"], "ann");
    assert_eq!(seen["identity"]["defaultAuthStrategy"], "ALLOW");

    let mut oidc = OidcIdentity::default();
    oidc.sub = "o-1".into();
    oidc.issuer = "https://issuer".into();
    let seen = evaluate(&engine, expression, &Context::new().identity(Identity::Oidc(oidc))).result;
    assert_eq!(seen["authType"], "Open ID Connect Authorization");
    assert_eq!(seen["identity"], json!({ "claims": {}, "issuer": "https://issuer", "sub": "o-1" }));

    let mut lambda = LambdaIdentity::default();
    lambda.resolver_context = object(json!({ "tenant": "t1" }));
    let seen = evaluate(&engine, expression, &Context::new().identity(Identity::Lambda(lambda))).result;
    assert_eq!(seen["authType"], "Lambda Authorization");
    assert_eq!(seen["identity"], json!({ "resolverContext": { "tenant": "t1" } }));

    let seen = evaluate(&engine, expression, &Context::new()).result;
    assert_eq!(seen, json!({ "identity": null, "authType": "API Key Authorization" }));
}

#[test]
fn the_stash_is_carried_and_mutable() {
    let engine = engine();
    let ctx = Context::new().stash(object(json!({ "keep": 1, "drop": 2 })));
    let evaluation = engine
        .evaluate_blocking(
            "export function request(ctx) { ctx.stash.added = { a: 1 }; delete ctx.stash.drop; \
             Object.assign(ctx.stash, { merged: true }); return null; }",
            Handler::Request,
            &ctx,
        )
        .expect("runs");
    assert_eq!(
        serde_json::Value::Object(evaluation.stash),
        json!({ "keep": 1, "added": { "a": 1 }, "merged": true })
    );
}

#[test]
fn response_handlers_see_result_prev_and_error() {
    let engine = engine();
    let mut ctx = Context::new();
    ctx.result = Some(json!({ "items": [{ "a": 10 }] }));
    ctx.prev = Some(Prev::new(json!("before")));
    ctx.error =
        Some(ContextError::new("The conditional request failed", "DynamoDB:ConditionalCheckFailedException"));
    let evaluation = engine
        .evaluate_blocking(
            "export function response(ctx) { return { items: ctx.result.items, prev: ctx.prev.result, error: ctx.error }; }",
            Handler::Response,
            &ctx,
        )
        .expect("runs");
    assert_eq!(
        evaluation.result,
        json!({
            "items": [{ "a": 10 }], "prev": "before",
            "error": { "message": "The conditional request failed", "type": "DynamoDB:ConditionalCheckFailedException" },
        })
    );
}

#[test]
fn a_query_request_and_its_response() {
    // localstack/appsync-utils, __tests__/resolvers.test.js "dynamodb resolvers something", and
    // its snapshots "dynamodb resolvers something 1" and "2" (recorded against AWS).
    let engine = engine();
    let code = r##"
    export function request(ctx) {
        return {
            operation: "Query",
            index: "nameIndex",
            select : "ALL_ATTRIBUTES",
            query: {
                "expression" : "#name = :name",
                "expressionNames": { "#name": "name" },
                "expressionValues" : { ":name" : util.dynamodb.toDynamoDB(ctx.arguments.filter.line) }
            },
            filter: {
                "expression" : "#shift = :shift",
                "expressionNames": { "#shift": "shift" },
                "expressionValues" : { ":shift" : util.dynamodb.toDynamoDB(ctx.arguments.filter.shift) }
            },
        };
    }
    export function response(ctx) {
        return ctx.result.items;
    }
    "##;
    let ctx = Context::new().arguments(object(json!({ "filter": { "line": "test", "shift": 10 } })));
    let request = engine.evaluate_blocking(code, Handler::Request, &ctx).expect("runs").result;
    assert_eq!(
        request,
        json!({
            "filter": { "expression": "#shift = :shift", "expressionNames": { "#shift": "shift" },
                        "expressionValues": { ":shift": { "N": 10 } } },
            "index": "nameIndex",
            "operation": "Query",
            "query": { "expression": "#name = :name", "expressionNames": { "#name": "name" },
                       "expressionValues": { ":name": { "S": "test" } } },
            "select": "ALL_ATTRIBUTES",
        })
    );
    let mut ctx = Context::new();
    ctx.result = Some(json!({ "items": [{ "a": 10 }] }));
    let response = engine.evaluate_blocking(code, Handler::Response, &ctx).expect("runs").result;
    assert_eq!(response, json!([{ "a": 10 }]));
}

/// An Events handler with a data source integration is an object: its `request` and `response`
/// run as handlers of their own, `response` seeing `ctx.result` and `ctx.error`.
#[test]
fn an_events_handler_object_runs_its_request_and_response_halves() {
    use appsync_js::{EventContext, EventOperation, IncomingEvent};
    let code = "export const onPublish = {
        request(ctx) { ctx.stash.n = ctx.events.length; return { operation: 'Invoke', payload: ctx.events }; },
        response(ctx) { return ctx.error ? ctx.error.message : [ctx.stash.n, ctx.result]; },
    };";
    let engine = engine();
    let mut ctx = EventContext::new(EventOperation::Publish, "/chat/a", "chat")
        .events(vec![IncomingEvent::new("1", json!({"t": 1}))]);
    let request = engine.evaluate_blocking_event(code, Handler::OnPublishRequest, &ctx).expect("request");
    assert_eq!(request.result, json!({"operation": "Invoke", "payload": [{"id": "1", "payload": {"t": 1}}]}));
    ctx.stash = request.stash;
    ctx.result = Some(json!("answer"));
    let response = engine.evaluate_blocking_event(code, Handler::OnPublishResponse, &ctx).expect("response");
    assert_eq!(response.result, json!([1, "answer"]));
    ctx.error = Some(ContextError::new("it failed", "Lambda:Unhandled"));
    let failed = engine.evaluate_blocking_event(code, Handler::OnPublishResponse, &ctx).expect("response");
    assert_eq!(failed.result, json!("it failed"));
    // A function where an object was expected says what AppSync expects.
    let err = engine
        .evaluate_blocking_event(
            "export function onPublish(ctx) { return []; }",
            Handler::OnPublishRequest,
            &ctx,
        )
        .expect_err("no request function");
    assert!(err.to_string().contains("request and response functions"), "{err}");
}
