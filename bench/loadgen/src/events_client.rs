//! `loadgen events`: the `appsync::events` client (AppSync Events) measured from the
//! subscriber's side, and the publisher that drives it.
//!
//! - `--measure throughput`: `--subs` subscriptions to `--channel` through one client (one
//!   WebSocket); once all are acknowledged the `--ready-file` is written, publishes come from
//!   another process, and the events are counted where they are read (one task per
//!   subscription, each reading its stream) until `--subs` x `--publishes` x `--events` have
//!   arrived: events per second from the first to the last, and this process's CPU per event.
//! - `--measure memory`: resident memory before and after `--subs` idle subscriptions (after one
//!   that warms up the runtime, the TLS session and the socket), per subscription.
//! - `--measure publish`: `--publishes` HTTP publishes of `--events` events each to `--channel`,
//!   `--concurrency` at a time: the load the subscribers receive, and on its own a measure of
//!   publishing (after `--warmup` publishes not counted): publishes per second and this
//!   process's CPU per publish.
//!
//! Events are decoded (`--decode`) as `serde_json::Value`, JSON of any shape as a JavaScript
//! client's `JSON.parse` gives it, or into the benchmark event's own struct, as the
//! `subscribe::<T>` API is meant to be used. API-key auth; only loopback URLs; a CA file for
//! the emulator's TLS; every wait is bounded.

use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use appsync::events::EventsClient;
use clap::ValueEnum;
use futures_util::StreamExt as _;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::measure::{cpu_self, round3, rss_kib};

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Measure {
    Throughput,
    Memory,
    Publish,
}

/// What the subscriber decodes each event into.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Decode {
    /// `serde_json::Value`: any JSON, as `JSON.parse` gives it.
    Value,
    /// [`BenchEvent`], the publisher's event as a struct.
    Typed,
}

/// The publisher's event, `{"n": .., "i": .., "text": ..}`, as an application declares it.
#[derive(serde::Deserialize)]
#[expect(dead_code, reason = "decoded in full as an application would; the benchmark counts events")]
struct BenchEvent {
    n: u64,
    i: u64,
    text: String,
}

#[derive(clap::Args, Debug)]
pub(crate) struct EventsArgs {
    /// The Events HTTP endpoint (`https://127.0.0.1:PORT/event`); must be loopback.
    #[arg(long)]
    url: String,
    /// API key for publishing and subscribing.
    #[arg(long)]
    api_key: String,
    /// PEM file of the CA that issued the emulator's certificate (`appsync local --tls`).
    #[arg(long)]
    ca_file: Option<std::path::PathBuf>,
    /// What to measure.
    #[arg(long, value_enum)]
    measure: Measure,
    /// The channel published and subscribed to.
    #[arg(long, default_value = "/default/bench")]
    channel: String,
    /// Subscriptions (all on the client's one connection).
    #[arg(long, default_value_t = 100)]
    subs: usize,
    /// Publishes (sent by the publisher; expected by the subscriber).
    #[arg(long, default_value_t = 200)]
    publishes: usize,
    /// Events per publish (AppSync allows 1 to 5).
    #[arg(long, default_value_t = 5)]
    events: usize,
    /// Publishes in flight at once (publisher).
    #[arg(long, short = 'c', default_value_t = 2)]
    concurrency: usize,
    /// Publish: publishes sent first (one at a time) and not counted, so that the connection
    /// and the TLS session are made before the clock starts.
    #[arg(long, default_value_t = 0)]
    warmup: usize,
    /// Throughput: what each event is decoded into.
    #[arg(long, value_enum, default_value = "value")]
    decode: Decode,
    /// Throughput: written (empty) once every subscription is acknowledged.
    #[arg(long)]
    ready_file: Option<std::path::PathBuf>,
    /// Give up after this many seconds (the run is then reported as cut short).
    #[arg(long, default_value_t = 120)]
    max_seconds: u64,
    /// A name for this run, copied into the JSON line.
    #[arg(long, default_value = "")]
    label: String,
}

pub(crate) fn main(args: EventsArgs) -> anyhow::Result<ExitCode> {
    let url = reqwest::Url::parse(&args.url).with_context(|| format!("--url {}", args.url))?;
    if !url.host_str().is_some_and(crate::is_loopback_host) {
        bail!("--url must point at a loopback address, not {}", args.url);
    }
    if args.subs == 0 || args.publishes == 0 || !(1..=5).contains(&args.events) || args.concurrency == 0 {
        bail!("--subs, --publishes and --concurrency must be at least 1, --events 1 to 5");
    }
    // One thread, as Node runs Amplify: the connection task and the readers then share it, with
    // no wake-up or cache line crossing between threads; `LOADGEN_THREADS=multi` for tokio's
    // default multi-threaded runtime.
    let runtime = if std::env::var("LOADGEN_THREADS").is_ok_and(|v| v == "multi") {
        tokio::runtime::Builder::new_multi_thread().enable_all().build()?
    } else {
        tokio::runtime::Builder::new_current_thread().enable_all().build()?
    };
    runtime.block_on(run(args))
}

