//! `loadgen dynamodb`: the table engine alone against moto's server, on the same operations and
//! data as bench/resolvers.sh's DynamoDB resolvers (bench/data/orders.yaml): GetItem of one
//! order, PutItem of one order, Query of a customer's orders (a page of 10).
//!
//! - `--target engine`: `appsync_dynamodb::Database::execute` in this process, with the request
//!   a JS resolver returns (AppSync's JSON), one operation after the other on one thread: the
//!   work the emulator's DynamoDB data source does per field, without GraphQL or JavaScript.
//! - `--target moto`: the equivalent DynamoDB API calls (`DynamoDB_20120810.GetItem`...) over
//!   HTTP to moto's server at `--url`, SigV4-signed (moto accepts any credentials), at
//!   concurrency `-c` on pooled connections.
//!
//! Both first create the table (moto: unless it exists) and put the same orders.

use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant, SystemTime};

use anyhow::{Context as _, bail};
use appsync_dynamodb::{AttributeDefinition, Database, KeyElement, KeyType, TableDefinition};
use appsync_sigv4::{Credentials, SignableBody, SignableRequest, SigningParams};
use bytes::Bytes;
use clap::ValueEnum;
use serde_json::{Value, json};

use crate::measure::{cpu_of, cpu_self, round3};

