//! From a parsed template to an [`ApiDefinition`]: which resources belong to the API, their
//! properties evaluated and checked, and their code loaded.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use super::intrinsics::{At, Intrinsics};
use super::model::{
    ApiDefinition, Code, DataSource, DataSourceKind, Function, IamSigning, Resolver, ResolverKind, Runtime,
    Unsupported,
};
use super::template_file;
use crate::auth::AuthMode;
use crate::error::{Error, Kind};

/// Where `CodeS3Location` and `DefinitionS3Location` lead.
pub(crate) enum Assets {
    /// Paths relative to the template's directory (a template before `aws cloudformation package`).
    Local(PathBuf),
    /// A `cdk.out`: S3 object keys to the asset files, from `<Stack>.assets.json`.
    CdkOut { objects: HashMap<String, PathBuf> },
}

impl Assets {
    pub(super) fn load(&self, location: &str, at: At<'_>) -> Result<(String, String), Error> {
        let path = match (location.strip_prefix("s3://"), self) {
            (Some(rest), Assets::CdkOut { objects }) => {
                let key = rest.split_once('/').map_or(rest, |(_, key)| key);
                objects.get(key).cloned().ok_or_else(|| {
                    at.error(format!("{location}: no asset of the cdk.out has the object key {key:?} (see <Stack>.assets.json)"))
                })?
            }
            (Some(_), Assets::Local(_)) => {
                return Err(at.error(format!(
                    "{location} is in S3, which appsync local does not read: give the template before `aws cloudformation package`, with a local path, or inline Code"
                )));
            }
            (None, Assets::Local(base)) => base.join(location),
            (None, Assets::CdkOut { .. }) => {
                return Err(
                    at.error(format!("expected an s3:// location of a cdk.out asset, found {location:?}"))
                );
            }
        };
        let text = std::fs::read_to_string(&path).map_err(|e| {
            at.error(format!("could not read {} (named by {location})", path.display())).with_source(e)
        })?;
        Ok((text, path.display().to_string()))
    }
}

/// AppSync's two API types, each its own resource type in a template.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ApiType {
    /// `AWS::AppSync::GraphQLApi`.
    GraphQl,
    /// `AWS::AppSync::Api` (an Event API).
    Event,
}

impl ApiType {
    pub(crate) fn resource_type(self) -> &'static str {
        match self {
            Self::GraphQl => "AWS::AppSync::GraphQLApi",
            Self::Event => "AWS::AppSync::Api",
        }
    }

    fn described(self) -> &'static str {
        match self {
            Self::GraphQl => "GraphQL APIs",
            Self::Event => "Event APIs",
        }
    }
}

/// Reads the API of type `kind` of one template file with `reader` (given the template's context,
/// where its assets are, and the chosen API's logical id).
pub(crate) fn template_file<T>(
    file: &Path,
    api: Option<&str>,
    region: &str,
    kind: ApiType,
    reader: impl FnOnce(&[Context<'_>], &Assets, &str) -> Result<T, Error>,
) -> Result<T, Error> {
    let shown = file.display().to_string();
    let text = std::fs::read_to_string(file).map_err(|e| {
        Error::new(Kind::Project, format!("could not read the template {shown}")).with_source(e)
    })?;
    let template = template_file::parse(&text, &shown)?;
    let stack_name = file.file_stem().and_then(|s| s.to_str()).unwrap_or("local");
    let base = file.parent().map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    let apis = api_ids(&template, kind);
    let chosen = choose_api(&apis, api, &shown, kind)?;
    let context =
        Context { intrinsics: Intrinsics::new(&template, stack_name, region, &HashMap::new())?, shown };
    reader(&[context], &Assets::Local(base), &chosen)
}

/// The logical ids of the template's APIs of type `kind`.
pub(crate) fn api_ids(template: &Value, kind: ApiType) -> Vec<String> {
    resources_of(template, kind.resource_type()).map(|(id, _)| id.clone()).collect()
}

pub(crate) fn choose_api(
    apis: &[String],
    wanted: Option<&str>,
    shown: &str,
    kind: ApiType,
) -> Result<String, Error> {
    let resource = kind.resource_type();
    match (wanted, apis) {
        (Some(wanted), _) if apis.iter().any(|a| a == wanted) => Ok(wanted.to_owned()),
        (Some(wanted), []) => Err(Error::no_api(format!("{shown} has no {resource} (looked for {wanted})"))),
        // A project may hold both API types, and `api(ID)` names one of them: the other type
        // has none by that id.
        (Some(wanted), _) => Err(Error::no_api(format!(
            "{shown} has no {resource} {wanted}; its APIs are {}",
            apis.join(", ")
        ))),
        (None, [one]) => Ok(one.clone()),
        (None, []) => Err(Error::no_api(format!("{shown} has no {resource} resource"))),
        (None, _) => Err(Error::new(
            Kind::Project,
            format!(
                "{shown} has several {} ({}): choose one by its logical id (--api)",
                kind.described(),
                apis.join(", ")
            ),
        )),
    }
}

pub(super) fn resources_of<'t>(
    template: &'t Value,
    kind: &'t str,
) -> impl Iterator<Item = (&'t String, &'t Value)> + 't {
    template
        .get("Resources")
        .and_then(Value::as_object)
        .into_iter()
        .flat_map(|r| r.iter())
        .filter(move |(_, r)| r.get("Type").and_then(Value::as_str) == Some(kind))
}