async fn run(args: EventsArgs) -> anyhow::Result<ExitCode> {
    let mut builder =
        EventsClient::builder().endpoint(&args.url).auth(appsync::Auth::api_key(args.api_key.clone()));
    if let Some(path) = &args.ca_file {
        let pem = std::fs::read(path).with_context(|| format!("--ca-file {}", path.display()))?;
        builder = builder.ca_certificate_pem(pem);
    }
    let client = builder.build()?;
    let deadline = Instant::now() + Duration::from_secs(args.max_seconds);
    match args.measure {
        Measure::Throughput => match args.decode {
            Decode::Value => throughput::<Value>(&args, &client, deadline).await,
            Decode::Typed => throughput::<BenchEvent>(&args, &client, deadline).await,
        },
        Measure::Memory => memory(&args, &client).await,
        Measure::Publish => publish(&args, &client, deadline).await,
    }
}

/// `--subs` subscriptions to `--channel`, each acknowledged.
async fn subscribe<T: DeserializeOwned>(
    client: &EventsClient,
    channel: &str,
    count: usize,
) -> anyhow::Result<Vec<appsync::events::EventStream<T>>> {
    let mut streams = Vec::with_capacity(count);
    for _ in 0..count {
        streams.push(client.subscribe::<T>(channel).await?);
    }
    Ok(streams)
}

