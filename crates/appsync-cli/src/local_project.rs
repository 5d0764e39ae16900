//! `appsync local --cdk-out DIR | --template FILE`: reading the project, refusing code AWS would
//! refuse, and saying once, at start, what was found and what is not emulated.

use appsync_local::EmulatorBuilder;
use appsync_local::data_sources::LambdaFunction;
use appsync_local::project::{
    ApiDefinition, DataSource, DataSourceKind, EventApiDefinition, ProjectReader, ResolverKind, Table,
};

use crate::check::{check_units, event_units, print_findings, project_error, project_reader, project_units};
use crate::local::LocalArgs;
use crate::usage;

/// The project the arguments name, checked: its GraphQL API and its Event API, each `None`
/// when the project has none (at least one is needed), both `None` without
/// `--cdk-out`/`--template`.
pub(crate) fn load(args: &LocalArgs) -> anyhow::Result<(Option<ApiDefinition>, Option<EventApiDefinition>)> {
    if args.api.is_some() && args.cdk_out.is_none() && args.template.is_none() {
        return Err(usage("--api needs --cdk-out or --template"));
    }
    if (!args.lambdas.is_empty()
        || !args.http.is_empty()
        || !args.dynamodb_endpoints.is_empty()
        || !args.dynamodb_tables.is_empty())
        && args.cdk_out.is_none()
        && args.template.is_none()
    {
        return Err(usage(
            "--lambda, --http, --dynamodb-endpoint and --dynamodb-table are for a project's data sources: they need --cdk-out or --template",
        ));
    }
    let reader = || {
        project_reader(
            args.cdk_out.as_ref(),
            args.template.as_ref(),
            args.stack.as_deref(),
            args.api.as_deref(),
            &args.region,
        )
    };
    let Some(graphql_reader) = reader()? else {
        return Ok((None, None));
    };
    let events = match reader()?.map(ProjectReader::read_events).transpose() {
        Ok(events) => events,
        Err(e) if e.is_no_api() => None,
        Err(e) => return Err(project_error(e)),
    };
    let api = match graphql_reader.read() {
        Ok(api) => Some(api),
        // A project with only an Event API: GraphQL serves the demo schema beside it.
        Err(e) if e.is_no_api() && events.is_some() => None,
        Err(e) => return Err(project_error(e)),
    };
    // AWS refuses such code at deploy time; serving it would pretend it works.
    let mut units = api.as_ref().map(project_units).unwrap_or_default();
    units.extend(events.as_ref().map(event_units).unwrap_or_default());
    let found = check_units(&units);
    if !found.is_empty() {
        let mut err = std::io::stderr().lock();
        let count = print_findings(&mut err, &found)?;
        anyhow::bail!(
            "{count} finding(s) in the project's code: AWS would refuse it at deploy time, so appsync local does not serve it (`appsync check` lists the same)"
        );
    }
    Ok((api, events))
}

/// What `appsync local` says at start about the project's Event API.
pub(crate) fn describe_events(api: &EventApiDefinition) -> Vec<String> {
    let namespaces: Vec<String> = api
        .namespaces
        .iter()
        .map(|ns| if ns.code.is_some() { format!("{} (handlers)", ns.name) } else { ns.name.clone() })
        .collect();
    let mut lines = vec![format!(
        "appsync local: Event API {} ({}) from {}, channel namespaces: {}",
        api.name,
        api.logical_id,
        api.template,
        namespaces.join(", ")
    )];
    for ds in &api.data_sources {
        lines.push(format!("  data source {} ({})", ds.name, ds.kind.type_name()));
    }
    for ns in &api.namespaces {
        for (handler, config) in [("onPublish", &ns.on_publish), ("onSubscribe", &ns.on_subscribe)] {
            if let Some(config) = config {
                let how = if config.is_direct() { "calls Lambda" } else { "integrates" };
                lines.push(format!("  {}: {handler} {how} {}", ns.name, config.data_source()));
            }
        }
    }
    for note in &api.unsupported {
        lines.push(format!("  not emulated: {note}"));
    }
    lines
}

