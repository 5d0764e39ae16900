//! Auth verified for real: API keys, SigV4 from two independent signers, Lambda tokens, and
//! AppSync's directive rules.
#![allow(missing_docs)]

mod support;

use std::time::{Duration, SystemTime};

use appsync_local::{ApiKey, AuthMode, Credentials, Emulator};
use serde_json::{Value, json};
use support::*;

const UNAUTHORIZED: &str = "{\n  \"errors\" : [ {\n    \"errorType\" : \"UnauthorizedException\",\n    \"message\" : \"Valid authorization header not provided.\"\n  } ]\n}";

const LIST: &str = "{ listPosts { items { id } } }";

#[tokio::test]
async fn no_credentials_is_401_with_appsyncs_body() {
    let s = start(demo_builder()).await;
    let r = s.raw(&[], body(LIST, json!({}))).await;
    assert_eq!(r.status, 401);
    assert_eq!(r.text, UNAUTHORIZED);
    // AppSync names the error in a header on 401s too (amplify-js #5579).
    assert_eq!(
        r.headers.get("x-amzn-ErrorType").and_then(|v| v.to_str().ok()),
        Some("UnauthorizedException")
    );
    assert!(
        r.headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json")),
        "{:?}",
        r.headers
    );
}

#[tokio::test]
async fn wrong_and_expired_api_keys_are_401() {
    let past = SystemTime::now() - Duration::from_secs(60);
    let s = start(demo_builder().api_key(ApiKey::expiring("da2-old", past))).await;
    // A key of the right kind that is wrong or expired is "not authorized" (tests/fidelity.rs).
    let not_authorized = "{\n  \"errors\" : [ {\n    \"errorType\" : \"UnauthorizedException\",\n    \"message\" : \"You are not authorized to make this call.\"\n  } ]\n}";
    let wrong = s.raw(&[("x-api-key", "da2-wrong".into())], body(LIST, json!({}))).await;
    assert_eq!((wrong.status, wrong.text.as_str()), (401, not_authorized));
    let expired = s.raw(&[("x-api-key", "da2-old".into())], body(LIST, json!({}))).await;
    assert_eq!((expired.status, expired.text.as_str()), (401, not_authorized));
    let good = s.api_key(LIST, json!({})).await;
    assert_eq!(good.status, 200, "{}", good.text);
    assert_eq!(good.json(), json!({"data": {"listPosts": {"items": []}}}));
}

#[tokio::test]
async fn api_key_is_refused_when_no_key_is_configured() {
    let s = start(Emulator::builder().iam_credentials(Credentials::new(AKID, SECRET, None, None))).await;
    let r = s.api_key(LIST, json!({})).await;
    assert_eq!((r.status, r.text.as_str()), (401, UNAUTHORIZED));
}

#[tokio::test]
async fn iam_signed_by_appsync_sigv4_is_accepted() {
    let s = start(demo_builder()).await;
    let r = s.iam(CREATE_POST, json!({"input": {"title": "signed"}})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["data"]["createPost"]["title"], "signed");
}

#[tokio::test]
async fn iam_signed_by_aws_sigv4_crate_is_accepted() {
    let s = start(demo_builder()).await;
    let r = s.iam_aws(CREATE_POST, json!({"input": {"title": "aws-signed"}})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["data"]["createPost"]["title"], "aws-signed");
}

fn assert_invalid_signature(r: &Reply) {
    assert_eq!(r.status, 403, "{}", r.text);
    assert_eq!(
        r.headers.get("x-amzn-ErrorType").and_then(|v| v.to_str().ok()),
        Some("InvalidSignatureException")
    );
    assert_eq!(
        r.text,
        "{\n  \"errors\" : [ {\n    \"errorType\" : \"InvalidSignatureException\",\n    \"message\" : \"The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.\"\n  } ]\n}"
    );
}

