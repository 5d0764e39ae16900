//! `appsync local`: run the AppSync emulator until Ctrl-C or SIGTERM.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::Context as _;
use appsync_local::events::{ChannelNamespace, EventsOptions};
use appsync_local::project::{ApiDefinition, EventApiDefinition};
use appsync_local::{ApiKey, AuthMode, Emulator, EmulatorBuilder, JwtConfig, TlsOptions};

use crate::usage;

/// Documented demo credentials, used when no credentials are given. They only ever work
/// against a local emulator.
pub(crate) const DEMO_ACCESS_KEY_ID: &str = "AKIDAPPSYNCLOCALDEMO";
/// Secret of [`DEMO_ACCESS_KEY_ID`].
pub(crate) const DEMO_SECRET_ACCESS_KEY: &str = "appsync-local-demo-secret";
/// The demo API key.
pub(crate) const DEMO_API_KEY: &str = "da2-appsynclocaldemokey0000";
/// The demo Lambda authorizer token, for projects whose API has the Lambda auth mode.
pub(crate) const DEMO_LAMBDA_TOKEN: &str = "appsync-local-demo-lambda-token";

#[derive(clap::Args, Debug)]
pub(crate) struct LocalArgs {
    /// AppSync SDL schema file (the `schema {}` block is optional); default: the built-in
    /// Posts demo schema.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["cdk_out", "template"])]
    schema: Option<PathBuf>,
    /// Serve the AppSync API of a `cdk synth` output directory: its schema, auth modes and
    /// resolvers, read from manifest.json, the stack's template and its assets.
    #[arg(long, value_name = "DIR", conflicts_with = "template")]
    pub(crate) cdk_out: Option<PathBuf>,
    /// The stack of --cdk-out to serve, when it holds several.
    #[arg(long, value_name = "NAME", requires = "cdk_out")]
    pub(crate) stack: Option<String>,
    /// The `AWS::AppSync::GraphQLApi` to serve (logical id), when the stack holds several.
    #[arg(long, value_name = "LOGICAL_ID")]
    pub(crate) api: Option<String>,
    /// Serve the AppSync API of a CloudFormation template (JSON or YAML).
    #[arg(long, value_name = "FILE")]
    pub(crate) template: Option<PathBuf>,
    /// The local function of the project's Lambda data source NAME (its `Name`, as resolvers
    /// give it in `DataSourceName`): the URL of the Lambda Runtime Interface Emulator's API
    /// (`http://127.0.0.1:9000`, as `docker run -p 9000:8080` of an AWS Lambda base image
    /// serves it; a full `.../2015-03-31/functions/NAME/invocations` URL for `sam local
    /// start-lambda`), or `cmd:COMMAND`, run per invocation with the event on stdin and the
    /// answer on stdout. Repeatable.
    #[arg(long = "lambda", value_name = "NAME=URL|cmd:COMMAND")]
    pub(crate) lambdas: Vec<String>,
    /// Send the requests of the project's HTTP data source NAME to URL instead of its endpoint
    /// (still signed when it says AWS_IAM: with $AWS_ACCESS_KEY_ID/$AWS_SECRET_ACCESS_KEY when
    /// set, else the first --iam or demo credentials). Repeatable.
    #[arg(long = "http", value_name = "NAME=URL")]
    pub(crate) http: Vec<String>,
    /// Send the requests of the project's DynamoDB data sources to a DynamoDB-compatible server
    /// instead of the embedded engine: URL for all of them, NAME=URL for the data source NAME
    /// (repeatable). DynamoDB's JSON API, SigV4-signed for `dynamodb` in the data source's
    /// region (else --region) with $AWS_ACCESS_KEY_ID/$AWS_SECRET_ACCESS_KEY when set, else the
    /// first --iam or demo credentials. The template's tables they use are created there when
    /// absent (said at start).
    #[arg(long = "dynamodb-endpoint", value_name = "URL|NAME=URL")]
    pub(crate) dynamodb_endpoints: Vec<String>,
    /// At the DynamoDB endpoint, the template's table TABLE (its name or logical id) is
    /// ENDPOINT_TABLE (resolvers keep the template's names). Repeatable.
    #[arg(long = "dynamodb-table", value_name = "TABLE=ENDPOINT_TABLE")]
    pub(crate) dynamodb_tables: Vec<String>,
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, value_name = "ADDR:PORT", default_value = "127.0.0.1:4000")]
    listen: String,
    /// Region SigV4 signatures must be scoped to.
    #[arg(long, value_name = "REGION", default_value = "us-east-1")]
    pub(crate) region: String,
    /// Default auth mode: fields without auth directives are reachable only through it
    /// (default: the project's, else iam).
    #[arg(long, value_name = "MODE")]
    default_auth: Option<String>,
    /// Accepted API key, optionally with an expiry as Unix seconds or RFC 3339 UTC
    /// (`KEY:2027-01-01T00:00:00Z`). Repeatable.
    #[arg(long = "api-key", value_name = "KEY[:EXPIRES]")]
    api_keys: Vec<String>,
    /// Accepted IAM credentials. Repeatable.
    #[arg(long = "iam", value_name = "ACCESS_KEY_ID:SECRET[:SESSION_TOKEN]")]
    iam: Vec<String>,
    /// Token a Lambda authorizer would allow (in `Authorization`). Repeatable.
    #[arg(long = "lambda-token", value_name = "TOKEN")]
    lambda_tokens: Vec<String>,
    /// JWKS file verifying Cognito user pool (or, with `--default-auth oidc`, OIDC) JWTs;
    /// `appsync token --jwks-out FILE` writes the demo key's.
    #[arg(long, value_name = "FILE")]
    jwks: Option<PathBuf>,
    /// Required `iss` of JWTs.
    #[arg(long, value_name = "ISSUER")]
    jwt_issuer: Option<String>,
    /// Required `aud` (or `client_id`) of JWTs.
    #[arg(long, value_name = "AUDIENCE")]
    jwt_audience: Option<String>,
    /// Persist records in this file (redb): a mutation answers only once its write is on disk,
    /// and the records are loaded again at the next start. A project's DynamoDB tables are kept
    /// beside it in FILE.dynamodb (a log of committed writes, replayed at start).
    #[arg(long, value_name = "FILE")]
    data: Option<PathBuf>,
    /// Largest request body in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = appsync_local::DEFAULT_BODY_LIMIT)]
    body_limit: usize,
    /// How many mutation events (GraphQL) or publishes (Events) a real-time connection may fall
    /// behind before it is disconnected as too slow (1013).
    #[arg(long, value_name = "N", default_value_t = appsync_local::DEFAULT_EVENT_CAPACITY)]
    event_capacity: usize,
    /// AppSync's queryDepthLimit (1-75; default: the project's, else none, as AppSync): fields nested deeper
    /// fail with QueryDepthLimitReached, the rest of the data is returned.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=i64::from(appsync_local::MAX_QUERY_DEPTH_LIMIT)))]
    query_depth_limit: Option<u32>,
    /// AppSync's resolverCountLimit (1-10000; default: the project's, else 10000): resolvers past it in one request
    /// fail with ResolverExecutionLimitReached.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=i64::from(appsync_local::DEFAULT_RESOLVER_COUNT_LIMIT)))]
    resolver_count_limit: Option<u32>,
    /// Serve HTTPS and WSS with a certificate for localhost, 127.0.0.1 and ::1, issued at each
    /// start by a local certificate authority kept in --tls-dir: trust its ca.pem once.
    #[arg(long, conflicts_with_all = ["tls_cert", "tls_key"])]
    tls: bool,
    /// Where --tls keeps its certificate authority (default: $XDG_DATA_HOME/appsync-local/tls,
    /// else ~/.local/share/appsync-local/tls).
    #[arg(long, value_name = "DIR", requires = "tls")]
    tls_dir: Option<PathBuf>,
    /// Serve HTTPS and WSS with this PEM certificate chain (leaf first) instead; needs --tls-key.
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// The PEM private key of --tls-cert.
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// An AppSync Events channel namespace (repeatable; default: one namespace, `default`),
    /// open to every accepted auth mode unless `publish=` or `subscribe=` lists the modes
    /// allowed, e.g. `chat:publish=iam:subscribe=api-key,cognito`.
    #[arg(long = "channel-namespace", value_name = "NAME[:publish=MODES][:subscribe=MODES]")]
    channel_namespaces: Vec<String>,
    /// Run the APPSYNC_JS module FILE as channel namespace NAMESPACE's handlers (its exported
    /// `onPublish` and `onSubscribe`, AppSync's `CodeHandlers`); repeatable. The namespace must
    /// exist (--channel-namespace, the project's, or `default` when there are none).
    #[arg(long = "events-handler", value_name = "NAMESPACE=FILE.js")]
    events_handlers: Vec<String>,
    /// The auth modes an Events WebSocket may connect with, comma-separated (AppSync's
    /// `ConnectionAuthModes`; default: the project's, else every accepted mode), e.g. `api-key,iam`.
    #[arg(long = "events-connection-auth", value_name = "MODES")]
    events_connection_auth: Option<String>,
    /// Close each Events WebSocket after this many seconds (default: AppSync's 24 hours);
    /// clients reconnect and subscribe again.
    #[arg(long = "events-connection-lifetime", value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..))]
    events_connection_lifetime: Option<u64>,
}

