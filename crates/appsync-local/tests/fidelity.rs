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

/// The layered schema of AWS's own example of the depth limit, with a non-null field to show
/// where the error lands when the field past the limit may not be null.
const LAYERS: &str =
    "type Layer { nextLayer: Layer strict: Layer! value: String } type Query { nextLayer: Layer }";

fn layers(builder: appsync_local::EmulatorBuilder) -> appsync_local::EmulatorBuilder {
    builder.schema_sdl(LAYERS).default_auth(appsync_local::AuthMode::ApiKey).resolver(
        "Query.nextLayer",
        |_ctx| async {
            let mut layer = json!({"value": "bottom"});
            for level in 0..8 {
                layer = json!({"nextLayer": layer, "strict": layer, "value": format!("level {level}")});
            }
            Ok(layer)
        },
    )
}

// Evidence: AppSync API reference, `queryDepthLimit` ("The default value is 0 (or unspecified),
// which indicates there's no depth limit ... between 1 and 75 ... If a non-nullable field produces
// an error, the error will be thrown upwards to the first nullable field available"), and the
// developer guide, "Configuring query depth limits": going past the limit gives
// `QueryDepthLimitReached` on the fields beyond it (its example: limit 2, L3 and L4 past it). The
// message's wording is not captured anywhere public; ours names the limit.
#[tokio::test]
async fn fields_past_the_query_depth_limit_fail_alone_and_the_rest_is_served() {
    // As in the guide, a leaf is a level too: `L1 { value }` is at depth 2, `L2 { value }` at 3.
    let query = "query MyQuery { L1: nextLayer { value L2: nextLayer { L3: nextLayer { L4: value } } } }";
    let unlimited = start(layers(demo_builder())).await;
    let all = unlimited.api_key(query, json!({})).await.json();
    assert!(all.get("errors").is_none(), "no limit by default: {all}");
    assert!(all["data"]["L1"]["L2"]["L3"]["L4"].is_string(), "{all}");

    let s = start(layers(demo_builder()).query_depth_limit(2)).await;
    let r = s.api_key(query, json!({})).await;
    assert_eq!(r.status, 200);
    let v = r.json();
    assert_eq!(v["data"], json!({"L1": {"value": "level 7", "L2": {"L3": null}}}), "partial data: {v}");
    let errors = v["errors"].as_array().expect("errors");
    assert_eq!(errors.len(), 1, "{v}");
    assert_eq!(errors[0]["errorType"], "QueryDepthLimitReached");
    assert_eq!(errors[0]["path"], json!(["L1", "L2", "L3"]));
    assert!(errors[0]["message"].as_str().is_some_and(|m| m.contains('2')), "{v}");

    // A non-null field past the limit: the error rises to its nullable parent, L2.
    let strict =
        s.api_key("{ L1: nextLayer { L2: nextLayer { L3: strict { value } } } }", json!({})).await.json();
    assert_eq!(strict["data"], json!({"L1": {"L2": null}}), "{strict}");
    assert_eq!(strict["errors"][0]["errorType"], "QueryDepthLimitReached");
    assert_eq!(strict["errors"][0]["path"], json!(["L1", "L2", "L3"]));
}

// Evidence: AppSync API reference, `resolverCountLimit` (default 10000, 1 to 10000), and the
// developer guide, "Configuring resolver count limits": with a limit of 2, the third of
// `resolver1: resolver resolver2: resolver resolver3: resolver` fails with
// `ResolverExecutionLimitReached` and does not run. Wording of the message ours (not captured).
#[tokio::test]
async fn resolvers_past_the_resolver_count_limit_fail_without_running() {
    let runs = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = std::sync::Arc::clone(&runs);
    let s = start(
        demo_builder()
            .schema_sdl("type Query { resolver: String }")
            .default_auth(appsync_local::AuthMode::ApiKey)
            .resolver_count_limit(2)
            .resolver("Query.resolver", move |_ctx| {
                let counted = std::sync::Arc::clone(&counted);
                async move {
                    counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    Ok(json!("ran"))
                }
            }),
    )
    .await;
    let v = s
        .api_key("query MyQuery { resolver1: resolver resolver2: resolver resolver3: resolver }", json!({}))
        .await
        .json();
    let data = v["data"].as_object().expect("data");
    assert_eq!(data.values().filter(|v| **v == "ran").count(), 2, "{v}");
    assert_eq!(data.values().filter(|v| v.is_null()).count(), 1, "{v}");
    assert_eq!(v["errors"][0]["errorType"], "ResolverExecutionLimitReached", "{v}");
    assert_eq!(v["errors"].as_array().map(Vec::len), Some(1));
    assert_eq!(runs.load(std::sync::atomic::Ordering::SeqCst), 2, "the third never ran");
    // The count is per request.
    let again = s.api_key("{ resolver }", json!({})).await.json();
    assert_eq!(again, json!({"data": {"resolver": "ran"}}));
}

