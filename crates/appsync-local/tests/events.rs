//! AppSync Events over real sockets on 127.0.0.1: `POST /event` and the WebSocket at
//! `/event/realtime`, every auth mode per message (IAM signed by appsync-sigv4 over the compact
//! bodies clients sign), forged signatures, channel rules, AppSync's limits, wildcards,
//! unsubscribe, namespaces, the Rust-side publish and observe, and the namespace handler hook.
#![allow(missing_docs)]
// Test helpers: a failed expect is the test failing, with its message.
#![allow(clippy::expect_used)]

mod support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use appsync_local::events::{
    ChannelNamespace, EventsOptions, HandlerError, HandlerFuture, NamespaceHandler, OutgoingEvent,
    PublishContext, SubscribeContext,
};
use appsync_local::{AuthMode, DemoToken, EmulatorBuilder, JwtConfig, LambdaAuthorization, LambdaRequest};
use futures_util::SinkExt;
use serde_json::{Value, json};
use support::events::*;
use support::*;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

const NOT_AUTHORIZED: &str = "You are not authorized to make this call.";
const MISMATCH: &str = "The request signature we calculated does not match the signature you provided. \
                        Check your AWS Secret Access Key and signing method. Consult the service \
                        documentation for details.";

/// Every mode the tests use: IAM (default), API key, Cognito (demo JWKS), a Lambda token.
fn all_modes() -> EmulatorBuilder {
    demo_builder().cognito_user_pools(JwtConfig::demo()).lambda_token("lambda-token-ok")
}

/// Ordinary SigV4 over the real body of `POST /event`.
async fn post_iam(s: &Server, channel: &str, events: &[&str], secret: &str) -> Post {
    let body = json!({"channel": channel, "events": events});
    let bytes = serde_json::to_vec(&body).expect("json");
    let signed = iam(&s.host, &bytes, secret);
    let headers: Vec<(&str, String)> = signed
        .iter()
        .filter(|(k, _)| k.as_str() != "host")
        .map(|(k, v)| (leak(k), v.as_str().expect("string").to_owned()))
        .collect();
    let mut req = s.client.post(format!("http://{}/event", s.host));
    for (k, v) in headers {
        req = req.header(k, v);
    }
    let resp = req.body(bytes).send().await.expect("send");
    let status = resp.status().as_u16();
    let text = resp.text().await.expect("body");
    Post { status, body: serde_json::from_str(&text).unwrap_or(Value::Null), text }
}

fn leak(s: &str) -> &'static str {
    Box::leak(s.to_owned().into_boxed_str())
}