/// Credentials given on the command line, or the demo ones.
pub(crate) struct Credentials {
    pub(crate) demo: bool,
}

pub(crate) fn builder(
    args: &LocalArgs,
    project: Option<&ApiDefinition>,
    events: Option<&EventApiDefinition>,
) -> anyhow::Result<(EmulatorBuilder, Credentials)> {
    let default_auth: AuthMode = match &args.default_auth {
        Some(mode) => mode.parse().map_err(|e: appsync_local::Error| usage(e.to_string()))?,
        None => project.map_or(AuthMode::Iam, |api| api.default_auth),
    };
    let mut b = Emulator::builder();
    if let Some(api) = project {
        b = b.project(api.clone());
    }
    let mut b = b
        .region(&args.region)
        .default_auth(default_auth)
        .body_limit(args.body_limit)
        .event_capacity(args.event_capacity);
    // Given on the command line, they win over the project's own.
    if let Some(levels) = args.query_depth_limit {
        b = b.query_depth_limit(levels);
    }
    if let Some(resolvers) = args.resolver_count_limit {
        b = b.resolver_count_limit(resolvers);
    }
    if let Some(path) = &args.data {
        b = b.data_file(path);
    }
    if let (Some(cert), Some(key)) = (&args.tls_cert, &args.tls_key) {
        b = b.tls(TlsOptions::pem_files(cert, key));
    } else if args.tls {
        let dir = match &args.tls_dir {
            Some(dir) => dir.clone(),
            None => TlsOptions::default_dir()
                .ok_or_else(|| usage("--tls needs --tls-dir: neither $XDG_DATA_HOME nor $HOME is set"))?,
        };
        b = b.tls(TlsOptions::local_ca(dir));
    }
    if let Some(path) = &args.schema {
        let sdl = std::fs::read_to_string(path)
            .with_context(|| format!("could not read the schema {}", path.display()))?;
        b = b.schema_file_contents(sdl, path.display().to_string());
    }
    let demo = args.api_keys.is_empty()
        && args.iam.is_empty()
        && args.lambda_tokens.is_empty()
        && args.jwks.is_none();
    if demo {
        // A project's API gets demo credentials for its own modes only; the demo schema for
        // IAM, API key and Cognito.
        let mut modes = project.map_or_else(
            || vec![AuthMode::Iam, AuthMode::ApiKey, AuthMode::CognitoUserPools],
            ApiDefinition::auth_modes,
        );
        // And the Event API's own.
        for mode in events.map(|e| e.auth_providers.clone()).unwrap_or_default() {
            if !modes.contains(&mode) {
                modes.push(mode);
            }
        }
        for mode in modes {
            b = match mode {
                AuthMode::Iam => b.iam_credentials(appsync_local::Credentials::new(
                    DEMO_ACCESS_KEY_ID,
                    DEMO_SECRET_ACCESS_KEY,
                    None,
                    None,
                )),
                AuthMode::ApiKey => b.api_key(ApiKey::new(DEMO_API_KEY)),
                AuthMode::CognitoUserPools => b.cognito_user_pools(JwtConfig::demo()),
                AuthMode::Oidc => b.oidc(JwtConfig::demo()),
                AuthMode::Lambda => b.lambda_token(DEMO_LAMBDA_TOKEN),
                _ => b,
            };
        }
    }
    if let Some(path) = &args.jwks {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("could not read the JWKS {}", path.display()))?;
        let mut config =
            JwtConfig::from_jwks_json(&text).map_err(|e| usage(format!("--jwks {}: {e}", path.display())))?;
        if let Some(iss) = &args.jwt_issuer {
            config = config.issuer(iss);
        }
        if let Some(aud) = &args.jwt_audience {
            config = config.audience(aud);
        }
        b = if default_auth == AuthMode::Oidc { b.oidc(config) } else { b.cognito_user_pools(config) };
    } else if args.jwt_issuer.is_some() || args.jwt_audience.is_some() {
        return Err(usage("--jwt-issuer and --jwt-audience need --jwks"));
    }
    for spec in &args.api_keys {
        b = b.api_key(parse_api_key(spec)?);
    }
    for spec in &args.iam {
        b = b.iam_credentials(parse_iam(spec)?);
    }
    for token in &args.lambda_tokens {
        b = b.lambda_token(token);
    }
    for namespace in channel_namespaces(args, events)? {
        b = b.channel_namespace(namespace);
    }
    if let Some(events) = events {
        b = b.event_api(events.clone());
    }
    b = b.events(events_options(args, events)?);
    b = crate::local_project::data_sources(b, args, project, events)?;
    Ok((b, Credentials { demo }))
}

