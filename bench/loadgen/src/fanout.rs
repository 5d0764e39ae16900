//! `loadgen fanout`: AppSync real-time fan-out and idle-connection memory, against any server
//! speaking AppSync's `graphql-ws` protocol with an API key (the emulator, the Amplify
//! simulator), or AppSync Events' `aws-appsync-event-ws` (`--protocol events`).
//!
//! Fan-out: `--connections` WebSockets with `--subscriptions` each to `onCreatePost` (Events: to
//! the channel `/default/fanout`), then `createPost` mutations (Events: `POST /event` publishes
//! of one event) one at a time over HTTP; for each, the time from its HTTP response to the last
//! of its deliveries (and from its request to that last delivery). Memory (`--idle N`): the
//! server's VmRSS before and after N more connections with one subscription each.

use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use base64::Engine as _;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::sync::Notify;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::measure::{cpu_of, round3, rss_kib};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

const MUTATION: &str =
    "mutation Fanout($input: CreatePostInput!) { createPost(input: $input) { id title author content } }";
const SUBSCRIPTION: &str = "subscription Fanout { onCreatePost { id title author content } }";
/// Every mutation's title is this plus its index, which is how a delivery is matched to it.
const TITLE_MARK: &str = "\"title\":\"fanout-";
/// The same in an Events `data` message, where the event is a JSON string (its quotes escaped).
const EVENT_TITLE_MARK: &str = "\\\"title\\\":\\\"fanout-";
/// The channel Events subscriptions listen on and publishes go to.
const EVENT_CHANNEL: &str = "/default/fanout";

/// Which real-time protocol to load.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Protocol {
    /// GraphQL subscriptions over `graphql-ws`, fed by `createPost` mutations.
    Graphql,
    /// AppSync Events over `aws-appsync-event-ws`, fed by `POST /event` publishes.
    Events,
}

#[derive(clap::Args, Debug)]
pub(crate) struct FanoutArgs {
    /// The protocol: GraphQL subscriptions or AppSync Events.
    #[arg(long, value_enum, default_value = "graphql")]
    protocol: Protocol,
    /// HTTP URL for the mutations (GraphQL) or publishes (Events, `.../event`); must be a
    /// loopback address.
    #[arg(long)]
    url: String,
    /// Real-time URL (default: the HTTP URL's host with `ws://` and `/graphql/realtime`, or
    /// `/event/realtime` for Events).
    #[arg(long)]
    realtime_url: Option<String>,
    /// API key, for both the mutations and the subscriptions.
    #[arg(long, value_name = "KEY")]
    api_key: String,
    /// WebSocket connections for the fan-out.
    #[arg(long, default_value_t = 100)]
    connections: usize,
    /// Subscriptions on each connection.
    #[arg(long, default_value_t = 10)]
    subscriptions: usize,
    /// Measured mutations (after the warm-up), one at a time.
    #[arg(long, short = 'n', default_value_t = 200)]
    mutations: usize,
    /// Unmeasured mutations sent first.
    #[arg(long, default_value_t = 10)]
    warmup: usize,
    /// How long to wait for all of one mutation's deliveries before counting the rest as lost.
    #[arg(long, default_value_t = 10)]
    delivery_timeout_s: u64,
    /// Instead of fan-out: open this many idle connections with one subscription each and report
    /// the server's RSS growth per connection (needs `--server-pid`).
    #[arg(long, value_name = "N")]
    idle: Option<usize>,
    /// The server's process id, for its CPU time and memory (`/proc/PID`).
    #[arg(long)]
    server_pid: Option<u32>,
    /// Name of this run in the JSON output.
    #[arg(long, default_value = "fanout")]
    label: String,
}

type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

pub(crate) fn main(args: FanoutArgs) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("could not start the async runtime")?;
    runtime.block_on(async move {
        match args.idle {
            Some(n) => idle(&args, n).await,
            None => fanout(&args).await,
        }
    })
}

/// How to reach the real-time endpoint: the URL, the host the auth headers name, and the
/// subprotocols to offer.
struct Endpoint {
    url: String,
    host: String,
    protocols: String,
}

