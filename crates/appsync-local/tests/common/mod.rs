//! Shared helpers: start the emulator on 127.0.0.1:0 and talk HTTP and WebSocket to it.
#![allow(dead_code, unreachable_pub, missing_docs)]
// Helpers of the tests: a failed expect is the test failing, with its message.
#![allow(clippy::expect_used)]

use std::time::{Duration, SystemTime};

use appsync_local::{ApiKey, AuthMode, Credentials, Emulator, EmulatorBuilder, ServerHandle};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Map, Value, json};
use tokio_tungstenite::tungstenite::Message;

pub const AKID: &str = "AKIDLOCALTEST";
pub const SECRET: &str = "local-test-secret";
pub const API_KEY: &str = "da2-localtestkey";
pub const REGION: &str = "us-east-1";

pub fn demo_builder() -> EmulatorBuilder {
    Emulator::builder()
        .iam_credentials(Credentials::new(AKID, SECRET, None, None))
        .api_key(ApiKey::new(API_KEY))
        .region(REGION)
        .default_auth(AuthMode::Iam)
}

pub struct Server {
    pub handle: ServerHandle,
    pub url: String,
    pub host: String,
    pub client: reqwest::Client,
}

pub async fn start(builder: EmulatorBuilder) -> Server {
    let emulator = builder.build().expect("emulator config");
    start_emulator(&emulator).await
}

pub async fn start_emulator(emulator: &Emulator) -> Server {
    let handle = emulator.spawn("127.0.0.1:0").await.expect("spawn");
    let host = handle.local_addr().to_string();
    Server { url: handle.graphql_url(), host, handle, client: reqwest::Client::new() }
}

pub struct Reply {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub text: String,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }
}

pub fn body(query: &str, variables: Value) -> Vec<u8> {
    serde_json::to_vec(&json!({ "query": query, "variables": variables })).expect("json")
}

impl Server {
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

    pub async fn api_key(&self, query: &str, variables: Value) -> Reply {
        self.raw(
            &[("x-api-key", API_KEY.to_owned()), ("content-type", "application/json".to_owned())],
            body(query, variables),
        )
        .await
    }

    /// Signed by appsync-sigv4.
    pub async fn iam(&self, query: &str, variables: Value) -> Reply {
        let b = body(query, variables);
        let headers = sign_ours(&self.host, &b, AKID, SECRET, None, REGION);
        self.raw(&headers, b).await
    }

    /// Signed by the independent aws-sigv4 crate.
    pub async fn iam_aws(&self, query: &str, variables: Value) -> Reply {
        let b = body(query, variables);
        let headers = sign_aws(&self.host, &b, AKID, SECRET, None, REGION, SystemTime::now());
        self.raw(&headers, b).await
    }
}

pub fn sign_ours(
    host: &str,
    body: &[u8],
    akid: &str,
    secret: &str,
    token: Option<&str>,
    region: &str,
) -> Vec<(&'static str, String)> {
    let creds = appsync_sigv4::Credentials::new(akid, secret, token.map(str::to_owned), None);
    let base: Vec<(&str, &[u8])> = vec![("host", host.as_bytes()), ("content-type", b"application/json")];
    let req = appsync_sigv4::SignableRequest::new(
        "POST",
        "/graphql",
        base,
        appsync_sigv4::SignableBody::Bytes(body),
    )
    .expect("signable");
    let params = appsync_sigv4::SigningParams::new(&creds, region, "appsync", SystemTime::now());
    let out = appsync_sigv4::sign(&req, &params).expect("sign");
    let mut headers = vec![("host", host.to_owned()), ("content-type", "application/json".to_owned())];
    for part in out.headers() {
        headers.push((part.name(), part.value().to_owned()));
    }
    headers
}

pub fn sign_aws(
    host: &str,
    body: &[u8],
    akid: &str,
    secret: &str,
    token: Option<&str>,
    region: &str,
    time: SystemTime,
) -> Vec<(&'static str, String)> {
    use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
    use aws_sigv4::sign::v4;
    let creds = aws_credential_types::Credentials::new(akid, secret, token.map(str::to_owned), None, "test");
    let identity = creds.into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name("appsync")
        .time(time)
        .settings(SigningSettings::default())
        .build()
        .expect("params")
        .into();
    let url = format!("http://{host}/graphql");
    let base = [("host", host), ("content-type", "application/json")];
    let signable =
        SignableRequest::new("POST", &url, base.into_iter(), SignableBody::Bytes(body)).expect("signable");
    let (instructions, _) = sign(signable, &params).expect("sign").into_parts();
    let mut headers = vec![("host", host.to_owned()), ("content-type", "application/json".to_owned())];
    for (name, value) in instructions.headers() {
        let name: &'static str = match name {
            "authorization" => "authorization",
            "x-amz-date" => "x-amz-date",
            "x-amz-security-token" => "x-amz-security-token",
            "x-amz-content-sha256" => "x-amz-content-sha256",
            other => panic!("unexpected signing header {other}"),
        };
        headers.push((name, value.to_owned()));
    }
    headers
}

pub const CREATE: &str = "mutation Create($input: CreatePostInput!) {
  createPost(input: $input) { id title author content createdAt updatedAt }
}";

/// A client WebSocket to the emulator.
pub type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

pub const CONNECT_HEADERS: [(&str, &str); 3] = [
    ("accept", "application/json, text/javascript"),
    ("content-encoding", "amz-1.0"),
    ("content-type", "application/json; charset=UTF-8"),
];

/// Headers for POST `path` with `body`, signed by appsync-sigv4, as the JSON object AppSync
/// wants in a real-time handshake or message (GraphQL `/graphql/connect`, Events `/event`).
pub fn iam_headers(host: &str, path: &str, body: &[u8], secret: &str) -> Map<String, Value> {
    let creds = appsync_sigv4::Credentials::new(AKID, secret, None, None);
    let mut base: Vec<(&str, &[u8])> = vec![("host", host.as_bytes())];
    for (k, v) in CONNECT_HEADERS {
        base.push((k, v.as_bytes()));
    }
    let req =
        appsync_sigv4::SignableRequest::new("POST", path, base, appsync_sigv4::SignableBody::Bytes(body))
            .expect("signable");
    let params = appsync_sigv4::SigningParams::new(&creds, REGION, "appsync", SystemTime::now());
    let out = appsync_sigv4::sign(&req, &params).expect("sign");
    let mut m = Map::new();
    m.insert("host".into(), host.into());
    for (k, v) in CONNECT_HEADERS {
        m.insert(k.into(), v.into());
    }
    for part in out.headers() {
        m.insert(part.name().into(), part.value().into());
    }
    m
}

pub async fn send(ws: &mut Ws, v: Value) {
    ws.send(Message::Text(v.to_string().into())).await.expect("send");
}

/// The next protocol message other than `ka`; `None` once the server closed.
pub async fn recv(ws: &mut Ws) -> Option<Value> {
    loop {
        let frame = tokio::time::timeout(Duration::from_secs(5), ws.next()).await.expect("a frame in time");
        match frame {
            Some(Ok(Message::Text(t))) => {
                let v: Value = serde_json::from_str(t.as_str()).expect("json");
                if v["type"] != "ka" {
                    return Some(v);
                }
            }
            Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return None,
            Some(Ok(_)) => {}
        }
    }
}
