//! `loadgen run`: N requests at concurrency C, measured.

use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant, SystemTime};

use anyhow::{Context as _, bail};
use appsync_sigv4::{Credentials, SignableBody, SignableRequest, SigningParams};
use bytes::Bytes;
use clap::ValueEnum;
use serde_json::{Value, json};

use crate::measure::{cpu_of, cpu_self, round3};

/// The default query: 188 bytes, the size the client benchmark asks for.
pub(crate) const DEFAULT_QUERY: &str = "query ListPostsPage($author: String, $limit: Int, $token: String) { listPosts(author: $author, limit: $limit, nextToken: $token) { items { id title author content createdAt } nextToken } }";

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum ClientKind {
    /// reqwest directly, the request signed (if at all) by `appsync-sigv4` in the loop.
    Reqwest,
    /// The `appsync` client crate.
    Appsync,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum AuthKind {
    /// No auth header.
    None,
    /// `x-api-key`.
    ApiKey,
    /// SigV4, service `appsync`.
    Iam,
}

#[derive(clap::Args, Debug)]
pub(crate) struct RunArgs {
    /// GraphQL URL; must be a loopback address.
    #[arg(long)]
    url: String,
    /// Measured requests (after the warm-up).
    #[arg(long, short = 'n', default_value_t = 20_000)]
    requests: usize,
    /// Requests in flight at once.
    #[arg(long, short = 'c', default_value_t = 64)]
    concurrency: usize,
    /// Unmeasured requests sent first (connections opened, caches warmed).
    #[arg(long, default_value_t = 500)]
    warmup: usize,
    /// Stop taking new requests after this many seconds (the run is then reported as cut short).
    #[arg(long, default_value_t = 120)]
    max_seconds: u64,
    /// Which HTTP client sends the requests.
    #[arg(long, value_enum, default_value = "reqwest")]
    client: ClientKind,
    /// Auth mode.
    #[arg(long, value_enum, default_value = "none")]
    auth: AuthKind,
    /// API key for `--auth api-key`.
    #[arg(long, value_name = "KEY")]
    api_key: Option<String>,
    /// Access key id for `--auth iam`.
    #[arg(long, value_name = "AKID")]
    access_key_id: Option<String>,
    /// Secret access key for `--auth iam`.
    #[arg(long, value_name = "SECRET")]
    secret_access_key: Option<String>,
    /// Session token for `--auth iam` (temporary credentials).
    #[arg(long, value_name = "TOKEN")]
    session_token: Option<String>,
    /// Signing region.
    #[arg(long, default_value = "us-east-1")]
    region: String,
    /// The GraphQL document.
    #[arg(long, default_value = DEFAULT_QUERY)]
    query: String,
    /// Variables as a JSON object.
    #[arg(long, value_name = "JSON", default_value = r#"{"limit":10}"#)]
    variables: String,
    /// Sent once before the warm-up (for example a mutation that seeds data), with the same auth.
    #[arg(long, value_name = "QUERY")]
    setup: Vec<String>,
    /// Also report the CPU time per request of this process (the server), from /proc.
    #[arg(long, value_name = "PID")]
    server_pid: Option<u32>,
    /// A name for this run, copied into the JSON line.
    #[arg(long, default_value = "")]
    label: String,
    /// Async runtime worker threads (default: one per core).
    #[arg(long)]
    threads: Option<usize>,
}

enum Sender {
    Raw { http: reqwest::Client, url: reqwest::Url, query: String, variables: Value, auth: RawAuth },
    Appsync { client: appsync::Client, query: String, variables: Value },
}

enum RawAuth {
    None,
    ApiKey(String),
    Iam { creds: Credentials, region: String },
}

impl Sender {
    async fn send(&self) -> Result<(), String> {
        match self {
            Sender::Raw { http, url, query, variables, auth } => {
                // The body is built per request, as every other contender builds its own (and
                // as a caller of reqwest would): the same work for all, not a cached answer.
                let body = Bytes::from(raw_body(query, variables).map_err(|e| e.to_string())?);
                let mut req = http
                    .post(url.clone())
                    .header("content-type", "application/json")
                    .header("accept", "application/json");
                match auth {
                    RawAuth::None => {}
                    RawAuth::ApiKey(key) => req = req.header("x-api-key", key),
                    RawAuth::Iam { creds, region } => {
                        let signable = SignableRequest::new(
                            "POST",
                            url.as_str(),
                            [
                                ("content-type", b"application/json".as_slice()),
                                ("accept", b"application/json"),
                            ],
                            SignableBody::Bytes(&body),
                        )
                        .map_err(|e| e.to_string())?;
                        let params = SigningParams::new(creds, region, "appsync", SystemTime::now());
                        let out = appsync_sigv4::sign(&signable, &params).map_err(|e| e.to_string())?;
                        for part in out.headers() {
                            req = req.header(part.name(), part.value());
                        }
                    }
                }
                let resp = req.body(body).send().await.map_err(|e| e.to_string())?;
                let status = resp.status();
                let bytes = resp.bytes().await.map_err(|e| e.to_string())?;
                if !status.is_success() {
                    return Err(format!("HTTP {status}: {}", String::from_utf8_lossy(&bytes)));
                }
                let value: Value = serde_json::from_slice(&bytes).map_err(|e| format!("bad JSON: {e}"))?;
                match value.get("errors") {
                    Some(Value::Array(errors)) if !errors.is_empty() => {
                        Err(format!("GraphQL errors: {value}"))
                    }
                    _ => Ok(()),
                }
            }
            Sender::Appsync { client, query, variables } => {
                let resp = client.query::<Value>(query, variables).await.map_err(|e| e.to_string())?;
                if resp.has_errors() {
                    return Err(format!("GraphQL errors: {:?}", resp.errors));
                }
                Ok(())
            }
        }
    }
}

/// `{"query": ..., "variables": ...}` written the way a careful caller of reqwest would: straight
/// into one buffer sized for the document, through serde_json (no intermediate `Value`).
fn raw_body(query: &str, variables: &Value) -> serde_json::Result<Vec<u8>> {
    let mut body = Vec::with_capacity(query.len() + 128);
    body.extend_from_slice(br#"{"query":"#);
    serde_json::to_writer(&mut body, query)?;
    if !variables.is_null() {
        body.extend_from_slice(br#","variables":"#);
        serde_json::to_writer(&mut body, variables)?;
    }
    body.push(b'}');
    Ok(body)
}

fn build_sender(args: &RunArgs, query: &str, variables: &Value) -> anyhow::Result<Sender> {
    let url = reqwest::Url::parse(&args.url).context("--url")?;
    if !url.host_str().is_some_and(crate::is_loopback_host) {
        bail!("--url must point at a loopback address (127.0.0.0/8, ::1, localhost), not {url}");
    }
    let iam_creds = || -> anyhow::Result<Credentials> {
        let (Some(akid), Some(secret)) = (&args.access_key_id, &args.secret_access_key) else {
            bail!("--auth iam needs --access-key-id and --secret-access-key");
        };
        Ok(Credentials::new(akid.clone(), secret.clone(), args.session_token.clone(), None))
    };
    let api_key = || args.api_key.clone().context("--auth api-key needs --api-key");
    let timeout = Duration::from_secs(30);
    Ok(match args.client {
        ClientKind::Reqwest => {
            let http = reqwest::Client::builder()
                .timeout(timeout)
                .pool_idle_timeout(Duration::from_secs(60))
                .build()
                .context("could not build the reqwest client")?;
            let auth = match args.auth {
                AuthKind::None => RawAuth::None,
                AuthKind::ApiKey => RawAuth::ApiKey(api_key()?),
                AuthKind::Iam => RawAuth::Iam { creds: iam_creds()?, region: args.region.clone() },
            };
            Sender::Raw { http, url, query: query.to_owned(), variables: variables.clone(), auth }
        }
        ClientKind::Appsync => {
            let auth = match args.auth {
                AuthKind::None => bail!("--client appsync needs --auth api-key or iam"),
                AuthKind::ApiKey => appsync::Auth::api_key(api_key()?),
                AuthKind::Iam => appsync::Auth::iam(iam_creds()?),
            };
            let client = appsync::Client::builder()
                .endpoint(args.url.clone())
                .region(args.region.clone())
                .auth(auth)
                .timeout(timeout)
                .retry(appsync::RetryPolicy::disabled())
                .build()
                .context("could not build the appsync client")?;
            Sender::Appsync { client, query: query.to_owned(), variables: variables.clone() }
        }
    })
}

pub(crate) fn main(args: RunArgs) -> anyhow::Result<ExitCode> {
    if args.requests == 0 || args.concurrency == 0 {
        bail!("--requests and --concurrency must be at least 1");
    }
    let mut rt = tokio::runtime::Builder::new_multi_thread();
    rt.enable_all();
    if let Some(n) = args.threads {
        rt.worker_threads(n);
    }
    let runtime = rt.build().context("could not start the async runtime")?;
    runtime.block_on(run(args))
}

/// Per-worker results.
struct Tally {
    latencies_us: Vec<u32>,
    errors: usize,
}

async fn load(sender: &Arc<Sender>, requests: usize, concurrency: usize, deadline: Instant) -> Vec<Tally> {
    let next = Arc::new(AtomicUsize::new(0));
    let first_error: Arc<OnceLock<String>> = Arc::new(OnceLock::new());
    let mut tasks = Vec::with_capacity(concurrency);
    for _ in 0..concurrency.min(requests) {
        let (sender, next, first_error) = (Arc::clone(sender), Arc::clone(&next), Arc::clone(&first_error));
        tasks.push(tokio::spawn(async move {
            let mut tally = Tally { latencies_us: Vec::with_capacity(requests / concurrency + 1), errors: 0 };
            while next.fetch_add(1, Ordering::Relaxed) < requests && Instant::now() < deadline {
                let started = Instant::now();
                match sender.send().await {
                    Ok(()) => {
                        let us = started.elapsed().as_micros();
                        tally.latencies_us.push(u32::try_from(us).unwrap_or(u32::MAX));
                    }
                    Err(e) => {
                        tally.errors += 1;
                        let _ = first_error.set(e);
                    }
                }
            }
            tally
        }));
    }
    let mut out = Vec::with_capacity(tasks.len());
    for task in tasks {
        match task.await {
            Ok(t) => out.push(t),
            Err(_) => out.push(Tally { latencies_us: Vec::new(), errors: 1 }),
        }
    }
    if let Some(e) = first_error.get() {
        let shown: String = e.chars().take(400).collect();
        eprintln!("loadgen: first error: {shown}");
    }
    out
}

fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    f64::from(sorted[rank.clamp(1, sorted.len()) - 1]) / 1000.0
}

async fn run(args: RunArgs) -> anyhow::Result<ExitCode> {
    let variables: Value = serde_json::from_str(&args.variables).context("--variables is not JSON")?;
    let limit = Duration::from_secs(args.max_seconds);
    let started_all = Instant::now();
    for setup in &args.setup {
        let sender = build_sender(&args, setup, &Value::Null)?;
        sender.send().await.map_err(|e| anyhow::anyhow!("setup request failed: {e}"))?;
    }
    let sender = Arc::new(build_sender(&args, &args.query, &variables)?);
    if args.warmup > 0 {
        let tallies = load(&sender, args.warmup, args.concurrency, started_all + limit).await;
        if tallies.iter().all(|t| t.latencies_us.is_empty()) {
            bail!("every warm-up request failed; not measuring");
        }
    }

    let server_before = args.server_pid.and_then(cpu_of);
    let (user0, sys0) = cpu_self();
    let t0 = Instant::now();
    let tallies = load(&sender, args.requests, args.concurrency, t0 + limit).await;
    let elapsed = t0.elapsed().as_secs_f64();
    let (user1, sys1) = cpu_self();
    let server_after = args.server_pid.and_then(cpu_of);

    let errors: usize = tallies.iter().map(|t| t.errors).sum();
    let mut latencies: Vec<u32> = tallies.into_iter().flat_map(|t| t.latencies_us).collect();
    latencies.sort_unstable();
    let ok = latencies.len();
    let done = ok + errors;
    let (user, sys) = (user1 - user0, sys1 - sys0);
    let per_req = |secs: f64| if done == 0 { f64::NAN } else { secs * 1e6 / done as f64 };
    let server_cpu = match (server_before, server_after) {
        (Some(a), Some(b)) => Some(b - a),
        _ => None,
    };
    let line = json!({
        "label": args.label,
        "tool": "loadgen",
        "client": match args.client { ClientKind::Reqwest => "reqwest", ClientKind::Appsync => "appsync" },
        "auth": match args.auth { AuthKind::None => "none", AuthKind::ApiKey => "api-key", AuthKind::Iam => "iam" },
        "requests": args.requests,
        "completed": done,
        "concurrency": args.concurrency,
        "ok": ok,
        "errors": errors,
        "cut_short": done < args.requests,
        "elapsed_s": round3(Some(elapsed)),
        "rps": round3(Some(done as f64 / elapsed)),
        "p50_ms": round3(Some(percentile(&latencies, 50.0))),
        "p90_ms": round3(Some(percentile(&latencies, 90.0))),
        "p99_ms": round3(Some(percentile(&latencies, 99.0))),
        "max_ms": round3(Some(percentile(&latencies, 100.0))),
        "cpu_user_s": round3(Some(user)),
        "cpu_sys_s": round3(Some(sys)),
        "cpu_us_per_req": round3(Some(per_req(user + sys))),
        "server_cpu_s": round3(server_cpu),
        "server_cpu_us_per_req": round3(server_cpu.map(per_req)),
    });
    eprintln!(
        "{label}: {done} requests at c={c} in {elapsed:.2}s: {rps:.0} req/s, p50 {p50:.3} ms, p99 {p99:.3} ms, \
         CPU {cpu:.1} us/req, {errors} errors",
        label = if args.label.is_empty() { "run" } else { &args.label },
        c = args.concurrency,
        rps = done as f64 / elapsed,
        p50 = percentile(&latencies, 50.0),
        p99 = percentile(&latencies, 99.0),
        cpu = per_req(user + sys),
    );
    println!("{line}");
    Ok(if errors == 0 && done == args.requests { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_query_is_188_bytes() {
        assert_eq!(DEFAULT_QUERY.len(), 188);
    }

    #[test]
    fn raw_bodies_are_the_json_object() {
        let vars = json!({ "limit": 10 });
        let body = raw_body("query Q { a(s: \"x\") }", &vars).expect("serializes");
        let parsed: Value = serde_json::from_slice(&body).expect("JSON");
        assert_eq!(parsed, json!({ "query": "query Q { a(s: \"x\") }", "variables": { "limit": 10 } }));
        assert_eq!(raw_body("{ a }", &Value::Null).expect("serializes"), br#"{"query":"{ a }"}"#);
    }

    #[test]
    fn percentiles() {
        let v: Vec<u32> = (1..=100).map(|x| x * 1000).collect();
        assert!((percentile(&v, 50.0) - 50.0).abs() < 1e-9);
        assert!((percentile(&v, 99.0) - 99.0).abs() < 1e-9);
        assert!((percentile(&v, 100.0) - 100.0).abs() < 1e-9);
        assert!(percentile(&[], 50.0).is_nan());
    }

    #[test]
    fn own_cpu_time_is_readable() {
        let (u, s) = cpu_self();
        assert!(u >= 0.0 && s >= 0.0);
        assert!(cpu_of(std::process::id()).is_some());
    }
}