/// GraphQL: `ws://HOST/graphql/realtime?header=...&payload=e30=` for `url`'s host, or
/// `--realtime-url`; Events: `ws://HOST/event/realtime` with the auth in a `header-` subprotocol.
fn endpoint(args: &FanoutArgs) -> anyhow::Result<Endpoint> {
    let http = url_host(&args.url)?;
    let header = json!({"host": http, "x-api-key": args.api_key}).to_string();
    match args.protocol {
        Protocol::Graphql => {
            let ws = args.realtime_url.clone().unwrap_or_else(|| format!("ws://{http}/graphql/realtime"));
            let host = url_host(&ws)?;
            let b64 = base64::engine::general_purpose::STANDARD.encode(header);
            Ok(Endpoint {
                url: format!("{ws}?header={b64}&payload=e30="),
                host,
                protocols: "graphql-ws".into(),
            })
        }
        Protocol::Events => {
            let ws = args.realtime_url.clone().unwrap_or_else(|| format!("ws://{http}/event/realtime"));
            url_host(&ws)?;
            let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(header);
            Ok(Endpoint { url: ws, host: http, protocols: format!("aws-appsync-event-ws, header-{b64}") })
        }
    }
}

/// `host:port` of a loopback URL; anything else is refused.
fn url_host(url: &str) -> anyhow::Result<String> {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split('/').next().unwrap_or_default();
    let host = authority.rsplit_once(':').map_or(authority, |(h, _)| h);
    if !crate::is_loopback_host(host) {
        bail!("{url}: only loopback addresses are accepted");
    }
    Ok(authority.to_owned())
}

/// Raises this process's open-files soft limit to the hard limit; fails if that is too low.
fn raise_open_files(needed: u64) -> anyhow::Result<()> {
    use nix::sys::resource::{Resource, getrlimit, setrlimit};
    let (soft, hard) = getrlimit(Resource::RLIMIT_NOFILE).context("getrlimit")?;
    if hard < needed {
        bail!("{needed} open files needed, but the hard RLIMIT_NOFILE is {hard}");
    }
    if soft < hard {
        setrlimit(Resource::RLIMIT_NOFILE, hard, hard).context("setrlimit")?;
    }
    Ok(())
}

fn recv_text(frame: Option<Result<Message, tokio_tungstenite::tungstenite::Error>>) -> anyhow::Result<Value> {
    match frame {
        Some(Ok(Message::Text(t))) => Ok(serde_json::from_str(t.as_str())?),
        Some(Ok(other)) => Ok(json!({"type": "other", "frame": format!("{other:?}")})),
        Some(Err(e)) => Err(e.into()),
        None => bail!("connection closed"),
    }
}

/// The next message that is not a keep-alive, within 30 s.
async fn next_message(ws: &mut Ws) -> anyhow::Result<Value> {
    loop {
        let frame = tokio::time::timeout(Duration::from_secs(30), ws.next())
            .await
            .context("no answer from the server within 30 s")?;
        let v = recv_text(frame)?;
        if v["type"] != "ka" && v["type"] != "other" {
            return Ok(v);
        }
    }
}

/// A connection with `subscriptions` acknowledged subscriptions (ids `s0`, `s1`, ...).
async fn open(protocol: Protocol, to: &Endpoint, api_key: &str, subscriptions: usize) -> anyhow::Result<Ws> {
    let mut req = to.url.as_str().into_client_request()?;
    req.headers_mut().insert("sec-websocket-protocol", to.protocols.parse()?);
    // Small buffers: thousands of these share the machine with the server being measured.
    let config = WebSocketConfig::default().read_buffer_size(8192).write_buffer_size(0);
    let (mut ws, _) = tokio_tungstenite::connect_async_with_config(req, Some(config), true)
        .await
        .context("WebSocket upgrade")?;
    ws.send(Message::Text(json!({"type": "connection_init"}).to_string().into())).await?;
    let ack = next_message(&mut ws).await?;
    if ack["type"] != "connection_ack" {
        bail!("expected connection_ack, got {ack}");
    }
    let authorization = json!({"host": to.host, "x-api-key": api_key});
    let data = json!({"query": SUBSCRIPTION, "variables": {}}).to_string();
    for i in 0..subscriptions {
        let id = format!("s{i}");
        let message = match protocol {
            Protocol::Graphql => json!({"id": id, "type": "start", "payload": {"data": data,
                "extensions": {"authorization": authorization}}}),
            Protocol::Events => json!({"id": id, "type": "subscribe", "channel": EVENT_CHANNEL,
                "authorization": authorization}),
        };
        ws.send(Message::Text(message.to_string().into())).await?;
    }
    let ack = match protocol {
        Protocol::Graphql => "start_ack",
        Protocol::Events => "subscribe_success",
    };
    let mut acked = 0;
    while acked < subscriptions {
        let m = next_message(&mut ws).await?;
        if m["type"] != ack {
            bail!("expected {ack}, got {m}");
        }
        acked += 1;
    }
    Ok(ws)
}

