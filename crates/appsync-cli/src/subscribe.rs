//! `appsync subscribe`: subscribe over AppSync's real-time WebSocket and print each event as one
//! compact JSON line (NDJSON) on standard output; connection state changes go to standard error.

use std::future::Future;
use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, anyhow};
use appsync::Request;
use appsync::realtime::{ConnectionEvent, ConnectionState, RealtimeOptions};
use clap::Args;
use futures_util::{Stream, StreamExt as _};

use crate::common::{ConnectArgs, read_arg, read_variables};
use crate::usage;

#[derive(Args)]
pub(crate) struct SubscribeArgs {
    #[command(flatten)]
    connect: ConnectArgs,
    /// The real-time WebSocket URL (default: derived from --url, e.g.
    /// wss://<id>.appsync-realtime-api.<region>.amazonaws.com/graphql, or <url>/realtime).
    #[arg(long, value_name = "URL")]
    realtime_url: Option<String>,
    /// Variables as a JSON object, or @FILE.
    #[arg(long, value_name = "JSON|@FILE")]
    variables: Option<String>,
    /// Exit 0 after this many events (default: run until interrupted or the subscription ends).
    #[arg(long, value_name = "N")]
    count: Option<u64>,
    /// Give up (exit 1) if --count events have not arrived within this many seconds; without
    /// --count, stop after this long (exit 0 if any event arrived, else 1).
    #[arg(long, value_name = "SECONDS")]
    timeout: Option<u64>,
    /// The subscription, @FILE to read it from a file, or @- for standard input.
    #[arg(value_name = "SUBSCRIPTION|@FILE")]
    subscription: String,
}

/// One line on standard error for a connection state change.
fn describe(connection: u64, state: &ConnectionState) -> String {
    let what = match state {
        ConnectionState::Connecting => "connecting".to_owned(),
        ConnectionState::Connected { keep_alive } => {
            format!("connected (keep-alive timeout {}s)", keep_alive.as_secs_f64())
        }
        ConnectionState::KeepAliveLate => "keep-alive late, connection considered lost".to_owned(),
        ConnectionState::Disrupted { reason } => format!("disrupted: {reason}"),
        ConnectionState::Reconnecting { attempt, delay } => {
            format!("reconnecting (attempt {attempt}) in {}ms", delay.as_millis())
        }
        ConnectionState::Closed => "closed".to_owned(),
        other => format!("{other:?}"),
    };
    format!("appsync: connection {connection}: {what}")
}

/// The checks of `--count`, `--timeout` and `--realtime-url` that `appsync subscribe` and
/// `appsync events subscribe` share.
pub(crate) fn check_listen_args(
    count: Option<u64>,
    timeout: Option<u64>,
    realtime_url: Option<&str>,
) -> anyhow::Result<()> {
    if count == Some(0) {
        return Err(usage("--count must be at least 1"));
    }
    if timeout == Some(0) {
        return Err(usage("--timeout must be at least 1 second"));
    }
    if let Some(url) = realtime_url {
        match reqwest::Url::parse(url) {
            Ok(u) if matches!(u.scheme(), "ws" | "wss" | "http" | "https") => {}
            _ => return Err(usage(format!("--realtime-url {url:?} is not a ws:// or wss:// URL"))),
        }
    }
    Ok(())
}

pub(crate) fn run(args: SubscribeArgs) -> anyhow::Result<ExitCode> {
    let query = read_arg(&args.subscription, "the subscription")?;
    let variables = read_variables(args.variables.as_deref())?;
    check_listen_args(args.count, args.timeout, args.realtime_url.as_deref())?;
    let client = args.connect.client(|builder| match &args.realtime_url {
        Some(url) => builder.realtime(RealtimeOptions::default().url(url.clone())),
        None => builder,
    })?;

    let runtime = tokio::runtime::Runtime::new().context("could not start the async runtime")?;
    runtime.block_on(async {
        // Listen before subscribing, so that the first `connecting` is seen too.
        let states = client.connection_states();
        let subscribe = async {
            let request = Request::new(query).variables(variables);
            let subscription = client.subscribe_request::<serde_json::Value>(request).await?;
            let id = subscription.id().to_owned();
            Ok((subscription, id))
        };
        listen(states, subscribe, client.close(), args.count, args.timeout).await
    })
}