const TABLE: &str = "Orders";

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Target {
    /// The embedded engine, in this process.
    Engine,
    /// moto's server over HTTP.
    Moto,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Operation {
    /// GetItem of one seeded order.
    GetItem,
    /// PutItem of one order (the same key each time: an overwrite).
    PutItem,
    /// Query of one customer's orders, a page of 10.
    Query,
}

#[derive(clap::Args, Debug)]
pub(crate) struct DynamodbArgs {
    /// Where the operations go.
    #[arg(long, value_enum)]
    target: Target,
    /// moto's server URL (loopback), for `--target moto`.
    #[arg(long)]
    url: Option<String>,
    /// The operation measured.
    #[arg(long, value_enum)]
    operation: Operation,
    /// Measured operations (after the warm-up).
    #[arg(long, short = 'n', default_value_t = 5_000)]
    requests: usize,
    /// Operations in flight at once (moto only; the engine runs one thread).
    #[arg(long, short = 'c', default_value_t = 4)]
    concurrency: usize,
    /// Unmeasured operations first.
    #[arg(long, default_value_t = 200)]
    warmup: usize,
    /// Customers seeded, each with `--orders` orders.
    #[arg(long, default_value_t = 20)]
    customers: usize,
    /// Orders per customer.
    #[arg(long, default_value_t = 10)]
    orders: usize,
    /// Also report the CPU time per operation of this process (moto's server), from /proc.
    #[arg(long, value_name = "PID")]
    server_pid: Option<u32>,
    /// A name for this run, copied into the JSON line.
    #[arg(long, default_value = "")]
    label: String,
}

/// An order's attributes other than its key, as DynamoDB JSON; the same attributes as the
/// resolver benchmark's `putOrder`.
fn values(order: usize) -> serde_json::Map<String, Value> {
    let mut map = serde_json::Map::new();
    map.insert("product".into(), json!({"S": "ACME"}));
    map.insert("quantity".into(), json!({"N": (order + 1).to_string()}));
    // Never a whole number: see bench/resolvers.sh on Float fields.
    map.insert("total".into(), json!({"N": format!("{}.99", order * 10 + 9)}));
    map.insert("status".into(), json!({"S": "NEW"}));
    map
}

/// A whole order (key and attributes), as DynamoDB's `Item`.
fn order(customer: usize, order: usize) -> Value {
    let mut item = values(order);
    item.insert("customerId".into(), json!({"S": format!("customer-{customer}")}));
    item.insert("orderId".into(), json!({"S": format!("order-{order:02}")}));
    Value::Object(item)
}

fn key(customer: usize, order: usize) -> Value {
    json!({"customerId": {"S": format!("customer-{customer}")}, "orderId": {"S": format!("order-{order:02}")}})
}

/// The request a JS resolver returns for the operation (what the data source hands the engine).
fn appsync_request(op: Operation) -> Value {
    match op {
        Operation::GetItem => json!({"operation": "GetItem", "key": key(3, 3)}),
        Operation::PutItem => {
            json!({"operation": "PutItem", "key": key(3, 99), "attributeValues": values(99)})
        }
        Operation::Query => json!({
            "operation": "Query",
            "query": {"expression": "customerId = :c", "expressionValues": {":c": {"S": "customer-3"}}},
            "limit": 10,
        }),
    }
}

/// The DynamoDB API call for the same operation: (action, body).
fn api_request(op: Operation) -> (&'static str, Value) {
    match op {
        Operation::GetItem => ("GetItem", json!({"TableName": TABLE, "Key": key(3, 3)})),
        Operation::PutItem => ("PutItem", json!({"TableName": TABLE, "Item": order(3, 99)})),
        Operation::Query => (
            "Query",
            json!({
                "TableName": TABLE,
                "KeyConditionExpression": "customerId = :c",
                "ExpressionAttributeValues": {":c": {"S": "customer-3"}},
                "Limit": 10,
            }),
        ),
    }
}

fn table_definition() -> TableDefinition {
    TableDefinition::new(
        TABLE,
        vec![KeyElement::new("customerId", KeyType::Hash), KeyElement::new("orderId", KeyType::Range)],
        vec![AttributeDefinition::new("customerId", "S"), AttributeDefinition::new("orderId", "S")],
    )
}

pub(crate) fn main(args: DynamodbArgs) -> anyhow::Result<ExitCode> {
    if args.requests == 0 || args.concurrency == 0 {
        bail!("--requests and --concurrency must be at least 1");
    }
    let (latencies, errors, elapsed, server_cpu, (user, sys)) = match args.target {
        Target::Engine => run_engine(&args)?,
        Target::Moto => {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
                .context("could not start the async runtime")?;
            runtime.block_on(run_moto(&args))?
        }
    };
    report(&args, latencies, errors, elapsed, server_cpu, user + sys)
}

type Measured = (Vec<u32>, usize, f64, Option<f64>, (f64, f64));

fn run_engine(args: &DynamodbArgs) -> anyhow::Result<Measured> {
    let db = Database::builder().table(table_definition()).build().context("the table definition")?;
    for c in 0..args.customers {
        for o in 0..args.orders {
            db.execute(
                TABLE,
                &json!({"operation": "PutItem", "key": key(c, o), "attributeValues": values(o)}),
            )
            .context("seeding the engine")?;
        }
    }
    let request = appsync_request(args.operation);
    for _ in 0..args.warmup {
        std::hint::black_box(db.execute(TABLE, &request).context("warm-up")?);
    }
    let mut latencies = Vec::with_capacity(args.requests);
    let mut errors = 0;
    let (user0, sys0) = cpu_self();
    let t0 = Instant::now();
    for _ in 0..args.requests {
        let started = Instant::now();
        match db.execute(TABLE, std::hint::black_box(&request)) {
            Ok(result) => {
                std::hint::black_box(result);
                latencies.push(u32::try_from(started.elapsed().as_nanos() / 1000).unwrap_or(u32::MAX));
            }
            Err(_) => errors += 1,
        }
    }
    let elapsed = t0.elapsed().as_secs_f64();
    let (user1, sys1) = cpu_self();
    Ok((latencies, errors, elapsed, None, (user1 - user0, sys1 - sys0)))
}

/// A DynamoDB API client for moto: signed POSTs on pooled connections.
struct Moto {
    http: reqwest::Client,
    url: reqwest::Url,
    credentials: Credentials,
}

impl Moto {
    async fn call(&self, action: &str, body: Bytes) -> Result<Value, String> {
        let target = format!("DynamoDB_20120810.{action}");
        let headers =
            [("content-type", b"application/x-amz-json-1.0".as_slice()), ("x-amz-target", target.as_bytes())];
        let signable = SignableRequest::new("POST", self.url.as_str(), headers, SignableBody::Bytes(&body))
            .map_err(|e| e.to_string())?;
        let params = SigningParams::new(&self.credentials, "us-east-1", "dynamodb", SystemTime::now());
        let signed = appsync_sigv4::sign(&signable, &params).map_err(|e| e.to_string())?;
        let mut req = self
            .http
            .post(self.url.clone())
            .header("content-type", "application/x-amz-json-1.0")
            .header("x-amz-target", &target);
        for part in signed.headers() {
            req = req.header(part.name(), part.value());
        }
        let resp = req.body(body).send().await.map_err(|e| e.to_string())?;
        let status = resp.status();
        let bytes = resp.bytes().await.map_err(|e| e.to_string())?;
        let value: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        if !status.is_success() {
            return Err(format!("HTTP {status}: {}", String::from_utf8_lossy(&bytes)));
        }
        Ok(value)
    }
}

async fn run_moto(args: &DynamodbArgs) -> anyhow::Result<Measured> {
    let url_text = args.url.as_deref().context("--target moto needs --url")?;
    let url = reqwest::Url::parse(url_text).context("--url")?;
    if !url.host_str().is_some_and(crate::is_loopback_host) {
        bail!("--url must point at a loopback address, not {url}");
    }
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .pool_idle_timeout(Duration::from_secs(60))
        .build()
        .context("could not build the reqwest client")?;
    let moto =
        Arc::new(Moto { http, url, credentials: Credentials::new("AKIDMOTO", "moto-secret", None, None) });
    let create = json!({
        "TableName": TABLE,
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [
            {"AttributeName": "customerId", "AttributeType": "S"},
            {"AttributeName": "orderId", "AttributeType": "S"},
        ],
        "KeySchema": [
            {"AttributeName": "customerId", "KeyType": "HASH"},
            {"AttributeName": "orderId", "KeyType": "RANGE"},
        ],
    });
    if let Err(e) = moto.call("CreateTable", Bytes::from(create.to_string())).await
        && !e.contains("ResourceInUseException")
    {
        bail!("CreateTable on moto failed: {e}");
    }
    for c in 0..args.customers {
        for o in 0..args.orders {
            let body = json!({"TableName": TABLE, "Item": order(c, o)});
            moto.call("PutItem", Bytes::from(body.to_string()))
                .await
                .map_err(|e| anyhow::anyhow!("seeding moto: {e}"))?;
        }
    }
    let (action, body) = api_request(args.operation);
    let body = Bytes::from(body.to_string());
    let deadline = Instant::now() + Duration::from_secs(300);
    load(&moto, action, &body, args.warmup, args.concurrency, deadline).await;
    let server_before = args.server_pid.and_then(cpu_of);
    let (user0, sys0) = cpu_self();
    let t0 = Instant::now();
    let (latencies, errors) = load(&moto, action, &body, args.requests, args.concurrency, deadline).await;
    let elapsed = t0.elapsed().as_secs_f64();
    let (user1, sys1) = cpu_self();
    let server_cpu = match (server_before, args.server_pid.and_then(cpu_of)) {
        (Some(a), Some(b)) => Some(b - a),
        _ => None,
    };
    Ok((latencies, errors, elapsed, server_cpu, (user1 - user0, sys1 - sys0)))
}

async fn load(
    moto: &Arc<Moto>,
    action: &'static str,
    body: &Bytes,
    requests: usize,
    concurrency: usize,
    deadline: Instant,
) -> (Vec<u32>, usize) {
    let next = Arc::new(AtomicUsize::new(0));
    let first_error: Arc<OnceLock<String>> = Arc::new(OnceLock::new());
    let mut tasks = Vec::new();
    for _ in 0..concurrency.min(requests) {
        let (moto, next, first_error, body) =
            (Arc::clone(moto), Arc::clone(&next), Arc::clone(&first_error), body.clone());
        tasks.push(tokio::spawn(async move {
            let (mut latencies, mut errors) = (Vec::new(), 0usize);
            while next.fetch_add(1, Ordering::Relaxed) < requests && Instant::now() < deadline {
                let started = Instant::now();
                match moto.call(action, body.clone()).await {
                    Ok(_) => latencies.push(u32::try_from(started.elapsed().as_micros()).unwrap_or(u32::MAX)),
                    Err(e) => {
                        errors += 1;
                        let _ = first_error.set(e);
                    }
                }
            }
            (latencies, errors)
        }));
    }
    let (mut latencies, mut errors) = (Vec::new(), 0);
    for task in tasks {
        match task.await {
            Ok((l, e)) => {
                latencies.extend(l);
                errors += e;
            }
            Err(_) => errors += 1,
        }
    }
    if let Some(e) = first_error.get() {
        eprintln!("loadgen: first error: {}", e.chars().take(400).collect::<String>());
    }
    (latencies, errors)
}

fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    f64::from(sorted[rank.clamp(1, sorted.len()) - 1]) / 1000.0
}

