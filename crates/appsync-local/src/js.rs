//! Fields served by APPSYNC_JS resolvers (the `appsync-js` runtime): the field's context in
//! AppSync's `ctx` shape, the resolver's outcome back as the field's value or error.

use std::collections::BTreeMap;
use std::sync::Arc;

use appsync_js::{
    CognitoIdentity, Context as JsContext, DataSources, Engine, IamIdentity, Identity as JsIdentity, Info,
    LambdaIdentity, OidcIdentity, Outcome, Request as JsRequest, Resolver,
};
use serde_json::Value;

use crate::auth::{AuthMode, Identity};
use crate::project::LOCAL_ACCOUNT_ID;
use crate::resolver::{self, BatchResolverFn, ResolverContext, ResolverError, ResolverFn};

/// What every JS resolver of an emulator shares: the engine, the data sources and `ctx.env`.
#[derive(Clone)]
pub(crate) struct JsRuntime {
    pub(crate) engine: Engine,
    pub(crate) sources: Arc<DataSources>,
    pub(crate) env: Arc<BTreeMap<String, String>>,
}

/// A field resolver that runs `resolver` on the runtime's engine against its data sources. On
/// a subscription field the filter set with `extensions.setSubscriptionFilter` is what it
/// returns: the real-time endpoint applies a returned `{filterGroup}` to the subscription.
pub(crate) fn resolver_fn(runtime: JsRuntime, resolver: Resolver, on_subscription: bool) -> ResolverFn {
    let resolver = Arc::new(resolver);
    resolver::boxed(move |ctx: ResolverContext| {
        let runtime = runtime.clone();
        let resolver = Arc::clone(&resolver);
        async move {
            let js_ctx = context_of(&ctx).env((*runtime.env).clone());
            let mut outcome = resolver.resolve(&runtime.engine, js_ctx, &runtime.sources).await;
            if on_subscription && outcome.errors.is_empty() {
                // What the real-time endpoint reads of a subscription resolver: its filter
                // (`{filterGroup}`) and its invalidation filter.
                let mut filters = match outcome.subscription_filter.take() {
                    Some(Value::Object(filter)) => filter,
                    _ => serde_json::Map::new(),
                };
                if let Some(invalidation) = outcome.subscription_invalidation_filter.take() {
                    filters.insert("invalidationFilter".to_owned(), invalidation);
                }
                if !filters.is_empty() {
                    return Ok(Value::Object(filters));
                }
            }
            // AppSync honours the last `invalidateSubscriptions` of a resolver only
            // (aws/aws-appsync-community #223).
            if let Some(last) = outcome.invalidations.last() {
                ctx.invalidations
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .push(last.clone());
            }
            into_result(&ctx, outcome)
        }
    })
}

/// A field resolver for a list's items at once: `resolver`'s `BatchInvoke` requests go to the
/// data source together ([`Resolver::resolve_batch`]).
pub(crate) fn batch_resolver_fn(runtime: JsRuntime, resolver: Resolver) -> BatchResolverFn {
    let resolver = Arc::new(resolver);
    Arc::new(move |ctxs: Vec<ResolverContext>| {
        let runtime = runtime.clone();
        let resolver = Arc::clone(&resolver);
        Box::pin(async move {
            let js_ctxs = ctxs.iter().map(|c| context_of(c).env((*runtime.env).clone())).collect();
            let outcomes = resolver.resolve_batch(&runtime.engine, js_ctxs, &runtime.sources).await;
            ctxs.iter().zip(outcomes).map(|(ctx, outcome)| into_result(ctx, outcome)).collect()
        })
    })
}

/// `ctx` as AppSync builds it for the field (without `env`, which the API gives).
pub(crate) fn context_of(ctx: &ResolverContext) -> JsContext {
    JsContext::new()
        .arguments(ctx.arguments().clone())
        .source(ctx.source().map_or(Value::Null, |s| Value::Object(s.clone())))
        .identity(identity_of(ctx.identity()))
        .request(JsRequest::new(ctx.headers().clone()))
        .info(
            Info::new(ctx.type_name(), ctx.field_name())
                .variables(ctx.variables().clone())
                .selection_set(ctx.selection_set_list().to_vec(), ctx.selection_set_graphql()),
        )
}

/// `ctx.identity` from what the emulator verified: for IAM the access key id as the user name,
/// the emulator's account ([`LOCAL_ACCOUNT_ID`], the `AWS::AccountId` of the project's
/// templates) and an IAM user ARN named for the key, the Cognito identity fields `null` as
/// AppSync gives them for IAM users and roles; the JWT's claims; the Lambda authorizer's
/// `resolverContext`.
pub(crate) fn identity_of(identity: &Identity) -> JsIdentity {
    let claim =
        |name: &str| identity.claims().get(name).and_then(Value::as_str).unwrap_or_default().to_owned();
    match identity.mode() {
        AuthMode::ApiKey => JsIdentity::ApiKey,
        AuthMode::Iam => {
            let mut iam = IamIdentity::default();
            iam.username = identity.principal().to_owned();
            iam.account_id = LOCAL_ACCOUNT_ID.to_owned();
            iam.user_arn = format!("arn:aws:iam::{LOCAL_ACCOUNT_ID}:user/{}", identity.principal());
            iam.source_ip = identity.source_ip().to_vec();
            JsIdentity::Iam(iam)
        }
        AuthMode::CognitoUserPools => {
            let mut cognito = CognitoIdentity::default();
            cognito.sub = claim("sub");
            cognito.issuer = claim("iss");
            cognito.username = match claim("cognito:username") {
                name if name.is_empty() => identity.principal().to_owned(),
                name => name,
            };
            cognito.claims = identity.claims().clone();
            cognito.groups = (!identity.groups().is_empty()).then(|| identity.groups().to_vec());
            cognito.default_auth_strategy = "ALLOW".to_owned();
            cognito.source_ip = identity.source_ip().to_vec();
            JsIdentity::Cognito(cognito)
        }
        AuthMode::Oidc => {
            let mut oidc = OidcIdentity::default();
            oidc.sub = claim("sub");
            oidc.issuer = claim("iss");
            oidc.claims = identity.claims().clone();
            JsIdentity::Oidc(oidc)
        }
        AuthMode::Lambda => {
            let mut lambda = LambdaIdentity::default();
            lambda.resolver_context = identity.resolver_context().clone();
            JsIdentity::Lambda(lambda)
        }
    }
}

/// The field's value, or the error that ended the run; `util.appendError`s go beside it.
pub(crate) fn into_result(ctx: &ResolverContext, outcome: Outcome) -> Result<Value, ResolverError> {
    let mut errors = outcome.errors;
    let ended_by = if outcome.failed { errors.pop() } else { None };
    for appended in errors {
        ctx.append_error(converted(appended));
    }
    match ended_by {
        Some(error) => Err(converted(error)),
        None => Ok(outcome.data),
    }
}

fn converted(from: appsync_js::ResolverError) -> ResolverError {
    let mut error = ResolverError::new(from.message);
    if let Some(error_type) = from.error_type {
        error = error.error_type(error_type);
    }
    if let Some(info) = from.error_info {
        error = error.error_info(info);
    }
    if let Some(data) = from.data {
        error = error.data(data);
    }
    error
}