/// One resource's properties, evaluated one at a time: a property the reader does not need is
/// never evaluated, so an intrinsic it cannot evaluate there does no harm.
pub(super) struct Res<'a, 't> {
    id: &'a str,
    properties: &'t Map<String, Value>,
    intrinsics: &'a Intrinsics<'t>,
}

impl<'t> Res<'_, 't> {
    pub(super) fn at<'p>(&'p self, property: &'p str) -> At<'p> {
        At { resource: self.id, property }
    }

    pub(super) fn get(&self, property: &str) -> Result<Option<Value>, Error> {
        match self.properties.get(property) {
            Some(v) => self.intrinsics.resolve(v, self.at(property)),
            None => Ok(None),
        }
    }

    pub(super) fn string(&self, property: &str) -> Result<Option<String>, Error> {
        match self.properties.get(property) {
            Some(v) => self.intrinsics.string(v, self.at(property)).map(Some),
            None => Ok(None),
        }
    }

    pub(super) fn required(&self, property: &str, expected: &str) -> Result<String, Error> {
        self.string(property)?.ok_or_else(|| self.at(property).error(format!("missing; expected {expected}")))
    }

    fn has(&self, property: &str) -> bool {
        self.properties.contains_key(property)
    }
}

pub(super) fn res<'a, 't>(id: &'a str, resource: &'t Value, intrinsics: &'a Intrinsics<'t>) -> Res<'a, 't> {
    static EMPTY: std::sync::OnceLock<Map<String, Value>> = std::sync::OnceLock::new();
    let properties =
        resource.get("Properties").and_then(Value::as_object).unwrap_or_else(|| EMPTY.get_or_init(Map::new));
    Res { id, properties, intrinsics }
}

/// A string inside an evaluated object property (`HttpConfig.Endpoint`).
pub(super) fn field<'v>(value: &'v Value, key: &str, at: At<'_>, expected: &str) -> Result<&'v str, Error> {
    value
        .get(key)
        .and_then(Value::as_str)
        .ok_or_else(|| at.error(format!("{key} is missing or not a string; expected {expected}")))
}

/// One of the API's limits (`QueryDepthLimit`, `ResolverCountLimit`): an integer (or a string of
/// one, as CloudFormation allows) from 0 to `max`; 0 and absence both mean AppSync's default.
fn limit(r: &Res<'_, '_>, property: &str, max: u32) -> Result<Option<u32>, Error> {
    let at = r.at(property);
    let value = match r.get(property)? {
        None => return Ok(None),
        Some(Value::Number(n)) => n.as_u64(),
        Some(Value::String(s)) => s.trim().parse::<u64>().ok(),
        Some(_) => None,
    };
    match value {
        Some(0) => Ok(None),
        Some(n) if n <= u64::from(max) => Ok(u32::try_from(n).ok()),
        _ => Err(at.error(format!("expected an integer from 0 to {max}, as AppSync allows"))),
    }
}

