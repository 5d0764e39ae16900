//! AppSync Events namespace handlers in APPSYNC_JS (`onPublish`, `onSubscribe`) over real
//! sockets: events filtered, transformed and failed; `util.error` refusing a publish in AppSync's
//! error shape; `util.unauthorized()` refusing one subscription only; the context the code sees
//! (channel, namespace, operation, identity, headers, stash); code failures and time limits as
//! for resolvers; and a CloudFormation template's Event API with its handlers.
#![allow(missing_docs)]
// Test helpers: a failed expect is the test failing, with its message.
#![allow(clippy::expect_used)]

mod support;

use std::path::Path;
use std::time::Duration;

use appsync_local::events::{ChannelNamespace, HandlerConfig};
use appsync_local::project::ProjectReader;
use appsync_local::{ApiKey, AuthMode, Credentials, Emulator, EmulatorBuilder};
use serde_json::{Value, json};
use support::events::*;
use support::*;

const NOT_AUTHORIZED: &str = "You are not authorized to make this call.";

/// Drops events with `drop`, fails those with `bad`, and stamps the rest with what `ctx` says.
const CHAT: &str = r"
export function onPublish(ctx) {
  ctx.stash.seen = ctx.events.length;
  return ctx.events
    .filter((e) => !e.payload.drop)
    .map((e) => e.payload.bad
      ? { id: e.id, payload: e.payload, error: 'bad event' }
      : { id: e.id, payload: {
          ...e.payload,
          path: ctx.info.channel.path,
          segments: ctx.info.channel.segments,
          namespace: ctx.info.channelNamespace.name,
          operation: ctx.info.operation,
          seen: ctx.stash.seen,
          auth: util.authType(),
          user: ctx.identity ? ctx.identity.username : null,
          hasKey: 'x-api-key' in ctx.request.headers,
        } });
}

export function onSubscribe(ctx) {
  if (ctx.info.channel.segments[1] === 'private') {
    util.unauthorized();
  }
  if (ctx.info.operation !== 'SUBSCRIBE') {
    util.error('wrong operation ' + ctx.info.operation, 'Broken');
  }
}
";

fn with_chat() -> EmulatorBuilder {
    demo_builder().channel_namespace(ChannelNamespace::new("chat").code(CHAT))
}