#[tokio::test]
async fn wrong_secret_is_403_invalid_signature_from_both_signers() {
    let s = start(demo_builder()).await;
    let b = body(LIST, json!({}));
    let ours = sign_ours(&s.host, &b, AKID, "not-the-secret", None, REGION);
    assert_invalid_signature(&s.raw(&ours, b.clone()).await);
    let aws = sign_aws(&s.host, &b, AKID, "not-the-secret", None, REGION, SystemTime::now());
    assert_invalid_signature(&s.raw(&aws, b).await);
}

#[tokio::test]
async fn tampered_body_or_host_is_403() {
    let s = start(demo_builder()).await;
    let b = body(LIST, json!({}));
    let headers = sign_aws(&s.host, &b, AKID, SECRET, None, REGION, SystemTime::now());
    let tampered = body("{ listPosts { nextToken } }", json!({}));
    assert_invalid_signature(&s.raw(&headers, tampered).await);
    // Signed for another host than the one the request names.
    let other = sign_aws("example.com", &b, AKID, SECRET, None, REGION, SystemTime::now());
    let other: Vec<_> = other.into_iter().filter(|(k, _)| *k != "host").collect();
    assert_invalid_signature(&s.raw(&other, b).await);
}

#[tokio::test]
async fn unknown_key_wrong_region_and_stale_time_are_403() {
    let s = start(demo_builder()).await;
    let b = body(LIST, json!({}));
    let unknown = sign_aws(&s.host, &b, "AKIDUNKNOWN", SECRET, None, REGION, SystemTime::now());
    let r = s.raw(&unknown, b.clone()).await;
    assert_eq!(r.status, 403);
    assert_eq!(
        r.headers.get("x-amzn-ErrorType").and_then(|v| v.to_str().ok()),
        Some("UnrecognizedClientException")
    );
    assert_eq!(r.json()["errors"][0]["message"], "The security token included in the request is invalid.");

    let region = sign_aws(&s.host, &b, AKID, SECRET, None, "eu-west-1", SystemTime::now());
    let r = s.raw(&region, b.clone()).await;
    assert_eq!(r.status, 403, "{}", r.text);
    assert_eq!(r.json()["errors"][0]["errorType"], "InvalidSignatureException");

    let stale_at = SystemTime::now() - Duration::from_secs(3600);
    let stale = sign_aws(&s.host, &b, AKID, SECRET, None, REGION, stale_at);
    let r = s.raw(&stale, b.clone()).await;
    assert_eq!(r.status, 403, "{}", r.text);
    assert_eq!(r.json()["errors"][0]["errorType"], "InvalidSignatureException");
    // AWS's wording, quoting the request's own time (SDKs parse it to correct their clocks).
    let message = r.json()["errors"][0]["message"].as_str().unwrap_or_default().to_owned();
    let stale_stamp = appsync_sigv4::AmzDate::from_system_time(stale_at).expect("time").to_string();
    assert!(
        message.starts_with(&format!("Signature expired: {stale_stamp} is now earlier than ")),
        "{message}"
    );
    assert!(message.ends_with(" - 5 min.)"), "{message}");

    let future =
        sign_aws(&s.host, &b, AKID, SECRET, None, REGION, SystemTime::now() + Duration::from_secs(3600));
    let r = s.raw(&future, b).await;
    assert_eq!(r.status, 403, "{}", r.text);
    let message = r.json()["errors"][0]["message"].as_str().unwrap_or_default().to_owned();
    assert!(
        message.starts_with("Signature not yet current: ") && message.contains(" is still later than "),
        "{message}"
    );
    assert!(message.ends_with(" + 5 min.)"), "{message}");
}

