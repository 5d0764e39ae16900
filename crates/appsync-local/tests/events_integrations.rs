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

use appsync_local::data_sources::{HttpDataSource, LambdaFunction};
use appsync_local::events::{ChannelNamespace, HandlerConfig, LambdaInvokeType};
use appsync_local::project::ProjectReader;
use appsync_local::{
    ApiKey, AuthMode, Credentials, Emulator, EmulatorBuilder, LambdaAuthorization, LambdaRequest,
};
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

    // Only a Lambda function can be a DIRECT integration (CloudFormation's rule).
    for (name, builder) in [
        ("Api", demo_builder().data_source("Api", HttpDataSource::new("http://127.0.0.1:9").expect("URL"))),
        ("NONE", demo_builder()),
    ] {
        let err = builder
            .channel_namespace(ChannelNamespace::new("a").on_subscribe(HandlerConfig::direct(name)))
            .build()
            .expect_err("not a Lambda function");
        assert_eq!(err.field(), Some("channel_namespace"));
        let kind = if name == "NONE" { "NONE" } else { "HTTP" };
        let expected =
            format!("OnSubscribe: DIRECT behavior needs an AWS_LAMBDA data source; {name:?} is {kind}");
        assert!(err.to_string().contains(&expected), "{err}");
    }
    // A data source of the caller's own type may stand for a function.
    demo_builder()
        .data_source("Mine", appsync_js::NoneDataSource)
        .data_source("Mine", LambdaFunction::command("cat"))
        .channel_namespace(ChannelNamespace::new("a").on_publish(HandlerConfig::direct("Mine")))
        .build()
        .expect("a Lambda function given after another source of the same name");
}

/// A namespace whose `onPublish` and `onSubscribe` call an HTTP service through a `CODE`
/// integration: the request handlers build the HTTP request, the response handlers read
/// `ctx.result` (`{statusCode, headers, body}`) or `ctx.error`.
const MODERATED: &str = r"
import { util } from '@aws-appsync/utils';

export const onPublish = {
  request(ctx) {
    return {
      method: 'POST',
      resourcePath: '/moderate',
      params: {
        query: { namespace: ctx.info.channelNamespace.name },
        headers: { 'content-type': 'application/json', 'x-channel': ctx.info.channel.path },
        body: JSON.stringify({ events: ctx.events }),
      },
    };
  },
  response(ctx) {
    if (ctx.error) { util.error(ctx.error.message, ctx.error.type); }
    if (ctx.result.statusCode !== 200) {
      util.error('moderation answered ' + ctx.result.statusCode, 'Moderation');
    }
    return JSON.parse(ctx.result.body).kept;
  },
};

export const onSubscribe = {
  request(ctx) {
    return { method: 'GET', resourcePath: '/rooms/' + ctx.info.channel.segments[1] };
  },
  response(ctx) {
    if (ctx.error) { util.error(ctx.error.message, ctx.error.type); }
    if (ctx.result.statusCode !== 200) { util.unauthorized(); }
  },
};
";

