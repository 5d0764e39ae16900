//! From a parsed template to an [`EventApiDefinition`]: an `AWS::AppSync::Api`'s `EventConfig`,
//! its `AWS::AppSync::ChannelNamespace`s with their handlers' code and `HandlerConfigs`, and its
//! `AWS::AppSync::DataSource`s with the template's tables.

use serde_json::Value;

use super::intrinsics::At;
use super::model::{ChannelNamespaceDefinition, Code, DataSource, DataSourceKind, EventApiDefinition};
use super::read::{Assets, Context, Res, auth_mode, data_source, res};
use crate::auth::AuthMode;
use crate::error::{Error, Kind};
use crate::events::{HandlerConfig, LambdaInvokeType};

/// Reads Event API `api` (a logical id of the first template) and the channel namespaces of
/// `templates` that belong to it.
pub(crate) fn from_template(
    templates: &[Context<'_>],
    assets: &Assets,
    api: &str,
) -> Result<EventApiDefinition, Error> {
    let Some(first) = templates.first() else {
        return Err(Error::new(Kind::Project, "no template to read"));
    };
    let (intrinsics, shown) = (&first.intrinsics, first.shown.as_str());
    let api_resource = intrinsics
        .resources()
        .get(api)
        .ok_or_else(|| Error::new(Kind::Project, format!("{shown} has no resource {api}")))?;
    let r = res(api, api_resource, intrinsics);
    let name = r.string("Name")?.unwrap_or_else(|| api.to_owned());
    let config = r.get("EventConfig")?.ok_or_else(|| {
        r.at("EventConfig").error("missing; expected the Event API's auth providers and default auth modes")
    })?;
    let at = r.at("EventConfig");
    let auth_providers = modes(&config, "AuthProviders", at)?;
    if auth_providers.is_empty() {
        return Err(at.error("AuthProviders is empty; expected at least one {AuthType: ...}"));
    }
    let connection_auth = modes(&config, "ConnectionAuthModes", at)?;
    let publish_auth = modes(&config, "DefaultPublishAuthModes", at)?;
    let subscribe_auth = modes(&config, "DefaultSubscribeAuthModes", at)?;
    let mut unsupported = Vec::new();
    if connection_auth.iter().any(|m| !auth_providers.contains(m))
        || publish_auth.iter().chain(&subscribe_auth).any(|m| !auth_providers.contains(m))
    {
        return Err(at.error("an auth mode of ConnectionAuthModes, DefaultPublishAuthModes or DefaultSubscribeAuthModes is not among AuthProviders"));
    }
    let api_arn =
        intrinsics.resolve(&serde_json::json!({"Ref": api}), At { resource: api, property: "Ref" })?;
    let mut namespaces = Vec::new();
    let mut data_sources: Vec<DataSource> = Vec::new();
    let mut tables = Vec::new();
    let mut namespace_resources = Vec::new();
    for context in templates {
        let intrinsics = &context.intrinsics;
        for (id, resource) in intrinsics.resources() {
            let kind = resource.get("Type").and_then(Value::as_str).unwrap_or("");
            let wanted = matches!(
                kind,
                "AWS::AppSync::ChannelNamespace"
                    | "AWS::AppSync::DataSource"
                    | "AWS::DynamoDB::Table"
                    | "AWS::DynamoDB::GlobalTable"
                    | "Custom::AmplifyDynamoDBTable"
            );
            if !wanted || !intrinsics.exists(id)? {
                continue;
            }
            if kind.starts_with("AWS::DynamoDB") || kind.starts_with("Custom::") {
                tables.push(super::tables::table(id, resource, intrinsics)?);
                continue;
            }
            let r = res(id, resource, intrinsics);
            let owner = r.required("ApiId", "the Event API's id (Fn::GetAtt Api.ApiId)")?;
            if owner != api && Some(&Value::String(owner)) != api_arn.as_ref() {
                continue;
            }
            if kind == "AWS::AppSync::DataSource" {
                data_sources.push(data_source(id, resource, intrinsics, &mut unsupported)?);
            } else {
                namespace_resources.push((context, id, resource));
            }
        }
    }
    data_sources.sort_by(|a, b| a.name.cmp(&b.name));
    for (context, id, resource) in namespace_resources {
        let r = res(id, resource, &context.intrinsics);
        namespaces.push(namespace(id, &r, assets, &context.shown, &data_sources)?);
    }
    namespaces.sort_by(|a, b| a.name.cmp(&b.name));
    if let Some(twice) = namespaces.windows(2).find(|w| w[0].name == w[1].name) {
        return Err(Error::new(
            Kind::Project,
            format!("{shown}: API {api} has two channel namespaces named {:?}", twice[0].name),
        ));
    }
    Ok(EventApiDefinition {
        logical_id: api.to_owned(),
        name,
        template: shown.to_owned(),
        auth_providers,
        connection_auth,
        publish_auth,
        subscribe_auth,
        namespaces,
        data_sources,
        tables,
        unsupported,
    })
}

fn namespace(
    id: &str,
    r: &Res<'_, '_>,
    assets: &Assets,
    shown: &str,
    data_sources: &[DataSource],
) -> Result<ChannelNamespaceDefinition, Error> {
    let name = r.required("Name", "the namespace's name")?;
    let optional_modes = |property: &str| -> Result<Option<Vec<AuthMode>>, Error> {
        match r.get(property)? {
            None => Ok(None),
            Some(list) => mode_list(&list, r.at(property)).map(Some),
        }
    };
    let publish_auth = optional_modes("PublishAuthModes")?;
    let subscribe_auth = optional_modes("SubscribeAuthModes")?;
    let code = match (r.string("CodeHandlers")?, r.string("CodeS3Location")?) {
        (Some(text), _) => Some(Code { text, path: shown.to_owned(), inline: true }),
        (None, Some(location)) => {
            let (text, path) = assets.load(&location, r.at("CodeS3Location"))?;
            Some(Code { text, path, inline: false })
        }
        (None, None) => None,
    };
    let (mut on_publish, mut on_subscribe) = (None, None);
    if let Some(configs) = r.get("HandlerConfigs")? {
        let at = r.at("HandlerConfigs");
        let Value::Object(configs) = configs else {
            return Err(at.error("expected {OnPublish?, OnSubscribe?}"));
        };
        for (handler, config) in &configs {
            let slot = match handler.as_str() {
                "OnPublish" => &mut on_publish,
                "OnSubscribe" => &mut on_subscribe,
                other => return Err(at.error(format!("{other}: expected OnPublish or OnSubscribe"))),
            };
            *slot = handler_config(handler, config, code.is_some(), data_sources, at)?;
        }
    }
    Ok(ChannelNamespaceDefinition {
        logical_id: id.to_owned(),
        name,
        publish_auth,
        subscribe_auth,
        code,
        on_publish,
        on_subscribe,
    })
}

/// `HandlerConfigs.<handler>`: `{Behavior: CODE|DIRECT, Integration?: {DataSourceName,
/// LambdaConfig?: {InvokeType}}}` (CloudFormation's `AWS::AppSync::ChannelNamespace
/// HandlerConfig`). `None` for `CODE` without an integration, the code's plain function.
fn handler_config(
    handler: &str,
    config: &Value,
    has_code: bool,
    data_sources: &[DataSource],
    at: At<'_>,
) -> Result<Option<HandlerConfig>, Error> {
    let behavior = config.get("Behavior").and_then(Value::as_str).unwrap_or("CODE");
    let Some(integration) = config.get("Integration") else {
        return match behavior {
            "CODE" => Ok(None),
            _ => {
                Err(at
                    .error(format!("{handler}: {behavior} behavior needs an Integration {{DataSourceName}}")))
            }
        };
    };
    let Some(name) = integration.get("DataSourceName").and_then(Value::as_str) else {
        return Err(at.error(format!("{handler}.Integration: expected {{DataSourceName, LambdaConfig?}}")));
    };
    let Some(source) = data_sources.iter().find(|d| d.name == name) else {
        let known: Vec<&str> = data_sources.iter().map(|d| d.name.as_str()).collect();
        let known = if known.is_empty() { "none".to_owned() } else { known.join(", ") };
        return Err(at.error(format!(
            "{handler}.Integration.DataSourceName {name:?} is not a data source of this API (its data sources: {known})"
        )));
    };
    match behavior {
        "CODE" if !has_code => Err(at.error(format!(
            "{handler} integrates {name} with CODE behavior, and the namespace has no code (CodeHandlers or CodeS3Location)"
        ))),
        "CODE" => Ok(Some(HandlerConfig::code(name))),
        "DIRECT" => {
            if !matches!(source.kind, DataSourceKind::Lambda { .. }) {
                return Err(at.error(format!(
                    "{handler}: DIRECT behavior needs an AWS_LAMBDA data source; {name} is {}",
                    source.kind.type_name()
                )));
            }
            let invoke_type = match integration.pointer("/LambdaConfig/InvokeType").and_then(Value::as_str) {
                None => LambdaInvokeType::RequestResponse,
                Some(value) => LambdaInvokeType::parse(value)
                    .map_err(|_| at.error(format!("{handler}.Integration.LambdaConfig.InvokeType {value:?}: expected REQUEST_RESPONSE or EVENT")))?,
            };
            Ok(Some(HandlerConfig::direct(name).invoke_type(invoke_type)))
        }
        other => Err(at.error(format!("{handler}.Behavior {other:?}: expected CODE or DIRECT"))),
    }
}

/// `EventConfig.<key>`: a list of `{AuthType}` (absent: none).
fn modes(config: &Value, key: &str, at: At<'_>) -> Result<Vec<AuthMode>, Error> {
    match config.get(key) {
        None => Ok(Vec::new()),
        Some(list) => mode_list(list, at),
    }
}

fn mode_list(list: &Value, at: At<'_>) -> Result<Vec<AuthMode>, Error> {
    let Value::Array(items) = list else {
        return Err(at.error("expected a list of {AuthType: ...}"));
    };
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        let Some(kind) = item.get("AuthType").and_then(Value::as_str) else {
            return Err(at.error("expected a list of {AuthType: ...}"));
        };
        let mode = auth_mode(kind, at)?;
        if !out.contains(&mode) {
            out.push(mode);
        }
    }
    Ok(out)
}