#[tokio::test]
async fn temporary_credentials_need_their_session_token() {
    let s = start(Emulator::builder().iam_credentials(Credentials::new(
        "ASIATEMP",
        "temp-secret",
        Some("tok-1".to_owned()),
        None,
    )))
    .await;
    let b = body(LIST, json!({}));
    let good = sign_aws(&s.host, &b, "ASIATEMP", "temp-secret", Some("tok-1"), REGION, SystemTime::now());
    let r = s.raw(&good, b.clone()).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let ours = sign_ours(&s.host, &b, "ASIATEMP", "temp-secret", Some("tok-1"), REGION);
    assert_eq!(s.raw(&ours, b.clone()).await.status, 200);
    let wrong = sign_aws(&s.host, &b, "ASIATEMP", "temp-secret", Some("tok-2"), REGION, SystemTime::now());
    let r = s.raw(&wrong, b).await;
    assert_eq!(r.status, 403);
    assert_eq!(r.json()["errors"][0]["errorType"], "UnrecognizedClientException");
}

const DIRECTIVES_SDL: &str = r#"
type Query {
  open: Open @aws_api_key @aws_iam
  iamOnly: String @aws_iam
  keyOnly: String @aws_api_key
  defaultOnly: String
}
type Open @aws_api_key @aws_iam {
  visible: String
  secret: String @aws_iam
}
"#;

fn directive_builder() -> appsync_local::EmulatorBuilder {
    demo_builder()
        .schema_sdl(DIRECTIVES_SDL)
        .resolver("Query.open", |_c| async { Ok(json!({"visible": "v", "secret": "s"})) })
        .resolver("Query.iamOnly", |_c| async { Ok(json!("iam")) })
        .resolver("Query.keyOnly", |_c| async { Ok(json!("key")) })
        .resolver("Query.defaultOnly", |_c| async { Ok(json!("default")) })
}

