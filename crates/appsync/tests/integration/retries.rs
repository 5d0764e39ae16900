use std::time::Duration;

use appsync::credentials::Credentials;
use appsync::{Auth, Client, Request, RetryPolicy};
use serde_json::Value;

use crate::support::{Fault, TestServer};
use crate::{builder, client};

async fn server() -> (TestServer, Client) {
    let server = TestServer::start().await;
    server.allow_api_key("k");
    let client = client(&server, Auth::api_key("k"));
    (server, client)
}

#[tokio::test]
async fn throttled_queries_are_retried() {
    let (server, client) = server().await;
    server.push_fault(Fault::Throttle);
    let data: Value = client.data("query { whoami { mode } }").await.unwrap();
    assert_eq!(data["whoami"]["mode"], "api-key");
    assert_eq!(server.hits(), 2);
}

#[tokio::test]
async fn server_errors_and_dropped_connections_are_retried_for_queries() {
    let (server, client) = server().await;
    server.push_fault(Fault::ServerError).push_fault(Fault::Drop);
    let _: Value = client.data("{ whoami { mode } }").await.unwrap();
    assert_eq!(server.hits(), 3);
}

#[tokio::test]
async fn retries_stop_after_max_attempts_with_the_last_error() {
    let (server, client) = server().await;
    server.push_faults(Fault::Throttle, 10);
    let err = client.data::<Value>("{ whoami { mode } }").await.unwrap_err();
    assert!(err.is_throttled());
    assert_eq!(err.status().map(|s| s.as_u16()), Some(429));
    assert_eq!(err.error_type(), Some("TooManyRequestsException"));
    assert_eq!(server.hits(), 3, "default policy: 3 attempts");
}

#[tokio::test]
async fn mutations_are_not_resent_after_they_may_have_arrived() {
    let (server, client) = server().await;
    server.push_fault(Fault::ServerError);
    let err = client.data::<Value>("mutation Add { addPost { id } }").await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(500));
    assert_eq!(server.hits(), 1);

    server.push_fault(Fault::Drop);
    let err = client.data::<Value>("mutation Add { addPost { id } }").await.unwrap_err();
    assert!(err.is_transport() && !err.is_connect(), "{err:?}");
    assert_eq!(server.hits(), 2);

    server.push_fault(Fault::Throttle);
    let err = client.data::<Value>("mutation Add { addPost { id } }").await.unwrap_err();
    assert!(err.is_throttled());
    assert_eq!(server.hits(), 3);
}

#[tokio::test]
async fn mutations_are_retried_when_the_caller_opts_in() {
    let (server, client) = server().await;
    server.push_fault(Fault::ServerError);
    let _: Value =
        client.data(Request::new("mutation Add { addPost { id } }").retry_mutation(true)).await.unwrap();
    assert_eq!(server.hits(), 2);

    let everywhere = builder(&server, Auth::api_key("k"))
        .retry(RetryPolicy::default().base_backoff(Duration::from_millis(5)).retry_mutations(true))
        .build()
        .unwrap();
    server.push_fault(Fault::Throttle);
    let _: Value = everywhere.data("mutation Add { addPost { id } }").await.unwrap();
    assert_eq!(server.hits(), 4);
}

/// Resolves every name to one address and says each time it is asked: every new connection
/// the client attempts starts with a lookup, so lookups count connection attempts.
struct CountingResolver {
    addr: std::net::SocketAddr,
    lookups: tokio::sync::mpsc::UnboundedSender<()>,
}

impl reqwest::dns::Resolve for CountingResolver {
    fn resolve(&self, _name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let _ = self.lookups.send(());
        let addrs: reqwest::dns::Addrs = Box::new(std::iter::once(self.addr));
        Box::pin(async move { Ok(addrs) })
    }
}

