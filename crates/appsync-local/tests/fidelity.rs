//! What the real AppSync sends, byte for byte where a client can see it: each test names the
//! public evidence (issue thread, AWS client code or documentation) of the behaviour it pins.
//! The audit these come from is summed up in this crate's README ("Fidelity").
#![allow(missing_docs)]
// Test helpers: a failed expect is the test failing, with its message.
#![allow(clippy::expect_used)]

mod support;

use std::time::{Duration, SystemTime};

use appsync_local::ApiKey;
use serde_json::{Value, json};
use support::*;

const LIST: &str = "{ listPosts { items { id } } }";

fn header<'a>(r: &'a Reply, name: &str) -> Option<&'a str> {
    r.headers.get(name).and_then(|v| v.to_str().ok())
}

fn error_of(r: &Reply) -> (String, String) {
    let e = &r.json()["errors"][0];
    (
        e["errorType"].as_str().unwrap_or_default().to_owned(),
        e["message"].as_str().unwrap_or_default().to_owned(),
    )
}

// Evidence: real 401 headers captured in aws-amplify/amplify-js #5579
// (`x-amzn-errortype: UnauthorizedException`); Amplify JS reads the error name from it.
#[tokio::test]
async fn every_401_carries_x_amzn_error_type() {
    let s = start(demo_builder()).await;
    let none = s.raw(&[], body(LIST, json!({}))).await;
    let wrong_key = s.raw(&[("x-api-key", "da2-wrong".into())], body(LIST, json!({}))).await;
    for r in [&none, &wrong_key] {
        assert_eq!(r.status, 401, "{}", r.text);
        assert_eq!(header(r, "x-amzn-ErrorType"), Some("UnauthorizedException"));
    }
}

// Evidence: AWS Knowledge Center, "How do I troubleshoot Unauthorized errors when running
// GraphQL requests in AWS AppSync?" (invalid or expired credentials), and third-party captures:
// a wrong or expired key is "not authorized"; "Valid authorization header not provided." is for a
// request without usable auth.
#[tokio::test]
async fn invalid_and_expired_api_keys_are_not_authorized_to_make_this_call() {
    let past = SystemTime::now() - Duration::from_secs(60);
    let s = start(demo_builder().api_key(ApiKey::expiring("da2-old", past))).await;
    let expected = r#"{"errors":[{"errorType":"UnauthorizedException","message":"You are not authorized to make this call."}]}"#;
    for key in ["da2-wrong", "da2-old"] {
        let r = s.raw(&[("x-api-key", key.into())], body(LIST, json!({}))).await;
        assert_eq!((r.status, compact(&r.text).as_str()), (401, expected), "{key}");
    }
    let none = s.raw(&[], body(LIST, json!({}))).await;
    assert_eq!(error_of(&none).1, "Valid authorization header not provided.");
}

// Evidence: the CORS headers of a real AppSync answer captured in aws-amplify/amplify-js #5579.
#[tokio::test]
async fn cors_exposes_appsyncs_six_headers() {
    let s = start(demo_builder()).await;
    let expose =
        "x-amzn-RequestId,x-amzn-ErrorType,x-amz-user-agent,x-amzn-ErrorMessage,Date,x-amz-schema-version";
    let ok = s.api_key(LIST, json!({})).await;
    let refused = s.raw(&[], body(LIST, json!({}))).await;
    for r in [&ok, &refused] {
        assert_eq!(header(r, "access-control-expose-headers"), Some(expose));
        assert_eq!(header(r, "access-control-allow-origin"), Some("*"));
        assert!(header(r, "date").is_some(), "{:?}", r.headers);
    }
}

// Evidence: AppSync monitoring documentation (`TokensConsumed`: tokens are allocated by the
// resources a request uses, usually one per request) and real captures carrying
// `x-amzn-appsync-TokensConsumed`. The emulator reports one for every executed request.
#[tokio::test]
async fn executed_requests_report_one_token_consumed() {
    let s = start(demo_builder()).await;
    let ok = s.api_key(LIST, json!({})).await;
    assert_eq!(ok.status, 200, "{}", ok.text);
    assert_eq!(header(&ok, "x-amzn-appsync-TokensConsumed"), Some("1"));
    let invalid = s.api_key("{ nope }", json!({})).await;
    assert_eq!(header(&invalid, "x-amzn-appsync-TokensConsumed"), Some("1"));
}

