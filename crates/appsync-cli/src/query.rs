//! `appsync query`: run one GraphQL query or mutation against AppSync and print the response.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use appsync::Request;
use clap::Args;

use crate::common::{ConnectArgs, read_arg, read_variables};
use crate::usage;

#[derive(Args)]
pub(crate) struct QueryArgs {
    #[command(flatten)]
    connect: ConnectArgs,
    /// Variables as a JSON object, or @FILE.
    #[arg(long, value_name = "JSON|@FILE")]
    variables: Option<String>,
    /// Which operation of the document to run.
    #[arg(long)]
    operation_name: Option<String>,
    /// Seconds to wait for each attempt.
    #[arg(long, value_name = "SECONDS", default_value_t = 30)]
    timeout: u64,
    /// The query or mutation, @FILE to read it from a file, or @- for standard input.
    #[arg(value_name = "QUERY|@FILE")]
    query: String,
}

pub(crate) fn run(args: QueryArgs) -> anyhow::Result<ExitCode> {
    let query = read_arg(&args.query, "the query")?;
    let variables = read_variables(args.variables.as_deref())?;
    if args.timeout == 0 {
        return Err(usage("--timeout must be at least 1 second"));
    }
    let client = args.connect.client(|b| b.timeout(Duration::from_secs(args.timeout)))?;

    let mut request = Request::new(query).variables(variables);
    if let Some(name) = &args.operation_name {
        request = request.operation_name(name);
    }
    let runtime = tokio::runtime::Runtime::new().context("could not start the async runtime")?;
    let response = runtime.block_on(client.execute::<serde_json::Value>(request))?;

    let stdout = std::io::stdout();
    let rendered = if stdout.is_terminal() {
        serde_json::to_string_pretty(&response)?
    } else {
        serde_json::to_string(&response)?
    };
    let mut out = stdout.lock();
    writeln!(out, "{rendered}").context("cannot write to standard output")?;
    out.flush().ok();
    if response.errors.is_empty() {
        return Ok(ExitCode::SUCCESS);
    }
    for error in &response.errors {
        eprintln!("appsync: GraphQL error: {error}");
    }
    Ok(ExitCode::from(1))
}
