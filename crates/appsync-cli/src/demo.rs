//! `appsync demo`: start the emulator in-process and use it the way a user would, through the
//! `appsync` client, printing each step: a subscription over AppSync's real-time WebSocket,
//! IAM-signed and API-key mutations and queries (the subscription receives the matching mutation
//! and not the other), then a forged signature that must be rejected.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use appsync::credentials::Credentials;
use appsync::{Auth, Client, Request};
use appsync_local::{ApiKey, AuthMode, Emulator};
use futures_util::StreamExt as _;
use serde_json::{Value, json};

use crate::local::{DEMO_ACCESS_KEY_ID, DEMO_API_KEY, DEMO_SECRET_ACCESS_KEY, init_tracing};

const REGION: &str = "us-east-1";

#[derive(clap::Args, Debug)]
pub(crate) struct DemoArgs {}

const CREATE: &str = "mutation CreatePost($input: CreatePostInput!) {
  createPost(input: $input) { id title author createdAt }
}";
const GET: &str = "query GetPost($id: ID!) { getPost(id: $id) { id title author } }";
const ON_CREATE: &str = "subscription OnCreatePost($author: String) {
  onCreatePost(author: $author) { id title author }
}";
const LIST: &str = "query ListPosts { listPosts(limit: 10) { items { id title author } nextToken } }";

struct Demo {
    client: Client,
    step: usize,
    failures: Vec<String>,
}

/// Checks a step's data; `Err` says what was wrong.
type DataCheck = Box<dyn Fn(&Value) -> Result<(), String>>;

/// What a step expects: the data it returns, or the rejection it gets.
enum Expect {
    Data(DataCheck),
    Rejected { status: u16, error_type: &'static str },
}

impl Demo {
    /// Prints a step that is not a request/response (the subscription's events) and records a
    /// failure.
    fn report(&mut self, operation: &str, auth_label: &str, ms: f64, verdict: Result<String, String>) {
        match verdict {
            Ok(shown) => println!("[{}] {operation:<22} {auth_label:<24} {ms:>7.2} ms  {shown}", self.step),
            Err(why) => {
                println!("[{}] {operation:<22} {auth_label:<24} {ms:>7.2} ms  unexpected: {why}", self.step);
                self.failures.push(format!("step {} ({operation}, {auth_label}): {why}", self.step));
            }
        }
    }

