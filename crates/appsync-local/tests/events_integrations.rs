//! AppSync Events namespaces wired to data sources, over real sockets: `CODE` handlers whose
//! `request`/`response` store and read events in a DynamoDB table (the embedded engine) from a
//! CloudFormation template; a direct Lambda integration (served over the Runtime Interface
//! Emulator's API) deciding what is broadcast and who subscribes; an `EVENT` invocation not
//! waited for; a `CODE` handler over a Lambda whose failure reaches `ctx.error`; and the build
//! errors of integrations that could never run.
#![allow(missing_docs)]
// Test helpers: a failed expect is the test failing, with its message.
#![allow(clippy::expect_used)]

mod support;

use std::path::Path;
use std::time::Duration;

use appsync_local::data_sources::LambdaFunction;
use appsync_local::events::{ChannelNamespace, HandlerConfig, LambdaInvokeType};
use appsync_local::project::ProjectReader;
use appsync_local::{ApiKey, AuthMode, Credentials, Emulator, EmulatorBuilder};
use serde_json::{Value, json};
use support::events::*;
use support::*;

fn template_api() -> appsync_local::project::EventApiDefinition {
    let template = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/events-project/template.yaml");
    ProjectReader::template(template).read_events().expect("the Event API")
}

fn template_builder() -> EmulatorBuilder {
    Emulator::builder()
        .api_key(ApiKey::new(API_KEY))
        .iam_credentials(Credentials::new(AKID, SECRET, None, None))
        .default_auth(AuthMode::ApiKey)
        .event_api(template_api())
}

fn event_of(raw: &str) -> Value {
    serde_json::from_str(raw).expect("a JSON event")
}