/// AppSync's names for the auth modes.
pub(super) fn auth_mode(name: &str, at: At<'_>) -> Result<AuthMode, Error> {
    Ok(match name {
        "API_KEY" => AuthMode::ApiKey,
        "AWS_IAM" => AuthMode::Iam,
        "AMAZON_COGNITO_USER_POOLS" => AuthMode::CognitoUserPools,
        "OPENID_CONNECT" => AuthMode::Oidc,
        "AWS_LAMBDA" => AuthMode::Lambda,
        other => {
            return Err(at.error(format!(
                "unknown authentication type {other:?}; expected API_KEY, AWS_IAM, AMAZON_COGNITO_USER_POOLS, OPENID_CONNECT or AWS_LAMBDA"
            )));
        }
    })
}

/// A template to read resources from: the evaluation context and its name for messages.
pub(crate) struct Context<'t> {
    pub(crate) intrinsics: Intrinsics<'t>,
    pub(crate) shown: String,
}

/// Reads API `api` (a logical id of the first template) and everything attached to it in
/// `templates`: the API's own, then its nested stacks' (Amplify keeps a model's resolvers in a
/// nested stack that is given the API's id as a parameter).
pub(crate) fn from_template(
    templates: &[Context<'_>],
    assets: &Assets,
    api: &str,
) -> Result<ApiDefinition, Error> {
    let Some(first) = templates.first() else {
        return Err(Error::new(Kind::Project, "no template to read"));
    };
    let (intrinsics, shown) = (&first.intrinsics, first.shown.as_str());
    let resources = intrinsics.resources();
    let api_resource = resources
        .get(api)
        .ok_or_else(|| Error::new(Kind::Project, format!("{shown} has no resource {api}")))?;
    let r = res(api, api_resource, intrinsics);
    if let Some(kind) = r.string("ApiType")?
        && kind != "GRAPHQL"
    {
        return Err(r.at("ApiType").error(format!("{kind} APIs are not emulated; expected GRAPHQL")));
    }
    let name = r.string("Name")?.unwrap_or_else(|| api.to_owned());
    let default_auth = auth_mode(
        &r.required("AuthenticationType", "API_KEY, AWS_IAM, AMAZON_COGNITO_USER_POOLS...")?,
        r.at("AuthenticationType"),
    )?;
    let mut additional_auth = Vec::new();
    if let Some(providers) = r.get("AdditionalAuthenticationProviders")? {
        let at = r.at("AdditionalAuthenticationProviders");
        let Value::Array(providers) = providers else {
            return Err(at.error("expected a list of {AuthenticationType: ...}"));
        };
        for provider in &providers {
            additional_auth
                .push(auth_mode(field(provider, "AuthenticationType", at, "an authentication type")?, at)?);
        }
    }
    let mut environment = BTreeMap::new();
    if let Some(vars) = r.get("EnvironmentVariables")? {
        let at = r.at("EnvironmentVariables");
        let Value::Object(vars) = vars else { return Err(at.error("expected a map of names to strings")) };
        for (k, v) in vars {
            let Value::String(v) = v else {
                return Err(at.error(format!(
                    "{k}: expected a string value (AppSync's environment variables are strings)"
                )));
            };
            environment.insert(k, v);
        }
    }
    let query_depth_limit = limit(&r, "QueryDepthLimit", crate::builder::MAX_QUERY_DEPTH_LIMIT)?;
    let resolver_count_limit = limit(&r, "ResolverCountLimit", crate::builder::DEFAULT_RESOLVER_COUNT_LIMIT)?;

    // Which resources are this API's: their ApiId is its id (Fn::GetAtt ApiId) or its ARN (Ref).
    let api_arn =
        intrinsics.resolve(&serde_json::json!({"Ref": api}), At { resource: api, property: "Ref" })?;
    let belongs = |id: &str, resource: &Value, intrinsics: &Intrinsics<'_>| -> Result<bool, Error> {
        let r = res(id, resource, intrinsics);
        let value = r.required("ApiId", "the API's id (Fn::GetAtt Api.ApiId)")?;
        Ok(value == api || Some(&Value::String(value)) == api_arn.as_ref())
    };
    let mut unsupported = Vec::new();
    let mut schema = None;
    let mut data_sources = Vec::new();
    let mut functions = Vec::new();
    let mut resolvers = Vec::new();
    let mut tables = Vec::new();
    let everywhere =
        templates.iter().flat_map(|c| c.intrinsics.resources().iter().map(move |(id, r)| (c, id, r)));
    for (context, id, resource) in everywhere {
        let (intrinsics, shown) = (&context.intrinsics, context.shown.as_str());
        if !intrinsics.exists(id)? {
            continue;
        }
        let kind = resource.get("Type").and_then(Value::as_str).unwrap_or("");
        match kind {
            // Amplify Gen 2 creates its tables through a custom resource with the same properties.
            "AWS::DynamoDB::Table" | "AWS::DynamoDB::GlobalTable" | "Custom::AmplifyDynamoDBTable" => {
                tables.push(super::tables::table(id, resource, intrinsics)?)
            }
            "AWS::Serverless::GraphQLApi" => {
                return Err(Error::new(
                    Kind::Project,
                    format!(
                        "{shown}: resource {id} is SAM's AWS::Serverless::GraphQLApi, a transform: give the template `sam build` or `sam package` writes, whose resources are AWS::AppSync ones"
                    ),
                ));
            }
            "AWS::AppSync::GraphQLSchema" if belongs(id, resource, intrinsics)? => {
                if schema.is_some() {
                    return Err(Error::new(
                        Kind::Project,
                        format!("{shown}: API {api} has more than one AWS::AppSync::GraphQLSchema"),
                    ));
                }
                let r = res(id, resource, intrinsics);
                let sdl = match (r.string("Definition")?, r.string("DefinitionS3Location")?) {
                    (Some(sdl), _) => sdl,
                    (None, Some(location)) => assets.load(&location, r.at("DefinitionS3Location"))?.0,
                    (None, None) => {
                        return Err(r
                            .at("Definition")
                            .error("missing; expected the SDL in Definition or DefinitionS3Location"));
                    }
                };
                schema = Some(sdl);
            }
            "AWS::AppSync::DataSource" if belongs(id, resource, intrinsics)? => {
                data_sources.push(data_source(id, resource, intrinsics, &mut unsupported)?);
            }
            "AWS::AppSync::FunctionConfiguration" if belongs(id, resource, intrinsics)? => {
                functions.push(function(id, resource, intrinsics, shown, assets, &mut unsupported)?);
            }
            "AWS::AppSync::Resolver" if belongs(id, resource, intrinsics)? => {
                resolvers.push(resolver(id, resource, intrinsics, shown, assets, &mut unsupported)?);
            }
            "AWS::AppSync::ApiCache" if belongs(id, resource, intrinsics)? => unsupported.push(Unsupported {
                resource: id.clone(),
                reason:
                    "the API cache (AWS::AppSync::ApiCache) is not emulated: every request runs its resolvers"
                        .to_owned(),
                field: None,
            }),
            _ => {}
        }
    }
    let shown = first.shown.as_str();
    let schema = schema.ok_or_else(|| {
        Error::new(Kind::Project, format!("{shown}: API {api} has no AWS::AppSync::GraphQLSchema"))
    })?;
    // Names used across resources must exist.
    for f in &functions {
        if !data_sources.iter().any(|d| d.name == f.data_source) {
            return Err(At { resource: &f.logical_id, property: "DataSourceName" }
                .error(format!("names data source {:?}, which API {api} does not define", f.data_source)));
        }
    }
    for r in &resolvers {
        if let Some(ds) = &r.data_source
            && !data_sources.iter().any(|d| &d.name == ds)
        {
            return Err(At { resource: &r.logical_id, property: "DataSourceName" }
                .error(format!("names data source {ds:?}, which API {api} does not define")));
        }
        for id in &r.functions {
            if !functions.iter().any(|f| &f.logical_id == id) {
                return Err(At { resource: &r.logical_id, property: "PipelineConfig.Functions" }
                    .error(format!("names function {id:?}, which API {api} does not define")));
            }
        }
    }
    // A field whose data source the emulator does not run is unusable too.
    let other_sources: Vec<&DataSource> =
        data_sources.iter().filter(|d| matches!(d.kind, DataSourceKind::Other { .. })).collect();
    for r in &resolvers {
        let uses = |name: &str| other_sources.iter().find(|d| d.name == name);
        let through = r
            .data_source
            .iter()
            .cloned()
            .chain(
                r.functions
                    .iter()
                    .filter_map(|id| functions.iter().find(|f| &f.logical_id == id))
                    .map(|f| f.data_source.clone()),
            )
            .find_map(|name| uses(&name).map(|d| (d.name.clone(), d.kind.type_name().to_owned())));
        if let Some((ds, kind)) = through {
            unsupported.push(Unsupported {
                resource: format!("{} ({}.{})", r.logical_id, r.type_name, r.field_name),
                reason: format!("uses data source {ds} of type {kind}, which the emulator does not run"),
                field: Some(format!("{}.{}", r.type_name, r.field_name)),
            });
        }
    }
    check_fields(&schema, shown, &resolvers)?;
    data_sources.sort_by(|a, b| a.name.cmp(&b.name));
    functions.sort_by(|a, b| a.logical_id.cmp(&b.logical_id));
    resolvers.sort_by(|a, b| (&a.type_name, &a.field_name).cmp(&(&b.type_name, &b.field_name)));
    tables.sort_by(|a, b| a.logical_id.cmp(&b.logical_id));
    Ok(ApiDefinition {
        logical_id: api.to_owned(),
        name,
        template: shown.to_owned(),
        schema,
        default_auth,
        additional_auth,
        environment,
        query_depth_limit,
        resolver_count_limit,
        data_sources,
        resolvers,
        functions,
        tables,
        unsupported,
    })
}

