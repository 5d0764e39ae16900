//! `loadgen subscribe`: subscriptions over AppSync's real-time WebSocket, measured from the
//! subscriber's side, through the `appsync` client or through a bare WebSocket client that
//! speaks the protocol itself (tokio-tungstenite, no client library: the emulator's own
//! fan-out time, the floor a client adds to).
//!
//! - `--measure latency`: N subscriptions; M mutations over HTTP one at a time, each waiting
//!   until every subscription has its event. Latency is from the mutation's HTTP response
//!   (and, also reported, from sending it) to the event reaching the subscriber's code.
//! - `--measure throughput`: N subscriptions (one connection up to 100); once ready (the
//!   `--ready-file` is written), mutations come from another process and events are counted
//!   until N x M have arrived: events per second from the first to the last.
//! - `--measure memory`: the resident memory of this process before and after N idle
//!   subscriptions, per subscription.
//!
//! API-key auth; only loopback URLs; every wait is bounded.

use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use base64::Engine as _;
use clap::ValueEnum;
use futures_util::{SinkExt as _, StreamExt as _};
use serde_json::{Value, json};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;

use crate::measure::{cpu_self, round3, rss_kib};

const SUBSCRIPTION: &str = "subscription OnCreate { onCreatePost { id title } }";
const MUTATION: &str = "mutation Create($input: CreatePostInput!) { createPost(input: $input) { id title } }";

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum SubClient {
    /// The `appsync` client crate.
    Appsync,
    /// A bare WebSocket client speaking the protocol directly.
    Raw,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Measure {
    Latency,
    Throughput,
    Memory,
}

#[derive(clap::Args, Debug)]
pub(crate) struct SubscribeArgs {
    /// GraphQL URL of the emulator (`http://127.0.0.1:PORT/graphql`); must be loopback.
    #[arg(long)]
    url: String,
    /// API key for HTTP mutations and the real-time connection.
    #[arg(long)]
    api_key: String,
    /// Which subscriber.
    #[arg(long, value_enum, default_value = "appsync")]
    client: SubClient,
    /// What to measure.
    #[arg(long, value_enum, default_value = "latency")]
    measure: Measure,
    /// Subscriptions.
    #[arg(long, default_value_t = 1)]
    subs: usize,
    /// Latency: measured mutations. Throughput: mutations the other process sends.
    #[arg(long, short = 'n', default_value_t = 200)]
    mutations: usize,
    /// Latency: unmeasured mutations first.
    #[arg(long, default_value_t = 20)]
    warmup: usize,
    /// Subscriptions per WebSocket of the bare client (the `appsync` client decides its own).
    #[arg(long, default_value_t = 100)]
    per_connection: usize,
    /// Throughput: written (empty) once every subscription is live.
    #[arg(long)]
    ready_file: Option<std::path::PathBuf>,
    /// Give up after this many seconds (the run is then reported as cut short).
    #[arg(long, default_value_t = 120)]
    max_seconds: u64,
    /// A name for this run, copied into the JSON line.
    #[arg(long, default_value = "")]
    label: String,
    /// Async runtime worker threads (default: one per core).
    #[arg(long)]
    threads: Option<usize>,
}

/// One event reaching the subscriber's code: the post's id and when.
struct Delivery {
    id: String,
    at: Instant,
}

/// Where the reading tasks put each event. Until [`count`](Self::count) is called, every event
/// goes to the channel (latency needs each one's id and time). While throughput is measured
/// the reading task only counts it in place, with the first and last times, as the Python peer
/// does: a hop to another task per event would charge the measurement to the client measured.
struct Recorder {
    tx: mpsc::UnboundedSender<Delivery>,
    counting: AtomicBool,
    counted: AtomicUsize,
    /// Stop counting (notify) once this many were counted.
    expected: AtomicUsize,
    done: tokio::sync::Notify,
    base: Instant,
    /// Nanoseconds after `base`; `u64::MAX` until the first event.
    first_ns: AtomicU64,
    last_ns: AtomicU64,
}

impl Recorder {
    fn new(tx: mpsc::UnboundedSender<Delivery>) -> Self {
        Self {
            tx,
            counting: AtomicBool::new(false),
            counted: AtomicUsize::new(0),
            expected: AtomicUsize::new(usize::MAX),
            done: tokio::sync::Notify::new(),
            base: Instant::now(),
            first_ns: AtomicU64::new(u64::MAX),
            last_ns: AtomicU64::new(0),
        }
    }

    fn record(&self, id: &str, at: Instant) {
        if !self.counting.load(Ordering::Relaxed) {
            let _ = self.tx.send(Delivery { id: id.to_owned(), at });
            return;
        }
        let ns = u64::try_from(at.duration_since(self.base).as_nanos()).unwrap_or(u64::MAX - 1);
        self.first_ns.fetch_min(ns, Ordering::Relaxed);
        self.last_ns.fetch_max(ns, Ordering::Relaxed);
        if self.counted.fetch_add(1, Ordering::AcqRel) + 1 == self.expected.load(Ordering::Relaxed) {
            self.done.notify_one();
        }
    }

    /// From now on, count events in place; [`done`](Self::done) is notified at `expected`.
    fn count(&self, expected: usize) {
        self.expected.store(expected, Ordering::Relaxed);
        self.counting.store(true, Ordering::SeqCst);
    }
}

pub(crate) fn main(args: SubscribeArgs) -> anyhow::Result<ExitCode> {
    let url = reqwest::Url::parse(&args.url).with_context(|| format!("--url {}", args.url))?;
    if !url.host_str().is_some_and(crate::is_loopback_host) {
        bail!("--url must point at a loopback address, not {}", args.url);
    }
    if args.subs == 0 || args.per_connection == 0 {
        bail!("--subs and --per-connection must be at least 1");
    }
    let mut rt = tokio::runtime::Builder::new_multi_thread();
    if let Some(n) = args.threads {
        rt.worker_threads(n);
    }
    rt.enable_all().build()?.block_on(run(args, url))
}

/// The tasks reading the subscriptions, kept while measuring.
struct Subscriber {
    _tasks: Vec<tokio::task::JoinHandle<()>>,
}

async fn run(args: SubscribeArgs, url: reqwest::Url) -> anyhow::Result<ExitCode> {
    let deadline = Instant::now() + Duration::from_secs(args.max_seconds);
    let http = reqwest::Client::new();
    let (tx, mut rx) = mpsc::unbounded_channel::<Delivery>();
    let tx = Arc::new(Recorder::new(tx));
    let errors = Arc::new(AtomicUsize::new(0));

    let client = appsync::Client::builder()
        .endpoint(url.as_str())
        .auth(appsync::Auth::api_key(args.api_key.clone()))
        .build()?;
    if args.measure == Measure::Memory {
        return memory(&args, &url, &http, &client, tx, rx, errors).await;
    }
    let _subscriber = subscribe(&args, &url, &client, args.subs, tx.clone(), errors.clone()).await?;
    ready(&args, &url, &http, &mut rx, args.subs, deadline).await?;
    if let Some(path) = &args.ready_file {
        std::fs::write(path, b"")?;
    }
    match args.measure {
        Measure::Latency => latency(&args, &url, &http, &mut rx, errors, deadline).await,
        Measure::Throughput => throughput(&args, &tx, errors, deadline).await,
        Measure::Memory => unreachable!("handled above"),
    }
}

async fn subscribe(
    args: &SubscribeArgs,
    url: &reqwest::Url,
    client: &appsync::Client,
    count: usize,
    tx: Arc<Recorder>,
    errors: Arc<AtomicUsize>,
) -> anyhow::Result<Subscriber> {
    match args.client {
        SubClient::Appsync => {
            let tasks = appsync_subscribe(client, count, args.per_connection, &tx, &errors).await?;
            Ok(Subscriber { _tasks: tasks })
        }
        SubClient::Raw => {
            let mut tasks = Vec::new();
            let mut left = count;
            let mut opening = Vec::new();
            while left > 0 {
                let n = left.min(args.per_connection);
                left -= n;
                opening.push(raw_connection(
                    url.clone(),
                    args.api_key.clone(),
                    n,
                    tx.clone(),
                    errors.clone(),
                ));
            }
            for task in futures_util::future::join_all(opening).await {
                tasks.push(task?);
            }
            Ok(Subscriber { _tasks: tasks })
        }
    }
}

/// `count` subscriptions through the client (at once: it paces and places them itself). Each
/// group of `per_connection` is read by one task merging its streams (`select_all`), as the bare
/// client reads each of its connections with one task.
async fn appsync_subscribe(
    client: &appsync::Client,
    count: usize,
    per_connection: usize,
    tx: &Arc<Recorder>,
    errors: &Arc<AtomicUsize>,
) -> anyhow::Result<Vec<tokio::task::JoinHandle<()>>> {
    let subscribes = (0..count).map(|_| client.subscribe::<Value>(SUBSCRIPTION, ()));
    let mut subs = Vec::with_capacity(count);
    for sub in futures_util::future::join_all(subscribes).await {
        subs.push(sub.context("subscribe")?);
    }
    let mut tasks = Vec::new();
    while !subs.is_empty() {
        let group: Vec<_> = subs.drain(..per_connection.min(subs.len())).collect();
        let (tx, errors) = (tx.clone(), errors.clone());
        tasks.push(tokio::spawn(async move {
            let mut events = futures_util::stream::select_all(group);
            while let Some(event) = events.next().await {
                let at = Instant::now();
                match event {
                    Ok(event) => {
                        tx.record(event["onCreatePost"]["id"].as_str().unwrap_or_default(), at);
                    }
                    Err(e) => {
                        if errors.fetch_add(1, Ordering::Relaxed) == 0 {
                            eprintln!("first subscription error: {e}");
                        }
                    }
                }
            }
        }));
    }
    Ok(tasks)
}

/// A bare WebSocket with `count` subscriptions: `connection_init`, `connection_ack`, the
/// `start`s (at most 50 a second, under the server's message rate) and their `start_ack`s;
/// then a task reads `data` messages. Returns once every subscription is acknowledged.
async fn raw_connection(
    url: reqwest::Url,
    api_key: String,
    count: usize,
    tx: Arc<Recorder>,
    errors: Arc<AtomicUsize>,
) -> anyhow::Result<tokio::task::JoinHandle<()>> {
    let host = match url.port() {
        Some(p) => format!("{}:{p}", url.host_str().unwrap_or_default()),
        None => url.host_str().unwrap_or_default().to_owned(),
    };
    let header = json!({"host": host, "x-api-key": api_key});
    let encoded = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(header.to_string());
    let ws_url = format!("ws://{host}{}/realtime", url.path().trim_end_matches('/'));
    let mut request = ws_url.as_str().into_client_request()?;
    request.headers_mut().insert("sec-websocket-protocol", format!("graphql-ws, header-{encoded}").parse()?);
    let (mut ws, _) = tokio_tungstenite::connect_async(request).await.context("connecting")?;
    ws.send(Message::text(r#"{"type":"connection_init"}"#)).await?;
    let step = Duration::from_secs(10);
    loop {
        let message = tokio::time::timeout(step, ws.next()).await.context("waiting for connection_ack")?;
        let Some(Ok(Message::Text(text))) = message else { bail!("closed before connection_ack") };
        let message: Value = serde_json::from_str(text.as_str())?;
        match message["type"].as_str() {
            Some("connection_ack") => break,
            Some("ka") => continue,
            other => bail!("expected connection_ack, got {other:?}: {message}"),
        }
    }
    let data = json!({"query": SUBSCRIPTION, "variables": {}}).to_string();
    let authorization = json!({"host": host, "x-api-key": api_key});
    let mut acked = 0;
    for i in 0..count {
        if i > 0 && i % 50 == 0 {
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        let start = json!({"type": "start", "id": format!("s{i}"),
            "payload": {"data": data, "extensions": {"authorization": authorization}}});
        ws.send(Message::text(start.to_string())).await?;
    }
    while acked < count {
        let message = tokio::time::timeout(step, ws.next()).await.context("waiting for start_ack")?;
        let Some(Ok(Message::Text(text))) = message else { bail!("closed before start_ack") };
        let message: Value = serde_json::from_str(text.as_str())?;
        match message["type"].as_str() {
            Some("start_ack") => acked += 1,
            Some("ka") => {}
            _ => bail!("expected start_ack, got {message}"),
        }
    }
    Ok(tokio::spawn(async move {
        while let Some(Ok(message)) = ws.next().await {
            let Message::Text(text) = message else { continue };
            let at = Instant::now();
            let Ok(message) = serde_json::from_str::<Value>(text.as_str()) else { continue };
            match message["type"].as_str() {
                Some("data") => {
                    let id = message["payload"]["data"]["onCreatePost"]["id"].as_str().unwrap_or_default();
                    tx.record(id, at);
                }
                Some("ka") => {}
                _ => {
                    if errors.fetch_add(1, Ordering::Relaxed) == 0 {
                        eprintln!("first unexpected message: {message}");
                    }
                }
            }
        }
    }))
}

/// Creates a post with `id` (auto when `None`) over HTTP; returns when the response is read.
async fn mutate(http: &reqwest::Client, url: &reqwest::Url, api_key: &str, id: &str) -> anyhow::Result<()> {
    let body = json!({"query": MUTATION, "variables": {"input": {"id": id, "title": "bench"}}});
    let response = http.post(url.clone()).header("x-api-key", api_key).json(&body).send().await?;
    let status = response.status();
    let body: Value = response.json().await?;
    if !status.is_success() || body.get("errors").is_some_and(|e| !e.is_null()) {
        bail!("mutation failed: {status} {body}");
    }
    Ok(())
}

/// Probes until one mutation's event reaches every subscription (a subscriber without a
/// `start_ack` hook is live once it receives), then lets stragglers of earlier probes drain.
async fn ready(
    args: &SubscribeArgs,
    url: &reqwest::Url,
    http: &reqwest::Client,
    rx: &mut mpsc::UnboundedReceiver<Delivery>,
    subs: usize,
    deadline: Instant,
) -> anyhow::Result<()> {
    for probe in 0.. {
        if Instant::now() > deadline {
            bail!("the subscriptions did not all receive a probe in time");
        }
        let id = format!("probe-{probe}-{}", fastrand_suffix());
        mutate(http, url, &args.api_key, &id).await?;
        let mut got = 0;
        let until = tokio::time::Instant::now() + Duration::from_millis(1000);
        while got < subs {
            match tokio::time::timeout_at(until, rx.recv()).await {
                Ok(Some(d)) if d.id == id => got += 1,
                Ok(Some(_)) => {}
                Ok(None) => bail!("every subscription ended"),
                Err(_) => break,
            }
        }
        if got == subs {
            break;
        }
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    while rx.try_recv().is_ok() {}
    Ok(())
}

/// Post ids must be new on every run against the same emulator.
fn fastrand_suffix() -> String {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    format!("{}-{}", std::process::id(), nanos.as_nanos())
}

/// The `p`th percentile (nearest rank) of sorted microseconds, in milliseconds.
fn percentile_ms(sorted_us: &[i64], p: f64) -> Option<f64> {
    if sorted_us.is_empty() {
        return None;
    }
    let rank = ((p / 100.0) * sorted_us.len() as f64).ceil().max(1.0) as usize;
    Some(sorted_us[rank.min(sorted_us.len()) - 1] as f64 / 1000.0)
}

fn tool(args: &SubscribeArgs) -> &'static str {
    match args.client {
        SubClient::Appsync => "appsync",
        SubClient::Raw => "raw-ws",
    }
}

async fn latency(
    args: &SubscribeArgs,
    url: &reqwest::Url,
    http: &reqwest::Client,
    rx: &mut mpsc::UnboundedReceiver<Delivery>,
    errors: Arc<AtomicUsize>,
    deadline: Instant,
) -> anyhow::Result<ExitCode> {
    let mut from_response: Vec<i64> = Vec::with_capacity(args.mutations * args.subs);
    let mut from_send: Vec<i64> = Vec::with_capacity(args.mutations * args.subs);
    let mut before_response = 0usize;
    let mut missing = 0usize;
    let mut done = 0usize;
    let run = fastrand_suffix();
    let cpu0 = cpu_seconds();
    let started = Instant::now();
    for k in 0..args.warmup + args.mutations {
        if Instant::now() > deadline {
            break;
        }
        let measured = k >= args.warmup;
        let id = format!("lat-{k}-{run}");
        let sent = Instant::now();
        mutate(http, url, &args.api_key, &id).await?;
        let response = Instant::now();
        let mut got = 0;
        let until = tokio::time::Instant::now() + Duration::from_secs(10);
        while got < args.subs {
            match tokio::time::timeout_at(until, rx.recv()).await {
                Ok(Some(d)) if d.id == id => {
                    got += 1;
                    if measured {
                        let us = |from: Instant| match d.at.checked_duration_since(from) {
                            Some(d) => d.as_micros() as i64,
                            None => 0,
                        };
                        if d.at < response {
                            before_response += 1;
                        }
                        from_response.push(us(response));
                        from_send.push(us(sent));
                    }
                }
                Ok(Some(_)) => {}
                Ok(None) | Err(_) => break,
            }
        }
        if measured {
            missing += args.subs - got;
            done += 1;
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    let cpu = cpu_seconds() - cpu0;
    from_response.sort_unstable();
    from_send.sort_unstable();
    let errors = errors.load(Ordering::Relaxed) + missing;
    let events = from_response.len();
    let line = json!({
        "label": args.label, "tool": tool(args), "measure": "latency", "subs": args.subs,
        "mutations": done, "events": events, "errors": errors, "cut_short": done < args.mutations,
        "p50_ms": round3(percentile_ms(&from_response, 50.0)),
        "p99_ms": round3(percentile_ms(&from_response, 99.0)),
        "max_ms": round3(percentile_ms(&from_response, 100.0)),
        "p50_from_send_ms": round3(percentile_ms(&from_send, 50.0)),
        "p99_from_send_ms": round3(percentile_ms(&from_send, 99.0)),
        "before_response": before_response,
        "elapsed_s": round3(Some(elapsed)),
        "cpu_us_per_event": round3((events > 0).then(|| cpu * 1e6 / events as f64)),
    });
    eprintln!(
        "{}: {} subs, {done} mutations: latency from response p50 {} ms p99 {} ms (from send p50 {} p99 {}), {before_response} events before the response, {errors} errors",
        if args.label.is_empty() { tool(args) } else { &args.label },
        args.subs,
        line["p50_ms"],
        line["p99_ms"],
        line["p50_from_send_ms"],
        line["p99_from_send_ms"],
    );
    println!("{line}");
    Ok(if errors == 0 && done == args.mutations { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

async fn throughput(
    args: &SubscribeArgs,
    recorder: &Recorder,
    errors: Arc<AtomicUsize>,
    deadline: Instant,
) -> anyhow::Result<ExitCode> {
    let expected = args.subs * args.mutations;
    // Nothing is sent until the ready file is seen, so the CPU from here on is the events'.
    let cpu0 = cpu_seconds();
    let done = recorder.done.notified();
    recorder.count(expected);
    let _ = tokio::time::timeout_at(tokio::time::Instant::from_std(deadline), done).await;
    let events = recorder.counted.load(Ordering::Acquire).min(expected);
    let (first_ns, last_ns) =
        (recorder.first_ns.load(Ordering::Relaxed), recorder.last_ns.load(Ordering::Relaxed));
    let (first, last) = if first_ns == u64::MAX {
        (None, None)
    } else {
        (
            Some(recorder.base + Duration::from_nanos(first_ns)),
            Some(recorder.base + Duration::from_nanos(last_ns)),
        )
    };
    let cpu = cpu_seconds() - cpu0;
    let span = match (first, last) {
        (Some(a), Some(b)) => b.duration_since(a).as_secs_f64(),
        _ => 0.0,
    };
    let rate = (span > 0.0).then(|| events as f64 / span);
    let errors = errors.load(Ordering::Relaxed);
    let line = json!({
        "label": args.label, "tool": tool(args), "measure": "throughput", "subs": args.subs,
        "mutations": args.mutations, "events": events, "errors": errors, "cut_short": events < expected,
        "events_per_s": round3(rate), "elapsed_s": round3(Some(span)),
        "cpu_us_per_event": round3((events > 0).then(|| cpu * 1e6 / events as f64)),
    });
    eprintln!(
        "{}: {} subs: {events}/{expected} events in {span:.2}s: {} events/s, CPU {} us/event, {errors} errors",
        if args.label.is_empty() { tool(args) } else { &args.label },
        args.subs,
        line["events_per_s"],
        line["cpu_us_per_event"],
    );
    println!("{line}");
    Ok(if errors == 0 && events == expected { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

/// RSS per idle subscription: one subscription first (runtime, connection pool and first
/// WebSocket warmed up), then `--subs` more, counted once every one is acknowledged.
async fn memory(
    args: &SubscribeArgs,
    url: &reqwest::Url,
    http: &reqwest::Client,
    client: &appsync::Client,
    tx: Arc<Recorder>,
    mut rx: mpsc::UnboundedReceiver<Delivery>,
    errors: Arc<AtomicUsize>,
) -> anyhow::Result<ExitCode> {
    let deadline = Instant::now() + Duration::from_secs(args.max_seconds);
    let _first = subscribe(args, url, client, 1, tx.clone(), errors.clone()).await?;
    ready(args, url, http, &mut rx, 1, deadline).await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let before = rss_kib(std::process::id())? * 1024;
    // Returns once every subscription is acknowledged (the client's `subscribe` returns on
    // `start_ack`; the bare client waits for each).
    let _rest = subscribe(args, url, client, args.subs, tx, errors.clone()).await?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let after = rss_kib(std::process::id())? * 1024;
    let per = after.saturating_sub(before) as f64 / args.subs as f64;
    let errors = errors.load(Ordering::Relaxed);
    let line = json!({
        "label": args.label, "tool": tool(args), "measure": "memory", "subs": args.subs,
        "rss_before": before, "rss_after": after, "bytes_per_sub": round3(Some(per)), "errors": errors,
        "cut_short": false,
    });
    eprintln!(
        "{}: {} idle subscriptions: RSS {before} -> {after} bytes: {per:.0} bytes per subscription",
        if args.label.is_empty() { tool(args) } else { &args.label },
        args.subs,
    );
    println!("{line}");
    Ok(if errors == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

/// This process's user plus system CPU seconds.
fn cpu_seconds() -> f64 {
    let (user, system) = cpu_self();
    user + system
}

#[cfg(test)]
mod tests {
    use super::percentile_ms;

    #[test]
    fn percentiles_by_nearest_rank() {
        let us: Vec<i64> = (1..=100).map(|i| i * 1000).collect();
        assert_eq!(percentile_ms(&us, 50.0), Some(50.0));
        assert_eq!(percentile_ms(&us, 99.0), Some(99.0));
        assert_eq!(percentile_ms(&us, 100.0), Some(100.0));
        assert_eq!(percentile_ms(&[], 50.0), None);
    }
}
