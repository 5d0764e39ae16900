//! AWS_LAMBDA data sources: a function running locally, reached over the Lambda Runtime
//! Interface Emulator's HTTP API or run as a command (guide: "AWS AppSync JavaScript resolver
//! function reference for Lambda").

use std::process::Stdio;
use std::time::Duration;

use appsync_js::{Context, DataSource, DataSourceError};
use async_trait::async_trait;
use serde_json::{Value, json};
use tokio::io::AsyncWriteExt as _;

use super::UNREACHABLE_ERROR_TYPE;
use crate::error::Error;

/// The `type` AppSync gives a function's failure (`ctx.error.type`, a direct resolver's
/// `errorType`): the function threw, or answered with `errorMessage`.
pub const LAMBDA_UNHANDLED_ERROR_TYPE: &str = "Lambda:Unhandled";

/// The path of the invocation API that AWS's Lambda base images (the Runtime Interface
/// Emulator) serve for their one function.
pub const RIE_INVOCATION_PATH: &str = "/2015-03-31/functions/function/invocations";

/// How long a function may take; AppSync gives up on a resolver after 30 seconds.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// A Lambda function served locally, for an `AWS_LAMBDA` data source.
///
/// `Invoke` sends the request's `payload` as the event and the function's answer is
/// `ctx.result`; `BatchInvoke` sends the payloads of a batch as one list and expects a list of
/// answers back, in order. A function failure (the runtime's `X-Amz-Function-Error` header, an
/// answer made of `errorMessage`/`errorType`, a command's non-zero exit) reaches the response
/// handler as `ctx.error` with type [`LAMBDA_UNHANDLED_ERROR_TYPE`] and the function's
/// `errorMessage`.
///
/// ```
/// use appsync_local::data_sources::LambdaFunction;
///
/// let rie = LambdaFunction::url("http://127.0.0.1:9000")?; // docker run -p 9000:8080 <image>
/// let script = LambdaFunction::command("node handler.mjs");  // the event on stdin, the answer on stdout
/// let either = LambdaFunction::parse("cmd:python3 fn.py")?;
/// # Ok::<(), appsync_local::Error>(())
/// ```
#[derive(Clone)]
pub struct LambdaFunction {
    target: Target,
    timeout: Duration,
    client: reqwest::Client,
}

#[derive(Debug, Clone)]
enum Target {
    Url(reqwest::Url),
    Command(String),
}

impl std::fmt::Debug for LambdaFunction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LambdaFunction")
            .field("target", &self.target)
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl LambdaFunction {
    /// A function behind the Lambda invocation API at `url`: a base URL (`http://127.0.0.1:9000`,
    /// which gets [`RIE_INVOCATION_PATH`]) or the full invocation URL
    /// (`http://127.0.0.1:3001/2015-03-31/functions/MyFunction/invocations` for `sam local
    /// start-lambda`).
    ///
    /// # Errors
    /// A configuration error (field `lambda`) when `url` is not an http(s) URL.
    pub fn url(url: &str) -> Result<Self, Error> {
        let mut parsed = reqwest::Url::parse(url).map_err(|e| {
            Error::config("lambda", format!("{url:?} is not a URL (expected http://HOST:PORT)"))
                .with_source(e)
        })?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(Error::config("lambda", format!("{url:?}: expected an http:// or https:// URL")));
        }
        if parsed.path() == "/" || parsed.path().is_empty() {
            parsed.set_path(RIE_INVOCATION_PATH);
        }
        Ok(Self::new(Target::Url(parsed)))
    }

    /// A function run as `sh -c command` for each invocation: the event as JSON on its stdin, its
    /// answer as JSON on its stdout; a non-zero exit is a function error whose message is the
    /// last line of its stderr.
    #[must_use]
    pub fn command(command: impl Into<String>) -> Self {
        Self::new(Target::Command(command.into()))
    }

    /// `cmd:COMMAND` ([`command`](Self::command)) or a URL ([`url`](Self::url)): the value of
    /// `appsync local --lambda NAME=...`.
    ///
    /// # Errors
    /// As [`url`](Self::url), and for an empty command.
    pub fn parse(spec: &str) -> Result<Self, Error> {
        match spec.strip_prefix("cmd:") {
            Some(command) if command.trim().is_empty() => {
                Err(Error::config("lambda", "cmd: needs a command, e.g. cmd:node handler.mjs"))
            }
            Some(command) => Ok(Self::command(command)),
            None => Self::url(spec),
        }
    }

    fn new(target: Target) -> Self {
        Self { target, timeout: DEFAULT_TIMEOUT, client: reqwest::Client::new() }
    }

    /// How long one invocation may take (default 30 seconds, AppSync's resolver limit).
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Invokes the function with `event` and returns its answer.
    ///
    /// # Errors
    /// The function's failure ([`LAMBDA_UNHANDLED_ERROR_TYPE`]), or
    /// [`UNREACHABLE_ERROR_TYPE`] when it could not be reached or run.
    pub async fn invoke_event(&self, event: &Value) -> Result<Value, DataSourceError> {
        match &self.target {
            Target::Url(url) => self.post(url, event).await,
            Target::Command(command) => self.run(command, event).await,
        }
    }

    async fn post(&self, url: &reqwest::Url, event: &Value) -> Result<Value, DataSourceError> {
        let unreachable = |e: reqwest::Error| {
            DataSourceError::new(
                format!("The Lambda function at {url} could not be reached: {e}"),
                UNREACHABLE_ERROR_TYPE,
            )
        };
        let response = self
            .client
            .post(url.clone())
            .timeout(self.timeout)
            .json(event)
            .send()
            .await
            .map_err(unreachable)?;
        let failed = response.headers().contains_key("x-amz-function-error");
        let status = response.status();
        let body = response.bytes().await.map_err(unreachable)?;
        if !status.is_success() && !failed {
            return Err(DataSourceError::new(
                format!(
                    "The Lambda invocation API at {url} answered HTTP {status}: {}",
                    String::from_utf8_lossy(&body).trim()
                ),
                UNREACHABLE_ERROR_TYPE,
            ));
        }
        answer(&body, failed)
    }

    async fn run(&self, command: &str, event: &Value) -> Result<Value, DataSourceError> {
        let cannot = |what: &str, e: &dyn std::fmt::Display| {
            DataSourceError::new(
                format!("The Lambda command `{command}` {what}: {e}"),
                UNREACHABLE_ERROR_TYPE,
            )
        };
        let mut child = tokio::process::Command::new("sh")
            .arg("-c")
            .arg(command)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| cannot("could not start", &e))?;
        let input = serde_json::to_vec(event).map_err(|e| cannot("got an event that is not JSON", &e))?;
        if let Some(mut stdin) = child.stdin.take() {
            // A function that exits without reading its event is its own business.
            let _ = stdin.write_all(&input).await;
        }
        let output = tokio::time::timeout(self.timeout, child.wait_with_output())
            .await
            .map_err(|_| cannot("timed out after", &format_args!("{:?}", self.timeout)))?
            .map_err(|e| cannot("failed", &e))?;
        if !output.status.success() {
            let stderr = String::from_utf8_lossy(&output.stderr);
            let message = stderr.lines().rev().find(|l| !l.trim().is_empty()).map_or_else(
                || format!("the command exited with {}", output.status),
                |l| l.trim().to_owned(),
            );
            return Err(DataSourceError::new(message, LAMBDA_UNHANDLED_ERROR_TYPE));
        }
        answer(&output.stdout, false)
    }
}

