//! `appsync`: call AWS AppSync from the command line, sign any AWS request, and run a local
//! AppSync emulator. Each subcommand lives in its own module; this file only parses arguments and
//! turns every error into one message and an exit code.

mod check;
mod common;
mod completions;
mod demo;
mod events;
mod local;
mod local_project;
mod query;
mod sign;
mod subscribe;
mod token;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// mimalloc instead of the system allocator: `appsync local` allocates and frees many small
/// values per request on several threads, where glibc's malloc spent about a third of the
/// emulator's CPU (locks shared between arenas included; BENCHMARKS.md, "Emulator throughput").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "appsync",
    version,
    about = "AWS AppSync from the command line: query, subscribe, events, sign, emulate"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print the SigV4 headers (or presigned URL) for a request, like `curl --aws-sigv4` debugging.
    Sign(sign::SignArgs),
    /// Run a local AppSync emulator: a schema with default resolvers, or your API from cdk.out or
    /// a CloudFormation template; auth checked for real.
    // Boxed: the local flags outweigh every other subcommand's.
    Local(Box<local::LocalArgs>),
    /// Check resolver and function code against what AWS refuses at deploy time.
    Check(check::CheckArgs),
    /// Start the emulator in-process and walk through IAM, API key and a rejected signature.
    Demo(demo::DemoArgs),
    /// Run a GraphQL query or mutation against AppSync (IAM, API key, JWT or Lambda auth).
    Query(query::QueryArgs),
    /// Subscribe over AppSync's real-time WebSocket; one JSON line per event on stdout.
    Subscribe(subscribe::SubscribeArgs),
    /// AppSync Events: publish to channels and subscribe to them.
    Events(events::EventsArgs),
    /// Mint a JWT signed by the emulator's demo key, for Cognito-protected schemas offline.
    Token(token::TokenArgs),
    /// Print shell completions: `appsync completions bash > ~/.local/share/bash-completion/completions/appsync`.
    Completions(completions::CompletionsArgs),
}

/// An error in what the user asked for (exit code 2), as opposed to a failure while doing it
/// (exit code 1).
#[derive(Debug)]
pub(crate) struct UsageError(pub(crate) String);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

/// Shorthand for returning a [`UsageError`].
pub(crate) fn usage(msg: impl Into<String>) -> anyhow::Error {
    anyhow::Error::new(UsageError(msg.into()))
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // clap prints help/version to stdout with exit 0 and usage errors to stderr with 2.
            let _ = e.print();
            return ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2));
        }
    };
    let result = match cli.command {
        Command::Sign(args) => sign::run(args),
        Command::Local(args) => local::run(*args),
        Command::Check(args) => check::run(args),
        Command::Demo(args) => demo::run(args),
        Command::Query(args) => query::run(args),
        Command::Subscribe(args) => subscribe::run(args),
        Command::Token(args) => token::run(args),
        Command::Events(args) => events::run(args),
        Command::Completions(args) => completions::run::<Cli>(args),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("appsync: {err:#}");
            if err.chain().any(|c| c.is::<UsageError>()) { ExitCode::from(2) } else { ExitCode::from(1) }
        }
    }
}
