//! `appsync demo`: start the emulator in-process and use it the way a user would, through the
//! `appsync` client, printing each step: IAM-signed and API-key mutations and queries, then a
//! forged signature that must be rejected.

use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context as _;
use appsync::credentials::Credentials;
use appsync::{Auth, Client, Request};
use appsync_local::{ApiKey, AuthMode, Emulator, IamCredentials};
use serde_json::{Value, json};

use crate::local::{DEMO_ACCESS_KEY_ID, DEMO_API_KEY, DEMO_SECRET_ACCESS_KEY, init_tracing};

const REGION: &str = "us-east-1";

#[derive(clap::Args, Debug)]
pub(crate) struct DemoArgs {}

const CREATE: &str = "mutation CreatePost($input: CreatePostInput!) {
  createPost(input: $input) { id title author createdAt }
}";
const GET: &str = "query GetPost($id: ID!) { getPost(id: $id) { id title author } }";
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
        .iam_credentials(IamCredentials::new(DEMO_ACCESS_KEY_ID, DEMO_SECRET_ACCESS_KEY))
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
    let forged = Auth::iam(Credentials::new(DEMO_ACCESS_KEY_ID, "not-the-secret", None, None));
    d.step(
        "query listPosts",
        "AWS_IAM (wrong secret)",
        Request::new(LIST).auth(forged),
        Expect::Rejected { status: 403, error_type: "InvalidSignatureException" },
    )
    .await?;
    server.shutdown().await.context("the emulator did not stop cleanly")?;
    if d.failures.is_empty() {
        println!("demo finished: {} steps, all as expected (the forged signature was rejected)", d.step);
        Ok(ExitCode::SUCCESS)
    } else {
        anyhow::bail!("{} of {} steps went wrong: {}", d.failures.len(), d.step, d.failures.join("; "))
    }
}
