//! HTTP data sources: real requests to the data source's endpoint, SigV4-signed when its
//! `AuthorizationConfig` is `AWS_IAM` (guide: "AWS AppSync JavaScript resolver function
//! reference for HTTP").

use std::time::{Duration, SystemTime};

use appsync_js::{Context, DataSource, DataSourceError};
use appsync_sigv4::{Credentials, SignableBody, SignableRequest, SigningParams};
use async_trait::async_trait;
use serde_json::{Map, Value, json};

use super::UNREACHABLE_ERROR_TYPE;
use crate::error::Error;

/// The `type` of `ctx.error` when the resolver's request is not one an HTTP data source can
/// send (no `method`, a `resourcePath` without its leading `/`...).
pub const HTTP_REQUEST_ERROR_TYPE: &str = "HTTP:InvalidRequest";

const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// An `HTTP` data source: the request handler's `{method, resourcePath, params: {query,
/// headers, body}}` is sent to `endpoint + resourcePath`, and the response handler gets
/// `ctx.result = {statusCode, headers, body}` (any status: a 404 is a result, not an error).
///
/// ```
/// use appsync_local::Credentials;
/// use appsync_local::data_sources::HttpDataSource;
///
/// let users = HttpDataSource::new("https://users.example.com")?
///     .iam(Credentials::new("AKID", "secret", None, None), "eu-west-1", "execute-api");
/// # Ok::<(), appsync_local::Error>(())
/// ```
#[derive(Clone)]
pub struct HttpDataSource {
    endpoint: reqwest::Url,
    signing: Option<Signing>,
    timeout: Duration,
    client: reqwest::Client,
}

#[derive(Clone)]
struct Signing {
    credentials: Credentials,
    region: String,
    service: String,
}

/// The signing credentials stay out of `Debug`: only where requests go and for which service.
impl std::fmt::Debug for HttpDataSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpDataSource")
            .field("endpoint", &self.endpoint.as_str())
            .field("signing", &self.signing.as_ref().map(|s| (&s.region, &s.service)))
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl HttpDataSource {
    /// Requests go to `endpoint` (`https://api.example.com`, its path a prefix of every
    /// `resourcePath`).
    ///
    /// # Errors
    /// A configuration error (field `http`) when `endpoint` is not an http(s) URL.
    pub fn new(endpoint: &str) -> Result<Self, Error> {
        let parsed = reqwest::Url::parse(endpoint).map_err(|e| {
            Error::config("http", format!("{endpoint:?} is not a URL (expected https://HOST)")).with_source(e)
        })?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(Error::config("http", format!("{endpoint:?}: expected an http:// or https:// URL")));
        }
        Ok(Self { endpoint: parsed, signing: None, timeout: DEFAULT_TIMEOUT, client: reqwest::Client::new() })
    }

    /// Signs every request with SigV4 for `region` and `service` (the data source's
    /// `AwsIamConfig`), with `credentials`.
    #[must_use]
    pub fn iam(
        mut self,
        credentials: Credentials,
        region: impl Into<String>,
        service: impl Into<String>,
    ) -> Self {
        self.signing = Some(Signing { credentials, region: region.into(), service: service.into() });
        self
    }

    /// How long one request may take (default 30 seconds, AppSync's resolver limit).
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The request the resolver asked for, as `http` sees it.
    fn request_of(&self, request: &Value) -> Result<http::Request<Vec<u8>>, DataSourceError> {
        let invalid = |message: String| DataSourceError::new(message, HTTP_REQUEST_ERROR_TYPE);
        let method = request.get("method").and_then(Value::as_str).ok_or_else(|| {
            invalid("The HTTP request needs a method (GET, POST, PUT, PATCH, DELETE...)".to_owned())
        })?;
        let method = http::Method::from_bytes(method.to_ascii_uppercase().as_bytes())
            .map_err(|_| invalid(format!("{method:?} is not an HTTP method")))?;
        let path = request.get("resourcePath").and_then(Value::as_str).unwrap_or("/");
        if !path.starts_with('/') {
            return Err(invalid(format!("The resourcePath {path:?} must start with '/'")));
        }
        let params = request.get("params").and_then(Value::as_object).cloned().unwrap_or_default();
        let mut url = self.endpoint.clone();
        let base = url.path().trim_end_matches('/').to_owned();
        url.set_path(&format!("{base}{path}"));
        if let Some(query) = params.get("query").and_then(Value::as_object) {
            let mut pairs = url.query_pairs_mut();
            for (name, value) in query {
                match value {
                    Value::Array(values) => {
                        for v in values {
                            pairs.append_pair(name, &text(v));
                        }
                    }
                    Value::Null => {}
                    v => {
                        pairs.append_pair(name, &text(v));
                    }
                }
            }
        }
        let body = match params.get("body") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::String(s)) => s.clone().into_bytes(),
            Some(other) => other.to_string().into_bytes(),
        };
        let mut builder = http::Request::builder().method(method).uri(url.as_str());
        for (name, value) in params.get("headers").and_then(Value::as_object).into_iter().flatten() {
            builder = builder.header(name.as_str(), text(value));
        }
        builder.body(body).map_err(|e| invalid(format!("The HTTP request cannot be sent: {e}")))
    }
}

