use std::error::Error as _;
use std::time::Duration;

use appsync::credentials::Credentials;
use appsync::realtime::RealtimeOptions;
use appsync::{Auth, Client, PathSegment, Request, RetryPolicy};
use serde_json::{Value, json};

use crate::support::{Fault, TestServer};
use crate::{builder, client};

async fn api_key_server() -> (TestServer, Client) {
    let server = TestServer::start().await;
    server.allow_api_key("k");
    let client = client(&server, Auth::api_key("k"));
    (server, client)
}

#[tokio::test]
async fn validation_errors_have_locations_and_no_type() {
    let (_server, client) = api_key_server().await;
    let response = client.query::<Value>("{ badField }", ()).await.unwrap();
    assert!(response.data.is_none());
    let error = &response.errors[0];
    assert!(error.message.starts_with("Validation error of type FieldUndefined"));
    assert_eq!(error.error_type, None);
    let location = &error.locations.as_ref().unwrap()[0];
    assert_eq!((location.line, location.column), (1, 3));

    let err = response.into_result().unwrap_err();
    assert!(err.is_graphql());
    assert_eq!(err.graphql_errors().len(), 1);
    assert!(err.to_string().contains("FieldUndefined"), "{err}");
}

#[tokio::test]
async fn resolver_errors_keep_type_info_and_path() {
    let (_server, client) = api_key_server().await;
    let response = client.query::<Value>("mutation { failingResolver }", ()).await.unwrap();
    assert_eq!(response.data, Some(json!({"failingResolver": null})), "partial data is kept");
    let error = &response.errors[0];
    assert_eq!(error.error_type.as_deref(), Some("DynamoDB:ConditionalCheckFailedException"));
    assert_eq!(error.error_info, Some(json!({"table": "Posts"})));
    assert_eq!(error.path, Some(vec![PathSegment::Field("failingResolver".into())]));
    let err = client.data::<Value>("mutation { failingResolver }").await.unwrap_err();
    assert!(err.is_graphql());
    assert_eq!(err.error_type(), Some("DynamoDB:ConditionalCheckFailedException"));
    assert_eq!(
        err.to_string(),
        "GraphQL error: DynamoDB:ConditionalCheckFailedException: The conditional request failed (at failingResolver)"
    );
}

#[tokio::test]
async fn decode_errors_name_the_json_path() {
    let (_server, client) = api_key_server().await;
    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct Post {
        id: String,
        title: String,
    }
    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct Data {
        posts: Vec<Post>,
    }
    let err = client.query::<Data>("{ wrongType { id } }", ()).await.unwrap_err();
    assert!(err.is_decode());
    assert_eq!(err.json_path().as_deref(), Some("data.posts[1].id"));
    let source = err.source().unwrap();
    assert!(source.to_string().contains("data.posts[1].id"), "{source}");
}

#[tokio::test]
async fn http_errors_carry_status_type_and_message() {
    let (server, client) = api_key_server().await;
    server.push_fault(Fault::Status(
        400,
        json!({"errors": [{"errorType": "BadRequestException", "message": "Unable to parse GraphQL query."}]}),
    ));
    let err = client.query::<Value>("{ x }", ()).await.unwrap_err();
    assert!(err.is_status() && !err.is_unauthorized() && !err.is_throttled());
    assert_eq!(err.status().map(|s| s.as_u16()), Some(400));
    assert_eq!(err.error_type(), Some("BadRequestException"));
    assert_eq!(err.message(), Some("Unable to parse GraphQL query."));
    assert_eq!(
        err.to_string(),
        "HTTP status 400 Bad Request: BadRequestException: Unable to parse GraphQL query."
    );

    server.push_fault(Fault::BadGateway);
    let client = builder(&server, Auth::api_key("k")).retry(RetryPolicy::disabled()).build().unwrap();
    let err = client.query::<Value>("{ x }", ()).await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(502));
    assert_eq!(err.error_type(), None);
}

#[tokio::test]
async fn unauthorized_without_any_auth_header_match() {
    let (_server, client) = api_key_server().await;
    let err = client.data::<Value>(Request::new("{ x }").auth(Auth::api_key("other"))).await.unwrap_err();
    assert!(err.is_unauthorized());
    assert_eq!(err.graphql_errors()[0].error_type.as_deref(), Some("UnauthorizedException"));
}

#[tokio::test]
async fn timeouts_are_reported_as_such() {
    let (server, _) = api_key_server().await;
    server.push_fault(Fault::Delay(Duration::from_secs(2)));
    let client = builder(&server, Auth::api_key("k"))
        .timeout(Duration::from_millis(200))
        .retry(RetryPolicy::disabled())
        .build()
        .unwrap();
    let started = std::time::Instant::now();
    let err = client.query::<Value>("{ x }", ()).await.unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(1));
    assert!(
        err.source().unwrap().downcast_ref::<reqwest::Error>().is_some(),
        "the reqwest error is the source"
    );

    // A per-request timeout overrides the client's.
    server.push_fault(Fault::Delay(Duration::from_millis(600)));
    let patient = builder(&server, Auth::api_key("k")).retry(RetryPolicy::disabled()).build().unwrap();
    let err = patient.query::<Value>("{ x }", ()).await.map(|_| ()).and(Ok::<(), appsync::Error>(()));
    assert!(err.is_ok());
    server.push_fault(Fault::Delay(Duration::from_secs(2)));
    let err = patient
        .execute::<Value>(Request::new("{ x }").timeout(Duration::from_millis(100)))
        .await
        .unwrap_err();
    assert!(err.is_timeout());
}

