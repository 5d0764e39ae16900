//! `appsync events`: publish to AppSync Events channels (over HTTP, or the WebSocket with
//! `--ws`) and subscribe to them, printing one compact JSON line per event.

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use appsync::events::PublishResult;
use clap::{Args, Subcommand};
use serde::Serialize;
use serde_json::{Value, json};

use crate::common::{ConnectArgs, read_arg};
use crate::subscribe::{check_listen_args, listen};
use crate::usage;

#[derive(Args)]
pub(crate) struct EventsArgs {
    #[command(subcommand)]
    command: EventsCommand,
}

#[derive(Subcommand)]
enum EventsCommand {
    /// Publish events to a channel; one JSON line per event on stdout, exit 0 when all were published.
    Publish(PublishArgs),
    /// Subscribe to a channel (`/*` for every channel below); one JSON line per event on stdout.
    Subscribe(SubscribeArgs),
}

#[derive(Args)]
struct PublishArgs {
    #[command(flatten)]
    connect: ConnectArgs,
    /// Publish over the WebSocket instead of an HTTP POST.
    #[arg(long)]
    ws: bool,
    /// The real-time WebSocket URL for --ws (default: derived from --url, e.g.
    /// wss://<id>.appsync-realtime-api.<region>.amazonaws.com/event/realtime, or <url>/realtime).
    #[arg(long, value_name = "URL")]
    realtime_url: Option<String>,
    /// Seconds to wait for each request.
    #[arg(long, value_name = "SECONDS", default_value_t = 30)]
    timeout: u64,
    /// The channel, e.g. /default/chat.
    channel: String,
    /// The events: each a JSON value, or @FILE holding one.
    #[arg(value_name = "EVENT_JSON|@FILE", required = true)]
    events: Vec<String>,
}

#[derive(Args)]
struct SubscribeArgs {
    #[command(flatten)]
    connect: ConnectArgs,
    /// The real-time WebSocket URL (default: derived from --url, e.g.
    /// wss://<id>.appsync-realtime-api.<region>.amazonaws.com/event/realtime, or <url>/realtime).
    #[arg(long, value_name = "URL")]
    realtime_url: Option<String>,
    /// Exit 0 after this many events (default: run until interrupted or the subscription ends).
    #[arg(long, value_name = "N")]
    count: Option<u64>,
    /// Give up (exit 1) if --count events have not arrived within this many seconds; without
    /// --count, stop after this long (exit 0 if any event arrived, else 1).
    #[arg(long, value_name = "SECONDS")]
    timeout: Option<u64>,
    /// The channel, e.g. /default/chat or /default/*.
    channel: String,
}

pub(crate) fn run(args: EventsArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        EventsCommand::Publish(args) => publish(args),
        EventsCommand::Subscribe(args) => subscribe(args),
    }
}

/// A refusal of what the user typed (a channel, an event too large) is a usage error.
fn user_error(e: appsync::Error) -> anyhow::Error {
    if e.is_invalid_input() { usage(e.to_string()) } else { anyhow::Error::new(e) }
}

fn publish(args: PublishArgs) -> anyhow::Result<ExitCode> {
    if args.timeout == 0 {
        return Err(usage("--timeout must be at least 1 second"));
    }
    check_listen_args(None, None, args.realtime_url.as_deref())?;
    let events = args
        .events
        .iter()
        .enumerate()
        .map(|(i, raw)| {
            let text = read_arg(raw, "the event")?;
            serde_json::from_str::<Value>(&text)
                .map_err(|e| usage(format!("event {i} is not valid JSON ({e}): {}", preview(&text))))
        })
        .collect::<anyhow::Result<Vec<Value>>>()?;
    let timeout = Duration::from_secs(args.timeout);
    let client = args.connect.events_client(|builder| {
        let builder = builder.timeout(timeout);
        let options = appsync::realtime::RealtimeOptions::default().start_ack_timeout(timeout);
        match &args.realtime_url {
            Some(url) => builder.realtime(options).realtime_url(url.clone()),
            None => builder.realtime(options),
        }
    })?;
    let runtime = tokio::runtime::Runtime::new().context("could not start the async runtime")?;
    let result = runtime.block_on(async {
        let result = if args.ws {
            client.publish_ws(&args.channel, &events).await
        } else {
            client.publish(&args.channel, &events).await
        };
        if args.ws {
            let _ = tokio::time::timeout(Duration::from_secs(2), client.close()).await;
        }
        result
    });
    let result = result.map_err(user_error).context("publish failed")?;
    print_result(&result)
}

/// One line per event: `{"index":0,"identifier":"...","ok":true}`, or `"ok":false` with the error.
fn print_result(result: &PublishResult) -> anyhow::Result<ExitCode> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    /// A line's fields, in this order.
    #[derive(Serialize)]
    struct Line<'a> {
        index: usize,
        identifier: Option<&'a str>,
        ok: bool,
        #[serde(skip_serializing_if = "Option::is_none")]
        error: Option<Value>,
    }
    for event in result.events() {
        let error = event.error().map(|error| {
            json!({
                "type": error.error_type(),
                "code": error.status().map(|s| s.as_u16()),
                "message": error.to_string(),
            })
        });
        let line = Line { index: event.index(), identifier: event.identifier(), ok: event.is_ok(), error };
        let line = serde_json::to_string(&line).context("cannot encode a result line")?;
        writeln!(out, "{line}").context("cannot write to standard output")?;
    }
    out.flush().context("cannot write to standard output")?;
    Ok(if result.is_success() { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

/// The start of `text`, for an error message.
fn preview(text: &str) -> String {
    let short: String = text.chars().take(60).collect();
    if short.len() < text.len() { format!("{short}...") } else { short }
}

fn subscribe(args: SubscribeArgs) -> anyhow::Result<ExitCode> {
    check_listen_args(args.count, args.timeout, args.realtime_url.as_deref())?;
    let client = args.connect.events_client(|builder| match &args.realtime_url {
        Some(url) => builder.realtime_url(url.clone()),
        None => builder,
    })?;
    let runtime = tokio::runtime::Runtime::new().context("could not start the async runtime")?;
    runtime
        .block_on(async {
            let states = client.connection_states();
            let subscribe = async {
                let stream = client.subscribe::<Value>(&args.channel).await?;
                let id = stream.id().to_owned();
                Ok((stream, id))
            };
            listen(states, subscribe, client.close(), args.count, args.timeout).await
        })
        .map_err(|e| match e.downcast_ref::<appsync::Error>() {
            Some(refused) if refused.is_invalid_input() => usage(refused.to_string()),
            _ => e,
        })
}
