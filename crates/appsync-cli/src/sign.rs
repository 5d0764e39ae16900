//! `appsync sign`: the SigV4 headers or presigned URL for one request.

use std::process::ExitCode;
use std::time::{Duration, SystemTime};

use anyhow::Context;
use appsync_sigv4::{
    AmzDate, Credentials, SignableBody, SignableRequest, SignatureLocation, SigningParams, SigningSettings,
};
use clap::Args;

use crate::usage;

#[derive(Args)]
pub(crate) struct SignArgs {
    /// HTTP method (default: POST when --data is given, else GET).
    #[arg(long, short = 'X')]
    method: Option<String>,
    /// The full request URL.
    #[arg(long)]
    url: String,
    /// A request header to sign, `Name: value` (repeatable).
    #[arg(long = "header", short = 'H', value_name = "NAME: VALUE")]
    headers: Vec<String>,
    /// The request body, or `@FILE` to read it from a file.
    #[arg(long, short = 'd', value_name = "STRING|@FILE")]
    data: Option<String>,
    /// AWS region of the scope, e.g. us-east-1.
    #[arg(long)]
    region: String,
    /// Service signing name, e.g. appsync, execute-api, s3.
    #[arg(long)]
    service: String,
    /// Access key id (default: $AWS_ACCESS_KEY_ID).
    #[arg(long, env = "AWS_ACCESS_KEY_ID", hide_env_values = true)]
    access_key_id: Option<String>,
    /// Secret access key (default: $AWS_SECRET_ACCESS_KEY).
    #[arg(long, env = "AWS_SECRET_ACCESS_KEY", hide_env_values = true)]
    secret_access_key: Option<String>,
    /// Session token of temporary credentials (default: $AWS_SESSION_TOKEN).
    #[arg(long, env = "AWS_SESSION_TOKEN", hide_env_values = true)]
    session_token: Option<String>,
    /// Signing time as YYYYMMDDTHHMMSSZ (default: now), to reproduce a signature.
    #[arg(long, value_name = "YYYYMMDDTHHMMSSZ")]
    time: Option<String>,
    /// Print a presigned URL valid for this many seconds instead of headers.
    #[arg(long, value_name = "SECONDS")]
    presign: Option<u64>,
    /// Add and sign x-amz-content-sha256 (S3 and some other services want it).
    #[arg(long)]
    sign_content_sha256: bool,
    /// Also print the canonical request and string to sign to stderr.
    #[arg(long, short = 'v')]
    verbose: bool,
}

pub(crate) fn run(args: SignArgs) -> anyhow::Result<ExitCode> {
    let body = match args.data.as_deref() {
        Some(d) => match d.strip_prefix('@') {
            Some(path) => std::fs::read(path)
                .with_context(|| format!("cannot read --data file {path:?}"))
                .map_err(|e| usage(format!("{e:#}")))?,
            None => d.as_bytes().to_vec(),
        },
        None => Vec::new(),
    };
    let method =
        args.method.clone().unwrap_or_else(|| if args.data.is_some() { "POST" } else { "GET" }.to_owned());
    let mut headers = Vec::with_capacity(args.headers.len());
    for h in &args.headers {
        let (name, value) = h
            .split_once(':')
            .ok_or_else(|| usage(format!("header {h:?} has no colon: expected 'Name: value'")))?;
        headers.push((name.trim(), value.trim_start()));
    }
    let time = match args.time.as_deref() {
        Some(t) => AmzDate::parse(t)
            .ok_or_else(|| usage(format!("--time {t:?} is not a time like 20261124T123456Z")))?
            .to_system_time(),
        None => SystemTime::now(),
    };
    let (Some(akid), Some(secret)) = (args.access_key_id.clone(), args.secret_access_key.clone()) else {
        return Err(usage(
            "no credentials: pass --access-key-id and --secret-access-key or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY",
        ));
    };
    let creds = Credentials::new(akid, secret, args.session_token.clone().filter(|t| !t.is_empty()), None);

    let mut settings = SigningSettings::default();
    settings.content_sha256_header = args.sign_content_sha256;
    if let Some(secs) = args.presign {
        settings.location = SignatureLocation::QueryParams { expires_in: Duration::from_secs(secs) };
    }
    let request = SignableRequest::new(
        &method,
        &args.url,
        headers.iter().map(|(n, v)| (*n, v.as_bytes())),
        SignableBody::Bytes(&body),
    )
    .map_err(|e| usage(e.to_string()))?;
    let params = SigningParams::new(&creds, &args.region, &args.service, time).settings(settings);
    let out = appsync_sigv4::sign(&request, &params).map_err(|e| usage(e.to_string()))?;

    if args.verbose {
        eprintln!("* Canonical request:\n{}\n", out.canonical_request());
        eprintln!("* String to sign:\n{}\n", out.string_to_sign());
    }
    if args.presign.is_some() {
        println!("{}", out.presigned_uri(&args.url));
    } else {
        for part in out.headers() {
            println!("{}: {}", part.name(), part.value());
        }
    }
    Ok(ExitCode::SUCCESS)
}
