//! What a project's fields answer until their resolvers can run here: an error that says why,
//! never data made up by the default resolvers; and `null` for root fields without a resolver,
//! as AppSync answers them.

use serde_json::Value;

use super::model::{ApiDefinition, DataSourceKind};
use crate::resolver::{self, ResolverError, ResolverFn};

/// The `errorType` of a field the emulator cannot run: its data source type, a VTL template...
pub const UNSUPPORTED_ERROR_TYPE: &str = "AppSyncLocal:Unsupported";
/// The `errorType` of a field whose resolver the emulator does not run yet.
pub const NOT_IMPLEMENTED_ERROR_TYPE: &str = "AppSyncLocal:NotImplemented";

/// `Type.field` -> the resolver standing in for it. Subscription fields are left out: they keep
/// delivering their mutations' results (their filters are not applied yet).
pub(crate) fn stand_ins(api: &ApiDefinition, root_fields: &[(String, String)]) -> Vec<(String, ResolverFn)> {
    let mut out = Vec::new();
    for r in &api.resolvers {
        if r.type_name == "Subscription" {
            continue;
        }
        let key = format!("{}.{}", r.type_name, r.field_name);
        let unsupported = api.unsupported.iter().find(|u| u.field.as_deref() == Some(key.as_str()));
        let error = match unsupported {
            Some(note) => ResolverError::new(format!("{key} cannot run in appsync local: {}", note.reason))
                .error_type(UNSUPPORTED_ERROR_TYPE),
            None => {
                let what = match (&r.code, r.data_source.as_deref().and_then(|d| api.data_source(d))) {
                    (None, Some(ds)) if matches!(ds.kind, DataSourceKind::Lambda { .. }) => {
                        format!("a direct Lambda resolver (data source {})", ds.name)
                    }
                    _ => "an APPSYNC_JS resolver".to_owned(),
                };
                ResolverError::new(format!(
                    "{key} has {what}, which appsync local cannot run yet: resolvers written in JavaScript are not wired into the emulator"
                ))
                .error_type(NOT_IMPLEMENTED_ERROR_TYPE)
            }
        };
        out.push((
            key,
            resolver::boxed(move |_ctx| {
                let error = error.clone();
                async move { Err(error) }
            }),
        ));
    }
    for (type_name, field_name) in root_fields {
        if type_name == "Subscription" || api.resolver(type_name, field_name).is_some() {
            continue;
        }
        out.push((format!("{type_name}.{field_name}"), resolver::boxed(|_ctx| async { Ok(Value::Null) })));
    }
    out
}
