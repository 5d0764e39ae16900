use appsync::credentials::Credentials;
use appsync::middleware::SigV4Middleware;
use serde_json::Value;

use crate::support::{REGION, TestServer};

fn signed_client(
    creds: Credentials,
    service: &str,
    unsigned: bool,
) -> reqwest_middleware::ClientWithMiddleware {
    reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
        .with(SigV4Middleware::new(creds, REGION, service).allow_unsigned_payload(unsigned))
        .build()
}

fn base(server: &TestServer) -> String {
    server.url.trim_end_matches("/graphql").to_owned()
}

#[tokio::test]
async fn signs_requests_for_any_service() {
    let server = TestServer::start().await;
    let creds = Credentials::new("AKIDMW", "mw-secret", Some("mw-token".into()), None);
    server.allow_credentials(&creds);
    let client = signed_client(creds, "execute-api", false);
    let response = client
        .get(format!("{}/verify/execute-api?b=2&a=1", base(&server)))
        .header("x-custom", "yes")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["accessKeyId"], "AKIDMW");
    assert!(body["signedHeaders"].as_str().unwrap().contains("x-custom"));

    let post = client
        .post(format!("{}/verify/execute-api", base(&server)))
        .body("{\"hello\":1}")
        .send()
        .await
        .unwrap();
    assert_eq!(post.status(), 200, "buffered bodies are hashed into the signature");
}

#[tokio::test]
async fn a_signature_for_another_service_is_rejected() {
    let server = TestServer::start().await;
    let creds = Credentials::new("AKIDMW", "mw-secret", None, None);
    server.allow_credentials(&creds);
    let client = signed_client(creds, "lambda", false);
    let response = client.get(format!("{}/verify/execute-api", base(&server))).send().await.unwrap();
    assert_eq!(response.status(), 403);
}

#[tokio::test]
async fn streaming_bodies_are_refused_unless_unsigned_payload_is_allowed() {
    let server = TestServer::start().await;
    let creds = Credentials::new("AKIDMW", "mw-secret", None, None);
    server.allow_credentials(&creds);
    let stream = || {
        reqwest::Body::wrap_stream(futures_util::stream::iter([Ok::<_, std::io::Error>(
            bytes::Bytes::from_static(b"streamed"),
        )]))
    };
    let strict = signed_client(creds.clone(), "s3", false);
    let err = strict.put(format!("{}/verify/s3", base(&server))).body(stream()).send().await.unwrap_err();
    assert!(err.to_string().contains("UNSIGNED-PAYLOAD"), "{err}");
    assert_eq!(server.hits(), 0, "nothing was sent");

    let relaxed = signed_client(creds, "s3", true);
    let response = relaxed.put(format!("{}/verify/s3", base(&server))).body(stream()).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["body"], "streamed");
}