/// The moderation service: `POST /v1/moderate` keeps the events that are not spam, their
/// text in capitals, and fails with 500 on `crash`; `GET /v1/rooms/<room>` is 200 for open
/// rooms, 403 for `closed`.
fn moderation_service() -> Peer {
    http_peer(|request| {
        let json_type = vec![("content-type".to_owned(), "application/json".to_owned())];
        let path = request.uri.split('?').next().unwrap_or_default();
        match (request.method.as_str(), path) {
            ("POST", "/v1/moderate") => {
                let events = request.json()["events"].as_array().cloned().unwrap_or_default();
                if events.iter().any(|e| e["payload"]["crash"] == true) {
                    return (500, json_type, br#"{"message":"down"}"#.to_vec());
                }
                let kept: Vec<Value> = events
                    .iter()
                    .filter(|e| e["payload"]["spam"] != true)
                    .map(|e| {
                        let text = e["payload"]["text"].as_str().unwrap_or_default().to_uppercase();
                        json!({"id": e["id"], "payload": {"text": text}})
                    })
                    .collect();
                (200, json_type, json!({ "kept": kept }).to_string().into_bytes())
            }
            ("GET", room) if room.starts_with("/v1/rooms/") => {
                let open = !room.ends_with("/closed");
                (if open { 200 } else { 403 }, json_type, json!({ "open": open }).to_string().into_bytes())
            }
            _ => (404, Vec::new(), Vec::new()),
        }
    })
}

#[tokio::test]
async fn code_handlers_call_an_http_data_source_on_publish_and_subscribe() {
    let service = moderation_service();
    let source = HttpDataSource::new(&format!("{}/v1", service.url)).expect("the service's URL");
    // A port nothing listens on: bound, then let go.
    let gone = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    let gone_url = format!("http://{}", gone.local_addr().expect("its address"));
    drop(gone);
    let builder = demo_builder()
        .data_source("Moderation", source)
        .data_source("Gone", HttpDataSource::new(&gone_url).expect("URL"))
        .channel_namespace(
            ChannelNamespace::new("mod")
                .on_publish(HandlerConfig::code("Moderation"))
                .on_subscribe(HandlerConfig::code("Moderation"))
                .code(MODERATED),
        )
        .channel_namespace(
            ChannelNamespace::new("down").on_publish(HandlerConfig::code("Gone")).code(MODERATED),
        );
    let s = start(builder).await;
    let mut ws = connect(&s, &api_key(&s.host, API_KEY)).await;
    init(&mut ws).await;

    // onSubscribe: the service's 403 refuses this subscription only.
    let refused = subscribe(&mut ws, "c", "/mod/closed", api_key(&s.host, API_KEY)).await;
    assert_eq!(
        refused,
        json!({"type": "subscribe_error", "id": "c", "errors": [
            {"errorType": "Unauthorized", "message": "You are not authorized to make this call."}
        ]})
    );
    subscribed(&mut ws, "l", "/mod/lobby", api_key(&s.host, API_KEY)).await;
    let rooms: Vec<String> = service.received().iter().map(|r| format!("{} {}", r.method, r.uri)).collect();
    assert_eq!(rooms, ["GET /v1/rooms/closed", "GET /v1/rooms/lobby"]);

    // onPublish over HTTP: what the service kept, as it shaped it; the spam is accepted and
    // not broadcast.
    let p = post_key(&s, "/mod/lobby", &[r#"{"text":"hi"}"#, r#"{"text":"buy","spam":true}"#]).await;
    assert_eq!(p.status, 200, "{}", p.text);
    assert_eq!(p.body["successful"].as_array().map(Vec::len), Some(2), "{}", p.text);
    assert_eq!(p.body["failed"], json!([]), "{}", p.text);
    let got = data(&mut ws, 1).await;
    assert_eq!(got[0].0, "l");
    assert_eq!(event_of(&got[0].1), json!({"text": "HI"}));

    // The request the handler built: method, path under the endpoint's, query, headers, body
    // with the events' ids and parsed payloads.
    let sent = service.received().into_iter().find(|r| r.method == "POST").expect("a POST");
    assert_eq!(sent.uri, "/v1/moderate?namespace=mod");
    assert_eq!(sent.header("x-channel"), Some("/mod/lobby"));
    assert_eq!(sent.header("content-type"), Some("application/json"));
    let events = sent.json()["events"].clone();
    assert_eq!(events[0]["payload"], json!({"text": "hi"}));
    assert_eq!(events[1]["payload"], json!({"text": "buy", "spam": true}));
    let ids: Vec<&str> = p.body["successful"]
        .as_array()
        .expect("a list")
        .iter()
        .map(|e| e["identifier"].as_str().expect("an identifier"))
        .collect();
    assert_eq!(events[0]["id"], ids[0], "the handler's ids are the publish result's identifiers");

    // The same over the socket.
    send(&mut ws, publish_msg("p", "/mod/lobby", &[r#"{"text":"again"}"#], api_key(&s.host, API_KEY))).await;
    let [delivered, answer] = data_and_answer(&mut ws).await;
    assert_eq!(answer["type"], "publish_success", "{answer}");
    assert_eq!(event_of(delivered["event"].as_str().expect("a string")), json!({"text": "AGAIN"}));

    // A status the response handler refuses, and a service that cannot be reached: the whole
    // publish is refused with what the handler raised, and nothing is broadcast.
    let p = post_key(&s, "/mod/lobby", &[r#"{"crash":true}"#]).await;
    assert_eq!(p.status, 403, "{}", p.text);
    assert_eq!(p.body["errors"][0], json!({"errorType": "Moderation", "message": "moderation answered 500"}));
    let p = post_key(&s, "/down/x", &[r#"{"text":"x"}"#]).await;
    assert_eq!(p.status, 403, "{}", p.text);
    assert_eq!(p.body["errors"][0]["errorType"], appsync_local::data_sources::UNREACHABLE_ERROR_TYPE);
    assert!(
        p.body["errors"][0]["message"].as_str().is_some_and(|m| m.contains("could not be reached")),
        "{}",
        p.text
    );
    // Only the socket's own publish was delivered since: nothing after the refused ones.
    send(&mut ws, publish_msg("q", "/mod/lobby", &[r#"{"text":"last"}"#], api_key(&s.host, API_KEY))).await;
    let [delivered, _] = data_and_answer(&mut ws).await;
    assert_eq!(event_of(delivered["event"].as_str().expect("a string")), json!({"text": "LAST"}));
}

/// An IAM-signed `POST /event` with `extra` unsigned headers (a proxy's `x-forwarded-for`).
async fn post_iam_with(s: &Server, channel: &str, events: &[&str], extra: &[(&str, &str)]) -> Post {
    let body = serde_json::to_vec(&json!({"channel": channel, "events": events})).expect("json");
    let mut req = s.client.post(format!("http://{}/event", s.host));
    for (name, value) in iam(&s.host, &body, SECRET) {
        if name != "host" {
            req = req.header(name, value.as_str().expect("a string").to_owned());
        }
    }
    for (name, value) in extra {
        req = req.header(*name, *value);
    }
    let resp = req.body(body).send().await.expect("send");
    let status = resp.status().as_u16();
    let text = resp.text().await.expect("body");
    Post { status, body: serde_json::from_str(&text).unwrap_or(Value::Null), text }
}

#[tokio::test]
async fn the_direct_event_has_every_field_appsync_sends() {
    // The event AppSync sends a DIRECT Lambda integration, field by field, as Powertools for AWS
    // Lambda (AWS-maintained) parses it: its TypeScript parser's `AppSyncEventsBaseSchema`
    // (`identity`, `result: null`, `request {headers, domainName}`, `info {channel {path,
    // segments}, channelNamespace {name}, operation}`, `error: null`, `prev: null`, `stash`,
    // `outErrors: []`, `events`: a list on publish, `null` on subscribe) and its Python test
    // event `appSyncEventsEvent.json` (`domainName` null without a custom domain; the HTTP
    // request's own headers, `x-forwarded-for` among them). `identity` has the resolvers' shapes
    // (`null` for an API key), `sourceIp` included.
    let function = lambda_rie(|event| {
        Ok(if event["info"]["operation"] == "PUBLISH" {
            json!({"events": event["events"]})
        } else {
            Value::Null
        })
    });
    let builder = demo_builder()
        .lambda_authorizer(|req: LambdaRequest| async move {
            let context = json!({"user": req.authorization_token}).as_object().cloned().unwrap_or_default();
            LambdaAuthorization::allow().resolver_context(context)
        })
        .data_source("Fn", LambdaFunction::url(&function.url).expect("URL"))
        .channel_namespace(
            ChannelNamespace::new("direct")
                .on_publish(HandlerConfig::direct("Fn"))
                .on_subscribe(HandlerConfig::direct("Fn")),
        );
    let s = start(builder).await;
    let mut ws = connect_with(&s, &api_key(&s.host, API_KEY), &[("x-forwarded-for", "198.51.100.2")]).await;
    init(&mut ws).await;
    subscribed(&mut ws, "d", "/direct/*", api_key(&s.host, API_KEY)).await;
    let p =
        post_iam_with(&s, "/direct/room", &[r#"{"text":"hi"}"#], &[("x-forwarded-for", "203.0.113.7")]).await;
    assert_eq!(p.status, 200, "{}", p.text);
    assert_eq!(event_of(&data(&mut ws, 1).await[0].1), json!({"text": "hi"}));
    // A publish on the socket, signed by IAM, from the connection's addresses.
    let events = [r#"{"n":2}"#];
    let signed = serde_json::to_vec(&json!({"channel": "/direct/room", "events": events})).expect("json");
    send(&mut ws, publish_msg("w", "/direct/room", &events, iam(&s.host, &signed, SECRET))).await;
    let [_, answer] = data_and_answer(&mut ws).await;
    assert_eq!(answer["type"], "publish_success", "{answer}");
    // A Lambda-authorized publish: its authorizer's context.
    let p = post(
        &s,
        &[("authorization", "ann".to_owned())],
        &json!({"channel": "/direct/room", "events": ["3"]}),
    )
    .await;
    assert_eq!(p.status, 200, "{}", p.text);
    assert_eq!(data(&mut ws, 1).await[0].1, "3");

    let received: Vec<Value> = function.received().iter().map(appsync_testkit::PeerRequest::json).collect();
    assert_eq!(received.len(), 4, "one subscribe, three publishes: {received:?}");
    let fields = |event: &Value| {
        let mut names: Vec<String> = event.as_object().expect("an object").keys().cloned().collect();
        names.sort();
        names
    };
    let iam_identity = |source_ip: Value| {
        json!({
            "accountId": appsync_local::project::LOCAL_ACCOUNT_ID,
            "cognitoIdentityPoolId": null,
            "cognitoIdentityId": null,
            "sourceIp": source_ip,
            "username": AKID,
            "userArn": format!("arn:aws:iam::{}:user/{AKID}", appsync_local::project::LOCAL_ACCOUNT_ID),
            "cognitoIdentityAuthType": null,
            "cognitoIdentityAuthProvider": null,
        })
    };
    let every = ["error", "events", "identity", "info", "outErrors", "prev", "request", "result", "stash"];

    let subscribe = &received[0];
    assert_eq!(fields(subscribe), every);
    assert_eq!(subscribe["identity"], Value::Null, "an API key caller has no identity");
    assert_eq!(subscribe["events"], Value::Null);
    assert_eq!(
        subscribe["info"],
        json!({"channel": {"path": "/direct/*", "segments": ["direct", "*"]},
               "channelNamespace": {"name": "direct"}, "operation": "SUBSCRIBE"})
    );
    for event in &received {
        assert_eq!(
            (&event["result"], &event["error"], &event["prev"], &event["stash"], &event["outErrors"]),
            (&Value::Null, &Value::Null, &Value::Null, &json!({}), &json!([])),
            "{event}"
        );
        assert_eq!(fields(&event["request"]), ["domainName", "headers"], "{event}");
        assert_eq!(event["request"]["domainName"], Value::Null, "no custom domain: {event}");
    }

    let http =
        received.iter().find(|e| e["events"][0]["payload"] == json!({"text": "hi"})).expect("the HTTP one");
    assert_eq!(fields(http), every);
    assert_eq!(
        http["info"],
        json!({"channel": {"path": "/direct/room", "segments": ["direct", "room"]},
               "channelNamespace": {"name": "direct"}, "operation": "PUBLISH"})
    );
    assert_eq!(http["identity"], iam_identity(json!(["203.0.113.7", "127.0.0.1"])));
    assert!(http["events"][0]["id"].is_string(), "{http}");
    // The HTTP request's own headers, names in lower case.
    let headers = &http["request"]["headers"];
    assert_eq!(headers["x-forwarded-for"], "203.0.113.7", "{headers}");
    assert_eq!(headers["host"], s.host.as_str(), "{headers}");
    assert!(
        headers["authorization"].as_str().is_some_and(|a| a.starts_with("AWS4-HMAC-SHA256")),
        "{headers}"
    );

    let socket =
        received.iter().find(|e| e["events"][0]["payload"] == json!({"n": 2})).expect("the socket's");
    assert_eq!(socket["identity"], iam_identity(json!(["198.51.100.2", "127.0.0.1"])));
    // Events names the authorizer's context `handlerContext` (Powertools' `AppSyncLambdaAuthIdentity`),
    // where resolvers get `resolverContext`.
    let lambda = received.iter().find(|e| e["events"][0]["payload"] == json!(3)).expect("the Lambda one");
    assert_eq!(lambda["identity"], json!({"handlerContext": {"user": "ann"}}));
}