// Evidence: awslabs/aws-mobile-appsync-sdk-js #702 (`'accept' is named as a SignedHeader, but it
// does not exist in the HTTP request.`) and aws-amplify/amplify-js #7906 (`Authorization header
// requires 'Credential' parameter. ...`): AWS's words, never our own Debug text.
#[tokio::test]
async fn incomplete_signatures_are_reported_in_aws_words() {
    let s = start(demo_builder()).await;
    let b = body(LIST, json!({}));
    let signed = sign_aws(&s.host, &b, AKID, SECRET, None, REGION, SystemTime::now());
    let authorization = signed.iter().find(|(k, _)| *k == "authorization").map(|(_, v)| v.clone());
    let authorization = authorization.expect("signed");

    // SignedHeaders names `content-encoding`, which the request does not carry (the capture's
    // `accept` cannot be left out here: reqwest always sends one).
    let with_accept = authorization.replace("content-type;", "content-encoding;content-type;");
    let headers: Vec<_> = signed
        .iter()
        .map(|(k, v)| (*k, if *k == "authorization" { with_accept.clone() } else { v.clone() }))
        .collect();
    let r = s.raw(&headers, b.clone()).await;
    assert_eq!(r.status, 403, "{}", r.text);
    assert_eq!(header(&r, "x-amzn-ErrorType"), Some("IncompleteSignatureException"));
    assert_eq!(
        error_of(&r),
        (
            "IncompleteSignatureException".to_owned(),
            "'content-encoding' is named as a SignedHeader, but it does not exist in the HTTP request."
                .to_owned()
        )
    );

    // Only the algorithm: every part is missing, each named, and the header echoed.
    let bare = vec![("host", s.host.clone()), ("authorization", "AWS4-HMAC-SHA256".to_owned())];
    let r = s.raw(&bare, b.clone()).await;
    assert_eq!(r.status, 403, "{}", r.text);
    assert_eq!(
        error_of(&r).1,
        "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' \
         parameter. Authorization header requires 'SignedHeaders' parameter. Authorization header requires \
         existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=AWS4-HMAC-SHA256"
    );

    // A part present but malformed: named in words, no Rust Debug text.
    let bad_credential = authorization.replacen("Credential=", "Credential=x", 1).replace('/', "");
    let headers: Vec<_> = signed
        .iter()
        .map(|(k, v)| (*k, if *k == "authorization" { bad_credential.clone() } else { v.clone() }))
        .collect();
    let r = s.raw(&headers, b).await;
    assert_eq!(r.status, 403, "{}", r.text);
    let (kind, message) = error_of(&r);
    assert_eq!(kind, "IncompleteSignatureException");
    assert!(message.starts_with("The 'Credential' parameter is malformed"), "{message}");
    assert!(!message.contains("Malformed") && !message.contains(" {"), "{message}");
}

// Evidence: aws-amplify/amplify-js #2035 and #7906: a JWT or `Bearer` token sent to an API whose
// way in is IAM is read as a malformed SigV4 header.
#[tokio::test]
async fn a_token_on_an_iam_api_is_an_incomplete_signature() {
    let s = start(demo_builder()).await;
    for token in ["eyJhbGciOiJub25lIn0.e30.", "Bearer eyJhbGciOiJub25lIn0.e30."] {
        let r = s.raw(&[("authorization", token.to_owned())], body(LIST, json!({}))).await;
        assert_eq!(r.status, 403, "{}", r.text);
        assert_eq!(header(&r, "x-amzn-ErrorType"), Some("IncompleteSignatureException"));
        let (kind, message) = error_of(&r);
        assert_eq!(kind, "IncompleteSignatureException");
        assert!(
            message.starts_with("Authorization header requires 'Credential' parameter. ")
                && message.ends_with(&format!("Authorization={token}")),
            "{message}"
        );
    }
}

/// The body with insignificant whitespace removed, for comparing with compact expectations.
fn compact(text: &str) -> String {
    serde_json::to_string(&serde_json::from_str::<Value>(text).expect("JSON")).expect("JSON")
}