pub(super) fn data_source(
    id: &str,
    resource: &Value,
    intrinsics: &Intrinsics<'_>,
    unsupported: &mut Vec<Unsupported>,
) -> Result<DataSource, Error> {
    let r = res(id, resource, intrinsics);
    let name = r.required("Name", "the data source's name")?;
    let type_name = r.required("Type", "NONE, AMAZON_DYNAMODB, AWS_LAMBDA, HTTP...")?;
    let kind = match type_name.as_str() {
        "NONE" => DataSourceKind::None,
        "AMAZON_DYNAMODB" => {
            let at = r.at("DynamoDBConfig");
            let config = r
                .get("DynamoDBConfig")?
                .ok_or_else(|| at.error("missing; expected {TableName, AwsRegion}"))?;
            if config.get("Versioned").and_then(Value::as_bool) == Some(true) {
                unsupported.push(Unsupported {
                    resource: id.to_owned(),
                    reason: "conflict detection (DynamoDBConfig.Versioned, DeltaSyncConfig) is not emulated"
                        .to_owned(),
                    field: None,
                });
            }
            DataSourceKind::DynamoDb {
                table_name: field(&config, "TableName", at, "the table's name")?.to_owned(),
                region: config.get("AwsRegion").and_then(Value::as_str).map(str::to_owned),
            }
        }
        "AWS_LAMBDA" => {
            let at = r.at("LambdaConfig");
            let config =
                r.get("LambdaConfig")?.ok_or_else(|| at.error("missing; expected {LambdaFunctionArn}"))?;
            DataSourceKind::Lambda {
                function_arn: field(&config, "LambdaFunctionArn", at, "the function's ARN")?.to_owned(),
            }
        }
        "HTTP" => {
            let at = r.at("HttpConfig");
            let config = r
                .get("HttpConfig")?
                .ok_or_else(|| at.error("missing; expected {Endpoint, AuthorizationConfig?}"))?;
            let endpoint = field(&config, "Endpoint", at, "the endpoint URL")?.to_owned();
            let iam = match config.get("AuthorizationConfig") {
                Some(auth) if auth.get("AuthorizationType").and_then(Value::as_str) == Some("AWS_IAM") => {
                    let iam = auth.get("AwsIamConfig").ok_or_else(|| {
                        at.error("AuthorizationConfig is AWS_IAM but has no AwsIamConfig {SigningRegion, SigningServiceName}")
                    })?;
                    Some(IamSigning {
                        region: field(iam, "SigningRegion", at, "the signing region")?.to_owned(),
                        service: field(iam, "SigningServiceName", at, "the signing service")?.to_owned(),
                    })
                }
                Some(auth) => {
                    return Err(at.error(format!(
                        "AuthorizationConfig.AuthorizationType {}: expected AWS_IAM",
                        auth.get("AuthorizationType").unwrap_or(&Value::Null)
                    )));
                }
                None => None,
            };
            DataSourceKind::Http { endpoint, iam }
        }
        other => {
            unsupported.push(Unsupported {
                resource: id.to_owned(),
                reason: format!("data source {name} is of type {other}, which the emulator does not run"),
                field: None,
            });
            DataSourceKind::Other { type_name: other.to_owned() }
        }
    };
    Ok(DataSource { name, logical_id: id.to_owned(), kind })
}