fn parse_api_key(spec: &str) -> anyhow::Result<ApiKey> {
    let Some((key, expires)) = spec.split_once(':') else {
        return Ok(ApiKey::new(spec));
    };
    let at = parse_time(expires).ok_or_else(|| {
        usage(format!("--api-key {key}:{expires}: expiry must be Unix seconds or RFC 3339 UTC"))
    })?;
    Ok(ApiKey::expiring(key, at))
}

/// The project's channel namespaces, then --channel-namespace's, with --events-handler's code.
fn channel_namespaces(
    args: &LocalArgs,
    events: Option<&EventApiDefinition>,
) -> anyhow::Result<Vec<ChannelNamespace>> {
    let mut namespaces = events.map(EventApiDefinition::channel_namespaces).unwrap_or_default();
    for spec in &args.channel_namespaces {
        namespaces.push(parse_channel_namespace(spec)?);
    }
    for spec in &args.events_handlers {
        let Some((name, file)) = spec.split_once('=') else {
            return Err(usage(format!("--events-handler {spec}: expected NAMESPACE=FILE.js")));
        };
        let code = std::fs::read_to_string(file)
            .with_context(|| format!("--events-handler {spec}: could not read {file}"))?;
        if namespaces.is_empty() && name == "default" {
            namespaces.push(ChannelNamespace::new("default"));
        }
        let Some(namespace) = namespaces.iter_mut().find(|n| n.name() == name) else {
            return Err(usage(format!(
                "--events-handler {spec}: there is no channel namespace {name:?} (add --channel-namespace {name})"
            )));
        };
        *namespace = namespace.clone().code(code);
    }
    Ok(namespaces)
}

