//! From a parsed template to an [`EventApiDefinition`]: an `AWS::AppSync::Api`'s `EventConfig`
//! and its `AWS::AppSync::ChannelNamespace`s with their handlers' code.

use serde_json::Value;

use super::intrinsics::At;
use super::model::{ChannelNamespaceDefinition, Code, EventApiDefinition, Unsupported};
use super::read::{Assets, Context, Res, auth_mode, res};
use crate::auth::AuthMode;
use crate::error::{Error, Kind};

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
    for context in templates {
        let intrinsics = &context.intrinsics;
        for (id, resource) in intrinsics.resources() {
            if resource.get("Type").and_then(Value::as_str) != Some("AWS::AppSync::ChannelNamespace")
                || !intrinsics.exists(id)?
            {
                continue;
            }
            let r = res(id, resource, intrinsics);
            let owner = r.required("ApiId", "the Event API's id (Fn::GetAtt Api.ApiId)")?;
            if owner != api && Some(&Value::String(owner)) != api_arn.as_ref() {
                continue;
            }
            namespaces.push(namespace(id, &r, assets, &context.shown, &mut unsupported)?);
        }
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
        unsupported,
    })
}

fn namespace(
    id: &str,
    r: &Res<'_, '_>,
    assets: &Assets,
    shown: &str,
    unsupported: &mut Vec<Unsupported>,
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
    if let Some(configs) = r.get("HandlerConfigs")? {
        for (handler, config) in configs.as_object().into_iter().flatten() {
            let behavior = config.get("Behavior").and_then(Value::as_str).unwrap_or("CODE");
            if behavior != "CODE" || config.get("Integration").is_some() {
                unsupported.push(Unsupported {
                    resource: id.to_owned(),
                    reason: format!(
                        "HandlerConfigs.{handler} ({behavior} behavior, data source integration) is not emulated: only code handlers without a data source run"
                    ),
                    field: None,
                });
            }
        }
    }
    Ok(ChannelNamespaceDefinition { logical_id: id.to_owned(), name, publish_auth, subscribe_auth, code })
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
