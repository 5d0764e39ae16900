//! The real-time endpoint over real WebSockets on 127.0.0.1: both auth forms, IAM signed with
//! appsync-sigv4 and API keys, forged signatures at connect and at start, HTTP mutations
//! fanned out to matching subscriptions only.
#![allow(missing_docs)]
// Test helpers: a failed expect is the test failing, with its message.
#![allow(clippy::expect_used)]

mod support;

use std::time::Duration;

use base64::Engine as _;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Map, Value, json};
use support::*;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

fn api_key_headers(host: &str, key: &str) -> Map<String, Value> {
    json!({"host": host, "x-api-key": key}).as_object().cloned().unwrap_or_default()
}

enum Form {
    Query,
    Subprotocol,
}

async fn open(s: &Server, path: &str, headers: &Map<String, Value>, form: Form) -> Ws {
    let json = Value::Object(headers.clone()).to_string();
    let (url, protocols) = match form {
        Form::Query => {
            let b64 = base64::engine::general_purpose::STANDARD.encode(&json);
            (format!("ws://{}{path}?header={b64}&payload=e30=", s.host), "graphql-ws".to_owned())
        }
        Form::Subprotocol => {
            let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&json);
            (format!("ws://{}{path}", s.host), format!("graphql-ws, header-{b64}"))
        }
    };
    let mut req = url.into_client_request().expect("request");
    req.headers_mut().insert("sec-websocket-protocol", protocols.parse().expect("header"));
    let (ws, resp) = tokio_tungstenite::connect_async(req).await.expect("upgrade");
    assert_eq!(
        resp.headers().get("sec-websocket-protocol").and_then(|v| v.to_str().ok()),
        Some("graphql-ws")
    );
    ws
}

async fn quiet_for(ws: &mut Ws, d: Duration) {
    if let Ok(Some(Ok(Message::Text(t)))) = tokio::time::timeout(d, ws.next()).await {
        let v: Value = serde_json::from_str(t.as_str()).expect("json");
        assert_eq!(v["type"], "ka", "unexpected {v}");
    }
}

async fn init(ws: &mut Ws) {
    send(ws, json!({"type": "connection_init"})).await;
    assert_eq!(
        recv(ws).await,
        Some(json!({"type":"connection_ack","payload":{"connectionTimeoutMs":300000}}))
    );
}

fn start_msg(id: &str, data: &str, authorization: Map<String, Value>) -> Value {
    json!({"id": id, "type": "start", "payload": {"data": data, "extensions": {"authorization": authorization}}})
}

const ON_CREATE: &str =
    "subscription On($author: String) { onCreatePost(author: $author) { id title author content } }";

#[tokio::test]
async fn api_key_in_query_parameters_subscribe_mutate_over_http_stop() {
    let s = start(demo_builder()).await;
    let mut ws = open(&s, "/graphql/realtime", &api_key_headers(&s.host, API_KEY), Form::Query).await;
    init(&mut ws).await;
    let data = json!({"query": ON_CREATE, "variables": {"author": "ann"}}).to_string();
    send(&mut ws, start_msg("1", &data, api_key_headers(&s.host, API_KEY))).await;
    assert_eq!(recv(&mut ws).await, Some(json!({"type":"start_ack","id":"1"})));

    let other = s.api_key(CREATE_POST, json!({"input": {"title": "by bob", "author": "bob"}})).await;
    assert_eq!(other.status, 200, "{}", other.text);
    let r =
        s.api_key(CREATE_POST, json!({"input": {"title": "by ann", "author": "ann", "content": "c"}})).await;
    let created = r.json()["data"]["createPost"].clone();
    let event = recv(&mut ws).await.expect("event");
    assert_eq!(
        event,
        json!({"type":"data","id":"1","payload":{"data":{"onCreatePost":{"id":created["id"],"title":"by ann","author":"ann","content":"c"}}}})
    );
    quiet_for(&mut ws, Duration::from_millis(200)).await;

    send(&mut ws, json!({"type": "stop", "id": "1"})).await;
    assert_eq!(recv(&mut ws).await, Some(json!({"type":"complete","id":"1"})));
    s.api_key(CREATE_POST, json!({"input": {"title": "after stop", "author": "ann"}})).await;
    quiet_for(&mut ws, Duration::from_millis(200)).await;
}