#[tokio::test]
async fn code_handlers_store_events_in_the_templates_table_and_read_it_back() {
    let s = start(template_builder()).await;
    let mut ws = connect(&s, &api_key(&s.host, API_KEY)).await;
    init(&mut ws).await;
    // onSubscribe queries the table: nothing stored on the channel yet, so it is refused.
    let refused = subscribe(&mut ws, "early", "/saved/room", api_key(&s.host, API_KEY)).await;
    assert_eq!(refused["type"], "subscribe_error", "{refused}");
    assert_eq!(refused["errors"][0]["errorType"], "Unauthorized", "{refused}");

    let p = post_key(&s, "/saved/room", &[r#"{"text":"one"}"#, r#"{"text":"two"}"#]).await;
    assert_eq!(p.status, 200, "{}", p.text);
    assert_eq!(p.body["successful"].as_array().map(Vec::len), Some(2), "{}", p.text);

    // Stored now: the subscription is allowed, and the next publish is broadcast as the
    // response handler shaped it.
    subscribed(&mut ws, "room", "/saved/room", api_key(&s.host, API_KEY)).await;
    let p = post_key(&s, "/saved/room", &[r#"{"text":"three"}"#]).await;
    assert_eq!(p.status, 200, "{}", p.text);
    let got = data(&mut ws, 1).await;
    assert_eq!(event_of(&got[0].1), json!({"text": "three", "stored": true}));
}

#[tokio::test]
async fn a_direct_lambda_decides_what_is_broadcast_and_who_subscribes() {
    let function = lambda_rie(|event| {
        let op = event["info"]["operation"].as_str().unwrap_or_default().to_owned();
        if op == "SUBSCRIBE" {
            return Ok(if event["info"]["channel"]["segments"][1] == "closed" {
                json!({"error": "this room is closed"})
            } else {
                Value::Null
            });
        }
        let events = event["events"].as_array().cloned().unwrap_or_default();
        if events.iter().any(|e| e["payload"]["reject"] == true) {
            return Ok(json!({"error": "rejected by the function"}));
        }
        let out: Vec<Value> = events
            .iter()
            .map(|e| {
                if e["payload"]["bad"] == true {
                    json!({"id": e["id"], "error": "bad event"})
                } else {
                    json!({"id": e["id"], "payload": {
                        "text": e["payload"]["text"],
                        "path": event["info"]["channel"]["path"],
                        "namespace": event["info"]["channelNamespace"]["name"],
                        "keyed": event["request"]["headers"]["x-api-key"].is_string(),
                    }})
                }
            })
            .collect();
        Ok(json!({"events": out}))
    });
    let lambda = LambdaFunction::url(&function.url).expect("the function's URL");
    let s = start(template_builder().data_source("ChatLambda", lambda)).await;
    let mut ws = connect(&s, &api_key(&s.host, API_KEY)).await;
    init(&mut ws).await;
    let refused = subscribe(&mut ws, "c", "/open/closed", api_key(&s.host, API_KEY)).await;
    assert_eq!(refused["type"], "subscribe_error", "{refused}");
    assert_eq!(refused["errors"][0]["message"], "this room is closed", "{refused}");
    subscribed(&mut ws, "o", "/open/*", api_key(&s.host, API_KEY)).await;

    let p = post_key(&s, "/open/lobby", &[r#"{"text":"hi"}"#, r#"{"bad":true}"#]).await;
    assert_eq!(p.status, 200, "{}", p.text);
    assert_eq!(p.body["failed"][0]["message"], "bad event", "{}", p.text);
    let got = data(&mut ws, 1).await;
    assert_eq!(
        event_of(&got[0].1),
        json!({"text": "hi", "path": "/open/lobby", "namespace": "open", "keyed": true})
    );

    let p = post_key(&s, "/open/lobby", &[r#"{"reject":true}"#]).await;
    assert_eq!(p.status, 403, "{}", p.text);
    assert_eq!(p.body["errors"][0]["message"], "rejected by the function", "{}", p.text);

    // The function saw AppSync's context: the events with their ids, the operation.
    let first = function
        .received()
        .iter()
        .map(appsync_testkit::PeerRequest::json)
        .find(|e| e["info"]["operation"] == "PUBLISH")
        .expect("a publish");
    assert_eq!(first["info"]["operation"], "PUBLISH");
    assert_eq!(first["events"][0]["payload"], json!({"text": "hi"}));
    assert!(first["events"][0]["id"].is_string(), "{first}");
}

#[tokio::test]
async fn an_event_invocation_is_not_waited_for_and_a_code_handlers_lambda_failure_is_ctx_error() {
    // The audit function refuses everything; invoked as EVENT, its answer changes nothing.
    let audit = lambda_rie(|_| Ok(json!({"error": "ignored"})));
    let check = lambda_rie(|event| match event["text"].as_str() {
        Some("boom") => Err(("Error".to_owned(), "the checker fell over".to_owned())),
        other => Ok(json!({"verdict": format!("ok: {}", other.unwrap_or_default())})),
    });
    let builder = demo_builder()
        .data_source("Audit", LambdaFunction::url(&audit.url).expect("URL"))
        .data_source("Check", LambdaFunction::url(&check.url).expect("URL"))
        .channel_namespace(
            ChannelNamespace::new("audited")
                .on_publish(HandlerConfig::direct("Audit").invoke_type(LambdaInvokeType::Event))
                .on_subscribe(HandlerConfig::direct("Audit").invoke_type(LambdaInvokeType::Event)),
        )
        .channel_namespace(ChannelNamespace::new("checked").on_publish(HandlerConfig::code("Check")).code(
            "import { util } from '@aws-appsync/utils';
             export const onPublish = {
               request(ctx) { return { operation: 'Invoke', payload: ctx.events[0].payload }; },
               response(ctx) {
                 if (ctx.error) { util.error(ctx.error.message, ctx.error.type); }
                 return ctx.events.map((e) => ({ id: e.id, payload: { ...e.payload, verdict: ctx.result.verdict } }));
               },
             };",
        ));
    let s = start(builder).await;
    let mut ws = connect(&s, &api_key(&s.host, API_KEY)).await;
    init(&mut ws).await;
    subscribed(&mut ws, "a", "/audited/*", api_key(&s.host, API_KEY)).await;
    subscribed(&mut ws, "c", "/checked/*", api_key(&s.host, API_KEY)).await;

    let p = post_key(&s, "/audited/x", &[r#"{"n":1}"#]).await;
    assert_eq!(p.status, 200, "{}", p.text);
    assert_eq!(event_of(&data(&mut ws, 1).await[0].1), json!({"n": 1}));
    // Subscribing and publishing each invoked it once, on its own.
    wait_until("the audit function invoked twice", Duration::from_secs(10), || audit.received().len() >= 2)
        .await;
    let operations: Vec<String> =
        audit.received().iter().map(|r| r.json()["info"]["operation"].to_string()).collect();
    assert!(operations.contains(&"\"PUBLISH\"".to_owned()), "{operations:?}");

    let p = post_key(&s, "/checked/x", &[r#"{"text":"fine"}"#]).await;
    assert_eq!(p.status, 200, "{}", p.text);
    assert_eq!(event_of(&data(&mut ws, 1).await[0].1), json!({"text": "fine", "verdict": "ok: fine"}));
    let p = post_key(&s, "/checked/x", &[r#"{"text":"boom"}"#]).await;
    assert_eq!(p.status, 403, "{}", p.text);
    assert_eq!(
        p.body["errors"][0],
        json!({"errorType": "Lambda:Unhandled", "message": "the checker fell over"}),
        "{}",
        p.text
    );
}

#[test]
fn integrations_that_could_never_run_are_refused_by_build() {
    let missing = demo_builder()
        .channel_namespace(ChannelNamespace::new("a").on_publish(HandlerConfig::direct("Nowhere")))
        .build()
        .expect_err("no such data source");
    assert_eq!(missing.field(), Some("channel_namespace"));
    assert!(missing.to_string().contains("\"Nowhere\", which does not exist"), "{missing}");

    let no_export = demo_builder()
        .data_source("Fn", LambdaFunction::command("cat"))
        .channel_namespace(
            ChannelNamespace::new("a")
                .on_publish(HandlerConfig::code("Fn"))
                .code("export function onSubscribe(ctx) {}"),
        )
        .build()
        .expect_err("no onPublish to run");
    assert!(no_export.to_string().contains("exports no onPublish"), "{no_export}");
}