#[tokio::test]
async fn onpublish_filters_transforms_and_fails_events_over_http_and_websocket() {
    let s = start(with_chat()).await;
    let mut ws = connect(&s, &api_key(&s.host, API_KEY)).await;
    init(&mut ws).await;
    subscribed(&mut ws, "s", "/chat/*", api_key(&s.host, API_KEY)).await;

    let p = post_key(&s, "/chat/room", &[r#"{"n":1}"#, r#"{"drop":true}"#, r#"{"bad":true}"#]).await;
    assert_eq!(p.status, 200, "{}", p.text);
    let indexes =
        |list: &Value| list.as_array().expect("list").iter().map(|e| e["index"].clone()).collect::<Vec<_>>();
    // A dropped event is accepted and not broadcast; a failed one is reported with its message.
    assert_eq!(indexes(&p.body["successful"]), vec![json!(0), json!(1)]);
    assert_eq!(indexes(&p.body["failed"]), vec![json!(2)]);
    assert_eq!(p.body["failed"][0]["message"], "bad event");
    let got = data(&mut ws, 1).await;
    let event: Value = serde_json::from_str(&got[0].1).expect("json event");
    assert_eq!(
        event,
        json!({
            "n": 1, "path": "/chat/room", "segments": ["chat", "room"], "namespace": "chat",
            "operation": "PUBLISH", "seen": 3, "auth": "API Key Authorization", "user": null, "hasKey": true
        })
    );

    // The same handler over the socket, publishing with IAM: the identity is the signer's.
    let events = [r#"{"n":2}"#];
    let body = json!({"channel": "/chat/room", "events": events}).to_string();
    send(&mut ws, publish_msg("p", "/chat/room", &events, iam(&s.host, body.as_bytes(), SECRET))).await;
    let [data_msg, answer] = data_and_answer(&mut ws).await;
    assert_eq!(answer["type"], "publish_success", "{answer}");
    assert_eq!(answer["failed"], json!([]));
    let event: Value = serde_json::from_str(data_msg["event"].as_str().expect("event")).expect("json");
    assert_eq!((event["auth"].clone(), event["user"].clone()), (json!("IAM Authorization"), json!(AKID)));
    assert_eq!(event["hasKey"], false);
}

#[tokio::test]
async fn util_error_refuses_the_whole_publish_in_appsyncs_error_shape() {
    let code = "export function onPublish(ctx) {
        if (ctx.events.some((e) => e.payload === 'spam')) { util.error('No spam here', 'SpamError'); }
        if (ctx.events.some((e) => e.payload === 'plain')) { util.error('Refused'); }
        return ctx.events;
    }";
    let s = start(demo_builder().channel_namespace(ChannelNamespace::new("default").code(code))).await;
    let mut ws = connect(&s, &api_key(&s.host, API_KEY)).await;
    init(&mut ws).await;
    subscribed(&mut ws, "s", "/default/*", api_key(&s.host, API_KEY)).await;

    let p = post_key(&s, "/default/a", &[r#""ok""#, r#""spam""#]).await;
    assert_eq!(p.status, 403, "{}", p.text);
    assert_eq!(p.body, json!({"errors": [{"errorType": "SpamError", "message": "No spam here"}]}));
    let p = post_key(&s, "/default/a", &[r#""plain""#]).await;
    assert_eq!(p.status, 403, "{}", p.text);
    assert_eq!(p.body["errors"][0]["message"], "Refused");

    send(&mut ws, publish_msg("p", "/default/a", &[r#""spam""#], api_key(&s.host, API_KEY))).await;
    assert_eq!(
        recv(&mut ws).await,
        Some(
            json!({"type": "publish_error", "id": "p", "errors": [{"errorType": "SpamError", "message": "No spam here"}]})
        )
    );
    // Nothing of the refused publishes was broadcast: the next event is the first delivered.
    assert_eq!(post_key(&s, "/default/a", &[r#""after""#]).await.status, 200);
    assert_eq!(data(&mut ws, 1).await, vec![("s".into(), r#""after""#.into())]);
}

#[tokio::test]
async fn onsubscribe_unauthorized_refuses_that_subscription_only() {
    let s = start(with_chat()).await;
    let mut ws = connect(&s, &api_key(&s.host, API_KEY)).await;
    init(&mut ws).await;
    subscribed(&mut ws, "room", "/chat/room", api_key(&s.host, API_KEY)).await;
    assert_eq!(
        subscribe(&mut ws, "secret", "/chat/private", api_key(&s.host, API_KEY)).await,
        json!({"type": "subscribe_error", "id": "secret", "errors": [{"errorType": "Unauthorized", "message": NOT_AUTHORIZED}]})
    );
    // The sibling, on the same socket, still gets its events.
    assert_eq!(post_key(&s, "/chat/room", &[r#"{"n":1}"#]).await.status, 200);
    let got = data(&mut ws, 1).await;
    assert_eq!(got[0].0, "room");
    subscribed(&mut ws, "again", "/chat/other", api_key(&s.host, API_KEY)).await;
}

#[tokio::test]
async fn code_failures_and_time_limits_are_reported_as_for_resolvers() {
    let engine = appsync_js::Engine::builder()
        .workers(1)
        .timeout(Duration::from_millis(200))
        .build()
        .expect("an engine");
    let builder =
        demo_builder()
            .js_engine(engine)
            .channel_namespace(ChannelNamespace::new("throws").code(
                "export function onPublish(ctx) { return ctx.events.map((e) => e.payload.missing.x); }",
            ))
            .channel_namespace(
                ChannelNamespace::new("spins").code("export function onSubscribe(ctx) { for (;;) {} }"),
            )
            .channel_namespace(
                ChannelNamespace::new("odd").code("export function onPublish(ctx) { return 42; }"),
            );
    let s = start(builder).await;

    let p = post_key(&s, "/throws/a", &["{}"]).await;
    assert_eq!(p.status, 403, "{}", p.text);
    assert_eq!(p.body["errors"][0]["errorType"], "Code");
    let message = p.body["errors"][0]["message"].as_str().expect("message");
    assert!(message.starts_with("code.js:1:") && message.contains("TypeError"), "{message}");

    let p = post_key(&s, "/odd/a", &["{}"]).await;
    assert_eq!(p.status, 403, "{}", p.text);
    assert!(
        p.body["errors"][0]["message"].as_str().expect("message").contains("onPublish returned a number")
    );

    // `spins` has no onPublish: AppSync's default broadcasts everything.
    assert_eq!(post_key(&s, "/spins/a", &["1"]).await.status, 200);
    let mut ws = connect(&s, &api_key(&s.host, API_KEY)).await;
    init(&mut ws).await;
    let m = subscribe(&mut ws, "s", "/spins/a", api_key(&s.host, API_KEY)).await;
    assert_eq!(m["type"], "subscribe_error", "{m}");
    assert_eq!(m["errors"][0]["errorType"], "Code");
    assert!(m["errors"][0]["message"].as_str().expect("message").contains("timed out"), "{m}");
    // The worker serves the next evaluation after the limit.
    assert_eq!(post_key(&s, "/throws/a", &["{}"]).await.status, 403);
}

#[test]
fn code_that_cannot_run_is_refused_by_build_naming_the_namespace() {
    for (code, why) in [
        ("export function onPublish(ctx) {", "does not parse"),
        ("export function request(ctx) { return {}; }", "exports neither onPublish nor onSubscribe"),
    ] {
        let err = demo_builder()
            .channel_namespace(ChannelNamespace::new("chat").code(code))
            .build()
            .expect_err("refused");
        assert_eq!(err.field(), Some("channel_namespace"), "{err}");
        assert!(err.to_string().contains("\"chat\"") && err.to_string().contains(why), "{err}");
    }
    let err = demo_builder()
        .channel_namespace(
            ChannelNamespace::new("chat")
                .code("export const onPublish = (ctx) => ctx.events;")
                .handler(Nothing),
        )
        .build()
        .expect_err("refused");
    assert!(err.to_string().contains("both a handler and code"), "{err}");
}

struct Nothing;
impl appsync_local::events::NamespaceHandler for Nothing {}

fn template() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/events-project/template.yaml")
}

#[test]
fn a_templates_event_api_is_read_with_its_namespaces_and_their_code() {
    let api = ProjectReader::template(template()).read_events().expect("the Event API");
    assert_eq!((api.logical_id.as_str(), api.name.as_str()), ("EventApi", "chat-events"));
    assert_eq!(api.auth_providers, vec![AuthMode::ApiKey, AuthMode::Iam]);
    assert_eq!(api.subscribe_auth, vec![AuthMode::ApiKey]);
    let names: Vec<&str> = api.namespaces.iter().map(|n| n.name.as_str()).collect();
    assert_eq!(names, ["announcements", "chat", "open", "saved"]);
    let announcements = &api.namespaces[0];
    assert_eq!(announcements.publish_auth, Some(vec![AuthMode::Iam]));
    assert!(announcements.code.as_ref().is_some_and(|c| c.inline && c.text.contains("onPublish")));
    let chat = api.namespaces[1].code.as_ref().expect("chat's code");
    assert!(!chat.inline && chat.path.ends_with("handlers/chat.js") && chat.text.contains("Banned word"));
    assert!(api.namespaces[2].code.is_none());
    // Its handlers are a Lambda function (DIRECT) and a table (CODE), both the API's data sources.
    assert_eq!(api.namespaces[2].on_publish, Some(HandlerConfig::direct("ChatLambda")));
    assert_eq!(api.namespaces[2].on_subscribe, Some(HandlerConfig::direct("ChatLambda")));
    assert_eq!(api.namespaces[3].on_publish, Some(HandlerConfig::code("MessagesTable")));
    let sources: Vec<(&str, &str)> =
        api.data_sources.iter().map(|d| (d.name.as_str(), d.kind.type_name())).collect();
    assert_eq!(sources, [("ChatLambda", "AWS_LAMBDA"), ("MessagesTable", "AMAZON_DYNAMODB")]);
    assert_eq!(api.tables.len(), 1);
    assert!(api.unsupported.is_empty(), "{:?}", api.unsupported);

    // The same template has no GraphQL API, and says so in a way callers can ask about.
    let err = ProjectReader::template(template()).read().expect_err("no GraphQL API");
    assert!(err.is_no_api() && err.is_project(), "{err}");
}

#[tokio::test]
async fn a_templates_handlers_run_with_its_auth_modes() {
    let api = ProjectReader::template(template()).read_events().expect("the Event API");
    let builder = Emulator::builder()
        .api_key(ApiKey::new(API_KEY))
        .iam_credentials(Credentials::new(AKID, SECRET, None, None))
        .default_auth(AuthMode::ApiKey)
        .event_api(api);
    let s = start(builder).await;
    let mut ws = connect(&s, &api_key(&s.host, API_KEY)).await;
    init(&mut ws).await;
    subscribed(&mut ws, "chat", "/chat/*", api_key(&s.host, API_KEY)).await;
    subscribed(&mut ws, "news", "/announcements/*", api_key(&s.host, API_KEY)).await;
    assert_eq!(
        subscribe(&mut ws, "p", "/chat/private", api_key(&s.host, API_KEY)).await["type"],
        "subscribe_error"
    );

    let p = post_key(&s, "/chat/lobby", &[r#"{"text":"hello"}"#]).await;
    assert_eq!(p.status, 200, "{}", p.text);
    let got = data(&mut ws, 1).await;
    assert_eq!(got[0].0, "chat");
    assert_eq!(
        serde_json::from_str::<Value>(&got[0].1).ok(),
        Some(json!({"room": "lobby", "text": "hello"}))
    );
    let p = post_key(&s, "/chat/lobby", &[r#"{"text":"spam"}"#]).await;
    assert_eq!(p.status, 403, "{}", p.text);
    assert_eq!(p.body["errors"][0], json!({"errorType": "BadRequestException", "message": "Banned word"}));

    // Announcements: IAM publishers only, stamped with who published.
    assert_eq!(post_key(&s, "/announcements/all", &["{}"]).await.status, 401);
    let events = [r#"{"title":"v2"}"#];
    let body = json!({"channel": "/announcements/all", "events": events}).to_string();
    send(&mut ws, publish_msg("n", "/announcements/all", &events, iam(&s.host, body.as_bytes(), SECRET)))
        .await;
    let [data_msg, answer] = data_and_answer(&mut ws).await;
    assert_eq!(answer["type"], "publish_success", "{answer}");
    let event = data_msg["event"].as_str().and_then(|e| serde_json::from_str::<Value>(e).ok());
    assert_eq!(event, Some(json!({"by": AKID, "title": "v2"})));
}