#[tokio::test]
async fn iam_in_subprotocol_on_graphql_path_signed_connect_and_start() {
    let s = start(demo_builder()).await;
    let connect = iam_headers(&s.host, "/graphql/connect", b"{}", SECRET);
    let mut ws = open(&s, "/graphql", &connect, Form::Subprotocol).await;
    init(&mut ws).await;
    let data = json!({"query": "subscription { onUpdatePost { id title } }", "variables": {}}).to_string();
    send(&mut ws, start_msg("u", &data, iam_headers(&s.host, "/graphql", data.as_bytes(), SECRET))).await;
    assert_eq!(recv(&mut ws).await, Some(json!({"type":"start_ack","id":"u"})));
    let r = s.iam(CREATE_POST, json!({"input": {"title": "v1"}})).await;
    let id = r.json()["data"]["createPost"]["id"].as_str().expect("id").to_owned();
    // Selected by the mutation: id and title. Nothing for the create (not in @aws_subscribe).
    let update = "mutation U($input: UpdatePostInput!) { updatePost(input: $input) { id title } }";
    let r = s.iam(update, json!({"input": {"id": id, "title": "v2"}})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        recv(&mut ws).await,
        Some(json!({"type":"data","id":"u","payload":{"data":{"onUpdatePost":{"id":id,"title":"v2"}}}}))
    );
}

#[tokio::test]
async fn forged_signature_at_connect_gets_connection_error_and_close() {
    let s = start(demo_builder()).await;
    for form in [Form::Query, Form::Subprotocol] {
        let forged = iam_headers(&s.host, "/graphql/connect", b"{}", "not-the-secret");
        let mut ws = open(&s, "/graphql/realtime", &forged, form).await;
        send(&mut ws, json!({"type": "connection_init"})).await;
        assert_eq!(
            recv(&mut ws).await,
            Some(
                json!({"type":"connection_error","payload":{"errors":[{"errorType":"UnauthorizedException","message":"You are not authorized to make this call.","errorCode":401}]}})
            )
        );
        assert_eq!(recv(&mut ws).await, None, "closed after connection_error");
    }
    // No credentials at all, and a wrong API key: the same.
    for headers in [
        json!({"host": s.host}).as_object().cloned().unwrap_or_default(),
        api_key_headers(&s.host, "da2-wrong"),
    ] {
        let mut ws = open(&s, "/graphql/realtime", &headers, Form::Query).await;
        send(&mut ws, json!({"type": "connection_init"})).await;
        assert_eq!(recv(&mut ws).await.expect("message")["type"], "connection_error");
    }
}

#[tokio::test]
async fn forged_signature_at_start_is_refused_and_the_connection_lives_on() {
    let s = start(demo_builder()).await;
    let mut ws =
        open(&s, "/graphql/realtime", &iam_headers(&s.host, "/graphql/connect", b"{}", SECRET), Form::Query)
            .await;
    init(&mut ws).await;
    let data = json!({"query": ON_CREATE, "variables": {}}).to_string();
    // Signed over a different body: the signature does not cover this `data`.
    let wrong_body = iam_headers(&s.host, "/graphql", b"{}", SECRET);
    send(&mut ws, start_msg("1", &data, wrong_body)).await;
    assert_eq!(
        recv(&mut ws).await,
        Some(
            json!({"type":"error","id":"1","payload":{"errors":[{"errorType":"UnauthorizedException","message":"You are not authorized to make this call.","errorCode":401}]}})
        )
    );
    send(&mut ws, start_msg("2", &data, iam_headers(&s.host, "/graphql", data.as_bytes(), SECRET))).await;
    assert_eq!(recv(&mut ws).await, Some(json!({"type":"start_ack","id":"2"})));
}

