//! A project's fields wired to what runs them: APPSYNC_JS unit and pipeline resolvers on the
//! emulator's JavaScript engine, direct Lambda resolvers, the project's data sources (NONE,
//! Lambda, HTTP, DynamoDB); an error that says why for a field the emulator cannot run, never data made
//! up by the default resolvers; `null` for root fields without a resolver, as AppSync answers.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use appsync_dynamodb::TableDefinition;
use appsync_js::{Context as JsContext, DataSource, DataSourceError, DataSources, NoneDataSource};
use appsync_sigv4::Credentials;
use async_trait::async_trait;
use serde_json::{Value, json};

use super::model::{ApiDefinition, DataSourceKind, EventApiDefinition, ResolverKind};
use crate::data_sources::{DynamoDbDataSource, DynamoDbEndpoint, HttpDataSource};
use crate::error::Error;
use crate::js::{self, JsRuntime};
use crate::resolver::{self, BatchResolverFn, ResolverContext, ResolverError, ResolverFn};

/// The `errorType` of a field the emulator cannot run: its data source type, a VTL template...
pub const UNSUPPORTED_ERROR_TYPE: &str = "AppSyncLocal:Unsupported";
/// The `type` of `ctx.error` (or a direct Lambda resolver's `errorType`) when a data source
/// needs something only the command line can give: a local function for a Lambda data source
/// (`--lambda NAME=...`), credentials to sign an IAM-authorized HTTP data source's requests.
pub const NOT_CONFIGURED_ERROR_TYPE: &str = "AppSyncLocal:NotConfigured";

/// A data source the emulator has nothing to run with: every call fails saying what to give.
struct NotConfigured {
    message: String,
}

#[async_trait]
impl DataSource for NotConfigured {
    async fn invoke(&self, _request: Value, _ctx: &JsContext) -> Result<Value, DataSourceError> {
        Err(DataSourceError::new(self.message.clone(), NOT_CONFIGURED_ERROR_TYPE))
    }
}

/// A data source the emulator does not run: every call fails saying so.
struct Failing {
    message: String,
    error_type: &'static str,
}

#[async_trait]
impl DataSource for Failing {
    async fn invoke(&self, _request: Value, _ctx: &JsContext) -> Result<Value, DataSourceError> {
        Err(DataSourceError::new(self.message.clone(), self.error_type))
    }
}

/// The data sources and tables to wire: the GraphQL API's, with the Event API's data sources
/// it has no namesake of and its tables it lacks; `None` without either API.
pub(crate) fn data_api(
    graphql: Option<&ApiDefinition>,
    events: Option<&EventApiDefinition>,
) -> Option<ApiDefinition> {
    let Some(events) = events else { return graphql.cloned() };
    let mut api = graphql.cloned().unwrap_or_else(|| ApiDefinition {
        logical_id: events.logical_id.clone(),
        name: events.name.clone(),
        template: events.template.clone(),
        schema: String::new(),
        default_auth: events.auth_providers.first().copied().unwrap_or(crate::auth::AuthMode::ApiKey),
        additional_auth: Vec::new(),
        environment: BTreeMap::new(),
        query_depth_limit: None,
        resolver_count_limit: None,
        data_sources: Vec::new(),
        resolvers: Vec::new(),
        functions: Vec::new(),
        tables: Vec::new(),
        unsupported: Vec::new(),
    });
    for ds in &events.data_sources {
        if api.data_source(&ds.name).is_none() {
            api.data_sources.push(ds.clone());
        }
    }
    for table in &events.tables {
        if !api.tables.iter().any(|t| t.name == table.name) {
            api.tables.push(table.clone());
        }
    }
    Some(api)
}

/// Where the project's DynamoDB data sources send their requests instead of the embedded
/// engine (the builder's `dynamodb_endpoint`, `dynamodb_endpoint_for`, `dynamodb_table`).
#[derive(Debug, Clone, Default)]
pub(crate) struct DynamoDbTargets {
    /// For every DynamoDB data source without its own.
    pub(crate) all: Option<String>,
    /// Per data source name.
    pub(crate) by_source: BTreeMap<String, String>,
    /// The template's table name (or the table's logical id) to the endpoint's.
    pub(crate) tables: BTreeMap<String, String>,
}

impl DynamoDbTargets {
    pub(crate) fn is_empty(&self) -> bool {
        self.all.is_none() && self.by_source.is_empty() && self.tables.is_empty()
    }
}

/// An endpoint and the names of the data sources sent to it.
type Routed = (Arc<DynamoDbEndpoint>, Vec<String>);