#[tokio::test]
async fn api_key_subscription_gets_http_and_websocket_publishes() {
    let s = start(demo_builder()).await;
    let mut ws = connect(&s, &api_key(&s.host, API_KEY)).await;
    init(&mut ws).await;
    subscribed(&mut ws, "sub-1", "/default/*", api_key(&s.host, API_KEY)).await;

    let p = post_key(&s, "/default/chat", &[r#"{"text":"hi"}"#, "42"]).await;
    assert_eq!(p.status, 200, "{}", p.text);
    let ok = p.body["successful"].as_array().expect("successful");
    assert_eq!(ok.iter().map(|e| e["index"].clone()).collect::<Vec<_>>(), vec![json!(0), json!(1)]);
    assert!(ok.iter().all(|e| uuid::Uuid::parse_str(e["identifier"].as_str().expect("id")).is_ok()));
    assert_eq!(p.body["failed"], json!([]));
    assert_eq!(
        data(&mut ws, 2).await,
        vec![("sub-1".into(), "42".into()), ("sub-1".into(), r#"{"text":"hi"}"#.into())]
    );

    send(&mut ws, publish_msg("pub-1", "default/chat", &[r#"{"n":1}"#], api_key(&s.host, API_KEY))).await;
    let got = data_and_answer(&mut ws).await;
    assert_eq!(got[0], json!({"type": "data", "id": "sub-1", "event": r#"{"n":1}"#}));
    assert_eq!(got[1]["type"], "publish_success");
    assert_eq!(got[1]["id"], "pub-1");
    assert_eq!(got[1]["successful"][0]["index"], 0);
    assert_eq!(got[1]["failed"], json!([]));
}

#[tokio::test]
async fn connection_init_is_optional() {
    let s = start(demo_builder()).await;
    let mut ws = connect(&s, &api_key(&s.host, API_KEY)).await;
    subscribed(&mut ws, "s", "/default/a", api_key(&s.host, API_KEY)).await;
    assert_eq!(post_key(&s, "/default/a", &["1"]).await.status, 200);
    assert_eq!(data(&mut ws, 1).await, vec![("s".into(), "1".into())]);
}

#[tokio::test]
async fn iam_signs_connect_subscribe_and_each_publish() {
    let s = start(demo_builder()).await;
    let mut ws = connect(&s, &iam(&s.host, b"{}", SECRET)).await;
    init(&mut ws).await;
    let channel = "/default/room/1";
    subscribed(
        &mut ws,
        "s",
        channel,
        iam(&s.host, format!(r#"{{"channel":"{channel}"}}"#).as_bytes(), SECRET),
    )
    .await;

    // Over the socket: the signature covers {"channel","events"} with the events as strings,
    // characters JSON leaves alone (<, >, é, /) included.
    let events = [r#"{"text":"<b>é</b> a/b"}"#];
    let body = serde_json::to_vec(&json!({"channel": channel, "events": events})).expect("json");
    send(&mut ws, publish_msg("p1", channel, &events, iam(&s.host, &body, SECRET))).await;
    let got = data_and_answer(&mut ws).await;
    assert_eq!(got[0]["event"], events[0]);
    assert_eq!(got[1]["type"], "publish_success", "{}", got[1]);

    // Over HTTP: ordinary SigV4 over the real body.
    let p = post_iam(&s, channel, &["7"], SECRET).await;
    assert_eq!(p.status, 200, "{}", p.text);
    assert_eq!(data(&mut ws, 1).await, vec![("s".into(), "7".into())]);
}

#[tokio::test]
async fn forged_iam_signatures_are_refused_and_nothing_is_delivered() {
    let s = start(demo_builder()).await;
    let emulator_events = {
        // The hub sees every accepted publish: the first one it sees must be the genuine one.
        let mut ws = connect(&s, &iam(&s.host, b"{}", SECRET)).await;
        init(&mut ws).await;
        subscribed(&mut ws, "s", "/default/*", iam(&s.host, br#"{"channel":"/default/*"}"#, SECRET)).await;

        // Signed with the wrong secret: AWS's SigV4 sentence as a BadRequestException
        // (aws-appsync-community #400).
        let events = ["1"];
        let body = serde_json::to_vec(&json!({"channel": "/default/a", "events": events})).expect("json");
        send(&mut ws, publish_msg("forged", "/default/a", &events, iam(&s.host, &body, "not-the-secret")))
            .await;
        assert_eq!(
            recv(&mut ws).await,
            Some(
                json!({"type": "publish_error", "id": "forged", "errors": [{"errorType": "BadRequestException", "message": MISMATCH}]})
            )
        );
        // Signed right, then the events changed: the rebuilt body no longer matches.
        let auth = iam(&s.host, &body, SECRET);
        send(&mut ws, publish_msg("tampered", "/default/a", &["2"], auth.clone())).await;
        assert_eq!(recv(&mut ws).await.expect("answer")["type"], "publish_error");
        // The same signature on another channel.
        send(&mut ws, publish_msg("moved", "/default/b", &events, auth.clone())).await;
        assert_eq!(recv(&mut ws).await.expect("answer")["type"], "publish_error");
        // The genuine one is delivered, and is the first event the subscription sees.
        send(&mut ws, publish_msg("genuine", "/default/a", &events, auth)).await;
        let got = data_and_answer(&mut ws).await;
        assert_eq!(got[0], json!({"type": "data", "id": "s", "event": "1"}));
        assert_eq!(got[1]["type"], "publish_success");
        ws
    };
    drop(emulator_events);

    // Over HTTP: AppSync's 403 InvalidSignatureException.
    let p = post_iam(&s, "/default/a", &["1"], "not-the-secret").await;
    assert_eq!(p.status, 403, "{}", p.text);
    assert_eq!(p.body["errors"][0]["errorType"], "InvalidSignatureException");
}

#[tokio::test]
async fn a_forged_connect_signature_gets_connection_error_in_awss_words() {
    // amplify-js #14001: a BadRequestException with the SigV4 mismatch sentence.
    let s = start(demo_builder()).await;
    let mut ws = connect(&s, &iam(&s.host, b"{}", "not-the-secret")).await;
    send(&mut ws, json!({"type": "connection_init"})).await;
    assert_eq!(
        recv(&mut ws).await,
        Some(
            json!({"type": "connection_error", "errors": [{"errorType": "BadRequestException", "message": MISMATCH}]})
        )
    );
    assert_eq!(recv(&mut ws).await, None, "closed after the error");
}

#[tokio::test]
async fn cognito_jwts_in_upgrade_headers_and_lambda_tokens_per_message() {
    let s = start(all_modes()).await;
    let jwt = DemoToken::new("alice").sign().expect("sign");
    // amplify-android and Swift put the connect auth on the upgrade request itself.
    let mut req = format!("ws://{}/event/realtime", s.host).into_client_request().expect("request");
    req.headers_mut().insert("sec-websocket-protocol", "aws-appsync-event-ws".parse().expect("header"));
    req.headers_mut().insert("authorization", jwt.parse().expect("header"));
    let (mut ws, _) = tokio_tungstenite::connect_async(req).await.expect("upgrade");
    init(&mut ws).await;
    subscribed(&mut ws, "s", "/default/a", token(&s.host, &jwt)).await;
    send(&mut ws, publish_msg("p", "/default/a", &["true"], token(&s.host, &jwt))).await;
    let got = data_and_answer(&mut ws).await;
    assert_eq!(got[0]["event"], "true");
    assert_eq!(got[1]["type"], "publish_success", "{}", got[1]);
    // A Lambda token the emulator accepts (`lambda_token`), per message on the same socket.
    subscribed(&mut ws, "l", "/default/b", token(&s.host, "lambda-token-ok")).await;
    assert_eq!(
        subscribe(&mut ws, "l2", "/default/b", token(&s.host, "lambda-token-no")).await["type"],
        "subscribe_error"
    );
    // A token signed by someone else.
    let forged = format!("{}x", &jwt[..jwt.len() - 1]);
    assert_eq!(
        subscribe(&mut ws, "bad", "/default/b", token(&s.host, &forged)).await["type"],
        "subscribe_error"
    );
}

#[tokio::test]
async fn lambda_authorizer_is_told_the_operation_namespace_and_channel() {
    type Seen = (Option<String>, Option<String>, Option<String>);
    let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
    let record = Arc::clone(&seen);
    let builder = demo_builder().lambda_authorizer(move |req: LambdaRequest| {
        let record = Arc::clone(&record);
        async move {
            let allow = req.authorization_token == "let-me-in"
                && req.channel.as_deref() != Some("/default/forbidden");
            if let Ok(mut seen) = record.lock() {
                seen.push((req.operation, req.channel_namespace_name, req.channel));
            }
            if allow { LambdaAuthorization::allow() } else { LambdaAuthorization::deny() }
        }
    });
    let s = start(builder).await;
    let mut ws = connect(&s, &token(&s.host, "let-me-in")).await;
    init(&mut ws).await;
    subscribed(&mut ws, "s", "/default/a", token(&s.host, "let-me-in")).await;
    let refused = subscribe(&mut ws, "f", "/default/forbidden", token(&s.host, "let-me-in")).await;
    assert_eq!(refused["errors"][0]["errorType"], "UnauthorizedException");
    let p = post(
        &s,
        &[("authorization", "let-me-in".to_owned())],
        &json!({"channel": "/default/a", "events": ["1"]}),
    )
    .await;
    assert_eq!(p.status, 200, "{}", p.text);
    assert_eq!(data(&mut ws, 1).await, vec![("s".into(), "1".into())]);
    let p = post(
        &s,
        &[("authorization", "wrong".to_owned())],
        &json!({"channel": "/default/a", "events": ["1"]}),
    )
    .await;
    assert_eq!(p.status, 401);

    let seen = seen.lock().expect("lock").clone();
    let some = |s: &str| Some(s.to_owned());
    assert_eq!(seen[0], (some("EVENT_CONNECT"), None, None));
    assert_eq!(seen[1], (some("EVENT_SUBSCRIBE"), some("default"), some("/default/a")));
    assert_eq!(seen[2], (some("EVENT_SUBSCRIBE"), some("default"), some("/default/forbidden")));
    assert_eq!(seen[3], (some("EVENT_PUBLISH"), some("default"), some("/default/a")));
}

#[tokio::test]
async fn a_wrong_key_at_connect_gets_connection_error() {
    let s = start(demo_builder()).await;
    let mut ws = connect(&s, &api_key(&s.host, "da2-wrong")).await;
    send(&mut ws, json!({"type": "connection_init"})).await;
    assert_eq!(
        recv(&mut ws).await,
        Some(json!({"type": "connection_error", "errors": [{"errorType": "UnauthorizedException"}]}))
    );
    assert_eq!(recv(&mut ws).await, None, "closed after the error");
}

#[tokio::test]
async fn connection_auth_modes_decide_who_connects_not_who_publishes_or_subscribes() {
    // ConnectionAuthModes: API key only. Subscribing and publishing still take the namespace's
    // modes (here every mode), over HTTP and on an API key connection.
    let s = start(all_modes().events(EventsOptions::default().connection_auth([AuthMode::ApiKey]))).await;
    for refused in [iam(&s.host, b"{}", SECRET), token(&s.host, "lambda-token-ok")] {
        let mut ws = connect(&s, &refused).await;
        send(&mut ws, json!({"type": "connection_init"})).await;
        assert_eq!(
            recv(&mut ws).await,
            Some(json!({"type": "connection_error", "errors": [{"errorType": "UnauthorizedException"}]}))
        );
        assert_eq!(recv(&mut ws).await, None, "closed after the error");
    }
    let mut ws = connect(&s, &api_key(&s.host, API_KEY)).await;
    init(&mut ws).await;
    subscribed(&mut ws, "iam", "/default/a", iam(&s.host, br#"{"channel":"/default/a"}"#, SECRET)).await;
    assert_eq!(post_iam(&s, "/default/a", &["1"], SECRET).await.status, 200);
    assert_eq!(data(&mut ws, 1).await, vec![("iam".into(), "1".into())]);
    send(&mut ws, publish_msg("p", "/default/a", &["2"], token(&s.host, "lambda-token-ok"))).await;
    let [event, answer] = data_and_answer(&mut ws).await;
    assert_eq!((event["event"].as_str(), answer["type"].as_str()), (Some("2"), Some("publish_success")));
}

#[tokio::test]
async fn a_connection_is_closed_at_the_end_of_its_lifetime() {
    let lifetime = Duration::from_secs(1);
    let s = start(demo_builder().events(EventsOptions::default().connection_lifetime(lifetime))).await;
    // Busy (subscribed, keep-alives flowing) or not, it goes at the end of its lifetime.
    let mut ws = connect(&s, &api_key(&s.host, API_KEY)).await;
    init(&mut ws).await;
    subscribed(&mut ws, "s", "/default/a", api_key(&s.host, API_KEY)).await;
    assert_eq!(close_frame(&mut ws).await, (1001, "connection lifetime reached".to_owned()));
    // A new connection gets a lifetime of its own.
    let mut again = connect(&s, &api_key(&s.host, API_KEY)).await;
    init(&mut again).await;
    subscribed(&mut again, "s", "/default/a", api_key(&s.host, API_KEY)).await;
}

#[tokio::test]
async fn the_subprotocol_is_required_and_a_plain_get_is_400() {
    let s = start(demo_builder()).await;
    let mut req = format!("ws://{}/event/realtime", s.host).into_client_request().expect("request");
    req.headers_mut().insert("x-api-key", API_KEY.parse().expect("header"));
    let (mut ws, _) = tokio_tungstenite::connect_async(req).await.expect("upgrade");
    // The error comes at once, before the client says anything; the close after its first message.
    let m = recv(&mut ws).await.expect("connection_error");
    assert_eq!(
        (m["type"].as_str(), m["errors"][0]["errorType"].as_str()),
        (Some("connection_error"), Some("UnsupportedOperation"))
    );
    send(&mut ws, json!({"type": "connection_init"})).await;
    assert_eq!(recv(&mut ws).await, None, "closed after the error");
    let resp = s.client.get(format!("http://{}/event/realtime", s.host)).send().await.expect("send");
    assert_eq!(resp.status(), 400);
}

#[tokio::test]
async fn invalid_channels_are_refused_with_the_reason() {
    let s = start(demo_builder()).await;
    for bad in ["/default/a_b", "/default//a", "/a/b/c/d/e/f", "/default/-a", "/default/*", ""] {
        let p = post_key(&s, bad, &["1"]).await;
        assert_eq!(p.status, 400, "{bad}: {}", p.text);
        assert_eq!(p.body["errors"][0]["errorType"], "BadRequestException");
        assert!(
            p.body["errors"][0]["message"].as_str().expect("message").starts_with("Invalid channel"),
            "{}",
            p.text
        );
    }
    let mut ws = connect(&s, &api_key(&s.host, API_KEY)).await;
    init(&mut ws).await;
    for (i, bad) in
        ["/default/a b", "/*", "/default/*/a", &format!("/default/{}", "x".repeat(51))].iter().enumerate()
    {
        let m = subscribe(&mut ws, &format!("s{i}"), bad, api_key(&s.host, API_KEY)).await;
        assert_eq!(m["type"], "subscribe_error", "{bad}: {m}");
        assert_eq!(m["errors"][0]["errorType"], "InvalidInputError");
    }
    send(&mut ws, publish_msg("p", "/default/*", &["1"], api_key(&s.host, API_KEY))).await;
    let m = recv(&mut ws).await.expect("answer");
    assert_eq!(
        (m["type"].as_str(), m["errors"][0]["errorType"].as_str()),
        (Some("publish_error"), Some("InvalidInputError"))
    );
}

#[tokio::test]
async fn six_events_are_refused_and_an_oversized_event_is_reported() {
    let s = start(demo_builder()).await;
    let six = ["1", "2", "3", "4", "5", "6"];
    // AppSync's words over HTTP and over the socket (amplify-android live tests).
    let p = post_key(&s, "/default/a", &six).await;
    assert_eq!(p.status, 400);
    assert_eq!(
        p.body,
        json!({"errors": [{"errorType": "BadRequestException", "message": "Input exceeded 5 event limit"}]})
    );
    let mut ws = connect(&s, &api_key(&s.host, API_KEY)).await;
    init(&mut ws).await;
    subscribed(&mut ws, "s", "/default/a", api_key(&s.host, API_KEY)).await;
    send(&mut ws, publish_msg("p6", "/default/a", &six, api_key(&s.host, API_KEY))).await;
    assert_eq!(
        recv(&mut ws).await,
        Some(
            json!({"type": "publish_error", "id": "p6", "errors": [{"errorType": "InvalidInputError", "message": "input exceeded 5 event limit"}]})
        )
    );

    // One event over 240 KiB among small ones: reported failed, by index; the others go through.
    let big = format!("\"{}\"", "x".repeat(240 * 1024));
    let p = post_key(&s, "/default/a", &["1", &big, "3"]).await;
    assert_eq!(p.status, 200, "{}", p.text);
    let ok: Vec<u64> =
        p.body["successful"].as_array().expect("list").iter().filter_map(|e| e["index"].as_u64()).collect();
    assert_eq!(ok, vec![0, 2]);
    let failed = &p.body["failed"][0];
    assert_eq!((failed["index"].as_u64(), failed["code"].as_u64()), (Some(1), Some(400)));
    assert!(failed["message"].as_str().expect("message").contains("exceeds the limit of 245760 bytes"));
    assert_eq!(data(&mut ws, 2).await, vec![("s".into(), "1".into()), ("s".into(), "3".into())]);

    // Not JSON: reported too.
    let p = post_key(&s, "/default/a", &["{not json"]).await;
    assert_eq!(p.body["failed"][0]["message"], "Event is not a valid JSON value");
}

#[tokio::test]
async fn a_refused_subscription_leaves_its_siblings_alive() {
    let s = start(demo_builder()).await;
    let mut ws = connect(&s, &api_key(&s.host, API_KEY)).await;
    init(&mut ws).await;
    subscribed(&mut ws, "good", "/default/a", api_key(&s.host, API_KEY)).await;
    assert_eq!(
        subscribe(&mut ws, "bad-key", "/default/a", api_key(&s.host, "da2-wrong")).await,
        json!({"type": "subscribe_error", "id": "bad-key", "errors": [{"errorType": "UnauthorizedException", "message": NOT_AUTHORIZED}]})
    );
    assert_eq!(
        subscribe(&mut ws, "no-namespace", "/nowhere/a", api_key(&s.host, API_KEY)).await,
        json!({"type": "subscribe_error", "id": "no-namespace", "errors": [{"errorType": "UnauthorizedException"}]})
    );
    assert_eq!(
        subscribe(&mut ws, "good", "/default/b", api_key(&s.host, API_KEY)).await["type"],
        "subscribe_error"
    );
    assert_eq!(post_key(&s, "/default/a", &["1"]).await.status, 200);
    assert_eq!(data(&mut ws, 1).await, vec![("good".into(), "1".into())]);
}

#[tokio::test]
async fn wildcards_match_every_deeper_channel_only() {
    let s = start(demo_builder()).await;
    let mut ws = connect(&s, &api_key(&s.host, API_KEY)).await;
    init(&mut ws).await;
    for (id, channel) in
        [("all", "/default/*"), ("a-deep", "/default/a/*"), ("a", "/default/a"), ("b", "/default/b")]
    {
        subscribed(&mut ws, id, channel, api_key(&s.host, API_KEY)).await;
    }
    assert_eq!(post_key(&s, "/default/a/b", &["1"]).await.status, 200);
    assert_eq!(data(&mut ws, 2).await, vec![("a-deep".into(), "1".into()), ("all".into(), "1".into())]);
    assert_eq!(post_key(&s, "/default/a", &["2"]).await.status, 200);
    assert_eq!(data(&mut ws, 2).await, vec![("a".into(), "2".into()), ("all".into(), "2".into())]);
    // `/default/*` does not match `/default` itself (inferred; no source says).
    assert_eq!(post_key(&s, "/default", &["3"]).await.status, 200);
    assert_eq!(post_key(&s, "/default/b", &["4"]).await.status, 200);
    assert_eq!(data(&mut ws, 2).await, vec![("all".into(), "4".into()), ("b".into(), "4".into())]);
}

#[tokio::test]
async fn unsubscribe_stops_delivery() {
    let s = start(demo_builder()).await;
    let mut ws = connect(&s, &api_key(&s.host, API_KEY)).await;
    init(&mut ws).await;
    subscribed(&mut ws, "gone", "/default/a", api_key(&s.host, API_KEY)).await;
    subscribed(&mut ws, "kept", "/default/*", api_key(&s.host, API_KEY)).await;
    send(&mut ws, json!({"type": "unsubscribe", "id": "gone"})).await;
    assert_eq!(recv(&mut ws).await, Some(json!({"type": "unsubscribe_success", "id": "gone"})));
    send(&mut ws, json!({"type": "unsubscribe", "id": "gone"})).await;
    assert_eq!(
        recv(&mut ws).await,
        Some(
            json!({"type": "unsubscribe_error", "id": "gone", "errors": [{"errorType": "UnknownOperationError", "message": "Unknown operation id gone"}]})
        )
    );
    assert_eq!(post_key(&s, "/default/a", &["1"]).await.status, 200);
    assert_eq!(data(&mut ws, 1).await, vec![("kept".into(), "1".into())]);
}

#[tokio::test]
async fn namespaces_decide_where_and_with_which_modes() {
    let builder = demo_builder()
        .channel_namespace(
            ChannelNamespace::new("default").publish_auth([AuthMode::Iam]).subscribe_auth([AuthMode::ApiKey]),
        )
        .channel_namespace(ChannelNamespace::new("chat"));
    let s = start(builder).await;
    // Publishing: API key refused in `default`, fine in `chat`; an unknown namespace is a bare 401.
    let p = post_key(&s, "/default/a", &["1"]).await;
    assert_eq!(
        (p.status, &p.body),
        (401, &json!({"errors": [{"errorType": "UnauthorizedException", "message": NOT_AUTHORIZED}]}))
    );
    assert_eq!(post_key(&s, "/chat/a", &["1"]).await.status, 200);
    let p = post_key(&s, "/nowhere/a", &["1"]).await;
    assert_eq!((p.status, &p.body), (401, &json!({"errors": [{"errorType": "UnauthorizedException"}]})));
    assert_eq!(p.text, "{\n  \"errors\" : [ {\n    \"errorType\" : \"UnauthorizedException\"\n  } ]\n}");
    assert_eq!(post_iam(&s, "/default/a", &["1"], SECRET).await.status, 200);

    // Subscribing: IAM refused in `default`, API key fine.
    let mut ws = connect(&s, &api_key(&s.host, API_KEY)).await;
    init(&mut ws).await;
    let m =
        subscribe(&mut ws, "iam", "/default/a", iam(&s.host, br#"{"channel":"/default/a"}"#, SECRET)).await;
    assert_eq!(m["errors"][0], json!({"errorType": "UnauthorizedException", "message": NOT_AUTHORIZED}));
    subscribed(&mut ws, "key", "/default/a", api_key(&s.host, API_KEY)).await;
    assert_eq!(post_iam(&s, "/default/a", &["2"], SECRET).await.status, 200);
    assert_eq!(data(&mut ws, 1).await, vec![("key".into(), "2".into())]);
    // Case-sensitive names.
    assert_eq!(post_key(&s, "/Chat/a", &["1"]).await.status, 401);
}

#[tokio::test]
async fn namespace_configuration_errors_name_the_setting() {
    for builder in [
        demo_builder().channel_namespace(ChannelNamespace::new("bad_name")),
        demo_builder()
            .channel_namespace(ChannelNamespace::new("a"))
            .channel_namespace(ChannelNamespace::new("a")),
        demo_builder().channel_namespace(ChannelNamespace::new("a").publish_auth([])),
        demo_builder().channel_namespace(ChannelNamespace::new("a").subscribe_auth([AuthMode::Lambda])),
    ] {
        let err = builder.build().expect_err("refused");
        assert_eq!(err.field(), Some("channel_namespace"), "{err}");
    }
    let err =
        demo_builder().events(EventsOptions::default().max_event_bytes(0)).build().expect_err("refused");
    assert_eq!(err.field(), Some("events.max_event_bytes"));
    for options in [
        EventsOptions::default().connection_auth([]),
        EventsOptions::default().connection_auth([AuthMode::ApiKey, AuthMode::Lambda]),
    ] {
        let err = demo_builder().events(options).build().expect_err("refused");
        assert_eq!(err.field(), Some("events.connection_auth"), "{err}");
    }
    let err = demo_builder()
        .events(EventsOptions::default().connection_lifetime(Duration::ZERO))
        .build()
        .expect_err("refused");
    assert_eq!(err.field(), Some("events.connection_lifetime"));
}

#[tokio::test]
async fn publishes_from_rust_are_delivered_and_every_publish_is_observable() {
    let emulator = demo_builder().build().expect("emulator");
    let s = start_emulator(&emulator).await;
    let mut observed = emulator.subscribe_events();
    let mut ws = connect(&s, &api_key(&s.host, API_KEY)).await;
    init(&mut ws).await;
    subscribed(&mut ws, "s", "/default/*", api_key(&s.host, API_KEY)).await;

    let outcome =
        emulator.publish_events("/default/rust", [json!({"from": "rust"})]).await.expect("published");
    assert_eq!(outcome.successful.len(), 1);
    assert_eq!(data(&mut ws, 1).await, vec![("s".into(), r#"{"from":"rust"}"#.into())]);
    let seen = observed.recv().await.expect("observed");
    assert_eq!((seen.channel(), seen.auth_mode()), ("/default/rust", None));
    assert_eq!(seen.events()[0].identifier(), outcome.successful[0].identifier);

    assert_eq!(post_key(&s, "default/http/", &["1"]).await.status, 200);
    let seen = observed.recv().await.expect("observed");
    assert_eq!((seen.channel(), seen.auth_mode()), ("/default/http", Some(AuthMode::ApiKey)));
    assert_eq!(seen.events()[0].json(), json!(1));

    let err = emulator.publish_events("/nowhere/a", [json!(1)]).await.expect_err("refused");
    assert!(err.is_input(), "{err}");
    let err = emulator.publish_events("/default/*", [json!(1)]).await.expect_err("refused");
    assert!(err.is_input(), "{err}");
    let err = emulator.publish_events("/default/a", (0..6).map(|i| json!(i))).await.expect_err("refused");
    assert!(err.is_input() && err.to_string().contains("at most 5"), "{err}");
}

/// Refuses subscriptions to `/guarded/private/...` and fails events with `"bad": true`.
struct Guard;

impl NamespaceHandler for Guard {
    fn on_publish(&self, ctx: PublishContext) -> HandlerFuture<Result<Vec<OutgoingEvent>, HandlerError>> {
        if ctx.events.iter().any(|e| e.payload == json!("refuse all")) {
            return Box::pin(async { Err(HandlerError::new("BadRequest", "no thanks")) });
        }
        let events = ctx
            .events
            .into_iter()
            .map(|mut e| {
                if e.payload.get("bad") == Some(&json!(true)) {
                    e.error = Some("bad event".to_owned());
                } else {
                    e.payload = json!({"seen": e.payload});
                }
                e
            })
            .collect();
        Box::pin(async move { Ok(events) })
    }

    fn on_subscribe(&self, ctx: SubscribeContext) -> HandlerFuture<Result<(), HandlerError>> {
        let private = ctx.channel.segments.get(1).is_some_and(|s| s == "private");
        Box::pin(async move { if private { Err(HandlerError::unauthorized()) } else { Ok(()) } })
    }
}

#[tokio::test]
async fn namespace_handlers_run_where_onpublish_and_onsubscribe_run() {
    let builder = demo_builder().channel_namespace(ChannelNamespace::new("guarded").handler(Guard));
    let s = start(builder).await;
    let mut ws = connect(&s, &api_key(&s.host, API_KEY)).await;
    init(&mut ws).await;
    let m = subscribe(&mut ws, "p", "/guarded/private/x", api_key(&s.host, API_KEY)).await;
    assert_eq!(
        m,
        json!({"type": "subscribe_error", "id": "p", "errors": [{"errorType": "Unauthorized", "message": NOT_AUTHORIZED}]})
    );
    subscribed(&mut ws, "s", "/guarded/*", api_key(&s.host, API_KEY)).await;

    let p = post_key(&s, "/guarded/a", &[r#"{"bad":true}"#, r#"{"ok":1}"#]).await;
    assert_eq!(p.status, 200, "{}", p.text);
    assert_eq!(p.body["failed"][0]["index"], 0);
    assert_eq!(p.body["failed"][0]["message"], "bad event");
    assert_eq!(p.body["successful"][0]["index"], 1);
    assert_eq!(data(&mut ws, 1).await, vec![("s".into(), r#"{"seen":{"ok":1}}"#.into())]);

    let p = post_key(&s, "/guarded/a", &[r#""refuse all""#]).await;
    assert_eq!(p.status, 403);
    assert_eq!(p.body["errors"][0], json!({"errorType": "BadRequest", "message": "no thanks"}));
}

#[tokio::test]
async fn unknown_and_malformed_messages_get_errors_and_the_connection_goes_on() {
    let s = start(demo_builder()).await;
    let mut ws = connect(&s, &api_key(&s.host, API_KEY)).await;
    init(&mut ws).await;
    send(&mut ws, json!({"type": "start", "id": "1"})).await;
    let m = recv(&mut ws).await.expect("error");
    assert_eq!(
        (m["type"].as_str(), m["errors"][0]["errorType"].as_str()),
        (Some("error"), Some("UnsupportedOperation"))
    );
    ws.send(Message::Text("not json".into())).await.expect("send");
    assert_eq!(recv(&mut ws).await.expect("error")["errors"][0]["errorType"], "BadRequestException");
    send(&mut ws, json!({"type": "subscribe", "id": "x"})).await;
    assert_eq!(recv(&mut ws).await.expect("error")["errors"][0]["message"], "Malformed subscribe message.");
    let m = subscribe(&mut ws, "bad id!", "/default/a", api_key(&s.host, API_KEY)).await;
    assert_eq!(m["type"], "subscribe_error");
    subscribed(&mut ws, "ok", "/default/a", api_key(&s.host, API_KEY)).await;
}

#[tokio::test]
async fn the_subscription_limit_refuses_the_one_too_many() {
    let s = start(demo_builder().events(EventsOptions::default().max_subscriptions(2))).await;
    let mut ws = connect(&s, &api_key(&s.host, API_KEY)).await;
    init(&mut ws).await;
    subscribed(&mut ws, "1", "/default/a", api_key(&s.host, API_KEY)).await;
    subscribed(&mut ws, "2", "/default/b", api_key(&s.host, API_KEY)).await;
    assert_eq!(
        subscribe(&mut ws, "3", "/default/c", api_key(&s.host, API_KEY)).await,
        json!({"type": "subscribe_error", "id": "3", "errors": [{"errorType": "MaxSubscriptionsReachedError", "message": "Max number of 2 subscriptions reached"}]})
    );
    send(&mut ws, json!({"type": "unsubscribe", "id": "1"})).await;
    assert_eq!(recv(&mut ws).await.expect("answer")["type"], "unsubscribe_success");
    subscribed(&mut ws, "3", "/default/c", api_key(&s.host, API_KEY)).await;
}

#[tokio::test]
async fn oidc_tokens_connect_subscribe_and_publish_with_issuer_and_audience_enforced() {
    // OPENID_CONNECT beside the API's other modes: a namespace open to it alone, its handler
    // seeing the token's `sub` and the mode.
    let oidc = JwtConfig::from_jwks_json(&appsync_local::demo_jwks_json())
        .expect("jwks")
        .issuer(appsync_local::DEMO_JWT_ISSUER)
        .audience("client-a");
    let stamp = "export function onPublish(ctx) {
                   return ctx.events.map((e) => ({ id: e.id, payload: { ...e.payload, sub: ctx.identity.sub, auth: util.authType() } }));
                 }";
    let builder = demo_builder().oidc(oidc).channel_namespace(
        ChannelNamespace::new("o")
            .publish_auth([AuthMode::Oidc])
            .subscribe_auth([AuthMode::Oidc])
            .code(stamp),
    );
    let s = start(builder).await;
    let good = DemoToken::new("oidc-user").audience("client-a").sign().expect("sign");
    let mut ws = connect(&s, &token(&s.host, &good)).await;
    init(&mut ws).await;
    subscribed(&mut ws, "o", "/o/room", token(&s.host, &good)).await;
    let keyed = subscribe(&mut ws, "k", "/o/room", api_key(&s.host, API_KEY)).await;
    assert_eq!(keyed["errors"][0]["errorType"], "UnauthorizedException", "{keyed}");

    let p =
        post(&s, &[("authorization", good.clone())], &json!({"channel": "/o/room", "events": ["{}"]})).await;
    assert_eq!(p.status, 200, "{}", p.text);
    let got = data(&mut ws, 1).await;
    let event: Value = serde_json::from_str(&got[0].1).expect("json");
    assert_eq!(event, json!({"sub": "oidc-user", "auth": "Open ID Connect Authorization"}));
    // Another audience is refused, over HTTP and on the socket.
    let other = DemoToken::new("oidc-user").audience("client-b").sign().expect("sign");
    let p =
        post(&s, &[("authorization", other.clone())], &json!({"channel": "/o/room", "events": ["{}"]})).await;
    assert_eq!(p.status, 401, "{}", p.text);
    send(&mut ws, publish_msg("p", "/o/room", &["{}"], token(&s.host, &other))).await;
    let refused = recv(&mut ws).await.expect("an answer");
    assert_eq!(refused["type"], "publish_error", "{refused}");
}

#[tokio::test]
async fn a_message_flood_gets_limit_exceeded_and_the_connection_goes_on() {
    // The inbound rate limit of `RealtimeOptions`, as on the GraphQL endpoint: each message over
    // it gets `LimitExceededError` "Rate limit exceeded" (no id), and the connection stays open.
    let options = appsync_local::realtime::RealtimeOptions::default().max_inbound_per_second(2);
    let s = start(demo_builder().realtime(options)).await;
    let mut ws = connect(&s, &api_key(&s.host, API_KEY)).await;
    for i in 0..20 {
        send(&mut ws, json!({"type": "unsubscribe", "id": format!("u{i}")})).await;
    }
    let mut limited = 0;
    for _ in 0..20 {
        let m = recv(&mut ws).await.expect("an answer to every message");
        if m["type"] == "error" {
            assert_eq!(
                m,
                json!({"type": "error", "errors": [{"errorType": "LimitExceededError", "message": "Rate limit exceeded"}]})
            );
            limited += 1;
        } else {
            assert_eq!(m["type"], "unsubscribe_error", "{m}");
        }
    }
    // Twenty messages in a burst span at most a few one-second windows of two each.
    assert!(limited >= 10, "{limited} of 20 limited");
    // The connection goes on: once a new window opens, a message is served again.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let m = subscribe(&mut ws, "after", "/default/a", api_key(&s.host, API_KEY)).await;
        if m["type"] == "subscribe_success" {
            break;
        }
        assert_eq!(m["errors"][0]["errorType"], "LimitExceededError", "{m}");
        assert!(tokio::time::Instant::now() < deadline, "still limited after 5 s");
        // Polled, not flooded: each refused attempt counts in the window too.
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn served_over_tls_on_the_same_port() {
    let emulator = demo_builder().tls(appsync_local::TlsOptions::ephemeral()).build().expect("emulator");
    let handle = emulator.spawn("127.0.0.1:0").await.expect("spawn");
    assert!(handle.event_url().starts_with("https://"));
    assert!(handle.event_realtime_url().starts_with("wss://"));
    let ca = reqwest::Certificate::from_pem(emulator.tls_ca_pem().expect("ca").as_bytes()).expect("ca");
    let client = reqwest::Client::builder().add_root_certificate(ca).build().expect("client");
    let mut observed = emulator.subscribe_events();
    let resp = client
        .post(handle.event_url())
        .header("x-api-key", API_KEY)
        .json(&json!({"channel": "/default/tls", "events": ["1"]}))
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), 200);
    assert_eq!(observed.recv().await.expect("observed").channel(), "/default/tls");
}

#[tokio::test]
async fn shutdown_closes_events_sockets_with_going_away() {
    let s = start(demo_builder()).await;
    let mut ws = connect(&s, &api_key(&s.host, API_KEY)).await;
    init(&mut ws).await;
    subscribed(&mut ws, "sub-1", "/default/*", api_key(&s.host, API_KEY)).await;
    let shutdown = tokio::spawn(s.handle.shutdown());
    assert_eq!(close_frame(&mut ws).await, (1001, "server shutting down".to_owned()));
    tokio::time::timeout(std::time::Duration::from_secs(5), shutdown)
        .await
        .expect("shutdown returns once the socket is closed")
        .expect("the shutdown task")
        .expect("shutdown");
}
