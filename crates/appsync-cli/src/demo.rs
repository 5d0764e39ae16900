//! `appsync demo`: start the emulator in-process and use it the way a user would, printing
//! each step: IAM-signed and API-key mutations and queries, then a forged signature that must
//! be rejected.

use std::process::ExitCode;
use std::time::{Instant, SystemTime};

use anyhow::Context as _;
use appsync_local::{ApiKey, AuthMode, Emulator, IamCredentials};
use serde_json::{Value, json};

use crate::local::{DEMO_ACCESS_KEY_ID, DEMO_API_KEY, DEMO_SECRET_ACCESS_KEY, init_tracing};

const REGION: &str = "us-east-1";

#[derive(clap::Args, Debug)]
pub(crate) struct DemoArgs {}

#[derive(Clone, Copy)]
enum Auth<'a> {
    Iam { secret: &'a str },
    ApiKey(&'a str),
}

impl Auth<'_> {
    fn label(&self) -> &'static str {
        match self {
            Auth::Iam { secret } if *secret == DEMO_SECRET_ACCESS_KEY => "AWS_IAM",
            Auth::Iam { .. } => "AWS_IAM (wrong secret)",
            Auth::ApiKey(_) => "API_KEY",
        }
    }
}

struct Outcome {
    status: u16,
    body: Value,
    error_type_header: Option<String>,
}

struct Demo {
    client: reqwest::Client,
    url: String,
    host: String,
    step: usize,
    failures: Vec<String>,
}

impl Demo {
    async fn call(&self, auth: Auth<'_>, query: &str, variables: Value) -> anyhow::Result<Outcome> {
        let body = serde_json::to_vec(&json!({ "query": query, "variables": variables }))?;
        let mut req = self.client.post(&self.url).header("content-type", "application/json");
        match auth {
            Auth::ApiKey(key) => req = req.header("x-api-key", key),
            Auth::Iam { secret } => {
                let creds = appsync_sigv4::Credentials::new(DEMO_ACCESS_KEY_ID, secret, None, None);
                let headers: [(&str, &[u8]); 2] =
                    [("host", self.host.as_bytes()), ("content-type", b"application/json")];
                let signable = appsync_sigv4::SignableRequest::new(
                    "POST",
                    "/graphql",
                    headers,
                    appsync_sigv4::SignableBody::Bytes(&body),
                )?;
                let params = appsync_sigv4::SigningParams::new(&creds, REGION, "appsync", SystemTime::now());
                let signed = appsync_sigv4::sign(&signable, &params)?;
                req = req.header("host", &self.host);
                for part in signed.headers() {
                    req = req.header(part.name(), part.value());
                }
            }
        }
        let resp = req.body(body).send().await.context("the request to the emulator failed")?;
        let status = resp.status().as_u16();
        let error_type_header =
            resp.headers().get("x-amzn-ErrorType").and_then(|v| v.to_str().ok()).map(str::to_owned);
        let body: Value = resp.json().await.context("the emulator's answer was not JSON")?;
        Ok(Outcome { status, body, error_type_header })
    }

    /// Runs one step, prints it, and records whether it went as `expect` says.
    async fn step(
        &mut self,
        operation: &str,
        auth: Auth<'_>,
        query: &str,
        variables: Value,
        expect: impl Fn(&Outcome) -> Result<(), String>,
    ) -> anyhow::Result<Outcome> {
        self.step += 1;
        let started = Instant::now();
        let outcome = self.call(auth, query, variables).await?;
        let ms = started.elapsed().as_secs_f64() * 1000.0;
        let verdict = expect(&outcome);
        let shown = match (&outcome.body["data"], &outcome.body["errors"]) {
            (Value::Null, Value::Array(errors)) | (_, Value::Array(errors)) if outcome.status != 200 => {
                let e = errors.first().cloned().unwrap_or(Value::Null);
                format!("{} {}", e["errorType"].as_str().unwrap_or(""), e["message"].as_str().unwrap_or(""))
            }
            (data, _) => data.to_string(),
        };
        println!(
            "[{}] {:<28} {:<24} HTTP {} {:>7.2} ms  {}",
            self.step,
            operation,
            auth.label(),
            outcome.status,
            ms,
            shown
        );
        match verdict {
            Ok(()) => {}
            Err(why) => {
                println!("    unexpected: {why}");
                self.failures.push(format!("step {} ({operation}, {}): {why}", self.step, auth.label()));
            }
        }
        Ok(outcome)
    }
}