/// `--lambda NAME=...` and `--http NAME=URL` given to the builder, each checked against the
/// project's data sources; IAM-signed HTTP data sources sign with the environment's
/// credentials when it has them.
pub(crate) fn data_sources(
    mut b: EmulatorBuilder,
    args: &LocalArgs,
    project: Option<&ApiDefinition>,
    events: Option<&EventApiDefinition>,
) -> anyhow::Result<EmulatorBuilder> {
    if project.is_none() && events.is_none() {
        return Ok(b);
    }
    // The GraphQL API's data sources and tables, then the Event API's.
    let mut api = Sources {
        data_sources: project
            .iter()
            .flat_map(|a| &a.data_sources)
            .chain(events.iter().flat_map(|e| &e.data_sources))
            .collect(),
        tables: Vec::new(),
    };
    // Both APIs see every table of the template: each once.
    for table in project.iter().flat_map(|a| &a.tables).chain(events.iter().flat_map(|e| &e.tables)) {
        if !api.tables.iter().any(|t| t.name == table.name) {
            api.tables.push(table);
        }
    }
    let api = &api;
    for spec in &args.lambdas {
        let (name, target) = split_spec("--lambda", spec, "NAME=URL|cmd:COMMAND")?;
        match api.data_source(name).map(|d| &d.kind) {
            Some(DataSourceKind::Lambda { .. }) => {}
            _ => return Err(usage(format!("--lambda {name}=...: {}", no_such(api, name, "AWS_LAMBDA")))),
        }
        let function = LambdaFunction::parse(target).map_err(|e| usage(format!("--lambda {spec}: {e}")))?;
        b = b.data_source(name, function);
    }
    for spec in &args.http {
        let (name, url) = split_spec("--http", spec, "NAME=URL")?;
        match api.data_source(name).map(|d| &d.kind) {
            Some(DataSourceKind::Http { .. }) => {}
            _ => return Err(usage(format!("--http {name}=...: {}", no_such(api, name, "HTTP")))),
        }
        b = b.http_endpoint(name, url);
    }
    let mut all_dynamodb = None;
    for spec in &args.dynamodb_endpoints {
        match named_endpoint(spec) {
            Some((name, url)) => {
                if name.is_empty() || url.is_empty() {
                    return Err(usage(format!("--dynamodb-endpoint {spec}: expected URL or NAME=URL")));
                }
                match api.data_source(name).map(|d| &d.kind) {
                    Some(DataSourceKind::DynamoDb { .. }) => {}
                    _ => {
                        return Err(usage(format!(
                            "--dynamodb-endpoint {name}=...: {}",
                            no_such(api, name, "AMAZON_DYNAMODB")
                        )));
                    }
                }
                check_url("--dynamodb-endpoint", spec, url)?;
                b = b.dynamodb_endpoint_for(name, url);
            }
            None => {
                if all_dynamodb.replace(spec).is_some() {
                    return Err(usage(format!(
                        "--dynamodb-endpoint {spec}: a second URL for all DynamoDB data sources (give NAME=URL for one)"
                    )));
                }
                check_url("--dynamodb-endpoint", spec, spec)?;
                b = b.dynamodb_endpoint(spec);
            }
        }
    }
    for spec in &args.dynamodb_tables {
        let (table, endpoint_table) = split_spec("--dynamodb-table", spec, "TABLE=ENDPOINT_TABLE")?;
        if args.dynamodb_endpoints.is_empty() {
            return Err(usage(format!("--dynamodb-table {spec}: needs --dynamodb-endpoint")));
        }
        if !api.tables.iter().any(|t| t.name == table || t.logical_id == table)
            && !api.data_sources.iter().any(
                |d| matches!(&d.kind, DataSourceKind::DynamoDb { table_name, .. } if table_name == table),
            )
        {
            let known: Vec<&str> = api.tables.iter().map(|t| t.name.as_str()).collect();
            let known = if known.is_empty() { "none".to_owned() } else { known.join(", ") };
            return Err(usage(format!(
                "--dynamodb-table {spec}: the project has no DynamoDB table named {table:?} (its tables: {known})"
            )));
        }
        b = b.dynamodb_table(table, endpoint_table);
    }
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    if let (Some(akid), Some(secret)) = (env("AWS_ACCESS_KEY_ID"), env("AWS_SECRET_ACCESS_KEY")) {
        b = b.data_source_credentials(appsync_local::Credentials::new(
            akid,
            secret,
            env("AWS_SESSION_TOKEN"),
            None,
        ));
    }
    Ok(b)
}

/// `--dynamodb-endpoint NAME=URL` as its name and URL; `None` for a plain URL (which may hold
/// `=` in its query, never before `://`).
fn named_endpoint(spec: &str) -> Option<(&str, &str)> {
    spec.split_once('=').filter(|(name, _)| !name.contains("://"))
}

/// An http(s) URL, or a usage error naming the flag.
fn check_url(flag: &str, spec: &str, url: &str) -> anyhow::Result<()> {
    match url.split_once("://") {
        Some(("http" | "https", rest)) if !rest.is_empty() => Ok(()),
        _ => Err(usage(format!("{flag} {spec}: {url:?} is not an http:// or https:// URL"))),
    }
}