#[tokio::test]
async fn connection_failures_are_connect_errors() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/graphql", listener.local_addr().unwrap());
    drop(listener);
    let client = Client::builder()
        .endpoint(url)
        .auth(Auth::api_key("k"))
        .retry(RetryPolicy::disabled())
        .build()
        .unwrap();
    let err = client.query::<Value>("{ x }", ()).await.unwrap_err();
    assert!(err.is_connect() && err.is_transport() && !err.is_timeout(), "{err:?}");
    assert_eq!(err.to_string(), "error sending the request");
    assert!(err.source().is_some());
}

#[tokio::test]
async fn bad_configuration_names_the_field() {
    let field = |b: appsync::ClientBuilder| b.build().unwrap_err().field();
    let iam = || Auth::iam(Credentials::new("AKID", "SECRET", None, None));
    assert_eq!(field(Client::builder().auth(iam())), Some("endpoint"));
    assert_eq!(
        field(Client::builder().endpoint("https://x.appsync-api.us-east-1.amazonaws.com/graphql")),
        Some("auth")
    );
    assert_eq!(field(Client::builder().endpoint("not a url").auth(iam())), Some("endpoint"));
    let custom =
        Client::builder().endpoint("https://api.example.com/graphql").auth(iam()).build().unwrap_err();
    assert_eq!(custom.field(), Some("region"));
    assert!(custom.to_string().contains("custom domain"), "{custom}");
    assert!(custom.to_string().contains("api.example.com"), "{custom}");
    let ok = Client::builder().endpoint("https://api.example.com/graphql").auth(Auth::api_key("k")).build();
    assert!(ok.is_ok(), "non-IAM modes need no region");
    let parsed = Client::builder()
        .endpoint("https://x.appsync-api.eu-west-2.amazonaws.com/graphql")
        .auth(iam())
        .build();
    assert_eq!(parsed.unwrap().region(), Some("eu-west-2"));
    let base =
        || Client::builder().endpoint("https://x.appsync-api.us-east-1.amazonaws.com/graphql").auth(iam());
    assert_eq!(field(base().header("bad header", "v")), Some("header"));
    assert_eq!(field(base().header("x-ok", "bad\nvalue")), Some("header"));
    assert_eq!(field(base().timeout(Duration::ZERO)), Some("timeout"));
    assert_eq!(field(base().connect_timeout(Duration::ZERO)), Some("connect_timeout"));
    assert_eq!(field(base().region("us east")), Some("region"));
    assert_eq!(field(base().retry(RetryPolicy::default().max_attempts(0))), Some("retry.max_attempts"));
    let realtime = |options: RealtimeOptions| field(base().realtime(options));
    assert_eq!(
        realtime(RealtimeOptions::default().event_queue_capacity(0)),
        Some("realtime.event_queue_capacity")
    );
    assert_eq!(
        realtime(RealtimeOptions::default().max_messages_per_second(0)),
        Some("realtime.max_messages_per_second")
    );
    assert_eq!(
        realtime(RealtimeOptions::default().max_subscriptions_per_connection(0)),
        Some("realtime.max_subscriptions_per_connection")
    );
    assert_eq!(
        realtime(RealtimeOptions::default().initial_connect_attempts(0)),
        Some("realtime.initial_connect_attempts")
    );
    assert_eq!(
        realtime(
            RealtimeOptions::default().reconnect_backoff(Duration::from_secs(2), Duration::from_secs(1))
        ),
        Some("realtime.reconnect_backoff")
    );
    let err = base().timeout(Duration::ZERO).build().unwrap_err();
    assert!(err.is_config());
    assert_eq!(
        err.to_string(),
        "invalid client configuration: `timeout`: must be greater than zero (or call no_timeout)"
    );
}

#[tokio::test]
async fn secrets_never_show_in_debug_output() {
    let creds = Credentials::new("AKIDVISIBLE", "very-secret-key", Some("very-secret-token".into()), None);
    let client = Client::builder()
        .endpoint("https://x.appsync-api.us-east-1.amazonaws.com/graphql")
        .auth(Auth::iam(creds))
        .build()
        .unwrap();
    let shown = format!("{client:?}");
    assert!(!shown.contains("very-secret"), "{shown}");
    let with_key = Client::builder()
        .endpoint("https://x.appsync-api.us-east-1.amazonaws.com/graphql")
        .auth(Auth::api_key("da2-very-secret"));
    assert!(!format!("{with_key:?}").contains("very-secret"));
}