async fn throughput<T: DeserializeOwned + Send + 'static>(
    args: &EventsArgs,
    client: &EventsClient,
    deadline: Instant,
) -> anyhow::Result<ExitCode> {
    let share = args.publishes * args.events;
    let expected = args.subs * share;
    let streams = subscribe::<T>(client, &args.channel, args.subs).await?;
    if let Some(path) = &args.ready_file {
        std::fs::write(path, b"")?;
    }
    let cpu0 = cpu_seconds();
    let errors = Arc::new(AtomicUsize::new(0));
    // One task per subscription, as an application reads its streams: each reads its own share
    // of the events and notes when its first and its last arrived (no shared state per event,
    // and no timer: the deadline is watched here, and closing the client ends the streams).
    let readers: Vec<_> = streams
        .into_iter()
        .map(|mut stream| {
            let errors = Arc::clone(&errors);
            tokio::spawn(async move {
                let mut counted = 0usize;
                let mut first = None;
                while counted < share {
                    match stream.next().await {
                        Some(Ok(_event)) => {
                            counted += 1;
                            if counted == 1 {
                                first = Some(Instant::now());
                            }
                        }
                        // The deadline passed (the client was closed): no last time.
                        Some(Err(e)) if e.is_closed() => return (counted, first, None, stream),
                        Some(Err(e)) => {
                            errors.fetch_add(1, Ordering::Relaxed);
                            eprintln!("loadgen events: {e}");
                        }
                        None => break,
                    }
                }
                (counted, first, Some(Instant::now()), stream)
            })
        })
        .collect();
    let mut joined = std::pin::pin!(futures_util::future::join_all(readers));
    let results = match tokio::time::timeout_at(tokio::time::Instant::from_std(deadline), &mut joined).await {
        Ok(results) => results,
        Err(_) => {
            // Cut short: the streams end, and each reader reports what it has.
            client.close().await;
            joined.await
        }
    };
    let mut counted = 0usize;
    let mut first: Option<Instant> = None;
    let mut last: Option<Instant> = None;
    let mut streams = Vec::with_capacity(args.subs);
    for reader in results {
        let (n, a, b, stream) = reader?;
        counted += n;
        first = match (first, a) {
            (Some(x), Some(y)) => Some(x.min(y)),
            (x, y) => x.or(y),
        };
        if n > 0 {
            last = last.max(b);
        }
        streams.push(stream);
    }
    let cpu = cpu_seconds() - cpu0;
    let span = match (first, last) {
        (Some(a), Some(b)) => b.duration_since(a).as_secs_f64(),
        _ => 0.0,
    };
    let rate = (span > 0.0).then(|| counted as f64 / span);
    let errors = errors.load(Ordering::Relaxed);
    let line = json!({
        "label": args.label, "tool": "appsync-events", "measure": "throughput", "subs": args.subs,
        "decode": format!("{:?}", args.decode).to_lowercase(),
        "publishes": args.publishes, "events_per_publish": args.events, "events": counted,
        "errors": errors, "cut_short": counted < expected, "events_per_s": round3(rate),
        "elapsed_s": round3(Some(span)),
        "cpu_us_per_event": round3((counted > 0).then(|| cpu * 1e6 / counted as f64)),
    });
    eprintln!(
        "{}: {} subs: {counted}/{expected} events in {span:.2}s: {} events/s, CPU {} us/event, {errors} errors",
        label(args),
        args.subs,
        line["events_per_s"],
        line["cpu_us_per_event"],
    );
    println!("{line}");
    drop(streams);
    client.close().await;
    Ok(if errors == 0 && counted == expected { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

/// RSS per idle subscription: one subscription first, then `--subs` more, measured once every
/// one is acknowledged.
async fn memory(args: &EventsArgs, client: &EventsClient) -> anyhow::Result<ExitCode> {
    let _first = subscribe::<Value>(client, &args.channel, 1).await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let before = rss_kib(std::process::id())? * 1024;
    let rest = subscribe::<Value>(client, &args.channel, args.subs).await?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let after = rss_kib(std::process::id())? * 1024;
    let per = after.saturating_sub(before) as f64 / args.subs as f64;
    let line = json!({
        "label": args.label, "tool": "appsync-events", "measure": "memory", "subs": args.subs,
        "rss_before": before, "rss_after": after, "bytes_per_sub": round3(Some(per)), "errors": 0,
        "cut_short": false,
    });
    eprintln!(
        "{}: {} idle subscriptions: RSS {before} -> {after} bytes: {per:.0} bytes per subscription",
        label(args),
        rest.len(),
    );
    println!("{line}");
    drop(rest);
    client.close().await;
    Ok(ExitCode::SUCCESS)
}

/// The publisher: `--publishes` publishes of `--events` small JSON events, `--concurrency` at a
/// time; fails when any event is refused.
async fn publish(args: &EventsArgs, client: &EventsClient, deadline: Instant) -> anyhow::Result<ExitCode> {
    for n in 0..args.warmup {
        let result = client
            .publish(&args.channel, &bench_events(n, args.events, "warm-up"))
            .await
            .context("warm-up publish")?;
        if !result.is_success() {
            bail!("warm-up publish {n}: an event was refused");
        }
    }
    let next = Arc::new(AtomicUsize::new(0));
    let failed = Arc::new(AtomicUsize::new(0));
    let sent = Arc::new(AtomicUsize::new(0));
    let cpu0 = cpu_seconds();
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(args.concurrency);
    for _ in 0..args.concurrency {
        let (client, next, failed, sent) =
            (client.clone(), Arc::clone(&next), Arc::clone(&failed), Arc::clone(&sent));
        let (channel, publishes, per) = (args.channel.clone(), args.publishes, args.events);
        tasks.push(tokio::spawn(async move {
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n >= publishes || Instant::now() > deadline {
                    break;
                }
                let result = client.publish(&channel, &bench_events(n, per, "benchmark event")).await;
                sent.fetch_add(1, Ordering::Relaxed);
                match result {
                    Ok(result) if result.is_success() => {}
                    Ok(_) => {
                        failed.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(e) => {
                        failed.fetch_add(1, Ordering::Relaxed);
                        eprintln!("loadgen events: publish {n}: {e}");
                    }
                }
            }
        }));
    }
    for task in tasks {
        task.await?;
    }
    let span = started.elapsed().as_secs_f64();
    let cpu = cpu_seconds() - cpu0;
    let failed = failed.load(Ordering::Relaxed);
    let sent = sent.load(Ordering::Relaxed);
    let line = json!({
        "label": args.label, "tool": "appsync-events", "measure": "publish", "publishes": sent,
        "events_per_publish": args.events, "concurrency": args.concurrency, "failed": failed,
        "cut_short": sent < args.publishes, "elapsed_s": round3(Some(span)),
        "publishes_per_s": round3((span > 0.0).then(|| sent as f64 / span)),
        "cpu_us_per_publish": round3((sent > 0).then(|| cpu * 1e6 / sent as f64)),
    });
    eprintln!(
        "{}: {sent} publishes in {span:.2}s ({} a second, CPU {} us each), {failed} failed",
        label(args),
        line["publishes_per_s"],
        line["cpu_us_per_publish"],
    );
    println!("{line}");
    Ok(if failed == 0 && sent == args.publishes { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

/// Publish `n`'s `per` events, `{"n": n, "i": 0.., "text": text}` ([`BenchEvent`]'s shape).
fn bench_events(n: usize, per: usize, text: &str) -> Vec<Value> {
    (0..per).map(|i| json!({"n": n, "i": i, "text": text})).collect()
}

fn label(args: &EventsArgs) -> &str {
    if args.label.is_empty() { "appsync-events" } else { &args.label }
}

/// This process's user plus system CPU seconds.
fn cpu_seconds() -> f64 {
    let (user, system) = cpu_self();
    user + system
}