/// The endpoints of `targets`, one per URL and signing region, each with the template's tables
/// its data sources use (created there when absent) and the table names mapped; and the data
/// source names sent to each. Credentials: `credentials`, else a placeholder pair that local
/// servers accept.
fn dynamodb_endpoints(
    api: &ApiDefinition,
    targets: &DynamoDbTargets,
    credentials: Option<&Credentials>,
    default_region: &str,
) -> Result<Vec<Routed>, Error> {
    for name in targets.by_source.keys() {
        if !api
            .data_sources
            .iter()
            .any(|d| &d.name == name && matches!(d.kind, DataSourceKind::DynamoDb { .. }))
        {
            return Err(Error::config(
                "dynamodb_endpoint",
                format!("the project has no AMAZON_DYNAMODB data source named {name:?}"),
            ));
        }
    }
    if !targets.tables.is_empty() && targets.all.is_none() && targets.by_source.is_empty() {
        return Err(Error::config(
            "dynamodb_table",
            "dynamodb_table names a table at an endpoint, and no DynamoDB endpoint is given",
        ));
    }
    let mut names = BTreeMap::new();
    for (from, to) in &targets.tables {
        let template_name = api
            .tables
            .iter()
            .find(|t| &t.name == from || &t.logical_id == from)
            .map(|t| t.name.clone())
            .or_else(|| {
                api.data_sources.iter().find_map(|d| match &d.kind {
                    DataSourceKind::DynamoDb { table_name, .. } if table_name == from => {
                        Some(table_name.clone())
                    }
                    _ => None,
                })
            })
            .ok_or_else(|| {
                Error::config(
                    "dynamodb_table",
                    format!(
                        "the project has no DynamoDB table named {from:?} (a table's name or logical id)"
                    ),
                )
            })?;
        if to.is_empty() {
            return Err(Error::config("dynamodb_table", format!("the endpoint's name of {from:?} is empty")));
        }
        names.insert(template_name, to.clone());
    }
    let fallback = Credentials::new("appsync-local", "appsync-local", None, None);
    let credentials = credentials.unwrap_or(&fallback);
    // Per URL and region: the tables to create there, the data sources sent there.
    let mut routes: BTreeMap<(String, String), (Vec<TableDefinition>, Vec<String>)> = BTreeMap::new();
    for ds in &api.data_sources {
        let DataSourceKind::DynamoDb { table_name, region } = &ds.kind else { continue };
        let Some(url) = targets.by_source.get(&ds.name).or(targets.all.as_ref()) else { continue };
        let region = region.clone().unwrap_or_else(|| default_region.to_owned());
        let (tables, sources) = routes.entry((url.clone(), region)).or_default();
        if let Some(table) = api.tables.iter().find(|t| &t.name == table_name) {
            tables.push(super::database::table_definition(table));
        }
        sources.push(ds.name.clone());
    }
    routes
        .into_iter()
        .map(|((url, region), (tables, sources))| {
            let mut endpoint = DynamoDbEndpoint::new(&url, region, credentials.clone())?;
            for (from, to) in &names {
                endpoint = endpoint.table_name(from, to);
            }
            for table in tables {
                endpoint = endpoint.table(table);
            }
            Ok((Arc::new(endpoint), sources))
        })
        .collect()
}

