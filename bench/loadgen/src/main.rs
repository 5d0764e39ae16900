//! `loadgen`: the appsync-rs benchmark harness.
//!
//! - `loadgen run`: N GraphQL POSTs at concurrency C against a loopback URL, through raw reqwest
//!   (no auth, an API key, or SigV4 from `appsync-sigv4` on every request) or through the
//!   `appsync` client; prints a summary on stderr and one JSON line on stdout.
//! - `loadgen serve`: a loopback HTTP server answering every POST with a fixed AppSync-like
//!   JSON body, so that the server is not what a client benchmark measures.
//! - `loadgen subscribe`: subscriptions through the `appsync` client or a bare WebSocket client:
//!   event latency, events per second on one connection, memory per idle subscription.
//! - `loadgen fanout`: AppSync real-time fan-out latency and rate (one mutation to many
//!   subscriptions), or the memory a server spends per idle subscribed connection.
//! - `loadgen dynamodb`: the DynamoDB table engine alone (in process) or moto's server (over
//!   HTTP) on the same GetItem/PutItem/Query, operations per second.
//! - `loadgen events`: the `appsync::events` client: events per second on one connection, memory
//!   per idle subscription, and the publisher that drives them.
//!
//! Only loopback addresses are accepted, and every run is bounded in count and time.

mod dynamodb;
mod events_client;
mod fanout;
mod measure;
mod run;
mod serve;
mod subscribe;

use std::net::IpAddr;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser, Debug)]
#[command(name = "loadgen", about = "Loopback GraphQL load generator and fixed-answer server")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
#[allow(clippy::large_enum_variant, reason = "parsed once, never moved around")]
enum Command {
    /// Send N requests at concurrency C and report throughput, latency and CPU time.
    Run(run::RunArgs),
    /// Answer every request with a fixed JSON body until stopped (or `--max-seconds`).
    Serve(serve::ServeArgs),
    /// Subscriptions through the appsync client or a bare WebSocket: event latency, events/s, memory.
    Subscribe(subscribe::SubscribeArgs),
    /// Real-time fan-out (mutation to many subscribers) or idle-connection memory of a server.
    Fanout(fanout::FanoutArgs),
    /// The DynamoDB table engine alone, or moto's server, on the resolver benchmark's operations.
    Dynamodb(dynamodb::DynamodbArgs),
    /// AppSync Events through the appsync client: events/s on one connection, memory, publisher.
    Events(events_client::EventsArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run(args) => run::main(args),
        Command::Serve(args) => serve::main(args),
        Command::Subscribe(args) => subscribe::main(args),
        Command::Fanout(args) => fanout::main(args),
        Command::Dynamodb(args) => dynamodb::main(args),
        Command::Events(args) => events_client::main(args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("loadgen: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// Whether `host` (a URL host, IPv6 possibly in brackets) is a loopback address.
pub(crate) fn is_loopback_host(host: &str) -> bool {
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::is_loopback_host;

    #[test]
    fn only_loopback_hosts() {
        assert!(is_loopback_host("127.0.0.1"));
        assert!(is_loopback_host("127.3.2.1"));
        assert!(is_loopback_host("localhost"));
        assert!(is_loopback_host("[::1]"));
        assert!(!is_loopback_host("10.0.0.1"));
        assert!(!is_loopback_host("192.168.1.1"));
        assert!(!is_loopback_host("example.com"));
        assert!(!is_loopback_host("0.0.0.0"));
    }
}