/// Runtime and code of a resolver or function; VTL templates are noted, not read.
fn runtime_and_code(
    r: &Res<'_, '_>,
    shown: &str,
    assets: &Assets,
    unsupported: &mut Vec<Unsupported>,
    field_name: Option<&str>,
) -> Result<(Option<Runtime>, Option<Code>), Error> {
    let runtime = match r.get("Runtime")? {
        Some(value) => {
            let at = r.at("Runtime");
            Some(Runtime {
                name: field(&value, "Name", at, "APPSYNC_JS")?.to_owned(),
                version: field(&value, "RuntimeVersion", at, "1.0.0")?.to_owned(),
            })
        }
        None => None,
    };
    let code = match (r.string("Code")?, r.string("CodeS3Location")?) {
        (Some(text), _) => Some(Code { text, path: format!("{shown} ({})", r.id), inline: true }),
        (None, Some(location)) => {
            let (text, path) = assets.load(&location, r.at("CodeS3Location"))?;
            Some(Code { text, path, inline: false })
        }
        (None, None) => None,
    };
    let vtl = [
        "RequestMappingTemplate",
        "ResponseMappingTemplate",
        "RequestMappingTemplateS3Location",
        "ResponseMappingTemplateS3Location",
    ]
    .iter()
    .any(|p| r.has(p));
    match &runtime {
        Some(rt) if rt.name != "APPSYNC_JS" => unsupported.push(Unsupported {
            resource: resource_label(r.id, field_name),
            reason: format!("runtime {} is not emulated (only APPSYNC_JS)", rt.name),
            field: field_name.map(str::to_owned),
        }),
        Some(_) if code.is_none() => {
            return Err(r.at("Code").error("missing; an APPSYNC_JS runtime needs Code or CodeS3Location"));
        }
        None if vtl => unsupported.push(Unsupported {
            resource: resource_label(r.id, field_name),
            reason: "VTL mapping templates are not emulated (only APPSYNC_JS code)".to_owned(),
            field: field_name.map(str::to_owned),
        }),
        None if code.is_some() => {
            return Err(r
                .at("Runtime")
                .error("missing; code needs Runtime {Name: APPSYNC_JS, RuntimeVersion: 1.0.0}"));
        }
        _ => {}
    }
    Ok((runtime, code))
}