/// `given` completed with the project's data sources it lacks: NONE; HTTP to the data source's
/// endpoint (or `http_endpoints[name]`), signed with `credentials` when it says `AWS_IAM`; and
/// for each Lambda data source without a local function, one that answers which flag to give;
/// DynamoDB at its endpoint when `dynamodb` gives one, else on `database`, the project's
/// tables (the endpoints are returned too). The types the emulator does not run get one that
/// fails with [`UNSUPPORTED_ERROR_TYPE`] (their GraphQL fields answer it without calling it).
pub(crate) fn data_sources(
    api: &ApiDefinition,
    mut given: DataSources,
    http_endpoints: &HashMap<String, String>,
    credentials: Option<&Credentials>,
    database: Option<&Arc<appsync_dynamodb::Database>>,
    dynamodb: &DynamoDbTargets,
    default_region: &str,
) -> Result<(DataSources, Vec<Arc<DynamoDbEndpoint>>), Error> {
    let endpoints = dynamodb_endpoints(api, dynamodb, credentials, default_region)?;
    for name in http_endpoints.keys() {
        if !api.data_sources.iter().any(|d| &d.name == name && matches!(d.kind, DataSourceKind::Http { .. }))
        {
            return Err(Error::config(
                "http_endpoint",
                format!("the project has no HTTP data source named {name:?}"),
            ));
        }
    }
    for ds in &api.data_sources {
        if given.get(&ds.name).is_some() {
            continue;
        }
        given = match &ds.kind {
            DataSourceKind::None => given.source(&ds.name, NoneDataSource),
            DataSourceKind::Lambda { function_arn } => given.source(
                &ds.name,
                NotConfigured {
                    message: format!(
                        "The Lambda data source {} ({function_arn}) has no local function: start appsync local with --lambda {}=http://HOST:PORT (the Lambda Runtime Interface Emulator) or --lambda {}=cmd:COMMAND",
                        ds.name, ds.name, ds.name
                    ),
                },
            ),
            DataSourceKind::Http { endpoint, iam } => {
                let endpoint = http_endpoints.get(&ds.name).unwrap_or(endpoint);
                let http = HttpDataSource::new(endpoint)?;
                match (iam, credentials) {
                    (None, _) => given.source(&ds.name, http),
                    (Some(iam), Some(credentials)) => {
                        given.source(&ds.name, http.iam(credentials.clone(), &iam.region, &iam.service))
                    }
                    (Some(_), None) => given.source(
                        &ds.name,
                        NotConfigured {
                            message: format!(
                                "The HTTP data source {} signs its requests (AWS_IAM) but appsync local has no credentials to sign with: give --iam or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY",
                                ds.name
                            ),
                        },
                    ),
                }
            }
            DataSourceKind::DynamoDb { table_name, .. } => {
                match endpoints.iter().find(|(_, sources)| sources.contains(&ds.name)) {
                    Some((endpoint, _)) => {
                        given.source(&ds.name, DynamoDbDataSource::endpoint(Arc::clone(endpoint), table_name))
                    }
                    None => match database {
                        Some(database) => {
                            given.source(&ds.name, DynamoDbDataSource::new(Arc::clone(database), table_name))
                        }
                        None => given,
                    },
                }
            }
            // A GraphQL field over one answers UNSUPPORTED before reaching it; a namespace's
            // integration reaches it and gets the same.
            DataSourceKind::Other { type_name } => given.source(
                &ds.name,
                Failing {
                    message: format!("The {type_name} data source {} is not emulated", ds.name),
                    error_type: UNSUPPORTED_ERROR_TYPE,
                },
            ),
        };
    }
    Ok((given, endpoints.into_iter().map(|(e, _)| e).collect()))
}

/// The project's fields and what resolves them.
#[derive(Default)]
pub(crate) struct Wired {
    pub(crate) resolvers: Vec<(String, ResolverFn)>,
    /// Fields over Lambda data sources, resolved for a list's items together (BatchInvoke).
    pub(crate) batch_resolvers: Vec<(String, BatchResolverFn)>,
}