/// A query or header value as text: strings as they are, other JSON as written.
fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

impl HttpDataSource {
    /// Signs `http_request` when the data source signs, sends it, and reads the whole answer.
    /// Failures are the resolver's `ctx.error`: one that names the URL when the peer could not
    /// be reached.
    pub(crate) async fn send(
        &self,
        mut http_request: http::Request<Vec<u8>>,
    ) -> Result<(u16, reqwest::header::HeaderMap, Vec<u8>), DataSourceError> {
        if let Some(signing) = &self.signing {
            let params = SigningParams::new(
                &signing.credentials,
                &signing.region,
                &signing.service,
                SystemTime::now(),
            );
            let unsigned = |e: appsync_sigv4::SigningError| {
                DataSourceError::new(
                    format!("The HTTP request could not be signed: {e}"),
                    HTTP_REQUEST_ERROR_TYPE,
                )
            };
            let output = appsync_sigv4::sign(
                &SignableRequest::from_http(&http_request, SignableBody::Bytes(http_request.body())),
                &params,
            )
            .map_err(unsigned)?;
            output.apply_to_request(&mut http_request).map_err(unsigned)?;
        }
        let url = http_request.uri().to_string();
        let unreachable = |e: reqwest::Error| {
            DataSourceError::new(format!("{url} could not be reached: {e}"), UNREACHABLE_ERROR_TYPE)
        };
        let mut request = reqwest::Request::try_from(http_request).map_err(unreachable)?;
        *request.timeout_mut() = Some(self.timeout);
        let mut response = self.client.execute(request).await.map_err(unreachable)?;
        let status = response.status().as_u16();
        let headers = std::mem::take(response.headers_mut());
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(unreachable)? {
            body.extend_from_slice(&chunk);
        }
        Ok((status, headers, body))
    }

    /// The endpoint requests go to.
    pub(crate) fn endpoint(&self) -> &reqwest::Url {
        &self.endpoint
    }
}

#[async_trait]
impl DataSource for HttpDataSource {
    async fn invoke(&self, request: Value, _ctx: &Context) -> Result<Value, DataSourceError> {
        let (status, response_headers, body) = self.send(self.request_of(&request)?).await?;
        let mut headers = Map::new();
        for (name, value) in &response_headers {
            let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
            match headers.get_mut(name.as_str()) {
                Some(Value::String(seen)) => {
                    seen.push_str(", ");
                    seen.push_str(&value);
                }
                _ => {
                    headers.insert(name.as_str().to_owned(), Value::String(value));
                }
            }
        }
        Ok(json!({
            "statusCode": status,
            "headers": headers,
            "body": String::from_utf8_lossy(&body),
        }))
    }
}