#[tokio::test]
async fn start_errors_queries_validation_and_duplicates() {
    let s = start(demo_builder()).await;
    let mut ws = open(&s, "/graphql/realtime", &api_key_headers(&s.host, API_KEY), Form::Query).await;
    init(&mut ws).await;
    let auth = || api_key_headers(&s.host, API_KEY);
    let q = json!({"query": "{ listPosts { items { id } } }"}).to_string();
    send(&mut ws, start_msg("q", &q, auth())).await;
    assert_eq!(
        recv(&mut ws).await,
        Some(
            json!({"type":"error","id":"q","payload":{"errors":[{"errorType":"UnsupportedOperation","message":"query not supported through the realtime channel"}]}})
        )
    );
    let bad = json!({"query": "subscription { onCreatePost { nope } }"}).to_string();
    send(&mut ws, start_msg("v", &bad, auth())).await;
    let v = recv(&mut ws).await.expect("error");
    assert_eq!(v["type"], "error");
    assert_eq!(
        v["payload"]["errors"][0]["message"],
        "Validation error of type FieldUndefined: Field 'nope' in type 'Post' is undefined @ 'onCreatePost/nope'"
    );
    let ok = json!({"query": "subscription { onCreatePost { id } }"}).to_string();
    send(&mut ws, start_msg("d", &ok, auth())).await;
    assert_eq!(recv(&mut ws).await.expect("ack")["type"], "start_ack");
    send(&mut ws, start_msg("d", &ok, auth())).await;
    assert_eq!(
        recv(&mut ws).await.expect("error")["payload"]["errors"][0]["errorType"],
        "DuplicatedOperationError"
    );
    ws.send(Message::Text("{not json".into())).await.expect("send");
    assert_eq!(recv(&mut ws).await.expect("error")["type"], "error");
}

#[tokio::test]
async fn hundred_and_first_subscription_is_refused() {
    // A rate limit above the 102 messages sent here, so that only the subscription limit (left
    // at its default) can answer, however fast they go.
    let options = appsync_local::realtime::RealtimeOptions::default().max_inbound_per_second(1000);
    let s = start(demo_builder().realtime(options)).await;
    let mut ws = open(&s, "/graphql/realtime", &api_key_headers(&s.host, API_KEY), Form::Query).await;
    init(&mut ws).await;
    let data = json!({"query": "subscription { onCreatePost { id } }"}).to_string();
    for i in 0..101 {
        send(&mut ws, start_msg(&format!("s{i}"), &data, api_key_headers(&s.host, API_KEY))).await;
    }
    let mut acks = 0;
    loop {
        let m = recv(&mut ws).await.expect("message");
        if m["type"] == "start_ack" {
            acks += 1;
            continue;
        }
        assert_eq!(
            m,
            // One object, not a list (RealtimeConnectionProviderResponse.swift, amplify-js #8370).
            json!({"type":"error","id":"s100","payload":{"errors":{"errorType":"MaxSubscriptionsReachedError","message":"Max number of 100 subscriptions reached"}}})
        );
        break;
    }
    assert_eq!(acks, 100);
}

#[tokio::test]
async fn upgrade_needs_the_graphql_ws_subprotocol_and_plain_get_is_400() {
    let s = start(demo_builder()).await;
    // Without the subprotocol: upgraded, then refused with a `connection_error` and closed
    // (capture in graphql-dotnet/graphql-client #591).
    let req = format!("ws://{}/graphql/realtime", s.host).into_client_request().expect("request");
    let (mut ws, _) = tokio_tungstenite::connect_async(req).await.expect("upgraded");
    send(&mut ws, json!({"type": "connection_init"})).await;
    assert_eq!(
        recv(&mut ws).await,
        Some(
            json!({"payload":{"errors":[{"message":"SubProtocolNotSupportedError","errorCode":400}]},"type":"connection_error"})
        )
    );
    assert_eq!(recv(&mut ws).await, None);
    // A plain GET of /graphql is a GraphQL request without a query (tests/fidelity.rs).
    let r = s.client.get(&s.url).header("x-api-key", API_KEY).send().await.expect("get");
    assert_eq!(r.status().as_u16(), 400);
    let realtime = format!("http://{}/graphql/realtime", s.host);
    let r = s.client.get(&realtime).header("x-api-key", API_KEY).send().await.expect("get");
    assert_eq!(r.status().as_u16(), 400);
}

