//! The emulator on a free loopback port, with the credentials every test knows.

use appsync_local::{ApiKey, AuthMode, Credentials, Emulator, EmulatorBuilder, ServerHandle};
use serde_json::{Value, json};

use crate::sign::{sign_aws, sign_ours};

/// The IAM access key id the demo emulator accepts.
pub const AKID: &str = "AKIDLOCALTEST";
/// The secret access key paired with [`AKID`].
pub const SECRET: &str = "local-test-secret";
/// The API key the demo emulator accepts.
pub const API_KEY: &str = "da2-localtestkey";
/// The region the demo emulator verifies signatures for.
pub const REGION: &str = "us-east-1";

/// The demo schema with IAM as the default mode, [`API_KEY`] and the [`AKID`]/[`SECRET`] pair.
pub fn demo_builder() -> EmulatorBuilder {
    Emulator::builder()
        .iam_credentials(Credentials::new(AKID, SECRET, None, None))
        .api_key(ApiKey::new(API_KEY))
        .region(REGION)
        .default_auth(AuthMode::Iam)
}

/// A running emulator and a plain HTTP client for it. Dropping the handle stops the server.
pub struct Server {
    /// The running server.
    pub handle: ServerHandle,
    /// Its GraphQL URL, `http://127.0.0.1:PORT/graphql`.
    pub url: String,
    /// `127.0.0.1:PORT`, the host requests are signed for.
    pub host: String,
    /// A client with no auth of its own.
    pub client: reqwest::Client,
}

/// Builds the emulator and starts it on `127.0.0.1:0`.
pub async fn start(builder: EmulatorBuilder) -> Server {
    let emulator = builder.build().expect("emulator config");
    start_emulator(&emulator).await
}

/// Starts an already built emulator on `127.0.0.1:0` (a test that keeps the `Emulator` to
/// inspect or restart it).
pub async fn start_emulator(emulator: &Emulator) -> Server {
    let handle = emulator.spawn("127.0.0.1:0").await.expect("spawn");
    let host = handle.local_addr().to_string();
    Server { url: handle.graphql_url(), host, handle, client: reqwest::Client::new() }
}

/// What came back for one request, read whole.
pub struct Reply {
    /// The HTTP status.
    pub status: u16,
    /// The response headers.
    pub headers: reqwest::header::HeaderMap,
    /// The body as text.
    pub text: String,
}

impl Reply {
    /// The body as JSON; panics with the body when it is not JSON.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }
}

/// A GraphQL request body.
pub fn body(query: &str, variables: Value) -> Vec<u8> {
    serde_json::to_vec(&json!({ "query": query, "variables": variables })).expect("json")
}

impl Server {
    /// POSTs `body` to the GraphQL URL with exactly these headers.
    pub async fn raw(&self, headers: &[(&str, String)], body: Vec<u8>) -> Reply {
        let mut req = self.client.post(&self.url);
        for (k, v) in headers {
            req = req.header(*k, v);
        }
        let resp = req.body(body).send().await.expect("send");
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let text = resp.text().await.expect("body");
        Reply { status, headers, text }
    }

    /// A request with [`API_KEY`].
    pub async fn api_key(&self, query: &str, variables: Value) -> Reply {
        self.raw(
            &[("x-api-key", API_KEY.to_owned()), ("content-type", "application/json".to_owned())],
            body(query, variables),
        )
        .await
    }

    /// A request signed by appsync-sigv4 with [`AKID`]/[`SECRET`].
    pub async fn iam(&self, query: &str, variables: Value) -> Reply {
        let b = body(query, variables);
        let headers = sign_ours(&self.host, &b, AKID, SECRET, None, REGION);
        self.raw(&headers, b).await
    }

    /// A request signed by the independent aws-sigv4 crate with [`AKID`]/[`SECRET`].
    pub async fn iam_aws(&self, query: &str, variables: Value) -> Reply {
        let b = body(query, variables);
        let headers = sign_aws(&self.host, &b, AKID, SECRET, None, REGION, std::time::SystemTime::now());
        self.raw(&headers, b).await
    }
}