fn report(
    args: &DynamodbArgs,
    mut latencies: Vec<u32>,
    errors: usize,
    elapsed: f64,
    server_cpu: Option<f64>,
    own_cpu: f64,
) -> anyhow::Result<ExitCode> {
    latencies.sort_unstable();
    let done = latencies.len() + errors;
    let per_op = |secs: f64| if done == 0 { f64::NAN } else { secs * 1e6 / done as f64 };
    let target = match args.target {
        Target::Engine => "engine",
        Target::Moto => "moto",
    };
    let operation = match args.operation {
        Operation::GetItem => "GetItem",
        Operation::PutItem => "PutItem",
        Operation::Query => "Query",
    };
    let line = json!({
        "label": args.label,
        "tool": "loadgen-dynamodb",
        "target": target,
        "operation": operation,
        "requests": args.requests,
        "completed": done,
        "concurrency": if args.target == Target::Engine { 1 } else { args.concurrency },
        "ok": latencies.len(),
        "errors": errors,
        "elapsed_s": round3(Some(elapsed)),
        "rps": round3(Some(done as f64 / elapsed)),
        "p50_ms": round3(Some(percentile(&latencies, 50.0))),
        "p99_ms": round3(Some(percentile(&latencies, 99.0))),
        "cpu_us_per_req": round3(Some(per_op(own_cpu))),
        "server_cpu_us_per_req": round3(server_cpu.map(per_op)),
    });
    eprintln!(
        "{label}: {done} {operation} on {target} in {elapsed:.2}s: {rps:.0} ops/s, p50 {p50:.3} ms, p99 {p99:.3} ms, {errors} errors",
        label = if args.label.is_empty() { "run" } else { &args.label },
        rps = done as f64 / elapsed,
        p50 = percentile(&latencies, 50.0),
        p99 = percentile(&latencies, 99.0),
    );
    println!("{line}");
    Ok(if errors == 0 && done == args.requests { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_engine_answers_every_operation() {
        let db = Database::builder().table(table_definition()).build().expect("a table");
        for op in [Operation::PutItem, Operation::GetItem, Operation::Query] {
            db.execute(TABLE, &appsync_request(op)).expect("the operation runs");
        }
        let page = db.execute(TABLE, &appsync_request(Operation::Query)).expect("query");
        assert_eq!(page["items"].as_array().map(Vec::len), Some(1));
    }
}