/// Subscribes to onCreatePost on a server whose subscription resolver filters for titles
/// beginning with "hot" or authors "vip"/"boss", creates three posts and expects exactly the
/// two that match, in order.
async fn only_hot_titles_and_vip_authors_arrive(builder: appsync_local::EmulatorBuilder, id: &str) {
    let s = start(builder).await;
    let mut ws = open(&s, "/graphql/realtime", &api_key_headers(&s.host, API_KEY), Form::Query).await;
    init(&mut ws).await;
    let data = json!({"query": "subscription { onCreatePost { title author } }"}).to_string();
    send(&mut ws, start_msg(id, &data, api_key_headers(&s.host, API_KEY))).await;
    assert_eq!(recv(&mut ws).await, Some(json!({"type":"start_ack","id": id})));
    for (title, author) in [("cold", "ann"), ("hot news", "ann"), ("cold", "boss")] {
        let r = s.api_key(CREATE_POST, json!({"input": {"title": title, "author": author}})).await;
        assert_eq!(r.status, 200, "{}", r.text);
    }
    let first = recv(&mut ws).await.expect("event");
    assert_eq!(first["payload"]["data"]["onCreatePost"], json!({"title": "hot news", "author": "ann"}));
    let second = recv(&mut ws).await.expect("event");
    assert_eq!(second["payload"]["data"]["onCreatePost"], json!({"title": "cold", "author": "boss"}));
    quiet_for(&mut ws, Duration::from_millis(200)).await;
}

#[tokio::test]
async fn enhanced_filter_from_a_subscription_resolver_over_a_real_socket() {
    let builder = demo_builder().resolver("Subscription.onCreatePost", |_ctx| async move {
        Ok(json!({"filterGroup": [
            {"filters": [{"fieldName": "title", "operator": "beginsWith", "value": "hot"}]},
            {"filters": [{"fieldName": "author", "operator": "in", "value": ["vip", "boss"]}]}
        ]}))
    });
    only_hot_titles_and_vip_authors_arrive(builder, "f").await;
}

#[tokio::test]
async fn enhanced_filter_from_a_js_subscription_resolver() {
    // The APPSYNC_JS way: `extensions.setSubscriptionFilter` in the subscription's response.
    let code = "import { util, extensions } from '@aws-appsync/utils';\n\
                export function request(ctx) { return { payload: null }; }\n\
                export function response(ctx) {\n\
                  extensions.setSubscriptionFilter(util.transform.toSubscriptionFilter(\n\
                    { or: [{ title: { beginsWith: 'hot' } }, { author: { in: ['vip', 'boss'] } }] }));\n\
                  return null;\n\
                }";
    let builder =
        demo_builder().js_resolver("Subscription.onCreatePost", appsync_js::Resolver::unit(code, "NONE"));
    only_hot_titles_and_vip_authors_arrive(builder, "js").await;
}

