//! Logs: spans per request and attempt, and no secret in anything logged. A test binary of its
//! own, because `tracing` caches per-callsite interest process-wide: a span first reached by
//! another test's thread, with no subscriber, could stay disabled for this one.

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::sync::{Arc, Mutex};

use appsync::credentials::Credentials;
use appsync::{Auth, Request};
use serde_json::Value;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::fmt::format::FmtSpan;

#[path = "support/mod.rs"]
mod support;

use support::{Fault, REGION, TestServer};

fn client(server: &TestServer, auth: Auth) -> appsync::Client {
    appsync::Client::builder().endpoint(&server.url).region(REGION).auth(auth).build().unwrap()
}

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Captured {
    type Writer = Captured;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

/// Everything logged at TRACE (ours, reqwest's, hyper's) while a signed request with a session
/// token, a retry and an API-key request run: the spans carry the operation, attempt, status and
/// latency, and no secret appears anywhere.
#[tokio::test(flavor = "current_thread")]
async fn spans_describe_each_attempt_and_never_hold_secrets() {
    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_span_events(FmtSpan::CLOSE)
        .with_ansi(false)
        .with_writer(captured.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let server = TestServer::start().await;
    let creds = Credentials::new("ASIALOGGED", "log-secret-key", Some("log-session-token".into()), None);
    server.allow_credentials(&creds).allow_api_key("da2-log-api-key");
    let client = client(&server, Auth::iam(creds));
    server.push_fault(Fault::Throttle);
    let _: Value = client.data("query WhoAmI { whoami { mode } }").await.unwrap();
    let _: Value = client
        .data(Request::new("query Keyed { whoami { mode } }").auth(Auth::api_key("da2-log-api-key")))
        .await
        .unwrap();

    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(logs.contains("operation=WhoAmI"), "{logs}");
    assert!(logs.contains("attempt=1") && logs.contains("attempt=2"), "{logs}");
    assert!(logs.contains("status=429") && logs.contains("status=200"), "{logs}");
    assert!(logs.contains("latency_ms="), "{logs}");
    assert!(logs.contains("auth=\"api-key\"") || logs.contains("auth=api-key"), "{logs}");
    for secret in ["log-secret-key", "log-session-token", "da2-log-api-key", "Signature="] {
        assert!(!logs.contains(secret), "`{secret}` was logged:\n{logs}");
    }
}