    async fn step(
        &mut self,
        operation: &str,
        auth_label: &str,
        request: Request,
        expect: Expect,
    ) -> anyhow::Result<Option<Value>> {
        self.step += 1;
        let started = Instant::now();
        let result = self.client.execute::<Value>(request).await;
        let ms = started.elapsed().as_secs_f64() * 1000.0;
        let (shown, verdict, data) = match (&result, &expect) {
            (Ok(resp), Expect::Data(check)) => {
                let verdict = match (&resp.data, resp.has_errors()) {
                    (Some(data), false) => check(data),
                    _ => Err(format!("GraphQL errors: {:?}", resp.errors)),
                };
                let data = resp.data.clone().unwrap_or(Value::Null);
                (format!("ok  {data}"), verdict, Some(data))
            }
            (Ok(resp), Expect::Rejected { .. }) => {
                (format!("accepted {:?}", resp.data), Err("the request was accepted".to_owned()), None)
            }
            (Err(e), expected) => {
                let status = e.status().map_or(0, |s| s.as_u16());
                let error_type = e.error_type().unwrap_or("");
                let shown = format!("HTTP {status} {error_type}: {}", e.message().unwrap_or(""));
                let verdict = match expected {
                    Expect::Rejected { status: s, error_type: t } if *s == status && *t == error_type => {
                        Ok(())
                    }
                    Expect::Rejected { status: s, error_type: t } => Err(format!("expected HTTP {s} {t}")),
                    Expect::Data(_) => Err(format!("{e:#}")),
                };
                (shown, verdict, None)
            }
        };
        println!("[{}] {operation:<22} {auth_label:<24} {ms:>7.2} ms  {shown}", self.step);
        if let Err(why) = verdict {
            println!("    unexpected: {why}");
            self.failures.push(format!("step {} ({operation}, {auth_label}): {why}", self.step));
        }
        Ok(data)
    }
}

fn field_present(field: &'static str) -> Expect {
    Expect::Data(Box::new(
        move |data| {
            if data[field].is_null() { Err(format!("data.{field} is null")) } else { Ok(()) }
        },
    ))
}

pub(crate) fn run(_args: DemoArgs) -> anyhow::Result<ExitCode> {
    init_tracing();
    let runtime = tokio::runtime::Runtime::new().context("could not start the async runtime")?;
    runtime.block_on(demo())
}

async fn demo() -> anyhow::Result<ExitCode> {
    let emulator = Emulator::builder()
        .iam_credentials(Credentials::new(DEMO_ACCESS_KEY_ID, DEMO_SECRET_ACCESS_KEY, None, None))
        .api_key(ApiKey::new(DEMO_API_KEY))
        .region(REGION)
        .default_auth(AuthMode::Iam)
        .build()
        .context("could not configure the emulator")?;
    let server = emulator.spawn("127.0.0.1:0").await.context("could not start the emulator")?;
    let url = server.graphql_url();
    println!("appsync demo: emulator with the built-in Posts schema on {url} ({REGION})");
    println!("    IAM access key id {DEMO_ACCESS_KEY_ID}, API key {DEMO_API_KEY}");
    let iam = Auth::iam(Credentials::new(DEMO_ACCESS_KEY_ID, DEMO_SECRET_ACCESS_KEY, None, None));
    let client = Client::builder()
        .endpoint(&url)
        // A local endpoint names no region, so it is given, as for custom domains.
        .region(REGION)
        .auth(iam)
        .build()
        .context("could not build the client")?;
    let mut d = Demo { client, step: 0, failures: Vec::new() };

    // Subscribed first, filtered on the author, so that the IAM mutation below is delivered and
    // the API-key one (another author) is not.
    d.step += 1;
    let started = Instant::now();
    let mut subscription = d
        .client
        .subscribe::<Value>(ON_CREATE, json!({ "author": "iam-user" }))
        .await
        .context("could not subscribe over the real-time WebSocket")?;
    println!(
        "[{}] {:<22} {:<24} {:>7.2} ms  ok  start_ack on {}",
        d.step,
        "subscription onCreate",
        "AWS_IAM (WebSocket)",
        started.elapsed().as_secs_f64() * 1000.0,
        d.client.realtime_url()
    );

    let created = d
        .step(
            "mutation createPost",
            "AWS_IAM",
            Request::new(CREATE)
                .variables(json!({"input": {"title": "Signed with SigV4", "author": "iam-user"}})),
            field_present("createPost"),
        )
        .await?;
    let id = created.as_ref().and_then(|d| d["createPost"]["id"].as_str()).unwrap_or("").to_owned();
    d.step += 1;
    let started = Instant::now();
    let event = tokio::time::timeout(Duration::from_secs(5), subscription.next()).await;
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    let verdict = match &event {
        Ok(Some(Ok(data))) if data["onCreatePost"]["id"] == id.as_str() => Ok(format!("ok  {data}")),
        Ok(Some(Ok(data))) => Err(format!("an event for another post: {data}")),
        Ok(Some(Err(e))) => Err(format!("{e:#}")),
        Ok(None) => Err("the subscription ended".to_owned()),
        Err(_) => Err("no event within 5 s".to_owned()),
    };
    d.report("event onCreatePost", "AWS_IAM (WebSocket)", ms, verdict);
    d.step(
        "query getPost",
        "AWS_IAM",
        Request::new(GET).variables(json!({ "id": id })),
        Expect::Data(Box::new(|data| {
            (data["getPost"]["title"] == "Signed with SigV4")
                .then_some(())
                .ok_or_else(|| "getPost did not return the created post".to_owned())
        })),
    )
    .await?;
    let key = Auth::api_key(DEMO_API_KEY);
    d.step(
        "mutation createPost",
        "API_KEY",
        Request::new(CREATE)
            .variables(json!({"input": {"title": "Sent with an API key", "author": "key-user"}}))
            .auth(key.clone()),
        field_present("createPost"),
    )
    .await?;
    d.step(
        "query listPosts",
        "API_KEY",
        Request::new(LIST).auth(key),
        Expect::Data(Box::new(|data| {
            let n = data["listPosts"]["items"].as_array().map_or(0, Vec::len);
            (n == 2).then_some(()).ok_or_else(|| format!("expected 2 posts, got {n}"))
        })),
    )
    .await?;
    // The API-key post has another author: the subscription's argument filter keeps it out.
    d.step += 1;
    let quiet = tokio::time::timeout(Duration::from_millis(300), subscription.next()).await;
    let verdict = match quiet {
        Err(_) => Ok("ok  no event for author key-user (filtered by the subscription argument)".to_owned()),
        Ok(other) => Err(format!("unexpected delivery: {other:?}")),
    };
    d.report("no event (filtered)", "AWS_IAM (WebSocket)", 300.0, verdict);
    drop(subscription);

    let forged = Auth::iam(Credentials::new(DEMO_ACCESS_KEY_ID, "not-the-secret", None, None));
    d.step(
        "query listPosts",
        "AWS_IAM (wrong secret)",
        Request::new(LIST).auth(forged),
        Expect::Rejected { status: 403, error_type: "InvalidSignatureException" },
    )
    .await?;
    d.client.close().await;
    server.shutdown().await.context("the emulator did not stop cleanly")?;
    if d.failures.is_empty() {
        println!(
            "demo finished: {} steps, all as expected (the subscription got its event, the forged signature was rejected)",
            d.step
        );
        Ok(ExitCode::SUCCESS)
    } else {
        anyhow::bail!("{} of {} steps went wrong: {}", d.failures.len(), d.step, d.failures.join("; "))
    }
}