// Evidence: FIDELITY.md 16 (AppSync's graphql-java parser stops at the first syntax error): an
// unclosed document is reported once, not once per unclosed selection set.
#[tokio::test]
async fn a_syntax_error_is_reported_once() {
    let s = start(demo_builder()).await;
    let r = s.api_key("{ listPosts { items { id } ", json!({})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let errors = r.json()["errors"].as_array().cloned().unwrap_or_default();
    assert_eq!(errors.len(), 1, "{}", r.text);
    let message = errors[0]["message"].as_str().unwrap_or_default();
    assert!(message.starts_with("Invalid Syntax : "), "{message}");
}

// Evidence: 4xx bodies captured in awslabs/aws-mobile-appsync-sdk-js #702, aws-amplify/amplify-js
// #7906 and #4373: Jackson's default pretty printer (`"key" : value`, `[ {`, two-space indent).
#[tokio::test]
async fn error_bodies_are_pretty_printed_as_appsync_prints_them() {
    let s = start(demo_builder()).await;
    let r = s.raw(&[], body(LIST, json!({}))).await;
    assert_eq!(r.status, 401);
    assert_eq!(
        r.text,
        "{\n  \"errors\" : [ {\n    \"errorType\" : \"UnauthorizedException\",\n    \"message\" : \"Valid authorization header not provided.\"\n  } ]\n}"
    );
    let bare = vec![("host", s.host.clone()), ("authorization", "AWS4-HMAC-SHA256".to_owned())];
    let r = s.raw(&bare, body(LIST, json!({}))).await;
    assert_eq!(r.status, 403);
    assert!(
        r.text.starts_with("{\n  \"errors\" : [ {\n    \"errorType\" : \"IncompleteSignatureException\",\n    \"message\" : \"Authorization header requires 'Credential' parameter. "),
        "{}",
        r.text
    );
    assert!(r.text.ends_with("\"\n  } ]\n}"), "{}", r.text);
}

// Evidence: the AppSync team's description of its HTTP contract (graphql/graphql-over-http #81:
// "AppSync supports HTTP POST and GET for queries and mutations", variables "as query parameters
// in HTTP GET") and localstack/localstack #10182. Mutations are served over GET too, as AppSync
// serves them.
#[tokio::test]
async fn get_serves_queries_and_mutations_from_the_query_string() {
    let s = start(demo_builder()).await;
    let get = |params: Vec<(&'static str, String)>, auth: Vec<(&'static str, String)>| {
        let query: Vec<String> = params.iter().map(|(k, v)| format!("{k}={}", form_encode(v))).collect();
        let mut req = s.client.get(format!("{}?{}", s.url, query.join("&")));
        for (k, v) in auth {
            req = req.header(k, v);
        }
        async move {
            let resp = req.send().await.expect("send");
            let status = resp.status().as_u16();
            (status, resp.text().await.expect("body"))
        }
    };
    let key = vec![("x-api-key", API_KEY.to_owned())];
    let created = get(
        vec![
            ("query", "mutation M($t: String!) { createPost(input: {title: $t}) { id title } }".to_owned()),
            ("variables", json!({"t": "over get"}).to_string()),
            ("operationName", "M".to_owned()),
        ],
        key.clone(),
    )
    .await;
    assert_eq!(created.0, 200, "{}", created.1);
    let created: Value = serde_json::from_str(&created.1).expect("json");
    assert_eq!(created["data"]["createPost"]["title"], "over get");
    let id = created["data"]["createPost"]["id"].as_str().unwrap_or_default().to_owned();

    let read = get(
        vec![
            ("query", "query Q($id: ID!) { getPost(id: $id) { title } }".to_owned()),
            ("variables", json!({"id": id}).to_string()),
        ],
        key.clone(),
    )
    .await;
    assert_eq!(read.0, 200, "{}", read.1);
    assert_eq!(
        serde_json::from_str::<Value>(&read.1).expect("json"),
        json!({"data": {"getPost": {"title": "over get"}}})
    );

    // Auth as for POST: none is 401.
    let refused = get(vec![("query", LIST.to_owned())], vec![]).await;
    assert_eq!(refused.0, 401, "{}", refused.1);
    // No query: unparseable, as an empty POST object is.
    let empty = get(vec![], key).await;
    assert_eq!(empty.0, 400, "{}", empty.1);
}

/// Form encoding: unreserved bytes as they are, a space as `+`, anything else `%XX`.
fn form_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            b' ' => "+".to_owned(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

// Evidence: aws-amplify/amplify-flutter #822: ``Variable 'phone' has an invalid value. Unable to
// parse `1110004444` as a valid phone number.`` (other scalars keep the pattern: no capture).
#[tokio::test]
async fn aws_scalar_variable_errors_in_aws_words() {
    let sdl = "type Contact { id: ID! phone: AWSPhone }\n\
               type Query { contact(phone: AWSPhone): Contact }";
    let s = start(demo_builder().schema_sdl(sdl).default_auth(appsync_local::AuthMode::ApiKey)).await;
    let r = s
        .api_key("query($phone: AWSPhone) { contact(phone: $phone) { id } }", json!({"phone": "1110004444"}))
        .await;
    assert_eq!(
        r.json()["errors"][0]["message"],
        "Variable 'phone' has an invalid value. Unable to parse `1110004444` as a valid phone number."
    );
}
