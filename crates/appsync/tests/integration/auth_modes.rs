use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use appsync::credentials::Credentials;
use appsync::{Auth, Request, Token, provide_token_fn};
use serde_json::{Value, json};

use crate::support::TestServer;
use crate::{builder, client};

#[tokio::test]
async fn iam_requests_are_signed_and_verified() {
    let server = TestServer::start().await;
    let creds = Credentials::new("AKIDSTATIC", "static-secret", None, None);
    server.allow_credentials(&creds);
    let client = client(&server, Auth::iam(creds));
    let response = client.query::<Value>("query Who { whoami { mode identity } }", ()).await.unwrap();
    assert_eq!(response.data.unwrap()["whoami"], json!({"mode": "iam", "identity": "AKIDSTATIC"}));
    let seen = &server.seen()[0];
    assert!(seen.headers.contains_key("x-amz-date"));
    assert_eq!(seen.session_token, None);
}

#[tokio::test]
async fn iam_session_tokens_are_sent_and_signed() {
    let server = TestServer::start().await;
    let creds = Credentials::new("ASIATEMP", "temp-secret", Some("session-token-value".into()), None);
    server.allow_credentials(&creds);
    let client = client(&server, Auth::iam(creds));
    let data: Value = client.data(Request::new("{ whoami { identity } }")).await.unwrap();
    assert_eq!(data["whoami"]["identity"], "ASIATEMP");
    let seen = &server.seen()[0];
    assert_eq!(seen.session_token.as_deref(), Some("session-token-value"));
    let authz = seen.headers["authorization"].to_str().unwrap();
    assert!(authz.contains("x-amz-security-token"), "the token is part of the signature: {authz}");
    assert!(authz.contains("/us-east-1/appsync/aws4_request"));
}

#[tokio::test]
async fn iam_with_a_wrong_secret_is_an_invalid_signature() {
    let server = TestServer::start().await;
    server.allow_credentials(&Credentials::new("AKIDSTATIC", "right-secret", None, None));
    let client = client(&server, Auth::iam(Credentials::new("AKIDSTATIC", "wrong-secret", None, None)));
    let err = client.query::<Value>("{ whoami { mode } }", ()).await.unwrap_err();
    assert!(err.is_unauthorized());
    assert!(err.is_status());
    assert_eq!(err.status().map(|s| s.as_u16()), Some(403));
    assert_eq!(err.error_type(), Some("InvalidSignatureException"));
    let shown = format!("{err} {err:?}");
    assert!(!shown.contains("wrong-secret") && !shown.contains("right-secret"), "{shown}");
}

#[tokio::test]
async fn api_keys_are_sent_as_x_api_key() {
    let server = TestServer::start().await;
    server.allow_api_key("da2-goodkey");
    let ok = client(&server, Auth::api_key("da2-goodkey"));
    let data: Value = ok.data("{ whoami { mode identity } }").await.unwrap();
    assert_eq!(data["whoami"], json!({"mode": "api-key", "identity": "da2-goodkey"}));

    let bad = client(&server, Auth::api_key("da2-badkey"));
    let err = bad.data::<Value>("{ whoami { mode } }").await.unwrap_err();
    assert!(err.is_unauthorized());
    assert_eq!(err.status().map(|s| s.as_u16()), Some(401));
    assert_eq!(err.error_type(), Some("UnauthorizedException"));
    assert!(!format!("{err:?} {bad:?}").contains("da2-badkey"));
}

#[tokio::test]
async fn cognito_oidc_and_lambda_tokens_go_in_authorization() {
    let server = TestServer::start().await;
    server.allow_token("cognito-jwt").allow_token("oidc-jwt").allow_token("lambda-token");
    for (auth, token) in [
        (Auth::cognito(Token::new("cognito-jwt")), "cognito-jwt"),
        (Auth::oidc("oidc-jwt".to_string()), "oidc-jwt"),
        (Auth::lambda("lambda-token"), "lambda-token"),
    ] {
        let data: Value = client(&server, auth).data("{ whoami { mode identity } }").await.unwrap();
        assert_eq!(data["whoami"], json!({"mode": "token", "identity": token}));
    }
    let err = client(&server, Auth::lambda("nope")).data::<Value>("{ whoami { mode } }").await.unwrap_err();
    assert!(err.is_unauthorized());
    assert_eq!(err.message(), Some("Valid authorization header not provided."));
}