/// The project's Event API settings, then --events-connection-auth and
/// --events-connection-lifetime.
fn events_options(args: &LocalArgs, events: Option<&EventApiDefinition>) -> anyhow::Result<EventsOptions> {
    let mut options = events.map(EventApiDefinition::events_options).unwrap_or_default();
    if let Some(spec) = &args.events_connection_auth {
        let modes = spec
            .split(',')
            .map(|m| m.parse::<AuthMode>())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| usage(format!("--events-connection-auth {spec}: {e}")))?;
        options = options.connection_auth(modes);
    }
    if let Some(seconds) = args.events_connection_lifetime {
        options = options.connection_lifetime(Duration::from_secs(seconds));
    }
    Ok(options)
}

/// `NAME[:publish=MODES][:subscribe=MODES]`, MODES comma-separated auth modes.
fn parse_channel_namespace(spec: &str) -> anyhow::Result<ChannelNamespace> {
    let mut parts = spec.split(':');
    let name = parts.next().unwrap_or_default();
    let mut namespace = ChannelNamespace::new(name);
    for part in parts {
        let bad =
            || usage(format!("--channel-namespace {spec}: expected NAME[:publish=MODES][:subscribe=MODES]"));
        let (operation, modes) = part.split_once('=').ok_or_else(bad)?;
        let modes = modes
            .split(',')
            .map(|m| m.parse::<AuthMode>())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| usage(format!("--channel-namespace {spec}: {e}")))?;
        namespace = match operation {
            "publish" => namespace.publish_auth(modes),
            "subscribe" => namespace.subscribe_auth(modes),
            _ => return Err(bad()),
        };
    }
    Ok(namespace)
}