#[tokio::test]
async fn directives_decide_which_modes_reach_which_fields() {
    let s = start(directive_builder()).await;
    let q = "{ open { visible secret } iamOnly keyOnly defaultOnly }";
    // IAM is the default mode here, so it also reaches `defaultOnly`.
    let iam = s.iam_aws(q, json!({})).await.json();
    assert_eq!(
        iam["data"],
        json!({"open": {"visible": "v", "secret": "s"}, "iamOnly": "iam", "keyOnly": null, "defaultOnly": "default"})
    );
    assert_eq!(iam["errors"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        iam["errors"][0],
        json!({
            "path": ["keyOnly"], "data": null, "errorType": "Unauthorized", "errorInfo": null,
            "locations": [{"line": 1, "column": 35, "sourceName": null}],
            "message": "Not Authorized to access keyOnly on type Query"
        })
    );
    let key = s.api_key(q, json!({})).await.json();
    assert_eq!(
        key["data"],
        json!({"open": {"visible": "v", "secret": null}, "iamOnly": null, "keyOnly": "key", "defaultOnly": null})
    );
    let paths: Vec<&Value> = key["errors"].as_array().expect("errors").iter().map(|e| &e["path"]).collect();
    assert_eq!(paths, [&json!(["open", "secret"]), &json!(["iamOnly"]), &json!(["defaultOnly"])]);
    assert_eq!(key["errors"][0]["message"], "Not Authorized to access secret on type Open");
    assert!(key["errors"].as_array().expect("errors").iter().all(|e| e["errorType"] == "Unauthorized"));
}

#[tokio::test]
async fn lambda_tokens_authorize_through_the_authorization_header() {
    let sdl = "type Query { hi: String @aws_lambda  other: String }";
    let s = start(
        Emulator::builder()
            .schema_sdl(sdl)
            .api_key(ApiKey::new(API_KEY))
            .default_auth(AuthMode::ApiKey)
            .lambda_token("custom-authorized")
            .resolver("Query.hi", |c| async move { Ok(json!(c.identity().mode().as_appsync_str())) })
            .resolver("Query.other", |_c| async { Ok(json!("other")) }),
    )
    .await;
    let ok = s.raw(&[("authorization", "custom-authorized".into())], body("{ hi other }", json!({}))).await;
    assert_eq!(ok.status, 200);
    let v = ok.json();
    assert_eq!(v["data"], json!({"hi": "AWS_LAMBDA", "other": null}));
    assert_eq!(v["errors"][0]["errorType"], "Unauthorized");
    let bad = s.raw(&[("authorization", "wrong".into())], body("{ hi }", json!({}))).await;
    assert_eq!((bad.status, bad.text.as_str()), (401, UNAUTHORIZED));
}

#[tokio::test]
async fn bearer_tokens_for_unverifiable_modes_are_refused() {
    // With API key as the default mode (on an IAM-default API the token is read as a malformed
    // signature: tests/fidelity.rs).
    let s = start(demo_builder().default_auth(AuthMode::ApiKey)).await;
    let r = s.raw(&[("authorization", "eyJhbGciOiJub25lIn0.e30.".into())], body(LIST, json!({}))).await;
    assert_eq!((r.status, r.text.as_str()), (401, UNAUTHORIZED));
}

#[tokio::test]
async fn lambda_authorizer_callback_allows_denies_and_adds_context() {
    use appsync_local::{LambdaAuthorization, LambdaRequest};
    let sdl = "type Query @aws_lambda { tenant: String  secret: String  op: String }";
    let s = start(
        Emulator::builder()
            .schema_sdl(sdl)
            .default_auth(AuthMode::Lambda)
            .lambda_authorizer(|req: LambdaRequest| async move {
                if req.authorization_token != "allow-me" {
                    return LambdaAuthorization::deny();
                }
                let mut ctx = serde_json::Map::new();
                ctx.insert("tenant".into(), json!("t1"));
                ctx.insert("op".into(), json!(req.operation_name.unwrap_or_default()));
                LambdaAuthorization::allow().resolver_context(ctx).denied_fields(["Query.secret"])
            })
            .resolver(
                "Query.tenant",
                |c| async move { Ok(c.identity().resolver_context()["tenant"].clone()) },
            )
            .resolver("Query.secret", |_c| async { Ok(json!("s")) })
            .resolver("Query.op", |c| async move { Ok(c.identity().resolver_context()["op"].clone()) }),
    )
    .await;
    let q =
        serde_json::to_vec(&json!({"query": "query Named { tenant secret op }", "operationName": "Named"}))
            .expect("json");
    let ok = s.raw(&[("authorization", "allow-me".into())], q.clone()).await;
    assert_eq!(ok.status, 200, "{}", ok.text);
    let v = ok.json();
    assert_eq!(v["data"], json!({"tenant": "t1", "secret": null, "op": "Named"}));
    assert_eq!(v["errors"][0]["path"], json!(["secret"]));
    assert_eq!(v["errors"][0]["errorType"], "Unauthorized");
    let denied = s.raw(&[("authorization", "nope".into())], q.clone()).await;
    assert_eq!((denied.status, denied.text.as_str()), (401, UNAUTHORIZED));
    let none = s.raw(&[], q).await;
    assert_eq!(none.status, 401);
}

/// An emulator whose Lambda authorizer counts its calls and allows tokens starting with
/// `allow`; `allow-short` answers carry a one-second ttlOverride, `allow-nocache` zero.
async fn counting_lambda(
    ttl: Duration,
    validation: Option<&str>,
) -> (Server, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use appsync_local::{LambdaAuthorization, LambdaRequest};
    use std::sync::atomic::{AtomicUsize, Ordering};
    let calls = std::sync::Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    let mut builder = Emulator::builder()
        .schema_sdl("type Query @aws_lambda { n: Int }")
        .default_auth(AuthMode::Lambda)
        .lambda_authorizer_ttl(ttl)
        .lambda_authorizer(move |req: LambdaRequest| {
            let n = counter.fetch_add(1, Ordering::SeqCst) + 1;
            async move {
                let token = req.authorization_token.as_str();
                if !token.starts_with("allow") {
                    return LambdaAuthorization::deny();
                }
                let mut ctx = serde_json::Map::new();
                ctx.insert("n".into(), json!(n));
                let answer = LambdaAuthorization::allow().resolver_context(ctx);
                match token {
                    "allow-short" => answer.ttl_override(Duration::from_secs(1)),
                    "allow-nocache" => answer.ttl_override(Duration::ZERO),
                    _ => answer,
                }
            }
        })
        .resolver("Query.n", |c| async move { Ok(c.identity().resolver_context()["n"].clone()) });
    if let Some(pattern) = validation {
        builder = builder.lambda_identity_validation(pattern);
    }
    (start(builder).await, calls)
}

async fn lambda_n(s: &Server, token: &str) -> (u16, Value) {
    let r = s.raw(&[("authorization", token.into())], body("{ n }", json!({}))).await;
    let v = if r.status == 200 { r.json()["data"]["n"].clone() } else { Value::Null };
    (r.status, v)
}

#[tokio::test]
async fn lambda_answers_are_not_cached_by_default() {
    let (s, calls) = counting_lambda(Duration::ZERO, None).await;
    assert_eq!(lambda_n(&s, "allow-a").await, (200, json!(1)));
    assert_eq!(lambda_n(&s, "allow-a").await, (200, json!(2)));
    assert_eq!(calls.load(std::sync::atomic::Ordering::SeqCst), 2);
}

#[tokio::test]
async fn lambda_answers_are_cached_per_token_for_the_ttl_and_ttl_override() {
    let (s, calls) = counting_lambda(Duration::from_secs(300), None).await;
    // The second request with the same token gets the first answer: no new call.
    assert_eq!(lambda_n(&s, "allow-a").await, (200, json!(1)));
    assert_eq!(lambda_n(&s, "allow-a").await, (200, json!(1)));
    // Another token is asked about on its own.
    assert_eq!(lambda_n(&s, "allow-b").await, (200, json!(2)));
    // Denials are answers too, and cached the same way.
    assert_eq!(lambda_n(&s, "deny-me").await.0, 401);
    assert_eq!(lambda_n(&s, "deny-me").await.0, 401);
    assert_eq!(calls.load(std::sync::atomic::Ordering::SeqCst), 3);
    // ttlOverride zero: never cached.
    assert_eq!(lambda_n(&s, "allow-nocache").await, (200, json!(4)));
    assert_eq!(lambda_n(&s, "allow-nocache").await, (200, json!(5)));
    // ttlOverride one second: cached, then asked again once it has run out.
    assert_eq!(lambda_n(&s, "allow-short").await, (200, json!(6)));
    assert_eq!(lambda_n(&s, "allow-short").await, (200, json!(6)));
    // This sleep is the behaviour under test: the cached answer runs out by the wall clock.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(lambda_n(&s, "allow-short").await, (200, json!(7)));
}

#[tokio::test]
async fn lambda_identity_validation_refuses_without_calling_the_authorizer() {
    let (s, calls) = counting_lambda(Duration::ZERO, Some("allow-[a-z]+")).await;
    assert_eq!(lambda_n(&s, "allow-abc").await, (200, json!(1)));
    // The expression must match the whole token.
    assert_eq!(lambda_n(&s, "allow-abc-9").await.0, 401);
    assert_eq!(lambda_n(&s, "xallow-abc").await.0, 401);
    assert_eq!(calls.load(std::sync::atomic::Ordering::SeqCst), 1);
}

#[test]
fn lambda_settings_out_of_range_are_build_errors() {
    let base = || {
        Emulator::builder()
            .default_auth(AuthMode::Lambda)
            .lambda_authorizer(|_req| async { appsync_local::LambdaAuthorization::allow() })
    };
    let err = base().lambda_authorizer_ttl(Duration::from_secs(3601)).build().expect_err("ttl over an hour");
    assert!(err.to_string().contains("lambda_authorizer_ttl"), "{err}");
    let err = base().lambda_identity_validation("allow-(").build().expect_err("bad regex");
    assert!(err.to_string().contains("lambda_identity_validation"), "{err}");
    assert!(std::error::Error::source(&err).is_some(), "the regex error is the source");
    base().lambda_authorizer_ttl(Duration::from_secs(3600)).build().expect("an hour is allowed");
}