/// Opens `n` connections, `parallel` handshakes at a time.
async fn open_many(
    args: &FanoutArgs,
    n: usize,
    subscriptions: usize,
    parallel: usize,
) -> anyhow::Result<Vec<Ws>> {
    let to = Arc::new(endpoint(args)?);
    let mut out = Vec::with_capacity(n);
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..n {
        if set.len() >= parallel
            && let Some(done) = set.join_next().await
        {
            out.push(done??);
        }
        let (to, key, protocol) = (Arc::clone(&to), args.api_key.clone(), args.protocol);
        set.spawn(async move { open(protocol, &to, &key, subscriptions).await });
    }
    while let Some(done) = set.join_next().await {
        out.push(done??);
    }
    Ok(out)
}

/// Deliveries per mutation and the arrival of the last one, shared with the readers.
struct Tally {
    /// What precedes a delivery's index in its message.
    mark: &'static str,
    started: Instant,
    expected: u32,
    counts: Vec<AtomicU32>,
    /// Nanoseconds after `started` of the latest delivery.
    last: Vec<AtomicU64>,
    complete: Notify,
    unexpected: AtomicU32,
}

impl Tally {
    fn record(&self, text: &str) {
        let Some(at) = text.find(self.mark) else {
            if !text.contains("\"type\":\"ka\"") {
                self.unexpected.fetch_add(1, Ordering::Relaxed);
            }
            return;
        };
        let digits: String = text[at + self.mark.len()..].chars().take_while(char::is_ascii_digit).collect();
        let Some(i) = digits.parse::<usize>().ok().filter(|&i| i < self.counts.len()) else {
            self.unexpected.fetch_add(1, Ordering::Relaxed);
            return;
        };
        let now = u64::try_from(self.started.elapsed().as_nanos()).unwrap_or(u64::MAX);
        self.last[i].fetch_max(now, Ordering::AcqRel);
        if self.counts[i].fetch_add(1, Ordering::AcqRel) + 1 == self.expected {
            self.complete.notify_one();
        }
    }
}