#[tokio::test]
async fn invalidate_subscriptions_ends_the_subscriptions_whose_invalidation_filter_matches() {
    // The guide's "Unsubscribing WebSocket connections using filters": the subscription sets an
    // invalidation filter, a mutation's response invalidates by payload; the client gets
    // `complete` (the message amplify-js learned to surface, aws-amplify/amplify-js #9898).
    let subscription = "import { util, extensions } from '@aws-appsync/utils';\n\
        export function request(ctx) { return { payload: null }; }\n\
        export function response(ctx) {\n\
          extensions.setSubscriptionInvalidationFilter(util.transform.toSubscriptionFilter({ author: { eq: ctx.args.author } }));\n\
          return null;\n\
        }";
    let delete = "import { extensions } from '@aws-appsync/utils';\n\
        export function request(ctx) { return { payload: { id: ctx.args.input.id, title: 'gone' } }; }\n\
        export function response(ctx) {\n\
          extensions.invalidateSubscriptions({ subscriptionField: 'onCreatePost', payload: { author: 'nobody' } });\n\
          extensions.invalidateSubscriptions({ subscriptionField: 'onCreatePost', payload: { author: ctx.args.input.id } });\n\
          return ctx.result;\n\
        }";
    let builder = demo_builder()
        .js_resolver("Subscription.onCreatePost", appsync_js::Resolver::unit(subscription, "NONE"))
        .js_resolver("Mutation.deletePost", appsync_js::Resolver::unit(delete, "NONE"));
    let s = start(builder).await;
    let mut ws = open(&s, "/graphql/realtime", &api_key_headers(&s.host, API_KEY), Form::Query).await;
    init(&mut ws).await;
    for (id, author) in [("ann", "ann"), ("bob", "bob")] {
        let data = json!({"query": ON_CREATE, "variables": {"author": author}}).to_string();
        send(&mut ws, start_msg(id, &data, api_key_headers(&s.host, API_KEY))).await;
        assert_eq!(recv(&mut ws).await, Some(json!({"type":"start_ack","id": id})));
    }
    // Only the last invalidation of a resolver counts (aws/aws-appsync-community #223): ann's.
    let r = s.api_key("mutation { deletePost(input: {id: \"ann\"}) { id title } }", json!({})).await;
    assert_eq!(r.json(), json!({"data": {"deletePost": {"id": "ann", "title": "gone"}}}));
    assert_eq!(recv(&mut ws).await, Some(json!({"type": "complete", "id": "ann"})));
    // ann's subscription is gone, bob's still delivers.
    for author in ["ann", "bob"] {
        let r = s.api_key(CREATE_POST, json!({"input": {"title": "t", "author": author}})).await;
        assert_eq!(r.status, 200, "{}", r.text);
    }
    let event = recv(&mut ws).await.expect("event");
    assert_eq!(
        (event["id"].as_str(), &event["payload"]["data"]["onCreatePost"]["author"]),
        (Some("bob"), &json!("bob"))
    );
    quiet_for(&mut ws, Duration::from_millis(200)).await;
}

#[tokio::test]
async fn huge_frames_close_only_that_connection_and_config_applies_through_router_with() {
    let emulator = demo_builder().build().expect("emulator");
    let config =
        appsync_local::realtime::RealtimeOptions::default().connection_timeout_ms(42).max_message_bytes(1024);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let router = appsync_local::realtime::router_with(&emulator, config).unwrap();
    let server = tokio::spawn(async move { axum::serve(listener, router).await });
    let s = Server {
        url: format!("http://{addr}/graphql"),
        host: addr.to_string(),
        handle: emulator.spawn("127.0.0.1:0").await.expect("unused handle"),
        client: reqwest::Client::new(),
    };
    let mut ws = open(&s, "/graphql/realtime", &api_key_headers(&s.host, API_KEY), Form::Query).await;
    send(&mut ws, json!({"type": "connection_init"})).await;
    assert_eq!(
        recv(&mut ws).await,
        Some(json!({"type":"connection_ack","payload":{"connectionTimeoutMs":42}}))
    );
    // Over the limit but readable: an error in AppSync's words.
    send(&mut ws, json!({"type": "stop", "id": "x".repeat(2000)})).await;
    assert_eq!(recv(&mut ws).await.expect("error")["payload"]["errors"]["errorType"], "LimitExceededError");
    // Far over: the WebSocket layer cuts the connection.
    let _ = ws.send(Message::Text("y".repeat(4 * 1024 * 1024).into())).await;
    assert_eq!(recv(&mut ws).await, None);
    // Others are still served.
    let mut other = open(&s, "/graphql/realtime", &api_key_headers(&s.host, API_KEY), Form::Query).await;
    send(&mut other, json!({"type": "connection_init"})).await;
    assert_eq!(recv(&mut other).await.expect("ack")["type"], "connection_ack");
    server.abort();
}