// Evidence: SDL dumps of real AppSync APIs (`aws appsync get-introspection-schema --format SDL`)
// committed in public repositories: every AppSync directive carries a description (e.g.
// "Tells the service which mutation triggers this subscription."), `@defer` is declared
// ("This directive allows results to be deferred during execution", on FIELD), `@aws_api_key` and
// `@aws_iam` are `on OBJECT | FIELD_DEFINITION`, the AWS scalars carry AppSync's long
// descriptions, and there is no `@specifiedBy` (FIDELITY.md 15, W/M).
#[tokio::test]
async fn introspection_shows_appsyncs_directives_and_scalars() {
    let s = start(demo_builder()).await;
    let v = s
        .api_key(
            "{ __schema { directives { name description locations args { name description } } }
               __type(name: \"AWSDateTime\") { description }
               json: __type(name: \"AWSJSON\") { description } }",
            json!({}),
        )
        .await
        .json();
    assert!(v.get("errors").is_none(), "{v}");
    let directives = v["data"]["__schema"]["directives"].as_array().expect("directives");
    let find = |name: &str| directives.iter().find(|d| d["name"] == name).cloned();
    assert!(find("specifiedBy").is_none(), "AppSync declares no @specifiedBy");
    let defer = find("defer").expect("@defer is declared");
    assert_eq!(defer["description"], "This directive allows results to be deferred during execution");
    assert_eq!(defer["locations"], json!(["FIELD"]));
    let subscribe = find("aws_subscribe").expect("@aws_subscribe");
    assert_eq!(subscribe["description"], "Tells the service which mutation triggers this subscription.");
    assert_eq!(
        subscribe["args"][0]["description"],
        "List of mutations which will trigger this subscription when they are called."
    );
    for name in ["aws_api_key", "aws_iam", "aws_oidc", "aws_cognito_user_pools", "aws_lambda"] {
        let d = find(name).unwrap_or_else(|| panic!("@{name}"));
        assert_eq!(d["locations"], json!(["OBJECT", "FIELD_DEFINITION"]), "{name}");
        assert!(d["description"].as_str().is_some_and(|t| t.starts_with("Tells the service")), "{name}");
    }
    let date_time = v["data"]["__type"]["description"].as_str().expect("AWSDateTime has a description");
    assert!(date_time.starts_with("The `AWSDateTime` scalar type provided by AWS AppSync"), "{date_time}");
    let json = v["data"]["json"]["description"].as_str().expect("AWSJSON has a description");
    assert!(json.contains(r#"Maps like "**{\\"upvotes\\": 10}**""#), "{json}");

    // Declared, so a query may carry it; the result is not deferred.
    let deferred = s.api_key("{ listPosts { items { id } } }", json!({})).await.json();
    let with_defer = s.api_key("{ listPosts @defer { items { id } } }", json!({})).await.json();
    assert_eq!(deferred, with_defer);
}

// Evidence: browser apps send headers of their own to AppSync for resolvers to read in
// `ctx.request.headers` (aws-mobile-appsync-sdk-js #761: an Angular app's `x-appsync-domain`
// header "works fine" on queries), so AppSync's preflight allows the headers a browser asks for;
// the emulator's fixed list made the browser refuse such requests.
#[tokio::test]
async fn a_preflight_allows_the_headers_the_browser_asks_for() {
    let s = start(demo_builder()).await;
    let preflight = |headers: Option<&'static str>| {
        let mut request = s
            .client
            .request(reqwest::Method::OPTIONS, &s.url)
            .header("origin", "http://localhost:4200")
            .header("access-control-request-method", "POST");
        if let Some(h) = headers {
            request = request.header("access-control-request-headers", h);
        }
        request.send()
    };
    let custom = preflight(Some("content-type,x-api-key,x-appsync-domain")).await.expect("preflight");
    assert_eq!(custom.status().as_u16(), 200);
    let allowed = custom.headers().get("access-control-allow-headers").and_then(|v| v.to_str().ok());
    assert_eq!(allowed, Some("content-type,x-api-key,x-appsync-domain"));
    // Nothing asked: AppSync's clients' headers.
    let plain = preflight(None).await.expect("preflight");
    let allowed = plain.headers().get("access-control-allow-headers").and_then(|v| v.to_str().ok());
    assert!(
        allowed.is_some_and(|v| v.contains("x-api-key") && v.contains("x-amz-security-token")),
        "{allowed:?}"
    );
}

// Evidence: real AppSync answers captured in aws-amplify/amplify-js #5579 (headers: an
// `x-amzn-RequestId` on every answer, `application/json;charset=UTF-8`) and the developer guide's
// error-handling examples (bodies of successful requests are compact JSON; only request-level
// 4xx bodies are pretty-printed).
#[tokio::test]
async fn a_query_is_answered_compact_with_a_request_id() {
    let s = start(demo_builder()).await;
    let r = s.api_key(LIST, json!({})).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.text, r#"{"data":{"listPosts":{"items":[]}}}"#);
    assert_eq!(header(&r, "content-type"), Some("application/json;charset=UTF-8"));
    let id = header(&r, "x-amzn-RequestId").expect("x-amzn-RequestId");
    assert_eq!(id.len(), 36, "a UUID: {id}");
    let again = s.api_key(LIST, json!({})).await;
    assert_ne!(header(&again, "x-amzn-RequestId"), Some(id), "one id per request");
}