fn percentile(sorted: &[f64], p: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

async fn fanout(args: &FanoutArgs) -> anyhow::Result<ExitCode> {
    if args.connections == 0 || args.subscriptions == 0 || args.mutations == 0 {
        bail!("--connections, --subscriptions and --mutations must be positive");
    }
    raise_open_files(args.connections as u64 + 64)?;
    let expected = u32::try_from(args.connections * args.subscriptions).context("too many subscriptions")?;
    let total = args.warmup + args.mutations;
    let conns = open_many(args, args.connections, args.subscriptions, 20).await?;
    eprintln!(
        "{}: {} connections x {} subscriptions open; {} {} (+{} warm-up)",
        args.label,
        args.connections,
        args.subscriptions,
        args.mutations,
        match args.protocol {
            Protocol::Graphql => "mutations",
            Protocol::Events => "publishes",
        },
        args.warmup
    );
    let tally = Arc::new(Tally {
        mark: match args.protocol {
            Protocol::Graphql => TITLE_MARK,
            Protocol::Events => EVENT_TITLE_MARK,
        },
        started: Instant::now(),
        expected,
        counts: (0..total).map(|_| AtomicU32::new(0)).collect(),
        last: (0..total).map(|_| AtomicU64::new(0)).collect(),
        complete: Notify::new(),
        unexpected: AtomicU32::new(0),
    });
    let mut readers = Vec::new();
    for mut ws in conns {
        let tally = Arc::clone(&tally);
        readers.push(tokio::spawn(async move {
            while let Some(Ok(frame)) = ws.next().await {
                if let Message::Text(t) = frame {
                    tally.record(t.as_str());
                }
            }
        }));
    }

    let client = reqwest::Client::builder().no_proxy().build()?;
    let mut after_response = Vec::with_capacity(args.mutations);
    let mut after_request = Vec::with_capacity(args.mutations);
    let mut lost = 0u64;
    let mut measured_deliveries = 0u64;
    let mut cpu_start = None;
    let mut measure_start = Instant::now();
    for i in 0..total {
        if i == args.warmup {
            cpu_start = args.server_pid.and_then(cpu_of);
            measure_start = Instant::now();
        }
        let post =
            json!({"title": format!("fanout-{i}"), "author": "loadgen", "content": "fan-out benchmark"});
        let body = match args.protocol {
            Protocol::Graphql => json!({"query": MUTATION, "variables": {"input": post}}),
            Protocol::Events => json!({"channel": EVENT_CHANNEL, "events": [post.to_string()]}),
        };
        let sent = tally.started.elapsed();
        let resp = client
            .post(&args.url)
            .header("x-api-key", &args.api_key)
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .context("mutation request")?;
        let status = resp.status();
        let text = resp.text().await?;
        let answered = tally.started.elapsed();
        let refused = text.contains("\"errors\"") || text.contains("\"failed\":[{");
        if !status.is_success() || refused {
            bail!("mutation {i} failed: {status} {text}");
        }
        let deadline = tokio::time::Instant::now() + Duration::from_secs(args.delivery_timeout_s);
        while tally.counts[i].load(Ordering::Acquire) < expected {
            if tokio::time::timeout_at(deadline, tally.complete.notified()).await.is_err() {
                break;
            }
        }
        let got = tally.counts[i].load(Ordering::Acquire);
        if i < args.warmup {
            continue;
        }
        lost += u64::from(expected - got.min(expected));
        measured_deliveries += u64::from(got);
        if got == 0 {
            continue;
        }
        let last = Duration::from_nanos(tally.last[i].load(Ordering::Acquire));
        // The emulator publishes before it answers: a last delivery ahead of the response is 0.
        after_response.push(last.saturating_sub(answered).as_secs_f64() * 1000.0);
        after_request.push(last.saturating_sub(sent).as_secs_f64() * 1000.0);
    }
    let elapsed = measure_start.elapsed().as_secs_f64();
    let server_cpu = match (cpu_start, args.server_pid.and_then(cpu_of)) {
        (Some(a), Some(b)) => Some(b - a),
        _ => None,
    };
    for r in readers {
        r.abort();
    }
    let busy_s: f64 = after_request.iter().sum::<f64>() / 1000.0;
    after_response.sort_by(f64::total_cmp);
    after_request.sort_by(f64::total_cmp);
    let n = args.mutations as f64;
    let out = json!({
        "label": args.label,
        "mode": "fanout",
        "protocol": format!("{:?}", args.protocol).to_lowercase(),
        "connections": args.connections,
        "subscriptions_per_connection": args.subscriptions,
        "subscribers": expected,
        "mutations": args.mutations,
        "p50_ms": round3(percentile(&after_response, 50.0)),
        "p99_ms": round3(percentile(&after_response, 99.0)),
        "max_ms": round3(after_response.last().copied()),
        "request_p50_ms": round3(percentile(&after_request, 50.0)),
        "request_p99_ms": round3(percentile(&after_request, 99.0)),
        // Deliveries per second while a mutation is being fanned out: from each request to
        // its last delivery, summed.
        "deliveries_per_s": round3((busy_s > 0.0).then(|| measured_deliveries as f64 / busy_s)),
        "mutations_per_s": round3(Some(n / elapsed)),
        "lost": lost,
        "unexpected_messages": tally.unexpected.load(Ordering::Relaxed),
        "server_cpu_s": round3(server_cpu),
        "server_cpu_us_per_delivery": round3(server_cpu.map(|c| c * 1e6 / measured_deliveries.max(1) as f64)),
    });
    eprintln!(
        "{}: response->last delivery p50 {} ms p99 {} ms; request->last p50 {} ms; {} deliveries/s; {} lost",
        args.label, out["p50_ms"], out["p99_ms"], out["request_p50_ms"], out["deliveries_per_s"], lost
    );
    println!("{out}");
    Ok(if lost == 0 { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

async fn idle(args: &FanoutArgs, n: usize) -> anyhow::Result<ExitCode> {
    let Some(pid) = args.server_pid else { bail!("--idle needs --server-pid") };
    raise_open_files(n as u64 + 64)?;
    // A few connections first, so that one-time costs (runtime, allocator arenas, caches) are
    // not charged to the measured ones.
    let warm = open_many(args, 20, 1, 20).await?;
    let before = rss_kib(pid)?;
    let opened = Instant::now();
    let conns = open_many(args, n, 1, 50).await?;
    let open_s = opened.elapsed().as_secs_f64();
    let after = rss_kib(pid)?;
    let per = (after.saturating_sub(before)) as f64 / n as f64;
    let out = json!({
        "label": args.label,
        "mode": "idle",
        "protocol": format!("{:?}", args.protocol).to_lowercase(),
        "connections": n,
        "rss_before_kib": before,
        "rss_after_kib": after,
        "kib_per_connection": round3(Some(per)),
        "open_s": round3(Some(open_s)),
    });
    eprintln!(
        "{}: {n} idle connections with one subscription each: RSS {before} -> {after} KiB, {per:.2} KiB per connection",
        args.label
    );
    println!("{out}");
    drop(conns);
    drop(warm);
    Ok(ExitCode::SUCCESS)
}