fn split_spec<'a>(flag: &str, spec: &'a str, form: &str) -> anyhow::Result<(&'a str, &'a str)> {
    match spec.split_once('=') {
        Some((name, value)) if !name.is_empty() && !value.is_empty() => Ok((name, value)),
        _ => Err(usage(format!("{flag} {spec}: expected {form}"))),
    }
}

/// The data sources and tables of the project's APIs.
struct Sources<'a> {
    data_sources: Vec<&'a DataSource>,
    tables: Vec<&'a Table>,
}

impl Sources<'_> {
    fn data_source(&self, name: &str) -> Option<&DataSource> {
        self.data_sources.iter().copied().find(|d| d.name == name)
    }
}

/// Why NAME is not a data source of `kind`, with the ones there are.
fn no_such(api: &Sources<'_>, name: &str, kind: &str) -> String {
    let names: Vec<&str> =
        api.data_sources.iter().filter(|d| d.kind.type_name() == kind).map(|d| d.name.as_str()).collect();
    let known = if names.is_empty() { "none".to_owned() } else { names.join(", ") };
    format!("the project has no {kind} data source named {name:?} (its {kind} data sources: {known})")
}

/// What `appsync local` prints about the project at start.
pub(crate) fn describe(api: &ApiDefinition, args: &LocalArgs) -> Vec<String> {
    let mut lines =
        vec![format!("appsync local: API {} ({}) from {}", api.name, api.logical_id, api.template)];
    let pipelines = api.resolvers.iter().filter(|r| r.kind == ResolverKind::Pipeline).count();
    let sources: Vec<String> =
        api.data_sources.iter().map(|d| format!("{} {}", d.kind.type_name(), d.name)).collect();
    lines.push(format!(
        "  {} ({pipelines} pipeline), {}, {} ({}), {}",
        count(api.resolvers.len(), "resolver"),
        count(api.functions.len(), "function"),
        count(api.data_sources.len(), "data source"),
        sources.join(", "),
        count(api.tables.len(), "DynamoDB table"),
    ));
    if !api.environment.is_empty() {
        let names: Vec<&str> = api.environment.keys().map(String::as_str).collect();
        lines.push(format!("  environment variables: {}", names.join(", ")));
    }
    let given = |specs: &[String], name: &str| {
        specs.iter().find_map(|s| s.split_once('=').filter(|(n, _)| *n == name).map(|(_, v)| v.to_owned()))
    };
    for ds in &api.data_sources {
        match &ds.kind {
            DataSourceKind::Lambda { .. } => lines.push(match given(&args.lambdas, &ds.name) {
                Some(target) => format!("  Lambda {}: {target}", ds.name),
                None => format!(
                    "  Lambda {}: no local function (give --lambda {}=URL or --lambda {}=cmd:COMMAND); its fields answer AppSyncLocal:NotConfigured",
                    ds.name, ds.name, ds.name
                ),
            }),
            DataSourceKind::DynamoDb { table_name, .. } => {
                let endpoint = args
                    .dynamodb_endpoints
                    .iter()
                    .find_map(|s| named_endpoint(s).filter(|(n, _)| *n == ds.name).map(|(_, url)| url))
                    .or_else(|| args.dynamodb_endpoints.iter().find(|s| named_endpoint(s).is_none()).map(String::as_str));
                let mapped = given(&args.dynamodb_tables, table_name)
                    .or_else(|| {
                        let logical = api.tables.iter().find(|t| &t.name == table_name).map(|t| t.logical_id.as_str());
                        logical.and_then(|l| given(&args.dynamodb_tables, l))
                    })
                    .unwrap_or_else(|| table_name.clone());
                lines.push(match endpoint {
                    Some(url) => format!("  DynamoDB {}: table {mapped} at {url}", ds.name),
                    None => format!("  DynamoDB {}: table {table_name}, embedded", ds.name),
                });
            }
            DataSourceKind::Http { endpoint, iam } => {
                let target = given(&args.http, &ds.name).unwrap_or_else(|| endpoint.clone());
                let signed = iam.as_ref().map_or_else(String::new, |i| {
                    format!(" (SigV4-signed for {} in {})", i.service, i.region)
                });
                lines.push(format!("  HTTP {}: {target}{signed}", ds.name));
            }
            _ => {}
        }
    }
    for note in &api.not_emulated() {
        lines.push(format!("  not emulated: {note}"));
    }
    lines
}

/// `1 resolver`, `2 resolvers`.
fn count(n: usize, noun: &str) -> String {
    if n == 1 { format!("1 {noun}") } else { format!("{n} {noun}s") }
}