fn parse_iam(spec: &str) -> anyhow::Result<appsync_local::Credentials> {
    let mut parts = spec.splitn(3, ':');
    let (Some(akid), Some(secret)) = (parts.next(), parts.next()) else {
        return Err(usage("--iam wants ACCESS_KEY_ID:SECRET[:SESSION_TOKEN]"));
    };
    if akid.is_empty() || secret.is_empty() {
        return Err(usage("--iam wants ACCESS_KEY_ID:SECRET[:SESSION_TOKEN]"));
    }
    let token = parts.next().filter(|t| !t.is_empty()).map(str::to_owned);
    Ok(appsync_local::Credentials::new(akid, secret, token, None))
}

/// Unix seconds, or an RFC 3339 time such as `YYYY-MM-DDTHH:MM:SSZ` (not before 1970).
fn parse_time(s: &str) -> Option<SystemTime> {
    match s.parse::<u64>() {
        Ok(secs) => Some(UNIX_EPOCH + Duration::from_secs(secs)),
        Err(_) => {
            let time = time::OffsetDateTime::parse(s.trim(), &time::format_description::well_known::Rfc3339);
            time.ok().map(SystemTime::from).filter(|t| *t >= UNIX_EPOCH)
        }
    }
}

pub(crate) fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    // Another subcommand may have installed one already; keep it.
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).try_init();
}

pub(crate) fn run(args: LocalArgs) -> anyhow::Result<ExitCode> {
    init_tracing();
    let (project, events) = crate::local_project::load(&args)?;
    let (builder, creds) = builder(&args, project.as_ref(), events.as_ref())?;
    let emulator = builder
        .build()
        .map_err(|e| if e.is_config() { usage(e.to_string()) } else { anyhow::Error::new(e) })?;
    let runtime = tokio::runtime::Runtime::new().context("could not start the async runtime")?;
    runtime.block_on(serve(emulator, args, creds, project, events))
}