#[tokio::test]
async fn auth_can_be_overridden_per_request() {
    let server = TestServer::start().await;
    server.allow_api_key("da2-key").allow_token("lambda-token");
    let creds = Credentials::new("AKIDOVERRIDE", "s", None, None);
    server.allow_credentials(&creds);
    let client = client(&server, Auth::api_key("da2-key"));
    let default: Value = client.data("{ whoami { mode } }").await.unwrap();
    assert_eq!(default["whoami"]["mode"], "api-key");
    let lambda: Value =
        client.data(Request::new("{ whoami { mode } }").auth(Auth::lambda("lambda-token"))).await.unwrap();
    assert_eq!(lambda["whoami"]["mode"], "token");
    let iam: Value = client.data(Request::new("{ whoami { mode } }").auth(Auth::iam(creds))).await.unwrap();
    assert_eq!(iam["whoami"]["mode"], "iam");
}

#[tokio::test]
async fn tokens_are_refreshed_before_they_expire() {
    let server = TestServer::start().await;
    server.allow_token("token-1").allow_token("token-2");
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    let auth = Auth::cognito(provide_token_fn(move || {
        let n = counter.fetch_add(1, Ordering::SeqCst) + 1;
        async move {
            // Short-lived: refreshed at half its remaining life, well before it expires.
            Ok(Token::from_parts(format!("token-{n}"), Some(SystemTime::now() + Duration::from_millis(1200))))
        }
    }));
    let client = client(&server, auth);
    let first: Value = client.data("{ whoami { identity } }").await.unwrap();
    assert_eq!(first["whoami"]["identity"], "token-1");
    let token_1_expiry = SystemTime::now() + Duration::from_millis(1200);
    // The refresh is due by the wall clock, and is seen only when the token is next used: ask
    // until token-2 is sent, which must happen while token-1 is still valid.
    loop {
        let data: Value = client.data("{ whoami { identity } }").await.unwrap();
        if data["whoami"]["identity"] == "token-2" {
            break;
        }
        assert_eq!(data["whoami"]["identity"], "token-1");
        assert!(SystemTime::now() < token_1_expiry, "token-1 expired before it was refreshed");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(SystemTime::now() < token_1_expiry, "refreshed while token-1 was still valid");
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_rejected_token_is_fetched_again_once() {
    let server = TestServer::start().await;
    server.allow_token("token-1").allow_token("token-2");
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    let auth = Auth::lambda(provide_token_fn(move || {
        let n = counter.fetch_add(1, Ordering::SeqCst) + 1;
        async move { Ok(Token::new(format!("token-{n}"))) }
    }));
    let client = client(&server, auth);
    let first: Value = client.data("{ whoami { identity } }").await.unwrap();
    assert_eq!(first["whoami"]["identity"], "token-1");
    server.revoke_token("token-1");
    let second: Value = client.data("{ whoami { identity } }").await.unwrap();
    assert_eq!(second["whoami"]["identity"], "token-2");
    assert_eq!(server.hits(), 3, "one rejected attempt, one retry with the new token");
}

#[tokio::test]
async fn a_static_token_rejected_is_not_retried() {
    let server = TestServer::start().await;
    let client = client(&server, Auth::lambda("never-valid"));
    let err = client.data::<Value>("{ whoami { identity } }").await.unwrap_err();
    assert!(err.is_unauthorized());
    assert_eq!(server.hits(), 1);
}

#[tokio::test]
async fn extra_headers_per_client_and_per_request_reach_the_server() {
    let server = TestServer::start().await;
    let creds = Credentials::new("AKIDHDR", "s", None, None);
    server.allow_credentials(&creds);
    let client = builder(&server, Auth::iam(creds)).header("x-client-header", "c").build().unwrap();
    let _: Value =
        client.data(Request::new("{ whoami { mode } }").header("x-request-header", "r")).await.unwrap();
    let seen = &server.seen()[0];
    assert_eq!(seen.headers["x-client-header"], "c");
    assert_eq!(seen.headers["x-request-header"], "r");
    let authz = seen.headers["authorization"].to_str().unwrap();
    assert!(
        authz.contains("x-client-header") && authz.contains("x-request-header"),
        "extra headers are signed"
    );
}

#[tokio::test]
async fn variables_and_operation_name_are_sent() {
    let server = TestServer::start().await;
    server.allow_api_key("k");
    let client = client(&server, Auth::api_key("k"));
    #[derive(serde::Deserialize, Debug, PartialEq)]
    struct Post {
        id: String,
        title: String,
    }
    #[derive(serde::Deserialize)]
    struct Data {
        #[serde(rename = "getPost")]
        post: Post,
    }
    let response = client
        .execute::<Data>(
            Request::new("query A { x } query GetPost($id: ID!) { getPost(id: $id) { id title } }")
                .variables(json!({"id": "42"}))
                .operation_name("GetPost"),
        )
        .await
        .unwrap();
    assert_eq!(response.extensions.as_ref().unwrap()["trace"], "t-1");
    assert_eq!(response.into_result().unwrap().post, Post { id: "42".into(), title: "hello".into() });
    let body = &server.seen()[0].body;
    assert_eq!(body["operationName"], "GetPost");
    assert_eq!(body["variables"], json!({"id": "42"}));
}

#[tokio::test]
async fn auth_headers_sign_other_requests_such_as_the_realtime_handshake() {
    use appsync_sigv4::{SignableBody, SignableRequest, Verifier};
    use http::HeaderMap;
    use std::collections::HashMap;

    let creds = Credentials::new("ASIAWS", "ws-secret", Some("ws-token".into()), None);
    let client = appsync::Client::builder()
        .endpoint("https://abc.appsync-api.eu-west-1.amazonaws.com/graphql")
        .auth(Auth::iam(creds.clone()))
        .build()
        .unwrap();
    let mut headers = HeaderMap::new();
    headers.insert("accept", "application/json, text/javascript".parse().unwrap());
    headers.insert("content-encoding", "amz-1.0".parse().unwrap());
    headers.insert("content-type", "application/json; charset=UTF-8".parse().unwrap());
    let url = client.endpoint().join("/graphql/connect").unwrap();
    let signed = client.auth_headers(None, "POST", &url, headers, b"{}").await.unwrap();
    assert_eq!(signed["x-amz-security-token"], "ws-token");
    let authz = signed["authorization"].to_str().unwrap();
    assert!(authz.contains("/eu-west-1/appsync/aws4_request"));
    assert!(authz.contains("content-encoding"), "{authz}");

    let verifier = Verifier::new(HashMap::from([("ASIAWS".to_owned(), creds)]), "eu-west-1", "appsync");
    let pairs: Vec<(&str, &[u8])> = signed.iter().map(|(n, v)| (n.as_str(), v.as_bytes())).collect();
    let received = SignableRequest::new(
        "POST",
        "/graphql/connect",
        pairs.into_iter().chain([("host", &b"abc.appsync-api.eu-west-1.amazonaws.com"[..])]),
        SignableBody::Bytes(b"{}"),
    )
    .unwrap();
    assert_eq!(verifier.verify(&received, SystemTime::now()).unwrap().access_key_id(), "ASIAWS");

    let keyed = client
        .auth_headers(Some(&Auth::api_key("da2-k")), "POST", &url, HeaderMap::new(), b"{}")
        .await
        .unwrap();
    assert_eq!(keyed["x-api-key"], "da2-k");
}

#[tokio::test]
async fn any_serializable_graphql_body_is_a_request() {
    // The shape `cynic::Operation` serializes to.
    #[derive(serde::Serialize)]
    struct Operation<V> {
        query: String,
        variables: V,
        #[serde(rename = "operationName")]
        operation_name: Option<std::borrow::Cow<'static, str>>,
    }
    #[derive(serde::Serialize)]
    struct Vars {
        id: String,
    }
    let server = TestServer::start().await;
    server.allow_api_key("k");
    let client = client(&server, Auth::api_key("k"));
    let op = Operation {
        query: "query GetPost($id: ID!) { getPost(id: $id) { id title } }".into(),
        variables: Vars { id: "9".into() },
        operation_name: Some("GetPost".into()),
    };
    let data: Value = client.data(Request::from_body(&op).unwrap()).await.unwrap();
    assert_eq!(data["getPost"]["id"], "9");
    assert_eq!(server.seen()[0].body["operationName"], "GetPost");

    let err = Request::from_body(json!({"variables": {}})).unwrap_err();
    assert_eq!(err.field(), Some("body"));
    assert!(Request::from_body(json!([1])).unwrap_err().is_config());
}