#[tokio::test]
async fn lambda_token_connects_and_the_fields_auth_directives_decide_each_start() {
    let sdl = "type Query { x: Int }
        type Mutation { createNote(text: String!): Note @aws_lambda }
        type Note @aws_lambda { id: ID! text: String }
        type Subscription {
          onNote: Note @aws_subscribe(mutations: [\"createNote\"]) @aws_lambda
          onNoteKeyed: Note @aws_subscribe(mutations: [\"createNote\"]) @aws_api_key
        }";
    let s = start(demo_builder().schema_sdl(sdl).lambda_token("let-me-in")).await;
    let lambda =
        || json!({"host": s.host, "Authorization": "let-me-in"}).as_object().cloned().unwrap_or_default();
    let mut ws = open(&s, "/graphql/realtime", &lambda(), Form::Subprotocol).await;
    init(&mut ws).await;
    let keyed = json!({"query": "subscription { onNoteKeyed { id } }"}).to_string();
    send(&mut ws, start_msg("k", &keyed, lambda())).await;
    assert_eq!(
        recv(&mut ws).await,
        Some(
            json!({"type":"error","id":"k","payload":{"errors":[{"errorType":"Unauthorized","message":"Not Authorized to access onNoteKeyed on type Subscription"}]}})
        )
    );
    let ok = json!({"query": "subscription { onNote { id text } }"}).to_string();
    send(&mut ws, start_msg("l", &ok, lambda())).await;
    assert_eq!(recv(&mut ws).await, Some(json!({"type":"start_ack","id":"l"})));
    let r = s
        .raw(
            &[("authorization", "let-me-in".to_owned()), ("content-type", "application/json".to_owned())],
            body("mutation { createNote(text: \"hi\") { id text } }", json!({})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let event = recv(&mut ws).await.expect("event");
    assert_eq!(event["payload"]["data"]["onNote"]["text"], "hi", "{event}");
}

#[tokio::test]
async fn cognito_jwt_connects_and_groups_decide_each_start() {
    let sdl = r#"type Query { x: Int }
        type Mutation { createNote(text: String!): Note }
        type Note @aws_cognito_user_pools { id: ID! text: String }
        type Subscription {
          onNote: Note @aws_subscribe(mutations: ["createNote"]) @aws_cognito_user_pools
          onAdminNote: Note @aws_subscribe(mutations: ["createNote"]) @aws_cognito_user_pools(cognito_groups: ["admins"])
        }"#;
    let builder = demo_builder().schema_sdl(sdl).cognito_user_pools(appsync_local::JwtConfig::demo());
    let s = start(builder).await;
    let token = appsync_local::DemoToken::new("bob").groups(["users"]).sign().expect("sign");
    let jwt = || json!({"host": s.host, "Authorization": token}).as_object().cloned().unwrap_or_default();
    let mut ws = open(&s, "/graphql/realtime", &jwt(), Form::Query).await;
    init(&mut ws).await;
    let admin = json!({"query": "subscription { onAdminNote { id } }"}).to_string();
    send(&mut ws, start_msg("a", &admin, jwt())).await;
    assert_eq!(recv(&mut ws).await.expect("error")["payload"]["errors"][0]["errorType"], "Unauthorized");
    let note = json!({"query": "subscription { onNote { id } }"}).to_string();
    send(&mut ws, start_msg("n", &note, jwt())).await;
    assert_eq!(recv(&mut ws).await, Some(json!({"type":"start_ack","id":"n"})));
    // A forged token at connect is refused like any other bad credential.
    let forged = json!({"host": s.host, "Authorization": format!("{token}x")})
        .as_object()
        .cloned()
        .unwrap_or_default();
    let mut bad = open(&s, "/graphql/realtime", &forged, Form::Query).await;
    send(&mut bad, json!({"type": "connection_init"})).await;
    assert_eq!(recv(&mut bad).await.expect("message")["type"], "connection_error");
}

#[tokio::test]
async fn a_start_flood_and_hundreds_of_idle_connections_leave_others_served() {
    let s = start(demo_builder()).await;
    let mut idle = Vec::new();
    for _ in 0..300 {
        idle.push(open(&s, "/graphql/realtime", &api_key_headers(&s.host, API_KEY), Form::Query).await);
    }
    let mut flood = open(&s, "/graphql/realtime", &api_key_headers(&s.host, API_KEY), Form::Query).await;
    init(&mut flood).await;
    let data = json!({"query": "subscription { onCreatePost { id } }"}).to_string();
    for i in 0..300 {
        send(&mut flood, start_msg(&format!("f{i}"), &data, api_key_headers(&s.host, API_KEY))).await;
    }
    // Each start is answered: acked up to the subscription limit, else refused by the rate
    // limit or the subscription limit (which one depends on how fast this machine sends).
    let mut acks = 0;
    for _ in 0..300 {
        let m = recv(&mut flood).await.expect("answer");
        if m["type"] == "start_ack" {
            acks += 1;
            continue;
        }
        let kind = m["payload"]["errors"]["errorType"].as_str().unwrap_or_default().to_owned();
        assert!(kind == "LimitExceededError" || kind == "MaxSubscriptionsReachedError", "{m}");
    }
    assert!(acks <= 100, "{acks} subscriptions on one connection");

    let mut ws = open(&s, "/graphql", &api_key_headers(&s.host, API_KEY), Form::Subprotocol).await;
    init(&mut ws).await;
    send(&mut ws, start_msg("ok", &data, api_key_headers(&s.host, API_KEY))).await;
    assert_eq!(recv(&mut ws).await, Some(json!({"type":"start_ack","id":"ok"})));
    s.api_key(CREATE_POST, json!({"input": {"title": "still served"}})).await;
    assert_eq!(recv(&mut ws).await.expect("event")["type"], "data");
    drop(idle);
}

#[tokio::test]
async fn builder_realtime_config_reaches_the_spawned_server() {
    let config = appsync_local::realtime::RealtimeOptions::default()
        .connection_timeout_ms(777)
        .keep_alive_interval(Duration::from_millis(50));
    let s = start(demo_builder().realtime(config).event_capacity(64)).await;
    let mut ws = open(&s, "/graphql/realtime", &api_key_headers(&s.host, API_KEY), Form::Query).await;
    send(&mut ws, json!({"type": "connection_init"})).await;
    assert_eq!(
        recv(&mut ws).await,
        Some(json!({"type":"connection_ack","payload":{"connectionTimeoutMs":777}}))
    );
    // Keep-alives at the configured pace: several within half a second.
    let mut kas = 0;
    let deadline = tokio::time::Instant::now() + Duration::from_millis(500);
    while let Ok(Some(Ok(Message::Text(t)))) = tokio::time::timeout_at(deadline, ws.next()).await {
        if t.as_str() == r#"{"type":"ka"}"# {
            kas += 1;
        }
    }
    assert!(kas >= 3, "{kas} keep-alives");
}

// Evidence: captures in enisdenjo/graphql-ws #602 (a `subscribe` answered with "unknown not
// supported through the realtime channel" and no `id`, which crashed that client) and
// artilleryio/artillery #1567; FIDELITY.md 3 for a `start` whose auth sits at
// `payload.authorization` instead of `payload.extensions.authorization`.
#[tokio::test]
async fn unknown_types_and_misplaced_start_auth_are_not_supported_without_id() {
    let s = start(demo_builder()).await;
    let mut ws = open(&s, "/graphql/realtime", &api_key_headers(&s.host, API_KEY), Form::Query).await;
    init(&mut ws).await;
    let not_supported = json!({"type":"error","payload":{"errors":[{"errorType":"UnsupportedOperation","message":"unknown not supported through the realtime channel"}]}});
    send(&mut ws, json!({"id": "g1", "type": "subscribe", "payload": {"query": "subscription { onCreatePost { id } }"}}))
        .await;
    assert_eq!(recv(&mut ws).await, Some(not_supported.clone()));
    let data = json!({"query": "subscription { onCreatePost { id } }"}).to_string();
    let auth = api_key_headers(&s.host, API_KEY);
    send(&mut ws, json!({"id": "s1", "type": "start", "payload": {"data": data, "authorization": auth}}))
        .await;
    assert_eq!(recv(&mut ws).await, Some(not_supported));
    // The connection is still served.
    send(&mut ws, start_msg("s2", &data, api_key_headers(&s.host, API_KEY))).await;
    assert_eq!(recv(&mut ws).await, Some(json!({"type":"start_ack","id":"s2"})));
}

// Evidence: captures in aws-amplify/amplify-swift #1589 and aws-amplify/amplify-cli #7427: a
// `start` that fails validation is answered with errors carrying only `message`.
#[tokio::test]
async fn validation_errors_on_the_socket_carry_only_their_message() {
    let s = start(demo_builder()).await;
    let mut ws = open(&s, "/graphql/realtime", &api_key_headers(&s.host, API_KEY), Form::Query).await;
    init(&mut ws).await;
    let data = json!({"query": "subscription { onCreatePost { nope } }"}).to_string();
    send(&mut ws, start_msg("v", &data, api_key_headers(&s.host, API_KEY))).await;
    let answer = recv(&mut ws).await.expect("error");
    assert_eq!(answer["id"], "v");
    let error = answer["payload"]["errors"][0].as_object().cloned().unwrap_or_default();
    assert_eq!(error.keys().collect::<Vec<_>>(), ["message"], "{answer}");
    let message = error["message"].as_str().unwrap_or_default();
    assert!(message.starts_with("Validation error of type FieldUndefined"), "{message}");
}

#[tokio::test]
async fn shutdown_closes_open_sockets_with_going_away_and_waits_for_them() {
    let emulator = demo_builder().build().expect("emulator");
    let s = start_emulator(&emulator).await;
    let mut subscribed = open(&s, "/graphql/realtime", &api_key_headers(&s.host, API_KEY), Form::Query).await;
    init(&mut subscribed).await;
    let data = json!({"query": ON_CREATE, "variables": {}}).to_string();
    send(&mut subscribed, start_msg("1", &data, api_key_headers(&s.host, API_KEY))).await;
    assert_eq!(recv(&mut subscribed).await, Some(json!({"type":"start_ack","id":"1"})));
    // A socket that never said `connection_init` is closed as well.
    let mut idle = open(&s, "/graphql", &api_key_headers(&s.host, API_KEY), Form::Subprotocol).await;
    assert_eq!(emulator.subscriptions(), 1);

    let shutdown = tokio::spawn(s.handle.shutdown());
    for ws in [&mut subscribed, &mut idle] {
        assert_eq!(close_frame(ws).await, (1001, "server shutting down".to_owned()));
    }
    // The shutdown waited for the sockets, well within its 10 s drain period.
    tokio::time::timeout(Duration::from_secs(5), shutdown)
        .await
        .expect("shutdown returns once the sockets are closed")
        .expect("the shutdown task")
        .expect("shutdown");
    assert_eq!(emulator.subscriptions(), 0);
    assert_eq!(emulator.event_receivers(), 0);
}

#[tokio::test]
async fn a_subscription_resolver_sees_the_connections_source_ip() {
    // AppSync developer guide, resolver context reference ("Identity", `sourceIp`): the
    // `x-forwarded-for` addresses, then the connection's. On the socket they are the upgrade
    // request's, for every `start` it carries. The resolver refuses with what it saw.
    let code = "import { util } from '@aws-appsync/utils';\n\
                export function request(ctx) { return { payload: null }; }\n\
                export function response(ctx) { util.error(JSON.stringify(ctx.identity.sourceIp), 'Probe'); }";
    let s = start(
        demo_builder().js_resolver("Subscription.onCreatePost", appsync_js::Resolver::unit(code, "NONE")),
    )
    .await;
    let data = json!({"query": ON_CREATE, "variables": {}}).to_string();
    let cases = [
        (Some("203.0.113.7, 198.51.100.2"), r#"["203.0.113.7","198.51.100.2","127.0.0.1"]"#),
        (None, r#"["127.0.0.1"]"#),
    ];
    for (forwarded, seen) in cases {
        let connect = Value::Object(iam_headers(&s.host, "/graphql/connect", b"{}", SECRET)).to_string();
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(connect);
        let mut req = format!("ws://{}/graphql/realtime", s.host).into_client_request().expect("request");
        let headers = req.headers_mut();
        headers
            .insert("sec-websocket-protocol", format!("graphql-ws, header-{b64}").parse().expect("header"));
        if let Some(forwarded) = forwarded {
            headers.insert("x-forwarded-for", forwarded.parse().expect("header"));
        }
        let (mut ws, _) = tokio_tungstenite::connect_async(req).await.expect("upgrade");
        init(&mut ws).await;
        send(&mut ws, start_msg("p", &data, iam_headers(&s.host, "/graphql", data.as_bytes(), SECRET))).await;
        let refused = recv(&mut ws).await.expect("an answer to start");
        assert_eq!(refused["type"], "error", "{refused}");
        assert_eq!(refused["payload"]["errors"][0]["errorType"], "Probe", "{refused}");
        assert_eq!(refused["payload"]["errors"][0]["message"], seen, "{refused}");
    }
}