async fn serve(
    emulator: Emulator,
    args: LocalArgs,
    creds: Credentials,
    project: Option<ApiDefinition>,
    events: Option<EventApiDefinition>,
) -> anyhow::Result<ExitCode> {
    let listener = appsync_local::bind(args.listen.as_str())
        .await
        .with_context(|| format!("could not listen on {}", args.listen))?;
    let addr = listener.local_addr().context("could not read the bound address")?;
    let modes: Vec<String> = emulator.auth_modes().iter().map(ToString::to_string).collect();
    let mut out = std::io::stdout().lock();
    match &project {
        Some(api) => {
            for line in crate::local_project::describe(api, &args) {
                writeln!(out, "{line}")?;
            }
        }
        None => {
            let schema = args
                .schema
                .as_ref()
                .map_or_else(|| "built-in demo (Posts)".to_owned(), |p| p.display().to_string());
            writeln!(out, "appsync local: schema {schema}")?;
        }
    }
    // Tables at DynamoDB endpoints: made now when absent, so that the first request does not
    // wait, and said; an endpoint that does not answer yet is no reason not to start.
    for endpoint in emulator.dynamodb_endpoints() {
        match endpoint.create_tables().await {
            Ok(tables) => {
                for t in tables {
                    let state = if t.created { "created (it was absent)" } else { "exists" };
                    writeln!(out, "  DynamoDB table {} at {}: {state}", t.endpoint_table, t.endpoint)?;
                }
            }
            Err(e) => writeln!(
                out,
                "  DynamoDB endpoint {}: {e} ({}); its tables are created before the first request once it answers",
                endpoint.url(),
                e.error_type()
            )?,
        }
    }
    for line in events.iter().flat_map(crate::local_project::describe_events) {
        writeln!(out, "{line}")?;
    }
    // A project's fields never reach the default resolvers, so their records are moot.
    match (&args.data, &project) {
        (_, Some(_)) => {}
        (Some(path), None) => writeln!(out, "records persisted in {}", path.display())?,
        (None, None) => writeln!(out, "records kept in memory (use --data FILE to persist them)")?,
    }
    writeln!(
        out,
        "region {}, default auth {}, accepted modes: {}",
        emulator.region(),
        emulator.default_auth(),
        modes.join(", ")
    )?;
    if creds.demo {
        writeln!(out, "no credentials given; demo credentials (local use only):")?;
        let modes = emulator.auth_modes();
        if modes.contains(&AuthMode::Iam) {
            writeln!(out, "  IAM access key id:     {DEMO_ACCESS_KEY_ID}")?;
            writeln!(out, "  IAM secret access key: {DEMO_SECRET_ACCESS_KEY}")?;
        }
        if modes.contains(&AuthMode::ApiKey) {
            writeln!(out, "  API key:               {DEMO_API_KEY}")?;
        }
        if modes.contains(&AuthMode::CognitoUserPools) || modes.contains(&AuthMode::Oidc) {
            writeln!(out, "  Cognito/OIDC JWTs:     signed by the demo key (mint one with `appsync token`)")?;
        }
        if modes.contains(&AuthMode::Lambda) {
            writeln!(out, "  Lambda token:          {DEMO_LAMBDA_TOKEN}")?;
        }
    }
    if let Some(ca) = emulator.tls_ca_file() {
        writeln!(out, "TLS certificate authority (trust it once): {}", ca.display())?;
    }
    // The socket is bound and listening: connections queue from here on.
    let (scheme, ws) = if emulator.is_tls() { ("https", "wss") } else { ("http", "ws") };
    writeln!(
        out,
        "AppSync Events: {scheme}://{addr}/event and {ws}://{addr}/event/realtime, channel namespaces: {}",
        emulator.channel_namespaces().join(", ")
    )?;
    writeln!(out, "listening on {scheme}://{addr}/graphql")?;
    out.flush()?;
    drop(out);
    emulator.serve(listener, shutdown_signal()).await;
    println!("stopped");
    Ok(ExitCode::SUCCESS)
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            // Without a Ctrl-C handler, wait for SIGTERM only.
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_expiry_forms() {
        assert_eq!(parse_time("0"), Some(UNIX_EPOCH));
        assert_eq!(parse_time("1970-01-02T00:00:01Z"), Some(UNIX_EPOCH + Duration::from_secs(86_401)));
        assert_eq!(parse_time("2000-03-01T00:00:00Z"), Some(UNIX_EPOCH + Duration::from_secs(951_868_800)));
        assert_eq!(parse_time("2000-13-01T00:00:00Z"), None);
        assert_eq!(parse_time("tomorrow"), None);
        assert_eq!(parse_time("1970-01-01T02:00:01+02:00"), Some(UNIX_EPOCH + Duration::from_secs(1)));
        assert_eq!(parse_time("1969-12-31T23:59:59Z"), None);
        assert!(parse_api_key("da2-k:2027-01-01T00:00:00Z").is_ok());
        assert!(parse_api_key("da2-k:soon").is_err());
        assert!(parse_iam("AKID:SECRET:TOKEN").is_ok());
        assert!(parse_iam("AKID").is_err());
        assert!(parse_iam(":x").is_err());
        assert_eq!(
            parse_channel_namespace("chat").map(|n| n.name().to_owned()).ok().as_deref(),
            Some("chat")
        );
        assert!(parse_channel_namespace("chat:publish=iam:subscribe=api-key,cognito").is_ok());
        assert!(parse_channel_namespace("chat:publish=nope").is_err());
        assert!(parse_channel_namespace("chat:listen=iam").is_err());
        assert!(parse_channel_namespace("chat:iam").is_err());
    }
}