/// Wires every resolver of `api` on `runtime`, and `null` for the `root_fields` without one.
pub(crate) fn wire(
    api: &ApiDefinition,
    runtime: &JsRuntime,
    root_fields: &[(String, String)],
    subscription_root: Option<&str>,
) -> Wired {
    let notes = api.not_emulated();
    let mut wired = Wired::default();
    for r in &api.resolvers {
        let key = format!("{}.{}", r.type_name, r.field_name);
        let on_subscription = subscription_root == Some(r.type_name.as_str());
        if let Some(note) = notes.iter().find(|u| u.field.as_deref() == Some(key.as_str())) {
            if !on_subscription {
                let error = ResolverError::new(format!("{key} cannot run in appsync local: {}", note.reason))
                    .error_type(UNSUPPORTED_ERROR_TYPE);
                wired.resolvers.push((key, failing(error)));
            }
            continue;
        }
        let over_lambda = |name: Option<&str>| {
            name.and_then(|n| api.data_source(n))
                .is_some_and(|d| matches!(d.kind, DataSourceKind::Lambda { .. }))
        };
        let batch_size = r.max_batch_size.map_or(appsync_js::DEFAULT_MAX_BATCH_SIZE, |n| n as usize);
        match (&r.code, r.kind) {
            (Some(code), ResolverKind::Unit) => {
                let data_source = r.data_source.clone().unwrap_or_default();
                let resolver = appsync_js::Resolver::unit(code.text.as_str(), data_source.as_str())
                    .max_batch_size(batch_size);
                if over_lambda(r.data_source.as_deref()) && !on_subscription {
                    wired.batch_resolvers.push((key, js::batch_resolver_fn(runtime.clone(), resolver)));
                } else {
                    wired.resolvers.push((key, js::resolver_fn(runtime.clone(), resolver, on_subscription)));
                }
            }
            (Some(code), ResolverKind::Pipeline) => {
                // `not_emulated` has already ruled out functions without APPSYNC_JS code.
                let functions: Vec<&super::model::Function> =
                    r.functions.iter().filter_map(|id| api.function(id)).collect();
                let any_lambda = functions.iter().any(|f| over_lambda(Some(&f.data_source)));
                let functions = functions
                    .into_iter()
                    .filter_map(|f| {
                        f.code.as_ref().map(|c| {
                            appsync_js::Function::new(&f.name, c.text.as_str(), &f.data_source)
                                .max_batch_size(
                                    f.max_batch_size
                                        .map_or(appsync_js::DEFAULT_MAX_BATCH_SIZE, |n| n as usize),
                                )
                        })
                    })
                    .collect();
                let resolver = appsync_js::Resolver::pipeline(code.text.as_str(), functions);
                if any_lambda && !on_subscription {
                    wired.batch_resolvers.push((key, js::batch_resolver_fn(runtime.clone(), resolver)));
                } else {
                    wired.resolvers.push((key, js::resolver_fn(runtime.clone(), resolver, on_subscription)));
                }
            }
            (None, _) if over_lambda(r.data_source.as_deref()) && !on_subscription => {
                let data_source = r.data_source.clone().unwrap_or_default();
                // Without MaxBatchSize a direct Lambda resolver invokes per field.
                let batch_size = r.max_batch_size.map_or(0, |n| n as usize);
                wired.batch_resolvers.push((key, direct_lambda(runtime.clone(), data_source, batch_size)));
            }
            (None, _) => {
                if !on_subscription {
                    let error = ResolverError::new(format!(
                        "{key} cannot run in appsync local: its resolver has no code"
                    ))
                    .error_type(UNSUPPORTED_ERROR_TYPE);
                    wired.resolvers.push((key, failing(error)));
                }
            }
        }
    }
    for (type_name, field_name) in root_fields {
        if Some(type_name.as_str()) == subscription_root || api.resolver(type_name, field_name).is_some() {
            continue;
        }
        wired
            .resolvers
            .push((format!("{type_name}.{field_name}"), resolver::boxed(|_ctx| async { Ok(Value::Null) })));
    }
    wired
}

fn failing(error: ResolverError) -> ResolverFn {
    resolver::boxed(move |_ctx| {
        let error = error.clone();
        async move { Err(error) }
    })
}

/// A direct Lambda resolver (no code): the function gets AppSync's context as its event
/// (`arguments`, `identity`, `source`, `request`, `info`, `prev`, `stash`) and its answer is the
/// field's value; its failure is the field's error. With `batch_size` above zero (the
/// resolver's `MaxBatchSize`), a list's items go to the function together, as a list of events
/// answered by a list of values.
fn direct_lambda(runtime: JsRuntime, data_source: String, batch_size: usize) -> BatchResolverFn {
    Arc::new(move |ctxs: Vec<ResolverContext>| {
        let runtime = runtime.clone();
        let data_source = data_source.clone();
        Box::pin(async move {
            let Some(source) = runtime.sources.get(&data_source).cloned() else {
                let error = ResolverError::new(format!("No data source named '{data_source}' is configured"))
                    .error_type("DataSourceNotFound");
                return vec![Err(error); ctxs.len()];
            };
            let js_ctxs: Vec<JsContext> = ctxs.iter().map(js::context_of).collect();
            let mut answers = Vec::with_capacity(ctxs.len());
            if batch_size == 0 {
                for ctx in &js_ctxs {
                    let request = json!({ "operation": "Invoke", "payload": event_of(ctx) });
                    answers.push(source.invoke(request, ctx).await);
                }
            } else {
                for chunk in js_ctxs.chunks(batch_size) {
                    let requests = chunk
                        .iter()
                        .map(|c| json!({ "operation": "BatchInvoke", "payload": event_of(c) }))
                        .collect();
                    answers.extend(source.invoke_batch(requests, chunk).await);
                }
            }
            answers
                .into_iter()
                .map(|answer| answer.map_err(|e| ResolverError::new(e.message()).error_type(e.error_type())))
                .collect()
        })
    })
}

/// The event of a direct Lambda resolver: `ctx` without `env`, with `prev` `null`.
fn event_of(ctx: &JsContext) -> Value {
    let mut event = serde_json::to_value(ctx).unwrap_or(Value::Null);
    if let Value::Object(members) = &mut event {
        members.remove("env");
        members.insert("prev".to_owned(), Value::Null);
    }
    event
}