/// Prints connection states on standard error while `subscribe` is made and its events are
/// printed (see [`receive`]), then `close`s (politely, but without hanging on a dead
/// connection).
pub(crate) async fn listen<S>(
    states: impl Stream<Item = ConnectionEvent> + Send + 'static,
    subscribe: impl Future<Output = Result<(S, String), appsync::Error>>,
    close: impl Future<Output = ()>,
    count: Option<u64>,
    timeout_secs: Option<u64>,
) -> anyhow::Result<ExitCode>
where
    S: Stream<Item = Result<serde_json::Value, appsync::Error>> + Unpin,
{
    let mut states = Box::pin(states);
    let printer = tokio::spawn(async move {
        while let Some(event) = states.next().await {
            eprintln!("{}", describe(event.connection, &event.state));
        }
    });
    let deadline = timeout_secs.map(|s| tokio::time::Instant::now() + Duration::from_secs(s));
    let result = receive(subscribe, count, deadline, timeout_secs).await;
    let _ = tokio::time::timeout(Duration::from_secs(2), close).await;
    let _ = tokio::time::timeout(Duration::from_millis(200), printer).await;
    result
}

/// Subscribes and prints events until `count` have arrived, the deadline passes or the
/// subscription ends.
async fn receive<S>(
    subscribe: impl Future<Output = Result<(S, String), appsync::Error>>,
    count: Option<u64>,
    deadline: Option<tokio::time::Instant>,
    timeout_secs: Option<u64>,
) -> anyhow::Result<ExitCode>
where
    S: Stream<Item = Result<serde_json::Value, appsync::Error>> + Unpin,
{
    let until = |deadline: Option<tokio::time::Instant>| async move {
        match deadline {
            Some(at) => tokio::time::sleep_until(at).await,
            None => std::future::pending().await,
        }
    };
    let secs = timeout_secs.unwrap_or_default();

    let (mut subscription, id) = tokio::select! {
        result = subscribe => result.context("subscription failed")?,
        () = until(deadline) => {
            return Err(anyhow!("timed out after {secs}s before the subscription was acknowledged"));
        }
    };
    eprintln!("appsync: subscribed ({id})");

    let stdout = std::io::stdout();
    let mut received: u64 = 0;
    let mut last_error: Option<appsync::Error> = None;
    loop {
        if count.is_some_and(|n| received >= n) {
            return Ok(ExitCode::SUCCESS);
        }
        let event = tokio::select! {
            event = subscription.next() => event,
            () = until(deadline) => {
                return match count {
                    Some(n) => Err(anyhow!("timed out after {secs}s with {received} of {n} events")),
                    None if received == 0 => Err(anyhow!("timed out after {secs}s with no events")),
                    None => Ok(ExitCode::SUCCESS),
                };
            }
        };
        match event {
            Some(Ok(data)) => {
                let line = serde_json::to_string(&data)?;
                let mut out = stdout.lock();
                writeln!(out, "{line}").context("cannot write to standard output")?;
                out.flush().context("cannot write to standard output")?;
                received += 1;
            }
            Some(Err(e)) => {
                // Either one bad event (the stream goes on) or the error that ends it.
                eprintln!("appsync: event error: {e}");
                last_error = Some(e);
            }
            None => {
                let why = match last_error {
                    Some(e) => anyhow::Error::new(e).context("subscription failed"),
                    None => anyhow!("the subscription ended"),
                };
                return Err(match count {
                    Some(n) => why.context(format!("after {received} of {n} events")),
                    None => why,
                });
            }
        }
    }
}