fn resource_label(id: &str, field_name: Option<&str>) -> String {
    field_name.map_or_else(|| id.to_owned(), |f| format!("{id} ({f})"))
}

fn max_batch_size(r: &Res<'_, '_>) -> Result<Option<u32>, Error> {
    match r.string("MaxBatchSize")? {
        Some(s) => s.parse().map(Some).map_err(|_| {
            r.at("MaxBatchSize").error(format!("expected a number from 0 to 2000, found {s:?}"))
        }),
        None => Ok(None),
    }
}

fn function(
    id: &str,
    resource: &Value,
    intrinsics: &Intrinsics<'_>,
    shown: &str,
    assets: &Assets,
    unsupported: &mut Vec<Unsupported>,
) -> Result<Function, Error> {
    let r = res(id, resource, intrinsics);
    let name = r.required("Name", "the function's name")?;
    let data_source = r.required("DataSourceName", "the name of the function's data source")?;
    let (runtime, code) = runtime_and_code(&r, shown, assets, unsupported, None)?;
    Ok(Function {
        logical_id: id.to_owned(),
        name,
        data_source,
        runtime,
        code,
        max_batch_size: max_batch_size(&r)?,
    })
}

fn resolver(
    id: &str,
    resource: &Value,
    intrinsics: &Intrinsics<'_>,
    shown: &str,
    assets: &Assets,
    unsupported: &mut Vec<Unsupported>,
) -> Result<Resolver, Error> {
    let r = res(id, resource, intrinsics);
    let type_name = r.required("TypeName", "the GraphQL type (Query, Mutation...)")?;
    let field_name = r.required("FieldName", "the GraphQL field")?;
    let label = format!("{type_name}.{field_name}");
    let kind = match r.string("Kind")?.as_deref() {
        None | Some("UNIT") => ResolverKind::Unit,
        Some("PIPELINE") => ResolverKind::Pipeline,
        Some(other) => return Err(r.at("Kind").error(format!("{other:?}: expected UNIT or PIPELINE"))),
    };
    let data_source = r.string("DataSourceName")?;
    let mut functions = Vec::new();
    if kind == ResolverKind::Pipeline {
        let at = r.at("PipelineConfig");
        let config = r
            .get("PipelineConfig")?
            .ok_or_else(|| at.error("missing; a PIPELINE resolver needs PipelineConfig.Functions"))?;
        let Some(Value::Array(ids)) = config.get("Functions") else {
            return Err(
                at.error("expected Functions: a list of function ids (Fn::GetAtt Function.FunctionId)")
            );
        };
        for value in ids {
            functions.push(
                value
                    .as_str()
                    .ok_or_else(|| at.error(format!("expected a function id, found {value}")))?
                    .to_owned(),
            );
        }
    } else if data_source.is_none() {
        return Err(r.at("DataSourceName").error("missing; a UNIT resolver needs a data source"));
    }
    let (runtime, code) = runtime_and_code(&r, shown, assets, unsupported, Some(&label))?;
    if r.has("CachingConfig") {
        unsupported.push(Unsupported {
            resource: resource_label(id, Some(&label)),
            reason: "resolver caching (CachingConfig) is not emulated: every request runs the resolver"
                .to_owned(),
            field: None,
        });
    }
    if r.has("SyncConfig") {
        unsupported.push(Unsupported {
            resource: resource_label(id, Some(&label)),
            reason: "conflict detection (SyncConfig) is not emulated".to_owned(),
            field: None,
        });
    }
    Ok(Resolver {
        logical_id: id.to_owned(),
        type_name,
        field_name,
        kind,
        data_source,
        functions,
        runtime,
        code,
        max_batch_size: max_batch_size(&r)?,
    })
}

/// The schema parses and validates as AppSync's would, and every resolver is on one of its
/// fields: CloudFormation fails such a deployment.
fn check_fields(sdl: &str, shown: &str, resolvers: &[Resolver]) -> Result<(), Error> {
    let schema = crate::schema::LoadedSchema::parse(sdl, &format!("{shown} (schema)"))?;
    for r in resolvers {
        if schema.schema.type_field(&r.type_name, &r.field_name).is_err() {
            return Err(At { resource: &r.logical_id, property: "FieldName" }.error(format!(
                "{}.{} is not a field of the API's schema; a resolver attaches to an existing field",
                r.type_name, r.field_name
            )));
        }
    }
    Ok(())
}
