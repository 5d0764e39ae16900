//! `appsync query`: run one GraphQL query or mutation against AppSync and print the response.

use std::io::{IsTerminal, Read, Write};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use appsync::credentials::{DefaultCredentialsChain, ProfileCredentials};
use appsync::{Auth, Client, Request};
use clap::{Args, ValueEnum};

use crate::usage;

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum AuthKind {
    /// SigV4 with credentials from the environment or a profile.
    Iam,
    /// `x-api-key` from --api-key.
    ApiKey,
    /// A Cognito or OIDC JWT from --token.
    Jwt,
    /// A Lambda authorizer token from --token.
    Lambda,
}

#[derive(Args)]
pub(crate) struct QueryArgs {
    /// The GraphQL endpoint, e.g. https://<id>.appsync-api.<region>.amazonaws.com/graphql.
    #[arg(long)]
    url: String,
    /// The region to sign for (IAM); read from AppSync host names, else the profile, else
    /// $AWS_REGION.
    #[arg(long)]
    region: Option<String>,
    /// The auth mode (default: api-key when --api-key is given, jwt when --token is, else iam).
    #[arg(long, value_enum)]
    auth: Option<AuthKind>,
    /// The API key for --auth api-key.
    #[arg(long, env = "APPSYNC_API_KEY", hide_env_values = true)]
    api_key: Option<String>,
    /// The token for --auth jwt or lambda.
    #[arg(long, env = "APPSYNC_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// The AWS profile for IAM credentials (default: the usual environment/profile chain).
    #[arg(long)]
    profile: Option<String>,
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

fn read_arg(value: &str, what: &str) -> anyhow::Result<String> {
    match value.strip_prefix('@') {
        Some("-") => {
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .with_context(|| format!("cannot read {what} from standard input"))
                .map_err(|e| usage(format!("{e:#}")))?;
            Ok(text)
        }
        Some(path) => std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {what} file {path:?}"))
            .map_err(|e| usage(format!("{e:#}"))),
        None => Ok(value.to_owned()),
    }
}

fn auth_from(args: &QueryArgs, region: &mut Option<String>) -> anyhow::Result<Auth> {
    let kind = args.auth.unwrap_or(match (&args.api_key, &args.token) {
        (Some(_), _) => AuthKind::ApiKey,
        (None, Some(_)) => AuthKind::Jwt,
        (None, None) => AuthKind::Iam,
    });
    let need_token = |mode: &str| {
        args.token.clone().ok_or_else(|| usage(format!("--auth {mode} needs --token (or $APPSYNC_TOKEN)")))
    };
    Ok(match kind {
        AuthKind::ApiKey => {
            let key = args
                .api_key
                .clone()
                .ok_or_else(|| usage("--auth api-key needs --api-key (or $APPSYNC_API_KEY)"))?;
            Auth::api_key(key)
        }
        AuthKind::Jwt => Auth::cognito(need_token("jwt")?),
        AuthKind::Lambda => Auth::lambda(need_token("lambda")?),
        AuthKind::Iam => match &args.profile {
            Some(profile) => {
                let provider = ProfileCredentials::new().profile(profile);
                if region.is_none() {
                    *region = provider.region();
                }
                Auth::iam(provider)
            }
            None => {
                if region.is_none() {
                    *region = ProfileCredentials::new().region();
                }
                Auth::iam(DefaultCredentialsChain::new())
            }
        },
    })
}

pub(crate) fn run(args: QueryArgs) -> anyhow::Result<ExitCode> {
    let query = read_arg(&args.query, "the query")?;
    let variables: serde_json::Value = match &args.variables {
        None => serde_json::Value::Null,
        Some(v) => {
            let text = read_arg(v, "--variables")?;
            let value: serde_json::Value = serde_json::from_str(&text)
                .map_err(|e| usage(format!("--variables is not valid JSON: {e}")))?;
            if !value.is_object() {
                return Err(usage("--variables must be a JSON object such as {\"id\": \"1\"}"));
            }
            value
        }
    };
    if args.timeout == 0 {
        return Err(usage("--timeout must be at least 1 second"));
    }
    let host_has_region = reqwest::Url::parse(&args.url)
        .ok()
        .and_then(|u| u.host_str().map(|h| h.contains(".appsync-api.")))
        .unwrap_or(false);
    let mut region = args.region.clone();
    let auth = auth_from(&args, &mut region)?;
    if region.is_none() && !host_has_region {
        region = std::env::var("AWS_REGION").or_else(|_| std::env::var("AWS_DEFAULT_REGION")).ok();
    }
    let mut builder =
        Client::builder().endpoint(&args.url).auth(auth).timeout(Duration::from_secs(args.timeout));
    // An AppSync host name carries its region; only custom domains take one from elsewhere.
    if let Some(region) = region.filter(|_| args.region.is_some() || !host_has_region) {
        builder = builder.region(region);
    }
    let client = builder.build().map_err(|e| match e.field() {
        Some("region") if args.region.is_none() => usage(format!(
            "--region is required: IAM signs for a region, and it cannot be read from {} \
             (only from <id>.appsync-api.<region>.amazonaws.com), the profile or $AWS_REGION",
            args.url
        )),
        _ => usage(format!("{e}")),
    })?;

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
