//! Real peers for the emulator's data sources, on `127.0.0.1:0`, each on a thread of its own
//! (so that synchronous tests and any runtime can use them): a function behind the Lambda
//! Runtime Interface Emulator's invocation API, and a plain HTTP server. Both record what they
//! received.

use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use appsync_sigv4::{CredentialStore, SignableBody, SignableRequest, VerifiedRequest, Verifier, VerifyError};

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::IntoResponse;
use serde_json::Value;

/// One request a peer received.
#[derive(Debug, Clone)]
pub struct PeerRequest {
    /// The method.
    pub method: String,
    /// The path and query, as sent.
    pub uri: String,
    /// The headers, names in lower case, in order.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl PeerRequest {
    /// The first value of header `name`.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    /// The body as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("a JSON body")
    }

    /// Checks the request's SigV4 signature with `verifier`, as the AWS service it stands for
    /// would, now.
    ///
    /// # Errors
    /// Why the signature does not hold (the verifier's error).
    pub fn verify<S: CredentialStore>(&self, verifier: &Verifier<S>) -> Result<VerifiedRequest, VerifyError> {
        let headers: Vec<(&str, &[u8])> =
            self.headers.iter().map(|(n, v)| (n.as_str(), v.as_bytes())).collect();
        let signable =
            SignableRequest::new(&self.method, &self.uri, headers, SignableBody::Bytes(&self.body))
                .expect("a request the peer received reads as one to verify");
        verifier.verify(&signable, SystemTime::now())
    }
}

/// A peer server running until dropped.
pub struct Peer {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    /// What it received, in order.
    pub requests: Arc<Mutex<Vec<PeerRequest>>>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Peer {
    /// What it received so far.
    pub fn received(&self) -> Vec<PeerRequest> {
        self.requests.lock().unwrap().clone()
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// What a peer answers: status, headers, body.
pub type PeerAnswer = (u16, Vec<(String, String)>, Vec<u8>);

/// An HTTP server answering every request with `answer`.
pub fn http_peer(answer: impl Fn(&PeerRequest) -> PeerAnswer + Send + Sync + 'static) -> Peer {
    let requests: Arc<Mutex<Vec<PeerRequest>>> = Arc::default();
    let seen = Arc::clone(&requests);
    let answer = Arc::new(answer);
    let handler = move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
        let seen = Arc::clone(&seen);
        let answer = Arc::clone(&answer);
        async move {
            let request = PeerRequest {
                method: method.to_string(),
                uri: uri.to_string(),
                headers: headers
                    .iter()
                    .map(|(n, v)| (n.as_str().to_owned(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
                    .collect(),
                body: body.to_vec(),
            };
            let (status, headers, body) = answer(&request);
            seen.lock().unwrap().push(request);
            let mut response = (StatusCode::from_u16(status).unwrap(), body).into_response();
            for (name, value) in headers {
                response.headers_mut().append(
                    axum::http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                    value.parse().unwrap(),
                );
            }
            response
        }
    };
    let (url_tx, url_rx) = std::sync::mpsc::channel();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            url_tx.send(format!("http://{}", listener.local_addr().unwrap())).unwrap();
            let app = axum::Router::new().fallback(handler);
            axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await
                .unwrap();
        });
    });
    let url = url_rx.recv().expect("the peer's address");
    Peer { url, requests, stop: Some(stop) }
}

/// A Lambda function behind the Runtime Interface Emulator's API (`POST
/// /2015-03-31/functions/function/invocations`): `function` gets the event and returns the
/// answer, or `Err((errorType, errorMessage))`, which is answered as Lambda's runtimes report a
/// thrown error (`X-Amz-Function-Error: Unhandled`, `{errorMessage, errorType}`).
pub fn lambda_rie(
    function: impl Fn(Value) -> Result<Value, (String, String)> + Send + Sync + 'static,
) -> Peer {
    http_peer(move |request| {
        if request.method != "POST" || request.uri != "/2015-03-31/functions/function/invocations" {
            return (404, Vec::new(), b"not the invocation API".to_vec());
        }
        let json = vec![("content-type".to_owned(), "application/json".to_owned())];
        match function(request.json()) {
            Ok(answer) => (200, json, answer.to_string().into_bytes()),
            Err((error_type, message)) => {
                let mut headers = json;
                headers.push(("x-amz-function-error".to_owned(), "Unhandled".to_owned()));
                let body = serde_json::json!({ "errorMessage": message, "errorType": error_type });
                (200, headers, body.to_string().into_bytes())
            }
        }
    })
}