fn ok_data(field: &'static str) -> impl Fn(&Outcome) -> Result<(), String> {
    move |o| {
        if o.status != 200 {
            return Err(format!("expected HTTP 200, got {}", o.status));
        }
        if o.body.get("errors").is_some() {
            return Err(format!("errors: {}", o.body["errors"]));
        }
        if o.body["data"][field].is_null() {
            return Err(format!("data.{field} is null"));
        }
        Ok(())
    }
}

const CREATE: &str = "mutation CreatePost($input: CreatePostInput!) {
  createPost(input: $input) { id title author createdAt }
}";
const GET: &str = "query GetPost($id: ID!) { getPost(id: $id) { id title author } }";
const LIST: &str = "query ListPosts { listPosts(limit: 10) { items { id title author } nextToken } }";

pub(crate) fn run(_args: DemoArgs) -> anyhow::Result<ExitCode> {
    init_tracing();
    let runtime = tokio::runtime::Runtime::new().context("could not start the async runtime")?;
    runtime.block_on(demo())
}

async fn demo() -> anyhow::Result<ExitCode> {
    let emulator = Emulator::builder()
        .iam_credentials(IamCredentials::new(DEMO_ACCESS_KEY_ID, DEMO_SECRET_ACCESS_KEY))
        .api_key(ApiKey::new(DEMO_API_KEY))
        .region(REGION)
        .default_auth(AuthMode::Iam)
        .build()
        .context("could not configure the emulator")?;
    let server = emulator.spawn("127.0.0.1:0").await.context("could not start the emulator")?;
    println!("appsync demo: emulator with the built-in Posts schema on {} ({REGION})", server.graphql_url());
    println!("    IAM access key id {DEMO_ACCESS_KEY_ID}, API key {DEMO_API_KEY}");
    let mut d = Demo {
        client: reqwest::Client::new(),
        url: server.graphql_url(),
        host: server.local_addr().to_string(),
        step: 0,
        failures: Vec::new(),
    };
    let iam = Auth::Iam { secret: DEMO_SECRET_ACCESS_KEY };
    let created = d
        .step(
            "mutation createPost",
            iam,
            CREATE,
            json!({"input": {"title": "Signed with SigV4", "author": "iam-user"}}),
            ok_data("createPost"),
        )
        .await?;
    let id = created.body["data"]["createPost"]["id"].as_str().unwrap_or("").to_owned();
    d.step("query getPost", iam, GET, json!({ "id": id }), |o| {
        ok_data("getPost")(o)?;
        (o.body["data"]["getPost"]["title"] == "Signed with SigV4")
            .then_some(())
            .ok_or_else(|| "getPost did not return the created post".to_owned())
    })
    .await?;
    let key = Auth::ApiKey(DEMO_API_KEY);
    d.step(
        "mutation createPost",
        key,
        CREATE,
        json!({"input": {"title": "Sent with an API key", "author": "key-user"}}),
        ok_data("createPost"),
    )
    .await?;
    d.step("query listPosts", key, LIST, json!({}), |o| {
        ok_data("listPosts")(o)?;
        let n = o.body["data"]["listPosts"]["items"].as_array().map_or(0, Vec::len);
        (n == 2).then_some(()).ok_or_else(|| format!("expected 2 posts, got {n}"))
    })
    .await?;
    let forged = Auth::Iam { secret: "not-the-secret" };
    d.step("query listPosts", forged, LIST, json!({}), |o| {
        let error_type = o.body["errors"][0]["errorType"].as_str().unwrap_or("");
        if o.status == 403
            && error_type == "InvalidSignatureException"
            && o.error_type_header.as_deref() == Some("InvalidSignatureException")
        {
            Ok(())
        } else {
            Err(format!("expected 403 InvalidSignatureException, got {} {error_type}", o.status))
        }
    })
    .await?;
    server.shutdown().await.context("the emulator did not stop cleanly")?;
    if d.failures.is_empty() {
        println!("demo finished: {} steps, all as expected (the forged signature was rejected)", d.step);
        Ok(ExitCode::SUCCESS)
    } else {
        anyhow::bail!("{} of {} steps went wrong: {}", d.failures.len(), d.step, d.failures.join("; "))
    }
}
