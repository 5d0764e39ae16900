//! AppSync Events' HTTP publishes against the test server's faults: a publish that may have
//! reached the server is never sent again (its events would be published twice); a signature
//! rejected for its time is corrected and signed again.

use std::time::Duration;

use appsync::credentials::Credentials;
use appsync::events::EventsClient;
use appsync::{Auth, RetryPolicy};
use serde_json::json;

use crate::support::{Fault, REGION, TestServer};

fn client(server: &TestServer, auth: Auth) -> EventsClient {
    EventsClient::builder()
        .endpoint(server.url.replace("/graphql", "/event"))
        .region(REGION)
        .auth(auth)
        .timeout(Duration::from_millis(500))
        .retry(
            RetryPolicy::default()
                .base_backoff(Duration::from_millis(5))
                .max_backoff(Duration::from_millis(20)),
        )
        .build()
        .unwrap()
}

#[tokio::test]
async fn a_publish_that_may_have_arrived_is_never_sent_again() {
    for fault in [Fault::Drop, Fault::ServerError, Fault::Throttle, Fault::Delay(Duration::from_secs(2))] {
        let server = TestServer::start().await;
        server.allow_api_key("da2-http");
        server.push_faults(fault.clone(), 3);
        let client = client(&server, Auth::api_key("da2-http"));
        let error = client.publish("/default/chat", [json!({"n": 1})]).await.unwrap_err();
        assert_eq!(server.hits(), 1, "{fault:?}: sent once, not retried ({error})");
        match fault {
            Fault::Drop => assert!(error.is_transport(), "{error:?}"),
            Fault::ServerError => assert_eq!(error.status().map(|s| s.as_u16()), Some(500)),
            Fault::Throttle => assert!(error.is_throttled(), "{error:?}"),
            _ => assert!(error.is_timeout(), "{error:?}"),
        }
    }
}

#[tokio::test]
async fn a_signature_rejected_for_its_time_is_signed_again_once() {
    let server = TestServer::start().await;
    let creds = Credentials::new("AKIDEVENTSSKEW", "s", None, None);
    server.allow_credentials(&creds);
    server.set_clock_skew(20 * 60);
    let client = client(&server, Auth::iam(creds));
    // The test server answers as GraphQL would, so only what it saw is looked at.
    let _ = client.publish("/default/chat", [json!({"n": 1})]).await;
    assert_eq!(server.hits(), 2, "one rejection, one re-signed attempt");
    let seen = server.seen();
    assert_eq!(seen.len(), 1, "the second attempt's signature verified");
    assert_eq!(seen[0].mode, "iam");
    assert_eq!(seen[0].body, json!({"channel": "/default/chat", "events": ["{\"n\":1}"]}));
}