#[tokio::test]
async fn mutations_are_retried_when_the_connection_was_never_made() {
    // Bound but not listening: connections to it are refused, and the port stays ours.
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let addr = socket.local_addr().unwrap();
    let (lookups, mut attempts) = tokio::sync::mpsc::unbounded_channel();
    let http = reqwest::Client::builder().dns_resolver(CountingResolver { addr, lookups }).build().unwrap();
    let client = Client::builder()
        .endpoint("http://appsync.test/graphql")
        .auth(Auth::api_key("k"))
        .http_client(http)
        .retry(
            RetryPolicy::default()
                .max_attempts(12)
                .base_backoff(Duration::from_millis(100))
                .max_backoff(Duration::from_millis(400)),
        )
        .build()
        .unwrap();
    let mutation = tokio::spawn(async move { client.data::<Value>("mutation Add { addPost { id } }").await });
    // The server comes up once the first attempt has been refused: when the second one starts.
    for _ in 0..2 {
        tokio::time::timeout(Duration::from_secs(10), attempts.recv()).await.unwrap().unwrap();
    }
    let server = TestServer::serve(socket.listen(128).unwrap());
    server.allow_api_key("k");
    let data = mutation.await.unwrap().unwrap();
    assert_eq!(data["whoami"]["mode"], "api-key");
    assert_eq!(server.hits(), 1, "the mutation reached the server exactly once");
}

#[tokio::test]
async fn the_retry_budget_stops_retries() {
    let server = TestServer::start().await;
    server.allow_api_key("k");
    let client = builder(&server, Auth::api_key("k"))
        .retry(RetryPolicy::default().base_backoff(Duration::from_millis(1)).max_attempts(10).budget(10))
        .build()
        .unwrap();
    server.push_faults(Fault::ServerError, 20);
    let err = client.data::<Value>("{ whoami { mode } }").await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(500));
    assert_eq!(server.hits(), 3, "a budget of 10 pays for two retries");
    let _ = client.data::<Value>("{ whoami { mode } }").await.unwrap_err();
    assert_eq!(server.hits(), 4, "the budget is empty: no retry at all");
}

#[tokio::test]
async fn clock_skew_is_corrected_from_the_date_header_and_kept() {
    let server = TestServer::start().await;
    let creds = Credentials::new("AKIDSKEW", "s", None, None);
    server.allow_credentials(&creds);
    server.set_clock_skew(20 * 60);
    let client = builder(&server, Auth::iam(creds.clone())).retry(RetryPolicy::disabled()).build().unwrap();
    let data: Value = client.data("mutation { whoami { mode } }").await.unwrap();
    assert_eq!(data["whoami"]["mode"], "iam");
    assert_eq!(server.hits(), 2, "one rejection, one re-signed attempt");
    let offset = client.clock_offset_ms();
    assert!((1_195_000..=1_205_000).contains(&offset), "offset {offset}");
    let _: Value = client.data("{ whoami { mode } }").await.unwrap();
    assert_eq!(server.hits(), 3, "the offset is kept: the next request is signed right first time");

    let uncorrected = builder(&server, Auth::iam(creds))
        .clock_skew_correction(false)
        .retry(RetryPolicy::disabled())
        .build()
        .unwrap();
    let err = uncorrected.data::<Value>("{ whoami { mode } }").await.unwrap_err();
    assert!(err.is_unauthorized());
    assert_eq!(err.error_type(), Some("InvalidSignatureException"));
    assert!(err.message().unwrap().starts_with("Signature expired"));
}

#[tokio::test]
async fn a_rejected_signature_that_is_not_about_time_is_not_retried() {
    let server = TestServer::start().await;
    server.allow_credentials(&Credentials::new("AKIDX", "right", None, None));
    let client = client(&server, Auth::iam(Credentials::new("AKIDX", "wrong", None, None)));
    let err = client.data::<Value>("{ whoami { mode } }").await.unwrap_err();
    assert_eq!(err.error_type(), Some("InvalidSignatureException"));
    assert_eq!(server.hits(), 1);
}

#[tokio::test]
async fn retry_after_is_honoured_within_the_policy_and_reported_beyond_it() {
    let (server, _) = server().await;
    let patient = builder(&server, Auth::api_key("k"))
        .retry(
            RetryPolicy::default().base_backoff(Duration::from_millis(5)).max_backoff(Duration::from_secs(2)),
        )
        .build()
        .unwrap();
    server.push_fault(Fault::ThrottleFor(1));
    let started = std::time::Instant::now();
    let _: Value = patient.data("{ whoami { mode } }").await.unwrap();
    assert!(started.elapsed() >= Duration::from_secs(1), "waited as asked");
    assert_eq!(server.hits(), 2);

    server.push_fault(Fault::ThrottleFor(30));
    let err = patient.data::<Value>("{ whoami { mode } }").await.unwrap_err();
    assert_eq!(err.retry_after(), Some(Duration::from_secs(30)));
    assert!(err.is_throttled());
    assert_eq!(server.hits(), 3, "a 30 s pause is beyond the policy's 2 s: no retry");
}