/// The function's answer, or its failure: flagged by the runtime, or an answer that is only
/// `errorMessage` (with `errorType`, `stackTrace`...), as Lambda's runtimes report a thrown error.
fn answer(body: &[u8], failed: bool) -> Result<Value, DataSourceError> {
    let text = String::from_utf8_lossy(body);
    let value: Value = if text.trim().is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).map_err(|_| {
            DataSourceError::new(
                format!("The Lambda function's answer is not JSON: {}", text.trim()),
                LAMBDA_UNHANDLED_ERROR_TYPE,
            )
        })?
    };
    let error_shaped = value.as_object().is_some_and(|o| {
        o.contains_key("errorMessage")
            && o.keys().all(|k| {
                matches!(k.as_str(), "errorMessage" | "errorType" | "stackTrace" | "trace" | "requestId")
            })
    });
    if failed || error_shaped {
        let message = match &value {
            Value::Object(o) => {
                o.get("errorMessage").and_then(Value::as_str).unwrap_or("Unknown error").to_owned()
            }
            Value::String(s) => s.clone(),
            _ => "Unknown error".to_owned(),
        };
        return Err(DataSourceError::new(message, LAMBDA_UNHANDLED_ERROR_TYPE));
    }
    Ok(value)
}

#[async_trait]
impl DataSource for LambdaFunction {
    async fn invoke(&self, request: Value, _ctx: &Context) -> Result<Value, DataSourceError> {
        let payload = request.get("payload").cloned().unwrap_or(Value::Null);
        match request.get("operation").and_then(Value::as_str) {
            Some("Invoke") if request.get("invocationType").and_then(Value::as_str) == Some("Event") => {
                // An asynchronous invocation: the resolver goes on with `null` at once, the
                // function runs on its own and its answer is dropped, as Lambda drops it.
                let function = self.clone();
                let run = async move {
                    if let Err(error) = function.invoke_event(&payload).await {
                        tracing::warn!(%error, "an asynchronous (Event) Lambda invocation failed");
                    }
                };
                match tokio::runtime::Handle::try_current() {
                    Ok(handle) => drop(handle.spawn(run)),
                    Err(_) => run.await,
                }
                Ok(Value::Null)
            }
            Some("Invoke") => self.invoke_event(&payload).await,
            Some("BatchInvoke") => {
                let mut answers = self.invoke_batch(vec![request], &[]).await;
                answers.pop().unwrap_or(Ok(Value::Null))
            }
            other => Err(DataSourceError::new(
                format!(
                    "Unsupported operation {}: a Lambda request's operation is Invoke or BatchInvoke",
                    other.map_or_else(|| "(none)".to_owned(), |o| format!("'{o}'"))
                ),
                "Lambda:InvalidRequest",
            )),
        }
    }

    async fn invoke_batch(
        &self,
        requests: Vec<Value>,
        _ctxs: &[Context],
    ) -> Vec<Result<Value, DataSourceError>> {
        let count = requests.len();
        let payloads: Vec<Value> =
            requests.into_iter().map(|r| r.get("payload").cloned().unwrap_or(Value::Null)).collect();
        match self.invoke_event(&json!(payloads)).await {
            Ok(Value::Array(answers)) if answers.len() == count => answers.into_iter().map(Ok).collect(),
            Ok(other) => {
                let found = match &other {
                    Value::Array(a) => format!("a list of {}", a.len()),
                    _ => "no list".to_owned(),
                };
                let error = DataSourceError::new(
                    format!(
                        "A BatchInvoke of {count} expects a list of {count} results; the function returned {found}"
                    ),
                    LAMBDA_UNHANDLED_ERROR_TYPE,
                );
                vec![Err(error); count]
            }
            Err(error) => vec![Err(error); count],
        }
    }
}
